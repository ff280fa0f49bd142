/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bench: stubdmd at 100, 1,000 and 5,000 HVM guests on the simulated host,
 * beside the per-process model of Xen's xl (bench/xlwaiter).  Prints
 * figures, and each figure a baseline file keeps beside it (bench/baseline);
 * it asserts nothing but that each run completed (RESULTS.md).
 *
 *	bench [--quick] [--n N[,N...]] [--arrival burst|stream|both]
 *	      [--boot-delay MS] [--rate PER_S] [--model-max N] [--build DIR]
 *	      [--baseline FILE] [--save-baseline FILE] [--keep]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stubdmd/proto.h"

#define BENCH_NS_MAX		8
#define BENCH_LIST_RUNS		7	/* stubdmctl list: the median of */
#define BENCH_PASSES		3	/* reconcile passes: the median of */
#define BENCH_REPLY_MAX		(64u << 20)
#define BENCH_TOLERANCE		1.5	/* above linear by more: a bug */
#define BENCH_BASE_MAX		64	/* lines of a baseline file */
#define BENCH_LINE_MAX		256

struct bench_opts {
	unsigned	 ns[BENCH_NS_MAX];
	size_t		 nn;
	unsigned	 boot_ms;
	unsigned	 rate;		/* stream: guests per second */
	unsigned	 model_max;	/* waiters started at most; 0: none */
	unsigned	 arrivals;	/* bit 0: burst, bit 1: stream */
	const char	*build;
	const char	*baseline;	/* NULL: no comparison */
	const char	*save_baseline;	/* NULL: not written */
	int		 quick;
	int		 keep;
};

/* One N, one way of arriving: what was measured. */
struct bench_run {
	unsigned	 n;
	int		 stream;
	char		 dir[PATH_MAX];
	pid_t		 sim, daemon;
	int		 skipped;	/* --arrival left it out */
	int		 ok;
	/* the figures */
	double		 det_med, det_p99;	/* ms */
	double		 rdy_med, rdy_p99;	/* ms, boot delay taken off */
	double		 ev_wall;		/* events / s of the phase */
	double		 ev_cpu;		/* events / daemon CPU second */
	double		 cpu_ms_guest;
	double		 rss_kib_guest;
	double		 rss_mib;		/* the daemon's, with N guests */
	double		 list_ms;
	double		 reconcile_ms;
	/* where the time went */
	double		 phase_s, daemon_cpu_s, sim_cpu_s, stall_ms;
	long long	 events, scans;
	/* the per-process model, beside it */
	unsigned	 model_n;		/* waiters measured */
	double		 model_rss_mib, model_pss_mib;	/* for model_n */
};

struct bench_stats {
	long long	events, ready, reconciles, reconcile_us_last;
	long long	scans, event_us_max, failures;
};

/* hvsim's `times` for guest i ("g<i>") and its first stub ("g<i>-dm"). */
struct bench_times {
	uint32_t	domid;
	int64_t		created, unpaused, stub_created;	/* us; -1 */
};

static volatile sig_atomic_t bench_interrupted;

static void
bench_vsay(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s", prefix);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
}

static void __attribute__((format(printf, 1, 2), noreturn))
bench_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bench_vsay("bench: ", fmt, ap);
	va_end(ap);
	exit(1);
}

static void __attribute__((format(printf, 1, 2)))
bench_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bench_vsay("# ", fmt, ap);
	va_end(ap);
}

static int64_t
bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
bench_sleep_us(int64_t us)
{
	struct timespec ts = { (time_t)(us / 1000000),
	    (long)(us % 1000000) * 1000 };

	if (us > 0)
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR &&
		    !bench_interrupted)
			;
}

/* --- /proc -------------------------------------------------------------- */

/* The CPU time pid has used, in seconds: the scheduler's nanoseconds
 * (/proc/PID/schedstat) where the kernel keeps them, else utime + stime
 * in clock ticks (/proc/PID/stat), too coarse for small runs. */
static double
bench_cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st, ns;
	FILE *f;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	if ((f = fopen(path, "r")) != NULL) {
		len = fscanf(f, "%llu", &ns) == 1;
		fclose(f);
		if (len)
			return (double)ns / 1e9;
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	/* After "pid (comm) ": state is field 3, utime 14, stime 15. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu "
	    "%llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* A "Key:   N kB" line of a /proc file, in KiB; -1 if absent. */
static long
bench_proc_kib(pid_t pid, const char *file, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, klen) == 0) {
			v = strtol(line + klen, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* --- processes ---------------------------------------------------------- */

/* Run argv with stdout and stderr to log (NULL: /dev/null) and, if
 * keep_fd >= 0, that descriptor as fd 3. */
static pid_t
bench_spawn(char *const argv[], const char *log, const char *xs_path,
    int keep_fd)
{
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return pid;
	fd = open(log != NULL ? log : "/dev/null",
	    O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
		_exit(127);
	if ((fd = open("/dev/null", O_RDONLY)) == -1 || dup2(fd, 0) == -1)
		_exit(127);
	if (keep_fd >= 0 && (keep_fd == 3 ? fcntl(3, F_SETFD, 0) :
	    dup2(keep_fd, 3)) == -1)
		_exit(127);
	if (xs_path != NULL)
		setenv("XENSTORED_PATH", xs_path, 1);
	signal(SIGINT, SIG_IGN);	/* the bench stops its children */
	execv(argv[0], argv);
	_exit(127);
}

/* SIGTERM, then SIGKILL after 10 s; the exit status. */
static int
bench_stop(pid_t pid)
{
	int st = 0, i;

	if (pid <= 0)
		return 0;
	kill(pid, SIGTERM);
	for (i = 0; i < 1000; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		bench_sleep_us(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return st;
}

/* Wall time of one command, in ms; -1 if it failed. */
static double
bench_time_cmd(char *const argv[])
{
	int64_t t0 = bench_now_us();
	pid_t pid = bench_spawn(argv, NULL, NULL, -1);
	int st;

	if (pid == -1 || waitpid(pid, &st, 0) != pid ||
	    !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	return (double)(bench_now_us() - t0) / 1000.0;
}

static int
bench_file_has(const char *path, const char *needle)
{
	char line[4096];
	int found = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/* Poll until path exists (needle NULL) or holds needle; 0 or -1. */
static int
bench_wait_file(const char *path, const char *needle, int seconds)
{
	int64_t end = bench_now_us() + (int64_t)seconds * 1000000;

	while (bench_now_us() < end && !bench_interrupted) {
		if (needle == NULL ? access(path, F_OK) == 0 :
		    bench_file_has(path, needle))
			return 0;
		bench_sleep_us(20000);
	}
	return -1;
}

/* --- sockets ------------------------------------------------------------- */

static int
bench_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
bench_write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One call on stubdmd's control socket: its reply's parameters. */
static json_t *
bench_call(const char *sock, const char *method)
{
	char req[128], *buf = NULL;
	size_t len = 0, cap = 0;
	json_t *r = NULL, *p;
	ssize_t got = 1;
	int fd;

	if ((fd = bench_connect(sock)) == -1)
		return NULL;
	snprintf(req, sizeof(req), "{\"method\": \"%s\"}", method);
	if (bench_write_all(fd, req, strlen(req) + 1) < 0)
		goto out;
	while (got > 0 && (len == 0 || memchr(buf, '\0', len) == NULL)) {
		if (len + 65536 > cap && (cap = len + 65536) > BENCH_REPLY_MAX)
			goto out;
		if ((buf = realloc(buf, cap)) == NULL)
			goto out;
		if ((got = read(fd, buf + len, cap - len)) > 0)
			len += (size_t)got;
	}
	if (len > 0 && memchr(buf, '\0', len) != NULL &&
	    (r = json_loads(buf, 0, NULL)) != NULL &&
	    (p = json_object_get(r, "parameters")) != NULL) {
		json_incref(p);
		json_decref(r);
		r = p;
	} else if (r != NULL) {
		json_decref(r);
		r = NULL;
	}
out:
	free(buf);
	close(fd);
	return r;
}

static long long
bench_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

static int
bench_stats(const char *sock, struct bench_stats *st)
{
	json_t *r = bench_call(sock, PROTO_STATS);

	if (r == NULL)
		return -1;
	st->events = bench_int(r, "events");
	st->ready = bench_int(r, "ready");
	st->reconciles = bench_int(r, "reconciles");
	st->reconcile_us_last = bench_int(r, "reconcile_us_last");
	st->scans = bench_int(r, "scans");
	st->event_us_max = bench_int(r, "event_us_max");
	st->failures = bench_int(r, "failures");
	json_decref(r);
	return st->events < 0 || st->ready < 0 || st->reconcile_us_last < 0 ?
	    -1 : 0;
}

/* --- hvsim's control socket -------------------------------------------- */

/* "OK ..." for each of n requests already sent; 0 or -1. */
static int
bench_sim_replies(FILE *in, unsigned n)
{
	char line[256];

	while (n-- > 0)
		if (fgets(line, sizeof(line), in) == NULL ||
		    strncmp(line, "OK", 2) != 0) {
			bench_note("hvsim: %s", line);
			return -1;
		}
	return 0;
}

/* The guests arrive: all at once (pipelined), or rate per second. */
static int
bench_arrive(int fd, FILE *in, unsigned n, unsigned rate, int64_t *t0)
{
	char *all = NULL, line[64];
	size_t len = 0;
	FILE *m;
	unsigned i;
	int rc;

	*t0 = bench_now_us();
	if (rate > 0) {
		for (i = 0; i < n && !bench_interrupted; i++) {
			bench_sleep_us(*t0 + (int64_t)i * 1000000 / rate -
			    bench_now_us());
			snprintf(line, sizeof(line), "create-hvm g%u\n", i);
			if (bench_write_all(fd, line, strlen(line)) < 0 ||
			    bench_sim_replies(in, 1) < 0)
				return -1;
		}
		return i == n ? 0 : -1;
	}
	if ((m = open_memstream(&all, &len)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		fprintf(m, "create-hvm g%u\n", i);
	fclose(m);
	rc = bench_write_all(fd, all, len) < 0 ? -1 :
	    bench_sim_replies(in, n);
	free(all);
	return rc;
}

static int64_t
bench_us_field(const char *s)
{
	return strcmp(s, "-") == 0 ? -1 : strtoll(s, NULL, 10);
}

/* One `times` line: guest g<i> or its stub g<i>-dm. */
static void
bench_times_line(const char *line, struct bench_times *t, unsigned n)
{
	char name[128], c[32], u[32], r[32], *end;
	unsigned long i;
	unsigned domid;

	if (sscanf(line, "%u %127s %31s %31s %31s", &domid, name, c, u,
	    r) != 5 || name[0] != 'g')
		return;
	i = strtoul(name + 1, &end, 10);
	if (end == name + 1 || i >= n)
		return;
	if (*end == '\0') {
		t[i].domid = domid;
		t[i].created = bench_us_field(c);
		t[i].unpaused = bench_us_field(u);
	} else if (strcmp(end, "-dm") == 0 && (t[i].stub_created < 0 ||
	    bench_us_field(c) < t[i].stub_created))
		t[i].stub_created = bench_us_field(c);
}

static int
bench_times(int fd, FILE *in, struct bench_times *t, unsigned n)
{
	char line[512];
	unsigned long count, i;

	for (i = 0; i < n; i++)
		t[i] = (struct bench_times){ 0, -1, -1, -1 };
	if (bench_write_all(fd, "times\n", 6) < 0 ||
	    fgets(line, sizeof(line), in) == NULL ||
	    sscanf(line, "OK %lu", &count) != 1)
		return -1;
	for (i = 0; i < count; i++) {
		if (fgets(line, sizeof(line), in) == NULL)
			return -1;
		bench_times_line(line, t, n);
	}
	return 0;
}

/* --- statistics --------------------------------------------------------- */

static int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of v (sorted here). */
static double
bench_pct(double *v, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return NAN;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	k = (size_t)ceil(p / 100.0 * (double)n);
	return v[k > 0 ? k - 1 : 0];
}

/* Detection and time to ready from hvsim's timestamps; -1 if a guest
 * never got its stub or never ran. */
static int
bench_latencies(struct bench_run *r, const struct bench_times *t,
    unsigned boot_ms)
{
	double *det = calloc(r->n, sizeof(*det));
	double *rdy = calloc(r->n, sizeof(*rdy));
	unsigned i;
	int rc = -1;

	if (det == NULL || rdy == NULL)
		goto out;
	for (i = 0; i < r->n; i++) {
		if (t[i].created < 0 || t[i].unpaused < 0 ||
		    t[i].stub_created < 0)
			goto out;
		det[i] = (double)(t[i].stub_created - t[i].created) / 1000.0;
		rdy[i] = (double)(t[i].unpaused - t[i].created) / 1000.0 -
		    boot_ms;
	}
	r->det_med = bench_pct(det, r->n, 50);
	r->det_p99 = bench_pct(det, r->n, 99);
	r->rdy_med = bench_pct(rdy, r->n, 50);
	r->rdy_p99 = bench_pct(rdy, r->n, 99);
	rc = 0;
out:
	free(det);
	free(rdy);
	return rc;
}

/* --- one run ------------------------------------------------------------ */

static void
bench_path(char *out, const struct bench_run *r, const char *name)
{
	if (snprintf(out, PATH_MAX, "%s/%s", r->dir, name) >= PATH_MAX)
		bench_fatal("path too long: %s/%s", r->dir, name);
}

static int
bench_write_policy(const struct bench_run *r)
{
	char pol[PATH_MAX], kernel[PATH_MAX], sock[PATH_MAX];
	FILE *f;
	int fd;

	bench_path(pol, r, "policy.ini");
	bench_path(kernel, r, "kernel");
	bench_path(sock, r, "ctl.sock");
	if ((fd = open(kernel, O_WRONLY | O_CREAT, 0644)) == -1)
		return -1;
	close(fd);
	if ((f = fopen(pol, "w")) == NULL)
		return -1;
	fprintf(f, "[global]\nreconcile_interval = 1s\n"
	    "state_path = /tool/stubdmd\ncontrol_socket = %s\n"
	    "[defaults]\nkernel = %s\nramdisk =\nmemory = 32\n"
	    "start_timeout = 1h\nrestart_window = 1m\nmax_restarts = 3\n",
	    sock, kernel);
	return fclose(f) == 0 ? 0 : -1;
}

/*
 * xenstored fires each watch once when it is set: the daemon's two on
 * @introduceDomain and @releaseDomain are two events at its start, and
 * under load one of them once came after "supervising" and was counted
 * in the run.  A run starts once both are in.
 */
static void
bench_wait_watches(const struct bench_run *r)
{
	struct bench_stats s;
	char sock[PATH_MAX];
	int i;

	bench_path(sock, r, "ctl.sock");
	for (i = 0; i < 200 && !bench_interrupted; i++) {
		if (bench_stats(sock, &s) == 0 && s.events >= 2)
			return;
		bench_sleep_us(50000);
	}
	bench_note("the daemon's first two watch events did not come");
}

static int
bench_start(struct bench_run *r, const struct bench_opts *o)
{
	char sim[PATH_MAX], xs[PATH_MAX], ready[PATH_MAX], log[PATH_MAX],
	    pol[PATH_MAX], sock[PATH_MAX], bin[PATH_MAX], boot[16];

	bench_path(sim, r, "sim");
	bench_path(xs, r, "sim/socket");
	bench_path(ready, r, "sim/ready");
	bench_path(pol, r, "policy.ini");
	bench_path(sock, r, "ctl.sock");
	snprintf(boot, sizeof(boot), "%u", o->boot_ms);
	snprintf(bin, sizeof(bin), "%s/tests/hvsim/hvsim", o->build);
	bench_path(log, r, "hvsim.log");
	if (mkdir(sim, 0755) == -1 || bench_write_policy(r) < 0)
		return -1;
	r->sim = bench_spawn((char *[]){ bin, "--rundir", sim,
	    "--boot-delay", boot, NULL }, log, NULL, -1);
	if (r->sim == -1 || bench_wait_file(ready, NULL, 10) < 0)
		return -1;
	snprintf(bin, sizeof(bin), "%s/stubdmd/stubdmd", o->build);
	bench_path(log, r, "stubdmd.log");
	r->daemon = bench_spawn((char *[]){ bin, "-d", "-f", pol, "-S", sock,
	    "--sim", sim, NULL }, log, xs, -1);
	if (r->daemon == -1 || bench_wait_file(log, "supervising", 20) < 0)
		return -1;
	bench_wait_watches(r);
	return 0;
}

/* Until the daemon has seen n more stubs ready (and so unpaused n
 * guests), polling its Stats.  A failed stub, or 30 s without one more
 * ready, ends the run. */
static int
bench_wait_ready(const struct bench_run *r, const struct bench_stats *s0,
    struct bench_stats *s1)
{
	char sock[PATH_MAX];
	int64_t last = bench_now_us();
	long long seen = 0;

	bench_path(sock, r, "ctl.sock");
	while (bench_now_us() - last < 30000000 && !bench_interrupted) {
		if (bench_stats(sock, s1) == 0) {
			if (s1->ready - s0->ready >= r->n)
				return 0;
			if (s1->failures > s0->failures) {
				bench_note("stubdmd counts %lld failed stubs",
				    s1->failures - s0->failures);
				return -1;
			}
			if (s1->ready > seen) {
				seen = s1->ready;
				last = bench_now_us();
			}
		}
		bench_sleep_us(50000);
	}
	bench_note("%lld of %u stubs ready", seen - s0->ready, r->n);
	return -1;
}

/* The median wall time of `stubdmctl list`. */
static double
bench_list_ms(const struct bench_run *r, const struct bench_opts *o)
{
	char bin[PATH_MAX], sock[PATH_MAX];
	double v[BENCH_LIST_RUNS];
	size_t i;

	snprintf(bin, sizeof(bin), "%s/stubdmctl/stubdmctl", o->build);
	bench_path(sock, r, "ctl.sock");
	for (i = 0; i < BENCH_LIST_RUNS; i++)
		if ((v[i] = bench_time_cmd((char *[]){ bin, "-S", sock,
		    "list", NULL })) < 0)
			return -1;
	return bench_pct(v, BENCH_LIST_RUNS, 50);
}

/* One reconcile pass over the settled host: the median of the next
 * BENCH_PASSES passes (the first one after settling is skipped). */
static double
bench_reconcile_ms(const struct bench_run *r)
{
	struct bench_stats s;
	double v[BENCH_PASSES];
	char sock[PATH_MAX];
	int64_t end = bench_now_us() + (BENCH_PASSES + 5) * 1000000;
	long long next;
	size_t n = 0;

	bench_path(sock, r, "ctl.sock");
	if (bench_stats(sock, &s) < 0)
		return -1;
	next = s.reconciles + 2;
	while (n < BENCH_PASSES && bench_now_us() < end && !bench_interrupted) {
		bench_sleep_us(50000);
		if (bench_stats(sock, &s) < 0 || s.reconciles < next)
			continue;
		v[n++] = (double)s.reconcile_us_last / 1000.0;
		next = s.reconciles + 1;
	}
	return n == BENCH_PASSES ? bench_pct(v, n, 50) : -1;
}

/* --- the per-process model -------------------------------------------- */

static int
bench_model_ready(int rfd, unsigned k)
{
	struct pollfd p = { rfd, POLLIN, 0 };
	unsigned got = 0;
	char buf[512];
	ssize_t n;

	while (got < k && poll(&p, 1, 30000) == 1) {
		if ((n = read(rfd, buf, sizeof(buf))) <= 0)
			break;
		got += (unsigned)n;
	}
	return got == k ? 0 : -1;
}

/* k waiters, one per guest, while the daemon supervises the same guests:
 * their RSS and PSS summed. */
static int
bench_model(struct bench_run *r, const struct bench_opts *o,
    const struct bench_times *t)
{
	char bin[PATH_MAX], xs[PATH_MAX], id[16], fd3[] = "3";
	unsigned k = r->n < o->model_max ? r->n : o->model_max, i, started;
	pid_t *pids = calloc(k, sizeof(*pids));
	long rss = 0, pss = 0;
	int p[2], rc = -1;

	snprintf(bin, sizeof(bin), "%s/bench/xlwaiter", o->build);
	bench_path(xs, r, "sim/socket");
	if (pids == NULL || pipe2(p, O_CLOEXEC) == -1) {
		free(pids);
		return -1;
	}
	for (started = 0; started < k; started++) {
		snprintf(id, sizeof(id), "%u", t[started].domid);
		pids[started] = bench_spawn((char *[]){ bin, id, fd3, NULL },
		    NULL, xs, p[1]);
		if (pids[started] == -1)
			break;
	}
	close(p[1]);
	if (started == k && bench_model_ready(p[0], k) == 0) {
		for (i = 0; i < k; i++) {
			rss += bench_proc_kib(pids[i], "smaps_rollup", "Rss:");
			pss += bench_proc_kib(pids[i], "smaps_rollup", "Pss:");
		}
		r->model_n = k;
		r->model_rss_mib = (double)rss / 1024.0;
		r->model_pss_mib = (double)pss / 1024.0;
		rc = 0;
	}
	close(p[0]);
	for (i = 0; i < started; i++)
		kill(pids[i], SIGTERM);
	for (i = 0; i < started; i++)
		waitpid(pids[i], NULL, 0);
	free(pids);
	return rc;
}

/* --- one run, whole ------------------------------------------------------ */

static void
bench_daemon_figures(struct bench_run *r, const struct bench_stats *s0,
    const struct bench_stats *s1, double cpu0, long rss0, double sim0)
{
	long rss1 = bench_proc_kib(r->daemon, "status", "VmRSS:");
	double cpu1 = bench_cpu_s(r->daemon);
	long long ev = (s1->events - s0->events) + (s1->ready - s0->ready);

	r->daemon_cpu_s = cpu1 - cpu0;
	r->sim_cpu_s = bench_cpu_s(r->sim) - sim0;
	r->events = ev;
	r->scans = s1->scans - s0->scans;
	r->stall_ms = (double)s1->event_us_max / 1000.0;
	r->ev_wall = (double)ev / r->phase_s;
	r->ev_cpu = r->daemon_cpu_s > 0 ? (double)ev / r->daemon_cpu_s : NAN;
	r->cpu_ms_guest = r->daemon_cpu_s * 1000.0 / r->n;
	r->rss_kib_guest = (double)(rss1 - rss0) / r->n;
	r->rss_mib = (double)rss1 / 1024.0;
}

/* hvsim's timestamps, once every guest has been unpaused (the daemon
 * unpauses a guest right after it counts its stub ready). */
static int
bench_settled(struct bench_run *r, const struct bench_opts *o, int fd,
    FILE *in, struct bench_times *t)
{
	int tries;

	for (tries = 0; tries < 50 && !bench_interrupted; tries++) {
		if (bench_times(fd, in, t, r->n) < 0)
			return -1;
		if (bench_latencies(r, t, o->boot_ms) == 0)
			return 0;
		bench_sleep_us(100000);
	}
	return -1;
}

static int
bench_measure(struct bench_run *r, const struct bench_opts *o, int fd,
    FILE *in, struct bench_times *t)
{
	char sock[PATH_MAX];
	struct bench_stats s0, s1;
	double cpu0, sim0;
	int64_t t0;
	long rss0;

	bench_path(sock, r, "ctl.sock");
	if (bench_stats(sock, &s0) < 0)
		return -1;
	cpu0 = bench_cpu_s(r->daemon);
	sim0 = bench_cpu_s(r->sim);
	rss0 = bench_proc_kib(r->daemon, "status", "VmRSS:");
	if (bench_arrive(fd, in, r->n, r->stream ? o->rate : 0, &t0) < 0 ||
	    bench_wait_ready(r, &s0, &s1) < 0)
		return -1;
	r->phase_s = (double)(bench_now_us() - t0) / 1e6;
	bench_daemon_figures(r, &s0, &s1, cpu0, rss0, sim0);
	if (bench_settled(r, o, fd, in, t) < 0)
		return -1;
	if ((r->list_ms = bench_list_ms(r, o)) < 0 ||
	    (r->reconcile_ms = bench_reconcile_ms(r)) < 0)
		return -1;
	return 0;
}

static void
bench_teardown(struct bench_run *r, const struct bench_opts *o)
{
	int st;

	st = bench_stop(r->daemon);
	if (r->ok && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		bench_note("stubdmd exited with status %d", st);
	bench_stop(r->sim);
	r->daemon = r->sim = 0;
	if (r->ok && !o->keep) {
		pid_t pid = bench_spawn((char *[]){ "/bin/rm", "-rf", r->dir,
		    NULL }, NULL, NULL, -1);

		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
}

static void
bench_run(struct bench_run *r, const struct bench_opts *o, const char *top)
{
	struct bench_times *t = calloc(r->n, sizeof(*t));
	char ctl[PATH_MAX];
	FILE *in = NULL;
	int fd = -1;

	snprintf(r->dir, sizeof(r->dir), "%s/n%u-%s", top, r->n,
	    r->stream ? "stream" : "burst");
	bench_note("N=%u, %s: %s", r->n, r->stream ? "stream" : "burst",
	    r->dir);
	bench_path(ctl, r, "sim/ctl");
	if (t != NULL && mkdir(r->dir, 0755) == 0 && bench_start(r, o) == 0 &&
	    (fd = bench_connect(ctl)) != -1 &&
	    (in = fdopen(dup(fd), "r")) != NULL &&
	    bench_measure(r, o, fd, in, t) == 0)
		r->ok = r->stream || o->model_max == 0 ||
		    bench_model(r, o, t) == 0;
	if (!r->ok)
		bench_note("N=%u %s failed; its files stay in %s", r->n,
		    r->stream ? "stream" : "burst", r->dir);
	if (in != NULL)
		fclose(in);
	if (fd != -1)
		close(fd);
	bench_teardown(r, o);
	free(t);
}

/* --- printing ---------------------------------------------------------- */

static void
bench_machine(void)
{
	char line[256], model[256] = "?";
	struct utsname u;
	FILE *f;

	if ((f = fopen("/proc/cpuinfo", "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "model name", 10) == 0) {
				snprintf(model, sizeof(model), "%s",
				    strchr(line, ':') + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		fclose(f);
	}
	uname(&u);
	printf("machine: %ld x %s, %.1f GiB RAM, %s %s\n",
	    sysconf(_SC_NPROCESSORS_ONLN), model,
	    (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE) /
	    (1024.0 * 1024 * 1024), u.sysname, u.release);
}

/* Other load on the machine skews the wall-clock figures (not the CPU
 * and memory ones): say how much there was. */
static void
bench_loadavg(char *out, size_t size)
{
	FILE *f = fopen("/proc/loadavg", "r");

	snprintf(out, size, "?");
	if (f != NULL) {
		if (fgets(out, (int)size, f) != NULL)
			out[strcspn(out, "\n")] = '\0';
		fclose(f);
	}
}

static void
bench_print_table(const struct bench_run *rs, size_t nr)
{
	size_t i;

	printf("\n%-6s %-7s %8s %8s %8s %8s %9s %9s %8s %8s %8s %8s %9s\n",
	    "", "", "detect", "detect", "ready", "ready", "events/s",
	    "events/", "cpu ms", "RSS KiB", "RSS MiB", "list", "reconcile");
	printf("%-6s %-7s %8s %8s %8s %8s %9s %9s %8s %8s %8s %8s %9s\n",
	    "N", "arrival", "med ms", "p99 ms", "med ms", "p99 ms", "(wall)",
	    "cpu s", "/guest", "/guest", "total", "ms", "pass ms");
	for (i = 0; i < nr; i++) {
		const struct bench_run *r = &rs[i];

		if (r->skipped)
			continue;
		if (!r->ok) {
			printf("%-6u %-7s  (run failed)\n", r->n,
			    r->stream ? "stream" : "burst");
			continue;
		}
		printf("%-6u %-7s %8.2f %8.2f %8.2f %8.2f %9.0f %9.0f %8.3f "
		    "%8.2f %8.1f %8.1f %9.2f\n", r->n,
		    r->stream ? "stream" : "burst", r->det_med, r->det_p99,
		    r->rdy_med, r->rdy_p99, r->ev_wall, r->ev_cpu,
		    r->cpu_ms_guest, r->rss_kib_guest, r->rss_mib, r->list_ms,
		    r->reconcile_ms);
	}
}

static void
bench_print_details(const struct bench_run *rs, size_t nr)
{
	size_t i;

	printf("\nwhere the time went (phase: first arrival to last guest "
	    "unpaused)\n");
	printf("%-6s %-7s %9s %10s %10s %8s %8s %12s\n", "N", "arrival",
	    "phase s", "stubdmd s", "hvsim s", "events", "scans",
	    "longest scan");
	for (i = 0; i < nr; i++) {
		const struct bench_run *r = &rs[i];

		if (r->ok)
			printf("%-6u %-7s %9.2f %10.2f %10.2f %8lld %8lld "
			    "%9.1f ms\n", r->n, r->stream ? "stream" : "burst",
			    r->phase_s, r->daemon_cpu_s, r->sim_cpu_s,
			    r->events, r->scans, r->stall_ms);
	}
}

/* How a figure is expected to grow with N. */
enum bench_kind {
	BENCH_TOTAL,	/* at most in proportion to N */
	BENCH_PER_GUEST,/* constant */
	BENCH_RATE,	/* constant or better (higher is better) */
};

static const struct bench_figure {
	const char	*name;
	const char	*key;		/* its name in a baseline file */
	size_t		 off;
	enum bench_kind	 kind;
} bench_figures[] = {
#define F(name, field, kind) \
	{ name, #field, offsetof(struct bench_run, field), kind }
	F("detect med", det_med, BENCH_TOTAL),
	F("detect p99", det_p99, BENCH_TOTAL),
	F("ready med", rdy_med, BENCH_TOTAL),
	F("ready p99", rdy_p99, BENCH_TOTAL),
	F("events/s (wall)", ev_wall, BENCH_RATE),
	F("events/cpu s", ev_cpu, BENCH_RATE),
	F("cpu ms/guest", cpu_ms_guest, BENCH_PER_GUEST),
	F("RSS KiB/guest", rss_kib_guest, BENCH_PER_GUEST),
	F("RSS MiB total", rss_mib, BENCH_TOTAL),
	F("list ms", list_ms, BENCH_TOTAL),
	F("reconcile ms", reconcile_ms, BENCH_TOTAL),
#undef F
};

#define BENCH_NFIGURES	(sizeof(bench_figures) / sizeof(bench_figures[0]))

static double
bench_get(const struct bench_run *r, const struct bench_figure *f)
{
	return *(const double *)(const void *)((const char *)r + f->off);
}

/* The growth of one figure from a to b, and whether it is worse than
 * linear in N: "!" if so.  Returns 1 if worse. */
static int
bench_growth(const struct bench_figure *f, const struct bench_run *a,
    const struct bench_run *b, char *out, size_t size)
{
	double x = bench_get(a, f), y = bench_get(b, f);
	double k = (double)b->n / a->n, g = x > 0 ? y / x : NAN;
	int worse;

	switch (f->kind) {
	case BENCH_TOTAL:
		worse = g > k * BENCH_TOLERANCE;
		break;
	case BENCH_PER_GUEST:
		worse = g > BENCH_TOLERANCE;
		break;
	default:
		worse = g < 1 / BENCH_TOLERANCE;
		break;
	}
	snprintf(out, size, "x%-7.2f %s", g, worse ? "WORSE" : "ok");
	return worse;
}

/* For each arrival mode, each figure from one N to the next. */
static int
bench_print_growth(const struct bench_run *rs, size_t nr)
{
	char cell[64];
	size_t m, i, j, f;
	int bad = 0;

	nr &= ~(size_t)1;	/* whole pairs of runs only */

	for (m = 0; m < 2; m++) {
		if (rs[m].skipped)
			continue;
		printf("\ngrowth, %s (a per-guest figure should stay x1; a total "
		    "or a latency grow at most as N; WORSE: beyond that x%.1f)\n",
		    m ? "stream" : "burst", BENCH_TOLERANCE);
		printf("%-16s", "figure");
		for (i = 0; i + 2 < nr; i += 2)
			printf("  N %u->%u (x%-5.1f)", rs[i + m].n,
			    rs[i + 2 + m].n, (double)rs[i + 2 + m].n / rs[i + m].n);
		printf("\n");
		for (f = 0; f < BENCH_NFIGURES; f++) {
			printf("%-16s", bench_figures[f].name);
			for (i = m; i + 2 < nr; i += 2) {
				j = i + 2;
				if (!rs[i].ok || !rs[j].ok) {
					printf("  %-19s", "-");
					continue;
				}
				bad |= bench_growth(&bench_figures[f], &rs[i],
				    &rs[j], cell, sizeof(cell));
				printf("  %-19s", cell);
			}
			printf("\n");
		}
	}
	return bad;
}

static void
bench_print_model(const struct bench_run *rs, size_t nr)
{
	size_t i;

	printf("\nper-process model: one bench/xlwaiter per guest (libxenlight +"
	    " libxenstore linked,\nwatching @releaseDomain and its domain, as"
	    " the monitor process xl leaves per domain)\n");
	printf("%-6s %9s %10s %10s %10s %12s %14s %12s\n", "N", "measured",
	    "RSS MiB", "PSS MiB", "PSS KiB/p", "stubdmd KiB", "stubdmd/model",
	    "total ratio");
	for (i = 0; i < nr; i++) {
		const struct bench_run *r = &rs[i];
		double scale, pss_kib_p, ratio, tratio;

		if (r->stream || !r->ok || r->model_n == 0)
			continue;
		scale = (double)r->n / r->model_n;
		pss_kib_p = r->model_pss_mib * 1024.0 / r->model_n;
		ratio = r->rss_kib_guest / pss_kib_p;
		tratio = r->rss_mib / (r->model_pss_mib * scale);
		printf("%-6u %9u %10.1f %10.1f %10.1f %12.2f %11s%-3.0f %9s%.0f"
		    "%s\n", r->n, r->model_n, r->model_rss_mib * scale,
		    r->model_pss_mib * scale, pss_kib_p, r->rss_kib_guest,
		    "1/", 1 / ratio, "1/", 1 / tratio,
		    scale > 1 ? "  (model scaled linearly from the measured)" :
		    "");
	}
	printf("stubdmd KiB: its RSS growth per guest; stubdmd/model: that "
	    "over the model's PSS per process;\ntotal ratio: stubdmd's whole "
	    "RSS over the N processes' PSS\n");
}

/* --- the baseline ------------------------------------------------------ */

/*
 * One line of a baseline file: a figure of the runs at n with one way of
 * arriving, or (n_from > 0) its growth from n_from to n guests, the value
 * a past run measured, and the margin beyond which a run is worse.
 */
struct bench_base {
	const struct bench_figure *fig;
	int		 stream;
	unsigned	 n_from, n;
	double		 value, margin;
	double		 now;		/* this run's; NAN: not measured */
	size_t		 line;		/* in the file, from 0 */
};

struct bench_baseline {
	const char	*path;
	char		 lines[BENCH_BASE_MAX][BENCH_LINE_MAX];
	size_t		 nlines;
	struct bench_base base[BENCH_BASE_MAX];
	size_t		 nbase;
};

static const struct bench_figure *
bench_figure_key(const char *key)
{
	size_t f;

	for (f = 0; f < BENCH_NFIGURES; f++)
		if (strcmp(bench_figures[f].key, key) == 0)
			return &bench_figures[f];
	return NULL;
}

/* "1000" or "100->1000"; 0 or -1. */
static int
bench_base_ns(const char *w, struct bench_base *b)
{
	char *end;

	b->n_from = 0;
	b->n = (unsigned)strtoul(w, &end, 10);
	if (strncmp(end, "->", 2) == 0) {
		b->n_from = b->n;
		b->n = (unsigned)strtoul(end + 2, &end, 10);
	}
	return *end == '\0' && b->n > 0 && b->n != b->n_from ? 0 : -1;
}

/* "figure arrival N value margin", value "-" for none yet; 0 or -1. */
static int
bench_base_parse(const char *line, struct bench_base *b)
{
	char key[64], arrival[16], ns[32], value[32], *end;

	if (sscanf(line, "%63s %15s %31s %31s %lf", key, arrival, ns, value,
	    &b->margin) != 5 || (b->fig = bench_figure_key(key)) == NULL ||
	    bench_base_ns(ns, b) < 0 || !(b->margin >= 1))
		return -1;
	b->value = strcmp(value, "-") == 0 ? NAN : strtod(value, &end);
	if (!isnan(b->value) && (*end != '\0' || !(b->value > 0)))
		return -1;
	if (strcmp(arrival, "burst") != 0 && strcmp(arrival, "stream") != 0)
		return -1;
	b->stream = strcmp(arrival, "stream") == 0;
	b->now = NAN;
	return 0;
}

/* Comments and blank lines are kept for --save-baseline. */
static void
bench_baseline_load(struct bench_baseline *bl, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line, more[BENCH_LINE_MAX];

	if (f == NULL)
		bench_fatal("baseline %s: %s", path, strerror(errno));
	bl->path = path;
	while (bl->nlines < BENCH_BASE_MAX &&
	    fgets(bl->lines[bl->nlines], BENCH_LINE_MAX, f) != NULL) {
		line = bl->lines[bl->nlines];
		line[strcspn(line, "\n")] = '\0';
		if (line[strspn(line, " \t")] != '#' &&
		    line[strspn(line, " \t")] != '\0') {
			if (bench_base_parse(line, &bl->base[bl->nbase]) < 0)
				bench_fatal("%s:%zu: not \"figure burst|stream "
				    "N|N->N value margin\" with a known figure",
				    path, bl->nlines + 1);
			bl->base[bl->nbase++].line = bl->nlines;
		}
		bl->nlines++;
	}
	if (bl->nlines == BENCH_BASE_MAX &&
	    fgets(more, sizeof(more), f) != NULL)
		bench_fatal("%s: more than %d lines", path, BENCH_BASE_MAX);
	fclose(f);
}

static const struct bench_run *
bench_find_run(const struct bench_run *rs, size_t nr, unsigned n, int stream)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (rs[i].n == n && rs[i].stream == stream && rs[i].ok)
			return &rs[i];
	return NULL;
}

/* This run's value of a baseline line: the figure, or its growth. */
static double
bench_base_now(const struct bench_base *b, const struct bench_run *rs,
    size_t nr)
{
	const struct bench_run *r = bench_find_run(rs, nr, b->n, b->stream);
	const struct bench_run *from = b->n_from == 0 ? NULL :
	    bench_find_run(rs, nr, b->n_from, b->stream);

	if (r == NULL || (b->n_from > 0 && from == NULL))
		return NAN;
	if (from == NULL)
		return bench_get(r, b->fig);
	return bench_get(from, b->fig) > 0 ?
	    bench_get(r, b->fig) / bench_get(from, b->fig) : NAN;
}

/* Worse by more than the margin: higher, or lower for a rate (and for
 * a rate's growth). */
static int
bench_base_worse(const struct bench_base *b)
{
	double ratio = b->now / b->value;

	return b->fig->kind == BENCH_RATE ? ratio < 1 / b->margin :
	    ratio > b->margin;
}

/* A figure in a 10-wide cell; "-" for none. */
static void
bench_cell(char *out, size_t size, double v)
{
	if (isnan(v))
		snprintf(out, size, "%10s", "-");
	else
		snprintf(out, size, "%10.4g", v);
}

static void
bench_base_print(const struct bench_base *b)
{
	char ns[32], name[48], was[16], now[16];

	if (b->n_from > 0)
		snprintf(ns, sizeof(ns), "%u->%u", b->n_from, b->n);
	else
		snprintf(ns, sizeof(ns), "%u", b->n);
	snprintf(name, sizeof(name), "%s%s", b->n_from > 0 ? "growth, " : "",
	    b->fig->name);
	bench_cell(was, sizeof(was), b->value);
	bench_cell(now, sizeof(now), b->now);
	printf("%-24s %-7s %-10s %s %s", name, b->stream ? "stream" : "burst",
	    ns, was, now);
	if (isnan(b->now) || isnan(b->value))
		printf("  (%s)\n", isnan(b->now) ? "not run" : "no baseline");
	else
		printf("  x%-6.2f x%-6.2f %s\n", b->now / b->value, b->margin,
		    bench_base_worse(b) ? "WORSE" : "ok");
}

/* Each baseline figure beside this run's; 1 if one is worse. */
static int
bench_print_baseline(struct bench_baseline *bl, const struct bench_run *rs,
    size_t nr)
{
	size_t i;
	int bad = 0;

	printf("\nbaseline (%s): each figure beside its baseline, ratio "
	    "now/baseline;\nWORSE: beyond the margin (lower for events/cpu s, "
	    "higher for the others)\n", bl->path);
	printf("%-24s %-7s %-10s %10s %10s  %-7s %-7s\n", "figure", "arrival",
	    "N", "baseline", "now", "ratio", "margin");
	for (i = 0; i < bl->nbase; i++) {
		bl->base[i].now = bench_base_now(&bl->base[i], rs, nr);
		bench_base_print(&bl->base[i]);
		bad |= !isnan(bl->base[i].now) && !isnan(bl->base[i].value) &&
		    bench_base_worse(&bl->base[i]);
	}
	return bad;
}

/* The baseline again, each figure this run measured replaced by its value. */
static int
bench_save_baseline(const struct bench_baseline *bl, const char *path)
{
	const struct bench_base *b;
	FILE *f = fopen(path, "w");
	size_t i, k = 0;
	char ns[32];

	if (f == NULL)
		return -1;
	for (i = 0; i < bl->nlines; i++) {
		b = k < bl->nbase && bl->base[k].line == i ? &bl->base[k++] :
		    NULL;
		if (b == NULL || isnan(b->now)) {
			fprintf(f, "%s\n", bl->lines[i]);
			continue;
		}
		if (b->n_from > 0)
			snprintf(ns, sizeof(ns), "%u->%u", b->n_from, b->n);
		else
			snprintf(ns, sizeof(ns), "%u", b->n);
		fprintf(f, "%-16s %-8s %-12s %10.4g %6.2f\n", b->fig->key,
		    b->stream ? "stream" : "burst", ns, b->now, b->margin);
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* --- main -------------------------------------------------------------- */

static void
bench_usage(void)
{
	fprintf(stderr, "usage: bench [--quick] [--n N[,N...]] "
	    "[--arrival burst|stream|both]\n             [--boot-delay MS] "
	    "[--rate PER_S] [--model-max N] [--build DIR]\n             "
	    "[--baseline FILE] [--save-baseline FILE] [--keep]\n");
	exit(2);
}

static unsigned
bench_uint(const char *s, unsigned min, unsigned max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		bench_usage();
	return (unsigned)v;
}

static void
bench_parse_ns(struct bench_opts *o, char *list)
{
	char *tok, *save = NULL;

	o->nn = 0;
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (o->nn == BENCH_NS_MAX)
			bench_usage();
		o->ns[o->nn++] = bench_uint(tok, 1, 30000);
	}
	if (o->nn == 0)
		bench_usage();
}

static unsigned
bench_arrivals(const char *s)
{
	static const char *const names[] = { "burst", "stream", "both" };
	unsigned i;

	for (i = 0; i < 3; i++)
		if (strcmp(s, names[i]) == 0)
			return i + 1;
	bench_usage();
	return 0;
}

static void
bench_options(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "n", required_argument, NULL, 'n' },
		{ "arrival", required_argument, NULL, 'a' },
		{ "baseline", required_argument, NULL, 'l' },
		{ "save-baseline", required_argument, NULL, 's' },
		{ "boot-delay", required_argument, NULL, 'b' },
		{ "rate", required_argument, NULL, 'r' },
		{ "model-max", required_argument, NULL, 'm' },
		{ "build", required_argument, NULL, 'B' },
		{ "keep", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct bench_opts){ .ns = { 100, 1000, 5000 }, .nn = 3,
	    .boot_ms = 200, .rate = 200, .model_max = 1000, .arrivals = 3,
	    .build = "." };
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'q': o->quick = 1; o->ns[0] = 20; o->nn = 1; break;
		case 'n': bench_parse_ns(o, optarg); break;
		case 'a': o->arrivals = bench_arrivals(optarg); break;
		case 'l': o->baseline = optarg; break;
		case 's': o->save_baseline = optarg; break;
		case 'b': o->boot_ms = bench_uint(optarg, 1, 600000); break;
		case 'r': o->rate = bench_uint(optarg, 1, 100000); break;
		case 'm': o->model_max = bench_uint(optarg, 0, 1000); break;
		case 'B': o->build = optarg; break;
		case 'k': o->keep = 1; break;
		default: bench_usage();
		}
	}
	if (optind != argc || (o->save_baseline != NULL &&
	    o->baseline == NULL))
		bench_usage();
}

static void
bench_on_signal(int sig)
{
	bench_interrupted = 1;
}

int
main(int argc, char **argv)
{
	struct rlimit rl = { 65536, 65536 };
	char top[] = "/tmp/bench-XXXXXX", load0[128], load1[128];
	struct bench_run rs[2 * BENCH_NS_MAX];
	struct bench_baseline bl = { 0 };
	struct bench_opts o;
	size_t i, nr;
	int failed = 0;

	bench_options(argc, argv, &o);
	if (o.baseline != NULL)
		bench_baseline_load(&bl, o.baseline);
	signal(SIGINT, bench_on_signal);
	signal(SIGTERM, bench_on_signal);
	signal(SIGPIPE, SIG_IGN);
	setrlimit(RLIMIT_NOFILE, &rl);	/* hvsim: a socket per waiter */
	if (mkdtemp(top) == NULL)
		bench_fatal("mkdtemp: %s", strerror(errno));
	nr = 2 * o.nn;
	bench_loadavg(load0, sizeof(load0));
	for (i = 0; i < nr && !bench_interrupted; i++) {
		rs[i] = (struct bench_run){ .n = o.ns[i / 2], .stream = i % 2 };
		rs[i].skipped = !(o.arrivals & (1u << rs[i].stream));
		if (rs[i].skipped)
			continue;
		bench_run(&rs[i], &o, top);
		failed |= !rs[i].ok;
	}
	bench_loadavg(load1, sizeof(load1));
	if (!failed && !o.keep)
		rmdir(top);
	printf("stubdm benchmark: simulated stub boot delay %u ms, stream "
	    "%u guests/s, model up to %u processes\n", o.boot_ms, o.rate,
	    o.model_max);
	bench_machine();
	printf("load average before: %s; after: %s\n", load0, load1);
	bench_print_table(rs, i);
	bench_print_details(rs, i);
	if (i >= 4 && bench_print_growth(rs, i))
		printf("\nWORSE THAN LINEAR: see the growth tables above\n");
	if (o.model_max > 0)
		bench_print_model(rs, i);
	if (o.baseline != NULL && bench_print_baseline(&bl, rs, i))
		printf("\nWORSE THAN THE BASELINE: see the table above\n");
	if (o.save_baseline != NULL && !failed &&
	    bench_save_baseline(&bl, o.save_baseline) < 0)
		bench_fatal("%s: %s", o.save_baseline, strerror(errno));
	return failed || bench_interrupted ? 1 : 0;
}
