/*
 * Rendering decoded msgpack as JSON: always valid UTF-8 JSON, whatever
 * the bytes.
 */
#ifndef NJ_MP_JSON_H
#define NJ_MP_JSON_H

#include <stddef.h>

#include <msgpack.h>

#include "buf.h"

/* Append o as JSON.  Invalid UTF-8 becomes U+FFFD; bin becomes base64. */
void	mp_to_json(const msgpack_object *, struct buf *);
/* Append s as a JSON string literal (escaped, UTF-8 repaired). */
void	json_quote(struct buf *, const char *, size_t);

#endif
