/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: the supervisor (super.c, spawn.c, persist.c, guest.c)
 * reading a hostile xenstore.  The input describes a host: domains and
 * xenstore nodes (guest names, vm paths, device-model states, the daemon's
 * own records), then events.  The real xstore.c runs on a fake of the
 * libxenstore calls it makes; this file also stands in for the hypervisor,
 * in memory.  Lines:
 *
 *   D DOMID FLAGS       a domain; FLAGS of h (HVM), p (paused), s (shut
 *                       down), d (dying), r (has run)
 *   K PATH VALUE        a xenstore node; VALUE percent-decoded
 *   then, after start-up:
 *   W PATH VALUE        write a node and fire the watches on it
 *   X DOMID             the domain goes away
 *   S                   a domain event (scan)
 *   L                   xenstored goes away (the daemon reconnects)
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xenstore.h>

#include "stubdmd/hv.h"
#include "stubdmd/log.h"
#include "stubdmd/persist.h"
#include "stubdmd/policy.h"
#include "stubdmd/stubdmd.h"
#include "stubdmd/super.h"
#include "stubdmd/xstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_NODES	1024
#define FZ_WATCHES	128
#define FZ_EVENTS	1024
#define FZ_DOMS		64

static struct hv_dominfo fz_doms[FZ_DOMS];
static size_t fz_ndoms;
static uint32_t fz_next_domid;
static struct stubdmd fz_sd;
static struct event *fz_ev_reconnect;

/* ---- libxenstore, in memory ------------------------------------------- */

/*
 * The xs_* calls xstore.c makes, answered from a tree built from the
 * input the way xenstored would: writes create parents, a directory lists
 * direct children, a removal takes the subtree, and a watch fires once
 * when set and then for every change at or below its path (a removal also
 * fires the watches below it), its events read through a pipe that
 * libevent polls.  An 'L' line breaks the connection: every call fails
 * with ECONNRESET until xs_open.
 */
struct fz_node { char *path, *value; unsigned len; bool ours; };
struct fz_watch { char *path, *token; };
struct fz_event { char *path, *token; };

struct xs_handle {
	int		pipe[2];
	bool		broken;
};

static struct fz_node fz_nodes[FZ_NODES];
static struct fz_watch fz_watches[FZ_WATCHES];
static struct fz_event fz_events[FZ_EVENTS];
static size_t fz_event_head, fz_nevents;
static struct xs_handle *fz_h;

static struct fz_node *
fz_node(const char *path)
{
	size_t i;

	for (i = 0; i < FZ_NODES; i++)
		if (fz_nodes[i].path != NULL &&
		    strcmp(fz_nodes[i].path, path) == 0)
			return &fz_nodes[i];
	return NULL;
}

/* path is below (or is) top. */
static bool
fz_below(const char *path, const char *top)
{
	size_t n = strlen(top);

	return strncmp(path, top, n) == 0 && (path[n] == '\0' ||
	    path[n] == '/' || strcmp(top, "/") == 0);
}

static void
fz_event_add(const char *path, const char *token)
{
	struct fz_event *e;

	if (fz_h == NULL || fz_nevents == FZ_EVENTS)
		return;	/* xenstored, too, bounds what it queues */
	e = &fz_events[(fz_event_head + fz_nevents++) % FZ_EVENTS];
	e->path = strdup(path);
	e->token = strdup(token);
	if (write(fz_h->pipe[1], "w", 1) < 0) {
		/* full: it is readable anyway */
	}
}

static void
fz_fire(const char *path, bool removed)
{
	size_t i;

	for (i = 0; i < FZ_WATCHES; i++) {
		if (fz_watches[i].path == NULL)
			continue;
		if (fz_below(path, fz_watches[i].path))
			fz_event_add(path, fz_watches[i].token);
		else if (removed && fz_below(fz_watches[i].path, path))
			fz_event_add(fz_watches[i].path, fz_watches[i].token);
	}
}

static struct fz_node *
fz_create(const char *path)
{
	struct fz_node *n = fz_node(path), *slot = NULL;
	char parent[512], *slash;
	size_t i;

	if (n != NULL)
		return n;
	if (path[0] != '/' || strlen(path) >= sizeof(parent))
		return NULL;
	snprintf(parent, sizeof(parent), "%s", path);
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		if (fz_create(parent) == NULL)
			return NULL;
	}
	for (i = 0; i < FZ_NODES && slot == NULL; i++)
		if (fz_nodes[i].path == NULL)
			slot = &fz_nodes[i];
	if (slot == NULL || (slot->path = strdup(path)) == NULL)
		return NULL;
	slot->value = strdup("");
	slot->len = 0;
	slot->ours = false;
	return slot;
}

static int
fz_put(const char *path, const char *value, unsigned len, bool ours)
{
	struct fz_node *n = fz_create(path);
	char *v;

	if (n == NULL || (v = malloc(len + 1)) == NULL)
		return -ENOSPC;
	memcpy(v, value, len);
	v[len] = '\0';
	free(n->value);
	n->value = v;
	n->len = len;
	n->ours = ours;
	fz_fire(path, false);
	return 0;
}

/* The connection works (else errno and false). */
static bool
fz_up(struct xs_handle *h)
{
	if (h != fz_h || h->broken) {
		errno = ECONNRESET;
		return false;
	}
	return true;
}

static bool
fz_fail(int e)
{
	errno = e;
	return false;
}

/* xenstored drops a closed connection's watches and pending events. */
static void
fz_forget(void)
{
	size_t i;

	for (i = 0; i < FZ_WATCHES; i++) {
		free(fz_watches[i].path);
		free(fz_watches[i].token);
		fz_watches[i].path = fz_watches[i].token = NULL;
	}
	for (; fz_nevents > 0; fz_nevents--) {
		free(fz_events[fz_event_head].path);
		free(fz_events[fz_event_head].token);
		fz_event_head = (fz_event_head + 1) % FZ_EVENTS;
	}
	fz_h = NULL;
}

struct xs_handle *
xs_open(unsigned long flags)
{
	struct xs_handle *h = calloc(1, sizeof(*h));

	if (h == NULL || pipe2(h->pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		free(h);
		return NULL;
	}
	fz_h = h;
	return h;
}

void
xs_close(struct xs_handle *h)
{
	if (h == NULL)
		return;
	if (h == fz_h)
		fz_forget();
	close(h->pipe[0]);
	close(h->pipe[1]);
	free(h);
}

int
xs_fileno(struct xs_handle *h)
{
	return h->pipe[0];
}

char **
xs_check_watch(struct xs_handle *h)
{
	struct fz_event *e;
	char **v, buf[64];
	size_t a, b;

	if (!fz_up(h))
		return NULL;
	if (fz_nevents == 0) {
		while (read(h->pipe[0], buf, sizeof(buf)) > 0)
			;
		errno = EAGAIN;
		return NULL;
	}
	e = &fz_events[fz_event_head];
	fz_event_head = (fz_event_head + 1) % FZ_EVENTS;
	fz_nevents--;
	/* One block, freed in one go, as libxenstore returns it. */
	a = strlen(e->path) + 1;
	b = strlen(e->token) + 1;
	if ((v = malloc(2 * sizeof(char *) + a + b)) != NULL) {
		v[XS_WATCH_PATH] = (char *)(v + 2);
		v[XS_WATCH_TOKEN] = v[XS_WATCH_PATH] + a;
		memcpy(v[XS_WATCH_PATH], e->path, a);
		memcpy(v[XS_WATCH_TOKEN], e->token, b);
	}
	free(e->path);
	free(e->token);
	return v;
}

bool
xs_watch(struct xs_handle *h, const char *path, const char *token)
{
	size_t i;

	if (!fz_up(h))
		return false;
	for (i = 0; i < FZ_WATCHES; i++)
		if (fz_watches[i].path == NULL) {
			fz_watches[i].path = strdup(path);
			fz_watches[i].token = strdup(token);
			fz_event_add(path, token);	/* the initial event */
			return true;
		}
	return fz_fail(E2BIG);
}

bool
xs_unwatch(struct xs_handle *h, const char *path, const char *token)
{
	size_t i;

	if (!fz_up(h))
		return false;
	for (i = 0; i < FZ_WATCHES; i++)
		if (fz_watches[i].path != NULL &&
		    strcmp(fz_watches[i].path, path) == 0 &&
		    strcmp(fz_watches[i].token, token) == 0) {
			free(fz_watches[i].path);
			free(fz_watches[i].token);
			fz_watches[i].path = fz_watches[i].token = NULL;
			return true;
		}
	return fz_fail(ENOENT);
}

void *
xs_read(struct xs_handle *h, xs_transaction_t t, const char *path,
    unsigned int *len)
{
	struct fz_node *n;
	char *v;

	if (!fz_up(h))
		return NULL;
	if ((n = fz_node(path)) == NULL) {
		errno = ENOENT;
		return NULL;
	}
	if ((v = malloc(n->len + 1)) == NULL)
		return NULL;
	memcpy(v, n->value, n->len + 1);
	if (len != NULL)
		*len = n->len;
	return v;
}

char **
xs_directory(struct xs_handle *h, xs_transaction_t t, const char *path,
    unsigned int *num)
{
	size_t len = strlen(path), i, size = 0;
	const char *c;
	char **v, *p;

	if (!fz_up(h))
		return NULL;
	if (fz_node(path) == NULL) {
		errno = ENOENT;
		return NULL;
	}
	for (i = 0; i < FZ_NODES; i++)
		if (fz_nodes[i].path != NULL)
			size += strlen(fz_nodes[i].path) + 1;
	/* The array, then the names, in one block as libxenstore does. */
	if ((v = calloc(1, FZ_NODES * sizeof(char *) + size + 1)) == NULL)
		return NULL;
	p = (char *)(v + FZ_NODES);
	*num = 0;
	for (i = 0; i < FZ_NODES; i++) {
		c = fz_nodes[i].path;
		if (c == NULL || strncmp(c, path, len) != 0 || c[len] != '/' ||
		    c[len + 1] == '\0' || strchr(c + len + 1, '/') != NULL)
			continue;
		strcpy(p, c + len + 1);
		v[(*num)++] = p;
		p += strlen(p) + 1;
	}
	return v;
}

bool
xs_write(struct xs_handle *h, xs_transaction_t t, const char *path,
    const void *data, unsigned int len)
{
	if (!fz_up(h))
		return false;
	return fz_put(path, data, len, true) == 0 || fz_fail(ENOSPC);
}

bool
xs_mkdir(struct xs_handle *h, xs_transaction_t t, const char *path)
{
	if (!fz_up(h))
		return false;
	if (fz_node(path) != NULL)
		return true;
	if (fz_create(path) == NULL)
		return fz_fail(ENOSPC);
	fz_fire(path, false);
	return true;
}

bool
xs_rm(struct xs_handle *h, xs_transaction_t t, const char *path)
{
	size_t i;

	if (!fz_up(h))
		return false;
	if (fz_node(path) == NULL)
		return fz_fail(ENOENT);
	for (i = 0; i < FZ_NODES; i++)
		if (fz_nodes[i].path != NULL &&
		    fz_below(fz_nodes[i].path, path)) {
			free(fz_nodes[i].path);
			free(fz_nodes[i].value);
			fz_nodes[i].path = fz_nodes[i].value = NULL;
		}
	fz_fire(path, true);
	return true;
}

bool
xs_set_permissions(struct xs_handle *h, xs_transaction_t t,
    const char *path, struct xs_permissions *perms, unsigned int num_perms)
{
	if (!fz_up(h))
		return false;
	if (fz_node(path) == NULL)
		return fz_fail(ENOENT);
	if (num_perms == 0 || perms == NULL)
		return fz_fail(EINVAL);
	fz_fire(path, false);
	return true;
}

/* Entries "<n|r|w|b><domid>", NUL-separated, as libxenstore reads them. */
bool
xs_strings_to_perms(struct xs_permissions *perms, unsigned int num,
    const char *strings)
{
	static const char kinds[] = "nrwb";
	const char *s = strings, *k;
	unsigned i;
	char *end;

	for (i = 0; i < num; i++, s += strlen(s) + 1) {
		if ((k = strchr(kinds, s[0])) == NULL || s[0] == '\0' ||
		    s[1] < '0' || s[1] > '9')
			return fz_fail(EINVAL);
		perms[i].perms = (unsigned)(k - kinds);
		perms[i].id = (unsigned)strtoul(s + 1, &end, 10);
		if (*end != '\0')
			return fz_fail(EINVAL);
	}
	return true;
}

bool
xs_set_target(struct xs_handle *h, unsigned int domid, unsigned int target)
{
	return fz_up(h);
}

/* An 'L' line: xenstored goes away (and is back for the next xs_open). */
static void
fz_break(void)
{
	if (fz_h != NULL) {
		fz_h->broken = true;
		if (write(fz_h->pipe[1], "l", 1) < 0) {
			/* readable anyway */
		}
	}
}

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

/* A control's report, later from the loop as the backends give it. */
struct fz_done { hv_done_cb *cb; void *arg; int err; };

static void
fz_reported(evutil_socket_t fd, short what, void *arg)
{
	struct fz_done *d = arg;

	fz_pending--;
	/* The daemon gone: as a backend's close reports it. */
	d->cb(d->arg, fz_sd.super != NULL ? d->err : -ECANCELED);
	free(d);
}

static int
fz_report(int err, hv_done_cb *cb, void *arg)
{
	struct fz_done *d;
	struct timeval tv = { 0, 0 };

	if (err < 0 || cb == NULL)
		return err;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return -ENOMEM;
	*d = (struct fz_done){ cb, arg, err };
	if (event_base_once(fz_sd.base, -1, EV_TIMEOUT, fz_reported, d,
	    &tv) < 0) {
		free(d);
		return -ENOMEM;
	}
	fz_pending++;
	return 0;
}

static int
fz_pause(struct hv *hv, uint32_t domid, hv_done_cb *cb, void *arg)
{
	return fz_report(fz_dom(domid) != NULL ? 0 : -ESRCH, cb, arg);
}

static int
fz_unpause(struct hv *hv, uint32_t domid, hv_done_cb *cb, void *arg)
{
	struct hv_dominfo *d = fz_dom(domid);

	if (d == NULL)
		return -ESRCH;
	d->paused = false;
	d->cpu_ns = 1;
	return fz_report(0, cb, arg);
}

static int
fz_shutdown(struct hv *hv, uint32_t domid, enum hv_shutdown why,
    hv_done_cb *cb, void *arg)
{
	struct hv_dominfo *d = fz_dom(domid);

	if (d == NULL)
		return -ESRCH;
	d->shutdown = true;
	d->shutdown_reason = (int)why;
	return fz_report(0, cb, arg);
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
	.set_target = fz_set_target, .pause = fz_pause, .unpause = fz_unpause,
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
		fz_put(path, value != NULL ? value : "", value != NULL ?
		    (unsigned)strlen(value) : 0, false);
		break;
	case 'X':
		if (started) {
			fz_dom_remove((uint32_t)strtoul(line + 1, NULL, 10));
			fz_fire("@releaseDomain", false);
		}
		break;
	case 'S':
		if (started)
			fz_fire("@introduceDomain", false);
		break;
	case 'L':
		if (started)
			fz_break();
		break;
	}
}

/* What stubdmd.c does when xenstored goes and comes back. */
static void
fz_reconnect(evutil_socket_t fd, short what, void *arg)
{
	struct timeval now = { 0, 0 };

	if (xstore_connect(fz_sd.xs) < 0)
		evtimer_add(fz_ev_reconnect, &now);
}

static void
fz_lost(void *arg)
{
	struct timeval now = { 0, 0 };

	evtimer_add(fz_ev_reconnect, &now);
}

static void
fz_reconnected(void *arg)
{
	if (fz_sd.super != NULL)
		super_reconcile(fz_sd.super, "xenstored reconnected");
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
	fz_ev_reconnect = evtimer_new(fz_sd.base, fz_reconnect, NULL);
	if (fz_ev_reconnect == NULL)
		abort();
}

/* A connection per input, as the daemon makes at start. */
static void
fz_connect(void)
{
	static const struct xstore_hooks hooks = {
		.lost = fz_lost,
		.reconnected = fz_reconnected,
	};

	if ((fz_sd.xs = xstore_new(fz_sd.base, &hooks)) == NULL ||
	    xstore_connect(fz_sd.xs) < 0)
		abort();
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

/* Run the loop until no build or watch event is pending (bounded). */
static void
fz_drain(void)
{
	int i;

	for (i = 0; i < 16 && (fz_pending > 0 || fz_nevents > 0); i++)
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
	fz_connect();
	if ((fz_sd.super = super_new(&fz_sd)) == NULL)
		abort();
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (!started && strchr("WXSL", line[0]) != NULL) {
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
	evtimer_del(fz_ev_reconnect);
	xstore_free(fz_sd.xs);
	fz_sd.xs = NULL;
	while (fz_pending > 0)	/* builds, controls in flight: dropped */
		event_base_loop(fz_sd.base, EVLOOP_NONBLOCK);
	free(text);
	return 0;
}
