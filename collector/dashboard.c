/*
 * nightjar-collector --dashboard: a page for the people running a study.
 *
 * GET / asks the store four grouped questions in turn (probes, hosts by
 * their latest status, records per host x local day x local hour x status
 * x method) and renders one HTML page from the answers: no record is
 * loaded, and memory grows with hosts and days, not with records.  The
 * per-host hour bins are those of `nightjar report`, so the heatmap is
 * drawn by report_svg() and the windows come from rw_find(), the same code
 * as `nightjar report --format svg`.  The page needs no script; its one
 * stylesheet is served from here.  Every string that came from a record
 * (hosts, probe ids, networks, methods) is escaped, and a
 * Content-Security-Policy forbids scripts anyway.
 *
 * GET /v1/measurements?host=&probe_id=&network=&status=&since=&until=
 * &hour=&limit= answers the stored records as JSON Lines: the link behind
 * each heatmap cell, host and window.
 */
#include <sys/queue.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <openssl/evp.h>

#include "dashboard.h"
#include "log.h"
#include "mp.h"
#include "report-svg.h"
#include "report-window.h"
#include "server.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define TOP_ROWS	50	/* heatmap rows, as report --top's default */
#define MAX_LIST	1000	/* probes / hosts listed on the page */
#define MAX_PARAM	1024	/* bytes of one query parameter */
#define LIMIT_DEFAULT	1000	/* records answered without ?limit= */
#define LIMIT_MAX	100000
#define SAMPLE_CAP	4096	/* times kept per host and hour, as report */

/*
 * A request waiting for the store.  With PostgreSQL the answer comes
 * later from the loop; if libevent frees the connection meanwhile (its
 * lifetime ran out), req becomes NULL and the answer is dropped.
 */
struct inflight {
	struct evhttp_request	 *req;
	struct evhttp_connection *evcon;
	struct inflight		 *prev, *next;
};

struct dashboard {
	struct store		*store;
	const struct tokens	*tokens;
	int			 public;
	struct inflight		*inflight;
};

/* The filters of a request, as given (for links) and as parsed. */
struct query {
	char			*host;
	char			*probe;
	char			*network;
	char			*status;
	char			*since;
	char			*until;
	int			 hour;		/* -1: any */
	int			 hour_end;	/* -1, or hours [hour, hour_end) */
	size_t			 limit;
	struct store_filter	 f;
};

struct dhost {
	char		*host;
	char		*status;
	char		*method;
	char		*start_time;
	int64_t		 records;
	int64_t		 failed;
};

struct dprobe {
	char		*probe_id;
	char		*network;	/* "AS9198 Kazakhtelecom (KZ)" or NULL */
	char		*asn;
	char		*last;
	int64_t		 records;
};

/* Times of one hour, kept as report keeps them. */
struct samples {
	float		*v;
	size_t		 n;
	size_t		 cap;
	uint64_t	 seen;
};

/* One heatmap row being filled from cells: report's bins. */
struct dgroup {
	char		*host;
	uint64_t	 n;
	uint64_t	 failed;
	struct rw_hour	 h[RW_HOURS];
	struct rw_day	*days[RW_HOURS];
	size_t		 daycap[RW_HOURS];
	struct samples	 tls[RW_HOURS];		/* handshake ms of ok records */
	struct samples	 dl[RW_HOURS];		/* their download ms per kB */
};

struct page {
	struct inflight		 w;	/* w.req: NULL once gone */
	struct dashboard	*d;
	struct query		 q;

	struct dprobe		*probes;
	size_t			 nprobes;
	int64_t			 total;		/* records, all probes */
	struct dhost		*hosts;
	size_t			 nhosts;
	struct dgroup		*groups;
	size_t			 ngroups;
	size_t			 gcap;
	uint64_t		 rng;		/* the samples' reservoir */
	char			 dayname[16];	/* the last cell's day, */
	int32_t			 dayval;	/* parsed (cells come by day) */
	int32_t			 first_day;	/* local days seen */
	int32_t			 last_day;
	int			 any_day;
};

static const char	 css[] =
"body { font-family: sans-serif; margin: 1.5em; color: #1a1a1a; "
"max-width: 1200px; }\n"
"h1 { font-size: 1.5em; margin-bottom: 0.2em; }\n"
"h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }\n"
"table { border-collapse: collapse; margin: 0.5em 0; }\n"
"th, td { border: 1px solid #d0d0d0; padding: 0.25em 0.6em; "
"text-align: left; vertical-align: top; }\n"
"th { background: #f0f0f0; }\n"
"td.num { text-align: right; font-variant-numeric: tabular-nums; }\n"
"td.host, td.probe { font-family: monospace; word-break: break-all; }\n"
".status { font-weight: bold; padding: 0 0.3em; border-radius: 3px; }\n"
".s-ok { color: #006e4f; }\n"
".s-blocked { background: #d55e00; color: #fff; }\n"
".s-intercepted { background: #cc79a7; color: #000; }\n"
".s-throttled { background: #f0e442; color: #000; }\n"
".s-anomaly { background: #e69f00; color: #000; }\n"
".s-down { background: #0072b2; color: #fff; }\n"
".s-error { background: #5a5a5a; color: #fff; }\n"
".s-slow { border: 1px dashed #0072b2; color: #0072b2; }\n"
"form { background: #f7f7f7; border: 1px solid #ddd; padding: 0.6em; "
"display: inline-block; }\n"
"form label { margin-right: 1em; }\n"
".summary li { display: inline; margin-right: 1.2em; }\n"
".note { color: #555; font-size: 0.9em; }\n"
".heatmap { max-width: 100%; height: auto; }\n";

/* --- small pure helpers -------------------------------------------------- */

void
dashboard_escape(struct buf *b, const char *s)
{
	report_escape(b, s);
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		era;
	unsigned	yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
format_day(int32_t day, char out[32])
{
	util_format_rfc3339_ms((int64_t)day * 86400000LL, out);
	out[10] = '\0';
}

static int
parse_day(const char *s, int32_t *day)
{
	unsigned	y, m, d;
	char		tail, back[32];

	if (s == NULL || sscanf(s, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3 ||
	    strlen(s) != 10 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	*day = (int32_t)days_from_civil(y, m, d);
	/* 2026-11-31 is no day: it must come back as written. */
	format_day(*day, back);
	return strcmp(back, s) == 0 ? 0 : -1;
}

int
dashboard_parse_time(const char *s, int until, int64_t *ms)
{
	int32_t	day;

	if (s == NULL || *s == '\0')
		return -1;
	if (strlen(s) == 10) {
		if (parse_day(s, &day) != 0)
			return -1;
		*ms = (int64_t)day * 86400000LL;
		if (until)
			*ms += 86400000LL - 1;
		return 0;
	}
	return util_parse_rfc3339_ms(s, ms);
}

char *
dashboard_basic_password(const char *auth)
{
	unsigned char	*dec;
	char		*colon, *pw;
	size_t		 len;
	int		 n;

	if (auth == NULL || strncasecmp(auth, "Basic", 5) != 0 ||
	    (auth[5] != ' ' && auth[5] != '\t'))
		return NULL;
	auth += 5;
	auth += strspn(auth, " \t");
	len = strcspn(auth, " \t\r\n");
	if (len == 0 || len % 4 != 0 || len > 4096 ||
	    auth[len + strspn(auth + len, " \t\r\n")] != '\0')
		return NULL;
	dec = xmalloc(len / 4 * 3 + 1);
	if ((n = EVP_DecodeBlock(dec, (const unsigned char *)auth,
	    (int)len)) < 0) {
		free(dec);
		return NULL;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	if (auth[len - 1] == '=')
		n--;
	if (auth[len - 2] == '=')
		n--;
	dec[n] = '\0';
	if (memchr(dec, '\0', (size_t)n) != NULL ||
	    (colon = strchr((char *)dec, ':')) == NULL) {
		free(dec);
		return NULL;
	}
	pw = xstrdup(colon + 1);
	OPENSSL_cleanse(dec, (size_t)n);
	free(dec);
	return pw;
}

/* --- replies --------------------------------------------------------------- */

static void
common_headers(struct evhttp_request *req, const char *type)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Content-Security-Policy", "default-src 'none'; "
	    "style-src 'self'; img-src 'self' data:; form-action 'self'; "
	    "frame-ancestors 'none'; base-uri 'none'");
}

static void
reply_buf(struct evhttp_request *req, int code, const char *reason,
    const char *type, const struct buf *b)
{
	struct evbuffer	*out = evbuffer_new();

	if (out == NULL) {
		log_error("out of memory");
		abort();
	}
	common_headers(req, type);
	if (b->len > 0)
		evbuffer_add(out, b->data, b->len);
	evhttp_send_reply(req, code, reason, out);
	evbuffer_free(out);
}

static void
reply_text(struct evhttp_request *req, int code, const char *reason,
    const char *msg)
{
	struct buf	b = { NULL, 0, 0 };

	buf_addstr(&b, "{\"error\": ");
	json_quote(&b, msg, strlen(msg));
	buf_addstr(&b, "}\n");
	log_info("%d %s", code, msg);
	reply_buf(req, code, reason, "application/json", &b);
	buf_free(&b);
}

static void
reply_unavailable(struct evhttp_request *req)
{
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Retry-After", "5");
	reply_text(req, 503, "Service Unavailable",
	    "database unavailable, try again later");
}

static void
inflight_add(struct dashboard *d, struct inflight *w,
    struct evhttp_request *req)
{
	w->req = req;
	w->evcon = evhttp_request_get_connection(req);
	w->prev = NULL;
	if ((w->next = d->inflight) != NULL)
		w->next->prev = w;
	d->inflight = w;
}

static void
inflight_del(struct dashboard *d, struct inflight *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else if (d->inflight == w)
		d->inflight = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
}

void
dashboard_conn_closed(struct dashboard *d, struct evhttp_connection *evcon)
{
	struct inflight	*w;

	if (d == NULL)
		return;
	/* Detached requests (the peer went away) are freed by our reply. */
	for (w = d->inflight; w != NULL; w = w->next)
		if (w->evcon == evcon && w->req != NULL &&
		    evhttp_request_get_connection(w->req) == evcon)
			w->req = NULL;
}

/* 0 when the request may read; otherwise answered 401. */
static int
authorised(struct dashboard *d, struct evhttp_request *req)
{
	const char	*auth, *bound;
	char		*pw, *bearer;
	int		 ok = -1;

	if (d->public)
		return 0;
	auth = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (auth != NULL && (pw = dashboard_basic_password(auth)) != NULL) {
		if (*pw != '\0' && strcspn(pw, " \t\r\n") == strlen(pw)) {
			xasprintf(&bearer, "Bearer %s", pw);
			ok = tokens_check(d->tokens, bearer, &bound);
			OPENSSL_cleanse(bearer, strlen(bearer));
			free(bearer);
		}
		OPENSSL_cleanse(pw, strlen(pw));
		free(pw);
	} else if (auth != NULL)
		ok = tokens_check(d->tokens, auth, &bound);
	if (ok == 0)
		return 0;
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "WWW-Authenticate", "Basic realm=\"nightjar collector\", "
	    "charset=\"UTF-8\"");
	reply_text(req, 401, "Unauthorized", "a token from --tokens is needed "
	    "as the basic-auth password");
	return -1;
}

/* --- query parameters -------------------------------------------------------- */

static void
query_free(struct query *q)
{
	free(q->host);
	free(q->probe);
	free(q->network);
	free(q->status);
	free(q->since);
	free(q->until);
}

static int
valid_status(const char *s)
{
	static const char	*names[] = {
		"ok", "blocked", "intercepted", "throttled", "anomaly",
		"down", "error"
	};
	size_t			 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i]) == 0)
			return 1;
	return 0;
}

/* Parse the query string; 0, or -1 with the reason in err. */
static int
query_parse(struct evhttp_request *req, struct query *q, char *err,
    size_t errlen)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*qs = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq	 kv;
	struct evkeyval		*e;
	char			**slot;
	long			 l;
	int			 rv = -1;

	memset(q, 0, sizeof *q);
	q->hour = q->hour_end = -1;
	q->limit = LIMIT_DEFAULT;
	store_filter_init(&q->f);
	TAILQ_INIT(&kv);
	if (qs == NULL)
		return 0;
	if (evhttp_parse_query_str(qs, &kv) != 0) {
		snprintf(err, errlen, "malformed query string");
		goto out;
	}
	TAILQ_FOREACH(e, &kv, next) {
		if (strlen(e->value) > MAX_PARAM) {
			snprintf(err, errlen, "parameter %.32s too long",
			    e->key);
			goto out;
		}
		slot = NULL;
		if (strcmp(e->key, "host") == 0)
			slot = &q->host;
		else if (strcmp(e->key, "probe_id") == 0 ||
		    strcmp(e->key, "probe") == 0)
			slot = &q->probe;
		else if (strcmp(e->key, "network") == 0)
			slot = &q->network;
		else if (strcmp(e->key, "status") == 0)
			slot = &q->status;
		else if (strcmp(e->key, "since") == 0)
			slot = &q->since;
		else if (strcmp(e->key, "until") == 0)
			slot = &q->until;
		else if (strcmp(e->key, "hour") == 0) {
			if (*e->value == '\0')
				continue;
			if (util_parse_long(e->value, 0, 23, &l) != 0) {
				snprintf(err, errlen, "hour: want 0 to 23");
				goto out;
			}
			q->hour = (int)l;
			q->hour_end = -1;
		} else if (strcmp(e->key, "hours") == 0) {
			if (*e->value == '\0')
				continue;
			if (dashboard_parse_hours(e->value, &q->hour,
			    &q->hour_end) != 0) {
				snprintf(err, errlen, "hours: want S-E, local "
				    "hours 0-23 to 1-24 (22-02 is 22:00 to "
				    "02:00)");
				goto out;
			}
		} else if (strcmp(e->key, "limit") == 0) {
			if (util_parse_long(e->value, 1, LIMIT_MAX, &l) != 0) {
				snprintf(err, errlen, "limit: want 1 to %d",
				    LIMIT_MAX);
				goto out;
			}
			q->limit = (size_t)l;
		}
		/* Other parameters are ignored, as forms add their own. */
		if (slot != NULL && *e->value != '\0') {
			free(*slot);
			*slot = xstrdup(e->value);
		}
	}
	if (q->status != NULL && !valid_status(q->status)) {
		snprintf(err, errlen, "status: not a verdict status");
		goto out;
	}
	if (q->since != NULL &&
	    dashboard_parse_time(q->since, 0, &q->f.since_ms) != 0) {
		snprintf(err, errlen, "since: want YYYY-MM-DD or an RFC 3339 "
		    "time");
		goto out;
	}
	if (q->until != NULL &&
	    dashboard_parse_time(q->until, 1, &q->f.until_ms) != 0) {
		snprintf(err, errlen, "until: want YYYY-MM-DD or an RFC 3339 "
		    "time");
		goto out;
	}
	rv = 0;
out:
	evhttp_clear_headers(&kv);
	q->f.host = q->host;
	q->f.probe_id = q->probe;
	q->f.network = q->network;
	q->f.status = q->status;
	q->f.hour = q->hour;
	q->f.hour_end = q->hour_end;
	q->f.limit = q->limit;
	return rv;
}

int
dashboard_parse_hours(const char *s, int *start, int *end)
{
	char	a[8], z[8];
	const char *dash;
	long	l, m;

	if (s == NULL || strspn(s, "0123456789-") != strlen(s) ||
	    (dash = strchr(s, '-')) == NULL ||
	    dash - s < 1 || (size_t)(dash - s) >= sizeof a ||
	    strlen(dash + 1) < 1 || strlen(dash + 1) >= sizeof z)
		return -1;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = '\0';
	strcpy(z, dash + 1);
	if (util_parse_long(a, 0, 23, &l) != 0 ||
	    util_parse_long(z, 1, 24, &m) != 0 || l == m)
		return -1;
	*start = (int)l;
	*end = (int)m;
	return 0;
}

/* Append "&name=value" (URL-encoded) when value is set. */
static void
add_param(struct buf *b, const char *name, const char *value)
{
	char	*enc;

	if (value == NULL)
		return;
	if ((enc = evhttp_encode_uri(value)) == NULL) {
		log_error("out of memory");
		abort();
	}
	buf_printf(b, "%s%s=%s", b->len > 0 &&
	    b->data[b->len - 1] != '?' ? "&" : "", name, enc);
	free(enc);
}

/*
 * A link to the records of host (and status, hour or hours [hour, end))
 * under q's filters.
 */
static char *
records_link(const struct query *q, const char *host, const char *status,
    int hour, int end)
{
	struct buf	b = { NULL, 0, 0 };
	char		h[32];

	buf_addstr(&b, "/v1/measurements?");
	add_param(&b, "host", host);
	add_param(&b, "probe_id", q->probe);
	add_param(&b, "network", q->network);
	add_param(&b, "since", q->since);
	add_param(&b, "until", q->until);
	add_param(&b, "status", status);
	if (hour >= 0 && end > 0) {
		snprintf(h, sizeof h, "%02d-%02d", hour, end);
		add_param(&b, "hours", h);
	} else if (hour >= 0) {
		snprintf(h, sizeof h, "%d", hour);
		add_param(&b, "hour", h);
	}
	buf_add(&b, "", 1);
	return b.data;
}

/* --- GET /v1/measurements -------------------------------------------------- */

struct records {
	struct inflight		 w;	/* w.req: NULL once gone */
	struct dashboard	*d;
	struct query		 q;
	struct buf		 out;
	size_t			 n;
	uint64_t		 damaged;
};

static int
records_row(const struct store_record *r, void *arg)
{
	struct records		*rs = arg;
	msgpack_unpacked	 u;
	size_t			 used;

	msgpack_unpacked_init(&u);
	if (r->raw == NULL || mp_unpack_one(&u, (const char *)r->raw,
	    r->rawlen, &used) != 0 || used != r->rawlen)
		rs->damaged++;
	else {
		store_record_json(r, &u.data, &rs->out);
		buf_add(&rs->out, "\n", 1);
		rs->n++;
	}
	msgpack_unpacked_destroy(&u);
	return 0;
}

static void
records_done(enum store_rc rc, void *arg)
{
	struct records	*rs = arg;

	inflight_del(rs->d, &rs->w);
	if (rs->w.req == NULL)
		log_info("client gone before the database answered");
	else if (rc != STORE_OK)
		reply_unavailable(rs->w.req);
	else {
		if (rs->damaged > 0)
			log_warn("%llu damaged stored records skipped",
			    (unsigned long long)rs->damaged);
		reply_buf(rs->w.req, 200, "OK", "application/x-ndjson; "
		    "charset=utf-8", &rs->out);
	}
	buf_free(&rs->out);
	query_free(&rs->q);
	free(rs);
}

static void
handle_records(struct dashboard *d, struct evhttp_request *req)
{
	struct records	*rs;
	char		 err[128];

	rs = xcalloc(1, sizeof *rs);
	rs->d = d;
	if (query_parse(req, &rs->q, err, sizeof err) != 0) {
		reply_text(req, 400, "Bad Request", err);
		query_free(&rs->q);
		free(rs);
		return;
	}
	/* The filter's strings live until records_done. */
	inflight_add(d, &rs->w, req);
	store_records(d->store, &rs->q.f, records_row, records_done, rs);
}

/* --- GET / ------------------------------------------------------------------- */

static void
page_free(struct page *p)
{
	size_t	i;
	int	h;

	inflight_del(p->d, &p->w);
	for (i = 0; i < p->nprobes; i++) {
		free(p->probes[i].probe_id);
		free(p->probes[i].network);
		free(p->probes[i].asn);
		free(p->probes[i].last);
	}
	free(p->probes);
	for (i = 0; i < p->nhosts; i++) {
		free(p->hosts[i].host);
		free(p->hosts[i].status);
		free(p->hosts[i].method);
		free(p->hosts[i].start_time);
	}
	free(p->hosts);
	for (i = 0; i < p->ngroups; i++) {
		free(p->groups[i].host);
		for (h = 0; h < RW_HOURS; h++) {
			free(p->groups[i].days[h]);
			free(p->groups[i].tls[h].v);
			free(p->groups[i].dl[h].v);
		}
	}
	free(p->groups);
	query_free(&p->q);
	free(p);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static int
probe_row(const struct store_probe *sp, void *arg)
{
	struct page	*p = arg;
	struct dprobe	*dp;
	struct buf	 b = { NULL, 0, 0 };

	p->total += sp->records;
	if (p->nprobes >= MAX_LIST)
		return 0;
	p->probes = xreallocarray(p->probes, p->nprobes + 1,
	    sizeof *p->probes);
	dp = &p->probes[p->nprobes++];
	memset(dp, 0, sizeof *dp);
	dp->probe_id = dup_or_null(sp->probe_id);
	dp->asn = dup_or_null(sp->probe_asn);
	dp->last = dup_or_null(sp->last_received);
	dp->records = sp->records;
	if (sp->probe_asn != NULL)
		buf_addstr(&b, sp->probe_asn);
	if (sp->probe_network != NULL)
		buf_printf(&b, "%s%s", b.len ? " " : "", sp->probe_network);
	if (sp->probe_cc != NULL)
		buf_printf(&b, "%s(%s)", b.len ? " " : "", sp->probe_cc);
	if (b.len > 0) {
		buf_add(&b, "", 1);
		dp->network = b.data;
	}
	return 0;
}

static int
host_row(const struct store_host *sh, void *arg)
{
	struct page	*p = arg;
	struct dhost	*dh;

	if (sh->host == NULL)
		return 0;
	p->hosts = xreallocarray(p->hosts, p->nhosts + 1, sizeof *p->hosts);
	dh = &p->hosts[p->nhosts++];
	dh->host = xstrdup(sh->host);
	dh->status = xstrdup(sh->status != NULL ? sh->status : "error");
	dh->method = dup_or_null(sh->method);
	dh->start_time = dup_or_null(sh->start_time);
	dh->records = sh->records;
	dh->failed = sh->failed;
	return 0;
}

/*
 * One time of an hour, kept as report keeps them: every one up to
 * SAMPLE_CAP, then a reservoir sample with a fixed-seed generator.
 */
static void
samples_add(struct page *p, struct samples *s, double v)
{
	uint64_t	 j;

	s->seen++;
	if (s->n < SAMPLE_CAP) {
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 16;
			if (s->cap > SAMPLE_CAP)
				s->cap = SAMPLE_CAP;
			s->v = xreallocarray(s->v, s->cap, sizeof *s->v);
		}
		s->v[s->n++] = (float)v;
		return;
	}
	p->rng = p->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	j = (p->rng >> 11) % s->seen;
	if (j < SAMPLE_CAP)
		s->v[j] = (float)v;
}

/* Fold one cell (host, local day, hour, status, method: n) into a row. */
static int
cell_row(const struct store_cell *c, void *arg)
{
	struct page	*p = arg;
	struct dgroup	*g;
	struct rw_hour	*hr;
	struct rw_day	*dy;
	int32_t		 day;
	int		 status;
	uint32_t	 n;
	size_t		 i;

	if (c->host == NULL || c->hour < 0 || c->hour >= RW_HOURS ||
	    c->n <= 0 || c->n > UINT32_MAX || c->day == NULL || *c->day == '\0')
		return 0;
	if (strcmp(c->day, p->dayname) == 0)
		day = p->dayval;
	else if (parse_day(c->day, &day) != 0)
		return 0;
	else if (strlen(c->day) < sizeof p->dayname) {
		strcpy(p->dayname, c->day);
		p->dayval = day;
	}
	n = (uint32_t)c->n;
	status = c->status != NULL ? rw_status_from(c->status,
	    strlen(c->status)) : -1;
	if (status < 0)
		status = STATUS_ERROR;	/* a status report does not know */
	if (p->ngroups == 0 ||
	    strcmp(p->groups[p->ngroups - 1].host, c->host) != 0) {
		if (p->ngroups == p->gcap) {
			p->gcap = p->gcap ? p->gcap * 2 : 16;
			p->groups = xreallocarray(p->groups, p->gcap,
			    sizeof *p->groups);
		}
		g = &p->groups[p->ngroups++];
		memset(g, 0, sizeof *g);
		g->host = xstrdup(c->host);
	}
	g = &p->groups[p->ngroups - 1];
	if (!p->any_day || day < p->first_day)
		p->first_day = day;
	if (!p->any_day || day > p->last_day)
		p->last_day = day;
	p->any_day = 1;

	hr = &g->h[c->hour];
	if (hr->ndays == 0 || g->days[c->hour][hr->ndays - 1].day != day) {
		if (hr->ndays == g->daycap[c->hour]) {
			g->daycap[c->hour] = g->daycap[c->hour] ?
			    g->daycap[c->hour] * 2 : 8;
			g->days[c->hour] = xreallocarray(g->days[c->hour],
			    g->daycap[c->hour], sizeof *g->days[c->hour]);
		}
		dy = &g->days[c->hour][hr->ndays++];
		memset(dy, 0, sizeof *dy);
		dy->day = day;
	}
	dy = &g->days[c->hour][hr->ndays - 1];
	dy->n += n;
	hr->n += n;
	hr->status[status] += n;
	g->n += n;
	if (status != STATUS_OK) {
		dy->failed += n;
		hr->failed += n;
		g->failed += n;
		hr->method[c->method != NULL ? rw_method_from(c->method,
		    strlen(c->method)) : METHOD_NONE] += n;
		return 0;
	}
	for (i = 0; i < c->ntls; i++) {
		samples_add(p, &g->tls[c->hour], c->tls[i]);
		dy->nt++;
		dy->sumlog += log(c->tls[i] > 0.001 ? c->tls[i] : 0.001);
	}
	for (i = 0; i < c->ndl; i++) {
		samples_add(p, &g->dl[c->hour], c->dl[i]);
		dy->nd++;
		dy->dsumlog += log(c->dl[i] > 0.001 ? c->dl[i] : 0.001);
	}
	return 0;
}

static void
put_status(struct buf *b, const char *status)
{
	buf_addstr(b, "<span class=\"status s-");
	buf_addstr(b, valid_status(status) ? status : "error");
	buf_addstr(b, "\">");
	dashboard_escape(b, status);
	buf_addstr(b, "</span>");
}

static void
put_link(struct buf *b, const char *href, const char *text)
{
	buf_addstr(b, "<a href=\"");
	dashboard_escape(b, href);
	buf_addstr(b, "\">");
	dashboard_escape(b, text);
	buf_addstr(b, "</a>");
}

static void
render_form(struct buf *b, const struct page *p)
{
	size_t	i, k;
	int	dup;

	buf_addstr(b, "<form method=\"get\" action=\"/\" id=\"filters\">\n"
	    "<label>probe <select name=\"probe_id\">"
	    "<option value=\"\">all probes</option>\n");
	for (i = 0; i < p->nprobes; i++) {
		if (p->probes[i].probe_id == NULL)
			continue;
		buf_addstr(b, "<option value=\"");
		dashboard_escape(b, p->probes[i].probe_id);
		buf_addstr(b, "\"");
		if (p->q.probe != NULL &&
		    strcmp(p->q.probe, p->probes[i].probe_id) == 0)
			buf_addstr(b, " selected");
		buf_addstr(b, ">");
		dashboard_escape(b, p->probes[i].probe_id);
		buf_addstr(b, "</option>\n");
	}
	buf_addstr(b, "</select></label>\n<label>network <select "
	    "name=\"network\"><option value=\"\">all networks</option>\n");
	for (i = 0; i < p->nprobes; i++) {
		if (p->probes[i].asn == NULL)
			continue;
		for (k = 0, dup = 0; k < i; k++)
			if (p->probes[k].asn != NULL &&
			    strcmp(p->probes[k].asn, p->probes[i].asn) == 0)
				dup = 1;
		if (dup)
			continue;
		buf_addstr(b, "<option value=\"");
		dashboard_escape(b, p->probes[i].asn);
		buf_addstr(b, "\"");
		if (p->q.network != NULL &&
		    strcmp(p->q.network, p->probes[i].asn) == 0)
			buf_addstr(b, " selected");
		buf_addstr(b, ">");
		dashboard_escape(b, p->probes[i].network);
		buf_addstr(b, "</option>\n");
	}
	buf_addstr(b, "</select></label>\n<label>from <input type=\"date\" "
	    "name=\"since\" value=\"");
	dashboard_escape(b, p->q.since);
	buf_addstr(b, "\"></label>\n<label>to <input type=\"date\" "
	    "name=\"until\" value=\"");
	dashboard_escape(b, p->q.until);
	buf_addstr(b, "\"></label>\n<button type=\"submit\">Show</button> "
	    "<a href=\"/\">reset</a>\n</form>\n");
}

static void
render_probes(struct buf *b, const struct page *p)
{
	const struct dprobe	*dp;
	char			*href;
	size_t			 i;

	buf_printf(b, "<section id=\"probes\">\n<h2>Probes</h2>\n"
	    "<table>\n<thead><tr><th>probe id</th><th>network</th>"
	    "<th>last upload (UTC)</th><th>records</th></tr></thead>\n"
	    "<tbody>\n");
	for (i = 0; i < p->nprobes; i++) {
		dp = &p->probes[i];
		buf_addstr(b, "<tr class=\"probe\"><td class=\"probe\">");
		if (dp->probe_id != NULL) {
			buf_addstr(b, "<a href=\"/?probe_id=");
			href = evhttp_encode_uri(dp->probe_id);
			dashboard_escape(b, href);
			free(href);
			buf_addstr(b, "\">");
			dashboard_escape(b, dp->probe_id);
			buf_addstr(b, "</a>");
		} else
			buf_addstr(b, "(none)");
		buf_addstr(b, "</td><td>");
		dashboard_escape(b, dp->network != NULL ? dp->network :
		    "unknown");
		buf_addstr(b, "</td><td>");
		dashboard_escape(b, dp->last != NULL ? dp->last : "");
		buf_printf(b, "</td><td class=\"num\">%lld</td></tr>\n",
		    (long long)dp->records);
	}
	buf_addstr(b, "</tbody>\n</table>\n");
	if (p->nprobes == 0)
		buf_addstr(b, "<p>No probe has uploaded records yet.</p>\n");
	if (p->nprobes >= MAX_LIST)
		buf_printf(b, "<p class=\"note\">The first %d probes are "
		    "listed.</p>\n", MAX_LIST);
	buf_addstr(b, "</section>\n");
}

static int
status_rank(const char *s)
{
	static const char	*order[] = {
		"blocked", "intercepted", "throttled", "anomaly", "down",
		"error", "ok"
	};
	size_t			 i;

	for (i = 0; i < sizeof order / sizeof order[0]; i++)
		if (strcmp(s, order[i]) == 0)
			return (int)i;
	return 5;
}

static int
host_cmp(const void *a, const void *b)
{
	const struct dhost	*x = a, *y = b;
	int			 c;

	if ((c = status_rank(x->status) - status_rank(y->status)) != 0)
		return c;
	if ((c = strcmp(x->method ? x->method : "",
	    y->method ? y->method : "")) != 0)
		return c;
	return strcmp(x->host, y->host);
}

static void
render_hosts(struct buf *b, struct page *p)
{
	static const char	*names[] = {
		"blocked", "intercepted", "throttled", "anomaly", "down",
		"error", "ok"
	};
	const struct dhost	*dh;
	char			*href;
	size_t			 i, k, count;

	qsort(p->hosts, p->nhosts, sizeof *p->hosts, host_cmp);
	buf_addstr(b, "<section id=\"hosts\">\n<h2>Hosts by current status"
	    "</h2>\n<p class=\"note\">The verdict of each host's latest "
	    "measurement under the filters above.</p>\n<ul class=\"summary\">");
	for (k = 0; k < sizeof names / sizeof names[0]; k++) {
		for (i = 0, count = 0; i < p->nhosts; i++)
			if (strcmp(p->hosts[i].status, names[k]) == 0)
				count++;
		if (count == 0)
			continue;
		buf_addstr(b, "<li>");
		put_status(b, names[k]);
		buf_printf(b, " %zu</li>", count);
	}
	buf_addstr(b, "</ul>\n<table>\n<thead><tr><th>status now</th>"
	    "<th>method</th><th>host</th><th>latest (UTC)</th>"
	    "<th>records</th><th>failed</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < p->nhosts && i < MAX_LIST; i++) {
		dh = &p->hosts[i];
		buf_addstr(b, "<tr class=\"host\"><td>");
		put_status(b, dh->status);
		buf_addstr(b, "</td><td>");
		dashboard_escape(b, dh->method != NULL ? dh->method : "");
		buf_addstr(b, "</td><td class=\"host\">");
		href = records_link(&p->q, dh->host, NULL, -1, -1);
		put_link(b, href, dh->host);
		free(href);
		buf_addstr(b, "</td><td>");
		dashboard_escape(b, dh->start_time);
		buf_printf(b, "</td><td class=\"num\">%lld</td>"
		    "<td class=\"num\">%lld (%.0f%%)</td></tr>\n",
		    (long long)dh->records, (long long)dh->failed,
		    dh->records > 0 ? 100.0 * (double)dh->failed /
		    (double)dh->records : 0.0);
	}
	buf_addstr(b, "</tbody>\n</table>\n");
	if (p->nhosts == 0)
		buf_addstr(b, "<p>No measurements match.</p>\n");
	else if (p->nhosts > MAX_LIST)
		buf_printf(b, "<p class=\"note\">%zu more hosts are not "
		    "listed.</p>\n", p->nhosts - MAX_LIST);
	buf_addstr(b, "</section>\n");
}

static char *
cell_href(const struct report_row *row, int hour, void *arg)
{
	return records_link(arg, row->host, NULL, hour, -1);
}

struct rank {
	struct report_row	*row;
	int			 windows;
	uint64_t		 failed;
};

static int
rank_cmp(const void *a, const void *b)
{
	const struct rank	*x = a, *y = b;

	if (x->windows != y->windows)
		return y->windows - x->windows;
	if (x->failed != y->failed)
		return x->failed < y->failed ? 1 : -1;
	return strcmp(x->row->host, y->row->host);
}

static int
row_cmp(const void *a, const void *b)
{
	const struct report_row	*x = a, *y = b;

	return strcmp(x->host, y->host);
}

static void
window_hours(struct buf *b, const struct rw_window *w, int all_day)
{
	if (all_day)
		buf_addstr(b, "all day");
	else
		buf_printf(b, "%02d:00&#8211;%02d:00", w->start_hour,
		    w->end_hour);
}

static void
render_window_row(struct buf *b, const struct page *p,
    const struct report_row *row, const struct rw_window *w, int all_day)
{
	const char	*m = rw_method_name(w->method);
	char		*href;

	buf_addstr(b, "<tr class=\"window\"><td class=\"host\">");
	dashboard_escape(b, row->host);
	buf_addstr(b, "</td><td>");
	if (w->kind == RW_SLOW)
		buf_addstr(b, "<span class=\"status s-slow\">slow</span>");
	else
		put_status(b, rw_status_name(w->status));
	buf_addstr(b, "</td><td>");
	if (w->kind == RW_SLOW)
		buf_addstr(b, w->step == RW_STEP_DOWNLOAD ? "download" :
		    "tls handshake");
	else
		dashboard_escape(b, m != NULL ? m : "");
	buf_addstr(b, "</td><td>");
	window_hours(b, w, all_day);
	buf_addstr(b, " local</td><td class=\"num\">");
	if (w->kind == RW_SLOW && w->step == RW_STEP_DOWNLOAD)
		buf_printf(b, "median %.1f kbit/s", w->median_kbps);
	else if (w->kind == RW_SLOW)
		buf_printf(b, "median %.1f ms", w->median_ms);
	else
		buf_printf(b, "%.0f%%", 100 * w->rate);
	buf_addstr(b, "</td><td class=\"num\">");
	if (w->kind == RW_SLOW && w->step == RW_STEP_DOWNLOAD)
		buf_printf(b, "median %.1f kbit/s", w->baseline_kbps);
	else if (w->kind == RW_SLOW)
		buf_printf(b, "median %.1f ms", w->baseline_ms);
	else if (!all_day)
		buf_printf(b, "%.0f%%", 100 * w->baseline);
	buf_printf(b, "</td><td class=\"num\">%d of %d</td><td>", w->days,
	    w->days_seen);
	/* The records of the window's hours. */
	href = records_link(&p->q, row->host, NULL, all_day ? -1 :
	    w->start_hour, all_day ? -1 : w->end_hour);
	put_link(b, href, "records");
	free(href);
	buf_addstr(b, "</td></tr>\n");
}

static void
render_heatmap_and_windows(struct buf *b, struct page *p)
{
	struct report_row	*rows, *shown;
	struct report_svg_opts	 o;
	struct rw_params	 prm;
	struct rank		*rank;
	struct buf		 cap = { NULL, 0, 0 };
	char			 a[32], z[32];
	struct rw_hour		*hr;
	size_t			 i, k, nshown, nwin = 0;
	int			 h;

	rw_params_default(&prm);
	rows = xcalloc(p->ngroups ? p->ngroups : 1, sizeof *rows);
	rank = xcalloc(p->ngroups ? p->ngroups : 1, sizeof *rank);
	for (i = 0; i < p->ngroups; i++) {
		rows[i].host = p->groups[i].host;
		rows[i].measurements = p->groups[i].n;
		for (h = 0; h < RW_HOURS; h++) {
			rows[i].hours[h] = p->groups[i].h[h];
			rows[i].hours[h].days = p->groups[i].days[h];
			hr = &rows[i].hours[h];
			hr->tls = p->groups[i].tls[h].v;
			hr->ntls = p->groups[i].tls[h].n;
			hr->dl = p->groups[i].dl[h].v;
			hr->ndl = p->groups[i].dl[h].n;
			rows[i].median_tcp[h] = rows[i].median_tls[h] =
			    rows[i].median_dl[h] = -1;
			if (hr->ntls > 0)
				rows[i].median_tls[h] = rw_median(
				    p->groups[i].tls[h].v, hr->ntls);
			if (hr->ndl > 0) {
				rows[i].median_dl[h] = rw_median(
				    p->groups[i].dl[h].v, hr->ndl);
				rows[i].has_dl = 1;
			}
		}
		rw_find(rows[i].hours, &prm, &rows[i].res);
		rank[i].row = &rows[i];
		rank[i].windows = rows[i].res.all_day ||
		    rows[i].res.nfail > 0 || rows[i].res.nslow > 0;
		rank[i].failed = p->groups[i].failed;
	}

	/* The heatmap: the TOP_ROWS hosts with windows or most failures. */
	qsort(rank, p->ngroups, sizeof *rank, rank_cmp);
	nshown = p->ngroups < TOP_ROWS ? p->ngroups : TOP_ROWS;
	shown = xcalloc(nshown ? nshown : 1, sizeof *shown);
	for (i = 0; i < nshown; i++)
		shown[i] = *rank[i].row;
	qsort(shown, nshown, sizeof *shown, row_cmp);

	if (p->any_day) {
		format_day(p->first_day, a);
		format_day(p->last_day, z);
		buf_printf(&cap, "local days %s to %s", a, z);
	} else
		buf_addstr(&cap, "no measurements");
	buf_printf(&cap, ", %s%s", p->q.probe ? "probe " : "all probes",
	    p->q.probe ? p->q.probe : "");
	if (p->q.network != NULL)
		buf_printf(&cap, ", network %s", p->q.network);
	buf_add(&cap, "", 1);

	memset(&o, 0, sizeof o);
	o.caption = cap.data;
	o.fragment = 1;
	o.cell_href = cell_href;
	o.arg = &p->q;
	buf_addstr(b, "<section id=\"heatmap\">\n<h2>Time of day</h2>\n"
	    "<p class=\"note\">Share of measurements that failed, per host and "
	    "local hour of day (the probe's clock), coloured by the most "
	    "common failing status.  Each cell links to its records.</p>\n");
	report_svg(b, shown, nshown, &o);
	if (p->ngroups > nshown)
		buf_printf(b, "<p class=\"note\">%zu of %zu hosts shown: those "
		    "with windows or the most failures.</p>\n", nshown,
		    p->ngroups);
	buf_addstr(b, "</section>\n");

	/* Every window found, over every host. */
	buf_addstr(b, "<section id=\"windows\">\n<h2>Windows</h2>\n"
	    "<p class=\"note\">Runs of local hours where failures "
	    "concentrate, or where handshakes or downloads that succeed are "
	    "several times slower, holding on several days (as <code>nightjar "
	    "report</code> finds them).</p>\n<table>\n<thead><tr>"
	    "<th>host</th><th>status</th><th>method</th><th>hours</th>"
	    "<th>inside</th><th>at other hours</th>"
	    "<th>days held</th><th>records</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < p->ngroups; i++) {
		if (rows[i].res.all_day) {
			render_window_row(b, p, &rows[i], &rows[i].res.whole,
			    1);
			nwin++;
		}
		for (k = 0; k < rows[i].res.nfail; k++, nwin++)
			render_window_row(b, p, &rows[i], &rows[i].res.fail[k],
			    0);
		for (k = 0; k < rows[i].res.nslow; k++, nwin++)
			render_window_row(b, p, &rows[i], &rows[i].res.slow[k],
			    0);
	}
	buf_addstr(b, "</tbody>\n</table>\n");
	if (nwin == 0)
		buf_addstr(b, "<p>No window found.</p>\n");
	buf_addstr(b, "</section>\n");
	buf_free(&cap);
	free(shown);
	free(rank);
	free(rows);
}

static void
page_render(struct page *p)
{
	struct buf	b = { NULL, 0, 0 };

	buf_addstr(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n"
	    "<title>nightjar collector</title>\n"
	    "<link rel=\"stylesheet\" href=\"/dashboard.css\">\n</head>\n"
	    "<body>\n<header>\n<h1>nightjar collector</h1>\n");
	buf_printf(&b, "<p class=\"note\">%lld records from %zu probes; "
	    "%zu hosts match the filters.</p>\n", (long long)p->total,
	    p->nprobes, p->nhosts);
	render_form(&b, p);
	buf_addstr(&b, "</header>\n<main>\n");
	render_probes(&b, p);
	render_hosts(&b, p);
	render_heatmap_and_windows(&b, p);
	buf_addstr(&b, "</main>\n</body>\n</html>\n");
	reply_buf(p->w.req, 200, "OK", "text/html; charset=utf-8", &b);
	buf_free(&b);
}

static void
cells_done(enum store_rc rc, void *arg)
{
	struct page	*p = arg;

	if (p->w.req == NULL)
		log_info("client gone before the database answered");
	else if (rc != STORE_OK)
		reply_unavailable(p->w.req);
	else
		page_render(p);
	page_free(p);
}

static void
hosts_done(enum store_rc rc, void *arg)
{
	struct page	*p = arg;

	if (rc != STORE_OK || p->w.req == NULL) {
		if (p->w.req != NULL)
			reply_unavailable(p->w.req);
		page_free(p);
		return;
	}
	store_cells(p->d->store, &p->q.f, cell_row, cells_done, p);
}

static void
probes_done(enum store_rc rc, void *arg)
{
	struct page		*p = arg;

	if (rc != STORE_OK || p->w.req == NULL) {
		if (p->w.req != NULL)
			reply_unavailable(p->w.req);
		page_free(p);
		return;
	}
	store_hosts(p->d->store, &p->q.f, host_row, hosts_done, p);
}

static void
handle_page(struct dashboard *d, struct evhttp_request *req)
{
	struct page		*p;
	struct store_filter	 all;
	char			 err[128];

	p = xcalloc(1, sizeof *p);
	p->d = d;
	if (query_parse(req, &p->q, err, sizeof err) != 0) {
		reply_text(req, 400, "Bad Request", err);
		page_free(p);
		return;
	}
	inflight_add(d, &p->w, req);
	/* A page never lists records, so no limit on the aggregates. */
	p->q.f.limit = 0;
	p->q.f.hour = p->q.f.hour_end = -1;
	p->q.f.status = NULL;
	/* Every probe is listed, whatever the filters (for the form). */
	store_filter_init(&all);
	store_probes(d->store, &all, probe_row, probes_done, p);
}

static void
handle_css(struct evhttp_request *req)
{
	struct buf	b = { (char *)css, sizeof css - 1, sizeof css - 1 };

	reply_buf(req, 200, "OK", "text/css; charset=utf-8", &b);
}

/* --- entry points ------------------------------------------------------------- */

struct dashboard *
dashboard_new(struct store *store, const struct tokens *tokens, int public)
{
	struct dashboard	*d;

	d = xcalloc(1, sizeof *d);
	d->store = store;
	d->tokens = tokens;
	d->public = public;
	return d;
}

void
dashboard_free(struct dashboard *d)
{
	free(d);
}

int
dashboard_request(struct dashboard *d, struct evhttp_request *req,
    const char *path)
{
	enum evhttp_cmd_type	cmd = evhttp_request_get_command(req);
	int			get = cmd == EVHTTP_REQ_GET ||
				    cmd == EVHTTP_REQ_HEAD;

	if (d == NULL)
		return 0;
	if (strcmp(path, "/v1/measurements") == 0) {
		if (!get)
			return 0;	/* uploads: the server's */
		if (authorised(d, req) == 0)
			handle_records(d, req);
		return 1;
	}
	if (strcmp(path, "/") != 0 && strcmp(path, "/dashboard.css") != 0)
		return 0;
	if (!get) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		reply_text(req, 405, "Method Not Allowed", "use GET");
		return 1;
	}
	if (authorised(d, req) != 0)
		return 1;
	if (path[1] == '\0')
		handle_page(d, req);
	else
		handle_css(req);
	return 1;
}
