/* sof_sha256.h: SHA-256 for the hot path.
 *
 * Backed by OpenSSL's low-level SHA-256 (which uses the SHA-NI extensions on
 * CPUs that have them). No allocation, no context creation per hash: the
 * one-shot functions keep their state on the stack. Two independent
 * messages at a time (sof_sha256_x2) use SHA-NI directly, interleaved; many
 * at a time (sof_sha256_batch) go 16 per pass through AVX-512 lanes, one
 * message per 32-bit lane (~0.35 us per 1228-byte message on Sapphire
 * Rapids against ~0.53 in SHA-NI pairs: SHA-NI's round instruction is
 * throughput-bound there, four interleaved streams are no faster than
 * two). */
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

/* sof_sha256_x2 hashes two independent messages that share a prefix:
 *   out_a = SHA-256(pre[0, pre_sz) || a[0, a_sz))
 *   out_b = SHA-256(pre[0, pre_sz) || b[0, b_sz))
 * the same bytes as two sof_sha256_2 calls. The lengths may differ (the
 * blocks both messages have are hashed together, the rest of the longer one
 * alone). With SHA-NI the rounds of the two messages are interleaved: one
 * SHA-256 stream is bound by the latency of the round instruction, so two
 * cost little more than one (a 1 KiB merkle leaf: 0.73 us alone, about
 * 0.42 us each in pairs on the 2-core EPYC class). Without SHA-NI (or off
 * x86-64) it hashes one after the other through OpenSSL.
 * Any pointer may be NULL when its size is 0. out_a and out_b must not
 * overlap each other; they may overlap the inputs (written last).
 * No allocation; thread safe. */
void sof_sha256_x2(uint8_t out_a[32], uint8_t out_b[32], void const *pre, size_t pre_sz,
                   void const *a, size_t a_sz, void const *b, size_t b_sz);

/* sof_sha256_x2_accelerated: 1 when sof_sha256_x2 interleaves (SHA-NI
 * present), 0 when it falls back to one message at a time. */
int sof_sha256_x2_accelerated(void);

/* sof_sha256_batch hashes cnt independent messages with a common prefix:
 *   out[i] = SHA-256(pre[0, pre_sz) || data[i][0, sz[i]))   (i < cnt)
 * the same bytes as sof_sha256_2 on each. Lengths may differ. Any data[i]
 * (and pre) may be NULL when its size is 0. No out[i] may overlap another
 * or any input. No allocation; thread safe. */
void sof_sha256_batch(uint8_t *const *out, void const *pre, size_t pre_sz,
                      void const *const *data, size_t const *sz, unsigned cnt);

/* sof_sha256_batch_impl names the path sof_sha256_batch takes: "avx512x16"
 * (16 messages per pass, one per 32-bit lane of AVX-512 vectors; a group of
 * fewer than 11 goes to SHA-NI pairs, which are faster there), "sha-ni"
 * (pairs, as sof_sha256_x2), or "openssl" (one by one). Chosen at first use: AVX-512 F+BW, else SHA-NI,
 * else OpenSSL. */
char const *sof_sha256_batch_impl(void);

/* sof_sha256_batch_select forces a path by that name (NULL or "auto": the
 * run-time choice), for tests and benchmarks. Returns 0, or -1 for an
 * unknown name or one this CPU lacks (nothing changed). Not thread safe
 * against concurrent sof_sha256_batch calls. */
int sof_sha256_batch_select(char const *name);

#endif /* SOF_CRYPTO_SHA256_H */
