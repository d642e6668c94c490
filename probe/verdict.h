/*
 * The verdict of one measurement (docs/verdicts.md): a pure
 * function of the record and the known interception roots.  No sockets,
 * no clock.
 */
#ifndef NJ_VERDICT_H
#define NJ_VERDICT_H

#include <stddef.h>

#include "record.h"

struct fingerprint_set;
struct inspect_list;

/* A known interception root (from --interception-cas). */
struct ica {
	char	 sha256[65];		/* hex SHA-256 of the DER */
	char	 spki_sha256[65];	/* hex SHA-256 of i2d_X509_PUBKEY */
	char	*subject;		/* RFC 2253, as in rec_cert */
};

struct verdict_ctx {
	const struct ica	*cas;
	size_t			 n_cas;
	const char		*control_sni;	/* --control-sni */
	const struct fingerprint_set *fingerprints;	/* NULL: none */
	const struct inspect_list *inspect;	/* local inspection; NULL */
};

/* Fill out (its strings are heap-allocated; the record owns them after). */
void	verdict_decide(const struct record *, const struct verdict_ctx *,
	    struct rec_verdict *out);

/*
 * Local inspection by a root in no list (docs/verdicts.md): the round
 * holds the records it could explain, asks the vantage about them, then
 * feeds every handshake to inspect_common_root().
 *
 * verdict_local_candidate: r was decided `intercepted`, and each of its
 * handshakes that presented a chain ends in a root the system store
 * trusts, the reference store does not, and no --interception-cas names.
 */
struct inspect_seen;
int	verdict_local_candidate(const struct record *,
	    const struct verdict_ctx *);
/*
 * r's handshakes that presented a chain, as inspect_common_root() sees
 * them (at most max; the strings point into r); vantage_real when the
 * vantage's trusted handshake presented another leaf key.
 */
size_t	verdict_inspect_seen(const struct record *, const struct verdict_ctx *,
	    struct inspect_seen *, size_t max);
/* root inspects every handshake of the round: out becomes `error`. */
void	verdict_local_root(const struct record *, const char *root,
	    struct rec_verdict *out);

/*
 * Load every certificate of every *.pem file in DIR (files that hold none
 * are warned about); -1 with errno set when DIR cannot be read.
 */
int	ica_load_dir(const char *dir, struct ica **out, size_t *n);
void	ica_free(struct ica *, size_t n);

#endif
