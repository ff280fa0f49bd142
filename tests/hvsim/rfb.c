/* SPDX-License-Identifier: GPL-2.0-only */
/* A simulated stub's VNC server (rfb.h): just enough RFB 3.8. */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/hvsim/dom.h"
#include "tests/hvsim/hvsim.h"
#include "tests/hvsim/rfb.h"

#define RFB_CUT_MAX	(1024 * 1024)

enum rfb_phase { RFB_VERSION, RFB_SECURITY, RFB_INIT, RFB_NORMAL };

struct rfb {
	struct dom		*d;
	uint32_t		 guest;
	char			*path;
	int			 lfd;
	struct event		*ev_accept;
	struct bufferevent	*client;	/* one at a time, as a vchan */
	enum rfb_phase		 phase;
};

uint32_t
rfb_pixel(uint32_t guest, unsigned x, unsigned y)
{
	return (uint32_t)((x * 4) & 0xff) << 16 | (uint32_t)((y * 8) & 0xff)
	    << 8 | (guest & 0xff);
}

static void
rfb_put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void
rfb_put32(unsigned char *p, uint32_t v)
{
	rfb_put16(p, v >> 16);
	rfb_put16(p + 2, v & 0xffff);
}

static void
rfb_drop(struct rfb *r)
{
	if (r->client != NULL)
		bufferevent_free(r->client);
	r->client = NULL;
}

/* Width, height, 32 bpp depth 24 little-endian true colour, a name. */
static void
rfb_server_init(struct rfb *r, struct evbuffer *out)
{
	static const char name[] = "hvsim";
	unsigned char m[24] = { 0 };

	rfb_put16(m, RFB_WIDTH);
	rfb_put16(m + 2, RFB_HEIGHT);
	m[4] = 32;		/* bits per pixel */
	m[5] = 24;		/* depth */
	m[6] = 0;		/* little-endian */
	m[7] = 1;		/* true colour */
	rfb_put16(m + 8, 255);
	rfb_put16(m + 10, 255);
	rfb_put16(m + 12, 255);
	m[14] = 16;
	m[15] = 8;
	m[16] = 0;
	rfb_put32(m + 20, sizeof(name) - 1);
	evbuffer_add(out, m, sizeof(m));
	evbuffer_add(out, name, sizeof(name) - 1);
}

/* The whole screen, one raw rectangle. */
static void
rfb_update(struct rfb *r, struct evbuffer *out)
{
	unsigned char h[16] = { 0 }, px[4];
	unsigned x, y;
	uint32_t v;

	rfb_put16(h + 2, 1);
	rfb_put16(h + 8, RFB_WIDTH);
	rfb_put16(h + 10, RFB_HEIGHT);
	evbuffer_add(out, h, sizeof(h));
	for (y = 0; y < RFB_HEIGHT; y++)
		for (x = 0; x < RFB_WIDTH; x++) {
			v = rfb_pixel(r->guest, x, y);
			px[0] = (unsigned char)v;
			px[1] = (unsigned char)(v >> 8);
			px[2] = (unsigned char)(v >> 16);
			px[3] = 0;
			evbuffer_add(out, px, sizeof(px));
		}
}

/* The length of the client message at the head of in: 0 if unknown yet. */
static size_t
rfb_msg_len(const unsigned char *p, size_t have)
{
	switch (p[0]) {
	case 0:	return 20;				/* SetPixelFormat */
	case 2:	return have < 4 ? 0 : 4 + 4 * (size_t)(p[2] << 8 | p[3]);
	case 3:	return 10;				/* UpdateRequest */
	case 4:	return 8;				/* KeyEvent */
	case 5:	return 6;				/* PointerEvent */
	case 6:
		if (have < 8)
			return 0;
		return 8 + ((size_t)p[4] << 24 | (size_t)p[5] << 16 |
		    (size_t)p[6] << 8 | p[7]);
	default: return (size_t)-1;
	}
}

/* One message; -1: close the client. */
static int
rfb_message(struct rfb *r, const unsigned char *p, struct evbuffer *out)
{
	if (p[0] == 3 && p[1] == 0)
		rfb_update(r, out);	/* incremental: nothing changes */
	else if (p[0] == 4 && p[1] != 0)
		hvsim_log(r->d->h, "domain %u: vnc key 0x%x", r->guest,
		    (unsigned)p[4] << 24 | (unsigned)p[5] << 16 |
		    (unsigned)p[6] << 8 | p[7]);
	return 0;
}

/* What the phase expects: 0 when done with what is there, -1 to close. */
static int
rfb_step(struct rfb *r, struct evbuffer *in, struct evbuffer *out)
{
	static const unsigned char one_none[] = { 1, 1 }, ok[4] = { 0 };
	size_t have = evbuffer_get_length(in), len;
	unsigned char *p;

	if (have == 0)
		return 0;
	p = evbuffer_pullup(in, have < 8 ? -1 : 8);
	switch (r->phase) {
	case RFB_VERSION:	len = 12; break;
	case RFB_SECURITY:	len = 1; break;
	case RFB_INIT:		len = 1; break;
	default:		len = rfb_msg_len(p, have); break;
	}
	if (len == (size_t)-1 || len > RFB_CUT_MAX)
		return -1;
	if (len == 0 || have < len)
		return 0;
	p = evbuffer_pullup(in, (ssize_t)len);
	if (r->phase == RFB_VERSION) {
		if (memcmp(p, "RFB 003.00", 10) != 0)
			return -1;
		evbuffer_add(out, one_none, sizeof(one_none));
	} else if (r->phase == RFB_SECURITY) {
		if (p[0] != 1)
			return -1;
		evbuffer_add(out, ok, sizeof(ok));
	} else if (r->phase == RFB_INIT) {
		rfb_server_init(r, out);
	} else if (rfb_message(r, p, out) < 0) {
		return -1;
	}
	if (r->phase != RFB_NORMAL)
		r->phase++;
	evbuffer_drain(in, len);
	return 1;
}

static void
rfb_on_read(struct bufferevent *bev, void *arg)
{
	struct rfb *r = arg;
	int rc;

	while ((rc = rfb_step(r, bufferevent_get_input(bev),
	    bufferevent_get_output(bev))) > 0)
		;
	if (rc < 0) {
		hvsim_log(r->d->h, "domain %u: vnc client sent garbage",
		    r->d->domid);
		rfb_drop(r);
	}
}

static void
rfb_on_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		rfb_drop(arg);
}

static void
rfb_on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct rfb *r = arg;
	int fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1)
		return;
	if (r->client != NULL) {
		close(fd);	/* a vchan has one peer */
		return;
	}
	r->client = bufferevent_socket_new(r->d->h->base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (r->client == NULL) {
		close(fd);
		return;
	}
	r->phase = RFB_VERSION;
	bufferevent_setcb(r->client, rfb_on_read, NULL, rfb_on_event, r);
	bufferevent_enable(r->client, EV_READ | EV_WRITE);
	evbuffer_add(bufferevent_get_output(r->client), "RFB 003.008\n", 12);
}

int
rfb_serve(struct dom *d, uint32_t guest, struct rfb **out)
{
	struct rfb *r = calloc(1, sizeof(*r));
	int rc = -ENOMEM;

	if (r == NULL)
		return -ENOMEM;
	r->d = d;
	r->guest = guest;
	r->lfd = -1;
	if (asprintf(&r->path, "%s/vnc-vchan-%u.sock", d->h->rundir,
	    d->domid) == -1) {
		r->path = NULL;
		goto fail;
	}
	if ((r->lfd = hvsim_listen(r->path)) < 0) {
		rc = r->lfd;
		goto fail;
	}
	r->ev_accept = event_new(d->h->base, r->lfd, EV_READ | EV_PERSIST,
	    rfb_on_accept, r);
	if (r->ev_accept == NULL || event_add(r->ev_accept, NULL) < 0)
		goto fail;
	*out = r;
	return 0;
fail:
	rfb_free(r);
	return rc;
}

void
rfb_free(struct rfb *r)
{
	if (r == NULL)
		return;
	rfb_drop(r);
	if (r->ev_accept != NULL)
		event_free(r->ev_accept);
	if (r->lfd >= 0) {
		close(r->lfd);
		unlink(r->path);
	}
	free(r->path);
	free(r);
}
