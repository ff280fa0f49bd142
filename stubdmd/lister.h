/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The backend's slow calls off the event loop (the domain listing, domain
 * controls, renames): one worker thread per backend and its queue
 * (lister.c says why and how it stays safe).
 */
#ifndef STUBDMD_LISTER_H
#define STUBDMD_LISTER_H

#include <stddef.h>
#include <stdint.h>

#include "stubdmd/hv.h"

struct event_base;
struct lister;

/*
 * The backend's listing, called on the worker thread with the context
 * given to lister_new (the worker's alone: its own hypervisor handle or
 * connection).  0 and *out (malloc'd), or a negative errno.  It must not
 * log or take a lock the loop's thread could hold across a fork.
 */
typedef int lister_fn(void *ctx, uint32_t first, struct hv_dominfo **out,
	    size_t *n);

/* Another call for the worker (ctx as above), and its end on the loop. */
typedef int lister_call_fn(void *ctx, void *arg);
typedef void lister_done_cb(void *arg, int err);

struct lister_stats {
	uint64_t	listings;	/* delivered */
	uint64_t	stale;		/* taken again: the daemon changed one */
};

/*
 * NULL: out of memory.  fn NULL: a queue of calls only, no listings.  The
 * worker starts with the first request...
 */
struct lister *lister_new(struct event_base *base, lister_fn *fn, void *ctx);
/* ... or here, which a backend calls once start-up is done (ops->start). */
int	lister_begin(struct lister *l);
/*
 * Every request given is made first; ctx is the caller's again after it.
 * A call's done is then called with -ECANCELED.
 */
void	lister_free(struct lister *l);
/*
 * A listing of the domains from first up, reported later from the loop
 * (cb owns v).  One at a time: -EBUSY while one is under way.
 */
int	lister_start(struct lister *l, uint32_t first, hv_list_cb *cb,
	    void *arg);
/*
 * call(ctx, arg) on the worker, after what it was given before; done(arg,
 * its result) later from the loop, or done(arg, -ECANCELED) from
 * lister_free (the call was made; the caller's state may be gone).  Never
 * blocks: the queue is a list.  0, or a negative errno: neither is called.
 */
int	lister_call(struct lister *l, lister_call_fn *call,
	    lister_done_cb *done, void *arg);
/*
 * The daemon changed a domain through the backend (built, destroyed,
 * paused, ...): a listing under way may predate it and is taken again.
 */
void	lister_changed(struct lister *l);
const struct lister_stats *lister_stats(const struct lister *l);

#endif
