/*
 * Certificate public keys decoded without OpenSSL 3.0's per-key decoder
 * set-up (see pubkey.c).  Process-wide; the probe turns it on for a run.
 */
#ifndef NJ_PUBKEY_H
#define NJ_PUBKEY_H

/*
 * 1 when keys of the common certificate types (EC, RSA, RSA-PSS) are now
 * decoded and used by OpenSSL's built-in key methods, 0 when this OpenSSL
 * does not need it (3.2 and later) or cannot (no ENGINE support); never
 * fails the caller.  Call before the first handshake, and pubkey_fast_stop()
 * after the last SSL object is freed.
 */
int	pubkey_fast_start(void);
void	pubkey_fast_stop(void);

#endif
