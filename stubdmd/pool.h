/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The warm pool: stub domains built and booted ahead of need, without a
 * target, each waiting in xenstore for its assignment.  A policy section
 * with pool_size = N keeps N spares built from its settings; a new guest
 * whose settings build the same stub takes one instead of waiting for a
 * build and a boot.  Spares are recorded under <state_path>/pool so that
 * a restarted daemon finds (and destroys) those of its previous run.
 */
#ifndef STUBDMD_POOL_H
#define STUBDMD_POOL_H

#include <stddef.h>
#include <stdint.h>

struct hv_dominfo;
struct policy;
struct policy_settings;
struct pool;
struct stubdmd;

struct pool_stats {
	unsigned	target;		/* spares wanted, all sections */
	unsigned	ready;		/* built, booting or waiting */
	unsigned	building;
	uint64_t	memory_mib;	/* of ready and building spares */
	uint64_t	built;
	uint64_t	taken;
	uint64_t	build_failures;
	uint64_t	died;		/* spares that died waiting */
};

struct pool *pool_new(struct stubdmd *sd);
void	pool_free(struct pool *pl);
/*
 * What holds a fill back: busy(arg) counts the stub domains starting
 * (being built, booting, their device model not yet ready).  While it
 * is not 0 the pool builds nothing, POOL_HOLD_MAX_MS at most: a spare
 * built beside them would take dom0's CPU from the guests waiting for
 * them (a guest that took a spare waits for its devices and QEMU).
 */
#define POOL_HOLD_MAX_MS	15000
void	pool_set_hold(struct pool *pl, unsigned (*busy)(void *), void *arg);
/* Destroy the spares a previous run left, then fill the pools. */
void	pool_start(struct pool *pl, const struct hv_dominfo *v, size_t n);
/* Pools follow the policy: changed ones are drained and rebuilt. */
void	pool_set_policy(struct pool *pl, const struct policy *p);
/*
 * A spare built as cfg says, taken out of its pool: 0 with its domid and
 * UUID, or -ENOENT.  Its record stays until pool_taken(), which the
 * caller calls once the guest's own record names the stub.
 */
int	pool_take(struct pool *pl, const struct policy_settings *cfg,
	    uint32_t *domid, char uuid[37]);
void	pool_taken(struct pool *pl, const char *uuid);
/* From each scan's listing: spares that died are replaced. */
void	pool_check(struct pool *pl, const struct hv_dominfo *v, size_t n);
/* Destroy every spare (the daemon stops). */
void	pool_drain(struct pool *pl);
void	pool_stats(const struct pool *pl, struct pool_stats *out);

#endif
