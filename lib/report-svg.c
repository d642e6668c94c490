/*
 * The report as an SVG heatmap: one row per host (or host x probe), one
 * cell per local hour.  A cell's hue is the most common failing status of
 * that hour (blocked, intercepted, anomaly, down, error), its strength the
 * share of measurements that failed; the palette is Okabe and Ito's, which
 * readers with the common colour-vision deficiencies tell apart, and each
 * failing cell also carries the status's initial, so nothing depends on
 * colour alone.  Failure windows are outlined in black with their method
 * written in the box, slow windows dashed.  A caption says what the
 * heatmap covers (dates, probes).
 *
 * Host names, probe ids and the caption are untrusted: they are made valid
 * printable UTF-8 and XML-escaped.  The same code draws `nightjar report
 * --format svg` and the heatmap inlined in the collector's dashboard,
 * where each cell links to its records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp.h"
#include "report-svg.h"
#include "util.h"
#include "xmalloc.h"

#define CELL_W		28
#define CELL_H		20
#define TOP		76
#define LABEL_MAX	60	/* characters of a row label shown */
#define CHAR_W		7

/* Okabe-Ito colours per failing status; the ok colour is unused. */
static const struct {
	enum verdict_status	 status;
	const char	*name;
	char		 letter;
	int		 rgb[3];
} status_style[] = {
	{ STATUS_BLOCKED,     "blocked",     'B', { 213, 94, 0 } },   /* vermillion */
	{ STATUS_INTERCEPTED, "intercepted", 'I', { 204, 121, 167 } },/* purple */
	{ STATUS_THROTTLED,   "throttled",   'T', { 240, 228, 66 } }, /* yellow */
	{ STATUS_ANOMALY,     "anomaly",     'A', { 230, 159, 0 } },  /* orange */
	{ STATUS_DOWN,        "down",        'D', { 0, 114, 178 } },  /* blue */
	{ STATUS_ERROR,       "error",       'E', { 90, 90, 90 } },   /* grey */
};
#define NSTYLE	(sizeof status_style / sizeof status_style[0])

#define NODATA_FILL	"url(#nj-nodata)"
#define OK_FILL		"#ffffff"

void
report_escape(struct buf *b, const char *s)
{
	char	*p, *c;

	if (s == NULL)
		return;
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
			buf_addstr(b, "&#39;");
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

static size_t
style_of(enum verdict_status s)
{
	size_t	i;

	for (i = 0; i < NSTYLE; i++)
		if (status_style[i].status == s)
			return i;
	return NSTYLE - 1;	/* error */
}

/*
 * The colour of status s at a failure rate: white mixed with the status's
 * colour, from a visible tint (any failure) to the full colour (all
 * failed).  *dark says whether a white letter reads better on it.
 */
static void
status_colour(enum verdict_status s, double rate, char out[8], int *dark)
{
	const int	*c = status_style[style_of(s)].rgb;
	double		 t, lum;
	int		 i, rgb[3];

	if (rate < 0)
		rate = 0;
	if (rate > 1)
		rate = 1;
	t = 0.25 + 0.75 * rate;
	for (i = 0; i < 3; i++)
		rgb[i] = (int)(255 + (c[i] - 255) * t + 0.5);
	snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
	lum = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
	*dark = lum < 140;
}

/* The dominant failing status of an hour with failures. */
static enum verdict_status
hour_status(const struct rw_hour *hr)
{
	enum verdict_status	s = rw_dominant_status(hr->status);

	return s == STATUS_OK ? STATUS_ERROR : s;
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
	/* Attributes, not a style sheet: an inline style element is
	 * refused by the dashboard's Content-Security-Policy. */
	buf_printf(b, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" "
	    "height=\"%d\" fill=\"none\" stroke-width=\"2.5\" %s "
	    "pointer-events=\"none\"/>\n", cls, x0 + start * CELL_W + 1,
	    y + 1, (end - start) * CELL_W - 2, CELL_H - 2,
	    strcmp(cls, "window") == 0 ? "stroke=\"#000000\"" :
	    "stroke=\"#0072b2\" stroke-dasharray=\"5 3\"");
}

/* The method (or status) written inside a failure window's box. */
static void
window_label(struct buf *b, const struct rw_window *w, int all_day, int x0,
    int y)
{
	const char	*m = rw_method_name(w->method);
	int		 start = w->start_hour, len, mid, tw;

	len = all_day ? RW_HOURS : (w->end_hour - w->start_hour + RW_HOURS) %
	    RW_HOURS;
	if (len == 0)
		len = RW_HOURS;
	/* Centre of the run; across midnight, of its longer piece. */
	if (!all_day && start + len > RW_HOURS) {
		if (RW_HOURS - start >= w->end_hour)
			len = RW_HOURS - start;
		else {
			start = 0;
			len = w->end_hour;
		}
	}
	mid = x0 + start * CELL_W + len * CELL_W / 2;
	/* Keep the text over the grid (about 6 px a character). */
	tw = 6 * (int)((all_day ? 8 : 0) + strlen(rw_status_name(w->status)) +
	    (m != NULL ? strlen(m) + 2 : 0));
	if (mid + tw / 2 > x0 + RW_HOURS * CELL_W)
		mid = x0 + RW_HOURS * CELL_W - tw / 2;
	if (mid - tw / 2 < x0)
		mid = x0 + tw / 2;
	buf_printf(b, "<text class=\"window-label\" x=\"%d\" y=\"%d\" "
	    "text-anchor=\"middle\" font-size=\"10\" font-weight=\"bold\" "
	    "paint-order=\"stroke\" stroke=\"#ffffff\" stroke-width=\"3\" "
	    "pointer-events=\"none\">%s%s%s%s</text>\n", mid, y + CELL_H - 6,
	    all_day ? "all day " : "", rw_status_name(w->status),
	    m != NULL ? ": " : "", m != NULL ? m : "");
}

static void
mark_run(int *inwin, const struct rw_window *w)
{
	int	j, len;

	len = (w->end_hour - w->start_hour + RW_HOURS) % RW_HOURS;
	if (len == 0)
		len = RW_HOURS;
	for (j = 0; j < len; j++)
		inwin[(w->start_hour + j) % RW_HOURS] = 1;
}

static void
put_cell(struct buf *b, const struct report_row *row, const char *label,
    int h, int x, int y, int glyph, const struct report_svg_opts *o)
{
	const struct rw_hour	*hr = &row->hours[h];
	const char		*m;
	char			 colour[8], *href = NULL;
	enum verdict_status		 s = STATUS_OK;
	int			 dark = 0;
	size_t			 i;

	if (hr->n == 0)
		snprintf(colour, sizeof colour, "none");
	else if (hr->failed == 0)
		snprintf(colour, sizeof colour, OK_FILL);
	else {
		s = hour_status(hr);
		status_colour(s, (double)hr->failed / hr->n, colour, &dark);
	}
	if (o != NULL && o->cell_href != NULL && hr->n > 0)
		href = o->cell_href(row, h, o->arg);
	if (href != NULL) {
		buf_addstr(b, "<a href=\"");
		report_escape(b, href);
		buf_addstr(b, "\">");
	}
	buf_printf(b, "<rect class=\"cell\" x=\"%d\" y=\"%d\" width=\"%d\" "
	    "height=\"%d\" fill=\"%s\" stroke=\"#d0d0d0\"><title>", x, y, CELL_W, CELL_H,
	    hr->n == 0 ? NODATA_FILL : colour);
	report_escape(b, label);
	buf_printf(b, " %02d:00: ", h);
	if (hr->n == 0)
		buf_addstr(b, "no data");
	else {
		m = rw_method_name(rw_dominant_method(hr->method));
		buf_printf(b, "%u of %u failed (%.0f%%)%s%s", hr->failed,
		    hr->n, 100.0 * hr->failed / hr->n, m ? ", " : "",
		    m ? m : "");
		for (i = 0; i < NSTYLE; i++)
			if (hr->status[status_style[i].status] > 0)
				buf_printf(b, "; %s %u", status_style[i].name,
				    hr->status[status_style[i].status]);
	}
	buf_addstr(b, "</title></rect>");
	if (glyph && hr->n > 0 && hr->failed > 0)
		buf_printf(b, "<text class=\"glyph\" x=\"%d\" y=\"%d\" "
		    "text-anchor=\"middle\" font-size=\"10\" "
		    "pointer-events=\"none\" fill=\"%s\">%c</text>",
		    x + CELL_W / 2, y + CELL_H - 6, dark ? "#ffffff" :
		    "#000000", status_style[style_of(s)].letter);
	if (href != NULL)
		buf_addstr(b, "</a>");
	buf_addstr(b, "\n");
	free(href);
}

static void
legend(struct buf *b, int y)
{
	static const double	 rates[] = { 0.1, 0.5, 1.0 };
	char			 colour[8];
	size_t			 i, k;
	int			 x, dark;

	buf_printf(b, "<text x=\"8\" y=\"%d\" font-weight=\"bold\">"
	    "Colour: the most common failing status of the hour; the "
	    "stronger, the larger the share failed</text>\n", y);
	y += 10;
	for (i = 0; i < NSTYLE; i++) {
		x = 8 + (int)i * 100;
		for (k = 0; k < 3; k++) {
			status_colour(status_style[i].status, rates[k], colour,
			    &dark);
			buf_printf(b, "<rect class=\"legend\" x=\"%d\" "
			    "y=\"%d\" width=\"22\" height=\"16\" "
			    "fill=\"%s\"/><text x=\"%d\" y=\"%d\" "
			    "text-anchor=\"middle\" font-size=\"10\" "
			    "fill=\"%s\">%c</text>\n", x + (int)k * 22, y,
			    colour, x + (int)k * 22 + 11, y + 12,
			    dark ? "#ffffff" : "#000000",
			    status_style[i].letter);
		}
		buf_printf(b, "<text x=\"%d\" y=\"%d\" font-size=\"11\">"
		    "%s</text>\n", x, y + 30, status_style[i].name);
	}
	y += 44;
	buf_printf(b, "<text x=\"8\" y=\"%d\" font-size=\"10\">share failed "
	    "(each status):</text>\n", y + 11);
	for (k = 0; k <= 4; k++) {
		x = 150 + (int)k * 44;
		if (k == 0)
			snprintf(colour, sizeof colour, OK_FILL);
		else
			status_colour(STATUS_BLOCKED, k / 4.0, colour, &dark);
		buf_printf(b, "<rect class=\"legend\" x=\"%d\" y=\"%d\" "
		    "width=\"40\" height=\"14\" fill=\"%s\" stroke=\"#bbbbbb\"/>"
		    "\n<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
		    "font-size=\"10\">%zu%%</text>\n", x, y, colour, x + 20,
		    y + 26, k * 25);
	}
	x = 150 + 5 * 44 + 12;
	buf_printf(b, "<rect class=\"legend\" x=\"%d\" y=\"%d\" width=\"40\" "
	    "height=\"14\" fill=\"" NODATA_FILL "\" stroke=\"#bbbbbb\"/>\n"
	    "<text x=\"%d\" y=\"%d\" font-size=\"10\">no data</text>\n", x, y,
	    x + 46, y + 11);
	y += 40;
	buf_printf(b, "<rect x=\"8\" y=\"%d\" width=\"34\" height=\"14\" "
	    "fill=\"none\" stroke=\"#000000\" stroke-width=\"2.5\"/>\n"
	    "<text x=\"48\" y=\"%d\" font-size=\"10\">failure window (its "
	    "method written inside)</text>\n", y, y + 11);
	buf_printf(b, "<rect x=\"300\" y=\"%d\" width=\"34\" height=\"14\" "
	    "fill=\"none\" stroke=\"#0072b2\" stroke-width=\"2.5\" "
	    "stroke-dasharray=\"5 3\"/>\n<text x=\"340\" y=\"%d\" "
	    "font-size=\"10\">slow window (handshakes or downloads)</text>\n", y, y + 11);
}

void
report_svg(struct buf *b, const struct report_row *rows, size_t n,
    const struct report_svg_opts *o)
{
	const struct report_row	*row;
	char			*label;
	size_t			 i, k, maxc = 4;
	int			 h, x0, y, width, height, gy;
	int			 inwin[RW_HOURS];

	for (i = 0; i < n; i++) {
		label = row_label(&rows[i]);
		if (label_chars(label) > maxc)
			maxc = label_chars(label);
		free(label);
	}
	x0 = (int)maxc * CHAR_W + 16;
	gy = TOP + (int)n * CELL_H;
	width = x0 + RW_HOURS * CELL_W + 20;
	if (width < 620)
		width = 620;
	height = gy + 150;

	if (o == NULL || !o->fragment)
		buf_addstr(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "class=\"heatmap\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
	    "font-size=\"12\" role=\"img\">\n", width, height, width, height);
	buf_addstr(b, "<title>nightjar report: failed measurements by "
	    "host and local hour</title>\n"
	    "<defs><pattern id=\"nj-nodata\" width=\"6\" height=\"6\" "
	    "patternUnits=\"userSpaceOnUse\" "
	    "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" "
	    "fill=\"#f4f4f4\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" "
	    "stroke=\"#c8c8c8\" stroke-width=\"2\"/></pattern></defs>\n"
	    "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" "
	    "fill=\"#ffffff\"/>\n");
	buf_printf(b, "<text x=\"8\" y=\"18\" font-size=\"14\" "
	    "font-weight=\"bold\">Failed measurements by host and local "
	    "hour of day</text>\n");
	if (o != NULL && o->caption != NULL) {
		buf_addstr(b, "<text class=\"caption\" x=\"8\" y=\"36\">");
		report_escape(b, o->caption);
		buf_addstr(b, "</text>\n");
	}

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
		report_escape(b, label);
		buf_addstr(b, "</text>\n");
		/* Inside a failure window the box's label says the status. */
		for (h = 0; h < RW_HOURS; h++)
			inwin[h] = row->res.all_day;
		for (k = 0; k < row->res.nfail; k++)
			mark_run(inwin, &row->res.fail[k]);
		for (h = 0; h < RW_HOURS; h++)
			put_cell(b, row, label, h, x0 + h * CELL_W, y,
			    !inwin[h], o);
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
		if (row->res.all_day)
			window_label(b, &row->res.whole, 1, x0, y);
		for (k = 0; k < row->res.nfail; k++)
			window_label(b, &row->res.fail[k], 0, x0, y);
	}
	if (n == 0)
		buf_printf(b, "<text x=\"%d\" y=\"%d\">no measurements"
		    "</text>\n", x0, TOP + 14);
	legend(b, gy + 24);
	buf_addstr(b, "</svg>\n");
}

/* Replace bytes that are not printable UTF-8 by '?', in place. */
void
report_sanitize(char *s)
{
	unsigned char	*p = (unsigned char *)s, *end = p + strlen(s);
	size_t		 len;
	uint32_t	 cp;

	while (p < end) {
		len = util_utf8_seq(p, (size_t)(end - p), &cp);
		if (len == 0 || cp < 0x20 || cp == 0x7f ||
		    (cp >= 0x80 && cp < 0xa0) || cp == 0xfffe ||
		    cp == 0xffff) {
			*p++ = '?';
			continue;
		}
		p += len;
	}
}
