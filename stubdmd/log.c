/* SPDX-License-Identifier: GPL-2.0-only */
/* Logging to the journal (structured) or to stderr with a level word. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>
/* CODE_FILE= etc. would always name log.c: leave them out. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "stubdmd/log.h"

#define LOG_LINE_MAX	2048

static const char *const log_names[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARNING] = "warning",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};
static const int log_prio[] = {
	[LOG_LVL_ERROR] = LOG_ERR,
	[LOG_LVL_WARNING] = LOG_WARNING,
	[LOG_LVL_INFO] = LOG_INFO,
	[LOG_LVL_DEBUG] = LOG_DEBUG,
};

/* Logging is process-wide configuration, set once at start-up. */
static struct {
	const char	*ident;
	enum log_level	 level;
	int		 journal;
	int		 syslog;	/* detached: stderr is gone */
} log_cfg = { "stubdmd", LOG_LVL_INFO, 0, 0 };

/* journald sets JOURNAL_STREAM to the dev:ino of our stderr. */
static int
log_stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (e == NULL || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return st.st_dev == dev && st.st_ino == ino;
}

void
log_init(const char *ident, enum log_level level)
{
	log_cfg.ident = ident;
	log_cfg.level = level;
	log_cfg.journal = log_stderr_is_journal();
}

void
log_detach(void)
{
	if (log_cfg.journal)
		return;	/* the journal does not need stderr */
	openlog(log_cfg.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_cfg.syslog = 1;
}

void
log_set_level(enum log_level level)
{
	log_cfg.level = level;
}

enum log_level
log_get_level(void)
{
	return log_cfg.level;
}

const char *
log_level_name(enum log_level level)
{
	return log_names[level];
}

int
log_level_parse(const char *s, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (strcmp(s, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

const char *
log_quote(char *buf, size_t size, const char *s)
{
	size_t o = 0, max = size < 80 ? size : 80;

	if (s == NULL)
		s = "(null)";
	for (; *s != '\0' && o + 5 < max; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, max - o, "\\x%02x", c);
	}
	if (*s != '\0' && o + 4 <= max)
		o += (size_t)snprintf(buf + o, max - o, "...");
	buf[o < size ? o : size - 1] = '\0';
	return buf;
}

/* One NAME=value field of a journal entry, formatted into buf. */
static void __attribute__((format(printf, 5, 6)))
log_field(struct iovec *iov, size_t *n, char *buf, size_t size,
    const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	iov[*n].iov_base = buf;
	iov[*n].iov_len = (size_t)len < size ? (size_t)len : size - 1;
	(*n)++;
}

/* A guest line: the fields a guest has, none invented for the others. */
static void
log_journal_guest(enum log_level level, const struct log_guest *g,
    const char *msgid, const char *msg)
{
	char m[LOG_LINE_MAX + 16], prio[16], name[96], guest[112], dom[32],
	    stub[32], state[64], id[64], ident[64];
	struct iovec iov[9];
	size_t n = 0;

	log_field(iov, &n, m, sizeof(m), "MESSAGE=%s", msg);
	log_field(iov, &n, prio, sizeof(prio), "PRIORITY=%d", log_prio[level]);
	log_field(iov, &n, guest, sizeof(guest), "GUEST=%s",
	    log_quote(name, sizeof(name), g->name));
	log_field(iov, &n, dom, sizeof(dom), "GUEST_DOMID=%d", g->domid);
	if (g->stub_domid >= 0)
		log_field(iov, &n, stub, sizeof(stub), "STUBDOM_DOMID=%d",
		    g->stub_domid);
	if (g->state != NULL)
		log_field(iov, &n, state, sizeof(state), "STUBDM_STATE=%s",
		    g->state);
	if (msgid != NULL)
		log_field(iov, &n, id, sizeof(id), "MESSAGE_ID=%s", msgid);
	log_field(iov, &n, ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s",
	    log_cfg.ident);
	sd_journal_sendv(iov, (int)n);
}

static void
log_emit(enum log_level level, const struct log_guest *g, const char *msgid,
    const char *msg)
{
	if (level > log_cfg.level)
		return;
	if (log_cfg.syslog)
		syslog(log_prio[level], "%s", msg);
	else if (log_cfg.journal && g != NULL)
		log_journal_guest(level, g, msgid, msg);
	else if (log_cfg.journal)
		sd_journal_print(log_prio[level], "%s", msg);
	else
		fprintf(stderr, "%s: %s: %s\n", log_cfg.ident,
		    log_names[level], msg);
}

static void __attribute__((format(printf, 3, 0)))
log_vlog(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX];
	int n;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errnum != 0 && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s",
		    strerror(errnum));
	log_emit(level, NULL, NULL, msg);
}

#define LOG_WRAP(name, level, with_errno)			\
void								\
name(const char *fmt, ...)					\
{								\
	int saved = errno;					\
	va_list ap;						\
								\
	va_start(ap, fmt);					\
	log_vlog(level, with_errno ? saved : 0, fmt, ap);	\
	va_end(ap);						\
	errno = saved;						\
}
LOG_WRAP(log_warn, LOG_LVL_WARNING, 1)
LOG_WRAP(log_warnx, LOG_LVL_WARNING, 0)
LOG_WRAP(log_info, LOG_LVL_INFO, 0)
LOG_WRAP(log_debug, LOG_LVL_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_LVL_ERROR, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_LVL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_guest(enum log_level level, const struct log_guest *g, const char *msgid,
    const char *fmt, ...)
{
	char msg[LOG_LINE_MAX], name[96];
	int n;
	va_list ap;

	if (level > log_cfg.level)
		return;
	n = snprintf(msg, sizeof(msg), "guest \"%s\" (domid %d",
	    log_quote(name, sizeof(name), g->name), g->domid);
	if (g->stub_domid >= 0 && n > 0 && (size_t)n < sizeof(msg))
		n += snprintf(msg + n, sizeof(msg) - (size_t)n, ", stub %d",
		    g->stub_domid);
	if (n > 0 && (size_t)n < sizeof(msg))
		n += snprintf(msg + n, sizeof(msg) - (size_t)n, "): ");
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(msg))
		vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	log_emit(level, g, msgid, msg);
}
