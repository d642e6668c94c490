/*
 * Unit tests of target lists: URL schemes and ports, bare hosts in the url
 * column, internationalised names, folded categories, legend files and
 * loading several lists at once.
 */
#include <sys/stat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "targets.h"
#include "xmalloc.h"

static int
load(struct targets *t, const char *s)
{
	return targets_load_buffer(t, "list", s, strlen(s));
}

/* One line of a plain list or one url cell of a CSV, and what it gives. */
struct url_case {
	const char	*in;
	const char	*host;		/* NULL: refused */
	int		 scheme;
	int		 port;
	int		 http_port;
	const char	*path;
	int		 is_ip;
};

static const struct url_case url_cases[] = {
	{ "https://www.Example.com/", "www.example.com", TARGET_HTTPS, 443, 0,
	  "/", 0 },
	{ "https://example.com", "example.com", TARGET_HTTPS, 443, 0, "/", 0 },
	{ "https://example.com?q=1", "example.com", TARGET_HTTPS, 443, 0,
	  "/?q=1", 0 },
	{ "https://example.com:8443/a?b=c#frag", "example.com", TARGET_HTTPS,
	  8443, 0, "/a?b=c", 0 },
	/* http: TLS on 443 and plain HTTP on 80 ... */
	{ "http://example.com/x/y", "example.com", TARGET_HTTP, 443, 80,
	  "/x/y", 0 },
	{ "HTTP://example.com", "example.com", TARGET_HTTP, 443, 80, "/", 0 },
	/* ... or plain HTTP only on an explicit port, never a handshake. */
	{ "http://example.com:8080/", "example.com", TARGET_HTTP, 0, 8080, "/",
	  0 },
	{ "http://example.com:80/", "example.com", TARGET_HTTP, 0, 80, "/", 0 },
	{ "http://[2001:db8::1]:81/", "2001:db8::1", TARGET_HTTP, 0, 81, "/",
	  1 },
	{ "http://192.0.2.1/", "192.0.2.1", TARGET_HTTP, 443, 80, "/", 1 },
	/* Internationalised names become A-labels (IDNA 2008, UTS #46). */
	{ "https://b\xc3\xbc" "cher.example/", "xn--bcher-kva.example",
	  TARGET_HTTPS, 443, 0, "/", 0 },
	{ "https://B\xc3\x9c" "CHER.example/", "xn--bcher-kva.example",
	  TARGET_HTTPS, 443, 0, "/", 0 },
	{ "http://\xd0\xbf\xd1\x80\xd0\xb5\xd0\xb7\xd0\xb8\xd0\xb4\xd0\xb5"
	  "\xd0\xbd\xd1\x82.\xd1\x80\xd1\x84/", "xn--d1abbgf6aiiy.xn--p1ai",
	  TARGET_HTTP, 443, 80, "/", 0 },
	/* ß stays ß (non-transitional, IDNA 2008), not "ss". */
	{ "https://fa\xc3\x9f.de/", "xn--fa-hia.de", TARGET_HTTPS, 443, 0,
	  "/", 0 },
	{ "https://xn--bcher-kva.example/", "xn--bcher-kva.example",
	  TARGET_HTTPS, 443, 0, "/", 0 },
	/* Not a name IDNA 2008 allows, or not UTF-8. */
	{ "https://\xe2\x98\x83.example/", NULL, 0, 0, 0, NULL, 0 },
	{ "https://b\xfc" "cher.example/", NULL, 0, 0, 0, NULL, 0 },
	{ "https://a\xc3\xbc" "..example/", NULL, 0, 0, 0, NULL, 0 },
	{ "ftp://example.com/", NULL, 0, 0, 0, NULL, 0 },
	{ "http://example.com:0/", NULL, 0, 0, 0, NULL, 0 },
	{ "http:///", NULL, 0, 0, 0, NULL, 0 },
};

START_TEST(targets_url_table)
{
	const struct url_case	*c = &url_cases[_i];
	struct targets		 t;
	char			*csv;
	int			 pass, n;

	/* The same in a plain list and in the url column of a CSV. */
	for (pass = 0; pass < 2; pass++) {
		memset(&t, 0, sizeof t);
		if (pass == 0)
			n = load(&t, c->in);
		else {
			xasprintf(&csv, "url,category_code\n\"%s\",NEWS\n",
			    c->in);
			n = load(&t, csv);
			free(csv);
		}
		if (c->host == NULL) {
			ck_assert_msg(n == 0 && t.n == 0, "accepted %s",
			    c->in);
			continue;
		}
		ck_assert_msg(n == 1 && t.n == 1, "refused %s", c->in);
		ck_assert_str_eq(t.v[0].input, c->in);
		ck_assert_str_eq(t.v[0].host, c->host);
		ck_assert_int_eq(t.v[0].scheme, c->scheme);
		ck_assert_int_eq(t.v[0].port, c->port);
		ck_assert_int_eq(t.v[0].http_port, c->http_port);
		ck_assert_str_eq(t.v[0].path, c->path);
		ck_assert_int_eq(t.v[0].is_ip, c->is_ip);
		ck_assert_int_eq(TARGET_PORT(&t.v[0]),
		    c->port != 0 ? c->port : c->http_port);
		targets_free(&t);
	}
}
END_TEST

/* Bare hosts in the url column (official lists) are https. */
START_TEST(targets_csv_bare_hosts)
{
	struct targets	t;
	int		n;

	memset(&t, 0, sizeof t);
	n = load(&t,
	    "url,name,category_code,date_added\n"
	    "www.youtradefx.com,official/it/bofh,DEV,2014-12-15\n"
	    ".cbmsport.com,official/it/aams,GMB,\n"
	    "Redbet69.com,official/it/aams,GMB,\n"
	    "host.example:8443,x,GMB,\n"
	    "b\xc3\xbc" "cher.example,x,GMB,\n"
	    ",official/it/aams,GMB,\n"
	    "..bad.example,x,GMB,\n"
	    "a.example/path,x,GMB,\n");
	ck_assert_int_eq(n, 5);
	ck_assert_uint_eq(t.n, 5);
	ck_assert_str_eq(t.v[0].host, "www.youtradefx.com");
	ck_assert_int_eq(t.v[0].scheme, TARGET_HTTPS);
	ck_assert_int_eq(t.v[0].port, 443);
	ck_assert_int_eq(t.v[0].http_port, 0);
	ck_assert_str_eq(t.v[0].category, "DEV");
	ck_assert_str_eq(t.v[1].host, "cbmsport.com");
	ck_assert_str_eq(t.v[1].input, ".cbmsport.com");
	ck_assert_str_eq(t.v[2].host, "redbet69.com");
	ck_assert_str_eq(t.v[2].input, "Redbet69.com");
	ck_assert_int_eq(t.v[3].port, 8443);
	ck_assert_str_eq(t.v[4].host, "xn--bcher-kva.example");
	ck_assert_str_eq(t.v[4].input, "b\xc3\xbc" "cher.example");
	targets_free(&t);
}
END_TEST

/* Same scheme, host and port: one target with every category. */
START_TEST(targets_fold_categories)
{
	struct targets	t;
	int		n;

	memset(&t, 0, sizeof t);
	n = load(&t,
	    "url,category_code\n"
	    "https://news.example/,NEWS\n"
	    "https://NEWS.example:443/other,HUMR\n"
	    "https://news.example/again,NEWS\n"
	    "https://news.example/x,\n"
	    "http://news.example/,POLR\n"		/* another scheme */
	    "http://news.example:8080/,CTRL\n"	/* another port */
	    "http://news.example:80/,PUBH\n"	/* 80 is http's own */
	    "https://news.example:8443/,GRP\n"
	    "https://b\xc3\xbc" "cher.example/,LGBT\n"
	    "https://xn--bcher-kva.example/,REL\n"
	    "https://nocat.example/,\n");
	ck_assert_int_eq(n, 11);
	ck_assert_uint_eq(t.n, 6);
	ck_assert_str_eq(t.v[0].input, "https://news.example/");
	ck_assert_str_eq(t.v[0].category, "NEWS,HUMR");
	ck_assert_str_eq(t.v[1].category, "POLR,PUBH");
	ck_assert_int_eq(t.v[1].port, 443);
	ck_assert_int_eq(t.v[1].scheme, TARGET_HTTP);
	ck_assert_int_eq(t.v[2].http_port, 8080);
	ck_assert_int_eq(t.v[2].port, 0);
	ck_assert_str_eq(t.v[2].category, "CTRL");
	ck_assert_str_eq(t.v[3].category, "GRP");
	ck_assert_str_eq(t.v[4].category, "LGBT,REL");
	ck_assert_ptr_null(t.v[5].category);

	/* Across lists and formats; a target without one gains it. */
	n = load(&t, "news.example MISC\nnocat.example CTRL\n"
	    "news.example:443 NEWS\n");
	ck_assert_int_eq(n, 3);
	ck_assert_uint_eq(t.n, 6);
	ck_assert_str_eq(t.v[0].category, "NEWS,HUMR,MISC");
	ck_assert_str_eq(t.v[5].category, "CTRL");
	targets_free(&t);
}
END_TEST

/* Categories fold up to a bound, with a warning past it. */
START_TEST(targets_fold_bounded)
{
	struct targets	 t;
	char		 line[64];
	size_t		 i;

	memset(&t, 0, sizeof t);
	for (i = 0; i < 200; i++) {
		snprintf(line, sizeof line, "many.example C%zu\n", i);
		ck_assert_int_eq(load(&t, line), 1);
	}
	ck_assert_uint_eq(t.n, 1);
	ck_assert_uint_le(strlen(t.v[0].category), 256);
	ck_assert_ptr_nonnull(strstr(t.v[0].category, "C0,C1,C2,"));
	targets_free(&t);
}
END_TEST

/* A CSV without a url column is no target list: skipped, not an error. */
/* A header cell with NUL bytes: every byte of a cell is kept, so trimming
 * blanks from its end never reads past it (found by fuzz_targets). */
START_TEST(targets_csv_nul_header)
{
	static const char in[] = "url,ca\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
	    "\0\0\0\0\0\0\0\0,category_code\nhttps://a.example/,x,NEWS\n";
	struct targets	t;
	int		n;

	memset(&t, 0, sizeof t);
	n = targets_load_buffer(&t, "list", in, sizeof in - 1);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(t.n, 1);
	targets_free(&t);
}
END_TEST

START_TEST(targets_legend_skipped)
{
	static const char *const legends[] = {
		"CategoryCode,CategoryName\nFEXP,Freedom of expression\n",
		"CountryCode,CountryName\nAD,Andorra\nAE,United Arab "
		    "Emirates\n",
		"Category Description,New Code,Replaces old code(s),"
		    "Description\nAlcohol & Drugs,ALDR,ALDR,\"Sites, "
		    "devoted\"\n",
		"# comment\n\nurl_x,category_code\nhttps://a.example,X\n",
	};
	struct targets	t;
	size_t		i;

	memset(&t, 0, sizeof t);
	for (i = 0; i < sizeof legends / sizeof legends[0]; i++) {
		ck_assert_int_eq(load(&t, legends[i]), 0);
		ck_assert_uint_eq(t.n, 0);
	}
	/* A lone "url" header is a list (with no rows yet). */
	ck_assert_int_eq(load(&t, "url\nhttps://a.example/\n"), 1);
	ck_assert_int_eq(load(&t, "URL\r\nhttps://b.example/\n"), 1);
	/* A plain list whose first line has a comment with a comma. */
	ck_assert_int_eq(load(&t, "c.example NEWS # news, mostly\n"), 1);
	ck_assert_uint_eq(t.n, 3);
	targets_free(&t);
}
END_TEST

static char *
write_tmp(const char *dir, const char *name, const char *text)
{
	char	*path;
	FILE	*f;

	xasprintf(&path, "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Several lists: legends skipped; unreadable or no target at all: -1. */
START_TEST(targets_load_many)
{
	char		 dir[] = "/tmp/nj-targets-XXXXXX";
	char		*p[4];
	struct targets	 t;
	size_t		 i;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	p[0] = write_tmp(dir, "00-LEGEND.csv", "CountryCode,CountryName\n"
	    "KZ,Kazakhstan\n");
	p[1] = write_tmp(dir, "kz.csv", "url,category_code\n"
	    "https://kz.example/,NEWS\n");
	p[2] = write_tmp(dir, "global.csv", "url,category_code\n"
	    "https://kz.example/,HUMR\nhttps://g.example/,GRP\n");
	xasprintf(&p[3], "%s/missing.csv", dir);

	memset(&t, 0, sizeof t);
	ck_assert_int_eq(targets_load_files(&t, p, 3), 0);
	ck_assert_uint_eq(t.n, 2);
	ck_assert_str_eq(t.v[0].category, "NEWS,HUMR");
	targets_free(&t);
	ck_assert_int_eq(targets_load_files(&t, p, 1), -1);	/* legend only */
	targets_free(&t);
	ck_assert_int_eq(targets_load_files(&t, p, 4), -1);	/* missing */
	targets_free(&t);

	/* Entries dropped by a caller (a resumed campaign). */
	ck_assert_int_eq(targets_load_files(&t, p + 1, 2), 0);
	target_clear(&t.v[0]);
	t.v[0] = t.v[1];
	t.n = 1;
	ck_assert_int_eq(targets_load_file(&t, p[1]), 1);
	ck_assert_uint_eq(t.n, 2);
	ck_assert_str_eq(t.v[1].host, "kz.example");
	ck_assert_int_eq(targets_load_file(&t, p[2]), 2);
	ck_assert_uint_eq(t.n, 2);
	targets_free(&t);

	for (i = 0; i < 4; i++) {
		unlink(p[i]);
		free(p[i]);
	}
	rmdir(dir);
}
END_TEST

static Suite *
targets_suite(void)
{
	Suite	*s = suite_create("targets");
	TCase	*tc = tcase_create("targets");

	tcase_add_loop_test(tc, targets_url_table, 0,
	    (int)(sizeof url_cases / sizeof url_cases[0]));
	tcase_add_test(tc, targets_csv_bare_hosts);
	tcase_add_test(tc, targets_fold_categories);
	tcase_add_test(tc, targets_fold_bounded);
	tcase_add_test(tc, targets_legend_skipped);
	tcase_add_test(tc, targets_csv_nul_header);
	tcase_add_test(tc, targets_load_many);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	log_set_level(LOG_ERROR);
	sr = srunner_create(targets_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
