/* SPDX-License-Identifier: GPL-2.0-only */
/* Logging: OpenBSD's vocabulary, journald's structured fields. */
#ifndef STUBDMD_LOG_H
#define STUBDMD_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARNING, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* What a guest-related line is about; becomes GUEST=, GUEST_DOMID=, ... */
struct log_guest {
	const char	*name;		/* untrusted: quoted when printed */
	int		 domid;		/* -1: unknown */
	int		 stub_domid;	/* -1: none */
	const char	*state;		/* may be NULL */
};

void	log_init(const char *ident, enum log_level level);
void	log_detach(void);	/* before daemon(3): log to syslog */
void	log_set_level(enum log_level level);
enum log_level log_get_level(void);
const char *log_level_name(enum log_level level);
int	log_level_parse(const char *s, enum log_level *out);

void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * A line about a guest.  msgid is a MESSAGE_ID for the key lifecycle
 * events (LOG_MSGID_*) or NULL.
 */
void	log_guest(enum log_level level, const struct log_guest *g,
	    const char *msgid, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* Escape an untrusted string for a log line: printable ASCII, bounded. */
const char *log_quote(char *buf, size_t size, const char *s);

/* MESSAGE_IDs of the key events (journalctl MESSAGE_ID=...). */
#define LOG_MSGID_SPAWNED	"6a1f4c0e8b0d4f5e9b6e1d2a3c4b5d01"
#define LOG_MSGID_READY		"6a1f4c0e8b0d4f5e9b6e1d2a3c4b5d02"
#define LOG_MSGID_DIED		"6a1f4c0e8b0d4f5e9b6e1d2a3c4b5d03"
#define LOG_MSGID_RESTARTING	"6a1f4c0e8b0d4f5e9b6e1d2a3c4b5d04"
#define LOG_MSGID_GAVE_UP	"6a1f4c0e8b0d4f5e9b6e1d2a3c4b5d05"
#define LOG_MSGID_HUNG		"6a1f4c0e8b0d4f5e9b6e1d2a3c4b5d06"

#endif
