/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Channels to what a stub domain serves dom0 over a vchan (the guest's
 * screen): a libxenvchan client, non-blocking, its event channel's file
 * descriptor in the daemon's event loop.
 */
#include <errno.h>
#include <xenctrl.h>
#include <libxenvchan.h>
#include <stdio.h>
#include <stdlib.h>

#include "stubdmd/hv-xen.h"
#include "stubdmd/hv.h"

struct hv_xen_chan {
	struct hv_chan		 chan;
	struct libxenvchan	*vc;
};

static struct libxenvchan *
hv_xen_chan_vc(struct hv_chan *ch)
{
	return ((struct hv_xen_chan *)ch)->vc;
}

static int
hv_xen_chan_fd(struct hv_chan *ch)
{
	return libxenvchan_fd_for_select(hv_xen_chan_vc(ch));
}

/* The event channel fired: clear it (the fd was readable, so no wait). */
static void
hv_xen_chan_ack(struct hv_chan *ch)
{
	libxenvchan_wait(hv_xen_chan_vc(ch));
}

static long
hv_xen_chan_read(struct hv_chan *ch, void *buf, size_t len)
{
	struct libxenvchan *vc = hv_xen_chan_vc(ch);
	int n;

	if (libxenvchan_data_ready(vc) == 0)
		return libxenvchan_is_open(vc) == 1 ? 0 : -EPIPE;
	/* read, not recv: recv moves exactly len bytes or none. */
	n = libxenvchan_read(vc, buf, len);
	return n < 0 ? -EPIPE : n;
}

static long
hv_xen_chan_write(struct hv_chan *ch, const void *buf, size_t len)
{
	struct libxenvchan *vc = hv_xen_chan_vc(ch);
	int n;

	if (libxenvchan_is_open(vc) != 1)
		return -EPIPE;
	/* write, not send: non-blocking, it moves what fits. */
	n = libxenvchan_write(vc, buf, len);
	return n < 0 ? -EPIPE : n;
}

static void
hv_xen_chan_close(struct hv_chan *ch)
{
	if (ch == NULL)
		return;
	libxenvchan_close(hv_xen_chan_vc(ch));
	free(ch);
}

static const struct hv_chan_ops hv_xen_chan_ops = {
	.fd = hv_xen_chan_fd,
	.ack = hv_xen_chan_ack,
	.read = hv_xen_chan_read,
	.write = hv_xen_chan_write,
	.close = hv_xen_chan_close,
};

int
hv_xen_chan_open(struct hv *hv, uint32_t stub, uint32_t guest,
    const char *name, struct hv_chan **out)
{
	struct hv_xen_chan *xc;
	char path[256];

	snprintf(path, sizeof(path), "/local/domain/%u/device-model/%u/%s",
	    stub, guest, name);
	if ((xc = calloc(1, sizeof(*xc))) == NULL)
		return -ENOMEM;
	/* Reads the server's ring and event channel from xenstore, maps. */
	if ((xc->vc = libxenvchan_client_init(NULL, (int)stub, path)) ==
	    NULL) {
		free(xc);
		return -ENOTCONN;
	}
	xc->vc->blocking = 0;
	xc->chan.ops = &hv_xen_chan_ops;
	*out = &xc->chan;
	return 0;
}
