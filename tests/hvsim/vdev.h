/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PV devices: a guest's, as a toolstack writes their backends and
 * frontends to xenstore (add-dev), and a stub domain's, as the toolstack
 * that built it gave them (build-pv's vbd= and vif= words); the stub's
 * simulated QEMU checks its arguments against the latter.
 */
#ifndef HVSIM_VDEV_H
#define HVSIM_VDEV_H

#include <stddef.h>
#include <stdint.h>

struct dom;
struct hvsim;

#define VDEV_MAX	32	/* devices one stub may be given */

struct vdevs {
	size_t	 n;
	char	*word[VDEV_MAX];	/* "vbd=..." or "vif=..." */
};

/* add-dev DOM vbd|qdisk|vif DEVID [KEY=VALUE]...: err says what's wrong. */
int	vdev_add_cmd(struct hvsim *, char **args, int n, char *err,
	    size_t errlen);
/* create-hvm's dev=KIND/DEVID/KEY=VALUE and flood=KIND:N words. */
int	vdev_create_word(struct hvsim *, const struct dom *, const char *word,
	    char *err, size_t errlen);
int	vdev_flood_word(struct hvsim *, const struct dom *, const char *word,
	    char *err, size_t errlen);
/* A stub's vbd= word written to xenstore as libxl would, and removed. */
int	vdev_stub_disk_write(struct hvsim *, const struct dom *,
	    const char *word);
void	vdev_stub_disk_forget(struct hvsim *, const struct dom *,
	    const char *word);
/* The vbd=/vif= words among build-pv's arguments into *out (malloc'd). */
int	vdev_parse(char **args, int n, struct vdevs **out, char *err,
	    size_t errlen);
void	vdev_free(struct vdevs *);
/*
 * QEMU's arguments (one line, space-separated) against the stub's
 * devices: 0, or -EINVAL with why naming the first mismatch.
 */
int	vdev_check_args(const struct vdevs *, uint32_t guest, const char *line,
	    char *why, size_t size);

#endif
