/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xsclient-test: Debian's libxenstore against hvsim (TAP lines).
 *   xsclient-test HVSIMCTL RUNDIR      (XENSTORED_PATH=RUNDIR/socket)
 * Reads, writes, DIRECTORY_PART, watches and their first event,
 * transactions (commit, abort, conflict), @introduceDomain and
 * @releaseDomain, set_target, perms, and a few raw wire messages.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenstore.h>

#define XT_CHILDREN	600	/* 600 * 11 bytes: past one 4096-byte reply */

struct xt {
	const char		*hvsimctl;
	const char		*rundir;
	struct xs_handle	*xs;
	int			 n;
	int			 failed;
};

static void
xt_check(struct xt *t, bool ok, const char *desc)
{
	t->n++;
	printf("%sok %d - %s\n", ok ? "" : "not ", t->n, desc);
	if (!ok)
		t->failed = 1;
	fflush(stdout);
}

/* Run hvsimctl VERB ARGS; its first output line into out. */
static int
xt_ctl(struct xt *t, char *out, size_t size, const char *const *args)
{
	const char *argv[16] = { t->hvsimctl, "--rundir", t->rundir };
	char *copy[16] = { NULL };
	int fds[2], status, i;
	ssize_t n = 0;
	pid_t pid;

	for (i = 0; args[i] != NULL && i < 12; i++)
		argv[3 + i] = args[i];
	if (pipe(fds) == -1 || (pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		for (i = 0; argv[i] != NULL; i++)	/* execv wants char * */
			copy[i] = strdup(argv[i]);
		execv(copy[0], copy);
		_exit(127);
	}
	close(fds[1]);
	if (size > 0)
		n = read(fds[0], out, size - 1);
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (size > 0) {
		out[n > 0 ? n : 0] = '\0';
		out[strcspn(out, "\n")] = '\0';
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static struct xs_handle *
xt_open_as(struct xt *t, const char *path)
{
	char *old = getenv("XENSTORED_PATH"), *save;
	struct xs_handle *h;

	save = old ? strdup(old) : NULL;
	setenv("XENSTORED_PATH", path, 1);
	h = xs_open(0);
	if (save != NULL)
		setenv("XENSTORED_PATH", save, 1);
	free(save);
	return h;
}

static bool
xt_is(struct xs_handle *h, const char *path, const char *want)
{
	unsigned len;
	char *v = xs_read(h, XBT_NULL, path, &len);
	bool ok = v != NULL && strcmp(v, want) == 0;

	free(v);
	return ok;
}

/* The next watch event within ms: path and token compared. */
static bool
xt_event(struct xs_handle *h, const char *path, const char *token, int ms)
{
	struct pollfd p = { xs_fileno(h), POLLIN, 0 };
	unsigned num;
	char **v;
	bool ok;

	if ((v = xs_check_watch(h)) == NULL) {
		if (poll(&p, 1, ms) != 1 || (v = xs_check_watch(h)) == NULL)
			return false;
	}
	ok = strcmp(v[XS_WATCH_PATH], path) == 0 &&
	    strcmp(v[XS_WATCH_TOKEN], token) == 0;
	if (!ok)
		fprintf(stderr, "# event %s %s, wanted %s %s\n",
		    v[XS_WATCH_PATH], v[XS_WATCH_TOKEN], path, token);
	(void)num;
	free(v);
	return ok;
}

static void
xt_basic(struct xt *t)
{
	char path[64];
	unsigned len;
	char *v;

	xt_check(t, xs_write(t->xs, XBT_NULL, "/xt/a/b", "hello", 5),
	    "write creates missing parents");
	xt_check(t, xt_is(t->xs, "/xt/a/b", "hello"), "read it back");
	v = xs_read(t->xs, XBT_NULL, "/xt/nope", &len);
	xt_check(t, v == NULL && errno == ENOENT, "missing node: ENOENT");
	free(v);
	xt_check(t, !xs_write(t->xs, XBT_NULL, "/xt//bad", "x", 1) &&
	    errno == EINVAL, "bad path: EINVAL");
	v = xs_get_domain_path(t->xs, 7);
	xt_check(t, v != NULL && strcmp(v, "/local/domain/7") == 0,
	    "GET_DOMAIN_PATH");
	free(v);
	snprintf(path, sizeof(path), "/xt/a");
	xt_check(t, xs_rm(t->xs, XBT_NULL, path) &&
	    !xs_read(t->xs, XBT_NULL, "/xt/a/b", &len),
	    "rm removes a subtree");
	xt_check(t, xs_rm(t->xs, XBT_NULL, "/xt/a"),
	    "rm of a missing node under an existing parent is fine");
}

static void
xt_directory(struct xt *t)
{
	char path[64], want[32];
	unsigned num = 0, i;
	char **d;
	bool ok = true;

	for (i = 0; i < XT_CHILDREN && ok; i++) {
		snprintf(path, sizeof(path), "/xt/many/child-%04u", i);
		ok = xs_write(t->xs, XBT_NULL, path, "", 0);
	}
	xt_check(t, ok, "600 children written");
	d = xs_directory(t->xs, XBT_NULL, "/xt/many", &num);
	ok = d != NULL && num == XT_CHILDREN;
	for (i = 0; ok && i < num; i++) {
		snprintf(want, sizeof(want), "child-%04u", i);
		ok = strcmp(d[i], want) == 0;
	}
	xt_check(t, ok, "xs_directory of 600 children (DIRECTORY_PART), "
	    "in creation order");
	free(d);
}

static void
xt_watches(struct xt *t)
{
	unsigned num;
	char **v;

	xt_check(t, xs_watch(t->xs, "/xt/w", "tok"), "xs_watch");
	xt_check(t, xt_event(t->xs, "/xt/w", "tok", 2000),
	    "the first event comes at once, for the watched path");
	xs_write(t->xs, XBT_NULL, "/xt/w/x", "1", 1);
	xt_check(t, xt_event(t->xs, "/xt/w/x", "tok", 2000),
	    "writing below the path fires it");
	xs_write(t->xs, XBT_NULL, "/xt/other", "1", 1);
	xt_check(t, xs_watch(t->xs, "/xt/w/x", "kid") &&
	    xt_event(t->xs, "/xt/w/x", "kid", 2000), "a watch on the child");
	xs_rm(t->xs, XBT_NULL, "/xt/w");
	xt_check(t, xt_event(t->xs, "/xt/w/x", "kid", 2000) &&
	    xt_event(t->xs, "/xt/w", "tok", 2000),
	    "rm fires the watch on the removed child, then the node's");
	xs_unwatch(t->xs, "/xt/w/x", "kid");
	xt_check(t, xs_unwatch(t->xs, "/xt/w", "tok"), "xs_unwatch");
	xs_write(t->xs, XBT_NULL, "/xt/w", "2", 1);
	usleep(100000);
	v = xs_check_watch(t->xs);
	xt_check(t, v == NULL, "no event after unwatch");
	free(v);
	(void)num;
}

static void
xt_transactions(struct xt *t)
{
	struct xs_handle *other = xs_open(0);
	xs_transaction_t tx;
	unsigned len;
	char *v;

	tx = xs_transaction_start(t->xs);
	xs_write(t->xs, tx, "/xt/tx/a", "1", 1);
	v = xs_read(t->xs, XBT_NULL, "/xt/tx/a", &len);
	xt_check(t, tx != XBT_NULL && v == NULL,
	    "a transaction's write is invisible outside it");
	free(v);
	xt_check(t, xs_transaction_end(t->xs, tx, false) &&
	    xt_is(t->xs, "/xt/tx/a", "1"), "commit makes it visible");
	tx = xs_transaction_start(t->xs);
	xs_write(t->xs, tx, "/xt/tx/b", "1", 1);
	xt_check(t, xs_transaction_end(t->xs, tx, true) &&
	    !xs_read(t->xs, XBT_NULL, "/xt/tx/b", &len), "abort drops it");
	tx = xs_transaction_start(t->xs);
	free(xs_read(t->xs, tx, "/xt/tx/a", &len));
	xs_write(other, XBT_NULL, "/xt/tx/a", "2", 1);
	xs_write(t->xs, tx, "/xt/tx/c", "1", 1);
	xt_check(t, !xs_transaction_end(t->xs, tx, false) && errno == EAGAIN,
	    "a node read in the transaction changed: commit fails EAGAIN");
	xt_check(t, !xs_read(t->xs, XBT_NULL, "/xt/tx/c", &len),
	    "nothing of the failed transaction is applied");
	xs_close(other);
}

static void
xt_domains(struct xt *t)
{
	const char *create[] = { "create-hvm", "xt-guest", NULL };
	char id[32] = "", path[64];
	const char *destroy[] = { "destroy", id, NULL };

	xt_check(t, xs_watch(t->xs, "@introduceDomain", "in") &&
	    xt_event(t->xs, "@introduceDomain", "in", 2000),
	    "watch @introduceDomain (first event)");
	xt_check(t, xt_ctl(t, id, sizeof(id), create) == 0 &&
	    xt_event(t->xs, "@introduceDomain", "in", 2000),
	    "hvsimctl create-hvm fires @introduceDomain");
	xt_check(t, xs_is_domain_introduced(t->xs, (unsigned)atoi(id)) &&
	    !xs_is_domain_introduced(t->xs, 30000), "IS_DOMAIN_INTRODUCED");
	snprintf(path, sizeof(path), "/local/domain/%s/name", id);
	xt_check(t, xt_is(t->xs, path, "xt-guest"),
	    "the toolstack's entries exist");
	xt_check(t, xs_watch(t->xs, "@releaseDomain", "out") &&
	    xt_event(t->xs, "@releaseDomain", "out", 2000) &&
	    xt_ctl(t, NULL, 0, destroy) == 0 &&
	    xt_event(t->xs, "@releaseDomain", "out", 2000),
	    "hvsimctl destroy fires @releaseDomain");
}

/* A stub domain may read what its target owns once set_target says so. */
static void
xt_target(struct xt *t)
{
	const char *mk_s[] = { "create-pv", "xt-stub", "--paused", NULL };
	const char *mk_g[] = { "create-hvm", "xt-g", NULL };
	char s[32] = "", g[32] = "", path[96], sock[256] = "";
	const char *as[] = { "sock-as", s, NULL };
	struct xs_permissions p = { 0, XS_PERM_NONE };
	struct xs_handle *stub = NULL;
	unsigned len;
	char *v;

	xt_ctl(t, s, sizeof(s), mk_s);
	xt_ctl(t, g, sizeof(g), mk_g);
	xt_ctl(t, sock, sizeof(sock), as);
	p.id = (unsigned)atoi(g);
	snprintf(path, sizeof(path), "/local/domain/%s/secret", g);
	xs_write(t->xs, XBT_NULL, path, "s3", 2);
	xt_check(t, xs_set_permissions(t->xs, XBT_NULL, path, &p, 1),
	    "chown a node to the guest (n<guest>)");
	stub = xt_open_as(t, sock);
	v = stub ? xs_read(stub, XBT_NULL, path, &len) : NULL;
	xt_check(t, stub != NULL && v == NULL && errno == EACCES,
	    "the stub cannot read it before set_target");
	free(v);
	xt_check(t, xs_set_target(t->xs, (unsigned)atoi(s),
	    (unsigned)atoi(g)), "xs_set_target");
	xt_check(t, stub != NULL && xt_is(stub, path, "s3"),
	    "now it can: the owner's target gets the owner's rights");
	xt_check(t, stub != NULL && !xs_set_target(stub, 1, 2) &&
	    errno == EACCES, "set_target is for dom0 only");
	if (stub != NULL)
		xs_close(stub);
}

/* An unprivileged domain owns what it creates; relative paths work. */
static void
xt_owner(struct xt *t)
{
	const char *mk[] = { "create-pv", "xt-own", NULL };
	char d[32] = "", sock[256] = "", path[96];
	const char *as[] = { "sock-as", d, NULL };
	struct xs_permissions p[2] = { { 0, XS_PERM_NONE }, { 0, XS_PERM_READ |
	    XS_PERM_WRITE } };
	struct xs_permissions *got;
	struct xs_handle *dom;
	unsigned n = 0;

	xt_ctl(t, d, sizeof(d), mk);
	xt_ctl(t, sock, sizeof(sock), as);
	p[1].id = (unsigned)atoi(d);
	snprintf(path, sizeof(path), "/local/domain/%s/data", d);
	xs_mkdir(t->xs, XBT_NULL, path);
	xs_set_permissions(t->xs, XBT_NULL, path, p, 2);
	dom = xt_open_as(t, sock);
	xt_check(t, dom != NULL && xs_write(dom, XBT_NULL, "data/x", "1", 1),
	    "a domain writes a relative path");
	snprintf(path, sizeof(path), "/local/domain/%s/data/x", d);
	got = xs_get_permissions(t->xs, XBT_NULL, path, &n);
	xt_check(t, got != NULL && n == 2 && got[0].id == p[1].id &&
	    got[0].perms == XS_PERM_NONE && got[1].id == p[1].id,
	    "it owns the node it created (n<dom>,b<dom>)");
	free(got);
	if (dom != NULL)
		xs_close(dom);
}

/* Raw wire messages: E2BIG for an oversized header, EINVAL for junk. */
static int
xt_raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd != -1 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	if (fd != -1)
		close(fd);
	return -1;
}

static bool
xt_raw_error(int fd, uint32_t type, uint32_t len, const char *want)
{
	struct xsd_sockmsg m = { type, 42, 0, len }, r;
	char buf[64] = "";
	struct timeval tv = { 2, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (write(fd, &m, sizeof(m)) != sizeof(m) ||
	    recv(fd, &r, sizeof(r), MSG_WAITALL) != sizeof(r) ||
	    r.type != XS_ERROR || r.req_id != 42 || r.len >= sizeof(buf) ||
	    recv(fd, buf, r.len, MSG_WAITALL) != (ssize_t)r.len)
		return false;
	return strcmp(buf, want) == 0;
}

static void
xt_raw(struct xt *t)
{
	const char *path = getenv("XENSTORED_PATH");
	int fd = path ? xt_raw_connect(path) : -1;
	char c;

	xt_check(t, fd != -1 && xt_raw_error(fd, 999, 0, "EINVAL"),
	    "unknown message type: EINVAL");
	xt_check(t, fd != -1 && xt_raw_error(fd, XS_READ, 0, "EINVAL"),
	    "READ without a path: EINVAL");
	xt_check(t, fd != -1 && xt_raw_error(fd, XS_DIRECTORY, 0, "EINVAL"),
	    "DIRECTORY without a path: EINVAL");
	xt_check(t, fd != -1 && xt_raw_error(fd, XS_WRITE, 5000, "E2BIG") &&
	    read(fd, &c, 1) == 0, "a 5000-byte payload: E2BIG, then hung up");
	if (fd != -1)
		close(fd);
}

/* Caps: watches and transactions per unprivileged connection; dom0's. */
static void
xt_limits(struct xt *t)
{
	const char *as[] = { "sock-as", "31", NULL };
	struct xs_handle *dom;
	xs_transaction_t tx[17];
	char sock[256] = "", tok[16];
	int i, ok = 1;

	xt_ctl(t, sock, sizeof(sock), as);
	dom = xt_open_as(t, sock);
	for (i = 0; dom != NULL && i < 128 && ok; i++) {
		snprintf(tok, sizeof(tok), "w%d", i);
		ok = xs_watch(dom, "/xt/limit", tok);
	}
	xt_check(t, dom != NULL && ok, "a domain sets 128 watches");
	xt_check(t, dom != NULL && !xs_watch(dom, "/xt/limit", "one-more") &&
	    errno == E2BIG, "the 129th is E2BIG");
	for (i = 0, ok = 1; dom != NULL && i < 16 && ok; i++)
		ok = (tx[i] = xs_transaction_start(dom)) != XBT_NULL;
	xt_check(t, dom != NULL && ok &&
	    xs_transaction_start(dom) == XBT_NULL && errno == ENOSPC,
	    "16 open transactions, then ENOSPC");
	for (i = 0, ok = 1; i < 300 && ok; i++) {
		snprintf(tok, sizeof(tok), "w%d", i);
		ok = xs_watch(t->xs, "/xt/limit0", tok);
	}
	xt_check(t, ok, "dom0 has no such quota (300 watches)");
	if (dom != NULL)
		xs_close(dom);
}

/* Garbage, and a client that never reads its replies: hvsim survives. */
static void
xt_hostile(struct xt *t)
{
	const char *path = getenv("XENSTORED_PATH");
	struct xsd_sockmsg m = { XS_READ, 1, 0, 0 };
	static char junk[65536], big[4000];
	char req[64];
	size_t got = 0, i;
	ssize_t n;
	int fd;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(rand() & 0xff);
	if ((fd = xt_raw_connect(path)) != -1) {
		n = send(fd, junk, sizeof(junk), MSG_NOSIGNAL);
		close(fd);
	}
	xt_check(t, xt_is(t->xs, "/xt/tx/a", "2"), "hvsim survives 64 KiB "
	    "of random bytes");
	memset(big, 'b', sizeof(big));
	xs_write(t->xs, XBT_NULL, "/xt/big", big, sizeof(big));
	m.len = (uint32_t)strlen("/xt/big") + 1;
	memcpy(req, &m, sizeof(m));
	memcpy(req + sizeof(m), "/xt/big", m.len);
	fd = xt_raw_connect(path);
	for (i = 0; fd != -1 && i < 2000; i++)
		if (send(fd, req, sizeof(m) + m.len, MSG_NOSIGNAL) < 0)
			break;
	while (fd != -1 && (n = recv(fd, junk, sizeof(junk), 0)) > 0)
		got += (size_t)n;
	if (fd != -1)
		close(fd);
	xt_check(t, fd != -1 && got < 2000 * (sizeof(m) + sizeof(big)),
	    "a client that never reads is cut off before 8 MB of replies");
	xt_check(t, xt_is(t->xs, "/xt/tx/a", "2"), "and hvsim still serves");
}

int
main(int argc, char **argv)
{
	struct xt t = { 0 };

	if (argc != 3) {
		fprintf(stderr, "usage: xsclient-test HVSIMCTL RUNDIR\n");
		return 2;
	}
	t.hvsimctl = argv[1];
	t.rundir = argv[2];
	t.xs = xs_open(0);
	xt_check(&t, t.xs != NULL, "xs_open");
	if (t.xs == NULL)
		return 1;
	xt_basic(&t);
	xt_directory(&t);
	xt_watches(&t);
	xt_transactions(&t);
	xt_domains(&t);
	xt_target(&t);
	xt_owner(&t);
	xt_raw(&t);
	xt_limits(&t);
	xt_hostile(&t);
	xs_close(t.xs);
	printf("1..%d\n", t.n);
	return t.failed;
}
