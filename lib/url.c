/* Host, port and URL syntax (see url.h). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "url.h"
#include "xmalloc.h"

static const char *
url_port(const char *s, size_t n, int flags, int *port)
{
	long	v = 0;
	size_t	i;

	if (n == 0 || n > 5)
		return "bad port";
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return "bad port";
		v = v * 10 + (s[i] - '0');
	}
	if (v > 65535 || (v == 0 && !(flags & URL_PORT_ZERO)))
		return "port out of range";
	*port = (int)v;
	return NULL;
}

const char *
url_hostport(const char *s, size_t n, int flags, struct url *u)
{
	const char	*end, *colon;

	u->port = -1;
	u->bracketed = 0;
	if (n > 0 && s[0] == '[') {
		if ((end = memchr(s, ']', n)) == NULL)
			return "missing ']'";
		u->host = s + 1;
		u->hostlen = (size_t)(end - s - 1);
		u->bracketed = 1;
		if ((size_t)(end - s) + 1 < n) {
			if (end[1] != ':')
				return "junk after ']'";
			if (url_port(end + 2, n - (size_t)(end - s) - 2, flags,
			    &u->port) != NULL)
				return "bad port";
		}
		if (u->hostlen == 0)
			return "empty host";
		if (memchr(u->host, ':', u->hostlen) == NULL)
			return "not an IPv6 address in brackets";
		return NULL;
	}
	u->host = s;
	u->hostlen = n;
	colon = memchr(s, ':', n);
	if (colon != NULL && memchr(colon + 1, ':',
	    n - (size_t)(colon - s) - 1) == NULL) {
		const char	*why;

		if ((why = url_port(colon + 1, n - (size_t)(colon - s) - 1,
		    flags, &u->port)) != NULL)
			return why;
		u->hostlen = (size_t)(colon - s);
	}
	if (u->hostlen == 0)
		return "empty host";
	return NULL;
}

const char *
url_parse(const char *s, size_t n, struct url *u)
{
	const char	*why;
	size_t		 i, alen;

	memset(u, 0, sizeof *u);
	u->port = -1;
	for (i = 0; i < n; i++) {
		char	c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (i > 0 && ((c >= '0' && c <= '9') || c == '+' ||
		    c == '-' || c == '.'))))
			break;
	}
	if (i == 0 || n - i < 3 || memcmp(s + i, "://", 3) != 0)
		return "not a URL";
	u->scheme = s;
	u->schemelen = i;
	s += i + 3;
	n -= i + 3;
	for (alen = 0; alen < n; alen++) {
		if (s[alen] == '/' || s[alen] == '?' || s[alen] == '#')
			break;
	}
	if (memchr(s, '@', alen) != NULL)
		return "user name in URL";
	if (alen == 0)
		return "no host in URL";
	if ((why = url_hostport(s, alen, 0, u)) != NULL)
		return why;
	if (!u->bracketed && memchr(u->host, ':', u->hostlen) != NULL)
		return "IPv6 address in a URL without brackets";
	/* The path and query; a fragment is never sent. */
	u->path = s + alen;
	for (u->pathlen = 0; alen + u->pathlen < n; u->pathlen++) {
		if (u->path[u->pathlen] == '#')
			break;
	}
	if (u->pathlen == 0)
		u->path = NULL;
	return NULL;
}

int
url_scheme_is(const struct url *u, const char *scheme)
{
	return u->schemelen == strlen(scheme) &&
	    strncasecmp(u->scheme, scheme, u->schemelen) == 0;
}

int
url_host(const struct url *u, char *buf, size_t len)
{
	if (u->hostlen >= len)
		return -1;
	memcpy(buf, u->host, u->hostlen);
	buf[u->hostlen] = '\0';
	return 0;
}

int
url_is_loopback(const char *host, size_t n)
{
	char		 tmp[INET6_ADDRSTRLEN + 1];
	struct in_addr	 a4;
	struct in6_addr	 a6;

	if (n == 9 && strncasecmp(host, "localhost", 9) == 0)
		return 1;
	if (n >= sizeof tmp)
		return 0;
	memcpy(tmp, host, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET, tmp, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, tmp, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

const char *
url_server_parse(const char *url, struct url_server *s)
{
	struct url	 u;
	const char	*why, *auth;

	memset(s, 0, sizeof *s);
	if ((why = url_parse(url, strlen(url), &u)) != NULL)
		return why;
	if (url_scheme_is(&u, "https"))
		s->tls = 1;
	else if (!url_scheme_is(&u, "http"))
		return "want https://HOST[:PORT]";
	if (u.path != NULL && (u.pathlen != 1 || u.path[0] != '/'))
		return "want https://HOST[:PORT] (no path)";
	if (strchr(url, '#') != NULL)
		return "want https://HOST[:PORT] (no fragment)";
	if (!s->tls && !url_is_loopback(u.host, u.hostlen))
		return "http:// is only for loopback tests; use https://";
	auth = url + u.schemelen + 3;
	s->url = xstrdup(url);
	s->host = xstrndup(u.host, u.hostlen);
	s->port = u.port >= 0 ? u.port : (s->tls ? 443 : 80);
	s->hostheader = xstrndup(auth, strcspn(auth, "/"));
	return NULL;
}

void
url_server_clear(struct url_server *s)
{
	free(s->url);
	free(s->host);
	free(s->hostheader);
	memset(s, 0, sizeof *s);
}
