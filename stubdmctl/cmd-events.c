/* SPDX-License-Identifier: GPL-2.0-only */
/* stubdmctl events [--follow]: recent state changes, then live ones. */
#include <stdlib.h>
#include <string.h>

#include "stubdmctl/stubdmctl.h"
#include "stubdmd/proto.h"

/* TIME GUEST (domid D, stub S): OLD -> NEW[: REASON] */
static void
ctl_event_line(json_t *ev)
{
	static const char *const keys[] = {
		"time", "guest", "domid", "stub_domid", "old", "new", "reason",
	};
	char *f[sizeof(keys) / sizeof(keys[0])];
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((f[i] = ctl_text(json_object_get(ev, keys[i]))) == NULL)
			f[i] = strdup("?");
	printf("%s %s (domid %s, stub %s): %s -> %s%s%s\n", f[0], f[1], f[2],
	    f[3], f[4], f[5], f[6] && *f[6] ? ": " : "", f[6] ? f[6] : "");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		free(f[i]);
}

/* One event a line: in words, or (--json) as one compact object. */
static void
ctl_events_print(struct ctl *ctl, json_t *events)
{
	size_t i;
	json_t *ev;

	json_array_foreach(events, i, ev) {
		if (ctl->json)
			json_dumpf(ev, stdout, JSON_COMPACT);
		if (ctl->json)
			putchar('\n');
		else
			ctl_event_line(ev);
	}
	fflush(stdout);
}

static int
ctl_events_follow(struct ctl *ctl)
{
	bool continues = true;
	json_t *r;
	int rc;

	rc = ctl_call_more(ctl, PROTO_EVENTS, json_pack("{s:b}", "follow", 1));
	while (rc == CTL_OK && continues) {
		if ((rc = ctl_next(ctl, &r, &continues)) != CTL_OK)
			break;
		ctl_events_print(ctl, json_object_get(r, "events"));
		json_decref(r);
	}
	return rc;
}

int
ctl_cmd_events(struct ctl *ctl, int argc, char **argv)
{
	json_t *r;
	int rc;

	if (ctl->opts & CTL_OPT_FOLLOW)
		return ctl_events_follow(ctl);
	if ((rc = ctl_call(ctl, PROTO_EVENTS, NULL, &r)) != CTL_OK)
		return rc;
	if (ctl->json)
		ctl_print_json(r);
	else
		ctl_events_print(ctl, json_object_get(r, "events"));
	json_decref(r);
	return CTL_OK;
}
