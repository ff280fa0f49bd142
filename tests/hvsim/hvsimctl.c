/* SPDX-License-Identifier: GPL-2.0-only */
/* hvsimctl: one request to hvsim's control socket, its reply printed. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/hvsim/word.h"

/* Replies "OK N" followed by N lines. */
static const char *const hvsimctl_counted[] = { "hv-list", "list", "console",
    "times", "devices", "qmp-log" };

static void
usage(void)
{
	fprintf(stderr, "usage: hvsimctl --rundir DIR VERB [ARGS...]\n"
	    "  (verbs: tests/hvsim/PROTOCOL.md)\n");
}

static FILE *
hvsimctl_connect(const char *rundir)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	FILE *f;
	int fd;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/ctl",
	    rundir) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    (f = fdopen(fd, "r+")) == NULL) {
		close(fd);
		return NULL;
	}
	return f;
}

static int
hvsimctl_send(FILE *f, char **words, int n)
{
	size_t size;
	char *buf;
	int i, rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		size = strlen(words[i]) * 3 + 2;
		if ((buf = malloc(size)) == NULL)
			return -ENOMEM;
		if ((rc = word_encode(buf, size, words[i])) == 0)
			fprintf(f, "%s%s", i ? " " : "", buf);
		free(buf);
	}
	fputc('\n', f);
	return fflush(f) == EOF ? -errno : rc;
}

static int
hvsimctl_is_counted(const char *verb)
{
	size_t i;

	for (i = 0; i < sizeof(hvsimctl_counted) / sizeof(hvsimctl_counted[0]);
	    i++)
		if (strcmp(verb, hvsimctl_counted[i]) == 0)
			return 1;
	return 0;
}

/* Print "OK N"'s lines; 0 or 1 if the reply was cut short. */
static int
hvsimctl_lines(FILE *f, const char *count)
{
	unsigned long n, i;
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;

	n = strtoul(count, NULL, 10);
	for (i = 0; i < n; i++) {
		if (getline(&line, &cap, f) <= 0) {
			fprintf(stderr, "hvsimctl: reply cut short\n");
			rc = 1;
			break;
		}
		fputs(line, stdout);
	}
	free(line);
	return rc;
}

static int
hvsimctl_reply(FILE *f, const char *verb)
{
	char *line = NULL, *text;
	size_t cap = 0;
	int rc = 1;

	if (getline(&line, &cap, f) <= 0) {
		fprintf(stderr, "hvsimctl: no reply from hvsim\n");
		goto out;
	}
	line[strcspn(line, "\n")] = '\0';
	text = line[2] == ' ' ? line + 3 : line + 2;
	if (strncmp(line, "OK", 2) == 0 && (line[2] == ' ' || !line[2])) {
		rc = 0;
		if (hvsimctl_is_counted(verb))
			rc = hvsimctl_lines(f, text);
		else if (*text != '\0')
			printf("%s\n", text);
	} else if (strncmp(line, "ERR ", 4) == 0)
		fprintf(stderr, "hvsimctl: %s\n", line + 4);
	else
		fprintf(stderr, "hvsimctl: bad reply: %s\n", line);
out:
	free(line);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rundir", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rundir = NULL;
	FILE *f;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+r:h", opts, NULL)) != -1) {
		if (c != 'r') {
			usage();
			return 2;
		}
		rundir = optarg;
	}
	if (rundir == NULL || optind >= argc || argc - optind > WORD_MAX) {
		usage();
		return 2;
	}
	if ((f = hvsimctl_connect(rundir)) == NULL) {
		fprintf(stderr, "hvsimctl: cannot reach hvsim at %s/ctl: %s\n",
		    rundir, strerror(errno));
		return 1;
	}
	if ((rc = hvsimctl_send(f, argv + optind, argc - optind)) < 0) {
		fprintf(stderr, "hvsimctl: sending: %s\n", strerror(-rc));
		fclose(f);
		return 1;
	}
	rc = hvsimctl_reply(f, argv[optind]);
	fclose(f);
	return rc;
}
