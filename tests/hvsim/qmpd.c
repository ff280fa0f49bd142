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

#include "tests/hvsim/dom.h"
#include "tests/hvsim/hvsim.h"
#include "tests/hvsim/qmpd.h"
#include "tests/hvsim/vdev.h"

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
	unsigned		 nlog;
	char			 log[QMPD_LOG_MAX][256];
};

static const char *const qmpd_modes[] = {
	[QMPD_OK] = "ok", [QMPD_HANG] = "hang", [QMPD_GARBAGE] = "garbage",
	[QMPD_FLOOD] = "flood", [QMPD_CD_ERROR] = "cd-error",
	[QMPD_CD_HANG] = "cd-hang", [QMPD_SAVE_ERROR] = "save-error",
	[QMPD_SAVE_HANG] = "save-hang", [QMPD_SAVE_LOST] = "save-lost",
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

/* The string value of "key" in line (crude, as the rest): "" if none. */
static void
qmpd_str(const char *line, const char *key, char *out, size_t size)
{
	char pat[40];
	const char *p;
	size_t n = 0;

	out[0] = '\0';
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(line, pat)) == NULL)
		return;
	for (p += strlen(pat); *p == ' '; p++)
		;
	if (*p++ != '"')
		return;
	while (p[n] != '\0' && p[n] != '"' && n < size - 1)
		n++;
	memcpy(out, p, n);
	out[n] = '\0';
}

static void
qmpd_remember(struct qmpd *s, const char *what)
{
	if (s->nlog == QMPD_LOG_MAX) {
		memmove(s->log[0], s->log[1], sizeof(s->log[0]) *
		    (QMPD_LOG_MAX - 1));
		s->nlog--;
	}
	snprintf(s->log[s->nlog++], sizeof(s->log[0]), "%s", what);
}

/* The stub has a PV disk named dev ("xvdzc"), as QEMU in it would open. */
static int
qmpd_stub_has(struct qmpd *s, const char *dev)
{
	struct dom *d = dom_find(s->h, s->stub);
	char field[112];
	size_t i;

	snprintf(field, sizeof(field), ",%s,", dev);
	for (i = 0; d != NULL && d->vdevs != NULL && i < d->vdevs->n; i++)
		if (strncmp(d->vdevs->word[i], "vbd=", 4) == 0 &&
		    strstr(d->vdevs->word[i], field) != NULL)
			return 1;
	return 0;
}

/*
 * blockdev-change-medium and eject, as QEMU 7.2 answers them: the medium
 * is a file QEMU can open in the stub, its /dev/xvd* PV disk.  NULL: done.
 */
static const char *
qmpd_cd(struct qmpd *s, const char *line)
{
	char id[64], file[96], fmt[32], ro[32], what[256];
	const char *args = strstr(line, "\"arguments\"");
	int eject = strstr(line, "\"execute\":\"eject\"") != NULL ||
	    strstr(line, "\"execute\": \"eject\"") != NULL;

	if (args == NULL)
		return "Parameter 'id' is missing";
	line = args;
	qmpd_str(line, "id", id, sizeof(id));
	if (strncmp(id, "ide-", 4) != 0)
		return "Device not found";
	if (eject) {
		snprintf(what, sizeof(what), "eject %s", id);
		qmpd_remember(s, what);
		return NULL;
	}
	qmpd_str(line, "filename", file, sizeof(file));
	qmpd_str(line, "format", fmt, sizeof(fmt));
	qmpd_str(line, "read-only-mode", ro, sizeof(ro));
	if (strncmp(file, "/dev/", 5) != 0 || !qmpd_stub_has(s, file + 5))
		return "Could not open the medium: No such file or directory";
	snprintf(what, sizeof(what), "change %s %s %s %s", id, file, fmt, ro);
	qmpd_remember(s, what);
	return NULL;
}

static void
qmpd_reply_cd(struct qmpd_client *c, const char *line, const char *idm)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	const char *err = "injected failure";

	if (c->s->mode == QMPD_CD_HANG)
		return;
	if (c->s->mode == QMPD_CD_ERROR || (err = qmpd_cd(c->s, line)) != NULL)
		evbuffer_add_printf(out, "{\"error\": {\"class\": "
		    "\"GenericError\", \"desc\": \"%s\"}%s}\r\n", err, idm);
	else
		evbuffer_add_printf(out, "{\"return\": {}%s}\r\n", idm);
}

/*
 * xen-save-devices-state to /dev/fdset/1, as QEMU in the image writes it:
 * the state reaches the dom0 end of the stub's console 1, which the dom0
 * QEMU appends to (RUNDIR/qemu-save.GUEST).  A state starts with QEMU's
 * magic "QEVM"; the rest names the stub, which a restore checks.
 */
static const char *
qmpd_save(struct qmpd *s, const char *line)
{
	struct dom *d = dom_find(s->h, s->stub);
	char file[96], path[320], what[256];
	FILE *f;

	qmpd_str(line, "filename", file, sizeof(file));
	if (strcmp(file, "/dev/fdset/1") != 0)
		return "Could not open the file: No such file or directory";
	if (d == NULL || d->target < 0)
		return "no target";
	snprintf(what, sizeof(what), "save %s", file);
	qmpd_remember(s, what);
	if (s->mode == QMPD_SAVE_LOST)
		return NULL;
	snprintf(path, sizeof(path), "%s/qemu-save.%ld", s->h->rundir,
	    d->target);
	if ((f = fopen(path, "a")) == NULL)
		return "Input/output error";
	fprintf(f, "QEVM\nhvsim device state of domain %ld, saved by stub "
	    "%u\n", d->target, s->stub);
	return fclose(f) == 0 ? NULL : "Input/output error";
}

static void
qmpd_reply_save(struct qmpd_client *c, const char *line, const char *idm)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	const char *err = "injected failure";

	if (c->s->mode == QMPD_SAVE_HANG)
		return;
	if (c->s->mode == QMPD_SAVE_ERROR || (err = qmpd_save(c->s,
	    line)) != NULL)
		evbuffer_add_printf(out, "{\"error\": {\"class\": "
		    "\"GenericError\", \"desc\": \"%s\"}%s}\r\n", err, idm);
	else
		evbuffer_add_printf(out, "{\"return\": {}%s}\r\n", idm);
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
	} else if (strstr(line, "\"blockdev-change-medium\"") != NULL ||
	    strstr(line, "\"eject\"") != NULL) {
		qmpd_reply_cd(c, line, idm);
	} else if (strstr(line, "\"xen-save-devices-state\"") != NULL) {
		qmpd_reply_save(c, line, idm);
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
		if (c->s->mode == QMPD_OK || c->s->mode >= QMPD_CD_ERROR)
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

	if (c->s->mode == QMPD_OK || c->s->mode >= QMPD_CD_ERROR)
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

const char *
qmpd_log(const struct qmpd *s, unsigned i)
{
	return i < s->nlog ? s->log[i] : NULL;
}
