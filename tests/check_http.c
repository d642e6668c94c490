/*
 * Blockpage fingerprints (probe/fingerprint.c) over the shipped OONI files
 * and small hand-written ones, and the bounded HTTP/1.1 response reader
 * (probe/http-parse.c).
 */
#include <sys/stat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fingerprint.h"
#include "xmalloc.h"

static char	 tmpdir[] = "/tmp/nj-check-http.XXXXXX";

static const char *
shipped(void)
{
	static char	path[4096];

	snprintf(path, sizeof path, "%s/targets/fingerprints", NJ_SRCDIR);
	return path;
}

static char *
write_tmp(const char *name, const char *text)
{
	char	*p;
	FILE	*f;

	xasprintf(&p, "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static const char *
match_body(const struct fingerprint_set *fs, const char *body,
    const char **where)
{
	struct fingerprint_http	h;

	memset(&h, 0, sizeof h);
	h.body = (const unsigned char *)body;
	h.body_len = strlen(body);
	return fingerprint_match_http(fs, &h, where);
}

static const char *
match_header(const struct fingerprint_set *fs, const char *name,
    const char *value, const char *body)
{
	struct fingerprint_http	h;
	const char		*names[2] = { "Content-Type", name };
	const char		*values[2] = { "text/html", value };

	memset(&h, 0, sizeof h);
	h.body = (const unsigned char *)body;
	h.body_len = strlen(body);
	h.header_names = names;
	h.header_values = values;
	h.n_headers = 2;
	return fingerprint_match_http(fs, &h, NULL);
}

/* The shipped OONI files load whole: every row, every regexp compiles. */
START_TEST(shipped_files_load)
{
	struct fingerprint_set	*fs = fingerprint_set_new();

	ck_assert_int_eq(fingerprint_set_load(fs, shipped()), 1729 + 226);
	ck_assert_uint_eq(fingerprint_set_count(fs), 1729 + 226);
	ck_assert_uint_eq(fingerprint_set_count_dns(fs), 226);
	fingerprint_set_free(fs);
}
END_TEST

/* Real blockpages from the shipped files, matched on body and headers. */
START_TEST(shipped_blockpages)
{
	struct fingerprint_set	*fs = fingerprint_set_new();
	const char		*where;

	ck_assert_int_gt(fingerprint_set_load(fs, shipped()), 0);
	/* Iran's national blockpage: an iframe to 10.10.34.34. */
	ck_assert_str_eq(match_body(fs, "<html><head><meta http-equiv="
	    "\"Content-Type\" content=\"text/html; charset=windows-1256\">"
	    "<title>M1-6\r\n</title></head><body><iframe src=\"http://"
	    "10.10.34.34?type=Invalid Site&policy=MainPolicy \" style=\"width:"
	    " 100%; height: 100%\" scrolling=\"no\"></iframe></body></html>",
	    &where), "ooni.ir_0");
	ck_assert_str_eq(where, "body");
	/* Russia: the federal law text (UTF-8). */
	ck_assert_str_eq(match_body(fs, "<p>Доступ к сайту ограничен в "
	    "соответствии с Федеральными законами</p>", NULL), "ooni.ru_0");
	/* A redirect to Turk Telekom's filter page. */
	ck_assert_str_eq(match_header(fs, "Location", "http://bilgi."
	    "turktelekom.com.tr/guvenli_internet_uyari?x=1", ""),
	    "ooni.tr_3");
	/* WireFilter's Server header (prefix). */
	ck_assert_str_eq(match_header(fs, "server", "Protected by WireFilter "
	    "8000", "hello"), "ooni.ae_0");
	/* A regexp row. */
	ck_assert_str_eq(match_body(fs, "x If you believe the requested page "
	    "should not be blocked please contact http://www.internet.gov.sa",
	    NULL), "cp.b_nat_sa_national_2");
	/* Ordinary pages match nothing. */
	ck_assert_ptr_null(match_body(fs, "<html><title>Example Domain"
	    "</title><body>This domain is for use in examples.</body></html>",
	    NULL));
	ck_assert_ptr_null(match_header(fs, "Location",
	    "https://www.facebook.com/", ""));
	ck_assert_ptr_null(match_body(fs, "", NULL));
	/* DNS answers. */
	ck_assert_str_eq(fingerprint_match_dns(fs, "10.10.34.34"),
	    "ooni.ir_4");
	ck_assert_ptr_null(fingerprint_match_dns(fs, "10.10.34.3"));
	ck_assert_ptr_null(fingerprint_match_dns(fs, "93.184.216.34"));
	ck_assert_ptr_null(fingerprint_match_dns(fs, NULL));
	fingerprint_set_free(fs);
}
END_TEST

static const char header[] =
    "name,scope,other_names,location_found,pattern_type,pattern,"
    "confidence_no_fp,expected_countries,source,exp_url,notes\n";

/* Columns are found by name, in any order, with a BOM and CRLF lines. */
START_TEST(by_header_name)
{
	struct fingerprint_set	*fs = fingerprint_set_new();
	char			*p;

	p = write_tmp("reordered.csv", "\xef\xbb\xbfpattern,pattern_type,"
	    "location_found,name,extra\r\n"
	    "\"Access, \"\"denied\"\"\",contains,body,t.quoted,x\r\n"
	    "blocked.example,full,header.X-Filter,t.full,\r\n"
	    "192.0.2.66,full,dns,t.dns,\r\n"
	    "2001:db8::66,full,dns,t.dns6,\r\n");
	ck_assert_int_eq(fingerprint_set_load(fs, p), 4);
	ck_assert_str_eq(match_body(fs, "xx Access, \"denied\" yy", NULL),
	    "t.quoted");
	ck_assert_str_eq(match_header(fs, "x-filter", "blocked.example", ""),
	    "t.full");
	ck_assert_ptr_null(match_header(fs, "x-filter", "blocked.example.org",
	    ""));
	ck_assert_str_eq(fingerprint_match_dns(fs, "192.0.2.66"), "t.dns");
	/* Addresses compare as addresses, not as strings. */
	ck_assert_str_eq(fingerprint_match_dns(fs, "2001:0db8:0::66"),
	    "t.dns6");
	free(p);
	fingerprint_set_free(fs);
}
END_TEST

/* The four pattern types on bodies, including short and long patterns. */
START_TEST(pattern_types)
{
	struct fingerprint_set	*fs = fingerprint_set_new();
	char			*p, *text, *big;
	size_t			 i;

	xasprintf(&text, "%s"
	    "t.full,isp,,body,full,<b>blocked</b>,5,,,,\n"
	    "t.prefix,isp,,body,prefix,<html><!-- filter,5,,,,\n"
	    "t.short,isp,,body,contains,zq,5,,,,\n"
	    "t.contains,isp,,body,contains,is restricted by,5,,,,\n"
	    "t.re,isp,,body,regexp,Sp.*er Gate [0-9]+,5,,,,\n"
	    "t.tail,isp,,body,contains,END-OF-BODY-MARK,5,,,,\n", header);
	p = write_tmp("types.csv", text);
	ck_assert_int_eq(fingerprint_set_load(fs, p), 6);
	ck_assert_str_eq(match_body(fs, "<b>blocked</b>", NULL), "t.full");
	ck_assert_ptr_null(match_body(fs, "<b>blocked</b> ", NULL));
	ck_assert_str_eq(match_body(fs, "<html><!-- filter v2 -->", NULL),
	    "t.prefix");
	ck_assert_ptr_null(match_body(fs, " <html><!-- filter", NULL));
	ck_assert_str_eq(match_body(fs, "..zq..", NULL), "t.short");
	ck_assert_str_eq(match_body(fs, "access is restricted by law", NULL),
	    "t.contains");
	ck_assert_str_eq(match_body(fs, "Spider Gate 42", NULL), "t.re");
	ck_assert_ptr_null(match_body(fs, "Spider Gate x", NULL));
	/* The first fingerprint in file order wins, wherever it matches. */
	ck_assert_str_eq(match_body(fs, "is restricted by ... zq", NULL),
	    "t.short");
	/* A pattern at the very end of a large body; a body of 3 bytes. */
	big = xmalloc(70000);
	for (i = 0; i < 70000 - 17; i++)
		big[i] = "abcdefgh"[i % 8];
	memcpy(big + 70000 - 17, "END-OF-BODY-MARK", 17);
	ck_assert_str_eq(match_body(fs, big, NULL), "t.tail");
	ck_assert_ptr_null(match_body(fs, "abc", NULL));
	free(big);
	free(text);
	free(p);
	fingerprint_set_free(fs);
}
END_TEST

/* A page the "fp" scope marks as a false positive is no blockpage. */
START_TEST(false_positives)
{
	struct fingerprint_set	*fs = fingerprint_set_new();
	char			*p, *text;

	xasprintf(&text, "%s"
	    "t.block,nat,,body,contains,Access denied,5,,,,\n"
	    "t.fp,fp,,body,contains,Thank you for using nginx,5,,,,\n"
	    "t.loc,nat,,header.location,prefix,http://block.example/,5,,,,\n"
	    "t.fploc,fp,,header.location,contains,/login,5,,,,\n", header);
	p = write_tmp("fp.csv", text);
	ck_assert_int_eq(fingerprint_set_load(fs, p), 4);
	ck_assert_str_eq(match_body(fs, "Access denied", NULL), "t.block");
	ck_assert_ptr_null(match_body(fs, "Access denied. Thank you for using "
	    "nginx.", NULL));
	ck_assert_ptr_null(match_body(fs, "Thank you for using nginx", NULL));
	ck_assert_str_eq(match_header(fs, "Location", "http://block.example/x",
	    ""), "t.loc");
	ck_assert_ptr_null(match_header(fs, "Location",
	    "http://block.example/login", ""));
	free(text);
	free(p);
	fingerprint_set_free(fs);
}
END_TEST

/* Bad rows are skipped, the good ones kept; foreign CSVs are skipped. */
START_TEST(bad_input)
{
	struct fingerprint_set	*fs = fingerprint_set_new();
	char			*p, *q, *text, *dir;

	xasprintf(&text, "%s"
	    "t.ok,isp,,body,contains,fine,5,,,,\n"
	    "t.badre,isp,,body,regexp,(unclosed,5,,,,\n"
	    "t.badtype,isp,,body,glob,x*,5,,,,\n"
	    "t.badloc,isp,,cookie,contains,x,5,,,,\n"
	    "t.empty,isp,,body,contains,,5,,,,\n"
	    "t.unterminated,isp,,body,contains,\"open", header);
	xasprintf(&dir, "%s/dir", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	p = write_tmp("dir/a.csv", text);
	q = write_tmp("dir/legend.csv", "category_code,description\nNEWS,x\n");
	free(q);
	q = write_tmp("dir/notes.txt", "not read\n");
	ck_assert_int_eq(fingerprint_set_load(fs, dir), 1);
	ck_assert_str_eq(match_body(fs, "a fine page", NULL), "t.ok");
	ck_assert_ptr_null(match_body(fs, "(unclosed", NULL));
	ck_assert_int_eq(fingerprint_set_load(fs, "/nonexistent/fp.csv"), -1);
	ck_assert_uint_eq(fingerprint_set_count(fs), 1);
	fingerprint_set_free(NULL);
	ck_assert_ptr_null(fingerprint_match_http(NULL, NULL, NULL));
	free(text);
	free(dir);
	free(p);
	free(q);
	fingerprint_set_free(fs);
}
END_TEST

/* A regexp with heavy backtracking gives up instead of taking long. */
START_TEST(regexp_bounded)
{
	struct fingerprint_set	*fs = fingerprint_set_new();
	char			*p, *text, *body;

	xasprintf(&text, "%s"
	    "t.slow,isp,,body,regexp,(a|aa)*.*b.*c.*d.*e$,5,,,,\n", header);
	p = write_tmp("slow.csv", text);
	ck_assert_int_eq(fingerprint_set_load(fs, p), 1);
	body = xmalloc(65537);
	memset(body, 'a', 65536);
	body[65536] = '\0';
	ck_assert_ptr_null(match_body(fs, body, NULL));
	free(body);
	free(text);
	free(p);
	fingerprint_set_free(fs);
}
END_TEST

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char	*cmd;

	xasprintf(&cmd, "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	memcpy(tmpdir + strlen(tmpdir) - 6, "XXXXXX", 6);
}

static Suite *
http_suite(void)
{
	Suite	*s = suite_create("http");
	TCase	*tc = tcase_create("fingerprint");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, shipped_files_load);
	tcase_add_test(tc, shipped_blockpages);
	tcase_add_test(tc, by_header_name);
	tcase_add_test(tc, pattern_types);
	tcase_add_test(tc, false_positives);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, regexp_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(http_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
