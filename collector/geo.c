/* MaxMind DB lookups of an upload's network (see geo.h). */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <maxminddb.h>

#include "geo.h"
#include "log.h"
#include "xmalloc.h"

struct cidr {
	int		 family;
	unsigned char	 addr[16];
	int		 bits;
};

struct geo {
	MMDB_s		 asn, cc;
	int		 has_asn, has_cc;
	struct cidr	*proxies;
	size_t		 nproxies;
};

static int
open_db(const char *path, MMDB_s *db)
{
	int	rc;

	if ((rc = MMDB_open(path, MMDB_MODE_MMAP, db)) != MMDB_SUCCESS) {
		log_error("%s: %s", path, MMDB_strerror(rc));
		return -1;
	}
	return 0;
}

struct geo *
geo_open(const char *asn_db, const char *country_db)
{
	struct geo	*g = xcalloc(1, sizeof *g);

	if (asn_db != NULL) {
		if (open_db(asn_db, &g->asn) == -1)
			goto bad;
		g->has_asn = 1;
	}
	if (country_db != NULL) {
		if (open_db(country_db, &g->cc) == -1)
			goto bad;
		g->has_cc = 1;
	}
	return g;
bad:
	geo_free(g);
	return NULL;
}

void
geo_free(struct geo *g)
{
	if (g == NULL)
		return;
	if (g->has_asn)
		MMDB_close(&g->asn);
	if (g->has_cc)
		MMDB_close(&g->cc);
	free(g->proxies);
	free(g);
}

int
geo_add_proxy(struct geo *g, const char *s)
{
	struct cidr	 c;
	char		 buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long		 bits;

	if (strlen(s) >= sizeof buf)
		goto bad;
	strcpy(buf, s);
	memset(&c, 0, sizeof c);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, c.addr) == 1) {
		c.family = AF_INET;
		c.bits = 32;
	} else if (inet_pton(AF_INET6, buf, c.addr) == 1) {
		c.family = AF_INET6;
		c.bits = 128;
	} else
		goto bad;
	if (slash != NULL) {
		bits = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || bits < 0 || bits > c.bits)
			goto bad;
		c.bits = (int)bits;
	}
	g->proxies = xreallocarray(g->proxies, g->nproxies + 1,
	    sizeof *g->proxies);
	g->proxies[g->nproxies++] = c;
	return 0;
bad:
	log_error("--trusted-proxy %s: expected ADDRESS[/BITS]", s);
	return -1;
}

/* An address as 4 or 16 bytes; v4-mapped IPv6 counts as IPv4. */
static int
addr_bytes(const struct sockaddr *sa, unsigned char out[16], int *family)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };
	const struct sockaddr_in6 *s6;

	if (sa->sa_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		*family = AF_INET;
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)sa;
		if (memcmp(s6->sin6_addr.s6_addr, mapped, 12) == 0) {
			memcpy(out, s6->sin6_addr.s6_addr + 12, 4);
			*family = AF_INET;
		} else {
			memcpy(out, s6->sin6_addr.s6_addr, 16);
			*family = AF_INET6;
		}
		return 0;
	}
	return -1;
}

static int
trusted(const struct geo *g, const struct sockaddr *sa)
{
	unsigned char	 a[16];
	int		 family, full, rest;
	size_t		 i;

	if (addr_bytes(sa, a, &family) == -1)
		return 0;
	for (i = 0; i < g->nproxies; i++) {
		const struct cidr *c = &g->proxies[i];

		if (c->family != family)
			continue;
		full = c->bits / 8;
		rest = c->bits % 8;
		if (memcmp(a, c->addr, (size_t)full) != 0)
			continue;
		if (rest != 0 && ((a[full] ^ c->addr[full]) &
		    (0xff << (8 - rest)) & 0xff) != 0)
			continue;
		return 1;
	}
	return 0;
}

/* The last hop of an X-Forwarded-For value as an address; 0 or -1. */
static int
last_hop(const char *xff, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)ss;
	const char		*p, *end;
	char			 buf[INET6_ADDRSTRLEN + 1];
	size_t			 len;

	p = strrchr(xff, ',');
	p = p != NULL ? p + 1 : xff;
	p += strspn(p, " \t");
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	len = (size_t)(end - p);
	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, buf, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

/* A string value at path in e, copied (cut at NUL) into out; 0 or -1. */
static int
get_str(MMDB_entry_s *e, char *out, size_t outlen, const char *const *path)
{
	MMDB_entry_data_s	d;
	size_t			n;

	if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
	    d.type != MMDB_DATA_TYPE_UTF8_STRING)
		return -1;
	n = d.data_size < outlen - 1 ? d.data_size : outlen - 1;
	memcpy(out, d.utf8_string, n);
	out[n] = '\0';
	return out[0] != '\0' ? 0 : -1;
}

void
geo_lookup(const struct geo *g, const struct sockaddr *peer, const char *xff,
    struct geo_origin *out)
{
	static const char *const asn_path[] = { "autonomous_system_number",
	    NULL };
	static const char *const org_path[] = {
	    "autonomous_system_organization", NULL };
	static const char *const cc_path[] = { "country", "iso_code", NULL };
	struct sockaddr_storage	 ss;
	const struct sockaddr	*sa = peer;
	MMDB_lookup_result_s	 r;
	MMDB_entry_data_s	 d;
	int			 err;

	memset(out, 0, sizeof *out);
	if (g == NULL || sa == NULL)
		return;
	if (xff != NULL && g->nproxies > 0 && trusted(g, peer)) {
		if (last_hop(xff, &ss) == -1)
			return;		/* a proxy we trust, saying nonsense */
		sa = (const struct sockaddr *)&ss;
	}
	if (g->has_asn) {
		r = MMDB_lookup_sockaddr(&g->asn, sa, &err);
		if (err == MMDB_SUCCESS && r.found_entry) {
			if (MMDB_aget_value(&r.entry, &d, asn_path) ==
			    MMDB_SUCCESS && d.has_data &&
			    d.type == MMDB_DATA_TYPE_UINT32) {
				snprintf(out->asn, sizeof out->asn, "AS%u",
				    (unsigned)d.uint32);
				out->o.asn = out->asn;
			}
			if (get_str(&r.entry, out->network,
			    sizeof out->network, org_path) == 0)
				out->o.network = out->network;
		}
	}
	if (g->has_cc) {
		r = MMDB_lookup_sockaddr(&g->cc, sa, &err);
		if (err == MMDB_SUCCESS && r.found_entry &&
		    get_str(&r.entry, out->cc, sizeof out->cc, cc_path) == 0)
			out->o.cc = out->cc;
	}
}
