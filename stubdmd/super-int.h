/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inside the supervisor: what super.c and its super-*.c files share.
 * Not for the rest of the daemon.
 */
#ifndef STUBDMD_SUPER_INT_H
#define STUBDMD_SUPER_INT_H

#include <event2/util.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "stubdmd/guest.h"
#include "stubdmd/hv.h"
#include "stubdmd/log.h"
#include "stubdmd/probe.h"
#include "stubdmd/super.h"

#define SUPER_DOMID_MAX		0x7ff0	/* DOMID_FIRST_RESERVED */
#define SUPER_PATH_MAX		256
#define SUPER_CONSOLE_LINES	20
/*
 * A stub destroyed by someone else while its guest lives: libxl's `xl
 * destroy` ends the stub before the guest.  Its death is judged this long
 * after, unless the guest has gone by then.
 */
#define SUPER_TOOLSTACK_GRACE_MS	3000

struct sguest {
	struct super_guest	 pub;	/* first: super_guest * casts */
	struct super		*s;
	struct event		*timer;
	char			 ready_path[96];
	bool			 ready_armed;	/* else the scans poll it */
	char			 name_path[40];	/* watched; "": not */
	bool			 pending;	/* libxl's, not settled yet */
	uint64_t		 pending_until;	/* then it is adopted anyway */
	bool			 spare;		/* its stub came from the pool */
	bool			 pooled;	/* ... and still serves it */
	bool			 suspended;	/* seen suspended: a save */
	uint64_t		 stub_gone_at;	/* destroyed, in grace; 0: no */
	uint64_t		 build_serial;
	bool			 media_busy;	/* a CD-ROM change under way */
	bool			 state_busy;	/* a device-state save/restore */
	struct hv_devices	*devs;		/* build to set-up; NULL: none */
	TAILQ_ENTRY(sguest)	 link;
};

struct build_ticket {
	struct super	*s;
	uint32_t	 guest;
	uint64_t	 serial;
	uint32_t	 spare;		/* attach: the spare taken; the stub
					   an unpause was for */
};

struct super {
	struct stubdmd		*sd;
	TAILQ_HEAD(, sguest)	 guests;
	size_t			 nguests;
	struct sguest		**by_domid;
	int32_t			*stub_owner;	/* stub domid -> guest domid */
	uint8_t			*seen;		/* classified, not a guest */
	uint8_t			*present;	/* in the last listing */
	uint32_t		 scan_from;	/* no domain below is new */
	bool			 full_due;	/* a domain went: list all */
	bool			 listing;	/* one under way, off the loop */
	bool			 listing_full;
	bool			 list_again;	/* asked for meanwhile */
	bool			 reconcile_due;	/* the next full one times it */
	struct event		*ev_scan;
	struct event		*ev_reconcile;
	struct event		*ev_grace;	/* a grace ends: scan again */
	char			*state_path;
	uint64_t		 next_serial;
	uint64_t		 rng;
	struct super_stats	 stats;
	struct pool		*pool;
	struct probe_stats	 probe_stats;
	TAILQ_HEAD(, media_op)	 media_ops;	/* CD-ROM changes under way */
	TAILQ_HEAD(, state_op)	 state_ops;	/* device states moving */
	super_observer		*observer;
	void			*observer_arg;
};

/* super.c: why a mode is not supervised, for the guest's reason. */
extern const char *const super_mode_reasons[];

/* super.c: the guest table, records, timers, the ready watch, actions. */
struct log_guest super_lg(const struct sguest *sg);
uint32_t super_random(struct super *s);
struct guest_env super_env(struct super *s);
const struct policy *super_policy(const struct super *s);
void	 super_persist(struct super *s, struct sguest *sg);
void	 super_unpersist(struct super *s, uint32_t domid);
void	 super_arm_timer(struct sguest *sg);
struct sguest *super_guest_new(struct super *s, uint32_t domid,
	    const char *name, const char *uuid);
void	 super_unwatch_ready(struct super *s, struct sguest *sg);
void	 super_drop_devices(struct sguest *sg);
void	 super_on_ready_event(void *arg, const char *path);
void	 super_watch_ready(struct super *s, struct sguest *sg);
void	 super_log_transition(struct super *s, struct sguest *sg,
	    enum guest_state old);
void	 super_apply(struct super *s, struct sguest *sg, unsigned acts,
	    enum guest_state old);
void	 super_keep_console(struct super *s, struct sguest *sg);
/* A running stub is probed (policy permitting), any other is not. */
void	 super_probe_sync(struct super *s, struct sguest *sg);

/* super-stub.c: build, spare, attach; start and destroy a stub. */
unsigned super_do_build(struct super *s, struct sguest *sg);
unsigned super_do_start_stub(struct super *s, struct sguest *sg);
void	 super_do_destroy_stub(struct super *s, struct sguest *sg);

/* super-libxl.c: libxl's stubs. */
void	 super_check_pending(struct super *s, struct sguest *sg,
	    const struct hv_dominfo *v, size_t n);

/* super-scan.c: detection, scans, reconcile. */
enum super_mode super_classify(struct super *s, uint32_t domid, int *stub);
void	 super_check_guest(struct super *s, struct sguest *sg,
	    const struct hv_dominfo *v, size_t n);
void	 super_on_scan(evutil_socket_t fd, short what, void *arg);
void	 super_reconcile_now(struct super *s);
void	 super_on_domain_event(void *arg, const char *path);
void	 super_on_reconcile(evutil_socket_t fd, short what, void *arg);
void	 super_on_grace(evutil_socket_t fd, short what, void *arg);
void	 super_arm_reconcile(struct super *s);

/* super-media.c: CD-ROM changes. */
void	 super_media_free_all(struct super *s);

/* super-state.c: device states saved and restored. */
void	 super_state_observe(struct super *s, struct sguest *sg,
	    enum guest_state old);
void	 super_state_quiet(struct super *s);
void	 super_state_free_all(struct super *s);

/* super-readopt.c: the daemon's own records at start-up. */
void	 super_adopt(struct super *s);

#endif
