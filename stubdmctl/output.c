/* Output for people (aligned tables, "key: value") and for scripts. */
#include <stdlib.h>
#include <string.h>

#include "stubdmctl/stubdmctl.h"

/* Guest names and reasons are untrusted: no escape sequences. */
char *
ctl_safe(const char *s)
{
	char *copy, *p;

	if ((copy = strdup(s)) == NULL)
		return NULL;
	for (p = copy; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return copy;
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
