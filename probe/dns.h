/*
 * DNS through c-ares on a libevent loop: one channel per resolver, one
 * event per c-ares socket, one timer from ares_timeout().  Replies are
 * parsed here into struct rec_dns (rcode, CNAME chain, addresses, TTLs,
 * df-007 failure).
 */
#ifndef NJ_DNS_H
#define NJ_DNS_H

#include <stddef.h>

#include <event2/event.h>

#include "record.h"

#define DNS_TYPE_A	1
#define DNS_TYPE_AAAA	28

/* At most this many answers of each kind are kept from one reply. */
#define DNS_MAX_ADDRS	32
#define DNS_MAX_CNAMES	16

struct dns_resolver;

/*
 * A resolver from a --resolver spec: "system" (/etc/resolv.conf) or
 * ADDR[:PORT] ("192.0.2.1", "192.0.2.1:5353", "2001:db8::1",
 * "[2001:db8::1]:5353").  Each query gives up after about timeout_ms.
 * NULL (logged) on a bad spec.
 */
struct dns_resolver *dns_resolver_new(struct event_base *, const char *spec,
		    long timeout_ms);
void		 dns_resolver_free(struct dns_resolver *);
/* "system" or "ADDR:PORT" ("[v6]:PORT"), as records name it. */
const char	*dns_resolver_name(const struct dns_resolver *);
/* Queries started and not yet called back. */
size_t		 dns_resolver_pending(const struct dns_resolver *);

/*
 * Called exactly once per query, from the loop (never from dns_query
 * itself): status is a c-ares status, abuf the raw reply when there is
 * one (NULL otherwise), valid only during the call; t_ms the time since
 * the query was sent.  Queries wait in line while DNS_MAX_ACTIVE are out.
 */
#define DNS_MAX_ACTIVE	128
typedef void	(*dns_cb)(int status, const unsigned char *abuf, int alen,
		    double t_ms, void *arg);
struct dns_q;
struct dns_q	*dns_query(struct dns_resolver *, const char *name, int qtype,
		    dns_cb, void *arg);
/*
 * Never call back this query (valid until its callback would have run).
 * A query still waiting in line is freed at once; a sent one when c-ares
 * is done with it.  The resolver's pending count drops only then.
 */
void		 dns_cancel(struct dns_q *);

/*
 * Parse a resolver spec into a label and an address; 0 or -1.  "system"
 * gives family AF_UNSPEC.  Pure, for tests.
 */
struct dns_server {
	int		 family;	/* AF_INET, AF_INET6, AF_UNSPEC */
	unsigned char	 addr[16];
	int		 port;
	char		 label[64];
};
int		 dns_parse_spec(const char *spec, struct dns_server *);

/*
 * Fill failure, rcode and answers of d from a c-ares status and reply
 * (abuf may be NULL).  Every length in abuf is checked.  Pure, for tests.
 */
void		 dns_fill(struct rec_dns *d, int status,
		    const unsigned char *abuf, int alen);
/* "NOERROR", "NXDOMAIN", ... or "RCODE<n>". */
const char	*dns_rcode_name(int rcode, char *buf, size_t len);

#endif
