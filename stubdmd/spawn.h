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

/*
 * Fill spec (its strings point into g, g->cfg and name_buf); devs (NULL:
 * none) are the own-mode guest's devices, see devices.h.
 */
int	spawn_spec(const struct guest *g, const struct hv_devices *devs,
	    struct hv_stub_spec *spec, char *name_buf, size_t size);
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
