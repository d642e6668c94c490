/*
 * nightjar run: with --once, load the targets, measure them in one round
 * on one event loop, spool the records, upload them when a collector is
 * set, exit 0.  Without --once the daemon (daemon.c) runs the rounds.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "campaign.h"
#include "commands.h"
#include "config.h"
#include "daemon.h"
#include "engine.h"
#include "log.h"
#include "progress.h"
#include "targets.h"
#include "upload.h"
#include "xmalloc.h"

struct run {
	struct event_base	*base;
	struct round		*round;
	int			 round_done;
	struct progress		*progress;
};

/* Load every --targets file (or the default list); -1 on a usage error. */
static int
run_load_targets(const struct config *cfg, struct targets *t)
{
	char	*def = NULL;
	size_t	 i, n;
	int	 rc = 0, found;

	n = cfg->targets.n;
	if (n == 0)
		xasprintf(&def, "%s/targets/default.txt", config_datadir());
	for (i = 0; i < (n > 0 ? n : 1); i++) {
		const char *path = n > 0 ? cfg->targets.v[i] : def;

		if ((found = targets_load_file(t, path)) < 0) {
			rc = -1;	/* logged */
			break;
		}
		if (found == 0) {
			log_error("%s: no valid target", path);
			rc = -1;
			break;
		}
	}
	free(def);
	return rc;
}

static void
run_round_done(struct round *r, void *arg)
{
	struct run	*run = arg;

	(void)r;
	run->round_done = 1;
	progress_free(run->progress);
	run->progress = NULL;
	event_base_loopexit(run->base, NULL);
}

static void
run_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct run	*run = arg;

	(void)what;
	log_info("signal %d: finishing the targets in flight", (int)sig);
	if (run->round != NULL)
		round_stop(run->round);
}

/* --resume: drop the targets this campaign already measured. */
static int
run_resume(const struct config *cfg, struct targets *t)
{
	size_t	total = t->n;
	long	skipped;

	if ((skipped = campaign_resume(cfg->results, cfg->campaign, t)) < 0)
		return -1;
	if (!cfg->quiet)
		fprintf(stderr, "nightjar: resuming campaign %s: %ld of %zu "
		    "targets already measured, %zu to go\n", cfg->campaign,
		    skipped, total, t->n);
	return 0;
}

/* Upload after the round; records a collector refuses stay pending. */
static void
run_upload(struct run *run, const struct config *cfg)
{
	struct upload_result	res;

	memset(&res, 0, sizeof res);
	upload_pending(run->base, cfg, &res);
	log_info("uploaded %zu, pending %zu, rejected %zu", res.uploaded,
	    res.pending, res.rejected);
}

int
cmd_run(int argc, char **argv)
{
	struct config	 cfg;
	struct targets	 targets;
	struct engine	*engine = NULL;
	struct event	*sigint = NULL, *sigterm = NULL;
	struct run	 run;
	int		 rc, status = 2;

	memset(&run, 0, sizeof run);
	memset(&targets, 0, sizeof targets);
	config_init(&cfg);
	if ((rc = config_parse_args(&cfg, argc, argv, 0)) != 0) {
		config_free(&cfg);
		return rc > 0 ? 0 : 2;
	}
	if (!cfg.once) {
		status = daemon_run(&cfg, argc, argv);	/* warns as root too */
		goto out;
	}
	if (geteuid() == 0)
		log_warn("running as root: nightjar needs no privileges; run "
		    "it as an ordinary user");
	if (cfg.resume && cfg.campaign == NULL) {
		log_error("--resume needs --campaign NAME");
		goto out;
	}
	if (run_load_targets(&cfg, &targets) != 0)
		goto out;

	signal(SIGPIPE, SIG_IGN);
	if ((run.base = event_base_new()) == NULL) {
		log_error("cannot create the event loop");
		status = 1;
		goto out;
	}
	if ((engine = engine_new(run.base, &cfg)) == NULL)
		goto out;
	if (cfg.resume && run_resume(&cfg, &targets) != 0) {
		status = 1;
		goto out;
	}

	sigint = evsignal_new(run.base, SIGINT, run_signal_cb, &run);
	sigterm = evsignal_new(run.base, SIGTERM, run_signal_cb, &run);
	evsignal_add(sigint, NULL);
	evsignal_add(sigterm, NULL);
	run.round = round_start(engine, &targets, run_round_done, &run);
	if (!cfg.quiet && !run.round_done)
		run.progress = progress_new(run.base, run.round,
		    isatty(STDERR_FILENO));
	while (!run.round_done) {
		if (event_base_dispatch(run.base) != 0) {
			log_error("event loop failed");
			break;
		}
	}
	progress_free(run.progress);
	run.progress = NULL;
	if (!run.round_done) {
		status = 1;
		goto out;
	}
	progress_summary(stderr, round_get_stats(run.round));
	round_free(run.round);
	run.round = NULL;
	if (cfg.collectors.n > 0)
		run_upload(&run, &cfg);
	status = 0;	/* measured, whatever the upload did */
out:
	progress_free(run.progress);
	if (sigint != NULL)
		event_free(sigint);
	if (sigterm != NULL)
		event_free(sigterm);
	engine_free(engine);
	if (run.base != NULL)
		event_base_free(run.base);
	targets_free(&targets);
	config_free(&cfg);
	return status;
}
