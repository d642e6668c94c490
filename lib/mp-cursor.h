/*
 * One bounded cursor over untrusted msgpack bytes: spool files, upload
 * bodies, vantage answers, database rows.  Every claimed length and count
 * is checked against the bytes present and against limits on nesting,
 * objects, string size and total size before anything is believed, so a
 * truncated or hostile buffer gives a clear error and never a read past
 * its end or an allocation out of proportion to it.
 *
 * Two ways to read:
 * - typed steps (mp_cursor_map, _array, _str, _num, _nil, _skip) that
 *   read a few fields straight from the bytes without building objects
 *   (report reads nine fields of a million records this way);
 * - mp_cursor_unpack, which walks one value with the bounds and then has
 *   msgpack-c build its objects (every count is then known to fit).
 */
#ifndef NJ_MP_CURSOR_H
#define NJ_MP_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

struct mp_limits {
	int	 depth;		/* containers nested in one value */
	size_t	 objects;	/* objects in one value, itself included */
	size_t	 str;		/* bytes of one str, bin or ext */
	size_t	 bytes;		/* bytes of one value */
};

/* depth 32, 2,000,000 objects, 64 MiB strings, 64 MiB per value. */
extern const struct mp_limits mp_limits_default;

struct mp_cursor {
	const unsigned char	*p;
	size_t			 len;
	size_t			 pos;
	struct mp_limits	 lim;
	char			 err[128];	/* why the last step failed */
};

/* Read data[0..len) with lim (NULL: mp_limits_default). */
void	mp_cursor_init(struct mp_cursor *, const void *data, size_t len,
	    const struct mp_limits *lim);
/* 1 when every byte has been read. */
int	mp_cursor_end(const struct mp_cursor *);

/*
 * Walk the value at the cursor with the limits and step past it.  0, or
 * -1 with the reason in c->err (the cursor is then left where it was).
 */
int	mp_cursor_skip(struct mp_cursor *);

/*
 * mp_cursor_skip() then msgpack_unpack_next() of that one value into u
 * (initialised by the caller; its strings point into the data).  0 or -1.
 */
int	mp_cursor_unpack(struct mp_cursor *, msgpack_unpacked *u);

/*
 * Typed steps: 1 when the value at the cursor is of the kind asked (read
 * and stepped past; for containers only the header), 0 when it is another
 * kind (cursor unmoved), -1 when truncated or malformed (c->err).
 * A container's count is checked against the bytes left.
 */
int	mp_cursor_map(struct mp_cursor *, uint32_t *n);
int	mp_cursor_array(struct mp_cursor *, uint32_t *n);
int	mp_cursor_str(struct mp_cursor *, const char **s, size_t *n);
int	mp_cursor_nil(struct mp_cursor *);
/*
 * An int or a float.  *is_int says which; *v always holds the value as a
 * double and *iv the integer (a uint over INT64_MAX reads as a float).
 */
int	mp_cursor_num(struct mp_cursor *, double *v, int64_t *iv,
	    int *is_int);

/*
 * The one-value convenience most readers want: data starts with one
 * complete msgpack value within mp_limits_default; unpack it into u and
 * set *used to its length.  0 or -1.
 */
int	mp_unpack_one(msgpack_unpacked *u, const char *data, size_t len,
	    size_t *used);

#endif
