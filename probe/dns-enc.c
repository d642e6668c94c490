/*
 * What DNS over TLS and DNS over HTTPS share: a verifying client SSL and
 * the df-007 failure of a connection that ended.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "dns-enc.h"
#include "tls.h"
#include "xmalloc.h"

SSL *
dns_enc_ssl(struct tls_ctx *t, const char *host, const unsigned char *alpn,
    unsigned int alpn_len)
{
	unsigned char	 buf[16];
	SSL		*ssl;
	int		 is_ip;

	is_ip = inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1;
	/* An IP literal gets no SNI (RFC 6066) and is checked as an IP. */
	if ((ssl = tls_ssl_new(t, is_ip ? NULL : host, host, is_ip)) == NULL)
		return NULL;
	/*
	 * Unlike a measured handshake, this one stops on a chain the
	 * reference store does not trust for host: nothing is sent to, or
	 * taken from, a resolver that might be an interceptor.
	 */
	SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
	if (SSL_set_alpn_protos(ssl, alpn, alpn_len) != 0) {
		ERR_clear_error();
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

char *
dns_enc_failure(struct bufferevent *bev, int saved_errno, int eof,
    int handshake_done)
{
	unsigned long	 errs[16], e;
	size_t		 n = 0;
	const char	*f;
	SSL		*ssl;
	long		 v;

	while ((e = bufferevent_get_openssl_error(bev)) != 0) {
		if (n < sizeof errs / sizeof errs[0])
			errs[n++] = e;
	}
	ssl = bufferevent_openssl_get_ssl(bev);
	if (!handshake_done && ssl != NULL &&
	    (v = SSL_get_verify_result(ssl)) != X509_V_OK &&
	    (f = tls_verify_failure(v)) != NULL)
		return xstrdup(f);
	if (handshake_done && eof)
		return xstrdup("eof_error");
	if (handshake_done && n == 0) {
		if (saved_errno != 0 && saved_errno != EAGAIN &&
		    saved_errno != EINPROGRESS)
			return tls_errno_failure(saved_errno);
		return xstrdup("eof_error");
	}
	return tls_handshake_failure(errs, n, saved_errno, eof);
}
