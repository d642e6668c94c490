/*
 * Bogon ranges (IANA special-purpose registries, RFC 6890) and the
 * vantage's --control-allow exceptions.
 */
#include <arpa/inet.h>
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include "bogon.h"
#include "util.h"

int
bogon_parse_addr(const char *s, struct bogon_addr *a)
{
	char	buf[INET6_ADDRSTRLEN + 2];
	size_t	len;

	if (s == NULL)
		return -1;
	len = strlen(s);
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(a, 0, sizeof *a);
	if (inet_pton(AF_INET, buf, a->b) == 1) {
		a->af = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, a->b) == 1) {
		a->af = AF_INET6;
		return 0;
	}
	return -1;
}

int
bogon_parse_cidr(const char *s, struct bogon_cidr *c)
{
	struct bogon_addr	 a;
	const char		*slash;
	char			 buf[INET6_ADDRSTRLEN + 2];
	long			 plen;
	size_t			 len;

	if (s == NULL)
		return -1;
	slash = strchr(s, '/');
	len = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (bogon_parse_addr(buf, &a) != 0)
		return -1;
	if (slash == NULL)
		plen = a.af == AF_INET ? 32 : 128;
	else if (util_parse_long(slash + 1, 0, a.af == AF_INET ? 32 : 128,
	    &plen) != 0)
		return -1;
	memset(c, 0, sizeof *c);
	c->af = a.af;
	memcpy(c->b, a.b, sizeof c->b);
	c->plen = (int)plen;
	return 0;
}

static int
prefix_eq(const unsigned char *b, const unsigned char *p, int plen)
{
	int	bytes = plen / 8, bits = plen % 8;

	if (memcmp(b, p, (size_t)bytes) != 0)
		return 0;
	if (bits == 0)
		return 1;
	return ((b[bytes] ^ p[bytes]) & (0xff << (8 - bits))) == 0;
}

static int
v4_bogon(const unsigned char *b)
{
	static const struct {
		unsigned char	net[4];
		int		plen;
	} nets[] = {
		{ { 0, 0, 0, 0 }, 8 },		/* "this network" */
		{ { 10, 0, 0, 0 }, 8 },		/* RFC 1918 */
		{ { 100, 64, 0, 0 }, 10 },	/* CGNAT */
		{ { 127, 0, 0, 0 }, 8 },	/* loopback */
		{ { 169, 254, 0, 0 }, 16 },	/* link-local, metadata */
		{ { 172, 16, 0, 0 }, 12 },	/* RFC 1918 */
		{ { 192, 0, 0, 0 }, 24 },	/* IETF protocol assignments */
		{ { 192, 0, 2, 0 }, 24 },	/* TEST-NET-1 */
		{ { 192, 88, 99, 0 }, 24 },	/* 6to4 relay anycast */
		{ { 192, 168, 0, 0 }, 16 },	/* RFC 1918 */
		{ { 198, 18, 0, 0 }, 15 },	/* benchmarking */
		{ { 198, 51, 100, 0 }, 24 },	/* TEST-NET-2 */
		{ { 203, 0, 113, 0 }, 24 },	/* TEST-NET-3 */
		{ { 224, 0, 0, 0 }, 4 },	/* multicast */
		{ { 240, 0, 0, 0 }, 4 },	/* reserved, broadcast */
	};
	size_t	i;

	for (i = 0; i < sizeof nets / sizeof nets[0]; i++) {
		if (prefix_eq(b, nets[i].net, nets[i].plen))
			return 1;
	}
	return 0;
}

/* Where an IPv6 address carries an IPv4 one: its offset, or -1. */
static int
v6_embedded_v4(const unsigned char *b)
{
	static const unsigned char mapped[12] =
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char compat[12] =
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const unsigned char nat64[12] =
	    { 0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const unsigned char sixto4[2] = { 0x20, 0x02 };

	if (prefix_eq(b, mapped, 96) || prefix_eq(b, nat64, 96))
		return 12;
	/* ::a.b.c.d (deprecated IPv4-compatible), but not :: and ::1. */
	if (prefix_eq(b, compat, 96) && (b[12] | b[13] | b[14]) != 0)
		return 12;
	if (prefix_eq(b, sixto4, 16))
		return 2;
	return -1;
}

static int
addr_bogon(const struct bogon_addr *a)
{
	static const unsigned char doc[4] = { 0x20, 0x01, 0x0d, 0xb8 };
	static const unsigned char orchid[4] = { 0x20, 0x01, 0x00, 0x10 };
	static const unsigned char bench[6] = { 0x20, 0x01, 0x00, 0x02, 0, 0 };
	static const unsigned char teredo[4] = { 0x20, 0x01, 0x00, 0x00 };
	static const unsigned char doc2[3] = { 0x3f, 0xff, 0x00 };
	int	off;

	if (a->af == AF_INET)
		return v4_bogon(a->b);
	if ((off = v6_embedded_v4(a->b)) >= 0)
		return v4_bogon(a->b + off);
	/* Outside 2000::/3: ::, ::1, fc00::/7, fe80::/10, ff00::/8, ... */
	if ((a->b[0] & 0xe0) != 0x20)
		return 1;
	return prefix_eq(a->b, doc, 32) || prefix_eq(a->b, orchid, 28) ||
	    prefix_eq(a->b, bench, 48) || prefix_eq(a->b, teredo, 32) ||
	    prefix_eq(a->b, doc2, 20);
}

int
bogon_is(const char *ip)
{
	struct bogon_addr	a;

	if (bogon_parse_addr(ip, &a) != 0)
		return 1;
	return addr_bogon(&a);
}

static int
allowed(const struct bogon_addr *a, const struct bogon_cidr *allow,
    size_t n)
{
	size_t	i;
	int	off = -1;

	if (a->af == AF_INET6)
		off = v6_embedded_v4(a->b);
	for (i = 0; i < n; i++) {
		if (allow[i].af == a->af &&
		    prefix_eq(a->b, allow[i].b, allow[i].plen))
			return 1;
		/* ::ffff:10.1.2.3 is 10.1.2.3 to the kernel. */
		if (allow[i].af == AF_INET && off == 12 &&
		    a->b[10] == 0xff && prefix_eq(a->b + 12, allow[i].b,
		    allow[i].plen))
			return 1;
	}
	return 0;
}

int
bogon_refused(const char *ip, const struct bogon_cidr *allow, size_t n_allow)
{
	struct bogon_addr	a;

	if (bogon_parse_addr(ip, &a) != 0)
		return 1;
	if (!addr_bogon(&a))
		return 0;
	return !allowed(&a, allow, n_allow);
}
