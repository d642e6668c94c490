/*
 * Local TLS inspection: antivirus HTTPS scanning and corporate or
 * debugging proxies whose root this machine trusts.  Such a chain is the
 * volunteer's own machine at work, not censorship: the verdict is
 * `error`, its detail names the product, the record keeps the chain.
 *
 * Two ways to recognise it: the root is a known product's (the shipped
 * list targets/local-inspection.txt), or every handshake of a round ends
 * in the same root that only the system store trusts while the vantage
 * saw the real keys (inspect_common_root, fed by the vantage's answers).
 */
#ifndef NJ_INSPECT_H
#define NJ_INSPECT_H

#include <stddef.h>

struct inspect_list;

/*
 * Parse the list ("CN | product | source" lines, '#' comments).  NULL
 * with a message naming the line in err on a bad line.  Pure.
 */
struct inspect_list	*inspect_parse(const char *text, size_t len,
			    char *err, size_t errlen);
/* Read and parse a file; NULL (logged) when it cannot be used. */
struct inspect_list	*inspect_load(const char *path);
void			 inspect_free(struct inspect_list *);
size_t			 inspect_count(const struct inspect_list *);

/*
 * The product whose root this RFC 2253 name ("CN=...,O=...") is, or
 * NULL: its CN starts with a listed CN, without regard to case.  Pure.
 */
const char		*inspect_match(const struct inspect_list *,
			    const char *name);

/*
 * Warn once about every listed product whose root the system store (the
 * file OpenSSL's default verify paths name, SSL_CERT_FILE honoured)
 * holds.  Returns how many were found.
 */
size_t			 inspect_warn_system(const struct inspect_list *);

/* One handshake of a round, as inspect_common_root sees it. */
struct inspect_seen {
	const char	*root;		/* top issuer of the chain, NULL: none */
	int		 trusted;	/* by the reference store */
	int		 trusted_by_system;
	int		 vantage_real;	/* the vantage saw another key, trusted */
};

/*
 * The root every completed handshake ends in when it is the same one,
 * trusted by the system store only, for at least min_targets handshakes,
 * and the vantage saw the real keys for at least one of them; else NULL.
 * Handshakes without a chain are ignored.  Pure.
 */
const char		*inspect_common_root(const struct inspect_seen *,
			    size_t n, size_t min_targets);

#endif
