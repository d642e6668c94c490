#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "util.h"
#include "xmalloc.h"

char *
cert_name(const X509_NAME *name)
{
	BIO	*bio;
	char	*data, *s;
	long	 len;

	if (name == NULL)
		return xstrdup("");
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return xstrdup("");
	X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	len = BIO_get_mem_data(bio, &data);
	s = xstrndup(data, len > 0 ? (size_t)len : 0);
	BIO_free(bio);
	return s;
}

/*
 * A certificate's SHA-256 is wanted several times per handshake (the
 * chain's key for the verification cache, the system store's cache, the
 * record), so it is computed once and kept with the X509 object as ex_data.
 */
static CRYPTO_ONCE	cert_once = CRYPTO_ONCE_STATIC_INIT;
static int		cert_ex_idx = -1;

static void
cert_ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

static void
cert_ex_init(void)
{
	cert_ex_idx = X509_get_ex_new_index(0, NULL, NULL, NULL, cert_ex_free);
}

const unsigned char *
cert_digest(X509 *x)
{
	unsigned char	*md;
	unsigned int	 len = 0;

	if (!CRYPTO_THREAD_run_once(&cert_once, cert_ex_init) ||
	    cert_ex_idx < 0)
		return NULL;
	if ((md = X509_get_ex_data(x, cert_ex_idx)) != NULL)
		return md;
	md = xmalloc(EVP_MAX_MD_SIZE);
	if (X509_digest(x, EVP_sha256(), md, &len) != 1 || len != 32 ||
	    X509_set_ex_data(x, cert_ex_idx, md) != 1) {
		free(md);
		ERR_clear_error();
		return NULL;
	}
	return md;
}

void
cert_sha256(X509 *x, char out[65])
{
	const unsigned char	*md;

	if ((md = cert_digest(x)) == NULL) {
		out[0] = '\0';
		return;
	}
	util_hex(md, 32, out);
}

void
cert_spki_sha256(X509 *x, char out[65])
{
	unsigned char	 md[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned int	 mdlen = 0;
	int		 len;

	out[0] = '\0';
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (len <= 0)
		return;
	if (EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) == 1 &&
	    mdlen == 32)
		util_hex(md, 32, out);
	OPENSSL_free(der);
}

static char *
asn1_time(const ASN1_TIME *t)
{
	struct tm	tm;
	char		buf[32];

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return NULL;
	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ",
	    (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
	    tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
	    tm.tm_sec % 100);
	return xstrdup(buf);
}

void
cert_fill(X509 *x, struct rec_cert *c)
{
	GENERAL_NAMES		*names;
	const GENERAL_NAME	*gn;
	char			 ip[64];
	int			 i, n;

	c->subject = cert_name(X509_get_subject_name(x));
	c->issuer = cert_name(X509_get_issuer_name(x));
	cert_sha256(x, c->sha256);
	cert_spki_sha256(x, c->spki_sha256);
	c->not_before = asn1_time(X509_get0_notBefore(x));
	c->not_after = asn1_time(X509_get0_notAfter(x));

	names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (names == NULL)
		return;
	n = sk_GENERAL_NAME_num(names);
	for (i = 0; i < n; i++) {
		gn = sk_GENERAL_NAME_value(names, i);
		if (gn->type == GEN_DNS) {
			rec_cert_add_san(c, (const char *)ASN1_STRING_get0_data(
			    gn->d.dNSName), ASN1_STRING_length(gn->d.dNSName));
		} else if (gn->type == GEN_IPADD) {
			const unsigned char *a =
			    ASN1_STRING_get0_data(gn->d.iPAddress);
			int alen = ASN1_STRING_length(gn->d.iPAddress);

			if ((alen != 4 && alen != 16) || inet_ntop(alen == 4 ?
			    AF_INET : AF_INET6, a, ip, sizeof ip) == NULL)
				continue;
			rec_cert_add_san(c, ip, strlen(ip));
		}
	}
	GENERAL_NAMES_free(names);
}

void
cert_keep_der(X509 *x, struct rec_cert *c)
{
	unsigned char	*der = NULL;
	int		 n;

	if ((n = i2d_X509(x, &der)) <= 0 || (size_t)n > REC_MAX_BIN) {
		OPENSSL_free(der);
		ERR_clear_error();
		return;
	}
	rec_cert_set_der(c, der, (size_t)n);
	OPENSSL_free(der);
}
