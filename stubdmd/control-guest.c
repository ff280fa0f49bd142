/* SPDX-License-Identifier: GPL-2.0-only */
/* The control methods about guests: List, Status, Start, Stop, Restart. */
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
#include "stubdmd/probe.h"
#include "stubdmd/proto.h"
#include "stubdmd/stubdmd.h"
#include "stubdmd/super.h"
#include "stubdmd/vnc.h"
#include "stubdmd/xstore.h"


/* A monotonic time of this boot as wall-clock time. */
static uint64_t
control_mono_to_wall(uint64_t mono_ms)
{
	uint64_t now = clock_now_ms(), wall = clock_wall_ms();

	return mono_ms > now ? wall : wall - (now - mono_ms);
}

static uint64_t
control_age_ms(uint64_t mono_ms)
{
	uint64_t now = clock_now_ms();

	return mono_ms < now ? now - mono_ms : 0;
}

/* ---- guests ------------------------------------------------------- */

/*
 * The device model's liveness: "hung" once on_dm_hang acted, "ok",
 * "unanswered" (probes missed, not yet hung) or "no-qmp" (nothing to
 * connect to) while probed, else null.
 */
static json_t *
control_dm_health(const struct super_guest *sg)
{
	const struct guest *g = &sg->g;

	if (g->state == GUEST_FAILED && g->last_exit == GUEST_EXIT_HUNG)
		return json_string("hung");
	if (sg->probe == NULL)
		return json_null();
	if (probe_unreachable(sg->probe))
		return json_string("no-qmp");
	return json_string(probe_misses(sg->probe) > 0 ? "unanswered" :
	    "ok");
}

static json_t *
control_guest_summary(const struct super_guest *sg)
{
	const struct guest *g = &sg->g;

	return json_pack("{s:o, s:I, s:s, s:s, s:o, s:I, s:s, s:o, s:o}",
	    "name", control_jstr(g->name), "domid", (json_int_t)g->domid,
	    "state", guest_state_name(g->state),
	    "mode", super_mode_name(sg->mode),
	    "stub_domid", control_jdomid(g->stub_domid),
	    "restarts", (json_int_t)g->restarts,
	    "last_exit", guest_exit_name(g->last_exit),
	    "reason", control_jstr(g->reason),
	    "dm_health", control_dm_health(sg));
}

/* The effective settings, as `stubdmd -n -g` prints them. */
static json_t *
control_settings(const struct policy_settings *s)
{
	char *buf = NULL, *line, *save = NULL, *eq;
	json_t *o = json_object();
	size_t len = 0;
	FILE *f;

	if (o == NULL || (f = open_memstream(&buf, &len)) == NULL)
		goto out;
	policy_print(s, f);
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((eq = strstr(line, " =")) == NULL)
			continue;
		*eq = '\0';
		json_object_set_new(o, line, control_jstr(eq[2] == ' ' ?
		    eq + 3 : eq + 2));
	}
out:
	free(buf);
	return o;
}

static json_t *
control_guest_policy(const struct control *c, const struct guest *g)
{
	const struct policy_settings *s;
	const char *section = NULL;
	char *name = NULL;
	json_t *j;

	s = policy_match(c->sd->policy, g->name, g->uuid, &section);
	if (section != NULL && asprintf(&name, "guest \"%s\"", section) < 0)
		return NULL;
	j = json_pack("{s:o, s:o}", "section", control_jstr(name != NULL ?
	    name : "defaults"), "settings", control_settings(s));
	free(name);
	return j;
}

static json_t *
control_dying(const struct guest *g)
{
	json_t *a = json_array();
	unsigned i;

	for (i = 0; a != NULL && i < g->ndying; i++)
		json_array_append_new(a, json_integer(g->dying[i]));
	return a;
}

/*
 * The CD-ROM drives and their media as the stub has them: known once a
 * change was asked for (null before, and after the stub changed).
 */
static json_t *
control_cdroms(const struct super_guest *sg)
{
	const struct super_media *v = sg->media;
	const struct super_medium *m;
	json_t *a;
	unsigned i;

	if (v == NULL || v->stub != sg->g.stub_domid ||
	    (a = json_array()) == NULL)
		return json_null();
	for (i = 0; i < v->n; i++) {
		m = &v->m[i];
		json_array_append_new(a, json_pack("{s:o, s:o}", "device",
		    control_jstr(m->drive.vdev), "medium", m->file[0] != '\0' ?
		    control_jstr(m->file) : json_null()));
	}
	return a;
}

static json_t *
control_guest_detail(const struct control *c, const struct super_guest *sg)
{
	const struct guest *g = &sg->g;
	json_t *o = control_guest_summary(sg);

	if (o == NULL || json_object_update_new(o, json_pack("{s:o, s:I, "
	    "s:i, s:b, s:o, s:o, s:o, s:I, s:o, s:o, s:o}",
	    "uuid", control_jstr(g->uuid),
	    "starts", (json_int_t)g->starts,
	    "ioreq_slots", GUEST_IOREQ_SLOTS,
	    "ever_ran", g->ever_ran,
	    "dying", control_dying(g),
	    "last_exit_time", control_jtime(g->last_exit_wall),
	    "state_since", control_jtime(control_mono_to_wall(g->state_since)),
	    "state_for_ms", (json_int_t)control_age_ms(g->state_since),
	    "policy", control_guest_policy(c, g),
	    "console", sg->console != NULL ? control_jstr(sg->console) :
	    json_null(),
	    "dm_probe_misses", sg->probe != NULL ?
	    json_integer((json_int_t)probe_misses(sg->probe)) :
	    json_null())) < 0 || json_object_set_new(o, "vnc",
	    vnc_path(c->sd->vnc, g->domid) != NULL ?
	    control_jstr(vnc_path(c->sd->vnc, g->domid)) : json_null()) < 0 ||
	    json_object_set_new(o, "cdroms", control_cdroms(sg)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

void
control_list(struct control_call *call)
{
	struct super *s = call->cc->c->sd->super;
	struct super_guest *sg = NULL;
	json_t *a = json_array();

	while (a != NULL && (sg = super_next(s, sg)) != NULL)
		if (json_array_append_new(a, control_guest_summary(sg)) < 0) {
			json_decref(a);
			a = NULL;
		}
	control_reply(call, a != NULL ? json_pack("{s:o}", "guests", a) :
	    NULL);
}

void
control_status(struct control_call *call)
{
	struct super_guest *sg;

	if ((sg = control_param_guest(call)) != NULL)
		control_reply(call, json_pack("{s:o}", "guest",
		    control_guest_detail(call->cc->c, sg)));
}

/* Operator requests apply to the guests whose stub stubdmd keeps. */
static bool
control_supervised(const struct super_guest *sg)
{
	return super_supervised(sg) && (sg->mode == SUPER_MODE_ADOPTED ||
	    sg->g.cfg == NULL || sg->g.cfg->stubdom);
}

typedef int control_op(struct super *, struct super_guest *);

static void
control_log_request(const struct control_conn *cc,
    const struct super_guest *sg, const char *verb)
{
	struct log_guest lg = { sg->g.name, (int)sg->g.domid,
	    sg->g.stub_domid, guest_state_name(sg->g.state) };

	log_guest(LOG_LVL_INFO, &lg, NULL, "%s requested by uid %u pid %d",
	    verb, (unsigned)cc->cred.uid, (int)cc->cred.pid);
}

static void
control_guest_op(struct control_call *call, control_op *op, const char *verb)
{
	struct super *s = call->cc->c->sd->super;
	struct super_guest *sg;
	char key[16];

	if ((sg = control_param_guest(call)) == NULL)
		return;
	if (!control_supervised(sg) || op(s, sg) < 0) {
		control_error(call, PROTO_E_NOT_SUPERVISED, json_pack("{s:o, "
		    "s:s}", "guest", control_jstr(sg->g.name), "mode",
		    super_mode_name(sg->mode)));
		return;
	}
	control_log_request(call->cc, sg, verb);
	/* Look the guest up again: the request may have changed the table. */
	snprintf(key, sizeof(key), "%u", (unsigned)sg->g.domid);
	sg = super_find(s, key);
	control_reply(call, sg != NULL ? json_pack("{s:o}", "guest",
	    control_guest_summary(sg)) : json_object());
}

void
control_start(struct control_call *call)
{
	control_guest_op(call, super_start_guest, "start");
}

void
control_stop(struct control_call *call)
{
	control_guest_op(call, super_stop_guest, "stop");
}

void
control_restart(struct control_call *call)
{
	control_guest_op(call, super_restart_guest, "restart");
}
