/*
 * Unit tests for the engine's pure parts: resolver specs, DNS replies
 * (crafted bytes, hostile ones included), df-007 failure mapping and the
 * address list a target connects to.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <event2/event.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ares.h>
#include <check.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "dns.h"
#include "measure.h"
#include "record.h"
#include "tls.h"
#include "xmalloc.h"

/* --- building replies ------------------------------------------------ */

struct pkt {
	unsigned char	b[1024];
	size_t		n;
};

static void
put(struct pkt *p, const void *v, size_t n)
{
	ck_assert_uint_le(p->n + n, sizeof p->b);
	memcpy(p->b + p->n, v, n);
	p->n += n;
}

static void
put16(struct pkt *p, unsigned v)
{
	unsigned char	b[2] = { v >> 8, v & 0xff };

	put(p, b, 2);
}

static void
put32(struct pkt *p, unsigned long v)
{
	unsigned char	b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff,
	    v & 0xff };

	put(p, b, 4);
}

static void
putname(struct pkt *p, const char *name)
{
	const char	*dot;
	unsigned char	 len;

	while (*name != '\0') {
		dot = strchr(name, '.');
		len = dot != NULL ? (unsigned char)(dot - name) :
		    (unsigned char)strlen(name);
		put(p, &len, 1);
		put(p, name, len);
		name += len;
		if (*name == '.')
			name++;
	}
	put(p, "", 1);
}

/* Header and question for name/qtype; an answers are added after. */
static void
reply_start(struct pkt *p, const char *name, int qtype, int rcode, int an)
{
	p->n = 0;
	put16(p, 0x1234);
	put16(p, 0x8180 | rcode);
	put16(p, 1);
	put16(p, an);
	put16(p, 0);
	put16(p, 0);
	putname(p, name);
	put16(p, qtype);
	put16(p, 1);
}

static void
rr_a(struct pkt *p, unsigned ttl, const unsigned char ip[4])
{
	put16(p, 0xc00c);	/* the question's name */
	put16(p, 1);
	put16(p, 1);
	put32(p, ttl);
	put16(p, 4);
	put(p, ip, 4);
}

static struct rec_dns *
new_dns(struct record **recp, int qtype)
{
	struct rec_dns	*d;

	*recp = record_new();
	d = record_add_dns(*recp);
	d->query_type = qtype;
	return d;
}

/* --- resolver specs -------------------------------------------------- */

START_TEST(spec_forms)
{
	struct dns_server	s;

	ck_assert_int_eq(dns_parse_spec("system", &s), 0);
	ck_assert_int_eq(s.family, AF_UNSPEC);
	ck_assert_str_eq(s.label, "system");

	ck_assert_int_eq(dns_parse_spec("192.0.2.1", &s), 0);
	ck_assert_int_eq(s.family, AF_INET);
	ck_assert_int_eq(s.port, 53);
	ck_assert_str_eq(s.label, "192.0.2.1:53");

	ck_assert_int_eq(dns_parse_spec("127.0.0.1:5353", &s), 0);
	ck_assert_int_eq(s.port, 5353);
	ck_assert_str_eq(s.label, "127.0.0.1:5353");

	ck_assert_int_eq(dns_parse_spec("2001:DB8::1", &s), 0);
	ck_assert_int_eq(s.family, AF_INET6);
	ck_assert_str_eq(s.label, "[2001:db8::1]:53");

	ck_assert_int_eq(dns_parse_spec("[::1]:5300", &s), 0);
	ck_assert_int_eq(s.family, AF_INET6);
	ck_assert_int_eq(s.port, 5300);
	ck_assert_str_eq(s.label, "[::1]:5300");
}
END_TEST

/* Encrypted resolvers: the label is the URL as given. */
START_TEST(spec_urls)
{
	static const struct {
		const char	*spec;
		enum dns_kind	 kind;
		int		 family;
		const char	*host;
		int		 port;
		const char	*path;
	} cases[] = {
		{ "tls://dns.example", DNS_DOT, AF_UNSPEC, "dns.example", 853,
		  "" },
		{ "tls://192.0.2.1:8853", DNS_DOT, AF_INET, "192.0.2.1", 8853,
		  "" },
		{ "tls://[2001:db8::1]", DNS_DOT, AF_INET6, "2001:db8::1", 853,
		  "" },
		{ "tls://one.one.one.one/", DNS_DOT, AF_UNSPEC,
		  "one.one.one.one", 853, "" },
		{ "https://dns.example/dns-query", DNS_DOH, AF_UNSPEC,
		  "dns.example", 443, "/dns-query" },
		{ "https://192.0.2.1:8443/q?x=1", DNS_DOH, AF_INET,
		  "192.0.2.1", 8443, "/q?x=1" },
		{ "https://[::1]:4443/dns-query", DNS_DOH, AF_INET6, "::1",
		  4443, "/dns-query" },
		{ "HTTPS://dns.example", DNS_DOH, AF_UNSPEC, "dns.example",
		  443, "/dns-query" },
	};
	struct dns_server	s;
	size_t			i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_msg(dns_parse_spec(cases[i].spec, &s) == 0, "%s",
		    cases[i].spec);
		ck_assert_int_eq(s.kind, cases[i].kind);
		ck_assert_int_eq(s.family, cases[i].family);
		ck_assert_str_eq(s.host, cases[i].host);
		ck_assert_int_eq(s.port, cases[i].port);
		ck_assert_str_eq(s.path, cases[i].path);
		ck_assert_str_eq(s.label, cases[i].spec);
	}
}
END_TEST

START_TEST(spec_bad)
{
	static const char *bad[] = {
		"", "dns.example", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536",
		"1.2.3.4:53x", "1.2.3", "[::1", "[::1]x", "[::1]:", "[1.2.3.4]",
		"[]:53", "::1:", "1.2.3.4:-1", ":53", "300.1.1.1",
		"[::1]:99999999999999999999",
		"tls://", "tls://:853", "tls://dns.example:0",
		"tls://dns.example/path", "tls://bad_host!", "tls://[::1",
		"tls://a..b", "tls://-a.example", "https://", "https:///q",
		"https://dns.example:x/q", "https://dns.example/a b",
		"https://dns.example:443x/q", "http://dns.example/q",
		"udp://192.0.2.1"
	};
	struct dns_server	s;
	size_t			i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(dns_parse_spec(bad[i], &s) == -1, "%s", bad[i]);
	ck_assert_int_eq(dns_parse_spec(NULL, &s), -1);
}
END_TEST

/* --- replies --------------------------------------------------------- */

/* An RR with owner (NULL: the question's name) and a name as rdata. */
static void
rr_name(struct pkt *p, const char *owner, int type, unsigned ttl,
    const char *target)
{
	struct pkt	t;

	if (owner == NULL)
		put16(p, 0xc00c);
	else
		putname(p, owner);
	put16(p, type);
	put16(p, 1);
	put32(p, ttl);
	t.n = 0;
	putname(&t, target);
	put16(p, (unsigned)t.n);
	put(p, t.b, t.n);
}

START_TEST(reply_a_with_cname_chain)
{
	static const unsigned char ip[4] = { 192, 0, 2, 7 };
	struct pkt	 p;
	struct record	*rec;
	struct rec_dns	*d = new_dns(&rec, DNS_TYPE_A);

	reply_start(&p, "www.example.com", DNS_TYPE_A, 0, 3);
	rr_name(&p, NULL, 5, 60, "edge.example.net");
	rr_name(&p, "edge.example.net", 5, 30, "e1.cdn.test");
	putname(&p, "e1.cdn.test");
	put16(&p, 1);
	put16(&p, 1);
	put32(&p, 300);
	put16(&p, 4);
	put(&p, ip, 4);

	dns_fill(d, ARES_SUCCESS, p.b, (int)p.n);
	ck_assert_ptr_null(d->failure);
	ck_assert_str_eq(d->rcode, "NOERROR");
	ck_assert_uint_eq(d->n_answers, 3);
	ck_assert_int_eq(d->answers[0].type, ANSWER_CNAME);
	ck_assert_str_eq(d->answers[0].value, "edge.example.net");
	ck_assert_int_eq(d->answers[1].type, ANSWER_CNAME);
	ck_assert_str_eq(d->answers[1].value, "e1.cdn.test");
	ck_assert_int_eq(d->answers[2].type, ANSWER_A);
	ck_assert_str_eq(d->answers[2].value, "192.0.2.7");
	/* c-ares caps an address's TTL by the CNAMEs' on the way. */
	ck_assert_uint_le(d->answers[2].ttl, 300);
	record_free(rec);
}
END_TEST

START_TEST(reply_aaaa)
{
	static const unsigned char ip6[16] = { 0x20, 0x01, 0x0d, 0xb8,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	struct pkt	 p;
	struct record	*rec;
	struct rec_dns	*d = new_dns(&rec, DNS_TYPE_AAAA);

	reply_start(&p, "v6.test", DNS_TYPE_AAAA, 0, 1);
	put16(&p, 0xc00c);
	put16(&p, 28);
	put16(&p, 1);
	put32(&p, 120);
	put16(&p, 16);
	put(&p, ip6, 16);
	dns_fill(d, ARES_SUCCESS, p.b, (int)p.n);
	ck_assert_ptr_null(d->failure);
	ck_assert_uint_eq(d->n_answers, 1);
	ck_assert_int_eq(d->answers[0].type, ANSWER_AAAA);
	ck_assert_str_eq(d->answers[0].value, "2001:db8::1");
	ck_assert_uint_eq(d->answers[0].ttl, 120);
	record_free(rec);
}
END_TEST

START_TEST(reply_rcodes)
{
	static const struct {
		int		 rcode;
		int		 status;
		const char	*name;
		const char	*failure;
	} cases[] = {
		{ 3, ARES_ENOTFOUND, "NXDOMAIN", "dns_nxdomain_error" },
		{ 2, ARES_ESERVFAIL, "SERVFAIL", "dns_servfail_error" },
		{ 5, ARES_EREFUSED, "REFUSED", "dns_refused_error" },
		{ 4, ARES_ENOTIMP, "NOTIMP", "dns_server_misbehaving" },
		{ 1, ARES_EFORMERR, "FORMERR", "dns_server_misbehaving" },
		{ 15, ARES_EBADRESP, "RCODE15", "dns_server_misbehaving" },
		{ 0, ARES_ENODATA, "NOERROR", "dns_no_answer" },
	};
	struct pkt	 p;
	struct record	*rec;
	struct rec_dns	*d;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		d = new_dns(&rec, DNS_TYPE_A);
		reply_start(&p, "x.test", DNS_TYPE_A, cases[i].rcode, 0);
		dns_fill(d, cases[i].status, p.b, (int)p.n);
		ck_assert_str_eq(d->rcode, cases[i].name);
		ck_assert_str_eq(d->failure, cases[i].failure);
		ck_assert_uint_eq(d->n_answers, 0);
		record_free(rec);
	}
}
END_TEST

START_TEST(reply_only_other_types)
{
	struct pkt	 p;
	struct record	*rec;
	struct rec_dns	*d = new_dns(&rec, DNS_TYPE_A);

	/* NOERROR with a TXT record only: no address. */
	reply_start(&p, "x.test", DNS_TYPE_A, 0, 1);
	put16(&p, 0xc00c);
	put16(&p, 16);
	put16(&p, 1);
	put32(&p, 5);
	put16(&p, 3);
	put(&p, "\002hi", 3);
	dns_fill(d, ARES_SUCCESS, p.b, (int)p.n);
	ck_assert_str_eq(d->failure, "dns_no_answer");
	ck_assert_uint_eq(d->n_answers, 0);
	record_free(rec);
}
END_TEST

START_TEST(reply_no_reply)
{
	static const struct {
		int		 status;
		const char	*failure;
	} cases[] = {
		{ ARES_ETIMEOUT, "generic_timeout_error" },
		{ ARES_ECONNREFUSED, "connection_refused" },
		{ ARES_EDESTRUCTION, "interrupted" },
	};
	struct record	*rec;
	struct rec_dns	*d;
	size_t		 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		d = new_dns(&rec, DNS_TYPE_A);
		dns_fill(d, cases[i].status, NULL, 0);
		ck_assert_str_eq(d->failure, cases[i].failure);
		ck_assert_ptr_null(d->rcode);
		record_free(rec);
	}
	d = new_dns(&rec, DNS_TYPE_A);
	dns_fill(d, ARES_ENOMEM, NULL, 0);
	ck_assert_msg(strncmp(d->failure, "unknown_failure: ", 17) == 0,
	    "%s", d->failure);
	record_free(rec);
}
END_TEST

START_TEST(reply_hostile)
{
	static const unsigned char ip[4] = { 10, 0, 0, 1 };
	struct pkt	 p, q;
	struct record	*rec;
	struct rec_dns	*d;
	size_t		 cut;

	/* Every truncation of a good reply. */
	reply_start(&p, "x.test", DNS_TYPE_A, 0, 1);
	rr_a(&p, 60, ip);
	for (cut = 0; cut < p.n; cut++) {
		d = new_dns(&rec, DNS_TYPE_A);
		dns_fill(d, ARES_SUCCESS, p.b, (int)cut);
		ck_assert_ptr_nonnull(d->failure);
		ck_assert_uint_eq(d->n_answers, 0);
		record_free(rec);
	}

	/* A count far above what is there. */
	q = p;
	q.b[7] = 0xff;
	q.b[6] = 0xff;
	d = new_dns(&rec, DNS_TYPE_A);
	dns_fill(d, ARES_SUCCESS, q.b, (int)q.n);
	ck_assert_str_eq(d->failure, "dns_server_misbehaving");
	record_free(rec);

	/* A CNAME whose target is a compression pointer to itself. */
	reply_start(&p, "x.test", DNS_TYPE_A, 0, 1);
	put16(&p, 0xc00c);
	put16(&p, 5);
	put16(&p, 1);
	put32(&p, 60);
	put16(&p, 2);
	put16(&p, 0xc000 | (unsigned)p.n);
	d = new_dns(&rec, DNS_TYPE_A);
	dns_fill(d, ARES_SUCCESS, p.b, (int)p.n);
	ck_assert_str_eq(d->failure, "dns_server_misbehaving");
	record_free(rec);

	/* A CNAME target of 300 octets (RFC 1035: 255 at most). */
	reply_start(&p, "x.test", DNS_TYPE_A, 0, 1);
	put16(&p, 0xc00c);
	put16(&p, 5);
	put16(&p, 1);
	put32(&p, 60);
	put16(&p, 5 * 60 + 1);
	for (cut = 0; cut < 5; cut++) {
		put(&p, "\073", 1);
		put(&p, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		    59);
	}
	put(&p, "", 1);
	d = new_dns(&rec, DNS_TYPE_A);
	dns_fill(d, ARES_SUCCESS, p.b, (int)p.n);
	ck_assert_str_eq(d->failure, "dns_server_misbehaving");
	ck_assert_uint_eq(d->n_answers, 0);
	record_free(rec);

	/* rdlength running past the end. */
	reply_start(&p, "x.test", DNS_TYPE_A, 0, 1);
	put16(&p, 0xc00c);
	put16(&p, 1);
	put16(&p, 1);
	put32(&p, 60);
	put16(&p, 400);
	put(&p, ip, 4);
	d = new_dns(&rec, DNS_TYPE_A);
	dns_fill(d, ARES_SUCCESS, p.b, (int)p.n);
	ck_assert_str_eq(d->failure, "dns_server_misbehaving");
	record_free(rec);
}
END_TEST

START_TEST(reply_many_addresses_bounded)
{
	unsigned char	 ip[4] = { 10, 0, 0, 0 };
	struct pkt	 p;
	struct record	*rec;
	struct rec_dns	*d = new_dns(&rec, DNS_TYPE_A);
	int		 i;

	reply_start(&p, "x.test", DNS_TYPE_A, 0, 60);
	for (i = 0; i < 60; i++) {
		ip[3] = (unsigned char)i;
		rr_a(&p, 60, ip);
	}
	dns_fill(d, ARES_SUCCESS, p.b, (int)p.n);
	ck_assert_ptr_null(d->failure);
	ck_assert_uint_eq(d->n_answers, DNS_MAX_ADDRS);
	record_free(rec);
}
END_TEST

/* --- failures -------------------------------------------------------- */

START_TEST(errno_failures)
{
	static const struct {
		int		 err;
		const char	*failure;
	} cases[] = {
		{ ECONNREFUSED, "connection_refused" },
		{ ECONNRESET, "connection_reset" },
		{ ETIMEDOUT, "generic_timeout_error" },
		{ ENETUNREACH, "network_unreachable" },
		{ EHOSTUNREACH, "host_unreachable" },
		{ EACCES, "permission_denied" },
		{ ENETDOWN, "network_down" },
		{ EAFNOSUPPORT, "address_family_not_supported" },
		{ EADDRNOTAVAIL, "address_not_available" },
		{ ENOBUFS, "no_buffer_space" },
	};
	size_t	 i;
	char	*f;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		f = tls_errno_failure(cases[i].err);
		ck_assert_str_eq(f, cases[i].failure);
		free(f);
	}
	f = tls_errno_failure(ENOSPC);
	ck_assert_msg(strncmp(f, "unknown_failure: ", 17) == 0, "%s", f);
	free(f);
	/* Not in OONI's table: its text, as OONI Probe writes it. */
	f = tls_errno_failure(EPERM);
	ck_assert_str_eq(f, "unknown_failure: operation not permitted");
	free(f);
}
END_TEST

START_TEST(verify_failures)
{
	ck_assert_ptr_null(tls_verify_failure(X509_V_OK));
	ck_assert_str_eq(tls_verify_failure(X509_V_ERR_HOSTNAME_MISMATCH),
	    "ssl_invalid_hostname");
	ck_assert_str_eq(tls_verify_failure(X509_V_ERR_IP_ADDRESS_MISMATCH),
	    "ssl_invalid_hostname");
	ck_assert_str_eq(tls_verify_failure(
	    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY),
	    "ssl_unknown_authority");
	ck_assert_str_eq(tls_verify_failure(
	    X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT), "ssl_unknown_authority");
	ck_assert_str_eq(tls_verify_failure(
	    X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN), "ssl_unknown_authority");
	ck_assert_str_eq(tls_verify_failure(X509_V_ERR_CERT_HAS_EXPIRED),
	    "ssl_invalid_certificate");
	ck_assert_str_eq(tls_verify_failure(X509_V_ERR_CERT_NOT_YET_VALID),
	    "ssl_invalid_certificate");
}
END_TEST

START_TEST(handshake_failures)
{
	unsigned long	 e[3];
	char		*f;

	f = tls_handshake_failure(NULL, 0, 0, 1);
	ck_assert_str_eq(f, "eof_error");
	free(f);

	/* SSL_ERROR_SYSCALL marker and ECONNRESET. */
	e[0] = SSL_ERROR_SYSCALL;
	f = tls_handshake_failure(e, 1, ECONNRESET, 0);
	ck_assert_str_eq(f, "connection_reset");
	free(f);

	/* Nothing queued, no errno: the peer closed. */
	f = tls_handshake_failure(e, 1, 0, 0);
	ck_assert_str_eq(f, "eof_error");
	free(f);

	e[1] = ERR_PACK(ERR_LIB_SSL, 0, SSL_R_UNEXPECTED_EOF_WHILE_READING);
	f = tls_handshake_failure(e, 2, 0, 0);
	ck_assert_str_eq(f, "eof_error");
	free(f);

	e[1] = ERR_PACK(ERR_LIB_SSL, 0, SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE);
	f = tls_handshake_failure(e, 2, ECONNRESET, 0);
	ck_assert_str_eq(f, "ssl_failed_handshake");
	free(f);

	e[1] = ERR_PACK(ERR_LIB_SYS, 0, ECONNRESET);
	f = tls_handshake_failure(e, 2, 0, 0);
	ck_assert_str_eq(f, "connection_reset");
	free(f);
}
END_TEST

/* --- addresses ------------------------------------------------------- */

static void
answer(struct rec_dns *d, enum rec_answer_type type, const char *v)
{
	struct rec_answer	*a = rec_dns_add_answer(d);

	a->type = type;
	a->value = xstrdup(v);
}

START_TEST(addrs_dedupe)
{
	struct measure_addr	 out[2 * MEASURE_MAX_ADDRS];
	struct record		*rec = record_new();
	struct rec_dns		*d;
	size_t			 n;

	d = record_add_dns(rec);
	d->role = ROLE_PROBE;
	answer(d, ANSWER_CNAME, "edge.test");
	answer(d, ANSWER_A, "192.0.2.1");
	answer(d, ANSWER_A, "192.0.2.2");
	answer(d, ANSWER_A, "0.0.0.0");
	d = record_add_dns(rec);
	d->role = ROLE_PROBE;		/* a second resolver, overlapping */
	answer(d, ANSWER_A, "192.0.2.2");
	answer(d, ANSWER_AAAA, "2001:db8::1");
	answer(d, ANSWER_AAAA, "::");
	d = record_add_dns(rec);
	d->role = ROLE_CONTROL;
	answer(d, ANSWER_A, "192.0.2.1");
	answer(d, ANSWER_A, "198.51.100.9");
	answer(d, ANSWER_A, "198.51.100.9");

	n = measure_addrs(rec, out, MEASURE_MAX_ADDRS);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(out[0].ip, "192.0.2.1");
	ck_assert_int_eq(out[0].source, ROLE_PROBE);
	ck_assert_str_eq(out[1].ip, "192.0.2.2");
	ck_assert_str_eq(out[2].ip, "2001:db8::1");
	ck_assert_int_eq(out[2].source, ROLE_PROBE);
	ck_assert_str_eq(out[3].ip, "198.51.100.9");
	ck_assert_int_eq(out[3].source, ROLE_CONTROL);
	record_free(rec);
}
END_TEST

START_TEST(addrs_bounded)
{
	struct measure_addr	 out[2 * MEASURE_MAX_ADDRS];
	struct record		*rec = record_new();
	struct rec_dns		*d, *c;
	char			 ip[32];
	int			 i;

	d = record_add_dns(rec);
	d->role = ROLE_PROBE;
	c = record_add_dns(rec);
	c->role = ROLE_CONTROL;
	for (i = 0; i < 40; i++) {
		snprintf(ip, sizeof ip, "10.0.0.%d", i);
		answer(&rec->dns[0], ANSWER_A, ip);
		snprintf(ip, sizeof ip, "10.1.0.%d", i);
		answer(&rec->dns[1], ANSWER_A, ip);
	}
	ck_assert_uint_eq(measure_addrs(rec, out, MEASURE_MAX_ADDRS),
	    2 * MEASURE_MAX_ADDRS);
	ck_assert_int_eq(out[MEASURE_MAX_ADDRS - 1].source, ROLE_PROBE);
	ck_assert_int_eq(out[MEASURE_MAX_ADDRS].source, ROLE_CONTROL);
	ck_assert_str_eq(out[MEASURE_MAX_ADDRS].ip, "10.1.0.0");
	record_free(rec);
}
END_TEST

/* --- cancelling queries -------------------------------------------- */

struct qcount {
	int	calls;
	int	destroyed;
};

static void
count_cb(const struct dns_reply *rep, void *arg)
{
	struct qcount	*c = arg;

	c->calls++;
	if (rep->status == ARES_EDESTRUCTION)
		c->destroyed++;
}

static const struct dns_opts test_opts = { 300, 0, NULL };

/* A UDP socket on loopback that never answers; its "ADDR:PORT" in spec. */
static int
silent_server(char *spec, size_t len)
{
	struct sockaddr_in	sin;
	socklen_t		slen = sizeof sin;
	int			fd;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
	snprintf(spec, len, "127.0.0.1:%d", ntohs(sin.sin_port));
	return fd;
}

/* A cancelled query is never called back: one waiting in line is freed
 * at once, a sent one when c-ares gives up on it. */
START_TEST(dns_cancel_queries)
{
	struct event_base	*base;
	struct dns_resolver	*r;
	struct dns_q		*q[DNS_MAX_ACTIVE + 10];
	struct qcount		 c = { 0, 0 };
	char			 spec[64];
	size_t			 i, n = DNS_MAX_ACTIVE + 10, guard;
	int			 fd;

	fd = silent_server(spec, sizeof spec);
	base = event_base_new();
	r = dns_resolver_new(base, spec, &test_opts);
	ck_assert_ptr_nonnull(r);
	for (i = 0; i < n; i++)
		q[i] = dns_query(r, "cancel.example", DNS_TYPE_A, count_cb, &c);
	ck_assert_uint_eq(dns_resolver_pending(r), n);
	/* The last ten wait in line: gone at once. */
	for (i = DNS_MAX_ACTIVE; i < n; i++)
		dns_cancel(q[i]);
	ck_assert_uint_eq(dns_resolver_pending(r), DNS_MAX_ACTIVE);
	/* Five sent ones: c-ares still holds them. */
	for (i = 0; i < 5; i++)
		dns_cancel(q[i]);
	for (guard = 0; dns_resolver_pending(r) > 0 && guard < 100000;
	    guard++)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_uint_eq(dns_resolver_pending(r), 0);
	ck_assert_int_eq(c.calls, DNS_MAX_ACTIVE - 5);
	dns_resolver_free(r);
	ck_assert_int_eq(c.calls, DNS_MAX_ACTIVE - 5);

	/* Freeing the resolver calls back every query, queued ones too. */
	memset(&c, 0, sizeof c);
	r = dns_resolver_new(base, spec, &test_opts);
	for (i = 0; i < DNS_MAX_ACTIVE + 3; i++)
		dns_query(r, "free.example", DNS_TYPE_A, count_cb, &c);
	dns_resolver_free(r);
	ck_assert_int_eq(c.calls, DNS_MAX_ACTIVE + 3);
	ck_assert_int_eq(c.destroyed, DNS_MAX_ACTIVE + 3);
	event_base_free(base);
	close(fd);
}
END_TEST

static Suite *
engine_suite(void)
{
	Suite	*s = suite_create("engine");
	TCase	*tc;

	tc = tcase_create("dns");
	tcase_add_test(tc, spec_forms);
	tcase_add_test(tc, spec_bad);
	tcase_add_test(tc, spec_urls);
	tcase_add_test(tc, reply_a_with_cname_chain);
	tcase_add_test(tc, reply_aaaa);
	tcase_add_test(tc, reply_rcodes);
	tcase_add_test(tc, reply_only_other_types);
	tcase_add_test(tc, reply_no_reply);
	tcase_add_test(tc, reply_hostile);
	tcase_add_test(tc, reply_many_addresses_bounded);
	tcase_add_test(tc, dns_cancel_queries);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_add_test(tc, errno_failures);
	tcase_add_test(tc, verify_failures);
	tcase_add_test(tc, handshake_failures);
	suite_add_tcase(s, tc);

	tc = tcase_create("addresses");
	tcase_add_test(tc, addrs_dedupe);
	tcase_add_test(tc, addrs_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(engine_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
