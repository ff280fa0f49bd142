/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The supervisor at start-up: re-adopting the stubs of the daemon's own
 * records in xenstore.
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
		super_probe_sync(s, sg);
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

void
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
