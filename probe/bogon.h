/*
 * Address ranges no public name should lead to, and the vantage's guard
 * built on them: a vantage measures what probes ask for, so it must never
 * become a way into its own network (RFC 1918, loopback, link-local and
 * the cloud metadata address 169.254.169.254, CGNAT, unique-local,
 * multicast, documentation and reserved ranges; IPv4 inside IPv6 is
 * judged by its IPv4 address).  Pure functions, for tests.
 */
#ifndef NJ_BOGON_H
#define NJ_BOGON_H

#include <stddef.h>

/* An address family and 16 bytes (IPv4 in the first four). */
struct bogon_addr {
	int		af;
	unsigned char	b[16];
};

/* A prefix from --control-allow ("10.0.0.0/8", "fd00::/8", "::1"). */
struct bogon_cidr {
	int		af;
	unsigned char	b[16];
	int		plen;
};

/* "1.2.3.4", "2001:db8::1" or "[2001:db8::1]": 0, or -1. */
int	bogon_parse_addr(const char *, struct bogon_addr *);
/* ADDR or ADDR/LEN: 0, or -1 (bad address, length out of range). */
int	bogon_parse_cidr(const char *, struct bogon_cidr *);

/* 1 when ip is in a bogon range, or is not an address at all. */
int	bogon_is(const char *ip);
/*
 * 1 when a vantage must not connect to ip: a bogon (or not an address)
 * that no prefix of allow covers.  An IPv4-mapped IPv6 address is matched
 * against IPv4 prefixes too.
 */
int	bogon_refused(const char *ip, const struct bogon_cidr *allow,
	    size_t n_allow);

#endif
