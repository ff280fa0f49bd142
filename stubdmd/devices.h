/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An own-mode guest's disks and NICs: read from the PV device backends its
 * toolstack wrote in xenstore (found through the guest's frontends), every
 * field checked, and turned into the QEMU arguments libxl 4.17 writes for
 * a Linux stub domain's device model.
 */
#ifndef STUBDMD_DEVICES_H
#define STUBDMD_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stubdmd/hv.h"

struct xstore;

/* Two words per disk (four for a CD-ROM), two per NIC, "-net none". */
#define DEVICES_ARGS_MAX	(4 * HV_DISKS_MAX + 4 * HV_NICS_MAX + 2)
#define DEVICES_ARG_LEN		160

struct devices_args {
	size_t		 argc;
	const char	*argv[DEVICES_ARGS_MAX];
	char		 buf[DEVICES_ARGS_MAX][DEVICES_ARG_LEN];
};

/*
 * The guest's devices: 0 and out filled (possibly empty), or -errno and
 * err saying which device and field was refused.
 */
int	devices_discover(struct xstore *xs, uint32_t guest,
	    struct hv_devices *out, char *err, size_t errlen);
/* Its disks only (a stub's, whose NICs are not the guest's kind). */
int	devices_discover_disks(struct xstore *xs, uint32_t domid,
	    struct hv_devices *out, char *err, size_t errlen);
/* QEMU's arguments for them, in libxl's forms for a stub domain. */
void	devices_qemu_args(const struct hv_devices *d, uint32_t guest,
	    struct devices_args *a);
/* The number QEMU's ide-cd of a CD-ROM drive is named by: "ide-NUM". */
unsigned devices_dev_number(const struct hv_disk *d);
/* An absolute path of the characters a disk's target may have. */
bool	devices_file_ok(const char *path);
/*
 * The PV disk that carries a medium (file) for CD-ROM drive to the stub:
 * 0 and out, or -EINVAL (not a CD-ROM QEMU emulates, a bad path).
 */
int	devices_medium_disk(const struct hv_disk *drive, const char *file,
	    struct hv_disk *out);
/* "2 disks, 1 NIC" for a log line. */
void	devices_describe(const struct hv_devices *d, char *buf, size_t size);

#endif
