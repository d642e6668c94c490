/*
 * The bounded msgpack cursor (mp-cursor.h).
 *
 * Why a hand-written walk in front of msgpack-c: msgpack-c's C unpacker
 * has no limits (the unpack_limit of its C++ API has no C counterpart)
 * and allocates a container's declared count before reading a single
 * element, so five bytes (dd ff ff ff ff) ask its zone for 96 GiB.  The
 * walk below is the only code that reads msgpack headers; it checks every
 * count and length against the bytes present and the limits, and only
 * then is msgpack-c asked to build objects, which bounds the memory it
 * takes by the size of the input.  Values themselves (numbers, strings,
 * the objects) are still decoded by msgpack-c wherever objects are built;
 * the typed steps decode the few scalars report reads in place.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mp-cursor.h"

/* msgpack-c's unpacker holds MSGPACK_EMBED_STACK_SIZE (32) levels. */
#define MP_CURSOR_MAX_DEPTH	31

const struct mp_limits mp_limits_default = {
	.depth = MP_CURSOR_MAX_DEPTH,
	.objects = 2000000,
	.str = 64 * 1024 * 1024,
	.bytes = 64 * 1024 * 1024,
};

/* The header of the value at the cursor. */
struct mp_head {
	size_t		 hdr;		/* bytes of the header */
	uint64_t	 payload;	/* bytes after the header */
	uint64_t	 children;	/* objects inside (map pairs twice) */
	unsigned char	 type;		/* the first byte */
};

static int
cursor_fail(struct mp_cursor *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
cursor_fail(struct mp_cursor *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	return -1;
}

static uint64_t
be(const unsigned char *p, size_t n)
{
	uint64_t	v = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

void
mp_cursor_init(struct mp_cursor *c, const void *data, size_t len,
    const struct mp_limits *lim)
{
	memset(c, 0, sizeof *c);
	c->p = data;
	c->len = len;
	c->lim = lim != NULL ? *lim : mp_limits_default;
	if (c->lim.depth > MP_CURSOR_MAX_DEPTH)
		c->lim.depth = MP_CURSOR_MAX_DEPTH;
}

int
mp_cursor_end(const struct mp_cursor *c)
{
	return c->pos >= c->len;
}

/*
 * Read the header at pos (not moving the cursor) and check it: the length
 * field is present, the payload fits in the bytes left and the string
 * limit, and every child could take at least one byte of what is left.
 */
static int
head(struct mp_cursor *c, size_t pos, struct mp_head *h)
{
	const unsigned char	*p = c->p + pos;
	size_t			 left = c->len - pos, lb = 0;
	unsigned char		 b;
	int			 is_str = 0;

	if (pos >= c->len)
		return cursor_fail(c, "truncated msgpack at byte %zu", pos);
	b = p[0];
	h->type = b;
	h->hdr = 1;
	h->payload = 0;
	h->children = 0;
	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
		return 0;	/* fixint, nil, bool */
	if (b <= 0x8f) {
		h->children = 2 * (uint64_t)(b & 0x0f);
	} else if (b <= 0x9f) {
		h->children = b & 0x0f;
	} else if (b <= 0xbf) {
		h->payload = b & 0x1f;
		is_str = 1;
	} else {
		switch (b) {
		case 0xc4: case 0xd9: lb = 1; is_str = 1; break; /* bin, str */
		case 0xc5: case 0xda: lb = 2; is_str = 1; break;
		case 0xc6: case 0xdb: lb = 4; is_str = 1; break;
		case 0xc7: lb = 1; is_str = 1; break;	/* ext: + type byte */
		case 0xc8: lb = 2; is_str = 1; break;
		case 0xc9: lb = 4; is_str = 1; break;
		case 0xca: h->payload = 4; break;	/* float32 */
		case 0xcb: h->payload = 8; break;
		case 0xcc: case 0xd0: h->payload = 1; break;	/* (u)int8 */
		case 0xcd: case 0xd1: h->payload = 2; break;
		case 0xce: case 0xd2: h->payload = 4; break;
		case 0xcf: case 0xd3: h->payload = 8; break;
		case 0xd4: h->payload = 2; break;	/* fixext: type, data */
		case 0xd5: h->payload = 3; break;
		case 0xd6: h->payload = 5; break;
		case 0xd7: h->payload = 9; break;
		case 0xd8: h->payload = 17; break;
		case 0xdc: case 0xdd: case 0xde: case 0xdf:
			lb = (b == 0xdc || b == 0xde) ? 2 : 4;
			break;
		default:				/* 0xc1 */
			return cursor_fail(c, "invalid msgpack type 0x%02x at "
			    "byte %zu", b, pos);
		}
		if (left < 1 + lb)
			return cursor_fail(c, "truncated msgpack at byte %zu",
			    pos);
		h->hdr = 1 + lb;
		if (b >= 0xdc) {
			h->children = be(p + 1, lb);
			if (b >= 0xde)
				h->children *= 2;
		} else if (lb > 0)
			h->payload = be(p + 1, lb) + (b >= 0xc7 && b <= 0xc9);
	}
	if (left < h->hdr)
		return cursor_fail(c, "truncated msgpack at byte %zu", pos);
	if (is_str && h->payload > c->lim.str)
		return cursor_fail(c, "string of %llu bytes at byte %zu over "
		    "the limit of %zu", (unsigned long long)h->payload, pos,
		    c->lim.str);
	if (h->payload > left - h->hdr)
		return cursor_fail(c, "claimed length %llu at byte %zu exceeds "
		    "the body", (unsigned long long)h->payload, pos);
	/* Every child takes at least one byte: never believe more. */
	if (h->children > left - h->hdr - h->payload)
		return cursor_fail(c, "claimed count %llu at byte %zu exceeds "
		    "the body", (unsigned long long)h->children, pos);
	return 0;
}

int
mp_cursor_skip(struct mp_cursor *c)
{
	uint64_t		stack[MP_CURSOR_MAX_DEPTH + 1];
	uint64_t		remaining = 1;
	struct mp_head		h;
	size_t			start = c->pos, pos = c->pos, nobjects = 0;
	int			depth = 0;

	for (;;) {
		if (remaining == 0) {
			if (depth == 0)
				break;
			remaining = stack[--depth];
			continue;
		}
		remaining--;
		if (head(c, pos, &h) != 0)
			return -1;
		pos += h.hdr + (size_t)h.payload;
		if (pos - start > c->lim.bytes)
			return cursor_fail(c, "value at byte %zu longer than "
			    "%zu bytes", start, c->lim.bytes);
		if (++nobjects > c->lim.objects)
			return cursor_fail(c, "more than %zu objects in one "
			    "value", c->lim.objects);
		if (h.children > 0) {
			if (depth >= c->lim.depth)
				return cursor_fail(c, "nesting deeper than %d "
				    "at byte %zu", c->lim.depth, pos);
			stack[depth++] = remaining;
			remaining = h.children;
		}
	}
	c->pos = pos;
	return 0;
}

int
mp_cursor_unpack(struct mp_cursor *c, msgpack_unpacked *u)
{
	size_t	start = c->pos, off = 0;

	if (mp_cursor_skip(c) != 0)
		return -1;
	if (msgpack_unpack_next(u, (const char *)c->p + start, c->pos - start,
	    &off) != MSGPACK_UNPACK_SUCCESS || off != c->pos - start) {
		c->pos = start;
		return cursor_fail(c, "undecodable msgpack at byte %zu", start);
	}
	return 0;
}

static int
container(struct mp_cursor *c, int map, uint32_t *n)
{
	struct mp_head	h;
	unsigned char	b;

	if (head(c, c->pos, &h) != 0)
		return -1;
	b = h.type;
	if (map ? !((b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf) :
	    !((b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd))
		return 0;
	*n = (uint32_t)(map ? h.children / 2 : h.children);
	c->pos += h.hdr;
	return 1;
}

int
mp_cursor_map(struct mp_cursor *c, uint32_t *n)
{
	return container(c, 1, n);
}

int
mp_cursor_array(struct mp_cursor *c, uint32_t *n)
{
	return container(c, 0, n);
}

int
mp_cursor_str(struct mp_cursor *c, const char **s, size_t *n)
{
	struct mp_head	h;

	if (head(c, c->pos, &h) != 0)
		return -1;
	if (!((h.type >= 0xa0 && h.type <= 0xbf) ||
	    (h.type >= 0xd9 && h.type <= 0xdb)))
		return 0;
	*s = (const char *)c->p + c->pos + h.hdr;
	*n = (size_t)h.payload;
	c->pos += h.hdr + (size_t)h.payload;
	return 1;
}

int
mp_cursor_nil(struct mp_cursor *c)
{
	struct mp_head	h;

	if (head(c, c->pos, &h) != 0)
		return -1;
	if (h.type != 0xc0)
		return 0;
	c->pos++;
	return 1;
}

int
mp_cursor_num(struct mp_cursor *c, double *v, int64_t *iv, int *is_int)
{
	struct mp_head		 h;
	const unsigned char	*p;
	uint64_t		 u;
	uint32_t		 u32;
	float			 f;
	double			 d;
	size_t			 n;
	unsigned char		 b;

	if (head(c, c->pos, &h) != 0)
		return -1;
	b = h.type;
	p = c->p + c->pos + 1;
	*is_int = 1;
	if (b <= 0x7f)
		*iv = b;
	else if (b >= 0xe0)
		*iv = (int8_t)b;
	else if (b >= 0xcc && b <= 0xcf) {
		u = be(p, (size_t)h.payload);
		if (u > INT64_MAX) {
			*is_int = 0;
			*v = (double)u;
			*iv = INT64_MAX;
			c->pos += 1 + (size_t)h.payload;
			return 1;
		}
		*iv = (int64_t)u;
	} else if (b >= 0xd0 && b <= 0xd3) {
		n = (size_t)h.payload;
		u = be(p, n);
		/* Sign-extend the n-byte two's complement value. */
		if (n < 8 && (u >> (8 * n - 1)) & 1)
			u |= ~(uint64_t)0 << (8 * n);
		*iv = (int64_t)u;
	} else if (b == 0xca) {
		u32 = (uint32_t)be(p, 4);
		memcpy(&f, &u32, sizeof f);
		*is_int = 0;
		*v = f;
		*iv = 0;
		c->pos += 5;
		return 1;
	} else if (b == 0xcb) {
		u = be(p, 8);
		memcpy(&d, &u, sizeof d);
		*is_int = 0;
		*v = d;
		*iv = 0;
		c->pos += 9;
		return 1;
	} else
		return 0;
	*v = (double)*iv;
	c->pos += h.hdr + (size_t)h.payload;
	return 1;
}

int
mp_unpack_one(msgpack_unpacked *u, const char *data, size_t len,
    size_t *used)
{
	struct mp_cursor	c;

	mp_cursor_init(&c, data, len, NULL);
	if (mp_cursor_unpack(&c, u) != 0)
		return -1;
	*used = c.pos;
	return 0;
}
