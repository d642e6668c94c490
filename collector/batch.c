/*
 * Parsing and validation of an uploaded batch.  The raw bytes are walked
 * first (batch_scan_value) so that no claimed count or length is believed
 * before the bytes behind it are known to exist; only then is each record
 * decoded on its own, which bounds memory by the size of one record.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "batch.h"
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

static uint64_t
be(const unsigned char *p, size_t n)
{
	uint64_t	v = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * Read the header of the object at buf[*off]: how many bytes of payload
 * follow it (skip) and how many child objects (children, map pairs
 * counted twice).  Bounds-checked against len.
 */
static int
scan_header(const unsigned char *buf, size_t len, size_t *off,
    uint64_t *skip, uint64_t *children, char *err, size_t errlen)
{
	unsigned char	b;
	size_t		n = 0;	/* size of the length field */
	size_t		o = *off;

	*skip = 0;
	*children = 0;
	if (o >= len)
		return fail(err, errlen, "truncated msgpack at byte %zu", o);
	b = buf[o++];
	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
		;	/* fixint, nil, bool */
	else if (b >= 0x80 && b <= 0x8f)
		*children = (uint64_t)(b & 0x0f) * 2;
	else if (b >= 0x90 && b <= 0x9f)
		*children = b & 0x0f;
	else if (b >= 0xa0 && b <= 0xbf)
		*skip = b & 0x1f;
	else {
		switch (b) {
		case 0xc4: case 0xd9: n = 1; break;	/* bin8, str8 */
		case 0xc5: case 0xda: n = 2; break;
		case 0xc6: case 0xdb: n = 4; break;
		case 0xc7: n = 1; *skip = 1; break;	/* ext8 + type */
		case 0xc8: n = 2; *skip = 1; break;
		case 0xc9: n = 4; *skip = 1; break;
		case 0xca: *skip = 4; break;		/* float32 */
		case 0xcb: *skip = 8; break;
		case 0xcc: case 0xd0: *skip = 1; break;	/* (u)int8 */
		case 0xcd: case 0xd1: *skip = 2; break;
		case 0xce: case 0xd2: *skip = 4; break;
		case 0xcf: case 0xd3: *skip = 8; break;
		case 0xd4: *skip = 2; break;		/* fixext: type + data */
		case 0xd5: *skip = 3; break;
		case 0xd6: *skip = 5; break;
		case 0xd7: *skip = 9; break;
		case 0xd8: *skip = 17; break;
		case 0xdc: case 0xdd:			/* array16/32 */
		case 0xde: case 0xdf:			/* map16/32 */
			n = (b == 0xdc || b == 0xde) ? 2 : 4;
			if (len - o < n)
				return fail(err, errlen,
				    "truncated msgpack at byte %zu", o);
			*children = be(buf + o, n);
			if (b >= 0xde)
				*children *= 2;
			o += n;
			n = 0;
			break;
		default:				/* 0xc1 */
			return fail(err, errlen,
			    "invalid msgpack type 0x%02x at byte %zu", b, o - 1);
		}
		if (n > 0) {
			if (len - o < n)
				return fail(err, errlen,
				    "truncated msgpack at byte %zu", o);
			*skip += be(buf + o, n);
			o += n;
		}
	}
	if (*skip > len - o)
		return fail(err, errlen, "claimed length %llu at byte %zu "
		    "exceeds the body", (unsigned long long)*skip, *off);
	/* Every child takes at least one byte: never believe more. */
	if (*children > len - o - *skip)
		return fail(err, errlen, "claimed count %llu at byte %zu "
		    "exceeds the body", (unsigned long long)*children, *off);
	*off = o;
	return 0;
}

int
batch_scan_value(const unsigned char *buf, size_t len, size_t *off,
    int maxdepth, size_t maxobjects, char *err, size_t errlen)
{
	uint64_t	stack[BATCH_MAX_DEPTH + 1];
	uint64_t	remaining = 1, skip, children;
	size_t		nobjects = 0;
	int		depth = 0;

	if (maxdepth > BATCH_MAX_DEPTH)
		maxdepth = BATCH_MAX_DEPTH;
	for (;;) {
		if (remaining == 0) {
			if (depth == 0)
				break;
			remaining = stack[--depth];
			continue;
		}
		remaining--;
		if (scan_header(buf, len, off, &skip, &children, err,
		    errlen) == -1)
			return -1;
		*off += skip;
		if (++nobjects > maxobjects)
			return fail(err, errlen, "more than %zu objects in one "
			    "value", maxobjects);
		if (children > 0) {
			if (depth >= maxdepth)
				return fail(err, errlen, "nesting deeper than "
				    "%d at byte %zu", maxdepth, *off);
			stack[depth++] = remaining;
			remaining = children;
		}
	}
	return 0;
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

/* Decode and check one record; fill r from it.  0 or -1. */
static int
parse_record(const char *raw, size_t rawlen, struct batch_record *r,
    char *err, size_t errlen)
{
	msgpack_unpacked	 u;
	msgpack_unpack_return	 ret;
	size_t			 off = 0;
	char			 why[256];
	int			 rv = -1;

	msgpack_unpacked_init(&u);
	ret = msgpack_unpack_next(&u, raw, rawlen, &off);
	if (ret != MSGPACK_UNPACK_SUCCESS || off != rawlen) {
		fail(err, errlen, "undecodable msgpack");
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
	r->rawlen = rawlen;
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
	uint64_t		 skip, count;
	size_t			 off = 0, start, i;
	char			 why[256];

	*out = NULL;
	if (len == 0)
		return fail(err, errlen, "empty body");
	if (!(p[0] >= 0x90 && p[0] <= 0x9f) && p[0] != 0xdc && p[0] != 0xdd)
		return fail(err, errlen, "body is not a msgpack array");
	if (scan_header(p, len, &off, &skip, &count, why, sizeof why) == -1)
		return fail(err, errlen, "%s", why);
	if (count > BATCH_MAX_RECORDS)
		return fail(err, errlen, "more than %d records in one batch",
		    BATCH_MAX_RECORDS);

	b = xcalloc(1, sizeof *b);
	b->rec = xcalloc(count > 0 ? count : 1, sizeof *b->rec);
	for (i = 0; i < count; i++) {
		start = off;
		if (off < len && !(p[off] >= 0x80 && p[off] <= 0x8f) &&
		    p[off] != 0xde && p[off] != 0xdf) {
			fail(err, errlen, "record %zu: not a map", i);
			goto bad;
		}
		if (batch_scan_value(p, len, &off, BATCH_MAX_DEPTH,
		    BATCH_MAX_OBJECTS, why, sizeof why) == -1) {
			fail(err, errlen, "record %zu: %s", i, why);
			goto bad;
		}
		if (parse_record(body + start, off - start, &b->rec[i], why,
		    sizeof why) == -1) {
			fail(err, errlen, "record %zu: %s", i, why);
			goto bad;
		}
		b->n++;
	}
	if (off != len) {
		fail(err, errlen, "%zu trailing bytes after the array",
		    len - off);
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
