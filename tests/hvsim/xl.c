/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What `xl create` leaves behind for stubdmd to recognise (libxl, Xen
 * 4.17): a guest with /libxl/<domid>, and its device model either a stub
 * domain "<name>-dm" built and wired as libxl_dm.c does it, or a QEMU in
 * dom0 (its directory under /local/domain/0/device-model/<domid>).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/hvsim/dm.h"
#include "tests/hvsim/dom.h"
#include "tests/hvsim/hvsim.h"
#include "tests/hvsim/xl.h"
#include "tests/hvsim/xsd.h"

#define XL_MIB_MAX	(1024ul * 1024)
#define XL_PATH_MAX	256

struct xl_opts {
	const char	*name;
	int		 paused;	/* -p */
	int		 dom0_dm;	/* device_model_stubdomain_override = 0 */
	const char	*kernel, *ramdisk, *cmdline;
	unsigned long	 mem_mib, stub_mib;
};

static int
xl_number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && s[0] != '-' &&
	    *out > 0 && *out <= max ? 0 : -EINVAL;
}

static int
xl_parse(char **args, int n, struct xl_opts *o, char *err, size_t errlen)
{
	int i, rc = 0;

	*o = (struct xl_opts){ NULL, 0, 0, NULL, "", "", 1024, 128 };
	for (i = 0; i < n && rc == 0; i++) {
		if (strcmp(args[i], "-p") == 0)
			o->paused = 1;
		else if (strcmp(args[i], "--dom0-dm") == 0)
			o->dom0_dm = 1;
		else if (strncmp(args[i], "kernel=", 7) == 0)
			o->kernel = args[i] + 7;
		else if (strncmp(args[i], "ramdisk=", 8) == 0)
			o->ramdisk = args[i] + 8;
		else if (strncmp(args[i], "cmdline=", 8) == 0)
			o->cmdline = args[i] + 8;
		else if (strncmp(args[i], "mem=", 4) == 0)
			rc = xl_number(args[i] + 4, XL_MIB_MAX, &o->mem_mib);
		else if (strncmp(args[i], "stubmem=", 8) == 0)
			rc = xl_number(args[i] + 8, XL_MIB_MAX, &o->stub_mib);
		else if (o->name == NULL)
			o->name = args[i];
		else
			rc = -EINVAL;
	}
	if (rc == 0 && o->name != NULL && (o->dom0_dm || o->kernel != NULL))
		return 0;
	snprintf(err, errlen, "usage: xl-create NAME [-p] (--dom0-dm | "
	    "kernel=PATH [ramdisk=PATH] [cmdline=TEXT] [stubmem=MIB]) "
	    "[mem=MIB]");
	return -EINVAL;
}

static int
xl_put(struct hvsim *h, const char *dir, const char *key, const char *val)
{
	char path[XL_PATH_MAX];
	int len = snprintf(path, sizeof(path), "%s/%s", dir, key);

	if (len < 0 || (size_t)len >= sizeof(path))
		return -ENAMETOOLONG;
	return xsd_put(h, path, val);
}

void
xl_write_pv_image(struct hvsim *h, const struct dom *d, const char *kernel,
    const char *ramdisk, const char *cmdline)
{
	char dir[XL_PATH_MAX];
	unsigned i;

	/* libxl__build_post's vm entries for a PV domain. */
	snprintf(dir, sizeof(dir), "/vm/%s/image", d->uuid);
	xl_put(h, dir, "ostype", "linux");
	xl_put(h, dir, "kernel", kernel);
	if (ramdisk[0] != '\0')
		xl_put(h, dir, "ramdisk", ramdisk);
	if (cmdline[0] != '\0')
		xl_put(h, dir, "cmdline", cmdline);
	for (i = 0; i < d->vcpus; i++) {
		snprintf(dir, sizeof(dir), "/local/domain/%u/cpu/%u",
		    d->domid, i);
		xl_put(h, dir, "availability", "online");
	}
}

/* libxl__write_stub_dmargs for a Linux stub: one argument per key. */
static int
xl_write_dmargs(struct hvsim *h, const struct dom *g, const struct dom *s,
    unsigned long mib)
{
	char dir[XL_PATH_MAX], perms[32], key[8], id[16], m[24];
	const char *argv[] = { "-xen-domid", id, "-xen-attach", "-name",
	    g->name, "-no-shutdown", "-nodefaults", "-machine", "xenfv",
	    "-m", m, "-display", "none" };
	size_t i;
	int rc;

	snprintf(id, sizeof(id), "%u", g->domid);
	snprintf(m, sizeof(m), "%lu", mib);
	snprintf(dir, sizeof(dir), "/vm/%s/image/dm-argv", g->uuid);
	snprintf(perms, sizeof(perms), "n0 r%u", s->domid);
	if ((rc = xsd_put_dir(h, dir, perms)) < 0)
		return rc;
	for (i = 0; i < sizeof(argv) / sizeof(argv[0]); i++) {
		snprintf(key, sizeof(key), "%03zu", i + 1);
		if ((rc = xl_put(h, dir, key, argv[i])) < 0)
			return rc;
	}
	return 0;
}

/* libxl's spawn_stub_launch_dm, in its order, then the stub's unpause. */
static int
xl_stub(struct hvsim *h, struct dom *g, const struct xl_opts *o)
{
	char name[DOM_NAME_MAX + 8], dir[XL_PATH_MAX], id[16], perms[32];
	struct dom_spec spec = { name, DOM_PV, o->stub_mib * 1024, 1, NULL,
	    1 };
	struct dm_cfg cfg;
	struct dom *s;
	int rc;

	snprintf(name, sizeof(name), "%s-dm", g->name);
	if ((rc = dm_faults_for(h, g->name, &cfg)) < 0 ||
	    (rc = dom_create(h, &spec, &s)) < 0)
		return rc;
	if ((rc = dm_attach(h, s, &cfg)) < 0) {
		dom_destroy(h, s);
		return rc;
	}
	xl_write_pv_image(h, s, o->kernel, o->ramdisk, o->cmdline);
	snprintf(id, sizeof(id), "%u", s->domid);
	snprintf(dir, sizeof(dir), "/local/domain/%u/image", g->domid);
	xl_put(h, dir, "device-model-domid", id);
	snprintf(id, sizeof(id), "%u", g->domid);
	snprintf(dir, sizeof(dir), "/local/domain/%u", s->domid);
	xl_put(h, dir, "target", id);
	dom_set_target(h, s->domid, g->domid);
	xl_write_dmargs(h, g, s, o->mem_mib);
	snprintf(dir, sizeof(dir), "/local/domain/%u/device-model/%u",
	    s->domid, g->domid);
	snprintf(perms, sizeof(perms), "n%u r%u", s->domid, g->domid);
	xsd_put_dir(h, dir, perms);
	dom_console(s, "built by xl-create: kernel %s ramdisk %s cmdline %s",
	    o->kernel, o->ramdisk[0] ? o->ramdisk : "-",
	    o->cmdline[0] ? o->cmdline : "-");
	hvsim_log(h, "domain %u (%s) built by libxl: stub of %u", s->domid,
	    s->name, g->domid);
	dom_unpause(h, s);
	return 0;
}

static int
xl_readable(const char *path)
{
	struct stat st;

	return path[0] == '\0' || (access(path, R_OK) == 0 &&
	    stat(path, &st) == 0 && S_ISREG(st.st_mode));
}

int
xl_create_cmd(struct hvsim *h, char **args, int n, uint32_t *domid,
    char *err, size_t errlen)
{
	struct xl_opts o;
	struct dom_spec spec = { NULL, DOM_HVM, 0, 1, NULL, 1 };
	char dir[XL_PATH_MAX];
	struct dom *g;
	int rc;

	if ((rc = xl_parse(args, n, &o, err, errlen)) < 0)
		return rc;
	if (!o.dom0_dm && (!xl_readable(o.kernel) || !xl_readable(o.ramdisk))) {
		snprintf(err, errlen, "stub kernel or ramdisk not readable");
		return -ENOENT;
	}
	spec.name = o.name;
	spec.mem_kib = o.mem_mib * 1024;
	if ((rc = dom_create(h, &spec, &g)) < 0) {
		snprintf(err, errlen, "cannot create %s", o.name);
		return rc;
	}
	/* libxl__domain_make: the guest is libxl's. */
	snprintf(dir, sizeof(dir), "/libxl/%u", g->domid);
	xl_put(h, dir, "type", "hvm");
	xl_put(h, dir, "dm-version", "qemu_xen");
	*domid = g->domid;
	g->xl_unpause = !o.paused;
	if (!o.dom0_dm) {
		if ((rc = xl_stub(h, g, &o)) < 0) {
			snprintf(err, errlen, "stub domain: %s",
			    hvsim_errname(rc));
			dom_destroy(h, g);
		}
		return rc;
	}
	snprintf(dir, sizeof(dir), "/local/domain/0/device-model/%u",
	    g->domid);
	xsd_put_dir(h, dir, "n0");
	xl_put(h, dir, "state", "running");
	hvsim_log(h, "domain %u (%s): device model in dom0", g->domid,
	    g->name);
	xl_dm_running(h, g->domid);
	return 0;
}

void
xl_dm_running(struct hvsim *h, uint32_t guest)
{
	struct dom *g = dom_find(h, guest);

	/* xl create unpauses the guest once its device model runs. */
	if (g == NULL || !g->xl_unpause || g->dying || g->shutdown)
		return;
	g->xl_unpause = 0;
	dom_unpause(h, g);
}
