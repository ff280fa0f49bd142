/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's side of the builder processes (xlbuild.c): libxl builds,
 * attaches and destroys, queued and handed to a small pool of builders
 * (the policy's builders, forked at start, and again when one died or
 * the policy allows more: then on the forker's thread, not the loop's),
 * each over its own socketpair (builder.h), one request at a time.  A
 * builder that hangs past its request's timeout is killed; one that
 * crashes, is killed or answers what it was not asked costs its own
 * request, never another's or the daemon (which is also why this is not
 * libxl's asynchronous API on the daemon's own loop).
 *
 * Requests go in the order they came, with two exceptions to overtaking
 * that keep what one builder guaranteed by its order: none passes an
 * earlier request on the same domain (an attach and a destroy of one
 * spare), and no build or attach passes an earlier destroy (a stub's
 * rebuild keeps its name, which libxl refuses while the old domain has
 * it).
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stubdmd/builder.h"
#include "stubdmd/clock.h"
#include "stubdmd/hv-xen.h"
#include "stubdmd/lister.h"
#include "stubdmd/log.h"
#include "stubdmd/xlbuild.h"

#define HV_XEN_BUILD_TIMEOUT_S		120
#define HV_XEN_DESTROY_TIMEOUT_S	60
#define HV_XEN_REAP_POLL_MS		20
#define HV_XEN_REAP_POLLS		250	/* then SIGKILL */

static void hv_xen_builder_pump(struct hv_xen *x);
static void hv_xen_builder_cannot(struct hv_xen *x, int err);

/* A domain whose destroy is queued or in hand: dying, as far as anyone asks. */
bool
hv_xen_builder_destroying(const struct hv_xen *x, uint32_t domid)
{
	const struct hv_xen_job *j;

	TAILQ_FOREACH(j, &x->jobs, link)
		if (j->op == BUILDER_DESTROY && j->domid == domid)
			return true;
	return false;
}

static void
hv_xen_builder_job_free(struct hv_xen_job *j)
{
	if (j == NULL)
		return;
	free(j->msg);
	free(j);
}

/* Build and attach answer with a domain, to the caller's callback. */
static bool
hv_xen_builder_reports(enum builder_op op)
{
	return op != BUILDER_DESTROY;
}

static int
hv_xen_builder_timeout_s(enum builder_op op)
{
	return op == BUILDER_DESTROY ? HV_XEN_DESTROY_TIMEOUT_S :
	    HV_XEN_BUILD_TIMEOUT_S;
}

/* Why a builder went away without answering the request in its hands. */
static int
hv_xen_builder_lost_why(const struct hv_xen_builder *b, enum builder_op op,
    int status, char *why, size_t size)
{
	static const char *const whats[] = { [BUILDER_BUILD] = "build",
	    [BUILDER_DESTROY] = "destroy", [BUILDER_ATTACH] = "attach",
	    [BUILDER_DETACH] = "detach" };
	const char *what = whats[op];

	if (b->timed_out) {
		snprintf(why, size, "%s helper timed out after %d s; killed",
		    what, hv_xen_builder_timeout_s(op));
		return -ETIMEDOUT;
	}
	if (b->malformed) {
		snprintf(why, size, "malformed %s report", what);
		return -EPROTO;
	}
	if (status >= 0 && WIFSIGNALED(status))
		snprintf(why, size, "%s helper killed by signal %d without a "
		    "report", what, WTERMSIG(status));
	else
		snprintf(why, size, "%s helper exited (status %d) without a "
		    "report", what, status >= 0 ? WEXITSTATUS(status) : -1);
	return -EIO;
}

/* A builder that died mid-build may leave a paused domain: find it. */
static void
hv_xen_builder_destroy_uuid(struct hv_xen *x, const uint8_t uuid[16])
{
	struct hv_dominfo *v = NULL;
	size_t n = 0, i;

	if (hv_xen_list_all(x, 0, &v, &n) < 0)
		return;
	for (i = 0; i < n; i++)
		if (memcmp(v[i].uuid, uuid, 16) == 0 && !v[i].dying) {
			log_info("xen: destroying domain %u left by a failed "
			    "build", v[i].domid);
			hv_xen_destroy(&x->hv, v[i].domid);
		}
	free(v);
}

/* A build's outcome; a builder lost mid-build may have left a domain. */
static void
hv_xen_builder_built(struct hv_xen_job *j, const struct builder_reply *r,
    bool lost)
{
	uint64_t now = clock_now_us();

	if (j->op == BUILDER_DETACH) {
		if (r->err == 0)
			log_info("xen: stub domain %u lost a disk in %llu ms",
			    r->domid,
			    (unsigned long long)(now - j->queued_us) / 1000);
		return;
	}
	if (j->op == BUILDER_ATTACH) {
		if (r->err == 0)
			log_info("xen: spare stub domain %u given its guest's "
			    "devices in %llu ms", r->domid,
			    (unsigned long long)(now - j->queued_us) / 1000);
		return;	/* a failed one: the daemon destroys the spare */
	}
	/* From the request, as when each build forked its own helper. */
	if (r->err == 0) {
		hv_xen_remember_name(j->x, r->domid, j->name);
		log_info("xen: stub domain %u (%s) built in %llu ms (%llu ms "
		    "of it queued for a builder)", r->domid, j->name,
		    (unsigned long long)(now - j->queued_us) / 1000,
		    (unsigned long long)(j->sent_us - j->queued_us) / 1000);
	} else if (lost)
		hv_xen_builder_destroy_uuid(j->x, j->uuid);
}

static void
hv_xen_builder_destroyed(struct hv_xen_job *j, const struct builder_reply *r)
{
	if (r->err < 0)
		log_warnx("xen: destroying domain %u: %s", j->domid, r->why);
	else
		log_debug("xen: domain %u destroyed", j->domid);
}

/* Its socket closed: the builder reads the end of it and exits. */
static void
hv_xen_builder_hangup(struct hv_xen_builder *b)
{
	if (b->ev_read != NULL)
		event_free(b->ev_read);
	if (b->ev_write != NULL)
		event_free(b->ev_write);
	b->ev_read = b->ev_write = NULL;
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	b->blocked = false;
}

static void hv_xen_builder_lose(struct hv_xen_builder *b, bool kill_it);

/* One beyond the policy's number, idle: it goes (reaped as any other). */
static void
hv_xen_builder_retire(struct hv_xen_builder *b)
{
	if (b->pid < 0 || b->lost || b->job != NULL ||
	    b->slot < b->x->builders)
		return;
	b->retiring = true;
	hv_xen_builder_lose(b, false);
}

/*
 * A request is answered (or lost with its builder): off the queue, then
 * the next ones go.  The daemon's callback runs last: its time is not
 * the backend's stall.
 */
static void
hv_xen_builder_done(struct hv_xen_job *j, const struct builder_reply *r,
    bool lost)
{
	struct hv_xen_t0 t0 = hv_xen_t0_now();
	struct hv_xen *x = j->x;
	struct hv_xen_builder *b = j->b;
	hv_build_cb *cb = hv_xen_builder_reports(j->op) ? j->cb : NULL;
	void *arg = j->arg;
	char why[BUILDER_WHY_MAX];

	TAILQ_REMOVE(&x->jobs, j, link);
	if (b != NULL) {
		b->job = NULL;
		if (!b->lost)
			evtimer_del(b->ev_timer);
	}
	snprintf(why, sizeof(why), "%s", r->why);
	lister_changed(x->lister);
	if (cb != NULL)
		hv_xen_builder_built(j, r, lost);
	else
		hv_xen_builder_destroyed(j, r);
	hv_xen_builder_job_free(j);
	if (b != NULL)
		hv_xen_builder_retire(b);
	hv_xen_builder_pump(x);
	hv_xen_stall(x, t0, "builder result");
	if (cb != NULL)
		cb(arg, r->err, r->err == 0 ? r->domid : 0,
		    r->err == 0 ? NULL : why);
}

/* A builder is gone and reaped: what it had in hand failed. */
static void
hv_xen_builder_gone(struct hv_xen_builder *b, int status)
{
	struct hv_xen_job *j = b->job;
	struct builder_reply r = { 0 };

	if (j != NULL) {
		r.id = j->id;
		r.err = hv_xen_builder_lost_why(b, j->op, status, r.why,
		    sizeof(r.why));
	}
	if (b->retiring && j == NULL)
		log_info("xen: builder process %ld retired", (long)b->pid);
	else
		log_warnx("xen: builder process %ld gone%s%s; another starts "
		    "when needed", (long)b->pid, r.err < 0 ? ": " : "",
		    r.why);
	b->pid = -1;
	b->lost = b->retiring = b->timed_out = b->malformed = false;
	if (j == NULL)
		hv_xen_builder_pump(b->x);
	else if (j->op == BUILDER_DESTROY && !j->resent) {
		log_warnx("xen: destroying domain %u: %s; trying again",
		    j->domid, r.why);
		j->resent = true;
		j->b = NULL;
		b->job = NULL;
		hv_xen_builder_pump(b->x);
	} else
		hv_xen_builder_done(j, &r, true);
}

/* Collect a builder's exit; it may be a moment behind its socket. */
static void
hv_xen_builder_reap(struct hv_xen_builder *b)
{
	struct timeval tv = { 0, HV_XEN_REAP_POLL_MS * 1000 };
	int status = -1;
	pid_t r;

	r = waitpid(b->pid, &status, WNOHANG);
	if (r == b->pid || (r < 0 && errno == ECHILD)) {
		hv_xen_builder_gone(b, r == b->pid ? status : -1);
		return;
	}
	if (++b->polls == HV_XEN_REAP_POLLS)
		kill(b->pid, SIGKILL);
	evtimer_add(b->ev_timer, &tv);
}

/* Its socket closed (or it must die): reap it; another starts later. */
static void
hv_xen_builder_lose(struct hv_xen_builder *b, bool kill_it)
{
	if (kill_it)
		kill(b->pid, SIGKILL);
	hv_xen_builder_hangup(b);
	b->lost = true;
	b->polls = 0;
	evtimer_del(b->ev_timer);
	hv_xen_builder_reap(b);
}

static void
hv_xen_builder_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct hv_xen_builder *b = arg;
	struct hv_xen *x = b->x;
	struct hv_xen_job *j = b->job;
	struct hv_xen_t0 t0 = hv_xen_t0_now();
	struct builder_reply r;
	ssize_t n;

	n = recv(fd, x->rbuf, BUILDER_MSG_MAX + 1, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* A builder with nothing in hand has nothing to say. */
	if (n > 0 && j != NULL && builder_reply_check(j->id, j->op, x->rbuf,
	    (size_t)n, &r) == 0) {
		hv_xen_stall(x, t0, "builder reply");
		hv_xen_builder_done(j, &r, false);
		return;
	}
	if (n > 0) {
		log_warnx("xen: malformed reply from builder process %ld; "
		    "killing it", (long)b->pid);
		b->malformed = true;
	}
	hv_xen_builder_lose(b, n > 0);
	hv_xen_stall(x, t0, "builder lost");
}

/* Its request's deadline; when the builder is lost, the reaper's polls. */
static void
hv_xen_builder_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct hv_xen_builder *b = arg;

	if (b->lost) {
		hv_xen_builder_reap(b);
		return;
	}
	log_warnx("xen: builder process %ld did not answer in time; killing "
	    "it", (long)b->pid);
	b->timed_out = true;
	hv_xen_builder_lose(b, true);
}

static void
hv_xen_builder_on_write(evutil_socket_t fd, short what, void *arg)
{
	struct hv_xen_builder *b = arg;

	b->blocked = false;
	hv_xen_builder_pump(b->x);
}

/* Room for one whole request or reply, whatever the host's default. */
static void
hv_xen_builder_bufs(const int sv[2])
{
	int size = 4 * BUILDER_MSG_MAX;

	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

/* Its socketpair and events: sv[0] the daemon's end, sv[1] the builder's. */
static int
hv_xen_builder_socket(struct hv_xen_builder *b, int sv[2])
{
	struct event_base *base = b->x->hv.base;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	hv_xen_builder_bufs(sv);
	b->ev_read = event_new(base, sv[0], EV_READ | EV_PERSIST,
	    hv_xen_builder_on_read, b);
	b->ev_write = event_new(base, sv[0], EV_WRITE,
	    hv_xen_builder_on_write, b);
	if (b->ev_read != NULL && b->ev_write != NULL)
		return 0;
	hv_xen_builder_hangup(b);
	close(sv[0]);
	close(sv[1]);
	return -ENOMEM;
}

/* The fork made (pid) or not (rc): the daemon's end of it, or nothing. */
static int
hv_xen_builder_forked(struct hv_xen_builder *b, const int sv[2], pid_t pid,
    int rc)
{
	close(sv[1]);
	if (rc < 0) {
		b->pid = -1;
		hv_xen_builder_hangup(b);
		close(sv[0]);
		return rc;
	}
	b->pid = pid;
	b->fd = sv[0];
	fcntl(b->fd, F_SETFL, fcntl(b->fd, F_GETFL) | O_NONBLOCK);
	event_add(b->ev_read, NULL);
	log_info("xen: builder process %ld started (%u of at most %u)",
	    (long)b->pid, b->slot + 1, b->x->builders);
	return 0;
}

/* A builder's fork (on the forker's thread, or at start on the loop). */
struct hv_xen_fork {
	struct hv_xen_builder	*b;
	int			 sv[2];
	pid_t			 parent;
	pid_t			 pid;
	uint64_t		 us;
};

/* The fork; the child serves requests and never returns. */
static int
hv_xen_builder_fork_call(void *ctx, void *arg)
{
	struct hv_xen_fork *f = arg;
	uint64_t t0 = clock_now_us();
	int rc = 0;

	if ((f->pid = fork()) == 0) {
		close(f->sv[0]);
		xlbuild_main(f->sv[1], f->parent);
	}
	if (f->pid < 0)
		rc = -errno;
	f->us = clock_now_us() - t0;
	return rc;
}

/* Forked from the loop, at start, before any other thread runs. */
static int
hv_xen_builder_fork(struct hv_xen_builder *b)
{
	struct hv_xen_fork f = { .b = b, .parent = getpid() };
	int rc;

	if ((rc = hv_xen_builder_socket(b, f.sv)) < 0)
		return rc;
	rc = hv_xen_builder_fork_call(NULL, &f);
	return hv_xen_builder_forked(b, f.sv, f.pid, rc);
}

/* From the loop; -ECANCELED: the daemon ends (the builder dies with it). */
static void
hv_xen_builder_fork_done(void *arg, int err)
{
	struct hv_xen_fork *f = arg;
	struct hv_xen_builder *b = f->b;

	if (err == -ECANCELED) {
		close(f->sv[0]);
		close(f->sv[1]);
		free(f);
		return;
	}
	b->starting = false;
	err = hv_xen_builder_forked(b, f->sv, f->pid, err);
	if (err == 0)
		hv_xen_worker_time(b->x, "builder fork", f->us);
	free(f);
	if (err < 0) {
		log_warnx("xen: cannot start a builder process: %s",
		    strerror(-err));
		hv_xen_builder_cannot(b->x, err);
		return;
	}
	hv_xen_builder_retire(b);
	hv_xen_builder_pump(b->x);
}

/* After start-up: a new builder comes from the forker (then a pump). */
static int
hv_xen_builder_spawn(struct hv_xen_builder *b)
{
	struct hv_xen_fork *f;
	int rc;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -ENOMEM;
	f->b = b;
	f->parent = getpid();
	if ((rc = hv_xen_builder_socket(b, f->sv)) < 0) {
		free(f);
		return rc;
	}
	if ((rc = lister_call(b->x->forker, hv_xen_builder_fork_call,
	    hv_xen_builder_fork_done, f)) < 0) {
		hv_xen_builder_forked(b, f->sv, -1, rc);
		free(f);
		return rc;
	}
	b->starting = true;
	return 0;
}

/* A request that cannot reach a builder fails (from the loop). */
static void
hv_xen_builder_unsent(struct hv_xen_job *j, int err, const char *what)
{
	struct builder_reply r = { .id = j->id, .err = err };

	snprintf(r.why, sizeof(r.why), "%s: %s", what, strerror(-err));
	hv_xen_builder_done(j, &r, false);
}

/* 0: in b's hands or to be tried again; else j failed (and is freed). */
static int
hv_xen_builder_send(struct hv_xen_builder *b, struct hv_xen_job *j)
{
	struct timeval tv = { 0, 0 };
	ssize_t n;

	n = send(b->fd, j->msg, j->len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		b->blocked = true;
		event_add(b->ev_write, NULL);
		return 0;
	}
	if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
		hv_xen_builder_lose(b, false);	/* it died */
		return 0;
	}
	if (n != (ssize_t)j->len) {
		hv_xen_builder_unsent(j, n < 0 ? -errno : -EMSGSIZE,
		    "cannot send to the build helper");
		return -EIO;
	}
	j->b = b;
	b->job = j;
	j->sent_us = clock_now_us();
	tv.tv_sec = hv_xen_builder_timeout_s(j->op);
	evtimer_add(b->ev_timer, &tv);
	return 0;
}

/* A destroy under way: the worker stopping a domain, or a builder's. */
static bool
hv_xen_builder_destroys(const struct hv_xen *x)
{
	const struct hv_xen_job *o;

	if (!TAILQ_EMPTY(&x->destroys))
		return true;
	TAILQ_FOREACH(o, &x->jobs, link)
		if (o->op == BUILDER_DESTROY)
			return true;
	return false;
}

/*
 * j may go now: it passes no earlier request it must wait for, and no
 * build or attach runs beside a destroy.  A destroy reaches the builders
 * only once the worker has stopped its domain, after requests made
 * later: a stub replaced at once (stubdmctl restart, restore-state)
 * would be built while the old one, of the same name, still exists.
 */
static bool
hv_xen_builder_may_send(const struct hv_xen *x, const struct hv_xen_job *j)
{
	const struct hv_xen_job *o;

	if (j->op != BUILDER_DESTROY && hv_xen_builder_destroys(x))
		return false;
	for (o = TAILQ_FIRST(&x->jobs); o != j; o = TAILQ_NEXT(o, link))
		if (!builder_may_pass(j->op, j->domid, o->op, o->domid))
			return false;
	return true;
}

/*
 * An idle builder within the policy's number, else NULL; then a new one
 * is started in an empty slot, if there is one (*rc: if it cannot be).
 */
static struct hv_xen_builder *
hv_xen_builder_pick(struct hv_xen *x, int *rc)
{
	struct hv_xen_builder *b, *empty = NULL;
	unsigned i;

	*rc = 0;
	for (i = 0; i < x->builders; i++) {
		b = &x->b[i];
		if (b->pid > 0 && !b->lost && b->job == NULL && !b->blocked)
			return b;
		if (b->pid < 0 && !b->lost && !b->starting && empty == NULL)
			empty = b;
	}
	if (empty != NULL)
		*rc = hv_xen_builder_spawn(empty);
	return NULL;
}

/* Whether any builder is alive or starting (it takes the request later). */
static bool
hv_xen_builder_any(const struct hv_xen *x)
{
	unsigned i;

	for (i = 0; i < HV_BUILDERS_MAX; i++)
		if (x->b[i].pid > 0 || x->b[i].starting)
			return true;
	return false;
}

/*
 * No builder could be started: with none alive or starting, the first
 * request waiting for one fails (then the next one tries).
 */
static void
hv_xen_builder_cannot(struct hv_xen *x, int err)
{
	struct hv_xen_job *j;

	if (hv_xen_builder_any(x))
		return;
	TAILQ_FOREACH(j, &x->jobs, link)
		if (j->b == NULL && hv_xen_builder_may_send(x, j)) {
			hv_xen_builder_unsent(j, err, "cannot start the "
			    "build helper");
			hv_xen_builder_pump(x);
			return;
		}
}

/*
 * Requests go to idle builders in the order they came (but for what
 * hv_xen_builder_may_send holds back); the daemon never waits on a
 * builder, nor on a new one's fork (the forker's).
 */
static void
hv_xen_builder_pump_now(evutil_socket_t fd, short what, void *arg)
{
	struct hv_xen *x = arg;
	struct hv_xen_builder *b;
	struct hv_xen_job *j;
	struct hv_xen_t0 t0 = hv_xen_t0_now();
	int rc;

	TAILQ_FOREACH(j, &x->jobs, link) {
		if (j->b != NULL || !hv_xen_builder_may_send(x, j))
			continue;
		if ((b = hv_xen_builder_pick(x, &rc)) == NULL) {
			if (rc < 0)
				hv_xen_builder_cannot(x, rc);
			break;
		}
		if (hv_xen_builder_send(b, j) < 0) {
			hv_xen_builder_pump(x);	/* j is gone: from the top */
			break;
		}
	}
	hv_xen_stall(x, t0, "builder request");
}

/* From the loop, never from inside a caller of the backend. */
static void
hv_xen_builder_pump(struct hv_xen *x)
{
	struct timeval now = { 0, 0 };

	evtimer_add(x->ev_pump, &now);
}

void
hv_xen_builder_kick(struct hv_xen *x)
{
	hv_xen_builder_pump(x);
}

/* A request at the tail of the queue. */
static int
hv_xen_builder_queue(struct hv_xen *x, struct hv_xen_job *j,
    struct builder_req *req)
{
	int rc;

	j->x = x;
	j->id = req->id = ++x->next_id;
	j->queued_us = clock_now_us();
	if ((rc = builder_req_encode(req, &j->msg, &j->len)) < 0)
		return rc;
	TAILQ_INSERT_TAIL(&x->jobs, j, link);
	hv_xen_builder_pump(x);
	return 0;
}

static int
hv_xen_builder_spec_check(enum builder_op op, const struct hv_stub_spec *spec)
{
	if (spec->name == NULL || spec->name[0] == '\0' ||
	    strlen(spec->name) >= HV_XEN_NAME_MAX)
		return -EINVAL;
	if (spec->devices.ndisks > HV_DISKS_MAX ||
	    spec->devices.nnics > HV_NICS_MAX)
		return -E2BIG;
	/* A running stub's devices: what it was built from is not asked. */
	if (op == BUILDER_ATTACH || op == BUILDER_DETACH)
		return 0;
	/* Empty for an adopted stub: libxl's saved configuration names it. */
	if (spec->kernel == NULL || (spec->kernel[0] == '\0' &&
	    !spec->from_libxl))
		return -ENOENT;
	if (spec->memory_mib == 0 || spec->vcpus == 0 || spec->vcpus > 128)
		return -EINVAL;
	if (spec->devices.ndisks > HV_DISKS_MAX ||
	    spec->devices.nnics > HV_NICS_MAX)
		return -E2BIG;
	return 0;
}

/*
 * A build, an attach to a running stub (a spare, a CD's medium) or a
 * detach from one: queued for a builder.
 */
int
hv_xen_builder_spec(struct hv_xen *x, enum builder_op op, uint32_t stub,
    const struct hv_stub_spec *spec, hv_build_cb *cb, void *arg)
{
	struct builder_req req = { .op = op, .domid = stub, .spec = *spec };
	struct hv_xen_job *j;
	int rc;

	if ((rc = hv_xen_builder_spec_check(op, spec)) < 0)
		return rc;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -ENOMEM;
	j->op = op;
	j->domid = stub;
	j->cb = cb;
	j->arg = arg;
	memcpy(j->uuid, spec->uuid, sizeof(j->uuid));
	snprintf(j->name, sizeof(j->name), "%s", spec->name);
	if ((rc = hv_xen_builder_queue(x, j, &req)) < 0)
		hv_xen_builder_job_free(j);
	return rc;
}

/* A destroy, queued; the caller paused the domain already. */
int
hv_xen_builder_destroy(struct hv_xen *x, uint32_t domid)
{
	struct builder_req req = { .op = BUILDER_DESTROY, .domid = domid };
	struct hv_xen_job *j;
	int rc;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -ENOMEM;
	j->op = BUILDER_DESTROY;
	j->domid = domid;
	if ((rc = hv_xen_builder_queue(x, j, &req)) < 0)
		hv_xen_builder_job_free(j);
	return rc;
}

/* Every builder the policy allows, forked before any request needs one. */
int
hv_xen_builder_start(struct hv_xen *x)
{
	unsigned i;
	int rc = 0, e;

	for (i = 0; i < x->builders; i++)
		if (x->b[i].pid < 0 && !x->b[i].lost &&
		    (e = hv_xen_builder_fork(&x->b[i])) < 0 && rc == 0)
			rc = e;
	return rc;
}

/*
 * More builders start when requests need them; fewer: the idle ones
 * beyond the number go now, the busy ones once they have answered.
 */
void
hv_xen_builder_set_max(struct hv_xen *x, unsigned n)
{
	unsigned i;

	x->builders = n < 1 ? 1 : n > HV_BUILDERS_MAX ? HV_BUILDERS_MAX : n;
	for (i = x->builders; i < HV_BUILDERS_MAX; i++)
		hv_xen_builder_retire(&x->b[i]);
	hv_xen_builder_pump(x);
}

int
hv_xen_builder_open(struct hv_xen *x)
{
	struct hv_xen_builder *b;
	unsigned i;

	TAILQ_INIT(&x->jobs);
	x->builders = 1;
	for (i = 0; i < HV_BUILDERS_MAX; i++) {
		b = &x->b[i];
		b->x = x;
		b->slot = i;
		b->pid = -1;
		b->fd = -1;
		if ((b->ev_timer = evtimer_new(x->hv.base,
		    hv_xen_builder_on_timer, b)) == NULL)
			return -ENOMEM;
	}
	x->rbuf = malloc(BUILDER_MSG_MAX + 1);
	x->ev_pump = evtimer_new(x->hv.base, hv_xen_builder_pump_now, x);
	return x->rbuf == NULL || x->ev_pump == NULL ? -ENOMEM : 0;
}

/*
 * A build or attach in a builder's hands is killed with it (its stub is
 * found by UUID after a restart); a destroy finishes, then its builder
 * reads the end of its socket.  Queued requests are dropped.
 */
static void
hv_xen_builder_end(struct hv_xen_builder *b)
{
	if (b->pid > 0 && !b->lost && b->job != NULL &&
	    hv_xen_builder_reports(b->job->op))
		kill(b->pid, SIGKILL);
	hv_xen_builder_hangup(b);
	if (b->pid > 0)
		waitpid(b->pid, NULL, 0);
	if (b->ev_timer != NULL)
		event_free(b->ev_timer);
}

void
hv_xen_builder_close(struct hv_xen *x)
{
	struct hv_xen_job *j;
	unsigned i;

	for (i = 0; i < HV_BUILDERS_MAX; i++)
		if (x->b[i].x != NULL)
			hv_xen_builder_end(&x->b[i]);
	while ((j = TAILQ_FIRST(&x->jobs)) != NULL) {
		TAILQ_REMOVE(&x->jobs, j, link);
		hv_xen_builder_job_free(j);
	}
	if (x->ev_pump != NULL)
		event_free(x->ev_pump);
	free(x->rbuf);
}
