/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Real Xen backend.  libxenctrl lists the domains and carries out the
 * quick domain controls (pause, unpause, shutdown, set_target) in the
 * daemon.  Building a stub domain and destroying a domain are libxl calls
 * (what xl uses: consoles, xenstore introduction, devices) that wait on
 * xenstore and backends for seconds, so they run in one builder process,
 * forked at start (and again when it dies) and holding one libxl context:
 * requests and replies travel over a socketpair (builder.h), one request
 * at a time in the order they came.  A builder that hangs past the
 * request's timeout is killed; one that crashes or is killed costs the
 * request in flight, never the daemon (which is also why this is not
 * libxl's asynchronous API on the daemon's own loop).  Every call from the
 * loop is timed and the longest is hv.max_stall_us.  Console output is
 * xenconsoled's per-guest log (xenconsoled --log=guest), see
 * xen_console_tail.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <libxl.h>
#include <libxl_utils.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xenctrl.h>
#include <xenstore.h>

#include "stubdmd/builder.h"
#include "stubdmd/hv.h"
#include "stubdmd/log.h"
#include "stubdmd/xlstub.h"

/* xc_domain_getinfolist batch: a few pages of results per hypercall. */
#define XEN_LIST_BATCH		256
#define XEN_BUILD_TIMEOUT_S	120
#define XEN_DESTROY_TIMEOUT_S	60
#define XEN_REAP_POLL_MS	20
#define XEN_REAP_POLLS		250	/* then SIGKILL */
#define XEN_NAME_MAX		128
#define XEN_NAMES		64	/* recently built stubs, for consoles */
#define XEN_CONSOLE_ENV		"STUBDMD_CONSOLE_LOG_DIR"
#define XEN_CONSOLE_DIR		"/var/log/xen/console"
#define XEN_CONSOLE_READ_MAX	16384
#define XEN_DOMID_MAX		BUILDER_DOMID_MAX
#define XEN_BUILDER_COMM	"stubdmd-build"

struct hv_xen;

/* One request for the builder, queued until its reply. */
struct xen_job {
	struct hv_xen		*x;
	enum builder_op		 op;
	uint64_t		 id;
	char			*msg;		/* the encoded request */
	size_t			 len;
	bool			 sent;
	bool			 resent;	/* destroy: sent again once */
	uint64_t		 queued_us;
	uint64_t		 sent_us;
	uint32_t		 domid;		/* destroy: the domain */
	uint8_t			 uuid[16];	/* build: the stub's UUID */
	char			 name[XEN_NAME_MAX];
	hv_build_cb		*cb;
	void			*arg;
	TAILQ_ENTRY(xen_job)	 link;
};

/* The one builder process; pid -1 when there is none. */
struct xen_builder {
	pid_t		 pid;
	int		 fd;
	struct event	*ev_read;
	struct event	*ev_write;
	struct event	*ev_timer;	/* the head's deadline, or reap polls */
	bool		 lost;		/* dead or killed, not yet reaped */
	bool		 timed_out;
	bool		 malformed;
	unsigned	 polls;
	char		*rbuf;		/* one reply */
};

struct xen_name {
	uint32_t	domid;
	char		name[XEN_NAME_MAX];
};

struct hv_xen {
	struct hv		 hv;
	struct event		*ev_pump;
	xc_interface		*xch;
	char			*console_dir;
	TAILQ_HEAD(, xen_job)	 jobs;		/* the head may be in flight */
	struct xen_builder	 b;
	uint64_t		 next_id;
	struct xen_name		 names[XEN_NAMES];
	unsigned		 next_name;
};

/* A libxl logger for the builder: warnings to stderr, the first error (the
 * cause; later ones report its consequences) kept for the reply. */
struct xen_logger {
	xentoollog_logger	 vt;
	const char		*what;
	char			 first[256];
};

/* The builder's libxl context, opened once and again after a failure. */
struct xen_lib {
	libxl_ctx		*ctx;
	struct xen_logger	 lg;
};

static int xen_destroy(struct hv *hv, uint32_t domid);
static void xen_pump(struct hv_xen *x);

static uint64_t
xen_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Every call from the loop is timed: the longest is the loop's stall. */
static void
xen_stall(struct hv_xen *x, uint64_t t0, const char *op)
{
	uint64_t d = xen_now_us() - t0;

	if (d <= x->hv.max_stall_us)
		return;
	x->hv.max_stall_us = d;
	log_info("xen: longest event-loop stall so far: %llu us (%s)",
	    (unsigned long long)d, op);
}

/* Untrusted text (libxl messages, consoles) made printable, in place. */
static void
xen_printable(char *s, bool keep_newlines)
{
	for (; *s != '\0'; s++)
		if ((*s < 0x20 || *s > 0x7e) && !(keep_newlines && *s == '\n'))
			*s = *s == '\t' ? ' ' : '?';
}

static void
xen_fill(struct hv_dominfo *d, const xc_domaininfo_t *x)
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

/* A domain whose destroy helper is at work: dying, as far as anyone asks. */
static bool
xen_destroying(const struct hv_xen *x, uint32_t domid)
{
	const struct xen_job *j;

	TAILQ_FOREACH(j, &x->jobs, link)
		if (j->op == BUILDER_DESTROY && j->domid == domid)
			return true;
	return false;
}

static int
xen_list_all(struct hv_xen *x, uint32_t first, struct hv_dominfo **out,
    size_t *n)
{
	xc_domaininfo_t batch[XEN_LIST_BATCH];
	struct hv_dominfo *v = NULL, *nv;
	size_t count = 0, cap = 0;
	uint32_t next = first;
	int got, i;

	for (;;) {
		got = xc_domain_getinfolist(x->xch, next, XEN_LIST_BATCH,
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
		for (i = 0; i < got; i++, count++) {
			xen_fill(&v[count], &batch[i]);
			v[count].dying |= xen_destroying(x, v[count].domid);
		}
		if (got < XEN_LIST_BATCH)
			break;
		next = batch[got - 1].domain + 1;
	}
	*out = v;
	*n = count;
	return 0;
}

static int
xen_list(struct hv *hv, uint32_t first, struct hv_dominfo **out, size_t *n)
{
	struct hv_xen *x = (struct hv_xen *)hv;
	uint64_t t0 = xen_now_us();
	int rc = xen_list_all(x, first, out, n);

	xen_stall(x, t0, "list");
	return rc;
}

/* ---- the helper process ------------------------------------------- */

static void __attribute__((format(printf, 5, 0)))
xen_log_vmessage(xentoollog_logger *l, xentoollog_level level, int errnoval,
    const char *context, const char *fmt, va_list ap)
{
	struct xen_logger *lg = (struct xen_logger *)l;
	char msg[256];

	if (level < XTL_WARN)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errnoval > 0) {
		size_t n = strlen(msg);

		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(errnoval));
	}
	fprintf(stderr, "stubdmd[%ld]: %s: %s: %s\n", (long)getpid(),
	    lg->what, context != NULL ? context : "libxl", msg);
	if (level >= XTL_ERROR && lg->first[0] == '\0')
		snprintf(lg->first, sizeof(lg->first), "%s", msg);
}

static void
xen_log_destroy(xentoollog_logger *l)
{
}

static void
xen_logger_init(struct xen_logger *lg, const char *what)
{
	memset(lg, 0, sizeof(*lg));
	lg->vt.vmessage = xen_log_vmessage;
	lg->vt.destroy = xen_log_destroy;
	lg->what = what;
}

/* The PV domain xl would build from kernel, ramdisk, cmdline, memory. */
static int
xen_child_config(libxl_ctx *ctx, const struct hv_stub_spec *spec,
    libxl_domain_config *dc)
{
	libxl_domain_build_info *b = &dc->b_info;
	unsigned i;

	dc->c_info.type = LIBXL_DOMAIN_TYPE_PV;
	dc->c_info.name = strdup(spec->name);
	memcpy(libxl_uuid_bytearray(&dc->c_info.uuid), spec->uuid, 16);
	libxl_domain_build_info_init_type(b, LIBXL_DOMAIN_TYPE_PV);
	b->max_vcpus = (int)spec->vcpus;
	if (libxl_cpu_bitmap_alloc(ctx, &b->avail_vcpus, (int)spec->vcpus))
		return -ENOMEM;
	for (i = 0; i < spec->vcpus; i++)
		libxl_bitmap_set(&b->avail_vcpus, (int)i);
	b->max_memkb = b->target_memkb = (uint64_t)spec->memory_mib * 1024;
	b->kernel = strdup(spec->kernel);
	if (spec->ramdisk != NULL && spec->ramdisk[0] != '\0')
		b->ramdisk = strdup(spec->ramdisk);
	if (spec->cmdline != NULL && spec->cmdline[0] != '\0')
		b->cmdline = strdup(spec->cmdline);
	if (dc->c_info.name == NULL || b->kernel == NULL)
		return -ENOMEM;
	return 0;
}

/*
 * A qdisk's format, which libxl's disk list leaves unknown: the prefix
 * libxl wrote before the path in the guest's backend ("qcow2:PATH"), else
 * raw, xl's default.  (libxl would write an unknown one for the new stub
 * as "(null):PATH", which no QEMU opens.)
 */
static libxl_disk_format
xen_child_disk_format(uint32_t guest, const libxl_device_disk *d)
{
	static const struct {
		const char		*prefix;
		libxl_disk_format	 format;
	} known[] = {
		{ "aio:", LIBXL_DISK_FORMAT_RAW },
		{ "raw:", LIBXL_DISK_FORMAT_RAW },
		{ "qcow:", LIBXL_DISK_FORMAT_QCOW },
		{ "qcow2:", LIBXL_DISK_FORMAT_QCOW2 },
		{ "vhd:", LIBXL_DISK_FORMAT_VHD },
		{ "qed:", LIBXL_DISK_FORMAT_QED },
	};
	libxl_disk_format f = LIBXL_DISK_FORMAT_RAW;
	struct xs_handle *xs;
	char dir[96], path[160], *dev, *params = NULL, **ids;
	unsigned n = 0, len, i, k;

	if (d->vdev == NULL || (xs = xs_open(0)) == NULL)
		return f;
	/* The backend whose dev is this disk's name. */
	snprintf(dir, sizeof(dir), "/local/domain/%u/backend/qdisk/%u",
	    d->backend_domid, guest);
	ids = xs_directory(xs, XBT_NULL, dir, &n);
	for (i = 0; ids != NULL && i < n && params == NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s/dev", dir, ids[i]);
		if ((dev = xs_read(xs, XBT_NULL, path, &len)) == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s/params", dir, ids[i]);
		if (strcmp(dev, d->vdev) == 0)
			params = xs_read(xs, XBT_NULL, path, &len);
		free(dev);
	}
	for (k = 0; params != NULL && k < sizeof(known) / sizeof(known[0]);
	    k++)
		if (strncmp(params, known[k].prefix,
		    strlen(known[k].prefix)) == 0)
			f = known[k].format;
	free(params);
	free(ids);
	xs_close(xs);
	return f;
}

/*
 * A libxl guest's disks and NICs, as libxl gives them to its stub domains
 * (libxl_dm.c): the same disks, the NICs as plain vifs with the "-emu"
 * interface name, from libxl's records of the guest (/libxl/<id>).
 */
static void
xen_child_devices(libxl_ctx *ctx, uint32_t guest, libxl_domain_config *dc)
{
	libxl_device_nic *nic;
	char *name;
	int i;

	dc->disks = libxl_device_disk_list(ctx, guest, &dc->num_disks);
	if (dc->disks == NULL)
		dc->num_disks = 0;
	for (i = 0; i < dc->num_disks; i++)
		if (dc->disks[i].format == LIBXL_DISK_FORMAT_UNKNOWN &&
		    dc->disks[i].pdev_path != NULL)
			dc->disks[i].format = xen_child_disk_format(guest,
			    &dc->disks[i]);
	dc->nics = libxl_device_nic_list(ctx, guest, &dc->num_nics);
	if (dc->nics == NULL)
		dc->num_nics = 0;
	for (i = 0; i < dc->num_nics; i++) {
		nic = &dc->nics[i];
		nic->nictype = LIBXL_NIC_TYPE_VIF;
		if (nic->ifname != NULL &&
		    asprintf(&name, "%s-emu", nic->ifname) >= 0) {
			free(nic->ifname);
			nic->ifname = name;
		}
	}
}

/*
 * Own mode: the disks and NICs stubdmd read from the guest's backends
 * (devices.c), given to the stub as libxl_dm.c gives a guest's to its
 * stub: the same disks (same name, backend and backend domain, so that the
 * stub's /dev/xvd<letter> is the guest's disk), every NIC as a plain vif
 * whose interface, if the guest's is named, is "<name>-emu".
 */
static int
xen_child_disk(const struct hv_disk *d, libxl_device_disk *x)
{
	static const libxl_disk_backend backends[] = {
		[HV_DISK_PHY] = LIBXL_DISK_BACKEND_PHY,
		[HV_DISK_QDISK] = LIBXL_DISK_BACKEND_QDISK,
		[HV_DISK_TAP] = LIBXL_DISK_BACKEND_TAP,
	};
	static const libxl_disk_format formats[] = {
		[HV_FORMAT_RAW] = LIBXL_DISK_FORMAT_RAW,
		[HV_FORMAT_QCOW] = LIBXL_DISK_FORMAT_QCOW,
		[HV_FORMAT_QCOW2] = LIBXL_DISK_FORMAT_QCOW2,
		[HV_FORMAT_VHD] = LIBXL_DISK_FORMAT_VHD,
		[HV_FORMAT_EMPTY] = LIBXL_DISK_FORMAT_EMPTY,
	};

	libxl_device_disk_init(x);
	x->backend_domid = d->backend_domid;
	x->backend = backends[d->backend];
	x->format = formats[d->format];
	x->readwrite = d->readwrite;
	x->is_cdrom = d->cdrom;
	x->removable = d->cdrom;
	x->vdev = strdup(d->vdev);
	if (d->format != HV_FORMAT_EMPTY)
		x->pdev_path = strdup(d->target);
	return x->vdev == NULL || (d->format != HV_FORMAT_EMPTY &&
	    x->pdev_path == NULL) ? -ENOMEM : 0;
}

static int
xen_child_nic(const struct hv_nic *n, libxl_device_nic *x)
{
	unsigned m[6], i;

	libxl_device_nic_init(x);
	x->backend_domid = n->backend_domid;
	x->devid = (libxl_devid)n->devid;
	x->nictype = LIBXL_NIC_TYPE_VIF;
	if (sscanf(n->mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3],
	    &m[4], &m[5]) != 6)
		return -EINVAL;	/* devices.c checked it */
	for (i = 0; i < 6; i++)
		x->mac[i] = (uint8_t)m[i];
	if ((x->bridge = strdup(n->bridge)) == NULL ||
	    (n->script[0] != '\0' && (x->script = strdup(n->script)) == NULL) ||
	    (n->ifname[0] != '\0' && asprintf(&x->ifname, "%s-emu",
	    n->ifname) < 0))
		return -ENOMEM;
	return 0;
}

static int
xen_child_spec_devices(const struct hv_devices *v, libxl_domain_config *dc)
{
	unsigned i;
	int rc = 0;

	if (v->ndisks > 0 &&
	    (dc->disks = calloc(v->ndisks, sizeof(*dc->disks))) == NULL)
		return -ENOMEM;
	for (i = 0; i < v->ndisks && rc == 0; i++, dc->num_disks++)
		rc = xen_child_disk(&v->disks[i], &dc->disks[i]);
	if (rc == 0 && v->nnics > 0 &&
	    (dc->nics = calloc(v->nnics, sizeof(*dc->nics))) == NULL)
		return -ENOMEM;
	for (i = 0; i < v->nnics && rc == 0; i++, dc->num_nics++)
		rc = xen_child_nic(&v->nics[i], &dc->nics[i]);
	return rc;
}

/*
 * Rebuilding the stub libxl built for a guest, when the daemon could not
 * read its kernel from xenstore: from libxl's saved configuration of the
 * guest (its stubdomain_kernel, _ramdisk, _cmdline, _memkb), the disks
 * too.  Only then: libxl also asks the guest's device model (QMP, through
 * the dead stub) and logs that it cannot.  The strings stay owned by saved.
 */
static void
xen_child_from_libxl(libxl_ctx *ctx, struct hv_stub_spec *spec,
    libxl_domain_config *saved, libxl_domain_config *dc)
{
	const libxl_domain_build_info *b = &saved->b_info;
	int i;

	if (libxl_retrieve_domain_configuration(ctx, spec->target, saved,
	    NULL) != 0)
		return;	/* xenstore's view and the device lists stand */
	if (spec->kernel[0] == '\0' && b->stubdomain_kernel != NULL)
		spec->kernel = b->stubdomain_kernel;
	if (spec->ramdisk[0] == '\0' && b->stubdomain_ramdisk != NULL)
		spec->ramdisk = b->stubdomain_ramdisk;
	if (spec->cmdline[0] == '\0' && b->stubdomain_cmdline != NULL)
		spec->cmdline = b->stubdomain_cmdline;
	if (spec->memory_mib == 0 && b->stubdomain_memkb > 0)
		spec->memory_mib = (unsigned)(b->stubdomain_memkb / 1024);
	for (i = 0; i < dc->num_disks; i++)
		libxl_device_disk_dispose(&dc->disks[i]);
	free(dc->disks);
	dc->disks = saved->disks;
	dc->num_disks = saved->num_disks;
	saved->disks = NULL;
	saved->num_disks = 0;
}

/* The context for one request: the one open, or a new one. */
static libxl_ctx *
xen_lib_ctx(struct xen_lib *l, const char *what, struct builder_reply *r)
{
	l->lg.what = what;
	l->lg.first[0] = '\0';
	if (l->ctx == NULL && libxl_ctx_alloc(&l->ctx, LIBXL_VERSION, 0,
	    &l->lg.vt) != 0) {
		l->ctx = NULL;
		r->err = -EIO;
		snprintf(r->why, sizeof(r->why), "cannot open libxl: %s",
		    l->lg.first);
	}
	return l->ctx;
}

/* After a failure the context may be what failed (xenstored restarted). */
static void
xen_lib_failed(struct xen_lib *l, const struct builder_reply *r)
{
	if (r->err < 0 && l->ctx != NULL) {
		libxl_ctx_free(l->ctx);
		l->ctx = NULL;
	}
}

static void
xen_lib_error(struct xen_lib *l, struct builder_reply *r, const char *call,
    int rc)
{
	r->err = -EIO;
	snprintf(r->why, sizeof(r->why), "%s: libxl error %d%s%s", call, rc,
	    l->lg.first[0] ? ": " : "", l->lg.first);
}

/* libxl runs a QEMU in dom0 for a stub with a qdisk disk: it serves consoles. */
static bool
xen_child_has_dom0_qemu(const struct hv_stub_spec *spec)
{
	unsigned i;

	if (spec->spare)
		return true;	/* its channel (xen_child_spare_channel) */
	for (i = 0; i < spec->devices.ndisks; i++)
		if (spec->devices.disks[i].backend == HV_DISK_QDISK &&
		    spec->devices.disks[i].backend_domid == 0)
			return true;
	return false;
}

/*
 * A spare's console 1 is a channel, for libxl starts a dom0 QEMU for a
 * channel (libxl__need_xenpv_qemu); the consoles and qdisk disks a guest
 * brings when it takes the spare are served by that QEMU.
 */
static int
xen_child_spare_channel(libxl_domain_config *dc)
{
	libxl_device_channel *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	libxl_device_channel_init(c);
	dc->channels = c;
	dc->num_channels = 1;
	c->backend_domid = 0;
	c->devid = XLSTUB_SPARE_CONSOLE;
	c->connection = LIBXL_CHANNEL_CONNECTION_PTY;
	return (c->name = strdup(XLSTUB_SPARE_CHANNEL)) == NULL ? -ENOMEM : 0;
}

/* libxl_domain_create_new leaves the domain paused, as `xl create -p`. */
static void
xen_child_build(struct xen_lib *l, const struct hv_stub_spec *want,
    struct builder_reply *r)
{
	struct hv_stub_spec copy = *want, *spec = &copy;
	libxl_domain_config saved, dc;
	libxl_ctx *ctx;
	uint32_t domid = INVALID_DOMID;
	int rc, e;

	libxl_domain_config_init(&dc);
	libxl_domain_config_init(&saved);
	if ((ctx = xen_lib_ctx(l, spec->name, r)) == NULL)
		goto out;
	if (spec->from_libxl)
		xen_child_devices(ctx, spec->target, &dc);
	else if ((rc = xen_child_spec_devices(&spec->devices, &dc)) < 0) {
		r->err = rc;
		snprintf(r->why, sizeof(r->why), "the guest's devices for "
		    "libxl: %s", strerror(-rc));
		goto out;
	}
	if (spec->from_libxl && spec->kernel[0] == '\0')
		xen_child_from_libxl(ctx, spec, &saved, &dc);
	if (spec->kernel[0] == '\0') {
		r->err = -ENOENT;
		snprintf(r->why, sizeof(r->why), "no kernel: libxl's saved "
		    "configuration of domain %u names none", spec->target);
		goto out;
	}
	if ((rc = xen_child_config(ctx, spec, &dc)) < 0 || (spec->spare &&
	    (rc = xen_child_spare_channel(&dc)) < 0)) {
		r->err = rc;
		snprintf(r->why, sizeof(r->why), "%s", strerror(-rc));
		goto out;
	}
	rc = libxl_domain_create_new(ctx, &dc, &domid, NULL, NULL);
	/* What else libxl gives its stub: a stub runs without, degraded. */
	if (rc == 0 && (spec->from_libxl || spec->serial[0] != '\0') &&
	    (e = xlstub_serve(ctx, domid, spec->target, spec->from_libxl ?
	    NULL : spec->serial)) < 0)
		fprintf(stderr, "%s: no consoles for the guest's serial ports: "
		    "%s; the stub runs without\n", spec->name, strerror(-e));
	else if (rc == 0 && !spec->from_libxl && spec->serial[0] != '\0' &&
	    !xen_child_has_dom0_qemu(spec))
		fprintf(stderr, "%s: serial %s: nothing in dom0 serves the "
		    "stub's consoles (libxl runs a QEMU there only for a "
		    "qdisk disk)\n", spec->name, spec->serial);
	if (rc == 0)
		r->domid = domid;
	else
		xen_lib_error(l, r, "libxl_domain_create_new", rc);
out:
	libxl_domain_config_dispose(&dc);
	libxl_domain_config_dispose(&saved);
}

/* One disk, then one NIC, as `xl block-attach` and `network-attach`. */
static int
xen_child_attach_devices(struct xen_lib *l, uint32_t stub,
    const struct hv_devices *v, struct builder_reply *r)
{
	libxl_device_disk disk;
	libxl_device_nic nic;
	unsigned i;
	int rc = 0;

	for (i = 0; i < v->ndisks && rc == 0; i++) {
		if ((rc = xen_child_disk(&v->disks[i], &disk)) == 0 &&
		    (rc = libxl_device_disk_add(l->ctx, stub, &disk, NULL)) != 0)
			xen_lib_error(l, r, "libxl_device_disk_add", rc);
		libxl_device_disk_dispose(&disk);
	}
	for (i = 0; i < v->nnics && rc == 0; i++) {
		if ((rc = xen_child_nic(&v->nics[i], &nic)) == 0 &&
		    (rc = libxl_device_nic_add(l->ctx, stub, &nic, NULL)) != 0)
			xen_lib_error(l, r, "libxl_device_nic_add", rc);
		libxl_device_nic_dispose(&nic);
	}
	if (rc < 0 && r->err == 0) {
		r->err = rc;
		snprintf(r->why, sizeof(r->why), "the guest's devices for "
		    "libxl: %s", strerror(-rc));
	}
	return r->err;
}

/*
 * A running spare taken by a guest: its serial console, then its disks
 * and NICs, written before the daemon writes the stub's target (the
 * image reads them then).
 */
static void
xen_child_attach(struct xen_lib *l, uint32_t stub,
    const struct hv_stub_spec *spec, struct builder_reply *r)
{
	int rc;

	if (xen_lib_ctx(l, spec->name, r) == NULL)
		return;
	if (spec->serial[0] != '\0' && (rc = xlstub_serve_spare(stub,
	    spec->target, spec->serial)) < 0) {
		r->err = rc;
		snprintf(r->why, sizeof(r->why), "the serial console: %s",
		    strerror(-rc));
		return;
	}
	if (xen_child_attach_devices(l, stub, &spec->devices, r) == 0)
		r->domid = stub;
}

/* libxl also removes the domain's xenstore entries and backends. */
static void
xen_child_destroy(struct xen_lib *l, uint32_t domid, struct builder_reply *r)
{
	char what[32];
	libxl_ctx *ctx;
	int rc;

	snprintf(what, sizeof(what), "destroy %u", domid);
	if ((ctx = xen_lib_ctx(l, what, r)) == NULL)
		return;
	rc = libxl_domain_destroy(ctx, domid, NULL);
	if (rc != 0 && libxl_domain_info(ctx, NULL, domid) !=
	    ERROR_DOMAIN_NOTFOUND)	/* else someone else did */
		xen_lib_error(l, r, "libxl_domain_destroy", rc);
}

/* The daemon's libevent signal handlers must not fire in the builder. */
static void
xen_child_signals(void)
{
	sigset_t all;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

/* One request, one reply; a request it cannot read ends the builder. */
static void
xen_child_serve(struct xen_lib *l, int fd, const char *buf, size_t len)
{
	struct builder_reply r = { 0 };
	struct builder_req req;
	char *out = NULL;
	size_t n;

	if (builder_req_decode(buf, len, &req) < 0)
		_exit(2);
	r.id = req.id;
	if (req.op != BUILDER_DESTROY)
		fprintf(stderr, "%s[%ld]: %s: %s\n", XEN_BUILDER_COMM,
		    (long)getpid(), req.spec.name, req.op == BUILDER_BUILD ?
		    "building" : "giving a spare the guest's devices");
	if (req.op == BUILDER_BUILD)
		xen_child_build(l, &req.spec, &r);
	else if (req.op == BUILDER_ATTACH)
		xen_child_attach(l, req.domid, &req.spec, &r);
	else
		xen_child_destroy(l, req.domid, &r);
	xen_lib_failed(l, &r);
	builder_req_free(&req);
	if (builder_reply_encode(&r, &out, &n) < 0 ||
	    send(fd, out, n, MSG_NOSIGNAL) != (ssize_t)n)
		_exit(3);
	free(out);
}

/*
 * The builder: requests in order until the daemon closes its end.  It dies
 * with the daemon, so that a restarted daemon finds a half-built stub by
 * its UUID.  It keeps nothing of the daemon's but stdio and its socket.
 */
static void __attribute__((noreturn))
xen_child(int fd, pid_t parent)
{
	struct xen_lib l = { 0 };
	char *buf;
	ssize_t n;

	xen_child_signals();
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	prctl(PR_SET_NAME, XEN_BUILDER_COMM);
	if (fd != 3 && dup2(fd, 3) == 3)
		fd = 3;
	close_range((unsigned)fd + 1, ~0U, 0);
	xen_logger_init(&l.lg, XEN_BUILDER_COMM);
	if ((buf = malloc(BUILDER_MSG_MAX + 1)) == NULL)
		_exit(1);
	for (;;) {
		n = recv(fd, buf, BUILDER_MSG_MAX + 1, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (n > BUILDER_MSG_MAX)
			_exit(2);
		xen_child_serve(&l, fd, buf, (size_t)n);
	}
	if (l.ctx != NULL)
		libxl_ctx_free(l.ctx);
	_exit(0);
}

/* ---- the loop's side of the builder ------------------------------- */

static void
xen_job_free(struct xen_job *j)
{
	if (j == NULL)
		return;
	free(j->msg);
	free(j);
}

/* Build and attach answer with a domain, to the caller's callback. */
static bool
xen_op_reports(enum builder_op op)
{
	return op != BUILDER_DESTROY;
}

static int
xen_timeout_s(enum builder_op op)
{
	return op == BUILDER_DESTROY ? XEN_DESTROY_TIMEOUT_S :
	    XEN_BUILD_TIMEOUT_S;
}

/* Why the builder went away without answering the request in flight. */
static int
xen_lost_why(const struct xen_builder *b, enum builder_op op, int status,
    char *why, size_t size)
{
	static const char *const whats[] = { [BUILDER_BUILD] = "build",
	    [BUILDER_DESTROY] = "destroy", [BUILDER_ATTACH] = "attach" };
	const char *what = whats[op];

	if (b->timed_out) {
		snprintf(why, size, "%s helper timed out after %d s; killed",
		    what, xen_timeout_s(op));
		return -ETIMEDOUT;
	}
	if (b->malformed) {
		snprintf(why, size, "malformed %s report", what);
		return -EPROTO;
	}
	if (status >= 0 && WIFSIGNALED(status))
		snprintf(why, size, "%s helper killed by signal %d without a "
		    "report", what, WTERMSIG(status));
	else
		snprintf(why, size, "%s helper exited (status %d) without a "
		    "report", what, status >= 0 ? WEXITSTATUS(status) : -1);
	return -EIO;
}

/* A builder that died mid-build may leave a paused domain: find it. */
static void
xen_destroy_uuid(struct hv_xen *x, const uint8_t uuid[16])
{
	struct hv_dominfo *v = NULL;
	size_t n = 0, i;

	if (xen_list_all(x, 0, &v, &n) < 0)
		return;
	for (i = 0; i < n; i++)
		if (memcmp(v[i].uuid, uuid, 16) == 0 && !v[i].dying) {
			log_info("xen: destroying domain %u left by a failed "
			    "build", v[i].domid);
			xen_destroy(&x->hv, v[i].domid);
		}
	free(v);
}

static void
xen_remember_name(struct hv_xen *x, uint32_t domid, const char *name)
{
	struct xen_name *n = &x->names[x->next_name++ % XEN_NAMES];

	n->domid = domid;
	snprintf(n->name, sizeof(n->name), "%s", name);
}

/* A build's outcome; a builder lost mid-build may have left a domain. */
static void
xen_job_result_build(struct xen_job *j, const struct builder_reply *r,
    bool lost)
{
	uint64_t now = xen_now_us();

	if (j->op == BUILDER_ATTACH) {
		if (r->err == 0)
			log_info("xen: spare stub domain %u given its guest's "
			    "devices in %llu ms", r->domid,
			    (unsigned long long)(now - j->queued_us) / 1000);
		return;	/* a failed one: the daemon destroys the spare */
	}
	/* From the request, as when each build forked its own helper. */
	if (r->err == 0) {
		xen_remember_name(j->x, r->domid, j->name);
		log_info("xen: stub domain %u built in %llu ms (%llu ms of it "
		    "queued for the builder)", r->domid,
		    (unsigned long long)(now - j->queued_us) / 1000,
		    (unsigned long long)(j->sent_us - j->queued_us) / 1000);
	} else if (lost)
		xen_destroy_uuid(j->x, j->uuid);
}

static void
xen_job_result_destroy(struct xen_job *j, const struct builder_reply *r)
{
	if (r->err < 0)
		log_warnx("xen: destroying domain %u: %s", j->domid, r->why);
	else
		log_debug("xen: domain %u destroyed", j->domid);
}

/*
 * The head request is answered (or lost with the builder): off the queue,
 * then the next one goes.  The daemon's callback runs last: its time is
 * not the backend's stall.
 */
static void
xen_job_done(struct xen_job *j, const struct builder_reply *r, bool lost)
{
	uint64_t t0 = xen_now_us();
	struct hv_xen *x = j->x;
	hv_build_cb *cb = xen_op_reports(j->op) ? j->cb : NULL;
	void *arg = j->arg;
	char why[BUILDER_WHY_MAX];

	TAILQ_REMOVE(&x->jobs, j, link);
	if (x->b.ev_timer != NULL && !x->b.lost)
		evtimer_del(x->b.ev_timer);
	snprintf(why, sizeof(why), "%s", r->why);
	if (cb != NULL)
		xen_job_result_build(j, r, lost);
	else
		xen_job_result_destroy(j, r);
	xen_job_free(j);
	xen_pump(x);
	xen_stall(x, t0, "builder result");
	if (cb != NULL)
		cb(arg, r->err, r->err == 0 ? r->domid : 0,
		    r->err == 0 ? NULL : why);
}

/* The builder is gone and reaped: what it had in hand failed. */
static void
xen_builder_gone(struct hv_xen *x, int status)
{
	struct xen_job *j = TAILQ_FIRST(&x->jobs);
	struct builder_reply r = { 0 };

	if (j != NULL && j->sent) {
		r.id = j->id;
		r.err = xen_lost_why(&x->b, j->op, status, r.why,
		    sizeof(r.why));
		j->sent = false;
	}
	log_warnx("xen: builder process %ld gone%s%s; the next request "
	    "starts another", (long)x->b.pid, r.err < 0 ? ": " : "", r.why);
	x->b.pid = -1;
	x->b.lost = false;
	x->b.timed_out = x->b.malformed = false;
	if (r.err == 0)
		xen_pump(x);
	else if (j->op == BUILDER_DESTROY && !j->resent) {
		log_warnx("xen: destroying domain %u: %s; trying again",
		    j->domid, r.why);
		j->resent = true;
		xen_pump(x);
	} else
		xen_job_done(j, &r, true);
}

/* Collect the builder's exit; it may be a moment behind its socket. */
static void
xen_builder_reap(struct hv_xen *x)
{
	struct timeval tv = { 0, XEN_REAP_POLL_MS * 1000 };
	int status = -1;
	pid_t r;

	r = waitpid(x->b.pid, &status, WNOHANG);
	if (r == x->b.pid || (r < 0 && errno == ECHILD)) {
		xen_builder_gone(x, r == x->b.pid ? status : -1);
		return;
	}
	if (++x->b.polls == XEN_REAP_POLLS)
		kill(x->b.pid, SIGKILL);
	evtimer_add(x->b.ev_timer, &tv);
}

/* The loop's end of the socket (the process is reaped apart). */
static void
xen_builder_close(struct xen_builder *b)
{
	if (b->ev_read != NULL)
		event_free(b->ev_read);
	if (b->ev_write != NULL)
		event_free(b->ev_write);
	b->ev_read = b->ev_write = NULL;
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

/* Its socket closed (or it must die): reap it, then start another. */
static void
xen_builder_lose(struct hv_xen *x, bool kill_it)
{
	struct xen_builder *b = &x->b;

	if (kill_it)
		kill(b->pid, SIGKILL);
	xen_builder_close(b);
	b->lost = true;
	b->polls = 0;
	evtimer_del(b->ev_timer);
	xen_builder_reap(x);
}

/* A reply must answer the request in flight, with what that asks for. */
static int
xen_builder_check(const struct xen_job *j, const char *buf, ssize_t n,
    struct builder_reply *r)
{
	if (j == NULL || !j->sent || n > BUILDER_MSG_MAX ||
	    builder_reply_decode(buf, (size_t)n, r) < 0 || r->id != j->id)
		return -EPROTO;
	if (r->err == 0 && xen_op_reports(j->op) != (r->domid != 0))
		return -EPROTO;
	return 0;
}

static void
xen_builder_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct hv_xen *x = arg;
	uint64_t t0 = xen_now_us();
	struct xen_job *j = TAILQ_FIRST(&x->jobs);
	struct builder_reply r;
	ssize_t n;

	n = recv(fd, x->b.rbuf, BUILDER_MSG_MAX + 1, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0 && xen_builder_check(j, x->b.rbuf, n, &r) == 0) {
		xen_stall(x, t0, "builder reply");
		xen_job_done(j, &r, false);
		return;
	}
	if (n > 0) {
		log_warnx("xen: malformed reply from builder process %ld; "
		    "killing it", (long)x->b.pid);
		x->b.malformed = true;
	}
	xen_builder_lose(x, n > 0);
	xen_stall(x, t0, "builder lost");
}

/* The head's deadline; when the builder is lost, the reaper's polls. */
static void
xen_builder_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct hv_xen *x = arg;

	if (x->b.lost) {
		xen_builder_reap(x);
		return;
	}
	log_warnx("xen: builder process %ld did not answer in time; killing "
	    "it", (long)x->b.pid);
	x->b.timed_out = true;
	xen_builder_lose(x, true);
}

static void
xen_builder_on_write(evutil_socket_t fd, short what, void *arg)
{
	xen_pump(arg);
}

/* Room for one whole request or reply, whatever the host's default. */
static void
xen_builder_bufs(const int sv[2])
{
	int size = 4 * BUILDER_MSG_MAX;

	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

/* Forked from the daemon: at start, and again after one died. */
static int
xen_builder_start(struct hv_xen *x)
{
	struct xen_builder *b = &x->b;
	pid_t parent = getpid();
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	xen_builder_bufs(sv);
	b->ev_read = event_new(x->hv.base, sv[0], EV_READ | EV_PERSIST,
	    xen_builder_on_read, x);
	b->ev_write = event_new(x->hv.base, sv[0], EV_WRITE,
	    xen_builder_on_write, x);
	rc = b->ev_read == NULL || b->ev_write == NULL ? -ENOMEM : 0;
	if (rc == 0 && (b->pid = fork()) < 0)
		rc = -errno;
	if (rc < 0) {
		b->pid = -1;
		xen_builder_close(b);
		close(sv[0]);
		close(sv[1]);
		return rc;
	}
	if (b->pid == 0) {
		close(sv[0]);
		xen_child(sv[1], parent);
	}
	close(sv[1]);
	b->fd = sv[0];
	fcntl(b->fd, F_SETFL, fcntl(b->fd, F_GETFL) | O_NONBLOCK);
	event_add(b->ev_read, NULL);
	log_info("xen: builder process %ld started", (long)b->pid);
	return 0;
}

/* A request that cannot reach a builder fails (from the loop). */
static void
xen_job_unsent(struct xen_job *j, int err, const char *what)
{
	struct builder_reply r = { .id = j->id, .err = err };

	snprintf(r.why, sizeof(r.why), "%s: %s", what, strerror(-err));
	xen_job_done(j, &r, false);
}

static void
xen_pump_send(struct hv_xen *x, struct xen_job *j)
{
	struct timeval tv = { 0, 0 };
	ssize_t n;
	int rc;

	if (x->b.pid < 0 && (rc = xen_builder_start(x)) < 0) {
		xen_job_unsent(j, rc, "cannot start the build helper");
		return;
	}
	n = send(x->b.fd, j->msg, j->len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		event_add(x->b.ev_write, NULL);
		return;
	}
	if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
		xen_builder_lose(x, false);	/* it died */
		return;
	}
	if (n != (ssize_t)j->len) {
		xen_job_unsent(j, n < 0 ? -errno : -EMSGSIZE,
		    "cannot send to the build helper");
		return;
	}
	j->sent = true;
	j->sent_us = xen_now_us();
	tv.tv_sec = xen_timeout_s(j->op);
	evtimer_add(x->b.ev_timer, &tv);
}

/*
 * The head of the queue goes to the builder, one request at a time: the
 * builder serves them in order, and the daemon never waits on it.  A new
 * builder's fork counts in the loop's stall.
 */
static void
xen_pump_now(evutil_socket_t fd, short what, void *arg)
{
	struct hv_xen *x = arg;
	struct xen_job *j = TAILQ_FIRST(&x->jobs);
	uint64_t t0 = xen_now_us();

	if (j == NULL || j->sent || x->b.lost)
		return;
	xen_pump_send(x, j);
	xen_stall(x, t0, "builder request");
}

/* From the loop, never from inside a caller of the backend. */
static void
xen_pump(struct hv_xen *x)
{
	struct timeval now = { 0, 0 };

	evtimer_add(x->ev_pump, &now);
}

/* A request at the tail of the queue. */
static int
xen_job_queue(struct hv_xen *x, struct xen_job *j, struct builder_req *req)
{
	int rc;

	j->x = x;
	j->id = req->id = ++x->next_id;
	j->queued_us = xen_now_us();
	if ((rc = builder_req_encode(req, &j->msg, &j->len)) < 0)
		return rc;
	TAILQ_INSERT_TAIL(&x->jobs, j, link);
	xen_pump(x);
	return 0;
}

static int
xen_spec_check(const struct hv_stub_spec *spec)
{
	if (spec->name == NULL || spec->name[0] == '\0' ||
	    strlen(spec->name) >= XEN_NAME_MAX)
		return -EINVAL;
	/* Empty for an adopted stub: libxl's saved configuration names it. */
	if (spec->kernel == NULL || (spec->kernel[0] == '\0' &&
	    !spec->from_libxl))
		return -ENOENT;
	if (spec->memory_mib == 0 || spec->vcpus == 0 || spec->vcpus > 128)
		return -EINVAL;
	if (spec->devices.ndisks > HV_DISKS_MAX ||
	    spec->devices.nnics > HV_NICS_MAX)
		return -E2BIG;
	return 0;
}

/* A build, or an attach to the running spare stub: queued for the builder. */
static int
xen_queue_spec(struct hv_xen *x, enum builder_op op, uint32_t stub,
    const struct hv_stub_spec *spec, hv_build_cb *cb, void *arg)
{
	struct builder_req req = { .op = op, .domid = stub, .spec = *spec };
	struct xen_job *j;
	int rc;

	if ((rc = xen_spec_check(spec)) < 0)
		return rc;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -ENOMEM;
	j->op = op;
	j->domid = stub;
	j->cb = cb;
	j->arg = arg;
	memcpy(j->uuid, spec->uuid, sizeof(j->uuid));
	snprintf(j->name, sizeof(j->name), "%s", spec->name);
	if ((rc = xen_job_queue(x, j, &req)) < 0)
		xen_job_free(j);
	return rc;
}

static int
xen_build(struct hv *hv, const struct hv_stub_spec *spec, hv_build_cb *cb,
    void *arg)
{
	uint64_t t0 = xen_now_us();
	int rc;

	rc = xen_queue_spec((struct hv_xen *)hv, BUILDER_BUILD, 0, spec, cb,
	    arg);
	xen_stall((struct hv_xen *)hv, t0, "build");
	return rc;
}

/* A taken spare's devices and serial, by the builder: libxl again. */
static int
xen_attach(struct hv *hv, uint32_t stub, const struct hv_stub_spec *spec,
    hv_build_cb *cb, void *arg)
{
	uint64_t t0 = xen_now_us();
	int rc = -ESRCH;

	if (stub != 0 && stub < XEN_DOMID_MAX)
		rc = xen_queue_spec((struct hv_xen *)hv, BUILDER_ATTACH, stub,
		    spec, cb, arg);
	xen_stall((struct hv_xen *)hv, t0, "attach");
	return rc;
}

#define XEN_CALL(expr)	((expr) == 0 ? 0 : -errno)

static int
xen_timed(struct hv *hv, uint64_t t0, const char *op, int rc)
{
	xen_stall((struct hv_xen *)hv, t0, op);
	return rc;
}

static int
xen_set_target(struct hv *hv, uint32_t stub, uint32_t guest)
{
	uint64_t t0 = xen_now_us();

	return xen_timed(hv, t0, "set_target", XEN_CALL(xc_domain_set_target(
	    ((struct hv_xen *)hv)->xch, stub, guest)));
}

static int
xen_pause(struct hv *hv, uint32_t domid)
{
	uint64_t t0 = xen_now_us();

	return xen_timed(hv, t0, "pause", XEN_CALL(xc_domain_pause(
	    ((struct hv_xen *)hv)->xch, domid)));
}

static int
xen_unpause(struct hv *hv, uint32_t domid)
{
	uint64_t t0 = xen_now_us();

	return xen_timed(hv, t0, "unpause", XEN_CALL(xc_domain_unpause(
	    ((struct hv_xen *)hv)->xch, domid)));
}

static int
xen_shutdown(struct hv *hv, uint32_t domid, enum hv_shutdown why)
{
	uint64_t t0 = xen_now_us();

	return xen_timed(hv, t0, "shutdown", XEN_CALL(xc_domain_shutdown(
	    ((struct hv_xen *)hv)->xch, domid, (int)why)));
}

static bool
xen_exists(struct hv_xen *x, uint32_t domid)
{
	xc_domaininfo_t info;

	return xc_domain_getinfolist(x->xch, domid, 1, &info) == 1 &&
	    info.domain == domid;
}

/*
 * libxl_domain_destroy in the builder: it tears down backends and removes
 * the domain's xenstore entries (a stub's must not linger: the next stub
 * of the same guest reuses its name).  Works for domains libxl did not
 * create.  Until the builder is done, the list reports the domain as dying.
 */
static int
xen_destroy(struct hv *hv, uint32_t domid)
{
	struct hv_xen *x = (struct hv_xen *)hv;
	struct builder_req req = { .op = BUILDER_DESTROY, .domid = domid };
	uint64_t t0 = xen_now_us();
	struct xen_job *j = NULL;
	int rc;

	if (domid == 0 || domid >= XEN_DOMID_MAX || !xen_exists(x, domid)) {
		rc = -ESRCH;
		goto out;
	}
	rc = 0;
	if (xen_destroying(x, domid))
		goto out;
	/* It stops at once; the builder may take seconds. */
	xc_domain_pause(x->xch, domid);
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	j->op = BUILDER_DESTROY;
	j->domid = domid;
	if ((rc = xen_job_queue(x, j, &req)) < 0)
		xen_job_free(j);
out:
	xen_stall(x, t0, "destroy");
	return rc;
}

/* ---- consoles ------------------------------------------------------ */

/* A usable log name, or NULL (freed). */
static char *
xen_log_name(char *name)
{
	if (name != NULL && (name[0] == '\0' || name[0] == '.' ||
	    strchr(name, '/') != NULL || strlen(name) >= XEN_NAME_MAX)) {
		free(name);
		name = NULL;
	}
	return name;
}

/*
 * The names xenconsoled may log a domain under: xenstore's (first), and
 * the name stubdmd built it with (a spare from the pool was renamed after
 * xenconsoled opened its log).
 */
static void
xen_domain_names(struct hv_xen *x, uint32_t domid, char *names[2])
{
	struct xs_handle *xsh;
	char path[64];
	unsigned len = 0, i;

	names[0] = names[1] = NULL;
	snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
	if ((xsh = xs_open(0)) != NULL) {
		names[0] = xen_log_name(xs_read(xsh, XBT_NULL, path, &len));
		xs_close(xsh);
	}
	for (i = 0; names[1] == NULL && i < XEN_NAMES; i++)
		if (x->names[i].domid == domid && x->names[i].name[0] != '\0')
			names[1] = xen_log_name(strdup(x->names[i].name));
}

static char *
xen_read_end(const char *path)
{
	char *buf = NULL;
	struct stat st;
	ssize_t n = -1;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (buf = malloc(XEN_CONSOLE_READ_MAX + 1)) != NULL)
		n = pread(fd, buf, XEN_CONSOLE_READ_MAX,
		    st.st_size > XEN_CONSOLE_READ_MAX ?
		    st.st_size - XEN_CONSOLE_READ_MAX : 0);
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* Keep the last `lines` lines of buf, without CRs, made printable. */
static char *
xen_last_lines(char *buf, unsigned lines)
{
	char *p;
	size_t n;

	for (p = buf; (p = strchr(p, '\r')) != NULL; )
		memmove(p, p + 1, strlen(p));
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	for (p = buf + n; p > buf && lines > 0; p--)
		if (p[-1] == '\n' && --lines == 0)
			break;
	memmove(buf, p, strlen(p) + 1);
	xen_printable(buf, true);
	return buf;
}

/*
 * A stub domain's console output: xenconsoled's log of it, which outlives
 * the domain (xenconsoled --log=guest; the directory is xenconsoled's
 * default unless STUBDMD_CONSOLE_LOG_DIR names the --log-dir it runs with).
 */
static char *
xen_console_tail(struct hv *hv, uint32_t domid, unsigned lines)
{
	struct hv_xen *x = (struct hv_xen *)hv;
	uint64_t t0 = xen_now_us();
	char *names[2], *path = NULL, *text = NULL;
	unsigned i;

	xen_domain_names(x, domid, names);
	for (i = 0; i < 2 && text == NULL; i++) {
		if (names[i] == NULL)
			continue;
		free(path);
		if (asprintf(&path, "%s/guest-%s.log", x->console_dir,
		    names[i]) < 0)
			path = NULL;
		else
			text = xen_read_end(path);
	}
	if (text != NULL)
		xen_last_lines(text, lines);
	log_debug("xen: console of domain %u: %s (%zu bytes)", domid,
	    path != NULL ? path : "?", text != NULL ? strlen(text) : 0);
	free(path);
	free(names[0]);
	free(names[1]);
	xen_stall(x, t0, "console_tail");
	return text;
}

/*
 * A build in flight is killed with the builder (its stub is found by UUID
 * after a restart); a destroy in flight finishes, then the builder reads
 * the end of its socket.  Queued requests are dropped.
 */
static void
xen_close(struct hv *hv)
{
	struct hv_xen *x = (struct hv_xen *)hv;
	struct xen_job *j;

	if (x == NULL)
		return;
	j = TAILQ_FIRST(&x->jobs);
	if (x->b.pid > 0 && !x->b.lost && j != NULL && j->sent &&
	    xen_op_reports(j->op))
		kill(x->b.pid, SIGKILL);
	xen_builder_close(&x->b);
	if (x->b.pid > 0)
		waitpid(x->b.pid, NULL, 0);
	while ((j = TAILQ_FIRST(&x->jobs)) != NULL) {
		TAILQ_REMOVE(&x->jobs, j, link);
		xen_job_free(j);
	}
	if (x->b.ev_timer != NULL)
		event_free(x->b.ev_timer);
	if (x->ev_pump != NULL)
		event_free(x->ev_pump);
	free(x->b.rbuf);
	if (x->xch != NULL)
		xc_interface_close(x->xch);
	free(x->console_dir);
	free(x);
}

/*
 * A domain's name is xenstore's (what libxl_domain_rename writes): the
 * domain's name and its vm path's, in one transaction.
 */
static int
xen_rename(struct hv *hv, uint32_t domid, const char *name)
{
	uint64_t t0 = xen_now_us();
	char vmkey[64], namekey[64], vmname[256], *vm = NULL;
	struct xs_handle *xsh;
	xs_transaction_t t;
	int rc = 0;

	if ((xsh = xs_open(0)) == NULL)
		return xen_timed(hv, t0, "rename", -errno);
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
	xs_close(xsh);
	/* The build's name stays remembered: xenconsoled's log has it. */
	return xen_timed(hv, t0, "rename", rc);
}

/* After start-up (daemon(3) forks): the builder is the daemon's child. */
static int
xen_start(struct hv *hv)
{
	struct hv_xen *x = (struct hv_xen *)hv;

	return x->b.pid < 0 && !x->b.lost ? xen_builder_start(x) : 0;
}

static const struct hv_ops xen_ops = {
	.name = "xen",
	.list = xen_list,
	.build = xen_build,
	.set_target = xen_set_target,
	.pause = xen_pause,
	.unpause = xen_unpause,
	.shutdown = xen_shutdown,
	.destroy = xen_destroy,
	.console_tail = xen_console_tail,
	.attach = xen_attach,
	.rename = xen_rename,
	.start = xen_start,
	.close = xen_close,
};
static int
xen_open_error(char **err, const char *what)
{
	if (asprintf(err, "%s: %s", what, strerror(errno)) == -1)
		*err = NULL;
	return -1;
}

static int
xen_open_loop(struct hv_xen *x)
{
	x->b.pid = -1;
	x->b.fd = -1;
	x->b.rbuf = malloc(BUILDER_MSG_MAX + 1);
	x->b.ev_timer = evtimer_new(x->hv.base, xen_builder_on_timer, x);
	x->ev_pump = evtimer_new(x->hv.base, xen_pump_now, x);
	if (x->b.rbuf == NULL || x->b.ev_timer == NULL || x->ev_pump == NULL)
		return -ENOMEM;
	return 0;
}

struct hv *
hv_xen_open(struct event_base *base, char **err)
{
	struct hv_xen *x = calloc(1, sizeof(*x));
	const char *dir = getenv(XEN_CONSOLE_ENV);

	*err = NULL;
	if (x == NULL) {
		*err = strdup("out of memory");
		return NULL;
	}
	x->hv.ops = &xen_ops;
	x->hv.base = base;
	TAILQ_INIT(&x->jobs);
	x->console_dir = strdup(dir != NULL && dir[0] == '/' ? dir :
	    XEN_CONSOLE_DIR);
	x->xch = xc_interface_open(NULL, NULL, 0);
	if (x->console_dir == NULL || xen_open_loop(x) < 0)
		xen_open_error(err, "out of memory");
	else if (x->xch == NULL)
		xen_open_error(err, "cannot open the Xen control interface "
		    "(is this a Xen dom0 with /proc/xen mounted?)");
	if (*err != NULL) {
		xen_close(&x->hv);
		return NULL;
	}
	return &x->hv;
}
