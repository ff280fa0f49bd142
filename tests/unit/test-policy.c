/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests of the policy value parsers and section matching. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stubdmd/policy.h"
#include "tests/unit/unit.h"

static uint64_t
ms(const char *s)
{
	uint64_t v = 12345;

	return policy_parse_duration(s, &v) == 0 ? v : (uint64_t)-1;
}

static unsigned
mib(const char *s)
{
	unsigned v = 12345;

	return policy_parse_size_mib(s, &v) == 0 ? v : (unsigned)-1;
}

static void
test_durations(void)
{
	CHECK(ms("500ms") == 500, "500ms");
	CHECK(ms("30s") == 30000, "30s");
	CHECK(ms("30") == 30000, "a bare number is seconds");
	CHECK(ms("5m") == 300000 && ms("5min") == 300000, "5m, 5min");
	CHECK(ms("2h") == 7200000, "2h");
	CHECK(ms("1d") == 86400000, "1d");
	CHECK(ms("") == (uint64_t)-1, "empty rejected");
	CHECK(ms("-1s") == (uint64_t)-1, "negative rejected");
	CHECK(ms("1.5s") == (uint64_t)-1, "fraction rejected");
	CHECK(ms("10 s") == (uint64_t)-1, "blank before unit rejected");
	CHECK(ms("5x") == (uint64_t)-1, "unknown unit rejected");
	CHECK(ms("99999999999999999999d") == (uint64_t)-1, "overflow rejected");
	CHECK(ms("18446744073709552s") == (uint64_t)-1,
	    "overflow in the unit rejected");
}

static void
test_sizes(void)
{
	CHECK(mib("256") == 256, "a bare number is MiB");
	CHECK(mib("256M") == 256 && mib("256MiB") == 256, "256M, 256MiB");
	CHECK(mib("1G") == 1024 && mib("1GiB") == 1024, "1G");
	CHECK(mib("32768K") == 32 && mib("32768KiB") == 32, "32768K");
	CHECK(mib("1000K") == (unsigned)-1, "not a whole MiB rejected");
	CHECK(mib("1T") == 1024 * 1024, "1T");
	CHECK(mib("2T") == 2 * 1024 * 1024, "2T (the range is the key's)");
	CHECK(mib("2000000T") == (unsigned)-1, "beyond 1 PiB rejected");
	CHECK(mib("12.5M") == (unsigned)-1, "fraction rejected");
	CHECK(mib("M") == (unsigned)-1, "unit alone rejected");
}

static void
free_args(char **argv, size_t n)
{
	while (n > 0)
		free(argv[--n]);
}

static void
test_args(void)
{
	char *argv[8];
	size_t n;
	int rc;

	rc = policy_split_args("  -vga std  -name \"a b\" 'c d'e", argv, 8, &n);
	CHECK(rc == 0 && n == 5, "five words");
	CHECK(n == 5 && strcmp(argv[3], "a b") == 0 &&
	    strcmp(argv[4], "c de") == 0, "quotes keep blanks");
	free_args(argv, n);
	rc = policy_split_args("$(reboot) ; rm -rf /", argv, 8, &n);
	CHECK(rc == 0 && n == 5 && strcmp(argv[0], "$(reboot)") == 0,
	    "shell syntax is just words");
	free_args(argv, n);
	rc = policy_split_args("a b c d e f g h i", argv, 8, &n);
	CHECK(rc < 0, "too many words rejected");
	free_args(argv, n);
	rc = policy_split_args("-name \"open", argv, 8, &n);
	CHECK(rc < 0, "unterminated quote rejected");
	free_args(argv, n);
	rc = policy_split_args("", argv, 8, &n);
	CHECK(rc == 0 && n == 0, "empty: no words");
}

static struct policy *
load(const char *text)
{
	char path[] = "/tmp/stubdm-policy-XXXXXX";
	struct policy_diag d = { 0 };
	struct policy *p = NULL;
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return NULL;
	fchmod(fd, 0644);
	close(fd);
	policy_load(path, &p, &d);
	policy_diag_free(&d);
	unlink(path);
	return p;
}

static void
test_match(void)
{
	struct policy *p = load(
	    "[defaults]\nkernel = /etc/hostname\nramdisk =\nmemory = 40\n"
	    "[guest \"*\"]\nmemory = 41\n"
	    "[guest \"web*\"]\nmemory = 42\n"
	    "[guest \"we?1\"]\nmemory = 43\n"
	    "[guest \"web1\"]\nmemory = 44\n"
	    "[guest \"uuid:00000000-0000-4000-8000-000000000001\"]\n"
	    "memory = 45\n");
	const char *sec = NULL;

	CHECK(p != NULL, "policy loads");
	if (p == NULL)
		return;
	CHECK(policy_match(p, "zz", NULL, &sec)->memory_mib == 41 &&
	    strcmp(sec, "*") == 0, "catch-all glob beats [defaults]");
	CHECK(policy_match(p, "web2", NULL, NULL)->memory_mib == 42,
	    "more literal characters win");
	CHECK(policy_match(p, "wex1", NULL, NULL)->memory_mib == 43,
	    "we?1 for wex1");
	CHECK(policy_match(p, "web1", NULL, NULL)->memory_mib == 44,
	    "an exact name beats every glob");
	CHECK(policy_match(p, "web1", "00000000-0000-4000-8000-000000000001",
	    NULL)->memory_mib == 45, "a UUID beats the name");
	CHECK(policy_match(p, "web1", NULL, NULL)->vcpus == 1,
	    "unset keys are inherited");
	policy_free(p);
	p = load("[defaults]\nkernel = /etc/hostname\nramdisk =\n"
	    "memory = 40\n");
	CHECK(p != NULL && policy_match(p, "x", NULL, &sec)->memory_mib == 40 &&
	    sec == NULL, "no sections: [defaults]");
	policy_free(p);
	CHECK(load("[defaults]\nmemory = lots\n") == NULL,
	    "a bad value rejects the whole policy");
}

/* serial: none, pty or file:/PATH with %n and %%; anything else refused. */
static const char *
serial_of(const char *value)
{
	static char text[512], got[256];
	struct policy *p;

	snprintf(text, sizeof(text), "[defaults]\nkernel = /etc/hostname\n"
	    "ramdisk =\nserial = %s\n", value);
	if ((p = load(text)) == NULL)
		return NULL;
	snprintf(got, sizeof(got), "%s", policy_match(p, "g", NULL,
	    NULL)->serial);
	policy_free(p);
	return got;
}

static void
test_serial(void)
{
	const char *v;

	CHECK((v = serial_of("none")) != NULL && v[0] == '\0',
	    "serial = none: empty");
	CHECK((v = serial_of("pty")) != NULL && strcmp(v, "pty") == 0,
	    "serial = pty");
	CHECK((v = serial_of("file:/var/log/%n-%%.log")) != NULL &&
	    strcmp(v, "file:/var/log/%n-%%.log") == 0,
	    "serial = file: kept as written (expanded per guest)");
	CHECK(serial_of("file:rel/x") == NULL, "a relative path refused");
	CHECK(serial_of("tcp:1.2.3.4:5") == NULL, "other chardevs refused");
	CHECK(serial_of("file:/x/%d") == NULL, "only %n and %% expand");
	CHECK(serial_of("file:/x/%") == NULL, "a lone % refused");
	CHECK(serial_of("/tmp/x") == NULL, "a bare path refused");
}

int
main(void)
{
	test_durations();
	test_sizes();
	test_args();
	test_match();
	test_serial();
	return unit_done();
}
