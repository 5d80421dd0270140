/* test_ed25519_field: the field arithmetic inside sof_ed25519.c, white box
 * (the file is compiled into this test, so its static functions are
 * reachable; the test links libsodium, not the sof_crypto library).
 *
 * fe_invert_vartime (safegcd divsteps) against fe_invert (z^(p-2), the
 * plain exponentiation): both must give the same canonical bytes for zero,
 * one, p - 1, the non-canonical encodings of 0, 1 and 18 (p, p + 1,
 * 2^255 - 1), values just under p, small values, single bits, limbs left
 * unreduced, and random values; and z * (1/z) must be 1 for every
 * non-zero z.
 *
 * The four-word arithmetic of the group code (fe64_mul, fe64_add, fe64_sub
 * and the conversions) against a schoolbook reference written here: the
 * 512-bit product (in 32-bit halves) or the 258-bit sum, reduced mod p by
 * folding 2^255 = 19 and one conditional subtraction. Operands run over
 * 0, 1, 2, 19, 38, p - 1, p, p + 1, 2^255 - 1, 2^255, 2^256 - 39 ...
 * 2^256 - 1, single bits, words of all ones or zeros, and random values.
 * The four-lane IFMA product (sof_ed25519_ifma.c, included here too)
 * against fe_mul at its operand bounds (check_fe4).
 * The program is built twice: with the build's arithmetic (mulx/adx when
 * -march has BMI2 and ADX) and with SOF_ED25519_PORTABLE (plain C). */
#include "crypto/sof_ed25519.c"
#include "crypto/sof_ed25519_ifma.c"

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

/* ---- the four-word form against the reference ---- */

/* x (n words) mod p, canonical, into r. */
static void
ref_mod(uint64_t r[4], uint64_t const *x, unsigned n) {
  uint64_t w[9] = {0};
  memcpy(w, x, n * 8);
  for (;;) { /* x = lo + 2^255 hi = lo + 19 hi (mod p), until hi is 0 */
    uint64_t hi[9] = {0};
    int any = 0;
    for (unsigned i = 0; i < 5; i++) {
      hi[i] = (w[i + 3] >> 63) | (i + 4 < 9 ? w[i + 4] << 1 : 0);
      any |= hi[i] != 0;
    }
    if (!any) break;
    w[3] &= ~(1ULL << 63);
    for (unsigned i = 4; i < 9; i++) w[i] = 0;
    u128 c = 0;
    for (unsigned i = 0; i < 9; i++) {
      c += (u128)w[i] + (i < 5 ? (u128)hi[i] * 19 : 0);
      w[i] = (uint64_t)c;
      c >>= 64;
    }
  }
  static uint64_t const p[4] = {0xffffffffffffffedULL, ~0ULL, ~0ULL, 0x7fffffffffffffffULL};
  int ge = 1;
  for (int i = 3; i >= 0; i--) {
    if (w[i] != p[i]) {
      ge = w[i] > p[i];
      break;
    }
  }
  uint64_t borrow = 0;
  for (unsigned i = 0; i < 4; i++) {
    u128 d = (u128)w[i] - (ge ? p[i] : 0) - borrow;
    r[i] = (uint64_t)d;
    borrow = (uint64_t)(d >> 127);
  }
}

static unsigned fe64_cnt;

static void
check_words(fe64_t const *got, uint64_t const want[4]) {
  uint64_t g[4];
  ref_mod(g, got->v, 4);
  SOF_CHECK_MEM(g, want, 32);
  fe64_cnt += !memcmp(g, want, 32);
}

/* a * b mod p, canonical. The product is formed in 32-bit halves (no
 * 128-bit arithmetic), apart from the code under test. */
static void
ref_mul(uint64_t want[4], fe64_t const *a, fe64_t const *b) {
  uint32_t x[8], y[8];
  for (unsigned i = 0; i < 8; i++) {
    x[i] = (uint32_t)(a->v[i / 2] >> (32 * (i % 2)));
    y[i] = (uint32_t)(b->v[i / 2] >> (32 * (i % 2)));
  }
  uint32_t z[16] = {0};
  for (unsigned i = 0; i < 8; i++) {
    uint64_t carry = 0;
    for (unsigned j = 0; j < 8; j++) {
      uint64_t v = (uint64_t)x[i] * y[j] + z[i + j] + carry; /* < 2^64 */
      z[i + j] = (uint32_t)v;
      carry = v >> 32;
    }
    z[i + 8] = (uint32_t)carry;
  }
  uint64_t t[8];
  for (unsigned i = 0; i < 8; i++) t[i] = z[2 * i] | (uint64_t)z[2 * i + 1] << 32;
  ref_mod(want, t, 8);
}

/* a * b, a + b, a - b, b - a, a^2, and the way through five limbs. */
static void
check_pair(fe64_t const *a, fe64_t const *b) {
  fe64_t h;
  uint64_t t[5], want[4];
  ref_mul(want, a, b);
  fe64_mul(&h, a, b);
  check_words(&h, want);
  h = *a; /* in place, as the group code does */
  fe64_mul(&h, &h, b);
  check_words(&h, want);

  static uint64_t const four_p[5] = {0xffffffffffffffb4ULL, ~0ULL, ~0ULL, ~0ULL, 1};
  fe64_t const *x[2] = {a, b};
  for (unsigned k = 0; k < 2; k++) { /* x0 + x1, then x0 - x1 as x0 + 4p - x1 */
    u128 c = 0;
    for (unsigned i = 0; i < 5; i++) {
      c += (i < 4 ? (u128)x[k]->v[i] + x[1 - k]->v[i] : 0);
      t[i] = (uint64_t)c;
      c >>= 64;
    }
    if (k == 0) {
      ref_mod(want, t, 5);
      fe64_add(&h, a, b);
      check_words(&h, want);
    }
    uint64_t borrow = 0;
    c = 0;
    for (unsigned i = 0; i < 5; i++) {
      c += (u128)(i < 4 ? x[k]->v[i] : 0) + four_p[i];
      u128 d = (u128)(uint64_t)c - (i < 4 ? x[1 - k]->v[i] : 0) - borrow;
      t[i] = (uint64_t)d;
      borrow = (uint64_t)(d >> 127);
      c >>= 64;
    }
    ref_mod(want, t, 5);
    fe64_sub(&h, x[k], x[1 - k]);
    check_words(&h, want);
  }

  ref_mul(want, a, a);
  fe64_sq(&h, a);
  check_words(&h, want);

  fe_t f; /* four words to five limbs and back: the same element */
  uint8_t e[32];
  ref_mod(want, a->v, 4);
  fe_from_fe64(&f, a);
  for (unsigned i = 0; i < 5; i++) SOF_CHECK(f.v[i] < (1ULL << 52));
  fe_tobytes(e, &f);
  SOF_CHECK_MEM(e, want, 32);
  fe64_from_fe(&h, &f);
  check_words(&h, want);
}

/* The operands: edges of the words, of p and of 2^256. */
static void
fe64_edges(fe64_t *out, unsigned *n) {
  static uint64_t const small[] = {0, 1, 2, 19, 38};
  unsigned k = 0;
  for (unsigned i = 0; i < 5; i++) out[k++] = (fe64_t){{small[i], 0, 0, 0}};
  for (unsigned d = 0; d <= 2; d++) /* p - 1 + d */
    out[k++] = (fe64_t){{0xffffffffffffffecULL + d, ~0ULL, ~0ULL, 0x7fffffffffffffffULL}};
  out[k++] = (fe64_t){{~0ULL, ~0ULL, ~0ULL, 0x7fffffffffffffffULL}}; /* 2^255 - 1 */
  out[k++] = (fe64_t){{0, 0, 0, 1ULL << 63}};                       /* 2^255 */
  for (unsigned d = 1; d <= 39; d += 2) out[k++] = (fe64_t){{-(uint64_t)d, ~0ULL, ~0ULL, ~0ULL}};
  out[k++] = (fe64_t){{0, ~0ULL, 0, ~0ULL}};
  out[k++] = (fe64_t){{~0ULL, 0, ~0ULL, 0}};
  out[k++] = (fe64_t){{0, 0, 0, ~0ULL}};
  out[k++] = (fe64_t){{~0ULL, 0, 0, 0}};
  *n = k;
}

static void
check_fe64(void) {
  fe64_t v[64];
  unsigned n;
  fe64_edges(v, &n);
  for (unsigned i = 0; i < n; i++)
    for (unsigned j = 0; j < n; j++) check_pair(&v[i], &v[j]);
  for (unsigned bit = 0; bit < 256; bit++) { /* 2^bit against each edge */
    fe64_t b = {{0, 0, 0, 0}};
    b.v[bit / 64] = 1ULL << (bit % 64);
    for (unsigned j = 0; j < n; j++) check_pair(&b, &v[j]);
  }
  for (unsigned i = 0; i < 100000; i++) { /* random; every 4th with a word of all ones */
    fe64_t a, b;
    for (unsigned l = 0; l < 4; l++) {
      a.v[l] = rng();
      b.v[l] = rng();
    }
    if (i % 4 == 0) a.v[rng() % 4] = ~0ULL;
    if (i % 8 == 0) b.v[3] |= 0xffffffff00000000ULL;
    check_pair(&a, &b);
  }
  for (unsigned i = 0; i < 20000; i++) { /* five limbs up to 2^52, into words */
    fe_t f;
    fe64_t h;
    uint8_t e[32];
    uint64_t want[4];
    for (unsigned l = 0; l < 5; l++) f.v[l] = rng() & ((1ULL << 52) - 1);
    if (i % 5 == 0)
      for (unsigned l = 0; l < 5; l++) f.v[l] = (1ULL << 52) - 1 - (rng() & 3);
    fe_tobytes(e, &f);
    memcpy(want, e, 32);
    fe64_from_fe(&h, &f);
    check_words(&h, want);
  }
}

/* The products of sof_ed25519_ifma.c, four lanes (fe_mul4) and eight
 * (fe_mul8: the prepared verifier's two points at once), against fe_mul,
 * lane by lane: operands anywhere below 2^52 (the precondition; all limbs
 * 2^52 - 1, values around p and 2^51, random), results equal mod p and
 * every limb at most 2^51 + 2^15 (what the callers' differences and the
 * next product need). */
static unsigned fe4_cnt;

#ifdef TGT
TGT static void
fe4_mul_lanes(uint64_t h[4][5], uint64_t const a[4][5], uint64_t const b[4][5]) {
  fe4_t A, B, H;
  fe4_load(&A, a[0], a[1], a[2], a[3]);
  fe4_load(&B, b[0], b[1], b[2], b[3]);
  fe_mul4(&H, &A, &B);
  uint64_t lane[5][4] __attribute__((aligned(32)));
  for (int l = 0; l < 5; l++) _mm256_store_si256((__m256i *)(void *)lane[l], H.l[l]);
  for (int j = 0; j < 4; j++)
    for (int l = 0; l < 5; l++) h[j][l] = lane[l][j];
}

TGT static void
fe8_mul_lanes(uint64_t h[8][5], uint64_t const a[8][5], uint64_t const b[8][5]) {
  fe8_t A, B, H;
  uint64_t la[5][8] __attribute__((aligned(64))), lb[5][8] __attribute__((aligned(64)));
  for (int j = 0; j < 8; j++)
    for (int l = 0; l < 5; l++) {
      la[l][j] = a[j][l];
      lb[l][j] = b[j][l];
    }
  for (int l = 0; l < 5; l++) {
    A.l[l] = _mm512_load_si512((void const *)la[l]);
    B.l[l] = _mm512_load_si512((void const *)lb[l]);
  }
  fe_mul8(&H, &A, &B);
  uint64_t lane[5][8] __attribute__((aligned(64)));
  for (int l = 0; l < 5; l++) _mm512_store_si512((void *)lane[l], H.l[l]);
  for (int j = 0; j < 8; j++)
    for (int l = 0; l < 5; l++) h[j][l] = lane[l][j];
}

static uint64_t
fe4_operand_limb(unsigned pattern, int l) {
  static uint64_t const edge[] = {0, 1, 19, (1ULL << 51) - 19, (1ULL << 51) - 1, 1ULL << 51,
                                  (1ULL << 51) + (1ULL << 15), (1ULL << 52) - 38, (1ULL << 52) - 1};
  switch (pattern) {
  case 0: return (1ULL << 52) - 1;
  case 1: return rng() & ((1ULL << 52) - 1);
  case 2: return edge[rng() % (sizeof edge / sizeof edge[0])];
  case 3: return (rng() & M51) + (l == 0 ? rng() % (1U << 15) : rng() % (1U << 10));
  default: return rng() & M51;
  }
}

static void
check_fe4(void) {
  if (!sof_ed25519_ifma_available()) {
    fprintf(stderr, "test_ed25519_field: no AVX-512 IFMA here: the four-lane product is not tested\n");
    return;
  }
  for (unsigned n = 0; n < 40000; n++) {
    uint64_t a[8][5], b[8][5], h[12][5];
    for (int j = 0; j < 8; j++)
      for (int l = 0; l < 5; l++) {
        a[j][l] = fe4_operand_limb((n + (unsigned)j / 4) % 5, l);
        b[j][l] = fe4_operand_limb((n / 5 + (unsigned)j / 4) % 5, l);
      }
    fe4_mul_lanes(h, (uint64_t const(*)[5])a, (uint64_t const(*)[5])b);
    fe8_mul_lanes(h + 4, (uint64_t const(*)[5])a, (uint64_t const(*)[5])b);
    for (int k = 0; k < 12; k++) {
      int j = k < 4 ? k : k - 4; /* h[0..3]: fe_mul4 of lanes 0..3; h[4..11]: fe_mul8 of lanes 0..7 */
      fe_t fa, fb, fr, fh;
      memcpy(fa.v, a[j], sizeof fa.v);
      memcpy(fb.v, b[j], sizeof fb.v);
      memcpy(fh.v, h[k], sizeof fh.v);
      fe_mul(&fr, &fa, &fb);
      uint8_t want[32], got[32];
      fe_tobytes(want, &fr);
      fe_tobytes(got, &fh);
      int ok = !memcmp(want, got, 32);
      for (int l = 0; l < 5; l++) ok &= h[k][l] <= (1ULL << 51) + (1ULL << 15);
      SOF_CHECK(ok);
      fe4_cnt += ok;
    }
  }
}
#else
static void
check_fe4(void) {
  fprintf(stderr, "test_ed25519_field: not x86-64: no four-lane product to test\n");
}
#endif

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
  check_fe64();
  check_fe4();
  fprintf(stderr, "test_ed25519_field: four- and eight-lane IFMA products: %u lanes equal fe_mul, limbs in bounds\n", fe4_cnt);
  fprintf(stderr, "test_ed25519_field: four-word arithmetic (%s): %u results equal the reference\n",
          SOF_FE64_ASM ? "mulx/adx" : "portable C", fe64_cnt);
  fprintf(stderr, "test_ed25519_field: %u inversions agree with z^(p-2), %u products z/z are 1 (0 for 0)\n",
          agree_cnt, unit_cnt);
  return sof_test_done("test_ed25519_field");
}
