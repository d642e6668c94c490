/*
 * Unit tests of the dashboard's pure pieces: HTML escaping of record
 * text, the since/until parameters, the basic-auth password.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dashboard.h"
#include "mp.h"

static char *
escaped(const char *s)
{
	struct buf	b = { NULL, 0, 0 };

	dashboard_escape(&b, s);
	buf_add(&b, "", 1);
	return b.data;
}

START_TEST(escape)
{
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		{ "www.facebook.com", "www.facebook.com" },
		{ "<script>alert(1)</script>",
		  "&lt;script&gt;alert(1)&lt;/script&gt;" },
		{ "a\"b'c&d", "a&quot;b&#39;c&amp;d" },
		{ "<img/src=x/onerror=alert(2)>",
		  "&lt;img/src=x/onerror=alert(2)&gt;" },
		/* a page <title> and a certificate subject from a record */
		{ "</title><script>alert(3)</script>\"'",
		  "&lt;/title&gt;&lt;script&gt;alert(3)&lt;/script&gt;"
		  "&quot;&#39;" },
		{ "CN=\"><svg onload=alert(4)>',O='x'",
		  "CN=&quot;&gt;&lt;svg onload=alert(4)&gt;&#39;,O=&#39;x&#39;" },
		/* control bytes and bytes that are not UTF-8 become '?' */
		{ "x\ny\x01z", "x?y?z" },
		{ "\xff\xfe<", "??&lt;" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "", "" },
	};
	size_t	i;
	char	*s;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		s = escaped(cases[i].in);
		ck_assert_str_eq(s, cases[i].want);
		free(s);
	}
	s = escaped(NULL);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(times)
{
	static const struct {
		const char	*in;
		int		 until;
		int		 ok;
		int64_t		 want;
	} cases[] = {
		{ "2026-11-03", 0, 1, 1793664000000LL },
		{ "2026-11-03", 1, 1, 1793664000000LL + 86400000LL - 1 },
		{ "1970-01-01", 0, 1, 0 },
		{ "2026-11-03T18:00:00Z", 0, 1, 1793728800000LL },
		{ "2026-11-03T18:00:00.250Z", 1, 1, 1793728800250LL },
		{ "2026-11-03T23:00:00+05:00", 0, 1, 1793728800000LL },
		{ "2026-13-03", 0, 0, 0 },
		{ "2026-11-31", 0, 0, 0 },
		{ "2025-02-29", 0, 0, 0 },
		{ "2024-02-29", 0, 1, 1709164800000LL },
		{ "2026-11-3x", 0, 0, 0 },
		{ "yesterday", 0, 0, 0 },
		{ "", 0, 0, 0 },
		{ "2026-11-03T25:00:00Z", 0, 0, 0 },
	};
	size_t	i;
	int64_t	ms;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ms = -1;
		if (cases[i].ok) {
			ck_assert_msg(dashboard_parse_time(cases[i].in,
			    cases[i].until, &ms) == 0, "%s", cases[i].in);
			ck_assert_msg(ms == cases[i].want, "%s: %lld",
			    cases[i].in, (long long)ms);
		} else
			ck_assert_msg(dashboard_parse_time(cases[i].in,
			    cases[i].until, &ms) != 0, "%s", cases[i].in);
	}
	ck_assert_int_ne(dashboard_parse_time(NULL, 0, &ms), 0);
}
END_TEST

START_TEST(hours)
{
	static const struct {
		const char	*in;
		int		 ok, start, end;
	} cases[] = {
		{ "22-02", 1, 22, 2 },
		{ "18-24", 1, 18, 24 },
		{ "0-24", 1, 0, 24 },
		{ "8-12", 1, 8, 12 },
		{ "23-0", 0, 0, 0 },	/* end is 1-24 */
		{ "24-2", 0, 0, 0 },
		{ "5-5", 0, 0, 0 },
		{ "5", 0, 0, 0 },
		{ "5-", 0, 0, 0 },
		{ "-5", 0, 0, 0 },
		{ "5-6-7", 0, 0, 0 },
		{ " 5-6", 0, 0, 0 },
		{ "+5-6", 0, 0, 0 },
		{ "05-0006", 1, 5, 6 },
		{ "1-2x", 0, 0, 0 },
		{ "", 0, 0, 0 },
	};
	size_t	i;
	int	a, z;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		a = z = -9;
		if (cases[i].ok) {
			ck_assert_msg(dashboard_parse_hours(cases[i].in, &a,
			    &z) == 0, "%s", cases[i].in);
			ck_assert_msg(a == cases[i].start && z == cases[i].end,
			    "%s: %d-%d", cases[i].in, a, z);
		} else
			ck_assert_msg(dashboard_parse_hours(cases[i].in, &a,
			    &z) != 0, "%s", cases[i].in);
	}
	ck_assert_int_ne(dashboard_parse_hours(NULL, &a, &z), 0);
}
END_TEST

START_TEST(basic)
{
	static const struct {
		const char	*in;
		const char	*want;	/* NULL: refused */
	} cases[] = {
		{ "Basic cmVhZGVyOnNlY3JldA==", "secret" },	/* reader:secret */
		{ "basic   cmVhZGVyOnNlY3JldA==  ", "secret" },
		{ "Basic OnRva2Vu", "token" },			/* :token */
		{ "Basic dTphOmI=", "a:b" },			/* u:a:b */
		{ "Basic dXNlcg==", NULL },			/* no colon */
		{ "Basic dTpwAHc=", NULL },			/* NUL inside */
		{ "Basic !!!!", NULL },
		{ "Basic abc", NULL },
		{ "Basic ", NULL },
		{ "Bearer secret", NULL },
		{ "Basicx cmVhZGVyOnNlY3JldA==", NULL },
		{ "Basic cmVh ZGVy", NULL },
	};
	size_t	i;
	char	*pw;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pw = dashboard_basic_password(cases[i].in);
		if (cases[i].want == NULL)
			ck_assert_msg(pw == NULL, "%s", cases[i].in);
		else {
			ck_assert_msg(pw != NULL, "%s", cases[i].in);
			ck_assert_str_eq(pw, cases[i].want);
		}
		free(pw);
	}
	ck_assert_ptr_null(dashboard_basic_password(NULL));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("dashboard");
	TCase	*tc = tcase_create("pure");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, escape);
	tcase_add_test(tc, times);
	tcase_add_test(tc, basic);
	tcase_add_test(tc, hours);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
