/* SPDX-License-Identifier: GPL-2.0-only */
/* The warm pool of stub domains (see pool.h). */
#include <errno.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "stubdmd/clock.h"
#include "stubdmd/hv.h"
#include "stubdmd/log.h"
#include "stubdmd/policy.h"
#include "stubdmd/pool.h"
#include "stubdmd/stubdmd.h"
#include "stubdmd/xstore.h"

#define POOL_PATH_MAX	256
#define POOL_NAME_PREFIX "stubdm-spare-"
#define POOL_HOLD_POLL_MS	250	/* held: look again */

/* What a spare is built from: a guest whose settings build the same
 * stub domain may take it. */
struct pool_spec {
	enum policy_image	 image;
	char			*kernel;
	char			*ramdisk;
	char			*cmdline;
	unsigned		 memory_mib;
	unsigned		 vcpus;
};

struct pool_set {
	struct pool_spec	 spec;
	unsigned		 size;		/* spares wanted */
	uint64_t		 backoff_initial_ms, backoff_max_ms;
	unsigned		 fail_step;
	uint64_t		 retry_at;	/* monotonic ms */
	bool			 keep;		/* still in the policy */
	TAILQ_ENTRY(pool_set)	 link;
};

struct pool_stub {
	struct pool_set		*set;
	char			 uuid[37];
	uint32_t		 domid;
	bool			 building;
	uint64_t		 serial;
	TAILQ_ENTRY(pool_stub)	 link;
};

struct pool {
	struct stubdmd			*sd;
	TAILQ_HEAD(, pool_set)		 sets;
	TAILQ_HEAD(, pool_stub)		 stubs;	/* oldest first */
	struct event			*ev_fill;
	uint64_t			 fill_at;	/* when ev_fill fires */
	uint64_t			 next_serial;
	struct pool_stats		 stats;
	unsigned			(*busy)(void *);
	void				*busy_arg;
	uint64_t			 held_since;	/* 0: not held */
};

struct pool_ticket {
	struct pool	*pl;
	uint64_t	 serial;
	char		 uuid[37];
};

static void pool_fill(struct pool *pl);

static bool
pool_spec_matches(const struct pool_spec *a, const struct policy_settings *c)
{
	return a->image == c->image && a->memory_mib == c->memory_mib &&
	    a->vcpus == c->vcpus && strcmp(a->kernel, c->kernel) == 0 &&
	    strcmp(a->ramdisk, c->ramdisk) == 0 &&
	    strcmp(a->cmdline, c->cmdline) == 0;
}

static void
pool_record_path(const struct pool *pl, const char *uuid, char *buf,
    size_t size)
{
	snprintf(buf, size, "%s/pool%s%s",
	    policy_global(pl->sd->policy)->state_path, uuid ? "/" : "",
	    uuid ? uuid : "");
}

static void
pool_unrecord(struct pool *pl, const char *uuid)
{
	char path[POOL_PATH_MAX];

	pool_record_path(pl, uuid, path, sizeof(path));
	xstore_rm(pl->sd->xs, path);
}

static void
pool_stub_free(struct pool *pl, struct pool_stub *st)
{
	TAILQ_REMOVE(&pl->stubs, st, link);
	free(st);
}

/* Destroy a spare and forget it (its record too). */
static void
pool_discard(struct pool *pl, struct pool_stub *st)
{
	if (!st->building && st->domid != 0)
		pl->sd->hv->ops->destroy(pl->sd->hv, st->domid);
	/* A spare still building is destroyed when its build reports. */
	if (!st->building)
		pool_unrecord(pl, st->uuid);
	pool_stub_free(pl, st);
}

static void
pool_set_free(struct pool *pl, struct pool_set *set)
{
	TAILQ_REMOVE(&pl->sets, set, link);
	free(set->spec.kernel);
	free(set->spec.ramdisk);
	free(set->spec.cmdline);
	free(set);
}

/* Fill in ms at the latest (an earlier fill already planned stands). */
static void
pool_schedule(struct pool *pl, uint64_t ms)
{
	struct timeval tv = clock_tv(ms);
	uint64_t at = clock_now_ms() + ms;

	if (evtimer_pending(pl->ev_fill, NULL) && pl->fill_at <= at)
		return;
	pl->fill_at = at;
	evtimer_add(pl->ev_fill, &tv);
}

static void
pool_failed(struct pool *pl, struct pool_set *set)
{
	uint64_t d = set->backoff_initial_ms;
	unsigned i;

	for (i = 0; i < set->fail_step && d < set->backoff_max_ms; i++)
		d *= 2;
	if (d > set->backoff_max_ms)
		d = set->backoff_max_ms;
	set->fail_step++;
	set->retry_at = clock_now_ms() + d;
	pool_schedule(pl, d);
}

static struct pool_stub *
pool_find_serial(struct pool *pl, uint64_t serial)
{
	struct pool_stub *st;

	TAILQ_FOREACH(st, &pl->stubs, link)
		if (st->serial == serial)
			return st;
	return NULL;
}

/*
 * A spare's unpause, back from the worker.  It may have been taken
 * meanwhile (its guest's start times out if it never ran); if not, a
 * spare that failed to unpause is replaced.
 */
static void
pool_unpaused(void *arg, int err)
{
	struct pool_ticket *t = arg;
	struct pool_stub *st = NULL;

	if (err < 0 && err != -ECANCELED)
		st = pool_find_serial(t->pl, t->serial);
	if (st != NULL) {
		log_warnx("pool: unpausing spare stub domain %u: %s; "
		    "replacing it", st->domid, strerror(-err));
		pool_failed(t->pl, st->set);
		pool_discard(t->pl, st);
	}
	free(t);
}

static int
pool_unpause(struct pool *pl, struct pool_stub *st)
{
	struct pool_ticket *t = calloc(1, sizeof(*t));
	int rc;

	if (t == NULL)
		return -ENOMEM;
	t->pl = pl;
	t->serial = st->serial;
	if ((rc = pl->sd->hv->ops->unpause(pl->sd->hv, st->domid,
	    pool_unpaused, t)) < 0)
		free(t);
	return rc;
}

static void
pool_built(void *arg, int err, uint32_t domid, const char *why)
{
	struct pool_ticket *t = arg;
	struct pool *pl = t->pl;
	struct pool_stub *st = pool_find_serial(pl, t->serial);
	struct hv *hv = pl->sd->hv;
	int rc;

	if (st == NULL) {	/* drained meanwhile */
		if (err == 0)
			hv->ops->destroy(hv, domid);
		pool_unrecord(pl, t->uuid);
		free(t);
		return;
	}
	free(t);
	st->building = false;
	if (err < 0) {
		pl->stats.build_failures++;
		log_warnx("pool: building a spare stub domain failed: %s; "
		    "retrying later", why);
		pool_failed(pl, st->set);
		pool_unrecord(pl, st->uuid);
		pool_stub_free(pl, st);
		return;
	}
	st->domid = domid;
	/* No target yet: it boots and waits for one. */
	if ((rc = pool_unpause(pl, st)) < 0) {
		log_warnx("pool: unpausing spare stub domain %u: %s", domid,
		    strerror(-rc));
		pool_failed(pl, st->set);
		pool_discard(pl, st);
		return;
	}
	pl->stats.built++;
	st->set->fail_step = 0;
	log_info("pool: spare stub domain %u booting (%u MiB, kernel %s)",
	    domid, st->set->spec.memory_mib, st->set->spec.kernel);
}

static int
pool_build_one(struct pool *pl, struct pool_set *set)
{
	struct pool_stub *st = calloc(1, sizeof(*st));
	struct pool_ticket *t = calloc(1, sizeof(*t));
	char name[64], path[POOL_PATH_MAX];
	struct hv_stub_spec spec;
	uint8_t u[16];
	int rc;

	if (st == NULL || t == NULL) {
		free(st);
		free(t);
		return -ENOMEM;
	}
	st->set = set;
	st->building = true;
	st->serial = t->serial = ++pl->next_serial;
	t->pl = pl;
	if (hv_uuid_random(u) < 0) {
		free(st);
		free(t);
		return -EIO;
	}
	hv_uuid_format(u, st->uuid);
	memcpy(t->uuid, st->uuid, sizeof(t->uuid));
	snprintf(name, sizeof(name), POOL_NAME_PREFIX "%.8s", st->uuid);
	memset(&spec, 0, sizeof(spec));
	spec.name = name;
	hv_uuid_parse(st->uuid, spec.uuid);
	spec.memory_mib = set->spec.memory_mib;
	spec.vcpus = set->spec.vcpus;
	spec.kernel = set->spec.kernel;
	spec.ramdisk = set->spec.ramdisk;
	spec.cmdline = set->spec.cmdline;
	spec.serial = "";	/* given when taken (hv_ops.attach) */
	spec.spare = set->spec.image == POLICY_IMAGE_LINUX;
	/* Recorded first: a daemon killed mid-build finds it by UUID. */
	pool_record_path(pl, st->uuid, path, sizeof(path));
	xstore_write(pl->sd->xs, path, "spare");
	TAILQ_INSERT_TAIL(&pl->stubs, st, link);
	if ((rc = pl->sd->hv->ops->build(pl->sd->hv, &spec, pool_built,
	    t)) < 0) {
		free(t);
		pl->stats.build_failures++;
		log_warnx("pool: building a spare stub domain: %s",
		    strerror(-rc));
		pool_unrecord(pl, st->uuid);
		pool_stub_free(pl, st);
		pool_failed(pl, set);
		return rc;
	}
	return 0;
}

static unsigned
pool_count(const struct pool *pl, const struct pool_set *set)
{
	const struct pool_stub *st;
	unsigned n = 0;

	TAILQ_FOREACH(st, &pl->stubs, link)
		if (st->set == set)
			n++;
	return n;
}

/* Some pool has fewer spares than it wants. */
static bool
pool_short(const struct pool *pl)
{
	const struct pool_set *set;

	TAILQ_FOREACH(set, &pl->sets, link)
		if (pool_count(pl, set) < set->size)
			return true;
	return false;
}

/*
 * Stubs are starting and a spare is wanted: come back later, if it has
 * not been too long.  A host without a pool is never held (no timer).
 */
static bool
pool_held(struct pool *pl, uint64_t now)
{
	unsigned n = pl->busy != NULL && pool_short(pl) ?
	    pl->busy(pl->busy_arg) : 0;

	if (n > 0 && pl->held_since != 0 &&
	    now - pl->held_since >= POOL_HOLD_MAX_MS)
		log_info("pool: filling after %u s although stub domains are "
		    "still starting (%u)", POOL_HOLD_MAX_MS / 1000, n);
	else if (n > 0) {
		if (pl->held_since == 0) {
			log_debug("pool: fill held while stub domains start "
			    "(%u)", n);
			pl->held_since = now;
		}
		pool_schedule(pl, POOL_HOLD_POLL_MS);
		return true;
	}
	pl->held_since = 0;
	return false;
}

static void
pool_fill(struct pool *pl)
{
	uint64_t now = clock_now_ms();
	struct pool_set *set;
	unsigned have;

	if (pool_held(pl, now))
		return;
	TAILQ_FOREACH(set, &pl->sets, link) {
		if (now < set->retry_at) {	/* in back-off: come back */
			pool_schedule(pl, set->retry_at - now);
			continue;
		}
		for (have = pool_count(pl, set); have < set->size; have++)
			if (pool_build_one(pl, set) < 0)
				break;
	}
}

static void
pool_on_fill(evutil_socket_t fd, short what, void *arg)
{
	pool_fill(arg);
}

struct pool *
pool_new(struct stubdmd *sd)
{
	struct pool *pl = calloc(1, sizeof(*pl));

	if (pl == NULL)
		return NULL;
	pl->sd = sd;
	TAILQ_INIT(&pl->sets);
	TAILQ_INIT(&pl->stubs);
	if ((pl->ev_fill = evtimer_new(sd->base, pool_on_fill, pl)) == NULL) {
		free(pl);
		return NULL;
	}
	return pl;
}

void
pool_set_hold(struct pool *pl, unsigned (*busy)(void *), void *arg)
{
	pl->busy = busy;
	pl->busy_arg = arg;
}

void
pool_free(struct pool *pl)
{
	if (pl == NULL)
		return;
	while (!TAILQ_EMPTY(&pl->stubs))
		pool_stub_free(pl, TAILQ_FIRST(&pl->stubs));
	while (!TAILQ_EMPTY(&pl->sets))
		pool_set_free(pl, TAILQ_FIRST(&pl->sets));
	event_free(pl->ev_fill);
	free(pl);
}

static struct pool_set *
pool_set_new(struct pool *pl, const struct policy_settings *c)
{
	struct pool_set *set = calloc(1, sizeof(*set));

	if (set == NULL)
		return NULL;
	set->spec.image = c->image;
	set->spec.kernel = strdup(c->kernel);
	set->spec.ramdisk = strdup(c->ramdisk);
	set->spec.cmdline = strdup(c->cmdline);
	set->spec.memory_mib = c->memory_mib;
	set->spec.vcpus = c->vcpus;
	TAILQ_INSERT_TAIL(&pl->sets, set, link);
	if (set->spec.kernel == NULL || set->spec.ramdisk == NULL ||
	    set->spec.cmdline == NULL) {
		pool_set_free(pl, set);
		return NULL;
	}
	return set;
}

/* The pool whose spares a guest with settings c may take. */
static struct pool_set *
pool_set_for(struct pool *pl, const struct policy_settings *c)
{
	struct pool_set *set;

	TAILQ_FOREACH(set, &pl->sets, link)
		if (pool_spec_matches(&set->spec, c))
			return set;
	return NULL;
}

/* Spares beyond what a pool wants (or of a pool gone) are destroyed. */
static void
pool_trim(struct pool *pl)
{
	struct pool_stub *st, *next;
	struct pool_set *set, *snext;

	for (set = TAILQ_FIRST(&pl->sets); set != NULL; set = snext) {
		unsigned have = pool_count(pl, set);

		snext = TAILQ_NEXT(set, link);
		for (st = TAILQ_FIRST(&pl->stubs); st != NULL &&
		    have > set->size; st = next) {
			next = TAILQ_NEXT(st, link);
			if (st->set != set)
				continue;
			log_info("pool: %s spare stub domain %u", set->keep ?
			    "too many spares: destroying" : "policy changed: "
			    "destroying", st->domid);
			pool_discard(pl, st);
			have--;
		}
		if (!set->keep)
			pool_set_free(pl, set);
	}
}

void
pool_set_policy(struct pool *pl, const struct policy *p)
{
	const struct policy_settings *c;
	struct pool_set *set;
	size_t i;

	TAILQ_FOREACH(set, &pl->sets, link) {
		set->keep = false;
		set->size = 0;
	}
	for (i = 0; (c = policy_section(p, i)) != NULL; i++) {
		if (c->pool_size == 0 || !c->stubdom)
			continue;
		if ((set = pool_set_for(pl, c)) == NULL &&
		    (set = pool_set_new(pl, c)) == NULL) {
			log_warnx("pool: out of memory");
			continue;
		}
		set->keep = true;
		if (c->pool_size > set->size)
			set->size = c->pool_size;
		set->backoff_initial_ms = c->backoff_initial_ms;
		set->backoff_max_ms = c->backoff_max_ms;
	}
	pool_trim(pl);
	pool_fill(pl);
}

/* Spares of a previous run: found by the UUIDs recorded, destroyed. */
void
pool_start(struct pool *pl, const struct hv_dominfo *v, size_t n)
{
	char path[POOL_PATH_MAX], **ents, uuid[37];
	unsigned i, count = 0;
	size_t j;

	pool_record_path(pl, NULL, path, sizeof(path));
	xstore_mkdir_perms(pl->sd->xs, path, "n0");
	if ((ents = xstore_directory(pl->sd->xs, path, &count)) != NULL) {
		for (i = 0; i < count; i++) {
			for (j = 0; j < n; j++) {
				hv_uuid_format(v[j].uuid, uuid);
				if (strcmp(uuid, ents[i]) == 0 && !v[j].dying)
					break;
			}
			if (j < n) {
				log_info("pool: destroying spare stub domain "
				    "%u of a previous run", v[j].domid);
				pl->sd->hv->ops->destroy(pl->sd->hv,
				    v[j].domid);
			}
			pool_unrecord(pl, ents[i]);
		}
		free(ents);
	}
	pool_set_policy(pl, pl->sd->policy);
}

int
pool_take(struct pool *pl, const struct policy_settings *cfg,
    uint32_t *domid, char uuid[37])
{
	struct pool_set *set = pool_set_for(pl, cfg);
	struct pool_stub *st;

	if (set == NULL || !set->keep)
		return -ENOENT;
	TAILQ_FOREACH(st, &pl->stubs, link)
		if (st->set == set && !st->building)
			break;
	if (st == NULL)
		return -ENOENT;
	*domid = st->domid;
	snprintf(uuid, 37, "%s", st->uuid);
	pl->stats.taken++;
	pool_stub_free(pl, st);
	/* Refilled once the stubs starting now have started (pool_held). */
	pool_schedule(pl, 0);
	return 0;
}

void
pool_taken(struct pool *pl, const char *uuid)
{
	pool_unrecord(pl, uuid);
}

void
pool_check(struct pool *pl, const struct hv_dominfo *v, size_t n)
{
	struct pool_stub *st, *next;
	const struct hv_dominfo *d;

	for (st = TAILQ_FIRST(&pl->stubs); st != NULL; st = next) {
		next = TAILQ_NEXT(st, link);
		if (st->building)
			continue;
		d = hv_list_find(v, n, st->domid);
		if (d != NULL && !d->dying && !d->shutdown)
			continue;
		pl->stats.died++;
		log_warnx("pool: spare stub domain %u %s while waiting; "
		    "replacing it", st->domid, d == NULL ? "disappeared" :
		    d->dying ? "was destroyed" : "shut down");
		pool_failed(pl, st->set);
		pool_discard(pl, st);
	}
}

void
pool_drain(struct pool *pl)
{
	struct pool_set *set;

	TAILQ_FOREACH(set, &pl->sets, link) {
		set->keep = false;
		set->size = 0;
	}
	pool_trim(pl);
}

void
pool_stats(const struct pool *pl, struct pool_stats *out)
{
	const struct pool_stub *st;
	const struct pool_set *set;

	*out = pl->stats;
	out->target = out->ready = out->building = 0;
	out->memory_mib = 0;
	TAILQ_FOREACH(set, &pl->sets, link)
		out->target += set->size;
	TAILQ_FOREACH(st, &pl->stubs, link) {
		if (st->building)
			out->building++;
		else
			out->ready++;
		out->memory_mib += st->set->spec.memory_mib;
	}
}
