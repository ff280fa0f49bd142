/* SPDX-License-Identifier: GPL-2.0-only */
/* stubdmctl stats, version: what the daemon reports about itself. */
#include <stdlib.h>
#include <string.h>

#include "stubdmctl/stubdmctl.h"
#include "stubdmd/proto.h"
#include "stubdmd/stubdmd.h"

/* The daemon's text as it is: it escapes the label values itself. */
static int
ctl_stats_metrics(struct ctl *ctl)
{
	const char *text;
	json_t *r;
	int rc;

	if ((rc = ctl_call(ctl, PROTO_METRICS, NULL, &r)) != CTL_OK)
		return rc;
	if ((text = json_string_value(json_object_get(r, "text"))) != NULL)
		fputs(text, stdout);
	else
		fprintf(stderr, "stubdmctl: stubdmd's Metrics reply has no "
		    "text\n");
	json_decref(r);
	return text != NULL ? CTL_OK : CTL_EDAEMON;
}

int
ctl_cmd_stats(struct ctl *ctl, int argc, char **argv)
{
	const char *key;
	json_t *r, *v;
	int rc;

	if (ctl->opts & CTL_OPT_OPENMETRICS)
		return ctl_stats_metrics(ctl);
	if ((rc = ctl_call(ctl, PROTO_STATS, NULL, &r)) != CTL_OK)
		return rc;
	if (ctl->json)
		ctl_print_json(r);
	else
		json_object_foreach(r, key, v)
			ctl_print_field(stdout, key, v);
	json_decref(r);
	return CTL_OK;
}

static void
ctl_version_print(json_t *info)
{
	char *v = ctl_text(json_object_get(info, "version"));
	char *i = ctl_text(json_object_get(info, "interface_version"));
	char *b = ctl_text(json_object_get(info, "backend"));

	printf("stubdmd %s (interface %s, backend %s)\n", v ? v : "?",
	    i ? i : "?", b ? b : "?");
	free(v);
	free(i);
	free(b);
}

/* The client's version always; the daemon's if it answers. */
int
ctl_cmd_version(struct ctl *ctl, int argc, char **argv)
{
	json_t *info = NULL, *doc;
	int err;

	if ((err = ctl_connect(ctl)) == 0)
		ctl_call(ctl, PROTO_GET_INFO, NULL, &info);
	if (ctl->json) {
		doc = json_pack("{s:s, s:i, s:o}", "version", STUBDMD_VERSION,
		    "interface_version", PROTO_INTERFACE_VERSION, "daemon",
		    info != NULL ? info : json_null());
		ctl_print_json(doc);
		json_decref(doc);
		return CTL_OK;
	}
	printf("stubdmctl %s (interface %d)\n", STUBDMD_VERSION,
	    PROTO_INTERFACE_VERSION);
	if (info != NULL)
		ctl_version_print(info);
	else if (err < 0)
		fprintf(stderr, "stubdmctl: stubdmd not reachable at %s: %s\n",
		    ctl->socket, strerror(-err));
	json_decref(info);
	return CTL_OK;
}
