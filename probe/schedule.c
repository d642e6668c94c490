/*
 * Round start times: --interval or --schedule SPEC (see schedule.h).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schedule.h"
#include "xmalloc.h"

#define DAY	86400L

struct schedule_window {
	long	start;		/* seconds of the local day, [0, DAY) */
	long	end;		/* exclusive, (0, DAY]; < start crosses midnight */
	long	interval;
};

struct schedule {
	struct schedule_window	 w[SCHEDULE_MAX_WINDOWS];
	size_t			 n;
	long			 rest;		/* outside every window */
	long			 bound[2 * SCHEDULE_MAX_WINDOWS];
	size_t			 nbound;	/* sorted, unique, [0, DAY) */
	char			*text;
};

static struct schedule *
schedule_alloc(long rest)
{
	struct schedule	*s;

	s = xcalloc(1, sizeof *s);
	s->rest = rest < 1 ? 1 : rest;
	return s;
}

struct schedule *
schedule_new(long interval_s)
{
	struct schedule	*s;

	s = schedule_alloc(interval_s);
	xasprintf(&s->text, "*=%lds", s->rest);
	return s;
}

void
schedule_free(struct schedule *s)
{
	if (s == NULL)
		return;
	free(s->text);
	free(s);
}

const char *
schedule_describe(const struct schedule *s)
{
	return s->text;
}

/* Copy [p, p + len) without surrounding blanks. */
static char *
trimdup(const char *p, size_t len)
{
	while (len > 0 && isspace((unsigned char)*p)) {
		p++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)p[len - 1]))
		len--;
	return xstrndup(p, len);
}

/* "H[H]:MM[:SS]" into seconds of the day; 24:00 only when is_end. */
static int
parse_clock(const char *s, int is_end, long *out, char **cause)
{
	const char	*p = s;
	long		 f[3] = { 0, 0, 0 };
	int		 i, nd;

	for (i = 0; i < 3; i++) {
		nd = 0;
		while (isdigit((unsigned char)*p) && nd < 3) {
			f[i] = f[i] * 10 + (*p - '0');
			p++;
			nd++;
		}
		if (nd == 0 || nd > 2 || (i > 0 && nd != 2))
			goto bad;
		if (*p != ':')
			break;
		p++;
	}
	if (*p != '\0' || i == 0)
		goto bad;
	if (f[0] > 24) {
		xasprintf(cause, "'%s': hour out of range (00-24)", s);
		return -1;
	}
	if (f[1] > 59 || f[2] > 59) {
		xasprintf(cause, "'%s': %s out of range (00-59)", s,
		    f[1] > 59 ? "minute" : "second");
		return -1;
	}
	if (f[0] == 24 && (f[1] != 0 || f[2] != 0)) {
		xasprintf(cause, "'%s': hour out of range (00-24)", s);
		return -1;
	}
	if (f[0] == 24 && !is_end) {
		xasprintf(cause, "'%s': 24:00 can only end a window", s);
		return -1;
	}
	*out = f[0] * 3600 + f[1] * 60 + f[2];
	return 0;
bad:
	xasprintf(cause, "'%s': expected a time HH:MM or HH:MM:SS", s);
	return -1;
}

/* "5m", "90s", "1h", "300": seconds in [1, SCHEDULE_MAX_INTERVAL]. */
static int
parse_interval(const char *s, long *out, char **cause)
{
	const char	*p = s;
	long		 v = 0, mult = 1;

	if (!isdigit((unsigned char)*p)) {
		xasprintf(cause, "'%s': expected an interval such as 90s, 5m "
		    "or 1h", s);
		return -1;
	}
	while (isdigit((unsigned char)*p)) {
		if (v > SCHEDULE_MAX_INTERVAL)
			break;
		v = v * 10 + (*p - '0');
		p++;
	}
	while (isdigit((unsigned char)*p))
		p++;
	switch (*p) {
	case '\0':
		break;
	case 's':
		p++;
		break;
	case 'm':
		mult = 60;
		p++;
		break;
	case 'h':
		mult = 3600;
		p++;
		break;
	default:
		xasprintf(cause, "'%s': unknown unit '%c' (use s, m or h)",
		    s, *p);
		return -1;
	}
	if (*p != '\0') {
		xasprintf(cause, "'%s': trailing characters after the unit", s);
		return -1;
	}
	if (v == 0) {
		xasprintf(cause, "'%s': interval must be at least 1 second", s);
		return -1;
	}
	if (v > SCHEDULE_MAX_INTERVAL / mult) {
		xasprintf(cause, "'%s': interval longer than 24h", s);
		return -1;
	}
	*out = v * mult;
	return 0;
}

/* The linear pieces of a window: one, or two when it crosses midnight. */
static int
window_pieces(const struct schedule_window *w, long piece[2][2])
{
	if (w->start < w->end) {
		piece[0][0] = w->start;
		piece[0][1] = w->end;
		return 1;
	}
	piece[0][0] = w->start;
	piece[0][1] = DAY;
	piece[1][0] = 0;
	piece[1][1] = w->end;
	return 2;
}

static int
windows_overlap(const struct schedule_window *a,
    const struct schedule_window *b)
{
	long	pa[2][2], pb[2][2];
	int	na, nb, i, j;

	na = window_pieces(a, pa);
	nb = window_pieces(b, pb);
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++) {
			if (pa[i][0] < pb[j][1] && pb[j][0] < pa[i][1])
				return 1;
		}
	}
	return 0;
}

static void
format_clock(long sod, char *buf, size_t len)
{
	int	h, m, sec;

	h = (int)(sod / 3600 % 100);
	m = (int)(sod / 60 % 60);
	sec = (int)(sod % 60);
	snprintf(buf, len, "%02d:%02d:%02d", h, m, sec);
}

static void
add_bound(struct schedule *s, long sod)
{
	size_t	i;

	sod %= DAY;
	for (i = 0; i < s->nbound; i++) {
		if (s->bound[i] == sod)
			return;
	}
	i = s->nbound++;
	while (i > 0 && s->bound[i - 1] > sod) {
		s->bound[i] = s->bound[i - 1];
		i--;
	}
	s->bound[i] = sod;
}

static void
build_text(struct schedule *s, int have_star)
{
	char	*t, *n, a[16], b[16];
	size_t	 i;

	t = xstrdup("");
	for (i = 0; i < s->n; i++) {
		format_clock(s->w[i].start, a, sizeof a);
		format_clock(s->w[i].end, b, sizeof b);
		if (s->w[i].end == DAY)
			snprintf(b, sizeof b, "24:00:00");
		xasprintf(&n, "%s%s%s-%s=%lds", t, i ? "," : "", a, b,
		    s->w[i].interval);
		free(t);
		t = n;
	}
	xasprintf(&n, "%s%s*=%lds%s", t, s->n ? "," : "", s->rest,
	    have_star ? "" : " (--interval)");
	free(t);
	s->text = n;
}

static int
parse_item(struct schedule *s, const char *item, int *have_star,
    char **cause)
{
	struct schedule_window	 w;
	char			*lhs = NULL, *rhs = NULL, *a = NULL, *b = NULL;
	const char		*eq, *dash;
	long			 interval;
	size_t			 i;
	int			 rc = -1;

	if ((eq = strchr(item, '=')) == NULL) {
		xasprintf(cause, "'%s': missing '=INTERVAL'", item);
		goto out;
	}
	lhs = trimdup(item, eq - item);
	rhs = trimdup(eq + 1, strlen(eq + 1));
	if (parse_interval(rhs, &interval, cause) != 0)
		goto out;
	if (strcmp(lhs, "*") == 0) {
		if (*have_star) {
			xasprintf(cause, "'*' given twice");
			goto out;
		}
		*have_star = 1;
		s->rest = interval;
		rc = 0;
		goto out;
	}
	if ((dash = strchr(lhs, '-')) == NULL) {
		xasprintf(cause, "'%s': expected HH:MM-HH:MM or '*' before "
		    "'='", lhs);
		goto out;
	}
	a = trimdup(lhs, dash - lhs);
	b = trimdup(dash + 1, strlen(dash + 1));
	if (parse_clock(a, 0, &w.start, cause) != 0 ||
	    parse_clock(b, 1, &w.end, cause) != 0)
		goto out;
	if (w.start == w.end) {
		xasprintf(cause, "'%s': empty window (start equals end)", lhs);
		goto out;
	}
	if (w.end == 0)
		w.end = DAY;
	w.interval = interval;
	if (s->n == SCHEDULE_MAX_WINDOWS) {
		xasprintf(cause, "more than %d windows", SCHEDULE_MAX_WINDOWS);
		goto out;
	}
	for (i = 0; i < s->n; i++) {
		if (windows_overlap(&s->w[i], &w)) {
			char	x[16], y[16];

			format_clock(s->w[i].start, x, sizeof x);
			format_clock(s->w[i].end % DAY, y, sizeof y);
			xasprintf(cause, "window '%s' overlaps window "
			    "'%s-%s'", lhs, x, y);
			goto out;
		}
	}
	s->w[s->n++] = w;
	add_bound(s, w.start);
	add_bound(s, w.end);
	rc = 0;
out:
	free(lhs);
	free(rhs);
	free(a);
	free(b);
	return rc;
}

struct schedule *
schedule_parse(const char *spec, long rest_s, char **cause)
{
	struct schedule	*s;
	const char	*p, *comma;
	char		*item;
	int		 have_star = 0, n = 0;

	*cause = NULL;
	s = schedule_alloc(rest_s);
	p = spec;
	for (;;) {
		comma = strchr(p, ',');
		item = trimdup(p, comma != NULL ? (size_t)(comma - p) :
		    strlen(p));
		n++;
		if (*item == '\0') {
			if (comma == NULL && n == 1)
				xasprintf(cause, "empty schedule");
			else
				xasprintf(cause, "empty item %d", n);
			free(item);
			goto fail;
		}
		if (parse_item(s, item, &have_star, cause) != 0) {
			free(item);
			goto fail;
		}
		free(item);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	build_text(s, have_star);
	return s;
fail:
	schedule_free(s);
	return NULL;
}

static long
local_sod(time_t t)
{
	struct tm	tm;
	int		sec;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	sec = tm.tm_sec > 59 ? 59 : tm.tm_sec;	/* leap second */
	return tm.tm_hour * 3600L + tm.tm_min * 60L + sec;
}

static long
offset_at(time_t t)
{
	struct tm	tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return tm.tm_gmtoff;
}

long
schedule_interval_at(const struct schedule *s, time_t t)
{
	const struct schedule_window	*w;
	long				 sod;
	size_t				 i;

	if (s->n == 0)
		return s->rest;
	sod = local_sod(t);
	for (i = 0; i < s->n; i++) {
		w = &s->w[i];
		if (w->start < w->end ? (sod >= w->start && sod < w->end) :
		    (sod >= w->start || sod < w->end))
			return w->interval;
	}
	return s->rest;
}

/*
 * The first instant after `after` whose local wall clock reads W (W is
 * the wall time counted as if it were UTC).  A wall time that happens
 * twice (clocks going back) gives the first occurrence after `after`; one
 * that never happens (clocks going forward, it lies in the gap) gives the
 * end of the gap, the first instant that is at least W locally.  0 when
 * found, -1 when no such instant is after `after`.
 */
static int
wall_to_time(time_t W, time_t after, time_t *out)
{
	long	off[3], omin, omax, olo;
	time_t	t, best = 0, lo, hi, mid;
	int	i, found = 0, valid = 0;

	off[0] = offset_at(W - DAY);
	off[1] = offset_at(W);
	off[2] = offset_at(W + DAY);
	omin = omax = off[0];
	for (i = 0; i < 3; i++) {
		if (off[i] < omin)
			omin = off[i];
		if (off[i] > omax)
			omax = off[i];
		t = W - off[i];
		if (offset_at(t) != off[i])
			continue;
		valid = 1;
		if (t > after && (!found || t < best)) {
			best = t;
			found = 1;
		}
	}
	if (found) {
		*out = best;
		return 0;
	}
	if (valid || omin == omax)
		return -1;	/* it happened, but not after `after` */

	/* W lies in a gap: the transition is between lo and hi. */
	lo = W - omax;
	hi = W - omin;
	olo = offset_at(lo);
	if (offset_at(hi) == olo)
		return -1;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (offset_at(mid) == olo)
			lo = mid;
		else
			hi = mid;
	}
	if (hi <= after)
		return -1;
	*out = hi;
	return 0;
}

/* The first window boundary strictly after last, or 0 when none. */
static time_t
next_boundary(const struct schedule *s, time_t last)
{
	struct tm	tm, day;
	time_t		W, t, best = 0;
	size_t		i;
	int		d;

	if (s->nbound == 0 || localtime_r(&last, &tm) == NULL)
		return 0;
	for (d = 0; d < 3; d++) {
		for (i = 0; i < s->nbound; i++) {
			memset(&day, 0, sizeof day);
			day.tm_year = tm.tm_year;
			day.tm_mon = tm.tm_mon;
			day.tm_mday = tm.tm_mday + d;
			day.tm_sec = (int)s->bound[i];
			W = timegm(&day);
			if (W == (time_t)-1)
				continue;
			if (wall_to_time(W, last, &t) != 0)
				continue;
			if (best == 0 || t < best)
				best = t;
		}
		if (best != 0)
			break;
	}
	return best;
}

static time_t
next_nominal(const struct schedule *s, time_t last, long *interval)
{
	time_t	next, b;

	*interval = schedule_interval_at(s, last);
	next = last + *interval;
	b = next_boundary(s, last);
	if (b > last && b < next)
		next = b;
	return next;
}

void
schedule_next(const struct schedule *s, time_t last, long jitter,
    struct schedule_slot *slot)
{
	time_t	nominal, after;
	long	interval, unused, room;

	nominal = next_nominal(s, last, &unused);
	after = next_nominal(s, nominal, &interval);
	room = (long)(after - nominal) - 1;
	if (jitter < 0)
		jitter = 0;
	if (jitter > room)
		jitter = room;
	slot->nominal = nominal;
	slot->start = nominal + jitter;
	slot->interval = interval;
}
