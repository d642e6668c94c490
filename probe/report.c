/*
 * nightjar report: read records (spool files, directories or a collector
 * database), bin them per host (or host x probe) and local hour of day,
 * find time-of-day windows with rw_find() and print them as text, JSON or
 * SVG (nightjar(1), "report").
 *
 * Only the few fields the analysis needs are kept per record, folded into
 * counters at once: per host-hour counts, per host-hour-day counts (for
 * "on how many days") and bounded samples of handshake times (for
 * medians), so memory grows with hosts and days, not with records.
 * A host's hour bins are allocated when a record falls in them, so a
 * campaign of many hosts measured a few times each stays small.  JSON is
 * written host by host as it is computed; text and SVG keep only the
 * --top hosts with windows or the most failures.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "hindex.h"
#include "log.h"
#include "mp.h"
#include "report.h"
#include "spool.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

/* Samples kept per host-hour for medians; beyond, reservoir sampling. */
#define SAMPLE_CAP	4096
#define MAX_TZ_OFFSET	(18 * 3600)
#define MAX_HOST_LEN	1024

enum report_format { FORMAT_TEXT = 0, FORMAT_JSON, FORMAT_SVG };
#define BY_ASN	2

struct samples {
	float		*v;
	uint32_t	 n;
	uint32_t	 cap;
	uint64_t	 seen;
};

/* How many records of a bin failed with one method. */
struct bin_method {
	uint32_t	 count;
	uint32_t	 method;	/* index of rw_hour.method */
};

/*
 * One local hour of one host, kept small (a campaign has hundreds of
 * thousands): failure methods are a short list, not a counter for each
 * method; report_row_fill() makes the window finder's rw_hour of it.
 */
struct bin {
	uint32_t		 n;
	uint32_t		 failed;
	uint32_t		 status[RWS_COUNT];
	struct bin_method	*methods;
	uint32_t		 nmethods;
	uint32_t		 ndays;
	uint32_t		 daycap;
	int			 unsorted;	/* days appended out of order */
	struct rw_day		*days;
	struct samples		 tls;
	struct samples		 tcp;
	struct samples		 dl;		/* download ms per 1000 B */
};

struct group {
	char		*host;
	char		*probe_id;	/* NULL unless --by probe */
	uint64_t	 hash;
	uint64_t	 n;
	uint64_t	 failed;
	struct bin	*bins[RW_HOURS];	/* NULL: no record that hour */
};

struct report {
	enum report_format	 format;
	int			 by_probe;	/* 1 probe, BY_ASN */
	const char		*asn;		/* of the record being added */
	int			 min_days;
	long			 top;		/* text, svg: hosts shown; 0 all */
	int64_t			 since;		/* ms, inclusive; INT64_MIN */
	int64_t			 until;		/* ms, exclusive; INT64_MAX */

	struct group		**groups;
	size_t			 ngroups;
	size_t			 gcap;
	struct hindex		 index;		/* of groups */

	uint64_t		 records;	/* used */
	uint64_t		 skipped;	/* lacking what report needs */
	uint64_t		 filtered;	/* outside --since/--until */
	int			 damaged_files;
	uint64_t		 rng;

	int64_t			 first_ms;	/* start_time range used */
	int64_t			 last_ms;
	char			*probe;		/* the first probe id seen */
	int			 probes;	/* 0, 1, 2 = more than one */
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: nightjar report [PATH...] [options]\n"
"\n"
"Time-of-day analysis: per target host and local hour of day, how many\n"
"measurements failed, and the windows of hours where failures (or slow\n"
"handshakes or downloads) concentrate.  PATH is a record file or a\n"
"results directory (DIR/*.msgpack and DIR/sent/*.msgpack); default\n"
"./results.\n"
"\n"
"options:\n"
"  --db FILE            also read a nightjar-collector database\n"
"  --format FMT         text (default), json or svg\n"
"  --output FILE        write to FILE instead of standard output\n"
"  --by probe           one row per host and probe id\n"
"  --by asn             one row per host and probe network (probe_asn of\n"
"                       a collector database; \"unknown\" elsewhere)\n"
"  --since DATE         only measurements at or after DATE (UTC; RFC 3339\n"
"                       or YYYY-MM-DD)\n"
"  --until DATE         only measurements before DATE (a bare date\n"
"                       includes that whole day)\n"
"  --min-days N         a window must hold on N distinct local days\n"
"                       (default 3)\n"
"  --top N              text and svg show the N hosts with windows or\n"
"                       the most failures (default 50, 0 = all); json\n"
"                       always holds every host\n"
"  -h, --help           this text\n");
}

/* A copy of len bytes with NUL bytes replaced, so it is a C string. */
static char *
copy_str(const char *s, size_t len)
{
	char	*p;
	size_t	 i;

	p = xmalloc(len + 1);
	for (i = 0; i < len; i++)
		p[i] = s[i] == '\0' ? '?' : s[i];
	p[len] = '\0';
	return p;
}

static int
key_eq(const char *a, const char *b, size_t blen)
{
	if (a == NULL)
		return b == NULL;
	if (b == NULL)
		return 0;
	return strlen(a) == blen && memcmp(a, b, blen) == 0 &&
	    memchr(b, '\0', blen) == NULL;
}

static struct group *
group_get(struct report *r, const char *host, size_t hlen,
    const char *probe, size_t plen)
{
	uint64_t	 h;
	size_t		 it = 0, j;
	struct group	*g;

	h = hindex_hash(HINDEX_SEED, host, hlen);
	if (probe != NULL)
		h = hindex_hash(h ^ 0xff, probe, plen);
	while (hindex_next(&r->index, h, &it, &j)) {
		g = r->groups[j];
		if (g->hash == h && key_eq(g->host, host, hlen) &&
		    key_eq(g->probe_id, probe, plen))
			return g;
	}
	g = xcalloc(1, sizeof *g);
	g->host = copy_str(host, hlen);
	g->probe_id = probe != NULL ? copy_str(probe, plen) : NULL;
	g->hash = h;
	if (r->ngroups == r->gcap) {
		r->gcap = r->gcap ? r->gcap * 2 : 16;
		r->groups = xreallocarray(r->groups, r->gcap,
		    sizeof *r->groups);
	}
	hindex_add(&r->index, h, r->ngroups);
	r->groups[r->ngroups++] = g;
	return g;
}

static int
day_cmp(const void *a, const void *b)
{
	const struct rw_day	*x = a, *y = b;

	return (x->day > y->day) - (x->day < y->day);
}

/* Sort a bin's day entries and merge entries of the same day. */
static void
bin_compact(struct bin *b)
{
	size_t	i, o;

	if (!b->unsorted || b->ndays < 2) {
		b->unsorted = 0;
		return;
	}
	qsort(b->days, b->ndays, sizeof *b->days, day_cmp);
	for (i = 1, o = 0; i < b->ndays; i++) {
		if (b->days[i].day == b->days[o].day) {
			b->days[o].n += b->days[i].n;
			b->days[o].failed += b->days[i].failed;
			b->days[o].nt += b->days[i].nt;
			b->days[o].sumlog += b->days[i].sumlog;
			b->days[o].nd += b->days[i].nd;
			b->days[o].dsumlog += b->days[i].dsumlog;
		} else
			b->days[++o] = b->days[i];
	}
	b->ndays = o + 1;
	b->unsorted = 0;
}

static struct rw_day *
bin_day(struct bin *b, int32_t day)
{
	struct rw_day	*d;

	if (b->ndays > 0 && b->days[b->ndays - 1].day == day)
		return &b->days[b->ndays - 1];
	if (b->ndays == b->daycap) {
		bin_compact(b);
		if (b->ndays > 0 && b->days[b->ndays - 1].day == day)
			return &b->days[b->ndays - 1];
		if (b->daycap == 0 || b->ndays * 2 > b->daycap) {
			b->daycap = b->daycap ? b->daycap * 2 : 2;
			b->days = xreallocarray(b->days, b->daycap,
			    sizeof *b->days);
		}
	}
	if (b->ndays > 0 && b->days[b->ndays - 1].day > day)
		b->unsorted = 1;
	d = &b->days[b->ndays++];
	memset(d, 0, sizeof *d);
	d->day = day;
	return d;
}

static void
samples_add(struct report *r, struct samples *s, double v)
{
	uint64_t	j;

	s->seen++;
	if (s->n < SAMPLE_CAP) {
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 4;
			if (s->cap > SAMPLE_CAP)
				s->cap = SAMPLE_CAP;
			s->v = xreallocarray(s->v, s->cap, sizeof *s->v);
		}
		s->v[s->n++] = v;
		return;
	}
	/* Reservoir sampling with a fixed-seed generator: deterministic. */
	r->rng = r->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	j = (r->rng >> 11) % s->seen;
	if (j < SAMPLE_CAP)
		s->v[j] = v;
}

/* The range of start times and the probes the report covers. */
static void
note_range(struct report *r, int64_t ms, const struct report_fields *f)
{
	if (r->records == 0 || ms < r->first_ms)
		r->first_ms = ms;
	if (r->records == 0 || ms > r->last_ms)
		r->last_ms = ms;
	if (r->probes == 2 || f->probe == NULL || f->probelen > MAX_HOST_LEN)
		return;
	if (r->probes == 0) {
		r->probe = copy_str(f->probe, f->probelen);
		r->probes = 1;
	} else if (!key_eq(r->probe, f->probe, f->probelen))
		r->probes = 2;
}

/*
 * "measured 2026-11-01 to 2026-11-20 (UTC), probe X" for the SVG, and how
 * many hosts --top left out.
 */
static char *
report_caption(const struct report *r, size_t left)
{
	char	a[32], b[32], more[96], *s;

	if (r->records == 0)
		return xstrdup("no measurements");
	util_format_rfc3339_ms(r->first_ms, a);
	util_format_rfc3339_ms(r->last_ms, b);
	a[10] = b[10] = '\0';
	more[0] = '\0';
	if (left > 0)
		snprintf(more, sizeof more, "; %zu more host%s with fewer "
		    "failures left out (--top)", left, left == 1 ? "" : "s");
	xasprintf(&s, "measured %s to %s (UTC), %s%s%s", a, b,
	    r->probes == 1 ? "probe " : "all probes",
	    r->probes == 1 ? r->probe : "", more);
	return s;
}

static void
bin_method_add(struct bin *b, int m)
{
	uint32_t	i;

	for (i = 0; i < b->nmethods; i++) {
		if (b->methods[i].method == (uint32_t)m) {
			b->methods[i].count++;
			return;
		}
	}
	/* Grows by one: a bin rarely sees more than two methods. */
	b->methods = xreallocarray(b->methods, b->nmethods + 1,
	    sizeof *b->methods);
	b->methods[b->nmethods].method = (uint32_t)m;
	b->methods[b->nmethods].count = 1;
	b->nmethods++;
}

/* Fold one record into its group; records lacking what we need count. */
static void
report_add(struct report *r, const struct report_fields *f)
{
	char			 tbuf[64];
	int64_t			 ms, local;
	int32_t			 day;
	int			 hour, status;
	enum verdict_method		 method = METHOD_NONE;
	struct group		*g;
	struct bin		*b;
	struct rw_day		*d;
	double			 tls, dl;

	if (f->host == NULL || f->hostlen == 0 ||
	    f->hostlen > MAX_HOST_LEN || f->start == NULL ||
	    f->startlen >= sizeof tbuf || !f->has_tz ||
	    f->tz < -MAX_TZ_OFFSET || f->tz > MAX_TZ_OFFSET ||
	    f->status == NULL ||
	    (status = rw_status_from(f->status, f->statuslen)) < 0)
		goto skip;
	memcpy(tbuf, f->start, f->startlen);
	tbuf[f->startlen] = '\0';
	if (util_parse_rfc3339_ms(tbuf, &ms) != 0)
		goto skip;
	if (f->method != NULL)
		method = rw_method_from(f->method, f->methodlen);
	if (ms < r->since || ms >= r->until) {
		r->filtered++;
		return;
	}

	note_range(r, ms, f);
	local = util_floor_div(ms, 1000) + f->tz;
	day = (int32_t)util_floor_div(local, 86400);
	hour = (int)((local - (int64_t)day * 86400) / 3600);

	if (r->by_probe == BY_ASN)
		g = group_get(r, f->host, f->hostlen, r->asn != NULL ?
		    r->asn : "unknown", strlen(r->asn != NULL ? r->asn :
		    "unknown"));
	else if (!r->by_probe)
		g = group_get(r, f->host, f->hostlen, NULL, 0);
	else if (f->probe != NULL && f->probelen <= MAX_HOST_LEN)
		g = group_get(r, f->host, f->hostlen, f->probe, f->probelen);
	else
		g = group_get(r, f->host, f->hostlen, "", 0);
	if ((b = g->bins[hour]) == NULL)
		b = g->bins[hour] = xcalloc(1, sizeof *b);
	d = bin_day(b, day);
	g->n++;
	b->n++;
	d->n++;
	b->status[status]++;
	r->records++;
	if (status != STATUS_OK) {
		g->failed++;
		b->failed++;
		d->failed++;
		bin_method_add(b, method);
		return;
	}
	if (f->tcp_ms >= 0)
		samples_add(r, &b->tcp, f->tcp_ms);
	tls = report_fields_tls_ms(f);
	if (tls >= 0) {
		samples_add(r, &b->tls, tls);
		d->nt++;
		d->sumlog += log(tls > 0.001 ? tls : 0.001);
	}
	dl = report_fields_dl_cost(f);
	if (dl >= 0) {
		samples_add(r, &b->dl, dl);
		d->nd++;
		d->dsumlog += log(dl > 0.001 ? dl : 0.001);
	}
	return;
skip:
	r->skipped++;
}

/*
 * Read a record file (concatenated msgpack maps) and call cb with each
 * record's fields.  Like spool_read_file(): a damaged file (unreadable,
 * truncated, garbage, not maps) is warned about by name and -1 returned,
 * with cb called for nothing in it.
 */
int
report_read_file(const char *path, report_fields_cb cb, void *arg)
{
	struct report_fields	*v = NULL;
	char			*data = NULL;
	const char		*why = NULL;
	size_t			 len = 0, off, used, n = 0, cap = 0, i;
	int			 rc = -1;

	if (spool_slurp(path, &data, &len) != 0)
		goto out;
	for (off = 0; off < len; off += used) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xreallocarray(v, cap, sizeof *v);
		}
		if (report_fields_read(data + off, len - off, &used,
		    &v[n]) != 0) {
			why = "truncated or malformed msgpack, or not a map";
			break;
		}
		n++;
	}
	if (why != NULL) {
		log_warn("%s: damaged (%s at byte %zu); skipped", path, why,
		    off);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (cb(&v[i], arg) != 0)
			break;
	}
	rc = 0;
out:
	free(v);
	free(data);
	return rc;
}

static int
file_cb(const struct report_fields *f, void *arg)
{
	report_add(arg, f);
	return 0;
}

static void
read_file(struct report *r, const char *path)
{
	if (report_read_file(path, file_cb, r) != 0)
		r->damaged_files++;	/* warned by name */
}

static int
read_path(struct report *r, const char *path)
{
	struct stat		 sb;
	struct spool_files	 f;
	uint64_t		 before;
	size_t			 i;
	int			 sent;

	if (stat(path, &sb) != 0) {
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		/* A file named on purpose must hold records. */
		before = r->records + r->skipped + r->filtered;
		read_file(r, path);
		if (r->records + r->skipped + r->filtered == before) {
			log_error("%s: no nightjar records in it", path);
			return -1;
		}
		return 0;
	}
	for (sent = 0; sent <= 1; sent++) {
		memset(&f, 0, sizeof f);
		if (spool_list(path, sent, &f) != 0) {
			if (sent)
				continue;	/* no sent/ yet */
			log_error("%s: cannot list record files", path);
			return -1;
		}
		for (i = 0; i < f.n; i++)
			read_file(r, f.path[i]);
		spool_files_free(&f);
	}
	return 0;
}

struct db_read {
	struct report	*r;
	const char	*path;
	uint64_t	 bad;
	enum store_rc	 rc;
};

static int
db_row(const struct store_record *rec, void *arg)
{
	struct db_read		*d = arg;
	struct report_fields	 f;
	size_t			 used;

	if (rec->raw == NULL || rec->rawlen == 0 ||
	    report_fields_read((const char *)rec->raw, rec->rawlen, &used, &f) != 0 ||
	    used != rec->rawlen) {
		d->bad++;
		return 0;
	}
	d->r->asn = rec->probe_asn;
	report_add(d->r, &f);
	d->r->asn = NULL;
	return 0;
}

static void
db_done(enum store_rc rc, void *arg)
{
	struct db_read	*d = arg;

	d->rc = rc;
}

/* A collector database (SQLite file or PostgreSQL URI), via the store. */
static int
read_db(struct report *r, const char *path)
{
	struct db_read	 d = { r, path, 0, STORE_ERROR };
	struct store	*st;

	if ((st = store_open(path, NULL, 1)) == NULL)
		return -1;
	store_records(st, NULL, db_row, db_done, &d);
	store_free(st);
	if (d.rc != STORE_OK) {
		log_error("%s: cannot read the measurements", path);
		return -1;
	}
	if (d.bad > 0)
		log_warn("%s: %llu damaged records skipped", path,
		    (unsigned long long)d.bad);
	return 0;
}

static int
group_cmp(const void *a, const void *b)
{
	const struct group	*x = *(struct group *const *)a;
	const struct group	*y = *(struct group *const *)b;
	int			 c;

	if ((c = strcmp(x->host, y->host)) != 0)
		return c;
	if (x->probe_id == NULL || y->probe_id == NULL)
		return (x->probe_id != NULL) - (y->probe_id != NULL);
	return strcmp(x->probe_id, y->probe_id);
}

/* Sort the groups by host (and probe) for output. */
static void
report_sort(struct report *r)
{
	if (r->ngroups > 1)
		qsort(r->groups, r->ngroups, sizeof *r->groups, group_cmp);
}

/* Group g as a row of the renderers, windows found. */
static void
report_row_fill(const struct report *r, struct group *g,
    struct report_row *row)
{
	struct rw_params	 p;
	struct rw_hour		*hr;
	struct bin		*b;
	uint32_t		 k;
	int			 h;

	rw_params_default(&p);
	p.min_days = r->min_days;
	memset(row, 0, sizeof *row);
	row->host = g->host;
	if (r->by_probe == BY_ASN)
		row->asn = g->probe_id;
	else
		row->probe_id = g->probe_id;
	row->measurements = g->n;
	for (h = 0; h < RW_HOURS; h++) {
		row->median_tcp[h] = row->median_tls[h] = -1;
		row->median_dl[h] = -1;
		if ((b = g->bins[h]) == NULL)
			continue;
		bin_compact(b);
		hr = &row->hours[h];
		hr->n = b->n;
		hr->failed = b->failed;
		memcpy(hr->status, b->status, sizeof hr->status);
		for (k = 0; k < b->nmethods; k++)
			if (b->methods[k].method < RWM_COUNT)
				hr->method[b->methods[k].method] +=
				    b->methods[k].count;
		hr->days = b->days;
		hr->ndays = b->ndays;
		hr->tls = b->tls.v;
		hr->ntls = b->tls.n;
		hr->dl = b->dl.v;
		hr->ndl = b->dl.n;
		/* Sorting the samples in place keeps them valid. */
		if (b->tcp.n)
			row->median_tcp[h] = rw_median(b->tcp.v, b->tcp.n);
		if (b->tls.n)
			row->median_tls[h] = rw_median(b->tls.v, b->tls.n);
		if (b->dl.n) {
			row->median_dl[h] = rw_median(b->dl.v, b->dl.n);
			row->has_dl = 1;
		}
	}
	rw_find(row->hours, &p, &row->res);
}

/* How interesting a host is for --top: windows first, then failures. */
struct pick {
	size_t		 group;
	int		 windows;
	uint64_t	 failed;
};

static int
pick_cmp(const void *a, const void *b)
{
	const struct pick	*x = a, *y = b;

	if (x->windows != y->windows)
		return y->windows - x->windows;
	if (x->failed != y->failed)
		return x->failed < y->failed ? 1 : -1;
	return (x->group > y->group) - (x->group < y->group);
}

static int
size_cmp(const void *a, const void *b)
{
	const size_t	*x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

/*
 * The rows text and SVG show: every host, or the --top ones with windows
 * or the most failures, in host order.  *left gets how many were left out.
 */
static struct report_row *
report_top_rows(struct report *r, size_t *nrows, size_t *left)
{
	struct report_row	*rows, row;
	struct pick		*picks;
	size_t			*keep, n, i;

	report_sort(r);
	n = r->ngroups;
	*left = 0;
	if (r->top > 0 && n > (size_t)r->top) {
		picks = xcalloc(n, sizeof *picks);
		for (i = 0; i < n; i++) {
			report_row_fill(r, r->groups[i], &row);
			picks[i].group = i;
			picks[i].windows = row.res.all_day ||
			    row.res.nfail > 0 || row.res.nslow > 0;
			picks[i].failed = r->groups[i]->failed;
		}
		qsort(picks, n, sizeof *picks, pick_cmp);
		*left = n - (size_t)r->top;
		n = (size_t)r->top;
		keep = xcalloc(n, sizeof *keep);
		for (i = 0; i < n; i++)
			keep[i] = picks[i].group;
		free(picks);
		qsort(keep, n, sizeof *keep, size_cmp);
	} else {
		keep = xcalloc(n ? n : 1, sizeof *keep);
		for (i = 0; i < n; i++)
			keep[i] = i;
	}
	rows = xcalloc(n ? n : 1, sizeof *rows);
	for (i = 0; i < n; i++)
		report_row_fill(r, r->groups[keep[i]], &rows[i]);
	free(keep);
	*nrows = n;
	return rows;
}

static void
report_free(struct report *r)
{
	size_t	i;
	int	h;

	for (i = 0; i < r->ngroups; i++) {
		for (h = 0; h < RW_HOURS; h++) {
			if (r->groups[i]->bins[h] == NULL)
				continue;
			free(r->groups[i]->bins[h]->days);
			free(r->groups[i]->bins[h]->methods);
			free(r->groups[i]->bins[h]->tls.v);
			free(r->groups[i]->bins[h]->tcp.v);
			free(r->groups[i]->bins[h]->dl.v);
			free(r->groups[i]->bins[h]);
		}
		free(r->groups[i]->host);
		free(r->groups[i]->probe_id);
		free(r->groups[i]);
	}
	free(r->groups);
	hindex_clear(&r->index);
	free(r->probe);
}

/* --- output -------------------------------------------------------------- */

/* A number with up to four decimals, trailing zeros dropped. */
static void
put_rate(struct buf *b, double v)
{
	char	s[64];
	size_t	n;

	snprintf(s, sizeof s, "%.4f", v);
	n = strlen(s);
	while (n > 1 && s[n - 1] == '0')
		n--;
	if (s[n - 1] == '.')
		n--;
	buf_add(b, s, n);
}

static void
put_ms(struct buf *b, double v)
{
	if (v < 0)
		buf_addstr(b, "null");
	else
		buf_printf(b, "%.1f", v);
}

static void
put_method(struct buf *b, enum verdict_method m)
{
	const char	*s = rw_method_name(m);

	if (s == NULL)
		buf_addstr(b, "null");
	else
		json_quote(b, s, strlen(s));
}

static void
put_window(struct buf *b, const struct rw_window *w)
{
	buf_printf(b, "{\"kind\": \"%s\", \"start_hour\": %d, "
	    "\"end_hour\": %d, ", w->kind == RW_SLOW ? "slow" : "failure",
	    w->start_hour, w->end_hour);
	if (w->kind == RW_SLOW && w->step == RW_STEP_DOWNLOAD) {
		buf_addstr(b, "\"step\": \"download\", "
		    "\"median_download_kbps\": ");
		put_ms(b, w->median_kbps);
		buf_addstr(b, ", \"baseline_download_kbps\": ");
		put_ms(b, w->baseline_kbps);
	} else if (w->kind == RW_SLOW) {
		buf_addstr(b, "\"median_tls_ms\": ");
		put_ms(b, w->median_ms);
		buf_addstr(b, ", \"baseline_tls_ms\": ");
		put_ms(b, w->baseline_ms);
	} else {
		buf_addstr(b, "\"failure_rate\": ");
		put_rate(b, w->rate);
		buf_addstr(b, ", \"baseline_rate\": ");
		put_rate(b, w->baseline);
		buf_addstr(b, ", \"method\": ");
		put_method(b, w->method);
		buf_printf(b, ", \"status\": \"%s\"",
		    rw_status_name(w->status));
	}
	buf_printf(b, ", \"days\": %d, \"days_seen\": %d}", w->days,
	    w->days_seen);
}

/* One host of the JSON report, as an element of "targets". */
static void
report_json_row(struct buf *b, const struct report_row *row)
{
	const struct rw_hour	*hr;
	size_t			 k;
	int			 h;

	buf_addstr(b, "{\"host\": ");
	json_quote(b, row->host, strlen(row->host));
	if (row->probe_id != NULL) {
		buf_addstr(b, ", \"probe_id\": ");
		json_quote(b, row->probe_id, strlen(row->probe_id));
	}
	if (row->asn != NULL) {
		buf_addstr(b, ", \"asn\": ");
		json_quote(b, row->asn, strlen(row->asn));
	}
	buf_printf(b, ", \"measurements\": %llu, \"hours\": [",
	    (unsigned long long)row->measurements);
	for (h = 0; h < RW_HOURS; h++) {
		hr = &row->hours[h];
		buf_printf(b, "%s{\"hour\": %d, \"n\": %u, "
		    "\"failed\": %u, \"method\": ", h ? ", " : "", h,
		    hr->n, hr->failed);
		put_method(b, rw_dominant_method(hr->method));
		buf_addstr(b, ", \"median_tcp_ms\": ");
		put_ms(b, row->median_tcp[h]);
		buf_addstr(b, ", \"median_tls_ms\": ");
		put_ms(b, row->median_tls[h]);
		/* Only hosts with downloads timed: older reports unchanged. */
		if (row->has_dl) {
			buf_addstr(b, ", \"median_download_kbps\": ");
			put_ms(b, row->median_dl[h] > 0 ?
			    rw_kbps(row->median_dl[h]) : -1);
		}
		buf_addstr(b, "}");
	}
	buf_addstr(b, "], \"all_day\": ");
	if (row->res.all_day) {
		buf_addstr(b, "{\"failure_rate\": ");
		put_rate(b, row->res.whole.rate);
		buf_addstr(b, ", \"method\": ");
		put_method(b, row->res.whole.method);
		buf_printf(b, ", \"status\": \"%s\", \"days\": %d, "
		    "\"days_seen\": %d}",
		    rw_status_name(row->res.whole.status),
		    row->res.whole.days, row->res.whole.days_seen);
	} else
		buf_addstr(b, "null");
	buf_addstr(b, ", \"windows\": [");
	for (k = 0; k < row->res.nfail; k++) {
		if (k)
			buf_addstr(b, ", ");
		put_window(b, &row->res.fail[k]);
	}
	buf_addstr(b, "], \"slow_windows\": [");
	for (k = 0; k < row->res.nslow; k++) {
		if (k)
			buf_addstr(b, ", ");
		put_window(b, &row->res.slow[k]);
	}
	buf_addstr(b, "]}");
}

/* Write and empty b; 0 or -1 (errno set). */
static int
out_flush(struct buf *b, FILE *f)
{
	if (b->len > 0 && fwrite(b->data, 1, b->len, f) != b->len)
		return -1;
	b->len = 0;
	return 0;
}

/*
 * Every host as JSON, written to f host by host: memory holds one row
 * at a time, whatever the number of hosts.  0 or -1 (errno set).
 */
static int
report_json(struct report *r, struct buf *b, FILE *f)
{
	struct report_row	 row;
	size_t			 i;

	report_sort(r);
	buf_addstr(b, "{\"targets\": [");
	for (i = 0; i < r->ngroups; i++) {
		report_row_fill(r, r->groups[i], &row);
		buf_addstr(b, i ? ",\n" : "\n");
		report_json_row(b, &row);
		if (b->len >= 65536 && out_flush(b, f) != 0)
			return -1;
	}
	buf_addstr(b, r->ngroups ? "\n]}\n" : "]}\n");
	return out_flush(b, f);
}

static const char *
status_words(enum verdict_status s)
{
	switch (s) {
	case STATUS_BLOCKED:
		return "blocked";
	case STATUS_INTERCEPTED:
		return "intercepted";
	case STATUS_ANOMALY:
		return "failing (anomaly)";
	case STATUS_DOWN:
		return "down";
	case STATUS_THROTTLED:
		return "throttled";
	default:
		return "failing (error)";
	}
}

static void
heat_cell(struct buf *b, const struct rw_hour *hr)
{
	static const char	*ramp[] = {
		"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586",
		"\u2587", "\u2588"
	};
	double			 rate;
	int			 level;

	if (hr->n == 0) {
		buf_addstr(b, "\u00b7");
		return;
	}
	rate = (double)hr->failed / hr->n;
	if (hr->failed == 0)
		level = 0;
	else {
		level = 1 + (int)(rate * 7);
		if (level > 7)
			level = 7;
	}
	buf_addstr(b, ramp[level]);
}

static void
put_pct(struct buf *b, double v)
{
	buf_printf(b, "%.0f%%", v * 100);
}

static void
report_text(struct buf *b, const struct report_row *rows, size_t n,
    size_t left)
{
	const struct report_row	*row;
	const struct rw_window	*w;
	char			 name[MAX_HOST_LEN * 2 + 8];
	size_t			 i, k, width = 4, len;
	uint64_t		 failed;
	const char		*m;
	int			 h;

	for (i = 0; i < n; i++) {
		len = strlen(rows[i].host) +
		    (rows[i].probe_id ? strlen(rows[i].probe_id) + 3 :
		    rows[i].asn ? strlen(rows[i].asn) + 3 : 0);
		if (len > width)
			width = len;
	}
	if (width > 40)
		width = 40;
	buf_printf(b, "%-*s %9s %6s  ", (int)width, "HOST", "MEASURED",
	    "FAILED");
	for (h = 0; h < RW_HOURS; h += 3)
		buf_printf(b, "%-3d", h);
	buf_addstr(b, " (local hour)\n");
	for (i = 0; i < n; i++) {
		row = &rows[i];
		if (row->probe_id != NULL || row->asn != NULL)
			snprintf(name, sizeof name, "%s (%s)", row->host,
			    row->probe_id != NULL ? row->probe_id : row->asn);
		else
			snprintf(name, sizeof name, "%s", row->host);
		report_sanitize(name);
		failed = 0;
		for (h = 0; h < RW_HOURS; h++)
			failed += row->hours[h].failed;
		buf_printf(b, "%-*s %9llu %5.1f%%  ", (int)width, name,
		    (unsigned long long)row->measurements,
		    row->measurements ? 100.0 * failed / row->measurements :
		    0.0);
		for (h = 0; h < RW_HOURS; h++)
			heat_cell(b, &row->hours[h]);
		buf_addstr(b, "\n");
		if (row->res.all_day) {
			w = &row->res.whole;
			m = rw_method_name(w->method);
			buf_printf(b, "  %s all day on %d/%d days, %s (",
			    status_words(w->status), w->days, w->days_seen,
			    m ? m : "no method");
			put_pct(b, w->rate);
			buf_addstr(b, " of measurements failed)\n");
		}
		for (k = 0; k < row->res.nfail; k++) {
			w = &row->res.fail[k];
			m = rw_method_name(w->method);
			buf_printf(b, "  %s %02d:00\u2013%02d:00 local on "
			    "%d/%d days, %s (", status_words(w->status),
			    w->start_hour, w->end_hour, w->days, w->days_seen,
			    m ? m : "no method");
			put_pct(b, w->rate);
			buf_addstr(b, " failed vs ");
			put_pct(b, w->baseline);
			buf_addstr(b, " at other hours)\n");
		}
		for (k = 0; k < row->res.nslow; k++) {
			w = &row->res.slow[k];
			if (w->step == RW_STEP_DOWNLOAD) {
				buf_printf(b, "  slow %02d:00\u2013%02d:00 local "
				    "on %d/%d days: median download %.1f "
				    "kbit/s vs %.1f kbit/s at other hours\n",
				    w->start_hour, w->end_hour, w->days,
				    w->days_seen, w->median_kbps,
				    w->baseline_kbps);
				continue;
			}
			buf_printf(b, "  slow %02d:00\u2013%02d:00 local on "
			    "%d/%d days: median handshake %.1f ms vs %.1f ms "
			    "at other hours\n", w->start_hour, w->end_hour,
			    w->days, w->days_seen, w->median_ms,
			    w->baseline_ms);
		}
		if (!row->res.all_day && row->res.nfail == 0 &&
		    row->res.nslow == 0)
			buf_addstr(b, "  no window\n");
	}
	if (left > 0)
		buf_printf(b, "%zu more host%s with fewer failures left out "
		    "(--top)\n", left, left == 1 ? "" : "s");
	if (n == 0)
		buf_addstr(b, "no measurements\n");
	else
		buf_addstr(b, "\ncells: \u00b7 no data, \u2581 none failed, "
		    "\u2582\u2583\u2584\u2585\u2586\u2587\u2588 rising "
		    "share failed (\u2588 at least 6/7)\n");
}

static int
parse_date(const char *s, int end, int64_t *out)
{
	if (util_parse_rfc3339_ms(s, out) != 0)
		return -1;
	/* A bare date as --until includes that whole day. */
	if (end && strlen(s) == 10)
		*out += 86400000LL;
	return 0;
}

int
cmd_report(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "by", required_argument, NULL, 'b' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "min-days", required_argument, NULL, 'm' },
		{ "top", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct report		 r;
	struct report_row	*rows = NULL;
	size_t			 nrows = 0, left = 0;
	int			 wrote;
	struct report_svg_opts	 svg;
	struct buf		 out;
	char			*caption = NULL;
	const char		*db = NULL, *output = NULL;
	FILE			*f = NULL;
	long			 l;
	int			 ch, i, ret = 2;

	memset(&r, 0, sizeof r);
	memset(&out, 0, sizeof out);
	r.min_days = 3;
	r.top = 50;
	r.since = INT64_MIN;
	r.until = INT64_MAX;
	r.rng = 0x6e696768746a6172ULL;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				r.format = FORMAT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				r.format = FORMAT_JSON;
			else if (strcmp(optarg, "svg") == 0)
				r.format = FORMAT_SVG;
			else {
				log_error("--format: '%s' is not text, json "
				    "or svg", optarg);
				goto out;
			}
			break;
		case 'o':
			output = optarg;
			break;
		case 'b':
			if (strcmp(optarg, "probe") == 0)
				r.by_probe = 1;
			else if (strcmp(optarg, "asn") == 0)
				r.by_probe = BY_ASN;
			else if (strcmp(optarg, "host") == 0)
				r.by_probe = 0;
			else {
				log_error("--by: '%s' is not probe or asn", optarg);
				goto out;
			}
			break;
		case 's':
			if (parse_date(optarg, 0, &r.since) != 0) {
				log_error("--since: bad date '%s' (want "
				    "YYYY-MM-DD or RFC 3339)", optarg);
				goto out;
			}
			break;
		case 'u':
			if (parse_date(optarg, 1, &r.until) != 0) {
				log_error("--until: bad date '%s' (want "
				    "YYYY-MM-DD or RFC 3339)", optarg);
				goto out;
			}
			break;
		case 'm':
			if (util_parse_long(optarg, 1, 100000, &l) != 0) {
				log_error("--min-days: '%s' is not a number "
				    "from 1 to 100000", optarg);
				goto out;
			}
			r.min_days = (int)l;
			break;
		case 't':
			if (util_parse_long(optarg, 0, 100000000, &l) != 0) {
				log_error("--top: '%s' is not a number from 0 "
				    "(every host) up", optarg);
				goto out;
			}
			r.top = l;
			break;
		case 'h':
			usage(stdout);
			ret = 0;
			goto out;
		default:
			if (optopt != 0 && ch == ':')
				log_error("'%s' needs a value",
				    argv[optind - 1]);
			else
				log_error("unknown option '%s'",
				    argv[optind - 1]);
			fprintf(stderr, "'nightjar report --help' lists the "
			    "options\n");
			goto out;
		}
	}
	if (r.since != INT64_MIN && r.until != INT64_MAX &&
	    r.since >= r.until) {
		log_error("--since is not before --until: no measurement can "
		    "be in between");
		goto out;
	}

	if (optind < argc) {
		for (i = optind; i < argc; i++) {
			if (read_path(&r, argv[i]) != 0)
				goto out;
		}
	} else if (db == NULL) {
		if (read_path(&r, "./results") != 0)
			goto out;
	}
	if (db != NULL && read_db(&r, db) != 0)
		goto out;
	if (r.skipped > 0)
		log_warn("%llu records without a usable target.host, "
		    "start_time, tz_offset or verdict.status skipped",
		    (unsigned long long)r.skipped);

	if (output != NULL) {
		if ((f = fopen(output, "w")) == NULL) {
			log_error("%s: %s", output, strerror(errno));
			goto out;
		}
	} else
		f = stdout;
	if (r.format == FORMAT_JSON)
		wrote = report_json(&r, &out, f);
	else {
		rows = report_top_rows(&r, &nrows, &left);
		if (r.format == FORMAT_TEXT)
			report_text(&out, rows, nrows, left);
		else {
			memset(&svg, 0, sizeof svg);
			svg.caption = caption = report_caption(&r, left);
			report_svg(&out, rows, nrows, &svg);
		}
		wrote = out_flush(&out, f);
	}
	if (wrote != 0 || fflush(f) != 0) {
		log_error("%s: %s", output ? output : "stdout",
		    strerror(errno));
		ret = 1;
		goto out;
	}
	ret = 0;
out:
	if (f != NULL && f != stdout && fclose(f) != 0 && ret == 0) {
		log_error("%s: %s", output, strerror(errno));
		ret = 1;
	}
	free(rows);
	free(caption);
	buf_free(&out);
	report_free(&r);
	return ret;
}
