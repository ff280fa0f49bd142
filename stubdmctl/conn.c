/* SPDX-License-Identifier: GPL-2.0-only */
/* The client side of the control protocol: connect, call, read replies. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <ini.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "stubdmctl/stubdmctl.h"
#include "stubdmd/proto.h"

#define CTL_TIMEOUT_MS	30000	/* for a reply to an ordinary call */
#define CTL_READ_MIN	65536

static int
ctl_policy_on_value(void *arg, const char *section, const char *name,
    const char *value)
{
	struct ctl *ctl = arg;

	if (strcmp(section, "global") != 0 ||
	    strcmp(name, "control_socket") != 0)
		return 1;
	if (strlen(value) < sizeof(ctl->policy_socket))
		memcpy(ctl->policy_socket, value, strlen(value) + 1);
	else
		ctl->policy_socket[0] = '\0';	/* stubdmd refuses it too */
	return 1;
}

/*
 * The policy's control_socket into ctl->policy_socket ("" if none).  Only
 * from a policy stubdmd would load (root's, writable by root alone): no
 * one else may point root's stubdmctl at a socket of theirs.
 */
static void
ctl_policy_socket(struct ctl *ctl)
{
	struct stat st;
	FILE *f;

	ctl->policy_socket[0] = '\0';
	if (ctl->policy == NULL || (f = fopen(ctl->policy, "re")) == NULL)
		return;
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == 0 && !(st.st_mode & S_IWOTH) &&
	    !((st.st_mode & S_IWGRP) && st.st_gid != 0))
		ini_parse_file(f, ctl_policy_on_value, ctl);
	fclose(f);
	if (ctl->policy_socket[0] != '/')
		ctl->policy_socket[0] = '\0';
}

static int
ctl_connect_to(struct ctl *ctl, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int rc;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -errno;
	if (connect(ctl->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return 0;
	rc = -errno;
	ctl_close(ctl);
	return rc;
}

/*
 * Without -S: the default socket, else (none there, or a stale one) the
 * one the policy names, as the daemon listens where its policy says when
 * it was started (systemd's ExecReload relies on this).
 */
int
ctl_connect(struct ctl *ctl)
{
	int rc;

	if (ctl->fd != -1)
		return 0;
	rc = ctl_connect_to(ctl, ctl->socket);
	if (ctl->socket_given || (rc != -ENOENT && rc != -ECONNREFUSED))
		return rc;
	ctl_policy_socket(ctl);
	if (ctl->policy_socket[0] == '\0' ||
	    strcmp(ctl->policy_socket, ctl->socket) == 0)
		return rc;
	ctl->socket = ctl->policy_socket;	/* for messages, and again */
	return ctl_connect_to(ctl, ctl->socket);
}

void
ctl_close(struct ctl *ctl)
{
	if (ctl->fd != -1)
		close(ctl->fd);
	ctl->fd = -1;
	free(ctl->buf);
	ctl->buf = NULL;
	ctl->len = ctl->cap = ctl->scanned = 0;
}

/* Say why the daemon cannot be talked to; the exit code for it. */
static int
ctl_io_error(struct ctl *ctl, int err)
{
	static const struct {
		int		 err;
		const char	*text;
	} texts[] = {
		{ -ECONNRESET, "stubdmd closed the connection" },
		{ -EMSGSIZE, "reply larger than the 16 MiB limit" },
		{ -EBADMSG, "malformed reply" },
		{ -ETIMEDOUT, "no reply within 30 s" },
	};
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i].err == err)
			break;
	fprintf(stderr, "stubdmctl: %s: %s\n", ctl->socket,
	    i < sizeof(texts) / sizeof(texts[0]) ? texts[i].text :
	    strerror(-err));
	ctl_close(ctl);
	return CTL_ECONNECT;
}

static int
ctl_write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return errno == EPIPE ? -ECONNRESET : -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
ctl_send(struct ctl *ctl, const char *method, json_t *params, bool more)
{
	json_t *msg;
	char *s = NULL;
	int rc = -ENOMEM;

	msg = json_pack("{s:s, s:o}", "method", method, "parameters",
	    params != NULL ? params : json_object());
	if (msg != NULL && more)
		json_object_set_new(msg, "more", json_true());
	if (msg == NULL || (s = json_dumps(msg, JSON_COMPACT)) == NULL)
		goto out;
	rc = ctl_write_all(ctl->fd, s, strlen(s) + 1);
out:
	free(s);
	json_decref(msg);
	return rc;
}

/* Read more of the stream; a reply is capped before the buffer grows. */
static int
ctl_fill(struct ctl *ctl, int timeout_ms)
{
	struct pollfd pfd = { ctl->fd, POLLIN, 0 };
	size_t cap;
	ssize_t n;
	char *b;

	if (ctl->len > PROTO_REPLY_MAX)
		return -EMSGSIZE;
	if (ctl->cap - ctl->len < CTL_READ_MIN / 4) {
		cap = ctl->cap < CTL_READ_MIN ? CTL_READ_MIN : ctl->cap * 2;
		if (cap > PROTO_REPLY_MAX + 1)
			cap = PROTO_REPLY_MAX + 1;
		if ((b = realloc(ctl->buf, cap)) == NULL)
			return -ENOMEM;
		ctl->buf = b;
		ctl->cap = cap;
	}
	while ((n = poll(&pfd, 1, timeout_ms)) == -1 && errno == EINTR)
		;
	if (n <= 0)
		return n == 0 ? -ETIMEDOUT : -errno;
	while ((n = read(ctl->fd, ctl->buf + ctl->len, ctl->cap - ctl->len))
	    == -1 && errno == EINTR)
		;
	if (n <= 0)
		return n == 0 ? -ECONNRESET : -errno;
	ctl->len += (size_t)n;
	return 0;
}

/* The next message: 0 and *out (an object), or -errno. */
static int
ctl_recv(struct ctl *ctl, int timeout_ms, json_t **out)
{
	char *nul = NULL;
	size_t used;
	int rc;

	while (ctl->buf == NULL || (nul = memchr(ctl->buf + ctl->scanned,
	    '\0', ctl->len - ctl->scanned)) == NULL) {
		ctl->scanned = ctl->len;
		if ((rc = ctl_fill(ctl, timeout_ms)) < 0)
			return rc;
	}
	*out = json_loadb(ctl->buf, (size_t)(nul - ctl->buf), 0, NULL);
	used = (size_t)(nul - ctl->buf) + 1;
	memmove(ctl->buf, ctl->buf + used, ctl->len - used);
	ctl->len -= used;
	ctl->scanned = 0;
	if (*out != NULL && json_is_object(*out))
		return 0;
	json_decref(*out);
	*out = NULL;
	return -EBADMSG;
}

/* Split a reply: CTL_OK and *params, or CTL_EDAEMON (error printed). */
static int
ctl_reply(struct ctl *ctl, json_t *msg, json_t **params)
{
	json_t *err = json_object_get(msg, "error");
	json_t *p = json_object_get(msg, "parameters");

	if (json_is_string(err)) {
		if (ctl->json)
			ctl_print_json(msg);
		ctl_error_print(json_string_value(err), p);
		json_decref(msg);
		return CTL_EDAEMON;
	}
	*params = json_is_object(p) ? json_incref(p) : json_object();
	json_decref(msg);
	return CTL_OK;
}

static int
ctl_open(struct ctl *ctl)
{
	int rc;

	if ((rc = ctl_connect(ctl)) == 0)
		return CTL_OK;
	fprintf(stderr, "stubdmctl: cannot connect to %s: %s\n", ctl->socket,
	    strerror(-rc));
	return CTL_ECONNECT;
}

int
ctl_call(struct ctl *ctl, const char *method, json_t *params, json_t **reply)
{
	json_t *msg;
	int rc;

	*reply = NULL;
	if ((rc = ctl_open(ctl)) != CTL_OK) {
		json_decref(params);
		return rc;
	}
	/*
	 * A connection over a limit is sent io.stubdm.TooManyConnections and
	 * closed at once, maybe before the call is written: read it anyway.
	 */
	if ((rc = ctl_send(ctl, method, params, false)) < 0 &&
	    rc != -ECONNRESET)
		return ctl_io_error(ctl, rc);
	if ((rc = ctl_recv(ctl, CTL_TIMEOUT_MS, &msg)) < 0)
		return ctl_io_error(ctl, rc);
	return ctl_reply(ctl, msg, reply);
}

int
ctl_call_more(struct ctl *ctl, const char *method, json_t *params)
{
	int rc;

	if ((rc = ctl_open(ctl)) != CTL_OK) {
		json_decref(params);
		return rc;
	}
	/* As in ctl_call: ctl_next reads a refusal sent before the call. */
	if ((rc = ctl_send(ctl, method, params, true)) < 0 &&
	    rc != -ECONNRESET)
		return ctl_io_error(ctl, rc);
	return CTL_OK;
}

/* The next reply of a streaming call; waits as long as it takes. */
int
ctl_next(struct ctl *ctl, json_t **reply, bool *continues)
{
	json_t *msg;
	int rc;

	*reply = NULL;
	if ((rc = ctl_recv(ctl, -1, &msg)) < 0)
		return ctl_io_error(ctl, rc);
	*continues = json_is_true(json_object_get(msg, "continues"));
	return ctl_reply(ctl, msg, reply);
}
