/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guests' screens in dom0: for each own-mode guest whose stub serves
 * its VNC (policy vga), a UNIX socket RUNDIR/vnc/<guest>.sock relayed to
 * the stub's vnc-vchan (hv_ops.chan_open), one client at a time, inside
 * the event loop.  RUNDIR is the control socket's directory.
 */
#ifndef STUBDMD_VNC_H
#define STUBDMD_VNC_H

#include <stddef.h>
#include <stdint.h>

struct stubdmd;
struct vnc;

/* Bytes held for one client in each direction: a flood waits there. */
#define VNC_BUF_MAX		65536
/* How often the sockets follow the guest table and the policy (ms). */
#define VNC_SYNC_MS		500

int	vnc_new(struct stubdmd *sd, struct vnc **out);
void	vnc_free(struct vnc *v);
/* The sockets follow the guests now (also every VNC_SYNC_MS). */
void	vnc_sync(struct vnc *v);
/* Guest domid's screen socket, NULL if it has none. */
const char *vnc_path(const struct vnc *v, uint32_t domid);

#endif
