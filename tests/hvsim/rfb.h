/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A simulated stub's screen: when its QEMU is given -vnc, a small VNC
 * server (RFB 3.8, no authentication, 32-bit true colour, raw encoding)
 * on RUNDIR/vnc-vchan-STUB.sock, where stubdmd's simulated-host backend
 * connects for the stub's vnc-vchan.  The screen is RFB_WIDTH x
 * RFB_HEIGHT with a pattern of the guest's domid (rfb_pixel); each key a
 * client presses goes to hvsim's log: "domain G: vnc key 0xK".
 */
#ifndef HVSIM_RFB_H
#define HVSIM_RFB_H

#include <stdint.h>

struct dom;
struct rfb;

#define RFB_WIDTH	64
#define RFB_HEIGHT	32

/* Serve stub d's screen of guest (0, or -errno). */
int	rfb_serve(struct dom *d, uint32_t guest, struct rfb **out);
void	rfb_free(struct rfb *r);
/* The pixel at (x, y) as 0x00RRGGBB. */
uint32_t rfb_pixel(uint32_t guest, unsigned x, unsigned y);

#endif
