/* sof_ed25519.c: ed25519 through libsodium, plus verifiers with
 * libsodium's verdicts: for prepared keys, and for any key.
 *
 * The prepared path computes exactly what libsodium's
 * crypto_sign_ed25519_verify_detached computes (1.0.18, the default
 * build): the same rejections (S >= L, R or A of small order by its
 * encoding, A non-canonical or off the curve), h = SHA-512(R || A || M)
 * mod L, then the cofactorless check that [S]B - [h]A encodes to the bytes
 * of R. Only the arithmetic is organised differently: both B and A have a
 * table of k * 2^(12 j) * P (k = 1..32, j = 0..21) in affine Niels form,
 * so a double scalar multiplication is at most 88 mixed additions and 6
 * doublings (44 signed radix-64 digits per scalar: the odd digits first,
 * then times 64, then the even ones) instead of ~253 doublings and ~85
 * additions. The encoding's one inversion is variable time (safegcd
 * divsteps, below): every input of a verification is public.
 *
 * Field elements take two forms. Decoding, the square root, the inversion
 * and the canonical encoding use five 51-bit limbs (fe_t, unsigned __int128
 * products; every operation returns limbs below 2^52, which is what its
 * inputs need). The points, their tables and the double scalar
 * multiplication use four 64-bit words (fe64_t, any value below 2^256;
 * mulx/adcx/adox products where the build targets BMI2 and ADX), which the
 * out-of-order core overlaps better (bench/bench_field.c).
 *
 * An unprepared key (sof_ed25519_verify) takes sliding-window digits of S
 * and h. Where the CPU has AVX-512 IFMA (sof_ed25519_impl_set, chosen at
 * init), the double scalar multiplication runs in sof_ed25519_ifma.c: a
 * point's four coordinates in the lanes of one vector, five 51-bit limbs
 * (this file's fe_t layout, so the decoded key goes in and the result
 * comes out without conversion), odd multiples of B up to 127B tabled at
 * init; elsewhere the four-word code below does it.
 *
 * A prepared key with IFMA (sof_ed25519_ifma_dsm_prepared) takes the same
 * radix-64 digits and the same tables as the four-word path: each slot
 * read is transposed into lanes and cut into 51-bit limbs on the way in
 * (work the core does beside the additions), and [S]B and -[h]A are
 * summed side by side in the two halves of 512-bit vectors (both are 44
 * digits; the pair costs little more than one sum), added at the end.
 * Keeping one table format keeps a prepared key at 66 KiB and its
 * preparation unchanged for both implementations (sof_verify keeps four). */
#include "crypto/sof_ed25519.h"

#include <string.h>

#include "crypto/sof_ed25519_ifma.h"

#include <sodium.h>

/* ---- field arithmetic mod p = 2^255 - 19 ------------------------------------------------------- */

typedef unsigned __int128 u128;
typedef struct { uint64_t v[5]; } fe_t;

#define M51 ((1ULL << 51) - 1)

static inline void
fe_carry(fe_t *h) {
  uint64_t c;
  c = h->v[0] >> 51; h->v[0] &= M51; h->v[1] += c;
  c = h->v[1] >> 51; h->v[1] &= M51; h->v[2] += c;
  c = h->v[2] >> 51; h->v[2] &= M51; h->v[3] += c;
  c = h->v[3] >> 51; h->v[3] &= M51; h->v[4] += c;
  c = h->v[4] >> 51; h->v[4] &= M51; h->v[0] += 19 * c;
}

/* f + g and f - g, carried: limbs below 2^52 again. */
static inline void
fe_add(fe_t *h, fe_t const *f, fe_t const *g) {
  for (int i = 0; i < 5; i++) h->v[i] = f->v[i] + g->v[i];
  fe_carry(h);
}

/* f + 4p - g: no limb wraps for g below 2^53 - 76 (4p's limbs). */
static inline void
fe_sub(fe_t *h, fe_t const *f, fe_t const *g) {
  h->v[0] = f->v[0] + 0x1FFFFFFFFFFFB4ULL - g->v[0];
  for (int i = 1; i < 5; i++) h->v[i] = f->v[i] + 0x1FFFFFFFFFFFFCULL - g->v[i];
  fe_carry(h);
}

static inline void
fe_neg(fe_t *h, fe_t const *f) {
  fe_t z = {{0, 0, 0, 0, 0}};
  fe_sub(h, &z, f);
}

/* Carries the five 128-bit column sums into h. */
static inline void
fe_reduce128(fe_t *h, u128 r0, u128 r1, u128 r2, u128 r3, u128 r4) {
  r1 += (uint64_t)(r0 >> 51);
  r2 += (uint64_t)(r1 >> 51);
  r3 += (uint64_t)(r2 >> 51);
  r4 += (uint64_t)(r3 >> 51);
  u128 t = (u128)((uint64_t)r0 & M51) + (u128)(uint64_t)(r4 >> 51) * 19;
  h->v[0] = (uint64_t)t & M51;
  h->v[1] = ((uint64_t)r1 & M51) + (uint64_t)(t >> 51);
  h->v[2] = (uint64_t)r2 & M51;
  h->v[3] = (uint64_t)r3 & M51;
  h->v[4] = (uint64_t)r4 & M51;
}

static inline void
fe_mul(fe_t *h, fe_t const *f, fe_t const *g) {
  uint64_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
  uint64_t g0 = g->v[0], g1 = g->v[1], g2 = g->v[2], g3 = g->v[3], g4 = g->v[4];
  uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
  u128 r0 = (u128)f0 * g0 + (u128)f1 * g4_19 + (u128)f2 * g3_19 + (u128)f3 * g2_19 + (u128)f4 * g1_19;
  u128 r1 = (u128)f0 * g1 + (u128)f1 * g0 + (u128)f2 * g4_19 + (u128)f3 * g3_19 + (u128)f4 * g2_19;
  u128 r2 = (u128)f0 * g2 + (u128)f1 * g1 + (u128)f2 * g0 + (u128)f3 * g4_19 + (u128)f4 * g3_19;
  u128 r3 = (u128)f0 * g3 + (u128)f1 * g2 + (u128)f2 * g1 + (u128)f3 * g0 + (u128)f4 * g4_19;
  u128 r4 = (u128)f0 * g4 + (u128)f1 * g3 + (u128)f2 * g2 + (u128)f3 * g1 + (u128)f4 * g0;
  fe_reduce128(h, r0, r1, r2, r3, r4);
}

static inline void
fe_sq(fe_t *h, fe_t const *f) {
  uint64_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
  uint64_t d0 = 2 * f0, d1 = 2 * f1, d2 = 2 * f2, d3 = 2 * f3;
  uint64_t f3_19 = 19 * f3, f4_19 = 19 * f4;
  u128 r0 = (u128)f0 * f0 + (u128)d1 * f4_19 + (u128)d2 * f3_19;
  u128 r1 = (u128)d0 * f1 + (u128)d2 * f4_19 + (u128)f3 * f3_19;
  u128 r2 = (u128)d0 * f2 + (u128)f1 * f1 + (u128)d3 * f4_19;
  u128 r3 = (u128)d0 * f3 + (u128)d1 * f2 + (u128)f4 * f4_19;
  u128 r4 = (u128)d0 * f4 + (u128)d1 * f3 + (u128)f2 * f2;
  fe_reduce128(h, r0, r1, r2, r3, r4);
}

static inline void
fe_sqn(fe_t *h, fe_t const *f, int n) {
  fe_sq(h, f);
  while (--n > 0) fe_sq(h, h);
}

/* The 255 low bits of s (the top bit is the caller's). */
static void
fe_frombytes(fe_t *h, uint8_t const s[32]) {
  uint64_t w[4];
  memcpy(w, s, 32); /* x86-64 and every target DPDK builds for here: little endian */
  h->v[0] = w[0] & M51;
  h->v[1] = ((w[0] >> 51) | (w[1] << 13)) & M51;
  h->v[2] = ((w[1] >> 38) | (w[2] << 26)) & M51;
  h->v[3] = ((w[2] >> 25) | (w[3] << 39)) & M51;
  h->v[4] = (w[3] >> 12) & M51;
}

/* The canonical encoding (0 <= value < p) of f. */
static void
fe_tobytes(uint8_t s[32], fe_t const *f) {
  fe_t t = *f;
  fe_carry(&t);
  fe_carry(&t);
  /* t < 2^255 + 2^13 now, limbs below 2^51 except possibly v[0] by 19.
   * q = 1 exactly when t >= p (t + 19 reaches 2^255). */
  uint64_t q = (t.v[0] + 19) >> 51;
  q = (t.v[1] + q) >> 51;
  q = (t.v[2] + q) >> 51;
  q = (t.v[3] + q) >> 51;
  q = (t.v[4] + q) >> 51;
  t.v[0] += 19 * q;
  uint64_t c;
  c = t.v[0] >> 51; t.v[0] &= M51; t.v[1] += c;
  c = t.v[1] >> 51; t.v[1] &= M51; t.v[2] += c;
  c = t.v[2] >> 51; t.v[2] &= M51; t.v[3] += c;
  c = t.v[3] >> 51; t.v[3] &= M51; t.v[4] += c;
  t.v[4] &= M51; /* drops the 2^255 that 19q added */
  uint64_t w[4];
  w[0] = t.v[0] | (t.v[1] << 51);
  w[1] = (t.v[1] >> 13) | (t.v[2] << 38);
  w[2] = (t.v[2] >> 26) | (t.v[3] << 25);
  w[3] = (t.v[3] >> 39) | (t.v[4] << 12);
  memcpy(s, w, 32);
}

static int
fe_iszero(fe_t const *f) {
  uint8_t s[32], z = 0;
  fe_tobytes(s, f);
  for (int i = 0; i < 32; i++) z |= s[i];
  return z == 0;
}

static int
fe_isnegative(fe_t const *f) {
  uint8_t s[32];
  fe_tobytes(s, f);
  return s[0] & 1;
}

/* z^(2^250 - 1) into out, z^11 into z11: the shared start of inversion and
 * of the square root's exponent. */
static void
fe_pow250(fe_t *out, fe_t *z11, fe_t const *z) {
  fe_t z2, z9, t, a, b;
  fe_sq(&z2, z);                    /* 2 */
  fe_sqn(&t, &z2, 2);               /* 8 */
  fe_mul(&z9, &t, z);               /* 9 */
  fe_mul(z11, &z9, &z2);            /* 11 */
  fe_sq(&t, z11);                   /* 22 */
  fe_mul(&a, &t, &z9);              /* 2^5 - 1 */
  fe_sqn(&t, &a, 5);
  fe_mul(&a, &t, &a);               /* 2^10 - 1 */
  fe_sqn(&t, &a, 10);
  fe_mul(&b, &t, &a);               /* 2^20 - 1 */
  fe_sqn(&t, &b, 20);
  fe_mul(&t, &t, &b);               /* 2^40 - 1 */
  fe_sqn(&t, &t, 10);
  fe_mul(&a, &t, &a);               /* 2^50 - 1 */
  fe_sqn(&t, &a, 50);
  fe_mul(&b, &t, &a);               /* 2^100 - 1 */
  fe_sqn(&t, &b, 100);
  fe_mul(&t, &t, &b);               /* 2^200 - 1 */
  fe_sqn(&t, &t, 50);
  fe_mul(out, &t, &a);              /* 2^250 - 1 */
}

/* z^(p - 2) = 1/z (0 for 0). */
static void
fe_invert(fe_t *out, fe_t const *z) {
  fe_t t, z11;
  fe_pow250(&t, &z11, z);
  fe_sqn(&t, &t, 5);                /* 2^255 - 32 */
  fe_mul(out, &t, &z11);            /* 2^255 - 21 */
}

/* ---- variable-time inversion (public values only) ------------------------------------------------
 *
 * Bernstein-Yang "safegcd" with the variable-time half-delta divsteps:
 * f = p, g = z; batches of 62 divsteps, each found on the low 64 bits of f
 * and g alone, give a 2x2 matrix t (entries below 2^62) that maps (f, g)
 * to (f', g') * 2^62; the same matrix maps (d, e) with f = d z and g = e z
 * (mod p), each step adding the multiple of p that makes the division by
 * 2^62 exact. When g reaches 0, f = +-1 and 1/z = +-d. About ten batches
 * instead of 254 squarings. It branches on its input, so it serves the
 * verifier (signatures, keys and messages are public) and nothing
 * secret. */

typedef struct { int64_t v[5]; } s62_t; /* sum v[i] 2^(62 i); v[0..3] in [0, 2^62) once carried */

#define M62 (UINT64_MAX >> 2)

static s62_t const p62 = {{(int64_t)(M62 - 18), (int64_t)M62, (int64_t)M62, (int64_t)M62, 127}};
static uint64_t p_inv62; /* p^-1 mod 2^62, set by sof_ed25519_init */

typedef struct { int64_t u, v, q, r; } divmat_t;

/* 62 divsteps on the low bits of f (odd) and g, eta the negated half
 * delta. Returns the new eta, the matrix in t. */
static int64_t
divsteps62(int64_t eta, uint64_t f, uint64_t g, divmat_t *t) {
  uint64_t u = 1, v = 0, q = 0, r = 1;
  int i = 62;
  for (;;) {
    /* the zeros of g, at most the steps left (a sentinel bit at i) */
    int zeros = __builtin_ctzll(g | (UINT64_MAX << i));
    g >>= zeros;
    u <<= zeros;
    v <<= zeros;
    eta -= zeros;
    i -= zeros;
    if (!i) break;
    int swapped = eta < 0;
    if (swapped) { /* (f, g) = (g, -f) */
      eta = -eta;
      uint64_t x = f;
      f = g;
      g = -x;
      x = u;
      u = q;
      q = -x;
      x = v;
      v = r;
      r = -x;
    }
    /* cancel the low bits of g: no more than the steps left, nor than
     * eta + 1 (past that eta changes sign); 6 bits after a swap, 4 else */
    int limit = (int)eta + 1 < i ? (int)eta + 1 : i;
    uint64_t m = (UINT64_MAX >> (64 - limit)) & (swapped ? 63U : 15U), w;
    if (swapped) w = (f * g * (f * f - 2)) & m;      /* g + w f = 0 mod 2^min(limit, 6) */
    else w = (-(f + (((f + 1) & 4) << 1)) * g) & m;  /* f + ... = 1/f mod 16 */
    g += f * w;
    q += u * w;
    r += v * w;
  }
  *t = (divmat_t){(int64_t)u, (int64_t)v, (int64_t)q, (int64_t)r};
  return eta;
}

/* (a, b) = t (a, b) / 2^62. For (f, g) (mod_p = 0) the division is exact;
 * for (d, e) (mod_p = 1) the multiples of p that make it exact are added
 * first (the result is the same mod p, and d and e stay in (-2p, p)). */
static void
divmat_apply(s62_t *a, s62_t *b, divmat_t const *t, int mod_p) {
  int64_t ma = 0, mb = 0;
  __int128 ca = (__int128)t->u * a->v[0] + (__int128)t->v * b->v[0];
  __int128 cb = (__int128)t->q * a->v[0] + (__int128)t->r * b->v[0];
  if (mod_p) {
    int64_t sa = a->v[4] >> 63, sb = b->v[4] >> 63;
    ma = (t->u & sa) + (t->v & sb);
    mb = (t->q & sa) + (t->r & sb);
    ma -= (int64_t)((p_inv62 * (uint64_t)ca + (uint64_t)ma) & M62);
    mb -= (int64_t)((p_inv62 * (uint64_t)cb + (uint64_t)mb) & M62);
    ca += (__int128)p62.v[0] * ma;
    cb += (__int128)p62.v[0] * mb;
  }
  ca >>= 62;
  cb >>= 62;
  for (int i = 1; i < 5; i++) {
    ca += (__int128)t->u * a->v[i] + (__int128)t->v * b->v[i] + (__int128)p62.v[i] * ma;
    cb += (__int128)t->q * a->v[i] + (__int128)t->r * b->v[i] + (__int128)p62.v[i] * mb;
    a->v[i - 1] = (int64_t)((uint64_t)ca & M62);
    b->v[i - 1] = (int64_t)((uint64_t)cb & M62);
    ca >>= 62;
    cb >>= 62;
  }
  a->v[4] = (int64_t)ca;
  b->v[4] = (int64_t)cb;
}

/* r + k p, carried (v[0..3] in [0, 2^62), the sign in v[4]). */
static void
s62_add_p(s62_t *r, int64_t k) {
  int64_t c = 0;
  for (int i = 0; i < 4; i++) {
    int64_t x = r->v[i] + k * p62.v[i] + c;
    r->v[i] = (int64_t)((uint64_t)x & M62);
    c = x >> 62;
  }
  r->v[4] += k * p62.v[4] + c;
}

static int
s62_ge_p(s62_t const *r) {
  for (int i = 4; i >= 0; i--)
    if (r->v[i] != p62.v[i]) return r->v[i] > p62.v[i];
  return 1;
}

/* 1/z (0 for 0), variable time. */
static void
fe_invert_vartime(fe_t *out, fe_t const *z) {
  uint8_t b[32];
  uint64_t w[4];
  fe_tobytes(b, z);
  memcpy(w, b, 32);
  if (!(w[0] | w[1] | w[2] | w[3])) {
    *out = (fe_t){{0, 0, 0, 0, 0}};
    return;
  }
  s62_t f = p62, d = {{0}}, e = {{1}};
  s62_t g = {{(int64_t)(w[0] & M62), (int64_t)(((w[0] >> 62) | (w[1] << 2)) & M62),
              (int64_t)(((w[1] >> 60) | (w[2] << 4)) & M62), (int64_t)(((w[2] >> 58) | (w[3] << 6)) & M62),
              (int64_t)(w[3] >> 56)}};
  int64_t eta = -1;
  for (unsigned batch = 0;; batch++) {
    /* 256-bit inputs end within 12 batches; the bound only guards the loop */
    if (batch == 32) {
      fe_invert(out, z);
      return;
    }
    divmat_t t;
    eta = divsteps62(eta, (uint64_t)f.v[0], (uint64_t)g.v[0], &t);
    divmat_apply(&d, &e, &t, 1);
    divmat_apply(&f, &g, &t, 0);
    if (!(g.v[0] | g.v[1] | g.v[2] | g.v[3] | g.v[4])) break;
  }
  /* f = +-1 (p is prime), 1/z = f d; d in (-2p, p) */
  if (f.v[4] < 0) {
    for (int i = 0; i < 5; i++) d.v[i] = -d.v[i];
    s62_add_p(&d, 0); /* carry */
  }
  while (d.v[4] < 0) s62_add_p(&d, 1);
  while (s62_ge_p(&d)) s62_add_p(&d, -1);
  w[0] = (uint64_t)d.v[0] | ((uint64_t)d.v[1] << 62);
  w[1] = ((uint64_t)d.v[1] >> 2) | ((uint64_t)d.v[2] << 60);
  w[2] = ((uint64_t)d.v[2] >> 4) | ((uint64_t)d.v[3] << 58);
  w[3] = ((uint64_t)d.v[3] >> 6) | ((uint64_t)d.v[4] << 56);
  memcpy(b, w, 32);
  fe_frombytes(out, b);
}

/* z^((p - 5) / 8) = z^(2^252 - 3). */
static void
fe_pow22523(fe_t *out, fe_t const *z) {
  fe_t t, z11;
  fe_pow250(&t, &z11, z);
  fe_sqn(&t, &t, 2);                /* 2^252 - 4 */
  fe_mul(out, &t, z);
}

/* ---- the same field in four 64-bit words, for the group arithmetic ----------------------------
 *
 * fe64_t holds any value below 2^256 that is congruent to the element (not
 * reduced below p). Since 2^256 = 38 (mod p), a product's high half folds
 * onto its low half with one multiplication by 38 per word. On the double
 * scalar multiplication's pattern (three independent products, then four
 * that take two of them each) the mulx/adcx/adox product below takes 12.1
 * ns against 15.7 for the five-limb fe_mul, and 14.3 against 23.2 in a
 * dependent chain (bench_field): ~75 instructions against GCC's ~190. Without BMI2 and ADX (or with SOF_ED25519_PORTABLE
 * defined) the same arithmetic is plain C. */

typedef struct { uint64_t v[4]; } fe64_t;

/* The group code calls these a few hundred times per verification; GCC
 * otherwise leaves fe64_mul out of line in places, and a call with its
 * five saved registers costs a quarter of the product. */
#define FE64_INLINE __attribute__((always_inline))

#if defined(__x86_64__) && defined(__BMI2__) && defined(__ADX__) && !defined(SOF_ED25519_PORTABLE)
#define SOF_FE64_ASM 1
#include <x86intrin.h>

/* One row of the schoolbook product: (hi:lo) of a[k] * b[m] added into
 * the running words, lows on the carry chain (adcx), highs on the overflow
 * chain (adox); the row's new top word takes both chains' last carries. */
#define FE64_ROW(ak, w0, w1, w2, w3, w4)                                                           \
  "movq " ak ", %%rdx\n\t"                                                                         \
  "xorl %%eax, %%eax\n\t"                                                                          \
  "mulx 0(%[b]), %%rax, %%rbx\n\t"                                                                   \
  "adcx %%rax, " w0 "\n\t"                                                                         \
  "adox %%rbx, " w1 "\n\t"                                                                         \
  "mulx 8(%[b]), %%rax, %%rbx\n\t"                                                                   \
  "adcx %%rax, " w1 "\n\t"                                                                         \
  "adox %%rbx, " w2 "\n\t"                                                                         \
  "mulx 16(%[b]), %%rax, %%rbx\n\t"                                                                   \
  "adcx %%rax, " w2 "\n\t"                                                                         \
  "adox %%rbx, " w3 "\n\t"                                                                         \
  "mulx 24(%[b]), %%rax, " w4 "\n\t"                                                                  \
  "adcx %%rax, " w3 "\n\t"                                                                         \
  "movl $0, %%eax\n\t"                                                                             \
  "adox %%rax, " w4 "\n\t"                                                                         \
  "adcx %%rax, " w4 "\n\t"

/* h = a * b (h may be a or b: every read comes before the stores). The
 * product lives in r8..r15; the pointers take what registers remain, and
 * the "memory" clobber stands for the words read and written. */
static inline FE64_INLINE void
fe64_mul(fe64_t *h, fe64_t const *a, fe64_t const *b) {
  __asm__(
    /* row 0 starts the words */
    "movq 0(%[a]), %%rdx\n\t"
    "mulx 0(%[b]), %%r8, %%r9\n\t"
    "mulx 8(%[b]), %%rax, %%r10\n\t"
    "addq %%rax, %%r9\n\t"
    "mulx 16(%[b]), %%rax, %%r11\n\t"
    "adcq %%rax, %%r10\n\t"
    "mulx 24(%[b]), %%rax, %%r12\n\t"
    "adcq %%rax, %%r11\n\t"
    "adcq $0, %%r12\n\t"
    FE64_ROW("8(%[a])", "%%r9", "%%r10", "%%r11", "%%r12", "%%r13")
    FE64_ROW("16(%[a])", "%%r10", "%%r11", "%%r12", "%%r13", "%%r14")
    FE64_ROW("24(%[a])", "%%r11", "%%r12", "%%r13", "%%r14", "%%r15")
    /* r8..r11 + 2^256 r12..r15 = r8..r11 + 38 r12..r15 (mod p) */
    "movl $38, %%edx\n\t"
    "xorl %%eax, %%eax\n\t"
    "mulx %%r12, %%rax, %%rbx\n\t"
    "adcx %%rax, %%r8\n\t"
    "adox %%rbx, %%r9\n\t"
    "mulx %%r13, %%rax, %%rbx\n\t"
    "adcx %%rax, %%r9\n\t"
    "adox %%rbx, %%r10\n\t"
    "mulx %%r14, %%rax, %%rbx\n\t"
    "adcx %%rax, %%r10\n\t"
    "adox %%rbx, %%r11\n\t"
    "mulx %%r15, %%rax, %%r12\n\t"
    "adcx %%rax, %%r11\n\t"
    "movl $0, %%eax\n\t"
    "adox %%rax, %%r12\n\t"
    "adcx %%rax, %%r12\n\t"
    /* r12 < 40 units of 2^256 left: times 38 once more; a last carry
     * leaves r8 small, so the final + 38 cannot carry */
    "imulq $38, %%r12, %%r12\n\t"
    "addq %%r12, %%r8\n\t"
    "adcq $0, %%r9\n\t"
    "adcq $0, %%r10\n\t"
    "adcq $0, %%r11\n\t"
    "sbbq %%rax, %%rax\n\t"
    "andl $38, %%eax\n\t"
    "addq %%rax, %%r8\n\t"
    "movq %%r8, 0(%[h])\n\t"
    "movq %%r9, 8(%[h])\n\t"
    "movq %%r10, 16(%[h])\n\t"
    "movq %%r11, 24(%[h])\n\t"
    :
    : [h] "r"(h->v), [a] "r"(a->v), [b] "r"(b->v)
    : "rax", "rbx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "cc", "memory");
}
#undef FE64_ROW

/* the carry chains of fe64_add / fe64_sub */
#define FE64_ADDC _addcarry_u64
#define FE64_SUBB _subborrow_u64

#else /* portable: the same results from unsigned __int128 */
#define SOF_FE64_ASM 0

static inline FE64_INLINE void
fe64_mul(fe64_t *h, fe64_t const *a, fe64_t const *b) {
  uint64_t t[8] = {0};
  for (int i = 0; i < 4; i++) {
    u128 c = 0;
    for (int j = 0; j < 4; j++) {
      c += (u128)a->v[i] * b->v[j] + t[i + j];
      t[i + j] = (uint64_t)c;
      c >>= 64;
    }
    t[i + 4] = (uint64_t)c;
  }
  u128 c = 0;
  for (int i = 0; i < 4; i++) {
    c += (u128)t[i] + (u128)t[i + 4] * 38;
    t[i] = (uint64_t)c;
    c >>= 64;
  }
  c = (u128)t[0] + (uint64_t)c * 38; /* c < 40 */
  h->v[0] = (uint64_t)c;
  for (int i = 1; i < 4; i++) {
    c = (c >> 64) + t[i];
    h->v[i] = (uint64_t)c;
  }
  h->v[0] += 38 * (uint64_t)(c >> 64);
}

/* the carry chains of fe64_add / fe64_sub, as _addcarry_u64 and
 * _subborrow_u64 define them */
static inline unsigned char
fe64_addc(unsigned char c, uint64_t a, uint64_t b, unsigned long long *r) {
  u128 t = (u128)a + b + c;
  *r = (uint64_t)t;
  return (unsigned char)(t >> 64);
}

static inline unsigned char
fe64_subb(unsigned char c, uint64_t a, uint64_t b, unsigned long long *r) {
  u128 t = (u128)a - b - c;
  *r = (uint64_t)t;
  return (unsigned char)(t >> 127);
}
#define FE64_ADDC fe64_addc
#define FE64_SUBB fe64_subb
#endif

/* a + b and a - b: one carry (borrow) chain over the words; a carry
 * (borrow) out of 2^256 is worth 38 (-38), and a second one leaves the low
 * word small enough (large enough) to take the last 38. */
#define FE64_ADDSUB(name, chain, op)                                                               \
  static inline FE64_INLINE void name(fe64_t *h, fe64_t const *a, fe64_t const *b) {               \
    unsigned long long r0, r1, r2, r3;                                                             \
    unsigned char c;                                                                               \
    c = chain(0, a->v[0], b->v[0], &r0);                                                           \
    c = chain(c, a->v[1], b->v[1], &r1);                                                           \
    c = chain(c, a->v[2], b->v[2], &r2);                                                           \
    c = chain(c, a->v[3], b->v[3], &r3);                                                           \
    c = chain(0, r0, -(uint64_t)c & 38, &r0);                                                      \
    c = chain(c, r1, 0, &r1);                                                                      \
    c = chain(c, r2, 0, &r2);                                                                      \
    c = chain(c, r3, 0, &r3);                                                                      \
    h->v[0] = r0 op (-(uint64_t)c & 38);                                                           \
    h->v[1] = r1;                                                                                  \
    h->v[2] = r2;                                                                                  \
    h->v[3] = r3;                                                                                  \
  }
FE64_ADDSUB(fe64_add, FE64_ADDC, +)
FE64_ADDSUB(fe64_sub, FE64_SUBB, -)
#undef FE64_ADDSUB

#undef FE64_ADDC
#undef FE64_SUBB

/* A square as a product: only doublings square (6 per verification, 12
 * per table row), too few to pay for a dedicated squaring. */
static inline void
fe64_sq(fe64_t *h, fe64_t const *f) {
  fe64_mul(h, f, f);
}

/* Five limbs (each below 2^52) to four words; exact, not reduced. */
static void
fe64_from_fe(fe64_t *h, fe_t const *f) {
  fe_t g = *f;
  fe_carry(&g); /* now below 2^255 + 2^52: fits four words */
  u128 c = (u128)g.v[0] + ((u128)g.v[1] << 51);
  h->v[0] = (uint64_t)c;
  c = (c >> 64) + ((u128)g.v[2] << 38);
  h->v[1] = (uint64_t)c;
  c = (c >> 64) + ((u128)g.v[3] << 25);
  h->v[2] = (uint64_t)c;
  c = (c >> 64) + ((u128)g.v[4] << 12);
  h->v[3] = (uint64_t)c;
}

/* Four words (any value below 2^256) to five limbs below 2^52; bit 255
 * comes back as 19. */
static void
fe_from_fe64(fe_t *h, fe64_t const *f) {
  uint64_t const *w = f->v;
  h->v[0] = (w[0] & M51) + 19 * (w[3] >> 63);
  h->v[1] = ((w[0] >> 51) | (w[1] << 13)) & M51;
  h->v[2] = ((w[1] >> 38) | (w[2] << 26)) & M51;
  h->v[3] = ((w[2] >> 25) | (w[3] << 39)) & M51;
  h->v[4] = (w[3] >> 12) & M51;
}

/* ---- group: twisted Edwards -x^2 + y^2 = 1 + d x^2 y^2 --------------------------------------- */

/* Points are in the four-word form: the tables, the double scalar
 * multiplication and the table build; decoding and the final encoding go
 * through the five-limb form (square root, inversion, canonical bytes). */
typedef struct { fe64_t X, Y, Z; } ge_p2_t;                 /* x = X/Z, y = Y/Z */
typedef struct { fe64_t X, Y, Z, T; } ge_p3_t;              /* and XY = ZT */
typedef struct { fe64_t X, Y, Z, T; } ge_p1p1_t;            /* x = X/Z, y = Y/T */
typedef struct { fe64_t ypx, ymx, xy2d; } ge_niels_t;       /* affine: y+x, y-x, 2dxy */
typedef struct { fe64_t YpX, YmX, Z, T2d; } ge_cached_t;    /* projective Niels */

static fe_t fe_d, fe_sqrtm1;
static fe64_t fe64_d2;
#define COLS SOF_ED25519_TAB_COLS
#define DIGITS (2 * SOF_ED25519_TAB_ROWS)
static ge_niels_t base_tab[SOF_ED25519_TAB_ROWS][COLS];
static int ready;
static int ifma_ok;                 /* the CPU runs sof_ed25519_ifma.c */
static sof_ed25519_impl_t impl;     /* sof_ed25519_verify's arithmetic */

_Static_assert(sizeof(ge_niels_t) == sizeof(((sof_ed25519_key_t *)0)->tab[0][0]),
               "sof_ed25519_key_t's slots hold one ge_niels_t");

static inline void
ge_p1p1_to_p2(ge_p2_t *r, ge_p1p1_t const *p) {
  fe64_mul(&r->X, &p->X, &p->T);
  fe64_mul(&r->Y, &p->Y, &p->Z);
  fe64_mul(&r->Z, &p->Z, &p->T);
}

static inline void
ge_p1p1_to_p3(ge_p3_t *r, ge_p1p1_t const *p) {
  fe64_mul(&r->X, &p->X, &p->T);
  fe64_mul(&r->Y, &p->Y, &p->Z);
  fe64_mul(&r->Z, &p->Z, &p->T);
  fe64_mul(&r->T, &p->X, &p->Y);
}

static inline void
ge_p2_dbl(ge_p1p1_t *r, ge_p2_t const *p) {
  fe64_t t0;
  fe64_sq(&r->X, &p->X);
  fe64_sq(&r->Z, &p->Y);
  fe64_sq(&r->T, &p->Z);
  fe64_add(&r->T, &r->T, &r->T);
  fe64_add(&r->Y, &p->X, &p->Y);
  fe64_sq(&t0, &r->Y);
  fe64_add(&r->Y, &r->Z, &r->X);
  fe64_sub(&r->Z, &r->Z, &r->X);
  fe64_sub(&r->X, &t0, &r->Y);
  fe64_sub(&r->T, &r->T, &r->Z);
}

/* p = 2^n p (n >= 1): the intermediate doublings skip T. */
static inline void
ge_p3_dbl_n(ge_p3_t *p, unsigned n) {
  ge_p1p1_t r;
  ge_p2_t q = {p->X, p->Y, p->Z};
  while (--n) {
    ge_p2_dbl(&r, &q);
    ge_p1p1_to_p2(&q, &r);
  }
  ge_p2_dbl(&r, &q);
  ge_p1p1_to_p3(p, &r);
}

/* p + q (neg = 0) or p - q (neg = 1), q affine. */
static inline void
ge_madd(ge_p1p1_t *r, ge_p3_t const *p, ge_niels_t const *q, int neg) {
  fe64_t t0;
  fe64_add(&r->X, &p->Y, &p->X);
  fe64_sub(&r->Y, &p->Y, &p->X);
  fe64_mul(&r->Z, &r->X, neg ? &q->ymx : &q->ypx);
  fe64_mul(&r->Y, &r->Y, neg ? &q->ypx : &q->ymx);
  fe64_mul(&r->T, &q->xy2d, &p->T);
  fe64_add(&t0, &p->Z, &p->Z);
  fe64_sub(&r->X, &r->Z, &r->Y);
  fe64_add(&r->Y, &r->Z, &r->Y);
  if (neg) {
    fe64_sub(&r->Z, &t0, &r->T);
    fe64_add(&r->T, &t0, &r->T);
  } else {
    fe64_add(&r->Z, &t0, &r->T);
    fe64_sub(&r->T, &t0, &r->T);
  }
}

static inline void
ge_p3_to_cached(ge_cached_t *r, ge_p3_t const *p) {
  fe64_add(&r->YpX, &p->Y, &p->X);
  fe64_sub(&r->YmX, &p->Y, &p->X);
  r->Z = p->Z;
  fe64_mul(&r->T2d, &p->T, &fe64_d2);
}

/* p + q (neg = 0) or p - q (neg = 1), q projective. */
static inline void
ge_add(ge_p1p1_t *r, ge_p3_t const *p, ge_cached_t const *q, int neg) {
  fe64_t t0;
  fe64_add(&r->X, &p->Y, &p->X);
  fe64_sub(&r->Y, &p->Y, &p->X);
  fe64_mul(&r->Z, &r->X, neg ? &q->YmX : &q->YpX);
  fe64_mul(&r->Y, &r->Y, neg ? &q->YpX : &q->YmX);
  fe64_mul(&r->T, &q->T2d, &p->T);
  fe64_mul(&r->X, &p->Z, &q->Z);
  fe64_add(&t0, &r->X, &r->X);
  fe64_sub(&r->X, &r->Z, &r->Y);
  fe64_add(&r->Y, &r->Z, &r->Y);
  if (neg) {
    fe64_sub(&r->Z, &t0, &r->T);
    fe64_add(&r->T, &t0, &r->T);
  } else {
    fe64_add(&r->Z, &t0, &r->T);
    fe64_sub(&r->T, &t0, &r->T);
  }
}

/* The encoding of p: y with the sign of x in the top bit. */
static void
ge_tobytes(uint8_t s[32], ge_p3_t const *p) {
  fe_t X, Y, Z, zi, x, y;
  fe_from_fe64(&X, &p->X);
  fe_from_fe64(&Y, &p->Y);
  fe_from_fe64(&Z, &p->Z);
  fe_invert_vartime(&zi, &Z);
  fe_mul(&x, &X, &zi);
  fe_mul(&y, &Y, &zi);
  fe_tobytes(s, &y);
  s[31] ^= (uint8_t)(fe_isnegative(&x) << 7);
}

/* Decodes s to a point (no canonicity or order check: the callers do
 * those on the bytes first). Returns 0, -1 when y has no x on the curve. */
static int
ge_frombytes51(fe_t *x_out, fe_t *y_out, fe_t *t_out, uint8_t const s[32]) {
  fe_t one = {{1, 0, 0, 0, 0}}, x, y, u, v, v3, vxx, chk;
  fe_frombytes(&y, s);
  fe_sq(&u, &y);
  fe_mul(&v, &u, &fe_d);
  fe_sub(&u, &u, &one);         /* y^2 - 1 */
  fe_add(&v, &v, &one);         /* d y^2 + 1 */
  fe_sq(&v3, &v);
  fe_mul(&v3, &v3, &v);         /* v^3 */
  fe_sq(&x, &v3);
  fe_mul(&x, &x, &v);
  fe_mul(&x, &x, &u);           /* u v^7 */
  fe_pow22523(&x, &x);
  fe_mul(&x, &x, &v3);
  fe_mul(&x, &x, &u);           /* u v^3 (u v^7)^((p-5)/8) */
  fe_sq(&vxx, &x);
  fe_mul(&vxx, &vxx, &v);
  fe_sub(&chk, &vxx, &u);
  if (!fe_iszero(&chk)) {
    fe_add(&chk, &vxx, &u);
    if (!fe_iszero(&chk)) return -1;
    fe_mul(&x, &x, &fe_sqrtm1);
  }
  if (fe_isnegative(&x) != (s[31] >> 7)) fe_neg(&x, &x);
  fe_mul(t_out, &x, &y);
  *x_out = x;
  *y_out = y;
  return 0;
}

/* The same in the four-word form, Z = 1. */
static int
ge_frombytes(ge_p3_t *h, uint8_t const s[32]) {
  fe_t x, y, t;
  if (ge_frombytes51(&x, &y, &t, s)) return -1;
  fe64_from_fe(&h->X, &x);
  fe64_from_fe(&h->Y, &y);
  h->Z = (fe64_t){{1, 0, 0, 0}};
  fe64_from_fe(&h->T, &t);
  return 0;
}

/* The table of k * 2^(2 W j) * P (k = 1..COLS, j = 0..ROWS-1) in affine
 * Niels form, built in bounded steps (sof_ed25519_key_prepare_step): one
 * row of projective points per step (COLS - 1 additions), then the prefix
 * products of their Z for one batch inversion, PREFIX_CHUNK per step, then
 * the backward pass that makes them affine, BACK_CHUNK points per step.
 * Until the last step the table's slots hold projective points (X, Y, Z in
 * place of y+x, y-x, 2dxy). */
enum { TAB_N = SOF_ED25519_TAB_ROWS * COLS, PREFIX_CHUNK = 256, BACK_CHUNK = 48 };
enum { BUILD_ROWS, BUILD_PREFIX, BUILD_BACK, BUILD_DONE };

typedef struct table_build {
  unsigned phase, j, i;
  ge_p3_t  row;      /* 2^(2 W j) * P */
  fe64_t   inv;      /* the inverse of the remaining prefix product */
  fe64_t   acc[TAB_N];
} table_build_t;

_Static_assert(sizeof(table_build_t) <= sizeof(sof_ed25519_prep_t), "sof_ed25519_prep_t holds a build");
_Static_assert(sizeof(ge_p2_t) == sizeof(ge_niels_t), "a table slot holds a projective point");

static void
table_build_begin(table_build_t *b, ge_p3_t const *p) {
  b->phase = BUILD_ROWS;
  b->j = 0;
  b->row = *p;
}

/* One step; returns 1 while steps remain, 0 once the table is complete. */
static int
table_build_step(ge_niels_t tab[][COLS], table_build_t *b) {
  ge_p2_t *pts = (ge_p2_t *)(void *)&tab[0][0];
  switch (b->phase) {
  case BUILD_ROWS: {
    ge_cached_t c;
    ge_p1p1_t r;
    ge_p3_t cur = b->row;
    ge_p3_to_cached(&c, &b->row);
    for (unsigned k = 0;; k++) {
      pts[COLS * b->j + k] = (ge_p2_t){cur.X, cur.Y, cur.Z};
      if (k == COLS - 1) break;
      ge_add(&r, &cur, &c, 0);
      ge_p1p1_to_p3(&cur, &r);
    }
    if (++b->j == SOF_ED25519_TAB_ROWS) {
      b->phase = BUILD_PREFIX;
      b->i = 0;
    }
    else ge_p3_dbl_n(&b->row, 2 * SOF_ED25519_TAB_W);
    return 1;
  }
  case BUILD_PREFIX: {
    unsigned stop = b->i + PREFIX_CHUNK < TAB_N ? b->i + PREFIX_CHUNK : TAB_N;
    for (unsigned i = b->i; i < stop; i++) {
      if (i) fe64_mul(&b->acc[i], &b->acc[i - 1], &pts[i].Z);
      else b->acc[0] = pts[0].Z;
    }
    b->i = stop;
    if (stop < TAB_N) return 1;
    fe_t prod, inv;
    fe_from_fe64(&prod, &b->acc[TAB_N - 1]);
    fe_invert_vartime(&inv, &prod);
    fe64_from_fe(&b->inv, &inv);
    b->phase = BUILD_BACK;
    return 1;
  }
  case BUILD_BACK: {
    unsigned stop = b->i > BACK_CHUNK ? b->i - BACK_CHUNK : 0;
    for (unsigned i = b->i; i-- > stop;) {
      fe64_t zi, x, y;
      if (i) {
        fe64_mul(&zi, &b->inv, &b->acc[i - 1]);
        fe64_mul(&b->inv, &b->inv, &pts[i].Z);
      } else {
        zi = b->inv;
      }
      fe64_mul(&x, &pts[i].X, &zi);
      fe64_mul(&y, &pts[i].Y, &zi);
      ge_niels_t *n = &tab[i / COLS][i % COLS]; /* the slot pts[i] was in */
      fe64_add(&n->ypx, &y, &x);
      fe64_sub(&n->ymx, &y, &x);
      fe64_mul(&n->xy2d, &x, &y);
      fe64_mul(&n->xy2d, &n->xy2d, &fe64_d2);
    }
    b->i = stop;
    if (stop) return 1;
    b->phase = BUILD_DONE;
    return 0;
  }
  default:
    return 0;
  }
}

/* a (32 bytes, below 2^253) as DIGITS signed radix-2^W digits in
 * [-2^(W-1), 2^(W-1)]: a = sum e[i] 2^(W i). */
static void
recode(int8_t e[DIGITS], uint8_t const a[32]) {
  unsigned const w = SOF_ED25519_TAB_W, mask = (1U << w) - 1;
  for (unsigned i = 0; i < DIGITS; i++) {
    unsigned bit = w * i, byte = bit / 8, v = 0;
    if (byte < 32) v = a[byte];
    if (byte + 1 < 32) v |= (unsigned)a[byte + 1] << 8;
    e[i] = (int8_t)((v >> (bit % 8)) & mask);
  }
  int carry = 0;
  for (unsigned i = 0; i < DIGITS; i++) {
    int d = e[i] + carry;
    carry = (d + (1 << (w - 1))) >> w;
    e[i] = (int8_t)(d - (carry << w));
  }
}

static inline void
add_digit(ge_p3_t *h, ge_niels_t const *row, int d) {
  if (!d) return;
  ge_p1p1_t r;
  ge_madd(&r, h, &row[(d < 0 ? -d : d) - 1], d < 0);
  ge_p1p1_to_p3(h, &r);
}

/* Encoding of [s]B - [k]A, A given by its table. */
static void
double_scalarmult(uint8_t out[32], uint8_t const s[32], uint8_t const k[32],
                  ge_niels_t const (*a_tab)[COLS]) {
  int8_t es[DIGITS], ek[DIGITS];
  recode(es, s);
  recode(ek, k);
  ge_p3_t h = {{{0}}, {{1}}, {{1}}, {{0}}}; /* the neutral point */
  for (unsigned i = 1; i < DIGITS; i += 2) {
    add_digit(&h, base_tab[i / 2], es[i]);
    add_digit(&h, a_tab[i / 2], -ek[i]);
  }
  ge_p3_dbl_n(&h, SOF_ED25519_TAB_W);
  for (unsigned i = 0; i < DIGITS; i += 2) {
    add_digit(&h, base_tab[i / 2], es[i]);
    add_digit(&h, a_tab[i / 2], -ek[i]);
  }
  ge_tobytes(out, &h);
}

/* ---- unprepared keys: [S]B - [h]A with a small table of A built per call ----------------------
 *
 * A key seen once (a leader's first set, a learned-leader candidate) has
 * no table. [h]A then takes the classic route: h as signed sliding-window
 * digits (odd, |d| <= 15, at least 5 zeros between two digits), a table of
 * A, 3A, .., 15A in projective Niels form built per call (1 doubling, 7
 * additions), and ~253 doublings with ~51 additions. [S]B still comes from
 * the base point's big table, folded into the same loop at no doubling
 * cost: its odd radix-64 digits are added when 6 doublings remain, its even
 * digits after the last. */

/* a (32 bytes, below 2^253) as 256 signed digits r[i] in {0, +-1, ..,
 * +-lim} (lim = 2^w - 1, w <= 7), a = sum r[i] 2^i, every non-zero digit
 * odd; a digit absorbs the bits up to w + 2 places above it while it stays
 * within lim. */
static void
slide(int8_t r[256], uint8_t const a[32], int lim, int span) {
  for (int i = 0; i < 256; i++) r[i] = (int8_t)((a[i >> 3] >> (i & 7)) & 1);
  for (int i = 0; i < 256; i++) {
    if (!r[i]) continue;
    for (int b = 1; b <= span && i + b < 256; b++) {
      if (!r[i + b]) continue;
      int hi = r[i + b] * (1 << b);
      if (r[i] + hi <= lim) {
        r[i] = (int8_t)(r[i] + hi);
        r[i + b] = 0;
      } else if (r[i] - hi >= -lim) {
        r[i] = (int8_t)(r[i] - hi);
        for (int k = i + b; k < 256; k++) {
          if (!r[k]) {
            r[k] = 1;
            break;
          }
          r[k] = 0;
        }
      } else {
        break;
      }
    }
  }
}

/* Adds the base point's radix-64 digits of one parity (first = 1: odd
 * digits, 0: even) into h. */
static inline void
add_base_digits(ge_p3_t *h, int8_t const es[DIGITS], unsigned first) {
  for (unsigned i = first; i < DIGITS; i += 2) add_digit(h, base_tab[i / 2], es[i]);
}

/* Encoding of [s]B - [k]A, A decoded (no table). */
static void
double_scalarmult_vartime(uint8_t out[32], uint8_t const s[32], uint8_t const k[32],
                          ge_p3_t const *A) {
  int8_t es[DIGITS], ek[256];
  recode(es, s);
  slide(ek, k, 15, 6);

  /* Ai[j] = (2j + 1) A */
  ge_cached_t Ai[8];
  ge_p1p1_t t;
  ge_p3_t u, A2;
  ge_p3_to_cached(&Ai[0], A);
  ge_p2_t a2 = {A->X, A->Y, A->Z};
  ge_p2_dbl(&t, &a2);
  ge_p1p1_to_p3(&A2, &t);
  for (unsigned j = 1; j < 8; j++) {
    ge_add(&t, &A2, &Ai[j - 1], 0);
    ge_p1p1_to_p3(&u, &t);
    ge_p3_to_cached(&Ai[j], &u);
  }

  int top = 255;
  while (top > 6 && !ek[top]) top--;
  ge_p3_t h = {{{0}}, {{1}}, {{1}}, {{0}}}; /* the neutral point */
  ge_p2_t q = {h.X, h.Y, h.Z};
  for (int i = top; i >= 0; i--) {
    ge_p2_dbl(&t, &q);
    int d = ek[i];
    if (d || i == 6 || i == 0) {
      ge_p1p1_to_p3(&h, &t);
      /* -[k]A: a digit d subtracts d A */
      if (d) {
        ge_add(&t, &h, &Ai[(d < 0 ? -d : d) >> 1], d > 0);
        ge_p1p1_to_p3(&h, &t);
      }
      if (i == 6) add_base_digits(&h, es, 1);
      if (i == 0) add_base_digits(&h, es, 0);
      q = (ge_p2_t){h.X, h.Y, h.Z};
    } else {
      ge_p1p1_to_p2(&q, &t);
    }
  }
  ge_tobytes(out, &h);
}

/* ---- the checks libsodium makes on the bytes --------------------------------------------------- */

/* S < L = 2^252 + 27742317777372353535851937790883648493. */
static int
scalar_is_canonical(uint8_t const s[32]) {
  static uint8_t const L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                0, 0, 0x10};
  for (int i = 31; i >= 0; i--) {
    if (s[i] != L[i]) return s[i] < L[i];
  }
  return 0;
}

/* y < p (the sign bit aside). */
static int
point_is_canonical(uint8_t const s[32]) {
  if ((s[31] & 0x7f) != 0x7f) return 1;
  for (int i = 30; i > 0; i--)
    if (s[i] != 0xff) return 1;
  return s[0] < 0xed;
}

/* The encodings (sign bit aside) whose y is that of a point of order 1, 2,
 * 4 or 8: 0, 1, the two order-8 values, p - 1, and the non-canonical p and
 * p + 1. */
static uint8_t const small_order[7][32] = {
  {0},
  {1},
  {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
   0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
  {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
   0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
  {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
  {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
  {0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
};

static int
point_has_small_order(uint8_t const s[32]) {
  for (unsigned i = 0; i < 7; i++) {
    if (!memcmp(s, small_order[i], 31) && (s[31] & 0x7f) == small_order[i][31]) return 1;
  }
  return 0;
}

/* ---- public -------------------------------------------------------------------------------------- */

int
sof_ed25519_init(void) {
  if (sodium_init() < 0) return -1;
  if (ready) return 0;
  fe_t num = {{121665, 0, 0, 0, 0}}, den = {{121666, 0, 0, 0, 0}}, t;
  /* d = -121665 / 121666; sqrt(-1) = 2^((p-1)/4) = 2 * (2^((p-5)/8))^2 */
  fe_invert(&t, &den);
  fe_mul(&t, &t, &num);
  fe_neg(&fe_d, &t);
  fe_add(&t, &fe_d, &fe_d);
  fe64_from_fe(&fe64_d2, &t);
  uint64_t pinv = (uint64_t)p62.v[0]; /* right mod 2^3; each step doubles the bits */
  for (int i = 0; i < 5; i++) pinv *= 2 - (uint64_t)p62.v[0] * pinv;
  p_inv62 = pinv & M62;
  fe_t two = {{2, 0, 0, 0, 0}};
  fe_pow22523(&t, &two);
  fe_sq(&t, &t);
  fe_mul(&fe_sqrtm1, &t, &two);
  /* B: y = 4/5, x even */
  uint8_t b[32];
  memset(b, 0x66, sizeof b);
  b[0] = 0x58;
  ge_p3_t B;
  if (ge_frombytes(&B, b)) return -1;
  static table_build_t build; /* 22 KiB: not on the stack */
  table_build_begin(&build, &B);
  while (table_build_step(base_tab, &build)) {}
  ifma_ok = sof_ed25519_ifma_available();
  if (ifma_ok) {
    fe_t bx, by, bt, d2;
    if (ge_frombytes51(&bx, &by, &bt, b)) return -1;
    fe_add(&d2, &fe_d, &fe_d);
    sof_ed25519_ifma_init(bx.v, by.v, bt.v, d2.v);
  }
  impl = ifma_ok ? SOF_ED25519_IMPL_IFMA : SOF_ED25519_IMPL_SCALAR;
  ready = 1;
  return 0;
}

/* h = SHA-512(R || A || M) mod L */
static void
challenge(uint8_t k[32], uint8_t const sig[64], uint8_t const pub[32], void const *msg, size_t sz) {
  crypto_hash_sha512_state hs;
  uint8_t h[64];
  crypto_hash_sha512_init(&hs);
  crypto_hash_sha512_update(&hs, sig, 32);
  crypto_hash_sha512_update(&hs, pub, 32);
  crypto_hash_sha512_update(&hs, msg, sz);
  crypto_hash_sha512_final(&hs, h);
  crypto_core_ed25519_scalar_reduce(k, h);
}

/* The encoding of the projective point whose X, Y, Z (five limbs each,
 * below 2^52) are r[0..2]. */
static void
encode_limbs(uint8_t out[32], uint64_t const r[3][5]) {
  fe_t X, Y, Z, zi, x, y;
  memcpy(X.v, r[0], sizeof X.v);
  memcpy(Y.v, r[1], sizeof Y.v);
  memcpy(Z.v, r[2], sizeof Z.v);
  fe_invert_vartime(&zi, &Z);
  fe_mul(&x, &X, &zi);
  fe_mul(&y, &Y, &zi);
  fe_tobytes(out, &y);
  out[31] ^= (uint8_t)(fe_isnegative(&x) << 7);
}

/* Encoding of [s]B - [k]A through sof_ed25519_ifma.c: s and k as sliding
 * digits, A and the result in five limbs. */
static void
double_scalarmult_ifma(uint8_t out[32], uint8_t const s[32], uint8_t const k[32], fe_t const *ax,
                       fe_t const *ay, fe_t const *at) {
  int8_t es[256], ek[256];
  slide(es, s, SOF_ED25519_IFMA_BDIG, 9);
  slide(ek, k, SOF_ED25519_IFMA_ADIG, 6);
  uint64_t a[4][5], r[3][5];
  memcpy(a[0], ax->v, sizeof a[0]);
  memcpy(a[1], ay->v, sizeof a[1]);
  a[2][0] = 1;
  a[2][1] = a[2][2] = a[2][3] = a[2][4] = 0;
  memcpy(a[3], at->v, sizeof a[3]);
  sof_ed25519_ifma_dsm(r, es, ek, (uint64_t const(*)[5])a);
  encode_limbs(out, r);
}

_Static_assert(SOF_ED25519_IFMA_PREP_W == SOF_ED25519_TAB_W, "the IFMA kernel reads the prepared tables");

/* Encoding of [s]B - [k]A, A given by its table, through
 * sof_ed25519_ifma.c: the same digits and tables as double_scalarmult. */
static void
double_scalarmult_prepared_ifma(uint8_t out[32], uint8_t const s[32], uint8_t const k[32],
                                uint64_t const *a_tab) {
  int8_t es[DIGITS], ek[DIGITS];
  recode(es, s);
  recode(ek, k);
  uint64_t r[3][5];
  sof_ed25519_ifma_dsm_prepared(r, es, ek, DIGITS, COLS, &base_tab[0][0].ypx.v[0], a_tab);
  encode_limbs(out, r);
}

int
sof_ed25519_verify(uint8_t const sig[64], void const *msg, size_t sz, uint8_t const pub[32]) {
  if (!ready) return crypto_sign_ed25519_verify_detached(sig, msg, sz, pub) ? -1 : 0;
  if (!scalar_is_canonical(sig + 32) || point_has_small_order(sig)) return -1;
  if (!point_is_canonical(pub) || point_has_small_order(pub)) return -1;
  fe_t ax, ay, at;
  if (ge_frombytes51(&ax, &ay, &at, pub)) return -1;
  uint8_t k[32], rcheck[32];
  challenge(k, sig, pub, msg, sz);
  if (impl == SOF_ED25519_IMPL_IFMA) {
    double_scalarmult_ifma(rcheck, sig + 32, k, &ax, &ay, &at);
  } else {
    ge_p3_t A;
    fe64_from_fe(&A.X, &ax);
    fe64_from_fe(&A.Y, &ay);
    A.Z = (fe64_t){{1, 0, 0, 0}};
    fe64_from_fe(&A.T, &at);
    double_scalarmult_vartime(rcheck, sig + 32, k, &A);
  }
  return memcmp(rcheck, sig, 32) ? -1 : 0;
}

int
sof_ed25519_impl_set(sof_ed25519_impl_t which) {
  if (!ready) return -1;
  switch (which) {
  case SOF_ED25519_IMPL_AUTO:
    impl = ifma_ok ? SOF_ED25519_IMPL_IFMA : SOF_ED25519_IMPL_SCALAR;
    return 0;
  case SOF_ED25519_IMPL_SCALAR:
    impl = which;
    return 0;
  case SOF_ED25519_IMPL_IFMA:
    if (!ifma_ok) return -1;
    impl = which;
    return 0;
  }
  return -1;
}

sof_ed25519_impl_t
sof_ed25519_impl(void) {
  return impl;
}

char const *
sof_ed25519_impl_name(sof_ed25519_impl_t which) {
  switch (which) {
  case SOF_ED25519_IMPL_AUTO: return "auto";
  case SOF_ED25519_IMPL_SCALAR: return SOF_FE64_ASM ? "scalar (mulx/adx)" : "scalar (portable C)";
  case SOF_ED25519_IMPL_IFMA: return "ifma";
  }
  return "?";
}

int
sof_ed25519_key_prepare_begin(sof_ed25519_key_t *key, sof_ed25519_prep_t *prep, uint8_t const pub[32]) {
  memset(key->pub, 0, sizeof key->pub);
  key->valid = 0;
  prep->state = 0;
  if (!ready) return -1;
  if (!point_is_canonical(pub) || point_has_small_order(pub)) return -1;
  ge_p3_t A;
  if (ge_frombytes(&A, pub)) return -1;
  table_build_begin((table_build_t *)(void *)prep->mem, &A);
  memcpy(key->pub, pub, 32);
  prep->state = 1;
  return 0;
}

int
sof_ed25519_key_prepare_step(sof_ed25519_key_t *key, sof_ed25519_prep_t *prep) {
  if (prep->state != 1) return -1;
  if (table_build_step((ge_niels_t(*)[COLS])key->tab, (table_build_t *)(void *)prep->mem)) return 1;
  prep->state = 0;
  key->valid = 1;
  return 0;
}

int
sof_ed25519_key_prepare(sof_ed25519_key_t *key, uint8_t const pub[32]) {
  static __thread sof_ed25519_prep_t prep; /* 22 KiB: not on the stack */
  if (sof_ed25519_key_prepare_begin(key, &prep, pub)) return -1;
  int rc;
  while ((rc = sof_ed25519_key_prepare_step(key, &prep)) == 1) {}
  return rc;
}

int
sof_ed25519_verify_prepared(uint8_t const sig[64], void const *msg, size_t sz,
                            sof_ed25519_key_t const *key) {
  if (!key->valid) return -1;
  if (!scalar_is_canonical(sig + 32) || point_has_small_order(sig)) return -1;
  uint8_t k[32], rcheck[32];
  challenge(k, sig, key->pub, msg, sz);
  if (impl == SOF_ED25519_IMPL_IFMA) double_scalarmult_prepared_ifma(rcheck, sig + 32, k, &key->tab[0][0][0]);
  else double_scalarmult(rcheck, sig + 32, k, (ge_niels_t const(*)[COLS])key->tab);
  return memcmp(rcheck, sig, 32) ? -1 : 0;
}

uint64_t
sof_ed25519_warm(sof_ed25519_key_t const *key, uint32_t *cursor, uint32_t lines) {
  uint32_t const per = (uint32_t)(sizeof base_tab / 64);
  uint32_t const total = key ? 2 * per : per;
  uint32_t c = *cursor % total;
  uint64_t acc = 0;
  for (uint32_t i = 0; i < lines; i++) {
    uint8_t const *tab = c < per ? (uint8_t const *)base_tab : (uint8_t const *)key->tab;
    acc += *(uint64_t const volatile *)(void const *)(tab + (size_t)(c % per) * 64);
    if (++c == total) c = 0;
  }
  *cursor = c;
  if (impl == SOF_ED25519_IMPL_IFMA) acc = sof_ed25519_ifma_keep_warm(acc);
  return acc;
}

void
sof_ed25519_sign(uint8_t sig[64], void const *msg, size_t sz, uint8_t const kp[64]) {
  crypto_sign_ed25519_detached(sig, NULL, msg, sz, kp);
}

void
sof_ed25519_keypair_from_seed(uint8_t kp[64], uint8_t const seed[32]) {
  uint8_t pub[32];
  crypto_sign_ed25519_seed_keypair(pub, kp, seed);
}
