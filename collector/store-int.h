/*
 * Inside the store: what the common part (store.c) hands to a backend
 * (store-sqlite.c, store-pg.c).  Not for other callers.
 */
#ifndef NJ_STORE_INT_H
#define NJ_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* One record to insert, with the columns derived from it. */
struct store_row {
	const char	*id, *probe_id, *start_time, *host, *status, *method;
	size_t		 id_len, probe_id_len, start_time_len, host_len,
			 status_len, method_len;	/* ptr NULL = SQL NULL */
	const unsigned char *raw;
	size_t		 rawlen;
	int		 has_local;	/* start_ms, local_hour, local_day set */
	int64_t		 start_ms;
	int		 local_hour;
	char		 local_day[40];
	int		 has_tls;	/* tls_ns set: an ok record's handshake */
	int64_t		 tls_ns;		/* in nanoseconds */
	int		 has_dl;		/* dl_ns set: an ok record's download */
	int64_t		 dl_ns;		/* nanoseconds per 1000 bytes */
};

/* A whole batch as the backend inserts it in one transaction. */
struct store_ins {
	struct store_row	*rows;
	size_t			 n;
	char			 received_at[32];
	const char		*asn, *network, *cc;	/* NULL = unknown */
	store_insert_cb		 cb;
	void			*arg;
};

/* A parameter of a query: text or 64-bit integer, or SQL NULL. */
struct store_param {
	int		 null;
	int		 is_int;
	const char	*s;
	int64_t		 i;
};

/* A column of a result row: ptr NULL = SQL NULL (blobs decoded). */
struct store_col {
	const char	*ptr;
	size_t		 len;
};

#define STORE_MAX_PARAMS	9
#define STORE_MAX_COLS		8

struct store_q;
/* Called by the backend for each result row; -1 stops the query. */
typedef int (*store_q_row)(struct store_q *, const struct store_col *);

struct store_q {
	char			 sql[2048];
	char			 cond[512];	/* " AND ..." of the filter */
	char			 where[540];	/* " WHERE 1 = 1" cond */
	struct store_param	 p[STORE_MAX_PARAMS];
	int			 np;
	const char		*coltypes;	/* one of t (text) i b (blob) */
	store_q_row		 row;
	int			 stopped;
	/* the caller's */
	void			*cb;
	store_done_cb		 done;
	void			*arg;
	char			 text[STORE_MAX_PARAMS + 1][32]; /* scratch */
};

struct store_backend {
	void	(*free)(void *);
	int	(*ready)(void *, const char **why);
	/* Must copy what it keeps of ins; calls ins->cb exactly once. */
	void	(*insert)(void *, const struct store_ins *ins);
	/* Takes q (frees it when done, after calling q->done once). */
	void	(*query)(void *, struct store_q *q);
};

void	*store_sqlite_open(const char *path, struct event_base *base,
	    int readonly);
void	*store_pg_open(const char *uri, struct event_base *base,
	    int readonly);
extern const struct store_backend store_sqlite_backend;
extern const struct store_backend store_pg_backend;

/* The insert statement's columns, shared by the backends. */
#define STORE_COLUMNS \
	"id, probe_id, received_at, start_time, host, status, method, " \
	"record, probe_asn, probe_network, probe_cc, start_ms, local_hour, " \
	"local_day, tls_ns, dl_ns"

#endif
