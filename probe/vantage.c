/*
 * Asking the vantage, top to bottom:
 *
 *   vantage_ask      queue a record; VANTAGE_BATCH of them make a batch
 *   batch_send       msgpack request, POST /v1/control to the first URL;
 *                    one deadline (vantage_step_ms) for the whole batch,
 *                    whichever URLs it tries
 *   batch_answer     200: vantage_read_answer fills each record's control;
 *                    anything else: the next URL, or every record's
 *                    control says why (its failure)
 *   batch_finish     every record called back, the batch freed
 */
#include <arpa/inet.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/ssl.h>

#include "log.h"
#include "mp.h"
#include "tls.h"
#include "url.h"
#include "util.h"
#include "vantage.h"
#include "xmalloc.h"

#define ANSWER_MAX	(64 * 1024 * 1024)


struct vitem {
	struct record	*rec;
	vantage_cb	 cb;
	void		*arg;
};

struct batch {
	struct vantage		*v;
	struct vitem		 items[VANTAGE_BATCH];
	size_t			 n;
	size_t			 url;		/* the one being tried */
	struct evhttp_connection *evcon;
	struct evhttp_request	*req;
	SSL			*ssl;
	struct event		*deadline;
	struct event		*later;		/* finish from the loop */
	double			 t_send;	/* wall clock, ms */
	char			 why[256];	/* the last failure */
	int			 finished;
	struct batch		*next;
};

struct vantage {
	struct event_base	*base;
	struct url_server		*urls;
	size_t			 n_urls;
	char			*token;
	SSL_CTX			*ssl_ctx;
	long			 timeout_ms;
	struct batch		*filling;
	struct batch		*sending;	/* list */
	size_t			 pending;
};

static void	batch_try(struct batch *);

/* --- configuration ---------------------------------------------------------- */

struct vantage *
vantage_new(struct event_base *base, const struct config *cfg, int *bad)
{
	struct vantage		*v;
	const struct strlist	*l;
	const char		*why;
	size_t			 i;

	*bad = 0;
	l = cfg->controls.n > 0 ? &cfg->controls : &cfg->collectors;
	if (l->n == 0)
		return NULL;
	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i], "none") == 0)
			return NULL;
	}
	v = xcalloc(1, sizeof *v);
	v->base = base;
	v->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 5000;
	v->urls = xcalloc(l->n, sizeof *v->urls);
	for (i = 0; i < l->n; i++) {
		if ((why = url_server_parse(l->v[i], &v->urls[i])) != NULL) {
			log_error("--control %s: %s", l->v[i], why);
			goto fail;
		}
		v->n_urls++;
	}
	if (cfg->token_file != NULL &&
	    (v->token = config_read_token(cfg->token_file)) == NULL)
		goto fail;
	if ((v->ssl_ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(v->ssl_ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(v->ssl_ctx, SSL_VERIFY_PEER, NULL);
	if (cfg->collector_ca != NULL) {
		if (SSL_CTX_load_verify_locations(v->ssl_ctx,
		    cfg->collector_ca, NULL) != 1) {
			log_error("--collector-ca %s: cannot load",
			    cfg->collector_ca);
			goto fail;
		}
	} else
		SSL_CTX_set_default_verify_paths(v->ssl_ctx);
	return v;
fail:
	*bad = 1;
	vantage_free(v);
	return NULL;
}

long
vantage_step_ms(const struct vantage *v)
{
	return 3 * v->timeout_ms + 2000;
}

size_t
vantage_pending(const struct vantage *v)
{
	return v != NULL ? v->pending : 0;
}

int
vantage_wants(const struct record *r)
{
	return r->verdict.status != STATUS_OK &&
	    r->verdict.status != STATUS_INTERCEPTED;
}

/* --- the request ------------------------------------------------------------ */

static void
pk_str(msgpack_packer *pk, const char *s)
{
	size_t	n = strlen(s);

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

static int
is_ip(const char *s)
{
	unsigned char	b[16];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

/* The distinct addresses the probe's own resolvers gave. */
static size_t
probe_addrs(const struct record *r, const char **out, size_t max)
{
	const struct rec_answer	*a;
	size_t			 i, j, k, n = 0;

	for (i = 0; i < r->n_dns; i++) {
		if (r->dns[i].role != ROLE_PROBE)
			continue;
		for (j = 0; j < r->dns[i].n_answers && n < max; j++) {
			a = &r->dns[i].answers[j];
			if (a->type == ANSWER_CNAME || a->value == NULL ||
			    !is_ip(a->value))
				continue;
			for (k = 0; k < n; k++) {
				if (strcmp(out[k], a->value) == 0)
					break;
			}
			if (k == n)
				out[n++] = a->value;
		}
	}
	return n;
}

/*
 * What the probe fetched, so the vantage fetches it too: *tls_get when
 * it sent a GET over a handshake with the target's name, and the port of
 * its plain-HTTP GET (0: none), read from that GET's URL.
 */
static int
probe_gets(const struct record *r, int *tls_get)
{
	const struct rec_http	*h;
	struct evhttp_uri	*uri;
	size_t			 i;
	int			 port = 0, p;

	*tls_get = 0;
	for (i = 0; i < r->n_http; i++) {
		h = &r->http[i];
		if (h->sni != NULL) {
			if (r->target.host != NULL &&
			    strcmp(h->sni, r->target.host) == 0)
				*tls_get = 1;
			continue;
		}
		if (port != 0 || h->url == NULL || (uri =
		    evhttp_uri_parse_with_flags(h->url, 0)) == NULL)
			continue;
		p = evhttp_uri_get_port(uri);
		port = p > 0 ? p : 80;
		evhttp_uri_free(uri);
	}
	return port;
}

void
vantage_pack_request(struct record *const *recs, size_t n, long timeout_ms,
    msgpack_sbuffer *sb)
{
	msgpack_packer		 pk;
	const struct record	*r;
	const char		*addrs[VANTAGE_MAX_ADDRS];
	size_t			 i, j, na;
	int			 ip, tls_get, http_port;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	pk_str(&pk, "targets");
	msgpack_pack_array(&pk, n);
	for (i = 0; i < n; i++) {
		r = recs[i];
		ip = r->target.host != NULL && is_ip(r->target.host);
		na = ip ? 0 : probe_addrs(r, addrs, VANTAGE_MAX_ADDRS);
		http_port = probe_gets(r, &tls_get);
		msgpack_pack_map(&pk, 4 + tls_get + (http_port > 0));
		pk_str(&pk, "host");
		pk_str(&pk, r->target.host != NULL ? r->target.host : "");
		pk_str(&pk, "port");
		msgpack_pack_int(&pk, r->target.port);
		pk_str(&pk, "sni");
		if (ip || r->target.host == NULL)
			msgpack_pack_nil(&pk);
		else
			pk_str(&pk, r->target.host);
		pk_str(&pk, "addrs");
		msgpack_pack_array(&pk, na);
		for (j = 0; j < na; j++)
			pk_str(&pk, addrs[j]);
		if (tls_get) {
			pk_str(&pk, "http");
			msgpack_pack_true(&pk);
		}
		if (http_port > 0) {
			pk_str(&pk, "http_port");
			msgpack_pack_int(&pk, http_port);
		}
	}
	pk_str(&pk, "timeout_ms");
	msgpack_pack_long(&pk, timeout_ms);
}

/* --- the answer ------------------------------------------------------------- */

/* A string value (escaped: the vantage is not trusted), else NULL. */
static char *
ostr(const msgpack_object *o, const char *key)
{
	const msgpack_object	*v = mp_get(o, key);

	if (v == NULL || v->type != MSGPACK_OBJECT_STR)
		return NULL;
	return record_escape(v->via.str.ptr, v->via.str.size);
}

static double
onum(const msgpack_object *o, const char *key)
{
	double	d;

	if (mp_get_num(o, key, &d) != 0 || !isfinite(d) || d < 0)
		return 0;
	return d;
}

static int
oint(const msgpack_object *o, const char *key)
{
	int64_t	v;

	if (mp_get_int(o, key, &v) != 0 || v < 0 || v > 65535)
		return 0;
	return (int)v;
}

static int
obool(const msgpack_object *o, const char *key)
{
	const msgpack_object	*v = mp_get(o, key);

	return v != NULL && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean;
}

static enum rec_role
orole(const msgpack_object *o, const char *key)
{
	const msgpack_object	*v = mp_get(o, key);

	return v != NULL && mp_str_eq(v, "probe") ? ROLE_PROBE : ROLE_CONTROL;
}

static const msgpack_object *
oarr(const msgpack_object *o, const char *key, size_t max, size_t *n)
{
	const msgpack_object	*v = mp_get(o, key);

	*n = 0;
	if (v == NULL || v->type != MSGPACK_OBJECT_ARRAY)
		return NULL;
	*n = v->via.array.size < max ? v->via.array.size : max;
	return v->via.array.ptr;
}

static void
read_hash(const msgpack_object *o, const char *key, char out[65])
{
	const msgpack_object	*v = mp_get(o, key);

	out[0] = '\0';
	if (v != NULL && v->type == MSGPACK_OBJECT_STR && v->via.str.size == 64) {
		memcpy(out, v->via.str.ptr, 64);
		out[64] = '\0';
	}
}

static void
read_dns(const msgpack_object *o, struct rec_dns *d)
{
	const msgpack_object	*a;
	const msgpack_object	*v;
	struct rec_answer	*ans;
	size_t			 i, n;
	char			*t;

	d->resolver = ostr(o, "resolver");
	d->server = ostr(o, "server");
	d->role = ROLE_CONTROL;
	d->query_type = (v = mp_get(o, "query_type")) != NULL &&
	    mp_str_eq(v, "AAAA") ? 28 : 1;
	d->failure = ostr(o, "failure");
	d->rcode = ostr(o, "rcode");
	d->t0_ms = onum(o, "t0_ms");
	d->t_ms = onum(o, "t_ms");
	a = oarr(o, "answers", REC_MAX_ANSWERS, &n);
	for (i = 0; i < n; i++) {
		if (a[i].type != MSGPACK_OBJECT_MAP ||
		    (t = ostr(&a[i], "type")) == NULL)
			continue;
		ans = rec_dns_add_answer(d);
		if (strcmp(t, "CNAME") == 0) {
			ans->type = ANSWER_CNAME;
			ans->value = ostr(&a[i], "hostname");
		} else {
			ans->type = strcmp(t, "AAAA") == 0 ? ANSWER_AAAA :
			    ANSWER_A;
			ans->value = ostr(&a[i], "ip");
		}
		ans->ttl = (uint32_t)onum(&a[i], "ttl");
		free(t);
	}
}

static void
read_tcp(const msgpack_object *o, struct rec_tcp *t)
{
	t->ip = ostr(o, "ip");
	t->port = oint(o, "port");
	t->source = orole(o, "source");
	t->failure = ostr(o, "failure");
	t->t0_ms = onum(o, "t0_ms");
	t->t_ms = onum(o, "t_ms");
}

static void
read_tls(const msgpack_object *o, struct rec_tls *t)
{
	const msgpack_object	*c, *s, *der;
	struct rec_cert		*cert;
	size_t			 i, j, n, ns;

	t->ip = ostr(o, "ip");
	t->port = oint(o, "port");
	t->source = orole(o, "source");
	t->sni = ostr(o, "sni");
	t->failure = ostr(o, "failure");
	t->version = ostr(o, "version");
	t->cipher = ostr(o, "cipher");
	t->trusted = obool(o, "trusted");
	t->trusted_by_system = obool(o, "trusted_by_system");
	t->verify_error = ostr(o, "verify_error");
	t->t0_ms = onum(o, "t0_ms");
	t->t_ms = onum(o, "t_ms");
	c = oarr(o, "chain", REC_MAX_CHAIN, &n);
	for (i = 0; i < n; i++) {
		if (c[i].type != MSGPACK_OBJECT_MAP)
			continue;
		cert = rec_tls_add_cert(t);
		cert->subject = ostr(&c[i], "subject");
		cert->issuer = ostr(&c[i], "issuer");
		read_hash(&c[i], "sha256", cert->sha256);
		read_hash(&c[i], "spki_sha256", cert->spki_sha256);
		cert->not_before = ostr(&c[i], "not_before");
		cert->not_after = ostr(&c[i], "not_after");
		s = oarr(&c[i], "san", REC_MAX_SAN, &ns);
		for (j = 0; j < ns; j++) {
			if (s[j].type == MSGPACK_OBJECT_STR)
				rec_cert_add_san(cert, s[j].via.str.ptr,
				    s[j].via.str.size);
		}
		der = mp_get(&c[i], "der");
		if (der != NULL && der->type == MSGPACK_OBJECT_BIN &&
		    der->via.bin.size <= REC_MAX_BIN)
			rec_cert_set_der(cert,
			    (const unsigned char *)der->via.bin.ptr,
			    der->via.bin.size);
	}
}

static void
read_http(const msgpack_object *o, struct rec_http *h)
{
	const msgpack_object	*hd;
	int64_t			 v;

	h->url = ostr(o, "url");
	h->ip = ostr(o, "ip");
	h->sni = ostr(o, "sni");
	h->failure = ostr(o, "failure");
	if (mp_get_int(o, "status", &v) == 0 && v > 0 && v < 1000)
		h->status = (int)v;
	if ((hd = mp_get(o, "headers")) != NULL &&
	    hd->type == MSGPACK_OBJECT_MAP) {
		h->server = ostr(hd, "server");
		h->location = ostr(hd, "location");
		h->content_type = ostr(hd, "content-type");
	}
	if (mp_get_int(o, "body_length", &v) == 0 && v >= 0)
		h->body_length = (uint64_t)v;
	read_hash(o, "body_sha256", h->body_sha256);
	h->title = ostr(o, "title");
	h->truncated = obool(o, "truncated");
	h->t0_ms = onum(o, "t0_ms");
	h->t_ms = onum(o, "t_ms");
}

int
vantage_read_answer(const char *body, size_t len, struct record *const *recs,
    size_t n, const char *url, double t_send, double t_recv, char *err,
    size_t errlen)
{
	msgpack_unpacked	 u;
	const msgpack_object	*res, *x, *a;
	struct rec_control	*c;
	int64_t			 vt, port;
	double			 elapsed, net, skew;
	char			 ts[40], host[256];
	size_t			 i, j, k, used;
	int			 rv = -1;

	msgpack_unpacked_init(&u);
	if (mp_unpack_one(&u, body, len, &used) != 0 ||
	    u.data.type != MSGPACK_OBJECT_MAP) {
		snprintf(err, errlen, "the answer is not a msgpack map");
		goto out;
	}
	res = mp_get(&u.data, "results");
	if (res == NULL || res->type != MSGPACK_OBJECT_ARRAY ||
	    res->via.array.size != n) {
		snprintf(err, errlen, "the answer does not hold %zu results",
		    n);
		goto out;
	}
	if (mp_get_str(&u.data, "time", ts, sizeof ts) != 0 ||
	    util_parse_rfc3339_ms(ts, &vt) != 0) {
		snprintf(err, errlen, "the answer has no time");
		goto out;
	}
	/* Each result must be its target's, in request order. */
	for (i = 0; i < n; i++) {
		x = &res->via.array.ptr[i];
		if (x->type != MSGPACK_OBJECT_MAP ||
		    mp_get_str(x, "host", host, sizeof host) != 0 ||
		    recs[i]->target.host == NULL ||
		    strcasecmp(host, recs[i]->target.host) != 0 ||
		    mp_get_int(x, "port", &port) != 0 ||
		    port != recs[i]->target.port) {
			snprintf(err, errlen, "result %zu is not for its "
			    "target", i);
			goto out;
		}
	}
	/* Probe clock minus vantage clock, with half the network time. */
	elapsed = mp_get_num(&u.data, "elapsed_ms", &elapsed) == 0 &&
	    isfinite(elapsed) && elapsed >= 0 ? elapsed : 0;
	net = t_recv - t_send - elapsed;
	if (net < 0)
		net = 0;
	skew = (t_recv - net / 2) - (double)vt;
	for (i = 0; i < n; i++) {
		x = &res->via.array.ptr[i];
		c = record_control(recs[i]);
		if (c->url == NULL)
			c->url = xstrdup(url);
		c->time_ms = vt;
		c->has_time = 1;
		c->clock_skew_ms = skew;
		c->t_ms = t_recv - t_send;
		a = oarr(x, "dns", REC_MAX_STEPS, &k);
		for (j = 0; j < k; j++)
			if (a[j].type == MSGPACK_OBJECT_MAP)
				read_dns(&a[j], rec_control_add_dns(c));
		a = oarr(x, "tcp", REC_MAX_STEPS, &k);
		for (j = 0; j < k; j++)
			if (a[j].type == MSGPACK_OBJECT_MAP)
				read_tcp(&a[j], rec_control_add_tcp(c));
		a = oarr(x, "tls", REC_MAX_STEPS, &k);
		for (j = 0; j < k; j++)
			if (a[j].type == MSGPACK_OBJECT_MAP)
				read_tls(&a[j], rec_control_add_tls(c));
		a = oarr(x, "http", REC_MAX_STEPS, &k);
		for (j = 0; j < k; j++)
			if (a[j].type == MSGPACK_OBJECT_MAP)
				read_http(&a[j], rec_control_add_http(c));
	}
	rv = 0;
out:
	msgpack_unpacked_destroy(&u);
	return rv;
}

/* --- batches ---------------------------------------------------------------- */

static void
batch_close(struct batch *b)
{
	if (b->evcon != NULL) {
		/* Frees a request still in flight with the connection. */
		evhttp_connection_free(b->evcon);
		b->evcon = NULL;
		b->ssl = NULL;
		b->req = NULL;
	}
}

static void
batch_free(struct batch *b)
{
	batch_close(b);
	if (b->deadline != NULL)
		event_free(b->deadline);
	if (b->later != NULL)
		event_free(b->later);
	free(b);
}

/* Every record called back (a failure for those without an answer). */
static void
batch_finish(struct batch *b)
{
	struct vantage		*v = b->v;
	struct batch		**bp;
	struct rec_control	*c;
	size_t			 i;

	if (b->finished)
		return;
	b->finished = 1;
	batch_close(b);
	for (bp = &v->sending; *bp != NULL; bp = &(*bp)->next) {
		if (*bp == b) {
			*bp = b->next;
			break;
		}
	}
	for (i = 0; i < b->n; i++) {
		c = b->items[i].rec->control;
		if (b->why[0] != '\0' && (c == NULL || !c->has_time)) {
			c = record_control(b->items[i].rec);
			if (c->url == NULL)
				c->url = xstrdup(v->urls[b->url <
				    v->n_urls ? b->url : v->n_urls - 1].url);
			free(c->failure);
			c->failure = xstrdup(b->why);
			c->clock_skew_ms = NAN;
			c->t_ms = util_now_ms() - b->t_send;
		}
	}
	v->pending -= b->n;
	for (i = 0; i < b->n; i++)
		b->items[i].cb(b->items[i].rec, b->items[i].arg);
	batch_free(b);
}

/* Finish from the loop, never from inside an evhttp callback. */
static void
batch_finish_later(struct batch *b)
{
	event_active(b->later, EV_TIMEOUT, 0);
}

static void
batch_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct batch	*b = arg;

	(void)fd;
	(void)what;
	snprintf(b->why, sizeof b->why, "generic_timeout_error");
	batch_finish(b);
}

static void
batch_error_cb(enum evhttp_request_error e, void *arg)
{
	struct batch	*b = arg;
	int		 err = EVUTIL_SOCKET_ERROR();
	char		*f;

	switch (e) {
	case EVREQ_HTTP_TIMEOUT:
		snprintf(b->why, sizeof b->why, "generic_timeout_error");
		break;
	case EVREQ_HTTP_EOF:
		snprintf(b->why, sizeof b->why, "eof_error");
		break;
	case EVREQ_HTTP_BUFFER_ERROR:
		if (err != 0 && err != EAGAIN && err != EINPROGRESS) {
			f = tls_errno_failure(err);
			snprintf(b->why, sizeof b->why, "%s", f);
			free(f);
		} else
			snprintf(b->why, sizeof b->why, "connection_failed");
		break;
	default:
		snprintf(b->why, sizeof b->why, "control_bad_answer");
		break;
	}
	if (b->ssl != NULL && SSL_get_verify_result(b->ssl) != X509_V_OK)
		snprintf(b->why, sizeof b->why, "ssl_invalid_certificate");
}

static void
batch_done_cb(struct evhttp_request *req, void *arg)
{
	struct batch	*b = arg;
	struct vantage	*v = b->v;
	struct evbuffer	*in;
	struct record	*recs[VANTAGE_BATCH];
	const char	*body;
	char		 err[200];
	size_t		 len, i;
	int		 code;

	b->req = NULL;		/* evhttp frees it after this callback */
	if (b->finished)
		return;
	code = req != NULL ? evhttp_request_get_response_code(req) : 0;
	if (code == 200) {
		in = evhttp_request_get_input_buffer(req);
		len = evbuffer_get_length(in);
		body = len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
		for (i = 0; i < b->n; i++)
			recs[i] = b->items[i].rec;
		if (vantage_read_answer(body, len, recs, b->n,
		    v->urls[b->url].url, b->t_send, (double)util_now_ms(), err,
		    sizeof err) == 0) {
			b->why[0] = '\0';
			batch_finish_later(b);
			return;
		}
		log_warn("vantage %s: %s", v->urls[b->url].url, err);
		snprintf(b->why, sizeof b->why, "control_bad_answer");
	} else if (code != 0)
		snprintf(b->why, sizeof b->why, "control_http_%d", code);
	else if (b->why[0] == '\0')
		snprintf(b->why, sizeof b->why, "connection_failed");
	log_info("vantage %s: %s", v->urls[b->url].url, b->why);
	/* The next URL, within the same deadline. */
	if (b->url + 1 < v->n_urls) {
		b->url++;
		event_active(b->later, EV_READ, 0);
		return;
	}
	batch_finish_later(b);
}

static void
batch_next_cb(evutil_socket_t fd, short what, void *arg)
{
	struct batch	*b = arg;

	(void)fd;
	if (what & EV_READ) {
		batch_close(b);
		batch_try(b);
	} else
		batch_finish(b);
}

static void
batch_try(struct batch *b)
{
	struct vantage		*v = b->v;
	const struct url_server	*u = &v->urls[b->url];
	struct bufferevent	*bev;
	struct evkeyvalq	*h;
	struct record		*recs[VANTAGE_BATCH];
	msgpack_sbuffer		 sb;
	char			*auth = NULL, clen[32];
	size_t			 i;

	b->ssl = NULL;
	if (u->tls) {
		if ((b->ssl = SSL_new(v->ssl_ctx)) == NULL)
			goto fail;
		if (is_ip(u->host))
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(b->ssl),
			    u->host);
		else {
			SSL_set_tlsext_host_name(b->ssl, u->host);
			SSL_set1_host(b->ssl, u->host);
		}
		bev = bufferevent_openssl_socket_new(v->base, -1, b->ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE |
		    BEV_OPT_DEFER_CALLBACKS);
		if (bev == NULL) {
			SSL_free(b->ssl);
			b->ssl = NULL;
			goto fail;
		}
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	} else if ((bev = bufferevent_socket_new(v->base, -1,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS)) == NULL)
		goto fail;
	b->evcon = evhttp_connection_base_bufferevent_new(v->base, NULL, bev,
	    u->host, (unsigned short)u->port);
	if (b->evcon == NULL) {
		bufferevent_free(bev);
		b->ssl = NULL;
		goto fail;
	}
	evhttp_connection_set_retries(b->evcon, 0);
	evhttp_connection_set_max_body_size(b->evcon, ANSWER_MAX);
	/* Connecting: one step; the whole batch has its own deadline. */
	evhttp_connection_set_timeout(b->evcon,
	    (int)((vantage_step_ms(v) + 999) / 1000));

	b->req = evhttp_request_new(batch_done_cb, b);
	evhttp_request_set_error_cb(b->req, batch_error_cb);
	h = evhttp_request_get_output_headers(b->req);
	evhttp_add_header(h, "Host", u->hostheader);
	evhttp_add_header(h, "Content-Type", "application/msgpack");
	evhttp_add_header(h, "Accept", "application/msgpack");
	evhttp_add_header(h, "Connection", "close");
	evhttp_add_header(h, "User-Agent", "nightjar/" PACKAGE_VERSION);
	if (v->token != NULL) {
		xasprintf(&auth, "Bearer %s", v->token);
		evhttp_add_header(h, "Authorization", auth);
		free(auth);
	}
	for (i = 0; i < b->n; i++)
		recs[i] = b->items[i].rec;
	msgpack_sbuffer_init(&sb);
	vantage_pack_request(recs, b->n, v->timeout_ms, &sb);
	snprintf(clen, sizeof clen, "%zu", sb.size);
	evhttp_add_header(h, "Content-Length", clen);
	evbuffer_add(evhttp_request_get_output_buffer(b->req), sb.data,
	    sb.size);
	msgpack_sbuffer_destroy(&sb);
	if (evhttp_make_request(b->evcon, b->req, EVHTTP_REQ_POST,
	    "/v1/control") != 0) {
		b->req = NULL;	/* freed by evhttp_make_request */
		goto fail;
	}
	return;
fail:
	snprintf(b->why, sizeof b->why, "unknown_failure: cannot send "
	    "the request");
	batch_finish_later(b);
}

static void
batch_send(struct batch *b)
{
	struct vantage	*v = b->v;
	struct timeval	 tv;
	long		 ms = vantage_step_ms(v);

	b->next = v->sending;
	v->sending = b;
	b->t_send = (double)util_now_ms();
	b->deadline = evtimer_new(v->base, batch_deadline_cb, b);
	b->later = event_new(v->base, -1, 0, batch_next_cb, b);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(b->deadline, &tv);
	log_debug("vantage: asking %s about %zu targets", v->urls[0].url,
	    b->n);
	batch_try(b);
}

void
vantage_ask(struct vantage *v, struct record *rec, vantage_cb cb, void *arg)
{
	struct batch	*b;

	if ((b = v->filling) == NULL) {
		b = v->filling = xcalloc(1, sizeof *b);
		b->v = v;
	}
	b->items[b->n].rec = rec;
	b->items[b->n].cb = cb;
	b->items[b->n].arg = arg;
	b->n++;
	v->pending++;
	if (b->n == VANTAGE_BATCH) {
		v->filling = NULL;
		batch_send(b);
	}
}

void
vantage_flush(struct vantage *v)
{
	struct batch	*b;

	if (v == NULL || (b = v->filling) == NULL)
		return;
	v->filling = NULL;
	batch_send(b);
}

void
vantage_cancel(struct vantage *v)
{
	if (v == NULL)
		return;
	vantage_flush(v);
	while (v->sending != NULL) {
		snprintf(v->sending->why, sizeof v->sending->why,
		    "interrupted");
		batch_finish(v->sending);
	}
}

void
vantage_free(struct vantage *v)
{
	size_t	i;

	if (v == NULL)
		return;
	vantage_cancel(v);
	for (i = 0; i < v->n_urls; i++) {
		url_server_clear(&v->urls[i]);
	}
	free(v->urls);
	if (v->token != NULL) {
		explicit_bzero(v->token, strlen(v->token));
		free(v->token);
	}
	SSL_CTX_free(v->ssl_ctx);
	free(v);
}
