/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xenstore watches: each connection's list, and firing them on a change
 * to the connections allowed to see it (xenstored's watch_permitted).
 */
#ifndef HVSIM_WATCH_H
#define HVSIM_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "tests/hvsim/tree.h"

#define WATCH_MAX	128	/* per unprivileged connection */
#define WATCH_MAX_DOM0	16384	/* xenstored has no quota for dom0 */

struct hvsim;
struct xsconn;

struct watch {
	struct watch	*next, *prev;	/* the connection's, in order */
	struct watch	*hnext;	/* in its bucket of the connection's index */
	uint64_t	 seq;	/* the order it was set in */
	char		*path;	/* canonical, or "@..." */
	char		*token;
	size_t		 strip;	/* a relative watch: its home's length */
};

int	watch_add(struct xsconn *, const char *path, const char *token,
	    struct watch **out);
int	watch_remove(struct xsconn *, const char *path, const char *token);
void	watch_clear(struct xsconn *);
/* The event xenstored sends right after a watch is set. */
void	watch_initial(struct xsconn *, const struct watch *);
/* path changed (node as it is, or was if removed; old: previous perms).
 * exact: only watches on path itself (removed descendants). */
void	watch_fire(struct hvsim *, const char *path, int exact,
	    const struct tree_node *node, const struct tree_perms *old);
void	watch_fire_special(struct hvsim *, const char *name,
	    const struct tree_perms *perms);

#endif
