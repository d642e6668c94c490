/*
 * The collector's dashboard (nightjar-collector --dashboard): GET / is a
 * server-rendered page (probes, hosts by current status, the time-of-day
 * heatmap of `nightjar report` and its windows), GET /dashboard.css its
 * style, GET /v1/measurements the stored records behind a cell as JSON
 * Lines.  Aggregates come from the store's grouped queries; the heatmap
 * and the windows from the report's own renderer and window finder.
 */
#ifndef NJ_DASHBOARD_H
#define NJ_DASHBOARD_H

#include <stddef.h>
#include <stdint.h>

struct evhttp_request;
struct store;
struct tokens;

struct dashboard;

/* public: no token needed to read (--dashboard-public). */
struct dashboard *dashboard_new(struct store *, const struct tokens *,
		    int public);
void		 dashboard_free(struct dashboard *);

/*
 * Answer req when it is the dashboard's (now, or later from a store
 * callback) and return 1; return 0 for a request it does not serve.
 */
int		 dashboard_request(struct dashboard *, struct evhttp_request *,
		    const char *path);

/*
 * The server's connection evcon was freed: forget its requests that wait
 * for the store (their answers are dropped).
 */
struct evhttp_connection;
void		 dashboard_conn_closed(struct dashboard *,
		    struct evhttp_connection *);

/* Pure helpers, exposed for tests. */
struct buf;
/* Append s HTML-escaped (made printable UTF-8 first). */
void		 dashboard_escape(struct buf *, const char *s);
/*
 * A since/until parameter (RFC 3339 time or YYYY-MM-DD) as ms; a bare
 * date as until means the end of that day (inclusive).  0 or -1.
 */
int		 dashboard_parse_time(const char *s, int until, int64_t *ms);
/*
 * An hours parameter "S-E": local hours S (0-23) to E (1-24, exclusive),
 * past midnight when E <= S ("22-02" is 22:00-02:00).  0 or -1.
 */
int		 dashboard_parse_hours(const char *s, int *start, int *end);
/* The password of a basic-auth header value, malloc'd, or NULL. */
char		*dashboard_basic_password(const char *authorization);

#endif
