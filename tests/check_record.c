/*
 * The one record definition: every field packs and validates; values that
 * do not fit are escaped, clamped or flagged, never cut silently; records
 * from older probes (without the newer keys) still validate; newer keys
 * are type-checked when present; and whatever the field values, what the
 * packer writes validates (random records through tests/record-arb.c).
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "log.h"
#include "mp.h"
#include "record-arb.h"
#include "record.h"
#include "test-record.h"
#include "xmalloc.h"

/* When set, full_record()'s detail is over the limit (flagged). */
static int	long_detail;

/* A record with every field of docs/record.md set. */
static struct record *
full_record(void)
{
	struct record		*r;
	struct rec_dns		*d;
	struct rec_reply	*rp;
	struct rec_answer	*a;
	struct rec_tcp		*t;
	struct rec_tls		*s;
	struct rec_cert		*c;
	struct rec_http		*h;
	struct rec_sample	*sm;
	struct rec_control	*ctl;
	static const unsigned char der[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };

	r = record_new();
	util_uuid4(r->run_id);
	r->probe_id = xstrdup("probe-1");
	r->start_ms = 1795629603123LL;
	r->tz_offset = 18000;
	r->runtime_ms = 812.5;
	r->target.input = xstrdup("http://www.facebook.com/");
	r->target.host = xstrdup("www.facebook.com");
	r->target.port = 443;

	d = record_add_dns(r);
	d->resolver = xstrdup("system");
	d->server = xstrdup("192.0.2.53:53");
	d->transport = TRANSPORT_UDP;
	d->query_type = 1;
	d->rcode = xstrdup("NOERROR");
	d->t0_ms = 0.4;
	d->t_ms = 3.1;
	a = rec_dns_add_answer(d);
	a->type = ANSWER_A;
	a->value = xstrdup("10.10.34.35");
	rp = rec_dns_add_reply(d);
	rp->t_ms = 3.1;
	rp->rcode = xstrdup("NOERROR");
	a = rec_reply_add_answer(rp);
	a->type = ANSWER_A;
	a->value = xstrdup("10.10.34.35");
	rp = rec_dns_add_reply(d);
	rp->t_ms = 40.5;
	rp->rcode = xstrdup("NOERROR");
	a = rec_reply_add_answer(rp);
	a->type = ANSWER_A;
	a->value = xstrdup("157.240.1.35");
	a->ttl = 60;

	d = record_add_dns(r);
	d->resolver = xstrdup("https://dns.example/dns-query");
	d->server = xstrdup("192.0.2.1:443");
	d->transport = TRANSPORT_DOH;
	d->role = ROLE_CONTROL;
	d->query_type = 28;
	d->failure = xstrdup("ssl_unknown_authority");
	d->t0_ms = 0.5;
	d->t_ms = 12;

	c = sample_tls(r, "CN=www.facebook.com", "CN=Qaznet Trust Network",
	    &t, &s);
	t->t0_ms = 3.5;
	rec_cert_add_san(c, "www.facebook.com", 16);
	rec_cert_set_der(c, der, sizeof der);
	s->t0_ms = 5;

	h = record_add_http(r);
	h->url = xstrdup("http://www.facebook.com/");
	h->ip = xstrdup("157.240.1.35");
	h->status = 302;
	h->server = xstrdup("nginx");
	h->location = xstrdup("http://blocked.example/");
	h->content_type = xstrdup("text/html");
	h->body_length = 5;
	memset(h->body_sha256, 'c', 64);
	h->title = xstrdup("Blocked");
	sm = rec_http_add_sample(h);
	sm->t_ms = 100;
	sm->bytes = 5;
	h->t0_ms = 20;
	h->t_ms = 140.5;

	ctl = record_control(r);
	ctl->url = xstrdup("https://collector.example:8443");
	ctl->has_time = 1;
	ctl->time_ms = 1795629603000LL;
	ctl->clock_skew_ms = -12;
	ctl->t_ms = 95.1;
	t = rec_control_add_tcp(ctl);
	t->ip = xstrdup("157.240.1.35");
	t->port = 443;
	t->t_ms = 2;
	h = rec_control_add_http(ctl);
	h->url = xstrdup("http://www.facebook.com/");
	h->ip = xstrdup("157.240.1.35");
	h->failure = xstrdup("connection_reset");

	r->verdict.status = STATUS_BLOCKED;
	r->verdict.method = METHOD_HTTP_BLOCKPAGE;
	r->verdict.blockpage = xstrdup("nginx_blockpage_kz");
	if (long_detail) {
		r->verdict.detail = xcalloc(1, REC_MAX_STR + 2);
		memset(r->verdict.detail, 'x', REC_MAX_STR + 1);
	} else
		r->verdict.detail = xstrdup("blockpage");
	return r;
}

struct packed {
	msgpack_sbuffer		sb;
	msgpack_unpacked	u;
	struct buf		json;
};

static const msgpack_object *
pack(const struct record *r, struct packed *p)
{
	msgpack_packer	pk;
	size_t		used;
	char		err[256];

	msgpack_sbuffer_init(&p->sb);
	msgpack_packer_init(&pk, &p->sb, msgpack_sbuffer_write);
	record_pack(r, &pk);
	msgpack_unpacked_init(&p->u);
	ck_assert_int_eq(mp_unpack_one(&p->u, p->sb.data, p->sb.size, &used),
	    0);
	ck_assert_uint_eq(used, p->sb.size);
	err[0] = '\0';
	ck_assert_msg(record_validate(&p->u.data, err, sizeof err) == 0,
	    "packed record invalid: %s", err);
	memset(&p->json, 0, sizeof p->json);
	mp_to_json(&p->u.data, &p->json);
	return &p->u.data;
}

static void
packed_free(struct packed *p)
{
	msgpack_unpacked_destroy(&p->u);
	msgpack_sbuffer_destroy(&p->sb);
	buf_free(&p->json);
}

static void
has(const struct packed *p, const char *s)
{
	ck_assert_msg(strstr(p->json.data, s) != NULL, "missing %s in %s", s,
	    p->json.data);
}

START_TEST(every_field)
{
	struct record		*r = full_record();
	struct packed		 p;
	const msgpack_object	*o = pack(r, &p);
	const msgpack_object	*x;

	has(&p, "\"server\":\"192.0.2.53:53\",\"transport\":\"udp\"");
	has(&p, "\"transport\":\"doh\",\"role\":\"control\",\"query_type\":"
	    "\"AAAA\"");
	has(&p, "\"replies\":[{\"t_ms\":3.1,\"rcode\":\"NOERROR\",\"answers\":"
	    "[{\"type\":\"A\",\"ip\":\"10.10.34.35\",\"ttl\":0}]},{\"t_ms\":40.5");
	has(&p, "\"t0_ms\":0.4,\"t_ms\":3.1}");
	has(&p, "\"failure\":null,\"t0_ms\":3.5,\"t_ms\":1.25}");
	has(&p, "\"der\":\"MAMCAQA=\"");
	has(&p, "\"http\":[{\"url\":\"http://www.facebook.com/\",\"ip\":"
	    "\"157.240.1.35\",\"sni\":null,\"failure\":null,\"status\":302,"
	    "\"headers\":{\"server\":\"nginx\",\"location\":"
	    "\"http://blocked.example/\",\"content-type\":\"text/html\"},"
	    "\"body_length\":5,\"body_sha256\":\"cccc");
	has(&p, "\"title\":\"Blocked\",\"truncated\":false,\"samples\":"
	    "[[100.0,5]],\"t0_ms\":20.0,\"t_ms\":140.5}]");
	has(&p, "\"control\":{\"url\":\"https://collector.example:8443\","
	    "\"failure\":null,\"time\":\"2026-11-25T18:00:03.000Z\","
	    "\"clock_skew_ms\":-12.0,\"dns\":[],\"tcp\":[{");
	has(&p, "\"status\":null,\"headers\":{},\"body_length\":0,"
	    "\"body_sha256\":null,\"title\":null");
	has(&p, "\"verdict\":{\"status\":\"blocked\",\"method\":"
	    "\"http_blockpage\",\"interception_ca\":null,\"blockpage\":"
	    "\"nginx_blockpage_kz\",\"detail\":\"blockpage\"}}");
	x = mp_get(o, "tls.0.chain.0.der");
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(x->type, MSGPACK_OBJECT_BIN);
	ck_assert_uint_eq(x->via.bin.size, 5);
	/* One reply: no "replies" key. */
	ck_assert_ptr_null(mp_get(o, "dns.1.replies"));
	packed_free(&p);
	record_free(r);
}
END_TEST

START_TEST(every_name)
{
	struct record	*r = full_record();
	struct packed	 p;
	char		 s[64];
	int		 i;

	/* Every status, method and transport packs and validates. */
	for (i = 0; i < STATUS_COUNT; i++) {
		r->verdict.status = (enum verdict_status)i;
		pack(r, &p);
		ck_assert_int_eq(mp_get_str(&p.u.data, "verdict.status", s,
		    sizeof s), 0);
		ck_assert_str_eq(s, verdict_status_name(i));
		packed_free(&p);
	}
	for (i = 0; i < METHOD_COUNT; i++) {
		r->verdict.method = (enum verdict_method)i;
		pack(r, &p);
		if (i == METHOD_NONE)
			ck_assert_int_eq(mp_get(&p.u.data,
			    "verdict.method")->type, MSGPACK_OBJECT_NIL);
		else {
			ck_assert_int_eq(mp_get_str(&p.u.data,
			    "verdict.method", s, sizeof s), 0);
			ck_assert_str_eq(s, verdict_method_name(i));
			ck_assert_int_eq(verdict_method_lookup(s, strlen(s)),
			    i);
		}
		packed_free(&p);
	}
	for (i = 0; i < TRANSPORT_COUNT; i++) {
		r->dns[0].transport = (enum rec_transport)i;
		pack(r, &p);
		ck_assert_int_eq(mp_get_str(&p.u.data, "dns.0.transport", s,
		    sizeof s), 0);
		ck_assert_str_eq(s, rec_transport_names[i]);
		packed_free(&p);
	}
	ck_assert_str_eq(verdict_status_name(STATUS_THROTTLED), "throttled");
	ck_assert_str_eq(verdict_method_name(METHOD_DNS_INJECTION),
	    "dns_injection");
	ck_assert_str_eq(verdict_method_name(METHOD_HTTP_THROTTLED),
	    "http_throttled");
	ck_assert_int_eq(verdict_method_lookup("tls_throttled", 13),
	    METHOD_TLS_THROTTLED);
	ck_assert_int_eq(verdict_method_lookup("tls_throttle", 12), -1);
	record_free(r);
}
END_TEST

START_TEST(cname_root)
{
	struct record		*r = full_record();
	struct rec_answer	*a = rec_dns_add_answer(&r->dns[0]);
	struct packed		 p;
	char			 s[8];

	a->type = ANSWER_CNAME;
	a->value = xstrdup("");		/* what c-ares gives for the root */
	pack(r, &p);
	ck_assert_int_eq(mp_get_str(&p.u.data, "dns.0.answers.1.hostname", s,
	    sizeof s), 0);
	ck_assert_str_eq(s, ".");
	packed_free(&p);
	record_free(r);
}
END_TEST

START_TEST(san_with_nul)
{
	struct record	*r = full_record();
	struct rec_cert	*c = &r->tls[0].chain[0];
	struct packed	 p;
	char		 s[64];

	rec_cert_add_san(c, "a.example\0.evil", 15);
	rec_cert_add_san(c, "back\\slash\x7f", 11);
	pack(r, &p);
	ck_assert_int_eq(mp_get_str(&p.u.data, "tls.0.chain.0.san.1", s,
	    sizeof s), 0);
	ck_assert_str_eq(s, "a.example\\x00.evil");
	ck_assert_int_eq(mp_get_str(&p.u.data, "tls.0.chain.0.san.2", s,
	    sizeof s), 0);
	ck_assert_str_eq(s, "back\\\\slash\\x7f");
	ck_assert_ptr_null(mp_get(&p.u.data, "tls.0.chain.0.san_truncated"));
	packed_free(&p);
	record_free(r);
}
END_TEST

START_TEST(long_subject_flagged)
{
	struct record		*r = full_record();
	struct rec_cert		*c = &r->tls[0].chain[0];
	struct packed		 p;
	const msgpack_object	*x;

	free(c->subject);
	c->subject = xmalloc(70 * 1024 + 1);
	memset(c->subject, 'A', 70 * 1024);
	memcpy(c->subject, "CN=", 3);
	c->subject[70 * 1024] = '\0';
	pack(r, &p);
	x = mp_get(&p.u.data, "tls.0.chain.0.subject");
	ck_assert_int_eq(x->type, MSGPACK_OBJECT_STR);
	ck_assert_uint_eq(x->via.str.size, REC_MAX_STR);
	ck_assert_int_eq(memcmp(x->via.str.ptr, "CN=AAA", 6), 0);
	x = mp_get(&p.u.data, "tls.0.chain.0.subject_truncated");
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(x->type, MSGPACK_OBJECT_BOOLEAN);
	ck_assert(x->via.boolean);
	ck_assert_ptr_null(mp_get(&p.u.data, "tls.0.chain.0.issuer_truncated"));
	packed_free(&p);
	record_free(r);
}
END_TEST

START_TEST(utf8_cut_on_boundary)
{
	struct record		*r = full_record();
	struct packed		 p;
	const msgpack_object	*x;
	size_t			 i, n = REC_MAX_STR + 2;

	free(r->verdict.detail);
	r->verdict.detail = xmalloc(n + 1);
	for (i = 0; i < n; i += 3)
		memcpy(r->verdict.detail + i, "\xe2\x82\xac", 3);	/* EUR */
	r->verdict.detail[n] = '\0';
	pack(r, &p);
	x = mp_get(&p.u.data, "verdict.detail");
	ck_assert_uint_le(x->via.str.size, REC_MAX_STR);
	ck_assert_uint_eq(x->via.str.size % 3, 0);
	ck_assert_ptr_nonnull(mp_get(&p.u.data, "verdict.detail_truncated"));
	packed_free(&p);
	record_free(r);
}
END_TEST

START_TEST(too_many_sans_flagged)
{
	struct record		*r = full_record();
	struct rec_cert		*c = &r->tls[0].chain[0];
	struct packed		 p;
	const msgpack_object	*x;
	char			 name[32];
	int			 i;

	for (i = 0; i < REC_MAX_SAN + 10; i++) {
		snprintf(name, sizeof name, "h%d.example", i);
		rec_cert_add_san(c, name, strlen(name));
	}
	ck_assert_uint_eq(c->n_san, REC_MAX_SAN);
	ck_assert(c->san_truncated);
	pack(r, &p);
	x = mp_get(&p.u.data, "tls.0.chain.0.san");
	ck_assert_uint_eq(x->via.array.size, REC_MAX_SAN);
	x = mp_get(&p.u.data, "tls.0.chain.0.san_truncated");
	ck_assert(x != NULL && x->type == MSGPACK_OBJECT_BOOLEAN &&
	    x->via.boolean);
	packed_free(&p);
	record_free(r);
}
END_TEST

START_TEST(huge_der_flagged)
{
	struct record	*r = full_record();
	struct rec_cert	*c = &r->tls[0].chain[0];
	struct packed	 p;

	free(c->der);
	c->der = xcalloc(1, REC_MAX_BIN + 1);
	c->der_len = REC_MAX_BIN + 1;
	pack(r, &p);
	ck_assert_ptr_null(mp_get(&p.u.data, "tls.0.chain.0.der"));
	ck_assert_ptr_nonnull(mp_get(&p.u.data, "tls.0.chain.0.der_truncated"));
	packed_free(&p);
	record_free(r);
}
END_TEST

START_TEST(bad_numbers_clamped)
{
	struct record	*r = full_record();
	struct packed	 p;
	double		 v;

	r->runtime_ms = NAN;
	r->dns[0].t0_ms = -5;
	r->tls[0].t_ms = INFINITY;
	r->control->clock_skew_ms = NAN;
	r->target.port = 70000;
	r->tz_offset = 99 * 3600;
	pack(r, &p);
	ck_assert_int_eq(mp_get_num(&p.u.data, "runtime_ms", &v), 0);
	ck_assert(v == 0);
	ck_assert_int_eq(mp_get_num(&p.u.data, "dns.0.t0_ms", &v), 0);
	ck_assert(v == 0);
	ck_assert_int_eq(mp_get(&p.u.data, "control.clock_skew_ms")->type,
	    MSGPACK_OBJECT_NIL);
	packed_free(&p);
	record_free(r);
}
END_TEST

/* Replace (or with repl NULL remove) the value at a dotted path. */
typedef void (*repl_fn)(msgpack_packer *);

static void
copy(msgpack_packer *pk, const msgpack_object *o, const char *path,
    const char *at, repl_fn repl)
{
	char		 sub[256];
	uint32_t	 i, n;

	switch (o->type) {
	case MSGPACK_OBJECT_MAP:
		n = 0;
		for (i = 0; i < o->via.map.size; i++) {
			const msgpack_object_str *k = &o->via.map.ptr[i].key.via.str;

			snprintf(sub, sizeof sub, "%s%s%.*s", at, *at ? "." : "",
			    (int)k->size, k->ptr);
			if (!(repl == NULL && strcmp(sub, path) == 0))
				n++;
		}
		msgpack_pack_map(pk, n);
		for (i = 0; i < o->via.map.size; i++) {
			const msgpack_object_str *k = &o->via.map.ptr[i].key.via.str;

			snprintf(sub, sizeof sub, "%s%s%.*s", at, *at ? "." : "",
			    (int)k->size, k->ptr);
			if (strcmp(sub, path) == 0) {
				if (repl == NULL)
					continue;
				msgpack_pack_object(pk, o->via.map.ptr[i].key);
				repl(pk);
				continue;
			}
			msgpack_pack_object(pk, o->via.map.ptr[i].key);
			copy(pk, &o->via.map.ptr[i].val, path, sub, repl);
		}
		break;
	case MSGPACK_OBJECT_ARRAY:
		msgpack_pack_array(pk, o->via.array.size);
		for (i = 0; i < o->via.array.size; i++) {
			snprintf(sub, sizeof sub, "%s.%u", at, (unsigned)i);
			copy(pk, &o->via.array.ptr[i], path, sub, repl);
		}
		break;
	default:
		msgpack_pack_object(pk, *o);
		break;
	}
}

static int
validate_changed(const char *path, repl_fn repl, char *err, size_t errlen)
{
	struct record		*r = full_record();
	struct packed		 p;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	msgpack_unpacked	 u;
	size_t			 used;
	int			 rc;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	copy(&pk, pack(r, &p), path, "", repl);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(mp_unpack_one(&u, sb.data, sb.size, &used), 0);
	err[0] = '\0';
	rc = record_validate(&u.data, err, errlen);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	packed_free(&p);
	record_free(r);
	return rc;
}

static void r_nil(msgpack_packer *pk) { msgpack_pack_nil(pk); }
static void r_int(msgpack_packer *pk) { msgpack_pack_int(pk, 5); }
static void r_neg(msgpack_packer *pk) { msgpack_pack_double(pk, -1.5); }
static void r_true(msgpack_packer *pk) { msgpack_pack_true(pk); }
static void r_map(msgpack_packer *pk) { msgpack_pack_map(pk, 0); }
static void
r_word(msgpack_packer *pk)
{
	msgpack_pack_str(pk, 5);
	msgpack_pack_str_body(pk, "maybe", 5);
}
static void
r_pair3(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 1);
	msgpack_pack_array(pk, 3);
	msgpack_pack_int(pk, 1);
	msgpack_pack_int(pk, 2);
	msgpack_pack_int(pk, 3);
}

/* Records spooled before the newer keys existed still validate. */
START_TEST(older_records_validate)
{
	static const char *const optional[] = {
		"http", "control", "verdict.blockpage", "dns.0.t0_ms",
		"dns.0.server", "dns.0.transport", "dns.0.replies",
		"tcp.0.t0_ms", "tls.0.t0_ms", "tls.0.source",
		"tls.0.chain.0.der", "control.time", "control.clock_skew_ms",
		"control.dns", "control.http",
	};
	char	err[256];
	size_t	i;

	for (i = 0; i < sizeof optional / sizeof optional[0]; i++)
		ck_assert_msg(validate_changed(optional[i], NULL, err,
		    sizeof err) == 0, "without %s: %s", optional[i], err);
	/* control may be null: no vantage was asked. */
	ck_assert_int_eq(validate_changed("control", r_nil, err, sizeof err),
	    0);
}
END_TEST

/* The newer keys are type-checked when present. */
START_TEST(newer_keys_typed)
{
	static const struct {
		const char	*path;
		repl_fn		 repl;
		const char	*reason;
	} bad[] = {
		{ "dns.0.t0_ms", r_neg, "dns[0].t0_ms: bad value" },
		{ "dns.0.transport", r_word, "dns[0].transport" },
		{ "dns.0.server", r_int, "dns[0].server" },
		{ "dns.0.replies", r_word, "dns[0].replies" },
		{ "dns.0.replies.0.t_ms", NULL, "dns[0].replies[0].t_ms: missing" },
		{ "tcp.0.t0_ms", r_word, "tcp[0].t0_ms" },
		{ "tls.0.chain.0.der", r_word, "tls[0].chain[0].der" },
		{ "http", r_map, "http: bad value" },
		{ "http.0.status", r_word, "http[0].status" },
		{ "http.0.headers", r_int, "http[0].headers" },
		{ "http.0.headers.server", r_int, "http[0].headers.server" },
		{ "http.0.samples", r_pair3, "http[0].samples[0]" },
		{ "http.0.t0_ms", NULL, "http[0].t0_ms: missing" },
		{ "http.0.truncated", r_nil, "http[0].truncated" },
		{ "control", r_int, "control: not a map" },
		{ "control.time", r_word, "control.time" },
		{ "control.tcp.0.port", r_word, "control.tcp[0].port" },
		{ "control.http.0.url", NULL, "control.http[0].url: missing" },
		{ "verdict.blockpage", r_true, "verdict.blockpage" },
		{ "tls.0.chain.0.san", r_true, "san" },
	};
	char	err[256];
	size_t	i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(validate_changed(bad[i].path, bad[i].repl, err,
		    sizeof err) == -1, "accepted: %s", bad[i].path);
		ck_assert_msg(strstr(err, bad[i].reason) != NULL,
		    "%s: reason '%s'", bad[i].path, err);
	}
}
END_TEST

START_TEST(flags_are_booleans)
{
	char	err[256];

	/* A "<key>_truncated" flag that is not a boolean is refused. */
	long_detail = 1;
	ck_assert_int_eq(validate_changed("", NULL, err, sizeof err), 0);
	ck_assert_int_eq(validate_changed("verdict.detail_truncated", r_word,
	    err, sizeof err), -1);
	ck_assert_str_eq(err, "verdict.detail_truncated: bad value");
	long_detail = 0;
	/* der is bin, not a boolean or a string. */
	ck_assert_int_eq(validate_changed("tls.0.chain.0.der", r_true, err,
	    sizeof err), -1);
}
END_TEST

/* Whatever the field values, the packer writes a valid record. */
START_TEST(random_records_validate)
{
	uint8_t		 buf[2048];
	struct record	*r;
	char		 err[256];
	unsigned	 seed = 12345u + (unsigned)_i;
	size_t		 i, n;
	int		 round;

	for (round = 0; round < 200; round++) {
		n = (size_t)(rand_r(&seed) % (int)sizeof buf);
		for (i = 0; i < n; i++)
			buf[i] = (uint8_t)rand_r(&seed);
		r = arb_record(buf, n);
		ck_assert_msg(arb_check(r, err, sizeof err) == 0,
		    "seed %u round %d: %s", 12345u + (unsigned)_i, round, err);
		record_free(r);
	}
}
END_TEST

/* All-0xff input: every count and string over its limit at once. */
START_TEST(everything_over_limits)
{
	uint8_t		 buf[4096];
	struct record	*r;
	char		 err[256];

	memset(buf, 0xff, sizeof buf);
	r = arb_record(buf, sizeof buf);
	ck_assert_msg(arb_check(r, err, sizeof err) == 0, "%s", err);
	record_free(r);
	memset(buf, 0xfd, sizeof buf);
	r = arb_record(buf, sizeof buf);
	ck_assert_msg(arb_check(r, err, sizeof err) == 0, "%s", err);
	record_free(r);
}
END_TEST

START_TEST(impossible_dates)
{
	static const char *const good[] = {
		"2026-01-31T00:00:00Z", "2024-02-29T12:00:00.5Z", "2000-02-29",
		"2026-04-30T23:59:59+05:00", "2026-12-31",
	};
	static const char *const bad[] = {
		"2026-02-31T00:00:00Z", "2026-02-29", "1900-02-29T00:00:00Z",
		"2026-04-31", "2026-06-31T00:00:00Z", "2026-13-01", "2026-00-10",
		"2026-01-00",
	};
	int64_t	ms;
	size_t	i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_assert_msg(util_parse_rfc3339_ms(good[i], &ms) == 0,
		    "refused %s", good[i]);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(util_parse_rfc3339_ms(bad[i], &ms) == -1,
		    "accepted %s", bad[i]);
}
END_TEST

static void r_feb31(msgpack_packer *pk)
{
	msgpack_pack_str(pk, 24);
	msgpack_pack_str_body(pk, "2026-02-31T18:00:03.123Z", 24);
}

START_TEST(impossible_start_time)
{
	char	err[256];

	ck_assert_int_eq(validate_changed("start_time", r_feb31, err,
	    sizeof err), -1);
	ck_assert_str_eq(err, "start_time: bad value");
}
END_TEST

static Suite *
record_suite(void)
{
	Suite	*s = suite_create("record");
	TCase	*tc;

	tc = tcase_create("pack");
	tcase_add_test(tc, every_field);
	tcase_add_test(tc, every_name);
	tcase_add_test(tc, cname_root);
	tcase_add_test(tc, san_with_nul);
	tcase_add_test(tc, long_subject_flagged);
	tcase_add_test(tc, utf8_cut_on_boundary);
	tcase_add_test(tc, too_many_sans_flagged);
	tcase_add_test(tc, huge_der_flagged);
	tcase_add_test(tc, bad_numbers_clamped);
	suite_add_tcase(s, tc);

	tc = tcase_create("schema");
	tcase_add_test(tc, older_records_validate);
	tcase_add_test(tc, newer_keys_typed);
	tcase_add_test(tc, flags_are_booleans);
	tcase_add_test(tc, impossible_dates);
	tcase_add_test(tc, impossible_start_time);
	suite_add_tcase(s, tc);

	tc = tcase_create("arbitrary");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, random_records_validate, 0, 5);
	tcase_add_test(tc, everything_over_limits);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	log_set_level(LOG_ERROR);
	sr = srunner_create(record_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
