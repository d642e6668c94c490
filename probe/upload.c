/*
 * Upload of the pending spool to a collector (docs/upload.md).
 *
 * A file leaves the pending spool only after a collector has answered 2xx
 * for a batch holding it, so a crash anywhere loses nothing; at worst a
 * batch is sent again and the collector counts duplicates.  Files larger
 * than one batch are first split into batch-sized files, atomically and
 * with names derived from the original, so that a split interrupted by a
 * crash is simply done again with the same result.
 *
 * Network errors and 5xx answers back off exponentially (1 s doubling to
 * 10 min, with jitter); the state lives in DIR/upload-state so that the
 * daemon resumes it after a restart.  A 4xx answer moves the batch to
 * DIR/rejected/ with the answer beside it (a batch of several files is
 * first retried file by file, so one bad file does not take the others
 * with it).  Each pass reads each pending file once, validates each
 * record once and builds the batches from those bytes; records that fail
 * validation are split off into NAME.invalid.msgpack and sent on their
 * own, so a bad record costs only itself (docs/upload.md).
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <msgpack.h>

#include "commands.h"
#include "config.h"
#include "log.h"
#include "mp.h"
#include "spool.h"
#include "upload.h"
#include "url.h"
#include "util.h"
#include "xmalloc.h"

#define UPLOAD_MAX_RECORDS	500
#define UPLOAD_MAX_BYTES	(1024 * 1024)
#define UPLOAD_TIMEOUT_S	30	/* connect, read, write */
#define UPLOAD_DEADLINE_S	120	/* one request, all in */
#define UPLOAD_MAX_RESPONSE	65536
#define UPLOAD_ATTEMPTS		3	/* passes made by `nightjar upload` */
#define BACKOFF_MIN_S		1
#define BACKOFF_MAX_S		600
#define STATE_FILE		"upload-state"



struct upload {
	const struct config	*cfg;
	struct event_base	*base;
	int			 own_base;
	const volatile int	*stop;		/* set by a signal: give up */
	char			 why[320];	/* the last failure */
	SSL_CTX			*ssl_ctx;
	struct url_server	*coll;
	size_t			 ncoll;
	char			*token;
	char			*sentdir;
	char			*rejdir;
	char			*damdir;
	struct upload_result	*res;
};

static int
upload_stopped(const struct upload *u)
{
	return u->stop != NULL && *u->stop;
}

/* A file of a batch: its records are body[off, off + len). */
struct upfile {
	char	*path;
	size_t	 off;
	size_t	 len;
	size_t	 nrec;
};

/* One batch being built: records from one or more whole files. */
struct upbatch {
	struct buf	 body;		/* records, without the array header */
	size_t		 nrec;
	struct upfile	*files;
	size_t		 nfiles;
};

/* One pass over the pending files: each is read once. */
struct upass {
	struct upload	*u;
	struct upbatch	 b;
	int		 send;		/* 0: only split, set aside, count */
	int		 stopped;	/* a retry or a stop: send no more */
	size_t		 pending;	/* records left pending */
};

/* One request in flight. */
struct post {
	struct upload		*u;
	struct evhttp_connection *evcon;
	struct event		*deadline;
	SSL			*ssl;		/* owned by evcon's bufferevent */
	int			 done;
	int			 code;		/* 0 = no answer */
	struct buf		 answer;
	char			 why[256];
};

/* --- files -------------------------------------------------------------- */

static int
fsync_dir(const char *dir)
{
	if (util_fsync_dir(dir) == 0)
		return 0;
	log_error("%s: fsync: %s", dir, strerror(errno));
	return -1;
}

static const char *
base_name(const char *path)
{
	const char	*p = strrchr(path, '/');

	return p != NULL ? p + 1 : path;
}

/* Records in pending files (damaged files are not records). */
static size_t
count_pending(const char *dir)
{
	struct spool_files	 files;
	size_t			 i, n = 0;
	long			 k;

	if (spool_list(dir, 0, &files) != 0)
		return 0;
	for (i = 0; i < files.n; i++) {
		if ((k = spool_count(files.path[i])) > 0)
			n += (size_t)k;
	}
	spool_files_free(&files);
	return n;
}

/* Move path into todir (rename, then fsync both directories). */
static int
move_file(const char *path, const char *todir, const char *fromdir)
{
	char	*to;
	int	 rv = -1;

	xasprintf(&to, "%s/%s", todir, base_name(path));
	if (rename(path, to) == -1) {
		log_error("%s: cannot move to %s: %s", path, todir,
		    strerror(errno));
		goto out;
	}
	if (fsync_dir(todir) == -1 || fsync_dir(fromdir) == -1)
		goto out;
	rv = 0;
out:
	free(to);
	return rv;
}

/* --- backoff state ------------------------------------------------------ */

struct backoff {
	long	 failures;
	int64_t	 next_ms;	/* no attempt before this */
};

static void
state_load(const char *dir, struct backoff *b)
{
	char		*path;
	FILE		*f;
	long long	 next;
	long		 failures;

	b->failures = 0;
	b->next_ms = 0;
	xasprintf(&path, "%s/%s", dir, STATE_FILE);
	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%ld %lld", &failures, &next) == 2 &&
		    failures >= 0 && failures < 64 && next >= 0) {
			b->failures = failures;
			b->next_ms = next;
		} else
			log_warn("%s: damaged, ignored", path);
		fclose(f);
	}
	free(path);
}

static void
state_save(const char *dir, const struct backoff *b)
{
	char	*path, line[64];

	if (b->failures == 0) {
		xasprintf(&path, "%s/%s", dir, STATE_FILE);
		if (unlink(path) == -1 && errno != ENOENT)
			log_warn("%s: %s", path, strerror(errno));
		free(path);
		return;
	}
	snprintf(line, sizeof line, "%ld %lld\n", b->failures,
	    (long long)b->next_ms);
	spool_write(dir, STATE_FILE, line, strlen(line));
}

/* Seconds to wait after the n-th failure in a row: 1 s doubling to 10 min,
 * the upper half of it drawn at random so that probes spread out. */
static double
backoff_delay(long failures)
{
	double		delay = BACKOFF_MIN_S;
	uint32_t	r = 0;
	long		i;

	for (i = 1; i < failures && delay < BACKOFF_MAX_S; i++)
		delay *= 2;
	if (delay > BACKOFF_MAX_S)
		delay = BACKOFF_MAX_S;
	if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
		r = (uint32_t)random();
	return delay / 2 + delay / 2 * ((double)r / UINT32_MAX);
}

/* --- collectors --------------------------------------------------------- */

static int
is_ip(const char *host)
{
	struct in_addr	 a4;
	struct in6_addr	 a6;

	return inet_pton(AF_INET, host, &a4) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1;
}

static int
collector_parse(const char *url, struct url_server *c)
{
	const char	*why;

	if ((why = url_server_parse(url, c)) != NULL) {
		log_error("--collector %s: %s", url, why);
		return -1;
	}
	return 0;
}

/* --- HTTP --------------------------------------------------------------- */

static void
post_finish(struct post *p)
{
	p->done = 1;
	if (p->deadline != NULL)
		event_del(p->deadline);
}

static void
post_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct post	*p = arg;

	(void)fd;
	(void)what;
	snprintf(p->why, sizeof p->why, "no answer in %d s",
	    UPLOAD_DEADLINE_S);
	p->code = 0;
	post_finish(p);
}

static void
post_error(enum evhttp_request_error e, void *arg)
{
	struct post	*p = arg;
	const char	*what;
	long		 vr;
	int		 err = EVUTIL_SOCKET_ERROR();	/* restored by evhttp */

	switch (e) {
	case EVREQ_HTTP_TIMEOUT: what = "timed out"; break;
	case EVREQ_HTTP_EOF: what = "connection closed"; break;
	case EVREQ_HTTP_INVALID_HEADER: what = "invalid answer"; break;
	case EVREQ_HTTP_BUFFER_ERROR: what = "connection failed"; break;
	case EVREQ_HTTP_DATA_TOO_LONG: what = "answer too long"; break;
	default: what = "request failed"; break;
	}
	if (e == EVREQ_HTTP_BUFFER_ERROR && err != 0 && err != EAGAIN &&
	    err != EINPROGRESS)
		snprintf(p->why, sizeof p->why, "%s: %s", what,
		    evutil_socket_error_to_string(err));
	else
		snprintf(p->why, sizeof p->why, "%s", what);
	if (p->ssl != NULL && (vr = SSL_get_verify_result(p->ssl)) != X509_V_OK)
		snprintf(p->why, sizeof p->why, "certificate verify failed: "
		    "%s", X509_verify_cert_error_string(vr));
}

static void
post_done(struct evhttp_request *req, void *arg)
{
	struct post	*p = arg;
	struct evbuffer	*in;
	size_t		 len;
	long		 vr;

	if (p->done)
		return;
	if (req == NULL || evhttp_request_get_response_code(req) == 0) {
		if (p->why[0] == '\0')
			snprintf(p->why, sizeof p->why, "connection failed");
		if (p->ssl != NULL &&
		    (vr = SSL_get_verify_result(p->ssl)) != X509_V_OK)
			snprintf(p->why, sizeof p->why, "certificate verify "
			    "failed: %s", X509_verify_cert_error_string(vr));
		post_finish(p);
		return;
	}
	p->code = evhttp_request_get_response_code(req);
	in = evhttp_request_get_input_buffer(req);
	len = evbuffer_get_length(in);
	if (len > UPLOAD_MAX_RESPONSE)
		len = UPLOAD_MAX_RESPONSE;
	p->answer.len = 0;
	buf_add(&p->answer, evbuffer_pullup(in, (ev_ssize_t)len), len);
	post_finish(p);
}

/*
 * What an answer means for the batch.  Only an answer refusing the batch
 * itself (400, 413) sets it aside; a token the collector does not accept
 * (401, 403), "too many requests" (429) and server trouble (5xx) leave
 * the records pending, with why naming the cause.  code 0: no answer
 * (why already says what happened).
 */
enum post_outcome
upload_classify(int code, int have_token, const char *token_file,
    char *why, size_t whylen)
{
	if (code >= 200 && code < 300)
		return POST_OK;
	if (code == 400 || code == 413)
		return POST_REJECTED;
	if (code == 401 || code == 403) {
		if (have_token)
			snprintf(why, whylen, "HTTP %d: the collector does "
			    "not accept the token in %s; the records wait "
			    "until it is fixed", code, token_file != NULL ?
			    token_file : "--token-file");
		else
			snprintf(why, whylen, "HTTP %d: the collector wants "
			    "a token (--token-file FILE); the records wait "
			    "until one is set", code);
	} else if (code == 429)
		snprintf(why, whylen, "HTTP 429: the collector asks to slow "
		    "down");
	else if (code == 503)
		snprintf(why, whylen, "HTTP 503: the collector is "
		    "temporarily unavailable (its database?)");
	else if (code >= 500)
		snprintf(why, whylen, "HTTP %d: the collector failed", code);
	else if (code != 0)
		snprintf(why, whylen, "HTTP %d: unexpected answer (is the "
		    "--collector URL right?)", code);
	return POST_RETRY;
}

static enum post_outcome
post_batch(struct upload *u, const struct url_server *c, const char *body,
    size_t len, struct buf *answer, int *code)
{
	struct post		 p;
	struct bufferevent	*bev = NULL;
	struct evhttp_request	*req;
	struct evkeyvalq	*h;
	struct timeval		 tv;
	char			*auth = NULL, clen[32];
	enum post_outcome	 rv = POST_RETRY;

	memset(&p, 0, sizeof p);
	p.u = u;
	*code = 0;
	if (c->tls) {
		if ((p.ssl = SSL_new(u->ssl_ctx)) == NULL) {
			snprintf(p.why, sizeof p.why, "SSL_new failed");
			goto out;
		}
		if (is_ip(c->host))
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(p.ssl),
			    c->host);
		else {
			SSL_set_tlsext_host_name(p.ssl, c->host);
			SSL_set1_host(p.ssl, c->host);
		}
		bev = bufferevent_openssl_socket_new(u->base, -1, p.ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE |
		    BEV_OPT_DEFER_CALLBACKS);
		if (bev == NULL) {
			SSL_free(p.ssl);
			p.ssl = NULL;
			snprintf(p.why, sizeof p.why, "cannot set up TLS");
			goto out;
		}
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	} else {
		bev = bufferevent_socket_new(u->base, -1,
		    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		if (bev == NULL) {
			snprintf(p.why, sizeof p.why, "cannot make a socket");
			goto out;
		}
	}
	/* From here on the connection owns bev (and the SSL in it). */
	p.evcon = evhttp_connection_base_bufferevent_new(u->base, NULL, bev,
	    c->host, (unsigned short)c->port);
	if (p.evcon == NULL) {
		bufferevent_free(bev);
		p.ssl = NULL;
		snprintf(p.why, sizeof p.why, "cannot make a connection");
		goto out;
	}
	evhttp_connection_set_timeout(p.evcon, UPLOAD_TIMEOUT_S);
	evhttp_connection_set_retries(p.evcon, 0);
	evhttp_connection_set_max_body_size(p.evcon, UPLOAD_MAX_RESPONSE);

	req = evhttp_request_new(post_done, &p);
	evhttp_request_set_error_cb(req, post_error);
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", c->hostheader);
	evhttp_add_header(h, "Content-Type", "application/msgpack");
	evhttp_add_header(h, "Accept", "application/json");
	evhttp_add_header(h, "Connection", "close");
	snprintf(clen, sizeof clen, "%zu", len);
	evhttp_add_header(h, "Content-Length", clen);
	evhttp_add_header(h, "User-Agent", "nightjar/" PACKAGE_VERSION);
	if (u->token != NULL) {
		xasprintf(&auth, "Bearer %s", u->token);
		evhttp_add_header(h, "Authorization", auth);
	}
	evbuffer_add(evhttp_request_get_output_buffer(req), body, len);
	if (evhttp_make_request(p.evcon, req, EVHTTP_REQ_POST,
	    "/v1/measurements") != 0) {
		/* evhttp_make_request frees req on failure. */
		snprintf(p.why, sizeof p.why, "cannot send the request");
		goto out;
	}
	p.deadline = evtimer_new(u->base, post_deadline, &p);
	tv.tv_sec = UPLOAD_DEADLINE_S;
	tv.tv_usec = 0;
	evtimer_add(p.deadline, &tv);
	while (!p.done) {
		if (upload_stopped(u)) {
			rv = POST_STOPPED;
			snprintf(p.why, sizeof p.why, "interrupted");
			break;
		}
		if (event_base_loop(u->base, EVLOOP_ONCE) == -1) {
			snprintf(p.why, sizeof p.why, "event loop failed");
			break;
		}
	}
	if (rv == POST_STOPPED)
		goto out;

	*code = p.code;
	rv = upload_classify(p.code, u->token != NULL, u->cfg->token_file,
	    p.why, sizeof p.why);
	buf_add(answer, p.answer.data != NULL ? p.answer.data : "",
	    p.answer.len);
out:
	if (rv == POST_RETRY) {
		log_warn("collector %s: %s", c->url,
		    p.why[0] != '\0' ? p.why : "failed");
		snprintf(u->why, sizeof u->why, "%s",
		    p.why[0] != '\0' ? p.why : "failed");
	}
	/* Frees a request still in flight (deadline) with the connection. */
	if (p.evcon != NULL)
		evhttp_connection_free(p.evcon);
	if (p.deadline != NULL)
		event_free(p.deadline);
	buf_free(&p.answer);
	free(auth);
	return rv;
}

/* --- batches ------------------------------------------------------------ */

static void
upbatch_clear(struct upbatch *b)
{
	size_t	i;

	buf_free(&b->body);
	for (i = 0; i < b->nfiles; i++)
		free(b->files[i].path);
	free(b->files);
	memset(b, 0, sizeof *b);
}

/* Add the records of path, already read (data, len), to b. */
static void
upbatch_add(struct upbatch *b, const char *path, const char *data,
    size_t len, size_t nrec)
{
	struct upfile	*f;

	b->files = xreallocarray(b->files, b->nfiles + 1, sizeof *b->files);
	f = &b->files[b->nfiles++];
	f->path = xstrdup(path);
	f->off = b->body.len;
	f->len = len;
	f->nrec = nrec;
	buf_add(&b->body, data, len);
	b->nrec += nrec;
}

/* The request body: an array header and the records. */
static void
upbatch_body(const struct upbatch *b, struct buf *out)
{
	msgpack_sbuffer	sb;
	msgpack_packer	pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, b->nrec);
	out->len = 0;
	buf_add(out, sb.data, sb.size);
	buf_add(out, b->body.data, b->body.len);
	msgpack_sbuffer_destroy(&sb);
}

static void
save_answer(struct upload *u, const char *path, int code,
    const struct buf *answer)
{
	struct buf	 text = { NULL, 0, 0 };
	char		*name;

	buf_printf(&text, "HTTP %d\n", code);
	buf_add(&text, answer->data != NULL ? answer->data : "", answer->len);
	if (text.len > 0 && text.data[text.len - 1] != '\n')
		buf_add(&text, "\n", 1);
	xasprintf(&name, "%s.response", base_name(path));
	spool_write(u->rejdir, name, text.data, text.len);
	free(name);
	buf_free(&text);
}

/* Send b to the collectors in order.  POST_OK, POST_REJECTED or POST_RETRY;
 * on POST_REJECTED the answer and code are filled in. */
static enum post_outcome
upbatch_send(struct upload *u, const struct upbatch *b, struct buf *answer,
    int *code)
{
	struct buf		body = { NULL, 0, 0 };
	enum post_outcome	rv = POST_RETRY;
	size_t			i;

	upbatch_body(b, &body);
	for (i = 0; i < u->ncoll; i++) {
		answer->len = 0;
		rv = post_batch(u, &u->coll[i], body.data, body.len, answer,
		    code);
		if (rv != POST_RETRY || upload_stopped(u))
			break;
	}
	buf_free(&body);
	return rv;
}

/* Files of b are accepted: move them to sent/. */
static void
upbatch_sent(struct upload *u, const struct upbatch *b)
{
	size_t	i;

	for (i = 0; i < b->nfiles; i++)
		move_file(b->files[i].path, u->sentdir, u->cfg->results);
	u->res->uploaded += b->nrec;
	log_info("uploaded %zu records (%zu files)", b->nrec, b->nfiles);
}

/*
 * Send one file of b on its own, from the bytes already read; POST_RETRY
 * stops the pass.
 */
static enum post_outcome
send_single(struct upload *u, const struct upfile *f, const char *data)
{
	struct upbatch		 b;
	struct buf		 answer = { NULL, 0, 0 };
	enum post_outcome	 rv;
	int			 code;

	memset(&b, 0, sizeof b);
	upbatch_add(&b, f->path, data, f->len, f->nrec);
	rv = upbatch_send(u, &b, &answer, &code);
	if (rv == POST_OK)
		upbatch_sent(u, &b);
	else if (rv == POST_REJECTED) {
		log_error("collector refused %s (HTTP %d): %.*s", f->path, code,
		    (int)(answer.len > 200 ? 200 : answer.len),
		    answer.data != NULL ? answer.data : "");
		/* The answer only beside a file that really moved. */
		if (move_file(f->path, u->rejdir, u->cfg->results) == 0) {
			save_answer(u, f->path, code, &answer);
			u->res->rejected += b.nrec;
		}
	}
	buf_free(&answer);
	upbatch_clear(&b);
	return rv;
}

/* Send the batch being built (if any), then empty it. */
static void
pass_flush(struct upass *p)
{
	struct upload		*u = p->u;
	struct upbatch		*b = &p->b;
	struct buf		 answer = { NULL, 0, 0 };
	enum post_outcome	 out = POST_OK;
	size_t			 j = 0;
	int			 code;

	if (b->nfiles == 0)
		return;
	if (p->stopped)
		goto stopped;
	out = upbatch_send(u, b, &answer, &code);
	if (out == POST_OK)
		upbatch_sent(u, b);
	else if (out == POST_REJECTED) {
		if (b->nfiles > 1)
			log_warn("collector refused a batch of %zu files "
			    "(HTTP %d): sending them one by one", b->nfiles,
			    code);
		for (j = 0; j < b->nfiles; j++) {
			out = send_single(u, &b->files[j],
			    b->body.data + b->files[j].off);
			if (out == POST_RETRY || out == POST_STOPPED)
				break;
		}
	}
	if (out == POST_RETRY || out == POST_STOPPED) {
		p->stopped = 1;
stopped:
		/* What was not sent stays pending. */
		for (; j < b->nfiles; j++)
			p->pending += b->files[j].nrec;
	}
	buf_free(&answer);
	upbatch_clear(b);
}

/*
 * One part of a pending file, its records in data: join the batch, or,
 * when they failed validation (alone), go on their own so the collector
 * answers for them and they cost nothing to the others.
 */
static void
pass_part(struct upass *p, const char *path, const char *data, size_t len,
    size_t nrec, int bad)
{
	struct upfile		f = { (char *)path, 0, len, nrec };
	enum post_outcome	out;

	if (!p->send || p->stopped) {
		p->pending += nrec;
		return;
	}
	if (bad) {
		out = send_single(p->u, &f, data);
		if (out == POST_RETRY || out == POST_STOPPED) {
			p->stopped = 1;
			p->pending += nrec;
		}
		return;
	}
	if (p->b.nfiles > 0 && (p->b.nrec + nrec > UPLOAD_MAX_RECORDS ||
	    p->b.body.len + len > UPLOAD_MAX_BYTES))
		pass_flush(p);
	if (p->stopped) {
		p->pending += nrec;
		return;
	}
	upbatch_add(&p->b, path, data, len, nrec);
}

/* Does a file of these records need splitting before it is sent? */
static int
too_big(const struct spool_records *r)
{
	return r->n > UPLOAD_MAX_RECORDS ||
	    (r->n > 1 && r->len > UPLOAD_MAX_BYTES);
}

/*
 * Split a pending file into batch-sized files NAME.NNNN.msgpack of its
 * valid records and NAME.invalid.msgpack of the others, then remove it;
 * each part then goes its way from the bytes already read.  Parts are
 * written atomically and are the same every time, so a split interrupted
 * by a crash is redone harmlessly.  -1 (logged) leaves the file as it is.
 */
static int
pass_split(struct upass *p, const char *path, const struct spool_records *r)
{
	const char	*dir = p->u->cfg->results;
	struct buf	*part = NULL, bad = { NULL, 0, 0 };
	char		*stem, *name;
	size_t		*nrec = NULL, npart = 0, i, len, k;
	int		 rv = -1;

	stem = xstrdup(base_name(path));
	stem[strlen(stem) - strlen(".msgpack")] = '\0';
	for (i = 0; i < r->n; i++) {
		len = r->off[i + 1] - r->off[i];
		if (r->bad[i]) {
			buf_add(&bad, r->data + r->off[i], len);
			continue;
		}
		if (npart == 0 || nrec[npart - 1] >= UPLOAD_MAX_RECORDS ||
		    part[npart - 1].len + len > UPLOAD_MAX_BYTES) {
			part = xreallocarray(part, npart + 1, sizeof *part);
			nrec = xreallocarray(nrec, npart + 1, sizeof *nrec);
			memset(&part[npart], 0, sizeof part[npart]);
			nrec[npart++] = 0;
		}
		buf_add(&part[npart - 1], r->data + r->off[i], len);
		nrec[npart - 1]++;
	}
	for (k = 0; k < npart; k++) {
		xasprintf(&name, "%s.%04zu.msgpack", stem, k + 1);
		if (spool_write(dir, name, part[k].data, part[k].len) != 0) {
			free(name);
			goto out;
		}
		free(name);
	}
	if (r->nbad > 0) {
		xasprintf(&name, "%s.invalid.msgpack", stem);
		if (spool_write(dir, name, bad.data, bad.len) != 0) {
			free(name);
			goto out;
		}
		free(name);
	}
	if (unlink(path) == -1) {
		log_error("%s: %s", path, strerror(errno));
		goto out;
	}
	if (fsync_dir(dir) == -1)
		goto out;
	if (r->nbad > 0)
		log_warn("%s: %zu invalid records (%s) set apart in "
		    "%s.invalid.msgpack; the %zu others go on", path, r->nbad,
		    r->why, stem, r->n - r->nbad);
	if (npart > 1)
		log_info("%s: split into %zu files of at most %d records",
		    path, npart, UPLOAD_MAX_RECORDS);
	rv = 0;
	for (k = 0; k < npart; k++) {
		xasprintf(&name, "%s/%s.%04zu.msgpack", dir, stem, k + 1);
		pass_part(p, name, part[k].data, part[k].len, nrec[k], 0);
		free(name);
	}
	if (r->nbad > 0) {
		xasprintf(&name, "%s/%s.invalid.msgpack", dir, stem);
		pass_part(p, name, bad.data, bad.len, r->nbad, 1);
		free(name);
	}
out:
	for (k = 0; k < npart; k++)
		buf_free(&part[k]);
	free(part);
	free(nrec);
	buf_free(&bad);
	free(stem);
	return rv;
}

/*
 * One pending file, read once: damaged files go to damaged/ (their
 * intact records to a new pending file), files with invalid records or
 * larger than a batch are split, the rest joins the batch.
 */
static void
pass_file(struct upass *p, const char *path)
{
	struct spool_records	r;
	char			*intact, *stem;
	long			 kept;

	if (spool_records_read(path, &r) != 0) {
		kept = spool_set_aside(p->u->cfg->results, path, p->u->damdir);
		if (kept < 0)
			return;
		p->u->res->damaged++;
		if (kept == 0)
			return;
		/* Its intact records, in a new file, go in this pass. */
		stem = xstrdup(path);
		stem[strlen(stem) - strlen(".msgpack")] = '\0';
		xasprintf(&intact, "%s.intact.msgpack", stem);
		pass_file(p, intact);
		free(intact);
		free(stem);
		return;
	}
	if (r.nbad == r.n) {
		log_warn("%s: no valid record (%s); sent on its own", path,
		    r.why);
		pass_part(p, path, r.data, r.len, r.n, 1);
	} else if (r.nbad > 0 || too_big(&r)) {
		if (pass_split(p, path, &r) != 0)
			p->pending += r.n;
	} else
		pass_part(p, path, r.data, r.len, r.n, 0);
	spool_records_free(&r);
}

/*
 * One pass over the pending files, each read once.  With send 0 the files
 * are only prepared (split, damaged set aside) and counted.  0 when every
 * file was dealt with, 1 when a network error or 5xx stopped it; the
 * records left pending in res->pending.
 */
static int
upload_pass(struct upload *u, int send)
{
	struct spool_files	 files;
	struct upass		 p;
	size_t			 i;
	long			 n;

	memset(&p, 0, sizeof p);
	p.u = u;
	p.send = send;
	if (spool_list(u->cfg->results, 0, &files) != 0) {
		u->res->pending = 0;
		return 1;
	}
	for (i = 0; i < files.n; i++) {
		if (!p.stopped && upload_stopped(u))
			p.stopped = 1;
		if (p.stopped) {
			/* Not read for sending: only counted. */
			if ((n = spool_count(files.path[i])) > 0)
				p.pending += (size_t)n;
			continue;
		}
		pass_file(&p, files.path[i]);
	}
	pass_flush(&p);
	upbatch_clear(&p.b);
	spool_files_free(&files);
	u->res->pending = p.pending;
	return p.stopped && send ? 1 : 0;
}

/* --- the whole upload --------------------------------------------------- */

static void
upload_clear(struct upload *u)
{
	size_t	i;

	for (i = 0; i < u->ncoll; i++)
		url_server_clear(&u->coll[i]);
	free(u->coll);
	if (u->token != NULL) {
		OPENSSL_cleanse(u->token, strlen(u->token));
		free(u->token);
	}
	free(u->sentdir);
	free(u->rejdir);
	free(u->damdir);
	SSL_CTX_free(u->ssl_ctx);
	if (u->own_base && u->base != NULL)
		event_base_free(u->base);
	memset(u, 0, sizeof *u);
}

/* The TLS context for the collectors; NULL (logged) on a bad --collector-ca. */
static SSL_CTX *
collector_ssl_ctx(const struct config *cfg)
{
	SSL_CTX	*ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		log_error("cannot set up TLS");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (cfg->collector_ca != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, cfg->collector_ca,
		    NULL) != 1) {
			log_error("--collector-ca %s: no certificate can be "
			    "loaded from it", cfg->collector_ca);
			ERR_clear_error();
			SSL_CTX_free(ctx);
			return NULL;
		}
	} else
		SSL_CTX_set_default_verify_paths(ctx);
	return ctx;
}

/* Everything but the network: 0, or -1 on a configuration error. */
static int
upload_setup(struct upload *u, const struct config *cfg,
    struct event_base *base, struct upload_result *res)
{
	size_t	i;
	int	any_tls = 0;

	memset(u, 0, sizeof *u);
	u->cfg = cfg;
	u->res = res;
	u->coll = xcalloc(cfg->collectors.n + 1, sizeof *u->coll);
	for (i = 0; i < cfg->collectors.n; i++) {
		if (collector_parse(cfg->collectors.v[i], &u->coll[i]) == -1)
			return -1;
		u->ncoll++;
		any_tls |= u->coll[i].tls;
	}
	if (cfg->token_file != NULL &&
	    (u->token = config_read_token(cfg->token_file)) == NULL)
		return -1;
	if (any_tls && (u->ssl_ctx = collector_ssl_ctx(cfg)) == NULL)
		return -1;
	if ((u->base = base) == NULL) {
		if ((u->base = event_base_new()) == NULL) {
			log_error("cannot set up libevent");
			return -1;
		}
		u->own_base = 1;
	}
	xasprintf(&u->sentdir, "%s/sent", cfg->results);
	xasprintf(&u->rejdir, "%s/rejected", cfg->results);
	xasprintf(&u->damdir, "%s/damaged", cfg->results);
	return 0;
}

int
upload_check_config(const struct config *cfg)
{
	struct upload		u;
	struct upload_result	res;
	int			rv;

	memset(&res, 0, sizeof res);
	rv = upload_setup(&u, cfg, NULL, &res);
	upload_clear(&u);
	return rv;
}

/*
 * The results directory must exist (only `run` creates one); its sent/
 * and rejected/ are made when missing.  0, or -1 (logged).
 */
static int
upload_dirs(const struct config *cfg)
{
	struct stat	 st;
	char		*sub;
	const char	*subs[] = { "sent", "rejected" };
	size_t		 i;
	int		 rv = 0;

	if (stat(cfg->results, &st) != 0) {
		log_error("--results %s: %s", cfg->results, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_error("--results %s: not a directory", cfg->results);
		return -1;
	}
	for (i = 0; i < sizeof subs / sizeof subs[0] && rv == 0; i++) {
		xasprintf(&sub, "%s/%s", cfg->results, subs[i]);
		if (mkdir(sub, 0755) != 0 && errno != EEXIST) {
			log_error("%s: %s", sub, strerror(errno));
			rv = -1;
		}
		free(sub);
	}
	return rv;
}

static void
upload_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

/* Wait on the loop for delay seconds, or less when stopped. */
static void
upload_wait(struct upload *u, double delay)
{
	struct event	*ev;
	struct timeval	 tv;
	int		 fired = 0;

	if ((ev = evtimer_new(u->base, upload_timer_cb, &fired)) == NULL)
		return;
	tv.tv_sec = (time_t)delay;
	tv.tv_usec = (suseconds_t)((delay - (double)tv.tv_sec) * 1e6);
	evtimer_add(ev, &tv);
	while (!fired && !upload_stopped(u)) {
		if (event_base_loop(u->base, EVLOOP_ONCE) == -1)
			break;
	}
	event_free(ev);
}

/*
 * Upload with at most attempts passes.  honour_wait: do not try before
 * the time the persisted backoff says.  Waits between passes on the loop.
 */
static int
upload_run(struct event_base *base, const struct config *cfg, int attempts,
    int honour_wait, const volatile int *stop, struct upload_result *res)
{
	struct upload	 u;
	struct backoff	 st;
	double		 delay;
	int		 attempt, passes = 0, failed = 1, rv = -1;

	memset(res, 0, sizeof *res);
	memset(&u, 0, sizeof u);
	if (upload_dirs(cfg) != 0) {
		res->setup_failed = 1;
		goto out;
	}
	if (upload_setup(&u, cfg, base, res) == -1) {
		res->setup_failed = 1;
		snprintf(res->why, sizeof res->why, "the upload is not set up "
		    "(see above)");
		res->pending = count_pending(cfg->results);
		goto out;
	}
	u.stop = stop;
	state_load(cfg->results, &st);
	if (u.ncoll == 0) {
		upload_pass(&u, 0);	/* split, set aside, count */
		rv = 0;
		goto out;
	}
	if (honour_wait && util_now_ms() < st.next_ms) {
		log_info("upload: backing off for %.0f s more",
		    (double)(st.next_ms - util_now_ms()) / 1000);
		upload_pass(&u, 0);
		rv = 0;
		goto out;
	}
	for (attempt = 0; attempt < attempts; attempt++) {
		if (attempt > 0) {
			/* In-process waits stay short: 1 s, 2 s, ... */
			delay = backoff_delay(attempt);
			log_info("upload: retrying in %.1f s", delay);
			upload_wait(&u, delay);
		}
		if (upload_stopped(&u))
			break;
		passes++;
		failed = upload_pass(&u, 1);
		if (!failed)
			break;
	}
	if (upload_stopped(&u)) {
		log_info("upload: interrupted; the rest stays pending");
		snprintf(res->why, sizeof res->why, "interrupted");
	} else if (failed) {
		st.failures++;
		delay = backoff_delay(st.failures);
		st.next_ms = util_now_ms() + (int64_t)(delay * 1000);
		snprintf(res->why, sizeof res->why, "%s", u.why[0] != '\0' ?
		    u.why : "failed");
		log_warn("upload: %s; next attempt in %.0f s", res->why,
		    delay);
		state_save(cfg->results, &st);
	} else {
		st.failures = 0;
		st.next_ms = 0;
		state_save(cfg->results, &st);
	}
	if (passes == 0)
		res->pending = count_pending(cfg->results);
	rv = 0;
out:
	upload_clear(&u);
	return rv;
}

int
upload_pending_stoppable(struct event_base *base, const struct config *cfg,
    struct upload_result *res, const volatile int *stop)
{
	if (upload_run(base, cfg, 1, 1, stop, res) == -1)
		return 1;
	return res->pending == 0 ? 0 : 1;
}

int
upload_pending(struct event_base *base, const struct config *cfg,
    struct upload_result *res)
{
	return upload_pending_stoppable(base, cfg, res, NULL);
}

/* --requeue-rejected: rejected batches go back to the pending spool. */
static int
requeue_rejected(const struct config *cfg, size_t *n)
{
	struct spool_files	 files;
	char			*rejdir, *resp;
	size_t			 i;
	int			 rv = 0;

	*n = 0;
	xasprintf(&rejdir, "%s/rejected", cfg->results);
	if (spool_list(rejdir, 0, &files) != 0) {
		free(rejdir);
		return -1;
	}
	for (i = 0; i < files.n; i++) {
		if (move_file(files.path[i], cfg->results, rejdir) != 0) {
			rv = -1;
			continue;
		}
		(*n)++;
		xasprintf(&resp, "%s.response", files.path[i]);
		if (unlink(resp) != 0 && errno != ENOENT)
			log_warn("%s: %s", resp, strerror(errno));
		free(resp);
	}
	spool_files_free(&files);
	free(rejdir);
	return rv;
}

static volatile int	upload_stop_flag;

static void
upload_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	log_info("%s: stopping the upload", strsignal((int)sig));
	upload_stop_flag = 1;
}

int
cmd_upload(int argc, char **argv)
{
	struct config		 cfg;
	struct upload_result	 res;
	struct event_base	*base = NULL;
	struct event		*ev_term = NULL, *ev_int = NULL;
	size_t			 requeued;
	int			 r, rv = 1;

	log_set_prog("nightjar");
	config_init(&cfg);
	r = config_parse_args(&cfg, argc, argv, 1);
	if (r != 0) {
		rv = r == 1 ? 0 : 2;
		goto out;
	}
	log_set_verbosity(cfg.verbose, cfg.quiet);
	if (cfg.collectors.n == 0 && !cfg.requeue_rejected) {
		log_error("no --collector given");
		rv = 2;
		goto out;
	}
	if (upload_dirs(&cfg) != 0 || (cfg.collectors.n > 0 &&
	    upload_check_config(&cfg) != 0)) {
		rv = 2;
		goto out;
	}
	if (cfg.requeue_rejected) {
		r = requeue_rejected(&cfg, &requeued);
		if (!cfg.quiet)
			fprintf(stderr, "requeued %zu rejected file%s\n",
			    requeued, requeued == 1 ? "" : "s");
		if (cfg.collectors.n == 0) {
			rv = r == 0 ? 0 : 1;
			goto out;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL) {
		log_error("cannot set up libevent");
		goto out;
	}
	ev_term = evsignal_new(base, SIGTERM, upload_signal_cb, NULL);
	ev_int = evsignal_new(base, SIGINT, upload_signal_cb, NULL);
	if (ev_term != NULL)
		evsignal_add(ev_term, NULL);
	if (ev_int != NULL)
		evsignal_add(ev_int, NULL);
	if (upload_run(base, &cfg, UPLOAD_ATTEMPTS, 0, &upload_stop_flag,
	    &res) == -1) {
		rv = 2;
		goto out;
	}
	if (res.rejected > 0)
		log_warn("%zu records refused by the collector: see %s/rejected "
		    "('nightjar upload --requeue-rejected' sends them again)",
		    res.rejected, cfg.results);
	if (res.damaged > 0)
		log_warn("%zu damaged files moved to %s/damaged", res.damaged,
		    cfg.results);
	if (res.pending > 0 && res.why[0] != '\0')
		log_error("%zu records stay pending: %s", res.pending,
		    res.why);
	fprintf(stderr, "uploaded %zu, pending %zu\n", res.uploaded,
	    res.pending);
	rv = res.pending == 0 ? 0 : 1;
out:
	if (ev_term != NULL)
		event_free(ev_term);
	if (ev_int != NULL)
		event_free(ev_int);
	if (base != NULL)
		event_base_free(base);
	config_free(&cfg);
	return rv;
}
