/*
 * Host, port and URL syntax, parsed once for every option and list that
 * names a server: --collector, --control, resolver specs, --listen and
 * the target lists.  Pure: spans of the input, no allocation, no lookup.
 */
#ifndef NJ_URL_H
#define NJ_URL_H

#include <stddef.h>

/* url_hostport flags */
#define URL_PORT_ZERO	0x1	/* port 0 is allowed (a listener picks one) */

struct url {
	const char	*scheme;	/* as written, without "://" */
	size_t		 schemelen;
	const char	*host;		/* without the brackets of [V6] */
	size_t		 hostlen;
	int		 port;		/* -1 when none is written */
	int		 bracketed;	/* the host was written as [V6] */
	const char	*path;		/* "/..." or "?..." up to '#'; NULL: none */
	size_t		 pathlen;
};

/*
 * HOST[:PORT], [V6][:PORT] or a bare IPv6 literal (two colons or more)
 * in s[0..n).  The host is not checked beyond its brackets.  NULL, or
 * why not ("bad port", "junk after ']'", ...).
 */
const char	*url_hostport(const char *s, size_t n, int flags, struct url *);

/*
 * SCHEME://HOST[:PORT][PATH][?QUERY][#FRAGMENT]; a user name (user@) is
 * refused.  NULL, or why not.
 */
const char	*url_parse(const char *s, size_t n, struct url *);

/* The scheme is this one (case-insensitive). */
int		 url_scheme_is(const struct url *, const char *scheme);

/* The host, NUL-terminated, into buf; -1 when it does not fit. */
int		 url_host(const struct url *, char *buf, size_t len);

/*
 * A name that can only mean this machine: "localhost", an IPv4 literal in
 * 127/8 or the IPv6 literal ::1.  "127.evil.example" is not one.
 */
int		 url_is_loopback(const char *host, size_t n);

/*
 * A collector or vantage URL: https://HOST[:PORT][/], or http:// to a
 * loopback host (tests).  No user name, path, query or fragment.
 */
struct url_server {
	char	*url;		/* as given */
	int	 tls;
	char	*host;		/* without brackets */
	int	 port;		/* 443 or 80 when none is written */
	char	*hostheader;	/* HOST[:PORT] as written, for Host: */
};

/* NULL (fills s; url_server_clear frees it), or why not. */
const char	*url_server_parse(const char *url, struct url_server *);
void		 url_server_clear(struct url_server *);

#endif
