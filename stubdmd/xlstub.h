/* SPDX-License-Identifier: GPL-2.0-only */
/* What a rebuilt libxl Linux stub gets besides the domain (xlstub.c). */
#ifndef STUBDMD_XLSTUB_H
#define STUBDMD_XLSTUB_H

#include <libxl.h>
#include <stdint.h>

/*
 * For the paused stub just built for guest: libxl's consoles 1 and 2, and
 * from 3 on the guest's serial ports: serial's output ("pty",
 * "file:PATH"), or with serial NULL those of libxl's saved configuration
 * of the guest.  0 or -errno.
 */
int	xlstub_serve(libxl_ctx *ctx, uint32_t stub, uint32_t guest,
	    const char *serial);

#endif
