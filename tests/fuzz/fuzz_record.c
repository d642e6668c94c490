/*
 * libFuzzer target: the record decoder as `show` and `upload` use it.
 * The bytes are read as concatenated msgpack objects (mp_unpack_one, which
 * bounds every claimed count before msgpack-c allocates); each is rendered as
 * JSON (which must be valid UTF-8 JSON whatever the bytes), validated as a
 * record and probed by key path.  The same bytes then go through
 * spool_read_file() as a spool file (a memfd).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <msgpack.h>

#include "mp.h"
#include "record.h"
#include "spool.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A small strict JSON checker: 0 when s[0..len) is one JSON value. */
struct jp {
	const unsigned char	*p, *end;
	int			 depth;
};

static int	json_value(struct jp *);

static void
json_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
	    *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
utf8_char(struct jp *j)
{
	unsigned char	c = *j->p;
	uint32_t	cp;
	int		n, i;

	if (c < 0x80) {
		j->p++;
		return c < 0x20 ? -1 : 0;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		cp = c & 0x07;
	} else
		return -1;
	if (j->end - j->p <= n)
		return -1;
	for (i = 1; i <= n; i++) {
		if ((j->p[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (j->p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	j->p += n + 1;
	return 0;
}

static int
json_string(struct jp *j)
{
	int	i;

	if (j->p >= j->end || *j->p != '"')
		return -1;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		if (*j->p == '\\') {
			j->p++;
			if (j->p >= j->end)
				return -1;
			if (*j->p == 'u') {
				j->p++;
				for (i = 0; i < 4; i++, j->p++)
					if (j->p >= j->end ||
					    strchr("0123456789abcdefABCDEF",
					    *j->p) == NULL || *j->p == '\0')
						return -1;
			} else if (strchr("\"\\/bfnrt", *j->p) != NULL &&
			    *j->p != '\0')
				j->p++;
			else
				return -1;
		} else if (utf8_char(j) != 0)
			return -1;
	}
	if (j->p >= j->end)
		return -1;
	j->p++;
	return 0;
}

static int
json_number(struct jp *j)
{
	const unsigned char	*start = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return -1;
	if (*j->p == '0')
		j->p++;
	else
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return -1;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return -1;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	return j->p > start ? 0 : -1;
}

static int
json_word(struct jp *j, const char *w)
{
	size_t	n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return -1;
	j->p += n;
	return 0;
}

static int
json_value(struct jp *j)
{
	int	first;

	json_ws(j);
	if (j->p >= j->end || ++j->depth > 10000)
		return -1;
	switch (*j->p) {
	case '"':
		if (json_string(j) != 0)
			return -1;
		break;
	case '{':
	case '[': {
		char close = *j->p == '{' ? '}' : ']';
		int obj = *j->p == '{';

		j->p++;
		json_ws(j);
		first = 1;
		while (j->p < j->end && *j->p != close) {
			if (!first) {
				if (*j->p != ',')
					return -1;
				j->p++;
			}
			first = 0;
			if (obj) {
				json_ws(j);
				if (json_string(j) != 0)
					return -1;
				json_ws(j);
				if (j->p >= j->end || *j->p != ':')
					return -1;
				j->p++;
			}
			if (json_value(j) != 0)
				return -1;
			json_ws(j);
		}
		if (j->p >= j->end)
			return -1;
		j->p++;
		break;
	}
	case 't':
		if (json_word(j, "true") != 0)
			return -1;
		break;
	case 'f':
		if (json_word(j, "false") != 0)
			return -1;
		break;
	case 'n':
		if (json_word(j, "null") != 0)
			return -1;
		break;
	default:
		if (json_number(j) != 0)
			return -1;
	}
	j->depth--;
	json_ws(j);
	return 0;
}

static void
check_json(const struct buf *b)
{
	struct jp	j;

	j.p = (const unsigned char *)b->data;
	j.end = j.p + b->len;
	j.depth = 0;
	if (b->len == 0 || json_value(&j) != 0 || j.p != j.end) {
		fprintf(stderr, "invalid JSON: %.*s\n", (int)b->len, b->data);
		abort();
	}
}

static void
one_object(const msgpack_object *o)
{
	struct buf	 b;
	char		 err[256], s[128];
	int64_t		 i;
	double		 d;

	memset(&b, 0, sizeof b);
	mp_to_json(o, &b);
	check_json(&b);
	buf_free(&b);

	(void)record_validate(o, err, sizeof err);
	(void)mp_get(o, "verdict.status");
	(void)mp_get_str(o, "target.host", s, sizeof s);
	(void)mp_get_str(o, "id", s, 1);
	(void)mp_get_int(o, "tz_offset", &i);
	(void)mp_get_num(o, "runtime_ms", &d);
	(void)mp_str_eq(o, "nightjar");
}

static int
spool_cb(const msgpack_object *o, const char *raw, size_t rawlen, void *arg)
{
	size_t	*n = arg;

	if (raw == NULL || rawlen == 0)
		abort();
	one_object(o);
	(*n)++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	msgpack_unpacked	 u;
	size_t			 off = 0, used, n = 0;
	char			 path[64];
	int			 fd;

	/* As show and upload do: mp_scan bounds every count first. */
	msgpack_unpacked_init(&u);
	while (off < size && mp_unpack_one(&u, (const char *)data + off,
	    size - off, &used) == 0) {
		if (used == 0 || used > size - off)
			abort();
		one_object(&u.data);
		off += used;
	}
	msgpack_unpacked_destroy(&u);

	fd = memfd_create("fuzz-spool", 0);
	if (fd == -1)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	(void)spool_read_file(path, spool_cb, &n);
	close(fd);
	return 0;
}
