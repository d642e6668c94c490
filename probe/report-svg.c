/*
 * The report as an SVG heatmap: one row per host (or host x probe), one
 * cell per local hour coloured by the share of failed measurements, the
 * failure windows outlined in black, slow windows dashed in blue, with
 * axis labels and a legend.  Host names are untrusted: they are made valid
 * printable UTF-8 and XML-escaped.
 */
#include <stdlib.h>
#include <string.h>

#include "mp.h"
#include "report.h"
#include "xmalloc.h"

#define CELL_W		28
#define CELL_H		20
#define TOP		56
#define LABEL_MAX	60	/* characters of a row label shown */
#define CHAR_W		7

static void
put_escaped(struct buf *b, const char *s)
{
	char	*p, *c;

	p = xstrdup(s);
	report_sanitize(p);
	for (c = p; *c != '\0'; c++) {
		switch (*c) {
		case '&':
			buf_addstr(b, "&amp;");
			break;
		case '<':
			buf_addstr(b, "&lt;");
			break;
		case '>':
			buf_addstr(b, "&gt;");
			break;
		case '"':
			buf_addstr(b, "&quot;");
			break;
		case '\'':
			buf_addstr(b, "&apos;");
			break;
		default:
			buf_add(b, c, 1);
			break;
		}
	}
	free(p);
}

/* A row label, cut to LABEL_MAX characters (not bytes) with "...". */
static char *
row_label(const struct report_row *row)
{
	char	*s, *p, *cut;
	size_t	 chars = 0;

	if (row->probe_id != NULL)
		xasprintf(&s, "%s (%s)", row->host, row->probe_id);
	else
		s = xstrdup(row->host);
	report_sanitize(s);
	for (p = s; *p != '\0'; p++) {
		if (((unsigned char)*p & 0xc0) == 0x80)
			continue;
		if (++chars > LABEL_MAX) {
			xasprintf(&cut, "%.*s...", (int)(p - s), s);
			free(s);
			return cut;
		}
	}
	return s;
}

static size_t
label_chars(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Green (none failed) through yellow to red (all failed). */
static void
rate_colour(double rate, char out[8])
{
	static const int	stops[3][3] = {
		{ 26, 152, 80 }, { 254, 224, 139 }, { 215, 48, 39 }
	};
	const int		*a, *c;
	double			 t;
	int			 i, rgb[3];

	if (rate < 0)
		rate = 0;
	if (rate > 1)
		rate = 1;
	if (rate <= 0.5) {
		a = stops[0];
		c = stops[1];
		t = rate / 0.5;
	} else {
		a = stops[1];
		c = stops[2];
		t = (rate - 0.5) / 0.5;
	}
	for (i = 0; i < 3; i++)
		rgb[i] = (int)(a[i] + (c[i] - a[i]) * t + 0.5);
	snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

static void
outline(struct buf *b, const char *cls, int x0, int y, int start, int end)
{
	if (end <= start && !(start == 0 && end == RW_HOURS)) {
		/* Crosses midnight: two pieces. */
		outline(b, cls, x0, y, start, RW_HOURS);
		outline(b, cls, x0, y, 0, end);
		return;
	}
	buf_printf(b, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" "
	    "height=\"%d\"/>\n", cls, x0 + start * CELL_W + 1, y + 1,
	    (end - start) * CELL_W - 2, CELL_H - 2);
}

void
report_svg(struct buf *b, const struct report_row *rows, size_t n)
{
	const struct report_row	*row;
	const struct rw_hour	*hr;
	const char		*m;
	char			*label, colour[8];
	size_t			 i, k, maxc = 4;
	int			 h, x0, y, width, height, gy, lx;

	for (i = 0; i < n; i++) {
		label = row_label(&rows[i]);
		if (label_chars(label) > maxc)
			maxc = label_chars(label);
		free(label);
	}
	x0 = (int)maxc * CHAR_W + 16;
	gy = TOP + (int)n * CELL_H;
	width = x0 + RW_HOURS * CELL_W + 20;
	if (width < 560)
		width = 560;
	height = gy + 120;

	buf_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" "
	    "font-family=\"sans-serif\" font-size=\"12\">\n", width, height,
	    width, height);
	buf_addstr(b, "<title>nightjar report: failed measurements by "
	    "host and local hour</title>\n"
	    "<style>\n"
	    ".cell { stroke: #ffffff; stroke-width: 1; }\n"
	    ".window { fill: none; stroke: #000000; stroke-width: 2.5; }\n"
	    ".slow-window { fill: none; stroke: #2166ac; stroke-width: 2.5; "
	    "stroke-dasharray: 5 3; }\n"
	    "</style>\n"
	    "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" "
	    "fill=\"#ffffff\"/>\n");
	buf_printf(b, "<text x=\"8\" y=\"18\" font-size=\"14\" "
	    "font-weight=\"bold\">Failed measurements by host and local "
	    "hour of day</text>\n");

	/* Axes: hour labels on top, host labels on the left. */
	buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
	    "local hour of day</text>\n", x0 + RW_HOURS * CELL_W / 2,
	    TOP - 22);
	for (h = 0; h < RW_HOURS; h++)
		buf_printf(b, "<text class=\"hour\" x=\"%d\" y=\"%d\" "
		    "text-anchor=\"middle\" font-size=\"10\">%02d</text>\n",
		    x0 + h * CELL_W + CELL_W / 2, TOP - 6, h);
	buf_printf(b, "<text x=\"8\" y=\"%d\" font-weight=\"bold\">"
	    "host</text>\n", TOP - 6);

	for (i = 0; i < n; i++) {
		row = &rows[i];
		y = TOP + (int)i * CELL_H;
		label = row_label(row);
		buf_printf(b, "<text class=\"host\" x=\"%d\" y=\"%d\" "
		    "text-anchor=\"end\">", x0 - 8, y + CELL_H - 6);
		put_escaped(b, label);
		buf_addstr(b, "</text>\n");
		for (h = 0; h < RW_HOURS; h++) {
			hr = &row->hours[h];
			if (hr->n == 0)
				snprintf(colour, sizeof colour, "#d9d9d9");
			else
				rate_colour((double)hr->failed / hr->n,
				    colour);
			buf_printf(b, "<rect class=\"cell\" x=\"%d\" "
			    "y=\"%d\" width=\"%d\" height=\"%d\" "
			    "fill=\"%s\"><title>", x0 + h * CELL_W, y, CELL_W,
			    CELL_H, colour);
			put_escaped(b, label);
			buf_printf(b, " %02d:00: ", h);
			if (hr->n == 0)
				buf_addstr(b, "no data");
			else {
				m = rw_method_name(rw_dominant_method(
				    hr->method));
				buf_printf(b, "%u of %u failed (%.0f%%)%s%s",
				    hr->failed, hr->n,
				    100.0 * hr->failed / hr->n,
				    m ? ", " : "", m ? m : "");
			}
			buf_addstr(b, "</title></rect>\n");
		}
		free(label);
		if (row->res.all_day)
			outline(b, "window", x0, y, 0, RW_HOURS);
		for (k = 0; k < row->res.nfail; k++)
			outline(b, "window", x0, y, row->res.fail[k].start_hour,
			    row->res.fail[k].end_hour);
		for (k = 0; k < row->res.nslow; k++)
			outline(b, "slow-window", x0, y,
			    row->res.slow[k].start_hour,
			    row->res.slow[k].end_hour);
	}
	if (n == 0)
		buf_printf(b, "<text x=\"%d\" y=\"%d\">no measurements"
		    "</text>\n", x0, TOP + 14);

	/* Legend. */
	y = gy + 24;
	buf_printf(b, "<text x=\"8\" y=\"%d\" font-weight=\"bold\">"
	    "share of measurements failed</text>\n", y);
	y += 8;
	for (k = 0; k <= 10; k++) {
		rate_colour(k / 10.0, colour);
		lx = 8 + (int)k * 36;
		buf_printf(b, "<rect class=\"legend\" x=\"%d\" y=\"%d\" "
		    "width=\"34\" height=\"14\" fill=\"%s\"/>\n"
		    "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
		    "font-size=\"10\">%zu%%</text>\n", lx, y, colour,
		    lx + 17, y + 26, k * 10);
	}
	lx = 8 + 11 * 36 + 12;
	buf_printf(b, "<rect class=\"legend\" x=\"%d\" y=\"%d\" width=\"34\" "
	    "height=\"14\" fill=\"#d9d9d9\"/>\n<text x=\"%d\" y=\"%d\" "
	    "font-size=\"10\">no data</text>\n", lx, y, lx + 40, y + 11);
	y += 44;
	buf_printf(b, "<rect x=\"8\" y=\"%d\" width=\"34\" height=\"14\" "
	    "fill=\"none\" stroke=\"#000000\" stroke-width=\"2.5\"/>\n"
	    "<text x=\"48\" y=\"%d\" font-size=\"10\">failure window"
	    "</text>\n", y, y + 11);
	buf_printf(b, "<rect x=\"160\" y=\"%d\" width=\"34\" height=\"14\" "
	    "fill=\"none\" stroke=\"#2166ac\" stroke-width=\"2.5\" "
	    "stroke-dasharray=\"5 3\"/>\n<text x=\"200\" y=\"%d\" "
	    "font-size=\"10\">slow window (handshakes)</text>\n", y, y + 11);
	buf_addstr(b, "</svg>\n");
}
