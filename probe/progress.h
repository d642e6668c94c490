/*
 * What `run --once` shows while a round runs: on a TTY one line updated in
 * place (done/total, rate, ETA, counts by status) at most four times a
 * second; elsewhere a log line every 10 s.  At the end a summary table by
 * status and method.
 */
#ifndef NJ_PROGRESS_H
#define NJ_PROGRESS_H

#include <stdio.h>

#include <event2/event.h>

#include "engine.h"

struct progress;

/* Follow round r (borrowed) until progress_free. */
struct progress	*progress_new(struct event_base *, struct round *, int tty);
/* Stops updating; on a TTY the line is erased. */
void		 progress_free(struct progress *);

/* One progress line (no newline) into buf; pure, for tests. */
void		 progress_format(char *buf, size_t len,
		    const struct round_stats *, double elapsed_ms);
/* The end-of-round table. */
void		 progress_summary(FILE *, const struct round_stats *);

#endif
