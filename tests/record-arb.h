/* Records with arbitrary field values, for tests and fuzzing. */
#ifndef NJ_RECORD_ARB_H
#define NJ_RECORD_ARB_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

/* A record whose every field is drawn from the bytes (record_free it). */
struct record	*arb_record(const uint8_t *, size_t);
/*
 * Pack r and read it back as every reader does (mp_unpack_one +
 * record_validate) and as the collector does (collector_parse_batch of
 * a one-record batch).  0, or -1 with the reason in err.
 */
int		 arb_check(const struct record *, char *err, size_t errlen);

#endif
