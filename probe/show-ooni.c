/*
 * A record as an OONI measurement, one JSON object.
 *
 * The base keys follow OONI's df-000; test_keys holds queries (df-002),
 * tcp_connect (df-005), tls_handshakes (df-006, peer_certificates from
 * the certificates' DER when the record kept it) and, when there was HTTP,
 * requests (df-001).  nightjar's verdict becomes Web Connectivity's
 * blocking/accessible pair and is kept whole in x_nightjar_verdict; what
 * OONI's formats have no key for is kept under x_nightjar_* keys.  Times
 * t0/t are seconds since measurement_start_time, as OONI counts them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "show-ooni.h"
#include "url.h"
#include "util.h"
#include "xmalloc.h"

#define OONI_MAX_DEPTH	16

/* --- a small JSON writer that places the commas ------------------------- */

struct jw {
	struct buf	*b;
	int		 n[OONI_MAX_DEPTH];	/* members written, per level */
	int		 depth;
};

static void
jw_sep(struct jw *w, const char *key)
{
	if (w->n[w->depth]++ > 0)
		buf_add(w->b, ",", 1);
	if (key != NULL) {
		json_quote(w->b, key, strlen(key));
		buf_add(w->b, ":", 1);
	}
}

static void
jw_open(struct jw *w, const char *key, const char *brace)
{
	jw_sep(w, key);
	buf_addstr(w->b, brace);
	if (w->depth + 1 < OONI_MAX_DEPTH)
		w->depth++;
	w->n[w->depth] = 0;
}

static void
jw_close(struct jw *w, const char *brace)
{
	buf_addstr(w->b, brace);
	if (w->depth > 0)
		w->depth--;
}

static void
jw_strn(struct jw *w, const char *key, const char *s, size_t n)
{
	jw_sep(w, key);
	json_quote(w->b, s, n);
}

static void
jw_str(struct jw *w, const char *key, const char *s)
{
	if (s == NULL) {
		jw_sep(w, key);
		buf_addstr(w->b, "null");
	} else
		jw_strn(w, key, s, strlen(s));
}

static void
jw_raw(struct jw *w, const char *key, const char *json)
{
	jw_sep(w, key);
	buf_addstr(w->b, json);
}

static void
jw_bool(struct jw *w, const char *key, int v)
{
	jw_raw(w, key, v ? "true" : "false");
}

static void
jw_int(struct jw *w, const char *key, int64_t v)
{
	jw_sep(w, key);
	buf_printf(w->b, "%" PRId64, v);
}

static void
jw_num(struct jw *w, const char *key, double v)
{
	jw_sep(w, key);
	buf_printf(w->b, "%.9g", v);
}

/* A value of the record as it is (JSON of the msgpack object). */
static void
jw_obj(struct jw *w, const char *key, const msgpack_object *o)
{
	jw_sep(w, key);
	if (o == NULL)
		buf_addstr(w->b, "null");
	else
		mp_to_json(o, w->b);
}

/* --- reading the record ---------------------------------------------------- */

static const msgpack_object *
get(const msgpack_object *o, const char *key)
{
	return o != NULL ? mp_get(o, key) : NULL;
}

/* A str value as a NUL-terminated copy in out, or NULL. */
static const char *
get_str(const msgpack_object *o, const char *key, char *out, size_t outlen)
{
	if ((o = get(o, key)) == NULL || o->type != MSGPACK_OBJECT_STR ||
	    o->via.str.size >= outlen)
		return NULL;
	memcpy(out, o->via.str.ptr, o->via.str.size);
	out[o->via.str.size] = '\0';
	return out;
}

/* A str value written as JSON, or null (any length, any bytes). */
static void
jw_get_str(struct jw *w, const char *key, const msgpack_object *o,
    const char *rkey)
{
	o = get(o, rkey);
	if (o != NULL && o->type == MSGPACK_OBJECT_STR)
		jw_strn(w, key, o->via.str.ptr, o->via.str.size);
	else
		jw_raw(w, key, "null");
}

static double
get_num(const msgpack_object *o, const char *key, double dflt)
{
	double	v;

	if (o == NULL || mp_get_num(o, key, &v) != 0)
		return dflt;
	return v;
}

static int
is_nil(const msgpack_object *o)
{
	return o == NULL || o->type == MSGPACK_OBJECT_NIL;
}

static size_t
arr_len(const msgpack_object *o)
{
	return o != NULL && o->type == MSGPACK_OBJECT_ARRAY ?
	    o->via.array.size : 0;
}

/* t0 and t in seconds since the record's start (t0_ms, t_ms). */
static void
jw_times(struct jw *w, const msgpack_object *e)
{
	double	t0 = get_num(e, "t0_ms", 0), t = get_num(e, "t_ms", 0);

	jw_num(w, "t0", t0 / 1000);
	jw_num(w, "t", (t0 + t) / 1000);
}

/* "ip:port", with brackets for IPv6. */
static void
jw_address(struct jw *w, const char *key, const msgpack_object *e,
    int64_t port)
{
	char	ip[64], s[80];

	if (get_str(e, "ip", ip, sizeof ip) == NULL) {
		jw_str(w, key, "");
		return;
	}
	snprintf(s, sizeof s, strchr(ip, ':') != NULL ? "[%s]:%" PRId64 :
	    "%s:%" PRId64, ip, port);
	jw_str(w, key, s);
}

/* --- verdict ----------------------------------------------------------------- */

/*
 * Web Connectivity's pair: blocking false | "dns" | "tcp_ip" |
 * "http-failure" | "http-diff" | null (cannot tell), accessible true |
 * false | null.
 */
struct ooni_blocking {
	const char	*status;
	const char	*method_prefix;	/* NULL: any */
	const char	*blocking;	/* JSON */
	const char	*accessible;	/* JSON */
};

static const struct ooni_blocking ooni_blocking_table[] = {
	{ "ok", NULL, "false", "true" },
	{ "blocked", "dns_", "\"dns\"", "false" },
	{ "blocked", "tcp_", "\"tcp_ip\"", "false" },
	{ "blocked", "http_blockpage", "\"http-diff\"", "false" },
	{ "blocked", NULL, "\"http-failure\"", "false" },
	{ "intercepted", NULL, "\"http-failure\"", "false" },
	/* Works, slowly: OONI has no word for it (x_nightjar_verdict has). */
	{ "throttled", NULL, "null", "true" },
	{ "down", NULL, "false", "false" },
	{ "anomaly", NULL, "null", "null" },
	{ "error", NULL, "null", "null" },
};

void
show_ooni_blocking(const char *status, const char *method,
    const char **blocking, const char **accessible)
{
	const struct ooni_blocking	*e;
	size_t				 i;

	*blocking = *accessible = "null";
	for (i = 0; i < sizeof ooni_blocking_table /
	    sizeof ooni_blocking_table[0]; i++) {
		e = &ooni_blocking_table[i];
		if (strcmp(e->status, status) != 0)
			continue;
		if (e->method_prefix != NULL && (method == NULL ||
		    strncmp(method, e->method_prefix,
		    strlen(e->method_prefix)) != 0))
			continue;
		*blocking = e->blocking;
		*accessible = e->accessible;
		return;
	}
}

/* --- the steps ----------------------------------------------------------------- */

static int
rcode_number(const char *s)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL",
	    "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET",
	    "NOTAUTH", "NOTZONE" };
	size_t	i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	}
	return -1;
}

static void
ooni_answers(struct jw *w, const msgpack_object *answers)
{
	const msgpack_object	*a;
	char			 type[16];
	size_t			 i;
	int64_t			 ttl;

	jw_open(w, "answers", "[");
	for (i = 0; i < arr_len(answers); i++) {
		a = &answers->via.array.ptr[i];
		if (get_str(a, "type", type, sizeof type) == NULL)
			continue;
		jw_open(w, NULL, "{");
		jw_str(w, "answer_type", type);
		if (strcmp(type, "A") == 0)
			jw_get_str(w, "ipv4", a, "ip");
		else if (strcmp(type, "AAAA") == 0)
			jw_get_str(w, "ipv6", a, "ip");
		else
			jw_get_str(w, "hostname", a, "hostname");
		if (mp_get_int(a, "ttl", &ttl) == 0)
			jw_int(w, "ttl", ttl);
		else
			jw_raw(w, "ttl", "null");
		jw_close(w, "}");
	}
	jw_close(w, "]");
}

static void
ooni_queries(struct jw *w, const msgpack_object *rec, const char *key)
{
	const msgpack_object	*dns = get(rec, key), *d, *o;
	char			 s[64];
	size_t			 i;
	int			 rc;

	jw_open(w, "queries", "[");
	for (i = 0; i < arr_len(dns); i++) {
		d = &dns->via.array.ptr[i];
		jw_open(w, NULL, "{");
		ooni_answers(w, get(d, "answers"));
		/* udp, tcp, doh, dot: OONI's engine names. */
		jw_str(w, "engine", get_str(d, "transport", s, sizeof s) !=
		    NULL ? s : "unknown");
		jw_get_str(w, "failure", d, "failure");
		jw_get_str(w, "hostname", rec, "target.host");
		jw_get_str(w, "query_type", d, "query_type");
		if (get_str(d, "rcode", s, sizeof s) != NULL &&
		    (rc = rcode_number(s)) >= 0)
			jw_int(w, "rcode", rc);
		o = get(d, "server");
		if (o != NULL && o->type == MSGPACK_OBJECT_STR)
			jw_strn(w, "resolver_address", o->via.str.ptr,
			    o->via.str.size);
		else
			jw_get_str(w, "resolver_address", d, "resolver");
		jw_raw(w, "resolver_hostname", "null");
		jw_raw(w, "resolver_port", "null");
		jw_times(w, d);
		jw_open(w, "tags", "[");
		jw_get_str(w, NULL, d, "role");
		jw_close(w, "]");
		jw_get_str(w, "x_nightjar_resolver", d, "resolver");
		if ((o = get(d, "replies")) != NULL)
			jw_obj(w, "x_nightjar_replies", o);
		jw_close(w, "}");
	}
	jw_close(w, "]");
}

static void
ooni_tcp(struct jw *w, const msgpack_object *rec, const char *key)
{
	const msgpack_object	*tcp = get(rec, key), *e;
	size_t			 i;
	int64_t			 port = 0;

	jw_open(w, "tcp_connect", "[");
	for (i = 0; i < arr_len(tcp); i++) {
		e = &tcp->via.array.ptr[i];
		(void)mp_get_int(e, "port", &port);
		jw_open(w, NULL, "{");
		jw_get_str(w, "ip", e, "ip");
		jw_int(w, "port", port);
		jw_open(w, "status", "{");
		jw_get_str(w, "failure", e, "failure");
		jw_bool(w, "success", is_nil(get(e, "failure")));
		jw_close(w, "}");
		jw_times(w, e);
		jw_open(w, "tags", "[");
		jw_get_str(w, NULL, e, "source");
		jw_close(w, "]");
		jw_close(w, "}");
	}
	jw_close(w, "]");
}

static void
ooni_tls(struct jw *w, const msgpack_object *rec, const char *key)
{
	const msgpack_object	*tls = get(rec, key), *e, *chain, *c, *der;
	const msgpack_object	*o;
	size_t			 i, j;
	int64_t			 port = 0;

	jw_open(w, "tls_handshakes", "[");
	for (i = 0; i < arr_len(tls); i++) {
		e = &tls->via.array.ptr[i];
		(void)mp_get_int(e, "port", &port);
		jw_open(w, NULL, "{");
		jw_str(w, "network", "tcp");
		jw_address(w, "address", e, port);
		o = get(e, "cipher");
		if (o != NULL && o->type == MSGPACK_OBJECT_STR)
			jw_strn(w, "cipher_suite", o->via.str.ptr,
			    o->via.str.size);
		else
			jw_str(w, "cipher_suite", "");
		jw_get_str(w, "failure", e, "failure");
		jw_str(w, "negotiated_protocol", "");
		/* The chain is always verified (and kept whatever it is). */
		jw_bool(w, "no_tls_verify", 0);
		/* The whole presented chain, when its DER was kept. */
		chain = get(e, "chain");
		jw_open(w, "peer_certificates", "[");
		for (j = 0; j < arr_len(chain); j++) {
			c = &chain->via.array.ptr[j];
			der = get(c, "der");
			if (der == NULL || der->type != MSGPACK_OBJECT_BIN)
				continue;
			jw_open(w, NULL, "{");
			jw_obj(w, "data", der);
			jw_str(w, "format", "base64");
			jw_close(w, "}");
		}
		jw_close(w, "]");
		o = get(e, "sni");
		if (o != NULL && o->type == MSGPACK_OBJECT_STR)
			jw_strn(w, "server_name", o->via.str.ptr,
			    o->via.str.size);
		else	/* an IP target: the address was checked, no SNI */
			jw_get_str(w, "server_name", e, "ip");
		jw_times(w, e);
		jw_open(w, "tags", "[");
		jw_get_str(w, NULL, e, "source");
		jw_close(w, "]");
		o = get(e, "version");
		if (o != NULL && o->type == MSGPACK_OBJECT_STR)
			jw_strn(w, "tls_version", o->via.str.ptr,
			    o->via.str.size);
		else
			jw_str(w, "tls_version", "");
		/* What df-006 has no key for: the chain's summary, trust. */
		if (chain != NULL) {
			jw_open(w, "x_nightjar_chain", "[");
			for (j = 0; j < arr_len(chain); j++) {
				c = &chain->via.array.ptr[j];
				jw_open(w, NULL, "{");
				jw_get_str(w, "subject", c, "subject");
				jw_get_str(w, "issuer", c, "issuer");
				jw_get_str(w, "sha256", c, "sha256");
				jw_get_str(w, "spki_sha256", c, "spki_sha256");
				jw_close(w, "}");
			}
			jw_close(w, "]");
		}
		jw_obj(w, "x_nightjar_trusted", get(e, "trusted"));
		jw_obj(w, "x_nightjar_trusted_by_system",
		    get(e, "trusted_by_system"));
		jw_get_str(w, "x_nightjar_verify_error", e, "verify_error");
		jw_close(w, "}");
	}
	jw_close(w, "]");
}

/* The port of an http(s) URL: its explicit one, else 80 or 443. */
static int64_t
ooni_url_port(const char *url, size_t n)
{
	struct url	u;

	if (url_parse(url, n, &u) == NULL && u.port > 0)
		return u.port;
	return n >= 8 && strncmp(url, "https://", 8) == 0 ? 443 : 80;
}

static void
ooni_header(struct jw *w, const char *name, const msgpack_object *e,
    const char *key, int list)
{
	const msgpack_object	*o = get(e, key);

	if (o == NULL || o->type != MSGPACK_OBJECT_STR)
		return;
	if (list) {
		jw_open(w, NULL, "[");
		jw_str(w, NULL, name);
		jw_strn(w, NULL, o->via.str.ptr, o->via.str.size);
		jw_close(w, "]");
	} else
		jw_strn(w, name, o->via.str.ptr, o->via.str.size);
}

static void
ooni_headers(struct jw *w, const msgpack_object *e)
{
	static const char *const h[][2] = {
		{ "Server", "headers.server" },
		{ "Location", "headers.location" },
		{ "Content-Type", "headers.content-type" },
	};
	size_t	i;

	jw_open(w, "headers", "{");
	for (i = 0; i < 3; i++)
		ooni_header(w, h[i][0], e, h[i][1], 0);
	jw_close(w, "}");
	jw_open(w, "headers_list", "[");
	for (i = 0; i < 3; i++)
		ooni_header(w, h[i][0], e, h[i][1], 1);
	jw_close(w, "]");
}

static void
ooni_requests(struct jw *w, const msgpack_object *http)
{
	const msgpack_object	*e, *url, *o;
	size_t			 i;
	int64_t			 code;

	jw_open(w, "requests", "[");
	for (i = 0; i < arr_len(http); i++) {
		e = &http->via.array.ptr[i];
		url = get(e, "url");
		jw_open(w, NULL, "{");
		jw_str(w, "network", "tcp");
		jw_address(w, "address", e, url != NULL &&
		    url->type == MSGPACK_OBJECT_STR ? ooni_url_port(url->via.str.ptr,
		    url->via.str.size) : 80);
		jw_get_str(w, "failure", e, "failure");
		jw_open(w, "request", "{");
		jw_str(w, "body", "");
		jw_bool(w, "body_is_truncated", 0);
		jw_open(w, "headers", "{");
		jw_close(w, "}");
		jw_open(w, "headers_list", "[");
		jw_close(w, "]");
		jw_str(w, "method", "GET");
		jw_open(w, "tor", "{");
		jw_raw(w, "exit_ip", "null");
		jw_raw(w, "exit_name", "null");
		jw_bool(w, "is_tor", 0);
		jw_close(w, "}");
		jw_get_str(w, "url", e, "url");
		jw_str(w, "x_transport", "tcp");
		jw_close(w, "}");
		jw_open(w, "response", "{");
		/* nightjar keeps the body's length and hash, not the body. */
		jw_str(w, "body", "");
		o = get(e, "truncated");
		jw_bool(w, "body_is_truncated", o != NULL &&
		    o->type == MSGPACK_OBJECT_BOOLEAN && o->via.boolean);
		jw_int(w, "code", mp_get_int(e, "status", &code) == 0 ?
		    code : 0);
		ooni_headers(w, e);
		jw_obj(w, "x_nightjar_body_length", get(e, "body_length"));
		jw_obj(w, "x_nightjar_body_sha256", get(e, "body_sha256"));
		jw_obj(w, "x_nightjar_title", get(e, "title"));
		jw_close(w, "}");
		jw_times(w, e);
		jw_open(w, "tags", "[");
		jw_close(w, "]");
		if ((o = get(e, "samples")) != NULL)
			jw_obj(w, "x_nightjar_samples", o);
		jw_close(w, "}");
	}
	jw_close(w, "]");
}

/* --- the measurement ------------------------------------------------------------ */

struct ooni_run {
	char		 run_id[UUID_STRLEN + 1];
	int64_t		 start_ms;
	char		 asn[32];
};

struct show_ooni {
	struct ooni_run	*runs;		/* sorted by run_id */
	size_t		 n;
};

struct show_ooni *
show_ooni_new(void)
{
	return xcalloc(1, sizeof(struct show_ooni));
}

void
show_ooni_free(struct show_ooni *s)
{
	if (s == NULL)
		return;
	free(s->runs);
	free(s);
}

/*
 * The round of a record: the start and ASN of the first of its records
 * seen (binary search by run_id, insert when new).
 */
static const struct ooni_run *
run_get(struct show_ooni *s, const char *run_id, int64_t start_ms,
    const char *asn)
{
	size_t	lo = 0, hi = s->n, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(s->runs[mid].run_id, run_id)) == 0)
			return &s->runs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	s->runs = xreallocarray(s->runs, s->n + 1, sizeof *s->runs);
	memmove(&s->runs[lo + 1], &s->runs[lo], (s->n - lo) *
	    sizeof *s->runs);
	snprintf(s->runs[lo].run_id, sizeof s->runs[lo].run_id, "%s", run_id);
	s->runs[lo].start_ms = start_ms;
	snprintf(s->runs[lo].asn, sizeof s->runs[lo].asn, "%s", asn);
	s->n++;
	return &s->runs[lo];
}

/* "AS" and 1 to 10 digits, as OONI writes an ASN. */
static int
valid_asn(const char *s)
{
	size_t	n = strlen(s);

	return n >= 3 && n <= 12 && s[0] == 'A' && s[1] == 'S' &&
	    strspn(s + 2, "0123456789") == n - 2;
}

/* Two upper-case letters (ISO 3166-1 alpha-2). */
static int
valid_cc(const char *s)
{
	return strlen(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' &&
	    s[1] <= 'Z';
}

/* "2006-01-02 15:04:05" (UTC), and "20060102T150405Z" for report ids. */
static void
ooni_time(int64_t ms, char *out, size_t outlen, const char *fmt)
{
	struct tm	tm;
	time_t		t = (time_t)((ms > 0 ? ms : 0) / 1000);

	if (gmtime_r(&t, &tm) == NULL || strftime(out, outlen, fmt, &tm) == 0)
		out[0] = '\0';
}

void
show_ooni_record(struct show_ooni *s, const msgpack_object *rec,
    struct buf *out)
{
	struct jw		 w;
	const msgpack_object	*o, *http;
	const char		*blocking, *accessible;
	char			 t[64], run[UUID_STRLEN + 1], asn[32], cc[8];
	char			 status[32], method[64], hex[40], rid[128];
	char			 start[32], tstart[32], compact[32];
	const struct ooni_run	*r;
	int64_t			 start_ms = 0;
	size_t			 i, k;

	memset(&w, 0, sizeof w);
	w.b = out;
	if (get_str(rec, "start_time", t, sizeof t) == NULL ||
	    util_parse_rfc3339_ms(t, &start_ms) != 0)
		start_ms = 0;
	if (get_str(rec, "run_id", run, sizeof run) == NULL)
		run[0] = '\0';
	/* Added by a collector with --asn-db / --country-db. */
	if (get_str(rec, "probe_asn", asn, sizeof asn) == NULL ||
	    !valid_asn(asn))
		snprintf(asn, sizeof asn, "AS0");
	if (get_str(rec, "probe_cc", cc, sizeof cc) == NULL || !valid_cc(cc))
		snprintf(cc, sizeof cc, "ZZ");
	r = run_get(s, run, start_ms, asn);
	ooni_time(start_ms, start, sizeof start, "%Y-%m-%d %H:%M:%S");
	ooni_time(r->start_ms, tstart, sizeof tstart, "%Y-%m-%d %H:%M:%S");
	ooni_time(r->start_ms, compact, sizeof compact, "%Y%m%dT%H%M%SZ");
	for (i = k = 0; run[i] != '\0' && k + 1 < sizeof hex; i++) {
		if (run[i] != '-')
			hex[k++] = run[i];
	}
	hex[k] = '\0';
	/* OONI's shape: start of the report, ASN, a unique token. */
	snprintf(rid, sizeof rid, "%s_%s_nightjar%s", compact, r->asn, hex);

	jw_open(&w, NULL, "{");
	jw_open(&w, "annotations", "{");
	jw_str(&w, "engine_name", "nightjar");
	jw_get_str(&w, "engine_version", rec, "software.version");
	jw_str(&w, "platform", "linux");
	jw_get_str(&w, "x_nightjar_probe_id", rec, "probe_id");
	if ((o = get(rec, "campaign")) != NULL &&
	    o->type == MSGPACK_OBJECT_STR)
		jw_strn(&w, "x_nightjar_campaign", o->via.str.ptr,
		    o->via.str.size);
	if ((o = get(rec, "target.category")) != NULL &&
	    o->type == MSGPACK_OBJECT_STR)
		jw_strn(&w, "x_nightjar_category", o->via.str.ptr,
		    o->via.str.size);
	jw_close(&w, "}");
	jw_str(&w, "data_format_version", "0.2.0");
	http = get(rec, "http");
	jw_open(&w, "extensions", "{");
	jw_int(&w, "dnst", 0);
	jw_int(&w, "tcpconnect", 0);
	jw_int(&w, "tlshandshake", 0);
	if (arr_len(http) > 0)
		jw_int(&w, "httpt", 0);
	jw_close(&w, "}");
	jw_get_str(&w, "id", rec, "id");
	jw_get_str(&w, "input", rec, "target.input");
	jw_str(&w, "measurement_start_time", start);
	jw_str(&w, "probe_asn", asn);
	jw_str(&w, "probe_cc", cc);
	jw_str(&w, "probe_ip", "127.0.0.1");
	if ((o = get(rec, "probe_network")) != NULL &&
	    o->type == MSGPACK_OBJECT_STR)
		jw_strn(&w, "probe_network_name", o->via.str.ptr,
		    o->via.str.size);
	jw_str(&w, "report_id", rid);
	jw_get_str(&w, "software_name", rec, "software.name");
	jw_get_str(&w, "software_version", rec, "software.version");
	/* The vantage, OONI's test helper. */
	jw_open(&w, "test_helpers", "{");
	if ((o = get(rec, "control.url")) != NULL &&
	    o->type == MSGPACK_OBJECT_STR) {
		jw_open(&w, "backend", "{");
		jw_strn(&w, "address", o->via.str.ptr, o->via.str.size);
		jw_str(&w, "type", "https");
		jw_close(&w, "}");
	}
	jw_close(&w, "}");

	jw_open(&w, "test_keys", "{");
	jw_str(&w, "agent", "agent");	/* redirects are not followed */
	ooni_queries(&w, rec, "dns");
	ooni_tcp(&w, rec, "tcp");
	ooni_tls(&w, rec, "tls");
	if (arr_len(http) > 0)
		ooni_requests(&w, http);
	jw_raw(&w, "socksproxy", "null");
	if (get_str(rec, "verdict.status", status, sizeof status) == NULL)
		snprintf(status, sizeof status, "error");
	show_ooni_blocking(status, get_str(rec, "verdict.method", method,
	    sizeof method), &blocking, &accessible);
	jw_raw(&w, "blocking", blocking);
	jw_raw(&w, "accessible", accessible);
	jw_obj(&w, "x_nightjar_verdict", get(rec, "verdict"));
	if ((o = get(rec, "control")) != NULL && !is_nil(o))
		jw_obj(&w, "x_nightjar_control", o);
	jw_close(&w, "}");

	jw_get_str(&w, "test_name", rec, "software.name");
	jw_num(&w, "test_runtime", get_num(rec, "runtime_ms", 0) / 1000);
	jw_str(&w, "test_start_time", tstart);
	jw_get_str(&w, "test_version", rec, "software.version");
	jw_close(&w, "}");
}
