/*
 * Reading the few fields report needs straight from a record's msgpack
 * bytes, without unpacking it: a million records with certificate chains
 * are over a gigabyte, and building every object of every record only to
 * look at nine of them is most of the time report would take.
 *
 * report_fields_read() walks one map with the bounded cursor
 * (lib/mp-cursor.h): values it does not need are skipped, which also
 * checks their structure, and the ones it reads are bounds-checked, so a
 * record that is truncated or malformed anywhere is rejected as a whole,
 * as spool_read_file() would.  Fields of the wrong type are left unset
 * (the record is then skipped by report, not the file).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mp-cursor.h"
#include "mp.h"
#include "report.h"
#include "xmalloc.h"

static int
key_is(const char *k, size_t klen, const char *want)
{
	return strlen(want) == klen && memcmp(k, want, klen) == 0;
}

/*
 * Called with the cursor at the value of key k; must step past it (read
 * it, or mp_cursor_skip).  0 or -1.
 */
typedef int (*key_fn)(struct mp_cursor *, const char *k, size_t klen,
    void *arg);

/*
 * The map at the cursor: fn for each str key, other keys skipped with
 * their values.  A value that is not a map is skipped (the fields it
 * would hold stay unset).  0, or -1 when malformed.
 */
static int
each_key(struct mp_cursor *c, key_fn fn, void *arg)
{
	const char	*k;
	size_t		 klen;
	uint32_t	 n, i;
	int		 r;

	if ((r = mp_cursor_map(c, &n)) <= 0)
		return r < 0 ? -1 : mp_cursor_skip(c);
	for (i = 0; i < n; i++) {
		if ((r = mp_cursor_str(c, &k, &klen)) < 0)
			return -1;
		if (r == 0)
			r = mp_cursor_skip(c) != 0 ? -1 : mp_cursor_skip(c);
		else
			r = fn(c, k, klen, arg);
		if (r != 0)
			return -1;
	}
	return 0;
}

/*
 * The array at the cursor: for each element, start then each_key(fn)
 * then end (start and end may be NULL); an element that is not a map
 * is skipped, and so is a value that is not an array.
 */
static int
each_map(struct mp_cursor *c, void (*start)(void *), key_fn fn,
    void (*end)(void *), void *arg)
{
	uint32_t	n, i;
	int		r;

	if ((r = mp_cursor_array(c, &n)) <= 0)
		return r < 0 ? -1 : mp_cursor_skip(c);
	for (i = 0; i < n; i++) {
		if (start != NULL)
			start(arg);
		if (each_key(c, fn, arg) != 0)
			return -1;
		if (end != NULL)
			end(arg);
	}
	return 0;
}

/*
 * The value at the cursor if it is a str (consumed), else skipped; a str
 * is only taken the first time a key is seen (*s still NULL).
 */
static int
take_str(struct mp_cursor *c, const char **s, size_t *slen)
{
	const char	*v;
	size_t		 vlen;
	int		 r;

	if ((r = mp_cursor_str(c, &v, &vlen)) < 0)
		return -1;
	if (r == 0)
		return mp_cursor_skip(c);
	if (*s == NULL) {
		*s = v;
		*slen = vlen;
	}
	return 0;
}

/* A number at the cursor: 1 (read), 0 (something else, skipped), -1. */
static int
take_num(struct mp_cursor *c, double *v, int64_t *iv, int *is_int)
{
	int	r;

	if ((r = mp_cursor_num(c, v, iv, is_int)) == 0)
		return mp_cursor_skip(c) != 0 ? -1 : 0;
	return r;
}

/* failure: nil (or absent) is a success; anything else clears *ok. */
static int
take_failure(struct mp_cursor *c, int *ok)
{
	int	r;

	if ((r = mp_cursor_nil(c)) < 0)
		return -1;
	if (r == 0) {
		*ok = 0;
		return mp_cursor_skip(c);
	}
	return 0;
}

/* target: {"host": ...}, verdict: {"status": ..., "method": ...} */
static int
target_key(struct mp_cursor *c, const char *k, size_t klen, void *arg)
{
	struct report_fields	*f = arg;

	if (key_is(k, klen, "host"))
		return take_str(c, &f->host, &f->hostlen);
	return mp_cursor_skip(c);
}

static int
verdict_key(struct mp_cursor *c, const char *k, size_t klen, void *arg)
{
	struct report_fields	*f = arg;

	if (key_is(k, klen, "status"))
		return take_str(c, &f->status, &f->statuslen);
	if (key_is(k, klen, "method"))
		return take_str(c, &f->method, &f->methodlen);
	return mp_cursor_skip(c);
}

/*
 * tcp / tls: arrays of steps.  Keep the first successful steps (failure
 * nil or absent) with a finite t_ms >= 0, and for tls their sni.
 */
struct step_read {
	struct report_fields	*f;
	int			 tls;
	struct report_step	 st;
	int			 ok;
	int			 have_t;
};

static void
step_start(void *arg)
{
	struct step_read	*s = arg;

	memset(&s->st, 0, sizeof s->st);
	s->ok = 1;
	s->have_t = 0;
}

static int
step_key(struct mp_cursor *c, const char *k, size_t klen, void *arg)
{
	struct step_read	*s = arg;
	double			 v;
	int64_t			 iv;
	int			 r, is_int;

	if (key_is(k, klen, "failure"))
		return take_failure(c, &s->ok);
	if (s->tls && key_is(k, klen, "sni"))
		return take_str(c, &s->st.sni, &s->st.snilen);
	if (!key_is(k, klen, "t_ms"))
		return mp_cursor_skip(c);
	if ((r = take_num(c, &v, &iv, &is_int)) <= 0)
		return r;
	if (!s->have_t) {
		s->have_t = 1;
		s->st.t_ms = v;
	}
	return 0;
}

static void
step_end(void *arg)
{
	struct step_read	*s = arg;
	struct report_fields	*f = s->f;

	if (!s->ok || !s->have_t || !isfinite(s->st.t_ms) || s->st.t_ms < 0)
		return;
	if (s->tls && f->ntls < REPORT_MAX_STEPS)
		f->tls[f->ntls++] = s->st;
	else if (!s->tls && f->tcp_ms < 0)
		f->tcp_ms = s->st.t_ms;
}

/*
 * http: an array of GETs.  Keep those that got an answer (failure nil or
 * absent, a status) with a finite t_ms > 0: their sni, time and bytes
 * (the last sample's, else body_length).
 */
struct dl_read {
	struct report_fields	*f;
	struct report_dl	 dl;
	int			 ok;
	int			 have_status;
	double			 body;
	double			 last;
};

static int
sample_key(struct mp_cursor *c, const char *k, size_t klen, void *arg)
{
	struct dl_read	*d = arg;
	double		 v;
	int64_t		 iv;
	int		 r, is_int;

	if (!key_is(k, klen, "bytes"))
		return mp_cursor_skip(c);
	if ((r = take_num(c, &v, &iv, &is_int)) < 0)
		return -1;
	if (r > 0 && isfinite(v) && v >= 0)
		d->last = v;
	return 0;
}

static void
dl_start(void *arg)
{
	struct dl_read	*d = arg;

	memset(&d->dl, 0, sizeof d->dl);
	d->dl.t_ms = -1;
	d->ok = 1;
	d->have_status = 0;
	d->body = d->last = -1;
}

static int
dl_key(struct mp_cursor *c, const char *k, size_t klen, void *arg)
{
	struct dl_read	*d = arg;
	double		 v;
	int64_t		 iv;
	int		 r, is_int;

	if (key_is(k, klen, "failure"))
		return take_failure(c, &d->ok);
	if (key_is(k, klen, "sni"))
		return take_str(c, &d->dl.sni, &d->dl.snilen);
	if (key_is(k, klen, "samples")) {
		d->last = -1;
		return each_map(c, NULL, sample_key, NULL, d);
	}
	if (!key_is(k, klen, "status") && !key_is(k, klen, "t_ms") &&
	    !key_is(k, klen, "body_length"))
		return mp_cursor_skip(c);
	if ((r = take_num(c, &v, &iv, &is_int)) <= 0)
		return r;
	if (key_is(k, klen, "status"))
		d->have_status = 1;
	else if (key_is(k, klen, "t_ms"))
		d->dl.t_ms = v;
	else
		d->body = v;
	return 0;
}

static void
dl_end(void *arg)
{
	struct dl_read		*d = arg;
	struct report_fields	*f = d->f;

	d->dl.bytes = d->last >= 0 ? d->last : d->body;
	if (!d->ok || !d->have_status || !isfinite(d->dl.t_ms) ||
	    d->dl.t_ms <= 0 || !isfinite(d->dl.bytes) || d->dl.bytes < 0)
		return;
	if (f->ndl < REPORT_MAX_STEPS)
		f->dl[f->ndl++] = d->dl;
}

static int
record_key(struct mp_cursor *c, const char *k, size_t klen, void *arg)
{
	struct report_fields	*f = arg;
	struct step_read	 s = { f, 0, { 0 }, 0, 0 };
	struct dl_read		 d = { f, { 0 }, 0, 0, 0, 0 };
	double			 v;
	int64_t			 iv;
	int			 r, is_int;

	if (key_is(k, klen, "target"))
		return each_key(c, target_key, f);
	if (key_is(k, klen, "verdict"))
		return each_key(c, verdict_key, f);
	if (key_is(k, klen, "tcp") || key_is(k, klen, "tls")) {
		s.tls = key_is(k, klen, "tls");
		return each_map(c, step_start, step_key, step_end, &s);
	}
	if (key_is(k, klen, "http"))
		return each_map(c, dl_start, dl_key, dl_end, &d);
	if (key_is(k, klen, "start_time"))
		return take_str(c, &f->start, &f->startlen);
	if (key_is(k, klen, "probe_id"))
		return take_str(c, &f->probe, &f->probelen);
	if (!key_is(k, klen, "tz_offset"))
		return mp_cursor_skip(c);
	if ((r = take_num(c, &v, &iv, &is_int)) <= 0)
		return r;
	if (is_int && !f->has_tz) {
		f->has_tz = 1;
		f->tz = iv;
	}
	return 0;
}

int
report_fields_read(const char *data, size_t len, size_t *used,
    struct report_fields *f)
{
	struct mp_cursor	c;
	uint32_t		n;

	memset(f, 0, sizeof *f);
	f->tcp_ms = -1;
	mp_cursor_init(&c, data, len, NULL);
	/*
	 * Every byte is read by the cursor's typed steps or skipped by it,
	 * so a record this accepts is one mp_cursor_skip() accepts.
	 */
	if (mp_cursor_map(&c, &n) <= 0)
		return -1;
	c.pos = 0;
	if (each_key(&c, record_key, f) != 0)
		return -1;
	*used = c.pos;
	return 0;
}

/* The handshake time of the target's own SNI (not a control SNI), or -1. */
double
report_fields_tls_ms(const struct report_fields *f)
{
	size_t	i;

	for (i = 0; i < f->ntls; i++) {
		if (f->tls[i].sni == NULL ||
		    (f->tls[i].snilen == f->hostlen &&
		    memcmp(f->tls[i].sni, f->host, f->hostlen) == 0))
			return f->tls[i].t_ms;
	}
	return -1;
}

/* Smaller answers say more about latency than about speed. */
#define DL_MIN_BYTES	1024

double
report_fields_dl_cost(const struct report_fields *f)
{
	size_t	i;

	for (i = 0; i < f->ndl; i++) {
		if (f->dl[i].sni != NULL && (f->dl[i].snilen != f->hostlen ||
		    memcmp(f->dl[i].sni, f->host, f->hostlen) != 0))
			continue;
		if (f->dl[i].bytes < DL_MIN_BYTES)
			continue;
		return f->dl[i].t_ms / (f->dl[i].bytes / 1000);
	}
	return -1;
}
