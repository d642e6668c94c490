/*
 * When rounds start: a fixed --interval, or --schedule SPEC giving
 * intervals by local time of day, e.g. "17:00-01:00=5m,*=30m".
 *
 * SPEC is a comma-separated list of WINDOW=INTERVAL items.  WINDOW is
 * HH:MM[:SS]-HH:MM[:SS] in local time, end exclusive, crossing midnight
 * when the end is earlier than the start (24:00 is allowed as an end);
 * "*" is the rest of the day.  INTERVAL is a positive number with an
 * optional unit s, m or h (seconds when none), at most 24h.  Windows may
 * not overlap; hours not covered by a window or "*" use the interval
 * given to schedule_parse() (--interval).
 *
 * Everything here is pure: times come in as time_t, local time is the
 * zone of TZ (localtime_r), and intervals are real elapsed seconds, so a
 * DST change neither crashes nor loops: the next start is always later
 * than the last one and never later than last + the interval in force.
 */
#ifndef NJ_SCHEDULE_H
#define NJ_SCHEDULE_H

#include <time.h>

#define SCHEDULE_MAX_INTERVAL	86400L	/* longest interval in a SPEC */
#define SCHEDULE_MAX_WINDOWS	48

struct schedule;

struct schedule_slot {
	time_t	nominal;	/* start without jitter: the next "last" */
	time_t	start;		/* nominal + jitter (clamped) */
	long	interval;	/* interval in force at nominal */
};

/* A uniform schedule: one round every interval_s seconds (>= 1). */
struct schedule	*schedule_new(long interval_s);
/*
 * Parse SPEC; hours outside every window use rest_s (>= 1).  NULL on
 * error with *cause set to a heap string naming the problem.
 */
struct schedule	*schedule_parse(const char *spec, long rest_s, char **cause);
void		 schedule_free(struct schedule *);

/* The interval in force at the local time of t. */
long		 schedule_interval_at(const struct schedule *, time_t t);

/*
 * The round after one nominally started at last: the earlier of
 * last + interval_at(last) and the next window boundary after last (so a
 * denser window is sampled from its first second).  jitter (>= 0, from
 * the caller's random source) is added to the start but clamped so that
 * it never reaches the nominal start of the round after.
 */
void		 schedule_next(const struct schedule *, time_t last,
		    long jitter, struct schedule_slot *);

/* The normalised SPEC ("17:00:00-01:00:00=300s,*=1800s") for logs. */
const char	*schedule_describe(const struct schedule *);

#endif
