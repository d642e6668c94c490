/*
 * Unit tests of the report's pure window finder (probe/report-window.c):
 * table-driven, each case a day profile of 24 hours built into hour bins.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "mp.h"
#include "report.h"
#include "xmalloc.h"

/*
 * A case: fail[h] says what happens at local hour h on every day:
 *   '.' ok            'X' tcp_reset        'M' intercepted (tls_mitm)
 *   '-' no data       'w' tcp_reset on weekdays (day % 7 < 5), ok else
 *   'r' ~3% random    'h' half fail        'q' a quarter fail
 *   'm' 60% fail      'l' 40% fail         's' one failing sample only
 * slow[h] (NULL: all '.'): '.' 80 ms handshakes, 'S' 2400 ms, '-' none.
 * dl[h] (NULL: no downloads at all): '.' 64000-byte downloads at about
 * 2.5 Mbit/s, 'S' at about 128 kbit/s, '-' none.
 * want: windows as "S-E" (failure) joined by spaces, "all" for all_day,
 * "" for nothing; want_slow the same for slow windows, a download window
 * written "S-Ed".
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
	const char	*dl;
};

static const struct wcase cases[] = {
	{ "evening", "..................XXXXXX", NULL, 14, 4, 3,
	  "18-24", "", 14, "tcp_reset", NULL },
	/* the first night (hours 0-1 of day 0) is a 15th window day */
	{ "midnight", "XX....................XX", NULL, 14, 4, 3,
	  "22-2", "", 15, "tcp_reset", NULL },
	{ "midnight-start0", "XXXX....................", NULL, 14, 4, 3,
	  "0-4", "", 14, "tcp_reset", NULL },
	{ "all-ok", "........................", NULL, 14, 4, 3,
	  "", "", -1, NULL, NULL },
	{ "all-day", "MMMMMMMMMMMMMMMMMMMMMMMM", NULL, 14, 4, 3,
	  "all", "", 14, "tls_mitm", NULL },
	{ "all-day-gaps", "MMMM----MMMMMMMMMMMMMMMM", NULL, 14, 4, 3,
	  "all", "", 14, "tls_mitm", NULL },
	{ "all-day-too-few-days", "MMMMMMMMMMMMMMMMMMMMMMMM", NULL, 2, 4, 3,
	  "", "", -1, NULL, NULL },
	{ "weekday-morning", "........wwww............", NULL, 14, 4, 3,
	  "8-12", "", 10, "tcp_reset", NULL },
	{ "weekday-morning-min-days-11", "........wwww............", NULL,
	  14, 4, 11, "", "", -1, NULL, NULL },
	{ "random-3pct", "rrrrrrrrrrrrrrrrrrrrrrrr", NULL, 14, 4, 3,
	  "", "", -1, NULL, NULL },
	{ "random-3pct-hourly", "rrrrrrrrrrrrrrrrrrrrrrrr", NULL, 60, 1, 3,
	  "", "", -1, NULL, NULL },
	{ "bridge-no-data", "..................XX-XXX", NULL, 14, 4, 3,
	  "18-24", "", 14, "tcp_reset", NULL },
	{ "no-data-edges-trimmed", "..............--XX--....", NULL, 14, 4,
	  3, "16-18", "", 14, "tcp_reset", NULL },
	{ "sparse-hour-ignored", "..........s.............", NULL, 14, 4, 3,
	  "", "", -1, NULL, NULL },
	{ "sparse-hour-bridged", "..........XsX...........", NULL, 14, 4, 3,
	  "10-13", "", 14, "tcp_reset", NULL },
	{ "too-few-days", "..................XXXXXX", NULL, 2, 4, 3,
	  "", "", -1, NULL, NULL },
	{ "min-days-1", "..................XXXXXX", NULL, 2, 4, 1,
	  "18-24", "", 2, "tcp_reset", NULL },
	{ "two-windows", "XX......XX..............", NULL, 14, 4, 3,
	  "0-2 8-10", "", 14, "tcp_reset", NULL },
	{ "half-failing", "..........hhhh..........", NULL, 14, 4, 3,
	  "10-14", "", 14, "tcp_reset", NULL },
	{ "quarter-failing", "..........qqqq..........", NULL, 14, 4, 3,
	  "", "", -1, NULL, NULL },
	{ "small-effect", "llllllllllmmmmllllllllll", NULL, 20, 5, 3,
	  "", "", -1, NULL, NULL },
	{ "23-hours", "XXXXXXXXXXXXXXXXXXXXXXX.", NULL, 14, 4, 3,
	  "0-23", "", 14, "tcp_reset", NULL },
	{ "slow-evening", "........................",
	  "....................SS..", 14, 4, 3, "", "20-22", 14, NULL, NULL },
	{ "slow-midnight", "........................",
	  "S......................S", 14, 4, 3, "", "23-1", 15, NULL, NULL },
	{ "slow-too-few-days", "........................",
	  "....................SS..", 2, 4, 3, "", "", -1, NULL, NULL },
	{ "slow-and-blocked", "..................XX....",
	  "..........SS............", 14, 4, 3, "18-20", "10-12", 14,
	  "tcp_reset", NULL },
	{ "slow-bridges-failures", "....................X...",
	  "...................SSSS.", 14, 4, 3, "20-21", "19-23", 14,
	  "tcp_reset", NULL },
	{ "no-data", "------------------------", NULL, 14, 4, 3,
	  "", "", -1, NULL, NULL },
	{ "dl-slow-evening", "........................", NULL, 14, 4, 3,
	  "", "20-22d", 14, NULL, "....................SS.." },
	{ "dl-uniformly-slow", "........................", NULL, 14, 4, 3,
	  "", "", -1, NULL, "SSSSSSSSSSSSSSSSSSSSSSSS" },
	{ "dl-uniformly-fast", "........................", NULL, 14, 4, 3,
	  "", "", -1, NULL, "........................" },
	{ "dl-too-few-days", "........................", NULL, 2, 4, 3,
	  "", "", -1, NULL, "....................SS.." },
	{ "dl-midnight", "........................", NULL, 14, 4, 3,
	  "", "23-1d", 15, NULL, "S......................S" },
	{ "dl-and-tls-apart", "........................",
	  "..........SS............", 14, 4, 3, "", "10-12 20-22d", 14, NULL,
	  "....................SS.." },
	{ "dl-and-tls-same-hours", "........................",
	  "....................SS..", 14, 4, 3, "", "20-22 20-22d", 14, NULL,
	  "....................SS.." },
	{ "dl-bridges-failures", "....................X...", NULL, 14, 4, 3,
	  "20-21", "19-23d", 14, "tcp_reset", "...................SSSS." },
	{ "dl-sparse", "........................", NULL, 14, 4, 3,
	  "", "", -1, NULL, "--------------------SS--" },
};

struct fixture {
	struct rw_hour	 hours[RW_HOURS];
	struct rw_day	*days[RW_HOURS];
	float		*tls[RW_HOURS];
	float		*dl[RW_HOURS];
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
	char		 fc, sc, dc;
	struct rw_hour	*hr;
	struct rw_day	*dy;
	double		 t;

	memset(f, 0, sizeof *f);
	for (h = 0; h < RW_HOURS; h++) {
		hr = &f->hours[h];
		f->days[h] = xcalloc(c->ndays, sizeof *f->days[h]);
		f->tls[h] = xcalloc((size_t)c->ndays * c->per_hour,
		    sizeof *f->tls[h]);
		f->dl[h] = xcalloc((size_t)c->ndays * c->per_hour,
		    sizeof *f->dl[h]);
		dc = c->dl ? c->dl[h] : '-';
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
						hr->method[METHOD_TLS_MITM]++;
						hr->status[STATUS_INTERCEPTED]++;
					} else {
						hr->method[METHOD_TCP_RESET]++;
						hr->status[STATUS_BLOCKED]++;
					}
					continue;
				}
				hr->status[STATUS_OK]++;
				if (dc != '-') {
					/* ms per 1000 bytes: 62.5 or 3.2 */
					t = (dc == 'S' ? 64000.0 / 128 * 8 :
					    64000.0 / 2500 * 8) / 64 *
					    (1 + 0.01 * (idx % 5));
					f->dl[h][hr->ndl++] = t;
					dy->nd++;
					dy->dsumlog += log(t);
				}
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
		hr->dl = f->dl[h];
	}
}

static void
fixture_free(struct fixture *f)
{
	int	h;

	for (h = 0; h < RW_HOURS; h++) {
		free(f->days[h]);
		free(f->tls[h]);
		free(f->dl[h]);
	}
}

static void
describe(const struct rw_window *w, size_t n, char *out, size_t len)
{
	size_t	i, o = 0;

	out[0] = '\0';
	for (i = 0; i < n && o < len; i++)
		o += snprintf(out + o, len - o, "%s%d-%d%s", i ? " " : "",
		    w[i].start_hour, w[i].end_hour,
		    w[i].step == RW_STEP_DOWNLOAD ? "d" : "");
}

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
	ck_assert_int_eq(res.fail[0].status, STATUS_BLOCKED);
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
	ck_assert_int_eq(res.slow[0].step, RW_STEP_TLS);
	fixture_free(&f);

	build(&f, &cases[28]);		/* slow evening downloads */
	ck_assert_str_eq(cases[28].name, "dl-slow-evening");
	rw_find(f.hours, &p, &res);
	ck_assert_uint_eq(res.nslow, 1);
	ck_assert_int_eq(res.slow[0].step, RW_STEP_DOWNLOAD);
	ck_assert_int_eq(res.slow[0].days_seen, 14);
	ck_assert_double_eq_tol(res.slow[0].median_kbps, 128 / 1.02, 1e-3);
	ck_assert_double_eq_tol(res.slow[0].baseline_kbps, 2500 / 1.02, 1e-3);
	ck_assert_double_eq_tol(res.slow[0].median_ms, 62.5 * 1.02, 1e-3);
	fixture_free(&f);
}
END_TEST

START_TEST(test_helpers)
{
	uint32_t	m[RWM_COUNT] = { 0 }, s[RWS_COUNT] = { 0 };
	float		v[] = { 5, 1, 4, 2 };

	ck_assert_int_eq(rw_dominant_method(m), METHOD_NONE);
	m[METHOD_NONE] = 10;
	ck_assert_int_eq(rw_dominant_method(m), METHOD_NONE);
	m[METHOD_TLS_EOF] = 2;
	m[METHOD_TCP_RESET] = 2;
	ck_assert_int_eq(rw_dominant_method(m), METHOD_TCP_RESET);
	m[METHOD_TLS_EOF] = 3;
	ck_assert_int_eq(rw_dominant_method(m), METHOD_TLS_EOF);
	ck_assert_int_eq(rw_dominant_status(s), STATUS_OK);
	s[STATUS_OK] = 100;
	s[STATUS_ANOMALY] = 1;
	ck_assert_int_eq(rw_dominant_status(s), STATUS_ANOMALY);

	ck_assert_int_eq(rw_method_from("tcp_reset", 9), METHOD_TCP_RESET);
	ck_assert_int_eq(rw_method_from("tcp_resetx", 10), RWM_OTHER);
	ck_assert_int_eq(rw_method_from("", 0), RWM_OTHER);
	ck_assert_ptr_null(rw_method_name(METHOD_NONE));
	ck_assert_str_eq(rw_method_name(METHOD_TLS_MITM), "tls_mitm");
	ck_assert_int_eq(rw_status_from("intercepted", 11), STATUS_INTERCEPTED);
	ck_assert_int_eq(rw_status_from("okay", 4), -1);
	/* Every method and status of the record's vocabulary is known. */
	{
		static const char	*methods[] = {
			"dns_nxdomain", "dns_bogon", "dns_inconsistent",
			"dns_timeout", "dns_refused", "dns_servfail",
			"dns_injection", "dns_blockpage", "tcp_refused",
			"tcp_reset", "tcp_timeout", "tls_reset",
			"tls_timeout", "tls_eof", "tls_sni", "tls_mitm",
			"tls_throttled", "http_blockpage", "http_reset",
			"http_timeout", "http_throttled"
		};
		static const char	*statuses[] = {
			"ok", "blocked", "intercepted", "throttled",
			"anomaly", "down", "error"
		};
		size_t			 i;
		enum verdict_method		 m2;
		int			 st;

		for (i = 0; i < sizeof methods / sizeof methods[0]; i++) {
			m2 = rw_method_from(methods[i], strlen(methods[i]));
			ck_assert_int_ne(m2, RWM_OTHER);
			ck_assert_str_eq(rw_method_name(m2), methods[i]);
		}
		for (i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
			st = rw_status_from(statuses[i], strlen(statuses[i]));
			ck_assert_int_ge(st, 0);
			ck_assert_str_eq(rw_status_name(st), statuses[i]);
		}
		ck_assert_int_eq(rw_status_from("throttled", 9),
		    STATUS_THROTTLED);
	}

	ck_assert_double_eq(rw_median(v, 4), 3.0);
	ck_assert_double_eq(rw_median(v, 3), 2.0);	/* sorted: 1 2 4 */
	ck_assert_double_eq(rw_median(v, 0), 0.0);
	ck_assert_double_eq(rw_kbps(64), 125.0);
	ck_assert_double_eq(rw_kbps(0), 0.0);
}
END_TEST


/* --- report_fields_read: the fields of a record read in place ---------- */

static void
pk_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

/* A record with junk around what report reads. */
static void
pack_record(msgpack_sbuffer *sb, const char *host, long tz)
{
	msgpack_packer	pk;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 10);
	pk_str(&pk, "schema");
	msgpack_pack_int(&pk, 1);
	msgpack_pack_int(&pk, 7);		/* a non-str key */
	pk_str(&pk, "ignored");
	pk_str(&pk, "dns");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 2);
	pk_str(&pk, "answers");
	msgpack_pack_array(&pk, 2);
	pk_str(&pk, "203.0.113.1");
	msgpack_pack_bin(&pk, 3);
	msgpack_pack_bin_body(&pk, "\0\1\2", 3);
	pk_str(&pk, "t_ms");
	msgpack_pack_double(&pk, 3.5);
	pk_str(&pk, "target");
	msgpack_pack_map(&pk, 2);
	pk_str(&pk, "port");
	msgpack_pack_int(&pk, 443);
	pk_str(&pk, "host");
	pk_str(&pk, host);
	pk_str(&pk, "start_time");
	pk_str(&pk, "2026-11-25T18:00:03.123Z");
	pk_str(&pk, "tz_offset");
	msgpack_pack_long(&pk, tz);
	pk_str(&pk, "probe_id");
	pk_str(&pk, "p1");
	pk_str(&pk, "tcp");
	msgpack_pack_array(&pk, 3);
	msgpack_pack_map(&pk, 2);
	pk_str(&pk, "failure");
	pk_str(&pk, "connection_reset");
	pk_str(&pk, "t_ms");
	msgpack_pack_double(&pk, 1.0);
	msgpack_pack_nil(&pk);			/* not a map: skipped */
	msgpack_pack_map(&pk, 2);
	pk_str(&pk, "failure");
	msgpack_pack_nil(&pk);
	pk_str(&pk, "t_ms");
	msgpack_pack_int(&pk, 12);
	pk_str(&pk, "tls");
	msgpack_pack_array(&pk, 3);
	msgpack_pack_map(&pk, 3);		/* the control SNI first */
	pk_str(&pk, "sni");
	pk_str(&pk, "example.org");
	pk_str(&pk, "failure");
	msgpack_pack_nil(&pk);
	pk_str(&pk, "t_ms");
	msgpack_pack_double(&pk, 5.0);
	msgpack_pack_map(&pk, 3);
	pk_str(&pk, "failure");
	pk_str(&pk, "connection_reset");
	pk_str(&pk, "sni");
	pk_str(&pk, host);
	pk_str(&pk, "t_ms");
	msgpack_pack_double(&pk, 6.0);
	msgpack_pack_map(&pk, 4);
	pk_str(&pk, "sni");
	pk_str(&pk, host);
	pk_str(&pk, "t_ms");
	msgpack_pack_float(&pk, 80.5f);
	pk_str(&pk, "failure");
	msgpack_pack_nil(&pk);
	pk_str(&pk, "chain");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 1);
	pk_str(&pk, "san");
	msgpack_pack_array(&pk, 0);
	pk_str(&pk, "verdict");
	msgpack_pack_map(&pk, 3);
	pk_str(&pk, "status");
	pk_str(&pk, "ok");
	pk_str(&pk, "status");			/* duplicate: first wins */
	pk_str(&pk, "blocked");
	pk_str(&pk, "method");
	msgpack_pack_nil(&pk);
}

/* An http entry: sni NULL packs nil; nsamples samples up to bytes. */
static void
pack_get(msgpack_packer *pk, const char *sni, const char *failure,
    int status, double t_ms, uint64_t body, int nsamples, uint64_t bytes)
{
	int	i;

	msgpack_pack_map(pk, 7);
	pk_str(pk, "url");
	pk_str(pk, "https://www.example.com/");
	pk_str(pk, "sni");
	if (sni != NULL)
		pk_str(pk, sni);
	else
		msgpack_pack_nil(pk);
	pk_str(pk, "failure");
	if (failure != NULL)
		pk_str(pk, failure);
	else
		msgpack_pack_nil(pk);
	pk_str(pk, "status");
	if (status > 0)
		msgpack_pack_int(pk, status);
	else
		msgpack_pack_nil(pk);
	pk_str(pk, "body_length");
	msgpack_pack_uint64(pk, body);
	pk_str(pk, "samples");
	msgpack_pack_array(pk, nsamples);
	for (i = 1; i <= nsamples; i++) {
		msgpack_pack_map(pk, 2);
		pk_str(pk, "t_ms");
		msgpack_pack_double(pk, t_ms * i / nsamples);
		pk_str(pk, "bytes");
		msgpack_pack_uint64(pk, bytes * i / nsamples);
	}
	pk_str(pk, "t_ms");
	msgpack_pack_double(pk, t_ms);
}

/*
 * The download cost is the target's own GET that got an answer of at
 * least 1024 bytes (the control SNI's, failed ones and tiny ones do not
 * count): ms per 1000 bytes received, from the last sample.
 */
START_TEST(test_fields_http)
{
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	struct report_fields	 f;
	size_t			 used, cut, scanned;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	pk_str(&pk, "http");
	msgpack_pack_array(&pk, 6);
	pack_get(&pk, "example.org", NULL, 200, 10, 64000, 3, 64500);
	pack_get(&pk, "www.example.com", "connection_reset", 0, 50, 0, 1,
	    100);
	pack_get(&pk, "www.example.com", NULL, 0, 50, 0, 0, 0);
	pack_get(&pk, NULL, NULL, 301, 30, 200, 1, 400);
	pack_get(&pk, "www.example.com", NULL, 200, 4000, 64000, 40, 64500);
	pack_get(&pk, NULL, NULL, 200, 100, 64000, 0, 0);
	pk_str(&pk, "target");
	msgpack_pack_map(&pk, 1);
	pk_str(&pk, "host");
	pk_str(&pk, "www.example.com");

	ck_assert_int_eq(report_fields_read(sb.data, sb.size, &used, &f), 0);
	ck_assert_uint_eq(used, sb.size);
	/* answered: the control SNI's, the 301, the slow one, the last */
	ck_assert_uint_eq(f.ndl, 4);
	ck_assert_double_eq(f.dl[3].bytes, 64000);	/* no samples */
	ck_assert_double_eq_tol(report_fields_dl_cost(&f), 4000 / 64.5, 1e-9);

	for (cut = 0; cut < sb.size; cut++) {
		ck_assert_int_eq(report_fields_read(sb.data, cut, &used, &f),
		    -1);
		ck_assert_int_eq(scan(sb.data, cut, &scanned), -1);
	}

	/* No http key, or none of the target's: no download. */
	ck_assert_int_eq(report_fields_read("\x80", 1, &used, &f), 0);
	ck_assert_double_eq(report_fields_dl_cost(&f), -1);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

START_TEST(test_fields)
{
	msgpack_sbuffer		 sb;
	struct report_fields	 f;
	size_t			 used, one, cut, scanned;

	msgpack_sbuffer_init(&sb);
	pack_record(&sb, "www.example.com", -18000);
	one = sb.size;
	pack_record(&sb, "second.example", 3600);

	ck_assert_int_eq(report_fields_read(sb.data, sb.size, &used, &f), 0);
	ck_assert_uint_eq(used, one);
	ck_assert_uint_eq(f.hostlen, 15);
	ck_assert(memcmp(f.host, "www.example.com", 15) == 0);
	ck_assert_uint_eq(f.startlen, 24);
	ck_assert(memcmp(f.start, "2026-11-25T18:00:03.123Z", 24) == 0);
	ck_assert_int_eq(f.has_tz, 1);
	ck_assert_int_eq(f.tz, -18000);
	ck_assert(f.probelen == 2 && memcmp(f.probe, "p1", 2) == 0);
	ck_assert(f.statuslen == 2 && memcmp(f.status, "ok", 2) == 0);
	ck_assert_ptr_null(f.method);
	ck_assert_double_eq(f.tcp_ms, 12.0);
	ck_assert_uint_eq(f.ntls, 2);
	ck_assert_double_eq(report_fields_tls_ms(&f), 80.5);

	ck_assert_int_eq(report_fields_read(sb.data + one, sb.size - one,
	    &used, &f), 0);
	ck_assert_uint_eq(used, sb.size - one);
	ck_assert_int_eq(f.tz, 3600);
	ck_assert_uint_eq(f.hostlen, 14);

	/* Every truncation is rejected, as the cursor rejects it. */
	for (cut = 0; cut < one; cut++) {
		ck_assert_msg(report_fields_read(sb.data, cut, &used, &f) ==
		    -1, "accepted a record cut at %zu of %zu", cut, one);
		ck_assert_int_eq(scan(sb.data, cut, &scanned), -1);
	}
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

START_TEST(test_fields_types)
{
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	struct report_fields	 f;
	size_t			 used;

	/* Not a map. */
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 1);
	msgpack_pack_nil(&pk);
	ck_assert_int_eq(report_fields_read(sb.data, sb.size, &used, &f), -1);
	msgpack_sbuffer_clear(&sb);

	/* Wrong types are left unset, the record is still well-formed. */
	msgpack_pack_map(&pk, 5);
	pk_str(&pk, "target");
	pk_str(&pk, "not a map");
	pk_str(&pk, "tz_offset");
	msgpack_pack_double(&pk, 3600.5);
	pk_str(&pk, "start_time");
	msgpack_pack_int(&pk, 5);
	pk_str(&pk, "tls");
	msgpack_pack_map(&pk, 0);
	pk_str(&pk, "verdict");
	msgpack_pack_map(&pk, 2);
	pk_str(&pk, "status");
	msgpack_pack_true(&pk);
	pk_str(&pk, "method");
	pk_str(&pk, "tcp_reset");
	ck_assert_int_eq(report_fields_read(sb.data, sb.size, &used, &f), 0);
	ck_assert_uint_eq(used, sb.size);
	ck_assert_ptr_null(f.host);
	ck_assert_int_eq(f.has_tz, 0);
	ck_assert_ptr_null(f.start);
	ck_assert_ptr_null(f.status);
	ck_assert(f.methodlen == 9 && memcmp(f.method, "tcp_reset", 9) == 0);
	ck_assert_uint_eq(f.ntls, 0);
	ck_assert_double_eq(report_fields_tls_ms(&f), -1);
	msgpack_sbuffer_clear(&sb);

	/* A count larger than the bytes present. */
	ck_assert_int_eq(report_fields_read("\xdf\xff\xff\xff\xff\xa1x",
	    7, &used, &f), -1);
	ck_assert_int_eq(report_fields_read("\xc1", 1, &used, &f), -1);
	ck_assert_int_eq(report_fields_read("", 0, &used, &f), -1);
	msgpack_sbuffer_destroy(&sb);
}
END_TEST

/* Mutated records: whatever report_fields_read() accepts, the cursor does. */
START_TEST(test_fields_mutations)
{
	msgpack_sbuffer		 sb;
	struct report_fields	 f;
	uint32_t		 seed = 1;
	size_t			 used, scanned, pos;
	char			*copy;
	int			 i, k;

	msgpack_sbuffer_init(&sb);
	pack_record(&sb, "www.example.com", 18000);
	copy = xmalloc(sb.size);
	for (i = 0; i < 5000; i++) {
		memcpy(copy, sb.data, sb.size);
		for (k = 0; k < 1 + i % 4; k++) {
			pos = lcg(&seed) % sb.size;
			copy[pos] = (char)lcg(&seed);
		}
		if (report_fields_read(copy, sb.size, &used, &f) != 0)
			continue;
		ck_assert_int_eq(scan(copy, sb.size, &scanned), 0);
		ck_assert_uint_eq(used, scanned);
		ck_assert(used <= sb.size);
		if (f.host != NULL)
			ck_assert(f.host >= copy && f.host + f.hostlen <=
			    copy + sb.size);
	}
	free(copy);
	msgpack_sbuffer_destroy(&sb);
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
	tcase_set_timeout(tc, 60);	/* a loaded CI machine */
	suite_add_tcase(s, tc);
	tc = tcase_create("fields");
	tcase_add_test(tc, test_fields);
	tcase_add_test(tc, test_fields_types);
	tcase_add_test(tc, test_fields_http);
	tcase_add_test(tc, test_fields_mutations);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
