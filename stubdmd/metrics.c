/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The metrics export in the Prometheus text exposition format (0.0.4):
 * the host's counters and gauges from the Stats reply, and per guest its
 * state, restarts, stub memory, time to ready and last exit, labelled by
 * guest name and domid.  The same text goes to the policy's metrics_file,
 * rewritten every metrics_interval (write a temporary file beside it,
 * fsync, rename) for node_exporter's textfile collector.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stubdmd/clock.h"
#include "stubdmd/control.h"
#include "stubdmd/hv.h"
#include "stubdmd/log.h"
#include "stubdmd/metrics.h"
#include "stubdmd/policy.h"
#include "stubdmd/stubdmd.h"
#include "stubdmd/super.h"

#define METRICS_MIB	(1024.0 * 1024.0)
#define METRICS_US	1e-6

struct metrics {
	struct stubdmd	*sd;
	struct event	*ev;
	bool		 failing;	/* the last write failed (logged) */
};

/* One Stats member as a metric: name, type, unit scale, help. */
static const struct {
	const char	*key;
	const char	*name;
	const char	*type;
	double		 scale;
	const char	*help;
} metrics_stats[] = {
	{ "spawns", "stubdm_spawns_total", "counter", 1,
	    "Stub domains built." },
	{ "build_failures", "stubdm_build_failures_total", "counter", 1,
	    "Stub domain builds that failed." },
	{ "failures", "stubdm_failures_total", "counter", 1,
	    "Stub domains that failed (died, never ready, build failed)." },
	{ "restarts", "stubdm_restarts_total", "counter", 1,
	    "Stub domains rebuilt after a failure." },
	{ "giveups", "stubdm_giveups_total", "counter", 1,
	    "Guests given up on (restart budget spent)." },
	{ "dm_deaths", "stubdm_dm_deaths_total", "counter", 1,
	    "Device models that died under a guest that had run." },
	{ "dm_hangs", "stubdm_dm_hangs_total", "counter", 1,
	    "Device models found hung (QMP probes unanswered)." },
	{ "dm_probes", "stubdm_dm_probes_total", "counter", 1,
	    "QMP liveness probes of device models." },
	{ "dm_probe_misses", "stubdm_dm_probe_misses_total", "counter", 1,
	    "QMP liveness probes not answered in time." },
	{ "qmp_closed", "stubdm_qmp_closed_total", "counter", 1,
	    "QMP connections closed for breaking the protocol." },
	{ "qmp_connections", "stubdm_qmp_connections", "gauge", 1,
	    "QMP connections to device models open now." },
	{ "ready", "stubdm_ready_total", "counter", 1,
	    "Device models that reported ready." },
	{ "scans", "stubdm_scans_total", "counter", 1,
	    "Domain list scans." },
	{ "reconciles", "stubdm_reconciles_total", "counter", 1,
	    "Periodic reconcile passes." },
	{ "events", "stubdm_events_total", "counter", 1,
	    "Xenstore events handled." },
	{ "event_us_total", "stubdm_event_seconds_total", "counter",
	    METRICS_US, "Time spent handling xenstore events." },
	{ "event_us_max", "stubdm_event_max_seconds", "gauge", METRICS_US,
	    "The longest time one xenstore event took." },
	{ "adopted", "stubdm_adopted_total", "counter", 1,
	    "Stub domains built by libxl and adopted." },
	{ "orphans_destroyed", "stubdm_orphans_destroyed_total", "counter", 1,
	    "Stub domains without a guest that were destroyed." },
	{ "reconcile_us_last", "stubdm_reconcile_last_seconds", "gauge",
	    METRICS_US, "How long the last reconcile pass took." },
	{ "reconcile_us_max", "stubdm_reconcile_max_seconds", "gauge",
	    METRICS_US, "How long the longest reconcile pass took." },
	{ "pool_target", "stubdm_pool_target", "gauge", 1,
	    "Spare stub domains the warm pool wants." },
	{ "pool_ready", "stubdm_pool_ready", "gauge", 1,
	    "Spare stub domains built (booting or waiting)." },
	{ "pool_building", "stubdm_pool_building", "gauge", 1,
	    "Spare stub domains being built." },
	{ "pool_memory_mib", "stubdm_pool_memory_bytes", "gauge", METRICS_MIB,
	    "Memory held by spare stub domains." },
	{ "pool_built", "stubdm_pool_built_total", "counter", 1,
	    "Spare stub domains built." },
	{ "pool_taken", "stubdm_pool_taken_total", "counter", 1,
	    "Spare stub domains given to a guest." },
	{ "pool_build_failures", "stubdm_pool_build_failures_total",
	    "counter", 1, "Spare stub domain builds that failed." },
	{ "pool_died", "stubdm_pool_died_total", "counter", 1,
	    "Spare stub domains that died." },
	{ "backend_stall_us_max", "stubdm_backend_stall_max_seconds", "gauge",
	    METRICS_US, "The longest one hypervisor call held the loop." },
	{ "reloads", "stubdm_reloads_total", "counter", 1,
	    "Policy reloads." },
	{ "reload_failures", "stubdm_reload_failures_total", "counter", 1,
	    "Policy reloads rejected." },
	{ "connections_served", "stubdm_connections_served_total", "counter",
	    1, "Control connections accepted." },
	{ "connections_open", "stubdm_connections_open", "gauge", 1,
	    "Control connections open." },
	{ "connections_dropped", "stubdm_connections_dropped_total",
	    "counter", 1, "Control connections closed for misbehaving." },
	{ "calls", "stubdm_calls_total", "counter", 1,
	    "Control calls received." },
	{ "messages_rejected", "stubdm_messages_rejected_total", "counter", 1,
	    "Control messages refused." },
	{ "state_changes", "stubdm_state_changes_total", "counter", 1,
	    "Guest state changes." },
};
#define METRICS_NSTATS	(sizeof(metrics_stats) / sizeof(metrics_stats[0]))

static void
metrics_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * A label value: backslash, double quote and newline escaped as the
 * format says.  The format has no escape for other control characters:
 * they become '?', so that the text is safe on a terminal, as do the high
 * bytes of a name that is not UTF-8 (the domid label tells guests apart).
 */
static void
metrics_label(FILE *f, const char *s)
{
	json_t *valid = json_string(s);
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\\' || *p == '"')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20 || *p == 0x7f ||
		    (valid == NULL && *p >= 0x80))
			fputc('?', f);
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			fputc('?', f);	/* a C1 control, U+0080-U+009F */
			p++;
		} else
			fputc(*p, f);
	}
	json_decref(valid);
}

/* NAME{guest="...",domid="N"[,EXTRA="VALUE"]} */
static void
metrics_guest_series(FILE *f, const char *name, const struct guest *g,
    const char *extra, const char *value)
{
	fprintf(f, "%s{guest=\"", name);
	metrics_label(f, g->name);
	fprintf(f, "\",domid=\"%u\"", (unsigned)g->domid);
	if (extra != NULL)
		fprintf(f, ",%s=\"%s\"", extra, value);
	fputc('}', f);
}

static void
metrics_host(FILE *f, struct stubdmd *sd)
{
	json_t *stats = control_stats_json(sd->control);
	size_t i;
	int s;

	metrics_family(f, "stubdm_info", "gauge", "The daemon: version and "
	    "hypervisor backend.");
	fprintf(f, "stubdm_info{version=\"%s\",backend=\"%s\"} 1\n",
	    STUBDMD_VERSION, sd->hv->ops->name);
	metrics_family(f, "stubdm_uptime_seconds", "gauge",
	    "Time since the daemon started.");
	fprintf(f, "stubdm_uptime_seconds %.3f\n",
	    (double)(clock_now_ms() - sd->started_ms) / 1000.0);
	metrics_family(f, "stubdm_guests", "gauge", "Guests in each state.");
	for (s = 0; s < GUEST_NSTATES; s++)
		fprintf(f, "stubdm_guests{state=\"%s\"} %zu\n",
		    guest_state_name((enum guest_state)s),
		    super_count(sd->super, s));
	for (i = 0; stats != NULL && i < METRICS_NSTATS; i++) {
		metrics_family(f, metrics_stats[i].name, metrics_stats[i].type,
		    metrics_stats[i].help);
		fprintf(f, "%s %.15g\n", metrics_stats[i].name, (double)
		    json_integer_value(json_object_get(stats,
		    metrics_stats[i].key)) * metrics_stats[i].scale);
	}
	json_decref(stats);
}

/* The memory of the guest's stub domain now, in MiB (0: none). */
static unsigned
metrics_stub_mib(const struct guest *g)
{
	if (g->stub_domid < 0)
		return 0;
	if (g->adopted != NULL)
		return g->adopted->memory_mib;
	return g->cfg != NULL ? g->cfg->memory_mib : 0;
}

static void
metrics_guest_states(FILE *f, struct super *s)
{
	struct super_guest *sg = NULL;
	enum guest_state st;

	metrics_family(f, "stubdm_guest_state", "gauge", "1 for the state the "
	    "guest is in, 0 for the others.");
	while ((sg = super_next(s, sg)) != NULL)
		for (st = 0; st < GUEST_NSTATES; st++) {
			metrics_guest_series(f, "stubdm_guest_state", &sg->g,
			    "state", guest_state_name(st));
			fprintf(f, " %d\n", sg->g.state == st);
		}
}

static void
metrics_guest_last_exit(FILE *f, struct super *s)
{
	struct super_guest *sg = NULL;
	enum guest_exit x;

	metrics_family(f, "stubdm_guest_last_exit", "gauge", "1 for why the "
	    "guest's last stub domain ended, 0 for the other reasons.");
	while ((sg = super_next(s, sg)) != NULL)
		for (x = 0; x < GUEST_NEXITS; x++) {
			metrics_guest_series(f, "stubdm_guest_last_exit",
			    &sg->g, "exit", guest_exit_name(x));
			fprintf(f, " %d\n", sg->g.last_exit == x);
		}
}

static void
metrics_guests(FILE *f, struct super *s)
{
	struct super_guest *sg = NULL;

	metrics_guest_states(f, s);
	metrics_family(f, "stubdm_guest_restarts_total", "counter",
	    "Stub domains rebuilt for the guest.");
	while ((sg = super_next(s, sg)) != NULL) {
		metrics_guest_series(f, "stubdm_guest_restarts_total", &sg->g,
		    NULL, NULL);
		fprintf(f, " %u\n", sg->g.restarts);
	}
	metrics_family(f, "stubdm_guest_stub_memory_bytes", "gauge",
	    "Memory of the guest's stub domain (0: it has none).");
	while ((sg = super_next(s, sg)) != NULL) {
		metrics_guest_series(f, "stubdm_guest_stub_memory_bytes",
		    &sg->g, NULL, NULL);
		fprintf(f, " %.15g\n", metrics_stub_mib(&sg->g) * METRICS_MIB);
	}
	metrics_family(f, "stubdm_guest_ready_seconds", "gauge", "How long "
	    "the last stub domain stubdmd built took to get ready.");
	while ((sg = super_next(s, sg)) != NULL) {
		if (!sg->g.ready_timed)
			continue;
		metrics_guest_series(f, "stubdm_guest_ready_seconds", &sg->g,
		    NULL, NULL);
		fprintf(f, " %.3f\n", (double)sg->g.ready_ms / 1000.0);
	}
	metrics_guest_last_exit(f, s);
}

char *
metrics_text(struct stubdmd *sd)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return NULL;
	metrics_host(f, sd);
	metrics_guests(f, sd->super);
	if (ferror(f) || fclose(f) == EOF) {
		free(buf);	/* open_memstream's buffer is ours either way */
		return NULL;
	}
	return buf;
}

/* ---- the textfile ------------------------------------------------- */

static int
metrics_write_fd(int fd, const char *text)
{
	size_t len = strlen(text), off = 0;
	ssize_t n;

	while (off < len) {
		if ((n = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)n;
	}
	if (fchmod(fd, 0644) == -1 || fsync(fd) == -1)
		return -errno;
	return 0;
}

/*
 * A temporary file in the same directory (node_exporter reads only *.prom
 * names, so it never sees a half-written one), then rename over path.
 */
static int
metrics_write_file(const char *path, const char *text)
{
	const char *slash = strrchr(path, '/');
	char *tmp = NULL;
	int fd = -1, rc;

	if (asprintf(&tmp, "%.*s/.%s.XXXXXX", (int)(slash - path), path,
	    slash + 1) < 0)
		return -ENOMEM;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		rc = -errno;
		goto out;
	}
	if ((rc = metrics_write_fd(fd, text)) == 0 &&
	    rename(tmp, path) == -1)
		rc = -errno;
out:
	if (fd != -1) {
		close(fd);
		if (rc < 0)
			unlink(tmp);
	}
	free(tmp);
	return rc;
}

static void
metrics_write(struct metrics *m)
{
	const char *path = policy_global(m->sd->policy)->metrics_file;
	char *text = metrics_text(m->sd);
	int rc;

	rc = text != NULL ? metrics_write_file(path, text) : -ENOMEM;
	free(text);
	if (rc < 0 && !m->failing)
		log_warnx("metrics: writing %s: %s; will retry every "
		    "metrics_interval", path, strerror(-rc));
	else if (rc == 0 && m->failing)
		log_info("metrics: %s written again", path);
	m->failing = rc < 0;
}

static void
metrics_on_timer(evutil_socket_t fd, short what, void *arg)
{
	metrics_write(arg);
}

void
metrics_apply(struct metrics *m)
{
	const struct policy_global *g;
	struct timeval tv;

	if (m == NULL)
		return;
	g = policy_global(m->sd->policy);
	evtimer_del(m->ev);
	if (g->metrics_file == NULL || *g->metrics_file == '\0')
		return;
	tv = clock_tv(g->metrics_interval_ms);
	metrics_write(m);
	evtimer_add(m->ev, &tv);
}

int
metrics_new(struct stubdmd *sd, struct metrics **out)
{
	struct metrics *m;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return -ENOMEM;
	m->sd = sd;
	if ((m->ev = event_new(sd->base, -1, EV_PERSIST, metrics_on_timer,
	    m)) == NULL) {
		metrics_free(m);
		return -ENOMEM;
	}
	*out = m;
	metrics_apply(m);
	return 0;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	if (m->ev != NULL)
		event_free(m->ev);
	free(m);
}
