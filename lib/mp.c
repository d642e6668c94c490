/*
 * Helpers over msgpack: a byte buffer, JSON rendering that always yields
 * valid UTF-8 JSON, key path lookups, a bounded structural scanner for
 * untrusted bytes, and the record validator the collector relies on.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp.h"
#include "util.h"
#include "xmalloc.h"

#define MP_MAX_DEPTH	32	/* as msgpack-c's unpacker stack */
#define MP_MAX_KEY	1024	/* JSON of a non-string key, before quoting */

/* --- struct buf ----------------------------------------------------------- */

static void
buf_reserve(struct buf *b, size_t more)
{
	size_t	need;

	if (more > SIZE_MAX - b->len - 1)
		abort();
	need = b->len + more + 1;
	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 256;
	while (b->cap < need) {
		if (b->cap > SIZE_MAX / 2)
			b->cap = need;
		else
			b->cap *= 2;
	}
	b->data = xrealloc(b->data, b->cap);
}

void
buf_add(struct buf *b, const void *p, size_t len)
{
	buf_reserve(b, len);
	if (len > 0)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* --- JSON ----------------------------------------------------------------- */

/*
 * Length of the valid UTF-8 sequence at p (at most n bytes), or 0 when
 * it is not one (overlong forms, surrogates and values over U+10FFFF are
 * invalid).
 */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char	c = p[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		if (n >= 2 && (p[1] & 0xc0) == 0x80)
			return 2;
		return 0;
	}
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && p[1] < 0xa0)
			return 0;	/* overlong */
		if (c == 0xed && p[1] >= 0xa0)
			return 0;	/* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && p[1] < 0x90)
			return 0;	/* overlong */
		if (c == 0xf4 && p[1] >= 0x90)
			return 0;	/* over U+10FFFF */
		return 4;
	}
	return 0;
}

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
		n = utf8_seq(p + i, len - i);
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
	static const char	tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char			q[4];
	size_t			i;
	unsigned int		v;

	buf_reserve(b, (len + 2) / 3 * 4 + 2);
	buf_add(b, "\"", 1);
	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = tab[(v >> 6) & 63];
		q[3] = tab[v & 63];
		buf_add(b, q, 4);
	}
	if (len - i == 1) {
		v = (unsigned)p[i] << 16;
		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = q[3] = '=';
		buf_add(b, q, 4);
	} else if (len - i == 2) {
		v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = tab[(v >> 6) & 63];
		q[3] = '=';
		buf_add(b, q, 4);
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

/* --- structural scan ------------------------------------------------------ */

static uint64_t
be(const unsigned char *p, size_t n)
{
	uint64_t	v = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

int
mp_scan(const char *data, size_t len, size_t *used)
{
	const unsigned char	*p = (const unsigned char *)data;
	uint64_t		 stack[MP_MAX_DEPTH + 1];
	size_t			 pos = 0, hdr, skip;
	uint64_t		 n;
	int			 top = 0, container;
	unsigned char		 c;

	stack[0] = 1;
	while (top >= 0) {
		if (stack[top] == 0) {
			top--;
			continue;
		}
		stack[top]--;
		if (pos >= len)
			return -1;
		c = p[pos];
		hdr = 1;
		skip = 0;
		n = 0;
		container = 0;
		if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 ||
		    c == 0xc3) {
			/* fixint, nil, bool */
		} else if (c >= 0x80 && c <= 0x8f) {
			n = 2 * (uint64_t)(c & 0x0f);
			container = 1;
		} else if (c >= 0x90 && c <= 0x9f) {
			n = c & 0x0f;
			container = 1;
		} else if (c >= 0xa0 && c <= 0xbf) {
			skip = c & 0x1f;
		} else {
			size_t	lb;

			switch (c) {
			case 0xc4: case 0xc5: case 0xc6:	/* bin */
			case 0xd9: case 0xda: case 0xdb:	/* str */
				lb = (c >= 0xd9) ? (size_t)1 << (c - 0xd9) :
				    (size_t)1 << (c - 0xc4);
				if (len - pos < 1 + lb)
					return -1;
				skip = be(p + pos + 1, lb);
				hdr = 1 + lb;
				break;
			case 0xc7: case 0xc8: case 0xc9:	/* ext */
				lb = (size_t)1 << (c - 0xc7);
				if (len - pos < 1 + lb)
					return -1;
				skip = be(p + pos + 1, lb) + 1;
				hdr = 1 + lb;
				break;
			case 0xca: skip = 4; break;
			case 0xcb: skip = 8; break;
			case 0xcc: case 0xd0: skip = 1; break;
			case 0xcd: case 0xd1: skip = 2; break;
			case 0xce: case 0xd2: skip = 4; break;
			case 0xcf: case 0xd3: skip = 8; break;
			case 0xd4: skip = 2; break;
			case 0xd5: skip = 3; break;
			case 0xd6: skip = 5; break;
			case 0xd7: skip = 9; break;
			case 0xd8: skip = 17; break;
			case 0xdc: case 0xde:
				if (len - pos < 3)
					return -1;
				n = be(p + pos + 1, 2);
				hdr = 3;
				container = 1;
				break;
			case 0xdd: case 0xdf:
				if (len - pos < 5)
					return -1;
				n = be(p + pos + 1, 4);
				hdr = 5;
				container = 1;
				break;
			default:				/* 0xc1 */
				return -1;
			}
			if (container && (c == 0xde || c == 0xdf))
				n *= 2;
		}
		if (len - pos < hdr)
			return -1;
		pos += hdr;
		if (skip > len - pos)
			return -1;
		pos += skip;
		if (container && n > 0) {
			/* Every element takes at least one byte. */
			if (n > len - pos)
				return -1;
			if (top + 1 > MP_MAX_DEPTH - 1)
				return -1;
			stack[++top] = n;
		}
	}
	*used = pos;
	return 0;
}

int
mp_unpack_one(msgpack_unpacked *u, const char *data, size_t len,
    size_t *used)
{
	size_t	n, off = 0;

	if (mp_scan(data, len, &n) != 0)
		return -1;
	if (msgpack_unpack_next(u, data, n, &off) != MSGPACK_UNPACK_SUCCESS ||
	    off != n)
		return -1;
	*used = n;
	return 0;
}

/* --- lookups -------------------------------------------------------------- */

static const msgpack_object *
map_get(const msgpack_object *o, const char *key, size_t keylen)
{
	uint32_t	i;

	if (o == NULL || o->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (i = 0; i < o->via.map.size; i++) {
		const msgpack_object	*k = &o->via.map.ptr[i].key;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == keylen &&
		    memcmp(k->via.str.ptr, key, keylen) == 0)
			return &o->via.map.ptr[i].val;
	}
	return NULL;
}

const msgpack_object *
mp_get(const msgpack_object *o, const char *path)
{
	const char	*dot;
	size_t		 n, i;
	unsigned long	 idx;

	while (o != NULL) {
		dot = strchr(path, '.');
		n = dot != NULL ? (size_t)(dot - path) : strlen(path);
		if (o->type == MSGPACK_OBJECT_ARRAY) {
			if (n == 0 || n > 9)
				return NULL;
			idx = 0;
			for (i = 0; i < n; i++) {
				if (path[i] < '0' || path[i] > '9')
					return NULL;
				idx = idx * 10 + (unsigned long)(path[i] - '0');
			}
			if (idx >= o->via.array.size)
				return NULL;
			o = &o->via.array.ptr[idx];
		} else
			o = map_get(o, path, n);
		if (dot == NULL)
			return o;
		path = dot + 1;
	}
	return NULL;
}

int
mp_str_eq(const msgpack_object *o, const char *s)
{
	size_t	n = strlen(s);

	return o != NULL && o->type == MSGPACK_OBJECT_STR &&
	    o->via.str.size == n && memcmp(o->via.str.ptr, s, n) == 0;
}

int
mp_get_str(const msgpack_object *o, const char *path, char *out,
    size_t outlen)
{
	o = mp_get(o, path);
	if (o == NULL || o->type != MSGPACK_OBJECT_STR || outlen == 0 ||
	    o->via.str.size >= outlen ||
	    memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL)
		return -1;
	memcpy(out, o->via.str.ptr, o->via.str.size);
	out[o->via.str.size] = '\0';
	return 0;
}

int
mp_get_int(const msgpack_object *o, const char *path, int64_t *out)
{
	o = mp_get(o, path);
	if (o == NULL)
		return -1;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		if (o->via.u64 > INT64_MAX)
			return -1;
		*out = (int64_t)o->via.u64;
		return 0;
	}
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		*out = o->via.i64;
		return 0;
	}
	return -1;
}

int
mp_get_num(const msgpack_object *o, const char *path, double *out)
{
	o = mp_get(o, path);
	if (o == NULL)
		return -1;
	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		*out = (double)o->via.u64;
		return 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*out = (double)o->via.i64;
		return 0;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		*out = o->via.f64;
		return 0;
	default:
		return -1;
	}
}

/* --- record validation ---------------------------------------------------- */

#define V_MAX_STR	65536	/* longest string a required key may hold */

enum vtype {
	V_STR,		/* non-empty string */
	V_STR_NIL,	/* string or nil */
	V_STR_ANY,	/* string, possibly empty */
	V_UUID,
	V_TIME,		/* RFC 3339 */
	V_HEX64,	/* 64 lower-case hex digits */
	V_INT,
	V_PORT,
	V_NUM,		/* finite number >= 0 */
	V_BOOL,
	V_MAP,
	V_ARRAY,
	V_ENUM,		/* string from a list */
	V_ENUM_NIL,	/* string from a list, or nil */
};

struct vkey {
	const char		*key;
	enum vtype		 type;
	const char *const	*names;		/* V_ENUM */
};

static const char *const v_roles[] = { "probe", "control", NULL };
static const char *const v_qtypes[] = { "A", "AAAA", NULL };
static const char *const v_statuses[] = { "ok", "blocked", "intercepted",
	"anomaly", "down", "error", NULL };
static const char *const v_methods[] = { "dns_nxdomain", "dns_bogon",
	"dns_inconsistent", "dns_timeout", "dns_refused", "dns_servfail",
	"tcp_refused", "tcp_reset", "tcp_timeout", "tls_reset",
	"tls_timeout", "tls_eof", "tls_sni", "tls_mitm", NULL };

static const struct vkey v_record[] = {
	{ "schema", V_INT, NULL },
	{ "id", V_UUID, NULL },
	{ "run_id", V_UUID, NULL },
	{ "probe_id", V_STR, NULL },
	{ "campaign", V_STR_NIL, NULL },
	{ "software", V_MAP, NULL },
	{ "start_time", V_TIME, NULL },
	{ "tz_offset", V_INT, NULL },
	{ "runtime_ms", V_NUM, NULL },
	{ "target", V_MAP, NULL },
	{ "dns", V_ARRAY, NULL },
	{ "tcp", V_ARRAY, NULL },
	{ "tls", V_ARRAY, NULL },
	{ "verdict", V_MAP, NULL },
	{ NULL, 0, NULL }
};
static const struct vkey v_software[] = {
	{ "name", V_STR, NULL },
	{ "version", V_STR, NULL },
	{ NULL, 0, NULL }
};
static const struct vkey v_target[] = {
	{ "input", V_STR, NULL },
	{ "host", V_STR, NULL },
	{ "port", V_PORT, NULL },
	{ "category", V_STR_NIL, NULL },
	{ NULL, 0, NULL }
};
static const struct vkey v_dns[] = {
	{ "resolver", V_STR, NULL },
	{ "role", V_ENUM, v_roles },
	{ "query_type", V_ENUM, v_qtypes },
	{ "failure", V_STR_NIL, NULL },
	{ "rcode", V_STR_NIL, NULL },
	{ "answers", V_ARRAY, NULL },
	{ "t_ms", V_NUM, NULL },
	{ NULL, 0, NULL }
};
static const struct vkey v_answer[] = {
	{ "type", V_STR, NULL },
	{ NULL, 0, NULL }
};
static const struct vkey v_tcp[] = {
	{ "ip", V_STR, NULL },
	{ "port", V_PORT, NULL },
	{ "source", V_ENUM, v_roles },
	{ "failure", V_STR_NIL, NULL },
	{ "t_ms", V_NUM, NULL },
	{ NULL, 0, NULL }
};
static const struct vkey v_tls[] = {
	{ "ip", V_STR, NULL },
	{ "port", V_PORT, NULL },
	{ "sni", V_STR_NIL, NULL },
	{ "failure", V_STR_NIL, NULL },
	{ "version", V_STR_NIL, NULL },
	{ "cipher", V_STR_NIL, NULL },
	{ "chain", V_ARRAY, NULL },
	{ "trusted", V_BOOL, NULL },
	{ "trusted_by_system", V_BOOL, NULL },
	{ "verify_error", V_STR_NIL, NULL },
	{ "t_ms", V_NUM, NULL },
	{ NULL, 0, NULL }
};
static const struct vkey v_cert[] = {
	{ "subject", V_STR_ANY, NULL },
	{ "issuer", V_STR_ANY, NULL },
	{ "sha256", V_HEX64, NULL },
	{ "spki_sha256", V_HEX64, NULL },
	{ "not_before", V_STR_ANY, NULL },
	{ "not_after", V_STR_ANY, NULL },
	{ "san", V_ARRAY, NULL },
	{ NULL, 0, NULL }
};
static const struct vkey v_verdict[] = {
	{ "status", V_ENUM, v_statuses },
	{ "method", V_ENUM_NIL, v_methods },
	{ "interception_ca", V_STR_NIL, NULL },
	{ "detail", V_STR_ANY, NULL },
	{ NULL, 0, NULL }
};

static int
verr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
verr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
v_str_ok(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_STR && o->via.str.size <= V_MAX_STR &&
	    memchr(o->via.str.ptr, '\0', o->via.str.size) == NULL;
}

static int
v_in(const msgpack_object *o, const char *const *names)
{
	for (; *names != NULL; names++) {
		if (mp_str_eq(o, *names))
			return 1;
	}
	return 0;
}

static int
v_value(const msgpack_object *o, const struct vkey *k)
{
	char		 tmp[64];
	int64_t		 ms;
	uint32_t	 i;

	switch (k->type) {
	case V_STR:
		return v_str_ok(o) && o->via.str.size > 0;
	case V_STR_ANY:
		return v_str_ok(o);
	case V_STR_NIL:
		return o->type == MSGPACK_OBJECT_NIL || v_str_ok(o);
	case V_UUID:
		if (o->type != MSGPACK_OBJECT_STR ||
		    o->via.str.size != UUID_STRLEN)
			return 0;
		for (i = 0; i < UUID_STRLEN; i++) {
			char	c = o->via.str.ptr[i];

			if (i == 8 || i == 13 || i == 18 || i == 23) {
				if (c != '-')
					return 0;
			} else if (!((c >= '0' && c <= '9') ||
			    (c >= 'a' && c <= 'f')))
				return 0;	/* lower case: one spelling per id */
		}
		return 1;
	case V_TIME:
		if (o->type != MSGPACK_OBJECT_STR ||
		    o->via.str.size >= sizeof tmp || o->via.str.size < 10)
			return 0;
		memcpy(tmp, o->via.str.ptr, o->via.str.size);
		tmp[o->via.str.size] = '\0';
		if (strlen(tmp) != o->via.str.size)
			return 0;
		return util_parse_rfc3339_ms(tmp, &ms) == 0;
	case V_HEX64:
		if (o->type != MSGPACK_OBJECT_STR || o->via.str.size != 64)
			return 0;
		for (i = 0; i < 64; i++) {
			char	c = o->via.str.ptr[i];

			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
				return 0;
		}
		return 1;
	case V_INT:
		return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
	case V_PORT:
		return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    o->via.u64 >= 1 && o->via.u64 <= 65535;
	case V_NUM:
		if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			return 1;
		if (o->type == MSGPACK_OBJECT_FLOAT32 ||
		    o->type == MSGPACK_OBJECT_FLOAT64)
			return isfinite(o->via.f64) && o->via.f64 >= 0;
		return 0;
	case V_BOOL:
		return o->type == MSGPACK_OBJECT_BOOLEAN;
	case V_MAP:
		return o->type == MSGPACK_OBJECT_MAP;
	case V_ARRAY:
		return o->type == MSGPACK_OBJECT_ARRAY;
	case V_ENUM:
		return v_in(o, k->names);
	case V_ENUM_NIL:
		return o->type == MSGPACK_OBJECT_NIL || v_in(o, k->names);
	}
	return 0;
}

/*
 * Check the keys of map o against the table: each present exactly once
 * with the right type.
 */
static int
v_map(const msgpack_object *o, const struct vkey *keys, const char *where,
    char *err, size_t errlen)
{
	const struct vkey	*k;
	const msgpack_object	*val = NULL;
	uint32_t		 i;
	size_t			 n, count;

	if (o->type != MSGPACK_OBJECT_MAP)
		return verr(err, errlen, "%s: not a map", where);
	for (k = keys; k->key != NULL; k++) {
		n = strlen(k->key);
		count = 0;
		for (i = 0; i < o->via.map.size; i++) {
			const msgpack_object	*key = &o->via.map.ptr[i].key;

			if (key->type == MSGPACK_OBJECT_STR &&
			    key->via.str.size == n &&
			    memcmp(key->via.str.ptr, k->key, n) == 0) {
				if (count++ == 0)
					val = &o->via.map.ptr[i].val;
			}
		}
		if (count == 0)
			return verr(err, errlen, "%s%s%s: missing", where,
			    *where != '\0' ? "." : "", k->key);
		if (count > 1)
			return verr(err, errlen, "%s%s%s: duplicate key", where,
			    *where != '\0' ? "." : "", k->key);
		if (!v_value(val, k))
			return verr(err, errlen, "%s%s%s: bad value", where,
			    *where != '\0' ? "." : "", k->key);
	}
	return 0;
}

static int
v_array(const msgpack_object *arr, const struct vkey *keys,
    const char *name, char *err, size_t errlen)
{
	char		where[64];
	uint32_t	i;

	for (i = 0; i < arr->via.array.size; i++) {
		snprintf(where, sizeof where, "%s[%u]", name, (unsigned)i);
		if (v_map(&arr->via.array.ptr[i], keys, where, err, errlen) != 0)
			return -1;
	}
	return 0;
}

int
mp_record_validate(const msgpack_object *o, char *err, size_t errlen)
{
	const msgpack_object	*a, *e, *x;
	char			 where[64];
	int64_t			 v;
	uint32_t		 i, j;

	if (o == NULL || o->type != MSGPACK_OBJECT_MAP)
		return verr(err, errlen, "record is not a map");
	if (v_map(o, v_record, "", err, errlen) != 0)
		return -1;
	if (mp_get_int(o, "schema", &v) != 0 || v != 1)
		return verr(err, errlen, "schema: unsupported version");
	if (mp_get_int(o, "tz_offset", &v) != 0 || v < -18 * 3600 ||
	    v > 18 * 3600)
		return verr(err, errlen, "tz_offset: out of range");
	if (v_map(mp_get(o, "software"), v_software, "software", err,
	    errlen) != 0 ||
	    v_map(mp_get(o, "target"), v_target, "target", err, errlen) != 0 ||
	    v_map(mp_get(o, "verdict"), v_verdict, "verdict", err, errlen) != 0)
		return -1;

	a = mp_get(o, "dns");
	if (v_array(a, v_dns, "dns", err, errlen) != 0)
		return -1;
	for (i = 0; i < a->via.array.size; i++) {
		const msgpack_object	*ans = mp_get(&a->via.array.ptr[i],
		    "answers");

		for (j = 0; j < ans->via.array.size; j++) {
			e = &ans->via.array.ptr[j];
			snprintf(where, sizeof where, "dns[%u].answers[%u]",
			    (unsigned)i, (unsigned)j);
			if (v_map(e, v_answer, where, err, errlen) != 0)
				return -1;
			x = mp_get(e, "type");
			if (mp_str_eq(x, "A") || mp_str_eq(x, "AAAA"))
				x = mp_get(e, "ip");
			else if (mp_str_eq(x, "CNAME"))
				x = mp_get(e, "hostname");
			else
				continue;	/* other types: free-form */
			if (x == NULL || !v_str_ok(x) || x->via.str.size == 0)
				return verr(err, errlen, "%s: missing ip or "
				    "hostname", where);
			x = mp_get(e, "ttl");
			if (x != NULL && x->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
				return verr(err, errlen, "%s.ttl: bad value",
				    where);
		}
	}

	if (v_array(mp_get(o, "tcp"), v_tcp, "tcp", err, errlen) != 0)
		return -1;

	a = mp_get(o, "tls");
	if (v_array(a, v_tls, "tls", err, errlen) != 0)
		return -1;
	for (i = 0; i < a->via.array.size; i++) {
		const msgpack_object	*chain = mp_get(&a->via.array.ptr[i],
		    "chain");

		for (j = 0; j < chain->via.array.size; j++) {
			uint32_t	s;

			e = &chain->via.array.ptr[j];
			snprintf(where, sizeof where, "tls[%u].chain[%u]",
			    (unsigned)i, (unsigned)j);
			if (v_map(e, v_cert, where, err, errlen) != 0)
				return -1;
			x = mp_get(e, "san");
			for (s = 0; s < x->via.array.size; s++) {
				if (!v_str_ok(&x->via.array.ptr[s]))
					return verr(err, errlen, "%s.san[%u]: "
					    "bad value", where, (unsigned)s);
			}
		}
	}
	return 0;
}
