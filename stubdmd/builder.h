/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The builder protocol: what the Xen backend (hv-xen-builder.c) and its
 * builder process (xlbuild.c) say to each other over their socketpair.  One
 * JSON object per SOCK_SEQPACKET message, never larger than BUILDER_MSG_MAX:
 *
 *   request  {"id": N, "op": "build", "spec": {"name": ..., "uuid": ...,
 *             "target": ..., "memory_mib": ..., "vcpus": ..., "kernel": ...,
 *             "ramdisk": ..., "cmdline": ..., "from_libxl": ...,
 *             "serial": ..., "spare": ..., "restore": ...,
 *             "disks": [{"vdev": ..., "target": ..., ...}, ...],
 *             "nics": [{"mac": ..., "bridge": ..., ...}, ...]}}
 *            {"id": N, "op": "destroy", "domid": D}
 *            {"id": N, "op": "attach", "domid": D, "spec": {...}}
 *              (a running spare D gets the spec's devices and serial)
 *            {"id": N, "op": "detach", "domid": D, "spec": {...}}
 *              (a running stub D loses the spec's disks: a CD's medium)
 *   reply    {"id": N, "domid": D}     (build, attach or detach done)
 *            {"id": N, "ok": true}              (destroy done)
 *            {"id": N, "error": ERRNO, "why": "..."}
 *
 * The daemon runs up to the policy's builders at once, each with one
 * request in hand; builder_may_pass says which queued request may go
 * before an earlier one.
 *
 * The spec's fields are one table (builder.c): a new field of struct
 * hv_stub_spec is one line there; a disk's and a NIC's fields (struct
 * hv_disk, hv_nic) are two more.  Replies come from a process that links
 * libxenlight, so the daemon checks every field of them.
 */
#ifndef STUBDMD_BUILDER_H
#define STUBDMD_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stubdmd/hv.h"

#define BUILDER_MSG_MAX		262144	/* the largest spec, escaped, fits */
#define BUILDER_WHY_MAX		512
#define BUILDER_STR_MAX		4096	/* one string of the spec */
#define BUILDER_DOMID_MAX	0x7ff0	/* DOMID_FIRST_RESERVED */

enum builder_op { BUILDER_BUILD, BUILDER_DESTROY, BUILDER_ATTACH,
	BUILDER_DETACH };

struct builder_req {
	uint64_t		 id;
	enum builder_op		 op;
	uint32_t		 domid;		/* destroy, (de)tach: the stub */
	struct hv_stub_spec	 spec;		/* build, attach, detach */
	void			*owner;		/* decoded: holds the strings */
};

struct builder_reply {
	uint64_t	id;
	int		err;		/* 0 or a negative errno */
	uint32_t	domid;		/* a build's new domain */
	char		why[BUILDER_WHY_MAX];	/* err < 0: printable */
};

/* A request as one message (malloc'd, *len bytes, no NUL counted). */
int	builder_req_encode(const struct builder_req *req, char **out,
	    size_t *len);
/* The builder's side: req's strings live until builder_req_free. */
int	builder_req_decode(const char *buf, size_t len,
	    struct builder_req *req);
void	builder_req_free(struct builder_req *req);

int	builder_reply_encode(const struct builder_reply *r, char **out,
	    size_t *len);
/* The daemon's side: -EPROTO for anything but a well-formed reply. */
int	builder_reply_decode(const char *buf, size_t len,
	    struct builder_reply *r);

/*
 * A reply from the builder that has request (id, op) in hand: 0 and *r
 * when it answers that request with what it asks for (a build or attach:
 * a domain; a destroy: none), else -EPROTO (the daemon kills that
 * builder; so it does one that speaks with nothing in hand).
 */
int	builder_reply_check(uint64_t id, enum builder_op op, const char *buf,
	    size_t len, struct builder_reply *r);

/*
 * The pool's order: whether a request (op, domid; domid 0 for a build)
 * may go to a free builder before an earlier one, queued or in hand.  Not
 * past one on the same domain (an attach and a destroy of one spare); no
 * build or attach past a destroy (a rebuilt stub keeps its name, which
 * libxl refuses while the old domain has it).
 */
bool	builder_may_pass(enum builder_op op, uint32_t domid,
	    enum builder_op earlier_op, uint32_t earlier_domid);

#endif
