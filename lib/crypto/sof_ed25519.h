/* sof_ed25519.h: ed25519 signatures.
 *
 * Signing and key derivation are libsodium's. Both verifiers accept and
 * reject exactly what libsodium's crypto_sign_ed25519_verify_detached does
 * (the same checks on S, R and A, the same cofactorless equation):
 * sof_ed25519_verify for any key (sliding-window digits; with AVX-512 IFMA
 * four field elements per product, sof_ed25519_ifma.c, about half of
 * libsodium's time), and sof_ed25519_verify_prepared for a key that
 * verifies many signatures (a slot leader's), prepared once, from
 * precomputed multiples of the key and of the base point: about a fifth
 * of libsodium's time with the scalar arithmetic, an eighth with AVX-512
 * IFMA (both sums in one eight-lane vector; bench/bench_verify).
 *
 * sof_ed25519_init must run once before any other call (it initialises
 * libsodium and builds the base point's table); afterwards every function
 * is thread safe. */
#ifndef SOF_CRYPTO_ED25519_H
#define SOF_CRYPTO_ED25519_H

#include <stddef.h>
#include <stdint.h>

#define SOF_ED25519_SIG_SZ     64UL
#define SOF_ED25519_PUBKEY_SZ  32UL
#define SOF_ED25519_KEYPAIR_SZ 64UL  /* 32-byte seed || 32-byte public key */
#define SOF_ED25519_TAB_W      6U   /* signed radix-2^6 digits */
#define SOF_ED25519_TAB_ROWS   22U  /* digit pairs: 44 digits cover a 253-bit scalar */
#define SOF_ED25519_TAB_COLS   32U  /* 1..2^(W-1) times the row's point */

/* A public key prepared for verification: k * 2^(12 j) * A for k = 1..32
 * and j = 0..21, affine, 66 KiB (the same for every implementation: the
 * IFMA verifier converts each slot it reads into its lanes). Contents are
 * private to sof_ed25519.c; the type is public so that callers can embed
 * or allocate it. */
typedef struct sof_ed25519_key {
  uint64_t tab[SOF_ED25519_TAB_ROWS][SOF_ED25519_TAB_COLS][12];
  uint8_t  pub[32];
  int      valid;  /* 1 after a successful sof_ed25519_key_prepare */
} sof_ed25519_key_t;

/* sof_ed25519_init initialises the library. Returns 0, -1 when libsodium
 * cannot initialise (no usable random source). Idempotent; call it from the
 * main thread at startup. */
int sof_ed25519_init(void);

/* sof_ed25519_verify checks sig (64 bytes) over msg (sz bytes) against the
 * public key pub (32 bytes). Returns 0 when valid, -1 otherwise (including
 * non-canonical or small-order keys and signatures, as libsodium rejects).
 * Pure; thread safe after sof_ed25519_init. */
int sof_ed25519_verify(uint8_t const sig[64], void const *msg, size_t sz, uint8_t const pub[32]);

/* The arithmetic of sof_ed25519_verify and sof_ed25519_verify_prepared.
 * AUTO picks IFMA where the CPU has AVX-512 F, VL and IFMA (four field
 * elements per product, sof_ed25519_ifma.c; a prepared verification runs
 * its two sums side by side in 512-bit vectors), SCALAR elsewhere (four
 * 64-bit words; mulx/adx where the build targets BMI2 and ADX, plain C
 * otherwise). Every implementation gives the same verdict for every input,
 * and both read the same prepared tables: a key prepared under one
 * verifies under the other. */
typedef enum {
  SOF_ED25519_IMPL_AUTO = 0,
  SOF_ED25519_IMPL_SCALAR = 1,
  SOF_ED25519_IMPL_IFMA = 2,
} sof_ed25519_impl_t;

/* sof_ed25519_impl_set chooses the implementation of both verifiers (tests
 * and benchmarks compare them; sof_ed25519_init has already chosen AUTO).
 * Returns 0, or -1 when the CPU cannot run it, for an unknown value, or
 * before sof_ed25519_init. Not thread safe: call it while no other thread
 * verifies. sof_ed25519_impl returns the implementation in use (never
 * AUTO after init); sof_ed25519_impl_name a static name for one. */
int sof_ed25519_impl_set(sof_ed25519_impl_t which);
sof_ed25519_impl_t sof_ed25519_impl(void);
char const *sof_ed25519_impl_name(sof_ed25519_impl_t which);

/* sof_ed25519_key_prepare decodes pub (32 bytes, copied) into key and
 * builds its table (about three and a half libsodium verifications'
 * cost). Returns 0, or -1 when libsodium would reject every signature
 * under pub: a non-canonical encoding, a point of small order, or no
 * point at all (key->valid is then 0 and the key verifies nothing). Also
 * -1 before sof_ed25519_init. key must not be in use by another thread
 * while it is prepared. */
int sof_ed25519_key_prepare(sof_ed25519_key_t *key, uint8_t const pub[32]);

/* The state of a key preparation done in steps. Contents are private to
 * sof_ed25519.c (the prefix products of the batch inversion, ~22 KiB);
 * the type is public so that callers can embed or allocate it. */
typedef struct sof_ed25519_prep {
  uint64_t mem[SOF_ED25519_TAB_ROWS * SOF_ED25519_TAB_COLS * 4 + 64];
  int      state;  /* 1 while a preparation is under way */
} sof_ed25519_prep_t;

/* sof_ed25519_key_prepare_begin starts preparing key for pub (32 bytes,
 * copied) in steps, for a caller that cannot stop for a whole preparation
 * (an idle poll preparing the next leader's key). It runs the same checks
 * as sof_ed25519_key_prepare and returns 0, or -1 for a key libsodium
 * would reject (or before sof_ed25519_init; prep is then idle). key->valid
 * stays 0 until the last step: the key verifies nothing meanwhile.
 * sof_ed25519_key_prepare_step does one bounded step (under 10 µs here:
 * one row of the table, 256 prefix products of the batch inversion, or 48
 * points of the affine conversion; 40 steps in all) and returns 1 while steps
 * remain, 0 when key is ready (key->valid = 1), -1 when prep has no
 * preparation under way. key and prep belong to the caller's thread until
 * then; abandoning a preparation is fine (begin again or prepare the key
 * at once). The table is the same as sof_ed25519_key_prepare's (which is
 * begin plus every step). */
int sof_ed25519_key_prepare_begin(sof_ed25519_key_t *key, sof_ed25519_prep_t *prep, uint8_t const pub[32]);
int sof_ed25519_key_prepare_step(sof_ed25519_key_t *key, sof_ed25519_prep_t *prep);

/* sof_ed25519_verify_prepared checks sig (64 bytes) over msg (sz bytes)
 * against the prepared key. Returns 0 when valid, -1 otherwise: the same
 * verdict as sof_ed25519_verify(sig, msg, sz, key->pub) for every input.
 * key is only read: any number of threads may verify with one key. No
 * allocation, variable time (signatures are public). */
int sof_ed25519_verify_prepared(uint8_t const sig[64], void const *msg, size_t sz,
                                sof_ed25519_key_t const *key);

/* sof_ed25519_warm reads `lines` cache lines of the tables that
 * sof_ed25519_verify_prepared(.., key) reads (the base point's, then
 * key's, or only the base point's when key is NULL), starting at line
 * *cursor, which it advances and wraps. An idle poller calls it with a
 * small count to keep both tables in cache (and their pages in the TLB):
 * a verification after a long pause otherwise pays for those misses.
 * With the IFMA implementation it also runs a few 512-bit multiply-adds
 * (even for lines = 0), which keep the core's 512-bit units powered: after
 * some 10-20 µs without them the next prepared verification pays ~2 µs to
 * wake them (6.7 instead of 4.7 µs here). Returns a value derived from the
 * bytes read (ignore it; it keeps the reads). Thread safe after
 * sof_ed25519_init; key only read. */
uint64_t sof_ed25519_warm(sof_ed25519_key_t const *key, uint32_t *cursor, uint32_t lines);

/* sof_ed25519_sign writes the (deterministic) signature of msg by the key
 * pair kp (seed || public key, libsodium's secret key layout) into sig.
 * Thread safe after sof_ed25519_init. */
void sof_ed25519_sign(uint8_t sig[64], void const *msg, size_t sz, uint8_t const kp[64]);

/* sof_ed25519_keypair_from_seed derives the key pair kp (seed || public
 * key) from a 32-byte seed. Thread safe after sof_ed25519_init. */
void sof_ed25519_keypair_from_seed(uint8_t kp[64], uint8_t const seed[32]);

#endif /* SOF_CRYPTO_ED25519_H */
