/*
 * nightjar run: check the options, then hand over to the driver
 * (daemon.c), which runs one turn with --once and turns forever
 * otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "pubkey.h"

/*
 * Combinations of options that cannot work, refused before anything is
 * measured: 0, or -1 with the problem logged (exit 2).
 */
static int
run_check_options(const struct config *cfg)
{
	if (cfg->resume && !cfg->once) {
		log_error("--resume works with --once only (a campaign is "
		    "one round)");
		return -1;
	}
	if (cfg->resume && cfg->campaign == NULL) {
		log_error("--resume needs --campaign NAME");
		return -1;
	}
	if (cfg->once && cfg->schedule != NULL)
		log_warn("--schedule has no effect with --once: one round is "
		    "measured now");
	if (cfg->token_file != NULL && cfg->collectors.n == 0)
		log_warn("--token-file without --collector: nothing is "
		    "uploaded");
	return 0;
}

int
cmd_run(int argc, char **argv)
{
	struct config	cfg;
	int		rc, status;

	config_init(&cfg);
	if ((rc = config_parse_args(&cfg, argc, argv, 0)) != 0) {
		config_free(&cfg);
		return rc > 0 ? 0 : 2;
	}
	if (run_check_options(&cfg) != 0)
		status = 2;
	else {
		pubkey_fast_start();
		status = daemon_run(&cfg, argc, argv);
		pubkey_fast_stop();
	}
	config_free(&cfg);
	return status;
}
