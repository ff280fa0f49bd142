/* SPDX-License-Identifier: GPL-2.0-only */
/* The daemon state: one struct, passed to every callback. */
#ifndef STUBDMD_STUBDMD_H
#define STUBDMD_STUBDMD_H

#include <stdbool.h>
#include <stdint.h>

#include "stubdmd/proto.h"

#define STUBDMD_VERSION	"0.1.0"
#define STUBDMD_POLICY_DEFAULT	PROTO_POLICY_DEFAULT

struct event;
struct event_base;
struct hv;
struct policy;
struct control;
struct metrics;
struct notify;
struct super;
struct vnc;
struct xstore;

/*
 * Event priorities: 0, xenstore's watch events and the listing of new
 * domains they start, runs before 1, everything else (setting up built
 * stubs, the control socket): in a burst of arrivals, each new guest's
 * build is asked for at once instead of behind the set-up of every guest
 * found before it.
 */
#define STUBDMD_PRIORITIES	2
#define STUBDMD_PRIO_SCAN	0

struct stubdmd_opts {
	const char	*policy_path;
	const char	*socket_path;	/* -S: overrides the policy's */
	const char	*sim_dir;	/* --sim: simulated host */
	bool		 foreground;
	bool		 verbose;
};

struct stubdmd {
	struct stubdmd_opts	 opts;
	struct event_base	*base;
	struct policy		*policy;
	struct hv		*hv;
	struct xstore		*xs;
	struct super		*super;
	struct control		*control;
	struct metrics		*metrics;	/* the textfile export */
	struct notify		*notify;	/* NULL: not under systemd */
	struct vnc		*vnc;		/* NULL: no guest screens */
	struct event		*ev_sig[4];
	struct event		*ev_reconnect;
	unsigned		 reconnect_ms;
	uint64_t		 started_ms;
	unsigned		 reloads;
	unsigned		 reload_failures;
};

/* Parse, validate and swap the policy; on error keep the old one.  The
 * diagnostics ("FILE:LINE: ...") go to the log and, if diag is not NULL,
 * to the caller (the control socket returns them). */
struct policy_diag;
int	stubdmd_reload(struct stubdmd *sd, struct policy_diag *diag);

#endif
