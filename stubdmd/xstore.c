/* SPDX-License-Identifier: GPL-2.0-only */
/* xenstore glue: libxenstore behind libevent, with reconnection. */
#include <errno.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <xenstore.h>

#include "stubdmd/log.h"
#include "stubdmd/xstore.h"

#define XSTORE_PERMS_MAX	16
/* A starting guest has a watch: events and unwatches must not cost N. */
#define XSTORE_BUCKETS		4096

struct xstore_watch {
	char			*path;
	unsigned		 id;		/* its token is "t<id>" */
	char			 token[24];
	xstore_watch_cb		*cb;
	void			*arg;
	LIST_ENTRY(xstore_watch) all;
	LIST_ENTRY(xstore_watch) by_id;
	LIST_ENTRY(xstore_watch) by_path;
};

LIST_HEAD(xstore_watches, xstore_watch);

struct xstore {
	struct event_base	*base;
	struct xstore_hooks	 hooks;
	struct xs_handle	*h;
	struct event		*ev;
	struct xstore_watches	 watches;
	struct xstore_watches	 by_id[XSTORE_BUCKETS];
	struct xstore_watches	 by_path[XSTORE_BUCKETS];
	size_t			 nwatches;
	unsigned		 next_token;
	unsigned		 reconnects;
};

static void xstore_lost(struct xstore *x);

/* libxenstore reports a dead connection with these after its reader dies. */
static bool
xstore_errno_is_lost(int e)
{
	return e == EBADF || e == EPIPE || e == ECONNRESET || e == ENOTCONN ||
	    e == ECONNREFUSED;
}

/* Every operation funnels its failure through here. */
static int
xstore_fail(struct xstore *x)
{
	int e = errno ? errno : EIO;

	if (xstore_errno_is_lost(e))
		xstore_lost(x);
	errno = e;
	return -e;
}

/* FNV-1a: which bucket a watched path is in. */
static unsigned
xstore_path_bucket(const char *path)
{
	uint32_t h = 2166136261u;

	for (; *path != '\0'; path++)
		h = (h ^ (uint8_t)*path) * 16777619u;
	return h % XSTORE_BUCKETS;
}

static struct xstore_watch *
xstore_find_token(struct xstore *x, const char *token)
{
	struct xstore_watch *w;
	unsigned long id;
	char *end;

	if (token[0] != 't')
		return NULL;
	id = strtoul(token + 1, &end, 10);
	if (*end != '\0' || end == token + 1)
		return NULL;
	LIST_FOREACH(w, &x->by_id[id % XSTORE_BUCKETS], by_id)
		if (w->id == id)
			return w;
	return NULL;
}

static void
xstore_dispatch(evutil_socket_t fd, short what, void *arg)
{
	struct xstore *x = arg;
	struct xstore_watch *w;
	char **vec;

	while (x->h != NULL && (vec = xs_check_watch(x->h)) != NULL) {
		w = xstore_find_token(x, vec[XS_WATCH_TOKEN]);
		if (w != NULL)
			w->cb(w->arg, vec[XS_WATCH_PATH]);
		free(vec);
	}
	if (x->h != NULL && errno != EAGAIN)
		xstore_fail(x);
}

struct xstore *
xstore_new(struct event_base *base, const struct xstore_hooks *hooks)
{
	struct xstore *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL;
	x->base = base;
	x->hooks = *hooks;
	LIST_INIT(&x->watches);
	return x;
}

static void
xstore_close(struct xstore *x)
{
	if (x->ev != NULL)
		event_free(x->ev);
	x->ev = NULL;
	if (x->h != NULL)
		xs_close(x->h);
	x->h = NULL;
}

void
xstore_free(struct xstore *x)
{
	struct xstore_watch *w;

	if (x == NULL)
		return;
	xstore_close(x);
	while ((w = LIST_FIRST(&x->watches)) != NULL) {
		LIST_REMOVE(w, all);
		free(w->path);
		free(w);
	}
	free(x);
}

static void
xstore_lost(struct xstore *x)
{
	if (x->h == NULL)
		return;
	log_warnx("lost the connection to xenstored");
	xstore_close(x);
	if (x->hooks.lost != NULL)
		x->hooks.lost(x->hooks.arg);
}

static int
xstore_arm(struct xstore *x, struct xstore_watch *w)
{
	if (!xs_watch(x->h, w->path, w->token))
		return xstore_fail(x);
	return 0;
}

int
xstore_connect(struct xstore *x)
{
	struct xstore_watch *w;
	int fd;

	xstore_close(x);
	errno = 0;
	if ((x->h = xs_open(0)) == NULL)
		return -(errno ? errno : ECONNREFUSED);
	fd = xs_fileno(x->h);
	x->ev = event_new(x->base, fd, EV_READ | EV_PERSIST, xstore_dispatch,
	    x);
	if (x->ev != NULL)
		event_priority_set(x->ev, x->hooks.priority);
	if (fd < 0 || x->ev == NULL || event_add(x->ev, NULL) == -1) {
		xstore_close(x);
		return -ENOMEM;
	}
	LIST_FOREACH(w, &x->watches, all)
		if (xstore_arm(x, w) < 0)
			return -errno;
	if (x->reconnects++ > 0 && x->hooks.reconnected != NULL)
		x->hooks.reconnected(x->hooks.arg);
	return 0;
}

bool
xstore_connected(const struct xstore *x)
{
	return x->h != NULL;
}

unsigned
xstore_reconnects(const struct xstore *x)
{
	return x->reconnects > 0 ? x->reconnects - 1 : 0;
}

int
xstore_watch(struct xstore *x, const char *path, xstore_watch_cb *cb,
    void *arg)
{
	struct xstore_watch *w = calloc(1, sizeof(*w));

	if (w == NULL || (w->path = strdup(path)) == NULL) {
		free(w);
		return -ENOMEM;
	}
	w->id = x->next_token++;
	snprintf(w->token, sizeof(w->token), "t%u", w->id);
	w->cb = cb;
	w->arg = arg;
	LIST_INSERT_HEAD(&x->watches, w, all);
	LIST_INSERT_HEAD(&x->by_id[w->id % XSTORE_BUCKETS], w, by_id);
	LIST_INSERT_HEAD(&x->by_path[xstore_path_bucket(path)], w, by_path);
	x->nwatches++;
	/* Armed now if connected; otherwise when the connection returns. */
	return x->h != NULL ? xstore_arm(x, w) : 0;
}

void
xstore_unwatch(struct xstore *x, const char *path, void *arg)
{
	struct xstore_watch *w;

	LIST_FOREACH(w, &x->by_path[xstore_path_bucket(path)], by_path) {
		if (w->arg != arg || strcmp(w->path, path) != 0)
			continue;
		LIST_REMOVE(w, all);
		LIST_REMOVE(w, by_id);
		LIST_REMOVE(w, by_path);
		if (x->h != NULL && !xs_unwatch(x->h, w->path, w->token) &&
		    errno != ENOENT)
			xstore_fail(x);
		free(w->path);
		free(w);
		x->nwatches--;
		return;
	}
}

size_t
xstore_nwatches(const struct xstore *x)
{
	return x->nwatches;
}

char *
xstore_read(struct xstore *x, const char *path)
{
	unsigned len;
	char *v;

	if (x->h == NULL) {
		errno = ENOTCONN;
		return NULL;
	}
	if ((v = xs_read(x->h, XBT_NULL, path, &len)) == NULL)
		xstore_fail(x);
	return v;
}

int
xstore_parse_uint(const char *v, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(v, &end, 10);
	if (v[0] >= '0' && v[0] <= '9' && *end == '\0' && errno == 0 &&
	    *out <= max)
		return 0;
	return -EINVAL;
}

int
xstore_read_uint(struct xstore *x, const char *path, unsigned long max,
    unsigned long *out)
{
	char *v = xstore_read(x, path);
	int rc;

	if (v == NULL)
		return -errno;
	rc = xstore_parse_uint(v, max, out);
	free(v);
	return rc;
}

char **
xstore_directory(struct xstore *x, const char *path, unsigned *n)
{
	char **v;

	if (x->h == NULL) {
		errno = ENOTCONN;
		return NULL;
	}
	if ((v = xs_directory(x->h, XBT_NULL, path, n)) == NULL)
		xstore_fail(x);
	return v;
}

int
xstore_write(struct xstore *x, const char *path, const char *value)
{
	if (x->h == NULL)
		return -ENOTCONN;
	if (!xs_write(x->h, XBT_NULL, path, value, strlen(value)))
		return xstore_fail(x);
	return 0;
}

int
xstore_printf(struct xstore *x, const char *path, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return xstore_write(x, path, buf);
}

int
xstore_rm(struct xstore *x, const char *path)
{
	if (x->h == NULL)
		return -ENOTCONN;
	if (!xs_rm(x->h, XBT_NULL, path) && errno != ENOENT)
		return xstore_fail(x);
	return 0;
}

int
xstore_set_perms(struct xstore *x, const char *path, const char *perms)
{
	struct xs_permissions p[XSTORE_PERMS_MAX];
	unsigned n = 1;
	const char *c;
	char buf[256];
	size_t i;

	if (x->h == NULL)
		return -ENOTCONN;
	/* xs_strings_to_perms wants NUL-separated entries. */
	snprintf(buf, sizeof(buf), "%s", perms);
	for (i = 0, c = perms; *c != '\0' && i < sizeof(buf); c++, i++)
		if (buf[i] == ' ') {
			buf[i] = '\0';
			n++;
		}
	if (n > XSTORE_PERMS_MAX || !xs_strings_to_perms(p, n, buf))
		return -EINVAL;
	if (!xs_set_permissions(x->h, XBT_NULL, path, p, n))
		return xstore_fail(x);
	return 0;
}

int
xstore_mkdir_perms(struct xstore *x, const char *path, const char *perms)
{
	if (x->h == NULL)
		return -ENOTCONN;
	if (!xs_mkdir(x->h, XBT_NULL, path))
		return xstore_fail(x);
	return xstore_set_perms(x, path, perms);
}

int
xstore_set_target(struct xstore *x, uint32_t stub, uint32_t guest)
{
	if (x->h == NULL)
		return -ENOTCONN;
	if (!xs_set_target(x->h, stub, guest))
		return xstore_fail(x);
	return 0;
}
