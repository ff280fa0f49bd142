/*
 * Real Xen backend: libxenctrl for the domain list and the domain controls.
 * Building a stub domain on real Xen arrives with the real-Xen test bed;
 * until then build reports ENOSYS, which the daemon treats as a build
 * failure of that guest.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xenctrl.h>

#include "stubdmd/hv.h"

/* xc_domain_getinfolist batch: a few pages of results per hypercall. */
#define XEN_LIST_BATCH	256

struct hv_xen {
	struct hv	 hv;
	xc_interface	*xch;
};

static void
xen_fill(struct hv_dominfo *d, const xc_domaininfo_t *x)
{
	memset(d, 0, sizeof(*d));
	d->domid = x->domain;
	d->hvm = (x->flags & XEN_DOMINF_hvm_guest) != 0;
	d->paused = (x->flags & XEN_DOMINF_paused) != 0;
	d->shutdown = (x->flags & XEN_DOMINF_shutdown) != 0;
	d->dying = (x->flags & XEN_DOMINF_dying) != 0;
	d->shutdown_reason = (int)((x->flags >> XEN_DOMINF_shutdownshift) &
	    XEN_DOMINF_shutdownmask);
	d->emu_flags = x->arch_config.emulation_flags;
	d->cpu_ns = x->cpu_time;
	d->mem_kib = x->tot_pages * (XC_PAGE_SIZE / 1024);
	memcpy(d->uuid, x->handle, sizeof(d->uuid));
}

static int
xen_list(struct hv *hv, struct hv_dominfo **out, size_t *n)
{
	struct hv_xen *x = (struct hv_xen *)hv;
	xc_domaininfo_t batch[XEN_LIST_BATCH];
	struct hv_dominfo *v = NULL, *nv;
	size_t count = 0, cap = 0;
	uint32_t next = 0;
	int got, i;

	for (;;) {
		got = xc_domain_getinfolist(x->xch, next, XEN_LIST_BATCH,
		    batch);
		if (got < 0) {
			free(v);
			return -errno;
		}
		if (count + (size_t)got > cap) {
			cap = (count + (size_t)got) * 2;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		for (i = 0; i < got; i++)
			xen_fill(&v[count++], &batch[i]);
		if (got < XEN_LIST_BATCH)
			break;
		next = batch[got - 1].domain + 1;
	}
	*out = v;
	*n = count;
	return 0;
}

static int
xen_build(struct hv *hv, const struct hv_stub_spec *spec, hv_build_cb *cb,
    void *arg)
{
	return -ENOSYS;
}

#define XEN_CALL(expr)	((expr) == 0 ? 0 : -errno)

static int
xen_set_target(struct hv *hv, uint32_t stub, uint32_t guest)
{
	return XEN_CALL(xc_domain_set_target(((struct hv_xen *)hv)->xch, stub,
	    guest));
}

static int
xen_pause(struct hv *hv, uint32_t domid)
{
	return XEN_CALL(xc_domain_pause(((struct hv_xen *)hv)->xch, domid));
}

static int
xen_unpause(struct hv *hv, uint32_t domid)
{
	return XEN_CALL(xc_domain_unpause(((struct hv_xen *)hv)->xch, domid));
}

static int
xen_shutdown(struct hv *hv, uint32_t domid, enum hv_shutdown why)
{
	return XEN_CALL(xc_domain_shutdown(((struct hv_xen *)hv)->xch, domid,
	    (int)why));
}

static int
xen_destroy(struct hv *hv, uint32_t domid)
{
	return XEN_CALL(xc_domain_destroy(((struct hv_xen *)hv)->xch, domid));
}

static void
xen_close(struct hv *hv)
{
	struct hv_xen *x = (struct hv_xen *)hv;

	if (x == NULL)
		return;
	if (x->xch != NULL)
		xc_interface_close(x->xch);
	free(x);
}

static const struct hv_ops xen_ops = {
	.name = "xen",
	.list = xen_list,
	.build = xen_build,
	.set_target = xen_set_target,
	.pause = xen_pause,
	.unpause = xen_unpause,
	.shutdown = xen_shutdown,
	.destroy = xen_destroy,
	.console_tail = NULL,
	.close = xen_close,
};

struct hv *
hv_xen_open(struct event_base *base, char **err)
{
	struct hv_xen *x = calloc(1, sizeof(*x));

	*err = NULL;
	if (x == NULL) {
		*err = strdup("out of memory");
		return NULL;
	}
	x->hv.ops = &xen_ops;
	x->hv.base = base;
	x->xch = xc_interface_open(NULL, NULL, 0);
	if (x->xch == NULL) {
		if (asprintf(err, "cannot open the Xen control interface "
		    "(is this a Xen dom0 with /proc/xen mounted?): %s",
		    strerror(errno)) == -1)
			*err = NULL;
		free(x);
		return NULL;
	}
	return &x->hv;
}
