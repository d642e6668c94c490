/*
 * gen-records: write valid nightjar records (every required key, plausible
 * dns/tcp/tls steps, a verdict) as concatenated msgpack, for tests.
 *
 *   gen-records --count N [--hosts K] [--probe-id ID] [--start TIME]
 *       [--step SEC] [--tz-offset SEC] [--seed S] [--spool DIR [--sent]]
 *       [--per-file N] [--name PREFIX] [--title T] [--subject S]
 *   gen-records --spec [...same output options] < lines
 *
 * --spec reads one record per line:
 *   START_TIME TZ_OFFSET HOST STATUS METHOD|- TCP_MS|- TLS_MS|- PROBE_ID
 *       [GET_MS:BYTES]
 * ("#" comments and blank lines ignored).  A "-" step is left out.  The
 * optional last field adds a GET over the target's handshake that took
 * GET_MS ms for BYTES bytes, with samples every 100 ms.  --title gives
 * every GET that page title, --subject every completed handshake's leaf
 * certificate that subject (instead of CN=HOST).
 *
 * Output is deterministic for a given seed: ids, hashes and the synthetic
 * timings come from a seeded generator, never from the clock.
 */
#include <sys/stat.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "log.h"
#include "record.h"
#include "spool.h"
#include "util.h"
#include "xmalloc.h"

static uint64_t	rng_state = 1;
static const char *page_title;		/* --title */
static const char *leaf_subject;	/* --subject */

static uint64_t
rng(void)
{
	uint64_t	z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
fake_uuid(char out[UUID_STRLEN + 1])
{
	unsigned char	b[16];
	uint64_t	a = rng(), c = rng();

	memcpy(b, &a, 8);
	memcpy(b + 8, &c, 8);
	util_uuid4_format(b, out);
}

static void
fake_hash(char out[65])
{
	unsigned char	b[32];
	uint64_t	v;
	int		i;

	for (i = 0; i < 4; i++) {
		v = rng();
		memcpy(b + 8 * i, &v, 8);
	}
	util_hex(b, sizeof b, out);
}

static char	run_id[UUID_STRLEN + 1];

struct out {
	const char		*spool;	/* NULL: stdout */
	const char		*name;	/* file name prefix, NULL: unique */
	size_t			 per_file;
	size_t			 in_file;
	size_t			 files;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
};

static int
out_flush(struct out *o)
{
	char	name[256];

	if (o->sb.size == 0)
		return 0;
	if (o->spool == NULL) {
		if (fwrite(o->sb.data, 1, o->sb.size, stdout) != o->sb.size)
			return -1;
	} else {
		o->files++;
		if (o->name != NULL)
			snprintf(name, sizeof name, "%s-%06zu.msgpack",
			    o->name, o->files);
		if (spool_write(o->spool, o->name != NULL ? name : NULL,
		    o->sb.data, o->sb.size) != 0)
			return -1;
	}
	msgpack_sbuffer_clear(&o->sb);
	o->in_file = 0;
	return 0;
}

static int
out_record(struct out *o, const struct record *r)
{
	record_pack(r, &o->pk);
	if (o->spool != NULL && ++o->in_file >= o->per_file)
		return out_flush(o);
	if (o->spool == NULL && o->sb.size > 65536)
		return out_flush(o);
	return 0;
}

static void
add_cert(struct rec_tls *t, const char *subject, const char *issuer,
    const char *san)
{
	struct rec_cert	*c = rec_tls_add_cert(t);

	c->subject = xstrdup(subject);
	c->issuer = xstrdup(issuer);
	fake_hash(c->sha256);
	fake_hash(c->spki_sha256);
	c->not_before = xstrdup("2026-01-01T00:00:00Z");
	c->not_after = xstrdup("2027-01-01T00:00:00Z");
	if (san != NULL) {
		c->san = xcalloc(1, sizeof *c->san);
		c->san[0] = xstrdup(san);
		c->n_san = 1;
	}
}

static const char *
dns_failure(enum verdict_method m, const char **rcode)
{
	switch (m) {
	case METHOD_DNS_NXDOMAIN:
		*rcode = "NXDOMAIN";
		return "dns_nxdomain_error";
	case METHOD_DNS_TIMEOUT:
		*rcode = NULL;
		return "generic_timeout_error";
	case METHOD_DNS_REFUSED:
		*rcode = "REFUSED";
		return "dns_refused_error";
	case METHOD_DNS_SERVFAIL:
		*rcode = "SERVFAIL";
		return "dns_server_failure";
	default:
		*rcode = "NOERROR";
		return NULL;
	}
}

/*
 * One record as a probe would have written it for this outcome.  tcp_ms
 * or tls_ms < 0 leaves that step out.
 */
/* A GET over the target's handshake: ms long, bytes at an even pace. */
static void
add_get(struct record *r, const char *ip, const char *host, double ms,
    uint64_t bytes)
{
	struct rec_http		*h;
	struct rec_sample	*sm;
	double			 t;

	h = record_add_http(r);
	xasprintf(&h->url, "https://%s/", host);
	h->ip = xstrdup(ip);
	h->sni = xstrdup(host);
	h->status = 200;
	h->content_type = xstrdup("text/html");
	if (page_title != NULL)
		h->title = xstrdup(page_title);
	h->body_length = bytes;
	h->t0_ms = r->runtime_ms;
	h->t_ms = ms;
	for (t = 0; ; t += 100) {
		if (t > ms)
			t = ms;
		sm = rec_http_add_sample(h);
		sm->t_ms = t;
		sm->bytes = (uint64_t)((double)bytes * (t / ms));
		if (t >= ms || h->n_samples >= 256)
			break;
	}
	r->runtime_ms += ms;
}

/* The leaf's subject: CN=host, or --subject. */
static void
leaf_name(struct rec_tls *tl, const char *host)
{
	if (leaf_subject != NULL)
		tl->chain[0].subject = xstrdup(leaf_subject);
	else
		xasprintf(&tl->chain[0].subject, "CN=%s", host);
}

static struct record *
make_record(int64_t start_ms, long tz, const char *host,
    enum verdict_status st, enum verdict_method m, double tcp_ms,
    double tls_ms, const char *probe_id, double get_ms, uint64_t get_bytes)
{
	struct record		*r;
	struct rec_dns		*d;
	struct rec_answer	*a;
	struct rec_tcp		*tc;
	struct rec_tls		*tl;
	const char		*fail, *rcode, *ip;
	char			 ipbuf[32];
	int			 dns_failed;
	uint64_t		 h = 5381;
	const char		*p;

	for (p = host; *p != '\0'; p++)
		h = h * 33 + (unsigned char)*p;
	snprintf(ipbuf, sizeof ipbuf, "203.0.113.%u", (unsigned)(h % 250) + 1);
	ip = ipbuf;

	r = xcalloc(1, sizeof *r);
	fake_uuid(r->id);
	memcpy(r->run_id, run_id, sizeof r->run_id);
	r->probe_id = xstrdup(probe_id);
	r->start_ms = start_ms;
	r->tz_offset = tz;
	r->target.input = xstrdup(host);
	r->target.host = xstrdup(host);
	r->target.port = 443;

	d = record_add_dns(r);
	d->resolver = xstrdup("system");
	d->role = ROLE_PROBE;
	d->query_type = 1;
	d->t_ms = 2.5 + (double)(rng() % 400) / 10.0;
	fail = dns_failure(m, &rcode);
	d->rcode = rcode != NULL ? xstrdup(rcode) : NULL;
	d->failure = fail != NULL ? xstrdup(fail) : NULL;
	dns_failed = fail != NULL;
	if (!dns_failed) {
		a = rec_dns_add_answer(d);
		a->type = ANSWER_A;
		if (m == METHOD_DNS_BOGON)
			a->value = xstrdup("10.10.34.35");
		else if (m == METHOD_DNS_INCONSISTENT)
			a->value = xstrdup("198.51.100.7");
		else
			a->value = xstrdup(ip);
		a->ttl = 300;
		ip = a->value;
	}
	r->runtime_ms = d->t_ms;
	if (dns_failed || m == METHOD_DNS_BOGON || m == METHOD_DNS_INCONSISTENT) {
		/* The control resolver's view. */
		d = record_add_dns(r);
		d->resolver = xstrdup("192.0.2.53:53");
		d->role = ROLE_CONTROL;
		d->query_type = 1;
		d->t_ms = 20.0;
		if (st == STATUS_DOWN && dns_failed) {
			d->failure = xstrdup(fail);
			d->rcode = rcode != NULL ? xstrdup(rcode) : NULL;
		} else {
			d->rcode = xstrdup("NOERROR");
			a = rec_dns_add_answer(d);
			a->type = ANSWER_A;
			a->value = xstrdup(ipbuf);
			a->ttl = 300;
		}
	}

	if (!dns_failed && tcp_ms >= 0) {
		tc = record_add_tcp(r);
		tc->ip = xstrdup(ip);
		tc->port = 443;
		tc->source = ROLE_PROBE;
		tc->t_ms = tcp_ms;
		r->runtime_ms += tcp_ms;
		if (m == METHOD_TCP_REFUSED)
			tc->failure = xstrdup("connection_refused");
		else if (m == METHOD_TCP_RESET)
			tc->failure = xstrdup("connection_reset");
		else if (m == METHOD_TCP_TIMEOUT)
			tc->failure = xstrdup("generic_timeout_error");
		if (tc->failure == NULL && tls_ms >= 0) {
			tl = record_add_tls(r);
			tl->ip = xstrdup(ip);
			tl->port = 443;
			tl->sni = xstrdup(host);
			tl->t_ms = tls_ms;
			r->runtime_ms += tls_ms;
			switch (m) {
			case METHOD_TLS_RESET:
			case METHOD_TLS_SNI:
				tl->failure = xstrdup("connection_reset");
				break;
			case METHOD_TLS_TIMEOUT:
				tl->failure = xstrdup("generic_timeout_error");
				break;
			case METHOD_TLS_EOF:
				tl->failure = xstrdup("eof_error");
				break;
			case METHOD_TLS_MITM:
				tl->version = xstrdup("TLSv1.2");
				tl->cipher = xstrdup("ECDHE-RSA-AES128-GCM-SHA256");
				add_cert(tl, "CN=" , "CN=Qaznet Trust Network", host);
				free(tl->chain[0].subject);
				leaf_name(tl, host);
				tl->trusted = 0;
				tl->trusted_by_system = 0;
				tl->verify_error = xstrdup("ssl_unknown_authority");
				r->verdict.interception_ca =
				    xstrdup("CN=Qaznet Trust Network");
				break;
			default:
				tl->version = xstrdup("TLSv1.3");
				tl->cipher = xstrdup("TLS_AES_128_GCM_SHA256");
				add_cert(tl, "CN=", "CN=Example Issuing CA,O=Example",
				    host);
				free(tl->chain[0].subject);
				leaf_name(tl, host);
				add_cert(tl, "CN=Example Issuing CA,O=Example",
				    "CN=Example Root CA,O=Example", NULL);
				tl->trusted = 1;
				tl->trusted_by_system = 1;
				break;
			}
			if (m == METHOD_TLS_SNI) {
				tl = record_add_tls(r);
				tl->ip = xstrdup(ip);
				tl->port = 443;
				tl->sni = xstrdup("example.org");
				tl->version = xstrdup("TLSv1.3");
				tl->cipher = xstrdup("TLS_AES_128_GCM_SHA256");
				tl->t_ms = tls_ms;
			}
		}
	}

	if (get_ms > 0 && r->n_tls > 0 && r->tls[r->n_tls - 1].failure == NULL)
		add_get(r, ip, host, get_ms, get_bytes);

	r->verdict.status = st;
	r->verdict.method = m;
	xasprintf(&r->verdict.detail, "generated record: %s%s%s",
	    verdict_status_name(st), m != METHOD_NONE ? " by " : "",
	    m != METHOD_NONE ? verdict_method_name(m) : "");
	return r;
}

static const char *const bulk_hosts[] = {
	"www.facebook.com", "www.youtube.com", "www.wordpress.com",
	"www.example.org", "www.wikipedia.org", "static.xx.fbcdn.net",
	"i.ytimg.com", "wordpress.com",
};

static int
bulk(struct out *o, long count, long hosts, const char *probe_id,
    int64_t start_ms, long step_s, long tz)
{
	struct record		*r;
	enum verdict_status	 st;
	enum verdict_method	 m;
	char			 host[64];
	long			 i, k;
	uint64_t		 x;

	for (i = 0; i < count; i++) {
		k = i % hosts;
		if ((size_t)k < sizeof bulk_hosts / sizeof bulk_hosts[0])
			snprintf(host, sizeof host, "%s", bulk_hosts[k]);
		else
			snprintf(host, sizeof host, "host%ld.example.net", k);
		x = rng() % 100;
		st = STATUS_OK;
		m = METHOD_NONE;
		if (x >= 97) {
			st = STATUS_BLOCKED;
			m = METHOD_DNS_NXDOMAIN;
		} else if (x >= 94) {
			st = STATUS_ANOMALY;
			m = METHOD_TCP_TIMEOUT;
		} else if (x >= 90) {
			st = STATUS_BLOCKED;
			m = METHOD_TLS_SNI;
		}
		r = make_record(start_ms + (i / hosts) * step_s * 1000 + k * 7,
		    tz, host, st, m, 10.0 + (double)(rng() % 500) / 10.0,
		    40.0 + (double)(rng() % 1600) / 10.0, probe_id, -1, 0);
		if (out_record(o, r) != 0) {
			record_free(r);
			return -1;
		}
		record_free(r);
	}
	return 0;
}

static int
parse_ms(const char *s, double *out)
{
	char	*end;

	if (strcmp(s, "-") == 0) {
		*out = -1;
		return 0;
	}
	*out = strtod(s, &end);
	return *end != '\0' || *out < 0 ? -1 : 0;
}

static int
spec(struct out *o)
{
	char			 line[1024], t[64], tzs[32], host[256], sts[32];
	char			 ms[32], tcps[32], tlss[32], pid[128], gets[64];
	char			 extra[2];
	struct record		*r;
	enum verdict_status	 st;
	enum verdict_method	 m;
	int64_t			 start;
	long			 tz;
	double			 tcp, tls, get_ms;
	unsigned long long	 get_bytes;
	size_t			 lineno = 0;
	int			 n;

	while (fgets(line, sizeof line, stdin) != NULL) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		n = 0;
		sscanf(line, " %n", &n);
		if (line[n] == '\0' || line[n] == '#')
			continue;
		n = sscanf(line, "%63s %31s %255s %31s %31s %31s %31s %127s "
		    "%63s %1s", t, tzs, host, sts, ms, tcps, tlss, pid, gets,
		    extra);
		if (n != 8 && n != 9) {
			fprintf(stderr, "gen-records: stdin:%zu: want START_TIME "
			    "TZ_OFFSET HOST STATUS METHOD|- TCP_MS TLS_MS "
			    "PROBE_ID [GET_MS:BYTES]\n", lineno);
			return -1;
		}
		get_ms = -1;
		get_bytes = 0;
		if (n == 9 && (sscanf(gets, "%lf:%llu%1s", &get_ms, &get_bytes,
		    extra) != 2 || !(get_ms > 0))) {
			fprintf(stderr, "gen-records: stdin:%zu: bad "
			    "GET_MS:BYTES\n", lineno);
			return -1;
		}
		m = METHOD_NONE;
		if (util_parse_rfc3339_ms(t, &start) != 0 ||
		    util_parse_long(tzs, -86400, 86400, &tz) != 0 ||
		    verdict_status_parse(sts, &st) != 0 ||
		    (strcmp(ms, "-") != 0 && verdict_method_parse(ms, &m) != 0) ||
		    parse_ms(tcps, &tcp) != 0 || parse_ms(tlss, &tls) != 0) {
			fprintf(stderr, "gen-records: stdin:%zu: bad field\n",
			    lineno);
			return -1;
		}
		r = make_record(start, tz, host, st, m, tcp, tls, pid, get_ms,
		    (uint64_t)get_bytes);
		n = out_record(o, r);
		record_free(r);
		if (n != 0)
			return -1;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: gen-records --count N [--hosts K] [--probe-id ID] "
	    "[--start TIME] [--step SEC]\n"
	    "                   [--tz-offset SEC] [--seed S] [--spool DIR "
	    "[--sent] [--per-file N] [--name PREFIX]]\n"
	    "                   [--title T] [--subject S]\n"
	    "       gen-records --spec [output options] < lines\n"
	    "spec line: START_TIME TZ_OFFSET HOST STATUS METHOD|- TCP_MS|- "
	    "TLS_MS|- PROBE_ID [GET_MS:BYTES]\n");
}

int
main(int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "hosts", required_argument, NULL, 'k' },
		{ "probe-id", required_argument, NULL, 'p' },
		{ "start", required_argument, NULL, 's' },
		{ "step", required_argument, NULL, 't' },
		{ "tz-offset", required_argument, NULL, 'z' },
		{ "seed", required_argument, NULL, 'S' },
		{ "spool", required_argument, NULL, 'o' },
		{ "sent", no_argument, NULL, 'x' },
		{ "per-file", required_argument, NULL, 'f' },
		{ "name", required_argument, NULL, 'N' },
		{ "spec", no_argument, NULL, 'c' },
		{ "title", required_argument, NULL, 'T' },
		{ "subject", required_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct out	 o;
	const char	*probe_id = "gen-probe";
	char		*dir = NULL;
	long		 count = -1, hosts = 4, step = 60, tz = 0, seed = 1;
	long		 per_file = 1000;
	int64_t		 start;
	int		 c, use_spec = 0, sent = 0, rc;

	memset(&o, 0, sizeof o);
	util_parse_rfc3339_ms("2026-11-01T00:00:00Z", &start);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (util_parse_long(optarg, 0, 100000000, &count) != 0)
				goto bad;
			break;
		case 'k':
			if (util_parse_long(optarg, 1, 1000000, &hosts) != 0)
				goto bad;
			break;
		case 'p':
			probe_id = optarg;
			break;
		case 's':
			if (util_parse_rfc3339_ms(optarg, &start) != 0)
				goto bad;
			break;
		case 't':
			if (util_parse_long(optarg, 0, 100000000, &step) != 0)
				goto bad;
			break;
		case 'z':
			if (util_parse_long(optarg, -86400, 86400, &tz) != 0)
				goto bad;
			break;
		case 'S':
			if (util_parse_long(optarg, 0, 1L << 30, &seed) != 0)
				goto bad;
			break;
		case 'o':
			o.spool = optarg;
			break;
		case 'x':
			sent = 1;
			break;
		case 'f':
			if (util_parse_long(optarg, 1, 100000000, &per_file) != 0)
				goto bad;
			break;
		case 'N':
			o.name = optarg;
			break;
		case 'c':
			use_spec = 1;
			break;
		case 'T':
			page_title = optarg;
			break;
		case 'J':
			leaf_subject = optarg;
			break;
		case 'h':
			usage();
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc || (count < 0 && !use_spec) ||
	    (count >= 0 && use_spec))
		goto bad;

	rng_state = (uint64_t)seed * 0x2545f4914f6cdd1dULL + 1;
	fake_uuid(run_id);
	o.per_file = (size_t)per_file;
	if (o.spool != NULL) {
		if (spool_prepare(o.spool) != 0)
			return 1;
		if (sent) {
			xasprintf(&dir, "%s/sent", o.spool);
			o.spool = dir;
		}
	}
	msgpack_sbuffer_init(&o.sb);
	msgpack_packer_init(&o.pk, &o.sb, msgpack_sbuffer_write);
	if (use_spec)
		rc = spec(&o);
	else
		rc = bulk(&o, count, hosts, probe_id, start, step, tz);
	if (rc == 0)
		rc = out_flush(&o);
	if (rc == 0 && fflush(stdout) != 0)
		rc = -1;
	msgpack_sbuffer_destroy(&o.sb);
	free(dir);
	return rc == 0 ? 0 : 1;
bad:
	usage();
	return 2;
}
