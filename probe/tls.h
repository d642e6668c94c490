/*
 * TLS for measurements: one client SSL_CTX shared by every handshake, the
 * reference root store (--ca-file) that decides "trusted", a second store
 * from OpenSSL's default paths for "trusted_by_system", and the mapping of
 * handshake and verification errors to df-007 failure strings.
 */
#ifndef NJ_TLS_H
#define NJ_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "record.h"

/* At most this many presented certificates are recorded. */
#define TLS_MAX_CHAIN	32
/* Bytes of certificate list accepted from a server. */
#define TLS_MAX_CERT_LIST (100 * 1024)

struct tls_ctx;

/* NULL (logged) when the reference store cannot be loaded. */
struct tls_ctx	*tls_ctx_new(const char *ca_file);
void		 tls_ctx_free(struct tls_ctx *);

/*
 * Chains verified once per tls_ctx (on by default); how often a handshake
 * found its chain already verified.
 */
struct tls_cache_stats {
	unsigned long	ref_hits, ref_misses;
	unsigned long	sys_hits, sys_misses;
	unsigned long	cert_hits, cert_misses;	/* certificate facts */
};
void		 tls_ctx_set_cache(struct tls_ctx *, int on);
void		 tls_ctx_cache_stats(const struct tls_ctx *,
		    struct tls_cache_stats *);

/*
 * A client SSL: SNI sni (NULL: none), certificate checked against name,
 * an IP address when is_ip.
 */
SSL		*tls_ssl_new(struct tls_ctx *, const char *sni, const char *name,
		    int is_ip);

/*
 * After a completed handshake: version, cipher, the whole presented
 * chain, trusted (reference store and name), trusted_by_system (default
 * store and name), verify_error.  Unless cert_ok_is_success, a chain the
 * reference store does not trust also sets the failure
 * (ssl_unknown_authority, ssl_invalid_hostname, ssl_invalid_certificate).
 * Every certificate of a chain the reference store does not trust keeps
 * its DER (the evidence an interception leaves); with keep_der, every
 * chain does.
 */
void		 tls_fill(struct tls_ctx *, SSL *, struct rec_tls *,
		    const char *name, int is_ip, int cert_ok_is_success,
		    int keep_der);

/*
 * A cipher suite by its IANA name ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
 * where OpenSSL says "ECDHE-RSA-AES128-GCM-SHA256"); "" for NULL.
 */
const char	*tls_cipher_name(const SSL_CIPHER *);

/* df-007 failure for an X509_V_ERR_* result; NULL for X509_V_OK. */
const char	*tls_verify_failure(long);

/*
 * df-007 failure of a handshake that did not complete, from the OpenSSL
 * error codes seen (libevent's bufferevent_get_openssl_error()), the
 * errno saved when it failed, and whether it ended as an EOF.  A heap
 * string.
 */
char		*tls_handshake_failure(const unsigned long *errs, size_t n,
		    int saved_errno, int eof);

/*
 * df-007 failure for an errno from connect(), read() or write()
 * ("unknown_failure: ..." for the others).  Heap strings.
 */
char		*tls_errno_failure(int);

#endif
