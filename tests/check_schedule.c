/*
 * Unit tests for probe/schedule.c: SPEC parsing and next-start times in
 * fixed zones (TZ set here) at fixed instants, across midnight and DST.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "schedule.h"
#include "util.h"

static void
set_tz(const char *tz)
{
	char	path[256];
	FILE	*f;

	snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
	if ((f = fopen(path, "r")) == NULL)
		ck_abort_msg("zone %s missing: install the tzdata package", tz);
	fclose(f);
	setenv("TZ", tz, 1);
	tzset();
}

static time_t
utc(const char *s)
{
	int64_t	ms;

	if (util_parse_rfc3339_ms(s, &ms) != 0)
		ck_abort_msg("bad time in test: %s", s);
	return (time_t)(ms / 1000);
}

static const char *
fmt(time_t t, char *buf)
{
	util_format_rfc3339_ms((int64_t)t * 1000, buf);
	return buf;
}

/* ---- parsing ----------------------------------------------------------- */

static const struct {
	const char	*spec;
	const char	*cause;		/* substring of the error */
} bad_specs[] = {
	{ "", "empty schedule" },
	{ "   ", "empty schedule" },
	{ "25:00-01:00=5m", "'25:00': hour out of range" },
	{ "17:00-25:00=5m", "'25:00': hour out of range" },
	{ "24:00-01:00=5m", "24:00 can only end a window" },
	{ "24:30-01:00=5m", "hour out of range" },
	{ "17:60-18:00=1m", "minute out of range" },
	{ "17:00:61-18:00=1m", "second out of range" },
	{ "17:00-01:00=0m", "at least 1 second" },
	{ "*=0", "at least 1 second" },
	{ "*=00s", "at least 1 second" },
	{ "17:00-01:00=5m,18:00-19:00=1m", "overlaps" },
	{ "22:00-02:00=5m,01:00-03:00=10m", "overlaps" },
	{ "22:00-02:00=5m,21:00-23:00=10m", "overlaps" },
	{ "00:00-24:00=5m,12:00-13:00=1m", "overlaps" },
	{ "17:00-17:00=5m", "empty window" },
	{ "00:00-00:00=5m", "empty window" },
	{ "garbage", "missing '=INTERVAL'" },
	{ "garbage=5m", "expected HH:MM-HH:MM or '*'" },
	{ "17:00-01:00", "missing '=INTERVAL'" },
	{ "17:00-01:00=", "expected an interval" },
	{ "17:00-01:00=5x", "unknown unit 'x'" },
	{ "17:00-01:00=5mm", "trailing characters" },
	{ "17:00-01:00=-5m", "expected an interval" },
	{ "17:00-01:00=25h", "longer than 24h" },
	{ "*=99999999999999999999999s", "longer than 24h" },
	{ "17-18:00=5m", "expected a time" },
	{ "17:0-18:00=5m", "expected a time" },
	{ "17:00-18:00:=5m", "expected a time" },
	{ "117:00-18:00=5m", "expected a time" },
	{ "a:bc-18:00=5m", "expected a time" },
	{ "17:00-01:00=5m,", "empty item 2" },
	{ ",*=5m", "empty item 1" },
	{ "*=5m,,*=6m", "empty item 2" },
	{ "*=5m,*=10m", "'*' given twice" },
};

START_TEST(test_parse_bad)
{
	struct schedule	*s;
	char		*cause = NULL;

	s = schedule_parse(bad_specs[_i].spec, 900, &cause);
	ck_assert_msg(s == NULL, "'%s' accepted", bad_specs[_i].spec);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strstr(cause, bad_specs[_i].cause) != NULL,
	    "'%s': cause '%s', wanted '%s'", bad_specs[_i].spec, cause,
	    bad_specs[_i].cause);
	free(cause);
}
END_TEST

static const struct {
	const char	*spec;
	const char	*text;
} good_specs[] = {
	{ "17:00-01:00=5m,*=30m", "17:00:00-01:00:00=300s,*=1800s" },
	{ " 17:00 - 01:00 = 5m , * = 30m ", "17:00:00-01:00:00=300s,*=1800s" },
	{ "*=10s", "*=10s" },
	{ "*=300", "*=300s" },
	{ "00:00-24:00=1h", "00:00:00-24:00:00=3600s,*=900s (--interval)" },
	{ "18:00-00:00=2m", "18:00:00-24:00:00=120s,*=900s (--interval)" },
	{ "7:30-8:00:30=90s,17:00-18:00=1m,18:00-19:00=2m,*=24h",
	  "07:30:00-08:00:30=90s,17:00:00-18:00:00=60s,"
	  "18:00:00-19:00:00=120s,*=86400s" },
	{ "22:00-02:00=5m,02:00-22:00=1h", "22:00:00-02:00:00=300s,"
	  "02:00:00-22:00:00=3600s,*=900s (--interval)" },
};

START_TEST(test_parse_good)
{
	struct schedule	*s;
	char		*cause = NULL;

	s = schedule_parse(good_specs[_i].spec, 900, &cause);
	ck_assert_msg(s != NULL, "'%s' refused: %s", good_specs[_i].spec,
	    cause);
	ck_assert_ptr_null(cause);
	ck_assert_str_eq(schedule_describe(s), good_specs[_i].text);
	schedule_free(s);
}
END_TEST

START_TEST(test_free_null)
{
	schedule_free(NULL);
}
END_TEST

/* ---- interval in force -------------------------------------------------- */

static const struct {
	const char	*tz;
	const char	*spec;		/* NULL: uniform 900 s */
	const char	*when;		/* UTC */
	long		 interval;
} at_cases[] = {
	/* Berlin in winter is UTC+1. */
	{ "Europe/Berlin", "17:00-01:00=5m,*=30m", "2026-11-25T15:59:59Z", 1800 },
	{ "Europe/Berlin", "17:00-01:00=5m,*=30m", "2026-11-25T16:00:00Z", 300 },
	{ "Europe/Berlin", "17:00-01:00=5m,*=30m", "2026-11-25T22:59:59Z", 300 },
	{ "Europe/Berlin", "17:00-01:00=5m,*=30m", "2026-11-25T23:00:00Z", 300 },
	{ "Europe/Berlin", "17:00-01:00=5m,*=30m", "2026-11-25T23:59:59Z", 300 },
	{ "Europe/Berlin", "17:00-01:00=5m,*=30m", "2026-11-26T00:00:00Z", 1800 },
	/* ... and UTC+2 in summer: the same window moves in UTC. */
	{ "Europe/Berlin", "17:00-01:00=5m,*=30m", "2026-07-01T15:00:00Z", 300 },
	{ "Europe/Berlin", "17:00-01:00=5m,*=30m", "2026-07-01T14:59:59Z", 1800 },
	{ "America/New_York", "17:00-01:00=5m,*=30m", "2026-11-25T22:00:00Z", 300 },
	{ "America/New_York", "17:00-01:00=5m,*=30m", "2026-11-25T21:59:59Z", 1800 },
	/* Almaty went from UTC+6 to UTC+5 on 2024-03-01. */
	{ "Asia/Almaty", "18:00-24:00=1m", "2024-02-28T12:00:00Z", 60 },
	{ "Asia/Almaty", "18:00-24:00=1m", "2024-03-02T12:00:00Z", 900 },
	{ "Asia/Almaty", "18:00-24:00=1m", "2024-03-02T13:00:00Z", 60 },
	{ "Europe/Berlin", NULL, "2026-03-29T01:30:00Z", 900 },
};

START_TEST(test_interval_at)
{
	struct schedule	*s;
	char		*cause;

	set_tz(at_cases[_i].tz);
	if (at_cases[_i].spec != NULL)
		s = schedule_parse(at_cases[_i].spec, 900, &cause);
	else
		s = schedule_new(900);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(schedule_interval_at(s, utc(at_cases[_i].when)),
	    at_cases[_i].interval);
	schedule_free(s);
}
END_TEST

/* ---- next start --------------------------------------------------------- */

static const struct {
	const char	*tz;
	const char	*spec;		/* NULL: uniform, rest seconds */
	long		 rest;
	const char	*last;		/* UTC */
	long		 jitter;
	const char	*nominal;	/* UTC */
	const char	*start;		/* UTC */
	long		 interval;	/* in force at nominal */
} next_cases[] = {
	/* No --schedule: --interval. */
	{ "Europe/Berlin", NULL, 900, "2026-11-25T10:00:00Z", 0,
	  "2026-11-25T10:15:00Z", "2026-11-25T10:15:00Z", 900 },
	{ "Europe/Berlin", NULL, 900, "2026-11-25T10:00:00Z", 60,
	  "2026-11-25T10:15:00Z", "2026-11-25T10:16:00Z", 900 },
	/* Jitter never reaches the round after. */
	{ "Europe/Berlin", NULL, 10, "2026-11-25T10:00:00Z", 60,
	  "2026-11-25T10:00:10Z", "2026-11-25T10:00:19Z", 10 },
	{ "Europe/Berlin", NULL, 1, "2026-11-25T10:00:00Z", 60,
	  "2026-11-25T10:00:01Z", "2026-11-25T10:00:01Z", 1 },
	/* 16:20 local, 30m: 16:50. */
	{ "Europe/Berlin", "17:00-01:00=5m,*=30m", 900, "2026-11-25T15:20:00Z",
	  0, "2026-11-25T15:50:00Z", "2026-11-25T15:50:00Z", 1800 },
	/* 16:40 local: the 17:00 window starts before 17:10. */
	{ "Europe/Berlin", "17:00-01:00=5m,*=30m", 900, "2026-11-25T15:40:00Z",
	  0, "2026-11-25T16:00:00Z", "2026-11-25T16:00:00Z", 300 },
	/* 16:50 local with 600 s jitter: clamped before 17:05. */
	{ "Europe/Berlin", "17:00-01:00=5m,*=30m", 900, "2026-11-25T15:50:00Z",
	  600, "2026-11-25T16:00:00Z", "2026-11-25T16:04:59Z", 300 },
	/* Across midnight inside the window: 23:58 -> 00:03. */
	{ "Europe/Berlin", "17:00-01:00=5m,*=30m", 900, "2026-11-25T22:58:00Z",
	  0, "2026-11-25T23:03:00Z", "2026-11-25T23:03:00Z", 300 },
	/* The window ends at 01:00: 00:58 -> 01:00, then 30m. */
	{ "Europe/Berlin", "17:00-01:00=5m,*=30m", 900, "2026-11-25T23:58:00Z",
	  0, "2026-11-26T00:00:00Z", "2026-11-26T00:00:00Z", 1800 },
	{ "Europe/Berlin", "17:00-01:00=5m,*=30m", 900, "2026-11-26T00:00:00Z",
	  0, "2026-11-26T00:30:00Z", "2026-11-26T00:30:00Z", 1800 },
	/* Window to 24:00 with --interval for the rest: 23:59 -> 00:00. */
	{ "Europe/Berlin", "18:00-24:00=2m", 3600, "2026-11-25T22:59:00Z",
	  0, "2026-11-25T23:00:00Z", "2026-11-25T23:00:00Z", 3600 },
	/* Last day of the year, next window tomorrow. */
	{ "Europe/Berlin", "18:00-19:00=1m,*=24h", 900, "2026-12-31T18:00:00Z",
	  0, "2027-01-01T17:00:00Z", "2027-01-01T17:00:00Z", 60 },

	/* Berlin spring forward 2026-03-29: 02:00 CET -> 03:00 CEST. */
	/* A round at 01:30 CET with 1h: 02:30 does not exist, 1h later
	 * is 03:30 CEST. */
	{ "Europe/Berlin", NULL, 3600, "2026-03-29T00:30:00Z", 0,
	  "2026-03-29T01:30:00Z", "2026-03-29T01:30:00Z", 3600 },
	/* A window starting at 02:30 starts at the end of the gap. */
	{ "Europe/Berlin", "02:30-04:00=10m,*=1h", 900, "2026-03-29T00:50:00Z",
	  0, "2026-03-29T01:00:00Z", "2026-03-29T01:00:00Z", 600 },
	{ "Europe/Berlin", "02:30-04:00=10m,*=1h", 900, "2026-03-29T01:00:00Z",
	  0, "2026-03-29T01:10:00Z", "2026-03-29T01:10:00Z", 600 },
	/* A window inside the gap does not exist that day. */
	{ "Europe/Berlin", "02:00-03:00=5m,*=1h", 900, "2026-03-29T00:30:00Z",
	  0, "2026-03-29T01:00:00Z", "2026-03-29T01:00:00Z", 3600 },
	{ "Europe/Berlin", "02:00-03:00=5m,*=1h", 900, "2026-03-29T01:00:00Z",
	  0, "2026-03-29T02:00:00Z", "2026-03-29T02:00:00Z", 3600 },
	/* Midnight windows the day of the change. */
	{ "Europe/Berlin", "22:00-02:30=5m,*=1h", 900, "2026-03-29T00:57:00Z",
	  0, "2026-03-29T01:00:00Z", "2026-03-29T01:00:00Z", 3600 },

	/* Berlin fall back 2026-10-25: 03:00 CEST -> 02:00 CET; 02:xx
	 * happens twice and the window with it. */
	{ "Europe/Berlin", "02:00-03:00=10m,*=1h", 900, "2026-10-24T23:30:00Z",
	  0, "2026-10-25T00:00:00Z", "2026-10-25T00:00:00Z", 600 },
	{ "Europe/Berlin", "02:00-03:00=10m,*=1h", 900, "2026-10-25T00:50:00Z",
	  0, "2026-10-25T01:00:00Z", "2026-10-25T01:00:00Z", 600 },
	{ "Europe/Berlin", "02:00-03:00=10m,*=1h", 900, "2026-10-25T01:50:00Z",
	  0, "2026-10-25T02:00:00Z", "2026-10-25T02:00:00Z", 3600 },
	/* 1h steps keep elapsed time: 02:30 CEST -> 02:30 CET. */
	{ "Europe/Berlin", NULL, 3600, "2026-10-25T00:30:00Z", 0,
	  "2026-10-25T01:30:00Z", "2026-10-25T01:30:00Z", 3600 },

	/* New York spring forward 2026-03-08 02:00 EST -> 03:00 EDT. */
	{ "America/New_York", "02:30-03:30=5m,*=1h", 900,
	  "2026-03-08T06:45:00Z", 0,
	  "2026-03-08T07:00:00Z", "2026-03-08T07:00:00Z", 300 },
	{ "America/New_York", "02:30-03:30=5m,*=1h", 900,
	  "2026-03-08T07:25:00Z", 0,
	  "2026-03-08T07:30:00Z", "2026-03-08T07:30:00Z", 3600 },
	/* ... and fall back 2026-11-01 02:00 EDT -> 01:00 EST. */
	{ "America/New_York", "01:00-02:00=15m,*=1h", 900,
	  "2026-11-01T05:45:00Z", 0,
	  "2026-11-01T06:00:00Z", "2026-11-01T06:00:00Z", 900 },
	{ "America/New_York", "01:00-02:00=15m,*=1h", 900,
	  "2026-11-01T06:45:00Z", 0,
	  "2026-11-01T07:00:00Z", "2026-11-01T07:00:00Z", 3600 },
	/* Evening window in New York (UTC-5 in November). */
	{ "America/New_York", "17:00-01:00=5m,*=30m", 900,
	  "2026-11-25T21:45:00Z", 0,
	  "2026-11-25T22:00:00Z", "2026-11-25T22:00:00Z", 300 },

	/* Almaty 2024-03-01 00:00 +06 became 2024-02-29 23:00 +05: the
	 * hour 23:00-24:00 happened twice, with no DST flag involved. */
	{ "Asia/Almaty", "23:00-24:00=10m,*=1h", 900, "2024-02-29T16:50:00Z",
	  0, "2024-02-29T17:00:00Z", "2024-02-29T17:00:00Z", 600 },
	{ "Asia/Almaty", "23:00-24:00=10m,*=1h", 900, "2024-02-29T17:50:00Z",
	  0, "2024-02-29T18:00:00Z", "2024-02-29T18:00:00Z", 600 },
	{ "Asia/Almaty", "23:00-24:00=10m,*=1h", 900, "2024-02-29T18:50:00Z",
	  0, "2024-02-29T19:00:00Z", "2024-02-29T19:00:00Z", 3600 },
	/* The next evening window is at 18:00 +05 = 13:00Z. */
	{ "Asia/Almaty", "18:00-19:00=5m,*=6h", 900, "2024-03-01T09:00:00Z",
	  0, "2024-03-01T13:00:00Z", "2024-03-01T13:00:00Z", 300 },
};

START_TEST(test_next)
{
	struct schedule_slot	 slot;
	struct schedule		*s;
	char			*cause, a[32], b[32];

	set_tz(next_cases[_i].tz);
	if (next_cases[_i].spec != NULL)
		s = schedule_parse(next_cases[_i].spec, next_cases[_i].rest,
		    &cause);
	else
		s = schedule_new(next_cases[_i].rest);
	ck_assert_ptr_nonnull(s);
	schedule_next(s, utc(next_cases[_i].last), next_cases[_i].jitter,
	    &slot);
	ck_assert_msg(slot.nominal == utc(next_cases[_i].nominal),
	    "case %d: nominal %s, wanted %s", _i, fmt(slot.nominal, a),
	    next_cases[_i].nominal);
	ck_assert_msg(slot.start == utc(next_cases[_i].start),
	    "case %d: start %s, wanted %s", _i, fmt(slot.start, b),
	    next_cases[_i].start);
	ck_assert_int_eq(slot.interval, next_cases[_i].interval);
	schedule_free(s);
}
END_TEST

/*
 * Walk a whole year in each zone: every step moves forward, never more
 * than the interval in force, and the number of rounds is what the
 * schedule asks for (no loop, no stall).
 */
static const struct {
	const char	*tz;
	const char	*spec;
	long		 min_rounds;
} walk_cases[] = {
	{ "Europe/Berlin", "17:00-01:00=5m,*=30m", 365 * 120 },
	{ "Europe/Berlin", "02:00-03:00=7m,03:00-02:00=1h", 365 * 31 },
	{ "America/New_York", "01:30-02:30=13m,*=2h", 365 * 16 },
	{ "Asia/Almaty", "23:30-00:30=1m,*=1h", 365 * 80 },
	{ "UTC", "*=1s", 86400L * 7 },
};

START_TEST(test_walk)
{
	struct schedule_slot	 slot;
	struct schedule		*s;
	char			*cause, a[32];
	time_t			 t, end;
	long			 rounds = 0, interval;

	set_tz(walk_cases[_i].tz);
	s = schedule_parse(walk_cases[_i].spec, 900, &cause);
	ck_assert_ptr_nonnull(s);
	t = utc(strcmp(walk_cases[_i].tz, "Asia/Almaty") == 0 ?
	    "2024-01-01T00:00:00Z" : "2026-01-01T00:00:00Z");
	end = t + (strcmp(walk_cases[_i].tz, "UTC") == 0 ? 7 * 86400 :
	    365 * 86400);
	while (t < end) {
		interval = schedule_interval_at(s, t);
		schedule_next(s, t, 0, &slot);
		ck_assert_msg(slot.nominal > t && slot.nominal <= t + interval,
		    "%s: step from %s to %ld", walk_cases[_i].tz, fmt(t, a),
		    (long)(slot.nominal - t));
		ck_assert_int_eq(slot.start, slot.nominal);
		t = slot.nominal;
		rounds++;
		ck_assert_int_lt(rounds, 10 * 1000 * 1000);
	}
	ck_assert_msg(rounds >= walk_cases[_i].min_rounds, "%ld rounds",
	    rounds);
	schedule_free(s);
}
END_TEST

static Suite *
schedule_suite(void)
{
	Suite	*su;
	TCase	*tc;

	su = suite_create("schedule");
	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_bad, 0,
	    sizeof bad_specs / sizeof bad_specs[0]);
	tcase_add_loop_test(tc, test_parse_good, 0,
	    sizeof good_specs / sizeof good_specs[0]);
	tcase_add_test(tc, test_free_null);
	suite_add_tcase(su, tc);

	tc = tcase_create("next");
	tcase_add_loop_test(tc, test_interval_at, 0,
	    sizeof at_cases / sizeof at_cases[0]);
	tcase_add_loop_test(tc, test_next, 0,
	    sizeof next_cases / sizeof next_cases[0]);
	suite_add_tcase(su, tc);

	tc = tcase_create("walk");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_walk, 0,
	    sizeof walk_cases / sizeof walk_cases[0]);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(schedule_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
