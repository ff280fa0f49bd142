/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host policy (etc/stubdmd.ini): parsed with inih into a fresh
 * structure, validated whole, and only then swapped in.  Every problem is
 * reported as "FILE:LINE: message"; a policy with errors is never used.
 */
#ifndef STUBDMD_POLICY_H
#define STUBDMD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* systemd's Restart= meaning, for a stub that dies before its guest ran. */
enum policy_restart {
	POLICY_RESTART_ALWAYS,
	POLICY_RESTART_ON_FAILURE,	/* not after a clean poweroff */
	POLICY_RESTART_NEVER,
};

/* What to do with the guest once its stub domain is given up on. */
enum policy_giveup {
	POLICY_GIVEUP_LEAVE,
	POLICY_GIVEUP_PAUSE,
	POLICY_GIVEUP_DESTROY,
};

/* What to do with a guest that has run when its device model dies. */
enum policy_dm_death {
	POLICY_DM_DEATH_CRASH,
	POLICY_DM_DEATH_DESTROY,
	POLICY_DM_DEATH_PAUSE,
	POLICY_DM_DEATH_LEAVE,
};

/* Which of Xen's conventions the stub image reads its arguments by. */
enum policy_image {
	POLICY_IMAGE_LINUX,	/* <vm>/image/dm-argv/NNN */
	POLICY_IMAGE_MINIOS,	/* <vm>/image/dmargs */
};

/* The guest's graphics card (xl.cfg's vga), emulated by its stub. */
enum policy_vga {
	POLICY_VGA_STD,		/* "stdvga": QEMU's VGA */
	POLICY_VGA_CIRRUS,
	POLICY_VGA_NONE,	/* no card, no screen served */
};

#define POLICY_DM_ARGS_MAX	64
#define POLICY_SERIAL_MAX	200	/* "file:PATH" as written */

/* The effective settings of one section ([defaults] or [guest "..."]). */
struct policy_settings {
	bool			 stubdom;
	enum policy_image	 image;
	char			*kernel;
	char			*ramdisk;	/* "": none */
	char			*cmdline;
	unsigned		 memory_mib;
	unsigned		 vcpus;
	char			*dm_args;	/* as written, for -g */
	char			*dm_argv[POLICY_DM_ARGS_MAX];
	size_t			 dm_argc;
	/* Own mode: the guest's serial port, "", "pty" or "file:PATH". */
	char			*serial;
	enum policy_restart	 restart;
	unsigned		 max_restarts;
	uint64_t		 restart_window_ms;
	uint64_t		 backoff_initial_ms;
	uint64_t		 backoff_max_ms;
	uint64_t		 start_timeout_ms;
	enum policy_giveup	 on_giveup;
	enum policy_dm_death	 on_dm_death;
	bool			 unpause_guest;
	bool			 adopt;		/* libxl's stub domains */
	unsigned		 pool_size;	/* booted spares kept */
	/* Liveness over QMP: a query every interval (0: none), ... */
	uint64_t		 dm_probe_interval_ms;
	uint64_t		 dm_probe_timeout_ms;	/* ... answered within */
	unsigned		 dm_probe_misses;	/* unanswered in a row */
	enum policy_dm_death	 on_dm_hang;	/* then: as on_dm_death */
	enum policy_vga		 vga;	/* own mode, linux image */
};

/*
 * The control socket takes 128 connections; the last 8 are kept for root,
 * so that one user (or several) holding all they may cannot lock root out.
 */
#define POLICY_CONNS_MAX	128
#define POLICY_CONNS_ROOT	8
#define POLICY_CONNS_USER_MAX	(POLICY_CONNS_MAX - POLICY_CONNS_ROOT)

struct policy_global {
	char		*control_socket;
	char		*admin_group;	/* "": root only */
	int		 log_level;	/* enum log_level */
	uint64_t	 reconcile_interval_ms;
	char		*state_path;
	char		*metrics_file;	/* "": no metrics export */
	uint64_t	 metrics_interval_ms;
	unsigned	 max_conns_per_user;	/* a non-root user's */
	unsigned	 builders;	/* libxl builds at once (hv.h) */
	char		*vnc_group;	/* "": guests' screens root only */
};

/* Diagnostics of one load: "FILE:LINE: ..." lines, errors and warnings. */
struct policy_diag {
	char		**lines;
	unsigned	 *at;	/* the line each is about (0: the file) */
	size_t		  n;
	size_t		  nerrors;
};

struct policy;

/* 0 and *out set, or -EINVAL (errors in diag) / -errno (file unreadable). */
int	policy_load(const char *path, struct policy **out,
	    struct policy_diag *diag);
void	policy_free(struct policy *p);
void	policy_diag_free(struct policy_diag *d);

const struct policy_global *policy_global(const struct policy *p);
/*
 * The settings a guest gets: the most specific [guest "..."] section that
 * matches its UUID or name, else [defaults].  *section (if not NULL) names
 * the section for people.
 */
const struct policy_settings *policy_match(const struct policy *p,
	    const char *name, const char *uuid, const char **section);

/* Section i's settings: 0 is [defaults], then the guest sections; NULL
 * past the last. */
const struct policy_settings *policy_section(const struct policy *p,
	    size_t i);

/* stubdmd -n [-g GUEST]: check, print, return the exit code. */
int	policy_check_main(const char *path, const char *guest, FILE *out,
	    FILE *err);
/* Print the effective settings as "key = value" lines. */
void	policy_print(const struct policy_settings *s, FILE *out);

const char *policy_restart_name(enum policy_restart r);
const char *policy_giveup_name(enum policy_giveup g);
const char *policy_dm_death_name(enum policy_dm_death d);
const char *policy_vga_name(enum policy_vga v);

/* Parsers shared with the tests: 0 or -EINVAL. */
int	policy_parse_duration(const char *s, uint64_t *ms);
int	policy_parse_size_mib(const char *s, unsigned *mib);
int	policy_split_args(const char *s, char **argv, size_t max,
	    size_t *argc);

#endif
