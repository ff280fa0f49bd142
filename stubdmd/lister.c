/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The domain listing off the event loop.  On a loaded or emulated host
 * one xc_domain_getinfolist takes tens to hundreds of milliseconds
 * (check-xen: 38 to 165 ms, a third of it on the CPU), and on the loop
 * all of it was a stall.  A worker thread lists instead: the loop sends
 * it a request over a socketpair and its reply comes back over the same
 * socketpair as an event.  The two messages are all they share (the array
 * changes hands with the reply): no lock.
 *
 * A listing is a snapshot taken while the loop went on.  If the daemon
 * changed a domain in the meantime (a build or a destroy completed, a
 * pause: lister_changed), the snapshot may predate what the daemon now
 * knows (a stub it has just been told of would look gone and be mourned
 * as dead), so it is thrown away and taken again.  What is delivered was
 * begun after the daemon's last change: what a listing made on the loop
 * at that moment would have shown.  Changes come from builds that take
 * seconds; a listing takes milliseconds, so the retries end.
 *
 * The backend may give the worker other slow calls whose answer the loop
 * need not wait for (lister_call: a rename, a xenstore transaction):
 * they run in the order they were given, between listings.
 *
 * The worker calls the backend's functions and malloc only, with its own
 * handles, and blocks every signal: the daemon forks builder processes
 * that run on without exec, and a lock the worker held at the fork would
 * stay held in the child.  glibc's malloc is safe across fork.
 */
#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stubdmd/lister.h"

/*
 * A request (first, gen; or call and arg) and its reply (err, v, n), the
 * same message.
 */
struct lister_msg {
	uint64_t		 gen;
	uint32_t		 first;
	lister_call_fn		*call;		/* NULL: a listing */
	lister_done_cb		*done;
	void			*arg;
	int			 err;
	struct hv_dominfo	*v;
	size_t			 n;
};

struct lister {
	struct event_base	*base;
	lister_fn		*fn;
	void			*ctx;
	int			 fd[2];		/* the loop's, the worker's */
	struct event		*ev;
	pthread_t		 thread;
	bool			 started;
	bool			 busy;
	uint32_t		 first;
	uint64_t		 gen;		/* the daemon's changes */
	hv_list_cb		*cb;
	void			*arg;
	struct lister_stats	 stats;
};

static void *
lister_main(void *arg)
{
	struct lister *l = arg;
	struct lister_msg m;

	while (recv(l->fd[1], &m, sizeof(m), 0) == (ssize_t)sizeof(m)) {
		m.v = NULL;
		m.n = 0;
		if (m.call != NULL)
			m.err = m.call(l->ctx, m.arg);
		else
			m.err = l->fn(l->ctx, m.first, &m.v, &m.n);
		if (send(l->fd[1], &m, sizeof(m), MSG_NOSIGNAL) !=
		    (ssize_t)sizeof(m)) {
			free(m.v);
			break;
		}
	}
	return NULL;
}

/* Not at lister_new: the daemon may daemon(3) after opening its backend. */
int
lister_begin(struct lister *l)
{
	sigset_t all, old;
	int rc;

	if (l->started)
		return 0;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&l->thread, NULL, lister_main, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return -rc;
	l->started = true;
	return 0;
}

/*
 * One request to the worker (started if need be).  Requests are few (one
 * listing, and the calls the backend gives) and small: the socket never
 * fills, and a send never blocks.
 */
static int
lister_send(struct lister *l, const struct lister_msg *m)
{
	ssize_t n;
	int rc;

	if ((rc = lister_begin(l)) < 0)
		return rc;
	n = send(l->fd[0], m, sizeof(*m), MSG_NOSIGNAL);
	if (n == (ssize_t)sizeof(*m))
		return 0;
	return n < 0 ? -errno : -EIO;
}

static int
lister_ask(struct lister *l)
{
	struct lister_msg m = { .gen = l->gen, .first = l->first };

	return lister_send(l, &m);
}

static void
lister_on_reply(evutil_socket_t fd, short what, void *arg)
{
	struct lister *l = arg;
	struct lister_msg m;
	hv_list_cb *cb = l->cb;

	if (recv(fd, &m, sizeof(m), MSG_DONTWAIT) != (ssize_t)sizeof(m))
		return;
	if (m.call != NULL) {
		m.done(m.arg, m.err);
		return;
	}
	if (m.gen != l->gen) {
		free(m.v);
		l->stats.stale++;
		if ((m.err = lister_ask(l)) == 0)
			return;
		m.v = NULL;
		m.n = 0;
	}
	l->busy = false;
	l->cb = NULL;
	if (m.err == 0)
		l->stats.listings++;
	cb(l->arg, m.err, m.v, m.n);
}

struct lister *
lister_new(struct event_base *base, lister_fn *fn, void *ctx)
{
	struct lister *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->base = base;
	l->fn = fn;
	l->ctx = ctx;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, l->fd) < 0) {
		free(l);
		return NULL;
	}
	l->ev = event_new(base, l->fd[0], EV_READ | EV_PERSIST,
	    lister_on_reply, l);
	/* The scan that asked goes before other work (0: the first). */
	if (l->ev == NULL || event_priority_set(l->ev, 0) < 0 ||
	    event_add(l->ev, NULL) < 0) {
		lister_free(l);
		return NULL;
	}
	return l;
}

/* The worker ends at the request socket's end; a reply in flight is freed. */
void
lister_free(struct lister *l)
{
	struct lister_msg m;

	if (l == NULL)
		return;
	shutdown(l->fd[0], SHUT_WR);
	if (l->started)
		pthread_join(l->thread, NULL);
	while (recv(l->fd[0], &m, sizeof(m), MSG_DONTWAIT) ==
	    (ssize_t)sizeof(m)) {
		if (m.call != NULL)
			m.done(m.arg, m.err);
		free(m.v);
	}
	if (l->ev != NULL)
		event_free(l->ev);
	close(l->fd[0]);
	close(l->fd[1]);
	free(l);
}

int
lister_start(struct lister *l, uint32_t first, hv_list_cb *cb, void *arg)
{
	int rc;

	if (l->busy)
		return -EBUSY;
	l->first = first;
	if ((rc = lister_ask(l)) < 0)
		return rc;
	l->busy = true;
	l->cb = cb;
	l->arg = arg;
	return 0;
}

int
lister_call(struct lister *l, lister_call_fn *call, lister_done_cb *done,
    void *arg)
{
	struct lister_msg m = { .call = call, .done = done, .arg = arg };

	return lister_send(l, &m);
}

void
lister_changed(struct lister *l)
{
	if (l != NULL)
		l->gen++;
}

const struct lister_stats *
lister_stats(const struct lister *l)
{
	return &l->stats;
}
