/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The builder process (xlbuild.c): forked by the daemon's Xen backend
 * (hv-xen-builder.c), it holds one libxl context and serves the builder
 * protocol (builder.h) on its socket, one request at a time.
 */
#ifndef STUBDMD_XLBUILD_H
#define STUBDMD_XLBUILD_H

#include <sys/types.h>

/* Its name in ps and on its log lines ("stubdmd-build[PID]: ..."). */
#define XLBUILD_COMM	"stubdmd-build"

/* In the child just forked: serve fd until the daemon closes its end. */
void	xlbuild_main(int fd, pid_t parent) __attribute__((noreturn));

#endif
