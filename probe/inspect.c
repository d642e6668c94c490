/*
 * Local TLS inspection (see inspect.h): the shipped list of products'
 * roots, the match on a certificate name, and the rule over a round.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "inspect.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define INSPECT_MAX_FILE	(256 * 1024)
#define INSPECT_MAX_ENTRIES	1024

struct inspect_entry {
	char	*cn;
	char	*product;
};

struct inspect_list {
	struct inspect_entry	*v;
	size_t			 n;
};

void
inspect_free(struct inspect_list *l)
{
	size_t	i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->v[i].cn);
		free(l->v[i].product);
	}
	free(l->v);
	free(l);
}

size_t
inspect_count(const struct inspect_list *l)
{
	return l != NULL ? l->n : 0;
}

/* The field [s, e) without surrounding blanks, as a heap string. */
static char *
field(const char *s, const char *e)
{
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	return xstrndup(s, (size_t)(e - s));
}

struct inspect_list *
inspect_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct inspect_list	*l;
	const char		*p = text, *end = text + len, *eol, *bar1, *bar2;
	char			*cn, *product;
	size_t			 lineno = 0;

	l = xcalloc(1, sizeof *l);
	for (; p < end; p = eol + 1) {
		lineno++;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if (memchr(p, '\0', (size_t)(eol - p)) != NULL) {
			snprintf(err, errlen, "line %zu: a NUL byte", lineno);
			goto bad;
		}
		while (p < eol && isspace((unsigned char)*p))
			p++;
		if (p == eol || *p == '#')
			continue;
		bar1 = memchr(p, '|', (size_t)(eol - p));
		bar2 = bar1 != NULL ? memchr(bar1 + 1, '|',
		    (size_t)(eol - bar1 - 1)) : NULL;
		if (bar2 == NULL) {
			snprintf(err, errlen, "line %zu: want 'CN | product | "
			    "source'", lineno);
			goto bad;
		}
		cn = field(p, bar1);
		product = field(bar1 + 1, bar2);
		if (*cn == '\0' || *product == '\0' || strlen(cn) > 256 ||
		    strlen(product) > 256) {
			snprintf(err, errlen, "line %zu: an empty or overlong "
			    "CN or product", lineno);
			free(cn);
			free(product);
			goto bad;
		}
		if (l->n >= INSPECT_MAX_ENTRIES) {
			snprintf(err, errlen, "more than %d products",
			    INSPECT_MAX_ENTRIES);
			free(cn);
			free(product);
			goto bad;
		}
		l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
		l->v[l->n].cn = cn;
		l->v[l->n].product = product;
		l->n++;
	}
	return l;
bad:
	inspect_free(l);
	return NULL;
}

struct inspect_list *
inspect_load(const char *path)
{
	struct inspect_list	*l;
	char			*data, err[256];
	size_t			 len;

	if (util_read_file(path, INSPECT_MAX_FILE, &data, &len, err,
	    sizeof err) != 0) {
		log_warn("%s: %s; local TLS inspection is recognised only by "
		    "its effects", path, err);
		return NULL;
	}
	if ((l = inspect_parse(data, len, err, sizeof err)) == NULL)
		log_warn("%s: %s; not used", path, err);
	free(data);
	return l;
}

/* The CN value of an RFC 2253 name, into buf ("" when none). */
static void
name_cn(const char *name, char *buf, size_t len)
{
	const char	*p = name;
	size_t		 n = 0;

	buf[0] = '\0';
	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, "CN=", 3) == 0) {
			for (p += 3; *p != '\0' && n + 1 < len; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;	/* an escaped character */
				else if (*p == ',' || *p == '+')
					break;
				buf[n++] = *p;
			}
			buf[n] = '\0';
			return;
		}
		/* The next RDN: after an unescaped ',' or '+'. */
		for (; *p != '\0'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == ',' || *p == '+') {
				p++;
				break;
			}
		}
	}
}

const char *
inspect_match(const struct inspect_list *l, const char *name)
{
	char	cn[512];
	size_t	i;

	if (l == NULL || name == NULL)
		return NULL;
	name_cn(name, cn, sizeof cn);
	if (cn[0] == '\0')
		return NULL;
	for (i = 0; i < l->n; i++) {
		if (strncasecmp(cn, l->v[i].cn, strlen(l->v[i].cn)) == 0)
			return l->v[i].product;
	}
	return NULL;
}

/* The subject of x in RFC 2253 form (UTF-8 kept), into buf. */
static void
cert_subject(X509 *x, char *buf, size_t len)
{
	BIO	*mem;
	int	 n = 0;

	buf[0] = '\0';
	if ((mem = BIO_new(BIO_s_mem())) == NULL)
		return;
	X509_NAME_print_ex(mem, X509_get_subject_name(x), 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	n = BIO_read(mem, buf, (int)len - 1);
	buf[n > 0 ? n : 0] = '\0';
	BIO_free(mem);
}

size_t
inspect_warn_system(const struct inspect_list *l)
{
	const char	*path;
	char		 subject[1024];
	const char	*product;
	X509		*x;
	BIO		*bio;
	size_t		 found = 0;

	if (l == NULL || l->n == 0)
		return 0;
	if ((path = getenv(X509_get_default_cert_file_env())) == NULL)
		path = X509_get_default_cert_file();
	if ((bio = BIO_new_file(path, "r")) == NULL) {
		ERR_clear_error();
		return 0;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		cert_subject(x, subject, sizeof subject);
		if ((product = inspect_match(l, subject)) != NULL) {
			log_warn("this machine trusts the root of %s ('%s'): "
			    "HTTPS it inspects is recorded as 'error', not as "
			    "interception", product, subject);
			found++;
		}
		X509_free(x);
	}
	ERR_clear_error();
	BIO_free(bio);
	return found;
}

const char *
inspect_common_root(const struct inspect_seen *v, size_t n,
    size_t min_targets)
{
	const char	*root = NULL;
	size_t		 i, seen = 0;
	int		 real = 0;

	for (i = 0; i < n; i++) {
		if (v[i].root == NULL)
			continue;
		if (v[i].trusted || !v[i].trusted_by_system)
			return NULL;
		if (root == NULL)
			root = v[i].root;
		else if (strcmp(root, v[i].root) != 0)
			return NULL;
		seen++;
		real |= v[i].vantage_real;
	}
	return seen >= min_targets && seen > 0 && real ? root : NULL;
}
