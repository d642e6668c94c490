/*
 * Reading the few fields report needs straight from a record's msgpack
 * bytes, without unpacking it: a million records with certificate chains
 * are over a gigabyte, and building every object of every record only to
 * look at nine of them is most of the time report would take.
 *
 * report_fields_read() walks one map; values it does not need are skipped
 * with mp_scan(), which also checks their structure, and the ones it reads
 * are bounds-checked, so a record that is truncated or malformed anywhere
 * is rejected as a whole, as spool_read_file() would.  Fields of the wrong type are left unset (the
 * record is then skipped by report, not the file).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mp.h"
#include "report.h"
#include "spool.h"
#include "xmalloc.h"

struct cur {
	const unsigned char	*p;
	size_t			 len;
	size_t			 pos;
};

static uint64_t
be(const unsigned char *p, size_t n)
{
	uint64_t	v = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static int
skip(struct cur *c)
{
	size_t	used;

	if (mp_scan((const char *)c->p + c->pos, c->len - c->pos, &used) != 0)
		return -1;
	c->pos += used;
	return 0;
}

static int
need(struct cur *c, size_t n)
{
	return c->len - c->pos >= n ? 0 : -1;
}

/*
 * Container header at the cursor: 1 and the count when it is one of the
 * kind wanted (map or array), 0 (cursor unmoved) when it is something
 * else, -1 when truncated.
 */
static int
container(struct cur *c, int map, uint32_t *n)
{
	unsigned char	b;

	if (need(c, 1) != 0)
		return -1;
	b = c->p[c->pos];
	if ((map && b >= 0x80 && b <= 0x8f) || (!map && b >= 0x90 &&
	    b <= 0x9f)) {
		*n = b & 0x0f;
		c->pos++;
		return 1;
	}
	if ((map && b == 0xde) || (!map && b == 0xdc)) {
		if (need(c, 3) != 0)
			return -1;
		*n = (uint32_t)be(c->p + c->pos + 1, 2);
		c->pos += 3;
		return 1;
	}
	if ((map && b == 0xdf) || (!map && b == 0xdd)) {
		if (need(c, 5) != 0)
			return -1;
		*n = (uint32_t)be(c->p + c->pos + 1, 4);
		c->pos += 5;
		return 1;
	}
	return 0;
}

/* A str at the cursor: 1 (and consumed), 0 when not a str, -1 short. */
static int
str(struct cur *c, const char **s, size_t *slen)
{
	unsigned char	b;
	size_t		hdr, n;

	if (need(c, 1) != 0)
		return -1;
	b = c->p[c->pos];
	if (b >= 0xa0 && b <= 0xbf) {
		hdr = 1;
		n = b & 0x1f;
	} else if (b >= 0xd9 && b <= 0xdb) {
		hdr = 1 + ((size_t)1 << (b - 0xd9));
		if (need(c, hdr) != 0)
			return -1;
		n = (size_t)be(c->p + c->pos + 1, hdr - 1);
	} else
		return 0;
	if (need(c, hdr) != 0 || c->len - c->pos - hdr < n)
		return -1;
	*s = (const char *)c->p + c->pos + hdr;
	*slen = n;
	c->pos += hdr + n;
	return 1;
}

/* A number at the cursor (int or float): 1, 0 when not one, -1 short. */
static int
num(struct cur *c, double *v, int64_t *iv, int *is_int)
{
	unsigned char	b;
	uint64_t	u;
	float		f;
	double		d;
	uint32_t	u32;
	size_t		n;

	if (need(c, 1) != 0)
		return -1;
	b = c->p[c->pos];
	*is_int = 1;
	if (b <= 0x7f) {
		*iv = b;
		c->pos++;
	} else if (b >= 0xe0) {
		*iv = (int8_t)b;
		c->pos++;
	} else if (b >= 0xcc && b <= 0xcf) {
		n = (size_t)1 << (b - 0xcc);
		if (need(c, 1 + n) != 0)
			return -1;
		u = be(c->p + c->pos + 1, n);
		c->pos += 1 + n;
		if (u > INT64_MAX) {
			*is_int = 0;
			*v = (double)u;
			return 1;
		}
		*iv = (int64_t)u;
	} else if (b >= 0xd0 && b <= 0xd3) {
		n = (size_t)1 << (b - 0xd0);
		if (need(c, 1 + n) != 0)
			return -1;
		u = be(c->p + c->pos + 1, n);
		c->pos += 1 + n;
		/* Sign-extend the n-byte two's complement value. */
		if (n < 8 && (u >> (8 * n - 1)) & 1)
			u |= ~(uint64_t)0 << (8 * n);
		*iv = (int64_t)u;
	} else if (b == 0xca) {
		if (need(c, 5) != 0)
			return -1;
		u32 = (uint32_t)be(c->p + c->pos + 1, 4);
		memcpy(&f, &u32, sizeof f);
		*is_int = 0;
		*v = f;
		c->pos += 5;
		return 1;
	} else if (b == 0xcb) {
		if (need(c, 9) != 0)
			return -1;
		u = be(c->p + c->pos + 1, 8);
		memcpy(&d, &u, sizeof d);
		*is_int = 0;
		*v = d;
		c->pos += 9;
		return 1;
	} else
		return 0;
	*v = (double)*iv;
	return 1;
}

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
take_str(struct cur *c, const char **s, size_t *slen)
{
	const char	*v;
	size_t		 vlen;
	int		 r;

	if ((r = str(c, &v, &vlen)) < 0)
		return -1;
	if (r == 0)
		return skip(c);
	if (*s == NULL) {
		*s = v;
		*slen = vlen;
	}
	return 0;
}

/* target: {"host": ...} */
static int
read_target(struct cur *c, struct report_fields *f)
{
	const char	*k;
	size_t		 klen;
	uint32_t	 n, i;
	int		 r;

	if ((r = container(c, 1, &n)) <= 0)
		return r < 0 ? -1 : skip(c);
	for (i = 0; i < n; i++) {
		if ((r = str(c, &k, &klen)) < 0)
			return -1;
		if (r == 0) {
			if (skip(c) != 0 || skip(c) != 0)
				return -1;
			continue;
		}
		if (key_is(k, klen, "host")) {
			if (take_str(c, &f->host, &f->hostlen) != 0)
				return -1;
		} else if (skip(c) != 0)
			return -1;
	}
	return 0;
}

/* verdict: {"status": ..., "method": ...} */
static int
read_verdict(struct cur *c, struct report_fields *f)
{
	const char	*k;
	size_t		 klen;
	uint32_t	 n, i;
	int		 r;

	if ((r = container(c, 1, &n)) <= 0)
		return r < 0 ? -1 : skip(c);
	for (i = 0; i < n; i++) {
		if ((r = str(c, &k, &klen)) < 0)
			return -1;
		if (r == 0) {
			if (skip(c) != 0 || skip(c) != 0)
				return -1;
			continue;
		}
		if (key_is(k, klen, "status")) {
			if (take_str(c, &f->status, &f->statuslen) != 0)
				return -1;
		} else if (key_is(k, klen, "method")) {
			if (take_str(c, &f->method, &f->methodlen) != 0)
				return -1;
		} else if (skip(c) != 0)
			return -1;
	}
	return 0;
}

/*
 * tcp / tls: arrays of steps.  Keep the first successful steps (failure
 * nil or absent) with a finite t_ms >= 0, and for tls their sni.
 */
static int
read_steps(struct cur *c, struct report_fields *f, int tls)
{
	struct report_step	 st;
	const char		*k;
	size_t			 klen;
	uint32_t		 n, m, i, j;
	int			 r, ok, is_int, have_t;
	double			 v;
	int64_t			 iv;

	if ((r = container(c, 0, &n)) <= 0)
		return r < 0 ? -1 : skip(c);
	for (i = 0; i < n; i++) {
		if ((r = container(c, 1, &m)) < 0)
			return -1;
		if (r == 0) {
			if (skip(c) != 0)
				return -1;
			continue;
		}
		memset(&st, 0, sizeof st);
		ok = 1;
		have_t = 0;
		for (j = 0; j < m; j++) {
			if ((r = str(c, &k, &klen)) < 0)
				return -1;
			if (r == 0) {
				if (skip(c) != 0 || skip(c) != 0)
					return -1;
				continue;
			}
			if (key_is(k, klen, "failure")) {
				if (need(c, 1) != 0)
					return -1;
				if (c->p[c->pos] != 0xc0)
					ok = 0;
				if (skip(c) != 0)
					return -1;
			} else if (key_is(k, klen, "t_ms")) {
				if ((r = num(c, &v, &iv, &is_int)) < 0)
					return -1;
				if (r == 0) {
					if (skip(c) != 0)
						return -1;
				} else if (!have_t) {
					have_t = 1;
					st.t_ms = v;
				}
			} else if (tls && key_is(k, klen, "sni")) {
				if (take_str(c, &st.sni, &st.snilen) != 0)
					return -1;
			} else if (skip(c) != 0)
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
read_samples(struct cur *c, double *last)
{
	const char	*k;
	size_t		 klen;
	uint32_t	 n, m, i, j;
	int		 r, is_int;
	double		 v;
	int64_t		 iv;

	*last = -1;
	if ((r = container(c, 0, &n)) <= 0)
		return r < 0 ? -1 : skip(c);
	for (i = 0; i < n; i++) {
		if ((r = container(c, 1, &m)) < 0)
			return -1;
		if (r == 0) {
			if (skip(c) != 0)
				return -1;
			continue;
		}
		for (j = 0; j < m; j++) {
			if ((r = str(c, &k, &klen)) < 0)
				return -1;
			if (r == 0) {
				if (skip(c) != 0 || skip(c) != 0)
					return -1;
				continue;
			}
			if (key_is(k, klen, "bytes")) {
				if ((r = num(c, &v, &iv, &is_int)) < 0)
					return -1;
				if (r == 0) {
					if (skip(c) != 0)
						return -1;
				} else if (isfinite(v) && v >= 0)
					*last = v;
			} else if (skip(c) != 0)
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
read_http(struct cur *c, struct report_fields *f)
{
	struct report_dl	 dl;
	const char		*k;
	size_t			 klen;
	uint32_t		 n, m, i, j;
	int			 r, ok, is_int, have_status;
	double			 v, body, last;
	int64_t			 iv;

	if ((r = container(c, 0, &n)) <= 0)
		return r < 0 ? -1 : skip(c);
	for (i = 0; i < n; i++) {
		if ((r = container(c, 1, &m)) < 0)
			return -1;
		if (r == 0) {
			if (skip(c) != 0)
				return -1;
			continue;
		}
		memset(&dl, 0, sizeof dl);
		dl.t_ms = -1;
		ok = 1;
		have_status = 0;
		body = last = -1;
		for (j = 0; j < m; j++) {
			if ((r = str(c, &k, &klen)) < 0)
				return -1;
			if (r == 0) {
				if (skip(c) != 0 || skip(c) != 0)
					return -1;
				continue;
			}
			if (key_is(k, klen, "failure")) {
				if (need(c, 1) != 0)
					return -1;
				if (c->p[c->pos] != 0xc0)
					ok = 0;
				r = skip(c);
			} else if (key_is(k, klen, "sni"))
				r = take_str(c, &dl.sni, &dl.snilen);
			else if (key_is(k, klen, "samples"))
				r = read_samples(c, &last);
			else if (key_is(k, klen, "status") ||
			    key_is(k, klen, "t_ms") ||
			    key_is(k, klen, "body_length")) {
				if ((r = num(c, &v, &iv, &is_int)) == 0)
					r = skip(c);
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
				r = skip(c);
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
	struct cur	 c = { (const unsigned char *)data, len, 0 };
	const char	*k;
	size_t		 klen;
	uint32_t	 n, i;
	int		 r, is_int;
	double		 v;
	int64_t		 iv;

	memset(f, 0, sizeof *f);
	f->tcp_ms = -1;
	/*
	 * Every byte is either parsed here with bounds checks or skipped by
	 * mp_scan(), so a record this accepts is one mp_scan() accepts.
	 */
	if ((r = container(&c, 1, &n)) <= 0)
		return -1;
	for (i = 0; i < n; i++) {
		if ((r = str(&c, &k, &klen)) < 0)
			return -1;
		if (r == 0) {
			if (skip(&c) != 0 || skip(&c) != 0)
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
			if ((r = num(&c, &v, &iv, &is_int)) == 0)
				r = skip(&c);
			else if (r > 0) {
				if (is_int && !f->has_tz) {
					f->has_tz = 1;
					f->tz = iv;
				}
				r = 0;
			}
		} else
			r = skip(&c);
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
