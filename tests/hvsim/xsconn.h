/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The xenstore wire protocol on UNIX sockets: DIR/socket for dom0 and
 * DIR/as-DOMID.sock for one unprivileged domain each; framing, caps,
 * dispatch of the message types, and "restarting" xenstored.
 */
#ifndef HVSIM_XSCONN_H
#define HVSIM_XSCONN_H

#include <stddef.h>
#include <stdint.h>

#define XSCONN_MAX	1024		/* connections at once */
#define XSCONN_TX_MAX	16		/* transactions per domU connection */
#define XSCONN_TX_MAX0	64		/* ... per dom0 connection */
#define XSCONN_OUT_MAX	(4u << 20)	/* queued output per connection */

struct bufferevent;
struct evconnlistener;
struct event;
struct hvsim;
struct txn;
struct watch;
struct watch_index;

struct xsconn {
	struct xsconn		*next;
	struct hvsim		*h;
	struct bufferevent	*bev;
	uint32_t		 domid;	/* 0: privileged */
	int			 dead;	/* freed by the reaper */
	int			 closing; /* flush, then die */
	struct watch		*watches;	/* in the order they were set */
	struct watch		*watches_last;	/* appending costs no walk */
	size_t			 nwatches;
	struct watch_index	*widx;		/* the same, by path */
	struct txn		*txs;
	size_t			 ntxs;
};

/* A socket clients connect to, as one domain. */
struct xsconn_lsn {
	struct xsconn_lsn	*next;
	struct hvsim		*h;
	uint32_t		 domid;
	char			*path;
	struct evconnlistener	*l;	/* NULL while xenstored is down */
};

struct xsconn_set {
	struct xsconn		*conns;
	size_t			 nconns;
	struct xsconn_lsn	*lsns;
	struct event		*reaper;	/* frees dead connections */
	struct event		*restart;	/* ends an outage */
	int			 down;
};

int	xsconn_init(struct hvsim *);
void	xsconn_free(struct hvsim *);
/* The socket that acts as domid (created once, lazily). */
int	xsconn_sock_as(struct hvsim *, uint32_t domid, const char **path);
/* Drop every client and refuse new ones for ms milliseconds. */
int	xsconn_restart(struct hvsim *, unsigned ms);
void	xsconn_event(struct xsconn *, const char *path, const char *token);
void	xsconn_kill(struct xsconn *);

#endif
