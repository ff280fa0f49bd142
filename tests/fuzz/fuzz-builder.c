/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: the builder protocol's decoders (stubdmd/builder.c).
 * Replies come from the builder process, which links libxenlight and is
 * less trusted than the daemon; requests are what the builder reads.  The
 * first byte picks the decoder, the rest is one message.  Whatever decodes
 * must encode again and decode to the same; a reply answers only the
 * request whose id it carries, with what that request asks for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stubdmd/builder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a builder with request (its own id, op) in hand may answer. */
static void
fuzz_reply_check(const char *buf, size_t len, const struct builder_reply *r)
{
	static const enum builder_op ops[] = { BUILDER_BUILD,
	    BUILDER_DESTROY, BUILDER_ATTACH };
	struct builder_reply c;
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (builder_reply_check(r->id + 1, ops[i], buf, len, &c) == 0)
			abort();	/* another request's answer */
		if (builder_reply_check(r->id, ops[i], buf, len, &c) == 0 &&
		    c.err == 0 && (c.domid != 0) != (ops[i] != BUILDER_DESTROY))
			abort();
	}
}

static void
fuzz_reply(const char *buf, size_t len)
{
	struct builder_reply r, back;
	char *msg = NULL;
	size_t n;

	if (builder_reply_decode(buf, len, &r) < 0)
		return;
	fuzz_reply_check(buf, len, &r);
	if (r.id == 0 || r.err > 0 || r.err < -4095 || (r.err == 0 &&
	    r.why[0] != '\0') || r.domid >= BUILDER_DOMID_MAX)
		abort();
	if (builder_reply_encode(&r, &msg, &n) < 0 ||
	    builder_reply_decode(msg, n, &back) < 0 || back.id != r.id ||
	    back.err != r.err || back.domid != r.domid ||
	    strcmp(back.why, r.why) != 0)
		abort();
	free(msg);
}

static void
fuzz_request(const char *buf, size_t len)
{
	struct builder_req req, back;
	char *msg = NULL;
	size_t n;

	if (builder_req_decode(buf, len, &req) < 0)
		return;
	if (builder_req_encode(&req, &msg, &n) < 0 ||
	    builder_req_decode(msg, n, &back) < 0 || back.id != req.id ||
	    back.op != req.op || back.domid != req.domid)
		abort();
	if (req.op != BUILDER_DESTROY && (strcmp(back.spec.name,
	    req.spec.name) != 0 || strcmp(back.spec.cmdline,
	    req.spec.cmdline) != 0 || memcmp(back.spec.uuid, req.spec.uuid,
	    16) != 0 || back.spec.vcpus != req.spec.vcpus))
		abort();
	builder_req_free(&back);
	builder_req_free(&req);
	free(msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_request((const char *)data + 1, size - 1);
	else
		fuzz_reply((const char *)data + 1, size - 1);
	return 0;
}
