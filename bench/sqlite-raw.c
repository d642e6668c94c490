/*
 * sqlite-raw: the baseline of bench/collector.sh.  Reads batch files (a
 * msgpack array of records each, as uploaded), takes the same columns the
 * collector stores, and times only the inserts: the collector's table,
 * WAL, synchronous=FULL, one INSERT OR IGNORE transaction per batch.
 *
 * usage: sqlite-raw DB BATCHFILE...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "batch.h"
#include "util.h"
#include "xmalloc.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*data;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		perror(path);
		exit(1);
	}
	data = xmalloc((size_t)n + 1);
	if (fread(data, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(1);
	}
	fclose(f);
	*len = (size_t)n;
	return data;
}

static void
must(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE) {
		fprintf(stderr, "sqlite-raw: %s: %s\n", what, sqlite3_errmsg(db));
		exit(1);
	}
}

static void
bind(sqlite3_stmt *st, int col, const struct batch_str *s)
{
	if (s->ptr == NULL)
		sqlite3_bind_null(st, col);
	else
		sqlite3_bind_text(st, col, s->ptr, (int)s->len, SQLITE_STATIC);
}

int
main(int argc, char **argv)
{
	struct batch	**b;
	char		**data, err[256], now[32];
	sqlite3		*db;
	sqlite3_stmt	*st;
	size_t		 len, i, j, rows = 0;
	double		 t0, t1;
	int		 n = argc - 2;

	if (argc < 3) {
		fprintf(stderr, "usage: sqlite-raw DB BATCHFILE...\n");
		return 2;
	}
	b = xcalloc((size_t)n, sizeof *b);
	data = xcalloc((size_t)n, sizeof *data);
	for (i = 0; i < (size_t)n; i++) {
		data[i] = slurp(argv[i + 2], &len);
		if (collector_parse_batch(data[i], len, &b[i], err,
		    sizeof err) != 0) {
			fprintf(stderr, "%s: %s\n", argv[i + 2], err);
			return 1;
		}
	}
	must(NULL, sqlite3_open(argv[1], &db), "open");
	must(db, sqlite3_exec(db, "PRAGMA journal_mode=WAL; "
	    "PRAGMA synchronous=FULL; CREATE TABLE measurements (id TEXT "
	    "PRIMARY KEY, probe_id TEXT, received_at TEXT, start_time TEXT, "
	    "host TEXT, status TEXT, method TEXT, record BLOB); "
	    "CREATE INDEX measurements_received_at ON "
	    "measurements(received_at);", NULL, NULL, NULL), "schema");
	must(db, sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO measurements "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL), "prepare");

	t0 = util_mono_ms();
	for (i = 0; i < (size_t)n; i++) {
		util_format_rfc3339_ms(util_now_ms(), now);
		must(db, sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
		    "begin");
		for (j = 0; j < b[i]->n; j++) {
			const struct batch_record *r = &b[i]->rec[j];

			sqlite3_reset(st);
			bind(st, 1, &r->id);
			bind(st, 2, &r->probe_id);
			sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
			bind(st, 4, &r->start_time);
			bind(st, 5, &r->host);
			bind(st, 6, &r->status);
			bind(st, 7, &r->method);
			sqlite3_bind_blob(st, 8, r->raw, (int)r->rawlen,
			    SQLITE_STATIC);
			must(db, sqlite3_step(st), "insert");
			rows += (size_t)sqlite3_changes(db);
		}
		must(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
	}
	t1 = util_mono_ms();
	printf("%zu %.3f\n", rows, (t1 - t0) / 1000);
	sqlite3_finalize(st);
	sqlite3_close(db);
	for (i = 0; i < (size_t)n; i++) {
		batch_free(b[i]);
		free(data[i]);
	}
	free(b);
	free(data);
	return 0;
}
