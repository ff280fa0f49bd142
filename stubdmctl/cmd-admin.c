/* SPDX-License-Identifier: GPL-2.0-only */
/* stubdmctl reload, set-log-level: changes to the daemon itself. */
#include <stdlib.h>

#include "stubdmctl/stubdmctl.h"
#include "stubdmd/proto.h"

int
ctl_cmd_reload(struct ctl *ctl, int argc, char **argv)
{
	json_t *r, *v;
	size_t i;
	char *s;
	int rc;

	if ((rc = ctl_call(ctl, PROTO_RELOAD, NULL, &r)) != CTL_OK)
		return rc;
	if (ctl->json) {
		ctl_print_json(r);
	} else {
		s = ctl_text(json_object_get(r, "policy"));
		printf("policy %s loaded\n", s != NULL ? s : "");
		free(s);
		json_array_foreach(json_object_get(r, "warnings"), i, v) {
			s = ctl_text(v);
			fprintf(stderr, "%s\n", s != NULL ? s : "");
			free(s);
		}
	}
	json_decref(r);
	return CTL_OK;
}

int
ctl_cmd_set_log_level(struct ctl *ctl, int argc, char **argv)
{
	json_t *r;
	char *level, *previous;
	int rc;

	rc = ctl_call(ctl, PROTO_SET_LOG_LEVEL, json_pack("{s:s}", "level",
	    argv[1]), &r);
	if (rc != CTL_OK)
		return rc;
	level = ctl_text(json_object_get(r, "level"));
	previous = ctl_text(json_object_get(r, "previous"));
	if (ctl->json)
		ctl_print_json(r);
	else
		printf("log level %s (was %s)\n", level != NULL ? level : "?",
		    previous != NULL ? previous : "?");
	free(level);
	free(previous);
	json_decref(r);
	return CTL_OK;
}
