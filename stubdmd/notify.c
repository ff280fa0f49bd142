/* SPDX-License-Identifier: GPL-2.0-only */
/* systemd glue: sd_notify(3) messages and the watchdog keep-alives. */
#include <errno.h>
#include <event2/event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "stubdmd/log.h"
#include "stubdmd/notify.h"
#include "stubdmd/stubdmd.h"
#include "stubdmd/super.h"

/*
 * STATUS= is refreshed from a timer rather than from super's observer:
 * guests appear (ignored ones too), are adopted and are forgotten on paths
 * that are not state changes, and one cheap count a second catches them
 * all.  It is sent only when the text changes, so an idle host is quiet.
 */
#define NOTIFY_STATUS_MS	1000
#define NOTIFY_STATUS_MAX	192
#define NOTIFY_NOTE_MAX		96

struct notify {
	struct stubdmd	*sd;
	struct event	*ev_status;
	struct event	*ev_watchdog;
	char		 status[NOTIFY_STATUS_MAX];	/* last STATUS= sent */
	char		 note[NOTIFY_NOTE_MAX];
};

static void
notify_send(const char *msg)
{
	int rc;

	/* systemd may be gone (being restarted): nothing to do about it. */
	if ((rc = sd_notify(0, msg)) < 0)
		log_debug("sd_notify: %s; ignoring", strerror(-rc));
}

static const char *
notify_plural(size_t n)
{
	return n == 1 ? "" : "s";
}

static void
notify_format(const struct notify *n, char *buf, size_t size)
{
	const struct super_stats *st = super_stats(n->sd->super);
	const struct super *s = n->sd->super;
	size_t all = super_count(s, -1);
	char pool[64] = "";

	if (st->pool_target > 0)
		snprintf(pool, sizeof(pool), ", pool %llu/%llu spares "
		    "(%llu MiB)", (unsigned long long)st->pool_ready,
		    (unsigned long long)st->pool_target,
		    (unsigned long long)st->pool_memory_mib);
	snprintf(buf, size, "%zu guest%s, %zu running, %zu backing off, "
	    "%zu failed%s%s%s", all, notify_plural(all),
	    super_count(s, GUEST_RUNNING), super_count(s, GUEST_BACKOFF),
	    super_count(s, GUEST_FAILED), pool, n->note[0] != '\0' ? "; " :
	    "", n->note);
}

/* prefix ("" or "NAME=VALUE\n" lines), then a fresh STATUS=. */
static void
notify_send_status(struct notify *n, const char *prefix)
{
	char msg[NOTIFY_STATUS_MAX + 64];

	notify_format(n, n->status, sizeof(n->status));
	snprintf(msg, sizeof(msg), "%sSTATUS=%s", prefix, n->status);
	notify_send(msg);
}

void
notify_status(struct notify *n)
{
	char now[NOTIFY_STATUS_MAX];

	if (n == NULL)
		return;
	notify_format(n, now, sizeof(now));
	if (strcmp(now, n->status) != 0)
		notify_send_status(n, "");
}

void
notify_ready(struct notify *n, const char *note)
{
	if (n == NULL)
		return;
	snprintf(n->note, sizeof(n->note), "%s", note != NULL ? note : "");
	notify_send_status(n, "READY=1\n");
}

void
notify_reloading(struct notify *n)
{
	struct timespec ts;
	char msg[64];

	if (n == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
	notify_send(msg);
}

void
notify_stopping(struct notify *n)
{
	if (n == NULL)
		return;
	notify_send("STOPPING=1\nSTATUS=stopping; stub domains keep running");
}

static void
notify_on_status(evutil_socket_t fd, short what, void *arg)
{
	notify_status(arg);
}

/* Sent from the loop: if the loop hangs, the keep-alives stop. */
static void
notify_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	notify_send("WATCHDOG=1");
}

static int
notify_every(struct notify *n, struct event **ev, uint64_t usec,
    event_callback_fn cb)
{
	struct timeval tv = { (time_t)(usec / 1000000),
	    (suseconds_t)(usec % 1000000) };

	if ((*ev = event_new(n->sd->base, -1, EV_PERSIST, cb, n)) == NULL ||
	    event_add(*ev, &tv) == -1)
		return -ENOMEM;
	return 0;
}

/* WatchdogSec=: a keep-alive at half the interval, as sd_notify(3) says. */
static int
notify_arm_watchdog(struct notify *n)
{
	uint64_t usec = 0;
	int rc;

	if ((rc = sd_watchdog_enabled(0, &usec)) < 0)
		log_warnx("systemd watchdog: %s; sending no keep-alives",
		    strerror(-rc));
	if (rc <= 0)
		return 0;
	usec = usec / 2 > 0 ? usec / 2 : 1;
	log_info("systemd watchdog: a keep-alive every %llu ms",
	    (unsigned long long)(usec / 1000));
	return notify_every(n, &n->ev_watchdog, usec, notify_on_watchdog);
}

int
notify_new(struct stubdmd *sd, struct notify **out)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	struct notify *n;
	int rc;

	*out = NULL;
	if (sock == NULL || *sock == '\0')
		return 0;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return -ENOMEM;
	n->sd = sd;
	if ((rc = notify_every(n, &n->ev_status, NOTIFY_STATUS_MS * 1000ULL,
	    notify_on_status)) < 0 || (rc = notify_arm_watchdog(n)) < 0) {
		notify_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

void
notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	if (n->ev_status != NULL)
		event_free(n->ev_status);
	if (n->ev_watchdog != NULL)
		event_free(n->ev_watchdog);
	free(n);
}
