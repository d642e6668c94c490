/*
 * libFuzzer target: collector_parse_batch, which sees every upload body
 * before anything else does.  A batch that parses must have records whose
 * raw bytes lie inside the input and re-scan to exactly their length, and
 * each of them must decode on its own as a valid record.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "batch.h"
#include "mp-cursor.h"
#include "mp.h"
#include "record.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct batch		*b;
	struct mp_cursor	 c;
	msgpack_unpacked	 u;
	char			 err[256];
	size_t			 i, off;

	err[0] = '\0';
	if (collector_parse_batch((const char *)data, size, &b, err,
	    sizeof err) == 0) {
		for (i = 0; i < b->n; i++) {
			if (b->rec[i].raw < (const char *)data ||
			    b->rec[i].raw + b->rec[i].rawlen >
			    (const char *)data + size)
				abort();
			mp_cursor_init(&c, b->rec[i].raw, b->rec[i].rawlen,
			    &batch_limits);
			if (mp_cursor_skip(&c) != 0 || !mp_cursor_end(&c))
				abort();
			msgpack_unpacked_init(&u);
			if (mp_unpack_one(&u, b->rec[i].raw, b->rec[i].rawlen,
			    &off) != 0 || off != b->rec[i].rawlen ||
			    record_validate(&u.data, err, sizeof err) != 0)
				abort();
			msgpack_unpacked_destroy(&u);
		}
		batch_free(b);
	} else if (err[0] == '\0')
		abort();	/* every refusal has a reason */
	return 0;
}
