/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: policy parsing and validation (stubdmd -n -g).  The
 * input is a policy file; after a NUL, a guest name to show the settings
 * of.  The file is written 0644 so that the owner check lets it through.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stubdmd/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_path[64];
static FILE *fuzz_null;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t len = nul != NULL ? (size_t)(nul - data) : size;
	char *guest = NULL;
	FILE *f;

	if (fuzz_null == NULL) {
		snprintf(fuzz_path, sizeof(fuzz_path),
		    "/tmp/stubdm-fuzz-policy.%d.ini", (int)getpid());
		if ((fuzz_null = fopen("/dev/null", "w")) == NULL)
			abort();
	}
	if ((f = fopen(fuzz_path, "w")) == NULL)
		abort();
	if (fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
	if (nul != NULL && (guest = strndup((const char *)nul + 1,
	    size - len - 1)) == NULL)
		abort();
	policy_check_main(fuzz_path, guest, fuzz_null, fuzz_null);
	free(guest);
	return 0;
}
