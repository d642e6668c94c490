/*
 * The report's window finder (report-window.c): 24 local-hour bins of one
 * host in, failure windows, an all-day verdict and slow windows out.  Pure:
 * no I/O, no clock.  Shared by `nightjar report` and the collector's
 * dashboard, which fill the bins from record files or from grouped
 * database queries.
 */
#ifndef NJ_REPORT_WINDOW_H
#define NJ_REPORT_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define RW_HOURS	24
#define RW_MAXWIN	12	/* at most 12 disjoint runs in 24 hours */

/*
 * Verdict methods and statuses are counted per hour by their value in
 * record.h; one more method slot counts strings nightjar does not know.
 */
#define RWM_OTHER	METHOD_COUNT
#define RWM_COUNT	(METHOD_COUNT + 1)
#define RWS_COUNT	STATUS_COUNT

/* Measurements of one hour bin on one local day. */
struct rw_day {
	int32_t		day;		/* local days since 1970-01-01 */
	uint32_t	n;
	uint32_t	failed;
	uint32_t	nt;		/* successful handshakes timed */
	double		sumlog;		/* sum of ln(tls_ms) over those */
	uint32_t	nd;		/* downloads timed */
	double		dsumlog;	/* sum of ln(ms per 1000 bytes) */
};

/* One local hour of day of one host. */
struct rw_hour {
	uint32_t		 n;		/* measurements */
	uint32_t		 failed;	/* of them not ok */
	uint32_t		 method[RWM_COUNT];
	uint32_t		 status[RWS_COUNT];
	const struct rw_day	*days;		/* sorted by day, unique */
	size_t			 ndays;
	const float		*tls;		/* handshake ms of ok records */
	size_t			 ntls;
	const float		*dl;		/* download cost of ok records: */
	size_t			 ndl;		/* ms per 1000 bytes */
};

struct rw_params {
	int		min_days;	/* --min-days: distinct days that held */
	uint32_t	min_hour_n;	/* hours with fewer do not count */
	double		min_rate;	/* failure rate of a "high" hour/window */
	double		min_diff;	/* inside - outside at least this */
	double		z_crit;		/* one-sided two-proportion z */
	double		slow_factor;	/* slow: median >= factor x baseline */
};

enum rw_kind { RW_FAILURE = 0, RW_SLOW };
/* What a slow window is slow at. */
enum rw_step { RW_STEP_TLS = 0, RW_STEP_DOWNLOAD };

struct rw_window {
	enum rw_kind	kind;
	enum rw_step	step;		/* slow: handshakes or downloads */
	int		start_hour;	/* 0-23 */
	int		end_hour;	/* exclusive, 1-24; < start when wrapping */
	double		rate;		/* failure: inside failure rate */
	double		baseline;	/* failure: outside failure rate */
	double		z;		/* failure: two-proportion z */
	double		median_ms;	/* slow: median handshake (or download
					   ms per 1000 bytes) inside */
	double		baseline_ms;	/* slow: the same outside */
	double		median_kbps;	/* slow download: median_ms as */
	double		baseline_kbps;	/* kbit/s, baseline_ms as kbit/s */
	enum verdict_method	method;		/* dominant method inside */
	enum verdict_status	status;		/* dominant failing status inside */
	int		days;		/* local days on which it held */
	int		days_seen;	/* local days with data in the window */
};

struct rw_result {
	int		 all_day;	/* failing at (nearly) every hour */
	struct rw_window whole;		/* all_day details: hours 0-24 */
	struct rw_window fail[RW_MAXWIN];
	size_t		 nfail;
	struct rw_window slow[2 * RW_MAXWIN];	/* handshakes, downloads */
	size_t		 nslow;
};

void		 rw_params_default(struct rw_params *);
void		 rw_find(const struct rw_hour *hours, const struct rw_params *,
		     struct rw_result *);

/* Dominant method / status of a count array (ties: lowest index). */
enum verdict_method	 rw_dominant_method(const uint32_t *method);
enum verdict_status	 rw_dominant_status(const uint32_t *status);
const char	*rw_method_name(enum verdict_method);	/* NULL for METHOD_NONE */
enum verdict_method	 rw_method_from(const char *, size_t);
const char	*rw_status_name(enum verdict_status);
int		 rw_status_from(const char *, size_t);	/* -1 unknown */
/* Download speed in kbit/s of a cost in ms per 1000 bytes (0: none). */
double		 rw_kbps(double ms_per_kb);
/* Median of v (sorted in place); 0 when n is 0. */
double		 rw_median(float *v, size_t n);

/* One row of the report, as report.c hands it to the renderers. */
struct report_row {
	const char		*host;
	const char		*probe_id;	/* NULL unless --by probe */
	const char		*asn;		/* NULL unless --by asn */
	uint64_t		 measurements;
	struct rw_hour		 hours[RW_HOURS];
	double			 median_tcp[RW_HOURS];	/* < 0: none */
	double			 median_tls[RW_HOURS];
	double			 median_dl[RW_HOURS];	/* ms per 1000 B */
	int			 has_dl;	/* any download timed */
	struct rw_result	 res;
};

#endif
