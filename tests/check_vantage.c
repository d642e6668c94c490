/*
 * Unit tests for the vantage on the probe's side: the verdict rules that
 * read the record's "control" map (a table, one case per rule and its
 * neighbours), which records are sent, the request packed, the answer
 * read back (and refused when it is not for its targets).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <msgpack.h>
#include <openssl/sha.h>

#include "inspect.h"
#include "mp.h"
#include "record.h"
#include "util.h"
#include "vantage.h"
#include "verdict.h"
#include "xmalloc.h"

#define FB	"www.facebook.com"
#define IP1	"157.240.1.35"
#define IP2	"157.240.1.36"
#define DIGI	"CN=DigiCert SHA2 High Assurance Server CA,O=DigiCert Inc,C=US"
#define ROGUE	"CN=Unlisted Interception Root,C=KZ"

static void
hash(const char *s, char out[65])
{
	unsigned char	md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)s, strlen(s), md);
	util_hex(md, sizeof md, out);
}

/* --- building records -------------------------------------------------- */

static void
set_dns(struct rec_dns *d, enum rec_role role, const char *failure,
    const char *ip)
{
	struct rec_answer	*a;

	d->resolver = xstrdup(role == ROLE_PROBE ? "system" : "1.1.1.1:53");
	d->role = role;
	d->query_type = 1;
	d->failure = failure != NULL ? xstrdup(failure) : NULL;
	d->rcode = xstrdup(failure == NULL ? "NOERROR" :
	    strcmp(failure, "dns_nxdomain_error") == 0 ? "NXDOMAIN" :
	    "SERVFAIL");
	if (ip != NULL) {
		a = rec_dns_add_answer(d);
		a->type = ANSWER_A;
		a->value = xstrdup(ip);
		a->ttl = 300;
	}
}

static void
set_tcp(struct rec_tcp *t, enum rec_role src, const char *ip,
    const char *failure)
{
	t->ip = xstrdup(ip);
	t->port = 443;
	t->source = src;
	t->failure = failure != NULL ? xstrdup(failure) : NULL;
}

/* A handshake: failure, or a chain (leaf key, issuer) trusted or not. */
static void
set_tls(struct rec_tls *t, enum rec_role src, const char *ip,
    const char *sni, const char *failure, const char *key,
    const char *issuer, int trusted)
{
	struct rec_cert	*c;

	t->ip = xstrdup(ip);
	t->port = 443;
	t->source = src;
	t->sni = xstrdup(sni);
	t->failure = failure != NULL ? xstrdup(failure) : NULL;
	if (key == NULL)
		return;
	t->version = xstrdup("TLSv1.3");
	t->trusted = trusted;
	c = rec_tls_add_cert(t);
	c->subject = xstrdup("CN=*.facebook.com");
	c->issuer = xstrdup(issuer);
	hash(key, c->spki_sha256);
	hash(key, c->sha256);
	c = rec_tls_add_cert(t);
	c->subject = xstrdup(issuer);
	c->issuer = xstrdup(issuer);
	hash(issuer, c->spki_sha256);
	hash(issuer, c->sha256);
}

/*
 * A tiny language, one statement a ';':
 *   pdns FAIL|ok [IP]      the probe's resolver (A)
 *   cdns FAIL|ok [IP]      the control resolver
 *   ptcp IP FAIL|ok        the probe's connection
 *   ptls IP SNI FAIL|ok [KEY ISSUER T|U]
 *   ptlsr IP SNI FAIL CAUSE  a failed handshake after CAUSE's failure
 *                          there (residual_of)
 *   vdns / vtcp / vtls     the same, seen by the vantage
 *   vfail FAILURE          the vantage could not answer
 * FAIL is a df-007 string; issuer "digi" or "rogue".  Handshakes start
 * in the order written (t0_ms 10, 20, ...).
 */
static const char *
nul(const char *s)
{
	return s == NULL || strcmp(s, "ok") == 0 ? NULL : s;
}

static const char *
issuer(const char *s)
{
	return s != NULL && strcmp(s, "rogue") == 0 ? ROGUE : DIGI;
}

static struct record *
build(const char *spec)
{
	struct record		*r = record_new();
	struct rec_control	*c;
	char			*copy, *stmt, *s1, *s2, *k, *a[6];
	int			 n;

	r->target.host = xstrdup(FB);
	r->target.input = xstrdup(FB);
	r->target.port = 443;
	copy = xstrdup(spec);
	for (stmt = strtok_r(copy, ";", &s1); stmt != NULL;
	    stmt = strtok_r(NULL, ";", &s1)) {
		if ((k = strtok_r(stmt, " ", &s2)) == NULL)
			continue;
		memset(a, 0, sizeof a);
		for (n = 0; n < 6 && (a[n] = strtok_r(NULL, " ", &s2)) != NULL;
		    n++)
			;
		c = k[0] == 'v' ? record_control(r) : NULL;
		if (c != NULL && c->url == NULL)
			c->url = xstrdup("https://vantage.test");
		if (strcmp(k, "pdns") == 0)
			set_dns(record_add_dns(r), ROLE_PROBE, nul(a[0]), a[1]);
		else if (strcmp(k, "cdns") == 0)
			set_dns(record_add_dns(r), ROLE_CONTROL, nul(a[0]),
			    a[1]);
		else if (strcmp(k, "ptcp") == 0)
			set_tcp(record_add_tcp(r), ROLE_PROBE, a[0], nul(a[1]));
		else if (strcmp(k, "ptls") == 0)
			set_tls(record_add_tls(r), ROLE_PROBE, a[0], a[1],
			    nul(a[2]), a[3], issuer(a[4]),
			    a[5] != NULL && *a[5] == 'T');
		else if (strcmp(k, "ptlsr") == 0) {
			set_tls(record_add_tls(r), ROLE_PROBE, a[0], a[1],
			    nul(a[2]), NULL, NULL, 0);
			r->tls[r->n_tls - 1].residual_of = xstrdup(a[3]);
		}
		else if (strcmp(k, "vdns") == 0)
			set_dns(rec_control_add_dns(c), ROLE_CONTROL,
			    nul(a[0]), a[1]);
		else if (strcmp(k, "vtcp") == 0)
			set_tcp(rec_control_add_tcp(c), ROLE_PROBE, a[0],
			    nul(a[1]));
		else if (strcmp(k, "vtls") == 0)
			set_tls(rec_control_add_tls(c), ROLE_PROBE, a[0], a[1],
			    nul(a[2]), a[3], issuer(a[4]),
			    a[5] != NULL && *a[5] == 'T');
		else if (strcmp(k, "vfail") == 0)
			c->failure = xstrdup(a[0]);
		else
			ck_abort_msg("bad statement %s", k);
	}
	free(copy);
	for (n = 0; n < (int)r->n_tls; n++)
		r->tls[n].t0_ms = 10.0 * (n + 1);
	return r;
}

/* --- the rules ------------------------------------------------------------ */

#define NX	"dns_nxdomain_error"
#define TO	"generic_timeout_error"
#define RST	"connection_reset"
#define REF	"connection_refused"
#define P_OK	"pdns ok " IP1 ";"
#define V_DNS	"vdns ok " IP1 ";"

static const struct {
	const char		*name, *spec;
	enum verdict_status	 status;
	enum verdict_method	 method;
	const char		*detail;
} cases[] = {
	/* DNS */
	{ "nxdomain, vantage resolved", "pdns " NX ";" V_DNS,
	    STATUS_BLOCKED, METHOD_DNS_NXDOMAIN, "vantage resolved" },
	{ "timeout, vantage resolved", "pdns " TO ";" V_DNS,
	    STATUS_BLOCKED, METHOD_DNS_TIMEOUT, "vantage" },
	{ "servfail, vantage resolved", "pdns dns_servfail_error;" V_DNS,
	    STATUS_BLOCKED, METHOD_DNS_SERVFAIL, NULL },
	{ "nxdomain, vantage nxdomain too", "pdns " NX "; vdns " NX,
	    STATUS_DOWN, METHOD_DNS_NXDOMAIN, "vantage" },
	{ "nxdomain, vantage unreachable", "pdns " NX "; vfail "
	    "connection_refused", STATUS_ANOMALY, METHOD_DNS_NXDOMAIN, NULL },
	{ "nxdomain, no vantage", "pdns " NX, STATUS_ANOMALY,
	    METHOD_DNS_NXDOMAIN, NULL },
	{ "control resolver wins", "pdns " NX "; cdns ok " IP1 "; vdns " NX,
	    STATUS_BLOCKED, METHOD_DNS_NXDOMAIN, "the control" },
	{ "bogon, vantage public", "pdns ok 10.10.34.34;" V_DNS
	    "ptcp 10.10.34.34 " TO, STATUS_BLOCKED, METHOD_DNS_BOGON,
	    "vantage resolved it to " IP1 },
	{ "bogon, no vantage", "pdns ok 10.10.34.34; ptcp 10.10.34.34 " TO,
	    STATUS_ANOMALY, METHOD_DNS_BOGON, NULL },
	{ "other address, trusted handshake", "pdns ok " IP2 "; vdns ok "
	    IP1 "; ptcp " IP2 " ok; ptls " IP2 " " FB " ok fbkey digi T",
	    STATUS_OK, METHOD_NONE, NULL },
	/* TCP */
	{ "tcp timeout, vantage connected", P_OK "ptcp " IP1 " " TO ";"
	    V_DNS "vtcp " IP1 " ok; vtls " IP1 " " FB " ok fbkey digi T",
	    STATUS_BLOCKED, METHOD_TCP_TIMEOUT, "vantage connected to " IP1 },
	{ "tcp refused, vantage connected", P_OK "ptcp " IP1 " " REF ";"
	    "vtcp " IP1 " ok", STATUS_BLOCKED, METHOD_TCP_REFUSED, NULL },
	{ "tcp reset, vantage connected", P_OK "ptcp " IP1 " " RST ";"
	    "vtcp " IP1 " ok", STATUS_BLOCKED, METHOD_TCP_RESET, NULL },
	{ "tcp refused, vantage refused too", P_OK "ptcp " IP1 " " REF ";"
	    V_DNS "vtcp " IP1 " " REF, STATUS_DOWN, METHOD_TCP_REFUSED,
	    "vantage too" },
	{ "tcp timeout, vantage's guard", P_OK "ptcp " IP1 " " TO ";"
	    "vtcp " IP1 " control_refused_address", STATUS_ANOMALY,
	    METHOD_TCP_TIMEOUT, NULL },
	{ "tcp timeout, vantage elsewhere only", P_OK "ptcp " IP1 " " TO ";"
	    "vtcp " IP2 " ok", STATUS_ANOMALY, METHOD_TCP_TIMEOUT, NULL },
	{ "tcp timeout, vantage failed to answer", P_OK "ptcp " IP1 " " TO
	    "; vfail generic_timeout_error", STATUS_ANOMALY,
	    METHOD_TCP_TIMEOUT, NULL },
	/* TLS */
	{ "tls reset, vantage completed", P_OK "ptcp " IP1 " ok; ptls " IP1
	    " " FB " " RST "; vtcp " IP1 " ok; vtls " IP1 " " FB
	    " ok fbkey digi T", STATUS_BLOCKED, METHOD_TLS_RESET,
	    "vantage completed" },
	{ "tls timeout, vantage completed untrusted", P_OK "ptcp " IP1
	    " ok; ptls " IP1 " " FB " " TO "; vtls " IP1 " " FB
	    " ssl_unknown_authority fbkey digi U", STATUS_BLOCKED,
	    METHOD_TLS_TIMEOUT, NULL },
	{ "tls eof, vantage completed", P_OK "ptcp " IP1 " ok; ptls " IP1
	    " " FB " eof_error; vtls " IP2 " " FB " ok fbkey digi T",
	    STATUS_BLOCKED, METHOD_TLS_EOF, NULL },
	{ "tls timeout, vantage timeout too", P_OK "ptcp " IP1 " ok; ptls "
	    IP1 " " FB " " TO "; vtcp " IP1 " ok; vtls " IP1 " " FB " " TO,
	    STATUS_DOWN, METHOD_TLS_TIMEOUT, "vantage too" },
	{ "tls reset, no vantage", P_OK "ptcp " IP1 " ok; ptls " IP1 " " FB
	    " " RST, STATUS_ANOMALY, METHOD_TLS_RESET, NULL },
	{ "tls_sni beats the vantage", P_OK "ptcp " IP1 " ok; ptls " IP1
	    " " FB " " RST "; ptls " IP1 " example.org ok exkey digi T;"
	    "vtls " IP1 " " FB " " RST, STATUS_BLOCKED, METHOD_TLS_SNI, NULL },
	/* residual blocking: the baseline worked, then another target's
	 * handshake failed there, then this one's */
#define BASE	P_OK "ptcp " IP1 " ok; ptls " IP1 " example.org ok exkey digi T;"
	{ "residual: control SNI fails after too", BASE "ptlsr " IP1 " " FB
	    " " RST " bad.test; ptls " IP1 " example.org " RST ";"
	    "vtls " IP1 " " FB " ok fbkey digi T", STATUS_ANOMALY,
	    METHOD_NONE, "set off by bad.test" },
	{ "residual: no vantage, no control after", BASE "ptlsr " IP1 " " FB
	    " " TO " bad.test", STATUS_ANOMALY, METHOD_NONE,
	    "not blamed" },
	{ "residual suspected, control SNI works after", BASE "ptlsr " IP1
	    " " FB " " RST " bad.test; ptls " IP1 " example.org ok exkey "
	    "digi T", STATUS_BLOCKED, METHOD_TLS_SNI, NULL },
	{ "residual at one address, reset at another", BASE "ptlsr " IP1 " "
	    FB " " RST " bad.test; ptls " IP1 " example.org " RST ";"
	    "ptcp " IP2 " ok; ptls " IP2 " " FB " " RST "; vtls " IP1 " " FB
	    " ok fbkey digi T", STATUS_BLOCKED, METHOD_TLS_RESET,
	    "vantage completed" },
	{ "no residual: the baseline before confirms", BASE "ptls " IP1 " "
	    FB " " RST, STATUS_BLOCKED, METHOD_TLS_SNI, NULL },
#undef BASE
	/* interception through the vantage's view of the key */
	{ "unlisted root, vantage sees the real key", P_OK "ptcp " IP1
	    " ok; ptls " IP1 " " FB " ssl_unknown_authority mitmkey rogue U;"
	    "vtls " IP1 " " FB " ok fbkey digi T", STATUS_INTERCEPTED,
	    METHOD_TLS_MITM, "vantage" },
	{ "untrusted, vantage sees the same key", P_OK "ptcp " IP1
	    " ok; ptls " IP1 " " FB " ssl_unknown_authority fbkey digi U;"
	    "vtls " IP1 " " FB " ok fbkey digi T", STATUS_ANOMALY,
	    METHOD_NONE, NULL },
	{ "unlisted root, vantage untrusted", P_OK "ptcp " IP1
	    " ok; ptls " IP1 " " FB " ssl_unknown_authority mitmkey rogue U;"
	    "vtls " IP1 " " FB " ssl_unknown_authority k2 rogue U",
	    STATUS_ANOMALY, METHOD_NONE, NULL },
	{ "ok stays ok", P_OK "ptcp " IP1 " ok; ptls " IP1 " " FB
	    " ok fbkey digi T; vtcp " IP1 " " TO, STATUS_OK, METHOD_NONE,
	    NULL },
};

START_TEST(test_rules)
{
	struct verdict_ctx	 ctx;
	struct record		*r;

	memset(&ctx, 0, sizeof ctx);
	ctx.control_sni = "example.org";
	r = build(cases[_i].spec);
	verdict_decide(r, &ctx, &r->verdict);
	ck_assert_msg(r->verdict.status == cases[_i].status &&
	    r->verdict.method == cases[_i].method,
	    "%s: got %s/%s (%s)", cases[_i].name,
	    verdict_status_name(r->verdict.status),
	    verdict_method_name(r->verdict.method) != NULL ?
	    verdict_method_name(r->verdict.method) : "null",
	    r->verdict.detail);
	if (cases[_i].detail != NULL)
		ck_assert_msg(strstr(r->verdict.detail, cases[_i].detail) !=
		    NULL, "%s: '%s' lacks '%s'", cases[_i].name,
		    r->verdict.detail, cases[_i].detail);
	record_free(r);
}
END_TEST

/*
 * Local inspection by a root in no list: records that only a system-only
 * root intercepts are candidates; their handshakes, with the vantage's
 * view, make inspect_common_root() name the root; the verdict is error.
 */
static struct record *
local_rec(const struct verdict_ctx *ctx, const char *spec)
{
	struct record	*r = build(spec);
	size_t		 i;

	for (i = 0; i < r->n_tls; i++)
		r->tls[i].trusted_by_system = r->tls[i].n_chain > 0 &&
		    !r->tls[i].trusted;
	verdict_decide(r, ctx, &r->verdict);
	return r;
}

#define LOCAL	P_OK "ptcp " IP1 " ok; ptls " IP1 " " FB \
	" ssl_unknown_authority mitmkey rogue U;"
#define VREAL	"vtls " IP1 " " FB " ok fbkey digi T"

START_TEST(test_local_root)
{
	struct verdict_ctx	 ctx;
	struct ica		 kz;
	struct inspect_seen	 seen[8];
	struct record		*a, *b, *c, *d;
	size_t			 n;

	memset(&ctx, 0, sizeof ctx);
	ctx.control_sni = "example.org";
	a = local_rec(&ctx, LOCAL VREAL);
	b = local_rec(&ctx, LOCAL "vfail connection_refused");
	c = local_rec(&ctx, P_OK "ptcp " IP1 " ok; ptls " IP1 " " FB
	    " ok fbkey digi T");
	ck_assert_int_eq(a->verdict.status, STATUS_INTERCEPTED);
	ck_assert_int_eq(verdict_local_candidate(a, &ctx), 1);
	ck_assert_int_eq(verdict_local_candidate(b, &ctx), 1);
	ck_assert_int_eq(verdict_local_candidate(c, &ctx), 0);

	/* A known interception root is never local inspection. */
	memset(&kz, 0, sizeof kz);
	kz.subject = (char *)ROGUE;
	ctx.cas = &kz;
	ctx.n_cas = 1;
	d = local_rec(&ctx, LOCAL VREAL);
	ck_assert_int_eq(d->verdict.status, STATUS_INTERCEPTED);
	ck_assert_int_eq(verdict_local_candidate(d, &ctx), 0);
	ctx.cas = NULL;
	ctx.n_cas = 0;

	n = verdict_inspect_seen(a, &ctx, seen, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(seen[0].root, ROGUE);
	ck_assert_int_eq(seen[0].trusted_by_system, 1);
	ck_assert_int_eq(seen[0].vantage_real, 1);
	n += verdict_inspect_seen(b, &ctx, seen + n, 8 - n);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(seen[1].vantage_real, 0);
	ck_assert_ptr_nonnull(inspect_common_root(seen, n, 2));
	ck_assert_str_eq(inspect_common_root(seen, n, 2), ROGUE);
	/* Without the vantage's view of a real key: nothing. */
	ck_assert_ptr_null(inspect_common_root(seen + 1, 1, 1));
	/* A round with a trusted handshake too: not every one. */
	n += verdict_inspect_seen(c, &ctx, seen + n, 8 - n);
	ck_assert_ptr_null(inspect_common_root(seen, n, 2));

	verdict_local_root(a, ROGUE, &a->verdict);
	ck_assert_int_eq(a->verdict.status, STATUS_ERROR);
	ck_assert_int_eq(a->verdict.method, METHOD_NONE);
	ck_assert_ptr_null(a->verdict.interception_ca);
	ck_assert_ptr_nonnull(strstr(a->verdict.detail,
	    "inspected on this machine"));
	ck_assert_ptr_nonnull(strstr(a->verdict.detail,
	    "Unlisted Interception Root"));
	record_free(a);
	record_free(b);
	record_free(c);
	record_free(d);
}
END_TEST

START_TEST(test_wants)
{
	struct record	*r = record_new();

	r->verdict.status = STATUS_OK;
	ck_assert_int_eq(vantage_wants(r), 0);
	r->verdict.status = STATUS_INTERCEPTED;
	ck_assert_int_eq(vantage_wants(r), 0);
	r->verdict.status = STATUS_ANOMALY;
	ck_assert_int_eq(vantage_wants(r), 1);
	r->verdict.status = STATUS_BLOCKED;
	ck_assert_int_eq(vantage_wants(r), 1);
	r->verdict.status = STATUS_ERROR;
	ck_assert_int_eq(vantage_wants(r), 1);
	record_free(r);
}
END_TEST

/* --- the request and the answer ------------------------------------------ */

START_TEST(test_request)
{
	struct record		*r[2];
	msgpack_sbuffer		 sb;
	msgpack_unpacked	 u;
	const msgpack_object	*t;
	size_t			 used = 0;
	int64_t			 v;
	char			 s[64];

	r[0] = build("pdns ok " IP1 "; pdns ok " IP2 "; pdns ok " IP1
	    "; cdns ok 9.9.9.9");
	r[1] = record_new();
	r[1]->target.host = xstrdup("192.0.2.7");
	r[1]->target.port = 8443;
	msgpack_sbuffer_init(&sb);
	vantage_pack_request(r, 2, 3000, &sb);
	msgpack_unpacked_init(&u);
	ck_assert(msgpack_unpack_next(&u, sb.data, sb.size, &used) ==
	    MSGPACK_UNPACK_SUCCESS);
	ck_assert_int_eq(mp_get_int(&u.data, "timeout_ms", &v), 0);
	ck_assert_int_eq(v, 3000);
	t = mp_get(&u.data, "targets");
	ck_assert(t != NULL && t->via.array.size == 2);
	ck_assert_int_eq(mp_get_str(&t->via.array.ptr[0], "host", s,
	    sizeof s), 0);
	ck_assert_str_eq(s, FB);
	ck_assert_int_eq(mp_get_str(&t->via.array.ptr[0], "sni", s,
	    sizeof s), 0);
	ck_assert_str_eq(s, FB);
	/* The probe's own answers, each once; not the control's. */
	ck_assert_uint_eq(mp_get(&t->via.array.ptr[0], "addrs")->via.array.size,
	    2);
	ck_assert_int_eq(mp_get_str(&t->via.array.ptr[0], "addrs.1", s,
	    sizeof s), 0);
	ck_assert_str_eq(s, IP2);
	/* An IP literal: no SNI, no addresses. */
	ck_assert(mp_get(&t->via.array.ptr[1], "sni")->type ==
	    MSGPACK_OBJECT_NIL);
	ck_assert_int_eq(mp_get_int(&t->via.array.ptr[1], "port", &v), 0);
	ck_assert_int_eq(v, 8443);
	/* No GET: the vantage is asked for none. */
	ck_assert_ptr_null(mp_get(&t->via.array.ptr[0], "http"));
	ck_assert_ptr_null(mp_get(&t->via.array.ptr[0], "http_port"));
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	record_free(r[0]);
	record_free(r[1]);
}
END_TEST

/*
 * The GETs the probe made are asked of the vantage: "http" for one over
 * the target's own handshake (not the control SNI's), "http_port" for a
 * plain one, its port read from its URL.
 */
START_TEST(test_request_http)
{
	struct record		*r[3];
	struct rec_http		*h;
	msgpack_sbuffer		 sb;
	msgpack_unpacked	 u;
	const msgpack_object	*t, *o;
	size_t			 used = 0;
	int64_t			 v;

	r[0] = build("pdns ok " IP1);
	h = record_add_http(r[0]);
	h->url = xstrdup("https://" FB "/");
	h->sni = xstrdup("example.org");
	r[1] = build("pdns ok " IP1);
	h = record_add_http(r[1]);
	h->url = xstrdup("https://" FB "/");
	h->sni = xstrdup(FB);
	h = record_add_http(r[1]);
	h->url = xstrdup("http://" FB "/path?q");
	r[2] = build("pdns ok " IP1);
	h = record_add_http(r[2]);
	h->url = xstrdup("http://" FB ":8080/");
	msgpack_sbuffer_init(&sb);
	vantage_pack_request(r, 3, 3000, &sb);
	msgpack_unpacked_init(&u);
	ck_assert(msgpack_unpack_next(&u, sb.data, sb.size, &used) ==
	    MSGPACK_UNPACK_SUCCESS);
	t = mp_get(&u.data, "targets");
	ck_assert(t != NULL && t->via.array.size == 3);
	ck_assert_ptr_null(mp_get(&t->via.array.ptr[0], "http"));
	ck_assert_ptr_null(mp_get(&t->via.array.ptr[0], "http_port"));
	o = mp_get(&t->via.array.ptr[1], "http");
	ck_assert(o != NULL && o->type == MSGPACK_OBJECT_BOOLEAN &&
	    o->via.boolean);
	ck_assert_int_eq(mp_get_int(&t->via.array.ptr[1], "http_port", &v), 0);
	ck_assert_int_eq(v, 80);
	ck_assert_ptr_null(mp_get(&t->via.array.ptr[2], "http"));
	ck_assert_int_eq(mp_get_int(&t->via.array.ptr[2], "http_port", &v), 0);
	ck_assert_int_eq(v, 8080);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	record_free(r[0]);
	record_free(r[1]);
	record_free(r[2]);
}
END_TEST

static void
pk_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

/* An answer for host:port with one refused tcp entry and a tls entry. */
static void
answer(msgpack_sbuffer *sb, const char *host, int port, const char *time)
{
	msgpack_packer	pk;

	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	pk_str(&pk, "vantage");
	pk_str(&pk, "v1");
	pk_str(&pk, "time");
	pk_str(&pk, time);
	pk_str(&pk, "elapsed_ms");
	msgpack_pack_double(&pk, 800.0);
	pk_str(&pk, "results");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 5);
	pk_str(&pk, "host");
	pk_str(&pk, host);
	pk_str(&pk, "port");
	msgpack_pack_int(&pk, port);
	pk_str(&pk, "dns");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 4);
	pk_str(&pk, "resolver");
	pk_str(&pk, "system");
	pk_str(&pk, "query_type");
	pk_str(&pk, "A");
	pk_str(&pk, "failure");
	msgpack_pack_nil(&pk);
	pk_str(&pk, "answers");
	msgpack_pack_array(&pk, 2);
	msgpack_pack_map(&pk, 2);
	pk_str(&pk, "type");
	pk_str(&pk, "A");
	pk_str(&pk, "ip");
	pk_str(&pk, IP1);
	msgpack_pack_map(&pk, 2);
	pk_str(&pk, "type");
	pk_str(&pk, "CNAME");
	pk_str(&pk, "hostname");
	msgpack_pack_str(&pk, 5);
	msgpack_pack_str_body(&pk, "a\0b.c", 5);	/* hostile: a NUL */
	pk_str(&pk, "tcp");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 4);
	pk_str(&pk, "ip");
	pk_str(&pk, IP1);
	pk_str(&pk, "port");
	msgpack_pack_int(&pk, port);
	pk_str(&pk, "source");
	pk_str(&pk, "probe");
	pk_str(&pk, "failure");
	pk_str(&pk, "connection_refused");
	pk_str(&pk, "tls");
	msgpack_pack_array(&pk, 0);
}

START_TEST(test_answer)
{
	struct record	*r[1];
	msgpack_sbuffer	 sb;
	char		 err[200];
	int64_t		 t;

	r[0] = build("pdns ok " IP1 "; ptcp " IP1 " " REF);
	ck_assert_int_eq(util_parse_rfc3339_ms("2026-11-25T18:00:00.000Z",
	    &t), 0);
	/* Another target's result: refused, nothing filled. */
	answer(&sb, "www.youtube.com", 443, "2026-11-25T18:00:00.000Z");
	ck_assert_int_eq(vantage_read_answer(sb.data, sb.size, r, 1,
	    "https://v.test", (double)t, (double)t + 1000, err, sizeof err),
	    -1);
	ck_assert_ptr_null(r[0]->control);
	msgpack_sbuffer_destroy(&sb);
	answer(&sb, FB, 80, "2026-11-25T18:00:00.000Z");
	ck_assert_int_eq(vantage_read_answer(sb.data, sb.size, r, 1,
	    "https://v.test", (double)t, (double)t + 1000, err, sizeof err),
	    -1);
	msgpack_sbuffer_destroy(&sb);
	/* Truncated: refused. */
	answer(&sb, FB, 443, "2026-11-25T18:00:00.000Z");
	ck_assert_int_eq(vantage_read_answer(sb.data, sb.size / 2, r, 1,
	    "https://v.test", 0, 0, err, sizeof err), -1);
	/*
	 * Sent at t, back at t + 1000 (the vantage worked 800 ms: 200 ms
	 * of network, 100 each way); the vantage's clock said t - 400 when
	 * it answered, at t + 900 on the probe's: skew +1300.
	 */
	msgpack_sbuffer_destroy(&sb);
	answer(&sb, FB, 443, "2026-11-25T17:59:59.600Z");
	ck_assert_int_eq(vantage_read_answer(sb.data, sb.size, r, 1,
	    "https://v.test", (double)t, (double)t + 1000, err, sizeof err),
	    0);
	ck_assert_ptr_nonnull(r[0]->control);
	ck_assert_ptr_null(r[0]->control->failure);
	ck_assert_str_eq(r[0]->control->url, "https://v.test");
	ck_assert(fabs(r[0]->control->clock_skew_ms - 1300.0) < 0.01);
	ck_assert_uint_eq(r[0]->control->n_dns, 1);
	ck_assert_uint_eq(r[0]->control->dns[0].n_answers, 2);
	ck_assert_str_eq(r[0]->control->dns[0].answers[1].value, "a\\x00b.c");
	ck_assert_uint_eq(r[0]->control->n_tcp, 1);
	ck_assert_str_eq(r[0]->control->tcp[0].failure, "connection_refused");
	/* The verdict reads it: refused from both sides is down. */
	verdict_decide(r[0], NULL, &r[0]->verdict);
	ck_assert_int_eq(r[0]->verdict.status, STATUS_DOWN);
	msgpack_sbuffer_destroy(&sb);
	record_free(r[0]);
}
END_TEST

static Suite *
vantage_suite(void)
{
	Suite	*s = suite_create("vantage");
	TCase	*tc = tcase_create("verdict");

	tcase_add_loop_test(tc, test_rules, 0, sizeof cases / sizeof cases[0]);
	tcase_add_test(tc, test_wants);
	tcase_add_test(tc, test_local_root);
	suite_add_tcase(s, tc);
	tc = tcase_create("wire");
	tcase_add_test(tc, test_request);
	tcase_add_test(tc, test_request_http);
	tcase_add_test(tc, test_answer);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(vantage_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
