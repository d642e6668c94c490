/*
 * One human line per record (see show-table.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mp.h"
#include "show-table.h"
#include "util.h"

#define COL_TIME	27
#define COL_TARGET	32
#define COL_STATUS	12
#define COL_METHOD	17

/* s without control characters (a name from the network is hostile). */
static void
clean(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	}
}

static void
column(struct buf *out, const char *s, int width)
{
	int	n = (int)strlen(s);

	buf_addstr(out, s);
	if (n < width - 1)
		buf_printf(out, "%*s", width - n, "");
	else
		buf_addstr(out, " ");
}

/* "2026-11-25 23:00:03 +05:00": local time at the probe. */
static void
local_time(const msgpack_object *rec, char *buf, size_t len)
{
	char		 st[64];
	int64_t		 ms, off;
	time_t		 t;
	struct tm	 tm;
	long		 a;

	if (mp_get_str(rec, "start_time", st, sizeof st) != 0 ||
	    util_parse_rfc3339_ms(st, &ms) != 0) {
		snprintf(buf, len, "?");
		return;
	}
	if (mp_get_int(rec, "tz_offset", &off) != 0 || off < -86400 ||
	    off > 86400)
		off = 0;
	t = (time_t)(ms / 1000 + off);
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "?");
		return;
	}
	a = (long)(off < 0 ? -off : off);
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d %c%02d:%02d",
	    (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
	    tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
	    tm.tm_sec % 100, off < 0 ? '-' : '+', (int)(a / 3600 % 100),
	    (int)(a / 60 % 60));
}

void
show_table_header(struct buf *out)
{
	column(out, "time (probe)", COL_TIME);
	column(out, "target", COL_TARGET);
	column(out, "status", COL_STATUS);
	column(out, "method", COL_METHOD);
	buf_addstr(out, "detail\n");
}

void
show_table_line(const msgpack_object *rec, struct buf *out)
{
	char	 when[64], host[300], target[320], status[32], method[64];
	char	 detail[2048];
	int64_t	 port;

	local_time(rec, when, sizeof when);
	if (mp_get_str(rec, "target.host", host, sizeof host) != 0)
		snprintf(host, sizeof host, "?");
	if (mp_get_int(rec, "target.port", &port) == 0 && port != 443)
		snprintf(target, sizeof target, "%s:%lld", host,
		    (long long)port);
	else
		snprintf(target, sizeof target, "%s", host);
	if (mp_get_str(rec, "verdict.status", status, sizeof status) != 0)
		snprintf(status, sizeof status, "?");
	if (mp_get_str(rec, "verdict.method", method, sizeof method) != 0)
		snprintf(method, sizeof method, "-");
	if (mp_get_str(rec, "verdict.detail", detail, sizeof detail) != 0)
		detail[0] = '\0';
	clean(target);
	clean(status);
	clean(method);
	clean(detail);
	column(out, when, COL_TIME);
	column(out, target, COL_TARGET);
	column(out, status, COL_STATUS);
	column(out, method, COL_METHOD);
	buf_addstr(out, detail);
	buf_addstr(out, "\n");
}
