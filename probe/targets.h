/*
 * Target lists: Citizen Lab test-list CSV or plain `HOST[:PORT] [CATEGORY]`
 * lines, detected by content (CONTRACT "Targets").
 */
#ifndef NJ_TARGETS_H
#define NJ_TARGETS_H

#include <stddef.h>

struct target {
	char	*input;		/* the line or URL as written */
	char	*host;		/* lower-case name or IP literal (no brackets) */
	int	 port;
	char	*category;	/* NULL when none */
	int	 is_ip;		/* IP literal: no DNS, no SNI */
};

struct targets {
	struct target	*v;
	size_t		 n;
};

/*
 * Append the valid targets of a file, skipping duplicates (same host and
 * port).  Bad lines are reported on stderr as "file:line: reason".
 * Returns the number of valid targets found in this file, or -1 when the
 * file cannot be read.
 */
int	targets_load_file(struct targets *, const char *path);
/* The same over an in-memory buffer (path is used in messages). */
int	targets_load_buffer(struct targets *, const char *path,
	    const char *buf, size_t len);
void	targets_free(struct targets *);

#endif
