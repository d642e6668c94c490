/* nightjar-collector export (docs/upload.md, nightjar-collector(1)). */
#ifndef NJ_EXPORT_H
#define NJ_EXPORT_H

#include <stdint.h>
#include <stdio.h>

/*
 * Print the records stored in uri (a SQLite file or a PostgreSQL URI)
 * received at or after since_ms (-1 = all) as JSON Lines, oldest first.
 * 0 or -1 (logged).
 */
int	export_records(const char *uri, int64_t since_ms, FILE *out);

#endif
