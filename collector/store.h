/*
 * The collector's SQLite database (CONTRACT "Collector"): WAL,
 * synchronous=FULL, one transaction per batch committed before replying.
 */
#ifndef NJ_STORE_H
#define NJ_STORE_H

#include <stddef.h>
#include <stdio.h>

#include "batch.h"

struct store;

/* Open (creating the table when missing).  NULL on error (logged). */
struct store	*store_open(const char *path);
void		 store_free(struct store *);

/*
 * Insert every record of b with INSERT OR IGNORE on id, in one committed
 * transaction.  0 with the counts, or -1 (logged; nothing stored).
 */
int	store_insert(struct store *, const struct batch *, size_t *accepted,
	    size_t *duplicates);

/*
 * Print the stored records received at or after since_ms (-1 = all) as
 * JSON Lines to out, oldest first.  0 or -1 (logged).
 */
int	store_export(const char *path, long long since_ms, FILE *out);

#endif
