/*
 * Options of `run` and `upload` (nightjar(1)), from the command line
 * and from --config FILE (`name = value`, same names as the long options;
 * the command line wins).
 */
#ifndef NJ_CONFIG_H
#define NJ_CONFIG_H

#include <stddef.h>

struct strlist {
	char	**v;
	size_t	  n;
};

void	strlist_add(struct strlist *, const char *);
void	strlist_clear(struct strlist *);

struct config {
	struct strlist	 targets;	/* --targets, empty = default list */
	char		*results;	/* --results, "./results" */
	struct strlist	 resolvers;	/* --resolver, empty = "system" */
	char		*control_resolver; /* NULL = none */
	char		*ca_file;	/* reference store; NULL = default */
	char		*interception_cas; /* NULL = default */
	long		 timeout_ms;	/* 5000 */
	long		 dns_linger_ms;	/* 500 */
	long		 concurrency;	/* 64 */
	long		 interval_s;	/* 900 */
	long		 jitter_s;	/* 60 */
	char		*schedule;	/* --schedule SPEC or NULL */
	struct strlist	 collectors;	/* --collector URL, tried in order */
	char		*collector_ca;
	char		*token_file;
	char		*probe_id;
	char		*campaign;
	char		*control_sni;	/* "example.org" */
	struct strlist	 fingerprints;	/* --fingerprints, empty = default */
	struct strlist	 controls;	/* --control URL; empty = every
					   --collector; "none" = off */
	int		 http;		/* --http: GET / over each handshake */
	int		 keep_certs;	/* --keep-certs: DER of every chain */
	long		 http_max_body;	/* --http-max-body, 65536 */
	long		 max_spool_mb;	/* 512 */
	long		 rate;		/* --rate N targets/s, 0 = unlimited */
	long		 per_address;	/* connections at once per address,
					   0 = no limit (4) */
	int		 once;
	int		 resume;
	int		 requeue_rejected;	/* upload --requeue-rejected */
	int		 verbose;	/* -v count */
	int		 quiet;		/* -q */
	char		*config_file;
};

void	config_init(struct config *);	/* defaults */
void	config_free(struct config *);

/*
 * Parse argv for `run` (or `upload` when upload_only: the options that
 * make no sense there are refused).  Reads --config FILE when present,
 * the command line winning.  On a usage error prints a message and
 * returns -1 (exit 2); returns 1 after printing --help (exit 0).
 */
int	config_parse_args(struct config *, int, char **, int upload_only);

/* Load `name = value` lines; unknown names are errors (file:line). */
int	config_load_file(struct config *, const char *path);

/*
 * Where shipped data lives: the source tree for a binary run from its
 * build tree, the installed pkgdatadir for an installed one (never the
 * other's).
 */
const char	*config_datadir(void);
/* 1 when exe (an absolute path) lies inside builddir.  Pure, for tests. */
int		 config_in_build_tree(const char *exe, const char *builddir);
/*
 * The default --ca-file (heap): pkgdatadir/roots.pem when installed, else
 * the roots.pem the build made (NJ_BUILDDIR).
 */
char		*config_default_ca_file(void);

/*
 * The bearer token of --token-file: its first line that is not blank or
 * a # comment, without spaces (heap), or NULL (logged).
 */
#define CONFIG_TOKEN_MAX	512
char		*config_read_token(const char *path);

#endif
