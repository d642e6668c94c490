/*
 * The control-SNI baseline, once per address and port per round (see
 * baseline.h).
 *
 *   baseline_get     finds or starts the address's struct bconn
 *   bconn_connect    non-blocking connect, deadline timeout_ms
 *   bconn_tls        handshake with --control-sni, its own deadline
 *   bconn_get        with --http: GET / (Host: the control SNI)
 *   bconn_end        every waiter is called back from its own zero
 *                    timeout, so a waiter that ends its measure (and
 *                    cancels other waits) never pulls the list from under
 *                    the loop that calls them
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "baseline.h"
#include "hindex.h"
#include "http.h"
#include "measure.h"
#include "tls.h"
#include "util.h"
#include "xmalloc.h"

struct baseline_wait {
	struct bconn		*bc;
	struct baseline_wait	*next;
	struct event		*ev;
	baseline_cb		 cb;
	void			*arg;
};

struct bconn {
	struct baseline		*b;
	char			 ip[46];
	int			 port;
	int			 done;
	int			 connected;	/* TCP worked: a handshake */
	struct baseline_wait	*waits;

	struct rec_tls		 tls;
	struct rec_http		 http;
	int			 has_http;

	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 fd;
	struct event		*ev;		/* connect wait */
	struct event		*timer;		/* handshake deadline */
	struct bufferevent	*bev;
	struct http_get		*get;
	double			 t0;		/* connect started */
	double			 t_tls;		/* handshake started */
	char			*first_failed;	/* see baseline_failed() */
};

struct baseline {
	const struct measure_env *env;
	struct bconn		**conns;	/* one per address:port */
	size_t			  n, cap;
	struct hindex		  index;	/* of conns, by address:port */
};

static void	bconn_end(struct bconn *, char *failure);

struct baseline *
baseline_new(const struct measure_env *env)
{
	struct baseline	*b;

	if (env->control_sni == NULL || *env->control_sni == '\0')
		return NULL;
	b = xcalloc(1, sizeof *b);
	b->env = env;
	return b;
}

/* Sockets, timers and the GET of one address (its entries stay). */
static void
bconn_close(struct bconn *bc)
{
	if (bc->get != NULL) {
		http_get_free(bc->get);
		bc->get = NULL;
	}
	if (bc->ev != NULL) {
		event_free(bc->ev);
		bc->ev = NULL;
	}
	if (bc->timer != NULL) {
		event_free(bc->timer);
		bc->timer = NULL;
	}
	if (bc->bev != NULL) {
		bufferevent_free(bc->bev);
		bc->bev = NULL;
	}
	if (bc->fd != -1) {
		close(bc->fd);
		bc->fd = -1;
	}
}

static void
rec_tls_clear(struct rec_tls *t)
{
	size_t	i;

	free(t->ip);
	free(t->sni);
	free(t->failure);
	free(t->version);
	free(t->cipher);
	free(t->verify_error);
	for (i = 0; i < t->n_chain; i++)
		rec_cert_clear(&t->chain[i]);
	free(t->chain);
}

static void
rec_http_clear(struct rec_http *h)
{
	free(h->url);
	free(h->ip);
	free(h->sni);
	free(h->failure);
	free(h->server);
	free(h->location);
	free(h->content_type);
	free(h->title);
	free(h->blockpage);
	free(h->samples);
}

static uint64_t
bconn_hash(const char *ip, int port)
{
	return hindex_hash(hindex_hash(HINDEX_SEED, ip, strlen(ip)), &port,
	    sizeof port);
}

/* The baseline connection of ip:port, or NULL. */
static struct bconn *
bconn_find(const struct baseline *b, const char *ip, int port)
{
	struct bconn	*bc;
	size_t		 it = 0, pos;

	while (hindex_next(&b->index, bconn_hash(ip, port), &it, &pos)) {
		bc = b->conns[pos];
		if (bc->port == port && strcmp(bc->ip, ip) == 0)
			return bc;
	}
	return NULL;
}

void
baseline_free(struct baseline *b)
{
	struct bconn		*bc;
	struct baseline_wait	*w;
	size_t			 i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++) {
		bc = b->conns[i];
		while ((w = bc->waits) != NULL) {
			bc->waits = w->next;
			event_free(w->ev);
			free(w);
		}
		bconn_close(bc);
		rec_tls_clear(&bc->tls);
		rec_http_clear(&bc->http);
		free(bc->first_failed);
		free(bc);
	}
	free(b->conns);
	hindex_clear(&b->index);
	free(b);
}

static void
wait_cb(evutil_socket_t fd, short what, void *arg)
{
	struct baseline_wait	 *w = arg;
	struct bconn		 *bc = w->bc;
	struct baseline_wait	**wp;
	baseline_cb		  cb = w->cb;
	void			 *cbarg = w->arg;

	(void)fd;
	(void)what;
	for (wp = &bc->waits; *wp != NULL; wp = &(*wp)->next) {
		if (*wp == w) {
			*wp = w->next;
			break;
		}
	}
	event_free(w->ev);
	free(w);
	cb(bc->connected ? &bc->tls : NULL, bc->has_http ? &bc->http : NULL,
	    bc->t0, cbarg);
}

static void
wait_fire(struct baseline_wait *w)
{
	struct timeval	tv = { 0, 0 };

	evtimer_add(w->ev, &tv);
}

void
baseline_cancel(struct baseline_wait *w)
{
	struct baseline_wait	**wp;

	if (w == NULL)
		return;
	for (wp = &w->bc->waits; *wp != NULL; wp = &(*wp)->next) {
		if (*wp == w) {
			*wp = w->next;
			break;
		}
	}
	event_free(w->ev);
	free(w);
}

static void
bconn_end(struct bconn *bc, char *failure)
{
	struct baseline_wait	*w;

	if (bc->done) {
		free(failure);
		return;
	}
	if (failure != NULL) {
		free(bc->tls.failure);
		bc->tls.failure = failure;
	}
	if (bc->tls.t_ms == 0)
		bc->tls.t_ms = util_mono_ms() - (bc->t_tls > 0 ? bc->t_tls :
		    bc->t0);
	bc->done = 1;
	bconn_close(bc);
	for (w = bc->waits; w != NULL; w = w->next)
		wait_fire(w);
}

static void
bconn_get_cb(struct http_get *g, void *arg)
{
	struct bconn	*bc = arg;

	http_get_fill(g, &bc->http);
	bc->http.t0_ms = 0;
	bc->has_http = 1;
	bconn_end(bc, NULL);
}

static void
bconn_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	bconn_end(arg, xstrdup("generic_timeout_error"));
}

static void
bconn_tls_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct bconn			*bc = arg;
	const struct measure_env	*env = bc->b->env;
	struct http_params		 p;
	unsigned long			 errs[16], e;
	size_t				 n = 0;
	int				 saved_errno = errno;
	char				*url, *host;

	if (what & BEV_EVENT_CONNECTED) {
		bc->tls.t_ms = util_mono_ms() - bc->t_tls;
		tls_fill(env->tls, bufferevent_openssl_get_ssl(bev), &bc->tls,
		    env->control_sni, 0, 1, env->keep_certs);
		event_del(bc->timer);
		if (!env->http) {
			bconn_end(bc, NULL);
			return;
		}
		host = http_host_header(env->control_sni, bc->port, 1);
		xasprintf(&url, "https://%s/", host);
		memset(&p, 0, sizeof p);
		p.host = host;
		p.path = "/";
		p.url = url;
		p.ip = bc->ip;
		p.sni = env->control_sni;
		p.max_body = env->http_max_body > 0 ? env->http_max_body :
		    HTTP_DEFAULT_MAX_BODY;
		p.timeout_ms = env->timeout_ms;
		p.origin_ms = bc->t0;
		p.fingerprints = NULL;
		bc->get = http_get_start(env->base, bev, &p, bconn_get_cb, bc);
		free(url);
		free(host);
		return;
	}
	if (!(what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)))
		return;
	while ((e = bufferevent_get_openssl_error(bev)) != 0) {
		if (n < sizeof errs / sizeof errs[0])
			errs[n++] = e;
	}
	bconn_end(bc, tls_handshake_failure(errs, n, saved_errno,
	    (what & BEV_EVENT_EOF) != 0));
}

static void
bconn_tls(struct bconn *bc)
{
	const struct measure_env	*env = bc->b->env;
	struct timeval			 tv;
	SSL				*ssl;
	long				 ms = env->timeout_ms;

	bc->t_tls = util_mono_ms();
	ssl = tls_ssl_new(env->tls, env->control_sni, env->control_sni, 0);
	if (ssl == NULL) {
		bconn_end(bc, xstrdup("unknown_failure: cannot create TLS "
		    "state"));
		return;
	}
	if (env->http)
		SSL_set_alpn_protos(ssl, (const unsigned char *)
		    "\x08http/1.1", 9);
	bc->bev = bufferevent_openssl_socket_new(env->base, bc->fd, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (bc->bev == NULL) {
		SSL_free(ssl);
		bconn_end(bc, xstrdup("unknown_failure: cannot create TLS "
		    "stream"));
		return;
	}
	bc->fd = -1;
	bufferevent_setcb(bc->bev, NULL, NULL, bconn_tls_event_cb, bc);
	bc->timer = evtimer_new(env->base, bconn_timeout_cb, bc);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(bc->timer, &tv);
}

static void
bconn_connect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bconn	*bc = arg;
	socklen_t	 len;
	int		 err = 0;

	event_free(bc->ev);
	bc->ev = NULL;
	if (what & EV_TIMEOUT) {
		bconn_end(bc, xstrdup("generic_timeout_error"));
		return;
	}
	len = sizeof err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		bconn_end(bc, tls_errno_failure(err));
		return;
	}
	bc->connected = 1;
	bconn_tls(bc);
}

static void
bconn_connect(struct bconn *bc)
{
	const struct measure_env	*env = bc->b->env;
	struct sockaddr_in		*sin = (struct sockaddr_in *)&bc->ss;
	struct sockaddr_in6		*sin6 = (struct sockaddr_in6 *)&bc->ss;
	struct timeval			 tv;

	bc->t0 = util_mono_ms();
	if (inet_pton(AF_INET, bc->ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(bc->port);
		bc->sslen = sizeof *sin;
	} else if (inet_pton(AF_INET6, bc->ip, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(bc->port);
		bc->sslen = sizeof *sin6;
	} else {
		bconn_end(bc, xstrdup("unknown_failure: bad address"));
		return;
	}
	bc->fd = socket(bc->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (bc->fd == -1) {
		bconn_end(bc, tls_errno_failure(errno));
		return;
	}
	if (connect(bc->fd, (struct sockaddr *)&bc->ss, bc->sslen) != 0 &&
	    errno != EINPROGRESS) {
		bconn_end(bc, tls_errno_failure(errno));
		return;
	}
	bc->ev = event_new(env->base, bc->fd, EV_WRITE, bconn_connect_cb, bc);
	tv.tv_sec = env->timeout_ms / 1000;
	tv.tv_usec = (env->timeout_ms % 1000) * 1000;
	event_add(bc->ev, &tv);
}

struct baseline_wait *
baseline_get(struct baseline *b, const char *ip, int port, baseline_cb cb,
    void *arg)
{
	struct bconn		*bc;
	struct baseline_wait	*w;

	bc = bconn_find(b, ip, port);
	w = xcalloc(1, sizeof *w);
	w->cb = cb;
	w->arg = arg;
	w->ev = evtimer_new(b->env->base, wait_cb, w);
	if (bc == NULL) {
		bc = xcalloc(1, sizeof *bc);
		bc->b = b;
		bc->fd = -1;
		bc->port = port;
		snprintf(bc->ip, sizeof bc->ip, "%s", ip);
		bc->tls.ip = xstrdup(ip);
		bc->tls.port = port;
		bc->tls.sni = xstrdup(b->env->control_sni);
		if (b->n == b->cap) {
			b->cap = b->cap ? 2 * b->cap : 64;
			b->conns = xreallocarray(b->conns, b->cap,
			    sizeof *b->conns);
		}
		hindex_add(&b->index, bconn_hash(ip, port), b->n);
		b->conns[b->n++] = bc;
		w->bc = bc;
		bc->waits = w;
		/* The connect may end at once: the wait still fires later. */
		bconn_connect(bc);
		return w;
	}
	w->bc = bc;
	w->next = bc->waits;
	bc->waits = w;
	if (bc->done)
		wait_fire(w);
	return w;
}

const char *
baseline_failed(struct baseline *b, const char *ip, int port,
    const char *host)
{
	struct bconn	*bc;

	bc = bconn_find(b, ip, port);
	if (bc == NULL || host == NULL)
		return NULL;
	if (bc->first_failed == NULL) {
		bc->first_failed = xstrdup(host);
		return NULL;
	}
	return strcmp(bc->first_failed, host) != 0 ? bc->first_failed : NULL;
}

/* --- copies ------------------------------------------------------------ */

static char *
dup0(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void
baseline_copy_tls(struct rec_tls *d, const struct rec_tls *s)
{
	size_t	i;

	d->ip = dup0(s->ip);
	d->port = s->port;
	d->source = s->source;
	d->sni = dup0(s->sni);
	d->failure = dup0(s->failure);
	d->version = dup0(s->version);
	d->cipher = dup0(s->cipher);
	d->trusted = s->trusted;
	d->trusted_by_system = s->trusted_by_system;
	d->verify_error = dup0(s->verify_error);
	d->t0_ms = s->t0_ms;
	d->t_ms = s->t_ms;
	for (i = 0; i < s->n_chain; i++)
		rec_cert_copy(rec_tls_add_cert(d), &s->chain[i]);
}

void
baseline_copy_http(struct rec_http *d, const struct rec_http *s)
{
	size_t	i;

	d->url = dup0(s->url);
	d->ip = dup0(s->ip);
	d->sni = dup0(s->sni);
	d->failure = dup0(s->failure);
	d->status = s->status;
	d->server = dup0(s->server);
	d->location = dup0(s->location);
	d->content_type = dup0(s->content_type);
	d->body_length = s->body_length;
	memcpy(d->body_sha256, s->body_sha256, sizeof d->body_sha256);
	d->title = dup0(s->title);
	d->truncated = s->truncated;
	d->blockpage = dup0(s->blockpage);
	for (i = 0; i < s->n_samples; i++)
		*rec_http_add_sample(d) = s->samples[i];
	d->t0_ms = s->t0_ms;
	d->t_ms = s->t_ms;
}
