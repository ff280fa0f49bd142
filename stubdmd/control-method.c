/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The method table and the daemon-wide methods: GetInfo, Reload, Stats,
 * Metrics, SetLogLevel, and org.varlink.service.
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

#define CONTROL_STAT(f)	{ #f, offsetof(struct super_stats, f) }

static const struct {
	const char	*name;
	size_t		 off;
} control_stat_fields[] = {
	CONTROL_STAT(spawns), CONTROL_STAT(build_failures),
	CONTROL_STAT(failures), CONTROL_STAT(restarts),
	CONTROL_STAT(giveups), CONTROL_STAT(dm_deaths), CONTROL_STAT(ready),
	CONTROL_STAT(dm_hangs), CONTROL_STAT(dm_probes),
	CONTROL_STAT(dm_probe_misses), CONTROL_STAT(qmp_closed),
	CONTROL_STAT(qmp_connections),
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
	{ PROTO_CD_INSERT,	true,	control_cd_insert },
	{ PROTO_CD_EJECT,	true,	control_cd_eject },
	{ PROTO_SAVE_STATE,	true,	control_save_state },
	{ PROTO_RESTORE_STATE,	true,	control_restore_state },
	{ PROTO_SERVICE_GET_INFO, false, control_service_info },
	{ PROTO_SERVICE_GET_IDL, false,	control_service_idl },
};

const struct control_method *
control_method_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(control_methods) / sizeof(control_methods[0]);
	    i++)
		if (strcmp(control_methods[i].name, name) == 0)
			return &control_methods[i];
	return NULL;
}
