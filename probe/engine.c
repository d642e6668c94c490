/*
 * The engine: what lives across rounds (resolvers, TLS context, root
 * stores, interception roots, probe id) and rounds that measure a target
 * list with at most --concurrency targets in flight on one event loop.
 * Each finished target gets its verdict and is packed at once (the
 * record is freed); the packed records are spooled at the end of the
 * round, or in chunks when a round grows large or is a campaign's
 * (campaign.c: every 1,000 records or 10 s).  --rate paces the starts;
 * --per-address (addrlimit.c) the connections.
 */
#include <sys/queue.h>
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <msgpack.h>

#include "addrlimit.h"
#include "campaign.h"
#include "dns.h"
#include "engine.h"
#include "inspect.h"
#include "log.h"
#include "measure.h"
#include "spool.h"
#include "tls.h"
#include "util.h"
#include "vantage.h"
#include "verdict.h"
#include "fingerprint.h"
#include "baseline.h"
#include "xmalloc.h"

struct engine {
	struct event_base	 *base;
	const struct config	 *cfg;
	struct dns_resolver	**resolvers;
	size_t			  n_resolvers;
	struct dns_resolver	 *control;
	struct tls_ctx		 *tls;
	struct ica		 *cas;
	size_t			  n_cas;
	struct fingerprint_set	 *fingerprints;
	char			 *probe_id;
	size_t			  concurrency;
	struct measure_env	  env;
	struct verdict_ctx	  vctx;
	struct addrlimit	 *limit;	/* --per-address */
	struct inspect_list	 *inspect;	/* local inspection products */
	struct vantage		 *vantage;	/* --control; NULL: none */
	int			  local_warned;	/* local inspection, once */
	/* Records a round could not write (disk full): written first next
	 * time, at most ENGINE_HELD_MAX bytes. */
	msgpack_sbuffer		  held;
	size_t			  n_held;
};

#define ENGINE_HELD_MAX	(64UL * 1024 * 1024)

/* What the summary counted for one record not yet written. */
struct packed {
	int	status;
	int	method;
	int	reason;		/* slot in stats.reasons, -1: none */
};

/* One target in flight: what round_cancel needs to stop it. */
struct rmeasure {
	struct round		*r;
	struct measure		*m;
	int			 idle;		/* only DNS listens on */
	LIST_ENTRY(rmeasure)	 entry;
};

struct round {
	struct engine		*e;
	const struct targets	*targets;
	struct baseline		*baseline;	/* control SNI per address */
	round_done_cb		 cb;
	void			*arg;
	char			 run_id[UUID_STRLEN + 1];
	size_t			 next;		/* next target to start */
	size_t			 in_flight;	/* hold a --concurrency slot */
	size_t			 lingering;	/* DNS listens on, no slot */
	size_t			 asking;	/* records at the vantage */
	int			 stopping;
	int			 finished;
	double			 t0;
	struct round_stats	 stats;
	msgpack_sbuffer		 sbuf;
	msgpack_packer		 pk;
	size_t			 n_packed;	/* records in sbuf */
	/* The verdicts of the records in sbuf: they leave the stats when
	 * sbuf cannot be written, so a summary never counts them. */
	struct packed		*packed;
	size_t			 packed_cap;
	double			 last_flush;
	struct event		*done_ev;
	struct campaign_rate	 rate;		/* --rate */
	struct event		*rate_ev;
	LIST_HEAD(, rmeasure)	 measures;	/* in flight */
	/*
	 * Records only a system-only root intercepts, held to the end of
	 * the round: if every handshake of the round ends in that root while
	 * the vantage saw the real keys, the machine inspects TLS itself.
	 * local_mixed: a record with another kind of chain was kept.  At
	 * most ROUND_LOCAL_MAX are held: then the rule is decided on them
	 * (local_decided, local_root) and applied to the rest as they come.
	 */
	struct record		**local;
	size_t			 n_local;
	size_t			 local_cap;
	int			 local_mixed;
	int			 local_decided;
	char			*local_root;	/* NULL: not local */
};

static void	round_fill(struct round *);
static void	round_local(struct round *);

/* Enough descriptors for every connection a full round may hold. */
static void
engine_raise_nofile(size_t concurrency)
{
	struct rlimit	rl;
	rlim_t		want;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	want = (rlim_t)concurrency * (2 * MEASURE_MAX_ADDRS + 2) + 64;
	if (rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ?
	    want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("cannot raise the open file limit");
}


/*
 * Blockpage fingerprints: every --fingerprints PATH must load; without
 * one, the shipped files (a warning when they are missing).
 */
static int
engine_load_fingerprints(struct engine *e, const struct config *cfg)
{
	char	*dir;
	size_t	 i;

	e->fingerprints = fingerprint_set_new();
	for (i = 0; i < cfg->fingerprints.n; i++) {
		if (fingerprint_set_load(e->fingerprints,
		    cfg->fingerprints.v[i]) < 0) {
			log_error("--fingerprints %s: cannot be read",
			    cfg->fingerprints.v[i]);
			return -1;
		}
	}
	if (cfg->fingerprints.n == 0) {
		xasprintf(&dir, "%s/targets/fingerprints", config_datadir());
		if (fingerprint_set_load(e->fingerprints, dir) < 0)
			log_warn("%s: no blockpage fingerprints", dir);
		free(dir);
	}
	log_debug("%zu blockpage fingerprints", fingerprint_set_count(
	    e->fingerprints));
	return 0;
}

struct engine *
engine_new(struct event_base *base, const struct config *cfg)
{
	struct engine	*e;
	struct dns_opts	 dopts;
	char		*ca_file = NULL, *ica_dir = NULL, *path;
	size_t		 i, n;
	int		 bad = 0;

	e = xcalloc(1, sizeof *e);
	e->base = base;
	e->cfg = cfg;
	msgpack_sbuffer_init(&e->held);
	e->concurrency = cfg->concurrency > 0 ? (size_t)cfg->concurrency : 1;

	/* Installed data first; in a build tree, the build's roots. */
	ca_file = cfg->ca_file != NULL ? xstrdup(cfg->ca_file) :
	    config_default_ca_file();
	if ((e->tls = tls_ctx_new(ca_file)) == NULL)
		goto fail;

	/* Encrypted resolvers are verified against the same roots. */
	memset(&dopts, 0, sizeof dopts);
	dopts.timeout_ms = cfg->timeout_ms;
	dopts.linger_ms = cfg->dns_linger_ms;
	dopts.tls = e->tls;
	n = cfg->resolvers.n > 0 ? cfg->resolvers.n : 1;
	e->resolvers = xcalloc(n, sizeof *e->resolvers);
	for (i = 0; i < n; i++) {
		e->resolvers[i] = dns_resolver_new(base, cfg->resolvers.n > 0 ?
		    cfg->resolvers.v[i] : "system", &dopts);
		if (e->resolvers[i] == NULL)
			goto fail;
		e->n_resolvers++;
	}
	if (cfg->control_resolver != NULL) {
		e->control = dns_resolver_new(base, cfg->control_resolver,
		    &dopts);
		if (e->control == NULL)
			goto fail;
	}
	if (cfg->interception_cas != NULL)
		ica_dir = xstrdup(cfg->interception_cas);
	else
		xasprintf(&ica_dir, "%s/targets/interception-cas",
		    config_datadir());
	if (ica_load_dir(ica_dir, &e->cas, &e->n_cas) != 0) {
		if (cfg->interception_cas != NULL) {
			log_error("%s: cannot read interception roots",
			    ica_dir);
			goto fail;
		}
		log_warn("%s: cannot read interception roots", ica_dir);
		e->cas = NULL;
		e->n_cas = 0;
	}

	if (engine_load_fingerprints(e, cfg) != 0)
		goto fail;

	if (spool_prepare(cfg->results) != 0)
		goto fail;
	if (cfg->probe_id != NULL)
		e->probe_id = xstrdup(cfg->probe_id);
	else if ((e->probe_id = spool_probe_id(cfg->results)) == NULL)
		goto fail;

	engine_raise_nofile(e->concurrency);

	e->env.base = base;
	e->env.resolvers = e->resolvers;
	e->env.n_resolvers = e->n_resolvers;
	e->env.control = e->control;
	e->env.tls = e->tls;
	e->env.timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 5000;
	e->env.control_sni = cfg->control_sni;
	e->vctx.cas = e->cas;
	e->vctx.n_cas = e->n_cas;
	e->vctx.control_sni = cfg->control_sni;
	xasprintf(&path, "%s/targets/local-inspection.txt", config_datadir());
	if ((e->inspect = inspect_load(path)) != NULL)
		inspect_warn_system(e->inspect);
	e->vctx.inspect = e->inspect;
	free(path);
	e->vctx.fingerprints = e->fingerprints;
	e->env.fingerprints = e->fingerprints;
	e->env.http = cfg->http;
	e->env.keep_certs = cfg->keep_certs;
	e->env.http_max_body = cfg->http_max_body > 0 ?
	    (size_t)cfg->http_max_body : 0;
	if (cfg->per_address > 0) {
		e->limit = addrlimit_new(base, (size_t)cfg->per_address);
		e->env.limit = e->limit;
	}
	e->vantage = vantage_new(base, cfg, &bad);
	if (bad)
		goto fail;

	free(ca_file);
	free(ica_dir);
	return e;
fail:
	free(ca_file);
	free(ica_dir);
	engine_free(e);
	return NULL;
}

void
engine_free(struct engine *e)
{
	size_t	i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n_resolvers; i++)
		dns_resolver_free(e->resolvers[i]);
	free(e->resolvers);
	dns_resolver_free(e->control);
	tls_ctx_free(e->tls);
	ica_free(e->cas, e->n_cas);
	fingerprint_set_free(e->fingerprints);
	free(e->probe_id);
	addrlimit_free(e->limit);
	inspect_free(e->inspect);
	vantage_free(e->vantage);
	if (e->n_held > 0)
		log_error("%zu records lost: the spool could not be written",
		    e->n_held);
	msgpack_sbuffer_destroy(&e->held);
	free(e);
}

size_t
engine_held(const struct engine *e)
{
	return e->n_held;
}

size_t
engine_flush_held(struct engine *e)
{
	size_t	n;

	if (e->n_held == 0)
		return 0;
	if (spool_write(e->cfg->results, NULL, e->held.data,
	    e->held.size) != 0) {
		log_error("%zu records are still not spooled: %s cannot be "
		    "written", e->n_held, e->cfg->results);
		return 0;
	}
	n = e->n_held;
	log_warn("%zu records held since the spool could not be written "
	    "are now spooled", n);
	msgpack_sbuffer_clear(&e->held);
	e->n_held = 0;
	return n;
}

/*
 * Spool what is packed; the buffer is emptied either way.  Records that
 * cannot be written (disk full, permissions) are held by the engine, up
 * to ENGINE_HELD_MAX bytes, and written before the next round.
 */
static void
round_spool(struct round *r)
{
	struct engine	*e = r->e;
	struct packed	*p;
	size_t		 i;
	int		 ok;

	r->last_flush = util_mono_ms();
	if (r->n_packed == 0)
		return;
	ok = spool_write(e->cfg->results, NULL, r->sbuf.data,
	    r->sbuf.size) == 0;
	for (i = 0; !ok && i < r->n_packed; i++) {
		p = &r->packed[i];
		r->stats.by_status[p->status]--;
		r->stats.by_method[p->status][p->method]--;
		if (p->reason >= 0)
			r->stats.reasons[p->status][p->reason].n--;
	}
	if (ok) {
		r->stats.n_written += r->n_packed;
		r->stats.n_files++;
	} else if (e->held.size + r->sbuf.size <= ENGINE_HELD_MAX) {
		msgpack_sbuffer_write(&e->held, r->sbuf.data, r->sbuf.size);
		e->n_held += r->n_packed;
		r->stats.n_unspooled += r->n_packed;
	} else {
		r->stats.n_unspooled += r->n_packed;
		r->stats.n_lost += r->n_packed;
		log_error("%zu records lost: the spool cannot be written and "
		    "%zu records already wait in memory", r->n_packed,
		    e->n_held);
	}
	msgpack_sbuffer_clear(&r->sbuf);
	r->n_packed = 0;
}

static void
round_done_ev_cb(evutil_socket_t fd, short what, void *arg)
{
	struct round	*r = arg;

	(void)fd;
	(void)what;
	r->cb(r, r->arg);
}

static void
round_check_end(struct round *r)
{
	if (r->finished || r->in_flight > 0 || r->lingering > 0)
		return;
	if (!r->stopping && r->next < r->targets->n)
		return;
	if (r->asking > 0) {
		/* Measured: the vantage's answers come within a step. */
		vantage_flush(r->e->vantage);
		return;
	}
	round_local(r);
	r->finished = 1;
	evtimer_del(r->rate_ev);
	round_spool(r);
	r->stats.elapsed_ms = util_mono_ms() - r->t0;
	/* From the loop, so that the callback may free the round. */
	event_active(r->done_ev, EV_TIMEOUT, 0);
}

const char *
engine_failure_reason(const struct record *rec)
{
	size_t	i;

	/* OpenSSL's words ("self-signed certificate") say more than
	 * df-007's ("ssl_unknown_authority"). */
	for (i = 0; i < rec->n_tls; i++) {
		if (rec->tls[i].verify_error != NULL)
			return rec->tls[i].verify_error;
	}
	for (i = 0; i < rec->n_tls; i++) {
		if (rec->tls[i].failure != NULL)
			return rec->tls[i].failure;
	}
	for (i = 0; i < rec->n_tcp; i++) {
		if (rec->tcp[i].failure != NULL)
			return rec->tcp[i].failure;
	}
	for (i = 0; i < rec->n_dns; i++) {
		if (rec->dns[i].failure != NULL)
			return rec->dns[i].failure;
	}
	return NULL;
}

/* Count a record's verdict in the round's stats (and remember it). */
static void
round_count(struct round *r, const struct record *rec)
{
	struct round_reason	*rs;
	struct packed		*p;
	const char		*why;
	size_t			 st = (size_t)rec->verdict.status;
	size_t			 me = (size_t)rec->verdict.method;
	size_t			 k;

	if (st >= sizeof r->stats.by_status / sizeof r->stats.by_status[0] ||
	    me >= sizeof r->stats.by_method[0] /
	    sizeof r->stats.by_method[0][0])
		return;
	if (r->n_packed >= r->packed_cap) {
		r->packed_cap = r->packed_cap ? r->packed_cap * 2 : 64;
		r->packed = xreallocarray(r->packed, r->packed_cap,
		    sizeof *r->packed);
	}
	for (k = 0; k < rec->n_dns; k++) {
		if (rec->dns[k].role != ROLE_CONTROL)
			continue;
		r->stats.n_ctl_queries++;
		if (rec->dns[k].rcode != NULL)
			r->stats.n_ctl_answered++;
		else if (rec->dns[k].failure != NULL &&
		    r->stats.ctl_failure[0] == '\0')
			snprintf(r->stats.ctl_failure,
			    sizeof r->stats.ctl_failure, "%s",
			    rec->dns[k].failure);
	}
	p = &r->packed[r->n_packed];
	p->status = (int)st;
	p->method = (int)me;
	p->reason = -1;
	r->stats.by_status[st]++;
	r->stats.by_method[st][me]++;
	/* A failure no method names: say why in the summary. */
	if (st == STATUS_OK || me != METHOD_NONE)
		return;
	if ((why = engine_failure_reason(rec)) == NULL)
		why = "no failure recorded";
	rs = r->stats.reasons[st];
	for (k = 0; k < ROUND_MAX_REASONS; k++) {
		if (rs[k].name[0] == '\0')
			snprintf(rs[k].name, sizeof rs[k].name, "%s",
			    k == ROUND_MAX_REASONS - 1 ? "other" : why);
		if (strcmp(rs[k].name, why) == 0 ||
		    k == ROUND_MAX_REASONS - 1)
			break;
	}
	rs[k].n++;
	p->reason = (int)k;
}

/* A record is done: counted, packed, spooled in time. */
static void
round_pack(struct round *r, struct record *rec)
{
	struct engine	*e = r->e;

	round_count(r, rec);
	record_pack(rec, &r->pk);
	record_free(rec);
	r->n_packed++;
	r->stats.n_done++;
	if (campaign_flush_due(e->cfg->campaign != NULL, r->n_packed,
	    r->sbuf.size, util_mono_ms() - r->last_flush))
		round_spool(r);
}

static void
round_keep(struct round *r, struct record *rec)
{
	round_pack(r, rec);
	round_fill(r);
	round_check_end(r);
}

static int
record_has_chain(const struct record *rec)
{
	size_t	i;

	for (i = 0; i < rec->n_tls; i++) {
		if (rec->tls[i].n_chain > 0)
			return 1;
	}
	return 0;
}

#define LOCAL_MIN_HANDSHAKES	2
#define LOCAL_SEEN_MAX		16	/* handshakes looked at per record */
#define ROUND_LOCAL_MAX		256	/* records held for the rule */

/* Every handshake of rec that presented a chain ends in root. */
static int
local_matches(const struct engine *e, const struct record *rec,
    const char *root)
{
	struct inspect_seen	seen[LOCAL_SEEN_MAX];
	size_t			i, n;

	n = verdict_inspect_seen(rec, &e->vctx, seen, LOCAL_SEEN_MAX);
	for (i = 0; i < n; i++) {
		if (seen[i].root == NULL || strcmp(seen[i].root, root) != 0)
			return 0;
	}
	return n > 0;
}

/*
 * Decide on the held records: their handshakes, with what the vantage
 * saw, go to inspect_common_root(); a root found there inspects this
 * machine's TLS, so those records are `error`.  Then they are kept.
 */
static void
round_local(struct round *r)
{
	struct engine		*e = r->e;
	struct inspect_seen	*seen;
	const char		*root;
	size_t			 i, n = 0;

	if (r->n_local == 0)
		return;
	if (!r->local_decided && !r->local_mixed) {
		seen = xreallocarray(NULL, r->n_local * LOCAL_SEEN_MAX,
		    sizeof *seen);
		for (i = 0; i < r->n_local; i++)
			n += verdict_inspect_seen(r->local[i], &e->vctx,
			    seen + n, LOCAL_SEEN_MAX);
		root = inspect_common_root(seen, n, LOCAL_MIN_HANDSHAKES);
		r->local_root = root != NULL ? xstrdup(root) : NULL;
		free(seen);
	}
	r->local_decided = 1;
	if (r->local_root != NULL && !e->local_warned) {
		e->local_warned = 1;
		log_warn("this machine inspects TLS: every handshake ended in "
		    "'%s', a root only the system store trusts, while the "
		    "vantage saw the real keys (an antivirus or a corporate "
		    "proxy?); those records are errors, not interception",
		    r->local_root);
	}
	for (i = 0; i < r->n_local; i++) {
		if (r->local_root != NULL)
			verdict_local_root(r->local[i], r->local_root,
			    &r->local[i]->verdict);
		round_pack(r, r->local[i]);
	}
	r->n_local = 0;
}

/* Held to the end of the round, or decided already (see struct round). */
static void
round_hold_local(struct round *r, struct record *rec)
{
	if (r->local_decided) {
		if (r->local_root != NULL &&
		    local_matches(r->e, rec, r->local_root))
			verdict_local_root(rec, r->local_root, &rec->verdict);
		round_keep(r, rec);
		return;
	}
	if (r->n_local == r->local_cap) {
		r->local_cap = r->local_cap ? r->local_cap * 2 : 16;
		r->local = xreallocarray(r->local, r->local_cap,
		    sizeof *r->local);
	}
	r->local[r->n_local++] = rec;
	if (r->n_local >= ROUND_LOCAL_MAX)
		round_local(r);
	round_fill(r);
	round_check_end(r);
}

/* The vantage's answer (or why there is none) is in: decide again. */
static void
round_vantage_cb(struct record *rec, void *arg)
{
	struct round	*r = arg;

	free(rec->verdict.detail);
	free(rec->verdict.interception_ca);
	free(rec->verdict.blockpage);
	verdict_decide(rec, &r->e->vctx, &rec->verdict);
	r->asking--;
	if (verdict_local_candidate(rec, &r->e->vctx)) {
		round_hold_local(r, rec);
		return;
	}
	if (record_has_chain(rec))
		r->local_mixed = 1;
	round_keep(r, rec);
}

/*
 * Connections done, only the DNS linger (--dns-linger) listens on: the
 * target gives its --concurrency slot to the next one.  What waits is
 * small (the record and the queries' state, no socket of its own), and
 * bounded: past ROUND_MAX_LINGER per slot a target keeps its slot.
 */
#define ROUND_MAX_LINGER	4

static void
round_measure_idle_cb(struct measure *m, void *arg)
{
	struct rmeasure	*rm = arg;
	struct round	*r = rm->r;

	(void)m;
	if (r->lingering >= ROUND_MAX_LINGER * r->e->concurrency)
		return;
	rm->idle = 1;
	r->in_flight--;
	r->lingering++;
	round_fill(r);
}

static void
round_measure_cb(struct measure *m, struct record *rec, void *arg)
{
	struct rmeasure	*rm = arg;
	struct round	*r = rm->r;
	struct engine	*e = r->e;
	int		 local;

	if (rm->idle)
		r->lingering--;
	else
		r->in_flight--;
	LIST_REMOVE(rm, entry);
	free(rm);
	measure_free(m);
	memcpy(rec->run_id, r->run_id, sizeof rec->run_id);
	rec->probe_id = xstrdup(e->probe_id);
	rec->campaign = e->cfg->campaign != NULL ?
	    xstrdup(e->cfg->campaign) : NULL;
	verdict_decide(rec, &e->vctx, &rec->verdict);
	local = e->vantage != NULL && verdict_local_candidate(rec, &e->vctx);
	if (!local && record_has_chain(rec))
		r->local_mixed = 1;
	if (e->vantage != NULL && (local || vantage_wants(rec))) {
		/* Held until the vantage answers (or cannot). */
		r->asking++;
		vantage_ask(e->vantage, rec, round_vantage_cb, r);
		round_fill(r);
		round_check_end(r);
		return;
	}
	round_keep(r, rec);
}

/* --rate: the next start once the bucket has a token again. */
static int
round_rate_wait(struct round *r)
{
	struct timeval	tv;
	long		wait;

	if (r->e->cfg->rate <= 0)
		return 0;
	if (evtimer_pending(r->rate_ev, NULL))
		return 1;
	if ((wait = (long)campaign_rate_take(&r->rate, util_mono_ms())) <= 0)
		return 0;
	wait++;			/* rounding: never wake before the token */
	tv.tv_sec = wait / 1000;
	tv.tv_usec = (wait % 1000) * 1000;
	evtimer_add(r->rate_ev, &tv);
	return 1;
}

static void
round_rate_cb(evutil_socket_t fd, short what, void *arg)
{
	struct round	*r = arg;

	(void)fd;
	(void)what;
	round_fill(r);
	round_check_end(r);
}

static void
round_fill(struct round *r)
{
	const struct target	*t;
	struct rmeasure		*rm;

	while (!r->stopping && r->in_flight < r->e->concurrency &&
	    r->next < r->targets->n) {
		if (round_rate_wait(r))
			break;
		t = &r->targets->v[r->next++];
		r->in_flight++;
		rm = xcalloc(1, sizeof *rm);
		rm->r = r;
		LIST_INSERT_HEAD(&r->measures, rm, entry);
		rm->m = measure_start(&r->e->env, t, round_measure_cb, rm);
		measure_on_idle(rm->m, round_measure_idle_cb);
	}
}

struct round *
round_start(struct engine *e, const struct targets *targets,
    round_done_cb cb, void *arg)
{
	struct round	*r;

	r = xcalloc(1, sizeof *r);
	r->e = e;
	r->targets = targets;
	r->cb = cb;
	r->arg = arg;
	r->t0 = util_mono_ms();
	r->stats.n_targets = targets->n;
	util_uuid4(r->run_id);
	msgpack_sbuffer_init(&r->sbuf);
	msgpack_packer_init(&r->pk, &r->sbuf, msgpack_sbuffer_write);
	r->done_ev = event_new(e->base, -1, 0, round_done_ev_cb, r);
	LIST_INIT(&r->measures);
	r->baseline = baseline_new(&e->env);
	e->env.baseline = r->baseline;
	engine_flush_held(e);
	r->last_flush = r->t0;
	r->rate_ev = evtimer_new(e->base, round_rate_cb, r);
	if (e->cfg->rate > 0)
		campaign_rate_init(&r->rate, (double)e->cfg->rate, r->t0);
	round_fill(r);
	round_check_end(r);
	return r;
}

void
round_stop(struct round *r)
{
	if (r->stopping)
		return;
	r->stopping = 1;
	evtimer_del(r->rate_ev);
	round_check_end(r);
}

void
round_cancel(struct round *r)
{
	struct rmeasure	*rm, *next;

	r->stopping = 1;
	evtimer_del(r->rate_ev);
	for (rm = LIST_FIRST(&r->measures); rm != NULL; rm = next) {
		next = LIST_NEXT(rm, entry);
		if (rm->idle)
			continue;
		LIST_REMOVE(rm, entry);
		measure_cancel(rm->m);
		free(rm);
		r->in_flight--;
		r->stats.n_cancelled++;
	}
	/* Measured, only listening for late DNS replies: kept as it is. */
	while ((rm = LIST_FIRST(&r->measures)) != NULL)
		measure_end_linger(rm->m);	/* round_measure_cb frees rm */
	/* What was measured is kept, without the vantage's answer. */
	if (r->asking > 0)
		vantage_cancel(r->e->vantage);
	round_check_end(r);
}

const struct round_stats *
round_get_stats(const struct round *r)
{
	return &r->stats;
}

void
round_free(struct round *r)
{
	size_t	i;

	if (r == NULL)
		return;
	if (r->in_flight > 0 || r->lingering > 0) {
		/* Measurements hold the round: a caller bug. */
		log_error("round freed with %zu targets in flight",
		    r->in_flight + r->lingering);
		abort();
	}
	if (r->e->env.baseline == r->baseline)
		r->e->env.baseline = NULL;
	baseline_free(r->baseline);
	event_free(r->done_ev);
	event_free(r->rate_ev);
	msgpack_sbuffer_destroy(&r->sbuf);
	free(r->packed);
	for (i = 0; i < r->n_local; i++)
		record_free(r->local[i]);
	free(r->local);
	free(r->local_root);
	free(r);
}
