/* SPDX-License-Identifier: GPL-2.0-only */
/* A libxenvchan client bridged to a socketpair (vchan.h). */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <libxenvchan.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stubdmd/vchan.h"

#define VCHAN_CHUNK	4096
#define VCHAN_OUT_MAX	(128 * 1024)	/* from the vchan, not yet taken */

struct vchan {
	struct libxenvchan	*v;
	struct event		*ev;	/* the vchan's event channel */
	struct bufferevent	*bev;	/* our end of the socketpair */
};

static void
vchan_free(struct vchan *c)
{
	if (c->ev != NULL)
		event_free(c->ev);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->v != NULL)
		libxenvchan_close(c->v);
	free(c);
}

/* What the socket side sent, as far as the ring has room. */
static int
vchan_push(struct vchan *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t len;
	int space, n;

	while ((len = evbuffer_get_length(in)) > 0 &&
	    (space = libxenvchan_buffer_space(c->v)) > 0) {
		if (len > (size_t)space)
			len = (size_t)space;
		if (len > VCHAN_CHUNK)
			len = VCHAN_CHUNK;
		n = libxenvchan_write(c->v, evbuffer_pullup(in, (ssize_t)len),
		    len);
		if (n < 0)
			return -EIO;
		if (n == 0)
			break;
		evbuffer_drain(in, (size_t)n);
	}
	return 0;
}

/* What the server sent, while the socket side keeps up. */
static int
vchan_pull(struct vchan *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	char buf[VCHAN_CHUNK];
	int n;

	while (libxenvchan_data_ready(c->v) > 0 &&
	    evbuffer_get_length(out) < VCHAN_OUT_MAX) {
		if ((n = libxenvchan_read(c->v, buf, sizeof(buf))) < 0)
			return -EIO;
		if (n == 0)
			break;
		if (bufferevent_write(c->bev, buf, (size_t)n) < 0)
			return -ENOMEM;
	}
	return 0;
}

static void
vchan_on_event(evutil_socket_t fd, short what, void *arg)
{
	struct vchan *c = arg;

	libxenvchan_wait(c->v);	/* only takes the pending notification */
	if (!libxenvchan_is_open(c->v) || vchan_pull(c) < 0 ||
	    vchan_push(c) < 0)
		vchan_free(c);
}

static void
vchan_on_read(struct bufferevent *bev, void *arg)
{
	struct vchan *c = arg;

	if (vchan_push(c) < 0)
		vchan_free(c);
}

/* The socket side took what we had: more may come from the ring. */
static void
vchan_on_write(struct bufferevent *bev, void *arg)
{
	struct vchan *c = arg;

	if (vchan_pull(c) < 0)
		vchan_free(c);
}

static void
vchan_on_sock_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		vchan_free(arg);
}

int
vchan_open(struct event_base *base, uint32_t domid, const char *path,
    int *fd)
{
	struct vchan *c;
	int sv[2] = { -1, -1 };

	*fd = -1;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	if ((c->v = libxenvchan_client_init(NULL, (int)domid, path)) == NULL) {
		free(c);
		return -ENOTCONN;
	}
	c->v->blocking = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1)
		goto fail;
	if ((c->bev = bufferevent_socket_new(base, sv[1],
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		goto fail;
	sv[1] = -1;
	if ((c->ev = event_new(base, libxenvchan_fd_for_select(c->v),
	    EV_READ | EV_PERSIST, vchan_on_event, c)) == NULL)
		goto fail;
	bufferevent_setcb(c->bev, vchan_on_read, vchan_on_write,
	    vchan_on_sock_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	event_add(c->ev, NULL);
	*fd = sv[0];
	return 0;
fail:
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
	vchan_free(c);
	return -ENOMEM;
}
