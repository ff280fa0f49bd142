/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The builder process: what calls libxl for the daemon.  Building a stub
 * domain, giving a spare its guest's devices and destroying a domain are
 * libxl calls (what xl uses: consoles, xenstore introduction, devices)
 * that wait on xenstore and backends for seconds, so they run here, in a
 * process the daemon forks (hv-xen-builder.c), holding one libxl context:
 * one request, one reply over its socketpair (builder.h).  It crashing or
 * being killed costs the request it had in hand, never the daemon.
 */
#include <errno.h>
#include <libxl.h>
#include <libxl_utils.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xenstore.h>

#include "stubdmd/builder.h"
#include "stubdmd/hv.h"
#include "stubdmd/xlbuild.h"
#include "stubdmd/xlstub.h"

/* A libxl logger for the builder: warnings to stderr, the first error (the
 * cause; later ones report its consequences) kept for the reply. */
struct xlbuild_logger {
	xentoollog_logger	 vt;
	const char		*what;
	char			 first[256];
};

/* The builder's libxl context, opened once and again after a failure. */
struct xlbuild_lib {
	libxl_ctx		*ctx;
	struct xlbuild_logger	 lg;
};

static void __attribute__((format(printf, 5, 0)))
xlbuild_log_vmessage(xentoollog_logger *l, xentoollog_level level, int errnoval,
    const char *context, const char *fmt, va_list ap)
{
	struct xlbuild_logger *lg = (struct xlbuild_logger *)l;
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
xlbuild_log_destroy(xentoollog_logger *l)
{
}

static void
xlbuild_logger_init(struct xlbuild_logger *lg, const char *what)
{
	memset(lg, 0, sizeof(*lg));
	lg->vt.vmessage = xlbuild_log_vmessage;
	lg->vt.destroy = xlbuild_log_destroy;
	lg->what = what;
}

/* The PV domain xl would build from kernel, ramdisk, cmdline, memory. */
static int
xlbuild_config(libxl_ctx *ctx, const struct hv_stub_spec *spec,
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
xlbuild_disk_format(uint32_t guest, const libxl_device_disk *d)
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
xlbuild_devices(libxl_ctx *ctx, uint32_t guest, libxl_domain_config *dc)
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
			dc->disks[i].format = xlbuild_disk_format(guest,
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
xlbuild_disk(const struct hv_disk *d, libxl_device_disk *x)
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
xlbuild_nic(const struct hv_nic *n, libxl_device_nic *x)
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
xlbuild_spec_devices(const struct hv_devices *v, libxl_domain_config *dc)
{
	unsigned i;
	int rc = 0;

	if (v->ndisks > 0 &&
	    (dc->disks = calloc(v->ndisks, sizeof(*dc->disks))) == NULL)
		return -ENOMEM;
	for (i = 0; i < v->ndisks && rc == 0; i++, dc->num_disks++)
		rc = xlbuild_disk(&v->disks[i], &dc->disks[i]);
	if (rc == 0 && v->nnics > 0 &&
	    (dc->nics = calloc(v->nnics, sizeof(*dc->nics))) == NULL)
		return -ENOMEM;
	for (i = 0; i < v->nnics && rc == 0; i++, dc->num_nics++)
		rc = xlbuild_nic(&v->nics[i], &dc->nics[i]);
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
xlbuild_from_libxl(libxl_ctx *ctx, struct hv_stub_spec *spec,
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
xlbuild_lib_ctx(struct xlbuild_lib *l, const char *what,
    struct builder_reply *r)
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
xlbuild_lib_failed(struct xlbuild_lib *l, const struct builder_reply *r)
{
	if (r->err < 0 && l->ctx != NULL) {
		libxl_ctx_free(l->ctx);
		l->ctx = NULL;
	}
}

static void
xlbuild_lib_error(struct xlbuild_lib *l, struct builder_reply *r,
    const char *call, int rc)
{
	r->err = -EIO;
	snprintf(r->why, sizeof(r->why), "%s: libxl error %d%s%s", call, rc,
	    l->lg.first[0] ? ": " : "", l->lg.first);
}

/* libxl runs a QEMU in dom0 for a stub with a qdisk disk: it serves consoles. */
static bool
xlbuild_has_dom0_qemu(const struct hv_stub_spec *spec)
{
	unsigned i;

	if (spec->spare)
		return true;	/* its channel (xlbuild_spare_channel) */
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
xlbuild_spare_channel(libxl_domain_config *dc)
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
xlbuild_build(struct xlbuild_lib *l, const struct hv_stub_spec *want,
    struct builder_reply *r)
{
	struct hv_stub_spec copy = *want, *spec = &copy;
	libxl_domain_config saved, dc;
	libxl_ctx *ctx;
	uint32_t domid = INVALID_DOMID;
	int rc, e;

	libxl_domain_config_init(&dc);
	libxl_domain_config_init(&saved);
	if ((ctx = xlbuild_lib_ctx(l, spec->name, r)) == NULL)
		goto out;
	if (spec->from_libxl)
		xlbuild_devices(ctx, spec->target, &dc);
	else if ((rc = xlbuild_spec_devices(&spec->devices, &dc)) < 0) {
		r->err = rc;
		snprintf(r->why, sizeof(r->why), "the guest's devices for "
		    "libxl: %s", strerror(-rc));
		goto out;
	}
	if (spec->from_libxl && spec->kernel[0] == '\0')
		xlbuild_from_libxl(ctx, spec, &saved, &dc);
	if (spec->kernel[0] == '\0') {
		r->err = -ENOENT;
		snprintf(r->why, sizeof(r->why), "no kernel: libxl's saved "
		    "configuration of domain %u names none", spec->target);
		goto out;
	}
	if ((rc = xlbuild_config(ctx, spec, &dc)) < 0 || (spec->spare &&
	    (rc = xlbuild_spare_channel(&dc)) < 0)) {
		r->err = rc;
		snprintf(r->why, sizeof(r->why), "%s", strerror(-rc));
		goto out;
	}
	rc = libxl_domain_create_new(ctx, &dc, &domid, NULL, NULL);
	/*
	 * What else libxl gives its stub: a stub runs without, degraded.  An
	 * own stub with a dom0 QEMU gets consoles 1 and 2 even without a
	 * serial port: the device state is saved and restored through them.
	 */
	if (rc == 0 && (spec->from_libxl || spec->serial[0] != '\0' ||
	    spec->restore[0] != '\0' || (!spec->spare &&
	    xlbuild_has_dom0_qemu(spec))) &&
	    (e = xlstub_serve(ctx, domid, spec->target, spec->from_libxl ?
	    NULL : spec->serial, spec->restore)) < 0)
		fprintf(stderr, "%s: no consoles for the guest's serial ports: "
		    "%s; the stub runs without\n", spec->name, strerror(-e));
	else if (rc == 0 && !spec->from_libxl && spec->serial[0] != '\0' &&
	    !xlbuild_has_dom0_qemu(spec))
		fprintf(stderr, "%s: serial %s: nothing in dom0 serves the "
		    "stub's consoles (libxl runs a QEMU there only for a "
		    "qdisk disk)\n", spec->name, spec->serial);
	if (rc == 0)
		r->domid = domid;
	else
		xlbuild_lib_error(l, r, "libxl_domain_create_new", rc);
out:
	libxl_domain_config_dispose(&dc);
	libxl_domain_config_dispose(&saved);
}

/* One disk, then one NIC, as `xl block-attach` and `network-attach`. */
static int
xlbuild_attach_devices(struct xlbuild_lib *l, uint32_t stub,
    const struct hv_devices *v, struct builder_reply *r)
{
	libxl_device_disk disk;
	libxl_device_nic nic;
	unsigned i;
	int rc = 0;

	for (i = 0; i < v->ndisks && rc == 0; i++) {
		if ((rc = xlbuild_disk(&v->disks[i], &disk)) == 0 &&
		    (rc = libxl_device_disk_add(l->ctx, stub, &disk, NULL)) != 0)
			xlbuild_lib_error(l, r, "libxl_device_disk_add", rc);
		libxl_device_disk_dispose(&disk);
	}
	for (i = 0; i < v->nnics && rc == 0; i++) {
		if ((rc = xlbuild_nic(&v->nics[i], &nic)) == 0 &&
		    (rc = libxl_device_nic_add(l->ctx, stub, &nic, NULL)) != 0)
			xlbuild_lib_error(l, r, "libxl_device_nic_add", rc);
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
xlbuild_attach(struct xlbuild_lib *l, uint32_t stub,
    const struct hv_stub_spec *spec, struct builder_reply *r)
{
	int rc;

	if (xlbuild_lib_ctx(l, spec->name, r) == NULL)
		return;
	if (spec->serial[0] != '\0' && (rc = xlstub_serve_spare(stub,
	    spec->target, spec->serial)) < 0) {
		r->err = rc;
		snprintf(r->why, sizeof(r->why), "the serial console: %s",
		    strerror(-rc));
		return;
	}
	if (xlbuild_attach_devices(l, stub, &spec->devices, r) == 0)
		r->domid = stub;
}

/*
 * A running stub loses the spec's disks (a CD's medium), as `xl
 * block-detach`: libxl waits for the stub's frontend to let go.
 */
static void
xlbuild_detach(struct xlbuild_lib *l, uint32_t stub,
    const struct hv_stub_spec *spec, struct builder_reply *r)
{
	libxl_device_disk disk;
	unsigned i;
	int rc = 0;

	if (xlbuild_lib_ctx(l, spec->name, r) == NULL)
		return;
	for (i = 0; i < spec->devices.ndisks && rc == 0; i++) {
		if ((rc = xlbuild_disk(&spec->devices.disks[i], &disk)) == 0 &&
		    (rc = libxl_device_disk_remove(l->ctx, stub, &disk,
		    NULL)) != 0)
			xlbuild_lib_error(l, r, "libxl_device_disk_remove", rc);
		libxl_device_disk_dispose(&disk);
	}
	if (rc < 0 && r->err == 0) {
		r->err = rc;
		snprintf(r->why, sizeof(r->why), "%s", strerror(-rc));
	}
	if (r->err == 0)
		r->domid = stub;
}

/* libxl also removes the domain's xenstore entries and backends. */
static void
xlbuild_destroy(struct xlbuild_lib *l, uint32_t domid, struct builder_reply *r)
{
	char what[32];
	libxl_ctx *ctx;
	int rc;

	snprintf(what, sizeof(what), "destroy %u", domid);
	if ((ctx = xlbuild_lib_ctx(l, what, r)) == NULL)
		return;
	rc = libxl_domain_destroy(ctx, domid, NULL);
	if (rc != 0 && libxl_domain_info(ctx, NULL, domid) !=
	    ERROR_DOMAIN_NOTFOUND)	/* else someone else did */
		xlbuild_lib_error(l, r, "libxl_domain_destroy", rc);
}

/* The daemon's libevent signal handlers must not fire in the builder. */
static void
xlbuild_signals(void)
{
	sigset_t all;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

static void
xlbuild_sched_other(void)
{
	struct sched_param p = { 0 };

	sched_setscheduler(0, SCHED_OTHER, &p);
}

/*
 * The daemon's loop wakes this process with each request it sends.  Woken
 * as an ordinary task it may preempt the loop at once on the loop's CPU,
 * and the loop's send then took up to 27 ms with 0.4 ms of it on its CPU
 * (check-xen, "builder request").  Linux never preempts on the wake-up of
 * a SCHED_BATCH task, whose share of the CPU stays the same.  What libxl
 * forks (the dom0 QEMU that serves a stub's consoles and disks, hotplug
 * scripts) is an ordinary task again.
 */
static void
xlbuild_sched(void)
{
	struct sched_param p = { 0 };

	if (sched_setscheduler(0, SCHED_BATCH, &p) == 0)
		pthread_atfork(NULL, NULL, xlbuild_sched_other);
}

/* One request, one reply; a request it cannot read ends the builder. */
static void
xlbuild_serve(struct xlbuild_lib *l, int fd, const char *buf, size_t len)
{
	struct builder_reply r = { 0 };
	struct builder_req req;
	char *out = NULL;
	size_t n;

	if (builder_req_decode(buf, len, &req) < 0)
		_exit(2);
	r.id = req.id;
	if (req.op != BUILDER_DESTROY)
		fprintf(stderr, "%s[%ld]: %s: %s\n", XLBUILD_COMM,
		    (long)getpid(), req.spec.name, req.op == BUILDER_BUILD ?
		    "building" : req.op == BUILDER_ATTACH ? "giving a running "
		    "stub devices" : "taking a disk from a running stub");
	if (req.op == BUILDER_BUILD)
		xlbuild_build(l, &req.spec, &r);
	else if (req.op == BUILDER_ATTACH)
		xlbuild_attach(l, req.domid, &req.spec, &r);
	else if (req.op == BUILDER_DETACH)
		xlbuild_detach(l, req.domid, &req.spec, &r);
	else
		xlbuild_destroy(l, req.domid, &r);
	xlbuild_lib_failed(l, &r);
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
void
xlbuild_main(int fd, pid_t parent)
{
	struct xlbuild_lib l = { 0 };
	char *buf;
	ssize_t n;

	xlbuild_signals();
	xlbuild_sched();
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	prctl(PR_SET_NAME, XLBUILD_COMM);
	if (fd != 3 && dup2(fd, 3) == 3)
		fd = 3;
	close_range((unsigned)fd + 1, ~0U, 0);
	xlbuild_logger_init(&l.lg, XLBUILD_COMM);
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
		xlbuild_serve(&l, fd, buf, (size_t)n);
	}
	if (l.ctx != NULL)
		libxl_ctx_free(l.ctx);
	_exit(0);
}
