/*
 * libFuzzer target: the engine's DNS reply parser (dns_fill), over reply
 * bytes a censor's resolver chooses, and the --resolver spec parser.
 * First input byte picks the c-ares status; the rest is the reply.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ares.h>
#include <msgpack.h>

#include "../record-arb.h"
#include "dns.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const int statuses[] = {
	ARES_SUCCESS, ARES_ENODATA, ARES_EFORMERR, ARES_ESERVFAIL,
	ARES_ENOTFOUND, ARES_ENOTIMP, ARES_EREFUSED, ARES_EBADRESP,
	ARES_ECONNREFUSED, ARES_ETIMEOUT, ARES_ECANCELLED, ARES_EDESTRUCTION
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record		*r;
	struct rec_dns		*d;
	struct dns_server	 srv;
	char			*spec, err[256];
	size_t			 i;
	int			 status;

	if (size < 1 || size > 65536)
		return 0;
	status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];

	r = record_new();
	d = record_add_dns(r);
	d->query_type = (data[0] & 0x80) ? DNS_TYPE_AAAA : DNS_TYPE_A;
	dns_fill(d, status, size > 1 ? data + 1 : NULL, (int)(size - 1));
	if (d->n_answers > DNS_MAX_ADDRS + DNS_MAX_CNAMES)
		abort();
	for (i = 0; i < d->n_answers; i++)
		if (d->answers[i].value == NULL)
			abort();

	/* Whatever the censor's resolver sent, the record validates. */
	util_uuid4(r->run_id);
	if (arb_check(r, err, sizeof err) != 0) {
		fprintf(stderr, "packed record refused: %s\n", err);
		abort();
	}
	record_free(r);

	/* The same bytes as a resolver spec. */
	spec = malloc(size);
	if (spec == NULL)
		return 0;
	memcpy(spec, data + 1, size - 1);
	spec[size - 1] = '\0';
	if (dns_parse_spec(spec, &srv) == 0) {
		if (memchr(srv.label, '\0', sizeof srv.label) == NULL)
			abort();
		if (srv.family != AF_UNSPEC && (srv.port < 1 ||
		    srv.port > 65535))
			abort();
	}
	free(spec);
	return 0;
}
