/*
 * DNS over HTTPS (RFC 8484): POST application/dns-message over HTTP/1.1
 * with libevent's HTTP client on bufferevent_openssl.  HTTP/1.1 answers
 * one request at a time on a connection, so a few connections (at most
 * DOH_MAX_CONNS, opened as queries wait) are kept open and reused for
 * every later query; each carries one request at a time.
 *
 *   dns_doh_send -> doh_pump -> doh_conn_new / doh_dispatch
 *     -> doh_done_cb: the reply, or the connection's failure
 *
 * libevent cannot reconnect a finished TLS stream, so a connection that
 * ends is never reused: it is freed from the loop (doh_reap_cb) and the
 * next query opens a new one.  A query that fails on a connection that
 * had already answered is tried once more on a new one (a server may
 * close an idle connection just as a request goes out).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/ssl.h>

#include "dns-enc.h"
#include "log.h"
#include "tls.h"
#include "xmalloc.h"

#define DOH_MAX_CONNS	4

struct doh_q {
	struct dns_doh	*doh;
	struct doh_q	*next;		/* waiting, or failed (see doh_fail) */
	unsigned char	*body;
	size_t		 len;
	int		 retried;
	dns_enc_cb	 cb;
	void		*arg;
	char		*failure;	/* set: fail from the loop */
};

struct doh_conn {
	struct dns_doh		 *doh;
	struct doh_conn		 *next;		/* in doh->dead */
	struct evhttp_connection *evcon;
	SSL			 *ssl;		/* owned by the bufferevent */
	struct doh_q		 *q;		/* in flight */
	enum evhttp_request_error err;
	int			  has_err;
	int			  sock_errno;	/* at the stream's error */
	bufferevent_event_cb	  http_eventcb;	/* libevent's own */
	void			 *http_arg;
	int			  dead;
	unsigned long		  answered;
};

struct dns_doh {
	struct event_base	*base;
	struct tls_ctx		*tls;
	char			*host;
	char			*hosthdr;	/* Host: */
	char			*path;
	char			 addr[64];	/* numeric, for evhttp */
	int			 port;
	long			 timeout_ms;

	struct doh_conn		*conns[DOH_MAX_CONNS];
	struct doh_conn		*dead;		/* to free from the loop */
	struct doh_q		*wait_head;
	struct doh_q		*wait_tail;
	struct doh_q		*failed;	/* to call back from the loop */
	struct event		*reap_ev;
	unsigned long		 nconns;
};

static const unsigned char doh_alpn[] = "\010http/1.1";

static void	doh_pump(struct dns_doh *);

static void
doh_q_free(struct doh_q *q)
{
	free(q->body);
	free(q->failure);
	free(q);
}

/* Fail q from the loop (it is not in any list). */
static void
doh_fail(struct dns_doh *doh, struct doh_q *q, const char *failure)
{
	q->failure = xstrdup(failure);
	q->next = doh->failed;
	doh->failed = q;
	event_active(doh->reap_ev, EV_TIMEOUT, 0);
}

/* c is done for: out of the pool now, freed from the loop. */
static void
doh_conn_kill(struct doh_conn *c)
{
	struct dns_doh	*doh = c->doh;
	size_t		 i;

	if (c->dead)
		return;
	c->dead = 1;
	for (i = 0; i < DOH_MAX_CONNS; i++) {
		if (doh->conns[i] == c)
			doh->conns[i] = NULL;
	}
	c->next = doh->dead;
	doh->dead = c;
	event_active(doh->reap_ev, EV_TIMEOUT, 0);
}

static void
doh_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_doh	*doh = arg;
	struct doh_conn	*c;
	struct doh_q	*q;

	(void)fd;
	(void)what;
	while ((c = doh->dead) != NULL) {
		doh->dead = c->next;
		evhttp_connection_free(c->evcon);  /* its bufferevent too */
		free(c);
	}
	while ((q = doh->failed) != NULL) {
		doh->failed = q->next;
		q->cb(q->arg, q->failure, NULL, 0);
		doh_q_free(q);
	}
	doh_pump(doh);
}

static void
doh_close_cb(struct evhttp_connection *evcon, void *arg)
{
	struct doh_conn	*c = arg;

	(void)evcon;
	/* An idle connection the server closed: never to be reused. */
	if (c->q == NULL)
		doh_conn_kill(c);
}

static void
doh_error_cb(enum evhttp_request_error err, void *arg)
{
	struct doh_conn	*c = arg;

	c->err = err;
	c->has_err = 1;
}

/*
 * Between the stream and libevent's HTTP client while it connects and
 * handshakes: the errno of a failed connect (ENETUNREACH without a
 * network) is gone by the time a request's callback runs.
 */
static void
doh_bev_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct doh_conn	*c = arg;

	int		 one = 1;

	if (what & BEV_EVENT_ERROR)
		c->sock_errno = errno;
	/* Headers and body go as two writes: no Nagle wait between them. */
	if ((what & BEV_EVENT_CONNECTED) && bufferevent_getfd(bev) != -1)
		(void)setsockopt(bufferevent_getfd(bev), IPPROTO_TCP,
		    TCP_NODELAY, &one, sizeof one);
	c->http_eventcb(bev, what, c->http_arg);
}

static char *
doh_conn_failure(struct doh_conn *c)
{
	struct bufferevent	*bev;
	int			 saved_errno = c->sock_errno != 0 ?
				    c->sock_errno : errno;

	if (c->has_err && c->err == EVREQ_HTTP_TIMEOUT)
		return xstrdup("generic_timeout_error");
	if (c->has_err && c->err == EVREQ_HTTP_DATA_TOO_LONG)
		return xstrdup("unknown_failure: doh: reply too long");
	if (c->has_err && c->err == EVREQ_HTTP_INVALID_HEADER)
		return xstrdup("unknown_failure: doh: invalid HTTP reply");
	bev = evhttp_connection_get_bufferevent(c->evcon);
	/* libevent calls a socket error an EOF too: the errno says more. */
	return dns_enc_failure(bev, saved_errno,
	    c->has_err && c->err == EVREQ_HTTP_EOF && c->sock_errno == 0,
	    c->ssl != NULL && SSL_is_init_finished(c->ssl));
}

static void
doh_done_cb(struct evhttp_request *req, void *arg)
{
	struct doh_conn		*c = arg;
	struct dns_doh		*doh = c->doh;
	struct doh_q		*q = c->q;
	struct evbuffer		*in;
	const char		*ct, *conn;
	unsigned char		*msg;
	char			*f, buf[64];
	size_t			 n;
	int			 code;

	c->q = NULL;
	code = req != NULL ? evhttp_request_get_response_code(req) : 0;
	if (code == 0) {
		f = doh_conn_failure(c);
		doh_conn_kill(c);
		if (c->answered > 0 && !q->retried) {
			/* A kept connection went stale: once more. */
			q->retried = 1;
			q->next = doh->wait_head;
			doh->wait_head = q;
			if (doh->wait_tail == NULL)
				doh->wait_tail = q;
			free(f);
			event_active(doh->reap_ev, EV_TIMEOUT, 0);
			return;
		}
		q->cb(q->arg, f, NULL, 0);
		free(f);
		doh_q_free(q);
		return;
	}
	c->answered++;
	conn = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Connection");
	if (conn != NULL && strcasecmp(conn, "close") == 0)
		doh_conn_kill(c);
	ct = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	in = evhttp_request_get_input_buffer(req);
	n = evbuffer_get_length(in);
	if (code != 200) {
		snprintf(buf, sizeof buf, "unknown_failure: doh: HTTP status "
		    "%d", code);
		q->cb(q->arg, buf, NULL, 0);
	} else if (ct == NULL ||
	    strncasecmp(ct, "application/dns-message", 23) != 0 ||
	    (ct[23] != '\0' && ct[23] != ';' && ct[23] != ' ')) {
		q->cb(q->arg, "unknown_failure: doh: invalid content-type",
		    NULL, 0);
	} else if (n > DNS_ENC_MAX_MSG) {
		q->cb(q->arg, "unknown_failure: doh: reply too long", NULL,
		    0);
	} else {
		msg = xmalloc(n > 0 ? n : 1);
		evbuffer_remove(in, msg, n);
		q->cb(q->arg, NULL, msg, (int)n);
		free(msg);
	}
	doh_q_free(q);
	doh_pump(doh);
}

static struct doh_conn *
doh_conn_new(struct dns_doh *doh)
{
	struct doh_conn		*c;
	struct bufferevent	*bev;
	struct timeval		 tv;
	SSL			*ssl;

	doh->nconns++;
	if ((ssl = dns_enc_ssl(doh->tls, doh->host, doh_alpn,
	    sizeof doh_alpn - 1)) == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(doh->base, -1, ssl,
	    BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->doh = doh;
	c->ssl = ssl;
	c->evcon = evhttp_connection_base_bufferevent_new(doh->base, NULL,
	    bev, doh->addr, (unsigned short)doh->port);
	if (c->evcon == NULL) {
		bufferevent_free(bev);
		free(c);
		return NULL;
	}
	tv.tv_sec = doh->timeout_ms / 1000;
	tv.tv_usec = (doh->timeout_ms % 1000) * 1000;
	evhttp_connection_set_timeout_tv(c->evcon, &tv);
	evhttp_connection_set_retries(c->evcon, 0);
	evhttp_connection_set_max_body_size(c->evcon, DNS_ENC_MAX_MSG + 1);
	evhttp_connection_set_max_headers_size(c->evcon, 16384);
	evhttp_connection_set_closecb(c->evcon, doh_close_cb, c);
	return c;
}

/* Hand q to c; on failure q is failed from the loop and c killed. */
static void
doh_dispatch(struct doh_conn *c, struct doh_q *q)
{
	struct dns_doh		*doh = c->doh;
	struct evhttp_request	*req;
	struct evkeyvalq	*h;
	struct bufferevent	*bev;
	bufferevent_data_cb	 rd, wr;
	char			 len[16];

	c->q = q;
	c->has_err = 0;
	req = evhttp_request_new(doh_done_cb, c);
	evhttp_request_set_error_cb(req, doh_error_cb);
	h = evhttp_request_get_output_headers(req);
	snprintf(len, sizeof len, "%zu", q->len);
	evhttp_add_header(h, "Host", doh->hosthdr);
	evhttp_add_header(h, "Content-Type", "application/dns-message");
	evhttp_add_header(h, "Accept", "application/dns-message");
	evhttp_add_header(h, "Content-Length", len);
	evbuffer_add(evhttp_request_get_output_buffer(req), q->body, q->len);
	if (evhttp_make_request(c->evcon, req, EVHTTP_REQ_POST,
	    doh->path) != 0) {
		/* evhttp_make_request freed req. */
		c->q = NULL;
		doh_conn_kill(c);
		doh_fail(doh, q, "unknown_failure: doh: cannot send");
		return;
	}
	if (c->answered == 0 && c->http_eventcb == NULL) {
		/* Connecting now (its events are deferred): listen in. */
		bev = evhttp_connection_get_bufferevent(c->evcon);
		bufferevent_getcb(bev, &rd, &wr, &c->http_eventcb,
		    &c->http_arg);
		if (c->http_eventcb != NULL)
			bufferevent_setcb(bev, rd, wr, doh_bev_event_cb, c);
	}
}

static void
doh_pump(struct dns_doh *doh)
{
	struct doh_conn	*c;
	struct doh_q	*q;
	size_t		 i, free_slot;

	while ((q = doh->wait_head) != NULL) {
		c = NULL;
		free_slot = DOH_MAX_CONNS;
		for (i = 0; i < DOH_MAX_CONNS; i++) {
			if (doh->conns[i] == NULL) {
				if (free_slot == DOH_MAX_CONNS)
					free_slot = i;
			} else if (doh->conns[i]->q == NULL) {
				c = doh->conns[i];
				break;
			}
		}
		if (c == NULL && free_slot == DOH_MAX_CONNS)
			return;		/* every connection busy */
		if ((doh->wait_head = q->next) == NULL)
			doh->wait_tail = NULL;
		q->next = NULL;
		if (c == NULL) {
			if ((c = doh_conn_new(doh)) == NULL) {
				doh_fail(doh, q, "unknown_failure: cannot "
				    "create TLS state");
				continue;
			}
			doh->conns[free_slot] = c;
		}
		doh_dispatch(c, q);
	}
}

void
dns_doh_send(struct dns_doh *doh, const unsigned char *query, int qlen,
    dns_enc_cb cb, void *arg)
{
	struct doh_q	*q;

	q = xcalloc(1, sizeof *q);
	q->doh = doh;
	q->cb = cb;
	q->arg = arg;
	q->len = (size_t)qlen;
	q->body = xmalloc(q->len);
	memcpy(q->body, query, q->len);
	/* RFC 8484 4.1: id 0, so that caches can share replies. */
	if (q->len >= 2)
		q->body[0] = q->body[1] = 0;
	if (doh->wait_tail != NULL)
		doh->wait_tail->next = q;
	else
		doh->wait_head = q;
	doh->wait_tail = q;
	doh_pump(doh);
}

struct dns_doh *
dns_doh_new(struct event_base *base, struct tls_ctx *tls, const char *host,
    int port, const char *path, const struct sockaddr *sa, socklen_t salen,
    long timeout_ms)
{
	struct dns_doh	*doh;

	doh = xcalloc(1, sizeof *doh);
	doh->base = base;
	doh->tls = tls;
	doh->host = xstrdup(host);
	doh->path = xstrdup(path);
	doh->port = port;
	doh->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
	if (getnameinfo(sa, salen, doh->addr, sizeof doh->addr, NULL, 0,
	    NI_NUMERICHOST) != 0)
		snprintf(doh->addr, sizeof doh->addr, "%s", host);
	if (strchr(host, ':') != NULL)
		xasprintf(&doh->hosthdr, port == 443 ? "[%s]" : "[%s]:%d",
		    host, port);
	else
		xasprintf(&doh->hosthdr, port == 443 ? "%s" : "%s:%d", host,
		    port);
	doh->reap_ev = event_new(base, -1, 0, doh_reap_cb, doh);
	return doh;
}

void
dns_doh_free(struct dns_doh *doh)
{
	struct doh_conn	*c;
	struct doh_q	*q;
	size_t		 i;

	if (doh == NULL)
		return;
	for (i = 0; i < DOH_MAX_CONNS; i++) {
		if ((c = doh->conns[i]) == NULL)
			continue;
		doh->conns[i] = NULL;
		c->dead = 1;		/* its close callback kills no more */
		if ((q = c->q) != NULL) {
			c->q = NULL;
			q->cb(q->arg, "interrupted", NULL, 0);
			doh_q_free(q);
		}
		/* Frees a pending request without calling its callback. */
		evhttp_connection_free(c->evcon);
		free(c);
	}
	while ((c = doh->dead) != NULL) {
		doh->dead = c->next;
		evhttp_connection_free(c->evcon);
		free(c);
	}
	while ((q = doh->failed) != NULL) {
		doh->failed = q->next;
		q->cb(q->arg, "interrupted", NULL, 0);
		doh_q_free(q);
	}
	while ((q = doh->wait_head) != NULL) {
		doh->wait_head = q->next;
		q->cb(q->arg, "interrupted", NULL, 0);
		doh_q_free(q);
	}
	event_free(doh->reap_ev);
	free(doh->host);
	free(doh->hosthdr);
	free(doh->path);
	free(doh);
}

unsigned long
dns_doh_connections(const struct dns_doh *doh)
{
	return doh->nconns;
}
