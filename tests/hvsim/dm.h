/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Simulated device models in stub domains, and the faults injected into
 * them.  Once a stub domain with a target is unpaused, its "device model"
 * boots (a delay), then acts as the stub domain on xenstore the way QEMU
 * in a stub does: reads its target, the guest's vm path and its
 * arguments, registers an ioreq server in the guest and writes "running".
 */
#ifndef HVSIM_DM_H
#define HVSIM_DM_H

#include <stddef.h>

struct dom;
struct event;
struct hvsim;
struct qmpd;
struct rfb;

enum dm_fault_kind {
	DM_BUILD_FAIL,
	DM_ATTACH_FAIL,
	DM_CRASH_AFTER,
	DM_NEVER_READY,
	DM_SLOW_BOOT,
};

struct dm_fault {
	struct dm_fault		*next;
	char			*glob;	/* fnmatch on the guest's name */
	enum dm_fault_kind	 kind;
	unsigned		 ms;
	long			 count;	/* stubs left; -1: unlimited */
};

struct dm_faults {
	struct dm_fault		*head;
};

/* What one stub's device model will do, faults applied. */
struct dm_cfg {
	unsigned	boot_ms;
	long		crash_ms;	/* -1: never */
	int		never_ready;
};

struct dm {
	struct dom	*d;
	struct dm_cfg	 cfg;
	struct event	*boot;
	struct event	*crash;
	struct event	*wait;		/* a spare polls for its target */
	struct event	*qemu;		/* target known: QEMU starting */
	struct rfb	*rfb;		/* its screen (-vnc), or NULL */
	int		 booting;	/* boot timer armed (once) */
	int		 crash_armed;	/* crash timer armed (once) */
	int		 deferred;	/* boot time came while paused */
	int		 stopped;	/* the domain died: no more steps */
	int		 spare;		/* booted with no target: waiting */
	int		 incoming;	/* -incoming: loads a device state */
	struct qmpd	*qmp;		/* its monitor, once running */
};

int	dm_init(struct hvsim *);
void	dm_free_faults(struct hvsim *);
/* fault GLOB KIND [MS] [count=N] | fault clear; err says what is wrong. */
int	dm_fault_cmd(struct hvsim *, char **args, int n, char *err,
	    size_t errlen);
/* The faults for the next stub of guest: -EIO for an injected failure. */
int	dm_faults_for(struct hvsim *, const char *guest, struct dm_cfg *);
/* 1 if an attach-fail fault takes this guest's spare (attach-pv). */
int	dm_attach_fails(struct hvsim *, const char *guest);
/* Make d a simulated stub domain. */
int	dm_attach(struct hvsim *, struct dom *d, const struct dm_cfg *);
void	dm_unpaused(struct hvsim *, struct dom *d);
/* The domain died: cancel whatever its device model had pending. */
void	dm_stop(struct hvsim *, struct dom *d);
void	dm_free(struct dm *);

#endif
