/*
 * nightjar show --format ooni: a record as an OONI measurement (OONI's
 * data formats df-000 base, df-002 DNS, df-005 TCP connect, df-006 TLS
 * handshake, df-001 HTTP; see docs/ or github.com/ooni/spec).
 */
#ifndef NJ_SHOW_OONI_H
#define NJ_SHOW_OONI_H

#include <msgpack.h>

#include "mp.h"

struct show_ooni;

struct show_ooni *show_ooni_new(void);
void		 show_ooni_free(struct show_ooni *);

/*
 * Append one OONI measurement (one JSON object, no newline) for a record
 * that passed the record validator.  Records of one round (run_id) share
 * a report_id and a test_start_time: the start of the first of them seen.
 */
void		 show_ooni_record(struct show_ooni *, const msgpack_object *,
		    struct buf *);

/*
 * nightjar's verdict as Web Connectivity's pair, as JSON text: blocking
 * (false, "dns", "tcp_ip", "http-failure", "http-diff" or null: cannot
 * tell) and accessible (true, false or null).  method may be NULL.
 */
void		 show_ooni_blocking(const char *status, const char *method,
		    const char **blocking, const char **accessible);

#endif
