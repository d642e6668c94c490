/*
 * The verdict of one measurement: a pure function of the record and the
 * known interception roots (docs/verdicts.md; where it is silent,
 * OONI Web Connectivity's reasoning).  No sockets, no clock, no files.
 *
 * The reasoning, strongest evidence first:
 *
 * 1. Interception.  Every completed handshake with the target's SNI whose
 *    chain the reference store does not trust is examined, whichever
 *    address or resolver it came from: (a) a presented certificate is a
 *    known interception root (SHA-256 of DER or SPKI), or a presented
 *    certificate names one as issuer or subject; (b) the system store
 *    trusts the chain; (c) the leaf key differs from every trusted key
 *    seen at the control resolver's addresses and the chain has another
 *    top issuer.  Interception seen on any address is reported even when
 *    another address gave a trusted handshake: it is the evidence.
 *
 * 2. DNS, one probe resolver at a time (A and AAAA together: a resolver
 *    answered when either query gave an address, so a missing AAAA is not
 *    blocking).  A resolver that failed is blocked when the control
 *    resolver answered, down when the control says the name does not
 *    resolve (NXDOMAIN, SERVFAIL, no answer), an anomaly otherwise; a
 *    failure with no method of its own (a malformed or misbehaving
 *    reply) is dns_inconsistent when the control answered.  A
 *    resolver whose answer neither overlaps the control's nor leads to a
 *    handshake trusted for the host lied: dns_bogon when one of its
 *    addresses is a bogon and the control's are not, dns_inconsistent
 *    otherwise (unless a control-SNI retry to one of those addresses
 *    shows SNI filtering, which explains the failure better than a CDN's
 *    differing addresses).  Without a usable control answer only bogons
 *    are reported, as anomalies.  Resolvers that could not be reached at
 *    all are skipped; when none answered the probe could not measure.
 *
 * 3. Reachability, from the addresses the probe's own resolvers gave
 *    (those a user would connect to): a trusted handshake is ok; a
 *    reset/timeout/EOF with the target SNI where a --control-sni
 *    handshake to the same address completed is blocked (tls_sni); then
 *    an untrusted chain, TLS failures and TCP failures are anomalies (no
 *    independent vantage tells blocking from an outage); nothing routable
 *    at all is an error.
 */
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bogon.h"
#include "inspect.h"
#include "fingerprint.h"
#include "verdict.h"
#include "verdict-http.h"
#include "xmalloc.h"

#define DETAIL_MAX	768

/* DNS failures, most telling first (a resolver keeps the first). */
enum dfail {
	DF_NONE = 0,
	DF_NXDOMAIN,
	DF_REFUSED,
	DF_SERVFAIL,
	DF_NO_ANSWER,
	DF_TIMEOUT,
	DF_OTHER,
	DF_NET			/* the resolver could not be reached */
};

/* What one resolver said for the target, A and AAAA together. */
struct rview {
	const char	 *name;
	enum dfail	  fail;		/* DF_NONE when it gave addresses */
	const char	 *failure;	/* the df-007 string behind fail */
	const char	**addrs;
	size_t		  n_addrs;
	const struct rec_dns *injected;	/* a query with differing replies */
};

struct vstate {
	const struct record	*r;
	const struct verdict_ctx *ctx;
	const char		*host;
	int			 ip_literal;
	struct rview		*pv;		/* probe resolvers */
	size_t			 n_pv;
	struct rview		 cv;		/* the control, merged */
	int			 has_control;
	struct rview		 vv;		/* the vantage's resolver */
};

static int
ip_eq(const char *x, const char *y)
{
	struct bogon_addr	a, b;

	if (x == NULL || y == NULL)
		return 0;
	if (bogon_parse_addr(x, &a) == 0 && bogon_parse_addr(y, &b) == 0)
		return a.af == b.af && memcmp(a.b, b.b, 16) == 0;
	return strcmp(x, y) == 0;
}

static int
v4_in(const unsigned char *b, unsigned int net, int plen)
{
	unsigned int	ip, mask;

	ip = (unsigned int)b[0] << 24 | (unsigned int)b[1] << 16 |
	    (unsigned int)b[2] << 8 | b[3];
	mask = plen == 0 ? 0 : 0xffffffffU << (32 - plen);
	return (ip & mask) == (net & mask);
}

static int
v4_bogon(const unsigned char *b)
{
	static const struct {
		unsigned int	net;
		int		plen;
	} nets[] = {
		{ 0x00000000, 8 },	/* 0.0.0.0/8 "this network" */
		{ 0x0a000000, 8 },	/* 10/8 */
		{ 0x64400000, 10 },	/* 100.64/10 CGNAT */
		{ 0x7f000000, 8 },	/* 127/8 loopback */
		{ 0xa9fe0000, 16 },	/* 169.254/16 link-local */
		{ 0xac100000, 12 },	/* 172.16/12 */
		{ 0xc0000000, 24 },	/* 192.0.0/24 IETF protocol */
		{ 0xc0000200, 24 },	/* 192.0.2/24 TEST-NET-1 */
		{ 0xc0a80000, 16 },	/* 192.168/16 */
		{ 0xc6120000, 15 },	/* 198.18/15 benchmarking */
		{ 0xc6336400, 24 },	/* 198.51.100/24 TEST-NET-2 */
		{ 0xcb007100, 24 },	/* 203.0.113/24 TEST-NET-3 */
		{ 0xe0000000, 4 },	/* 224/4 multicast */
		{ 0xf0000000, 4 },	/* 240/4 reserved, broadcast */
	};
	size_t	i;

	for (i = 0; i < sizeof nets / sizeof nets[0]; i++) {
		if (v4_in(b, nets[i].net, nets[i].plen))
			return 1;
	}
	return 0;
}

static int
v6_prefix(const unsigned char *b, const unsigned char *p, int plen)
{
	int	bytes = plen / 8, bits = plen % 8;

	if (memcmp(b, p, bytes) != 0)
		return 0;
	if (bits == 0)
		return 1;
	return ((b[bytes] ^ p[bytes]) & (0xff << (8 - bits))) == 0;
}

/*
 * Addresses no public name should resolve to: private, loopback,
 * link-local, CGNAT, multicast, documentation and reserved ranges, IPv4
 * and IPv6.  IPv4 embedded in IPv6 (mapped, NAT64, 6to4) is judged by the
 * IPv4 address.  What does not parse is no usable address either.
 */
static int
ip_bogon(const char *s)
{
	static const unsigned char mapped[12] =
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char nat64[12] =
	    { 0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const unsigned char doc[4] = { 0x20, 0x01, 0x0d, 0xb8 };
	static const unsigned char orchid[4] = { 0x20, 0x01, 0x00, 0x10 };
	static const unsigned char bench[6] = { 0x20, 0x01, 0x00, 0x02, 0, 0 };
	static const unsigned char doc2[3] = { 0x3f, 0xff, 0x00 };
	static const unsigned char sixto4[2] = { 0x20, 0x02 };
	struct bogon_addr	a;

	if (bogon_parse_addr(s, &a) != 0)
		return 1;
	if (a.af == AF_INET)
		return v4_bogon(a.b);
	if (v6_prefix(a.b, mapped, 96) || v6_prefix(a.b, nat64, 96))
		return v4_bogon(a.b + 12);
	if (v6_prefix(a.b, sixto4, 16))
		return v4_bogon(a.b + 2);
	/* Outside 2000::/3 (::, ::1, fc00::/7, fe80::/10, ff00::/8, ...). */
	if ((a.b[0] & 0xe0) != 0x20)
		return 1;
	return v6_prefix(a.b, doc, 32) || v6_prefix(a.b, orchid, 28) ||
	    v6_prefix(a.b, bench, 48) || v6_prefix(a.b, doc2, 20);
}

static int
host_eq(const char *a, const char *b)
{
	size_t	la, lb;

	if (a == NULL || b == NULL)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

static enum dfail
dfail_of(const char *f)
{
	if (f == NULL)
		return DF_NONE;
	if (strcmp(f, "dns_nxdomain_error") == 0)
		return DF_NXDOMAIN;
	if (strcmp(f, "dns_refused_error") == 0)
		return DF_REFUSED;
	if (strcmp(f, "dns_servfail_error") == 0)
		return DF_SERVFAIL;
	if (strcmp(f, "dns_no_answer") == 0)
		return DF_NO_ANSWER;
	if (strcmp(f, "generic_timeout_error") == 0)
		return DF_TIMEOUT;
	if (strcmp(f, "network_unreachable") == 0 ||
	    strcmp(f, "host_unreachable") == 0 ||
	    strcmp(f, "connection_refused") == 0)
		return DF_NET;
	return DF_OTHER;
}

static int
net_failure(const char *f)
{
	return f != NULL && (strcmp(f, "network_unreachable") == 0 ||
	    strcmp(f, "host_unreachable") == 0);
}

/* 1 when answer a is among b's (same type and value). */
static int
answer_in(const struct rec_answer *a, const struct rec_answer *b, size_t nb)
{
	size_t	i;

	for (i = 0; i < nb; i++) {
		if (a->type == b[i].type && a->value != NULL &&
		    b[i].value != NULL &&
		    (a->type == ANSWER_CNAME ? host_eq(a->value, b[i].value) :
		    ip_eq(a->value, b[i].value)))
			return 1;
	}
	return 0;
}

/* Two replies to one query say the same: rcode and answers as sets. */
static int
reply_same(const struct rec_reply *a, const struct rec_reply *b)
{
	size_t	i;

	if ((a->rcode == NULL) != (b->rcode == NULL) ||
	    (a->rcode != NULL && strcmp(a->rcode, b->rcode) != 0))
		return 0;
	for (i = 0; i < a->n_answers; i++) {
		if (!answer_in(&a->answers[i], b->answers, b->n_answers))
			return 0;
	}
	for (i = 0; i < b->n_answers; i++) {
		if (!answer_in(&b->answers[i], a->answers, a->n_answers))
			return 0;
	}
	return 1;
}

/* The first reply of d, and a later one that differs from it (or NULL). */
static const struct rec_reply *
reply_other(const struct rec_dns *d)
{
	size_t	i;

	for (i = 1; i < d->n_replies; i++) {
		if (!reply_same(&d->replies[0], &d->replies[i]))
			return &d->replies[i];
	}
	return NULL;
}

/* Fold one DNS entry into a resolver's view. */
static void
rview_add(struct rview *v, const struct rec_dns *d)
{
	enum dfail	f;
	size_t		i;

	if (v->injected == NULL && reply_other(d) != NULL)
		v->injected = d;

	for (i = 0; i < d->n_answers; i++) {
		if (d->answers[i].type == ANSWER_CNAME ||
		    d->answers[i].value == NULL)
			continue;
		v->addrs = xreallocarray(v->addrs, v->n_addrs + 1,
		    sizeof *v->addrs);
		v->addrs[v->n_addrs++] = d->answers[i].value;
	}
	if (v->n_addrs > 0) {
		v->fail = DF_NONE;
		v->failure = NULL;
		return;
	}
	f = d->failure != NULL ? dfail_of(d->failure) : DF_NO_ANSWER;
	if (v->fail == DF_NONE || f < v->fail) {
		v->fail = f;
		v->failure = d->failure != NULL ? d->failure : "dns_no_answer";
	}
}

static void
vstate_init(struct vstate *st, const struct record *r,
    const struct verdict_ctx *ctx)
{
	const struct rec_dns	*d;
	struct bogon_addr		 a;
	size_t			 i, j;

	memset(st, 0, sizeof *st);
	st->r = r;
	st->ctx = ctx;
	st->host = r->target.host != NULL ? r->target.host : "the target";
	st->ip_literal = bogon_parse_addr(r->target.host, &a) == 0;

	if (r->control != NULL) {
		for (i = 0; i < r->control->n_dns; i++)
			rview_add(&st->vv, &r->control->dns[i]);
	}
	for (i = 0; i < r->n_dns; i++) {
		d = &r->dns[i];
		if (d->role == ROLE_CONTROL) {
			if (!st->has_control)
				st->cv.name = d->resolver;
			st->has_control = 1;
			rview_add(&st->cv, d);
			continue;
		}
		for (j = 0; j < st->n_pv; j++) {
			if (d->resolver == NULL ? st->pv[j].name == NULL :
			    st->pv[j].name != NULL &&
			    strcmp(st->pv[j].name, d->resolver) == 0)
				break;
		}
		if (j == st->n_pv) {
			st->pv = xreallocarray(st->pv, st->n_pv + 1,
			    sizeof *st->pv);
			memset(&st->pv[j], 0, sizeof st->pv[j]);
			st->pv[j].name = d->resolver;
			st->n_pv++;
		}
		rview_add(&st->pv[j], d);
	}
}

static void
vstate_clear(struct vstate *st)
{
	size_t	i;

	for (i = 0; i < st->n_pv; i++)
		free(st->pv[i].addrs);
	free(st->pv);
	free(st->cv.addrs);
	free(st->vv.addrs);
}

static int
rview_has(const struct rview *v, const char *ip)
{
	size_t	i;

	for (i = 0; i < v->n_addrs; i++) {
		if (ip_eq(v->addrs[i], ip))
			return 1;
	}
	return 0;
}

/* --- TLS facts --------------------------------------------------------- */

/* A handshake with the target's SNI (not a --control-sni retry). */
static int
tls_target(const struct vstate *st, const struct rec_tls *t)
{
	if (t->sni == NULL)
		return 1;
	return st->r->target.host != NULL && host_eq(t->sni, st->r->target.host);
}

/* The handshake finished and a chain was seen, trusted or not. */
static int
tls_completed(const struct rec_tls *t)
{
	if (t->n_chain == 0)
		return 0;
	if (t->failure == NULL)
		return 1;
	return strncmp(t->failure, "ssl_", 4) == 0 &&
	    strcmp(t->failure, "ssl_failed_handshake") != 0;
}

static int
tls_trusted(const struct rec_tls *t)
{
	return tls_completed(t) && t->trusted;
}

/* Was a handshake with the target SNI to ip trusted for the host? */
static int
addr_trusted(const struct vstate *st, const char *ip)
{
	const struct rec_tls	*t;
	size_t			 i;

	for (i = 0; i < st->r->n_tls; i++) {
		t = &st->r->tls[i];
		if (tls_target(st, t) && tls_trusted(t) && ip_eq(t->ip, ip))
			return 1;
	}
	return 0;
}

static enum verdict_method
tls_method(const char *f)
{
	if (f == NULL)
		return METHOD_NONE;
	if (strcmp(f, "connection_reset") == 0)
		return METHOD_TLS_RESET;
	if (strcmp(f, "generic_timeout_error") == 0)
		return METHOD_TLS_TIMEOUT;
	if (strcmp(f, "eof_error") == 0)
		return METHOD_TLS_EOF;
	return METHOD_NONE;
}

static enum verdict_method
tcp_method(const char *f)
{
	if (f == NULL)
		return METHOD_NONE;
	if (strcmp(f, "connection_refused") == 0)
		return METHOD_TCP_REFUSED;
	if (strcmp(f, "connection_reset") == 0)
		return METHOD_TCP_RESET;
	if (strcmp(f, "generic_timeout_error") == 0)
		return METHOD_TCP_TIMEOUT;
	return METHOD_NONE;
}

/*
 * The target SNI was reset, timed out or cut off at t's address while a
 * handshake with another SNI (the --control-sni baseline or retry) to the
 * same address and port completed: that handshake, if any.  After another
 * target's failure there (residual_of), only a handshake made after t's
 * counts: one from before cannot rule out a residual block.
 */
static const struct rec_tls *
sni_confirmed(const struct vstate *st, const struct rec_tls *t)
{
	const struct rec_tls	*c;
	size_t			 i;

	if (!tls_target(st, t) || tls_completed(t) ||
	    tls_method(t->failure) == METHOD_NONE)
		return NULL;
	for (i = 0; i < st->r->n_tls; i++) {
		c = &st->r->tls[i];
		if (c == t || tls_target(st, c) || !tls_completed(c))
			continue;
		if (t->residual_of != NULL && c->t0_ms <= t->t0_ms)
			continue;
		if (c->port == t->port && ip_eq(c->ip, t->ip))
			return c;
	}
	return NULL;
}

/*
 * Every failed handshake with the target's SNI (reset, timeout, EOF) came
 * after another target's had failed at the same address (residual_of) and
 * nothing confirmed it by name since: the first of them, else NULL.
 */
static const struct rec_tls *
residual_only(const struct vstate *st, int probe_only)
{
	const struct rec_tls	*t, *first = NULL;
	size_t			 i;

	for (i = 0; i < st->r->n_tls; i++) {
		t = &st->r->tls[i];
		if ((probe_only && t->source != ROLE_PROBE) ||
		    !tls_target(st, t) || t->failure == NULL ||
		    tls_completed(t))
			continue;
		if (t->residual_of == NULL ||
		    tls_method(t->failure) == METHOD_NONE ||
		    sni_confirmed(st, t) != NULL)
			return NULL;
		if (first == NULL)
			first = t;
	}
	return first;
}

static const struct rec_tls *
sni_confirmed_addr(const struct vstate *st, const char *ip)
{
	const struct rec_tls	*t;
	size_t			 i;

	for (i = 0; i < st->r->n_tls; i++) {
		t = &st->r->tls[i];
		if (ip_eq(t->ip, ip) && sni_confirmed(st, t) != NULL)
			return t;
	}
	return NULL;
}

/* The name of the chain's top issuer: the root it claims to chain to. */
static const char *
top_issuer(const struct rec_tls *t)
{
	const struct rec_cert	*c;

	if (t->n_chain == 0)
		return NULL;
	c = &t->chain[t->n_chain - 1];
	if (c->issuer != NULL && *c->issuer != '\0')
		return c->issuer;
	return c->subject;
}

/* --- output ------------------------------------------------------------ */

/* Keep the sentence printable and short: certificate names are hostile. */
static char *
detail_clean(const char *s)
{
	char	*d;
	size_t	 i, len;

	len = strlen(s);
	if (len >= DETAIL_MAX) {
		len = DETAIL_MAX - 4;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
		d = xmalloc(len + 4);
		memcpy(d, s, len);
		memcpy(d + len, "...", 4);
	} else
		d = xstrdup(s);
	for (i = 0; d[i] != '\0'; i++) {
		if ((unsigned char)d[i] < 0x20 || d[i] == 0x7f)
			d[i] = ' ';
	}
	return d;
}

static void __attribute__((format(printf, 5, 6)))
set(struct rec_verdict *out, enum verdict_status status,
    enum verdict_method method, const char *ca, const char *fmt, ...)
{
	char	buf[DETAIL_MAX * 2];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);

	out->status = status;
	out->method = method;
	out->interception_ca = ca != NULL ? xstrdup(ca) : NULL;
	out->detail = detail_clean(buf);
}

static const char *
str(const char *s)
{
	return s != NULL ? s : "?";
}

/* " (ADDR)" after the host, unless the host is that address. */
static const char *
addr_note(const struct vstate *st, const char *ip, char *buf, size_t len)
{
	if (ip == NULL || (st->ip_literal && ip_eq(ip, st->r->target.host)))
		return "";
	snprintf(buf, len, " (%s)", ip);
	return buf;
}

/* "the system resolver" or "the resolver 192.0.2.1:53". */
static const char *
resolver_desc(const char *name, char *buf, size_t len)
{
	if (name == NULL || strcmp(name, "system") == 0)
		snprintf(buf, len, "the system resolver");
	else
		snprintf(buf, len, "the resolver %s", name);
	return buf;
}

static const char *
dfail_words(enum dfail f)
{
	switch (f) {
	case DF_NXDOMAIN:
		return "said the name does not exist (NXDOMAIN)";
	case DF_REFUSED:
		return "refused to answer (REFUSED)";
	case DF_SERVFAIL:
		return "failed to answer (SERVFAIL)";
	case DF_NO_ANSWER:
		return "returned no address";
	case DF_TIMEOUT:
		return "did not answer in time";
	case DF_NET:
		return "could not be reached";
	default:
		return "sent no usable reply";
	}
}

static enum verdict_method
dfail_method(enum dfail f)
{
	switch (f) {
	case DF_NXDOMAIN:
		return METHOD_DNS_NXDOMAIN;
	case DF_REFUSED:
		return METHOD_DNS_REFUSED;
	case DF_SERVFAIL:
		return METHOD_DNS_SERVFAIL;
	case DF_NO_ANSWER:
	case DF_OTHER:
		/* No usable answer (malformed, misbehaving) where the
		 * control resolved the name. */
		return METHOD_DNS_INCONSISTENT;
	case DF_TIMEOUT:
		return METHOD_DNS_TIMEOUT;
	default:
		return METHOD_NONE;
	}
}

/* --- 1. interception --------------------------------------------------- */

/* A completed handshake with the target SNI the reference store refused. */
static int
tls_suspect(const struct vstate *st, const struct rec_tls *t)
{
	return tls_target(st, t) && tls_completed(t) && !t->trusted;
}

static int
match_fingerprint(const struct vstate *st, const struct rec_tls *t,
    const struct ica **hit)
{
	const struct rec_cert	*c;
	const struct ica	*ca;
	size_t			 i, j;

	for (i = 0; i < t->n_chain; i++) {
		c = &t->chain[i];
		for (j = 0; j < st->ctx->n_cas; j++) {
			ca = &st->ctx->cas[j];
			if ((c->sha256[0] != '\0' &&
			    strcasecmp(c->sha256, ca->sha256) == 0) ||
			    (c->spki_sha256[0] != '\0' &&
			    strcasecmp(c->spki_sha256, ca->spki_sha256) == 0)) {
				*hit = ca;
				return 1;
			}
		}
	}
	return 0;
}

static int
match_name(const struct vstate *st, const struct rec_tls *t,
    const struct ica **hit)
{
	const struct rec_cert	*c;
	const struct ica	*ca;
	size_t			 i, j;

	for (i = 0; i < t->n_chain; i++) {
		c = &t->chain[i];
		for (j = 0; j < st->ctx->n_cas; j++) {
			ca = &st->ctx->cas[j];
			if (ca->subject == NULL || *ca->subject == '\0')
				continue;
			if ((c->issuer != NULL &&
			    strcmp(c->issuer, ca->subject) == 0) ||
			    (c->subject != NULL &&
			    strcmp(c->subject, ca->subject) == 0)) {
				*hit = ca;
				return 1;
			}
		}
	}
	return 0;
}

/* Is a trusted handshake to ip one the control resolver led to? */
static int
tls_is_control(const struct vstate *st, const struct rec_tls *t)
{
	return t->source == ROLE_CONTROL ||
	    (st->has_control && rview_has(&st->cv, t->ip));
}

/* --- the vantage: the record's "control" map ---------------------------- */

/* The vantage answered for this target (its steps are in the record). */
static int
van_answered(const struct vstate *st)
{
	return st->r->control != NULL && st->r->control->failure == NULL;
}

/* An address the vantage's resolver gave for the target. */
static int
van_has_addr(const struct vstate *st, const char *ip)
{
	const struct rec_control	*c = st->r->control;
	const struct rec_answer		*a;
	size_t				 i, j;

	if (!van_answered(st))
		return 0;
	for (i = 0; i < c->n_dns; i++) {
		for (j = 0; j < c->dns[i].n_answers; j++) {
			a = &c->dns[i].answers[j];
			if (a->type != ANSWER_CNAME && ip_eq(a->value, ip))
				return 1;
		}
	}
	return 0;
}

/* The first address the vantage resolved, NULL when none; *asked when
 * it asked at all. */
static const char *
van_addr(const struct vstate *st, int *asked)
{
	const struct rec_control	*c = st->r->control;
	const struct rec_answer		*a;
	size_t				 i, j;

	*asked = 0;
	if (!van_answered(st))
		return NULL;
	for (i = 0; i < c->n_dns; i++) {
		*asked = 1;
		for (j = 0; j < c->dns[i].n_answers; j++) {
			a = &c->dns[i].answers[j];
			if (a->type != ANSWER_CNAME && a->value != NULL)
				return a->value;
		}
	}
	return NULL;
}

/* A refusal of the vantage's own guard says nothing about the target. */
static int
van_refused(const char *f)
{
	return f != NULL && strcmp(f, "control_refused_address") == 0;
}

/*
 * The vantage's TCP view of ip: 1 connected, -1 tried and failed, 0 not
 * tried (or refused by its guard).
 */
static int
van_tcp(const struct vstate *st, const char *ip)
{
	const struct rec_control	*c = st->r->control;
	size_t				 i;
	int				 seen = 0;

	if (!van_answered(st))
		return 0;
	for (i = 0; i < c->n_tcp; i++) {
		if (!ip_eq(c->tcp[i].ip, ip) || van_refused(c->tcp[i].failure))
			continue;
		if (c->tcp[i].failure == NULL)
			return 1;
		seen = -1;
	}
	return seen;
}

/*
 * A handshake the vantage completed with the target's SNI (whatever the
 * trust); NULL when none.  *failed counts those that failed.
 */
static const struct rec_tls *
van_tls(const struct vstate *st, size_t *failed)
{
	const struct rec_control	*c = st->r->control;
	const struct rec_tls		*t;
	size_t				 i;

	*failed = 0;
	if (!van_answered(st))
		return NULL;
	for (i = 0; i < c->n_tls; i++) {
		t = &c->tls[i];
		if (!tls_target(st, t))
			continue;
		if (tls_completed(t))
			return t;
		if (t->failure != NULL)
			(*failed)++;
	}
	return NULL;
}

/*
 * (c): the leaf key differs from every trusted key seen at the control
 * resolver's addresses, and the chain claims another root (a site's own
 * expired or misissued certificate from its usual CA is not interception).
 */
static int
match_control_key(const struct vstate *st, const struct rec_tls *t)
{
	const struct rec_tls	*c;
	const char		*ti, *ci;
	size_t			 i;
	int			 seen = 0;

	if (t->chain[0].spki_sha256[0] == '\0')
		return 0;
	ti = top_issuer(t);
	for (i = 0; i < st->r->n_tls; i++) {
		c = &st->r->tls[i];
		if (c == t || !tls_target(st, c) || !tls_trusted(c) ||
		    !tls_is_control(st, c) ||
		    c->chain[0].spki_sha256[0] == '\0')
			continue;
		if (strcasecmp(c->chain[0].spki_sha256,
		    t->chain[0].spki_sha256) == 0)
			return 0;
		ci = top_issuer(c);
		if (ti != NULL && ci != NULL && strcmp(ti, ci) == 0)
			return 0;
		seen = 1;
	}
	/* ... or by the vantage, from outside the probe's network. */
	for (i = 0; van_answered(st) && i < st->r->control->n_tls; i++) {
		c = &st->r->control->tls[i];
		if (!tls_target(st, c) || !tls_trusted(c) ||
		    c->chain[0].spki_sha256[0] == '\0')
			continue;
		if (strcasecmp(c->chain[0].spki_sha256,
		    t->chain[0].spki_sha256) == 0)
			return 0;
		ci = top_issuer(c);
		if (ti != NULL && ci != NULL && strcmp(ti, ci) == 0)
			return 0;
		seen = 1;
	}
	return seen;
}

static const char *
system_clause(const struct rec_tls *t)
{
	return t->trusted_by_system ?
	    " (this machine's system store trusts it)" : "";
}

/*
 * The volunteer's own machine inspects TLS (antivirus, corporate or
 * debugging proxy): a chain ending in a listed product's root that the
 * system store trusts.  Not censorship: `error`, naming the product.
 */
static int
decide_local_inspection(const struct vstate *st, struct rec_verdict *out)
{
	const struct rec_tls	*t;
	const char		*product, *root;
	size_t			 i, j;

	if (st->ctx == NULL || st->ctx->inspect == NULL)
		return 0;
	for (i = 0; i < st->r->n_tls; i++) {
		t = &st->r->tls[i];
		if (!tls_suspect(st, t) || !t->trusted_by_system)
			continue;
		root = top_issuer(t);
		product = inspect_match(st->ctx->inspect, root);
		for (j = 0; product == NULL && j < t->n_chain; j++) {
			root = t->chain[j].subject;
			product = inspect_match(st->ctx->inspect, root);
		}
		if (product == NULL)
			continue;
		set(out, STATUS_ERROR, METHOD_NONE, NULL,
		    "TLS to %s is inspected on this machine by %s (its root "
		    "'%s' is installed in the system store): that is not "
		    "censorship, and the site could not be measured from "
		    "here.", st->host, product, str(root));
		return 1;
	}
	return 0;
}

static int
decide_interception(const struct vstate *st, struct rec_verdict *out)
{
	const struct rec_tls	*t;
	const struct ica	*hit;
	size_t			 i;

	if (decide_local_inspection(st, out))
		return 1;
	if (st->ctx != NULL) {
		for (i = 0; i < st->r->n_tls; i++) {
			t = &st->r->tls[i];
			if (!tls_suspect(st, t) || !match_fingerprint(st, t, &hit))
				continue;
			set(out, STATUS_INTERCEPTED, METHOD_TLS_MITM, hit->subject,
			    "TLS to %s was intercepted: the server at %s "
			    "presented '%s', a known interception root%s.",
			    st->host, str(t->ip), str(hit->subject),
			    system_clause(t));
			return 1;
		}
		for (i = 0; i < st->r->n_tls; i++) {
			t = &st->r->tls[i];
			if (!tls_suspect(st, t) || !match_name(st, t, &hit))
				continue;
			set(out, STATUS_INTERCEPTED, METHOD_TLS_MITM, hit->subject,
			    "TLS to %s was intercepted: the certificate chains "
			    "to '%s', a known interception root%s.",
			    st->host, str(hit->subject), system_clause(t));
			return 1;
		}
	}
	for (i = 0; i < st->r->n_tls; i++) {
		t = &st->r->tls[i];
		if (!tls_suspect(st, t) || !t->trusted_by_system ||
		    (t->failure != NULL &&
		    strcmp(t->failure, "ssl_invalid_hostname") == 0))
			continue;
		set(out, STATUS_INTERCEPTED, METHOD_TLS_MITM, top_issuer(t),
		    "TLS to %s was intercepted: the certificate chains to "
		    "'%s', a root this machine's system store trusts but the "
		    "reference store does not.", st->host, str(top_issuer(t)));
		return 1;
	}
	for (i = 0; i < st->r->n_tls; i++) {
		t = &st->r->tls[i];
		if (!tls_suspect(st, t) || !match_control_key(st, t))
			continue;
		set(out, STATUS_INTERCEPTED, METHOD_TLS_MITM, top_issuer(t),
		    "TLS to %s was intercepted: the server at %s presented an "
		    "untrusted certificate from '%s' whose key differs from "
		    "the one seen from the control resolver's addresses or "
		    "the vantage.",
		    st->host, str(t->ip), str(top_issuer(t)));
		return 1;
	}
	return 0;
}

/* --- 2. DNS ------------------------------------------------------------ */

static int
rview_consistent(const struct vstate *st, const struct rview *v)
{
	size_t	i;

	for (i = 0; i < v->n_addrs; i++) {
		if (rview_has(&st->cv, v->addrs[i]) ||
		    van_has_addr(st, v->addrs[i]) ||
		    addr_trusted(st, v->addrs[i]))
			return 1;
	}
	return 0;
}

static const char *
rview_bogon(const struct rview *v)
{
	size_t	i;

	for (i = 0; i < v->n_addrs; i++) {
		if (ip_bogon(v->addrs[i]))
			return v->addrs[i];
	}
	return NULL;
}

/* A short account of a reply: its first address, or its rcode. */
static const char *
reply_words(const struct rec_reply *rp)
{
	size_t	i;

	for (i = 0; i < rp->n_answers; i++) {
		if (rp->answers[i].type != ANSWER_CNAME &&
		    rp->answers[i].value != NULL)
			return rp->answers[i].value;
	}
	return rp->rcode != NULL ? rp->rcode : "a malformed reply";
}

/*
 * dns_injection: one UDP query of v got replies that differ, and the
 * first (what v answered) is not consistent with the control resolver
 * or the vantage, both of which must have answered to tell.
 */
static int
decide_injection(const struct vstate *st, const struct rview *v,
    const char *rbuf, const char *cbuf, struct rec_verdict *out)
{
	const struct rec_dns	*d = v->injected;
	const struct rec_reply	*later;
	size_t			 i;
	int			 ctl = st->has_control && st->cv.n_addrs > 0;
	int			 van = st->vv.n_addrs > 0;

	if (d == NULL || (!ctl && !van))
		return 0;
	for (i = 0; i < v->n_addrs; i++) {
		if (rview_has(&st->cv, v->addrs[i]) ||
		    rview_has(&st->vv, v->addrs[i]) ||
		    addr_trusted(st, v->addrs[i]))
			return 0;
	}
	later = reply_other(d);
	set(out, STATUS_BLOCKED, METHOD_DNS_INJECTION, NULL,
	    "DNS for %s is blocked by injection: %s got %zu different "
	    "replies to one query, the first (%s) disagreeing with %s, a "
	    "later one saying %s.", st->host, rbuf, d->n_replies,
	    reply_words(&d->replies[0]), ctl ? cbuf : "the vantage",
	    reply_words(later));
	return 1;
}

/*
 * dns_blockpage: a probe resolver answered an address that a DNS
 * fingerprint names as a censor's (its first reply or a later one).
 */
static int
decide_dns_blockpage(const struct vstate *st, struct rec_verdict *out)
{
	const struct rec_dns	*d;
	const struct rec_answer	*a;
	const char		*name;
	char			 rbuf[300];
	size_t			 i, j, k, na;

	if (st->ctx == NULL || st->ctx->fingerprints == NULL)
		return 0;
	for (i = 0; i < st->r->n_dns; i++) {
		d = &st->r->dns[i];
		if (d->role != ROLE_PROBE)
			continue;
		for (k = 0; k <= d->n_replies; k++) {
			a = k == 0 ? d->answers : d->replies[k - 1].answers;
			na = k == 0 ? d->n_answers : d->replies[k - 1].n_answers;
			for (j = 0; j < na; j++) {
				if (a[j].type == ANSWER_CNAME ||
				    a[j].value == NULL ||
				    (name = fingerprint_match_dns(
				    st->ctx->fingerprints, a[j].value)) ==
				    NULL)
					continue;
				set(out, STATUS_BLOCKED, METHOD_DNS_BLOCKPAGE,
				    NULL, "DNS for %s is blocked: %s answered "
				    "%s, a known censor's address (%s).",
				    st->host, resolver_desc(d->resolver, rbuf,
				    sizeof rbuf), a[j].value, name);
				out->blockpage = xstrdup(name);
				return 1;
			}
		}
	}
	return 0;
}

static int
decide_dns(const struct vstate *st, struct rec_verdict *out)
{
	const struct rview	*v;
	const char		*bogon;
	char			 rbuf[300], cbuf[300];
	size_t			 i, j, n_net = 0, n_quiet = 0;
	const char		*van;
	int			 ctl_answered, ctl_says_down, ctl_bogon;
	int			 van_asked;

	if (st->ip_literal || st->n_pv == 0)
		return 0;
	ctl_answered = st->has_control && st->cv.n_addrs > 0;
	ctl_says_down = st->has_control && !ctl_answered &&
	    (st->cv.fail == DF_NXDOMAIN || st->cv.fail == DF_SERVFAIL ||
	    st->cv.fail == DF_NO_ANSWER);
	ctl_bogon = ctl_answered && rview_bogon(&st->cv) != NULL;
	/* The vantage resolved the name (van), or failed to (van_asked). */
	van = van_addr(st, &van_asked);
	resolver_desc(st->cv.name, cbuf, sizeof cbuf);

	for (i = 0; i < st->n_pv; i++) {
		v = &st->pv[i];
		if (v->n_addrs > 0)
			continue;
		if (v->fail == DF_NET)
			n_net++;
		else if (v->fail == DF_TIMEOUT)
			n_quiet++;
	}
	if (n_net == st->n_pv) {
		set(out, STATUS_ERROR, METHOD_NONE, NULL,
		    "The probe could not reach %s%s (%s), so %s was not "
		    "measured.", resolver_desc(st->pv[0].name, rbuf,
		    sizeof rbuf), st->n_pv > 1 ? " or any other" : "",
		    str(st->pv[0].failure), st->host);
		return 1;
	}
	if (n_net + n_quiet == st->n_pv && st->has_control &&
	    !ctl_answered && !ctl_says_down) {
		set(out, STATUS_ERROR, METHOD_NONE, NULL,
		    "Neither the probe's resolvers nor the control resolver "
		    "answered for %s: the probe's network seems to be down.",
		    st->host);
		return 1;
	}

	for (i = 0; i < st->n_pv; i++) {
		v = &st->pv[i];
		resolver_desc(v->name, rbuf, sizeof rbuf);
		if (decide_injection(st, v, rbuf, cbuf, out))
			return 1;
		if (v->n_addrs == 0) {
			if (v->fail == DF_NET)
				continue;
			if (v->fail == DF_OTHER && !ctl_answered &&
			    van == NULL) {
				set(out, STATUS_ANOMALY, METHOD_NONE, NULL,
				    "The lookup of %s by %s failed (%s).",
				    st->host, rbuf, str(v->failure));
				return 1;
			}
			if (ctl_answered) {
				set(out, STATUS_BLOCKED,
				    dfail_method(v->fail), NULL,
				    "DNS for %s is blocked: %s %s, while %s "
				    "(the control) resolved it.", st->host,
				    rbuf, dfail_words(v->fail), cbuf);
			} else if (van != NULL) {
				set(out, STATUS_BLOCKED,
				    dfail_method(v->fail), NULL,
				    "DNS for %s is blocked: %s %s, while the "
				    "vantage resolved it (%s).", st->host,
				    rbuf, dfail_words(v->fail), van);
			} else if (ctl_says_down) {
				set(out, STATUS_DOWN, dfail_method(v->fail),
				    NULL, "%s is down: %s %s and the control "
				    "resolver %s too.", st->host, rbuf,
				    dfail_words(v->fail),
				    dfail_words(st->cv.fail));
			} else if (van_asked && v->fail != DF_OTHER) {
				set(out, STATUS_DOWN, dfail_method(v->fail),
				    NULL, "%s is down: %s %s and the vantage "
				    "could not resolve it either.", st->host,
				    rbuf, dfail_words(v->fail));
			} else {
				set(out, STATUS_ANOMALY,
				    dfail_method(v->fail), NULL,
				    "The lookup of %s failed: %s %s, and no "
				    "control resolver answer tells blocking "
				    "from an outage.", st->host, rbuf,
				    dfail_words(v->fail));
			}
			return 1;
		}
		if (!ctl_answered) {
			if ((bogon = rview_bogon(v)) == NULL ||
			    rview_consistent(st, v))
				continue;
			if (van != NULL && !ip_bogon(van)) {
				set(out, STATUS_BLOCKED, METHOD_DNS_BOGON, NULL,
				    "DNS for %s is blocked: %s answered %s, a "
				    "private or reserved address, while the "
				    "vantage resolved it to %s.", st->host,
				    rbuf, bogon, van);
				return 1;
			}
			set(out, STATUS_ANOMALY, METHOD_DNS_BOGON, NULL,
			    "%s answered %s for %s, a private or reserved "
			    "address, and no trusted TLS handshake nor "
			    "control answer confirms it.", rbuf, bogon,
			    st->host);
			return 1;
		}
		if (rview_consistent(st, v))
			continue;
		if ((bogon = rview_bogon(v)) != NULL && !ctl_bogon) {
			set(out, STATUS_BLOCKED, METHOD_DNS_BOGON, NULL,
			    "DNS for %s is blocked: %s answered %s, a private "
			    "or reserved address, while %s (the control) "
			    "answered %s.", st->host, rbuf, bogon, cbuf,
			    st->cv.addrs[0]);
			return 1;
		}
		for (j = 0; j < v->n_addrs; j++) {
			if (sni_confirmed_addr(st, v->addrs[j]) != NULL)
				return 0;	/* SNI filtering explains it */
		}
		set(out, STATUS_BLOCKED, METHOD_DNS_INCONSISTENT, NULL,
		    "DNS for %s is blocked: %s answered %s, which matches "
		    "neither %s (the control, %s) nor any server with a "
		    "certificate trusted for the name.", st->host, rbuf,
		    v->addrs[0], cbuf, st->cv.addrs[0]);
		return 1;
	}
	return 0;
}

/* --- 3. reachability --------------------------------------------------- */

static const char *
tls_reason(const struct rec_tls *t)
{
	if (t->verify_error != NULL && *t->verify_error != '\0')
		return t->verify_error;
	if (t->failure != NULL)
		return t->failure;
	return "no reason given";
}

/* The most frequent method among entries, the earliest on a tie. */
struct tally {
	enum verdict_method	 m[METHOD_TLS_MITM + 1];
	size_t			 n[METHOD_TLS_MITM + 1];
	const char		*failure[METHOD_TLS_MITM + 1];
	size_t			 used;
};

static void
tally_add(struct tally *ty, enum verdict_method m, const char *failure)
{
	size_t	i;

	for (i = 0; i < ty->used; i++) {
		if (ty->m[i] == m) {
			ty->n[i]++;
			return;
		}
	}
	if (ty->used == sizeof ty->m / sizeof ty->m[0])
		return;
	ty->m[ty->used] = m;
	ty->n[ty->used] = 1;
	ty->failure[ty->used] = failure;
	ty->used++;
}

static size_t
tally_top(const struct tally *ty)
{
	size_t	i, best = 0;

	for (i = 1; i < ty->used; i++) {
		if (ty->n[i] > ty->n[best])
			best = i;
	}
	return best;
}

static void
decide_reach(const struct vstate *st, struct rec_verdict *out)
{
	const struct record	*r = st->r;
	const struct rec_tls	*t, *c;
	const struct rec_tcp	*p;
	const char		*net = NULL, *van_ok = NULL;
	struct tally		 ty;
	char			 abuf[INET6_ADDRSTRLEN + 8];
	size_t			 i, n_tcp = 0, n_tcp_ok = 0, n_tcp_net = 0;
	size_t			 n_tls = 0, n_van_fail = 0, n_van_tls_fail;
	int			 probe_only = 0;

	/* The addresses a user of the probe's resolvers would reach. */
	for (i = 0; i < r->n_tcp; i++)
		probe_only |= r->tcp[i].source == ROLE_PROBE;
	for (i = 0; i < r->n_tls; i++)
		probe_only |= r->tls[i].source == ROLE_PROBE;
#define USE(e) (!probe_only || (e)->source == ROLE_PROBE)

	for (i = 0; i < r->n_tls; i++) {
		t = &r->tls[i];
		if (!USE(t) || !tls_target(st, t) || !tls_trusted(t))
			continue;
		set(out, STATUS_OK, METHOD_NONE, NULL,
		    "TLS to %s%s succeeded with a certificate trusted for "
		    "the name.", st->host,
		    addr_note(st, t->ip, abuf, sizeof abuf));
		return;
	}
	for (i = 0; i < r->n_tls; i++) {
		t = &r->tls[i];
		if (!USE(t) || (c = sni_confirmed(st, t)) == NULL)
			continue;
		set(out, STATUS_BLOCKED, METHOD_TLS_SNI, NULL,
		    "TLS to %s is blocked by name: at %s the handshake with "
		    "SNI %s failed (%s) while the same handshake with SNI %s "
		    "succeeded.", st->host, str(t->ip), st->host,
		    str(t->failure), str(c->sni));
		return;
	}
	for (i = 0; i < r->n_tls; i++) {
		t = &r->tls[i];
		if (!USE(t) || !tls_suspect(st, t))
			continue;
		set(out, STATUS_ANOMALY, METHOD_NONE, NULL,
		    "TLS to %s%s completed but the certificate is not "
		    "trusted for the name (%s), with no sign of a known "
		    "interception root.", st->host,
		    addr_note(st, t->ip, abuf, sizeof abuf), tls_reason(t));
		return;
	}
	if ((t = residual_only(st, probe_only)) != NULL) {
		set(out, STATUS_ANOMALY, METHOD_NONE, NULL,
		    "TLS to %s failed (%s at %s) after a handshake with %s to "
		    "the same address had failed, and the control SNI then "
		    "failed there too where it had worked before: a censor "
		    "that blocks an address for a while after a forbidden "
		    "name (residual blocking) set off by %s would do that, so "
		    "%s is not blamed for it.", st->host, str(t->failure),
		    str(t->ip), t->residual_of, t->residual_of, st->host);
		return;
	}
	memset(&ty, 0, sizeof ty);
	for (i = 0; i < r->n_tls; i++) {
		t = &r->tls[i];
		if (!USE(t) || !tls_target(st, t) || t->failure == NULL)
			continue;
		tally_add(&ty, tls_method(t->failure), t->failure);
		n_tls++;
	}
	if (n_tls > 0) {
		i = tally_top(&ty);
		/* The vantage tells blocking from an outage. */
		c = van_tls(st, &n_van_tls_fail);
		if (c != NULL && (ty.m[i] == METHOD_TLS_RESET ||
		    ty.m[i] == METHOD_TLS_TIMEOUT || ty.m[i] == METHOD_TLS_EOF)) {
			set(out, STATUS_BLOCKED, ty.m[i], NULL,
			    "TLS to %s is blocked: the handshake failed (%s) "
			    "from the probe's network while the vantage "
			    "completed one (at %s).", st->host, ty.failure[i],
			    str(c->ip));
			return;
		}
		if (c == NULL && n_van_tls_fail > 0) {
			set(out, STATUS_DOWN, ty.m[i], NULL,
			    "%s is down: the TLS handshake failed (%s) from "
			    "the probe's network and from the vantage too.",
			    st->host, ty.failure[i]);
			return;
		}
		set(out, STATUS_ANOMALY, ty.m[i], NULL,
		    "TLS to %s failed (%s) and nothing confirms whether this "
		    "is blocking or an outage.", st->host, ty.failure[i]);
		return;
	}

	memset(&ty, 0, sizeof ty);
	for (i = 0; i < r->n_tcp; i++) {
		p = &r->tcp[i];
		if (!USE(p))
			continue;
		n_tcp++;
		switch (van_tcp(st, p->ip)) {
		case 1:
			van_ok = p->ip;
			break;
		case -1:
			n_van_fail++;
			break;
		}
		if (p->failure == NULL)
			n_tcp_ok++;
		else if (net_failure(p->failure)) {
			n_tcp_net++;
			net = p->failure;
		}
		else
			tally_add(&ty, tcp_method(p->failure), p->failure);
	}
#undef USE
	if (n_tcp == 0) {
		set(out, STATUS_ERROR, METHOD_NONE, NULL,
		    "No address of %s was connected to, so nothing was "
		    "measured.", st->host);
		return;
	}
	if (n_tcp_ok > 0) {
		set(out, STATUS_ERROR, METHOD_NONE, NULL,
		    "A TCP connection to %s succeeded but no TLS handshake "
		    "was recorded.", st->host);
		return;
	}
	if (n_tcp_net == n_tcp) {
		set(out, STATUS_ERROR, METHOD_NONE, NULL,
		    "The probe has no route to any address of %s (%s).",
		    st->host, str(net));
		return;
	}
	i = tally_top(&ty);
	if (van_ok != NULL) {
		set(out, STATUS_BLOCKED, ty.m[i], NULL,
		    "TCP to %s port %d is blocked: connections failed (%s) on "
		    "every address from the probe's network while the vantage "
		    "connected to %s.", st->host, r->target.port,
		    ty.failure[i], van_ok);
		return;
	}
	if (n_van_fail > 0) {
		set(out, STATUS_DOWN, ty.m[i], NULL,
		    "%s is down: TCP connections to port %d failed (%s) on "
		    "every address, from the probe's network and from the "
		    "vantage too.", st->host, r->target.port, ty.failure[i]);
		return;
	}
	set(out, STATUS_ANOMALY, ty.m[i], NULL,
	    "TCP connections to %s port %d failed (%s) on every address; "
	    "from this network nothing tells blocking from an outage.",
	    st->host, r->target.port, ty.failure[i]);
}

/* Put v in place of out. */
static void
verdict_replace(struct rec_verdict *out, struct rec_verdict *v)
{
	free(out->detail);
	free(out->interception_ca);
	free(out->blockpage);
	*out = *v;
	memset(v, 0, sizeof *v);
}

/*
 * After reachability, the HTTP steps (verdict-http.c): an http:// target
 * whose plain HTTP answered is reachable whatever TLS on 443 did (short
 * of SNI filtering); a GET reset or never answered after its connection
 * worked is judged against the vantage; a reachable target much slower
 * than the --control-sni baseline at the same moment is throttled.
 */
static void
decide_http(const struct record *r, const struct verdict_ctx *ctx,
    struct rec_verdict *out)
{
	const struct rec_http	*h;
	struct rec_verdict	 v;

	memset(&v, 0, sizeof v);
	if (out->status == STATUS_ANOMALY || out->status == STATUS_ERROR) {
		if ((h = verdict_http_answered(r)) != NULL) {
			set(&v, STATUS_OK, METHOD_NONE, NULL, "HTTP to %s "
			    "answered %d at %s.", str(h->url), h->status,
			    str(h->ip));
			verdict_replace(out, &v);
		} else if (verdict_http_failure(r, &v)) {
			if (v.status == STATUS_BLOCKED || r->n_tls == 0)
				verdict_replace(out, &v);
			else
				free(v.detail);
			return;
		}
	}
	if (out->status != STATUS_OK)
		return;
	memset(&v, 0, sizeof v);
	if (verdict_http_failure(r, &v) ||
	    verdict_throttled(r, ctx != NULL ? ctx->control_sni : NULL, &v))
		verdict_replace(out, &v);
}

int
verdict_local_candidate(const struct record *r, const struct verdict_ctx *ctx)
{
	struct vstate		 st;
	const struct rec_tls	*t;
	const struct ica	*hit;
	size_t			 i, n = 0;
	int			 ok = 1;

	if (r->verdict.status != STATUS_INTERCEPTED || ctx == NULL)
		return 0;
	vstate_init(&st, r, ctx);
	for (i = 0; ok && i < r->n_tls; i++) {
		t = &r->tls[i];
		if (t->n_chain == 0)
			continue;
		ok = !t->trusted && t->trusted_by_system &&
		    !match_fingerprint(&st, t, &hit) &&
		    !match_name(&st, t, &hit);
		n++;
	}
	vstate_clear(&st);
	return ok && n > 0;
}

size_t
verdict_inspect_seen(const struct record *r, const struct verdict_ctx *ctx,
    struct inspect_seen *out, size_t max)
{
	struct vstate		 st;
	const struct rec_tls	*t;
	size_t			 i, n = 0;

	vstate_init(&st, r, ctx);
	for (i = 0; i < r->n_tls && n < max; i++) {
		t = &r->tls[i];
		if (t->n_chain == 0)
			continue;
		out[n].root = top_issuer(t);
		out[n].trusted = t->trusted;
		out[n].trusted_by_system = t->trusted_by_system;
		out[n].vantage_real = tls_target(&st, t) && !t->trusted &&
		    match_control_key(&st, t);
		n++;
	}
	vstate_clear(&st);
	return n;
}

void
verdict_local_root(const struct record *r, const char *root,
    struct rec_verdict *out)
{
	free(out->detail);
	free(out->interception_ca);
	free(out->blockpage);
	memset(out, 0, sizeof *out);
	set(out, STATUS_ERROR, METHOD_NONE, NULL,
	    "TLS to %s is inspected on this machine: every handshake of the "
	    "round ended in '%s', a root only the system store trusts, while "
	    "the vantage saw the real keys. That is local inspection (an "
	    "antivirus or a corporate proxy), not censorship, and the site "
	    "could not be measured from here.",
	    r->target.host != NULL ? r->target.host : "the target",
	    str(root));
}

void
verdict_decide(const struct record *r, const struct verdict_ctx *ctx,
    struct rec_verdict *out)
{
	struct vstate	st;

	memset(out, 0, sizeof *out);
	vstate_init(&st, r, ctx);
	/* A censor's known address explains what its server presents. */
	if (!decide_dns_blockpage(&st, out) &&
	    !decide_interception(&st, out) &&
	    !verdict_http_blockpage(r, out) && !decide_dns(&st, out)) {
		decide_reach(&st, out);
		decide_http(r, ctx, out);
	}
	vstate_clear(&st);
}
