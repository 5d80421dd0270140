/* sof_ed25519.h: ed25519 signatures (libsodium).
 *
 * sof_ed25519_init must run once before any other call (it initialises
 * libsodium); afterwards every function is thread safe. */
#ifndef SOF_CRYPTO_ED25519_H
#define SOF_CRYPTO_ED25519_H

#include <stddef.h>
#include <stdint.h>

#define SOF_ED25519_SIG_SZ     64UL
#define SOF_ED25519_PUBKEY_SZ  32UL
#define SOF_ED25519_KEYPAIR_SZ 64UL  /* 32-byte seed || 32-byte public key */

/* sof_ed25519_init initialises the library. Returns 0, -1 when libsodium
 * cannot initialise (no usable random source). Idempotent; call it from the
 * main thread at startup. */
int sof_ed25519_init(void);

/* sof_ed25519_verify checks sig (64 bytes) over msg (sz bytes) against the
 * public key pub (32 bytes). Returns 0 when valid, -1 otherwise (including
 * non-canonical or small-order keys and signatures, as libsodium rejects).
 * Pure; thread safe after sof_ed25519_init. */
int sof_ed25519_verify(uint8_t const sig[64], void const *msg, size_t sz, uint8_t const pub[32]);

/* sof_ed25519_sign writes the (deterministic) signature of msg by the key
 * pair kp (seed || public key, libsodium's secret key layout) into sig.
 * Thread safe after sof_ed25519_init. */
void sof_ed25519_sign(uint8_t sig[64], void const *msg, size_t sz, uint8_t const kp[64]);

/* sof_ed25519_keypair_from_seed derives the key pair kp (seed || public
 * key) from a 32-byte seed. Thread safe after sof_ed25519_init. */
void sof_ed25519_keypair_from_seed(uint8_t kp[64], uint8_t const seed[32]);

#endif /* SOF_CRYPTO_ED25519_H */
