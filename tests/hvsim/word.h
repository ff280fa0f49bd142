/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The words of the control protocol (PROTOCOL.md): percent-encoded, one
 * space apart, one request per line.  Shared by hvsim and hvsimctl.
 */
#ifndef HVSIM_WORD_H
#define HVSIM_WORD_H

#include <stddef.h>

#define WORD_MAX	64	/* words in one request */

/* Encode w into out; -ENOSPC if it does not fit. */
int	word_encode(char *out, size_t size, const char *w);
/* Split line (changed in place) into decoded words: their count, -errno. */
int	word_split(char *line, char **words, size_t max);

#endif
