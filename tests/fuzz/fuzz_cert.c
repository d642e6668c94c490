/*
 * libFuzzer target: a certificate as a TLS peer presents it (DER bytes
 * the peer chooses) through cert_fill() into a record.  Subjects, SANs
 * with NUL bytes, thousands of SANs: the packed record must validate.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "../record-arb.h"
#include "cert.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char	*p = data;
	struct record		*r;
	struct rec_tls		*t;
	X509			*x;
	char			 err[256];

	if (size > 100 * 1024)
		return 0;
	if ((x = d2i_X509(NULL, &p, (long)size)) == NULL)
		return 0;
	r = record_new();
	util_uuid4(r->run_id);
	r->target.host = strdup("a.example");
	r->target.port = 443;
	t = record_add_tls(r);
	t->port = 443;
	cert_fill(x, rec_tls_add_cert(t));
	rec_cert_set_der(&t->chain[0], data, (size_t)(p - data));
	X509_free(x);
	if (arb_check(r, err, sizeof err) != 0) {
		fprintf(stderr, "packed record refused: %s\n", err);
		abort();
	}
	record_free(r);
	return 0;
}
