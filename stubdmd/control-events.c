/* SPDX-License-Identifier: GPL-2.0-only */
/* The ring of recent state changes, and the Events method that streams it. */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <grp.h>
#include <jansson.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "stubdmd/clock.h"
#include "stubdmd/control.h"
#include "stubdmd/control-int.h"
#include "stubdmd/hv.h"
#include "stubdmd/idl.h"
#include "stubdmd/log.h"
#include "stubdmd/metrics.h"
#include "stubdmd/policy.h"
#include "stubdmd/proto.h"
#include "stubdmd/stubdmd.h"
#include "stubdmd/super.h"
#include "stubdmd/xstore.h"

/* ---- state changes ------------------------------------------------ */

static json_t *
control_event(const struct super_guest *sg, enum guest_state old)
{
	const struct guest *g = &sg->g;

	return json_pack("{s:o, s:o, s:I, s:o, s:s, s:s, s:o}",
	    "time", control_jtime(clock_wall_ms()),
	    "guest", control_jstr(g->name), "domid", (json_int_t)g->domid,
	    "stub_domid", control_jdomid(g->stub_domid),
	    "old", guest_state_name(old), "new", guest_state_name(g->state),
	    "reason", control_jstr(g->reason));
}

static json_t *
control_history(const struct control *c)
{
	json_t *a = json_array();
	uint64_t i;

	i = c->nhistory > CONTROL_HISTORY ? c->nhistory - CONTROL_HISTORY : 0;
	for (; a != NULL && i < c->nhistory; i++)
		json_array_append(a, c->history[i % CONTROL_HISTORY]);
	return a;
}

static json_t *
control_events_msg(json_t *events)
{
	return json_pack("{s:{s:o}, s:b}", "parameters", "events", events,
	    "continues", 1);
}

void
control_on_change(void *arg, const struct super_guest *sg,
    enum guest_state old)
{
	struct control *c = arg;
	struct control_conn *cc, *next;
	json_t **slot, *ev;

	if ((ev = control_event(sg, old)) == NULL)
		return;
	slot = &c->history[c->nhistory++ % CONTROL_HISTORY];
	json_decref(*slot);
	*slot = ev;
	/* control_send may unlink cc (a slow client), never another. */
	for (cc = TAILQ_FIRST(&c->conns); cc != NULL; cc = next) {
		next = TAILQ_NEXT(cc, link);
		if (cc->follow)
			control_send(cc, control_events_msg(json_pack("[O]",
			    ev)));
	}
}

void
control_events(struct control_call *call)
{
	struct control_conn *cc = call->cc;
	bool follow;

	if (control_param_bool(call, "follow", &follow) < 0)
		return;
	if (follow && (!call->more || call->oneway)) {
		control_bad_param(call, "follow");	/* needs "more" */
		return;
	}
	if (!follow) {
		control_reply(call, json_pack("{s:o}", "events",
		    control_history(cc->c)));
		return;
	}
	control_send(cc, control_events_msg(control_history(cc->c)));
	cc->follow = true;
}
