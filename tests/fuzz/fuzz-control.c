/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: control-socket decoding and dispatch.  One input is
 * what one client sends (NUL-framed JSON calls); the first byte picks
 * whether that client is root.  Every method is reachable, Reload too.
 */
#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stubdmd/control.h"
#include "stubdmd/hv.h"
#include "stubdmd/log.h"
#include "stubdmd/policy.h"
#include "stubdmd/stubdmd.h"
#include "stubdmd/super.h"
#include "stubdmd/xstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct hv_ops fuzz_hv_ops = { .name = "fuzz" };
static struct hv fuzz_hv = { .ops = &fuzz_hv_ops };
static struct stubdmd fuzz_sd;
static char fuzz_dir[] = "/tmp/stubdm-fuzz-control.XXXXXX";

/* stubdmd.c's, without the service notifications. */
int
stubdmd_reload(struct stubdmd *sd, struct policy_diag *out)
{
	struct policy_diag diag = { 0 };
	struct policy *p = NULL;
	int rc;

	if ((rc = policy_load(sd->opts.policy_path, &p, &diag)) >= 0) {
		super_set_policy(sd->super, p);
		policy_free(sd->policy);
		sd->policy = p;
		sd->reloads++;
	} else
		sd->reload_failures++;
	if (out != NULL)
		*out = diag;
	else
		policy_diag_free(&diag);
	return rc;
}

static void
fuzz_setup(void)
{
	static char pol[64], sock[64], kernel[64];
	static const struct xstore_hooks hooks = { NULL, NULL, NULL, 0 };
	struct policy_diag diag = { 0 };
	FILE *f;

	if (mkdtemp(fuzz_dir) == NULL)
		abort();
	snprintf(pol, sizeof(pol), "%s/policy.ini", fuzz_dir);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", fuzz_dir);
	snprintf(kernel, sizeof(kernel), "%s/kernel", fuzz_dir);
	if ((f = fopen(kernel, "w")) == NULL || fclose(f) != 0 ||
	    (f = fopen(pol, "w")) == NULL)
		abort();
	fprintf(f, "[global]\ncontrol_socket = %s\n[defaults]\nkernel = %s\n"
	    "ramdisk =\n", sock, kernel);
	if (fclose(f) != 0)
		abort();
	log_init("fuzz-control", LOG_LVL_ERROR);
	fuzz_sd.opts.policy_path = pol;
	fuzz_sd.opts.socket_path = sock;
	fuzz_sd.opts.foreground = true;
	if (policy_load(pol, &fuzz_sd.policy, &diag) < 0)
		abort();
	policy_diag_free(&diag);
	fuzz_sd.base = event_base_new();
	fuzz_hv.base = fuzz_sd.base;
	fuzz_sd.hv = &fuzz_hv;
	fuzz_sd.xs = xstore_new(fuzz_sd.base, &hooks);
	fuzz_sd.super = super_new(&fuzz_sd);
	if (fuzz_sd.base == NULL || fuzz_sd.xs == NULL ||
	    fuzz_sd.super == NULL || control_new(&fuzz_sd,
	    &fuzz_sd.control) < 0)
		abort();
}

/* Every reply is one JSON object, NUL-terminated. */
static void
fuzz_check_replies(struct evbuffer *out)
{
	size_t len = evbuffer_get_length(out), n;
	const char *p = (const char *)evbuffer_pullup(out, -1);
	json_t *j;

	while (len > 0) {
		if ((n = strnlen(p, len)) == len)
			abort();
		if ((j = json_loadb(p, n, 0, NULL)) == NULL || !json_is_object(j))
			abort();
		json_decref(j);
		p += n + 1;
		len -= n + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer *out;

	if (fuzz_sd.control == NULL)
		fuzz_setup();
	if (size == 0 || (out = evbuffer_new()) == NULL)
		return 0;
	control_feed(fuzz_sd.control, (data[0] & 1) ? 65534 : 0, data + 1,
	    size - 1, out);
	fuzz_check_replies(out);
	evbuffer_free(out);
	/* libevent finalizes a freed bufferevent (closes its fd) in the loop. */
	event_base_loop(fuzz_sd.base, EVLOOP_NONBLOCK);
	log_set_level(LOG_LVL_ERROR);	/* SetLogLevel may have changed it */
	return 0;
}
