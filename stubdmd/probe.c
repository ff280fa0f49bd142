/* SPDX-License-Identifier: GPL-2.0-only */
/* Liveness probes of one device model over QMP (probe.h). */
#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stubdmd/guest.h"
#include "stubdmd/hv.h"
#include "stubdmd/log.h"
#include "stubdmd/probe.h"
#include "stubdmd/qmp.h"

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
	struct qmp		*q;
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
	struct timeval tv = { (time_t)(ms / 1000),
	    (suseconds_t)(ms % 1000) * 1000 };

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

static void
probe_on_ready(void *arg)
{
	struct probe *p = arg;

	if (p->in_flight && qmp_command(p->q, "query-status") < 0)
		probe_disconnect(p);	/* the timeout counts the miss */
}

/* Any answer, an error too, says the device model's monitor runs. */
static void
probe_on_reply(void *arg, json_t *ret, const char *error)
{
	struct probe *p = arg;

	if (p->in_flight)
		probe_answer(p);
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

static void
probe_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	int rc;

	probe_arm(p->tick, p->g->cfg->dm_probe_interval_ms);
	if (p->g->stub_domid < 0)
		return;
	if (p->in_flight) {
		/* Still unanswered a whole interval later: one more miss. */
		if (p->late)
			probe_miss(p);	/* may free p */
		return;
	}
	if (p->q == NULL && probe_connect(p) < 0)
		return;
	p->st->probes++;
	p->in_flight = true;
	p->late = false;
	probe_arm(p->timeout, p->g->cfg->dm_probe_timeout_ms);
	/* A new connection sends it once capabilities are negotiated. */
	rc = qmp_command(p->q, "query-status");
	if (rc < 0 && rc != -ENOTCONN)
		probe_disconnect(p);	/* the timeout counts the miss */
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
	p->tick = evtimer_new(base, probe_on_tick, p);
	p->timeout = evtimer_new(base, probe_on_timeout, p);
	if (p->tick == NULL || p->timeout == NULL) {
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
	probe_disconnect(p);
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
