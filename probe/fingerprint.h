/*
 * Blockpage fingerprints: OONI's blocking-fingerprints CSV files
 * (--fingerprints FILE|DIR, read by header name), compiled once, matched
 * against HTTP responses (body, named headers) and DNS answers.
 *
 *   struct fingerprint_set *fs = fingerprint_set_new();
 *   fingerprint_set_load(fs, "targets/fingerprints");   // file or dir
 *   name = fingerprint_match_dns(fs, "10.10.34.34");      // NULL: none
 *   name = fingerprint_match_http(fs, &resp, &where);
 *   fingerprint_set_free(fs);
 *
 * Names returned are owned by the set.  Matching is pure (no I/O) and the
 * set is read-only once loaded.  A response that matches a fingerprint of
 * scope "fp" (a page known to look like a blockpage but not be one) matches
 * nothing.
 */
#ifndef NJ_FINGERPRINT_H
#define NJ_FINGERPRINT_H

#include <stddef.h>

struct fingerprint_set;

/* One HTTP response, as far as it was read. */
struct fingerprint_http {
	const unsigned char	 *body;
	size_t			  body_len;
	const char * const	 *header_names;		/* any case */
	const char * const	 *header_values;
	size_t			  n_headers;
};

struct fingerprint_set	*fingerprint_set_new(void);
void			 fingerprint_set_free(struct fingerprint_set *);

/*
 * Add the fingerprints of a CSV file, or of every *.csv file of a
 * directory (in name order).  Rows that cannot be used (unknown
 * pattern_type or location_found, empty pattern, a regexp PCRE2 does not
 * compile) are warned about as "file:line: reason" and skipped; a CSV
 * without the needed columns is skipped with a warning.  Returns the
 * number of fingerprints added, or -1 (logged) when PATH cannot be read.
 */
int		 fingerprint_set_load(struct fingerprint_set *, const char *path);

/* Fingerprints loaded, in total and for DNS answers. */
size_t		 fingerprint_set_count(const struct fingerprint_set *);
size_t		 fingerprint_set_count_dns(const struct fingerprint_set *);

/*
 * The name of the first fingerprint (in load order) that matches the
 * response, or NULL.  *where (may be NULL) gets "body" or "header.NAME".
 */
const char	*fingerprint_match_http(const struct fingerprint_set *,
		    const struct fingerprint_http *, const char **where);

/* The fingerprint naming answer (an address, or a CNAME target), or NULL. */
const char	*fingerprint_match_dns(const struct fingerprint_set *,
		    const char *answer);

#endif
