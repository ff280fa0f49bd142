/* SPDX-License-Identifier: GPL-2.0-only */
/* The control socket server: accept, peer credentials, dispatch. */
#ifndef STUBDMD_CONTROL_H
#define STUBDMD_CONTROL_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

struct control;
struct evbuffer;
struct stubdmd;

/*
 * Listen on the socket systemd handed over, else on the -S path or the
 * policy's control_socket.  0 and *out set, or a negative errno
 * (-EADDRINUSE: another daemon answers on the socket).
 */
int	control_new(struct stubdmd *sd, struct control **out);
void	control_free(struct control *c);
/* The socket path in use, for messages. */
const char *control_path(const struct stubdmd *sd);

/* The Stats reply (a new reference), for the metrics export. */
json_t	*control_stats_json(const struct control *c);

/* For the fuzz target: one client's bytes in, its replies out (see .c). */
int	control_feed(struct control *c, uid_t uid, const void *buf,
	    size_t len, struct evbuffer *out);

#endif
