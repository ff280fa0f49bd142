/* SPDX-License-Identifier: GPL-2.0-only */
/* stubdmctl start, stop, restart GUEST: operator requests for one guest. */
#include <stdlib.h>
#include <string.h>

#include "stubdmctl/stubdmctl.h"
#include "stubdmd/proto.h"

json_t *
ctl_guest_param(const char *arg)
{
	size_t n = strspn(arg, "0123456789");

	if (n > 0 && n <= 9 && arg[n] == '\0')
		return json_integer(strtol(arg, NULL, 10));
	return json_string(arg);
}

static int
ctl_guest_op(struct ctl *ctl, const char *method, const char *guest)
{
	json_t *r, *g;
	char *name, *state;
	int rc;

	rc = ctl_call(ctl, method, json_pack("{s:o}", "guest",
	    ctl_guest_param(guest)), &r);
	if (rc != CTL_OK)
		return rc;
	g = json_object_get(r, "guest");
	name = ctl_text(json_object_get(g, "name"));
	state = ctl_text(json_object_get(g, "state"));
	if (ctl->json)
		ctl_print_json(r);
	else
		printf("%s: %s\n", name != NULL ? name : guest,
		    state != NULL ? state : "gone");
	free(name);
	free(state);
	json_decref(r);
	return CTL_OK;
}

int
ctl_cmd_start(struct ctl *ctl, int argc, char **argv)
{
	return ctl_guest_op(ctl, PROTO_START, argv[1]);
}

int
ctl_cmd_stop(struct ctl *ctl, int argc, char **argv)
{
	return ctl_guest_op(ctl, PROTO_STOP, argv[1]);
}

int
ctl_cmd_restart(struct ctl *ctl, int argc, char **argv)
{
	return ctl_guest_op(ctl, PROTO_RESTART, argv[1]);
}
