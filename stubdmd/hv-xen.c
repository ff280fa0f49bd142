/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Real Xen backend.  libxenctrl lists the domains and carries out the
 * domain controls (pause, unpause, shutdown, a destroy's first stop)
 * on two worker threads (lister.c), each with a handle of its own: one
 * lists, the other makes the controls in the order they are given, each
 * reported back to the loop; set_target stays on the loop
 * (one quick hypercall in the stub's set-up sequence).  Building a stub
 * domain and destroying a domain are libxl calls that wait on xenstore
 * and backends for seconds: they go to the builder processes
 * (hv-xen-builder.c, xlbuild.c).  Every call from the loop is timed and
 * the longest is hv.max_stall_us; each call's time on the worker is
 * logged beside it.  Console output is xenconsoled's per-guest log
 * (xenconsoled --log=guest), see
 * hv_xen_console_tail.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xenctrl.h>
#include <xenstore.h>

#include "stubdmd/builder.h"
#include "stubdmd/clock.h"
#include "stubdmd/hv-xen.h"
#include "stubdmd/hv.h"
#include "stubdmd/lister.h"
#include "stubdmd/log.h"
#include "stubdmd/vchan.h"

/*
 * xc_domain_getinfolist batch: results that fit one page with libxencall's
 * header (112 bytes each in 4.17).  libxencall keeps one-page hypercall
 * buffers for reuse and maps and unmaps larger ones on every call, which
 * made a listing the event loop's longest stall (38 ms in check-xen).
 */
#define HV_XEN_LIST_BATCH	((XC_PAGE_SIZE - 256) / sizeof(xc_domaininfo_t))
#define HV_XEN_CONSOLE_ENV	"STUBDMD_CONSOLE_LOG_DIR"
#define HV_XEN_CONSOLE_DIR	"/var/log/xen/console"
/* As libxl_dm.c, and xlstub.c's console 1 file (XLSTUB_SAVE_FILE). */
#define HV_XEN_STATE_DIR	"/var/lib/xen"
#define HV_XEN_CONSOLE_READ_MAX	16384

/*
 * The loop thread's CPU time, page faults and preemptions so far: one
 * getrusage(2) for all three (a thread's ru_utime + ru_stime is its
 * exact run time, as CLOCK_THREAD_CPUTIME_ID's).
 */
struct hv_xen_t0
hv_xen_t0_now(void)
{
	struct hv_xen_t0 t = { clock_now_us(), 0, 0, 0 };
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) < 0)
		return t;
	t.cpu_us = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
	    1000000 + (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	t.faults = ru.ru_minflt + ru.ru_majflt;
	t.preempts = ru.ru_nivcsw;
	return t;
}

/* Whether d is op's longest so far in v (then kept). */
static bool
hv_xen_longest(struct hv_xen_longest *v, const char *op, uint64_t d)
{
	unsigned i;

	for (i = 0; i < HV_XEN_STALL_OPS && v[i].op != NULL &&
	    strcmp(v[i].op, op) != 0; i++)
		;
	if (i == HV_XEN_STALL_OPS || d <= v[i].max_us)
		return false;
	v[i].op = op;
	v[i].max_us = d;
	return true;
}

/* Each call's longest, logged when it grows: what check-xen prints. */
static void
hv_xen_stall_op(struct hv_xen *x, const char *op, uint64_t d, uint64_t cpu)
{
	if (hv_xen_longest(x->stalls, op, d))
		log_debug("xen: longest stall of call '%s' so far: %llu us "
		    "(%llu us on the CPU)", op, (unsigned long long)d,
		    (unsigned long long)cpu);
}

/* What the worker spared the loop, logged the same way (check-xen). */
void
hv_xen_worker_time(struct hv_xen *x, const char *op, uint64_t us)
{
	if (hv_xen_longest(x->worker_us, op, us))
		log_debug("xen: longest worker time of call '%s' so far: %llu "
		    "us", op, (unsigned long long)us);
}

void
hv_xen_stall(struct hv_xen *x, struct hv_xen_t0 t0, const char *op)
{
	struct hv_xen_t0 t1 = hv_xen_t0_now();
	uint64_t d = t1.wall_us - t0.wall_us;
	uint64_t cpu = t1.cpu_us - t0.cpu_us;

	hv_xen_stall_op(x, op, d, cpu);
	/*
	 * Logged with what may have made it long: page faults (a
	 * copy-on-write after a builder's fork goes through Xen in a PV
	 * dom0) and preemptions.
	 */
	if (d >= HV_XEN_STALL_LOG_US)
		log_debug("xen: call '%s' held the event loop %llu us (%llu us "
		    "on the CPU; %ld page faults, %ld preemptions)", op,
		    (unsigned long long)d, (unsigned long long)cpu,
		    t1.faults - t0.faults, t1.preempts - t0.preempts);
	if (d <= x->hv.max_stall_us)
		return;
	x->hv.max_stall_us = d;
	log_info("xen: longest event-loop stall so far: %llu us (%s; %llu us "
	    "of it on the CPU)", (unsigned long long)d, op,
	    (unsigned long long)cpu);
}

static void
hv_xen_fill(struct hv_dominfo *d, const xc_domaininfo_t *x)
{
	memset(d, 0, sizeof(*d));
	d->domid = x->domain;
	d->hvm = (x->flags & XEN_DOMINF_hvm_guest) != 0;
	d->paused = (x->flags & XEN_DOMINF_paused) != 0;
	d->shutdown = (x->flags & XEN_DOMINF_shutdown) != 0;
	d->dying = (x->flags & XEN_DOMINF_dying) != 0;
	d->shutdown_reason = (int)((x->flags >> XEN_DOMINF_shutdownshift) &
	    XEN_DOMINF_shutdownmask);
	d->emu_flags = x->arch_config.emulation_flags;
	d->cpu_ns = x->cpu_time;
	d->mem_kib = x->tot_pages * (XC_PAGE_SIZE / 1024);
	memcpy(d->uuid, x->handle, sizeof(d->uuid));
}

/* On the lister's thread too: the handle given, nothing of the daemon's. */
static int
hv_xen_list_xc(xc_interface *xch, uint32_t first, struct hv_dominfo **out,
    size_t *n)
{
	xc_domaininfo_t batch[HV_XEN_LIST_BATCH];
	struct hv_dominfo *v = NULL, *nv;
	size_t count = 0, cap = 0;
	uint32_t next = first;
	int got, i;

	for (;;) {
		got = xc_domain_getinfolist(xch, next, HV_XEN_LIST_BATCH,
		    batch);
		if (got < 0) {
			free(v);
			return -errno;
		}
		if (count + (size_t)got > cap) {
			cap = (count + (size_t)got) * 2;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		for (i = 0; i < got; i++, count++)
			hv_xen_fill(&v[count], &batch[i]);
		if ((size_t)got < HV_XEN_LIST_BATCH)
			break;
		next = batch[got - 1].domain + 1;
	}
	*out = v;
	*n = count;
	return 0;
}

static int
hv_xen_lister_list(void *ctx, uint32_t first, struct hv_dominfo **out,
    size_t *n)
{
	return hv_xen_list_xc(((struct hv_xen_worker *)ctx)->xch, first, out,
	    n);
}

/* A domain whose destroy the builders have in hand is as good as gone. */
static void
hv_xen_mark_dying(struct hv_xen *x, struct hv_dominfo *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		v[i].dying |= hv_xen_destroying(x, v[i].domid);
}

int
hv_xen_list_all(struct hv_xen *x, uint32_t first, struct hv_dominfo **out,
    size_t *n)
{
	int rc = hv_xen_list_xc(x->xch, first, out, n);

	if (rc == 0)
		hv_xen_mark_dying(x, *out, *n);
	return rc;
}

/* Only at start-up now (hv.h): its stall is not the running loop's. */
static int
hv_xen_list(struct hv *hv, uint32_t first, struct hv_dominfo **out, size_t *n)
{
	struct hv_xen *x = (struct hv_xen *)hv;
	struct hv_xen_t0 t0 = hv_xen_t0_now();
	int rc = hv_xen_list_all(x, first, out, n);

	hv_xen_stall(x, t0, "list at start-up");
	return rc;
}

/* The lister's listing, back on the loop: the builders' destroys marked. */
static void
hv_xen_listed(void *arg, int err, struct hv_dominfo *v, size_t n)
{
	struct hv_xen *x = arg;
	struct hv_xen_t0 t0 = hv_xen_t0_now();
	hv_list_cb *cb = x->list_cb;

	if (err == 0)
		hv_xen_mark_dying(x, v, n);
	x->list_cb = NULL;
	hv_xen_stall(x, t0, "listed");
	cb(x->list_arg, err, v, n);
}

static int
hv_xen_list_start(struct hv *hv, uint32_t first, hv_list_cb *cb, void *arg)
{
	struct hv_xen *x = (struct hv_xen *)hv;
	struct hv_xen_t0 t0 = hv_xen_t0_now();
	int rc;

	if ((rc = lister_start(x->lister, first, hv_xen_listed, x)) == 0) {
		x->list_cb = cb;
		x->list_arg = arg;
	}
	hv_xen_stall(x, t0, "list request");
	return rc;
}

void
hv_xen_remember_name(struct hv_xen *x, uint32_t domid, const char *name)
{
	struct hv_xen_name *n = &x->names[x->next_name++ % HV_XEN_NAMES];

	n->domid = domid;
	snprintf(n->name, sizeof(n->name), "%s", name);
}

static int
hv_xen_build(struct hv *hv, const struct hv_stub_spec *spec, hv_build_cb *cb,
    void *arg)
{
	struct hv_xen_t0 t0 = hv_xen_t0_now();
	int rc;

	rc = hv_xen_builder_spec((struct hv_xen *)hv, BUILDER_BUILD, 0, spec,
	    cb, arg);
	hv_xen_stall((struct hv_xen *)hv, t0, "build");
	return rc;
}

/* A running stub's devices changed by the builder (libxl again): op. */
static int
hv_xen_stub_devices(struct hv *hv, enum builder_op op, const char *call,
    uint32_t stub, const struct hv_stub_spec *spec, hv_build_cb *cb,
    void *arg)
{
	struct hv_xen_t0 t0 = hv_xen_t0_now();
	int rc = -ESRCH;

	if (stub != 0 && stub < HV_XEN_DOMID_MAX)
		rc = hv_xen_builder_spec((struct hv_xen *)hv, op, stub, spec,
		    cb, arg);
	hv_xen_stall((struct hv_xen *)hv, t0, call);
	return rc;
}

/* A taken spare's devices and serial. */
static int
hv_xen_attach(struct hv *hv, uint32_t stub, const struct hv_stub_spec *spec,
    hv_build_cb *cb, void *arg)
{
	return hv_xen_stub_devices(hv, BUILDER_ATTACH, "attach", stub, spec,
	    cb, arg);
}

/* A CD's medium taken from a running stub. */
static int
hv_xen_detach(struct hv *hv, uint32_t stub, const struct hv_stub_spec *spec,
    hv_build_cb *cb, void *arg)
{
	return hv_xen_stub_devices(hv, BUILDER_DETACH, "detach", stub, spec,
	    cb, arg);
}

#define HV_XEN_CALL(expr)	((expr) == 0 ? 0 : -errno)

/* Quick, and its caller sets up the stub with it in order: on the loop. */
static int
hv_xen_set_target(struct hv *hv, uint32_t stub, uint32_t guest)
{
	struct hv_xen *x = (struct hv_xen *)hv;
	struct hv_xen_t0 t0 = hv_xen_t0_now();
	int rc = HV_XEN_CALL(xc_domain_set_target(x->xch, stub, guest));

	lister_changed(x->lister);
	hv_xen_stall(x, t0, "set_target");
	return rc;
}

/* ---- domain controls, on the lister's thread ---------------------- */

/*
 * What a destroy does there: -ESRCH if the domain is gone, else it stops
 * at once (the builder's libxl_domain_destroy may take seconds).
 */
static int
hv_xen_ctl_stop(xc_interface *xch, const struct hv_xen_ctl *c)
{
	xc_domaininfo_t info;

	if (xc_domain_getinfolist(xch, c->domid, 1, &info) != 1 ||
	    info.domain != c->domid)
		return -ESRCH;
	xc_domain_pause(xch, c->domid);
	return 0;
}

static int
hv_xen_ctl_pause(xc_interface *xch, const struct hv_xen_ctl *c)
{
	return HV_XEN_CALL(xc_domain_pause(xch, c->domid));
}

static int
hv_xen_ctl_unpause(xc_interface *xch, const struct hv_xen_ctl *c)
{
	return HV_XEN_CALL(xc_domain_unpause(xch, c->domid));
}

static int
hv_xen_ctl_shutdown(xc_interface *xch, const struct hv_xen_ctl *c)
{
	return HV_XEN_CALL(xc_domain_shutdown(xch, c->domid, c->why));
}

static const struct {
	const char	*name;		/* the stall's and the worker's */
	int		(*fn)(xc_interface *, const struct hv_xen_ctl *);
} hv_xen_ctls[] = {
	[HV_XEN_PAUSE] = { "pause", hv_xen_ctl_pause },
	[HV_XEN_UNPAUSE] = { "unpause", hv_xen_ctl_unpause },
	[HV_XEN_SHUTDOWN] = { "shutdown", hv_xen_ctl_shutdown },
	[HV_XEN_DESTROY] = { "destroy", hv_xen_ctl_stop },
};

/* On the worker, with its own handle: nothing of the loop's, no log. */
static int
hv_xen_ctl_call(void *ctx, void *arg)
{
	struct hv_xen_worker *w = ctx;
	struct hv_xen_ctl *c = arg;
	uint64_t t0 = clock_now_us();
	int rc = hv_xen_ctls[c->op].fn(w->xch, c);

	c->took_us = clock_now_us() - t0;
	return rc;
}

/* A domain whose destroy is under way: queued, stopping, or the builder's. */
bool
hv_xen_destroying(const struct hv_xen *x, uint32_t domid)
{
	const struct hv_xen_ctl *c;

	TAILQ_FOREACH(c, &x->destroys, link)
		if (c->domid == domid)
			return true;
	return hv_xen_builder_destroying(x, domid);
}

/* Stopped (or gone): the builder has it next, before it leaves the list. */
static void
hv_xen_ctl_stopped(struct hv_xen *x, struct hv_xen_ctl *c, int err)
{
	int rc;

	if (err == 0 && (rc = hv_xen_builder_destroy(x, c->domid)) < 0)
		log_warnx("xen: destroying domain %u: %s; the reconcile will "
		    "retry", c->domid, strerror(-rc));
	else if (err < 0)
		log_debug("xen: domain %u to destroy: %s", c->domid,
		    strerror(-err));
	TAILQ_REMOVE(&x->destroys, c, link);
	hv_xen_builder_kick(x);
}

/* Back on the loop: the worker's time logged, then the caller's callback. */
static void
hv_xen_ctl_done(void *arg, int err)
{
	struct hv_xen_ctl *c = arg;
	struct hv_xen *x = c->x;
	struct hv_xen_t0 t0 = hv_xen_t0_now();
	hv_done_cb *cb = c->cb;
	void *cbarg = c->arg;

	if (err != -ECANCELED) {
		/* A listing begun before it took effect is taken again. */
		lister_changed(x->lister);
		hv_xen_worker_time(x, hv_xen_ctls[c->op].name, c->took_us);
	}
	if (c->op == HV_XEN_DESTROY && err == -ECANCELED)
		TAILQ_REMOVE(&x->destroys, c, link);
	else if (c->op == HV_XEN_DESTROY)
		hv_xen_ctl_stopped(x, c, err);
	free(c);
	if (err != -ECANCELED)
		hv_xen_stall(x, t0, "control done");
	if (cb != NULL)
		cb(cbarg, err);
}

/*
 * One control queued for the controls' thread; a listing under way, or
 * made before it is done, may predate it (lister.c): both are taken
 * again.  What is left on the loop is this: the stall of the call.
 */
static int
hv_xen_ctl(struct hv *hv, enum hv_xen_ctl_op op, uint32_t domid, int why,
    hv_done_cb *cb, void *arg)
{
	struct hv_xen *x = (struct hv_xen *)hv;
	struct hv_xen_t0 t0 = hv_xen_t0_now();
	struct hv_xen_ctl *c = NULL;
	int rc = -ESRCH;

	if (domid == 0 || domid >= HV_XEN_DOMID_MAX ||
	    (op == HV_XEN_UNPAUSE && hv_xen_destroying(x, domid)))
		goto out;
	rc = -ENOMEM;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	*c = (struct hv_xen_ctl){ .x = x, .op = op, .domid = domid,
	    .why = why, .cb = cb, .arg = arg };
	if ((rc = lister_call(x->controls, hv_xen_ctl_call, hv_xen_ctl_done,
	    c)) < 0) {
		free(c);
		goto out;
	}
	if (op == HV_XEN_DESTROY)
		TAILQ_INSERT_TAIL(&x->destroys, c, link);
	lister_changed(x->lister);
out:
	hv_xen_stall(x, t0, hv_xen_ctls[op].name);
	return rc;
}

static int
hv_xen_pause(struct hv *hv, uint32_t domid, hv_done_cb *cb, void *arg)
{
	return hv_xen_ctl(hv, HV_XEN_PAUSE, domid, 0, cb, arg);
}

static int
hv_xen_unpause(struct hv *hv, uint32_t domid, hv_done_cb *cb, void *arg)
{
	return hv_xen_ctl(hv, HV_XEN_UNPAUSE, domid, 0, cb, arg);
}

static int
hv_xen_shutdown(struct hv *hv, uint32_t domid, enum hv_shutdown why,
    hv_done_cb *cb, void *arg)
{
	return hv_xen_ctl(hv, HV_XEN_SHUTDOWN, domid, (int)why, cb, arg);
}

static int
hv_xen_dominfo(struct hv *hv, uint32_t domid, struct hv_dominfo *out)
{
	struct hv_xen *x = (struct hv_xen *)hv;
	xc_domaininfo_t info;
	int got;

	if ((got = xc_domain_getinfolist(x->xch, domid, 1, &info)) < 0)
		return -errno;
	if (got != 1 || info.domain != domid)
		return -ESRCH;
	hv_xen_fill(out, &info);
	return 0;
}

/* libxl's: the dom0 ends of a stub's consoles 1 and 2 (libxl_dm.c). */
static const char *
hv_xen_state_dir(struct hv *hv)
{
	return HV_XEN_STATE_DIR;
}

/*
 * Stopped by the worker, then libxl_domain_destroy in the builder: it
 * tears down backends and removes the domain's xenstore entries (a
 * stub's must not linger: the next stub of the same guest reuses its
 * name).  Works for domains libxl did not create.  Until the builder is
 * done, the list reports the domain as dying.
 */
int
hv_xen_destroy(struct hv *hv, uint32_t domid)
{
	struct hv_xen *x = (struct hv_xen *)hv;

	if (domid != 0 && domid < HV_XEN_DOMID_MAX &&
	    hv_xen_destroying(x, domid))
		return 0;
	return hv_xen_ctl(hv, HV_XEN_DESTROY, domid, 0, NULL, NULL);
}

/* ---- consoles ------------------------------------------------------ */

/* A name xenconsoled's log of a domain can have: no path in it. */
static bool
hv_xen_log_name_ok(const char *name)
{
	return name != NULL && name[0] != '\0' && name[0] != '.' &&
	    strchr(name, '/') == NULL && strlen(name) < HV_XEN_NAME_MAX;
}

/*
 * The names xenconsoled may log a domain under, best first: the name the
 * daemon built it with (xenconsoled names the log when it first sees the
 * domain; a spare from the pool was renamed later), then the caller's
 * (libxl's stubs, and the daemon's own after it restarted).  Not
 * xenstore's: a round trip to xenstored on the loop, and it may name an
 * older stub's log (a renamed spare has its guest's old stub's name).
 */
static void
hv_xen_domain_names(const struct hv_xen *x, uint32_t domid,
    const char *name, const char *names[2])
{
	unsigned i;

	names[0] = NULL;
	names[1] = hv_xen_log_name_ok(name) ? name : NULL;
	for (i = 0; names[0] == NULL && i < HV_XEN_NAMES; i++)
		if (x->names[i].domid == domid &&
		    hv_xen_log_name_ok(x->names[i].name))
			names[0] = x->names[i].name;
	if (names[0] != NULL && names[1] != NULL &&
	    strcmp(names[0], names[1]) == 0)
		names[1] = NULL;
}

static char *
hv_xen_read_end(const char *path)
{
	char *buf = NULL;
	struct stat st;
	ssize_t n = -1;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (buf = malloc(HV_XEN_CONSOLE_READ_MAX + 1)) != NULL)
		n = pread(fd, buf, HV_XEN_CONSOLE_READ_MAX,
		    st.st_size > HV_XEN_CONSOLE_READ_MAX ?
		    st.st_size - HV_XEN_CONSOLE_READ_MAX : 0);
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/*
 * A stub domain's console output: xenconsoled's log of it, which outlives
 * the domain (xenconsoled --log=guest; the directory is xenconsoled's
 * default unless STUBDMD_CONSOLE_LOG_DIR names the --log-dir it runs with).
 */
static char *
hv_xen_console_tail(struct hv *hv, uint32_t domid, const char *name,
    unsigned lines)
{
	struct hv_xen *x = (struct hv_xen *)hv;
	struct hv_xen_t0 t0 = hv_xen_t0_now();
	const char *names[2];
	char *path = NULL, *text = NULL;
	unsigned i;

	hv_xen_domain_names(x, domid, name, names);
	for (i = 0; i < 2 && text == NULL; i++) {
		if (names[i] == NULL)
			continue;
		free(path);
		if (asprintf(&path, "%s/guest-%s.log", x->console_dir,
		    names[i]) < 0)
			path = NULL;
		else
			text = hv_xen_read_end(path);
	}
	if (text != NULL)
		hv_console_last_lines(text, lines);
	log_debug("xen: console of domain %u: %s (%zu bytes)", domid,
	    path != NULL ? path : "?", text != NULL ? strlen(text) : 0);
	free(path);
	hv_xen_stall(x, t0, "console_tail");
	return text;
}

static void
hv_xen_close(struct hv *hv)
{
	struct hv_xen *x = (struct hv_xen *)hv;

	if (x == NULL)
		return;
	/* The queues first: a destroy stopped now would go to the builder. */
	lister_free(x->controls);
	lister_free(x->lister);
	hv_xen_builder_close(x);
	lister_free(x->forker);		/* its builders' parent: after them */
	if (x->ctl_worker.xch != NULL)
		xc_interface_close(x->ctl_worker.xch);
	if (x->worker.xch != NULL)
		xc_interface_close(x->worker.xch);
	if (x->worker.xsh != NULL)
		xs_close(x->worker.xsh);
	if (x->xch != NULL)
		xc_interface_close(x->xch);
	free(x->console_dir);
	free(x);
}

/*
 * A domain's name is xenstore's (what libxl_domain_rename writes): the
 * domain's name and its vm path's, in one transaction.  On the lister's
 * thread (round trips to xenstored held the loop up to 38 ms in
 * check-xen), on a connection it keeps (opening one per rename was most
 * of that), dropped after a failure and opened again by the next rename.
 */
static int
hv_xen_rename_tx(struct xs_handle *xsh, uint32_t domid, const char *name)
{
	char vmkey[64], namekey[64], vmname[256], *vm = NULL;
	xs_transaction_t t;
	int rc = 0;

	snprintf(vmkey, sizeof(vmkey), "/local/domain/%u/vm", domid);
	snprintf(namekey, sizeof(namekey), "/local/domain/%u/name", domid);
	do {
		if ((t = xs_transaction_start(xsh)) == XBT_NULL) {
			rc = -errno;
			break;
		}
		free(vm);
		if ((vm = xs_read(xsh, t, vmkey, NULL)) != NULL)
			snprintf(vmname, sizeof(vmname), "%.200s/name", vm);
		if (!xs_write(xsh, t, namekey, name, strlen(name)) ||
		    (vm != NULL && !xs_write(xsh, t, vmname, name,
		    strlen(name)))) {
			rc = -errno;
			xs_transaction_end(xsh, t, true);
			break;
		}
	} while (!xs_transaction_end(xsh, t, false) && errno == EAGAIN);
	free(vm);
	return rc;
}

struct hv_xen_rename {
	uint32_t	domid;
	char		name[HV_XEN_NAME_MAX];
};

static int
hv_xen_rename_call(void *ctx, void *arg)
{
	struct hv_xen_worker *w = ctx;
	struct hv_xen_rename *r = arg;
	int rc;

	if (w->xsh == NULL && (w->xsh = xs_open(0)) == NULL)
		return -errno;
	if ((rc = hv_xen_rename_tx(w->xsh, r->domid, r->name)) < 0) {
		xs_close(w->xsh);
		w->xsh = NULL;
	}
	return rc;
}

/* Back on the loop: the caller had its answer (queued); a failure is ours. */
static void
hv_xen_renamed(void *arg, int err)
{
	struct hv_xen_rename *r = arg;

	if (err < 0 && err != -ECANCELED)
		log_warnx("xen: renaming domain %u to %s: %s; it keeps its "
		    "name", r->domid, r->name, strerror(-err));
	free(r);
}

/* The build's name stays remembered: xenconsoled's log has it. */
static int
hv_xen_rename(struct hv *hv, uint32_t domid, const char *name)
{
	struct hv_xen *x = (struct hv_xen *)hv;
	struct hv_xen_t0 t0 = hv_xen_t0_now();
	struct hv_xen_rename *r = NULL;
	int rc = -ENAMETOOLONG;

	if (strlen(name) < sizeof(r->name) &&
	    (rc = (r = calloc(1, sizeof(*r))) == NULL ? -ENOMEM : 0) == 0) {
		r->domid = domid;
		strcpy(r->name, name);
		if ((rc = lister_call(x->lister, hv_xen_rename_call,
		    hv_xen_renamed, r)) < 0)
			free(r);
	}
	hv_xen_stall(x, t0, "rename");
	return rc;
}

static int
hv_xen_start(struct hv *hv)
{
	struct hv_xen *x = (struct hv_xen *)hv;
	int rc = hv_xen_builder_start(x), e;

	/*
	 * The lister's thread now, not at the first listing (creating it
	 * took 72 ms of the loop in check-xen); after the first builders'
	 * forks, which then copy a process of one thread.
	 */
	if ((e = lister_begin(x->lister)) == 0 &&
	    (e = lister_begin(x->controls)) == 0)
		e = lister_begin(x->forker);
	return rc < 0 ? rc : e;
}

static void
hv_xen_set_builders(struct hv *hv, unsigned n)
{
	hv_xen_builder_set_max((struct hv_xen *)hv, n);
}

/* libxl's dom0 end of an adopted stub's QMP (vchan-socket-proxy's). */
#define HV_XEN_LIBXL_QMP	"/var/run/xen/qmp-libxl-%u"

/*
 * Own stubs: the image's vchan (its vchan-socket-proxy in server mode
 * serves dom0 only); adopted ones: libxl's socket, one client at a time
 * (the caller connects per probe, stubdmd(8) LIVENESS).
 */
static int
hv_xen_dm_connect(struct hv *hv, uint32_t guest, uint32_t stub, bool libxl,
    int *fd)
{
	char path[128];

	*fd = -1;
	if (libxl) {
		snprintf(path, sizeof(path), HV_XEN_LIBXL_QMP, guest);
		return hv_connect_unix(path, fd);
	}
	snprintf(path, sizeof(path), "/local/domain/%u/device-model/%u/"
	    "qmp-vchan", stub, guest);
	return vchan_open(hv->base, stub, path, fd);
}

/* What else a stub serves dom0 over a vchan (the guest's screen): QMP's bridge. */
static int
hv_xen_chan_open(struct hv *hv, uint32_t stub, uint32_t guest,
    const char *name, int *fd)
{
	char path[256];

	snprintf(path, sizeof(path), "/local/domain/%u/device-model/%u/%s",
	    stub, guest, name);
	return vchan_open(hv->base, stub, path, fd);
}

static const struct hv_ops hv_xen_ops = {
	.name = "xen",
	.list = hv_xen_list,
	.list_start = hv_xen_list_start,
	.build = hv_xen_build,
	.set_target = hv_xen_set_target,
	.pause = hv_xen_pause,
	.unpause = hv_xen_unpause,
	.shutdown = hv_xen_shutdown,
	.destroy = hv_xen_destroy,
	.console_tail = hv_xen_console_tail,
	.attach = hv_xen_attach,
	.detach = hv_xen_detach,
	.rename = hv_xen_rename,
	.dm_connect = hv_xen_dm_connect,
	.chan_open = hv_xen_chan_open,
	.dominfo = hv_xen_dominfo,
	.state_dir = hv_xen_state_dir,
	.start = hv_xen_start,
	.set_builders = hv_xen_set_builders,
	.close = hv_xen_close,
};
static int
hv_xen_open_error(char **err, const char *what)
{
	if (asprintf(err, "%s: %s", what, strerror(errno)) == -1)
		*err = NULL;
	return -1;
}

struct hv *
hv_xen_open(struct event_base *base, char **err)
{
	struct hv_xen *x = calloc(1, sizeof(*x));
	const char *dir = getenv(HV_XEN_CONSOLE_ENV);

	*err = NULL;
	if (x == NULL) {
		*err = strdup("out of memory");
		return NULL;
	}
	x->hv.ops = &hv_xen_ops;
	TAILQ_INIT(&x->destroys);
	x->hv.base = base;
	x->console_dir = strdup(dir != NULL && dir[0] == '/' ? dir :
	    HV_XEN_CONSOLE_DIR);
	x->xch = xc_interface_open(NULL, NULL, 0);
	/* The lister's own: the worker shares no handle with the loop. */
	x->worker.xch = xc_interface_open(NULL, NULL, 0);
	if (x->worker.xch != NULL)
		x->lister = lister_new(base, hv_xen_lister_list, &x->worker);
	x->ctl_worker.xch = xc_interface_open(NULL, NULL, 0);
	if (x->ctl_worker.xch != NULL)
		x->controls = lister_new(base, NULL, &x->ctl_worker);
	x->forker = lister_new(base, NULL, NULL);
	if (hv_xen_builder_open(x) < 0 || x->console_dir == NULL ||
	    x->forker == NULL ||
	    (x->worker.xch != NULL && x->lister == NULL) ||
	    (x->ctl_worker.xch != NULL && x->controls == NULL))
		hv_xen_open_error(err, "out of memory");
	else if (x->xch == NULL || x->worker.xch == NULL ||
	    x->ctl_worker.xch == NULL)
		hv_xen_open_error(err, "cannot open the Xen control interface "
		    "(is this a Xen dom0 with /proc/xen mounted?)");
	if (*err != NULL) {
		hv_xen_close(&x->hv);
		return NULL;
	}
	return &x->hv;
}

