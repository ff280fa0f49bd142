/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket server (io.stubdm.varlink), its transport: a UNIX
 * stream socket, peer credentials read at accept, NUL-framed JSON calls
 * capped before they are buffered, replies, parameter helpers, and the
 * dispatch through the method table (control-method.c) that marks each
 * method read-only or privileged.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <grp.h>
#include <jansson.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "stubdmd/clock.h"
#include "stubdmd/control.h"
#include "stubdmd/control-int.h"
#include "stubdmd/hv.h"
#include "stubdmd/idl.h"
#include "stubdmd/log.h"
#include "stubdmd/metrics.h"
#include "stubdmd/policy.h"
#include "stubdmd/proto.h"
#include "stubdmd/stubdmd.h"
#include "stubdmd/super.h"
#include "stubdmd/xstore.h"

/* ---- JSON values -------------------------------------------------- */

/* A JSON string from an untrusted C string: invalid UTF-8 becomes '?'. */
json_t *
control_jstr(const char *s)
{
	json_t *j;
	char *copy, *p;

	if (s == NULL)
		s = "";
	if ((j = json_string(s)) != NULL || (copy = strdup(s)) == NULL)
		return j;
	for (p = copy; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

json_t *
control_jdomid(int domid)
{
	return domid < 0 ? json_null() : json_integer(domid);
}

/* ISO 8601 UTC with milliseconds, or null for "never". */
json_t *
control_jtime(uint64_t wall_ms)
{
	time_t t = (time_t)(wall_ms / 1000);
	char buf[48];
	struct tm tm;
	size_t n;

	if (wall_ms == 0 || gmtime_r(&t, &tm) == NULL ||
	    (n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm)) == 0)
		return json_null();
	snprintf(buf + n, sizeof(buf) - n, ".%03uZ",
	    (unsigned)(wall_ms % 1000));
	return json_string(buf);
}


/* ---- connections -------------------------------------------------- */

static void
control_kill(struct control_conn *cc)
{
	struct control *c = cc->c;

	if (cc->dead)
		return;
	cc->dead = true;
	bufferevent_disable(cc->bev, EV_READ | EV_WRITE);
	bufferevent_setcb(cc->bev, NULL, NULL, NULL, NULL);
	TAILQ_REMOVE(&c->conns, cc, link);
	TAILQ_INSERT_TAIL(&c->dead, cc, link);
	c->nconns--;
	/* Not freed here: a callback further up the stack may hold it. */
	event_active(c->ev_reap, EV_TIMEOUT, 0);
}

/* Send what is queued (an error reply), then close. */
static void
control_flush_close(struct control_conn *cc)
{
	cc->closing = true;
	bufferevent_disable(cc->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(cc->bev)) == 0)
		control_kill(cc);
}

/*
 * A client that misbehaves: one log line, and it is disconnected, at once
 * or (flush) after the error reply already queued for it.
 */
static void
control_drop(struct control_conn *cc, const char *why, bool flush)
{
	if (cc->dead)
		return;
	if (!cc->closing) {
		log_warnx("control: closing the connection of uid %u pid %d: "
		    "%s", (unsigned)cc->cred.uid, (int)cc->cred.pid, why);
		cc->c->dropped++;
	}
	if (flush)
		control_flush_close(cc);
	else
		control_kill(cc);
}

static void
control_conn_free(struct control_conn *cc)
{
	if (cc->bev != NULL)
		bufferevent_free(cc->bev);
	free(cc);
}

static void
control_on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct control *c = arg;
	struct control_conn *cc;

	struct control_conn *next;

	/* One that still owes an answer goes once it is given. */
	for (cc = TAILQ_FIRST(&c->dead); cc != NULL; cc = next) {
		next = TAILQ_NEXT(cc, link);
		if (cc->deferred > 0)
			continue;
		TAILQ_REMOVE(&c->dead, cc, link);
		control_conn_free(cc);
	}
}

struct control_call *
control_defer(struct control_call *call,
    void (*cancel)(struct control_call *))
{
	struct control_call *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->cc = call->cc;
	d->oneway = call->oneway;
	d->cancel = cancel;
	d->cc->deferred++;
	bufferevent_disable(d->cc->bev, EV_READ);
	TAILQ_INSERT_TAIL(&d->cc->c->deferred, d, link);
	return d;
}

void
control_deferred_done(struct control_call *d)
{
	struct control_conn *cc = d->cc;

	TAILQ_REMOVE(&cc->c->deferred, d, link);
	json_decref(d->reply);
	free(d);
	if (--cc->deferred > 0)
		return;
	if (cc->dead) {
		event_active(cc->c->ev_reap, EV_TIMEOUT, 0);
	} else if (!cc->closing) {
		/* Calls that came meanwhile wait in the input: read on. */
		bufferevent_enable(cc->bev, EV_READ);
		bufferevent_trigger(cc->bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS |
		    BEV_TRIG_DEFER_CALLBACKS);
	}
}

/* Queue one message (stolen).  Over the output cap, the client goes. */
void
control_send(struct control_conn *cc, json_t *msg)
{
	struct evbuffer *out;
	char *s = NULL;

	if (cc->dead)
		goto out;
	out = bufferevent_get_output(cc->bev);
	if (evbuffer_get_length(out) > CONTROL_OUT_MAX) {
		control_drop(cc, "more than 1 MiB of replies left unread",
		    false);
		goto out;
	}
	if (msg == NULL || (s = json_dumps(msg, JSON_COMPACT)) == NULL ||
	    evbuffer_add(out, s, strlen(s) + 1) == -1)
		control_drop(cc, "out of memory building a reply", false);
out:
	free(s);
	json_decref(msg);
}

/* ---- replies ------------------------------------------------------ */

static void
control_answer(struct control_call *call, const char *error, json_t *params)
{
	json_t *msg;

	if (call->oneway) {
		json_decref(params);
		return;
	}
	if ((msg = json_object()) != NULL && error != NULL)
		json_object_set_new(msg, "error", json_string(error));
	if (msg != NULL)
		json_object_set_new(msg, "parameters", params != NULL ?
		    params : json_object());
	else
		json_decref(params);
	control_send(call->cc, msg);
}

void
control_reply(struct control_call *call, json_t *params)
{
	if (params == NULL)
		control_drop(call->cc, "out of memory building a reply",
		    false);
	else
		control_answer(call, NULL, params);
}

void
control_error(struct control_call *call, const char *error, json_t *params)
{
	control_answer(call, error, params);
}

/* A call refused for what the client sent (counted in Stats). */
void
control_reject(struct control_call *call, const char *error, json_t *params)
{
	call->cc->c->rejected++;
	control_error(call, error, params);
}

void
control_bad_param(struct control_call *call, const char *name)
{
	control_reject(call, PROTO_E_INVALID_PARAM, json_pack("{s:s}",
	    "parameter", name));
}

/* ---- parameters --------------------------------------------------- */

/* "guest": a name or a domid, as a string or a number. */
struct super_guest *
control_param_guest(struct control_call *call)
{
	json_t *v = json_object_get(call->params, "guest");
	const char *key = json_string_value(v);
	struct super_guest *sg;
	char domid[16];

	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    json_integer_value(v) < CONTROL_DOMID_MAX) {
		snprintf(domid, sizeof(domid), "%lld",
		    (long long)json_integer_value(v));
		key = domid;
	} else if (key == NULL || *key == '\0') {
		control_bad_param(call, "guest");
		return NULL;
	}
	if ((sg = super_find(call->cc->c->sd->super, key)) == NULL)
		control_error(call, PROTO_E_NO_SUCH_GUEST, json_pack("{s:o}",
		    "guest", control_jstr(key)));
	return sg;
}

/* An optional boolean: 0 and *out set, or -1 after an error reply. */
int
control_param_bool(struct control_call *call, const char *name, bool *out)
{
	json_t *v = json_object_get(call->params, name);

	*out = false;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v)) {
		control_bad_param(call, name);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

/* ---- credentials -------------------------------------------------- */

bool
control_user_in_group(uid_t uid, gid_t gid)
{
	gid_t *groups = NULL;
	struct passwd *pw;
	bool found = false;
	int n = 0, i;

	if ((pw = getpwuid(uid)) == NULL)
		return false;
	getgrouplist(pw->pw_name, pw->pw_gid, NULL, &n);
	if (n <= 0 || n > CONTROL_GROUPS_MAX ||
	    (groups = calloc((size_t)n, sizeof(*groups))) == NULL)
		return false;
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) == -1)
		goto out;
	for (i = 0; i < n && !found; i++)
		found = groups[i] == gid;
out:
	free(groups);
	return found;
}

/* Root, or a member of the policy's admin_group (as it is now). */
bool
control_privileged(const struct control *c, const struct ucred *cr)
{
	const char *name = policy_global(c->sd->policy)->admin_group;
	struct group *gr;

	if (cr->uid == 0)
		return true;
	if (name == NULL || *name == '\0' || (gr = getgrnam(name)) == NULL)
		return false;
	return cr->gid == gr->gr_gid || control_user_in_group(cr->uid,
	    gr->gr_gid);
}

/* ---- framing and dispatch ----------------------------------------- */

static int
control_parse_call(json_t *msg, struct control_call *call)
{
	json_error_t err;

	call->params = NULL;
	if (json_unpack_ex(msg, &err, 0, "{s:s, s?o, s?b, s?b}",
	    "method", &call->method, "parameters", &call->params,
	    "more", &call->more, "oneway", &call->oneway) < 0)
		return -EINVAL;
	/* Varlink: "parameters": null is no parameters. */
	if (json_is_null(call->params))
		call->params = NULL;
	if (call->params != NULL && !json_is_object(call->params))
		return -EINVAL;
	return 0;
}

/*
 * An unknown method: io.stubdm's own error for a name in io.stubdm (or in
 * no interface), org.varlink.service's for any other interface.
 */
static void
control_no_method(struct control_call *call)
{
	const char *dot = strrchr(call->method, '.');
	size_t len = dot != NULL ? (size_t)(dot - call->method) : 0;
	json_t *iface;

	if (dot == NULL || (len == strlen(PROTO_INTERFACE) &&
	    strncmp(call->method, PROTO_INTERFACE, len) == 0)) {
		control_reject(call, PROTO_E_NO_METHOD, json_pack("{s:o}",
		    "method", control_jstr(call->method)));
	} else if (len == strlen(PROTO_SERVICE) &&
	    strncmp(call->method, PROTO_SERVICE, len) == 0) {
		control_reject(call, PROTO_SERVICE_E_NO_METHOD,
		    json_pack("{s:o}", "method", control_jstr(call->method)));
	} else {
		iface = json_stringn(call->method, len);
		control_reject(call, PROTO_SERVICE_E_NO_INTERFACE,
		    json_pack("{s:o}", "interface", iface != NULL ? iface :
		    control_jstr("?")));
	}
}

static void
control_dispatch(struct control_conn *cc, json_t *msg)
{
	struct control_call call = { .cc = cc };
	const struct control_method *m;
	json_t *empty = NULL;

	cc->c->calls++;
	if (control_parse_call(msg, &call) < 0) {
		call.oneway = 0;
		control_reject(&call, PROTO_E_INVALID_MSG, json_pack("{s:s}",
		    "reason", "a call is an object with a string \"method\", "
		    "an object \"parameters\" and boolean \"more\", "
		    "\"oneway\""));
		return;
	}
	if (call.params == NULL)
		call.params = empty = json_object();
	if ((m = control_method_find(call.method)) == NULL) {
		control_no_method(&call);
	} else if (m->privileged && !control_privileged(cc->c, &cc->cred)) {
		log_warnx("control: %s refused to uid %u pid %d: not root nor "
		    "in the admin group", m->name, (unsigned)cc->cred.uid,
		    (int)cc->cred.pid);
		control_reject(&call, PROTO_E_PERMISSION, json_pack("{s:s}",
		    "method", m->name));
	} else {
		m->fn(&call);
	}
	json_decref(empty);
}

/* One NUL-terminated message of len bytes at the head of in. */
static void
control_on_message(struct control_conn *cc, struct evbuffer *in, size_t len)
{
	struct control_call call = { .cc = cc };
	json_error_t err;
	json_t *msg;

	msg = json_loadb((const char *)evbuffer_pullup(in,
	    (ev_ssize_t)len + 1), len, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_ANY, &err);
	evbuffer_drain(in, len + 1);
	if (msg != NULL) {
		control_dispatch(cc, msg);
		json_decref(msg);
		return;
	}
	cc->c->calls++;
	control_reject(&call, PROTO_E_INVALID_MSG, json_pack("{s:s}",
	    "reason", err.text));
	control_drop(cc, "malformed JSON", true);
}

static void
control_on_read(struct bufferevent *bev, void *arg)
{
	struct control_conn *cc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct control_call call = { .cc = cc };
	struct evbuffer_ptr nul;

	while (!cc->dead && !cc->closing && cc->deferred == 0) {
		nul = evbuffer_search(in, "", 1, NULL);
		if (nul.pos < 0 || nul.pos > PROTO_CALL_MAX)
			break;
		control_on_message(cc, in, (size_t)nul.pos);
	}
	/* The read watermark stops reading at PROTO_CALL_MAX + 1 bytes. */
	if (!cc->dead && !cc->closing && cc->deferred == 0 &&
	    evbuffer_get_length(in) > PROTO_CALL_MAX) {
		control_reject(&call, PROTO_E_TOO_LARGE, json_pack("{s:i}",
		    "max", PROTO_CALL_MAX));
		control_drop(cc, "message larger than 64 KiB", true);
	}
}

static void
control_on_write(struct bufferevent *bev, void *arg)
{
	struct control_conn *cc = arg;

	if (cc->closing)
		control_kill(cc);
}

static void
control_on_conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct control_conn *cc = arg;

	if (what & BEV_EVENT_TIMEOUT)
		control_drop(cc, "not reading its replies", false);
	else if ((what & BEV_EVENT_EOF) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		control_flush_close(cc);
	else
		control_kill(cc);
}

static struct control_conn *
control_conn_new(struct control *c, evutil_socket_t fd,
    const struct ucred *cred)
{
	struct timeval wt = { CONTROL_WRITE_TIMEOUT, 0 };
	struct control_conn *cc;

	if ((cc = calloc(1, sizeof(*cc))) == NULL)
		return NULL;
	cc->c = c;
	cc->cred = *cred;
	if ((cc->bev = bufferevent_socket_new(c->sd->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(cc);
		return NULL;
	}
	bufferevent_setcb(cc->bev, control_on_read, control_on_write,
	    control_on_conn_event, cc);
	/* Never buffer more than one maximal call and its NUL. */
	bufferevent_setwatermark(cc->bev, EV_READ, 0, PROTO_CALL_MAX + 1);
	bufferevent_set_timeouts(cc->bev, NULL, &wt);
	bufferevent_enable(cc->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&c->conns, cc, link);
	c->nconns++;
	c->served++;
	return cc;
}

/* Connections of uid open now (at most CONTROL_CONNS_MAX to look at). */
static unsigned
control_conns_of(const struct control *c, uid_t uid)
{
	const struct control_conn *cc;
	unsigned n = 0;

	TAILQ_FOREACH(cc, &c->conns, link)
		if (cc->cred.uid == uid)
			n++;
	return n;
}

/*
 * NULL if the peer may have one more connection, else which limit it is
 * over (*limit its value).  Root has no per-user limit and the last
 * POLICY_CONNS_ROOT connections, so that users cannot lock it out.
 */
static const char *
control_over_limit(const struct control *c, const struct ucred *cred,
    unsigned *limit)
{
	unsigned per_user =
	    policy_global(c->sd->policy)->max_conns_per_user;

	*limit = CONTROL_CONNS_MAX;
	if (c->nconns >= CONTROL_CONNS_MAX)
		return "connections open in all";
	if (cred->uid == 0)
		return NULL;
	*limit = POLICY_CONNS_USER_MAX;
	if (c->nconns >= POLICY_CONNS_USER_MAX)
		return "connections open, the rest kept for root";
	*limit = per_user;
	if (control_conns_of(c, cred->uid) >= per_user)
		return "connections of this user open "
		    "(max_connections_per_user)";
	return NULL;
}

/*
 * The error reply goes out before the close, without waiting: the new
 * socket's buffer is empty.  The first refusal of a burst is logged; the
 * rest are counted and summed up every CONTROL_REFUSE_LOG_S seconds until
 * a period passes without one, so that a flood cannot flood the journal.
 */
static void
control_refuse(struct control *c, evutil_socket_t fd,
    const struct ucred *cred, unsigned limit, const char *what)
{
	struct timeval tv = { CONTROL_REFUSE_LOG_S, 0 };
	json_t *msg = json_pack("{s:s, s:{s:i}}", "error",
	    PROTO_E_TOO_MANY_CONNS, "parameters", "limit", (int)limit);
	char *s = msg != NULL ? json_dumps(msg, JSON_COMPACT) : NULL;

	if (s != NULL && send(fd, s, strlen(s) + 1, MSG_DONTWAIT |
	    MSG_NOSIGNAL) == -1)
		log_debug("control: error reply to uid %u: %s",
		    (unsigned)cred->uid, strerror(errno));
	free(s);
	json_decref(msg);
	close(fd);
	c->refused++;
	if (evtimer_pending(c->ev_refused, NULL)) {
		c->refused_burst++;
		return;
	}
	log_warnx("control: refusing a connection of uid %u pid %d: %u %s; "
	    "further refusals are counted, logged every %d s",
	    (unsigned)cred->uid, (int)cred->pid, limit, what,
	    CONTROL_REFUSE_LOG_S);
	evtimer_add(c->ev_refused, &tv);
}

static void
control_on_refused(evutil_socket_t fd, short what, void *arg)
{
	struct control *c = arg;
	struct timeval tv = { CONTROL_REFUSE_LOG_S, 0 };

	if (c->refused_burst == 0)
		return;		/* a quiet period: the burst is over */
	log_warnx("control: refused %llu more connections in the last %d s "
	    "(connection limits)", (unsigned long long)c->refused_burst,
	    CONTROL_REFUSE_LOG_S);
	c->refused_burst = 0;
	evtimer_add(c->ev_refused, &tv);
}

static void
control_on_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct control *c = arg;
	struct ucred cred = { 0, (uid_t)-1, (gid_t)-1 };
	socklen_t len = sizeof(cred);
	const char *over;
	unsigned limit;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("control: reading the peer's credentials; closing "
		    "the connection");
		close(fd);
	} else if ((over = control_over_limit(c, &cred, &limit)) != NULL)
		control_refuse(c, fd, &cred, limit, over);
	else if (control_conn_new(c, fd, &cred) == NULL) {
		log_warnx("control: out of memory; refusing uid %u pid %d",
		    (unsigned)cred.uid, (int)cred.pid);
		close(fd);
	}
}

/* Out of descriptors, say: pause accepting rather than spin. */
static void
control_on_accept_error(struct evconnlistener *l, void *arg)
{
	struct control *c = arg;
	struct timeval tv = { 1, 0 };

	log_warnx("control: accept: %s; pausing for a second",
	    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	evconnlistener_disable(l);
	evtimer_add(c->ev_resume, &tv);
}

static void
control_on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct control *c = arg;

	evconnlistener_enable(c->listener);
}

/*
 * One client of uid sends buf (as if read from its socket, in reads of at
 * most the read watermark); what the daemon would send it is moved to out.
 * No event loop turn: the fuzz target drives decoding and dispatch this way.
 */
int
control_feed(struct control *c, uid_t uid, const void *buf, size_t len,
    struct evbuffer *out)
{
	struct ucred cred = { 1, uid, (gid_t)uid };
	const char *p = buf;
	struct control_conn *cc;
	struct evbuffer *in;
	int fds[2], rc = 0;
	size_t room;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == -1)
		return -errno;
	if ((cc = control_conn_new(c, fds[0], &cred)) == NULL) {
		close(fds[0]);
		close(fds[1]);
		return -ENOMEM;
	}
	in = bufferevent_get_input(cc->bev);
	while (len > 0 && !cc->dead && !cc->closing) {
		room = PROTO_CALL_MAX + 1 - evbuffer_get_length(in);
		room = len < room ? len : room;
		/* A socket bufferevent's input takes data from the socket only. */
		evbuffer_unfreeze(in, 0);
		evbuffer_add(in, p, room);
		evbuffer_freeze(in, 0);
		p += room;
		len -= room;
		control_on_read(cc->bev, cc);
	}
	evbuffer_unfreeze(bufferevent_get_output(cc->bev), 1);
	if (evbuffer_add_buffer(out, bufferevent_get_output(cc->bev)) == -1)
		rc = -ENOMEM;
	control_kill(cc);
	control_on_reap(-1, 0, c);
	close(fds[1]);
	return rc;
}

/* ---- the listening socket ----------------------------------------- */

const char *
control_path(const struct stubdmd *sd)
{
	if (sd->opts.socket_path != NULL)
		return sd->opts.socket_path;
	return policy_global(sd->policy)->control_socket;
}

/* A socket systemd passed us: 1 and *fd set, 0 if none, or -errno. */
static int
control_inherit(int *fd)
{
	int n = sd_listen_fds(1);

	if (n <= 0)
		return n;
	if (n != 1 || sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1,
	    NULL, 0) <= 0) {
		log_warnx("control: systemd passed %d sockets; expected one "
		    "listening UNIX stream socket", n);
		return -EINVAL;
	}
	*fd = SD_LISTEN_FDS_START;
	if (evutil_make_socket_nonblocking(*fd) == -1 ||
	    evutil_make_socket_closeonexec(*fd) == -1)
		return -errno;
	log_info("control: listening on the socket passed by systemd");
	return 1;
}

static int
control_mkparent(const char *path)
{
	char *dir, *slash;
	int rc = 0;

	if ((dir = strdup(path)) == NULL)
		return -ENOMEM;
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			rc = -errno;
	}
	free(dir);
	return rc;
}

/* Remove a socket nobody answers on; refuse if a daemon answers. */
static int
control_clear_stale(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rc;

	if (lstat(sun->sun_path, &st) == -1)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	rc = rc == 0 || errno == EAGAIN ? -EADDRINUSE : -errno;
	close(fd);
	if (rc != -ECONNREFUSED)
		return rc;
	log_info("control: removing the stale socket %s", sun->sun_path);
	return unlink(sun->sun_path) == -1 ? -errno : 0;
}

/* Mode 0660, group admin_group: who may connect at all. */
static int
control_set_owner(const struct control *c, const char *path)
{
	const char *name = policy_global(c->sd->policy)->admin_group;
	struct group *gr;

	if (name != NULL && *name != '\0') {
		if ((gr = getgrnam(name)) == NULL)
			return -ENOENT;
		if (chown(path, (uid_t)-1, gr->gr_gid) == -1)
			return -errno;
	}
	return chmod(path, 0660) == -1 ? -errno : 0;
}

/* Remember the file we created (to unlink only it) and set its owner. */
static int
control_own_path(struct control *c, const char *path)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return -errno;
	if ((c->path = strdup(path)) == NULL)
		return -ENOMEM;
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	return control_set_owner(c, path);
}

static int
control_bind(struct control *c, const char *path, int *out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc;
	mode_t mask;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((rc = control_mkparent(path)) < 0 ||
	    (rc = control_clear_stale(&sun)) < 0)
		return rc;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -errno;
	mask = umask(0117);	/* never wider than 0660, even briefly */
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ? -errno : 0;
	umask(mask);
	if (rc == 0)
		rc = control_own_path(c, path);
	if (rc == 0 && listen(fd, CONTROL_BACKLOG) == -1)
		rc = -errno;
	if (rc < 0) {
		close(fd);
		return rc;
	}
	*out = fd;
	return 0;
}

/* Unlink the socket file only if it is still the one we created. */
static void
control_unlink(const struct control *c)
{
	struct stat st;

	if (c->path != NULL && lstat(c->path, &st) == 0 &&
	    st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
}

static int
control_listen(struct control *c, int fd)
{
	c->ev_reap = event_new(c->sd->base, -1, 0, control_on_reap, c);
	c->ev_resume = evtimer_new(c->sd->base, control_on_resume, c);
	c->ev_refused = evtimer_new(c->sd->base, control_on_refused, c);
	if (c->ev_reap == NULL || c->ev_resume == NULL || c->ev_refused == NULL)
		return -ENOMEM;
	c->listener = evconnlistener_new(c->sd->base, control_on_accept, c,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (c->listener == NULL)
		return -ENOMEM;
	evconnlistener_set_error_cb(c->listener, control_on_accept_error);
	return 0;
}

int
control_new(struct stubdmd *sd, struct control **out)
{
	struct control *c;
	int fd = -1, rc;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	c->sd = sd;
	TAILQ_INIT(&c->conns);
	TAILQ_INIT(&c->dead);
	TAILQ_INIT(&c->deferred);
	if ((rc = control_inherit(&fd)) == 0)
		rc = control_bind(c, control_path(sd), &fd);
	if (rc < 0 || (rc = control_listen(c, fd)) < 0)
		goto out;
	fd = -1;	/* the listener owns it */
	super_set_observer(sd->super, control_on_change, c);
	if (c->path != NULL)
		log_info("control: listening on %s", c->path);
	*out = c;
	return 0;
out:
	if (fd != -1 && c->listener == NULL)
		close(fd);
	control_free(c);
	return rc;
}

static void
control_free_conns(struct control_conns *list)
{
	struct control_conn *cc;

	while ((cc = TAILQ_FIRST(list)) != NULL) {
		TAILQ_REMOVE(list, cc, link);
		control_conn_free(cc);
	}
}

void
control_free(struct control *c)
{
	struct control_call *d;
	size_t i;

	if (c == NULL)
		return;
	if (c->sd->super != NULL)
		super_set_observer(c->sd->super, NULL, NULL);
	while ((d = TAILQ_FIRST(&c->deferred)) != NULL) {
		TAILQ_REMOVE(&c->deferred, d, link);
		d->cancel(d);
		json_decref(d->reply);
		free(d);
	}
	control_free_conns(&c->conns);
	control_free_conns(&c->dead);
	if (c->listener != NULL)
		evconnlistener_free(c->listener);
	if (c->ev_reap != NULL)
		event_free(c->ev_reap);
	if (c->ev_resume != NULL)
		event_free(c->ev_resume);
	if (c->ev_refused != NULL)
		event_free(c->ev_refused);
	for (i = 0; i < CONTROL_HISTORY; i++)
		json_decref(c->history[i]);
	control_unlink(c);
	free(c->path);
	free(c);
}
