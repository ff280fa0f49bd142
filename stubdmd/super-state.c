/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The device state of an own-mode guest, saved and restored for a
 * toolstack that is not libxl (stubdmd(8), SAVE AND RESTORE).  Save: QMP
 * xen-save-devices-state to /dev/fdset/1, the stub's console 1, as libxl
 * asks its own stubs (the image's qmp-relay answers once the bytes left
 * the stub), then what the dom0 end of console 1 gained is copied to the
 * caller's file once its size has settled.  Restore: the file is copied
 * to the dom0 end of console 2, and the guest's stub is replaced by one
 * built with -incoming (guest_on_restore); the caller is answered when
 * that stub is ready, or has failed.  Both for a paused guest only, one
 * at a time per guest.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stubdmd/devices.h"
#include "stubdmd/probe.h"
#include "stubdmd/stubdmd.h"
#include "stubdmd/super-int.h"

#define STATE_QMP_TIMEOUT_MS	15000
#define STATE_SETTLE_MS		200	/* the save file's size is checked */
#define STATE_SETTLE_TRIES	50	/* 10 s for the last bytes to land */
#define STATE_MAGIC		"QEVM"	/* QEMU_VM_FILE_MAGIC */
#define STATE_FILE_MAX		(256L * 1024 * 1024)

struct state_op {
	struct super		*s;
	uint32_t		 guest;
	uint32_t		 stub;
	bool			 restore;
	bool			 in_hv;		/* restore: its stub is built */
	off_t			 from;		/* save: the new state starts */
	off_t			 size;		/* save: at the last check */
	unsigned		 tries;
	char			 file[PATH_MAX];	/* the caller's */
	char			 tmp[PATH_MAX + 16];	/* save: beside */
	char			 dm_file[PATH_MAX];	/* dom0's end */
	int			 err;
	char			 why[SUPER_MEDIA_WHY];
	struct event		*timer;
	super_state_cb		*cb;
	void			*arg;
	TAILQ_ENTRY(state_op)	 link;
};

static struct sguest *
super_state_guest(const struct state_op *op)
{
	if (op->s == NULL || op->guest >= SUPER_DOMID_MAX)
		return NULL;
	return op->s->by_domid[op->guest];
}

static void
super_state_log(const struct state_op *op, enum log_level lvl,
    const char *what)
{
	struct sguest *sg = super_state_guest(op);
	struct log_guest lg = { "?", (int)op->guest, (int)op->stub, "" };

	if (sg != NULL)
		lg = super_lg(sg);
	log_guest(lvl, &lg, NULL, "device state %s %s: %s", op->restore ?
	    "restore from" : "save to", op->file, what);
}

static void
super_state_free(struct state_op *op)
{
	if (op->s != NULL)
		TAILQ_REMOVE(&op->s->state_ops, op, link);
	if (op->timer != NULL)
		event_free(op->timer);
	free(op);
}

/* The op is over: its caller is told, the guest may move again. */
static void
super_state_end(struct state_op *op)
{
	struct sguest *sg = super_state_guest(op);

	if (op->tmp[0] != '\0')
		unlink(op->tmp);
	if (op->restore && op->dm_file[0] != '\0')
		unlink(op->dm_file);
	if (sg != NULL)
		sg->state_busy = false;
	if (op->err < 0)
		super_state_log(op, LOG_LVL_WARNING, op->why);
	if (op->cb != NULL)
		op->cb(op->arg, op->err, op->err < 0 ? op->why : NULL);
	super_state_free(op);
}

/* why = "what: detail" (detail NULL: the errno's text). */
static void
super_state_fail(struct state_op *op, int err, const char *what,
    const char *detail)
{
	op->err = err;
	snprintf(op->why, sizeof(op->why), "%.128s: %.240s", what,
	    detail != NULL ? detail : strerror(-err));
	super_state_end(op);
}

/* ---- save ---------------------------------------------------------- */

static int
super_state_size(const char *path, off_t *size)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	*size = st.st_size;
	return 0;
}

/* Bytes [from, from + len) of in to out; a device state starts "QEVM". */
static int
super_state_copy_fd(int in, off_t from, off_t len, int out)
{
	char buf[65536];
	off_t done = 0;
	ssize_t n;

	if (lseek(in, from, SEEK_SET) < 0)
		return -errno;
	while (done < len) {
		n = read(in, buf, (size_t)(len - done) < sizeof(buf) ?
		    (size_t)(len - done) : sizeof(buf));
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		if (done == 0 && (n < 4 || memcmp(buf, STATE_MAGIC, 4) != 0))
			return -EBADMSG;
		if (write(out, buf, (size_t)n) != n)
			return -EIO;
		done += n;
	}
	return fsync(out) < 0 ? -errno : 0;
}

/* from to to, path to path: -EBADMSG if it is no QEMU device state. */
static int
super_state_copy(const char *path, off_t from, off_t len, const char *to,
    int flags)
{
	int in, out, rc;

	if ((in = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -errno;
	if ((out = open(to, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | flags,
	    0600)) < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	rc = super_state_copy_fd(in, from, len, out);
	close(in);
	if (close(out) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

static void
super_state_saved(struct state_op *op)
{
	char msg[64];
	int rc;

	rc = super_state_copy(op->dm_file, op->from, op->size - op->from,
	    op->tmp, O_TRUNC);
	if (rc == -EBADMSG) {
		super_state_fail(op, rc, "the save file", "what reached dom0 "
		    "is no QEMU device state");
		return;
	}
	if (rc < 0 || rename(op->tmp, op->file) < 0) {
		super_state_fail(op, rc < 0 ? rc : -errno, "writing the "
		    "state", NULL);
		return;
	}
	op->tmp[0] = '\0';
	snprintf(msg, sizeof(msg), "saved, %lld bytes", (long long)(op->size -
	    op->from));
	super_state_log(op, LOG_LVL_INFO, msg);
	super_state_end(op);
}

/*
 * The image's relay answered once the state left the stub; the dom0 QEMU
 * may still be writing the last of it: the file is complete when its
 * size holds still for one more check.
 */
static void
super_state_on_settle(evutil_socket_t fd, short what, void *arg)
{
	struct state_op *op = arg;
	struct timeval tv = { 0, STATE_SETTLE_MS * 1000 };
	off_t size = 0;
	int rc;

	if ((rc = super_state_size(op->dm_file, &size)) < 0) {
		super_state_fail(op, rc, op->dm_file, NULL);
		return;
	}
	if (size > op->from && size == op->size) {
		super_state_saved(op);
		return;
	}
	op->size = size;
	if (++op->tries >= STATE_SETTLE_TRIES) {
		super_state_fail(op, -ETIMEDOUT, "the save file", size <=
		    op->from ? "QEMU answered, but nothing reached dom0 "
		    "(the stub's console 1)" : "it kept growing");
		return;
	}
	event_add(op->timer, &tv);
}

static void
super_state_answered(void *arg, int err, const char *why)
{
	struct state_op *op = arg;

	if (err < 0) {
		super_state_fail(op, err, "the device model", why);
		return;
	}
	op->size = op->from;
	super_state_on_settle(-1, 0, op);
}

static int
super_state_send(struct state_op *op, struct sguest *sg)
{
	json_t *args = json_pack("{s:s, s:b}", "filename", "/dev/fdset/1",
	    "live", 0);
	int rc;

	if (args == NULL)
		return -ENOMEM;
	rc = probe_call(sg->pub.probe, "xen-save-devices-state", args,
	    STATE_QMP_TIMEOUT_MS, super_state_answered, op);
	json_decref(args);
	return rc;
}

/* ---- checks before anything is done -------------------------------- */

/* A stub's consoles 1 and 2 are served by a QEMU libxl runs in dom0. */
static bool
super_state_has_dom0_qemu(struct super *s, const struct sguest *sg)
{
	struct hv_devices *d = malloc(sizeof(*d));
	char err[160];
	bool yes = false;
	unsigned i;

	if (d != NULL && devices_discover(s->sd->xs, sg->pub.g.domid, d, err,
	    sizeof(err)) == 0)
		for (i = 0; i < d->ndisks && !yes; i++)
			yes = d->disks[i].backend == HV_DISK_QDISK &&
			    d->disks[i].backend_domid == 0 &&
			    d->disks[i].format != HV_FORMAT_EMPTY;
	free(d);
	return yes;
}

static int
super_state_check_paused(struct super *s, const struct sguest *sg,
    char *why, size_t size)
{
	struct hv *hv = s->sd->hv;
	struct hv_dominfo d;
	int rc;

	if ((rc = hv->ops->dominfo(hv, sg->pub.g.domid, &d)) < 0) {
		snprintf(why, size, "reading %s's state: %s", sg->pub.g.name,
		    strerror(-rc));
		return rc;
	}
	/* Suspended for a save (libxl's order: memory first) runs no more. */
	if (d.shutdown && d.shutdown_reason == HV_SHUTDOWN_SUSPEND)
		return 0;
	if (!d.paused || d.shutdown) {
		snprintf(why, size, "%s is %s: pause it first (its device "
		    "state would change under the save)", sg->pub.g.name,
		    d.shutdown ? "shut down" : "running");
		return -EBUSY;
	}
	return 0;
}

/* Own mode, a Linux image, a stub that runs and answers, a paused guest. */
static int
super_state_check(struct super *s, struct sguest *sg, char *why,
    size_t size)
{
	const struct guest *g = &sg->pub.g;
	struct hv *hv = s->sd->hv;

	if (sg->pub.mode != SUPER_MODE_OWN ||
	    g->cfg->image != POLICY_IMAGE_LINUX) {
		snprintf(why, size, "%s's device model is not stubdmd's own "
		    "from a Linux image (mode %s)%s", g->name,
		    super_mode_name(sg->pub.mode), sg->pub.mode ==
		    SUPER_MODE_ADOPTED ? ": libxl built its stub; xl save "
		    "and xl restore save and restore it" : "");
		return -EOPNOTSUPP;
	}
	if (hv->ops->dominfo == NULL || hv->ops->state_dir == NULL) {
		snprintf(why, size, "the %s backend moves no device state",
		    hv->ops->name);
		return -EOPNOTSUPP;
	}
	if (g->state != GUEST_RUNNING || g->stub_domid < 0) {
		snprintf(why, size, "%s's device model is not running (state "
		    "%s)", g->name, guest_state_name(g->state));
		return -EAGAIN;
	}
	if (sg->state_busy || sg->media_busy) {
		snprintf(why, size, "a %s of %s is under way", sg->state_busy ?
		    "device-state save or restore" : "CD-ROM change", g->name);
		return -EINPROGRESS;
	}
	if (!super_state_has_dom0_qemu(s, sg)) {
		snprintf(why, size, "%s has no disk with backendtype=qdisk in "
		    "dom0: no QEMU in dom0 serves its stub's consoles 1 and 2, "
		    "which carry the device state", g->name);
		return -EOPNOTSUPP;
	}
	return super_state_check_paused(s, sg, why, size);
}

/* An absolute path, no longer than a path may be. */
static int
super_state_path_check(const char *file, char *why, size_t size)
{
	if (file[0] != '/' || strlen(file) >= PATH_MAX - 16) {
		snprintf(why, size, "'%s' is not an absolute path", file);
		return -EINVAL;
	}
	return 0;
}

static struct state_op *
super_state_op_new(struct super *s, struct sguest *sg, const char *file,
    bool restore, super_state_cb *cb, void *arg)
{
	struct state_op *op = calloc(1, sizeof(*op));
	const char *dir = s->sd->hv->ops->state_dir(s->sd->hv);

	if (op == NULL)
		return NULL;
	if ((op->timer = evtimer_new(s->sd->base, super_state_on_settle,
	    op)) == NULL) {
		free(op);
		return NULL;
	}
	op->s = s;
	op->guest = sg->pub.g.domid;
	op->stub = (uint32_t)sg->pub.g.stub_domid;
	op->restore = restore;
	op->cb = cb;
	op->arg = arg;
	snprintf(op->file, sizeof(op->file), "%s", file);
	snprintf(op->dm_file, sizeof(op->dm_file), "%s/qemu-%s.%u", dir,
	    restore ? "resume" : "save", op->guest);
	TAILQ_INSERT_TAIL(&s->state_ops, op, link);
	sg->state_busy = true;
	return op;
}

/* The temporary file beside FILE, which must not exist yet. */
static int
super_state_tmp(struct state_op *op, char *why, size_t size)
{
	struct stat st;
	int fd;

	if (lstat(op->file, &st) == 0 || errno != ENOENT) {
		snprintf(why, size, "%s: %s", op->file, errno == ENOENT ?
		    "it exists: a save makes a new file" : strerror(errno));
		return errno == ENOENT ? -EEXIST : -errno;
	}
	snprintf(op->tmp, sizeof(op->tmp), "%s.XXXXXX", op->file);
	if ((fd = mkstemp(op->tmp)) < 0) {
		snprintf(why, size, "%s: %s", op->tmp, strerror(errno));
		op->tmp[0] = '\0';
		return -errno;
	}
	close(fd);
	return 0;
}

int
super_state_save(struct super *s, struct super_guest *pub, const char *file,
    super_state_cb *cb, void *arg, char *why, size_t size)
{
	struct sguest *sg = (struct sguest *)pub;
	struct state_op *op;
	int rc;

	if ((rc = super_state_check(s, sg, why, size)) < 0 ||
	    (rc = super_state_path_check(file, why, size)) < 0)
		return rc;
	if (sg->pooled) {
		snprintf(why, size, "%s's stub came from the warm pool: its "
		    "console 1 is the pool's channel, not a save file (a stub "
		    "restore-state builds has one)", pub->g.name);
		return -EOPNOTSUPP;
	}
	if (sg->pub.probe == NULL || probe_unreachable(sg->pub.probe)) {
		snprintf(why, size, "%s's device model is not reached "
		    "over QMP%s", pub->g.name, sg->pub.probe == NULL ?
		    " (not probed: "
		    "dm_probe_interval is 0)" : "");
		return -EHOSTDOWN;
	}
	if ((op = super_state_op_new(s, sg, file, false, cb, arg)) == NULL)
		return -ENOMEM;
	if ((rc = super_state_tmp(op, why, size)) < 0)
		goto fail;
	/* What console 1 got before (an earlier save) is not this state. */
	if ((rc = super_state_size(op->dm_file, &op->from)) == -ENOENT) {
		op->from = 0;
		rc = 0;
	}
	if (rc < 0) {
		snprintf(why, size, "%s: %s", op->dm_file, strerror(-rc));
		goto fail;
	}
	if ((rc = super_state_send(op, sg)) < 0) {
		snprintf(why, size, "asking the device model: %s",
		    strerror(-rc));
		goto fail;
	}
	super_state_log(op, LOG_LVL_INFO, "asked the device model");
	return 0;
fail:
	op->cb = NULL;
	if (op->tmp[0] != '\0')
		unlink(op->tmp);
	sg->state_busy = false;
	super_state_free(op);
	return rc;
}

/* ---- restore ------------------------------------------------------- */

/* FILE is a regular file that starts as a QEMU device state does. */
static int
super_state_file_check(const char *file, off_t *len, char *why, size_t size)
{
	char magic[4];
	struct stat st;
	int fd, rc = 0;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		snprintf(why, size, "%s: %s", file, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > STATE_FILE_MAX) {
		snprintf(why, size, "%s is not a regular file of at most %ld "
		    "MiB", file, STATE_FILE_MAX >> 20);
		rc = -EINVAL;
	} else if (read(fd, magic, 4) != 4 ||
	    memcmp(magic, STATE_MAGIC, 4) != 0) {
		snprintf(why, size, "%s is no QEMU device state (it does not "
		    "start with %s)", file, STATE_MAGIC);
		rc = -EINVAL;
	}
	*len = st.st_size;
	close(fd);
	return rc;
}

int
super_state_restore(struct super *s, struct super_guest *pub,
    const char *file, super_state_cb *cb, void *arg, char *why, size_t size)
{
	struct sguest *sg = (struct sguest *)pub;
	struct guest_env e = super_env(s);
	struct guest *g = &pub->g;
	enum guest_state old = g->state;
	struct state_op *op;
	unsigned acts;
	off_t len = 0;
	int rc;

	if ((rc = super_state_check(s, sg, why, size)) < 0 ||
	    (rc = super_state_path_check(file, why, size)) < 0 ||
	    (rc = super_state_file_check(file, &len, why, size)) < 0)
		return rc;
	if (g->starts >= GUEST_IOREQ_SLOTS) {
		snprintf(why, size, "%s has no ioreq-server slot left for a "
		    "new stub (%u used)", g->name, g->starts);
		return -ENOSPC;
	}
	if ((op = super_state_op_new(s, sg, file, true, cb, arg)) == NULL)
		return -ENOMEM;
	if ((rc = super_state_copy(file, 0, len, op->dm_file, O_CREAT |
	    O_TRUNC)) < 0 || (acts = guest_on_restore(g, &e, op->dm_file)) ==
	    0) {
		snprintf(why, size, "%s: %s", op->dm_file, strerror(rc < 0 ?
		    -rc : ENOMEM));
		op->cb = NULL;
		unlink(op->dm_file);
		sg->state_busy = false;
		super_state_free(op);
		return rc < 0 ? rc : -ENOMEM;
	}
	op->in_hv = true;
	super_state_log(op, LOG_LVL_INFO, "replacing the stub");
	super_apply(s, sg, acts, old);
	return 0;
}

/*
 * The guest changed state: a restore under way ends when its new stub
 * is ready (running) or its build has failed, whatever the policy then
 * does; the guest may also have gone.
 */
void
super_state_observe(struct super *s, struct sguest *sg, enum guest_state old)
{
	enum guest_state now = sg->pub.g.state;
	struct state_op *op;
	char msg[64];

	TAILQ_FOREACH(op, &s->state_ops, link)
		if (op->restore && op->in_hv && op->guest == sg->pub.g.domid)
			break;
	if (op == NULL || now == GUEST_SPAWNING || now == GUEST_STARTING)
		return;
	op->in_hv = false;
	op->stub = sg->pub.g.stub_domid >= 0 ?
	    (uint32_t)sg->pub.g.stub_domid : op->stub;
	if (now == GUEST_RUNNING) {
		snprintf(msg, sizeof(msg), "restored by stub domain %u",
		    op->stub);
		super_state_log(op, LOG_LVL_INFO, msg);
		super_state_end(op);
		return;
	}
	super_state_fail(op, -EIO, "the new stub", sg->pub.g.reason);
}

void
super_state_forget(struct super *s, void *arg)
{
	struct state_op *op;

	TAILQ_FOREACH(op, &s->state_ops, link)
		if (op->arg == arg)
			op->cb = NULL;
}

/* The daemon stops: nobody is told of what ends from now on. */
void
super_state_quiet(struct super *s)
{
	struct state_op *op;

	TAILQ_FOREACH(op, &s->state_ops, link)
		op->cb = NULL;
}

/*
 * Then, once its guests (and their probes, which end the saves waiting
 * on them) are gone: a restore's stub is left to be re-adopted.
 */
void
super_state_free_all(struct super *s)
{
	struct state_op *op;

	while ((op = TAILQ_FIRST(&s->state_ops)) != NULL) {
		op->cb = NULL;
		if (op->tmp[0] != '\0')
			unlink(op->tmp);
		TAILQ_REMOVE(&s->state_ops, op, link);
		op->s = NULL;
		super_state_free(op);
	}
}
