/*
 * One measurement: building a record and writing it as one msgpack map
 * with every key of CONTRACT "The record".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "xmalloc.h"

static const char *const status_names[] = {
	[STATUS_OK] = "ok",
	[STATUS_BLOCKED] = "blocked",
	[STATUS_INTERCEPTED] = "intercepted",
	[STATUS_ANOMALY] = "anomaly",
	[STATUS_DOWN] = "down",
	[STATUS_ERROR] = "error",
};

static const char *const method_names[] = {
	[METHOD_NONE] = NULL,
	[METHOD_DNS_NXDOMAIN] = "dns_nxdomain",
	[METHOD_DNS_BOGON] = "dns_bogon",
	[METHOD_DNS_INCONSISTENT] = "dns_inconsistent",
	[METHOD_DNS_TIMEOUT] = "dns_timeout",
	[METHOD_DNS_REFUSED] = "dns_refused",
	[METHOD_DNS_SERVFAIL] = "dns_servfail",
	[METHOD_TCP_REFUSED] = "tcp_refused",
	[METHOD_TCP_RESET] = "tcp_reset",
	[METHOD_TCP_TIMEOUT] = "tcp_timeout",
	[METHOD_TLS_RESET] = "tls_reset",
	[METHOD_TLS_TIMEOUT] = "tls_timeout",
	[METHOD_TLS_EOF] = "tls_eof",
	[METHOD_TLS_SNI] = "tls_sni",
	[METHOD_TLS_MITM] = "tls_mitm",
};

#define N_STATUS	(sizeof status_names / sizeof status_names[0])
#define N_METHOD	(sizeof method_names / sizeof method_names[0])

const char *
verdict_status_name(enum verdict_status s)
{
	if ((size_t)s >= N_STATUS)
		return "error";
	return status_names[s];
}

const char *
verdict_method_name(enum verdict_method m)
{
	if ((size_t)m >= N_METHOD)
		return NULL;
	return method_names[m];
}

int
verdict_status_parse(const char *s, enum verdict_status *out)
{
	size_t	i;

	if (s == NULL)
		return -1;
	for (i = 0; i < N_STATUS; i++) {
		if (strcmp(s, status_names[i]) == 0) {
			*out = (enum verdict_status)i;
			return 0;
		}
	}
	return -1;
}

int
verdict_method_parse(const char *s, enum verdict_method *out)
{
	size_t	i;

	if (s == NULL)
		return -1;
	for (i = 1; i < N_METHOD; i++) {
		if (strcmp(s, method_names[i]) == 0) {
			*out = (enum verdict_method)i;
			return 0;
		}
	}
	return -1;
}

struct record *
record_new(void)
{
	struct record	*r;

	r = xcalloc(1, sizeof *r);
	util_uuid4(r->id);
	return r;
}

static void
cert_clear_fields(struct rec_cert *c)
{
	size_t	i;

	free(c->subject);
	free(c->issuer);
	free(c->not_before);
	free(c->not_after);
	for (i = 0; i < c->n_san; i++)
		free(c->san[i]);
	free(c->san);
}

void
record_free(struct record *r)
{
	size_t	i, j;

	if (r == NULL)
		return;
	free(r->probe_id);
	free(r->campaign);
	free(r->target.input);
	free(r->target.host);
	free(r->target.category);
	for (i = 0; i < r->n_dns; i++) {
		struct rec_dns	*d = &r->dns[i];

		free(d->resolver);
		free(d->failure);
		free(d->rcode);
		for (j = 0; j < d->n_answers; j++)
			free(d->answers[j].value);
		free(d->answers);
	}
	free(r->dns);
	for (i = 0; i < r->n_tcp; i++) {
		free(r->tcp[i].ip);
		free(r->tcp[i].failure);
	}
	free(r->tcp);
	for (i = 0; i < r->n_tls; i++) {
		struct rec_tls	*t = &r->tls[i];

		free(t->ip);
		free(t->sni);
		free(t->failure);
		free(t->version);
		free(t->cipher);
		free(t->verify_error);
		for (j = 0; j < t->n_chain; j++)
			cert_clear_fields(&t->chain[j]);
		free(t->chain);
	}
	free(r->tls);
	free(r->verdict.interception_ca);
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

struct rec_answer *
rec_dns_add_answer(struct rec_dns *d)
{
	return grow(&d->answers, &d->n_answers, sizeof *d->answers);
}

struct rec_cert *
rec_tls_add_cert(struct rec_tls *t)
{
	return grow(&t->chain, &t->n_chain, sizeof *t->chain);
}

/* --- packing -------------------------------------------------------------- */

static void
pack_str(msgpack_packer *pk, const char *s)
{
	size_t	n;

	if (s == NULL) {
		msgpack_pack_nil(pk);
		return;
	}
	n = strlen(s);
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

static void
pack_key(msgpack_packer *pk, const char *k)
{
	pack_str(pk, k);
}

static void
pack_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
	pack_key(pk, k);
	pack_str(pk, v);
}

static void
pack_kv_int(msgpack_packer *pk, const char *k, int64_t v)
{
	pack_key(pk, k);
	msgpack_pack_int64(pk, v);
}

static void
pack_kv_double(msgpack_packer *pk, const char *k, double v)
{
	pack_key(pk, k);
	if (!isfinite(v) || v < 0)
		v = 0;		/* a duration is never negative */
	msgpack_pack_double(pk, v);
}

static void
pack_kv_bool(msgpack_packer *pk, const char *k, int v)
{
	pack_key(pk, k);
	if (v)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
}

static const char *
role_name(enum rec_role r)
{
	return r == ROLE_CONTROL ? "control" : "probe";
}

static void
pack_dns(msgpack_packer *pk, const struct rec_dns *d)
{
	const struct rec_answer	*a;
	char			 qt[16];
	size_t			 i;

	msgpack_pack_map(pk, 7);
	pack_kv_str(pk, "resolver", d->resolver != NULL ? d->resolver :
	    "system");
	pack_kv_str(pk, "role", role_name(d->role));
	if (d->query_type == 1 || d->query_type == 0)
		strcpy(qt, "A");
	else if (d->query_type == 28)
		strcpy(qt, "AAAA");
	else
		snprintf(qt, sizeof qt, "TYPE%d", d->query_type);
	pack_kv_str(pk, "query_type", qt);
	pack_kv_str(pk, "failure", d->failure);
	pack_kv_str(pk, "rcode", d->rcode);
	pack_key(pk, "answers");
	msgpack_pack_array(pk, d->n_answers);
	for (i = 0; i < d->n_answers; i++) {
		a = &d->answers[i];
		switch (a->type) {
		case ANSWER_CNAME:
			msgpack_pack_map(pk, 2);
			pack_kv_str(pk, "type", "CNAME");
			pack_kv_str(pk, "hostname", a->value != NULL ?
			    a->value : "");
			break;
		default:
			msgpack_pack_map(pk, 3);
			pack_kv_str(pk, "type", a->type == ANSWER_AAAA ?
			    "AAAA" : "A");
			pack_kv_str(pk, "ip", a->value != NULL ? a->value : "");
			pack_kv_int(pk, "ttl", a->ttl);
			break;
		}
	}
	pack_kv_double(pk, "t_ms", d->t_ms);
}

static void
pack_tcp(msgpack_packer *pk, const struct rec_tcp *t)
{
	msgpack_pack_map(pk, 5);
	pack_kv_str(pk, "ip", t->ip != NULL ? t->ip : "");
	pack_kv_int(pk, "port", t->port);
	pack_kv_str(pk, "source", role_name(t->source));
	pack_kv_str(pk, "failure", t->failure);
	pack_kv_double(pk, "t_ms", t->t_ms);
}

static void
pack_cert(msgpack_packer *pk, const struct rec_cert *c)
{
	size_t	i;

	msgpack_pack_map(pk, 7);
	pack_kv_str(pk, "subject", c->subject != NULL ? c->subject : "");
	pack_kv_str(pk, "issuer", c->issuer != NULL ? c->issuer : "");
	pack_kv_str(pk, "sha256", c->sha256);
	pack_kv_str(pk, "spki_sha256", c->spki_sha256);
	pack_kv_str(pk, "not_before", c->not_before != NULL ?
	    c->not_before : "");
	pack_kv_str(pk, "not_after", c->not_after != NULL ? c->not_after : "");
	pack_key(pk, "san");
	msgpack_pack_array(pk, c->n_san);
	for (i = 0; i < c->n_san; i++)
		pack_str(pk, c->san[i] != NULL ? c->san[i] : "");
}

static void
pack_tls(msgpack_packer *pk, const struct rec_tls *t)
{
	size_t	i;

	msgpack_pack_map(pk, 12);
	pack_kv_str(pk, "ip", t->ip != NULL ? t->ip : "");
	pack_kv_int(pk, "port", t->port);
	pack_kv_str(pk, "source", role_name(t->source));
	pack_kv_str(pk, "sni", t->sni);
	pack_kv_str(pk, "failure", t->failure);
	pack_kv_str(pk, "version", t->version);
	pack_kv_str(pk, "cipher", t->cipher);
	pack_key(pk, "chain");
	msgpack_pack_array(pk, t->n_chain);
	for (i = 0; i < t->n_chain; i++)
		pack_cert(pk, &t->chain[i]);
	pack_kv_bool(pk, "trusted", t->trusted);
	pack_kv_bool(pk, "trusted_by_system", t->trusted_by_system);
	pack_kv_str(pk, "verify_error", t->verify_error);
	pack_kv_double(pk, "t_ms", t->t_ms);
}

void
record_pack(const struct record *r, msgpack_packer *pk)
{
	char	ts[32];
	size_t	i;

	msgpack_pack_map(pk, 14);
	pack_kv_int(pk, "schema", RECORD_SCHEMA);
	pack_kv_str(pk, "id", r->id);
	pack_kv_str(pk, "run_id", r->run_id);
	pack_kv_str(pk, "probe_id", r->probe_id != NULL ? r->probe_id : "");
	pack_kv_str(pk, "campaign", r->campaign);

	pack_key(pk, "software");
	msgpack_pack_map(pk, 2);
	pack_kv_str(pk, "name", "nightjar");
	pack_kv_str(pk, "version", PACKAGE_VERSION);

	util_format_rfc3339_ms(r->start_ms, ts);
	pack_kv_str(pk, "start_time", ts);
	pack_kv_int(pk, "tz_offset", r->tz_offset);
	pack_kv_double(pk, "runtime_ms", r->runtime_ms);

	pack_key(pk, "target");
	msgpack_pack_map(pk, 4);
	pack_kv_str(pk, "input", r->target.input != NULL ? r->target.input :
	    (r->target.host != NULL ? r->target.host : ""));
	pack_kv_str(pk, "host", r->target.host != NULL ? r->target.host : "");
	pack_kv_int(pk, "port", r->target.port);
	pack_kv_str(pk, "category", r->target.category);

	pack_key(pk, "dns");
	msgpack_pack_array(pk, r->n_dns);
	for (i = 0; i < r->n_dns; i++)
		pack_dns(pk, &r->dns[i]);
	pack_key(pk, "tcp");
	msgpack_pack_array(pk, r->n_tcp);
	for (i = 0; i < r->n_tcp; i++)
		pack_tcp(pk, &r->tcp[i]);
	pack_key(pk, "tls");
	msgpack_pack_array(pk, r->n_tls);
	for (i = 0; i < r->n_tls; i++)
		pack_tls(pk, &r->tls[i]);

	pack_key(pk, "verdict");
	msgpack_pack_map(pk, 4);
	pack_kv_str(pk, "status", verdict_status_name(r->verdict.status));
	pack_kv_str(pk, "method", verdict_method_name(r->verdict.method));
	pack_kv_str(pk, "interception_ca", r->verdict.interception_ca);
	pack_kv_str(pk, "detail", r->verdict.detail != NULL ?
	    r->verdict.detail : "");
}
