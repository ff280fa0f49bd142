/*
 * libFuzzer target: the supervisor (super.c, spawn.c, persist.c, guest.c)
 * reading a hostile xenstore.  The input describes a host: domains and
 * xenstore nodes (guest names, vm paths, device-model states, the daemon's
 * own records), then events; this file stands in for xstore.c and for the
 * hypervisor, in memory.  Lines:
 *
 *   D DOMID FLAGS       a domain; FLAGS of h (HVM), p (paused), s (shut
 *                       down), d (dying), r (has run)
 *   K PATH VALUE        a xenstore node; VALUE percent-decoded
 *   then, after start-up:
 *   W PATH VALUE        write a node and fire the watches on it
 *   X DOMID             the domain goes away
 *   S                   a domain event (scan)
 */
#include <errno.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stubdmd/hv.h"
#include "stubdmd/log.h"
#include "stubdmd/persist.h"
#include "stubdmd/policy.h"
#include "stubdmd/stubdmd.h"
#include "stubdmd/super.h"
#include "stubdmd/xstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_NODES	256
#define FZ_WATCHES	128
#define FZ_DOMS		64

struct fz_node { char *path, *value; bool ours; };
struct fz_watch { char *path; xstore_watch_cb *cb; void *arg; };

static struct fz_node fz_nodes[FZ_NODES];
static struct fz_watch fz_watches[FZ_WATCHES];
static struct hv_dominfo fz_doms[FZ_DOMS];
static size_t fz_ndoms;
static uint32_t fz_next_domid;
static struct stubdmd fz_sd;
static struct xstore *fz_xs = (struct xstore *)&fz_sd;	/* any non-NULL */

/* ---- xenstore, in memory ---------------------------------------------- */

static struct fz_node *
fz_node(const char *path, bool create)
{
	struct fz_node *free_slot = NULL;
	size_t i;

	for (i = 0; i < FZ_NODES; i++) {
		if (fz_nodes[i].path == NULL) {
			if (free_slot == NULL)
				free_slot = &fz_nodes[i];
		} else if (strcmp(fz_nodes[i].path, path) == 0)
			return &fz_nodes[i];
	}
	if (!create || free_slot == NULL)
		return NULL;
	free_slot->path = strdup(path);
	free_slot->value = strdup("");
	return free_slot;
}

static void
fz_fire(const char *path)
{
	size_t i, n;

	for (i = 0; i < FZ_WATCHES; i++) {
		if (fz_watches[i].path == NULL)
			continue;
		n = strlen(fz_watches[i].path);
		if (strncmp(path, fz_watches[i].path, n) == 0 &&
		    (path[n] == '\0' || path[n] == '/'))
			fz_watches[i].cb(fz_watches[i].arg, path);
	}
}

struct xstore *
xstore_new(struct event_base *base, const struct xstore_hooks *hooks)
{
	return fz_xs;
}

void xstore_free(struct xstore *x) {}
int xstore_connect(struct xstore *x) { return 0; }
bool xstore_connected(const struct xstore *x) { return true; }
unsigned xstore_reconnects(const struct xstore *x) { return 0; }

int
xstore_watch(struct xstore *x, const char *path, xstore_watch_cb *cb,
    void *arg)
{
	size_t i;

	for (i = 0; i < FZ_WATCHES; i++)
		if (fz_watches[i].path == NULL) {
			fz_watches[i].path = strdup(path);
			fz_watches[i].cb = cb;
			fz_watches[i].arg = arg;
			return 0;
		}
	return -ENOSPC;
}

void
xstore_unwatch(struct xstore *x, const char *path, void *arg)
{
	size_t i;

	for (i = 0; i < FZ_WATCHES; i++)
		if (fz_watches[i].path != NULL && fz_watches[i].arg == arg &&
		    strcmp(fz_watches[i].path, path) == 0) {
			free(fz_watches[i].path);
			fz_watches[i].path = NULL;
			return;
		}
}

size_t
xstore_nwatches(const struct xstore *x)
{
	size_t i, n = 0;

	for (i = 0; i < FZ_WATCHES; i++)
		n += fz_watches[i].path != NULL;
	return n;
}

char *
xstore_read(struct xstore *x, const char *path)
{
	struct fz_node *n = fz_node(path, false);

	if (n == NULL) {
		errno = ENOENT;
		return NULL;
	}
	return strdup(n->value);
}

int
xstore_parse_uint(const char *v, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(v, &end, 10);
	return v[0] >= '0' && v[0] <= '9' && *end == '\0' && errno == 0 &&
	    *out <= max ? 0 : -EINVAL;
}

int
xstore_read_uint(struct xstore *x, const char *path, unsigned long max,
    unsigned long *out)
{
	char *v = xstore_read(x, path);
	int rc;

	if (v == NULL)
		return -errno;
	rc = xstore_parse_uint(v, max, out);
	free(v);
	return rc;
}

char **
xstore_directory(struct xstore *x, const char *path, unsigned *n)
{
	size_t len = strlen(path), i, j, size = 0;
	const char *c;
	char **v, *p;

	for (i = 0; i < FZ_NODES; i++)
		if (fz_nodes[i].path != NULL)
			size += strlen(fz_nodes[i].path) + 1;
	/* The array, then the names, in one block as libxenstore does. */
	if ((v = calloc(1, FZ_NODES * sizeof(char *) + size + 1)) == NULL)
		return NULL;
	p = (char *)(v + FZ_NODES);
	*n = 0;
	for (i = 0; i < FZ_NODES; i++) {
		if (fz_nodes[i].path == NULL ||
		    strncmp(fz_nodes[i].path, path, len) != 0 ||
		    fz_nodes[i].path[len] != '/')
			continue;
		c = fz_nodes[i].path + len + 1;
		j = strcspn(c, "/");
		memcpy(p, c, j);
		p[j] = '\0';
		v[(*n)++] = p;
		p += j + 1;
	}
	return v;
}

static int
fz_put(const char *path, const char *value, bool ours)
{
	struct fz_node *n = fz_node(path, true);

	if (n == NULL)
		return -ENOSPC;
	free(n->value);
	n->value = strdup(value);
	n->ours = ours;
	return 0;
}

int
xstore_write(struct xstore *x, const char *path, const char *value)
{
	return fz_put(path, value, true);
}

int
xstore_printf(struct xstore *x, const char *path, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return xstore_write(x, path, buf);
}

int
xstore_rm(struct xstore *x, const char *path)
{
	size_t len = strlen(path), i;

	for (i = 0; i < FZ_NODES; i++)
		if (fz_nodes[i].path != NULL &&
		    strncmp(fz_nodes[i].path, path, len) == 0 &&
		    (fz_nodes[i].path[len] == '\0' ||
		    fz_nodes[i].path[len] == '/')) {
			free(fz_nodes[i].path);
			free(fz_nodes[i].value);
			fz_nodes[i].path = fz_nodes[i].value = NULL;
		}
	return 0;
}

int
xstore_mkdir_perms(struct xstore *x, const char *path, const char *perms)
{
	return fz_node(path, true) != NULL ? 0 : -ENOSPC;
}

int xstore_set_perms(struct xstore *x, const char *p, const char *m) { return 0; }
int xstore_set_target(struct xstore *x, uint32_t s, uint32_t g) { return 0; }

/* ---- the hypervisor, in memory ---------------------------------------- */

static struct hv_dominfo *
fz_dom(uint32_t domid)
{
	size_t i;

	for (i = 0; i < fz_ndoms; i++)
		if (fz_doms[i].domid == domid)
			return &fz_doms[i];
	return NULL;
}

static struct hv_dominfo *
fz_dom_add(uint32_t domid)
{
	struct hv_dominfo *d;

	if ((d = fz_dom(domid)) != NULL || fz_ndoms == FZ_DOMS)
		return d;
	d = &fz_doms[fz_ndoms++];
	memset(d, 0, sizeof(*d));
	d->domid = domid;
	d->uuid[0] = (uint8_t)domid;
	d->uuid[1] = (uint8_t)(domid >> 8);
	d->uuid[6] = 0x40;
	d->uuid[8] = 0x80;
	return d;
}

static void
fz_dom_remove(uint32_t domid)
{
	struct hv_dominfo *d = fz_dom(domid);

	if (d != NULL)
		*d = fz_doms[--fz_ndoms];
}

static int
fz_list(struct hv *hv, uint32_t first, struct hv_dominfo **out, size_t *n)
{
	size_t i;

	if ((*out = calloc(fz_ndoms + 1, sizeof(**out))) == NULL)
		return -ENOMEM;
	for (*n = i = 0; i < fz_ndoms; i++)
		if (fz_doms[i].domid >= first)
			(*out)[(*n)++] = fz_doms[i];
	return 0;
}

struct fz_build { hv_build_cb *cb; void *arg; int err; uint32_t domid; };
static unsigned fz_pending;

static void
fz_built(evutil_socket_t fd, short what, void *arg)
{
	struct fz_build *b = arg;

	fz_pending--;
	if (fz_sd.super != NULL)	/* else the daemon is gone */
		b->cb(b->arg, b->err, b->domid, b->err < 0 ? "no room" : NULL);
	free(b);
}

static int
fz_build(struct hv *hv, const struct hv_stub_spec *spec, hv_build_cb *cb,
    void *arg)
{
	struct fz_build *b = calloc(1, sizeof(*b));
	struct timeval tv = { 0, 0 };
	struct hv_dominfo *d;

	if (b == NULL)
		return -ENOMEM;
	b->cb = cb;
	b->arg = arg;
	b->domid = fz_next_domid++;
	if (b->domid >= 0x7ff0 || (d = fz_dom_add(b->domid)) == NULL)
		b->err = -ENOSPC;
	else {
		d->paused = true;
		memcpy(d->uuid, spec->uuid, sizeof(d->uuid));
	}
	if (event_base_once(fz_sd.base, -1, EV_TIMEOUT, fz_built, b, &tv) < 0) {
		free(b);
		return -ENOMEM;
	}
	fz_pending++;
	return 0;
}

static int
fz_op(struct hv *hv, uint32_t domid)
{
	return fz_dom(domid) != NULL ? 0 : -ESRCH;
}

static int
fz_unpause(struct hv *hv, uint32_t domid)
{
	struct hv_dominfo *d = fz_dom(domid);

	if (d == NULL)
		return -ESRCH;
	d->paused = false;
	d->cpu_ns = 1;
	return 0;
}

static int
fz_shutdown(struct hv *hv, uint32_t domid, enum hv_shutdown why)
{
	struct hv_dominfo *d = fz_dom(domid);

	if (d == NULL)
		return -ESRCH;
	d->shutdown = true;
	d->shutdown_reason = (int)why;
	return 0;
}

static int
fz_destroy(struct hv *hv, uint32_t domid)
{
	struct hv_dominfo *d = fz_dom(domid);

	if (d == NULL)
		return -ESRCH;
	/* The policy never destroys a guest: only stubs (PV) may go. */
	if (d->hvm)
		abort();
	fz_dom_remove(domid);
	return 0;
}

static int
fz_set_target(struct hv *hv, uint32_t stub, uint32_t guest)
{
	return fz_dom(stub) != NULL && fz_dom(guest) != NULL ? 0 : -ESRCH;
}

static const struct hv_ops fz_hv_ops = {
	.name = "fuzz", .list = fz_list, .build = fz_build,
	.set_target = fz_set_target, .pause = fz_op, .unpause = fz_unpause,
	.shutdown = fz_shutdown, .destroy = fz_destroy,
};
static struct hv fz_hv = { .ops = &fz_hv_ops };

/* ---- the input ----------------------------------------------------------- */

static void
fz_decode(char *s)
{
	char *o = s, hex[3] = "";

	for (; *s != '\0'; s++) {
		if (s[0] == '%' && s[1] != '\0' && s[2] != '\0') {
			hex[0] = s[1];
			hex[1] = s[2];
			*o = (char)strtoul(hex, NULL, 16);
			if (*o == '\0')
				break;
			o++;
			s += 2;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

/* One line of the input. */
static void
fz_line(char *line, bool started)
{
	char *path, *value, *f;
	unsigned long domid;
	struct hv_dominfo *d;

	switch (line[0]) {
	case 'D':
		domid = strtoul(line + 1, &f, 10);
		if (started || domid == 0 || domid >= 0x7ff0 ||
		    (d = fz_dom_add((uint32_t)domid)) == NULL)
			return;
		d->hvm = strchr(f, 'h') != NULL;
		d->emu_flags = d->hvm ? 0x3ff : 0;
		d->paused = strchr(f, 'p') != NULL;
		d->shutdown = strchr(f, 's') != NULL;
		d->dying = strchr(f, 'd') != NULL;
		d->cpu_ns = strchr(f, 'r') != NULL;
		break;
	case 'K':
	case 'W':
		if ((path = strchr(line, ' ')) == NULL)
			return;
		path++;
		if ((value = strchr(path, ' ')) != NULL)
			*value++ = '\0';
		fz_decode(value != NULL ? value : path + strlen(path));
		if (fz_put(path, value != NULL ? value : "", false) == 0 &&
		    started)
			fz_fire(path);
		break;
	case 'X':
		if (started) {
			fz_dom_remove((uint32_t)strtoul(line + 1, NULL, 10));
			fz_fire("@releaseDomain");
		}
		break;
	case 'S':
		if (started)
			fz_fire("@introduceDomain");
		break;
	}
}

static void
fz_setup(void)
{
	char path[64], kernel[64];
	struct policy_diag diag = { 0 };
	FILE *f;

	snprintf(kernel, sizeof(kernel), "/tmp/stubdm-fuzz-super.%d.kernel",
	    (int)getpid());
	snprintf(path, sizeof(path), "/tmp/stubdm-fuzz-super.%d.ini",
	    (int)getpid());
	if ((f = fopen(kernel, "w")) == NULL || fclose(f) != 0 ||
	    (f = fopen(path, "w")) == NULL)
		abort();
	fprintf(f, "[defaults]\nkernel = %s\nramdisk =\nbackoff_initial = "
	    "10ms\nbackoff_max = 20ms\nmax_restarts = 2\n[guest \"web*\"]\n"
	    "on_dm_death = pause-guest\non_giveup = pause-guest\n[guest \"*x*\"]\nstubdom = no\n",
	    kernel);
	if (fclose(f) != 0 || policy_load(path, &fz_sd.policy, &diag) < 0)
		abort();
	policy_diag_free(&diag);
	unlink(path);
	log_init("fuzz-super", LOG_LVL_ERROR);
	if ((fz_sd.base = event_base_new()) == NULL)
		abort();
	fz_hv.base = fz_sd.base;
	fz_sd.hv = &fz_hv;
	fz_sd.xs = fz_xs;
}

static void
fz_reset(void)
{
	size_t i;

	for (i = 0; i < FZ_NODES; i++) {
		free(fz_nodes[i].path);
		free(fz_nodes[i].value);
		fz_nodes[i].path = fz_nodes[i].value = NULL;
	}
	for (i = 0; i < FZ_WATCHES; i++) {
		free(fz_watches[i].path);
		fz_watches[i].path = NULL;
	}
	fz_ndoms = 0;
	fz_next_domid = 1000;
}

/* What the daemon wrote back must be records it can read again. */
static void
fz_check_records(void)
{
	struct guest g;
	size_t i;
	int rc;

	for (i = 0; i < FZ_NODES; i++) {
		if (fz_nodes[i].path == NULL || !fz_nodes[i].ours ||
		    strncmp(fz_nodes[i].path, "/tool/stubdmd/guests/", 21) != 0)
			continue;
		guest_init(&g, 1, "g", NULL, NULL);
		rc = persist_decode(&g, fz_nodes[i].value);
		guest_release(&g);
		if (rc < 0)
			abort();
	}
}

/* Run the loop until no build is in flight (bounded). */
static void
fz_drain(void)
{
	int i;

	for (i = 0; i < 16 && fz_pending > 0; i++)
		event_base_loop(fz_sd.base, EVLOOP_NONBLOCK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *line, *save = NULL;
	bool started = false;

	if (fz_sd.base == NULL)
		fz_setup();
	if ((text = strndup((const char *)data, size)) == NULL)
		return 0;
	fz_reset();
	fz_dom_add(0);
	if ((fz_sd.super = super_new(&fz_sd)) == NULL)
		abort();
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (!started && (line[0] == 'W' || line[0] == 'X' ||
		    line[0] == 'S')) {
			super_start(fz_sd.super);
			event_base_loop(fz_sd.base, EVLOOP_NONBLOCK);
			started = true;
		}
		fz_line(line, started);
		if (started)
			event_base_loop(fz_sd.base, EVLOOP_NONBLOCK);
	}
	if (!started)
		super_start(fz_sd.super);
	fz_drain();
	fz_check_records();
	super_free(fz_sd.super);
	fz_sd.super = NULL;
	while (fz_pending > 0)	/* builds still in flight: dropped */
		event_base_loop(fz_sd.base, EVLOOP_NONBLOCK);
	free(text);
	return 0;
}
