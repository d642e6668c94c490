/*
 * The early 413: a request declaring a Content-Length over --max-body is
 * answered by the collector's own JSON 413 as soon as its head is in,
 * before any byte of its body.
 *
 * libevent 2.1's evhttp answers such a request with its own HTML page
 * and has no hook before the body.  So each connection's input is
 * watched before evhttp reads it: a head declaring too much reaches
 * evhttp with "Content-Length: 0" and a SERVER_HEAD_MARK header whose
 * value is random (server_head_marked() tells), and what follows on the
 * connection is dropped; the request handler answers 413 and closes.  A
 * chunked body is left to evhttp (its limit still holds).
 */
#ifndef NJ_SERVER_HEAD_H
#define NJ_SERVER_HEAD_H

#include <stddef.h>
#include <stdint.h>

struct bufferevent;
struct evbuffer;

#define SERVER_HEAD_MARK	"X-Nightjar-Declared-Length"
#define SERVER_HEAD_MAX		65536	/* longer heads: left to evhttp */

/* What a request head says about the body after it. */
struct server_head {
	size_t		 len;		/* bytes of the head, empty line incl. */
	int		 chunked;	/* a Transfer-Encoding header */
	int		 bad_length;	/* several, folded or not a number */
	int		 has_length;
	uint64_t	 length;	/* Content-Length, when has_length */
};

/*
 * Parse the head at the start of p (n bytes): 1 and *h when an empty line
 * ends it within n, 0 when more bytes are needed.  Lines end in LF or
 * CRLF, as evhttp reads them.
 */
int	server_head_parse(const char *p, size_t n, struct server_head *h);
/* The head (p, parsed into h) as evhttp gets it when it declares too much. */
void	server_head_rewrite(const char *p, const struct server_head *h,
	    struct evbuffer *out);

/* 1 when a SERVER_HEAD_MARK header's value is the watch's own. */
int	server_head_marked(const char *value);

struct server_head_watch;
/* Watch bev's input; unwatch with the bev still alive (or NULL: gone). */
struct server_head_watch *server_head_watch(struct bufferevent *bev,
	    size_t max_body);
void	server_head_unwatch(struct server_head_watch *,
	    struct bufferevent *bev);

#endif
