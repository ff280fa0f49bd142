/* SPDX-License-Identifier: GPL-2.0-only */
/* The xenstore tree: nodes, values, permissions, generations (tree.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/hvsim/tree.h"

static void
tree_node_free(struct tree *t, struct tree_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		tree_node_free(t, n->kids[i]);
	free(n->kids);
	free(n->kidx);
	free(n->name);
	free(n->data);
	tree_perms_clear(&n->perms);
	if (t != NULL) {
		t->count--;
		t->bytes -= n->len;
	}
	free(n);
}

static struct tree_node *
tree_node_new(const char *name, size_t len)
{
	struct tree_node *n = calloc(1, sizeof(*n));

	if (n == NULL || (n->name = strndup(name, len)) == NULL) {
		free(n);
		return NULL;
	}
	return n;
}

struct tree *
tree_new(uint64_t *gen)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->gen = gen;
	if ((t->root = tree_node_new("", 0)) == NULL ||
	    tree_perms_from_text("n0", &t->root->perms) < 0) {
		tree_free(t);
		return NULL;
	}
	t->root->gen = ++*gen;
	t->count = 1;
	return t;
}

void
tree_free(struct tree *t)
{
	if (t == NULL)
		return;
	tree_node_free(NULL, t->root);
	free(t);
}

size_t
tree_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u;	/* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	return h;
}

static void
tree_kidx_put(struct tree_node **v, size_t cap, struct tree_node *k)
{
	size_t i = tree_hash(k->name, strlen(k->name)) & (cap - 1);

	while (v[i] != NULL)
		i = (i + 1) & (cap - 1);
	v[i] = k;
}

/* Index n's children again, in a table at most half full. */
static void
tree_kidx_build(struct tree_node *n)
{
	size_t cap = 4 * TREE_KIDX_MIN, i;
	struct tree_node **v;

	while (cap < 4 * n->nkids)
		cap *= 2;
	free(n->kidx);
	n->kidx = NULL;
	n->kidxcap = 0;
	if ((v = calloc(cap, sizeof(*v))) == NULL)
		return;	/* lookups stay linear */
	for (i = 0; i < n->nkids; i++)
		tree_kidx_put(v, cap, n->kids[i]);
	n->kidx = v;
	n->kidxcap = cap;
}

/* Linear probing: shift back what the hole would make unreachable. */
static void
tree_kidx_del(struct tree_node *p, const struct tree_node *k)
{
	size_t mask = p->kidxcap - 1, i, j, home;

	i = tree_hash(k->name, strlen(k->name)) & mask;
	while (p->kidx[i] != k) {
		if (p->kidx[i] == NULL)
			return;
		i = (i + 1) & mask;
	}
	p->kidx[i] = NULL;
	for (j = (i + 1) & mask; p->kidx[j] != NULL; j = (j + 1) & mask) {
		home = tree_hash(p->kidx[j]->name,
		    strlen(p->kidx[j]->name)) & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			p->kidx[i] = p->kidx[j];
			p->kidx[j] = NULL;
			i = j;
		}
	}
}

static int
tree_kid_append(struct tree_node *parent, struct tree_node *kid)
{
	struct tree_node **v;
	size_t cap;

	if (parent->nkids == parent->kidcap) {
		cap = parent->kidcap ? parent->kidcap * 2 : 4;
		if ((v = reallocarray(parent->kids, cap, sizeof(*v))) == NULL)
			return -ENOMEM;
		parent->kids = v;
		parent->kidcap = cap;
	}
	parent->kids[parent->nkids++] = kid;
	kid->parent = parent;
	if (parent->nkids >= TREE_KIDX_MIN &&
	    2 * parent->nkids > parent->kidxcap)
		tree_kidx_build(parent);
	else if (parent->kidx != NULL)
		tree_kidx_put(parent->kidx, parent->kidxcap, kid);
	return 0;
}

static struct tree_node *
tree_node_clone(const struct tree_node *n)
{
	struct tree_node *c = tree_node_new(n->name, strlen(n->name)), *k;
	size_t i;

	if (c == NULL)
		return NULL;
	c->gen = n->gen;
	c->len = n->len;
	if ((n->len > 0 && (c->data = malloc(n->len)) == NULL) ||
	    tree_perms_dup(&c->perms, &n->perms) < 0)
		goto out;
	if (n->len > 0)
		memcpy(c->data, n->data, n->len);
	for (i = 0; i < n->nkids; i++) {
		if ((k = tree_node_clone(n->kids[i])) == NULL)
			goto out;
		if (tree_kid_append(c, k) < 0) {
			tree_node_free(NULL, k);
			goto out;
		}
	}
	return c;
out:
	tree_node_free(NULL, c);
	return NULL;
}

struct tree *
tree_clone(const struct tree *t)
{
	struct tree *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->gen = t->gen;
	c->count = t->count;
	c->bytes = t->bytes;
	if ((c->root = tree_node_clone(t->root)) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

static struct tree_node *
tree_kid(const struct tree_node *n, const char *name, size_t len)
{
	struct tree_node *k;
	size_t i, mask = n->kidxcap - 1;

	if (n->kidx == NULL) {
		for (i = 0; i < n->nkids; i++)
			if (strncmp(n->kids[i]->name, name, len) == 0 &&
			    n->kids[i]->name[len] == '\0')
				return n->kids[i];
		return NULL;
	}
	for (i = tree_hash(name, len) & mask; (k = n->kidx[i]) != NULL;
	    i = (i + 1) & mask)
		if (strncmp(k->name, name, len) == 0 && k->name[len] == '\0')
			return k;
	return NULL;
}

/* Follow path from the root as far as it exists; *rest: what is left. */
static struct tree_node *
tree_follow(const struct tree *t, const char *path, const char **rest)
{
	struct tree_node *n = t->root, *k;
	const char *p = path + (*path == '/');
	size_t len;

	while (*p != '\0') {
		len = strcspn(p, "/");
		if ((k = tree_kid(n, p, len)) == NULL)
			break;
		n = k;
		p += len;
		p += (*p == '/');
	}
	*rest = p;
	return n;
}

struct tree_node *
tree_lookup(const struct tree *t, const char *path)
{
	const char *rest;
	struct tree_node *n = tree_follow(t, path, &rest);

	return *rest == '\0' ? n : NULL;
}

struct tree_node *
tree_nearest(const struct tree *t, const char *path)
{
	const char *rest;

	return tree_follow(t, path, &rest);
}

static size_t
tree_components(const char *p)
{
	size_t n = 0;

	for (; *p != '\0'; p += strcspn(p, "/"), p += (*p == '/'))
		n++;
	return n;
}

static struct tree_node *
tree_add_kid(struct tree *t, struct tree_node *parent, const char *name,
    size_t len, long owner)
{
	struct tree_node *n = tree_node_new(name, len);

	if (n == NULL || tree_perms_dup(&n->perms, &parent->perms) < 0 ||
	    tree_kid_append(parent, n) < 0) {
		tree_node_free(NULL, n);
		return NULL;
	}
	if (owner >= 0)
		n->perms.p[0].id = (uint32_t)owner;
	parent->gen = ++*t->gen;
	n->gen = ++*t->gen;
	t->count++;
	return n;
}

int
tree_create(struct tree *t, const char *path, long owner,
    struct tree_node **out)
{
	const char *p;
	struct tree_node *n = tree_follow(t, path, &p);
	size_t len;

	if (t->count + tree_components(p) > TREE_NODES_MAX)
		return -ENOSPC;
	while (*p != '\0') {
		len = strcspn(p, "/");
		if ((n = tree_add_kid(t, n, p, len, owner)) == NULL)
			return -ENOMEM;
		p += len;
		p += (*p == '/');
	}
	*out = n;
	return 0;
}

int
tree_set_data(struct tree *t, struct tree_node *n, const char *data,
    size_t len)
{
	char *copy = NULL;

	if (t->bytes - n->len + len > TREE_BYTES_MAX)
		return -ENOSPC;
	if (len > 0 && (copy = malloc(len)) == NULL)
		return -ENOMEM;
	if (len > 0)
		memcpy(copy, data, len);
	free(n->data);
	t->bytes = t->bytes - n->len + len;
	n->data = copy;
	n->len = len;
	n->gen = ++*t->gen;
	return 0;
}

int
tree_set_perms(struct tree *t, struct tree_node *n,
    const struct tree_perms *p)
{
	struct tree_perms copy;
	int rc;

	if ((rc = tree_perms_dup(&copy, p)) < 0)
		return rc;
	tree_perms_clear(&n->perms);
	n->perms = copy;
	n->gen = ++*t->gen;
	return 0;
}

void
tree_remove(struct tree *t, struct tree_node *n)
{
	struct tree_node *parent = n->parent;
	size_t i;

	if (parent == NULL)
		return;
	for (i = 0; i < parent->nkids && parent->kids[i] != n; i++)
		;
	if (i < parent->nkids)
		memmove(&parent->kids[i], &parent->kids[i + 1],
		    (parent->nkids - i - 1) * sizeof(parent->kids[0]));
	parent->nkids--;
	if (parent->kidx != NULL)
		tree_kidx_del(parent, n);
	parent->gen = ++*t->gen;
	tree_node_free(t, n);
}

int
tree_path(const struct tree_node *n, char *buf, size_t size)
{
	const struct tree_node *i;
	size_t len = 0, l;

	for (i = n; i->parent != NULL; i = i->parent)
		len += strlen(i->name) + 1;
	if (len + 2 > size)
		return -ENAMETOOLONG;
	if (len == 0) {
		strcpy(buf, "/");
		return 0;
	}
	buf[len] = '\0';
	for (i = n; i->parent != NULL; i = i->parent) {
		l = strlen(i->name);
		len -= l;
		memcpy(buf + len, i->name, l);
		buf[--len] = '/';
	}
	return 0;
}

void
tree_walk_post(struct tree_node *n, void (*fn)(struct tree_node *, void *),
    void *arg)
{
	size_t i;

	for (i = 0; i < n->nkids; i++)
		tree_walk_post(n->kids[i], fn, arg);
	fn(n, arg);
}

int
tree_children(const struct tree_node *n, char **out, size_t *len)
{
	size_t total = 0, i, l;
	char *buf;

	for (i = 0; i < n->nkids; i++)
		total += strlen(n->kids[i]->name) + 1;
	if ((buf = malloc(total ? total : 1)) == NULL)
		return -ENOMEM;
	for (total = 0, i = 0; i < n->nkids; i++) {
		l = strlen(n->kids[i]->name) + 1;
		memcpy(buf + total, n->kids[i]->name, l);
		total += l;
	}
	*out = buf;
	*len = total;
	return 0;
}

/* --- permissions ---------------------------------------------------- */

static const struct {
	char		letter;
	unsigned	perm;
} tree_perm_letters[] = {
	{ 'n', TREE_PERM_NONE },
	{ 'r', TREE_PERM_READ },
	{ 'w', TREE_PERM_WRITE },
	{ 'b', TREE_PERM_READ | TREE_PERM_WRITE },
};

int
tree_perm_parse(const char *word, struct tree_perm *out)
{
	size_t i, n = sizeof(tree_perm_letters) / sizeof(tree_perm_letters[0]);
	unsigned long id;
	char *end;

	for (i = 0; i < n && tree_perm_letters[i].letter != word[0]; i++)
		;
	if (i == n || word[1] < '0' || word[1] > '9')
		return -EINVAL;
	errno = 0;
	id = strtoul(word + 1, &end, 10);
	if (errno != 0 || *end != '\0' || id > 0xffff)
		return -EINVAL;
	out->id = (uint32_t)id;
	out->perm = tree_perm_letters[i].perm;
	return 0;
}

static char
tree_perm_letter(unsigned perm)
{
	size_t i, n = sizeof(tree_perm_letters) / sizeof(tree_perm_letters[0]);

	for (i = 0; i < n; i++)
		if (tree_perm_letters[i].perm == perm)
			return tree_perm_letters[i].letter;
	return 'n';
}

int
tree_perms_parse(const char *buf, size_t len, struct tree_perms *out)
{
	struct tree_perms p = { NULL, 0 };
	const char *w, *end = buf + len;
	int rc = -EINVAL;

	for (w = buf; w < end && memchr(w, '\0', (size_t)(end - w)) != NULL;
	    w += strlen(w) + 1)
		p.n++;
	if (p.n == 0 || p.n > TREE_PERMS_MAX)
		return p.n == 0 ? -EINVAL : -ENOSPC;
	if ((p.p = calloc(p.n, sizeof(*p.p))) == NULL)
		return -ENOMEM;
	for (p.n = 0, w = buf; w < end && memchr(w, '\0',
	    (size_t)(end - w)) != NULL; w += strlen(w) + 1)
		if ((rc = tree_perm_parse(w, &p.p[p.n++])) < 0)
			goto out;
	*out = p;
	p.p = NULL;
	rc = 0;
out:
	free(p.p);
	return rc;
}

int
tree_perms_from_text(const char *text, struct tree_perms *out)
{
	char buf[TREE_PERMS_MAX * 8];
	size_t len = strlen(text), i;

	if (len >= sizeof(buf))
		return -ENOSPC;
	memcpy(buf, text, len + 1);
	for (i = 0; i < len; i++)
		if (buf[i] == ' ')
			buf[i] = '\0';
	return tree_perms_parse(buf, len + 1, out);
}

int
tree_perms_dup(struct tree_perms *dst, const struct tree_perms *src)
{
	dst->n = 0;
	if ((dst->p = calloc(src->n ? src->n : 1, sizeof(*dst->p))) == NULL)
		return -ENOMEM;
	memcpy(dst->p, src->p, src->n * sizeof(*dst->p));
	dst->n = src->n;
	return 0;
}

void
tree_perms_clear(struct tree_perms *p)
{
	free(p->p);
	p->p = NULL;
	p->n = 0;
}

int
tree_perms_format(const struct tree_perms *p, char sep, char *buf,
    size_t size, size_t *len)
{
	size_t i, o = 0;
	int n;

	for (i = 0; i < p->n; i++) {
		n = snprintf(buf + o, size - o, "%s%c%u", i ? "_" : "",
		    tree_perm_letter(p->p[i].perm), p->p[i].id);
		if (n < 0 || (size_t)n >= size - o)
			return -ENOSPC;
		if (i > 0)
			buf[o] = sep;
		o += (size_t)n;
	}
	*len = o;
	return 0;
}
