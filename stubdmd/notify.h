/* SPDX-License-Identifier: GPL-2.0-only */
/* systemd's service protocol: READY, STATUS, RELOADING, the watchdog. */
#ifndef STUBDMD_NOTIFY_H
#define STUBDMD_NOTIFY_H

struct notify;
struct stubdmd;

/*
 * *out is NULL when NOTIFY_SOCKET is unset: every notify_* call then does
 * nothing.  Otherwise the watchdog keep-alives (if systemd asks for them)
 * and the STATUS= refresh run as timers of the event loop, so a loop that
 * is stuck stops sending them and systemd notices.  0 or -ENOMEM.
 */
int	notify_new(struct stubdmd *sd, struct notify **out);
void	notify_free(struct notify *n);

/* READY=1 with a fresh STATUS=; note (or NULL) is shown after the counts
 * until the next notify_ready. */
void	notify_ready(struct notify *n, const char *note);
/* RELOADING=1 and MONOTONIC_USEC=; notify_ready ends the reload. */
void	notify_reloading(struct notify *n);
/* STATUS= if the counts changed since the last one sent. */
void	notify_status(struct notify *n);
void	notify_stopping(struct notify *n);

#endif
