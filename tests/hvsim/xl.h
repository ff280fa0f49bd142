/* SPDX-License-Identifier: GPL-2.0-only */
/* What xl/libxl would have written for a guest (xl.c). */
#ifndef HVSIM_XL_H
#define HVSIM_XL_H

#include <stddef.h>
#include <stdint.h>

struct dom;
struct hvsim;

/* xl-create NAME [-p] (--dom0-dm | kernel=...): the guest's domid. */
int	xl_create_cmd(struct hvsim *, char **args, int n, uint32_t *domid,
	    char *err, size_t errlen);
/* The vm entries libxl writes for a PV domain (kernel, ...; cpus). */
void	xl_write_pv_image(struct hvsim *, const struct dom *d,
	    const char *kernel, const char *ramdisk, const char *cmdline);
/* A device model for guest reports running: xl create's unpause. */
void	xl_dm_running(struct hvsim *, uint32_t guest);

#endif
