/*
 * The vantage, top to bottom:
 *
 *   control_handle   POST only; body size, msgpack request (control_parse:
 *                    at most 100 targets of 16 addresses, allowed ports),
 *                    the token's budget (control_rate_take: else 429)
 *     -> job_fill    start at most `concurrency` targets of all jobs at
 *                    once with measure_start_addrs(): the vantage's own
 *                    resolver (DNS entries of role control) and the
 *                    probe's addresses (source probe); env.refuse keeps
 *                    every connection away from bogons
 *     -> job_done    each record is packed as the result of its target;
 *                    once all are in, the answer goes out in request order
 *
 * The record is packed by record_pack() and its step arrays are copied
 * into the answer, so a vantage's steps read exactly like a probe's.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <msgpack.h>

#include "bogon.h"
#include "control.h"
#include "dns.h"
#include "log.h"
#include "measure.h"
#include "mp.h"
#include "record.h"
#include "targets.h"
#include "tls.h"
#include "util.h"
#include "xmalloc.h"

#define RATE_MAX_KEYS	4096

struct job;

/* One target of a job, measured or waiting for a slot. */
struct jtarget {
	struct job		*job;
	struct control_target	*ct;
	struct target		 t;
	struct measure_env	 env;		/* the job's, + its http */
	struct measure		*m;
	msgpack_sbuffer		 out;		/* its packed result */
	int			 done;
	struct jtarget		*next_wait;	/* ctl->waiting list */
};

struct job {
	struct control		*ctl;
	struct evhttp_request	*req;
	struct control_req	 r;
	struct jtarget		*v;
	size_t			 n_done;
	double			 t0;
	struct measure_env	 env;		/* its own step deadline */
	struct job		*prev, *next;
};

struct control {
	struct event_base	*base;
	struct control_config	 cfg;
	struct dns_resolver	*resolver;
	struct tls_ctx		*tls;
	struct measure_env	 env;
	struct control_rate	*rate;
	struct job		*jobs;
	struct jtarget		*wait_head, *wait_tail;
	size_t			 active;	/* targets measuring */
};

/* --- configuration --------------------------------------------------------- */

void
control_config_init(struct control_config *c)
{
	memset(c, 0, sizeof *c);
	c->rate = CONTROL_DEFAULT_RATE;
	c->timeout_ms = CONTROL_DEFAULT_TIMEOUT;
	c->concurrency = 256;
	c->name = "nightjar-collector";
}

int
control_parse_ports(struct control_config *c, const char *s)
{
	char	*copy, *p, *tok, *save = NULL;
	long	 v;
	int	 rv = 0;

	c->n_ports = 0;
	copy = xstrdup(s);
	for (p = copy; (tok = strtok_r(p, ", \t", &save)) != NULL; p = NULL) {
		if (util_parse_long(tok, 1, 65535, &v) != 0 ||
		    c->n_ports == CONTROL_MAX_PORTS) {
			rv = -1;
			break;
		}
		c->ports[c->n_ports++] = (int)v;
	}
	free(copy);
	return rv == 0 && c->n_ports > 0 ? 0 : -1;
}

static int
port_allowed(const struct control_config *c, int port)
{
	size_t	i;

	if (c->n_ports == 0)
		return port == 443 || port == 80;
	for (i = 0; i < c->n_ports; i++) {
		if (c->ports[i] == port)
			return 1;
	}
	return 0;
}

/* --- the request ------------------------------------------------------------ */

static int
copy_str(const msgpack_object *o, char *out, size_t outlen)
{
	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0)
		return -1;
	return mp_str_copy(o, out, outlen);
}

/* A DNS name as a resolver takes it: letters, digits, '-', '_', '.'. */
static int
hostname_ok(const char *s)
{
	size_t	len = strlen(s), label = 0, i;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

static int
parse_target(const msgpack_object *o, const struct control_config *cfg,
    struct control_target *ct, size_t idx, char *err, size_t errlen)
{
	const msgpack_object	*v;
	struct bogon_addr	 a;
	int64_t			 port;
	uint32_t		 i;

	memset(ct, 0, sizeof *ct);
	if (o->type != MSGPACK_OBJECT_MAP) {
		snprintf(err, errlen, "targets[%zu]: not a map", idx);
		return -1;
	}
	if ((v = mp_get(o, "host")) == NULL ||
	    copy_str(v, ct->host, sizeof ct->host) != 0) {
		snprintf(err, errlen, "targets[%zu].host: missing or not a "
		    "name", idx);
		return -1;
	}
	ct->is_ip = bogon_parse_addr(ct->host, &a) == 0;
	if (ct->is_ip) {
		/* Brackets off: "[::1]" is "::1". */
		if (ct->host[0] == '[') {
			memmove(ct->host, ct->host + 1, strlen(ct->host));
			ct->host[strlen(ct->host) - 1] = '\0';
		}
	} else if (!hostname_ok(ct->host)) {
		snprintf(err, errlen, "targets[%zu].host: not a host name or "
		    "IP address", idx);
		return -1;
	}
	if (mp_get_int(o, "port", &port) != 0 || port < 1 || port > 65535) {
		snprintf(err, errlen, "targets[%zu].port: missing or out of "
		    "range", idx);
		return -1;
	}
	ct->port = (int)port;
	if (!port_allowed(cfg, ct->port)) {
		snprintf(err, errlen, "targets[%zu].port: %d is not a port "
		    "this vantage measures", idx, ct->port);
		return -1;
	}
	if ((v = mp_get(o, "sni")) != NULL && v->type != MSGPACK_OBJECT_NIL) {
		if (copy_str(v, ct->sni, sizeof ct->sni) != 0 ||
		    !hostname_ok(ct->sni)) {
			snprintf(err, errlen, "targets[%zu].sni: not a host "
			    "name", idx);
			return -1;
		}
		/* The handshake names the host, as the probe's does. */
		if (ct->is_ip || strcasecmp(ct->sni, ct->host) != 0) {
			snprintf(err, errlen, "targets[%zu].sni: must be the "
			    "host name (or nil for an IP address)", idx);
			return -1;
		}
		ct->has_sni = 1;
	}
	/*
	 * What the probe fetched, so the vantage fetches it too: "http"
	 * true for GET / over the handshake, "http_port" for plain HTTP
	 * (port 80 alone means plain HTTP on 80).
	 */
	if ((v = mp_get(o, "http")) != NULL && v->type != MSGPACK_OBJECT_NIL) {
		if (v->type != MSGPACK_OBJECT_BOOLEAN) {
			snprintf(err, errlen, "targets[%zu].http: not true or "
			    "false", idx);
			return -1;
		}
		ct->http = v->via.boolean;
	}
	if (mp_get(o, "http_port") != NULL &&
	    mp_get(o, "http_port")->type != MSGPACK_OBJECT_NIL) {
		if (mp_get_int(o, "http_port", &port) != 0 || port < 1 ||
		    port > 65535 || !port_allowed(cfg, (int)port)) {
			snprintf(err, errlen, "targets[%zu].http_port: not a "
			    "port this vantage measures", idx);
			return -1;
		}
		ct->http_port = (int)port;
	} else if (ct->port == 80)
		ct->http_port = 80;
	if ((v = mp_get(o, "addrs")) != NULL && v->type != MSGPACK_OBJECT_NIL) {
		if (v->type != MSGPACK_OBJECT_ARRAY ||
		    v->via.array.size > CONTROL_MAX_ADDRS) {
			snprintf(err, errlen, "targets[%zu].addrs: not an "
			    "array of at most %d addresses", idx,
			    CONTROL_MAX_ADDRS);
			return -1;
		}
		for (i = 0; i < v->via.array.size; i++) {
			if (copy_str(&v->via.array.ptr[i],
			    ct->addrs[ct->n_addrs], sizeof ct->addrs[0]) != 0 ||
			    bogon_parse_addr(ct->addrs[ct->n_addrs], &a) != 0) {
				snprintf(err, errlen, "targets[%zu].addrs[%u]: "
				    "not an IP address", idx, i);
				return -1;
			}
			ct->n_addrs++;
		}
	}
	return 0;
}

int
control_parse(const char *body, size_t len, const struct control_config *cfg,
    struct control_req *r, char *err, size_t errlen)
{
	msgpack_unpacked	 u;
	const msgpack_object	*ts;
	int64_t			 timeout;
	size_t			 used, i;
	int			 rv = -1;

	memset(r, 0, sizeof *r);
	msgpack_unpacked_init(&u);
	if (mp_unpack_one(&u, body, len, &used) != 0 || used != len) {
		snprintf(err, errlen, "body is not one msgpack object");
		goto out;
	}
	if (u.data.type != MSGPACK_OBJECT_MAP) {
		snprintf(err, errlen, "body is not a msgpack map");
		goto out;
	}
	ts = mp_get(&u.data, "targets");
	if (ts == NULL || ts->type != MSGPACK_OBJECT_ARRAY ||
	    ts->via.array.size == 0 ||
	    ts->via.array.size > CONTROL_MAX_TARGETS) {
		snprintf(err, errlen, "\"targets\" must be an array of 1 to %d "
		    "targets", CONTROL_MAX_TARGETS);
		goto out;
	}
	if (mp_get(&u.data, "timeout_ms") != NULL) {
		if (mp_get_int(&u.data, "timeout_ms", &timeout) != 0 ||
		    timeout < 1 || timeout > 600000) {
			snprintf(err, errlen, "\"timeout_ms\": not a number of "
			    "milliseconds");
			goto out;
		}
		r->timeout_ms = (long)timeout;
	}
	r->v = xcalloc(ts->via.array.size, sizeof *r->v);
	for (i = 0; i < ts->via.array.size; i++) {
		if (parse_target(&ts->via.array.ptr[i], cfg, &r->v[i], i, err,
		    errlen) != 0)
			goto out;
		r->n++;
	}
	rv = 0;
out:
	msgpack_unpacked_destroy(&u);
	if (rv != 0)
		control_req_clear(r);
	return rv;
}

void
control_req_clear(struct control_req *r)
{
	free(r->v);
	memset(r, 0, sizeof *r);
}

/* --- rate ----------------------------------------------------------------- */

struct rate_key {
	char		*key;
	double		 tokens;
	double		 t_ms;		/* when tokens was computed */
	struct rate_key	*next;
};

struct control_rate {
	double		 per_ms;
	double		 cap;
	struct rate_key	*keys;
	size_t		 n;
};

struct control_rate *
control_rate_new(long per_minute)
{
	struct control_rate	*r;

	r = xcalloc(1, sizeof *r);
	r->cap = (double)(per_minute > 0 ? per_minute : 1);
	r->per_ms = r->cap / 60000.0;
	return r;
}

void
control_rate_free(struct control_rate *r)
{
	struct rate_key	*k;

	if (r == NULL)
		return;
	while ((k = r->keys) != NULL) {
		r->keys = k->next;
		free(k->key);
		free(k);
	}
	free(r);
}

static void
rate_refill(struct control_rate *r, struct rate_key *k, double now)
{
	if (now > k->t_ms) {
		k->tokens += (now - k->t_ms) * r->per_ms;
		if (k->tokens > r->cap)
			k->tokens = r->cap;
	}
	k->t_ms = now;
}

int
control_rate_take(struct control_rate *r, const char *key, size_t n,
    double now_ms, long *retry_after)
{
	struct rate_key	**kp, *k, *last = NULL, **lastp = NULL;
	double		  wait;

	for (kp = &r->keys; (k = *kp) != NULL; kp = &k->next) {
		if (strcmp(k->key, key) == 0)
			break;
		if (k->next == NULL) {
			last = k;
			lastp = kp;
		}
	}
	if (k == NULL) {
		/* Full buckets are forgotten first: they hold nothing. */
		if (r->n >= RATE_MAX_KEYS && last != NULL) {
			*lastp = NULL;
			free(last->key);
			free(last);
			r->n--;
		}
		k = xcalloc(1, sizeof *k);
		k->key = xstrdup(key);
		k->tokens = r->cap;
		k->t_ms = now_ms;
		r->n++;
	} else
		*kp = k->next;
	/* Most recently used first. */
	k->next = r->keys;
	r->keys = k;
	rate_refill(r, k, now_ms);
	if ((double)n <= k->tokens) {
		k->tokens -= (double)n;
		*retry_after = 0;
		return 0;
	}
	if ((double)n > r->cap)
		wait = 60000.0;
	else
		wait = ((double)n - k->tokens) / r->per_ms;
	*retry_after = (long)ceil(wait / 1000.0);
	if (*retry_after < 1)
		*retry_after = 1;
	return -1;
}

/* --- replies -------------------------------------------------------------- */

static void
reply_error(struct evhttp_request *req, int code, const char *reason,
    const char *msg)
{
	struct evbuffer	*out = evbuffer_new();
	struct buf	 b = { NULL, 0, 0 };

	if (out == NULL) {
		log_error("out of memory");
		abort();
	}
	buf_addstr(&b, "{\"error\": ");
	json_quote(&b, msg, strlen(msg));
	buf_addstr(&b, "}\n");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evbuffer_add(out, b.data, b.len);
	log_info("control: %d %s", code, msg);
	evhttp_send_reply(req, code, reason, out);
	evbuffer_free(out);
	buf_free(&b);
}

/* Copy the step arrays of a packed record into the target's result. */
static void
pack_result(msgpack_packer *pk, const struct control_target *ct,
    const struct record *rec)
{
	static const char *const keys[] = { "dns", "tcp", "tls", "http" };
	msgpack_sbuffer		 sb;
	msgpack_packer		 rpk;
	msgpack_unpacked	 u;
	const msgpack_object_kv	*kv;
	size_t			 used = 0, i, j, n = 2;
	int			 have[4] = { 0, 0, 0, 0 };

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&rpk, &sb, msgpack_sbuffer_write);
	record_pack(rec, &rpk);
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, sb.data, sb.size, &used) !=
	    MSGPACK_UNPACK_SUCCESS || u.data.type != MSGPACK_OBJECT_MAP) {
		log_error("control: cannot read back a packed record");
		abort();
	}
	/* Every step array and its "<key>_truncated" flag. */
	for (i = 0; i < u.data.via.map.size; i++) {
		kv = &u.data.via.map.ptr[i];
		if (kv->key.type != MSGPACK_OBJECT_STR)
			continue;
		for (j = 0; j < 4; j++) {
			size_t kl = strlen(keys[j]);

			if (kv->key.via.str.size >= kl &&
			    memcmp(kv->key.via.str.ptr, keys[j], kl) == 0 &&
			    (kv->key.via.str.size == kl ||
			    (kv->key.via.str.size == kl + 10 &&
			    memcmp(kv->key.via.str.ptr + kl, "_truncated",
			    10) == 0))) {
				n++;
				if (kv->key.via.str.size == kl)
					have[j] = 1;
			}
		}
	}
	for (j = 0; j < 4; j++)
		n += !have[j];
	msgpack_pack_map(pk, n);
	msgpack_pack_str(pk, 4);
	msgpack_pack_str_body(pk, "host", 4);
	msgpack_pack_str(pk, strlen(ct->host));
	msgpack_pack_str_body(pk, ct->host, strlen(ct->host));
	msgpack_pack_str(pk, 4);
	msgpack_pack_str_body(pk, "port", 4);
	msgpack_pack_int(pk, ct->port);
	for (i = 0; i < u.data.via.map.size; i++) {
		kv = &u.data.via.map.ptr[i];
		if (kv->key.type != MSGPACK_OBJECT_STR)
			continue;
		for (j = 0; j < 4; j++) {
			size_t kl = strlen(keys[j]);

			if (kv->key.via.str.size >= kl &&
			    memcmp(kv->key.via.str.ptr, keys[j], kl) == 0 &&
			    (kv->key.via.str.size == kl ||
			    (kv->key.via.str.size == kl + 10 &&
			    memcmp(kv->key.via.str.ptr + kl, "_truncated",
			    10) == 0))) {
				msgpack_pack_object(pk, kv->key);
				msgpack_pack_object(pk, kv->val);
			}
		}
	}
	for (j = 0; j < 4; j++) {
		if (have[j])
			continue;
		msgpack_pack_str(pk, strlen(keys[j]));
		msgpack_pack_str_body(pk, keys[j], strlen(keys[j]));
		msgpack_pack_array(pk, 0);
	}
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}

static void
job_free(struct job *j)
{
	struct control	*ctl = j->ctl;
	struct jtarget	**wp, *w;
	size_t		 i;

	/* Off the waiting list. */
	for (wp = &ctl->wait_head, w = NULL; *wp != NULL;) {
		if ((*wp)->job == j)
			*wp = (*wp)->next_wait;
		else {
			w = *wp;
			wp = &(*wp)->next_wait;
		}
	}
	ctl->wait_tail = w;
	for (i = 0; i < j->r.n; i++) {
		if (j->v[i].m != NULL) {
			measure_cancel(j->v[i].m);
			ctl->active--;
		}
		msgpack_sbuffer_destroy(&j->v[i].out);
		free(j->v[i].t.host);
		free(j->v[i].t.input);
	}
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		ctl->jobs = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	free(j->v);
	control_req_clear(&j->r);
	free(j);
}

static void
job_reply(struct job *j)
{
	struct evbuffer		*out;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	char			 ts[32];
	size_t			 i;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	msgpack_pack_str(&pk, 7);
	msgpack_pack_str_body(&pk, "vantage", 7);
	msgpack_pack_str(&pk, strlen(j->ctl->cfg.name));
	msgpack_pack_str_body(&pk, j->ctl->cfg.name, strlen(j->ctl->cfg.name));
	util_format_rfc3339_ms(util_now_ms(), ts);
	msgpack_pack_str(&pk, 4);
	msgpack_pack_str_body(&pk, "time", 4);
	msgpack_pack_str(&pk, strlen(ts));
	msgpack_pack_str_body(&pk, ts, strlen(ts));
	/* How long the vantage worked: the rest of the wait is network. */
	msgpack_pack_str(&pk, 10);
	msgpack_pack_str_body(&pk, "elapsed_ms", 10);
	msgpack_pack_double(&pk, util_mono_ms() - j->t0);
	msgpack_pack_str(&pk, 7);
	msgpack_pack_str_body(&pk, "results", 7);
	msgpack_pack_array(&pk, j->r.n);
	for (i = 0; i < j->r.n; i++)
		msgpack_sbuffer_write(&sb, j->v[i].out.data, j->v[i].out.size);

	if ((out = evbuffer_new()) == NULL) {
		log_error("out of memory");
		abort();
	}
	evbuffer_add(out, sb.data, sb.size);
	evhttp_add_header(evhttp_request_get_output_headers(j->req),
	    "Content-Type", "application/msgpack");
	log_info("control: 200 %zu targets in %.0f ms", j->r.n,
	    util_mono_ms() - j->t0);
	/* Frees the request when its client has gone meanwhile. */
	evhttp_send_reply(j->req, 200, "OK", out);
	evbuffer_free(out);
	msgpack_sbuffer_destroy(&sb);
	job_free(j);
}

static void	control_fill(struct control *);

static void
jtarget_done(struct measure *m, struct record *rec, void *arg)
{
	struct jtarget	*jt = arg;
	struct job	*j = jt->job;
	struct control	*ctl = j->ctl;
	msgpack_packer	 pk;

	measure_free(m);
	jt->m = NULL;
	ctl->active--;
	msgpack_packer_init(&pk, &jt->out, msgpack_sbuffer_write);
	pack_result(&pk, jt->ct, rec);
	record_free(rec);
	jt->done = 1;
	if (++j->n_done == j->r.n)
		job_reply(j);
	control_fill(ctl);
}

/* Start waiting targets while there is room. */
static void
control_fill(struct control *ctl)
{
	struct jtarget		*jt;
	const char		*addrs[CONTROL_MAX_ADDRS];
	size_t			 i;

	while (ctl->active < ctl->cfg.concurrency &&
	    (jt = ctl->wait_head) != NULL) {
		if ((ctl->wait_head = jt->next_wait) == NULL)
			ctl->wait_tail = NULL;
		jt->next_wait = NULL;
		for (i = 0; i < jt->ct->n_addrs; i++)
			addrs[i] = jt->ct->addrs[i];
		ctl->active++;
		jt->m = measure_start_addrs(&jt->env, &jt->t, addrs,
		    jt->ct->n_addrs, jtarget_done, jt);
	}
}

static int
control_refuse(const char *ip, void *arg)
{
	struct control	*ctl = arg;

	if (!bogon_refused(ip, ctl->cfg.allow, ctl->cfg.n_allow))
		return 0;
	log_info("control: refused to connect to %s", ip);
	return 1;
}

void
control_handle(struct control *ctl, struct evhttp_request *req,
    const char *key)
{
	struct evbuffer		*in = evhttp_request_get_input_buffer(req);
	struct job		*j;
	struct jtarget		*jt;
	const char		*body;
	char			 err[512], ra[32];
	size_t			 len, i;
	long			 retry;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "POST");
		reply_error(req, 405, "Method Not Allowed", "use POST");
		return;
	}
	len = evbuffer_get_length(in);
	if (len > CONTROL_MAX_BODY) {
		reply_error(req, 413, "Payload Too Large",
		    "a control request is at most 256 KiB");
		return;
	}
	j = xcalloc(1, sizeof *j);
	body = len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";
	if (control_parse(body, len, &ctl->cfg, &j->r, err, sizeof err) != 0) {
		free(j);
		reply_error(req, 400, "Bad Request", err);
		return;
	}
	if (control_rate_take(ctl->rate, key != NULL ? key : "", j->r.n,
	    util_mono_ms(), &retry) != 0) {
		snprintf(ra, sizeof ra, "%ld", retry);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", ra);
		control_req_clear(&j->r);
		free(j);
		reply_error(req, 429, "Too Many Requests",
		    "over --control-rate targets a minute for this token");
		return;
	}
	j->ctl = ctl;
	j->req = req;
	j->t0 = util_mono_ms();
	j->env = ctl->env;
	if (j->r.timeout_ms > 0 && j->r.timeout_ms < j->env.timeout_ms)
		j->env.timeout_ms = j->r.timeout_ms;
	j->v = xcalloc(j->r.n, sizeof *j->v);
	for (i = 0; i < j->r.n; i++) {
		jt = &j->v[i];
		jt->job = j;
		jt->ct = &j->r.v[i];
		msgpack_sbuffer_init(&jt->out);
		jt->t.host = xstrdup(jt->ct->host);
		jt->t.input = xstrdup(jt->ct->host);
		jt->t.port = jt->ct->port;
		jt->t.is_ip = jt->ct->is_ip;
		if (jt->ct->http_port > 0) {
			/* As the probe's http:// target: "/" on that port,
			 * plain only when it is the target's port. */
			jt->t.scheme = TARGET_HTTP;
			jt->t.http_port = jt->ct->http_port;
			if (jt->ct->port == jt->ct->http_port)
				jt->t.port = 0;
		}
		jt->env = j->env;
		jt->env.http = jt->ct->http;
		if (ctl->wait_tail != NULL)
			ctl->wait_tail->next_wait = jt;
		else
			ctl->wait_head = jt;
		ctl->wait_tail = jt;
	}
	j->next = ctl->jobs;
	if (ctl->jobs != NULL)
		ctl->jobs->prev = j;
	ctl->jobs = j;
	log_debug("control: %zu targets", j->r.n);
	control_fill(ctl);
}

/* --- setup ---------------------------------------------------------------- */

/* The bundled reference roots: installed, else the build tree's. */
static char *
control_default_ca_file(void)
{
	struct stat	 st;
	char		*path;

	if (stat(NJ_PKGDATADIR, &st) == 0 && S_ISDIR(st.st_mode))
		xasprintf(&path, "%s/roots.pem", NJ_PKGDATADIR);
	else
		xasprintf(&path, "%s/roots.pem", NJ_BUILDDIR);
	return path;
}

struct control *
control_new(struct event_base *base, const struct control_config *cfg)
{
	struct control	*ctl;
	struct dns_opts	 dopts;
	char		*ca;

	ctl = xcalloc(1, sizeof *ctl);
	ctl->base = base;
	ctl->cfg = *cfg;
	if (ctl->cfg.concurrency == 0)
		ctl->cfg.concurrency = 1;
	ca = cfg->ca_file != NULL ? xstrdup(cfg->ca_file) :
	    control_default_ca_file();
	ctl->tls = tls_ctx_new(ca);
	free(ca);
	if (ctl->tls == NULL)
		goto fail;
	/* Its own resolver; an encrypted one is checked against ca. */
	memset(&dopts, 0, sizeof dopts);
	dopts.timeout_ms = cfg->timeout_ms;
	dopts.linger_ms = 0;
	dopts.tls = ctl->tls;
	ctl->resolver = dns_resolver_new(base, cfg->resolver != NULL ?
	    cfg->resolver : "system", &dopts);
	if (ctl->resolver == NULL)
		goto fail;
	ctl->rate = control_rate_new(cfg->rate);
	ctl->env.base = base;
	ctl->env.resolvers = NULL;
	ctl->env.n_resolvers = 0;
	ctl->env.control = ctl->resolver;	/* DNS entries of role control */
	ctl->env.tls = ctl->tls;
	ctl->env.timeout_ms = cfg->timeout_ms;
	ctl->env.control_sni = NULL;		/* the target's SNI only */
	ctl->env.refuse = control_refuse;
	ctl->env.refuse_arg = ctl;
	return ctl;
fail:
	control_free(ctl);
	return NULL;
}

void
control_free(struct control *ctl)
{
	if (ctl == NULL)
		return;
	/* The server has gone: requests are not answered any more. */
	while (ctl->jobs != NULL)
		job_free(ctl->jobs);
	dns_resolver_free(ctl->resolver);
	tls_ctx_free(ctl->tls);
	control_rate_free(ctl->rate);
	free(ctl);
}
