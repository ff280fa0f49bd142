/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests of the backends' shared helpers (stubdmd/hv.c). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stubdmd/hv.h"
#include "tests/unit/unit.h"

/* last_is(TEXT, N, WANT): hv_console_last_lines of a copy of TEXT is WANT. */
static int
last_is(const char *text, unsigned lines, const char *want)
{
	char *buf = strdup(text);
	int same = buf != NULL &&
	    strcmp(hv_console_last_lines(buf, lines), want) == 0;

	if (buf != NULL && !same)
		printf("# got \"%s\"\n", buf);
	free(buf);
	return same;
}

static void
test_last_lines(void)
{
	CHECK(last_is("a\nb\nc\n", 2, "b\nc"), "the last two lines");
	CHECK(last_is("a\r\nb\r\nc\r\n", 2, "b\nc"),
	    "CR LF lines, without their CRs");
	CHECK(last_is("a\nb\n\n\n", 5, "a\nb"), "trailing newlines dropped");
	CHECK(last_is("one line", 3, "one line"), "fewer lines than asked");
	CHECK(last_is("a\nb", 0, ""), "no lines asked, none given");
	CHECK(last_is("", 3, ""), "an empty console");
	CHECK(last_is("\r\r\r", 3, ""), "only CRs");
	CHECK(last_is("x\x01y\tz\x7f\n\xff", 2, "x?y z?\n?"),
	    "made printable, tabs as spaces");
}

/* A console of CRs only, 16 KiB (what is read of one): one pass, so it
 * takes microseconds, not the quadratic seconds of a memmove per CR. */
static void
test_last_lines_linear(void)
{
	size_t n = 16384, i;
	char *buf = malloc(n + 1);
	struct timespec a, b;
	double ms;

	if (buf == NULL)
		return;
	for (i = 0; i < n; i++)
		buf[i] = i % 2 ? '\n' : '\r';
	buf[n] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &a);
	hv_console_last_lines(buf, 20);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (double)(b.tv_sec - a.tv_sec) * 1e3 +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	printf("# 16 KiB of CR LF pairs: %.3f ms\n", ms);
	CHECK(buf[0] == '\0', "16 KiB of empty CR LF lines give nothing");
	free(buf);
}

int
main(void)
{
	test_last_lines();
	test_last_lines_linear();
	return unit_done();
}
