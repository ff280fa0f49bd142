/* SPDX-License-Identifier: GPL-2.0-only */
/* A QMP client on one stream, capped and strict (qmp.h). */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stubdmd/qmp.h"

enum qmp_state {
	QMP_GREETING,		/* waiting for {"QMP": {...}} */
	QMP_CAPS,		/* qmp_capabilities sent */
	QMP_READY,		/* commands may go */
	QMP_OVER,		/* closed() was called */
};

struct qmp {
	struct bufferevent	*bev;
	const struct qmp_ops	*ops;
	void			*arg;
	enum qmp_state		 state;
	uint64_t		 next_id;
	uint64_t		 in_flight;	/* id; 0: none */
	unsigned		 events_since;	/* since the last reply */
	uint64_t		 events;
	int			 busy;		/* inside a callback */
	char			 desc[QMP_DESC_MAX];	/* the last error's */
	bool			 free_pending;	/* qmp_free while busy */
};

static void
qmp_over(struct qmp *q, bool bad, const char *why)
{
	if (q->state == QMP_OVER)
		return;
	q->state = QMP_OVER;
	bufferevent_disable(q->bev, EV_READ | EV_WRITE);
	q->busy++;
	q->ops->closed(q->arg, bad, why);
	q->busy--;
}

static int
qmp_send(struct qmp *q, const char *cmd, json_t *args)
{
	struct evbuffer *out = bufferevent_get_output(q->bev);
	json_t *msg;
	char *s;
	int rc = -ENOMEM;

	if ((msg = json_pack("{s:s, s:I}", "execute", cmd, "id",
	    (json_int_t)(q->next_id + 1))) == NULL)
		return -ENOMEM;
	if (args != NULL && json_object_set(msg, "arguments", args) < 0) {
		json_decref(msg);
		return -ENOMEM;
	}
	if ((s = json_dumps(msg, JSON_COMPACT)) == NULL)
		goto out;
	/* A peer that reads nothing does not make us buffer without end. */
	rc = -ENOBUFS;
	if (evbuffer_get_length(out) + strlen(s) + 2 > QMP_OUT_MAX)
		goto out;
	rc = evbuffer_add_printf(out, "%s\r\n", s) < 0 ? -ENOMEM : 0;
	if (rc == 0)
		q->in_flight = ++q->next_id;
out:
	free(s);
	json_decref(msg);
	return rc;
}

int
qmp_command_args(struct qmp *q, const char *cmd, json_t *args)
{
	if (q->state != QMP_READY)
		return -ENOTCONN;
	if (q->in_flight != 0)
		return -EBUSY;
	if (args != NULL && !json_is_object(args))
		return -EINVAL;
	return qmp_send(q, cmd, args);
}

int
qmp_command(struct qmp *q, const char *cmd)
{
	return qmp_command_args(q, cmd, NULL);
}

uint64_t
qmp_events(const struct qmp *q)
{
	return q->events;
}

/* The id of a reply: it must be the one in flight. */
static bool
qmp_id_matches(const struct qmp *q, json_t *msg)
{
	json_t *id = json_object_get(msg, "id");

	return q->in_flight != 0 && json_is_integer(id) &&
	    (uint64_t)json_integer_value(id) == q->in_flight;
}

static const char *
qmp_on_greeting(struct qmp *q, json_t *msg)
{
	if (!json_is_object(json_object_get(msg, "QMP")))
		return "no greeting";
	if (qmp_send(q, "qmp_capabilities", NULL) < 0)
		return "cannot send qmp_capabilities";
	q->state = QMP_CAPS;
	return NULL;
}

/* An error's description, printable and cut short, for the caller's log. */
static void
qmp_keep_desc(struct qmp *q, const char *desc)
{
	size_t i;

	snprintf(q->desc, sizeof(q->desc), "%s", desc != NULL ? desc : "");
	for (i = 0; q->desc[i] != '\0'; i++)
		if ((unsigned char)q->desc[i] < 0x20 ||
		    (unsigned char)q->desc[i] >= 0x7f)
			q->desc[i] = '?';
}

const char *
qmp_error_desc(const struct qmp *q)
{
	return q->desc;
}

static const char *
qmp_on_reply(struct qmp *q, json_t *msg)
{
	json_t *ret = json_object_get(msg, "return");
	json_t *err = json_object_get(msg, "error");
	const char *cls = json_string_value(json_object_get(err, "class"));

	if ((ret == NULL) == (err == NULL) || (err != NULL && cls == NULL))
		return "a reply is \"return\" or an \"error\" with a class";
	if (!qmp_id_matches(q, msg))
		return "a reply to no command in flight";
	q->in_flight = 0;
	q->events_since = 0;
	qmp_keep_desc(q, json_string_value(json_object_get(err, "desc")));
	q->busy++;
	if (q->state == QMP_CAPS) {
		if (err != NULL) {
			q->busy--;
			return "qmp_capabilities refused";
		}
		q->state = QMP_READY;
		q->ops->ready(q->arg);
	} else {
		q->ops->reply(q->arg, ret, cls);
	}
	q->busy--;
	return NULL;
}

/* One message; NULL, or why the connection must end. */
static const char *
qmp_on_message(struct qmp *q, json_t *msg)
{
	if (!json_is_object(msg))
		return "a message that is not a JSON object";
	if (q->state == QMP_GREETING)
		return qmp_on_greeting(q, msg);
	if (json_object_get(msg, "event") != NULL) {
		if (!json_is_string(json_object_get(msg, "event")))
			return "an event without a name";
		q->events++;
		if (++q->events_since > QMP_EVENTS_MAX)
			return "too many events between two replies";
		return NULL;
	}
	return qmp_on_reply(q, msg);
}

/* One line of len bytes (its newline not counted) at the head of in. */
static const char *
qmp_on_line(struct qmp *q, struct evbuffer *in, size_t len)
{
	const char *why = NULL;
	json_error_t jerr;
	json_t *msg;
	char *line;

	if ((line = (char *)evbuffer_pullup(in, (ssize_t)len + 1)) == NULL)
		return "out of memory";
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len > 0) {
		msg = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
		why = msg == NULL ? "a message that is not JSON" :
		    qmp_on_message(q, msg);
		json_decref(msg);
	}
	return why;
}

/* Every whole line in `in`; false once the connection is over. */
static bool
qmp_parse(struct qmp *q, struct evbuffer *in)
{
	struct evbuffer_ptr nl;
	const char *why;
	size_t len;

	while (q->state != QMP_OVER && !q->free_pending) {
		nl = evbuffer_search(in, "\n", 1, NULL);
		if (nl.pos < 0) {
			if (evbuffer_get_length(in) > QMP_LINE_MAX) {
				qmp_over(q, true, "a message longer than "
				    "QMP_LINE_MAX");
				return false;
			}
			return true;
		}
		len = (size_t)nl.pos;
		if (len > QMP_LINE_MAX) {
			qmp_over(q, true, "a message longer than "
			    "QMP_LINE_MAX");
			return false;
		}
		why = qmp_on_line(q, in, len);
		evbuffer_drain(in, len + 1);
		if (why != NULL) {
			qmp_over(q, true, why);
			return false;
		}
	}
	return false;
}

static void
qmp_done_busy(struct qmp *q)
{
	if (q->busy == 0 && q->free_pending) {
		q->free_pending = false;
		qmp_free(q);
	}
}

static void
qmp_on_read(struct bufferevent *bev, void *arg)
{
	struct qmp *q = arg;

	q->busy++;
	qmp_parse(q, bufferevent_get_input(bev));
	q->busy--;
	qmp_done_busy(q);
}

static void
qmp_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct qmp *q = arg;

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	q->busy++;
	qmp_over(q, false, what & BEV_EVENT_EOF ? "closed by the device "
	    "model" : strerror(EVUTIL_SOCKET_ERROR()));
	q->busy--;
	qmp_done_busy(q);
}

void
qmp_feed(struct qmp *q, const void *buf, size_t len)
{
	struct evbuffer *in = bufferevent_get_input(q->bev);

	if (q->state == QMP_OVER)
		return;
	/* The bufferevent keeps its input's end frozen to all but itself. */
	evbuffer_unfreeze(in, 0);
	evbuffer_add(in, buf, len);
	evbuffer_freeze(in, 0);
	qmp_on_read(q->bev, q);
}

struct qmp *
qmp_new(struct event_base *base, int fd, const struct qmp_ops *ops,
    void *arg)
{
	struct qmp *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->ops = ops;
	q->arg = arg;
	if ((q->bev = bufferevent_socket_new(base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(q);
		return NULL;
	}
	bufferevent_setcb(q->bev, qmp_on_read, NULL, qmp_on_event, q);
	/* Never buffer more than one maximal line and its newline. */
	bufferevent_setwatermark(q->bev, EV_READ, 0, QMP_LINE_MAX + 2);
	if (fd >= 0)
		bufferevent_enable(q->bev, EV_READ | EV_WRITE);
	return q;
}

void
qmp_free(struct qmp *q)
{
	if (q == NULL)
		return;
	if (q->busy > 0) {
		q->free_pending = true;
		return;
	}
	bufferevent_free(q->bev);
	free(q);
}
