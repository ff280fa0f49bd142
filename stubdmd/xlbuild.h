/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The builder process (xlbuild.c): started by the daemon's Xen backend
 * (hv-xen-builder.c), it holds one libxl context and serves the builder
 * protocol (builder.h) on its socket, one request at a time.
 */
#ifndef STUBDMD_XLBUILD_H
#define STUBDMD_XLBUILD_H

#include <sys/types.h>

/* Its name in ps and on its log lines ("stubdmd-build[PID]: ..."). */
#define XLBUILD_COMM	"stubdmd-build"

/*
 * The daemon starts a builder as its own binary run with this argument,
 * the socket's descriptor and the daemon's pid: "stubdmd --builder FD PID"
 * (hv-xen-builder.c says why not a plain fork).
 */
#define XLBUILD_ARG	"--builder"

/* Serve fd until the daemon closes its end. */
void	xlbuild_main(int fd, pid_t parent) __attribute__((noreturn));
/* main's: the two words after XLBUILD_ARG, checked; never returns. */
void	xlbuild_exec_main(const char *fd, const char *parent)
	    __attribute__((noreturn));

#endif
