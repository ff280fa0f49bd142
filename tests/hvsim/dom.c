/* SPDX-License-Identifier: GPL-2.0-only */
/* The domain table and the simulated toolstack's xenstore writes (dom.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "tests/hvsim/dm.h"
#include "tests/hvsim/dom.h"
#include "tests/hvsim/hvsim.h"
#include "tests/hvsim/vdev.h"
#include "tests/hvsim/xsd.h"

#define DOM_EMU_HVM	0x3ffu	/* every emulated device */
#define DOM_EMU_PVH	0x1u	/* the local APIC only */
#define DOM0_MEM_KIB	(4096ull * 1024)

static const char *const dom_reasons[] = {
	"poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset",
};

#define DOM_NREASONS	(sizeof(dom_reasons) / sizeof(dom_reasons[0]))

const char *
dom_reason_name(int reason)
{
	if (reason < 0 || (size_t)reason >= DOM_NREASONS)
		return "unknown";
	return dom_reasons[reason];
}

/* A SHUTDOWN_* code from its number or its name, or -EINVAL. */
int
dom_reason(const char *word)
{
	size_t i;

	for (i = 0; i < DOM_NREASONS; i++)
		if (strcmp(word, dom_reasons[i]) == 0 ||
		    (word[0] == (char)('0' + i) && word[1] == '\0'))
			return (int)i;
	return -EINVAL;
}

const char *
dom_type_name(enum dom_type t)
{
	static const char *const names[] = {
		[DOM_PV] = "pv", [DOM_PVH] = "pvh", [DOM_HVM] = "hvm",
	};

	return names[t];
}

uint32_t
dom_emu_flags(const struct dom *d)
{
	static const uint32_t flags[] = {
		[DOM_PV] = 0, [DOM_PVH] = DOM_EMU_PVH, [DOM_HVM] = DOM_EMU_HVM,
	};

	return flags[d->type];
}

uint64_t
dom_cpu_ns(const struct dom *d)
{
	uint64_t ns = d->cpu_ns;

	if (d->run_since != 0)
		ns += hvsim_now_ns() - d->run_since;
	return d->ever_unpaused && ns == 0 ? 1 : ns;
}

void
dom_state(const struct dom *d, char *buf, size_t size)
{
	if (d->dying)
		snprintf(buf, size, "dying");
	else if (d->shutdown)
		snprintf(buf, size, "shutdown:%s", dom_reason_name(d->reason));
	else
		snprintf(buf, size, "%s", d->paused ? "paused" : "running");
}

/* --- the table -------------------------------------------------------- */

struct dom *
dom_find(struct hvsim *h, uint32_t domid)
{
	struct dom_table *t = h->doms;
	size_t lo = 0, hi = t->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->v[mid]->domid == domid)
			return t->v[mid];
		if (t->v[mid]->domid < domid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
dom_is_number(const char *s)
{
	return *s != '\0' && strspn(s, "0123456789") == strlen(s) &&
	    strlen(s) <= 5;
}

struct dom *
dom_lookup(struct hvsim *h, const char *spec, int any)
{
	struct dom *d;
	size_t i;

	if (dom_is_number(spec)) {
		d = dom_find(h, (uint32_t)strtoul(spec, NULL, 10));
		return d != NULL && (any || !d->dying) ? d : NULL;
	}
	for (i = 0; i < h->doms->n; i++) {
		d = h->doms->v[i];
		if (!d->dying && strcmp(d->name, spec) == 0)
			return d;
	}
	return NULL;
}

struct dom *
dom_at(struct hvsim *h, size_t i)
{
	return i < h->doms->n ? h->doms->v[i] : NULL;
}

long
dom_target(struct hvsim *h, uint32_t domid)
{
	struct dom *d = dom_find(h, domid);

	return d != NULL ? d->target : -1;
}

static int
dom_append(struct hvsim *h, struct dom *d)
{
	struct dom_table *t = h->doms;
	struct dom **v;
	size_t i;

	if (t->n == t->cap) {
		v = reallocarray(t->v, t->cap ? t->cap * 2 : 16, sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		t->v = v;
		t->cap = t->cap ? t->cap * 2 : 16;
	}
	/* Sorted by domid: after a wrap a new domid may be a small one. */
	for (i = t->n; i > 0 && t->v[i - 1]->domid > d->domid; i--)
		t->v[i] = t->v[i - 1];
	t->v[i] = d;
	t->n++;
	return 0;
}

/* Like Xen: the next domid after the last one given, wrapping, not in use. */
static int
dom_next_free(struct hvsim *h)
{
	uint32_t tries;

	for (tries = 0; tries < DOM_FIRST_RESERVED; tries++) {
		if (h->doms->next_domid >= DOM_FIRST_RESERVED)
			h->doms->next_domid = 1;
		if (dom_find(h, h->doms->next_domid) == NULL)
			return 0;
		h->doms->next_domid++;
	}
	return -ENOSPC;
}

static void
dom_unlink(struct hvsim *h, struct dom *d)
{
	struct dom_table *t = h->doms;
	size_t i;

	for (i = 0; i < t->n && t->v[i] != d; i++)
		;
	if (i == t->n)
		return;
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(t->v[0]));
	t->n--;
}

static void
dom_free(struct dom *d)
{
	size_t i;

	if (d == NULL)
		return;
	dm_free(d->dm);
	vdev_free(d->vdevs);
	for (i = 0; i < DOM_CONSOLE_LINES; i++)
		free(d->console[i]);
	free(d);
}

/* --- console ---------------------------------------------------------- */

void
dom_console(struct dom *d, const char *fmt, ...)
{
	char buf[DOM_CONSOLE_WIDTH], *line;
	size_t slot;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	hvsim_printable(buf);
	if ((line = strdup(buf)) == NULL)
		return;
	slot = (d->con_first + d->con_n) % DOM_CONSOLE_LINES;
	if (d->con_n == DOM_CONSOLE_LINES) {
		free(d->console[slot]);
		d->con_first = (d->con_first + 1) % DOM_CONSOLE_LINES;
	} else
		d->con_n++;
	d->console[slot] = line;
}

size_t
dom_console_tail(const struct dom *d, size_t n, const char **lines)
{
	size_t skip, i;

	if (n > d->con_n)
		n = d->con_n;
	skip = d->con_n - n;
	for (i = 0; i < n; i++)
		lines[i] = d->console[(d->con_first + skip + i) %
		    DOM_CONSOLE_LINES];
	return n;
}

/* --- what a toolstack writes ------------------------------------------ */

static void
dom_uuid_random(char out[37])
{
	uint8_t u[16] = { 0 };

	if (getrandom(u, sizeof(u), 0) != (ssize_t)sizeof(u))
		memset(u, 0x5a, sizeof(u));	/* unique enough for tests */
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
	    u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* libxl's domain_make + the memory keys, as dom0. */
static int
dom_xs_introduce(struct hvsim *h, struct dom *d)
{
	char dp[64], vm[64], perms[32], id[16], mem[32], key[128];
	const struct {
		const char	*dir, *key, *val;
	} kv[] = {
		{ dp, "name", d->name }, { dp, "domid", id }, { dp, "vm", vm },
		{ dp, "memory/static-max", mem }, { dp, "memory/target", mem },
		{ vm, "name", d->name }, { vm, "uuid", d->uuid },
	};
	size_t i;
	int rc;

	snprintf(dp, sizeof(dp), "/local/domain/%u", d->domid);
	snprintf(vm, sizeof(vm), "/vm/%s", d->uuid);
	snprintf(perms, sizeof(perms), "n0 r%u", d->domid);
	snprintf(id, sizeof(id), "%u", d->domid);
	snprintf(mem, sizeof(mem), "%llu", (unsigned long long)d->mem_kib);
	if ((rc = xsd_put_dir(h, dp, perms)) < 0 ||
	    (rc = xsd_put_dir(h, vm, perms)) < 0)
		return rc;
	for (i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
		snprintf(key, sizeof(key), "%s/%s", kv[i].dir, kv[i].key);
		if ((rc = xsd_put(h, key, kv[i].val)) < 0)
			return rc;
	}
	return 0;
}

/* libxl removes both paths when it destroys a domain. */
static void
dom_xs_forget(struct hvsim *h, struct dom *d)
{
	char path[64];
	size_t i;

	snprintf(path, sizeof(path), "/local/domain/%u", d->domid);
	xsd_remove(h, path);
	for (i = 0; i < h->doms->n; i++) {
		const struct dom *o = h->doms->v[i];

		if (o != d && !o->dying && strcmp(o->uuid, d->uuid) == 0)
			return;	/* the same uuid again: its /vm is in use */
	}
	snprintf(path, sizeof(path), "/vm/%s", d->uuid);
	xsd_remove(h, path);
}

static int
dom_name_ok(struct hvsim *h, const struct dom_spec *s)
{
	size_t len = strlen(s->name);

	/* A name must not look like a domid: DOM arguments take both. */
	if (len == 0 || len > DOM_NAME_MAX || dom_is_number(s->name))
		return -EINVAL;
	if (s->unique && dom_lookup(h, s->name, 0) != NULL)
		return -EEXIST;
	return 0;
}

static struct dom *
dom_new(struct hvsim *h, const struct dom_spec *s)
{
	struct dom *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->h = h;
	d->domid = h->doms->next_domid;
	snprintf(d->name, sizeof(d->name), "%s", s->name);
	d->type = s->type;
	d->mem_kib = s->mem_kib;
	d->vcpus = s->vcpus;
	d->paused = 1;
	d->created_ns = hvsim_now_ns();
	d->target = d->ioreq_in = -1;
	if (s->uuid != NULL)
		snprintf(d->uuid, sizeof(d->uuid), "%s", s->uuid);
	else
		dom_uuid_random(d->uuid);
	return d;
}

int
dom_create(struct hvsim *h, const struct dom_spec *s, struct dom **out)
{
	struct dom *d;
	int rc;

	if ((rc = dom_name_ok(h, s)) < 0)
		return rc;
	if ((rc = dom_next_free(h)) < 0)
		return rc;
	if ((d = dom_new(h, s)) == NULL)
		return -ENOMEM;
	if ((rc = dom_append(h, d)) < 0) {
		free(d);
		return rc;
	}
	h->doms->next_domid++;
	if ((rc = dom_xs_introduce(h, d)) < 0)
		hvsim_log(h, "domain %u: xenstore entries: %s", d->domid,
		    hvsim_errname(rc));
	xsd_fire_special(h, XSD_INTRODUCE);
	*out = d;
	return 0;
}

static int
dom_init_dom0(struct hvsim *h)
{
	struct dom *d = calloc(1, sizeof(*d));
	int rc;

	if (d == NULL)
		return -ENOMEM;
	d->h = h;
	snprintf(d->name, sizeof(d->name), "Domain-0");
	snprintf(d->uuid, sizeof(d->uuid),
	    "00000000-0000-0000-0000-000000000000");
	d->type = DOM_PV;
	d->mem_kib = DOM0_MEM_KIB;
	d->vcpus = 1;
	d->ever_unpaused = 1;
	d->run_since = hvsim_now_ns();
	d->target = d->ioreq_in = -1;
	if ((rc = dom_append(h, d)) < 0) {
		free(d);
		return rc;
	}
	if ((rc = xsd_put_dir(h, "/local/domain/0", "n0")) < 0 ||
	    (rc = xsd_put(h, "/local/domain/0/name", "Domain-0")) < 0)
		return rc;
	return xsd_put(h, "/local/domain/0/domid", "0");
}

int
dom_init(struct hvsim *h)
{
	if ((h->doms = calloc(1, sizeof(*h->doms))) == NULL)
		return -ENOMEM;
	h->doms->next_domid = 1;
	return dom_init_dom0(h);
}

void
dom_free_all(struct hvsim *h)
{
	size_t i;

	if (h->doms == NULL)
		return;
	for (i = 0; i < h->doms->n; i++)
		dom_free(h->doms->v[i]);
	free(h->doms->v);
	free(h->doms);
	h->doms = NULL;
}

/* --- state changes ---------------------------------------------------- */

static void
dom_stop_clock(struct dom *d)
{
	if (d->run_since == 0)
		return;
	d->cpu_ns += hvsim_now_ns() - d->run_since;
	d->run_since = 0;
}

/* libxl_domain_rename: the table's name and xenstore's two. */
int
dom_rename(struct hvsim *h, struct dom *d, const char *name)
{
	struct dom_spec s = { name, d->type, 0, 0, NULL, 1 };
	char path[96];
	int rc;

	if ((rc = dom_name_ok(h, &s)) < 0)
		return rc;
	hvsim_log(h, "domain %u renamed from %s to %s", d->domid, d->name,
	    name);
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(path, sizeof(path), "/local/domain/%u/name", d->domid);
	xsd_put(h, path, name);
	snprintf(path, sizeof(path), "/vm/%s/name", d->uuid);
	xsd_put(h, path, name);
	return 0;
}

int
dom_set_target(struct hvsim *h, uint32_t stub, uint32_t guest)
{
	struct dom *s = dom_find(h, stub), *g = dom_find(h, guest);

	if (s == NULL || g == NULL || s->dying || g->dying)
		return -ESRCH;
	if (stub == 0 || stub == guest)
		return -EINVAL;
	s->target = guest;
	hvsim_log(h, "domain %u: target set to %u", stub, guest);
	return 0;
}

int
dom_pause(struct hvsim *h, struct dom *d)
{
	if (d->domid == 0)
		return -EPERM;
	dom_stop_clock(d);
	if (!d->paused)
		hvsim_log(h, "domain %u paused", d->domid);
	d->paused = 1;
	return 0;
}

int
dom_unpause(struct hvsim *h, struct dom *d)
{
	if (d->domid == 0)
		return -EPERM;
	if (!d->paused)
		return 0;
	d->paused = 0;
	if (!d->shutdown)
		d->run_since = hvsim_now_ns();
	if (!d->ever_unpaused)
		d->unpaused_ns = hvsim_now_ns();
	d->ever_unpaused = 1;
	hvsim_log(h, "domain %u unpaused", d->domid);
	dm_unpaused(h, d);
	return 0;
}

int
dom_shutdown(struct hvsim *h, struct dom *d, int reason)
{
	if (d->domid == 0)
		return -EPERM;
	if (d->shutdown)
		return 0;	/* Xen keeps the first reason */
	d->shutdown = 1;
	d->reason = reason;
	dom_stop_clock(d);
	dm_stop(h, d);
	dom_console(d, "domain shut down: %s", dom_reason_name(reason));
	hvsim_log(h, "domain %u (%s) shut down: %s", d->domid, d->name,
	    dom_reason_name(reason));
	xsd_fire_special(h, XSD_RELEASE);
	return 0;
}

/*
 * xc_domain_resume (XEN_DOMCTL_resumedomain): a suspended domain runs
 * again, as libxl does after a failed save or migration (xl save -c, a
 * migration the receiver refused).
 */
int
dom_resume(struct hvsim *h, struct dom *d)
{
	if (d->domid == 0 || d->dying)
		return -EPERM;
	if (!d->shutdown || d->reason != dom_reason("suspend"))
		return -EINVAL;
	d->shutdown = 0;
	d->reason = 0;
	if (!d->paused)
		d->run_since = hvsim_now_ns();
	hvsim_log(h, "domain %u (%s) resumed", d->domid, d->name);
	return 0;
}

/* A stub whose device model left an ioreq server in this domain. */
static struct dom *
dom_dying_server(struct hvsim *h, uint32_t guest)
{
	size_t i;

	for (i = 0; i < h->doms->n; i++)
		if (h->doms->v[i]->dying &&
		    h->doms->v[i]->ioreq_in == (long)guest)
			return h->doms->v[i];
	return NULL;
}

/* The domain is gone from Xen: its servers and lingering stubs with it. */
static void
dom_remove(struct hvsim *h, struct dom *d)
{
	struct dom *s, *g;
	size_t i;

	dm_stop(h, d);
	if (!d->dying)
		dom_xs_forget(h, d);
	while ((s = dom_dying_server(h, d->domid)) != NULL)
		dom_remove(h, s);
	for (i = 0; i < h->doms->n; i++)
		if (h->doms->v[i]->ioreq_in == (long)d->domid)
			h->doms->v[i]->ioreq_in = -1;
	if (d->ioreq_in >= 0 && (g = dom_find(h, (uint32_t)d->ioreq_in)) &&
	    g->ioreq > 0)
		g->ioreq--;
	dom_unlink(h, d);
	hvsim_log(h, "domain %u (%s) destroyed", d->domid, d->name);
	xsd_fire_special(h, XSD_RELEASE);
	dom_free(d);
}

int
dom_destroy(struct hvsim *h, struct dom *d)
{
	struct dom *g;

	if (d->domid == 0)
		return -EPERM;
	g = d->ioreq_in >= 0 ? dom_find(h, (uint32_t)d->ioreq_in) : NULL;
	if (g == NULL) {
		dom_remove(h, d);
		return 0;
	}
	/* Xen keeps the server until the guest goes: the stub lingers. */
	dm_stop(h, d);
	dom_stop_clock(d);
	dom_xs_forget(h, d);
	d->dying = 1;
	d->mem_kib = 0;
	hvsim_log(h, "domain %u (%s) is dying: its ioreq server stays in "
	    "domain %u until that one is destroyed", d->domid, d->name,
	    g->domid);
	xsd_fire_special(h, XSD_RELEASE);
	return 0;
}
