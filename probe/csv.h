/*
 * One RFC 4180 record at a time from a buffer in memory: quoted fields
 * may hold commas, doubled quotes and newlines.  Bounded: a field longer
 * than CSV_MAX_FIELD or a record with more than CSV_MAX_FIELDS fields is
 * reported, never cut silently.
 */
#ifndef NJ_CSV_H
#define NJ_CSV_H

#include <stddef.h>

#define CSV_MAX_FIELD	8192
#define CSV_MAX_FIELDS	64

struct csv_row {
	char	*f[CSV_MAX_FIELDS];	/* NUL-terminated, heap */
	size_t	 len[CSV_MAX_FIELDS];
	size_t	 n;
};

/*
 * Read the record at *off into r (cleared first) and advance *off past
 * it, counting the newlines inside quoted fields into *lineno (the caller
 * counts the record's own).  Returns NULL, or a reason when the record is
 * bad (it is still consumed, so reading can go on).
 */
const char	*csv_read(const char *buf, size_t len, size_t *off,
		    size_t *lineno, struct csv_row *r);
void		 csv_row_clear(struct csv_row *);

/* Index of the first header field named name (case and surrounding
 * blanks ignored), or -1. */
int		 csv_column(const struct csv_row *header, const char *name);

#endif
