/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers shared by the hypervisor backends. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <xenctrl.h>

#include "stubdmd/hv.h"

bool
hv_needs_device_model(const struct hv_dominfo *d)
{
	/* PVH is HVM to Xen but emulates only the local APIC (and vPCI). */
	uint32_t devices = XEN_X86_EMU_ALL &
	    ~(XEN_X86_EMU_LAPIC | XEN_X86_EMU_VPCI);

	return d->hvm && (d->emu_flags & devices) != 0;
}

const char *
hv_shutdown_name(int reason)
{
	static const char *const names[] = {
		"poweroff", "reboot", "suspend", "crash", "watchdog",
		"soft_reset",
	};

	if (reason < 0 || (size_t)reason >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[reason];
}

static int
hv_cmp_domid(const void *a, const void *b)
{
	uint32_t x = ((const struct hv_dominfo *)a)->domid;
	uint32_t y = ((const struct hv_dominfo *)b)->domid;

	return x < y ? -1 : x > y;
}

/* A backend without a worker (the fuzz target's): at once, same callback. */
int
hv_list_start(struct hv *hv, uint32_t first, hv_list_cb *cb, void *arg)
{
	struct hv_dominfo *v = NULL;
	size_t n = 0;
	int rc;

	if (hv->ops->list_start != NULL)
		return hv->ops->list_start(hv, first, cb, arg);
	if ((rc = hv->ops->list(hv, first, &v, &n)) < 0) {
		v = NULL;
		n = 0;
	}
	cb(arg, rc, v, n);
	return 0;
}

void
hv_list_sort(struct hv_dominfo *v, size_t n)
{
	size_t i;

	/* Xen lists in domid order: then one pass is all it costs. */
	for (i = 1; i < n && v[i - 1].domid < v[i].domid; i++)
		;
	if (i < n)
		qsort(v, n, sizeof(*v), hv_cmp_domid);
}

const struct hv_dominfo *
hv_list_find(const struct hv_dominfo *v, size_t n, uint32_t domid)
{
	struct hv_dominfo key = { .domid = domid };

	return bsearch(&key, v, n, sizeof(*v), hv_cmp_domid);
}

int
hv_uuid_random(uint8_t u[16])
{
	if (getrandom(u, 16, 0) != 16)
		return -EIO;
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);	/* version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	return 0;
}

void
hv_uuid_format(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
	    u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

int
hv_uuid_parse(const char *s, uint8_t u[16])
{
	unsigned v[16];
	int n = 0;

	/* sscanf's %x alone would take signs, spaces and "0x". */
	for (n = 0; n < 36; n++)
		if (s[n] == '\0' || (n == 8 || n == 13 || n == 18 || n == 23 ?
		    s[n] != '-' : !isxdigit((unsigned char)s[n])))
			return -1;
	if (strlen(s) != 36 || sscanf(s, "%2x%2x%2x%2x-%2x%2x-%2x%2x-%2x%2x-"
	    "%2x%2x%2x%2x%2x%2x%n", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
	    &v[6], &v[7], &v[8], &v[9], &v[10], &v[11], &v[12], &v[13],
	    &v[14], &v[15], &n) != 16 || n != 36)
		return -1;
	for (n = 0; n < 16; n++)
		u[n] = (uint8_t)v[n];
	return 0;
}

/* Untrusted text made printable, in place; newlines kept. */
static void
hv_printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((*s < 0x20 || *s > 0x7e) && *s != '\n')
			*s = *s == '\t' ? ' ' : '?';
}

char *
hv_console_last_lines(char *buf, unsigned lines)
{
	char *p, *w;
	size_t n;

	for (p = w = buf; *p != '\0'; p++)
		if (*p != '\r')
			*w++ = *p;
	*w = '\0';
	n = (size_t)(w - buf);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	for (p = buf + n; p > buf && lines > 0; p--)
		if (p[-1] == '\n' && --lines == 0)
			break;
	memmove(buf, p, (size_t)(buf + n - p) + 1);
	hv_printable(buf);
	return buf;
}

int
hv_connect_unix(const char *path, int *fd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int sfd, rc;

	*fd = -1;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	if ((sfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -errno;
	if (connect(sfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 &&
	    errno != EINPROGRESS && errno != EAGAIN) {
		rc = -errno;
		close(sfd);
		return rc;
	}
	*fd = sfd;
	return 0;
}
