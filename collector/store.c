/* SQLite storage for the collector. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <sqlite3.h>

#include "batch.h"
#include "log.h"
#include "mp.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

struct store {
	sqlite3		*db;
	sqlite3_stmt	*insert;
	char		*path;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS measurements ("
    "id TEXT PRIMARY KEY, probe_id TEXT, received_at TEXT, "
    "start_time TEXT, host TEXT, status TEXT, method TEXT, record BLOB);"
    "CREATE INDEX IF NOT EXISTS measurements_received_at "
    "ON measurements(received_at);";

static int
exec(struct store *st, const char *sql)
{
	char	*msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("%s: %s: %s", st->path, sql,
		    msg != NULL ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
open_db(const char *path, int flags, sqlite3 **db)
{
	if (sqlite3_open_v2(path, db, flags, NULL) != SQLITE_OK) {
		log_error("%s: %s", path, *db != NULL ?
		    sqlite3_errmsg(*db) : "cannot open database");
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(*db, 10000);
	return 0;
}

struct store *
store_open(const char *path)
{
	struct store	*st;

	st = xcalloc(1, sizeof *st);
	st->path = xstrdup(path);
	if (open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    &st->db) == -1)
		goto bad;
	if (exec(st, "PRAGMA journal_mode=WAL;") == -1 ||
	    exec(st, "PRAGMA synchronous=FULL;") == -1 ||
	    exec(st, schema) == -1)
		goto bad;
	if (sqlite3_prepare_v2(st->db, "INSERT OR IGNORE INTO measurements "
	    "(id, probe_id, received_at, start_time, host, status, method, "
	    "record) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &st->insert,
	    NULL) != SQLITE_OK) {
		log_error("%s: %s", path, sqlite3_errmsg(st->db));
		goto bad;
	}
	return st;
bad:
	store_free(st);
	return NULL;
}

void
store_free(struct store *st)
{
	if (st == NULL)
		return;
	sqlite3_finalize(st->insert);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

static void
bind_str(sqlite3_stmt *stmt, int col, const struct batch_str *s)
{
	if (s->ptr == NULL)
		sqlite3_bind_null(stmt, col);
	else
		sqlite3_bind_text(stmt, col, s->ptr, (int)s->len,
		    SQLITE_STATIC);
}

int
store_insert(struct store *st, const struct batch *b, size_t *accepted,
    size_t *duplicates)
{
	const struct batch_record	*r;
	char				 now[32];
	size_t				 i, acc = 0;

	util_format_rfc3339_ms(util_now_ms(), now);
	if (exec(st, "BEGIN IMMEDIATE;") == -1)
		return -1;
	for (i = 0; i < b->n; i++) {
		r = &b->rec[i];
		sqlite3_reset(st->insert);
		sqlite3_clear_bindings(st->insert);
		bind_str(st->insert, 1, &r->id);
		bind_str(st->insert, 2, &r->probe_id);
		sqlite3_bind_text(st->insert, 3, now, -1, SQLITE_STATIC);
		bind_str(st->insert, 4, &r->start_time);
		bind_str(st->insert, 5, &r->host);
		bind_str(st->insert, 6, &r->status);
		bind_str(st->insert, 7, &r->method);
		sqlite3_bind_blob(st->insert, 8, r->raw, (int)r->rawlen,
		    SQLITE_STATIC);
		if (sqlite3_step(st->insert) != SQLITE_DONE) {
			log_error("%s: insert: %s", st->path,
			    sqlite3_errmsg(st->db));
			sqlite3_reset(st->insert);
			exec(st, "ROLLBACK;");
			return -1;
		}
		acc += (size_t)sqlite3_changes(st->db);
	}
	sqlite3_reset(st->insert);
	if (exec(st, "COMMIT;") == -1) {
		exec(st, "ROLLBACK;");
		return -1;
	}
	*accepted = acc;
	*duplicates = b->n - acc;
	return 0;
}

int
store_export(const char *path, long long since_ms, FILE *out)
{
	sqlite3			*db = NULL;
	sqlite3_stmt		*stmt = NULL;
	msgpack_unpacked	 u;
	struct buf		 line = { NULL, 0, 0 };
	const unsigned char	*raw;
	const char		*id;
	char			 since[32], why[256];
	size_t			 rawlen, off;
	int			 rc, rv = -1;

	msgpack_unpacked_init(&u);
	if (open_db(path, SQLITE_OPEN_READONLY, &db) == -1)
		goto out;
	if (sqlite3_prepare_v2(db, "SELECT id, record FROM measurements "
	    "WHERE received_at >= ? ORDER BY received_at, rowid", -1, &stmt,
	    NULL) != SQLITE_OK) {
		log_error("%s: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	if (since_ms >= 0) {
		util_format_rfc3339_ms(since_ms, since);
		sqlite3_bind_text(stmt, 1, since, -1, SQLITE_STATIC);
	} else
		sqlite3_bind_text(stmt, 1, "", -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(stmt, 0);
		raw = sqlite3_column_blob(stmt, 1);
		rawlen = (size_t)sqlite3_column_bytes(stmt, 1);
		off = 0;
		/* The database is input too: bound it like a request. */
		if (raw == NULL || batch_scan_value(raw, rawlen, &off,
		    BATCH_MAX_DEPTH, BATCH_MAX_OBJECTS, why, sizeof why) == -1 ||
		    off != rawlen) {
			log_warn("%s: record %s is damaged, skipped", path,
			    id != NULL ? id : "?");
			continue;
		}
		off = 0;
		if (msgpack_unpack_next(&u, (const char *)raw, rawlen, &off) !=
		    MSGPACK_UNPACK_SUCCESS) {
			log_warn("%s: record %s is damaged, skipped", path,
			    id != NULL ? id : "?");
			continue;
		}
		line.len = 0;
		mp_to_json(&u.data, &line);
		buf_add(&line, "\n", 1);
		if (fwrite(line.data, 1, line.len, out) != line.len) {
			log_error("write: output error");
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		log_error("%s: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	if (fflush(out) != 0) {
		log_error("write: output error");
		goto out;
	}
	rv = 0;
out:
	buf_free(&line);
	msgpack_unpacked_destroy(&u);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return rv;
}
