/*
 * Known interception roots (--interception-cas DIR): every certificate of
 * every *.pem file in DIR, described exactly as the chain entries of a
 * record are (probe/cert.c), so hashes and names compare as strings.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cert.h"
#include "log.h"
#include "verdict.h"
#include "xmalloc.h"

#define ICA_MAX_FILE	(4 * 1024 * 1024)
#define ICA_MAX_CERTS	4096

static int
ica_select(const struct dirent *de)
{
	size_t	len = strlen(de->d_name);

	return de->d_name[0] != '.' && len > 4 &&
	    strcmp(de->d_name + len - 4, ".pem") == 0;
}

/* Append the certificates of one file; the number read or -1. */
static int
ica_load_file(const char *path, struct ica **cas, size_t *n)
{
	struct stat	 sb;
	BIO		*bio;
	X509		*x;
	struct ica	*ca;
	unsigned long	 e;
	int		 found = 0;

	if (stat(path, &sb) != 0) {
		log_warn("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode))
		return 0;
	if (sb.st_size > ICA_MAX_FILE) {
		log_warn("%s: too large for a certificate file, skipped", path);
		return -1;
	}
	if ((bio = BIO_new_file(path, "r")) == NULL) {
		log_warn("%s: cannot open", path);
		ERR_clear_error();
		return -1;
	}
	while ((x = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL)) != NULL) {
		if (*n >= ICA_MAX_CERTS) {
			log_warn("%s: more than %d interception roots, the "
			    "rest ignored", path, ICA_MAX_CERTS);
			X509_free(x);
			break;
		}
		*cas = xreallocarray(*cas, *n + 1, sizeof **cas);
		ca = &(*cas)[(*n)++];
		memset(ca, 0, sizeof *ca);
		cert_sha256(x, ca->sha256);
		cert_spki_sha256(x, ca->spki_sha256);
		ca->subject = cert_name(X509_get_subject_name(x));
		X509_free(x);
		found++;
	}
	e = ERR_peek_last_error();
	if (found == 0 || (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)))
		log_warn("%s: %s", path, found == 0 ?
		    "no PEM certificate found" :
		    "damaged PEM data after the last certificate");
	ERR_clear_error();
	BIO_free(bio);
	return found;
}

int
ica_load_dir(const char *dir, struct ica **out, size_t *n)
{
	struct dirent	**names = NULL;
	struct ica	 *cas = NULL;
	char		 *path;
	size_t		  n_cas = 0;
	int		  i, count;

	*out = NULL;
	*n = 0;
	/* The caller reports it (errno is kept): it knows how bad it is. */
	if ((count = scandir(dir, &names, ica_select, alphasort)) < 0)
		return -1;
	for (i = 0; i < count; i++) {
		xasprintf(&path, "%s/%s", dir, names[i]->d_name);
		ica_load_file(path, &cas, &n_cas);
		free(path);
		free(names[i]);
	}
	free(names);
	*out = cas;
	*n = n_cas;
	return 0;
}

void
ica_free(struct ica *cas, size_t n)
{
	size_t	i;

	if (cas == NULL)
		return;
	for (i = 0; i < n; i++)
		free(cas[i].subject);
	free(cas);
}
