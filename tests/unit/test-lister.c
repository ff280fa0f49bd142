/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Unit tests of the worker off the event loop (stubdmd/lister.c): a slow
 * listing leaves the loop serving, a failed one is reported, one that
 * straddles a change of the daemon's is taken again, one at a time; calls
 * (domain controls) run in the order given, any number of them queued,
 * and every one is made and reported once, at the end too.  A child
 * forked by a call (a builder, hv-xen-builder.c) is the loop's to reap,
 * and its PR_SET_PDEATHSIG comes with the worker's end.
 */
#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stubdmd/clock.h"
#include "stubdmd/lister.h"
#include "tests/unit/unit.h"

/* The worker's side: what the fake backend lists, and how slowly. */
struct fake {
	atomic_int	 delay_ms;
	atomic_int	 err;
	atomic_int	 calls;
	atomic_uint	 domains;	/* listed: 1..domains from first */
};

struct result {
	int		 calls;
	int		 err;
	size_t		 n;
	uint32_t	 first_domid;
	uint64_t	 at_us;
};

static int
fake_list(void *ctx, uint32_t first, struct hv_dominfo **out, size_t *n)
{
	struct fake *f = ctx;
	unsigned i, count = atomic_load(&f->domains);
	struct hv_dominfo *v;

	/* After the count is read: a test waits for this to change it. */
	atomic_fetch_add(&f->calls, 1);
	usleep((useconds_t)atomic_load(&f->delay_ms) * 1000);
	if (atomic_load(&f->err) != 0)
		return atomic_load(&f->err);
	if ((v = calloc(count ? count : 1, sizeof(*v))) == NULL)
		return -ENOMEM;
	for (i = 0; i < count; i++)
		v[i].domid = first + i;
	*out = v;
	*n = count;
	return 0;
}

static void
on_listed(void *arg, int err, struct hv_dominfo *v, size_t n)
{
	struct result *r = arg;

	r->calls++;
	r->err = err;
	r->n = n;
	r->first_domid = n > 0 ? v[0].domid : 0;
	r->at_us = clock_now_us();
	free(v);
}

/* The loop's other work while the worker lists: a 10 ms timer. */
struct ticker {
	struct event	*ev;
	int		 ticks;
	uint64_t	 last_us;
};

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ticker *t = arg;

	t->ticks++;
	t->last_us = clock_now_us();
}

/* Runs the loop until the listing is in (or 5 s pass). */
static void
wait_listed(struct event_base *base, const struct result *r, int calls)
{
	uint64_t end = clock_now_us() + 5000000;

	while (r->calls < calls && clock_now_us() < end)
		event_base_loop(base, EVLOOP_ONCE);
}

static void
test_slow(struct event_base *base, struct lister *l, struct fake *f)
{
	struct ticker t = { 0 };
	struct timeval tv = { 0, 10000 };
	struct result r = { 0 };
	uint64_t t0;

	t.ev = event_new(base, -1, EV_PERSIST, on_tick, &t);
	event_add(t.ev, &tv);
	atomic_store(&f->delay_ms, 300);
	t0 = clock_now_us();
	CHECK(lister_start(l, 5, on_listed, &r) == 0, "a slow listing starts");
	CHECK(r.calls == 0, "nothing is reported before the loop runs");
	CHECK(lister_start(l, 0, on_listed, &r) == -EBUSY,
	    "one listing at a time");
	wait_listed(base, &r, 1);
	CHECK(r.calls == 1 && r.err == 0 && r.n == 3 && r.first_domid == 5,
	    "the listing arrives, from the domid asked");
	CHECK(r.at_us - t0 >= 300000, "it took the worker's 300 ms");
	/* A listing on the loop would have let no tick through. */
	printf("# %d ticks of 10 ms while the worker listed for %llu ms\n",
	    t.ticks, (unsigned long long)(r.at_us - t0) / 1000);
	CHECK(t.ticks >= 5, "the loop ran its timer meanwhile");
	CHECK(lister_stats(l)->listings == 1, "one listing counted");
	event_free(t.ev);
	atomic_store(&f->delay_ms, 0);
}

static void
test_failure(struct event_base *base, struct lister *l, struct fake *f)
{
	struct result r = { 0 };

	atomic_store(&f->err, -EACCES);
	CHECK(lister_start(l, 0, on_listed, &r) == 0, "a failing listing starts");
	wait_listed(base, &r, 1);
	CHECK(r.calls == 1 && r.err == -EACCES && r.n == 0,
	    "its error is reported, with no domains");
	atomic_store(&f->err, 0);
	r.calls = 0;
	CHECK(lister_start(l, 0, on_listed, &r) == 0 &&
	    (wait_listed(base, &r, 1), r.err == 0 && r.n == 3),
	    "the next listing works again");
}

/* A change while the worker lists: that listing is taken again. */
static void
test_stale(struct event_base *base, struct lister *l, struct fake *f)
{
	struct result r = { 0 };
	uint64_t stale = lister_stats(l)->stale;
	int calls = atomic_load(&f->calls);

	atomic_store(&f->delay_ms, 100);
	lister_start(l, 1, on_listed, &r);
	while (atomic_load(&f->calls) == calls)
		usleep(1000);
	/* The worker has counted 3: the daemon builds a 4th meanwhile. */
	atomic_store(&f->domains, 4);
	lister_changed(l);
	wait_listed(base, &r, 1);
	CHECK(r.calls == 1 && r.n == 4,
	    "a listing begun before a change is not delivered");
	CHECK(atomic_load(&f->calls) - calls == 2 &&
	    lister_stats(l)->stale == stale + 1,
	    "it was taken once more, after the change");
	atomic_store(&f->delay_ms, 0);
}

/* Other calls: on the worker, in the order given, between listings. */
struct call {
	struct fake	*f;
	int		 ran_after;	/* the listings made before it ran */
	int		 done;
	int		 err;
};

static int
fake_call(void *ctx, void *arg)
{
	struct call *c = arg;

	c->ran_after = atomic_load(&((struct fake *)ctx)->calls);
	return -EPERM;
}

static void
call_done(void *arg, int err)
{
	struct call *c = arg;

	c->done++;
	c->err = err;
}

static void
test_calls(struct event_base *base, struct lister *l, struct fake *f)
{
	struct call c1 = { 0 }, c2 = { 0 };
	struct result r = { 0 };
	int calls = atomic_load(&f->calls);
	uint64_t end = clock_now_us() + 5000000;

	atomic_store(&f->delay_ms, 100);
	CHECK(lister_start(l, 0, on_listed, &r) == 0 &&
	    lister_call(l, fake_call, call_done, &c1) == 0,
	    "a call given behind a listing");
	while ((r.calls < 1 || c1.done < 1) && clock_now_us() < end)
		event_base_loop(base, EVLOOP_ONCE);
	CHECK(c1.done == 1 && c1.err == -EPERM,
	    "its result comes back on the loop, once");
	CHECK(c1.ran_after == calls + 1, "it ran after the listing before it");
	atomic_store(&f->delay_ms, 0);
	CHECK(lister_call(l, fake_call, call_done, &c2) == 0,
	    "a call given just before the end");
	lister_free(l);
	CHECK(c2.done == 1 && c2.err == -ECANCELED,
	    "... is made and reported at lister_free, as cancelled");
}

/* A call that records its place in the worker's order, slowly if asked. */
struct seq {
	atomic_int	*next;		/* the worker's counter */
	int		 ran_at;	/* its place, -1: never ran */
	int		 done;
	int		 err;
	int		 sleep_ms;
};

static int
seq_call(void *ctx, void *arg)
{
	struct seq *q = arg;

	if (q->sleep_ms > 0)
		usleep((useconds_t)q->sleep_ms * 1000);
	q->ran_at = atomic_fetch_add(q->next, 1);
	return q->ran_at % 3 == 0 ? 0 : -EIO;
}

static void
seq_done(void *arg, int err)
{
	struct seq *q = arg;

	q->done++;
	q->err = err;
}

#define SEQ_BURST	20000

/*
 * A burst far beyond what a socket's buffer holds (the queue's old
 * transport would have blocked the loop there), given while the worker is
 * held up by a slow first call: none blocks, all run in order, each
 * result comes back once with its own error.
 */
static void
test_burst(struct event_base *base, struct fake *f)
{
	struct lister *l = lister_new(base, fake_list, f);
	struct seq *q = calloc(SEQ_BURST, sizeof(*q));
	atomic_int next = 0;
	int i, given = 0, inorder = 0, once = 0, errs = 0;
	uint64_t end = clock_now_us() + 20000000;

	if (l == NULL || q == NULL) {
		CHECK(0, "a lister and the burst's room");
		free(q);
		lister_free(l);
		return;
	}
	for (i = 0; i < SEQ_BURST; i++) {
		q[i].next = &next;
		q[i].ran_at = -1;
		q[i].sleep_ms = i == 0 ? 200 : 0;
		given += lister_call(l, seq_call, seq_done, &q[i]) == 0;
	}
	CHECK(given == SEQ_BURST, "every call of the burst is queued");
	CHECK(q[0].done == 0, "nothing is reported before the loop runs");
	while (atomic_load(&next) < SEQ_BURST && clock_now_us() < end)
		event_base_loop(base, EVLOOP_ONCE);
	while (q[SEQ_BURST - 1].done == 0 && clock_now_us() < end)
		event_base_loop(base, EVLOOP_ONCE);
	for (i = 0; i < SEQ_BURST; i++) {
		inorder += q[i].ran_at == i;
		once += q[i].done == 1;
		errs += q[i].err == (i % 3 == 0 ? 0 : -EIO);
	}
	CHECK(inorder == SEQ_BURST, "the calls ran in the order given");
	CHECK(once == SEQ_BURST, "each was reported once");
	CHECK(errs == SEQ_BURST, "each with its own result");
	lister_free(l);
	free(q);
}

/*
 * The end with calls still queued behind a slow one: every one is made
 * (a destroy or a pause is not lost), each reported once with -ECANCELED,
 * and nothing after lister_free.
 */
static void
test_free_queued(struct event_base *base, struct fake *f)
{
	struct lister *l = lister_new(base, fake_list, f);
	struct seq q[5];
	atomic_int next = 0;
	int i, made = 0, cancelled = 0;

	memset(q, 0, sizeof(q));
	for (i = 0; i < 5; i++) {
		q[i].next = &next;
		q[i].ran_at = -1;
		q[i].sleep_ms = i == 0 ? 100 : 0;
		CHECK(l != NULL && lister_call(l, seq_call, seq_done, &q[i]) ==
		    0, "a call queued before the end");
	}
	lister_free(l);
	for (i = 0; i < 5; i++) {
		made += q[i].ran_at == i;
		cancelled += q[i].done == 1 && q[i].err == -ECANCELED;
	}
	CHECK(made == 5, "every queued call was made, in order, at the end");
	CHECK(cancelled == 5, "each reported once, as cancelled");
	event_base_loop(base, EVLOOP_NONBLOCK);
	for (i = 0; i < 5; i++)
		cancelled -= q[i].done == 1;
	CHECK(cancelled == 0, "nothing reported after the end");
}

/* Freed with a listing under way: the worker ends, nothing leaks. */
static void
test_free_busy(struct event_base *base, struct fake *f)
{
	struct lister *l = lister_new(base, fake_list, f);
	struct result r = { 0 };

	atomic_store(&f->delay_ms, 100);
	CHECK(l != NULL && lister_start(l, 0, on_listed, &r) == 0,
	    "a second lister starts a listing");
	lister_free(l);
	CHECK(r.calls == 0, "freed under way: no callback after the end");
	atomic_store(&f->delay_ms, 0);
}

/* A call that forks a child as a builder is forked: it waits for death. */
struct child {
	pid_t	 parent;
	pid_t	 pid;
	int	 ready[2];	/* the child writes a byte once set up */
	int	 done;
	int	 err;
};

static int
child_call(void *ctx, void *arg)
{
	struct child *c = arg;

	if ((c->pid = fork()) == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
		    getppid() != c->parent)
			_exit(1);
		(void)!write(c->ready[1], "", 1);
		for (;;)
			pause();
	}
	return c->pid < 0 ? -errno : 0;
}

static void
child_done(void *arg, int err)
{
	struct child *c = arg;

	c->done++;
	c->err = err;
}

/*
 * The forker's promise: the loop's thread reaps what the worker forked,
 * and a child that asked to die with its parent dies when the worker's
 * thread ends (Linux's parent-death signal follows the thread that
 * forked), not before: so the forker must outlive the builders.
 */
static void
test_fork(struct event_base *base, struct fake *f)
{
	struct lister *l = lister_new(base, NULL, NULL);
	struct child c = { .parent = getpid() };
	int status = 0, i;
	pid_t r = 0;
	char b;

	CHECK(l != NULL && pipe(c.ready) == 0 &&
	    lister_call(l, child_call, child_done, &c) == 0,
	    "a call that forks is queued");
	for (i = 0; i < 200 && c.done == 0; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(10000);
	}
	CHECK(c.done == 1 && c.err == 0 && c.pid > 0, "the fork is reported");
	CHECK(c.pid > 0 && read(c.ready[0], &b, 1) == 1,
	    "the child asked to die with its parent and is its child");
	usleep(50000);
	CHECK(c.pid > 0 && waitpid(c.pid, &status, WNOHANG) == 0,
	    "the loop's thread can wait for it: alive while the worker runs");
	lister_free(l);
	for (i = 0, r = 0; c.pid > 0 && i < 500 && r == 0; i++) {
		if ((r = waitpid(c.pid, &status, WNOHANG)) == 0)
			usleep(10000);
	}
	if (c.pid > 0 && r == 0) {	/* it outlived the worker: end it */
		kill(c.pid, SIGKILL);
		waitpid(c.pid, NULL, 0);
	}
	CHECK(r == c.pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "the worker's end kills it (SIGKILL), and the loop reaps it");
	close(c.ready[0]);
	close(c.ready[1]);
}

int
main(void)
{
	struct event_base *base = event_base_new();
	struct fake f = { .domains = 3 };
	struct lister *l;

	if (base == NULL || (l = lister_new(base, fake_list, &f)) == NULL) {
		printf("Bail out! no event base or lister\n");
		return 1;
	}
	test_slow(base, l, &f);
	test_failure(base, l, &f);
	test_stale(base, l, &f);
	test_calls(base, l, &f);
	test_free_busy(base, &f);
	test_burst(base, &f);
	test_free_queued(base, &f);
	test_fork(base, &f);
	lister_free(NULL);
	event_base_free(base);
	return unit_done();
}
