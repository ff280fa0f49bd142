/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's side of the builder process (xlbuild.c): libxl builds,
 * attaches and destroys, queued and sent to one builder, forked at start
 * (and again when it dies), over a socketpair (builder.h), one request at
 * a time in the order they came.  A builder that hangs past the request's
 * timeout is killed; one that crashes or is killed costs the request in
 * flight, never the daemon (which is also why this is not libxl's
 * asynchronous API on the daemon's own loop).
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
#include "stubdmd/hv-xen.h"
#include "stubdmd/log.h"
#include "stubdmd/xlbuild.h"

#define HV_XEN_BUILD_TIMEOUT_S		120
#define HV_XEN_DESTROY_TIMEOUT_S	60
#define HV_XEN_REAP_POLL_MS		20
#define HV_XEN_REAP_POLLS		250	/* then SIGKILL */

static void hv_xen_builder_pump(struct hv_xen *x);

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

/* Why the builder went away without answering the request in flight. */
static int
hv_xen_builder_lost_why(const struct hv_xen_builder *b, enum builder_op op,
    int status, char *why, size_t size)
{
	static const char *const whats[] = { [BUILDER_BUILD] = "build",
	    [BUILDER_DESTROY] = "destroy", [BUILDER_ATTACH] = "attach" };
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
	uint64_t now = hv_xen_now_us();

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
		log_info("xen: stub domain %u built in %llu ms (%llu ms of it "
		    "queued for the builder)", r->domid,
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

/*
 * The head request is answered (or lost with the builder): off the queue,
 * then the next one goes.  The daemon's callback runs last: its time is
 * not the backend's stall.
 */
static void
hv_xen_builder_done(struct hv_xen_job *j, const struct builder_reply *r,
    bool lost)
{
	uint64_t t0 = hv_xen_now_us();
	struct hv_xen *x = j->x;
	hv_build_cb *cb = hv_xen_builder_reports(j->op) ? j->cb : NULL;
	void *arg = j->arg;
	char why[BUILDER_WHY_MAX];

	TAILQ_REMOVE(&x->jobs, j, link);
	if (x->b.ev_timer != NULL && !x->b.lost)
		evtimer_del(x->b.ev_timer);
	snprintf(why, sizeof(why), "%s", r->why);
	if (cb != NULL)
		hv_xen_builder_built(j, r, lost);
	else
		hv_xen_builder_destroyed(j, r);
	hv_xen_builder_job_free(j);
	hv_xen_builder_pump(x);
	hv_xen_stall(x, t0, "builder result");
	if (cb != NULL)
		cb(arg, r->err, r->err == 0 ? r->domid : 0,
		    r->err == 0 ? NULL : why);
}

/* The builder is gone and reaped: what it had in hand failed. */
static void
hv_xen_builder_gone(struct hv_xen *x, int status)
{
	struct hv_xen_job *j = TAILQ_FIRST(&x->jobs);
	struct builder_reply r = { 0 };

	if (j != NULL && j->sent) {
		r.id = j->id;
		r.err = hv_xen_builder_lost_why(&x->b, j->op, status, r.why,
		    sizeof(r.why));
		j->sent = false;
	}
	log_warnx("xen: builder process %ld gone%s%s; the next request "
	    "starts another", (long)x->b.pid, r.err < 0 ? ": " : "", r.why);
	x->b.pid = -1;
	x->b.lost = false;
	x->b.timed_out = x->b.malformed = false;
	if (r.err == 0)
		hv_xen_builder_pump(x);
	else if (j->op == BUILDER_DESTROY && !j->resent) {
		log_warnx("xen: destroying domain %u: %s; trying again",
		    j->domid, r.why);
		j->resent = true;
		hv_xen_builder_pump(x);
	} else
		hv_xen_builder_done(j, &r, true);
}

/* Collect the builder's exit; it may be a moment behind its socket. */
static void
hv_xen_builder_reap(struct hv_xen *x)
{
	struct timeval tv = { 0, HV_XEN_REAP_POLL_MS * 1000 };
	int status = -1;
	pid_t r;

	r = waitpid(x->b.pid, &status, WNOHANG);
	if (r == x->b.pid || (r < 0 && errno == ECHILD)) {
		hv_xen_builder_gone(x, r == x->b.pid ? status : -1);
		return;
	}
	if (++x->b.polls == HV_XEN_REAP_POLLS)
		kill(x->b.pid, SIGKILL);
	evtimer_add(x->b.ev_timer, &tv);
}

/* The loop's end of the socket (the process is reaped apart). */
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
}

/* Its socket closed (or it must die): reap it, then start another. */
static void
hv_xen_builder_lose(struct hv_xen *x, bool kill_it)
{
	struct hv_xen_builder *b = &x->b;

	if (kill_it)
		kill(b->pid, SIGKILL);
	hv_xen_builder_hangup(b);
	b->lost = true;
	b->polls = 0;
	evtimer_del(b->ev_timer);
	hv_xen_builder_reap(x);
}

/* A reply must answer the request in flight, with what that asks for. */
static int
hv_xen_builder_check(const struct hv_xen_job *j, const char *buf, ssize_t n,
    struct builder_reply *r)
{
	if (j == NULL || !j->sent || n > BUILDER_MSG_MAX ||
	    builder_reply_decode(buf, (size_t)n, r) < 0 || r->id != j->id)
		return -EPROTO;
	if (r->err == 0 && hv_xen_builder_reports(j->op) != (r->domid != 0))
		return -EPROTO;
	return 0;
}

static void
hv_xen_builder_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct hv_xen *x = arg;
	uint64_t t0 = hv_xen_now_us();
	struct hv_xen_job *j = TAILQ_FIRST(&x->jobs);
	struct builder_reply r;
	ssize_t n;

	n = recv(fd, x->b.rbuf, BUILDER_MSG_MAX + 1, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0 && hv_xen_builder_check(j, x->b.rbuf, n, &r) == 0) {
		hv_xen_stall(x, t0, "builder reply");
		hv_xen_builder_done(j, &r, false);
		return;
	}
	if (n > 0) {
		log_warnx("xen: malformed reply from builder process %ld; "
		    "killing it", (long)x->b.pid);
		x->b.malformed = true;
	}
	hv_xen_builder_lose(x, n > 0);
	hv_xen_stall(x, t0, "builder lost");
}

/* The head's deadline; when the builder is lost, the reaper's polls. */
static void
hv_xen_builder_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct hv_xen *x = arg;

	if (x->b.lost) {
		hv_xen_builder_reap(x);
		return;
	}
	log_warnx("xen: builder process %ld did not answer in time; killing "
	    "it", (long)x->b.pid);
	x->b.timed_out = true;
	hv_xen_builder_lose(x, true);
}

static void
hv_xen_builder_on_write(evutil_socket_t fd, short what, void *arg)
{
	hv_xen_builder_pump(arg);
}

/* Room for one whole request or reply, whatever the host's default. */
static void
hv_xen_builder_bufs(const int sv[2])
{
	int size = 4 * BUILDER_MSG_MAX;

	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

/* Forked from the daemon: at start, and again after one died. */
static int
hv_xen_builder_fork(struct hv_xen *x)
{
	struct hv_xen_builder *b = &x->b;
	pid_t parent = getpid();
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	hv_xen_builder_bufs(sv);
	b->ev_read = event_new(x->hv.base, sv[0], EV_READ | EV_PERSIST,
	    hv_xen_builder_on_read, x);
	b->ev_write = event_new(x->hv.base, sv[0], EV_WRITE,
	    hv_xen_builder_on_write, x);
	rc = b->ev_read == NULL || b->ev_write == NULL ? -ENOMEM : 0;
	if (rc == 0 && (b->pid = fork()) < 0)
		rc = -errno;
	if (rc < 0) {
		b->pid = -1;
		hv_xen_builder_hangup(b);
		close(sv[0]);
		close(sv[1]);
		return rc;
	}
	if (b->pid == 0) {
		close(sv[0]);
		xlbuild_main(sv[1], parent);
	}
	close(sv[1]);
	b->fd = sv[0];
	fcntl(b->fd, F_SETFL, fcntl(b->fd, F_GETFL) | O_NONBLOCK);
	event_add(b->ev_read, NULL);
	log_info("xen: builder process %ld started", (long)b->pid);
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

static void
hv_xen_builder_send(struct hv_xen *x, struct hv_xen_job *j)
{
	struct timeval tv = { 0, 0 };
	ssize_t n;
	int rc;

	if (x->b.pid < 0 && (rc = hv_xen_builder_fork(x)) < 0) {
		hv_xen_builder_unsent(j, rc, "cannot start the build helper");
		return;
	}
	n = send(x->b.fd, j->msg, j->len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		event_add(x->b.ev_write, NULL);
		return;
	}
	if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
		hv_xen_builder_lose(x, false);	/* it died */
		return;
	}
	if (n != (ssize_t)j->len) {
		hv_xen_builder_unsent(j, n < 0 ? -errno : -EMSGSIZE,
		    "cannot send to the build helper");
		return;
	}
	j->sent = true;
	j->sent_us = hv_xen_now_us();
	tv.tv_sec = hv_xen_builder_timeout_s(j->op);
	evtimer_add(x->b.ev_timer, &tv);
}

/*
 * The head of the queue goes to the builder, one request at a time: the
 * builder serves them in order, and the daemon never waits on it.  A new
 * builder's fork counts in the loop's stall.
 */
static void
hv_xen_builder_pump_now(evutil_socket_t fd, short what, void *arg)
{
	struct hv_xen *x = arg;
	struct hv_xen_job *j = TAILQ_FIRST(&x->jobs);
	uint64_t t0 = hv_xen_now_us();

	if (j == NULL || j->sent || x->b.lost)
		return;
	hv_xen_builder_send(x, j);
	hv_xen_stall(x, t0, "builder request");
}

/* From the loop, never from inside a caller of the backend. */
static void
hv_xen_builder_pump(struct hv_xen *x)
{
	struct timeval now = { 0, 0 };

	evtimer_add(x->ev_pump, &now);
}

/* A request at the tail of the queue. */
static int
hv_xen_builder_queue(struct hv_xen *x, struct hv_xen_job *j,
    struct builder_req *req)
{
	int rc;

	j->x = x;
	j->id = req->id = ++x->next_id;
	j->queued_us = hv_xen_now_us();
	if ((rc = builder_req_encode(req, &j->msg, &j->len)) < 0)
		return rc;
	TAILQ_INSERT_TAIL(&x->jobs, j, link);
	hv_xen_builder_pump(x);
	return 0;
}

static int
hv_xen_builder_spec_check(const struct hv_stub_spec *spec)
{
	if (spec->name == NULL || spec->name[0] == '\0' ||
	    strlen(spec->name) >= HV_XEN_NAME_MAX)
		return -EINVAL;
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

/* A build, or an attach to the running spare stub: queued for the builder. */
int
hv_xen_builder_spec(struct hv_xen *x, enum builder_op op, uint32_t stub,
    const struct hv_stub_spec *spec, hv_build_cb *cb, void *arg)
{
	struct builder_req req = { .op = op, .domid = stub, .spec = *spec };
	struct hv_xen_job *j;
	int rc;

	if ((rc = hv_xen_builder_spec_check(spec)) < 0)
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

int
hv_xen_builder_start(struct hv_xen *x)
{
	return x->b.pid < 0 && !x->b.lost ? hv_xen_builder_fork(x) : 0;
}

int
hv_xen_builder_open(struct hv_xen *x)
{
	TAILQ_INIT(&x->jobs);
	x->b.pid = -1;
	x->b.fd = -1;
	x->b.rbuf = malloc(BUILDER_MSG_MAX + 1);
	x->b.ev_timer = evtimer_new(x->hv.base, hv_xen_builder_on_timer, x);
	x->ev_pump = evtimer_new(x->hv.base, hv_xen_builder_pump_now, x);
	if (x->b.rbuf == NULL || x->b.ev_timer == NULL || x->ev_pump == NULL)
		return -ENOMEM;
	return 0;
}

/*
 * A build in flight is killed with the builder (its stub is found by UUID
 * after a restart); a destroy in flight finishes, then the builder reads
 * the end of its socket.  Queued requests are dropped.
 */
void
hv_xen_builder_close(struct hv_xen *x)
{
	struct hv_xen_job *j = TAILQ_FIRST(&x->jobs);

	if (x->b.pid > 0 && !x->b.lost && j != NULL && j->sent &&
	    hv_xen_builder_reports(j->op))
		kill(x->b.pid, SIGKILL);
	hv_xen_builder_hangup(&x->b);
	if (x->b.pid > 0)
		waitpid(x->b.pid, NULL, 0);
	while ((j = TAILQ_FIRST(&x->jobs)) != NULL) {
		TAILQ_REMOVE(&x->jobs, j, link);
		hv_xen_builder_job_free(j);
	}
	if (x->b.ev_timer != NULL)
		event_free(x->b.ev_timer);
	if (x->ev_pump != NULL)
		event_free(x->ev_pump);
	free(x->b.rbuf);
}
