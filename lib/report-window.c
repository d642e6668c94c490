/*
 * The report's window finder: 24 local-hour bins of one host in, failure
 * windows, an all-day verdict and slow windows out.  Pure: no I/O, no
 * clock.  The rules are explained in README.md, "How report finds
 * windows"; in short:
 *
 * - an hour counts when it has at least min_hour_n measurements; it is
 *   "high" when its failure rate is at least min_rate;
 * - every counted hour high: all_day (when it held on min_days days);
 * - otherwise each maximal circular run of high hours (hours that do not
 *   count are bridged, never start or end a run) is a candidate, kept when
 *   its failure rate is at least min_rate, exceeds the other hours' by
 *   min_diff, a one-sided two-proportion z-test gives z >= z_crit, and it
 *   held (at least min_rate of that day's measurements in the window
 *   failed) on at least min_days distinct local days;
 * - slow windows do the same with the median handshake time: an hour is
 *   slow when its median is >= slow_factor times the median of the other
 *   counted hours' medians; runs are kept when the pooled median inside is
 *   >= slow_factor times the median of the hourly medians outside and the
 *   geometric mean of a day's handshakes in the window was that slow on
 *   at least min_days days;
 * - downloads get slow windows by the same rules, on their cost in ms per
 *   1000 bytes (the inverse of the speed), so "slower" is "larger" for
 *   both.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report-window.h"
#include "xmalloc.h"

void
rw_params_default(struct rw_params *p)
{
	p->min_days = 3;
	p->min_hour_n = 3;
	p->min_rate = 0.5;
	p->min_diff = 0.3;
	p->z_crit = 3.09;	/* one-sided p < 0.001 */
	p->slow_factor = 3.0;
}

const char *
rw_method_name(enum verdict_method m)
{
	if (m == RWM_OTHER)
		return "other";
	return verdict_method_name(m);
}

enum verdict_method
rw_method_from(const char *s, size_t len)
{
	int	m = verdict_method_lookup(s, len);

	return m < 0 ? RWM_OTHER : (enum verdict_method)m;
}

const char *
rw_status_name(enum verdict_status s)
{
	return verdict_status_name(s);
}

int
rw_status_from(const char *s, size_t len)
{
	return verdict_status_lookup(s, len);
}

enum verdict_method
rw_dominant_method(const uint32_t *method)
{
	int	i, best = METHOD_NONE;

	/* Failures with no method only win when there is nothing else. */
	for (i = 1; i < RWM_COUNT; i++) {
		if (method[i] > 0 && (best == METHOD_NONE ||
		    method[i] > method[best]))
			best = i;
	}
	return best;
}

enum verdict_status
rw_dominant_status(const uint32_t *status)
{
	int	i, best = STATUS_OK;

	for (i = 1; i < RWS_COUNT; i++) {
		if (status[i] > 0 && (best == STATUS_OK ||
		    status[i] > status[best]))
			best = i;
	}
	return best;
}

static int
float_cmp(const void *a, const void *b)
{
	float	x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

double
rw_kbps(double ms_per_kb)
{
	/* 1000 bytes in t ms: 8000 bits / t ms = 8000 / t kbit/s. */
	return ms_per_kb > 0 ? 8000.0 / ms_per_kb : 0;
}

double
rw_median(float *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, float_cmp);
	if (n % 2)
		return v[n / 2];
	return ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2;
}

static int
double_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median_double(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, double_cmp);
	if (n % 2)
		return v[n / 2];
	return (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Hours of the circular run [start, start + len). */
static int
in_run(int h, int start, int len)
{
	return ((h - start + RW_HOURS) % RW_HOURS) < len;
}

static int
day_cmp(const void *a, const void *b)
{
	const struct rw_day	*x = a, *y = b;

	return (x->day > y->day) - (x->day < y->day);
}

/*
 * The measurements of the run [start, start + len) per "window day": the
 * local day on which the window began, so one night of a window crossing
 * midnight is one day.  Returns a sorted, merged array (caller frees).
 */
static struct rw_day *
run_days(const struct rw_hour *hours, int start, int len, size_t *np)
{
	struct rw_day	*v;
	size_t		 n = 0, total = 0, i, o;
	int		 k, h, shift;

	for (k = 0; k < len; k++)
		total += hours[(start + k) % RW_HOURS].ndays;
	*np = 0;
	if (total == 0)
		return NULL;
	v = xreallocarray(NULL, total, sizeof *v);
	for (k = 0; k < len; k++) {
		h = (start + k) % RW_HOURS;
		shift = (start + k >= RW_HOURS) ? 1 : 0;
		for (i = 0; i < hours[h].ndays; i++) {
			v[n] = hours[h].days[i];
			v[n].day -= shift;
			n++;
		}
	}
	qsort(v, n, sizeof *v, day_cmp);
	for (i = 1, o = 0; i < n; i++) {
		if (v[i].day == v[o].day) {
			v[o].n += v[i].n;
			v[o].failed += v[i].failed;
			v[o].nt += v[i].nt;
			v[o].sumlog += v[i].sumlog;
			v[o].nd += v[i].nd;
			v[o].dsumlog += v[i].dsumlog;
		} else
			v[++o] = v[i];
	}
	*np = o + 1;
	return v;
}

/* Days on which at least min_rate of the run's measurements failed. */
static void
fail_days(const struct rw_hour *hours, int start, int len,
    const struct rw_params *p, struct rw_window *w)
{
	struct rw_day	*v;
	size_t		 n, i;

	v = run_days(hours, start, len, &n);
	w->days = w->days_seen = 0;
	for (i = 0; i < n; i++) {
		if (v[i].n == 0)
			continue;
		w->days_seen++;
		if (v[i].failed > 0 &&
		    (double)v[i].failed >= p->min_rate * v[i].n)
			w->days++;
	}
	free(v);
}

/* The values one slow-window search looks at: handshakes or downloads. */
static const float *
step_values(const struct rw_hour *hr, enum rw_step step, size_t *n)
{
	if (step == RW_STEP_DOWNLOAD) {
		*n = hr->ndl;
		return hr->dl;
	}
	*n = hr->ntls;
	return hr->tls;
}

/* Days whose values in the run had a geometric mean >= limit. */
static void
slow_days(const struct rw_hour *hours, int start, int len, double limit,
    enum rw_step step, struct rw_window *w)
{
	struct rw_day	*v;
	size_t		 n, i;
	uint32_t	 cnt;
	double		 sumlog;

	v = run_days(hours, start, len, &n);
	w->days = w->days_seen = 0;
	for (i = 0; i < n; i++) {
		cnt = step == RW_STEP_DOWNLOAD ? v[i].nd : v[i].nt;
		sumlog = step == RW_STEP_DOWNLOAD ? v[i].dsumlog : v[i].sumlog;
		if (cnt == 0)
			continue;
		w->days_seen++;
		if (sumlog / cnt >= log(limit))
			w->days++;
	}
	free(v);
}

/*
 * Maximal circular runs of hours marked 1 in mark[], bridging hours marked
 * 0 (do not count), separated by hours marked -1.  A run starts and ends
 * on a marked hour.  There must be at least one hour marked -1.
 */
static size_t
find_runs(const int *mark, int starts[RW_MAXWIN], int lens[RW_MAXWIN])
{
	size_t	nrun = 0;
	int	base, k, h, s = -1, last = -1;

	for (base = 0; base < RW_HOURS; base++)
		if (mark[base] < 0)
			break;
	if (base == RW_HOURS)
		return 0;
	/* Scan a full circle starting just after a separating hour. */
	for (k = 1; k <= RW_HOURS; k++) {
		h = base + k;
		if (mark[h % RW_HOURS] > 0) {
			if (s < 0)
				s = h;
			last = h;
		} else if (mark[h % RW_HOURS] < 0 && s >= 0) {
			starts[nrun] = s % RW_HOURS;
			lens[nrun] = last - s + 1;
			nrun++;
			s = -1;
		}
	}
	return nrun;
}

static void
set_hours(struct rw_window *w, int start, int len)
{
	w->start_hour = start;
	w->end_hour = (start + len) % RW_HOURS;
	if (w->end_hour == 0)
		w->end_hour = RW_HOURS;
}

static void
sum_run(const struct rw_hour *hours, int start, int len, int inside,
    uint64_t *n, uint64_t *failed, uint32_t *method, uint32_t *status)
{
	int	h, i;

	*n = *failed = 0;
	memset(method, 0, RWM_COUNT * sizeof *method);
	memset(status, 0, RWS_COUNT * sizeof *status);
	for (h = 0; h < RW_HOURS; h++) {
		if (in_run(h, start, len) != inside)
			continue;
		*n += hours[h].n;
		*failed += hours[h].failed;
		for (i = 0; i < RWM_COUNT; i++)
			method[i] += hours[h].method[i];
		for (i = 0; i < RWS_COUNT; i++)
			status[i] += hours[h].status[i];
	}
}

static int
window_cmp(const void *a, const void *b)
{
	const struct rw_window	*x = a, *y = b;

	return (x->start_hour > y->start_hour) -
	    (x->start_hour < y->start_hour);
}

static void
find_failure(const struct rw_hour *hours, const struct rw_params *p,
    struct rw_result *res)
{
	int		 mark[RW_HOURS], starts[RW_MAXWIN], lens[RW_MAXWIN];
	int		 h, nvalid = 0, nhigh = 0;
	uint32_t	 method[RWM_COUNT], status[RWS_COUNT], om[RWM_COUNT];
	uint32_t	 os[RWS_COUNT];
	uint64_t	 ni, fi, no, fo;
	double		 pi, po, pp, se;
	size_t		 nrun, r;
	struct rw_window w;

	for (h = 0; h < RW_HOURS; h++) {
		mark[h] = 0;
		if (hours[h].n == 0 || hours[h].n < p->min_hour_n)
			continue;
		nvalid++;
		if ((double)hours[h].failed >= p->min_rate * hours[h].n) {
			mark[h] = 1;
			nhigh++;
		} else
			mark[h] = -1;
	}
	if (nvalid == 0)
		return;

	if (nhigh == nvalid) {
		memset(&w, 0, sizeof w);
		w.kind = RW_FAILURE;
		sum_run(hours, 0, RW_HOURS, 1, &ni, &fi, method, status);
		w.start_hour = 0;
		w.end_hour = RW_HOURS;
		w.rate = ni ? (double)fi / ni : 0;
		w.method = rw_dominant_method(method);
		w.status = rw_dominant_status(status);
		fail_days(hours, 0, RW_HOURS, p, &w);
		if (w.days >= p->min_days) {
			res->all_day = 1;
			res->whole = w;
		}
		return;
	}

	nrun = find_runs(mark, starts, lens);
	for (r = 0; r < nrun; r++) {
		memset(&w, 0, sizeof w);
		w.kind = RW_FAILURE;
		set_hours(&w, starts[r], lens[r]);
		sum_run(hours, starts[r], lens[r], 1, &ni, &fi, method, status);
		sum_run(hours, starts[r], lens[r], 0, &no, &fo, om, os);
		if (ni == 0 || no == 0)
			continue;
		pi = (double)fi / ni;
		po = (double)fo / no;
		pp = (double)(fi + fo) / (ni + no);
		se = sqrt(pp * (1 - pp) * (1.0 / ni + 1.0 / no));
		w.z = se > 0 ? (pi - po) / se : (pi > po ? HUGE_VAL : 0);
		w.rate = pi;
		w.baseline = po;
		w.method = rw_dominant_method(method);
		w.status = rw_dominant_status(status);
		if (pi < p->min_rate || pi - po < p->min_diff ||
		    w.z < p->z_crit)
			continue;
		fail_days(hours, starts[r], lens[r], p, &w);
		if (w.days < p->min_days)
			continue;
		res->fail[res->nfail++] = w;
	}
	qsort(res->fail, res->nfail, sizeof *res->fail, window_cmp);
}

/* Median of the hourly medians of counted hours in (or out of) a run. */
static double
median_of_medians(const double *med, const int *valid, int start, int len,
    int inside, int *count)
{
	double	v[RW_HOURS];
	int	h, n = 0;

	for (h = 0; h < RW_HOURS; h++) {
		if (valid[h] && in_run(h, start, len) == inside)
			v[n++] = med[h];
	}
	*count = n;
	return median_double(v, n);
}

static void
find_slow(const struct rw_hour *hours, const struct rw_params *p,
    enum rw_step step, struct rw_result *res)
{
	double		 med[RW_HOURS], base, inside;
	int		 valid[RW_HOURS], mark[RW_HOURS];
	int		 starts[RW_MAXWIN], lens[RW_MAXWIN];
	int		 h, k, nvalid = 0, cnt;
	const float	*hv;
	float		*v;
	size_t		 nrun, r, n, total, hn;
	struct rw_window w;

	for (h = 0; h < RW_HOURS; h++) {
		hv = step_values(&hours[h], step, &hn);
		valid[h] = hn > 0 && hn >= p->min_hour_n;
		med[h] = 0;
		if (!valid[h])
			continue;
		v = xreallocarray(NULL, hn, sizeof *v);
		memcpy(v, hv, hn * sizeof *v);
		med[h] = rw_median(v, hn);
		free(v);
		nvalid++;
	}
	if (nvalid < 2)
		return;

	for (h = 0; h < RW_HOURS; h++) {
		mark[h] = 0;
		if (!valid[h])
			continue;
		base = median_of_medians(med, valid, h, 1, 0, &cnt);
		if (cnt > 0 && base > 0 && med[h] >= p->slow_factor * base)
			mark[h] = 1;
		else
			mark[h] = -1;
	}

	nrun = find_runs(mark, starts, lens);
	for (r = 0; r < nrun; r++) {
		memset(&w, 0, sizeof w);
		w.kind = RW_SLOW;
		w.step = step;
		set_hours(&w, starts[r], lens[r]);
		base = median_of_medians(med, valid, starts[r], lens[r], 0,
		    &cnt);
		if (cnt == 0 || base <= 0)
			continue;
		total = 0;
		for (k = 0; k < lens[r]; k++) {
			step_values(&hours[(starts[r] + k) % RW_HOURS], step,
			    &hn);
			total += hn;
		}
		if (total < p->min_hour_n)
			continue;
		v = xreallocarray(NULL, total, sizeof *v);
		n = 0;
		for (k = 0; k < lens[r]; k++) {
			h = (starts[r] + k) % RW_HOURS;
			hv = step_values(&hours[h], step, &hn);
			if (hn == 0)
				continue;
			memcpy(v + n, hv, hn * sizeof *v);
			n += hn;
		}
		inside = rw_median(v, n);
		free(v);
		w.median_ms = inside;
		w.baseline_ms = base;
		if (step == RW_STEP_DOWNLOAD) {
			w.median_kbps = rw_kbps(inside);
			w.baseline_kbps = rw_kbps(base);
		}
		if (inside < p->slow_factor * base)
			continue;
		slow_days(hours, starts[r], lens[r], p->slow_factor * base,
		    step, &w);
		if (w.days < p->min_days)
			continue;
		res->slow[res->nslow++] = w;
	}
}

/* By start hour, then step (insertion sort: at most 24 windows). */
static void
slow_sort(struct rw_result *res)
{
	struct rw_window	w;
	size_t			i, j;

	for (i = 1; i < res->nslow; i++) {
		w = res->slow[i];
		for (j = i; j > 0 && (res->slow[j - 1].start_hour >
		    w.start_hour || (res->slow[j - 1].start_hour ==
		    w.start_hour && res->slow[j - 1].step > w.step)); j--)
			res->slow[j] = res->slow[j - 1];
		res->slow[j] = w;
	}
}

void
rw_find(const struct rw_hour *hours, const struct rw_params *p,
    struct rw_result *res)
{
	memset(res, 0, sizeof *res);
	find_failure(hours, p, res);
	find_slow(hours, p, RW_STEP_TLS, res);
	find_slow(hours, p, RW_STEP_DOWNLOAD, res);
	/* Stable for equal start hours: handshakes before downloads. */
	slow_sort(res);
}
