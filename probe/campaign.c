/*
 * Batch campaigns: the chunk flushing policy, the --rate token bucket and
 * --resume over the spool.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "campaign.h"
#include "log.h"
#include "mp.h"
#include "spool.h"
#include "xmalloc.h"

int
campaign_flush_due(int campaign, size_t n_packed, size_t bytes,
    double ms_since_flush)
{
	if (n_packed == 0)
		return 0;
	if (bytes >= CAMPAIGN_CHUNK_BYTES)
		return 1;
	if (!campaign)
		return 0;
	return n_packed >= CAMPAIGN_CHUNK_RECORDS ||
	    ms_since_flush >= CAMPAIGN_CHUNK_MS;
}

void
campaign_rate_init(struct campaign_rate *b, double rate, double now_ms)
{
	b->rate = rate;
	/* 50 ms worth of starts may come at once, at least one. */
	b->burst = rate / 20.0 < 1.0 ? 1.0 : rate / 20.0;
	b->tokens = 1.0;
	b->last_ms = now_ms;
}

double
campaign_rate_take(struct campaign_rate *b, double now_ms)
{
	double	wait;

	if (now_ms > b->last_ms) {
		b->tokens += (now_ms - b->last_ms) * b->rate / 1000.0;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		b->last_ms = now_ms;
	}
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		return 0;
	}
	wait = (1.0 - b->tokens) * 1000.0 / b->rate;
	return wait < 1.0 ? 1.0 : wait;
}

/* --- resume ------------------------------------------------------------ */

/* An index of the targets by host and port: open addressing. */
struct resume {
	const char	*campaign;
	struct targets	*t;
	size_t		*slot;		/* target index + 1, 0 = empty */
	size_t		 mask;
	unsigned char	*done;
	long		 n_done;
};

static uint64_t
resume_hash(const char *host, size_t len, int port)
{
	uint64_t	h = 1469598103934665603ULL;	/* FNV-1a */
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)host[i];
		h *= 1099511628211ULL;
	}
	h ^= (uint64_t)port;
	h *= 1099511628211ULL;
	return h;
}

static void
resume_index(struct resume *rs)
{
	size_t		cap = 16, i, j;
	struct target	*tg;

	while (cap < 2 * rs->t->n)
		cap <<= 1;
	rs->slot = xcalloc(cap, sizeof *rs->slot);
	rs->mask = cap - 1;
	rs->done = xcalloc(rs->t->n > 0 ? rs->t->n : 1, 1);
	for (i = 0; i < rs->t->n; i++) {
		tg = &rs->t->v[i];
		j = resume_hash(tg->host, strlen(tg->host), tg->port) &
		    rs->mask;
		while (rs->slot[j] != 0)
			j = (j + 1) & rs->mask;
		rs->slot[j] = i + 1;
	}
}

static void
resume_mark(struct resume *rs, const char *host, size_t len, int port)
{
	struct target	*tg;
	size_t		 j, i;

	j = resume_hash(host, len, port) & rs->mask;
	while ((i = rs->slot[j]) != 0) {
		tg = &rs->t->v[i - 1];
		if (tg->port == port && strlen(tg->host) == len &&
		    memcmp(tg->host, host, len) == 0 && !rs->done[i - 1]) {
			rs->done[i - 1] = 1;
			rs->n_done++;
		}
		j = (j + 1) & rs->mask;
	}
}

static int
resume_record_cb(const msgpack_object *o, const char *raw, size_t rawlen,
    void *arg)
{
	struct resume		*rs = arg;
	const msgpack_object	*host;
	int64_t			 port;

	(void)raw;
	(void)rawlen;
	if (!mp_str_eq(mp_get(o, "campaign"), rs->campaign))
		return 0;
	host = mp_get(o, "target.host");
	if (host == NULL || host->type != MSGPACK_OBJECT_STR ||
	    mp_get_int(o, "target.port", &port) != 0 || port < 1 ||
	    port > 65535)
		return 0;
	resume_mark(rs, host->via.str.ptr, host->via.str.size, (int)port);
	return 0;
}

long
campaign_resume(const char *dir, const char *campaign, struct targets *t)
{
	struct resume		rs;
	struct spool_files	files;
	size_t			i, k;
	int			sent;
	long			rc = -1;

	memset(&rs, 0, sizeof rs);
	rs.campaign = campaign;
	rs.t = t;
	resume_index(&rs);
	for (sent = 0; sent <= 1; sent++) {
		memset(&files, 0, sizeof files);
		if (spool_list(dir, sent, &files) != 0) {
			log_error("%s: cannot list the spool", dir);
			goto out;
		}
		for (i = 0; i < files.n; i++) {
			/* A damaged file is warned about by name. */
			(void)spool_read_file(files.path[i],
			    resume_record_cb, &rs);
		}
		spool_files_free(&files);
	}
	for (i = k = 0; i < t->n; i++) {
		if (rs.done[i])
			target_clear(&t->v[i]);
		else
			t->v[k++] = t->v[i];
	}
	t->n = k;
	rc = rs.n_done;
out:
	free(rs.slot);
	free(rs.done);
	return rc;
}
