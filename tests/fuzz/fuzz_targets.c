/*
 * libFuzzer target: the targets-file parser (both formats) over a buffer.
 * Every target it accepts must have a host, a port in 1..65535 and a path,
 * and no TLS port beside an explicit plain-HTTP one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "targets.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct targets	 t;
	size_t		 i;
	int		 n;

	memset(&t, 0, sizeof t);
	n = targets_load_buffer(&t, "fuzz", (const char *)data, size);
	/* Duplicates count as valid but are not added twice. */
	if (n < -1 || (n == 0 && t.n != 0) || (n > 0 && t.n == 0))
		abort();
	for (i = 0; i < t.n; i++) {
		if (t.v[i].host == NULL || t.v[i].host[0] == '\0' ||
		    t.v[i].input == NULL)
			abort();
		if (TARGET_PORT(&t.v[i]) < 1 || TARGET_PORT(&t.v[i]) > 65535 ||
		    t.v[i].port < 0 || t.v[i].http_port < 0 ||
		    t.v[i].http_port > 65535 || t.v[i].path == NULL ||
		    t.v[i].path[0] != '/')
			abort();
		/* Never a handshake on an explicit plain-HTTP port. */
		if (t.v[i].scheme == TARGET_HTTP && t.v[i].http_port != 80 &&
		    t.v[i].port != 0)
			abort();
	}
	/* A second load into the same list adds nothing new (duplicates). */
	if (targets_load_buffer(&t, "fuzz", (const char *)data, size) > 0 &&
	    t.n != i)
		abort();
	targets_free(&t);
	return 0;
}
