/*
 * Progress of a `run --once` round and its summary table.
 */
#include <sys/ioctl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"
#include "util.h"
#include "xmalloc.h"

#define PROGRESS_TTY_MS		250
#define PROGRESS_LOG_MS		10000

struct progress {
	struct round	*round;
	int		 tty;
	double		 t0;
	struct event	*ev;
	int		 shown;		/* a TTY line is on screen */
};

static void
progress_duration(char *buf, size_t len, double s)
{
	unsigned long	v = s < 0 ? 0 : (unsigned long)(s + 0.5);

	if (v >= 3600)
		snprintf(buf, len, "%luh%02lum", v / 3600, v / 60 % 60);
	else if (v >= 60)
		snprintf(buf, len, "%lum%02lus", v / 60, v % 60);
	else
		snprintf(buf, len, "%lus", v);
}

void
progress_format(char *buf, size_t len, const struct round_stats *st,
    double elapsed_ms)
{
	char	eta[32];
	double	rate, pct;

	rate = elapsed_ms > 0 ? st->n_done * 1000.0 / elapsed_ms : 0;
	pct = st->n_targets > 0 ? 100.0 * st->n_done / st->n_targets : 100.0;
	if (st->n_done >= st->n_targets)
		snprintf(eta, sizeof eta, "0s");
	else if (rate > 0)
		progress_duration(eta, sizeof eta,
		    (st->n_targets - st->n_done) / rate);
	else
		snprintf(eta, sizeof eta, "?");
	snprintf(buf, len, "%zu/%zu (%.1f%%) %.1f/s ETA %s: %zu ok, "
	    "%zu blocked, %zu intercepted, %zu anomaly, %zu down, %zu error",
	    st->n_done, st->n_targets, pct, rate, eta,
	    st->by_status[STATUS_OK], st->by_status[STATUS_BLOCKED],
	    st->by_status[STATUS_INTERCEPTED], st->by_status[STATUS_ANOMALY],
	    st->by_status[STATUS_DOWN], st->by_status[STATUS_ERROR]);
}

static void
progress_cb(evutil_socket_t fd, short what, void *arg)
{
	struct progress	*p = arg;
	struct winsize	 ws;
	char		 line[256];

	(void)fd;
	(void)what;
	progress_format(line, sizeof line, round_get_stats(p->round),
	    util_mono_ms() - p->t0);
	if (p->tty) {
		/* One screen line, or \r cannot take it back. */
		if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 &&
		    ws.ws_col > 1 && ws.ws_col <= sizeof line)
			line[ws.ws_col - 1] = '\0';
		fprintf(stderr, "\r\033[K%s", line);
		fflush(stderr);
		p->shown = 1;
	} else {
		/* Asked for (not -q), so not at the mercy of the log level. */
		fprintf(stderr, "nightjar: progress: %s\n", line);
		fflush(stderr);
	}
}

struct progress *
progress_new(struct event_base *base, struct round *r, int tty)
{
	struct progress	*p;
	struct timeval	 tv;
	long		 ms = tty ? PROGRESS_TTY_MS : PROGRESS_LOG_MS;

	p = xcalloc(1, sizeof *p);
	p->round = r;
	p->tty = tty;
	p->t0 = util_mono_ms();
	p->ev = event_new(base, -1, EV_PERSIST, progress_cb, p);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	event_add(p->ev, &tv);
	return p;
}

void
progress_free(struct progress *p)
{
	if (p == NULL)
		return;
	event_free(p->ev);
	if (p->shown) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
	free(p);
}

void
progress_summary(FILE *f, const struct round_stats *st)
{
	enum verdict_status	 s;
	enum verdict_method	 m;
	char			 cell[64];
	const char		*sep;
	size_t			 k;
	double			 secs = st->elapsed_ms / 1000.0;

	fprintf(f, "measured %zu of %zu targets in %.2f s (%.1f targets/s), "
	    "%zu records spooled in %zu file%s\n", st->n_done, st->n_targets,
	    secs, secs > 0 ? st->n_done / secs : 0.0, st->n_written,
	    st->n_files, st->n_files == 1 ? "" : "s");
	if (st->n_unspooled > 0)
		fprintf(f, "NOT SPOOLED: %zu records could not be written to "
		    "the results directory (counted in no status below)\n",
		    st->n_unspooled);
	if (st->n_cancelled > 0)
		fprintf(f, "stopped: %zu targets in flight were dropped\n",
		    st->n_cancelled);
	fprintf(f, "%-18s %s\n", "status: targets", "by method");
	for (s = STATUS_OK; s < STATUS_COUNT; s++) {
		if (s > STATUS_ERROR && st->by_status[s] == 0)
			continue;	/* newer statuses only when seen */
		snprintf(cell, sizeof cell, "%s: %zu", verdict_status_name(s),
		    st->by_status[s]);
		fputs(cell, f);
		sep = NULL;
		for (m = METHOD_NONE + 1; m < METHOD_COUNT; m++) {
			if (st->by_method[s][m] == 0)
				continue;
			if (sep == NULL)
				fprintf(f, "%*s", (int)(19 - strlen(cell)), "");
			fprintf(f, "%s%s %zu", sep != NULL ? sep : "",
			    verdict_method_name(m), st->by_method[s][m]);
			sep = ", ";
		}
		/* Failures no method names: their cause instead. */
		for (k = 0; s != STATUS_OK && k < ROUND_MAX_REASONS; k++) {
			if (st->reasons[s][k].n == 0)
				continue;
			if (sep == NULL)
				fprintf(f, "%*s", (int)(19 - strlen(cell)), "");
			fprintf(f, "%s%s %zu", sep != NULL ? sep : "",
			    st->reasons[s][k].name, st->reasons[s][k].n);
			sep = ", ";
		}
		fputc('\n', f);
	}
	fflush(f);
}
