/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The per-guest record stubdmd keeps in xenstore (<state_path>/guests/<domid>)
 * so that a restarted daemon re-adopts its stub domains: one value per
 * guest, "key=value" words, values percent-encoded.
 */
#ifndef STUBDMD_PERSIST_H
#define STUBDMD_PERSIST_H

#include <stddef.h>
#include <stdint.h>

#include "stubdmd/guest.h"

#define PERSIST_RECORD_MAX	4096

/* Encode g into buf; -1 if it does not fit. */
int	persist_encode(const struct guest *g, char *buf, size_t size);
/* Decode into g (name and cfg untouched); -1 on any malformed word. */
int	persist_decode(struct guest *g, const char *rec);

/* A directory entry under <state_path>/guests: a domid in 1..max-1. */
int	persist_parse_domid(const char *ent, unsigned long max, uint32_t *out);

#endif
