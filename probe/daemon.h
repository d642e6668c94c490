/*
 * `nightjar run`: rounds forever on one event_base, started by the
 * schedule (schedule.h) plus jitter, never overlapping; with --once one
 * round now.  SIGTERM and SIGINT give the targets in flight a moment,
 * then drop them (a second signal drops them at once): what was measured
 * is spooled, nothing partial is written, pending records stay pending,
 * and the process ends within a few seconds with 0; SIGHUP
 * re-reads the configuration and targets between rounds, keeping the old
 * ones when the new ones are invalid.  After each round: upload when
 * --collector is set, then the --max-spool disk guard.
 */
#ifndef NJ_DAEMON_H
#define NJ_DAEMON_H

#include <stddef.h>
#include <time.h>

#include "config.h"

/*
 * Run until a stop signal, or one round with cfg->once.  cfg is the
 * parsed command line (borrowed); argc/argv are parsed again on SIGHUP.
 * Returns the exit status: 2 when the configuration cannot be used
 * (nothing measured), 1 when records could not be spooled (--once) or
 * the loop failed, else 0.
 */
int	daemon_run(struct config *cfg, int argc, char **argv);

/* 1 when the wall clock is before the nominal start of the last round. */
int	daemon_clock_went_back(time_t last, time_t now);


#endif
