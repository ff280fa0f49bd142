/* SPDX-License-Identifier: GPL-2.0-only */
/* Stub domain set-up following Xen's conventions (see spawn.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "stubdmd/devices.h"
#include "stubdmd/guest.h"
#include "stubdmd/spawn.h"
#include "stubdmd/xstore.h"

#define SPAWN_PATH_MAX	256
#define SPAWN_ARGS_MAX	4096	/* one xenstore value */

/* The step that failed, for the guest's reason line. */
static int __attribute__((format(printf, 4, 5)))
spawn_err(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < errlen)
		snprintf(err + n, errlen - (size_t)n, ": %s", strerror(-rc));
	return rc;
}

/* A stub libxl built is rebuilt from what libxl used; gaps from libxl. */
static void
spawn_spec_adopted(const struct guest_build *b, struct hv_stub_spec *spec)
{
	spec->from_libxl = true;
	spec->kernel = b->kernel != NULL ? b->kernel : "";
	spec->ramdisk = b->ramdisk != NULL ? b->ramdisk : "";
	spec->cmdline = b->cmdline != NULL ? b->cmdline : "";
	if (b->memory_mib > 0)
		spec->memory_mib = b->memory_mib;
	if (b->vcpus > 0)
		spec->vcpus = b->vcpus;
}

/* The guest's name in a file name: no "/", no leading ".", printable. */
static bool
spawn_name_file_ok(const char *name)
{
	const unsigned char *p;

	if (name[0] == '\0' || name[0] == '.')
		return false;
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

bool
spawn_has_serial(const struct guest *g)
{
	return g->cfg->serial != NULL && g->cfg->serial[0] != '\0' &&
	    g->cfg->image == POLICY_IMAGE_LINUX;
}

/* The policy's serial with %n (the guest's name) and %% expanded. */
static int
spawn_serial(const struct guest *g, char *buf, size_t size, char *err,
    size_t errlen)
{
	const char *p = g->cfg->serial != NULL ? g->cfg->serial : "";
	size_t o = 0;
	int n;

	for (; *p != '\0' && o < size; p++) {
		if (*p != '%') {
			buf[o++] = *p;
			continue;
		}
		if (*++p == '%') {
			buf[o++] = '%';
			continue;
		}
		if (!spawn_name_file_ok(g->name))
			return spawn_err(-EINVAL, err, errlen, "serial: the "
			    "guest's name cannot be part of a file name (%%n)");
		n = snprintf(buf + o, size - o, "%s", g->name);
		o += (size_t)n;
	}
	if (o >= size)
		return spawn_err(-ENAMETOOLONG, err, errlen, "serial");
	buf[o] = '\0';
	return 0;
}

/*
 * The stub's PV devices: the guest's, less its CD-ROM drives with no
 * medium.  Such a drive has nothing to carry (QEMU gets the drive
 * without a file), and an empty PV disk never gets a Linux device in
 * the stub, whose image waits for every disk it was given (seen on real
 * Xen: the stub never started QEMU).  A medium inserted later gets a PV
 * disk of its own (super-media.c).
 */
static void
spawn_spec_devices(const struct hv_devices *devs, struct hv_devices *out)
{
	unsigned i;

	*out = *devs;
	out->ndisks = 0;
	for (i = 0; i < devs->ndisks && i < HV_DISKS_MAX; i++)
		if (devs->disks[i].format != HV_FORMAT_EMPTY)
			out->disks[out->ndisks++] = devs->disks[i];
}

int
spawn_spec(const struct guest *g, const struct hv_devices *devs,
    struct hv_stub_spec *spec, struct spawn_names *names, char *err,
    size_t errlen)
{
	const struct policy_settings *c = g->cfg;
	int n, rc;

	n = snprintf(names->name, sizeof(names->name), "%s%s", g->name,
	    SPAWN_NAME_SUFFIX);
	if (n < 0 || (size_t)n >= sizeof(names->name))
		return spawn_err(-ENAMETOOLONG, err, errlen, "stub domain "
		    "name (<guest>" SPAWN_NAME_SUFFIX ")");
	memset(spec, 0, sizeof(*spec));
	spec->name = names->name;
	if (hv_uuid_parse(g->stub_uuid, spec->uuid) < 0)
		return spawn_err(-EINVAL, err, errlen, "stub domain UUID");
	spec->target = g->domid;
	spec->memory_mib = c->memory_mib;
	spec->vcpus = c->vcpus;
	spec->kernel = c->kernel;
	spec->ramdisk = c->ramdisk;
	spec->cmdline = c->cmdline;
	spec->serial = "";
	spec->restore = g->restore_file != NULL ? g->restore_file : "";
	if (g->adopted != NULL) {
		spawn_spec_adopted(g->adopted, spec);
		return 0;
	}
	if (devs != NULL)
		spawn_spec_devices(devs, &spec->devices);
	if (!spawn_has_serial(g))
		return 0;
	if ((rc = spawn_serial(g, names->serial, sizeof(names->serial), err,
	    errlen)) < 0)
		return rc;
	spec->serial = names->serial;
	return 0;
}

/* Open, not access(): the daemon's effective rights, and no directory. */
static int
spawn_check_file(const char *what, const char *path, char *err,
    size_t errlen)
{
	struct stat st;
	int fd, rc = 0;

	if (path == NULL || path[0] == '\0')
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		rc = -errno;
	else if (fstat(fd, &st) == -1)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -ENOEXEC;
	if (fd != -1)
		close(fd);
	if (rc < 0)
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(-rc));
	return rc;
}

int
spawn_check_files(const struct hv_stub_spec *spec, char *err, size_t errlen)
{
	int rc;

	if ((rc = spawn_check_file("kernel", spec->kernel, err, errlen)) < 0)
		return rc;
	return spawn_check_file("ramdisk", spec->ramdisk, err, errlen);
}

void
spawn_ready_path(const struct guest *g, char *buf, size_t size)
{
	snprintf(buf, size, "/local/domain/%d/device-model/%u/state",
	    g->stub_domid, g->domid);
}


/* The guest's memory in MiB, for QEMU's -m; 0 if the toolstack left none. */
static unsigned long
spawn_guest_mib(struct xstore *xs, uint32_t guest)
{
	static const char *const keys[] = { "static-max", "target" };
	char path[SPAWN_PATH_MAX];
	unsigned long kib;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(path, sizeof(path), "/local/domain/%u/memory/%s",
		    guest, keys[i]);
		if (xstore_read_uint(xs, path, 1UL << 40, &kib) == 0)
			return kib / 1024;
	}
	return 0;
}

/*
 * The guest's card, its screen as VNC on a socket in the stub (served to
 * dom0 over a vchan by the image, vnc.h) and a USB tablet for the
 * pointer, as xl's vga and usbdevice = "tablet"; the PS/2 keyboard comes
 * with the machine.  Linux images only (the image serves the socket).
 */
static size_t
spawn_screen_args(const struct guest *g, const char **argv)
{
	static const char *const card[] = {
		[POLICY_VGA_STD] = "std", [POLICY_VGA_CIRRUS] = "cirrus" };
	size_t n = 0;

	if (g->cfg->image != POLICY_IMAGE_LINUX ||
	    g->cfg->vga == POLICY_VGA_NONE)
		return 0;
	argv[n++] = "-vga";
	argv[n++] = card[g->cfg->vga];
	argv[n++] = "-vnc";
	argv[n++] = "unix:" SPAWN_VNC_SOCKET;
	argv[n++] = "-usb";
	argv[n++] = "-device";
	argv[n++] = "usb-tablet";
	return n;
}

/*
 * Base arguments for QEMU (upstream) serving guest g, its devices' as
 * libxl writes them for a stub, then the policy's.
 */
static size_t
spawn_argv(struct xstore *xs, const struct guest *g,
    const struct hv_devices *devs, struct devices_args *da, char (*buf)[32],
    const char **argv, size_t max)
{
	unsigned long mib = spawn_guest_mib(xs, g->domid);
	size_t n = 0, i;

	snprintf(buf[0], sizeof(buf[0]), "%u", g->domid);
	snprintf(buf[1], sizeof(buf[1]), "%lu", mib);
	argv[n++] = "-xen-domid";
	argv[n++] = buf[0];
	argv[n++] = "-machine";
	argv[n++] = "xenfv";
	if (mib > 0) {
		argv[n++] = "-m";
		argv[n++] = buf[1];
	}
	argv[n++] = "-nodefaults";
	argv[n++] = "-no-user-config";
	argv[n++] = "-display";
	argv[n++] = "none";
	n += spawn_screen_args(g, argv + n);
	devices_qemu_args(devs, g->domid, da);
	for (i = 0; i < da->argc && n < max; i++)
		argv[n++] = da->argv[i];
	/* On the console the backend gives it (spawn.h, hv.h). */
	if (spawn_has_serial(g)) {
		argv[n++] = "-serial";
		argv[n++] = SPAWN_SERIAL_HVC;
	}
	for (i = 0; i < g->cfg->dm_argc && n < max; i++)
		argv[n++] = g->cfg->dm_argv[i];
	/* libxl's word for a restore: the image makes it console 2's fd. */
	if (g->restore_file != NULL && n + 2 <= max) {
		argv[n++] = "-incoming";
		argv[n++] = SPAWN_INCOMING_ARG;
	}
	return n;
}

/* Linux stubs read <vm>/image/dm-argv/NNN; mini-os reads <vm>/image/dmargs. */
static int
spawn_put_args(struct xstore *xs, const struct guest *g, const char *vm,
    const char **argv, size_t argc, char *err, size_t errlen)
{
	char path[SPAWN_PATH_MAX], perms[32], joined[SPAWN_ARGS_MAX];
	size_t i, o = 0;
	int rc;

	snprintf(perms, sizeof(perms), "n0 r%d", g->stub_domid);
	snprintf(path, sizeof(path), "%s/image/dm-argv", vm);
	xstore_rm(xs, path);	/* a previous stub's arguments */
	snprintf(path, sizeof(path), "%s/image/dmargs", vm);
	xstore_rm(xs, path);
	if (g->cfg->image == POLICY_IMAGE_MINIOS) {
		for (i = 0; i < argc && o < sizeof(joined); i++)
			o += (size_t)snprintf(joined + o, sizeof(joined) - o,
			    " %s", argv[i]);
		if (o >= sizeof(joined))
			return spawn_err(-E2BIG, err, errlen, "dmargs");
		if ((rc = xstore_mkdir_perms(xs, path, perms)) < 0 ||
		    (rc = xstore_write(xs, path, joined)) < 0)
			return spawn_err(rc, err, errlen, "writing %s", path);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/image/dm-argv", vm);
	if ((rc = xstore_mkdir_perms(xs, path, perms)) < 0)
		return spawn_err(rc, err, errlen, "creating %s", path);
	for (i = 0; i < argc; i++) {
		snprintf(path, sizeof(path), "%s/image/dm-argv/%03zu", vm, i + 1);
		if ((rc = xstore_write(xs, path, argv[i])) < 0)
			return spawn_err(rc, err, errlen, "writing %s", path);
	}
	return 0;
}

/* The arguments for the guest's QEMU (devs NULL: no devices). */
static int
spawn_write_args(struct xstore *xs, const struct guest *g,
    const struct hv_devices *devs, const char *vm, char *err, size_t errlen)
{
	static const struct hv_devices none;
	struct devices_args *da;
	const char *argv[256];
	char num[2][32];
	size_t argc;
	int rc;

	if ((da = malloc(sizeof(*da))) == NULL)
		return spawn_err(-ENOMEM, err, errlen, "QEMU's arguments");
	argc = spawn_argv(xs, g, devs != NULL ? devs : &none, da, num, argv,
	    sizeof(argv) / sizeof(argv[0]));
	rc = spawn_put_args(xs, g, vm, argv, argc, err, errlen);
	free(da);
	return rc;
}

/*
 * An adopted guest keeps the arguments libxl wrote (dm-argv/NNN or
 * dmargs); only the new stub is given the right to read them.
 */
static int
spawn_grant_args(struct xstore *xs, const struct guest *g, const char *vm,
    char *err, size_t errlen)
{
	char path[SPAWN_PATH_MAX], perms[32], **kids;
	unsigned n = 0, i;
	int rc;

	snprintf(perms, sizeof(perms), "n0 r%d", g->stub_domid);
	snprintf(path, sizeof(path), "%s/image/dm-argv", vm);
	if ((kids = xstore_directory(xs, path, &n)) == NULL) {
		snprintf(path, sizeof(path), "%s/image/dmargs", vm);
		if ((rc = xstore_set_perms(xs, path, perms)) < 0)
			return spawn_err(rc, err, errlen, "libxl's device-model "
			    "arguments (%s/image/dm-argv or dmargs)", vm);
		return 0;
	}
	rc = xstore_set_perms(xs, path, perms);
	for (i = 0; i < n && rc == 0; i++) {
		snprintf(path, sizeof(path), "%s/image/dm-argv/%s", vm, kids[i]);
		rc = xstore_set_perms(xs, path, perms);
	}
	free(kids);
	return rc < 0 ? spawn_err(rc, err, errlen, "granting %s", path) : 0;
}

bool
spawn_vm_path_ok(const char *vm)
{
	size_t i;

	for (i = 0; vm[i] != '\0'; i++)
		if (!(vm[i] == '/' || vm[i] == '-' || vm[i] == '_' ||
		    (vm[i] >= '0' && vm[i] <= '9') ||
		    (vm[i] >= 'a' && vm[i] <= 'z') ||
		    (vm[i] >= 'A' && vm[i] <= 'Z')))
			break;
	return strncmp(vm, "/vm/", 4) == 0 && vm[i] == '\0' && i <= 128 &&
	    strstr(vm, "//") == NULL;
}

/* The guest's vm path comes from xenstore: accept only a sane /vm/ path. */
static char *
spawn_vm_path(struct xstore *xs, uint32_t guest)
{
	char path[SPAWN_PATH_MAX], *vm;

	snprintf(path, sizeof(path), "/local/domain/%u/vm", guest);
	if ((vm = xstore_read(xs, path)) == NULL)
		return NULL;
	if (!spawn_vm_path_ok(vm)) {
		free(vm);
		errno = EINVAL;
		return NULL;
	}
	return vm;
}

int
spawn_setup(struct hv *hv, struct xstore *xs, const struct guest *g,
    const struct hv_devices *devs, char *err, size_t errlen)
{
	char path[SPAWN_PATH_MAX], perms[32], *vm = NULL;
	uint32_t stub = (uint32_t)g->stub_domid;
	int rc;

	/* The order of libxl's spawn_stub_launch_dm. */
	if ((vm = spawn_vm_path(xs, g->domid)) == NULL)
		return spawn_err(-errno, err, errlen, "reading the guest's "
		    "vm path");
	rc = g->adopted != NULL ? spawn_grant_args(xs, g, vm, err, errlen) :
	    spawn_write_args(xs, g, devs, vm, err, errlen);
	free(vm);
	if (rc < 0)
		return rc;
	snprintf(path, sizeof(path), "/local/domain/%u/image/"
	    "device-model-domid", g->domid);
	if ((rc = xstore_printf(xs, path, "%u", stub)) < 0)
		return spawn_err(rc, err, errlen, "writing %s", path);
	if ((rc = hv->ops->set_target(hv, stub, g->domid)) < 0)
		return spawn_err(rc, err, errlen, "set_target in Xen");
	if ((rc = xstore_set_target(xs, stub, g->domid)) < 0)
		return spawn_err(rc, err, errlen, "set_target in xenstore");
	/* The device model's own directory: the stub's, readable by the guest. */
	snprintf(path, sizeof(path), "/local/domain/%u/device-model/%u", stub,
	    g->domid);
	snprintf(perms, sizeof(perms), "n%u r%u", stub, g->domid);
	if ((rc = xstore_mkdir_perms(xs, path, perms)) < 0)
		return spawn_err(rc, err, errlen, "creating %s", path);
	/* Last: a spare from the pool starts its device model on seeing it. */
	snprintf(path, sizeof(path), "/local/domain/%u/target", stub);
	if ((rc = xstore_printf(xs, path, "%u", g->domid)) < 0)
		return spawn_err(rc, err, errlen, "writing %s", path);
	return 0;
}

void
spawn_clear(struct xstore *xs, const struct guest *g, uint32_t stub)
{
	char path[SPAWN_PATH_MAX];
	unsigned long cur;

	snprintf(path, sizeof(path), "/local/domain/%u/image/"
	    "device-model-domid", g->domid);
	if (xstore_read_uint(xs, path, 0x7fff, &cur) == 0 && cur == stub)
		xstore_rm(xs, path);
}
