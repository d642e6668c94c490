/*
 * The store on SQLite (the default): WAL, synchronous=FULL, one
 * transaction per batch committed before the callback runs.
 *
 * SQLite has no asynchronous API, so its calls run on the collector's
 * loop.  They are kept short: a commit costs one fsync, and a lock held
 * by another process (an export, a backup) is never waited for on the
 * loop: with an event_base the busy timeout is 50 ms, and a busy database
 * is STORE_UNAVAILABLE, which the collector answers with 503 and
 * Retry-After.  Tools (no event_base) wait up to 10 s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "store-int.h"
#include "xmalloc.h"

#define BUSY_MS_LOOP	50
#define BUSY_MS_TOOL	10000

struct sq {
	sqlite3		*db;
	sqlite3_stmt	*insert;
	char		*path;
	int		 readonly;
	char		 why[256];
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
	{ "tls_us", "INTEGER" },
};

static const char indexes[] =
    "CREATE INDEX IF NOT EXISTS measurements_host_start "
    "ON measurements(host, start_ms);"
    "CREATE INDEX IF NOT EXISTS measurements_probe "
    "ON measurements(probe_id, received_at);"
    "DROP INDEX IF EXISTS measurements_cells;"
    "CREATE INDEX IF NOT EXISTS measurements_cells_t ON measurements(host, "
    "local_day, local_hour, status, method, start_ms, probe_id, probe_asn, "
    "probe_network, probe_cc, tls_us);";

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

static void
sq_free(void *p)
{
	struct sq	*s = p;

	if (s == NULL)
		return;
	sqlite3_finalize(s->insert);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
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
	sqlite3_busy_timeout(s->db, base != NULL ? BUSY_MS_LOOP :
	    BUSY_MS_TOOL);
	if (readonly) {
		if (!has_column(s, "record")) {
			log_error("%s: not a nightjar collector database",
			    path);
			goto bad;
		}
		if (old_columns(s) == -1)
			goto bad;
		return s;
	}
	sqlite3_busy_timeout(s->db, BUSY_MS_TOOL);	/* once, at start */
	if (exec(s, "PRAGMA journal_mode=WAL;") == -1 ||
	    exec(s, "PRAGMA synchronous=FULL;") == -1 || migrate(s) == -1)
		goto bad;
	sqlite3_busy_timeout(s->db, base != NULL ? BUSY_MS_LOOP :
	    BUSY_MS_TOOL);
	if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO measurements ("
	    STORE_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    -1, &s->insert, NULL) != SQLITE_OK) {
		log_error("%s: %s", path, sqlite3_errmsg(s->db));
		goto bad;
	}
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
	log_error("%s: %s", s->path, sqlite3_errmsg(s->db));
	return STORE_ERROR;
}

static void
sq_insert(void *p, const struct store_ins *ins)
{
	struct sq		*s = p;
	const struct store_row	*r;
	sqlite3_stmt		*st = s->insert;
	size_t			 i, acc = 0;
	enum store_rc		 rc = STORE_ERROR;
	int			 e;

	if (s->readonly || st == NULL) {
		ins->cb(STORE_ERROR, 0, 0, ins->arg);
		return;
	}
	if ((e = sqlite3_exec(s->db, "BEGIN IMMEDIATE;", NULL, NULL, NULL)) !=
	    SQLITE_OK) {
		ins->cb(rc_of(s, e), 0, 0, ins->arg);
		return;
	}
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
			sqlite3_bind_int64(st, 15, r->tls_us);
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
	ins->cb(STORE_OK, acc, ins->n - acc, ins->arg);
	return;
bad:
	sqlite3_exec(s->db, "ROLLBACK;", NULL, NULL, NULL);
	ins->cb(rc, 0, 0, ins->arg);
}

static void
sq_query(void *p, struct store_q *q)
{
	struct sq		*s = p;
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
		if (q->row(q, c) != 0)
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
	q->done(rc, q->arg);
	free(q);
}

const struct store_backend store_sqlite_backend = {
	sq_free, sq_ready, sq_insert, sq_query
};
