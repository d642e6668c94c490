/*
 * Helpers over decoded msgpack objects: lookups by key path, and rendering
 * as JSON (always valid UTF-8 JSON, whatever the bytes).
 */
#ifndef NJ_MP_H
#define NJ_MP_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "mp-cursor.h"

/* A growable byte buffer. */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void	buf_add(struct buf *, const void *, size_t);
void	buf_addstr(struct buf *, const char *);
void	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_free(struct buf *);

/* Append o as JSON.  Invalid UTF-8 becomes U+FFFD; bin becomes base64. */
void	mp_to_json(const msgpack_object *, struct buf *);
/* Append s as a JSON string literal (escaped, UTF-8 repaired). */
void	json_quote(struct buf *, const char *, size_t);

/*
 * Value of a dotted key path ("verdict.status") in nested maps, or NULL.
 * A decimal component indexes an array ("tls.0.t_ms").  With duplicate
 * keys the first wins (record_validate refuses duplicate known keys).
 */
const msgpack_object *mp_get(const msgpack_object *, const char *path);
/* String value at path copied to a NUL-terminated buffer; 0 or -1. */
int	mp_get_str(const msgpack_object *, const char *path, char *out,
	    size_t outlen);
/* Integer value (int or uint) at path; 0 or -1. */
int	mp_get_int(const msgpack_object *, const char *path, int64_t *out);
/* Number (int, uint, float) at path; 0 or -1. */
int	mp_get_num(const msgpack_object *, const char *path, double *out);
/* 1 when o is a str equal to s. */
int	mp_str_eq(const msgpack_object *, const char *s);

#endif
