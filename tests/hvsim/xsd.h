/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xenstore semantics on the tree: paths, permissions (xenstored's
 * perm_for_conn), the operations on behalf of one domain, watches fired
 * on changes, transactions.  The wire protocol is in xsconn.c; the
 * simulated toolstack and device models call these directly.
 */
#ifndef HVSIM_XSD_H
#define HVSIM_XSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/hvsim/tree.h"

#define XSD_PATH_BUF	3200	/* > XENSTORE_ABS_PATH_MAX */
#define XSD_VALUE_MAX	4096

struct hvsim;
struct txn;

struct xsd {
	struct tree		*tree;
	uint64_t		 gen;		/* generation counter */
	uint32_t		 next_txid;
	size_t			 ntx;		/* open transactions */
	struct tree_perms	 special[2];	/* @introduce/@releaseDomain */
};

/* Who acts, and in which transaction (NULL: on the tree itself). */
struct xsd_who {
	uint32_t	 domid;
	struct txn	*tx;
};

enum xsd_special {
	XSD_INTRODUCE,
	XSD_RELEASE,
};

int	xsd_init(struct hvsim *);
void	xsd_free(struct hvsim *);

/* Resolve a relative path against domid's home and validate it. */
int	xsd_canon(uint32_t domid, const char *path, char *out, size_t size);
/* xenstored's perm_for_conn: TREE_PERM_* bits domid has on a node. */
unsigned xsd_perm(struct hvsim *, uint32_t domid, const struct tree_perms *);
/* The perms of "@introduceDomain" / "@releaseDomain", NULL if not one. */
struct tree_perms *xsd_special(struct hvsim *, const char *name);
void	xsd_fire_special(struct hvsim *, enum xsd_special);

/* The operations; 0 or -errno.  *data and *out are malloc'd. */
int	xsd_read(struct hvsim *, const struct xsd_who *, const char *path,
	    char **data, size_t *len);
int	xsd_write(struct hvsim *, const struct xsd_who *, const char *path,
	    const char *data, size_t len);
int	xsd_mkdir(struct hvsim *, const struct xsd_who *, const char *path);
int	xsd_rm(struct hvsim *, const struct xsd_who *, const char *path);
int	xsd_directory(struct hvsim *, const struct xsd_who *,
	    const char *path, char **out, size_t *len, uint64_t *gen);
int	xsd_get_perms(struct hvsim *, const struct xsd_who *,
	    const char *path, char **out, size_t *len);
int	xsd_set_perms(struct hvsim *, const struct xsd_who *,
	    const char *path, const struct tree_perms *);

/* What a toolstack in dom0 does: write, mkdir + chmod ("n0 r5"), rm. */
int	xsd_put(struct hvsim *, const char *path, const char *value);
int	xsd_put_dir(struct hvsim *, const char *path, const char *perms);
int	xsd_remove(struct hvsim *, const char *path);

#endif
