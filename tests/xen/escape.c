/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * escape: what a compromised device model could try from inside its stub
 * domain (the test stub image runs it for stubtest=escape).  Against its own
 * target, dom0, another HVM guest, that guest's stub, Xen itself and
 * stubdmd's xenstore state it tries the hypercalls and xenstore requests a
 * hostile QEMU would, and prints one line per attempt:
 *
 *   ESCAPE: VICTIM DOMID EXPECTED RESULT VERDICT: OPERATION [PATH]
 *
 * EXPECTED is refused, allowed (a device model needs it; tests/xen/README.md
 * and docs/threat-model.md say why) or untried (Xen's policy gives it to a
 * device model but trying it would harm the guest); RESULT is ok or the
 * errno; VERDICT is pass or UNEXPECTED.  The last line is
 * "ESCAPE: done N attempts, U unexpected".
 *
 * The other domains are named by the test (cases/70-escape.sh) in
 * /local/domain/<self>/escape: "GUEST STUB VMPATH".
 *
 *   escape TARGET
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xenstore.h>
#include <xen/hvm/ioreq.h>

#define ESC_WAIT_S	900	/* for the test to name the other domains */
#define ESC_GFN_FAR	0xfeff0UL	/* a gfn no guest here has */

enum esc_expect { ESC_REFUSED, ESC_ALLOWED, ESC_UNTRIED };

struct esc {
	xc_interface		*xch;
	xenforeignmemory_handle	*fmem;
	xendevicemodel_handle	*dmod;
	xenevtchn_handle	*xce;
	xengnttab_handle	*xgt;
	struct xs_handle	*xsh;
	uint32_t		 self;
	ioservid_t		 ioserv;	/* the one made on the target */
	bool			 have_ioserv;
	unsigned		 n, unexpected;
};

/* One domain attacked, and the xenstore paths that are its. */
struct esc_victim {
	const char	*label;
	uint32_t	 domid;
	bool		 own;		/* the stub's own target */
	char		 vm[128];	/* its /vm/<uuid> (guests only) */
	char		 paths[4][160];	/* read, then written (n/a: "") */
};

/* ---- the hypercalls: each returns 0 if it worked, else -errno ---------- */

static int
esc_errno(void)
{
	return errno ? -errno : -EIO;
}

static int
esc_getinfo(struct esc *e, const struct esc_victim *v, int arg)
{
	xc_dominfo_t info;

	if (xc_domain_getinfo(e->xch, v->domid, 1, &info) != 1)
		return esc_errno();
	if (v->own)
		printf("ESCAPE-NOTE: the target has vCPUs 0 to %u, %u online\n",
		    info.max_vcpu_id, info.nr_online_vcpus);
	return info.domid == v->domid ? 0 : -ESRCH;
}

static int
esc_hvm_param(struct esc *e, const struct esc_victim *v, int arg)
{
	uint64_t val;

	return xc_hvm_param_get(e->xch, v->domid, HVM_PARAM_STORE_PFN, &val) ?
	    esc_errno() : 0;
}

/* A frame of the victim's: its xenstore ring's gfn if the stub may read
 * that of it, else frame 0x100 (some domain's RAM, or dom0's own page). */
static xen_pfn_t
esc_gfn(struct esc *e, const struct esc_victim *v)
{
	uint64_t gfn = 0x100;

	if (v->own)
		xc_hvm_param_get(e->xch, v->domid, HVM_PARAM_STORE_PFN, &gfn);
	return (xen_pfn_t)gfn;
}

/* Map one frame of domid's and let it go again. */
static int
esc_map_frame(struct esc *e, uint32_t domid, xen_pfn_t pfn, int prot)
{
	int err = 0;
	void *p;

	if ((p = xenforeignmemory_map(e->fmem, domid, prot, 1, &pfn,
	    &err)) == NULL)
		return esc_errno();
	xenforeignmemory_unmap(e->fmem, p, 1);
	return err ? -abs(err) : 0;
}

static int
esc_map(struct esc *e, const struct esc_victim *v, int arg)
{
	return esc_map_frame(e, v->domid, esc_gfn(e, v),
	    PROT_READ | PROT_WRITE);
}

/* Map an MMIO frame (the local APIC's) as the victim: DOMID_IO says "with
 * my own I/O rights", which a stub has none of. */
static int
esc_map_mmio(struct esc *e, const struct esc_victim *v, int arg)
{
	return esc_map_frame(e, v->domid, 0xfee00, PROT_READ);
}

static int
esc_pause(struct esc *e, const struct esc_victim *v, int arg)
{
	return xc_domain_pause(e->xch, v->domid) ? esc_errno() : 0;
}

static int
esc_unpause(struct esc *e, const struct esc_victim *v, int arg)
{
	return xc_domain_unpause(e->xch, v->domid) ? esc_errno() : 0;
}

static int
esc_destroy(struct esc *e, const struct esc_victim *v, int arg)
{
	return xc_domain_destroy(e->xch, v->domid) ? esc_errno() : 0;
}

/* Make the victim the stub's target (it has one already: its guest). */
static int
esc_set_target(struct esc *e, const struct esc_victim *v, int arg)
{
	return xc_domain_set_target(e->xch, e->self, v->domid) ?
	    esc_errno() : 0;
}

static int
esc_maxmem(struct esc *e, const struct esc_victim *v, int arg)
{
	return xc_domain_setmaxmem(e->xch, v->domid, 4U << 20) ?
	    esc_errno() : 0;
}

/* Pass the local APIC's frame through to the victim. */
static int
esc_memory_mapping(struct esc *e, const struct esc_victim *v, int arg)
{
	return xc_domain_memory_mapping(e->xch, v->domid, ESC_GFN_FAR, 0xfee00,
	    1, DPCI_ADD_MAPPING) ? esc_errno() : 0;
}

/* Pass COM1's real ports through to the victim. */
static int
esc_ioport_mapping(struct esc *e, const struct esc_victim *v, int arg)
{
	return xc_domain_ioport_mapping(e->xch, v->domid, 0x3f8, 0x3f8, 8,
	    DPCI_ADD_MAPPING) ? esc_errno() : 0;
}

static int
esc_irq_permission(struct esc *e, const struct esc_victim *v, int arg)
{
	return xc_domain_irq_permission(e->xch, v->domid, 4, true) ?
	    esc_errno() : 0;
}

/* Give the victim a page more (a device model's VRAM and ROMs). */
static int
esc_populate(struct esc *e, const struct esc_victim *v, int arg)
{
	xen_pfn_t gfn = ESC_GFN_FAR;

	return xc_domain_populate_physmap_exact(e->xch, v->domid, 1, 0, 0,
	    &gfn) ? esc_errno() : 0;
}

static int
esc_ioreq_create(struct esc *e, const struct esc_victim *v, int arg)
{
	ioservid_t id;

	if (xendevicemodel_create_ioreq_server(e->dmod, v->domid,
	    HVM_IOREQSRV_BUFIOREQ_ATOMIC, &id))
		return esc_errno();
	if (v->own) {
		e->ioserv = id;
		e->have_ioserv = true;
	} else
		xendevicemodel_destroy_ioreq_server(e->dmod, v->domid, id);
	return 0;
}

/* Another domain's server is guessed to have the number the target's got. */
static int
esc_ioreq_range(struct esc *e, const struct esc_victim *v, int arg)
{
	return xendevicemodel_map_io_range_to_ioreq_server(e->dmod, v->domid,
	    e->ioserv, 0, 0x5f0, 0x5f7) ? esc_errno() : 0;
}

static int
esc_ioreq_state(struct esc *e, const struct esc_victim *v, int arg)
{
	return xendevicemodel_set_ioreq_server_state(e->dmod, v->domid,
	    e->ioserv, 1) ? esc_errno() : 0;
}

/* The server's two pages (buffered and synchronous requests). */
static int
esc_ioreq_pages(struct esc *e, const struct esc_victim *v, int arg)
{
	xenforeignmemory_resource_handle *r;
	void *addr = NULL;

	r = xenforeignmemory_map_resource(e->fmem, v->domid,
	    XENMEM_resource_ioreq_server, e->ioserv, 0, 2, &addr,
	    PROT_READ | PROT_WRITE, 0);
	if (r == NULL)
		return esc_errno();
	xenforeignmemory_unmap_resource(e->fmem, r);
	return 0;
}

/* vCPU 0's port of the target's ioreq server, from the server's page. */
static int
esc_vcpu_port(struct esc *e, const struct esc_victim *v, evtchn_port_t *port)
{
	xenforeignmemory_resource_handle *r;
	void *addr = NULL;

	r = xenforeignmemory_map_resource(e->fmem, v->domid,
	    XENMEM_resource_ioreq_server, e->ioserv,
	    XENMEM_resource_ioreq_server_frame_ioreq(0), 1, &addr, PROT_READ,
	    0);
	if (r == NULL)
		return esc_errno();
	*port = ((const shared_iopage_t *)addr)->vcpu_ioreq[0].vp_eport;
	xenforeignmemory_unmap_resource(e->fmem, r);
	return 0;
}

static int
esc_bind(struct esc *e, uint32_t domid, evtchn_port_t port)
{
	xenevtchn_port_or_error_t l;

	if ((l = xenevtchn_bind_interdomain(e->xce, domid, port)) < 0)
		return esc_errno();
	xenevtchn_unbind(e->xce, (evtchn_port_t)l);
	return 0;
}

/* The ioreq server's ports, vCPU 0's and the buffered requests', bound as
 * QEMU binds them; another domain's ports 1 to 8 (its console's and
 * xenstore's among them). */
static int
esc_evtchn_bind(struct esc *e, const struct esc_victim *v, int arg)
{
	evtchn_port_t port = 0, buf = 0;
	int rc, rb;

	if (!v->own) {
		for (port = 1, rc = -EINVAL; port <= 8 && rc < 0; port++)
			rc = esc_bind(e, v->domid, port);
		return rc;
	}
	if ((rc = esc_vcpu_port(e, v, &port)) < 0)
		return rc;
	if (xendevicemodel_get_ioreq_server_info(e->dmod, v->domid, e->ioserv,
	    NULL, NULL, &buf) < 0)
		return esc_errno();
	rc = esc_bind(e, v->domid, port);
	rb = esc_bind(e, v->domid, buf);
	printf("ESCAPE-NOTE: ioreq ports: vCPU 0's %u: %s; buffered %u: %s\n",
	    port, strerror(-rc), buf, strerror(-rb));
	return rc < 0 ? rc : rb;
}

static int
esc_evtchn_alloc(struct esc *e, const struct esc_victim *v, int arg)
{
	return xc_evtchn_alloc_unbound(e->xch, v->domid, e->self) < 0 ?
	    esc_errno() : 0;
}

static int
esc_evtchn_status(struct esc *e, const struct esc_victim *v, int arg)
{
	xc_evtchn_status_t st = { .dom = (domid_t)v->domid, .port = 1 };

	return xc_evtchn_status(e->xch, &st) ? esc_errno() : 0;
}

static int
esc_evtchn_reset(struct esc *e, const struct esc_victim *v, int arg)
{
	return xc_evtchn_reset(e->xch, v->domid) ? esc_errno() : 0;
}

/* Grant references 0 to 7: the console's and xenstore's rings are 0, 1. */
static int
esc_grant_map(struct esc *e, const struct esc_victim *v, int arg)
{
	uint32_t ref;
	void *p;

	for (ref = 0; ref < 8; ref++)
		if ((p = xengnttab_map_grant_ref(e->xgt, v->domid, ref,
		    PROT_READ)) != NULL) {
			xengnttab_unmap(e->xgt, p, 1);
			return 0;
		}
	return esc_errno();
}

static int
esc_irq_level(struct esc *e, const struct esc_victim *v, int arg)
{
	return xendevicemodel_set_isa_irq_level(e->dmod, v->domid, 5, 0) ?
	    esc_errno() : 0;
}

static int
esc_pci_intx(struct esc *e, const struct esc_victim *v, int arg)
{
	return xendevicemodel_set_pci_intx_level(e->dmod, v->domid, 0, 0, 3,
	    0, 0) ? esc_errno() : 0;
}

/* Report a frame written (what QEMU does after a DMA into the guest). */
static int
esc_modified(struct esc *e, const struct esc_victim *v, int arg)
{
	return xendevicemodel_modified_memory(e->dmod, v->domid, esc_gfn(e, v),
	    1) ? esc_errno() : 0;
}

static int
esc_inject_msi(struct esc *e, const struct esc_victim *v, int arg)
{
	return xendevicemodel_inject_msi(e->dmod, v->domid, 0xfee00000, 0x30) ?
	    esc_errno() : 0;
}

static int
esc_shutdown(struct esc *e, const struct esc_victim *v, int arg)
{
	return xendevicemodel_shutdown(e->dmod, v->domid, SHUTDOWN_poweroff) ?
	    esc_errno() : 0;
}

/* ---- xenstore ------------------------------------------------------------ */

static int
esc_xs_read(struct esc *e, const char *path)
{
	unsigned len;
	void *val;

	if ((val = xs_read(e->xsh, XBT_NULL, path, &len)) == NULL)
		return esc_errno();
	free(val);
	return 0;
}

static int
esc_xs_write(struct esc *e, const char *path)
{
	return xs_write(e->xsh, XBT_NULL, path, "escaped", 7) ? 0 : esc_errno();
}

/* The victim's path in slot i: [0], [1] are read; [2], [3] written. */
static int
esc_xs_path(struct esc *e, const struct esc_victim *v, int i)
{
	return i < 2 ? esc_xs_read(e, v->paths[i]) :
	    esc_xs_write(e, v->paths[i]);
}

/* Open the victim's home to everyone. */
static int
esc_xs_perms(struct esc *e, const struct esc_victim *v, int arg)
{
	struct xs_permissions p = { .id = e->self, .perms = XS_PERM_WRITE };
	char path[32];

	snprintf(path, sizeof(path), "/local/domain/%u", v->domid);
	return xs_set_permissions(e->xsh, XBT_NULL, path, &p, 1) ?
	    0 : esc_errno();
}

/* A node that exists: xenstored acks the removal of a missing one whose
 * parent the caller may read. */
static int
esc_xs_rm(struct esc *e, const struct esc_victim *v, int arg)
{
	char path[48];

	snprintf(path, sizeof(path), "/local/domain/%u/vm", v->domid);
	return xs_rm(e->xsh, XBT_NULL, path) ? 0 : esc_errno();
}

/* xenstored's privileged requests: make the victim the stub's target,
 * forget the victim. */
static int
esc_xs_set_target(struct esc *e, const struct esc_victim *v, int arg)
{
	return xs_set_target(e->xsh, e->self, v->domid) ? 0 : esc_errno();
}

static int
esc_xs_release(struct esc *e, const struct esc_victim *v, int arg)
{
	return xs_release_domain(e->xsh, v->domid) ? 0 : esc_errno();
}

/* ---- Xen-wide requests (the victim's domid is not used) ---------------- */

static int
esc_physinfo(struct esc *e, const struct esc_victim *v, int arg)
{
	xc_physinfo_t info;

	return xc_physinfo(e->xch, &info) ? esc_errno() : 0;
}

static int
esc_readconsole(struct esc *e, const struct esc_victim *v, int arg)
{
	char buf[256];
	unsigned n = sizeof(buf);

	return xc_readconsolering(e->xch, buf, &n, 0, 0, NULL) ?
	    esc_errno() : 0;
}

static int
esc_domain_list(struct esc *e, const struct esc_victim *v, int arg)
{
	xc_domaininfo_t info[4];

	return xc_domain_getinfolist(e->xch, 0, 4, info) < 0 ? esc_errno() : 0;
}

/* ---- the table ---------------------------------------------------------- */

/* Against whom an operation is tried. */
enum esc_scope {
	ESC_DOMAINS,	/* every victim, by its domid */
	ESC_PATH,	/* every victim with a xenstore path in slot arg */
	ESC_XEN,	/* once, against "xen": a request about the host */
};

/*
 * What is tried, and what is expected against the stub's own target (all
 * else is to be refused).  Allowed: what QEMU in a stub does to its guest.
 * Untried: what Xen's dummy policy lets a device model do to its target
 * (XSM_TARGET or XSM_DM_PRIV) but would harm the guest under test.  The
 * order matters: the ioreq server is made, its pages mapped, then it is
 * enabled (which writes its ports in the pages), as QEMU does; the
 * destructive attempts come last.
 */
static const struct esc_op {
	const char	*name;
	int		(*fn)(struct esc *, const struct esc_victim *, int);
	enum esc_expect	 own;
	enum esc_scope	 scope;
	int		 arg;
} esc_ops[] = {
	{ "getdomaininfo", esc_getinfo, ESC_ALLOWED, ESC_DOMAINS, 0 },
	{ "hvm-get-param", esc_hvm_param, ESC_ALLOWED, ESC_DOMAINS, 0 },
	{ "foreign-map", esc_map, ESC_ALLOWED, ESC_DOMAINS, 0 },
	{ "map-mmio", esc_map_mmio, ESC_REFUSED, ESC_DOMAINS, 0 },
	{ "populate-physmap", esc_populate, ESC_ALLOWED, ESC_DOMAINS, 0 },
	{ "ioreq-create", esc_ioreq_create, ESC_ALLOWED, ESC_DOMAINS, 0 },
	{ "ioreq-io-range", esc_ioreq_range, ESC_ALLOWED, ESC_DOMAINS, 0 },
	{ "ioreq-pages", esc_ioreq_pages, ESC_ALLOWED, ESC_DOMAINS, 0 },
	{ "ioreq-enable", esc_ioreq_state, ESC_ALLOWED, ESC_DOMAINS, 0 },
	{ "evtchn-bind", esc_evtchn_bind, ESC_ALLOWED, ESC_DOMAINS, 0 },
	{ "set-isa-irq-level", esc_irq_level, ESC_ALLOWED, ESC_DOMAINS, 0 },
	{ "set-pci-intx-level", esc_pci_intx, ESC_ALLOWED, ESC_DOMAINS, 0 },
	{ "modified-memory", esc_modified, ESC_ALLOWED, ESC_DOMAINS, 0 },
	{ "inject-msi", esc_inject_msi, ESC_UNTRIED, ESC_DOMAINS, 0 },
	{ "evtchn-alloc", esc_evtchn_alloc, ESC_ALLOWED, ESC_DOMAINS, 0 },
	{ "evtchn-status", esc_evtchn_status, ESC_ALLOWED, ESC_DOMAINS, 0 },
	{ "grant-map", esc_grant_map, ESC_REFUSED, ESC_DOMAINS, 0 },
	{ "xs-read", esc_xs_path, ESC_ALLOWED, ESC_PATH, 0 },
	{ "xs-read", esc_xs_path, ESC_ALLOWED, ESC_PATH, 1 },
	{ "xs-write", esc_xs_path, ESC_REFUSED, ESC_PATH, 2 },
	{ "xs-write", esc_xs_path, ESC_REFUSED, ESC_PATH, 3 },
	{ "xs-set-perms", esc_xs_perms, ESC_REFUSED, ESC_DOMAINS, 0 },
	{ "xs-rm", esc_xs_rm, ESC_REFUSED, ESC_DOMAINS, 0 },
	{ "xs-set-target", esc_xs_set_target, ESC_REFUSED, ESC_DOMAINS, 0 },
	{ "xs-release-domain", esc_xs_release, ESC_REFUSED, ESC_DOMAINS, 0 },
	{ "physinfo", esc_physinfo, ESC_REFUSED, ESC_XEN, 0 },
	{ "read-xen-console", esc_readconsole, ESC_REFUSED, ESC_XEN, 0 },
	{ "list-domains", esc_domain_list, ESC_REFUSED, ESC_XEN, 0 },
	{ "set-target", esc_set_target, ESC_REFUSED, ESC_DOMAINS, 0 },
	{ "set-max-mem", esc_maxmem, ESC_REFUSED, ESC_DOMAINS, 0 },
	{ "memory-mapping", esc_memory_mapping, ESC_REFUSED, ESC_DOMAINS, 0 },
	{ "ioport-mapping", esc_ioport_mapping, ESC_REFUSED, ESC_DOMAINS, 0 },
	{ "irq-permission", esc_irq_permission, ESC_REFUSED, ESC_DOMAINS, 0 },
	{ "pause", esc_pause, ESC_REFUSED, ESC_DOMAINS, 0 },
	{ "unpause", esc_unpause, ESC_REFUSED, ESC_DOMAINS, 0 },
	{ "evtchn-reset", esc_evtchn_reset, ESC_UNTRIED, ESC_DOMAINS, 0 },
	{ "dm-shutdown", esc_shutdown, ESC_UNTRIED, ESC_DOMAINS, 0 },
	{ "destroy", esc_destroy, ESC_REFUSED, ESC_DOMAINS, 0 },
};

static const char *const esc_expect_names[] = {
	[ESC_REFUSED] = "refused",
	[ESC_ALLOWED] = "allowed",
	[ESC_UNTRIED] = "untried",
};

static bool
esc_applies(const struct esc_op *op, const struct esc_victim *v)
{
	switch (op->scope) {
	case ESC_PATH:
		return v->paths[op->arg][0] != '\0';
	case ESC_XEN:
		return v->domid == DOMID_XEN;
	default:
		return true;
	}
}

static void
esc_try(struct esc *e, const struct esc_op *op, const struct esc_victim *v)
{
	enum esc_expect want = v->own ? op->own : ESC_REFUSED;
	char got[32] = "-", what[200];
	bool bad = false;
	int rc;

	if (want != ESC_UNTRIED) {
		errno = 0;
		rc = op->fn(e, v, op->arg);
		if (rc == 0)
			snprintf(got, sizeof(got), "ok");
		else
			snprintf(got, sizeof(got), "%s(%d)",
			    strerrorname_np(-rc) ? strerrorname_np(-rc) : "?",
			    -rc);
		bad = (rc == 0) != (want == ESC_ALLOWED);
	}
	snprintf(what, sizeof(what), "%s%s%s", op->name,
	    op->scope == ESC_PATH ? " " : "",
	    op->scope == ESC_PATH ? v->paths[op->arg] : "");
	e->n++;
	e->unexpected += bad;
	printf("ESCAPE: %-11s %5u %-7s %-14s %s: %s\n", v->label, v->domid,
	    esc_expect_names[want], got, bad ? "UNEXPECTED" : "pass", what);
}

static void
esc_run(struct esc *e, const struct esc_victim *vs, size_t nv)
{
	size_t i, j;

	for (i = 0; i < sizeof(esc_ops) / sizeof(esc_ops[0]); i++)
		for (j = 0; j < nv; j++)
			if (esc_applies(&esc_ops[i], &vs[j]))
				esc_try(e, &esc_ops[i], &vs[j]);
}

/* ---- set-up -------------------------------------------------------------- */

static int
esc_open(struct esc *e)
{
	e->xch = xc_interface_open(NULL, NULL, 0);
	e->fmem = xenforeignmemory_open(NULL, 0);
	e->dmod = xendevicemodel_open(NULL, 0);
	e->xce = xenevtchn_open(NULL, 0);
	e->xgt = xengnttab_open(NULL, 0);
	e->xsh = xs_open(0);
	if (!e->xch || !e->fmem || !e->dmod || !e->xce || !e->xgt || !e->xsh)
		return -errno ? -errno : -EIO;
	return 0;
}

static char *
esc_xs_home(struct esc *e, unsigned domid, const char *key)
{
	char path[96];

	snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, key);
	return xs_read(e->xsh, XBT_NULL, path, NULL);
}

/* Wait for the test to name the other guest, its stub, its vm path. */
static int
esc_others(struct esc *e, unsigned *guest, unsigned *stub, char vm[96])
{
	char *s = NULL;
	int i;

	for (i = 0; i < ESC_WAIT_S * 2; i++) {
		if ((s = esc_xs_home(e, e->self, "escape")) != NULL)
			break;
		usleep(500000);
	}
	if (s == NULL)
		return -ETIMEDOUT;
	i = sscanf(s, "%u %u %95s", guest, stub, vm);
	free(s);
	return i == 3 ? 0 : -EINVAL;
}

static void
esc_victim(struct esc_victim *v, const char *label, uint32_t domid,
    const char *vm)
{
	memset(v, 0, sizeof(*v));
	v->label = label;
	v->domid = domid;
	snprintf(v->vm, sizeof(v->vm), "%s", vm ? vm : "");
}

/*
 * Who is attacked, and through which xenstore paths: a guest's vm path
 * and QEMU arguments (the own target's may be read, never written), a
 * stub's device-model state, stubdmd's records.
 */
static int
esc_victims(struct esc *e, uint32_t target, struct esc_victim *vs)
{
	unsigned og, os;
	char ovm[96], *tvm;
	int rc;

	if ((rc = esc_others(e, &og, &os, ovm)) < 0)
		return rc;
	tvm = esc_xs_home(e, target, "vm");
	esc_victim(&vs[0], "own-target", target, tvm);
	free(tvm);
	esc_victim(&vs[1], "dom0", 0, NULL);
	esc_victim(&vs[2], "other-guest", og, ovm);
	esc_victim(&vs[3], "other-stub", os, NULL);
	esc_victim(&vs[4], "xen", DOMID_XEN, NULL);
	esc_victim(&vs[5], "domid-io", DOMID_IO, NULL);
	vs[0].own = true;
	snprintf(vs[0].paths[0], 160, "/local/domain/%u/vm", target);
	snprintf(vs[0].paths[1], 160, "%s/image/dm-argv/001", vs[0].vm);
	snprintf(vs[0].paths[2], 160, "%s/image/dm-argv/001", vs[0].vm);
	snprintf(vs[0].paths[3], 160, "/tool/stubdmd/guests/%u", target);
	snprintf(vs[1].paths[0], 160, "/local/domain/0/name");
	snprintf(vs[1].paths[1], 160, "/tool/stubdmd/guests/%u", og);
	snprintf(vs[1].paths[2], 160, "/local/domain/0/escaped");
	snprintf(vs[1].paths[3], 160, "/tool/stubdmd/escaped");
	snprintf(vs[2].paths[0], 160, "/local/domain/%u/vm", og);
	snprintf(vs[2].paths[1], 160, "%s/image/dm-argv/001", ovm);
	snprintf(vs[2].paths[2], 160, "%s/image/dm-argv/001", ovm);
	snprintf(vs[2].paths[3], 160, "%s/escaped", ovm);
	snprintf(vs[3].paths[0], 160, "/local/domain/%u/device-model/%u/state",
	    os, og);
	snprintf(vs[3].paths[1], 160, "/local/domain/%u/target", os);
	snprintf(vs[3].paths[2], 160, "/local/domain/%u/device-model/%u/state",
	    os, og);
	snprintf(vs[3].paths[3], 160, "/local/domain/%u/target", os);
	return 0;
}

int
main(int argc, char **argv)
{
	struct esc e = { .n = 0 };
	struct esc_victim vs[6];
	char *self;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2) {
		fprintf(stderr, "usage: escape TARGET\n");
		return 2;
	}
	if ((rc = esc_open(&e)) < 0 ||
	    (self = xs_read(e.xsh, XBT_NULL, "domid", NULL)) == NULL) {
		printf("ESCAPE: cannot open the Xen interfaces: %s\n",
		    strerror(rc < 0 ? -rc : errno));
		return 1;
	}
	e.self = (uint32_t)strtoul(self, NULL, 10);
	free(self);
	if ((rc = esc_victims(&e, (uint32_t)strtoul(argv[1], NULL, 10),
	    vs)) < 0) {
		printf("ESCAPE: no other domains named: %s\n", strerror(-rc));
		return 1;
	}
	esc_run(&e, vs, sizeof(vs) / sizeof(vs[0]));
	if (e.have_ioserv)
		xendevicemodel_destroy_ioreq_server(e.dmod, vs[0].domid,
		    e.ioserv);
	printf("ESCAPE: done %u attempts, %u unexpected\n", e.n, e.unexpected);
	return e.unexpected ? 1 : 0;
}
