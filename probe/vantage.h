/*
 * The probe's side of the vantage (docs/vantage.md): records whose
 * verdict without a vantage is not ok or intercepted are sent, in
 * batches of at most VANTAGE_BATCH, to the --control URLs (tried in
 * order) with the addresses the probe resolved; each record's "control"
 * gets the vantage's answer for its target, or a failure saying why
 * there is none, and the clock skew.  Asynchronous on the caller's loop.
 */
#ifndef NJ_VANTAGE_H
#define NJ_VANTAGE_H

#include <stddef.h>

#include <event2/event.h>

#include "config.h"
#include "record.h"

#define VANTAGE_BATCH		100
#define VANTAGE_MAX_ADDRS	16

struct vantage;

/* Called exactly once per record handed to vantage_ask, from the loop. */
typedef void	(*vantage_cb)(struct record *, void *arg);

/*
 * NULL when no vantage is to be asked (--control none, or neither
 * --control nor --collector), or (logged, *bad set) when the
 * configuration cannot be used.
 */
struct vantage	*vantage_new(struct event_base *, const struct config *,
		    int *bad);
/* Cancels what is pending (its callbacks are called first). */
void		 vantage_free(struct vantage *);

/* Should this record go to the vantage? */
int		 vantage_wants(const struct record *);
/*
 * Queue rec (lent until the callback); a full batch is sent at once.
 * Every record is called back within one step deadline of its batch
 * being sent (vantage_step_ms), whatever the vantage does.
 */
void		 vantage_ask(struct vantage *, struct record *, vantage_cb,
		    void *arg);
/* Send the partial batch now (end of a round). */
void		 vantage_flush(struct vantage *);
/* Give up on everything queued or in flight: called back at once. */
void		 vantage_cancel(struct vantage *);
/* Records queued or in flight. */
size_t		 vantage_pending(const struct vantage *);
/* How long one batch may take: 3 steps of --timeout and 2 s. */
long		 vantage_step_ms(const struct vantage *);

/* --- pure parts, for tests ----------------------------------------------- */

/* Pack the request for n records (their targets and resolved addresses). */
void		 vantage_pack_request(struct record *const *, size_t n,
		    long timeout_ms, msgpack_sbuffer *);
/*
 * Read an answer into each record's control (created; url set): 0, or
 * -1 with a reason in err (then nothing is filled).  t_send and t_recv
 * are the probe's wall clock (ms) around the request, for clock_skew_ms.
 */
int		 vantage_read_answer(const char *body, size_t len,
		    struct record *const *, size_t n, const char *url,
		    double t_send, double t_recv, char *err, size_t errlen);

#endif
