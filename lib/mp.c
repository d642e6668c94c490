/*
 * Lookups in decoded msgpack objects by key path (mp.h).  Untrusted bytes
 * are read with the bounded cursor (mp-cursor.c) and rendered as JSON by
 * mp-json.c.
 */
#include <stdint.h>
#include <string.h>

#include "mp.h"

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
	return mp_str_copy(mp_get(o, path), out, outlen);
}

int
mp_str_copy(const msgpack_object *o, char *out, size_t outlen)
{
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
