/* SPDX-License-Identifier: GPL-2.0-only */
/* xenstore watches: per-connection lists and firing (watch.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>

#include "tests/hvsim/hvsim.h"
#include "tests/hvsim/tree.h"
#include "tests/hvsim/watch.h"
#include "tests/hvsim/xsconn.h"
#include "tests/hvsim/xsd.h"

/*
 * Each connection's watches are also hashed by path, so that firing a
 * change looks up the path and its ancestors instead of comparing every
 * watch: a daemon with one watch per guest at thousands of guests must not
 * make every write cost thousands of comparisons here.  Events still go
 * out in the order the watches were set, as xenstored sends them.
 */
#define WATCH_BUCKETS_MIN	64

struct watch_index {
	struct watch	**b;
	size_t		  cap;	/* a power of two */
	uint64_t	  seq;
};

static struct watch **
watch_bucket(const struct watch_index *x, const char *path, size_t len)
{
	return &x->b[tree_hash(path, len) & (x->cap - 1)];
}

/* Rehash into twice as many buckets once they hold two watches each. */
static int
watch_index_grow(struct xsconn *c)
{
	struct watch_index *x = c->widx;
	size_t cap = x->cap ? 2 * x->cap : WATCH_BUCKETS_MIN, i;
	struct watch **b = calloc(cap, sizeof(*b)), *w, *next, **head;

	if (b == NULL)
		return -ENOMEM;
	for (i = 0; i < x->cap; i++)
		for (w = x->b[i]; w != NULL; w = next) {
			next = w->hnext;
			head = &b[tree_hash(w->path, strlen(w->path)) &
			    (cap - 1)];
			w->hnext = *head;
			*head = w;
		}
	free(x->b);
	x->b = b;
	x->cap = cap;
	return 0;
}

static int
watch_index_add(struct xsconn *c, struct watch *w)
{
	struct watch **head;

	if (c->widx == NULL && (c->widx = calloc(1, sizeof(*c->widx))) == NULL)
		return -ENOMEM;
	if (c->nwatches + 1 > 2 * c->widx->cap && watch_index_grow(c) < 0)
		return -ENOMEM;
	w->seq = c->widx->seq++;
	head = watch_bucket(c->widx, w->path, strlen(w->path));
	w->hnext = *head;
	*head = w;
	return 0;
}

static void
watch_index_del(struct xsconn *c, struct watch *w)
{
	struct watch **i;

	for (i = watch_bucket(c->widx, w->path, strlen(w->path)); *i != NULL;
	    i = &(*i)->hnext)
		if (*i == w) {
			*i = w->hnext;
			return;
		}
}

static struct watch *
watch_find(const struct xsconn *c, const char *path, const char *token)
{
	struct watch *w;

	if (c->widx == NULL || c->widx->cap == 0)
		return NULL;
	for (w = *watch_bucket(c->widx, path, strlen(path)); w != NULL;
	    w = w->hnext)
		if (strcmp(w->path, path) == 0 && strcmp(w->token, token) == 0)
			return w;
	return NULL;
}

static void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	free(w->path);
	free(w->token);
	free(w);
}

/* The canonical form of a watch's path, and how much of it is home. */
static int
watch_canon(const struct xsconn *c, const char *path, char *out,
    size_t size, size_t *strip)
{
	int rc;

	*strip = 0;
	if (path[0] == '@') {
		if (strlen(path) > XENSTORE_REL_PATH_MAX ||
		    strlen(path) >= size)
			return -EINVAL;
		strcpy(out, path);
		return 0;
	}
	if ((rc = xsd_canon(c->domid, path, out, size)) < 0)
		return rc;
	if (path[0] != '/')
		*strip = strlen(out) - strlen(path);
	return 0;
}

int
watch_add(struct xsconn *c, const char *path, const char *token,
    struct watch **out)
{
	char p[XSD_PATH_BUF];
	struct watch *w;
	size_t strip;
	int rc;

	if ((rc = watch_canon(c, path, p, sizeof(p), &strip)) < 0)
		return rc;
	if (watch_find(c, p, token) != NULL)
		return -EEXIST;
	if (c->nwatches >= (c->domid == 0 ? WATCH_MAX_DOM0 : WATCH_MAX))
		return -E2BIG;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->path = strdup(p)) == NULL ||
	    (w->token = strdup(token)) == NULL ||
	    watch_index_add(c, w) < 0) {
		watch_free(w);
		return -ENOMEM;
	}
	w->strip = strip;
	w->prev = c->watches_last;
	if (c->watches_last != NULL)
		c->watches_last->next = w;
	else
		c->watches = w;
	c->watches_last = w;
	c->nwatches++;
	*out = w;
	return 0;
}

int
watch_remove(struct xsconn *c, const char *path, const char *token)
{
	char p[XSD_PATH_BUF];
	struct watch *w;
	size_t strip;
	int rc;

	if ((rc = watch_canon(c, path, p, sizeof(p), &strip)) < 0)
		return rc;
	if ((w = watch_find(c, p, token)) == NULL)
		return -ENOENT;
	*(w->prev != NULL ? &w->prev->next : &c->watches) = w->next;
	*(w->next != NULL ? &w->next->prev : &c->watches_last) = w->prev;
	watch_index_del(c, w);
	watch_free(w);
	c->nwatches--;
	return 0;
}

void
watch_clear(struct xsconn *c)
{
	struct watch *w;

	while ((w = c->watches) != NULL) {
		c->watches = w->next;
		watch_free(w);
	}
	c->watches_last = NULL;
	c->nwatches = 0;
	if (c->widx != NULL)
		free(c->widx->b);
	free(c->widx);
	c->widx = NULL;
}

void
watch_initial(struct xsconn *c, const struct watch *w)
{
	xsconn_event(c, w->path + w->strip, w->token);
}

/* Is name the watched path or below it? */
static int
watch_covers(const char *watched, const char *name)
{
	size_t len = strlen(watched);

	if (watched[0] == '@')
		return 0;
	if (strcmp(watched, "/") == 0)
		return 1;
	return strncmp(name, watched, len) == 0 &&
	    (name[len] == '/' || name[len] == '\0');
}

/* xenstored's watch_permitted: the old perms, the node's, its parent's. */
static int
watch_permitted(struct hvsim *h, uint32_t domid, const struct tree_node *n,
    const struct tree_perms *old)
{
	if (old != NULL && (xsd_perm(h, domid, old) & TREE_PERM_READ))
		return 1;
	if (xsd_perm(h, domid, &n->perms) & TREE_PERM_READ)
		return 1;
	return n->parent != NULL &&
	    (xsd_perm(h, domid, &n->parent->perms) & TREE_PERM_READ);
}

/* The watches set on path[0..len) itself, added to *v. */
static int
watch_collect(const struct xsconn *c, const char *path, size_t len,
    const struct watch ***v, size_t *n, size_t *cap)
{
	const struct watch *w, **nv;

	for (w = *watch_bucket(c->widx, path, len); w != NULL; w = w->hnext) {
		if (strncmp(w->path, path, len) != 0 || w->path[len] != '\0')
			continue;
		if (*n == *cap) {
			*cap = *cap ? 2 * *cap : 8;
			if ((nv = reallocarray(*v, *cap, sizeof(*nv))) == NULL)
				return -ENOMEM;
			*v = nv;
		}
		(*v)[(*n)++] = w;
	}
	return 0;
}

static int
watch_cmp_seq(const void *a, const void *b)
{
	uint64_t x = (*(const struct watch *const *)a)->seq;
	uint64_t y = (*(const struct watch *const *)b)->seq;

	return x < y ? -1 : x > y;
}

/* The watches on path (exact) or on path and its ancestors, in the
 * order they were set; -ENOMEM if they cannot be gathered. */
static int
watch_matches(const struct xsconn *c, const char *path, int exact,
    const struct watch ***v, size_t *n)
{
	size_t len = strlen(path), cap = 0;
	int rc = 0;

	*v = NULL;
	*n = 0;
	if (c->widx == NULL || c->widx->cap == 0)
		return 0;
	if (exact || path[0] != '/')
		return watch_collect(c, path, len, v, n, &cap);
	/* "/a/b", "/a", then "/" */
	while ((rc = watch_collect(c, path, len, v, n, &cap)) == 0 &&
	    len > 1) {
		while (path[len - 1] != '/')
			len--;
		len = len > 1 ? len - 1 : 1;
	}
	if (*n > 1)
		qsort(*v, *n, sizeof(**v), watch_cmp_seq);
	return rc;
}

static void
watch_send(struct xsconn *c, const char *path, int exact)
{
	const struct watch *w, **v;
	size_t n, i;

	if (watch_matches(c, path, exact, &v, &n) < 0) {
		free(v);
		for (w = c->watches; w != NULL && !c->dead; w = w->next)
			if (exact ? strcmp(w->path, path) == 0 :
			    watch_covers(w->path, path))
				xsconn_event(c, path + w->strip, w->token);
		return;
	}
	for (i = 0; i < n && !c->dead; i++)
		xsconn_event(c, path + v[i]->strip, v[i]->token);
	free(v);
}

void
watch_fire(struct hvsim *h, const char *path, int exact,
    const struct tree_node *node, const struct tree_perms *old)
{
	struct xsconn *c;

	for (c = h->xs ? h->xs->conns : NULL; c != NULL; c = c->next) {
		if (c->dead || c->watches == NULL ||
		    !watch_permitted(h, c->domid, node, old))
			continue;
		watch_send(c, path, exact);
	}
}

void
watch_fire_special(struct hvsim *h, const char *name,
    const struct tree_perms *perms)
{
	struct xsconn *c;

	for (c = h->xs ? h->xs->conns : NULL; c != NULL; c = c->next) {
		if (c->dead || c->watches == NULL ||
		    !(xsd_perm(h, c->domid, perms) & TREE_PERM_READ))
			continue;
		watch_send(c, name, 1);
	}
}
