/*
 * The measurement engine: one libevent loop measuring targets (DNS through
 * c-ares, TCP, TLS with SNI) and producing records.
 *
 * An engine holds what lives across rounds (TLS contexts, root stores,
 * resolvers, interception roots); a round measures one list of targets
 * with bounded concurrency, spools the records, and calls back when every
 * started step has finished or timed out.
 */
#ifndef NJ_ENGINE_H
#define NJ_ENGINE_H

#include <stddef.h>

#include <event2/event.h>

#include "config.h"
#include "record.h"
#include "targets.h"

struct engine;
struct round;

/* Failures without a method, by their cause, for the summary. */
#define ROUND_MAX_REASONS	8
struct round_reason {
	char	 name[64];	/* "ssl_invalid_hostname", "self-signed ..." */
	size_t	 n;
};

struct round_stats {
	size_t	 n_targets;
	size_t	 n_done;
	size_t	 by_status[STATUS_COUNT];
	size_t	 by_method[STATUS_COUNT][METHOD_COUNT];
	struct round_reason reasons[STATUS_COUNT][ROUND_MAX_REASONS];
	size_t	 n_ctl_queries;		/* to the control resolver */
	size_t	 n_ctl_answered;	/* of which got a reply */
	char	 ctl_failure[64];	/* the first failure of the others */
	size_t	 n_written;		/* records spooled */
	size_t	 n_unspooled;		/* measured, not written (disk) */
	size_t	 n_lost;		/* of which not even held */
	size_t	 n_cancelled;		/* in flight at round_cancel */
	size_t	 n_files;		/* spool files written */
	double	 elapsed_ms;
};

typedef void (*round_done_cb)(struct round *, void *);

/* NULL (logged) when the configuration cannot be used (exit 2). */
struct engine	*engine_new(struct event_base *, const struct config *);
void		 engine_free(struct engine *);
/*
 * Records measured but not yet written because the spool could not be
 * written (disk full): they are held in memory (bounded) and written
 * first by the next round_start or engine_flush_held (which returns how
 * many it wrote).
 */
size_t		 engine_held(const struct engine *);
size_t		 engine_flush_held(struct engine *);

/*
 * Why a record failed when its verdict names no method: the first TLS
 * verification error, else the first TLS failure, else the first TCP, else
 * the first DNS failure; NULL when none.  Pure.
 */
const char	*engine_failure_reason(const struct record *);

/* Start measuring targets (borrowed until done_cb) with a fresh run_id. */
struct round	*round_start(struct engine *, const struct targets *,
		    round_done_cb, void *);
/* Stop starting new targets; what is in flight ends within the timeout. */
void		 round_stop(struct round *);
/*
 * Stop now: the targets in flight are dropped (not recorded), what was
 * measured is spooled, and the done callback follows from the loop.
 */
void		 round_cancel(struct round *);
const struct round_stats *round_get_stats(const struct round *);
void		 round_free(struct round *);

#endif
