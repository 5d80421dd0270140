/* sof_sha256.h: SHA-256 for the hot path.
 *
 * Backed by OpenSSL's low-level SHA-256 (which uses the SHA-NI extensions on
 * CPUs that have them). No allocation, no context creation per hash: the
 * one-shot functions keep their state on the stack. */
#ifndef SOF_CRYPTO_SHA256_H
#define SOF_CRYPTO_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SOF_SHA256_SZ 32UL

/* sof_sha256 hashes sz bytes at data into out (32 bytes).
 * data may be NULL when sz is 0; out may alias nothing in data.
 * Thread safe (no shared state). */
void sof_sha256(uint8_t out[32], void const *data, size_t sz);

/* sof_sha256_2 hashes the concatenation a || b without copying either.
 * Same contract as sof_sha256. */
void sof_sha256_2(uint8_t out[32], void const *a, size_t a_sz, void const *b, size_t b_sz);

/* sof_sha256_3 hashes a || b || c without copying. Same contract. */
void sof_sha256_3(uint8_t out[32], void const *a, size_t a_sz, void const *b, size_t b_sz,
                  void const *c, size_t c_sz);

#endif /* SOF_CRYPTO_SHA256_H */
