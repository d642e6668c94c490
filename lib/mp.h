/*
 * Helpers over decoded msgpack objects: lookups by key path.  Includes
 * the byte buffer (buf.h), the bounded cursor that reads untrusted bytes
 * (mp-cursor.h) and the JSON rendering (mp-json.h).
 */
#ifndef NJ_MP_H
#define NJ_MP_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "buf.h"
#include "mp-cursor.h"
#include "mp-json.h"

/*
 * Value of a dotted key path ("verdict.status") in nested maps, or NULL.
 * A decimal component indexes an array ("tls.0.t_ms").  With duplicate
 * keys the first wins (record_validate refuses duplicate known keys).
 */
const msgpack_object *mp_get(const msgpack_object *, const char *path);
/* String value at path copied to a NUL-terminated buffer; 0 or -1. */
int	mp_get_str(const msgpack_object *, const char *path, char *out,
	    size_t outlen);
/* The same of o itself (NULL or not a string: -1). */
int	mp_str_copy(const msgpack_object *o, char *out, size_t outlen);
/* Integer value (int or uint) at path; 0 or -1. */
int	mp_get_int(const msgpack_object *, const char *path, int64_t *out);
/* Number (int, uint, float) at path; 0 or -1. */
int	mp_get_num(const msgpack_object *, const char *path, double *out);
/* 1 when o is a str equal to s. */
int	mp_str_eq(const msgpack_object *, const char *s);

#endif
