/* SPDX-License-Identifier: GPL-2.0-only */
/* The control socket: requests, replies and the verb table (ctl.h). */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/hvsim/ctl.h"
#include "tests/hvsim/dm.h"
#include "tests/hvsim/dom.h"
#include "tests/hvsim/hvsim.h"
#include "tests/hvsim/qmpd.h"
#include "tests/hvsim/vdev.h"
#include "tests/hvsim/word.h"
#include "tests/hvsim/xl.h"
#include "tests/hvsim/xsconn.h"

#define CTL_MEM_MAX_MIB		(1024ul * 1024)
#define CTL_VCPUS_MAX		128
#define CTL_DEFAULT_MEM_MIB	1024
#define CTL_RESTART_MAX_MS	600000
#define CTL_FLUSH_S		5	/* a closing client gets this long */

/* One reply being built. */
struct ctl_out {
	char		 text[512];	/* after "OK " */
	char		 err[512];	/* after "ERR NAME " */
	int		 counted;	/* "OK N" and the lines */
	struct evbuffer	*lines;
	size_t		 nlines;
};

typedef int ctl_fn(struct hvsim *, char **args, int n, struct ctl_out *);

static void __attribute__((format(printf, 2, 3)))
ctl_text(struct ctl_out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->text, sizeof(o->text), fmt, ap);
	va_end(ap);
}

static int __attribute__((format(printf, 3, 4)))
ctl_err(struct ctl_out *o, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->err, sizeof(o->err), fmt, ap);
	va_end(ap);
	return rc;
}

static void __attribute__((format(printf, 2, 3)))
ctl_line(struct ctl_out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(o->lines, fmt, ap);
	va_end(ap);
	evbuffer_add(o->lines, "\n", 1);
	o->nlines++;
}

static int
ctl_number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return (errno == 0 && end != s && *end == '\0' && s[0] != '-' &&
	    *out <= max) ? 0 : -EINVAL;
}

static int
ctl_dom(struct hvsim *h, const char *spec, int any, struct dom **d,
    struct ctl_out *o)
{
	if ((*d = dom_lookup(h, spec, any)) == NULL)
		return ctl_err(o, -ESRCH, "no such domain: %s", spec);
	return 0;
}

/* --- listing ---------------------------------------------------------- */

static int
ctl_hv_list(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	const struct dom *d;
	unsigned long first = 0;
	size_t i;

	if (n > 0 && ctl_number(args[0], DOM_FIRST_RESERVED, &first) < 0)
		return ctl_err(o, -EINVAL, "bad first domid %s", args[0]);
	if (h->ctl->list_fail)
		return ctl_err(o, -EIO, "listing failed (list-fault)");
	o->counted = 1;
	for (i = 0; (d = dom_at(h, i)) != NULL; i++)
		if (d->domid >= first)
			ctl_line(o, "%u %u %x %u %u %d %u %llu %llu %s",
			    d->domid, d->type != DOM_PV, dom_emu_flags(d),
			    d->paused, d->shutdown, d->shutdown ? d->reason :
			    0, d->dying, (unsigned long long)dom_cpu_ns(d),
			    (unsigned long long)d->mem_kib, d->uuid);
	return 0;
}

static int
ctl_list(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	char name[DOM_NAME_MAX * 3 + 2], state[32], target[16];
	const struct dom *d;
	size_t i;

	o->counted = 1;
	for (i = 0; (d = dom_at(h, i)) != NULL; i++) {
		word_encode(name, sizeof(name), d->name);
		dom_state(d, state, sizeof(state));
		snprintf(target, sizeof(target), d->target >= 0 ? "%ld" : "-",
		    d->target);
		ctl_line(o, "%u %s %s %s %s ever_unpaused=%d ioreq=%u mem=%llu",
		    d->domid, name, dom_type_name(d->type), state, target,
		    d->ever_unpaused, d->ioreq,
		    (unsigned long long)(d->mem_kib / 1024));
	}
	return 0;
}

/* A time in monotonic microseconds, or "-" for never. */
static const char *
ctl_us(uint64_t ns, char *buf, size_t size)
{
	if (ns == 0)
		return "-";
	snprintf(buf, size, "%llu", (unsigned long long)(ns / 1000));
	return buf;
}

/* When each domain was created, first unpaused, and its DM got ready. */
static int
ctl_times(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	char name[DOM_NAME_MAX * 3 + 2], c[24], u[24], r[24];
	const struct dom *d;
	size_t i;

	o->counted = 1;
	for (i = 0; (d = dom_at(h, i)) != NULL; i++) {
		word_encode(name, sizeof(name), d->name);
		ctl_line(o, "%u %s %s %s %s", d->domid, name,
		    ctl_us(d->created_ns, c, sizeof(c)),
		    ctl_us(d->unpaused_ns, u, sizeof(u)),
		    ctl_us(d->ready_ns, r, sizeof(r)));
	}
	return 0;
}

static int
ctl_console(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	const char *lines[DOM_CONSOLE_LINES];
	unsigned long want = DOM_CONSOLE_LINES;
	struct dom *d;
	size_t i, got;
	int rc;

	if ((rc = ctl_dom(h, args[0], 1, &d, o)) < 0)
		return rc;
	if (n > 1 && ctl_number(args[1], 1000000, &want) < 0)
		return ctl_err(o, -EINVAL, "bad line count %s", args[1]);
	got = dom_console_tail(d, want, lines);
	o->counted = 1;
	for (i = 0; i < got; i++)
		ctl_line(o, "%s", lines[i]);
	return 0;
}

/* --- the domains ------------------------------------------------------- */

/* NAME [--running|--paused] [mem=MIB], in any order. */
static int
ctl_create_opts(char **args, int n, struct dom_spec *s, int *running,
    struct ctl_out *o)
{
	unsigned long mib;
	int i;

	for (i = 0; i < n; i++) {
		if (strcmp(args[i], "--running") == 0 ||
		    strcmp(args[i], "--paused") == 0)
			*running = args[i][2] == 'r';
		else if (strncmp(args[i], "dev=", 4) == 0 ||
		    strncmp(args[i], "flood=", 6) == 0)
			continue;	/* once the domain exists */
		else if (strncmp(args[i], "mem=", 4) == 0 &&
		    ctl_number(args[i] + 4, CTL_MEM_MAX_MIB, &mib) == 0)
			s->mem_kib = mib * 1024;
		else if (s->name == NULL)
			s->name = args[i];
		else
			return ctl_err(o, -EINVAL, "usage: create-%s NAME "
			    "[--running|--paused] [mem=MIB]",
			    dom_type_name(s->type));
	}
	if (s->name == NULL)
		return ctl_err(o, -EINVAL, "a domain needs a name");
	return 0;
}

/*
 * The devices a toolstack writes: in the same step as the domain, so that
 * whoever sees the domain also sees them.
 */
static int
ctl_create_devices(struct hvsim *h, struct dom *d, char **args, int n,
    struct ctl_out *o)
{
	int i, rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		if (strncmp(args[i], "dev=", 4) == 0)
			rc = vdev_create_word(h, d, args[i], o->err,
			    sizeof(o->err));
		else if (strncmp(args[i], "flood=", 6) == 0)
			rc = vdev_flood_word(h, d, args[i], o->err,
			    sizeof(o->err));
	}
	return rc;
}

static int
ctl_create(struct hvsim *h, char **args, int n, struct ctl_out *o,
    enum dom_type type)
{
	struct dom_spec s = { NULL, type, CTL_DEFAULT_MEM_MIB * 1024, 1,
	    NULL, 1 };
	int running = type != DOM_HVM, rc;
	struct dom *d;

	if ((rc = ctl_create_opts(args, n, &s, &running, o)) < 0)
		return rc;
	if ((rc = dom_create(h, &s, &d)) < 0)
		return ctl_err(o, rc, rc == -EEXIST ? "name in use" :
		    "bad name or no room");
	if ((rc = ctl_create_devices(h, d, args, n, o)) < 0) {
		dom_destroy(h, d);
		return rc;
	}
	hvsim_log(h, "domain %u (%s) created: %s, %s", d->domid, d->name,
	    dom_type_name(type), running ? "running" : "paused");
	if (running)
		dom_unpause(h, d);
	ctl_text(o, "%u", d->domid);
	return 0;
}

static int
ctl_create_hvm(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	return ctl_create(h, args, n, o, DOM_HVM);
}

static int
ctl_create_pvh(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	return ctl_create(h, args, n, o, DOM_PVH);
}

static int
ctl_create_pv(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	return ctl_create(h, args, n, o, DOM_PV);
}

static int
ctl_uuid_ok(const char *u)
{
	size_t i;

	if (strlen(u) != 36)
		return 0;
	for (i = 0; i < 36; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? u[i] != '-' :
		    strchr("0123456789abcdefABCDEF", u[i]) == NULL)
			return 0;
	return 1;
}

static int
ctl_readable(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ok;

	if (fd == -1)
		return 0;
	ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	close(fd);
	return ok;
}

/* NAME MEM_MIB VCPUS KERNEL RAMDISK CMDLINE uuid=UUID: checked. */
static int
ctl_build_args(char **args, struct dom_spec *s, struct ctl_out *o)
{
	unsigned long mem, vcpus;

	if (ctl_number(args[1], CTL_MEM_MAX_MIB, &mem) < 0 || mem == 0 ||
	    ctl_number(args[2], CTL_VCPUS_MAX, &vcpus) < 0 || vcpus == 0)
		return ctl_err(o, -EINVAL, "bad memory or vcpus");
	if (strncmp(args[6], "uuid=", 5) != 0 || !ctl_uuid_ok(args[6] + 5))
		return ctl_err(o, -EINVAL, "bad uuid: %s", args[6]);
	if (strlen(args[0]) == 0 || strlen(args[0]) > DOM_NAME_MAX)
		return ctl_err(o, -EINVAL, "bad name");
	if (!ctl_readable(args[3]))
		return ctl_err(o, -ENOENT, "kernel %s not readable", args[3]);
	if (args[4][0] != '\0' && !ctl_readable(args[4]))
		return ctl_err(o, -ENOENT, "ramdisk %s not readable", args[4]);
	*s = (struct dom_spec){ args[0], DOM_PV, mem * 1024, (unsigned)vcpus,
	    args[6] + 5, 0 };
	return 0;
}

/* The guest a stub "<guest>-dm" serves, as faults name it. */
static void
ctl_guest_of(const char *stub, char guest[DOM_NAME_MAX + 1])
{
	size_t len = strlen(stub);

	snprintf(guest, DOM_NAME_MAX + 1, "%.*s", (int)(len > 3 &&
	    strcmp(stub + len - 3, "-dm") == 0 ? len - 3 : len), stub);
}

static int
ctl_build_pv(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	char guest[DOM_NAME_MAX + 1];
	struct vdevs *v = NULL;
	struct dom_spec s;
	struct dm_cfg cfg;
	struct dom *d;
	size_t len;
	int rc;

	if ((rc = ctl_build_args(args, &s, o)) < 0)
		return rc;
	if ((rc = vdev_parse(args + 7, n - 7, &v, o->err, sizeof(o->err))) < 0)
		return rc;
	ctl_guest_of(s.name, guest);
	if (dm_faults_for(h, guest, &cfg) < 0) {
		hvsim_log(h, "build of %s fails (injected)", s.name);
		vdev_free(v);
		return ctl_err(o, -EIO, "injected build failure");
	}
	if ((rc = dom_create(h, &s, &d)) < 0) {
		vdev_free(v);
		return ctl_err(o, rc, "cannot create the domain");
	}
	d->vdevs = v;
	for (rc = 0, len = 0; len < v->n && rc == 0; len++)
		rc = vdev_stub_disk_write(h, d, v->word[len]);
	if (rc < 0) {
		dom_destroy(h, d);
		return ctl_err(o, rc, "cannot write the stub's disks");
	}
	if ((rc = dm_attach(h, d, &cfg)) < 0) {
		dom_destroy(h, d);
		return ctl_err(o, rc, "out of memory");
	}
	xl_write_pv_image(h, d, args[3], args[4], args[5]);
	dom_console(d, "built: %u vCPU, kernel %s ramdisk %s cmdline %s",
	    d->vcpus, args[3], args[4][0] ? args[4] : "-",
	    args[5][0] ? args[5] : "-");
	for (len = 0; len < v->n; len++)
		dom_console(d, "device: %s", v->word[len]);
	hvsim_log(h, "domain %u (%s) built: pv stub, %s MiB, %zu devices",
	    d->domid, d->name, args[1], v->n);
	ctl_text(o, "%u", d->domid);
	return 0;
}

/* A running spare taken by a guest gets its devices (hv_ops.attach). */
static int
ctl_attach_pv(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	struct dom *d = dom_lookup(h, args[0], 0);
	char guest[DOM_NAME_MAX + 1];
	struct vdevs *v = NULL;
	size_t i;
	int rc;

	if (d == NULL)
		return ctl_err(o, -ESRCH, "no domain %s", args[0]);
	if (d->vdevs == NULL)
		return ctl_err(o, -EINVAL, "%s is not a stub built by build-pv",
		    args[0]);
	if ((rc = vdev_parse(args + 1, n - 1, &v, o->err, sizeof(o->err))) < 0)
		return rc;
	ctl_guest_of(d->name, guest);
	if (dm_attach_fails(h, guest)) {
		vdev_free(v);
		hvsim_log(h, "attach to %s fails (injected)", d->name);
		return ctl_err(o, -EIO, "injected attach failure");
	}
	if (d->vdevs->n + v->n > VDEV_MAX) {
		vdev_free(v);
		return ctl_err(o, -E2BIG, "more than %d devices", VDEV_MAX);
	}
	for (i = 0; i < v->n; i++) {
		dom_console(d, "device: %s", v->word[i]);
		vdev_stub_disk_write(h, d, v->word[i]);
		d->vdevs->word[d->vdevs->n++] = v->word[i];
	}
	hvsim_log(h, "domain %u (%s) given %zu devices", d->domid, d->name,
	    v->n);
	v->n = 0;
	vdev_free(v);
	ctl_text(o, "%u", d->domid);
	return 0;
}

/* The stub's device word equal to w: its index, or -1. */
static int
ctl_vdev_find(const struct vdevs *v, const char *w)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->word[i], w) == 0)
			return (int)i;
	return -1;
}

/*
 * detach-pv STUB vbd=...: the stub loses these disks, each exactly as
 * attach-pv or build-pv gave it (a CD's medium, stubdmd's CdEject).
 */
static int
ctl_detach_pv(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	struct dom *d = dom_lookup(h, args[0], 0);
	int i, k;

	if (d == NULL)
		return ctl_err(o, -ESRCH, "no domain %s", args[0]);
	if (d->vdevs == NULL)
		return ctl_err(o, -EINVAL, "%s is not a stub built by build-pv",
		    args[0]);
	for (i = 1; i < n; i++)
		if (strncmp(args[i], "vbd=", 4) != 0 ||
		    ctl_vdev_find(d->vdevs, args[i]) < 0)
			return ctl_err(o, -ENODEV, "%s has no disk %s",
			    d->name, args[i]);
	for (i = 1; i < n; i++) {
		k = ctl_vdev_find(d->vdevs, args[i]);
		dom_console(d, "device removed: %s", args[i]);
		vdev_stub_disk_forget(h, d, args[i]);
		free(d->vdevs->word[k]);
		memmove(&d->vdevs->word[k], &d->vdevs->word[k + 1],
		    (d->vdevs->n - (size_t)k - 1) * sizeof(char *));
		d->vdevs->n--;
	}
	hvsim_log(h, "domain %u (%s) lost %d disks", d->domid, d->name, n - 1);
	ctl_text(o, "%u", d->domid);
	return 0;
}

static int
ctl_rename(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	struct dom *d;
	int rc;

	if ((rc = ctl_dom(h, args[0], 0, &d, o)) < 0)
		return rc;
	if ((rc = dom_rename(h, d, args[1])) < 0)
		return ctl_err(o, rc, rc == -EEXIST ? "name in use" :
		    "bad name");
	return 0;
}

static int
ctl_xl_create(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	uint32_t domid;
	int rc;

	if ((rc = xl_create_cmd(h, args, n, &domid, o->err,
	    sizeof(o->err))) < 0)
		return rc;
	ctl_text(o, "%u", domid);
	return 0;
}

static int
ctl_set_target(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	struct dom *s, *g;
	int rc;

	if ((rc = ctl_dom(h, args[0], 0, &s, o)) < 0 ||
	    (rc = ctl_dom(h, args[1], 0, &g, o)) < 0)
		return rc;
	if ((rc = dom_set_target(h, s->domid, g->domid)) < 0)
		return ctl_err(o, rc, "cannot make %u the target of %u",
		    g->domid, s->domid);
	return 0;
}

/* pause, unpause, destroy, crash: one domain, one action. */
static int
ctl_simple(struct hvsim *h, const char *spec, struct ctl_out *o,
    int (*fn)(struct hvsim *, struct dom *))
{
	struct dom *d;
	int rc;

	if ((rc = ctl_dom(h, spec, 0, &d, o)) < 0)
		return rc;
	if ((rc = fn(h, d)) < 0)
		return ctl_err(o, rc, "not allowed on domain %u", d->domid);
	return 0;
}

static int
ctl_pause(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	return ctl_simple(h, args[0], o, dom_pause);
}

static int
ctl_unpause(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	return ctl_simple(h, args[0], o, dom_unpause);
}

static int
ctl_destroy(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	return ctl_simple(h, args[0], o, dom_destroy);
}

static int
ctl_do_crash(struct hvsim *h, struct dom *d)
{
	return dom_shutdown(h, d, dom_reason("crash"));
}

static int
ctl_crash(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	return ctl_simple(h, args[0], o, ctl_do_crash);
}

/* qmp DOM MODE: how the stub's monitor behaves from now on. */
static int
ctl_qmp(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	enum qmpd_mode mode;
	struct dom *d;
	int rc;

	if (qmpd_mode_parse(args[1], &mode) < 0)
		return ctl_err(o, -EINVAL, "bad mode %s (ok, hang, garbage, "
		    "flood)", args[1]);
	if ((rc = ctl_dom(h, args[0], 0, &d, o)) < 0)
		return rc;
	if (d->dm == NULL || d->dm->qmp == NULL)
		return ctl_err(o, -ENOENT, "domain %u serves no QMP (no "
		    "device model running)", d->domid);
	qmpd_set_mode(d->dm->qmp, mode);
	hvsim_log(h, "domain %u: QMP monitor now %s", d->domid, args[1]);
	return 0;
}

/* qmp-log DOM: the CD commands the stub's monitor carried out. */
static int
ctl_qmp_log(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	struct dom *d;
	const char *l;
	unsigned i;
	int rc;

	if ((rc = ctl_dom(h, args[0], 0, &d, o)) < 0)
		return rc;
	if (d->dm == NULL || d->dm->qmp == NULL)
		return ctl_err(o, -ENOENT, "%s serves no QMP", d->name);
	o->counted = 1;
	for (i = 0; (l = qmpd_log(d->dm->qmp, i)) != NULL; i++)
		ctl_line(o, "%s", l);
	return 0;
}

/* qmp-served DOM: QMP connections the stub's monitor accepted so far. */
static int
ctl_qmp_served(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	struct dom *d;
	int rc;

	if ((rc = ctl_dom(h, args[0], 0, &d, o)) < 0)
		return rc;
	if (d->dm == NULL || d->dm->qmp == NULL)
		return ctl_err(o, -ENOENT, "domain %u serves no QMP (no "
		    "device model running)", d->domid);
	ctl_text(o, "%u", qmpd_served(d->dm->qmp));
	return 0;
}

static int
ctl_shutdown(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	int reason = dom_reason(args[1]), rc;
	struct dom *d;

	if (reason < 0)
		return ctl_err(o, -EINVAL, "bad reason %s (0..5, poweroff, "
		    "reboot, suspend, crash, watchdog, soft_reset)", args[1]);
	if ((rc = ctl_dom(h, args[0], 0, &d, o)) < 0)
		return rc;
	if ((rc = dom_shutdown(h, d, reason)) < 0)
		return ctl_err(o, rc, "not allowed on domain %u", d->domid);
	return 0;
}

static int
ctl_resume(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	struct dom *d;
	int rc;

	if ((rc = ctl_dom(h, args[0], 0, &d, o)) < 0)
		return rc;
	if ((rc = dom_resume(h, d)) < 0)
		return ctl_err(o, rc, "domain %u is not suspended", d->domid);
	return 0;
}

/* --- devices ---------------------------------------------------------- */

static int
ctl_add_dev(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	return vdev_add_cmd(h, args, n, o->err, sizeof(o->err));
}

static int
ctl_devices(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	struct dom *d;
	size_t i;
	int rc;

	if ((rc = ctl_dom(h, args[0], 1, &d, o)) < 0)
		return rc;
	o->counted = 1;
	for (i = 0; d->vdevs != NULL && i < d->vdevs->n; i++)
		ctl_line(o, "%s", d->vdevs->word[i]);
	return 0;
}

/* --- xenstore and faults ---------------------------------------------- */

static int
ctl_fault(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	return dm_fault_cmd(h, args, n, o->err, sizeof(o->err));
}

/* How the stubdmd's listings fare from now on: slow, failed, or as ever. */
static int
ctl_list_fault(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	unsigned long ms;

	if (ctl_number(args[0], CTL_RESTART_MAX_MS, &ms) < 0)
		return ctl_err(o, -EINVAL, "bad delay %s", args[0]);
	if (n > 1 && strcmp(args[1], "fail") != 0 && strcmp(args[1], "ok") != 0)
		return ctl_err(o, -EINVAL, "ok or fail, not %s", args[1]);
	h->ctl->list_delay_ms = (unsigned)ms;
	h->ctl->list_fail = n > 1 && strcmp(args[1], "fail") == 0;
	return 0;
}

/* How slow the domain controls are from now on (their effect is at once). */
static int
ctl_control_fault(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	unsigned long ms;

	if (ctl_number(args[0], CTL_RESTART_MAX_MS, &ms) < 0)
		return ctl_err(o, -EINVAL, "bad delay %s", args[0]);
	h->ctl->control_delay_ms = (unsigned)ms;
	return 0;
}

static int
ctl_restart(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	unsigned long ms;

	if (ctl_number(args[0], CTL_RESTART_MAX_MS, &ms) < 0)
		return ctl_err(o, -EINVAL, "bad delay %s", args[0]);
	return xsconn_restart(h, (unsigned)ms);
}

static int
ctl_sock_as(struct hvsim *h, char **args, int n, struct ctl_out *o)
{
	const char *path;
	unsigned long domid;
	int rc;

	if (ctl_number(args[0], DOM_FIRST_RESERVED - 1, &domid) < 0)
		return ctl_err(o, -EINVAL, "bad domid %s", args[0]);
	if ((rc = xsconn_sock_as(h, (uint32_t)domid, &path)) < 0)
		return ctl_err(o, rc, "cannot listen");
	ctl_text(o, "%s", path);
	return 0;
}

static const struct ctl_verb {
	const char	*name;
	int		 min, max;
	ctl_fn		*fn;
	const char	*usage;
} ctl_verbs[] = {
	{ "hv-list", 0, 1, ctl_hv_list, "[FIRST]" },
	{ "list", 0, 0, ctl_list, "" },
	{ "times", 0, 0, ctl_times, "" },
	{ "console", 1, 2, ctl_console, "DOM [LINES]" },
	{ "create-hvm", 1, WORD_MAX - 1, ctl_create_hvm, "NAME [--running] "
	    "[mem=MIB] [dev=vbd|qdisk|vif/DEVID/KEY=VALUE]... "
	    "[flood=vbd|vif:N]" },
	{ "create-pvh", 1, 3, ctl_create_pvh, "NAME [--paused] [mem=MIB]" },
	{ "create-pv", 1, 3, ctl_create_pv, "NAME [--paused] [mem=MIB]" },
	{ "build-pv", 7, 7 + VDEV_MAX, ctl_build_pv, "NAME MEM_MIB VCPUS "
	    "KERNEL RAMDISK CMDLINE uuid=UUID [vbd=...|vif=...]..." },
	{ "attach-pv", 1, 1 + VDEV_MAX, ctl_attach_pv, "STUB "
	    "[vbd=...|vif=...|serial=...]..." },
	{ "detach-pv", 2, 1 + VDEV_MAX, ctl_detach_pv, "STUB vbd=..." },
	{ "add-dev", 3, WORD_MAX - 1, ctl_add_dev, "DOM vbd|qdisk|vif DEVID "
	    "[KEY=VALUE]..." },
	{ "devices", 1, 1, ctl_devices, "DOM" },
	{ "set-target", 2, 2, ctl_set_target, "STUB GUEST" },
	{ "rename", 2, 2, ctl_rename, "DOM NAME" },
	{ "xl-create", 1, 8, ctl_xl_create, "NAME [-p] (--dom0-dm | "
	    "kernel=PATH [ramdisk=PATH] [cmdline=TEXT] [stubmem=MIB]) "
	    "[mem=MIB]" },
	{ "pause", 1, 1, ctl_pause, "DOM" },
	{ "unpause", 1, 1, ctl_unpause, "DOM" },
	{ "shutdown", 2, 2, ctl_shutdown, "DOM REASON" },
	{ "resume", 1, 1, ctl_resume, "DOM" },
	{ "crash", 1, 1, ctl_crash, "DOM" },
	{ "qmp", 2, 2, ctl_qmp, "DOM ok|hang|garbage|flood|cd-error|"
	    "cd-hang|save-error|save-hang|save-lost" },
	{ "qmp-log", 1, 1, ctl_qmp_log, "DOM" },
	{ "qmp-served", 1, 1, ctl_qmp_served, "DOM" },
	{ "destroy", 1, 1, ctl_destroy, "DOM" },
	{ "fault", 1, 4, ctl_fault, "GLOB KIND [MS] [count=N] | clear" },
	{ "list-fault", 1, 2, ctl_list_fault, "MS [ok|fail]" },
	{ "control-fault", 1, 1, ctl_control_fault, "MS" },
	{ "restart-xenstored", 1, 1, ctl_restart, "MS" },
	{ "sock-as", 1, 1, ctl_sock_as, "DOMID" },
};

static const struct ctl_verb *
ctl_verb(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(ctl_verbs) / sizeof(ctl_verbs[0]); i++)
		if (strcmp(ctl_verbs[i].name, name) == 0)
			return &ctl_verbs[i];
	return NULL;
}

/* --- connections ------------------------------------------------------ */

static void
ctl_kill(struct ctl_conn *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	event_active(c->h->ctl->reaper, 0, 0);
}

/* Control characters would break the one-line reply. */
static void
ctl_flatten(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static void
ctl_reply(struct ctl_conn *c, struct evbuffer *out, struct ctl_out *o,
    int rc)
{
	ctl_flatten(o->text);
	ctl_flatten(o->err);
	if (rc < 0)
		evbuffer_add_printf(out, "ERR %s %s\n", hvsim_errname(rc),
		    o->err[0] ? o->err : strerror(-rc));
	else if (o->counted) {
		evbuffer_add_printf(out, "OK %zu\n", o->nlines);
		evbuffer_add_buffer(out, o->lines);
	} else
		evbuffer_add_printf(out, "OK%s%s\n", o->text[0] ? " " : "",
		    o->text);
	if (evbuffer_get_length(out) > CTL_OUT_MAX)
		ctl_kill(c);
}

static void	ctl_read_cb(struct bufferevent *bev, void *arg);

/* A held hv-list reply goes out; the requests behind it are read. */
static void
ctl_release(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_conn *c = arg;

	if (c->dead)
		return;
	evbuffer_add_buffer(bufferevent_get_output(c->bev), c->held);
	evbuffer_free(c->held);
	c->held = NULL;
	bufferevent_enable(c->bev, EV_READ);
	ctl_read_cb(c->bev, c);
}

/* How long a reply to this request waits (list-fault, control-fault). */
static unsigned
ctl_delay_ms(const struct ctl *ctl, char **words, int n)
{
	static const char *const controls[] = { "pause", "unpause",
	    "shutdown", "destroy" };
	size_t i;

	if (n < 1)
		return 0;
	if (strcmp(words[0], "hv-list") == 0)
		return ctl->list_delay_ms;
	for (i = 0; i < sizeof(controls) / sizeof(controls[0]); i++)
		if (strcmp(words[0], controls[i]) == 0)
			return ctl->control_delay_ms;
	return 0;
}

/*
 * Where a reply goes: the connection's output, or (an hv-list under
 * list-fault's delay, a domain control under control-fault's) a buffer
 * held back, the connection read no further until it goes out: the
 * client sees a slow hypercall.
 */
static struct evbuffer *
ctl_out_for(struct ctl_conn *c, char **words, int n)
{
	struct timeval tv;
	unsigned ms = ctl_delay_ms(c->h->ctl, words, n);

	if (ms == 0 ||
	    (c->ev_held == NULL && (c->ev_held = evtimer_new(c->h->base,
	    ctl_release, c)) == NULL) ||
	    (c->held = evbuffer_new()) == NULL)
		return bufferevent_get_output(c->bev);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	bufferevent_disable(c->bev, EV_READ);
	evtimer_add(c->ev_held, &tv);
	return c->held;
}

static int
ctl_run(struct hvsim *h, char **words, int n, struct ctl_out *o)
{
	const struct ctl_verb *v;

	if (n == -E2BIG)
		return ctl_err(o, -E2BIG, "too many words");
	if (n < 0)
		return ctl_err(o, -EINVAL, "bad word encoding");
	if (n == 0)
		return ctl_err(o, -EINVAL, "empty request");
	if ((v = ctl_verb(words[0])) == NULL)
		return ctl_err(o, -EINVAL, "unknown verb %s", words[0]);
	if (n - 1 < v->min || n - 1 > v->max)
		return ctl_err(o, -EINVAL, "usage: %s %s", v->name, v->usage);
	return v->fn(h, words + 1, n - 1, o);
}

static void
ctl_request(struct ctl_conn *c, char *line, size_t len)
{
	struct ctl_out o = { .lines = evbuffer_new() };
	char *words[WORD_MAX];
	int n, rc;

	if (o.lines == NULL) {
		ctl_kill(c);
		return;
	}
	if (memchr(line, '\0', len) != NULL) {
		rc = ctl_err(&o, -EINVAL, "NUL byte in request");
		ctl_reply(c, bufferevent_get_output(c->bev), &o, rc);
	} else {
		n = word_split(line, words, WORD_MAX);
		rc = ctl_run(c->h, words, n, &o);
		ctl_reply(c, ctl_out_for(c, words, n), &o, rc);
	}
	evbuffer_free(o.lines);
}

/* The next whole line of in (malloc'd), NULL if none yet or too long. */
static char *
ctl_take_line(struct ctl_conn *c, struct evbuffer *in, size_t *lenp)
{
	struct timeval flush = { CTL_FLUSH_S, 0 };
	struct evbuffer_ptr eol;
	size_t eol_len = 0, len;
	char *line;

	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
	if ((eol.pos < 0 && evbuffer_get_length(in) > CTL_LINE_MAX) ||
	    eol.pos > CTL_LINE_MAX) {
		evbuffer_add_printf(bufferevent_get_output(c->bev),
		    "ERR E2BIG line longer than %d bytes\n", CTL_LINE_MAX);
		hvsim_log(c->h, "control client sent an over-long line; "
		    "closing it");
		c->closing = 1;
		bufferevent_disable(c->bev, EV_READ);
		bufferevent_set_timeouts(c->bev, NULL, &flush);
		return NULL;
	}
	if (eol.pos < 0 || (line = malloc((size_t)eol.pos + 1)) == NULL)
		return NULL;
	len = (size_t)eol.pos;
	evbuffer_remove(in, line, len);
	evbuffer_drain(in, eol_len);
	line[len] = '\0';
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	*lenp = len;
	return line;
}

static void
ctl_read_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	while (!c->dead && !c->closing && c->held == NULL &&
	    (line = ctl_take_line(c, in, &len)) != NULL) {
		ctl_request(c, line, len);
		free(line);
	}
}

static void
ctl_write_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_conn *c = arg;

	if (c->closing)
		ctl_kill(c);
}

static void
ctl_event_cb(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		ctl_kill(arg);
}

static void
ctl_reap(evutil_socket_t fd, short what, void *arg)
{
	struct hvsim *h = arg;
	struct ctl_conn **i = &h->ctl->conns, *c;

	while ((c = *i) != NULL) {
		if (c->dead) {
			*i = c->next;
			if (c->ev_held != NULL)
				event_free(c->ev_held);
			if (c->held != NULL)
				evbuffer_free(c->held);
			bufferevent_free(c->bev);
			free(c);
			h->ctl->nconns--;
		} else
			i = &c->next;
	}
}

static void
ctl_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct hvsim *h = arg;
	struct ctl_conn *c = NULL;

	if (h->ctl->nconns >= CTL_CONN_MAX ||
	    (c = calloc(1, sizeof(*c))) == NULL ||
	    (c->bev = bufferevent_socket_new(h->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		hvsim_log(h, "refusing a control client");
		close(fd);
		free(c);
		return;
	}
	c->h = h;
	bufferevent_setcb(c->bev, ctl_read_cb, ctl_write_cb, ctl_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = h->ctl->conns;
	h->ctl->conns = c;
	h->ctl->nconns++;
}

int
ctl_init(struct hvsim *h)
{
	struct ctl *ctl = calloc(1, sizeof(*ctl));
	int fd;

	if ((h->ctl = ctl) == NULL ||
	    asprintf(&ctl->path, "%s/ctl", h->rundir) == -1 ||
	    (ctl->reaper = event_new(h->base, -1, 0, ctl_reap, h)) == NULL)
		return -ENOMEM;
	if ((fd = hvsim_listen(ctl->path)) < 0)
		return fd;
	ctl->l = evconnlistener_new(h->base, ctl_accept, h,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (ctl->l == NULL) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
}

void
ctl_free(struct hvsim *h)
{
	struct ctl_conn *c;

	if (h->ctl == NULL)
		return;
	for (c = h->ctl->conns; c != NULL; c = c->next)
		c->dead = 1;
	ctl_reap(-1, 0, h);
	if (h->ctl->l != NULL) {
		evconnlistener_free(h->ctl->l);
		unlink(h->ctl->path);
	}
	if (h->ctl->reaper != NULL)
		event_free(h->ctl->reaper);
	free(h->ctl->path);
	free(h->ctl);
	h->ctl = NULL;
}
