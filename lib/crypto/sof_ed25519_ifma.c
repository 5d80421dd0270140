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
 * Bounds: a product (fe4_mul) takes limbs below 2^52 (vpmadd52 reads 52
 * bits) and returns limbs at most 2^51 + 2^15. Between products, sums and
 * differences (a difference adds 2p, whose limbs exceed any operand's)
 * stay below 2^56 and one carry pass (fe4_carry) brings them under
 * 2^51 + 2^10. */
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

/* 2p, limb by limb */
#define P2_0 0xFFFFFFFFFFFDAULL
#define P2_I 0xFFFFFFFFFFFFEULL

TGT_IN __m256i
p2_limb(int i) {
  return _mm256_set1_epi64x((long long)(i ? P2_I : P2_0));
}

/* One parallel carry pass: limbs below 2^64 - 2^13 become at most
 * 2^51 + 2^13 (limb 0: 2^51 + 19 * 2^13); limbs below 2^61 become at
 * most 2^51 + 2^15 (limb 0; the others 2^51 + 2^10). */
TGT_IN void
fe4_carry(fe4_t *h) {
  __m256i const m = _mm256_set1_epi64x((long long)M51);
  __m256i c0 = _mm256_srli_epi64(h->l[0], 51), c1 = _mm256_srli_epi64(h->l[1], 51);
  __m256i c2 = _mm256_srli_epi64(h->l[2], 51), c3 = _mm256_srli_epi64(h->l[3], 51);
  __m256i c4 = _mm256_srli_epi64(h->l[4], 51);
  h->l[0] = _mm256_madd52lo_epu64(_mm256_and_si256(h->l[0], m), c4, _mm256_set1_epi64x(19));
  h->l[1] = _mm256_add_epi64(_mm256_and_si256(h->l[1], m), c0);
  h->l[2] = _mm256_add_epi64(_mm256_and_si256(h->l[2], m), c1);
  h->l[3] = _mm256_add_epi64(_mm256_and_si256(h->l[3], m), c2);
  h->l[4] = _mm256_add_epi64(_mm256_and_si256(h->l[4], m), c3);
}

/* h = a * b lane by lane (h may alias a or b). Limbs of a and b below
 * 2^52; h's at most 2^51 + 2^15.
 *
 * Column k of the product (weight 2^(51 k)) collects the low 52 bits of
 * a_i b_j (i + j = k) and twice the high part of a_i b_j (i + j = k - 1:
 * the high part starts at 2^52 = 2 * 2^51). Columns are below 15 * 2^52;
 * 2^255 = 19 folds columns 5..9 onto 0..4 (below 2^61), and one carry
 * pass leaves limbs at most 2^51 + 2^15 (limb 0; the others 2^51 + 2^10),
 * below 2^52 as a product's operand must be and below 2p's limbs as a
 * difference's subtrahend must be. */
TGT_IN void
fe4_mul(fe4_t *h, fe4_t const *a, fe4_t const *b) {
  __m256i const z = _mm256_setzero_si256();
  __m256i lo[9], hi[9];
  _Pragma("GCC unroll 10")
  for (int k = 0; k < 9; k++) lo[k] = hi[k] = z;
#define MAC(i, j)                                                                                  \
  lo[i + j] = _mm256_madd52lo_epu64(lo[i + j], a->l[i], b->l[j]);                                  \
  hi[i + j] = _mm256_madd52hi_epu64(hi[i + j], a->l[i], b->l[j]);
  MAC(0, 0) MAC(0, 1) MAC(0, 2) MAC(0, 3) MAC(0, 4)
  MAC(1, 0) MAC(1, 1) MAC(1, 2) MAC(1, 3) MAC(1, 4)
  MAC(2, 0) MAC(2, 1) MAC(2, 2) MAC(2, 3) MAC(2, 4)
  MAC(3, 0) MAC(3, 1) MAC(3, 2) MAC(3, 3) MAC(3, 4)
  MAC(4, 0) MAC(4, 1) MAC(4, 2) MAC(4, 3) MAC(4, 4)
#undef MAC
  __m256i col[10];
  col[0] = lo[0];
  _Pragma("GCC unroll 10")
  for (int k = 1; k < 9; k++) col[k] = _mm256_add_epi64(lo[k], _mm256_add_epi64(hi[k - 1], hi[k - 1]));
  col[9] = _mm256_add_epi64(hi[8], hi[8]);
  fe4_t r;
  _Pragma("GCC unroll 10")
  for (int k = 0; k < 5; k++) {
    __m256i t = col[k + 5]; /* 19 t = 16 t + 2 t + t */
    __m256i t19 = _mm256_add_epi64(_mm256_add_epi64(_mm256_slli_epi64(t, 4), _mm256_add_epi64(t, t)), t);
    r.l[k] = _mm256_add_epi64(col[k], t19);
  }
  fe4_carry(&r);
  *h = r;
}

/* p = 2p (p: X, Y, Z, T lanes, limbs below 2^52). The four values the
 * second product combines, (G, H, F, E), are formed in one vector and
 * carried once; the two operands are lane permutations of it. */
TGT_OUT void
ge4_dbl(fe4_t *p) {
  fe4_t a, b, s, g, u, w;
  _Pragma("GCC unroll 10")
  for (int i = 0; i < 5; i++) {
    a.l[i] = PERM(p->l[i], 0, 1, 2, 0);
    b.l[i] = PERM(p->l[i], 0, 1, 2, 1);
  }
  fe4_mul(&s, &a, &b); /* (A, B, Z^2, XY) */
  __m256i const dbl_hi = _mm256_set_epi64x(1, 1, 0, 0);
  _Pragma("GCC unroll 10")
  for (int i = 0; i < 5; i++) {
    __m256i const p2 = p2_limb(i);
    __m256i x = _mm256_sllv_epi64(PERM(s.l[i], 1, 1, 2, 3), dbl_hi);  /* (B, B, 2Z^2, 2XY) */
    __m256i y = PERM(s.l[i], 0, 0, 0, 0);                               /* A */
    __m256i bb = PERM(s.l[i], 1, 1, 1, 1);                              /* B */
    y = _mm256_mask_sub_epi64(y, 0x1, p2, y);                           /* (-A, A, A, A) */
    x = _mm256_mask_add_epi64(x, 0x7, x, y);                            /* (G, H, 2Z^2 + A, E) */
    g.l[i] = _mm256_mask_add_epi64(x, 0x4, x, _mm256_sub_epi64(p2, bb)); /* lane 2: F */
  }
  fe4_carry(&g);
  _Pragma("GCC unroll 10")
  for (int i = 0; i < 5; i++) {
    u.l[i] = PERM(g.l[i], 3, 0, 2, 3); /* (E, G, F, E) */
    w.l[i] = PERM(g.l[i], 2, 1, 0, 1); /* (F, H, G, H) */
  }
  fe4_mul(p, &u, &w);
}

/* (Y - X, Y + X, T, Z) of p, carried */
TGT_IN void
ge4_addend(fe4_t *a, fe4_t const *p) {
  _Pragma("GCC unroll 10")
  for (int i = 0; i < 5; i++) {
    __m256i y = PERM(p->l[i], 1, 1, 3, 2);
    __m256i x = PERM(p->l[i], 0, 0, 0, 0);
    __m256i t = _mm256_mask_add_epi64(y, 0x2, y, x);
    a->l[i] = _mm256_mask_add_epi64(t, 0x1, t, _mm256_sub_epi64(p2_limb(i), x));
  }
  fe4_carry(a);
}

/* p = p + q, q cached (Y - X, Y + X, 2dT, 2Z). As in the doubling, the
 * second product's operands are permutations of one carried vector
 * (E, F, G, H). */
TGT_OUT void
ge4_add(fe4_t *p, fe4_t const *q) {
  fe4_t a, m, e, v1, v2;
  ge4_addend(&a, p);
  fe4_mul(&m, &a, q); /* (A, B, C, D) */
  _Pragma("GCC unroll 10")
  for (int i = 0; i < 5; i++) {
    __m256i x = PERM(m.l[i], 1, 3, 3, 1), y = PERM(m.l[i], 0, 2, 2, 0);
    /* (B - A, D - C, D + C, B + A) */
    e.l[i] = _mm256_mask_sub_epi64(_mm256_add_epi64(x, y), 0x3, _mm256_add_epi64(x, p2_limb(i)), y);
  }
  fe4_carry(&e);
  _Pragma("GCC unroll 10")
  for (int i = 0; i < 5; i++) {
    v1.l[i] = PERM(e.l[i], 0, 2, 1, 0); /* (E, G, F, E) */
    v2.l[i] = PERM(e.l[i], 1, 3, 2, 3); /* (F, H, G, H) */
  }
  fe4_mul(p, &v1, &v2);
}

/* The cached form of p and of -p: (Y - X, Y + X, 2dT, 2Z) and
 * (Y + X, Y - X, -2dT, 2Z). */
static fe4_t k_cache; /* (1, 1, 2d, 2) */

TGT_IN void
ge4_cache(fe4_t *pos, fe4_t *neg, fe4_t const *p) {
  fe4_t a;
  ge4_addend(&a, p);
  fe4_mul(pos, &a, &k_cache);
  _Pragma("GCC unroll 10")
  for (int i = 0; i < 5; i++) {
    __m256i s = PERM(pos->l[i], 1, 0, 2, 3);
    neg->l[i] = _mm256_mask_sub_epi64(s, 0x4, p2_limb(i), s);
  }
  fe4_carry(neg);
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
  ge4_dbl(&p2);
  ge4_cache(&p2c, &unused, &p2);
  for (unsigned j = 0; j < n; j++) {
    ge4_cache(&tab[j][0], &tab[j][1], &cur);
    if (j + 1 < n) ge4_add(&cur, &p2c);
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
  fe4_carry(&k_cache);
  fe4_t b, t[BTAB_N][2];
  fe4_load(&b, bx, by, one, bt);
  fe4_carry(&b);
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
  fe4_carry(&A);
  odd_multiples(atab, ATAB_N, &A);
  static uint64_t const zero[5] = {0}, one[5] = {1};
  fe4_load(&h, zero, one, one, zero); /* the neutral point */
  int i = 255;
  while (i > 0 && !es[i] && !ek[i]) i--;
  for (; i >= 0; i--) {
    ge4_dbl(&h);
    int d = ek[i];
    /* -[k]A: a digit d adds -d A */
    if (d > 0) ge4_add(&h, &atab[d >> 1][1]);
    else if (d < 0) ge4_add(&h, &atab[(-d) >> 1][0]);
    d = es[i];
    if (d > 0) ge4_add(&h, &btab[0][d >> 1]);
    else if (d < 0) ge4_add(&h, &btab[1][(-d) >> 1]);
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
  for (int i = 0; i < 5; i++) q->l[i] = _mm256_mask_sub_epi64(q->l[i], ng, p2_limb(i), q->l[i]);
}

/* ---- two points at once (AVX-512, eight lanes) -------------------------
 *
 * The two sums of a prepared verification, [s]B and -[k]A, are
 * independent until the end: one 512-bit vector set holds both, B's
 * (X, Y, Z, T) in lanes 0..3 and A's in lanes 4..7, and the doubling and
 * addition above run on both halves at once (the lane permutations stay
 * within each 256-bit half; the masks are repeated). A 512-bit IFMA costs
 * about as much as a 256-bit one here (bench/bench_verify: ifma prepared),
 * so the pair costs little more than one point. Bounds as for fe4_t. */
typedef struct { __m512i l[5]; } fe8_t;

#define PERM8(x, a, b, c, d) _mm512_permutex_epi64((x), (a) | ((b) << 2) | ((c) << 4) | ((d) << 6))
#define MASK2(m) ((__mmask8)((m) | ((m) << 4)))

TGT_IN __m512i
p2_limb8(int i) {
  return _mm512_set1_epi64((long long)(i ? P2_I : P2_0));
}

TGT_IN void
fe8_carry(fe8_t *h) {
  __m512i const m = _mm512_set1_epi64((long long)M51);
  __m512i c0 = _mm512_srli_epi64(h->l[0], 51), c1 = _mm512_srli_epi64(h->l[1], 51);
  __m512i c2 = _mm512_srli_epi64(h->l[2], 51), c3 = _mm512_srli_epi64(h->l[3], 51);
  __m512i c4 = _mm512_srli_epi64(h->l[4], 51);
  h->l[0] = _mm512_madd52lo_epu64(_mm512_and_si512(h->l[0], m), c4, _mm512_set1_epi64(19));
  h->l[1] = _mm512_add_epi64(_mm512_and_si512(h->l[1], m), c0);
  h->l[2] = _mm512_add_epi64(_mm512_and_si512(h->l[2], m), c1);
  h->l[3] = _mm512_add_epi64(_mm512_and_si512(h->l[3], m), c2);
  h->l[4] = _mm512_add_epi64(_mm512_and_si512(h->l[4], m), c3);
}

/* fe4_mul on eight lanes */
TGT_IN void
fe8_mul(fe8_t *h, fe8_t const *a, fe8_t const *b) {
  __m512i const z = _mm512_setzero_si512();
  __m512i lo[9], hi[9];
  _Pragma("GCC unroll 10")
  for (int k = 0; k < 9; k++) lo[k] = hi[k] = z;
#define MAC(i, j)                                                                                  \
  lo[i + j] = _mm512_madd52lo_epu64(lo[i + j], a->l[i], b->l[j]);                                  \
  hi[i + j] = _mm512_madd52hi_epu64(hi[i + j], a->l[i], b->l[j]);
  MAC(0, 0) MAC(0, 1) MAC(0, 2) MAC(0, 3) MAC(0, 4)
  MAC(1, 0) MAC(1, 1) MAC(1, 2) MAC(1, 3) MAC(1, 4)
  MAC(2, 0) MAC(2, 1) MAC(2, 2) MAC(2, 3) MAC(2, 4)
  MAC(3, 0) MAC(3, 1) MAC(3, 2) MAC(3, 3) MAC(3, 4)
  MAC(4, 0) MAC(4, 1) MAC(4, 2) MAC(4, 3) MAC(4, 4)
#undef MAC
  __m512i col[10];
  col[0] = lo[0];
  _Pragma("GCC unroll 10")
  for (int k = 1; k < 9; k++) col[k] = _mm512_add_epi64(lo[k], _mm512_add_epi64(hi[k - 1], hi[k - 1]));
  col[9] = _mm512_add_epi64(hi[8], hi[8]);
  fe8_t r;
  _Pragma("GCC unroll 10")
  for (int k = 0; k < 5; k++) {
    __m512i t = col[k + 5];
    __m512i t19 = _mm512_add_epi64(_mm512_add_epi64(_mm512_slli_epi64(t, 4), _mm512_add_epi64(t, t)), t);
    r.l[k] = _mm512_add_epi64(col[k], t19);
  }
  fe8_carry(&r);
  *h = r;
}

/* ge4_dbl on both halves */
TGT_OUT void
ge8_dbl(fe8_t *p) {
  fe8_t a, b, s, g, u, w;
  _Pragma("GCC unroll 10")
  for (int i = 0; i < 5; i++) {
    a.l[i] = PERM8(p->l[i], 0, 1, 2, 0);
    b.l[i] = PERM8(p->l[i], 0, 1, 2, 1);
  }
  fe8_mul(&s, &a, &b);
  __m512i const dbl_hi = _mm512_set_epi64(1, 1, 0, 0, 1, 1, 0, 0);
  _Pragma("GCC unroll 10")
  for (int i = 0; i < 5; i++) {
    __m512i const p2 = p2_limb8(i);
    __m512i x = _mm512_sllv_epi64(PERM8(s.l[i], 1, 1, 2, 3), dbl_hi);
    __m512i y = PERM8(s.l[i], 0, 0, 0, 0);
    __m512i bb = PERM8(s.l[i], 1, 1, 1, 1);
    y = _mm512_mask_sub_epi64(y, MASK2(0x1), p2, y);
    x = _mm512_mask_add_epi64(x, MASK2(0x7), x, y);
    g.l[i] = _mm512_mask_add_epi64(x, MASK2(0x4), x, _mm512_sub_epi64(p2, bb));
  }
  fe8_carry(&g);
  _Pragma("GCC unroll 10")
  for (int i = 0; i < 5; i++) {
    u.l[i] = PERM8(g.l[i], 3, 0, 2, 3);
    w.l[i] = PERM8(g.l[i], 2, 1, 0, 1);
  }
  fe8_mul(p, &u, &w);
}

/* ge4_add on both halves: p = p + q, q cached */
TGT_OUT void
ge8_add(fe8_t *p, fe8_t const *q) {
  fe8_t a, m, e, v1, v2;
  _Pragma("GCC unroll 10")
  for (int i = 0; i < 5; i++) {
    __m512i y = PERM8(p->l[i], 1, 1, 3, 2);
    __m512i x = PERM8(p->l[i], 0, 0, 0, 0);
    __m512i t = _mm512_mask_add_epi64(y, MASK2(0x2), y, x);
    a.l[i] = _mm512_mask_add_epi64(t, MASK2(0x1), t, _mm512_sub_epi64(p2_limb8(i), x));
  }
  fe8_carry(&a);
  fe8_mul(&m, &a, q);
  _Pragma("GCC unroll 10")
  for (int i = 0; i < 5; i++) {
    __m512i x = PERM8(m.l[i], 1, 3, 3, 1), y = PERM8(m.l[i], 0, 2, 2, 0);
    e.l[i] = _mm512_mask_sub_epi64(_mm512_add_epi64(x, y), MASK2(0x3), _mm512_add_epi64(x, p2_limb8(i)), y);
  }
  fe8_carry(&e);
  _Pragma("GCC unroll 10")
  for (int i = 0; i < 5; i++) {
    v1.l[i] = PERM8(e.l[i], 0, 2, 1, 0);
    v2.l[i] = PERM8(e.l[i], 1, 3, 2, 3);
  }
  fe8_mul(p, &v1, &v2);
}

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
    ge8_add(h, &q);
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
  for (unsigned j = 0; j < SOF_ED25519_IFMA_PREP_W; j++) ge8_dbl(&h);
  add_pairs(&h, es, ek, 0, ndig, row, b_tab, a_tab);
  _Pragma("GCC unroll 10")
  for (int l = 0; l < 5; l++) {
    hb.l[l] = _mm512_castsi512_si256(h.l[l]);
    ha.l[l] = _mm512_extracti64x4_epi64(h.l[l], 1);
  }
  ge4_cache(&c, &unused, &ha);
  ge4_add(&hb, &c);
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
