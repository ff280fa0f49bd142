/* SPDX-License-Identifier: GPL-2.0-only */
/* stubdmctl: what the verbs share (connection, output, exit codes). */
#ifndef STUBDMCTL_STUBDMCTL_H
#define STUBDMCTL_STUBDMCTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Exit codes. */
enum {
	CTL_OK		= 0,
	CTL_EDAEMON	= 1,	/* stubdmd returned an error */
	CTL_EUSAGE	= 2,
	CTL_ECONNECT	= 3,	/* cannot connect, or the connection broke */
};

/* Options that belong to one verb (struct ctl_verb.opts). */
enum {
	CTL_OPT_FOLLOW		= 1 << 0,	/* events --follow */
	CTL_OPT_OPENMETRICS	= 1 << 1,	/* stats --openmetrics */
	CTL_OPT_VNC		= 1 << 2,	/* console --vnc */
};

struct ctl {
	const char	*socket;
	bool		 socket_given;	/* -S: no fallback to the policy's */
	const char	*policy;	/* -f: where control_socket is read */
	char		 policy_socket[108];	/* sun_path's size */
	bool		 json;
	unsigned	 opts;		/* CTL_OPT_* given */
	int		 fd;		/* -1: not connected */
	char		*buf;		/* received, not yet consumed */
	size_t		 len, cap, scanned;
};

struct ctl_verb {
	const char	*name;
	const char	*args;		/* for the usage text */
	const char	*help;
	int		 min_args, max_args;
	unsigned	 opts;		/* CTL_OPT_* it takes */
	int		 (*fn)(struct ctl *ctl, int argc, char **argv);
};

/* conn.c: one call, one reply; errors are printed here. */
int	ctl_connect(struct ctl *ctl);	/* 0 or -errno, silent */
void	ctl_close(struct ctl *ctl);
int	ctl_call(struct ctl *ctl, const char *method, json_t *params,
	    json_t **reply);
/* Streaming: send with "more", then read replies until the last one. */
int	ctl_call_more(struct ctl *ctl, const char *method, json_t *params);
int	ctl_next(struct ctl *ctl, json_t **reply, bool *continues);

/* error.c: "stubdmctl: <error name>: <human text>" on stderr. */
void	ctl_error_print(const char *name, json_t *params);

/* output.c */
/* malloc'd text safe for a terminal: control characters, invalid UTF-8
 * and backslashes escaped (\x1b, \u0085, \\); see stubdmctl(8). */
char	*ctl_safe(const char *s);
char	*ctl_text(json_t *v);		/* NULL if v is NULL; null is "-" */
void	ctl_print_json(json_t *doc);
struct ctl_column {
	const char	*header;
	const char	*key;
};
void	ctl_table_print(const struct ctl_column *cols, size_t ncols,
	    json_t *rows, FILE *out);
void	ctl_print_field(FILE *out, const char *label, json_t *v);

/* The verbs (cmd-*.c). */
int	ctl_cmd_list(struct ctl *ctl, int argc, char **argv);
int	ctl_cmd_status(struct ctl *ctl, int argc, char **argv);
int	ctl_cmd_start(struct ctl *ctl, int argc, char **argv);
int	ctl_cmd_stop(struct ctl *ctl, int argc, char **argv);
int	ctl_cmd_restart(struct ctl *ctl, int argc, char **argv);
int	ctl_cmd_reload(struct ctl *ctl, int argc, char **argv);
int	ctl_cmd_events(struct ctl *ctl, int argc, char **argv);
int	ctl_cmd_stats(struct ctl *ctl, int argc, char **argv);
int	ctl_cmd_set_log_level(struct ctl *ctl, int argc, char **argv);
int	ctl_cmd_version(struct ctl *ctl, int argc, char **argv);
int	ctl_cmd_help(struct ctl *ctl, int argc, char **argv);
int	ctl_cmd_console(struct ctl *ctl, int argc, char **argv);
int	ctl_cmd_screenshot(struct ctl *ctl, int argc, char **argv);
int	ctl_cmd_cd_insert(struct ctl *ctl, int argc, char **argv);
int	ctl_cmd_cd_eject(struct ctl *ctl, int argc, char **argv);
int	ctl_cmd_save_state(struct ctl *ctl, int argc, char **argv);
int	ctl_cmd_restore_state(struct ctl *ctl, int argc, char **argv);

/* A GUEST argument: a domid becomes a number, anything else a name. */
json_t	*ctl_guest_param(const char *arg);

#endif
