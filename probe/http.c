/*
 * One HTTP GET over an established connection (see http.h).
 *
 *   http_get_start   writes the request, arms the deadline
 *   http_read_cb     feeds the reader, takes samples, re-arms the idle
 *                    deadline
 *   http_event_cb    EOF (the body may run to the close), reset, error
 *   http_timeout_cb  no byte within timeout_ms (or the total cap)
 *   http_end         hash, title, fingerprints; done_cb from a zero
 *                    timeout, never from inside a bufferevent callback
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "fingerprint.h"
#include "http-parse.h"
#include "http.h"
#include "tls.h"
#include "util.h"
#include "xmalloc.h"

/* A download may go on this many timeouts in all while bytes come. */
#define HTTP_TOTAL_TIMEOUTS	4
#define HTTP_MAX_SAMPLES	REC_MAX_SAMPLES

struct http_get {
	struct event_base	*base;
	struct bufferevent	*bev;
	struct http_parse	*parse;
	struct event		*timer;
	struct event		*tick;		/* samples, every 100 ms */
	struct event		*done_ev;
	BIO			*rbio;		/* TLS: counts bytes read */
	uint64_t		 rx;		/* bytes received so far */
	size_t			 seen;		/* plain: of the input buffer */
	http_get_cb		 cb;
	void			*arg;

	char			*url, *ip, *sni;
	long			 timeout_ms;
	double			 origin;
	double			 t_start;	/* request written */
	double			 t_first;	/* first byte, 0: none yet */
	double			 t_end;
	double			 last_sample;
	const struct fingerprint_set *fps;

	struct rec_sample	*samples;
	size_t			 n_samples;
	char			*failure;
	const char		*blockpage;
	int			 ended;
};

char *
http_host_header(const char *host, int port, int tls)
{
	const char	*lb = "", *rb = "";
	char		*s;

	if (strchr(host, ':') != NULL) {
		lb = "[";
		rb = "]";
	}
	if (port == (tls ? 443 : 80))
		xasprintf(&s, "%s%s%s", lb, host, rb);
	else
		xasprintf(&s, "%s%s%s:%d", lb, host, rb, port);
	return s;
}

static void
http_sample(struct http_get *g, double now)
{
	struct rec_sample	*s;

	if (g->n_samples >= HTTP_MAX_SAMPLES)
		return;
	g->samples = xreallocarray(g->samples, g->n_samples + 1,
	    sizeof *g->samples);
	s = &g->samples[g->n_samples++];
	s->t_ms = now - g->t_start;
	s->bytes = g->rx;
	g->last_sample = now;
}

/* The first bytes of the response: samples from now on. */
static void
http_first_byte(struct http_get *g, double now)
{
	struct timeval	tv = { 0, (long)HTTP_SAMPLE_MS * 1000 };

	g->t_first = now;
	http_sample(g, now);
	event_add(g->tick, &tv);
}

static void
http_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	http_sample(arg, util_mono_ms());
}

/*
 * TLS: the bytes read from the socket, as they come (the body is only
 * seen a whole TLS record at a time, up to 16 KB).
 */
static long
http_bio_cb(BIO *b, int oper, const char *argp, size_t len, int argi,
    long argl, int ret, size_t *processed)
{
	struct http_get	*g = (struct http_get *)BIO_get_callback_arg(b);

	(void)argp;
	(void)len;
	(void)argi;
	(void)argl;
	if (g != NULL && oper == (BIO_CB_READ | BIO_CB_RETURN) && ret > 0 &&
	    processed != NULL && *processed > 0) {
		g->rx += *processed;
		if (g->t_first == 0)
			http_first_byte(g, util_mono_ms());
	}
	return ret;
}

/* Stop hearing from the connection (it stays the caller's). */
static void
http_unhook(struct http_get *g)
{
	bufferevent_disable(g->bev, EV_READ | EV_WRITE);
	bufferevent_setcb(g->bev, NULL, NULL, NULL, NULL);
	if (g->rbio != NULL) {
		BIO_set_callback_ex(g->rbio, NULL);
		BIO_set_callback_arg(g->rbio, NULL);
		g->rbio = NULL;
	}
}

static void
http_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_get	*g = arg;

	(void)fd;
	(void)what;
	g->cb(g, g->arg);
}

/* The GET is over (failure: NULL or a heap string, handed over). */
static void
http_end(struct http_get *g, char *failure)
{
	const struct http_response *r = http_parse_response(g->parse);
	struct fingerprint_http	 fh;
	struct timeval		 tv = { 0, 0 };

	if (g->ended) {
		free(failure);
		return;
	}
	g->ended = 1;
	g->failure = failure;
	g->t_end = util_mono_ms();
	if (g->t_first > 0 && g->n_samples > 0 &&
	    g->samples[g->n_samples - 1].bytes != g->rx)
		http_sample(g, g->t_end);
	http_unhook(g);
	event_del(g->timer);
	event_del(g->tick);
	if (r->head_done && g->fps != NULL) {
		memset(&fh, 0, sizeof fh);
		fh.body = r->body;
		fh.body_len = r->body_len;
		fh.header_names = (const char * const *)r->names;
		fh.header_values = (const char * const *)r->values;
		fh.n_headers = r->n_headers;
		g->blockpage = fingerprint_match_http(g->fps, &fh, NULL);
	}
	event_add(g->done_ev, &tv);
}

static void
http_arm(struct http_get *g)
{
	struct timeval	tv;
	double		ms = (double)g->timeout_ms, left;

	left = g->t_start + (double)g->timeout_ms * HTTP_TOTAL_TIMEOUTS -
	    util_mono_ms();
	if (left < ms)
		ms = left;
	if (ms < 1)
		ms = 1;
	tv.tv_sec = (long)ms / 1000;
	tv.tv_usec = ((long)ms % 1000) * 1000;
	event_add(g->timer, &tv);
}

static char *
http_parse_failure(const struct http_response *r)
{
	char	*s;

	xasprintf(&s, "unknown_failure: malformed HTTP response (%s)",
	    r->error != NULL ? r->error : "?");
	return s;
}

static void
http_read_cb(struct bufferevent *bev, void *arg)
{
	struct http_get		*g = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_iovec	 v[4];
	enum http_parse_rc	 rc = HTTP_PARSE_MORE;
	double			 now = util_mono_ms();
	size_t			 used;
	int			 i, n;

	if (g->rbio == NULL)
		g->rx += evbuffer_get_length(in) - g->seen;
	if (g->t_first == 0 && g->rx > 0)
		http_first_byte(g, now);
	while (rc == HTTP_PARSE_MORE && evbuffer_get_length(in) > 0) {
		n = evbuffer_peek(in, -1, NULL, v, 4);
		if (n > 4)
			n = 4;
		for (i = 0; i < n && rc == HTTP_PARSE_MORE; i++) {
			rc = http_parse_feed(g->parse, v[i].iov_base,
			    v[i].iov_len, &used);
			evbuffer_drain(in, used);
		}
		if (rc != HTTP_PARSE_MORE)
			break;
	}
	g->seen = evbuffer_get_length(in);
	if (rc == HTTP_PARSE_DONE) {
		evbuffer_drain(in, evbuffer_get_length(in));
		http_end(g, NULL);
		return;
	}
	if (rc == HTTP_PARSE_ERROR) {
		http_end(g, http_parse_failure(http_parse_response(g->parse)));
		return;
	}
	http_arm(g);
}

static void
http_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct http_get	*g = arg;
	unsigned long	 errs[16], e;
	size_t		 n = 0;
	int		 saved_errno = errno;

	if (what & BEV_EVENT_EOF) {
		/* Whatever is still buffered first. */
		if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
			http_read_cb(bev, g);
		if (g->ended)
			return;
		if (http_parse_eof(g->parse) == HTTP_PARSE_DONE)
			http_end(g, NULL);
		else
			http_end(g, xstrdup("eof_error"));
		return;
	}
	if (!(what & BEV_EVENT_ERROR))
		return;
	while ((e = bufferevent_get_openssl_error(bev)) != 0) {
		if (n < sizeof errs / sizeof errs[0])
			errs[n++] = e;
	}
	if (n > 0)
		http_end(g, tls_handshake_failure(errs, n, saved_errno, 0));
	else if (saved_errno != 0 && saved_errno != EAGAIN)
		http_end(g, tls_errno_failure(saved_errno));
	else
		http_end(g, xstrdup("eof_error"));
}

static void
http_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	http_end(arg, xstrdup("generic_timeout_error"));
}

struct http_get *
http_get_start(struct event_base *base, struct bufferevent *bev,
    const struct http_params *p, http_get_cb cb, void *arg)
{
	struct http_get	*g;
	SSL		*ssl;

	g = xcalloc(1, sizeof *g);
	g->base = base;
	g->bev = bev;
	g->cb = cb;
	g->arg = arg;
	g->parse = http_parse_new(p->max_body);
	g->url = xstrdup(p->url);
	g->ip = p->ip != NULL ? xstrdup(p->ip) : NULL;
	g->sni = p->sni != NULL ? xstrdup(p->sni) : NULL;
	g->timeout_ms = p->timeout_ms > 0 ? p->timeout_ms : 5000;
	g->origin = p->origin_ms;
	g->fps = p->fingerprints;
	g->timer = evtimer_new(base, http_timeout_cb, g);
	g->tick = event_new(base, -1, EV_PERSIST, http_tick_cb, g);
	g->done_ev = evtimer_new(base, http_done_cb, g);
	g->t_start = util_mono_ms();

	if ((ssl = bufferevent_openssl_get_ssl(bev)) != NULL) {
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
		if ((g->rbio = SSL_get_rbio(ssl)) != NULL) {
			BIO_set_callback_arg(g->rbio, (char *)g);
			BIO_set_callback_ex(g->rbio, http_bio_cb);
		}
	}
	bufferevent_setcb(bev, http_read_cb, NULL, http_event_cb, g);
	if (evbuffer_add_printf(bufferevent_get_output(bev),
	    "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: nightjar/%s\r\n"
	    "Accept: */*\r\nConnection: close\r\n\r\n",
	    p->path != NULL && *p->path != '\0' ? p->path : "/", p->host,
	    PACKAGE_VERSION) < 0 ||
	    bufferevent_enable(bev, EV_READ | EV_WRITE) != 0) {
		http_end(g, xstrdup("unknown_failure: cannot send the "
		    "request"));
		return g;
	}
	/* Data that came with the handshake is read from the loop. */
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		bufferevent_trigger(bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
	http_arm(g);
	return g;
}

void
http_get_fill(const struct http_get *g, struct rec_http *h)
{
	const struct http_response *r = http_parse_response(g->parse);
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0;
	const char		*v;
	size_t			 i;

	h->url = xstrdup(g->url);
	h->ip = g->ip != NULL ? xstrdup(g->ip) : NULL;
	h->sni = g->sni != NULL ? xstrdup(g->sni) : NULL;
	h->failure = g->failure != NULL ? xstrdup(g->failure) : NULL;
	h->t0_ms = g->t_start - g->origin;
	h->t_ms = (g->ended ? g->t_end : util_mono_ms()) - g->t_start;
	if (!r->head_done)
		return;
	h->status = r->status;
	if ((v = http_response_header(r, "server")) != NULL)
		h->server = xstrdup(v);
	if ((v = http_response_header(r, "location")) != NULL)
		h->location = xstrdup(v);
	if ((v = http_response_header(r, "content-type")) != NULL)
		h->content_type = xstrdup(v);
	h->body_length = r->body_len;
	if (r->body_len > 0 && EVP_Digest(r->body, r->body_len, md, &mdlen,
	    EVP_sha256(), NULL) == 1 && mdlen == 32)
		util_hex(md, 32, h->body_sha256);
	h->title = http_title(r->body, r->body_len);
	h->truncated = r->truncated;
	for (i = 0; i < g->n_samples; i++)
		*rec_http_add_sample(h) = g->samples[i];
	if (g->blockpage != NULL)
		h->blockpage = xstrdup(g->blockpage);
}

const char *
http_get_blockpage(const struct http_get *g)
{
	return g->blockpage;
}

void
http_get_free(struct http_get *g)
{
	if (g == NULL)
		return;
	if (!g->ended)
		http_unhook(g);
	if (g->timer != NULL)
		event_free(g->timer);
	if (g->tick != NULL)
		event_free(g->tick);
	if (g->done_ev != NULL)
		event_free(g->done_ev);
	http_parse_free(g->parse);
	free(g->samples);
	free(g->url);
	free(g->ip);
	free(g->sni);
	free(g->failure);
	free(g);
}
