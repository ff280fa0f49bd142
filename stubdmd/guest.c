/* SPDX-License-Identifier: GPL-2.0-only */
/* The per-guest state machine and restart policy (pure logic, no I/O). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stubdmd/guest.h"

static const char *const guest_state_names[GUEST_NSTATES] = {
	[GUEST_DETECTED] = "detected",
	[GUEST_IGNORED] = "ignored",
	[GUEST_SPAWNING] = "spawning",
	[GUEST_STARTING] = "starting",
	[GUEST_RUNNING] = "running",
	[GUEST_BACKOFF] = "backoff",
	[GUEST_FAILED] = "failed",
	[GUEST_STOPPING] = "stopping",
	[GUEST_STOPPED] = "stopped",
};

static const char *const guest_exit_names[GUEST_NEXITS] = {
	[GUEST_EXIT_NONE] = "none",
	[GUEST_EXIT_CRASHED] = "crashed",
	[GUEST_EXIT_SHUTDOWN] = "shutdown",
	[GUEST_EXIT_DESTROYED] = "destroyed",
	[GUEST_EXIT_NEVER_READY] = "never-ready",
	[GUEST_EXIT_BUILD_FAILED] = "build-failed",
	[GUEST_EXIT_STOPPED] = "stopped",
	[GUEST_EXIT_HUNG] = "hung",
	[GUEST_EXIT_SAVED] = "saved",
	[GUEST_EXIT_REPLACED] = "replaced",
};

static int
guest_name_lookup(const char *const *names, int n, const char *s)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

const char *
guest_state_name(enum guest_state s)
{
	return s < GUEST_NSTATES ? guest_state_names[s] : "invalid";
}

int
guest_state_parse(const char *s, enum guest_state *out)
{
	int i = guest_name_lookup(guest_state_names, GUEST_NSTATES, s);

	if (i < 0)
		return -1;
	*out = (enum guest_state)i;
	return 0;
}

const char *
guest_exit_name(enum guest_exit x)
{
	return x < GUEST_NEXITS ? guest_exit_names[x] : "invalid";
}

int
guest_exit_parse(const char *s, enum guest_exit *out)
{
	int i = guest_name_lookup(guest_exit_names, GUEST_NEXITS, s);

	if (i < 0)
		return -1;
	*out = (enum guest_exit)i;
	return 0;
}

void
guest_init(struct guest *g, uint32_t domid, const char *name,
    const char *uuid, const struct policy_settings *cfg)
{
	memset(g, 0, sizeof(*g));
	g->domid = domid;
	g->name = strdup(name ? name : "");
	snprintf(g->uuid, sizeof(g->uuid), "%s", uuid ? uuid : "");
	g->state = GUEST_DETECTED;
	g->cfg = cfg;
	g->stub_domid = -1;
}

void
guest_build_free(struct guest_build *b)
{
	if (b == NULL)
		return;
	free(b->kernel);
	free(b->ramdisk);
	free(b->cmdline);
	free(b);
}

void
guest_set_adopted(struct guest *g, struct guest_build *b)
{
	guest_build_free(g->adopted);
	g->adopted = b;
}

void
guest_release(struct guest *g)
{
	free(g->name);
	g->name = NULL;
	free(g->restart_log);
	g->restart_log = NULL;
	g->nrestart_log = 0;
	free(g->restore_file);
	g->restore_file = NULL;
	guest_set_adopted(g, NULL);
}

static void
guest_set_state(struct guest *g, const struct guest_env *e,
    enum guest_state s)
{
	/* A restore ends with its stub's build: ready or not. */
	if (s != GUEST_SPAWNING && s != GUEST_STARTING) {
		free(g->restore_file);
		g->restore_file = NULL;
	}
	if (s == GUEST_SPAWNING)
		g->spawn_since = e->now;
	g->state = s;
	g->state_since = e->now;
}

static void __attribute__((format(printf, 2, 3)))
guest_set_reason(struct guest *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->reason, sizeof(g->reason), fmt, ap);
	va_end(ap);
}

uint64_t
guest_backoff_ms(const struct policy_settings *cfg, unsigned step,
    uint32_t random)
{
	uint64_t base = cfg->backoff_initial_ms, delay;

	while (step-- > 0 && base < cfg->backoff_max_ms)
		base *= 2;
	/* Up to 10% jitter, so guests that failed together spread out. */
	delay = base + random % (base / 10 + 1);
	return delay < cfg->backoff_max_ms ? delay : cfg->backoff_max_ms;
}

unsigned
guest_restarts_in_window(const struct guest *g, uint64_t now)
{
	unsigned i, n = 0;

	for (i = 0; i < g->nrestart_log; i++)
		if (g->restart_log[i] + g->cfg->restart_window_ms > now)
			n++;
	return n;
}

/*
 * The log's room (512 bytes) comes with the first restart: most guests
 * never restart, and inline it was 512 of the 1,128 bytes of each
 * supervised guest's record.
 */
static int
guest_restart_log_room(struct guest *g)
{
	if (g->restart_log == NULL && (g->restart_log =
	    calloc(GUEST_RESTART_LOG, sizeof(*g->restart_log))) == NULL)
		return -ENOMEM;
	return 0;
}

int
guest_set_restart_log(struct guest *g, const uint64_t *t, unsigned n)
{
	if (n > GUEST_RESTART_LOG)
		return -E2BIG;
	g->nrestart_log = 0;
	if (n == 0)
		return 0;
	if (guest_restart_log_room(g) < 0)
		return -ENOMEM;
	memcpy(g->restart_log, t, n * sizeof(*t));
	g->nrestart_log = n;
	return 0;
}

static int
guest_log_restart(struct guest *g, uint64_t now)
{
	if (guest_restart_log_room(g) < 0)
		return -ENOMEM;
	if (g->nrestart_log == GUEST_RESTART_LOG) {
		memmove(g->restart_log, g->restart_log + 1,
		    sizeof(g->restart_log[0]) * (GUEST_RESTART_LOG - 1));
		g->nrestart_log--;
	}
	g->restart_log[g->nrestart_log++] = now;
	return 0;
}

static unsigned
guest_give_up(struct guest *g, const struct guest_env *e, const char *why)
{
	char detail[GUEST_REASON_MAX];

	snprintf(detail, sizeof(detail), "%s", g->reason);
	guest_set_reason(g, "%s; gave up: %s", detail, why);
	guest_set_state(g, e, GUEST_FAILED);
	return GUEST_DO_GIVEUP;
}

/* A stub died or could not be started: restart, give up or on_dm_death. */
static unsigned
guest_failure(struct guest *g, const struct guest_env *e, enum guest_exit why,
    const char *detail)
{
	char buf[64];

	g->last_exit = why;
	g->last_exit_wall = e->wall;
	guest_set_reason(g, "%s", detail);
	if (g->ever_ran) {
		/* A fresh device model would not have the old device state. */
		guest_set_state(g, e, GUEST_FAILED);
		return GUEST_DO_DM_DEATH;
	}
	if (g->cfg->restart == POLICY_RESTART_NEVER)
		return guest_give_up(g, e, "restart = never");
	if (g->cfg->restart == POLICY_RESTART_ON_FAILURE &&
	    why == GUEST_EXIT_SHUTDOWN) {
		guest_set_state(g, e, GUEST_FAILED);
		return 0;
	}
	if (g->starts >= GUEST_IOREQ_SLOTS)
		return guest_give_up(g, e, "no ioreq-server slot left in the "
		    "guest");
	if (guest_restarts_in_window(g, e->now) >= g->cfg->max_restarts) {
		snprintf(buf, sizeof(buf), "max_restarts = %u reached",
		    g->cfg->max_restarts);
		return guest_give_up(g, e, buf);
	}
	/* A restart that cannot be counted could loop for ever. */
	if (guest_log_restart(g, e->now) < 0)
		return guest_give_up(g, e, "out of memory to count restarts");
	g->deadline = e->now + guest_backoff_ms(g->cfg, g->backoff_step++,
	    e->random);
	guest_set_state(g, e, GUEST_BACKOFF);
	return GUEST_DO_TIMER;
}

unsigned
guest_on_detected(struct guest *g, const struct guest_env *e)
{
	if (!g->cfg->stubdom) {
		guest_set_reason(g, "policy: stubdom = no");
		guest_set_state(g, e, GUEST_IGNORED);
		return 0;
	}
	guest_set_state(g, e, GUEST_SPAWNING);
	return GUEST_DO_BUILD;
}

unsigned
guest_on_adopted(struct guest *g, const struct guest_env *e,
    uint32_t stub_domid, bool running)
{
	g->stub_domid = (int)stub_domid;
	g->starts++;	/* its device model holds one ioreq slot */
	if (running) {
		guest_set_state(g, e, GUEST_RUNNING);
		return 0;
	}
	g->deadline = e->now + g->cfg->start_timeout_ms;
	guest_set_state(g, e, GUEST_STARTING);
	return GUEST_DO_TIMER;
}

unsigned
guest_on_built(struct guest *g, const struct guest_env *e,
    uint32_t stub_domid)
{
	g->stub_domid = (int)stub_domid;
	if (g->state != GUEST_SPAWNING)	/* stopped or gone meanwhile */
		return GUEST_DO_DESTROY_STUB;
	g->deadline = e->now + g->cfg->start_timeout_ms;
	guest_set_state(g, e, GUEST_STARTING);
	return GUEST_DO_START_STUB | GUEST_DO_TIMER;
}

/*
 * Errors that say the inputs of the build are wrong: the guest's name, the
 * policy's kernel, ramdisk or arguments.  The same inputs fail the same way
 * on every retry; only the operator can change them (then `stubdmctl
 * start`).  Anything else (no memory, a timeout, a helper that died, an
 * I/O error, libxl's generic failure) may pass, and is retried.
 */
static const int guest_permanent_errors[] = {
	ENAMETOOLONG,	/* "<name>-dm" cannot be formed */
	ENOENT,		/* the kernel or ramdisk is not there */
	ENOTDIR,
	EISDIR,		/* the kernel or ramdisk is a directory */
	ELOOP,
	ENOEXEC,	/* not a kernel */
	E2BIG,		/* the device-model arguments do not fit */
	EINVAL,		/* a spec the hypervisor refuses (name, size) */
};

bool
guest_build_error_permanent(int err)
{
	size_t i;

	for (i = 0; i < sizeof(guest_permanent_errors) /
	    sizeof(guest_permanent_errors[0]); i++)
		if (err == -guest_permanent_errors[i])
			return true;
	return false;
}

unsigned
guest_on_build_failed(struct guest *g, const struct guest_env *e, int err,
    const char *why)
{
	unsigned acts = g->stub_domid >= 0 ? GUEST_DO_DESTROY_STUB : 0;

	if (g->state != GUEST_SPAWNING && g->state != GUEST_STARTING)
		return acts;
	/* A guest that ran follows on_dm_death whatever the cause. */
	if (!guest_build_error_permanent(err) || g->ever_ran)
		return acts | guest_failure(g, e, GUEST_EXIT_BUILD_FAILED, why);
	g->last_exit = GUEST_EXIT_BUILD_FAILED;
	g->last_exit_wall = e->wall;
	guest_set_reason(g, "permanent build failure: %s", why);
	guest_set_state(g, e, GUEST_FAILED);
	return acts | GUEST_DO_GIVEUP;
}

unsigned
guest_on_stub_started(struct guest *g, const struct guest_env *e)
{
	g->starts++;
	return 0;
}

unsigned
guest_on_ready(struct guest *g, const struct guest_env *e)
{
	if (g->state != GUEST_STARTING)
		return 0;
	/* An adopted stub was built by someone else: nothing to time. */
	if (g->spawn_since != 0) {
		g->ready_ms = e->now - g->spawn_since;
		g->ready_timed = true;
		g->spawn_since = 0;
	}
	if (g->restore_file != NULL)
		guest_set_reason(g, "device state restored from %s",
		    g->restore_file);
	guest_set_state(g, e, GUEST_RUNNING);
	g->backoff_step = 0;
	/* An adopted guest's toolstack decides when it runs (xl create -p). */
	if (g->cfg->unpause_guest && !g->ever_ran && g->adopted == NULL)
		return GUEST_DO_UNPAUSE_GUEST;
	return 0;
}

unsigned
guest_on_timer(struct guest *g, const struct guest_env *e)
{
	if (e->now < g->deadline)
		return GUEST_DO_TIMER;
	switch (g->state) {
	case GUEST_STARTING:
		return GUEST_DO_DESTROY_STUB | guest_failure(g, e,
		    GUEST_EXIT_NEVER_READY, "device model not ready within "
		    "start_timeout");
	case GUEST_BACKOFF:
		g->restarts++;
		guest_set_state(g, e, GUEST_SPAWNING);
		return GUEST_DO_BUILD;
	default:
		return 0;
	}
}

unsigned
guest_on_stub_died(struct guest *g, const struct guest_env *e,
    enum guest_exit why, const char *detail)
{
	if (g->state != GUEST_STARTING && g->state != GUEST_RUNNING)
		return 0;
	return GUEST_DO_DESTROY_STUB | guest_failure(g, e, why, detail);
}

/*
 * The guest itself shut down (poweroff, reboot, crash) and its device
 * model ended with it, as QEMU does: nothing failed; the stub goes, the
 * guest's toolstack decides the rest (destroy, or a new domain).
 */
unsigned
guest_on_guest_shut_down(struct guest *g, const struct guest_env *e,
    const char *detail)
{
	if (g->state != GUEST_STARTING && g->state != GUEST_RUNNING)
		return 0;
	g->last_exit = GUEST_EXIT_SHUTDOWN;
	g->last_exit_wall = e->wall;
	guest_set_reason(g, "%s", detail);
	guest_set_state(g, e, GUEST_STOPPED);
	return GUEST_DO_DESTROY_STUB;
}

/*
 * The guest is suspended (Xen's shutdown reason "suspend": libxl saves
 * or migrates it) and its stub ended.  libxl destroys the stub once it
 * has the device state, and the guest next: that is no device-model
 * death, and no rebuild (the restored guest is a new domain with a stub
 * of its own).  A stub that ended by itself (HOW crashed or shutdown) is
 * a real death during the save, whose save then fails: kept as its exit.
 * Either way the guest waits in STOPPED; if it runs again without a stub
 * (a failed save resumed), guest_on_resumed applies on_dm_death.
 */
unsigned
guest_on_guest_suspended(struct guest *g, const struct guest_env *e,
    enum guest_exit how, const char *detail)
{
	if (g->state != GUEST_STARTING && g->state != GUEST_RUNNING)
		return 0;
	g->last_exit = how == GUEST_EXIT_DESTROYED ? GUEST_EXIT_SAVED : how;
	g->last_exit_wall = e->wall;
	g->ended_in_save = true;
	guest_set_reason(g, "%s", detail);
	guest_set_state(g, e, GUEST_STOPPED);
	return GUEST_DO_DESTROY_STUB;
}

unsigned
guest_on_restore(struct guest *g, const struct guest_env *e,
    const char *file)
{
	char *copy;

	if (g->state != GUEST_RUNNING || g->stub_domid < 0 ||
	    (copy = strdup(file)) == NULL)
		return 0;
	g->ever_ran = true;
	g->last_exit = GUEST_EXIT_REPLACED;
	g->last_exit_wall = e->wall;
	guest_set_reason(g, "replaced by a stub that restores the device "
	    "state in %s", file);
	guest_set_state(g, e, GUEST_SPAWNING);
	g->restore_file = copy;		/* after: the change of state ends one */
	return GUEST_DO_DESTROY_STUB | GUEST_DO_BUILD;
}

unsigned
guest_on_resumed(struct guest *g, const struct guest_env *e,
    const char *detail)
{
	if (g->state != GUEST_STOPPED || !g->ended_in_save)
		return 0;
	g->ended_in_save = false;
	guest_set_reason(g, "%s", detail);
	guest_set_state(g, e, GUEST_FAILED);
	return GUEST_DO_DM_DEATH;
}

unsigned
guest_on_hung(struct guest *g, const struct guest_env *e, const char *detail)
{
	if (g->state != GUEST_RUNNING)
		return 0;
	if (!g->ever_ran)	/* destroyed and rebuilt as a dead one is */
		return GUEST_DO_DESTROY_STUB | guest_failure(g, e,
		    GUEST_EXIT_HUNG, detail);
	g->last_exit = GUEST_EXIT_HUNG;
	g->last_exit_wall = e->wall;
	guest_set_reason(g, "%s", detail);
	guest_set_state(g, e, GUEST_FAILED);
	return GUEST_DO_DM_HANG;
}

unsigned
guest_on_gone(struct guest *g, const struct guest_env *e)
{
	unsigned acts = GUEST_DO_FORGET;

	if (g->stub_domid >= 0)
		acts |= GUEST_DO_DESTROY_STUB;
	guest_set_state(g, e, GUEST_STOPPING);
	return acts;
}

unsigned
guest_on_stop(struct guest *g, const struct guest_env *e)
{
	unsigned acts = 0;

	if (g->stub_domid >= 0) {
		acts |= GUEST_DO_DESTROY_STUB;
		g->last_exit = GUEST_EXIT_STOPPED;
		g->last_exit_wall = e->wall;
	}
	guest_set_reason(g, "stopped by the operator");
	guest_set_state(g, e, GUEST_STOPPED);
	return acts;
}

unsigned
guest_on_start(struct guest *g, const struct guest_env *e)
{
	switch (g->state) {
	case GUEST_SPAWNING:
	case GUEST_STARTING:
	case GUEST_RUNNING:
	case GUEST_STOPPING:
		return 0;
	default:
		break;
	}
	/* The operator's start is a fresh start: forget the crash loop. */
	g->ended_in_save = false;
	g->nrestart_log = 0;
	g->backoff_step = 0;
	g->reason[0] = '\0';
	guest_set_state(g, e, GUEST_SPAWNING);
	return GUEST_DO_BUILD;
}

void
guest_observe_ran(struct guest *g)
{
	g->ever_ran = true;
}

void
guest_set_policy(struct guest *g, const struct policy_settings *cfg)
{
	g->cfg = cfg;
}

void
guest_add_dying(struct guest *g, uint32_t stub)
{
	if (guest_is_dying_stub(g, stub))
		return;
	if (g->ndying == GUEST_DYING_MAX) {
		memmove(g->dying, g->dying + 1,
		    sizeof(g->dying[0]) * (GUEST_DYING_MAX - 1));
		g->ndying--;
	}
	g->dying[g->ndying++] = stub;
}

void
guest_drop_dying(struct guest *g, uint32_t stub)
{
	unsigned i;

	for (i = 0; i < g->ndying; i++) {
		if (g->dying[i] != stub)
			continue;
		g->dying[i] = g->dying[--g->ndying];
		return;
	}
}

bool
guest_is_dying_stub(const struct guest *g, uint32_t stub)
{
	unsigned i;

	for (i = 0; i < g->ndying; i++)
		if (g->dying[i] == stub)
			return true;
	return false;
}
