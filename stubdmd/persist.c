/* SPDX-License-Identifier: GPL-2.0-only */
/* Encoding of the per-guest record kept in xenstore for re-adoption. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stubdmd/persist.h"

#define PERSIST_VERSION	1

struct persist_buf {
	char	*p;
	size_t	 size, len;
	int	 overflow;
};

static void __attribute__((format(printf, 2, 3)))
persist_put(struct persist_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->size - b->len)
		b->overflow = 1;
	else
		b->len += (size_t)n;
}

/* Percent-encode: the record is split on spaces. */
static void
persist_put_str(struct persist_buf *b, const char *key, const char *v)
{
	persist_put(b, " %s=", key);
	for (; *v != '\0' && !b->overflow; v++) {
		unsigned char c = (unsigned char)*v;

		if (c > 0x20 && c < 0x7f && c != '%' && c != '=')
			persist_put(b, "%c", c);
		else
			persist_put(b, "%%%02X", c);
	}
}

static void
persist_put_u64s(struct persist_buf *b, const char *key, const uint64_t *v,
    unsigned n)
{
	unsigned i;

	persist_put(b, " %s=", key);
	for (i = 0; i < n; i++)
		persist_put(b, "%s%llu", i ? "," : "", (unsigned long long)v[i]);
}

static const char *
persist_or_empty(const char *s)
{
	return s != NULL ? s : "";
}

int
persist_encode(const struct guest *g, char *buf, size_t size)
{
	struct persist_buf b = { buf, size, 0, 0 };
	uint64_t dying[GUEST_DYING_MAX];
	unsigned i;

	persist_put(&b, "v=%d state=%s stub=%d ran=%d starts=%u restarts=%u "
	    "step=%u deadline=%llu exit=%s exit_wall=%llu", PERSIST_VERSION,
	    guest_state_name(g->state), g->stub_domid, g->ever_ran,
	    g->starts, g->restarts, g->backoff_step,
	    (unsigned long long)g->deadline, guest_exit_name(g->last_exit),
	    (unsigned long long)g->last_exit_wall);
	persist_put_str(&b, "uuid", g->uuid);
	persist_put_str(&b, "stub_uuid", g->stub_uuid);
	persist_put_str(&b, "reason", g->reason);
	for (i = 0; i < g->ndying; i++)
		dying[i] = g->dying[i];
	persist_put_u64s(&b, "dying", dying, g->ndying);
	persist_put_u64s(&b, "rlog", g->restart_log, g->nrestart_log);
	if (g->adopted != NULL) {
		persist_put(&b, " ad_mem=%u ad_vcpus=%u", g->adopted->memory_mib,
		    g->adopted->vcpus);
		/* A record may have named some of them only. */
		persist_put_str(&b, "ad_kernel", persist_or_empty(
		    g->adopted->kernel));
		persist_put_str(&b, "ad_ramdisk", persist_or_empty(
		    g->adopted->ramdisk));
		persist_put_str(&b, "ad_cmdline", persist_or_empty(
		    g->adopted->cmdline));
	}
	return b.overflow ? -1 : 0;
}

static int
persist_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
persist_get_str(const char *v, char *out, size_t size)
{
	size_t o = 0;
	int hi, lo;

	for (; *v != '\0'; v++) {
		char c = *v;

		if (c == '%') {
			if ((hi = persist_hex(v[1])) < 0 ||
			    (lo = persist_hex(v[2])) < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			v += 2;
		}
		if (o + 1 >= size || c == '\0')
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

static int
persist_get_u64(const char *v, uint64_t max, uint64_t *out)
{
	char *end;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return (*end != '\0' || errno != 0 || *out > max) ? -1 : 0;
}

static int
persist_get_list(const char *v, uint64_t max, uint64_t *out, unsigned cap,
    unsigned *n)
{
	char item[32];
	size_t len;

	for (*n = 0; *v != '\0'; v += len + (v[len] == ',')) {
		len = strcspn(v, ",");
		if (len == 0 || len >= sizeof(item) || *n == cap)
			return -1;
		memcpy(item, v, len);
		item[len] = '\0';
		if (persist_get_u64(item, max, &out[(*n)++]) < 0)
			return -1;
	}
	return 0;
}

static int
persist_get_uint(const char *v, uint64_t max, unsigned *out)
{
	uint64_t x;

	if (persist_get_u64(v, max, &x) < 0)
		return -1;
	*out = (unsigned)x;
	return 0;
}

/* An adopted stub's build: the record's ad_* words. */
static const struct {
	const char	*key;
	size_t		 off;	/* in struct guest_build */
	unsigned	 max;	/* a number up to max; 0: a string */
} persist_ad_keys[] = {
	{ "ad_mem", offsetof(struct guest_build, memory_mib), 1U << 20 },
	{ "ad_vcpus", offsetof(struct guest_build, vcpus), 128 },
	{ "ad_kernel", offsetof(struct guest_build, kernel), 0 },
	{ "ad_ramdisk", offsetof(struct guest_build, ramdisk), 0 },
	{ "ad_cmdline", offsetof(struct guest_build, cmdline), 0 },
};

/* One ad_* word into g->adopted (made on the first): 1 if k is none. */
static int
persist_adopted_field(struct guest *g, const char *k, const char *v)
{
	char buf[PERSIST_RECORD_MAX], *field, **str;
	size_t i, n = sizeof(persist_ad_keys) / sizeof(persist_ad_keys[0]);

	for (i = 0; i < n && strcmp(k, persist_ad_keys[i].key) != 0; i++)
		;
	if (i == n)
		return 1;
	if (g->adopted == NULL) {
		struct guest_build *b = calloc(1, sizeof(*b));

		if (b == NULL)
			return -1;
		guest_set_adopted(g, b);
	}
	field = (char *)g->adopted + persist_ad_keys[i].off;
	if (persist_ad_keys[i].max > 0)
		return persist_get_uint(v, persist_ad_keys[i].max,
		    (unsigned *)(void *)field);
	if (persist_get_str(v, buf, sizeof(buf)) < 0)
		return -1;
	str = (char **)(void *)field;
	free(*str);
	return (*str = strdup(buf)) != NULL ? 0 : -1;
}

static int
persist_field(struct guest *g, const char *k, const char *v)
{
	uint64_t x, list[GUEST_RESTART_LOG];
	unsigned i, n;
	int rc;

	if (strcmp(k, "v") == 0)
		return strcmp(v, "1") == 0 ? 0 : -1;
	if (strcmp(k, "state") == 0)
		return guest_state_parse(v, &g->state);
	if (strcmp(k, "exit") == 0)
		return guest_exit_parse(v, &g->last_exit);
	if (strcmp(k, "stub") == 0) {
		if (strcmp(v, "-1") == 0) {
			g->stub_domid = -1;
			return 0;
		}
		if (persist_get_u64(v, 0x7fef, &x) < 0)
			return -1;
		g->stub_domid = (int)x;
		return 0;
	}
	if (strcmp(k, "ran") == 0) {
		if (persist_get_u64(v, 1, &x) < 0)
			return -1;
		g->ever_ran = x;
		return 0;
	}
	if (strcmp(k, "starts") == 0)
		return persist_get_uint(v, 1000000, &g->starts);
	if (strcmp(k, "restarts") == 0)
		return persist_get_uint(v, 1000000000, &g->restarts);
	if (strcmp(k, "step") == 0)
		return persist_get_uint(v, 64, &g->backoff_step);
	if (strcmp(k, "deadline") == 0)
		return persist_get_u64(v, UINT64_MAX / 2, &g->deadline);
	if (strcmp(k, "exit_wall") == 0)
		return persist_get_u64(v, UINT64_MAX / 2, &g->last_exit_wall);
	if (strcmp(k, "uuid") == 0)
		return persist_get_str(v, g->uuid, sizeof(g->uuid));
	if (strcmp(k, "stub_uuid") == 0)
		return persist_get_str(v, g->stub_uuid, sizeof(g->stub_uuid));
	if (strcmp(k, "reason") == 0)
		return persist_get_str(v, g->reason, sizeof(g->reason));
	if (strcmp(k, "rlog") == 0) {
		if (persist_get_list(v, UINT64_MAX / 2, list,
		    GUEST_RESTART_LOG, &n) < 0 ||
		    guest_set_restart_log(g, list, n) < 0)
			return -1;
		return 0;
	}
	if ((rc = persist_adopted_field(g, k, v)) <= 0)
		return rc;
	if (strcmp(k, "dying") == 0) {
		if (persist_get_list(v, 0x7fef, list, GUEST_DYING_MAX, &n) < 0)
			return -1;
		for (i = 0; i < n; i++)
			g->dying[i] = (uint32_t)list[i];
		g->ndying = n;
		return 0;
	}
	return 0;	/* a newer daemon's field: ignored */
}

int
persist_decode(struct guest *g, const char *rec)
{
	char word[PERSIST_RECORD_MAX], *eq;
	size_t len;

	if (strlen(rec) >= PERSIST_RECORD_MAX || strncmp(rec, "v=", 2) != 0)
		return -1;
	for (; *rec != '\0'; rec += len) {
		rec += strspn(rec, " ");
		len = strcspn(rec, " ");
		if (len == 0)
			break;
		memcpy(word, rec, len);
		word[len] = '\0';
		if ((eq = strchr(word, '=')) == NULL)
			return -1;
		*eq = '\0';
		if (persist_field(g, word, eq + 1) < 0)
			return -1;
	}
	return 0;
}

int
persist_parse_domid(const char *ent, unsigned long max, uint32_t *out)
{
	unsigned long domid;
	char *end;

	domid = strtoul(ent, &end, 10);
	if (*end != '\0' || domid == 0 || domid >= max)
		return -1;
	*out = (uint32_t)domid;
	return 0;
}
