/* SPDX-License-Identifier: GPL-2.0-only */
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
 * stub image does not serve); --pause pauses it the same way, as a
 * toolstack does before it saves a guest (cases/56-own-save.sh).
 *
 * --firmware builds a guest that runs, as libxl does for an HVM guest
 * (libxenguest's xc_dom_* with an HVM container): all its RAM, hvmloader
 * as its "kernel", SeaBIOS as hvmloader's firmware module, the special and
 * ioreq server pages, and "hvmloader/bios" = "seabios".  --disk FILE and
 * --nic MAC write the guest's PV device entries the way libxl does for an
 * HVM guest's disk with backendtype=qdisk (IDE hda) and its NIC (type
 * vif_ioemu, rtl8139): see tests/xen/README.md for the layout.  As libxl
 * does, the guest's maximum memory leaves room for the video RAM QEMU
 * adds (--video MIB, 16 with --firmware: QEMU's -vga std) and 1 MiB more.
 * --cdrom adds an empty CD-ROM drive hdc (qdisk, no medium), as xl's
 * "vdev=hdc,devtype=cdrom" with no target: stubdmctl cd-insert fills it.
 *
 *   mkguest [--pvh] [--unpause] [--vcpu] [--mem MIB]
 *           [--firmware] [--video MIB] [--disk FILE] [--nic MAC]
 *           [--cdrom] NAME
 *   mkguest --destroy DOMID
 *   mkguest --run DOMID
 *   mkguest --pause DOMID
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
#include <xen/hvm/e820.h>
#include <xen/hvm/params.h>

#define MKGUEST_CONSOLE_GFN	0xfeffcUL
#define MKGUEST_STORE_GFN	0xfeffdUL
#define MKGUEST_POOL_BYTES	(4UL << 20)
#define MKGUEST_PATH_MAX	128
/* --firmware: libxl's paths (xen-utils-4.17, Debian's seabios). */
#define MKGUEST_HVMLOADER	"/usr/lib/xen-4.17/boot/hvmloader"
#define MKGUEST_SEABIOS		"/usr/share/seabios/bios-256k.bin"
#define MKGUEST_BIOS_MAX	(4UL << 20)
#define MKGUEST_SLACK_KB	1024	/* libxl's LIBXL_MAXMEM_CONSTANT */
#define MKGUEST_VIDEO_MIB	16	/* libxl's default for stdvga */
#define MKGUEST_VGA_HOLE	0x20	/* pages, libxl's LIBXL_VGA_HOLE_SIZE */
#define MKGUEST_LOWMEM_START	0x100000ULL	/* libxl: below is the BIOS's */
#define MKGUEST_DISK_DEVID	"768"	/* hda: (3 << 8) | 0 */
#define MKGUEST_DISK_VDEV	"hda"
#define MKGUEST_CDROM_DEVID	"5632"	/* hdc: (22 << 8) | 0 */
#define MKGUEST_CDROM_VDEV	"hdc"
#define MKGUEST_NIC_DEVID	"0"
#define MKGUEST_BRIDGE		"xenbr0"
#define MKGUEST_VIF_SCRIPT	"/test/vif-test"

struct mkguest {
	const char	*name;
	bool		 pvh;
	bool		 unpause;
	bool		 vcpu;
	bool		 destroy;
	bool		 run;
	bool		 pause;	/* --pause: pause a running one */
	bool		 firmware;
	const char	*disk;		/* --disk FILE */
	const char	*nic;		/* --nic MAC */
	bool		 cdrom;		/* --cdrom */
	unsigned long	 mem_mib;
	long		 video_mib;	/* -1: the default */
	uint8_t		 uuid[16];
	char		 uuid_str[37];
	uint32_t	 domid;
	uint32_t	 store_port;
	xen_pfn_t	 store_gfn;
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

/*
 * Memory limit (with libxl's slack for the special and ioreq pages, and
 * room for QEMU's video RAM, when the guest gets its RAM), paging pool,
 * the store's event channel.
 */
static int
mkguest_limits(struct mkguest *m)
{
	uint64_t kb = m->mem_mib * 1024 + (uint64_t)m->video_mib * 1024 +
	    (m->firmware ? MKGUEST_SLACK_KB : 0);
	int port;

	if (xc_domain_setmaxmem(m->xch, m->domid, kb) < 0)
		return mkguest_fail("xc_domain_setmaxmem");
	if (xc_set_paging_mempool_size(m->xch, m->domid,
	    MKGUEST_POOL_BYTES) < 0)
		return mkguest_fail("xc_set_paging_mempool_size");
	if ((port = xc_evtchn_alloc_unbound(m->xch, m->domid, 0)) < 0)
		return mkguest_fail("xc_evtchn_alloc_unbound");
	m->store_port = (uint32_t)port;
	return 0;
}

/* Without firmware: only the two special pages, grant table, params. */
static int
mkguest_memory(struct mkguest *m)
{
	xen_pfn_t pfns[2] = { MKGUEST_CONSOLE_GFN, MKGUEST_STORE_GFN };

	if (xc_domain_populate_physmap_exact(m->xch, m->domid, 2, 0, 0,
	    pfns) < 0)
		return mkguest_fail("populating the special pages");
	if (xc_clear_domain_pages(m->xch, m->domid, MKGUEST_CONSOLE_GFN,
	    2) < 0)
		return mkguest_fail("clearing the special pages");
	if (xc_dom_gnttab_seed(m->xch, m->domid, true, MKGUEST_CONSOLE_GFN,
	    MKGUEST_STORE_GFN, 0, 0) < 0)
		return mkguest_fail("xc_dom_gnttab_seed");
	m->store_gfn = MKGUEST_STORE_GFN;
	if (xc_hvm_param_set(m->xch, m->domid, HVM_PARAM_STORE_PFN,
	    MKGUEST_STORE_GFN) < 0 ||
	    xc_hvm_param_set(m->xch, m->domid, HVM_PARAM_STORE_EVTCHN,
	    m->store_port) < 0)
		return mkguest_fail("setting the store parameters");
	return 0;
}

/* FILE into a new buffer of at most max bytes. */
static int
mkguest_slurp(const char *file, size_t max, uint8_t **data, size_t *len)
{
	FILE *f;
	int rc = 0;

	*data = NULL;
	if ((f = fopen(file, "rb")) == NULL)
		return mkguest_fail(file);
	if ((*data = malloc(max)) == NULL)
		rc = mkguest_fail("malloc");
	else if ((*len = fread(*data, 1, max, f)) == 0 || *len == max ||
	    ferror(f)) {
		errno = ferror(f) ? EIO : EFBIG;
		rc = mkguest_fail(file);
	}
	fclose(f);
	if (rc < 0) {
		free(*data);
		*data = NULL;
	}
	return rc;
}

/* The HVM guest's layout as libxl sets it: RAM below the MMIO hole. */
static void
mkguest_dom_layout(struct mkguest *m, struct xc_dom_image *dom)
{
	uint64_t mem = (uint64_t)m->mem_mib << 20;

	dom->container_type = XC_DOM_HVM_CONTAINER;
	dom->target_pages = mem >> XC_PAGE_SHIFT;
	dom->mmio_size = HVM_BELOW_4G_MMIO_LENGTH;
	dom->mmio_start = (1ULL << 32) - dom->mmio_size;
	dom->lowmem_end = mem;
	dom->highmem_end = 0;
	dom->vga_hole_size = MKGUEST_VGA_HOLE;
	dom->device_model = true;
	dom->max_vcpus = 1;
	dom->xenstore_evtchn = m->store_port;
	dom->xenstore_domid = 0;
	dom->console_domid = 0;
}

/*
 * The memory map hvmloader starts from (XENMEM_memory_map), as libxl's
 * libxl__arch_domain_construct_memmap gives an HVM guest with a device
 * model and no high memory: RAM from 1 MiB to the end of low memory.
 */
static int
mkguest_memmap(struct mkguest *m, const struct xc_dom_image *dom)
{
	struct e820entry ram = {
		.addr = MKGUEST_LOWMEM_START,
		.size = dom->lowmem_end - MKGUEST_LOWMEM_START,
		.type = E820_RAM,
	};

	if (xc_domain_set_memory_map(m->xch, m->domid, &ram, 1) != 0)
		return mkguest_fail("xc_domain_set_memory_map");
	return 0;
}

/* libxl__build_dom's order: load, lay out, populate, boot, grant table. */
static int
mkguest_dom_build(struct mkguest *m, struct xc_dom_image *dom)
{
	int rc;

	if (xc_dom_kernel_file(dom, MKGUEST_HVMLOADER) != 0)
		return mkguest_fail("loading " MKGUEST_HVMLOADER);
	if (xc_dom_boot_xen_init(dom, m->xch, m->domid) != 0)
		return mkguest_fail("xc_dom_boot_xen_init");
	if (xc_dom_parse_image(dom) != 0)
		return mkguest_fail("xc_dom_parse_image");
	if ((rc = mkguest_memmap(m, dom)) < 0)
		return rc;
	if (xc_dom_mem_init(dom, (unsigned int)m->mem_mib) != 0)
		return mkguest_fail("xc_dom_mem_init");
	if (xc_dom_boot_mem_init(dom) != 0)
		return mkguest_fail("xc_dom_boot_mem_init");
	if (xc_dom_build_image(dom) != 0)
		return mkguest_fail("xc_dom_build_image");
	if (xc_dom_boot_image(dom) != 0)
		return mkguest_fail("xc_dom_boot_image");
	if (xc_dom_gnttab_init(dom) != 0)
		return mkguest_fail("xc_dom_gnttab_init");
	m->store_gfn = dom->xenstore_pfn;
	return 0;
}

/* What libxl sets by default for an HVM guest besides the build. */
static int
mkguest_hvm_params(struct mkguest *m)
{
	static const struct {
		int		 param;
		uint64_t	 value;
	} params[] = {
		{ HVM_PARAM_TIMER_MODE, HVMPTM_no_delay_for_missed_ticks },
		{ HVM_PARAM_HPET_ENABLED, 1 },
		{ HVM_PARAM_VPT_ALIGN, 1 },
	};
	size_t i;

	if (xc_cpuid_apply_policy(m->xch, m->domid, false, NULL, 0, true,
	    false, false, NULL, NULL) < 0)
		return mkguest_fail("xc_cpuid_apply_policy");
	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++)
		if (xc_hvm_param_set(m->xch, m->domid, params[i].param,
		    params[i].value) < 0)
			return mkguest_fail("setting an HVM parameter");
	if (xc_hvm_param_set(m->xch, m->domid, HVM_PARAM_STORE_EVTCHN,
	    m->store_port) < 0)
		return mkguest_fail("setting the store event channel");
	return 0;
}

/* --firmware: hvmloader and SeaBIOS in a guest with all its RAM. */
static int
mkguest_firmware(struct mkguest *m)
{
	struct xc_dom_image *dom = NULL;
	uint8_t *bios = NULL;
	size_t len = 0;
	int rc;

	if ((rc = mkguest_hvm_params(m)) < 0 ||
	    (rc = mkguest_slurp(MKGUEST_SEABIOS, MKGUEST_BIOS_MAX, &bios,
	    &len)) < 0)
		goto out;
	if ((dom = xc_dom_allocate(m->xch, NULL, NULL)) == NULL) {
		rc = mkguest_fail("xc_dom_allocate");
		goto out;
	}
	mkguest_dom_layout(m, dom);
	dom->system_firmware_module.data = bios;
	dom->system_firmware_module.length = (uint32_t)len;
	rc = mkguest_dom_build(m, dom);
out:
	if (dom != NULL)
		xc_dom_release(dom);
	free(bios);
	return rc;
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

/* path owned by owner, readable by reader (a device's two halves). */
static bool
mkguest_dir(struct mkguest *m, xs_transaction_t t, const char *path,
    uint32_t owner, uint32_t reader)
{
	struct xs_permissions p[2] = {
		{ .id = owner, .perms = XS_PERM_NONE },
		{ .id = reader, .perms = XS_PERM_READ },
	};

	return xs_mkdir(m->xsh, t, path) && xs_set_permissions(m->xsh, t,
	    path, p, 2);
}

/* One key of a device's frontend or backend directory. */
struct mkguest_kv {
	const char	*key;
	const char	*val;
};

static bool
mkguest_writev(struct mkguest *m, xs_transaction_t t, const char *dir,
    const struct mkguest_kv *kv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!mkguest_write(m, t, dir, kv[i].key, kv[i].val))
			return false;
	return true;
}

/*
 * A PV device as libxl writes it (libxl__device_generic_add): the
 * frontend /local/domain/<guest>/device/<fkind>/<devid>, the guest's,
 * dom0 reading; the backend /local/domain/0/backend/<bkind>/<guest>/
 * <devid>, dom0's, the guest reading; each names the other.
 */
static bool
mkguest_device(struct mkguest *m, xs_transaction_t t, const char *fkind,
    const char *bkind, const char *devid, const struct mkguest_kv *front,
    size_t nfront, const struct mkguest_kv *back, size_t nback)
{
	char fe[MKGUEST_PATH_MAX], be[MKGUEST_PATH_MAX], id[16];

	snprintf(fe, sizeof(fe), "/local/domain/%u/device/%s/%s", m->domid,
	    fkind, devid);
	snprintf(be, sizeof(be), "/local/domain/0/backend/%s/%u/%s", bkind,
	    m->domid, devid);
	snprintf(id, sizeof(id), "%u", m->domid);
	return mkguest_dir(m, t, fe, m->domid, 0) &&
	    mkguest_dir(m, t, be, 0, m->domid) &&
	    mkguest_write(m, t, fe, "backend", be) &&
	    mkguest_write(m, t, fe, "backend-id", "0") &&
	    mkguest_write(m, t, fe, "state", "1") &&
	    mkguest_write(m, t, be, "frontend", fe) &&
	    mkguest_write(m, t, be, "frontend-id", id) &&
	    mkguest_write(m, t, be, "online", "1") &&
	    mkguest_write(m, t, be, "state", "1") &&
	    mkguest_writev(m, t, fe, front, nfront) &&
	    mkguest_writev(m, t, be, back, nback);
}

/* --disk FILE: an IDE disk, qdisk backend, raw (libxl's "aio:" form). */
static bool
mkguest_disk(struct mkguest *m, xs_transaction_t t)
{
	char params[MKGUEST_PATH_MAX];
	const struct mkguest_kv front[] = {
		{ "virtual-device", MKGUEST_DISK_DEVID },
		{ "device-type", "disk" },
		{ "trusted", "1" },
	};
	const struct mkguest_kv back[] = {
		{ "removable", "0" },
		{ "bootable", "1" },
		{ "dev", MKGUEST_DISK_VDEV },
		{ "type", "qdisk" },
		{ "mode", "w" },
		{ "device-type", "disk" },
		{ "params", params },
	};
	int n = snprintf(params, sizeof(params), "aio:%s", m->disk);

	if (n < 0 || (size_t)n >= sizeof(params)) {
		errno = ENAMETOOLONG;
		return false;
	}
	return mkguest_device(m, t, "vbd", "qdisk", MKGUEST_DISK_DEVID, front,
	    sizeof(front) / sizeof(front[0]), back,
	    sizeof(back) / sizeof(back[0]));
}

/* --cdrom: an empty CD-ROM drive, read-only, no medium (params ""). */
static bool
mkguest_cdrom(struct mkguest *m, xs_transaction_t t)
{
	const struct mkguest_kv front[] = {
		{ "virtual-device", MKGUEST_CDROM_DEVID },
		{ "device-type", "cdrom" },
		{ "trusted", "1" },
	};
	const struct mkguest_kv back[] = {
		{ "removable", "1" },
		{ "bootable", "0" },
		{ "dev", MKGUEST_CDROM_VDEV },
		{ "type", "qdisk" },
		{ "mode", "r" },
		{ "device-type", "cdrom" },
		{ "params", "" },
	};

	return mkguest_device(m, t, "vbd", "qdisk", MKGUEST_CDROM_DEVID, front,
	    sizeof(front) / sizeof(front[0]), back,
	    sizeof(back) / sizeof(back[0]));
}

/* --nic MAC: an emulated NIC with its PV twin, in the test's bridge. */
static bool
mkguest_nic(struct mkguest *m, xs_transaction_t t)
{
	const struct mkguest_kv front[] = {
		{ "handle", MKGUEST_NIC_DEVID },
		{ "mac", m->nic },
	};
	const struct mkguest_kv back[] = {
		{ "script", MKGUEST_VIF_SCRIPT },
		{ "mac", m->nic },
		{ "bridge", MKGUEST_BRIDGE },
		{ "handle", MKGUEST_NIC_DEVID },
		{ "type", "vif_ioemu" },
	};

	return mkguest_device(m, t, "vif", "vif", MKGUEST_NIC_DEVID, front,
	    sizeof(front) / sizeof(front[0]), back,
	    sizeof(back) / sizeof(back[0]));
}

/* What hvmloader reads, and the devices asked for. */
static bool
mkguest_store_extra(struct mkguest *m, xs_transaction_t t, const char *dom)
{
	char num[32];

	if (m->firmware) {
		snprintf(num, sizeof(num), "%u", m->store_port);
		if (!mkguest_write(m, t, dom, "hvmloader/bios", "seabios") ||
		    !mkguest_write(m, t, dom,
		    "hvmloader/allow-memory-relocate", "0") ||
		    !mkguest_write(m, t, dom, "store/port", num))
			return false;
		snprintf(num, sizeof(num), "%lu", (unsigned long)m->store_gfn);
		if (!mkguest_write(m, t, dom, "store/ring-ref", num))
			return false;
	}
	if ((m->disk != NULL || m->nic != NULL || m->cdrom) &&
	    !mkguest_mkdir(m, t, dom, "device", false))
		return false;
	return (m->disk == NULL || mkguest_disk(m, t)) &&
	    (!m->cdrom || mkguest_cdrom(m, t)) &&
	    (m->nic == NULL || mkguest_nic(m, t));
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
	    mkguest_write(m, t, dom, "memory/target", num) &&
	    mkguest_store_extra(m, t, dom);
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
	if (!xs_introduce_domain(m->xsh, m->domid, m->store_gfn,
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
	if (rc < 0 || (rc = mkguest_limits(m)) < 0 ||
	    (rc = m->firmware ? mkguest_firmware(m) : mkguest_memory(m)) < 0 ||
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

/* The backend halves of the guest's devices (--disk, --nic). */
static void
mkguest_rm_backends(struct mkguest *m)
{
	static const char *const kinds[] = { "qdisk", "vif" };
	char path[MKGUEST_PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(path, sizeof(path), "/local/domain/0/backend/%s/%u",
		    kinds[i], m->domid);
		xs_rm(m->xsh, XBT_NULL, path);
	}
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
	mkguest_rm_backends(m);
	if (vm != NULL && strncmp(vm, "/vm/", 4) == 0)
		xs_rm(m->xsh, XBT_NULL, vm);
	free(vm);
	mkguest_close(m);
	return rc;
}

/* Unpause (or with --pause pause) the domain, nothing else. */
static int
mkguest_unpause_only(struct mkguest *m)
{
	int rc;

	if ((rc = mkguest_open(m, false)) < 0)
		return rc;
	if (m->pause && xc_domain_pause(m->xch, m->domid) < 0)
		rc = mkguest_fail("xc_domain_pause");
	else if (!m->pause && xc_domain_unpause(m->xch, m->domid) < 0)
		rc = mkguest_fail("xc_domain_unpause");
	mkguest_close(m);
	return rc;
}

static void
mkguest_usage(void)
{
	fprintf(stderr, "usage: mkguest [--pvh] [--unpause] [--vcpu] "
	    "[--mem MIB]\n               [--firmware] [--video MIB] "
	    "[--disk FILE] [--nic MAC]\n               [--cdrom] NAME\n"
	    "       mkguest --destroy DOMID\n"
	    "       mkguest --run DOMID\n"
	    "       mkguest --pause DOMID\n");
	exit(2);
}

/* xx:xx:xx:xx:xx:xx */
static bool
mkguest_mac_ok(const char *v)
{
	size_t i;

	if (strlen(v) != 17)
		return false;
	for (i = 0; i < 17; i++)
		if (i % 3 == 2 ? v[i] != ':' :
		    strchr("0123456789abcdef", v[i]) == NULL)
			return false;
	return true;
}

/* An absolute path QEMU's -drive and xenstore take as it is. */
static bool
mkguest_path_ok(const char *v)
{
	return v[0] == '/' && strlen(v) < 96 && strpbrk(v, ", :\n") == NULL;
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
		{ "pause", no_argument, NULL, 'P' },
		{ "firmware", no_argument, NULL, 'f' },
		{ "disk", required_argument, NULL, 'D' },
		{ "nic", required_argument, NULL, 'n' },
		{ "video", required_argument, NULL, 'V' },
		{ "cdrom", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct mkguest m = { .mem_mib = 64, .video_mib = -1 };
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "puvm:drPfD:n:V:c", opts, NULL)) !=
	    -1) {
		switch (c) {
		case 'c': m.cdrom = true; break;
		case 'd': m.destroy = true; break;
		case 'f': m.firmware = m.vcpu = true; break;
		case 'D':
			if (!mkguest_path_ok(optarg))
				mkguest_usage();
			m.disk = optarg;
			break;
		case 'n':
			if (!mkguest_mac_ok(optarg))
				mkguest_usage();
			m.nic = optarg;
			break;
		case 'r': m.run = true; break;
		case 'P': m.pause = true; break;
		case 'V':
			m.video_mib = strtol(optarg, &end, 10);
			if (*end != '\0' || m.video_mib < 0 ||
			    m.video_mib > 1024)
				mkguest_usage();
			break;
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
	if (optind != argc - 1 || strlen(argv[optind]) > 64 ||
	    (m.firmware && m.pvh))
		mkguest_usage();
	if (m.destroy || m.run || m.pause) {
		m.domid = (uint32_t)strtoul(argv[optind], &end, 10);
		if (*end != '\0' || m.domid == 0 || m.domid >= 0x7ff0)
			mkguest_usage();
		if (m.run || m.pause)
			return mkguest_unpause_only(&m) < 0 ? 1 : 0;
		return mkguest_destroy(&m) < 0 ? 1 : 0;
	}
	if (m.video_mib < 0)
		m.video_mib = m.firmware ? MKGUEST_VIDEO_MIB : 0;
	m.name = argv[optind];
	return mkguest_run(&m) < 0 ? 1 : 0;
}
