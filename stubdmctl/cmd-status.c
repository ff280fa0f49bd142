/* SPDX-License-Identifier: GPL-2.0-only */
/* stubdmctl status GUEST: one guest in detail, its policy, its console. */
#include <stdlib.h>
#include <string.h>

#include "stubdmctl/stubdmctl.h"
#include "stubdmd/proto.h"

static const struct {
	const char	*label;
	const char	*key;
} ctl_status_fields[] = {
	{ "name", "name" },
	{ "domid", "domid" },
	{ "uuid", "uuid" },
	{ "state", "state" },
	{ "state since", "state_since" },
	{ "mode", "mode" },
	{ "stub domid", "stub_domid" },
	{ "restarts", "restarts" },
	{ "ioreq slots used", "starts" },
	{ "ever ran", "ever_ran" },
	{ "dying stubs", "dying" },
	{ "last exit", "last_exit" },
	{ "last exit time", "last_exit_time" },
	{ "device model", "dm_health" },
	{ "probes missed", "dm_probe_misses" },
	{ "reason", "reason" },
	{ "screen (VNC)", "vnc" },
};

static void
ctl_status_policy(json_t *policy)
{
	const char *key;
	json_t *v;
	char *s;

	ctl_print_field(stdout, "policy section",
	    json_object_get(policy, "section"));
	json_object_foreach(json_object_get(policy, "settings"), key, v) {
		s = ctl_text(v);
		printf("  %s =%s%s\n", key, s != NULL && *s ? " " : "",
		    s != NULL ? s : "");
		free(s);
	}
}

static void
ctl_status_console(json_t *console)
{
	char *text, *line, *save = NULL, *safe;

	if (!json_is_string(console) ||
	    (text = strdup(json_string_value(console))) == NULL) {
		printf("console: -\n");
		return;
	}
	printf("console (last lines of the stub domain):\n");
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		safe = ctl_safe(line);
		printf("  | %s\n", safe != NULL ? safe : "");
		free(safe);
	}
	free(text);
}

/* "cdrom hdc: /srv/x.iso" a drive ("-": no medium), once known. */
static void
ctl_status_cdroms(json_t *a)
{
	char *dev, *medium;
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v) {
		dev = ctl_text(json_object_get(v, "device"));
		medium = ctl_text(json_object_get(v, "medium"));
		printf("cdrom %s: %s\n", dev != NULL ? dev : "?",
		    medium != NULL ? medium : "-");
		free(dev);
		free(medium);
	}
}

static void
ctl_status_print(json_t *r)
{
	size_t i;

	for (i = 0; i < sizeof(ctl_status_fields) /
	    sizeof(ctl_status_fields[0]); i++)
		ctl_print_field(stdout, ctl_status_fields[i].label,
		    json_object_get(r, ctl_status_fields[i].key));
	ctl_status_cdroms(json_object_get(r, "cdroms"));
	ctl_status_policy(json_object_get(r, "policy"));
	ctl_status_console(json_object_get(r, "console"));
}

int
ctl_cmd_status(struct ctl *ctl, int argc, char **argv)
{
	json_t *r;
	int rc;

	rc = ctl_call(ctl, PROTO_STATUS, json_pack("{s:o}", "guest",
	    ctl_guest_param(argv[1])), &r);
	if (rc != CTL_OK)
		return rc;
	if (ctl->json)
		ctl_print_json(r);
	else
		ctl_status_print(json_object_get(r, "guest"));
	json_decref(r);
	return CTL_OK;
}
