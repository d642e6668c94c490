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

/* target: {"host": ...} */
static int
read_target(struct mp_cursor *c, struct report_fields *f)
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
		if (r == 0) {
			if (mp_cursor_skip(c) != 0 || mp_cursor_skip(c) != 0)
				return -1;
			continue;
		}
		if (key_is(k, klen, "host")) {
			if (take_str(c, &f->host, &f->hostlen) != 0)
				return -1;
		} else if (mp_cursor_skip(c) != 0)
			return -1;
	}
	return 0;
}

/* verdict: {"status": ..., "method": ...} */
static int
read_verdict(struct mp_cursor *c, struct report_fields *f)
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
		if (r == 0) {
			if (mp_cursor_skip(c) != 0 || mp_cursor_skip(c) != 0)
				return -1;
			continue;
		}
		if (key_is(k, klen, "status")) {
			if (take_str(c, &f->status, &f->statuslen) != 0)
				return -1;
		} else if (key_is(k, klen, "method")) {
			if (take_str(c, &f->method, &f->methodlen) != 0)
				return -1;
		} else if (mp_cursor_skip(c) != 0)
			return -1;
	}
	return 0;
}

/*
 * tcp / tls: arrays of steps.  Keep the first successful steps (failure
 * nil or absent) with a finite t_ms >= 0, and for tls their sni.
 */
static int
read_steps(struct mp_cursor *c, struct report_fields *f, int tls)
{
	struct report_step	 st;
	const char		*k;
	size_t			 klen;
	uint32_t		 n, m, i, j;
	int			 r, ok, is_int, have_t;
	double			 v;
	int64_t			 iv;

	if ((r = mp_cursor_array(c, &n)) <= 0)
		return r < 0 ? -1 : mp_cursor_skip(c);
	for (i = 0; i < n; i++) {
		if ((r = mp_cursor_map(c, &m)) < 0)
			return -1;
		if (r == 0) {
			if (mp_cursor_skip(c) != 0)
				return -1;
			continue;
		}
		memset(&st, 0, sizeof st);
		ok = 1;
		have_t = 0;
		for (j = 0; j < m; j++) {
			if ((r = mp_cursor_str(c, &k, &klen)) < 0)
				return -1;
			if (r == 0) {
				if (mp_cursor_skip(c) != 0 ||
				    mp_cursor_skip(c) != 0)
					return -1;
				continue;
			}
			if (key_is(k, klen, "failure")) {
				if ((r = mp_cursor_nil(c)) < 0)
					return -1;
				if (r == 0) {
					ok = 0;
					if (mp_cursor_skip(c) != 0)
						return -1;
				}
			} else if (key_is(k, klen, "t_ms")) {
				r = mp_cursor_num(c, &v, &iv, &is_int);
				if (r < 0)
					return -1;
				if (r == 0) {
					if (mp_cursor_skip(c) != 0)
						return -1;
				} else if (!have_t) {
					have_t = 1;
					st.t_ms = v;
				}
			} else if (tls && key_is(k, klen, "sni")) {
				if (take_str(c, &st.sni, &st.snilen) != 0)
					return -1;
			} else if (mp_cursor_skip(c) != 0)
				return -1;
		}
		if (!ok || !have_t || !isfinite(st.t_ms) || st.t_ms < 0)
			continue;
		if (tls && f->ntls < REPORT_MAX_STEPS)
			f->tls[f->ntls++] = st;
		else if (!tls && f->tcp_ms < 0)
			f->tcp_ms = st.t_ms;
	}
	return 0;
}

/* The "bytes" of the last sample of a samples array, or -1 when none. */
static int
read_samples(struct mp_cursor *c, double *last)
{
	const char	*k;
	size_t		 klen;
	uint32_t	 n, m, i, j;
	int		 r, is_int;
	double		 v;
	int64_t		 iv;

	*last = -1;
	if ((r = mp_cursor_array(c, &n)) <= 0)
		return r < 0 ? -1 : mp_cursor_skip(c);
	for (i = 0; i < n; i++) {
		if ((r = mp_cursor_map(c, &m)) < 0)
			return -1;
		if (r == 0) {
			if (mp_cursor_skip(c) != 0)
				return -1;
			continue;
		}
		for (j = 0; j < m; j++) {
			if ((r = mp_cursor_str(c, &k, &klen)) < 0)
				return -1;
			if (r == 0) {
				if (mp_cursor_skip(c) != 0 ||
				    mp_cursor_skip(c) != 0)
					return -1;
				continue;
			}
			if (key_is(k, klen, "bytes")) {
				r = mp_cursor_num(c, &v, &iv, &is_int);
				if (r < 0)
					return -1;
				if (r == 0) {
					if (mp_cursor_skip(c) != 0)
						return -1;
				} else if (isfinite(v) && v >= 0)
					*last = v;
			} else if (mp_cursor_skip(c) != 0)
				return -1;
		}
	}
	return 0;
}

/*
 * http: an array of GETs.  Keep those that got an answer (failure nil or
 * absent, a status) with a finite t_ms > 0: their sni, time and bytes.
 */
static int
read_http(struct mp_cursor *c, struct report_fields *f)
{
	struct report_dl	 dl;
	const char		*k;
	size_t			 klen;
	uint32_t		 n, m, i, j;
	int			 r, ok, is_int, have_status;
	double			 v, body, last;
	int64_t			 iv;

	if ((r = mp_cursor_array(c, &n)) <= 0)
		return r < 0 ? -1 : mp_cursor_skip(c);
	for (i = 0; i < n; i++) {
		if ((r = mp_cursor_map(c, &m)) < 0)
			return -1;
		if (r == 0) {
			if (mp_cursor_skip(c) != 0)
				return -1;
			continue;
		}
		memset(&dl, 0, sizeof dl);
		dl.t_ms = -1;
		ok = 1;
		have_status = 0;
		body = last = -1;
		for (j = 0; j < m; j++) {
			if ((r = mp_cursor_str(c, &k, &klen)) < 0)
				return -1;
			if (r == 0) {
				if (mp_cursor_skip(c) != 0 ||
				    mp_cursor_skip(c) != 0)
					return -1;
				continue;
			}
			if (key_is(k, klen, "failure")) {
				if ((r = mp_cursor_nil(c)) == 0) {
					ok = 0;
					r = mp_cursor_skip(c);
				} else if (r > 0)
					r = 0;
			} else if (key_is(k, klen, "sni"))
				r = take_str(c, &dl.sni, &dl.snilen);
			else if (key_is(k, klen, "samples"))
				r = read_samples(c, &last);
			else if (key_is(k, klen, "status") ||
			    key_is(k, klen, "t_ms") ||
			    key_is(k, klen, "body_length")) {
				r = mp_cursor_num(c, &v, &iv, &is_int);
				if (r == 0)
					r = mp_cursor_skip(c);
				else if (r > 0) {
					if (key_is(k, klen, "status"))
						have_status = 1;
					else if (key_is(k, klen, "t_ms"))
						dl.t_ms = v;
					else
						body = v;
					r = 0;
				}
			} else
				r = mp_cursor_skip(c);
			if (r != 0)
				return -1;
		}
		dl.bytes = last >= 0 ? last : body;
		if (!ok || !have_status || !isfinite(dl.t_ms) ||
		    dl.t_ms <= 0 || !isfinite(dl.bytes) || dl.bytes < 0)
			continue;
		if (f->ndl < REPORT_MAX_STEPS)
			f->dl[f->ndl++] = dl;
	}
	return 0;
}

int
report_fields_read(const char *data, size_t len, size_t *used,
    struct report_fields *f)
{
	struct mp_cursor c;
	const char	*k;
	size_t		 klen;
	uint32_t	 n, i;
	int		 r, is_int;
	double		 v;
	int64_t		 iv;

	memset(f, 0, sizeof *f);
	f->tcp_ms = -1;
	mp_cursor_init(&c, data, len, NULL);
	/*
	 * Every byte is read by the cursor's typed steps or skipped by it,
	 * so a record this accepts is one mp_cursor_skip() accepts.
	 */
	if ((r = mp_cursor_map(&c, &n)) <= 0)
		return -1;
	for (i = 0; i < n; i++) {
		if ((r = mp_cursor_str(&c, &k, &klen)) < 0)
			return -1;
		if (r == 0) {
			if (mp_cursor_skip(&c) != 0 || mp_cursor_skip(&c) != 0)
				return -1;
			continue;
		}
		if (key_is(k, klen, "target"))
			r = read_target(&c, f);
		else if (key_is(k, klen, "verdict"))
			r = read_verdict(&c, f);
		else if (key_is(k, klen, "tcp"))
			r = read_steps(&c, f, 0);
		else if (key_is(k, klen, "tls"))
			r = read_steps(&c, f, 1);
		else if (key_is(k, klen, "http"))
			r = read_http(&c, f);
		else if (key_is(k, klen, "start_time"))
			r = take_str(&c, &f->start, &f->startlen);
		else if (key_is(k, klen, "probe_id"))
			r = take_str(&c, &f->probe, &f->probelen);
		else if (key_is(k, klen, "tz_offset")) {
			if ((r = mp_cursor_num(&c, &v, &iv, &is_int)) == 0)
				r = mp_cursor_skip(&c);
			else if (r > 0) {
				if (is_int && !f->has_tz) {
					f->has_tz = 1;
					f->tz = iv;
				}
				r = 0;
			}
		} else
			r = mp_cursor_skip(&c);
		if (r != 0)
			return -1;
	}
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
