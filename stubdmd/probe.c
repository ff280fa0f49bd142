/* SPDX-License-Identifier: GPL-2.0-only */
/* Liveness probes of one device model over QMP (probe.h). */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include "stubdmd/clock.h"
#include "stubdmd/guest.h"
#include "stubdmd/hv.h"
#include "stubdmd/log.h"
#include "stubdmd/probe.h"
#include "stubdmd/qmp.h"

/* A command other than the probe's own, queued behind it (probe_call). */
struct probe_call {
	TAILQ_ENTRY(probe_call)	 link;
	char			 cmd[PROBE_CMD_MAX];
	json_t			*args;
	uint64_t		 timeout_ms;
	probe_call_cb		*cb;
	void			*arg;
};
TAILQ_HEAD(probe_calls, probe_call);

struct probe {
	struct event_base	*base;
	struct hv		*hv;
	const struct guest	*g;
	bool			 libxl;
	struct probe_stats	*st;
	probe_hung_cb		*cb;
	void			*arg;
	struct event		*tick;
	struct event		*timeout;
	struct event		*call_timer;
	struct qmp		*q;
	struct probe_calls	 calls;		/* queued, not sent */
	unsigned		 ncalls;
	struct probe_call	*sent;		/* a call awaits its answer */
	bool			 ready;		/* q's capabilities negotiated */
	bool			 query_sent;	/* the query is on the wire */
	bool			 due;		/* a query waits for a call */
	bool			 in_flight;	/* a query awaits its answer */
	bool			 late;		/* ... and has missed already */
	bool			 unreachable;	/* no QMP to connect to */
	unsigned		 misses;	/* in a row */
	uint64_t		 answered;
};

static struct log_guest
probe_lg(const struct probe *p)
{
	struct log_guest lg = { p->g->name, (int)p->g->domid,
	    p->g->stub_domid, guest_state_name(p->g->state) };

	return lg;
}

static void
probe_arm(struct event *ev, uint64_t ms)
{
	struct timeval tv = clock_tv(ms);

	event_del(ev);
	event_add(ev, &tv);
}

static void
probe_disconnect(struct probe *p)
{
	if (p->q != NULL)
		p->st->connected--;
	qmp_free(p->q);
	p->q = NULL;
	p->ready = p->query_sent = false;
}

static void
probe_call_free(struct probe_call *c)
{
	json_decref(c->args);
	free(c);
}

/* A call answered or failed: off the queue first (cb may call again). */
static void
probe_call_done(struct probe *p, struct probe_call *c, int err,
    const char *why)
{
	if (c == p->sent) {
		p->sent = NULL;
		event_del(p->call_timer);
	} else {
		TAILQ_REMOVE(&p->calls, c, link);
		p->ncalls--;
	}
	c->cb(c->arg, err, why);
	probe_call_free(c);
}

/* Every call, sent or queued, fails with err (their callers are told). */
static void
probe_calls_fail(struct probe *p, int err, const char *why)
{
	p->due = false;		/* the next tick probes */
	if (p->sent != NULL)
		probe_call_done(p, p->sent, err, why);
	while (!TAILQ_EMPTY(&p->calls))
		probe_call_done(p, TAILQ_FIRST(&p->calls), err, why);
}

/*
 * One more probe unanswered; false once the device model is hung (the
 * callback may have freed p: nothing may touch it then).
 */
static bool
probe_miss(struct probe *p)
{
	struct log_guest lg = probe_lg(p);
	unsigned max = p->g->cfg->dm_probe_misses;
	char why[160];

	p->st->misses++;
	p->misses++;
	/* Nothing more is sent to a device model that misses probes. */
	probe_calls_fail(p, -EHOSTDOWN, "the device model does not answer "
	    "its liveness probes");
	log_guest(LOG_LVL_WARNING, &lg, NULL, "device model did not answer "
	    "QMP within %llu ms (%u of %u in a row)",
	    (unsigned long long)p->g->cfg->dm_probe_timeout_ms, p->misses,
	    max);
	if (p->misses < max)
		return true;
	event_del(p->tick);
	event_del(p->timeout);
	snprintf(why, sizeof(why), "device model hung: %u QMP probes in a "
	    "row unanswered within %llu ms", p->misses,
	    (unsigned long long)p->g->cfg->dm_probe_timeout_ms);
	p->cb(p->arg, why);
	return false;
}

static void
probe_answer(struct probe *p)
{
	struct log_guest lg = probe_lg(p);

	event_del(p->timeout);
	p->in_flight = p->late = false;
	p->answered++;
	if (p->misses > 0)
		log_guest(LOG_LVL_INFO, &lg, NULL, "device model answers QMP "
		    "again after %u missed probe%s", p->misses,
		    p->misses == 1 ? "" : "s");
	p->misses = 0;
	/*
	 * libxl's QMP socket serves one client at a time and libxl connects
	 * per operation: an adopted stub's connection is never held.
	 */
	if (p->libxl)
		probe_disconnect(p);
}

static void	probe_start(struct probe *p);

/* Send the next call, if the connection is free and no query waits. */
static void
probe_send_call(struct probe *p)
{
	struct probe_call *c;
	int rc;

	while (p->sent == NULL && (c = TAILQ_FIRST(&p->calls)) != NULL) {
		TAILQ_REMOVE(&p->calls, c, link);
		p->ncalls--;
		p->sent = c;
		if ((rc = qmp_command_args(p->q, c->cmd, c->args)) == 0) {
			probe_arm(p->call_timer, c->timeout_ms);
			return;
		}
		probe_call_done(p, c, rc, "cannot send it");
		if (p->q == NULL || !p->ready)
			return;
	}
}

/*
 * One command on the wire at a time: the probe's query first; a call
 * only while no query is in flight, so a call's time never counts as a
 * miss (a query that falls due meanwhile waits for the call's answer).
 */
static void
probe_pump(struct probe *p)
{
	if (p->q == NULL || !p->ready || p->sent != NULL || p->query_sent)
		return;
	if (p->in_flight) {
		if (qmp_command(p->q, "query-status") == 0)
			p->query_sent = true;
		else
			probe_disconnect(p);	/* the timeout counts it */
		return;
	}
	probe_send_call(p);
}

static void
probe_on_ready(void *arg)
{
	struct probe *p = arg;

	p->ready = true;
	probe_pump(p);
}

/*
 * The call on the wire is over: a query that fell due meanwhile goes
 * first, then its caller is told (and may call again: that queues).
 */
static void
probe_call_over(struct probe *p, int err, const char *why)
{
	struct probe_call *c = p->sent;

	p->sent = NULL;
	event_del(p->call_timer);
	if (p->due) {
		p->due = false;
		probe_start(p);
	}
	c->cb(c->arg, err, why);
	probe_call_free(c);
}

static void
probe_call_answered(struct probe *p, const char *error)
{
	char why[QMP_DESC_MAX + 64];

	if (error != NULL)
		snprintf(why, sizeof(why), "%s%s%s", error,
		    qmp_error_desc(p->q)[0] != '\0' ? ": " : "",
		    qmp_error_desc(p->q));
	probe_call_over(p, error != NULL ? -EREMOTEIO : 0,
	    error != NULL ? why : NULL);
	if (p->q != NULL)
		probe_pump(p);
}

/* Any answer, an error too, says the device model's monitor runs. */
static void
probe_on_reply(void *arg, json_t *ret, const char *error)
{
	struct probe *p = arg;

	if (p->sent != NULL) {
		probe_call_answered(p, error);
	} else if (p->in_flight) {
		p->query_sent = false;
		probe_answer(p);
		if (p->q != NULL)
			probe_pump(p);
	}
}

/* A connection that ends before the answer: that probe missed. */
static void
probe_on_closed(void *arg, bool bad, const char *why)
{
	struct probe *p = arg;
	struct log_guest lg = probe_lg(p);

	if (bad) {
		p->st->bad++;
		log_guest(LOG_LVL_WARNING, &lg, NULL, "QMP connection to the "
		    "device model closed: %s", why);
	} else {
		log_guest(LOG_LVL_DEBUG, &lg, NULL, "QMP connection ended: %s",
		    why);
	}
	probe_disconnect(p);
	probe_calls_fail(p, -ECONNRESET, "the QMP connection ended");
	if (p->in_flight) {
		event_del(p->timeout);
		p->in_flight = false;
		if (!p->late)
			probe_miss(p);	/* may free p */
	}
}

static const struct qmp_ops probe_qmp_ops = {
	.ready = probe_on_ready,
	.reply = probe_on_reply,
	.closed = probe_on_closed,
};

/*
 * A device model with no QMP to connect to (an image that serves none,
 * libxl's socket gone with a rebuilt stub) cannot be probed; that is no
 * miss: a hung one is connected to and does not answer.
 */
static int
probe_connect(struct probe *p)
{
	struct log_guest lg = probe_lg(p);
	int fd = -1, rc;

	rc = p->hv->ops->dm_connect(p->hv, p->g->domid,
	    (uint32_t)p->g->stub_domid, p->libxl, &fd);
	if (rc < 0) {
		if (!p->unreachable)
			log_guest(LOG_LVL_INFO, &lg, NULL, "device model serves "
			    "no QMP (%s); not probed until it does",
			    strerror(-rc));
		p->unreachable = true;
		return rc;
	}
	p->unreachable = false;
	if ((p->q = qmp_new(p->base, fd, &probe_qmp_ops, p)) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	p->st->connected++;
	return 0;
}

/* A query, sent now or once the connection is ready or free. */
static void
probe_start(struct probe *p)
{
	if (p->q == NULL && probe_connect(p) < 0)
		return;
	p->st->probes++;
	p->in_flight = true;
	p->late = p->query_sent = false;
	probe_arm(p->timeout, p->g->cfg->dm_probe_timeout_ms);
	probe_pump(p);
}

static void
probe_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;

	probe_arm(p->tick, p->g->cfg->dm_probe_interval_ms);
	if (p->g->stub_domid < 0)
		return;
	if (p->in_flight) {
		/* Still unanswered a whole interval later: one more miss. */
		if (p->late)
			probe_miss(p);	/* may free p */
		return;
	}
	if (p->sent != NULL)
		p->due = true;	/* after the call's answer or timeout */
	else
		probe_start(p);
}

/*
 * A call unanswered in its time: its caller is told, and the connection
 * goes (a late answer would match no command); the probe goes on.
 */
static void
probe_on_call_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	struct log_guest lg = probe_lg(p);

	log_guest(LOG_LVL_WARNING, &lg, NULL, "device model did not answer "
	    "QMP %s within %llu ms; reconnecting", p->sent->cmd,
	    (unsigned long long)p->sent->timeout_ms);
	probe_disconnect(p);
	probe_call_over(p, -ETIMEDOUT, "no answer in time");
	/* Calls still queued go over a new connection. */
	if (p->q == NULL && !TAILQ_EMPTY(&p->calls) && probe_connect(p) < 0)
		probe_calls_fail(p, -ENOTCONN, "no QMP to reconnect to");
}

/* The first miss of the query in flight; it stays in flight. */
static void
probe_on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;

	p->late = true;
	if (p->q == NULL)
		p->in_flight = false;	/* its connection is gone */
	probe_miss(p);	/* may free p */
}

struct probe *
probe_new(struct event_base *base, struct hv *hv, const struct guest *g,
    bool libxl, struct probe_stats *st, probe_hung_cb *cb, void *arg)
{
	struct probe *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	*p = (struct probe){ .base = base, .hv = hv, .g = g, .libxl = libxl,
	    .st = st, .cb = cb, .arg = arg };
	TAILQ_INIT(&p->calls);
	p->tick = evtimer_new(base, probe_on_tick, p);
	p->timeout = evtimer_new(base, probe_on_timeout, p);
	p->call_timer = evtimer_new(base, probe_on_call_timeout, p);
	if (p->tick == NULL || p->timeout == NULL || p->call_timer == NULL) {
		probe_free(p);
		return NULL;
	}
	probe_arm(p->tick, g->cfg->dm_probe_interval_ms);
	return p;
}

void
probe_free(struct probe *p)
{
	if (p == NULL)
		return;
	if (p->call_timer != NULL)
		probe_calls_fail(p, -ECANCELED, "the device model's probe "
		    "ended");
	probe_disconnect(p);
	if (p->call_timer != NULL)
		event_free(p->call_timer);
	if (p->tick != NULL)
		event_free(p->tick);
	if (p->timeout != NULL)
		event_free(p->timeout);
	free(p);
}

bool
probe_unreachable(const struct probe *p)
{
	return p->unreachable;
}

unsigned
probe_misses(const struct probe *p)
{
	return p->misses;
}

uint64_t
probe_answered(const struct probe *p)
{
	return p->answered;
}

int
probe_call(struct probe *p, const char *cmd, json_t *args,
    uint64_t timeout_ms, probe_call_cb *cb, void *arg)
{
	struct probe_call *c;

	if (p->libxl)
		return -EOPNOTSUPP;
	if (p->misses > 0)
		return -EHOSTDOWN;
	if (p->ncalls + (p->sent != NULL) >= PROBE_CALLS_MAX)
		return -EBUSY;
	if (strlen(cmd) >= sizeof(c->cmd) || (args != NULL &&
	    !json_is_object(args)))
		return -EINVAL;
	if (p->q == NULL && probe_connect(p) < 0)
		return -ENOTCONN;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	snprintf(c->cmd, sizeof(c->cmd), "%s", cmd);
	c->args = json_incref(args);
	c->timeout_ms = timeout_ms;
	c->cb = cb;
	c->arg = arg;
	TAILQ_INSERT_TAIL(&p->calls, c, link);
	p->ncalls++;
	probe_pump(p);
	return 0;
}
