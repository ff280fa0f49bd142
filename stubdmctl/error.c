/* SPDX-License-Identifier: GPL-2.0-only */
/* The daemon's errors in words: "stubdmctl: <error name>: <text>". */
#include <stdlib.h>
#include <string.h>

#include "stubdmctl/stubdmctl.h"
#include "stubdmd/proto.h"

struct ctl_error {
	const char	*name;
	const char	*text;
	const char	*key;		/* a parameter shown after the text */
	const char	*lines;		/* an array shown one item a line */
};

static const struct ctl_error ctl_errors[] = {
	{ PROTO_E_NO_SUCH_GUEST, "no such guest", "guest", NULL },
	{ PROTO_E_NOT_SUPERVISED, "not supervised by stubdmd (its device "
	    "model is not stubdmd's to manage, or the policy says "
	    "stubdom = no)", "guest", NULL },
	{ PROTO_E_PERMISSION, "permission denied (root or the admin group "
	    "only)", "method", NULL },
	{ PROTO_E_POLICY_REJECTED, "the policy was rejected; the policy in "
	    "force is kept", NULL, "errors" },
	{ PROTO_E_INVALID_PARAM, "invalid parameter", "parameter", NULL },
	{ PROTO_E_NO_METHOD, "stubdmd does not know this method",
	    "method", NULL },
	{ PROTO_E_INVALID_MSG, "stubdmd did not understand the message",
	    "reason", NULL },
	{ PROTO_E_TOO_LARGE, "message too large for stubdmd", NULL, NULL },
	{ PROTO_E_TOO_MANY_CONNS, "too many connections open; this user's "
	    "limit (or the socket's)", "limit", NULL },
	{ PROTO_E_NO_SUCH_DRIVE, "no such CD-ROM drive", "reason", NULL },
	{ PROTO_E_INVALID_MEDIUM, "not a medium stubdmd gives a guest",
	    "reason", NULL },
	{ PROTO_E_NOT_RUNNING, "the guest's device model is not running",
	    "reason", NULL },
	{ PROTO_E_DM_NOT_ANSWERING, "the guest's device model does not "
	    "answer", "reason", NULL },
	{ PROTO_E_MEDIA_UNSUPPORTED, "CD-ROM changes are for stubdmd's own "
	    "stubs only", "reason", NULL },
	{ PROTO_E_MEDIA_FAILED, "the CD-ROM change failed", "reason", NULL },
	{ PROTO_E_STATE_UNSUPPORTED, "device states are for stubdmd's own "
	    "stubs of a Linux image only", "reason", NULL },
	{ PROTO_E_NOT_PAUSED, "the guest is not paused", "reason", NULL },
	{ PROTO_E_INVALID_STATE_FILE, "not a file for the device state",
	    "reason", NULL },
	{ PROTO_E_STATE_FAILED, "the device state was not moved", "reason",
	    NULL },
};

static const struct ctl_error *
ctl_error_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(ctl_errors) / sizeof(ctl_errors[0]); i++)
		if (strcmp(ctl_errors[i].name, name) == 0)
			return &ctl_errors[i];
	return NULL;
}

static void
ctl_error_lines(json_t *a)
{
	size_t i;
	json_t *v;
	char *s;

	json_array_foreach(a, i, v) {
		if ((s = ctl_text(v)) != NULL)
			fprintf(stderr, "%s\n", s);
		free(s);
	}
}

void
ctl_error_print(const char *name, json_t *params)
{
	const struct ctl_error *e = ctl_error_find(name);
	char *n = ctl_safe(name), *v = NULL, *p = NULL;

	if (e != NULL && e->key != NULL)
		v = ctl_text(json_object_get(params, e->key));
	else if (e == NULL)
		p = json_dumps(params, JSON_COMPACT | JSON_ENCODE_ANY);
	fprintf(stderr, "stubdmctl: %s: %s%s%s\n", n != NULL ? n : "?",
	    e != NULL ? e->text : "error", v != NULL || p != NULL ? ": " : "",
	    v != NULL ? v : p != NULL ? p : "");
	if (e != NULL && e->lines != NULL)
		ctl_error_lines(json_object_get(params, e->lines));
	ctl_error_lines(json_object_get(params, "warnings"));
	free(n);
	free(v);
	free(p);
}
