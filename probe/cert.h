/* Certificate facts as a record keeps them (struct rec_cert). */
#ifndef NJ_CERT_H
#define NJ_CERT_H

#include <openssl/x509.h>

#include "record.h"

/* Subject or issuer as RFC 2253 text, UTF-8 kept: "CN=x,O=y,C=KZ". */
char	*cert_name(const X509_NAME *);
/*
 * The SHA-256 of x's DER encoding (32 bytes), computed once and kept with
 * x; NULL when it cannot be.
 */
const unsigned char *cert_digest(X509 *);
/* Hex SHA-256 of the DER encoding; of the SubjectPublicKeyInfo (SPKI). */
void	 cert_sha256(X509 *, char out[65]);
void	 cert_spki_sha256(X509 *, char out[65]);
/* Fill every field of a zeroed rec_cert from x (rec_cert_clear frees). */
void	 cert_fill(X509 *, struct rec_cert *);
/* Keep x's DER in c (not kept when it cannot be encoded or is too big). */
void	 cert_keep_der(X509 *, struct rec_cert *);

#endif
