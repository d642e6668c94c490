/*
 * nightjar report: time-of-day analysis of records (nightjar(1), "report").
 *
 * report.c reads records and bins them per host (or host x probe) and
 * local hour of day; rw_find() (report-window.c) is the pure window
 * finder: 24 plain hour bins in, windows out, no I/O.  report-svg.c draws
 * the heatmap.  Both live in lib/: the collector's dashboard uses them too.
 */
#ifndef NJ_REPORT_H
#define NJ_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "report-window.h"
#include "report-svg.h"

/* report-read.c: the fields of one record report uses, read in place. */
#define REPORT_MAX_STEPS	8

struct report_step {
	const char	*sni;		/* NULL when absent */
	size_t		 snilen;
	double		 t_ms;
};

/* An http entry that got its answer: what its download speed needs. */
struct report_dl {
	const char	*sni;		/* NULL when absent or nil */
	size_t		 snilen;
	double		 t_ms;		/* the GET, sent to the last byte */
	double		 bytes;		/* last sample's bytes, or body_length */
};

/* Strings point into the record's bytes; NULL when absent or not a str. */
struct report_fields {
	const char		*host;		/* target.host */
	size_t			 hostlen;
	const char		*probe;		/* probe_id */
	size_t			 probelen;
	const char		*start;		/* start_time */
	size_t			 startlen;
	int			 has_tz;
	int64_t			 tz;		/* tz_offset */
	const char		*status;	/* verdict.status */
	size_t			 statuslen;
	const char		*method;	/* verdict.method */
	size_t			 methodlen;
	double			 tcp_ms;	/* first successful tcp, or -1 */
	struct report_step	 tls[REPORT_MAX_STEPS]; /* successful tls */
	size_t			 ntls;
	struct report_dl	 dl[REPORT_MAX_STEPS];	/* answered http */
	size_t			 ndl;
};

/*
 * Read the map at data (the whole of it must be well-formed msgpack):
 * 0 and its length in *used, or -1 when truncated, malformed or not a map.
 */
int	report_fields_read(const char *data, size_t len, size_t *used,
	    struct report_fields *);
/* Handshake ms of the first successful tls step with the host's SNI. */
double	report_fields_tls_ms(const struct report_fields *);

/*
 * Download cost of the target's own GET (sni absent or the host's), in ms
 * per 1000 bytes, or -1: the first answered one of at least 1024 bytes.
 */
double	report_fields_dl_cost(const struct report_fields *);

typedef int (*report_fields_cb)(const struct report_fields *, void *);
/* Like spool_read_file(): a damaged file is warned about, -1, no calls. */
int	report_read_file(const char *path, report_fields_cb, void *);

#endif
