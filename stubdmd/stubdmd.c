/* SPDX-License-Identifier: GPL-2.0-only */
/* stubdmd: options, start-up, signals and the event loop. */
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stubdmd/clock.h"
#include "stubdmd/control.h"
#include "stubdmd/metrics.h"
#include "stubdmd/hv.h"
#include "stubdmd/log.h"
#include "stubdmd/notify.h"
#include "stubdmd/policy.h"
#include "stubdmd/stubdmd.h"
#include "stubdmd/super.h"
#include "stubdmd/vnc.h"
#include "stubdmd/xstore.h"

#define RECONNECT_MIN_MS	100
#define RECONNECT_MAX_MS	5000

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: stubdmd [-dv] [-f POLICY] [-S SOCKET] [--sim DIR]\n"
	    "       stubdmd -n [-f POLICY] [-g GUEST|uuid:UUID]\n"
	    "\n"
	    "  -d, --foreground   stay in the foreground, log to stderr\n"
	    "  -f, --policy FILE  host policy (default %s)\n"
	    "  -S, --socket PATH  control socket (overrides the policy)\n"
	    "      --sim DIR      use the simulated host in DIR, not Xen\n"
	    "  -n, --check        check the policy and exit (0 ok, 1 errors)\n"
	    "  -g, --guest NAME   with -n: print the settings NAME would get\n"
	    "  -v, --verbose      debug logging\n"
	    "  -V, --version      print the version and exit\n",
	    STUBDMD_POLICY_DEFAULT);
}

static enum log_level
stubdmd_log_level(const struct stubdmd *sd)
{
	if (sd->opts.verbose)
		return LOG_LVL_DEBUG;
	return (enum log_level)policy_global(sd->policy)->log_level;
}

static void
stubdmd_log_diag(const struct policy_diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		log_warnx("%s", d->lines[i]);
}

/* The policy's bound on builds at once, for a backend that has one. */
static void
stubdmd_set_builders(struct stubdmd *sd)
{
	if (sd->hv->ops->set_builders != NULL)
		sd->hv->ops->set_builders(sd->hv,
		    policy_global(sd->policy)->builders);
}

int
stubdmd_reload(struct stubdmd *sd, struct policy_diag *out)
{
	struct policy_diag diag = { 0 };
	struct policy *p = NULL;
	int rc;

	notify_reloading(sd->notify);
	rc = policy_load(sd->opts.policy_path, &p, &diag);
	stubdmd_log_diag(&diag);
	if (rc < 0) {
		sd->reload_failures++;
		log_warnx("policy %s rejected (%zu errors); keeping the "
		    "policy in force", sd->opts.policy_path, diag.nerrors);
		notify_ready(sd->notify, "policy reload rejected, the old "
		    "policy stays in force");
	} else {
		super_set_policy(sd->super, p);
		policy_free(sd->policy);
		sd->policy = p;
		stubdmd_set_builders(sd);
		sd->reloads++;
		log_set_level(stubdmd_log_level(sd));
		metrics_apply(sd->metrics);
		log_info("policy %s loaded", sd->opts.policy_path);
		notify_ready(sd->notify, NULL);
	}
	if (out != NULL)
		*out = diag;
	else
		policy_diag_free(&diag);
	return rc;
}

static void
stubdmd_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct stubdmd *sd = arg;

	switch (sig) {
	case SIGHUP:
		log_info("SIGHUP: reloading the policy");
		stubdmd_reload(sd, NULL);
		break;
	default:
		log_info("signal %d: shutting down; stub domains keep running",
		    (int)sig);
		event_base_loopbreak(sd->base);
		break;
	}
}

static void
stubdmd_try_reconnect(evutil_socket_t fd, short what, void *arg)
{
	struct stubdmd *sd = arg;
	struct timeval tv;
	int rc;

	if ((rc = xstore_connect(sd->xs)) == 0) {
		log_info("reconnected to xenstored");
		sd->reconnect_ms = RECONNECT_MIN_MS;
		return;
	}
	log_debug("xenstored still unreachable: %s; retrying in %u ms",
	    strerror(-rc), sd->reconnect_ms);
	tv = clock_tv(sd->reconnect_ms);
	evtimer_add(sd->ev_reconnect, &tv);
	sd->reconnect_ms *= 2;
	if (sd->reconnect_ms > RECONNECT_MAX_MS)
		sd->reconnect_ms = RECONNECT_MAX_MS;
}

static void
stubdmd_xs_lost(void *arg)
{
	struct stubdmd *sd = arg;
	struct timeval now = { 0, 0 };

	sd->reconnect_ms = RECONNECT_MIN_MS;
	evtimer_add(sd->ev_reconnect, &now);
}

static void
stubdmd_xs_reconnected(void *arg)
{
	struct stubdmd *sd = arg;

	super_reconcile(sd->super, "xenstored reconnected");
}

static int
stubdmd_parse_args(struct stubdmd_opts *o, int argc, char **argv,
    bool *check, const char **guest)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'd' },
		{ "policy", required_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 'S' },
		{ "sim", required_argument, NULL, 's' },
		{ "check", no_argument, NULL, 'n' },
		{ "guest", required_argument, NULL, 'g' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->policy_path = STUBDMD_POLICY_DEFAULT;
	while ((c = getopt_long(argc, argv, "df:S:ng:vVh", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'd': o->foreground = true; break;
		case 'f': o->policy_path = optarg; break;
		case 'S': o->socket_path = optarg; break;
		case 's': o->sim_dir = optarg; break;
		case 'n': *check = true; break;
		case 'g': *guest = optarg; break;
		case 'v': o->verbose = true; break;
		case 'V': printf("stubdmd %s\n", STUBDMD_VERSION); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind != argc || (*guest != NULL && !*check)) {
		usage(stderr);
		exit(2);
	}
	return 0;
}

static void
stubdmd_open_backends(struct stubdmd *sd)
{
	const struct xstore_hooks hooks = {
		.lost = stubdmd_xs_lost,
		.reconnected = stubdmd_xs_reconnected,
		.arg = sd,
		/* Watch events (guests arriving, going, ready) come first. */
		.priority = STUBDMD_PRIO_SCAN,
	};
	char *err = NULL;
	int rc;

	if (sd->opts.sim_dir != NULL)
		sd->hv = hv_sim_open(sd->base, sd->opts.sim_dir, &err);
	else
		sd->hv = hv_xen_open(sd->base, &err);
	if (sd->hv == NULL)
		fatalx("%s", err ? err : "cannot open the hypervisor backend");
	log_info("hypervisor backend: %s", sd->hv->ops->name);
	stubdmd_set_builders(sd);
	if ((sd->xs = xstore_new(sd->base, &hooks)) == NULL)
		fatalx("out of memory");
	if ((rc = xstore_connect(sd->xs)) < 0)
		fatalx("cannot connect to xenstored (%s): %s",
		    getenv("XENSTORED_PATH") ? getenv("XENSTORED_PATH") :
		    "default socket", strerror(-rc));
}

static void
stubdmd_init_signals(struct stubdmd *sd)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sd->ev_sig[i] = evsignal_new(sd->base, sigs[i],
		    stubdmd_on_signal, sd);
		if (sd->ev_sig[i] == NULL || evsignal_add(sd->ev_sig[i],
		    NULL) == -1)
			fatalx("cannot install signal handlers");
	}
	sd->ev_reconnect = evtimer_new(sd->base, stubdmd_try_reconnect, sd);
	if (sd->ev_reconnect == NULL)
		fatalx("out of memory");
}

static void
stubdmd_load_policy(struct stubdmd *sd)
{
	struct policy_diag diag = { 0 };

	if (policy_load(sd->opts.policy_path, &sd->policy, &diag) < 0) {
		stubdmd_log_diag(&diag);
		policy_diag_free(&diag);
		fatalx("policy %s rejected", sd->opts.policy_path);
	}
	stubdmd_log_diag(&diag);
	policy_diag_free(&diag);
	log_set_level(stubdmd_log_level(sd));
}

static void
stubdmd_free(struct stubdmd *sd)
{
	size_t i;

	notify_free(sd->notify);
	metrics_free(sd->metrics);
	vnc_free(sd->vnc);
	control_free(sd->control);
	super_free(sd->super);
	xstore_free(sd->xs);
	if (sd->hv != NULL)
		sd->hv->ops->close(sd->hv);
	for (i = 0; i < sizeof(sd->ev_sig) / sizeof(sd->ev_sig[0]); i++)
		if (sd->ev_sig[i] != NULL)
			event_free(sd->ev_sig[i]);
	if (sd->ev_reconnect != NULL)
		event_free(sd->ev_reconnect);
	policy_free(sd->policy);
	if (sd->base != NULL)
		event_base_free(sd->base);
}

int
main(int argc, char **argv)
{
	struct stubdmd sd = { 0 };
	const char *guest = NULL;
	bool check = false;
	int rc;

	stubdmd_parse_args(&sd.opts, argc, argv, &check, &guest);
	if (check)
		return policy_check_main(sd.opts.policy_path, guest, stdout,
		    stderr);
	log_init("stubdmd", sd.opts.verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	stubdmd_load_policy(&sd);
	/* Two priorities: detecting new guests goes before other work. */
	if ((sd.base = event_base_new()) == NULL ||
	    event_base_priority_init(sd.base, STUBDMD_PRIORITIES) < 0)
		fatalx("cannot create the event loop");
	sd.started_ms = clock_now_ms();
	stubdmd_init_signals(&sd);
	stubdmd_open_backends(&sd);
	if ((sd.super = super_new(&sd)) == NULL)
		fatalx("out of memory");
	if ((rc = control_new(&sd, &sd.control)) < 0)
		fatalx("control socket %s: %s", control_path(&sd),
		    rc == -EADDRINUSE ? "another stubdmd answers on it" :
		    strerror(-rc));
	if (!sd.opts.foreground) {
		log_detach();
		if (daemon(0, 0) == -1)
			fatal("daemon");
	}
	/* After daemon(3): the pid that runs the loop is the one to watch. */
	if (notify_new(&sd, &sd.notify) < 0)
		fatalx("out of memory");
	if (sd.hv->ops->start != NULL && (rc = sd.hv->ops->start(sd.hv)) < 0)
		log_warnx("starting the %s backend: %s; will try again at the "
		    "first build", sd.hv->ops->name, strerror(-rc));
	log_info("stubdmd %s started (policy %s)", STUBDMD_VERSION,
	    sd.opts.policy_path);
	super_start(sd.super);
	if (metrics_new(&sd, &sd.metrics) < 0 || vnc_new(&sd, &sd.vnc) < 0)
		fatalx("out of memory");
	log_info("supervising %zu guests (%zu running)", super_count(sd.super,
	    -1), super_count(sd.super, GUEST_RUNNING));
	/* Listening, watching, first reconcile done: clients may come. */
	notify_ready(sd.notify, NULL);
	event_base_dispatch(sd.base);
	notify_stopping(sd.notify);
	super_stop(sd.super);
	log_info("stubdmd stopped");
	stubdmd_free(&sd);
	return 0;
}
