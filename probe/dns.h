/*
 * DNS for measurements: one struct dns_resolver per --resolver or
 * --control-resolver.  Plain resolvers ("system", ADDR[:PORT]) go through
 * c-ares on the libevent loop, with sockets of nightjar's own that see
 * every datagram (late and forged replies included); DNS over TLS
 * (probe/dns-dot.c) and DNS over HTTPS (probe/dns-doh.c) carry messages
 * that c-ares builds.  Replies are parsed here into struct rec_dns (rcode,
 * CNAME chain, addresses, TTLs, df-007 failure).
 */
#ifndef NJ_DNS_H
#define NJ_DNS_H

#include <stddef.h>

#include <event2/event.h>

#include "record.h"

struct tls_ctx;

#define DNS_TYPE_A	1
#define DNS_TYPE_AAAA	28

/* At most this many answers of each kind are kept from one reply. */
#define DNS_MAX_ADDRS	32
#define DNS_MAX_CNAMES	16
/* Replies kept for one UDP query while it lingers. */
#define DNS_MAX_REPLIES	32
/* Longest DNS message taken from a TCP, TLS or HTTPS peer. */
#define DNS_MAX_MSG	65535

enum dns_kind { DNS_UDP = 0, DNS_DOT, DNS_DOH };

/* How a reply came (the record's "transport"). */
enum dns_transport { DNS_T_UDP = 0, DNS_T_TCP, DNS_T_DOH, DNS_T_DOT };
const char	*dns_transport_name(enum dns_transport);

struct dns_resolver;
struct dns_q;

struct dns_opts {
	long		 timeout_ms;	/* each query gives up after about this */
	long		 linger_ms;	/* UDP: listen this long after a reply */
	struct tls_ctx	*tls;		/* reference store for tls:// https:// */
};

/*
 * A resolver from a --resolver spec: "system" (/etc/resolv.conf),
 * ADDR[:PORT] ("192.0.2.1", "192.0.2.1:5353", "2001:db8::1",
 * "[2001:db8::1]:5353"), tls://HOST[:PORT] or https://HOST[:PORT]/PATH.
 * NULL (logged) on a bad spec.
 */
struct dns_resolver *dns_resolver_new(struct event_base *, const char *spec,
		    const struct dns_opts *);
void		 dns_resolver_free(struct dns_resolver *);
/* "system", "ADDR:PORT" ("[v6]:PORT") or the URL, as records name it. */
const char	*dns_resolver_name(const struct dns_resolver *);
/* Queries started and not yet called back (cancelled ones excluded). */
size_t		 dns_resolver_pending(const struct dns_resolver *);

/* One reply of a query that lingered (UDP). */
struct dns_more {
	unsigned char	*buf;
	int		 len;
	double		 t_ms;		/* since the query was sent */
};

/*
 * What a query got, valid only during the callback.  With a reply, abuf
 * is the first one (status ARES_SUCCESS); without, status is a c-ares
 * status, or failure names the transport's df-007 failure
 * (network_unreachable, ssl_unknown_authority, ...) and wins.  replies
 * holds every reply when more than one came (the first included).
 *
 * A UDP query with a reply lingers (linger_ms) for more: its callback
 * then runs twice, first at once with the first reply and more set,
 * then, when the lingering ends, with every reply (more clear).  Any
 * other query calls back once (more clear).
 */
struct dns_reply {
	int			 more;		/* another call follows */
	int			 status;
	const char		*failure;
	const unsigned char	*abuf;
	int			 alen;
	const char		*server;	/* "ADDR:PORT" asked; NULL unknown */
	enum dns_transport	 transport;
	double			 t0;		/* util_mono_ms() when sent */
	double			 t_ms;		/* until the first reply */
	const struct dns_more	*replies;
	size_t			 n_replies;
};

/*
 * Called per query from the loop (never from dns_query itself), once,
 * or twice for a lingering UDP query (see struct dns_reply), unless
 * cancelled first.  Queries wait in line while DNS_MAX_ACTIVE are out.
 */
#define DNS_MAX_ACTIVE	128
typedef void	(*dns_cb)(const struct dns_reply *, void *arg);
struct dns_q	*dns_query(struct dns_resolver *, const char *name, int qtype,
		    dns_cb, void *arg);
/* No callback for q after this; q is not to be used again. */
void		 dns_cancel(struct dns_q *q);
/*
 * A lingering query whose first call was made: stop listening now and
 * make its last call (with the replies so far) before returning; 0.  -1
 * (nothing done) for any other query.
 */
int		 dns_linger_end(struct dns_q *q);

/*
 * Parse a resolver spec; 0 or -1.  "system" gives family AF_UNSPEC; a
 * URL gives kind DNS_DOT or DNS_DOH, host (a name or an IP literal,
 * without brackets), port and path, family AF_UNSPEC for a name.  Pure,
 * for tests.
 */
struct dns_server {
	enum dns_kind	 kind;
	int		 family;	/* AF_INET, AF_INET6, AF_UNSPEC */
	unsigned char	 addr[16];
	int		 port;
	char		 host[256];	/* DoT, DoH */
	char		 path[512];	/* DoH */
	char		 label[800];
};
int		 dns_parse_spec(const char *spec, struct dns_server *);

/*
 * Fill failure, rcode and answers of d from a c-ares status and reply
 * (abuf may be NULL).  Every length in abuf is checked.  Pure, for tests.
 */
void		 dns_fill(struct rec_dns *d, int status,
		    const unsigned char *abuf, int alen);
/*
 * One more reply to a query (the record's "replies"): rcode and answers,
 * as dns_fill reads them (a malformed reply has no rcode).  Pure.
 */
void		 dns_fill_reply(struct rec_reply *, int qtype,
		    const unsigned char *buf, int len, double t_ms);
/* The record's transport for a reply's. */
enum rec_transport dns_rec_transport(enum dns_transport);
/* "NOERROR", "NXDOMAIN", ... or "RCODE<n>". */
const char	*dns_rcode_name(int rcode, char *buf, size_t len);
/* df-007 failure for a c-ares status without a reply; NULL if none. */
const char	*dns_status_failure(int status);

#endif
