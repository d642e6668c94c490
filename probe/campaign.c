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
#include "hindex.h"
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

/* An index of the targets by host and port. */
struct resume {
	const char	*campaign;
	struct targets	*t;
	struct hindex	 idx;
	unsigned char	*done;
	long		 n_done;
};

static uint64_t
resume_hash(const char *host, size_t len, int port)
{
	return hindex_hash(hindex_hash(HINDEX_SEED, host, len), &port,
	    sizeof port);
}

static void
resume_index(struct resume *rs)
{
	struct target	*tg;
	size_t		 i;

	rs->done = xcalloc(rs->t->n > 0 ? rs->t->n : 1, 1);
	for (i = 0; i < rs->t->n; i++) {
		tg = &rs->t->v[i];
		hindex_add(&rs->idx, resume_hash(tg->host, strlen(tg->host),
		    tg->port), i);
	}
}

static void
resume_mark(struct resume *rs, const char *host, size_t len, int port)
{
	struct target	*tg;
	size_t		 it = 0, i;

	while (hindex_next(&rs->idx, resume_hash(host, len, port), &it, &i)) {
		tg = &rs->t->v[i];
		if (tg->port == port && strlen(tg->host) == len &&
		    memcmp(tg->host, host, len) == 0 && !rs->done[i]) {
			rs->done[i] = 1;
			rs->n_done++;
		}
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
	hindex_clear(&rs.idx);
	free(rs.done);
	return rc;
}
