/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xenstore glue: one libxenstore connection driven by libevent, watches
 * dispatched by token, and reconnection after xenstored goes away.
 * (Prefix xstore_: xs_ belongs to libxenstore.)
 */
#ifndef STUBDMD_XSTORE_H
#define STUBDMD_XSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct xstore;

typedef void xstore_watch_cb(void *arg, const char *path);

struct xstore_hooks {
	void	(*lost)(void *arg);		/* connection gone */
	void	(*reconnected)(void *arg);	/* watches re-armed */
	void	*arg;
	int	 priority;	/* of its events in the loop (0: first) */
};

struct xstore *xstore_new(struct event_base *base,
	    const struct xstore_hooks *hooks);
void	xstore_free(struct xstore *x);
int	xstore_connect(struct xstore *x);
bool	xstore_connected(const struct xstore *x);
unsigned xstore_reconnects(const struct xstore *x);

/* Watches survive reconnection; the initial event fires on each arming. */
int	xstore_watch(struct xstore *x, const char *path, xstore_watch_cb *cb,
	    void *arg);
void	xstore_unwatch(struct xstore *x, const char *path, void *arg);
size_t	xstore_nwatches(const struct xstore *x);

/* Reads return malloc'd NUL-terminated values, or NULL with errno set. */
char	*xstore_read(struct xstore *x, const char *path);
int	xstore_read_uint(struct xstore *x, const char *path, unsigned long max,
	    unsigned long *out);
/* A decimal number read from xenstore, at most max: 0, or -EINVAL. */
int	xstore_parse_uint(const char *v, unsigned long max, unsigned long *out);
char	**xstore_directory(struct xstore *x, const char *path,
	    unsigned *n);
int	xstore_write(struct xstore *x, const char *path, const char *value);
int	xstore_printf(struct xstore *x, const char *path, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	xstore_rm(struct xstore *x, const char *path);
/* perms: Xen's string form, e.g. "n0 r5" (owner 0, none, read for 5). */
int	xstore_mkdir_perms(struct xstore *x, const char *path,
	    const char *perms);
int	xstore_set_perms(struct xstore *x, const char *path, const char *perms);
int	xstore_set_target(struct xstore *x, uint32_t stub, uint32_t guest);

#endif
