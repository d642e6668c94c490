/*
 * `nightjar show --format table`: one line a record for people, like
 * `ooniprobe list`: the probe's local time, the target, the verdict's
 * status and method, and its one-sentence detail.
 */
#ifndef NJ_SHOW_TABLE_H
#define NJ_SHOW_TABLE_H

#include <msgpack.h>

#include "mp.h"

/* The column titles, one line. */
void	show_table_header(struct buf *out);
/*
 * Append one line for the record (missing fields show as "?").  Control
 * characters of hostile names are replaced; the line ends with '\n'.
 * Pure, for tests.
 */
void	show_table_line(const msgpack_object *rec, struct buf *out);

#endif
