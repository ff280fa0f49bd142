/* xenstore watches: per-connection lists and firing (watch.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>

#include "tests/hvsim/hvsim.h"
#include "tests/hvsim/watch.h"
#include "tests/hvsim/xsconn.h"
#include "tests/hvsim/xsd.h"

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
	struct watch *w, **tail;
	size_t strip;
	int rc;

	if ((rc = watch_canon(c, path, p, sizeof(p), &strip)) < 0)
		return rc;
	for (tail = &c->watches; *tail != NULL; tail = &(*tail)->next)
		if (strcmp((*tail)->path, p) == 0 &&
		    strcmp((*tail)->token, token) == 0)
			return -EEXIST;
	if (c->nwatches >= (c->domid == 0 ? WATCH_MAX_DOM0 : WATCH_MAX))
		return -E2BIG;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->path = strdup(p)) == NULL ||
	    (w->token = strdup(token)) == NULL) {
		watch_free(w);
		return -ENOMEM;
	}
	w->strip = strip;
	*tail = w;
	c->nwatches++;
	*out = w;
	return 0;
}

int
watch_remove(struct xsconn *c, const char *path, const char *token)
{
	char p[XSD_PATH_BUF];
	struct watch **i, *w;
	size_t strip;
	int rc;

	if ((rc = watch_canon(c, path, p, sizeof(p), &strip)) < 0)
		return rc;
	for (i = &c->watches; (w = *i) != NULL; i = &w->next) {
		if (strcmp(w->path, p) == 0 && strcmp(w->token, token) == 0) {
			*i = w->next;
			watch_free(w);
			c->nwatches--;
			return 0;
		}
	}
	return -ENOENT;
}

void
watch_clear(struct xsconn *c)
{
	struct watch *w;

	while ((w = c->watches) != NULL) {
		c->watches = w->next;
		watch_free(w);
	}
	c->nwatches = 0;
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

static void
watch_send(struct xsconn *c, const char *path, int exact)
{
	const struct watch *w;

	for (w = c->watches; w != NULL && !c->dead; w = w->next) {
		if (exact ? strcmp(w->path, path) == 0 :
		    watch_covers(w->path, path))
			xsconn_event(c, path + w->strip, w->token);
	}
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
