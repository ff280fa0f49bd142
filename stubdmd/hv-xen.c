/*
 * Real Xen backend.  libxenctrl lists the domains and carries out the
 * quick domain controls (pause, unpause, shutdown, set_target) in the
 * daemon.  Building a stub domain and destroying a domain are libxl calls
 * (what xl uses: consoles, xenstore introduction, devices) that wait on
 * xenstore and backends for seconds, so each runs in a short-lived helper
 * process: fork, one libxl call with its own context, one report line on
 * a pipe, exit.  The loop watches the pipe, reaps the helper and calls
 * back; a helper that hangs, crashes or is killed costs one build, never
 * the daemon (which is also why this is not libxl's asynchronous API on
 * the daemon's own loop).  Every call from the loop is timed and the
 * longest is hv.max_stall_us.  Console output is xenconsoled's per-guest
 * log (xenconsoled --log=guest), see xen_console_tail.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xenctrl.h>
#include <xenstore.h>

#include "stubdmd/hv.h"
#include "stubdmd/log.h"
#include "stubdmd/xlstub.h"

/* xc_domain_getinfolist batch: a few pages of results per hypercall. */
#define XEN_LIST_BATCH		256
#define XEN_REPORT_MAX		512	/* a helper's one report line */
#define XEN_BUILD_TIMEOUT_S	120
#define XEN_DESTROY_TIMEOUT_S	60
#define XEN_REAP_POLL_MS	20
#define XEN_REAP_POLLS		250	/* then SIGKILL */
#define XEN_NAME_MAX		128
#define XEN_NAMES		64	/* recently built stubs, for consoles */
#define XEN_CONSOLE_ENV		"STUBDMD_CONSOLE_LOG_DIR"
#define XEN_CONSOLE_DIR		"/var/log/xen/console"
#define XEN_CONSOLE_READ_MAX	16384
#define XEN_DOMID_MAX		0x7ff0	/* DOMID_FIRST_RESERVED */

enum xen_job_kind { XEN_JOB_BUILD, XEN_JOB_DESTROY };

struct hv_xen;

/* One helper process and what the loop knows about it. */
struct xen_job {
	struct hv_xen		*x;
	enum xen_job_kind	 kind;
	pid_t			 pid;
	int			 fd;
	struct event		*ev_read;
	struct event		*ev_timer;
	char			 report[XEN_REPORT_MAX];
	size_t			 len;
	bool			 eof;
	bool			 timed_out;
	unsigned		 polls;
	uint64_t		 started_us;
	uint32_t		 domid;		/* destroy: the domain */
	uint8_t			 uuid[16];	/* build: the stub's UUID */
	char			 name[XEN_NAME_MAX];
	hv_build_cb		*cb;
	void			*arg;
	LIST_ENTRY(xen_job)	 link;
};

struct xen_name {
	uint32_t	domid;
	char		name[XEN_NAME_MAX];
};

struct hv_xen {
	struct hv		 hv;
	xc_interface		*xch;
	char			*console_dir;
	LIST_HEAD(, xen_job)	 jobs;
	struct xen_name		 names[XEN_NAMES];
	unsigned		 next_name;
};

/* A libxl logger for the helper: warnings to stderr, the first error (the
 * cause; later ones report its consequences) kept for the report. */
struct xen_logger {
	xentoollog_logger	 vt;
	const char		*what;
	char			 first[256];
};

static int xen_destroy(struct hv *hv, uint32_t domid);

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

	LIST_FOREACH(j, &x->jobs, link)
		if (j->kind == XEN_JOB_DESTROY && j->domid == domid)
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

/* libxl_domain_create_new leaves the domain paused, as `xl create -p`. */
static void
xen_child_build(const struct hv_stub_spec *want, char *out, size_t size)
{
	struct hv_stub_spec copy = *want, *spec = &copy;
	libxl_domain_config saved;
	struct xen_logger lg;
	libxl_ctx *ctx = NULL;
	libxl_domain_config dc;
	uint32_t domid = INVALID_DOMID;
	int rc, e;

	xen_logger_init(&lg, spec->name);
	libxl_domain_config_init(&dc);
	libxl_domain_config_init(&saved);
	if (libxl_ctx_alloc(&ctx, LIBXL_VERSION, 0, &lg.vt) != 0) {
		snprintf(out, size, "error %d cannot open libxl: %s\n", EIO,
		    lg.first);
		goto out;
	}
	if (spec->from_libxl)
		xen_child_devices(ctx, spec->target, &dc);
	else if ((rc = xen_child_spec_devices(&spec->devices, &dc)) < 0) {
		snprintf(out, size, "error %d the guest's devices for libxl: "
		    "%s\n", -rc, strerror(-rc));
		goto out;
	}
	if (spec->from_libxl && spec->kernel[0] == '\0')
		xen_child_from_libxl(ctx, spec, &saved, &dc);
	if (spec->kernel[0] == '\0') {
		snprintf(out, size, "error %d no kernel: libxl's saved "
		    "configuration of domain %u names none\n", ENOENT,
		    spec->target);
		goto out;
	}
	if ((rc = xen_child_config(ctx, spec, &dc)) < 0) {
		snprintf(out, size, "error %d %s\n", -rc, strerror(-rc));
		goto out;
	}
	rc = libxl_domain_create_new(ctx, &dc, &domid, NULL, NULL);
	/* What else libxl gives its stub: a stub runs without, degraded. */
	if (rc == 0 && spec->from_libxl &&
	    (e = xlstub_serve(ctx, domid, spec->target)) < 0)
		fprintf(stderr, "%s: no consoles for the guest's serial ports: "
		    "%s; the stub runs without\n", spec->name, strerror(-e));
	if (rc == 0)
		snprintf(out, size, "domid %u\n", domid);
	else
		snprintf(out, size, "error %d libxl_domain_create_new: libxl "
		    "error %d%s%s\n", EIO, rc, lg.first[0] ? ": " : "",
		    lg.first);
out:
	libxl_domain_config_dispose(&dc);
	libxl_domain_config_dispose(&saved);
	libxl_ctx_free(ctx);
}

/* libxl also removes the domain's xenstore entries and backends. */
static void
xen_child_destroy(uint32_t domid, char *out, size_t size)
{
	struct xen_logger lg;
	libxl_ctx *ctx = NULL;
	char what[32];
	int rc;

	snprintf(what, sizeof(what), "destroy %u", domid);
	xen_logger_init(&lg, what);
	if (libxl_ctx_alloc(&ctx, LIBXL_VERSION, 0, &lg.vt) != 0) {
		snprintf(out, size, "error %d cannot open libxl: %s\n", EIO,
		    lg.first);
		return;
	}
	rc = libxl_domain_destroy(ctx, domid, NULL);
	if (rc == 0 || libxl_domain_info(ctx, NULL, domid) ==
	    ERROR_DOMAIN_NOTFOUND)
		snprintf(out, size, "ok\n");	/* or someone else did */
	else
		snprintf(out, size, "error %d libxl_domain_destroy: libxl "
		    "error %d%s%s\n", EIO, rc, lg.first[0] ? ": " : "",
		    lg.first);
	libxl_ctx_free(ctx);
}

/* The daemon's libevent signal handlers must not fire in the helper. */
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

static void __attribute__((noreturn))
xen_child(const struct xen_job *j, const struct hv_stub_spec *spec, int fd,
    pid_t parent)
{
	char line[XEN_REPORT_MAX];
	size_t off = 0, len;
	ssize_t n;

	xen_child_signals();
	/*
	 * A build dies with the daemon, so that a restarted daemon finds any
	 * half-built stub by its UUID; a destroy is left to finish.
	 */
	if (j->kind == XEN_JOB_BUILD &&
	    (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent))
		_exit(1);
	/* Nothing of the daemon's (sockets, xenstore): stdio and the pipe. */
	if (fd != 3 && dup2(fd, 3) == 3)
		fd = 3;
	close_range((unsigned)fd + 1, ~0U, 0);
	if (j->kind == XEN_JOB_BUILD)
		xen_child_build(spec, line, sizeof(line));
	else
		xen_child_destroy(j->domid, line, sizeof(line));
	len = strlen(line);
	while (off < len) {
		n = write(fd, line + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	_exit(0);
}

/* ---- the loop's side of a helper ---------------------------------- */

static void
xen_job_free(struct xen_job *j)
{
	if (j == NULL)
		return;
	if (j->ev_read != NULL)
		event_free(j->ev_read);
	if (j->ev_timer != NULL)
		event_free(j->ev_timer);
	if (j->fd >= 0)
		close(j->fd);
	free(j);
}

/* A report line: "domid N", "ok" or "error ERRNO text". */
static int
xen_job_parse(struct xen_job *j, uint32_t *domid, char *why, size_t size)
{
	unsigned long v;
	char *end, *nl;
	int e;

	j->report[j->len] = '\0';
	if ((nl = strchr(j->report, '\n')) != NULL)
		*nl = '\0';
	xen_printable(j->report, false);
	if (strncmp(j->report, "domid ", 6) == 0) {
		v = strtoul(j->report + 6, &end, 10);
		if (*end != '\0' || v == 0 || v >= XEN_DOMID_MAX)
			return -EPROTO;
		*domid = (uint32_t)v;
		return 0;
	}
	if (strcmp(j->report, "ok") == 0)
		return 0;
	if (strncmp(j->report, "error ", 6) != 0)
		return -EPROTO;
	e = (int)strtol(j->report + 6, &end, 10);
	snprintf(why, size, "%s", *end == ' ' ? end + 1 : end);
	return e > 0 && e < 4096 ? -e : -EIO;
}

/* Why a helper that did not report failed. */
static int
xen_job_lost(const struct xen_job *j, int status, char *why, size_t size)
{
	const char *what = j->kind == XEN_JOB_BUILD ? "build" : "destroy";

	if (j->timed_out) {
		snprintf(why, size, "%s helper timed out after %d s; killed",
		    what, j->kind == XEN_JOB_BUILD ? XEN_BUILD_TIMEOUT_S :
		    XEN_DESTROY_TIMEOUT_S);
		return -ETIMEDOUT;
	}
	if (status >= 0 && WIFSIGNALED(status))
		snprintf(why, size, "%s helper killed by signal %d without a "
		    "report", what, WTERMSIG(status));
	else
		snprintf(why, size, "%s helper exited (status %d) without a "
		    "report", what, status >= 0 ? WEXITSTATUS(status) : -1);
	return -EIO;
}

/* A helper that died mid-build may leave a paused domain: find it. */
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

static int
xen_job_result_build(struct xen_job *j, int status, uint32_t *domid,
    char *why, size_t size)
{
	int rc;

	if (j->len > 0)
		rc = xen_job_parse(j, domid, why, size);
	else
		rc = xen_job_lost(j, status, why, size);
	if (rc == 0 && *domid == 0)
		rc = -EPROTO;
	if (rc == -EPROTO)
		snprintf(why, size, "malformed build report");
	if (rc == 0) {
		xen_remember_name(j->x, *domid, j->name);
		log_info("xen: stub domain %u built in %llu ms", *domid,
		    (unsigned long long)(xen_now_us() - j->started_us) / 1000);
	} else if (j->len == 0 || rc == -EPROTO)
		xen_destroy_uuid(j->x, j->uuid);
	return rc;
}

static void
xen_job_result_destroy(struct xen_job *j, int status)
{
	uint32_t unused = 0;
	char why[XEN_REPORT_MAX] = "";
	int rc;

	if (j->len > 0)
		rc = xen_job_parse(j, &unused, why, sizeof(why));
	else
		rc = xen_job_lost(j, status, why, sizeof(why));
	if (rc < 0)
		log_warnx("xen: destroying domain %u: %s", j->domid, why);
	else
		log_debug("xen: domain %u destroyed", j->domid);
}

/* The daemon's callback runs last: its time is not the backend's stall. */
static void
xen_job_done(struct xen_job *j, int status)
{
	uint64_t t0 = xen_now_us();
	struct hv_xen *x = j->x;
	hv_build_cb *cb = j->kind == XEN_JOB_BUILD ? j->cb : NULL;
	void *arg = j->arg;
	char why[XEN_REPORT_MAX] = "";
	uint32_t domid = 0;
	int rc = 0;

	LIST_REMOVE(j, link);
	if (cb != NULL)
		rc = xen_job_result_build(j, status, &domid, why, sizeof(why));
	else
		xen_job_result_destroy(j, status);
	xen_job_free(j);
	xen_stall(x, t0, "helper result");
	if (cb != NULL)
		cb(arg, rc, rc == 0 ? domid : 0, rc == 0 ? NULL : why);
}

/* Collect the helper's exit; it may be a moment behind its pipe. */
static void
xen_job_reap(struct xen_job *j)
{
	struct timeval tv = { 0, XEN_REAP_POLL_MS * 1000 };
	int status = -1;
	pid_t r;

	r = waitpid(j->pid, &status, WNOHANG);
	if (r == j->pid || (r < 0 && errno == ECHILD)) {
		xen_job_done(j, r == j->pid ? status : -1);
		return;
	}
	if (++j->polls == XEN_REAP_POLLS)
		kill(j->pid, SIGKILL);
	evtimer_add(j->ev_timer, &tv);
}

static void
xen_job_eof(struct xen_job *j)
{
	event_free(j->ev_read);
	j->ev_read = NULL;
	close(j->fd);
	j->fd = -1;
	j->eof = true;
	xen_job_reap(j);
}

static void
xen_job_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct xen_job *j = arg;
	ssize_t n;

	n = read(fd, j->report + j->len, sizeof(j->report) - 1 - j->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		j->len += (size_t)n;
		if (j->len < sizeof(j->report) - 1)
			return;
	}
	xen_job_eof(j);
}

/* The helper's deadline, then the reaper's polls. */
static void
xen_job_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct xen_job *j = arg;

	if (j->eof) {
		xen_job_reap(j);
		return;
	}
	j->timed_out = true;
	kill(j->pid, SIGKILL);
	xen_job_eof(j);
}

static struct xen_job *
xen_job_new(struct hv_xen *x, enum xen_job_kind kind)
{
	struct xen_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->x = x;
	j->kind = kind;
	j->fd = -1;
	j->pid = -1;
	j->started_us = xen_now_us();
	return j;
}

static int
xen_job_start(struct xen_job *j, const struct hv_stub_spec *spec, int secs)
{
	struct timeval tv = { secs, 0 };
	int p[2] = { -1, -1 }, rc;
	pid_t parent = getpid();

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	j->ev_read = event_new(j->x->hv.base, p[0], EV_READ | EV_PERSIST,
	    xen_job_on_read, j);
	j->ev_timer = evtimer_new(j->x->hv.base, xen_job_on_timer, j);
	if (j->ev_read == NULL || j->ev_timer == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if ((j->pid = fork()) < 0) {
		rc = -errno;
		goto out;
	}
	if (j->pid == 0) {
		close(p[0]);
		xen_child(j, spec, p[1], parent);
	}
	close(p[1]);
	j->fd = p[0];
	fcntl(j->fd, F_SETFL, fcntl(j->fd, F_GETFL) | O_NONBLOCK);
	event_add(j->ev_read, NULL);
	evtimer_add(j->ev_timer, &tv);
	LIST_INSERT_HEAD(&j->x->jobs, j, link);
	return 0;
out:
	close(p[0]);
	close(p[1]);
	return rc;
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

static int
xen_build(struct hv *hv, const struct hv_stub_spec *spec, hv_build_cb *cb,
    void *arg)
{
	struct hv_xen *x = (struct hv_xen *)hv;
	uint64_t t0 = xen_now_us();
	struct xen_job *j = NULL;
	int rc;

	if ((rc = xen_spec_check(spec)) < 0)
		goto out;
	if ((j = xen_job_new(x, XEN_JOB_BUILD)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	j->cb = cb;
	j->arg = arg;
	memcpy(j->uuid, spec->uuid, sizeof(j->uuid));
	snprintf(j->name, sizeof(j->name), "%s", spec->name);
	if ((rc = xen_job_start(j, spec, XEN_BUILD_TIMEOUT_S)) < 0)
		xen_job_free(j);
out:
	xen_stall(x, t0, "build");
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
 * libxl_domain_destroy in a helper: it tears down backends and removes the
 * domain's xenstore entries (a stub's must not linger: the next stub of
 * the same guest reuses its name).  Works for domains libxl did not create.
 * Until the helper is done, the list reports the domain as dying.
 */
static int
xen_destroy(struct hv *hv, uint32_t domid)
{
	struct hv_xen *x = (struct hv_xen *)hv;
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
	/* It stops at once; the helper may take seconds. */
	xc_domain_pause(x->xch, domid);
	if ((j = xen_job_new(x, XEN_JOB_DESTROY)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	j->domid = domid;
	if ((rc = xen_job_start(j, NULL, XEN_DESTROY_TIMEOUT_S)) < 0)
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

/* A build helper is killed (its stub is found by UUID after a restart); a
 * destroy helper finishes on its own. */
static void
xen_close(struct hv *hv)
{
	struct hv_xen *x = (struct hv_xen *)hv;
	struct xen_job *j;

	if (x == NULL)
		return;
	while ((j = LIST_FIRST(&x->jobs)) != NULL) {
		LIST_REMOVE(j, link);
		if (j->kind == XEN_JOB_BUILD && j->pid > 0) {
			kill(j->pid, SIGKILL);
			waitpid(j->pid, NULL, 0);
		} else if (j->pid > 0) {
			/* A destroy finishes: its helper dies with the daemon. */
			waitpid(j->pid, NULL, 0);
		}
		xen_job_free(j);
	}
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
	.rename = xen_rename,
	.close = xen_close,
};

static int
xen_open_error(char **err, const char *what)
{
	if (asprintf(err, "%s: %s", what, strerror(errno)) == -1)
		*err = NULL;
	return -1;
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
	LIST_INIT(&x->jobs);
	x->console_dir = strdup(dir != NULL && dir[0] == '/' ? dir :
	    XEN_CONSOLE_DIR);
	x->xch = xc_interface_open(NULL, NULL, 0);
	if (x->console_dir == NULL)
		xen_open_error(err, "out of memory");
	else if (x->xch == NULL)
		xen_open_error(err, "cannot open the Xen control interface "
		    "(is this a Xen dom0 with /proc/xen mounted?)");
	if (*err != NULL || x->console_dir == NULL || x->xch == NULL) {
		xen_close(&x->hv);
		return NULL;
	}
	return &x->hv;
}
