/*
 * The HTTP part of the verdict (see verdict-http.h).
 *
 * Which GETs are whose: an http entry without SNI (plain HTTP) or with the
 * target's name as SNI is the target's; one whose SNI is another name is
 * the --control-sni baseline on that address.  The vantage's GETs are the
 * record's control.http.
 *
 * Download speed is compared over the same number of body bytes (the
 * smaller of the two bodies), from the first bytes received to the
 * sample that holds them all, so that the time a server takes to think
 * and a body's size do not count, only how fast the bytes came.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "verdict-http.h"
#include "xmalloc.h"

#define VH_DETAIL_MAX	512

static void __attribute__((format(printf, 4, 5)))
vh_set(struct rec_verdict *out, enum verdict_status status,
    enum verdict_method method, const char *fmt, ...)
{
	char	buf[VH_DETAIL_MAX];
	va_list	ap;
	size_t	i;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	for (i = 0; buf[i] != '\0'; i++) {
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = ' ';
	}
	memset(out, 0, sizeof *out);
	out->status = status;
	out->method = method;
	out->detail = xstrdup(buf);
}

static const char *
str(const char *s)
{
	return s != NULL ? s : "?";
}

static int
same_host(const char *a, const char *b)
{
	size_t	la, lb;

	if (a == NULL || b == NULL)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* The target's own GET (plain HTTP, or TLS with the target's SNI). */
static int
http_is_target(const struct record *r, const struct rec_http *h)
{
	return h->sni == NULL || same_host(h->sni, r->target.host);
}

static int
ip_same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

int
verdict_http_blockpage(const struct record *r, struct rec_verdict *out)
{
	const struct rec_http	*h;
	size_t			 i;

	for (i = 0; i < r->n_http; i++) {
		h = &r->http[i];
		if (h->blockpage == NULL || !http_is_target(r, h))
			continue;
		vh_set(out, STATUS_BLOCKED, METHOD_HTTP_BLOCKPAGE,
		    "%s is blocked: the HTTP response to %s from %s is the "
		    "blockpage '%s'%s%s.", str(r->target.host), str(h->url),
		    str(h->ip), h->blockpage,
		    h->location != NULL ? ", redirecting to " : "",
		    h->location != NULL ? h->location : "");
		out->blockpage = xstrdup(h->blockpage);
		return 1;
	}
	return 0;
}

static enum verdict_method
http_method(const struct rec_http *h)
{
	if (h->failure == NULL || h->status != 0)
		return METHOD_NONE;
	if (strcmp(h->failure, "connection_reset") == 0 ||
	    strcmp(h->failure, "eof_error") == 0)
		return METHOD_HTTP_RESET;
	if (strcmp(h->failure, "generic_timeout_error") == 0)
		return METHOD_HTTP_TIMEOUT;
	return METHOD_NONE;
}

const struct rec_http *
verdict_http_answered(const struct record *r)
{
	size_t	i;

	for (i = 0; i < r->n_http; i++) {
		if (http_is_target(r, &r->http[i]) && r->http[i].status != 0)
			return &r->http[i];
	}
	return NULL;
}

int
verdict_http_failure(const struct record *r, struct rec_verdict *out)
{
	const struct rec_http	*h = NULL, *v;
	enum verdict_method	 m = METHOD_NONE;
	size_t			 i, n_vfail = 0;
	int			 v_answered = 0;

	if (verdict_http_answered(r) != NULL)
		return 0;
	for (i = 0; i < r->n_http && m == METHOD_NONE; i++) {
		h = &r->http[i];
		if (http_is_target(r, h))
			m = http_method(h);
	}
	if (m == METHOD_NONE)
		return 0;
	if (r->control != NULL && r->control->failure == NULL) {
		for (i = 0; i < r->control->n_http; i++) {
			v = &r->control->http[i];
			if (v->status != 0)
				v_answered = 1;
			else if (v->failure != NULL)
				n_vfail++;
		}
	}
	if (v_answered) {
		vh_set(out, STATUS_BLOCKED, m, "%s is blocked: the request to "
		    "%s at %s was %s after the connection succeeded, while the "
		    "vantage got an answer.", str(r->target.host),
		    str(h->url), str(h->ip), m == METHOD_HTTP_RESET ?
		    "cut off" : "never answered");
	} else if (n_vfail > 0) {
		vh_set(out, STATUS_DOWN, m, "%s is down: the request to %s "
		    "failed (%s) and the vantage's failed too.",
		    str(r->target.host), str(h->url), str(h->failure));
	} else {
		vh_set(out, STATUS_ANOMALY, m, "The request to %s at %s failed "
		    "(%s) after the connection succeeded, and no vantage "
		    "answer tells blocking from an outage.", str(h->url),
		    str(h->ip), str(h->failure));
	}
	return 1;
}

int
throttle_slower(double t, double b)
{
	if (t < 0 || b < 0)
		return 0;
	return t >= THROTTLE_FACTOR * b && t - b >= THROTTLE_MIN_MS;
}

double
http_download_ms(const struct rec_http *h, uint64_t n)
{
	size_t	i;

	if (h->n_samples == 0)
		return -1;
	for (i = 0; i < h->n_samples; i++) {
		if (h->samples[i].bytes >= n)
			return h->samples[i].t_ms - h->samples[0].t_ms;
	}
	return -1;
}

static uint64_t
http_got(const struct rec_http *h)
{
	return h->n_samples > 0 ? h->samples[h->n_samples - 1].bytes : 0;
}

/* Is the target's download t throttled against baseline b? */
static int
download_slower(const struct rec_http *t, const struct rec_http *b,
    double *tms, double *bms)
{
	uint64_t	n;

	if (t->n_samples == 0 || b->n_samples == 0)
		return 0;
	n = http_got(t) < http_got(b) ? http_got(t) : http_got(b);
	if (n == 0)
		return 0;
	*tms = http_download_ms(t, n);
	*bms = http_download_ms(b, n);
	return throttle_slower(*tms, *bms);
}

int
verdict_download_slower(const struct rec_http *t, const struct rec_http *b)
{
	double	tms, bms;

	return download_slower(t, b, &tms, &bms);
}

static int
tls_done(const struct rec_tls *t)
{
	return t->failure == NULL && t->n_chain > 0;
}

/* A --control-sni handshake (not the target's) that completed. */
static int
tls_baseline(const struct record *r, const struct rec_tls *c,
    const struct rec_tls *t)
{
	return c->sni != NULL && !same_host(c->sni, r->target.host) &&
	    tls_done(c) && c->port == t->port && ip_same(c->ip, t->ip);
}

/* A completed handshake with the target's own name (or none: an IP). */
static int
tls_target(const struct record *r, const struct rec_tls *t)
{
	return tls_done(t) && (t->sni == NULL ||
	    same_host(t->sni, r->target.host));
}

/*
 * Is t slower than every control-SNI baseline on its address?  *best gets
 * the slowest of them (NULL: none, then not slower).
 */
static int
tls_slower_all(const struct record *r, const struct rec_tls *t,
    const struct rec_tls **best)
{
	const struct rec_tls	*c;
	size_t			 j;

	*best = NULL;
	for (j = 0; j < r->n_tls; j++) {
		c = &r->tls[j];
		if (!tls_baseline(r, c, t))
			continue;
		if (!throttle_slower(t->t_ms, c->t_ms))
			return 0;
		if (*best == NULL || c->t_ms > (*best)->t_ms)
			*best = c;
	}
	return *best != NULL;
}

/* The same for a download, against the control SNI's downloads there. */
static int
http_slower_all(const struct record *r, const struct rec_http *h,
    const struct rec_http **best)
{
	const struct rec_http	*b;
	double			 tms, bms;
	size_t			 j;

	*best = NULL;
	for (j = 0; j < r->n_http; j++) {
		b = &r->http[j];
		if (http_is_target(r, b) || !ip_same(b->ip, h->ip) ||
		    b->n_samples == 0)
			continue;
		if (!download_slower(h, b, &tms, &bms))
			return 0;
		*best = b;
	}
	return *best != NULL;
}

/*
 * Every baseline on the address is the comparison: one taken when the
 * round reached the address, and one taken again right after a target
 * looked slow (the probe's own machine or link being busy at that moment
 * slows that one down too).  The target was measured again beside that
 * second baseline, at the same moment: every one of its handshakes (and
 * downloads) on the address must be slower than every baseline, so a
 * target that only looked slow while the probe's machine was busy (its
 * handshake queued behind hundreds of others) is not throttled.
 */
int
verdict_throttled(const struct record *r, const char *control_sni,
    struct rec_verdict *out)
{
	const struct rec_tls	*t, *c, *best, *cb;
	const struct rec_http	*h, *b, *bestb, *bb;
	double			 tms, bms;
	size_t			 i, j;

	(void)control_sni;
	/* The handshake, against the control SNI's on the same address. */
	for (i = 0; i < r->n_tls; i++) {
		t = &r->tls[i];
		if (!tls_target(r, t) || !tls_slower_all(r, t, &best))
			continue;
		for (j = 0; j < r->n_tls; j++) {
			c = &r->tls[j];
			if (c != t && tls_target(r, c) && c->port == t->port &&
			    ip_same(c->ip, t->ip) && !tls_slower_all(r, c, &cb))
				break;
		}
		if (j < r->n_tls)
			continue;
		vh_set(out, STATUS_THROTTLED, METHOD_TLS_THROTTLED,
		    "%s is throttled: at %s the TLS handshake took %.0f ms, "
		    "while the same handshake with SNI %s took %.0f ms.",
		    str(r->target.host), str(t->ip), t->t_ms, best->sni,
		    best->t_ms);
		return 1;
	}
	/* The download, against the control SNI's or the vantage's. */
	for (i = 0; i < r->n_http; i++) {
		h = &r->http[i];
		if (!http_is_target(r, h) || h->n_samples == 0)
			continue;
		if (http_slower_all(r, h, &bestb)) {
			for (j = 0; j < r->n_http; j++) {
				b = &r->http[j];
				if (b != h && http_is_target(r, b) &&
				    b->n_samples > 0 && ip_same(b->ip, h->ip) &&
				    !http_slower_all(r, b, &bb))
					break;
			}
			if (j < r->n_http)
				continue;
			download_slower(h, bestb, &tms, &bms);
			vh_set(out, STATUS_THROTTLED, METHOD_HTTP_THROTTLED,
			    "%s is throttled: at %s its download took %.0f ms "
			    "where the same bytes with SNI %s took %.0f ms.",
			    str(r->target.host), str(h->ip), tms,
			    str(bestb->sni), bms);
			return 1;
		}
		if (r->control == NULL || r->control->failure != NULL)
			continue;
		for (j = 0; j < r->control->n_http; j++) {
			b = &r->control->http[j];
			if (!download_slower(h, b, &tms, &bms))
				continue;
			vh_set(out, STATUS_THROTTLED, METHOD_HTTP_THROTTLED,
			    "%s is throttled: its download took %.0f ms where "
			    "the vantage got the same bytes in %.0f ms.",
			    str(r->target.host), tms, bms);
			return 1;
		}
	}
	return 0;
}
