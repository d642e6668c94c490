/*
 * libFuzzer target: the vantage's request parser (POST /v1/control bodies
 * from the network) and the bogon check of every address it accepts.
 * Whatever parses stays within the limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bogon.h"
#include "control.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control_config	 cfg;
	struct control_req	 r;
	char			 err[512];
	size_t			 i, j;

	control_config_init(&cfg);
	if (control_parse((const char *)data, size, &cfg, &r, err,
	    sizeof err) != 0)
		return 0;
	if (r.n == 0 || r.n > CONTROL_MAX_TARGETS)
		abort();
	for (i = 0; i < r.n; i++) {
		if (r.v[i].n_addrs > CONTROL_MAX_ADDRS ||
		    (r.v[i].port != 443 && r.v[i].port != 80))
			abort();
		for (j = 0; j < r.v[i].n_addrs; j++)
			(void)bogon_refused(r.v[i].addrs[j], NULL, 0);
		(void)bogon_is(r.v[i].host);
	}
	control_req_clear(&r);
	return 0;
}
