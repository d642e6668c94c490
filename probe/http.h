/*
 * One HTTP GET over a connection a measurement already holds: a plain TCP
 * connection to port 80 (or an http:// URL's explicit port), or a TLS
 * connection whose handshake has just completed.  It sends
 * `GET PATH HTTP/1.1` with Host and a User-Agent naming nightjar, reads
 * the response with the bounded reader of http-parse.c (at most max_body
 * body bytes), samples the bytes received so far about every 100 ms from
 * the first byte (for TLS as read from the socket: the body itself is
 * seen a whole TLS record, up to 16 KB, at a time), and matches the
 * response against the blockpage fingerprints.
 *
 *   g = http_get_start(base, bev, &params, done_cb, arg);
 *   ...  done_cb(g, arg): http_get_fill(g, &rec->http[i]); http_get_free(g);
 *
 * The bufferevent stays the caller's (freed by it after http_get_free);
 * the GET only sets its callbacks while it runs.
 */
#ifndef NJ_HTTP_H
#define NJ_HTTP_H

#include <stddef.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "record.h"

struct fingerprint_set;

#define HTTP_DEFAULT_MAX_BODY	65536
#define HTTP_SAMPLE_MS		100.0

struct http_params {
	const char	*host;		/* Host header: name[:port] */
	const char	*path;		/* "/" when none */
	const char	*url;		/* recorded as is */
	const char	*ip;		/* recorded */
	const char	*sni;		/* recorded; NULL for plain HTTP */
	size_t		 max_body;
	long		 timeout_ms;	/* first byte, then between reads */
	double		 origin_ms;	/* util_mono_ms() at the record's start */
	const struct fingerprint_set *fingerprints;	/* NULL: none */
};

struct http_get;
typedef void	(*http_get_cb)(struct http_get *, void *);

/* Start at once; done_cb is always called later, from the loop. */
struct http_get	*http_get_start(struct event_base *, struct bufferevent *,
		    const struct http_params *, http_get_cb, void *);
/* Fill a zeroed entry with what was seen (strings copied). */
void		 http_get_fill(const struct http_get *, struct rec_http *);
/* The fingerprint the response matched, or NULL. */
const char	*http_get_blockpage(const struct http_get *);
void		 http_get_free(struct http_get *);

/*
 * The Host header for host and port: "host" on the scheme's default
 * port, "host:port" otherwise, IPv6 literals bracketed.  A heap string.
 */
char		*http_host_header(const char *host, int port, int tls);

#endif
