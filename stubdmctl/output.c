/* SPDX-License-Identifier: GPL-2.0-only */
/* Output for people (aligned tables, "key: value") and for scripts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stubdmctl/stubdmctl.h"

/*
 * The code point of the well-formed UTF-8 sequence at s (RFC 3629: no
 * overlong form, no surrogate, nothing past U+10FFFF) and its length; 0
 * if s does not start one.
 */
static size_t
ctl_utf8(const unsigned char *s, uint32_t *cp)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t n, i;

	if (s[0] < 0x80)
		n = 1;
	else if (s[0] >= 0xc0 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	*cp = n == 1 ? s[0] : s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if (*cp < min[n] || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * Guest names, reasons and console lines are untrusted: a terminal must
 * see no control character.  C0 and DEL become \xHH, C1 (U+0080-U+009F)
 * \u00HH, each byte of invalid UTF-8 \xHH, and a backslash \\ so that no
 * escape can be forged; valid UTF-8 text stays as it is.
 */
char *
ctl_safe(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), o = 0, n;
	uint32_t cp = 0;
	char *out;

	/* The longest expansion: one byte to 4 ("\xff"), 2 to 6 ("\u0085"). */
	if (len > (SIZE_MAX - 1) / 4 || (out = malloc(len * 4 + 1)) == NULL)
		return NULL;
	while (*p != '\0') {
		n = ctl_utf8(p, &cp);
		if (n == 0 || cp < 0x20 || cp == 0x7f)
			o += (size_t)sprintf(out + o, "\\x%02x", *p);
		else if (cp >= 0x80 && cp <= 0x9f)
			o += (size_t)sprintf(out + o, "\\u%04x", (unsigned)cp);
		else if (cp == '\\')
			o += (size_t)sprintf(out + o, "\\\\");
		else {
			memcpy(out + o, p, n);
			o += n;
		}
		p += n != 0 ? n : 1;
	}
	out[o] = '\0';
	return out;
}

/* An array for people: its items, comma-separated; "-" when empty. */
static char *
ctl_text_list(json_t *a)
{
	char *s = NULL, *item, *joined;
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v) {
		item = ctl_text(v);
		if (asprintf(&joined, "%s%s%s", s != NULL ? s : "",
		    s != NULL ? ", " : "", item != NULL ? item : "?") < 0)
			joined = NULL;
		free(item);
		free(s);
		if ((s = joined) == NULL)
			return NULL;
	}
	return s != NULL ? s : strdup("-");
}

char *
ctl_text(json_t *v)
{
	char *s = NULL, *safe;

	if (v == NULL)
		return NULL;
	if (json_is_string(v))
		return ctl_safe(json_string_value(v));
	if (json_is_null(v))
		return strdup("-");
	if (json_is_boolean(v))
		return strdup(json_is_true(v) ? "yes" : "no");
	if (json_is_array(v))
		return ctl_text_list(v);
	if (json_is_integer(v) && asprintf(&s, "%lld",
	    (long long)json_integer_value(v)) < 0)
		return NULL;
	if (s == NULL && (s = json_dumps(v, JSON_COMPACT |
	    JSON_ENCODE_ANY)) == NULL)
		return NULL;
	safe = ctl_safe(s);
	free(s);
	return safe;
}

void
ctl_print_json(json_t *doc)
{
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
	putchar('\n');
	fflush(stdout);
}

void
ctl_print_field(FILE *out, const char *label, json_t *v)
{
	char *s = ctl_text(v);

	fprintf(out, "%s: %s\n", label, s != NULL ? s : "-");
	free(s);
}

/* The cells of all rows, as text, and the width of each column. */
static char **
ctl_table_cells(const struct ctl_column *cols, size_t ncols, json_t *rows,
    size_t *width)
{
	size_t nrows = json_array_size(rows), r, c;
	char **cells, *s;

	if ((cells = calloc((nrows + 1) * ncols, sizeof(*cells))) == NULL)
		return NULL;
	for (c = 0; c < ncols; c++) {
		cells[c] = strdup(cols[c].header);
		width[c] = strlen(cols[c].header);
	}
	for (r = 0; r < nrows; r++)
		for (c = 0; c < ncols; c++) {
			s = ctl_text(json_object_get(json_array_get(rows, r),
			    cols[c].key));
			if (s == NULL)
				s = strdup("-");
			cells[(r + 1) * ncols + c] = s;
			if (s != NULL && strlen(s) > width[c])
				width[c] = strlen(s);
		}
	return cells;
}

/* One row: cells padded to their column, no trailing blanks. */
static void
ctl_table_row(char **cells, const size_t *width, size_t ncols, FILE *out)
{
	size_t c, pad = 0;

	for (c = 0; c < ncols; c++) {
		if (cells[c] == NULL || *cells[c] == '\0') {
			pad += width[c] + 2;
			continue;
		}
		fprintf(out, "%*s%s", (int)pad, "", cells[c]);
		pad = width[c] + 2 - strlen(cells[c]);
	}
	putc('\n', out);
}

void
ctl_table_print(const struct ctl_column *cols, size_t ncols, json_t *rows,
    FILE *out)
{
	size_t n = (json_array_size(rows) + 1) * ncols, i, *width;
	char **cells;

	if ((width = calloc(ncols, sizeof(*width))) == NULL)
		return;
	if ((cells = ctl_table_cells(cols, ncols, rows, width)) == NULL)
		goto out;
	for (i = 0; i < n; i += ncols)
		ctl_table_row(cells + i, width, ncols, out);
	for (i = 0; i < n; i++)
		free(cells[i]);
	free(cells);
out:
	free(width);
}
