/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What libxl gives its own Linux stub domain besides the domain and its
 * disks and NICs (Xen 4.17, libxl_dm.c), for a stub stubdmd rebuilds in
 * libxl's place: the consoles 1.. (1: the device model's save file, 2: a
 * restore stream, none here, 3..: the guest's serial ports), served by the
 * QEMU libxl runs in dom0 for the stub's disks.  Console 2 of an own-mode
 * stub that restores a device state reads its file, as libxl's does (a
 * "pipe:" chardev: the dom0 QEMU reads the file into the console).  Not
 * the dom0 end of QMP
 * (libxl runs vchan-socket-proxy for that; stubdmd starts no programs).
 * Own-mode stubs get the same consoles for the policy's serial (a stub
 * with no qdisk disk has no such QEMU: xlbuild.c says so).  A pooled spare
 * is built with a channel as its console 1, so that it has that QEMU, and
 * gets console 2 and the serial port when a guest takes it.
 * Runs in the builder process (xlbuild.c), after libxl built the paused
 * stub.
 */
#include <errno.h>
#include <stdbool.h>
#include <libxl.h>
#include <libxl_utils.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "stubdmd/xlstub.h"

#define XLSTUB_PATH_MAX		256
#define XLSTUB_SERIALS_MAX	16
#define XLSTUB_CONSOLE_SERIAL	3	/* libxl's STUBDOM_CONSOLE_SERIAL */
#define XLSTUB_CONSOLE_LIMIT	"1048576"
#define XLSTUB_SAVE_FILE	"/var/lib/xen/qemu-save"
#define XLSTUB_TX_TRIES		16

struct xlstub_kv {
	const char	*key;
	const char	*value;
};

/* One xenstore directory: its keys, owned by owner, readable by reader. */
static int
xlstub_write_dir(struct xs_handle *xs, xs_transaction_t t, const char *dir,
    unsigned owner, unsigned reader, const struct xlstub_kv *kv)
{
	struct xs_permissions perms[2] = {
		{ .id = owner, .perms = XS_PERM_NONE },
		{ .id = reader, .perms = XS_PERM_READ },
	};
	char path[XLSTUB_PATH_MAX];

	if (!xs_mkdir(xs, t, dir) ||
	    !xs_set_permissions(xs, t, dir, perms, 2))
		return -errno;
	for (; kv->key != NULL; kv++) {
		snprintf(path, sizeof(path), "%s/%s", dir, kv->key);
		if (!xs_write(xs, t, path, kv->value,
		    (unsigned)strlen(kv->value)) ||
		    !xs_set_permissions(xs, t, path, perms, 2))
			return -errno;
	}
	return 0;
}

/*
 * Console N of the stub, as libxl__device_console_add writes one, in one
 * transaction: a running stub's front-end probes the device as soon as it
 * appears, and gives up on one it finds half written.
 */
static int
xlstub_console_tx(struct xs_handle *xs, xs_transaction_t t, uint32_t stub,
    unsigned n, const char *output)
{
	char fe[XLSTUB_PATH_MAX], be[XLSTUB_PATH_MAX], id[16];
	int rc;

	snprintf(fe, sizeof(fe), "/local/domain/%u/device/console/%u",
	    stub, n);
	snprintf(be, sizeof(be), "/local/domain/0/backend/console/%u/%u",
	    stub, n);
	snprintf(id, sizeof(id), "%u", stub);
	{
		/* No output (console 2): QEMU opens nothing for it. */
		const struct xlstub_kv ro[] = {
			{ "limit", XLSTUB_CONSOLE_LIMIT }, { "type", "ioemu" },
			{ "tty", "" }, { output != NULL ? "output" : NULL,
			output }, { NULL, NULL } };
		const struct xlstub_kv front[] = {
			{ "backend", be }, { "backend-id", "0" },
			{ "state", "1" }, { "protocol", "vt100" },
			{ NULL, NULL } };
		const struct xlstub_kv back[] = {
			{ "frontend", fe }, { "frontend-id", id },
			{ "online", "1" }, { "state", "1" },
			{ "protocol", "vt100" }, { NULL, NULL } };

		/* The read-only keys first, dom0's; then the stub's own. */
		if ((rc = xlstub_write_dir(xs, t, fe, 0, stub, ro)) < 0 ||
		    (rc = xlstub_write_dir(xs, t, fe, stub, 0, front)) < 0)
			return rc;
		return xlstub_write_dir(xs, t, be, 0, stub, back);
	}
}

static int
xlstub_console(struct xs_handle *xs, uint32_t stub, unsigned n,
    const char *output)
{
	xs_transaction_t t;
	int rc, tries;

	for (tries = 0; tries < XLSTUB_TX_TRIES; tries++) {
		if ((t = xs_transaction_start(xs)) == XBT_NULL)
			return -errno;
		rc = xlstub_console_tx(xs, t, stub, n, output);
		if (!xs_transaction_end(xs, t, rc < 0) && rc == 0) {
			if (errno == EAGAIN)
				continue;	/* raced: write it again */
			return -errno;
		}
		return rc;
	}
	return -EAGAIN;
}

/* The guest's serial ports, from libxl's saved configuration of it. */
static int
xlstub_serials(libxl_ctx *ctx, uint32_t guest, char **out, int max)
{
	libxl_domain_config dc;
	uint8_t *data = NULL;
	int len = 0, n = 0, i;
	char **list;

	libxl_domain_config_init(&dc);
	/* libxl stores it with its terminating NUL. */
	if (libxl_userdata_retrieve(ctx, guest, "libxl-json", &data,
	    &len) != 0 || len <= 0 || data[len - 1] != '\0' ||
	    libxl_domain_config_from_json(ctx, &dc, (const char *)data) != 0)
		goto out;
	if (dc.b_info.type != LIBXL_DOMAIN_TYPE_HVM)
		goto out;
	if (dc.b_info.u.hvm.serial != NULL)
		out[n++] = strdup(dc.b_info.u.hvm.serial);
	list = dc.b_info.u.hvm.serial_list;
	for (i = 0; list != NULL && list[i] != NULL && n < max; i++)
		out[n++] = strdup(list[i]);
out:
	free(data);
	libxl_domain_config_dispose(&dc);
	return n;
}

/*
 * Consoles 1 (save file; a spare has its channel there), 2 (the restore
 * stream, if any) and the serial ports (own: the one of an own-mode
 * guest, "" none; NULL: libxl's saved configuration of the guest).
 */
static int
xlstub_consoles(libxl_ctx *ctx, struct xs_handle *xs, uint32_t stub,
    uint32_t guest, const char *own, const char *restore, bool spare)
{
	char *serial[XLSTUB_SERIALS_MAX] = { NULL };
	char save[XLSTUB_PATH_MAX], stream[XLSTUB_PATH_MAX];
	bool in = restore != NULL && restore[0] != '\0';
	int n = 0, i, rc = 0;

	snprintf(save, sizeof(save), "file:%s.%u", XLSTUB_SAVE_FILE, guest);
	if (in && snprintf(stream, sizeof(stream), "pipe:%s", restore) >=
	    (int)sizeof(stream))
		return -ENAMETOOLONG;
	if (own != NULL && own[0] != '\0') {
		serial[0] = strdup(own);
		n = 1;
	} else if (own == NULL)
		n = xlstub_serials(ctx, guest, serial, XLSTUB_SERIALS_MAX);
	if ((!spare && (rc = xlstub_console(xs, stub, 1, save)) < 0) ||
	    (rc = xlstub_console(xs, stub, 2, in ? stream : NULL)) < 0)
		goto out;
	for (i = 0; i < n && rc == 0; i++)
		rc = serial[i] == NULL ? -ENOMEM : xlstub_console(xs, stub,
		    XLSTUB_CONSOLE_SERIAL + (unsigned)i, serial[i]);
out:
	for (i = 0; i < n; i++)
		free(serial[i]);
	return rc;
}

static int
xlstub_open_consoles(libxl_ctx *ctx, uint32_t stub, uint32_t guest,
    const char *serial, const char *restore, bool spare)
{
	struct xs_handle *xs;
	int rc;

	if ((xs = xs_open(0)) == NULL)
		return -errno;
	rc = xlstub_consoles(ctx, xs, stub, guest, serial, restore, spare);
	xs_close(xs);
	return rc;
}

int
xlstub_serve(libxl_ctx *ctx, uint32_t stub, uint32_t guest,
    const char *serial, const char *restore)
{
	return xlstub_open_consoles(ctx, stub, guest, serial, restore, false);
}

int
xlstub_serve_spare(uint32_t stub, uint32_t guest, const char *serial)
{
	return xlstub_open_consoles(NULL, stub, guest, serial, NULL, true);
}
