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
#include "stubdmd/xstore.h"

#define SUPER_DOMID_MAX		0x7ff0	/* DOMID_FIRST_RESERVED */
#define SUPER_PATH_MAX		256
#define SUPER_CONSOLE_LINES	20

struct sguest {
	struct super_guest	 pub;	/* first: super_guest * casts */
	struct super		*s;
	struct event		*timer;
	char			 ready_path[96];
	bool			 ready_armed;	/* else the scans poll it */
	bool			 pending;	/* libxl's, not settled yet */
	uint64_t		 pending_until;	/* then it is adopted anyway */
	bool			 spare;		/* its stub came from the pool */
	bool			 suspended;	/* seen suspended: a save */
	uint64_t		 build_serial;
	struct hv_devices	*devs;		/* build to set-up; NULL: none */
	TAILQ_ENTRY(sguest)	 link;
};

struct build_ticket {
	struct super	*s;
	uint32_t	 guest;
	uint64_t	 serial;
	uint32_t	 spare;		/* attach: the spare taken */
};

struct super {
	struct stubdmd		*sd;
	TAILQ_HEAD(, sguest)	 guests;
	size_t			 nguests;
	struct sguest		**by_domid;
	int32_t			*stub_owner;	/* stub domid -> guest domid */
	uint8_t			*seen;		/* classified, not a guest */
	uint8_t			*present;	/* in the last listing */
	uint32_t		 scan_from;	/* no domain below is new */
	bool			 full_due;	/* a domain went: list all */
	struct event		*ev_scan;
	struct event		*ev_reconcile;
	char			*state_path;
	uint64_t		 next_serial;
	uint64_t		 rng;
	struct super_stats	 stats;
	struct pool		*pool;
	super_observer		*observer;
	void			*observer_arg;
};

static void super_apply(struct super *s, struct sguest *sg, unsigned acts,
	    enum guest_state old);

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

static struct log_guest
super_lg(const struct sguest *sg)
{
	const struct guest *g = &sg->pub.g;
	struct log_guest lg = { g->name, (int)g->domid, g->stub_domid,
	    guest_state_name(g->state) };

	return lg;
}

/* xorshift64: jitter only needs to differ between guests. */
static uint32_t
super_random(struct super *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return (uint32_t)(s->rng >> 16);
}

static struct guest_env
super_env(struct super *s)
{
	struct guest_env e = { clock_now_ms(), clock_wall_ms(),
	    super_random(s) };

	return e;
}

static const struct policy *
super_policy(const struct super *s)
{
	return s->sd->policy;
}

static void
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

static void
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

static void
super_arm_timer(struct sguest *sg)
{
	uint64_t now = clock_now_ms(), d = sg->pub.g.deadline;
	uint64_t ms = d > now ? d - now : 0;
	struct timeval tv = { (time_t)(ms / 1000),
	    (suseconds_t)(ms % 1000) * 1000 };

	evtimer_add(sg->timer, &tv);
}

static struct sguest *
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
	return sg;
}

static void
super_unwatch_ready(struct super *s, struct sguest *sg)
{
	if (sg->ready_path[0] == '\0')
		return;
	xstore_unwatch(s->sd->xs, sg->ready_path, sg);
	sg->ready_path[0] = '\0';
	sg->ready_armed = false;
}

static void
super_drop_devices(struct sguest *sg)
{
	free(sg->devs);
	sg->devs = NULL;
}

static void
super_guest_free(struct super *s, struct sguest *sg)
{
	super_unwatch_ready(s, sg);
	TAILQ_REMOVE(&s->guests, sg, link);
	s->nguests--;
	s->by_domid[sg->pub.g.domid] = NULL;
	event_free(sg->timer);
	free(sg->pub.console);
	super_drop_devices(sg);
	guest_release(&sg->pub.g);
	free(sg);
}

static void
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

static void
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

/* The ticket's guest, if that build is still its current one. */
static struct sguest *
super_ticket_guest(const struct build_ticket *t)
{
	struct sguest *sg = t->s->by_domid[t->guest];

	return sg != NULL && sg->build_serial == t->serial ? sg : NULL;
}

static void
super_built(void *arg, int err, uint32_t domid, const char *why)
{
	struct build_ticket *t = arg;
	struct super *s = t->s;
	struct sguest *sg = super_ticket_guest(t);
	struct guest_env e = super_env(s);
	enum guest_state old;

	if (sg == NULL) {
		/* The guest went away or was restarted during the build. */
		if (err == 0 && s->sd->hv->ops->destroy(s->sd->hv, domid) == 0)
			log_info("stub domain %u of a departed build destroyed",
			    domid);
		free(t);
		return;
	}
	free(t);
	old = sg->pub.g.state;
	if (err < 0) {
		s->stats.build_failures++;
		super_apply(s, sg, guest_on_build_failed(&sg->pub.g, &e, err,
		    why), old);
		return;
	}
	s->stub_owner[domid] = (int32_t)sg->pub.g.domid;
	super_apply(s, sg, guest_on_built(&sg->pub.g, &e, domid), old);
}

static void
super_new_stub_uuid(struct super *s, struct guest *g)
{
	uint8_t u[16];
	size_t i;

	if (hv_uuid_random(u) < 0) {
		for (i = 0; i < sizeof(u); i++)
			u[i] = (uint8_t)super_random(s);
		u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
		u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	}
	hv_uuid_format(u, g->stub_uuid);
}

/*
 * An own-mode guest's disks and NICs, read afresh for every stub it gets
 * (a rebuild too): what its toolstack wrote is the one source.  A stub
 * libxl built is rebuilt with libxl's records of the guest instead.  They
 * are kept only if there are any, and only until the stub's set-up has
 * written them as QEMU's arguments: room for HV_DISKS_MAX disks and
 * HV_NICS_MAX NICs is 7.4 KiB, more than three times all the rest a
 * supervised guest costs.
 */
static int
super_read_devices(struct super *s, struct sguest *sg, char *why,
    size_t size)
{
	struct guest *g = &sg->pub.g;
	char err[GUEST_REASON_MAX];
	int rc;

	super_drop_devices(sg);
	if (g->adopted != NULL)
		return 0;
	if ((sg->devs = malloc(sizeof(*sg->devs))) == NULL) {
		snprintf(why, size, "out of memory");
		return -ENOMEM;
	}
	rc = devices_discover(s->sd->xs, g->domid, sg->devs, err, sizeof(err));
	if (rc < 0)
		snprintf(why, size, "refused the guest's devices: %.*s",
		    (int)(size > 40 ? size - 40 : 0), err);
	if (rc < 0 || (sg->devs->ndisks == 0 && sg->devs->nnics == 0))
		super_drop_devices(sg);
	return rc;
}

/* What a spare lacks until it is taken: the guest's devices or serial. */
static bool
super_needs_attach(const struct sguest *sg)
{
	return sg->devs != NULL || spawn_has_serial(&sg->pub.g);
}

/*
 * Spares are built before their guest exists: a device-less guest takes
 * one as it is; a guest with devices or a serial port only a spare of a
 * Linux image, whose stub reads them once its target is written, from a
 * backend that can give them to a running stub.  Never an adopted guest.
 */
static bool
super_may_take_spare(const struct super *s, const struct sguest *sg)
{
	if (sg->pub.g.adopted != NULL)
		return false;
	return !super_needs_attach(sg) || (s->sd->hv->ops->attach != NULL &&
	    sg->pub.g.cfg->image == POLICY_IMAGE_LINUX);
}

/* A taken spare that could not be given the guest's devices goes. */
static unsigned
super_spare_failed(struct super *s, struct sguest *sg, uint32_t stub,
    int err, const char *why)
{
	struct guest_env e = super_env(s);
	char reason[GUEST_REASON_MAX];
	int rc;

	if ((rc = s->sd->hv->ops->destroy(s->sd->hv, stub)) < 0)
		log_warnx("destroying spare stub domain %u: %s", stub,
		    strerror(-rc));
	s->stats.build_failures++;
	snprintf(reason, sizeof(reason), "giving spare stub domain %u the "
	    "guest's devices: %s", stub, why != NULL ? why : strerror(-err));
	return guest_on_build_failed(&sg->pub.g, &e, err, reason);
}

/* The backend gave the spare the guest's devices (or could not). */
static void
super_attached(void *arg, int err, uint32_t domid, const char *why)
{
	struct build_ticket *t = arg;
	struct super *s = t->s;
	struct sguest *sg = super_ticket_guest(t);
	struct guest_env e = super_env(s);
	uint32_t stub = t->spare;
	enum guest_state old;

	(void)domid;
	free(t);
	if (sg == NULL) {
		if (s->sd->hv->ops->destroy(s->sd->hv, stub) == 0)
			log_info("spare stub domain %u of a departed build "
			    "destroyed", stub);
		return;
	}
	old = sg->pub.g.state;
	if (err < 0)
		super_apply(s, sg, super_spare_failed(s, sg, stub, err, why),
		    old);
	else
		super_apply(s, sg, guest_on_built(&sg->pub.g, &e, stub), old);
}

/*
 * A booted spare from the pool instead of a build: the guest's record
 * names it before the pool forgets it, so a crash in between leaves no
 * orphan.  It is already running: no unpause.  It gets the guest's
 * devices and serial console, if any, before it is told its target.
 */
static unsigned
super_use_spare(struct super *s, struct sguest *sg, uint32_t stub,
    struct hv_stub_spec *spec, struct build_ticket *t)
{
	struct guest *g = &sg->pub.g;
	struct guest_env e = super_env(s);
	struct hv *hv = s->sd->hv;
	struct log_guest lg = super_lg(sg);
	struct spawn_names names;
	char devs[64], why[GUEST_REASON_MAX];
	int rc;

	super_persist(s, sg);
	pool_taken(s->pool, g->stub_uuid);
	s->stats.spawns++;
	s->stub_owner[stub] = (int32_t)g->domid;
	sg->spare = true;
	if ((rc = spawn_spec(g, sg->devs, spec, &names, why,
	    sizeof(why))) < 0) {
		free(t);
		return super_spare_failed(s, sg, stub, rc, why);
	}
	if (hv->ops->rename != NULL && (rc = hv->ops->rename(hv, stub,
	    spec->name)) < 0)
		log_warnx("renaming spare stub domain %u to %s: %s", stub,
		    spec->name, strerror(-rc));
	if (!super_needs_attach(sg)) {
		free(t);
		log_guest(LOG_LVL_INFO, &lg, LOG_MSGID_SPAWNED, "took spare "
		    "stub domain %u from the pool", stub);
		return guest_on_built(g, &e, stub);
	}
	devices_describe(&spec->devices, devs, sizeof(devs));
	log_guest(LOG_LVL_INFO, &lg, LOG_MSGID_SPAWNED, "took spare stub "
	    "domain %u from the pool; giving it %s%s%s", stub, devs,
	    spec->serial[0] != '\0' ? ", serial " : "", spec->serial);
	t->spare = stub;
	if ((rc = hv->ops->attach(hv, stub, spec, super_attached, t)) < 0) {
		free(t);
		return super_spare_failed(s, sg, stub, rc, NULL);
	}
	return 0;
}

static void
super_log_build(const struct sguest *sg, const struct hv_stub_spec *spec)
{
	struct log_guest lg = super_lg(sg);
	char devs[64];

	devices_describe(&spec->devices, devs, sizeof(devs));
	log_guest(LOG_LVL_INFO, &lg, LOG_MSGID_SPAWNED, "building stub domain "
	    "(%u MiB, %u vCPU, kernel %s%s%s)", spec->memory_mib, spec->vcpus,
	    spec->kernel, sg->pub.g.adopted == NULL ? ", " : "",
	    sg->pub.g.adopted == NULL ? devs : "");
}

/* The spec, its files, then the backend; why says which step failed. */
static int
super_start_build(struct super *s, const struct sguest *sg,
    struct hv_stub_spec *spec, struct spawn_names *names,
    struct build_ticket *t, char *why, size_t size)
{
	const struct guest *g = &sg->pub.g;
	int rc;

	if ((rc = spawn_spec(g, sg->devs, spec, names, why, size)) < 0)
		return rc;
	if ((rc = spawn_check_files(spec, why, size)) < 0)
		return rc;
	if ((rc = s->sd->hv->ops->build(s->sd->hv, spec, super_built, t)) < 0)
		snprintf(why, size, "build failed: %s", strerror(-rc));
	else
		super_log_build(sg, spec);
	return rc;
}

static unsigned
super_do_build(struct super *s, struct sguest *sg)
{
	struct guest *g = &sg->pub.g;
	struct guest_env e = super_env(s);
	struct build_ticket *t = calloc(1, sizeof(*t));
	struct hv_stub_spec *spec = malloc(sizeof(*spec));
	struct spawn_names names;
	char why[GUEST_REASON_MAX];
	uint32_t spare;
	unsigned acts;
	int rc;

	if (t == NULL || spec == NULL) {
		rc = -ENOMEM;
		snprintf(why, sizeof(why), "out of memory");
	} else
		rc = super_read_devices(s, sg, why, sizeof(why));
	if (rc < 0) {
		free(t);
		free(spec);
		s->stats.build_failures++;
		return guest_on_build_failed(g, &e, rc, why);
	}
	t->s = s;
	t->guest = g->domid;
	t->serial = sg->build_serial = ++s->next_serial;
	if (super_may_take_spare(s, sg) &&
	    pool_take(s->pool, g->cfg, &spare, g->stub_uuid) == 0) {
		acts = super_use_spare(s, sg, spare, spec, t);
		free(spec);
		return acts;
	}
	super_new_stub_uuid(s, g);
	super_persist(s, sg);	/* a crash mid-build still finds the stub */
	s->stats.spawns++;
	rc = super_start_build(s, sg, spec, &names, t, why, sizeof(why));
	free(spec);
	if (rc < 0) {
		free(t);
		s->stats.build_failures++;
		return guest_on_build_failed(g, &e, rc, why);
	}
	return 0;
}

static unsigned
super_do_start_stub(struct super *s, struct sguest *sg)
{
	struct guest *g = &sg->pub.g;
	struct guest_env e = super_env(s);
	struct hv *hv = s->sd->hv;
	char err[256];
	int rc;

	rc = spawn_setup(hv, s->sd->xs, g, sg->devs, err, sizeof(err));
	super_drop_devices(sg);		/* the next stub reads them again */
	if (rc < 0)
		return guest_on_build_failed(g, &e, rc, err);
	super_watch_ready(s, sg);
	if (sg->spare)	/* booted already, waiting for its target */
		sg->spare = false;
	else if ((rc = hv->ops->unpause(hv, (uint32_t)g->stub_domid)) < 0) {
		snprintf(err, sizeof(err), "unpausing the stub domain: %s",
		    strerror(-rc));
		return guest_on_build_failed(g, &e, rc, err);
	}
	return guest_on_stub_started(g, &e);
}

static void
super_do_destroy_stub(struct super *s, struct sguest *sg)
{
	struct guest *g = &sg->pub.g;
	struct hv *hv = s->sd->hv;
	struct log_guest lg = super_lg(sg);
	uint32_t stub = (uint32_t)g->stub_domid;
	int rc;

	super_unwatch_ready(s, sg);
	if (g->stub_domid < 0)
		return;	/* already gone (see super_check_guest) */
	if (hv->ops->console_tail != NULL) {
		char name[512], *tail;

		snprintf(name, sizeof(name), "%s" SPAWN_NAME_SUFFIX, g->name);
		tail = hv->ops->console_tail(hv, stub, name,
		    SUPER_CONSOLE_LINES);
		if (tail != NULL) {
			free(sg->pub.console);
			sg->pub.console = tail;
		}
	}
	if ((rc = hv->ops->destroy(hv, stub)) < 0 && rc != -ESRCH)
		log_guest(LOG_LVL_WARNING, &lg, NULL, "destroying stub domain "
		    "%u: %s; the reconcile will retry", stub, strerror(-rc));
	spawn_clear(s->sd->xs, g, stub);
	g->stub_domid = -1;
}

static void
super_do_guest_action(struct super *s, struct sguest *sg, const char *what,
    const char *action)
{
	struct hv *hv = s->sd->hv;
	struct log_guest lg = super_lg(sg);
	uint32_t d = sg->pub.g.domid;
	int rc = 0;

	if (strcmp(action, "crash-guest") == 0)
		rc = hv->ops->shutdown(hv, d, HV_SHUTDOWN_CRASH);
	else if (strcmp(action, "destroy-guest") == 0)
		rc = hv->ops->destroy(hv, d);
	else if (strcmp(action, "pause-guest") == 0)
		rc = hv->ops->pause(hv, d);
	if (rc < 0)
		log_guest(LOG_LVL_WARNING, &lg, NULL, "%s %s: %s", what,
		    action, strerror(-rc));
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
super_do_giveup(struct super *s, struct sguest *sg)
{
	const char *act = policy_giveup_name(sg->pub.g.cfg->on_giveup);
	struct log_guest lg = super_lg(sg);

	s->stats.giveups++;
	log_guest(LOG_LVL_WARNING, &lg, LOG_MSGID_GAVE_UP, "%s; on_giveup = "
	    "%s", sg->pub.g.reason, act);
	super_do_guest_action(s, sg, "on_giveup", act);
}

static void
super_do_unpause_guest(struct super *s, struct sguest *sg)
{
	struct log_guest lg = super_lg(sg);
	int rc;

	if ((rc = s->sd->hv->ops->unpause(s->sd->hv, sg->pub.g.domid)) < 0) {
		log_guest(LOG_LVL_WARNING, &lg, NULL, "unpausing the guest: "
		    "%s", strerror(-rc));
		return;
	}
	guest_observe_ran(&sg->pub.g);
	log_guest(LOG_LVL_INFO, &lg, NULL, "guest unpaused");
}

static void
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
static void
super_apply(struct super *s, struct sguest *sg, unsigned acts,
    enum guest_state old)
{
	struct guest *g = &sg->pub.g;

	if (acts & GUEST_DO_DESTROY_STUB)
		super_do_destroy_stub(s, sg);
	if (acts & GUEST_DO_DM_DEATH)
		super_do_dm_death(s, sg);
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
	}
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

/* Whether PREFIX<domid> exists in xenstore. */
static bool
super_xs_exists(struct super *s, const char *prefix, uint32_t domid)
{
	char path[SUPER_PATH_MAX], *v;

	snprintf(path, sizeof(path), "%s%u", prefix, domid);
	if ((v = xstore_read(s->sd->xs, path)) == NULL)
		return false;
	free(v);
	return true;
}

/*
 * Who provides this guest's device model, from xenstore: a QEMU in dom0
 * (its directory under dom0's device-model), a device-model domain (the
 * guest's image/device-model-domid: libxl's if libxl created the guest),
 * libxl still at work (/libxl/<domid>, nothing yet), or nobody.
 */
static enum super_mode
super_classify(struct super *s, uint32_t domid, int *stub)
{
	char path[SUPER_PATH_MAX], *v;
	unsigned long dm;
	bool libxl = super_xs_exists(s, "/libxl/", domid), has_dm;

	*stub = -1;
	if (super_xs_exists(s, "/local/domain/0/device-model/", domid))
		return SUPER_MODE_DOM0;
	snprintf(path, sizeof(path), "/local/domain/%u/image/"
	    "device-model-domid", domid);
	if ((has_dm = (v = xstore_read(s->sd->xs, path)) != NULL) &&
	    xstore_parse_uint(v, SUPER_DOMID_MAX - 1, &dm) == 0)
		*stub = (int)dm;
	free(v);
	if (libxl)
		return SUPER_MODE_LIBXL;
	return has_dm ? SUPER_MODE_OTHER_DM : SUPER_MODE_OWN;
}

static const char *const super_mode_reasons[] = {
	[SUPER_MODE_OWN] = "",
	[SUPER_MODE_ADOPTED] = "",
	[SUPER_MODE_LIBXL] = ("created by libxl; waiting for its device "
	    "model to settle"),
	[SUPER_MODE_DOM0] = "has a device model in dom0",
	[SUPER_MODE_OTHER_DM] = "already has a device model domain",
};

/* libxl's stub, if it is one: a live PV domain whose target is the guest. */
static const struct hv_dominfo *
super_libxl_stub(struct super *s, const struct sguest *sg, int stub,
    const struct hv_dominfo *v, size_t n)
{
	const struct hv_dominfo *d;
	char path[SUPER_PATH_MAX];
	unsigned long target;

	if (stub <= 0 || (d = hv_list_find(v, n, (uint32_t)stub)) == NULL ||
	    d->dying || d->shutdown || hv_needs_device_model(d) ||
	    s->stub_owner[stub] >= 0)
		return NULL;
	snprintf(path, sizeof(path), "/local/domain/%d/target", stub);
	if (xstore_read_uint(s->sd->xs, path, SUPER_DOMID_MAX - 1,
	    &target) < 0 || target != sg->pub.g.domid)
		return NULL;
	return d;
}

/* What libxl built the stub from: its vm path's image/, memory, vCPUs. */
static struct guest_build *
super_capture_build(struct super *s, const struct hv_dominfo *d)
{
	static const char *const keys[] = { "kernel", "ramdisk", "cmdline" };
	struct guest_build *b = calloc(1, sizeof(*b));
	char path[SUPER_PATH_MAX], *vm, **val[3], **cpus;
	unsigned i, ncpu = 0;
	unsigned long kib;

	if (b == NULL)
		return NULL;
	val[0] = &b->kernel;
	val[1] = &b->ramdisk;
	val[2] = &b->cmdline;
	snprintf(path, sizeof(path), "/local/domain/%u/vm", d->domid);
	if ((vm = xstore_read(s->sd->xs, path)) != NULL &&
	    spawn_vm_path_ok(vm)) {
		for (i = 0; i < 3; i++) {
			snprintf(path, sizeof(path), "%s/image/%s", vm, keys[i]);
			*val[i] = xstore_read(s->sd->xs, path);
		}
	}
	free(vm);
	for (i = 0; i < 3; i++)
		if (*val[i] == NULL && (*val[i] = strdup("")) == NULL) {
			guest_build_free(b);
			return NULL;
		}
	snprintf(path, sizeof(path), "/local/domain/%u/memory/static-max",
	    d->domid);
	if (xstore_read_uint(s->sd->xs, path, 1UL << 40, &kib) < 0)
		kib = d->mem_kib;
	b->memory_mib = (unsigned)(kib / 1024);
	snprintf(path, sizeof(path), "/local/domain/%u/cpu", d->domid);
	if ((cpus = xstore_directory(s->sd->xs, path, &ncpu)) != NULL)
		free(cpus);
	b->vcpus = ncpu;
	return b;
}

/* A libxl guest whose device model showed itself as no stub domain. */
static void
super_settle(struct super *s, struct sguest *sg, enum super_mode mode)
{
	struct log_guest lg = super_lg(sg);

	super_unwatch_ready(s, sg);
	sg->pending = false;
	sg->pub.mode = mode;
	snprintf(sg->pub.g.reason, sizeof(sg->pub.g.reason), "%s",
	    super_mode_reasons[mode]);
	log_guest(LOG_LVL_INFO, &lg, NULL, "created by libxl; %s; leaving it "
	    "alone", sg->pub.g.reason);
}

/* Supervise libxl's stub from now on, and rebuild it as libxl built it. */
static void
super_adopt_libxl(struct super *s, struct sguest *sg,
    const struct hv_dominfo *stub, bool running)
{
	struct guest *g = &sg->pub.g;
	struct guest_env e = super_env(s);
	struct log_guest lg = super_lg(sg);
	enum guest_state old = g->state;
	struct guest_build *b;
	unsigned acts;

	if (!g->cfg->adopt) {
		sg->pending = false;
		snprintf(g->reason, sizeof(g->reason), "libxl's stub domain "
		    "%u; policy: adopt = no", stub->domid);
		log_guest(LOG_LVL_INFO, &lg, NULL, "%s", g->reason);
		return;
	}
	if ((b = super_capture_build(s, stub)) == NULL)
		return;	/* still pending: the next scan tries again */
	sg->pending = false;
	guest_set_adopted(g, b);
	hv_uuid_format(stub->uuid, g->stub_uuid);
	s->stub_owner[stub->domid] = (int32_t)g->domid;
	sg->pub.mode = SUPER_MODE_ADOPTED;
	g->reason[0] = '\0';
	s->stats.adopted++;
	acts = guest_on_adopted(g, &e, stub->domid, running);
	lg = super_lg(sg);
	log_guest(LOG_LVL_INFO, &lg, NULL, "adopted libxl's stub domain %u "
	    "(%s; kernel %s, %u MiB, %u vCPU)", stub->domid, running ?
	    "device model running" : "not ready within start_timeout",
	    b->kernel[0] ? b->kernel : "(libxl's)", b->memory_mib, b->vcpus);
	if (g->state == GUEST_STARTING)
		super_watch_ready(s, sg);
	super_apply(s, sg, acts, old);
}

/* libxl's stub wrote its state: look again, with the whole listing. */
static void
super_on_pending_event(void *arg, const char *path)
{
	struct super *s = ((struct sguest *)arg)->s;

	s->full_due = true;
	if (!event_pending(s->ev_scan, EV_TIMEOUT, NULL))
		event_active(s->ev_scan, EV_TIMEOUT, 0);
}

/* Watch the state libxl's stub will report (else the reconcile looks). */
static void
super_watch_pending(struct super *s, struct sguest *sg, int stub)
{
	if (sg->ready_path[0] != '\0')
		return;
	snprintf(sg->ready_path, sizeof(sg->ready_path),
	    "/local/domain/%d/device-model/%u/state", stub, sg->pub.g.domid);
	if (xstore_watch(s->sd->xs, sg->ready_path, super_on_pending_event,
	    sg) < 0)
		sg->ready_path[0] = '\0';
	else
		sg->ready_armed = true;
}

/*
 * A guest libxl created is libxl's to provide for: never a second device
 * model.  Wait until its stub reports running (or start_timeout passes),
 * then adopt it; a QEMU in dom0 is left alone.
 */
static void
super_check_pending(struct super *s, struct sguest *sg,
    const struct hv_dominfo *v, size_t n)
{
	const struct hv_dominfo *stub;
	char path[SUPER_PATH_MAX], *st;
	enum super_mode mode;
	bool running;
	int id;

	mode = super_classify(s, sg->pub.g.domid, &id);
	if (mode == SUPER_MODE_DOM0) {
		super_settle(s, sg, mode);
		return;
	}
	if ((stub = super_libxl_stub(s, sg, id, v, n)) == NULL)
		return;	/* libxl is still at work */
	snprintf(path, sizeof(path), "/local/domain/%d/device-model/%u/state",
	    id, sg->pub.g.domid);
	st = xstore_read(s->sd->xs, path);
	running = st != NULL && strcmp(st, "running") == 0;
	free(st);
	if (running || clock_now_ms() >= sg->pending_until) {
		super_unwatch_ready(s, sg);
		super_adopt_libxl(s, sg, stub, running);
	} else
		super_watch_pending(s, sg, id);
}

static void
super_detect(struct super *s, const struct hv_dominfo *d,
    const struct hv_dominfo *v, size_t n)
{
	char path[SUPER_PATH_MAX], uuid[37], *name;
	struct guest_env e = super_env(s);
	struct sguest *sg;
	enum super_mode mode;
	int stub;

	snprintf(path, sizeof(path), "/local/domain/%u/name", d->domid);
	if ((name = xstore_read(s->sd->xs, path)) == NULL)
		return;	/* not introduced yet: the next scan looks again */
	hv_uuid_format(d->uuid, uuid);
	mode = super_classify(s, d->domid, &stub);
	sg = super_guest_new(s, d->domid, name, uuid);
	if (sg == NULL) {
		struct log_guest lg = { name, (int)d->domid, -1, NULL };

		log_guest(LOG_LVL_WARNING, &lg, NULL, "out of memory; not "
		    "supervised");
	}
	free(name);
	if (sg == NULL)
		return;
	sg->pub.mode = mode;
	if (!d->paused || d->cpu_ns > 0)
		guest_observe_ran(&sg->pub.g);
	if (mode == SUPER_MODE_OWN) {
		super_apply(s, sg, guest_on_detected(&sg->pub.g, &e),
		    GUEST_DETECTED);
		return;
	}
	snprintf(sg->pub.g.reason, sizeof(sg->pub.g.reason), "%s",
	    super_mode_reasons[mode]);
	sg->pub.g.state = GUEST_IGNORED;
	super_log_transition(s, sg, GUEST_DETECTED);
	if (mode == SUPER_MODE_LIBXL) {
		sg->pending = true;
		sg->pending_until = e.now + sg->pub.g.cfg->start_timeout_ms;
		super_check_pending(s, sg, v, n);
	}
}

/* New guests: detected.  Returns the lowest domid not introduced yet. */
static uint32_t
super_scan_new(struct super *s, const struct hv_dominfo *v, size_t n)
{
	uint32_t unsettled = UINT32_MAX;
	struct sguest *sg;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct hv_dominfo *d = &v[i];

		if (d->domid == 0 || d->domid >= SUPER_DOMID_MAX ||
		    s->stub_owner[d->domid] >= 0)
			continue;
		if ((sg = s->by_domid[d->domid]) != NULL) {
			if (!sg->pub.g.ever_ran && (!d->paused || d->cpu_ns)) {
				guest_observe_ran(&sg->pub.g);
				super_persist(s, sg);
			}
			continue;
		}
		if (s->seen[d->domid])
			continue;
		if (!hv_needs_device_model(d) || d->dying || d->shutdown) {
			s->seen[d->domid] = 1;
			continue;
		}
		super_detect(s, d, v, n);
		if (s->by_domid[d->domid] == NULL && d->domid < unsettled)
			unsettled = d->domid;
	}
	return unsettled;
}

/* Where the next listing of new domains starts. */
static void
super_set_scan_from(struct super *s, const struct hv_dominfo *v, size_t n,
    uint32_t unsettled)
{
	uint32_t next = n > 0 ? v[n - 1].domid + 1 : 1;

	s->scan_from = unsettled < next ? unsettled : next;
}

static enum guest_exit
super_exit_of(const struct hv_dominfo *d, char *why, size_t size)
{
	if (d == NULL) {
		snprintf(why, size, "stub domain disappeared");
		return GUEST_EXIT_DESTROYED;
	}
	if (d->dying) {
		snprintf(why, size, "stub domain %u destroyed by someone else",
		    d->domid);
		return GUEST_EXIT_DESTROYED;
	}
	snprintf(why, size, "stub domain %u shut down (%s)", d->domid,
	    hv_shutdown_name(d->shutdown_reason));
	return d->shutdown_reason == HV_SHUTDOWN_POWEROFF ?
	    GUEST_EXIT_SHUTDOWN : GUEST_EXIT_CRASHED;
}

/* Xen's shutdown reason while libxl saves or migrates a guest. */
static bool
super_suspended(const struct hv_dominfo *d)
{
	return d != NULL && d->shutdown &&
	    d->shutdown_reason == HV_SHUTDOWN_SUSPEND;
}

/*
 * A save or a migration begins: said once, for the guest and its stub
 * may then go in the same scan.
 */
static void
super_note_suspend(struct sguest *sg, const struct hv_dominfo *d)
{
	struct log_guest lg = super_lg(sg);

	if (sg->suspended == super_suspended(d))
		return;
	sg->suspended = super_suspended(d);
	log_guest(LOG_LVL_INFO, &lg, NULL, "%s", sg->suspended ? "guest "
	    "suspended: a save or a migration begins" : "guest resumed after "
	    "a suspend");
}

/*
 * The stub SD (NULL: gone) of a suspended guest ended.  Destroyed (what
 * libxl does once it has the device state): the save or migration took
 * it, no device-model death.  Ended by itself: a real death, which fails
 * the save; it counts if the guest runs again (super_resumed).
 */
static void
super_saved(struct super *s, struct sguest *sg, const struct hv_dominfo *sd)
{
	struct guest *g = &sg->pub.g;
	struct log_guest lg = super_lg(sg);
	enum guest_state old = g->state;
	struct guest_env e = super_env(s);
	enum guest_exit how;
	char why[128], text[GUEST_REASON_MAX];

	how = super_exit_of(sd, why, sizeof(why));
	if (how == GUEST_EXIT_DESTROYED) {
		snprintf(text, sizeof(text), "saved or migrated: the guest is "
		    "suspended and its toolstack ended its stub (%.80s)", why);
		log_guest(LOG_LVL_INFO, &lg, NULL, "%s; no "
		    "device-model death, no rebuild", text);
	} else {
		snprintf(text, sizeof(text), "the stub ended during the "
		    "guest's save or migration (%.80s)", why);
		log_guest(LOG_LVL_WARNING, &lg, NULL, "%s: the save fails; "
		    "on_dm_death applies if the guest runs again", text);
	}
	super_apply(s, sg, guest_on_guest_suspended(g, &e, how, text), old);
}

/* A guest whose stub ended in its save runs again: no device model. */
static void
super_resumed(struct super *s, struct sguest *sg)
{
	struct guest *g = &sg->pub.g;
	enum guest_state old = g->state;
	struct guest_env e = super_env(s);

	super_apply(s, sg, guest_on_resumed(g, &e, "the guest runs again "
	    "after a save, without its device model"), old);
}

/* A stub is recognised by the UUID stubdmd chose, never by domid alone. */
static bool
super_is_stub_of(const struct hv_dominfo *d, const struct guest *g)
{
	char uuid[37];

	hv_uuid_format(d->uuid, uuid);
	return !hv_needs_device_model(d) && strcmp(uuid, g->stub_uuid) == 0;
}

static void
super_check_guest(struct super *s, struct sguest *sg,
    const struct hv_dominfo *v, size_t n)
{
	struct guest *g = &sg->pub.g;
	const struct hv_dominfo *d = hv_list_find(v, n, g->domid), *sd;
	struct guest_env e = super_env(s);
	enum guest_state old = g->state;
	char why[128];

	if (d == NULL || d->dying) {
		struct log_guest lg = super_lg(sg);

		log_guest(LOG_LVL_INFO, &lg, NULL, "guest is gone%s%s",
		    sg->suspended || super_suspended(d) ?
		    " (suspended: saved or migrated)" : "",
		    g->stub_domid >= 0 ? "; destroying its stub domain" : "");
		super_apply(s, sg, guest_on_gone(g, &e), old);
		return;
	}
	if (sg->pending) {
		super_check_pending(s, sg, v, n);
		return;
	}
	super_note_suspend(sg, d);
	if (g->ended_in_save && !d->shutdown) {
		super_resumed(s, sg);
		return;
	}
	if (g->stub_domid < 0 ||
	    (g->state != GUEST_STARTING && g->state != GUEST_RUNNING))
		return;
	sd = hv_list_find(v, n, (uint32_t)g->stub_domid);
	if (sd != NULL && !super_is_stub_of(sd, g)) {
		sd = NULL;	/* the domid was reused: ours is gone */
		g->stub_domid = -1;
	}
	if (sd != NULL && !sd->dying && !sd->shutdown) {
		if (g->state == GUEST_STARTING && !sg->ready_armed)
			super_on_ready_event(sg, sg->ready_path);
		return;
	}
	if (sd != NULL && sd->dying)
		guest_add_dying(g, sd->domid);
	if (super_suspended(d)) {
		super_saved(s, sg, sd);
		return;
	}
	if (d->shutdown) {
		struct log_guest lg = super_lg(sg);

		snprintf(why, sizeof(why), "the guest shut down (%s); its "
		    "device model ended with it", hv_shutdown_name(
		    d->shutdown_reason));
		log_guest(LOG_LVL_INFO, &lg, NULL, "%s", why);
		super_apply(s, sg, guest_on_guest_shut_down(g, &e, why), old);
		return;
	}
	super_apply(s, sg, guest_on_stub_died(g, &e, super_exit_of(sd, why,
	    sizeof(why)), why), old);
}

/* Old stubs: linger while dying, vanish with their guest; orphans go. */
static void
super_check_stubs(struct super *s, const struct hv_dominfo *v, size_t n)
{
	const struct hv_dominfo *d;
	struct sguest *sg;
	uint32_t id;

	for (id = 1; id < SUPER_DOMID_MAX; id++) {
		if (s->stub_owner[id] < 0)
			continue;
		d = hv_list_find(v, n, id);
		sg = s->by_domid[s->stub_owner[id]];
		if (d == NULL) {
			if (sg != NULL)
				guest_drop_dying(&sg->pub.g, id);
			s->stub_owner[id] = -1;
		} else if (sg != NULL && sg->pub.g.stub_domid == (int)id) {
			continue;
		} else if (d->dying) {
			if (sg != NULL && !guest_is_dying_stub(&sg->pub.g, id)) {
				guest_add_dying(&sg->pub.g, id);
				super_persist(s, sg);
			}
		} else if (hv_needs_device_model(d)) {
			s->stub_owner[id] = -1;	/* a reused domid: a guest */
		} else if (sg == NULL || sg->pub.g.state != GUEST_SPAWNING) {
			log_info("stub domain %u is no live guest's current stub; "
			    "destroying it", id);
			s->stats.orphans_destroyed++;
			s->sd->hv->ops->destroy(s->sd->hv, id);
		}
	}
}

static void
super_forget_absent(struct super *s, const struct hv_dominfo *v, size_t n)
{
	uint32_t id;

	memset(s->present, 0, SUPER_DOMID_MAX / 8);
	for (size_t i = 0; i < n; i++)
		if (v[i].domid < SUPER_DOMID_MAX)
			s->present[v[i].domid / 8] |= (uint8_t)(1 << (v[i].domid % 8));
	/* A domid Xen hands out again is a new domain. */
	for (id = 1; id < SUPER_DOMID_MAX; id++)
		if (s->seen[id] && !(s->present[id / 8] & (1 << (id % 8))))
			s->seen[id] = 0;
}

static void
super_scan(struct super *s)
{
	uint64_t t0 = clock_now_us();
	struct hv_dominfo *v = NULL;
	struct sguest *sg, *next;
	size_t n = 0;
	int rc;

	if (!xstore_connected(s->sd->xs))
		return;	/* the reconnection scans */
	if ((rc = s->sd->hv->ops->list(s->sd->hv, 0, &v, &n)) < 0) {
		log_warnx("listing domains: %s; will retry", strerror(-rc));
		return;
	}
	hv_list_sort(v, n);
	s->stats.scans++;
	s->full_due = false;
	super_set_scan_from(s, v, n, super_scan_new(s, v, n));
	/* Stubs first: the listing predates what the guest checks destroy. */
	super_check_stubs(s, v, n);
	pool_check(s->pool, v, n);
	for (sg = TAILQ_FIRST(&s->guests); sg != NULL; sg = next) {
		next = TAILQ_NEXT(sg, link);
		super_check_guest(s, sg, v, n);
	}
	super_forget_absent(s, v, n);
	free(v);
	t0 = clock_now_us() - t0;
	s->stats.event_us_total += t0;
	if (t0 > s->stats.event_us_max)
		s->stats.event_us_max = t0;
}

/*
 * Only domains created since the last listing (@introduceDomain): from
 * the lowest domid not settled yet.  A guest arriving costs what is new,
 * not what the host runs.  Nothing new there (domids wrapped): a full
 * listing.  0: done; -1: list everything.
 */
static int
super_scan_new_only(struct super *s)
{
	struct hv_dominfo *v = NULL;
	size_t n = 0;
	int rc;

	if (s->full_due || s->scan_from == 0 ||
	    (rc = s->sd->hv->ops->list(s->sd->hv, s->scan_from, &v, &n)) < 0)
		return -1;
	if (n == 0) {
		free(v);
		return -1;
	}
	hv_list_sort(v, n);
	s->stats.scans++;
	super_set_scan_from(s, v, n, super_scan_new(s, v, n));
	free(v);
	return 0;
}

static void
super_on_scan(evutil_socket_t fd, short what, void *arg)
{
	struct super *s = arg;
	uint64_t t0 = clock_now_us();

	if (!xstore_connected(s->sd->xs) || super_scan_new_only(s) < 0) {
		super_scan(s);
		return;
	}
	t0 = clock_now_us() - t0;
	s->stats.event_us_total += t0;
	if (t0 > s->stats.event_us_max)
		s->stats.event_us_max = t0;
}

static void
super_on_domain_event(void *arg, const char *path)
{
	struct super *s = arg;

	s->stats.events++;
	/* A domain that goes (or anything else) needs the whole listing. */
	if (strcmp(path, "@introduceDomain") != 0)
		s->full_due = true;
	/* Watch events that arrive together share one listing. */
	if (!event_pending(s->ev_scan, EV_TIMEOUT, NULL))
		event_active(s->ev_scan, EV_TIMEOUT, 0);
}

void
super_reconcile(struct super *s, const char *why)
{
	uint64_t t0 = clock_now_us();

	s->stats.reconciles++;
	log_debug("reconcile (%s)", why);
	super_scan(s);
	t0 = clock_now_us() - t0;
	s->stats.reconcile_us_last = t0;
	if (t0 > s->stats.reconcile_us_max)
		s->stats.reconcile_us_max = t0;
}

static void
super_on_reconcile(evutil_socket_t fd, short what, void *arg)
{
	struct super *s = arg;
	char *v;

	/* A cheap read also notices a xenstored that went away quietly. */
	if ((v = xstore_read(s->sd->xs, "/local/domain/0/name")) != NULL)
		free(v);
	super_reconcile(s, "timer");
}

static void
super_arm_reconcile(struct super *s)
{
	uint64_t ms = policy_global(super_policy(s))->reconcile_interval_ms;
	struct timeval tv = { (time_t)(ms / 1000),
	    (suseconds_t)(ms % 1000) * 1000 };

	event_del(s->ev_reconcile);
	event_add(s->ev_reconcile, &tv);
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
	s->pool = pool_new(sd);
	s->rng = clock_wall_ms() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
	if (s->by_domid == NULL || s->stub_owner == NULL || s->seen == NULL ||
	    s->present == NULL || s->state_path == NULL || s->ev_scan == NULL ||
	    s->pool == NULL ||
	    s->ev_reconcile == NULL) {
		super_free(s);
		return NULL;
	}
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
	while ((sg = TAILQ_FIRST(&s->guests)) != NULL)
		super_guest_free(s, sg);
	if (s->ev_scan != NULL)
		event_free(s->ev_scan);
	if (s->ev_reconcile != NULL)
		event_free(s->ev_reconcile);
	pool_free(s->pool);
	free(s->by_domid);
	free(s->stub_owner);
	free(s->seen);
	free(s->present);
	free(s->state_path);
	free(s);
}

/*
 * Re-adoption.  The record says what the last daemon knew; Xen says what
 * is still there.  A stub is recognised by the UUID stubdmd chose for it
 * before the build, so a daemon killed mid-build finds it too.
 */
static const struct hv_dominfo *
super_find_uuid(const struct hv_dominfo *v, size_t n, const char *uuid)
{
	uint8_t u[16];
	size_t i;

	if (hv_uuid_parse(uuid, u) < 0)
		return NULL;
	/* A domain that needs a device model is a guest, never a stub. */
	for (i = 0; i < n; i++)
		if (memcmp(v[i].uuid, u, sizeof(u)) == 0 &&
		    !hv_needs_device_model(&v[i]))
			return &v[i];
	return NULL;
}

static void
super_adopt_stub(struct super *s, struct sguest *sg,
    const struct hv_dominfo *v, size_t n)
{
	struct guest *g = &sg->pub.g;
	const struct hv_dominfo *stub = super_find_uuid(v, n, g->stub_uuid), *d;
	unsigned i, kept = 0;

	/* A recorded domid is only a hint: it may have been reused since. */
	for (i = 0; i < g->ndying; i++) {
		d = hv_list_find(v, n, g->dying[i]);
		if (d == NULL || !d->dying || hv_needs_device_model(d))
			continue;
		s->stub_owner[d->domid] = (int32_t)g->domid;
		g->dying[kept++] = d->domid;
	}
	g->ndying = kept;
	if (stub != NULL && stub->domid < SUPER_DOMID_MAX) {
		s->stub_owner[stub->domid] = (int32_t)g->domid;
		if (g->stub_domid >= 0)
			g->stub_domid = (int)stub->domid;
	} else if (g->state != GUEST_STARTING && g->state != GUEST_RUNNING)
		g->stub_domid = -1;
	if (g->state == GUEST_SPAWNING || g->state == GUEST_DETECTED ||
	    g->state == GUEST_STOPPING) {
		/* Killed mid-build: that stub was never unpaused. */
		if (stub != NULL && !stub->dying)
			s->sd->hv->ops->destroy(s->sd->hv, stub->domid);
		g->stub_domid = -1;
		g->state = GUEST_DETECTED;
		return;
	}
	/* A recorded stub that is gone: the first scan reports its death. */
}

/* The guest of a record is gone: its stub (found by UUID) goes too. */
static void
super_adopt_departed(struct super *s, uint32_t domid, const struct guest *rec,
    const struct hv_dominfo *v, size_t n)
{
	const struct hv_dominfo *stub = super_find_uuid(v, n, rec->stub_uuid);
	bool orphan = stub != NULL && !stub->dying && stub->domid != domid;
	struct log_guest lg = { "(gone)", (int)domid, orphan ?
	    (int)stub->domid : -1, guest_state_name(rec->state) };

	/* The record has no name: the journal still gets GUEST_DOMID=. */
	log_guest(LOG_LVL_INFO, &lg, NULL, "went away while stubdmd was "
	    "down%s", orphan ? "; destroying its stub domain" : "");
	if (orphan) {
		s->stats.orphans_destroyed++;
		s->sd->hv->ops->destroy(s->sd->hv, stub->domid);
	}
	super_unpersist(s, domid);
}

static void
super_adopt_resume(struct super *s, struct sguest *sg)
{
	struct guest *g = &sg->pub.g;
	struct guest_env e = super_env(s);
	struct log_guest lg = super_lg(sg);

	s->stats.adopted++;
	log_guest(LOG_LVL_INFO, &lg, NULL, "adopted: %s, %u restarts",
	    guest_state_name(g->state), g->restarts);
	switch (g->state) {
	case GUEST_DETECTED:
		super_apply(s, sg, guest_on_detected(g, &e), GUEST_DETECTED);
		break;
	case GUEST_STARTING:
		g->deadline = e.now + g->cfg->start_timeout_ms;
		super_arm_timer(sg);
		super_watch_ready(s, sg);
		break;
	case GUEST_BACKOFF:
		super_arm_timer(sg);
		break;
	default:
		break;
	}
}

static void
super_adopt_one(struct super *s, uint32_t domid, const char *rec,
    const struct hv_dominfo *v, size_t n)
{
	const struct hv_dominfo *d = hv_list_find(v, n, domid);
	char path[SUPER_PATH_MAX], uuid[37] = "", *name = NULL;
	struct guest tmp;
	struct sguest *sg;

	guest_init(&tmp, domid, NULL, NULL, NULL);
	if (persist_decode(&tmp, rec) < 0) {
		log_warnx("%s/guests/%u: malformed record; ignoring it",
		    s->state_path, domid);
		super_unpersist(s, domid);
		goto out;
	}
	if (d != NULL)
		hv_uuid_format(d->uuid, uuid);
	if (d == NULL || d->dying || strcmp(uuid, tmp.uuid) != 0) {
		super_adopt_departed(s, domid, &tmp, v, n);
		goto out;
	}
	snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
	if ((name = xstore_read(s->sd->xs, path)) == NULL ||
	    (sg = super_guest_new(s, domid, name, uuid)) == NULL)
		goto out;	/* the scan detects it afresh */
	/* Keep the new guest's name and policy, the record's state. */
	free(tmp.name);
	tmp.name = sg->pub.g.name;
	tmp.cfg = sg->pub.g.cfg;
	sg->pub.g = tmp;
	sg->pub.mode = tmp.adopted != NULL ? SUPER_MODE_ADOPTED :
	    SUPER_MODE_OWN;
	tmp.name = NULL;	/* these three are the guest's now */
	tmp.adopted = NULL;
	tmp.restart_log = NULL;
	super_adopt_stub(s, sg, v, n);
	super_adopt_resume(s, sg);
out:
	guest_release(&tmp);
	free(name);
}

static void
super_adopt(struct super *s)
{
	char path[SUPER_PATH_MAX], **ents, *rec;
	struct hv_dominfo *v = NULL;
	unsigned i, count = 0;
	uint32_t domid;
	size_t n = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/guests", s->state_path);
	if ((ents = xstore_directory(s->sd->xs, path, &count)) == NULL)
		return;
	if ((rc = s->sd->hv->ops->list(s->sd->hv, 0, &v, &n)) < 0) {
		log_warnx("listing domains for re-adoption: %s", strerror(-rc));
		free(ents);
		return;
	}
	hv_list_sort(v, n);
	for (i = 0; i < count; i++) {
		if (persist_parse_domid(ents[i], SUPER_DOMID_MAX, &domid) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/guests/%s", s->state_path,
		    ents[i]);
		if ((rec = xstore_read(s->sd->xs, path)) == NULL)
			continue;
		super_adopt_one(s, domid, rec, v, n);
		free(rec);
	}
	free(ents);
	free(v);
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
	super_reconcile(s, "start-up");
	super_arm_reconcile(s);
}

void
super_set_policy(struct super *s, const struct policy *p)
{
	struct sguest *sg;

	/* Running stubs keep running; the next build uses the new settings. */
	TAILQ_FOREACH(sg, &s->guests, link)
		guest_set_policy(&sg->pub.g, policy_match(p, sg->pub.g.name,
		    sg->pub.g.uuid, NULL));
	pool_set_policy(s->pool, p);
	if (strcmp(policy_global(p)->state_path, s->state_path) != 0)
		log_warnx("state_path changes take effect at the next start");
	if (policy_global(p)->reconcile_interval_ms !=
	    policy_global(super_policy(s))->reconcile_interval_ms) {
		uint64_t ms = policy_global(p)->reconcile_interval_ms;
		struct timeval tv = { (time_t)(ms / 1000),
		    (suseconds_t)(ms % 1000) * 1000 };

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
		return id < SUPER_DOMID_MAX && s->by_domid[id] ?
		    &s->by_domid[id]->pub : NULL;
	TAILQ_FOREACH(sg, &s->guests, link)
		if (strcmp(sg->pub.g.name, key) == 0)
			return &sg->pub;
	return NULL;
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
