/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: the QMP client (stubdmd/qmp.c) reading what a device
 * model sends, the least trusted input stubdmd has.  The first byte
 * splits the rest into two reads at any point (a message may arrive in
 * pieces).  The client answers each reply with the next command, a
 * query-status or (every other one) a command with arguments, as a
 * CD-ROM change sends.  Oracles: ready comes once and before any reply;
 * there is never a reply without a command in flight; an error's kept
 * description is printable and shorter than QMP_DESC_MAX; nothing after
 * closed, which comes once.
 */
#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stubdmd/qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_qmp {
	struct qmp	*q;
	unsigned	 ready;
	unsigned	 sent;		/* commands accepted by qmp_command */
	unsigned	 replies;
	unsigned	 closed;
};

static void
fuzz_send(struct fuzz_qmp *f)
{
	json_t *args = json_pack("{s:s, s:b}", "id", "ide-5632", "force", 1);
	int rc;

	/* Refused once the output cap is reached: no more commands then. */
	rc = f->sent % 2 == 0 || args == NULL ?
	    qmp_command(f->q, "query-status") :
	    qmp_command_args(f->q, "eject", args);
	if (rc == 0)
		f->sent++;
	json_decref(args);
}

static void
fuzz_on_ready(void *arg)
{
	struct fuzz_qmp *f = arg;

	if (f->closed || f->ready++ > 0)
		abort();
	fuzz_send(f);
}

static void
fuzz_on_reply(void *arg, json_t *ret, const char *error)
{
	struct fuzz_qmp *f = arg;

	const char *d = qmp_error_desc(f->q);
	size_t i;

	if (f->closed || !f->ready || ++f->replies > f->sent ||
	    (ret == NULL) == (error == NULL) || strlen(d) >= QMP_DESC_MAX)
		abort();
	for (i = 0; d[i] != '\0'; i++)
		if ((unsigned char)d[i] < 0x20 || (unsigned char)d[i] >= 0x7f)
			abort();
	fuzz_send(f);
}

static void
fuzz_on_closed(void *arg, bool bad, const char *why)
{
	struct fuzz_qmp *f = arg;

	if (f->closed++ > 0 || why == NULL)
		abort();
}

static const struct qmp_ops fuzz_ops = {
	.ready = fuzz_on_ready,
	.reply = fuzz_on_reply,
	.closed = fuzz_on_closed,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct event_base *base;
	struct fuzz_qmp f = { 0 };
	size_t cut;

	if (size < 1)
		return 0;
	if (base == NULL && (base = event_base_new()) == NULL)
		abort();
	if ((f.q = qmp_new(base, -1, &fuzz_ops, &f)) == NULL)
		abort();
	cut = size > 1 ? data[0] % size : 0;
	data++;
	size--;
	cut = cut > size ? size : cut;
	qmp_feed(f.q, data, cut);
	qmp_feed(f.q, data + cut, size - cut);
	if (f.closed && f.ready && f.replies > f.sent)
		abort();
	qmp_free(f.q);
	/* libevent finalizes a freed bufferevent from the loop. */
	event_base_loop(base, EVLOOP_NONBLOCK);
	return 0;
}
