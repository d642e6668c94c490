/* The collector's HTTP(S) server (docs/upload.md, nightjar-collector(1)). */
#ifndef NJ_SERVER_H
#define NJ_SERVER_H

#include <stddef.h>

struct control_config;

struct server_config {
	const char	*listen;	/* ADDR:PORT or [ADDR6]:PORT */
	const char	*db;
	const char	*tls_cert;	/* both or neither */
	const char	*tls_key;
	const char	*tokens;	/* NULL = no authentication */
	size_t		 max_body;	/* bytes */
	int		 timeout_s;	/* idle timeout of a connection */
	int		 max_conns;	/* connections at once */
	const char	*asn_db;	/* MaxMind DB files, or NULL */
	const char	*country_db;
	const char	**trusted_proxies;	/* CIDRs */
	size_t		 ntrusted_proxies;
	int		 dashboard;	/* serve the dashboard (GET /) */
	int		 dashboard_public; /* ... without a token */
	const struct control_config *control; /* NULL: no /v1/control */
};

/* Serve until SIGTERM or SIGINT.  The process exit status. */
int	server_run(const struct server_config *);

/*
 * Load a tokens file: one token a line, optionally followed by the probe
 * id it belongs to; '#' comments.  Refused when readable by others.
 * Exposed for tests.  Returns the number of tokens, or -1 (logged).
 */
struct tokens;
int	tokens_load(const char *path, struct tokens **);
/*
 * Check an Authorization header value.  0 when it names a known token
 * (*probe_id set to its probe id or NULL), -1 otherwise.
 */
int	tokens_check(const struct tokens *, const char *authorization,
	    const char **probe_id);
void	tokens_free(struct tokens *);

#endif
