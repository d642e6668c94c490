/*
 * Which network an upload came from: MaxMind DB files (--asn-db,
 * --country-db, e.g. DB-IP's lite databases) read with libmaxminddb, and
 * --trusted-proxy CIDRs whose last X-Forwarded-For hop is believed.  The
 * address itself is only looked up, never kept or logged.
 */
#ifndef NJ_GEO_H
#define NJ_GEO_H

#include <sys/socket.h>

#include "store.h"

struct geo;

/* Either file may be NULL.  NULL on error (logged). */
struct geo	*geo_open(const char *asn_db, const char *country_db);
void		 geo_free(struct geo *);
/* Add a --trusted-proxy CIDR ("10.0.0.0/8", "::1/128", "192.0.2.1"). */
int		 geo_add_proxy(struct geo *, const char *cidr);

/* What geo_lookup fills: origin's strings point into it. */
struct geo_origin {
	struct store_origin	 o;
	char			 asn[16];
	char			 network[256];
	char			 cc[8];
};

/*
 * Look up the uploader: peer, or the last (rightmost) X-Forwarded-For hop
 * when peer is a trusted proxy (xff NULL when absent).  Unknown parts
 * stay NULL.
 */
void	geo_lookup(const struct geo *, const struct sockaddr *peer,
	    const char *xff, struct geo_origin *out);

#endif
