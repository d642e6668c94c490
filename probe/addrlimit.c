/*
 * Per-address connection limit: a hash table of the addresses in use, each
 * with its number of slots taken and a FIFO of waiting connections.  An
 * address leaves the table when nothing holds or waits for it, so the table
 * never grows past what is in flight.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrlimit.h"
#include "hindex.h"
#include "log.h"
#include "xmalloc.h"

#define ADDRLIMIT_BUCKETS	4096

struct addrlimit_wait {
	struct addrlimit_entry	*entry;
	struct addrlimit_wait	*next;
	struct addrlimit_wait	*prev;
	addrlimit_cb		 cb;
	void			*arg;
	struct event		*ev;
	int			 granted;	/* out of line, holds a slot,
						   ev pending */
};

struct addrlimit_entry {
	struct addrlimit_entry	*next;		/* in the bucket */
	struct addrlimit	*al;
	char			 addr[46];
	size_t			 active;
	struct addrlimit_wait	*head;
	struct addrlimit_wait	*tail;
};

struct addrlimit {
	struct event_base	*base;
	size_t			 limit;
	struct addrlimit_entry	*bucket[ADDRLIMIT_BUCKETS];
};

static size_t
addrlimit_hash(const char *s)
{
	return hindex_hash(HINDEX_SEED, s, strlen(s)) % ADDRLIMIT_BUCKETS;
}

static struct addrlimit_entry *
addrlimit_find(const struct addrlimit *al, const char *addr)
{
	struct addrlimit_entry	*en;

	for (en = al->bucket[addrlimit_hash(addr)]; en != NULL; en = en->next)
		if (strcmp(en->addr, addr) == 0)
			return en;
	return NULL;
}

struct addrlimit *
addrlimit_new(struct event_base *base, size_t limit)
{
	struct addrlimit	*al;

	al = xcalloc(1, sizeof *al);
	al->base = base;
	al->limit = limit > 0 ? limit : 1;
	return al;
}

void
addrlimit_free(struct addrlimit *al)
{
	struct addrlimit_entry	*en, *next;
	size_t			 i;

	if (al == NULL)
		return;
	for (i = 0; i < ADDRLIMIT_BUCKETS; i++) {
		for (en = al->bucket[i]; en != NULL; en = next) {
			next = en->next;
			log_warn("%s: %zu connection slots never given back",
			    en->addr, en->active);
			free(en);
		}
	}
	free(al);
}

/* Drop an entry nobody holds or waits for. */
static void
addrlimit_gc(struct addrlimit_entry *en)
{
	struct addrlimit	 *al = en->al;
	struct addrlimit_entry	**ep;

	if (en->active > 0 || en->head != NULL)
		return;
	for (ep = &al->bucket[addrlimit_hash(en->addr)]; *ep != NULL;
	    ep = &(*ep)->next) {
		if (*ep == en) {
			*ep = en->next;
			break;
		}
	}
	free(en);
}

static void
addrlimit_unlink(struct addrlimit_wait *w)
{
	struct addrlimit_entry	*en = w->entry;

	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		en->head = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	else
		en->tail = w->prev;
	w->next = w->prev = NULL;
}

static void
addrlimit_wait_cb(evutil_socket_t fd, short what, void *arg)
{
	struct addrlimit_wait	*w = arg;
	addrlimit_cb		 cb = w->cb;
	void			*cbarg = w->arg;

	(void)fd;
	(void)what;
	event_free(w->ev);
	free(w);
	cb(cbarg);		/* holds the slot now */
}

/* Hand free slots to the first in line, calling them from the loop. */
static void
addrlimit_grant(struct addrlimit_entry *en)
{
	struct addrlimit_wait	*w;
	struct timeval		 tv = { 0, 0 };

	while ((w = en->head) != NULL && en->active < en->al->limit) {
		addrlimit_unlink(w);
		w->granted = 1;
		en->active++;
		evtimer_add(w->ev, &tv);
	}
}

int
addrlimit_take(struct addrlimit *al, const char *addr, addrlimit_cb cb,
    void *arg, struct addrlimit_wait **wp)
{
	struct addrlimit_entry	*en;
	struct addrlimit_wait	*w;
	size_t			 h;

	*wp = NULL;
	if ((en = addrlimit_find(al, addr)) == NULL) {
		en = xcalloc(1, sizeof *en);
		en->al = al;
		snprintf(en->addr, sizeof en->addr, "%s", addr);
		h = addrlimit_hash(en->addr);
		en->next = al->bucket[h];
		al->bucket[h] = en;
	}
	if (en->active < al->limit && en->head == NULL) {
		en->active++;
		return 1;
	}
	w = xcalloc(1, sizeof *w);
	w->entry = en;
	w->cb = cb;
	w->arg = arg;
	w->ev = evtimer_new(al->base, addrlimit_wait_cb, w);
	w->prev = en->tail;
	if (en->tail != NULL)
		en->tail->next = w;
	else
		en->head = w;
	en->tail = w;
	*wp = w;
	return 0;
}

void
addrlimit_cancel(struct addrlimit_wait *w)
{
	struct addrlimit_entry	*en;

	if (w == NULL)
		return;
	en = w->entry;
	if (w->granted)
		en->active--;
	else
		addrlimit_unlink(w);
	event_free(w->ev);
	free(w);
	addrlimit_grant(en);
	addrlimit_gc(en);
}

void
addrlimit_release(struct addrlimit *al, const char *addr)
{
	struct addrlimit_entry	*en;

	if ((en = addrlimit_find(al, addr)) == NULL || en->active == 0) {
		log_warn("%s: connection slot given back twice", addr);
		return;
	}
	en->active--;
	addrlimit_grant(en);
	addrlimit_gc(en);
}

size_t
addrlimit_active(const struct addrlimit *al, const char *addr)
{
	const struct addrlimit_entry	*en;

	en = addrlimit_find(al, addr);
	return en != NULL ? en->active : 0;
}
