/*
 * TLS contexts, chain capture and verification for measurements.
 *
 * Handshakes never fail on verification (SSL_VERIFY_NONE): the chain is
 * the evidence and is kept whatever it is.  OpenSSL still verifies it
 * against the SSL_CTX's store (the reference roots) with the host name
 * set by SSL_set1_host, and SSL_get_verify_result() gives the outcome.
 * The same chain is then verified once more against the default store.
 *
 * Verification is done once per chain and round.  A chain is named by the
 * SHA-256 of its certificates' DER hashes; a chain that the reference
 * store verified is remembered, and the next handshake presenting it only
 * checks the name (X509_check_host), the one host-dependent step of
 * X509_verify_cert: the outcome is the one a full verification would give.
 * A chain that failed is verified in full each time (its error may depend
 * on the name).  The default store's yes/no answer is remembered per chain
 * either way.  A certificate's parsed facts are remembered by its SHA-256.
 * The caches are hash tables of fixed size that live as long as the
 * tls_ctx (one round); one that would be more than 3/4 full starts again
 * empty, which only costs verifications.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "log.h"
#include "tls.h"
#include "xmalloc.h"

/* Slots of each chain cache (a power of two). */
#define TLS_CACHE_SLOTS	1024

struct tls_chain_slot {
	unsigned char	key[SHA256_DIGEST_LENGTH];
	unsigned char	used;
	unsigned char	ok;
};

/*
 * Open addressing with linear probing, never more than 3/4 full: when it
 * would be, it starts again empty.
 */
struct tls_chain_cache {
	struct tls_chain_slot	slot[TLS_CACHE_SLOTS];
	size_t			n;
};

/* Certificate facts (cert_fill) of the round, by the certificate's SHA-256. */
#define TLS_CERT_SLOTS	256

struct tls_cert_slot {
	unsigned char	md[SHA256_DIGEST_LENGTH];
	unsigned char	used;
	struct rec_cert	c;		/* without the DER */
};

struct tls_ctx {
	SSL_CTX		*ctx;		/* holds the reference store */
	X509_STORE	*system;	/* OpenSSL's default paths */
	X509_STORE_CTX	*vctx;		/* reused for system verification */
	int		 cache;		/* remember verified chains */
	struct tls_chain_cache ref;	/* verified ones */
	struct tls_chain_cache sys;	/* yes or no */
	struct tls_cert_slot *certs;	/* TLS_CERT_SLOTS, made on first use */
	size_t		 ncerts;	/* of them used */
	struct tls_cache_stats stats;
};

static const unsigned char tls_alpn[] = "\x02h2\x08http/1.1";

static void
tls_log_errors(const char *what)
{
	unsigned long	e;
	char		buf[256];

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof buf);
		log_error("%s: %s", what, buf);
	}
}

/*
 * OpenSSL's default verify paths, as X509_STORE_set_default_paths() would
 * add them (SSL_CERT_FILE, SSL_CERT_DIR or the built-in locations), but
 * without its OSSL_STORE lookup, which lists the whole certificate
 * directory on every verification.  The file is parsed once; the hashed
 * directory is looked up by issuer name.
 */
static void
tls_load_system(X509_STORE *store)
{
	X509_LOOKUP	*lookup;
	const char	*file, *dir;

	if ((file = getenv(X509_get_default_cert_file_env())) == NULL)
		file = X509_get_default_cert_file();
	if ((dir = getenv(X509_get_default_cert_dir_env())) == NULL)
		dir = X509_get_default_cert_dir();
	if (access(file, R_OK) == 0 && X509_STORE_load_file(store, file) != 1)
		log_warn("%s: cannot load certificates", file);
	lookup = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir());
	if (lookup == NULL ||
	    X509_LOOKUP_add_dir(lookup, dir, X509_FILETYPE_PEM) != 1)
		log_warn("%s: cannot use as a certificate directory", dir);
	ERR_clear_error();
}

/*
 * The name of a presented chain: SHA-256 over the SHA-256 of each
 * certificate's DER, in order.  0, or -1 when a certificate cannot be
 * encoded.
 */
static int
tls_chain_key(STACK_OF(X509) *chain, unsigned char key[SHA256_DIGEST_LENGTH])
{
	const unsigned char	*md;
	EVP_MD_CTX		*h;
	int			 i, rc = -1;

	if (chain == NULL || sk_X509_num(chain) == 0)
		return -1;
	if ((h = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex(h, EVP_sha256(), NULL) != 1)
		goto out;
	for (i = 0; i < sk_X509_num(chain); i++) {
		if ((md = cert_digest(sk_X509_value(chain, i))) == NULL ||
		    EVP_DigestUpdate(h, md, SHA256_DIGEST_LENGTH) != 1)
			goto out;
	}
	if (EVP_DigestFinal_ex(h, key, NULL) == 1)
		rc = 0;
out:
	EVP_MD_CTX_free(h);
	return rc;
}

/* The slot holding key, or the empty one where it belongs. */
static struct tls_chain_slot *
tls_cache_slot(struct tls_chain_cache *c,
    const unsigned char key[SHA256_DIGEST_LENGTH])
{
	struct tls_chain_slot	*s;
	size_t			 i;

	i = ((size_t)key[0] << 8 | key[1]) & (TLS_CACHE_SLOTS - 1);
	for (;; i = (i + 1) & (TLS_CACHE_SLOTS - 1)) {
		s = &c->slot[i];
		if (!s->used ||
		    memcmp(s->key, key, SHA256_DIGEST_LENGTH) == 0)
			return s;
	}
}

/* The slot of key in c when it holds key, else NULL. */
static struct tls_chain_slot *
tls_cache_find(struct tls_chain_cache *c,
    const unsigned char key[SHA256_DIGEST_LENGTH])
{
	struct tls_chain_slot	*s = tls_cache_slot(c, key);

	return s->used ? s : NULL;
}

static void
tls_cache_put(struct tls_chain_cache *c,
    const unsigned char key[SHA256_DIGEST_LENGTH], int ok)
{
	struct tls_chain_slot	*s = tls_cache_slot(c, key);

	if (!s->used) {
		if (c->n >= TLS_CACHE_SLOTS / 4 * 3) {
			memset(c, 0, sizeof *c);
			s = tls_cache_slot(c, key);
		}
		c->n++;
	}
	memcpy(s->key, key, SHA256_DIGEST_LENGTH);
	s->used = 1;
	s->ok = ok != 0;
}

/*
 * X509_V_OK when leaf matches the host or IP address of param (or param
 * names neither), else the error X509_verify_cert's name check gives.
 */
static int
tls_check_name(X509 *leaf, X509_VERIFY_PARAM *param)
{
	const char	*host;
	char		*ip;
	unsigned int	 flags = X509_VERIFY_PARAM_get_hostflags(param);
	int		 err = X509_V_OK;

	if ((host = X509_VERIFY_PARAM_get0_host(param, 0)) != NULL &&
	    X509_check_host(leaf, host, 0, flags, NULL) <= 0)
		return X509_V_ERR_HOSTNAME_MISMATCH;
	if ((ip = X509_VERIFY_PARAM_get1_ip_asc(param)) != NULL) {
		if (X509_check_ip_asc(leaf, ip, 0) <= 0)
			err = X509_V_ERR_IP_ADDRESS_MISMATCH;
		OPENSSL_free(ip);
	}
	return err;
}

/*
 * Stands in for X509_verify_cert() in every handshake (SSL_CTX's
 * cert_verify_callback): a chain the reference store verified in this
 * round only has its name checked again.
 */
static int
tls_verify_cb(X509_STORE_CTX *xs, void *arg)
{
	struct tls_ctx		*t = arg;
	unsigned char		 key[SHA256_DIGEST_LENGTH];
	STACK_OF(X509)		*chain = X509_STORE_CTX_get0_untrusted(xs);
	X509			*leaf = X509_STORE_CTX_get0_cert(xs);
	int			 ok, err;

	if (!t->cache || leaf == NULL || tls_chain_key(chain, key) == -1)
		return X509_verify_cert(xs);
	if (tls_cache_find(&t->ref, key) != NULL) {
		t->stats.ref_hits++;
		err = tls_check_name(leaf, X509_STORE_CTX_get0_param(xs));
		X509_STORE_CTX_set_error(xs, err);
		return err == X509_V_OK;
	}
	t->stats.ref_misses++;
	ok = X509_verify_cert(xs);
	if (ok == 1)
		tls_cache_put(&t->ref, key, 1);
	return ok;
}

void
tls_ctx_set_cache(struct tls_ctx *t, int on)
{
	t->cache = on;
}

void
tls_ctx_cache_stats(const struct tls_ctx *t, struct tls_cache_stats *out)
{
	*out = t->stats;
}

struct tls_ctx *
tls_ctx_new(const char *ca_file)
{
	struct tls_ctx	*t;
	X509_STORE	*ref;

	t = xcalloc(1, sizeof *t);
	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		tls_log_errors("SSL_CTX_new");
		goto fail;
	}
	if ((ref = X509_STORE_new()) == NULL)
		goto fail;
	SSL_CTX_set_cert_store(t->ctx, ref);
	if (X509_STORE_load_file(ref, ca_file) != 1) {
		ERR_clear_error();
		log_error("%s: cannot load root certificates", ca_file);
		goto fail;
	}
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
	t->cache = 1;
	SSL_CTX_set_cert_verify_callback(t->ctx, tls_verify_cb, t);
	/* Every measurement is a full handshake that shows the chain. */
	SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_mode(t->ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_max_cert_list(t->ctx, TLS_MAX_CERT_LIST);
	SSL_CTX_set_alpn_protos(t->ctx, tls_alpn, sizeof tls_alpn - 1);

	if ((t->system = X509_STORE_new()) == NULL ||
	    (t->vctx = X509_STORE_CTX_new()) == NULL)
		goto fail;
	tls_load_system(t->system);
	return t;
fail:
	tls_ctx_free(t);
	return NULL;
}

void
tls_ctx_free(struct tls_ctx *t)
{
	size_t	i;

	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	X509_STORE_free(t->system);
	X509_STORE_CTX_free(t->vctx);
	if (t->certs != NULL) {
		for (i = 0; i < TLS_CERT_SLOTS; i++)
			rec_cert_clear(&t->certs[i].c);
		free(t->certs);
	}
	free(t);
}

SSL *
tls_ssl_new(struct tls_ctx *t, const char *sni, const char *name, int is_ip)
{
	SSL	*ssl;

	if ((ssl = SSL_new(t->ctx)) == NULL) {
		tls_log_errors("SSL_new");
		return NULL;
	}
	if (sni != NULL && SSL_set_tlsext_host_name(ssl, sni) != 1)
		goto fail;
	if (name != NULL) {
		if (is_ip) {
			if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
			    name) != 1)
				goto fail;
		} else if (SSL_set1_host(ssl, name) != 1)
			goto fail;
	}
	return ssl;
fail:
	ERR_clear_error();
	SSL_free(ssl);
	return NULL;
}

/*
 * 1 when the default store trusts chain for name (NULL: whatever the
 * name).
 */
static int
tls_verify_system_chain(struct tls_ctx *t, STACK_OF(X509) *chain,
    const char *name, int is_ip)
{
	X509_VERIFY_PARAM	*param;
	int			 ok = 0;

	if (X509_STORE_CTX_init(t->vctx, t->system, sk_X509_value(chain, 0),
	    chain) != 1)
		goto out;
	X509_STORE_CTX_set_default(t->vctx, "ssl_server");
	param = X509_STORE_CTX_get0_param(t->vctx);
	if (name != NULL) {
		if (is_ip) {
			if (X509_VERIFY_PARAM_set1_ip_asc(param, name) != 1)
				goto out;
		} else if (X509_VERIFY_PARAM_set1_host(param, name, 0) != 1)
			goto out;
	}
	ok = X509_verify_cert(t->vctx) == 1;
out:
	X509_STORE_CTX_cleanup(t->vctx);
	ERR_clear_error();
	return ok;
}

/*
 * 1 when the default store trusts chain for name: the chain verifies
 * (remembered per chain) and its leaf matches the name.
 */
static int
tls_verify_system(struct tls_ctx *t, STACK_OF(X509) *chain,
    const char *name, int is_ip)
{
	struct tls_chain_slot	*s;
	unsigned char		 key[SHA256_DIGEST_LENGTH];
	X509			*leaf;
	int			 ok;

	if (chain == NULL || sk_X509_num(chain) == 0)
		return 0;
	if (!t->cache || tls_chain_key(chain, key) == -1)
		return tls_verify_system_chain(t, chain, name, is_ip);
	leaf = sk_X509_value(chain, 0);
	if ((s = tls_cache_find(&t->sys, key)) != NULL) {
		t->stats.sys_hits++;
		ok = s->ok;
	} else {
		t->stats.sys_misses++;
		ok = tls_verify_system_chain(t, chain, NULL, 0);
		tls_cache_put(&t->sys, key, ok);
	}
	if (ok && name != NULL) {
		if (is_ip)
			ok = X509_check_ip_asc(leaf, name, 0) > 0;
		else
			ok = X509_check_host(leaf, name, 0, 0, NULL) > 0;
	}
	ERR_clear_error();
	return ok;
}

const char *
tls_verify_failure(long v)
{
	switch (v) {
	case X509_V_OK:
		return NULL;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
	case X509_V_ERR_EMAIL_MISMATCH:
		return "ssl_invalid_hostname";
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_UNTRUSTED:
		return "ssl_unknown_authority";
	default:
		return "ssl_invalid_certificate";
	}
}

const char *
tls_cipher_name(const SSL_CIPHER *c)
{
	const char	*s;

	if (c == NULL)
		return "";
	/* The IANA name (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256), as OONI. */
	if ((s = SSL_CIPHER_standard_name(c)) != NULL)
		return s;
	return SSL_CIPHER_get_name(c);
}

/* Forget every remembered certificate (the table is full). */
static void
tls_certs_clear(struct tls_ctx *t)
{
	size_t	i;

	for (i = 0; i < TLS_CERT_SLOTS; i++) {
		rec_cert_clear(&t->certs[i].c);
		t->certs[i].used = 0;
	}
	t->ncerts = 0;
}

/*
 * The slot holding md, or the empty one where it belongs: open addressing
 * with linear probing, never more than 3/4 full.
 */
static struct tls_cert_slot *
tls_certs_slot(struct tls_ctx *t, const unsigned char *md)
{
	struct tls_cert_slot	*s;
	size_t			 i;

	i = ((size_t)md[0] << 8 | md[1]) & (TLS_CERT_SLOTS - 1);
	for (;; i = (i + 1) & (TLS_CERT_SLOTS - 1)) {
		s = &t->certs[i];
		if (!s->used || memcmp(s->md, md, sizeof s->md) == 0)
			return s;
	}
}

/*
 * cert_fill, or a copy of what it gave for the same certificate (same
 * SHA-256) earlier in the round: a CDN's intermediates, a shared leaf.
 * When the table is 3/4 full it starts again empty.
 */
static void
tls_cert_fill(struct tls_ctx *t, X509 *x, struct rec_cert *c)
{
	struct tls_cert_slot	*s;
	const unsigned char	*md;

	if (!t->cache || (md = cert_digest(x)) == NULL) {
		cert_fill(x, c);
		return;
	}
	if (t->certs == NULL)
		t->certs = xcalloc(TLS_CERT_SLOTS, sizeof *t->certs);
	s = tls_certs_slot(t, md);
	if (s->used) {
		t->stats.cert_hits++;
		rec_cert_copy(c, &s->c);
		return;
	}
	t->stats.cert_misses++;
	cert_fill(x, c);
	if (t->ncerts >= TLS_CERT_SLOTS / 4 * 3) {
		tls_certs_clear(t);
		s = tls_certs_slot(t, md);
	}
	rec_cert_copy(&s->c, c);
	memcpy(s->md, md, sizeof s->md);
	s->used = 1;
	t->ncerts++;
}

void
tls_fill(struct tls_ctx *t, SSL *ssl, struct rec_tls *e, const char *name,
    int is_ip, int cert_ok_is_success, int keep_der)
{
	STACK_OF(X509)	*chain;
	const char	*f;
	long		 v;
	int		 i, n;

	e->version = xstrdup(SSL_get_version(ssl));
	e->cipher = xstrdup(tls_cipher_name(SSL_get_current_cipher(ssl)));

	/* Borrowed; on the client side it starts with the leaf. */
	chain = SSL_get_peer_cert_chain(ssl);
	n = chain != NULL ? sk_X509_num(chain) : 0;
	for (i = 0; i < n && i < TLS_MAX_CHAIN; i++)
		tls_cert_fill(t, sk_X509_value(chain, i), rec_tls_add_cert(e));

	if (n == 0) {
		e->trusted = e->trusted_by_system = 0;
		e->verify_error = xstrdup("no certificate presented");
		if (!cert_ok_is_success)
			e->failure = xstrdup("ssl_invalid_certificate");
		return;
	}
	v = SSL_get_verify_result(ssl);
	e->trusted = v == X509_V_OK;
	if (!e->trusted)
		e->verify_error = xstrdup(X509_verify_cert_error_string(v));
	e->trusted_by_system = tls_verify_system(t, chain, name, is_ip);
	if (!cert_ok_is_success && (f = tls_verify_failure(v)) != NULL)
		e->failure = xstrdup(f);
	/* The whole chain as presented, whatever verification said. */
	if (!e->trusted || keep_der) {
		for (i = 0; i < (int)e->n_chain; i++)
			cert_keep_der(sk_X509_value(chain, i), &e->chain[i]);
	}
}

/* errno to df-007, as OONI Probe's netxlite classifies system errors. */
static const struct {
	int		 err;
	const char	*failure;
} tls_errnos[] = {
	{ ECONNREFUSED,		"connection_refused" },
	{ ECONNRESET,		"connection_reset" },
	{ EPIPE,		"connection_reset" },
	{ EHOSTUNREACH,		"host_unreachable" },
	{ ETIMEDOUT,		"generic_timeout_error" },
	{ EAFNOSUPPORT,		"address_family_not_supported" },
	{ EADDRINUSE,		"address_in_use" },
	{ EADDRNOTAVAIL,	"address_not_available" },
	{ EISCONN,		"already_connected" },
	{ EFAULT,		"bad_address" },
	{ EBADF,		"bad_file_descriptor" },
	{ ECONNABORTED,		"connection_aborted" },
	{ EALREADY,		"connection_already_in_progress" },
	{ EDESTADDRREQ,		"destination_address_required" },
	{ EINTR,		"interrupted" },
	{ EINVAL,		"invalid_argument" },
	{ EMSGSIZE,		"message_size" },
	{ ENETDOWN,		"network_down" },
	{ ENETRESET,		"network_reset" },
	{ ENETUNREACH,		"network_unreachable" },
	{ ENOBUFS,		"no_buffer_space" },
	{ ENOPROTOOPT,		"no_protocol_option" },
	{ ENOTSOCK,		"not_a_socket" },
	{ ENOTCONN,		"not_connected" },
	{ EWOULDBLOCK,		"operation_would_block" },
	{ EACCES,		"permission_denied" },
	{ EPROTONOSUPPORT,	"protocol_not_supported" },
	{ EPROTOTYPE,		"wrong_protocol_type" },
};

char *
tls_errno_failure(int err)
{
	char	*s;
	size_t	 i;

	for (i = 0; i < sizeof tls_errnos / sizeof tls_errnos[0]; i++) {
		if (tls_errnos[i].err == err)
			return xstrdup(tls_errnos[i].failure);
	}
	/* Anything else (EPERM from a firewall, ...): its text. */
	xasprintf(&s, "unknown_failure: %s", strerror(err));
	if (s[17] >= 'A' && s[17] <= 'Z')
		s[17] = (char)(s[17] - 'A' + 'a');
	return s;
}

char *
tls_handshake_failure(const unsigned long *errs, size_t n, int saved_errno,
    int eof)
{
	size_t	i;
	int	ssl_error = 0, sys_errno = 0;

	if (eof)
		return xstrdup("eof_error");
	for (i = 0; i < n; i++) {
		/* libevent also queues SSL_get_error() codes (small ints). */
		if (ERR_GET_LIB(errs[i]) == 0)
			continue;
		if (ERR_GET_LIB(errs[i]) == ERR_LIB_SYS) {
			sys_errno = ERR_GET_REASON(errs[i]);
			continue;
		}
		if (ERR_GET_LIB(errs[i]) == ERR_LIB_SSL &&
		    ERR_GET_REASON(errs[i]) ==
		    SSL_R_UNEXPECTED_EOF_WHILE_READING)
			return xstrdup("eof_error");
		ssl_error = 1;
	}
	if (ssl_error)
		return xstrdup("ssl_failed_handshake");
	if (sys_errno != 0)
		return tls_errno_failure(sys_errno);
	if (saved_errno != 0 && saved_errno != EAGAIN &&
	    saved_errno != EINPROGRESS)
		return tls_errno_failure(saved_errno);
	/* SSL_ERROR_SYSCALL with nothing queued: the peer closed. */
	return xstrdup("eof_error");
}
