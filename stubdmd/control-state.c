/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control methods of an own-mode guest's device state (control-int.h):
 * SaveDeviceState and RestoreDeviceState, answered once the supervisor's
 * save or restore is done (super-state.c).
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "stubdmd/control-int.h"
#include "stubdmd/log.h"
#include "stubdmd/proto.h"
#include "stubdmd/stubdmd.h"
#include "stubdmd/super.h"

/* What refused a save or restore, as the interface names it. */
static void
control_state_error(struct control_call *call, json_t *what, int err,
    const char *why, bool at_once)
{
	const char *name = PROTO_E_STATE_FAILED;

	switch (err) {
	case -EOPNOTSUPP:
		name = PROTO_E_STATE_UNSUPPORTED;
		break;
	case -EBUSY:
		name = PROTO_E_NOT_PAUSED;
		break;
	case -EINVAL: case -ENOENT: case -EACCES: case -EPERM: case -ELOOP:
	case -ENOTDIR: case -ENAMETOOLONG: case -EEXIST: case -EISDIR:
		if (at_once)
			name = PROTO_E_INVALID_STATE_FILE;
		break;
	}
	json_object_set_new(what, "reason", control_jstr(why));
	control_error(call, name, what);
}

static void
control_state_done(void *arg, int err, const char *why)
{
	struct control_call *d = arg;
	json_t *what = d->reply;

	d->reply = NULL;
	if (err == 0)
		control_reply(d, what);
	else
		control_state_error(d, what, err, why, false);
	control_deferred_done(d);
}

static void
control_state_cancel(struct control_call *d)
{
	super_state_forget(d->cc->c->sd->super, d);
}

static void
control_state(struct control_call *call, bool restore)
{
	struct super *s = call->cc->c->sd->super;
	char why[SUPER_MEDIA_WHY];
	struct control_call *d;
	struct super_guest *sg;
	const char *file;
	json_t *what;
	int rc;

	if ((sg = control_param_guest(call)) == NULL)
		return;
	file = json_string_value(json_object_get(call->params, "file"));
	if (file == NULL || file[0] == '\0' || strlen(file) >= PATH_MAX) {
		control_bad_param(call, "file");
		return;
	}
	what = json_pack("{s:o, s:o}", "guest", control_jstr(sg->g.name),
	    "file", control_jstr(file));
	if (what == NULL || (d = control_defer(call,
	    control_state_cancel)) == NULL) {
		json_decref(what);
		control_reply(call, NULL);	/* out of memory: it goes */
		return;
	}
	d->reply = what;
	rc = restore ? super_state_restore(s, sg, file, control_state_done, d,
	    why, sizeof(why)) : super_state_save(s, sg, file,
	    control_state_done, d, why, sizeof(why));
	if (rc < 0) {
		d->reply = NULL;
		control_state_error(d, what, rc, why, true);
		control_deferred_done(d);
	}
}

void
control_save_state(struct control_call *call)
{
	control_state(call, false);
}

void
control_restore_state(struct control_call *call)
{
	control_state(call, true);
}
