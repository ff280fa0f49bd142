/* SPDX-License-Identifier: GPL-2.0-only */
/* stubdmctl list: every guest, one line each. */
#include "stubdmctl/stubdmctl.h"
#include "stubdmd/proto.h"

static const struct ctl_column ctl_list_cols[] = {
	{ "NAME", "name" },
	{ "DOMID", "domid" },
	{ "STATE", "state" },
	{ "MODE", "mode" },
	{ "STUB", "stub_domid" },
	{ "RESTARTS", "restarts" },
	{ "LAST-EXIT", "last_exit" },
	{ "DM", "dm_health" },
	{ "REASON", "reason" },
};

int
ctl_cmd_list(struct ctl *ctl, int argc, char **argv)
{
	json_t *r;
	int rc;

	if ((rc = ctl_call(ctl, PROTO_LIST, NULL, &r)) != CTL_OK)
		return rc;
	if (ctl->json)
		ctl_print_json(r);
	else
		ctl_table_print(ctl_list_cols, sizeof(ctl_list_cols) /
		    sizeof(ctl_list_cols[0]), json_object_get(r, "guests"),
		    stdout);
	json_decref(r);
	return CTL_OK;
}
