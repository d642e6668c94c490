/* Which malloc the nightjar binary runs on (see configure.ac, alloc.c). */
#ifndef NJ_ALLOC_H
#define NJ_ALLOC_H

/* "jemalloc VERSION" or "C library malloc"; static. */
const char	*alloc_name(void);

#endif
