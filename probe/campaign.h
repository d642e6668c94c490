/*
 * Batch campaigns: when a round's records are flushed to the spool, the
 * token bucket behind --rate, and --resume (skip the targets a campaign
 * already measured).  The policies are pure so that they can be tested
 * without a clock.
 */
#ifndef NJ_CAMPAIGN_H
#define NJ_CAMPAIGN_H

#include <stddef.h>

#include "targets.h"

/* A chunk is spooled at this many records, bytes, or ms since the last. */
#define CAMPAIGN_CHUNK_RECORDS	1000
#define CAMPAIGN_CHUNK_BYTES	(4 * 1024 * 1024)
#define CAMPAIGN_CHUNK_MS	10000.0

/*
 * 1 when the packed records should be spooled now.  A campaign flushes by
 * records, bytes or age; an ordinary round only by bytes (one file a
 * round).  Never with nothing packed.
 */
int	campaign_flush_due(int campaign, size_t n_packed, size_t bytes,
	    double ms_since_flush);

/* A token bucket: rate tokens a second, at most burst saved up. */
struct campaign_rate {
	double	rate;
	double	burst;
	double	tokens;
	double	last_ms;
};

/* rate > 0; the bucket starts with one token. */
void	campaign_rate_init(struct campaign_rate *, double rate, double now_ms);
/*
 * Take a token: 0 when one was taken (start a target now), otherwise the
 * ms to wait until one is there (nothing taken).
 */
double	campaign_rate_take(struct campaign_rate *, double now_ms);

/*
 * --resume: remove from t (in place, order kept) every target that a record
 * of campaign in the spool dir (pending files and sent/) already measured,
 * matched on target host and port.  Damaged files are warned about and
 * skipped.  Returns the number removed, or -1 when the spool cannot be
 * listed (logged).
 */
long	campaign_resume(const char *dir, const char *campaign,
	    struct targets *t);

#endif
