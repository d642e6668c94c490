/*
 * The store's common part: picks the backend from the URI, derives the
 * columns of a record (start_ms, local hour and day), builds the queries
 * (one SQL text serves both backends) and turns result rows into the
 * structs of store.h.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>

#include "batch.h"
#include "log.h"
#include "mp.h"
#include "report.h"
#include "store-int.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define MAX_TZ_OFFSET	(18 * 3600)

struct store {
	const struct store_backend	*be;
	void				*impl;
	int				 pg;
};

int
store_is_pg(const char *uri)
{
	return strncmp(uri, "postgresql://", 13) == 0 ||
	    strncmp(uri, "postgres://", 11) == 0;
}

struct store *
store_open(const char *uri, struct event_base *base, int readonly)
{
	struct store	*st;

	st = xcalloc(1, sizeof *st);
	st->pg = store_is_pg(uri);
	if (st->pg) {
		st->be = &store_pg_backend;
		st->impl = store_pg_open(uri, base, readonly);
	} else {
		st->be = &store_sqlite_backend;
		st->impl = store_sqlite_open(uri, base, readonly);
	}
	if (st->impl == NULL) {
		free(st);
		return NULL;
	}
	return st;
}

void
store_free(struct store *st)
{
	if (st == NULL)
		return;
	st->be->free(st->impl);
	free(st);
}

int
store_ready(struct store *st, const char **why)
{
	const char	*dummy;

	return st->be->ready(st->impl, why != NULL ? why : &dummy);
}

void
store_filter_init(struct store_filter *f)
{
	memset(f, 0, sizeof *f);
	f->since_ms = INT64_MIN;
	f->until_ms = INT64_MAX;
	f->received_since_ms = INT64_MIN;
	f->hour = -1;
	f->hour_end = -1;
}

/* --- insert ------------------------------------------------------------- */

/* start_ms, local hour and day of a record; 0 or -1 when it lacks them. */
static int
derive_local(struct store_row *row)
{
	msgpack_unpacked	 u;
	char			 t[64];
	int64_t			 tz, local, day;
	time_t			 secs;
	struct tm		 tm;
	size_t			 used;
	int			 rv = -1;

	if (row->start_time == NULL || row->start_time_len >= sizeof t)
		return -1;
	memcpy(t, row->start_time, row->start_time_len);
	t[row->start_time_len] = '\0';
	if (util_parse_rfc3339_ms(t, &row->start_ms) != 0)
		return -1;
	msgpack_unpacked_init(&u);
	if (mp_unpack_one(&u, (const char *)row->raw, row->rawlen,
	    &used) != 0 || mp_get_int(&u.data, "tz_offset", &tz) != 0 ||
	    tz < -MAX_TZ_OFFSET || tz > MAX_TZ_OFFSET)
		goto out;
	local = util_floor_div(row->start_ms, 1000) + tz;
	day = util_floor_div(local, 86400);
	row->local_hour = (int)((local - day * 86400) / 3600);
	secs = (time_t)local;
	if (gmtime_r(&secs, &tm) == NULL)
		goto out;
	snprintf(row->local_day, sizeof row->local_day, "%04d-%02d-%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	row->has_local = 1;
	rv = 0;
out:
	msgpack_unpacked_destroy(&u);
	return rv;
}

/*
 * What report's slow windows use, in nanoseconds: the handshake time
 * (report_fields_tls_ms) and the download cost per 1000 bytes
 * (report_fields_dl_cost); only for ok records, as report counts them.
 */
static void
derive_slow(struct store_row *row)
{
	struct report_fields	 f;
	size_t			 used;
	double			 ms;

	row->has_tls = row->has_dl = 0;
	if (row->status == NULL || row->status_len != 2 ||
	    memcmp(row->status, "ok", 2) != 0 ||
	    report_fields_read((const char *)row->raw, row->rawlen, &used,
	    &f) != 0)
		return;
	ms = report_fields_tls_ms(&f);
	if (ms >= 0 && ms < 1e9) {
		row->tls_ns = llround(ms * 1e6);
		row->has_tls = 1;
	}
	ms = report_fields_dl_cost(&f);
	if (ms >= 0 && ms < 1e9) {
		row->dl_ns = llround(ms * 1e6);
		row->has_dl = 1;
	}
}

void
store_insert(struct store *st, const struct batch *b,
    const struct store_origin *origin, store_insert_cb cb, void *arg)
{
	struct store_ins	 ins;
	const struct batch_record *r;
	struct store_row	*row;
	size_t			 i;

	memset(&ins, 0, sizeof ins);
	ins.rows = xcalloc(b->n > 0 ? b->n : 1, sizeof *ins.rows);
	ins.n = b->n;
	util_format_rfc3339_ms(util_now_ms(), ins.received_at);
	if (origin != NULL) {
		ins.asn = origin->asn;
		ins.network = origin->network;
		ins.cc = origin->cc;
	}
	ins.cb = cb;
	ins.arg = arg;
	for (i = 0; i < b->n; i++) {
		r = &b->rec[i];
		row = &ins.rows[i];
		row->id = r->id.ptr;
		row->id_len = r->id.len;
		row->probe_id = r->probe_id.ptr;
		row->probe_id_len = r->probe_id.len;
		row->start_time = r->start_time.ptr;
		row->start_time_len = r->start_time.len;
		row->host = r->host.ptr;
		row->host_len = r->host.len;
		row->status = r->status.ptr;
		row->status_len = r->status.len;
		row->method = r->method.ptr;
		row->method_len = r->method.len;
		row->raw = (const unsigned char *)r->raw;
		row->rawlen = r->rawlen;
		(void)derive_local(row);
		derive_slow(row);
	}
	st->be->insert(st->impl, &ins);
	free(ins.rows);
}

/* --- queries ------------------------------------------------------------ */

static void
add_text(struct store_q *q, const char *s)
{
	struct store_param	*p = &q->p[q->np++];

	p->null = s == NULL;
	p->is_int = 0;
	p->s = s;
}

static void
add_int(struct store_q *q, int64_t v, int null)
{
	struct store_param	*p = &q->p[q->np++];

	p->null = null;
	p->is_int = 1;
	p->i = v;
}

/*
 * The conditions of a filter, parameters $1-$9 (only those in use appear,
 * so an index on the column can serve; every parameter's type is given
 * to PostgreSQL; SQLite reads "$N" as its "?N").
 */
static const char *const filter_cond[] = {
	" AND host = $1",
	" AND probe_id = $2",
	" AND (probe_asn = $3 OR probe_network = $3 OR probe_cc = $3)",
	" AND status = $4",
	" AND start_ms >= $5",
	" AND start_ms <= $6",
	" AND received_at >= $7",
	" AND local_hour = $8",
	"",			/* $9 goes with $8 */
};

/* $8 and $9: the local hours [$8, $9), past midnight or not. */
static const char hour_range_cond[] =
    " AND local_hour >= $8 AND local_hour < $9";
static const char hour_wrap_cond[] =
    " AND (local_hour >= $8 OR local_hour < $9)";

/*
 * On SQLite the grouped queries (hosts, cells) read only the covering
 * index measurements_cells_td.  Written this way the probe condition
 * cannot use the (probe_id, received_at) index, which SQLite would
 * otherwise pick and then read every matching row with its record.
 * PostgreSQL's planner weighs the probe's share from its statistics
 * (and misjudges the expression), so it gets the plain condition.
 */
static const char aggregate_probe_cond[] = " AND +probe_id = $2";

static void
q_filter(struct store_q *q, int aggregate)
{
	const char	*c;
	size_t		 i, off = 0;

	q->cond[0] = '\0';
	for (i = 0; i < sizeof filter_cond / sizeof filter_cond[0]; i++) {
		if (q->p[i].null)
			continue;
		if (aggregate && i == 1)
			c = aggregate_probe_cond;
		else if (i == 7 && !q->p[8].null)
			c = q->p[7].i < q->p[8].i ? hour_range_cond :
			    hour_wrap_cond;
		else
			c = filter_cond[i];
		off += (size_t)snprintf(q->cond + off, sizeof q->cond - off,
		    "%s", c);
	}
	snprintf(q->where, sizeof q->where, " WHERE 1 = 1%s", q->cond);
}

static struct store_q *
q_new(const struct store_filter *f, const char *coltypes, store_q_row row,
    void *cb, store_done_cb done, void *arg)
{
	struct store_q		*q;
	struct store_filter	 any;

	if (f == NULL) {
		store_filter_init(&any);
		f = &any;
	}
	q = xcalloc(1, sizeof *q);
	q->coltypes = coltypes;
	q->row = row;
	q->cb = cb;
	q->done = done;
	q->arg = arg;
	add_text(q, f->host);
	add_text(q, f->probe_id);
	add_text(q, f->network);
	add_text(q, f->status);
	add_int(q, f->since_ms, f->since_ms == INT64_MIN);
	add_int(q, f->until_ms, f->until_ms == INT64_MAX);
	if (f->received_since_ms != INT64_MIN) {
		util_format_rfc3339_ms(f->received_since_ms, q->text[0]);
		add_text(q, q->text[0]);
	} else
		add_text(q, NULL);
	add_int(q, f->hour, f->hour < 0 || f->hour > 23);
	add_int(q, f->hour_end, f->hour < 0 || f->hour > 23 ||
	    f->hour_end < 1 || f->hour_end > 24 || f->hour_end == f->hour);
	q_filter(q, 0);
	return q;
}

static int64_t
col_int(const struct store_col *c)
{
	char	 b[32];

	if (c->ptr == NULL || c->len == 0 || c->len >= sizeof b)
		return 0;
	memcpy(b, c->ptr, c->len);
	b[c->len] = '\0';
	return strtoll(b, NULL, 10);
}

/*
 * Text columns come NUL-terminated from both backends (SQLite's
 * column_text, libpq's text results), so their pointers serve as C
 * strings.
 */
static int
record_row(struct store_q *q, const struct store_col *c)
{
	struct store_record	 r;

	r.id = c[0].ptr;
	r.probe_id = c[1].ptr;
	r.received_at = c[2].ptr;
	r.probe_asn = c[3].ptr;
	r.probe_network = c[4].ptr;
	r.probe_cc = c[5].ptr;
	r.raw = (const unsigned char *)c[6].ptr;
	r.rawlen = c[6].len;
	return ((store_record_cb)q->cb)(&r, q->arg);
}

void
store_records(struct store *st, const struct store_filter *f,
    store_record_cb row, store_done_cb done, void *arg)
{
	struct store_q	*q;
	size_t		 off;

	q = q_new(f, "ttttttb", record_row, (void *)row, done, arg);
	off = (size_t)snprintf(q->sql, sizeof q->sql, "SELECT id, probe_id, "
	    "received_at, probe_asn, probe_network, probe_cc, record "
	    "FROM measurements%s ORDER BY received_at, %s", q->where,
	    st->pg ? "id" : "rowid");
	if (f != NULL && f->limit > 0)
		snprintf(q->sql + off, sizeof q->sql - off, " LIMIT %zu",
		    f->limit);
	st->be->query(st->impl, q);
}

static int
probe_row(struct store_q *q, const struct store_col *c)
{
	struct store_probe	 p;

	p.probe_id = c[0].ptr;
	p.probe_asn = c[1].ptr;
	p.probe_network = c[2].ptr;
	p.probe_cc = c[3].ptr;
	p.last_received = c[4].ptr;
	p.records = col_int(&c[5]);
	return ((store_probe_cb)q->cb)(&p, q->arg);
}

void
store_probes(struct store *st, const struct store_filter *f,
    store_probe_cb row, store_done_cb done, void *arg)
{
	struct store_q	*q;

	q = q_new(f, "ttttti", probe_row, (void *)row, done, arg);
	/* Counts from the (probe_id, received_at) index; the network of
	 * each probe's latest record by one lookup per probe. */
	snprintf(q->sql, sizeof q->sql, "SELECT g.probe_id, m.probe_asn, "
	    "m.probe_network, m.probe_cc, g.last, g.n FROM (SELECT probe_id, "
	    "COUNT(*) AS n, MAX(received_at) AS last FROM measurements%s "
	    "GROUP BY probe_id) g LEFT JOIN measurements m ON m.id = "
	    "(SELECT id FROM measurements WHERE probe_id = g.probe_id%s "
	    "ORDER BY received_at DESC LIMIT 1) ORDER BY g.probe_id",
	    q->where, q->cond);
	st->be->query(st->impl, q);
}

static int
host_row(struct store_q *q, const struct store_col *c)
{
	struct store_host	 h;

	h.host = c[0].ptr;
	h.status = c[1].ptr;
	h.method = c[2].ptr;
	h.start_time = c[3].ptr;
	h.records = col_int(&c[4]);
	h.failed = col_int(&c[5]);
	return ((store_host_cb)q->cb)(&h, q->arg);
}

void
store_hosts(struct store *st, const struct store_filter *f,
    store_host_cb row, store_done_cb done, void *arg)
{
	struct store_q	*q;

	q = q_new(f, "ttttii", host_row, (void *)row, done, arg);
	q_filter(q, !st->pg);
	/* Counts by a scan of the covering index; the latest record of each
	 * host by one lookup on (host, start_ms). */
	snprintf(q->sql, sizeof q->sql, "SELECT g.host, m.status, m.method, "
	    "m.start_time, g.n, g.failed FROM (SELECT host, COUNT(*) AS n, "
	    "SUM(CASE WHEN status = 'ok' THEN 0 ELSE 1 END) AS failed "
	    "FROM measurements%s GROUP BY host) g LEFT JOIN measurements m "
	    "ON m.id = (SELECT id FROM measurements WHERE host = g.host AND "
	    "start_ms IS NOT NULL%s ORDER BY start_ms DESC, id DESC LIMIT 1) "
	    "ORDER BY g.host", q->where, q->cond);
	st->be->query(st->impl, q);
}

/* "85200000,90000000" (nanoseconds, from the cells query) as ms. */
static double *
parse_list(const char *s, size_t *n)
{
	double		*v, x;
	const char	*p;
	char		*end;
	size_t		 cap = 1;

	for (p = s; *p != '\0'; p++)
		if (*p == ',')
			cap++;
	v = xreallocarray(NULL, cap, sizeof *v);
	*n = 0;
	for (p = s; p != NULL; p = strchr(p, ',') != NULL ?
	    strchr(p, ',') + 1 : NULL) {
		x = strtod(p, &end);
		if (end != p && x >= 0 && *n < cap)
			v[(*n)++] = x / 1e6;
	}
	return v;
}

static int
cell_row(struct store_q *q, const struct store_col *c)
{
	struct store_cell	 cell;
	int64_t			 h = col_int(&c[2]);
	double			*tls, *dl;
	int			 rv;

	if (c[0].ptr == NULL || c[1].ptr == NULL || h < 0 || h > 23 ||
	    c[3].ptr == NULL)
		return 0;	/* not from this collector's inserts */
	cell.host = c[0].ptr;
	cell.day = c[1].ptr;
	cell.hour = (int)h;
	cell.status = c[3].ptr;
	cell.method = c[4].ptr;
	cell.n = col_int(&c[5]);
	cell.tls = tls = c[6].ptr != NULL ? parse_list(c[6].ptr, &cell.ntls) :
	    NULL;
	cell.dl = dl = c[7].ptr != NULL ? parse_list(c[7].ptr, &cell.ndl) :
	    NULL;
	if (tls == NULL)
		cell.ntls = 0;
	if (dl == NULL)
		cell.ndl = 0;
	rv = ((store_cell_cb)q->cb)(&cell, q->arg);
	free(tls);
	free(dl);
	return rv;
}

void
store_cells(struct store *st, const struct store_filter *f,
    store_cell_cb row, store_done_cb done, void *arg)
{
	struct store_q	*q;

	q = q_new(f, "ttittitt", cell_row, (void *)row, done, arg);
	q_filter(q, !st->pg);
	snprintf(q->sql, sizeof q->sql, "SELECT host, local_day, local_hour, "
	    "status, method, COUNT(*), %s, %s FROM measurements%s "
	    "AND local_hour IS NOT NULL "
	    "GROUP BY host, local_day, local_hour, status, method "
	    "ORDER BY host, local_day, local_hour, status, method",
	    st->pg ? "string_agg(tls_ns::text, ',')" : "group_concat(tls_ns)",
	    st->pg ? "string_agg(dl_ns::text, ',')" : "group_concat(dl_ns)",
	    q->where);
	st->be->query(st->impl, q);
}

/* --- records as JSON ------------------------------------------------------ */

static msgpack_object
json_str_or_nil(const char *s)
{
	msgpack_object	o;

	memset(&o, 0, sizeof o);
	if (s == NULL)
		o.type = MSGPACK_OBJECT_NIL;
	else {
		o.type = MSGPACK_OBJECT_STR;
		o.via.str.ptr = s;
		o.via.str.size = (uint32_t)strlen(s);
	}
	return o;
}

void
store_record_json(const struct store_record *r, const msgpack_object *rec,
    struct buf *out)
{
	static const char *const keys[] = {
		"probe_asn", "probe_network", "probe_cc"
	};
	const char		*vals[3];
	msgpack_object		 map;
	msgpack_object_kv	*kv;
	const msgpack_object_kv	*in;
	uint32_t		 i, n = 0;
	size_t			 k;

	if (rec->type != MSGPACK_OBJECT_MAP) {
		mp_to_json(rec, out);
		return;
	}
	vals[0] = r->probe_asn;
	vals[1] = r->probe_network;
	vals[2] = r->probe_cc;
	kv = xcalloc((size_t)rec->via.map.size + 3, sizeof *kv);
	for (i = 0; i < rec->via.map.size; i++) {
		in = &rec->via.map.ptr[i];
		for (k = 0; k < 3; k++)
			if (in->key.type == MSGPACK_OBJECT_STR &&
			    in->key.via.str.size == strlen(keys[k]) &&
			    memcmp(in->key.via.str.ptr, keys[k],
			    in->key.via.str.size) == 0)
				break;
		if (k == 3)	/* the collector's own values win */
			kv[n++] = *in;
	}
	for (k = 0; k < 3; k++) {
		kv[n].key = json_str_or_nil(keys[k]);
		kv[n++].val = json_str_or_nil(vals[k]);
	}
	memset(&map, 0, sizeof map);
	map.type = MSGPACK_OBJECT_MAP;
	map.via.map.size = n;
	map.via.map.ptr = kv;
	mp_to_json(&map, out);
	free(kv);
}
