/* sof_rs.c: Reed-Solomon over GF(2^8), the reed-solomon-erasure crate's code.
 *
 * Coefficients. Shard r of a (k, m) code is P(r), P the polynomial of degree
 * < k through the data shards at points 0..k-1 (see sof_rs.h). Given any k
 * distinct points S holding known shards, the shard at a point x outside S
 * is sum over s in S of L_s(x) * shard(s), with the Lagrange basis
 *
 *   L_s(x) = prod_{t in S, t != s} (x - t) / (s - t)
 *          = Z(x) / ((x - s) * w(s)),  Z(x) = prod_{t in S} (x - t),
 *                                      w(s) = prod_{t in S, t != s} (s - t).
 *
 * In characteristic 2, minus is XOR, and with log tables each coefficient is
 * exp(log Z(x) - log w(s) - log(x ^ s)). The log sums log Z and log w, at
 * every point at once, are one XOR convolution done with two Walsh-Hadamard
 * transforms (lagrange, below). So the encoding matrix (S = the data
 * points) and every recovery plan (S = k present points) cost two table
 * lookups per coefficient plus O(n log n): no matrix inversion. For 32:32
 * that is under 1 µs; Gauss-Jordan on the 32 x 32 submatrix cost ~75 µs here.
 *
 * Bytes, dense. out[r] = sum_j c[r][j] * in[j] over shard_sz bytes, by one
 * of the kernels of sof_rs_kern.inc (instantiated below per vector kind):
 * tiles of TILE_N outputs x 2 vectors accumulate over all k inputs in
 * registers, over cache-sized blocks of the shard length. A product c * x
 * is one vgf2p8affineqb with c's 8x8 bit matrix (gf_aff: GFNI's own
 * multiply, vgf2p8mulb, uses the polynomial 0x11B, not ours), or with
 * AVX2 / AVX-512 two vpshufb lookups in c's nibble tables. Lengths below
 * one vector go to the portable kernel (a 64 KiB product table, 8 bytes
 * per step).
 *
 * Bytes, FFT. In the novel polynomial basis of Lin, Chung and Han
 * (X_j = prod over the set bits i of j of What_i, What_i(x) = W_i(x) /
 * W_i(2^i), W_i the product of (x - u) over u < 2^i), a polynomial of
 * degree < 2^L is evaluated on the 2^L points s + u (s a multiple of 2^L,
 * u < 2^L: the shard indices themselves, as field elements) by L layers of
 * butterflies a += What_i(s | p) * b, b += a; interpolation runs them
 * backwards. Encoding k = 2^L data shards is one inverse transform at
 * shift 0 and one forward transform at each shift holding parity points;
 * rebuilding from sources that are one aligned run s..s+k-1 (every data
 * shard lost from a k:k set: the parity) is the same with the shifts
 * swapped. 32:32 costs 129 multiplications per 64 bytes instead of 1024.
 *
 * On Sapphire Rapids (2 vCPU), 1228-byte shards: gfni512 encodes 32:32 in
 * ~2.0 us (Firedancer's hand-written GFNI assembly, the same FFT: ~2.1 us,
 * measured side by side), rebuilds 32 lost data shards in ~2.5 us and the
 * 16 data of a 16+16 loss in ~4 us (dense; Firedancer ~10 us for any
 * pattern). The AVX2 kernel: 5.7, 6.1 and 9.8 us. */
#include "fec/sof_rs.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define SOF_RS_X86 1
#else
#define SOF_RS_X86 0
#endif

/* ---- GF(2^8), polynomial 0x11D ------------------------------------------- */

typedef struct {
  uint8_t nib[256][32] __attribute__((aligned(32))); /* c*x, x<16 | c*(x<<4), x<16 */
  uint8_t exp[768];      /* 2^i for i < 765: any sum of three logs indexes it */
  uint8_t log[256];      /* log[0] = 0: a zero term adds nothing to a log sum */
  uint8_t mul[256][256]; /* full product table (portable kernel): 64 KiB */
} gf_tables_t;

static gf_tables_t gf;
static int32_t     gf_hlog[2 * SOF_RS_SHARDS_MAX - 1]; /* at P - 1: H(log) mod 255, size P */
static uint8_t     gf_pinv[9];                         /* (2^i)^-1 mod 255 */
static int         gf_ready;
static uint8_t      gf_what[8][256];                    /* normalized subspace polynomials */
static uint64_t    gf_aff[256];                        /* c as a vgf2p8affineqb bit matrix */
static unsigned    kern;   /* the kernel in use (K_*): set by gf_init, sof_rs_kernel_select */
static int         no_fft; /* sof_rs_force_dense */
#define use_avx2 (kern != 0) /* any SIMD kernel implies AVX2: the coefficient code uses it */

/* Fast Walsh-Hadamard transform of v[0..p), p a power of two, in place:
 * portable, and AVX2 for p >= 8 (the same integers either way). */
static void
fwht_portable(int32_t *v, unsigned p) {
  for (unsigned h = 1; h < p; h <<= 1)
    for (unsigned i = 0; i < p; i += 2 * h)
      for (unsigned j = i; j < i + h; j++) {
        int32_t a = v[j], b = v[j + h];
        v[j]     = a + b;
        v[j + h] = a - b;
      }
}

#if SOF_RS_X86
__attribute__((target("avx2"))) static void
fwht_avx2(int32_t *v, unsigned p) {
  for (unsigned i = 0; i < p; i += 8) { /* h = 1, 2, 4 inside each vector */
    __m256i x = _mm256_loadu_si256((__m256i const *)(v + i));
    __m256i y = _mm256_shuffle_epi32(x, 0xB1); /* swap neighbours */
    x = _mm256_blend_epi32(_mm256_add_epi32(x, y), _mm256_sub_epi32(y, x), 0xAA);
    y = _mm256_shuffle_epi32(x, 0x4E);         /* swap pairs */
    x = _mm256_blend_epi32(_mm256_add_epi32(x, y), _mm256_sub_epi32(y, x), 0xCC);
    y = _mm256_permute2x128_si256(x, x, 0x01); /* swap halves */
    x = _mm256_blend_epi32(_mm256_add_epi32(x, y), _mm256_sub_epi32(y, x), 0xF0);
    _mm256_storeu_si256((__m256i *)(v + i), x);
  }
  for (unsigned h = 8; h < p; h <<= 1)
    for (unsigned i = 0; i < p; i += 2 * h)
      for (unsigned j = i; j < i + h; j += 8) {
        __m256i a = _mm256_loadu_si256((__m256i const *)(v + j));
        __m256i b = _mm256_loadu_si256((__m256i const *)(v + j + h));
        _mm256_storeu_si256((__m256i *)(v + j), _mm256_add_epi32(a, b));
        _mm256_storeu_si256((__m256i *)(v + j + h), _mm256_sub_epi32(a, b));
      }
}
#endif

static void
fwht(int32_t *v, unsigned p) {
#if SOF_RS_X86
  if (use_avx2 && p >= 8) {
    fwht_avx2(v, p);
    return;
  }
#endif
  fwht_portable(v, p);
}

static unsigned kernel_env(void);

/* Builds the tables (identical whichever thread does it) and picks the
 * kernel. Runs as a constructor, before main and any thread; the entry
 * points call it again, which then costs one acquire load. */
__attribute__((constructor)) static void
gf_init(void) {
  if (__atomic_load_n(&gf_ready, __ATOMIC_ACQUIRE)) return;
  unsigned x = 1;
  for (unsigned i = 0; i < 255; i++) {
    gf.exp[i] = (uint8_t)x;
    gf.log[x] = (uint8_t)i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11D;
  }
  gf.log[0] = 0;
  for (unsigned i = 255; i < sizeof gf.exp; i++) gf.exp[i] = gf.exp[i - 255];
  for (unsigned a = 0; a < 256; a++)
    for (unsigned b = 0; b < 256; b++)
      gf.mul[a][b] = (a && b) ? gf.exp[gf.log[a] + gf.log[b]] : 0;
  for (unsigned c = 0; c < 256; c++)
    for (unsigned v = 0; v < 16; v++) {
      gf.nib[c][v]      = gf.mul[c][v];
      gf.nib[c][16 + v] = gf.mul[c][v << 4];
    }
  for (unsigned lp = 0, p = 1; p <= SOF_RS_SHARDS_MAX; lp++, p <<= 1) {
    int32_t *h = gf_hlog + p - 1;
    for (unsigned d = 0; d < p; d++) h[d] = gf.log[d];
    fwht_portable(h, p);
    for (unsigned d = 0; d < p; d++) h[d] = (h[d] % 255 + 255) % 255;
    unsigned inv = 1;
    while ((inv * p) % 255 != 1) inv++;
    gf_pinv[lp] = (uint8_t)inv;
  }
  /* What_i(x) = W_i(x) / W_i(2^i), W_i(x) = prod over u < 2^i of (x - u):
   * W_0(x) = x, W_{i+1}(x) = W_i(x) * W_i(x + 2^i) */
  {
    static uint8_t w[9][256];
    for (unsigned v = 0; v < 256; v++) w[0][v] = (uint8_t)v;
    for (unsigned i = 0; i < 8; i++) {
      for (unsigned v = 0; v < 256; v++) w[i + 1][v] = gf.mul[w[i][v]][w[i][v ^ (1U << i)]];
      uint8_t inv = gf.exp[255 - gf.log[w[i][1U << i]]];
      for (unsigned v = 0; v < 256; v++) gf_what[i][v] = gf.mul[w[i][v]][inv];
    }
  }
  /* row for output bit b (byte 7 - b of the matrix): bit j = bit b of c * 2^j */
  for (unsigned c = 0; c < 256; c++) {
    uint64_t a = 0;
    for (unsigned b = 0; b < 8; b++) {
      unsigned row = 0;
      for (unsigned j = 0; j < 8; j++) row |= ((gf.mul[c][1U << j] >> b) & 1U) << j;
      a |= (uint64_t)row << (8 * (7 - b));
    }
    gf_aff[c] = a;
  }
  kern = kernel_env();
  __atomic_store_n(&gf_ready, 1, __ATOMIC_RELEASE);
}

uint8_t
sof_gf_mul(uint8_t a, uint8_t b) {
  gf_init();
  return gf.mul[a][b];
}

uint8_t
sof_gf_inv(uint8_t a) {
  gf_init();
  return a ? gf.exp[255 - gf.log[a]] : 0;
}

/* ---- coefficients ---------------------------------------------------------- */

#if SOF_RS_X86
/* 32 lookups t[idx] in a table of ntab * 16 bytes, every idx < ntab * 16:
 * vpshufb on each 16-byte slice, with indices outside the slice pushed to
 * >= 0x80 (which vpshufb turns into 0) by a saturating add. */
__attribute__((target("avx2"), always_inline)) static inline __m256i
lut_avx2(uint8_t const *t, __m256i idx, unsigned ntab) {
  /* four independent chains: the lookups are latency-bound otherwise */
  __m256i const push = _mm256_set1_epi8(0x70), step = _mm256_set1_epi8(64);
  __m256i       r[4], ix[4];
#pragma GCC unroll 4
  for (unsigned q = 0; q < 4; q++) {
    r[q]  = _mm256_setzero_si256();
    ix[q] = _mm256_sub_epi8(idx, _mm256_set1_epi8((char)(16 * q)));
  }
#pragma GCC unroll 16
  for (unsigned h = 0; h < ntab; h++) {
    unsigned q   = h & 3;
    __m256i  tab = _mm256_broadcastsi128_si256(_mm_loadu_si128((__m128i const *)(t + 16 * h)));
    r[q]  = _mm256_or_si256(r[q], _mm256_shuffle_epi8(tab, _mm256_adds_epu8(ix[q], push)));
    ix[q] = _mm256_sub_epi8(ix[q], step);
  }
  return _mm256_or_si256(_mm256_or_si256(r[0], r[1]), _mm256_or_si256(r[2], r[3]));
}

/* The row loop of lagrange, 32 coefficients at a time, in bytes: srcb and
 * nlwb hold src and (255 - log w) mod 255 padded to a multiple of 32, lz[r]
 * is log Z(dst[r]) mod 255, and every point is below P. */
__attribute__((target("avx2"))) static void
lagrange_rows_avx2(uint8_t const *srcb, uint8_t const *nlwb, unsigned k, unsigned P,
                   uint8_t const *dst, uint8_t const *lz, unsigned cnt, uint8_t *coef) {
  unsigned const ntab = P < 16 ? 1 : P / 16;
  __m256i const  ones = _mm256_set1_epi8(-1);
  for (unsigned r = 0; r < cnt; r++) {
    __m256i const x  = _mm256_set1_epi8((char)dst[r]);
    __m256i const u  = _mm256_set1_epi8((char)lz[r]);
    __m256i const nu = _mm256_set1_epi8((char)(255 - lz[r]));
    uint8_t      *row = coef + (size_t)r * k;
    for (unsigned j = 0; j < k; j += 32) {
      __m256i v = _mm256_loadu_si256((__m256i const *)(nlwb + j));
      __m256i l = lut_avx2(gf.log, _mm256_xor_si256(_mm256_loadu_si256((__m256i const *)(srcb + j)), x), ntab);
      /* t = (v - l) mod 255: subtract, then 1 less where it borrowed */
      __m256i ge = _mm256_cmpeq_epi8(_mm256_max_epu8(v, l), v);
      __m256i t  = _mm256_add_epi8(_mm256_sub_epi8(v, l), _mm256_andnot_si256(ge, ones));
      /* e = (t + u) mod 255: add, then 1 more where t + u >= 255 */
      __m256i c  = _mm256_cmpeq_epi8(_mm256_max_epu8(t, nu), t);
      __m256i e  = _mm256_sub_epi8(_mm256_add_epi8(t, u), c);
      __m256i out = lut_avx2(gf.exp, e, 16);
      if (j + 32 <= k) {
        _mm256_storeu_si256((__m256i *)(row + j), out);
      } else {
        uint8_t tmp[32];
        _mm256_storeu_si256((__m256i *)tmp, out);
        memcpy(row + j, tmp, k - j);
      }
    }
  }
}
#endif

/* Fills coef[r * k + j] = L_{src[j]}(dst[r]) for r < cnt, j < k. src holds k
 * distinct points, dst cnt points none of which is in src, all below n.
 *
 * The log sums come from one XOR convolution: with f the indicator of src
 * and g[d] = log(d) (g[0] = 0), ls[p] = sum_{t in src} g[p ^ t] is log Z(p)
 * for p outside src and log w(p) for p in src (the t = p term adds 0).
 * Over the integers, f (*) g = H(H(f) . H(g)) / P for the Walsh-Hadamard
 * transform H of size P (the power of two >= n). Only ls mod 255 matters:
 * P is a power of two and 255 odd, so dividing by P is multiplying by its
 * inverse mod 255, and H(g) mod 255 is tabulated per P by gf_init. Nothing
 * passes 2^31: |H(f)| <= k < 256, H(g) mod 255 < 255, and the second
 * transform sums at most 256 such products.
 *
 * Then coef = exp(log Z(x) - log w(s) - log(x ^ s)): 2 lookups per
 * coefficient, 32 at a time with AVX2. */
static void
lagrange(uint8_t const *src, unsigned k, uint8_t const *dst, unsigned cnt, uint8_t *coef,
         unsigned n) {
  unsigned lp = 0;
  while ((1U << lp) < n) lp++;
  unsigned const P = 1U << lp;
  int32_t        ls[SOF_RS_SHARDS_MAX];
  memset(ls, 0, P * sizeof ls[0]);
  for (unsigned j = 0; j < k; j++) ls[src[j]] = 1;
  fwht(ls, P);
  int32_t const *hg = gf_hlog + P - 1; /* H(g) mod 255 for size P */
  for (unsigned i = 0; i < P; i++) ls[i] *= hg[i];
  fwht(ls, P);
  unsigned const pinv = gf_pinv[lp]; /* P^-1 mod 255 */
  /* log sums mod 255, in [0, 254] */
  /* |ls| < 2^24 < 255 * 65794: the bias makes it non-negative, same mod 255 */
#define LOGSUM(p) ((((uint32_t)(ls[p] + 255 * 65794) % 255U) * pinv) % 255U)

#if SOF_RS_X86
  if (use_avx2) {
    uint8_t srcb[SOF_RS_SHARDS_MAX] __attribute__((aligned(32)));
    uint8_t nlwb[SOF_RS_SHARDS_MAX] __attribute__((aligned(32)));
    uint8_t lz[SOF_RS_PARITY_MAX];
    memset(srcb + k, 0, sizeof srcb - k); /* the lanes past k compute nothing kept */
    memset(nlwb + k, 0, sizeof nlwb - k);
    for (unsigned j = 0; j < k; j++) {
      srcb[j] = src[j];
      nlwb[j] = (uint8_t)((255U - LOGSUM(src[j])) % 255U);
    }
    for (unsigned r = 0; r < cnt; r++) lz[r] = (uint8_t)LOGSUM(dst[r]);
    lagrange_rows_avx2(srcb, nlwb, k, P, dst, lz, cnt, coef);
    return;
  }
#endif
  uint16_t nlw[SOF_RS_DATA_MAX]; /* 255 - log w(src[j]), in [1, 255] */
  for (unsigned j = 0; j < k; j++) nlw[j] = (uint16_t)(255U - LOGSUM(src[j]));
  for (unsigned r = 0; r < cnt; r++) {
    unsigned x   = dst[r];
    unsigned lz  = LOGSUM(x);
    uint8_t *row = coef + (size_t)r * k;
    /* lz + (255 - log w) + (255 - log(x ^ s)) lies in [2, 764] */
    for (unsigned j = 0; j < k; j++) row[j] = gf.exp[lz + nlw[j] + 255U - gf.log[x ^ src[j]]];
  }
#undef LOGSUM
}

/* ---- kernels: out[r] = sum_j coef[r * stride + j] * in[j] ------------------- */

/* out (^)= c * in over sz bytes, 8 at a time: 8 table lookups, one load
 * and one store of each side per 8 bytes. */
static inline void
mul_row(uint8_t *restrict out, uint8_t const *restrict in, uint8_t const *restrict t, size_t sz,
        int add) {
  size_t i = 0;
  for (; i + 8 <= sz; i += 8) {
    uint64_t x, y;
    memcpy(&x, in + i, 8);
    y = (uint64_t)t[x & 255] | (uint64_t)t[(x >> 8) & 255] << 8 | (uint64_t)t[(x >> 16) & 255] << 16 |
        (uint64_t)t[(x >> 24) & 255] << 24 | (uint64_t)t[(x >> 32) & 255] << 32 |
        (uint64_t)t[(x >> 40) & 255] << 40 | (uint64_t)t[(x >> 48) & 255] << 48 |
        (uint64_t)t[x >> 56] << 56;
    if (add) {
      uint64_t z;
      memcpy(&z, out + i, 8);
      y ^= z;
    }
    memcpy(out + i, &y, 8);
  }
  for (; i < sz; i++) out[i] = (uint8_t)((add ? out[i] : 0) ^ t[in[i]]);
}

static void
dot_portable(uint8_t const *coef, size_t stride, unsigned rows, unsigned k,
             uint8_t const *const *in, uint8_t *const *out, size_t sz) {
  for (unsigned r = 0; r < rows; r++) {
    uint8_t const *c = coef + (size_t)r * stride;
    mul_row(out[r], in[0], gf.mul[c[0]], sz, 0);
    for (unsigned j = 1; j < k; j++) mul_row(out[r], in[j], gf.mul[c[j]], sz, 1);
  }
}

#if SOF_RS_X86
/* The SIMD kernels: sof_rs_kern.inc once per vector kind (see there). */

/* vpshufb multiplication: the two nibbles of each byte index c's tables */
#define NIB_KERNEL(SFX, V, AND, SRLI16, SET1, SHUF, BCAST, XOR)                           \
  typedef struct { V lo, hi; } xs_##SFX##_t;                                               \
  static inline __attribute__((always_inline)) KTGT xs_##SFX##_t split_##SFX(V x) {       \
    V const      mask = SET1(0x0F);                                                        \
    xs_##SFX##_t r    = {AND(x, mask), AND(SRLI16(x, 4), mask)};                           \
    return r;                                                                              \
  }                                                                                        \
  static inline __attribute__((always_inline)) KTGT V mul_##SFX(unsigned c, xs_##SFX##_t x) { \
    V tl = BCAST(_mm_load_si128((__m128i const *)gf.nib[c]));                              \
    V th = BCAST(_mm_load_si128((__m128i const *)(gf.nib[c] + 16)));                       \
    return XOR(SHUF(tl, x.lo), SHUF(th, x.hi));                                            \
  }

#define V_SPLIT_ID(x) (x)

#define KTGT __attribute__((target("avx2")))
NIB_KERNEL(avx2, __m256i, _mm256_and_si256, _mm256_srli_epi16, _mm256_set1_epi8,
           _mm256_shuffle_epi8, _mm256_broadcastsi128_si256, _mm256_xor_si256)
#define KN(x)         x##_avx2
#define VEC           __m256i
#define VB            32
#define V_LOAD(p)     _mm256_loadu_si256((__m256i const *)(p))
#define V_STORE(p, v) _mm256_storeu_si256((__m256i *)(p), (v))
#define V_XOR         _mm256_xor_si256
#define V_ZERO        _mm256_setzero_si256
#define XS            xs_avx2_t
#define V_SPLIT       split_avx2
#define V_MUL         mul_avx2
#define KC            unsigned
#define V_PREP(c)     (c)
#define V_MULP        mul_avx2
#define TILE_N        4
#include "sof_rs_kern.inc" /* undefines its parameters */

#define KTGT __attribute__((target("avx512f,avx512bw")))
NIB_KERNEL(avx512, __m512i, _mm512_and_si512, _mm512_srli_epi16, _mm512_set1_epi8,
           _mm512_shuffle_epi8, _mm512_broadcast_i32x4, _mm512_xor_si512)
#define KN(x)         x##_avx512
#define VEC           __m512i
#define VB            64
#define V_LOAD(p)     _mm512_loadu_si512((void const *)(p))
#define V_STORE(p, v) _mm512_storeu_si512((void *)(p), (v))
#define V_XOR         _mm512_xor_si512
#define V_ZERO        _mm512_setzero_si512
#define XS            xs_avx512_t
#define V_SPLIT       split_avx512
#define V_MUL         mul_avx512
#define KC            unsigned
#define V_PREP(c)     (c)
#define V_MULP        mul_avx512
#define TILE_N        8
#include "sof_rs_kern.inc" /* undefines its parameters */

/* GFNI multiplication: one vgf2p8affineqb with c's bit matrix (gf_aff) */
#define KTGT __attribute__((target("gfni,avx2")))
#define KN(x)         x##_gfni256
#define VEC           __m256i
#define VB            32
#define V_LOAD(p)     _mm256_loadu_si256((__m256i const *)(p))
#define V_STORE(p, v) _mm256_storeu_si256((__m256i *)(p), (v))
#define V_XOR         _mm256_xor_si256
#define V_ZERO        _mm256_setzero_si256
#define XS            __m256i
#define V_SPLIT       V_SPLIT_ID
#define V_MUL(c, x)   _mm256_gf2p8affine_epi64_epi8((x), _mm256_set1_epi64x((long long)gf_aff[c]), 0)
#define KC            uint64_t
#define V_PREP(c)     gf_aff[c]
#define V_MULP(a, x)  _mm256_gf2p8affine_epi64_epi8((x), _mm256_set1_epi64x((long long)(a)), 0)
#define TILE_N        6
#include "sof_rs_kern.inc" /* undefines its parameters */

#define KTGT __attribute__((target("gfni,avx512f,avx512bw")))
#define KN(x)         x##_gfni512
#define VEC           __m512i
#define VB            64
#define V_LOAD(p)     _mm512_loadu_si512((void const *)(p))
#define V_STORE(p, v) _mm512_storeu_si512((void *)(p), (v))
#define V_XOR         _mm512_xor_si512
#define V_ZERO        _mm512_setzero_si512
#define XS            __m512i
#define V_SPLIT       V_SPLIT_ID
#define V_MUL(c, x)   _mm512_gf2p8affine_epi64_epi8((x), _mm512_set1_epi64((long long)gf_aff[c]), 0)
#define KC            uint64_t
#define V_PREP(c)     gf_aff[c]
#define V_MULP(a, x)  _mm512_gf2p8affine_epi64_epi8((x), _mm512_set1_epi64((long long)(a)), 0)
#define TILE_N        8
#include "sof_rs_kern.inc" /* undefines its parameters */
#endif /* SOF_RS_X86 */

/* ---- dispatch ------------------------------------------------------------------ */

typedef void (*dot_fn_t)(uint8_t const *coef, size_t stride, unsigned rows, unsigned k,
                         uint8_t const *const *in, uint8_t *const *out, size_t sz);
typedef int (*fft_fn_t)(unsigned k, unsigned s_in, uint8_t const *const *in, unsigned nq,
                        unsigned const *shift, uint8_t *const (*outp)[32], size_t sz);

enum { K_PORTABLE, K_AVX2, K_AVX512, K_GFNI256, K_GFNI512, K_CNT };

static struct {
  char const *name;
  dot_fn_t    dot;
  fft_fn_t    fft;
} const kernels[K_CNT] = {
    [K_PORTABLE] = {"portable", dot_portable, NULL},
#if SOF_RS_X86
    [K_AVX2]    = {"avx2", dot_avx2, fft_avx2},
    [K_AVX512]  = {"avx512", dot_avx512, fft_avx512},
    [K_GFNI256] = {"gfni256", dot_gfni256, fft_gfni256},
    [K_GFNI512] = {"gfni512", dot_gfni512, fft_gfni512},
#else
    [K_AVX2] = {"avx2", NULL, NULL}, [K_AVX512] = {"avx512", NULL, NULL},
    [K_GFNI256] = {"gfni256", NULL, NULL}, [K_GFNI512] = {"gfni512", NULL, NULL},
#endif
};

/* Which kernels this CPU (and OS: libgcc checks the saved vector state)
 * runs. */
static int
cpu_has(unsigned kid) {
#if SOF_RS_X86
  __builtin_cpu_init(); /* gf_init may run as a constructor before libgcc's */
  int avx2 = __builtin_cpu_supports("avx2");
  int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  int gfni = __builtin_cpu_supports("gfni");
  switch (kid) {
  case K_PORTABLE: return 1;
  case K_AVX2: return avx2;
  case K_AVX512: return avx2 && avx512;
  case K_GFNI256: return avx2 && gfni;
  case K_GFNI512: return avx2 && avx512 && gfni;
  default: return 0;
  }
#else
  return kid == K_PORTABLE;
#endif
}

/* The run-time choice: the first of these the CPU runs (bench_rs measures
 * them all; on Sapphire Rapids gfni512 is the fastest, then avx512). */
static unsigned
kernel_auto(void) {
  static unsigned const pref[] = {K_GFNI512, K_GFNI256, K_AVX512, K_AVX2};
  for (unsigned i = 0; i < sizeof pref / sizeof pref[0]; i++)
    if (cpu_has(pref[i])) return pref[i];
  return K_PORTABLE;
}

static void
dot(uint8_t const *coef, size_t stride, unsigned rows, unsigned k, uint8_t const *const *in,
    uint8_t *const *out, size_t sz) {
  if (!rows || !sz) return;
  kernels[kern].dot(coef, stride, rows, k, in, out, sz);
}

/* The additive FFT when the kernel has one and the shape suits it: the k
 * sources in[] hold the points s_in .. s_in+k-1 (s_in a multiple of k),
 * dst[0..cnt) (ascending, none a source, all < 256) the points wanted, in
 * out[]. Returns 0 when done, -1 when the caller must use dot. */
static int
fft(unsigned k, unsigned s_in, uint8_t const *const *in, unsigned cnt, uint8_t const *dst,
    uint8_t *const *out, size_t sz) {
  fft_fn_t f = kernels[kern].fft;
  if (!f || no_fft || (k != 8 && k != 16 && k != 32) || !cnt) return -1;
  uint8_t *outp[SOF_RS_SHARDS_MAX / 8][32];
  unsigned shift[SOF_RS_SHARDS_MAX / 8], nq = 0;
  for (unsigned r = 0; r < cnt; r++) {
    unsigned q = dst[r] & ~(k - 1);
    if (!nq || shift[nq - 1] != q) {
      shift[nq] = q;
      memset(outp[nq], 0, sizeof outp[nq]);
      nq++;
    }
    outp[nq - 1][dst[r] - q] = out[r];
  }
  return f(k, s_in, in, nq, shift, (uint8_t *const (*)[32])outp, sz);
}

char const *
sof_rs_kernel_name(void) {
  gf_init();
  return kernels[kern].name;
}

int
sof_rs_kernel_select(char const *name) {
  gf_init();
  if (!name || !strcmp(name, "auto")) {
    kern = kernel_auto();
    return 0;
  }
  for (unsigned i = 0; i < K_CNT; i++)
    if (!strcmp(name, kernels[i].name)) {
      if (!cpu_has(i)) return -1;
      kern = i;
      return 0;
    }
  return -1;
}

char const *
sof_rs_kernel_at(unsigned i) {
  gf_init();
  for (unsigned kid = 0; kid < K_CNT; kid++)
    if (cpu_has(kid) && i-- == 0) return kernels[kid].name;
  return NULL;
}

void
sof_rs_force_portable(int on) {
  gf_init();
  kern = on ? K_PORTABLE : kernel_auto();
}

void
sof_rs_force_dense(int on) {
  gf_init();
  no_fft = on != 0;
}

/* SOF_RS_KERNEL names the kernel to start with; unknown, or one this CPU
 * does not run: the run-time choice (sof_rs_kernel_name tells which). */
static unsigned
kernel_env(void) {
  char const *e = getenv("SOF_RS_KERNEL");
  if (e)
    for (unsigned i = 0; i < K_CNT; i++)
      if (!strcmp(e, kernels[i].name) && cpu_has(i)) return i;
  return kernel_auto();
}

/* ---- encode and recover ------------------------------------------------------ */

int
sof_rs_init(sof_rs_t *rs, unsigned k, unsigned m) {
  if (!k || !m || k > SOF_RS_SHARDS_MAX || m > SOF_RS_SHARDS_MAX || k + m > SOF_RS_SHARDS_MAX)
    return -1;
  gf_init();
  uint8_t pts[SOF_RS_SHARDS_MAX];
  for (unsigned i = 0; i < k + m; i++) pts[i] = (uint8_t)i;
  rs->k = k;
  rs->m = m;
  lagrange(pts, k, pts + k, m, rs->coef, k + m);
  return 0;
}

void
sof_rs_encode(sof_rs_t const *rs, uint8_t const *const *data, uint8_t *const *parity,
              size_t shard_sz) {
  if (!shard_sz) return;
  uint8_t pts[SOF_RS_PARITY_MAX];
  for (unsigned i = 0; i < rs->m; i++) pts[i] = (uint8_t)(rs->k + i);
  if (!fft(rs->k, 0, data, rs->m, pts, parity, shard_sz)) return;
  dot(rs->coef, rs->k, rs->m, rs->k, data, parity, shard_sz);
}

/* The src and dst lists of a plan (sof_rs_plan_init without the
 * coefficients). Returns 0, or -1 below k present (rebuild_cnt 0). */
static int
plan_lists(sof_rs_plan_t *plan, sof_rs_t const *rs, uint8_t const *present, int data_only) {
  unsigned k = rs->k, n = rs->k + rs->m, cnt = 0, miss = 0;
  plan->k           = k;
  plan->n           = n;
  plan->rebuild_cnt = 0;
  for (unsigned i = 0; i < n; i++) {
    if (present[i]) {
      if (cnt < k) plan->src[cnt++] = (uint8_t)i;
    } else if (i < k || !data_only) {
      if (miss == n - k) return -1; /* more than m missing: fewer than k present */
      plan->dst[miss++] = (uint8_t)i;
    }
  }
  if (cnt < k) return -1;
  plan->rebuild_cnt = miss;
  return 0;
}

int
sof_rs_plan_init(sof_rs_plan_t *plan, sof_rs_t const *rs, uint8_t const *present,
                 int data_only) {
  if (plan_lists(plan, rs, present, data_only)) return -1;
  gf_init();
  lagrange(plan->src, plan->k, plan->dst, plan->rebuild_cnt, plan->coef, plan->n);
  return 0;
}

/* Applies the plan's lists (coefficients unused) by the FFT when its
 * sources are one aligned coset (e.g. the parity of a k:k set) and the
 * kernel has one. Returns 0 when done, -1 when a dense product is needed. */
static int
apply_fft(sof_rs_plan_t const *plan, uint8_t const *const *in, uint8_t *const *out,
          size_t shard_sz) {
  unsigned k = plan->k, s0 = plan->src[0];
  if (!shard_sz || !plan->rebuild_cnt || (s0 & (k - 1)) || plan->src[k - 1] != s0 + k - 1) return -1;
  return fft(k, s0, in, plan->rebuild_cnt, plan->dst, out, shard_sz);
}

void
sof_rs_plan_apply(sof_rs_plan_t const *plan, uint8_t *const *shards, size_t shard_sz) {
  uint8_t const *in[SOF_RS_DATA_MAX];
  uint8_t       *out[SOF_RS_PARITY_MAX];
  for (unsigned j = 0; j < plan->k; j++) in[j] = shards[plan->src[j]];
  for (unsigned r = 0; r < plan->rebuild_cnt; r++) out[r] = shards[plan->dst[r]];
  if (!apply_fft(plan, in, out, shard_sz)) return;
  dot(plan->coef, plan->k, plan->rebuild_cnt, plan->k, in, out, shard_sz);
}

int
sof_rs_reconstruct(sof_rs_t const *rs, uint8_t *const *shards, uint8_t const *present,
                   size_t shard_sz, int data_only) {
  unsigned k = rs->k, n = rs->k + rs->m, want = data_only ? k : n, have = 0;
  for (unsigned i = 0; i < want; i++) have += present[i] != 0;
  if (have == want) return 0; /* nothing to rebuild (and want >= k present) */
  static __thread sof_rs_plan_t plan;
  if (plan_lists(&plan, rs, present, data_only)) return -1;
  gf_init();
  uint8_t const *in[SOF_RS_DATA_MAX];
  uint8_t       *out[SOF_RS_PARITY_MAX];
  for (unsigned j = 0; j < plan.k; j++) in[j] = shards[plan.src[j]];
  for (unsigned r = 0; r < plan.rebuild_cnt; r++) out[r] = shards[plan.dst[r]];
  if (!apply_fft(&plan, in, out, shard_sz)) return 0; /* no coefficients needed */
  lagrange(plan.src, plan.k, plan.dst, plan.rebuild_cnt, plan.coef, plan.n);
  dot(plan.coef, plan.k, plan.rebuild_cnt, plan.k, in, out, shard_sz);
  return 0;
}
