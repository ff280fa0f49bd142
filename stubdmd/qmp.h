/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A QMP client (QEMU's machine protocol) on one stream: the greeting,
 * qmp_capabilities, then one command at a time with an id, its reply
 * matched by that id, asynchronous events counted and skipped.  No Xen in
 * it: the transport is any connected stream socket (hv.h's dm_connect),
 * so the fuzz target feeds it bytes directly (qmp_feed).
 *
 * Everything the device model sends is untrusted: a message is one line
 * of at most QMP_LINE_MAX bytes, one JSON object of a known shape; at most
 * QMP_EVENTS_MAX events may come between two replies; anything else ends
 * the connection (closed() says why) and never blocks the daemon.
 */
#ifndef STUBDMD_QMP_H
#define STUBDMD_QMP_H

#include <jansson.h>
#include <stdint.h>
#include <stddef.h>

#define QMP_LINE_MAX	65536	/* one message, without its newline */
#define QMP_EVENTS_MAX	64	/* events between two replies */
#define QMP_OUT_MAX	4096	/* our own output not yet sent */
#define QMP_DESC_MAX	160	/* an error's description kept */

struct event_base;
struct qmp;

struct qmp_ops {
	/* Capabilities negotiated: qmp_command may be called. */
	void	(*ready)(void *arg);
	/*
	 * The reply to the command in flight: ret (borrowed; the "return"
	 * member), or error (QMP's error class, borrowed) and ret NULL.
	 */
	void	(*reply)(void *arg, json_t *ret, const char *error);
	/*
	 * The connection is over (the peer closed it, an I/O error, or it
	 * broke the protocol: bad is then true); why is for the log.  The
	 * caller frees q with qmp_free, from this callback if it likes.
	 */
	void	(*closed)(void *arg, bool bad, const char *why);
};

/*
 * A client on fd (connected or connecting; the qmp owns it from now on,
 * -1: no transport, input only through qmp_feed).  NULL: no memory.
 */
struct qmp *qmp_new(struct event_base *base, int fd,
	    const struct qmp_ops *ops, void *arg);
void	qmp_free(struct qmp *q);
/*
 * Send {"execute": cmd, "id": N}.  -EBUSY: a command is in flight;
 * -ENOTCONN: capabilities not negotiated yet (or the connection is over).
 */
int	qmp_command(struct qmp *q, const char *cmd);
/* The same with "arguments": args (an object, borrowed; NULL: none). */
int	qmp_command_args(struct qmp *q, const char *cmd, json_t *args);
/*
 * The "desc" of the last error reply, printable ('?' for anything else)
 * and cut to QMP_DESC_MAX - 1 bytes; "" if it had none.  Valid in reply().
 */
const char *qmp_error_desc(const struct qmp *q);
/* Asynchronous events seen, all time. */
uint64_t qmp_events(const struct qmp *q);
/* Bytes as if they had been read from the device model (the fuzz target). */
void	qmp_feed(struct qmp *q, const void *buf, size_t len);

#endif
