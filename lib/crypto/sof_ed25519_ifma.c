/* sof_ed25519_ifma.c: [s]B - [k]A four field elements at a time with
 * AVX-512 IFMA (see sof_ed25519_ifma.h).
 *
 * Why hand-written: libsodium and OpenSSL have no vectorised ed25519, and
 * both verifications are on the data path: an unprepared one for a
 * leader's first set, a prepared one for the shred that opens every FEC
 * set (the tail of sofd's delivery latency).
 *
 * Layout: a fe4_t holds four field elements in radix 2^51, limb i of all
 * four in l[i] (lane j = element j). A point is (X, Y, Z, T) in lanes
 * 0..3; a cached point (the additions' second operand) is (Y - X, Y + X,
 * 2dT, 2Z). With a = -1 the doubling (Hisil-Wong-Carter-Dawson 2008,
 * E = 2XY taken as a product rather than (X + Y)^2 - A - B) and the
 * unified addition are each two four-lane products:
 *
 *   doubling: (X, Y, Z, X) * (X, Y, Z, Y) = (A, B, Z^2, XY), then
 *             (E, G, F, E) * (F, H, G, H) with E = 2XY, G = B - A,
 *             F = 2Z^2 - G, H = A + B (F and H are the negatives of the
 *             textbook's: every coordinate flips sign, the same point);
 *   addition: (Y1 - X1, Y1 + X1, T1, Z1) * cached = (A, B, C, D), then
 *             (B - A, D + C, D - C, B - A) * (D - C, B + A, D + C, B + A).
 *
 * The unified addition is complete on edwards25519 (a = -1 is a square, d
 * is not), so every input gives the point libsodium's formulas give.
 *
 * Bounds: a product (fe_mul4) takes limbs below 2^52 (vpmadd52 reads 52
 * bits) and returns limbs at most 2^51 + 2^15. Between products, sums and
 * differences (a difference adds 2p, whose limbs exceed any operand's)
 * stay below 2^56 and one carry pass (fe_carry4) brings them under
 * 2^51 + 2^10.
 *
 * The product, the carry pass, the doubling and the addition are written
 * once, in sof_ed25519_ifma_pt.inc, and instantiated for one point
 * (fe4_t, __m256i: fe_mul4, ge_dbl4, ...) and for the two points of a
 * prepared verification (fe8_t, __m512i: fe_mul8, ge_dbl8, ...). */
#include "crypto/sof_ed25519_ifma.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#define TGT    __attribute__((target("avx2,avx512f,avx512vl,avx512ifma")))
#define TGT_IN static inline __attribute__((target("avx2,avx512f,avx512vl,avx512ifma"), always_inline))
/* The point operations are called, not inlined: one copy each keeps the
 * object small (and quick to compile with sanitizers); a call costs ~1 ns
 * of a 35 ns doubling. */
#define TGT_OUT static __attribute__((target("avx2,avx512f,avx512vl,avx512ifma"), noinline))

typedef struct { __m256i l[5]; } fe4_t;

#define PERM(x, a, b, c, d) _mm256_permute4x64_epi64((x), (a) | ((b) << 2) | ((c) << 4) | ((d) << 6))
#define M51 ((1ULL << 51) - 1)

/* 2p, limb by limb (P2_0 for limb 0, P2_I for the others) */
#define P2_0 0xFFFFFFFFFFFDAULL
#define P2_I 0xFFFFFFFFFFFFEULL

/* ---- one point: fe4_t, __m256i ---- */
#define FE fe4_t
#define V __m256i
#define V_SET1(x) _mm256_set1_epi64x(x)
#define V_ZERO() _mm256_setzero_si256()
#define V_ADD _mm256_add_epi64
#define V_SUB _mm256_sub_epi64
#define V_AND _mm256_and_si256
#define V_SRLI _mm256_srli_epi64
#define V_SLLI _mm256_slli_epi64
#define V_SLLV _mm256_sllv_epi64
#define V_MADDLO _mm256_madd52lo_epu64
#define V_MADDHI _mm256_madd52hi_epu64
#define V_MASK_ADD _mm256_mask_add_epi64
#define V_MASK_SUB _mm256_mask_sub_epi64
#define V_PERM PERM
#define V_MASK(m) ((__mmask8)(m))
#define V_SET4(d, c, b, a) _mm256_set_epi64x(d, c, b, a)
#define FN(name) name##4
#include "sof_ed25519_ifma_pt.inc"

/* The cached form of p and of -p: (Y - X, Y + X, 2dT, 2Z) and
 * (Y + X, Y - X, -2dT, 2Z). */
static fe4_t k_cache; /* (1, 1, 2d, 2) */

TGT_IN void
ge4_cache(fe4_t *pos, fe4_t *neg, fe4_t const *p) {
  fe4_t a;
  ge_addend4(&a, p);
  fe_mul4(pos, &a, &k_cache);
  _Pragma("GCC unroll 10")
  for (int i = 0; i < 5; i++) {
    __m256i s = PERM(pos->l[i], 1, 0, 2, 3);
    neg->l[i] = _mm256_mask_sub_epi64(s, 0x4, p2_limb4(i), s);
  }
  fe_carry4(neg);
}

TGT_IN void
fe4_load(fe4_t *h, uint64_t const x[5], uint64_t const y[5], uint64_t const z[5], uint64_t const t[5]) {
  _Pragma("GCC unroll 10")
  for (int i = 0; i < 5; i++)
    h->l[i] = _mm256_set_epi64x((long long)t[i], (long long)z[i], (long long)y[i], (long long)x[i]);
}

/* odd multiples of B: btab[0][j] = (2j + 1) B cached, btab[1][j] its negative */
#define BTAB_N ((SOF_ED25519_IFMA_BDIG + 1) / 2)
#define ATAB_N ((SOF_ED25519_IFMA_ADIG + 1) / 2)
static fe4_t btab[2][BTAB_N];

/* tab[0][j] = (2j + 1) p and tab[1][j] = -(2j + 1) p, cached; p's limbs
 * at most 2^51 + 2^15. */
TGT_IN void
odd_multiples(fe4_t (*tab)[2], unsigned n, fe4_t const *p) {
  fe4_t p2 = *p, p2c, unused, cur = *p;
  ge_dbl4(&p2);
  ge4_cache(&p2c, &unused, &p2);
  for (unsigned j = 0; j < n; j++) {
    ge4_cache(&tab[j][0], &tab[j][1], &cur);
    if (j + 1 < n) ge_add4(&cur, &p2c);
  }
}

TGT int
sof_ed25519_ifma_available(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512ifma");
}

TGT void
sof_ed25519_ifma_init(uint64_t const bx[5], uint64_t const by[5], uint64_t const bt[5], uint64_t const d2[5]) {
  static uint64_t const one[5] = {1}, two[5] = {2};
  fe4_load(&k_cache, one, one, d2, two);
  fe_carry4(&k_cache);
  fe4_t b, t[BTAB_N][2];
  fe4_load(&b, bx, by, one, bt);
  fe_carry4(&b);
  odd_multiples(t, BTAB_N, &b);
  for (unsigned j = 0; j < BTAB_N; j++) {
    btab[0][j] = t[j][0];
    btab[1][j] = t[j][1];
  }
}

TGT void
sof_ed25519_ifma_dsm(uint64_t out[3][5], int8_t const es[256], int8_t const ek[256], uint64_t const a[4][5]) {
  fe4_t A, atab[ATAB_N][2], h;
  fe4_load(&A, a[0], a[1], a[2], a[3]);
  fe_carry4(&A);
  odd_multiples(atab, ATAB_N, &A);
  static uint64_t const zero[5] = {0}, one[5] = {1};
  fe4_load(&h, zero, one, one, zero); /* the neutral point */
  int i = 255;
  while (i > 0 && !es[i] && !ek[i]) i--;
  for (; i >= 0; i--) {
    ge_dbl4(&h);
    int d = ek[i];
    /* -[k]A: a digit d adds -d A */
    if (d > 0) ge_add4(&h, &atab[d >> 1][1]);
    else if (d < 0) ge_add4(&h, &atab[(-d) >> 1][0]);
    d = es[i];
    if (d > 0) ge_add4(&h, &btab[0][d >> 1]);
    else if (d < 0) ge_add4(&h, &btab[1][(-d) >> 1]);
  }
  uint64_t lane[5][4] __attribute__((aligned(32)));
  _Pragma("GCC unroll 10")
  for (int l = 0; l < 5; l++) _mm256_store_si256((__m256i *)(void *)lane[l], h.l[l]);
  for (int c = 0; c < 3; c++)
    _Pragma("GCC unroll 10")
    for (int l = 0; l < 5; l++) out[c][l] = lane[l][c];
}

/* ---- prepared keys: affine tables in sof_ed25519.c's four-word form ----
 *
 * A table slot is an affine Niels point in four 64-bit words per element
 * (y + x, y - x, 2dxy; any value below 2^256). niels_load transposes the
 * slot into lanes and cuts the words into 51-bit limbs: the cached form
 * (y - x, y + x, 2dxy, 2) of the point, or of its negative (y + x, y - x,
 * -2dxy, 2) when neg. Bit 255 comes back as 19 in limb 0 (as
 * sof_ed25519.c's fe_from_fe64), so every limb is at most 2^51 + 19: a
 * product's operand, and below 2p's limbs for the negation. The loads do
 * not depend on the running sum, so the out-of-order core does them under
 * the previous addition. */
TGT_IN void
niels_load(fe4_t *q, uint64_t const *slot, int neg) {
  __mmask8 const sw = neg ? 0xF : 0;
  __m256i const ypx = _mm256_loadu_si256((__m256i const *)(void const *)slot);
  __m256i const ymx = _mm256_loadu_si256((__m256i const *)(void const *)(slot + 4));
  __m256i const a = _mm256_mask_blend_epi64(sw, ymx, ypx); /* lane 0 */
  __m256i const b = _mm256_mask_blend_epi64(sw, ypx, ymx); /* lane 1 */
  __m256i const c = _mm256_loadu_si256((__m256i const *)(void const *)(slot + 8));
  __m256i const d = _mm256_setzero_si256();
  __m256i const t0 = _mm256_unpacklo_epi64(a, b), t1 = _mm256_unpackhi_epi64(a, b);
  __m256i const t2 = _mm256_unpacklo_epi64(c, d), t3 = _mm256_unpackhi_epi64(c, d);
  __m256i const w0 = _mm256_permute2x128_si256(t0, t2, 0x20), w1 = _mm256_permute2x128_si256(t1, t3, 0x20);
  __m256i const w2 = _mm256_permute2x128_si256(t0, t2, 0x31), w3 = _mm256_permute2x128_si256(t1, t3, 0x31);
  __m256i const m = _mm256_set1_epi64x((long long)M51);
  __m256i l0 = _mm256_and_si256(w0, m);
  l0 = _mm256_madd52lo_epu64(l0, _mm256_srli_epi64(w3, 63), _mm256_set1_epi64x(19));
  q->l[0] = _mm256_mask_mov_epi64(l0, 0x8, _mm256_set1_epi64x(2)); /* lane 3: 2Z = 2 */
  q->l[1] = _mm256_and_si256(_mm256_or_si256(_mm256_srli_epi64(w0, 51), _mm256_slli_epi64(w1, 13)), m);
  q->l[2] = _mm256_and_si256(_mm256_or_si256(_mm256_srli_epi64(w1, 38), _mm256_slli_epi64(w2, 26)), m);
  q->l[3] = _mm256_and_si256(_mm256_or_si256(_mm256_srli_epi64(w2, 25), _mm256_slli_epi64(w3, 39)), m);
  q->l[4] = _mm256_and_si256(_mm256_srli_epi64(w3, 12), m);
  __mmask8 const ng = neg ? 0x4 : 0; /* lane 2: 2p - 2dxy */
  _Pragma("GCC unroll 10")
  for (int i = 0; i < 5; i++) q->l[i] = _mm256_mask_sub_epi64(q->l[i], ng, p2_limb4(i), q->l[i]);
}

/* ---- two points at once (AVX-512, eight lanes) -------------------------
 *
 * The two sums of a prepared verification, [s]B and -[k]A, are
 * independent until the end: one 512-bit vector set holds both, B's
 * (X, Y, Z, T) in lanes 0..3 and A's in lanes 4..7, and the doubling and
 * addition (sof_ed25519_ifma_pt.inc, included a second time for this
 * width) run on both halves at once (the lane permutations stay within
 * each 256-bit half; the masks are repeated). A 512-bit IFMA costs
 * about as much as a 256-bit one here (bench/bench_verify: ifma prepared),
 * so the pair costs little more than one point. Bounds as for fe4_t. */
typedef struct { __m512i l[5]; } fe8_t;

#define PERM8(x, a, b, c, d) _mm512_permutex_epi64((x), (a) | ((b) << 2) | ((c) << 4) | ((d) << 6))
#define MASK2(m) ((__mmask8)((m) | ((m) << 4)))

#define FE fe8_t
#define V __m512i
#define V_SET1(x) _mm512_set1_epi64(x)
#define V_ZERO() _mm512_setzero_si512()
#define V_ADD _mm512_add_epi64
#define V_SUB _mm512_sub_epi64
#define V_AND _mm512_and_si512
#define V_SRLI _mm512_srli_epi64
#define V_SLLI _mm512_slli_epi64
#define V_SLLV _mm512_sllv_epi64
#define V_MADDLO _mm512_madd52lo_epu64
#define V_MADDHI _mm512_madd52hi_epu64
#define V_MASK_ADD _mm512_mask_add_epi64
#define V_MASK_SUB _mm512_mask_sub_epi64
#define V_PERM PERM8
#define V_MASK MASK2
#define V_SET4(d, c, b, a) _mm512_set_epi64(d, c, b, a, d, c, b, a)
#define FN(name) name##8
#include "sof_ed25519_ifma_pt.inc"

/* The cached form of a slot of `row` for a signed digit d (|d| <= the
 * row's length): of d times the row's point; of the neutral point (1, 1,
 * 0, 2) for d = 0. */
TGT_IN void
digit_load(fe4_t *q, uint64_t const *row, int d) {
  if (d) {
    niels_load(q, row + 12 * (size_t)((d < 0 ? -d : d) - 1), d < 0);
    return;
  }
  static uint64_t const one[5] = {1}, zero[5] = {0}, two[5] = {2};
  fe4_load(q, one, one, zero, two);
}

/* The pair of cached slots for digit i: B's row's es[i] (low half), A's
 * row's -ek[i] (high half). */
TGT_IN void
pair_load(fe8_t *q, int8_t const *es, int8_t const *ek, unsigned i, size_t row, uint64_t const *b_tab,
          uint64_t const *a_tab) {
  fe4_t qb, qa;
  digit_load(&qb, b_tab + row * (i / 2), es[i]);
  digit_load(&qa, a_tab + row * (i / 2), -ek[i]);
  _Pragma("GCC unroll 10")
  for (int l = 0; l < 5; l++) q->l[l] = _mm512_inserti64x4(_mm512_castsi256_si512(qb.l[l]), qa.l[l], 1);
}

/* Adds the digit pairs i = first, first + 2, .. < ndig into h. */
TGT_IN void
add_pairs(fe8_t *h, int8_t const *es, int8_t const *ek, unsigned first, unsigned ndig, size_t row,
          uint64_t const *b_tab, uint64_t const *a_tab) {
  for (unsigned i = first; i < ndig; i += 2) {
    if (!es[i] && !ek[i]) continue;
    fe8_t q;
    pair_load(&q, es, ek, i, row, b_tab, a_tab);
    ge_add8(h, &q);
  }
}

/* [s]B in the low half and -[k]A in the high half of one vector set: the
 * odd digits, 2^W times, the even digits; then the halves added. (Two
 * such pairs, odd and even digits apart, overlapped no better here: the
 * pair is bound by the IFMA ports, not by its dependency chain.) */
TGT void
sof_ed25519_ifma_dsm_prepared(uint64_t out[3][5], int8_t const *es, int8_t const *ek, unsigned ndig,
                              unsigned cols, uint64_t const *b_tab, uint64_t const *a_tab) {
  static uint64_t const zero[5] = {0}, one[5] = {1};
  fe4_t n, hb, ha, c, unused;
  fe4_load(&n, zero, one, one, zero); /* the neutral point */
  fe8_t h;
  _Pragma("GCC unroll 10")
  for (int l = 0; l < 5; l++) h.l[l] = _mm512_inserti64x4(_mm512_castsi256_si512(n.l[l]), n.l[l], 1);
  size_t const row = 12 * (size_t)cols;
  add_pairs(&h, es, ek, 1, ndig, row, b_tab, a_tab);
  for (unsigned j = 0; j < SOF_ED25519_IFMA_PREP_W; j++) ge_dbl8(&h);
  add_pairs(&h, es, ek, 0, ndig, row, b_tab, a_tab);
  _Pragma("GCC unroll 10")
  for (int l = 0; l < 5; l++) {
    hb.l[l] = _mm512_castsi512_si256(h.l[l]);
    ha.l[l] = _mm512_extracti64x4_epi64(h.l[l], 1);
  }
  ge4_cache(&c, &unused, &ha);
  ge_add4(&hb, &c);
  uint64_t lane[5][4] __attribute__((aligned(32)));
  _Pragma("GCC unroll 10")
  for (int l = 0; l < 5; l++) _mm256_store_si256((__m256i *)(void *)lane[l], hb.l[l]);
  for (int k = 0; k < 3; k++)
    _Pragma("GCC unroll 10")
    for (int l = 0; l < 5; l++) out[k][l] = lane[l][k];
}

/* A few dependent 512-bit multiply-adds: see sof_ed25519_ifma.h. */
TGT uint64_t
sof_ed25519_ifma_keep_warm(uint64_t x) {
  __m512i v = _mm512_set1_epi64((long long)x);
  _Pragma("GCC unroll 4")
  for (int i = 0; i < 4; i++) v = _mm512_madd52lo_epu64(v, v, v);
  return (uint64_t)_mm_cvtsi128_si64(_mm512_castsi512_si128(v));
}

#else /* no x86-64: never available */

int
sof_ed25519_ifma_available(void) {
  return 0;
}

void
sof_ed25519_ifma_init(uint64_t const bx[5], uint64_t const by[5], uint64_t const bt[5], uint64_t const d2[5]) {
  (void)bx, (void)by, (void)bt, (void)d2;
}

void
sof_ed25519_ifma_dsm(uint64_t out[3][5], int8_t const es[256], int8_t const ek[256], uint64_t const a[4][5]) {
  (void)out, (void)es, (void)ek, (void)a;
}

void
sof_ed25519_ifma_dsm_prepared(uint64_t out[3][5], int8_t const *es, int8_t const *ek, unsigned ndig,
                              unsigned cols, uint64_t const *b_tab, uint64_t const *a_tab) {
  (void)out, (void)es, (void)ek, (void)ndig, (void)cols, (void)b_tab, (void)a_tab;
}

uint64_t
sof_ed25519_ifma_keep_warm(uint64_t x) {
  return x;
}

#endif
