/* Upload of the pending spool to a collector (docs/upload.md). */
#ifndef NJ_UPLOAD_H
#define NJ_UPLOAD_H

#include <stddef.h>

#include <event2/event.h>

#include "config.h"

enum post_outcome {
	POST_OK = 0,		/* 2xx: stored */
	POST_REJECTED,		/* 400, 413: the batch itself is refused */
	POST_RETRY,		/* network, 401/403 (token), 429, 5xx, ... */
	POST_STOPPED		/* a stop signal: try again later */
};

/*
 * What an HTTP answer code means for a batch (code 0: no answer).  For
 * POST_RETRY a human reason is written to why (naming the token file on
 * 401/403).  Pure, for tests.
 */
enum post_outcome upload_classify(int code, int have_token,
		    const char *token_file, char *why, size_t whylen);

struct upload_result {
	size_t	uploaded;	/* records accepted by a collector */
	size_t	pending;	/* records still pending */
	size_t	rejected;	/* records moved to rejected/ */
	size_t	damaged;	/* files moved to damaged/ */
	int	setup_failed;	/* configuration or spool unusable */
	char	why[320];	/* the last failure, "" when none */
};

/*
 * Upload pending records once, running base until done.  0 when nothing
 * is left pending, 1 otherwise.
 */
int	upload_pending(struct event_base *, const struct config *,
	    struct upload_result *);
/*
 * The same on the caller's event loop (NULL: a private one), giving up
 * as soon as *stop becomes non-zero (a signal handler on that loop sets
 * it): what is not uploaded stays pending.  Never call it from inside a
 * callback of base.
 */
int	upload_pending_stoppable(struct event_base *, const struct config *,
	    struct upload_result *, const volatile int *stop);
/*
 * Check what an upload needs before anything is measured: collector
 * URLs, a readable token file holding a token, a loadable --collector-ca.
 * 0, or -1 with the problem logged.
 */
int	upload_check_config(const struct config *);

#endif
