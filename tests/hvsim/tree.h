/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The xenstore tree: nodes with a value, permissions and a generation
 * (bumped on every change of the node or of its list of children).
 * Pure data structure: paths given here are canonical and valid.
 */
#ifndef HVSIM_TREE_H
#define HVSIM_TREE_H

#include <stddef.h>
#include <stdint.h>

#define TREE_PERM_NONE	0u
#define TREE_PERM_READ	1u
#define TREE_PERM_WRITE	2u
#define TREE_PERM_OWNER	8u	/* never stored: perm_for_conn's answer */
#define TREE_PERMS_MAX	64	/* entries in one node's list */
#define TREE_NODES_MAX	1000000		/* the tree: ~40 a guest and stub */
#define TREE_BYTES_MAX	(64u << 20)	/* its values, all together */
#define TREE_KIDX_MIN	16		/* children before they are indexed */

struct tree_perm {
	uint32_t	id;
	unsigned	perm;	/* TREE_PERM_READ | TREE_PERM_WRITE */
};

/* Entry 0: the owner and everyone's default; then the ACL. */
struct tree_perms {
	struct tree_perm	*p;
	size_t			 n;
};

struct tree_node {
	char			 *name;		/* "" for the root */
	struct tree_node	 *parent;
	struct tree_node	**kids;		/* in creation order */
	size_t			  nkids;
	size_t			  kidcap;
	/* Past TREE_KIDX_MIN children, a hash index of them (open
	 * addressing, kidxcap a power of two): /local/domain has one child
	 * per domain, and thousands of domains must not make every path
	 * lookup linear (xenstored hashes whole paths). */
	struct tree_node	**kidx;
	size_t			  kidxcap;
	char			 *data;
	size_t			  len;
	struct tree_perms	  perms;
	uint64_t		  gen;
};

struct tree {
	struct tree_node	*root;
	uint64_t		*gen;	/* the generation counter */
	size_t			 count;	/* nodes */
	size_t			 bytes;	/* in values */
};

struct tree	*tree_new(uint64_t *gen);
struct tree	*tree_clone(const struct tree *);
void		 tree_free(struct tree *);
/* FNV-1a of name[0..len): the child index's and the watch index's hash. */
size_t		 tree_hash(const char *name, size_t len);

struct tree_node *tree_lookup(const struct tree *, const char *path);
/* The deepest node that exists on the way to path (path itself if it does). */
struct tree_node *tree_nearest(const struct tree *, const char *path);
/* Create path and its missing parents; they inherit the parent's perms,
 * with owner (if >= 0) as the new owner. */
int		 tree_create(struct tree *, const char *path, long owner,
		    struct tree_node **out);
int		 tree_set_data(struct tree *, struct tree_node *,
		    const char *data, size_t len);
int		 tree_set_perms(struct tree *, struct tree_node *,
		    const struct tree_perms *);
/* Unlink and free node and everything below it (not the root). */
void		 tree_remove(struct tree *, struct tree_node *);
int		 tree_path(const struct tree_node *, char *buf, size_t size);
/* Call fn on every node below node, children before their parent. */
void		 tree_walk_post(struct tree_node *,
		    void (*fn)(struct tree_node *, void *), void *arg);
/* The children's names, each ended by a NUL (malloc'd). */
int		 tree_children(const struct tree_node *, char **out,
		    size_t *len);

int		 tree_perm_parse(const char *word, struct tree_perm *out);
/* words: n NUL-ended strings in buf (len bytes) -> perms (malloc'd). */
int		 tree_perms_parse(const char *buf, size_t len,
		    struct tree_perms *out);
int		 tree_perms_from_text(const char *text, struct tree_perms *out);
int		 tree_perms_dup(struct tree_perms *dst,
		    const struct tree_perms *src);
void		 tree_perms_clear(struct tree_perms *);
/* "n0" sep "r5" sep ...: *len bytes written (without the final NUL). */
int		 tree_perms_format(const struct tree_perms *, char sep,
		    char *buf, size_t size, size_t *len);

#endif
