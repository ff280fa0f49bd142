/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The builder process (xlbuild.c): the daemon's program again, spawned
 * by its Xen backend (hv-xen-builder.c) as
 * "XLBUILD_COMM XLBUILD_ARG <daemon's pid>" with its socket on
 * XLBUILD_FD; it holds one libxl context and serves the builder protocol
 * (builder.h) on that socket, one request at a time.
 */
#ifndef STUBDMD_XLBUILD_H
#define STUBDMD_XLBUILD_H

#include <sys/types.h>

/* Its name in ps and on its log lines ("stubdmd-build[PID]: ..."). */
#define XLBUILD_COMM	"stubdmd-build"

/* The argument that makes stubdmd a builder, and its socket. */
#define XLBUILD_ARG	"--builder-for"
#define XLBUILD_FD	3

/* argv[1] is XLBUILD_ARG: serve XLBUILD_FD until the daemon closes it. */
void	xlbuild_main(int argc, char **argv) __attribute__((noreturn));

#endif
