/*
 * libFuzzer target: collector_parse_batch, which sees every upload body
 * before anything else does.  A batch that parses must have records whose
 * raw bytes lie inside the input and re-scan to exactly their length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct batch	*b;
	char		 err[256];
	size_t		 i, off;

	if (collector_parse_batch((const char *)data, size, &b, err,
	    sizeof err) == 0) {
		for (i = 0; i < b->n; i++) {
			if (b->rec[i].raw < (const char *)data ||
			    b->rec[i].raw + b->rec[i].rawlen >
			    (const char *)data + size)
				abort();
			off = 0;
			if (batch_scan_value((const unsigned char *)b->rec[i].raw,
			    b->rec[i].rawlen, &off, BATCH_MAX_DEPTH,
			    BATCH_MAX_OBJECTS, err, sizeof err) != 0 ||
			    off != b->rec[i].rawlen)
				abort();
		}
		batch_free(b);
	} else if (err[0] == '\0')
		abort();	/* every refusal has a reason */
	return 0;
}
