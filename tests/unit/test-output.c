/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests of stubdmctl's escaping of untrusted text (ctl_safe). */
#include <stdlib.h>
#include <string.h>

#include "stubdmctl/stubdmctl.h"
#include "tests/unit/unit.h"

/* ctl_safe(in) is exactly want. */
static int
safe_is(const char *in, const char *want)
{
	char *got = ctl_safe(in);
	int ok = got != NULL && strcmp(got, want) == 0;

	if (!ok)
		printf("# ctl_safe: got \"%s\", want \"%s\"\n",
		    got != NULL ? got : "(null)", want);
	free(got);
	return ok;
}

int
main(void)
{
	CHECK(safe_is("web-1 ok", "web-1 ok"), "plain ASCII stays");
	CHECK(safe_is("\x01" "a\tb\nc\x1b[31m\x1f", "\\x01a\\x09b\\x0ac\\x1b"
	    "[31m\\x1f"), "C0 controls become \\xHH");
	CHECK(safe_is("a\x7f" "b", "a\\x7fb"), "DEL becomes \\x7f");
	CHECK(safe_is("\xc2\x80" "x\xc2\x85" "y\xc2\x9b" "31m\xc2\x9f",
	    "\\u0080x\\u0085y\\u009b31m\\u009f"),
	    "C1 controls (UTF-8 U+0080..U+009F) become \\u00HH");
	CHECK(safe_is("\xc2\xa0" "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac "
	    "\xf0\x9f\x90\xa7", "\xc2\xa0" "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c"
	    "\xac \xf0\x9f\x90\xa7"),
	    "valid multibyte text (U+00A0, e-acute, CJK, U+1F427) stays");
	CHECK(safe_is("a\xff" "b\xfe\x80", "a\\xffb\\xfe\\x80"),
	    "bytes that never start UTF-8 become \\xHH");
	CHECK(safe_is("\xc0\x8a\xe0\x80\x9b\xf0\x80\x80\x9b",
	    "\\xc0\\x8a\\xe0\\x80\\x9b\\xf0\\x80\\x80\\x9b"),
	    "overlong forms (of LF, ESC) are invalid, escaped byte by byte");
	CHECK(safe_is("\xed\xa0\x80\xf4\x90\x80\x80",
	    "\\xed\\xa0\\x80\\xf4\\x90\\x80\\x80"),
	    "surrogates and code points past U+10FFFF are invalid");
	CHECK(safe_is("ab\xc3", "ab\\xc3") && safe_is("\xe6\x97", "\\xe6\\x97")
	    && safe_is("\xe6" "a", "\\xe6" "a"),
	    "a truncated sequence is escaped, what follows kept");
	CHECK(safe_is("a\\x1b", "a\\\\x1b"),
	    "a backslash is doubled: an escape cannot be forged");
	CHECK(safe_is("", ""), "empty stays empty");
	return unit_done();
}
