/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host policy: inih reads the lines, this file records every value
 * with its line, then builds and validates the effective settings of each
 * section in one pass.  Nothing is applied unless all of it is valid.
 */
#include <errno.h>
#include <fnmatch.h>
#include <grp.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stubdmd/hv.h"
#include "stubdmd/log.h"
#include "stubdmd/policy.h"
#include "stubdmd/proto.h"

#define POLICY_SECTIONS_MAX	1024
#define POLICY_PATTERN_MAX	255
#define POLICY_ERRORS_MAX	100
#define POLICY_SOCKET_MAX	107	/* sun_path less its NUL */
#define POLICY_PROM_MAX		1024

enum policy_type {
	PT_BOOL, PT_ENUM, PT_FILE, PT_STRING, PT_MIB, PT_UINT, PT_MS,
	PT_ARGS, PT_SERIAL, PT_SOCKET, PT_GROUP, PT_XSPATH, PT_PROM, PT_NTYPES
};

struct policy_key {
	const char		*name;
	enum policy_type	 type;
	size_t			 off;
	uint64_t		 min, max;
	const char *const	*names;	/* PT_ENUM: NULL-terminated */
};

static const char *const policy_restart_names[] = {
	"always", "on-failure", "never", NULL };
static const char *const policy_giveup_names[] = {
	"leave", "pause-guest", "destroy-guest", NULL };
static const char *const policy_dm_death_names[] = {
	"crash-guest", "destroy-guest", "pause-guest", "leave", NULL };
static const char *const policy_image_names[] = { "linux", "minios", NULL };
/* xl.cfg's vga names, in the order of enum policy_vga. */
static const char *const policy_vga_names[] = {
	"stdvga", "cirrus", "none", NULL };
/* The order of enum log_level. */
static const char *const policy_log_names[] = {
	"error", "warning", "info", "debug", NULL };

#define S(f)	offsetof(struct policy_settings, f)
#define G(f)	offsetof(struct policy_global, f)
#define SEC	1000ULL
#define MIN	(60 * SEC)
#define HOUR	(60 * MIN)

/* Keys of [defaults] and [guest "..."] sections, in documentation order. */
static const struct policy_key policy_keys[] = {
	{ "stubdom", PT_BOOL, S(stubdom), 0, 0, NULL },
	{ "image", PT_ENUM, S(image), 0, 0, policy_image_names },
	{ "kernel", PT_FILE, S(kernel), 0, 0, NULL },
	{ "ramdisk", PT_FILE, S(ramdisk), 0, 0, NULL },
	{ "cmdline", PT_STRING, S(cmdline), 0, 0, NULL },
	{ "memory", PT_MIB, S(memory_mib), 8, 1024 * 1024, NULL },
	{ "vcpus", PT_UINT, S(vcpus), 1, 128, NULL },
	{ "device_model_args", PT_ARGS, S(dm_args), 0, 0, NULL },
	{ "serial", PT_SERIAL, S(serial), 0, 0, NULL },
	{ "restart", PT_ENUM, S(restart), 0, 0, policy_restart_names },
	{ "max_restarts", PT_UINT, S(max_restarts), 0, 1000, NULL },
	{ "restart_window", PT_MS, S(restart_window_ms), SEC, 24 * HOUR,
	    NULL },
	{ "backoff_initial", PT_MS, S(backoff_initial_ms), 10, HOUR, NULL },
	{ "backoff_max", PT_MS, S(backoff_max_ms), 10, 24 * HOUR, NULL },
	{ "start_timeout", PT_MS, S(start_timeout_ms), 100, HOUR, NULL },
	{ "on_giveup", PT_ENUM, S(on_giveup), 0, 0, policy_giveup_names },
	{ "on_dm_death", PT_ENUM, S(on_dm_death), 0, 0,
	    policy_dm_death_names },
	{ "unpause_guest", PT_BOOL, S(unpause_guest), 0, 0, NULL },
	{ "adopt", PT_BOOL, S(adopt), 0, 0, NULL },
	{ "pool_size", PT_UINT, S(pool_size), 0, 64, NULL },
	{ "dm_probe_interval", PT_MS, S(dm_probe_interval_ms), 0, HOUR,
	    NULL },
	{ "dm_probe_timeout", PT_MS, S(dm_probe_timeout_ms), 10, HOUR, NULL },
	{ "dm_probe_misses", PT_UINT, S(dm_probe_misses), 1, 100, NULL },
	{ "on_dm_hang", PT_ENUM, S(on_dm_hang), 0, 0, policy_dm_death_names },
	{ "vga", PT_ENUM, S(vga), 0, 0, policy_vga_names },
};
#define NKEYS	(sizeof(policy_keys) / sizeof(policy_keys[0]))

static const struct policy_key policy_gkeys[] = {
	{ "control_socket", PT_SOCKET, G(control_socket), 0, 0, NULL },
	{ "admin_group", PT_GROUP, G(admin_group), 0, 0, NULL },
	{ "log_level", PT_ENUM, G(log_level), 0, 0, policy_log_names },
	{ "reconcile_interval", PT_MS, G(reconcile_interval_ms), 100, HOUR,
	    NULL },
	{ "state_path", PT_XSPATH, G(state_path), 0, 0, NULL },
	{ "metrics_file", PT_PROM, G(metrics_file), 0, 0, NULL },
	{ "metrics_interval", PT_MS, G(metrics_interval_ms), SEC, HOUR,
	    NULL },
	{ "max_connections_per_user", PT_UINT, G(max_conns_per_user), 1,
	    POLICY_CONNS_USER_MAX, NULL },
	{ "builders", PT_UINT, G(builders), 1, HV_BUILDERS_MAX, NULL },
	{ "vnc_group", PT_GROUP, G(vnc_group), 0, 0, NULL },
};
#define NGKEYS	(sizeof(policy_gkeys) / sizeof(policy_gkeys[0]))

/* Built-in values, in policy syntax: one parser for files and defaults. */
static const char *const policy_builtin[NKEYS] = {
	"yes", "linux", "/usr/lib/xen/boot/qemu-stubdom-linux-kernel",
	"/usr/lib/xen/boot/qemu-stubdom-linux-rootfs", "", "96", "1", "",
	"none", "on-failure", "5", "10m", "1s", "30s", "60s", "leave", "crash-guest",
	"yes", "yes", "0", "10s", "5s", "3", "crash-guest",
	"stdvga",
};
static const char *const policy_gbuiltin[NGKEYS] = {
	PROTO_SOCKET_DEFAULT, "", "info", "30s", "/tool/stubdmd", "", "15s",
	"16", "2", "",
};

/* One section as written: each value and the line it came from. */
struct policy_section {
	char			*pattern;	/* [guest "PATTERN"] */
	unsigned		 line;
	bool			 is_uuid;
	int			 rank;		/* higher = more specific */
	char			*val[NKEYS];
	unsigned		 vline[NKEYS];
	struct policy_settings	 s;
};

struct policy {
	char			*path;
	struct policy_global	 global;
	char			*gval[NGKEYS];
	unsigned		 gline[NGKEYS];
	unsigned		 global_line;
	struct policy_section	 defaults;
	struct policy_section	*guests;
	size_t			 nguests;
};

/* Parsing state: inih calls back into this. */
struct policy_ctx {
	struct policy		*p;
	struct policy_diag	*diag;
	FILE			*f;
	unsigned		 lineno;
	char			*line;
	size_t			 cap;
	struct policy_section	*cur;	/* NULL: [global] or unknown */
	bool			 in_global;
	bool			 skip;	/* inside an unknown section */
};

const char *
policy_restart_name(enum policy_restart r)
{
	return policy_restart_names[r];
}

const char *
policy_giveup_name(enum policy_giveup g)
{
	return policy_giveup_names[g];
}

const char *
policy_dm_death_name(enum policy_dm_death d)
{
	return policy_dm_death_names[d];
}

const char *
policy_vga_name(enum policy_vga v)
{
	return policy_vga_names[v];
}

/* ---- diagnostics ------------------------------------------------------ */

static void __attribute__((format(printf, 5, 6)))
policy_say(struct policy_diag *d, const char *path, unsigned line,
    bool error, const char *fmt, ...)
{
	char msg[512], *s, **nl;
	unsigned *na;
	va_list ap;
	int n;

	if (d->n >= POLICY_ERRORS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = line ? asprintf(&s, "%s:%u: %s%s", path, line,
	    error ? "" : "warning: ", msg) : asprintf(&s, "%s: %s%s", path,
	    error ? "" : "warning: ", msg);
	if (n < 0)
		return;
	if ((nl = realloc(d->lines, (d->n + 1) * sizeof(*nl))) != NULL)
		d->lines = nl;
	if ((na = realloc(d->at, (d->n + 1) * sizeof(*na))) != NULL)
		d->at = na;
	if (nl == NULL || na == NULL) {
		free(s);
		return;
	}
	d->at[d->n] = line;
	d->lines[d->n++] = s;
	if (error)
		d->nerrors++;
}

#define policy_err(c, ln, ...) \
	policy_say((c)->diag, (c)->p->path, (ln), true, __VA_ARGS__)
#define policy_warn(c, ln, ...) \
	policy_say((c)->diag, (c)->p->path, (ln), false, __VA_ARGS__)

void
policy_diag_free(struct policy_diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->lines[i]);
	free(d->lines);
	free(d->at);
	memset(d, 0, sizeof(*d));
}

/* In file order: values are checked key by key, after the reading. */
static void
policy_diag_sort(struct policy_diag *d)
{
	size_t i, j;

	for (i = 1; i < d->n; i++) {
		char *l = d->lines[i];
		unsigned a = d->at[i];

		for (j = i; j > 0 && d->at[j - 1] > a; j--) {
			d->lines[j] = d->lines[j - 1];
			d->at[j] = d->at[j - 1];
		}
		d->lines[j] = l;
		d->at[j] = a;
	}
}

/* ---- value parsers ---------------------------------------------------- */

/* A unit and what one of it is worth in the base unit. */
struct policy_unit {
	const char	*name;
	uint64_t	 scale;
};

/* "<digits><unit>" -> digits * scale, up to max; 0 or -EINVAL. */
static int
policy_parse_scaled(const char *s, const struct policy_unit *units,
    size_t n, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;
	size_t i;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (strcmp(end, units[i].name) != 0)
			continue;
		if (v > max / units[i].scale)
			return -EINVAL;
		*out = v * units[i].scale;
		return 0;
	}
	return -EINVAL;
}

int
policy_parse_duration(const char *s, uint64_t *ms)
{
	static const struct policy_unit units[] = {
		{ "", SEC }, { "ms", 1 }, { "s", SEC }, { "m", MIN },
		{ "min", MIN }, { "h", HOUR }, { "d", 24 * HOUR },
	};

	return policy_parse_scaled(s, units, sizeof(units) / sizeof(units[0]),
	    UINT64_MAX, ms);
}

int
policy_parse_size_mib(const char *s, unsigned *mib)
{
	static const struct policy_unit units[] = {
		{ "", 1024 }, { "K", 1 }, { "KiB", 1 }, { "M", 1024 },
		{ "MiB", 1024 }, { "G", 1024 * 1024 }, { "GiB", 1024 * 1024 },
		{ "T", 1024ULL * 1024 * 1024 }, { "TiB", 1024ULL * 1024 * 1024 },
	};
	uint64_t kib;

	if (policy_parse_scaled(s, units, sizeof(units) / sizeof(units[0]),
	    1ULL << 40, &kib) < 0 || kib % 1024 != 0)
		return -EINVAL;
	*mib = (unsigned)(kib / 1024);
	return 0;
}

/* Words separated by blanks; "..." or '...' keep blanks; no shell. */
static int
policy_next_word(const char **sp, char *word, size_t size)
{
	const char *s = *sp;
	size_t o = 0;
	char quote = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return 0;
	for (; *s != '\0' && (quote || (*s != ' ' && *s != '\t')); s++) {
		if (!quote && (*s == '"' || *s == '\'')) {
			quote = *s;
			continue;
		}
		if (quote && *s == quote) {
			quote = 0;
			continue;
		}
		if (o + 1 >= size)
			return -E2BIG;
		word[o++] = *s;
	}
	word[o] = '\0';
	*sp = s;
	return quote ? -EINVAL : 1;
}

int
policy_split_args(const char *s, char **argv, size_t max, size_t *argc)
{
	char word[256];
	int rc;

	*argc = 0;
	while ((rc = policy_next_word(&s, word, sizeof(word))) > 0) {
		if (*argc == max)
			return -E2BIG;
		if ((argv[*argc] = strdup(word)) == NULL)
			return -ENOMEM;
		(*argc)++;
	}
	return rc;
}

/* ---- typed setters (one per enum policy_type) ------------------------- */

typedef int policy_setter(const struct policy_key *, const char *, void *,
	    char *, size_t);

static int
policy_set_bool(const struct policy_key *k, const char *v, void *f,
    char *err, size_t len)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(v, yes[i]) == 0 || strcmp(v, no[i]) == 0) {
			*(bool *)f = strcmp(v, yes[i]) == 0;
			return 0;
		}
	}
	snprintf(err, len, "expected yes or no");
	return -EINVAL;
}

static int
policy_set_enum(const struct policy_key *k, const char *v, void *f,
    char *err, size_t len)
{
	size_t i, o;

	for (i = 0; k->names[i] != NULL; i++) {
		if (strcmp(v, k->names[i]) == 0) {
			*(int *)f = (int)i;
			return 0;
		}
	}
	o = (size_t)snprintf(err, len, "expected one of");
	for (i = 0; k->names[i] != NULL && o < len; i++)
		o += (size_t)snprintf(err + o, len - o, "%s %s",
		    i ? "," : "", k->names[i]);
	return -EINVAL;
}

static int
policy_set_string(const struct policy_key *k, const char *v, void *f,
    char *err, size_t len)
{
	char *s = strdup(v);

	if (s == NULL)
		return -ENOMEM;
	free(*(char **)f);
	*(char **)f = s;
	return 0;
}

/* A file the hypervisor will read: absolute or empty; checked later. */
static int
policy_set_file(const struct policy_key *k, const char *v, void *f,
    char *err, size_t len)
{
	if (*v != '\0' && *v != '/') {
		snprintf(err, len, "expected an absolute path");
		return -EINVAL;
	}
	return policy_set_string(k, v, f, err, len);
}

static int
policy_set_mib(const struct policy_key *k, const char *v, void *f,
    char *err, size_t len)
{
	unsigned mib;

	if (policy_parse_size_mib(v, &mib) < 0) {
		snprintf(err, len, "expected a size in whole MiB (e.g. 256, "
		    "256M, 1G)");
		return -EINVAL;
	}
	if (mib < k->min || mib > k->max) {
		snprintf(err, len, "out of range (%llu MiB to %llu MiB)",
		    (unsigned long long)k->min, (unsigned long long)k->max);
		return -ERANGE;
	}
	*(unsigned *)f = mib;
	return 0;
}

static int
policy_set_uint(const struct policy_key *k, const char *v, void *f,
    char *err, size_t len)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0' || errno != 0) {
		snprintf(err, len, "expected a whole number");
		return -EINVAL;
	}
	if (n < k->min || n > k->max) {
		snprintf(err, len, "out of range (%llu to %llu)",
		    (unsigned long long)k->min, (unsigned long long)k->max);
		return -ERANGE;
	}
	*(unsigned *)f = (unsigned)n;
	return 0;
}

static void
policy_format_ms(uint64_t ms, char *buf, size_t size)
{
	static const struct policy_unit units[] = {
		{ "d", 24 * HOUR }, { "h", HOUR }, { "m", MIN }, { "s", SEC },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ms != 0 && ms % units[i].scale == 0) {
			snprintf(buf, size, "%llu%s",
			    (unsigned long long)(ms / units[i].scale),
			    units[i].name);
			return;
		}
	}
	snprintf(buf, size, "%llums", (unsigned long long)ms);
}

static int
policy_set_ms(const struct policy_key *k, const char *v, void *f,
    char *err, size_t len)
{
	char lo[32], hi[32];
	uint64_t ms;

	if (policy_parse_duration(v, &ms) < 0) {
		snprintf(err, len, "expected a duration (e.g. 500ms, 30s, "
		    "5m, 1h)");
		return -EINVAL;
	}
	if (ms < k->min || ms > k->max) {
		policy_format_ms(k->min, lo, sizeof(lo));
		policy_format_ms(k->max, hi, sizeof(hi));
		snprintf(err, len, "out of range (%s to %s)", lo, hi);
		return -ERANGE;
	}
	*(uint64_t *)f = ms;
	return 0;
}

/* device_model_args: the words are kept beside the text (dm_argv). */
static int
policy_set_args(const struct policy_key *k, const char *v, void *f,
    char *err, size_t len)
{
	struct policy_settings *s = (struct policy_settings *)
	    ((char *)f - offsetof(struct policy_settings, dm_args));
	char *argv[POLICY_DM_ARGS_MAX];
	size_t argc, i;
	int rc;

	if ((rc = policy_split_args(v, argv, POLICY_DM_ARGS_MAX, &argc)) < 0) {
		for (i = 0; i < argc; i++)
			free(argv[i]);
		snprintf(err, len, rc == -E2BIG ? "too many or too long "
		    "arguments (at most %d of 255 bytes)" : "unterminated "
		    "quote", POLICY_DM_ARGS_MAX);
		return rc;
	}
	for (i = 0; i < s->dm_argc; i++)
		free(s->dm_argv[i]);
	memcpy(s->dm_argv, argv, argc * sizeof(argv[0]));
	s->dm_argc = argc;
	return policy_set_string(k, v, f, err, len);
}

static int
policy_set_socket(const struct policy_key *k, const char *v, void *f,
    char *err, size_t len)
{
	if (*v != '/' || strlen(v) > POLICY_SOCKET_MAX) {
		snprintf(err, len, "expected an absolute path of at most %d "
		    "bytes", POLICY_SOCKET_MAX);
		return -EINVAL;
	}
	return policy_set_string(k, v, f, err, len);
}

static int
policy_set_group(const struct policy_key *k, const char *v, void *f,
    char *err, size_t len)
{
	if (*v != '\0' && getgrnam(v) == NULL) {
		snprintf(err, len, "no such group");
		return -ENOENT;
	}
	return policy_set_string(k, v, f, err, len);
}

/* The daemon's own xenstore path: absolute, tame characters only. */
static int
policy_set_xspath(const struct policy_key *k, const char *v, void *f,
    char *err, size_t len)
{
	size_t n = strspn(v, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-");

	if (v[0] != '/' || v[1] == '\0' || v[n] != '\0' || n > 128 ||
	    strstr(v, "//") != NULL || v[n - 1] == '/') {
		snprintf(err, len, "expected an absolute xenstore path such "
		    "as /tool/stubdmd");
		return -EINVAL;
	}
	return policy_set_string(k, v, f, err, len);
}

/*
 * Where an own-mode guest's serial port goes, in xl.cfg's words: "none"
 * (stored as ""), "pty", or "file:PATH", PATH absolute; %n in it is the
 * guest's name, %% a percent sign.
 */
static int
policy_set_serial(const struct policy_key *k, const char *v, void *f,
    char *err, size_t len)
{
	const char *p;

	if (*v == '\0' || strcmp(v, "none") == 0)
		return policy_set_string(k, "", f, err, len);
	if (strcmp(v, "pty") == 0)
		return policy_set_string(k, v, f, err, len);
	if (strncmp(v, "file:/", 6) != 0 || strlen(v) > POLICY_SERIAL_MAX) {
		snprintf(err, len, "expected none, pty or file:PATH (PATH "
		    "absolute, at most %d bytes)", POLICY_SERIAL_MAX - 5);
		return -EINVAL;
	}
	for (p = v; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(err, len, "a control character in the path");
			return -EINVAL;
		}
		if (*p == '%' && p[1] != 'n' && p[1] != '%') {
			snprintf(err, len, "%% in the path: only %%n (the "
			    "guest's name) and %%%%");
			return -EINVAL;
		}
		if (*p == '%')
			p++;
	}
	return policy_set_string(k, v, f, err, len);
}

/* node_exporter's textfile collector reads only *.prom files. */
static int
policy_set_prom(const struct policy_key *k, const char *v, void *f,
    char *err, size_t len)
{
	size_t n = strlen(v);

	if (n > 0 && (*v != '/' || n < 7 || strcmp(v + n - 5, ".prom") != 0 ||
	    v[n - 6] == '/' || n > POLICY_PROM_MAX)) {
		snprintf(err, len, "expected empty (off) or an absolute path "
		    "ending in .prom, of at most %d bytes", POLICY_PROM_MAX);
		return -EINVAL;
	}
	return policy_set_string(k, v, f, err, len);
}

static policy_setter *const policy_setters[PT_NTYPES] = {
	[PT_BOOL] = policy_set_bool,
	[PT_ENUM] = policy_set_enum,
	[PT_FILE] = policy_set_file,
	[PT_STRING] = policy_set_string,
	[PT_MIB] = policy_set_mib,
	[PT_UINT] = policy_set_uint,
	[PT_MS] = policy_set_ms,
	[PT_ARGS] = policy_set_args,
	[PT_SERIAL] = policy_set_serial,
	[PT_SOCKET] = policy_set_socket,
	[PT_GROUP] = policy_set_group,
	[PT_XSPATH] = policy_set_xspath,
	[PT_PROM] = policy_set_prom,
};

static int
policy_apply(const struct policy_key *k, void *base, const char *v,
    char *err, size_t len)
{
	return policy_setters[k->type](k, v, (char *)base + k->off, err, len);
}

/* ---- settings life cycle ---------------------------------------------- */

static void
policy_settings_release(struct policy_settings *s)
{
	size_t i;

	free(s->kernel);
	free(s->ramdisk);
	free(s->cmdline);
	free(s->dm_args);
	free(s->serial);
	for (i = 0; i < s->dm_argc; i++)
		free(s->dm_argv[i]);
	memset(s, 0, sizeof(*s));
}

/* A deep copy: the strings are re-set through their own setters. */
static int
policy_settings_copy(struct policy_settings *dst,
    const struct policy_settings *src)
{
	char err[128];
	size_t i;

	*dst = *src;
	dst->kernel = dst->ramdisk = dst->cmdline = dst->dm_args = NULL;
	dst->serial = NULL;
	dst->dm_argc = 0;
	for (i = 0; i < NKEYS; i++) {
		const struct policy_key *k = &policy_keys[i];

		if (k->type == PT_FILE || k->type == PT_STRING ||
		    k->type == PT_ARGS || k->type == PT_SERIAL) {
			const char *v = *(char *const *)((const char *)src +
			    k->off);

			if (policy_apply(k, dst, v ? v : "", err,
			    sizeof(err)) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

static void
policy_section_release(struct policy_section *sec)
{
	size_t i;

	free(sec->pattern);
	for (i = 0; i < NKEYS; i++)
		free(sec->val[i]);
	policy_settings_release(&sec->s);
}

void
policy_free(struct policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	free(p->path);
	free(p->global.control_socket);
	free(p->global.admin_group);
	free(p->global.vnc_group);
	free(p->global.state_path);
	free(p->global.metrics_file);
	for (i = 0; i < NGKEYS; i++)
		free(p->gval[i]);
	policy_section_release(&p->defaults);
	for (i = 0; i < p->nguests; i++)
		policy_section_release(&p->guests[i]);
	free(p->guests);
	free(p);
}

/* ---- reading: sections and keys as written ---------------------------- */

static int
policy_key_index(const struct policy_key *keys, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Record one value; 0 if the key is unknown or set twice (reported). */
static void
policy_record(struct policy_ctx *c, char **val, unsigned *vline,
    const char *key, const char *value)
{
	if (*vline != 0) {
		policy_err(c, c->lineno, "duplicate key '%s' (first set at "
		    "line %u)", key, *vline);
		return;
	}
	if ((*val = strdup(value)) == NULL) {
		policy_err(c, c->lineno, "out of memory");
		return;
	}
	*vline = c->lineno;
}

static int
policy_on_value(void *arg, const char *section, const char *key,
    const char *value)
{
	struct policy_ctx *c = arg;
	struct policy *p = c->p;
	int i;

	if (c->skip)
		return 1;
	if (c->in_global) {
		if ((i = policy_key_index(policy_gkeys, NGKEYS, key)) >= 0)
			policy_record(c, &p->gval[i], &p->gline[i], key, value);
		else if (policy_key_index(policy_keys, NKEYS, key) >= 0)
			policy_err(c, c->lineno, "key '%s' belongs in "
			    "[defaults] or a [guest \"...\"] section", key);
		else
			policy_err(c, c->lineno, "unknown key '%s' in [global]",
			    key);
		return 1;
	}
	if (c->cur == NULL) {
		policy_err(c, c->lineno, "key '%s' outside any section", key);
		return 1;
	}
	if ((i = policy_key_index(policy_keys, NKEYS, key)) >= 0)
		policy_record(c, &c->cur->val[i], &c->cur->vline[i], key,
		    value);
	else if (policy_key_index(policy_gkeys, NGKEYS, key) >= 0)
		policy_err(c, c->lineno, "key '%s' belongs in [global]", key);
	else
		policy_err(c, c->lineno, "unknown key '%s'", key);
	return 1;
}

static bool
policy_is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* How specific a pattern is: UUIDs, then exact names, then literals. */
static int
policy_rank(const char *pat, bool is_uuid)
{
	int n = 0;

	if (is_uuid)
		return INT_MAX;
	if (!policy_is_glob(pat))
		return INT_MAX - 1;
	for (; *pat != '\0'; pat++)
		if (*pat != '*' && *pat != '?')
			n++;
	return n;
}

static int
policy_check_uuid(const char *u)
{
	size_t i;

	if (strlen(u) != 36)
		return -1;
	for (i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		bool hex = (u[i] >= '0' && u[i] <= '9') ||
		    (u[i] >= 'a' && u[i] <= 'f');

		if (dash ? u[i] != '-' : !hex)
			return -1;
	}
	return 0;
}

/* 'guest "PATTERN"' -> PATTERN (malloc'd), or NULL if malformed. */
static char *
policy_guest_pattern(struct policy_ctx *c, const char *hdr)
{
	size_t n = strlen(hdr);
	char *pat;

	if (strncmp(hdr, "guest \"", 7) != 0 || n < 9 || hdr[n - 1] != '"' ||
	    n - 8 > POLICY_PATTERN_MAX || memchr(hdr + 7, '"', n - 8)) {
		policy_err(c, c->lineno, "malformed section [%s]: expected "
		    "[guest \"PATTERN\"] (a name glob or uuid:UUID)", hdr);
		return NULL;
	}
	if ((pat = strndup(hdr + 7, n - 8)) == NULL)
		return NULL;
	if (strncmp(pat, "uuid:", 5) == 0 && policy_check_uuid(pat + 5) < 0) {
		policy_err(c, c->lineno, "malformed UUID in [%s] (expected "
		    "lower-case 8-4-4-4-12 hex)", hdr);
		free(pat);
		return NULL;
	}
	return pat;
}

static struct policy_section *
policy_find_section(struct policy *p, const char *pat)
{
	size_t i;

	for (i = 0; i < p->nguests; i++)
		if (strcmp(p->guests[i].pattern, pat) == 0)
			return &p->guests[i];
	return NULL;
}

static struct policy_section *
policy_add_guest(struct policy_ctx *c, const char *hdr)
{
	struct policy *p = c->p;
	struct policy_section *sec, *nv;
	char *pat = policy_guest_pattern(c, hdr);

	if (pat == NULL)
		return NULL;
	if ((sec = policy_find_section(p, pat)) != NULL) {
		policy_err(c, c->lineno, "duplicate section [%s] (first at "
		    "line %u)", hdr, sec->line);
		free(pat);
		return NULL;
	}
	if (p->nguests == POLICY_SECTIONS_MAX ||
	    (nv = realloc(p->guests, (p->nguests + 1) * sizeof(*nv))) == NULL) {
		policy_err(c, c->lineno, "too many sections");
		free(pat);
		return NULL;
	}
	p->guests = nv;
	sec = &p->guests[p->nguests++];
	memset(sec, 0, sizeof(*sec));
	sec->pattern = pat;
	sec->line = c->lineno;
	sec->is_uuid = strncmp(pat, "uuid:", 5) == 0;
	sec->rank = policy_rank(pat, sec->is_uuid);
	return sec;
}

/* A section header line, seen by the reader (inih skips empty ones). */
static void
policy_on_section(struct policy_ctx *c, const char *hdr)
{
	unsigned *seen = NULL;

	c->cur = NULL;
	c->in_global = false;
	c->skip = false;
	if (strcmp(hdr, "global") == 0) {
		seen = &c->p->global_line;
		c->in_global = true;
	} else if (strcmp(hdr, "defaults") == 0) {
		seen = &c->p->defaults.line;
		c->cur = &c->p->defaults;
	} else if (strncmp(hdr, "guest", 5) == 0) {
		c->cur = policy_add_guest(c, hdr);
		c->skip = c->cur == NULL;
		return;
	} else {
		policy_err(c, c->lineno, "unknown section [%s] (expected "
		    "[global], [defaults] or [guest \"PATTERN\"])", hdr);
		c->skip = true;
		return;
	}
	if (*seen != 0) {
		policy_err(c, c->lineno, "duplicate section [%s] (first at "
		    "line %u)", hdr, *seen);
		c->skip = true;
		c->cur = NULL;
		c->in_global = false;
		return;
	}
	*seen = c->lineno;
}

/* What inih would only report one of: say each, with its line. */
static bool
policy_bad_syntax(struct policy_ctx *c, const char *s, int size)
{
	if (strlen(s) >= (size_t)size - 1)
		policy_err(c, c->lineno, "line too long (at most %d "
		    "characters)", size - 2);
	else if (*s == '[' && strchr(s, ']') == NULL)
		policy_err(c, c->lineno, "section header without ']'");
	else if (*s != '\0' && *s != ';' && *s != '#' && *s != '[' &&
	    strpbrk(s, "=:") == NULL)
		policy_err(c, c->lineno, "syntax error (expected [section] "
		    "or key = value)");
	else
		return false;
	return true;
}

/*
 * inih's line reader.  It counts lines (for FILE:LINE), sees section
 * headers before inih does, reports malformed lines itself, and strips
 * leading blanks so that inih never joins lines as continuations.
 */
static char *
policy_read_line(char *buf, int size, void *arg)
{
	struct policy_ctx *c = arg;
	char *s, *end;

	if (getline(&c->line, &c->cap, c->f) < 0)
		return NULL;
	c->lineno++;
	s = c->line + strspn(c->line, " \t");
	s[strcspn(s, "\r\n")] = '\0';
	if (policy_bad_syntax(c, s, size)) {
		s = "";
	} else if (*s == '[' && (end = strrchr(s, ']')) != NULL) {
		*end = '\0';
		policy_on_section(c, s + 1);
		*end = ']';
	}
	snprintf(buf, (size_t)size, "%s\n", s);
	return buf;
}

/* ---- building the effective settings ---------------------------------- */

static void
policy_apply_values(struct policy_ctx *c, void *base,
    const struct policy_key *keys, size_t n, char **val,
    const unsigned *vline)
{
	char err[256];
	size_t i;

	for (i = 0; i < n; i++) {
		if (vline[i] == 0)
			continue;
		if (policy_apply(&keys[i], base, val[i], err,
		    sizeof(err)) < 0)
			policy_err(c, vline[i], "%s = %s: %s", keys[i].name,
			    val[i], err);
	}
}

static void
policy_build_builtin(struct policy_ctx *c, struct policy_settings *s,
    struct policy_global *g)
{
	char err[256];
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (policy_apply(&policy_keys[i], s, policy_builtin[i], err,
		    sizeof(err)) < 0)
			policy_err(c, 0, "built-in %s: %s", policy_keys[i].name,
			    err);
	for (i = 0; i < NGKEYS; i++)
		if (policy_apply(&policy_gkeys[i], g, policy_gbuiltin[i], err,
		    sizeof(err)) < 0)
			policy_err(c, 0, "built-in %s: %s",
			    policy_gkeys[i].name, err);
}

/* The line that set a key in this section, or 0 if it is inherited. */
static unsigned
policy_set_at(const struct policy_section *sec, const char *key)
{
	return sec->vline[policy_key_index(policy_keys, NKEYS, key)];
}

/* Where to point at a key's problem: its own line, else the header. */
static unsigned
policy_line_of(const struct policy_section *sec, const char *key)
{
	unsigned line = policy_set_at(sec, key);

	return line ? line : sec->line;
}

/* A missing image is a warning (not installed yet); a bad one an error. */
static void
policy_check_file(struct policy_ctx *c, const struct policy_section *sec,
    const char *key, const char *path)
{
	unsigned line = policy_line_of(sec, key);
	struct stat st;

	if (path == NULL || *path == '\0')
		return;
	if (stat(path, &st) == -1 && errno == ENOENT)
		policy_warn(c, line, "%s %s does not exist (yet); stub "
		    "domains that need it will fail to build", key, path);
	else if (access(path, R_OK) == -1)
		policy_err(c, line, "%s %s: %s", key, path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		policy_err(c, line, "%s %s: not a regular file", key, path);
}

static void
policy_check_section(struct policy_ctx *c, const struct policy_section *sec,
    bool is_defaults)
{
	const struct policy_settings *s = &sec->s;
	unsigned a = policy_line_of(sec, "backoff_initial");
	unsigned b = policy_line_of(sec, "backoff_max");

	if (s->backoff_initial_ms > s->backoff_max_ms)
		policy_err(c, a > b ? a : b, "backoff_initial must not exceed "
		    "backoff_max");
	a = policy_line_of(sec, "dm_probe_timeout");
	b = policy_line_of(sec, "dm_probe_interval");
	/* One probe at a time: it has to be over before the next is due. */
	if (s->dm_probe_interval_ms != 0 &&
	    s->dm_probe_timeout_ms >= s->dm_probe_interval_ms)
		policy_err(c, a > b ? a : b, "dm_probe_timeout must be less "
		    "than dm_probe_interval");
	if (!s->stubdom)
		return;
	if (*s->kernel == '\0')
		policy_err(c, policy_line_of(sec, "kernel"), "kernel must be "
		    "set where stubdom = yes");
	/* Inherited files were checked with [defaults]. */
	if (is_defaults || policy_set_at(sec, "kernel"))
		policy_check_file(c, sec, "kernel", s->kernel);
	if (is_defaults || policy_set_at(sec, "ramdisk"))
		policy_check_file(c, sec, "ramdisk", s->ramdisk);
}

static int
policy_build(struct policy_ctx *c)
{
	struct policy *p = c->p;
	struct policy_settings builtin = { 0 };
	size_t i;
	int rc = 0;

	policy_build_builtin(c, &builtin, &p->global);
	policy_apply_values(c, &p->global, policy_gkeys, NGKEYS, p->gval,
	    p->gline);
	if (policy_settings_copy(&p->defaults.s, &builtin) < 0)
		rc = -ENOMEM;
	policy_apply_values(c, &p->defaults.s, policy_keys, NKEYS,
	    p->defaults.val, p->defaults.vline);
	for (i = 0; i < p->nguests && rc == 0; i++) {
		struct policy_section *sec = &p->guests[i];

		if (policy_settings_copy(&sec->s, &p->defaults.s) < 0)
			rc = -ENOMEM;
		policy_apply_values(c, &sec->s, policy_keys, NKEYS, sec->val,
		    sec->vline);
	}
	policy_settings_release(&builtin);
	if (rc < 0)
		return rc;
	policy_check_section(c, &p->defaults, true);
	for (i = 0; i < p->nguests; i++)
		policy_check_section(c, &p->guests[i], false);
	return c->diag->nerrors > 0 ? -EINVAL : 0;
}

/* ---- loading ---------------------------------------------------------- */

/* A policy anyone but root (or the daemon's user) may change is refused. */
static int
policy_check_owner(struct policy_ctx *c)
{
	struct stat st;

	if (fstat(fileno(c->f), &st) == -1)
		return -errno;
	if ((st.st_mode & S_IWOTH) || ((st.st_mode & S_IWGRP) &&
	    st.st_gid != 0) || (st.st_uid != 0 && st.st_uid != geteuid())) {
		policy_err(c, 0, "writable by users other than root (owner "
		    "uid %u, mode %04o); refusing it", (unsigned)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	if (!S_ISREG(st.st_mode)) {
		policy_err(c, 0, "not a regular file");
		return -EINVAL;
	}
	return 0;
}

static void
policy_parse_file(struct policy_ctx *c)
{
	int line;

	line = ini_parse_stream(policy_read_line, c, policy_on_value, c);
	if (line > 0)
		policy_err(c, (unsigned)line, "syntax error (expected "
		    "[section] or key = value)");
	else if (line < 0)
		policy_err(c, 0, "out of memory while parsing");
	if (ferror(c->f))
		policy_err(c, 0, "read error: %s", strerror(errno));
}

int
policy_load(const char *path, struct policy **out, struct policy_diag *diag)
{
	struct policy_ctx c = { .diag = diag };
	int rc;

	*out = NULL;
	if ((c.p = calloc(1, sizeof(*c.p))) == NULL ||
	    (c.p->path = strdup(path)) == NULL) {
		policy_free(c.p);
		return -ENOMEM;
	}
	if ((c.f = fopen(path, "re")) == NULL) {
		rc = -errno;
		policy_err(&c, 0, "cannot open: %s", strerror(-rc));
		goto out;
	}
	/* Build even after errors: report all of them at once. */
	if ((rc = policy_check_owner(&c)) == 0) {
		policy_parse_file(&c);
		rc = policy_build(&c);
	}
	if (rc == 0 && diag->nerrors > 0)
		rc = -EINVAL;
	policy_diag_sort(diag);
out:
	if (c.f != NULL)
		fclose(c.f);
	free(c.line);
	if (rc < 0)
		policy_free(c.p);
	else
		*out = c.p;
	return rc;
}

/* ---- queries ---------------------------------------------------------- */

const struct policy_global *
policy_global(const struct policy *p)
{
	return &p->global;
}

static bool
policy_section_matches(const struct policy_section *sec, const char *name,
    const char *uuid)
{
	if (sec->is_uuid)
		return uuid != NULL && strcasecmp(sec->pattern + 5, uuid) == 0;
	return name != NULL && fnmatch(sec->pattern, name, 0) == 0;
}

const struct policy_settings *
policy_match(const struct policy *p, const char *name, const char *uuid,
    const char **section)
{
	const struct policy_section *best = NULL;
	size_t i;

	for (i = 0; i < p->nguests; i++) {
		const struct policy_section *sec = &p->guests[i];

		if (policy_section_matches(sec, name, uuid) &&
		    (best == NULL || sec->rank > best->rank))
			best = sec;
	}
	if (section != NULL)
		*section = best ? best->pattern : NULL;
	return best ? &best->s : &p->defaults.s;
}

const struct policy_settings *
policy_section(const struct policy *p, size_t i)
{
	if (i == 0)
		return &p->defaults.s;
	return i <= p->nguests ? &p->guests[i - 1].s : NULL;
}

static void
policy_format_value(const struct policy_key *k, const void *base, char *buf,
    size_t size)
{
	const char *f = (const char *)base + k->off;

	switch (k->type) {
	case PT_BOOL:
		snprintf(buf, size, "%s", *(const bool *)f ? "yes" : "no");
		break;
	case PT_ENUM:
		snprintf(buf, size, "%s", k->names[*(const int *)f]);
		break;
	case PT_MIB:
	case PT_UINT:
		snprintf(buf, size, "%u", *(const unsigned *)f);
		break;
	case PT_MS:
		policy_format_ms(*(const uint64_t *)f, buf, size);
		break;
	case PT_SERIAL:
		snprintf(buf, size, "%s", **(char *const *)f != '\0' ?
		    *(char *const *)f : "none");
		break;
	default:
		snprintf(buf, size, "%s", *(char *const *)f);
		break;
	}
}

void
policy_print(const struct policy_settings *s, FILE *out)
{
	char buf[1024];
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		policy_format_value(&policy_keys[i], s, buf, sizeof(buf));
		fprintf(out, "%s =%s%s\n", policy_keys[i].name, *buf ? " " : "",
		    buf);
	}
}

static void
policy_print_guest(const struct policy *p, const char *guest, FILE *out)
{
	const char *uuid = strncmp(guest, "uuid:", 5) == 0 ? guest + 5 : NULL;
	const char *section;
	const struct policy_settings *s;

	s = policy_match(p, uuid ? NULL : guest, uuid, &section);
	if (section != NULL)
		fprintf(out, "# %s: [guest \"%s\"]\n", guest, section);
	else
		fprintf(out, "# %s: [defaults]\n", guest);
	policy_print(s, out);
}

int
policy_check_main(const char *path, const char *guest, FILE *out, FILE *err)
{
	struct policy_diag diag = { 0 };
	struct policy *p = NULL;
	size_t i;
	int rc;

	rc = policy_load(path, &p, &diag);
	for (i = 0; i < diag.n; i++)
		fprintf(err, "%s\n", diag.lines[i]);
	if (rc < 0) {
		fprintf(err, "%s: policy rejected (%zu error%s)\n", path,
		    diag.nerrors, diag.nerrors == 1 ? "" : "s");
	} else if (guest != NULL) {
		policy_print_guest(p, guest, out);
	} else {
		fprintf(out, "%s: policy OK (%zu guest section%s)\n", path,
		    p->nguests, p->nguests == 1 ? "" : "s");
	}
	policy_diag_free(&diag);
	policy_free(p);
	return rc < 0 ? 1 : 0;
}
