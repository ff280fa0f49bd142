/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The per-guest state machine: pure logic.  Each guest_on_* function takes
 * an event and the time, changes the guest and returns the actions the
 * supervisor must carry out (GUEST_DO_*).  No I/O happens here, so every
 * transition is unit-tested with a fake clock (tests/unit/test-guest.c).
 */
#ifndef STUBDMD_GUEST_H
#define STUBDMD_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stubdmd/policy.h"

/* Xen gives each guest this many ioreq servers; a dead stub's stays. */
#define GUEST_IOREQ_SLOTS	8
/* Restart times remembered for the restart window (and persisted). */
#define GUEST_RESTART_LOG	64
#define GUEST_DYING_MAX		GUEST_IOREQ_SLOTS
#define GUEST_REASON_MAX	200

enum guest_state {
	GUEST_DETECTED,
	GUEST_IGNORED,
	GUEST_SPAWNING,
	GUEST_STARTING,
	GUEST_RUNNING,
	GUEST_BACKOFF,
	GUEST_FAILED,
	GUEST_STOPPING,
	GUEST_STOPPED,
	GUEST_NSTATES
};

/* Why the last stub domain ended. */
enum guest_exit {
	GUEST_EXIT_NONE,
	GUEST_EXIT_CRASHED,		/* shut down: crash, watchdog, reboot */
	GUEST_EXIT_SHUTDOWN,		/* shut down cleanly (poweroff) */
	GUEST_EXIT_DESTROYED,		/* destroyed by someone else */
	GUEST_EXIT_NEVER_READY,		/* start_timeout passed */
	GUEST_EXIT_BUILD_FAILED,	/* build or set-up failed */
	GUEST_EXIT_STOPPED,		/* operator stop */
	GUEST_EXIT_HUNG,		/* stopped answering QMP probes */
	GUEST_EXIT_SAVED,		/* ended by its guest's save or
					 * migration (libxl destroyed it) */
	GUEST_EXIT_REPLACED,		/* replaced by a stub that restores
					 * a saved device state */
	GUEST_NEXITS
};

/* Actions, carried out by the supervisor in this order. */
enum {
	GUEST_DO_DESTROY_STUB	= 1 << 0,	/* destroy g->stub_domid */
	GUEST_DO_BUILD		= 1 << 1,	/* build a new stub domain */
	GUEST_DO_START_STUB	= 1 << 2,	/* set up, unpause, wait ready */
	GUEST_DO_UNPAUSE_GUEST	= 1 << 3,
	GUEST_DO_DM_DEATH	= 1 << 4,	/* apply cfg->on_dm_death */
	GUEST_DO_GIVEUP		= 1 << 5,	/* apply cfg->on_giveup */
	GUEST_DO_TIMER		= 1 << 6,	/* (re)arm timer at deadline */
	GUEST_DO_FORGET		= 1 << 7,	/* guest gone: drop it */
	GUEST_DO_DM_HANG	= 1 << 8,	/* apply cfg->on_dm_hang */
};

/*
 * What libxl built an adopted stub domain from (its vm path's image/
 * kernel, ramdisk, cmdline; its memory and vCPUs): a rebuild uses the same,
 * with the arguments libxl wrote for the guest.  An empty kernel means
 * "ask libxl's saved configuration of the guest" (the real backend does).
 */
struct guest_build {
	char		*kernel;
	char		*ramdisk;
	char		*cmdline;
	unsigned	 memory_mib;
	unsigned	 vcpus;
};

struct guest {
	uint32_t	 domid;
	char		*name;
	char		 uuid[37];
	enum guest_state state;
	uint64_t	 state_since;	/* monotonic ms */
	const struct policy_settings *cfg;

	int		 stub_domid;	/* -1: none */
	char		 stub_uuid[37];	/* chosen before the build */
	bool		 ever_ran;	/* the guest has been unpaused */
	unsigned	 starts;	/* stubs unpaused: ioreq slots used */
	unsigned	 restarts;	/* rebuilds, all time */
	unsigned	 backoff_step;
	uint64_t	 deadline;	/* start timeout or end of back-off */
	uint64_t	 spawn_since;	/* monotonic ms: the build began */
	uint64_t	 ready_ms;	/* the last build that got ready took */
	bool		 ready_timed;	/* ready_ms is known */
	/* GUEST_RESTART_LOG times from the first restart on; NULL before. */
	uint64_t	*restart_log;
	unsigned	 nrestart_log;

	enum guest_exit	 last_exit;
	uint64_t	 last_exit_wall; /* realtime ms, for people */
	char		 reason[GUEST_REASON_MAX];

	uint32_t	 dying[GUEST_DYING_MAX];	/* lingering dead stubs */
	unsigned	 ndying;

	struct guest_build *adopted;	/* NULL: stubdmd's own stub */
	/* Its stub ended while it was suspended (saved, migrated): if it
	 * runs again without one, its device model is lost. */
	bool		 ended_in_save;
	/*
	 * The stub being built restores the device state in this file in
	 * dom0 (malloc'd; NULL: a fresh device model).  Kept from the
	 * restore until that stub is ready or fails.
	 */
	char		*restore_file;
};

/* The clock and the jitter source, injectable for tests. */
struct guest_env {
	uint64_t	now;		/* monotonic ms */
	uint64_t	wall;		/* realtime ms */
	uint32_t	random;		/* fresh random bits */
};

void	guest_init(struct guest *g, uint32_t domid, const char *name,
	    const char *uuid, const struct policy_settings *cfg);
void	guest_release(struct guest *g);

unsigned guest_on_detected(struct guest *g, const struct guest_env *e);
/* Supervise a stub someone else built (running: its DM said so). */
unsigned guest_on_adopted(struct guest *g, const struct guest_env *e,
	    uint32_t stub_domid, bool running);
/* Take b (malloc'd strings) as the adopted stub's build; NULL: none. */
void	guest_set_adopted(struct guest *g, struct guest_build *b);
void	guest_build_free(struct guest_build *b);
unsigned guest_on_built(struct guest *g, const struct guest_env *e,
	    uint32_t stub_domid);
/*
 * A build or set-up failed with err (a negative errno) for reason why.  A
 * failure no retry can change (guest_build_error_permanent) gives up at
 * once; any other is restarted like a crash.
 */
unsigned guest_on_build_failed(struct guest *g, const struct guest_env *e,
	    int err, const char *why);
/* The one place that tells a permanent build error from a transient one. */
bool	guest_build_error_permanent(int err);
unsigned guest_on_stub_started(struct guest *g, const struct guest_env *e);
unsigned guest_on_ready(struct guest *g, const struct guest_env *e);
unsigned guest_on_timer(struct guest *g, const struct guest_env *e);
unsigned guest_on_stub_died(struct guest *g, const struct guest_env *e,
	    enum guest_exit why, const char *detail);
/* Its stub ended after the guest itself shut down: no failure. */
unsigned guest_on_guest_shut_down(struct guest *g, const struct guest_env *e,
	    const char *detail);
/*
 * The running stub's device model stopped answering (probe.h): a guest
 * that never ran gets a new stub as after a death; one that ran gets
 * on_dm_hang, its hung stub kept for the post-mortem.
 */
unsigned guest_on_hung(struct guest *g, const struct guest_env *e,
	    const char *detail);
/* Its stub ended while the guest was suspended (a save, a migration). */
unsigned guest_on_guest_suspended(struct guest *g, const struct guest_env *e,
	    enum guest_exit how, const char *detail);
/*
 * Replace the running stub of a guest (paused: the caller checked) by one
 * that loads the device state in file (copied: the supervisor's copy in
 * dom0): no failure and no restart counted.  The guest counts as having
 * run: a fresh device model would lose its state.  0 and no change if the
 * guest has no running stub or there is no memory for the name.
 */
unsigned guest_on_restore(struct guest *g, const struct guest_env *e,
	    const char *file);
/* A guest whose stub ended in a save runs again without one. */
unsigned guest_on_resumed(struct guest *g, const struct guest_env *e,
	    const char *detail);
unsigned guest_on_gone(struct guest *g, const struct guest_env *e);
unsigned guest_on_stop(struct guest *g, const struct guest_env *e);
unsigned guest_on_start(struct guest *g, const struct guest_env *e);
void	guest_observe_ran(struct guest *g);
void	guest_set_policy(struct guest *g, const struct policy_settings *cfg);

/* A dead stub that lingers (Xen keeps its ioreq server registered). */
void	guest_add_dying(struct guest *g, uint32_t stub);
void	guest_drop_dying(struct guest *g, uint32_t stub);
bool	guest_is_dying_stub(const struct guest *g, uint32_t stub);

uint64_t guest_backoff_ms(const struct policy_settings *cfg, unsigned step,
	    uint32_t random);
unsigned guest_restarts_in_window(const struct guest *g, uint64_t now);
/* Replace the restart log with n times (a record read back); 0 or -errno. */
int	guest_set_restart_log(struct guest *g, const uint64_t *t, unsigned n);

const char *guest_state_name(enum guest_state s);
int	guest_state_parse(const char *s, enum guest_state *out);
const char *guest_exit_name(enum guest_exit x);
int	guest_exit_parse(const char *s, enum guest_exit *out);

#endif
