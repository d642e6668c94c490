/*
 * The driver: `nightjar run`, daemon or --once (see daemon.h).
 *
 * One event_base carries the rounds, the uploads, the signals and the
 * wake-up timer.  The loop below is plain sequential code, one turn per
 * round: wait for the start time, run the round to its end (its records
 * are spooled as it goes), upload, guard the spool, reload if asked,
 * compute the next start.  `run --once` is exactly one turn without the
 * wait.  Callbacks only set flags; the loops run the base with
 * EVLOOP_ONCE and look at the flags, so a stop signal is seen within one
 * pass of the loop wherever the turn is (resolving, handshaking,
 * uploading).
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "campaign.h"
#include "config.h"
#include "daemon.h"
#include "engine.h"
#include "log.h"
#include "mp.h"
#include "progress.h"
#include "schedule.h"
#include "spool.h"
#include "targets.h"
#include "upload.h"
#include "util.h"
#include "xmalloc.h"

#define WAKE_MAX_S	30	/* re-read the wall clock at least this often */
#define STOP_GRACE_MS	2500	/* a stop lets targets in flight end this long */

/* What SIGHUP replaces as a whole. */
struct daemon_gen {
	struct config	*cfg;
	int		 cfg_owned;
	struct targets	 targets;
	struct engine	*engine;
	struct schedule	*sched;
};

struct daemon {
	struct event_base	*base;
	struct daemon_gen	 gen;
	int			 argc;
	char			**argv;
	int			 once;

	struct event		*ev_term;
	struct event		*ev_int;
	struct event		*ev_hup;
	struct event		*ev_wake;
	struct event		*ev_grace;

	struct round		*round;
	struct progress		*progress;
	int			 round_done;
	volatile int		 stop;		/* SIGTERM/SIGINT seen */
	int			 cancelled;	/* the round was cut short */
	int			 failed;	/* the event loop failed */
	int			 reload;	/* SIGHUP seen */
	int			 woke;
	size_t			 unspooled;	/* last round, not written */
	time_t			 last;		/* nominal start of the last round */
	time_t			 planned;	/* nominal start of the next one */
	unsigned long		 rounds;
};

static int
load_targets(const struct config *cfg, struct targets *t)
{
	char	*dflt = NULL;
	int	 rc;

	memset(t, 0, sizeof *t);
	if (cfg->targets.n > 0)
		rc = targets_load_files(t, cfg->targets.v, cfg->targets.n);
	else {
		xasprintf(&dflt, "%s/targets/default.txt", config_datadir());
		rc = targets_load_files(t, &dflt, 1);
	}
	if (rc != 0)
		targets_free(t);
	free(dflt);
	return rc;
}

static struct schedule *
make_schedule(const struct config *cfg)
{
	struct schedule	*s;
	char		*cause;

	if (cfg->schedule == NULL)
		return schedule_new(cfg->interval_s);
	if ((s = schedule_parse(cfg->schedule, cfg->interval_s, &cause)) ==
	    NULL) {
		log_error("--schedule: %s", cause);
		free(cause);
	}
	return s;
}

static void
gen_free(struct daemon_gen *g)
{
	engine_free(g->engine);
	g->engine = NULL;
	schedule_free(g->sched);
	g->sched = NULL;
	targets_free(&g->targets);
	if (g->cfg_owned && g->cfg != NULL) {
		config_free(g->cfg);
		free(g->cfg);
	}
	g->cfg = NULL;
}

/*
 * Everything a generation needs from cfg, every file and option checked
 * before anything is measured: 0, or -1 with g left empty (exit 2).
 */
static int
gen_build(struct daemon *d, struct daemon_gen *g, struct config *cfg,
    int owned)
{
	memset(g, 0, sizeof *g);
	g->cfg = cfg;
	g->cfg_owned = owned;
	if ((g->sched = make_schedule(cfg)) == NULL)
		goto fail;
	if (load_targets(cfg, &g->targets) != 0)
		goto fail;
	if (cfg->collectors.n > 0 && upload_check_config(cfg) != 0)
		goto fail;
	if (spool_prepare(cfg->results) != 0)
		goto fail;
	if ((g->engine = engine_new(d->base, cfg)) == NULL)
		goto fail;
	return 0;
fail:
	if (!owned)
		g->cfg = NULL;
	gen_free(g);
	return -1;
}

/* The resolvers as one comma-separated list (heap). */
static char *
resolver_list(const struct config *cfg)
{
	struct buf	b = { NULL, 0, 0 };
	size_t		i;
	char		*s;

	if (cfg->resolvers.n == 0)
		buf_printf(&b, "system");
	for (i = 0; i < cfg->resolvers.n; i++)
		buf_printf(&b, "%s%s", i > 0 ? ", " : "", cfg->resolvers.v[i]);
	s = xstrndup(b.data, b.len);
	buf_free(&b);
	return s;
}

/*
 * One line at start-up: what is measured, through what, against which
 * controls, where the records go; and a warning when nothing outside the
 * probe's own network can confirm a block.
 */
static void
say_startup(const struct daemon *d)
{
	const struct config	*cfg = d->gen.cfg;
	char			*res, *coll = NULL;
	struct buf		 b = { NULL, 0, 0 };
	size_t			 i;

	res = resolver_list(cfg);
	for (i = 0; i < cfg->collectors.n; i++)
		buf_printf(&b, "%s%s", i > 0 ? ", " : "", cfg->collectors.v[i]);
	coll = b.len > 0 ? xstrndup(b.data, b.len) :
	    xstrdup("none (records kept locally)");
	buf_free(&b);
	if (!cfg->quiet)
		fprintf(stderr, "nightjar: %s %zu targets, resolvers: %s; "
		    "controls: %s%s%s%s; collector: %s; results in %s\n",
		    d->once ? "measuring" : "started, measuring",
		    d->gen.targets.n, res,
		    cfg->control_resolver != NULL ? "control resolver " : "",
		    cfg->control_resolver != NULL ? cfg->control_resolver : "",
		    cfg->control_resolver != NULL ? ", " : "",
		    cfg->control_sni != NULL ? "control SNI" : "none",
		    coll, cfg->results);
	if (cfg->control_resolver == NULL)
		log_warn("no control outside this network (--control-resolver):"
		    " DNS and IP blocking can only show as 'anomaly'");
	free(res);
	free(coll);
}

static void
reload(struct daemon *d)
{
	struct daemon_gen	 g;
	struct config		*cfg;
	int			 rc;

	d->reload = 0;
	log_info("SIGHUP: re-reading the configuration and targets");
	cfg = xcalloc(1, sizeof *cfg);
	config_init(cfg);
	optind = 0;		/* glibc: parse argv from scratch */
	rc = config_parse_args(cfg, d->argc, d->argv, 0);
	if (rc != 0 || cfg->once) {
		log_error("SIGHUP: the configuration is not valid; keeping "
		    "the old one");
		config_free(cfg);
		free(cfg);
		return;
	}
	if (gen_build(d, &g, cfg, 1) != 0) {
		log_error("SIGHUP: the new configuration or targets are not "
		    "valid; keeping the old ones (%zu targets)",
		    d->gen.targets.n);
		return;
	}
	/* Records the old engine still holds go first. */
	engine_flush_held(d->gen.engine);
	gen_free(&d->gen);
	d->gen = g;
	log_set_verbosity(cfg->verbose, cfg->quiet);
	log_info("SIGHUP: %zu targets, schedule %s", g.targets.n,
	    schedule_describe(g.sched));
}

static void
cancel_round(struct daemon *d)
{
	if (d->round != NULL && !d->round_done && !d->cancelled) {
		d->cancelled = 1;
		round_cancel(d->round);
	}
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon	*d = arg;
	struct timeval	 tv;

	(void)what;
	if (sig == SIGHUP) {
		d->reload = 1;
		return;
	}
	if (d->stop) {
		log_info("second signal: abandoning the round in flight");
		cancel_round(d);
		return;
	}
	d->stop = 1;
	if (d->round != NULL && !d->round_done) {
		/* The targets in flight get a moment to end, then are
		 * dropped: what was measured is spooled either way. */
		tv.tv_sec = STOP_GRACE_MS / 1000;
		tv.tv_usec = (STOP_GRACE_MS % 1000) * 1000;
		evtimer_add(d->ev_grace, &tv);
		log_info("%s: finishing the round in flight",
		    strsignal((int)sig));
		round_stop(d->round);
	}
}

static void
on_grace(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*d = arg;

	(void)fd;
	(void)what;
	log_warn("stopping: abandoning the targets still in flight");
	cancel_round(d);
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*d = arg;

	(void)fd;
	(void)what;
	d->woke = 1;
}

static void
on_round_done(struct round *r, void *arg)
{
	struct daemon	*d = arg;

	(void)r;
	d->round_done = 1;
}

/* One pass of the loop; -1 when the base has nothing left to wait for. */
static int
turn(struct daemon *d)
{
	if (event_base_loop(d->base, EVLOOP_ONCE) == -1) {
		log_error("event loop failed");
		return -1;
	}
	return 0;
}

/* Wait until the wall clock reaches start: 0, or -1 on stop. */
static int
wait_until(struct daemon *d, time_t *start)
{
	struct timeval	tv;
	time_t		now;

	for (;;) {
		if (d->stop)
			return -1;
		if (d->reload) {
			reload(d);
			*start = (time_t)-1;	/* recompute */
			return 0;
		}
		now = time(NULL);
		if (now >= *start)
			return 0;
		tv.tv_sec = *start - now;
		if (tv.tv_sec > WAKE_MAX_S)
			tv.tv_sec = WAKE_MAX_S;
		tv.tv_usec = 0;
		d->woke = 0;
		evtimer_add(d->ev_wake, &tv);
		while (!d->woke && !d->stop && !d->reload) {
			if (turn(d) != 0) {
				evtimer_del(d->ev_wake);
				return -1;
			}
		}
		evtimer_del(d->ev_wake);
	}
}

static uint32_t
random_u32(void)
{
	uint32_t	v;

	if (RAND_bytes((unsigned char *)&v, sizeof v) != 1)
		v = (uint32_t)rand();
	return v;
}

int
daemon_clock_went_back(time_t last, time_t now)
{
	/* A round never starts before the nominal start of the last one. */
	return now < last;
}

/*
 * When the next round starts, from the nominal start of the last one
 * (d->last); its own nominal start goes in d->planned.  Called again
 * after a reload while waiting: the same round is planned anew.
 */
static time_t
next_start(struct daemon *d)
{
	struct schedule_slot	 slot, s2;
	const struct config	*cfg = d->gen.cfg;
	long			 jitter = 0;
	unsigned long		 skipped = 0;
	time_t			 now, n;

	/* Follow a change of the system zone (localtime_r does not). */
	tzset();
	if (cfg->jitter_s > 0)
		jitter = (long)(random_u32() % (uint32_t)(cfg->jitter_s + 1));
	now = time(NULL);
	if (daemon_clock_went_back(d->last, now)) {
		log_warn("the clock went back; rescheduling from now");
		d->last = now;
	}
	schedule_next(d->gen.sched, d->last, jitter, &slot);
	if (slot.start > now) {
		d->planned = slot.nominal;
		return slot.start;
	}
	/* Overrun (or a suspend): start now, skipping missed starts. */
	n = slot.nominal;
	if (now - n > 2 * 86400) {	/* long asleep: start afresh */
		n = now;
		skipped = 1;
	}
	while (n < now && skipped < 1000000) {
		schedule_next(d->gen.sched, n, 0, &s2);
		if (s2.nominal > now)
			break;
		n = s2.nominal;
		skipped++;
	}
	log_info("the last round overran its interval (by %lds)%s",
	    (long)(now - slot.nominal), skipped ? "; skipping the starts it "
	    "covered" : "");
	d->planned = n;
	return now;
}

static void
log_next(time_t start)
{
	struct tm	tm;
	char		buf[64];
	time_t		now = time(NULL);

	if (localtime_r(&start, &tm) == NULL ||
	    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(buf, sizeof buf, "%lld", (long long)start);
	log_info("next round at %s (in %lld s)", buf,
	    (long long)(start > now ? start - now : 0));
}

static void
run_round(struct daemon *d)
{
	const struct round_stats	*st;
	const struct config		*cfg = d->gen.cfg;

	d->round_done = 0;
	d->cancelled = 0;
	d->unspooled = 0;
	d->round = round_start(d->gen.engine, &d->gen.targets, on_round_done,
	    d);
	if (d->round == NULL) {
		log_error("could not start a round");
		return;
	}
	if (d->stop)		/* a signal during the set-up */
		round_stop(d->round);
	if (d->once && !cfg->quiet && !d->round_done)
		d->progress = progress_new(d->base, d->round,
		    isatty(STDERR_FILENO));
	while (!d->round_done) {
		if (turn(d) != 0) {
			d->failed = 1;
			cancel_round(d);
			if (!d->round_done)	/* cannot happen: cancel ends it */
				break;
		}
	}
	evtimer_del(d->ev_grace);
	progress_free(d->progress);
	d->progress = NULL;
	st = round_get_stats(d->round);
	d->rounds++;
	d->unspooled = st->n_unspooled;
	if (d->cancelled)
		log_warn("round abandoned: %zu targets in flight dropped, %zu "
		    "measured records kept", st->n_cancelled, st->n_written +
		    st->n_unspooled);
	if (d->once && !cfg->quiet)
		progress_summary(stderr, st);
	if (st->n_ctl_queries > 0 && st->n_ctl_answered == 0)
		log_warn("the control resolver %s answered none of %zu queries "
		    "(%s): no DNS answer of this round has a control",
		    cfg->control_resolver, st->n_ctl_queries,
		    st->ctl_failure[0] != '\0' ? st->ctl_failure : "no reply");
	log_info("round %lu: %zu of %zu targets, %zu ok, %zu blocked, "
	    "%zu intercepted, %zu anomaly, %zu down, %zu error, "
	    "%zu records written, %zu not spooled, %.0f ms", d->rounds,
	    st->n_done, st->n_targets, st->by_status[STATUS_OK],
	    st->by_status[STATUS_BLOCKED], st->by_status[STATUS_INTERCEPTED],
	    st->by_status[STATUS_ANOMALY], st->by_status[STATUS_DOWN],
	    st->by_status[STATUS_ERROR], st->n_written, st->n_unspooled,
	    st->elapsed_ms);
	if (st->n_unspooled > 0)
		log_error("%zu records are not spooled: %s cannot be written%s",
		    st->n_unspooled, cfg->results, d->once ? "" :
		    "; they are kept in memory and written before the next "
		    "round");
	round_free(d->round);
	d->round = NULL;
}

static void
after_round(struct daemon *d)
{
	struct upload_result	res;
	const struct config	*cfg = d->gen.cfg;

	/* Asking the vantage belongs here once it exists: before the
	 * upload, after the records of the round are in. */
	if (cfg->collectors.n > 0 && !d->stop) {
		memset(&res, 0, sizeof res);
		upload_pending_stoppable(d->base, cfg, &res, &d->stop);
		if (res.setup_failed)
			log_error("upload: not set up; %zu records pending",
			    res.pending);
		else
			log_info("upload: uploaded %zu, pending %zu, rejected "
			    "%zu", res.uploaded, res.pending, res.rejected);
	}
	if (!d->stop)
		spool_guard(cfg->results, cfg->max_spool_mb);
}

int
daemon_run(struct config *cfg, int argc, char **argv)
{
	struct daemon	 d;
	time_t		 start;
	long		 skipped;
	size_t		 total;
	int		 rc = 2;

	memset(&d, 0, sizeof d);
	d.argc = argc;
	d.argv = argv;
	d.once = cfg->once;
	log_set_verbosity(cfg->verbose, cfg->quiet);
	if (geteuid() == 0)
		log_warn("running as root: nightjar needs no privileges; run "
		    "it as an ordinary user (contrib/nightjar.service does)");
	if ((d.base = event_base_new()) == NULL) {
		log_error("event_base_new failed");
		return 1;
	}
	/* Signals first: a stop during the set-up still exits 0. */
	d.ev_term = evsignal_new(d.base, SIGTERM, on_signal, &d);
	d.ev_int = evsignal_new(d.base, SIGINT, on_signal, &d);
	d.ev_hup = evsignal_new(d.base, SIGHUP, on_signal, &d);
	d.ev_wake = evtimer_new(d.base, on_wake, &d);
	d.ev_grace = evtimer_new(d.base, on_grace, &d);
	if (d.ev_term == NULL || d.ev_int == NULL || d.ev_hup == NULL ||
	    d.ev_wake == NULL || d.ev_grace == NULL ||
	    evsignal_add(d.ev_term, NULL) != 0 ||
	    evsignal_add(d.ev_int, NULL) != 0 ||
	    (!d.once && evsignal_add(d.ev_hup, NULL) != 0)) {
		log_error("cannot set up signal handling");
		rc = 1;
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	if (gen_build(&d, &d.gen, cfg, 0) != 0) {
		rc = 2;
		goto out;
	}
	if (d.once && cfg->resume) {
		total = d.gen.targets.n;
		if ((skipped = campaign_resume(cfg->results, cfg->campaign,
		    &d.gen.targets)) < 0) {
			rc = 1;
			goto out;
		}
		if (!cfg->quiet)
			fprintf(stderr, "nightjar: resuming campaign %s: %ld of "
			    "%zu targets already measured, %zu to go\n",
			    cfg->campaign, skipped, total, d.gen.targets.n);
	}
	say_startup(&d);
	if (!d.once)
		log_info("schedule %s, jitter up to %lds",
		    schedule_describe(d.gen.sched), cfg->jitter_s);

	d.planned = start = time(NULL);
	for (;;) {
		if (!d.once && wait_until(&d, &start) != 0)
			break;
		if (start == (time_t)-1) {	/* reloaded while waiting */
			if (d.last == 0)	/* before the first round */
				d.planned = start = time(NULL);
			else {
				start = next_start(&d);
				log_next(start);
			}
			continue;
		}
		d.last = d.planned;
		run_round(&d);
		if (d.failed)
			break;
		after_round(&d);
		if (d.once || d.stop)
			break;
		if (d.reload)
			reload(&d);
		start = next_start(&d);
		log_next(start);
	}
	if (!d.once)
		log_info("stopped after %lu rounds", d.rounds);
	rc = d.failed ? 1 : 0;
	/* Held records get one more chance; --once says what is lost. */
	if (d.gen.engine != NULL && engine_held(d.gen.engine) > 0 &&
	    (d.once || engine_flush_held(d.gen.engine) == 0))
		rc = 1;
	if (d.once && d.unspooled > 0)
		rc = 1;
out:
	if (d.ev_term != NULL)
		event_free(d.ev_term);
	if (d.ev_int != NULL)
		event_free(d.ev_int);
	if (d.ev_hup != NULL)
		event_free(d.ev_hup);
	if (d.ev_wake != NULL)
		event_free(d.ev_wake);
	if (d.ev_grace != NULL)
		event_free(d.ev_grace);
	gen_free(&d.gen);
	event_base_free(d.base);
	return rc;
}
