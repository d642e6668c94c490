/*
 * libFuzzer target: util_parse_rfc3339_ms (report --since/--until, record
 * start_time when read back).  Whatever parses must survive a round trip
 * through util_format_rfc3339_ms when it lies in years 1970..9999.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_MS	INT64_C(253402300799999)	/* 9999-12-31T23:59:59.999Z */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;
	char	 out[32];
	int64_t	 ms, again;

	if (size > 256)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (util_parse_rfc3339_ms(s, &ms) == 0 && ms >= 0 && ms <= MAX_MS) {
		util_format_rfc3339_ms(ms, out);
		if (util_parse_rfc3339_ms(out, &again) != 0 || again != ms)
			abort();
	}
	free(s);
	return 0;
}
