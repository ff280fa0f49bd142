/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A simulated device model's QMP monitor: once its device model runs, a
 * stub serves QMP on RUNDIR/qmp-STUB as QEMU does on its monitor (the
 * greeting, qmp_capabilities, query-status, an event now and then), and
 * can be told to misbehave: hang (accepts and reads, never answers),
 * garbage (answers with text that is not JSON) or flood (one endless
 * line).  See PROTOCOL.md, "qmp".
 */
#ifndef HVSIM_QMPD_H
#define HVSIM_QMPD_H

#include <stdint.h>

struct hvsim;
struct qmpd;

enum qmpd_mode { QMPD_OK, QMPD_HANG, QMPD_GARBAGE, QMPD_FLOOD };

/* Listen for stub domid's monitor: NULL after a logged failure. */
struct qmpd *qmpd_open(struct hvsim *h, uint32_t stub);
/* Close the listener and every client, remove the socket. */
void	qmpd_close(struct qmpd *s);
void	qmpd_set_mode(struct qmpd *s, enum qmpd_mode mode);
/* "ok", "hang", "garbage", "flood": 0 and *out, or -1. */
int	qmpd_mode_parse(const char *name, enum qmpd_mode *out);
/* Clients served, all time (tests count reconnections). */
unsigned qmpd_served(const struct qmpd *s);

#endif
