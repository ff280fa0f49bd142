/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control methods of the guests' screens (control-int.h): where a
 * guest's screen is served, told only to whom its socket admits (vnc.c).
 */
#include <grp.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "stubdmd/control-int.h"
#include "stubdmd/log.h"
#include "stubdmd/policy.h"
#include "stubdmd/proto.h"
#include "stubdmd/stubdmd.h"
#include "stubdmd/super.h"
#include "stubdmd/vnc.h"

/* Who may see a guest's screen: as may connect to its socket (vnc.c). */
static bool
control_may_see(const struct control *c, const struct ucred *cr)
{
	const char *name = policy_global(c->sd->policy)->vnc_group;
	struct group *gr;

	if (control_privileged(c, cr))
		return true;
	if (name == NULL || *name == '\0' || (gr = getgrnam(name)) == NULL)
		return false;
	return cr->gid == gr->gr_gid || control_user_in_group(cr->uid,
	    gr->gr_gid);
}

void
control_console(struct control_call *call)
{
	struct control_conn *cc = call->cc;
	struct super_guest *sg;
	const char *path;

	if ((sg = control_param_guest(call)) == NULL)
		return;
	if (!control_may_see(cc->c, &cc->cred)) {
		log_warnx("control: %s refused to uid %u pid %d: not root nor "
		    "in the admin or vnc group", PROTO_CONSOLE,
		    (unsigned)cc->cred.uid, (int)cc->cred.pid);
		control_reject(call, PROTO_E_PERMISSION, json_pack("{s:s}",
		    "method", PROTO_CONSOLE));
	} else if ((path = vnc_path(cc->c->sd->vnc, sg->g.domid)) == NULL) {
		control_error(call, PROTO_E_NO_SCREEN, json_pack("{s:o}",
		    "guest", control_jstr(sg->g.name)));
	} else {
		control_reply(call, json_pack("{s:o}", "vnc",
		    control_jstr(path)));
	}
}
