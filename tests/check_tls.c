/*
 * Chain verification with the per-round cache: handshakes over memory
 * BIOs (no sockets) against certificates made here, each checked twice,
 * once with the cache and once without, so a remembered chain must give
 * exactly the fields a full verification gives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pubkey.h"
#include "record.h"
#include "tls.h"
#include "xmalloc.h"

struct pki {
	EVP_PKEY	*ca_key, *leaf_key, *rogue_key;
	X509		*ca, *leaf, *rogue, *expired;
	char		 ca_file[64];
	char		 empty_file[64];
};

static struct pki pki;

static X509 *
mkcert(const char *cn, const char *san, EVP_PKEY *key, X509 *issuer,
    EVP_PKEY *issuer_key, int is_ca, long days_from, long days_to)
{
	X509		*x = X509_new();
	X509_NAME	*name;
	X509_EXTENSION	*ext;
	X509V3_CTX	 v3;
	static long	 serial = 1;

	ck_assert_ptr_nonnull(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), days_from * 86400);
	X509_gmtime_adj(X509_getm_notAfter(x), days_to * 86400);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : name);
	X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
	    is_ca ? "critical,CA:TRUE" : "CA:FALSE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (san != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	/* Ed25519 signs without a separate digest. */
	ck_assert_int_gt(X509_sign(x, issuer_key,
	    EVP_PKEY_get_id(issuer_key) == EVP_PKEY_ED25519 ? NULL :
	    EVP_sha256()), 0);
	return x;
}

static void
pki_setup(void)
{
	FILE	*f;
	int	 fd;

	pki.ca_key = EVP_EC_gen("P-256");
	pki.leaf_key = EVP_EC_gen("P-256");
	pki.rogue_key = EVP_EC_gen("P-256");
	pki.ca = mkcert("check root", NULL, pki.ca_key, NULL, pki.ca_key, 1,
	    -1, 30);
	pki.leaf = mkcert("a.test", "DNS:*.a.test,DNS:a.test,IP:127.0.0.1",
	    pki.leaf_key, pki.ca, pki.ca_key, 0, -1, 30);
	pki.expired = mkcert("a.test", "DNS:*.a.test,DNS:a.test",
	    pki.leaf_key, pki.ca, pki.ca_key, 0, -30, -1);
	pki.rogue = mkcert("rogue root", "DNS:*.a.test", pki.rogue_key, NULL,
	    pki.rogue_key, 0, -1, 30);

	strcpy(pki.ca_file, "/tmp/nj-check-tls-ca.XXXXXX");
	fd = mkstemp(pki.ca_file);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	PEM_write_X509(f, pki.ca);
	fclose(f);
	strcpy(pki.empty_file, "/tmp/nj-check-tls-sys.XXXXXX");
	fd = mkstemp(pki.empty_file);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	PEM_write_X509(f, pki.ca);	/* the "system store" trusts it too */
	fclose(f);
	/* tls_ctx_new reads the system store from SSL_CERT_FILE. */
	setenv("SSL_CERT_FILE", pki.empty_file, 1);
	setenv("SSL_CERT_DIR", "/nonexistent", 1);
}

static void
pki_teardown(void)
{
	unlink(pki.ca_file);
	unlink(pki.empty_file);
	X509_free(pki.ca);
	X509_free(pki.leaf);
	X509_free(pki.expired);
	X509_free(pki.rogue);
	EVP_PKEY_free(pki.ca_key);
	EVP_PKEY_free(pki.leaf_key);
	EVP_PKEY_free(pki.rogue_key);
}

/*
 * One handshake of t's client with a server presenting leaf (and issuer
 * when not NULL), over memory BIOs; the client's fields in a new record.
 */
/* --keep-certs for the next handshakes. */
static int keep_der;
/* The server's highest version for the next handshakes (0: TLS 1.3). */
static int server_max_proto;

static struct record *
handshake(struct tls_ctx *t, X509 *leaf, EVP_PKEY *key, X509 *issuer,
    const char *sni, const char *name, int is_ip)
{
	struct record	*rec = record_new();
	SSL_CTX		*sctx;
	SSL		*c, *s;
	BIO		*cb, *sb;
	int		 i, rc, rs;

	sctx = SSL_CTX_new(TLS_server_method());
	ck_assert_ptr_nonnull(sctx);
	if (server_max_proto != 0)
		SSL_CTX_set_max_proto_version(sctx, server_max_proto);
	ck_assert_int_eq(SSL_CTX_use_certificate(sctx, leaf), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(sctx, key), 1);
	if (issuer != NULL)
		ck_assert_int_eq(SSL_CTX_add1_chain_cert(sctx, issuer), 1);
	s = SSL_new(sctx);
	c = tls_ssl_new(t, sni, name, is_ip);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	for (i = 0, rc = rs = 0; i < 100 && (rc != 1 || rs != 1); i++) {
		if (rc != 1)
			rc = SSL_do_handshake(c);
		if (rs != 1)
			rs = SSL_do_handshake(s);
	}
	ck_assert_int_eq(rc, 1);
	tls_fill(t, c, record_add_tls(rec), name, is_ip, 0, keep_der);
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(sctx);
	ERR_clear_error();
	return rec;
}

static int
str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

struct vcase {
	const char	*label;
	int		 rogue;		/* self-signed, not in any store */
	int		 expired;
	const char	*name;
	int		 is_ip;
	int		 trusted;	/* expected */
	int		 sys;		/* trusted_by_system expected */
	const char	*failure;	/* expected */
};

static const struct vcase vcases[] = {
	{ "first name", 0, 0, "www.a.test", 0, 1, 1, NULL },
	{ "same name again", 0, 0, "www.a.test", 0, 1, 1, NULL },
	{ "other name, same chain", 0, 0, "cdn.a.test", 0, 1, 1, NULL },
	{ "apex", 0, 0, "a.test", 0, 1, 1, NULL },
	{ "name the chain does not cover", 0, 0, "www.b.test", 0, 0, 0,
	    "ssl_invalid_hostname" },
	{ "too deep for the wildcard", 0, 0, "x.y.a.test", 0, 0, 0,
	    "ssl_invalid_hostname" },
	{ "address in the SAN", 0, 0, "127.0.0.1", 1, 1, 1, NULL },
	{ "address not in the SAN", 0, 0, "127.0.0.2", 1, 0, 0,
	    "ssl_invalid_hostname" },
	{ "covered again after a miss", 0, 0, "mail.a.test", 0, 1, 1, NULL },
	{ "untrusted root", 1, 0, "www.a.test", 0, 0, 0,
	    "ssl_unknown_authority" },
	{ "untrusted root again", 1, 0, "www.a.test", 0, 0, 0,
	    "ssl_unknown_authority" },
	{ "expired leaf", 0, 1, "www.a.test", 0, 0, 0,
	    "ssl_invalid_certificate" },
	{ "expired leaf, wrong name", 0, 1, "www.b.test", 0, 0, 0,
	    "ssl_invalid_hostname" },
};

/* With and without the cache, every field that verification sets agrees. */
START_TEST(cache_same_as_full)
{
	struct tls_ctx		*cached, *full;
	struct tls_cache_stats	 st;
	struct record		*ra, *rb;
	size_t			 i, k;

	cached = tls_ctx_new(pki.ca_file);
	full = tls_ctx_new(pki.ca_file);
	ck_assert_ptr_nonnull(cached);
	ck_assert_ptr_nonnull(full);
	tls_ctx_set_cache(full, 0);
	for (i = 0; i < sizeof vcases / sizeof vcases[0]; i++) {
		const struct vcase	*v = &vcases[i];
		X509			*leaf = v->rogue ? pki.rogue :
		    v->expired ? pki.expired : pki.leaf;
		EVP_PKEY		*key = v->rogue ? pki.rogue_key :
		    pki.leaf_key;
		X509			*issuer = v->rogue ? NULL : pki.ca;

		const struct rec_tls	*a, *b;

		ra = handshake(cached, leaf, key, issuer, NULL, v->name,
		    v->is_ip);
		rb = handshake(full, leaf, key, issuer, NULL, v->name,
		    v->is_ip);
		a = &ra->tls[0];
		b = &rb->tls[0];
		ck_assert_msg(a->trusted == v->trusted, "%s: trusted %d",
		    v->label, a->trusted);
		ck_assert_msg(str_same(a->failure, v->failure),
		    "%s: failure %s", v->label, a->failure);
		ck_assert_msg(a->trusted_by_system == v->sys,
		    "%s: trusted_by_system %d", v->label, a->trusted_by_system);
		ck_assert_msg(a->trusted == b->trusted, "%s", v->label);
		ck_assert_msg(a->trusted_by_system == b->trusted_by_system,
		    "%s: trusted_by_system %d vs %d", v->label,
		    a->trusted_by_system, b->trusted_by_system);
		ck_assert_msg(str_same(a->failure, b->failure), "%s: %s vs %s",
		    v->label, a->failure, b->failure);
		ck_assert_msg(str_same(a->verify_error, b->verify_error),
		    "%s: %s vs %s", v->label, a->verify_error, b->verify_error);
		ck_assert_uint_eq(a->n_chain, b->n_chain);
		/* Remembered certificate facts are the ones cert_fill gives. */
		for (k = 0; k < a->n_chain; k++) {
			const struct rec_cert	*ca = &a->chain[k];
			const struct rec_cert	*cb = &b->chain[k];
			size_t			 j;

			ck_assert_str_eq(ca->subject, cb->subject);
			ck_assert_str_eq(ca->issuer, cb->issuer);
			ck_assert_str_eq(ca->sha256, cb->sha256);
			ck_assert_int_eq(strlen(ca->sha256), 64);
			ck_assert_str_eq(ca->spki_sha256, cb->spki_sha256);
			ck_assert_str_eq(ca->not_before, cb->not_before);
			ck_assert_str_eq(ca->not_after, cb->not_after);
			ck_assert_uint_eq(ca->n_san, cb->n_san);
			for (j = 0; j < ca->n_san; j++)
				ck_assert_str_eq(ca->san[j], cb->san[j]);
			ck_assert_int_eq(ca->san_truncated, cb->san_truncated);
		}
		/* The DER of a chain the reference store does not trust. */
		ck_assert_uint_ge(a->n_chain, 1);
		for (k = 0; k < a->n_chain; k++)
			ck_assert_msg((a->chain[k].der != NULL) == !v->trusted &&
			    (b->chain[k].der != NULL) == !v->trusted,
			    "%s: der of chain[%zu]", v->label, k);
		record_free(ra);
		record_free(rb);
	}
	/* The good chain was verified in full once, then remembered. */
	tls_ctx_cache_stats(cached, &st);
	ck_assert_uint_eq(st.ref_hits, 8);	/* the good chain after 1st */
	ck_assert_uint_eq(st.ref_misses, 5);	/* 1st, untrusted, expired */
	ck_assert_uint_eq(st.sys_hits, 10);	/* every chain after its 1st */
	ck_assert_uint_eq(st.sys_misses, 3);
	/* Four distinct certificates (leaf, root, rogue, expired leaf). */
	ck_assert_uint_eq(st.cert_misses, 4);
	ck_assert_uint_eq(st.cert_hits, 2 * 13 - 2 - 4);
	tls_ctx_cache_stats(full, &st);
	ck_assert_uint_eq(st.ref_hits + st.ref_misses + st.sys_hits +
	    st.sys_misses + st.cert_hits + st.cert_misses, 0);
	tls_ctx_free(cached);
	tls_ctx_free(full);
}
END_TEST

/* A chain the reference store refused is never remembered as verified. */
START_TEST(cache_never_remembers_failure)
{
	struct tls_ctx		*t;
	struct tls_cache_stats	 st;
	struct record		*rec;
	int			 i;

	t = tls_ctx_new(pki.ca_file);
	ck_assert_ptr_nonnull(t);
	for (i = 0; i < 3; i++) {
		rec = handshake(t, pki.rogue, pki.rogue_key, NULL, "www.a.test",
		    "www.a.test", 0);
		ck_assert_int_eq(rec->tls[0].trusted, 0);
		ck_assert_int_eq(rec->tls[0].trusted_by_system, 0);
		record_free(rec);
	}
	tls_ctx_cache_stats(t, &st);
	ck_assert_uint_eq(st.ref_hits, 0);
	ck_assert_uint_eq(st.ref_misses, 3);
	tls_ctx_free(t);
}
END_TEST

/*
 * The kept DER is the certificate itself (its SHA-256 is the chain's
 * sha256, d2i reads it back); --keep-certs keeps a trusted chain's too.
 */
START_TEST(der_kept)
{
	struct tls_ctx		*t;
	struct record		*rec;
	const struct rec_cert	*c;
	const unsigned char	*p;
	unsigned char		 md[32];
	char			 hex[65];
	X509			*x;
	size_t			 i, j;
	int			 pass;

	t = tls_ctx_new(pki.ca_file);
	ck_assert_ptr_nonnull(t);
	for (pass = 0; pass < 3; pass++) {
		keep_der = pass == 2;
		rec = pass == 0 ? handshake(t, pki.rogue, pki.rogue_key, NULL,
		    "www.a.test", "www.a.test", 0) : handshake(t, pki.leaf,
		    pki.leaf_key, pki.ca, "www.a.test", "www.a.test", 0);
		ck_assert_uint_eq(rec->tls[0].n_chain, pass == 0 ? 1 : 2);
		for (i = 0; i < rec->tls[0].n_chain; i++) {
			c = &rec->tls[0].chain[i];
			if (pass == 1) {
				ck_assert_ptr_null(c->der);
				continue;
			}
			ck_assert_ptr_nonnull(c->der);
			SHA256(c->der, c->der_len, md);
			for (j = 0; j < 32; j++)
				snprintf(hex + 2 * j, 3, "%02x", md[j]);
			ck_assert_str_eq(hex, c->sha256);
			p = c->der;
			x = d2i_X509(NULL, &p, (long)c->der_len);
			ck_assert_ptr_nonnull(x);
			ck_assert_ptr_eq(p, c->der + c->der_len);
			ck_assert_int_eq(X509_cmp(x, i == 0 ? (pass == 0 ?
			    pki.rogue : pki.leaf) : pki.ca), 0);
			X509_free(x);
		}
		record_free(rec);
	}
	keep_der = 0;
	tls_ctx_free(t);
}
END_TEST


/*
 * pubkey_fast_start() changes how OpenSSL decodes and uses certificate
 * keys, never what a verification decides: chains of every common key
 * type, over TLS 1.3 and 1.2, good and with a damaged signature (leaf's
 * or intermediate's), give the same fields both ways.
 */
static EVP_PKEY *
keygen(const char *type)
{
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*key = NULL;

	if (strcmp(type, "P-256") == 0 || strcmp(type, "P-384") == 0)
		return EVP_EC_gen(type);
	if (strcmp(type, "RSA-PSS") == 0) {
		ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
		ck_assert_ptr_nonnull(ctx);
		ck_assert_int_eq(EVP_PKEY_keygen_init(ctx), 1);
		ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048), 1);
		ck_assert_int_eq(EVP_PKEY_keygen(ctx, &key), 1);
		EVP_PKEY_CTX_free(ctx);
		return key;
	}
	if (strcmp(type, "RSA") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, type, (size_t)2048);
	return EVP_PKEY_Q_keygen(NULL, NULL, type);
}

/* x with one bit of its signature flipped. */
static X509 *
damaged(X509 *x)
{
	unsigned char		*der = NULL;
	const unsigned char	*p;
	X509			*y;
	int			 len;

	len = i2d_X509(x, &der);
	ck_assert_int_gt(len, 16);
	der[len - 3] ^= 0x01;
	p = der;
	y = d2i_X509(NULL, &p, len);
	ck_assert_ptr_nonnull(y);
	OPENSSL_free(der);
	return y;
}

START_TEST(pubkey_fast_same_verdicts)
{
	static const char	*types[] = { "P-256", "P-384", "RSA", "RSA-PSS",
	    "ED25519" };
	static const int	 protos[] = { 0, TLS1_2_VERSION };
	static const char	*what[] = { "good", "leaf signature damaged",
	    "intermediate signature damaged" };
	const char		*type = types[_i];
	EVP_PKEY		*rkey, *ikey, *lkey;
	X509			*root, *inter, *leaf, *bad_leaf, *bad_inter;
	X509			*probe;
	struct tls_ctx		*t;
	struct record		*rec[2];
	const struct rec_tls	*a, *b;
	char			 ca_file[64];
	unsigned char		*der = NULL;
	const unsigned char	*p;
	FILE			*f;
	int			 fd, len, fast, pi, w;

	rkey = keygen(type);
	ikey = keygen(type);
	lkey = keygen(type);
	ck_assert_ptr_nonnull(rkey);
	ck_assert_ptr_nonnull(ikey);
	ck_assert_ptr_nonnull(lkey);
	root = mkcert("root", NULL, rkey, NULL, rkey, 1, -1, 30);
	inter = mkcert("intermediate", NULL, ikey, root, rkey, 1, -1, 30);
	leaf = mkcert("a.test", "DNS:www.a.test", lkey, inter, ikey, 0, -1, 30);
	bad_leaf = damaged(leaf);
	bad_inter = damaged(inter);
	strcpy(ca_file, "/tmp/nj-check-tls-kt.XXXXXX");
	fd = mkstemp(ca_file);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	PEM_write_X509(f, root);
	fclose(f);

	for (pi = 0; pi < 2; pi++) {
		server_max_proto = protos[pi];
		for (w = 0; w < 3; w++) {
			for (fast = 0; fast < 2; fast++) {
#if OPENSSL_VERSION_NUMBER < 0x30200000L && !defined(OPENSSL_NO_ENGINE)
				/* This OpenSSL needs it and can. */
				if (fast)
					ck_assert_int_eq(pubkey_fast_start(), 1);
#endif
				if (fast && pubkey_fast_start() &&
				    strcmp(type, "ED25519") != 0) {
					/* The keys are the built-in methods'. */
					len = i2d_X509(leaf, &der);
					p = der;
					probe = d2i_X509(NULL, &p, len);
					ck_assert_ptr_null(EVP_PKEY_get0_provider(
					    X509_get0_pubkey(probe)));
					X509_free(probe);
					OPENSSL_free(der);
					der = NULL;
				}
				t = tls_ctx_new(ca_file);
				ck_assert_ptr_nonnull(t);
				tls_ctx_set_cache(t, 0);
				rec[fast] = handshake(t, w == 1 ? bad_leaf : leaf,
				    lkey, w == 2 ? bad_inter : inter,
				    "www.a.test", "www.a.test", 0);
				tls_ctx_free(t);
				pubkey_fast_stop();
			}
			a = &rec[0]->tls[0];
			b = &rec[1]->tls[0];
			ck_assert_msg(a->trusted == (w == 0), "%s %s tls%d: "
			    "trusted %d (%s)", type, what[w], pi ? 12 : 13,
			    a->trusted, a->verify_error);
			ck_assert_msg(a->trusted == b->trusted &&
			    str_same(a->failure, b->failure) &&
			    str_same(a->verify_error, b->verify_error) &&
			    a->trusted_by_system == b->trusted_by_system &&
			    a->n_chain == b->n_chain, "%s %s tls%d: %s/%s vs "
			    "%s/%s", type, what[w], pi ? 12 : 13, a->failure,
			    a->verify_error, b->failure, b->verify_error);
			if (w > 0)
				ck_assert_msg(str_same(a->verify_error,
				    "certificate signature failure"),
				    "%s %s: %s", type, what[w], a->verify_error);
			record_free(rec[0]);
			record_free(rec[1]);
		}
	}
	server_max_proto = 0;
	unlink(ca_file);
	X509_free(root);
	X509_free(inter);
	X509_free(leaf);
	X509_free(bad_leaf);
	X509_free(bad_inter);
	EVP_PKEY_free(rkey);
	EVP_PKEY_free(ikey);
	EVP_PKEY_free(lkey);
}
END_TEST

/*
 * More distinct chains and certificates than the round's tables keep: each
 * starts again empty when 3/4 full, and what a table returns is always
 * the certificate's or chain's own.
 */
START_TEST(caches_full)
{
	enum { N = 800 };	/* > 3/4 of the chain tables' 1024 slots */
	static EVP_PKEY		*keys[N];
	static X509		*certs[N];
	struct tls_ctx		*t;
	struct tls_cache_stats	 st, st0;
	struct record		*rec;
	char			 cn[32], want[40];
	int			 i;

	t = tls_ctx_new(pki.ca_file);
	ck_assert_ptr_nonnull(t);
	for (i = 0; i < N; i++) {
		snprintf(cn, sizeof cn, "leaf %d", i);
		keys[i] = EVP_EC_gen("P-256");
		certs[i] = mkcert(cn, "DNS:www.a.test", keys[i], pki.ca,
		    pki.ca_key, 0, -1, 30);
		rec = handshake(t, certs[i], keys[i], pki.ca, "www.a.test",
		    "www.a.test", 0);
		snprintf(want, sizeof want, "CN=%s", cn);
		ck_assert_str_eq(rec->tls[0].chain[0].subject, want);
		ck_assert_str_eq(rec->tls[0].chain[1].subject, "CN=check root");
		ck_assert_int_eq(rec->tls[0].trusted, 1);
		record_free(rec);
	}
	tls_ctx_cache_stats(t, &st0);
	ck_assert_uint_eq(st0.ref_misses, N);
	ck_assert_uint_eq(st0.ref_hits, 0);
	ck_assert_uint_eq(st0.sys_misses, N);
	ck_assert_uint_eq(st0.cert_misses + st0.cert_hits, 2 * N);

	/* The last chain is still known, leaf and root too. */
	rec = handshake(t, certs[N - 1], keys[N - 1], pki.ca, "www.a.test",
	    "www.a.test", 0);
	ck_assert_int_eq(rec->tls[0].trusted, 1);
	record_free(rec);
	tls_ctx_cache_stats(t, &st);
	ck_assert_uint_eq(st.ref_hits, 1);
	ck_assert_uint_eq(st.sys_hits, st0.sys_hits + 1);
	ck_assert_uint_eq(st.cert_hits, st0.cert_hits + 2);

	/* The first went when the tables emptied: verified again. */
	rec = handshake(t, certs[0], keys[0], pki.ca, "www.a.test",
	    "www.a.test", 0);
	ck_assert_str_eq(rec->tls[0].chain[0].subject, "CN=leaf 0");
	ck_assert_int_eq(rec->tls[0].trusted, 1);
	record_free(rec);
	tls_ctx_cache_stats(t, &st0);
	ck_assert_uint_eq(st0.ref_misses, N + 1);
	ck_assert_uint_eq(st0.sys_misses, N + 1);
	ck_assert_uint_eq(st0.cert_misses, st.cert_misses + 1);
	ck_assert_uint_eq(st0.cert_hits, st.cert_hits + 1);
	for (i = 0; i < N; i++) {
		X509_free(certs[i]);
		EVP_PKEY_free(keys[i]);
	}
	tls_ctx_free(t);
}
END_TEST

static Suite *
tls_suite(void)
{
	Suite	*s = suite_create("tls");
	TCase	*tc;

	tc = tcase_create("verify cache");
	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cache_same_as_full);
	tcase_add_test(tc, der_kept);
	tcase_add_test(tc, cache_never_remembers_failure);
	tcase_add_loop_test(tc, pubkey_fast_same_verdicts, 0, 5);
	tcase_add_test(tc, caches_full);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(tls_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
