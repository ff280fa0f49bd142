/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Liveness of one device model over QMP: a query-status every
 * dm_probe_interval, answered within dm_probe_timeout or counted as a
 * miss; dm_probe_misses misses in a row and the device model is hung (the
 * supervisor applies on_dm_hang).  A probe reads its guest's settings at
 * each tick, so a reload applies to the next probe.
 */
#ifndef STUBDMD_PROBE_H
#define STUBDMD_PROBE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define PROBE_CALLS_MAX	4	/* calls queued or in flight, per device model */
#define PROBE_CMD_MAX	48

struct event_base;
struct guest;
struct hv;
struct probe;

/* The counters the supervisor reports (Stats, metrics). */
struct probe_stats {
	uint64_t	probes;		/* query-status sent or attempted */
	uint64_t	misses;		/* not answered in time */
	uint64_t	bad;		/* connections closed: protocol broken */
	uint64_t	connected;	/* QMP connections open now */
};

/*
 * A call's end: err 0 (answered "return"), -EREMOTEIO (an error reply;
 * why is "Class: desc"), -ETIMEDOUT, -ECONNRESET (the connection ended),
 * -EHOSTDOWN (the device model missed a probe meanwhile), -ECANCELED
 * (the probe is being freed: touch it no more).
 */
typedef void probe_call_cb(void *arg, int err, const char *why);

/* The device model is hung; why is for the log (the probe stops). */
typedef void probe_hung_cb(void *arg, const char *why);

/*
 * Probe g's device model (g->stub_domid; libxl: a stub libxl built).  g
 * and st outlive the probe.  NULL: no memory.
 */
struct probe *probe_new(struct event_base *base, struct hv *hv,
	    const struct guest *g, bool libxl, struct probe_stats *st,
	    probe_hung_cb *cb, void *arg);
void	probe_free(struct probe *p);
/* The device model serves no QMP to connect to (not counted as misses). */
bool	probe_unreachable(const struct probe *p);
/* Misses in a row now (0: the last probe was answered). */
unsigned probe_misses(const struct probe *p);
/* Probes answered, all time. */
uint64_t probe_answered(const struct probe *p);
/*
 * Another QMP command over the probe's connection (the one a stub's vchan
 * serves), queued behind the probe's own query: one command on the wire
 * at a time, a call only while no query is in flight, answered within
 * timeout_ms (else -ETIMEDOUT and the connection is opened afresh); its
 * time never counts as a miss.  args is borrowed.  0 (cb is called
 * later, once), or -EOPNOTSUPP (libxl's stub: its socket is libxl's),
 * -EHOSTDOWN (the last probe went unanswered), -ENOTCONN (no QMP to
 * reach), -EBUSY (PROBE_CALLS_MAX pending), -EINVAL, -ENOMEM.
 */
int	probe_call(struct probe *p, const char *cmd, json_t *args,
	    uint64_t timeout_ms, probe_call_cb *cb, void *arg);

#endif
