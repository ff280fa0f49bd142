/* SPDX-License-Identifier: GPL-2.0-only */
/* xenstore transactions: snapshot, first-look generations, replay. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/hvsim/hvsim.h"
#include "tests/hvsim/txn.h"
#include "tests/hvsim/xsd.h"

int
txn_start(struct hvsim *h, struct txn **out)
{
	struct txn *tx;

	if (h->xsd->ntx >= TXN_TOTAL_MAX)
		return -ENOSPC;
	if ((tx = calloc(1, sizeof(*tx))) == NULL)
		return -ENOMEM;
	if ((tx->tree = tree_clone(h->xsd->tree)) == NULL) {
		free(tx);
		return -ENOMEM;
	}
	if (++h->xsd->next_txid == 0)
		h->xsd->next_txid = 1;
	tx->id = h->xsd->next_txid;
	h->xsd->ntx++;
	*out = tx;
	return 0;
}

void
txn_free(struct hvsim *h, struct txn *tx)
{
	size_t i;

	if (tx == NULL)
		return;
	for (i = 0; i < tx->nseen; i++)
		free(tx->seen[i].path);
	for (i = 0; i < tx->nops; i++) {
		free(tx->ops[i].path);
		free(tx->ops[i].data);
		tree_perms_clear(&tx->ops[i].perms);
	}
	free(tx->seen);
	free(tx->ops);
	tree_free(tx->tree);
	free(tx);
	h->xsd->ntx--;
}

/* Room for one more element in *v (n used), doubling; capped. */
static int
txn_grow(void **v, size_t n, size_t elem)
{
	void *nv;

	if (n >= TXN_SEEN_MAX)
		return -ENOSPC;
	if (n == 0 || (n & (n - 1)) == 0) {
		if ((nv = reallocarray(*v, n ? n * 2 : 8, elem)) == NULL)
			return -ENOMEM;
		*v = nv;
	}
	return 0;
}

int
txn_note(struct txn *tx, const char *path)
{
	struct tree_node *n;
	size_t i;
	int rc;

	for (i = 0; i < tx->nseen; i++)
		if (strcmp(tx->seen[i].path, path) == 0)
			return 0;
	if ((rc = txn_grow((void **)&tx->seen, tx->nseen,
	    sizeof(*tx->seen))) < 0)
		return rc;
	if ((tx->seen[tx->nseen].path = strdup(path)) == NULL)
		return -ENOMEM;
	n = tree_lookup(tx->tree, path);
	tx->seen[tx->nseen++].gen = n != NULL ? n->gen : 0;
	return 0;
}

int
txn_log(struct txn *tx, enum txn_kind kind, const char *path,
    const char *data, size_t len, const struct tree_perms *perms)
{
	struct txn_op op = { .kind = kind, .len = len };
	int rc;

	if ((rc = txn_grow((void **)&tx->ops, tx->nops, sizeof(*tx->ops))) < 0)
		return rc;
	if ((op.path = strdup(path)) == NULL ||
	    (len > 0 && (op.data = malloc(len)) == NULL) ||
	    (perms != NULL && tree_perms_dup(&op.perms, perms) < 0)) {
		free(op.path);
		free(op.data);
		return -ENOMEM;
	}
	if (len > 0)
		memcpy(op.data, data, len);
	tx->ops[tx->nops++] = op;
	return 0;
}

static int
txn_conflict(struct hvsim *h, const struct txn *tx)
{
	struct tree_node *n;
	size_t i;

	for (i = 0; i < tx->nseen; i++) {
		n = tree_lookup(h->xsd->tree, tx->seen[i].path);
		if ((n != NULL ? n->gen : 0) != tx->seen[i].gen)
			return 1;
	}
	return 0;
}

static int
txn_replay(struct hvsim *h, const struct xsd_who *w, const struct txn_op *op)
{
	switch (op->kind) {
	case TXN_WRITE:
		return xsd_write(h, w, op->path, op->data, op->len);
	case TXN_MKDIR:
		return xsd_mkdir(h, w, op->path);
	case TXN_RM:
		return xsd_rm(h, w, op->path);
	case TXN_PERMS:
		return xsd_set_perms(h, w, op->path, &op->perms);
	}
	return -EINVAL;
}

int
txn_commit(struct hvsim *h, uint32_t domid, struct txn *tx)
{
	const struct xsd_who w = { domid, NULL };
	size_t i;
	int rc;

	if (txn_conflict(h, tx))
		return -EAGAIN;
	/* Nothing it looked at changed: the replay does what it did. */
	for (i = 0; i < tx->nops; i++)
		if ((rc = txn_replay(h, &w, &tx->ops[i])) < 0)
			hvsim_log(h, "transaction %u: replaying a change of "
			    "%s failed: %s", tx->id, tx->ops[i].path,
			    hvsim_errname(rc));
	return 0;
}
