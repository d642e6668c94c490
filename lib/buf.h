/*
 * A growable byte buffer, always NUL-terminated after its bytes.
 * Allocation failure is fatal (xmalloc).
 */
#ifndef NJ_BUF_H
#define NJ_BUF_H

#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

/* Make room for more bytes after len (and the NUL). */
void	buf_reserve(struct buf *, size_t more);
void	buf_add(struct buf *, const void *, size_t);
void	buf_addstr(struct buf *, const char *);
void	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_free(struct buf *);

#endif
