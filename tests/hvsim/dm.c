/* SPDX-License-Identifier: GPL-2.0-only */
/* Simulated device models in stub domains, and faults (dm.h). */
#include <errno.h>
#include <event2/event.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/hvsim/dm.h"
#include "tests/hvsim/dom.h"
#include "tests/hvsim/hvsim.h"
#include "tests/hvsim/qmpd.h"
#include "tests/hvsim/rfb.h"
#include "tests/hvsim/vdev.h"
#include "tests/hvsim/xl.h"
#include "tests/hvsim/xsd.h"

#define DM_SHUTDOWN_CRASH	3
#define DM_MS_MAX		3600000u
#define DM_ARGS_MAX		256

/* --- faults ----------------------------------------------------------- */

static const struct {
	const char		*name;
	enum dm_fault_kind	 kind;
	int			 takes_ms;
} dm_kinds[] = {
	{ "build-fail", DM_BUILD_FAIL, 0 },
	{ "attach-fail", DM_ATTACH_FAIL, 0 },
	{ "crash-after", DM_CRASH_AFTER, 1 },
	{ "never-ready", DM_NEVER_READY, 0 },
	{ "slow-boot", DM_SLOW_BOOT, 1 },
};

#define DM_NKINDS	(sizeof(dm_kinds) / sizeof(dm_kinds[0]))

int
dm_init(struct hvsim *h)
{
	h->faults = calloc(1, sizeof(*h->faults));
	return h->faults != NULL ? 0 : -ENOMEM;
}

void
dm_free_faults(struct hvsim *h)
{
	struct dm_fault *f;

	if (h->faults == NULL)
		return;
	while ((f = h->faults->head) != NULL) {
		h->faults->head = f->next;
		free(f->glob);
		free(f);
	}
	free(h->faults);
	h->faults = NULL;
}

static int
dm_number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return (errno == 0 && end != s && *end == '\0' && s[0] != '-' &&
	    *out <= max) ? 0 : -EINVAL;
}

static int
dm_fault_usage(size_t k, char *err, size_t errlen)
{
	snprintf(err, errlen, "usage: fault GLOB %s%s [count=N]",
	    dm_kinds[k].name, dm_kinds[k].takes_ms ? " MS" : "");
	return -EINVAL;
}

/* Parse "GLOB KIND [MS] [count=N]" into f. */
static int
dm_fault_parse(char **args, int n, struct dm_fault *f, char *err,
    size_t errlen)
{
	unsigned long v;
	size_t k;
	int i = 2;

	for (k = 0; k < DM_NKINDS && strcmp(args[1], dm_kinds[k].name); k++)
		;
	if (k == DM_NKINDS) {
		snprintf(err, errlen, "unknown fault kind %s", args[1]);
		return -EINVAL;
	}
	f->kind = dm_kinds[k].kind;
	f->count = -1;
	if (dm_kinds[k].takes_ms) {
		if (i >= n || dm_number(args[i++], DM_MS_MAX, &v) < 0)
			return dm_fault_usage(k, err, errlen);
		f->ms = (unsigned)v;
	}
	if (i < n && strncmp(args[i], "count=", 6) == 0) {
		if (dm_number(args[i++] + 6, 1000000, &v) < 0 || v == 0)
			return dm_fault_usage(k, err, errlen);
		f->count = (long)v;
	}
	return i == n ? 0 : dm_fault_usage(k, err, errlen);
}

static void
dm_fault_append(struct hvsim *h, struct dm_fault *f)
{
	struct dm_fault **tail;

	for (tail = &h->faults->head; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = f;
}

int
dm_fault_cmd(struct hvsim *h, char **args, int n, char *err, size_t errlen)
{
	struct dm_fault *f;
	int rc;

	if (n == 1 && strcmp(args[0], "clear") == 0) {
		dm_free_faults(h);
		hvsim_log(h, "faults cleared");
		return dm_init(h);
	}
	if (n < 2) {
		snprintf(err, errlen, "usage: fault GLOB KIND [MS] [count=N] "
		    "| fault clear");
		return -EINVAL;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->glob = strdup(args[0])) == NULL) {
		free(f);
		return -ENOMEM;
	}
	if ((rc = dm_fault_parse(args, n, f, err, errlen)) < 0) {
		free(f->glob);
		free(f);
		return rc;
	}
	dm_fault_append(h, f);
	hvsim_log(h, "fault added: guests %s: %s", f->glob, args[1]);
	return 0;
}

static int
dm_fault_take(struct dm_fault *f, const char *guest)
{
	if (f->count == 0 || fnmatch(f->glob, guest, 0) != 0)
		return 0;
	if (f->count > 0)
		f->count--;
	return 1;
}

int
dm_faults_for(struct hvsim *h, const char *guest, struct dm_cfg *cfg)
{
	struct dm_fault *f;

	cfg->boot_ms = h->boot_delay_ms;
	cfg->crash_ms = -1;
	cfg->never_ready = 0;
	for (f = h->faults->head; f != NULL; f = f->next)
		if (f->kind == DM_BUILD_FAIL && dm_fault_take(f, guest))
			return -EIO;
	for (f = h->faults->head; f != NULL; f = f->next) {
		if (f->kind == DM_BUILD_FAIL || f->kind == DM_ATTACH_FAIL ||
		    !dm_fault_take(f, guest))
			continue;
		if (f->kind == DM_CRASH_AFTER)
			cfg->crash_ms = f->ms;
		else if (f->kind == DM_SLOW_BOOT)
			cfg->boot_ms = f->ms;
		else
			cfg->never_ready = 1;
	}
	return 0;
}

int
dm_attach_fails(struct hvsim *h, const char *guest)
{
	struct dm_fault *f;

	for (f = h->faults->head; f != NULL; f = f->next)
		if (f->kind == DM_ATTACH_FAIL && dm_fault_take(f, guest))
			return 1;
	return 0;
}

/* --- the device model's steps, as the stub domain ---------------------- */

struct dm_run {
	uint32_t	guest;
	int		vnc;	/* QEMU serves the screen (-vnc unix:...) */
	char		vm[256];
	char		why[256];
};

static int
dm_read(struct dom *d, const char *path, char **val)
{
	const struct xsd_who me = { d->domid, NULL };
	size_t len;

	return xsd_read(d->h, &me, path, val, &len);
}

static int
dm_fail(struct dm_run *r, int rc, const char *what)
{
	snprintf(r->why, sizeof(r->why), "%s: %s", what, hvsim_errname(rc));
	return rc < 0 ? rc : -EINVAL;
}

static int
dm_step_target(struct dom *d, struct dm_run *r)
{
	char *val = NULL;
	unsigned long v;
	int rc;

	if ((rc = dm_read(d, "target", &val)) == 0 &&
	    (rc = dm_number(val, DOM_FIRST_RESERVED, &v)) == 0)
		r->guest = (uint32_t)v;
	free(val);
	return rc < 0 ? dm_fail(r, rc, "cannot read target") : 0;
}

static int
dm_step_vm(struct dom *d, struct dm_run *r)
{
	char path[64], *val = NULL;
	int rc;

	snprintf(path, sizeof(path), "/local/domain/%u/vm", r->guest);
	if ((rc = dm_read(d, path, &val)) == 0 &&
	    strlen(val) >= sizeof(r->vm))
		rc = -E2BIG;
	if (rc == 0)
		snprintf(r->vm, sizeof(r->vm), "%s", val);
	free(val);
	return rc < 0 ? dm_fail(r, rc, "cannot read the guest's vm path") : 0;
}

static int
dm_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Read dm-argv/NNN in order into line; 0, or -errno with why set. */
static int
dm_argv_join(struct dom *d, struct dm_run *r, char *kids, size_t len,
    char *line, size_t size)
{
	const char *names[DM_ARGS_MAX];
	char path[XSD_PATH_BUF], *val;
	size_t n = 0, i, o = 0;
	int rc;

	for (i = 0; i < len && n < DM_ARGS_MAX; i += strlen(kids + i) + 1)
		names[n++] = kids + i;
	qsort(names, n, sizeof(names[0]), dm_cmp);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/image/dm-argv/%s", r->vm,
		    names[i]);
		if ((rc = dm_read(d, path, &val)) < 0)
			return dm_fail(r, rc, "cannot read dm-argv");
		if (o < size)
			o += (size_t)snprintf(line + o, size - o, "%s%s",
			    i ? " " : "", val);
		free(val);
	}
	return 0;
}

/* The Linux stub's way, dm-argv/NNN: 1 if there is no dm-argv. */
static int
dm_args_argv(struct dom *d, struct dm_run *r, char *line, size_t size)
{
	const struct xsd_who me = { d->domid, NULL };
	char path[XSD_PATH_BUF], *kids = NULL;
	uint64_t gen;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/image/dm-argv", r->vm);
	rc = xsd_directory(d->h, &me, path, &kids, &len, &gen);
	if (rc == 0)
		rc = dm_argv_join(d, r, kids, len, line, size);
	else if (rc == -ENOENT)
		rc = 1;
	else
		dm_fail(r, rc, "cannot read dm-argv");
	free(kids);
	return rc;
}

/* mini-os's way: one string at dmargs. */
static int
dm_args_string(struct dom *d, struct dm_run *r, char *line, size_t size)
{
	char path[XSD_PATH_BUF], *val = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/image/dmargs", r->vm);
	if ((rc = dm_read(d, path, &val)) < 0)
		return dm_fail(r, rc, rc == -ENOENT ?
		    "cannot read dm-argv or dmargs" : "cannot read dmargs");
	snprintf(line, size, "%s", val + strspn(val, " "));
	free(val);
	return 0;
}

static int
dm_step_args(struct dom *d, struct dm_run *r)
{
	char line[DOM_CONSOLE_WIDTH] = "";
	int rc = dm_args_argv(d, r, line, sizeof(line));

	if (rc == 1)
		rc = dm_args_string(d, r, line, sizeof(line));
	if (rc == 0)
		dom_console(d, "qemu: %s", line);
	r->vnc = strstr(line, " -vnc unix:") != NULL;
	d->dm->incoming = strstr(line,
	    " -incoming $STUBDOM_RESTORE_INCOMING_ARG") != NULL;
	/* QEMU cannot open a disk or a tap the stub was not given. */
	if (rc == 0 && vdev_check_args(d->vdevs, r->guest, line, r->why,
	    sizeof(r->why)) < 0)
		rc = -EINVAL;
	return rc;
}

/* The stub's restore= word: the file its console 2 reads; NULL: none. */
static const char *
dm_restore_file(const struct dom *d)
{
	size_t i;

	for (i = 0; d->vdevs != NULL && i < d->vdevs->n; i++)
		if (strncmp(d->vdevs->word[i], "restore=", 8) == 0)
			return d->vdevs->word[i] + 8;
	return NULL;
}

/*
 * -incoming $STUBDOM_RESTORE_INCOMING_ARG: QEMU loads a device state from
 * console 2 (the image makes the word its fd), as saved by a stub of the
 * same guest, or exits (load of migration failed).  Without console 2
 * the image waits for it and gives up.
 */
static int
dm_step_incoming(struct dom *d, struct dm_run *r)
{
	const char *file = dm_restore_file(d);
	char buf[256] = "", want[64];
	size_t n = 0;
	FILE *f;

	if (!d->dm->incoming)
		return 0;
	if (file == NULL)
		return dm_fail(r, -ENODEV, "-incoming: no console 2 to read");
	if ((f = fopen(file, "r")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	snprintf(want, sizeof(want), "of domain %u,", r->guest);
	if (n < 4 || memcmp(buf, "QEVM", 4) != 0 || strstr(buf, want) == NULL)
		return dm_fail(r, -EINVAL, "load of migration failed");
	dom_console(d, "incoming: device state of domain %u loaded from %s "
	    "(%zu bytes)", r->guest, file, n);
	hvsim_log(d->h, "domain %u: device state of domain %u loaded from %s",
	    d->domid, r->guest, file);
	return 0;
}

static int
dm_step_ioreq(struct dom *d, struct dm_run *r)
{
	const char *what = "failed to create ioreq server";
	struct dom *g = dom_find(d->h, r->guest);

	if (d->dm->cfg.never_ready) {
		dom_console(d, "device model stalled (injected never-ready)");
		return 1;
	}
	if (g == NULL || g->dying)
		return dm_fail(r, -ESRCH, what);
	if (d->target != (long)g->domid || d->ioreq_in >= 0)
		return dm_fail(r, -EPERM, what);
	if (g->ioreq >= DOM_IOREQ_MAX) {
		snprintf(r->why, sizeof(r->why), "%s: no slot", what);
		return -ENOSPC;
	}
	g->ioreq++;
	d->ioreq_in = g->domid;
	dom_console(d, "ioreq server %u registered in domain %u", g->ioreq,
	    g->domid);
	return 0;
}

static int
dm_step_ready(struct dom *d, struct dm_run *r)
{
	const struct xsd_who me = { d->domid, NULL };
	char path[128];
	int rc;

	snprintf(path, sizeof(path), "/local/domain/%u/device-model/%u/state",
	    d->domid, r->guest);
	if ((rc = xsd_write(d->h, &me, path, "running", 7)) < 0)
		return dm_fail(r, rc, "cannot write device-model state");
	return 0;
}

static int (*const dm_steps[])(struct dom *, struct dm_run *) = {
	dm_step_target, dm_step_vm, dm_step_args, dm_step_incoming,
	dm_step_ioreq, dm_step_ready,
};

static void
dm_run(struct hvsim *h, struct dom *d)
{
	struct dm_run r = { 0 };
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(dm_steps) / sizeof(dm_steps[0]) && rc == 0; i++)
		rc = dm_steps[i](d, &r);
	if (rc > 0) {
		hvsim_log(h, "domain %u: device model never gets ready",
		    d->domid);
	} else if (rc < 0) {
		dom_console(d, "%s", r.why);
		hvsim_log(h, "domain %u: device model failed: %s", d->domid,
		    r.why);
		dom_shutdown(h, d, DM_SHUTDOWN_CRASH);
	} else {
		d->ready_ns = hvsim_now_ns();
		dom_console(d, "device model running");
		hvsim_log(h, "domain %u: device model for domain %u running",
		    d->domid, r.guest);
		xl_dm_running(h, r.guest);
		d->dm->qmp = qmpd_open(h, d->domid);
		if (r.vnc && d->dm->rfb == NULL &&
		    rfb_serve(d, r.guest, &d->dm->rfb) < 0)
			hvsim_log(h, "domain %u: cannot serve its screen",
			    d->domid);
	}
}

/* --- timers ----------------------------------------------------------- */

static void dm_arm(struct event *ev, unsigned ms);

/* Its target is written (last, by the toolstack): QEMU starts. */
static int
dm_has_target(struct dom *d)
{
	char *val = NULL;
	int rc = dm_read(d, "target", &val);

	free(val);
	return rc == 0;
}

static void
dm_qemu_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dm *m = arg;

	if (m->d->paused) {
		m->deferred = 1;	/* a paused domain runs nothing */
		return;
	}
	dm_run(m->d->h, m->d);
}

/* Booted: a spare (no target yet) waits for one, polling as its init does. */
static void
dm_boot_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dm *m = arg;

	if (!dm_has_target(m->d)) {
		if (!m->spare)
			dom_console(m->d, "booted with no target: a spare, "
			    "waiting for one");
		m->spare = 1;
		dm_arm(m->wait, 10);
		return;
	}
	if (m->spare)
		dom_console(m->d, "target %ld assigned", m->d->target);
	dm_arm(m->qemu, m->d->h->qemu_start_ms);
}

static void
dm_crash_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dm *m = arg;

	dom_console(m->d, "injected fault: crash after %ld ms",
	    m->cfg.crash_ms);
	dom_shutdown(m->d->h, m->d, DM_SHUTDOWN_CRASH);
}

static void
dm_arm(struct event *ev, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(ev, &tv);
}

int
dm_attach(struct hvsim *h, struct dom *d, const struct dm_cfg *cfg)
{
	struct dm *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return -ENOMEM;
	m->d = d;
	m->cfg = *cfg;
	m->boot = evtimer_new(h->base, dm_boot_cb, m);
	m->crash = evtimer_new(h->base, dm_crash_cb, m);
	m->wait = evtimer_new(h->base, dm_boot_cb, m);
	m->qemu = evtimer_new(h->base, dm_qemu_cb, m);
	if (m->boot == NULL || m->crash == NULL || m->wait == NULL ||
	    m->qemu == NULL) {
		dm_free(m);
		return -ENOMEM;
	}
	d->dm = m;
	return 0;
}

void
dm_unpaused(struct hvsim *h, struct dom *d)
{
	struct dm *m = d->dm;

	if (m == NULL || m->stopped || d->shutdown)
		return;
	if (m->cfg.crash_ms >= 0 && !m->crash_armed) {
		m->crash_armed = 1;
		dm_arm(m->crash, (unsigned)m->cfg.crash_ms);
	}
	if (m->deferred) {
		m->deferred = 0;
		dm_run(h, d);
	} else if (!m->booting) {
		m->booting = 1;
		dom_console(d, "stub domain booting; device model in %u ms",
		    m->cfg.boot_ms);
		dm_arm(m->boot, m->cfg.boot_ms);
	}
}

void
dm_stop(struct hvsim *h, struct dom *d)
{
	if (d->dm == NULL)
		return;
	evtimer_del(d->dm->boot);
	evtimer_del(d->dm->crash);
	evtimer_del(d->dm->wait);
	evtimer_del(d->dm->qemu);
	qmpd_close(d->dm->qmp);
	d->dm->qmp = NULL;
	rfb_free(d->dm->rfb);
	d->dm->rfb = NULL;
	d->dm->stopped = 1;
}

void
dm_free(struct dm *m)
{
	if (m == NULL)
		return;
	if (m->boot != NULL)
		event_free(m->boot);
	if (m->crash != NULL)
		event_free(m->crash);
	if (m->wait != NULL)
		event_free(m->wait);
	if (m->qemu != NULL)
		event_free(m->qemu);
	qmpd_close(m->qmp);
	rfb_free(m->rfb);
	free(m);
}
