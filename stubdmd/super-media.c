/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * CD-ROM media of own-mode guests, changed at run time (xl cd-insert and
 * cd-eject for a stub): the medium goes to the stub as a read-only PV
 * disk (hv attach), then QEMU in the stub is told over QMP, through the
 * probe's connection (probe_call); an eject is the reverse.  One change
 * per guest at a time; a half-done insert is undone.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stubdmd/devices.h"
#include "stubdmd/probe.h"
#include "stubdmd/stubdmd.h"
#include "stubdmd/super-int.h"

#define MEDIA_QMP_TIMEOUT_MS	10000
#define MEDIA_OPEN_TRIES	20	/* the stub's /dev node may lag */
#define MEDIA_OPEN_RETRY_MS	500

struct media_op {
	struct super		*s;
	uint32_t		 guest;
	uint32_t		 stub;
	bool			 insert;
	bool			 attached;	/* the medium's PV disk is given */
	bool			 in_hv;		/* an attach or detach under way */
	unsigned		 drive;		/* index in sg->media */
	unsigned		 tries;
	struct hv_disk		 disk;		/* insert: the medium's PV disk */
	char			 name[SUPER_PATH_MAX];	/* "<guest>-dm" */
	int			 err;
	char			 why[SUPER_MEDIA_WHY];
	struct event		*retry;
	super_media_cb		*cb;
	void			*arg;
	TAILQ_ENTRY(media_op)	 link;
};

static void	super_media_send(struct media_op *op);

/* The guest the op is for, while it still has the op's stub. */
static struct sguest *
super_media_guest(const struct media_op *op)
{
	struct sguest *sg;

	if (op->s == NULL || op->guest >= SUPER_DOMID_MAX)
		return NULL;
	sg = op->s->by_domid[op->guest];
	return sg != NULL && sg->pub.g.stub_domid == (int)op->stub ? sg :
	    NULL;
}

static void
super_media_free(struct media_op *op)
{
	if (op->s != NULL)
		TAILQ_REMOVE(&op->s->media_ops, op, link);
	if (op->retry != NULL)
		event_free(op->retry);
	free(op);
}

/* The change is over: its caller is told, the guest may change again. */
static void
super_media_end(struct media_op *op)
{
	struct sguest *sg = super_media_guest(op);

	if (sg != NULL)
		sg->media_busy = false;
	if (op->cb != NULL)
		op->cb(op->arg, op->err, op->err < 0 ? op->why : NULL);
	super_media_free(op);
}

/* why = "what: detail" (detail NULL: the errno's text; "": none). */
static void
super_media_fail(struct media_op *op, int err, const char *what,
    const char *detail)
{
	if (detail == NULL)
		detail = strerror(-err);
	op->err = err;
	snprintf(op->why, sizeof(op->why), "%s%s%s", what,
	    detail[0] != '\0' ? ": " : "", detail);
}

static void
super_media_log(struct media_op *op, enum log_level lvl, const char *what)
{
	struct sguest *sg = super_media_guest(op);
	struct log_guest lg = { "?", (int)op->guest, (int)op->stub, "" };

	if (sg != NULL)
		lg = super_lg(sg);
	log_guest(lvl, &lg, NULL, "CD-ROM %s: %s", op->insert ?
	    op->disk.target : "eject", what);
}

/* A spec that names the stub and carries the medium's disk only. */
static void
super_media_spec(const struct media_op *op, struct hv_stub_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->name = op->name;
	spec->target = op->guest;
	spec->kernel = spec->ramdisk = spec->cmdline = spec->serial = "";
	spec->devices.ndisks = 1;
	spec->devices.disks[0] = op->disk;
}

static void
super_media_detached(void *arg, int err, uint32_t domid, const char *why)
{
	struct media_op *op = arg;
	char msg[SUPER_MEDIA_WHY + 64];

	op->in_hv = false;
	if (err < 0) {
		snprintf(msg, sizeof(msg), "taking the medium's disk %s from "
		    "the stub: %s; it stays", op->disk.vdev, why != NULL ?
		    why : strerror(-err));
		super_media_log(op, LOG_LVL_WARNING, msg);
		if (op->err == 0)
			super_media_fail(op, err, "the medium's disk stays in "
			    "the stub", why);
	}
	super_media_end(op);
}

/* Take the medium's PV disk back from the stub (eject, or undo). */
static void
super_media_detach(struct media_op *op)
{
	struct hv *hv = op->s != NULL ? op->s->sd->hv : NULL;
	struct hv_stub_spec spec;
	int rc;

	if (hv == NULL || !op->attached || hv->ops->detach == NULL) {
		super_media_end(op);
		return;
	}
	super_media_spec(op, &spec);
	op->in_hv = true;
	if ((rc = hv->ops->detach(hv, op->stub, &spec, super_media_detached,
	    op)) < 0)
		super_media_detached(op, rc, 0, NULL);
}

static struct super_medium *
super_media_drive(struct media_op *op)
{
	struct sguest *sg = super_media_guest(op);

	return sg != NULL && sg->pub.media != NULL ?
	    &sg->pub.media->m[op->drive] : NULL;
}

static void
super_media_done(struct media_op *op)
{
	struct super_medium *m = super_media_drive(op);

	if (m == NULL) {
		super_media_fail(op, -ESRCH, "the guest or its stub went "
		    "away meanwhile", "");
		super_media_detach(op);
		return;
	}
	if (op->insert) {
		snprintf(m->file, sizeof(m->file), "%s", op->disk.target);
		m->disk = op->disk;
		m->ours = true;
		super_media_log(op, LOG_LVL_INFO, "inserted");
		super_media_end(op);
		return;
	}
	op->attached = m->ours;
	op->disk = m->disk;
	m->file[0] = '\0';
	m->ours = false;
	super_media_log(op, LOG_LVL_INFO, "ejected");
	super_media_detach(op);
}

static void
super_media_on_retry(evutil_socket_t fd, short what, void *arg)
{
	super_media_send(arg);
}

/* QEMU in the stub may look for the new disk before its node is there. */
static bool
super_media_may_retry(struct media_op *op, int err, const char *why)
{
	struct timeval tv = { 0, MEDIA_OPEN_RETRY_MS * 1000 };

	if (!op->insert || err != -EREMOTEIO || why == NULL ||
	    strstr(why, "No such file") == NULL ||
	    ++op->tries >= MEDIA_OPEN_TRIES || op->retry == NULL)
		return false;
	event_add(op->retry, &tv);
	return true;
}

static void
super_media_answered(void *arg, int err, const char *why)
{
	struct media_op *op = arg;

	if (err == 0) {
		super_media_done(op);
		return;
	}
	if (err != -ECANCELED && super_media_may_retry(op, err, why))
		return;
	super_media_fail(op, err, "the device model", why);
	/* A probe that ends is a stub that goes: nothing to take back. */
	if (err == -ECANCELED)
		op->attached = false;
	if (op->insert)
		super_media_detach(op);
	else
		super_media_end(op);
}

static json_t *
super_media_args(const struct media_op *op, unsigned num)
{
	char id[24], file[32];

	snprintf(id, sizeof(id), "ide-%u", num);
	if (!op->insert)
		return json_pack("{s:s, s:b}", "id", id, "force", 1);
	snprintf(file, sizeof(file), "/dev/%s", op->disk.vdev);
	return json_pack("{s:s, s:s, s:s, s:s}", "id", id, "filename", file,
	    "format", "host_device", "read-only-mode", "read-only");
}

static void
super_media_send(struct media_op *op)
{
	struct sguest *sg = super_media_guest(op);
	json_t *args;
	int rc = -ESRCH;

	if (sg != NULL && sg->pub.probe != NULL && sg->pub.media != NULL) {
		args = super_media_args(op,
		    sg->pub.media->m[op->drive].number);
		rc = args == NULL ? -ENOMEM : probe_call(sg->pub.probe,
		    op->insert ? "blockdev-change-medium" : "eject", args,
		    MEDIA_QMP_TIMEOUT_MS, super_media_answered, op);
		json_decref(args);
	}
	if (rc < 0)
		super_media_answered(op, rc, rc == -EHOSTDOWN ? "it does not "
		    "answer its liveness probes" : strerror(-rc));
}

static void
super_media_attached(void *arg, int err, uint32_t domid, const char *why)
{
	struct media_op *op = arg;

	op->in_hv = false;
	if (err < 0) {
		super_media_fail(op, err, "giving the stub the medium",
		    why);
		super_media_end(op);
		return;
	}
	op->attached = true;
	super_media_send(op);
}

/* ---- checks before anything is done -------------------------------- */

/*
 * The media stubdmd gave this stub (its PV CD-ROMs xvdz<a + drive>), read
 * back from the stub's own vbds: a daemon restarted since the insert knows
 * them again, and its eject takes the disk back.  The backend's entry is
 * dom0's (devices_discover checks the frontend's path to it).
 */
static void
super_media_given(struct super *s, struct sguest *sg, struct super_media *v,
    struct hv_devices *d)
{
	struct log_guest lg = super_lg(sg);
	const struct hv_disk *k;
	struct super_medium *m;
	struct hv_disk disk;
	char err[160];
	unsigned i, j;

	if (devices_discover_disks(s->sd->xs, (uint32_t)sg->pub.g.stub_domid,
	    d, err, sizeof(err)) < 0) {
		log_guest(LOG_LVL_WARNING, &lg, NULL, "CD-ROM media: the "
		    "stub's devices: %s; taken as given none", err);
		return;
	}
	for (i = 0; i < d->ndisks; i++) {
		k = &d->disks[i];
		for (j = 0; j < v->n; j++) {
			m = &v->m[j];
			/* The disk an insert of that file would have given. */
			if (devices_medium_disk(&m->drive, k->target,
			    &disk) < 0 || strcmp(disk.vdev, k->vdev) != 0)
				continue;
			snprintf(m->file, sizeof(m->file), "%s", k->target);
			m->disk = disk;
			m->ours = true;
			log_guest(LOG_LVL_INFO, &lg, NULL, "CD-ROM %s holds %s "
			    "(given to its stub as %s before)", m->drive.vdev,
			    m->file, k->vdev);
		}
	}
}

/* The guest's CD-ROM drives, from its own vbd backends, once a stub. */
static int
super_media_drives(struct super *s, struct sguest *sg, char *why,
    size_t size)
{
	struct super_media *v = sg->pub.media;
	struct hv_devices *d;
	const struct hv_disk *k;
	char err[160];
	unsigned i;
	int rc;

	/* A new stub starts with the media the guest was created with. */
	if (v != NULL && v->stub == sg->pub.g.stub_domid)
		return 0;
	if ((d = malloc(sizeof(*d))) == NULL || (v == NULL &&
	    (v = malloc(sizeof(*v))) == NULL)) {
		free(d);
		return -ENOMEM;
	}
	sg->pub.media = v;
	memset(v, 0, sizeof(*v));
	v->stub = -1;
	if ((rc = devices_discover(s->sd->xs, sg->pub.g.domid, d, err,
	    sizeof(err))) < 0) {
		snprintf(why, size, "the guest's devices: %s", err);
		free(d);
		return rc;
	}
	for (i = 0; i < d->ndisks && v->n < SUPER_CDROMS_MAX; i++) {
		k = &d->disks[i];
		if (!k->cdrom || k->index >= SUPER_CDROMS_MAX)
			continue;
		v->m[v->n].drive = *k;
		v->m[v->n].number = devices_dev_number(k);
		if (k->format != HV_FORMAT_EMPTY)
			snprintf(v->m[v->n].file, sizeof(v->m[v->n].file), "%s",
			    k->target);
		v->n++;
	}
	if (v->n > 0)
		super_media_given(s, sg, v, d);
	v->stub = sg->pub.g.stub_domid;
	free(d);
	return 0;
}

/* Which drive: its index in sg->pub.media, or -ENODEV. */
static int
super_media_find(struct sguest *sg, const char *device, char *why,
    size_t size)
{
	const struct super_media *v = sg->pub.media;
	unsigned i;
	size_t len = 0;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->m[i].drive.vdev, device) == 0)
			return (int)i;
	len = (size_t)snprintf(why, size, "%s has no CD-ROM drive %s "
	    "(it has:", sg->pub.g.name, device);
	for (i = 0; i < v->n && len < size; i++)
		len += (size_t)snprintf(why + len, size - len, " %s",
		    v->m[i].drive.vdev);
	if (len < size)
		snprintf(why + len, size - len, "%s)", i == 0 ? " none" : "");
	return -ENODEV;
}

/* What every change needs: own mode, running, a drive, a free slot. */
static int
super_media_check(struct super *s, struct sguest *sg, const char *device,
    char *why, size_t size)
{
	const struct guest *g = &sg->pub.g;
	int rc;

	if (sg->pub.mode != SUPER_MODE_OWN) {
		snprintf(why, size, "%s's device model is not stubdmd's own "
		    "(mode %s)%s", g->name, super_mode_name(sg->pub.mode),
		    sg->pub.mode == SUPER_MODE_ADOPTED ? ": libxl built its "
		    "stub, and libxl 4.17 refuses xl cd-insert for stubs" : "");
		return -EOPNOTSUPP;
	}
	if (g->state != GUEST_RUNNING || g->stub_domid < 0) {
		snprintf(why, size, "%s's device model is not running (state "
		    "%s)", g->name, guest_state_name(g->state));
		return -EAGAIN;
	}
	if (sg->pub.probe == NULL || probe_unreachable(sg->pub.probe) ||
	    probe_misses(sg->pub.probe) > 0) {
		snprintf(why, size, "%s's device model does not answer QMP%s",
		    g->name, sg->pub.probe == NULL ? " (not probed: "
		    "dm_probe_interval is 0)" : "");
		return -EHOSTDOWN;
	}
	if (sg->media_busy || sg->state_busy) {
		snprintf(why, size, "a %s of %s is under way", sg->media_busy ?
		    "CD-ROM change" : "device-state save or restore",
		    g->name);
		return -EBUSY;
	}
	if ((rc = super_media_drives(s, sg, why, size)) < 0)
		return rc;
	return super_media_find(sg, device, why, size);
}

/* A regular file dom0 can read: checked as root, now, not trusted later. */
static int
super_media_file_check(const char *file, char *why, size_t size)
{
	struct stat st;
	int fd;

	if (!devices_file_ok(file) || strlen(file) >= HV_PARAMS_MAX) {
		snprintf(why, size, "'%s' is not an absolute path of the "
		    "characters a disk's path may have (A-Z a-z 0-9 / . _ - "
		    "+ , = @ :)", file);
		return -EINVAL;
	}
	if ((fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		snprintf(why, size, "%s: %s", file, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(why, size, "%s is not a regular file", file);
		return -EINVAL;
	}
	close(fd);
	return 0;
}

static struct media_op *
super_media_op_new(struct super *s, struct sguest *sg, unsigned drive,
    super_media_cb *cb, void *arg)
{
	struct media_op *op = calloc(1, sizeof(*op));

	if (op == NULL)
		return NULL;
	if ((op->retry = evtimer_new(s->sd->base, super_media_on_retry,
	    op)) == NULL) {
		free(op);
		return NULL;
	}
	op->s = s;
	op->guest = sg->pub.g.domid;
	op->stub = (uint32_t)sg->pub.g.stub_domid;
	op->drive = drive;
	op->cb = cb;
	op->arg = arg;
	snprintf(op->name, sizeof(op->name), "%s-dm", sg->pub.g.name);
	TAILQ_INSERT_TAIL(&s->media_ops, op, link);
	sg->media_busy = true;
	return op;
}

int
super_media_insert(struct super *s, struct super_guest *pub,
    const char *device, const char *file, super_media_cb *cb, void *arg,
    char *why, size_t size)
{
	struct sguest *sg = (struct sguest *)pub;
	struct hv *hv = s->sd->hv;
	struct hv_stub_spec spec;
	struct media_op *op;
	struct hv_disk disk;
	int i, rc;

	if ((i = super_media_check(s, sg, device, why, size)) < 0)
		return i;
	if ((rc = super_media_file_check(file, why, size)) < 0)
		return rc;
	if (pub->media->m[i].file[0] != '\0') {
		snprintf(why, size, "%s of %s holds %s: eject it first", device,
		    pub->g.name, pub->media->m[i].file);
		return -EEXIST;
	}
	if (hv->ops->attach == NULL || hv->ops->detach == NULL ||
	    devices_medium_disk(&pub->media->m[i].drive, file, &disk) < 0) {
		snprintf(why, size, "the backend cannot give a running stub "
		    "a disk");
		return -EOPNOTSUPP;
	}
	if ((op = super_media_op_new(s, sg, (unsigned)i, cb, arg)) == NULL)
		return -ENOMEM;
	op->insert = true;
	op->disk = disk;
	super_media_spec(op, &spec);
	op->in_hv = true;
	if ((rc = hv->ops->attach(hv, op->stub, &spec, super_media_attached,
	    op)) < 0) {
		snprintf(why, size, "giving the stub the medium: %s",
		    strerror(-rc));
		sg->media_busy = false;
		super_media_free(op);
		return rc;
	}
	return 0;
}

int
super_media_eject(struct super *s, struct super_guest *pub,
    const char *device, super_media_cb *cb, void *arg, char *why,
    size_t size)
{
	struct sguest *sg = (struct sguest *)pub;
	struct media_op *op;
	int i;

	if ((i = super_media_check(s, sg, device, why, size)) < 0)
		return i;
	if (pub->media->m[i].file[0] == '\0') {
		snprintf(why, size, "%s of %s holds no medium", device,
		    pub->g.name);
		return -ENOMEDIUM;
	}
	if ((op = super_media_op_new(s, sg, (unsigned)i, cb, arg)) == NULL)
		return -ENOMEM;
	super_media_send(op);
	return 0;
}

void
super_media_forget(struct super *s, void *arg)
{
	struct media_op *op;

	TAILQ_FOREACH(op, &s->media_ops, link)
		if (op->arg == arg)
			op->cb = NULL;
}

/*
 * The daemon stops: changes under way are left as they are (their stubs
 * keep running); nobody is told, and an answer that still comes finds
 * no supervisor.
 */
void
super_media_free_all(struct super *s)
{
	struct media_op *op;

	while ((op = TAILQ_FIRST(&s->media_ops)) != NULL) {
		TAILQ_REMOVE(&s->media_ops, op, link);
		op->s = NULL;
		op->cb = NULL;
		/* The backend's callback frees one it still holds. */
		if (!op->in_hv)
			super_media_free(op);
	}
}
