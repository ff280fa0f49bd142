/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inside the control subsystem: what its transport (control.c) and its
 * methods (control-*.c) share.  Not for the rest of the daemon.
 */
#ifndef STUBDMD_CONTROL_INT_H
#define STUBDMD_CONTROL_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "stubdmd/guest.h"

struct super_guest;

#define CONTROL_CONNS_MAX	POLICY_CONNS_MAX
#define CONTROL_REFUSE_LOG_S	10	/* refusals: one log line per burst */
#define CONTROL_BACKLOG		128
#define CONTROL_OUT_MAX		(1024 * 1024)	/* queued for one client */
#define CONTROL_WRITE_TIMEOUT	30		/* s without progress */
#define CONTROL_HISTORY		256		/* state changes kept */
#define CONTROL_GROUPS_MAX	65536
#define CONTROL_DOMID_MAX	0x7ff0		/* DOMID_FIRST_RESERVED */

struct control;

struct control_conn {
	struct control		*c;
	struct bufferevent	*bev;
	struct ucred		 cred;
	bool			 follow;	/* streaming Events */
	bool			 closing;	/* close once output is sent */
	bool			 dead;		/* waiting to be freed */
	unsigned		 deferred;	/* calls answered later */
	TAILQ_ENTRY(control_conn) link;
};
TAILQ_HEAD(control_conns, control_conn);

struct control {
	struct stubdmd		*sd;
	struct evconnlistener	*listener;
	struct event		*ev_reap;	/* frees dead connections */
	struct event		*ev_resume;	/* after an accept error */
	struct event		*ev_refused;	/* pending: in a burst */
	char			*path;		/* NULL: not ours to unlink */
	dev_t			 dev;
	ino_t			 ino;
	struct control_conns	 conns;
	struct control_conns	 dead;
	TAILQ_HEAD(, control_call) deferred;	/* answered later */
	size_t			 nconns;
	json_t			*history[CONTROL_HISTORY];
	uint64_t		 nhistory;	/* recorded, all time */
	uint64_t		 served;	/* connections accepted */
	uint64_t		 calls;
	uint64_t		 rejected;
	uint64_t		 dropped;	/* slow or bad clients */
	uint64_t		 refused;	/* over a connection limit */
	uint64_t		 refused_burst;	/* not logged yet */
};

/* One call being answered. */
struct control_call {
	struct control_conn	*cc;
	const char		*method;
	json_t			*params;
	int			 more;
	int			 oneway;
	/* A deferred call (control_defer): its reply, kept until it goes. */
	json_t			*reply;
	/* Called if the daemon stops before the answer: forget the call. */
	void			(*cancel)(struct control_call *);
	TAILQ_ENTRY(control_call) link;
};

typedef void control_method_fn(struct control_call *call);

struct control_method {
	const char		*name;
	bool			 privileged;
	control_method_fn	*fn;
};

/* control.c: JSON values of untrusted strings, domids, times. */
json_t	*control_jstr(const char *s);
json_t	*control_jdomid(int domid);
json_t	*control_jtime(uint64_t wall_ms);

/* control.c: replies (msg and params are stolen). */
void	 control_send(struct control_conn *cc, json_t *msg);
void	 control_reply(struct control_call *call, json_t *params);
void	 control_error(struct control_call *call, const char *error,
	    json_t *params);
void	 control_reject(struct control_call *call, const char *error,
	    json_t *params);
void	 control_bad_param(struct control_call *call, const char *name);

/*
 * control.c: a call answered later, from the loop (a CD-ROM change): a
 * copy that keeps its connection (no more calls are read from it until
 * the answer, as replies go in order); reply or error to it, then
 * control_deferred_done.  NULL: out of memory (the call is unanswered).
 */
struct control_call *control_defer(struct control_call *call,
	    void (*cancel)(struct control_call *));
void	 control_deferred_done(struct control_call *d);

/* control.c: parameters; on NULL or -1 the error reply is sent. */
struct super_guest *control_param_guest(struct control_call *call);
/* Root, or in the policy's admin_group; uid in the group gid. */
bool	 control_privileged(const struct control *c, const struct ucred *cr);
bool	 control_user_in_group(uid_t uid, gid_t gid);
int	 control_param_bool(struct control_call *call, const char *name,
	    bool *out);

/* control-method.c: the method table. */
const struct control_method *control_method_find(const char *name);

/* control-guest.c */
void	 control_list(struct control_call *call);
void	 control_status(struct control_call *call);
void	 control_start(struct control_call *call);
void	 control_stop(struct control_call *call);
void	 control_restart(struct control_call *call);

/* control-events.c: the super observer that records and streams changes. */
void	 control_on_change(void *arg, const struct super_guest *sg,
	    enum guest_state old);
void	 control_events(struct control_call *call);

/* control-screen.c */
void	 control_console(struct control_call *call);

/* control-media.c */
void	 control_cd_insert(struct control_call *call);
void	 control_cd_eject(struct control_call *call);

/* control-state.c */
void	 control_save_state(struct control_call *call);
void	 control_restore_state(struct control_call *call);

#endif
