/*
 * The bounded HTTP/1.1 response reader (see http-parse.h): a byte-at-a-
 * time state machine over lines (status, headers, chunk sizes, trailers)
 * and counted runs (Content-Length bodies, chunk data).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http-parse.h"
#include "util.h"
#include "xmalloc.h"

#define HTTP_MAX_TITLE	256
#define HTTP_MAX_CHUNK_LINE 1024

enum hp_state {
	HP_STATUS = 0,
	HP_HEADER,
	HP_BODY_LEN,		/* Content-Length bytes left */
	HP_BODY_CLOSE,		/* until the peer closes */
	HP_CHUNK_SIZE,
	HP_CHUNK_DATA,
	HP_CHUNK_END,		/* the CRLF after chunk data */
	HP_TRAILER,
	HP_DONE,
	HP_ERROR
};

struct http_parse {
	struct http_response	 r;
	enum hp_state		 st;
	size_t			 max_body;
	char			 line[HTTP_MAX_LINE];
	size_t			 line_len;
	size_t			 head_bytes;
	uint64_t		 left;		/* body or chunk bytes */
};

struct http_parse *
http_parse_new(size_t max_body)
{
	struct http_parse	*p;

	p = xcalloc(1, sizeof *p);
	p->max_body = max_body;
	p->r.body = xmalloc(max_body > 0 ? max_body : 1);
	return p;
}

static void
hp_clear_headers(struct http_parse *p)
{
	size_t	i;

	for (i = 0; i < p->r.n_headers; i++) {
		free(p->r.names[i]);
		free(p->r.values[i]);
	}
	p->r.n_headers = 0;
}

void
http_parse_free(struct http_parse *p)
{
	if (p == NULL)
		return;
	hp_clear_headers(p);
	free(p->r.names);
	free(p->r.values);
	free(p->r.body);
	free(p);
}

const struct http_response *
http_parse_response(const struct http_parse *p)
{
	return &p->r;
}

const char *
http_response_header(const struct http_response *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->n_headers; i++) {
		if (strcasecmp(r->names[i], name) == 0)
			return r->values[i];
	}
	return NULL;
}

static enum http_parse_rc
hp_fail(struct http_parse *p, const char *why)
{
	p->st = HP_ERROR;
	p->r.error = why;
	return HTTP_PARSE_ERROR;
}

/* "HTTP/1.x NNN reason" */
static enum http_parse_rc
hp_status(struct http_parse *p)
{
	const char	*s = p->line;

	if (p->line_len < 12 || strncmp(s, "HTTP/", 5) != 0 ||
	    !isdigit((unsigned char)s[5]) || s[6] != '.' ||
	    !isdigit((unsigned char)s[7]) || s[8] != ' ' ||
	    !isdigit((unsigned char)s[9]) || !isdigit((unsigned char)s[10]) ||
	    !isdigit((unsigned char)s[11]) ||
	    (p->line_len > 12 && s[12] != ' '))
		return hp_fail(p, "malformed status line");
	p->r.status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (p->r.status < 100)
		return hp_fail(p, "malformed status line");
	p->st = HP_HEADER;
	return HTTP_PARSE_MORE;
}

/* Does a comma-separated header value end with the token "chunked"? */
static int
hp_chunked(const char *v)
{
	const char	*last = v, *c;
	size_t		 len;

	for (c = v; *c != '\0'; c++) {
		if (*c == ',')
			last = c + 1;
	}
	while (*last == ' ' || *last == '\t')
		last++;
	len = strlen(last);
	while (len > 0 && (last[len - 1] == ' ' || last[len - 1] == '\t'))
		len--;
	return len == 7 && strncasecmp(last, "chunked", 7) == 0;
}

static int
hp_number(const char *s, uint64_t *out)
{
	uint64_t	v = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '\0')
		return -1;
	*out = v;
	return 0;
}

/* The empty line after the headers: how is the body framed? */
static enum http_parse_rc
hp_head_end(struct http_parse *p)
{
	const struct http_response	*r = &p->r;
	uint64_t			 len = 0, v;
	size_t				 i;
	int				 have_len = 0;

	if (r->status < 200) {
		/* 1xx: an interim response, the real one follows. */
		hp_clear_headers(p);
		p->r.status = 0;
		p->st = HP_STATUS;
		return HTTP_PARSE_MORE;
	}
	p->r.head_done = 1;
	if (r->status == 204 || r->status == 304) {
		p->st = HP_DONE;
		return HTTP_PARSE_DONE;
	}
	for (i = 0; i < r->n_headers; i++) {
		if (strcasecmp(r->names[i], "transfer-encoding") == 0 &&
		    hp_chunked(r->values[i])) {
			p->st = HP_CHUNK_SIZE;
			return HTTP_PARSE_MORE;
		}
	}
	for (i = 0; i < r->n_headers; i++) {
		if (strcasecmp(r->names[i], "content-length") != 0)
			continue;
		if (hp_number(r->values[i], &v) != 0)
			return hp_fail(p, "bad Content-Length");
		if (have_len && v != len)
			return hp_fail(p, "conflicting Content-Length");
		len = v;
		have_len = 1;
	}
	if (!have_len) {
		p->st = HP_BODY_CLOSE;
		return HTTP_PARSE_MORE;
	}
	if (len == 0) {
		p->st = HP_DONE;
		return HTTP_PARSE_DONE;
	}
	p->left = len;
	p->st = HP_BODY_LEN;
	return HTTP_PARSE_MORE;
}

static enum http_parse_rc
hp_header(struct http_parse *p)
{
	char	*colon, *v, *e, *prev;
	size_t	 n;

	if (p->line_len == 0)
		return hp_head_end(p);
	if (p->line[0] == ' ' || p->line[0] == '\t') {
		/* Obsolete line folding: continue the previous value. */
		if (p->r.n_headers == 0)
			return hp_fail(p, "malformed header");
		if (p->r.n_headers > HTTP_MAX_HEADERS)
			return HTTP_PARSE_MORE;
		n = p->r.n_headers - 1;
		v = p->line;
		while (*v == ' ' || *v == '\t')
			v++;
		e = v + strlen(v);
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*e = '\0';
		prev = p->r.values[n];
		xasprintf(&p->r.values[n], "%s %s", prev, v);
		free(prev);
		return HTTP_PARSE_MORE;
	}
	if ((colon = strchr(p->line, ':')) == NULL || colon == p->line)
		return hp_fail(p, "malformed header");
	for (e = p->line; e < colon; e++) {
		if (*e == ' ' || *e == '\t')
			return hp_fail(p, "malformed header");
	}
	if (p->r.n_headers >= HTTP_MAX_HEADERS)
		return HTTP_PARSE_MORE;		/* counted in head_bytes */
	*colon = '\0';
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	e = v + strlen(v);
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*e = '\0';
	n = p->r.n_headers++;
	p->r.names = xreallocarray(p->r.names, n + 1, sizeof *p->r.names);
	p->r.values = xreallocarray(p->r.values, n + 1, sizeof *p->r.values);
	p->r.names[n] = xstrdup(p->line);
	p->r.values[n] = xstrdup(v);
	return HTTP_PARSE_MORE;
}

static enum http_parse_rc
hp_chunk_size(struct http_parse *p)
{
	uint64_t	v = 0;
	const char	*s = p->line;
	int		 d, digits = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	for (; isxdigit((unsigned char)*s); s++) {
		d = isdigit((unsigned char)*s) ? *s - '0' :
		    tolower((unsigned char)*s) - 'a' + 10;
		if (v > (UINT64_MAX >> 4))
			return hp_fail(p, "chunk size too large");
		v = v << 4 | (uint64_t)d;
		digits++;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (digits == 0 || (*s != '\0' && *s != ';'))
		return hp_fail(p, "malformed chunk size");
	if (v == 0) {
		p->st = HP_TRAILER;
		return HTTP_PARSE_MORE;
	}
	p->left = v;
	p->st = HP_CHUNK_DATA;
	return HTTP_PARSE_MORE;
}

/* A complete line (without its CRLF) is in p->line. */
static enum http_parse_rc
hp_line(struct http_parse *p)
{
	switch (p->st) {
	case HP_STATUS:
		return hp_status(p);
	case HP_HEADER:
		return hp_header(p);
	case HP_CHUNK_SIZE:
		return hp_chunk_size(p);
	case HP_CHUNK_END:
		if (p->line_len != 0)
			return hp_fail(p, "no CRLF after chunk data");
		p->st = HP_CHUNK_SIZE;
		return HTTP_PARSE_MORE;
	case HP_TRAILER:
		if (p->line_len == 0) {
			p->st = HP_DONE;
			return HTTP_PARSE_DONE;
		}
		return HTTP_PARSE_MORE;
	default:
		return hp_fail(p, "internal state");
	}
}

/*
 * Keep body bytes up to max_body; more than that ends the response as
 * truncated.  Returns how many of n were taken.
 */
static size_t
hp_body(struct http_parse *p, const unsigned char *b, size_t n)
{
	size_t	room = p->max_body - p->r.body_len;

	if (n > room) {
		n = room;
		p->r.truncated = 1;
	}
	memcpy(p->r.body + p->r.body_len, b, n);
	p->r.body_len += n;
	return n;
}

enum http_parse_rc
http_parse_feed(struct http_parse *p, const unsigned char *b, size_t len,
    size_t *used)
{
	enum http_parse_rc	 rc = HTTP_PARSE_MORE;
	size_t			 i = 0, n, took;
	size_t			 limit;
	unsigned char		 c;

	while (i < len && rc == HTTP_PARSE_MORE) {
		switch (p->st) {
		case HP_DONE:
			rc = HTTP_PARSE_DONE;
			continue;
		case HP_ERROR:
			rc = HTTP_PARSE_ERROR;
			continue;
		case HP_BODY_LEN:
		case HP_CHUNK_DATA:
		case HP_BODY_CLOSE:
			n = len - i;
			if (p->st != HP_BODY_CLOSE && n > p->left)
				n = (size_t)p->left;
			took = hp_body(p, b + i, n);
			i += took;
			if (p->st != HP_BODY_CLOSE)
				p->left -= took;
			if (p->r.truncated) {
				p->st = HP_DONE;
				rc = HTTP_PARSE_DONE;
				continue;
			}
			if (p->st == HP_BODY_LEN && p->left == 0) {
				p->st = HP_DONE;
				rc = HTTP_PARSE_DONE;
			} else if (p->st == HP_BODY_LEN &&
			    p->r.body_len == p->max_body) {
				/* Full, and more is announced. */
				p->r.truncated = 1;
				p->st = HP_DONE;
				rc = HTTP_PARSE_DONE;
			} else if (p->st == HP_CHUNK_DATA && p->left == 0)
				p->st = HP_CHUNK_END;
			continue;
		default:
			break;
		}
		/* A line. */
		c = b[i++];
		if (p->st == HP_STATUS || p->st == HP_HEADER ||
		    p->st == HP_TRAILER) {
			if (++p->head_bytes > HTTP_MAX_HEAD) {
				rc = hp_fail(p, "response head too large");
				continue;
			}
		}
		if (c == '\n') {
			if (p->line_len > 0 && p->line[p->line_len - 1] == '\r')
				p->line_len--;
			p->line[p->line_len] = '\0';
			if (memchr(p->line, '\0', p->line_len) != NULL)
				rc = hp_fail(p, "NUL byte in the response head");
			else
				rc = hp_line(p);
			p->line_len = 0;
			continue;
		}
		if (p->st == HP_CHUNK_END && c != '\r') {
			rc = hp_fail(p, "no CRLF after chunk data");
			continue;
		}
		limit = p->st == HP_CHUNK_SIZE || p->st == HP_CHUNK_END ?
		    HTTP_MAX_CHUNK_LINE : sizeof p->line - 1;
		if (p->line_len >= limit) {
			rc = hp_fail(p, "line too long");
			continue;
		}
		p->line[p->line_len++] = (char)c;
	}
	if (rc == HTTP_PARSE_MORE && p->st == HP_DONE)
		rc = HTTP_PARSE_DONE;
	if (used != NULL)
		*used = i;
	return rc;
}

enum http_parse_rc
http_parse_eof(struct http_parse *p)
{
	switch (p->st) {
	case HP_DONE:
		return HTTP_PARSE_DONE;
	case HP_ERROR:
		return HTTP_PARSE_ERROR;
	case HP_BODY_CLOSE:
		p->st = HP_DONE;
		return HTTP_PARSE_DONE;
	case HP_STATUS:
		if (p->line_len == 0 && p->head_bytes == 0)
			return hp_fail(p, "no response");
		/* FALLTHROUGH */
	case HP_HEADER:
		return hp_fail(p, "connection closed in the response head");
	default:
		return hp_fail(p, "connection closed before the end of the "
		    "body");
	}
}

/* --- <title> ----------------------------------------------------------- */

static const unsigned char *
ci_find(const unsigned char *s, size_t len, const char *needle)
{
	size_t	n = strlen(needle), i;

	for (i = 0; i + n <= len; i++) {
		if (strncasecmp((const char *)s + i, needle, n) == 0)
			return s + i;
	}
	return NULL;
}

char *
http_title(const unsigned char *body, size_t len)
{
	const unsigned char	*s, *e, *end = body + len;
	char			*out;
	size_t			 o = 0, n;
	int			 space = 0;

	if (body == NULL || (s = ci_find(body, len, "<title")) == NULL)
		return NULL;
	s += 6;
	if (s < end && *s != '>' && *s != ' ' && *s != '\t' && *s != '\r' &&
	    *s != '\n')
		return NULL;		/* <titlefoo> */
	if ((s = memchr(s, '>', (size_t)(end - s))) == NULL)
		return NULL;
	s++;
	if ((e = ci_find(s, (size_t)(end - s), "</title")) == NULL)
		e = end;
	out = xmalloc(HTTP_MAX_TITLE + 1);
	while (s < e) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' ||
		    *s < 0x20 || *s == 0x7f) {
			space = o > 0;
			s++;
			continue;
		}
		n = util_utf8_seq(s, (size_t)(e - s), NULL);
		if (o + (space ? 1 : 0) + (n > 0 ? n : 1) > HTTP_MAX_TITLE)
			break;
		if (space)
			out[o++] = ' ';
		space = 0;
		if (n == 0) {
			out[o++] = '?';
			s++;
		} else {
			memcpy(out + o, s, n);
			o += n;
			s += n;
		}
	}
	if (o == 0) {
		free(out);
		return NULL;
	}
	out[o] = '\0';
	return out;
}
