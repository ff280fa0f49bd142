/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guests' screens in dom0 (vnc.h): a listening socket per guest, and
 * for its one client a relay to the stub's channel with a bounded buffer
 * each way.  Nothing here reads the bytes: a stub that floods fills its
 * buffer and then waits, one that never answers leaves its client
 * waiting; neither holds up the loop.
 */
#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "stubdmd/clock.h"
#include "stubdmd/control.h"
#include "stubdmd/hv.h"
#include "stubdmd/log.h"
#include "stubdmd/policy.h"
#include "stubdmd/spawn.h"
#include "stubdmd/stubdmd.h"
#include "stubdmd/super.h"
#include "stubdmd/vnc.h"

#define VNC_NAME_MAX	64

struct vnc_link;

/* One guest's screen socket. */
struct vnc_screen {
	struct vnc		*v;
	uint32_t		 domid;
	int			 stub;
	char			 name[VNC_NAME_MAX + 1];	/* for logs */
	char			*path;
	int			 lfd;
	gid_t			 gid;		/* (gid_t)-1: root only */
	struct event		*ev_accept;
	struct vnc_link		*link;		/* its client, or NULL */
	bool			 seen;		/* in this sync */
	/* Renamed: its file parked under its domid until want is free. */
	bool			 parked;
	char			 want[VNC_NAME_MAX + 1];
	dev_t			 dev;		/* its file's, to remove */
	ino_t			 ino;		/* only its own */
	TAILQ_ENTRY(vnc_screen)	 entry;
};

/* A client relayed to the stub. */
struct vnc_link {
	struct vnc_screen	*s;
	int			 fd;
	int			 chan;		/* the stream to the stub */
	struct event		*ev_read;	/* client readable */
	struct event		*ev_write;	/* client writable */
	struct event		*ev_chan;	/* stub readable */
	struct event		*ev_chanw;	/* stub writable */
	size_t			 uplen;		/* client to stub */
	size_t			 downlen;	/* stub to client */
	uint64_t		 upsum, downsum;	/* relayed, for the log */
	unsigned char		 up[VNC_BUF_MAX];
	unsigned char		 down[VNC_BUF_MAX];
};

struct vnc {
	struct stubdmd		*sd;
	char			*dir;
	struct event		*ev_sync;
	TAILQ_HEAD(, vnc_screen) screens;
};

static void __attribute__((format(printf, 3, 4)))
vnc_log(const struct vnc_screen *s, enum log_level lvl, const char *fmt, ...)
{
	struct log_guest lg = { s->name, (int)s->domid, s->stub, NULL };
	struct super_guest *sg = super_get(s->v->sd->super, s->domid);
	char msg[512];
	va_list ap;

	/* Its guest's state, as every guest line has (stubdmd(8)). */
	if (sg != NULL)
		lg.state = guest_state_name(sg->g.state);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_guest(lvl, &lg, NULL, "%s", msg);
}

/* ---- the relay ------------------------------------------------------ */

static void
vnc_link_free(struct vnc_link *l)
{
	if (l == NULL)
		return;
	if (l->ev_read != NULL)
		event_free(l->ev_read);
	if (l->ev_write != NULL)
		event_free(l->ev_write);
	if (l->ev_chan != NULL)
		event_free(l->ev_chan);
	if (l->ev_chanw != NULL)
		event_free(l->ev_chanw);
	if (l->chan != -1)
		close(l->chan);
	if (l->fd != -1)
		close(l->fd);
	if (l->s != NULL)
		l->s->link = NULL;
	free(l);
}

static void
vnc_link_end(struct vnc_link *l, const char *why)
{
	vnc_log(l->s, LOG_LVL_INFO, "client gone (%s) after %llu bytes to "
	    "the stub, %llu from it", why, (unsigned long long)l->upsum,
	    (unsigned long long)l->downsum);
	vnc_link_free(l);
}

/*
 * What a non-blocking send or recv (read) of something moved: n bytes
 * (0: nothing now), or -1 once the stream is over (a read's end of file).
 */
static ssize_t
vnc_moved(ssize_t n, bool read)
{
	if (n == 0 && read)
		return -1;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	return n;
}

/* Move what can move; -1 once the link is over (and freed). */
static int
vnc_link_move(struct vnc_link *l)
{
	ssize_t n, w;

	if (l->uplen > 0) {
		n = send(l->chan, l->up, l->uplen, MSG_DONTWAIT | MSG_NOSIGNAL);
		if ((n = vnc_moved(n, false)) < 0)
			goto stub_gone;
		memmove(l->up, l->up + n, l->uplen - (size_t)n);
		l->uplen -= (size_t)n;
		l->upsum += (uint64_t)n;
	}
	if (l->downlen < sizeof(l->down)) {
		n = recv(l->chan, l->down + l->downlen,
		    sizeof(l->down) - l->downlen, MSG_DONTWAIT);
		if ((n = vnc_moved(n, true)) < 0)
			goto stub_gone;
		l->downlen += (size_t)n;
		l->downsum += (uint64_t)n;
	}
	if (l->downlen > 0) {
		w = send(l->fd, l->down, l->downlen, MSG_DONTWAIT |
		    MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			vnc_link_end(l, strerror(errno));
			return -1;
		}
		if (w > 0) {
			memmove(l->down, l->down + w, l->downlen - (size_t)w);
			l->downlen -= (size_t)w;
		}
	}
	return 0;
stub_gone:
	vnc_link_end(l, "the stub closed its side");
	return -1;
}

/*
 * Watch both ends for what the buffers have room or bytes for (the
 * channel is a stream socket: readable for as long as bytes wait, so it
 * is only watched while there is room for them).
 */
static void
vnc_link_arm(struct vnc_link *l)
{
	if (l->uplen < sizeof(l->up))
		event_add(l->ev_read, NULL);
	else
		event_del(l->ev_read);
	if (l->downlen > 0)
		event_add(l->ev_write, NULL);
	else
		event_del(l->ev_write);
	if (l->downlen < sizeof(l->down))
		event_add(l->ev_chan, NULL);
	else
		event_del(l->ev_chan);
	if (l->uplen > 0)
		event_add(l->ev_chanw, NULL);
	else
		event_del(l->ev_chanw);
}

/* Until nothing moves: each round is bounded by the buffers. */
static void
vnc_link_pump(struct vnc_link *l)
{
	size_t up, down;

	do {
		up = l->uplen;
		down = l->downlen;
		if (vnc_link_move(l) < 0)
			return;
	} while (up != l->uplen || down != l->downlen);
	vnc_link_arm(l);
}

static void
vnc_on_client_read(evutil_socket_t fd, short what, void *arg)
{
	struct vnc_link *l = arg;
	ssize_t n;

	n = recv(fd, l->up + l->uplen, sizeof(l->up) - l->uplen,
	    MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		vnc_link_end(l, n == 0 ? "closed" : strerror(errno));
		return;
	}
	if (n > 0)
		l->uplen += (size_t)n;
	vnc_link_pump(l);
}

/* Either end has bytes or room: move them. */
static void
vnc_on_ready(evutil_socket_t fd, short what, void *arg)
{
	vnc_link_pump(arg);
}

static int
vnc_link_new(struct vnc_screen *s, int fd, int chan)
{
	struct event_base *base = s->v->sd->base;
	struct vnc_link *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return -ENOMEM;
	l->fd = fd;
	l->chan = chan;
	l->ev_read = event_new(base, fd, EV_READ | EV_PERSIST,
	    vnc_on_client_read, l);
	l->ev_write = event_new(base, fd, EV_WRITE | EV_PERSIST,
	    vnc_on_ready, l);
	l->ev_chan = event_new(base, chan, EV_READ | EV_PERSIST,
	    vnc_on_ready, l);
	l->ev_chanw = event_new(base, chan, EV_WRITE | EV_PERSIST,
	    vnc_on_ready, l);
	if (l->ev_read == NULL || l->ev_write == NULL || l->ev_chan == NULL ||
	    l->ev_chanw == NULL) {
		l->fd = -1;	/* the caller closes them */
		l->chan = -1;
		vnc_link_free(l);
		return -ENOMEM;
	}
	l->s = s;
	s->link = l;
	vnc_link_pump(l);
	return 0;
}

/* ---- the sockets ---------------------------------------------------- */

static void
vnc_on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct vnc_screen *s = arg;
	struct hv *hv = s->v->sd->hv;
	int fd, chan = -1, rc;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) ==
	    -1)
		return;
	if (s->link != NULL) {
		vnc_log(s, LOG_LVL_INFO, "a second client refused (one at a "
		    "time)");
		close(fd);
		return;
	}
	rc = hv->ops->chan_open(hv, (uint32_t)s->stub, s->domid,
	    SPAWN_VNC_VCHAN, &chan);
	if (rc == 0 && (rc = vnc_link_new(s, fd, chan)) == 0) {
		vnc_log(s, LOG_LVL_INFO, "client connected to %s",
		    s->path);
		return;
	}
	vnc_log(s, LOG_LVL_WARNING, "cannot reach the stub's screen: "
	    "%s", strerror(-rc));
	if (chan != -1)
		close(chan);
	close(fd);
}

/* The policy's vnc_group: its gid, or (gid_t)-1 for root only. */
static gid_t
vnc_group(const struct vnc *v)
{
	const char *name = policy_global(v->sd->policy)->vnc_group;
	struct group *gr;

	if (name == NULL || *name == '\0' || (gr = getgrnam(name)) == NULL)
		return (gid_t)-1;
	return gr->gr_gid;
}

/* 0600 root's, or 0660 and the group's. */
static int
vnc_screen_own(struct vnc_screen *s, gid_t gid)
{
	if (chown(s->path, (uid_t)-1, gid == (gid_t)-1 ? 0 : gid) == -1 ||
	    chmod(s->path, gid == (gid_t)-1 ? 0600 : 0660) == -1)
		return -errno;
	s->gid = gid;
	return 0;
}

/* Whether the file at its path is still its socket's. */
static bool
vnc_screen_mine(const struct vnc_screen *s)
{
	struct stat st;

	return lstat(s->path, &st) == 0 && st.st_dev == s->dev &&
	    st.st_ino == s->ino;
}

static void
vnc_screen_free(struct vnc_screen *s)
{
	if (s == NULL)
		return;
	vnc_link_free(s->link);
	if (s->ev_accept != NULL)
		event_free(s->ev_accept);
	if (s->lfd != -1) {
		close(s->lfd);
		if (vnc_screen_mine(s))
			unlink(s->path);
	}
	free(s->path);
	free(s);
}

/* Bound with no access but root's, whatever the umask was. */
static int
vnc_screen_bind(struct vnc_screen *s)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st = { 0 };
	mode_t old;
	int rc = 0;

	if (strlen(s->path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, s->path);
	if ((s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		return -errno;
	unlink(s->path);	/* a previous daemon's or stub's */
	old = umask(0177);
	if (bind(s->lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		rc = -errno;
	umask(old);
	if (rc == 0 && listen(s->lfd, 4) == -1)
		rc = -errno;
	if (rc == 0 && lstat(s->path, &st) == -1)
		rc = -errno;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	if (rc < 0) {
		close(s->lfd);
		s->lfd = -1;
	}
	return rc;
}

/* A file name from a guest's name: [A-Za-z0-9._-], else its domid. */
static void
vnc_file_name(const char *name, uint32_t domid, char *buf, size_t size)
{
	const char *p = name != NULL ? name : "";
	bool ok = *p != '\0' && *p != '.' && strlen(p) <= VNC_NAME_MAX;

	for (; ok && *p != '\0'; p++)
		ok = strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p) != NULL;
	if (ok)
		snprintf(buf, size, "%s.sock", name);
	else
		snprintf(buf, size, "domid-%u.sock", domid);
}

static struct vnc_screen *
vnc_screen_new(struct vnc *v, const struct guest *g)
{
	struct vnc_screen *s;
	char file[VNC_NAME_MAX + 16];
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->v = v;
	s->lfd = -1;
	s->domid = g->domid;
	s->stub = g->stub_domid;
	snprintf(s->name, sizeof(s->name), "%s", g->name);
	vnc_file_name(g->name, g->domid, file, sizeof(file));
	if (asprintf(&s->path, "%s/%s", v->dir, file) == -1) {
		s->path = NULL;
		rc = -ENOMEM;
	} else if ((rc = vnc_screen_bind(s)) == 0 &&
	    (rc = vnc_screen_own(s, vnc_group(v))) == 0) {
		s->ev_accept = event_new(v->sd->base, s->lfd,
		    EV_READ | EV_PERSIST, vnc_on_accept, s);
		if (s->ev_accept == NULL || event_add(s->ev_accept, NULL) < 0)
			rc = -ENOMEM;
	}
	if (rc < 0) {
		vnc_log(s, LOG_LVL_WARNING, "no screen socket: %s",
		    strerror(-rc));
		vnc_screen_free(s);
		return NULL;
	}
	vnc_log(s, LOG_LVL_INFO, "the guest's screen is at %s", s->path);
	return s;
}

/* ---- following the guests ------------------------------------------- */

/* The guest's stub serves its screen (spawn.c gives QEMU -vnc). */
static bool
vnc_wanted(const struct super_guest *sg)
{
	const struct guest *g = &sg->g;

	return sg->mode == SUPER_MODE_OWN && g->state == GUEST_RUNNING &&
	    g->stub_domid >= 0 && g->cfg != NULL && g->cfg->stubdom &&
	    g->cfg->image == POLICY_IMAGE_LINUX &&
	    g->cfg->vga != POLICY_VGA_NONE;
}

static struct vnc_screen *
vnc_find(const struct vnc *v, uint32_t domid)
{
	struct vnc_screen *s;

	TAILQ_FOREACH(s, &v->screens, entry)
		if (s->domid == domid)
			return s;
	return NULL;
}

/* s's file moves to PATH (s's from then on); 0 or a negative errno. */
static int
vnc_screen_move(struct vnc_screen *s, char *path, unsigned flags)
{
	if (renameat2(AT_FDCWD, s->path, AT_FDCWD, path, flags) == -1) {
		free(path);
		return -errno;
	}
	free(s->path);
	s->path = path;
	return 0;
}

/*
 * The guest was renamed (xl rename): its socket leaves the old name at
 * once, parked under its domid (another renamed guest may take that
 * name in the same sync: xl rename a z, then b a), ...
 */
static void
vnc_screen_park(struct vnc_screen *s, const struct guest *g)
{
	char *path;
	int rc;

	snprintf(s->want, sizeof(s->want), "%s", g->name);
	if (s->parked)
		return;
	if (asprintf(&path, "%s/.moving-%u.sock", s->v->dir, s->domid) == -1)
		return;
	if ((rc = vnc_screen_move(s, path, 0)) < 0)
		vnc_log(s, LOG_LVL_WARNING, "cannot move %s aside: %s",
		    s->path, strerror(-rc));
	else
		s->parked = true;
}

/*
 * ... and takes the new one once no other screen has it: never over
 * another's file (then next sync).  A bound UNIX socket's file may move;
 * clients on it stay, new ones come by the new name.
 */
static void
vnc_screen_unpark(struct vnc_screen *s)
{
	char file[VNC_NAME_MAX + 16], *path;
	int rc;

	vnc_file_name(s->want, s->domid, file, sizeof(file));
	if (asprintf(&path, "%s/%s", s->v->dir, file) == -1)
		return;
	if ((rc = vnc_screen_move(s, path, RENAME_NOREPLACE)) < 0) {
		if (rc != -EEXIST)
			vnc_log(s, LOG_LVL_WARNING, "cannot move %s to %s/%s: "
			    "%s", s->path, s->v->dir, file, strerror(-rc));
		return;
	}
	s->parked = false;
	snprintf(s->name, sizeof(s->name), "%s", s->want);
	vnc_log(s, LOG_LVL_INFO, "the guest's screen moved to %s", s->path);
}

/* A guest's screen kept: seen, or gone with a rebuilt stub (NULL). */
static struct vnc_screen *
vnc_sync_keep(struct vnc *v, const struct super_guest *sg)
{
	struct vnc_screen *s = vnc_find(v, sg->g.domid);

	if (s != NULL && s->stub != sg->g.stub_domid) {
		/* A rebuilt stub: a new screen; its client goes. */
		TAILQ_REMOVE(&v->screens, s, entry);
		vnc_screen_free(s);
		return NULL;
	}
	if (s == NULL)
		return NULL;
	s->seen = true;
	if (strncmp(s->parked ? s->want : s->name, sg->g.name,
	    sizeof(s->name) - 1) != 0)
		vnc_screen_park(s, &sg->g);
	return s;
}

/* A screen for a guest that has none, and the policy's group on each. */
static void
vnc_sync_add(struct vnc *v, const struct super_guest *sg, gid_t gid)
{
	struct vnc_screen *s = vnc_find(v, sg->g.domid);

	if (s == NULL && (s = vnc_screen_new(v, &sg->g)) != NULL) {
		s->seen = true;
		TAILQ_INSERT_TAIL(&v->screens, s, entry);
	}
	if (s != NULL && s->gid != gid && vnc_screen_own(s, gid) < 0)
		vnc_log(s, LOG_LVL_WARNING, "cannot give %s to the "
		    "policy's vnc_group", s->path);
}

/*
 * In this order: the screens kept (the renamed ones' files parked), the
 * others gone, the new ones bound, the parked ones under their names: no
 * file is taken over or moved while it is another screen's.
 */
void
vnc_sync(struct vnc *v)
{
	struct vnc_screen *s, *next;
	struct super_guest *sg = NULL;
	gid_t gid = vnc_group(v);

	TAILQ_FOREACH(s, &v->screens, entry)
		s->seen = false;
	while ((sg = super_next(v->sd->super, sg)) != NULL)
		if (vnc_wanted(sg))
			vnc_sync_keep(v, sg);
	for (s = TAILQ_FIRST(&v->screens); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (s->seen)
			continue;
		vnc_log(s, LOG_LVL_INFO, "%s removed", s->path);
		TAILQ_REMOVE(&v->screens, s, entry);
		vnc_screen_free(s);
	}
	while ((sg = super_next(v->sd->super, sg)) != NULL)
		if (vnc_wanted(sg))
			vnc_sync_add(v, sg, gid);
	TAILQ_FOREACH(s, &v->screens, entry)
		if (s->parked)
			vnc_screen_unpark(s);
}

static void
vnc_on_sync(evutil_socket_t fd, short what, void *arg)
{
	vnc_sync(arg);
}

const char *
vnc_path(const struct vnc *v, uint32_t domid)
{
	const struct vnc_screen *s = v != NULL ? vnc_find(v, domid) : NULL;

	return s != NULL ? s->path : NULL;
}

/*
 * What a daemon killed before it could clean up left: every screen
 * socket is made anew by this one (the directory is stubdmd's).
 */
static void
vnc_clear_stale(const struct vnc *v)
{
	struct dirent *de;
	char *path;
	size_t len;
	DIR *d;

	if ((d = opendir(v->dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_type != DT_SOCK || len < 6 ||
		    strcmp(de->d_name + len - 5, ".sock") != 0 ||
		    asprintf(&path, "%s/%s", v->dir, de->d_name) == -1)
			continue;
		if (unlink(path) == 0)
			log_info("vnc: removed the stale %s", path);
		free(path);
	}
	closedir(d);
}

/* RUNDIR/vnc, RUNDIR the control socket's directory. */
static int
vnc_mkdir(struct vnc *v)
{
	const char *ctl = control_path(v->sd), *slash = strrchr(ctl, '/');
	int len = slash != NULL ? (int)(slash - ctl) : 1;

	if (asprintf(&v->dir, "%.*s/vnc", len, slash != NULL ? ctl : ".") ==
	    -1) {
		v->dir = NULL;
		return -ENOMEM;
	}
	if (mkdir(v->dir, 0755) == -1 && errno != EEXIST)
		return -errno;
	vnc_clear_stale(v);
	return 0;
}

int
vnc_new(struct stubdmd *sd, struct vnc **out)
{
	struct timeval tv = clock_tv(VNC_SYNC_MS);
	struct vnc *v;
	int rc;

	*out = NULL;
	if (sd->hv->ops->chan_open == NULL)
		return 0;	/* the backend serves no screens */
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return -ENOMEM;
	v->sd = sd;
	TAILQ_INIT(&v->screens);
	if ((rc = vnc_mkdir(v)) < 0) {
		log_warnx("%s: %s; no guest screens", v->dir != NULL ?
		    v->dir : "the run directory", strerror(-rc));
		vnc_free(v);
		return 0;
	}
	v->ev_sync = event_new(sd->base, -1, EV_PERSIST, vnc_on_sync, v);
	if (v->ev_sync == NULL || event_add(v->ev_sync, &tv) < 0) {
		vnc_free(v);
		return -ENOMEM;
	}
	*out = v;
	vnc_sync(v);
	return 0;
}

void
vnc_free(struct vnc *v)
{
	struct vnc_screen *s;

	if (v == NULL)
		return;
	while ((s = TAILQ_FIRST(&v->screens)) != NULL) {
		TAILQ_REMOVE(&v->screens, s, entry);
		vnc_screen_free(s);
	}
	if (v->ev_sync != NULL)
		event_free(v->ev_sync);
	free(v->dir);
	free(v);
}
