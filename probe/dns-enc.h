/*
 * Encrypted DNS transports for probe/dns.c: DNS over TLS (RFC 7858,
 * probe/dns-dot.c) and DNS over HTTPS (RFC 8484, probe/dns-doh.c).  Each
 * keeps one connection to one address open and reuses it for every
 * query; the peer's certificate must verify against the reference store
 * (--ca-file) for HOST, or no answer is used.
 */
#ifndef NJ_DNS_ENC_H
#define NJ_DNS_ENC_H

#include <sys/types.h>
#include <sys/socket.h>

#include <event2/event.h>

struct tls_ctx;

/* Longest DNS message taken from a resolver. */
#define DNS_ENC_MAX_MSG	65535

/*
 * Exactly one call per query: a reply (abuf, alen; failure NULL), or a
 * df-007 failure (abuf NULL).  From the loop, never from the send call;
 * also (failure "interrupted") when the transport is freed.
 */
typedef void	(*dns_enc_cb)(void *arg, const char *failure,
		    const unsigned char *abuf, int alen);

struct dns_dot;
struct dns_dot	*dns_dot_new(struct event_base *, struct tls_ctx *,
		    const char *host, const struct sockaddr *, socklen_t,
		    long timeout_ms);
void		 dns_dot_free(struct dns_dot *);
/* q is a DNS query of qlen bytes (its id is replaced). */
void		 dns_dot_send(struct dns_dot *, const unsigned char *q,
		    int qlen, dns_enc_cb, void *arg);
/* Connections opened so far. */
unsigned long	 dns_dot_connections(const struct dns_dot *);

struct dns_doh;
struct dns_doh	*dns_doh_new(struct event_base *, struct tls_ctx *,
		    const char *host, int port, const char *path,
		    const struct sockaddr *, socklen_t, long timeout_ms);
void		 dns_doh_free(struct dns_doh *);
void		 dns_doh_send(struct dns_doh *, const unsigned char *q,
		    int qlen, dns_enc_cb, void *arg);
unsigned long	 dns_doh_connections(const struct dns_doh *);

/*
 * The df-007 failure of a TLS connection to a resolver that ended
 * (BEV_EVENT_ERROR or EOF): a failed certificate check first, then the
 * OpenSSL errors queued on bev, then errno.  A heap string.
 */
struct bufferevent;
char		*dns_enc_failure(struct bufferevent *, int saved_errno,
		    int eof, int handshake_done);
/* A client SSL for HOST that fails the handshake unless verified. */
struct ssl_st	*dns_enc_ssl(struct tls_ctx *, const char *host,
		    const unsigned char *alpn, unsigned int alpn_len);

#endif
