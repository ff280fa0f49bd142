/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * qmp-relay: the linux-qemu stub's QMP socket when libxl can save the
 * guest (images/linux-qemu/init).  It sits between the clients that come
 * over vchan (libxl's vchan-socket-proxy, stubdmd's probes) and QEMU's own
 * QMP socket, one client at a time, and passes the bytes both ways
 * unchanged, with one rule: nothing QEMU sends leaves before the device
 * state QEMU saved is on console 1.
 *
 * Why: libxl's QMP xen-save-devices-state makes QEMU write the state to
 * fd set 1, which must be a file here (QEMU truncates what it writes to,
 * which fails on a tty), while libxl reads the state from console 1's end
 * in dom0 (a file there) as soon as QEMU's reply has reached it: at once
 * for a live migration.  QEMU closes the state's descriptor before it
 * replies, so when a reply reaches this relay the file is whole: the relay
 * copies what is new in it to console 1 and waits for the console to take
 * it, then passes the reply on.
 *
 * QEMU writes each state at the offset the last one ended (its descriptors
 * share one file offset, and the truncation leaves it): what is new is what
 * lies past the last copy.
 *
 *   qmp-relay LISTEN QEMU SAVED CONSOLE
 *
 * LISTEN is the socket made here for the clients, QEMU QEMU's QMP socket,
 * SAVED the file of fd set 1, CONSOLE console 1 (/dev/hvc1).  Lines on
 * stdout (the stub's console 0) begin "STUB: ".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define RELAY_BUF	65536
/*
 * Console 1's last bytes may still sit in its ring (2 KiB) when tcdrain()
 * returns: dom0's QEMU takes them on the event the write raised, before
 * the reply has crossed vchan, dom0's proxy and libxl.  A short pause
 * makes that margin wide on a starved host.
 */
#define RELAY_SETTLE_NS	100000000L

struct relay {
	const char	*qemu;		/* QEMU's QMP socket */
	int		 saved;		/* fd set 1's file, read-only */
	int		 con;		/* console 1 */
	off_t		 done;		/* the file's bytes already copied */
	int		 failed;	/* the last client's error, or 0 */
	char		 buf[RELAY_BUF];	/* passing between sockets */
	char		 copy[RELAY_BUF];	/* the file to the console */
};

static void relay_say(const char *, ...)
    __attribute__((format(printf, 1, 2)));

static void
relay_say(const char *fmt, ...)
{
	va_list ap;

	printf("STUB: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static int
relay_sock(const char *path, struct sockaddr_un *sun)
{
	int fd;

	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return fd == -1 ? -errno : fd;
}

static int
relay_listen(const char *path)
{
	struct sockaddr_un sun;
	int fd, rc;

	if ((fd = relay_sock(path, &sun)) < 0)
		return fd;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 4) == -1) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static int
relay_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd, rc;

	if ((fd = relay_sock(path, &sun)) < 0)
		return fd;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static int
relay_write(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The console raw, as the stream is binary; anything but a tty as it is. */
static int
relay_raw(int fd)
{
	struct termios t;

	if (!isatty(fd))
		return 0;
	if (tcgetattr(fd, &t) == -1)
		return -errno;
	cfmakeraw(&t);
	return tcsetattr(fd, TCSANOW, &t) == -1 ? -errno : 0;
}

/* Everything written to the console handed on to its driver. */
static int
relay_drain(int fd)
{
	struct timespec settle = { 0, RELAY_SETTLE_NS };

	if (!isatty(fd))
		return 0;
	if (tcdrain(fd) == -1)
		return -errno;
	nanosleep(&settle, NULL);
	return 0;
}

/* What QEMU saved past the last copy, copied to the console. */
static int
relay_land(struct relay *r)
{
	struct stat st;
	off_t from = r->done;
	ssize_t n;
	int rc;

	if (fstat(r->saved, &st) == -1)
		return -errno;
	if (st.st_size <= r->done)
		return 0;
	while (r->done < st.st_size) {
		n = pread(r->saved, r->copy, sizeof(r->copy), r->done);
		if (n <= 0)
			return n == 0 ? -EIO : -errno;
		if ((rc = relay_write(r->con, r->copy, (size_t)n)) < 0)
			return rc;
		r->done += n;
	}
	if ((rc = relay_drain(r->con)) < 0)
		return rc;
	relay_say("device state saved: %lld bytes to console 1",
	    (long long)(r->done - from));
	return 0;
}

/*
 * One read from FROM passed to TO; from QEMU (LAND) only once the saved
 * state is on the console.  1 at the end of FROM's stream.
 */
static int
relay_pass(struct relay *r, int from, int to, bool land)
{
	ssize_t n;
	int rc;

	n = read(from, r->buf, sizeof(r->buf));
	if (n == -1)
		return errno == EINTR ? 0 : -errno;
	if (n == 0)
		return 1;
	if (land && (rc = relay_land(r)) < 0)
		return rc;
	return relay_write(to, r->buf, (size_t)n);
}

/* One client, until it or QEMU hangs up. */
static int
relay_serve(struct relay *r, int client)
{
	struct pollfd pfd[2];
	int qemu, rc = 0;

	if ((qemu = relay_connect(r->qemu)) < 0)
		return qemu;
	pfd[0] = (struct pollfd){ .fd = client, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = qemu, .events = POLLIN };
	while (rc == 0) {
		if (poll(pfd, 2, -1) == -1) {
			rc = errno == EINTR ? 0 : -errno;
			continue;
		}
		if (pfd[0].revents)
			rc = relay_pass(r, client, qemu, false);
		if (rc == 0 && pfd[1].revents)
			rc = relay_pass(r, qemu, client, true);
	}
	close(qemu);
	return rc > 0 ? 0 : rc;
}

static int
relay_open(struct relay *r, const char *saved, const char *con)
{
	int rc;

	r->saved = open(saved, O_RDONLY | O_CLOEXEC);
	if (r->saved == -1)
		return -errno;
	r->con = open(con, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (r->con == -1)
		return -errno;
	if ((rc = relay_raw(r->con)) < 0)
		return rc;
	/* A state saved before this relay ran is not a new one. */
	r->done = lseek(r->saved, 0, SEEK_END);
	return r->done == -1 ? -errno : 0;
}

int
main(int argc, char **argv)
{
	static struct relay r;
	int lfd, c, rc;

	if (argc != 5) {
		fprintf(stderr, "usage: qmp-relay LISTEN QEMU SAVED CONSOLE\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	r.qemu = argv[2];
	if ((rc = relay_open(&r, argv[3], argv[4])) < 0 ||
	    (rc = lfd = relay_listen(argv[1])) < 0) {
		relay_say("qmp-relay: %s", strerror(-rc));
		return 1;
	}
	for (;;) {
		c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c == -1)
			continue;
		/*
		 * A state that cannot be landed fails the client's save.  An
		 * error said for the last client is not said again: once QEMU
		 * has gone, every probe until the stub's end meets the same.
		 */
		rc = relay_serve(&r, c);
		if (rc < 0 && rc != r.failed)
			relay_say("qmp-relay: client dropped: %s",
			    strerror(-rc));
		r.failed = rc < 0 ? rc : 0;
		close(c);
	}
}
