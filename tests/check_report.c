/*
 * Unit tests of the report's pure window finder (probe/report-window.c):
 * table-driven, each case a day profile of 24 hours built into hour bins.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "xmalloc.h"

/*
 * A case: fail[h] says what happens at local hour h on every day:
 *   '.' ok            'X' tcp_reset        'M' intercepted (tls_mitm)
 *   '-' no data       'w' tcp_reset on weekdays (day % 7 < 5), ok else
 *   'r' ~3% random    'h' half fail        'q' a quarter fail
 *   'm' 60% fail      'l' 40% fail         's' one failing sample only
 * slow[h] (NULL: all '.'): '.' 80 ms handshakes, 'S' 2400 ms, '-' none.
 * want: windows as "S-E" (failure) joined by spaces, "all" for all_day,
 * "" for nothing; want_slow the same for slow windows.
 */
struct wcase {
	const char	*name;
	const char	*fail;
	const char	*slow;
	int		 ndays;
	int		 per_hour;
	int		 min_days;
	const char	*want;
	const char	*want_slow;
	int		 want_days;	/* first window's days, -1 = any */
	const char	*want_method;	/* first window's (or all_day's) */
};

static const struct wcase cases[] = {
	{ "evening", "..................XXXXXX", NULL, 14, 4, 3,
	  "18-24", "", 14, "tcp_reset" },
	/* the first night (hours 0-1 of day 0) is a 15th window day */
	{ "midnight", "XX....................XX", NULL, 14, 4, 3,
	  "22-2", "", 15, "tcp_reset" },
	{ "midnight-start0", "XXXX....................", NULL, 14, 4, 3,
	  "0-4", "", 14, "tcp_reset" },
	{ "all-ok", "........................", NULL, 14, 4, 3,
	  "", "", -1, NULL },
	{ "all-day", "MMMMMMMMMMMMMMMMMMMMMMMM", NULL, 14, 4, 3,
	  "all", "", 14, "tls_mitm" },
	{ "all-day-gaps", "MMMM----MMMMMMMMMMMMMMMM", NULL, 14, 4, 3,
	  "all", "", 14, "tls_mitm" },
	{ "all-day-too-few-days", "MMMMMMMMMMMMMMMMMMMMMMMM", NULL, 2, 4, 3,
	  "", "", -1, NULL },
	{ "weekday-morning", "........wwww............", NULL, 14, 4, 3,
	  "8-12", "", 10, "tcp_reset" },
	{ "weekday-morning-min-days-11", "........wwww............", NULL,
	  14, 4, 11, "", "", -1, NULL },
	{ "random-3pct", "rrrrrrrrrrrrrrrrrrrrrrrr", NULL, 14, 4, 3,
	  "", "", -1, NULL },
	{ "random-3pct-hourly", "rrrrrrrrrrrrrrrrrrrrrrrr", NULL, 60, 1, 3,
	  "", "", -1, NULL },
	{ "bridge-no-data", "..................XX-XXX", NULL, 14, 4, 3,
	  "18-24", "", 14, "tcp_reset" },
	{ "no-data-edges-trimmed", "..............--XX--....", NULL, 14, 4,
	  3, "16-18", "", 14, "tcp_reset" },
	{ "sparse-hour-ignored", "..........s.............", NULL, 14, 4, 3,
	  "", "", -1, NULL },
	{ "sparse-hour-bridged", "..........XsX...........", NULL, 14, 4, 3,
	  "10-13", "", 14, "tcp_reset" },
	{ "too-few-days", "..................XXXXXX", NULL, 2, 4, 3,
	  "", "", -1, NULL },
	{ "min-days-1", "..................XXXXXX", NULL, 2, 4, 1,
	  "18-24", "", 2, "tcp_reset" },
	{ "two-windows", "XX......XX..............", NULL, 14, 4, 3,
	  "0-2 8-10", "", 14, "tcp_reset" },
	{ "half-failing", "..........hhhh..........", NULL, 14, 4, 3,
	  "10-14", "", 14, "tcp_reset" },
	{ "quarter-failing", "..........qqqq..........", NULL, 14, 4, 3,
	  "", "", -1, NULL },
	{ "small-effect", "llllllllllmmmmllllllllll", NULL, 20, 5, 3,
	  "", "", -1, NULL },
	{ "23-hours", "XXXXXXXXXXXXXXXXXXXXXXX.", NULL, 14, 4, 3,
	  "0-23", "", 14, "tcp_reset" },
	{ "slow-evening", "........................",
	  "....................SS..", 14, 4, 3, "", "20-22", 14, NULL },
	{ "slow-midnight", "........................",
	  "S......................S", 14, 4, 3, "", "23-1", 15, NULL },
	{ "slow-too-few-days", "........................",
	  "....................SS..", 2, 4, 3, "", "", -1, NULL },
	{ "slow-and-blocked", "..................XX....",
	  "..........SS............", 14, 4, 3, "18-20", "10-12", 14,
	  "tcp_reset" },
	{ "slow-bridges-failures", "....................X...",
	  "...................SSSS.", 14, 4, 3, "20-21", "19-23", 14,
	  "tcp_reset" },
	{ "no-data", "------------------------", NULL, 14, 4, 3,
	  "", "", -1, NULL },
};

struct fixture {
	struct rw_hour	 hours[RW_HOURS];
	struct rw_day	*days[RW_HOURS];
	float		*tls[RW_HOURS];
};

static uint32_t
lcg(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 16) & 0x7fff;
}

static void
build(struct fixture *f, const struct wcase *c)
{
	uint32_t	 seed = 42;
	int		 h, d, k, idx, fails;
	char		 fc, sc;
	struct rw_hour	*hr;
	struct rw_day	*dy;
	double		 t;

	memset(f, 0, sizeof *f);
	for (h = 0; h < RW_HOURS; h++) {
		hr = &f->hours[h];
		f->days[h] = xcalloc(c->ndays, sizeof *f->days[h]);
		f->tls[h] = xcalloc((size_t)c->ndays * c->per_hour,
		    sizeof *f->tls[h]);
		fc = c->fail[h];
		sc = c->slow ? c->slow[h] : '.';
		for (d = 0; d < c->ndays; d++) {
			dy = NULL;
			for (k = 0; k < c->per_hour; k++) {
				idx = d * c->per_hour + k;
				if (fc == '-' || (fc == 's' && idx > 0))
					continue;
				switch (fc) {
				case 'X': case 'M': case 's':
					fails = 1; break;
				case 'w': fails = d % 7 < 5; break;
				case 'r': fails = lcg(&seed) % 100 < 3; break;
				case 'h': fails = idx % 2 == 0; break;
				case 'q': fails = idx % 4 == 0; break;
				case 'm': fails = idx % 5 < 3; break;
				case 'l': fails = idx % 5 < 2; break;
				default: fails = 0; break;
				}
				if (dy == NULL) {
					dy = &f->days[h][hr->ndays++];
					dy->day = 20000 + d;
				}
				hr->n++;
				dy->n++;
				if (fails) {
					hr->failed++;
					dy->failed++;
					if (fc == 'M') {
						hr->method[RWM_TLS_MITM]++;
						hr->status[RWS_INTERCEPTED]++;
					} else {
						hr->method[RWM_TCP_RESET]++;
						hr->status[RWS_BLOCKED]++;
					}
					continue;
				}
				hr->status[RWS_OK]++;
				if (sc == '-')
					continue;
				t = (sc == 'S' ? 2400 : 80) * (1 + 0.01 * (idx % 5));
				f->tls[h][hr->ntls++] = t;
				dy->nt++;
				dy->sumlog += log(t);
			}
		}
		hr->days = f->days[h];
		hr->tls = f->tls[h];
	}
}

static void
fixture_free(struct fixture *f)
{
	int	h;

	for (h = 0; h < RW_HOURS; h++) {
		free(f->days[h]);
		free(f->tls[h]);
	}
}

static void
describe(const struct rw_window *w, size_t n, char *out, size_t len)
{
	size_t	i, o = 0;

	out[0] = '\0';
	for (i = 0; i < n && o < len; i++)
		o += snprintf(out + o, len - o, "%s%d-%d", i ? " " : "",
		    w[i].start_hour, w[i].end_hour);
}

START_TEST(test_windows)
{
	const struct wcase	*c = &cases[_i];
	struct fixture		 f;
	struct rw_params	 p;
	struct rw_result	 res;
	char			 got[256], got_slow[256];
	const struct rw_window	*first = NULL;

	build(&f, c);
	rw_params_default(&p);
	p.min_days = c->min_days;
	rw_find(f.hours, &p, &res);

	if (res.all_day) {
		snprintf(got, sizeof got, "all");
		ck_assert_msg(res.nfail == 0, "%s: all_day with windows",
		    c->name);
		first = &res.whole;
	} else {
		describe(res.fail, res.nfail, got, sizeof got);
		if (res.nfail > 0)
			first = &res.fail[0];
	}
	describe(res.slow, res.nslow, got_slow, sizeof got_slow);
	ck_assert_msg(strcmp(got, c->want) == 0, "%s: windows '%s', want '%s'",
	    c->name, got, c->want);
	ck_assert_msg(strcmp(got_slow, c->want_slow) == 0,
	    "%s: slow windows '%s', want '%s'", c->name, got_slow,
	    c->want_slow);
	if (first == NULL && res.nslow > 0)
		first = &res.slow[0];
	if (c->want_days >= 0) {
		ck_assert_ptr_nonnull(first);
		ck_assert_msg(first->days == c->want_days,
		    "%s: days %d, want %d", c->name, first->days,
		    c->want_days);
	}
	if (c->want_method != NULL) {
		ck_assert_ptr_nonnull(first);
		ck_assert_str_eq(rw_method_name(first->method), c->want_method);
	}
	fixture_free(&f);
}
END_TEST

START_TEST(test_rates)
{
	struct fixture		 f;
	struct rw_params	 p;
	struct rw_result	 res;

	build(&f, &cases[0]);		/* evening */
	rw_params_default(&p);
	rw_find(f.hours, &p, &res);
	ck_assert_uint_eq(res.nfail, 1);
	ck_assert_double_eq_tol(res.fail[0].rate, 1.0, 1e-9);
	ck_assert_double_eq_tol(res.fail[0].baseline, 0.0, 1e-9);
	ck_assert_int_eq(res.fail[0].days_seen, 14);
	ck_assert_int_eq(res.fail[0].status, RWS_BLOCKED);
	fixture_free(&f);

	build(&f, &cases[7]);		/* weekday morning */
	rw_find(f.hours, &p, &res);
	ck_assert_uint_eq(res.nfail, 1);
	ck_assert_double_eq_tol(res.fail[0].rate, 10.0 / 14, 1e-9);
	ck_assert_int_eq(res.fail[0].days, 10);
	ck_assert_int_eq(res.fail[0].days_seen, 14);
	fixture_free(&f);

	build(&f, &cases[1]);		/* 22-2: one night is one day */
	rw_find(f.hours, &p, &res);
	ck_assert_uint_eq(res.nfail, 1);
	ck_assert_int_eq(res.fail[0].days, 15);
	ck_assert_int_eq(res.fail[0].days_seen, 15);
	fixture_free(&f);

	build(&f, &cases[22]);		/* slow evening */
	rw_find(f.hours, &p, &res);
	ck_assert_uint_eq(res.nslow, 1);
	ck_assert_double_eq_tol(res.slow[0].median_ms, 2400 * 1.02, 1e-3);
	ck_assert_double_eq_tol(res.slow[0].baseline_ms, 80 * 1.02, 1e-3);
	fixture_free(&f);
}
END_TEST

START_TEST(test_helpers)
{
	uint32_t	m[RWM_COUNT] = { 0 }, s[RWS_COUNT] = { 0 };
	float		v[] = { 5, 1, 4, 2 };

	ck_assert_int_eq(rw_dominant_method(m), RWM_NONE);
	m[RWM_NONE] = 10;
	ck_assert_int_eq(rw_dominant_method(m), RWM_NONE);
	m[RWM_TLS_EOF] = 2;
	m[RWM_TCP_RESET] = 2;
	ck_assert_int_eq(rw_dominant_method(m), RWM_TCP_RESET);
	m[RWM_TLS_EOF] = 3;
	ck_assert_int_eq(rw_dominant_method(m), RWM_TLS_EOF);
	ck_assert_int_eq(rw_dominant_status(s), RWS_OK);
	s[RWS_OK] = 100;
	s[RWS_ANOMALY] = 1;
	ck_assert_int_eq(rw_dominant_status(s), RWS_ANOMALY);

	ck_assert_int_eq(rw_method_from("tcp_reset", 9), RWM_TCP_RESET);
	ck_assert_int_eq(rw_method_from("tcp_resetx", 10), RWM_OTHER);
	ck_assert_int_eq(rw_method_from("", 0), RWM_OTHER);
	ck_assert_ptr_null(rw_method_name(RWM_NONE));
	ck_assert_str_eq(rw_method_name(RWM_TLS_MITM), "tls_mitm");
	ck_assert_int_eq(rw_status_from("intercepted", 11), RWS_INTERCEPTED);
	ck_assert_int_eq(rw_status_from("okay", 4), -1);

	ck_assert_double_eq(rw_median(v, 4), 3.0);
	ck_assert_double_eq(rw_median(v, 3), 2.0);	/* sorted: 1 2 4 */
	ck_assert_double_eq(rw_median(v, 0), 0.0);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("report");
	TCase	*tc = tcase_create("window");
	SRunner	*sr;
	int	 failed;

	tcase_add_loop_test(tc, test_windows, 0,
	    sizeof cases / sizeof cases[0]);
	tcase_add_test(tc, test_rates);
	tcase_add_test(tc, test_helpers);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
