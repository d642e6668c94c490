/*
 * The baseline at the same moment: one handshake with --control-sni to
 * each address and port a round connects to, made before any handshake
 * with a target's SNI there (a censor that blocks an address for a while
 * after a forbidden SNI cannot spoil it), and shared by every target on
 * that address.  With --http it also GETs / over it.  Targets compare
 * their own handshake and download with it (throttling) and use it to
 * confirm SNI filtering.
 *
 *   b = baseline_new(env);                       once per round
 *   w = baseline_get(b, ip, port, cb, arg);      cb(tls, http|NULL, arg)
 *   baseline_cancel(w);                          before cb, if need be
 *   baseline_free(b);                            with the round
 *
 * cb gets NULL for the handshake when the address could not even be
 * connected to (the target's own connect says why).  It is always called
 * from the loop (never from inside baseline_get),
 * exactly once unless cancelled; the entries it gets are the baseline's
 * (copy what is needed).
 */
#ifndef NJ_BASELINE_H
#define NJ_BASELINE_H

#include "record.h"

struct measure_env;
struct baseline;
struct baseline_wait;

typedef void	(*baseline_cb)(const struct rec_tls *, const struct rec_http *,
		    double t0, void *);		/* t0: util_mono_ms() */

/* NULL when env has no --control-sni. */
struct baseline		*baseline_new(const struct measure_env *);
void			 baseline_free(struct baseline *);
struct baseline_wait	*baseline_get(struct baseline *, const char *ip,
			    int port, baseline_cb, void *);
void			 baseline_cancel(struct baseline_wait *);
/*
 * A handshake with SNI host to ip:port failed (reset, timeout, EOF)
 * after the address's baseline completed.  The first such host is
 * remembered; the answer is that host when it is another one (a censor
 * that blocks an address for a while after a forbidden name may be what
 * failed this one: residual blocking), else NULL.  Owned by b.
 */
const char		*baseline_failed(struct baseline *, const char *ip,
			    int port, const char *host);

/* Deep copies into a record's zeroed entries. */
void	baseline_copy_tls(struct rec_tls *, const struct rec_tls *);
void	baseline_copy_http(struct rec_http *, const struct rec_http *);

#endif
