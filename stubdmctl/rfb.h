/* SPDX-License-Identifier: GPL-2.0-only */
/* stubdmctl's VNC client: one frame of a guest's screen. */
#ifndef STUBDMCTL_RFB_H
#define STUBDMCTL_RFB_H

#include <stddef.h>

/* The largest side of a screen taken (QEMU's VGA: 2560 x 1600 at most). */
#define CTL_RFB_SIDE_MAX	8192

struct ctl_rfb_image {
	unsigned	 w, h;
	unsigned char	*rgb;	/* w * h pixels, 3 bytes each (malloc'd) */
};

/*
 * Connect to the VNC server on the UNIX socket path, take the whole
 * screen once (raw encoding), within timeout_ms.  0 and *img, or -1 and
 * err says why.
 */
int	ctl_rfb_capture(const char *path, unsigned timeout_ms,
	    struct ctl_rfb_image *img, char *err, size_t errlen);

#endif
