/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The supervisor: building a guest's stub domain (or taking a spare from
 * the pool and attaching it), starting and destroying it.
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
 * backend that can give them to a running stub.  Never an adopted guest,
 * nor a stub that restores a device state.
 */
static bool
super_may_take_spare(const struct super *s, const struct sguest *sg)
{
	/* A restore's stub reads its console 2 from the start: a build. */
	if (sg->pub.g.adopted != NULL || sg->pub.g.restore_file != NULL)
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
	sg->spare = sg->pooled = true;
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

unsigned
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
	sg->pooled = false;
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

/*
 * The stub's unpause, back from the worker: a failure fails the start of
 * that stub, if it is still the guest's and starting.
 */
static void
super_stub_unpaused(void *arg, int err)
{
	struct build_ticket *t = arg;
	struct super *s = t->s;
	struct sguest *sg = NULL;
	struct guest_env e;
	char why[GUEST_REASON_MAX];
	enum guest_state old;

	if (err < 0 && err != -ECANCELED)
		sg = super_ticket_guest(t);
	if (sg != NULL && (sg->pub.g.stub_domid != (int)t->spare ||
	    sg->pub.g.state != GUEST_STARTING))
		sg = NULL;
	free(t);
	if (sg == NULL)
		return;
	e = super_env(s);
	old = sg->pub.g.state;
	snprintf(why, sizeof(why), "unpausing the stub domain: %s",
	    strerror(-err));
	super_apply(s, sg, guest_on_build_failed(&sg->pub.g, &e, err, why),
	    old);
}

/* Off the loop (it wakes the stub's vCPU): its failure is heard later. */
static int
super_unpause_stub(struct super *s, struct sguest *sg)
{
	struct build_ticket *t = calloc(1, sizeof(*t));
	struct hv *hv = s->sd->hv;
	int rc;

	if (t == NULL)
		return -ENOMEM;
	*t = (struct build_ticket){ s, sg->pub.g.domid, sg->build_serial,
	    (uint32_t)sg->pub.g.stub_domid };
	if ((rc = hv->ops->unpause(hv, t->spare, super_stub_unpaused, t)) < 0)
		free(t);
	return rc;
}

unsigned
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
	else if ((rc = super_unpause_stub(s, sg)) < 0) {
		snprintf(err, sizeof(err), "unpausing the stub domain: %s",
		    strerror(-rc));
		return guest_on_build_failed(g, &e, rc, err);
	}
	return guest_on_stub_started(g, &e);
}

void
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
	super_keep_console(s, sg);
	if ((rc = hv->ops->destroy(hv, stub)) < 0 && rc != -ESRCH)
		log_guest(LOG_LVL_WARNING, &lg, NULL, "destroying stub domain "
		    "%u: %s; the reconcile will retry", stub, strerror(-rc));
	spawn_clear(s->sd->xs, g, stub);
	g->stub_domid = -1;
}
