/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The domain table, like Xen's: domids never reused, HVM/PVH/PV, paused,
 * running, shut down with a reason, dying; the target of a device-model
 * domain; ioreq servers; and what a toolstack writes to xenstore when it
 * creates or destroys a domain.
 */
#ifndef HVSIM_DOM_H
#define HVSIM_DOM_H

#include <stddef.h>
#include <stdint.h>

#define DOM_NAME_MAX		64
#define DOM_IOREQ_MAX		8	/* ioreq-server slots per domain */
#define DOM_CONSOLE_LINES	100
#define DOM_CONSOLE_WIDTH	1024
#define DOM_FIRST_RESERVED	0x7ff0u

struct hvsim;
struct dm;
struct vdevs;

enum dom_type {
	DOM_PV,
	DOM_PVH,
	DOM_HVM,
};

struct dom {
	struct hvsim	*h;
	uint32_t	 domid;
	char		 name[DOM_NAME_MAX + 1];
	enum dom_type	 type;
	char		 uuid[37];
	int		 paused;
	int		 shutdown;
	int		 reason;	/* SHUTDOWN_*, if shutdown */
	int		 dying;
	int		 ever_unpaused;
	int		 xl_unpause;	/* xl-create: unpause when its DM runs */
	uint64_t	 cpu_ns;	/* up to run_since */
	uint64_t	 run_since;	/* 0: not running */
	uint64_t	 created_ns;	/* hvsim_now_ns() at creation */
	uint64_t	 unpaused_ns;	/* at the first unpause; 0: never */
	uint64_t	 ready_ns;	/* its device model wrote running; 0: not */
	uint64_t	 mem_kib;
	unsigned	 vcpus;
	long		 target;	/* -1: none */
	unsigned	 ioreq;		/* servers registered in it */
	long		 ioreq_in;	/* -1, or where its DM has a server */
	struct dm	*dm;		/* a simulated stub domain */
	struct vdevs	*vdevs;		/* a stub's devices (build-pv) */
	char		*console[DOM_CONSOLE_LINES];
	size_t		 con_first;
	size_t		 con_n;
};

struct dom_table {
	struct dom	**v;	/* sorted by domid */
	size_t		  n;
	size_t		  cap;
	uint32_t	  next_domid;
};

/* What to create. */
struct dom_spec {
	const char	*name;
	enum dom_type	 type;
	uint64_t	 mem_kib;
	unsigned	 vcpus;
	const char	*uuid;		/* NULL: a random one */
	int		 unique;	/* refuse a name in use (toolstacks) */
};

int	dom_init(struct hvsim *);
/* Free the table without telling xenstore (hvsim is exiting). */
void	dom_free_all(struct hvsim *);

struct dom *dom_find(struct hvsim *, uint32_t domid);
/* A domain by domid or name; dying ones only if any. */
struct dom *dom_lookup(struct hvsim *, const char *spec, int any);
long	dom_target(struct hvsim *, uint32_t domid);
struct dom *dom_at(struct hvsim *, size_t i);

int	dom_create(struct hvsim *, const struct dom_spec *, struct dom **out);
int	dom_set_target(struct hvsim *, uint32_t stub, uint32_t guest);
int	dom_rename(struct hvsim *, struct dom *, const char *name);
int	dom_pause(struct hvsim *, struct dom *);
int	dom_unpause(struct hvsim *, struct dom *);
int	dom_shutdown(struct hvsim *, struct dom *, int reason);
int	dom_resume(struct hvsim *, struct dom *);
int	dom_destroy(struct hvsim *, struct dom *);

uint64_t dom_cpu_ns(const struct dom *);
uint32_t dom_emu_flags(const struct dom *);
const char *dom_type_name(enum dom_type);
void	dom_state(const struct dom *, char *buf, size_t size);
int	dom_reason(const char *word);
const char *dom_reason_name(int reason);

void	dom_console(struct dom *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* The last n lines (at most DOM_CONSOLE_LINES): how many, in order. */
size_t	dom_console_tail(const struct dom *, size_t n, const char **lines);

#endif
