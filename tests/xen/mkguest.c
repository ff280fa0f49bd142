/*
 * mkguest: a test toolstack for the real-Xen test bed.  Creates a paused
 * HVM guest (full device emulation) or a PVH guest the way a toolstack
 * does, without a device model: domain, memory limit, paging pool, the
 * xenstore and console pages, grant table, store event channel, its
 * xenstore directory and vm path, then introduces it to xenstored so that
 * @introduceDomain fires.  Prints the new domid.  The guest need not run.
 * --destroy takes a guest away the way such a toolstack would (hypercall,
 * then its xenstore entries), without libxl.  --vcpu also creates the
 * guest's vCPU (XEN_DOMCTL_max_vcpus, as libxl does), never initialised so
 * it never runs: a real QEMU needs it (Xen gives each vCPU its ioreq event
 * channel, which QEMU binds).
 *
 * --run unpauses an existing domain with the bare hypercall (xl unpause
 * also asks the guest's device model to resume, over QMP, which the test
 * stub image does not serve).
 *
 *   mkguest [--pvh] [--unpause] [--vcpu] [--mem MIB] NAME
 *   mkguest --destroy DOMID
 *   mkguest --run DOMID
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <xenctrl.h>
#include <xenguest.h>
#include <xenstore.h>
#include <xen/hvm/params.h>

#define MKGUEST_CONSOLE_GFN	0xfeffcUL
#define MKGUEST_STORE_GFN	0xfeffdUL
#define MKGUEST_POOL_BYTES	(4UL << 20)
#define MKGUEST_PATH_MAX	128

struct mkguest {
	const char	*name;
	bool		 pvh;
	bool		 unpause;
	bool		 vcpu;
	bool		 destroy;
	bool		 run;
	unsigned long	 mem_mib;
	uint8_t		 uuid[16];
	char		 uuid_str[37];
	uint32_t	 domid;
	uint32_t	 store_port;
	xc_interface	*xch;
	struct xs_handle *xsh;
};

static int
mkguest_fail(const char *what)
{
	int e = errno ? errno : EIO;

	fprintf(stderr, "mkguest: %s: %s\n", what, strerror(e));
	return -e;
}

static void
mkguest_new_uuid(struct mkguest *m)
{
	const uint8_t *u = m->uuid;

	if (getrandom(m->uuid, sizeof(m->uuid), 0) != (ssize_t)sizeof(m->uuid))
		memset(m->uuid, 0x5a, sizeof(m->uuid));
	m->uuid[6] = (uint8_t)((m->uuid[6] & 0x0f) | 0x40);
	m->uuid[8] = (uint8_t)((m->uuid[8] & 0x3f) | 0x80);
	snprintf(m->uuid_str, sizeof(m->uuid_str), "%02x%02x%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
	    u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
	    u[13], u[14], u[15]);
}

static int
mkguest_create(struct mkguest *m)
{
	struct xen_domctl_createdomain c = {
		.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap,
		.max_vcpus = 1,
		.max_evtchn_port = -1,
		.max_grant_frames = -1,
		.max_maptrack_frames = -1,
		.grant_opts = XEN_DOMCTL_GRANT_version(1),
	};

	/* What libxl asks for: full emulation is refused with vPCI. */
	c.arch.emulation_flags = m->pvh ? XEN_X86_EMU_LAPIC :
	    (XEN_X86_EMU_ALL & ~XEN_X86_EMU_VPCI);
	memcpy(c.handle, m->uuid, sizeof(c.handle));
	m->domid = 0;	/* let Xen choose */
	if (xc_domain_create(m->xch, &m->domid, &c) < 0)
		return mkguest_fail("xc_domain_create");
	return 0;
}

/* Memory limit, paging pool, the two special pages, grant table, port. */
static int
mkguest_memory(struct mkguest *m)
{
	xen_pfn_t pfns[2] = { MKGUEST_CONSOLE_GFN, MKGUEST_STORE_GFN };
	int port;

	if (xc_domain_setmaxmem(m->xch, m->domid, m->mem_mib * 1024) < 0)
		return mkguest_fail("xc_domain_setmaxmem");
	if (xc_set_paging_mempool_size(m->xch, m->domid,
	    MKGUEST_POOL_BYTES) < 0)
		return mkguest_fail("xc_set_paging_mempool_size");
	if (xc_domain_populate_physmap_exact(m->xch, m->domid, 2, 0, 0,
	    pfns) < 0)
		return mkguest_fail("populating the special pages");
	if (xc_clear_domain_pages(m->xch, m->domid, MKGUEST_CONSOLE_GFN,
	    2) < 0)
		return mkguest_fail("clearing the special pages");
	if (xc_dom_gnttab_seed(m->xch, m->domid, true, MKGUEST_CONSOLE_GFN,
	    MKGUEST_STORE_GFN, 0, 0) < 0)
		return mkguest_fail("xc_dom_gnttab_seed");
	if ((port = xc_evtchn_alloc_unbound(m->xch, m->domid, 0)) < 0)
		return mkguest_fail("xc_evtchn_alloc_unbound");
	m->store_port = (uint32_t)port;
	if (xc_hvm_param_set(m->xch, m->domid, HVM_PARAM_STORE_PFN,
	    MKGUEST_STORE_GFN) < 0 ||
	    xc_hvm_param_set(m->xch, m->domid, HVM_PARAM_STORE_EVTCHN,
	    m->store_port) < 0)
		return mkguest_fail("setting the store parameters");
	return 0;
}

static bool
mkguest_write(struct mkguest *m, xs_transaction_t t, const char *dir,
    const char *key, const char *val)
{
	char path[MKGUEST_PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, key);

	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return false;
	}
	return xs_write(m->xsh, t, path, val, strlen(val));
}

/* dir/sub (or dir itself) owned by dom0, readable (writable) by the guest. */
static bool
mkguest_mkdir(struct mkguest *m, xs_transaction_t t, const char *dir,
    const char *sub, bool guest_writes)
{
	struct xs_permissions p[2] = {
		{ .id = 0, .perms = XS_PERM_NONE },
		{ .id = m->domid, .perms = guest_writes ? XS_PERM_READ |
		    XS_PERM_WRITE : XS_PERM_READ },
	};
	char path[MKGUEST_PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s%s%s", dir, sub ? "/" : "",
	    sub ? sub : "");

	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return false;
	}
	return xs_mkdir(m->xsh, t, path) && xs_set_permissions(m->xsh, t,
	    path, p, 2);
}

/* /local/domain/<id> and /vm/<uuid>, as a toolstack writes them. */
static bool
mkguest_store_tx(struct mkguest *m, xs_transaction_t t)
{
	char dom[MKGUEST_PATH_MAX], vm[MKGUEST_PATH_MAX], num[32];

	snprintf(dom, sizeof(dom), "/local/domain/%u", m->domid);
	snprintf(vm, sizeof(vm), "/vm/%s", m->uuid_str);
	if (!mkguest_mkdir(m, t, dom, NULL, false) ||
	    !mkguest_mkdir(m, t, vm, NULL, false) ||
	    !mkguest_mkdir(m, t, dom, "data", true) ||
	    !mkguest_mkdir(m, t, dom, "control", true))
		return false;
	snprintf(num, sizeof(num), "%u", m->domid);
	if (!mkguest_write(m, t, dom, "name", m->name) ||
	    !mkguest_write(m, t, dom, "domid", num) ||
	    !mkguest_write(m, t, dom, "vm", vm) ||
	    !mkguest_write(m, t, vm, "name", m->name) ||
	    !mkguest_write(m, t, vm, "uuid", m->uuid_str))
		return false;
	snprintf(num, sizeof(num), "%lu", m->mem_mib * 1024);
	return mkguest_write(m, t, dom, "memory/static-max", num) &&
	    mkguest_write(m, t, dom, "memory/target", num);
}

static int
mkguest_store(struct mkguest *m)
{
	xs_transaction_t t;
	bool ok;

	for (;;) {
		if ((t = xs_transaction_start(m->xsh)) == XBT_NULL)
			return mkguest_fail("xs_transaction_start");
		ok = mkguest_store_tx(m, t);
		if (xs_transaction_end(m->xsh, t, !ok))
			break;
		if (ok && errno == EAGAIN)
			continue;
		return mkguest_fail("writing the guest's xenstore entries");
	}
	if (!ok)
		return mkguest_fail("writing the guest's xenstore entries");
	if (!xs_introduce_domain(m->xsh, m->domid, MKGUEST_STORE_GFN,
	    m->store_port))
		return mkguest_fail("xs_introduce_domain");
	return 0;
}

/* The hypervisor and, with xs, xenstore; closed by mkguest_close. */
static int
mkguest_open(struct mkguest *m, bool xs)
{
	if ((m->xch = xc_interface_open(NULL, NULL, 0)) == NULL)
		return mkguest_fail("xc_interface_open");
	if (xs && (m->xsh = xs_open(0)) == NULL) {
		xc_interface_close(m->xch);
		return mkguest_fail("xs_open");
	}
	return 0;
}

static void
mkguest_close(struct mkguest *m)
{
	if (m->xsh != NULL)
		xs_close(m->xsh);
	xc_interface_close(m->xch);
}

static int
mkguest_run(struct mkguest *m)
{
	int rc;

	mkguest_new_uuid(m);
	if ((rc = mkguest_open(m, true)) < 0)
		return rc;
	if ((rc = mkguest_create(m)) < 0)
		goto out;
	if (m->vcpu && xc_domain_max_vcpus(m->xch, m->domid, 1) < 0)
		rc = mkguest_fail("xc_domain_max_vcpus");
	if (rc < 0 || (rc = mkguest_memory(m)) < 0 ||
	    (rc = mkguest_store(m)) < 0) {
		xc_domain_destroy(m->xch, m->domid);
		goto out;
	}
	if (m->unpause && xc_domain_unpause(m->xch, m->domid) < 0) {
		rc = mkguest_fail("xc_domain_unpause");
		goto out;
	}
	printf("%u\n", m->domid);
out:
	mkguest_close(m);
	return rc;
}

/* Destroy the domain, then remove its xenstore entries. */
static int
mkguest_destroy(struct mkguest *m)
{
	char dom[MKGUEST_PATH_MAX], path[MKGUEST_PATH_MAX], *vm;
	unsigned len;
	int rc;

	if ((rc = mkguest_open(m, true)) < 0)
		return rc;
	snprintf(dom, sizeof(dom), "/local/domain/%u", m->domid);
	snprintf(path, sizeof(path), "/local/domain/%u/vm", m->domid);
	vm = xs_read(m->xsh, XBT_NULL, path, &len);
	if (xc_domain_destroy(m->xch, m->domid) < 0)
		rc = mkguest_fail("xc_domain_destroy");
	xs_rm(m->xsh, XBT_NULL, dom);
	if (vm != NULL && strncmp(vm, "/vm/", 4) == 0)
		xs_rm(m->xsh, XBT_NULL, vm);
	free(vm);
	mkguest_close(m);
	return rc;
}

/* Unpause the domain, nothing else. */
static int
mkguest_unpause_only(struct mkguest *m)
{
	int rc;

	if ((rc = mkguest_open(m, false)) < 0)
		return rc;
	if (xc_domain_unpause(m->xch, m->domid) < 0)
		rc = mkguest_fail("xc_domain_unpause");
	mkguest_close(m);
	return rc;
}

static void
mkguest_usage(void)
{
	fprintf(stderr, "usage: mkguest [--pvh] [--unpause] [--vcpu] "
	    "[--mem MIB] NAME\n       mkguest --destroy DOMID\n"
	    "       mkguest --run DOMID\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pvh", no_argument, NULL, 'p' },
		{ "unpause", no_argument, NULL, 'u' },
		{ "vcpu", no_argument, NULL, 'v' },
		{ "mem", required_argument, NULL, 'm' },
		{ "destroy", no_argument, NULL, 'd' },
		{ "run", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct mkguest m = { .mem_mib = 64 };
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "puvm:dr", opts, NULL)) != -1) {
		switch (c) {
		case 'd': m.destroy = true; break;
		case 'r': m.run = true; break;
		case 'p': m.pvh = true; break;
		case 'u': m.unpause = true; break;
		case 'v': m.vcpu = true; break;
		case 'm':
			m.mem_mib = strtoul(optarg, &end, 10);
			if (*end != '\0' || m.mem_mib == 0 ||
			    m.mem_mib > (1UL << 20))
				mkguest_usage();
			break;
		default: mkguest_usage();
		}
	}
	if (optind != argc - 1 || strlen(argv[optind]) > 64)
		mkguest_usage();
	if (m.destroy || m.run) {
		m.domid = (uint32_t)strtoul(argv[optind], &end, 10);
		if (*end != '\0' || m.domid == 0 || m.domid >= 0x7ff0)
			mkguest_usage();
		if (m.run)
			return mkguest_unpause_only(&m) < 0 ? 1 : 0;
		return mkguest_destroy(&m) < 0 ? 1 : 0;
	}
	m.name = argv[optind];
	return mkguest_run(&m) < 0 ? 1 : 0;
}
