/* SPDX-License-Identifier: GPL-2.0-only */
/* hvsim: the simulated Xen host's one state and the helpers all parts use. */
#ifndef HVSIM_HVSIM_H
#define HVSIM_HVSIM_H

#include <stdint.h>

struct event;
struct event_base;
struct xsd;
struct xsconn_set;
struct dom_table;
struct dm_faults;
struct ctl;

struct hvsim {
	struct event_base	*base;
	char			*rundir;
	unsigned		 boot_delay_ms;	/* a stub's default */
	unsigned		 qemu_start_ms;	/* target known -> running */
	uint64_t		 t0_ns;		/* start, for the log */
	struct xsd		*xsd;		/* the xenstore tree */
	struct xsconn_set	*xs;		/* xenstore clients */
	struct dom_table	*doms;		/* the domain table */
	struct dm_faults	*faults;	/* faults to inject */
	struct ctl		*ctl;		/* the control socket */
	struct event		*sig_term;
	struct event		*sig_int;
};

/* One line on stderr per notable event. */
/* Control characters become '?': one line stays one line. */
void	hvsim_printable(char *s);
void	hvsim_log(struct hvsim *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
uint64_t hvsim_now_ns(void);
/* A listening UNIX stream socket at path (non-blocking): fd or -errno. */
int	hvsim_listen(const char *path);
/* "ENOENT" for ENOENT (positive or negative), "EIO" if unknown. */
const char *hvsim_errname(int err);

#endif
