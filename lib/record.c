/*
 * One measurement: building a record and writing it as one msgpack map
 * (docs/record.md).  The vocabularies live here once; the packer clamps
 * and flags what does not fit the limits of record.h, so that what it
 * writes always passes record_validate().
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "xmalloc.h"

const char *const rec_status_names[] = {
	[STATUS_OK] = "ok",
	[STATUS_BLOCKED] = "blocked",
	[STATUS_INTERCEPTED] = "intercepted",
	[STATUS_ANOMALY] = "anomaly",
	[STATUS_DOWN] = "down",
	[STATUS_ERROR] = "error",
	[STATUS_THROTTLED] = "throttled",
	[STATUS_COUNT] = NULL
};

/* Indexed by method - 1: METHOD_NONE has no name (nil). */
const char *const rec_method_names[] = {
	[METHOD_DNS_NXDOMAIN - 1] = "dns_nxdomain",
	[METHOD_DNS_BOGON - 1] = "dns_bogon",
	[METHOD_DNS_INCONSISTENT - 1] = "dns_inconsistent",
	[METHOD_DNS_TIMEOUT - 1] = "dns_timeout",
	[METHOD_DNS_REFUSED - 1] = "dns_refused",
	[METHOD_DNS_SERVFAIL - 1] = "dns_servfail",
	[METHOD_TCP_REFUSED - 1] = "tcp_refused",
	[METHOD_TCP_RESET - 1] = "tcp_reset",
	[METHOD_TCP_TIMEOUT - 1] = "tcp_timeout",
	[METHOD_TLS_RESET - 1] = "tls_reset",
	[METHOD_TLS_TIMEOUT - 1] = "tls_timeout",
	[METHOD_TLS_EOF - 1] = "tls_eof",
	[METHOD_TLS_SNI - 1] = "tls_sni",
	[METHOD_TLS_MITM - 1] = "tls_mitm",
	[METHOD_DNS_INJECTION - 1] = "dns_injection",
	[METHOD_DNS_BLOCKPAGE - 1] = "dns_blockpage",
	[METHOD_TLS_THROTTLED - 1] = "tls_throttled",
	[METHOD_HTTP_BLOCKPAGE - 1] = "http_blockpage",
	[METHOD_HTTP_RESET - 1] = "http_reset",
	[METHOD_HTTP_TIMEOUT - 1] = "http_timeout",
	[METHOD_HTTP_THROTTLED - 1] = "http_throttled",
	[METHOD_COUNT - 1] = NULL
};

const char *const rec_role_names[] = {
	[ROLE_PROBE] = "probe",
	[ROLE_CONTROL] = "control",
	[ROLE_COUNT] = NULL
};

const char *const rec_transport_names[] = {
	[TRANSPORT_UDP] = "udp",
	[TRANSPORT_TCP] = "tcp",
	[TRANSPORT_DOH] = "doh",
	[TRANSPORT_DOT] = "dot",
	[TRANSPORT_COUNT] = NULL
};

const char *
verdict_status_name(enum verdict_status s)
{
	if ((size_t)s >= STATUS_COUNT)
		return "error";
	return rec_status_names[s];
}

const char *
verdict_method_name(enum verdict_method m)
{
	if (m == METHOD_NONE || (size_t)m >= METHOD_COUNT)
		return NULL;
	return rec_method_names[m - 1];
}

const char *
rec_role_name(enum rec_role r)
{
	return r == ROLE_CONTROL ? "control" : "probe";
}

const char *
rec_transport_name(enum rec_transport t)
{
	if ((size_t)t >= TRANSPORT_COUNT)
		return "udp";
	return rec_transport_names[t];
}

static int
lookup(const char *const *names, const char *s, size_t len)
{
	int	i;

	if (s == NULL)
		return -1;
	for (i = 0; names[i] != NULL; i++) {
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return i;
	}
	return -1;
}

int
verdict_status_lookup(const char *s, size_t len)
{
	return lookup(rec_status_names, s, len);
}

int
verdict_method_lookup(const char *s, size_t len)
{
	int	i = lookup(rec_method_names, s, len);

	return i < 0 ? -1 : i + 1;
}

int
verdict_status_parse(const char *s, enum verdict_status *out)
{
	int	i;

	if (s == NULL || (i = verdict_status_lookup(s, strlen(s))) < 0)
		return -1;
	*out = (enum verdict_status)i;
	return 0;
}

int
verdict_method_parse(const char *s, enum verdict_method *out)
{
	int	i;

	if (s == NULL || (i = verdict_method_lookup(s, strlen(s))) < 0)
		return -1;
	*out = (enum verdict_method)i;
	return 0;
}

/* --- lifetime ------------------------------------------------------------- */

struct record *
record_new(void)
{
	struct record	*r;

	r = xcalloc(1, sizeof *r);
	util_uuid4(r->id);
	return r;
}

static void
answers_free(struct rec_answer *a, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(a[i].value);
	free(a);
}

static char *
rec_dup0(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void
rec_cert_copy(struct rec_cert *d, const struct rec_cert *s)
{
	size_t	i;

	d->subject = rec_dup0(s->subject);
	d->issuer = rec_dup0(s->issuer);
	memcpy(d->sha256, s->sha256, sizeof d->sha256);
	memcpy(d->spki_sha256, s->spki_sha256, sizeof d->spki_sha256);
	d->not_before = rec_dup0(s->not_before);
	d->not_after = rec_dup0(s->not_after);
	if (s->n_san > 0) {
		d->san = xcalloc(s->n_san, sizeof *d->san);
		for (i = 0; i < s->n_san; i++)
			d->san[i] = rec_dup0(s->san[i]);
		d->n_san = s->n_san;
	}
	d->san_truncated = s->san_truncated;
	if (s->der != NULL)
		rec_cert_set_der(d, s->der, s->der_len);
}

void
rec_cert_clear(struct rec_cert *c)
{
	size_t	i;

	if (c == NULL)
		return;
	free(c->subject);
	free(c->issuer);
	free(c->not_before);
	free(c->not_after);
	for (i = 0; i < c->n_san; i++)
		free(c->san[i]);
	free(c->san);
	free(c->der);
	memset(c, 0, sizeof *c);
}

static void
dns_free(struct rec_dns *d, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		free(d[i].resolver);
		free(d[i].server);
		free(d[i].failure);
		free(d[i].rcode);
		answers_free(d[i].answers, d[i].n_answers);
		for (j = 0; j < d[i].n_replies; j++) {
			free(d[i].replies[j].rcode);
			answers_free(d[i].replies[j].answers,
			    d[i].replies[j].n_answers);
		}
		free(d[i].replies);
	}
	free(d);
}

static void
tcp_free(struct rec_tcp *t, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(t[i].ip);
		free(t[i].failure);
	}
	free(t);
}

static void
tls_free(struct rec_tls *t, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		free(t[i].ip);
		free(t[i].sni);
		free(t[i].failure);
		free(t[i].version);
		free(t[i].cipher);
		free(t[i].verify_error);
		free(t[i].residual_of);
		for (j = 0; j < t[i].n_chain; j++)
			rec_cert_clear(&t[i].chain[j]);
		free(t[i].chain);
	}
	free(t);
}

static void
http_free(struct rec_http *h, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(h[i].url);
		free(h[i].ip);
		free(h[i].sni);
		free(h[i].failure);
		free(h[i].server);
		free(h[i].location);
		free(h[i].content_type);
		free(h[i].title);
		free(h[i].blockpage);
		free(h[i].samples);
	}
	free(h);
}

static void
control_free(struct rec_control *c)
{
	if (c == NULL)
		return;
	free(c->url);
	free(c->failure);
	dns_free(c->dns, c->n_dns);
	tcp_free(c->tcp, c->n_tcp);
	tls_free(c->tls, c->n_tls);
	http_free(c->http, c->n_http);
	free(c);
}

void
record_free(struct record *r)
{
	if (r == NULL)
		return;
	free(r->probe_id);
	free(r->campaign);
	free(r->target.input);
	free(r->target.host);
	free(r->target.category);
	dns_free(r->dns, r->n_dns);
	tcp_free(r->tcp, r->n_tcp);
	tls_free(r->tls, r->n_tls);
	http_free(r->http, r->n_http);
	control_free(r->control);
	free(r->verdict.interception_ca);
	free(r->verdict.blockpage);
	free(r->verdict.detail);
	free(r);
}

/* Grow *v (of *n elements of size sz) by one zeroed element. */
static void *
grow(void *vp, size_t *n, size_t sz)
{
	void	**v = vp;
	char	 *p;

	*v = xreallocarray(*v, *n + 1, sz);
	p = (char *)*v + *n * sz;
	memset(p, 0, sz);
	(*n)++;
	return p;
}

struct rec_dns *
record_add_dns(struct record *r)
{
	return grow(&r->dns, &r->n_dns, sizeof *r->dns);
}

struct rec_tcp *
record_add_tcp(struct record *r)
{
	return grow(&r->tcp, &r->n_tcp, sizeof *r->tcp);
}

struct rec_tls *
record_add_tls(struct record *r)
{
	return grow(&r->tls, &r->n_tls, sizeof *r->tls);
}

struct rec_http *
record_add_http(struct record *r)
{
	return grow(&r->http, &r->n_http, sizeof *r->http);
}

struct rec_answer *
rec_dns_add_answer(struct rec_dns *d)
{
	return grow(&d->answers, &d->n_answers, sizeof *d->answers);
}

struct rec_reply *
rec_dns_add_reply(struct rec_dns *d)
{
	return grow(&d->replies, &d->n_replies, sizeof *d->replies);
}

struct rec_answer *
rec_reply_add_answer(struct rec_reply *rp)
{
	return grow(&rp->answers, &rp->n_answers, sizeof *rp->answers);
}

struct rec_cert *
rec_tls_add_cert(struct rec_tls *t)
{
	return grow(&t->chain, &t->n_chain, sizeof *t->chain);
}

void
rec_cert_add_san(struct rec_cert *c, const char *s, size_t len)
{
	if (c->n_san >= REC_MAX_SAN) {
		c->san_truncated = 1;
		return;
	}
	c->san = xreallocarray(c->san, c->n_san + 1, sizeof *c->san);
	c->san[c->n_san++] = record_escape(s, len);
}

void
rec_cert_set_der(struct rec_cert *c, const unsigned char *der, size_t len)
{
	free(c->der);
	c->der = xmalloc(len > 0 ? len : 1);
	if (len > 0)
		memcpy(c->der, der, len);
	c->der_len = len;
}

struct rec_sample *
rec_http_add_sample(struct rec_http *h)
{
	return grow(&h->samples, &h->n_samples, sizeof *h->samples);
}

struct rec_control *
record_control(struct record *r)
{
	if (r->control == NULL)
		r->control = xcalloc(1, sizeof *r->control);
	return r->control;
}

struct rec_dns *
rec_control_add_dns(struct rec_control *c)
{
	return grow(&c->dns, &c->n_dns, sizeof *c->dns);
}

struct rec_tcp *
rec_control_add_tcp(struct rec_control *c)
{
	return grow(&c->tcp, &c->n_tcp, sizeof *c->tcp);
}

struct rec_tls *
rec_control_add_tls(struct rec_control *c)
{
	return grow(&c->tls, &c->n_tls, sizeof *c->tls);
}

struct rec_http *
rec_control_add_http(struct rec_control *c)
{
	return grow(&c->http, &c->n_http, sizeof *c->http);
}

char *
record_escape(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*out, *o;
	size_t			 i;

	out = o = xreallocarray(NULL, len + 1, 4);
	for (i = 0; i < len; i++) {
		if (p[i] == '\\') {
			*o++ = '\\';
			*o++ = '\\';
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			snprintf(o, 5, "\\x%02x", p[i]);
			o += 4;
		} else
			*o++ = (char)p[i];
	}
	*o = '\0';
	return out;
}

/* --- packing -------------------------------------------------------------- */

/* 1 when s does not fit a string of the record. */
static int
over(const char *s)
{
	return s != NULL && strlen(s) > REC_MAX_STR;
}

static void
pack_key(msgpack_packer *pk, const char *k)
{
	size_t	n = strlen(k);

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, k, n);
}

static void
pack_bool(msgpack_packer *pk, int v)
{
	if (v)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
}

/* The flag beside a value that was cut: "<key>_truncated": true. */
static void
pack_flag(msgpack_packer *pk, const char *k)
{
	char	name[64];

	snprintf(name, sizeof name, "%s_truncated", k);
	pack_key(pk, name);
	pack_bool(pk, 1);
}

/* A string clamped to REC_MAX_STR bytes, cut at a UTF-8 boundary. */
static void
pack_str(msgpack_packer *pk, const char *s)
{
	size_t	n;

	if (s == NULL) {
		msgpack_pack_nil(pk);
		return;
	}
	n = strlen(s);
	if (n > REC_MAX_STR) {
		n = REC_MAX_STR;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

/*
 * "key": v, then "key_truncated": true when v was cut.  Callers count
 * the flag in their map size with over(v).
 */
static void
pack_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
	pack_key(pk, k);
	pack_str(pk, v);
	if (over(v))
		pack_flag(pk, k);
}

static void
pack_kv_int(msgpack_packer *pk, const char *k, int64_t v)
{
	pack_key(pk, k);
	msgpack_pack_int64(pk, v);
}

/* A duration or a time offset: finite and never negative. */
static void
pack_kv_ms(msgpack_packer *pk, const char *k, double v)
{
	pack_key(pk, k);
	if (!isfinite(v) || v < 0)
		v = 0;
	msgpack_pack_double(pk, v);
}

static void
pack_kv_bool(msgpack_packer *pk, const char *k, int v)
{
	pack_key(pk, k);
	pack_bool(pk, v);
}

/* Array header clamped to max; 1 when entries were left out. */
static int
pack_array(msgpack_packer *pk, const char *k, size_t n, size_t max)
{
	pack_key(pk, k);
	msgpack_pack_array(pk, n > max ? max : n);
	return n > max;
}

static size_t
clamp(size_t n, size_t max)
{
	return n > max ? max : n;
}

static void
pack_answers(msgpack_packer *pk, const struct rec_answer *a, size_t n)
{
	const char	*v;
	size_t		 i;

	msgpack_pack_array(pk, clamp(n, REC_MAX_ANSWERS));
	for (i = 0; i < clamp(n, REC_MAX_ANSWERS); i++) {
		v = a[i].value != NULL ? a[i].value : "";
		switch (a[i].type) {
		case ANSWER_CNAME:
			/* The root name is ".", never an empty name. */
			if (*v == '\0')
				v = ".";
			msgpack_pack_map(pk, 2 + over(v));
			pack_kv_str(pk, "type", "CNAME");
			pack_kv_str(pk, "hostname", v);
			break;
		default:
			msgpack_pack_map(pk, 3 + over(v));
			pack_kv_str(pk, "type", a[i].type == ANSWER_AAAA ?
			    "AAAA" : "A");
			pack_kv_str(pk, "ip", v);
			pack_kv_int(pk, "ttl", a[i].ttl);
			break;
		}
	}
}

static void
pack_dns(msgpack_packer *pk, const struct rec_dns *d)
{
	const struct rec_reply	*rp;
	char			 qt[16];
	size_t			 i, n;
	const char		*resolver;
	int			 replies = d->n_replies > 1;

	/* No resolver named: the system's. */
	resolver = d->resolver != NULL && *d->resolver != '\0' ?
	    d->resolver : "system";
	n = 10 + replies + (d->n_answers > REC_MAX_ANSWERS) +
	    (replies && d->n_replies > REC_MAX_REPLIES) + over(resolver) +
	    over(d->server) + over(d->failure) + over(d->rcode);
	msgpack_pack_map(pk, n);
	pack_kv_str(pk, "resolver", resolver);
	pack_kv_str(pk, "server", d->server);
	pack_kv_str(pk, "transport", rec_transport_name(d->transport));
	pack_kv_str(pk, "role", rec_role_name(d->role));
	if (d->query_type == 1 || d->query_type <= 0 || d->query_type > 65535)
		strcpy(qt, "A");
	else if (d->query_type == 28)
		strcpy(qt, "AAAA");
	else
		snprintf(qt, sizeof qt, "TYPE%d", d->query_type);
	pack_kv_str(pk, "query_type", qt);
	pack_kv_str(pk, "failure", d->failure);
	pack_kv_str(pk, "rcode", d->rcode);
	pack_key(pk, "answers");
	pack_answers(pk, d->answers, d->n_answers);
	if (d->n_answers > REC_MAX_ANSWERS)
		pack_flag(pk, "answers");
	if (replies) {
		pack_array(pk, "replies", d->n_replies, REC_MAX_REPLIES);
		for (i = 0; i < clamp(d->n_replies, REC_MAX_REPLIES); i++) {
			rp = &d->replies[i];
			msgpack_pack_map(pk, 3 + over(rp->rcode) +
			    (rp->n_answers > REC_MAX_ANSWERS));
			pack_kv_ms(pk, "t_ms", rp->t_ms);
			pack_kv_str(pk, "rcode", rp->rcode);
			pack_key(pk, "answers");
			pack_answers(pk, rp->answers, rp->n_answers);
			if (rp->n_answers > REC_MAX_ANSWERS)
				pack_flag(pk, "answers");
		}
		if (d->n_replies > REC_MAX_REPLIES)
			pack_flag(pk, "replies");
	}
	pack_kv_ms(pk, "t0_ms", d->t0_ms);
	pack_kv_ms(pk, "t_ms", d->t_ms);
}

static int
port(int p)
{
	return p >= 0 && p <= 65535 ? p : 0;
}

static void
pack_tcp(msgpack_packer *pk, const struct rec_tcp *t)
{
	msgpack_pack_map(pk, 6 + over(t->ip) + over(t->failure));
	pack_kv_str(pk, "ip", t->ip != NULL ? t->ip : "");
	pack_kv_int(pk, "port", port(t->port));
	pack_kv_str(pk, "source", rec_role_name(t->source));
	pack_kv_str(pk, "failure", t->failure);
	pack_kv_ms(pk, "t0_ms", t->t0_ms);
	pack_kv_ms(pk, "t_ms", t->t_ms);
}

static int
hex64(const char *s)
{
	size_t	i;

	for (i = 0; i < 64; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	}
	return s[64] == '\0';
}

/* A hash: 64 hex digits, or 64 zeros when it could not be computed. */
static void
pack_kv_hash(msgpack_packer *pk, const char *k, const char *h)
{
	static const char	zero[65] = "0000000000000000000000000000000"
	    "000000000000000000000000000000000";

	pack_key(pk, k);
	pack_str(pk, hex64(h) ? h : zero);
}

static void
pack_cert(msgpack_packer *pk, const struct rec_cert *c)
{
	size_t	i, n;
	int	san_cut = c->san_truncated || c->n_san > REC_MAX_SAN;
	int	der = c->der != NULL && c->der_len <= REC_MAX_BIN;
	int	der_cut = c->der != NULL && !der;

	for (i = 0; i < clamp(c->n_san, REC_MAX_SAN); i++)
		san_cut |= over(c->san[i]);
	n = 7 + der + der_cut + san_cut + over(c->subject) +
	    over(c->issuer) + over(c->not_before) + over(c->not_after);
	msgpack_pack_map(pk, n);
	pack_kv_str(pk, "subject", c->subject != NULL ? c->subject : "");
	pack_kv_str(pk, "issuer", c->issuer != NULL ? c->issuer : "");
	pack_kv_hash(pk, "sha256", c->sha256);
	pack_kv_hash(pk, "spki_sha256", c->spki_sha256);
	pack_kv_str(pk, "not_before", c->not_before != NULL ?
	    c->not_before : "");
	pack_kv_str(pk, "not_after", c->not_after != NULL ? c->not_after : "");
	pack_array(pk, "san", c->n_san, REC_MAX_SAN);
	for (i = 0; i < clamp(c->n_san, REC_MAX_SAN); i++)
		pack_str(pk, c->san[i] != NULL ? c->san[i] : "");
	if (san_cut)
		pack_flag(pk, "san");
	if (der) {
		pack_key(pk, "der");
		msgpack_pack_bin(pk, c->der_len);
		msgpack_pack_bin_body(pk, c->der, c->der_len);
	}
	if (der_cut)
		pack_flag(pk, "der");
}

static void
pack_tls(msgpack_packer *pk, const struct rec_tls *t)
{
	size_t	i;

	msgpack_pack_map(pk, 13 + (t->n_chain > REC_MAX_CHAIN) + over(t->ip) +
	    over(t->sni) + over(t->failure) + over(t->version) +
	    over(t->cipher) + over(t->verify_error) +
	    (t->residual_of != NULL) + over(t->residual_of));
	pack_kv_str(pk, "ip", t->ip != NULL ? t->ip : "");
	pack_kv_int(pk, "port", port(t->port));
	pack_kv_str(pk, "source", rec_role_name(t->source));
	pack_kv_str(pk, "sni", t->sni);
	pack_kv_str(pk, "failure", t->failure);
	pack_kv_str(pk, "version", t->version);
	pack_kv_str(pk, "cipher", t->cipher);
	if (pack_array(pk, "chain", t->n_chain, REC_MAX_CHAIN)) {
		for (i = 0; i < REC_MAX_CHAIN; i++)
			pack_cert(pk, &t->chain[i]);
		pack_flag(pk, "chain");
	} else {
		for (i = 0; i < t->n_chain; i++)
			pack_cert(pk, &t->chain[i]);
	}
	pack_kv_bool(pk, "trusted", t->trusted);
	pack_kv_bool(pk, "trusted_by_system", t->trusted_by_system);
	pack_kv_str(pk, "verify_error", t->verify_error);
	if (t->residual_of != NULL)
		pack_kv_str(pk, "residual_of", t->residual_of);
	pack_kv_ms(pk, "t0_ms", t->t0_ms);
	pack_kv_ms(pk, "t_ms", t->t_ms);
}

static void
pack_http(msgpack_packer *pk, const struct rec_http *h)
{
	size_t	i, nh;
	int	samples_cut = h->n_samples > REC_MAX_SAMPLES;

	msgpack_pack_map(pk, 13 + (h->blockpage != NULL) + samples_cut +
	    over(h->url) + over(h->ip) +
	    over(h->sni) + over(h->failure) + over(h->title) +
	    over(h->blockpage));
	pack_kv_str(pk, "url", h->url != NULL ? h->url : "");
	pack_kv_str(pk, "ip", h->ip != NULL ? h->ip : "");
	pack_kv_str(pk, "sni", h->sni);
	pack_kv_str(pk, "failure", h->failure);
	pack_key(pk, "status");
	if (h->status >= 100 && h->status <= 999)
		msgpack_pack_int(pk, h->status);
	else
		msgpack_pack_nil(pk);
	pack_key(pk, "headers");
	nh = (h->server != NULL) + (h->location != NULL) +
	    (h->content_type != NULL);
	nh += over(h->server) + over(h->location) + over(h->content_type);
	msgpack_pack_map(pk, nh);
	if (h->server != NULL)
		pack_kv_str(pk, "server", h->server);
	if (h->location != NULL)
		pack_kv_str(pk, "location", h->location);
	if (h->content_type != NULL)
		pack_kv_str(pk, "content-type", h->content_type);
	pack_key(pk, "body_length");
	msgpack_pack_uint64(pk, h->body_length);
	pack_key(pk, "body_sha256");
	if (hex64(h->body_sha256))
		pack_str(pk, h->body_sha256);
	else
		msgpack_pack_nil(pk);
	pack_kv_str(pk, "title", h->title);
	pack_kv_bool(pk, "truncated", h->truncated);
	if (h->blockpage != NULL)	/* the fingerprint it matched */
		pack_kv_str(pk, "blockpage", h->blockpage);
	pack_array(pk, "samples", h->n_samples, REC_MAX_SAMPLES);
	for (i = 0; i < clamp(h->n_samples, REC_MAX_SAMPLES); i++) {
		double	t = h->samples[i].t_ms;

		msgpack_pack_array(pk, 2);
		msgpack_pack_double(pk, isfinite(t) && t >= 0 ? t : 0);
		msgpack_pack_uint64(pk, h->samples[i].bytes);
	}
	if (samples_cut)
		pack_flag(pk, "samples");
	pack_kv_ms(pk, "t0_ms", h->t0_ms);
	pack_kv_ms(pk, "t_ms", h->t_ms);
}

/* "dns", "tcp", "tls", "http" arrays (and their flags) of n entries. */
static size_t
steps_flags(size_t nd, size_t nt, size_t ns, size_t nh)
{
	return (nd > REC_MAX_STEPS) + (nt > REC_MAX_STEPS) +
	    (ns > REC_MAX_STEPS) + (nh > REC_MAX_STEPS);
}

static void
pack_steps(msgpack_packer *pk, const struct rec_dns *dns, size_t nd,
    const struct rec_tcp *tcp, size_t nt, const struct rec_tls *tls,
    size_t ns, const struct rec_http *http, size_t nh)
{
	size_t	i;

	pack_array(pk, "dns", nd, REC_MAX_STEPS);
	for (i = 0; i < clamp(nd, REC_MAX_STEPS); i++)
		pack_dns(pk, &dns[i]);
	if (nd > REC_MAX_STEPS)
		pack_flag(pk, "dns");
	pack_array(pk, "tcp", nt, REC_MAX_STEPS);
	for (i = 0; i < clamp(nt, REC_MAX_STEPS); i++)
		pack_tcp(pk, &tcp[i]);
	if (nt > REC_MAX_STEPS)
		pack_flag(pk, "tcp");
	pack_array(pk, "tls", ns, REC_MAX_STEPS);
	for (i = 0; i < clamp(ns, REC_MAX_STEPS); i++)
		pack_tls(pk, &tls[i]);
	if (ns > REC_MAX_STEPS)
		pack_flag(pk, "tls");
	pack_array(pk, "http", nh, REC_MAX_STEPS);
	for (i = 0; i < clamp(nh, REC_MAX_STEPS); i++)
		pack_http(pk, &http[i]);
	if (nh > REC_MAX_STEPS)
		pack_flag(pk, "http");
}

static void
pack_control(msgpack_packer *pk, const struct rec_control *c)
{
	char	ts[32];

	pack_key(pk, "control");
	if (c == NULL) {
		msgpack_pack_nil(pk);
		return;
	}
	msgpack_pack_map(pk, 9 + over(c->url) + over(c->failure) +
	    steps_flags(c->n_dns, c->n_tcp, c->n_tls, c->n_http));
	pack_kv_str(pk, "url", c->url != NULL ? c->url : "");
	pack_kv_str(pk, "failure", c->failure);
	pack_key(pk, "time");
	if (c->has_time && c->time_ms >= 0 &&
	    c->time_ms < INT64_C(253402300800000)) {
		util_format_rfc3339_ms(c->time_ms, ts);
		pack_str(pk, ts);
	} else
		msgpack_pack_nil(pk);
	pack_key(pk, "clock_skew_ms");
	if (isfinite(c->clock_skew_ms))
		msgpack_pack_double(pk, c->clock_skew_ms);
	else
		msgpack_pack_nil(pk);
	pack_steps(pk, c->dns, c->n_dns, c->tcp, c->n_tcp, c->tls, c->n_tls,
	    c->http, c->n_http);
	pack_kv_ms(pk, "t_ms", c->t_ms);
}

static int
uuid_ok(const char *s)
{
	size_t	i;

	for (i = 0; i < UUID_STRLEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	}
	return s[UUID_STRLEN] == '\0';
}

/* An id never set is packed as the nil UUID, which no record has. */
static void
pack_kv_uuid(msgpack_packer *pk, const char *k, const char *v)
{
	pack_key(pk, k);
	pack_str(pk, uuid_ok(v) ? v : "00000000-0000-0000-0000-000000000000");
}

void
record_pack(const struct record *r, msgpack_packer *pk)
{
	const char	*probe_id, *input, *host;
	char		 ts[32];
	int64_t		 start = r->start_ms;
	long		 tz = r->tz_offset;

	probe_id = r->probe_id != NULL && *r->probe_id != '\0' ?
	    r->probe_id : "unknown";
	/* A record always names its target, if only as "unknown". */
	host = r->target.host != NULL && *r->target.host != '\0' ?
	    r->target.host : "unknown";
	input = r->target.input != NULL && *r->target.input != '\0' ?
	    r->target.input : host;
	msgpack_pack_map(pk, 16 + over(probe_id) + over(r->campaign) +
	    steps_flags(r->n_dns, r->n_tcp, r->n_tls, r->n_http));
	pack_kv_int(pk, "schema", RECORD_SCHEMA);
	pack_kv_uuid(pk, "id", r->id);
	pack_kv_uuid(pk, "run_id", r->run_id);
	pack_kv_str(pk, "probe_id", probe_id);
	pack_kv_str(pk, "campaign", r->campaign);

	pack_key(pk, "software");
	msgpack_pack_map(pk, 2);
	pack_kv_str(pk, "name", "nightjar");
	pack_kv_str(pk, "version", PACKAGE_VERSION);

	/* Clamped to 1970-9999, which every reader parses. */
	if (start < 0)
		start = 0;
	if (start > INT64_C(253402300799999))
		start = INT64_C(253402300799999);
	util_format_rfc3339_ms(start, ts);
	pack_kv_str(pk, "start_time", ts);
	if (tz < -18 * 3600 || tz > 18 * 3600)
		tz = 0;
	pack_kv_int(pk, "tz_offset", tz);
	pack_kv_ms(pk, "runtime_ms", r->runtime_ms);

	pack_key(pk, "target");
	msgpack_pack_map(pk, 4 + over(input) + over(host) +
	    over(r->target.category));
	pack_kv_str(pk, "input", input);
	pack_kv_str(pk, "host", host);
	pack_kv_int(pk, "port", port(r->target.port));
	pack_kv_str(pk, "category", r->target.category);

	pack_steps(pk, r->dns, r->n_dns, r->tcp, r->n_tcp, r->tls, r->n_tls,
	    r->http, r->n_http);
	pack_control(pk, r->control);

	pack_key(pk, "verdict");
	msgpack_pack_map(pk, 5 + over(r->verdict.interception_ca) +
	    over(r->verdict.blockpage) + over(r->verdict.detail));
	pack_kv_str(pk, "status", verdict_status_name(r->verdict.status));
	pack_kv_str(pk, "method", verdict_method_name(r->verdict.method));
	pack_kv_str(pk, "interception_ca", r->verdict.interception_ca);
	pack_kv_str(pk, "blockpage", r->verdict.blockpage);
	pack_kv_str(pk, "detail", r->verdict.detail != NULL ?
	    r->verdict.detail : "");
}
