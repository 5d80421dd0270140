/* sof_ed25519_ifma.h: the double scalar multiplication of an ed25519
 * verification (unprepared key, and prepared key from sof_ed25519.c's
 * tables), four field elements at a time (AVX-512 IFMA).
 * Private to lib/crypto: sof_ed25519.c is the only caller and chooses it
 * at run time (sof_ed25519_impl_set).
 *
 * Field elements are five limbs of radix 2^51 (sum v[i] 2^(51 i)), the
 * layout of sof_ed25519.c's fe_t. A point (X, Y, Z, T) lives in one vector
 * set: lane 0 X, lane 1 Y, lane 2 Z, lane 3 T, limb i of the four in one
 * 256-bit register, so that every step of a doubling or an addition is one
 * four-lane product (vpmadd52luq / vpmadd52huq) between lane permutations.
 * Products take limbs below 2^52 and return limbs at most 2^51 + 2^15.
 *
 * Nothing here allocates or blocks; variable time (every input of a
 * verification is public). */
#ifndef SOF_CRYPTO_ED25519_IFMA_H
#define SOF_CRYPTO_ED25519_IFMA_H

#include <stdint.h>

/* The largest |digit| of the base point's signed sliding-window digits
 * (the odd multiples B, 3B, .., 127B are tabled) and of the key's (A, 3A,
 * .., 15A are built per call). */
#define SOF_ED25519_IFMA_BDIG 127
#define SOF_ED25519_IFMA_ADIG 15

/* sof_ed25519_ifma_available: 1 when this build has the kernels and the
 * CPU runs AVX-512F, VL and IFMA, else 0. Thread safe. */
int sof_ed25519_ifma_available(void);

/* sof_ed25519_ifma_init builds the table of odd multiples of the base
 * point B = (bx, by, 1, bt) (limbs below 2^52) with d2 = 2d. Call once,
 * from one thread, before sof_ed25519_ifma_dsm, and only when
 * sof_ed25519_ifma_available() is 1. */
void sof_ed25519_ifma_init(uint64_t const bx[5], uint64_t const by[5], uint64_t const bt[5], uint64_t const d2[5]);

/* sof_ed25519_ifma_dsm computes [s]B - [k]A, s = sum es[i] 2^i and
 * k = sum ek[i] 2^i (signed sliding-window digits: zero or odd, |es[i]| <=
 * SOF_ED25519_IFMA_BDIG, |ek[i]| <= SOF_ED25519_IFMA_ADIG), A = (X, Y, Z, T)
 * in a[0..3] (limbs below 2^52, extended coordinates). Writes the result's
 * X, Y, Z (projective, limbs below 2^52) to out[0..2]. Thread safe after
 * sof_ed25519_ifma_init. */
void sof_ed25519_ifma_dsm(uint64_t out[3][5], int8_t const es[256], int8_t const ek[256], uint64_t const a[4][5]);

/* sof_ed25519_ifma_dsm_prepared computes [s]B - [k]A from two tables of
 * affine points in sof_ed25519.c's prepared layout: row j, column c holds
 * (c + 1) 2^(2 W j) P (W = SOF_ED25519_IFMA_PREP_W) as 12 words, y + x,
 * y - x and 2dxy, four 64-bit words each (any value below 2^256); rows of
 * `cols` slots, btab for B and atab for A. s = sum es[i] 2^(W i) and k =
 * sum ek[i] 2^(W i), ndig signed digits each with |digit| <= cols. Odd
 * digits are added first, then the sums are doubled W times, then the even
 * digits are added. Writes the result's X, Y, Z (projective, limbs below
 * 2^52) to out[0..2]. Only reads the tables; thread safe after
 * sof_ed25519_ifma_init. */
#define SOF_ED25519_IFMA_PREP_W 6U
void sof_ed25519_ifma_dsm_prepared(uint64_t out[3][5], int8_t const *es, int8_t const *ek, unsigned ndig,
                                   unsigned cols, uint64_t const *btab, uint64_t const *atab);

/* sof_ed25519_ifma_keep_warm runs four dependent 512-bit IFMA
 * multiply-adds on x and returns the result. The core powers its 512-bit
 * units down after some 10-20 µs without such work, and the first
 * prepared verification after that pays for waking them: measured on
 * Sapphire Rapids, 6.7 µs instead of 4.7 after 100 µs of scalar work;
 * with this call in that pause, 4.7 (512-bit loads and logic do not keep
 * them up; the scalar verifier was not slowed by it). For an idle poller
 * (sof_ed25519_warm). Only when sof_ed25519_ifma_available() is 1. */
uint64_t sof_ed25519_ifma_keep_warm(uint64_t x);

#endif /* SOF_CRYPTO_ED25519_IFMA_H */
