/*
 * The HTTP part of the verdict (docs/record.md "Verdict meaning"):
 * blockpages, requests reset or never answered, and throttling.  Pure
 * functions of the record, called by verdict_decide().
 */
#ifndef NJ_VERDICT_HTTP_H
#define NJ_VERDICT_HTTP_H

#include "record.h"

/* Throttled: at least this many times and this many ms slower. */
#define THROTTLE_FACTOR	5.0
#define THROTTLE_MIN_MS	500.0

/*
 * A response of the probe's that matched a blockpage fingerprint:
 * blocked, http_blockpage, blockpage set.  1 when decided.
 */
int	verdict_http_blockpage(const struct record *, struct rec_verdict *);

/*
 * A GET over a completed handshake or a port-80 connection that was reset
 * or never answered: blocked when the vantage got an answer for the
 * target, down when it failed too, anomaly without a vantage answer.
 * 1 when decided.
 */
int	verdict_http_failure(const struct record *, struct rec_verdict *);

/*
 * The target works but slowly where the baseline at the same moment does
 * not: its handshake (tls_throttled) against the --control-sni handshake
 * to the same address and port, its download (http_throttled) against the
 * control-SNI GET on the same address or the vantage's.  1 when decided.
 */
int	verdict_throttled(const struct record *, const char *control_sni,
	    struct rec_verdict *);

/* A GET of the target's that got a response, or NULL. */
const struct rec_http *verdict_http_answered(const struct record *);

/* Is download t throttled against baseline b (same bytes)? */
int	verdict_download_slower(const struct rec_http *t,
	    const struct rec_http *b);

/* Is the pair (target, baseline) of step times throttling? */
int	throttle_slower(double target_ms, double baseline_ms);

/*
 * Download time of the first n body bytes of h, from its first sample
 * (the first bytes received) to the first sample holding n bytes; -1 when
 * h never got n bytes.  Pure, for tests.
 */
double	http_download_ms(const struct rec_http *, uint64_t n);

#endif
