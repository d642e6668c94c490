/* Upload of the pending spool to a collector (CONTRACT "Spool and upload"). */
#ifndef NJ_UPLOAD_H
#define NJ_UPLOAD_H

#include <stddef.h>

#include <event2/event.h>

#include "config.h"

struct upload_result {
	size_t	uploaded;	/* records accepted by a collector */
	size_t	pending;	/* records still pending */
	size_t	rejected;	/* records moved to rejected/ */
};

/*
 * Upload pending records once, running base until done.  0 when nothing
 * is left pending, 1 otherwise.
 */
int	upload_pending(struct event_base *, const struct config *,
	    struct upload_result *);

#endif
