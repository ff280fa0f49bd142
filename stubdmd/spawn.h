/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Setting up a stub domain the way Xen's own toolstack does (libxl_dm.c),
 * so that existing stub domain images work: target, xenstore entries and
 * permissions, device-model arguments.
 */
#ifndef STUBDMD_SPAWN_H
#define STUBDMD_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stubdmd/hv.h"

struct guest;
struct xstore;

#define SPAWN_NAME_SUFFIX	"-dm"

/* An own-mode stub's console for the guest's serial port: libxl's first. */
#define SPAWN_SERIAL_HVC	"/dev/hvc3"

/*
 * What libxl writes after -incoming for a stub that restores a device
 * state (libxl_dm.c); the image replaces it by console 2's fd.
 */
#define SPAWN_INCOMING_ARG	"$STUBDOM_RESTORE_INCOMING_ARG"

/*
 * Where an own-mode stub's QEMU serves the guest's screen (-vnc unix:),
 * and the vchan, under the stub's device-model/<guest>/, that the image
 * serves it on (images/linux-qemu/init, beside qmp-vchan).
 */
#define SPAWN_VNC_SOCKET	"/run/vnc.sock"
#define SPAWN_VNC_VCHAN		"vnc-vchan"

/*
 * The guest's stub gets a console for its serial port: the policy sets
 * serial, and the image is linux (QEMU's -serial above; Mini-OS's QEMU
 * is given none).
 */
bool	spawn_has_serial(const struct guest *g);

/* The strings a spec holds that are made for it. */
struct spawn_names {
	char	name[512];	/* "<guest>-dm" */
	char	serial[512];	/* the policy's serial, %n expanded */
};

/*
 * Fill spec (its strings point into g, g->cfg and names); devs (NULL:
 * none) are the own-mode guest's devices, see devices.h.  err says what
 * is wrong on failure.
 */
int	spawn_spec(const struct guest *g, const struct hv_devices *devs,
	    struct hv_stub_spec *spec, struct spawn_names *names, char *err,
	    size_t errlen);
/*
 * The files spec names (kernel, ramdisk) are readable regular files: a
 * missing one is said before any build, with its path, whatever the
 * backend would report (libxl only says "libxl error -3").
 */
int	spawn_check_files(const struct hv_stub_spec *spec, char *err,
	    size_t errlen);
/* Everything between a built (paused) stub and its unpause. */
int	spawn_setup(struct hv *hv, struct xstore *xs, const struct guest *g,
	    const struct hv_devices *devs, char *err, size_t errlen);
/* A guest's vm path as read from xenstore: "/vm/..." of [A-Za-z0-9/_-]. */
bool	spawn_vm_path_ok(const char *vm);
/* Where the device model reports its state; "running" means ready. */
void	spawn_ready_path(const struct guest *g, char *buf, size_t size);
/* Remove what spawn_setup wrote about a stub that is gone. */
void	spawn_clear(struct xstore *xs, const struct guest *g, uint32_t stub);

#endif
