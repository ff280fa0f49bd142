/* SPDX-License-Identifier: GPL-2.0-only */
/* A simulated device model's QMP monitor (qmpd.h). */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/hvsim/hvsim.h"
#include "tests/hvsim/qmpd.h"

#define QMPD_IN_MAX	65536	/* a line from the client */
#define QMPD_ID_MAX	32
#define QMPD_FLOOD_BYTES	(256 * 1024)

struct qmpd_client {
	struct qmpd		*s;
	struct bufferevent	*bev;
	struct qmpd_client	*next;
};

struct qmpd {
	struct hvsim		*h;
	uint32_t		 stub;
	char			 path[256];
	int			 fd;
	struct event		*ev;
	struct qmpd_client	*clients;
	enum qmpd_mode		 mode;
	unsigned		 served;
};

static const char *const qmpd_modes[] = {
	[QMPD_OK] = "ok", [QMPD_HANG] = "hang", [QMPD_GARBAGE] = "garbage",
	[QMPD_FLOOD] = "flood",
};

int
qmpd_mode_parse(const char *name, enum qmpd_mode *out)
{
	size_t i;

	for (i = 0; i < sizeof(qmpd_modes) / sizeof(qmpd_modes[0]); i++)
		if (strcmp(qmpd_modes[i], name) == 0) {
			*out = (enum qmpd_mode)i;
			return 0;
		}
	return -1;
}

static void
qmpd_drop(struct qmpd_client *c)
{
	struct qmpd_client **pp;

	for (pp = &c->s->clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	bufferevent_free(c->bev);
	free(c);
}

/* The "id" of a command, copied as written (a number or a string). */
static void
qmpd_id(const char *line, char id[QMPD_ID_MAX])
{
	const char *p = strstr(line, "\"id\"");
	size_t n = 0;

	id[0] = '\0';
	if (p == NULL)
		return;
	for (p += 4; *p == ' ' || *p == ':'; p++)
		;
	while (p[n] != '\0' && p[n] != ',' && p[n] != '}' &&
	    n < QMPD_ID_MAX - 1)
		n++;
	memcpy(id, p, n);
	id[n] = '\0';
}

static void
qmpd_reply(struct qmpd_client *c, const char *line)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	char id[QMPD_ID_MAX], idm[QMPD_ID_MAX + 8] = "";

	qmpd_id(line, id);
	if (id[0] != '\0')
		snprintf(idm, sizeof(idm), ", \"id\": %s", id);
	if (strstr(line, "\"qmp_capabilities\"") != NULL) {
		evbuffer_add_printf(out, "{\"return\": {}%s}\r\n", idm);
	} else if (strstr(line, "\"query-status\"") != NULL) {
		/* QEMU sends events whenever they happen: one first. */
		evbuffer_add_printf(out, "{\"timestamp\": {\"seconds\": 1, "
		    "\"microseconds\": 2}, \"event\": \"RTC_CHANGE\", "
		    "\"data\": {\"offset\": 0}}\r\n");
		evbuffer_add_printf(out, "{\"return\": {\"status\": "
		    "\"running\", \"singlestep\": false, \"running\": true}%s}"
		    "\r\n", idm);
	} else {
		evbuffer_add_printf(out, "{\"error\": {\"class\": "
		    "\"CommandNotFound\", \"desc\": \"not simulated\"}%s}\r\n",
		    idm);
	}
}

static void
qmpd_misbehave(struct qmpd_client *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	static char junk[4096];

	if (c->s->mode == QMPD_GARBAGE) {
		evbuffer_add_printf(out, "this is not JSON {{{\r\n");
		return;
	}
	memset(junk, 'x', sizeof(junk));
	for (size_t n = 0; n < QMPD_FLOOD_BYTES; n += sizeof(junk))
		evbuffer_add(out, junk, sizeof(junk));
}

static void
qmpd_on_read(struct bufferevent *bev, void *arg)
{
	struct qmpd_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;

	while ((line = evbuffer_readln(in, NULL, EVBUFFER_EOL_CRLF)) != NULL) {
		if (c->s->mode == QMPD_OK)
			qmpd_reply(c, line);
		else if (c->s->mode != QMPD_HANG)
			qmpd_misbehave(c);
		free(line);
	}
	if (evbuffer_get_length(in) > QMPD_IN_MAX)
		qmpd_drop(c);
}

static void
qmpd_on_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		qmpd_drop(arg);
}

static void
qmpd_greet(struct qmpd_client *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (c->s->mode == QMPD_OK)
		evbuffer_add_printf(out, "{\"QMP\": {\"version\": {\"qemu\": "
		    "{\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": "
		    "\"hvsim\"}, \"capabilities\": [\"oob\"]}}\r\n");
	else if (c->s->mode != QMPD_HANG)
		qmpd_misbehave(c);
}

static void
qmpd_on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct qmpd *s = arg;
	struct qmpd_client *c;
	int cfd;

	if ((cfd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == -1)
		return;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->bev = bufferevent_socket_new(s->h->base, cfd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(c);
		close(cfd);
		return;
	}
	c->s = s;
	c->next = s->clients;
	s->clients = c;
	s->served++;
	bufferevent_setcb(c->bev, qmpd_on_read, NULL, qmpd_on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	qmpd_greet(c);
}

struct qmpd *
qmpd_open(struct hvsim *h, uint32_t stub)
{
	struct qmpd *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->h = h;
	s->stub = stub;
	snprintf(s->path, sizeof(s->path), "%s/qmp-%u", h->rundir, stub);
	unlink(s->path);
	if ((s->fd = hvsim_listen(s->path)) < 0 ||
	    (s->ev = event_new(h->base, s->fd, EV_READ | EV_PERSIST,
	    qmpd_on_accept, s)) == NULL) {
		hvsim_log(h, "domain %u: cannot serve QMP at %s: %s", stub,
		    s->path, strerror(s->fd < 0 ? -s->fd : ENOMEM));
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return NULL;
	}
	event_add(s->ev, NULL);
	return s;
}

void
qmpd_close(struct qmpd *s)
{
	if (s == NULL)
		return;
	while (s->clients != NULL)
		qmpd_drop(s->clients);
	event_free(s->ev);
	close(s->fd);
	unlink(s->path);
	free(s);
}

void
qmpd_set_mode(struct qmpd *s, enum qmpd_mode mode)
{
	s->mode = mode;
}

unsigned
qmpd_served(const struct qmpd *s)
{
	return s->served;
}
