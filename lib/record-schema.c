/*
 * The record's schema as data: for every map of the record, its keys,
 * their types, whether they are required, their vocabularies and size
 * limits (record.h).  record_validate() walks a decoded record with these
 * tables; the collector, show, report and upload all use it, and the
 * packer (record.c) writes within the same limits.
 *
 * Keys added after the first release (t0_ms, server, transport, replies,
 * der, http, control, blockpage) are optional, so records spooled by
 * older probes still validate; when present their type is checked.  Any
 * "<key>_truncated" key must be a boolean.  Other extra keys are welcome
 * and not examined.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mp.h"
#include "record.h"

enum rs_type {
	RS_STR,		/* non-empty string */
	RS_STR_ANY,	/* string, possibly empty */
	RS_STR_NIL,	/* string or nil */
	RS_UUID,	/* lower-case UUID */
	RS_TIME,	/* RFC 3339 */
	RS_TIME_NIL,
	RS_HEX64,	/* 64 lower-case hex digits */
	RS_HEX64_NIL,
	RS_INT,
	RS_UINT,
	RS_PORT,	/* 0-65535 (0: unknown) */
	RS_STATUS_NIL,	/* HTTP status 100-999 or nil */
	RS_MS,		/* finite number >= 0 */
	RS_REAL_NIL,	/* finite number (any sign) or nil */
	RS_BOOL,
	RS_BIN,		/* at most REC_MAX_BIN bytes */
	RS_QTYPE,	/* "A", "AAAA" or "TYPEn" */
	RS_ENUM,	/* string from names */
	RS_ENUM_NIL,
	RS_MAP,		/* map checked against sub */
	RS_MAP_NIL,
	RS_ARRAY,	/* array of elem (maps: sub), at most max entries */
};

struct rs_map;

struct rs_key {
	const char		*key;
	enum rs_type		 type;
	int			 required;
	const char *const	*names;	/* RS_ENUM */
	const struct rs_map	*sub;	/* RS_MAP, RS_ARRAY of maps */
	enum rs_type		 elem;	/* RS_ARRAY: element type */
	size_t			 max;	/* RS_ARRAY: most entries */
};

/*
 * Where a value is ("tls[2].certs[0].subject"): a chain of keys and
 * indexes, written out only when there is an error to report.
 */
struct rs_where {
	const struct rs_where	*up;
	const char		*key;	/* NULL: idx is an array index */
	uint32_t		 idx;
};

struct rs_map {
	const char		*name;
	const struct rs_key	*keys;
	/* Checks that span keys; 0 or -1 with err set. */
	int			(*check)(const msgpack_object *,
				    const struct rs_where *, char *, size_t);
};

#define REQ(k, t)		{ k, t, 1, NULL, NULL, 0, 0 }
#define OPT(k, t)		{ k, t, 0, NULL, NULL, 0, 0 }
#define REQ_ENUM(k, t, n)	{ k, t, 1, n, NULL, 0, 0 }
#define OPT_ENUM(k, t, n)	{ k, t, 0, n, NULL, 0, 0 }
#define REQ_MAP(k, t, m)	{ k, t, 1, NULL, m, 0, 0 }
#define OPT_MAP(k, t, m)	{ k, t, 0, NULL, m, 0, 0 }
#define REQ_LIST(k, m, n)	{ k, RS_ARRAY, 1, NULL, m, RS_MAP, n }
#define OPT_LIST(k, m, n)	{ k, RS_ARRAY, 0, NULL, m, RS_MAP, n }
#define END			{ NULL, 0, 0, NULL, NULL, 0, 0 }

static int check_record(const msgpack_object *, const struct rs_where *, char *,
	    size_t);
static int check_answer(const msgpack_object *, const struct rs_where *, char *,
	    size_t);
static int check_sample(const msgpack_object *, const struct rs_where *, char *,
	    size_t);

static const struct rs_key k_software[] = {
	REQ("name", RS_STR),
	REQ("version", RS_STR),
	END
};
static const struct rs_map m_software = { "software", k_software, NULL };

static const struct rs_key k_target[] = {
	REQ("input", RS_STR),
	REQ("host", RS_STR),
	REQ("port", RS_PORT),
	REQ("category", RS_STR_NIL),
	END
};
static const struct rs_map m_target = { "target", k_target, NULL };

static const struct rs_key k_answer[] = {
	REQ("type", RS_STR),
	OPT("ip", RS_STR_ANY),
	OPT("hostname", RS_STR),
	OPT("ttl", RS_UINT),
	END
};
static const struct rs_map m_answer = { "answers", k_answer, check_answer };

static const struct rs_key k_reply[] = {
	REQ("t_ms", RS_MS),
	REQ("rcode", RS_STR_NIL),
	REQ_LIST("answers", &m_answer, REC_MAX_ANSWERS),
	END
};
static const struct rs_map m_reply = { "replies", k_reply, NULL };

static const struct rs_key k_dns[] = {
	REQ("resolver", RS_STR),
	OPT("server", RS_STR_NIL),
	OPT_ENUM("transport", RS_ENUM, rec_transport_names),
	REQ_ENUM("role", RS_ENUM, rec_role_names),
	REQ("query_type", RS_QTYPE),
	REQ("failure", RS_STR_NIL),
	REQ("rcode", RS_STR_NIL),
	REQ_LIST("answers", &m_answer, REC_MAX_ANSWERS),
	OPT_LIST("replies", &m_reply, REC_MAX_REPLIES),
	OPT("t0_ms", RS_MS),
	REQ("t_ms", RS_MS),
	END
};
static const struct rs_map m_dns = { "dns", k_dns, NULL };

static const struct rs_key k_tcp[] = {
	REQ("ip", RS_STR_ANY),
	REQ("port", RS_PORT),
	REQ_ENUM("source", RS_ENUM, rec_role_names),
	REQ("failure", RS_STR_NIL),
	OPT("t0_ms", RS_MS),
	REQ("t_ms", RS_MS),
	END
};
static const struct rs_map m_tcp = { "tcp", k_tcp, NULL };

static const struct rs_key k_cert[] = {
	REQ("subject", RS_STR_ANY),
	REQ("issuer", RS_STR_ANY),
	REQ("sha256", RS_HEX64),
	REQ("spki_sha256", RS_HEX64),
	REQ("not_before", RS_STR_ANY),
	REQ("not_after", RS_STR_ANY),
	{ "san", RS_ARRAY, 1, NULL, NULL, RS_STR_ANY, REC_MAX_SAN },
	OPT("der", RS_BIN),
	END
};
static const struct rs_map m_cert = { "chain", k_cert, NULL };

static const struct rs_key k_tls[] = {
	REQ("ip", RS_STR_ANY),
	REQ("port", RS_PORT),
	OPT_ENUM("source", RS_ENUM, rec_role_names),
	REQ("sni", RS_STR_NIL),
	REQ("failure", RS_STR_NIL),
	REQ("version", RS_STR_NIL),
	REQ("cipher", RS_STR_NIL),
	REQ_LIST("chain", &m_cert, REC_MAX_CHAIN),
	REQ("trusted", RS_BOOL),
	REQ("trusted_by_system", RS_BOOL),
	REQ("verify_error", RS_STR_NIL),
	OPT("residual_of", RS_STR),
	OPT("t0_ms", RS_MS),
	REQ("t_ms", RS_MS),
	END
};
static const struct rs_map m_tls = { "tls", k_tls, NULL };

static const struct rs_key k_headers[] = {
	OPT("server", RS_STR_ANY),
	OPT("location", RS_STR_ANY),
	OPT("content-type", RS_STR_ANY),
	END
};
static const struct rs_map m_headers = { "headers", k_headers, NULL };

static const struct rs_key k_http[] = {
	REQ("url", RS_STR_ANY),
	REQ("ip", RS_STR_ANY),
	REQ("sni", RS_STR_NIL),
	REQ("failure", RS_STR_NIL),
	REQ("status", RS_STATUS_NIL),
	REQ_MAP("headers", RS_MAP, &m_headers),
	REQ("body_length", RS_UINT),
	REQ("body_sha256", RS_HEX64_NIL),
	REQ("title", RS_STR_NIL),
	REQ("truncated", RS_BOOL),
	OPT("blockpage", RS_STR_NIL),
	{ "samples", RS_ARRAY, 1, NULL, NULL, RS_ARRAY, REC_MAX_SAMPLES },
	REQ("t0_ms", RS_MS),
	REQ("t_ms", RS_MS),
	END
};
static const struct rs_map m_http = { "http", k_http, NULL };

static const struct rs_key k_control[] = {
	REQ("url", RS_STR_ANY),
	REQ("failure", RS_STR_NIL),
	OPT("time", RS_TIME_NIL),
	OPT("clock_skew_ms", RS_REAL_NIL),
	OPT_LIST("dns", &m_dns, REC_MAX_STEPS),
	OPT_LIST("tcp", &m_tcp, REC_MAX_STEPS),
	OPT_LIST("tls", &m_tls, REC_MAX_STEPS),
	OPT_LIST("http", &m_http, REC_MAX_STEPS),
	OPT("t_ms", RS_MS),
	END
};
static const struct rs_map m_control = { "control", k_control, NULL };

static const struct rs_key k_verdict[] = {
	REQ_ENUM("status", RS_ENUM, rec_status_names),
	REQ_ENUM("method", RS_ENUM_NIL, rec_method_names),
	REQ("interception_ca", RS_STR_NIL),
	OPT("blockpage", RS_STR_NIL),
	REQ("detail", RS_STR_ANY),
	END
};
static const struct rs_map m_verdict = { "verdict", k_verdict, NULL };

static const struct rs_key k_record[] = {
	REQ("schema", RS_INT),
	REQ("id", RS_UUID),
	REQ("run_id", RS_UUID),
	REQ("probe_id", RS_STR),
	REQ("campaign", RS_STR_NIL),
	REQ_MAP("software", RS_MAP, &m_software),
	REQ("start_time", RS_TIME),
	REQ("tz_offset", RS_INT),
	REQ("runtime_ms", RS_MS),
	REQ_MAP("target", RS_MAP, &m_target),
	REQ_LIST("dns", &m_dns, REC_MAX_STEPS),
	REQ_LIST("tcp", &m_tcp, REC_MAX_STEPS),
	REQ_LIST("tls", &m_tls, REC_MAX_STEPS),
	OPT_LIST("http", &m_http, REC_MAX_STEPS),
	OPT_MAP("control", RS_MAP_NIL, &m_control),
	REQ_MAP("verdict", RS_MAP, &m_verdict),
	END
};
static const struct rs_map m_record = { "", k_record, check_record };

/* --- checking ------------------------------------------------------------- */

/* Write w into out[n]; "" for the record itself. */
static void
where_fmt(const struct rs_where *w, char *out, size_t n)
{
	size_t	len;

	if (n == 0)
		return;
	out[0] = '\0';
	if (w == NULL)
		return;
	where_fmt(w->up, out, n);
	len = strlen(out);
	if (w->key != NULL)
		snprintf(out + len, n - len, "%s%s", len > 0 ? "." : "",
		    w->key);
	else
		snprintf(out + len, n - len, "[%u]", (unsigned)w->idx);
}

static int
verr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* verr() with "WHERE: " before the message. */
static int
werr(char *err, size_t errlen, const struct rs_where *w, const char *what)
{
	char	path[128];

	where_fmt(w, path, sizeof path);
	return verr(err, errlen, "%s: %s", path[0] != '\0' ? path : "record",
	    what);
}

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
str_ok(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_STR && o->via.str.size <= REC_MAX_STR &&
	    memchr(o->via.str.ptr, '\0', o->via.str.size) == NULL;
}

static int
in_names(const msgpack_object *o, const char *const *names)
{
	for (; *names != NULL; names++) {
		if (mp_str_eq(o, *names))
			return 1;
	}
	return 0;
}

static int
hex_ok(const msgpack_object *o, uint32_t n)
{
	uint32_t	i;

	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size != n)
		return 0;
	for (i = 0; i < n; i++) {
		char	c = o->via.str.ptr[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return 0;
	}
	return 1;
}

static int
finite_num(const msgpack_object *o, double *v)
{
	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		*v = (double)o->via.u64;
		return 1;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*v = (double)o->via.i64;
		return 1;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		*v = o->via.f64;
		return isfinite(o->via.f64);
	default:
		return 0;
	}
}

static int
scalar_ok(const msgpack_object *o, enum rs_type t, const char *const *names)
{
	char		 tmp[64];
	int64_t		 ms;
	double		 d;
	uint32_t	 i;

	switch (t) {
	case RS_STR:
		return str_ok(o) && o->via.str.size > 0;
	case RS_STR_ANY:
		return str_ok(o);
	case RS_STR_NIL:
		return o->type == MSGPACK_OBJECT_NIL || str_ok(o);
	case RS_UUID:
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
	case RS_TIME_NIL:
		if (o->type == MSGPACK_OBJECT_NIL)
			return 1;
		/* FALLTHROUGH */
	case RS_TIME:
		if (o->type != MSGPACK_OBJECT_STR ||
		    o->via.str.size >= sizeof tmp || o->via.str.size < 10)
			return 0;
		memcpy(tmp, o->via.str.ptr, o->via.str.size);
		tmp[o->via.str.size] = '\0';
		if (strlen(tmp) != o->via.str.size)
			return 0;
		return util_parse_rfc3339_ms(tmp, &ms) == 0;
	case RS_HEX64:
		return hex_ok(o, 64);
	case RS_HEX64_NIL:
		return o->type == MSGPACK_OBJECT_NIL || hex_ok(o, 64);
	case RS_INT:
		return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
	case RS_UINT:
		return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER;
	case RS_PORT:
		return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    o->via.u64 <= 65535;
	case RS_STATUS_NIL:
		return o->type == MSGPACK_OBJECT_NIL ||
		    (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    o->via.u64 >= 100 && o->via.u64 <= 999);
	case RS_MS:
		if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			return 1;
		if (o->type == MSGPACK_OBJECT_FLOAT32 ||
		    o->type == MSGPACK_OBJECT_FLOAT64)
			return isfinite(o->via.f64) && o->via.f64 >= 0;
		return 0;
	case RS_REAL_NIL:
		return o->type == MSGPACK_OBJECT_NIL || finite_num(o, &d);
	case RS_BOOL:
		return o->type == MSGPACK_OBJECT_BOOLEAN;
	case RS_BIN:
		return o->type == MSGPACK_OBJECT_BIN &&
		    o->via.bin.size <= REC_MAX_BIN;
	case RS_QTYPE:
		if (mp_str_eq(o, "A") || mp_str_eq(o, "AAAA"))
			return 1;
		if (o->type != MSGPACK_OBJECT_STR || o->via.str.size < 5 ||
		    o->via.str.size > 9 ||
		    memcmp(o->via.str.ptr, "TYPE", 4) != 0)
			return 0;
		for (i = 4; i < o->via.str.size; i++) {
			if (o->via.str.ptr[i] < '0' || o->via.str.ptr[i] > '9')
				return 0;
		}
		return 1;
	case RS_ENUM:
		return in_names(o, names);
	case RS_ENUM_NIL:
		return o->type == MSGPACK_OBJECT_NIL || in_names(o, names);
	default:
		return 0;
	}
}

static int	check_map(const msgpack_object *, const struct rs_map *,
		    const struct rs_where *, char *, size_t);

static int
check_value(const msgpack_object *o, const struct rs_key *k,
    const struct rs_where *where, char *err, size_t errlen)
{
	struct rs_where	sub = { where, NULL, 0 };
	char		what[64];
	uint32_t	i;

	switch (k->type) {
	case RS_MAP_NIL:
		if (o->type == MSGPACK_OBJECT_NIL)
			return 0;
		/* FALLTHROUGH */
	case RS_MAP:
		return check_map(o, k->sub, where, err, errlen);
	case RS_ARRAY:
		if (o->type != MSGPACK_OBJECT_ARRAY)
			return werr(err, errlen, where, "bad value");
		if (o->via.array.size > k->max) {
			snprintf(what, sizeof what, "more than %zu entries",
			    k->max);
			return werr(err, errlen, where, what);
		}
		for (i = 0; i < o->via.array.size; i++) {
			const msgpack_object	*e = &o->via.array.ptr[i];

			sub.idx = i;
			if (k->elem == RS_MAP) {
				if (check_map(e, k->sub, &sub, err,
				    errlen) != 0)
					return -1;
			} else if (k->elem == RS_ARRAY) {
				if (check_sample(e, &sub, err, errlen) != 0)
					return -1;
			} else if (!scalar_ok(e, k->elem, NULL))
				return werr(err, errlen, &sub, "bad value");
		}
		return 0;
	default:
		if (!scalar_ok(o, k->type, k->names))
			return werr(err, errlen, where, "bad value");
		return 0;
	}
}

/* 1 when key (len bytes) ends in "_truncated". */
static int
is_flag(const char *key, size_t len)
{
	static const char	suffix[] = "_truncated";
	size_t			n = sizeof suffix - 1;

	return len > n && memcmp(key + len - n, suffix, n) == 0;
}

static int
check_map(const msgpack_object *o, const struct rs_map *m,
    const struct rs_where *where, char *err, size_t errlen)
{
	const struct rs_key	*k;
	const msgpack_object	*val;
	struct rs_where		 here = { where, NULL, 0 };
	char			 what[96];
	uint32_t		 i;
	size_t			 n, count;

	if (o->type != MSGPACK_OBJECT_MAP)
		return werr(err, errlen, where, "not a map");
	for (k = m->keys; k->key != NULL; k++) {
		n = strlen(k->key);
		count = 0;
		val = NULL;
		for (i = 0; i < o->via.map.size; i++) {
			const msgpack_object	*key = &o->via.map.ptr[i].key;

			if (key->type == MSGPACK_OBJECT_STR &&
			    key->via.str.size == n &&
			    memcmp(key->via.str.ptr, k->key, n) == 0) {
				if (count++ == 0)
					val = &o->via.map.ptr[i].val;
			}
		}
		here.key = k->key;
		if (count == 0) {
			if (k->required)
				return werr(err, errlen, &here, "missing");
			continue;
		}
		if (count > 1)
			return werr(err, errlen, &here, "duplicate key");
		if (check_value(val, k, &here, err, errlen) != 0)
			return -1;
	}
	for (i = 0; i < o->via.map.size; i++) {
		const msgpack_object_kv	*kv = &o->via.map.ptr[i];

		if (kv->key.type == MSGPACK_OBJECT_STR &&
		    is_flag(kv->key.via.str.ptr, kv->key.via.str.size) &&
		    kv->val.type != MSGPACK_OBJECT_BOOLEAN) {
			snprintf(what, sizeof what, "%.*s",
			    (int)(kv->key.via.str.size > 64 ? 64 :
			    kv->key.via.str.size), kv->key.via.str.ptr);
			here.key = what;
			return werr(err, errlen, &here, "bad value");
		}
	}
	if (m->check != NULL)
		return m->check(o, where, err, errlen);
	return 0;
}

static int
check_record(const msgpack_object *o, const struct rs_where *where, char *err,
    size_t errlen)
{
	int64_t	v;

	(void)where;
	if (mp_get_int(o, "schema", &v) != 0 || v != RECORD_SCHEMA)
		return verr(err, errlen, "schema: unsupported version");
	if (mp_get_int(o, "tz_offset", &v) != 0 || v < -18 * 3600 ||
	    v > 18 * 3600)
		return verr(err, errlen, "tz_offset: out of range");
	return 0;
}

/*
 * An A/AAAA answer has an ip, a CNAME a non-empty hostname (the root is
 * "."); other types are free-form.
 */
static int
check_answer(const msgpack_object *o, const struct rs_where *where,
    char *err,
    size_t errlen)
{
	const msgpack_object	*t = mp_get(o, "type"), *x;

	if (mp_str_eq(t, "A") || mp_str_eq(t, "AAAA"))
		x = mp_get(o, "ip");
	else if (mp_str_eq(t, "CNAME"))
		x = mp_get(o, "hostname");
	else
		return 0;
	if (x == NULL || !str_ok(x) || (x->via.str.size == 0 &&
	    mp_str_eq(t, "CNAME")))
		return werr(err, errlen, where, "missing ip or hostname");
	return 0;
}

/* [t_ms, bytes_so_far] */
static int
check_sample(const msgpack_object *o, const struct rs_where *where,
    char *err,
    size_t errlen)
{
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 2 ||
	    !scalar_ok(&o->via.array.ptr[0], RS_MS, NULL) ||
	    o->via.array.ptr[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return werr(err, errlen, where, "bad value");
	return 0;
}

int
record_validate(const msgpack_object *o, char *err, size_t errlen)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_MAP)
		return verr(err, errlen, "record is not a map");
	return check_map(o, &m_record, NULL, err, errlen);
}
