/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control methods of CD-ROM media (control-int.h): CdInsert and
 * CdEject, answered once the supervisor's change is done (super-media.c).
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "stubdmd/control-int.h"
#include "stubdmd/log.h"
#include "stubdmd/proto.h"
#include "stubdmd/stubdmd.h"
#include "stubdmd/super.h"

/* A string parameter of at most max bytes; NULL after the error reply. */
static const char *
control_media_str(struct control_call *call, const char *name, size_t max)
{
	const char *v = json_string_value(json_object_get(call->params,
	    name));

	if (v == NULL || v[0] == '\0' || strlen(v) > max) {
		control_bad_param(call, name);
		return NULL;
	}
	return v;
}

/* What refused a change, as the interface names it. */
static void
control_media_error(struct control_call *call, json_t *what, int err,
    const char *why, bool file_checked)
{
	const char *name = PROTO_E_MEDIA_FAILED;

	switch (err) {
	case -EOPNOTSUPP:
		name = PROTO_E_MEDIA_UNSUPPORTED;
		break;
	case -EAGAIN:
		name = PROTO_E_NOT_RUNNING;
		break;
	case -EHOSTDOWN: case -ETIMEDOUT: case -ECONNRESET: case -ENOTCONN:
		name = PROTO_E_DM_NOT_ANSWERING;
		break;
	case -ENODEV:
		name = PROTO_E_NO_SUCH_DRIVE;
		break;
	case -EINVAL: case -ENOENT: case -EACCES: case -EPERM: case -ELOOP:
	case -ENOTDIR: case -ENAMETOOLONG:
		if (file_checked)
			name = PROTO_E_INVALID_MEDIUM;
		break;
	}
	json_object_set_new(what, "reason", control_jstr(why));
	control_error(call, name, what);
}

static void
control_media_done(void *arg, int err, const char *why)
{
	struct control_call *d = arg;
	json_t *what = d->reply;

	d->reply = NULL;
	if (err == 0) {
		control_reply(d, what);
	} else {
		control_media_error(d, what, err, why, false);
	}
	control_deferred_done(d);
}

static void
control_media_cancel(struct control_call *d)
{
	super_media_forget(d->cc->c->sd->super, d);
}

/* CdInsert and CdEject: file NULL for an eject. */
static void
control_media(struct control_call *call, bool insert)
{
	struct super *s = call->cc->c->sd->super;
	char why[SUPER_MEDIA_WHY];
	struct control_call *d;
	struct super_guest *sg;
	const char *device, *file = NULL;
	json_t *what;
	int rc;

	if ((sg = control_param_guest(call)) == NULL ||
	    (device = control_media_str(call, "device", 7)) == NULL ||
	    (insert && (file = control_media_str(call, "file",
	    HV_PARAMS_MAX - 1)) == NULL))
		return;
	what = json_pack("{s:o, s:o}", "guest", control_jstr(sg->g.name),
	    "device", control_jstr(device));
	if (what != NULL && insert)
		json_object_set_new(what, "file", control_jstr(file));
	if (what == NULL || (d = control_defer(call,
	    control_media_cancel)) == NULL) {
		json_decref(what);
		control_reply(call, NULL);	/* out of memory: it goes */
		return;
	}
	d->reply = what;
	rc = insert ? super_media_insert(s, sg, device, file,
	    control_media_done, d, why, sizeof(why)) :
	    super_media_eject(s, sg, device, control_media_done, d, why,
	    sizeof(why));
	if (rc < 0) {
		d->reply = NULL;
		control_media_error(d, what, rc, why, insert);
		control_deferred_done(d);
	}
}

void
control_cd_insert(struct control_call *call)
{
	control_media(call, true);
}

void
control_cd_eject(struct control_call *call)
{
	control_media(call, false);
}
