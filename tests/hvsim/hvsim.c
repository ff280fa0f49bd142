/* SPDX-License-Identifier: GPL-2.0-only */
/* hvsim: the simulated Xen host.  Options, start-up, the event loop. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tests/hvsim/ctl.h"
#include "tests/hvsim/dm.h"
#include "tests/hvsim/dom.h"
#include "tests/hvsim/hvsim.h"
#include "tests/hvsim/xsconn.h"
#include "tests/hvsim/xsd.h"

#define HVSIM_BOOT_DELAY_MS	200
#define HVSIM_LOG_MAX		1024

uint64_t
hvsim_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
hvsim_printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void
hvsim_log(struct hvsim *h, const char *fmt, ...)
{
	char buf[HVSIM_LOG_MAX];
	uint64_t ms = (hvsim_now_ns() - h->t0_ns) / 1000000;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	hvsim_printable(buf);	/* names come from clients */
	fprintf(stderr, "hvsim[%llu.%03llu]: %s\n",
	    (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000),
	    buf);
}

static const struct {
	int		 err;
	const char	*name;
} hvsim_errnames[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
	{ EIO, "EIO" }, { E2BIG, "E2BIG" }, { EAGAIN, "EAGAIN" },
	{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EBUSY, "EBUSY" },
	{ EEXIST, "EEXIST" }, { EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" },
	{ ENOSYS, "ENOSYS" }, { ENAMETOOLONG, "ENAMETOOLONG" },
	{ EPROTO, "EPROTO" }, { ENOTEMPTY, "ENOTEMPTY" }, { EROFS, "EROFS" },
	{ EISDIR, "EISDIR" }, { EADDRINUSE, "EADDRINUSE" },
};

const char *
hvsim_errname(int err)
{
	size_t i;

	if (err < 0)
		err = -err;
	for (i = 0; i < sizeof(hvsim_errnames) / sizeof(hvsim_errnames[0]); i++)
		if (hvsim_errnames[i].err == err)
			return hvsim_errnames[i].name;
	return "EIO";
}

int
hvsim_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	unlink(path);	/* a previous run's */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(fd, 128) == -1) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: hvsim --rundir DIR [--boot-delay MS] "
	    "[--qemu-start MS]\n"
	    "\n"
	    "A simulated Xen host for tests: xenstore on DIR/socket, the\n"
	    "control protocol on DIR/ctl (tests/hvsim/PROTOCOL.md); DIR/ready\n"
	    "appears once both listen.\n");
}

static int
hvsim_options(struct hvsim *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rundir", required_argument, NULL, 'r' },
		{ "boot-delay", required_argument, NULL, 'b' },
		{ "qemu-start", required_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long ms;
	char *end;
	int c;

	h->boot_delay_ms = HVSIM_BOOT_DELAY_MS;
	while ((c = getopt_long(argc, argv, "r:b:q:h", opts, NULL)) != -1) {
		if (c == 'r' && (h->rundir = strdup(optarg)) == NULL)
			return -ENOMEM;
		if (c == 'b' || c == 'q') {
			ms = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || ms > 3600000)
				return -EINVAL;
			*(c == 'b' ? &h->boot_delay_ms : &h->qemu_start_ms) =
			    (unsigned)ms;
		}
		if (c == 'h' || c == '?')
			return c == 'h' ? 1 : -EINVAL;
	}
	return h->rundir != NULL && optind == argc ? 0 : -EINVAL;
}

static void
hvsim_signal(evutil_socket_t sig, short what, void *arg)
{
	struct hvsim *h = arg;

	hvsim_log(h, "signal %d: exiting", (int)sig);
	event_base_loopbreak(h->base);
}

static int
hvsim_ready_path(struct hvsim *h, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/ready", h->rundir);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int
hvsim_ready(struct hvsim *h)
{
	char path[4096];
	int fd, rc;

	if ((rc = hvsim_ready_path(h, path, sizeof(path))) < 0)
		return rc;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return -errno;
	dprintf(fd, "%ld\n", (long)getpid());
	close(fd);
	return 0;
}

/* Room for XSCONN_MAX clients and more: the hard limit on files. */
static void
hvsim_more_files(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * The event base, its timers on the precise monotonic clock: the
 * simulated delays (a stub's boot, QEMU's start) must not end before their
 * time as measured by hvsim_now_ns(), which stamps the times a benchmark
 * reads (by the default coarse clock a boot ended up to a tick early, and
 * bench --quick once saw a guest ready 0.21 ms before its stub's boot
 * delay was over).
 */
static struct event_base *
hvsim_base_new(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base = NULL;

	if (cfg != NULL &&
	    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER) == 0)
		base = event_base_new_with_config(cfg);
	if (cfg != NULL)
		event_config_free(cfg);
	return base;
}

static int
hvsim_start(struct hvsim *h)
{
	char path[4096];
	int rc;

	if (mkdir(h->rundir, 0755) == -1 && errno != EEXIST)
		return -errno;
	if (hvsim_ready_path(h, path, sizeof(path)) == 0)
		unlink(path);
	hvsim_more_files();
	if ((h->base = hvsim_base_new()) == NULL)
		return -ENOMEM;
	h->sig_term = evsignal_new(h->base, SIGTERM, hvsim_signal, h);
	h->sig_int = evsignal_new(h->base, SIGINT, hvsim_signal, h);
	if (h->sig_term == NULL || h->sig_int == NULL ||
	    evsignal_add(h->sig_term, NULL) == -1 ||
	    evsignal_add(h->sig_int, NULL) == -1)
		return -ENOMEM;
	if ((rc = xsd_init(h)) < 0 || (rc = dom_init(h)) < 0 ||
	    (rc = dm_init(h)) < 0 || (rc = xsconn_init(h)) < 0 ||
	    (rc = ctl_init(h)) < 0)
		return rc;
	return hvsim_ready(h);
}

static void
hvsim_stop(struct hvsim *h)
{
	char path[4096];

	ctl_free(h);
	xsconn_free(h);
	dom_free_all(h);
	dm_free_faults(h);
	xsd_free(h);
	if (h->sig_term != NULL)
		event_free(h->sig_term);
	if (h->sig_int != NULL)
		event_free(h->sig_int);
	if (h->base != NULL)
		event_base_free(h->base);
	if (h->rundir != NULL && hvsim_ready_path(h, path, sizeof(path)) == 0)
		unlink(path);
	free(h->rundir);
}

int
main(int argc, char **argv)
{
	struct hvsim h = { 0 };
	int rc;

	h.t0_ns = hvsim_now_ns();
	if ((rc = hvsim_options(&h, argc, argv)) != 0) {
		usage(rc > 0 ? stdout : stderr);
		free(h.rundir);
		return rc > 0 ? 0 : 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((rc = hvsim_start(&h)) < 0) {
		fprintf(stderr, "hvsim: cannot start in %s: %s\n", h.rundir,
		    strerror(-rc));
		hvsim_stop(&h);
		return 1;
	}
	hvsim_log(&h, "ready in %s (boot delay %u ms)", h.rundir,
	    h.boot_delay_ms);
	event_base_dispatch(h.base);
	hvsim_stop(&h);
	return 0;
}
