/*
 * `nightjar run` without --once: rounds forever on one event_base, started
 * by the schedule (schedule.h) plus jitter, never overlapping.  SIGTERM and
 * SIGINT finish the round in flight (a second signal, or the round outliving
 * its bound, abandons it: nothing partial is written) and return 0; SIGHUP
 * re-reads the configuration and targets between rounds, keeping the old
 * ones when the new ones are invalid.  After each round: upload when
 * --collector is set, then the --max-spool disk guard.
 */
#ifndef NJ_DAEMON_H
#define NJ_DAEMON_H

#include <stddef.h>

#include "config.h"

/*
 * Run until a stop signal.  cfg is the parsed command line (borrowed);
 * argc/argv are parsed again on SIGHUP.  Returns the exit status.
 */
int	daemon_run(struct config *cfg, int argc, char **argv);

/*
 * The --max-spool guard over the results directory dir: when pending,
 * sent and rejected files together exceed max_mb MiB, delete the oldest
 * files of dir/sent/ until they fit; pending and rejected records are
 * never deleted, and when they alone exceed the limit an error is logged.
 * max_mb <= 0 disables the guard.  Returns the number of files deleted.
 */
size_t	daemon_guard_spool(const char *dir, long max_mb);

#endif
