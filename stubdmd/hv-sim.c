/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Simulated-host backend: the hypervisor calls become requests on hvsim's
 * control socket (tests/hvsim/PROTOCOL.md).  Requests are small and local,
 * so most are made synchronously; builds still complete through the event
 * loop, and listings and domain controls are made by a worker thread
 * (lister.c), as they are on real Xen.
 */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "stubdmd/hv.h"
#include "stubdmd/lister.h"

#define SIM_LINE_MAX	65536

struct hv_sim {
	struct hv	 hv;
	char		*ctl_path;
	char		*rundir;
	int		 fd;
	FILE		*in;
	/* The lister's thread has a connection of its own (lister.c)... */
	struct hv_sim	*worker;
	struct lister	*lister;
	/* ... and so has the domain controls' (hv.h: off the loop). */
	struct hv_sim	*ctl_worker;
	struct lister	*controls;
	/* Destroys queued: listings show them dying, as Xen's backend does. */
	TAILQ_HEAD(, hv_sim_ctl) destroys;
	hv_list_cb	*list_cb;
	void		*list_arg;
};

struct hv_sim_build {
	struct lister	*lister;
	hv_build_cb	*cb;
	void		*arg;
	int		 err;
	uint32_t	 domid;
	char		 why[256];
};

/* A domain control for the lister's thread: hvsim's verb and words. */
struct hv_sim_ctl {
	struct hv_sim	*s;
	const char	*verb;
	uint32_t	 domid;
	char		 b[16];		/* "": none */
	hv_done_cb	*cb;
	void		*arg;
	bool		 destroy;
	TAILQ_ENTRY(hv_sim_ctl) link;	/* a destroy, until it is answered */
};

static const char *const sim_errnames[] = {
	[EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH",
	[EIO] = "EIO", [E2BIG] = "E2BIG", [EAGAIN] = "EAGAIN",
	[ENOMEM] = "ENOMEM", [EACCES] = "EACCES", [EBUSY] = "EBUSY",
	[EEXIST] = "EEXIST", [EINVAL] = "EINVAL", [ENOSPC] = "ENOSPC",
	[ENOSYS] = "ENOSYS",
};

static int
sim_errno(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(sim_errnames) / sizeof(sim_errnames[0]); i++)
		if (sim_errnames[i] != NULL && strcmp(sim_errnames[i], name) == 0)
			return (int)i;
	return EIO;
}

static void
sim_disconnect(struct hv_sim *s)
{
	if (s->in != NULL)
		fclose(s->in);	/* closes s->fd too */
	else if (s->fd != -1)
		close(s->fd);
	s->in = NULL;
	s->fd = -1;
}

static int
sim_connect(struct hv_sim *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = -1;

	if (strlen(s->ctl_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, s->ctl_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    (s->in = fdopen(fd, "r")) == NULL) {
		int err = -errno;

		close(fd);
		return err;
	}
	s->fd = fd;
	return 0;
}

/* Percent-encode one word of a request (PROTOCOL.md). */
static void
sim_encode(char *out, size_t size, const char *w)
{
	static const char safe[] = "._/:@=,+-*?[]~";
	size_t o = 0;

	if (*w == '\0') {
		snprintf(out, size, "%%");	/* an empty word is a lone '%' */
		return;
	}
	for (; *w != '\0' && o + 4 < size; w++) {
		unsigned char c = (unsigned char)*w;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(safe, c) != NULL)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, size - o, "%%%02X", c);
	}
	out[o] = '\0';
}

static int
sim_send(struct hv_sim *s, const char *const *words, size_t n)
{
	char *line = NULL, word[4096];
	size_t len = 0, i;
	FILE *m = open_memstream(&line, &len);
	int rc = 0;

	if (m == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		sim_encode(word, sizeof(word), words[i]);
		fprintf(m, "%s%s", i ? " " : "", word);
	}
	fputc('\n', m);
	fclose(m);
	if (send(s->fd, line, len, MSG_NOSIGNAL) != (ssize_t)len)
		rc = -errno ? -errno : -EIO;
	free(line);
	return rc;
}

/*
 * One request: words out, first reply line back in *reply (malloc'd, the
 * text after "OK").  "ERR NAME text" becomes -errno with *reply = text.
 * Reconnects once if the connection was lost.
 */
static int
sim_request(struct hv_sim *s, const char *const *words, size_t n,
    char **reply)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc, attempt;

	*reply = NULL;
	for (attempt = 0; attempt < 2; attempt++) {
		/* A failed reconnect leaves the first attempt's line to free. */
		if (s->fd == -1 && (rc = sim_connect(s)) < 0)
			goto out;
		if ((rc = sim_send(s, words, n)) == 0 &&
		    (len = getline(&line, &cap, s->in)) > 0)
			break;
		sim_disconnect(s);
		rc = -ECONNRESET;
	}
	if (attempt == 2)
		goto out;
	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "OK", 2) == 0) {
		*reply = strdup(line[2] == ' ' ? line + 3 : "");
		rc = *reply ? 0 : -ENOMEM;
		goto out;
	}
	rc = -EIO;
	if (strncmp(line, "ERR ", 4) == 0) {
		char *name = line + 4, *text = strchr(name, ' ');

		if (text != NULL)
			*text++ = '\0';
		rc = -sim_errno(name);
		*reply = strdup(text ? text : name);
	}
out:
	free(line);
	return rc;
}

static int
sim_simple(struct hv *hv, const char *verb, uint32_t a, const char *b)
{
	struct hv_sim *s = (struct hv_sim *)hv;
	char id[16], *reply;
	const char *w[3] = { verb, id, b };
	int rc;

	snprintf(id, sizeof(id), "%u", a);
	rc = sim_request(s, w, b ? 3 : 2, &reply);
	/* Every simple request changes a domain (or its name): see lister.c. */
	lister_changed(s->lister);
	free(reply);
	return rc;
}

static int
sim_parse_dominfo(const char *line, struct hv_dominfo *d)
{
	unsigned hvm, paused, shut, dying;
	char uuid[64];

	memset(d, 0, sizeof(*d));
	if (sscanf(line, "%u %u %x %u %u %d %u %lu %lu %63s", &d->domid,
	    &hvm, &d->emu_flags, &paused, &shut, &d->shutdown_reason,
	    &dying, &d->cpu_ns, &d->mem_kib, uuid) != 10)
		return -EPROTO;
	d->hvm = hvm;
	d->paused = paused;
	d->shutdown = shut;
	d->dying = dying;
	return hv_uuid_parse(uuid, d->uuid) == 0 ? 0 : -EPROTO;
}

/* On the lister's thread too, with its own connection: no logging. */
static int
sim_list_on(struct hv_sim *s, uint32_t first, struct hv_dominfo **out,
    size_t *n)
{
	char from[16];
	const char *w[] = { "hv-list", from };
	struct hv_dominfo *v = NULL;
	char *reply = NULL, *line = NULL;
	size_t cap = 0, count, i;
	int rc;

	snprintf(from, sizeof(from), "%u", first);
	if ((rc = sim_request(s, w, first > 0 ? 2 : 1, &reply)) < 0)
		goto out;
	rc = -EPROTO;
	if (sscanf(reply, "%zu", &count) != 1 || count > 1000000)
		goto out;
	if ((v = calloc(count ? count : 1, sizeof(*v))) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < count; i++) {
		if (getline(&line, &cap, s->in) <= 0 ||
		    sim_parse_dominfo(line, &v[i]) < 0) {
			sim_disconnect(s);	/* out of step: start afresh */
			goto out;
		}
	}
	*out = v;
	*n = count;
	v = NULL;
	rc = 0;
out:
	free(v);
	free(line);
	free(reply);
	return rc;
}


static bool
sim_destroying(const struct hv_sim *s, uint32_t domid)
{
	const struct hv_sim_ctl *c;

	TAILQ_FOREACH(c, &s->destroys, link)
		if (c->domid == domid)
			return true;
	return false;
}

/* A domain whose destroy is queued is as good as gone. */
static void
sim_listed(void *arg, int err, struct hv_dominfo *v, size_t n)
{
	struct hv_sim *s = arg;
	size_t i;

	for (i = 0; err == 0 && i < n; i++)
		v[i].dying |= sim_destroying(s, v[i].domid);
	s->list_cb(s->list_arg, err, v, n);
}

static int
sim_lister_list(void *ctx, uint32_t first, struct hv_dominfo **out,
    size_t *n)
{
	return sim_list_on(ctx, first, out, n);
}

/* The simulated host lists from a domid on: the first is the one. */
static int
sim_dominfo(struct hv *hv, uint32_t domid, struct hv_dominfo *out)
{
	struct hv_dominfo *v = NULL;
	size_t n = 0;
	int rc;

	if ((rc = sim_list_on((struct hv_sim *)hv, domid, &v, &n)) < 0)
		return rc;
	rc = n > 0 && v[0].domid == domid ? 0 : -ESRCH;
	if (rc == 0)
		*out = v[0];
	free(v);
	return rc;
}

/* The dom0 ends of the stubs' consoles 1 and 2 are in the run directory. */
static const char *
sim_state_dir(struct hv *hv)
{
	return ((struct hv_sim *)hv)->rundir;
}

static int
sim_list(struct hv *hv, uint32_t first, struct hv_dominfo **out, size_t *n)
{
	struct hv_sim *s = (struct hv_sim *)hv;
	int rc = sim_list_on(s, first, out, n);
	size_t i;

	for (i = 0; rc == 0 && i < *n; i++)
		(*out)[i].dying |= sim_destroying(s, (*out)[i].domid);
	return rc;
}

static int
sim_list_start(struct hv *hv, uint32_t first, hv_list_cb *cb, void *arg)
{
	struct hv_sim *s = (struct hv_sim *)hv;
	int rc;

	if ((rc = lister_start(s->lister, first, sim_listed, s)) == 0) {
		s->list_cb = cb;
		s->list_arg = arg;
	}
	return rc;
}

/* A build or attach done: a listing under way may predate it. */
static void
sim_build_done(evutil_socket_t fd, short what, void *arg)
{
	struct hv_sim_build *b = arg;

	lister_changed(b->lister);
	b->cb(b->arg, b->err, b->domid, b->why);
	free(b);
}

/* hvsim's build-pv words for the stub's devices (PROTOCOL.md). */
static size_t
sim_device_words(const struct hv_devices *v, char (*buf)[512],
    const char **w)
{
	static const char *const backends[] = { "phy", "qdisk", "tap" };
	static const char *const formats[] = { "raw", "qcow", "qcow2", "vhd",
	    "empty" };
	const struct hv_disk *d;
	const struct hv_nic *n;
	size_t k = 0;
	unsigned i;

	for (i = 0; i < v->ndisks && i < HV_DISKS_MAX; i++, k++) {
		d = &v->disks[i];
		snprintf(buf[k], sizeof(buf[k]), "vbd=%u,%u,%s,%s,%s,%s,%s,%s",
		    d->devid, d->backend_domid, d->vdev, backends[d->backend],
		    d->readwrite ? "w" : "r", d->cdrom ? "cdrom" : "disk",
		    formats[d->format], d->target);
		w[k] = buf[k];
	}
	for (i = 0; i < v->nnics && i < HV_NICS_MAX; i++, k++) {
		n = &v->nics[i];
		snprintf(buf[k], sizeof(buf[k]), "vif=%u,%u,%s,%s,%s%s,%s,"
		    "%s,%s", n->devid, n->backend_domid, n->mac, n->bridge,
		    n->ifname, n->ifname[0] != '\0' ? "-emu" : "", n->model,
		    n->emulated ? "ioemu" : "vif", n->script);
		w[k] = buf[k];
	}
	return k;
}

/*
 * The device words, the serial word and the restore word of a spec: how
 * many (serial holds two words of size bytes).
 */
static size_t
sim_spec_words(const struct hv_stub_spec *spec, char (*dev)[512],
    char (*serial)[600], const char **w)
{
	size_t k = sim_device_words(&spec->devices, dev, w);

	if (spec->serial != NULL && spec->serial[0] != '\0') {
		snprintf(serial[0], sizeof(serial[0]), "serial=%s",
		    spec->serial);
		w[k++] = serial[0];
	}
	if (spec->restore != NULL && spec->restore[0] != '\0') {
		snprintf(serial[1], sizeof(serial[1]), "restore=%s",
		    spec->restore);
		w[k++] = serial[1];
	}
	return k;
}

/* A request whose reply is a domid, reported from the loop as a build. */
static int
sim_request_domid(struct hv *hv, const char *const *w, size_t nw,
    hv_build_cb *cb, void *arg)
{
	struct hv_sim *s = (struct hv_sim *)hv;
	struct timeval now = { 0, 0 };
	struct hv_sim_build *b;
	char *reply = NULL;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -ENOMEM;
	b->lister = s->lister;
	b->cb = cb;
	b->arg = arg;
	b->err = sim_request(s, w, nw, &reply);
	if (b->err == 0 && sscanf(reply, "%u", &b->domid) != 1)
		b->err = -EPROTO;
	snprintf(b->why, sizeof(b->why), "%s", b->err == 0 ? "" :
	    reply ? reply : strerror(-b->err));
	free(reply);
	if (event_base_once(hv->base, -1, EV_TIMEOUT, sim_build_done, b,
	    &now) == -1) {
		free(b);
		return -ENOMEM;
	}
	return 0;
}

static int
sim_build(struct hv *hv, const struct hv_stub_spec *spec, hv_build_cb *cb,
    void *arg)
{
	char mem[16], vcpus[16], uuid[48];
	char (*dev)[512] = NULL, serial[2][600];
	const char *w[10 + HV_DISKS_MAX + HV_NICS_MAX] = { "build-pv",
	    spec->name, mem, vcpus, spec->kernel,
	    spec->ramdisk ? spec->ramdisk : "",
	    spec->cmdline ? spec->cmdline : "", uuid };
	size_t nw = 8;
	int rc;

	if ((dev = calloc(HV_DISKS_MAX + HV_NICS_MAX, sizeof(*dev))) == NULL)
		return -ENOMEM;
	nw += sim_spec_words(spec, dev, serial, w + nw);
	snprintf(mem, sizeof(mem), "%u", spec->memory_mib);
	snprintf(vcpus, sizeof(vcpus), "%u", spec->vcpus);
	memcpy(uuid, "uuid=", 5);
	hv_uuid_format(spec->uuid, uuid + 5);
	rc = sim_request_domid(hv, w, nw, cb, arg);
	free(dev);
	return rc;
}

/* A running stub gains (attach-pv) or loses (detach-pv) the spec's devices. */
static int
sim_devices_verb(struct hv *hv, const char *verb, uint32_t stub,
    const struct hv_stub_spec *spec, hv_build_cb *cb, void *arg)
{
	char id[16], (*dev)[512] = NULL, serial[2][600];
	const char *w[4 + HV_DISKS_MAX + HV_NICS_MAX] = { verb, id };
	size_t nw = 2;
	int rc;

	if ((dev = calloc(HV_DISKS_MAX + HV_NICS_MAX, sizeof(*dev))) == NULL)
		return -ENOMEM;
	snprintf(id, sizeof(id), "%u", stub);
	nw += sim_spec_words(spec, dev, serial, w + nw);
	rc = sim_request_domid(hv, w, nw, cb, arg);
	free(dev);
	return rc;
}

static int
sim_attach(struct hv *hv, uint32_t stub, const struct hv_stub_spec *spec,
    hv_build_cb *cb, void *arg)
{
	return sim_devices_verb(hv, "attach-pv", stub, spec, cb, arg);
}

static int
sim_detach(struct hv *hv, uint32_t stub, const struct hv_stub_spec *spec,
    hv_build_cb *cb, void *arg)
{
	return sim_devices_verb(hv, "detach-pv", stub, spec, cb, arg);
}

static int
sim_set_target(struct hv *hv, uint32_t stub, uint32_t guest)
{
	char g[16];

	snprintf(g, sizeof(g), "%u", guest);
	return sim_simple(hv, "set-target", stub, g);
}

/* On the lister's thread, its own connection: no logging. */
static int
sim_ctl_call(void *ctx, void *arg)
{
	struct hv_sim_ctl *c = arg;

	return sim_simple(ctx, c->verb, c->domid, c->b[0] ? c->b : NULL);
}

static void
sim_ctl_done(void *arg, int err)
{
	struct hv_sim_ctl *c = arg;
	hv_done_cb *cb = c->cb;
	void *cbarg = c->arg;

	/* A listing begun before it took effect is taken again. */
	if (err != -ECANCELED)
		lister_changed(c->s->lister);
	if (c->destroy)
		TAILQ_REMOVE(&c->s->destroys, c, link);
	free(c);
	if (cb != NULL)
		cb(cbarg, err);
}

/*
 * Made off the loop, in order, as on real Xen: the path the tests take
 * is the one Xen's takes (control-fault makes them slow).
 */
static int
sim_ctl(struct hv *hv, const char *verb, uint32_t domid, const char *b,
    hv_done_cb *cb, void *arg)
{
	struct hv_sim *s = (struct hv_sim *)hv;
	struct hv_sim_ctl *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL)
		return -ENOMEM;
	*c = (struct hv_sim_ctl){ .s = s, .verb = verb, .domid = domid,
	    .cb = cb, .arg = arg, .destroy = strcmp(verb, "destroy") == 0 };
	snprintf(c->b, sizeof(c->b), "%s", b != NULL ? b : "");
	if ((rc = lister_call(s->controls, sim_ctl_call, sim_ctl_done,
	    c)) < 0) {
		free(c);
		return rc;
	}
	lister_changed(s->lister);	/* a listing under way predates it */
	if (c->destroy)
		TAILQ_INSERT_TAIL(&s->destroys, c, link);
	return 0;
}

static int
sim_pause(struct hv *hv, uint32_t domid, hv_done_cb *cb, void *arg)
{
	return sim_ctl(hv, "pause", domid, NULL, cb, arg);
}

static int
sim_unpause(struct hv *hv, uint32_t domid, hv_done_cb *cb, void *arg)
{
	return sim_ctl(hv, "unpause", domid, NULL, cb, arg);
}

static int
sim_shutdown(struct hv *hv, uint32_t domid, enum hv_shutdown why,
    hv_done_cb *cb, void *arg)
{
	char r[16];

	snprintf(r, sizeof(r), "%d", (int)why);
	return sim_ctl(hv, "shutdown", domid, r, cb, arg);
}

/* Its failure (a domain already gone) is no news: the listing says. */
static int
sim_destroy(struct hv *hv, uint32_t domid)
{
	if (sim_destroying((struct hv_sim *)hv, domid))
		return 0;
	return sim_ctl(hv, "destroy", domid, NULL, NULL, NULL);
}

static int
sim_rename(struct hv *hv, uint32_t domid, const char *name)
{
	return sim_simple(hv, "rename", domid, name);
}

/* hvsim keeps what each simulated device model printed. */
static char *
sim_console_tail(struct hv *hv, uint32_t domid, const char *name,
    unsigned lines)
{
	struct hv_sim *s = (struct hv_sim *)hv;
	char id[16], want[16], *reply = NULL, *line = NULL, *out = NULL;
	const char *w[] = { "console", id, want };
	size_t cap = 0, len = 0, count, i;
	FILE *m;

	snprintf(id, sizeof(id), "%u", domid);
	snprintf(want, sizeof(want), "%u", lines);
	if (sim_request(s, w, 3, &reply) < 0 ||
	    sscanf(reply, "%zu", &count) != 1 || count > lines ||
	    (m = open_memstream(&out, &len)) == NULL) {
		free(reply);
		return NULL;
	}
	for (i = 0; i < count; i++) {
		if (getline(&line, &cap, s->in) <= 0) {
			sim_disconnect(s);
			break;
		}
		fputs(line, m);
	}
	fclose(m);
	free(line);
	free(reply);
	return out;
}

/*
 * What a simulated stub serves dom0 is a UNIX socket hvsim listens on:
 * RUNDIR/NAME-STUB.sock (tests/hvsim/PROTOCOL.md).
 */
static int
sim_chan_open(struct hv *hv, uint32_t stub, uint32_t guest, const char *name,
    int *fd)
{
	struct hv_sim *s = (struct hv_sim *)hv;
	size_t dirlen = strlen(s->ctl_path) - strlen("/ctl");
	char path[128];	/* longer than sun_path: hv_connect_unix says */

	*fd = -1;
	if (snprintf(path, sizeof(path), "%.*s/%s-%u.sock", (int)dirlen,
	    s->ctl_path, name, stub) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return hv_connect_unix(path, fd);
}

static void
sim_close(struct hv *hv)
{
	struct hv_sim *s = (struct hv_sim *)hv;

	if (s == NULL)
		return;
	lister_free(s->controls);
	lister_free(s->lister);
	if (s->ctl_worker != NULL)
		sim_close(&s->ctl_worker->hv);
	if (s->worker != NULL)
		sim_close(&s->worker->hv);
	sim_disconnect(s);
	free(s->ctl_path);
	free(s->rundir);
	free(s);
}

/* hvsim serves each running device model's QMP at RUNDIR/qmp-STUB. */
static int
sim_dm_connect(struct hv *hv, uint32_t guest, uint32_t stub, bool libxl,
    int *fd)
{
	struct hv_sim *s = (struct hv_sim *)hv;
	char path[128];	/* longer than sun_path: hv_connect_unix says */

	*fd = -1;
	if (snprintf(path, sizeof(path), "%s/qmp-%u", s->rundir, stub) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	return hv_connect_unix(path, fd);
}

static const struct hv_ops sim_ops = {
	.name = "sim",
	.list = sim_list,
	.list_start = sim_list_start,
	.build = sim_build,
	.set_target = sim_set_target,
	.pause = sim_pause,
	.unpause = sim_unpause,
	.shutdown = sim_shutdown,
	.destroy = sim_destroy,
	.console_tail = sim_console_tail,
	.attach = sim_attach,
	.detach = sim_detach,
	.rename = sim_rename,
	.dm_connect = sim_dm_connect,
	.chan_open = sim_chan_open,
	.dominfo = sim_dominfo,
	.state_dir = sim_state_dir,
	.close = sim_close,
};

/* A worker's connection (made at its first request), and its queue. */
static int
sim_worker_open(struct hv_sim *s, lister_fn *fn, struct hv_sim **wp,
    struct lister **lp)
{
	struct hv_sim *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return -ENOMEM;
	w->fd = -1;
	*wp = w;
	if ((w->ctl_path = strdup(s->ctl_path)) == NULL ||
	    (*lp = lister_new(s->hv.base, fn, w)) == NULL)
		return -ENOMEM;
	return 0;
}

struct hv *
hv_sim_open(struct event_base *base, const char *rundir, char **err)
{
	struct hv_sim *s = calloc(1, sizeof(*s));
	int rc;

	*err = NULL;
	if (s == NULL || asprintf(&s->ctl_path, "%s/ctl", rundir) == -1 ||
	    (s->rundir = strdup(rundir)) == NULL) {
		if (s != NULL)
			free(s->ctl_path);
		free(s);
		*err = strdup("out of memory");
		return NULL;
	}
	s->hv.ops = &sim_ops;
	s->hv.base = base;
	TAILQ_INIT(&s->destroys);
	s->fd = -1;
	if ((rc = sim_connect(s)) == 0 && (rc = sim_worker_open(s,
	    sim_lister_list, &s->worker, &s->lister)) == 0)
		rc = sim_worker_open(s, NULL, &s->ctl_worker, &s->controls);
	if (rc < 0) {
		if (asprintf(err, "cannot reach the simulated host at %s: %s",
		    s->ctl_path, strerror(-rc)) == -1)
			*err = NULL;
		sim_close(&s->hv);
		return NULL;
	}
	return &s->hv;
}
