/*
 * Target lists: Citizen Lab test-list CSV (header `url,category_code,...`)
 * or plain `HOST[:PORT] [CATEGORY]` lines, detected by content.  Bad lines
 * are reported as file:line and skipped; duplicates (same host and port)
 * are dropped.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <idn2.h>

#include "csv.h"
#include "hindex.h"
#include "log.h"
#include "targets.h"
#include "url.h"
#include "util.h"
#include "xmalloc.h"

#define TARGETS_MAX_FILE	(64 * 1024 * 1024)
#define CATEGORY_MAX		32
/* Bytes of the folded categories of one target ("NEWS,HUMR,..."). */
#define TARGETS_MAX_CATEGORIES	256

/* --- the index of targets by scheme, host and port ---------------------- */

static uint64_t
index_hash(enum target_scheme scheme, const char *host, int port)
{
	uint64_t	h = hindex_hash(HINDEX_SEED, host, strlen(host));

	return hindex_hash(h, &(uint64_t){ (uint64_t)port << 1 |
	    (uint64_t)scheme }, sizeof(uint64_t));
}

/* The port that, with scheme and host, makes a target distinct. */
static int
target_key_port(const struct target *t)
{
	return t->scheme == TARGET_HTTP ? t->http_port : t->port;
}

static void
index_put(struct hindex *x, const struct targets *t, size_t i)
{
	const struct target	*e = &t->v[i];

	hindex_add(x, index_hash(e->scheme, e->host, target_key_port(e)), i);
}

/* The target of t with this scheme, host and port, or NULL. */
static struct target *
index_find(struct hindex *x, struct targets *t, enum target_scheme scheme,
    const char *host, int port)
{
	struct target	*e;
	uint64_t	 h = index_hash(scheme, host, port);
	size_t		 it = 0, i;

	if (x->n != t->n) {		/* targets came from elsewhere */
		hindex_clear(x);
		for (i = 0; i < t->n; i++)
			index_put(x, t, i);
	}
	while (hindex_next(x, h, &it, &i)) {
		e = &t->v[i];
		if (e->scheme == scheme && target_key_port(e) == port &&
		    strcmp(e->host, host) == 0)
			return e;
	}
	return NULL;
}

/* --- hosts ---------------------------------------------------------------- */

struct parsed {
	char			host[256];
	enum target_scheme	scheme;
	int			port;		/* TLS; 0 none */
	int			http_port;	/* plain HTTP; 0 none */
	const char		*path;		/* in the input; NULL: "/" */
	size_t			pathlen;
	int			port_given;	/* HOST:PORT */
	int			is_ip;
};

/*
 * An internationalised name (UTF-8) to its A-label form, IDNA 2008 with
 * UTS #46 non-transitional mapping (so "Bücher.example" and
 * "bücher.example" are the same host).  NULL or a reason.
 */
static const char *
idn_to_ascii(const char *in, char *out, size_t outlen)
{
	char	*a = NULL;
	int	 rc;

	rc = idn2_lookup_u8((const uint8_t *)in, (uint8_t **)&a,
	    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK) {
		idn2_free(a);
		switch (rc) {
		case IDN2_ENCODING_ERROR:
			return "host name is not valid UTF-8";
		case IDN2_TOO_BIG_DOMAIN:
		case IDN2_TOO_BIG_LABEL:
			return "host name too long";
		default:
			return "internationalised host name not allowed by "
			    "IDNA 2008";
		}
	}
	if (strlen(a) >= outlen) {
		idn2_free(a);
		return "host name too long";
	}
	memcpy(out, a, strlen(a) + 1);
	idn2_free(a);
	return NULL;
}

/* Validate and normalise a host (no brackets) into p.  NULL or a reason. */
static const char *
check_host(const char *h, size_t n, struct parsed *p)
{
	unsigned char	addr[16];
	char		tmp[256], u8[1024];
	const char	*why;
	size_t		i, label = 0;
	int		alldigits = 1;

	if (n == 0)
		return "empty host";
	if (memchr(h, '\0', n) != NULL)
		return "NUL byte in host";
	for (i = 0; i < n && (unsigned char)h[i] < 0x80; i++)
		;
	if (i < n) {
		if (n >= sizeof u8)
			return "host name too long";
		memcpy(u8, h, n);
		u8[n] = '\0';
		if ((why = idn_to_ascii(u8, tmp, sizeof tmp)) != NULL)
			return why;
		h = tmp;
		n = strlen(tmp);
	}
	if (n >= sizeof tmp)
		return "host name too long";
	memmove(tmp, h, n);
	tmp[n] = '\0';
	if (strchr(tmp, ':') != NULL) {
		if (inet_pton(AF_INET6, tmp, addr) != 1)
			return "bad IPv6 address";
		inet_ntop(AF_INET6, addr, p->host, sizeof p->host);
		p->is_ip = 1;
		return NULL;
	}
	if (inet_pton(AF_INET, tmp, addr) == 1) {
		inet_ntop(AF_INET, addr, p->host, sizeof p->host);
		p->is_ip = 1;
		return NULL;
	}
	if (n > 1 && tmp[n - 1] == '.')
		tmp[--n] = '\0';
	if (n > 253)
		return "host name too long";
	for (i = 0; i < n; i++) {
		unsigned char	c = (unsigned char)tmp[i];

		if (c == '.') {
			if (label == 0)
				return "empty label in host name";
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			return "bad character in host name";
		if (!isdigit(c))
			alldigits = 0;
		if (++label > 63)
			return "label longer than 63 in host name";
		tmp[i] = (char)tolower(c);
	}
	if (label == 0)
		return "empty label in host name";
	if (alldigits)
		return "bad IPv4 address";
	memcpy(p->host, tmp, n + 1);
	p->is_ip = 0;
	return NULL;
}

/* HOST[:PORT], [V6]:PORT, [V6] or a bare IPv6 literal. */
static const char *
parse_hostport(const char *s, size_t n, struct parsed *p)
{
	struct url	 u;
	const char	*why;

	if ((why = url_hostport(s, n, 0, &u)) != NULL)
		return why;
	p->port = u.port >= 0 ? u.port : 443;
	p->port_given = u.port >= 0;
	return check_host(u.host, u.hostlen, p);
}

/*
 * http(s)://host[:port][/path...].  An https URL is TLS on 443 or its
 * port; an http URL is plain HTTP on 80 and TLS on 443, or plain HTTP
 * only on its explicit port (never a handshake on a plaintext port).
 */
static const char *
parse_url(const char *s, size_t n, struct parsed *p)
{
	struct url	 u;
	const char	*why;

	if (!(n >= 8 && strncasecmp(s, "https://", 8) == 0) &&
	    !(n >= 7 && strncasecmp(s, "http://", 7) == 0))
		return "not an http:// or https:// URL";
	if ((why = url_parse(s, n, &u)) != NULL)
		return why;
	p->port = u.port >= 0 ? u.port : 443;
	p->port_given = u.port >= 0;
	if ((why = check_host(u.host, u.hostlen, p)) != NULL)
		return why;
	p->path = u.path;
	p->pathlen = u.pathlen;
	if (url_scheme_is(&u, "http")) {
		p->scheme = TARGET_HTTP;
		if (p->port_given) {
			p->http_port = p->port;
			p->port = 0;
		} else
			p->http_port = 80;
	}
	return NULL;
}

static const char *
check_category(const char *s, size_t n)
{
	size_t	i;

	if (n > CATEGORY_MAX)
		return "category longer than 32";
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return "bad character in category";
	}
	return NULL;
}

/* --- adding --------------------------------------------------------------- */

struct loader {
	struct targets		*t;
	struct hindex		 idx;	/* of t, for this load */
	const char		*path;
	int			 found;
};

static void
bad_line(struct loader *l, size_t lineno, const char *why)
{
	log_warn("%s:%zu: %s; skipped", l->path, lineno, why);
}

/* 1 when the comma-separated list has the category cat already. */
static int
has_category(const char *list, const char *cat, size_t catlen)
{
	const char	*p = list, *e;

	for (;;) {
		e = strchr(p, ',');
		if ((size_t)((e != NULL ? e : p + strlen(p)) - p) == catlen &&
		    strncasecmp(p, cat, catlen) == 0)
			return 1;
		if (e == NULL)
			return 0;
		p = e + 1;
	}
}

/* A duplicate target keeps every category it was listed under. */
static void
fold_category(struct loader *l, size_t lineno, struct target *t,
    const char *cat, size_t catlen)
{
	char	*s;

	if (catlen == 0)
		return;
	if (t->category == NULL) {
		t->category = xstrndup(cat, catlen);
		return;
	}
	if (has_category(t->category, cat, catlen))
		return;
	if (strlen(t->category) + 1 + catlen > TARGETS_MAX_CATEGORIES) {
		log_warn("%s:%zu: %s has more categories than fit in %d "
		    "bytes; %.*s not added", l->path, lineno, t->host,
		    TARGETS_MAX_CATEGORIES, (int)catlen, cat);
		return;
	}
	xasprintf(&s, "%s,%.*s", t->category, (int)catlen, cat);
	free(t->category);
	t->category = s;
}

static void
add_target(struct loader *l, size_t lineno, const char *input, size_t inlen,
    const struct parsed *p, const char *cat, size_t catlen)
{
	struct target	*t;
	int		 keyport;

	l->found++;
	keyport = p->scheme == TARGET_HTTP ? p->http_port : p->port;
	if ((t = index_find(&l->idx, l->t, p->scheme, p->host, keyport)) !=
	    NULL) {
		log_debug("%s:%zu: %s is listed already", l->path, lineno,
		    t->input);
		fold_category(l, lineno, t, cat, catlen);
		return;
	}
	l->t->v = xreallocarray(l->t->v, l->t->n + 1, sizeof *l->t->v);
	t = &l->t->v[l->t->n];
	memset(t, 0, sizeof *t);
	t->input = xstrndup(input, inlen);
	t->host = xstrdup(p->host);
	t->scheme = p->scheme;
	t->port = p->port;
	t->http_port = p->http_port;
	if (p->path == NULL)
		t->path = xstrdup("/");
	else if (p->path[0] == '?')
		xasprintf(&t->path, "/%.*s", (int)p->pathlen, p->path);
	else
		t->path = xstrndup(p->path, p->pathlen);
	t->category = catlen > 0 ? xstrndup(cat, catlen) : NULL;
	t->is_ip = p->is_ip;
	index_put(&l->idx, l->t, l->t->n++);
}

/* --- plain lines ---------------------------------------------------------- */

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void
load_plain_line(struct loader *l, size_t lineno, const char *s, size_t n)
{
	struct parsed	 p;
	const char	*tok[3], *why;
	size_t		 toklen[3], i = 0, nt = 0;

	if (memchr(s, '\0', n) != NULL) {
		bad_line(l, lineno, "NUL byte");
		return;
	}
	while (i < n) {
		while (i < n && is_space(s[i]))
			i++;
		if (i >= n || s[i] == '#')
			break;
		if (nt == 3) {
			bad_line(l, lineno, "trailing text after the category");
			return;
		}
		tok[nt] = s + i;
		while (i < n && !is_space(s[i]))
			i++;
		toklen[nt] = (size_t)(s + i - tok[nt]);
		nt++;
	}
	if (nt == 0)
		return;
	if (nt == 3) {
		bad_line(l, lineno, "trailing text after the category");
		return;
	}
	memset(&p, 0, sizeof p);
	if (toklen[0] > 3 && memmem(tok[0], toklen[0], "://", 3) != NULL)
		why = parse_url(tok[0], toklen[0], &p);
	else
		why = parse_hostport(tok[0], toklen[0], &p);
	if (why == NULL && nt == 2)
		why = check_category(tok[1], toklen[1]);
	if (why != NULL) {
		bad_line(l, lineno, why);
		return;
	}
	add_target(l, lineno, tok[0], toklen[0], &p, nt == 2 ? tok[1] : NULL,
	    nt == 2 ? toklen[1] : 0);
}

static void
load_plain(struct loader *l, const char *buf, size_t len)
{
	const char	*nl;
	size_t		 off = 0, n, lineno = 0;

	while (off < len) {
		lineno++;
		nl = memchr(buf + off, '\n', len - off);
		n = nl != NULL ? (size_t)(nl - (buf + off)) : len - off;
		load_plain_line(l, lineno, buf + off, n);
		off += n + 1;
	}
}

/* --- CSV ------------------------------------------------------------------ */

/*
 * The url column: a URL, or a bare HOST[:PORT] (some official lists),
 * which is https.  Those lists write a domain and its subdomains as
 * ".example.com": that is example.com.
 */
static const char *
parse_csv_url(const char *s, size_t n, struct parsed *p)
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0)
		return "no url";
	if (memmem(s, n, "://", 3) != NULL)
		return parse_url(s, n, p);
	if (memchr(s, '/', n) != NULL || memchr(s, '?', n) != NULL)
		return "not a URL or a host name";
	if (n > 1 && s[0] == '.' && s[1] != '.') {
		s++;
		n--;
	}
	return parse_hostport(s, n, p);
}

static void
load_csv(struct loader *l, const char *buf, size_t len, size_t start,
    size_t startline)
{
	struct csv_row	 r;
	struct parsed	 p;
	const char	*why;
	size_t		 off = start, lineno = startline, recline;
	size_t		 url_col = (size_t)-1, cat_col = (size_t)-1;
	int		 header = 1, col;

	memset(&r, 0, sizeof r);
	while (off < len) {
		recline = lineno;
		why = csv_read(buf, len, &off, &lineno, &r);
		lineno++;
		if (header) {
			header = 0;
			if ((col = csv_column(&r, "url")) >= 0)
				url_col = (size_t)col;
			if ((col = csv_column(&r, "category_code")) >= 0)
				cat_col = (size_t)col;
			csv_row_clear(&r);
			if (url_col == (size_t)-1) {
				log_warn("%s: not a target list (a CSV file "
				    "without a url column); skipped", l->path);
				return;
			}
			continue;
		}
		if (why == NULL && r.n == 1 && r.len[0] == 0) {
			csv_row_clear(&r);	/* blank line */
			continue;
		}
		if (why == NULL && (url_col >= r.n || r.len[url_col] == 0))
			why = "no url";
		memset(&p, 0, sizeof p);
		if (why == NULL)
			why = parse_csv_url(r.f[url_col], r.len[url_col], &p);
		if (why == NULL && cat_col < r.n)
			why = check_category(r.f[cat_col], r.len[cat_col]);
		if (why != NULL)
			bad_line(l, recline, why);
		else
			add_target(l, recline, r.f[url_col], r.len[url_col], &p,
			    cat_col < r.n ? r.f[cat_col] : NULL,
			    cat_col < r.n ? r.len[cat_col] : 0);
		csv_row_clear(&r);
	}
}

/*
 * A CSV header: its first line (before any '#' comment) has a comma, or
 * is the single column "url".  A plain list line never has a comma.
 */
static int
is_csv_header(const char *s, size_t n)
{
	const char	*e;

	if ((e = memchr(s, '\n', n)) != NULL)
		n = (size_t)(e - s);
	if ((e = memchr(s, '#', n)) != NULL)
		n = (size_t)(e - s);
	if (memchr(s, ',', n) != NULL)
		return 1;
	while (n > 0 && (is_space(*s) || *s == '"')) {
		s++;
		n--;
	}
	while (n > 0 && (is_space(s[n - 1]) || s[n - 1] == '"'))
		n--;
	return n == 3 && strncasecmp(s, "url", 3) == 0;
}

/* --- entry points --------------------------------------------------------- */

int
targets_load_buffer(struct targets *t, const char *path, const char *buf,
    size_t len)
{
	struct loader	 l;
	size_t		 i, off = 0, lineno = 1, n, k;
	const char	*s;

	memset(&l, 0, sizeof l);
	l.t = t;
	l.path = path;

	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	/* The first line that is not blank or a comment decides. */
	while (off < len) {
		s = buf + off;
		n = len - off;
		for (k = 0; k < n && s[k] != '\n'; k++)
			;
		i = 0;
		while (i < k && (is_space(s[i])))
			i++;
		if (i < k && s[i] != '#')
			break;
		off += k + 1;
		lineno++;
	}
	if (off < len && is_csv_header(buf + off, len - off))
		load_csv(&l, buf, len, off, lineno);
	else
		load_plain(&l, buf, len);
	hindex_clear(&l.idx);
	return l.found;
}

int
targets_load_file(struct targets *t, const char *path)
{
	char	*buf, why[128];
	size_t	 len;
	int	 rc;

	if (util_read_file(path, TARGETS_MAX_FILE, &buf, &len, why,
	    sizeof why) != 0) {
		log_error("%s: %s", path, why);
		return -1;
	}
	rc = targets_load_buffer(t, path, buf, len);
	free(buf);
	return rc;
}

int
targets_load_files(struct targets *t, char *const *paths, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (targets_load_file(t, paths[i]) < 0)
			return -1;	/* logged */
	}
	if (t->n == 0) {
		if (n == 1)
			log_error("%s: no valid target", paths[0]);
		else
			log_error("no valid target in %zu target lists", n);
		return -1;
	}
	return 0;
}

void
target_clear(struct target *t)
{
	free(t->input);
	free(t->host);
	free(t->path);
	free(t->category);
	memset(t, 0, sizeof *t);
}

void
targets_free(struct targets *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		target_clear(&t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}
