/*
 * The store on PostgreSQL, through libpq.
 *
 * With an event_base (the collector) everything is asynchronous and
 * driven by the loop: PQconnectStart/PQconnectPoll to connect, one event
 * on PQsocket, PQsendQueryParams, PQflush while libpq has output queued,
 * PQconsumeInput and PQisBusy before every PQgetResult, so no call waits
 * on the database.  A few connections (PG_CONNS) each run one statement
 * at a time from a shared bounded queue.  A lost connection fails its
 * statement and the queue with STORE_UNAVAILABLE and is reconnected with
 * exponential backoff.
 *
 * A batch is one statement, INSERT ... SELECT FROM unnest(arrays) ON
 * CONFLICT (id) DO NOTHING, sent as binary arrays: one round trip and one
 * implicit transaction, committed (synchronous_commit = on) before
 * ReadyForQuery, which is when the callback runs.  The command tag's row
 * count is what was inserted; the rest of the batch was already there.
 *
 * Without an event_base (report, export) the same statements run with
 * libpq's blocking calls, rows streamed in single-row mode.
 *
 * Note: libpq resolves a host name in PQconnectStart with getaddrinfo,
 * which blocks; give the collector an address or a socket directory
 * (host=/run/postgresql) to keep the loop free of DNS.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "log.h"
#include "store-int.h"
#include "xmalloc.h"

#define PG_CONNS	2
#define PG_QUEUE_MAX	64
#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000

/* Type OIDs (pg_type.h is not in libpq-dev's client headers). */
#define OID_BYTEA	17
#define OID_INT8	20
#define OID_INT4	23
#define OID_TEXT	25
#define OID_BYTEA_ARR	1001
#define OID_INT4_ARR	1007
#define OID_TEXT_ARR	1009
#define OID_INT8_ARR	1016

enum op_kind { OP_SETUP, OP_INSERT, OP_QUERY };

struct op {
	enum op_kind	 kind;
	char		*sql;		/* OP_SETUP, OP_INSERT */
	int		 nparams;
	Oid		 types[16];
	char		*values[16];
	int		 lengths[16];
	int		 formats[16];
	char		*bufs;		/* owns the arrays' bytes */
	char		*own[4];	/* and the scalars' */
	size_t		 n;		/* records of an insert */
	size_t		 inserted;
	int		 failed;	/* an error result came */
	store_insert_cb	 icb;
	void		*arg;
	struct store_q	*q;		/* OP_QUERY */
	struct op	*next;
};

struct pg;

struct pgconn {
	struct pg	*pg;
	PGconn		*conn;
	enum { C_DOWN, C_CONNECTING, C_SETUP, C_READY } state;
	struct event	*ev;
	struct event	*retry;
	int		 backoff_ms;
	int		 fd;
	short		 want;
	struct op	*cur;
	struct op	*setup;
	int		 idx;
};

struct pg {
	char		*uri;
	struct event_base *base;
	int		 readonly;
	struct pgconn	 c[PG_CONNS];
	int		 nconns;
	struct op	*head, *tail;
	size_t		 queued;
	char		 why[256];
	int		 logged_down;
	PGconn		*sync;		/* tools */
	struct buf_hex {
		unsigned char	*p;
		size_t		 cap;
	} hex[STORE_MAX_COLS];
};

static void	conn_arm(struct pgconn *, short);
static void	conn_next(struct pgconn *);
static void	conn_lost(struct pgconn *, const char *);

static const char schema[] =
    "SET client_min_messages = warning;"
    "BEGIN;"
    "SELECT pg_advisory_xact_lock(7460211);"
    "CREATE TABLE IF NOT EXISTS measurements ("
    "id TEXT PRIMARY KEY, probe_id TEXT, received_at TEXT, "
    "start_time TEXT, host TEXT, status TEXT, method TEXT, record BYTEA);"
    "ALTER TABLE measurements ADD COLUMN IF NOT EXISTS probe_asn TEXT;"
    "ALTER TABLE measurements ADD COLUMN IF NOT EXISTS probe_network TEXT;"
    "ALTER TABLE measurements ADD COLUMN IF NOT EXISTS probe_cc TEXT;"
    "ALTER TABLE measurements ADD COLUMN IF NOT EXISTS start_ms BIGINT;"
    "ALTER TABLE measurements ADD COLUMN IF NOT EXISTS local_hour INTEGER;"
    "ALTER TABLE measurements ADD COLUMN IF NOT EXISTS local_day TEXT;"
    "ALTER TABLE measurements ADD COLUMN IF NOT EXISTS tls_ns BIGINT;"
    "ALTER TABLE measurements ADD COLUMN IF NOT EXISTS dl_ns BIGINT;"
    "CREATE INDEX IF NOT EXISTS measurements_received_at "
    "ON measurements(received_at);"
    "CREATE INDEX IF NOT EXISTS measurements_host_start "
    "ON measurements(host, start_ms);"
    "CREATE INDEX IF NOT EXISTS measurements_probe "
    "ON measurements(probe_id, received_at);"
    "DROP INDEX IF EXISTS measurements_cells;"
    "DROP INDEX IF EXISTS measurements_cells_t;"
    "CREATE INDEX IF NOT EXISTS measurements_cells_td ON measurements(host, "
    "local_day, local_hour, status, method, start_ms, probe_id, probe_asn, "
    "probe_network, probe_cc, tls_ns, dl_ns);"
    "COMMIT;"
    "SET synchronous_commit = on;";

static const char insert_sql[] =
    "INSERT INTO measurements (" STORE_COLUMNS ") "
    "SELECT u.id, u.probe_id, $11, u.start_time, u.host, u.status, "
    "u.method, u.record, $12, $13, $14, u.start_ms, u.local_hour, "
    "u.local_day, u.tls_ns, u.dl_ns FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, "
    "$10, $15, $16) AS u(id, probe_id, start_time, host, status, method, "
    "record, start_ms, local_hour, local_day, tls_ns, dl_ns) "
    "ON CONFLICT (id) DO NOTHING";

/* --- operations --------------------------------------------------------- */

static void
op_free(struct op *o)
{
	if (o == NULL)
		return;
	free(o->sql);
	free(o->bufs);
	for (int i = 0; i < 4; i++)
		free(o->own[i]);
	free(o->q);
	free(o);
}

/* Finish o with rc: its callback runs once, then it is freed. */
static void
op_finish(struct op *o, enum store_rc rc)
{
	switch (o->kind) {
	case OP_SETUP:
		break;
	case OP_INSERT:
		if (rc == STORE_OK)
			o->icb(STORE_OK, o->inserted, o->n - o->inserted,
			    o->arg);
		else
			o->icb(rc, 0, 0, o->arg);
		break;
	case OP_QUERY:
		o->q->done(rc, o->q->arg);
		break;
	}
	op_free(o);
}

static void
be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void
be64(unsigned char *p, uint64_t v)
{
	be32(p, (uint32_t)(v >> 32));
	be32(p + 4, (uint32_t)v);
}

/*
 * A one-dimensional array in PostgreSQL's binary format: header (ndim,
 * has-nulls, element type, length, lower bound), then each element's
 * length (-1 for NULL) and bytes.
 */
struct arr {
	unsigned char	*p;
	size_t		 len, cap;
};

static void
arr_room(struct arr *a, size_t more)
{
	if (a->len + more > a->cap) {
		a->cap = (a->len + more) * 2;
		a->p = xrealloc(a->p, a->cap);
	}
}

static void
arr_start(struct arr *a, Oid elem, size_t n)
{
	arr_room(a, 20);
	be32(a->p + a->len, 1);
	be32(a->p + a->len + 4, 1);		/* may hold NULLs */
	be32(a->p + a->len + 8, elem);
	be32(a->p + a->len + 12, (uint32_t)n);
	be32(a->p + a->len + 16, 1);
	a->len += 20;
}

static void
arr_bytes(struct arr *a, const void *p, size_t len)
{
	arr_room(a, 4 + len);
	if (p == NULL) {
		be32(a->p + a->len, 0xffffffffu);
		a->len += 4;
		return;
	}
	be32(a->p + a->len, (uint32_t)len);
	if (len > 0)
		memcpy(a->p + a->len + 4, p, len);
	a->len += 4 + len;
}

static struct op *
op_insert_new(const struct store_ins *ins)
{
	/* Arrays $1-$10, $15 and $16, scalars $11-$14. */
	static const Oid	 types[12] = { OID_TEXT, OID_TEXT, OID_TEXT,
	    OID_TEXT, OID_TEXT, OID_TEXT, OID_BYTEA, OID_INT8, OID_INT4,
	    OID_TEXT, OID_INT8, OID_INT8 };
	static const Oid	 arrtypes[12] = { OID_TEXT_ARR, OID_TEXT_ARR,
	    OID_TEXT_ARR, OID_TEXT_ARR, OID_TEXT_ARR, OID_TEXT_ARR,
	    OID_BYTEA_ARR, OID_INT8_ARR, OID_INT4_ARR, OID_TEXT_ARR,
	    OID_INT8_ARR, OID_INT8_ARR };
	struct op		*o;
	struct arr		 a = { NULL, 0, 0 };
	size_t			 start[12], end[12], i, k, at;
	const struct store_row	*r;
	unsigned char		 num[8];
	const char		*scal[4];

	o = xcalloc(1, sizeof *o);
	o->kind = OP_INSERT;
	o->sql = xstrdup(insert_sql);
	o->n = ins->n;
	o->icb = ins->cb;
	o->arg = ins->arg;
	for (k = 0; k < 12; k++) {
		start[k] = a.len;
		arr_start(&a, types[k], ins->n);
		for (i = 0; i < ins->n; i++) {
			r = &ins->rows[i];
			switch (k) {
			case 0: arr_bytes(&a, r->id, r->id_len); break;
			case 1: arr_bytes(&a, r->probe_id, r->probe_id_len);
				break;
			case 2: arr_bytes(&a, r->start_time,
				    r->start_time_len);
				break;
			case 3: arr_bytes(&a, r->host, r->host_len); break;
			case 4: arr_bytes(&a, r->status, r->status_len); break;
			case 5: arr_bytes(&a, r->method, r->method_len); break;
			case 6: arr_bytes(&a, r->raw, r->rawlen); break;
			case 7:
				be64(num, (uint64_t)r->start_ms);
				arr_bytes(&a, r->has_local ? num : NULL, 8);
				break;
			case 8:
				be32(num, (uint32_t)r->local_hour);
				arr_bytes(&a, r->has_local ? num : NULL, 4);
				break;
			case 9:
				arr_bytes(&a, r->has_local ? r->local_day :
				    NULL, strlen(r->local_day));
				break;
			case 10:
				be64(num, (uint64_t)r->tls_ns);
				arr_bytes(&a, r->has_tls ? num : NULL, 8);
				break;
			case 11:
				be64(num, (uint64_t)r->dl_ns);
				arr_bytes(&a, r->has_dl ? num : NULL, 8);
				break;
			}
		}
		end[k] = a.len;
	}
	scal[0] = ins->received_at;
	scal[1] = ins->asn;
	scal[2] = ins->network;
	scal[3] = ins->cc;
	o->bufs = (char *)a.p;
	o->nparams = 16;
	for (k = 0; k < 12; k++) {
		at = k < 10 ? k : k + 4;
		o->types[at] = arrtypes[k];
		o->values[at] = o->bufs + start[k];
		o->lengths[at] = (int)(end[k] - start[k]);
		o->formats[at] = 1;
	}
	for (k = 0; k < 4; k++) {
		o->types[10 + k] = OID_TEXT;
		o->formats[10 + k] = 0;
		if (scal[k] == NULL)
			continue;
		o->own[k] = xstrdup(scal[k]);
		o->values[10 + k] = o->own[k];
		o->lengths[10 + k] = (int)strlen(scal[k]);
	}
	return o;
}

static struct op *
op_query_new(struct store_q *q)
{
	struct op	*o;
	int		 i;

	o = xcalloc(1, sizeof *o);
	o->kind = OP_QUERY;
	o->q = q;
	o->nparams = q->np;
	for (i = 0; i < q->np; i++) {
		o->formats[i] = 0;
		if (q->p[i].null) {
			o->values[i] = NULL;
			o->types[i] = q->p[i].is_int ? OID_INT8 : OID_TEXT;
			continue;
		}
		if (q->p[i].is_int) {
			o->types[i] = OID_INT8;
			o->values[i] = q->text[1 + i];
			snprintf(o->values[i], sizeof q->text[0], "%lld",
			    (long long)q->p[i].i);
		} else {
			o->types[i] = OID_TEXT;
			o->values[i] = (char *)q->p[i].s;
		}
		o->lengths[i] = (int)strlen(o->values[i]);
	}
	return o;
}

static int
op_send(PGconn *conn, struct op *o)
{
	int	ok;

	if (o->kind == OP_SETUP)
		return PQsendQuery(conn, o->sql);
	ok = PQsendQueryParams(conn, o->kind == OP_QUERY ? o->q->sql : o->sql,
	    o->nparams, o->types, (const char *const *)o->values, o->lengths,
	    o->formats, 0);
	if (ok && o->kind == OP_QUERY)
		PQsetSingleRowMode(conn);
	return ok;
}

static int
unhex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hand each row of res to the query; blobs decoded from bytea's hex. */
static void
op_rows(struct pg *pg, struct op *o, PGresult *res)
{
	struct store_q		*q = o->q;
	struct store_col	 c[STORE_MAX_COLS];
	const char		*v;
	size_t			 ncol = strlen(q->coltypes), len, j;
	int			 row, i, hi, lo;

	if ((size_t)PQnfields(res) < ncol) {
		o->failed = 1;
		return;
	}
	for (row = 0; row < PQntuples(res) && !q->stopped; row++) {
		for (i = 0; i < (int)ncol; i++) {
			if (PQgetisnull(res, row, i)) {
				c[i].ptr = NULL;
				c[i].len = 0;
				continue;
			}
			v = PQgetvalue(res, row, i);
			len = (size_t)PQgetlength(res, row, i);
			c[i].ptr = v;
			c[i].len = len;
			if (q->coltypes[i] != 'b')
				continue;
			if (len < 2 || v[0] != '\\' || v[1] != 'x' ||
			    len % 2 != 0) {
				c[i].ptr = NULL;
				c[i].len = 0;
				continue;
			}
			if (pg->hex[i].cap < len / 2 + 1) {
				pg->hex[i].cap = len / 2 + 1;
				pg->hex[i].p = xrealloc(pg->hex[i].p,
				    pg->hex[i].cap);
			}
			for (j = 2; j < len; j += 2) {
				hi = unhex((unsigned char)v[j]);
				lo = unhex((unsigned char)v[j + 1]);
				if (hi < 0 || lo < 0)
					break;
				pg->hex[i].p[(j - 2) / 2] =
				    (unsigned char)(hi << 4 | lo);
			}
			c[i].ptr = j >= len ? (const char *)pg->hex[i].p :
			    NULL;
			c[i].len = j >= len ? (len - 2) / 2 : 0;
		}
		if (q->row(q, c) != 0)
			q->stopped = 1;
	}
}

/* One result of o's statement; NULL ends it. */
static void
op_result(struct pg *pg, struct op *o, PGresult *res)
{
	const char	*t;

	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
		if (o->kind == OP_INSERT) {
			t = PQcmdTuples(res);
			o->inserted = (size_t)strtoull(t, NULL, 10);
			if (o->inserted > o->n)
				o->failed = 1;
		}
		break;
	case PGRES_TUPLES_OK:
	case PGRES_SINGLE_TUPLE:
		if (o->kind == OP_QUERY)
			op_rows(pg, o, res);
		break;
	default:
		o->failed = 1;
		snprintf(pg->why, sizeof pg->why, "%s",
		    PQresultErrorMessage(res));
		pg->why[strcspn(pg->why, "\n")] = '\0';
		log_error("postgresql: %s", pg->why);
		break;
	}
}

/* --- the connections on the loop ----------------------------------------- */

static void
conn_event(evutil_socket_t fd, short what, void *arg)
{
	struct pgconn		*c = arg;
	PostgresPollingStatusType st;
	PGresult		*res;
	struct op		*o;
	int			 f;

	(void)fd;
	if (c->state == C_CONNECTING) {
		st = PQconnectPoll(c->conn);
		if (st == PGRES_POLLING_FAILED) {
			conn_lost(c, PQerrorMessage(c->conn));
			return;
		}
		if (st == PGRES_POLLING_READING) {
			conn_arm(c, EV_READ);
			return;
		}
		if (st == PGRES_POLLING_WRITING) {
			conn_arm(c, EV_WRITE);
			return;
		}
		/* PGRES_POLLING_OK */
		if (PQsetnonblocking(c->conn, 1) != 0) {
			conn_lost(c, PQerrorMessage(c->conn));
			return;
		}
		c->state = C_SETUP;
		c->setup = xcalloc(1, sizeof *c->setup);
		c->setup->kind = OP_SETUP;
		c->setup->sql = xstrdup(c->pg->readonly ?
		    "SET client_min_messages = warning;" : schema);
		c->cur = c->setup;
		c->setup = NULL;
		if (!op_send(c->conn, c->cur)) {
			conn_lost(c, PQerrorMessage(c->conn));
			return;
		}
		what = EV_WRITE;	/* flush below */
	}
	if (c->cur == NULL) {
		/* Idle: a notice or the server closing on us. */
		if (PQconsumeInput(c->conn) == 0) {
			conn_lost(c, PQerrorMessage(c->conn));
			return;
		}
		while (!PQisBusy(c->conn) &&
		    (res = PQgetResult(c->conn)) != NULL)
			PQclear(res);
		if (PQstatus(c->conn) == CONNECTION_BAD)
			conn_lost(c, "connection closed");
		else
			conn_arm(c, EV_READ);
		return;
	}
	if (what & EV_WRITE) {
		if ((f = PQflush(c->conn)) == -1) {
			conn_lost(c, PQerrorMessage(c->conn));
			return;
		}
		if (f == 1) {
			conn_arm(c, EV_READ | EV_WRITE);
			return;
		}
	}
	if (PQconsumeInput(c->conn) == 0) {
		conn_lost(c, PQerrorMessage(c->conn));
		return;
	}
	for (;;) {
		if (PQisBusy(c->conn)) {
			conn_arm(c, EV_READ);
			return;
		}
		if ((res = PQgetResult(c->conn)) == NULL)
			break;
		op_result(c->pg, c->cur, res);
		PQclear(res);
	}
	/* ReadyForQuery: the statement's transaction is over. */
	o = c->cur;
	c->cur = NULL;
	if (PQstatus(c->conn) == CONNECTION_BAD) {
		c->cur = o;
		conn_lost(c, "connection lost");
		return;
	}
	if (o->kind == OP_SETUP) {
		if (o->failed) {
			op_free(o);
			conn_lost(c, c->pg->why);
			return;
		}
		op_free(o);
		c->state = C_READY;
		c->backoff_ms = 0;
		if (c->pg->logged_down)
			log_info("postgresql: connected again");
		c->pg->logged_down = 0;
		c->pg->why[0] = '\0';
		log_debug("postgresql: connection %d ready", c->idx);
	} else
		op_finish(o, o->failed ? STORE_ERROR : STORE_OK);
	conn_next(c);
}

static void
conn_arm(struct pgconn *c, short what)
{
	int	fd = PQsocket(c->conn);

	if (c->ev != NULL && (fd != c->fd || what != c->want)) {
		event_free(c->ev);
		c->ev = NULL;
	}
	if (c->ev == NULL) {
		c->ev = event_new(c->pg->base, fd, what, conn_event, c);
		c->fd = fd;
		c->want = what;
	}
	event_add(c->ev, NULL);
}

/* Server notices ("terminating connection ...") go to the debug log. */
static void
notice(void *arg, const char *msg)
{
	(void)arg;
	log_debug("postgresql: %.*s", (int)strcspn(msg, "\n"), msg);
}

static void
conn_retry(evutil_socket_t fd, short what, void *arg)
{
	struct pgconn	*c = arg;

	(void)fd;
	(void)what;
	c->conn = PQconnectStart(c->pg->uri);
	if (c->conn == NULL) {
		log_error("postgresql: out of memory");
		abort();
	}
	if (PQstatus(c->conn) == CONNECTION_BAD) {
		conn_lost(c, PQerrorMessage(c->conn));
		return;
	}
	PQsetNoticeProcessor(c->conn, notice, NULL);
	c->state = C_CONNECTING;
	c->fd = -1;
	conn_arm(c, EV_WRITE);
}

/* Fail every queued operation: the database cannot take them now. */
static void
queue_fail(struct pg *pg)
{
	struct op	*o;
	int		 i;

	for (i = 0; i < pg->nconns; i++)
		if (pg->c[i].state == C_READY)
			return;		/* another connection will do them */
	while ((o = pg->head) != NULL) {
		pg->head = o->next;
		if (pg->head == NULL)
			pg->tail = NULL;
		pg->queued--;
		op_finish(o, STORE_UNAVAILABLE);
	}
}

static void
conn_lost(struct pgconn *c, const char *why)
{
	struct pg	*pg = c->pg;
	struct timeval	 tv;
	struct op	*o;

	if (why != NULL && *why != '\0' && why != pg->why)
		snprintf(pg->why, sizeof pg->why, "%s", why);
	pg->why[strcspn(pg->why, "\n")] = '\0';
	if (!pg->logged_down || c->state == C_READY)
		log_warn("postgresql: %s", pg->why[0] != '\0' ? pg->why :
		    "connection lost");
	pg->logged_down = 1;
	if (c->ev != NULL) {
		event_free(c->ev);
		c->ev = NULL;
	}
	PQfinish(c->conn);
	c->conn = NULL;
	c->state = C_DOWN;
	o = c->cur;
	c->cur = NULL;
	if (o != NULL) {
		if (o->kind == OP_SETUP)
			op_free(o);
		else
			op_finish(o, STORE_UNAVAILABLE);
	}
	queue_fail(pg);
	c->backoff_ms = c->backoff_ms == 0 ? BACKOFF_MIN_MS :
	    c->backoff_ms * 2;
	if (c->backoff_ms > BACKOFF_MAX_MS)
		c->backoff_ms = BACKOFF_MAX_MS;
	tv.tv_sec = c->backoff_ms / 1000;
	tv.tv_usec = (c->backoff_ms % 1000) * 1000;
	evtimer_add(c->retry, &tv);
}

/* Start the next queued operation on an idle, ready connection. */
static void
conn_next(struct pgconn *c)
{
	struct pg	*pg = c->pg;
	struct op	*o;

	if (c->state != C_READY || c->cur != NULL) {
		return;
	}
	if ((o = pg->head) == NULL) {
		conn_arm(c, EV_READ);	/* notice a close while idle */
		return;
	}
	pg->head = o->next;
	if (pg->head == NULL)
		pg->tail = NULL;
	pg->queued--;
	o->next = NULL;
	c->cur = o;
	if (!op_send(c->conn, o)) {
		conn_lost(c, PQerrorMessage(c->conn));
		return;
	}
	conn_event(PQsocket(c->conn), EV_WRITE, c);
}

static void
pg_submit(struct pg *pg, struct op *o)
{
	int	i, ready = 0;

	for (i = 0; i < pg->nconns; i++)
		if (pg->c[i].state == C_READY)
			ready = 1;
	if (!ready || pg->queued >= PG_QUEUE_MAX) {
		op_finish(o, STORE_UNAVAILABLE);
		return;
	}
	if (pg->tail != NULL)
		pg->tail->next = o;
	else
		pg->head = o;
	pg->tail = o;
	pg->queued++;
	for (i = 0; i < pg->nconns && pg->head != NULL; i++)
		conn_next(&pg->c[i]);
}

/* --- tools: blocking calls ------------------------------------------------ */

static void
sync_run(struct pg *pg, struct op *o)
{
	PGresult	*res;

	if (!op_send(pg->sync, o)) {
		snprintf(pg->why, sizeof pg->why, "%s",
		    PQerrorMessage(pg->sync));
		log_error("postgresql: %s", pg->why);
		op_finish(o, STORE_UNAVAILABLE);
		return;
	}
	while ((res = PQgetResult(pg->sync)) != NULL) {
		op_result(pg, o, res);
		PQclear(res);
	}
	if (PQstatus(pg->sync) == CONNECTION_BAD) {
		log_error("postgresql: %s", PQerrorMessage(pg->sync));
		op_finish(o, STORE_UNAVAILABLE);
		return;
	}
	op_finish(o, o->failed ? STORE_ERROR : STORE_OK);
}

/* --- backend ------------------------------------------------------------- */

static void
pg_free(void *p)
{
	struct pg	*pg = p;
	struct op	*o;
	int		 i;

	if (pg == NULL)
		return;
	for (i = 0; i < pg->nconns; i++) {
		struct pgconn *c = &pg->c[i];

		if (c->ev != NULL)
			event_free(c->ev);
		if (c->retry != NULL)
			event_free(c->retry);
		if (c->cur != NULL) {
			if (c->cur->kind == OP_SETUP)
				op_free(c->cur);
			else
				op_finish(c->cur, STORE_UNAVAILABLE);
		}
		PQfinish(c->conn);
	}
	while ((o = pg->head) != NULL) {
		pg->head = o->next;
		op_finish(o, STORE_UNAVAILABLE);
	}
	PQfinish(pg->sync);
	for (i = 0; i < STORE_MAX_COLS; i++)
		free(pg->hex[i].p);
	free(pg->uri);
	free(pg);
}

void *
store_pg_open(const char *uri, struct event_base *base, int readonly)
{
	struct pg	*pg;
	struct op	*o;
	int		 i;

	pg = xcalloc(1, sizeof *pg);
	pg->uri = xstrdup(uri);
	pg->base = base;
	pg->readonly = readonly;
	if (base == NULL) {
		pg->sync = PQconnectdb(uri);
		if (pg->sync == NULL || PQstatus(pg->sync) != CONNECTION_OK) {
			log_error("postgresql: %s", pg->sync != NULL ?
			    PQerrorMessage(pg->sync) : "out of memory");
			pg_free(pg);
			return NULL;
		}
		PQsetNoticeProcessor(pg->sync, notice, NULL);
		o = xcalloc(1, sizeof *o);
		o->kind = OP_SETUP;
		o->sql = xstrdup(readonly ?
		    "SET client_min_messages = warning;" : schema);
		op_send(pg->sync, o);
		{
			PGresult *res;

			while ((res = PQgetResult(pg->sync)) != NULL) {
				op_result(pg, o, res);
				PQclear(res);
			}
		}
		i = o->failed;
		op_free(o);
		if (i) {
			pg_free(pg);
			return NULL;
		}
		return pg;
	}
	pg->nconns = readonly ? 1 : PG_CONNS;
	for (i = 0; i < pg->nconns; i++) {
		pg->c[i].pg = pg;
		pg->c[i].idx = i;
		pg->c[i].fd = -1;
		pg->c[i].retry = evtimer_new(base, conn_retry, &pg->c[i]);
		conn_retry(-1, 0, &pg->c[i]);
	}
	return pg;
}

static int
pg_ready(void *p, const char **why)
{
	struct pg	*pg = p;
	int		 i;

	if (pg->sync != NULL)
		return PQstatus(pg->sync) == CONNECTION_OK;
	for (i = 0; i < pg->nconns; i++)
		if (pg->c[i].state == C_READY)
			return 1;
	*why = pg->why[0] != '\0' ? pg->why : "connecting to the database";
	return 0;
}

static void
pg_insert(void *p, const struct store_ins *ins)
{
	struct pg	*pg = p;
	struct op	*o;

	if (pg->readonly) {
		ins->cb(STORE_ERROR, 0, 0, ins->arg);
		return;
	}
	o = op_insert_new(ins);
	if (pg->sync != NULL)
		sync_run(pg, o);
	else
		pg_submit(pg, o);
}

static void
pg_query(void *p, struct store_q *q)
{
	struct pg	*pg = p;
	struct op	*o = op_query_new(q);

	if (pg->sync != NULL)
		sync_run(pg, o);
	else
		pg_submit(pg, o);
}

const struct store_backend store_pg_backend = {
	pg_free, pg_ready, pg_insert, pg_query
};
