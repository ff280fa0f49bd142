/* SPDX-License-Identifier: GPL-2.0-only */
/* An own-mode guest's disks and NICs from xenstore (see devices.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stubdmd/devices.h"
#include "stubdmd/xstore.h"

#define DEVICES_PATH_MAX	256
#define DEVICES_DEVID_MAX	0x1fffffffUL	/* xvd's extended: 1 << 28 | disk << 8 */
#define DEVICES_DOMID_MAX	0x7fefUL	/* below DOMID_FIRST_RESERVED */
#define DEVICES_IDE_DISKS	4		/* hda..hdd */
#define DEVICES_IDE_CDROMS	5		/* libxl: "disk > 4" refused */
#define DEVICES_DEFAULT_MODEL	"rtl8139"	/* libxl_nic.c's default */
#define DEVICES_DEFAULT_BRIDGE	"xenbr0"	/* libxl's default */

/* What a value read from xenstore may hold. */
enum devices_class {
	DEVICES_WORD,		/* [A-Za-z0-9_.-]: a type, a name */
	DEVICES_PATH,		/* an absolute path without ".." */
	DEVICES_MAC,		/* xx:xx:xx:xx:xx:xx */
	DEVICES_PARAMS,		/* a disk's params: "", PATH, FORMAT:PATH */
};

/* One device being read: where, and where to say what went wrong. */
struct devices_ctx {
	struct xstore	*xs;
	uint32_t	 guest;
	const char	*kind;		/* "vbd", "vif" */
	char		 devid[16];
	char		 back[DEVICES_PATH_MAX];
	char		*err;
	size_t		 errlen;
};

static int __attribute__((format(printf, 3, 4)))
devices_err(struct devices_ctx *c, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(c->err, c->errlen, "%s %s: ", c->kind, c->devid);
	if (n < 0 || (size_t)n >= c->errlen)
		return rc;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

static bool
devices_word_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
}

/* No shell, QEMU-option or xenstore specials: ',' and ' ' are refused. */
static bool
devices_path_chars(const char *v)
{
	size_t i;

	for (i = 0; v[i] != '\0'; i++)
		if (!devices_word_char(v[i]) && v[i] != '/' && v[i] != '+' &&
		    v[i] != ':' && v[i] != '=' && v[i] != '@')
			return false;
	return strstr(v, "..") == NULL;
}

static bool
devices_path_ok(const char *v)
{
	return v[0] == '/' && devices_path_chars(v);
}

static bool
devices_mac_ok(const char *v)
{
	size_t i;

	if (strlen(v) != 17)
		return false;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2 ? v[i] != ':' : strchr("0123456789abcdefABCDEF",
		    v[i]) == NULL || v[i] == '\0')
			return false;
	}
	return true;
}

static bool
devices_value_ok(const char *v, enum devices_class cls)
{
	size_t i;

	switch (cls) {
	case DEVICES_PATH:
		return devices_path_ok(v);
	case DEVICES_MAC:
		return devices_mac_ok(v);
	case DEVICES_PARAMS:
		return devices_path_chars(v);
	case DEVICES_WORD:
		break;
	}
	for (i = 0; v[i] != '\0'; i++)
		if (!devices_word_char(v[i]))
			return false;
	return i > 0 && strcmp(v, ".") != 0 && strcmp(v, "..") != 0;
}

/*
 * The backend's key into buf: 0, 1 if it is absent and may be, or -errno
 * with the reason.  Too long, odd characters: refused, never cut.
 */
static int
devices_get(struct devices_ctx *c, const char *key, enum devices_class cls,
    bool optional, char *buf, size_t size)
{
	char path[DEVICES_PATH_MAX * 2], *v;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", c->back, key);
	if ((v = xstore_read(c->xs, path)) == NULL) {
		if (errno == ENOENT && optional)
			return 1;
		return devices_err(c, -errno, "cannot read %s: %s", key,
		    strerror(errno));
	}
	if (strlen(v) >= size)
		rc = devices_err(c, -ENAMETOOLONG, "%s is longer than %zu "
		    "bytes", key, size - 1);
	else if (!devices_value_ok(v, cls))
		rc = devices_err(c, -EINVAL, "%s has characters or a form "
		    "that is not allowed", key);
	else
		memcpy(buf, v, strlen(v) + 1);
	free(v);
	return rc;
}

/* The name of a value in a table; -1 if not there. */
static int
devices_lookup(const char *const *names, size_t n, const char *v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], v) == 0)
			return (int)i;
	return -1;
}

#define DEVICES_LOOKUP(t, v)	devices_lookup(t, sizeof(t) / sizeof(t[0]), v)

static const char *const devices_backends[] = {
	[HV_DISK_PHY] = "phy",
	[HV_DISK_QDISK] = "qdisk",
	[HV_DISK_TAP] = "tap",
};

/* The prefixes libxl writes before a qdisk's or tap's path ("aio:"). */
static const char *const devices_formats[] = {
	[HV_FORMAT_RAW] = "aio",
	[HV_FORMAT_QCOW] = "qcow",
	[HV_FORMAT_QCOW2] = "qcow2",
	[HV_FORMAT_VHD] = "vhd",
};

/*
 * Linux's and libxl's disk names: hd[a-t] (IDE), sd* and xvd* with one
 * or two letters.  The index is the letter's (xvda 0, xvdb 1, ...).
 */
static int
devices_vdev_index(const char *vdev, unsigned *index)
{
	static const char *const prefixes[] = { "hd", "sd", "xvd" };
	const char *l = NULL;
	size_t i, len;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]) && !l; i++)
		if (strncmp(vdev, prefixes[i], strlen(prefixes[i])) == 0)
			l = vdev + strlen(prefixes[i]);
	if (l == NULL || (len = strlen(l)) < 1 || len > 2 ||
	    strspn(l, "abcdefghijklmnopqrstuvwxyz") != len)
		return -EINVAL;
	if (vdev[0] == 'h' && (len > 1 || l[0] > 't'))
		return -EINVAL;
	*index = len == 1 ? (unsigned)(l[0] - 'a') :
	    (unsigned)(l[0] - 'a' + 1) * 26 + (unsigned)(l[1] - 'a');
	return 0;
}

/* params: "PATH" for phy, "FORMAT:PATH" for qdisk and tap, "" no medium. */
static int
devices_disk_params(struct devices_ctx *c, struct hv_disk *d,
    const char *params)
{
	const char *colon = strchr(params, ':'), *path = params;
	char fmt[8];
	int f;

	d->format = HV_FORMAT_RAW;
	if (params[0] == '\0') {
		d->format = HV_FORMAT_EMPTY;
		return d->cdrom ? 0 : devices_err(c, -EINVAL, "params is "
		    "empty: only a CD-ROM drive may have no medium");
	}
	if (colon != NULL && params[0] != '/') {
		if ((size_t)(colon - params) >= sizeof(fmt))
			return devices_err(c, -EINVAL, "params has an unknown "
			    "format prefix");
		memcpy(fmt, params, (size_t)(colon - params));
		fmt[colon - params] = '\0';
		if ((f = DEVICES_LOOKUP(devices_formats, fmt)) < 0 &&
		    strcmp(fmt, "raw") != 0)
			return devices_err(c, -EINVAL, "params has an unknown "
			    "format prefix");
		d->format = f < 0 ? HV_FORMAT_RAW : (enum hv_disk_format)f;
		path = colon + 1;
	}
	if (!devices_path_ok(path))
		return devices_err(c, -EINVAL, "params is not an absolute path "
		    "of allowed characters");
	snprintf(d->target, sizeof(d->target), "%s", path);
	return 0;
}

/*
 * QEMU in a stub cannot emulate a read-only IDE disk: libxl refuses such a
 * guest's device model, and so does stubdmd, before building anything.
 */
static int
devices_disk_check(struct devices_ctx *c, const struct hv_disk *d)
{
	if (!d->cdrom && !d->readwrite && d->index < DEVICES_IDE_DISKS)
		return devices_err(c, -EINVAL, "%s is read-only: QEMU cannot "
		    "emulate a read-only IDE disk (libxl refuses it too)",
		    d->vdev);
	return 0;
}

static int
devices_read_disk(struct devices_ctx *c, struct hv_disk *d)
{
	char params[HV_PARAMS_MAX], type[16], mode[4], dtype[16] = "disk";
	int rc, b;

	if ((rc = devices_get(c, "params", DEVICES_PARAMS, false, params,
	    sizeof(params))) < 0 ||
	    (rc = devices_get(c, "type", DEVICES_WORD, false, type,
	    sizeof(type))) < 0 ||
	    (rc = devices_get(c, "mode", DEVICES_WORD, false, mode,
	    sizeof(mode))) < 0 ||
	    (rc = devices_get(c, "dev", DEVICES_WORD, false, d->vdev,
	    sizeof(d->vdev))) < 0 ||
	    (rc = devices_get(c, "device-type", DEVICES_WORD, true, dtype,
	    sizeof(dtype))) < 0)
		return rc;
	if ((b = DEVICES_LOOKUP(devices_backends, type)) < 0)
		return devices_err(c, -EINVAL, "type %s is not phy, qdisk or "
		    "tap", type);
	d->backend = (enum hv_disk_backend)b;
	if (strcmp(mode, "w") != 0 && strcmp(mode, "r") != 0)
		return devices_err(c, -EINVAL, "mode %s is not r or w", mode);
	d->readwrite = mode[0] == 'w';
	if (strcmp(dtype, "disk") != 0 && strcmp(dtype, "cdrom") != 0)
		return devices_err(c, -EINVAL, "device-type %s is not disk or "
		    "cdrom", dtype);
	d->cdrom = dtype[0] == 'c';
	if (devices_vdev_index(d->vdev, &d->index) < 0)
		return devices_err(c, -EINVAL, "dev %s is not a disk name "
		    "(hd[a-t], sd*, xvd*)", d->vdev);
	if ((rc = devices_disk_params(c, d, params)) < 0)
		return rc;
	return devices_disk_check(c, d);
}

/* libxl writes type vif_ioemu for an HVM guest's NIC, vif for PV-only. */
static int
devices_read_nic(struct devices_ctx *c, struct hv_nic *n)
{
	char type[16] = "vif_ioemu";
	int rc;

	snprintf(n->model, sizeof(n->model), "%s", DEVICES_DEFAULT_MODEL);
	snprintf(n->bridge, sizeof(n->bridge), "%s", DEVICES_DEFAULT_BRIDGE);
	if ((rc = devices_get(c, "mac", DEVICES_MAC, false, n->mac,
	    sizeof(n->mac))) < 0 ||
	    (rc = devices_get(c, "bridge", DEVICES_WORD, true, n->bridge,
	    sizeof(n->bridge))) < 0 ||
	    /* room for the stub's "-emu" */
	    (rc = devices_get(c, "vifname", DEVICES_WORD, true, n->ifname,
	    sizeof(n->ifname) - 4)) < 0 ||
	    (rc = devices_get(c, "model", DEVICES_WORD, true, n->model,
	    sizeof(n->model))) < 0 ||
	    (rc = devices_get(c, "script", DEVICES_PATH, true, n->script,
	    sizeof(n->script))) < 0 ||
	    (rc = devices_get(c, "type", DEVICES_WORD, true, type,
	    sizeof(type))) < 0)
		return rc;
	if (strcmp(type, "vif_ioemu") != 0 && strcmp(type, "vif") != 0)
		return devices_err(c, -EINVAL, "type %s is not vif_ioemu or "
		    "vif", type);
	n->emulated = strcmp(type, "vif_ioemu") == 0;
	return 0;
}

/*
 * Where a toolstack puts a frontend's backend: libxl 4.17 writes a disk's
 * under backend/vbd (blkback), backend/qdisk (QEMU) or backend/vbd3
 * (tapdisk3), a NIC's under backend/vif.
 */
static const char *const devices_back_kinds[][3] = {
	{ "vbd", "qdisk", "vbd3" },
	{ "vif", NULL, NULL },
};

/* v is /local/domain/<b>/backend/<one of kind's>/<guest>/<devid>. */
static bool
devices_backend_ok(const struct devices_ctx *c, const char *v,
    unsigned long b)
{
	const char *const *kinds;
	char want[DEVICES_PATH_MAX];
	size_t i;

	kinds = devices_back_kinds[c->kind[1] == 'b' ? 0 : 1];

	for (i = 0; i < 3 && kinds[i] != NULL; i++) {
		snprintf(want, sizeof(want), "/local/domain/%lu/backend/"
		    "%s/%u/%s", b, kinds[i], c->guest, c->devid);
		if (strcmp(v, want) == 0)
			return true;
	}
	return false;
}

/*
 * The frontend names its backend; it must be where a toolstack puts it
 * for this guest and this device, so that a guest cannot point stubdmd
 * at another guest's devices.
 */
static int
devices_backend(struct devices_ctx *c, uint32_t *backend_domid)
{
	char path[DEVICES_PATH_MAX], *v;
	unsigned long b;
	int n, rc = 0;

	snprintf(path, sizeof(path), "/local/domain/%u/device/%s/%s/backend",
	    c->guest, c->kind, c->devid);
	if ((v = xstore_read(c->xs, path)) == NULL)
		return devices_err(c, -errno, "cannot read the frontend's "
		    "backend: %s", strerror(errno));
	if (strlen(v) >= sizeof(c->back) ||
	    sscanf(v, "/local/domain/%lu/%n", &b, &n) != 1 ||
	    b > DEVICES_DOMID_MAX || v[strlen("/local/domain/")] == '+' ||
	    v[strlen("/local/domain/")] == '-')
		rc = devices_err(c, -EINVAL, "the frontend's backend path is "
		    "not /local/domain/<domid>/...");
	else if (!devices_backend_ok(c, v, b))
		rc = devices_err(c, -EINVAL, "the frontend's backend path is "
		    "not /local/domain/%lu/backend/%s/%u/%s", b,
		    c->kind[1] == 'b' ? "vbd|qdisk|vbd3" : "vif", c->guest,
		    c->devid);
	if (rc == 0) {
		snprintf(c->back, sizeof(c->back), "%s", v);
		*backend_domid = (uint32_t)b;
	}
	free(v);
	return rc;
}

/* A device directory's name: its devid, a decimal number. */
static int
devices_devid(struct devices_ctx *c, const char *name, uint32_t *devid)
{
	unsigned long v;

	snprintf(c->devid, sizeof(c->devid), "%.15s", name);
	if (strlen(name) >= sizeof(c->devid) ||
	    xstore_parse_uint(name, DEVICES_DEVID_MAX, &v) < 0 ||
	    (name[0] == '0' && name[1] != '\0'))
		return devices_err(c, -EINVAL, "the device number is not a "
		    "decimal number up to %lu", DEVICES_DEVID_MAX);
	*devid = (uint32_t)v;
	return 0;
}

static int
devices_one(struct devices_ctx *c, const char *name, struct hv_devices *out)
{
	struct hv_disk *d = &out->disks[out->ndisks];
	struct hv_nic *n = &out->nics[out->nnics];
	uint32_t devid = 0, b = 0;
	int rc;

	if ((rc = devices_devid(c, name, &devid)) < 0 ||
	    (rc = devices_backend(c, &b)) < 0)
		return rc;
	if (c->kind[1] == 'b') {
		memset(d, 0, sizeof(*d));
		d->devid = devid;
		d->backend_domid = b;
		if ((rc = devices_read_disk(c, d)) == 0)
			out->ndisks++;
	} else {
		memset(n, 0, sizeof(*n));
		n->devid = devid;
		n->backend_domid = b;
		if ((rc = devices_read_nic(c, n)) == 0)
			out->nnics++;
	}
	return rc;
}

static int
devices_cmp_name(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t lx = strlen(x), ly = strlen(y);

	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

/* Every frontend of one kind, in devid order; at most max of them. */
static int
devices_kind(struct devices_ctx *c, unsigned max, struct hv_devices *out)
{
	char path[DEVICES_PATH_MAX], **kids;
	unsigned n = 0, i;
	int rc = 0;

	snprintf(path, sizeof(path), "/local/domain/%u/device/%s", c->guest,
	    c->kind);
	if ((kids = xstore_directory(c->xs, path, &n)) == NULL)
		return errno == ENOENT ? 0 : devices_err(c, -errno,
		    "cannot list %s: %s", path, strerror(errno));
	snprintf(c->devid, sizeof(c->devid), "*");
	if (n > max)
		rc = devices_err(c, -E2BIG, "the guest has %u, stubdmd gives "
		    "a stub at most %u", n, max);
	else
		qsort(kids, n, sizeof(kids[0]), devices_cmp_name);
	for (i = 0; i < n && rc == 0; i++)
		rc = devices_one(c, kids[i], out);
	free(kids);
	return rc;
}

/* Both kinds, or the disks only (nics false). */
static int
devices_discover_kinds(struct xstore *xs, uint32_t domid, bool nics,
    struct hv_devices *out, char *err, size_t errlen)
{
	struct devices_ctx c = { xs, domid, "vbd", "", "", err, errlen };
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = devices_kind(&c, HV_DISKS_MAX, out)) == 0 && nics) {
		c.kind = "vif";
		rc = devices_kind(&c, HV_NICS_MAX, out);
	}
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int
devices_discover(struct xstore *xs, uint32_t guest, struct hv_devices *out,
    char *err, size_t errlen)
{
	return devices_discover_kinds(xs, guest, true, out, err, errlen);
}

int
devices_discover_disks(struct xstore *xs, uint32_t domid,
    struct hv_devices *out, char *err, size_t errlen)
{
	return devices_discover_kinds(xs, domid, false, out, err, errlen);
}

/* ---- QEMU's arguments (libxl_dm.c, a stub domain's device model) ---- */

static void __attribute__((format(printf, 2, 3)))
devices_arg(struct devices_args *a, const char *fmt, ...)
{
	va_list ap;

	if (a->argc >= DEVICES_ARGS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(a->buf[a->argc], DEVICES_ARG_LEN, fmt, ap);
	va_end(ap);
	a->argv[a->argc] = a->buf[a->argc];
	a->argc++;
}

/* The Linux device number libxl names a CD-ROM's drive by ("ide-5632"). */
unsigned
devices_dev_number(const struct hv_disk *d)
{
	static const unsigned ide_major[] = { 3, 22, 33, 34, 56, 57, 88, 89,
	    90, 91 };

	if (d->vdev[0] == 'h')
		return ide_major[d->index / 2] << 8 | (d->index % 2) << 6;
	if (d->vdev[0] == 's')
		return 8u << 8 | d->index << 4;
	return d->index < 16 ? 202u << 8 | d->index << 4 :
	    1u << 28 | d->index << 8;
}

/*
 * Inside the stub the guest's disk is the stub's own PV disk of the same
 * name, /dev/xvd<letter>, which QEMU opens as a host device.  Only the
 * first four are IDE disks and CD-ROMs the first five, as in libxl; the
 * others reach the guest through its PV drivers only.
 */
static void
devices_disk_args(const struct hv_disk *d, struct devices_args *a)
{
	char file[48] = "";
	unsigned num = devices_dev_number(d);

	if (d->index >= 26 || (d->cdrom ? d->index >= DEVICES_IDE_CDROMS :
	    d->index >= DEVICES_IDE_DISKS) || d->vdev[0] == 's')
		return;
	if (!d->cdrom) {
		devices_arg(a, "-drive");
		devices_arg(a, "file=/dev/xvd%c,if=ide,index=%u,media=disk,"
		    "format=host_device,cache=writeback", 'a' + d->index,
		    d->index);
		return;
	}
	if (d->format != HV_FORMAT_EMPTY)
		snprintf(file, sizeof(file), ",file=/dev/xvd%c,"
		    "format=host_device", 'a' + d->index);
	devices_arg(a, "-drive");
	devices_arg(a, "if=none,readonly=on,id=ide-%u%s", num, file);
	devices_arg(a, "-device");
	devices_arg(a, "ide-cd,id=ide-%u,drive=ide-%u,bus=ide.%u,unit=%u",
	    num, num, d->index / 2, d->index % 2);
}

/* The tap QEMU makes in the stub is vif<guest>.<devid>-emu (libxl's). */
static void
devices_nic_args(const struct hv_nic *n, uint32_t guest,
    struct devices_args *a)
{
	devices_arg(a, "-device");
	devices_arg(a, "%s,id=nic%u,netdev=net%u,mac=%s", n->model, n->devid,
	    n->devid, n->mac);
	devices_arg(a, "-netdev");
	devices_arg(a, "type=tap,id=net%u,ifname=vif%u.%u-emu,br=%s,"
	    "script=no,downscript=no", n->devid, guest, n->devid, n->bridge);
}

void
devices_qemu_args(const struct hv_devices *d, uint32_t guest,
    struct devices_args *a)
{
	unsigned i, nics = 0;

	a->argc = 0;
	for (i = 0; i < d->nnics; i++) {
		if (!d->nics[i].emulated)
			continue;
		devices_nic_args(&d->nics[i], guest, a);
		nics++;
	}
	if (nics == 0) {
		devices_arg(a, "-net");
		devices_arg(a, "none");
	}
	for (i = 0; i < d->ndisks; i++)
		devices_disk_args(&d->disks[i], a);
}

void
devices_describe(const struct hv_devices *d, char *buf, size_t size)
{
	snprintf(buf, size, "%u disk%s, %u NIC%s", d->ndisks,
	    d->ndisks == 1 ? "" : "s", d->nnics, d->nnics == 1 ? "" : "s");
}

bool
devices_file_ok(const char *path)
{
	return devices_path_ok(path);
}

/*
 * The medium of CD-ROM drive index i (0 to 4) goes to the stub as its PV
 * disk xvdz<a + i>: a two-letter name no guest's IDE disk or CD-ROM has
 * (those are the first five), read-only, raw, from the drive's backend.
 * It is a PV CD-ROM for the stub too: QEMU 7.2's qdisk back-end in dom0
 * cannot realise a read-only "disk" ("Block node is read-only") and
 * serves a read-only "cdrom".
 */
int
devices_medium_disk(const struct hv_disk *drive, const char *file,
    struct hv_disk *out)
{
	if (!drive->cdrom || drive->index >= DEVICES_IDE_CDROMS ||
	    strlen(file) >= sizeof(out->target) || !devices_path_ok(file))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->backend_domid = drive->backend_domid;
	out->backend = drive->backend;
	out->format = HV_FORMAT_RAW;
	out->cdrom = true;
	snprintf(out->vdev, sizeof(out->vdev), "xvdz%c", 'a' + drive->index);
	if (devices_vdev_index(out->vdev, &out->index) < 0)
		return -EINVAL;
	out->devid = devices_dev_number(out);
	snprintf(out->target, sizeof(out->target), "%s", file);
	return 0;
}
