/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xenstore transactions: a private copy of the tree taken at start, the
 * generation of every node the transaction looked at (its first look),
 * and the log of its changes.  Commit fails with EAGAIN if any of those
 * nodes changed meanwhile; otherwise the log is replayed on the tree, so
 * that watches fire then, as xenstored does.
 */
#ifndef HVSIM_TXN_H
#define HVSIM_TXN_H

#include <stddef.h>
#include <stdint.h>

#include "tests/hvsim/tree.h"

#define TXN_SEEN_MAX	4096	/* nodes one transaction may touch */
#define TXN_TOTAL_MAX	256	/* open transactions in all of hvsim */

struct hvsim;

enum txn_kind {
	TXN_WRITE,
	TXN_MKDIR,
	TXN_RM,
	TXN_PERMS,
};

struct txn_seen {
	char		*path;
	uint64_t	 gen;	/* 0: did not exist */
};

struct txn_op {
	enum txn_kind		 kind;
	char			*path;
	char			*data;
	size_t			 len;
	struct tree_perms	 perms;
};

struct txn {
	struct txn		*next;
	uint32_t		 id;
	struct tree		*tree;
	struct txn_seen		*seen;
	size_t			 nseen;
	struct txn_op		*ops;
	size_t			 nops;
};

int	txn_start(struct hvsim *, struct txn **out);
void	txn_free(struct hvsim *, struct txn *);
/* Remember path's generation in the transaction's copy (first look). */
int	txn_note(struct txn *, const char *path);
int	txn_log(struct txn *, enum txn_kind, const char *path,
	    const char *data, size_t len, const struct tree_perms *);
/* Check and replay as domid; the caller frees the transaction. */
int	txn_commit(struct hvsim *, uint32_t domid, struct txn *);

#endif
