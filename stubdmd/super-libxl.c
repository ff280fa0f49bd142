/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The supervisor and libxl's stubs: waiting for libxl's device model to
 * settle, capturing how libxl built the stub, and adopting it.
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
void
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
