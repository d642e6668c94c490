/*
 * Every certificate a server presents is parsed by libssl, and parsing a
 * certificate decodes its public key.  OpenSSL 3.0 does that through its
 * provider decoders, and builds a fresh decoder chain for every key: about
 * 150 us per certificate here, 47 % of all the CPU a campaign spends
 * (bench/profile.sh; upstream openssl#17950, cured by the decoder cache of
 * 3.2).  OpenSSL 3.0 skips the decoders when an ENGINE is registered for
 * the key's type: it then decodes with its built-in key method (about
 * 10 us) and signs and verifies with the built-in EVP_PKEY_METHOD, the same
 * arithmetic the provider runs.
 *
 * So, for a run, register an ENGINE whose key methods are OpenSSL's own
 * built-in ones, for the key types of nearly every certificate: EC, RSA
 * and RSA-PSS.  Nothing is reimplemented and no verification is changed
 * (tests/check_tls checks chains of every type both ways and compares the
 * records).  With OpenSSL 3.2 or later, or a build without ENGINE support,
 * nothing is registered.  ENGINE is deprecated API, used here on purpose
 * and only here.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/opensslv.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#ifndef OPENSSL_NO_ENGINE
#include <openssl/engine.h>
#endif

#include "pubkey.h"

#ifndef OPENSSL_NO_ENGINE
static ENGINE	*pubkey_engine;

static const int pubkey_nids[] = { EVP_PKEY_EC, EVP_PKEY_RSA,
    EVP_PKEY_RSA_PSS };

static int
pubkey_meths(ENGINE *e, EVP_PKEY_METHOD **pmeth, const int **nids, int nid)
{
	(void)e;
	if (pmeth == NULL) {
		*nids = pubkey_nids;
		return (int)(sizeof pubkey_nids / sizeof pubkey_nids[0]);
	}
	/* OpenSSL's own method: the ENGINE only selects the legacy path. */
	*pmeth = (EVP_PKEY_METHOD *)EVP_PKEY_meth_find(nid);
	return *pmeth != NULL;
}

int
pubkey_fast_start(void)
{
	ENGINE	*e;

	if (pubkey_engine != NULL)
		return 1;
	if (OpenSSL_version_num() >= 0x30200000L)
		return 0;
	if ((e = ENGINE_new()) == NULL)
		return 0;
	if (!ENGINE_set_id(e, "nightjar-pubkey") ||
	    !ENGINE_set_name(e, "OpenSSL's built-in key methods") ||
	    !ENGINE_set_pkey_meths(e, pubkey_meths) ||
	    !ENGINE_set_default_pkey_meths(e)) {
		ENGINE_free(e);
		ERR_clear_error();
		return 0;
	}
	pubkey_engine = e;
	return 1;
}

void
pubkey_fast_stop(void)
{
	if (pubkey_engine == NULL)
		return;
	ENGINE_unregister_pkey_meths(pubkey_engine);
	ENGINE_free(pubkey_engine);
	pubkey_engine = NULL;
}

#else

int
pubkey_fast_start(void)
{
	return 0;
}

void
pubkey_fast_stop(void)
{
}

#endif
