/* SPDX-License-Identifier: GPL-2.0-only */
/* xenstore semantics: paths, permissions, operations, watches (xsd.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>

#include "tests/hvsim/dom.h"
#include "tests/hvsim/hvsim.h"
#include "tests/hvsim/txn.h"
#include "tests/hvsim/watch.h"
#include "tests/hvsim/xsd.h"

static const char *const xsd_special_names[] = {
	[XSD_INTRODUCE] = "@introduceDomain",
	[XSD_RELEASE] = "@releaseDomain",
};

#define XSD_NSPECIAL	\
	(sizeof(xsd_special_names) / sizeof(xsd_special_names[0]))

/* What exists before any toolstack writes: all dom0's. */
static const char *const xsd_initial_dirs[] = {
	"/local/domain", "/vm", "/tool",
};

int
xsd_init(struct hvsim *h)
{
	struct xsd *x = calloc(1, sizeof(*x));
	size_t i;
	int rc = -ENOMEM;

	if ((h->xsd = x) == NULL)
		return -ENOMEM;
	if ((x->tree = tree_new(&x->gen)) == NULL)
		return -ENOMEM;
	for (i = 0; i < XSD_NSPECIAL; i++)
		if ((rc = tree_perms_from_text("n0", &x->special[i])) < 0)
			return rc;
	for (i = 0; i < sizeof(xsd_initial_dirs) / sizeof(xsd_initial_dirs[0]);
	    i++)
		if ((rc = xsd_put_dir(h, xsd_initial_dirs[i], "n0")) < 0)
			return rc;
	return 0;
}

void
xsd_free(struct hvsim *h)
{
	size_t i;

	if (h->xsd == NULL)
		return;
	for (i = 0; i < XSD_NSPECIAL; i++)
		tree_perms_clear(&h->xsd->special[i]);
	tree_free(h->xsd->tree);
	free(h->xsd);
	h->xsd = NULL;
}

/* xenstored's is_valid_nodename (with the absolute path limit). */
static int
xsd_valid(const char *p)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-/_@";
	size_t len = strlen(p);

	if (p[0] != '/' || len > XENSTORE_ABS_PATH_MAX)
		return 0;
	if ((len > 1 && p[len - 1] == '/') || strstr(p, "//") != NULL)
		return 0;
	return strspn(p, ok) == len;
}

int
xsd_canon(uint32_t domid, const char *path, char *out, size_t size)
{
	int n;

	if (path[0] == '/' || path[0] == '@')
		n = snprintf(out, size, "%s", path);
	else
		n = snprintf(out, size, "/local/domain/%u/%s", domid, path);
	if (n < 0 || (size_t)n >= size)
		return -EINVAL;
	return xsd_valid(out) ? 0 : -EINVAL;
}

unsigned
xsd_perm(struct hvsim *h, uint32_t domid, const struct tree_perms *p)
{
	const unsigned all = TREE_PERM_READ | TREE_PERM_WRITE | TREE_PERM_OWNER;
	long target = domid != 0 ? dom_target(h, domid) : -1;
	size_t i;

	/* Owners, tools and the owner's device model get it all... */
	if (domid == 0 || p->p[0].id == domid ||
	    (target >= 0 && p->p[0].id == (uint32_t)target))
		return all;
	for (i = 1; i < p->n; i++)
		if (p->p[i].id == domid ||
		    (target >= 0 && p->p[i].id == (uint32_t)target))
			return p->p[i].perm;
	return p->p[0].perm;
}

struct tree_perms *
xsd_special(struct hvsim *h, const char *name)
{
	size_t i;

	for (i = 0; i < XSD_NSPECIAL; i++)
		if (strcmp(name, xsd_special_names[i]) == 0)
			return &h->xsd->special[i];
	return NULL;
}

void
xsd_fire_special(struct hvsim *h, enum xsd_special which)
{
	watch_fire_special(h, xsd_special_names[which],
	    &h->xsd->special[which]);
}

static struct tree *
xsd_tree(struct hvsim *h, const struct xsd_who *w)
{
	return w->tx != NULL ? w->tx->tree : h->xsd->tree;
}

/*
 * xenstored's get_node: a node without the permission is EACCES; a
 * missing one is ENOENT only if its nearest ancestor would grant the
 * permission, so that nothing leaks about nodes one may not see.
 */
static int
xsd_get(struct hvsim *h, const struct xsd_who *w, const char *path,
    unsigned perm, struct tree_node **out)
{
	struct tree *t = xsd_tree(h, w);
	struct tree_node *n = tree_lookup(t, path);

	*out = NULL;
	if (n != NULL) {
		if ((xsd_perm(h, w->domid, &n->perms) & perm) != perm)
			return -EACCES;
		*out = n;
		return 0;
	}
	n = tree_nearest(t, path);
	return (xsd_perm(h, w->domid, &n->perms) & perm) ? -ENOENT : -EACCES;
}

static void
xsd_parent_of(char *path)
{
	char *slash = strrchr(path, '/');

	if (slash == path)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
}

/*
 * In a transaction, remember the first look at path and at the ancestors
 * that decide the answer (up to one that exists); a change also touches
 * the parent's list of children.
 */
static int
xsd_note(const struct xsd_who *w, const char *path, int change)
{
	char buf[XSD_PATH_BUF];
	int rc;

	if (w->tx == NULL)
		return 0;
	snprintf(buf, sizeof(buf), "%s", path);
	for (;;) {
		if ((rc = txn_note(w->tx, buf)) < 0)
			return rc;
		if ((tree_lookup(w->tx->tree, buf) != NULL && !change) ||
		    strcmp(buf, "/") == 0)
			return 0;
		change = 0;
		xsd_parent_of(buf);
	}
}

/* A change is logged in a transaction, and fires watches outside one. */
static int
xsd_changed(struct hvsim *h, const struct xsd_who *w, enum txn_kind kind,
    const char *path, const struct tree_node *n, const struct tree_perms *old)
{
	if (w->tx != NULL)
		return txn_log(w->tx, kind, path, n->data, n->len,
		    kind == TXN_PERMS ? &n->perms : NULL);
	watch_fire(h, path, 0, n, old);
	return 0;
}

/* Canonical path, first look noted, node checked for perm. */
static int
xsd_open(struct hvsim *h, const struct xsd_who *w, const char *path,
    unsigned perm, int change, char *p, struct tree_node **n)
{
	int rc;

	*n = NULL;
	if ((rc = xsd_canon(w->domid, path, p, XSD_PATH_BUF)) < 0 ||
	    (rc = xsd_note(w, p, change)) < 0)
		return rc;
	return xsd_get(h, w, p, perm, n);
}

int
xsd_read(struct hvsim *h, const struct xsd_who *w, const char *path,
    char **data, size_t *len)
{
	char p[XSD_PATH_BUF];
	struct tree_node *n;
	int rc;

	if ((rc = xsd_open(h, w, path, TREE_PERM_READ, 0, p, &n)) < 0)
		return rc;
	if ((*data = malloc(n->len + 1)) == NULL)
		return -ENOMEM;
	if (n->len > 0)
		memcpy(*data, n->data, n->len);
	(*data)[n->len] = '\0';
	*len = n->len;
	return 0;
}

/* Unprivileged domains own what they create; the rest inherit. */
static long
xsd_owner(const struct xsd_who *w)
{
	return w->domid == 0 ? -1 : (long)w->domid;
}

int
xsd_write(struct hvsim *h, const struct xsd_who *w, const char *path,
    const char *data, size_t len)
{
	char p[XSD_PATH_BUF];
	struct tree_node *n;
	int rc;

	if (len > XSD_VALUE_MAX)
		return -E2BIG;
	rc = xsd_open(h, w, path, TREE_PERM_WRITE, 1, p, &n);
	if (rc == -ENOENT)
		rc = tree_create(xsd_tree(h, w), p, xsd_owner(w), &n);
	if (rc < 0 || (rc = tree_set_data(xsd_tree(h, w), n, data, len)) < 0)
		return rc;
	return xsd_changed(h, w, TXN_WRITE, p, n, NULL);
}

int
xsd_mkdir(struct hvsim *h, const struct xsd_who *w, const char *path)
{
	char p[XSD_PATH_BUF];
	struct tree_node *n;
	int rc;

	rc = xsd_open(h, w, path, TREE_PERM_WRITE, 1, p, &n);
	if (rc != -ENOENT)
		return rc;	/* it exists (fine) or may not be touched */
	if ((rc = tree_create(xsd_tree(h, w), p, xsd_owner(w), &n)) < 0)
		return rc;
	return xsd_changed(h, w, TXN_MKDIR, p, n, NULL);
}

struct xsd_rm_walk {
	struct hvsim		*h;
	const struct xsd_who	*w;
	const struct tree_node	*top;
	int			 rc;
};

/* Every removed node: noted in a transaction, watches fired outside. */
static void
xsd_rm_one(struct tree_node *n, void *arg)
{
	struct xsd_rm_walk *rw = arg;
	char path[XSD_PATH_BUF];
	int rc;

	if (tree_path(n, path, sizeof(path)) < 0)
		return;
	if (rw->w->tx != NULL) {
		if ((rc = txn_note(rw->w->tx, path)) < 0)
			rw->rc = rc;
		return;
	}
	/* Watches on the removed descendants fire too (exact match). */
	watch_fire(rw->h, path, n != rw->top, n, NULL);
}

int
xsd_rm(struct hvsim *h, const struct xsd_who *w, const char *path)
{
	struct xsd_rm_walk rw = { h, w, NULL, 0 };
	char p[XSD_PATH_BUF];
	struct tree_node *n;
	int rc;

	rc = xsd_open(h, w, path, TREE_PERM_WRITE, 1, p, &n);
	if (rc == -ENOENT) {
		/* Removing what is not there is fine if its parent is. */
		xsd_parent_of(p);
		return tree_lookup(xsd_tree(h, w), p) != NULL ? 0 : -ENOENT;
	}
	if (rc < 0)
		return rc;
	if (n->parent == NULL)
		return -EINVAL;
	rw.top = n;
	tree_walk_post(n, xsd_rm_one, &rw);
	if (rw.rc == 0 && w->tx != NULL)
		rw.rc = txn_log(w->tx, TXN_RM, p, NULL, 0, NULL);
	if (rw.rc < 0)
		return rw.rc;
	tree_remove(xsd_tree(h, w), n);
	return 0;
}

int
xsd_directory(struct hvsim *h, const struct xsd_who *w, const char *path,
    char **out, size_t *len, uint64_t *gen)
{
	char p[XSD_PATH_BUF];
	struct tree_node *n;
	int rc;

	if ((rc = xsd_open(h, w, path, TREE_PERM_READ, 0, p, &n)) < 0)
		return rc;
	*gen = n->gen;
	return tree_children(n, out, len);
}

int
xsd_get_perms(struct hvsim *h, const struct xsd_who *w, const char *path,
    char **out, size_t *len)
{
	char p[XSD_PATH_BUF], buf[TREE_PERMS_MAX * 8];
	struct tree_node *n;
	int rc;

	if ((rc = xsd_open(h, w, path, TREE_PERM_READ, 0, p, &n)) < 0 ||
	    (rc = tree_perms_format(&n->perms, '\0', buf, sizeof(buf),
	    len)) < 0)
		return rc;
	(*len)++;	/* every entry ends with a NUL */
	if ((*out = malloc(*len)) == NULL)
		return -ENOMEM;
	memcpy(*out, buf, *len);
	return 0;
}

/* @introduceDomain and @releaseDomain have perms but no node. */
static int
xsd_set_special(struct hvsim *h, const struct xsd_who *w, const char *path,
    const struct tree_perms *perms)
{
	const unsigned need = TREE_PERM_WRITE | TREE_PERM_OWNER;
	struct tree_perms *sp = xsd_special(h, path), copy;
	int rc;

	if (sp == NULL)
		return -EINVAL;
	if ((xsd_perm(h, w->domid, sp) & need) != need)
		return -EACCES;
	if ((rc = tree_perms_dup(&copy, perms)) < 0)
		return rc;
	tree_perms_clear(sp);
	*sp = copy;
	return 0;
}

int
xsd_set_perms(struct hvsim *h, const struct xsd_who *w, const char *path,
    const struct tree_perms *perms)
{
	const unsigned need = TREE_PERM_WRITE | TREE_PERM_OWNER;
	struct tree_perms old = { NULL, 0 };
	char p[XSD_PATH_BUF];
	struct tree_node *n;
	int rc;

	if (path[0] == '@')
		return xsd_set_special(h, w, path, perms);
	if ((rc = xsd_open(h, w, path, need, 1, p, &n)) < 0)
		return rc;
	/* Unprivileged domains may not give their nodes away. */
	if (w->domid != 0 && perms->p[0].id != n->perms.p[0].id)
		return -EPERM;
	if ((rc = tree_perms_dup(&old, &n->perms)) == 0 &&
	    (rc = tree_set_perms(xsd_tree(h, w), n, perms)) == 0)
		rc = xsd_changed(h, w, TXN_PERMS, p, n, &old);
	tree_perms_clear(&old);
	return rc;
}

int
xsd_put(struct hvsim *h, const char *path, const char *value)
{
	const struct xsd_who dom0 = { 0, NULL };

	return xsd_write(h, &dom0, path, value, strlen(value));
}

int
xsd_put_dir(struct hvsim *h, const char *path, const char *perms)
{
	const struct xsd_who dom0 = { 0, NULL };
	struct tree_perms p = { NULL, 0 };
	int rc;

	if ((rc = tree_perms_from_text(perms, &p)) == 0 &&
	    (rc = xsd_mkdir(h, &dom0, path)) == 0)
		rc = xsd_set_perms(h, &dom0, path, &p);
	tree_perms_clear(&p);
	return rc;
}

int
xsd_remove(struct hvsim *h, const char *path)
{
	const struct xsd_who dom0 = { 0, NULL };

	return xsd_rm(h, &dom0, path);
}
