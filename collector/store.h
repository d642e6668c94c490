/*
 * The collector's database, behind one interface with two backends:
 * SQLite (a file name; the default) and PostgreSQL (a libpq URI,
 * "postgresql://..." or "postgres://...").  Used by the collector's
 * ingest, its dashboard queries, `nightjar-collector export` and
 * `nightjar report --db`.
 *
 * Table measurements(id TEXT PRIMARY KEY, probe_id, received_at,
 * start_time, host, status, method, record, probe_asn, probe_network,
 * probe_cc, start_ms, local_hour, local_day), created when missing; older
 * SQLite files get the new columns added.
 *
 * Every operation is asynchronous: it takes a callback that receives the
 * outcome.  Opened with an event_base, neither backend ever waits on the
 * database on that loop: PostgreSQL through libpq's asynchronous API
 * driven from the loop, SQLite on one worker thread of the store's own
 * (callbacks still run on the loop).  Opened without one (command-line
 * tools), every operation completes before the call returns.  Callbacks
 * MAY run before the call returns, so do not touch state the callback
 * frees after the call.  store_free runs every callback still owed
 * (STORE_UNAVAILABLE for work not done).
 */
#ifndef NJ_STORE_H
#define NJ_STORE_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct batch;

enum store_rc {
	STORE_OK = 0,
	STORE_UNAVAILABLE,	/* database unreachable or busy: try later */
	STORE_ERROR		/* anything else (logged) */
};

struct store;

/*
 * Open uri.  base NULL: synchronous use (tools).  readonly: never create
 * or alter anything.  A PostgreSQL store with a base returns at once and
 * connects (and reconnects, with backoff) in the background.  NULL on an
 * error that retrying will not fix (logged).
 */
struct store	*store_open(const char *uri, struct event_base *base,
		    int readonly);
void		 store_free(struct store *);
/* 1 for a libpq URI, 0 for a file name. */
int		 store_is_pg(const char *uri);
/* 1 when the database can be used now; otherwise *why says why. */
int		 store_ready(struct store *, const char **why);

/* What the collector learnt about the uploader: never its address. */
struct store_origin {
	const char	*asn;		/* "AS9198" or NULL */
	const char	*network;	/* AS organisation or NULL */
	const char	*cc;		/* "KZ" or NULL */
};

typedef void (*store_insert_cb)(enum store_rc, size_t accepted,
    size_t duplicates, void *arg);
/*
 * Store every record of b (INSERT ... ON CONFLICT (id) DO NOTHING, one
 * transaction, durable before cb runs with STORE_OK).  The store copies
 * what it needs: b may be freed once this returns.  origin may be NULL.
 */
void	store_insert(struct store *, const struct batch *b,
	    const struct store_origin *origin, store_insert_cb cb, void *arg);

/*
 * Filters shared by the queries.  NULL / 0 / INT64_MIN / INT64_MAX mean
 * "any".  since/until are on start_time, both inclusive (ms since the
 * epoch, UTC); received_since on received_at; hour (and hour_end) on
 * the local hour of day (start_time + tz_offset).  network matches probe_asn
 * ("AS9198"), probe_network or probe_cc exactly.
 */
struct store_filter {
	const char	*host;
	const char	*probe_id;
	const char	*network;
	const char	*status;
	int64_t		 since_ms;
	int64_t		 until_ms;
	int64_t		 received_since_ms;
	int		 hour;		/* local hour 0-23; -1 = any */
	int		 hour_end;	/* -1, or with hour the local hours
					   [hour, hour_end), 1-24, past
					   midnight when hour_end <= hour */
	size_t		 limit;		/* records only; 0 = no limit */
};
void	store_filter_init(struct store_filter *);

/*
 * Rows are handed to a row callback one at a time; their pointers are
 * valid during that call only.  A row callback returns 0 to go on, -1 to
 * stop (the done callback then still runs, with STORE_OK).  The done
 * callback runs exactly once per query, after the last row.
 */
typedef void (*store_done_cb)(enum store_rc, void *arg);

/* One stored record, oldest received first (export) or by start_time. */
struct store_record {
	const char		*id;
	const char		*probe_id;
	const char		*received_at;
	const char		*probe_asn;	/* NULL when unknown */
	const char		*probe_network;
	const char		*probe_cc;
	const unsigned char	*raw;		/* the record's msgpack bytes */
	size_t			 rawlen;	/* (hostile: bound your reader) */
};
typedef int (*store_record_cb)(const struct store_record *, void *arg);
/* Records matching f, ordered by received_at (then insertion). */
void	store_records(struct store *, const struct store_filter *f,
	    store_record_cb row, store_done_cb done, void *arg);
/*
 * A stored record as one JSON object (export, GET /v1/measurements): rec
 * (r's msgpack, already unpacked and bounded by the caller) with the
 * collector's "probe_asn", "probe_network" and "probe_cc" (null when
 * unknown) in place of any the record carries.
 */
struct buf;
struct msgpack_object;
void	store_record_json(const struct store_record *r,
	    const struct msgpack_object *rec, struct buf *out);

/* Per probe: records, last upload and the network of its last record. */
struct store_probe {
	const char	*probe_id;
	const char	*probe_asn;	/* NULL when unknown */
	const char	*probe_network;
	const char	*probe_cc;
	const char	*last_received;	/* received_at, RFC 3339 ms */
	int64_t		 records;
};
typedef int (*store_probe_cb)(const struct store_probe *, void *arg);
/* Ordered by probe_id. */
void	store_probes(struct store *, const struct store_filter *f,
	    store_probe_cb row, store_done_cb done, void *arg);

/* Per host: its latest measurement (by start_time) and totals. */
struct store_host {
	const char	*host;
	const char	*status;	/* of the latest record */
	const char	*method;	/* of the latest record, or NULL */
	const char	*start_time;	/* of the latest record */
	int64_t		 records;
	int64_t		 failed;	/* status other than "ok" */
};
typedef int (*store_host_cb)(const struct store_host *, void *arg);
/* Ordered by host. */
void	store_hosts(struct store *, const struct store_filter *f,
	    store_host_cb row, store_done_cb done, void *arg);

/*
 * Per host, local day, local hour of day (start_time + tz_offset), status
 * and method: how many records.  Enough to rebuild report's hour bins
 * (n, failed, dominant method) and its "on how many days" counts.
 */
struct store_cell {
	const char	*host;
	const char	*day;		/* local date YYYY-MM-DD */
	int		 hour;		/* 0-23 */
	const char	*status;
	const char	*method;	/* NULL for none */
	int64_t		 n;
	/* report's slow data of the ok records that have it: */
	const double	*tls;		/* handshake ms */
	size_t		 ntls;
	const double	*dl;		/* download ms per 1000 bytes */
	size_t		 ndl;
};
typedef int (*store_cell_cb)(const struct store_cell *, void *arg);
/* Ordered by host, day, hour. */
void	store_cells(struct store *, const struct store_filter *f,
	    store_cell_cb row, store_done_cb done, void *arg);

#endif
