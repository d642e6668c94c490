/*
 * The bounded msgpack cursor (lib/mp-cursor.h): truncation at every byte,
 * depth bombs, huge claimed lengths and counts, 0xc1, the limits, the
 * typed steps, and agreement with msgpack-c on random bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <msgpack.h>

#include "mp-cursor.h"
#include "xmalloc.h"

static void
pk_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

/* A value with every kind of header the packer writes. */
static void
pack_rich(msgpack_sbuffer *sb)
{
	msgpack_packer	pk;
	char		big[300];

	memset(big, 'x', sizeof big);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 9);
	pk_str(&pk, "id");
	pk_str(&pk, "0b6c6f0e-1d3a-4c59-9a57-2b1f0f2f8a01");
	pk_str(&pk, "ints");
	msgpack_pack_array(&pk, 8);
	msgpack_pack_int(&pk, 5);
	msgpack_pack_int(&pk, -5);
	msgpack_pack_int(&pk, 200);
	msgpack_pack_int(&pk, -200);
	msgpack_pack_int(&pk, 70000);
	msgpack_pack_int(&pk, -70000);
	msgpack_pack_int64(&pk, 5000000000LL);
	msgpack_pack_uint64(&pk, UINT64_MAX);
	pk_str(&pk, "floats");
	msgpack_pack_array(&pk, 2);
	msgpack_pack_float(&pk, 1.5f);
	msgpack_pack_double(&pk, 12.25);
	pk_str(&pk, "nil");
	msgpack_pack_nil(&pk);
	pk_str(&pk, "bool");
	msgpack_pack_true(&pk);
	pk_str(&pk, "str8");
	msgpack_pack_str(&pk, 100);
	msgpack_pack_str_body(&pk, big, 100);
	pk_str(&pk, "str16");
	msgpack_pack_str(&pk, sizeof big);
	msgpack_pack_str_body(&pk, big, sizeof big);
	pk_str(&pk, "bin");
	msgpack_pack_bin(&pk, 3);
	msgpack_pack_bin_body(&pk, "\x00\x01\x02", 3);
	pk_str(&pk, "ext");
	msgpack_pack_array(&pk, 2);
	msgpack_pack_ext(&pk, 4, 1);
	msgpack_pack_ext_body(&pk, "abcd", 4);
	msgpack_pack_ext(&pk, 5, 2);
	msgpack_pack_ext_body(&pk, "abcde", 5);
}

static int
skip(const void *data, size_t len, const struct mp_limits *lim,
    char *err, size_t errlen)
{
	struct mp_cursor	c;
	int			rv;

	mp_cursor_init(&c, data, len, lim);
	rv = mp_cursor_skip(&c);
	if (rv == 0)
		ck_assert_uint_le(c.pos, len);
	else {
		ck_assert_uint_eq(c.pos, 0);	/* unmoved */
		ck_assert_msg(c.err[0] != '\0', "a refusal without a reason");
	}
	if (err != NULL)
		snprintf(err, errlen, "%s", c.err);
	return rv;
}

static void
expect_refused(const void *data, size_t len, const struct mp_limits *lim,
    const char *why)
{
	char	err[128];

	ck_assert_int_eq(skip(data, len, lim, err, sizeof err), -1);
	ck_assert_msg(strstr(err, why) != NULL, "'%s' does not say '%s'",
	    err, why);
}

START_TEST(truncated_every_byte)
{
	msgpack_sbuffer		 sb;
	msgpack_unpacked	 u;
	struct mp_cursor	 c;
	char			*cut, err[128];
	size_t			 n;

	msgpack_sbuffer_init(&sb);
	pack_rich(&sb);
	ck_assert_int_eq(skip(sb.data, sb.size, NULL, NULL, 0), 0);
	msgpack_unpacked_init(&u);
	for (n = 0; n < sb.size; n++) {
		/* An exact-size copy: ASan sees any read past the end. */
		cut = xmalloc(n > 0 ? n : 1);
		memcpy(cut, sb.data, n);
		ck_assert_msg(skip(cut, n, NULL, err, sizeof err) == -1,
		    "accepted a value cut at %zu of %zu", n, sb.size);
		ck_assert_msg(strstr(err, "truncated") != NULL ||
		    strstr(err, "exceeds the body") != NULL,
		    "cut at %zu: '%s'", n, err);
		mp_cursor_init(&c, cut, n, NULL);
		ck_assert_int_eq(mp_cursor_unpack(&c, &u), -1);
		ck_assert_uint_eq(c.pos, 0);
		free(cut);
	}
	mp_cursor_init(&c, sb.data, sb.size, NULL);
	ck_assert_int_eq(mp_cursor_unpack(&c, &u), 0);
	ck_assert_uint_eq(c.pos, sb.size);
	ck_assert(mp_cursor_end(&c));
	ck_assert_int_eq(u.data.type, MSGPACK_OBJECT_MAP);
	ck_assert_uint_eq(u.data.via.map.size, 9);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

START_TEST(depth_bombs)
{
	struct mp_limits	 lim = mp_limits_default;
	msgpack_unpacked	 u;
	struct mp_cursor	 c;
	char			*deep;
	size_t			 n = 100000;

	deep = xmalloc(n);
	memset(deep, 0x91, n);		/* [[[[...]]]] */
	/* 31 nested arrays around a nil: read, and msgpack-c agrees. */
	deep[31] = '\xc0';
	ck_assert_int_eq(skip(deep, 32, NULL, NULL, 0), 0);
	msgpack_unpacked_init(&u);
	mp_cursor_init(&c, deep, 32, NULL);
	ck_assert_int_eq(mp_cursor_unpack(&c, &u), 0);
	msgpack_unpacked_destroy(&u);
	/* 32 refused. */
	deep[31] = '\x91';
	deep[32] = '\xc0';
	expect_refused(deep, 33, NULL, "nesting deeper than 31");
	/* A limit above what msgpack-c can unpack is lowered to it. */
	lim.depth = 1000;
	expect_refused(deep, 33, &lim, "nesting deeper than 31");
	/* 100,000 levels: refused at once, no recursion. */
	deep[32] = '\x91';
	deep[n - 1] = '\xc0';
	expect_refused(deep, n, NULL, "nesting deeper");
	/* Maps nested in maps, and a lower limit. */
	lim.depth = 2;
	ck_assert_int_eq(skip("\x81\xa1k\x81\xa1k\xc0", 7, &lim, NULL, 0), 0);
	expect_refused("\x81\xa1k\x81\xa1k\x81\xa1k\xc0", 10, &lim,
	    "nesting deeper than 2");
	/* Empty containers do not nest. */
	memset(deep, 0x90, 64);
	ck_assert_int_eq(skip(deep, 1, &lim, NULL, 0), 0);
	free(deep);
}
END_TEST

START_TEST(huge_claims)
{
	struct mp_limits	lim = mp_limits_default;

	/* Counts larger than the bytes left. */
	expect_refused("\xdd\xff\xff\xff\xff", 5, NULL, "exceeds the body");
	expect_refused("\xdd\xff\xff\xff\xff\xc0", 6, NULL, "exceeds the body");
	expect_refused("\xdf\xff\xff\xff\xff\xc0\xc0", 7, NULL,
	    "exceeds the body");
	expect_refused("\xde\xff\xff\xc0\xc0", 5, NULL, "exceeds the body");
	expect_refused("\xdc\x00\x03\xc0\xc0", 5, NULL, "exceeds the body");
	expect_refused("\x92\x80", 2, NULL, "exceeds the body");
	/* Lengths larger than the bytes left. */
	expect_refused("\xdb\x00\x00\x10\x00xx", 7, NULL, "exceeds the body");
	expect_refused("\xdb\x7f\xff\xff\xff" "a", 6, NULL, "over the limit");
	expect_refused("\xc6\x00\x10\x00\x00" "a", 6, NULL, "exceeds the body");
	expect_refused("\xc9\x00\x00\x00\x05\x01" "abcd", 10, NULL,
	    "exceeds the body");
	expect_refused("\xcb\x00\x00", 3, NULL, "exceeds the body");
	expect_refused("\xd8\x01" "abc", 5, NULL, "exceeds the body");
	/* Length fields themselves cut short. */
	expect_refused("\xdb\x00\x00", 3, NULL, "truncated");
	expect_refused("\xdd\x00", 2, NULL, "truncated");
	expect_refused("", 0, NULL, "truncated");
	/* The string limit, for str, bin and ext alike. */
	lim.str = 2;
	ck_assert_int_eq(skip("\xa2xy", 3, &lim, NULL, 0), 0);
	expect_refused("\xa3xyz", 4, &lim, "over the limit of 2");
	expect_refused("\xc4\x03xyz", 5, &lim, "over the limit of 2");
	expect_refused("\xc7\x03\x01xyz", 6, &lim, "over the limit of 2");
	/* The object limit: 1 array + 3 elements. */
	lim = mp_limits_default;
	lim.objects = 3;
	expect_refused("\x93\xc0\xc0\xc0", 4, &lim, "more than 3 objects");
	lim.objects = 4;
	ck_assert_int_eq(skip("\x93\xc0\xc0\xc0", 4, &lim, NULL, 0), 0);
	/* The byte limit of one value. */
	lim = mp_limits_default;
	lim.bytes = 3;
	ck_assert_int_eq(skip("\x92\xc0\xc0", 3, &lim, NULL, 0), 0);
	expect_refused("\x93\xc0\xc0\xc0", 4, &lim, "longer than 3 bytes");
	expect_refused("\xa4wxyz", 5, &lim, "longer than 3 bytes");
}
END_TEST

START_TEST(type_c1)
{
	msgpack_unpacked	u;

	expect_refused("\xc1", 1, NULL, "invalid msgpack type 0xc1 at byte 0");
	expect_refused("\x92\xc0\xc1", 3, NULL, "0xc1 at byte 2");
	expect_refused("\x81\xc1\xc0", 3, NULL, "0xc1 at byte 1");
	expect_refused("\x81\xa1k\xc1", 4, NULL, "0xc1 at byte 3");
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(mp_unpack_one(&u, "\x91\xc1", 2, &(size_t){ 0 }),
	    -1);
	msgpack_unpacked_destroy(&u);
}
END_TEST

START_TEST(typed_steps)
{
	msgpack_sbuffer		 sb;
	struct mp_cursor	 c;
	const char		*s;
	size_t			 slen;
	uint32_t		 n, i;
	double			 v;
	int64_t			 iv;
	int			 is_int;
	static const int64_t	 ints[] = { 5, -5, 200, -200, 70000, -70000,
	    5000000000LL };

	msgpack_sbuffer_init(&sb);
	pack_rich(&sb);
	mp_cursor_init(&c, sb.data, sb.size, NULL);
	ck_assert_int_eq(mp_cursor_array(&c, &n), 0);	/* not an array */
	ck_assert_int_eq(mp_cursor_str(&c, &s, &slen), 0);
	ck_assert_int_eq(mp_cursor_num(&c, &v, &iv, &is_int), 0);
	ck_assert_int_eq(mp_cursor_nil(&c), 0);
	ck_assert_uint_eq(c.pos, 0);
	ck_assert_int_eq(mp_cursor_map(&c, &n), 1);
	ck_assert_uint_eq(n, 9);
	ck_assert_int_eq(mp_cursor_str(&c, &s, &slen), 1);
	ck_assert(slen == 2 && memcmp(s, "id", 2) == 0);
	ck_assert_int_eq(mp_cursor_skip(&c), 0);
	ck_assert_int_eq(mp_cursor_str(&c, &s, &slen), 1);	/* "ints" */
	ck_assert_int_eq(mp_cursor_array(&c, &n), 1);
	ck_assert_uint_eq(n, 8);
	for (i = 0; i < 7; i++) {
		ck_assert_int_eq(mp_cursor_num(&c, &v, &iv, &is_int), 1);
		ck_assert_int_eq(is_int, 1);
		ck_assert_int_eq(iv, ints[i]);
		ck_assert_double_eq(v, (double)ints[i]);
	}
	/* A uint over INT64_MAX reads as a float. */
	ck_assert_int_eq(mp_cursor_num(&c, &v, &iv, &is_int), 1);
	ck_assert_int_eq(is_int, 0);
	ck_assert_double_eq(v, (double)UINT64_MAX);
	ck_assert_int_eq(mp_cursor_str(&c, &s, &slen), 1);	/* "floats" */
	ck_assert_int_eq(mp_cursor_array(&c, &n), 1);
	ck_assert_int_eq(mp_cursor_num(&c, &v, &iv, &is_int), 1);
	ck_assert(is_int == 0 && v == 1.5);
	ck_assert_int_eq(mp_cursor_num(&c, &v, &iv, &is_int), 1);
	ck_assert(is_int == 0 && v == 12.25);
	ck_assert_int_eq(mp_cursor_str(&c, &s, &slen), 1);	/* "nil" */
	ck_assert_int_eq(mp_cursor_nil(&c), 1);
	ck_assert_int_eq(mp_cursor_str(&c, &s, &slen), 1);	/* "bool" */
	ck_assert_int_eq(mp_cursor_nil(&c), 0);
	ck_assert_int_eq(mp_cursor_skip(&c), 0);
	ck_assert_int_eq(mp_cursor_str(&c, &s, &slen), 1);	/* "str8" */
	ck_assert_int_eq(mp_cursor_str(&c, &s, &slen), 1);
	ck_assert_uint_eq(slen, 100);
	ck_assert_int_eq(mp_cursor_str(&c, &s, &slen), 1);	/* "str16" */
	ck_assert_int_eq(mp_cursor_str(&c, &s, &slen), 1);
	ck_assert_uint_eq(slen, 300);
	ck_assert(s + slen <= sb.data + sb.size);
	ck_assert_int_eq(mp_cursor_str(&c, &s, &slen), 1);	/* "bin" */
	ck_assert_int_eq(mp_cursor_str(&c, &s, &slen), 0);	/* a bin */
	ck_assert_int_eq(mp_cursor_skip(&c), 0);
	ck_assert_int_eq(mp_cursor_str(&c, &s, &slen), 1);	/* "ext" */
	ck_assert_int_eq(mp_cursor_skip(&c), 0);
	ck_assert(mp_cursor_end(&c));
	/* Every step refuses an empty rest, a c1, a count over the bytes. */
	ck_assert_int_eq(mp_cursor_map(&c, &n), -1);
	ck_assert_int_eq(mp_cursor_str(&c, &s, &slen), -1);
	ck_assert_int_eq(mp_cursor_num(&c, &v, &iv, &is_int), -1);
	ck_assert_int_eq(mp_cursor_nil(&c), -1);
	mp_cursor_init(&c, "\xc1", 1, NULL);
	ck_assert_int_eq(mp_cursor_nil(&c), -1);
	mp_cursor_init(&c, "\xdf\xff\xff\xff\xff\xa1x", 7, NULL);
	ck_assert_int_eq(mp_cursor_map(&c, &n), -1);
	ck_assert_uint_eq(c.pos, 0);
	mp_cursor_init(&c, "\xd9\x05xy", 4, NULL);
	ck_assert_int_eq(mp_cursor_str(&c, &s, &slen), -1);
	mp_cursor_init(&c, "\xd3\x00\x00", 3, NULL);
	ck_assert_int_eq(mp_cursor_num(&c, &v, &iv, &is_int), -1);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

static uint32_t
lcg(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* Whatever the cursor accepts, msgpack-c decodes to the same length. */
START_TEST(agrees_with_msgpack_c)
{
	msgpack_sbuffer		 sb;
	msgpack_unpacked	 u;
	struct mp_cursor	 c;
	unsigned char		 buf[64], *copy;
	uint32_t		 seed = 7;
	size_t			 len, off, accepted = 0, k;
	int			 i;

	msgpack_sbuffer_init(&sb);
	pack_rich(&sb);
	msgpack_unpacked_init(&u);
	copy = xmalloc(sb.size);
	for (i = 0; i < 40000; i++) {
		if (i % 2 == 0) {
			/* Random bytes, mostly headers and small values. */
			len = 1 + lcg(&seed) % sizeof buf;
			for (k = 0; k < len; k++)
				buf[k] = (unsigned char)(lcg(&seed) % 4 == 0 ?
				    0x80 + lcg(&seed) % 0x60 : lcg(&seed));
		} else {
			/* A real value with a few bytes changed. */
			memcpy(copy, sb.data, sb.size);
			for (k = 0; k < 1 + (size_t)i % 3; k++)
				copy[lcg(&seed) % sb.size] =
				    (unsigned char)lcg(&seed);
		}
		if (i % 2 == 0)
			mp_cursor_init(&c, buf, len, NULL);
		else
			mp_cursor_init(&c, copy, sb.size, NULL);
		if (mp_cursor_skip(&c) != 0)
			continue;
		accepted++;
		off = 0;
		ck_assert_int_eq(msgpack_unpack_next(&u, (const char *)c.p,
		    c.pos, &off), MSGPACK_UNPACK_SUCCESS);
		ck_assert_uint_eq(off, c.pos);
	}
	ck_assert_uint_gt(accepted, 1000);
	free(copy);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("mp_cursor");
	TCase	*tc = tcase_create("cursor");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, truncated_every_byte);
	tcase_add_test(tc, depth_bombs);
	tcase_add_test(tc, huge_claims);
	tcase_add_test(tc, type_c1);
	tcase_add_test(tc, typed_steps);
	tcase_add_test(tc, agrees_with_msgpack_c);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
