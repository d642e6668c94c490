/*
 * msgpack objects as JSON (mp-json.h): always valid UTF-8 JSON, whatever
 * the bytes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mp-json.h"
#include "util.h"

#define MP_MAX_DEPTH	32	/* as msgpack-c's unpacker stack */
#define MP_MAX_KEY	1024	/* JSON of a non-string key, before quoting */

void
json_quote(struct buf *b, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, start, n;

	buf_reserve(b, len + 2);
	buf_add(b, "\"", 1);
	while (i < len) {
		start = i;
		while (i < len && p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' &&
		    p[i] != '\\')
			i++;
		if (i > start)
			buf_add(b, p + start, i - start);
		if (i >= len)
			break;
		switch (p[i]) {
		case '"':
			buf_add(b, "\\\"", 2);
			i++;
			continue;
		case '\\':
			buf_add(b, "\\\\", 2);
			i++;
			continue;
		case '\n':
			buf_add(b, "\\n", 2);
			i++;
			continue;
		case '\r':
			buf_add(b, "\\r", 2);
			i++;
			continue;
		case '\t':
			buf_add(b, "\\t", 2);
			i++;
			continue;
		case '\b':
			buf_add(b, "\\b", 2);
			i++;
			continue;
		case '\f':
			buf_add(b, "\\f", 2);
			i++;
			continue;
		}
		if (p[i] < 0x20 || p[i] == 0x7f) {
			buf_printf(b, "\\u%04x", p[i]);
			i++;
			continue;
		}
		n = util_utf8_seq(p + i, len - i, NULL);
		if (n == 0) {
			buf_add(b, "\xef\xbf\xbd", 3);	/* U+FFFD */
			i++;
			continue;
		}
		buf_add(b, p + i, n);
		i += n;
	}
	buf_add(b, "\"", 1);
}

static void
base64(struct buf *b, const unsigned char *p, size_t len)
{
	size_t	i, n;

	buf_reserve(b, (len + 2) / 3 * 4 + 3);
	buf_add(b, "\"", 1);
	/* In pieces a multiple of 3 long: one padding at the very end. */
	for (i = 0; i < len; i += n) {
		n = len - i < 3 * 16384 ? len - i : 3 * 16384;
		buf_reserve(b, (n + 2) / 3 * 4 + 1);
		b->len += (size_t)EVP_EncodeBlock((unsigned char *)b->data +
		    b->len, p + i, (int)n);
	}
	buf_add(b, "\"", 1);
}

/* The shortest %g form that reads back as the same value. */
static void
json_double(struct buf *b, double d, int is32)
{
	char	tmp[40];
	int	prec;

	if (!isfinite(d)) {
		buf_addstr(b, "null");
		return;
	}
	for (prec = is32 ? 6 : 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, d);
		if (is32 ? (float)strtod(tmp, NULL) == (float)d :
		    strtod(tmp, NULL) == d)
			break;
	}
	if (strpbrk(tmp, ".eEn") == NULL)
		strncat(tmp, ".0", sizeof tmp - strlen(tmp) - 1);
	buf_addstr(b, tmp);
}

static void
json_value(const msgpack_object *o, struct buf *b, int depth)
{
	uint32_t	i;

	if (depth > MP_MAX_DEPTH) {
		buf_addstr(b, "null");
		return;
	}
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		buf_addstr(b, "null");
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		buf_addstr(b, o->via.boolean ? "true" : "false");
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		buf_printf(b, "%llu", (unsigned long long)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		buf_printf(b, "%lld", (long long)o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
		json_double(b, o->via.f64, 1);
		break;
	case MSGPACK_OBJECT_FLOAT64:
		json_double(b, o->via.f64, 0);
		break;
	case MSGPACK_OBJECT_STR:
		json_quote(b, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		base64(b, (const unsigned char *)o->via.bin.ptr,
		    o->via.bin.size);
		break;
	case MSGPACK_OBJECT_EXT:
		base64(b, (const unsigned char *)o->via.ext.ptr,
		    o->via.ext.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
		buf_add(b, "[", 1);
		for (i = 0; i < o->via.array.size; i++) {
			if (i > 0)
				buf_add(b, ",", 1);
			json_value(&o->via.array.ptr[i], b, depth + 1);
		}
		buf_add(b, "]", 1);
		break;
	case MSGPACK_OBJECT_MAP:
		buf_add(b, "{", 1);
		for (i = 0; i < o->via.map.size; i++) {
			const msgpack_object_kv	*kv = &o->via.map.ptr[i];

			if (i > 0)
				buf_add(b, ",", 1);
			if (kv->key.type == MSGPACK_OBJECT_STR)
				json_quote(b, kv->key.via.str.ptr,
				    kv->key.via.str.size);
			else {
				struct buf	 k = { NULL, 0, 0 };

				/*
				 * JSON keys are strings: quote the JSON.  Each
				 * level of keys within keys doubles the
				 * escapes, so cut it short.
				 */
				json_value(&kv->key, &k, depth + 1);
				json_quote(b, k.data,
				    k.len > MP_MAX_KEY ? MP_MAX_KEY : k.len);
				buf_free(&k);
			}
			buf_add(b, ":", 1);
			json_value(&kv->val, b, depth + 1);
		}
		buf_add(b, "}", 1);
		break;
	default:
		buf_addstr(b, "null");
		break;
	}
}

void
mp_to_json(const msgpack_object *o, struct buf *b)
{
	json_value(o, b, 0);
}
