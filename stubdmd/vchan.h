/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A libxenvchan client bridged to a socket inside the event loop: the
 * caller gets one end of a socketpair and speaks to the vchan's server as
 * if it were a stream socket (qmp.c does), with no helper process.  The
 * bridge ends, and frees itself, when either side closes.
 */
#ifndef STUBDMD_VCHAN_H
#define STUBDMD_VCHAN_H

#include <stdint.h>

struct event_base;

/*
 * Connect to the vchan server of domain domid at xenstore path: 0 and *fd
 * (the caller's end, non-blocking), or a negative errno (-ENOTCONN: no
 * server there yet).
 */
int	vchan_open(struct event_base *base, uint32_t domid, const char *path,
	    int *fd);

#endif
