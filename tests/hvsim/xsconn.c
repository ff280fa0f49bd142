/* SPDX-License-Identifier: GPL-2.0-only */
/* The xenstore wire protocol on UNIX sockets (xsconn.h). */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>

#include "tests/hvsim/dom.h"
#include "tests/hvsim/hvsim.h"
#include "tests/hvsim/txn.h"
#include "tests/hvsim/watch.h"
#include "tests/hvsim/xsconn.h"
#include "tests/hvsim/xsd.h"

#define XSCONN_PRIV	1u	/* dom0 only */
#define XSCONN_NOTID	2u	/* the transaction id is ignored */
#define XSCONN_FLUSH_S	5	/* a closing client gets this long to read */
#define DOMID_SELF_XS	0x7ff0u

struct xsconn_req {
	struct xsd_sockmsg	hdr;
	char			buf[XENSTORE_PAYLOAD_MAX + 1];
	struct xsd_who		who;
};

typedef int xsconn_fn(struct xsconn *, struct xsconn_req *);

static void xsconn_listen_all(struct hvsim *);

/* --- output ----------------------------------------------------------- */

static void
xsconn_send(struct xsconn *c, const struct xsd_sockmsg *hdr,
    const void *a, size_t alen, const void *b, size_t blen)
{
	struct evbuffer *out;

	if (c->dead)
		return;
	out = bufferevent_get_output(c->bev);
	if (evbuffer_add(out, hdr, sizeof(*hdr)) < 0 ||
	    evbuffer_add(out, a, alen) < 0 || evbuffer_add(out, b, blen) < 0 ||
	    evbuffer_get_length(out) > XSCONN_OUT_MAX) {
		hvsim_log(c->h, "xenstore client (domain %u) does not read "
		    "its replies; disconnecting it", c->domid);
		xsconn_kill(c);
	}
}

static const char *
xsconn_errname(int err)
{
	size_t i;

	for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (xsd_errors[i].errnum == err)
			return xsd_errors[i].errstring;
	return "EINVAL";
}

static void
xsconn_error(struct xsconn *c, const struct xsd_sockmsg *req, int err)
{
	const char *name = xsconn_errname(err);
	struct xsd_sockmsg hdr = { XS_ERROR, req->req_id, req->tx_id, 0 };

	hdr.len = (uint32_t)strlen(name) + 1;
	xsconn_send(c, &hdr, name, hdr.len, "", 0);
}

static int
xsconn_reply(struct xsconn *c, const struct xsconn_req *r, const void *data,
    size_t len)
{
	struct xsd_sockmsg hdr = r->hdr;

	if (len > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	hdr.len = (uint32_t)len;
	xsconn_send(c, &hdr, data, len, "", 0);
	return 0;
}

static int
xsconn_ack(struct xsconn *c, const struct xsconn_req *r)
{
	return xsconn_reply(c, r, "OK", 3);
}

void
xsconn_event(struct xsconn *c, const char *path, const char *token)
{
	struct xsd_sockmsg hdr = { XS_WATCH_EVENT, 0, 0, 0 };
	size_t plen = strlen(path) + 1, tlen = strlen(token) + 1;

	if (plen + tlen > XENSTORE_PAYLOAD_MAX)
		return;	/* xenstored drops over-long events too */
	hdr.len = (uint32_t)(plen + tlen);
	xsconn_send(c, &hdr, path, plen, token, tlen);
}

/* --- arguments -------------------------------------------------------- */

/* The payload is one string, its only NUL at the end. */
static const char *
xsconn_onearg(const struct xsconn_req *r)
{
	if (r->hdr.len == 0 ||
	    memchr(r->buf, '\0', r->hdr.len) != r->buf + r->hdr.len - 1)
		return NULL;
	return r->buf;
}

/* xenstored's get_strings: how many NUL-ended strings; the first max. */
static unsigned
xsconn_strings(struct xsconn_req *r, char **vec, unsigned max)
{
	unsigned n = 0;
	size_t off = 0;
	char *nul;

	while (off < r->hdr.len &&
	    (nul = memchr(r->buf + off, '\0', r->hdr.len - off)) != NULL) {
		if (n < max)
			vec[n] = r->buf + off;
		n++;
		off = (size_t)(nul - r->buf) + 1;
	}
	return n;
}

static int
xsconn_domid(const char *s, uint32_t *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > 0xffff)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* --- the operations --------------------------------------------------- */

static int
xsconn_do_read(struct xsconn *c, struct xsconn_req *r)
{
	const char *path = xsconn_onearg(r);
	char *data = NULL;
	size_t len;
	int rc;

	if (path == NULL)
		return -EINVAL;
	if ((rc = xsd_read(c->h, &r->who, path, &data, &len)) == 0)
		rc = xsconn_reply(c, r, data, len);
	free(data);
	return rc;
}

static int
xsconn_do_write(struct xsconn *c, struct xsconn_req *r)
{
	char *vec[1];
	size_t off;
	int rc;

	if (xsconn_strings(r, vec, 1) < 1)
		return -EINVAL;
	off = strlen(vec[0]) + 1;
	if ((rc = xsd_write(c->h, &r->who, vec[0], r->buf + off,
	    r->hdr.len - off)) < 0)
		return rc;
	return xsconn_ack(c, r);
}

static int
xsconn_do_mkdir(struct xsconn *c, struct xsconn_req *r)
{
	const char *path = xsconn_onearg(r);
	int rc;

	if (path == NULL)
		return -EINVAL;
	if ((rc = xsd_mkdir(c->h, &r->who, path)) < 0)
		return rc;
	return xsconn_ack(c, r);
}

static int
xsconn_do_rm(struct xsconn *c, struct xsconn_req *r)
{
	const char *path = xsconn_onearg(r);
	int rc;

	if (path == NULL)
		return -EINVAL;
	if ((rc = xsd_rm(c->h, &r->who, path)) < 0)
		return rc;
	return xsconn_ack(c, r);
}

static int
xsconn_do_directory(struct xsconn *c, struct xsconn_req *r)
{
	const char *path = xsconn_onearg(r);
	char *kids = NULL;
	uint64_t gen;
	size_t len;
	int rc;

	if (path == NULL)
		return -EINVAL;
	if ((rc = xsd_directory(c->h, &r->who, path, &kids, &len, &gen)) == 0)
		rc = xsconn_reply(c, r, kids, len);	/* E2BIG if too many */
	free(kids);
	return rc;
}

/*
 * xenstored's send_directory_part: the node's generation, then as many
 * whole names from byte offset off as fit; an empty name ends the list.
 */
static int
xsconn_part(struct xsconn *c, struct xsconn_req *r, const char *kids,
    size_t len, uint64_t gen, size_t off)
{
	char out[XENSTORE_PAYLOAD_MAX + 1];
	size_t glen, n = 0, max;

	glen = (size_t)snprintf(out, sizeof(out), "%llu",
	    (unsigned long long)gen) + 1;
	if (off >= len) {
		out[glen] = '\0';
		return xsconn_reply(c, r, out, glen + 1);
	}
	max = XENSTORE_PAYLOAD_MAX - glen - 1;
	while (off + n < len && n + strlen(kids + off + n) < max)
		n += strlen(kids + off + n) + 1;
	memcpy(out + glen, kids + off, n);
	if (off + n == len)
		out[glen + n++] = '\0';
	return xsconn_reply(c, r, out, glen + n);
}

static int
xsconn_do_directory_part(struct xsconn *c, struct xsconn_req *r)
{
	char *vec[2], *kids = NULL, *end;
	unsigned long off;
	uint64_t gen;
	size_t len;
	int rc;

	if (xsconn_strings(r, vec, 2) != 2)
		return -EINVAL;
	off = strtoul(vec[1], &end, 10);
	if (end == vec[1] || *end != '\0')
		return -EINVAL;
	if ((rc = xsd_directory(c->h, &r->who, vec[0], &kids, &len,
	    &gen)) == 0)
		rc = xsconn_part(c, r, kids, len, gen, off);
	free(kids);
	return rc;
}

static int
xsconn_do_get_perms(struct xsconn *c, struct xsconn_req *r)
{
	const char *path = xsconn_onearg(r);
	char *perms = NULL;
	size_t len;
	int rc;

	if (path == NULL)
		return -EINVAL;
	if ((rc = xsd_get_perms(c->h, &r->who, path, &perms, &len)) == 0)
		rc = xsconn_reply(c, r, perms, len);
	free(perms);
	return rc;
}

static int
xsconn_do_set_perms(struct xsconn *c, struct xsconn_req *r)
{
	struct tree_perms p = { NULL, 0 };
	char *vec[1];
	size_t off;
	int rc;

	if (xsconn_strings(r, vec, 1) < 2)
		return -EINVAL;
	off = strlen(vec[0]) + 1;
	if ((rc = tree_perms_parse(r->buf + off, r->hdr.len - off, &p)) == 0 &&
	    (rc = xsd_set_perms(c->h, &r->who, vec[0], &p)) == 0)
		rc = xsconn_ack(c, r);
	tree_perms_clear(&p);
	return rc;
}

static int
xsconn_do_watch(struct xsconn *c, struct xsconn_req *r)
{
	struct watch *w;
	char *vec[2];
	int rc;

	if (xsconn_strings(r, vec, 2) != 2)
		return -EINVAL;
	if ((rc = watch_add(c, vec[0], vec[1], &w)) < 0 ||
	    (rc = xsconn_ack(c, r)) < 0)
		return rc;
	watch_initial(c, w);	/* fired once up front, as xenstored does */
	return 0;
}

static int
xsconn_do_unwatch(struct xsconn *c, struct xsconn_req *r)
{
	char *vec[2];
	int rc;

	if (xsconn_strings(r, vec, 2) != 2)
		return -EINVAL;
	if ((rc = watch_remove(c, vec[0], vec[1])) < 0)
		return rc;
	return xsconn_ack(c, r);
}

static int
xsconn_do_tx_start(struct xsconn *c, struct xsconn_req *r)
{
	struct txn *tx;
	char id[16];
	int rc;

	if (r->who.tx != NULL)
		return -EBUSY;	/* no nested transactions */
	if (c->ntxs >= (c->domid == 0 ? XSCONN_TX_MAX0 : XSCONN_TX_MAX))
		return -ENOSPC;
	if ((rc = txn_start(c->h, &tx)) < 0)
		return rc;
	tx->next = c->txs;
	c->txs = tx;
	c->ntxs++;
	snprintf(id, sizeof(id), "%u", tx->id);
	return xsconn_reply(c, r, id, strlen(id) + 1);
}

static void
xsconn_tx_unlink(struct xsconn *c, struct txn *tx)
{
	struct txn **i;

	for (i = &c->txs; *i != NULL; i = &(*i)->next) {
		if (*i == tx) {
			*i = tx->next;
			c->ntxs--;
			return;
		}
	}
}

static int
xsconn_do_tx_end(struct xsconn *c, struct xsconn_req *r)
{
	const char *arg = xsconn_onearg(r);
	struct txn *tx = r->who.tx;
	int rc = 0;

	if (arg == NULL || (strcmp(arg, "T") != 0 && strcmp(arg, "F") != 0))
		return -EINVAL;
	if (tx == NULL)
		return -ENOENT;
	xsconn_tx_unlink(c, tx);
	if (arg[0] == 'T')
		rc = txn_commit(c->h, c->domid, tx);
	txn_free(c->h, tx);
	return rc < 0 ? rc : xsconn_ack(c, r);
}

static int
xsconn_do_introduce(struct xsconn *c, struct xsconn_req *r)
{
	char *vec[3], *end;
	uint32_t domid;
	unsigned long port;

	if (xsconn_strings(r, vec, 3) < 3 || xsconn_domid(vec[0], &domid) < 0)
		return -EINVAL;
	port = strtoul(vec[2], &end, 10);
	if (end == vec[2] || port == 0)
		return -EINVAL;
	xsd_fire_special(c->h, XSD_INTRODUCE);
	return xsconn_ack(c, r);
}

static int
xsconn_do_release(struct xsconn *c, struct xsconn_req *r)
{
	const char *arg = xsconn_onearg(r);
	uint32_t domid;

	if (arg == NULL || xsconn_domid(arg, &domid) < 0 || domid == 0)
		return -EINVAL;
	if (dom_find(c->h, domid) == NULL)
		return -ENOENT;
	xsd_fire_special(c->h, XSD_RELEASE);
	return xsconn_ack(c, r);
}

static int
xsconn_do_get_domain_path(struct xsconn *c, struct xsconn_req *r)
{
	const char *arg = xsconn_onearg(r);
	char path[64];
	uint32_t domid;

	if (arg == NULL || xsconn_domid(arg, &domid) < 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	return xsconn_reply(c, r, path, strlen(path) + 1);
}

static int
xsconn_do_is_introduced(struct xsconn *c, struct xsconn_req *r)
{
	const char *arg = xsconn_onearg(r);
	uint32_t domid;
	int known;

	if (arg == NULL || xsconn_domid(arg, &domid) < 0)
		return -EINVAL;
	known = domid == DOMID_SELF_XS || dom_find(c->h, domid) != NULL;
	return xsconn_reply(c, r, known ? "T" : "F", 2);
}

static int
xsconn_do_resume(struct xsconn *c, struct xsconn_req *r)
{
	const char *arg = xsconn_onearg(r);
	uint32_t domid;

	if (arg == NULL || xsconn_domid(arg, &domid) < 0 || domid == 0)
		return -EINVAL;
	if (dom_find(c->h, domid) == NULL)
		return -ENOENT;
	return xsconn_ack(c, r);
}

static int
xsconn_do_set_target(struct xsconn *c, struct xsconn_req *r)
{
	uint32_t stub, guest;
	char *vec[2];
	int rc;

	if (xsconn_strings(r, vec, 2) < 2 || xsconn_domid(vec[0], &stub) < 0 ||
	    xsconn_domid(vec[1], &guest) < 0)
		return -EINVAL;
	if ((rc = dom_set_target(c->h, stub, guest)) < 0)
		return rc == -ESRCH ? -ENOENT : rc;
	return xsconn_ack(c, r);
}

static void
xsconn_tx_clear(struct xsconn *c)
{
	struct txn *tx;

	while ((tx = c->txs) != NULL) {
		c->txs = tx->next;
		txn_free(c->h, tx);
	}
	c->ntxs = 0;
}

static int
xsconn_do_reset_watches(struct xsconn *c, struct xsconn_req *r)
{
	watch_clear(c);
	xsconn_tx_clear(c);
	return xsconn_ack(c, r);
}

static int
xsconn_do_control(struct xsconn *c, struct xsconn_req *r)
{
	return -EINVAL;	/* no xenstore-control commands are simulated */
}

static const struct {
	xsconn_fn	*fn;
	unsigned	 flags;
} xsconn_ops[XS_TYPE_COUNT] = {
	[XS_CONTROL] = { xsconn_do_control, XSCONN_PRIV },
	[XS_DIRECTORY] = { xsconn_do_directory, 0 },
	[XS_READ] = { xsconn_do_read, 0 },
	[XS_GET_PERMS] = { xsconn_do_get_perms, 0 },
	[XS_WATCH] = { xsconn_do_watch, XSCONN_NOTID },
	[XS_UNWATCH] = { xsconn_do_unwatch, XSCONN_NOTID },
	[XS_TRANSACTION_START] = { xsconn_do_tx_start, 0 },
	[XS_TRANSACTION_END] = { xsconn_do_tx_end, 0 },
	[XS_INTRODUCE] = { xsconn_do_introduce, XSCONN_PRIV },
	[XS_RELEASE] = { xsconn_do_release, XSCONN_PRIV },
	[XS_GET_DOMAIN_PATH] = { xsconn_do_get_domain_path, 0 },
	[XS_WRITE] = { xsconn_do_write, 0 },
	[XS_MKDIR] = { xsconn_do_mkdir, 0 },
	[XS_RM] = { xsconn_do_rm, 0 },
	[XS_SET_PERMS] = { xsconn_do_set_perms, 0 },
	[XS_IS_DOMAIN_INTRODUCED] = { xsconn_do_is_introduced, XSCONN_PRIV },
	[XS_RESUME] = { xsconn_do_resume, XSCONN_PRIV },
	[XS_SET_TARGET] = { xsconn_do_set_target, XSCONN_PRIV },
	[XS_RESET_WATCHES] = { xsconn_do_reset_watches, 0 },
	[XS_DIRECTORY_PART] = { xsconn_do_directory_part, 0 },
};

static struct txn *
xsconn_tx(struct xsconn *c, uint32_t id)
{
	struct txn *tx;

	for (tx = c->txs; tx != NULL && tx->id != id; tx = tx->next)
		;
	return tx;
}

static void
xsconn_dispatch(struct xsconn *c, struct xsconn_req *r)
{
	uint32_t type = r->hdr.type;
	xsconn_fn *fn = type < XS_TYPE_COUNT ? xsconn_ops[type].fn : NULL;
	unsigned flags = fn != NULL ? xsconn_ops[type].flags : 0;
	int rc;

	r->who.domid = c->domid;
	r->who.tx = NULL;
	if (fn == NULL)
		rc = -EINVAL;
	else if ((flags & XSCONN_PRIV) && c->domid != 0)
		rc = -EACCES;
	else if (!(flags & XSCONN_NOTID) && r->hdr.tx_id != 0 &&
	    (r->who.tx = xsconn_tx(c, r->hdr.tx_id)) == NULL)
		rc = -ENOENT;
	else
		rc = fn(c, r);
	if (rc < 0)
		xsconn_error(c, &r->hdr, -rc);
}

/* --- connections ------------------------------------------------------ */

void
xsconn_kill(struct xsconn *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	event_active(c->h->xs->reaper, 0, 0);
}

/* Say why, let the client read it, then hang up. */
static void
xsconn_close(struct xsconn *c, const struct xsd_sockmsg *hdr, int err)
{
	struct timeval tv = { XSCONN_FLUSH_S, 0 };

	xsconn_error(c, hdr, err);
	if (c->dead)
		return;
	c->closing = 1;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_set_timeouts(c->bev, NULL, &tv);
}

/* 1: one whole request taken out of in; 0: not yet (or a bad one). */
static int
xsconn_take(struct xsconn *c, struct evbuffer *in, struct xsconn_req *r)
{
	size_t have = evbuffer_get_length(in);

	if (have < sizeof(r->hdr))
		return 0;
	evbuffer_copyout(in, &r->hdr, sizeof(r->hdr));
	if (r->hdr.len > XENSTORE_PAYLOAD_MAX) {
		hvsim_log(c->h, "xenstore client (domain %u) sent a %u-byte "
		    "payload; dropping it", c->domid, r->hdr.len);
		xsconn_close(c, &r->hdr, E2BIG);
		return 0;
	}
	if (have < sizeof(r->hdr) + r->hdr.len)
		return 0;
	evbuffer_drain(in, sizeof(r->hdr));
	evbuffer_remove(in, r->buf, r->hdr.len);
	r->buf[r->hdr.len] = '\0';
	return 1;
}

static void
xsconn_read_cb(struct bufferevent *bev, void *arg)
{
	struct xsconn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct xsconn_req r;

	while (!c->dead && !c->closing && xsconn_take(c, in, &r))
		xsconn_dispatch(c, &r);
}

static void
xsconn_write_cb(struct bufferevent *bev, void *arg)
{
	struct xsconn *c = arg;

	if (c->closing &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		xsconn_kill(c);
}

static void
xsconn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct xsconn *c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		xsconn_kill(c);
}

static void
xsconn_conn_free(struct xsconn *c)
{
	watch_clear(c);
	xsconn_tx_clear(c);
	bufferevent_free(c->bev);
	c->h->xs->nconns--;
	free(c);
}

static void
xsconn_reap(evutil_socket_t fd, short what, void *arg)
{
	struct hvsim *h = arg;
	struct xsconn **i = &h->xs->conns, *c;
	struct xsconn_lsn *lsn;

	while ((c = *i) != NULL) {
		if (c->dead) {
			*i = c->next;
			xsconn_conn_free(c);
		} else
			i = &c->next;
	}
	/* Descriptors were freed: listeners stopped for want of them resume. */
	for (lsn = h->xs->lsns; lsn != NULL; lsn = lsn->next)
		if (lsn->l != NULL)
			evconnlistener_enable(lsn->l);
}

static void
xsconn_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct xsconn_lsn *lsn = arg;
	struct hvsim *h = lsn->h;
	struct xsconn *c;

	if (h->xs->nconns >= XSCONN_MAX ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		hvsim_log(h, "too many xenstore clients; refusing one");
		close(fd);
		return;
	}
	c->h = h;
	c->domid = lsn->domid;
	if ((c->bev = bufferevent_socket_new(h->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(fd);
		free(c);
		return;
	}
	bufferevent_setcb(c->bev, xsconn_read_cb, xsconn_write_cb,
	    xsconn_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = h->xs->conns;
	h->xs->conns = c;
	h->xs->nconns++;
}

static void
xsconn_accept_error(struct evconnlistener *l, void *arg)
{
	struct xsconn_lsn *lsn = arg;

	hvsim_log(lsn->h, "accepting on %s: %s; pausing until a client "
	    "leaves", lsn->path, strerror(EVUTIL_SOCKET_ERROR()));
	evconnlistener_disable(l);	/* no busy loop on EMFILE */
}

/* --- listening sockets ------------------------------------------------ */

static int
xsconn_lsn_open(struct xsconn_lsn *lsn)
{
	int fd;

	if ((fd = hvsim_listen(lsn->path)) < 0)
		return fd;
	lsn->l = evconnlistener_new(lsn->h->base, xsconn_accept, lsn,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (lsn->l == NULL) {
		close(fd);
		unlink(lsn->path);
		return -ENOMEM;
	}
	evconnlistener_set_error_cb(lsn->l, xsconn_accept_error);
	return 0;
}

static void
xsconn_lsn_close(struct xsconn_lsn *lsn)
{
	if (lsn->l == NULL)
		return;
	evconnlistener_free(lsn->l);
	lsn->l = NULL;
	unlink(lsn->path);
}

static int
xsconn_lsn_new(struct hvsim *h, uint32_t domid, const char *name,
    struct xsconn_lsn **out)
{
	struct xsconn_lsn *lsn = calloc(1, sizeof(*lsn));
	int rc;

	if (lsn == NULL)
		return -ENOMEM;
	lsn->h = h;
	lsn->domid = domid;
	if (asprintf(&lsn->path, "%s/%s", h->rundir, name) == -1) {
		free(lsn);
		return -ENOMEM;
	}
	if (!h->xs->down && (rc = xsconn_lsn_open(lsn)) < 0) {
		free(lsn->path);
		free(lsn);
		return rc;
	}
	lsn->next = h->xs->lsns;
	h->xs->lsns = lsn;
	*out = lsn;
	return 0;
}

static void
xsconn_back(evutil_socket_t fd, short what, void *arg)
{
	struct hvsim *h = arg;

	h->xs->down = 0;
	xsconn_listen_all(h);
	hvsim_log(h, "xenstored: accepting connections again");
}

int
xsconn_init(struct hvsim *h)
{
	struct xsconn_lsn *lsn;

	if ((h->xs = calloc(1, sizeof(*h->xs))) == NULL)
		return -ENOMEM;
	h->xs->reaper = event_new(h->base, -1, 0, xsconn_reap, h);
	h->xs->restart = evtimer_new(h->base, xsconn_back, h);
	if (h->xs->reaper == NULL || h->xs->restart == NULL)
		return -ENOMEM;
	return xsconn_lsn_new(h, 0, "socket", &lsn);
}

void
xsconn_free(struct hvsim *h)
{
	struct xsconn_lsn *lsn;
	struct xsconn *c;

	if (h->xs == NULL)
		return;
	for (c = h->xs->conns; c != NULL; c = c->next)
		c->dead = 1;
	xsconn_reap(-1, 0, h);
	while ((lsn = h->xs->lsns) != NULL) {
		h->xs->lsns = lsn->next;
		xsconn_lsn_close(lsn);
		free(lsn->path);
		free(lsn);
	}
	if (h->xs->reaper != NULL)
		event_free(h->xs->reaper);
	if (h->xs->restart != NULL)
		event_free(h->xs->restart);
	free(h->xs);
	h->xs = NULL;
}

int
xsconn_sock_as(struct hvsim *h, uint32_t domid, const char **path)
{
	struct xsconn_lsn *lsn;
	char name[32];
	int rc;

	for (lsn = h->xs->lsns; lsn != NULL; lsn = lsn->next) {
		if (lsn->domid == domid) {
			*path = lsn->path;
			return 0;
		}
	}
	snprintf(name, sizeof(name), "as-%u.sock", domid);
	if ((rc = xsconn_lsn_new(h, domid, name, &lsn)) < 0)
		return rc;
	hvsim_log(h, "xenstore socket for domain %u: %s", domid, lsn->path);
	*path = lsn->path;
	return 0;
}

static void
xsconn_listen_all(struct hvsim *h)
{
	struct xsconn_lsn *lsn;
	int rc;

	for (lsn = h->xs->lsns; lsn != NULL; lsn = lsn->next)
		if (lsn->l == NULL && (rc = xsconn_lsn_open(lsn)) < 0)
			hvsim_log(h, "cannot listen on %s: %s", lsn->path,
			    strerror(-rc));
}

int
xsconn_restart(struct hvsim *h, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	struct xsconn_lsn *lsn;
	struct xsconn *c;

	for (c = h->xs->conns; c != NULL; c = c->next)
		xsconn_kill(c);
	for (lsn = h->xs->lsns; lsn != NULL; lsn = lsn->next)
		xsconn_lsn_close(lsn);
	h->xs->down = 1;
	evtimer_add(h->xs->restart, &tv);
	hvsim_log(h, "xenstored restarting: clients dropped, refusing "
	    "connections for %u ms", ms);
	return 0;
}
