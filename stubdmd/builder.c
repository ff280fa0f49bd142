/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The builder protocol's messages (builder.h): encoding and strict
 * decoding, with no Xen in sight so that tests and fuzzers can run it.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "stubdmd/builder.h"

enum builder_type {
	BUILDER_STR,		/* const char *, at most max bytes */
	BUILDER_UINT,		/* uint32_t (or an enum), at most max */
	BUILDER_BOOL,
	BUILDER_UUID,
	BUILDER_CHARS,		/* char[max], NUL-terminated */
};

/* One field of struct hv_stub_spec (or of a disk or NIC) on the wire. */
struct builder_field {
	const char		*key;
	enum builder_type	 type;
	size_t			 off;
	unsigned long long	 max;	/* BUILDER_STR: length; UINT: value */
};

#define BUILDER_SPEC(f)	offsetof(struct hv_stub_spec, f)
#define STR_MAX		BUILDER_STR_MAX

static const struct builder_field builder_spec_fields[] = {
	{ "name",	BUILDER_STR,	BUILDER_SPEC(name),	127 },
	{ "uuid",	BUILDER_UUID,	BUILDER_SPEC(uuid),	0 },
	{ "target",	BUILDER_UINT,	BUILDER_SPEC(target),
	    BUILDER_DOMID_MAX - 1 },
	{ "memory_mib",	BUILDER_UINT,	BUILDER_SPEC(memory_mib), 1 << 20 },
	{ "vcpus",	BUILDER_UINT,	BUILDER_SPEC(vcpus),	128 },
	{ "kernel",	BUILDER_STR,	BUILDER_SPEC(kernel),	STR_MAX },
	{ "ramdisk",	BUILDER_STR,	BUILDER_SPEC(ramdisk),	STR_MAX },
	{ "cmdline",	BUILDER_STR,	BUILDER_SPEC(cmdline),	STR_MAX },
	{ "from_libxl",	BUILDER_BOOL,	BUILDER_SPEC(from_libxl), 0 },
	{ "serial",	BUILDER_STR,	BUILDER_SPEC(serial),	STR_MAX },
	{ "spare",	BUILDER_BOOL,	BUILDER_SPEC(spare),	0 },
	{ "restore",	BUILDER_STR,	BUILDER_SPEC(restore),	STR_MAX },
};

#define BUILDER_NFIELDS	\
	(sizeof(builder_spec_fields) / sizeof(builder_spec_fields[0]))

/* An own-mode guest's disks and NICs (hv.h), spec's "disks" and "nics". */
#define BUILDER_DISK(f)	offsetof(struct hv_disk, f), \
	sizeof(((struct hv_disk *)NULL)->f)
#define BUILDER_NIC(f)	offsetof(struct hv_nic, f), \
	sizeof(((struct hv_nic *)NULL)->f)

static const struct builder_field builder_disk_fields[] = {
	{ "backend_domid", BUILDER_UINT, offsetof(struct hv_disk,
	    backend_domid), BUILDER_DOMID_MAX - 1 },
	{ "devid",	BUILDER_UINT,	offsetof(struct hv_disk, devid),
	    UINT32_MAX },
	{ "index",	BUILDER_UINT,	offsetof(struct hv_disk, index),
	    26 * 27 },
	{ "backend",	BUILDER_UINT,	offsetof(struct hv_disk, backend),
	    HV_DISK_TAP },
	{ "format",	BUILDER_UINT,	offsetof(struct hv_disk, format),
	    HV_FORMAT_EMPTY },
	{ "readwrite",	BUILDER_BOOL,	offsetof(struct hv_disk, readwrite), 0 },
	{ "cdrom",	BUILDER_BOOL,	offsetof(struct hv_disk, cdrom), 0 },
	{ "vdev",	BUILDER_CHARS,	BUILDER_DISK(vdev) },
	{ "target",	BUILDER_CHARS,	BUILDER_DISK(target) },
};

static const struct builder_field builder_nic_fields[] = {
	{ "backend_domid", BUILDER_UINT, offsetof(struct hv_nic,
	    backend_domid), BUILDER_DOMID_MAX - 1 },
	{ "devid",	BUILDER_UINT,	offsetof(struct hv_nic, devid),
	    UINT32_MAX },
	{ "emulated",	BUILDER_BOOL,	offsetof(struct hv_nic, emulated), 0 },
	{ "mac",	BUILDER_CHARS,	BUILDER_NIC(mac) },
	{ "bridge",	BUILDER_CHARS,	BUILDER_NIC(bridge) },
	{ "ifname",	BUILDER_CHARS,	BUILDER_NIC(ifname) },
	{ "model",	BUILDER_CHARS,	BUILDER_NIC(model) },
	{ "script",	BUILDER_CHARS,	BUILDER_NIC(script) },
};

#define BUILDER_TABLE(t)	t, sizeof(t) / sizeof(t[0])

_Static_assert(sizeof(enum hv_disk_backend) == sizeof(uint32_t) &&
    sizeof(enum hv_disk_format) == sizeof(uint32_t),
    "the disk's enums travel as uint32_t");

_Static_assert(sizeof(unsigned) == sizeof(uint32_t),
    "spec's unsigned and uint32_t fields share one wire type");

static const char *const builder_ops[] = {
	[BUILDER_BUILD] = "build",
	[BUILDER_DESTROY] = "destroy",
	[BUILDER_ATTACH] = "attach",
	[BUILDER_DETACH] = "detach",
};

static json_t *
builder_field_value(const struct builder_field *f, const void *base)
{
	const char *p = (const char *)base + f->off;
	const char *s;
	char uuid[37];

	switch (f->type) {
	case BUILDER_STR:
		s = *(const char *const *)(const void *)p;
		return json_string(s != NULL ? s : "");
	case BUILDER_UINT:
		return json_integer(*(const uint32_t *)(const void *)p);
	case BUILDER_BOOL:
		return json_boolean(*(const bool *)(const void *)p);
	case BUILDER_UUID:
		hv_uuid_format((const uint8_t *)p, uuid);
		return json_string(uuid);
	case BUILDER_CHARS:
		return json_stringn(p, strnlen(p, f->max));
	}
	return NULL;
}

/* The fields of one table as an object (NULL: out of memory). */
static json_t *
builder_obj_encode(const struct builder_field *t, size_t n, const void *base)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o != NULL && i < n; i++)
		if (json_object_set_new(o, t[i].key,
		    builder_field_value(&t[i], base)) < 0) {
			json_decref(o);
			o = NULL;
		}
	return o;
}

/* count elements of size bytes from base, each an object of table t. */
static json_t *
builder_array_encode(const struct builder_field *t, size_t n,
    const void *base, size_t size, unsigned count)
{
	json_t *a = json_array();
	unsigned i;

	for (i = 0; a != NULL && i < count; i++)
		if (json_array_append_new(a, builder_obj_encode(t, n,
		    (const char *)base + i * size)) < 0) {
			json_decref(a);
			a = NULL;
		}
	return a;
}

static json_t *
builder_spec_encode(const struct hv_stub_spec *spec)
{
	const struct hv_devices *d = &spec->devices;
	json_t *o = builder_obj_encode(BUILDER_TABLE(builder_spec_fields),
	    spec);

	if (o != NULL && (json_object_set_new(o, "disks",
	    builder_array_encode(BUILDER_TABLE(builder_disk_fields), d->disks,
	    sizeof(d->disks[0]), d->ndisks)) < 0 ||
	    json_object_set_new(o, "nics",
	    builder_array_encode(BUILDER_TABLE(builder_nic_fields), d->nics,
	    sizeof(d->nics[0]), d->nnics)) < 0)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* An object as one message: compact, capped. */
static int
builder_dump(json_t *o, char **out, size_t *len)
{
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	if (s == NULL)
		return -ENOMEM;
	if ((*len = strlen(s)) > BUILDER_MSG_MAX) {
		free(s);
		return -EMSGSIZE;
	}
	*out = s;
	return 0;
}

int
builder_req_encode(const struct builder_req *req, char **out, size_t *len)
{
	json_t *o;

	if (req->op == BUILDER_BUILD)
		o = json_pack("{s:I, s:s, s:o}", "id", (json_int_t)req->id,
		    "op", builder_ops[req->op],
		    "spec", builder_spec_encode(&req->spec));
	else if (req->op == BUILDER_ATTACH || req->op == BUILDER_DETACH)
		o = json_pack("{s:I, s:s, s:I, s:o}", "id", (json_int_t)req->id,
		    "op", builder_ops[req->op], "domid",
		    (json_int_t)req->domid,
		    "spec", builder_spec_encode(&req->spec));
	else
		o = json_pack("{s:I, s:s, s:I}", "id", (json_int_t)req->id,
		    "op", builder_ops[req->op], "domid",
		    (json_int_t)req->domid);
	return builder_dump(o, out, len);
}

/* A whole number in [lo, hi], or -EPROTO. */
static int
builder_uint(const json_t *v, unsigned long long lo, unsigned long long hi,
    unsigned long long *out)
{
	json_int_t n;

	if (!json_is_integer(v) || (n = json_integer_value(v)) < 0 ||
	    (unsigned long long)n < lo || (unsigned long long)n > hi)
		return -EPROTO;
	*out = (unsigned long long)n;
	return 0;
}

static int
builder_field_decode(const struct builder_field *f, const json_t *v,
    void *base)
{
	char *p = (char *)base + f->off;
	unsigned long long n;

	switch (f->type) {
	case BUILDER_STR:
		if (!json_is_string(v) || json_string_length(v) > f->max ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return -EPROTO;
		*(const char **)(void *)p = json_string_value(v);
		return 0;
	case BUILDER_UINT:
		if (builder_uint(v, 0, f->max, &n) < 0)
			return -EPROTO;
		*(uint32_t *)(void *)p = (uint32_t)n;
		return 0;
	case BUILDER_BOOL:
		if (!json_is_boolean(v))
			return -EPROTO;
		*(bool *)(void *)p = json_is_true(v);
		return 0;
	case BUILDER_UUID:
		if (!json_is_string(v))
			return -EPROTO;
		return hv_uuid_parse(json_string_value(v), (uint8_t *)p) < 0 ?
		    -EPROTO : 0;
	case BUILDER_CHARS:
		if (!json_is_string(v) || json_string_length(v) >= f->max ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return -EPROTO;
		memcpy(p, json_string_value(v), json_string_length(v) + 1);
		return 0;
	}
	return -EPROTO;
}

/* Every field of table t present, each once, none unknown. */
static int
builder_obj_decode(const struct builder_field *t, size_t n, const json_t *o,
    void *base)
{
	size_t i;

	if (!json_is_object(o) || json_object_size(o) != n)
		return -EPROTO;
	for (i = 0; i < n; i++)
		if (builder_field_decode(&t[i], json_object_get(o, t[i].key),
		    base) < 0)
			return -EPROTO;
	return 0;
}

/* At most max objects of table t into elements of size bytes at base. */
static int
builder_array_decode(const struct builder_field *t, size_t n,
    const json_t *a, void *base, size_t size, unsigned max, unsigned *count)
{
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > max)
		return -EPROTO;
	for (i = 0; i < json_array_size(a); i++)
		if (builder_obj_decode(t, n, json_array_get(a, i),
		    (char *)base + i * size) < 0)
			return -EPROTO;
	*count = (unsigned)i;
	return 0;
}

/* Every field present, each once, none unknown. */
static int
builder_spec_decode(const json_t *o, struct hv_stub_spec *spec)
{
	struct hv_devices *d = &spec->devices;
	size_t i;

	memset(spec, 0, sizeof(*spec));
	if (!json_is_object(o) || json_object_size(o) != BUILDER_NFIELDS + 2)
		return -EPROTO;
	for (i = 0; i < BUILDER_NFIELDS; i++)
		if (builder_field_decode(&builder_spec_fields[i],
		    json_object_get(o, builder_spec_fields[i].key), spec) < 0)
			return -EPROTO;
	if (builder_array_decode(BUILDER_TABLE(builder_disk_fields),
	    json_object_get(o, "disks"), d->disks, sizeof(d->disks[0]),
	    HV_DISKS_MAX, &d->ndisks) < 0 ||
	    builder_array_decode(BUILDER_TABLE(builder_nic_fields),
	    json_object_get(o, "nics"), d->nics, sizeof(d->nics[0]),
	    HV_NICS_MAX, &d->nnics) < 0)
		return -EPROTO;
	return 0;
}

/* One JSON object from a whole message, or NULL. */
static json_t *
builder_load(const char *buf, size_t len)
{
	json_t *o;

	if (len == 0 || len > BUILDER_MSG_MAX)
		return NULL;
	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	if (o != NULL && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static int
builder_op_parse(const json_t *v, enum builder_op *op)
{
	size_t i;

	for (i = 0; json_is_string(v) && i < sizeof(builder_ops) /
	    sizeof(builder_ops[0]); i++)
		if (strcmp(json_string_value(v), builder_ops[i]) == 0) {
			*op = (enum builder_op)i;
			return 0;
		}
	return -EPROTO;
}

static int
builder_req_fields(const json_t *o, struct builder_req *req)
{
	unsigned long long n;

	if (builder_uint(json_object_get(o, "id"), 1, INT64_MAX, &n) < 0 ||
	    builder_op_parse(json_object_get(o, "op"), &req->op) < 0 ||
	    json_object_size(o) != (req->op == BUILDER_ATTACH ||
	    req->op == BUILDER_DETACH ? 4 : 3))
		return -EPROTO;
	req->id = n;
	if (req->op != BUILDER_BUILD) {
		if (builder_uint(json_object_get(o, "domid"), 1,
		    BUILDER_DOMID_MAX - 1, &n) < 0)
			return -EPROTO;
		req->domid = (uint32_t)n;
	}
	if (req->op == BUILDER_DESTROY)
		return 0;
	return builder_spec_decode(json_object_get(o, "spec"), &req->spec);
}

int
builder_req_decode(const char *buf, size_t len, struct builder_req *req)
{
	json_t *o = builder_load(buf, len);

	memset(req, 0, sizeof(*req));
	if (o == NULL)
		return -EPROTO;
	req->owner = o;
	if (builder_req_fields(o, req) < 0) {
		builder_req_free(req);
		return -EPROTO;
	}
	return 0;
}

void
builder_req_free(struct builder_req *req)
{
	json_decref(req->owner);
	memset(req, 0, sizeof(*req));
}

int
builder_reply_encode(const struct builder_reply *r, char **out, size_t *len)
{
	json_t *o;

	if (r->err < 0)
		o = json_pack("{s:I, s:i, s:s}", "id", (json_int_t)r->id,
		    "error", -r->err, "why", r->why);
	else if (r->domid != 0)
		o = json_pack("{s:I, s:I}", "id", (json_int_t)r->id,
		    "domid", (json_int_t)r->domid);
	else
		o = json_pack("{s:I, s:b}", "id", (json_int_t)r->id, "ok", 1);
	return builder_dump(o, out, len);
}

/* Untrusted text made printable, in place. */
static void
builder_printable(char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			*s = '?';
}

static int
builder_reply_error(const json_t *o, struct builder_reply *r)
{
	const json_t *why = json_object_get(o, "why");
	unsigned long long e;

	if (builder_uint(json_object_get(o, "error"), 1, 4095, &e) < 0 ||
	    !json_is_string(why) || json_object_size(o) != 3 ||
	    json_string_length(why) >= sizeof(r->why))
		return -EPROTO;
	r->err = -(int)e;
	/* A NUL inside the string ends it: what follows is not shown. */
	memcpy(r->why, json_string_value(why), json_string_length(why));
	r->why[json_string_length(why)] = '\0';
	builder_printable(r->why);
	return 0;
}

static int
builder_reply_fields(const json_t *o, struct builder_reply *r)
{
	unsigned long long n;

	if (builder_uint(json_object_get(o, "id"), 1, INT64_MAX, &n) < 0)
		return -EPROTO;
	r->id = n;
	if (json_object_get(o, "error") != NULL)
		return builder_reply_error(o, r);
	if (json_object_size(o) != 2)
		return -EPROTO;
	if (json_object_get(o, "ok") != NULL)
		return json_is_true(json_object_get(o, "ok")) ? 0 : -EPROTO;
	if (builder_uint(json_object_get(o, "domid"), 1,
	    BUILDER_DOMID_MAX - 1, &n) < 0)
		return -EPROTO;
	r->domid = (uint32_t)n;
	return 0;
}

int
builder_reply_decode(const char *buf, size_t len, struct builder_reply *r)
{
	json_t *o = builder_load(buf, len);
	int rc;

	memset(r, 0, sizeof(*r));
	if (o == NULL)
		return -EPROTO;
	rc = builder_reply_fields(o, r);
	json_decref(o);
	if (rc < 0)
		memset(r, 0, sizeof(*r));
	return rc;
}

int
builder_reply_check(uint64_t id, enum builder_op op, const char *buf,
    size_t len, struct builder_reply *r)
{
	bool reports = op != BUILDER_DESTROY;

	if (len > BUILDER_MSG_MAX ||
	    builder_reply_decode(buf, len, r) < 0 || r->id != id)
		return -EPROTO;
	if (r->err == 0 && reports != (r->domid != 0))
		return -EPROTO;
	return 0;
}

bool
builder_may_pass(enum builder_op op, uint32_t domid,
    enum builder_op earlier_op, uint32_t earlier_domid)
{
	if (domid != 0 && domid == earlier_domid)
		return false;
	return earlier_op != BUILDER_DESTROY || op == BUILDER_DESTROY;
}
