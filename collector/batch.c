/*
 * Parsing and validation of an uploaded batch.  Each record is walked
 * with the bounded cursor (lib/mp-cursor.h) so that no claimed count or
 * length is believed before the bytes behind it are known to exist, then
 * decoded on its own, which bounds memory by the size of one record.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "batch.h"
#include "mp-cursor.h"
#include "mp.h"
#include "record.h"
#include "xmalloc.h"

#define BATCH_MAX_ID	128

static int
fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void
get_str(const msgpack_object *o, const char *path, struct batch_str *s)
{
	const msgpack_object	*v;

	s->ptr = NULL;
	s->len = 0;
	v = mp_get(o, path);
	if (v != NULL && v->type == MSGPACK_OBJECT_STR) {
		s->ptr = v->via.str.ptr;
		s->len = v->via.str.size;
	}
}

const struct mp_limits batch_limits = {
	.depth = BATCH_MAX_DEPTH,
	.objects = BATCH_MAX_OBJECTS,
	.str = SIZE_MAX,	/* the body is bounded by --max-body */
	.bytes = SIZE_MAX,
};

/*
 * Decode and check the record at the cursor (a whole record, walked with
 * batch_limits); fill r from it.  0 or -1.
 */
static int
parse_record(struct mp_cursor *c, struct batch_record *r, char *err,
    size_t errlen)
{
	msgpack_unpacked	 u;
	const char		*raw = (const char *)c->p + c->pos;
	size_t			 start = c->pos;
	char			 why[256];
	int			 rv = -1;

	msgpack_unpacked_init(&u);
	if (mp_cursor_unpack(c, &u) != 0) {
		fail(err, errlen, "%s", c->err);
		goto out;
	}
	if (u.data.type != MSGPACK_OBJECT_MAP) {
		fail(err, errlen, "not a map");
		goto out;
	}
	why[0] = '\0';
	if (record_validate(&u.data, why, sizeof why) != 0) {
		fail(err, errlen, "%s", why[0] != '\0' ? why : "invalid");
		goto out;
	}
	r->raw = raw;
	r->rawlen = c->pos - start;
	/* Strings point into raw: msgpack_unpack_next does not copy them. */
	get_str(&u.data, "id", &r->id);
	get_str(&u.data, "probe_id", &r->probe_id);
	get_str(&u.data, "start_time", &r->start_time);
	get_str(&u.data, "target.host", &r->host);
	get_str(&u.data, "verdict.status", &r->status);
	get_str(&u.data, "verdict.method", &r->method);
	if (r->id.ptr == NULL || r->id.len == 0 || r->id.len > BATCH_MAX_ID ||
	    memchr(r->id.ptr, '\0', r->id.len) != NULL) {
		fail(err, errlen, "bad id");
		goto out;
	}
	rv = 0;
out:
	msgpack_unpacked_destroy(&u);
	return rv;
}

int
collector_parse_batch(const char *body, size_t len, struct batch **out,
    char *err, size_t errlen)
{
	const unsigned char	*p = (const unsigned char *)body;
	struct batch		*b = NULL;
	struct mp_cursor	 c;
	uint32_t		 count;
	size_t			 i;
	char			 why[256];

	*out = NULL;
	if (len == 0)
		return fail(err, errlen, "empty body");
	mp_cursor_init(&c, body, len, &batch_limits);
	switch (mp_cursor_array(&c, &count)) {
	case -1:
		return fail(err, errlen, "%s", c.err);
	case 0:
		return fail(err, errlen, "body is not a msgpack array");
	}
	if (count > BATCH_MAX_RECORDS)
		return fail(err, errlen, "more than %d records in one batch",
		    BATCH_MAX_RECORDS);

	b = xcalloc(1, sizeof *b);
	b->rec = xcalloc(count > 0 ? count : 1, sizeof *b->rec);
	for (i = 0; i < count; i++) {
		if (c.pos < len && !(p[c.pos] >= 0x80 && p[c.pos] <= 0x8f) &&
		    p[c.pos] != 0xde && p[c.pos] != 0xdf) {
			fail(err, errlen, "record %zu: not a map", i);
			goto bad;
		}
		if (parse_record(&c, &b->rec[i], why, sizeof why) == -1) {
			fail(err, errlen, "record %zu: %s", i, why);
			goto bad;
		}
		b->n++;
	}
	if (c.pos != len) {
		fail(err, errlen, "%zu trailing bytes after the array",
		    len - c.pos);
		goto bad;
	}
	*out = b;
	return 0;
bad:
	batch_free(b);
	return -1;
}

void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	free(b->rec);
	free(b);
}
