/*
 * One target, top to bottom:
 *
 *   measure_start
 *     -> DNS: A and AAAA through each probe resolver and the control
 *        resolver, all at once (measure_dns_cb fills one rec_dns each)
 *     -> measure_connect_all: one struct mconn per distinct address
 *          conn_connect     non-blocking connect, deadline timeout_ms
 *          conn_tls         bufferevent_openssl handshake, deadline
 *          conn_tls_event   chain, verification, failure; on reset,
 *                           timeout or EOF one retry with the control SNI
 *                           (its connect and handshake share one deadline)
 *     -> measure_finish: runtime, the record handed to the callback
 *
 * m->pending counts what is outstanding (queries, connections); the step
 * that brings it to zero finishes the measure and touches nothing after.
 * Records are appended to with indices, never pointers: their arrays move
 * as they grow.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "addrlimit.h"
#include "baseline.h"
#include "dns.h"
#include "http.h"
#include "log.h"
#include "measure.h"
#include "tls.h"
#include "util.h"
#include "verdict-http.h"
#include "xmalloc.h"

struct mconn {
	struct measure		*m;
	struct mconn		*next;

	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 ip[46];
	enum rec_role		 source;
	int			 retry;		/* with the control SNI */
	const char		*sni;		/* NULL: none (IP target) */
	const char		*name;		/* the certificate must match */
	size_t			 tcp_idx;	/* NO_IDX: none (retry) */
	size_t			 tls_idx;	/* NO_IDX: not yet */

	int			 fd;
	struct event		*ev;		/* connect wait */
	struct event		*timer;		/* handshake deadline */
	struct bufferevent	*bev;
	double			 t0;
	double			 deadline;	/* retry: connect + handshake */
	int			 slot;		/* holds a per-address slot */
	struct addrlimit_wait	*wait;		/* in line for one */

	int			 port;
	int			 plain;		/* plain HTTP, no TLS */
	int			 baselined;	/* control-SNI baseline asked */
	int			 confirmed;	/* ... and it completed */
	int			 confirm;	/* control SNI again, at once */
	int			 recheck;	/* target SNI again, beside it */
	struct baseline_wait	*bwait;
	struct http_get		*get;
	size_t			 http_idx;
};

#define NO_IDX	((size_t)-1)

struct mquery {
	struct measure		*m;
	struct mquery		*next;
	struct dns_q		*dq;
	size_t			 idx;		/* in rec->dns */
	int			 lingering;	/* answered, more may come */
};

struct measure {
	const struct measure_env *env;
	const struct target	*target;
	struct record		*rec;
	double			 t0;
	size_t			 pending;
	size_t			 lingering;	/* queries listening on */
	struct mconn		*conns;
	struct mquery		*queries;	/* in flight */
	struct event		*later;		/* connect without DNS */
	char			(*given)[46];	/* measure_start_addrs */
	size_t			 n_given;
	measure_cb		 cb;
	measure_idle_cb		 idle_cb;	/* NULL: none */
	int			 idle;		/* idle_cb called */
	void			*arg;
};

static void	conn_connect(struct mconn *);
static void	conn_tls(struct mconn *);
static void	conn_done(struct mconn *);
static struct rec_tls *conn_add_tls(struct mconn *);

static void
measure_finish(struct measure *m)
{
	struct record	*rec = m->rec;

	rec->runtime_ms = util_mono_ms() - m->t0;
	m->rec = NULL;
	m->cb(m, rec, m->arg);
}

/*
 * One outstanding step ended; the last one finishes the measure (once no
 * UDP query is listening for later replies either).
 */
static void
measure_step_done(struct measure *m)
{
	if (--m->pending > 0)
		return;
	if (m->lingering == 0)
		measure_finish(m);
	else if (m->idle_cb != NULL && !m->idle) {
		/* Only UDP queries listen on: the rest of m is done. */
		m->idle = 1;
		m->idle_cb(m, m->arg);
	}
}

static int
addr_seen(const struct measure_addr *v, size_t n, const char *ip)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(v[i].ip, ip) == 0)
			return 1;
	}
	return 0;
}

size_t
measure_addrs(const struct record *rec, struct measure_addr *out, size_t max)
{
	const struct rec_dns	*d;
	const struct rec_answer	*a;
	size_t			 i, j, n = 0, k, per;
	int			 pass;

	for (pass = 0; pass < 2; pass++) {
		per = 0;
		for (i = 0; i < rec->n_dns; i++) {
			d = &rec->dns[i];
			if (d->role != (pass == 0 ? ROLE_PROBE : ROLE_CONTROL))
				continue;
			for (j = 0; j < d->n_answers; j++) {
				a = &d->answers[j];
				if (per >= max)
					break;
				if (a->type == ANSWER_CNAME || a->value == NULL)
					continue;
				if (strcmp(a->value, "0.0.0.0") == 0 ||
				    strcmp(a->value, "::") == 0)
					continue;
				if (strlen(a->value) >= sizeof out[0].ip)
					continue;
				if (addr_seen(out, n, a->value))
					continue;
				k = n++;
				memcpy(out[k].ip, a->value,
				    strlen(a->value) + 1);
				out[k].source = pass == 0 ? ROLE_PROBE :
				    ROLE_CONTROL;
				per++;
			}
		}
	}
	return n;
}

/* --- one connection -------------------------------------------------- */

static void
conn_free(struct mconn *c)
{
	struct mconn	**cp;

	for (cp = &c->m->conns; *cp != NULL; cp = &(*cp)->next) {
		if (*cp == c) {
			*cp = c->next;
			break;
		}
	}
	if (c->wait != NULL)
		addrlimit_cancel(c->wait);
	baseline_cancel(c->bwait);
	http_get_free(c->get);
	if (c->ev != NULL)
		event_free(c->ev);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->bev != NULL)
		bufferevent_free(c->bev);	/* frees the SSL, closes fd */
	if (c->fd != -1)
		close(c->fd);
	if (c->slot)
		addrlimit_release(c->m->env->limit, c->ip);
	free(c);
}

static void
conn_done(struct mconn *c)
{
	struct measure	*m = c->m;

	conn_free(c);
	measure_step_done(m);
}

static void
ms_to_tv(double ms, struct timeval *tv)
{
	long	v = ms < 1 ? 1 : (long)ms;

	tv->tv_sec = v / 1000;
	tv->tv_usec = (v % 1000) * 1000;
}

static struct mconn *
conn_new(struct measure *m, const char *ip, enum rec_role source)
{
	struct mconn		*c;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;

	c = xcalloc(1, sizeof *c);
	c->m = m;
	c->fd = -1;
	c->tcp_idx = c->tls_idx = NO_IDX;
	c->source = source;
	snprintf(c->ip, sizeof c->ip, "%s", ip);
	if (strchr(ip, ':') != NULL) {
		sin6 = (struct sockaddr_in6 *)&c->ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(TARGET_PORT(m->target));
		if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) != 1)
			c->ss.ss_family = AF_UNSPEC;
		c->sslen = sizeof *sin6;
	} else {
		sin = (struct sockaddr_in *)&c->ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(TARGET_PORT(m->target));
		if (inet_pton(AF_INET, ip, &sin->sin_addr) != 1)
			c->ss.ss_family = AF_UNSPEC;
		c->sslen = sizeof *sin;
	}
	if (m->target->is_ip)
		c->name = m->target->host;	/* no SNI, check the IP */
	else
		c->sni = c->name = m->target->host;
	c->port = m->target->port;
	c->next = m->conns;
	m->conns = c;
	m->pending++;
	return c;
}

/* A plain-HTTP connection to port (no TLS, no SNI). */
static void
conn_set_plain(struct mconn *c, int port)
{
	c->plain = 1;
	c->port = port;
	c->sni = NULL;
	if (c->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&c->ss)->sin6_port = htons(port);
	else if (c->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&c->ss)->sin_port = htons(port);
}

/*
 * Did the target's handshake (and download) just come out much slower
 * than the address's control-SNI baseline?  Then the control SNI and the
 * target's SNI are measured once more, side by side, at once, on the same
 * address: a machine or link busy at this moment slows both alike (the
 * target's first handshake may have queued behind hundreds of others),
 * SNI throttling only the target's.
 */
static void
conn_check_slow(struct mconn *c)
{
	struct measure		*m = c->m;
	const struct rec_tls	*t, *b;
	const struct rec_http	*h, *bh;
	struct mconn		*r;
	size_t			 i;
	int			 slow = 0;

	if (c->retry || c->plain || !c->confirmed || c->tls_idx == NO_IDX)
		return;
	t = &m->rec->tls[c->tls_idx];
	for (i = 0; i < m->rec->n_tls && !slow; i++) {
		b = &m->rec->tls[i];
		if (b != t && b->sni != NULL && c->sni != NULL &&
		    strcmp(b->sni, c->sni) != 0 && b->n_chain > 0 &&
		    b->port == t->port && strcmp(b->ip, c->ip) == 0)
			slow = throttle_slower(t->t_ms, b->t_ms);
	}
	if (!slow && c->get != NULL) {
		h = &m->rec->http[c->http_idx];
		for (i = 0; i < m->rec->n_http && !slow; i++) {
			bh = &m->rec->http[i];
			if (bh != h && bh->sni != NULL && c->sni != NULL &&
			    strcmp(bh->sni, c->sni) != 0 && bh->ip != NULL &&
			    strcmp(bh->ip, c->ip) == 0)
				slow = verdict_download_slower(h, bh);
		}
	}
	if (!slow)
		return;
	r = conn_new(m, c->ip, c->source);
	r->retry = r->confirm = 1;
	r->sni = r->name = m->env->control_sni;
	conn_add_tls(r);
	conn_connect(r);
	r = conn_new(m, c->ip, c->source);
	r->retry = r->recheck = 1;
	r->sni = c->sni;
	r->name = c->name;
	conn_add_tls(r);
	conn_connect(r);
}

static void
conn_http_cb(struct http_get *g, void *arg)
{
	struct mconn	*c = arg;

	http_get_fill(g, &c->m->rec->http[c->http_idx]);
	conn_check_slow(c);
	conn_done(c);			/* frees g */
}

/*
 * GET the target's path over c's connection (plain, or TLS with the
 * target's SNI); c ends when the response is read.
 */
static void
conn_http(struct mconn *c)
{
	struct measure	*m = c->m;
	struct http_params p;
	struct rec_http	*h;
	char		*host, *url;

	const char	*name = c->confirm ? m->env->control_sni :
			    m->target->host;
	const char	*path = c->confirm || m->target->path == NULL ? "/" :
			    m->target->path;

	h = record_add_http(m->rec);
	c->http_idx = (size_t)(h - m->rec->http);
	host = http_host_header(name, c->port, !c->plain);
	xasprintf(&url, "%s://%s%s", c->plain ? "http" : "https", host, path);
	memset(&p, 0, sizeof p);
	p.host = host;
	p.path = path;
	p.url = url;
	p.ip = c->ip;
	p.sni = c->sni;
	p.max_body = m->env->http_max_body > 0 ? m->env->http_max_body :
	    HTTP_DEFAULT_MAX_BODY;
	p.timeout_ms = m->env->timeout_ms;
	p.origin_ms = m->t0;
	p.fingerprints = c->confirm ? NULL : m->env->fingerprints;
	c->get = http_get_start(m->env->base, c->bev, &p, conn_http_cb, c);
	free(url);
	free(host);
}

/* Connected to a plain-HTTP port: the GET. */
static void
conn_plain(struct mconn *c)
{
	c->bev = bufferevent_socket_new(c->m->env->base, c->fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		conn_done(c);
		return;
	}
	c->fd = -1;
	conn_http(c);
}

/* The address's control-SNI baseline is in: keep a copy, then connect. */
static void
conn_baseline_cb(const struct rec_tls *tls, const struct rec_http *http,
    double t0, void *arg)
{
	struct mconn	*c = arg;
	struct measure	*m = c->m;
	struct rec_tls	*t;
	struct rec_http	*h;

	c->bwait = NULL;
	if (tls == NULL) {
		conn_connect(c);
		return;
	}
	c->confirmed = tls->n_chain > 0;
	t = record_add_tls(m->rec);
	baseline_copy_tls(t, tls);
	t->source = c->source;
	t->t0_ms = t0 - m->t0 > 0 ? t0 - m->t0 : 0;
	if (http != NULL) {
		h = record_add_http(m->rec);
		baseline_copy_http(h, http);
		h->t0_ms = t->t0_ms + t->t_ms;
	}
	conn_connect(c);
}

static struct rec_tls *
conn_add_tls(struct mconn *c)
{
	struct rec_tls	*tls;

	tls = record_add_tls(c->m->rec);
	c->tls_idx = (size_t)(tls - c->m->rec->tls);
	tls->ip = xstrdup(c->ip);
	tls->port = c->m->target->port;
	tls->source = c->source;
	tls->sni = c->sni != NULL ? xstrdup(c->sni) : NULL;
	return tls;
}

/*
 * A step failed (failure is a heap string, handed over).  Before TLS it
 * is the connect's failure (or, for a retry, its tls entry's); after, the
 * handshake's, retried once with the control SNI when retryable.
 */
static void
conn_fail(struct mconn *c, char *failure, int retryable)
{
	struct measure		 *m = c->m;
	const struct measure_env *env = m->env;
	struct rec_tcp		 *tcp;
	struct rec_tls		 *tls;
	struct mconn		 *r;
	const char		 *cause;

	if (c->tls_idx == NO_IDX) {
		tcp = &m->rec->tcp[c->tcp_idx];
		tcp->failure = failure;
		tcp->t_ms = util_mono_ms() - c->t0;
		conn_done(c);
		return;
	}
	tls = &m->rec->tls[c->tls_idx];
	tls->failure = failure;
	tls->t_ms = util_mono_ms() - c->t0;

	/*
	 * The baseline completed here, and another target's handshake had
	 * failed here since: a residual block may be failing every name now.
	 * The control SNI again, after this failure, tells.
	 */
	if (retryable && !c->retry && c->confirmed && c->sni != NULL &&
	    env->baseline != NULL && (cause = baseline_failed(env->baseline,
	    c->ip, m->target->port, c->sni)) != NULL) {
		tls->residual_of = xstrdup(cause);
		c->confirmed = 0;
	}
	/* No retry where the baseline already completed the control SNI. */
	if (retryable && !c->retry && !c->confirmed && c->sni != NULL &&
	    env->control_sni != NULL && *env->control_sni != '\0' &&
	    strcmp(c->sni, env->control_sni) != 0) {
		r = conn_new(m, c->ip, c->source);
		r->retry = 1;
		r->sni = r->name = env->control_sni;
		conn_add_tls(r);
		conn_done(c);		/* r is pending: m lives on */
		conn_connect(r);
		return;
	}
	conn_done(c);
}

static void
conn_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_fail(arg, xstrdup("generic_timeout_error"), 1);
}

static void
conn_tls_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct mconn		*c = arg;
	struct measure		*m = c->m;
	struct rec_tls		*tls;
	unsigned long		 errs[16], e;
	size_t			 n = 0;
	int			 saved_errno = errno;

	if (what & BEV_EVENT_CONNECTED) {
		tls = &m->rec->tls[c->tls_idx];
		tls->t_ms = util_mono_ms() - c->t0;
		tls_fill(m->env->tls, bufferevent_openssl_get_ssl(bev), tls,
		    c->name, m->target->is_ip, c->retry && !c->recheck,
		    m->env->keep_certs);
		if (m->env->http && (!c->retry || c->confirm || c->recheck)) {
			/* --http: GET over the handshake, its own deadline. */
			event_del(c->timer);
			conn_http(c);
			return;
		}
		conn_check_slow(c);
		conn_done(c);
		return;
	}
	if (!(what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)))
		return;
	while ((e = bufferevent_get_openssl_error(bev)) != 0) {
		if (n < sizeof errs / sizeof errs[0])
			errs[n++] = e;
	}
	conn_fail(c, tls_handshake_failure(errs, n, saved_errno,
	    (what & BEV_EVENT_EOF) != 0), 1);
}

/* Connected: the handshake, with its own deadline. */
static void
conn_tls(struct mconn *c)
{
	struct measure		*m = c->m;
	struct timeval		 tv;
	SSL			*ssl;

	if (c->tls_idx == NO_IDX)
		conn_add_tls(c);
	c->t0 = util_mono_ms();
	m->rec->tls[c->tls_idx].t0_ms = c->t0 - m->t0;
	ssl = tls_ssl_new(m->env->tls, c->sni, c->name, m->target->is_ip);
	if (ssl == NULL) {
		conn_fail(c, xstrdup("unknown_failure: cannot create TLS "
		    "state"), 0);
		return;
	}
	if (m->env->http)	/* the GET speaks HTTP/1.1 */
		SSL_set_alpn_protos(ssl, (const unsigned char *)
		    "\x08http/1.1", 9);
	c->bev = bufferevent_openssl_socket_new(m->env->base, c->fd, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		SSL_free(ssl);
		conn_fail(c, xstrdup("unknown_failure: cannot create TLS "
		    "stream"), 0);
		return;
	}
	c->fd = -1;		/* the bufferevent closes it */
	bufferevent_setcb(c->bev, NULL, NULL, conn_tls_event_cb, c);
	c->timer = evtimer_new(m->env->base, conn_timeout_cb, c);
	ms_to_tv(c->retry ? c->deadline - c->t0 : (double)m->env->timeout_ms,
	    &tv);
	evtimer_add(c->timer, &tv);
}

static void
conn_connect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mconn	*c = arg;
	struct rec_tcp	*tcp;
	socklen_t	 len;
	int		 err = 0;

	if (c->ev != NULL) {
		event_free(c->ev);
		c->ev = NULL;
	}
	if (what & EV_TIMEOUT) {
		conn_fail(c, xstrdup("generic_timeout_error"), 0);
		return;
	}
	len = sizeof err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		conn_fail(c, tls_errno_failure(err), 0);
		return;
	}
	if (c->tcp_idx != NO_IDX) {
		tcp = &c->m->rec->tcp[c->tcp_idx];
		tcp->t_ms = util_mono_ms() - c->t0;
	}
	if (c->plain)
		conn_plain(c);
	else
		conn_tls(c);
}

/* --per-address: a slot was handed over, the connect starts now. */
static void
conn_slot_cb(void *arg)
{
	struct mconn	*c = arg;

	c->wait = NULL;
	c->slot = 1;
	conn_connect(c);
}

/*
 * A non-blocking connect; may fail (and end c) before returning.  With a
 * per-address limit it first waits for a slot (the deadline starts after).
 */
static void
conn_connect(struct mconn *c)
{
	struct measure	*m = c->m;
	struct timeval	 tv;

	/* First the address's --control-sni baseline (once per round). */
	if (m->env->baseline != NULL && !c->baselined && !c->plain &&
	    !c->retry && c->sni != NULL && c->ss.ss_family != AF_UNSPEC &&
	    strcmp(c->sni, m->env->control_sni) != 0) {
		c->baselined = 1;
		c->bwait = baseline_get(m->env->baseline, c->ip, c->port,
		    conn_baseline_cb, c);
		return;
	}
	if (m->env->limit != NULL && !c->slot) {
		if (!addrlimit_take(m->env->limit, c->ip, conn_slot_cb, c,
		    &c->wait))
			return;
		c->slot = 1;
	}
	c->t0 = util_mono_ms();
	c->deadline = c->t0 + (double)m->env->timeout_ms;
	if (c->tcp_idx != NO_IDX)
		m->rec->tcp[c->tcp_idx].t0_ms = c->t0 - m->t0;
	else if (c->tls_idx != NO_IDX)	/* a retry: connect and handshake */
		m->rec->tls[c->tls_idx].t0_ms = c->t0 - m->t0;
	if (c->ss.ss_family == AF_UNSPEC) {
		conn_fail(c, xstrdup("unknown_failure: bad address"), 0);
		return;
	}
	if (m->env->refuse != NULL && m->env->refuse(c->ip,
	    m->env->refuse_arg)) {
		conn_fail(c, xstrdup("control_refused_address"), 0);
		return;
	}
	c->fd = socket(c->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		conn_fail(c, tls_errno_failure(errno), 0);
		return;
	}
	if (connect(c->fd, (struct sockaddr *)&c->ss, c->sslen) == 0) {
		conn_connect_cb(c->fd, EV_WRITE, c);
		return;
	}
	if (errno != EINPROGRESS) {
		conn_fail(c, tls_errno_failure(errno), 0);
		return;
	}
	c->ev = event_new(m->env->base, c->fd, EV_WRITE, conn_connect_cb, c);
	ms_to_tv((double)m->env->timeout_ms, &tv);
	event_add(c->ev, &tv);
}

/* --- the target ------------------------------------------------------ */

static void
measure_connect_all(struct measure *m)
{
	struct measure_addr	 addrs[MEASURE_MAX_GIVEN + 2 * MEASURE_MAX_ADDRS];
	struct measure_addr	 own[2 * MEASURE_MAX_ADDRS];
	struct rec_tcp		*tcp;
	struct mconn		*c;
	size_t			 i, n = 0, n_own;

	for (i = 0; i < m->n_given; i++) {
		if (addr_seen(addrs, n, m->given[i]))
			continue;
		memcpy(addrs[n].ip, m->given[i], sizeof addrs[n].ip);
		addrs[n++].source = ROLE_PROBE;
	}
	if (m->target->is_ip) {
		snprintf(own[0].ip, sizeof own[0].ip, "%s", m->target->host);
		own[0].source = ROLE_PROBE;
		n_own = 1;
	} else
		n_own = measure_addrs(m->rec, own, MEASURE_MAX_ADDRS);
	for (i = 0; i < n_own; i++) {
		if (!addr_seen(addrs, n, own[i].ip))
			addrs[n++] = own[i];
	}

	/* Hold one step so that early failures cannot finish m here. */
	m->pending++;
	for (i = 0; i < n; i++) {
		if (m->target->port > 0) {
			c = conn_new(m, addrs[i].ip, addrs[i].source);
			tcp = record_add_tcp(m->rec);
			c->tcp_idx = (size_t)(tcp - m->rec->tcp);
			tcp->ip = xstrdup(c->ip);
			tcp->port = c->port;
			tcp->source = c->source;
			conn_connect(c);
		}
		if (m->target->http_port > 0) {
			/* http://: plain HTTP too (only, on an explicit port). */
			c = conn_new(m, addrs[i].ip, addrs[i].source);
			conn_set_plain(c, m->target->http_port);
			tcp = record_add_tcp(m->rec);
			c->tcp_idx = (size_t)(tcp - m->rec->tcp);
			tcp->ip = xstrdup(c->ip);
			tcp->port = c->port;
			tcp->source = c->source;
			conn_connect(c);
		}
	}
	measure_step_done(m);
}

static void
measure_dns_cb(const struct dns_reply *rep, void *arg)
{
	struct mquery	*q = arg;
	struct measure	*m = q->m;
	struct rec_dns	*d = &m->rec->dns[q->idx];
	struct mquery	**qp;
	size_t		 i;
	int		 lingered;

	if (!q->lingering) {
		d->t_ms = rep->t_ms;
		/* Sent when it left the resolver's queue, not when asked. */
		d->t0_ms = rep->t0 >= m->t0 ? rep->t0 - m->t0 : 0;
		d->server = rep->server != NULL ? xstrdup(rep->server) : NULL;
		d->transport = dns_rec_transport(rep->transport);
		if (rep->failure != NULL)
			d->failure = xstrdup(rep->failure);
		else
			dns_fill(d, rep->status, rep->abuf, rep->alen);
	}
	/* Every reply, when more than one came to this query. */
	for (i = 0; i < rep->n_replies && d->n_replies < REC_MAX_REPLIES; i++)
		dns_fill_reply(rec_dns_add_reply(d), d->query_type,
		    rep->replies[i].buf, rep->replies[i].len,
		    rep->replies[i].t_ms);
	if (rep->more) {
		/* Answered; later replies come while the target goes on. */
		q->lingering = 1;
		m->lingering++;
	} else {
		if (q->lingering)
			m->lingering--;
		for (qp = &m->queries; *qp != NULL; qp = &(*qp)->next) {
			if (*qp == q) {
				*qp = q->next;
				break;
			}
		}
		lingered = q->lingering;
		free(q);
		if (lingered) {
			/* The last word of a query already counted. */
			if (m->pending == 0 && m->lingering == 0)
				measure_finish(m);
			return;
		}
	}
	if (--m->pending == 0) {
		/* Every answer is in: connect (holds m->pending itself). */
		measure_connect_all(m);
	}
}

static void
measure_later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct measure	*m = arg;

	(void)fd;
	(void)what;
	m->pending--;
	measure_connect_all(m);
}

static void
measure_query(struct measure *m, struct dns_resolver *r, enum rec_role role,
    int qtype)
{
	struct rec_dns	*d;
	struct mquery	*q;

	d = record_add_dns(m->rec);
	d->resolver = xstrdup(dns_resolver_name(r));
	d->role = role;
	d->query_type = qtype;
	q = xcalloc(1, sizeof *q);
	q->m = m;
	q->idx = (size_t)(d - m->rec->dns);
	q->next = m->queries;
	m->queries = q;
	m->pending++;
	q->dq = dns_query(r, m->target->host, qtype, measure_dns_cb, q);
}

struct measure *
measure_start(const struct measure_env *env, const struct target *t,
    measure_cb cb, void *arg)
{
	return measure_start_addrs(env, t, NULL, 0, cb, arg);
}

struct measure *
measure_start_addrs(const struct measure_env *env, const struct target *t,
    const char *const *given, size_t n_given, measure_cb cb, void *arg)
{
	struct measure	*m;
	struct record	*rec;
	struct timeval	 tv = { 0, 0 };
	size_t		 i;

	m = xcalloc(1, sizeof *m);
	m->env = env;
	m->target = t;
	m->cb = cb;
	m->arg = arg;
	m->t0 = util_mono_ms();
	if (n_given > MEASURE_MAX_GIVEN)
		n_given = MEASURE_MAX_GIVEN;
	if (n_given > 0)
		m->given = xcalloc(n_given, sizeof *m->given);
	for (i = 0; i < n_given; i++) {
		if (strlen(given[i]) < sizeof m->given[0])
			memcpy(m->given[m->n_given++], given[i],
			    strlen(given[i]) + 1);
	}

	m->rec = rec = record_new();
	rec->start_ms = util_now_ms();
	rec->tz_offset = util_tz_offset((time_t)(rec->start_ms / 1000));
	rec->target.input = xstrdup(t->input != NULL ? t->input : t->host);
	rec->target.host = xstrdup(t->host);
	rec->target.port = TARGET_PORT(t);
	rec->target.category = t->category != NULL ?
	    xstrdup(t->category) : NULL;

	/* dns_query() always calls back from the loop, never from here. */
	if (!t->is_ip) {
		for (i = 0; i < env->n_resolvers; i++) {
			measure_query(m, env->resolvers[i], ROLE_PROBE,
			    DNS_TYPE_A);
			measure_query(m, env->resolvers[i], ROLE_PROBE,
			    DNS_TYPE_AAAA);
		}
		if (env->control != NULL) {
			measure_query(m, env->control, ROLE_CONTROL,
			    DNS_TYPE_A);
			measure_query(m, env->control, ROLE_CONTROL,
			    DNS_TYPE_AAAA);
		}
	}
	if (m->pending == 0) {
		/* Nothing to resolve: connect from the loop. */
		m->pending = 1;
		m->later = evtimer_new(env->base, measure_later_cb, m);
		if (m->later == NULL || evtimer_add(m->later, &tv) != 0) {
			log_error("cannot schedule a measurement");
			abort();
		}
	}
	return m;
}

void
measure_free(struct measure *m)
{
	if (m == NULL)
		return;
	/* Only finished measures are freed: nothing is in flight. */
	while (m->conns != NULL)
		conn_free(m->conns);
	if (m->later != NULL)
		event_free(m->later);
	record_free(m->rec);
	free(m->given);
	free(m);
}

void
measure_on_idle(struct measure *m, measure_idle_cb cb)
{
	m->idle_cb = cb;
}

void
measure_end_linger(struct measure *m)
{
	struct mquery	*q;
	size_t		 n;

	if (m->pending > 0)
		return;
	/*
	 * Every query left is lingering (the others are gone): each one's
	 * last call, and the last of them finishes (and frees) m.
	 */
	n = m->lingering;
	while (n-- > 0 && (q = m->queries) != NULL) {
		if (dns_linger_end(q->dq) == 0)
			continue;
		/* Not lingering after all: dropped, its answer kept. */
		m->queries = q->next;
		dns_cancel(q->dq);
		free(q);
		if (--m->lingering == 0) {
			measure_finish(m);
			return;
		}
	}
}

void
measure_cancel(struct measure *m)
{
	struct mquery	*q;

	if (m == NULL)
		return;
	while ((q = m->queries) != NULL) {
		m->queries = q->next;
		dns_cancel(q->dq);
		free(q);
	}
	/* Connections: sockets, TLS, timers, per-address slots and waits. */
	measure_free(m);
}
