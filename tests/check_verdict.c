/*
 * verdict_decide() and ica_load_dir(), table-driven.  Each case is a
 * record written in a compact language (one statement per ';'):
 *
 *   dns P|C RESOLVER A|AAAA FAILURE [ADDR...]
 *   tcp P|C ADDR FAILURE
 *   tls P|C ADDR SNI|- FAILURE [T] [S] [v=verify_error] [CERT...]
 *
 * FAILURE is "ok" or an alias below (or a df-007 string as is); P/C is
 * the role of the resolver or the source of the address; T = trusted by
 * the reference store, S = trusted by the system store; CERT names an
 * entry of the certificate table (leaf first).
 */
#include <sys/stat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cert.h"
#include "record.h"
#include "util.h"
#include "verdict.h"
#include "xmalloc.h"

#define FB	"www.facebook.com"
#define QAZNET	"CN=Qaznet Trust Network,C=KZ"
#define ISCA	"C=KZ,O=ISCA,CN=Information Security Certification Authority"
#define DIGI	"CN=DigiCert SHA2 High Assurance Server CA,O=DigiCert Inc,C=US"
#define DIGIROOT "CN=DigiCert High Assurance EV Root CA,OU=www.digicert.com,O=DigiCert Inc,C=US"
#define EVIL	"CN=Corp Proxy CA,O=Evil Corp"

static const struct {
	const char	*alias, *failure;
} aliases[] = {
	{ "nx", "dns_nxdomain_error" },
	{ "servfail", "dns_servfail_error" },
	{ "refused", "dns_refused_error" },
	{ "noans", "dns_no_answer" },
	{ "garbled", "dns_server_misbehaving" },
	{ "timeout", "generic_timeout_error" },
	{ "crefused", "connection_refused" },
	{ "reset", "connection_reset" },
	{ "eof", "eof_error" },
	{ "unknown_ca", "ssl_unknown_authority" },
	{ "badhost", "ssl_invalid_hostname" },
	{ "badcert", "ssl_invalid_certificate" },
	{ "hsfail", "ssl_failed_handshake" },
	{ "netunreach", "network_unreachable" },
	{ "hostunreach", "host_unreachable" },
};

/* Certificates: DER and SPKI hashes are SHA-256 of "der:NAME", "key:KEY". */
static const struct {
	const char	*name, *subject, *issuer, *der, *key;
} certs[] = {
	{ "fb", "CN=*.facebook.com", DIGI, "fb", "fbkey" },
	{ "fb-renewed", "CN=*.facebook.com", DIGI, "fb-renewed", "fbkey" },
	{ "fb-edge2", "CN=*.facebook.com", DIGI, "fb-edge2", "fbkey2" },
	{ "fb-expired", "CN=*.facebook.com", DIGI, "fb-expired", "fbkeyold" },
	{ "digi", DIGI, DIGIROOT, "digi", "digikey" },
	{ "kzleaf", "CN=*.facebook.com", QAZNET, "kzleaf", "mitmkey" },
	{ "kzroot", QAZNET, QAZNET, "kzroot", "kzkey" },
	{ "kzroot-reissued", QAZNET, QAZNET, "kzroot2", "kzkey" },
	{ "kzroot-rogue", QAZNET, QAZNET, "rogue", "roguekey" },
	{ "iscaleaf", "CN=*.facebook.com", ISCA, "iscaleaf", "mitmkey2" },
	{ "evilleaf", "CN=*.facebook.com", EVIL, "evilleaf", "evilkey" },
	{ "evilroot", EVIL, EVIL, "evilroot", "evilrootkey" },
	{ "selfsigned", "CN=*.facebook.com", "CN=*.facebook.com", "self",
	    "selfkey" },
	{ "blockpage", "CN=blocked.example", "CN=blocked.example", "bp",
	    "bpkey" },
	{ "example", "CN=www.example.org", DIGI, "example", "exkey" },
	{ "cf", "CN=one.one.one.one", DIGI, "cf", "cfkey" },
	{ "hostile", "CN=x\nInjected line", "CN=Evil\r\nRoot\t\001", "hostile",
	    "hostilekey" },
};

static void
hexhash(const char *prefix, const char *s, char out[65])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	len = 0;
	char		buf[256];

	snprintf(buf, sizeof buf, "%s:%s", prefix, s);
	ck_assert(EVP_Digest(buf, strlen(buf), md, &len, EVP_sha256(),
	    NULL) == 1);
	util_hex(md, 32, out);
}

/* The known roots of the table-driven cases (the real ones come later). */
static struct ica test_cas[2];

static void
test_cas_init(void)
{
	memset(test_cas, 0, sizeof test_cas);
	hexhash("der", "kzroot", test_cas[0].sha256);
	hexhash("key", "kzkey", test_cas[0].spki_sha256);
	test_cas[0].subject = (char *)QAZNET;
	hexhash("der", "iscaroot", test_cas[1].sha256);
	hexhash("key", "iscakey", test_cas[1].spki_sha256);
	test_cas[1].subject = (char *)ISCA;
}

/* --- building records -------------------------------------------------- */

static char *
failure_of(const char *tok)
{
	size_t	i;

	ck_assert_ptr_nonnull(tok);
	if (strcmp(tok, "ok") == 0)
		return NULL;
	for (i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
		if (strcmp(tok, aliases[i].alias) == 0)
			return xstrdup(aliases[i].failure);
	}
	return xstrdup(tok);
}

static enum rec_role
role_of(const char *tok)
{
	ck_assert_ptr_nonnull(tok);
	ck_assert_msg(strcmp(tok, "P") == 0 || strcmp(tok, "C") == 0,
	    "bad role %s", tok);
	return tok[0] == 'C' ? ROLE_CONTROL : ROLE_PROBE;
}

static void
add_cert(struct rec_tls *t, const char *name)
{
	struct rec_cert	*c;
	size_t		 i;

	for (i = 0; i < sizeof certs / sizeof certs[0]; i++) {
		if (strcmp(certs[i].name, name) == 0)
			break;
	}
	ck_assert_msg(i < sizeof certs / sizeof certs[0], "no cert %s", name);
	t->chain = xreallocarray(t->chain, t->n_chain + 1, sizeof *t->chain);
	c = &t->chain[t->n_chain++];
	memset(c, 0, sizeof *c);
	c->subject = xstrdup(certs[i].subject);
	c->issuer = xstrdup(certs[i].issuer);
	hexhash("der", certs[i].der, c->sha256);
	hexhash("key", certs[i].key, c->spki_sha256);
}

static void
build_dns(struct record *r, char **save)
{
	struct rec_dns		*d;
	struct rec_answer	*a;
	char			*tok;

	r->dns = xreallocarray(r->dns, r->n_dns + 1, sizeof *r->dns);
	d = &r->dns[r->n_dns++];
	memset(d, 0, sizeof *d);
	d->role = role_of(strtok_r(NULL, " ", save));
	d->resolver = xstrdup(strtok_r(NULL, " ", save));
	tok = strtok_r(NULL, " ", save);
	ck_assert_ptr_nonnull(tok);
	d->query_type = strcmp(tok, "AAAA") == 0 ? 28 : 1;
	d->failure = failure_of(strtok_r(NULL, " ", save));
	d->rcode = xstrdup(d->failure == NULL ? "NOERROR" : "SERVFAIL");
	while ((tok = strtok_r(NULL, " ", save)) != NULL) {
		d->answers = xreallocarray(d->answers, d->n_answers + 1,
		    sizeof *d->answers);
		a = &d->answers[d->n_answers++];
		a->type = d->query_type == 28 ? ANSWER_AAAA : ANSWER_A;
		a->value = xstrdup(tok);
		a->ttl = 300;
	}
}

static void
build_tcp(struct record *r, char **save)
{
	struct rec_tcp	*p;

	r->tcp = xreallocarray(r->tcp, r->n_tcp + 1, sizeof *r->tcp);
	p = &r->tcp[r->n_tcp++];
	memset(p, 0, sizeof *p);
	p->source = role_of(strtok_r(NULL, " ", save));
	p->ip = xstrdup(strtok_r(NULL, " ", save));
	p->port = 443;
	p->failure = failure_of(strtok_r(NULL, " ", save));
}

static void
build_tls(struct record *r, char **save)
{
	struct rec_tls	*t;
	char		*tok, *s;

	r->tls = xreallocarray(r->tls, r->n_tls + 1, sizeof *r->tls);
	t = &r->tls[r->n_tls++];
	memset(t, 0, sizeof *t);
	t->source = role_of(strtok_r(NULL, " ", save));
	t->ip = xstrdup(strtok_r(NULL, " ", save));
	t->port = 443;
	tok = strtok_r(NULL, " ", save);
	ck_assert_ptr_nonnull(tok);
	t->sni = strcmp(tok, "-") == 0 ? NULL : xstrdup(tok);
	t->failure = failure_of(strtok_r(NULL, " ", save));
	while ((tok = strtok_r(NULL, " ", save)) != NULL) {
		if (strcmp(tok, "T") == 0)
			t->trusted = 1;
		else if (strcmp(tok, "S") == 0)
			t->trusted_by_system = 1;
		else if (strncmp(tok, "v=", 2) == 0) {
			t->verify_error = xstrdup(tok + 2);
			for (s = t->verify_error; *s != '\0'; s++) {
				if (*s == '_')
					*s = ' ';
			}
		} else
			add_cert(t, tok);
	}
	if (t->n_chain > 0 && t->failure == NULL)
		t->version = xstrdup("TLSv1.3");
}

static struct record *
build(const char *host, const char *spec)
{
	struct record	*r;
	char		*copy, *stmt, *save1, *save2, *kind;

	r = xcalloc(1, sizeof *r);
	r->target.host = xstrdup(host);
	r->target.input = xstrdup(host);
	r->target.port = 443;
	copy = xstrdup(spec);
	for (stmt = strtok_r(copy, ";", &save1); stmt != NULL;
	    stmt = strtok_r(NULL, ";", &save1)) {
		if ((kind = strtok_r(stmt, " ", &save2)) == NULL)
			continue;
		if (strcmp(kind, "dns") == 0)
			build_dns(r, &save2);
		else if (strcmp(kind, "tcp") == 0)
			build_tcp(r, &save2);
		else if (strcmp(kind, "tls") == 0)
			build_tls(r, &save2);
		else
			ck_abort_msg("bad statement %s", kind);
	}
	free(copy);
	return r;
}

static void
unbuild(struct record *r)
{
	size_t	i, j;

	for (i = 0; i < r->n_dns; i++) {
		free(r->dns[i].resolver);
		free(r->dns[i].failure);
		free(r->dns[i].rcode);
		for (j = 0; j < r->dns[i].n_answers; j++)
			free(r->dns[i].answers[j].value);
		free(r->dns[i].answers);
	}
	free(r->dns);
	for (i = 0; i < r->n_tcp; i++) {
		free(r->tcp[i].ip);
		free(r->tcp[i].failure);
	}
	free(r->tcp);
	for (i = 0; i < r->n_tls; i++) {
		free(r->tls[i].ip);
		free(r->tls[i].sni);
		free(r->tls[i].failure);
		free(r->tls[i].version);
		free(r->tls[i].verify_error);
		for (j = 0; j < r->tls[i].n_chain; j++)
			cert_clear(&r->tls[i].chain[j]);
		free(r->tls[i].chain);
	}
	free(r->tls);
	free(r->target.host);
	free(r->target.input);
	free(r->verdict.interception_ca);
	free(r->verdict.detail);
	free(r);
}

/* --- the table --------------------------------------------------------- */

#define P_OK	"dns P system A ok 157.240.1.35;"
#define C_OK	"dns C 1.1.1.1:53 A ok 157.240.1.35;"
#define TCP_OK	"tcp P 157.240.1.35 ok;"
#define TLS_OK	"tls P 157.240.1.35 " FB " ok T fb digi;"
#define CTL_TLS	"tcp C 157.240.1.35 ok; tls C 157.240.1.35 " FB " ok T fb digi;"

struct vcase {
	const char		*name;
	const char		*host;
	const char		*spec;
	enum verdict_status	 status;
	enum verdict_method	 method;
	const char		*ca;		/* expected interception_ca */
	const char		*detail;	/* a substring of detail */
};

static const struct vcase cases[] = {
	/* ok: consistent DNS, trusted handshake; genuine sites never flagged */
	{ "ok", FB, P_OK C_OK TCP_OK TLS_OK,
	    STATUS_OK, METHOD_NONE, NULL, "trusted" },
	{ "ok without a control resolver", FB, P_OK TCP_OK TLS_OK,
	    STATUS_OK, METHOD_NONE, NULL, FB },
	{ "ok: CDN gives other addresses, trusted there", FB,
	    "dns P system A ok 31.13.72.36; " C_OK
	    "tcp P 31.13.72.36 ok; tls P 31.13.72.36 " FB " ok T fb-edge2 digi",
	    STATUS_OK, METHOD_NONE, NULL, "31.13.72.36" },
	{ "ok: bogon answer leading to a trusted handshake (intranet, lab)",
	    FB, "dns P system A ok 10.0.0.5; " C_OK
	    "tcp P 10.0.0.5 ok; tls P 10.0.0.5 " FB " ok T fb digi",
	    STATUS_OK, METHOD_NONE, NULL, NULL },
	{ "ok: bogon answer, trusted handshake, no control", FB,
	    "dns P system A ok 127.0.0.1; tcp P 127.0.0.1 ok;"
	    "tls P 127.0.0.1 " FB " ok T fb digi",
	    STATUS_OK, METHOD_NONE, NULL, NULL },
	{ "ok: AAAA has no answer, A resolves", FB,
	    P_OK "dns P system AAAA noans;" C_OK TCP_OK TLS_OK,
	    STATUS_OK, METHOD_NONE, NULL, NULL },
	{ "ok: AAAA times out, A resolves", FB,
	    P_OK "dns P system AAAA timeout;" C_OK TCP_OK TLS_OK,
	    STATUS_OK, METHOD_NONE, NULL, NULL },
	{ "ok: no IPv6 route, IPv4 works", FB,
	    P_OK "dns P system AAAA ok 2a03:2880:f12f:83:face:b00c::25de;"
	    C_OK "tcp P 2a03:2880:f12f:83:face:b00c::25de netunreach;"
	    TCP_OK TLS_OK, STATUS_OK, METHOD_NONE, NULL, NULL },
	{ "ok: one address times out, another works", FB,
	    "dns P system A ok 157.240.1.35 157.240.1.36;" C_OK
	    "tcp P 157.240.1.36 timeout;" TCP_OK TLS_OK,
	    STATUS_OK, METHOD_NONE, NULL, NULL },
	{ "ok: IPv6 control overlap written differently", FB,
	    "dns P system AAAA ok 2a03:2880:0:0::25de;"
	    "dns C 1.1.1.1:53 AAAA ok 2a03:2880::25de;"
	    "tcp P 2a03:2880:0:0::25de ok;"
	    "tls P 2a03:2880:0:0::25de " FB " ok T fb digi",
	    STATUS_OK, METHOD_NONE, NULL, NULL },
	{ "ok: IP literal target, no DNS, no SNI", "1.1.1.1",
	    "tcp P 1.1.1.1 ok; tls P 1.1.1.1 - ok T cf digi",
	    STATUS_OK, METHOD_NONE, NULL, "1.1.1.1" },
	{ "ok: IPv6 literal target", "2606:4700:4700::1111",
	    "tcp P 2606:4700:4700::1111 ok; tls P 2606:4700:4700::1111 - ok "
	    "T cf digi", STATUS_OK, METHOD_NONE, NULL, NULL },
	{ "genuine: control saw another (trusted) key", FB,
	    "dns P system A ok 31.13.72.36;" C_OK
	    "tcp P 31.13.72.36 ok; tls P 31.13.72.36 " FB " ok T fb-edge2 digi;"
	    CTL_TLS, STATUS_OK, METHOD_NONE, NULL, NULL },
	{ "genuine: renewed certificate, same key", FB,
	    P_OK C_OK TCP_OK "tls P 157.240.1.35 " FB " ok T fb-renewed digi;"
	    "tcp C 157.240.1.36 ok; tls C 157.240.1.36 " FB " ok T fb digi",
	    STATUS_OK, METHOD_NONE, NULL, NULL },
	{ "genuine: expired edge from the site's own CA is no interception",
	    FB, "dns P system A ok 31.13.72.36 157.240.1.35;" C_OK
	    "tcp P 31.13.72.36 ok; tls P 31.13.72.36 " FB " badcert "
	    "v=certificate_has_expired fb-expired digi;" TCP_OK TLS_OK,
	    STATUS_OK, METHOD_NONE, NULL, NULL },
	{ "genuine: also trusted by the system store", FB,
	    P_OK C_OK TCP_OK "tls P 157.240.1.35 " FB " ok T S fb digi",
	    STATUS_OK, METHOD_NONE, NULL, NULL },
	{ "genuine: SNI compared without case and final dot", FB,
	    P_OK C_OK TCP_OK "tls P 157.240.1.35 WWW.Facebook.COM. ok T fb",
	    STATUS_OK, METHOD_NONE, NULL, NULL },
	{ "genuine: presents a known root but the chain is trusted", FB,
	    P_OK C_OK TCP_OK "tls P 157.240.1.35 " FB " ok T fb digi kzroot",
	    STATUS_OK, METHOD_NONE, NULL, NULL },
	{ "ok: a probe resolver that cannot be reached is skipped", FB,
	    "dns P 192.0.2.53:53 A netunreach;" P_OK C_OK TCP_OK TLS_OK,
	    STATUS_OK, METHOD_NONE, NULL, NULL },
	{ "ok: control says NXDOMAIN but the probe reached a trusted server",
	    FB, P_OK "dns C 1.1.1.1:53 A nx;" TCP_OK TLS_OK,
	    STATUS_OK, METHOD_NONE, NULL, NULL },

	/* intercepted (a): fingerprint, SPKI, issuer name */
	{ "intercepted: known root presented (DER fingerprint)", FB,
	    P_OK C_OK TCP_OK "tls P 157.240.1.35 " FB " unknown_ca "
	    "v=self-signed_certificate_in_certificate_chain kzleaf kzroot",
	    STATUS_INTERCEPTED, METHOD_TLS_MITM, QAZNET, "presented" },
	{ "intercepted: re-issued known root (SPKI fingerprint)", FB,
	    P_OK C_OK TCP_OK "tls P 157.240.1.35 " FB " unknown_ca "
	    "evilleaf kzroot-reissued",
	    STATUS_INTERCEPTED, METHOD_TLS_MITM, QAZNET,
	    "known interception root" },
	{ "intercepted: issuer name only (root not sent)", FB,
	    P_OK C_OK TCP_OK "tls P 157.240.1.35 " FB " unknown_ca kzleaf",
	    STATUS_INTERCEPTED, METHOD_TLS_MITM, QAZNET,
	    "TLS to " FB " was intercepted: the certificate chains to '"
	    QAZNET "', a known interception root." },
	{ "intercepted: rogue root with the Qaznet name", FB,
	    P_OK TCP_OK "tls P 157.240.1.35 " FB " unknown_ca kzleaf "
	    "kzroot-rogue", STATUS_INTERCEPTED, METHOD_TLS_MITM, QAZNET,
	    "chains to" },
	{ "intercepted: second known root by name", FB,
	    P_OK TCP_OK "tls P 157.240.1.35 " FB " unknown_ca iscaleaf",
	    STATUS_INTERCEPTED, METHOD_TLS_MITM, ISCA, NULL },
	{ "intercepted: failure left null by the engine", FB,
	    P_OK TCP_OK "tls P 157.240.1.35 " FB " ok kzleaf",
	    STATUS_INTERCEPTED, METHOD_TLS_MITM, QAZNET, NULL },
	{ "intercepted: known root installed in the system store", FB,
	    P_OK TCP_OK "tls P 157.240.1.35 " FB " unknown_ca S kzleaf",
	    STATUS_INTERCEPTED, METHOD_TLS_MITM, QAZNET, "system store" },
	/* (b) system store trusts, reference does not */
	{ "intercepted: trusted_by_system but not trusted", FB,
	    P_OK C_OK TCP_OK "tls P 157.240.1.35 " FB " unknown_ca S "
	    "evilleaf evilroot", STATUS_INTERCEPTED, METHOD_TLS_MITM, EVIL,
	    "system store trusts but the reference store does not" },
	{ "anomaly: system store trusts a certificate for another name", FB,
	    P_OK TCP_OK "tls P 157.240.1.35 " FB " badhost S "
	    "v=hostname_mismatch example digi", STATUS_ANOMALY, METHOD_NONE,
	    NULL, "hostname mismatch" },
	/* (c) leaf key differs from the control's */
	{ "intercepted: leaf key differs from the control's", FB,
	    "dns P system A ok 127.0.0.2; dns C 1.1.1.1:53 A ok 127.0.0.3;"
	    "tcp P 127.0.0.2 ok; tls P 127.0.0.2 " FB " unknown_ca evilleaf;"
	    "tcp C 127.0.0.3 ok; tls C 127.0.0.3 " FB " ok T fb digi",
	    STATUS_INTERCEPTED, METHOD_TLS_MITM, EVIL, "differs" },
	{ "intercepted: forged certificate behind a bogon answer", FB,
	    "dns P system A ok 10.10.34.35;" C_OK
	    "tcp P 10.10.34.35 ok; tls P 10.10.34.35 " FB " unknown_ca "
	    "blockpage;" CTL_TLS, STATUS_INTERCEPTED, METHOD_TLS_MITM,
	    "CN=blocked.example", "10.10.34.35" },
	{ "anomaly: on-path proxy also at the control's address (no control "
	    "key)", FB, P_OK C_OK TCP_OK "tls P 157.240.1.35 " FB
	    " unknown_ca v=unable_to_get_local_issuer_certificate evilleaf",
	    STATUS_ANOMALY, METHOD_NONE, NULL,
	    "unable to get local issuer certificate" },
	{ "intercepted: on one address, trusted on another", FB,
	    "dns P system A ok 157.240.1.35 157.240.1.36;" C_OK TCP_OK TLS_OK
	    "tcp P 157.240.1.36 ok; tls P 157.240.1.36 " FB " unknown_ca "
	    "kzleaf", STATUS_INTERCEPTED, METHOD_TLS_MITM, QAZNET, NULL },
	{ "intercepted: beats a DNS failure on another resolver", FB,
	    "dns P 9.9.9.9:53 A nx;" P_OK C_OK TCP_OK "tls P 157.240.1.35 "
	    FB " unknown_ca kzleaf", STATUS_INTERCEPTED, METHOD_TLS_MITM,
	    QAZNET, NULL },
	{ "intercepted: IP literal target, no SNI", "1.1.1.1",
	    "tcp P 1.1.1.1 ok; tls P 1.1.1.1 - unknown_ca kzleaf",
	    STATUS_INTERCEPTED, METHOD_TLS_MITM, QAZNET, NULL },
	{ "not intercepted: the control-SNI retry's chain is not examined",
	    FB, P_OK C_OK TCP_OK "tls P 157.240.1.35 " FB " reset;"
	    "tls P 157.240.1.35 example.org unknown_ca kzleaf",
	    STATUS_BLOCKED, METHOD_TLS_SNI, NULL, "example.org" },
	{ "anomaly: no known roots loaded, no control", FB,
	    P_OK TCP_OK "tls P 157.240.1.35 " FB " unknown_ca "
	    "v=unable_to_get_local_issuer_certificate kzleaf",
	    STATUS_ANOMALY, METHOD_NONE, NULL, "not trusted" },

	/* anomaly: untrusted with no sign of interception */
	{ "anomaly: self-signed by the site", FB,
	    P_OK TCP_OK "tls P 157.240.1.35 " FB " unknown_ca "
	    "v=self-signed_certificate selfsigned",
	    STATUS_ANOMALY, METHOD_NONE, NULL, "(self-signed certificate)" },
	{ "anomaly: expired certificate", FB,
	    P_OK C_OK TCP_OK "tls P 157.240.1.35 " FB " badcert "
	    "v=certificate_has_expired fb-expired digi",
	    STATUS_ANOMALY, METHOD_NONE, NULL, "certificate has expired" },

	/* DNS blocked: the control resolver answered */
	{ "blocked: NXDOMAIN", FB, "dns P system A nx;" C_OK CTL_TLS,
	    STATUS_BLOCKED, METHOD_DNS_NXDOMAIN, NULL, "NXDOMAIN" },
	{ "blocked: NXDOMAIN for A and AAAA", FB,
	    "dns P system A nx; dns P system AAAA nx;" C_OK,
	    STATUS_BLOCKED, METHOD_DNS_NXDOMAIN, NULL, NULL },
	{ "blocked: the most telling failure of A and AAAA", FB,
	    "dns P system A timeout; dns P system AAAA nx;" C_OK,
	    STATUS_BLOCKED, METHOD_DNS_NXDOMAIN, NULL, NULL },
	{ "blocked: SERVFAIL", FB, "dns P system A servfail;" C_OK,
	    STATUS_BLOCKED, METHOD_DNS_SERVFAIL, NULL, "SERVFAIL" },
	{ "blocked: REFUSED", FB, "dns P system A refused;" C_OK,
	    STATUS_BLOCKED, METHOD_DNS_REFUSED, NULL, "REFUSED" },
	{ "blocked: timeout", FB, "dns P system A timeout;" C_OK,
	    STATUS_BLOCKED, METHOD_DNS_TIMEOUT, NULL, "in time" },
	{ "blocked: a garbled reply while the control resolved", FB,
	    "dns P system A garbled;" C_OK,
	    STATUS_BLOCKED, METHOD_DNS_INCONSISTENT, NULL, "no usable reply" },
	{ "anomaly: a garbled reply and no control", FB,
	    "dns P system A garbled",
	    STATUS_ANOMALY, METHOD_NONE, NULL, "dns_server_misbehaving" },
	{ "blocked: NOERROR without addresses", FB,
	    "dns P system A noans;" C_OK,
	    STATUS_BLOCKED, METHOD_DNS_INCONSISTENT, NULL, "no address" },
	{ "blocked: bogon answer (Iran-style 10.10.34.35)", FB,
	    "dns P system A ok 10.10.34.35;" C_OK "tcp P 10.10.34.35 timeout",
	    STATUS_BLOCKED, METHOD_DNS_BOGON, NULL, "10.10.34.35" },
	{ "blocked: bogon answer with an untrusted block page, no control "
	    "handshake", FB, "dns P system A ok 10.10.34.35;" C_OK
	    "tcp P 10.10.34.35 ok; tls P 10.10.34.35 " FB " unknown_ca "
	    "blockpage", STATUS_BLOCKED, METHOD_DNS_BOGON, NULL, NULL },
	{ "blocked: 0.0.0.0 answer", FB, "dns P system A ok 0.0.0.0;" C_OK,
	    STATUS_BLOCKED, METHOD_DNS_BOGON, NULL, "0.0.0.0" },
	{ "blocked: ::1 AAAA answer next to a correct A from the control",
	    FB, "dns P system AAAA ok ::1; dns P system A ok 127.0.0.1;" C_OK,
	    STATUS_BLOCKED, METHOD_DNS_BOGON, NULL, "::1" },
	{ "blocked: another public address", FB,
	    "dns P system A ok 93.158.134.3;" C_OK "tcp P 93.158.134.3 timeout",
	    STATUS_BLOCKED, METHOD_DNS_INCONSISTENT, NULL, "93.158.134.3" },
	{ "blocked: bogon on both sides is inconsistent, not bogon", FB,
	    "dns P system A ok 127.0.0.2; dns C 1.1.1.1:53 A ok 127.0.0.3;"
	    "tcp P 127.0.0.2 reset",
	    STATUS_BLOCKED, METHOD_DNS_INCONSISTENT, NULL, NULL },
	{ "blocked: one of two probe resolvers says NXDOMAIN", FB,
	    P_OK "dns P 9.9.9.9:53 A nx;" C_OK TCP_OK TLS_OK,
	    STATUS_BLOCKED, METHOD_DNS_NXDOMAIN, NULL, "9.9.9.9:53" },
	{ "blocked: one of two probe resolvers lies", FB,
	    "dns P 9.9.9.9:53 A ok 10.10.34.36;" P_OK C_OK TCP_OK TLS_OK,
	    STATUS_BLOCKED, METHOD_DNS_BOGON, NULL, "9.9.9.9:53" },
	{ "blocked: CDN address with SNI filtering is tls_sni", FB,
	    "dns P system A ok 31.13.72.36;" C_OK "tcp P 31.13.72.36 ok;"
	    "tls P 31.13.72.36 " FB " reset;"
	    "tls P 31.13.72.36 example.org badhost example digi",
	    STATUS_BLOCKED, METHOD_TLS_SNI, NULL, NULL },

	/* down: the control resolver fails the same way */
	{ "down: control NXDOMAIN too", FB,
	    "dns P system A nx; dns C 1.1.1.1:53 A nx",
	    STATUS_DOWN, METHOD_DNS_NXDOMAIN, NULL, "down" },
	{ "down: control SERVFAIL, probe timeout", FB,
	    "dns P system A timeout; dns C 1.1.1.1:53 A servfail",
	    STATUS_DOWN, METHOD_DNS_TIMEOUT, NULL, NULL },
	{ "down: control has no address either", FB,
	    "dns P system A nx; dns P system AAAA nx;"
	    "dns C 1.1.1.1:53 A noans; dns C 1.1.1.1:53 AAAA noans",
	    STATUS_DOWN, METHOD_DNS_NXDOMAIN, NULL, NULL },

	/* anomaly: DNS with no usable control */
	{ "anomaly: NXDOMAIN without control", FB, "dns P system A nx",
	    STATUS_ANOMALY, METHOD_DNS_NXDOMAIN, NULL, "no control" },
	{ "anomaly: NXDOMAIN, control timed out", FB,
	    "dns P system A nx; dns C 1.1.1.1:53 A timeout",
	    STATUS_ANOMALY, METHOD_DNS_NXDOMAIN, NULL, NULL },
	{ "anomaly: NXDOMAIN, control refused us", FB,
	    "dns P system A nx; dns C 1.1.1.1:53 A refused",
	    STATUS_ANOMALY, METHOD_DNS_NXDOMAIN, NULL, NULL },
	{ "anomaly: timeout without control", FB, "dns P system A timeout",
	    STATUS_ANOMALY, METHOD_DNS_TIMEOUT, NULL, NULL },
	{ "anomaly: bogon without control", FB,
	    "dns P system A ok 10.10.34.35; tcp P 10.10.34.35 timeout",
	    STATUS_ANOMALY, METHOD_DNS_BOGON, NULL, "10.10.34.35" },
	{ "anomaly: bogon when the control says NXDOMAIN", FB,
	    "dns P system A ok 192.168.0.1; dns C 1.1.1.1:53 A nx",
	    STATUS_ANOMALY, METHOD_DNS_BOGON, NULL, NULL },
	{ "anomaly: unknown DNS failure and no control", FB,
	    "dns P system A dns_bogus_answer",
	    STATUS_ANOMALY, METHOD_NONE, NULL, "dns_bogus_answer" },

	/* error: the probe could not measure */
	{ "error: resolver unreachable", FB, "dns P system A netunreach",
	    STATUS_ERROR, METHOD_NONE, NULL, "could not reach" },
	{ "error: resolver port closed (bad --resolver)", FB,
	    "dns P 127.0.0.1:5353 A crefused;" C_OK,
	    STATUS_ERROR, METHOD_NONE, NULL, "127.0.0.1:5353" },
	{ "error: every probe resolver unreachable", FB,
	    "dns P 192.0.2.1:53 A netunreach; dns P system A hostunreach",
	    STATUS_ERROR, METHOD_NONE, NULL, "any other" },
	{ "error: probe and control resolvers time out", FB,
	    "dns P system A timeout; dns P system AAAA timeout;"
	    "dns C 1.1.1.1:53 A timeout",
	    STATUS_ERROR, METHOD_NONE, NULL, "Neither" },
	{ "error: no route to any address", FB,
	    P_OK C_OK "tcp P 157.240.1.35 netunreach",
	    STATUS_ERROR, METHOD_NONE, NULL, "no route" },
	{ "error: nothing measured", FB, "",
	    STATUS_ERROR, METHOD_NONE, NULL, "nothing was measured" },
	{ "error: connected but no TLS recorded", FB, P_OK C_OK TCP_OK,
	    STATUS_ERROR, METHOD_NONE, NULL, NULL },

	/* TCP: no independent vantage, so anomalies */
	{ "anomaly: TCP refused everywhere", FB,
	    P_OK C_OK "tcp P 157.240.1.35 crefused",
	    STATUS_ANOMALY, METHOD_TCP_REFUSED, NULL, "every address" },
	{ "anomaly: TCP reset", FB, P_OK C_OK "tcp P 157.240.1.35 reset",
	    STATUS_ANOMALY, METHOD_TCP_RESET, NULL, NULL },
	{ "anomaly: TCP timeout (IPv6 unreachable beside)", FB,
	    P_OK "dns P system AAAA ok 2a03:2880::25de;" C_OK
	    "tcp P 2a03:2880::25de netunreach; tcp P 157.240.1.35 timeout",
	    STATUS_ANOMALY, METHOD_TCP_TIMEOUT, NULL, "generic_timeout_error" },
	{ "anomaly: the most frequent TCP failure", FB,
	    "dns P system A ok 157.240.1.35 157.240.1.36 157.240.1.37;" C_OK
	    "tcp P 157.240.1.35 crefused; tcp P 157.240.1.36 timeout;"
	    "tcp P 157.240.1.37 timeout",
	    STATUS_ANOMALY, METHOD_TCP_TIMEOUT, NULL, NULL },
	{ "anomaly: control's own address works, the probe's do not", FB,
	    "dns P system A ok 157.240.1.35 157.240.1.36;"
	    "dns C 1.1.1.1:53 A ok 157.240.1.35 157.240.1.99;"
	    "tcp P 157.240.1.35 timeout; tcp P 157.240.1.36 timeout;"
	    "tcp C 157.240.1.99 ok; tls C 157.240.1.99 " FB " ok T fb digi",
	    STATUS_ANOMALY, METHOD_TCP_TIMEOUT, NULL, NULL },

	/* TLS */
	{ "anomaly: TLS reset, no control SNI", FB,
	    P_OK C_OK TCP_OK "tls P 157.240.1.35 " FB " reset",
	    STATUS_ANOMALY, METHOD_TLS_RESET, NULL, "connection_reset" },
	{ "anomaly: TLS timeout", FB,
	    P_OK C_OK TCP_OK "tls P 157.240.1.35 " FB " timeout",
	    STATUS_ANOMALY, METHOD_TLS_TIMEOUT, NULL, NULL },
	{ "anomaly: TLS EOF", FB,
	    P_OK C_OK TCP_OK "tls P 157.240.1.35 " FB " eof",
	    STATUS_ANOMALY, METHOD_TLS_EOF, NULL, NULL },
	{ "anomaly: handshake alert", FB,
	    P_OK C_OK TCP_OK "tls P 157.240.1.35 " FB " hsfail",
	    STATUS_ANOMALY, METHOD_NONE, NULL, "ssl_failed_handshake" },
	{ "blocked: SNI reset, control SNI completes", FB,
	    P_OK C_OK TCP_OK "tls P 157.240.1.35 " FB " reset;"
	    "tls P 157.240.1.35 example.org badhost fb digi",
	    STATUS_BLOCKED, METHOD_TLS_SNI, NULL,
	    "with SNI example.org succeeded" },
	{ "blocked: SNI timeout, control SNI trusted for itself", FB,
	    P_OK C_OK TCP_OK "tls P 157.240.1.35 " FB " timeout;"
	    "tls P 157.240.1.35 example.org ok T example digi",
	    STATUS_BLOCKED, METHOD_TLS_SNI, NULL, "generic_timeout_error" },
	{ "blocked: SNI EOF", FB,
	    P_OK C_OK TCP_OK "tls P 157.240.1.35 " FB " eof;"
	    "tls P 157.240.1.35 example.org ok example",
	    STATUS_BLOCKED, METHOD_TLS_SNI, NULL, NULL },
	{ "anomaly: control SNI fails as well", FB,
	    P_OK C_OK TCP_OK "tls P 157.240.1.35 " FB " reset;"
	    "tls P 157.240.1.35 example.org reset",
	    STATUS_ANOMALY, METHOD_TLS_RESET, NULL, NULL },
	{ "anomaly: control SNI completed at another address only", FB,
	    "dns P system A ok 157.240.1.35 157.240.1.36;" C_OK TCP_OK
	    "tcp P 157.240.1.36 timeout;"
	    "tls P 157.240.1.35 " FB " reset;"
	    "tls P 157.240.1.36 example.org ok example",
	    STATUS_ANOMALY, METHOD_TLS_RESET, NULL, NULL },
	{ "blocked: IP literal, control SNI completes", "1.1.1.1",
	    "tcp P 1.1.1.1 ok; tls P 1.1.1.1 - reset;"
	    "tls P 1.1.1.1 example.org ok example",
	    STATUS_BLOCKED, METHOD_TLS_SNI, NULL, NULL },
	{ "anomaly: TLS failure beats TCP failure elsewhere", FB,
	    "dns P system A ok 157.240.1.35 157.240.1.36;" C_OK TCP_OK
	    "tcp P 157.240.1.36 timeout; tls P 157.240.1.35 " FB " reset",
	    STATUS_ANOMALY, METHOD_TLS_RESET, NULL, NULL },
};

static void
check_case(const struct vcase *c, const struct verdict_ctx *ctx)
{
	struct record	*r;
	const char	*m;

	r = build(c->host, c->spec);
	verdict_decide(r, ctx, &r->verdict);
	m = verdict_method_name(r->verdict.method);
	ck_assert_msg(r->verdict.status == c->status,
	    "%s: status %s, want %s (%s)", c->name,
	    verdict_status_name(r->verdict.status),
	    verdict_status_name(c->status), r->verdict.detail);
	ck_assert_msg(r->verdict.method == c->method,
	    "%s: method %s, want %s (%s)", c->name, m != NULL ? m : "null",
	    c->method == METHOD_NONE ? "null" :
	    verdict_method_name(c->method), r->verdict.detail);
	if (c->ca == NULL)
		ck_assert_msg(r->verdict.interception_ca == NULL,
		    "%s: interception_ca %s", c->name,
		    r->verdict.interception_ca);
	else
		ck_assert_msg(r->verdict.interception_ca != NULL &&
		    strcmp(r->verdict.interception_ca, c->ca) == 0,
		    "%s: interception_ca %s, want %s", c->name,
		    r->verdict.interception_ca != NULL ?
		    r->verdict.interception_ca : "null", c->ca);
	ck_assert_msg(r->verdict.detail != NULL && *r->verdict.detail != '\0',
	    "%s: no detail", c->name);
	ck_assert_msg(strchr(r->verdict.detail, '\n') == NULL, "%s: detail "
	    "has a newline", c->name);
	if (c->detail != NULL)
		ck_assert_msg(strstr(r->verdict.detail, c->detail) != NULL,
		    "%s: detail '%s' lacks '%s'", c->name, r->verdict.detail,
		    c->detail);
	unbuild(r);
}

START_TEST(test_table)
{
	struct verdict_ctx	ctx;

	test_cas_init();
	memset(&ctx, 0, sizeof ctx);
	ctx.cas = test_cas;
	ctx.control_sni = "example.org";
	/* Cases that need no known roots are named so. */
	if (strstr(cases[_i].name, "no known roots") != NULL)
		ctx.n_cas = 0;
	else
		ctx.n_cas = 2;
	check_case(&cases[_i], &ctx);
}
END_TEST

/* --- bogon ranges through the public function -------------------------- */

static const char *bogons[] = {
	"0.0.0.0", "0.1.2.3", "10.1.2.3", "100.64.0.1", "100.127.255.254",
	"127.0.0.1", "127.255.255.255", "169.254.1.1", "172.16.0.1",
	"172.31.255.255", "192.168.1.1", "192.0.0.8", "192.0.2.1",
	"198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.9",
	"224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
	"::", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "febf::1",
	"ff02::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1", "::ffff:100.64.1.1",
	"64:ff9b::a00:1", "64:ff9b::7f00:1", "2001:db8::1", "3fff::1",
	"2002:a00:1::1", "100::1", "::10.0.0.1", "not-an-address", "",
};

static const char *publics[] = {
	"1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.0",
	"172.15.255.255", "172.32.0.0", "169.253.255.255", "198.17.255.255",
	"198.20.0.0", "223.255.255.255", "157.240.1.36",
	"2a03:2880:f12f:83:face:b00c::25de", "2001:4860:4860::8888",
	"::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
};

static void
check_range(const char *addr, enum verdict_method want)
{
	struct verdict_ctx	 ctx;
	struct record		*r;
	char			 spec[256];

	snprintf(spec, sizeof spec, "dns P system %s ok %s;" C_OK,
	    strchr(addr, ':') != NULL ? "AAAA" : "A", *addr != '\0' ? addr :
	    "placeholder");
	memset(&ctx, 0, sizeof ctx);
	r = build(FB, spec);
	if (*addr == '\0') {
		/* An empty answer value still counts as an answer. */
		free(r->dns[0].answers[0].value);
		r->dns[0].answers[0].value = xstrdup("");
	}
	verdict_decide(r, &ctx, &r->verdict);
	ck_assert_msg(r->verdict.status == STATUS_BLOCKED &&
	    r->verdict.method == want, "%s: %s %s", addr,
	    verdict_status_name(r->verdict.status), r->verdict.detail);
	unbuild(r);
}

START_TEST(test_bogon)
{
	check_range(bogons[_i], METHOD_DNS_BOGON);
}
END_TEST

START_TEST(test_public)
{
	check_range(publics[_i], METHOD_DNS_INCONSISTENT);
}
END_TEST

/* Certificate names are hostile: the detail stays one printable line. */
START_TEST(test_hostile_names)
{
	struct verdict_ctx	 ctx;
	struct record		*r;
	size_t			 i;
	char			*s;

	memset(&ctx, 0, sizeof ctx);
	r = build(FB, P_OK TCP_OK "tls P 157.240.1.35 " FB
	    " unknown_ca S hostile");
	verdict_decide(r, &ctx, &r->verdict);
	ck_assert_int_eq(r->verdict.status, STATUS_INTERCEPTED);
	ck_assert_str_eq(r->verdict.interception_ca, "CN=Evil\r\nRoot\t\001");
	for (s = r->verdict.detail; *s != '\0'; s++)
		ck_assert_msg((unsigned char)*s >= 0x20, "control byte");
	unbuild(r);

	/* A huge issuer name is cut, on a UTF-8 boundary. */
	r = build(FB, P_OK TCP_OK "tls P 157.240.1.35 " FB
	    " unknown_ca S evilleaf");
	free(r->tls[0].chain[0].issuer);
	s = xmalloc(20001);
	for (i = 0; i < 20000; i += 2)
		memcpy(s + i, "\xc3\xa9", 2);	/* é */
	s[20000] = '\0';
	r->tls[0].chain[0].issuer = s;
	verdict_decide(r, &ctx, &r->verdict);
	ck_assert_int_eq(r->verdict.status, STATUS_INTERCEPTED);
	ck_assert_uint_lt(strlen(r->verdict.detail), 1024);
	ck_assert_ptr_nonnull(strstr(r->verdict.detail, "\xc3\xa9..."));
	ck_assert_str_eq(r->verdict.interception_ca, s);
	unbuild(r);
}
END_TEST

/* A record without target host or ctx at all does not crash. */
START_TEST(test_degenerate)
{
	struct record		*r;

	r = build(FB, "tls P 157.240.1.35 " FB " unknown_ca kzleaf;"
	    "tls P 157.240.1.35 " FB " ok T;");
	free(r->target.host);
	r->target.host = NULL;
	verdict_decide(r, NULL, &r->verdict);
	/* Without a host no handshake is the target's; nothing to judge. */
	ck_assert_int_eq(r->verdict.status, STATUS_ERROR);
	ck_assert_ptr_nonnull(r->verdict.detail);
	unbuild(r);
}
END_TEST

/* --- the real interception roots --------------------------------------- */

static const char *
icadir(void)
{
	static char	path[4096];
	const char	*top = getenv("top_srcdir");

	snprintf(path, sizeof path, "%s/targets/interception-cas",
	    top != NULL ? top : NJ_SRCDIR);
	return path;
}

static X509 *
read_pem(const char *path)
{
	FILE	*f;
	X509	*x;

	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s", path);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(x);
	return x;
}

START_TEST(test_ica_real)
{
	static const struct {
		const char	*sha256, *subject;
	} want[] = {
		{ "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2",
		    QAZNET },
		{ "0230a604d99220e5612ee7862ab9f7a6e18e4f1ac4c9e27075788cc5220169ab",
		    "CN=Information Security Certification Authority,"
		    "O=ISCA,L=Nur-Sultan,ST=Nur-Sultan,C=KZ" },
		{ "06fd20629c143b9eab28d2799caefc5d23fde267d16c631e3f5b8b4bab3f68e6",
		    ISCA },
		{ "0bd39de4793cdc117138f47708aa4d583acf67adb059a0d91f668d1803bf6489",
		    ISCA },
		{ "1df696f021ab1c3ace9a376b07ed7256a40214cd3396d7934087614924e2d7ef",
		    ISCA },
		{ "235150de7df7db2e538d461bc4d210c4e0819be2c4c76969476e3cbe67b723dd",
		    ISCA },
		{ "61c0fc2e38b5b6f9071b42cee54a9013d858b6697c68b460948551b3249576a1",
		    ISCA " CA" },
		{ "89107c8e50e029b7b5f4ff0ccd2956bcc9d0c8ba2bfb6a58374ed63a6b034a30",
		    ISCA },
		{ "c530fadc9bfa265e63b755cc6ee04c2d70d60bb916ce2f331dc7359362571b25",
		    ISCA },
		{ "c95c133b68319ee516b5f41e377f589878af1556567cc2834ef03b1d10830fd3",
		    ISCA },
	};
	struct ica	*cas;
	size_t		 n, i;

	ck_assert_int_eq(ica_load_dir(icadir(), &cas, &n), 0);
	/* The ten Kazakh roots browsers block: 2019, 2020, 2021, 2024. */
	ck_assert_uint_eq(n, sizeof want / sizeof want[0]);
	/* Sorted by file name, and each file is named by its DER's SHA-256. */
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(cas[i].sha256, want[i].sha256);
		ck_assert_str_eq(cas[i].subject, want[i].subject);
		ck_assert_uint_eq(strlen(cas[i].spki_sha256), 64);
	}
	ck_assert_str_eq(cas[0].spki_sha256,
	    "b5ba8dd7f89564c2889d3d6453c84998c77824919b64ea0835aa62986591be50");
	ica_free(cas, n);
	ica_free(NULL, 0);
}
END_TEST

/* The real Kazakh root presented as an extra certificate: fingerprint. */
START_TEST(test_ica_real_chain)
{
	struct verdict_ctx	 ctx;
	struct ica		*cas;
	struct record		*r;
	struct rec_tls		*t;
	struct rec_cert		*c;
	char			 path[4200];
	size_t			 n, i;
	X509			*x;

	ck_assert_int_eq(ica_load_dir(icadir(), &cas, &n), 0);
	memset(&ctx, 0, sizeof ctx);
	ctx.cas = cas;
	ctx.n_cas = n;
	ctx.control_sni = "example.org";

	/* Leaf from a rogue issuer whose name matches nothing known. */
	r = build(FB, P_OK C_OK TCP_OK "tls P 157.240.1.35 " FB
	    " unknown_ca evilleaf");
	t = &r->tls[0];
	snprintf(path, sizeof path, "%s/%s.pem", icadir(),
	    "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2");
	x = read_pem(path);
	t->chain = xreallocarray(t->chain, t->n_chain + 1, sizeof *t->chain);
	c = &t->chain[t->n_chain++];
	memset(c, 0, sizeof *c);
	cert_fill(x, c);
	X509_free(x);
	/* The root's subject is also an issuer name; break that match. */
	free(c->subject);
	c->subject = xstrdup("CN=renamed");
	free(c->issuer);
	c->issuer = xstrdup("CN=renamed");

	verdict_decide(r, &ctx, &r->verdict);
	ck_assert_int_eq(r->verdict.status, STATUS_INTERCEPTED);
	ck_assert_int_eq(r->verdict.method, METHOD_TLS_MITM);
	ck_assert_str_eq(r->verdict.interception_ca, QAZNET);
	ck_assert_ptr_nonnull(strstr(r->verdict.detail, "presented '"
	    QAZNET "'"));
	unbuild(r);

	/* A leaf naming the real ISCA root as issuer: by name. */
	r = build(FB, P_OK TCP_OK "tls P 157.240.1.35 " FB
	    " unknown_ca iscaleaf");
	verdict_decide(r, &ctx, &r->verdict);
	ck_assert_int_eq(r->verdict.status, STATUS_INTERCEPTED);
	ck_assert_str_eq(r->verdict.interception_ca, ISCA);
	unbuild(r);

	/* Each shipped root, named as the issuer of a leaf: by name (the
	 * 2021 root's subject carries ST and L too). */
	for (i = 0; i < n; i++) {
		r = build(FB, P_OK TCP_OK "tls P 157.240.1.35 " FB
		    " unknown_ca evilleaf");
		t = &r->tls[0];
		free(t->chain[t->n_chain - 1].issuer);
		t->chain[t->n_chain - 1].issuer = xstrdup(cas[i].subject);
		verdict_decide(r, &ctx, &r->verdict);
		ck_assert_int_eq(r->verdict.status, STATUS_INTERCEPTED);
		ck_assert_str_eq(r->verdict.interception_ca, cas[i].subject);
		unbuild(r);
	}

	/* A genuine chain is never flagged, even with every root loaded. */
	r = build(FB, P_OK C_OK TCP_OK TLS_OK);
	verdict_decide(r, &ctx, &r->verdict);
	ck_assert_int_eq(r->verdict.status, STATUS_OK);
	unbuild(r);
	ica_free(cas, n);
}
END_TEST

static void
copy_file(const char *from, FILE *to)
{
	FILE	*f;
	char	 buf[4096];
	size_t	 n;

	ck_assert_ptr_nonnull(f = fopen(from, "r"));
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		ck_assert_uint_eq(fwrite(buf, 1, n, to), n);
	fclose(f);
}

START_TEST(test_ica_dir)
{
	char	 dir[] = "/tmp/nj-ica-XXXXXX", path[4200], src[4200];
	struct ica	*cas;
	size_t	 n;
	FILE	*f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* Two certificates in one file, with text around them. */
	snprintf(path, sizeof path, "%s/two.pem", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("# Kazakhstan roots\n", f);
	snprintf(src, sizeof src, "%s/%s.pem", icadir(),
	    "1df696f021ab1c3ace9a376b07ed7256a40214cd3396d7934087614924e2d7ef");
	copy_file(src, f);
	snprintf(src, sizeof src, "%s/%s.pem", icadir(),
	    "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2");
	copy_file(src, f);
	fclose(f);
	/* Ignored: other suffixes, dotfiles, a directory; garbage warned. */
	snprintf(path, sizeof path, "%s/readme.txt", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	copy_file(src, f);
	fclose(f);
	snprintf(path, sizeof path, "%s/.hidden.pem", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	copy_file(src, f);
	fclose(f);
	snprintf(path, sizeof path, "%s/garbage.pem", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("-----BEGIN CERTIFICATE-----\nnot base64\n"
	    "-----END CERTIFICATE-----\n", f);
	fclose(f);
	snprintf(path, sizeof path, "%s/sub.pem", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);

	ck_assert_int_eq(ica_load_dir(dir, &cas, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(cas[0].subject, ISCA);
	ck_assert_str_eq(cas[1].subject, QAZNET);
	ck_assert_str_eq(cas[1].sha256,
	    "00309c736dd661da6f1eb24173aa849944c168a43a15bffd192eecfdb6f8dbd2");
	ica_free(cas, n);

	rmdir(path);
	snprintf(path, sizeof path, "%s/two.pem", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/readme.txt", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/.hidden.pem", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/garbage.pem", dir);
	unlink(path);
	ck_assert_int_eq(rmdir(dir), 0);

	/* An empty or missing directory. */
	ck_assert_int_eq(ica_load_dir("/nonexistent/nj-ica", &cas, &n), -1);
	ck_assert_ptr_null(cas);
	ck_assert_uint_eq(n, 0);
}
END_TEST

static Suite *
verdict_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("verdict");
	tc = tcase_create("table");
	tcase_add_loop_test(tc, test_table, 0,
	    sizeof cases / sizeof cases[0]);
	tcase_add_loop_test(tc, test_bogon, 0,
	    sizeof bogons / sizeof bogons[0]);
	tcase_add_loop_test(tc, test_public, 0,
	    sizeof publics / sizeof publics[0]);
	tcase_add_test(tc, test_hostile_names);
	tcase_add_test(tc, test_degenerate);
	suite_add_tcase(s, tc);

	tc = tcase_create("ica");
	tcase_add_test(tc, test_ica_real);
	tcase_add_test(tc, test_ica_real_chain);
	tcase_add_test(tc, test_ica_dir);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(verdict_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
