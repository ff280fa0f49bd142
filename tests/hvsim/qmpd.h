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

/*
 * cd-error and cd-hang: as ok, but blockdev-change-medium and eject are
 * answered with an error, or never (the client must reconnect);
 * save-error, save-hang and save-lost the same for
 * xen-save-devices-state (save-lost: answered, but nothing reaches the
 * save file, as a stub whose console 1 goes nowhere).
 */
enum qmpd_mode { QMPD_OK, QMPD_HANG, QMPD_GARBAGE, QMPD_FLOOD,
	QMPD_CD_ERROR, QMPD_CD_HANG, QMPD_SAVE_ERROR, QMPD_SAVE_HANG,
	QMPD_SAVE_LOST };

#define QMPD_LOG_MAX	16	/* CD and save commands remembered */

/* Listen for stub domid's monitor: NULL after a logged failure. */
struct qmpd *qmpd_open(struct hvsim *h, uint32_t stub);
/* Close the listener and every client, remove the socket. */
void	qmpd_close(struct qmpd *s);
void	qmpd_set_mode(struct qmpd *s, enum qmpd_mode mode);
/* "ok", "hang", "garbage", "flood": 0 and *out, or -1. */
int	qmpd_mode_parse(const char *name, enum qmpd_mode *out);
/* Clients served, all time (tests count reconnections). */
unsigned qmpd_served(const struct qmpd *s);
/*
 * The i-th CD command answered with success, oldest first ("eject
 * ide-5632", "change ide-5632 /dev/xvdzc host_device read-only"); NULL
 * past the last.
 */
const char *qmpd_log(const struct qmpd *s, unsigned i);

#endif
