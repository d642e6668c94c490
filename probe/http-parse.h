/*
 * A bounded HTTP/1.1 response reader, fed bytes as they arrive over a
 * measurement's own connection (plain TCP or TLS): the status line,
 * headers (at most HTTP_MAX_HEADERS, HTTP_MAX_HEAD bytes in all), and a
 * body framed by Content-Length, chunked transfer coding or the end of
 * the connection, of which at most max_body bytes are kept.  Interim 1xx
 * responses are skipped.  No I/O, no clock: fuzzed by
 * tests/fuzz/fuzz_http.c.
 */
#ifndef NJ_HTTP_PARSE_H
#define NJ_HTTP_PARSE_H

#include <stddef.h>

#define HTTP_MAX_HEAD		(64 * 1024)
#define HTTP_MAX_HEADERS	100
#define HTTP_MAX_LINE		8192

enum http_parse_rc {
	HTTP_PARSE_MORE = 0,	/* feed more bytes (or the end) */
	HTTP_PARSE_DONE,	/* the response is complete (or truncated) */
	HTTP_PARSE_ERROR	/* not HTTP, or framing broken: see error */
};

/* What was read so far; valid until http_parse_free(). */
struct http_response {
	int		  status;		/* 0 until the status line */
	int		  head_done;		/* headers complete */
	char		**names;		/* as sent */
	char		**values;		/* surrounding blanks removed */
	size_t		  n_headers;
	unsigned char	 *body;			/* body_len bytes kept */
	size_t		  body_len;
	int		  truncated;		/* more body than max_body */
	const char	 *error;		/* HTTP_PARSE_ERROR: why */
};

struct http_parse;

struct http_parse	*http_parse_new(size_t max_body);
void			 http_parse_free(struct http_parse *);

/*
 * Feed len bytes.  *used (may be NULL) gets how many were consumed:
 * fewer than len only once the response is complete.
 */
enum http_parse_rc	 http_parse_feed(struct http_parse *,
			    const unsigned char *, size_t len, size_t *used);
/* The peer closed: DONE when the body runs to the end, else ERROR. */
enum http_parse_rc	 http_parse_eof(struct http_parse *);

const struct http_response *http_parse_response(const struct http_parse *);

/* The first value of header name (any case), or NULL. */
const char	*http_response_header(const struct http_response *,
		    const char *name);

/*
 * The text of the first <title> element of an HTML body, blanks
 * collapsed, at most 256 bytes, bytes that are not printable UTF-8
 * replaced by '?'; NULL when there is none.  A heap string.
 */
char		*http_title(const unsigned char *body, size_t len);

#endif
