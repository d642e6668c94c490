/*
 * The heatmap of report rows x local hours as SVG (report-svg.c), used by
 * `nightjar report --format svg` and, inline, by the collector's dashboard.
 */
#ifndef NJ_REPORT_SVG_H
#define NJ_REPORT_SVG_H

#include <stddef.h>

#include "report-window.h"

struct buf;

struct report_svg_opts {
	const char	*caption;	/* what it covers (dates, probes) */
	int		 fragment;	/* no XML declaration: inline in HTML */
	/*
	 * The link of a cell with data (row, local hour), malloc'd, or NULL
	 * for none; the renderer escapes it.  NULL: no links.
	 */
	char		*(*cell_href)(const struct report_row *, int hour,
			    void *arg);
	void		*arg;
};

/* The heatmap of rows x hours, appended to the buffer; o may be NULL. */
void	report_svg(struct buf *, const struct report_row *, size_t,
	    const struct report_svg_opts *o);
/*
 * Append s (sanitized as below) with & < > " ' escaped for HTML and XML;
 * NULL appends nothing.
 */
void	report_escape(struct buf *, const char *);
/* Replace bytes that are not printable UTF-8 by '?', in place. */
void	report_sanitize(char *);

#endif
