/*
 * libFuzzer target: records packed from arbitrary field values (strings
 * of any bytes and lengths, counts over the limits, NaN and negative
 * numbers, unknown vocabulary values).  Whatever the values, the record
 * the packer writes must pass record_validate() and the collector's
 * batch parser: a record nightjar wrote is always accepted.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../record-arb.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record	*r;
	char		 err[256];

	if (size > 8192)
		return 0;
	r = arb_record(data, size);
	if (arb_check(r, err, sizeof err) != 0) {
		fprintf(stderr, "packed record refused: %s\n", err);
		abort();
	}
	record_free(r);
	return 0;
}
