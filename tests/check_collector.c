/*
 * Unit tests of the collector: batch parsing and validation on hostile
 * bytes, the SQLite store (exactly once per id), tokens.
 */
#include <sys/stat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <msgpack.h>
#include <sqlite3.h>

#include "batch.h"
#include "record.h"
#include "server.h"
#include "server-head.h"
#include "config.h"
#include "spool.h"
#include "upload.h"
#include "export.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

/* A small valid record packed into pk; its id copied to id. */
static void
pack_record(msgpack_packer *pk, const char *host, char *id)
{
	struct record	*r = record_new();

	util_uuid4(r->run_id);
	r->probe_id = xstrdup("probe-1");
	r->start_ms = 1795629603123LL;
	r->target.input = xstrdup(host);
	r->target.host = xstrdup(host);
	r->target.port = 443;
	r->verdict.status = STATUS_BLOCKED;
	r->verdict.method = METHOD_TCP_RESET;
	if (id != NULL)
		memcpy(id, r->id, UUID_STRLEN + 1);
	record_pack(r, pk);
	record_free(r);
}

/* A batch of n valid records; ids (n entries) when not NULL. */
static void
make_batch(msgpack_sbuffer *sb, size_t n, char (*ids)[UUID_STRLEN + 1])
{
	msgpack_packer	pk;
	size_t		i;

	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, n);
	for (i = 0; i < n; i++)
		pack_record(&pk, "www.example.com", ids != NULL ? ids[i] : NULL);
}

static int
parse(const char *data, size_t len, struct batch **b, char *err,
    size_t errlen)
{
	err[0] = '\0';
	return collector_parse_batch(data, len, b, err, errlen);
}

/* Parse must fail with a reason containing want (or any when NULL). */
static void
expect_bad(const char *data, size_t len, const char *want)
{
	struct batch	*b = (struct batch *)1;
	char		 err[256];

	ck_assert_int_eq(parse(data, len, &b, err, sizeof err), -1);
	ck_assert_ptr_null(b);
	ck_assert_msg(err[0] != '\0', "no reason given");
	if (want != NULL)
		ck_assert_msg(strstr(err, want) != NULL, "reason '%s' lacks "
		    "'%s'", err, want);
}

START_TEST(valid_batch)
{
	msgpack_sbuffer	 sb;
	struct batch	*b;
	char		 ids[3][UUID_STRLEN + 1], err[256];
	size_t		 i;

	make_batch(&sb, 3, ids);
	ck_assert_int_eq(parse(sb.data, sb.size, &b, err, sizeof err), 0);
	ck_assert_uint_eq(b->n, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_uint_eq(b->rec[i].id.len, UUID_STRLEN);
		ck_assert(memcmp(b->rec[i].id.ptr, ids[i], UUID_STRLEN) == 0);
		ck_assert(b->rec[i].host.len == 15 &&
		    memcmp(b->rec[i].host.ptr, "www.example.com", 15) == 0);
		ck_assert(b->rec[i].status.len == 7 &&
		    memcmp(b->rec[i].status.ptr, "blocked", 7) == 0);
		ck_assert(b->rec[i].method.len == 9 &&
		    memcmp(b->rec[i].method.ptr, "tcp_reset", 9) == 0);
		ck_assert(b->rec[i].probe_id.len == 7);
		ck_assert(b->rec[i].start_time.len == 24 &&
		    memcmp(b->rec[i].start_time.ptr,
		    "2026-11-25T18:00:03.123Z", 24) == 0);
		ck_assert(b->rec[i].raw >= sb.data &&
		    b->rec[i].raw + b->rec[i].rawlen <= sb.data + sb.size);
	}
	/* Records are contiguous after the one-byte array header. */
	ck_assert_ptr_eq(b->rec[0].raw, sb.data + 1);
	ck_assert_ptr_eq(b->rec[2].raw + b->rec[2].rawlen, sb.data + sb.size);
	batch_free(b);
	batch_free(NULL);
	msgpack_sbuffer_destroy(&sb);

	ck_assert_int_eq(parse("\x90", 1, &b, err, sizeof err), 0);
	ck_assert_uint_eq(b->n, 0);
	batch_free(b);
}
END_TEST

START_TEST(not_a_batch)
{
	msgpack_sbuffer	sb;

	expect_bad("", 0, "empty");
	expect_bad("garbage", 7, "not a msgpack array");
	expect_bad("\x81\xa1" "a\x01", 4, "not a msgpack array");
	expect_bad("\x91\x01", 2, "not a map");
	expect_bad("\x92\x80", 2, "exceeds the body");
	expect_bad("\x91\xde\x00", 3, "truncated");
	expect_bad("\x91\x80", 2, "record 0");		/* empty map */
	expect_bad("\x91\xc1", 2, "not a map");
	expect_bad("\x90\x90", 2, "trailing");

	make_batch(&sb, 2, NULL);
	/* Truncated anywhere: refused, never a crash. */
	for (size_t cut = 0; cut < sb.size; cut++)
		expect_bad(sb.data, cut, NULL);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

START_TEST(huge_claims)
{
	/* Counts and lengths far beyond the body are not believed. */
	expect_bad("\xdd\xff\xff\xff\xff", 5, "exceeds the body");
	expect_bad("\xdd\x00\x01\x00\x00\x80", 6, "exceeds the body");
	expect_bad("\xdc\x27\x11", 3, "exceeds the body");
	expect_bad("\x91\xdf\xff\xff\xff\xff", 6, "exceeds the body");
	expect_bad("\x91\x81\xdb\xff\xff\xff\xff" "a", 8, "exceeds the body");
	expect_bad("\x91\x81\xa1" "a\xc6\x7f\xff\xff\xff", 9,
	    "exceeds the body");
	expect_bad("\x91\x81\xa1" "a\xc9\xff\xff\xff\xff\x01", 10,
	    "exceeds the body");
	expect_bad("\x91\x81\xa1" "a\xdd\xff\xff\xff\xff\xc0\xc0", 11,
	    "exceeds the body");
}
END_TEST

/* A valid record map with one extra key whose value the callback packs. */
typedef void (*extra_fn)(msgpack_packer *, void *);

static void
record_with_extra(msgpack_sbuffer *out, extra_fn fn, void *arg)
{
	msgpack_sbuffer		 one;
	msgpack_packer		 pk;
	msgpack_unpacked	 u;
	const msgpack_object	*m;
	size_t			 off = 0;
	uint32_t		 i;

	msgpack_sbuffer_init(&one);
	msgpack_packer_init(&pk, &one, msgpack_sbuffer_write);
	pack_record(&pk, "deep.example", NULL);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, one.data, one.size, &off),
	    MSGPACK_UNPACK_SUCCESS);
	m = &u.data;

	msgpack_sbuffer_init(out);
	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, m->via.map.size + 1);
	for (i = 0; i < m->via.map.size; i++) {
		msgpack_pack_object(&pk, m->via.map.ptr[i].key);
		msgpack_pack_object(&pk, m->via.map.ptr[i].val);
	}
	msgpack_pack_str_with_body(&pk, "extra", 5);
	fn(&pk, arg);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&one);
}

static void
nest(msgpack_packer *pk, void *arg)
{
	int	i, depth = *(int *)arg;

	for (i = 0; i < depth; i++)
		msgpack_pack_array(pk, 1);
	msgpack_pack_nil(pk);
}

static void
many_nils(msgpack_packer *pk, void *arg)
{
	size_t	i, n = *(size_t *)arg;

	msgpack_pack_array(pk, n);
	for (i = 0; i < n; i++)
		msgpack_pack_nil(pk);
}

START_TEST(deep_nesting)
{
	msgpack_sbuffer	 sb;
	struct batch	*b;
	char		 err[256];
	int		 depth;

	/* Shallow extra keys are welcome. */
	depth = 4;
	record_with_extra(&sb, nest, &depth);
	ck_assert_int_eq(parse(sb.data, sb.size, &b, err, sizeof err), 0);
	ck_assert_uint_eq(b->n, 1);
	batch_free(b);
	msgpack_sbuffer_destroy(&sb);

	depth = BATCH_MAX_DEPTH;
	record_with_extra(&sb, nest, &depth);
	expect_bad(sb.data, sb.size, "nesting deeper");
	msgpack_sbuffer_destroy(&sb);

	depth = 100000;
	record_with_extra(&sb, nest, &depth);
	expect_bad(sb.data, sb.size, "nesting deeper");
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

START_TEST(object_cap)
{
	msgpack_sbuffer	sb;
	size_t		n = BATCH_MAX_OBJECTS + 1;

	record_with_extra(&sb, many_nils, &n);
	expect_bad(sb.data, sb.size, "objects");
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

START_TEST(one_bad_record)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	char		 err[256];
	struct batch	*b;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 3);
	pack_record(&pk, "a.example", NULL);
	/* Not what the packer writes (it always writes valid records). */
	msgpack_pack_map(&pk, 1);
	msgpack_pack_str(&pk, 2);
	msgpack_pack_str_body(&pk, "id", 2);
	msgpack_pack_str(&pk, 9);
	msgpack_pack_str_body(&pk, "b.example", 9);
	pack_record(&pk, "c.example", NULL);
	ck_assert_int_eq(parse(sb.data, sb.size, &b, err, sizeof err), -1);
	ck_assert_ptr_null(b);
	ck_assert_msg(strncmp(err, "record 1: ", 10) == 0, "reason: %s", err);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

START_TEST(random_bytes)
{
	struct batch	*b;
	char		 buf[4096], err[256];
	size_t		 len, i, j;

	srandom(12345);
	for (i = 0; i < 20000; i++) {
		len = (size_t)random() % sizeof buf;
		for (j = 0; j < len; j++)
			buf[j] = (char)random();
		/* Mostly arrays, to get past the first byte. */
		if (len > 0 && i % 2 == 0)
			buf[0] = (char)(0x90 | (random() & 0x0f));
		if (parse(buf, len, &b, err, sizeof err) == 0)
			batch_free(b);
		else
			ck_assert(err[0] != '\0');
	}
}
END_TEST

START_TEST(bit_flips)
{
	msgpack_sbuffer	 sb;
	struct batch	*b;
	char		*copy, err[256];
	size_t		 bit, ok = 0, bad = 0, i;

	make_batch(&sb, 2, NULL);
	copy = xmalloc(sb.size);
	for (bit = 0; bit < sb.size * 8; bit++) {
		memcpy(copy, sb.data, sb.size);
		copy[bit / 8] ^= (char)(1 << (bit % 8));
		if (parse(copy, sb.size, &b, err, sizeof err) == 0) {
			for (i = 0; i < b->n; i++)
				ck_assert(b->rec[i].raw >= copy &&
				    b->rec[i].raw + b->rec[i].rawlen <=
				    copy + sb.size);
			batch_free(b);
			ok++;
		} else {
			ck_assert(err[0] != '\0');
			bad++;
		}
	}
	/* Flips in structure are caught; some inside free text survive. */
	ck_assert_uint_gt(bad, sb.size);
	ck_assert_uint_gt(ok, 0);
	free(copy);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

static char *
tmpdir(void)
{
	char	*d = xstrdup("/tmp/check_collector.XXXXXX");

	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static void
rm_rf(const char *dir)
{
	char	*cmd;

	xasprintf(&cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

static long long
count_rows(const char *path, const char *where)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		*sql;
	long long	 n;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	xasprintf(&sql, "SELECT count(*) FROM measurements %s", where);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(sql);
	return n;
}

struct ins_result {
	enum store_rc	rc;
	size_t		acc, dup;
	int		calls;
};

static void
ins_done(enum store_rc rc, size_t acc, size_t dup, void *arg)
{
	struct ins_result	*r = arg;

	r->rc = rc;
	r->acc = acc;
	r->dup = dup;
	r->calls++;
}

/* SQLite completes inside the call. */
static int
store_insert_sync(struct store *st, const struct batch *b, size_t *acc,
    size_t *dup)
{
	struct ins_result	r = { STORE_ERROR, 0, 0, 0 };

	store_insert(st, b, NULL, ins_done, &r);
	ck_assert_int_eq(r.calls, 1);
	*acc = r.acc;
	*dup = r.dup;
	return r.rc == STORE_OK ? 0 : -1;
}

START_TEST(store_exactly_once)
{
	msgpack_sbuffer	 sb, sb2;
	struct batch	*b, *b2;
	struct store	*st;
	char		*dir, *path, ids[4][UUID_STRLEN + 1], err[256], *where;
	size_t		 acc, dup;
	FILE		*out;
	char		*text = NULL;
	size_t		 textlen = 0;

	dir = tmpdir();
	xasprintf(&path, "%s/db", dir);
	ck_assert_ptr_nonnull(st = store_open(path, NULL, 0));
	make_batch(&sb, 4, ids);
	ck_assert_int_eq(parse(sb.data, sb.size, &b, err, sizeof err), 0);
	ck_assert_int_eq(store_insert_sync(st, b, &acc, &dup), 0);
	ck_assert_uint_eq(acc, 4);
	ck_assert_uint_eq(dup, 0);
	ck_assert_int_eq(store_insert_sync(st, b, &acc, &dup), 0);
	ck_assert_uint_eq(acc, 0);
	ck_assert_uint_eq(dup, 4);

	/* A batch repeating one id within itself counts it once. */
	make_batch(&sb2, 2, NULL);
	ck_assert_int_eq(parse(sb2.data, sb2.size, &b2, err, sizeof err), 0);
	b2->rec[1] = b2->rec[0];
	ck_assert_int_eq(store_insert_sync(st, b2, &acc, &dup), 0);
	ck_assert_uint_eq(acc, 1);
	ck_assert_uint_eq(dup, 1);
	store_free(st);
	store_free(NULL);

	ck_assert_int_eq(count_rows(path, ""), 5);
	xasprintf(&where, "WHERE id = '%s' AND host = 'www.example.com' AND "
	    "status = 'blocked' AND method = 'tcp_reset' AND probe_id = "
	    "'probe-1' AND start_time = '2026-11-25T18:00:03.123Z' AND "
	    "length(record) > 100", ids[2]);
	ck_assert_int_eq(count_rows(path, where), 1);
	free(where);

	/* Export prints every record as one JSON line. */
	out = open_memstream(&text, &textlen);
	ck_assert_int_eq(export_records(path, -1, out), 0);
	fclose(out);
	ck_assert_ptr_nonnull(strstr(text, ids[0]));
	ck_assert_ptr_nonnull(strstr(text, ids[3]));
	ck_assert_int_eq(text[textlen - 1], '\n');
	{
		size_t n = 0;
		for (size_t i = 0; i < textlen; i++)
			n += text[i] == '\n';
		ck_assert_uint_eq(n, 5);
	}
	free(text);
	/* --since in the future: nothing. */
	text = NULL;
	out = open_memstream(&text, &textlen);
	ck_assert_int_eq(export_records(path, util_now_ms() + 3600000, out), 0);
	fclose(out);
	ck_assert_uint_eq(textlen, 0);
	free(text);

	batch_free(b);
	batch_free(b2);
	msgpack_sbuffer_destroy(&sb);
	msgpack_sbuffer_destroy(&sb2);
	rm_rf(dir);
	free(path);
	free(dir);
}
END_TEST

/* Rows of a query through the worker, counted on the loop. */
struct rows_seen {
	size_t		 n, stop_at;
	int		 done;
	enum store_rc	 rc;
	char		 last[64];
	int		 order_ok;
};

static int
rows_row(const struct store_record *r, void *arg)
{
	struct rows_seen	*s = arg;

	ck_assert_int_eq(s->done, 0);
	ck_assert_ptr_nonnull(r->id);
	ck_assert_ptr_nonnull(r->raw);
	ck_assert_ptr_null(r->probe_asn);
	s->n++;
	return s->stop_at != 0 && s->n >= s->stop_at ? -1 : 0;
}

static void
rows_done(enum store_rc rc, void *arg)
{
	struct rows_seen	*s = arg;

	s->rc = rc;
	s->done++;
}

/*
 * With an event_base, SQLite runs on the store's worker: callbacks never
 * run inside the call, only from the loop; rows come in chunks (more
 * rows than one chunk holds here) and a row callback can stop them;
 * store_free fails the jobs not started yet with STORE_UNAVAILABLE.
 */
START_TEST(store_worker)
{
	struct event_base	*base;
	msgpack_sbuffer		 sb;
	struct batch		*b;
	struct store		*st;
	struct ins_result	 r1 = { STORE_ERROR, 0, 0, 0 },
				 r2 = { STORE_ERROR, 0, 0, 0 },
				 r3 = { STORE_OK, 0, 0, 0 };
	struct rows_seen	 all = { 0 }, some = { 0 }, late = { 0 };
	char			*dir, *path, err[256];

	dir = tmpdir();
	xasprintf(&path, "%s/db", dir);
	ck_assert_ptr_nonnull(base = event_base_new());
	ck_assert_ptr_nonnull(st = store_open(path, base, 0));
	make_batch(&sb, 1300, NULL);
	ck_assert_int_eq(parse(sb.data, sb.size, &b, err, sizeof err), 0);
	store_insert(st, b, NULL, ins_done, &r1);
	store_insert(st, b, NULL, ins_done, &r2);
	batch_free(b);		/* the store keeps its own copy */
	ck_assert_int_eq(r1.calls + r2.calls, 0);
	store_records(st, NULL, rows_row, rows_done, &all);
	some.stop_at = 10;
	store_records(st, NULL, rows_row, rows_done, &some);
	ck_assert_int_eq(all.done + some.done, 0);
	while (some.done == 0)
		ck_assert_int_ne(event_base_loop(base, EVLOOP_ONCE), -1);
	ck_assert_int_eq(r1.calls, 1);
	ck_assert_int_eq(r1.rc, STORE_OK);
	ck_assert_uint_eq(r1.acc, 1300);
	ck_assert_uint_eq(r1.dup, 0);
	ck_assert_int_eq(r2.calls, 1);
	ck_assert_int_eq(r2.rc, STORE_OK);
	ck_assert_uint_eq(r2.acc, 0);
	ck_assert_uint_eq(r2.dup, 1300);
	ck_assert_int_eq(all.done, 1);
	ck_assert_int_eq(all.rc, STORE_OK);
	ck_assert_uint_eq(all.n, 1300);
	ck_assert_int_eq(some.done, 1);
	ck_assert_int_eq(some.rc, STORE_OK);
	ck_assert_uint_eq(some.n, 10);

	/* Freed with jobs queued: each callback runs once, and honestly. */
	msgpack_sbuffer_destroy(&sb);
	make_batch(&sb, 3, NULL);
	ck_assert_int_eq(parse(sb.data, sb.size, &b, err, sizeof err), 0);
	store_records(st, NULL, rows_row, rows_done, &late);
	store_insert(st, b, NULL, ins_done, &r3);
	batch_free(b);
	msgpack_sbuffer_destroy(&sb);
	store_free(st);
	ck_assert_int_eq(late.done, 1);
	ck_assert_int_eq(r3.calls, 1);
	ck_assert(r3.rc == STORE_OK || r3.rc == STORE_UNAVAILABLE);
	ck_assert_int_eq(count_rows(path, ""), r3.rc == STORE_OK ? 1303 : 1300);
	event_base_free(base);
	rm_rf(dir);
	free(path);
	free(dir);
}
END_TEST

/* What the early 413 reads from a request head. */
START_TEST(head_parse)
{
	static const struct {
		const char	*head;
		int		 complete, chunked, bad, has;
		uint64_t	 length;
	} cases[] = {
		{ "POST / HTTP/1.1\r\nHost: x\r\n", 0, 0, 0, 0, 0 },
		{ "POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\nbody", 1, 0, 0,
		  1, 12 },
		{ "POST / HTTP/1.1\nContent-Length: 12\n\n", 1, 0, 0, 1, 12 },
		{ "POST / HTTP/1.1\r\ncontent-length:\t7 \r\n\r\n", 1, 0, 0,
		  1, 7 },
		{ "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999"
		  "\r\n\r\n", 1, 0, 1, 1, 0 },
		{ "POST / HTTP/1.1\r\nContent-Length: 1e9\r\n\r\n", 1, 0, 1,
		  1, 0 },
		{ "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5"
		  "\r\n\r\n", 1, 0, 1, 1, 5 },
		{ "POST / HTTP/1.1\r\nContent-Length: 5\r\n 6\r\n\r\n", 1, 0,
		  1, 1, 5 },
		{ "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 1,
		  1, 0, 0, 0 },
		{ "POST / HTTP/1.1\r\nX-Content-Length: 5\r\n\r\n", 1, 0, 0,
		  0, 0 },
		{ "\r\n", 1, 0, 0, 0, 0 },
	};
	struct server_head	 h;
	struct evbuffer		*out;
	size_t			 i, len;
	char			*text;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_msg(server_head_parse(cases[i].head,
		    strlen(cases[i].head), &h) == cases[i].complete,
		    "case %zu", i);
		if (!cases[i].complete)
			continue;
		ck_assert_msg(h.chunked == cases[i].chunked &&
		    h.bad_length == cases[i].bad &&
		    h.has_length == cases[i].has, "case %zu", i);
		if (cases[i].has && !cases[i].bad)
			ck_assert_uint_eq(h.length, cases[i].length);
	}
	/* The rewritten head: no body, no Content-Length of its own. */
	text = "POST /v1/measurements HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 1000000000\r\nX-Nightjar-Declared-Length: 1\r\n"
	    "Accept: */*\r\n\r\n";
	ck_assert_int_eq(server_head_parse(text, strlen(text), &h), 1);
	ck_assert_uint_eq(h.len, strlen(text));
	ck_assert_ptr_nonnull(out = evbuffer_new());
	server_head_rewrite(text, &h, out);
	len = evbuffer_get_length(out);
	text = xstrndup((const char *)evbuffer_pullup(out, -1), len);
	ck_assert_ptr_nonnull(strstr(text, "POST /v1/measurements HTTP/1.1\r\n"
	    "Host: x\r\nAccept: */*\r\nContent-Length: 0\r\n"
	    "X-Nightjar-Declared-Length: "));
	ck_assert_ptr_null(strstr(text, "1000000000"));
	ck_assert_int_eq(server_head_parse(text, len, &h), 1);
	ck_assert_uint_eq(h.len, len);
	ck_assert_int_eq(h.has_length, 1);
	ck_assert_uint_eq(h.length, 0);
	ck_assert_int_eq(server_head_marked("1"), 0);
	ck_assert_int_eq(server_head_marked(NULL), 0);
	free(text);
	evbuffer_free(out);
}
END_TEST

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE	*f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(tokens)
{
	struct tokens	*t;
	const char	*pid;
	char		*dir, *path;

	dir = tmpdir();
	xasprintf(&path, "%s/tokens", dir);
	write_file(path, "# probes\n  s3cret  \nbound-token probe-7 # lab\n\n",
	    0600);
	ck_assert_int_eq(tokens_load(path, &t), 2);
	ck_assert_int_eq(tokens_check(t, "Bearer s3cret", &pid), 0);
	ck_assert_ptr_null(pid);
	ck_assert_int_eq(tokens_check(t, "bearer   s3cret ", &pid), 0);
	ck_assert_int_eq(tokens_check(t, "Bearer bound-token", &pid), 0);
	ck_assert_str_eq(pid, "probe-7");
	ck_assert_int_eq(tokens_check(t, "Bearer s3cre", &pid), -1);
	ck_assert_int_eq(tokens_check(t, "Bearer s3cret2", &pid), -1);
	ck_assert_int_eq(tokens_check(t, "Bearer s3cret x", &pid), -1);
	ck_assert_int_eq(tokens_check(t, "Basic s3cret", &pid), -1);
	ck_assert_int_eq(tokens_check(t, "Bearer", &pid), -1);
	ck_assert_int_eq(tokens_check(t, "Bearer ", &pid), -1);
	ck_assert_int_eq(tokens_check(t, NULL, &pid), -1);
	ck_assert_int_eq(tokens_check(t, "Bearer probe-7", &pid), -1);
	tokens_free(t);
	tokens_free(NULL);

	/* World-readable: refused. */
	chmod(path, 0644);
	ck_assert_int_eq(tokens_load(path, &t), -1);
	ck_assert_ptr_null(t);
	/* No token at all: refused. */
	write_file(path, "# nothing\n", 0600);
	ck_assert_int_eq(tokens_load(path, &t), -1);
	rm_rf(dir);
	free(path);
	free(dir);
}
END_TEST

static long
state_failures(const char *dir)
{
	char	*path;
	FILE	*f;
	long	 n = 0;

	xasprintf(&path, "%s/upload-state", dir);
	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	free(path);
	return n;
}

/* The daemon's upload honours the persisted backoff: right after a
 * failure it does not try again, and the records stay pending. */
START_TEST(daemon_backoff)
{
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	struct config		 cfg;
	struct upload_result	 res;
	char			*dir;

	dir = tmpdir();
	ck_assert_int_eq(spool_prepare(dir), 0);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	pack_record(&pk, "a.example", NULL);
	pack_record(&pk, "b.example", NULL);
	ck_assert_int_eq(spool_write(dir, "r.msgpack", sb.data, sb.size), 0);
	msgpack_sbuffer_destroy(&sb);

	config_init(&cfg);
	free(cfg.results);
	cfg.results = xstrdup(dir);
	/* Port 1 on loopback: nothing listens there. */
	strlist_add(&cfg.collectors, "http://127.0.0.1:1");
	ck_assert_int_eq(upload_pending(NULL, &cfg, &res), 1);
	ck_assert_uint_eq(res.uploaded, 0);
	ck_assert_uint_eq(res.pending, 2);
	ck_assert_int_eq(state_failures(dir), 1);
	/* Within the wait: no attempt, so no second failure counted. */
	ck_assert_int_eq(upload_pending(NULL, &cfg, &res), 1);
	ck_assert_uint_eq(res.pending, 2);
	ck_assert_int_eq(state_failures(dir), 1);
	/* After it (at most 1 s after the first failure): tried again. */
	sleep(2);
	ck_assert_int_eq(upload_pending(NULL, &cfg, &res), 1);
	ck_assert_int_eq(state_failures(dir), 2);
	config_free(&cfg);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* Which answers set a batch aside: only 400 and 413.  A token the
 * collector refuses, 429 and 5xx keep the records pending, and the
 * reason names the token file or the cause. */
START_TEST(upload_answers)
{
	static const struct {
		int			 code;
		int			 token;
		enum post_outcome	 want;
		const char		*why;	/* in the reason */
	} t[] = {
		{ 200, 1, POST_OK, NULL },
		{ 201, 0, POST_OK, NULL },
		{ 400, 1, POST_REJECTED, NULL },
		{ 413, 0, POST_REJECTED, NULL },
		{ 401, 1, POST_RETRY, "/etc/nightjar/token" },
		{ 403, 1, POST_RETRY, "/etc/nightjar/token" },
		{ 401, 0, POST_RETRY, "--token-file" },
		{ 429, 1, POST_RETRY, "429" },
		{ 500, 1, POST_RETRY, "HTTP 500" },
		{ 503, 1, POST_RETRY, "temporarily unavailable" },
		{ 404, 1, POST_RETRY, "HTTP 404" },
		{ 405, 1, POST_RETRY, "HTTP 405" },
	};
	char	why[320];
	size_t	i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		why[0] = '\0';
		ck_assert_msg(upload_classify(t[i].code, t[i].token,
		    t[i].token ? "/etc/nightjar/token" : NULL, why,
		    sizeof why) == t[i].want, "HTTP %d", t[i].code);
		if (t[i].why != NULL)
			ck_assert_msg(strstr(why, t[i].why) != NULL,
			    "HTTP %d: '%s'", t[i].code, why);
		if (t[i].code == 401 || t[i].code == 403)
			ck_assert_ptr_nonnull(strstr(why, "token"));
	}
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("collector");
	TCase	*tc = tcase_create("batch");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, valid_batch);
	tcase_add_test(tc, not_a_batch);
	tcase_add_test(tc, huge_claims);
	tcase_add_test(tc, deep_nesting);
	tcase_add_test(tc, object_cap);
	tcase_add_test(tc, one_bad_record);
	tcase_add_test(tc, random_bytes);
	tcase_add_test(tc, bit_flips);
	tcase_add_test(tc, store_exactly_once);
	tcase_add_test(tc, store_worker);
	tcase_add_test(tc, head_parse);
	tcase_add_test(tc, tokens);
	tcase_add_test(tc, daemon_backoff);
	tcase_add_test(tc, upload_answers);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
