/*
 * Target lists: Citizen Lab test-list CSV or plain `HOST[:PORT] [CATEGORY]`
 * lines, detected by content (nightjar(1), "--targets").
 */
#ifndef NJ_TARGETS_H
#define NJ_TARGETS_H

#include <stddef.h>

enum target_scheme { TARGET_HTTPS = 0, TARGET_HTTP };

struct target {
	char	*input;		/* the line or URL as written */
	char	*host;		/* lower-case A-label name or IP literal */
	enum target_scheme scheme; /* bare hosts and HOST[:PORT] are https */
	int	 port;		/* TLS port; 0: none (http:// with a port) */
	int	 http_port;	/* plain HTTP port; 0: none (https) */
	char	*path;		/* path and query of the URL, "/" if none */
	char	*category;	/* NULL when none; "NEWS,HUMR" when folded */
	int	 is_ip;		/* IP literal: no DNS, no SNI */
};

/* The port a record names: the TLS port, else the plain HTTP one. */
#define TARGET_PORT(t)	((t)->port != 0 ? (t)->port : (t)->http_port)

struct targets {
	struct target	*v;
	size_t		 n;
};

/*
 * Append the valid targets of a file.  A target already in the list
 * (same scheme, host and port) is not added again; its category gains
 * the new one.  Bad lines are reported on stderr as "file:line: reason".
 * A CSV file without a `url` column (a test-list legend) is skipped with
 * a warning.  Returns the number of valid targets found in this file
 * (0 for a skipped file), or -1 when the file cannot be read.
 */
int	targets_load_file(struct targets *, const char *path);
/* The same over an in-memory buffer (path is used in messages). */
int	targets_load_buffer(struct targets *, const char *path,
	    const char *buf, size_t len);
/*
 * Every file in turn: -1 (logged) when one cannot be read or when there
 * is no valid target in all of them together, else 0.
 */
int	targets_load_files(struct targets *, char *const *paths, size_t n);
/* Free one entry's strings (for callers that drop entries). */
void	target_clear(struct target *);
void	targets_free(struct targets *);

#endif
