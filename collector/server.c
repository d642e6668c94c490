/*
 * nightjar-collector's server: libevent's evhttp, optionally over TLS
 * (bufferevent_openssl through evhttp_set_bevcb), one store transaction
 * per accepted batch (SQLite or PostgreSQL, collector/store.h), committed
 * before the reply is sent.  While the store works on a batch the request
 * waits in srv->pending; the loop goes on serving others.
 *
 * Connections are counted so that at most max_conns are open at once (the
 * listener is disabled at the cap) and each has a hard lifetime besides
 * evhttp's idle timeout, so a client trickling bytes cannot hold a slot
 * for ever.  evhttp has no hook for a new connection, so the bufferevent
 * made in the bevcb is looked at again from an event activated there:
 * by then evhttp has made the evhttp_connection its callback argument,
 * and a close callback can be set on it.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "batch.h"
#include "geo.h"
#include "dashboard.h"
#include "control.h"
#include "log.h"
#include "mp.h"
#include "server.h"
#include "server-head.h"
#include "store.h"
#include "url.h"
#include "util.h"
#include "xmalloc.h"

#define TOKEN_MAX	512
#define RETRY_AFTER	"5"	/* seconds, when the database cannot store */
#define LIFETIME_FACTOR	10	/* hard lifetime = timeout_s * this */

struct token {
	char	*token;
	size_t	 len;
	char	*probe_id;	/* NULL when the token is not bound */
};

struct tokens {
	struct token	*v;
	size_t		 n;
};

struct conn {
	struct server		*srv;
	struct bufferevent	*bev;
	struct evhttp_connection *evcon;	/* NULL until attached */
	struct event		*lifetime;
	struct server_head_watch *head;		/* the early 413 */
	struct conn		*next;		/* srv->fresh list */
};

/* An upload waiting for the store; req is NULL once libevent freed it. */
struct pending {
	struct server		*srv;
	struct evhttp_request	*req;
	struct evhttp_connection *evcon;
	struct pending		*prev, *next;
};

struct server {
	const struct server_config *cfg;
	struct event_base	*base;
	struct evhttp		*http;
	struct evconnlistener	*listener;
	SSL_CTX			*ssl_ctx;
	struct store		*store;
	struct geo		*geo;		/* NULL without --asn-db etc. */
	struct tokens		*tokens;
	struct dashboard	*dash;		/* --dashboard */
	struct control		*control;	/* --control */
	struct event		*attach;	/* looks at fresh connections */
	struct conn		*fresh;
	struct pending		*pending;
	struct event		*drain;		/* SIGTERM: give up waiting */
	int			 nconns;
	int			 paused;
	size_t			 requests;
};

/* --- tokens ------------------------------------------------------------- */

int
tokens_load(const char *path, struct tokens **out)
{
	struct tokens	*t;
	struct stat	 sb;
	FILE		*f;
	char		 line[2048], *p, *tok, *id, *end;
	size_t		 lineno = 0;
	int		 rv = -1;

	*out = NULL;
	if ((f = fopen(path, "r")) == NULL) {
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	t = xcalloc(1, sizeof *t);
	if (fstat(fileno(f), &sb) == -1) {
		log_error("%s: %s", path, strerror(errno));
		goto out;
	}
	if (sb.st_mode & S_IROTH) {
		log_error("%s: readable by every user: refusing to use it "
		    "(chmod o-r)", path);
		goto out;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			log_error("%s:%zu: line too long", path, lineno);
			goto out;
		}
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		tok = line + strspn(line, " \t\r\n");
		if (*tok == '\0')
			continue;
		end = tok + strcspn(tok, " \t\r\n");
		id = end + strspn(end, " \t\r\n");
		*end = '\0';
		if (*id != '\0') {
			id[strcspn(id, " \t\r\n")] = '\0';
		}
		if (strlen(tok) > TOKEN_MAX) {
			log_error("%s:%zu: token longer than %d bytes", path,
			    lineno, TOKEN_MAX);
			goto out;
		}
		t->v = xreallocarray(t->v, t->n + 1, sizeof *t->v);
		t->v[t->n].token = xstrdup(tok);
		t->v[t->n].len = strlen(tok);
		t->v[t->n].probe_id = *id != '\0' ? xstrdup(id) : NULL;
		t->n++;
	}
	if (ferror(f)) {
		log_error("%s: read error", path);
		goto out;
	}
	if (t->n == 0) {
		log_error("%s: no token", path);
		goto out;
	}
	*out = t;
	t = NULL;
	rv = (int)(*out)->n;
out:
	fclose(f);
	tokens_free(t);
	return rv;
}

int
tokens_check(const struct tokens *t, const char *auth, const char **probe_id)
{
	size_t	i, len;
	int	found = -1;

	*probe_id = NULL;
	if (t == NULL || auth == NULL)
		return -1;
	if (strncasecmp(auth, "Bearer", 6) != 0 || (auth[6] != ' ' &&
	    auth[6] != '\t'))
		return -1;
	auth += 6;
	auth += strspn(auth, " \t");
	len = strcspn(auth, " \t\r\n");
	if (len == 0 || auth[len + strspn(auth + len, " \t\r\n")] != '\0')
		return -1;
	/* Compare with every token, in time independent of the contents. */
	for (i = 0; i < t->n; i++) {
		if (t->v[i].len == len &&
		    CRYPTO_memcmp(t->v[i].token, auth, len) == 0 && found == -1)
			found = (int)i;
	}
	if (found == -1)
		return -1;
	*probe_id = t->v[found].probe_id;
	return 0;
}

void
tokens_free(struct tokens *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		OPENSSL_cleanse(t->v[i].token, t->v[i].len);
		free(t->v[i].token);
		free(t->v[i].probe_id);
	}
	free(t->v);
	free(t);
}

/* --- replies ------------------------------------------------------------ */

static void
reply_json(struct evhttp_request *req, int code, const char *reason,
    const char *json, int close)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	struct evbuffer		*out = evbuffer_new();

	if (out == NULL) {
		log_error("out of memory");
		abort();
	}
	evhttp_add_header(h, "Content-Type", "application/json");
	if (close)
		evhttp_add_header(h, "Connection", "close");
	evbuffer_add(out, json, strlen(json));
	evbuffer_add(out, "\n", 1);
	evhttp_send_reply(req, code, reason, out);
	evbuffer_free(out);
}

static void
reply_error(struct evhttp_request *req, int code, const char *reason,
    const char *msg, int close)
{
	struct buf	b = { NULL, 0, 0 };

	buf_addstr(&b, "{\"error\": ");
	json_quote(&b, msg, strlen(msg));
	buf_addstr(&b, "}");
	buf_add(&b, "", 1);
	log_info("%d %s", code, msg);
	reply_json(req, code, reason, b.data, close);
	buf_free(&b);
}

/* --- requests ----------------------------------------------------------- */

static void
pending_unlink(struct pending *p)
{
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		p->srv->pending = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
}

static void
measurements_answer(struct pending *p, enum store_rc rc, size_t accepted,
    size_t duplicates, char *json, size_t jsonlen)
{
	if (p->req == NULL) {
		log_info("client gone before the database answered (%s)",
		    rc == STORE_OK ? "stored" : "not stored");
		free(p);
		return;
	}
	if (rc != STORE_OK) {
		evhttp_add_header(evhttp_request_get_output_headers(p->req),
		    "Retry-After", RETRY_AFTER);
		reply_error(p->req, 503, "Service Unavailable",
		    rc == STORE_UNAVAILABLE ? "database unavailable, try "
		    "again later" : "database error, try again later", 0);
		free(p);
		return;
	}
	snprintf(json, jsonlen, "{\"accepted\": %zu, \"duplicates\": %zu}",
	    accepted, duplicates);
	log_info("200 accepted %zu duplicates %zu", accepted, duplicates);
	reply_json(p->req, 200, "OK", json, p->srv->drain != NULL);
	free(p);
}

/* Stopping: the last upload waiting for the store is answered. */
static void
drained(struct server *srv)
{
	/* Long enough for the last answers to be written out. */
	struct timeval	flush = { 0, 500 * 1000 };

	if (srv->drain != NULL && srv->pending == NULL) {
		log_info("every waiting upload answered: stopping");
		event_base_loopexit(srv->base, &flush);
	}
}

/* The store's answer to an upload: reply unless the request is gone. */
static void
measurements_stored(enum store_rc rc, size_t accepted, size_t duplicates,
    void *arg)
{
	struct pending	*p = arg;
	struct server	*srv = p->srv;
	char		 json[128];

	pending_unlink(p);
	measurements_answer(p, rc, accepted, duplicates, json, sizeof json);
	drained(srv);
}

/* The uploader's network (never its address) when --asn-db etc. */
static void
origin(struct server *srv, struct evhttp_request *req, struct geo_origin *o)
{
	struct evhttp_connection	*evcon;
	struct evkeyval			*h;
	const struct sockaddr		*sa = NULL;
	const char			*xff = NULL;

	memset(o, 0, sizeof *o);
	if (srv->geo == NULL ||
	    (evcon = evhttp_request_get_connection(req)) == NULL)
		return;
	sa = evhttp_connection_get_addr(evcon);
	/* The last header of several: the hop our proxy appended. */
	TAILQ_FOREACH(h, evhttp_request_get_input_headers(req), next)
		if (strcasecmp(h->key, "X-Forwarded-For") == 0)
			xff = h->value;
	geo_lookup(srv->geo, sa, xff, o);
}

static void
handle_measurements(struct server *srv, struct evhttp_request *req)
{
	struct evbuffer		*in = evhttp_request_get_input_buffer(req);
	struct batch		*b = NULL;
	const char		*bound = NULL, *body, *why;
	struct pending		*p;
	struct geo_origin	 geo;
	char			 err[512];
	size_t			 len, i;

	if (srv->tokens != NULL && tokens_check(srv->tokens,
	    evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization"), &bound) == -1) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer");
		reply_error(req, 401, "Unauthorized",
		    "missing or unknown bearer token", 0);
		return;
	}
	len = evbuffer_get_length(in);
	if (len > srv->cfg->max_body) {
		reply_error(req, 413, "Payload Too Large",
		    "body larger than --max-body", 1);
		return;
	}
	body = len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
	if (collector_parse_batch(body, len, &b, err, sizeof err) == -1) {
		reply_error(req, 400, "Bad Request", err, 0);
		return;
	}
	if (bound != NULL) {
		for (i = 0; i < b->n; i++) {
			if (b->rec[i].probe_id.len != strlen(bound) ||
			    memcmp(b->rec[i].probe_id.ptr, bound,
			    strlen(bound)) != 0) {
				snprintf(err, sizeof err, "record %zu: "
				    "probe_id does not match the token", i);
				reply_error(req, 403, "Forbidden", err, 0);
				goto out;
			}
		}
	}
	if (!store_ready(srv->store, &why)) {
		log_warn("database unavailable: %s", why);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", RETRY_AFTER);
		reply_error(req, 503, "Service Unavailable",
		    "database unavailable, try again later", 0);
		goto out;
	}
	p = xcalloc(1, sizeof *p);
	p->srv = srv;
	p->req = req;
	p->evcon = evhttp_request_get_connection(req);
	if ((p->next = srv->pending) != NULL)
		p->next->prev = p;
	srv->pending = p;
	origin(srv, req, &geo);
	/* May call measurements_stored before it returns. */
	store_insert(srv->store, b, &geo.o, measurements_stored, p);
out:
	batch_free(b);
}

/* The vantage: the upload's tokens; each token (or address) has a budget. */
static void
handle_control(struct server *srv, struct evhttp_request *req)
{
	const char	*auth, *bound, *key;
	char		*peer = NULL;
	ev_uint16_t	 port;

	auth = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (srv->tokens != NULL && tokens_check(srv->tokens, auth,
	    &bound) == -1) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer");
		reply_error(req, 401, "Unauthorized",
		    "missing or unknown bearer token", 0);
		return;
	}
	if (srv->tokens != NULL)
		key = auth;
	else {
		evhttp_connection_get_peer(evhttp_request_get_connection(req),
		    &peer, &port);
		key = peer != NULL ? peer : "";
	}
	control_handle(srv->control, req, key);
}

static void
handle_health(struct server *srv, struct evhttp_request *req)
{
	struct buf	 b = { NULL, 0, 0 };
	const char	*why = NULL;

	if (store_ready(srv->store, &why)) {
		reply_json(req, 200, "OK", "{\"status\": \"ok\", "
		    "\"database\": \"ok\"}", 0);
		return;
	}
	buf_addstr(&b, "{\"status\": \"unavailable\", \"database\": ");
	json_quote(&b, why != NULL ? why : "unavailable",
	    why != NULL ? strlen(why) : 11);
	buf_addstr(&b, "}");
	buf_add(&b, "", 1);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Retry-After", RETRY_AFTER);
	reply_json(req, 503, "Service Unavailable", b.data, 0);
	buf_free(&b);
}

static void
server_request(struct evhttp_request *req, void *arg)
{
	struct server			*srv = arg;
	const struct evhttp_uri		*uri;
	const char			*path = NULL;
	enum evhttp_cmd_type		 cmd;

	srv->requests++;
	cmd = evhttp_request_get_command(req);
	if ((uri = evhttp_request_get_evhttp_uri(req)) != NULL)
		path = evhttp_uri_get_path(uri);
	if (path == NULL)
		path = "";
	/* Marked by the head watch: no byte of its body was read. */
	if (server_head_marked(evhttp_find_header(
	    evhttp_request_get_input_headers(req), SERVER_HEAD_MARK))) {
		reply_error(req, 413, "Payload Too Large",
		    "Content-Length larger than --max-body", 1);
		return;
	}
	if (dashboard_request(srv->dash, req, path))
		return;
	if (strcmp(path, "/v1/health") == 0) {
		if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
			evhttp_add_header(evhttp_request_get_output_headers(req),
			    "Allow", "GET, HEAD");
			reply_error(req, 405, "Method Not Allowed",
			    "use GET", 0);
			return;
		}
		handle_health(srv, req);
		return;
	}
	if (strcmp(path, "/v1/measurements") == 0) {
		if (cmd != EVHTTP_REQ_POST) {
			evhttp_add_header(evhttp_request_get_output_headers(req),
			    "Allow", "POST");
			reply_error(req, 405, "Method Not Allowed",
			    "use POST", 0);
			return;
		}
		handle_measurements(srv, req);
		return;
	}
	if (strcmp(path, "/v1/control") == 0 && srv->control != NULL) {
		handle_control(srv, req);
		return;
	}
	reply_error(req, 404, "Not Found", "no such resource", 0);
}

/* --- connections -------------------------------------------------------- */

static void
server_pause(struct server *srv)
{
	if (srv->listener == NULL || srv->drain != NULL)
		return;
	if (!srv->paused && srv->nconns >= srv->cfg->max_conns) {
		evconnlistener_disable(srv->listener);
		srv->paused = 1;
		log_warn("%d connections open: not accepting more for now",
		    srv->nconns);
	} else if (srv->paused && srv->nconns < srv->cfg->max_conns) {
		evconnlistener_enable(srv->listener);
		srv->paused = 0;
	}
}

static void
conn_free(struct conn *c)
{
	struct server	*srv;

	if (c == NULL)
		return;
	srv = c->srv;
	if (c->lifetime != NULL)
		event_free(c->lifetime);
	server_head_unwatch(c->head, NULL);
	free(c);
	srv->nconns--;
	server_pause(srv);
}

static void
conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct conn	*c = arg;
	struct pending	*p;

	/*
	 * An upload still waiting for the store: libevent frees its request
	 * with the connection, unless it detached it already (the peer went
	 * away), in which case our reply will free it.
	 */
	for (p = c->srv->pending; p != NULL; p = p->next)
		if (p->evcon == evcon && p->req != NULL &&
		    evhttp_request_get_connection(p->req) == evcon)
			p->req = NULL;
	dashboard_conn_closed(c->srv->dash, evcon);
	server_head_unwatch(c->head, evhttp_connection_get_bufferevent(evcon));
	c->head = NULL;
	log_debug("connection closed");
	conn_free(c);
}

static void
conn_expired(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)what;
	log_info("connection open too long: closed");
	/* Calls conn_closed, which frees c. */
	evhttp_connection_free(c->evcon);
}

static void
server_attach(evutil_socket_t fd, short what, void *arg)
{
	struct server	*srv = arg;
	struct conn	*c;
	struct timeval	 tv;
	void		*cbarg = NULL;

	(void)fd;
	(void)what;
	while ((c = srv->fresh) != NULL) {
		srv->fresh = c->next;
		bufferevent_getcb(c->bev, NULL, NULL, NULL, &cbarg);
		if (cbarg == NULL) {
			/* Not an evhttp connection after all: never counted. */
			log_error("connection without evhttp state");
			abort();
		}
		c->evcon = cbarg;
		c->bev = NULL;
		evhttp_connection_set_closecb(c->evcon, conn_closed, c);
		c->lifetime = evtimer_new(srv->base, conn_expired, c);
		tv.tv_sec = (time_t)srv->cfg->timeout_s * LIFETIME_FACTOR;
		tv.tv_usec = 0;
		evtimer_add(c->lifetime, &tv);
	}
}

static struct bufferevent *
server_newconn(struct event_base *base, void *arg)
{
	struct server		*srv = arg;
	struct bufferevent	*bev;
	struct conn		*c;
	SSL			*ssl;

	if (srv->ssl_ctx != NULL) {
		if ((ssl = SSL_new(srv->ssl_ctx)) == NULL) {
			/* Never fall back to plain text on a TLS port. */
			log_error("SSL_new failed");
			abort();
		}
		bev = bufferevent_openssl_socket_new(base, -1, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	} else
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		log_error("cannot make a bufferevent");
		abort();
	}
	c = xcalloc(1, sizeof *c);
	c->srv = srv;
	c->bev = bev;
	c->head = server_head_watch(bev, srv->cfg->max_body);
	c->next = srv->fresh;
	srv->fresh = c;
	srv->nconns++;
	log_debug("connection %d", srv->nconns);
	event_active(srv->attach, EV_TIMEOUT, 1);
	server_pause(srv);
	return bev;
}

/* --- setup -------------------------------------------------------------- */

static SSL_CTX *
server_tls(const char *cert, const char *key)
{
	SSL_CTX		*ctx;
	unsigned long	 e;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		goto bad;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		log_error("%s: cannot load certificate chain", cert);
		goto bad;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		log_error("%s: cannot load private key", key);
		goto bad;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		log_error("%s: key does not match %s", key, cert);
		goto bad;
	}
	return ctx;
bad:
	while ((e = ERR_get_error()) != 0)
		log_error("TLS: %s", ERR_error_string(e, NULL));
	SSL_CTX_free(ctx);
	return NULL;
}

static int
parse_listen(const char *s, struct sockaddr_storage *ss, int *sslen)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)ss;
	char			 host[INET6_ADDRSTRLEN + 1];
	struct url		 u;

	memset(ss, 0, sizeof *ss);
	if (url_hostport(s, strlen(s), URL_PORT_ZERO, &u) != NULL ||
	    u.port < 0 || url_host(&u, host, sizeof host) != 0)
		goto bad;
	if (u.bracketed && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)u.port);
		*sslen = sizeof *s6;
		return 0;
	}
	if (u.bracketed || inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		goto bad;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)u.port);
	*sslen = sizeof *s4;
	return 0;
bad:
	log_error("--listen %s: expected IPV4:PORT or [IPV6]:PORT", s);
	return -1;
}

static void
server_drain_expired(evutil_socket_t fd, short what, void *arg)
{
	struct server	*srv = arg;

	(void)fd;
	(void)what;
	log_warn("stopping before the database answered every upload");
	event_base_loopexit(srv->base, NULL);
}

/*
 * SIGTERM, SIGINT: stop taking connections; uploads the database is
 * working on are answered first (for at most --timeout), so a batch
 * committed is never left unacknowledged.  A second signal stops at once.
 */
static void
server_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server	*srv = arg;
	struct timeval	 tv;
	struct pending	*p;
	size_t		 n = 0;

	(void)what;
	for (p = srv->pending; p != NULL; p = p->next)
		n++;
	if (n == 0 || srv->drain != NULL) {
		log_info("signal %d: stopping", (int)sig);
		event_base_loopexit(srv->base, NULL);
		return;
	}
	log_info("signal %d: stopping once the database has answered %zu "
	    "upload%s", (int)sig, n, n == 1 ? "" : "s");
	if (srv->listener != NULL && !srv->paused)
		evconnlistener_disable(srv->listener);
	srv->paused = 1;
	srv->drain = evtimer_new(srv->base, server_drain_expired, srv);
	tv.tv_sec = srv->cfg->timeout_s;
	tv.tv_usec = 0;
	evtimer_add(srv->drain, &tv);
}

static void
print_listening(struct evconnlistener *l, int tls)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof ss;
	char			 addr[INET6_ADDRSTRLEN];
	int			 port;

	if (getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&ss,
	    &len) == -1)
		return;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof addr);
		port = ntohs(s6->sin6_port);
		printf("listening on %s://[%s]:%d\n", tls ? "https" : "http",
		    addr, port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof addr);
		port = ntohs(s4->sin_port);
		printf("listening on %s://%s:%d\n", tls ? "https" : "http",
		    addr, port);
	}
	fflush(stdout);
}

int
server_run(const struct server_config *cfg)
{
	struct server		 srv;
	struct sockaddr_storage	 ss;
	struct event		*sigterm = NULL, *sigint = NULL;
	int			 sslen, rv = 1;

	memset(&srv, 0, sizeof srv);
	srv.cfg = cfg;
	signal(SIGPIPE, SIG_IGN);
	if (parse_listen(cfg->listen, &ss, &sslen) == -1)
		return 2;
	if (cfg->tokens != NULL && tokens_load(cfg->tokens, &srv.tokens) == -1)
		return 2;
	if (cfg->tls_cert != NULL &&
	    (srv.ssl_ctx = server_tls(cfg->tls_cert, cfg->tls_key)) == NULL) {
		rv = 2;
		goto out;
	}
	if ((srv.base = event_base_new()) == NULL ||
	    (srv.http = evhttp_new(srv.base)) == NULL) {
		log_error("cannot set up libevent");
		goto out;
	}
	if ((srv.store = store_open(cfg->db, srv.base, 0)) == NULL)
		goto out;
	if (cfg->asn_db != NULL || cfg->country_db != NULL ||
	    cfg->ntrusted_proxies > 0) {
		size_t	i;

		if ((srv.geo = geo_open(cfg->asn_db, cfg->country_db)) ==
		    NULL) {
			rv = 2;
			goto out;
		}
		for (i = 0; i < cfg->ntrusted_proxies; i++)
			if (geo_add_proxy(srv.geo, cfg->trusted_proxies[i]) ==
			    -1) {
				rv = 2;
				goto out;
			}
	}
	if (cfg->dashboard)
		srv.dash = dashboard_new(srv.store, srv.tokens,
		    cfg->dashboard_public);
	if (cfg->control != NULL &&
	    (srv.control = control_new(srv.base, cfg->control)) == NULL) {
		rv = 2;
		goto out;
	}
	srv.attach = event_new(srv.base, -1, 0, server_attach, &srv);
	evhttp_set_max_body_size(srv.http, (ev_ssize_t)cfg->max_body);
	evhttp_set_max_headers_size(srv.http, 16384);
	evhttp_set_timeout(srv.http, cfg->timeout_s);
	/*
	 * A Content-Length over max_body never reaches evhttp's own (HTML)
	 * 413: the head watch (server-head.c) marks the request, which is
	 * answered with JSON and the connection closed as soon as the head
	 * is in.  evhttp's limit still refuses a chunked body growing past
	 * it.
	 */
	evhttp_set_allowed_methods(srv.http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(srv.http, server_request, &srv);
	evhttp_set_bevcb(srv.http, server_newconn, &srv);

	srv.listener = evconnlistener_new_bind(srv.base, NULL, NULL,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    128, (struct sockaddr *)&ss, sslen);
	if (srv.listener == NULL) {
		log_error("--listen %s: %s", cfg->listen,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		goto out;
	}
	if (evhttp_bind_listener(srv.http, srv.listener) == NULL) {
		log_error("--listen %s: cannot serve", cfg->listen);
		evconnlistener_free(srv.listener);
		goto out;
	}
	print_listening(srv.listener, srv.ssl_ctx != NULL);

	sigterm = evsignal_new(srv.base, SIGTERM, server_signal, &srv);
	sigint = evsignal_new(srv.base, SIGINT, server_signal, &srv);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);

	if (event_base_dispatch(srv.base) == -1)
		log_error("event loop failed");
	else
		rv = 0;
out:
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
	if (srv.drain != NULL)
		event_free(srv.drain);
	/* Uploads waiting for the database are answered 503 first. */
	store_free(srv.store);
	srv.store = NULL;
	/* Frees the listener and every connection (their close callbacks). */
	srv.listener = NULL;
	if (srv.http != NULL)
		evhttp_free(srv.http);
	while (srv.fresh != NULL) {
		struct conn *c = srv.fresh;

		srv.fresh = c->next;
		server_head_unwatch(c->head, NULL);
		free(c);
	}
	if (srv.attach != NULL)
		event_free(srv.attach);
	control_free(srv.control);
	if (srv.base != NULL)
		event_base_free(srv.base);
	store_free(srv.store);
	dashboard_free(srv.dash);
	geo_free(srv.geo);
	tokens_free(srv.tokens);
	SSL_CTX_free(srv.ssl_ctx);
	return rv;
}
