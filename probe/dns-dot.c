/*
 * DNS over TLS (RFC 7858): one TLS connection to the resolver, opened at
 * the first query and kept for every later one.  Queries are written as
 * they come (pipelined), each with its 2-byte length and an id unique
 * among those in flight; replies are matched by id, in any order.
 *
 *   dns_dot_send -> dot_connect (first time) -> dot_event_cb CONNECTED
 *     -> dot_flush writes waiting queries -> dot_read_cb matches replies
 *   a query's own timer fails it alone; a connection that ends fails
 *   every query on it, except that queries on a connection that had
 *   already answered are tried once more on a new one (a server may close
 *   an idle connection just as a query goes out).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "dns-enc.h"
#include "log.h"
#include "tls.h"
#include "xmalloc.h"

struct dot_q {
	struct dns_dot	*dot;
	struct dot_q	*next;
	uint16_t	 id;
	unsigned char	*msg;		/* length prefix + query */
	size_t		 len;
	int		 written;	/* on the current connection */
	int		 retried;
	struct event	*timer;
	dns_enc_cb	 cb;
	void		*arg;
};

struct dns_dot {
	struct event_base	*base;
	struct tls_ctx		*tls;
	char			*host;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	long			 timeout_ms;

	struct bufferevent	*bev;
	int			 connected;
	unsigned long		 answered;	/* on the current connection */
	unsigned long		 conns;
	struct dot_q		*qs;		/* not answered yet */
	uint16_t		 next_id;
	struct event		*fail_ev;	/* connect failed at once */
	char			*fail;
};

static const unsigned char dot_alpn[] = "\003dot";

static void	dot_connect(struct dns_dot *);

static void
dot_q_unlink(struct dot_q *q)
{
	struct dot_q	**qp;

	for (qp = &q->dot->qs; *qp != NULL; qp = &(*qp)->next) {
		if (*qp == q) {
			*qp = q->next;
			break;
		}
	}
	q->next = NULL;
}

/* Call back and free q, already unlinked. */
static void
dot_q_done(struct dot_q *q, const char *failure, const unsigned char *abuf,
    int alen)
{
	event_free(q->timer);
	q->cb(q->arg, failure, abuf, alen);
	free(q->msg);
	free(q);
}

static void
dot_drop_conn(struct dns_dot *dot)
{
	if (dot->bev != NULL)
		bufferevent_free(dot->bev);	/* frees the SSL, closes fd */
	dot->bev = NULL;
	dot->connected = 0;
	dot->answered = 0;
}

/*
 * The connection ended with failure: retry what can be retried on a new
 * one, fail the rest.  Callbacks run after the list is settled.
 */
static void
dot_conn_failed(struct dns_dot *dot, const char *failure)
{
	struct dot_q	*q, *fail = NULL, *keep = NULL, **kt = &keep;
	int		 retry = dot->answered > 0;

	dot_drop_conn(dot);
	while ((q = dot->qs) != NULL) {
		dot->qs = q->next;
		if (retry && !q->retried) {
			q->retried = 1;
			q->written = 0;
			q->next = NULL;
			*kt = q;
			kt = &q->next;
		} else {
			q->next = fail;
			fail = q;
		}
	}
	dot->qs = keep;
	if (dot->qs != NULL)
		dot_connect(dot);
	while ((q = fail) != NULL) {
		fail = q->next;
		dot_q_done(q, failure, NULL, 0);
	}
}

static void
dot_flush(struct dns_dot *dot)
{
	struct dot_q	*q;

	for (q = dot->qs; q != NULL; q = q->next) {
		if (q->written)
			continue;
		bufferevent_write(dot->bev, q->msg, q->len);
		q->written = 1;
	}
}

static void
dot_read_cb(struct bufferevent *bev, void *arg)
{
	struct dns_dot	*dot = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	unsigned char	 hdr[2], *msg;
	struct dot_q	*q;
	size_t		 n;
	uint16_t	 id;

	while (dot->bev == bev && evbuffer_get_length(in) >= 2) {
		evbuffer_copyout(in, hdr, 2);
		n = ((size_t)hdr[0] << 8) | hdr[1];
		if (evbuffer_get_length(in) < 2 + n)
			return;
		evbuffer_drain(in, 2);
		msg = xmalloc(n > 0 ? n : 1);
		evbuffer_remove(in, msg, n);
		if (n >= 2) {
			id = (uint16_t)((msg[0] << 8) | msg[1]);
			for (q = dot->qs; q != NULL; q = q->next) {
				if (q->written && q->id == id)
					break;
			}
			if (q != NULL) {
				dot->answered++;
				dot_q_unlink(q);
				dot_q_done(q, NULL, msg, (int)n);
			}
		}
		free(msg);
	}
}

static void
dot_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct dns_dot	*dot = arg;
	char		*f;
	int		 saved_errno = errno, one = 1;

	if (what & BEV_EVENT_CONNECTED) {
		/* Each query is its own small write: send it now. */
		if (bufferevent_getfd(bev) != -1)
			(void)setsockopt(bufferevent_getfd(bev), IPPROTO_TCP,
			    TCP_NODELAY, &one, sizeof one);
		dot->connected = 1;
		dot_flush(dot);
		return;
	}
	if (!(what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)))
		return;
	f = dns_enc_failure(bev, saved_errno, (what & BEV_EVENT_EOF) != 0,
	    dot->connected);
	if (dot->qs == NULL)
		log_debug("dns: tls://%s: connection closed (%s)", dot->host,
		    f);
	dot_conn_failed(dot, f);
	free(f);
}

static void
dot_fail_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dns_dot	*dot = arg;
	char		*f = dot->fail;

	(void)fd;
	(void)what;
	dot->fail = NULL;
	dot_conn_failed(dot, f);
	free(f);
}

static void
dot_connect(struct dns_dot *dot)
{
	SSL	*ssl;
	int	 err;

	if (dot->bev != NULL || dot->fail != NULL)
		return;
	dot->conns++;
	ssl = dns_enc_ssl(dot->tls, dot->host, dot_alpn, sizeof dot_alpn - 1);
	if (ssl == NULL) {
		dot->fail = xstrdup("unknown_failure: cannot create TLS state");
		goto later;
	}
	dot->bev = bufferevent_openssl_socket_new(dot->base, -1, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (dot->bev == NULL) {
		SSL_free(ssl);
		dot->fail = xstrdup("unknown_failure: cannot create TLS "
		    "stream");
		goto later;
	}
	bufferevent_setcb(dot->bev, dot_read_cb, NULL, dot_event_cb, dot);
	bufferevent_enable(dot->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(dot->bev, (struct sockaddr *)&dot->ss,
	    (int)dot->sslen) != 0) {
		err = errno;
		dot_drop_conn(dot);
		dot->fail = tls_errno_failure(err != 0 ? err : ECONNREFUSED);
		goto later;
	}
	return;
later:
	/* Fail from the loop, never from inside dns_dot_send. */
	event_active(dot->fail_ev, EV_TIMEOUT, 0);
}

static void
dot_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dot_q	*q = arg;

	(void)fd;
	(void)what;
	dot_q_unlink(q);
	dot_q_done(q, "generic_timeout_error", NULL, 0);
}

static uint16_t
dot_new_id(struct dns_dot *dot)
{
	struct dot_q	*q;

	for (;;) {
		dot->next_id++;
		for (q = dot->qs; q != NULL; q = q->next) {
			if (q->id == dot->next_id)
				break;
		}
		if (q == NULL)
			return dot->next_id;
	}
}

void
dns_dot_send(struct dns_dot *dot, const unsigned char *query, int qlen,
    dns_enc_cb cb, void *arg)
{
	struct dot_q	*q, **qp;
	struct timeval	 tv;

	q = xcalloc(1, sizeof *q);
	q->dot = dot;
	q->cb = cb;
	q->arg = arg;
	q->id = dot_new_id(dot);
	q->len = 2 + (size_t)qlen;
	q->msg = xmalloc(q->len);
	q->msg[0] = (unsigned char)(qlen >> 8);
	q->msg[1] = (unsigned char)qlen;
	memcpy(q->msg + 2, query, (size_t)qlen);
	q->msg[2] = (unsigned char)(q->id >> 8);
	q->msg[3] = (unsigned char)q->id;
	q->timer = evtimer_new(dot->base, dot_timeout_cb, q);
	tv.tv_sec = dot->timeout_ms / 1000;
	tv.tv_usec = (dot->timeout_ms % 1000) * 1000;
	evtimer_add(q->timer, &tv);
	/* In order: replies may come in any order, queries go in order. */
	for (qp = &dot->qs; *qp != NULL; qp = &(*qp)->next)
		;
	*qp = q;
	if (dot->bev == NULL)
		dot_connect(dot);
	else if (dot->connected)
		dot_flush(dot);
}

struct dns_dot *
dns_dot_new(struct event_base *base, struct tls_ctx *tls, const char *host,
    const struct sockaddr *sa, socklen_t salen, long timeout_ms)
{
	struct dns_dot	*dot;

	dot = xcalloc(1, sizeof *dot);
	dot->base = base;
	dot->tls = tls;
	dot->host = xstrdup(host);
	memcpy(&dot->ss, sa, salen);
	dot->sslen = salen;
	dot->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
	dot->next_id = (uint16_t)arc4random();
	dot->fail_ev = event_new(base, -1, 0, dot_fail_cb, dot);
	return dot;
}

void
dns_dot_free(struct dns_dot *dot)
{
	struct dot_q	*q;

	if (dot == NULL)
		return;
	dot_drop_conn(dot);
	while ((q = dot->qs) != NULL) {
		dot->qs = q->next;
		dot_q_done(q, "interrupted", NULL, 0);
	}
	event_free(dot->fail_ev);
	free(dot->fail);
	free(dot->host);
	free(dot);
}

unsigned long
dns_dot_connections(const struct dns_dot *dot)
{
	return dot->conns;
}
