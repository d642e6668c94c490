/*
 * A batch of records as a probe uploads it (docs/upload.md):
 * a msgpack array of record maps.  Parsing never trusts a claimed length:
 * the bytes are walked once with bounds on depth, counts and sizes before
 * anything is decoded, and every record is checked with
 * record_validate().  Safe to call on arbitrary bytes (fuzzed).
 */
#ifndef NJ_BATCH_H
#define NJ_BATCH_H

#include <stddef.h>

struct mp_limits;

#define BATCH_MAX_DEPTH		16	/* nesting inside one record */
#define BATCH_MAX_RECORDS	10000	/* records in one batch */
#define BATCH_MAX_OBJECTS	200000	/* msgpack objects in one record */

/* A string inside the body: ptr is NULL for nil or absent. */
struct batch_str {
	const char	*ptr;
	size_t		 len;
};

struct batch_record {
	const char		*raw;	/* the record's msgpack bytes */
	size_t			 rawlen;
	struct batch_str	 id;
	struct batch_str	 probe_id;
	struct batch_str	 start_time;
	struct batch_str	 host;
	struct batch_str	 status;
	struct batch_str	 method;
};

struct batch {
	struct batch_record	*rec;
	size_t			 n;
};

/*
 * Parse and validate body.  On success *out points into body (which must
 * outlive it) and 0 is returned; on any problem -1 with a reason in err
 * and nothing allocated.
 */
int	collector_parse_batch(const char *body, size_t len, struct batch **out,
	    char *err, size_t errlen);
void	batch_free(struct batch *);

/* The cursor's limits for one record of a batch. */
extern const struct mp_limits batch_limits;

#endif
