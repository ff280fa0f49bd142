/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: every parser the daemon applies to a value read from
 * xenstore, where a guest or its stub domain may have written it.  The
 * first byte picks the parser, the rest is the value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "stubdmd/guest.h"
#include "stubdmd/hv.h"
#include "stubdmd/log.h"
#include "stubdmd/persist.h"
#include "stubdmd/policy.h"
#include "stubdmd/spawn.h"
#include "stubdmd/xstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct policy *fuzz_policy;

static void
fuzz_setup(void)
{
	char path[64], kernel[64];
	struct policy_diag diag = { 0 };
	FILE *f;

	snprintf(kernel, sizeof(kernel), "/tmp/stubdm-fuzz-xs.%d.kernel",
	    (int)getpid());
	snprintf(path, sizeof(path), "/tmp/stubdm-fuzz-xs.%d.ini",
	    (int)getpid());
	if ((f = fopen(kernel, "w")) == NULL || fclose(f) != 0 ||
	    (f = fopen(path, "w")) == NULL)
		abort();
	fprintf(f, "[defaults]\nkernel = %s\nramdisk =\n"
	    "serial = file:/var/log/stubdm/%%n.serial\n"
	    "[guest \"web*\"]\nmemory = 64\n[guest \"*;*\"]\n"
	    "stubdom = no\n", kernel);
	if (fclose(f) != 0 || policy_load(path, &fuzz_policy, &diag) < 0)
		abort();
	policy_diag_free(&diag);
	unlink(path);
	unlink(kernel);
}

/* A record read back from <state_path>/guests/<domid>. */
static void
fuzz_record(const char *v)
{
	char a[PERSIST_RECORD_MAX], b[PERSIST_RECORD_MAX];
	struct guest g, h;

	guest_init(&g, 1, "g", NULL, NULL);
	guest_init(&h, 1, "g", NULL, NULL);
	if (persist_decode(&g, v) == 0 &&
	    persist_encode(&g, a, sizeof(a)) == 0) {
		/* What was accepted must survive a round trip unchanged. */
		if (persist_decode(&h, a) < 0 ||
		    persist_encode(&h, b, sizeof(b)) < 0 || strcmp(a, b) != 0)
			abort();
	}
	guest_release(&g);
	guest_release(&h);
}

static void
fuzz_vm_path(const char *v)
{
	char path[256];
	int n;

	if (!spawn_vm_path_ok(v))
		return;
	n = snprintf(path, sizeof(path), "%s/image/dm-argv/%03d", v, 255);
	if (strncmp(v, "/vm/", 4) != 0 || n < 0 || (size_t)n >= sizeof(path) ||
	    strpbrk(v, " .\"'\\$;\n") != NULL)
		abort();
}

static void
fuzz_uint(const char *v)
{
	unsigned long x;
	uint32_t d;

	if (xstore_parse_uint(v, 0x7fff, &x) == 0 && x > 0x7fff)
		abort();
	if (xstore_parse_uint(v, 1UL << 40, &x) == 0 && x > 1UL << 40)
		abort();
	if (persist_parse_domid(v, 0x7ff0, &d) == 0 && (d == 0 || d >= 0x7ff0))
		abort();
}

/*
 * A guest's name: quoted in logs, matched against the policy, the stub's,
 * part of its serial file's name only where it cannot leave the directory.
 */
static void
fuzz_name(const char *v)
{
	static const char dir[] = "file:/var/log/stubdm/";
	char quoted[200], why[256];
	struct spawn_names names;
	struct hv_stub_spec spec;
	struct guest g;
	size_t i;

	log_quote(quoted, sizeof(quoted), v);
	for (i = 0; quoted[i] != '\0'; i++)
		if (quoted[i] < 0x20 || quoted[i] == 0x7f || quoted[i] == '"')
			abort();
	guest_init(&g, 5, v, "8a6c1b1e-0000-4000-8000-000000000001",
	    policy_match(fuzz_policy, v, NULL, NULL));
	snprintf(g.stub_uuid, sizeof(g.stub_uuid), "%s",
	    "8a6c1b1e-0000-4000-8000-000000000002");
	if (g.name != NULL && spawn_spec(&g, NULL, &spec, &names, why,
	    sizeof(why)) == 0) {
		if (strlen(spec.name) != strlen(v) + strlen(SPAWN_NAME_SUFFIX))
			abort();
		if (strncmp(spec.serial, dir, strlen(dir)) != 0 ||
		    strchr(spec.serial + strlen(dir), '/') != NULL ||
		    spec.serial[strlen(dir)] == '.')
			abort();
	}
	guest_release(&g);
}

static void
fuzz_uuid(const char *v)
{
	char back[37];
	uint8_t u[16];

	if (hv_uuid_parse(v, u) == 0) {
		hv_uuid_format(u, back);
		if (strcasecmp(back, v) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const parsers[])(const char *) = {
		fuzz_record, fuzz_vm_path, fuzz_uint, fuzz_name, fuzz_uuid,
	};
	char *v;

	if (fuzz_policy == NULL)
		fuzz_setup();
	if (size == 0 || (v = strndup((const char *)data + 1, size - 1)) ==
	    NULL)
		return 0;
	parsers[data[0] % (sizeof(parsers) / sizeof(parsers[0]))](v);
	free(v);
	return 0;
}
