/*
 * nightjar-collector export: the stored records as JSON Lines, read
 * through the store (SQLite or PostgreSQL), each with the network the
 * collector found for its upload (probe_asn, probe_network, probe_cc).  Each stored record is
 * hostile input too: it is bounded like a request before it is decoded.
 */
#include <stdio.h>

#include <msgpack.h>

#include "batch.h"
#include "mp-cursor.h"
#include "export.h"
#include "log.h"
#include "mp.h"
#include "store.h"

struct export {
	FILE			*out;
	const char		*uri;
	struct buf		 line;
	msgpack_unpacked	 u;
	int			 failed;
	enum store_rc		 rc;
};

static int
export_row(const struct store_record *r, void *arg)
{
	struct export	*ex = arg;
	const char	*id = r->id != NULL ? r->id : "?";
	struct mp_cursor c;

	mp_cursor_init(&c, r->raw, r->raw != NULL ? r->rawlen : 0,
	    &batch_limits);
	if (r->raw == NULL || mp_cursor_unpack(&c, &ex->u) != 0 ||
	    !mp_cursor_end(&c)) {
		log_warn("%s: record %s is damaged (%s), skipped", ex->uri, id,
		    r->raw == NULL ? "no bytes" : c.err[0] != '\0' ? c.err :
		    "trailing bytes");
		return 0;
	}
	ex->line.len = 0;
	store_record_json(r, &ex->u.data, &ex->line);
	buf_add(&ex->line, "\n", 1);
	if (fwrite(ex->line.data, 1, ex->line.len, ex->out) != ex->line.len) {
		log_error("write: output error");
		ex->failed = 1;
		return -1;
	}
	return 0;
}

static void
export_done(enum store_rc rc, void *arg)
{
	struct export	*ex = arg;

	ex->rc = rc;
}

int
export_records(const char *uri, int64_t since_ms, FILE *out)
{
	struct export		 ex = { out, uri, { NULL, 0, 0 }, { 0 }, 0,
				    STORE_ERROR };
	struct store		*st;
	struct store_filter	 f;

	if ((st = store_open(uri, NULL, 1)) == NULL)
		return -1;
	msgpack_unpacked_init(&ex.u);
	store_filter_init(&f);
	f.received_since_ms = since_ms >= 0 ? since_ms : INT64_MIN;
	store_records(st, &f, export_row, export_done, &ex);
	store_free(st);
	msgpack_unpacked_destroy(&ex.u);
	buf_free(&ex.line);
	if (!ex.failed && fflush(out) != 0) {
		log_error("write: output error");
		ex.failed = 1;
	}
	return ex.failed || ex.rc != STORE_OK ? -1 : 0;
}
