/*
 * Unit tests for campaigns: the chunk flushing policy, the --rate token
 * bucket, --resume over a spool of real records, the per-address limiter
 * on an event loop and the progress line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>
#include <msgpack.h>

#include "addrlimit.h"
#include "campaign.h"
#include "engine.h"
#include "progress.h"
#include "record.h"
#include "spool.h"
#include "targets.h"
#include "xmalloc.h"

START_TEST(flush_policy)
{
	/* nothing packed: never */
	ck_assert_int_eq(campaign_flush_due(1, 0, 0, 1e9), 0);
	ck_assert_int_eq(campaign_flush_due(0, 0, 1 << 30, 1e9), 0);
	/* a campaign: by records, by age, by bytes */
	ck_assert_int_eq(campaign_flush_due(1, 999, 1000, 9999.0), 0);
	ck_assert_int_eq(campaign_flush_due(1, 1000, 1000, 0), 1);
	ck_assert_int_eq(campaign_flush_due(1, 1, 100, 10000.0), 1);
	ck_assert_int_eq(campaign_flush_due(1, 1, CAMPAIGN_CHUNK_BYTES, 0), 1);
	/* an ordinary round: one file, unless it grows large */
	ck_assert_int_eq(campaign_flush_due(0, 5000, 1000, 60000.0), 0);
	ck_assert_int_eq(campaign_flush_due(0, 1, CAMPAIGN_CHUNK_BYTES, 0), 1);
}
END_TEST

START_TEST(rate_bucket)
{
	struct campaign_rate	b;
	double			now = 1000.0, w;
	int			started = 0, i;

	campaign_rate_init(&b, 10.0, now);
	ck_assert(campaign_rate_take(&b, now) == 0);	/* the first token */
	w = campaign_rate_take(&b, now);
	ck_assert(w > 99.0 && w <= 100.5);
	ck_assert(campaign_rate_take(&b, now + 50.0) > 0);
	ck_assert(campaign_rate_take(&b, now + 100.0) == 0);

	/* Over 10 simulated seconds at 1 ms steps: about 10 a second. */
	campaign_rate_init(&b, 10.0, 0);
	for (i = 0; i <= 10000; i++)
		if (campaign_rate_take(&b, (double)i) == 0)
			started++;
	ck_assert_int_ge(started, 100);
	ck_assert_int_le(started, 101);

	/* A long pause saves up no more than the burst (50 ms worth). */
	campaign_rate_init(&b, 1000.0, 0);
	started = 0;
	while (campaign_rate_take(&b, 60000.0) == 0)
		started++;
	ck_assert_int_eq(started, 50);

	/* A slow rate still saves one token. */
	campaign_rate_init(&b, 1.0, 0);
	ck_assert(campaign_rate_take(&b, 0) == 0);
	ck_assert(campaign_rate_take(&b, 1000000.0) == 0);
	ck_assert(campaign_rate_take(&b, 1000000.0) > 0);
}
END_TEST

/* Spool a file of records: campaign, host and port each. */
static void
spool_records(const char *dir, const char *name, const char *campaign,
    const char *const *hosts, const int *ports, size_t n)
{
	msgpack_sbuffer	 sbuf;
	msgpack_packer	 pk;
	struct record	*rec;
	size_t		 i;

	msgpack_sbuffer_init(&sbuf);
	msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
	for (i = 0; i < n; i++) {
		rec = record_new();
		rec->probe_id = xstrdup("p");
		rec->campaign = campaign != NULL ? xstrdup(campaign) : NULL;
		rec->target.host = xstrdup(hosts[i]);
		rec->target.input = xstrdup(hosts[i]);
		rec->target.port = ports[i];
		record_pack(rec, &pk);
		record_free(rec);
	}
	ck_assert_int_eq(spool_write(dir, name, sbuf.data, sbuf.size), 0);
	msgpack_sbuffer_destroy(&sbuf);
}

START_TEST(resume_skips_measured)
{
	char		 dir[] = "/tmp/check_campaign.XXXXXX", *sent;
	const char	*list = "a.example\nb.example\nc.example:8443\n"
	    "d.example\ne.example\nf.example\n";
	const char	*h1[] = { "a.example", "c.example", "zz.example" };
	int		 p1[] = { 443, 8443, 443 };
	const char	*h2[] = { "d.example" };
	int		 p2[] = { 443 };
	const char	*h3[] = { "e.example", "b.example" };
	int		 p3[] = { 443, 443 };
	const char	*h4[] = { "f.example" };
	int		 p4[] = { 8443 };
	struct targets	 t;
	FILE		*f;
	long		 n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(spool_prepare(dir), 0);
	/* pending: two of ours (and one not in the list) */
	spool_records(dir, "1.msgpack", "cmp", h1, p1, 3);
	/* sent: one of ours */
	xasprintf(&sent, "%s/sent", dir);
	spool_records(sent, "2.msgpack", "cmp", h2, p2, 1);
	free(sent);
	/* another campaign, and none: not ours */
	spool_records(dir, "3.msgpack", "other", h3, p3, 2);
	spool_records(dir, "4.msgpack", NULL, h3, p3, 2);
	/* same host, another port: not measured */
	spool_records(dir, "5.msgpack", "cmp", h4, p4, 1);
	/* a damaged file is skipped */
	xasprintf(&sent, "%s/6.msgpack", dir);
	f = fopen(sent, "w");
	fputs("\x85garbage", f);
	fclose(f);
	free(sent);

	memset(&t, 0, sizeof t);
	ck_assert_int_eq(targets_load_buffer(&t, "list", list, strlen(list)),
	    6);
	n = campaign_resume(dir, "cmp", &t);
	ck_assert_int_eq(n, 3);
	ck_assert_uint_eq(t.n, 3);
	ck_assert_str_eq(t.v[0].host, "b.example");
	ck_assert_str_eq(t.v[1].host, "e.example");
	ck_assert_str_eq(t.v[2].host, "f.example");
	/* nothing of a campaign that never ran */
	ck_assert_int_eq(campaign_resume(dir, "new", &t), 0);
	ck_assert_uint_eq(t.n, 3);
	targets_free(&t);
	{
		char *cmd;

		xasprintf(&cmd, "rm -rf '%s'", dir);
		ck_assert_int_eq(system(cmd), 0);
		free(cmd);
	}
}
END_TEST

/* --- the per-address limiter ------------------------------------------ */

struct waiter {
	struct addrlimit	*al;
	const char		*addr;
	int			 called;
	int			*order;
	int			*n_order;
	int			 id;
	struct addrlimit_wait	*w;
};

static void
waiter_cb(void *arg)
{
	struct waiter	*wt = arg;

	wt->called++;
	wt->w = NULL;
	wt->order[(*wt->n_order)++] = wt->id;
}

START_TEST(addrlimit_fifo)
{
	struct event_base	*base = event_base_new();
	struct addrlimit	*al = addrlimit_new(base, 2);
	struct waiter		 w[4];
	int			 order[8], n_order = 0, i;

	memset(w, 0, sizeof w);
	for (i = 0; i < 4; i++) {
		w[i].al = al;
		w[i].id = i;
		w[i].order = order;
		w[i].n_order = &n_order;
	}
	ck_assert_int_eq(addrlimit_take(al, "192.0.2.1", waiter_cb, &w[0],
	    &w[0].w), 1);
	ck_assert_int_eq(addrlimit_take(al, "192.0.2.1", waiter_cb, &w[1],
	    &w[1].w), 1);
	/* full: in line */
	ck_assert_int_eq(addrlimit_take(al, "192.0.2.1", waiter_cb, &w[2],
	    &w[2].w), 0);
	ck_assert_int_eq(addrlimit_take(al, "192.0.2.1", waiter_cb, &w[3],
	    &w[3].w), 0);
	/* another address is not held up */
	ck_assert_int_eq(addrlimit_take(al, "2001:db8::1", waiter_cb, &w[0],
	    &w[0].w), 1);
	ck_assert_uint_eq(addrlimit_active(al, "192.0.2.1"), 2);

	/* a release hands the slot over, called back from the loop */
	addrlimit_release(al, "192.0.2.1");
	ck_assert_int_eq(w[2].called, 0);
	ck_assert_uint_eq(addrlimit_active(al, "192.0.2.1"), 2);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(w[2].called, 1);
	ck_assert_int_eq(w[3].called, 0);

	/* the last in line gives up; releases then empty the address */
	addrlimit_cancel(w[3].w);
	addrlimit_release(al, "192.0.2.1");
	addrlimit_release(al, "192.0.2.1");
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(w[3].called, 0);
	ck_assert_uint_eq(addrlimit_active(al, "192.0.2.1"), 0);
	addrlimit_release(al, "2001:db8::1");
	ck_assert_int_eq(n_order, 1);
	ck_assert_int_eq(order[0], 2);

	/* a slot handed over but cancelled before the callback goes on */
	ck_assert_int_eq(addrlimit_take(al, "a", waiter_cb, &w[0], &w[0].w),
	    1);
	ck_assert_int_eq(addrlimit_take(al, "a", waiter_cb, &w[1], &w[1].w),
	    1);
	ck_assert_int_eq(addrlimit_take(al, "a", waiter_cb, &w[2], &w[2].w),
	    0);
	ck_assert_int_eq(addrlimit_take(al, "a", waiter_cb, &w[3], &w[3].w),
	    0);
	addrlimit_release(al, "a");		/* to w[2], not yet called */
	addrlimit_cancel(w[2].w);		/* so on to w[3] */
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(w[2].called, 1);	/* from before */
	ck_assert_int_eq(w[3].called, 1);
	ck_assert_uint_eq(addrlimit_active(al, "a"), 2);
	addrlimit_release(al, "a");
	addrlimit_release(al, "a");
	ck_assert_uint_eq(addrlimit_active(al, "a"), 0);

	addrlimit_free(al);
	event_base_free(base);
}
END_TEST

START_TEST(progress_line)
{
	struct round_stats	st;
	char			line[256];

	memset(&st, 0, sizeof st);
	st.n_targets = 100000;
	st.n_done = 25000;
	st.by_status[STATUS_OK] = 24000;
	st.by_status[STATUS_BLOCKED] = 1000;
	progress_format(line, sizeof line, &st, 50000.0);
	ck_assert_str_eq(line, "25000/100000 (25.0%) 500.0/s ETA 2m30s: "
	    "24000 ok, 1000 blocked, 0 intercepted, 0 anomaly, 0 down, "
	    "0 error");
	st.n_done = 0;
	progress_format(line, sizeof line, &st, 0);
	ck_assert_ptr_nonnull(strstr(line, "ETA ?"));
	st.n_done = st.n_targets = 0;
	progress_format(line, sizeof line, &st, 10.0);
	ck_assert_ptr_nonnull(strstr(line, "0/0 (100.0%)"));
}
END_TEST

START_TEST(summary_table)
{
	struct round_stats	 st;
	char			*out = NULL;
	size_t			 len = 0;
	FILE			*f;

	memset(&st, 0, sizeof st);
	st.n_targets = st.n_done = st.n_written = 6;
	st.n_files = 2;
	st.elapsed_ms = 2000.0;
	st.by_status[STATUS_OK] = 2;
	st.by_status[STATUS_BLOCKED] = 3;
	st.by_method[STATUS_BLOCKED][METHOD_DNS_NXDOMAIN] = 2;
	st.by_method[STATUS_BLOCKED][METHOD_TLS_SNI] = 1;
	st.by_status[STATUS_ANOMALY] = 1;
	st.by_method[STATUS_ANOMALY][METHOD_TCP_REFUSED] = 1;
	f = open_memstream(&out, &len);
	progress_summary(f, &st);
	fclose(f);
	ck_assert_str_eq(out,
	    "measured 6 of 6 targets in 2.00 s (3.0 targets/s), 6 records "
	    "spooled in 2 files\n"
	    "status: targets    by method\n"
	    "ok: 2\n"
	    "blocked: 3         dns_nxdomain 2, tls_sni 1\n"
	    "intercepted: 0\n"
	    "anomaly: 1         tcp_refused 1\n"
	    "down: 0\n"
	    "error: 0\n");
	free(out);
}
END_TEST

static Suite *
campaign_suite(void)
{
	Suite	*s = suite_create("campaign");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, flush_policy);
	tcase_add_test(tc, rate_bucket);
	tcase_add_test(tc, resume_skips_measured);
	tcase_add_test(tc, addrlimit_fifo);
	tcase_add_test(tc, progress_line);
	tcase_add_test(tc, summary_table);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(campaign_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
