/* SPDX-License-Identifier: GPL-2.0-only */
/* Percent-encoded words of the control protocol (see word.h). */
#include <errno.h>
#include <string.h>

#include "tests/hvsim/word.h"

static int
word_safe(unsigned char c)
{
	static const char safe[] = "._/:@=,+-*?[]~";

	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr(safe, c) != NULL);
}

int
word_encode(char *out, size_t size, const char *w)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (size < 2)
		return -ENOSPC;
	if (*w == '\0') {
		strcpy(out, "%");	/* an empty word is a lone '%' */
		return 0;
	}
	for (; *w != '\0'; w++) {
		unsigned char c = (unsigned char)*w;

		if (o + 4 > size)
			return -ENOSPC;
		if (word_safe(c)) {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '%';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	out[o] = '\0';
	return 0;
}

static int
word_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode one word in place; a %00 or a broken escape is refused. */
static int
word_decode(char *w)
{
	char *o = w;
	int hi, lo;

	if (strcmp(w, "%") == 0) {
		*w = '\0';
		return 0;
	}
	for (; *w != '\0'; w++) {
		if (*w != '%') {
			*o++ = *w;
			continue;
		}
		if ((hi = word_hex(w[1])) < 0 || (lo = word_hex(w[2])) < 0 ||
		    (hi | lo) == 0)
			return -EINVAL;
		*o++ = (char)(hi << 4 | lo);
		w += 2;
	}
	*o = '\0';
	return 0;
}

int
word_split(char *line, char **words, size_t max)
{
	size_t n = 0;
	char *w;
	int rc;

	if (*line == '\0')
		return 0;
	while ((w = strsep(&line, " ")) != NULL) {
		if (n == max)
			return -E2BIG;
		if (*w == '\0' || (rc = word_decode(w)) < 0)
			return -EINVAL;	/* "a  b": not single spaces */
		words[n++] = w;
	}
	return (int)n;
}
