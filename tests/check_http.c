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
#include "http-parse.h"
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

/* --- the response reader ------------------------------------------- */

static const struct {
	const char	*in;		/* the bytes the server sends */
	size_t		 max_body;
	int		 eof;		/* then the server closes */
	enum http_parse_rc rc;
	int		 status;
	const char	*body;		/* NULL: no check */
	int		 truncated;
	const char	*hname, *hvalue;	/* a header to check */
} cases[] = {
	{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello",
	  100, 0, HTTP_PARSE_DONE, 200, "hello", 0, "server", "x" },
	/* Content-Length larger than max_body: truncated at max_body. */
	{ "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
	  4, 0, HTTP_PARSE_DONE, 200, "0123", 1, NULL, NULL },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n0123",
	  4, 0, HTTP_PARSE_DONE, 200, "0123", 0, NULL, NULL },
	/* Chunked, with an extension and a trailer. */
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
	  "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-T: 1\r\n\r\n",
	  100, 0, HTTP_PARSE_DONE, 200, "hello, world", 0, NULL, NULL },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n",
	  7, 0, HTTP_PARSE_DONE, 200, "hello, ", 1, NULL, NULL },
	/* Chunked wins over Content-Length. */
	{ "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: "
	  "chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
	  100, 0, HTTP_PARSE_DONE, 200, "ok", 0, NULL, NULL },
	/* Body to the end of the connection (HTTP/1.0 style), bare LF. */
	{ "HTTP/1.0 302 Found\nLocation: http://block.example/\n\nmoved",
	  100, 1, HTTP_PARSE_DONE, 302, "moved", 0, "LOCATION",
	  "http://block.example/" },
	{ "HTTP/1.0 200 OK\r\n\r\n0123456789", 4, 0, HTTP_PARSE_DONE, 200,
	  "0123", 1, NULL, NULL },
	{ "HTTP/1.0 200 OK\r\n\r\n0123", 4, 1, HTTP_PARSE_DONE, 200,
	  "0123", 0, NULL, NULL },
	/* An interim 100 Continue is skipped; 204 has no body. */
	{ "HTTP/1.1 100 Continue\r\nX-A: 1\r\n\r\nHTTP/1.1 204 No Content"
	  "\r\n\r\n", 100, 0, HTTP_PARSE_DONE, 204, "", 0, "x-a", NULL },
	/* Folded header; blanks around values. */
	{ "HTTP/1.1 200 OK\r\nX-Long: a\r\n  b  \r\nContent-Length:  0 \r\n"
	  "\r\n", 100, 0, HTTP_PARSE_DONE, 200, "", 0, "x-long", "a b" },
	/* Incomplete: more wanted, then the close is an error. */
	{ "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 100, 0,
	  HTTP_PARSE_MORE, 200, "abc", 0, NULL, NULL },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 100, 1,
	  HTTP_PARSE_ERROR, 200, NULL, 0, NULL, NULL },
	{ "HTTP/1.1 200 OK\r\nServer: x", 100, 1, HTTP_PARSE_ERROR, 200,
	  NULL, 0, NULL, NULL },
	{ "", 100, 1, HTTP_PARSE_ERROR, 0, NULL, 0, NULL, NULL },
	/* Not HTTP at all, or broken framing. */
	{ "SSH-2.0-OpenSSH_9.2\r\n", 100, 0, HTTP_PARSE_ERROR, 0, NULL, 0,
	  NULL, NULL },
	{ "HTTP/1.1 20 OK\r\n", 100, 0, HTTP_PARSE_ERROR, 0, NULL, 0, NULL,
	  NULL },
	{ "HTTP/1.1 200 OK\r\nBad Header: x\r\n", 100, 0, HTTP_PARSE_ERROR,
	  200, NULL, 0, NULL, NULL },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n"
	  "\r\n", 100, 0, HTTP_PARSE_ERROR, 200, NULL, 0, NULL, NULL },
	{ "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 100, 0,
	  HTTP_PARSE_ERROR, 200, NULL, 0, NULL, NULL },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n"
	  "\r\n", 100, 0, HTTP_PARSE_ERROR, 200, NULL, 0, NULL, NULL },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	  100, 0, HTTP_PARSE_ERROR, 200, NULL, 0, NULL, NULL },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "fffffffffffffffffff\r\n", 100, 0, HTTP_PARSE_ERROR, 200, NULL, 0,
	  NULL, NULL },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "2\r\nabcd", 100, 0, HTTP_PARSE_ERROR, 200, NULL, 0, NULL, NULL },
};

static enum http_parse_rc
run_case(size_t k, size_t step, struct http_parse **out)
{
	struct http_parse	*p = http_parse_new(cases[k].max_body);
	const unsigned char	*in = (const unsigned char *)cases[k].in;
	size_t			 len = strlen(cases[k].in), off = 0, n, used;
	enum http_parse_rc	 rc = HTTP_PARSE_MORE;

	while (off < len && rc == HTTP_PARSE_MORE) {
		n = len - off < step ? len - off : step;
		rc = http_parse_feed(p, in + off, n, &used);
		ck_assert_uint_le(used, n);
		if (rc == HTTP_PARSE_MORE)
			ck_assert_uint_eq(used, n);
		off += used;
	}
	if (rc == HTTP_PARSE_MORE && cases[k].eof)
		rc = http_parse_eof(p);
	*out = p;
	return rc;
}

START_TEST(response_table)
{
	static const size_t	 steps[] = { 1, 2, 3, 7, 100000 };
	const struct http_response *r;
	struct http_parse	*p;
	size_t			 k, s;
	enum http_parse_rc	 rc;
	const char		*v;

	for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		for (s = 0; s < sizeof steps / sizeof steps[0]; s++) {
			rc = run_case(k, steps[s], &p);
			r = http_parse_response(p);
			ck_assert_msg(rc == cases[k].rc, "case %zu step %zu: rc %d "
			    "(%s)", k, steps[s], rc, r->error ? r->error : "");
			if (rc == HTTP_PARSE_ERROR)
				ck_assert_ptr_nonnull(r->error);
			ck_assert_int_eq(r->status, cases[k].status);
			if (cases[k].body != NULL) {
				ck_assert_uint_eq(r->body_len,
				    strlen(cases[k].body));
				ck_assert(memcmp(r->body, cases[k].body,
				    r->body_len) == 0);
				ck_assert_int_eq(r->truncated,
				    cases[k].truncated);
			}
			if (cases[k].hname != NULL) {
				v = http_response_header(r, cases[k].hname);
				if (cases[k].hvalue == NULL)
					ck_assert_ptr_null(v);
				else
					ck_assert_str_eq(v, cases[k].hvalue);
			}
			http_parse_free(p);
		}
	}
}
END_TEST

/* Bytes after a complete response are not consumed. */
START_TEST(response_rest)
{
	struct http_parse	*p = http_parse_new(100);
	const char		*in = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
				    "\r\nokEXTRA";
	size_t			 used;

	ck_assert_int_eq(http_parse_feed(p, (const unsigned char *)in,
	    strlen(in), &used), HTTP_PARSE_DONE);
	ck_assert_uint_eq(used, strlen(in) - 5);
	ck_assert_int_eq(http_parse_feed(p, (const unsigned char *)"x", 1,
	    &used), HTTP_PARSE_DONE);
	ck_assert_uint_eq(used, 0);
	http_parse_free(p);
}
END_TEST

/* A head without end, and too many headers, stay bounded. */
START_TEST(response_bounds)
{
	struct http_parse	*p = http_parse_new(100);
	const struct http_response *r;
	char			 line[64];
	size_t			 i;
	enum http_parse_rc	 rc = HTTP_PARSE_MORE;

	http_parse_feed(p, (const unsigned char *)"HTTP/1.1 200 OK\r\n", 17,
	    NULL);
	for (i = 0; i < 100000 && rc == HTTP_PARSE_MORE; i++) {
		snprintf(line, sizeof line, "X-%zu: v\r\n", i);
		rc = http_parse_feed(p, (const unsigned char *)line,
		    strlen(line), NULL);
	}
	r = http_parse_response(p);
	ck_assert_int_eq(rc, HTTP_PARSE_ERROR);
	ck_assert_str_eq(r->error, "response head too large");
	ck_assert_uint_eq(r->n_headers, HTTP_MAX_HEADERS);
	http_parse_free(p);
	http_parse_free(NULL);
}
END_TEST

START_TEST(titles)
{
	static const struct {
		const char	*body, *title;
	} t[] = {
		{ "<html><head><TITLE>Access\r\n  denied </TITLE>", "Access denied" },
		{ "<title lang=\"ru\">Доступ ограничен</title>", "Доступ ограничен" },
		{ "<title>bad \xff byte</title>", "bad ? byte" },
		{ "<title></title>", NULL },
		{ "<titles>x</titles>", NULL },
		{ "no title here", NULL },
		{ "<title>unterminated", "unterminated" },
	};
	char	*s;
	size_t	 i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		s = http_title((const unsigned char *)t[i].body,
		    strlen(t[i].body));
		if (t[i].title == NULL)
			ck_assert_ptr_null(s);
		else
			ck_assert_str_eq(s, t[i].title);
		free(s);
	}
	/* Long titles are cut at a character boundary, 256 bytes at most. */
	{
		char	 body[2000];
		size_t	 o;

		o = (size_t)snprintf(body, sizeof body, "<title>");
		for (i = 0; i < 200; i++)
			o += (size_t)snprintf(body + o, sizeof body - o, "Д");
		s = http_title((const unsigned char *)body, o);
		ck_assert_uint_eq(strlen(s), 256);
		free(s);
	}
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
	tc = tcase_create("response");
	tcase_add_test(tc, response_table);
	tcase_add_test(tc, response_rest);
	tcase_add_test(tc, response_bounds);
	tcase_add_test(tc, titles);
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
