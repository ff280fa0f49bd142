/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket server (io.stubdm.varlink): a UNIX stream socket,
 * peer credentials read at accept, NUL-framed JSON calls capped before
 * they are buffered, one dispatch table that marks each method read-only
 * or privileged, and a ring of recent state changes that Events streams.
 */
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
#include "stubdmd/hv.h"
#include "stubdmd/idl.h"
#include "stubdmd/log.h"
#include "stubdmd/metrics.h"
#include "stubdmd/policy.h"
#include "stubdmd/proto.h"
#include "stubdmd/stubdmd.h"
#include "stubdmd/super.h"
#include "stubdmd/vnc.h"
#include "stubdmd/xstore.h"

#define CONTROL_CONNS_MAX	POLICY_CONNS_MAX
#define CONTROL_REFUSE_LOG_S	10	/* refusals: one log line per burst */
#define CONTROL_BACKLOG		128
#define CONTROL_OUT_MAX		(1024 * 1024)	/* queued for one client */
#define CONTROL_WRITE_TIMEOUT	30		/* s without progress */
#define CONTROL_HISTORY		256		/* state changes kept */
#define CONTROL_GROUPS_MAX	65536
#define CONTROL_DOMID_MAX	0x7ff0		/* DOMID_FIRST_RESERVED */

struct control;

struct control_conn {
	struct control		*c;
	struct bufferevent	*bev;
	struct ucred		 cred;
	bool			 follow;	/* streaming Events */
	bool			 closing;	/* close once output is sent */
	bool			 dead;		/* waiting to be freed */
	TAILQ_ENTRY(control_conn) link;
};
TAILQ_HEAD(control_conns, control_conn);

struct control {
	struct stubdmd		*sd;
	struct evconnlistener	*listener;
	struct event		*ev_reap;	/* frees dead connections */
	struct event		*ev_resume;	/* after an accept error */
	struct event		*ev_refused;	/* pending: in a burst */
	char			*path;		/* NULL: not ours to unlink */
	dev_t			 dev;
	ino_t			 ino;
	struct control_conns	 conns;
	struct control_conns	 dead;
	size_t			 nconns;
	json_t			*history[CONTROL_HISTORY];
	uint64_t		 nhistory;	/* recorded, all time */
	uint64_t		 served;	/* connections accepted */
	uint64_t		 calls;
	uint64_t		 rejected;
	uint64_t		 dropped;	/* slow or bad clients */
	uint64_t		 refused;	/* over a connection limit */
	uint64_t		 refused_burst;	/* not logged yet */
};

/* One call being answered. */
struct control_call {
	struct control_conn	*cc;
	const char		*method;
	json_t			*params;
	int			 more;
	int			 oneway;
};

typedef void control_method_fn(struct control_call *call);

struct control_method {
	const char		*name;
	bool			 privileged;
	control_method_fn	*fn;
};

/* ---- JSON values -------------------------------------------------- */

/* A JSON string from an untrusted C string: invalid UTF-8 becomes '?'. */
static json_t *
control_jstr(const char *s)
{
	json_t *j;
	char *copy, *p;

	if (s == NULL)
		s = "";
	if ((j = json_string(s)) != NULL || (copy = strdup(s)) == NULL)
		return j;
	for (p = copy; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static json_t *
control_jdomid(int domid)
{
	return domid < 0 ? json_null() : json_integer(domid);
}

/* ISO 8601 UTC with milliseconds, or null for "never". */
static json_t *
control_jtime(uint64_t wall_ms)
{
	time_t t = (time_t)(wall_ms / 1000);
	char buf[48];
	struct tm tm;
	size_t n;

	if (wall_ms == 0 || gmtime_r(&t, &tm) == NULL ||
	    (n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm)) == 0)
		return json_null();
	snprintf(buf + n, sizeof(buf) - n, ".%03uZ",
	    (unsigned)(wall_ms % 1000));
	return json_string(buf);
}

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

/* ---- connections -------------------------------------------------- */

static void
control_kill(struct control_conn *cc)
{
	struct control *c = cc->c;

	if (cc->dead)
		return;
	cc->dead = true;
	bufferevent_disable(cc->bev, EV_READ | EV_WRITE);
	bufferevent_setcb(cc->bev, NULL, NULL, NULL, NULL);
	TAILQ_REMOVE(&c->conns, cc, link);
	TAILQ_INSERT_TAIL(&c->dead, cc, link);
	c->nconns--;
	/* Not freed here: a callback further up the stack may hold it. */
	event_active(c->ev_reap, EV_TIMEOUT, 0);
}

/* Send what is queued (an error reply), then close. */
static void
control_flush_close(struct control_conn *cc)
{
	cc->closing = true;
	bufferevent_disable(cc->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(cc->bev)) == 0)
		control_kill(cc);
}

/*
 * A client that misbehaves: one log line, and it is disconnected, at once
 * or (flush) after the error reply already queued for it.
 */
static void
control_drop(struct control_conn *cc, const char *why, bool flush)
{
	if (cc->dead)
		return;
	if (!cc->closing) {
		log_warnx("control: closing the connection of uid %u pid %d: "
		    "%s", (unsigned)cc->cred.uid, (int)cc->cred.pid, why);
		cc->c->dropped++;
	}
	if (flush)
		control_flush_close(cc);
	else
		control_kill(cc);
}

static void
control_conn_free(struct control_conn *cc)
{
	if (cc->bev != NULL)
		bufferevent_free(cc->bev);
	free(cc);
}

static void
control_on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct control *c = arg;
	struct control_conn *cc;

	while ((cc = TAILQ_FIRST(&c->dead)) != NULL) {
		TAILQ_REMOVE(&c->dead, cc, link);
		control_conn_free(cc);
	}
}

/* Queue one message (stolen).  Over the output cap, the client goes. */
static void
control_send(struct control_conn *cc, json_t *msg)
{
	struct evbuffer *out;
	char *s = NULL;

	if (cc->dead)
		goto out;
	out = bufferevent_get_output(cc->bev);
	if (evbuffer_get_length(out) > CONTROL_OUT_MAX) {
		control_drop(cc, "more than 1 MiB of replies left unread",
		    false);
		goto out;
	}
	if (msg == NULL || (s = json_dumps(msg, JSON_COMPACT)) == NULL ||
	    evbuffer_add(out, s, strlen(s) + 1) == -1)
		control_drop(cc, "out of memory building a reply", false);
out:
	free(s);
	json_decref(msg);
}

/* ---- replies ------------------------------------------------------ */

static void
control_answer(struct control_call *call, const char *error, json_t *params)
{
	json_t *msg;

	if (call->oneway) {
		json_decref(params);
		return;
	}
	if ((msg = json_object()) != NULL && error != NULL)
		json_object_set_new(msg, "error", json_string(error));
	if (msg != NULL)
		json_object_set_new(msg, "parameters", params != NULL ?
		    params : json_object());
	else
		json_decref(params);
	control_send(call->cc, msg);
}

static void
control_reply(struct control_call *call, json_t *params)
{
	if (params == NULL)
		control_drop(call->cc, "out of memory building a reply",
		    false);
	else
		control_answer(call, NULL, params);
}

static void
control_error(struct control_call *call, const char *error, json_t *params)
{
	control_answer(call, error, params);
}

/* A call refused for what the client sent (counted in Stats). */
static void
control_reject(struct control_call *call, const char *error, json_t *params)
{
	call->cc->c->rejected++;
	control_error(call, error, params);
}

static void
control_bad_param(struct control_call *call, const char *name)
{
	control_reject(call, PROTO_E_INVALID_PARAM, json_pack("{s:s}",
	    "parameter", name));
}

/* ---- parameters --------------------------------------------------- */

/* "guest": a name or a domid, as a string or a number. */
static struct super_guest *
control_param_guest(struct control_call *call)
{
	json_t *v = json_object_get(call->params, "guest");
	const char *key = json_string_value(v);
	struct super_guest *sg;
	char domid[16];

	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    json_integer_value(v) < CONTROL_DOMID_MAX) {
		snprintf(domid, sizeof(domid), "%lld",
		    (long long)json_integer_value(v));
		key = domid;
	} else if (key == NULL || *key == '\0') {
		control_bad_param(call, "guest");
		return NULL;
	}
	if ((sg = super_find(call->cc->c->sd->super, key)) == NULL)
		control_error(call, PROTO_E_NO_SUCH_GUEST, json_pack("{s:o}",
		    "guest", control_jstr(key)));
	return sg;
}

/* An optional boolean: 0 and *out set, or -1 after an error reply. */
static int
control_param_bool(struct control_call *call, const char *name, bool *out)
{
	json_t *v = json_object_get(call->params, name);

	*out = false;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v)) {
		control_bad_param(call, name);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

/* ---- guests ------------------------------------------------------- */

static json_t *
control_guest_summary(const struct super_guest *sg)
{
	const struct guest *g = &sg->g;

	return json_pack("{s:o, s:I, s:s, s:s, s:o, s:I, s:s, s:o}",
	    "name", control_jstr(g->name), "domid", (json_int_t)g->domid,
	    "state", guest_state_name(g->state),
	    "mode", super_mode_name(sg->mode),
	    "stub_domid", control_jdomid(g->stub_domid),
	    "restarts", (json_int_t)g->restarts,
	    "last_exit", guest_exit_name(g->last_exit),
	    "reason", control_jstr(g->reason));
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

static json_t *
control_guest_detail(const struct control *c, const struct super_guest *sg)
{
	const struct guest *g = &sg->g;
	json_t *o = control_guest_summary(sg);

	if (o == NULL || json_object_update_new(o, json_pack("{s:o, s:I, "
	    "s:i, s:b, s:o, s:o, s:o, s:I, s:o, s:o}",
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
	    json_null())) < 0 || json_object_set_new(o, "vnc",
	    vnc_path(c->sd->vnc, g->domid) != NULL ?
	    control_jstr(vnc_path(c->sd->vnc, g->domid)) : json_null()) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

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

static void
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

/* ---- methods ------------------------------------------------------ */

static json_t *
control_state_counts(const struct super *s)
{
	json_t *o = json_object();
	int i;

	for (i = 0; o != NULL && i < GUEST_NSTATES; i++)
		json_object_set_new(o, guest_state_name((enum guest_state)i),
		    json_integer((json_int_t)super_count(s, i)));
	return o;
}

static void
control_get_info(struct control_call *call)
{
	const struct stubdmd *sd = call->cc->c->sd;

	control_reply(call, json_pack("{s:s, s:i, s:s, s:I, s:o, s:I, s:o, "
	    "s:I, s:s}",
	    "version", STUBDMD_VERSION,
	    "interface_version", PROTO_INTERFACE_VERSION,
	    "backend", sd->hv->ops->name,
	    "uptime_ms", (json_int_t)(clock_now_ms() - sd->started_ms),
	    "policy", control_jstr(sd->opts.policy_path),
	    "guests", (json_int_t)super_count(sd->super, -1),
	    "states", control_state_counts(sd->super),
	    "xenstored_reconnects", (json_int_t)xstore_reconnects(sd->xs),
	    "log_level", log_level_name(log_get_level())));
}

static void
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

static void
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

static void
control_start(struct control_call *call)
{
	control_guest_op(call, super_start_guest, "start");
}

static void
control_stop(struct control_call *call)
{
	control_guest_op(call, super_stop_guest, "stop");
}

static void
control_restart(struct control_call *call)
{
	control_guest_op(call, super_restart_guest, "restart");
}

/* Split the diagnostics of a load into errors and warnings. */
static void
control_diag_split(const struct policy_diag *d, json_t *errors,
    json_t *warnings)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		json_array_append_new(strstr(d->lines[i], ": warning: ") ?
		    warnings : errors, control_jstr(d->lines[i]));
}

static void
control_reload(struct control_call *call)
{
	struct stubdmd *sd = call->cc->c->sd;
	struct policy_diag diag = { 0 };
	json_t *errors = json_array(), *warnings = json_array();
	int rc;

	log_info("control: reload requested by uid %u pid %d",
	    (unsigned)call->cc->cred.uid, (int)call->cc->cred.pid);
	rc = stubdmd_reload(sd, &diag);
	control_diag_split(&diag, errors, warnings);
	policy_diag_free(&diag);
	if (rc < 0 && json_array_size(errors) == 0)
		json_array_append_new(errors, json_sprintf("%s: %s",
		    sd->opts.policy_path, strerror(-rc)));
	if (rc < 0)
		control_error(call, PROTO_E_POLICY_REJECTED, json_pack("{s:o, "
		    "s:o}", "errors", errors, "warnings", warnings));
	else
		control_reply(call, json_pack("{s:o, s:o}", "policy",
		    control_jstr(sd->opts.policy_path), "warnings", warnings));
	if (rc >= 0)
		json_decref(errors);
}

static void
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

#define CONTROL_STAT(f)	{ #f, offsetof(struct super_stats, f) }

static const struct {
	const char	*name;
	size_t		 off;
} control_stat_fields[] = {
	CONTROL_STAT(spawns), CONTROL_STAT(build_failures),
	CONTROL_STAT(failures), CONTROL_STAT(restarts),
	CONTROL_STAT(giveups), CONTROL_STAT(dm_deaths), CONTROL_STAT(ready),
	CONTROL_STAT(scans), CONTROL_STAT(reconciles), CONTROL_STAT(events),
	CONTROL_STAT(event_us_total), CONTROL_STAT(event_us_max),
	CONTROL_STAT(adopted), CONTROL_STAT(orphans_destroyed),
	CONTROL_STAT(reconcile_us_last), CONTROL_STAT(reconcile_us_max),
	CONTROL_STAT(pool_target), CONTROL_STAT(pool_ready),
	CONTROL_STAT(pool_building), CONTROL_STAT(pool_memory_mib),
	CONTROL_STAT(pool_built), CONTROL_STAT(pool_taken),
	CONTROL_STAT(pool_build_failures), CONTROL_STAT(pool_died),
};

/* The Stats reply; the metrics export reads the same object. */
json_t *
control_stats_json(const struct control *c)
{
	const char *base = (const char *)super_stats(c->sd->super);
	json_t *o;
	size_t i;

	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "backend_stall_us_max", (json_int_t)c->sd->hv->max_stall_us,
	    "reloads", (json_int_t)c->sd->reloads,
	    "reload_failures", (json_int_t)c->sd->reload_failures,
	    "connections_served", (json_int_t)c->served,
	    "connections_open", (json_int_t)c->nconns,
	    "connections_dropped", (json_int_t)c->dropped,
	    "calls", (json_int_t)c->calls,
	    "messages_rejected", (json_int_t)c->rejected,
	    "state_changes", (json_int_t)c->nhistory);
	if (o != NULL)
		json_object_set_new(o, "connections_refused",
		    json_integer((json_int_t)c->refused));
	for (i = 0; o != NULL && i < sizeof(control_stat_fields) /
	    sizeof(control_stat_fields[0]); i++)
		json_object_set_new(o, control_stat_fields[i].name,
		    json_integer((json_int_t)*(const uint64_t *)(const void *)
		    (base + control_stat_fields[i].off)));
	return o;
}

static void
control_stats(struct control_call *call)
{
	control_reply(call, control_stats_json(call->cc->c));
}

static void
control_metrics(struct control_call *call)
{
	char *text = metrics_text(call->cc->c->sd);

	control_reply(call, text != NULL ? json_pack("{s:s}", "text", text) :
	    NULL);
	free(text);
}

/* ---- org.varlink.service ------------------------------------------ */

static const struct {
	const char	*name;
	const char	*idl;
} control_interfaces[] = {
	{ PROTO_SERVICE,	idl_org_varlink_service },
	{ PROTO_INTERFACE,	idl_io_stubdm },
};
#define CONTROL_NINTERFACES \
	(sizeof(control_interfaces) / sizeof(control_interfaces[0]))

static void
control_service_info(struct control_call *call)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < CONTROL_NINTERFACES; i++)
		json_array_append_new(a,
		    json_string(control_interfaces[i].name));
	control_reply(call, json_pack("{s:s, s:s, s:s, s:s, s:o}",
	    "vendor", "stubdm", "product", "stubdmd",
	    "version", STUBDMD_VERSION, "url", "man:stubdmd(8)",
	    "interfaces", a));
}

static void
control_service_idl(struct control_call *call)
{
	json_t *v = json_object_get(call->params, "interface");
	const char *name = json_string_value(v);
	size_t i;

	if (name == NULL) {
		control_reject(call, PROTO_SERVICE_E_INVALID_PARAM,
		    json_pack("{s:s}", "parameter", "interface"));
		return;
	}
	for (i = 0; i < CONTROL_NINTERFACES; i++)
		if (strcmp(control_interfaces[i].name, name) == 0) {
			control_reply(call, json_pack("{s:s}", "description",
			    control_interfaces[i].idl));
			return;
		}
	control_reject(call, PROTO_SERVICE_E_NO_INTERFACE, json_pack("{s:o}",
	    "interface", control_jstr(name)));
}

static void
control_set_log_level(struct control_call *call)
{
	json_t *v = json_object_get(call->params, "level");
	enum log_level level, old = log_get_level();

	if (!json_is_string(v) ||
	    log_level_parse(json_string_value(v), &level) < 0) {
		control_bad_param(call, "level");
		return;
	}
	log_set_level(level);
	log_info("control: log level %s (was %s), set by uid %u pid %d",
	    log_level_name(level), log_level_name(old),
	    (unsigned)call->cc->cred.uid, (int)call->cc->cred.pid);
	control_reply(call, json_pack("{s:s, s:s}", "level",
	    log_level_name(level), "previous", log_level_name(old)));
}

static bool control_privileged(const struct control *c,
	    const struct ucred *cr);
static bool control_user_in_group(uid_t uid, gid_t gid);

/* Who may see a guest's screen: as may connect to its socket (vnc.c). */
static bool
control_may_see(const struct control *c, const struct ucred *cr)
{
	const char *name = policy_global(c->sd->policy)->vnc_group;
	struct group *gr;

	if (control_privileged(c, cr))
		return true;
	if (name == NULL || *name == '\0' || (gr = getgrnam(name)) == NULL)
		return false;
	return cr->gid == gr->gr_gid || control_user_in_group(cr->uid,
	    gr->gr_gid);
}

static void
control_console(struct control_call *call)
{
	struct control_conn *cc = call->cc;
	struct super_guest *sg;
	const char *path;

	if ((sg = control_param_guest(call)) == NULL)
		return;
	if (!control_may_see(cc->c, &cc->cred)) {
		log_warnx("control: %s refused to uid %u pid %d: not root nor "
		    "in the admin or vnc group", PROTO_CONSOLE,
		    (unsigned)cc->cred.uid, (int)cc->cred.pid);
		control_reject(call, PROTO_E_PERMISSION, json_pack("{s:s}",
		    "method", PROTO_CONSOLE));
	} else if ((path = vnc_path(cc->c->sd->vnc, sg->g.domid)) == NULL) {
		control_error(call, PROTO_E_NO_SCREEN, json_pack("{s:o}",
		    "guest", control_jstr(sg->g.name)));
	} else {
		control_reply(call, json_pack("{s:o}", "vnc",
		    control_jstr(path)));
	}
}

/* Every method, and whether it changes anything (privileged). */
static const struct control_method control_methods[] = {
	{ PROTO_GET_INFO,	false,	control_get_info },
	{ PROTO_LIST,		false,	control_list },
	{ PROTO_STATUS,		false,	control_status },
	{ PROTO_START,		true,	control_start },
	{ PROTO_STOP,		true,	control_stop },
	{ PROTO_RESTART,	true,	control_restart },
	{ PROTO_RELOAD,		true,	control_reload },
	{ PROTO_EVENTS,		false,	control_events },
	{ PROTO_STATS,		false,	control_stats },
	{ PROTO_SET_LOG_LEVEL,	true,	control_set_log_level },
	{ PROTO_METRICS,	false,	control_metrics },
	{ PROTO_CONSOLE,	false,	control_console },
	{ PROTO_SERVICE_GET_INFO, false, control_service_info },
	{ PROTO_SERVICE_GET_IDL, false,	control_service_idl },
};

static const struct control_method *
control_method_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(control_methods) / sizeof(control_methods[0]);
	    i++)
		if (strcmp(control_methods[i].name, name) == 0)
			return &control_methods[i];
	return NULL;
}

/* ---- credentials -------------------------------------------------- */

static bool
control_user_in_group(uid_t uid, gid_t gid)
{
	gid_t *groups = NULL;
	struct passwd *pw;
	bool found = false;
	int n = 0, i;

	if ((pw = getpwuid(uid)) == NULL)
		return false;
	getgrouplist(pw->pw_name, pw->pw_gid, NULL, &n);
	if (n <= 0 || n > CONTROL_GROUPS_MAX ||
	    (groups = calloc((size_t)n, sizeof(*groups))) == NULL)
		return false;
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) == -1)
		goto out;
	for (i = 0; i < n && !found; i++)
		found = groups[i] == gid;
out:
	free(groups);
	return found;
}

/* Root, or a member of the policy's admin_group (as it is now). */
static bool
control_privileged(const struct control *c, const struct ucred *cr)
{
	const char *name = policy_global(c->sd->policy)->admin_group;
	struct group *gr;

	if (cr->uid == 0)
		return true;
	if (name == NULL || *name == '\0' || (gr = getgrnam(name)) == NULL)
		return false;
	return cr->gid == gr->gr_gid || control_user_in_group(cr->uid,
	    gr->gr_gid);
}

/* ---- framing and dispatch ----------------------------------------- */

static int
control_parse_call(json_t *msg, struct control_call *call)
{
	json_error_t err;

	call->params = NULL;
	if (json_unpack_ex(msg, &err, 0, "{s:s, s?o, s?b, s?b}",
	    "method", &call->method, "parameters", &call->params,
	    "more", &call->more, "oneway", &call->oneway) < 0)
		return -EINVAL;
	/* Varlink: "parameters": null is no parameters. */
	if (json_is_null(call->params))
		call->params = NULL;
	if (call->params != NULL && !json_is_object(call->params))
		return -EINVAL;
	return 0;
}

/*
 * An unknown method: io.stubdm's own error for a name in io.stubdm (or in
 * no interface), org.varlink.service's for any other interface.
 */
static void
control_no_method(struct control_call *call)
{
	const char *dot = strrchr(call->method, '.');
	size_t len = dot != NULL ? (size_t)(dot - call->method) : 0;
	json_t *iface;

	if (dot == NULL || (len == strlen(PROTO_INTERFACE) &&
	    strncmp(call->method, PROTO_INTERFACE, len) == 0)) {
		control_reject(call, PROTO_E_NO_METHOD, json_pack("{s:o}",
		    "method", control_jstr(call->method)));
	} else if (len == strlen(PROTO_SERVICE) &&
	    strncmp(call->method, PROTO_SERVICE, len) == 0) {
		control_reject(call, PROTO_SERVICE_E_NO_METHOD,
		    json_pack("{s:o}", "method", control_jstr(call->method)));
	} else {
		iface = json_stringn(call->method, len);
		control_reject(call, PROTO_SERVICE_E_NO_INTERFACE,
		    json_pack("{s:o}", "interface", iface != NULL ? iface :
		    control_jstr("?")));
	}
}

static void
control_dispatch(struct control_conn *cc, json_t *msg)
{
	struct control_call call = { .cc = cc };
	const struct control_method *m;
	json_t *empty = NULL;

	cc->c->calls++;
	if (control_parse_call(msg, &call) < 0) {
		call.oneway = 0;
		control_reject(&call, PROTO_E_INVALID_MSG, json_pack("{s:s}",
		    "reason", "a call is an object with a string \"method\", "
		    "an object \"parameters\" and boolean \"more\", "
		    "\"oneway\""));
		return;
	}
	if (call.params == NULL)
		call.params = empty = json_object();
	if ((m = control_method_find(call.method)) == NULL) {
		control_no_method(&call);
	} else if (m->privileged && !control_privileged(cc->c, &cc->cred)) {
		log_warnx("control: %s refused to uid %u pid %d: not root nor "
		    "in the admin group", m->name, (unsigned)cc->cred.uid,
		    (int)cc->cred.pid);
		control_reject(&call, PROTO_E_PERMISSION, json_pack("{s:s}",
		    "method", m->name));
	} else {
		m->fn(&call);
	}
	json_decref(empty);
}

/* One NUL-terminated message of len bytes at the head of in. */
static void
control_on_message(struct control_conn *cc, struct evbuffer *in, size_t len)
{
	struct control_call call = { .cc = cc };
	json_error_t err;
	json_t *msg;

	msg = json_loadb((const char *)evbuffer_pullup(in,
	    (ev_ssize_t)len + 1), len, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_ANY, &err);
	evbuffer_drain(in, len + 1);
	if (msg != NULL) {
		control_dispatch(cc, msg);
		json_decref(msg);
		return;
	}
	cc->c->calls++;
	control_reject(&call, PROTO_E_INVALID_MSG, json_pack("{s:s}",
	    "reason", err.text));
	control_drop(cc, "malformed JSON", true);
}

static void
control_on_read(struct bufferevent *bev, void *arg)
{
	struct control_conn *cc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct control_call call = { .cc = cc };
	struct evbuffer_ptr nul;

	while (!cc->dead && !cc->closing) {
		nul = evbuffer_search(in, "", 1, NULL);
		if (nul.pos < 0 || nul.pos > PROTO_CALL_MAX)
			break;
		control_on_message(cc, in, (size_t)nul.pos);
	}
	/* The read watermark stops reading at PROTO_CALL_MAX + 1 bytes. */
	if (!cc->dead && !cc->closing &&
	    evbuffer_get_length(in) > PROTO_CALL_MAX) {
		control_reject(&call, PROTO_E_TOO_LARGE, json_pack("{s:i}",
		    "max", PROTO_CALL_MAX));
		control_drop(cc, "message larger than 64 KiB", true);
	}
}

static void
control_on_write(struct bufferevent *bev, void *arg)
{
	struct control_conn *cc = arg;

	if (cc->closing)
		control_kill(cc);
}

static void
control_on_conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct control_conn *cc = arg;

	if (what & BEV_EVENT_TIMEOUT)
		control_drop(cc, "not reading its replies", false);
	else if ((what & BEV_EVENT_EOF) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		control_flush_close(cc);
	else
		control_kill(cc);
}

static struct control_conn *
control_conn_new(struct control *c, evutil_socket_t fd,
    const struct ucred *cred)
{
	struct timeval wt = { CONTROL_WRITE_TIMEOUT, 0 };
	struct control_conn *cc;

	if ((cc = calloc(1, sizeof(*cc))) == NULL)
		return NULL;
	cc->c = c;
	cc->cred = *cred;
	if ((cc->bev = bufferevent_socket_new(c->sd->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(cc);
		return NULL;
	}
	bufferevent_setcb(cc->bev, control_on_read, control_on_write,
	    control_on_conn_event, cc);
	/* Never buffer more than one maximal call and its NUL. */
	bufferevent_setwatermark(cc->bev, EV_READ, 0, PROTO_CALL_MAX + 1);
	bufferevent_set_timeouts(cc->bev, NULL, &wt);
	bufferevent_enable(cc->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&c->conns, cc, link);
	c->nconns++;
	c->served++;
	return cc;
}

/* Connections of uid open now (at most CONTROL_CONNS_MAX to look at). */
static unsigned
control_conns_of(const struct control *c, uid_t uid)
{
	const struct control_conn *cc;
	unsigned n = 0;

	TAILQ_FOREACH(cc, &c->conns, link)
		if (cc->cred.uid == uid)
			n++;
	return n;
}

/*
 * NULL if the peer may have one more connection, else which limit it is
 * over (*limit its value).  Root has no per-user limit and the last
 * POLICY_CONNS_ROOT connections, so that users cannot lock it out.
 */
static const char *
control_over_limit(const struct control *c, const struct ucred *cred,
    unsigned *limit)
{
	unsigned per_user =
	    policy_global(c->sd->policy)->max_conns_per_user;

	*limit = CONTROL_CONNS_MAX;
	if (c->nconns >= CONTROL_CONNS_MAX)
		return "connections open in all";
	if (cred->uid == 0)
		return NULL;
	*limit = POLICY_CONNS_USER_MAX;
	if (c->nconns >= POLICY_CONNS_USER_MAX)
		return "connections open, the rest kept for root";
	*limit = per_user;
	if (control_conns_of(c, cred->uid) >= per_user)
		return "connections of this user open "
		    "(max_connections_per_user)";
	return NULL;
}

/*
 * The error reply goes out before the close, without waiting: the new
 * socket's buffer is empty.  The first refusal of a burst is logged; the
 * rest are counted and summed up every CONTROL_REFUSE_LOG_S seconds until
 * a period passes without one, so that a flood cannot flood the journal.
 */
static void
control_refuse(struct control *c, evutil_socket_t fd,
    const struct ucred *cred, unsigned limit, const char *what)
{
	struct timeval tv = { CONTROL_REFUSE_LOG_S, 0 };
	json_t *msg = json_pack("{s:s, s:{s:i}}", "error",
	    PROTO_E_TOO_MANY_CONNS, "parameters", "limit", (int)limit);
	char *s = msg != NULL ? json_dumps(msg, JSON_COMPACT) : NULL;

	if (s != NULL && send(fd, s, strlen(s) + 1, MSG_DONTWAIT |
	    MSG_NOSIGNAL) == -1)
		log_debug("control: error reply to uid %u: %s",
		    (unsigned)cred->uid, strerror(errno));
	free(s);
	json_decref(msg);
	close(fd);
	c->refused++;
	if (evtimer_pending(c->ev_refused, NULL)) {
		c->refused_burst++;
		return;
	}
	log_warnx("control: refusing a connection of uid %u pid %d: %u %s; "
	    "further refusals are counted, logged every %d s",
	    (unsigned)cred->uid, (int)cred->pid, limit, what,
	    CONTROL_REFUSE_LOG_S);
	evtimer_add(c->ev_refused, &tv);
}

static void
control_on_refused(evutil_socket_t fd, short what, void *arg)
{
	struct control *c = arg;
	struct timeval tv = { CONTROL_REFUSE_LOG_S, 0 };

	if (c->refused_burst == 0)
		return;		/* a quiet period: the burst is over */
	log_warnx("control: refused %llu more connections in the last %d s "
	    "(connection limits)", (unsigned long long)c->refused_burst,
	    CONTROL_REFUSE_LOG_S);
	c->refused_burst = 0;
	evtimer_add(c->ev_refused, &tv);
}

static void
control_on_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct control *c = arg;
	struct ucred cred = { 0, (uid_t)-1, (gid_t)-1 };
	socklen_t len = sizeof(cred);
	const char *over;
	unsigned limit;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("control: reading the peer's credentials; closing "
		    "the connection");
		close(fd);
	} else if ((over = control_over_limit(c, &cred, &limit)) != NULL)
		control_refuse(c, fd, &cred, limit, over);
	else if (control_conn_new(c, fd, &cred) == NULL) {
		log_warnx("control: out of memory; refusing uid %u pid %d",
		    (unsigned)cred.uid, (int)cred.pid);
		close(fd);
	}
}

/* Out of descriptors, say: pause accepting rather than spin. */
static void
control_on_accept_error(struct evconnlistener *l, void *arg)
{
	struct control *c = arg;
	struct timeval tv = { 1, 0 };

	log_warnx("control: accept: %s; pausing for a second",
	    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	evconnlistener_disable(l);
	evtimer_add(c->ev_resume, &tv);
}

static void
control_on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct control *c = arg;

	evconnlistener_enable(c->listener);
}

/*
 * One client of uid sends buf (as if read from its socket, in reads of at
 * most the read watermark); what the daemon would send it is moved to out.
 * No event loop turn: the fuzz target drives decoding and dispatch this way.
 */
int
control_feed(struct control *c, uid_t uid, const void *buf, size_t len,
    struct evbuffer *out)
{
	struct ucred cred = { 1, uid, (gid_t)uid };
	const char *p = buf;
	struct control_conn *cc;
	struct evbuffer *in;
	int fds[2], rc = 0;
	size_t room;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == -1)
		return -errno;
	if ((cc = control_conn_new(c, fds[0], &cred)) == NULL) {
		close(fds[0]);
		close(fds[1]);
		return -ENOMEM;
	}
	in = bufferevent_get_input(cc->bev);
	while (len > 0 && !cc->dead && !cc->closing) {
		room = PROTO_CALL_MAX + 1 - evbuffer_get_length(in);
		room = len < room ? len : room;
		/* A socket bufferevent's input takes data from the socket only. */
		evbuffer_unfreeze(in, 0);
		evbuffer_add(in, p, room);
		evbuffer_freeze(in, 0);
		p += room;
		len -= room;
		control_on_read(cc->bev, cc);
	}
	evbuffer_unfreeze(bufferevent_get_output(cc->bev), 1);
	if (evbuffer_add_buffer(out, bufferevent_get_output(cc->bev)) == -1)
		rc = -ENOMEM;
	control_kill(cc);
	control_on_reap(-1, 0, c);
	close(fds[1]);
	return rc;
}

/* ---- the listening socket ----------------------------------------- */

const char *
control_path(const struct stubdmd *sd)
{
	if (sd->opts.socket_path != NULL)
		return sd->opts.socket_path;
	return policy_global(sd->policy)->control_socket;
}

/* A socket systemd passed us: 1 and *fd set, 0 if none, or -errno. */
static int
control_inherit(int *fd)
{
	int n = sd_listen_fds(1);

	if (n <= 0)
		return n;
	if (n != 1 || sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1,
	    NULL, 0) <= 0) {
		log_warnx("control: systemd passed %d sockets; expected one "
		    "listening UNIX stream socket", n);
		return -EINVAL;
	}
	*fd = SD_LISTEN_FDS_START;
	if (evutil_make_socket_nonblocking(*fd) == -1 ||
	    evutil_make_socket_closeonexec(*fd) == -1)
		return -errno;
	log_info("control: listening on the socket passed by systemd");
	return 1;
}

static int
control_mkparent(const char *path)
{
	char *dir, *slash;
	int rc = 0;

	if ((dir = strdup(path)) == NULL)
		return -ENOMEM;
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			rc = -errno;
	}
	free(dir);
	return rc;
}

/* Remove a socket nobody answers on; refuse if a daemon answers. */
static int
control_clear_stale(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rc;

	if (lstat(sun->sun_path, &st) == -1)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	rc = rc == 0 || errno == EAGAIN ? -EADDRINUSE : -errno;
	close(fd);
	if (rc != -ECONNREFUSED)
		return rc;
	log_info("control: removing the stale socket %s", sun->sun_path);
	return unlink(sun->sun_path) == -1 ? -errno : 0;
}

/* Mode 0660, group admin_group: who may connect at all. */
static int
control_set_owner(const struct control *c, const char *path)
{
	const char *name = policy_global(c->sd->policy)->admin_group;
	struct group *gr;

	if (name != NULL && *name != '\0') {
		if ((gr = getgrnam(name)) == NULL)
			return -ENOENT;
		if (chown(path, (uid_t)-1, gr->gr_gid) == -1)
			return -errno;
	}
	return chmod(path, 0660) == -1 ? -errno : 0;
}

/* Remember the file we created (to unlink only it) and set its owner. */
static int
control_own_path(struct control *c, const char *path)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return -errno;
	if ((c->path = strdup(path)) == NULL)
		return -ENOMEM;
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	return control_set_owner(c, path);
}

static int
control_bind(struct control *c, const char *path, int *out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc;
	mode_t mask;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((rc = control_mkparent(path)) < 0 ||
	    (rc = control_clear_stale(&sun)) < 0)
		return rc;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -errno;
	mask = umask(0117);	/* never wider than 0660, even briefly */
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ? -errno : 0;
	umask(mask);
	if (rc == 0)
		rc = control_own_path(c, path);
	if (rc == 0 && listen(fd, CONTROL_BACKLOG) == -1)
		rc = -errno;
	if (rc < 0) {
		close(fd);
		return rc;
	}
	*out = fd;
	return 0;
}

/* Unlink the socket file only if it is still the one we created. */
static void
control_unlink(const struct control *c)
{
	struct stat st;

	if (c->path != NULL && lstat(c->path, &st) == 0 &&
	    st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
}

static int
control_listen(struct control *c, int fd)
{
	c->ev_reap = event_new(c->sd->base, -1, 0, control_on_reap, c);
	c->ev_resume = evtimer_new(c->sd->base, control_on_resume, c);
	c->ev_refused = evtimer_new(c->sd->base, control_on_refused, c);
	if (c->ev_reap == NULL || c->ev_resume == NULL || c->ev_refused == NULL)
		return -ENOMEM;
	c->listener = evconnlistener_new(c->sd->base, control_on_accept, c,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (c->listener == NULL)
		return -ENOMEM;
	evconnlistener_set_error_cb(c->listener, control_on_accept_error);
	return 0;
}

int
control_new(struct stubdmd *sd, struct control **out)
{
	struct control *c;
	int fd = -1, rc;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	c->sd = sd;
	TAILQ_INIT(&c->conns);
	TAILQ_INIT(&c->dead);
	if ((rc = control_inherit(&fd)) == 0)
		rc = control_bind(c, control_path(sd), &fd);
	if (rc < 0 || (rc = control_listen(c, fd)) < 0)
		goto out;
	fd = -1;	/* the listener owns it */
	super_set_observer(sd->super, control_on_change, c);
	if (c->path != NULL)
		log_info("control: listening on %s", c->path);
	*out = c;
	return 0;
out:
	if (fd != -1 && c->listener == NULL)
		close(fd);
	control_free(c);
	return rc;
}

static void
control_free_conns(struct control_conns *list)
{
	struct control_conn *cc;

	while ((cc = TAILQ_FIRST(list)) != NULL) {
		TAILQ_REMOVE(list, cc, link);
		control_conn_free(cc);
	}
}

void
control_free(struct control *c)
{
	size_t i;

	if (c == NULL)
		return;
	if (c->sd->super != NULL)
		super_set_observer(c->sd->super, NULL, NULL);
	control_free_conns(&c->conns);
	control_free_conns(&c->dead);
	if (c->listener != NULL)
		evconnlistener_free(c->listener);
	if (c->ev_reap != NULL)
		event_free(c->ev_reap);
	if (c->ev_resume != NULL)
		event_free(c->ev_resume);
	if (c->ev_refused != NULL)
		event_free(c->ev_refused);
	for (i = 0; i < CONTROL_HISTORY; i++)
		json_decref(c->history[i]);
	control_unlink(c);
	free(c->path);
	free(c);
}
