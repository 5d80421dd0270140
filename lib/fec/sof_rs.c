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
 * Bytes. out[r] = sum_j c[r][j] * in[j] over shard_sz bytes. The AVX2
 * kernel splits each byte into nibbles and looks products up with vpshufb
 * in two 16-entry tables per coefficient (c * lo, c * (hi << 4)). It keeps
 * 4 outputs x 2 chunks of 32 bytes in registers and walks the k inputs, so
 * each input chunk is loaded and split once per 4 outputs; the shard length
 * is cut into blocks whose k input slices fit in L1, and all output groups
 * run over one block before the next. A length that is not a multiple of 32
 * ends with one chunk overlapping the previous one: outputs are written, not
 * accumulated, so recomputing those bytes is harmless (outputs never alias
 * inputs). Lengths below 32 go to the portable kernel, which looks up 8
 * bytes at a time in a 64 KiB product table.
 *
 * On Zen 3 the AVX2 tile runs at the vector pipes' limit: per input and 8
 * (output, chunk) pairs it issues 16 vpshufb, 16 vpxor and the 6 ops of the
 * nibble split, 38 ops on 4 pipes, ~9.5 cycles; a 32 x 32 multiply of
 * 1228-byte shards is ~19 µs at 2.45 GHz. Splitting nibbles once into a
 * scratch buffer (fewer ops, more loads and stores) measured no better. */
#include "fec/sof_rs.h"

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
static int         use_avx2; /* set by gf_init, changed by sof_rs_force_portable */

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

static int
cpu_avx2(void) {
#if SOF_RS_X86
  __builtin_cpu_init(); /* gf_init may run as a constructor before libgcc's */
  return __builtin_cpu_supports("avx2") ? 1 : 0;
#else
  return 0;
#endif
}

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
  use_avx2 = cpu_avx2();
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
#define AVX2_FN __attribute__((target("avx2")))
#define AVX2_INLINE __attribute__((target("avx2"), always_inline)) static inline

/* One tile: N outputs (1..4) times C chunks (1 or 2) of 32 bytes at offsets
 * off0 and off1, accumulated over all k inputs in registers, then stored. */
AVX2_INLINE void
dot_tile(unsigned N, unsigned C, uint8_t const *coef, size_t stride, unsigned k,
         uint8_t const *const *in, uint8_t *const *out, size_t off0, size_t off1) {
  __m256i const mask = _mm256_set1_epi8(0x0F);
  __m256i       acc0[4], acc1[4];
#pragma GCC unroll 4
  for (unsigned o = 0; o < N; o++) acc0[o] = acc1[o] = _mm256_setzero_si256();
  for (unsigned j = 0; j < k; j++) {
    __m256i x0 = _mm256_loadu_si256((__m256i const *)(in[j] + off0));
    __m256i lo0 = _mm256_and_si256(x0, mask);
    __m256i hi0 = _mm256_and_si256(_mm256_srli_epi16(x0, 4), mask);
    __m256i lo1 = lo0, hi1 = hi0;
    if (C == 2) {
      __m256i x1 = _mm256_loadu_si256((__m256i const *)(in[j] + off1));
      lo1 = _mm256_and_si256(x1, mask);
      hi1 = _mm256_and_si256(_mm256_srli_epi16(x1, 4), mask);
    }
#pragma GCC unroll 4
    for (unsigned o = 0; o < N; o++) {
      uint8_t const *t  = gf.nib[coef[o * stride + j]];
      __m256i        tl = _mm256_broadcastsi128_si256(_mm_load_si128((__m128i const *)t));
      __m256i        th = _mm256_broadcastsi128_si256(_mm_load_si128((__m128i const *)(t + 16)));
      acc0[o] = _mm256_xor_si256(acc0[o], _mm256_xor_si256(_mm256_shuffle_epi8(tl, lo0),
                                                           _mm256_shuffle_epi8(th, hi0)));
      if (C == 2)
        acc1[o] = _mm256_xor_si256(acc1[o], _mm256_xor_si256(_mm256_shuffle_epi8(tl, lo1),
                                                             _mm256_shuffle_epi8(th, hi1)));
    }
  }
#pragma GCC unroll 4
  for (unsigned o = 0; o < N; o++) {
    _mm256_storeu_si256((__m256i *)(out[o] + off0), acc0[o]);
    if (C == 2) _mm256_storeu_si256((__m256i *)(out[o] + off1), acc1[o]);
  }
}

/* N outputs over the bytes [b0, b1) of a shard of sz >= 32 bytes: pairs of
 * chunks, then a lone chunk, then a chunk ending at b1 that overlaps the
 * bytes before it (b1 - 32 >= 0 as sz >= 32). */
AVX2_INLINE void
dot_span(unsigned N, uint8_t const *coef, size_t stride, unsigned k, uint8_t const *const *in,
         uint8_t *const *out, size_t b0, size_t b1) {
  size_t off = b0;
  for (; off + 64 <= b1; off += 64) dot_tile(N, 2, coef, stride, k, in, out, off, off + 32);
  if (off + 32 <= b1) {
    dot_tile(N, 1, coef, stride, k, in, out, off, 0);
    off += 32;
  }
  if (off < b1) dot_tile(N, 1, coef, stride, k, in, out, b1 - 32, 0);
}

AVX2_FN static void
dot_avx2(uint8_t const *coef, size_t stride, unsigned rows, unsigned k,
         uint8_t const *const *in, uint8_t *const *out, size_t sz) {
  if (sz < 32) {
    dot_portable(coef, stride, rows, k, in, out, sz);
    return;
  }
  /* blocks of a multiple of 64 bytes whose k input slices total <= 16 KiB */
  size_t blk = (16384U / k) & ~(size_t)63;
  if (blk < 64) blk = 64;
  for (size_t b0 = 0; b0 < sz; b0 += blk) {
    size_t   b1 = sz - b0 > blk ? b0 + blk : sz;
    unsigned r  = 0;
    for (; r + 4 <= rows; r += 4) dot_span(4, coef + r * stride, stride, k, in, out + r, b0, b1);
    switch (rows - r) {
    case 3: dot_span(3, coef + r * stride, stride, k, in, out + r, b0, b1); break;
    case 2: dot_span(2, coef + r * stride, stride, k, in, out + r, b0, b1); break;
    case 1: dot_span(1, coef + r * stride, stride, k, in, out + r, b0, b1); break;
    default: break;
    }
  }
}
#endif

static void
dot(uint8_t const *coef, size_t stride, unsigned rows, unsigned k, uint8_t const *const *in,
    uint8_t *const *out, size_t sz) {
  if (!rows || !sz) return;
#if SOF_RS_X86
  if (use_avx2) {
    dot_avx2(coef, stride, rows, k, in, out, sz);
    return;
  }
#endif
  dot_portable(coef, stride, rows, k, in, out, sz);
}

char const *
sof_rs_kernel_name(void) {
  gf_init();
  return use_avx2 ? "avx2" : "portable";
}

void
sof_rs_force_portable(int on) {
  gf_init();
  use_avx2 = on ? 0 : cpu_avx2();
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
  dot(rs->coef, rs->k, rs->m, rs->k, data, parity, shard_sz);
}

int
sof_rs_plan_init(sof_rs_plan_t *plan, sof_rs_t const *rs, uint8_t const *present,
                 int data_only) {
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
  gf_init();
  lagrange(plan->src, k, plan->dst, miss, plan->coef, n);
  plan->rebuild_cnt = miss;
  return 0;
}

void
sof_rs_plan_apply(sof_rs_plan_t const *plan, uint8_t *const *shards, size_t shard_sz) {
  uint8_t const *in[SOF_RS_DATA_MAX];
  uint8_t       *out[SOF_RS_PARITY_MAX];
  for (unsigned j = 0; j < plan->k; j++) in[j] = shards[plan->src[j]];
  for (unsigned r = 0; r < plan->rebuild_cnt; r++) out[r] = shards[plan->dst[r]];
  dot(plan->coef, plan->k, plan->rebuild_cnt, plan->k, in, out, shard_sz);
}

int
sof_rs_reconstruct(sof_rs_t const *rs, uint8_t *const *shards, uint8_t const *present,
                   size_t shard_sz, int data_only) {
  unsigned k = rs->k, n = rs->k + rs->m, want = data_only ? k : n, have = 0;
  for (unsigned i = 0; i < want; i++) have += present[i] != 0;
  if (have == want) return 0; /* nothing to rebuild (and want >= k present) */
  static __thread sof_rs_plan_t plan;
  if (sof_rs_plan_init(&plan, rs, present, data_only)) return -1;
  sof_rs_plan_apply(&plan, shards, shard_sz);
  return 0;
}
