/* SPDX-License-Identifier: GPL-2.0-only */
/* stubdmctl: options, the verb table, usage and exit codes. */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "stubdmctl/stubdmctl.h"
#include "stubdmd/proto.h"

static const struct ctl_verb ctl_verbs[] = {
	{ "list", "", "every guest stubdmd knows and its state", 0, 0, 0,
	    ctl_cmd_list },
	{ "status", "GUEST", "one guest in detail, with its console tail",
	    1, 1, 0, ctl_cmd_status },
	{ "start", "GUEST", "build a stub domain for a stopped guest", 1, 1,
	    0, ctl_cmd_start },
	{ "stop", "GUEST", "destroy the guest's stub domain; no restarts",
	    1, 1, 0, ctl_cmd_stop },
	{ "restart", "GUEST", "stop, then start", 1, 1, 0, ctl_cmd_restart },
	{ "console", "GUEST --vnc", "where the guest's screen is (a VNC "
	    "socket)", 1, 1, CTL_OPT_VNC, ctl_cmd_console },
	{ "screenshot", "GUEST FILE", "the guest's screen as a PNG", 2, 2, 0,
	    ctl_cmd_screenshot },
	{ "cd-insert", "GUEST DEVICE FILE", "put an ISO in the guest's CD-ROM "
	    "drive (hdc)", 3, 3, 0, ctl_cmd_cd_insert },
	{ "cd-eject", "GUEST DEVICE", "take the medium out of the drive", 2,
	    2, 0, ctl_cmd_cd_eject },
	{ "save-state", "GUEST FILE", "save a paused guest's device state",
	    2, 2, 0, ctl_cmd_save_state },
	{ "restore-state", "GUEST FILE", "a new stub that restores it", 2, 2,
	    0, ctl_cmd_restore_state },
	{ "reload", "", "reload the policy (errors: FILE:LINE)", 0, 0, 0,
	    ctl_cmd_reload },
	{ "events", "[--follow]", "recent state changes (--follow: then "
	    "live ones)", 0, 0, CTL_OPT_FOLLOW, ctl_cmd_events },
	{ "stats", "[--openmetrics]", "the daemon's counters, or metrics "
	    "for Prometheus", 0, 0, CTL_OPT_OPENMETRICS, ctl_cmd_stats },
	{ "set-log-level", "LEVEL", "error, warning, info or debug", 1, 1, 0,
	    ctl_cmd_set_log_level },
	{ "version", "", "this client's version and the daemon's", 0, 0, 0,
	    ctl_cmd_version },
	{ "help", "", "this text", 0, 0, 0, ctl_cmd_help },
};
#define CTL_NVERBS	(sizeof(ctl_verbs) / sizeof(ctl_verbs[0]))

static void
ctl_usage(FILE *out)
{
	char synopsis[64];
	size_t i;

	fprintf(out, "usage: stubdmctl [-S PATH|--socket PATH] [-f POLICY] "
	    "[--json] VERB [ARGS]\n"
	    "Options may also follow the verb; \"--\" ends them.\n\n");
	for (i = 0; i < CTL_NVERBS; i++) {
		snprintf(synopsis, sizeof(synopsis), "%s %s", ctl_verbs[i].name,
		    ctl_verbs[i].args);
		fprintf(out, "  %-24s %s\n", synopsis, ctl_verbs[i].help);
	}
	fprintf(out, "\nGUEST is a name or a domid.  Default socket: %s;\n"
	    "if it is not there, the policy's control_socket (-f, default "
	    "%s).\n"
	    "Exit: 0 ok, 1 stubdmd returned an error, 2 usage, 3 cannot "
	    "reach stubdmd.\n", PROTO_SOCKET_DEFAULT, PROTO_POLICY_DEFAULT);
}

int
ctl_cmd_help(struct ctl *ctl, int argc, char **argv)
{
	ctl_usage(stdout);
	return CTL_OK;
}

static const struct ctl_verb *
ctl_verb_find(const char *name)
{
	size_t i;

	for (i = 0; i < CTL_NVERBS; i++)
		if (strcmp(ctl_verbs[i].name, name) == 0)
			return &ctl_verbs[i];
	return NULL;
}

static int
ctl_parse_opts(struct ctl *ctl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "policy", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "follow", no_argument, NULL, 'F' },
		{ "openmetrics", no_argument, NULL, 'm' },
		{ "vnc", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	/*
	 * Options anywhere, before or after the verb and its arguments, as
	 * systemctl, virsh and git take them; "--" ends them (a guest named
	 * "-x" is "stubdmctl status -- -x").  -f is the policy, as stubdmd's
	 * -f; --follow has no short form.
	 */
	while ((c = getopt_long(argc, argv, "S:f:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'S': ctl->socket = optarg; ctl->socket_given = true; break;
		case 'f': ctl->policy = optarg; break;
		case 'j': ctl->json = true; break;
		case 'F': ctl->opts |= CTL_OPT_FOLLOW; break;
		case 'm': ctl->opts |= CTL_OPT_OPENMETRICS; break;
		case 'V': ctl->opts |= CTL_OPT_VNC; break;
		case 'h': ctl_usage(stdout); exit(CTL_OK);
		default: return -1;
		}
	}
	return optind < argc ? 0 : -1;
}

/* A verb's own option given to another verb. */
static int
ctl_check_opts(const struct ctl *ctl, const struct ctl_verb *v)
{
	static const char *const names[] = {	/* bit i: CTL_OPT_* */
		"--follow", "--openmetrics", "--vnc",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((ctl->opts & ~v->opts) & (1u << i)) {
			fprintf(stderr, "stubdmctl: %s does not take %s\n",
			    v->name, names[i]);
			return -1;
		}
	return 0;
}

int
main(int argc, char **argv)
{
	struct ctl ctl = { .socket = PROTO_SOCKET_DEFAULT,
	    .policy = PROTO_POLICY_DEFAULT, .fd = -1 };
	const struct ctl_verb *v;
	int rc, nargs;

	signal(SIGPIPE, SIG_IGN);
	if (ctl_parse_opts(&ctl, argc, argv) < 0) {
		ctl_usage(stderr);
		return CTL_EUSAGE;
	}
	nargs = argc - optind - 1;
	if ((v = ctl_verb_find(argv[optind])) == NULL) {
		fprintf(stderr, "stubdmctl: unknown verb \"%s\" (try "
		    "\"stubdmctl help\")\n", argv[optind]);
		return CTL_EUSAGE;
	}
	if (nargs < v->min_args || nargs > v->max_args ||
	    ctl_check_opts(&ctl, v) < 0) {
		fprintf(stderr, "usage: stubdmctl [OPTIONS] %s %s\n", v->name,
		    v->args);
		return CTL_EUSAGE;
	}
	rc = v->fn(&ctl, nargs + 1, argv + optind);
	ctl_close(&ctl);
	return rc;
}
