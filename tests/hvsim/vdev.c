/* SPDX-License-Identifier: GPL-2.0-only */
/* PV devices of guests and of stub domains (vdev.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/hvsim/dom.h"
#include "tests/hvsim/hvsim.h"
#include "tests/hvsim/vdev.h"
#include "tests/hvsim/xsd.h"

#define VDEV_PATH_MAX	512
#define VDEV_FIELDS	8
#define VDEV_WORD_MAX	1024

/* --- a guest's devices, as a toolstack writes them --------------------- */

static int
vdev_put(struct hvsim *h, const char *dir, const char *key, const char *v)
{
	char path[VDEV_PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, key) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	return xsd_put(h, path, v);
}

/*
 * The backend's keys (KEY=VALUE), then the frontend that points at it.
 * kind is the backend's: a qdisk's frontend is a vbd, as libxl writes it.
 */
static int
vdev_write(struct hvsim *h, const struct dom *d, const char *kind,
    const char *devid, char **kv, int n)
{
	char back[VDEV_PATH_MAX], front[VDEV_PATH_MAX], key[128];
	const char *eq;
	int i, rc = 0;

	snprintf(back, sizeof(back), "/local/domain/0/backend/%s/%u/%s", kind,
	    d->domid, devid);
	snprintf(front, sizeof(front), "/local/domain/%u/device/%s/%s",
	    d->domid, strcmp(kind, "qdisk") == 0 ? "vbd" : kind, devid);
	for (i = 0; i < n && rc == 0; i++) {
		if ((eq = strchr(kv[i], '=')) == NULL ||
		    (size_t)(eq - kv[i]) >= sizeof(key) || eq == kv[i])
			return -EINVAL;
		snprintf(key, sizeof(key), "%.*s", (int)(eq - kv[i]), kv[i]);
		rc = vdev_put(h, back, key, eq + 1);
	}
	if (rc == 0 && (rc = vdev_put(h, back, "frontend", front)) == 0 &&
	    (rc = vdev_put(h, back, "frontend-id", "")) == 0 &&
	    (rc = vdev_put(h, front, "backend", back)) == 0 &&
	    (rc = vdev_put(h, front, "backend-id", "0")) == 0)
		rc = vdev_put(h, front, "state", "1");
	return rc;
}

int
vdev_add_cmd(struct hvsim *h, char **args, int n, char *err, size_t errlen)
{
	struct dom *d = dom_lookup(h, args[0], 0);
	int rc;

	if (d == NULL) {
		snprintf(err, errlen, "no domain %s", args[0]);
		return -ESRCH;
	}
	if (strcmp(args[1], "vbd") != 0 && strcmp(args[1], "vif") != 0 &&
	    strcmp(args[1], "qdisk") != 0) {
		snprintf(err, errlen, "kind %s is not vbd, qdisk or vif",
		    args[1]);
		return -EINVAL;
	}
	if (args[2][0] == '\0' || strchr(args[2], '/') != NULL) {
		snprintf(err, errlen, "bad device number %s", args[2]);
		return -EINVAL;
	}
	if ((rc = vdev_write(h, d, args[1], args[2], args + 3, n - 3)) < 0) {
		snprintf(err, errlen, "cannot write the device: %s",
		    hvsim_errname(rc));
		return rc;
	}
	hvsim_log(h, "domain %u: %s %s added", d->domid, args[1], args[2]);
	return 0;
}

/* dev=KIND/DEVID/KEY=VALUE: one key of a device of a guest being created. */
int
vdev_create_word(struct hvsim *h, const struct dom *d, const char *word,
    char *err, size_t errlen)
{
	char kind[8], devid[16];
	char *kv = NULL;
	int rc = -EINVAL;

	if (sscanf(word, "dev=%7[a-z]/%15[0-9]/", kind, devid) == 2 &&
	    (strcmp(kind, "vbd") == 0 || strcmp(kind, "vif") == 0 ||
	    strcmp(kind, "qdisk") == 0) &&
	    (kv = strdup(word + 4 + strlen(kind) + 1 + strlen(devid) + 1)) !=
	    NULL)
		rc = vdev_write(h, d, kind, devid, &kv, 1);
	free(kv);
	if (rc < 0)
		snprintf(err, errlen, "bad %.64s (dev=vbd|qdisk|vif/DEVID/"
		    "KEY=VALUE): %s", word, hvsim_errname(rc));
	return rc;
}

/* flood=KIND:N: N frontends, as a hostile or broken toolstack leaves. */
int
vdev_flood_word(struct hvsim *h, const struct dom *d, const char *word,
    char *err, size_t errlen)
{
	char kind[8], path[VDEV_PATH_MAX], back[VDEV_PATH_MAX];
	unsigned n, i;
	int rc = 0;

	if (sscanf(word, "flood=%7[a-z]:%u", kind, &n) != 2 || n > 100000) {
		snprintf(err, errlen, "bad %.64s (flood=vbd|vif:N)", word);
		return -EINVAL;
	}
	for (i = 0; i < n && rc == 0; i++) {
		snprintf(back, sizeof(back), "/local/domain/0/backend/%s/%u/%u",
		    kind, d->domid, i);
		snprintf(path, sizeof(path), "/local/domain/%u/device/%s/%u/"
		    "backend", d->domid, kind, i);
		rc = xsd_put(h, path, back);
	}
	if (rc < 0)
		snprintf(err, errlen, "flood: %s", hvsim_errname(rc));
	return rc;
}

/* --- a stub's devices, as build-pv gives them -------------------------- */

void
vdev_free(struct vdevs *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++)
		free(v->word[i]);
	free(v);
}

/* Split a copy of word's value at commas: the last field keeps the rest. */
static size_t
vdev_fields(const char *word, char *buf, size_t size, char **f)
{
	const char *eq = strchr(word, '=');
	size_t n = 0;
	char *p;

	snprintf(buf, size, "%s", eq != NULL ? eq + 1 : "");
	for (p = buf; n < VDEV_FIELDS; n++) {
		f[n] = p;
		if (n == VDEV_FIELDS - 1 || (p = strchr(p, ',')) == NULL)
			return n + 1;
		*p++ = '\0';
	}
	return n;
}

/* The backend kind libxl writes for a stub's disk of TYPE (a vbd= field). */
static const char *
vdev_stub_kind(const char *type)
{
	return strcmp(type, "qdisk") == 0 ? "qdisk" : "vbd";
}

/*
 * A stub's disk in xenstore, as libxl writes one it gives a stub (at its
 * build or by a device add): the backend's keys and the frontend.  A word
 * that is not a vbd= is none of this.
 */
int
vdev_stub_disk_write(struct hvsim *h, const struct dom *d, const char *word)
{
	char buf[VDEV_WORD_MAX], *f[VDEV_FIELDS], kv[5][VDEV_WORD_MAX + 16];
	char *kvp[5] = { kv[0], kv[1], kv[2], kv[3], kv[4] };

	if (strncmp(word, "vbd=", 4) != 0 ||
	    vdev_fields(word, buf, sizeof(buf), f) != VDEV_FIELDS)
		return 0;
	/* f: devid, backend, vdev, type, mode, device-type, format, file */
	if (strcmp(f[6], "empty") == 0)
		snprintf(kv[0], sizeof(kv[0]), "params=");
	else if (strcmp(f[6], "raw") == 0)
		snprintf(kv[0], sizeof(kv[0]), "params=%s", f[7]);
	else
		snprintf(kv[0], sizeof(kv[0]), "params=%s:%s", f[6], f[7]);
	snprintf(kv[1], sizeof(kv[1]), "type=%s", f[3]);
	snprintf(kv[2], sizeof(kv[2]), "mode=%s", f[4]);
	snprintf(kv[3], sizeof(kv[3]), "dev=%s", f[2]);
	snprintf(kv[4], sizeof(kv[4]), "device-type=%s", f[5]);
	return vdev_write(h, d, vdev_stub_kind(f[3]), f[0], kvp, 5);
}

/* The disk taken back from the stub: libxl removes both ends. */
void
vdev_stub_disk_forget(struct hvsim *h, const struct dom *d, const char *word)
{
	char buf[VDEV_WORD_MAX], *f[VDEV_FIELDS], path[VDEV_PATH_MAX];

	if (strncmp(word, "vbd=", 4) != 0 ||
	    vdev_fields(word, buf, sizeof(buf), f) != VDEV_FIELDS)
		return;
	snprintf(path, sizeof(path), "/local/domain/%u/device/vbd/%s",
	    d->domid, f[0]);
	xsd_remove(h, path);
	snprintf(path, sizeof(path), "/local/domain/0/backend/%s/%u/%s",
	    vdev_stub_kind(f[3]), d->domid, f[0]);
	xsd_remove(h, path);
}

int
vdev_parse(char **args, int n, struct vdevs **out, char *err, size_t errlen)
{
	char buf[VDEV_WORD_MAX], *f[VDEV_FIELDS];
	struct vdevs *v = calloc(1, sizeof(*v));
	int i;

	if (v == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if ((strncmp(args[i], "serial=", 7) == 0 ||
		    strncmp(args[i], "restore=", 8) == 0) &&
		    strlen(args[i]) < sizeof(buf) && v->n < VDEV_MAX) {
			/*
			 * The guest's serial port: its console's output; a
			 * restore stream: the file console 2 reads.
			 */
		} else if ((strncmp(args[i], "vbd=", 4) != 0 &&
		    strncmp(args[i], "vif=", 4) != 0) ||
		    strlen(args[i]) >= sizeof(buf) || v->n == VDEV_MAX ||
		    vdev_fields(args[i], buf, sizeof(buf), f) != VDEV_FIELDS) {
			snprintf(err, errlen, "bad device word %.64s (vbd= or "
			    "vif= with %d fields, serial= or restore=, at most "
			    "%d)",
			    args[i],
			    VDEV_FIELDS, VDEV_MAX);
			vdev_free(v);
			return -EINVAL;
		}
		if ((v->word[v->n++] = strdup(args[i])) == NULL) {
			vdev_free(v);
			return -ENOMEM;
		}
	}
	*out = v;
	return 0;
}

/* "OPT ARG" as two whole words of line. */
static int
vdev_has(const char *line, const char *opt, const char *arg)
{
	char want[VDEV_WORD_MAX];
	const char *p = line;
	size_t len;

	len = (size_t)snprintf(want, sizeof(want), "%s %s", opt, arg);
	while ((p = strstr(p, want)) != NULL) {
		if ((p == line || p[-1] == ' ') &&
		    (p[len] == ' ' || p[len] == '\0'))
			return 1;
		p += len;
	}
	return 0;
}

static size_t
vdev_count(const char *line, const char *opt)
{
	char want[64];
	const char *p = line;
	size_t n = 0, len;

	len = (size_t)snprintf(want, sizeof(want), "%s ", opt);
	while ((p = strstr(p, want)) != NULL) {
		if (p == line || p[-1] == ' ')
			n++;
		p += len;
	}
	return n;
}

/*
 * -drive options that name a file: an empty CD-ROM drive's has none and
 * needs no PV disk of the stub (stubdmd gives it none).
 */
static size_t
vdev_count_files(const char *line)
{
	const char *p = line, *end;
	size_t n = 0;

	while ((p = strstr(p, "-drive ")) != NULL) {
		if (p == line || p[-1] == ' ') {
			end = strchr(p + 7, ' ');
			if (end == NULL)
				end = p + strlen(p);
			if (memmem(p + 7, (size_t)(end - p - 7), "file=", 5) !=
			    NULL)
				n++;
		}
		p += 7;
	}
	return n;
}

/* hd?/xvd? with one letter: its index; -1 for the others (PV only). */
static int
vdev_index(const char *vdev)
{
	const char *l = strncmp(vdev, "hd", 2) == 0 ? vdev + 2 :
	    strncmp(vdev, "xvd", 3) == 0 ? vdev + 3 : NULL;

	if (l == NULL || l[0] < 'a' || l[0] > 'z' || l[1] != '\0')
		return -1;
	return l[0] - 'a';
}

static int __attribute__((format(printf, 3, 4)))
vdev_miss(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* vbd=DEVID,BACKEND,VDEV,TYPE,MODE,DEVTYPE,FORMAT,TARGET */
static int
vdev_check_vbd(char **f, const char *line, size_t *drives, char *why,
    size_t size)
{
	int i = vdev_index(f[2]);
	char arg[256];

	if (i < 0)
		return 0;
	if (strcmp(f[5], "cdrom") == 0) {
		if (i > 4)
			return 0;
		(*drives)++;
		snprintf(arg, sizeof(arg), "bus=ide.%d,unit=%d", i / 2, i % 2);
		return strstr(line, arg) != NULL && strstr(line,
		    "-device ide-cd,id=ide-") != NULL ? 0 : vdev_miss(why,
		    size, "no ide-cd for the stub's %s", f[2]);
	}
	if (i > 3)
		return 0;
	(*drives)++;
	snprintf(arg, sizeof(arg), "file=/dev/xvd%c,if=ide,index=%d,"
	    "media=disk,format=host_device,cache=writeback", 'a' + i, i);
	return vdev_has(line, "-drive", arg) ? 0 : vdev_miss(why, size,
	    "no -drive %s for the stub's %s", arg, f[2]);
}

/* vif=DEVID,BACKEND,MAC,BRIDGE,IFNAME,MODEL,ioemu|vif,SCRIPT */
static int
vdev_check_vif(char **f, uint32_t guest, const char *line, size_t *nics,
    char *why, size_t size)
{
	char dev[256], net[256];

	if (strcmp(f[6], "ioemu") != 0)
		return 0;
	(*nics)++;
	snprintf(dev, sizeof(dev), "%s,id=nic%s,netdev=net%s,mac=%s", f[5],
	    f[0], f[0], f[2]);
	snprintf(net, sizeof(net), "type=tap,id=net%s,ifname=vif%u.%s-emu,"
	    "br=%s,script=no,downscript=no", f[0], guest, f[0], f[3]);
	if (!vdev_has(line, "-device", dev))
		return vdev_miss(why, size, "no -device %s", dev);
	if (!vdev_has(line, "-netdev", net))
		return vdev_miss(why, size, "no -netdev %s", net);
	return 0;
}

int
vdev_check_args(const struct vdevs *v, uint32_t guest, const char *line,
    char *why, size_t size)
{
	char buf[VDEV_WORD_MAX], *f[VDEV_FIELDS];
	size_t i, drives = 0, nics = 0, serials = 0;
	int rc = 0;

	for (i = 0; v != NULL && i < v->n && rc == 0; i++) {
		if (v->word[i][0] == 's') {
			serials++;
			continue;
		}
		vdev_fields(v->word[i], buf, sizeof(buf), f);
		rc = v->word[i][1] == 'b' ?
		    vdev_check_vbd(f, line, &drives, why, size) :
		    vdev_check_vif(f, guest, line, &nics, why, size);
	}
	if (rc < 0)
		return rc;
	if (vdev_count_files(line) != drives)
		return vdev_miss(why, size, "%zu -drive with a file for %zu "
		    "emulated disks", vdev_count_files(line), drives);
	if (vdev_count(line, "-netdev") != nics)
		return vdev_miss(why, size, "%zu -netdev for %zu emulated NICs",
		    vdev_count(line, "-netdev"), nics);
	/* libxl's layout: the guest's first serial port on console 3. */
	if (vdev_count(line, "-serial") != serials ||
	    (serials > 0 && !vdev_has(line, "-serial", "/dev/hvc3")))
		return vdev_miss(why, size, "%zu -serial for %zu serial "
		    "consoles (the first is /dev/hvc3)",
		    vdev_count(line, "-serial"), serials);
	if (nics == 0 && v != NULL && v->n > serials && !vdev_has(line, "-net",
	    "none"))
		return vdev_miss(why, size, "no NIC and no -net none");
	return 0;
}
