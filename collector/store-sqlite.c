/*
 * The store on SQLite (the default): WAL, synchronous=FULL, one
 * transaction per batch committed before the callback runs.
 *
 * SQLite has no asynchronous API.  Opened with an event_base (the
 * collector), every statement runs on ONE worker thread: the loop hands
 * it jobs (an insert, a query) through a queue, and the worker hands
 * results back through a pipe the loop watches, so a commit's fsync, a
 * dashboard's aggregate over a million rows or a lock held by another
 * process (an export, a backup: waited for up to BUSY_MS_WORKER, then
 * STORE_UNAVAILABLE, which the collector answers 503 + Retry-After) never
 * stop the loop.  Callbacks always run on the loop, never before the call
 * returns.  Query rows come back in chunks: the worker fills one, waits
 * until the loop has handed its rows to the caller, and goes on (or stops
 * when the row callback said so), so memory stays bounded.  Jobs run one
 * at a time in the order given.
 *
 * Without an event_base (command-line tools) every call runs at once on
 * the caller's thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "log.h"
#include "store-int.h"
#include "xmalloc.h"

#define BUSY_MS_WORKER	5000
#define BUSY_MS_TOOL	10000
#define CHUNK_ROWS	512		/* rows handed to the loop at once */
#define CHUNK_BYTES	(1024 * 1024)	/* ... or about this many bytes */

enum { JOB_INSERT, JOB_QUERY };

/*
 * A job for the worker.  The worker owns it from the queue until it puts
 * it on the done list; the loop owns it from there.  A query's job comes
 * back to the loop once per chunk of rows (not finished: the loop hands
 * the rows over, sets taken and the worker goes on) and once finished.
 */
struct sq_job {
	struct sq_job	*next;
	int		 kind;
	struct store_ins ins;		/* JOB_INSERT: a deep copy */
	char		*arena;		/* ... holding its strings */
	size_t		 accepted;
	struct store_q	*q;		/* JOB_QUERY */
	char		*chunk;		/* rows: per column a size_t length */
	size_t		 chunk_len;	/* (SIZE_MAX = NULL), the bytes, NUL */
	size_t		 chunk_cap;
	size_t		 chunk_rows;
	int		 taken;		/* loop: the chunk was consumed */
	int		 stop;		/* loop: the row callback said stop */
	int		 finished;	/* worker: rc is the outcome */
	int		 posted;	/* on the done list */
	enum store_rc	 rc;
};

struct sq {
	sqlite3		*db;
	sqlite3_stmt	*insert;
	char		*path;
	int		 readonly;
	char		 why[256];
	/* the worker, with an event_base */
	int		 threaded;
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct sq_job	*todo, **todo_tail;
	struct sq_job	*done, **done_tail;
	int		 quit;
	int		 wake[2];	/* worker -> loop */
	struct event	*ev;
	char		*gate;		/* tests: see sq_gate() */
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS measurements ("
    "id TEXT PRIMARY KEY, probe_id TEXT, received_at TEXT, "
    "start_time TEXT, host TEXT, status TEXT, method TEXT, record BLOB);"
    "CREATE INDEX IF NOT EXISTS measurements_received_at "
    "ON measurements(received_at);";

/* Columns added since the first table; added to older files. */
static const char *const added[][2] = {
	{ "probe_asn", "TEXT" },
	{ "probe_network", "TEXT" },
	{ "probe_cc", "TEXT" },
	{ "start_ms", "INTEGER" },
	{ "local_hour", "INTEGER" },
	{ "local_day", "TEXT" },
	{ "tls_ns", "INTEGER" },
	{ "dl_ns", "INTEGER" },
};

static const char indexes[] =
    "CREATE INDEX IF NOT EXISTS measurements_host_start "
    "ON measurements(host, start_ms);"
    "CREATE INDEX IF NOT EXISTS measurements_probe "
    "ON measurements(probe_id, received_at);"
    "DROP INDEX IF EXISTS measurements_cells;"
    "DROP INDEX IF EXISTS measurements_cells_t;"
    "CREATE INDEX IF NOT EXISTS measurements_cells_td ON measurements(host, "
    "local_day, local_hour, status, method, start_ms, probe_id, probe_asn, "
    "probe_network, probe_cc, tls_ns, dl_ns);";

static int
exec(struct sq *s, const char *sql)
{
	char	*msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("%s: %s", s->path,
		    msg != NULL ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
has_column(struct sq *s, const char *name)
{
	sqlite3_stmt	*st = NULL;
	const char	*c;
	int		 found = 0;

	if (sqlite3_prepare_v2(s->db, "PRAGMA table_info(measurements)", -1,
	    &st, NULL) != SQLITE_OK)
		return 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		c = (const char *)sqlite3_column_text(st, 1);
		if (c != NULL && strcmp(c, name) == 0)
			found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

/*
 * A file from an older collector, read without changing it: a temporary
 * view of the same name shows the missing columns as NULL.
 */
static int
old_columns(struct sq *s)
{
	struct buf_s {
		char	 sql[1024];
		size_t	 len;
	} b;
	size_t	i, missing = 0;

	b.len = (size_t)snprintf(b.sql, sizeof b.sql, "CREATE TEMP VIEW "
	    "measurements AS SELECT rowid AS rowid, id, probe_id, "
	    "received_at, start_time, host, status, method, record");
	for (i = 0; i < sizeof added / sizeof added[0]; i++) {
		if (has_column(s, added[i][0]))
			b.len += (size_t)snprintf(b.sql + b.len,
			    sizeof b.sql - b.len, ", %s", added[i][0]);
		else {
			b.len += (size_t)snprintf(b.sql + b.len,
			    sizeof b.sql - b.len, ", NULL AS %s",
			    added[i][0]);
			missing++;
		}
	}
	if (missing == 0)
		return 0;
	snprintf(b.sql + b.len, sizeof b.sql - b.len,
	    " FROM main.measurements;");
	return exec(s, b.sql);
}

static int
migrate(struct sq *s)
{
	char	sql[256];
	size_t	i;

	if (exec(s, "BEGIN IMMEDIATE;") == -1)
		return -1;
	if (exec(s, schema) == -1)
		goto bad;
	for (i = 0; i < sizeof added / sizeof added[0]; i++) {
		if (has_column(s, added[i][0]))
			continue;
		snprintf(sql, sizeof sql, "ALTER TABLE measurements ADD COLUMN "
		    "%s %s;", added[i][0], added[i][1]);
		if (exec(s, sql) == -1)
			goto bad;
	}
	if (exec(s, indexes) == -1 || exec(s, "COMMIT;") == -1)
		goto bad;
	return 0;
bad:
	exec(s, "ROLLBACK;");
	return -1;
}

static void	*sq_worker(void *);
static void	 sq_wake(evutil_socket_t, short, void *);
static void	 job_finish(struct sq_job *, enum store_rc);

static void
job_free(struct sq_job *j)
{
	if (j == NULL)
		return;
	free(j->ins.rows);
	free(j->arena);
	free(j->q);
	free(j->chunk);
	free(j);
}

/*
 * Stop the worker: the job it runs is interrupted (an insert then either
 * committed before, or is rolled back and reported not stored), jobs not
 * started fail with STORE_UNAVAILABLE, and every callback still owed runs
 * here, on the caller's thread.  Callers that want pending uploads stored
 * let them finish before (the collector drains on SIGTERM).
 */
static void
sq_stop(struct sq *s)
{
	struct sq_job	*j, *todo, *done;
	size_t		 failed = 0;

	pthread_mutex_lock(&s->mu);
	s->quit = 1;
	todo = s->todo;
	s->todo = NULL;
	s->todo_tail = &s->todo;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	sqlite3_interrupt(s->db);
	pthread_join(s->thread, NULL);
	s->threaded = 0;
	done = s->done;
	s->done = NULL;
	while ((j = done) != NULL) {
		done = j->next;
		/* A query's rows not handed over yet are dropped. */
		job_finish(j, j->finished && j->kind == JOB_INSERT ? j->rc :
		    STORE_UNAVAILABLE);
	}
	while ((j = todo) != NULL) {
		todo = j->next;
		if (j->kind == JOB_INSERT)
			failed++;
		job_finish(j, STORE_UNAVAILABLE);
	}
	if (failed > 0)
		log_warn("%s: stopping: %zu upload%s not stored", s->path,
		    failed, failed == 1 ? "" : "s");
	event_free(s->ev);
	close(s->wake[0]);
	close(s->wake[1]);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
}

static void
sq_free(void *p)
{
	struct sq	*s = p;

	if (s == NULL)
		return;
	if (s->threaded)
		sq_stop(s);
	sqlite3_finalize(s->insert);
	sqlite3_close(s->db);
	free(s->gate);
	free(s->path);
	free(s);
}

/* With an event_base: the worker, and the pipe it wakes the loop with. */
static int
sq_start(struct sq *s, struct event_base *base)
{
	const char	*gate = getenv("NJ_TEST_STORE_GATE");
	int		 e;

	if (pipe2(s->wake, O_NONBLOCK | O_CLOEXEC) == -1) {
		log_error("pipe: %s", strerror(errno));
		return -1;
	}
	if (gate != NULL && *gate != '\0')
		s->gate = xstrdup(gate);
	s->todo_tail = &s->todo;
	s->done_tail = &s->done;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->ev = event_new(base, s->wake[0], EV_READ | EV_PERSIST, sq_wake, s);
	if (s->ev == NULL || event_add(s->ev, NULL) == -1) {
		log_error("cannot watch the database worker");
		goto bad;
	}
	if ((e = pthread_create(&s->thread, NULL, sq_worker, s)) != 0) {
		log_error("cannot start the database worker: %s",
		    strerror(e));
		goto bad;
	}
	s->threaded = 1;
	return 0;
bad:
	if (s->ev != NULL)
		event_free(s->ev);
	s->ev = NULL;
	close(s->wake[0]);
	close(s->wake[1]);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	return -1;
}

void *
store_sqlite_open(const char *path, struct event_base *base, int readonly)
{
	struct sq	*s;
	int		 flags;

	s = xcalloc(1, sizeof *s);
	s->path = xstrdup(path);
	s->readonly = readonly;
	flags = readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	/*
	 * The records say where volunteers were and what they could not
	 * reach: a new database is readable by the collector only (SQLite
	 * gives its -wal and -shm files the same mode).
	 */
	if (!readonly && strcmp(path, ":memory:") != 0) {
		int	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600);

		if (fd != -1)
			close(fd);
	}
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		log_error("%s: %s", path, s->db != NULL ?
		    sqlite3_errmsg(s->db) : "cannot open database");
		goto bad;
	}
	sqlite3_busy_timeout(s->db, base != NULL ? BUSY_MS_WORKER :
	    BUSY_MS_TOOL);
	if (readonly) {
		if (!has_column(s, "record")) {
			log_error("%s: not a nightjar collector database",
			    path);
			goto bad;
		}
		if (old_columns(s) == -1)
			goto bad;
		goto ok;
	}
	sqlite3_busy_timeout(s->db, BUSY_MS_TOOL);	/* once, at start */
	if (exec(s, "PRAGMA journal_mode=WAL;") == -1 ||
	    exec(s, "PRAGMA synchronous=FULL;") == -1 || migrate(s) == -1)
		goto bad;
	sqlite3_busy_timeout(s->db, base != NULL ? BUSY_MS_WORKER :
	    BUSY_MS_TOOL);
	if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO measurements ("
	    STORE_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    -1, &s->insert, NULL) != SQLITE_OK) {
		log_error("%s: %s", path, sqlite3_errmsg(s->db));
		goto bad;
	}
ok:
	/* From here on only the worker touches s->db. */
	if (base != NULL && sq_start(s, base) == -1)
		goto bad;
	return s;
bad:
	sq_free(s);
	return NULL;
}

static int
sq_ready(void *p, const char **why)
{
	(void)p;
	*why = NULL;
	return 1;
}

static void
bind_text(sqlite3_stmt *st, int col, const char *s, size_t len)
{
	if (s == NULL)
		sqlite3_bind_null(st, col);
	else
		sqlite3_bind_text(st, col, s, (int)len, SQLITE_STATIC);
}

static enum store_rc
rc_of(struct sq *s, int rc)
{
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		log_warn("%s: database busy", s->path);
		return STORE_UNAVAILABLE;
	}
	if (rc == SQLITE_INTERRUPT)
		return STORE_UNAVAILABLE;	/* stopping */
	log_error("%s: %s", s->path, sqlite3_errmsg(s->db));
	return STORE_ERROR;
}

/* --- the statements (on the worker, or on a tool's thread) --------------- */

static enum store_rc
run_insert(struct sq *s, const struct store_ins *ins, size_t *accepted)
{
	const struct store_row	*r;
	sqlite3_stmt		*st = s->insert;
	size_t			 i, acc = 0;
	enum store_rc		 rc;
	int			 e;

	*accepted = 0;
	if (s->readonly || st == NULL)
		return STORE_ERROR;
	if ((e = sqlite3_exec(s->db, "BEGIN IMMEDIATE;", NULL, NULL, NULL)) !=
	    SQLITE_OK)
		return rc_of(s, e);
	for (i = 0; i < ins->n; i++) {
		r = &ins->rows[i];
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		bind_text(st, 1, r->id, r->id_len);
		bind_text(st, 2, r->probe_id, r->probe_id_len);
		sqlite3_bind_text(st, 3, ins->received_at, -1, SQLITE_STATIC);
		bind_text(st, 4, r->start_time, r->start_time_len);
		bind_text(st, 5, r->host, r->host_len);
		bind_text(st, 6, r->status, r->status_len);
		bind_text(st, 7, r->method, r->method_len);
		sqlite3_bind_blob(st, 8, r->raw, (int)r->rawlen,
		    SQLITE_STATIC);
		bind_text(st, 9, ins->asn, ins->asn ? strlen(ins->asn) : 0);
		bind_text(st, 10, ins->network,
		    ins->network ? strlen(ins->network) : 0);
		bind_text(st, 11, ins->cc, ins->cc ? strlen(ins->cc) : 0);
		if (r->has_local) {
			sqlite3_bind_int64(st, 12, r->start_ms);
			sqlite3_bind_int(st, 13, r->local_hour);
			sqlite3_bind_text(st, 14, r->local_day, -1,
			    SQLITE_STATIC);
		}
		if (r->has_tls)
			sqlite3_bind_int64(st, 15, r->tls_ns);
		if (r->has_dl)
			sqlite3_bind_int64(st, 16, r->dl_ns);
		if ((e = sqlite3_step(st)) != SQLITE_DONE) {
			rc = rc_of(s, e);
			sqlite3_reset(st);
			goto bad;
		}
		acc += (size_t)sqlite3_changes(s->db);
	}
	sqlite3_reset(st);
	if ((e = sqlite3_exec(s->db, "COMMIT;", NULL, NULL, NULL)) !=
	    SQLITE_OK) {
		rc = rc_of(s, e);
		goto bad;
	}
	*accepted = acc;
	return STORE_OK;
bad:
	sqlite3_exec(s->db, "ROLLBACK;", NULL, NULL, NULL);
	return rc;
}

/* Where a query's rows go: 0 to go on, -1 to stop. */
typedef int (*emit_fn)(struct sq *, void *, const struct store_col *,
    size_t ncol);

static enum store_rc
run_query(struct sq *s, struct store_q *q, emit_fn emit, void *ctx)
{
	struct store_col	 c[STORE_MAX_COLS];
	sqlite3_stmt		*st = NULL;
	enum store_rc		 rc = STORE_ERROR;
	char			*sql;
	size_t			 i, ncol = strlen(q->coltypes);
	int			 e;

	/* "$N" is PostgreSQL's; SQLite's numbered parameter is "?N". */
	sql = xstrdup(q->sql);
	for (i = 0; sql[i] != '\0'; i++)
		if (sql[i] == '$')
			sql[i] = '?';
	if ((e = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL)) !=
	    SQLITE_OK) {
		rc = rc_of(s, e);
		goto out;
	}
	for (i = 0; i < (size_t)q->np; i++) {
		if (q->p[i].null)
			sqlite3_bind_null(st, (int)i + 1);
		else if (q->p[i].is_int)
			sqlite3_bind_int64(st, (int)i + 1, q->p[i].i);
		else
			sqlite3_bind_text(st, (int)i + 1, q->p[i].s, -1,
			    SQLITE_STATIC);
	}
	while ((e = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < ncol; i++) {
			if (sqlite3_column_type(st, (int)i) == SQLITE_NULL) {
				c[i].ptr = NULL;
				c[i].len = 0;
			} else if (q->coltypes[i] == 'b') {
				c[i].ptr = sqlite3_column_blob(st, (int)i);
				c[i].len = (size_t)sqlite3_column_bytes(st,
				    (int)i);
			} else {
				c[i].ptr = (const char *)sqlite3_column_text(
				    st, (int)i);
				c[i].len = (size_t)sqlite3_column_bytes(st,
				    (int)i);
			}
		}
		if (emit(s, ctx, c, ncol) != 0)
			break;
	}
	if (e != SQLITE_ROW && e != SQLITE_DONE) {
		rc = rc_of(s, e);
		goto out;
	}
	rc = STORE_OK;
out:
	sqlite3_finalize(st);
	free(sql);
	return rc;
}

/* --- without an event_base: at once ------------------------------------- */

static int
emit_direct(struct sq *s, void *ctx, const struct store_col *c, size_t ncol)
{
	struct store_q	*q = ctx;

	(void)s;
	(void)ncol;
	return q->row(q, c);
}

/* --- the worker ------------------------------------------------------------ */

/* The loop runs job callbacks: tell it (one byte is enough for many). */
static void
post_locked(struct sq *s, struct sq_job *j)
{
	char	x = 0;

	j->next = NULL;
	j->posted = 1;
	*s->done_tail = j;
	s->done_tail = &j->next;
	if (write(s->wake[1], &x, 1) == -1 && errno != EAGAIN)
		log_error("database worker: %s", strerror(errno));
}

/*
 * Tests only: NJ_TEST_STORE_GATE names a FIFO; the worker's first job
 * waits until a byte can be read from it, so a test can hold a database
 * job for as long as it likes and see the loop go on meanwhile.
 */
static void
sq_gate(struct sq *s)
{
	char	x;
	int	fd;

	if (s->gate == NULL)
		return;
	log_debug("database worker: waiting at %s", s->gate);
	if ((fd = open(s->gate, O_RDONLY | O_CLOEXEC)) != -1) {
		while (read(fd, &x, 1) == -1 && errno == EINTR)
			;
		close(fd);
	}
	free(s->gate);
	s->gate = NULL;
}

static void
chunk_add(struct sq_job *j, const void *p, size_t len)
{
	if (j->chunk_cap - j->chunk_len < len) {
		while (j->chunk_cap - j->chunk_len < len)
			j->chunk_cap = j->chunk_cap ? j->chunk_cap * 2 : 4096;
		j->chunk = xrealloc(j->chunk, j->chunk_cap);
	}
	memcpy(j->chunk + j->chunk_len, p, len);
	j->chunk_len += len;
}

/* A row into the job's chunk; a full chunk goes to the loop first. */
static int
emit_chunk(struct sq *s, void *ctx, const struct store_col *c, size_t ncol)
{
	struct sq_job	*j = ctx;
	size_t		 i, len;
	int		 stop;

	for (i = 0; i < ncol; i++) {
		len = c[i].ptr != NULL ? c[i].len : SIZE_MAX;
		chunk_add(j, &len, sizeof len);
		if (c[i].ptr != NULL)
			chunk_add(j, c[i].ptr, c[i].len);
		chunk_add(j, "", 1);
	}
	j->chunk_rows++;
	if (j->chunk_rows < CHUNK_ROWS && j->chunk_len < CHUNK_BYTES)
		return 0;
	pthread_mutex_lock(&s->mu);
	j->taken = 0;
	post_locked(s, j);
	while (!j->taken && !s->quit)
		pthread_cond_wait(&s->cv, &s->mu);
	stop = j->stop || s->quit;
	pthread_mutex_unlock(&s->mu);
	return stop ? -1 : 0;
}

static void *
sq_worker(void *arg)
{
	struct sq	*s = arg;
	struct sq_job	*j;
	enum store_rc	 rc;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (s->todo == NULL && !s->quit)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->quit)
			break;
		j = s->todo;
		if ((s->todo = j->next) == NULL)
			s->todo_tail = &s->todo;
		pthread_mutex_unlock(&s->mu);
		sq_gate(s);
		if (j->kind == JOB_INSERT)
			rc = run_insert(s, &j->ins, &j->accepted);
		else
			rc = run_query(s, j->q, emit_chunk, j);
		pthread_mutex_lock(&s->mu);
		if (j->kind == JOB_QUERY && (j->stop || s->quit) &&
		    rc == STORE_OK)
			rc = j->stop ? STORE_OK : STORE_UNAVAILABLE;
		j->rc = rc;
		j->finished = 1;
		if (!j->posted)		/* still there after a stop */
			post_locked(s, j);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* On the loop: the job's callback, once. */
static void
job_finish(struct sq_job *j, enum store_rc rc)
{
	if (j->kind == JOB_INSERT) {
		if (rc == STORE_OK)
			j->ins.cb(STORE_OK, j->accepted, j->ins.n - j->accepted,
			    j->ins.arg);
		else
			j->ins.cb(rc, 0, 0, j->ins.arg);
	} else
		j->q->done(rc, j->q->arg);
	job_free(j);
}

/* On the loop: hand a chunk's rows to the caller's row callback. */
static void
job_rows(struct sq_job *j)
{
	struct store_col	 c[STORE_MAX_COLS];
	size_t			 ncol = strlen(j->q->coltypes), i, r, len;
	const char		*p = j->chunk;

	for (r = 0; r < j->chunk_rows && !j->stop; r++) {
		for (i = 0; i < ncol; i++) {
			memcpy(&len, p, sizeof len);
			p += sizeof len;
			if (len == SIZE_MAX) {
				c[i].ptr = NULL;
				c[i].len = 0;
				p++;
			} else {
				c[i].ptr = p;
				c[i].len = len;
				p += len + 1;
			}
		}
		if (j->q->row(j->q, c) != 0)
			j->stop = 1;
	}
	j->chunk_len = 0;
	j->chunk_rows = 0;
}

static void
sq_wake(evutil_socket_t fd, short what, void *arg)
{
	struct sq	*s = arg;
	struct sq_job	*list, *j;
	char		 buf[64];

	(void)what;
	while (read(fd, buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&s->mu);
	list = s->done;
	s->done = NULL;
	s->done_tail = &s->done;
	for (j = list; j != NULL; j = j->next)
		j->posted = 0;
	pthread_mutex_unlock(&s->mu);
	/* The worker does not touch a job of this list until taken is set. */
	while ((j = list) != NULL) {
		list = j->next;
		if (j->kind == JOB_QUERY && j->chunk_rows > 0)
			job_rows(j);
		if (j->finished) {
			job_finish(j, j->rc);
			continue;
		}
		pthread_mutex_lock(&s->mu);
		j->taken = 1;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
}

static void
submit(struct sq *s, struct sq_job *j)
{
	pthread_mutex_lock(&s->mu);
	*s->todo_tail = j;
	s->todo_tail = &j->next;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* --- the backend ------------------------------------------------------------ */

static size_t
len_or0(const char *p, size_t len)
{
	return p != NULL ? len + 1 : 0;
}

static const char *
arena_put(char **a, const char *p, size_t len)
{
	char	*d = *a;

	if (p == NULL)
		return NULL;
	memcpy(d, p, len);
	d[len] = '\0';
	*a += len + 1;
	return d;
}

static void
sq_insert(void *p, const struct store_ins *ins)
{
	struct sq		*s = p;
	struct sq_job		*j;
	struct store_row	*r;
	char			*a;
	size_t			 i, total = 0, acc;
	enum store_rc		 rc;

	if (!s->threaded) {
		rc = run_insert(s, ins, &acc);
		if (rc == STORE_OK)
			ins->cb(STORE_OK, acc, ins->n - acc, ins->arg);
		else
			ins->cb(rc, 0, 0, ins->arg);
		return;
	}
	/* The batch is the caller's: copy it, in one piece. */
	j = xcalloc(1, sizeof *j);
	j->kind = JOB_INSERT;
	j->ins = *ins;
	j->ins.rows = xcalloc(ins->n > 0 ? ins->n : 1, sizeof *ins->rows);
	for (i = 0; i < ins->n; i++) {
		r = &ins->rows[i];
		total += len_or0(r->id, r->id_len) +
		    len_or0(r->probe_id, r->probe_id_len) +
		    len_or0(r->start_time, r->start_time_len) +
		    len_or0(r->host, r->host_len) +
		    len_or0(r->status, r->status_len) +
		    len_or0(r->method, r->method_len) + r->rawlen + 1;
	}
	total += len_or0(ins->asn, ins->asn ? strlen(ins->asn) : 0) +
	    len_or0(ins->network, ins->network ? strlen(ins->network) : 0) +
	    len_or0(ins->cc, ins->cc ? strlen(ins->cc) : 0);
	a = j->arena = xmalloc(total > 0 ? total : 1);
	for (i = 0; i < ins->n; i++) {
		r = &j->ins.rows[i];
		*r = ins->rows[i];
		r->id = arena_put(&a, r->id, r->id_len);
		r->probe_id = arena_put(&a, r->probe_id, r->probe_id_len);
		r->start_time = arena_put(&a, r->start_time,
		    r->start_time_len);
		r->host = arena_put(&a, r->host, r->host_len);
		r->status = arena_put(&a, r->status, r->status_len);
		r->method = arena_put(&a, r->method, r->method_len);
		r->raw = (const unsigned char *)arena_put(&a,
		    (const char *)ins->rows[i].raw, r->rawlen);
	}
	if (ins->asn != NULL)
		j->ins.asn = arena_put(&a, ins->asn, strlen(ins->asn));
	if (ins->network != NULL)
		j->ins.network = arena_put(&a, ins->network,
		    strlen(ins->network));
	if (ins->cc != NULL)
		j->ins.cc = arena_put(&a, ins->cc, strlen(ins->cc));
	submit(s, j);
}

static void
sq_query(void *p, struct store_q *q)
{
	struct sq	*s = p;
	struct sq_job	*j;
	size_t		 i, total = 0;
	char		*a;
	enum store_rc	 rc;

	if (!s->threaded) {
		rc = run_query(s, q, emit_direct, q);
		q->done(rc, q->arg);
		free(q);
		return;
	}
	/* The filter's strings are the caller's: copy them. */
	j = xcalloc(1, sizeof *j);
	j->kind = JOB_QUERY;
	j->q = q;
	for (i = 0; i < (size_t)q->np; i++)
		if (!q->p[i].null && !q->p[i].is_int)
			total += strlen(q->p[i].s) + 1;
	a = j->arena = xmalloc(total > 0 ? total : 1);
	for (i = 0; i < (size_t)q->np; i++)
		if (!q->p[i].null && !q->p[i].is_int)
			q->p[i].s = arena_put(&a, q->p[i].s,
			    strlen(q->p[i].s));
	submit(s, j);
}

const struct store_backend store_sqlite_backend = {
	sq_free, sq_ready, sq_insert, sq_query
};
