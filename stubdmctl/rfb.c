/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stubdmctl's VNC client (rfb.h): one frame of a guest's screen over the
 * socket stubdmd serves it on, in the caller's process and with its
 * rights.  What the server sends is a stub's, so every size is checked
 * before it is used and the whole exchange has a deadline.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "stubdmctl/rfb.h"

#define RFB_NAME_MAX	4096
#define RFB_TEXT_MAX	(1024 * 1024)	/* cut text, a failure's reason */

struct rfb_conn {
	int		fd;
	uint64_t	deadline;	/* monotonic ms */
	char		*err;
	size_t		errlen;
};

static uint64_t
rfb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
rfb_fail(struct rfb_conn *c, const char *what)
{
	snprintf(c->err, c->errlen, "%s", what);
	return -1;
}

/* Wait for fd to be ready for events before the deadline. */
static int
rfb_wait(struct rfb_conn *c, short events)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	uint64_t now = rfb_now_ms();
	int n;

	if (now >= c->deadline)
		return rfb_fail(c, "the VNC server did not answer in time");
	n = poll(&p, 1, (int)(c->deadline - now));
	if (n == 0)
		return rfb_fail(c, "the VNC server did not answer in time");
	return n < 0 ? rfb_fail(c, strerror(errno)) : 0;
}

static int
rfb_read(struct rfb_conn *c, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if (rfb_wait(c, POLLIN) < 0)
			return -1;
		n = recv(c->fd, (char *)buf + got, len - got, MSG_DONTWAIT);
		if (n == 0)
			return rfb_fail(c, "the VNC server closed the "
			    "connection");
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return rfb_fail(c, strerror(errno));
		if (n > 0)
			got += (size_t)n;
	}
	return 0;
}

static int
rfb_skip(struct rfb_conn *c, size_t len)
{
	char buf[4096];
	size_t n;

	for (; len > 0; len -= n) {
		n = len < sizeof(buf) ? len : sizeof(buf);
		if (rfb_read(c, buf, n) < 0)
			return -1;
	}
	return 0;
}

static int
rfb_write(struct rfb_conn *c, const void *buf, size_t len)
{
	size_t sent = 0;
	ssize_t n;

	while (sent < len) {
		if (rfb_wait(c, POLLOUT) < 0)
			return -1;
		n = send(c->fd, (const char *)buf + sent, len - sent,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return rfb_fail(c, strerror(errno));
		if (n > 0)
			sent += (size_t)n;
	}
	return 0;
}

static unsigned
rfb_get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t
rfb_get32(const unsigned char *p)
{
	return (uint32_t)rfb_get16(p) << 16 | rfb_get16(p + 2);
}

static void
rfb_put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* A failure the server explains: a length, then its text (shown). */
static int
rfb_reason(struct rfb_conn *c, const char *what)
{
	unsigned char len[4];
	char text[256];
	uint32_t n;

	if (rfb_read(c, len, 4) < 0)
		return -1;
	n = rfb_get32(len);
	if (n >= sizeof(text))
		return rfb_fail(c, what);
	if (rfb_read(c, text, n) < 0)
		return -1;
	text[n] = '\0';
	for (char *p = text; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	snprintf(c->err, c->errlen, "%s: %s", what, text);
	return -1;
}

/* Versions 3.3, 3.7 and 3.8 (QEMU speaks 3.8), security type None. */
static int
rfb_handshake(struct rfb_conn *c)
{
	unsigned char v[12], n, types[255], r[4];
	int minor;

	if (rfb_read(c, v, 12) < 0)
		return -1;
	if (memcmp(v, "RFB 003.", 8) != 0 || v[11] != '\n' ||
	    sscanf((const char *)v + 8, "%3d", &minor) != 1)
		return rfb_fail(c, "not a VNC server");
	minor = minor >= 8 ? 8 : minor >= 7 ? 7 : 3;
	snprintf((char *)v, sizeof(v), "RFB 003.00%d", minor);
	v[11] = '\n';
	if (rfb_write(c, v, 12) < 0)
		return -1;
	if (minor == 3) {
		if (rfb_read(c, r, 4) < 0)
			return -1;
		return rfb_get32(r) == 1 ? 0 :
		    rfb_fail(c, "the VNC server wants authentication");
	}
	if (rfb_read(c, &n, 1) < 0)
		return -1;
	if (n == 0)
		return rfb_reason(c, "the VNC server refused");
	if (rfb_read(c, types, n) < 0)
		return -1;
	if (memchr(types, 1, n) == NULL)
		return rfb_fail(c, "the VNC server wants authentication");
	n = 1;
	if (rfb_write(c, &n, 1) < 0)
		return -1;
	if (minor == 7)
		return 0;
	if (rfb_read(c, r, 4) < 0)
		return -1;
	return rfb_get32(r) == 0 ? 0 : rfb_reason(c, "the VNC server refused");
}

/* ClientInit, ServerInit: the screen's size, bounded. */
static int
rfb_init(struct rfb_conn *c, struct ctl_rfb_image *img)
{
	unsigned char shared = 1, si[24];
	uint32_t namelen;

	if (rfb_write(c, &shared, 1) < 0 || rfb_read(c, si, 24) < 0)
		return -1;
	img->w = rfb_get16(si);
	img->h = rfb_get16(si + 2);
	namelen = rfb_get32(si + 20);
	if (img->w == 0 || img->h == 0 || img->w > CTL_RFB_SIDE_MAX ||
	    img->h > CTL_RFB_SIDE_MAX)
		return rfb_fail(c, "the VNC server's screen size is out of "
		    "bounds");
	if (namelen > RFB_NAME_MAX)
		return rfb_fail(c, "the VNC server's name is too long");
	if (rfb_skip(c, namelen) < 0)
		return -1;
	if ((img->rgb = calloc((size_t)img->w * img->h, 3)) == NULL)
		return rfb_fail(c, "out of memory");
	return 0;
}

/* 32 bits little-endian 0x00RRGGBB, raw encoding, the whole screen. */
static int
rfb_request(struct rfb_conn *c, const struct ctl_rfb_image *img)
{
	unsigned char m[20 + 8 + 10] = { 0 };
	unsigned char *pf = m + 4, *enc = m + 20, *req = m + 28;

	m[0] = 0;			/* SetPixelFormat */
	pf[0] = 32;
	pf[1] = 24;
	pf[2] = 0;			/* little-endian */
	pf[3] = 1;			/* true colour */
	rfb_put16(pf + 4, 255);
	rfb_put16(pf + 6, 255);
	rfb_put16(pf + 8, 255);
	pf[10] = 16;
	pf[11] = 8;
	pf[12] = 0;
	enc[0] = 2;			/* SetEncodings: raw only */
	rfb_put16(enc + 2, 1);
	req[0] = 3;			/* FramebufferUpdateRequest */
	rfb_put16(req + 6, img->w);
	rfb_put16(req + 8, img->h);
	return rfb_write(c, m, sizeof(m));
}

static int
rfb_rect(struct rfb_conn *c, struct ctl_rfb_image *img, uint64_t *covered)
{
	unsigned char h[12], *row;
	unsigned x, y, w, hh, i, j;

	if (rfb_read(c, h, 12) < 0)
		return -1;
	x = rfb_get16(h);
	y = rfb_get16(h + 2);
	w = rfb_get16(h + 4);
	hh = rfb_get16(h + 6);
	if (rfb_get32(h + 8) != 0)
		return rfb_fail(c, "the VNC server sent an encoding not asked "
		    "for");
	if ((uint64_t)x + w > img->w || (uint64_t)y + hh > img->h)
		return rfb_fail(c, "the VNC server sent a rectangle outside "
		    "the screen");
	if ((row = malloc((size_t)w * 4 + 1)) == NULL)
		return rfb_fail(c, "out of memory");
	for (j = 0; j < hh; j++) {
		if (rfb_read(c, row, (size_t)w * 4) < 0) {
			free(row);
			return -1;
		}
		for (i = 0; i < w; i++) {
			unsigned char *o = img->rgb +
			    ((size_t)(y + j) * img->w + x + i) * 3;

			o[0] = row[i * 4 + 2];
			o[1] = row[i * 4 + 1];
			o[2] = row[i * 4];
		}
	}
	free(row);
	*covered += (uint64_t)w * hh;
	return 0;
}

/* Server messages until one update covered the screen. */
static int
rfb_frame(struct rfb_conn *c, struct ctl_rfb_image *img)
{
	unsigned char t[4];
	uint64_t covered = 0;
	unsigned n, i;

	while (covered < (uint64_t)img->w * img->h) {
		if (rfb_read(c, t, 1) < 0)
			return -1;
		switch (t[0]) {
		case 0:		/* FramebufferUpdate */
			if (rfb_read(c, t, 3) < 0)
				return -1;
			n = rfb_get16(t + 1);
			for (i = 0; i < n; i++)
				if (rfb_rect(c, img, &covered) < 0)
					return -1;
			break;
		case 1:		/* SetColourMapEntries: true colour asked */
			return rfb_fail(c, "the VNC server sent a colour map");
		case 2:		/* Bell */
			break;
		case 3:		/* ServerCutText */
			if (rfb_read(c, t, 3) < 0 || rfb_read(c, t, 4) < 0)
				return -1;
			if (rfb_get32(t) > RFB_TEXT_MAX)
				return rfb_fail(c, "the VNC server sent too "
				    "much cut text");
			if (rfb_skip(c, rfb_get32(t)) < 0)
				return -1;
			break;
		default:
			return rfb_fail(c, "the VNC server sent an unknown "
			    "message");
		}
	}
	return 0;
}

static int
rfb_connect(struct rfb_conn *c, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sun.sun_path))
		return rfb_fail(c, "the socket path is too long");
	strcpy(sun.sun_path, path);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(c->err, c->errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
ctl_rfb_capture(const char *path, unsigned timeout_ms,
    struct ctl_rfb_image *img, char *err, size_t errlen)
{
	struct rfb_conn c = { -1, rfb_now_ms() + timeout_ms, err, errlen };
	int rc;

	img->rgb = NULL;
	rc = rfb_connect(&c, path);
	if (rc == 0)
		rc = rfb_handshake(&c);
	if (rc == 0)
		rc = rfb_init(&c, img);
	if (rc == 0)
		rc = rfb_request(&c, img);
	if (rc == 0)
		rc = rfb_frame(&c, img);
	if (c.fd != -1)
		close(c.fd);
	if (rc < 0) {
		free(img->rgb);
		img->rgb = NULL;
	}
	return rc;
}
