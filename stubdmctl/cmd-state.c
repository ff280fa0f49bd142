/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stubdmctl save-state GUEST FILE and restore-state GUEST FILE: the device
 * state of a paused own-mode guest, saved to a file in dom0 or restored
 * from one by a new stub.  A relative FILE is taken from this directory
 * (the daemon wants an absolute path).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "stubdmctl/stubdmctl.h"
#include "stubdmd/proto.h"

static int
ctl_state(struct ctl *ctl, const char *method, const char *guest,
    const char *file, const char *done)
{
	char cwd[PATH_MAX], path[PATH_MAX * 2 + 2];
	char *g, *f;
	json_t *r;
	int rc;

	if (file[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL)
		snprintf(path, sizeof(path), "%s/%s", cwd, file);
	else
		snprintf(path, sizeof(path), "%s", file);
	if ((rc = ctl_call(ctl, method, json_pack("{s:o, s:s}", "guest",
	    ctl_guest_param(guest), "file", path), &r)) != CTL_OK)
		return rc;
	if (ctl->json) {
		ctl_print_json(r);
	} else {
		g = ctl_text(json_object_get(r, "guest"));
		f = ctl_text(json_object_get(r, "file"));
		printf("%s: device state %s %s\n", g != NULL ? g : "?", done,
		    f != NULL ? f : "?");
		free(g);
		free(f);
	}
	json_decref(r);
	return CTL_OK;
}

int
ctl_cmd_save_state(struct ctl *ctl, int argc, char **argv)
{
	return ctl_state(ctl, PROTO_SAVE_STATE, argv[1], argv[2],
	    "saved to");
}

int
ctl_cmd_restore_state(struct ctl *ctl, int argc, char **argv)
{
	return ctl_state(ctl, PROTO_RESTORE_STATE, argv[1], argv[2],
	    "restored from");
}
