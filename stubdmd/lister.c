/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The backend's slow calls off the event loop: one worker thread per
 * backend, with a queue.  On a loaded or emulated host one
 * xc_domain_getinfolist takes tens to hundreds of milliseconds
 * (check-xen: 38 to 165 ms, a third of it on the CPU), and one
 * xc_domain_unpause up to 435 ms (Xen wakes the vCPUs); on the loop all
 * of it was a stall.  The worker makes them instead: the loop puts a
 * request on the queue, the worker's result comes back on a second queue
 * and an eventfd wakes the loop for it.  The two queues are all they
 * share, each under the one mutex, held for a list operation only.  Both
 * queues are unbounded lists: a burst of requests (a reconcile that
 * destroys a thousand orphans) never blocks the loop, whatever the
 * worker does meanwhile.
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
 * The backend's other calls (lister_call: a domain control, a rename)
 * run in the order they were given, between listings: a pause given
 * after an unpause is made after it.
 *
 * The worker calls the backend's functions and malloc only, with its own
 * handles, and blocks every signal.  The daemon forks builder processes
 * that run on without exec (from the loop, or a call on a worker of its
 * own): a child never touches the queues, so the mutex a fork may copy
 * held is never taken in it, and glibc's malloc is safe across fork.
 */
#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <unistd.h>

#include "stubdmd/lister.h"

/* A request (first, gen; or call and arg) and its result (err, v, n). */
struct lister_req {
	uint64_t		 gen;
	uint32_t		 first;
	lister_call_fn		*call;		/* NULL: a listing */
	lister_done_cb		*done;
	void			*arg;
	int			 err;
	struct hv_dominfo	*v;
	size_t			 n;
	TAILQ_ENTRY(lister_req)	 link;
};

TAILQ_HEAD(lister_reqs, lister_req);

struct lister {
	struct event_base	*base;
	lister_fn		*fn;
	void			*ctx;
	int			 efd;		/* results waiting */
	struct event		*ev;
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct lister_reqs	 todo;		/* the worker's, under mu */
	struct lister_reqs	 done;		/* the loop's, under mu */
	bool			 ending;	/* under mu */
	bool			 started;
	bool			 busy;
	uint32_t		 first;
	uint64_t		 gen;		/* the daemon's changes */
	hv_list_cb		*cb;
	void			*arg;
	struct lister_stats	 stats;
};

static void
lister_run(struct lister *l, struct lister_req *r)
{
	r->v = NULL;
	r->n = 0;
	if (r->call != NULL)
		r->err = r->call(l->ctx, r->arg);
	else
		r->err = l->fn(l->ctx, r->first, &r->v, &r->n);
}

/* The next request, NULL once the queue is empty and the lister ends. */
static struct lister_req *
lister_next(struct lister *l)
{
	struct lister_req *r;

	pthread_mutex_lock(&l->mu);
	while ((r = TAILQ_FIRST(&l->todo)) == NULL && !l->ending)
		pthread_cond_wait(&l->cv, &l->mu);
	if (r != NULL)
		TAILQ_REMOVE(&l->todo, r, link);
	pthread_mutex_unlock(&l->mu);
	return r;
}

/*
 * The loop wakes the worker with every request.  Linux never preempts
 * the waker on the wake-up of a SCHED_BATCH thread (an ordinary one may
 * take the loop's CPU at once: a "list request" held the loop 13 ms with
 * 0.3 ms of it on its CPU in check-xen); its share of the CPU stays the
 * same.  Where the policy cannot be set, the worker runs as it is.
 */
static void *
lister_main(void *arg)
{
	struct lister *l = arg;
	struct lister_req *r;
	struct sched_param p = { 0 };
	uint64_t one = 1;

	pthread_setschedparam(pthread_self(), SCHED_BATCH, &p);
	while ((r = lister_next(l)) != NULL) {
		lister_run(l, r);
		pthread_mutex_lock(&l->mu);
		TAILQ_INSERT_TAIL(&l->done, r, link);
		pthread_mutex_unlock(&l->mu);
		/* A counter: it adds up, never blocks (2^64 - 2 writes). */
		(void)!write(l->efd, &one, sizeof(one));
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

/* One request for the worker (started if need be); r is its from now. */
static int
lister_send(struct lister *l, struct lister_req *r)
{
	int rc;

	if ((rc = lister_begin(l)) < 0) {
		free(r);
		return rc;
	}
	pthread_mutex_lock(&l->mu);
	TAILQ_INSERT_TAIL(&l->todo, r, link);
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	return 0;
}

static int
lister_ask(struct lister *l)
{
	struct lister_req *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return -ENOMEM;
	r->gen = l->gen;
	r->first = l->first;
	return lister_send(l, r);
}

/* A listing back on the loop: delivered, or taken again if stale. */
static void
lister_listed(struct lister *l, struct lister_req *r)
{
	hv_list_cb *cb = l->cb;
	int err = r->err;

	if (r->gen != l->gen) {
		free(r->v);
		r->v = NULL;
		r->n = 0;
		l->stats.stale++;
		if ((err = lister_ask(l)) == 0)
			return;
	}
	l->busy = false;
	l->cb = NULL;
	if (err == 0)
		l->stats.listings++;
	cb(l->arg, err, r->v, r->n);
}

/* Every result waiting, in the order the worker made them. */
static void
lister_on_done(evutil_socket_t fd, short what, void *arg)
{
	struct lister *l = arg;
	struct lister_reqs done = TAILQ_HEAD_INITIALIZER(done);
	struct lister_req *r;
	uint64_t count;

	(void)!read(fd, &count, sizeof(count));
	pthread_mutex_lock(&l->mu);
	TAILQ_CONCAT(&done, &l->done, link);
	pthread_mutex_unlock(&l->mu);
	while ((r = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, r, link);
		if (r->call != NULL)
			r->done(r->arg, r->err);
		else
			lister_listed(l, r);
		free(r);
	}
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
	TAILQ_INIT(&l->todo);
	TAILQ_INIT(&l->done);
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	if ((l->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		lister_free(l);
		return NULL;
	}
	l->ev = event_new(base, l->efd, EV_READ | EV_PERSIST, lister_on_done,
	    l);
	/* The scan that asked goes before other work (0: the first). */
	if (l->ev == NULL || event_priority_set(l->ev, 0) < 0 ||
	    event_add(l->ev, NULL) < 0) {
		lister_free(l);
		return NULL;
	}
	return l;
}

/*
 * The worker makes every request given before it ends; then each call's
 * done has -ECANCELED (the caller's state may be gone), and a listing's
 * result is freed unreported.
 */
void
lister_free(struct lister *l)
{
	struct lister_req *r;

	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	l->ending = true;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	if (l->started)
		pthread_join(l->thread, NULL);
	TAILQ_CONCAT(&l->done, &l->todo, link);	/* never started: none */
	while ((r = TAILQ_FIRST(&l->done)) != NULL) {
		TAILQ_REMOVE(&l->done, r, link);
		if (r->call != NULL)
			r->done(r->arg, -ECANCELED);
		free(r->v);
		free(r);
	}
	if (l->ev != NULL)
		event_free(l->ev);
	if (l->efd >= 0)
		close(l->efd);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

int
lister_start(struct lister *l, uint32_t first, hv_list_cb *cb, void *arg)
{
	int rc;

	if (l->fn == NULL)
		return -ENOTSUP;
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
	struct lister_req *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return -ENOMEM;
	r->call = call;
	r->done = done;
	r->arg = arg;
	return lister_send(l, r);
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
