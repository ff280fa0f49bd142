/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stubdmctl cd-insert GUEST DEVICE FILE and cd-eject GUEST DEVICE: a CD-ROM
 * medium changed at run time, in xl's argument order (xl cd-insert).
 */
#include <stdlib.h>

#include "stubdmctl/stubdmctl.h"
#include "stubdmd/proto.h"

static int
ctl_media(struct ctl *ctl, const char *method, json_t *params,
    const char *done)
{
	char *guest, *device, *file;
	json_t *r;
	int rc;

	if ((rc = ctl_call(ctl, method, params, &r)) != CTL_OK)
		return rc;
	if (ctl->json) {
		ctl_print_json(r);
	} else {
		guest = ctl_text(json_object_get(r, "guest"));
		device = ctl_text(json_object_get(r, "device"));
		file = ctl_text(json_object_get(r, "file"));
		printf("%s %s: %s%s%s\n", guest != NULL ? guest : "?",
		    device != NULL ? device : "?", file != NULL ? file : "",
		    file != NULL ? " " : "", done);
		free(guest);
		free(device);
		free(file);
	}
	json_decref(r);
	return CTL_OK;
}

int
ctl_cmd_cd_insert(struct ctl *ctl, int argc, char **argv)
{
	return ctl_media(ctl, PROTO_CD_INSERT, json_pack("{s:o, s:s, s:s}",
	    "guest", ctl_guest_param(argv[1]), "device", argv[2], "file",
	    argv[3]), "inserted");
}

int
ctl_cmd_cd_eject(struct ctl *ctl, int argc, char **argv)
{
	return ctl_media(ctl, PROTO_CD_EJECT, json_pack("{s:o, s:s}",
	    "guest", ctl_guest_param(argv[1]), "device", argv[2]),
	    "ejected");
}
