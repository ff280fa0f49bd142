/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The real Xen backend's insides, shared by its two files: hv-xen.c (the
 * operations, listing, domctls, consoles) and hv-xen-builder.c (the
 * daemon's side of the builder process, xlbuild.c).  Not for the rest of
 * the daemon, which sees hv.h only.
 */
#ifndef STUBDMD_HV_XEN_H
#define STUBDMD_HV_XEN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <xenctrl.h>

#include "stubdmd/builder.h"
#include "stubdmd/hv.h"

struct lister;

#define HV_XEN_NAME_MAX		128
#define HV_XEN_NAMES		64	/* recently built stubs, for consoles */
#define HV_XEN_DOMID_MAX	BUILDER_DOMID_MAX
#define HV_XEN_STALL_OPS	24	/* the calls timed (about 15) */

/* One request for a builder, queued until its reply. */
struct hv_xen_job {
	struct hv_xen		*x;
	enum builder_op		 op;
	uint64_t		 id;
	char			*msg;		/* the encoded request */
	size_t			 len;
	struct hv_xen_builder	*b;		/* in its hands, or NULL */
	bool			 resent;	/* destroy: sent again once */
	uint64_t		 queued_us;
	uint64_t		 sent_us;
	uint32_t		 domid;		/* destroy, attach: D */
	uint8_t			 uuid[16];	/* build: the stub's UUID */
	char			 name[HV_XEN_NAME_MAX];
	hv_build_cb		*cb;
	void			*arg;
	TAILQ_ENTRY(hv_xen_job)	 link;
};

/* One builder process of the pool, one request at a time; pid -1: none. */
struct hv_xen_builder {
	struct hv_xen		*x;
	unsigned		 slot;
	pid_t			 pid;
	int			 fd;
	struct event		*ev_read;
	struct event		*ev_write;
	struct event		*ev_timer;	/* deadline, or reap polls */
	struct hv_xen_job	*job;		/* in hand, or NULL */
	bool			 blocked;	/* its socket was full */
	bool			 lost;		/* dead or killed, not reaped */
	bool			 starting;	/* its fork is on the forker */
	bool			 retiring;	/* beyond the policy's number */
	bool			 timed_out;
	bool			 malformed;
	unsigned		 polls;
};

/*
 * What the lister's thread (lister.c) has of its own, used by nothing on
 * the loop: the listings' libxenctrl handle, the renames' xenstore
 * connection (opened at the first, again after a failure).
 */
struct hv_xen_worker {
	xc_interface		*xch;
	struct xs_handle	*xsh;
};

/* A domain control, made on the lister's thread (hv-xen.c). */
enum hv_xen_ctl_op {
	HV_XEN_PAUSE,
	HV_XEN_UNPAUSE,
	HV_XEN_SHUTDOWN,
	HV_XEN_DESTROY,		/* stopped there, then the builder's */
};

struct hv_xen_ctl {
	struct hv_xen		*x;
	enum hv_xen_ctl_op	 op;
	uint32_t		 domid;
	int			 why;		/* shutdown's reason */
	uint64_t		 took_us;	/* on the worker */
	hv_done_cb		*cb;
	void			*arg;
	TAILQ_ENTRY(hv_xen_ctl)	 link;		/* destroys not yet stopped */
};

/* Each call's longest (op: a literal from the caller). */
struct hv_xen_longest {
	const char	*op;
	uint64_t	 max_us;
};

struct hv_xen_name {
	uint32_t	domid;
	char		name[HV_XEN_NAME_MAX];
};

struct hv_xen {
	struct hv			 hv;
	struct event			*ev_pump;
	xc_interface			*xch;
	struct hv_xen_worker		 worker;	/* the lister's own */
	struct lister			*lister;
	/*
	 * The domain controls' queue and thread: apart from the listings,
	 * so that an unpause never waits behind a slow listing.
	 */
	struct hv_xen_worker		 ctl_worker;
	struct lister			*controls;
	hv_list_cb			*list_cb;	/* one under way */
	void				*list_arg;
	char				*console_dir;
	/* In the order they came; any number of them in a builder's hands. */
	TAILQ_HEAD(, hv_xen_job)	 jobs;
	struct hv_xen_builder		 b[HV_BUILDERS_MAX];
	unsigned			 builders;	/* at most at work */
	/*
	 * Builders started after start-up are forked on this thread, not
	 * the loop's (a fork of the daemon is 40 to 50 ms of it on an
	 * emulated host).  It ends after them (their PR_SET_PDEATHSIG is
	 * its end).
	 */
	struct lister			*forker;
	char				*rbuf;		/* one reply */
	uint64_t			 next_id;
	struct hv_xen_name		 names[HV_XEN_NAMES];
	unsigned			 next_name;
	/* Destroys queued for the worker: the domains are as good as gone. */
	TAILQ_HEAD(, hv_xen_ctl)	 destroys;
	/* Each call's longest stall of the loop, and time on the worker. */
	struct hv_xen_longest		 stalls[HV_XEN_STALL_OPS];
	struct hv_xen_longest		 worker_us[HV_XEN_STALL_OPS];
};

#define HV_XEN_STALL_LOG_US	10000

/*
 * When a call from the loop began: the clock, the loop's CPU time, its
 * page faults and involuntary context switches so far (what a stall of
 * HV_XEN_STALL_LOG_US or more is logged with).
 */
struct hv_xen_t0 {
	uint64_t	wall_us;
	uint64_t	cpu_us;
	long		faults;
	long		preempts;
};

/* hv-xen.c */
struct hv_xen_t0 hv_xen_t0_now(void);
/*
 * Every call from the loop is timed: the longest is the loop's stall.
 * Each call's longest so far is logged, and every call that held the
 * loop HV_XEN_STALL_LOG_US or more (the goal is less).
 * Its CPU time is logged beside it: under an emulated or starved dom0 a
 * call that only waited (for a CPU, a disk, another process) shows little.
 */
void	hv_xen_stall(struct hv_xen *x, struct hv_xen_t0 t0, const char *op);
/* A call made on the lister's thread: how long it took there. */
void	hv_xen_worker_time(struct hv_xen *x, const char *op, uint64_t us);
int	hv_xen_list_all(struct hv_xen *x, uint32_t first,
	    struct hv_dominfo **out, size_t *n);
int	hv_xen_destroy(struct hv *hv, uint32_t domid);
/* Its destroy is queued, stopping the domain, or the builder's. */
bool	hv_xen_destroying(const struct hv_xen *x, uint32_t domid);
/* The name a stub was built with: xenconsoled's log of it has it. */
void	hv_xen_remember_name(struct hv_xen *x, uint32_t domid,
	    const char *name);

/* hv-xen-builder.c */
int	hv_xen_builder_open(struct hv_xen *x);
void	hv_xen_builder_close(struct hv_xen *x);
/* After start-up (daemon(3) forks): builders are the daemon's children. */
int	hv_xen_builder_start(struct hv_xen *x);
/* At most n builders (1 to HV_BUILDERS_MAX) from now on. */
void	hv_xen_builder_set_max(struct hv_xen *x, unsigned n);
/* A build, or an attach to the running spare stub. */
int	hv_xen_builder_spec(struct hv_xen *x, enum builder_op op,
	    uint32_t stub, const struct hv_stub_spec *spec, hv_build_cb *cb,
	    void *arg);
int	hv_xen_builder_destroy(struct hv_xen *x, uint32_t domid);
/* A domain whose destroy is queued or in hand. */
bool	hv_xen_builder_destroying(const struct hv_xen *x, uint32_t domid);
/* The queue again: a destroy held a build back and is over. */
void	hv_xen_builder_kick(struct hv_xen *x);

#endif
