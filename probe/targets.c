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

#include "log.h"
#include "targets.h"
#include "xmalloc.h"

#define TARGETS_MAX_FILE	(64 * 1024 * 1024)
#define TARGETS_MAX_FIELD	8192
#define TARGETS_MAX_FIELDS	64
#define CATEGORY_MAX		32

/* --- a set of "host port" keys for duplicate removal ---------------------- */

struct tset {
	char	**slot;
	size_t	  cap;		/* power of two */
	size_t	  n;
};

static uint64_t
tset_hash(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* 1 when added, 0 when present already.  key is taken. */
static int
tset_add(struct tset *t, char *key)
{
	size_t	i, j, oldcap;
	char	**old;

	if (2 * (t->n + 1) > t->cap) {
		old = t->slot;
		oldcap = t->cap;
		t->cap = t->cap == 0 ? 64 : t->cap * 2;
		t->slot = xcalloc(t->cap, sizeof *t->slot);
		for (i = 0; i < oldcap; i++) {
			if (old[i] == NULL)
				continue;
			j = tset_hash(old[i]) & (t->cap - 1);
			while (t->slot[j] != NULL)
				j = (j + 1) & (t->cap - 1);
			t->slot[j] = old[i];
		}
		free(old);
	}
	i = tset_hash(key) & (t->cap - 1);
	while (t->slot[i] != NULL) {
		if (strcmp(t->slot[i], key) == 0) {
			free(key);
			return 0;
		}
		i = (i + 1) & (t->cap - 1);
	}
	t->slot[i] = key;
	t->n++;
	return 1;
}

static void
tset_free(struct tset *t)
{
	size_t	i;

	for (i = 0; i < t->cap; i++)
		free(t->slot[i]);
	free(t->slot);
}

static char *
tset_key(const char *host, int port)
{
	char	*k;

	xasprintf(&k, "%s %d", host, port);
	return k;
}

/* --- hosts ---------------------------------------------------------------- */

struct parsed {
	char	host[256];
	int	port;
	int	is_ip;
};

/* Validate and normalise a host (no brackets) into p.  NULL or a reason. */
static const char *
check_host(const char *h, size_t n, struct parsed *p)
{
	unsigned char	addr[16];
	char		tmp[256];
	size_t		i, label = 0;
	int		alldigits = 1;

	if (n == 0)
		return "empty host";
	if (n >= sizeof tmp)
		return "host name too long";
	memcpy(tmp, h, n);
	tmp[n] = '\0';
	if (memchr(h, '\0', n) != NULL)
		return "NUL byte in host";
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

static const char *
check_port(const char *s, size_t n, int *port)
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
	if (v < 1 || v > 65535)
		return "port out of range";
	*port = (int)v;
	return NULL;
}

/* HOST[:PORT], [V6]:PORT, [V6] or a bare IPv6 literal. */
static const char *
parse_hostport(const char *s, size_t n, struct parsed *p)
{
	const char	*end, *colon;

	p->port = 443;
	if (n > 0 && s[0] == '[') {
		if ((end = memchr(s, ']', n)) == NULL)
			return "missing ']'";
		if ((size_t)(end - s) + 1 < n) {
			if (end[1] != ':')
				return "junk after ']'";
			if (check_port(end + 2, n - (size_t)(end - s) - 2,
			    &p->port) != NULL)
				return "bad port";
		}
		if (memchr(s + 1, ':', (size_t)(end - s - 1)) == NULL)
			return "not an IPv6 address in brackets";
		return check_host(s + 1, (size_t)(end - s - 1), p);
	}
	colon = memchr(s, ':', n);
	if (colon != NULL && memchr(colon + 1, ':', n - (size_t)(colon - s) -
	    1) == NULL) {
		const char	*why;

		if ((why = check_port(colon + 1, n - (size_t)(colon - s) - 1,
		    &p->port)) != NULL)
			return why;
		n = (size_t)(colon - s);
	}
	return check_host(s, n, p);
}

/* http(s)://[user@]host[:port][/path...] */
static const char *
parse_url(const char *s, size_t n, struct parsed *p)
{
	size_t	skip, alen;

	if (n >= 8 && strncasecmp(s, "https://", 8) == 0)
		skip = 8;
	else if (n >= 7 && strncasecmp(s, "http://", 7) == 0)
		skip = 7;
	else
		return "not an http:// or https:// URL";
	s += skip;
	n -= skip;
	for (alen = 0; alen < n; alen++) {
		if (s[alen] == '/' || s[alen] == '?' || s[alen] == '#')
			break;
	}
	if (memchr(s, '@', alen) != NULL)
		return "user name in URL";
	if (alen == 0)
		return "no host in URL";
	return parse_hostport(s, alen, p);
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
	struct targets	*t;
	struct tset	 seen;
	const char	*path;
	int		 found;
};

static void
bad_line(struct loader *l, size_t lineno, const char *why)
{
	log_warn("%s:%zu: %s; skipped", l->path, lineno, why);
}

static void
add_target(struct loader *l, const char *input, size_t inlen,
    const struct parsed *p, const char *cat, size_t catlen)
{
	struct target	*t;

	l->found++;
	if (!tset_add(&l->seen, tset_key(p->host, p->port))) {
		log_debug("%s: duplicate target %s port %d", l->path, p->host,
		    p->port);
		return;
	}
	l->t->v = xreallocarray(l->t->v, l->t->n + 1, sizeof *l->t->v);
	t = &l->t->v[l->t->n++];
	t->input = xstrndup(input, inlen);
	t->host = xstrdup(p->host);
	t->port = p->port;
	t->category = catlen > 0 ? xstrndup(cat, catlen) : NULL;
	t->is_ip = p->is_ip;
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
	add_target(l, tok[0], toklen[0], &p, nt == 2 ? tok[1] : NULL,
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

struct csv_row {
	char	*f[TARGETS_MAX_FIELDS];
	size_t	 len[TARGETS_MAX_FIELDS];
	size_t	 n;
};

static void
csv_row_clear(struct csv_row *r)
{
	size_t	i;

	for (i = 0; i < r->n; i++)
		free(r->f[i]);
	r->n = 0;
}

/*
 * Read one RFC 4180 record at *off (quoted fields may hold commas, "" and
 * newlines).  Counts newlines into *lineno.  Returns NULL or a reason (the
 * rest of the bad record is skipped).
 */
static const char *
csv_read(const char *buf, size_t len, size_t *off, size_t *lineno,
    struct csv_row *r)
{
	char		 field[TARGETS_MAX_FIELD];
	size_t		 i = *off, fl;
	const char	*why = NULL;
	int		 quoted;

	r->n = 0;
	for (;;) {
		fl = 0;
		quoted = 0;
		if (i < len && buf[i] == '"') {
			quoted = 1;
			i++;
		}
		for (;;) {
			char	c;

			if (i >= len) {
				if (quoted && why == NULL)
					why = "unterminated quoted field";
				break;
			}
			c = buf[i];
			if (quoted) {
				if (c == '"') {
					if (i + 1 < len && buf[i + 1] == '"') {
						i += 2;
						if (fl < sizeof field)
							field[fl++] = '"';
						continue;
					}
					i++;
					quoted = 0;
					if (i < len && buf[i] != ',' &&
					    buf[i] != '\n' && buf[i] != '\r' &&
					    why == NULL)
						why = "text after a closing quote";
					continue;
				}
				if (c == '\n')
					(*lineno)++;
			} else if (c == ',' || c == '\n')
				break;
			else if (c == '"' && why == NULL)
				why = "quote inside an unquoted field";
			if (c == '\0' && why == NULL)
				why = "NUL byte";
			if (fl < sizeof field)
				field[fl++] = c;
			else if (why == NULL)
				why = "field too long";
			i++;
		}
		if (!quoted) {
			while (fl > 0 && field[fl - 1] == '\r')
				fl--;
		}
		if (r->n < TARGETS_MAX_FIELDS) {
			r->f[r->n] = xstrndup(field, fl);
			r->len[r->n] = fl;
			r->n++;
		} else if (why == NULL)
			why = "too many fields";
		if (i >= len)
			break;
		if (buf[i] == '\n') {
			i++;
			break;
		}
		i++;		/* ',' */
	}
	*off = i;
	return why;
}

static void
load_csv(struct loader *l, const char *buf, size_t len, size_t start,
    size_t startline)
{
	struct csv_row	 r;
	struct parsed	 p;
	const char	*why;
	size_t		 off = start, lineno = startline, recline, i;
	size_t		 url_col = (size_t)-1, cat_col = (size_t)-1;
	int		 header = 1;

	memset(&r, 0, sizeof r);
	while (off < len) {
		recline = lineno;
		why = csv_read(buf, len, &off, &lineno, &r);
		lineno++;
		if (header) {
			header = 0;
			for (i = 0; i < r.n; i++) {
				if (strcasecmp(r.f[i], "url") == 0 &&
				    url_col == (size_t)-1)
					url_col = i;
				if (strcasecmp(r.f[i], "category_code") == 0 &&
				    cat_col == (size_t)-1)
					cat_col = i;
			}
			csv_row_clear(&r);
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
			why = parse_url(r.f[url_col], r.len[url_col], &p);
		if (why == NULL && cat_col < r.n)
			why = check_category(r.f[cat_col], r.len[cat_col]);
		if (why != NULL)
			bad_line(l, recline, why);
		else
			add_target(l, r.f[url_col], r.len[url_col], &p,
			    cat_col < r.n ? r.f[cat_col] : NULL,
			    cat_col < r.n ? r.len[cat_col] : 0);
		csv_row_clear(&r);
	}
}

/* A header line: comma-separated, one field is "url". */
static int
is_csv_header(const char *s, size_t n)
{
	const char	*nl, *f, *e;

	if ((nl = memchr(s, '\n', n)) != NULL)
		n = (size_t)(nl - s);
	if (memchr(s, ',', n) == NULL && !(n >= 3 &&
	    strncasecmp(s, "url", 3) == 0))
		return 0;
	for (f = s; f <= s + n; f = e + 1) {
		if ((e = memchr(f, ',', (size_t)(s + n - f))) == NULL)
			e = s + n;
		while (f < e && (*f == ' ' || *f == '"'))
			f++;
		while (e > f && (e[-1] == ' ' || e[-1] == '"' || e[-1] == '\r'))
			e--;
		if (e - f == 3 && strncasecmp(f, "url", 3) == 0)
			return 1;
		if ((e = memchr(f, ',', (size_t)(s + n - f))) == NULL)
			break;
	}
	return 0;
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
	for (i = 0; i < t->n; i++)
		tset_add(&l.seen, tset_key(t->v[i].host, t->v[i].port));

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
	tset_free(&l.seen);
	return l.found;
}

int
targets_load_file(struct targets *t, const char *path)
{
	struct stat	 st;
	char		*buf;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		log_error("%s: %s", path, S_ISDIR(st.st_mode) ?
		    "is a directory" : strerror(errno));
		close(fd);
		return -1;
	}
	if (st.st_size > TARGETS_MAX_FILE) {
		log_error("%s: larger than %d bytes", path, TARGETS_MAX_FILE);
		close(fd);
		return -1;
	}
	/* Read what fstat promised (a growing file is cut there). */
	buf = xmalloc((size_t)st.st_size + 1);
	n = 0;
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (n == -1) {
		log_error("%s: %s", path, strerror(errno));
		free(buf);
		return -1;
	}
	rc = targets_load_buffer(t, path, buf, len);
	free(buf);
	return rc;
}

void
targets_free(struct targets *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->v[i].input);
		free(t->v[i].host);
		free(t->v[i].category);
	}
	free(t->v);
	t->v = NULL;
	t->n = 0;
}
