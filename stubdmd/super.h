/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The supervisor: the table of guests, detection from the domain list,
 * and the execution of what the state machine (guest.c) decides.
 */
#ifndef STUBDMD_SUPER_H
#define STUBDMD_SUPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stubdmd/guest.h"
#include "stubdmd/hv.h"

struct stubdmd;
struct policy;
struct super;

/* What a guest's device model is, as seen from Xen and xenstore. */
enum super_mode {
	SUPER_MODE_OWN,		/* stubdmd builds its stub domain */
	SUPER_MODE_ADOPTED,	/* libxl built its stub domain; stubdmd keeps it */
	SUPER_MODE_LIBXL,	/* created by libxl: its device model is libxl's */
	SUPER_MODE_DOM0,	/* a device model process in dom0 */
	SUPER_MODE_OTHER_DM,	/* a device model domain stubdmd did not build */
};

#define SUPER_CDROMS_MAX	5	/* QEMU emulates hda to hde as CD-ROMs */
#define SUPER_MEDIA_WHY		384

/* A CD-ROM drive of an own-mode guest, as its stub has it now. */
struct super_medium {
	struct hv_disk	 drive;		/* the guest's drive (its vbd) */
	unsigned	 number;	/* QEMU's device "ide-NUM" */
	char		 file[HV_PARAMS_MAX];	/* the medium; "": none */
	bool		 ours;		/* inserted by stubdmd: disk below */
	struct hv_disk	 disk;		/* the stub's PV disk carrying it */
};

/* A guest's CD-ROM drives, read at its first change, valid for stub. */
struct super_media {
	int			 stub;
	unsigned		 n;
	struct super_medium	 m[SUPER_CDROMS_MAX];
};

struct super_guest {
	struct guest	 g;
	enum super_mode	 mode;
	char		*console;	/* last console lines of a dead stub */
	struct probe	*probe;		/* liveness over QMP; NULL: none */
	struct super_media *media;	/* NULL: no CD-ROM change asked */
};

struct super_stats {
	uint64_t	spawns;
	uint64_t	build_failures;
	uint64_t	failures;
	uint64_t	restarts;
	uint64_t	giveups;
	uint64_t	dm_deaths;
	uint64_t	dm_hangs;	/* on_dm_hang applied or rebuilt */
	uint64_t	dm_probes;	/* QMP liveness probes sent */
	uint64_t	dm_probe_misses;	/* not answered in time */
	uint64_t	qmp_closed;	/* connections closed: bad input */
	uint64_t	qmp_connections;	/* open now */
	uint64_t	ready;
	uint64_t	scans;
	uint64_t	reconciles;
	uint64_t	events;
	uint64_t	event_us_total;
	uint64_t	event_us_max;
	uint64_t	adopted;
	uint64_t	orphans_destroyed;
	uint64_t	reconcile_us_last;	/* one reconcile pass, whole */
	uint64_t	reconcile_us_max;
	/* The warm pool (pool.h), refreshed when read. */
	uint64_t	pool_target;
	uint64_t	pool_ready;
	uint64_t	pool_building;
	uint64_t	pool_memory_mib;
	uint64_t	pool_built;
	uint64_t	pool_taken;
	uint64_t	pool_build_failures;
	uint64_t	pool_died;
};

/* Called after every state change (the control socket streams them). */
typedef void super_observer(void *arg, const struct super_guest *sg,
	    enum guest_state old);

struct super *super_new(struct stubdmd *sd);
void	super_free(struct super *s);
void	super_start(struct super *s);
void	super_reconcile(struct super *s, const char *why);
/* The daemon stops: the pool's spares are destroyed; stubs stay. */
void	super_stop(struct super *s);
void	super_set_policy(struct super *s, const struct policy *p);
void	super_set_observer(struct super *s, super_observer *cb, void *arg);

struct super_guest *super_find(struct super *s, const char *name_or_domid);
struct super_guest *super_get(struct super *s, uint32_t domid);
struct super_guest *super_next(struct super *s, struct super_guest *prev);
size_t	super_count(const struct super *s, int state);	/* -1: all */
const struct super_stats *super_stats(struct super *s);

/* stubdmd keeps its stub domain: its own, or libxl's adopted. */
bool	super_supervised(const struct super_guest *sg);
/* Operator requests; 0 or a negative errno. */
int	super_stop_guest(struct super *s, struct super_guest *sg);
int	super_start_guest(struct super *s, struct super_guest *sg);
int	super_restart_guest(struct super *s, struct super_guest *sg);

const char *super_mode_name(enum super_mode m);

/*
 * CD-ROM changes of an own-mode guest (super-media.c): 0, then cb once
 * with 0 or a negative errno and why; or at once a negative errno and
 * why (size bytes): -EOPNOTSUPP (not own mode), -EAGAIN (not running),
 * -EHOSTDOWN (its device model does not answer), -EBUSY (a change under
 * way), -ENODEV (no such drive), -EINVAL, -ENOENT, -EACCES (the file),
 * -EEXIST (a medium is in; eject it first), -ENOMEDIUM (none to eject).
 */
typedef void super_media_cb(void *arg, int err, const char *why);
int	super_media_insert(struct super *s, struct super_guest *sg,
	    const char *device, const char *file, super_media_cb *cb,
	    void *arg, char *why, size_t size);
int	super_media_eject(struct super *s, struct super_guest *sg,
	    const char *device, super_media_cb *cb, void *arg, char *why,
	    size_t size);
/* arg's caller is gone: changes under way go on, it is not told. */
void	super_media_forget(struct super *s, void *arg);

/*
 * The device state of a paused own-mode guest (super-state.c), saved to
 * a new file, or restored from one by a new stub: 0, then cb once with 0
 * or a negative errno and why; or at once a negative errno and why:
 * -EOPNOTSUPP (not own mode from a Linux image, or no dom0 QEMU serves
 * the stub's consoles), -EAGAIN (its device model is not running),
 * -EBUSY (the guest is not paused), -EHOSTDOWN (not reached over QMP),
 * -EINPROGRESS (a save, restore or CD-ROM change under way), -ENOSPC (no
 * ioreq slot for a new stub), -EINVAL, -ENOENT, -EEXIST, -EACCES ... (the
 * file).
 */
typedef void super_state_cb(void *arg, int err, const char *why);
int	super_state_save(struct super *s, struct super_guest *sg,
	    const char *file, super_state_cb *cb, void *arg, char *why,
	    size_t size);
int	super_state_restore(struct super *s, struct super_guest *sg,
	    const char *file, super_state_cb *cb, void *arg, char *why,
	    size_t size);
void	super_state_forget(struct super *s, void *arg);

#endif
