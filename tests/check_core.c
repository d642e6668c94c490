/*
 * Unit tests of the foundation: records, msgpack/JSON helpers, the record
 * validator, the spool, target lists and configuration.
 */
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <msgpack.h>
#include <openssl/evp.h>

#include "config.h"
#include "hindex.h"
#include "log.h"
#include "mp.h"
#include "record.h"
#include "spool.h"
#include "targets.h"
#include "test-record.h"
#include "url.h"
#include "util.h"
#include "xmalloc.h"

/* --- helpers -------------------------------------------------------------- */

/* 1 when s (len bytes) is valid UTF-8 without raw control characters. */
static int
clean_utf8(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n, k;

	while (i < len) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			n = 2;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			n = 3;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			n = 4;
		else
			return 0;
		if (len - i < n)
			return 0;
		for (k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
		}
		if (p[i] == 0xed && p[i + 1] >= 0xa0)
			return 0;
		if (p[i] == 0xe0 && p[i + 1] < 0xa0)
			return 0;
		if (p[i] == 0xf0 && p[i + 1] < 0x90)
			return 0;
		if (p[i] == 0xf4 && p[i + 1] >= 0x90)
			return 0;
		i += n;
	}
	return 1;
}

static struct record *
sample_record(void)
{
	struct record		*r;
	struct rec_dns		*d;
	struct rec_answer	*a;
	struct rec_tcp		*t;
	struct rec_tls		*s;
	struct rec_cert		*c;

	r = record_new();
	util_uuid4(r->run_id);
	r->probe_id = xstrdup("probe-1");
	r->start_ms = 1795629603123LL;	/* 2026-11-25T18:00:03.123Z */
	r->tz_offset = 18000;
	r->runtime_ms = 812.5;
	r->target.input = xstrdup("www.facebook.com");
	r->target.host = xstrdup("www.facebook.com");
	r->target.port = 443;
	r->target.category = xstrdup("GRP");
	d = record_add_dns(r);
	d->resolver = xstrdup("system");
	d->query_type = 1;
	d->rcode = xstrdup("NOERROR");
	d->t_ms = 3.1;
	a = rec_dns_add_answer(d);
	a->type = ANSWER_CNAME;
	a->value = xstrdup("star-mini.c10r.facebook.com");
	a = rec_dns_add_answer(d);
	a->type = ANSWER_A;
	a->value = xstrdup("157.240.1.35");
	a->ttl = 60;
	c = sample_tls(r, "CN=*.facebook.com,O=Meta Platforms\\, Inc.",
	    "CN=DigiCert SHA2 High Assurance Server CA", &t, &s);
	c->san = xcalloc(2, sizeof *c->san);
	c->san[0] = xstrdup("*.facebook.com");
	c->san[1] = xstrdup("facebook.com");
	c->n_san = 2;
	s->trusted = 1;
	s->trusted_by_system = 1;
	r->verdict.status = STATUS_OK;
	r->verdict.detail = xstrdup("reachable");
	return r;
}

struct packed {
	msgpack_sbuffer		sb;
	msgpack_unpacked	u;
};

static const msgpack_object *
pack_unpack(const struct record *r, struct packed *p)
{
	msgpack_packer	pk;
	size_t		used;

	msgpack_sbuffer_init(&p->sb);
	msgpack_packer_init(&pk, &p->sb, msgpack_sbuffer_write);
	record_pack(r, &pk);
	msgpack_unpacked_init(&p->u);
	ck_assert_int_eq(mp_unpack_one(&p->u, p->sb.data, p->sb.size, &used),
	    0);
	ck_assert_uint_eq(used, p->sb.size);
	return &p->u.data;
}

static void
packed_free(struct packed *p)
{
	msgpack_unpacked_destroy(&p->u);
	msgpack_sbuffer_destroy(&p->sb);
}

static char *
to_json(const msgpack_object *o)
{
	struct buf	b = { NULL, 0, 0 };

	mp_to_json(o, &b);
	return b.data;
}

static char *
quote(const char *s, size_t len)
{
	struct buf	b = { NULL, 0, 0 };

	json_quote(&b, s, len);
	return b.data;
}

/* --- record --------------------------------------------------------------- */

START_TEST(record_roundtrip)
{
	struct record		*r = sample_record();
	struct packed		 p;
	const msgpack_object	*o;
	char			 s[128], err[128];
	int64_t			 v;
	double			 d;
	char			*json;

	o = pack_unpack(r, &p);
	ck_assert_int_eq(record_validate(o, err, sizeof err), 0);
	ck_assert_int_eq(mp_get_int(o, "schema", &v), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(mp_get_str(o, "id", s, sizeof s), 0);
	ck_assert_str_eq(s, r->id);
	ck_assert_int_eq(mp_get_str(o, "start_time", s, sizeof s), 0);
	ck_assert_str_eq(s, "2026-11-25T18:00:03.123Z");
	ck_assert_int_eq(mp_get_int(o, "tz_offset", &v), 0);
	ck_assert_int_eq(v, 18000);
	ck_assert_int_eq(mp_get_num(o, "runtime_ms", &d), 0);
	ck_assert(d == 812.5);
	ck_assert_int_eq(mp_get_str(o, "software.name", s, sizeof s), 0);
	ck_assert_str_eq(s, "nightjar");
	ck_assert_int_eq(mp_get_str(o, "software.version", s, sizeof s), 0);
	ck_assert_str_eq(s, PACKAGE_VERSION);
	ck_assert_int_eq(mp_get_str(o, "target.category", s, sizeof s), 0);
	ck_assert_str_eq(s, "GRP");
	ck_assert_int_eq(mp_get_str(o, "dns.0.answers.1.ip", s, sizeof s), 0);
	ck_assert_str_eq(s, "157.240.1.35");
	ck_assert_int_eq(mp_get_str(o, "dns.0.answers.0.hostname", s,
	    sizeof s), 0);
	ck_assert_str_eq(s, "star-mini.c10r.facebook.com");
	ck_assert_int_eq(mp_get_str(o, "dns.0.query_type", s, sizeof s), 0);
	ck_assert_str_eq(s, "A");
	ck_assert_int_eq(mp_get_str(o, "tls.0.chain.0.san.1", s, sizeof s), 0);
	ck_assert_str_eq(s, "facebook.com");
	ck_assert_int_eq(mp_get_str(o, "verdict.status", s, sizeof s), 0);
	ck_assert_str_eq(s, "ok");
	ck_assert_ptr_nonnull(mp_get(o, "verdict.method"));
	ck_assert_int_eq(mp_get(o, "verdict.method")->type, MSGPACK_OBJECT_NIL);
	ck_assert_int_eq(mp_get(o, "campaign")->type, MSGPACK_OBJECT_NIL);
	ck_assert_ptr_null(mp_get(o, "dns.1"));
	ck_assert_ptr_null(mp_get(o, "nope.x"));
	ck_assert_int_eq(mp_get_str(o, "target.port", s, sizeof s), -1);
	ck_assert_int_eq(mp_get_str(o, "start_time", s, 5), -1);

	json = to_json(o);
	ck_assert(clean_utf8(json, strlen(json)));
	ck_assert_ptr_nonnull(strstr(json, "\"start_time\":"
	    "\"2026-11-25T18:00:03.123Z\",\"tz_offset\":18000,"
	    "\"runtime_ms\":812.5,"));
	ck_assert_ptr_nonnull(strstr(json, "\"campaign\":null,"));
	ck_assert_ptr_nonnull(strstr(json, "\"t_ms\":3.1}"));
	ck_assert_ptr_nonnull(strstr(json, "\"verdict\":{\"status\":\"ok\","
	    "\"method\":null,\"interception_ca\":null,\"blockpage\":null,"
	    "\"detail\":\"reachable\"}}"));
	ck_assert_ptr_nonnull(strstr(json, "\"trusted\":true,"));
	ck_assert_ptr_nonnull(strstr(json, "O=Meta Platforms\\\\, Inc.\""));
	free(json);
	packed_free(&p);
	record_free(r);
}
END_TEST

START_TEST(record_empty_and_hostile)
{
	struct record		*r = record_new();
	struct packed		 p;
	const msgpack_object	*o;
	char			 err[128], *json;

	util_uuid4(r->run_id);
	r->probe_id = xstrdup("p");
	r->target.input = xstrdup("a\"b\\c\n\x01\x1f\x7f\xff\xc3(\xed\xa0\x80"
	    "\xf0\x9f\x90\xa6 ok");
	r->target.host = xstrdup("h\tq");
	r->target.port = 443;
	r->campaign = xstrdup("");
	r->verdict.status = STATUS_ERROR;
	r->verdict.method = METHOD_NONE;
	o = pack_unpack(r, &p);
	ck_assert_int_eq(record_validate(o, err, sizeof err), 0);
	json = to_json(o);
	ck_assert(clean_utf8(json, strlen(json)));
	ck_assert_ptr_nonnull(strstr(json, "\"input\":\"a\\\"b\\\\c\\n\\u0001"
	    "\\u001f\\u007f\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd\xf0\x9f\x90\xa6 ok\""));
	ck_assert_ptr_nonnull(strstr(json, "\"host\":\"h\\tq\""));
	ck_assert_ptr_nonnull(strstr(json, "\"dns\":[],\"tcp\":[],\"tls\":[],"));
	ck_assert_ptr_nonnull(strstr(json, "\"campaign\":\"\","));
	ck_assert_ptr_nonnull(strstr(json, "\"category\":null}"));
	ck_assert_ptr_nonnull(strstr(json, "\"status\":\"error\","
	    "\"method\":null,"));
	free(json);
	packed_free(&p);
	record_free(r);
	record_free(NULL);
}
END_TEST

START_TEST(verdict_names)
{
	enum verdict_status	s;
	enum verdict_method	m;
	int			i;

	for (i = STATUS_OK; i <= STATUS_ERROR; i++) {
		ck_assert_int_eq(verdict_status_parse(
		    verdict_status_name((enum verdict_status)i), &s), 0);
		ck_assert_int_eq(s, i);
	}
	for (i = METHOD_DNS_NXDOMAIN; i <= METHOD_TLS_MITM; i++) {
		ck_assert_int_eq(verdict_method_parse(
		    verdict_method_name((enum verdict_method)i), &m), 0);
		ck_assert_int_eq(m, i);
	}
	ck_assert_ptr_null(verdict_method_name(METHOD_NONE));
	ck_assert_str_eq(verdict_status_name(STATUS_INTERCEPTED),
	    "intercepted");
	ck_assert_str_eq(verdict_method_name(METHOD_TLS_SNI), "tls_sni");
	ck_assert_int_eq(verdict_status_parse("blocked ", &s), -1);
	ck_assert_int_eq(verdict_method_parse("", &m), -1);
	ck_assert_int_eq(verdict_method_parse(NULL, &m), -1);
}
END_TEST

/* --- JSON and msgpack helpers --------------------------------------------- */

START_TEST(json_quoting)
{
	char	*s;

	s = quote("plain", 5);
	ck_assert_str_eq(s, "\"plain\"");
	free(s);
	s = quote("a\0b", 3);
	ck_assert_str_eq(s, "\"a\\u0000b\"");
	free(s);
	s = quote("\r\b\f/", 4);
	ck_assert_str_eq(s, "\"\\r\\b\\f/\"");
	free(s);
	/* Overlong '/', a lone continuation byte, a cut 3-byte sequence. */
	s = quote("\xc0\xaf|\x80|\xe2\x82", 7);
	ck_assert_str_eq(s, "\"\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd|"
	    "\xef\xbf\xbd\xef\xbf\xbd\"");
	free(s);
	/* Beyond U+10FFFF; valid 2, 3 and 4 byte forms kept. */
	s = quote("\xf4\x90\x80\x80\xc3\xa9\xe2\x82\xac\xf4\x8f\xbf\xbf", 13);
	ck_assert_str_eq(s, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd\xc3\xa9\xe2\x82\xac\xf4\x8f\xbf\xbf\"");
	free(s);
}
END_TEST

START_TEST(json_types)
{
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	msgpack_unpacked	 u;
	size_t			 used;
	char			*json;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 10);
	msgpack_pack_bin(&pk, 5);
	msgpack_pack_bin_body(&pk, "\x00\xff\x10hi", 5);
	msgpack_pack_int64(&pk, -42);
	msgpack_pack_uint64(&pk, 18446744073709551615ULL);
	msgpack_pack_double(&pk, 0.1);
	msgpack_pack_double(&pk, 3.0);
	msgpack_pack_double(&pk, 1.0 / 0.0);
	msgpack_pack_float(&pk, 0.5f);
	msgpack_pack_map(&pk, 2);
	msgpack_pack_int(&pk, 7);
	msgpack_pack_true(&pk);
	msgpack_pack_str(&pk, 1);
	msgpack_pack_str_body(&pk, "k", 1);
	msgpack_pack_array(&pk, 0);
	msgpack_pack_map(&pk, 0);
	msgpack_pack_bin(&pk, 2);
	msgpack_pack_bin_body(&pk, "ab", 2);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(mp_unpack_one(&u, sb.data, sb.size, &used), 0);
	json = to_json(&u.data);
	ck_assert_str_eq(json, "[\"AP8QaGk=\",-42,18446744073709551615,0.1,"
	    "3.0,null,0.5,{\"7\":true,\"k\":[]},{},\"YWI=\"]");
	free(json);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

/* A bin longer than one encoding piece: the same text as in one go. */
START_TEST(json_base64_long)
{
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	msgpack_unpacked	 u;
	size_t			 used, n = 3 * 16384 * 2 + 2, i;
	unsigned char		*bin, *want;
	char			*json;

	bin = xmalloc(n);
	for (i = 0; i < n; i++)
		bin[i] = (unsigned char)(i * 7 + i / 251);
	want = xmalloc((n + 2) / 3 * 4 + 1);
	EVP_EncodeBlock(want, bin, (int)n);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_bin(&pk, n);
	msgpack_pack_bin_body(&pk, bin, n);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(mp_unpack_one(&u, sb.data, sb.size, &used), 0);
	json = to_json(&u.data);
	ck_assert_uint_eq(strlen(json), (n + 2) / 3 * 4 + 2);
	ck_assert(json[0] == '"' && json[strlen(json) - 1] == '"');
	ck_assert(memcmp(json + 1, want, (n + 2) / 3 * 4) == 0);
	ck_assert(memcmp(json + strlen(json) - 2, "=\"", 2) == 0);
	free(json);
	free(want);
	free(bin);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

/* Every key found again, through growth and colliding hashes. */
START_TEST(hindex_keys)
{
	struct hindex	 x;
	char		 key[32];
	size_t		 i, it, pos, found, n = 5000;

	memset(&x, 0, sizeof x);
	it = 0;
	ck_assert_int_eq(hindex_next(&x, 1, &it, &pos), 0);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof key, "host-%zu.example", i);
		hindex_add(&x, hindex_hash(HINDEX_SEED, key, strlen(key)), i);
	}
	/* Three positions under one hash: all three come back. */
	for (i = n; i < n + 3; i++)
		hindex_add(&x, 42, i);
	ck_assert_uint_eq(x.n, n + 3);
	ck_assert_uint_ge(x.cap, 2 * x.n);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof key, "host-%zu.example", i);
		it = 0;
		found = 0;
		while (hindex_next(&x, hindex_hash(HINDEX_SEED, key,
		    strlen(key)), &it, &pos))
			found += pos == i;
		ck_assert_uint_eq(found, 1);
	}
	it = 0;
	found = 0;
	while (hindex_next(&x, 42, &it, &pos)) {
		ck_assert_uint_ge(pos, n);
		found++;
	}
	ck_assert_uint_eq(found, 3);
	/* FNV-1a, continued: hashing in pieces is hashing the whole. */
	ck_assert_uint_eq(hindex_hash(HINDEX_SEED, "", 0), HINDEX_SEED);
	ck_assert_uint_eq(hindex_hash(HINDEX_SEED, "a", 1),
	    0xaf63dc4c8601ec8cULL);
	ck_assert_uint_eq(hindex_hash(hindex_hash(HINDEX_SEED, "ab", 2), "c",
	    1), hindex_hash(HINDEX_SEED, "abc", 3));
	hindex_clear(&x);
	ck_assert_uint_eq(x.n, 0);
	ck_assert_ptr_null(x.slot);
}
END_TEST

START_TEST(util_floor)
{
	static const struct {
		int64_t	a, b, q;
	} cases[] = {
		{ 0, 1000, 0 }, { 999, 1000, 0 }, { 1000, 1000, 1 },
		{ -1, 1000, -1 }, { -1000, 1000, -1 }, { -1001, 1000, -2 },
		{ -86400, 86400, -1 }, { 86399, 86400, 0 },
		{ 1795629603123LL, 1000, 1795629603LL },
	};
	size_t	i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_int_eq(util_floor_div(cases[i].a, cases[i].b),
		    cases[i].q);
}
END_TEST

START_TEST(util_utf8)
{
	static const struct {
		const char	*s;
		size_t		 n, len;
		uint32_t	 cp;
	} cases[] = {
		{ "a", 1, 1, 'a' }, { "\x7f", 1, 1, 0x7f },
		{ "\xc3\xa9", 2, 2, 0xe9 }, { "\xc2\x80", 2, 2, 0x80 },
		{ "\xe2\x82\xac", 3, 3, 0x20ac }, { "\xef\xbf\xbf", 3, 3, 0xffff },
		{ "\xf0\x9f\x98\x80", 4, 4, 0x1f600 },
		{ "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff },
		{ "\xc3\xa9x", 3, 2, 0xe9 },
		/* not UTF-8 */
		{ "\x80", 1, 0, 0 }, { "\xbf", 1, 0, 0 },
		{ "\xc0\x80", 2, 0, 0 }, { "\xc1\xbf", 2, 0, 0 },
		{ "\xe0\x80\x80", 3, 0, 0 }, { "\xf0\x80\x80\x80", 4, 0, 0 },
		{ "\xed\xa0\x80", 3, 0, 0 }, { "\xed\xbf\xbf", 3, 0, 0 },
		{ "\xf4\x90\x80\x80", 4, 0, 0 }, { "\xf5\x80\x80\x80", 4, 0, 0 },
		{ "\xf8\x88\x80\x80\x80", 5, 0, 0 }, { "\xff", 1, 0, 0 },
		{ "\xc3", 1, 0, 0 }, { "\xc3x", 2, 0, 0 },
		{ "\xe2\x82", 2, 0, 0 }, { "\xe2\x82\xac", 2, 0, 0 },
		{ "\xf0\x9f\x98", 3, 0, 0 },
	};
	uint32_t	cp;
	size_t		i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cp = 0xdeadbeef;
		ck_assert_msg(util_utf8_seq(cases[i].s, cases[i].n, &cp) ==
		    cases[i].len, "case %zu", i);
		if (cases[i].len > 0)
			ck_assert_uint_eq(cp, cases[i].cp);
		ck_assert_uint_eq(util_utf8_seq(cases[i].s, cases[i].n, NULL),
		    cases[i].len);
	}
}
END_TEST

START_TEST(util_files)
{
	char	 dir[] = "/tmp/nj-util.XXXXXX", path[64], why[128], *data;
	size_t	 len;
	FILE	*f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/f", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("hello\nworld\n", f);
	fclose(f);
	ck_assert_int_eq(util_read_file(path, 12, &data, &len, why,
	    sizeof why), 0);
	ck_assert_uint_eq(len, 12);
	ck_assert_str_eq(data, "hello\nworld\n");
	free(data);
	/* One byte over the limit: refused, with the limit named. */
	ck_assert_int_eq(util_read_file(path, 11, &data, &len, why,
	    sizeof why), -1);
	ck_assert_str_eq(why, "larger than 11 bytes");
	ck_assert_int_eq(util_read_file(dir, 100, &data, &len, why,
	    sizeof why), -1);
	ck_assert_str_eq(why, "is a directory");
	snprintf(path, sizeof path, "%s/missing", dir);
	ck_assert_int_eq(util_read_file(path, 100, &data, &len, why,
	    sizeof why), -1);
	ck_assert_str_eq(why, strerror(ENOENT));
	/* Not a regular file: read to its end, within the limit. */
	ck_assert_int_eq(util_read_file("/dev/null", 100, &data, &len, why,
	    sizeof why), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(data, "");
	free(data);
	ck_assert_int_eq(util_read_file("/dev/zero", 10000, &data, &len, why,
	    sizeof why), -1);
	ck_assert_str_eq(why, "larger than 10000 bytes");
	ck_assert_int_eq(util_fsync_dir(dir), 0);
	ck_assert_int_eq(util_fsync_dir(path), -1);
	ck_assert_int_eq(errno, ENOENT);
	snprintf(path, sizeof path, "%s/f", dir);
	ck_assert_int_eq(util_fsync_dir(path), -1);	/* not a directory */
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(log_verbosity)
{
	static const struct {
		int		verbose, quiet;
		enum log_level	level;
	} cases[] = {
		{ 0, 0, LOG_WARN }, { 1, 0, LOG_INFO }, { 2, 0, LOG_DEBUG },
		{ 5, 0, LOG_DEBUG }, { 0, 1, LOG_ERROR }, { 2, 1, LOG_ERROR },
	};
	enum log_level	saved = log_get_level();
	size_t		i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		log_set_verbosity(cases[i].verbose, cases[i].quiet);
		ck_assert_int_eq(log_get_level(), cases[i].level);
	}
	log_set_level(saved);
}
END_TEST

/* Walk one value with the cursor's default limits, as every reader does. */
static int
scan(const char *data, size_t len, size_t *used)
{
	struct mp_cursor	c;

	mp_cursor_init(&c, data, len, NULL);
	if (mp_cursor_skip(&c) != 0)
		return -1;
	*used = c.pos;
	return 0;
}

START_TEST(scan_bounds)
{
	size_t	used;
	char	deep[40];
	int	i;

	ck_assert_int_eq(scan("\x81\xa1k\xc0", 4, &used), 0);
	ck_assert_uint_eq(used, 4);
	ck_assert_int_eq(scan("\x81\xa1k\xc0\x90", 5, &used), 0);
	ck_assert_uint_eq(used, 4);
	ck_assert_int_eq(scan("\x81\xa1k", 3, &used), -1);	/* truncated */
	ck_assert_int_eq(scan("", 0, &used), -1);
	ck_assert_int_eq(scan("\xc1", 1, &used), -1);	/* never used */
	/* An array claiming 4 billion elements in 6 bytes. */
	ck_assert_int_eq(scan("\xdd\xff\xff\xff\xff\xc0", 6, &used), -1);
	/* A map claiming 65535 pairs. */
	ck_assert_int_eq(scan("\xde\xff\xff\xc0\xc0", 5, &used), -1);
	/* A str32 longer than the data. */
	ck_assert_int_eq(scan("\xdb\x00\x00\x10\x00xx", 7, &used), -1);
	ck_assert_int_eq(scan("\xd9\x02xy", 4, &used), 0);
	/* fixext, ext8, float64 cut short. */
	ck_assert_int_eq(scan("\xd4\x01\x02", 3, &used), 0);
	ck_assert_int_eq(scan("\xc7\x02\x05" "ab", 5, &used), 0);
	ck_assert_int_eq(scan("\xc7\x02\x05" "a", 4, &used), -1);
	ck_assert_int_eq(scan("\xcb\x00\x00", 3, &used), -1);
	/* Nesting: 20 levels fine, 40 refused. */
	for (i = 0; i < 40; i++)
		deep[i] = '\x91';
	deep[19] = '\xc0';
	ck_assert_int_eq(scan(deep, 20, &used), 0);
	deep[19] = '\x91';
	deep[39] = '\xc0';
	ck_assert_int_eq(scan(deep, 40, &used), -1);
}
END_TEST

/* --- record validation ---------------------------------------------------- */

/*
 * Re-pack a good record with one change made by a callback at the msgpack
 * level: the path's value is replaced by the packer callback (or removed
 * when repl is NULL, or doubled when dup is set).
 */
typedef void (*repl_fn)(msgpack_packer *);

static void
copy_obj(msgpack_packer *pk, const msgpack_object *o, const char *path,
    const char *at, repl_fn repl, int dup)
{
	uint32_t	i, n;
	char		sub[256];

	if (o->type == MSGPACK_OBJECT_MAP) {
		n = o->via.map.size;
		for (i = 0; i < o->via.map.size; i++) {
			const msgpack_object_kv	*kv = &o->via.map.ptr[i];

			snprintf(sub, sizeof sub, "%s%s%.*s", at,
			    *at != '\0' ? "." : "", (int)kv->key.via.str.size,
			    kv->key.via.str.ptr);
			if (strcmp(sub, path) == 0 && repl == NULL && !dup)
				n--;
			if (strcmp(sub, path) == 0 && dup)
				n++;
		}
		msgpack_pack_map(pk, n);
		for (i = 0; i < o->via.map.size; i++) {
			const msgpack_object_kv	*kv = &o->via.map.ptr[i];

			snprintf(sub, sizeof sub, "%s%s%.*s", at,
			    *at != '\0' ? "." : "", (int)kv->key.via.str.size,
			    kv->key.via.str.ptr);
			if (strcmp(sub, path) == 0) {
				if (dup) {
					msgpack_pack_object(pk, kv->key);
					msgpack_pack_object(pk, kv->val);
				} else if (repl == NULL)
					continue;
				msgpack_pack_object(pk, kv->key);
				if (repl != NULL && !dup)
					repl(pk);
				else
					msgpack_pack_object(pk, kv->val);
				continue;
			}
			msgpack_pack_object(pk, kv->key);
			copy_obj(pk, &kv->val, path, sub, repl, dup);
		}
	} else if (o->type == MSGPACK_OBJECT_ARRAY) {
		msgpack_pack_array(pk, o->via.array.size);
		for (i = 0; i < o->via.array.size; i++) {
			snprintf(sub, sizeof sub, "%s.%u", at, (unsigned)i);
			copy_obj(pk, &o->via.array.ptr[i], path, sub, repl, dup);
		}
	} else
		msgpack_pack_object(pk, *o);
}

static int
validate_changed(const char *path, repl_fn repl, int dup, char *err,
    size_t errlen)
{
	struct record		*r = sample_record();
	struct packed		 p;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	msgpack_unpacked	 u;
	size_t			 used;
	int			 rc;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	copy_obj(&pk, pack_unpack(r, &p), path, "", repl, dup);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(mp_unpack_one(&u, sb.data, sb.size, &used), 0);
	rc = record_validate(&u.data, err, errlen);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	packed_free(&p);
	record_free(r);
	return rc;
}

static void r_nil(msgpack_packer *pk) { msgpack_pack_nil(pk); }
static void r_int(msgpack_packer *pk) { msgpack_pack_int(pk, 5); }
static void r_neg(msgpack_packer *pk) { msgpack_pack_int(pk, -5); }
static void r_big(msgpack_packer *pk) { msgpack_pack_int(pk, 70000); }
static void r_nan(msgpack_packer *pk) { msgpack_pack_double(pk, 0.0 / 0.0); }
static void r_float(msgpack_packer *pk) { msgpack_pack_double(pk, 1.5); }
static void r_arr(msgpack_packer *pk) { msgpack_pack_array(pk, 0); }
static void r_true(msgpack_packer *pk) { msgpack_pack_true(pk); }
static void
r_strv(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}
static void r_empty(msgpack_packer *pk) { r_strv(pk, ""); }
static void r_word(msgpack_packer *pk) { r_strv(pk, "maybe"); }
static void r_badtime(msgpack_packer *pk) { r_strv(pk, "yesterday"); }
static void r_baduuid(msgpack_packer *pk)
{
	r_strv(pk, "zzzzzzzz-zzzz-4zzz-8zzz-zzzzzzzzzzzz");
}
static void r_upperuuid(msgpack_packer *pk)
{
	r_strv(pk, "0A1B2C3D-0000-4000-8000-00000000000F");
}
static void r_nul(msgpack_packer *pk)
{
	msgpack_pack_str(pk, 3);
	msgpack_pack_str_body(pk, "a\0b", 3);
}
static void r_arr_of_int(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 1);
	msgpack_pack_int(pk, 1);
}

START_TEST(validate_rejects)
{
	static const struct {
		const char	*path;
		repl_fn		 repl;		/* NULL: remove the key */
		int		 dup;
		const char	*reason;	/* substring of err */
	} bad[] = {
		{ "schema", NULL, 0, "schema: missing" },
		{ "schema", r_int, 0, "schema" },
		{ "id", r_baduuid, 0, "id: bad value" },
		{ "id", r_int, 0, "id: bad value" },
		{ "id", r_upperuuid, 0, "id: bad value" },
		{ "id", NULL, 1, "id: duplicate key" },
		{ "run_id", r_empty, 0, "run_id" },
		{ "probe_id", r_empty, 0, "probe_id" },
		{ "probe_id", r_nul, 0, "probe_id" },
		{ "campaign", r_int, 0, "campaign" },
		{ "campaign", NULL, 0, "campaign: missing" },
		{ "software", r_nil, 0, "software" },
		{ "software.version", NULL, 0, "software.version: missing" },
		{ "start_time", r_badtime, 0, "start_time" },
		{ "start_time", r_int, 0, "start_time" },
		{ "tz_offset", r_float, 0, "tz_offset" },
		{ "tz_offset", r_big, 0, "tz_offset" },
		{ "runtime_ms", r_neg, 0, "runtime_ms" },
		{ "runtime_ms", r_nan, 0, "runtime_ms" },
		{ "target", r_arr, 0, "target" },
		{ "target.port", r_big, 0, "target.port" },
		{ "target.port", r_nil, 0, "target.port" },
		{ "target.host", r_empty, 0, "target.host" },
		{ "target.category", NULL, 0, "target.category: missing" },
		{ "dns", r_nil, 0, "dns" },
		{ "dns", r_arr_of_int, 0, "dns[0]: not a map" },
		{ "dns.0.role", r_word, 0, "dns[0].role" },
		{ "dns.0.query_type", r_word, 0, "dns[0].query_type" },
		{ "dns.0.answers", r_arr_of_int, 0, "dns[0].answers[0]" },
		{ "dns.0.answers.1.ip", NULL, 0, "dns[0].answers[1]" },
		{ "dns.0.t_ms", r_word, 0, "dns[0].t_ms" },
		{ "tcp.0.source", r_int, 0, "tcp[0].source" },
		{ "tcp.0.failure", r_true, 0, "tcp[0].failure" },
		{ "tls", r_arr_of_int, 0, "tls[0]" },
		{ "tls.0.trusted", r_int, 0, "tls[0].trusted" },
		{ "tls.0.trusted_by_system", NULL, 0, "trusted_by_system" },
		{ "tls.0.chain.0.sha256", r_word, 0, "chain[0].sha256" },
		{ "tls.0.chain.0.san", r_arr_of_int, 0, "san[0]" },
		{ "tls.0.sni", r_arr, 0, "tls[0].sni" },
		{ "verdict", r_nil, 0, "verdict" },
		{ "verdict.status", r_word, 0, "verdict.status" },
		{ "verdict.method", r_word, 0, "verdict.method" },
		{ "verdict.detail", r_nil, 0, "verdict.detail" },
		{ "verdict.interception_ca", NULL, 0, "interception_ca" },
	};
	char	err[256];
	size_t	i;

	ck_assert_int_eq(validate_changed("", NULL, 0, err, sizeof err), 0);
	/* Extra keys are welcome; method may be null. */
	ck_assert_int_eq(validate_changed("verdict.method", r_nil, 0, err,
	    sizeof err), 0);
	ck_assert_int_eq(validate_changed("runtime_ms", r_int, 0, err,
	    sizeof err), 0);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		ck_assert_msg(validate_changed(bad[i].path, bad[i].repl,
		    bad[i].dup, err, sizeof err) == -1, "accepted: %s",
		    bad[i].path);
		ck_assert_msg(strstr(err, bad[i].reason) != NULL,
		    "%s: reason '%s'", bad[i].path, err);
	}
}
END_TEST

START_TEST(validate_not_map)
{
	msgpack_object	o;
	char		err[64];

	memset(&o, 0, sizeof o);
	o.type = MSGPACK_OBJECT_ARRAY;
	ck_assert_int_eq(record_validate(&o, err, sizeof err), -1);
	ck_assert_str_eq(err, "record is not a map");
	ck_assert_int_eq(record_validate(NULL, NULL, 0), -1);
}
END_TEST

/* --- spool ---------------------------------------------------------------- */

static char *
tmpdir(void)
{
	char	tmpl[] = "/tmp/nj-check-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

static void
rm_rf(const char *dir)
{
	char	*cmd;

	xasprintf(&cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE	*f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* Two records packed back to back. */
static void
two_records(msgpack_sbuffer *sb, char ids[2][UUID_STRLEN + 1])
{
	msgpack_packer	 pk;
	struct record	*r;
	int		 i;

	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	for (i = 0; i < 2; i++) {
		r = sample_record();
		memcpy(ids[i], r->id, sizeof ids[i]);
		record_pack(r, &pk);
		record_free(r);
	}
}

struct seen {
	int	n;
	char	ids[8][UUID_STRLEN + 1];
};

static int
seen_cb(const msgpack_object *o, const char *raw, size_t rawlen, void *arg)
{
	struct seen	*s = arg;
	char		 err[128];

	ck_assert_int_eq(record_validate(o, err, sizeof err), 0);
	ck_assert(rawlen > 0 && ((unsigned char)raw[0] == 0xde ||
	    ((unsigned char)raw[0] & 0xf0) == 0x80));
	if (s->n < 8)
		mp_get_str(o, "id", s->ids[s->n], sizeof s->ids[0]);
	s->n++;
	return 0;
}

START_TEST(spool_write_read)
{
	char			*dir = tmpdir(), *path, ids[2][UUID_STRLEN + 1];
	msgpack_sbuffer		 sb;
	struct spool_files	 f;
	struct seen		 s;
	DIR			*d;
	struct dirent		*de;
	int			 n = 0;

	ck_assert_int_eq(spool_prepare(dir), 0);
	two_records(&sb, ids);
	ck_assert_int_eq(spool_write(dir, "b.msgpack", sb.data, sb.size), 0);
	ck_assert_int_eq(spool_write(dir, NULL, sb.data, sb.size), 0);
	ck_assert_int_eq(spool_write(dir, ".hidden", sb.data, sb.size), -1);
	ck_assert_int_eq(spool_write(dir, "../x.msgpack", sb.data, sb.size),
	    -1);
	/* No temporaries left behind; only our files and the subdirs. */
	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		ck_assert_msg(de->d_name[0] != '.', "left %s", de->d_name);
		n++;
	}
	closedir(d);
	ck_assert_int_eq(n, 4);		/* 2 files, sent/, rejected/ */

	xasprintf(&path, "%s/sent/a.msgpack", dir);
	write_file(path, sb.data, sb.size);
	free(path);
	xasprintf(&path, "%s/.tmp.msgpack", dir);
	write_file(path, "junk", 4);
	free(path);
	xasprintf(&path, "%s/notes.txt", dir);
	write_file(path, "junk", 4);
	free(path);

	ck_assert_int_eq(spool_list(dir, 0, &f), 0);
	ck_assert_uint_eq(f.n, 2);
	ck_assert_ptr_nonnull(strstr(f.path[1], "/b.msgpack"));
	ck_assert_ptr_nonnull(strstr(f.path[0], ".msgpack"));
	ck_assert_ptr_null(strstr(f.path[0], "/."));
	memset(&s, 0, sizeof s);
	ck_assert_int_eq(spool_read_file(f.path[1], seen_cb, &s), 0);
	ck_assert_int_eq(s.n, 2);
	ck_assert_str_eq(s.ids[0], ids[0]);
	ck_assert_str_eq(s.ids[1], ids[1]);
	spool_files_free(&f);
	spool_files_free(NULL);

	ck_assert_int_eq(spool_list(dir, 1, &f), 0);
	ck_assert_uint_eq(f.n, 1);
	ck_assert_ptr_nonnull(strstr(f.path[0], "/sent/a.msgpack"));
	spool_files_free(&f);

	msgpack_sbuffer_destroy(&sb);
	rm_rf(dir);
	ck_assert_int_eq(spool_list(dir, 0, &f), -1);
	free(dir);
}
END_TEST

START_TEST(spool_damaged)
{
	char			*dir = tmpdir(), *path, ids[2][UUID_STRLEN + 1];
	char			 junk[64];
	msgpack_sbuffer		 sb;
	struct seen		 s;
	size_t			 cut;

	two_records(&sb, ids);
	xasprintf(&path, "%s/x.msgpack", dir);
	/* Every truncation of two records yields nothing, and -1. */
	for (cut = 1; cut < sb.size; cut += 37) {
		write_file(path, sb.data, cut);
		memset(&s, 0, sizeof s);
		ck_assert_int_eq(spool_read_file(path, seen_cb, &s), -1);
		ck_assert_int_eq(s.n, 0);
	}
	/* Garbage after a good record; a non-map; empty; random bytes. */
	memcpy(junk, "\xc1\xc1\xc1", 3);
	{
		char	*both = xmalloc(sb.size + 3);

		memcpy(both, sb.data, sb.size);
		memcpy(both + sb.size, junk, 3);
		write_file(path, both, sb.size + 3);
		free(both);
	}
	memset(&s, 0, sizeof s);
	ck_assert_int_eq(spool_read_file(path, seen_cb, &s), -1);
	ck_assert_int_eq(s.n, 0);
	write_file(path, "\x92\x01\x02", 3);
	ck_assert_int_eq(spool_read_file(path, seen_cb, &s), -1);
	write_file(path, "", 0);
	ck_assert_int_eq(spool_read_file(path, seen_cb, &s), -1);
	write_file(path, "hello, world\n", 13);
	ck_assert_int_eq(spool_read_file(path, seen_cb, &s), -1);
	ck_assert_int_eq(s.n, 0);
	free(path);
	/* A directory named like a record file. */
	xasprintf(&path, "%s/d.msgpack", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(spool_read_file(path, seen_cb, &s), -1);
	free(path);
	/* Missing file. */
	xasprintf(&path, "%s/none.msgpack", dir);
	ck_assert_int_eq(spool_read_file(path, seen_cb, &s), -1);
	free(path);
	ck_assert_int_eq(s.n, 0);
	msgpack_sbuffer_destroy(&sb);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(spool_probe_id_persisted)
{
	char	*dir = tmpdir(), *a, *b, *path;

	ck_assert_int_eq(spool_prepare(dir), 0);
	a = spool_probe_id(dir);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(strlen(a), UUID_STRLEN);
	b = spool_probe_id(dir);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	xasprintf(&path, "%s/probe-id", dir);
	write_file(path, "my-probe_1.x\n", 13);
	a = spool_probe_id(dir);
	ck_assert_str_eq(a, "my-probe_1.x");
	free(a);
	write_file(path, "bad id\n", 7);
	ck_assert_ptr_null(spool_probe_id(dir));
	free(path);
	ck_assert(spool_valid_probe_id("abc"));
	ck_assert(!spool_valid_probe_id(""));
	ck_assert(!spool_valid_probe_id("a/b"));
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(spool_prepare_nested)
{
	char		*dir = tmpdir(), *sub;
	struct stat	 st;

	xasprintf(&sub, "%s/a/b/results", dir);
	ck_assert_int_eq(spool_prepare(sub), 0);
	ck_assert_int_eq(spool_prepare(sub), 0);
	free(sub);
	xasprintf(&sub, "%s/a/b/results/sent", dir);
	ck_assert_int_eq(stat(sub, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	free(sub);
	xasprintf(&sub, "%s/file", dir);
	write_file(sub, "x", 1);
	ck_assert_int_eq(spool_prepare(sub), -1);
	free(sub);
	rm_rf(dir);
	free(dir);
}
END_TEST


/* --- targets -------------------------------------------------------------- */

static int
load_str(struct targets *t, const char *s)
{
	return targets_load_buffer(t, "list.txt", s, strlen(s));
}

START_TEST(targets_plain)
{
	struct targets	t = { NULL, 0 };
	int		n;

	n = load_str(&t,
	    "# a comment\n"
	    "\n"
	    "www.Facebook.com GRP\n"
	    "  youtube.com:8443   MMED  # trailing comment\r\n"
	    "93.184.216.34\n"
	    "[2001:DB8::1]:444 CTRL\n"
	    "2001:db8::2\n"
	    "[::1]\n"
	    "https://WordPress.com/some/path?q=1 GRP\n"
	    "www.facebook.com\n"		/* duplicate */
	    "example.org.\n");
	ck_assert_int_eq(n, 9);
	ck_assert_uint_eq(t.n, 8);
	ck_assert_str_eq(t.v[0].host, "www.facebook.com");
	ck_assert_str_eq(t.v[0].input, "www.Facebook.com");
	ck_assert_int_eq(t.v[0].port, 443);
	ck_assert_str_eq(t.v[0].category, "GRP");
	ck_assert_int_eq(t.v[0].is_ip, 0);
	ck_assert_str_eq(t.v[1].host, "youtube.com");
	ck_assert_int_eq(t.v[1].port, 8443);
	ck_assert_str_eq(t.v[1].category, "MMED");
	ck_assert_str_eq(t.v[2].host, "93.184.216.34");
	ck_assert_int_eq(t.v[2].is_ip, 1);
	ck_assert_ptr_null(t.v[2].category);
	ck_assert_str_eq(t.v[3].host, "2001:db8::1");
	ck_assert_int_eq(t.v[3].port, 444);
	ck_assert_int_eq(t.v[3].is_ip, 1);
	ck_assert_str_eq(t.v[4].host, "2001:db8::2");
	ck_assert_int_eq(t.v[4].port, 443);
	ck_assert_str_eq(t.v[5].host, "::1");
	ck_assert_str_eq(t.v[6].host, "wordpress.com");
	ck_assert_int_eq(t.v[6].port, 443);
	ck_assert_str_eq(t.v[7].host, "example.org");
	/* A second list: duplicates across files are dropped too. */
	n = load_str(&t, "www.facebook.com:443\nnew.example.net\n");
	ck_assert_int_eq(n, 2);
	ck_assert_uint_eq(t.n, 9);
	ck_assert_str_eq(t.v[8].host, "new.example.net");
	targets_free(&t);
	targets_free(NULL);
}
END_TEST

START_TEST(targets_plain_bad)
{
	static const char *const bad[] = {
		"host:0", "host:65536", "host:http", "bad_host!.com",
		"[2001:db8::1", "[2001:db8::1]x", "[example.com]:443",
		"2001:db8:::1:2", "a..b", ".a", "1.2.3", "999.1.1.1",
		"host GRP extra", "host B@D", "ftp://example.com",
		"https://user@example.com/", "https:///path",
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    ".com",
		"host TOOLONGCATEGORYTOOLONGCATEGORYTOOLONG",
	};
	struct targets	t = { NULL, 0 };
	size_t		i;
	char		nul[] = "a\0b.com\nok.example\n";

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(load_str(&t, bad[i]) == 0, "accepted %s", bad[i]);
		ck_assert_uint_eq(t.n, 0);
	}
	ck_assert_int_eq(targets_load_buffer(&t, "x", nul, sizeof nul - 1), 1);
	ck_assert_str_eq(t.v[0].host, "ok.example");
	targets_free(&t);
	ck_assert_int_eq(load_str(&t, ""), 0);
	ck_assert_int_eq(load_str(&t, "# only\n\n   \n"), 0);
}
END_TEST

START_TEST(targets_csv)
{
	struct targets	t = { NULL, 0 };
	int		n;

	n = load_str(&t,
	    "\xef\xbb\xbf# Citizen Lab list\n"
	    "url,category_code,category_description,date_added,source,notes\n"
	    "https://www.facebook.com/,GRP,Social Networking,2017-04-12,"
	    "citizenlab,\n"
	    "http://youtube.com:8080/watch,MMED,\"Media sharing, video\","
	    "2014-04-15,,\"multi\n"
	    "line \"\"note\"\"\"\n"
	    "\"https://[2001:db8::5]/x\",CTRL,Control,,,\r\n"
	    "\n"
	    "ftp://bad.example/,GRP,,,,\n"
	    "https://bad host/,GRP,,,,\n"
	    "\"https://unterminated.example/,GRP\n");
	ck_assert_int_eq(n, 3);
	ck_assert_uint_eq(t.n, 3);
	ck_assert_str_eq(t.v[0].host, "www.facebook.com");
	ck_assert_str_eq(t.v[0].input, "https://www.facebook.com/");
	ck_assert_str_eq(t.v[0].category, "GRP");
	ck_assert_int_eq(t.v[0].port, 443);
	ck_assert_str_eq(t.v[1].host, "youtube.com");
	ck_assert_int_eq(t.v[1].port, 0);	/* plain HTTP only */
	ck_assert_int_eq(t.v[1].http_port, 8080);
	ck_assert_str_eq(t.v[1].category, "MMED");
	ck_assert_str_eq(t.v[2].host, "2001:db8::5");
	ck_assert_int_eq(t.v[2].is_ip, 1);
	ck_assert_str_eq(t.v[2].category, "CTRL");
	targets_free(&t);

	/* Columns in another order; an empty category is none. */
	n = load_str(&t, "category_code,url\n,https://a.example\n"
	    "NEWS,https://b.example:444\n");
	ck_assert_int_eq(n, 2);
	ck_assert_ptr_null(t.v[0].category);
	ck_assert_str_eq(t.v[1].category, "NEWS");
	ck_assert_int_eq(t.v[1].port, 444);
	targets_free(&t);
	/* No url column at all. */
	ck_assert_int_eq(load_str(&t, "url_x,category_code\nhttps://a.b,X\n"),
	    0);
}
END_TEST

/* Bad lines are reported as file:line on stderr. */
START_TEST(targets_errors_name_lines)
{
	char		*dir = tmpdir(), *path, *errpath, buf[4096];
	struct targets	 t = { NULL, 0 };
	FILE		*f;
	size_t		 n;
	int		 saved;

	xasprintf(&path, "%s/list.txt", dir);
	xasprintf(&errpath, "%s/err", dir);
	write_file(path, "ok.example\n\nbad!host\nhttps://x.example 1 2\n", 44);
	fflush(stderr);
	saved = dup(2);
	ck_assert_int_ge(saved, 0);
	f = fopen(errpath, "w");
	dup2(fileno(f), 2);
	log_set_level(LOG_WARN);
	ck_assert_int_eq(targets_load_file(&t, path), 1);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fclose(f);
	log_set_level(LOG_ERROR);
	f = fopen(errpath, "r");
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	ck_assert_msg(strstr(buf, "list.txt:3: bad character in host name")
	    != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "list.txt:4: trailing text") != NULL, "%s",
	    buf);
	targets_free(&t);
	free(path);
	xasprintf(&path, "%s/missing.txt", dir);
	ck_assert_int_eq(targets_load_file(&t, path), -1);
	ck_assert_int_eq(targets_load_file(&t, dir), -1);
	free(path);
	free(errpath);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* --- config --------------------------------------------------------------- */

static int
parse(struct config *c, int upload, ...)
{
	char	*argv[96];
	int	 argc = 0;
	va_list	 ap;

	argv[argc++] = upload ? "upload" : "run";
	va_start(ap, upload);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	return config_parse_args(c, argc, argv, upload);
}

START_TEST(config_defaults_and_args)
{
	struct config	c;

	config_init(&c);
	ck_assert_str_eq(c.results, "./results");
	ck_assert_int_eq(c.timeout_ms, 5000);
	ck_assert_int_eq(c.concurrency, 64);
	ck_assert_int_eq(c.interval_s, 900);
	ck_assert_int_eq(c.jitter_s, 60);
	ck_assert_str_eq(c.control_sni, "example.org");
	ck_assert_ptr_null(c.ca_file);
	ck_assert_int_eq(parse(&c, 0, "--once", "--targets", "a.txt",
	    "--targets=b.txt", "--resolver", "8.8.8.8", "--resolver",
	    "[2001:db8::53]:5353", "--control-resolver", "127.0.0.1:5300",
	    "--timeout", "250", "--concurrency", "8", "--interval", "60",
	    "--jitter", "0", "--collector", "https://c.example:8443",
	    "--collector", "http://127.0.0.1:9", "--probe-id", "p-1",
	    "--campaign", "kz 2026", "--control-sni", "benign.example",
	    "--schedule", "18:00-24:00/300", "--max-spool", "10", "--rate",
	    "50", "--per-address", "2", "--resume", "-vv", "--ca-file",
	    "/x.pem", "--interception-cas", "/icas", "--collector-ca",
	    "/ca.pem", "--token-file", "/tok", "--results", "/tmp/r", NULL),
	    0);
	ck_assert_int_eq(c.once, 1);
	ck_assert_uint_eq(c.targets.n, 2);
	ck_assert_str_eq(c.targets.v[1], "b.txt");
	ck_assert_uint_eq(c.resolvers.n, 2);
	ck_assert_str_eq(c.control_resolver, "127.0.0.1:5300");
	ck_assert_int_eq(c.timeout_ms, 250);
	ck_assert_int_eq(c.concurrency, 8);
	ck_assert_int_eq(c.interval_s, 60);
	ck_assert_int_eq(c.jitter_s, 0);
	ck_assert_uint_eq(c.collectors.n, 2);
	ck_assert_str_eq(c.probe_id, "p-1");
	ck_assert_str_eq(c.campaign, "kz 2026");
	ck_assert_str_eq(c.control_sni, "benign.example");
	ck_assert_str_eq(c.schedule, "18:00-24:00/300");
	ck_assert_int_eq(c.max_spool_mb, 10);
	ck_assert_int_eq(c.rate, 50);
	ck_assert_int_eq(c.per_address, 2);
	ck_assert_int_eq(c.resume, 1);
	ck_assert_int_eq(c.verbose, 2);
	ck_assert_str_eq(c.ca_file, "/x.pem");
	ck_assert_str_eq(c.interception_cas, "/icas");
	ck_assert_str_eq(c.collector_ca, "/ca.pem");
	ck_assert_str_eq(c.token_file, "/tok");
	ck_assert_str_eq(c.results, "/tmp/r");
	config_free(&c);
	config_free(NULL);
	log_set_level(LOG_ERROR);
}
END_TEST

START_TEST(config_bad_args)
{
	static const char *const bad[][3] = {
		{ "--timeout", "0", NULL }, { "--timeout", "5s", NULL },
		{ "--concurrency", "-1", NULL }, { "--jitter", "", NULL },
		{ "--nope", NULL, NULL }, { "--targets", NULL, NULL },
		{ "--collector", "ftp://x", NULL },
		{ "--collector", "http://example.com", NULL },
		{ "--collector", "https://", NULL },
		{ "--collector", "http://127.evil.example", NULL },
		{ "--collector", "https://user@c.example", NULL },
		{ "--control", "http://127.evil.example:80/", NULL },
		{ "--resolver", "[::1", NULL }, { "--resolver", "1.2.3.4:0", NULL },
		{ "--probe-id", "a b", NULL }, { "stray", NULL, NULL },
		{ "--control-sni", "a/b", NULL }, { "--results", "", NULL },
	};
	struct config	c;
	size_t		i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		config_init(&c);
		ck_assert_msg(parse(&c, 0, bad[i][0], bad[i][1], NULL) == -1,
		    "accepted %s %s", bad[i][0], bad[i][1] ? bad[i][1] : "");
		config_free(&c);
	}
	/* upload refuses run-only options, accepts its own. */
	config_init(&c);
	ck_assert_int_eq(parse(&c, 1, "--targets", "x", NULL), -1);
	config_free(&c);
	config_init(&c);
	ck_assert_int_eq(parse(&c, 1, "--results", "r", "--collector",
	    "https://c.example", "--token-file", "t", "--collector-ca", "ca",
	    NULL), 0);
	config_free(&c);
	config_init(&c);
	ck_assert_int_eq(parse(&c, 0, "--help", NULL), 1);
	config_free(&c);
}
END_TEST

START_TEST(config_file)
{
	char		*dir = tmpdir(), *path, *arg;
	struct config	 c;
	const char	*good =
	    "# nightjar configuration\n"
	    "\n"
	    "targets = /lists/a.txt\n"
	    "  targets=/lists/b.txt   # second list\n"
	    "timeout = 1500\n"
	    "campaign = evening#1\n"
	    "once = yes\n"
	    "--interval = 120\n"
	    "resolver = 9.9.9.9\n";

	xasprintf(&path, "%s/nj.conf", dir);
	write_file(path, good, strlen(good));
	xasprintf(&arg, "--config=%s", path);
	config_init(&c);
	ck_assert_int_eq(parse(&c, 0, arg, "--timeout", "700", "--targets",
	    "/cli.txt", NULL), 0);
	ck_assert_uint_eq(c.targets.n, 1);	/* the command line wins */
	ck_assert_str_eq(c.targets.v[0], "/cli.txt");
	ck_assert_int_eq(c.timeout_ms, 700);
	ck_assert_str_eq(c.campaign, "evening#1");
	ck_assert_int_eq(c.once, 1);
	ck_assert_int_eq(c.interval_s, 120);
	ck_assert_uint_eq(c.resolvers.n, 1);
	ck_assert_str_eq(c.config_file, path);
	config_free(&c);
	config_init(&c);
	ck_assert_int_eq(config_load_file(&c, path), 0);
	ck_assert_uint_eq(c.targets.n, 2);
	ck_assert_int_eq(c.timeout_ms, 1500);
	config_free(&c);
	/* An upload shares the file: run-only names are fine there. */
	config_init(&c);
	ck_assert_int_eq(parse(&c, 1, arg, NULL), 0);
	config_free(&c);
	free(arg);
	free(path);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* Each bad file fails, naming file:line on stderr. */
START_TEST(config_file_errors)
{
	static const struct {
		const char	*text;
		const char	*msg;
	} bad[] = {
		{ "timeout = 5\nbogus = 1\n", "nj.conf:2: unknown option 'bogus'" },
		{ "# c\n\njust words\n", "nj.conf:3: want 'name = value'" },
		{ "timeout = soon\n", "nj.conf:1: --timeout soon" },
		{ "once = maybe\n", "nj.conf:1: once maybe" },
		{ "results =\n", "nj.conf:1: results: empty value" },
		{ "config = other.conf\n", "nj.conf:1: unknown option 'config'" },
		{ "collector = http://10.0.0.1\n", "nj.conf:1: --collector" },
	};
	char		*dir = tmpdir(), *path, *errpath, buf[4096];
	struct config	 c;
	FILE		*f;
	size_t		 i, n;
	int		 saved;

	xasprintf(&path, "%s/nj.conf", dir);
	xasprintf(&errpath, "%s/err", dir);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		write_file(path, bad[i].text, strlen(bad[i].text));
		fflush(stderr);
		saved = dup(2);
		f = fopen(errpath, "w");
		dup2(fileno(f), 2);
		config_init(&c);
		ck_assert_int_eq(config_load_file(&c, path), -1);
		config_free(&c);
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		fclose(f);
		f = fopen(errpath, "r");
		n = fread(buf, 1, sizeof buf - 1, f);
		buf[n] = '\0';
		fclose(f);
		ck_assert_msg(strstr(buf, bad[i].msg) != NULL, "want '%s' in "
		    "'%s'", bad[i].msg, buf);
	}
	config_init(&c);
	free(errpath);
	xasprintf(&errpath, "%s", "--config=/nonexistent/nj.conf");
	ck_assert_int_eq(parse(&c, 0, errpath, NULL), -1);
	config_free(&c);
	free(errpath);
	free(path);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* What editors and people write: a BOM, quoted values, relative paths
 * (from the file's directory), and a NUL byte told apart. */
START_TEST(config_file_forms)
{
	char		*dir = tmpdir(), *path, *want, *errpath, buf[4096];
	struct config	 c;
	FILE		*f;
	size_t		 n;
	int		 saved;
	const char	 text[] =
	    "\xef\xbb\xbf# saved by Notepad\n"
	    "campaign = \"spring # 2026\"   # quoted: the # is kept\n"
	    "control-sni = 'example.net'\n"
	    "targets = lists/a.txt\n"
	    "targets = /abs/b.txt\n"
	    "results = \"spool\"\r\n"
	    "token-file = ../token\n";

	xasprintf(&path, "%s/nj.conf", dir);
	write_file(path, text, sizeof text - 1);
	config_init(&c);
	ck_assert_int_eq(config_load_file(&c, path), 0);
	ck_assert_str_eq(c.campaign, "spring # 2026");
	ck_assert_str_eq(c.control_sni, "example.net");
	ck_assert_uint_eq(c.targets.n, 2);
	xasprintf(&want, "%s/lists/a.txt", dir);
	ck_assert_str_eq(c.targets.v[0], want);
	free(want);
	ck_assert_str_eq(c.targets.v[1], "/abs/b.txt");
	xasprintf(&want, "%s/spool", dir);
	ck_assert_str_eq(c.results, want);
	free(want);
	xasprintf(&want, "%s/../token", dir);
	ck_assert_str_eq(c.token_file, want);
	free(want);
	config_free(&c);

	/* A NUL byte has its own message, with the line. */
	write_file(path, "timeout = 5\nonce = yes\0\n", 24);
	xasprintf(&errpath, "%s/err", dir);
	fflush(stderr);
	saved = dup(2);
	f = fopen(errpath, "w");
	dup2(fileno(f), 2);
	config_init(&c);
	ck_assert_int_eq(config_load_file(&c, path), -1);
	config_free(&c);
	/* An unclosed quote is an error too. */
	write_file(path, "campaign = \"open\n", strlen("campaign = \"open\n"));
	config_init(&c);
	ck_assert_int_eq(config_load_file(&c, path), -1);
	config_free(&c);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fclose(f);
	f = fopen(errpath, "r");
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	ck_assert_msg(strstr(buf, "nj.conf:2: a NUL byte") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "quote not closed") != NULL, "%s", buf);
	free(errpath);
	free(path);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* Timestamps in logs unless stderr is the journal. */
START_TEST(log_journal)
{
	ck_assert_int_eq(log_is_journal("8:1234", 8, 1234), 1);
	ck_assert_int_eq(log_is_journal("8:1234", 8, 1235), 0);
	ck_assert_int_eq(log_is_journal("9:1234", 8, 1234), 0);
	ck_assert_int_eq(log_is_journal(NULL, 8, 1234), 0);
	ck_assert_int_eq(log_is_journal("", 8, 1234), 0);
	ck_assert_int_eq(log_is_journal("8:1234x", 8, 1234), 0);
	ck_assert_int_eq(log_is_journal("garbage", 0, 0), 0);
}
END_TEST

/* HOST[:PORT] as every option and list writes it. */
START_TEST(url_hostports)
{
	static const struct {
		const char	*in;
		int		 flags;
		const char	*host;		/* NULL: refused */
		int		 port;
		int		 bracketed;
	} cases[] = {
		{ "1.2.3.4", 0, "1.2.3.4", -1, 0 },
		{ "1.2.3.4:5353", 0, "1.2.3.4", 5353, 0 },
		{ "[::1]:99", 0, "::1", 99, 1 },
		{ "[::1]", 0, "::1", -1, 1 },
		{ "2001:db8::1", 0, "2001:db8::1", -1, 0 },
		{ "example.org:443", 0, "example.org", 443, 0 },
		{ "example.org:65535", 0, "example.org", 65535, 0 },
		{ "127.0.0.1:0", URL_PORT_ZERO, "127.0.0.1", 0, 0 },
		{ "[::1]:0", URL_PORT_ZERO, "::1", 0, 1 },
		{ "127.0.0.1:0", 0, NULL, 0, 0 },
		{ "h:", 0, NULL, 0, 0 },
		{ "", 0, NULL, 0, 0 },
		{ ":53", 0, NULL, 0, 0 },
		{ "[::1]x", 0, NULL, 0, 0 },
		{ "[::1]:", 0, NULL, 0, 0 },
		{ "[::1", 0, NULL, 0, 0 },
		{ "[]:53", 0, NULL, 0, 0 },
		{ "[1.2.3.4]:53", 0, NULL, 0, 0 },
		{ "h:65536", 0, NULL, 0, 0 },
		{ "h:123456", 0, NULL, 0, 0 },
		{ "h:-1", 0, NULL, 0, 0 },
		{ "h:53x", 0, NULL, 0, 0 },
		{ "h: 53", 0, NULL, 0, 0 },
	};
	struct url	u;
	char		host[64];
	size_t		i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char	*why = url_hostport(cases[i].in,
		    strlen(cases[i].in), cases[i].flags, &u);

		if (cases[i].host == NULL) {
			ck_assert_msg(why != NULL, "%s accepted", cases[i].in);
			continue;
		}
		ck_assert_msg(why == NULL, "%s: %s", cases[i].in, why);
		ck_assert_int_eq(url_host(&u, host, sizeof host), 0);
		ck_assert_str_eq(host, cases[i].host);
		ck_assert_int_eq(u.port, cases[i].port);
		ck_assert_int_eq(u.bracketed, cases[i].bracketed);
	}
	/* A host longer than the caller's buffer is refused, not cut. */
	ck_assert_ptr_eq(url_hostport("abcdefghijklmnop", 16, 0, &u), NULL);
	ck_assert_int_eq(url_host(&u, host, 8), -1);
	/* Only the span given is read. */
	ck_assert_ptr_eq(url_hostport("h:53junk", 4, 0, &u), NULL);
	ck_assert_int_eq(u.port, 53);
}
END_TEST

START_TEST(url_urls)
{
	static const struct {
		const char	*in;
		const char	*scheme, *host;	/* host NULL: refused */
		int		 port;
		const char	*path;		/* NULL: none */
	} cases[] = {
		{ "https://example.org", "https", "example.org", -1, NULL },
		{ "https://example.org/", "https", "example.org", -1, "/" },
		{ "HTTP://Example.org:8080/a/b?c=d#frag", "HTTP", "Example.org",
		  8080, "/a/b?c=d" },
		{ "https://[2001:db8::1]:8443/x", "https", "2001:db8::1", 8443,
		  "/x" },
		{ "https://[::1]", "https", "::1", -1, NULL },
		{ "tls://192.0.2.1:853", "tls", "192.0.2.1", 853, NULL },
		{ "https://example.org?q", "https", "example.org", -1, "?q" },
		{ "https://example.org#f", "https", "example.org", -1, NULL },
		{ "https://user@example.org/", NULL, NULL, 0, NULL },
		{ "https://user:pw@example.org/", NULL, NULL, 0, NULL },
		{ "https://", NULL, NULL, 0, NULL },
		{ "https:///x", NULL, NULL, 0, NULL },
		{ "https://:443/", NULL, NULL, 0, NULL },
		{ "https://example.org:/", NULL, NULL, 0, NULL },
		{ "https://example.org:0/", NULL, NULL, 0, NULL },
		{ "https://example.org:443x/", NULL, NULL, 0, NULL },
		{ "https://example.org:99999", NULL, NULL, 0, NULL },
		{ "https://[::1]x/", NULL, NULL, 0, NULL },
		{ "https://[::1/", NULL, NULL, 0, NULL },
		{ "https://2001:db8::1/", NULL, NULL, 0, NULL },
		{ "example.org", NULL, NULL, 0, NULL },
		{ "https:/example.org", NULL, NULL, 0, NULL },
		{ "://example.org", NULL, NULL, 0, NULL },
		{ "1https://example.org", NULL, NULL, 0, NULL },
	};
	struct url	u;
	char		buf[64];
	size_t		i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char	*why = url_parse(cases[i].in,
		    strlen(cases[i].in), &u);

		if (cases[i].host == NULL) {
			ck_assert_msg(why != NULL, "%s accepted", cases[i].in);
			continue;
		}
		ck_assert_msg(why == NULL, "%s: %s", cases[i].in, why);
		ck_assert_int_eq(u.schemelen, strlen(cases[i].scheme));
		ck_assert(url_scheme_is(&u, cases[i].scheme));
		ck_assert_int_eq(url_host(&u, buf, sizeof buf), 0);
		ck_assert_str_eq(buf, cases[i].host);
		ck_assert_int_eq(u.port, cases[i].port);
		if (cases[i].path == NULL)
			ck_assert_ptr_null(u.path);
		else {
			ck_assert_int_eq(u.pathlen, strlen(cases[i].path));
			ck_assert(memcmp(u.path, cases[i].path, u.pathlen) ==
			    0);
		}
	}
	ck_assert_ptr_nonnull(url_parse("https://a.example/x", 7, &u));
	ck_assert_ptr_eq(url_parse("https://a.example/x", 11, &u), NULL);
	ck_assert_int_eq(u.hostlen, 3);
}
END_TEST

START_TEST(url_loopback)
{
	static const struct {
		const char	*host;
		int		 loopback;
	} cases[] = {
		{ "localhost", 1 }, { "LOCALHOST", 1 }, { "127.0.0.1", 1 },
		{ "127.1.2.3", 1 }, { "127.255.255.255", 1 }, { "::1", 1 },
		{ "0:0:0:0:0:0:0:1", 1 },
		{ "127.evil.example", 0 }, { "127.0.0.1.evil.example", 0 },
		{ "localhost.evil.example", 0 }, { "evil-localhost", 0 },
		{ "128.0.0.1", 0 }, { "126.255.255.255", 0 }, { "::2", 0 },
		{ "::", 0 }, { "0.0.0.0", 0 }, { "127.1", 0 }, { "", 0 },
		{ "192.0.2.1", 0 }, { "example.org", 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_msg(url_is_loopback(cases[i].host,
		    strlen(cases[i].host)) == cases[i].loopback, "%s",
		    cases[i].host);
	/* Only the span: "127.0.0.1" of "127.0.0.1x" is loopback. */
	ck_assert_int_eq(url_is_loopback("127.0.0.1x", 9), 1);
	ck_assert_int_eq(url_is_loopback("127.0.0.1x", 10), 0);
}
END_TEST

/* Collector and vantage URLs: one rule for the options and the upload. */
START_TEST(url_servers)
{
	static const struct {
		const char	*in;
		int		 ok, tls, port;
		const char	*host, *hostheader;
	} cases[] = {
		{ "https://collector.example", 1, 1, 443, "collector.example",
		  "collector.example" },
		{ "https://collector.example:8443/", 1, 1, 8443,
		  "collector.example", "collector.example:8443" },
		{ "https://[2001:db8::1]:8443", 1, 1, 8443, "2001:db8::1",
		  "[2001:db8::1]:8443" },
		{ "http://127.0.0.1:8080", 1, 0, 8080, "127.0.0.1",
		  "127.0.0.1:8080" },
		{ "http://127.9.8.7", 1, 0, 80, "127.9.8.7", "127.9.8.7" },
		{ "http://[::1]:81/", 1, 0, 81, "::1", "[::1]:81" },
		{ "http://localhost:81", 1, 0, 81, "localhost",
		  "localhost:81" },
		{ "http://127.evil.example", 0, 0, 0, NULL, NULL },
		{ "http://127.evil.example:8080/", 0, 0, 0, NULL, NULL },
		{ "http://example.com", 0, 0, 0, NULL, NULL },
		{ "http://[::2]", 0, 0, 0, NULL, NULL },
		{ "ftp://x", 0, 0, 0, NULL, NULL },
		{ "https://", 0, 0, 0, NULL, NULL },
		{ "https://user@collector.example", 0, 0, 0, NULL, NULL },
		{ "https://collector.example/path", 0, 0, 0, NULL, NULL },
		{ "https://collector.example?x", 0, 0, 0, NULL, NULL },
		{ "https://collector.example/#x", 0, 0, 0, NULL, NULL },
		{ "https://collector.example:0", 0, 0, 0, NULL, NULL },
		{ "collector.example", 0, 0, 0, NULL, NULL },
	};
	struct url_server	s;
	size_t			i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char	*why = url_server_parse(cases[i].in, &s);

		if (!cases[i].ok) {
			ck_assert_msg(why != NULL, "%s accepted", cases[i].in);
			ck_assert_ptr_null(s.host);
			continue;
		}
		ck_assert_msg(why == NULL, "%s: %s", cases[i].in, why);
		ck_assert_int_eq(s.tls, cases[i].tls);
		ck_assert_int_eq(s.port, cases[i].port);
		ck_assert_str_eq(s.host, cases[i].host);
		ck_assert_str_eq(s.hostheader, cases[i].hostheader);
		ck_assert_str_eq(s.url, cases[i].in);
		url_server_clear(&s);
	}
}
END_TEST

START_TEST(config_data_paths)
{
	char	*ca = config_default_ca_file();

	ck_assert_ptr_nonnull(strstr(ca, "/roots.pem"));
	ck_assert(strcmp(config_datadir(), NJ_PKGDATADIR) == 0 ||
	    strcmp(config_datadir(), NJ_SRCDIR) == 0);
	/* This test runs from the build tree: the tree's data, never the
	 * installed copy, even when one exists. */
	ck_assert_str_eq(config_datadir(), NJ_SRCDIR);
	ck_assert_ptr_nonnull(strstr(ca, NJ_BUILDDIR));
	free(ca);
	ck_assert_int_eq(config_in_build_tree("/src/nj/build/probe/nightjar",
	    "/src/nj/build"), 1);
	ck_assert_int_eq(config_in_build_tree("/src/nj/build/probe/nightjar",
	    "/src/nj/build/"), 1);
	ck_assert_int_eq(config_in_build_tree("/src/nj/build2/probe/nightjar",
	    "/src/nj/build"), 0);
	ck_assert_int_eq(config_in_build_tree("/usr/bin/nightjar",
	    "/src/nj/build"), 0);
	ck_assert_int_eq(config_in_build_tree("/usr/bin/nightjar", ""), 0);
	ck_assert_int_eq(config_in_build_tree(NULL, "/src"), 0);
}
END_TEST

/* --- suite ---------------------------------------------------------------- */
/* Map keys that are maps, 30 deep: each level of quoting doubles escapes. */
static void
pack_key_chain(msgpack_packer *pk, int level)
{
	if (level == 0) {
		msgpack_pack_str(pk, 3);
		msgpack_pack_str_body(pk, "\\\"\\", 3);
		return;
	}
	msgpack_pack_map(pk, 1);
	pack_key_chain(pk, level - 1);
	msgpack_pack_nil(pk);
}

START_TEST(json_nested_keys)
{
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	msgpack_unpacked	 u;
	size_t			 used, len;
	char			*json;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	pack_key_chain(&pk, 30);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(mp_unpack_one(&u, sb.data, sb.size, &used), 0);
	json = to_json(&u.data);
	len = strlen(json);
	ck_assert_uint_lt(len, 65536);
	ck_assert_int_eq(json[0], '{');
	ck_assert_str_eq(json + len - 7, "\":null}");
	free(json);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

static Suite *
core_suite(void)
{
	Suite	*s = suite_create("core");
	TCase	*tc;

	tc = tcase_create("record");
	tcase_add_test(tc, record_roundtrip);
	tcase_add_test(tc, record_empty_and_hostile);
	tcase_add_test(tc, verdict_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("mp");
	tcase_add_test(tc, json_quoting);
	tcase_add_test(tc, json_types);
	tcase_add_test(tc, json_base64_long);
	tcase_add_test(tc, hindex_keys);
	tcase_add_test(tc, util_floor);
	tcase_add_test(tc, util_utf8);
	tcase_add_test(tc, util_files);
	tcase_add_test(tc, log_verbosity);
	tcase_add_test(tc, json_nested_keys);
	tcase_add_test(tc, scan_bounds);
	tcase_add_test(tc, validate_rejects);
	tcase_add_test(tc, validate_not_map);
	suite_add_tcase(s, tc);

	tc = tcase_create("spool");
	tcase_add_test(tc, spool_write_read);
	tcase_add_test(tc, spool_damaged);
	tcase_add_test(tc, spool_probe_id_persisted);
	tcase_add_test(tc, spool_prepare_nested);
	suite_add_tcase(s, tc);

	tc = tcase_create("targets");
	tcase_add_test(tc, targets_plain);
	tcase_add_test(tc, targets_plain_bad);
	tcase_add_test(tc, targets_csv);
	tcase_add_test(tc, targets_errors_name_lines);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_test(tc, config_defaults_and_args);
	tcase_add_test(tc, config_bad_args);
	tcase_add_test(tc, config_file);
	tcase_add_test(tc, config_file_errors);
	tcase_add_test(tc, config_file_forms);
	tcase_add_test(tc, log_journal);
	tcase_add_test(tc, url_hostports);
	tcase_add_test(tc, url_urls);
	tcase_add_test(tc, url_loopback);
	tcase_add_test(tc, url_servers);
	tcase_add_test(tc, config_data_paths);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	log_set_level(LOG_ERROR);
	sr = srunner_create(core_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
