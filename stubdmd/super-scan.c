/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The supervisor's detection: classifying a domain, scans of the domain
 * list (new domains, gone ones, dead stubs), watch events and the
 * periodic reconcile.
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
enum super_mode
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

/*
 * The stub was destroyed by someone else (HOW) while the guest lives:
 * `xl destroy` of the guest ends its stub first, and the guest a moment
 * later.  True while the grace runs (its end scans again); a guest gone
 * by then never had a device-model death.  A stub that crashed or shut
 * down is judged at once.
 */
static bool
super_in_grace(struct super *s, struct sguest *sg, enum guest_exit how)
{
	uint64_t now = clock_now_ms(), left;
	struct timeval tv;

	if (how != GUEST_EXIT_DESTROYED)
		return false;
	if (sg->stub_gone_at == 0) {
		struct log_guest lg = super_lg(sg);

		sg->stub_gone_at = now;
		log_guest(LOG_LVL_INFO, &lg, NULL, "stub domain destroyed by "
		    "someone else; judged in %u ms unless the guest goes too "
		    "(xl destroy ends the stub first)",
		    SUPER_TOOLSTACK_GRACE_MS);
	}
	if (now - sg->stub_gone_at >= SUPER_TOOLSTACK_GRACE_MS) {
		sg->stub_gone_at = 0;
		return false;
	}
	left = SUPER_TOOLSTACK_GRACE_MS - (now - sg->stub_gone_at) + 1;
	tv = clock_tv(left);
	if (!evtimer_pending(s->ev_grace, NULL))
		evtimer_add(s->ev_grace, &tv);
	return true;
}

void
super_on_grace(evutil_socket_t fd, short what, void *arg)
{
	struct super *s = arg;

	super_reconcile(s, "a stub's grace ended");
}

/* A stub is recognised by the UUID stubdmd chose, never by domid alone. */
static bool
super_is_stub_of(const struct hv_dominfo *d, const struct guest *g)
{
	char uuid[37];

	hv_uuid_format(d->uuid, uuid);
	return !hv_needs_device_model(d) && strcmp(uuid, g->stub_uuid) == 0;
}

void
super_check_guest(struct super *s, struct sguest *sg,
    const struct hv_dominfo *v, size_t n)
{
	struct guest *g = &sg->pub.g;
	const struct hv_dominfo *d = hv_list_find(v, n, g->domid), *sd;
	struct guest_env e = super_env(s);
	enum guest_state old = g->state;
	enum guest_exit how;
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
		sg->stub_gone_at = 0;
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
	how = super_exit_of(sd, why, sizeof(why));
	if (super_in_grace(s, sg, how))
		return;
	super_apply(s, sg, guest_on_stub_died(g, &e, how, why), old);
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

/* A listing's time on the loop, whichever kind. */
static void
super_count_event(struct super *s, uint64_t t0, bool reconcile)
{
	t0 = clock_now_us() - t0;
	s->stats.event_us_total += t0;
	if (t0 > s->stats.event_us_max)
		s->stats.event_us_max = t0;
	if (!reconcile)
		return;
	s->stats.reconcile_us_last = t0;
	if (t0 > s->stats.reconcile_us_max)
		s->stats.reconcile_us_max = t0;
}

/* Every domain: new ones, gone ones, dead stubs, the pool's spares. */
static void
super_scan_all(struct super *s, const struct hv_dominfo *v, size_t n)
{
	struct sguest *sg, *next;

	super_set_scan_from(s, v, n, super_scan_new(s, v, n));
	/* Stubs first: the listing predates what the guest checks destroy. */
	super_check_stubs(s, v, n);
	pool_check(s->pool, v, n);
	for (sg = TAILQ_FIRST(&s->guests); sg != NULL; sg = next) {
		next = TAILQ_NEXT(sg, link);
		super_check_guest(s, sg, v, n);
	}
	super_forget_absent(s, v, n);
}

static void	super_listed(void *arg, int err, struct hv_dominfo *v,
		    size_t n);

/*
 * The domain list is made off the loop (hv.h list_start) and comes back
 * to super_listed; one at a time, and whatever asks for another
 * meanwhile (a watch event, a reconcile) gets it when this one is in.
 * Only domains created since the last listing (@introduceDomain), from
 * the lowest domid not settled yet: a guest arriving costs what is new,
 * not what the host runs; every domain when one went or a reconcile is
 * due.
 */
static void
super_list(struct super *s)
{
	bool full = s->full_due || s->scan_from == 0;
	int rc;

	if (s->listing) {
		s->list_again = true;
		return;
	}
	if (!xstore_connected(s->sd->xs))
		return;	/* the reconnection reconciles */
	s->listing = true;
	s->listing_full = full;
	s->full_due = false;	/* a domain that goes from now: again */
	rc = hv_list_start(s->sd->hv, full ? 0 : s->scan_from, super_listed,
	    s);
	if (rc < 0) {
		s->listing = false;
		s->full_due |= full;
		log_warnx("listing domains: %s; will retry", strerror(-rc));
	}
}

static void
super_listed(void *arg, int err, struct hv_dominfo *v, size_t n)
{
	struct super *s = arg;
	uint64_t t0 = clock_now_us();
	bool full = s->listing_full, reconcile;

	s->listing = false;
	if (err < 0) {
		log_warnx("listing domains: %s; will retry", strerror(-err));
		s->full_due |= full;
	} else if (!full && n == 0) {
		/* Nothing new there (domids wrapped): a full listing. */
		s->full_due = true;
		s->list_again = true;
	} else {
		hv_list_sort(v, n);
		s->stats.scans++;
		if (full)
			super_scan_all(s, v, n);
		else
			super_set_scan_from(s, v, n, super_scan_new(s, v, n));
	}
	free(v);
	reconcile = full && err == 0 && s->reconcile_due;
	if (reconcile)
		s->reconcile_due = false;
	super_count_event(s, t0, reconcile);
	if (s->list_again) {
		s->list_again = false;
		super_list(s);
	}
}

/*
 * At start-up, before the loop serves anyone: the first reconcile at once
 * (hv.h list), so that readiness means every guest there is known.
 */
void
super_reconcile_now(struct super *s)
{
	struct hv_dominfo *v = NULL;
	size_t n = 0;
	int rc;

	s->stats.reconciles++;
	log_debug("reconcile (start-up)");
	s->listing = s->listing_full = s->reconcile_due = true;
	s->full_due = false;
	if ((rc = s->sd->hv->ops->list(s->sd->hv, 0, &v, &n)) < 0) {
		v = NULL;
		n = 0;
	}
	super_listed(s, rc, v, n);
}

void
super_on_scan(evutil_socket_t fd, short what, void *arg)
{
	super_list(arg);
}

void
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

/* A full listing; its pass on the loop is the reconcile's figure. */
void
super_reconcile(struct super *s, const char *why)
{
	s->stats.reconciles++;
	log_debug("reconcile (%s)", why);
	s->full_due = true;
	s->reconcile_due = true;
	super_list(s);
}

void
super_on_reconcile(evutil_socket_t fd, short what, void *arg)
{
	struct super *s = arg;
	char *v;

	/* A cheap read also notices a xenstored that went away quietly. */
	if ((v = xstore_read(s->sd->xs, "/local/domain/0/name")) != NULL)
		free(v);
	super_reconcile(s, "timer");
}

void
super_arm_reconcile(struct super *s)
{
	uint64_t ms = policy_global(super_policy(s))->reconcile_interval_ms;
	struct timeval tv = clock_tv(ms);

	event_del(s->ev_reconcile);
	event_add(s->ev_reconcile, &tv);
}
