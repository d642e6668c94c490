/*
 * What happens to one target: DNS A and AAAA through every resolver (and
 * the control resolver), a TCP connect to each distinct address, a TLS
 * handshake with the target's SNI on each connection (retried once with
 * the control SNI when it is reset, times out or meets EOF).  One struct
 * measure per target in flight; it fills a struct record.
 */
#ifndef NJ_MEASURE_H
#define NJ_MEASURE_H

#include <stddef.h>

#include <event2/event.h>

#include "record.h"
#include "targets.h"

struct addrlimit;
struct baseline;
struct dns_resolver;
struct fingerprint_set;
struct tls_ctx;

/* Addresses connected to per target, from each source. */
#define MEASURE_MAX_ADDRS	8

/* What every measurement shares (owned by the engine). */
struct measure_env {
	struct event_base	 *base;
	struct dns_resolver	**resolvers;	/* role probe */
	size_t			  n_resolvers;
	struct dns_resolver	 *control;	/* NULL: no control */
	struct tls_ctx		 *tls;
	long			  timeout_ms;	/* each step */
	const char		 *control_sni;	/* NULL: no retry */
	struct addrlimit	 *limit;	/* per address; NULL: none */
	int			  http;		/* GET over each handshake */
	size_t			  http_max_body;
	const struct fingerprint_set *fingerprints;	/* NULL: none */
	/*
	 * A vantage's guard: when set and it says 1 for an address, nothing
	 * is sent there and the connection fails with
	 * "control_refused_address".
	 */
	int			(*refuse)(const char *ip, void *arg);
	void			 *refuse_arg;
	int			  keep_certs;	/* DER of trusted chains too */
	struct baseline		 *baseline;	/* per round; NULL: none */
};

struct measure;

/*
 * Called once when every step has finished or timed out; the record is
 * handed over (the callee frees it) and the measure may be freed from
 * inside the callback.
 */
typedef void	(*measure_cb)(struct measure *, struct record *, void *);

/*
 * Optional: called once when every connection of a measure is done and
 * only UDP queries still listen for later replies (--dns-linger); the
 * measure's callback follows when they stop.  The caller may start other
 * work meanwhile: what waits is the record and the listening queries.
 */
typedef void	(*measure_idle_cb)(struct measure *, void *);
void		 measure_on_idle(struct measure *, measure_idle_cb);
/*
 * A measure that is idle (see measure_idle_cb): stop listening at once;
 * the callback is called (with the replies so far) before this returns.
 * Nothing happens to a measure that is not idle.
 */
void		 measure_end_linger(struct measure *);

/* Start measuring t (borrowed until the callback). */
struct measure	*measure_start(const struct measure_env *,
		    const struct target *, measure_cb, void *);
void		 measure_free(struct measure *);
/*
 * Stop a measure in flight at once: every query, connection and timer is
 * dropped, the record is discarded and the callback is never called.
 */
void		 measure_cancel(struct measure *);
/*
 * Like measure_start, also connecting to addrs (n of them, copied; source probe) before
 * the addresses the resolvers give: a vantage measuring the addresses a
 * probe resolved.  Each address is connected to once.
 */
#define MEASURE_MAX_GIVEN	16
struct measure	*measure_start_addrs(const struct measure_env *,
		    const struct target *, const char *const *addrs, size_t n,
		    measure_cb, void *);

/*
 * The addresses to connect to from a record's DNS answers: the distinct
 * probe-role addresses first (source probe), then the control's addresses
 * the probe did not see (source control), at most max of each, skipping
 * unspecified addresses.  Pure, for tests.
 */
struct measure_addr {
	char		ip[46];
	enum rec_role	source;
};
size_t		 measure_addrs(const struct record *, struct measure_addr *,
		    size_t max);

#endif
