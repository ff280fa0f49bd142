/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The supervisor.  Detection: every @introduceDomain/@releaseDomain (and
 * the periodic reconcile) lists all domains in one call and diffs the list
 * against what is known; watch events that arrive together share one scan.
 * The decisions are guest.c's; this file carries them out through the
 * hypervisor backend and xenstore, and keeps each guest's record in
 * xenstore so that a restarted daemon re-adopts its stub domains.
 */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include "stubdmd/clock.h"
#include "stubdmd/devices.h"
#include "stubdmd/hv.h"
#include "stubdmd/log.h"
#include "stubdmd/persist.h"
#include "stubdmd/policy.h"
#include "stubdmd/pool.h"
#include "stubdmd/spawn.h"
#include "stubdmd/stubdmd.h"
#include "stubdmd/super.h"
#include "stubdmd/super-int.h"
#include "stubdmd/xstore.h"

static const char *const super_mode_names[] = {
	[SUPER_MODE_OWN] = "own",
	[SUPER_MODE_ADOPTED] = "adopted",
	[SUPER_MODE_LIBXL] = "libxl",
	[SUPER_MODE_DOM0] = "dom0-dm",
	[SUPER_MODE_OTHER_DM] = "other-dm",
};

const char *
super_mode_name(enum super_mode m)
{
	return super_mode_names[m];
}

struct log_guest
super_lg(const struct sguest *sg)
{
	const struct guest *g = &sg->pub.g;
	struct log_guest lg = { g->name, (int)g->domid, g->stub_domid,
	    guest_state_name(g->state) };

	return lg;
}

/* xorshift64: jitter only needs to differ between guests. */
uint32_t
super_random(struct super *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return (uint32_t)(s->rng >> 16);
}

struct guest_env
super_env(struct super *s)
{
	struct guest_env e = { clock_now_ms(), clock_wall_ms(),
	    super_random(s) };

	return e;
}

const struct policy *
super_policy(const struct super *s)
{
	return s->sd->policy;
}

void
super_persist(struct super *s, struct sguest *sg)
{
	char path[SUPER_PATH_MAX], rec[PERSIST_RECORD_MAX];
	struct log_guest lg = super_lg(sg);
	int rc;

	snprintf(path, sizeof(path), "%s/guests/%u", s->state_path,
	    sg->pub.g.domid);
	if (persist_encode(&sg->pub.g, rec, sizeof(rec)) < 0) {
		log_guest(LOG_LVL_WARNING, &lg, NULL, "state record too "
		    "large; not saved");
		return;
	}
	if ((rc = xstore_write(s->sd->xs, path, rec)) < 0)
		log_guest(LOG_LVL_WARNING, &lg, NULL, "cannot save state to "
		    "%s: %s", path, strerror(-rc));
}

void
super_unpersist(struct super *s, uint32_t domid)
{
	char path[SUPER_PATH_MAX];

	snprintf(path, sizeof(path), "%s/guests/%u", s->state_path, domid);
	xstore_rm(s->sd->xs, path);
}

static void
super_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sguest *sg = arg;
	struct super *s = sg->s;
	struct guest_env e = super_env(s);
	enum guest_state old = sg->pub.g.state;

	super_apply(s, sg, guest_on_timer(&sg->pub.g, &e), old);
}

void
super_arm_timer(struct sguest *sg)
{
	uint64_t now = clock_now_ms(), d = sg->pub.g.deadline;
	uint64_t ms = d > now ? d - now : 0;
	struct timeval tv = clock_tv(ms);

	evtimer_add(sg->timer, &tv);
}

/*
 * A guest's name is xenstore's and may change while it lives: xl renames
 * a guest migrated in from "<name>--incoming" once the migration is done
 * (and `xl rename` any guest).  The logs, the list and a rebuilt stub's
 * name follow.  Without the watch the first name stays.
 */
static void
super_on_name_event(void *arg, const char *path)
{
	struct sguest *sg = arg;
	struct log_guest lg = super_lg(sg);
	char *v = xstore_read(sg->s->sd->xs, path), was[80];

	if (v == NULL || v[0] == '\0' || strcmp(v, sg->pub.g.name) == 0) {
		free(v);
		return;
	}
	log_quote(was, sizeof(was), sg->pub.g.name);
	free(sg->pub.g.name);
	sg->pub.g.name = v;
	lg.name = v;
	log_guest(LOG_LVL_INFO, &lg, NULL, "renamed (was \"%s\")", was);
}

static void
super_watch_name(struct super *s, struct sguest *sg)
{
	snprintf(sg->name_path, sizeof(sg->name_path), "/local/domain/%u/name",
	    sg->pub.g.domid);
	if (xstore_watch(s->sd->xs, sg->name_path, super_on_name_event,
	    sg) < 0)
		sg->name_path[0] = '\0';
}

struct sguest *
super_guest_new(struct super *s, uint32_t domid, const char *name,
    const char *uuid)
{
	struct sguest *sg = calloc(1, sizeof(*sg));
	const struct policy_settings *cfg;

	if (sg == NULL)
		return NULL;
	cfg = policy_match(super_policy(s), name, uuid, NULL);
	guest_init(&sg->pub.g, domid, name, uuid, cfg);
	sg->s = s;
	if (sg->pub.g.name == NULL ||
	    (sg->timer = evtimer_new(s->sd->base, super_on_timer, sg)) == NULL) {
		guest_release(&sg->pub.g);
		free(sg);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&s->guests, sg, link);
	s->nguests++;
	s->by_domid[domid] = sg;
	super_watch_name(s, sg);
	return sg;
}

void
super_unwatch_ready(struct super *s, struct sguest *sg)
{
	if (sg->ready_path[0] == '\0')
		return;
	xstore_unwatch(s->sd->xs, sg->ready_path, sg);
	sg->ready_path[0] = '\0';
	sg->ready_armed = false;
}

void
super_drop_devices(struct sguest *sg)
{
	free(sg->devs);
	sg->devs = NULL;
}

static void
super_guest_free(struct super *s, struct sguest *sg)
{
	super_unwatch_ready(s, sg);
	if (sg->name_path[0] != '\0')
		xstore_unwatch(s->sd->xs, sg->name_path, sg);
	probe_free(sg->pub.probe);
	TAILQ_REMOVE(&s->guests, sg, link);
	s->nguests--;
	s->by_domid[sg->pub.g.domid] = NULL;
	event_free(sg->timer);
	free(sg->pub.console);
	free(sg->pub.media);
	super_drop_devices(sg);
	guest_release(&sg->pub.g);
	free(sg);
}

void
super_on_ready_event(void *arg, const char *path)
{
	struct sguest *sg = arg;
	struct super *s = sg->s;
	struct guest_env e = super_env(s);
	enum guest_state old = sg->pub.g.state;
	struct log_guest lg = super_lg(sg);
	char *v = xstore_read(s->sd->xs, path);
	bool ready = v != NULL && strcmp(v, "running") == 0;

	free(v);
	if (!ready || old != GUEST_STARTING)
		return;
	s->stats.ready++;
	log_guest(LOG_LVL_INFO, &lg, LOG_MSGID_READY, "device model ready "
	    "after %llu ms", (unsigned long long)(e.now - sg->pub.g.state_since));
	super_unwatch_ready(s, sg);
	super_apply(s, sg, guest_on_ready(&sg->pub.g, &e), old);
}

void
super_watch_ready(struct super *s, struct sguest *sg)
{
	int rc;

	spawn_ready_path(&sg->pub.g, sg->ready_path, sizeof(sg->ready_path));
	rc = xstore_watch(s->sd->xs, sg->ready_path, super_on_ready_event, sg);
	sg->ready_armed = rc == 0;
	if (rc < 0) {
		struct log_guest lg = super_lg(sg);

		log_guest(LOG_LVL_WARNING, &lg, NULL, "cannot watch %s: %s; "
		    "the reconcile will look", sg->ready_path, strerror(-rc));
	}
}

/* An action on the guest, made off the loop: what it was, for the log. */
struct super_act {
	struct super	*s;
	uint32_t	 guest;
	const char	*what;		/* literals */
	const char	*action;
};

/* A failure is logged against the guest, or its domid if it is gone. */
static void
super_guest_acted(void *arg, int err)
{
	struct super_act *a = arg;
	struct sguest *sg;
	struct log_guest lg = { "(gone)", (int)a->guest, -1, NULL };

	if (err < 0 && err != -ECANCELED) {
		if ((sg = a->s->by_domid[a->guest]) != NULL)
			lg = super_lg(sg);
		log_guest(LOG_LVL_WARNING, &lg, NULL, "%s %s: %s", a->what,
		    a->action, strerror(-err));
	}
	free(a);
}

static void
super_do_guest_action(struct super *s, struct sguest *sg, const char *what,
    const char *action)
{
	struct hv *hv = s->sd->hv;
	struct log_guest lg = super_lg(sg);
	uint32_t d = sg->pub.g.domid;
	struct super_act *a = malloc(sizeof(*a));
	int rc = 0;

	if (a != NULL)
		*a = (struct super_act){ s, d, what, action };
	if (a == NULL)
		rc = -ENOMEM;
	else if (strcmp(action, "crash-guest") == 0)
		rc = hv->ops->shutdown(hv, d, HV_SHUTDOWN_CRASH,
		    super_guest_acted, a);
	else if (strcmp(action, "pause-guest") == 0)
		rc = hv->ops->pause(hv, d, super_guest_acted, a);
	else {
		free(a);	/* a destroy's failure is the backend's */
		a = NULL;
		if (strcmp(action, "destroy-guest") == 0)
			rc = hv->ops->destroy(hv, d);
	}
	if (rc < 0) {
		free(a);	/* not taken: its callback never runs */
		log_guest(LOG_LVL_WARNING, &lg, NULL, "%s %s: %s", what,
		    action, strerror(-rc));
	}
}

static void
super_do_dm_death(struct super *s, struct sguest *sg)
{
	const char *act = policy_dm_death_name(sg->pub.g.cfg->on_dm_death);
	struct log_guest lg = super_lg(sg);

	s->stats.dm_deaths++;
	log_guest(LOG_LVL_WARNING, &lg, LOG_MSGID_DIED, "device model died "
	    "after the guest had run (%s); not restarting it under a running "
	    "guest; on_dm_death = %s", sg->pub.g.reason, act);
	super_do_guest_action(s, sg, "on_dm_death", act);
}

static void
super_do_dm_hang(struct super *s, struct sguest *sg)
{
	const char *act = policy_dm_death_name(sg->pub.g.cfg->on_dm_hang);
	struct log_guest lg = super_lg(sg);

	log_guest(LOG_LVL_WARNING, &lg, NULL, "device model hung after the "
	    "guest had run; not replacing it under a running guest; "
	    "on_dm_hang = %s", act);
	super_do_guest_action(s, sg, "on_dm_hang", act);
}

static void
super_do_giveup(struct super *s, struct sguest *sg)
{
	const char *act = policy_giveup_name(sg->pub.g.cfg->on_giveup);
	struct log_guest lg = super_lg(sg);

	s->stats.giveups++;
	log_guest(LOG_LVL_WARNING, &lg, LOG_MSGID_GAVE_UP, "%s; on_giveup = "
	    "%s", sg->pub.g.reason, act);
	super_do_guest_action(s, sg, "on_giveup", act);
}

/* The guest's unpause, back from the worker. */
static void
super_guest_unpaused(void *arg, int err)
{
	struct super_act *a = arg;
	struct sguest *sg;
	struct log_guest lg;

	if (err != -ECANCELED && (sg = a->s->by_domid[a->guest]) != NULL) {
		lg = super_lg(sg);
		if (err < 0)
			log_guest(LOG_LVL_WARNING, &lg, NULL, "unpausing the "
			    "guest: %s", strerror(-err));
		else
			log_guest(LOG_LVL_INFO, &lg, NULL, "guest unpaused");
	}
	free(a);
}

/*
 * The guest counts as having run from the request on: the worker may
 * unpause it before the loop hears back, and a stub that dies meanwhile
 * must not be replaced under a guest that ran (on_dm_death, not a
 * rebuild).  A failed unpause leaves it counted: the safe side.
 */
static void
super_do_unpause_guest(struct super *s, struct sguest *sg)
{
	struct log_guest lg = super_lg(sg);
	struct super_act *a = malloc(sizeof(*a));
	int rc = -ENOMEM;

	if (a != NULL) {
		*a = (struct super_act){ s, sg->pub.g.domid, NULL, NULL };
		rc = s->sd->hv->ops->unpause(s->sd->hv, sg->pub.g.domid,
		    super_guest_unpaused, a);
	}
	if (rc < 0) {
		free(a);
		log_guest(LOG_LVL_WARNING, &lg, NULL, "unpausing the guest: "
		    "%s", strerror(-rc));
		return;
	}
	guest_observe_ran(&sg->pub.g);
}

void
super_log_transition(struct super *s, struct sguest *sg, enum guest_state old)
{
	const struct guest *g = &sg->pub.g;
	struct log_guest lg = super_lg(sg);

	if (g->state == GUEST_BACKOFF) {
		s->stats.failures++;
		log_guest(LOG_LVL_WARNING, &lg, LOG_MSGID_RESTARTING, "stub "
		    "domain failed (%s: %s); restarting in %llu ms",
		    guest_exit_name(g->last_exit), g->reason,
		    (unsigned long long)(g->deadline - g->state_since));
		return;
	}
	if (old == GUEST_BACKOFF && g->state == GUEST_SPAWNING)
		s->stats.restarts++;
	log_guest(LOG_LVL_INFO, &lg, NULL, "%s -> %s%s%s",
	    guest_state_name(old), guest_state_name(g->state),
	    g->state == GUEST_FAILED || g->state == GUEST_IGNORED ? ": " : "",
	    g->state == GUEST_FAILED || g->state == GUEST_IGNORED ?
	    g->reason : "");
}

/* Carry out what guest.c decided, in a fixed order. */
void
super_apply(struct super *s, struct sguest *sg, unsigned acts,
    enum guest_state old)
{
	struct guest *g = &sg->pub.g;

	if (acts & GUEST_DO_DESTROY_STUB)
		super_do_destroy_stub(s, sg);
	if (acts & GUEST_DO_DM_DEATH)
		super_do_dm_death(s, sg);
	if (acts & GUEST_DO_DM_HANG)
		super_do_dm_hang(s, sg);
	if (acts & GUEST_DO_GIVEUP)
		super_do_giveup(s, sg);
	if (acts & GUEST_DO_UNPAUSE_GUEST)
		super_do_unpause_guest(s, sg);
	if (acts & GUEST_DO_TIMER)
		super_arm_timer(sg);
	else if (g->state != GUEST_STARTING && g->state != GUEST_BACKOFF)
		evtimer_del(sg->timer);
	if (g->state != old) {
		super_log_transition(s, sg, old);
		if (s->observer != NULL)
			s->observer(s->observer_arg, &sg->pub, old);
		super_state_observe(s, sg, old);
	}
	super_probe_sync(s, sg);
	if (acts & GUEST_DO_FORGET) {
		super_unpersist(s, g->domid);
		super_guest_free(s, sg);
		return;
	}
	super_persist(s, sg);
	/* These report their own outcome, which is applied in turn. */
	old = g->state;
	if (acts & GUEST_DO_BUILD)
		super_apply(s, sg, super_do_build(s, sg), old);
	else if (acts & GUEST_DO_START_STUB)
		super_apply(s, sg, super_do_start_stub(s, sg), old);
}

/* The last lines a stub printed, kept for Status (and the log). */
void
super_keep_console(struct super *s, struct sguest *sg)
{
	struct hv *hv = s->sd->hv;
	const struct guest *g = &sg->pub.g;
	char name[512], *tail;

	if (hv->ops->console_tail == NULL || g->stub_domid < 0)
		return;
	snprintf(name, sizeof(name), "%s" SPAWN_NAME_SUFFIX, g->name);
	tail = hv->ops->console_tail(hv, (uint32_t)g->stub_domid, name,
	    SUPER_CONSOLE_LINES);
	if (tail != NULL) {
		free(sg->pub.console);
		sg->pub.console = tail;
	}
}

/* Each line of the kept console as a log line of its own, quoted. */
static void
super_log_console(const struct sguest *sg)
{
	struct log_guest lg = super_lg(sg);
	const char *p = sg->pub.console, *nl;
	char line[256], q[128];
	size_t n;

	for (; p != NULL && *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		n = (size_t)(nl - p) < sizeof(line) - 1 ? (size_t)(nl - p) :
		    sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		log_guest(LOG_LVL_WARNING, &lg, NULL, "stub console: \"%s\"",
		    log_quote(q, sizeof(q), line));
	}
}

/* From the probe: the device model stopped answering. */
static void
super_on_dm_hung(void *arg, const char *why)
{
	struct sguest *sg = arg;
	struct super *s = sg->s;
	struct guest_env e = super_env(s);
	struct log_guest lg = super_lg(sg);
	enum guest_state old = sg->pub.g.state;

	s->stats.dm_hangs++;
	super_keep_console(s, sg);
	log_guest(LOG_LVL_WARNING, &lg, LOG_MSGID_HUNG, "%s", why);
	super_log_console(sg);
	super_apply(s, sg, guest_on_hung(&sg->pub.g, &e, why), old);
}

void
super_probe_sync(struct super *s, struct sguest *sg)
{
	const struct guest *g = &sg->pub.g;
	struct hv *hv = s->sd->hv;
	bool want = g->state == GUEST_RUNNING && g->stub_domid >= 0 &&
	    g->cfg->dm_probe_interval_ms > 0 && hv->ops->dm_connect != NULL;

	if (!want) {
		probe_free(sg->pub.probe);
		sg->pub.probe = NULL;
	} else if (sg->pub.probe == NULL) {
		sg->pub.probe = probe_new(s->sd->base, hv, g,
		    sg->pub.mode == SUPER_MODE_ADOPTED, &s->probe_stats,
		    super_on_dm_hung, sg);
		if (sg->pub.probe == NULL)
			log_guest(LOG_LVL_WARNING, &(struct log_guest){ g->name,
			    (int)g->domid, g->stub_domid, "running" }, NULL,
			    "cannot probe the device model: out of memory");
	}
}

const char *const super_mode_reasons[] = {
	[SUPER_MODE_OWN] = "",
	[SUPER_MODE_ADOPTED] = "",
	[SUPER_MODE_LIBXL] = ("created by libxl; waiting for its device "
	    "model to settle"),
	[SUPER_MODE_DOM0] = "has a device model in dom0",
	[SUPER_MODE_OTHER_DM] = "already has a device model domain",
};

/* The pool's hold (pool.h): stub domains being built or booting. */
static unsigned
super_starting(void *arg)
{
	struct super *s = arg;
	const struct sguest *sg;
	unsigned n = 0;

	TAILQ_FOREACH(sg, &s->guests, link)
		if (sg->pub.g.state == GUEST_SPAWNING ||
		    sg->pub.g.state == GUEST_STARTING)
			n++;
	return n;
}

struct super *
super_new(struct stubdmd *sd)
{
	struct super *s = calloc(1, sizeof(*s));
	uint32_t i;

	if (s == NULL)
		return NULL;
	s->sd = sd;
	TAILQ_INIT(&s->guests);
	TAILQ_INIT(&s->media_ops);
	TAILQ_INIT(&s->state_ops);
	s->by_domid = calloc(SUPER_DOMID_MAX, sizeof(*s->by_domid));
	s->stub_owner = calloc(SUPER_DOMID_MAX, sizeof(*s->stub_owner));
	s->seen = calloc(SUPER_DOMID_MAX, 1);
	s->present = calloc(SUPER_DOMID_MAX / 8, 1);
	s->state_path = strdup(policy_global(super_policy(s))->state_path);
	s->ev_scan = event_new(sd->base, -1, 0, super_on_scan, s);
	if (s->ev_scan != NULL)
		event_priority_set(s->ev_scan, STUBDMD_PRIO_SCAN);
	s->ev_reconcile = event_new(sd->base, -1, EV_PERSIST,
	    super_on_reconcile, s);
	s->ev_grace = evtimer_new(sd->base, super_on_grace, s);
	s->pool = pool_new(sd);
	s->rng = clock_wall_ms() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
	if (s->by_domid == NULL || s->stub_owner == NULL || s->seen == NULL ||
	    s->present == NULL || s->state_path == NULL || s->ev_scan == NULL ||
	    s->pool == NULL ||
	    s->ev_reconcile == NULL || s->ev_grace == NULL) {
		super_free(s);
		return NULL;
	}
	pool_set_hold(s->pool, super_starting, s);
	for (i = 0; i < SUPER_DOMID_MAX; i++)
		s->stub_owner[i] = -1;
	return s;
}

void
super_free(struct super *s)
{
	struct sguest *sg;

	if (s == NULL)
		return;
	super_state_quiet(s);
	while ((sg = TAILQ_FIRST(&s->guests)) != NULL)
		super_guest_free(s, sg);
	super_media_free_all(s);
	super_state_free_all(s);
	if (s->ev_scan != NULL)
		event_free(s->ev_scan);
	if (s->ev_reconcile != NULL)
		event_free(s->ev_reconcile);
	if (s->ev_grace != NULL)
		event_free(s->ev_grace);
	pool_free(s->pool);
	free(s->by_domid);
	free(s->stub_owner);
	free(s->seen);
	free(s->present);
	free(s->state_path);
	free(s);
}

static int
super_prepare_state_path(struct super *s)
{
	char path[SUPER_PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s/guests", s->state_path);
	/* Only dom0 may read or change the daemon's records. */
	if ((rc = xstore_mkdir_perms(s->sd->xs, s->state_path, "n0")) < 0 ||
	    (rc = xstore_mkdir_perms(s->sd->xs, path, "n0")) < 0)
		log_warnx("cannot create %s: %s; re-adoption after a restart "
		    "will not work", path, strerror(-rc));
	return rc;
}

/* The pool's spares of a previous run go; the pools fill. */
static void
super_start_pool(struct super *s)
{
	struct hv_dominfo *v = NULL;
	size_t n = 0;
	int rc;

	if ((rc = s->sd->hv->ops->list(s->sd->hv, 0, &v, &n)) < 0) {
		log_warnx("listing domains for the pool: %s", strerror(-rc));
		n = 0;
	}
	hv_list_sort(v, n);
	pool_start(s->pool, v, n);
	free(v);
}

void
super_start(struct super *s)
{
	super_prepare_state_path(s);
	super_adopt(s);
	super_start_pool(s);
	if (xstore_watch(s->sd->xs, "@introduceDomain", super_on_domain_event,
	    s) < 0 || xstore_watch(s->sd->xs, "@releaseDomain",
	    super_on_domain_event, s) < 0)
		fatalx("cannot watch @introduceDomain/@releaseDomain");
	super_reconcile_now(s);
	super_arm_reconcile(s);
}

void
super_set_policy(struct super *s, const struct policy *p)
{
	struct sguest *sg;

	/* Running stubs keep running; the next build uses the new settings. */
	TAILQ_FOREACH(sg, &s->guests, link) {
		guest_set_policy(&sg->pub.g, policy_match(p, sg->pub.g.name,
		    sg->pub.g.uuid, NULL));
		super_probe_sync(s, sg);
	}
	pool_set_policy(s->pool, p);
	if (strcmp(policy_global(p)->state_path, s->state_path) != 0)
		log_warnx("state_path changes take effect at the next start");
	if (policy_global(p)->reconcile_interval_ms !=
	    policy_global(super_policy(s))->reconcile_interval_ms) {
		uint64_t ms = policy_global(p)->reconcile_interval_ms;
		struct timeval tv = clock_tv(ms);

		event_del(s->ev_reconcile);
		event_add(s->ev_reconcile, &tv);
	}
}

void
super_set_observer(struct super *s, super_observer *cb, void *arg)
{
	s->observer = cb;
	s->observer_arg = arg;
}

struct super_guest *
super_find(struct super *s, const char *key)
{
	struct sguest *sg;
	unsigned long id;
	char *end;

	id = strtoul(key, &end, 10);
	if (*key >= '0' && *key <= '9' && *end == '\0')
		return id < SUPER_DOMID_MAX ? super_get(s, (uint32_t)id) : NULL;
	TAILQ_FOREACH(sg, &s->guests, link)
		if (strcmp(sg->pub.g.name, key) == 0)
			return &sg->pub;
	return NULL;
}

/* The guest of that domid, or NULL. */
struct super_guest *
super_get(struct super *s, uint32_t domid)
{
	if (domid >= SUPER_DOMID_MAX || s->by_domid[domid] == NULL)
		return NULL;
	return &s->by_domid[domid]->pub;
}

struct super_guest *
super_next(struct super *s, struct super_guest *prev)
{
	struct sguest *sg = prev == NULL ? TAILQ_FIRST(&s->guests) :
	    TAILQ_NEXT((struct sguest *)prev, link);

	return sg != NULL ? &sg->pub : NULL;
}

size_t
super_count(const struct super *s, int state)
{
	const struct sguest *sg;
	size_t n = 0;

	if (state < 0)
		return s->nguests;
	TAILQ_FOREACH(sg, &s->guests, link)
		if ((int)sg->pub.g.state == state)
			n++;
	return n;
}

const struct super_stats *
super_stats(struct super *s)
{
	struct pool_stats ps;

	pool_stats(s->pool, &ps);
	s->stats.pool_target = ps.target;
	s->stats.pool_ready = ps.ready;
	s->stats.pool_building = ps.building;
	s->stats.pool_memory_mib = ps.memory_mib;
	s->stats.pool_built = ps.built;
	s->stats.pool_taken = ps.taken;
	s->stats.pool_build_failures = ps.build_failures;
	s->stats.pool_died = ps.died;
	s->stats.dm_probes = s->probe_stats.probes;
	s->stats.dm_probe_misses = s->probe_stats.misses;
	s->stats.qmp_closed = s->probe_stats.bad;
	s->stats.qmp_connections = s->probe_stats.connected;
	return &s->stats;
}

void
super_stop(struct super *s)
{
	pool_drain(s->pool);
}

bool
super_supervised(const struct super_guest *sg)
{
	return sg->mode == SUPER_MODE_OWN || sg->mode == SUPER_MODE_ADOPTED;
}

int
super_stop_guest(struct super *s, struct super_guest *pub)
{
	struct sguest *sg = (struct sguest *)pub;
	struct guest_env e = super_env(s);
	enum guest_state old = pub->g.state;

	if (!super_supervised(pub))
		return -EPERM;
	super_apply(s, sg, guest_on_stop(&pub->g, &e), old);
	return 0;
}

int
super_start_guest(struct super *s, struct super_guest *pub)
{
	struct sguest *sg = (struct sguest *)pub;
	struct guest_env e = super_env(s);
	enum guest_state old = pub->g.state;

	if (!super_supervised(pub))
		return -EPERM;
	if (pub->mode == SUPER_MODE_OWN && pub->g.cfg != NULL &&
	    !pub->g.cfg->stubdom)
		return -EPERM;
	super_apply(s, sg, guest_on_start(&pub->g, &e), old);
	return 0;
}

int
super_restart_guest(struct super *s, struct super_guest *pub)
{
	int rc;

	if ((rc = super_stop_guest(s, pub)) < 0)
		return rc;
	return super_start_guest(s, pub);
}

