/* SPDX-License-Identifier: GPL-2.0-only */
/* What a rebuilt libxl Linux stub gets besides the domain (xlstub.c). */
#ifndef STUBDMD_XLSTUB_H
#define STUBDMD_XLSTUB_H

#include <libxl.h>
#include <stdint.h>

/*
 * For the paused stub just built for guest: libxl's consoles 1 and 2, and
 * from 3 on the guest's serial ports: serial's output ("pty",
 * "file:PATH"; "": none), or with serial NULL those of libxl's saved
 * configuration of the guest.  restore (NULL or "": none) is a file in
 * dom0 that console 2 reads, a device state for QEMU's -incoming.  0 or
 * -errno.
 */
int	xlstub_serve(libxl_ctx *ctx, uint32_t stub, uint32_t guest,
	    const char *serial, const char *restore);

/*
 * A pooled spare's console 1 is a libxl channel (pty): what makes libxl
 * start the dom0 QEMU that serves the consoles and qdisk disks it is
 * given when taken.  xlstub_serve_spare gives it console 2 and the
 * serial port for guest.
 */
#define XLSTUB_SPARE_CHANNEL	"org.stubdm.spare"
#define XLSTUB_SPARE_CONSOLE	1
int	xlstub_serve_spare(uint32_t stub, uint32_t guest, const char *serial);

#endif
