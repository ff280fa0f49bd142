/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xlwaiter: the per-process model of Xen's xl, at its smallest, for bench/.
 *
 * `xl create` leaves one process per domain behind that waits, through
 * libxl, for that domain to die (a xenstore watch on @releaseDomain).
 * This waiter links what that process links (libxenlight, libxenstore,
 * libxentoollog), makes the logger and the domain configuration xl keeps,
 * tries to make a libxl context as xl does (without /dev/xen/privcmd that
 * fails, so it understates xl's memory), then opens xenstore itself
 * (XENSTORED_PATH), watches @releaseDomain and /local/domain/DOMID, writes
 * one byte to READY_FD and blocks until the domain is gone.
 *
 *	xlwaiter DOMID [READY_FD]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxl.h>
#include <xenstore.h>
#include <xentoollog.h>

#define XLWAITER_DOMID_MAX	0x7fefu

static int
xlwaiter_number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && *out <= max ? 0 : -1;
}

/* Is the domain still there?  Its xenstore directory says. */
static int
xlwaiter_alive(struct xs_handle *xs, const char *path)
{
	unsigned int len;
	char *v = xs_read(xs, XBT_NULL, path, &len);

	free(v);
	return v != NULL || errno != ENOENT;
}

static int
xlwaiter_wait(struct xs_handle *xs, unsigned long domid, int ready_fd)
{
	char path[64], domid_path[80];
	unsigned int n;
	char **ev;

	snprintf(path, sizeof(path), "/local/domain/%lu", domid);
	snprintf(domid_path, sizeof(domid_path), "%s/domid", path);
	if (!xs_watch(xs, "@releaseDomain", "release") ||
	    !xs_watch(xs, path, "domain"))
		return -1;
	if (ready_fd >= 0) {
		if (write(ready_fd, "r", 1) != 1)
			return -1;
		close(ready_fd);
	}
	while ((ev = xs_read_watch(xs, &n)) != NULL) {
		free(ev);
		if (!xlwaiter_alive(xs, domid_path))
			return 0;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	xentoollog_logger_stdiostream *lg;
	libxl_domain_config cfg;
	libxl_ctx *ctx = NULL;
	unsigned long domid, fd = (unsigned long)-1;
	struct xs_handle *xs;
	int rc;

	if (argc < 2 || argc > 3 ||
	    xlwaiter_number(argv[1], XLWAITER_DOMID_MAX, &domid) < 0 ||
	    (argc == 3 && xlwaiter_number(argv[2], 65535, &fd) < 0)) {
		fprintf(stderr, "usage: xlwaiter DOMID [READY_FD]\n");
		return 2;
	}
	lg = xtl_createlogger_stdiostream(stderr, XTL_CRITICAL, 0);
	libxl_domain_config_init(&cfg);
	/* Kept for the process's life, as xl does; NULL without Xen. */
	if (libxl_ctx_alloc(&ctx, LIBXL_VERSION, 0,
	    (xentoollog_logger *)lg) != 0)
		ctx = NULL;
	if ((xs = xs_open(0)) == NULL) {
		fprintf(stderr, "xlwaiter: cannot open xenstore: %s\n",
		    strerror(errno));
		return 1;
	}
	rc = xlwaiter_wait(xs, domid, argc == 3 ? (int)fd : -1);
	xs_close(xs);
	if (ctx != NULL)
		libxl_ctx_free(ctx);
	libxl_domain_config_dispose(&cfg);
	xtl_logger_destroy((xentoollog_logger *)lg);
	return rc == 0 ? 0 : 1;
}
