/*
 * At most N connections at once to one destination address (--per-address),
 * so that a campaign does not hammer one CDN address.  A connection takes a
 * slot before it connects and gives it back when it ends; when the address
 * is busy it waits in line, and is called back from the event loop when a
 * slot is handed to it.
 */
#ifndef NJ_ADDRLIMIT_H
#define NJ_ADDRLIMIT_H

#include <stddef.h>

#include <event2/event.h>

struct addrlimit;
struct addrlimit_wait;

typedef void	(*addrlimit_cb)(void *);

/* limit > 0. */
struct addrlimit	*addrlimit_new(struct event_base *, size_t limit);
/* Every slot must have been released and every wait cancelled. */
void			 addrlimit_free(struct addrlimit *);

/*
 * Take a slot for addr (an IP address string): 1 when taken at once.
 * Otherwise 0 and *w is set: cb(arg) is called later from the loop with
 * the slot taken (the wait is gone then), unless addrlimit_cancel(*w).
 */
int	addrlimit_take(struct addrlimit *, const char *addr, addrlimit_cb,
	    void *arg, struct addrlimit_wait **w);
/* Stop waiting (a slot already handed over but not yet called back is
   given back). */
void	addrlimit_cancel(struct addrlimit_wait *);
/* Give back a slot taken for addr. */
void	addrlimit_release(struct addrlimit *, const char *addr);

/* Connections at once to addr (tests). */
size_t	addrlimit_active(const struct addrlimit *, const char *addr);

#endif
