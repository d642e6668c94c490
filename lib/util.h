/* Small helpers shared by the probe and the collector. */
#ifndef NJ_UTIL_H
#define NJ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define UUID_STRLEN	36

/* Wall clock, milliseconds since the epoch (UTC). */
int64_t	 util_now_ms(void);
/* Monotonic clock in milliseconds, for durations. */
double	 util_mono_ms(void);

/* A random (version 4) UUID, written as 36 characters plus NUL. */
void	 util_uuid4(char out[UUID_STRLEN + 1]);
/* The version 4 UUID made of 16 given bytes (for reproducible data). */
void	 util_uuid4_format(const unsigned char b[16],
	    char out[UUID_STRLEN + 1]);

/* Lower-case hex of len bytes into out (2 * len + 1 bytes). */
void	 util_hex(const unsigned char *in, size_t len, char *out);

/* "2026-11-25T18:00:03.123Z" from milliseconds since the epoch (UTC). */
void	 util_format_rfc3339_ms(int64_t ms, char out[32]);
/*
 * Parse RFC 3339 ("2026-11-25T18:00:03.123Z", "+05:00" offsets, optional
 * fraction) or a bare date "2026-11-25" (midnight UTC). 0 or -1.
 */
int	 util_parse_rfc3339_ms(const char *s, int64_t *ms);

/* UTC offset in seconds of the local zone (TZ) at the instant t. */
long	 util_tz_offset(time_t t);

/* a / b rounded toward minus infinity (b > 0): days before 1970 too. */
int64_t	 util_floor_div(int64_t a, int64_t b);

/* Parse a whole decimal integer in [min, max]; 0 or -1. */
int	 util_parse_long(const char *s, long min, long max, long *out);

/*
 * Length of the valid UTF-8 sequence at p (at most n bytes, n > 0), its
 * code point into *cp when cp is not NULL; 0 when it is not one (overlong
 * forms, surrogates and values over U+10FFFF are not).
 */
size_t	 util_utf8_seq(const void *p, size_t n, uint32_t *cp);

/* fsync a directory, so that a rename or create in it is durable.  0 or -1
 * (errno set; a filesystem that cannot sync directories is fine). */
int	 util_fsync_dir(const char *dir);

/*
 * The whole file at path (not a directory), at most max bytes, into
 * *data (heap, NUL-terminated) and *len.  0, or -1 with the reason in
 * why ("larger than N bytes", "is a directory", strerror).
 */
int	 util_read_file(const char *path, size_t max, char **data,
	    size_t *len, char *why, size_t whylen);

#endif
