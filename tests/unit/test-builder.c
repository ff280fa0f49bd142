/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests of the builder protocol (stubdmd/builder.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stubdmd/builder.h"
#include "tests/unit/unit.h"

static const char SPEC_JSON[] = "{\"id\":7,\"op\":\"build\",\"spec\":{"
    "\"name\":\"web1-dm\",\"uuid\":\"01234567-89ab-cdef-0123-456789abcdef\","
    "\"target\":5,\"memory_mib\":256,\"vcpus\":1,\"kernel\":\"/k\","
    "\"ramdisk\":\"\",\"cmdline\":\"\",\"from_libxl\":false,"
    "\"serial\":\"file:/var/log/web1.serial\",\"spare\":false,"
    "\"restore\":\"\","
    "\"disks\":[{\"backend_domid\":0,\"devid\":768,\"index\":0,"
    "\"backend\":1,\"format\":0,\"readwrite\":true,\"cdrom\":false,"
    "\"vdev\":\"hda\",\"target\":\"/srv/a.img\"}],\"nics\":[]}}";

static struct hv_stub_spec
spec_example(void)
{
	struct hv_stub_spec s = {
		.name = "web1-dm",
		.target = 5,
		.memory_mib = 256,
		.vcpus = 2,
		.kernel = "/usr/lib/xen/boot/qemu-stubdom-linux-kernel",
		.ramdisk = NULL,
		.cmdline = "console=hvc0 \"quoted\" \\ tab\t",
		.from_libxl = true,
		.serial = "file:/var/log/xen/web1 %.serial",
		.restore = "/var/lib/xen/qemu-resume.5",
	};
	unsigned i;

	for (i = 0; i < 16; i++)
		s.uuid[i] = (uint8_t)(i * 17);
	return s;
}

static int
req_decode_str(const char *s, struct builder_req *req)
{
	return builder_req_decode(s, strlen(s), req);
}

/* SPEC_JSON with one substring replaced: still a request? */
static int
req_variant(const char *from, const char *to)
{
	char buf[1024], *p = strstr(SPEC_JSON, from);
	struct builder_req req;
	int rc;

	if (p == NULL)
		return -ENOENT;
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - SPEC_JSON), SPEC_JSON,
	    to, p + strlen(from));
	rc = req_decode_str(buf, &req);
	if (rc == 0)
		builder_req_free(&req);
	return rc;
}

static void
test_build_roundtrip(void)
{
	struct hv_stub_spec s = spec_example();
	struct builder_req req = { .id = 42, .op = BUILDER_BUILD, .spec = s };
	struct builder_req back;
	char *msg = NULL;
	size_t len = 0;

	CHECK(builder_req_encode(&req, &msg, &len) == 0, "build encodes");
	CHECK(msg != NULL && len == strlen(msg) && len < BUILDER_MSG_MAX,
	    "one message under the cap");
	CHECK(builder_req_decode(msg, len, &back) == 0, "build decodes");
	CHECK(back.id == 42 && back.op == BUILDER_BUILD, "id and op kept");
	CHECK(strcmp(back.spec.name, s.name) == 0 &&
	    strcmp(back.spec.kernel, s.kernel) == 0 &&
	    strcmp(back.spec.cmdline, s.cmdline) == 0 &&
	    strcmp(back.spec.serial, s.serial) == 0 &&
	    strcmp(back.spec.restore, s.restore) == 0, "strings kept");
	CHECK(back.spec.ramdisk != NULL && back.spec.ramdisk[0] == '\0',
	    "no ramdisk travels as empty");
	CHECK(memcmp(back.spec.uuid, s.uuid, 16) == 0, "uuid kept");
	CHECK(back.spec.target == 5 && back.spec.memory_mib == 256 &&
	    back.spec.vcpus == 2 && back.spec.from_libxl, "numbers kept");
	builder_req_free(&back);
	free(msg);
}

/* The most disks and NICs, each target path filled with c. */
static void
fill_devices(struct hv_devices *d, char c)
{
	unsigned i;

	for (i = 0; i < HV_DISKS_MAX; i++, d->ndisks++) {
		d->disks[i].devid = 768 + i;
		d->disks[i].index = i;
		d->disks[i].backend = HV_DISK_QDISK;
		d->disks[i].format = HV_FORMAT_QCOW2;
		d->disks[i].cdrom = i == 2;
		snprintf(d->disks[i].vdev, sizeof(d->disks[i].vdev), "xvd%c",
		    'a' + i);
		memset(d->disks[i].target, c, sizeof(d->disks[i].target) - 1);
		d->disks[i].target[0] = '/';
	}
	for (i = 0; i < HV_NICS_MAX; i++, d->nnics++) {
		d->nics[i].devid = i;
		d->nics[i].emulated = i % 2 == 0;
		snprintf(d->nics[i].mac, sizeof(d->nics[i].mac),
		    "00:16:3e:00:00:%02x", i);
		snprintf(d->nics[i].bridge, sizeof(d->nics[i].bridge), "br%u", i);
		snprintf(d->nics[i].model, sizeof(d->nics[i].model), "e1000");
		memset(d->nics[i].script, c, sizeof(d->nics[i].script) - 1);
	}
}

/*
 * Every string at its largest, all escaped, and the most devices with
 * their longest paths, still fit one message.
 */
static void
test_largest_spec(void)
{
	static char big[BUILDER_STR_MAX + 1];
	struct builder_req req = { .id = 1, .op = BUILDER_BUILD };
	struct builder_req back;
	char *msg = NULL;
	size_t len = 0;

	memset(big, 0x01, BUILDER_STR_MAX);	/* 6 bytes each: \u0001 */
	req.spec = spec_example();
	req.spec.kernel = req.spec.ramdisk = req.spec.cmdline = big;
	req.spec.serial = big;
	fill_devices(&req.spec.devices, 0x01);
	CHECK(builder_req_encode(&req, &msg, &len) == 0 &&
	    len <= BUILDER_MSG_MAX && builder_req_decode(msg, len, &back) == 0,
	    "the largest spec fits one message");
	builder_req_free(&back);
	free(msg);
}

/* An own-mode guest's disks and NICs travel whole. */
static void
test_devices_roundtrip(void)
{
	struct hv_stub_spec s = spec_example();
	struct builder_req req = { .id = 9, .op = BUILDER_BUILD };
	struct hv_devices *d = &s.devices;
	struct builder_req back;
	char *msg = NULL;
	size_t len = 0;

	fill_devices(d, 'x');
	req.spec = s;
	CHECK(builder_req_encode(&req, &msg, &len) == 0 &&
	    builder_req_decode(msg, len, &back) == 0,
	    "the most devices fit one message");
	CHECK(back.spec.devices.ndisks == HV_DISKS_MAX &&
	    back.spec.devices.nnics == HV_NICS_MAX, "every device kept");
	CHECK(memcmp(&back.spec.devices.disks, &d->disks,
	    sizeof(d->disks)) == 0, "the disks, field by field");
	CHECK(memcmp(&back.spec.devices.nics, &d->nics,
	    sizeof(d->nics)) == 0, "the NICs, field by field");
	builder_req_free(&back);
	free(msg);
}

static void
test_destroy_roundtrip(void)
{
	struct builder_req req = { .id = 3, .op = BUILDER_DESTROY,
	    .domid = 77 };
	struct builder_req back;
	char *msg = NULL;
	size_t len = 0;

	CHECK(builder_req_encode(&req, &msg, &len) == 0 &&
	    builder_req_decode(msg, len, &back) == 0 &&
	    back.op == BUILDER_DESTROY && back.domid == 77 && back.id == 3,
	    "destroy round trip");
	builder_req_free(&back);
	free(msg);
	CHECK(req_decode_str("{\"id\":1,\"op\":\"destroy\",\"domid\":0}",
	    &back) == -EPROTO, "destroy of domain 0 refused");
	CHECK(req_decode_str("{\"id\":1,\"op\":\"destroy\",\"domid\":32752}",
	    &back) == -EPROTO, "destroy of a reserved domid refused");
	CHECK(req_decode_str("{\"id\":1,\"op\":\"reboot\",\"domid\":3}",
	    &back) == -EPROTO, "unknown op refused");
}

/* A taken spare's devices: the stub's domid and the spec both travel. */
static void
test_attach_roundtrip(void)
{
	struct builder_req req = { .id = 9, .op = BUILDER_ATTACH,
	    .domid = 41, .spec = spec_example() };
	struct builder_req back;
	char *msg = NULL;
	size_t len = 0;

	req.spec.from_libxl = false;
	req.spec.devices.ndisks = 1;
	snprintf(req.spec.devices.disks[0].vdev,
	    sizeof(req.spec.devices.disks[0].vdev), "hda");
	CHECK(builder_req_encode(&req, &msg, &len) == 0 &&
	    builder_req_decode(msg, len, &back) == 0 &&
	    back.op == BUILDER_ATTACH && back.domid == 41 && back.id == 9,
	    "attach round trip: op, id and the stub");
	CHECK(strcmp(back.spec.serial, req.spec.serial) == 0 &&
	    back.spec.target == 5 && back.spec.devices.ndisks == 1 &&
	    strcmp(back.spec.devices.disks[0].vdev, "hda") == 0,
	    "attach round trip: the serial port and the disks");
	builder_req_free(&back);
	free(msg);
	CHECK(req_decode_str("{\"id\":1,\"op\":\"attach\",\"domid\":3}",
	    &back) == -EPROTO, "an attach without a spec refused");
	CHECK(req_variant("\"op\":\"build\",", "\"op\":\"attach\",") ==
	    -EPROTO, "an attach without the stub refused");
	CHECK(req_variant("\"op\":\"build\",",
	    "\"op\":\"attach\",\"domid\":0,") == -EPROTO,
	    "an attach to domain 0 refused");
	CHECK(req_variant("\"op\":\"build\",",
	    "\"op\":\"attach\",\"domid\":12,") == 0,
	    "an attach to a spare decodes");
	CHECK(req_variant("\"spare\":false", "\"spare\":1") == -EPROTO,
	    "spare must be a boolean");
}

/* A CD's medium taken back: the stub and the disk travel, as for attach. */
static void
test_detach_roundtrip(void)
{
	struct builder_req req = { .id = 11, .op = BUILDER_DETACH,
	    .domid = 42, .spec = spec_example() };
	struct builder_req back;
	char *msg = NULL;
	size_t len = 0;

	req.spec.from_libxl = false;
	req.spec.devices.ndisks = 1;
	snprintf(req.spec.devices.disks[0].vdev,
	    sizeof(req.spec.devices.disks[0].vdev), "xvdzc");
	CHECK(builder_req_encode(&req, &msg, &len) == 0 &&
	    strstr(msg, "\"op\":\"detach\"") != NULL &&
	    builder_req_decode(msg, len, &back) == 0 &&
	    back.op == BUILDER_DETACH && back.domid == 42 && back.id == 11 &&
	    back.spec.devices.ndisks == 1 &&
	    strcmp(back.spec.devices.disks[0].vdev, "xvdzc") == 0,
	    "detach round trip: op, id, the stub and its disk");
	builder_req_free(&back);
	free(msg);
	CHECK(req_decode_str("{\"id\":1,\"op\":\"detach\",\"domid\":3}",
	    &back) == -EPROTO, "a detach without a spec refused");
	CHECK(builder_may_pass(BUILDER_DETACH, 42, BUILDER_ATTACH, 42) ==
	    false, "a detach never passes an attach to the same stub");
}

static void
test_request_checks(void)
{
	struct builder_req req;

	CHECK(req_decode_str(SPEC_JSON, &req) == 0, "sample request decodes");
	builder_req_free(&req);
	CHECK(req_variant("\"vcpus\":1", "\"vcpus\":129") == -EPROTO,
	    "vcpus capped");
	CHECK(req_variant("\"target\":5", "\"target\":32752") == -EPROTO,
	    "target capped");
	CHECK(req_variant("\"target\":5", "\"target\":-1") == -EPROTO,
	    "negative number refused");
	CHECK(req_variant("\"memory_mib\":256", "\"memory_mib\":\"256\"") ==
	    -EPROTO, "number as a string refused");
	CHECK(req_variant("\"from_libxl\":false", "\"from_libxl\":0") ==
	    -EPROTO, "bool as a number refused");
	CHECK(req_variant("\"serial\":\"file:/var/log/web1.serial\",", "") ==
	    -EPROTO, "a missing serial refused");
	CHECK(req_variant("\"restore\":\"\",", "") == -EPROTO,
	    "a missing restore refused");
	CHECK(req_variant("\"cmdline\":\"\",", "") == -EPROTO,
	    "missing field refused");
	CHECK(req_variant("\"cmdline\":\"\"", "\"cmdline\":\"\",\"x\":1") ==
	    -EPROTO, "unknown field refused");
	CHECK(req_variant("\"cmdline\":\"\"", "\"cmdline\":\"\","
	    "\"cmdline\":\"a\"") == -EPROTO, "duplicate field refused");
	CHECK(req_variant("89ab-", "89ab") == -EPROTO, "bad uuid refused");
	CHECK(req_variant("\"id\":7", "\"id\":0") == -EPROTO, "id 0 refused");
	CHECK(req_variant("}}", "}") == -EPROTO, "truncated JSON refused");
	CHECK(req_decode_str("[1]", &req) == -EPROTO, "array refused");
	CHECK(req_variant("\"vdev\":\"hda\"", "\"vdev\":\"hdaaaaaa\"") ==
	    -EPROTO, "a disk's name longer than its array refused");
	CHECK(req_variant("\"backend\":1", "\"backend\":3") == -EPROTO,
	    "an unknown disk backend refused");
	CHECK(req_variant("\"cdrom\":false,", "") == -EPROTO,
	    "a disk's missing field refused");
	CHECK(req_variant("\"nics\":[]", "\"nics\":[{}]") == -EPROTO,
	    "an empty NIC refused");
	CHECK(req_variant(",\"nics\":[]", "") == -EPROTO,
	    "no nics array refused");
}

static int
reply_str(const char *s, struct builder_reply *r)
{
	return builder_reply_decode(s, strlen(s), r);
}

static void
test_replies(void)
{
	struct builder_reply in = { .id = 9, .domid = 12 }, out;
	char *msg = NULL;
	size_t len;

	CHECK(builder_reply_encode(&in, &msg, &len) == 0 &&
	    builder_reply_decode(msg, len, &out) == 0 && out.id == 9 &&
	    out.domid == 12 && out.err == 0, "domid reply round trip");
	free(msg);
	in.domid = 0;
	CHECK(builder_reply_encode(&in, &msg, &len) == 0 &&
	    builder_reply_decode(msg, len, &out) == 0 && out.domid == 0 &&
	    out.err == 0, "ok reply round trip");
	free(msg);
	in.err = -ENOENT;
	snprintf(in.why, sizeof(in.why), "no kernel: \x01 here");
	CHECK(builder_reply_encode(&in, &msg, &len) == 0 &&
	    builder_reply_decode(msg, len, &out) == 0 &&
	    out.err == -ENOENT && strcmp(out.why, "no kernel: ? here") == 0,
	    "error reply round trip, made printable");
	free(msg);
}

static void
test_reply_checks(void)
{
	static const char *const bad[] = {
		"",
		"{",
		"[]",
		"{\"domid\":3}",
		"{\"id\":0,\"domid\":3}",
		"{\"id\":1,\"domid\":0}",
		"{\"id\":1,\"domid\":32752}",
		"{\"id\":1,\"domid\":3.0}",
		"{\"id\":1,\"domid\":3,\"ok\":true}",
		"{\"id\":1,\"ok\":false}",
		"{\"id\":1,\"error\":0,\"why\":\"x\"}",
		"{\"id\":1,\"error\":4096,\"why\":\"x\"}",
		"{\"id\":1,\"error\":5}",
		"{\"id\":1,\"error\":5,\"why\":3}",
		"{\"id\":1,\"error\":5,\"why\":\"x\",\"domid\":3}",
		"{\"id\":1,\"id\":1,\"ok\":true}",
		"{\"id\":1}",
	};
	struct builder_reply r;
	char *big;
	size_t i;
	bool all = true;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (reply_str(bad[i], &r) != -EPROTO) {
			printf("# accepted: %s\n", bad[i]);
			all = false;
		}
	CHECK(all, "every malformed reply refused");
	big = malloc(BUILDER_WHY_MAX + 64);
	snprintf(big, BUILDER_WHY_MAX + 64,
	    "{\"id\":1,\"error\":5,\"why\":\"%0*d\"}", BUILDER_WHY_MAX, 0);
	CHECK(reply_str(big, &r) == -EPROTO, "overlong reason refused");
	free(big);
	CHECK(builder_reply_decode("{\"id\":1,\"ok\":true}", BUILDER_MSG_MAX +
	    1, &r) == -EPROTO, "oversized message refused");
}

/* check_str ID OP S: builder_reply_check of a string reply. */
static int
check_str(uint64_t id, enum builder_op op, const char *s,
    struct builder_reply *r)
{
	return builder_reply_check(id, op, s, strlen(s), r);
}

/* A well-formed reply that answers another request, or the wrong way. */
static void
test_reply_answers(void)
{
	struct builder_reply r;

	CHECK(check_str(4, BUILDER_BUILD, "{\"id\":4,\"domid\":9}", &r) == 0 &&
	    r.domid == 9, "a build answered with its domain");
	CHECK(check_str(4, BUILDER_ATTACH, "{\"id\":4,\"domid\":9}", &r) == 0,
	    "an attach answered with its domain");
	CHECK(check_str(4, BUILDER_DESTROY, "{\"id\":4,\"ok\":true}", &r) == 0,
	    "a destroy answered ok");
	CHECK(check_str(4, BUILDER_BUILD,
	    "{\"id\":4,\"error\":5,\"why\":\"x\"}", &r) == 0 && r.err == -5,
	    "a failed build answered");
	CHECK(check_str(4, BUILDER_BUILD, "{\"id\":3,\"domid\":9}", &r) ==
	    -EPROTO, "another request's id refused (a builder that lies)");
	CHECK(check_str(4, BUILDER_BUILD, "{\"id\":4,\"ok\":true}", &r) ==
	    -EPROTO, "a build answered without a domain refused");
	CHECK(check_str(4, BUILDER_DESTROY, "{\"id\":4,\"domid\":9}", &r) ==
	    -EPROTO, "a destroy answered with a domain refused");
	CHECK(check_str(4, BUILDER_BUILD, "{\"id\":4,\"domid\":9,\"x\":1}",
	    &r) == -EPROTO, "a malformed answer refused");
	CHECK(builder_reply_check(4, BUILDER_DESTROY, "{\"id\":4,\"ok\":true}",
	    BUILDER_MSG_MAX + 1, &r) == -EPROTO, "an oversized answer refused");
}

/* The pool's order: what a request may pass on the way to a builder. */
static void
test_pool_order(void)
{
	static const struct {
		enum builder_op	 op;
		uint32_t	 domid;
		enum builder_op	 earlier;
		uint32_t	 earlier_domid;
		bool		 may;
		const char	*what;
	} t[] = {
		{ BUILDER_BUILD, 0, BUILDER_BUILD, 0, true,
		    "a build passes a build" },
		{ BUILDER_BUILD, 0, BUILDER_ATTACH, 7, true,
		    "a build passes an attach" },
		{ BUILDER_BUILD, 0, BUILDER_DESTROY, 7, false,
		    "a build waits for an earlier destroy" },
		{ BUILDER_ATTACH, 8, BUILDER_DESTROY, 7, false,
		    "an attach waits for an earlier destroy" },
		{ BUILDER_ATTACH, 8, BUILDER_BUILD, 0, true,
		    "an attach passes a build" },
		{ BUILDER_ATTACH, 8, BUILDER_ATTACH, 7, true,
		    "an attach passes another spare's attach" },
		{ BUILDER_DESTROY, 8, BUILDER_DESTROY, 7, true,
		    "a destroy passes another domain's destroy" },
		{ BUILDER_DESTROY, 8, BUILDER_BUILD, 0, true,
		    "a destroy passes a build" },
		{ BUILDER_DESTROY, 7, BUILDER_ATTACH, 7, false,
		    "a destroy waits for its domain's attach" },
		{ BUILDER_DESTROY, 7, BUILDER_DESTROY, 7, false,
		    "a destroy waits for its domain's earlier destroy" },
		{ BUILDER_ATTACH, 7, BUILDER_ATTACH, 7, false,
		    "an attach waits for its domain's earlier attach" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK(builder_may_pass(t[i].op, t[i].domid, t[i].earlier,
		    t[i].earlier_domid) == t[i].may, t[i].what);
}

int
main(void)
{
	test_build_roundtrip();
	test_largest_spec();
	test_devices_roundtrip();
	test_destroy_roundtrip();
	test_attach_roundtrip();
	test_detach_roundtrip();
	test_request_checks();
	test_replies();
	test_reply_checks();
	test_reply_answers();
	test_pool_order();
	return unit_done();
}
