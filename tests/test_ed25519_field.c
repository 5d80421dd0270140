/* test_ed25519_field: the field arithmetic inside sof_ed25519.c, white box
 * (the file is compiled into this test, so its static functions are
 * reachable; the test links libsodium, not the sof_crypto library).
 *
 * fe_invert_vartime (safegcd divsteps) against fe_invert (z^(p-2), the
 * plain exponentiation): both must give the same canonical bytes for zero,
 * one, p - 1, the non-canonical encodings of 0, 1 and 18 (p, p + 1,
 * 2^255 - 1), values just under p, small values, single bits, limbs left
 * unreduced, and random values; and z * (1/z) must be 1 for every
 * non-zero z. */
#include "crypto/sof_ed25519.c"

#include <stdio.h>

#include "sof_test.h"

static uint64_t rng_state = 0xf1e1d25519ULL;

static uint64_t
rng(void) {
  return sof_test_rng(&rng_state);
}

static unsigned agree_cnt, unit_cnt;

/* Both inversions of z, compared; z * (1/z) checked for non-zero z. */
static void
check_inverse(fe_t const *z) {
  fe_t a, b, one;
  uint8_t ea[32], eb[32], eone[32], ez[32];
  fe_invert(&a, z);
  fe_invert_vartime(&b, z);
  fe_tobytes(ea, &a);
  fe_tobytes(eb, &b);
  SOF_CHECK_MEM(ea, eb, 32);
  agree_cnt += !memcmp(ea, eb, 32);
  fe_tobytes(ez, z);
  int zero = 1;
  for (int i = 0; i < 32; i++) zero &= ez[i] == 0;
  fe_mul(&one, z, &b);
  fe_tobytes(eone, &one);
  uint8_t want[32] = {0};
  want[0] = zero ? 0 : 1;
  SOF_CHECK_MEM(eone, want, 32);
  unit_cnt += !memcmp(eone, want, 32);
}

/* The 255-bit value of b (the top bit ignored, like an encoding's y). */
static void
check_bytes(uint8_t const b[32]) {
  fe_t z;
  fe_frombytes(&z, b);
  check_inverse(&z);
}

/* p - k (k < 2^8), as bytes. */
static void
p_minus(uint8_t b[32], unsigned k) {
  memset(b, 0xff, 32);
  b[31] = 0x7f;
  b[0] = (uint8_t)(0xed - k); /* p = 2^255 - 19: low byte 0xed */
}

int
main(void) {
  SOF_CHECK_EQ(sof_ed25519_init(), 0);
  /* p^-1 mod 2^62, found by Newton's iteration at init */
  SOF_CHECK_EQ(((uint64_t)p62.v[0] * p_inv62) & M62, 1);

  uint8_t b[32];
  memset(b, 0, 32);
  check_bytes(b); /* 0: both give 0 */
  b[0] = 1;
  check_bytes(b);
  b[0] = 2;
  check_bytes(b);
  for (unsigned k = 0; k <= 40; k++) { /* p, p - 1 ... p - 40 */
    p_minus(b, k);
    check_bytes(b);
  }
  p_minus(b, 0); /* p + 1 ... p + 18 = 2^255 - 1: non-canonical 1 ... 18 */
  for (unsigned k = 1; k <= 18; k++) {
    b[0] = (uint8_t)(0xed + k);
    check_bytes(b);
  }
  for (unsigned bit = 0; bit < 255; bit++) { /* 2^bit */
    memset(b, 0, 32);
    b[bit / 8] = (uint8_t)(1U << (bit % 8));
    check_bytes(b);
  }
  for (unsigned i = 0; i < 200; i++) { /* small values */
    memset(b, 0, 32);
    b[0] = (uint8_t)i;
    b[1] = (uint8_t)(i * 7);
    check_bytes(b);
  }
  for (unsigned i = 0; i < 20000; i++) { /* random, some with limbs above 2^51 */
    fe_t z;
    for (int l = 0; l < 5; l++) z.v[l] = rng() & M51;
    if (i % 3 == 0)
      for (int l = 0; l < 5; l++) z.v[l] += rng() & ((1ULL << 51) - 1);
    check_inverse(&z);
  }
  fprintf(stderr, "test_ed25519_field: %u inversions agree with z^(p-2), %u products z/z are 1 (0 for 0)\n",
          agree_cnt, unit_cnt);
  return sof_test_done("test_ed25519_field");
}
