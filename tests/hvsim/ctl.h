/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket DIR/ctl: one request per line, percent-encoded
 * words, "OK[ text]" / "OK N" + N lines / "ERR ERRNONAME text" back
 * (PROTOCOL.md).  Used by stubdmd's simulated backend and by hvsimctl.
 */
#ifndef HVSIM_CTL_H
#define HVSIM_CTL_H

#include <stddef.h>

#define CTL_LINE_MAX	65536
#define CTL_OUT_MAX	(16u << 20)
#define CTL_CONN_MAX	256

struct bufferevent;
struct evconnlistener;
struct event;
struct hvsim;

struct ctl_conn {
	struct ctl_conn		*next;
	struct hvsim		*h;
	struct bufferevent	*bev;
	int			 dead;
	int			 closing;
	/* A slow hv-list (list-fault): its reply, held until ev_held. */
	struct evbuffer		*held;
	struct event		*ev_held;
};

struct ctl {
	char			*path;
	struct evconnlistener	*l;
	struct ctl_conn		*conns;
	size_t			 nconns;
	struct event		*reaper;
	/* list-fault: hv-list replies wait this long, or fail (EIO). */
	unsigned		 list_delay_ms;
	int			 list_fail;
	/* control-fault: pause, unpause, shutdown, destroy replies wait. */
	unsigned		 control_delay_ms;
};

int	ctl_init(struct hvsim *);
void	ctl_free(struct hvsim *);

#endif
