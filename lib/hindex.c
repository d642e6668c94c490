/* An index by hash over a caller's array (see hindex.h). */
#include <stdlib.h>

#include "hindex.h"
#include "xmalloc.h"

uint64_t
hindex_hash(uint64_t h, const void *p, size_t len)
{
	const unsigned char	*s = p;
	size_t			 i;

	for (i = 0; i < len; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void
hindex_put(struct hindex_slot *slot, size_t cap, struct hindex_slot e)
{
	size_t	j = e.hash & (cap - 1);

	while (slot[j].pos != 0)
		j = (j + 1) & (cap - 1);
	slot[j] = e;
}

void
hindex_add(struct hindex *x, uint64_t hash, size_t pos)
{
	struct hindex_slot	*old = x->slot, e;
	size_t			 oldcap = x->cap, i;

	if (2 * (x->n + 1) > x->cap) {
		x->cap = x->cap == 0 ? 64 : x->cap * 2;
		x->slot = xcalloc(x->cap, sizeof *x->slot);
		for (i = 0; i < oldcap; i++) {
			if (old[i].pos != 0)
				hindex_put(x->slot, x->cap, old[i]);
		}
		free(old);
	}
	e.hash = (uint32_t)hash;
	e.pos = (uint32_t)(pos + 1);
	hindex_put(x->slot, x->cap, e);
	x->n++;
}

int
hindex_next(const struct hindex *x, uint64_t hash, size_t *it, size_t *pos)
{
	size_t	j;

	if (x->cap == 0)
		return 0;
	/* *it: 0 at the start, else the slot after the last candidate + 1 */
	j = *it == 0 ? ((uint32_t)hash & (x->cap - 1)) : *it - 1;
	for (; x->slot[j].pos != 0; j = (j + 1) & (x->cap - 1)) {
		if (x->slot[j].hash == (uint32_t)hash) {
			*pos = x->slot[j].pos - 1;
			*it = ((j + 1) & (x->cap - 1)) + 1;
			return 1;
		}
	}
	return 0;
}

void
hindex_clear(struct hindex *x)
{
	free(x->slot);
	x->slot = NULL;
	x->cap = x->n = 0;
}
