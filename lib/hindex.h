/*
 * An index by hash over an array the caller owns: open addressing with
 * linear probing, grown at half full.  The caller hashes its key with
 * hindex_hash (FNV-1a), adds array positions, and walks the candidates
 * of a hash to compare keys itself.  8 bytes a slot.
 */
#ifndef NJ_HINDEX_H
#define NJ_HINDEX_H

#include <stddef.h>
#include <stdint.h>

#define HINDEX_SEED	14695981039346656037ULL

struct hindex_slot {
	uint32_t	hash;	/* low half of the key's hash */
	uint32_t	pos;	/* array position + 1; 0 = empty */
};

struct hindex {
	struct hindex_slot	*slot;
	size_t			 cap;	/* power of two; 0 = nothing yet */
	size_t			 n;
};

/* FNV-1a of len bytes, continuing from h (HINDEX_SEED to start). */
uint64_t	 hindex_hash(uint64_t h, const void *p, size_t len);
/* Index array position pos (< 2^32 - 1) under hash. */
void		 hindex_add(struct hindex *, uint64_t hash, size_t pos);
/*
 * The candidates of hash, one per call: start with *it = 0; 1 and the
 * array position in *pos, or 0 when there are no more.
 */
int		 hindex_next(const struct hindex *, uint64_t hash, size_t *it,
		    size_t *pos);
void		 hindex_clear(struct hindex *);

#endif
