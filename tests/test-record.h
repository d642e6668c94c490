/* Parts of the sample records the unit tests build. */
#ifndef NJ_TEST_RECORD_H
#define NJ_TEST_RECORD_H

#include "record.h"

/*
 * Add to r a tcp step to 157.240.1.35:443 (1.25 ms) and a TLS 1.3
 * handshake there (SNI www.facebook.com, 9.75 ms) that presented one
 * certificate with this subject and issuer, valid 2026-01-01 to
 * 2027-01-01, SHA-256 "aaa..." and SPKI "bbb...".  The steps into *tp
 * and *sp; returns the certificate.
 */
struct rec_cert	*sample_tls(struct record *r, const char *subject,
		    const char *issuer, struct rec_tcp **tp,
		    struct rec_tls **sp);

#endif
