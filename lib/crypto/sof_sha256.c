/* The low-level SHA256_* API is deprecated in OpenSSL 3 in favour of EVP,
 * but EVP costs a context setup per digest; for 66-byte merkle nodes that
 * overhead is a large share of the work. The low-level API is still shipped
 * and dispatches to the same SHA-NI block function. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "crypto/sof_sha256.h"

#include <string.h>

/* below this many messages in a group of 16, SHA-NI pairs beat the 16
 * lanes (one pass costs the same however many lanes are idle; on Sapphire
 * Rapids a 1228-byte message costs ~0.35 us in a full pass, ~0.53 us in a
 * pair) */
#define SOF_SHA256_BATCH_MIN_X16 11U

#include <openssl/sha.h>

void
sof_sha256(uint8_t out[32], void const *data, size_t sz) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data, sz);
  SHA256_Final(out, &ctx);
}

void
sof_sha256_2(uint8_t out[32], void const *a, size_t a_sz, void const *b, size_t b_sz) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, a, a_sz);
  SHA256_Update(&ctx, b, b_sz);
  SHA256_Final(out, &ctx);
}

void
sof_sha256_3(uint8_t out[32], void const *a, size_t a_sz, void const *b, size_t b_sz,
             void const *c, size_t c_sz) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, a, a_sz);
  SHA256_Update(&ctx, b, b_sz);
  SHA256_Update(&ctx, c, c_sz);
  SHA256_Final(out, &ctx);
}

/* ---- two messages at a time (SHA-NI) -----------------------------------------
 *
 * One SHA-256 stream is bound by the latency of the SHA-NI round instruction
 * (sha256rnds2), not by its throughput: interleaving the rounds of two
 * independent messages hashes both in little more than the time of one
 * (2-core EPYC class: a 1045-byte merkle leaf 0.73 us alone, 0.42 us each
 * two at a time). The bytes are FIPS 180-4's; without SHA-NI (or off
 * x86-64) the pair goes through OpenSSL one after the other. */

/* One message as the block function sees it: pre || data, then 0x80, zeros
 * and the bit length, nb blocks of 64 bytes. */
typedef struct {
  uint8_t const *pre;
  size_t         pre_sz;
  uint8_t const *data;
  size_t         total;  /* pre_sz + data size */
  size_t         nb;     /* padded length / 64 */
} msg_t;

static inline void
msg_init(msg_t *m, void const *pre, size_t pre_sz, void const *data, size_t sz) {
  m->pre = pre;
  m->pre_sz = pre_sz;
  m->data = data;
  m->total = pre_sz + sz;
  m->nb = (m->total + 8) / 64 + 1;
}

/* Block j of the padded message: a pointer into data when the block lies
 * inside it, else assembled in tmp. */
static inline uint8_t const *
msg_block(msg_t const *m, size_t j, uint8_t tmp[64]) {
  size_t off = 64 * j;
  if (off >= m->pre_sz && off + 64 <= m->total) return m->data + (off - m->pre_sz);
  memset(tmp, 0, 64);
  if (off < m->pre_sz) {
    size_t n = m->pre_sz - off < 64 ? m->pre_sz - off : 64;
    memcpy(tmp, m->pre + off, n);
  }
  size_t lo = off > m->pre_sz ? off : m->pre_sz;
  size_t hi = off + 64 < m->total ? off + 64 : m->total;
  if (lo < hi) memcpy(tmp + (lo - off), m->data + (lo - m->pre_sz), hi - lo);
  if (m->total >= off && m->total < off + 64) tmp[m->total - off] = 0x80;
  if (j == m->nb - 1) {
    uint64_t bits = (uint64_t)m->total * 8;
    for (unsigned i = 0; i < 8; i++) tmp[63 - i] = (uint8_t)(bits >> (8 * i));
  }
  return tmp;
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

static uint32_t const sha_k[64] __attribute__((aligned(16))) = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* A SHA-256 state in the layout the SHA-NI instructions want: ABEF and
 * CDGH (lowest 32-bit lane first: {F, E, B, A} and {H, G, D, C}). */
typedef struct {
  __m128i abef;
  __m128i cdgh;
} sha_ni_t;

SHA_TARGET static inline void
sha_ni_init(sha_ni_t *st) {
  st->abef = _mm_set_epi32(0x6a09e667, 0xbb67ae85, 0x510e527f, 0x9b05688c);
  st->cdgh = _mm_set_epi32(0x3c6ef372, 0xa54ff53a, 0x1f83d9ab, 0x5be0cd19);
}

/* Compresses block a into state x and block b into state y, the rounds of
 * the two interleaved. */
SHA_TARGET static void
sha_ni_block_x2(sha_ni_t *x, sha_ni_t *y, uint8_t const *a, uint8_t const *b) {
  __m128i const bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  __m128i       x0 = x->abef, x1 = x->cdgh, y0 = y->abef, y1 = y->cdgh;
  __m128i       m[4], q[4];
  for (int i = 0; i < 4; i++) {
    m[i] = _mm_shuffle_epi8(_mm_loadu_si128((__m128i const *)(a + 16 * i)), bswap);
    q[i] = _mm_shuffle_epi8(_mm_loadu_si128((__m128i const *)(b + 16 * i)), bswap);
  }
  /* 16 groups of 4 rounds; W[4j+4 .. 4j+8) from the four groups before. */
#pragma GCC unroll 16
  for (int j = 0; j < 16; j++) {
    __m128i k  = _mm_load_si128((__m128i const *)&sha_k[4 * j]);
    __m128i mx = _mm_add_epi32(m[j & 3], k);
    __m128i my = _mm_add_epi32(q[j & 3], k);
    x1 = _mm_sha256rnds2_epu32(x1, x0, mx);
    y1 = _mm_sha256rnds2_epu32(y1, y0, my);
    if (j < 12) {
      __m128i t = _mm_add_epi32(_mm_sha256msg1_epu32(m[j & 3], m[(j + 1) & 3]),
                                _mm_alignr_epi8(m[(j + 3) & 3], m[(j + 2) & 3], 4));
      __m128i u = _mm_add_epi32(_mm_sha256msg1_epu32(q[j & 3], q[(j + 1) & 3]),
                                _mm_alignr_epi8(q[(j + 3) & 3], q[(j + 2) & 3], 4));
      m[j & 3] = _mm_sha256msg2_epu32(t, m[(j + 3) & 3]);
      q[j & 3] = _mm_sha256msg2_epu32(u, q[(j + 3) & 3]);
    }
    x0 = _mm_sha256rnds2_epu32(x0, x1, _mm_shuffle_epi32(mx, 0x0E));
    y0 = _mm_sha256rnds2_epu32(y0, y1, _mm_shuffle_epi32(my, 0x0E));
  }
  x->abef = _mm_add_epi32(x->abef, x0);
  x->cdgh = _mm_add_epi32(x->cdgh, x1);
  y->abef = _mm_add_epi32(y->abef, y0);
  y->cdgh = _mm_add_epi32(y->cdgh, y1);
}

/* Compresses one block into x (the tail of the longer of two messages). */
SHA_TARGET static void
sha_ni_block(sha_ni_t *x, uint8_t const *a) {
  __m128i const bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  __m128i       x0 = x->abef, x1 = x->cdgh;
  __m128i       m[4];
  for (int i = 0; i < 4; i++) m[i] = _mm_shuffle_epi8(_mm_loadu_si128((__m128i const *)(a + 16 * i)), bswap);
#pragma GCC unroll 16
  for (int j = 0; j < 16; j++) {
    __m128i mx = _mm_add_epi32(m[j & 3], _mm_load_si128((__m128i const *)&sha_k[4 * j]));
    x1 = _mm_sha256rnds2_epu32(x1, x0, mx);
    if (j < 12) {
      __m128i t = _mm_add_epi32(_mm_sha256msg1_epu32(m[j & 3], m[(j + 1) & 3]),
                                _mm_alignr_epi8(m[(j + 3) & 3], m[(j + 2) & 3], 4));
      m[j & 3] = _mm_sha256msg2_epu32(t, m[(j + 3) & 3]);
    }
    x0 = _mm_sha256rnds2_epu32(x0, x1, _mm_shuffle_epi32(mx, 0x0E));
  }
  x->abef = _mm_add_epi32(x->abef, x0);
  x->cdgh = _mm_add_epi32(x->cdgh, x1);
}

/* The digest, big-endian H0..H7. */
SHA_TARGET static inline void
sha_ni_digest(sha_ni_t const *st, uint8_t out[32]) {
  __m128i const bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  __m128i       feba = _mm_shuffle_epi32(st->abef, 0x1B); /* H0 H1 H4 H5 */
  __m128i       hgdc = _mm_shuffle_epi32(st->cdgh, 0x1B); /* H2 H3 H6 H7 */
  __m128i       lo   = _mm_unpacklo_epi64(feba, hgdc);    /* H0 H1 H2 H3 */
  __m128i       hi   = _mm_unpackhi_epi64(feba, hgdc);    /* H4 H5 H6 H7 */
  _mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(lo, bswap));
  _mm_storeu_si128((__m128i *)(out + 16), _mm_shuffle_epi8(hi, bswap));
}

SHA_TARGET static void
sha256_x2_ni(uint8_t out_a[32], uint8_t out_b[32], msg_t const *ma, msg_t const *mb) {
  sha_ni_t x, y;
  uint8_t  ta[64], tb[64];
  sha_ni_init(&x);
  sha_ni_init(&y);
  size_t both = ma->nb < mb->nb ? ma->nb : mb->nb, j;
  for (j = 0; j < both; j++) sha_ni_block_x2(&x, &y, msg_block(ma, j, ta), msg_block(mb, j, tb));
  for (size_t i = j; i < ma->nb; i++) sha_ni_block(&x, msg_block(ma, i, ta));
  for (size_t i = j; i < mb->nb; i++) sha_ni_block(&y, msg_block(mb, i, tb));
  sha_ni_digest(&x, out_a);
  sha_ni_digest(&y, out_b);
}

/* ---- sixteen messages at a time (AVX-512) ----------------------------------------
 *
 * One message per 32-bit lane of a 512-bit vector: the eight working
 * variables and the sixteen schedule words of the 16 messages are 24
 * vectors, the rotations are vprord and every three-input boolean (the
 * sigma XORs, Ch, Maj) one vpternlogd. The blocks come in as 16 rows of 64
 * bytes (one per message, in place or assembled by msg_block) and are
 * transposed into 16 schedule words in 64 shuffles. Lanes whose message
 * has no block left hash a zero block whose result is masked away. */

#define SHA16_TARGET __attribute__((target("avx512f,avx512bw")))
#define SHA16_ROR(x, n) _mm512_ror_epi32((x), (n))
#define SHA16_ROUND(t, w, a, b, c, d, e, f, g, h)                                               \
  do {                                                                                          \
    __m512i t1 = _mm512_add_epi32(                                                              \
        _mm512_add_epi32(h, _mm512_ternarylogic_epi32(SHA16_ROR(e, 6), SHA16_ROR(e, 11),         \
                                                      SHA16_ROR(e, 25), 0x96)),                 \
        _mm512_add_epi32(_mm512_ternarylogic_epi32(e, f, g, 0xCA),                              \
                         _mm512_add_epi32(w, _mm512_set1_epi32((int)sha_k[t]))));               \
    d = _mm512_add_epi32(d, t1);                                                                \
    h = _mm512_add_epi32(                                                                       \
        _mm512_add_epi32(t1, _mm512_ternarylogic_epi32(SHA16_ROR(a, 2), SHA16_ROR(a, 13),        \
                                                       SHA16_ROR(a, 22), 0x96)),                \
        _mm512_ternarylogic_epi32(a, b, c, 0xE8));                                              \
  } while (0)
/* w += s1(w2) + w7 + s0(w15): W[t] from W[t-2], W[t-7], W[t-15], W[t-16] */
#define SHA16_SCHED(w, w2, w7, w15)                                                             \
  w = _mm512_add_epi32(                                                                         \
      _mm512_add_epi32(w, w7),                                                                  \
      _mm512_add_epi32(_mm512_ternarylogic_epi32(SHA16_ROR(w2, 17), SHA16_ROR(w2, 19),           \
                                                 _mm512_srli_epi32(w2, 10), 0x96),              \
                       _mm512_ternarylogic_epi32(SHA16_ROR(w15, 7), SHA16_ROR(w15, 18),          \
                                                 _mm512_srli_epi32(w15, 3), 0x96)))

/* rows r0..r3 (4 lanes' blocks, bswapped) -> x0..x3: chunk c of xk holds
 * word 4c + k of the 4 lanes */
#define SHA16_T4(r0, r1, r2, r3, x0, x1, x2, x3)                                                \
  do {                                                                                          \
    __m512i ta = _mm512_unpacklo_epi32(r0, r1), tb = _mm512_unpackhi_epi32(r0, r1);             \
    __m512i tc = _mm512_unpacklo_epi32(r2, r3), td = _mm512_unpackhi_epi32(r2, r3);             \
    x0 = _mm512_unpacklo_epi64(ta, tc);                                                         \
    x1 = _mm512_unpackhi_epi64(ta, tc);                                                         \
    x2 = _mm512_unpacklo_epi64(tb, td);                                                         \
    x3 = _mm512_unpackhi_epi64(tb, td);                                                         \
  } while (0)
/* the same word k of 4 lane groups X0..X3 -> words k, 4+k, 8+k, 12+k */
#define SHA16_T128(X0, X1, X2, X3, w0, w4, w8, w12)                                             \
  do {                                                                                          \
    __m512i p0 = _mm512_shuffle_i32x4(X0, X1, 0x44), p1 = _mm512_shuffle_i32x4(X0, X1, 0xEE);   \
    __m512i p2 = _mm512_shuffle_i32x4(X2, X3, 0x44), p3 = _mm512_shuffle_i32x4(X2, X3, 0xEE);   \
    w0  = _mm512_shuffle_i32x4(p0, p2, 0x88);                                                   \
    w4  = _mm512_shuffle_i32x4(p0, p2, 0xDD);                                                   \
    w8  = _mm512_shuffle_i32x4(p1, p3, 0x88);                                                   \
    w12 = _mm512_shuffle_i32x4(p1, p3, 0xDD);                                                   \
  } while (0)

/* Compresses blk[l] (64 bytes) into lane l of st[0..8) for the lanes of
 * mask `on`. */
SHA16_TARGET static void
sha16_block(__m512i *st, uint8_t const *const *blk, __mmask16 on) {
  __m512i const bswap = _mm512_set4_epi32(0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203);
  __m512i       r[16];
  for (unsigned l = 0; l < 16; l++) r[l] = _mm512_shuffle_epi8(_mm512_loadu_si512(blk[l]), bswap);
  __m512i g[4][4]; /* g[group][k] */
  for (unsigned q = 0; q < 4; q++) SHA16_T4(r[4 * q], r[4 * q + 1], r[4 * q + 2], r[4 * q + 3], g[q][0], g[q][1], g[q][2], g[q][3]);
  __m512i w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15;
  SHA16_T128(g[0][0], g[1][0], g[2][0], g[3][0], w0, w4, w8, w12);
  SHA16_T128(g[0][1], g[1][1], g[2][1], g[3][1], w1, w5, w9, w13);
  SHA16_T128(g[0][2], g[1][2], g[2][2], g[3][2], w2, w6, w10, w14);
  SHA16_T128(g[0][3], g[1][3], g[2][3], g[3][3], w3, w7, w11, w15);
  __m512i a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g_ = st[6], h = st[7];
#define g g_
  SHA16_ROUND( 0, w0, a, b, c, d, e, f, g, h);
  SHA16_ROUND( 1, w1, h, a, b, c, d, e, f, g);
  SHA16_ROUND( 2, w2, g, h, a, b, c, d, e, f);
  SHA16_ROUND( 3, w3, f, g, h, a, b, c, d, e);
  SHA16_ROUND( 4, w4, e, f, g, h, a, b, c, d);
  SHA16_ROUND( 5, w5, d, e, f, g, h, a, b, c);
  SHA16_ROUND( 6, w6, c, d, e, f, g, h, a, b);
  SHA16_ROUND( 7, w7, b, c, d, e, f, g, h, a);
  SHA16_ROUND( 8, w8, a, b, c, d, e, f, g, h);
  SHA16_ROUND( 9, w9, h, a, b, c, d, e, f, g);
  SHA16_ROUND(10, w10, g, h, a, b, c, d, e, f);
  SHA16_ROUND(11, w11, f, g, h, a, b, c, d, e);
  SHA16_ROUND(12, w12, e, f, g, h, a, b, c, d);
  SHA16_ROUND(13, w13, d, e, f, g, h, a, b, c);
  SHA16_ROUND(14, w14, c, d, e, f, g, h, a, b);
  SHA16_ROUND(15, w15, b, c, d, e, f, g, h, a);
#pragma GCC unroll 3
  for (unsigned t = 16; t < 64; t += 16) {
    SHA16_SCHED(w0, w14, w9, w1); SHA16_ROUND(t +  0, w0, a, b, c, d, e, f, g, h);
    SHA16_SCHED(w1, w15, w10, w2); SHA16_ROUND(t +  1, w1, h, a, b, c, d, e, f, g);
    SHA16_SCHED(w2, w0, w11, w3); SHA16_ROUND(t +  2, w2, g, h, a, b, c, d, e, f);
    SHA16_SCHED(w3, w1, w12, w4); SHA16_ROUND(t +  3, w3, f, g, h, a, b, c, d, e);
    SHA16_SCHED(w4, w2, w13, w5); SHA16_ROUND(t +  4, w4, e, f, g, h, a, b, c, d);
    SHA16_SCHED(w5, w3, w14, w6); SHA16_ROUND(t +  5, w5, d, e, f, g, h, a, b, c);
    SHA16_SCHED(w6, w4, w15, w7); SHA16_ROUND(t +  6, w6, c, d, e, f, g, h, a, b);
    SHA16_SCHED(w7, w5, w0, w8); SHA16_ROUND(t +  7, w7, b, c, d, e, f, g, h, a);
    SHA16_SCHED(w8, w6, w1, w9); SHA16_ROUND(t +  8, w8, a, b, c, d, e, f, g, h);
    SHA16_SCHED(w9, w7, w2, w10); SHA16_ROUND(t +  9, w9, h, a, b, c, d, e, f, g);
    SHA16_SCHED(w10, w8, w3, w11); SHA16_ROUND(t + 10, w10, g, h, a, b, c, d, e, f);
    SHA16_SCHED(w11, w9, w4, w12); SHA16_ROUND(t + 11, w11, f, g, h, a, b, c, d, e);
    SHA16_SCHED(w12, w10, w5, w13); SHA16_ROUND(t + 12, w12, e, f, g, h, a, b, c, d);
    SHA16_SCHED(w13, w11, w6, w14); SHA16_ROUND(t + 13, w13, d, e, f, g, h, a, b, c);
    SHA16_SCHED(w14, w12, w7, w15); SHA16_ROUND(t + 14, w14, c, d, e, f, g, h, a, b);
    SHA16_SCHED(w15, w13, w8, w0); SHA16_ROUND(t + 15, w15, b, c, d, e, f, g, h, a);
  }
#undef g
  st[0] = _mm512_mask_add_epi32(st[0], on, st[0], a);
  st[1] = _mm512_mask_add_epi32(st[1], on, st[1], b);
  st[2] = _mm512_mask_add_epi32(st[2], on, st[2], c);
  st[3] = _mm512_mask_add_epi32(st[3], on, st[3], d);
  st[4] = _mm512_mask_add_epi32(st[4], on, st[4], e);
  st[5] = _mm512_mask_add_epi32(st[5], on, st[5], f);
  st[6] = _mm512_mask_add_epi32(st[6], on, st[6], g_);
  st[7] = _mm512_mask_add_epi32(st[7], on, st[7], h);
}

/* Block j of m when it is not inside the data: msg_block, with masked
 * loads rather than memset and memcpy when the prefix is behind it. */
SHA16_TARGET static inline uint8_t const *
sha16_tail(msg_t const *m, size_t j, uint8_t tmp[64]) {
  size_t off = 64 * j;
  if (off < m->pre_sz) return msg_block(m, j, tmp);
  size_t   avail = m->total > off ? m->total - off : 0; /* < 64 here */
  __m512i  v     = _mm512_maskz_loadu_epi8(avail ? (__mmask64)((1ULL << avail) - 1) : 0,
                                           m->data + (off - m->pre_sz));
  _mm512_storeu_si512(tmp, v);
  if (m->total >= off) tmp[avail] = 0x80; /* avail < 64: the terminator is in this block */
  if (j == m->nb - 1) {
    uint64_t bits = (uint64_t)m->total * 8;
    for (unsigned i = 0; i < 8; i++) tmp[63 - i] = (uint8_t)(bits >> (8 * i));
  }
  return tmp;
}

/* cnt (1..16) messages, one per lane. */
SHA16_TARGET static void
sha256_x16_avx512(uint8_t *const *out, msg_t const *m, unsigned cnt) {
  static uint8_t const zero[64];
  static uint32_t const iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  __m512i st[8];
  for (unsigned i = 0; i < 8; i++) st[i] = _mm512_set1_epi32((int)iv[i]);
  uint8_t        tmp[16][64];
  uint8_t const *blk[16];
  size_t         nb_max = 0;
  for (unsigned l = 0; l < cnt; l++)
    if (m[l].nb > nb_max) nb_max = m[l].nb;
  for (unsigned l = cnt; l < 16; l++) blk[l] = zero;
  /* blocks [lo, hi) of lane l lie inside its data: read in place */
  size_t lo[16], hi[16];
  for (unsigned l = 0; l < cnt; l++) {
    lo[l] = (m[l].pre_sz + 63) / 64;
    hi[l] = m[l].total / 64;
  }
  for (size_t j = 0; j < nb_max; j++) {
    __mmask16 on = 0;
    for (unsigned l = 0; l < cnt; l++) {
      if (j >= lo[l] && j < hi[l]) {
        blk[l] = m[l].data + (64 * j - m[l].pre_sz);
        on |= (__mmask16)(1U << l);
      } else if (j < m[l].nb) {
        blk[l] = sha16_tail(&m[l], j, tmp[l]);
        on |= (__mmask16)(1U << l);
      } else {
        blk[l] = zero;
      }
    }
    sha16_block(st, blk, on);
  }
  __m512i const bswap = _mm512_set4_epi32(0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203);
  uint32_t      h[8][16];
  for (unsigned i = 0; i < 8; i++) _mm512_storeu_si512(h[i], _mm512_shuffle_epi8(st[i], bswap));
  for (unsigned l = 0; l < cnt; l++) {
    uint32_t w[8];
    for (unsigned i = 0; i < 8; i++) w[i] = h[i][l];
    memcpy(out[l], w, 32);
  }
}

static int
have_avx512(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
}

/* CPUID: SHA extensions (leaf 7 EBX bit 29), SSSE3 and SSE4.1 (leaf 1 ECX
 * bits 9 and 19). (__builtin_cpu_supports has no "sha" in every compiler.) */
static int
cpu_has_sha_ni(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1U << 9)) || !(c & (1U << 19))) return 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  return (b >> 29) & 1U;
}

static int
have_sha_ni(void) {
  static int have = -1; /* same answer whichever thread computes it first */
  int        ni   = __atomic_load_n(&have, __ATOMIC_RELAXED);
  if (__builtin_expect(ni < 0, 0)) {
    ni = cpu_has_sha_ni();
    __atomic_store_n(&have, ni, __ATOMIC_RELAXED);
  }
  return ni;
}
#endif /* __x86_64__ */

/* Portable path: the same padded blocks through OpenSSL. */
static void
sha256_msg_openssl(uint8_t out[32], msg_t const *m) {
  sof_sha256_2(out, m->pre, m->pre_sz, m->data, m->total - m->pre_sz);
}

void
sof_sha256_x2(uint8_t out_a[32], uint8_t out_b[32], void const *pre, size_t pre_sz, void const *a,
              size_t a_sz, void const *b, size_t b_sz) {
  msg_t ma, mb;
  msg_init(&ma, pre, pre_sz, a, a_sz);
  msg_init(&mb, pre, pre_sz, b, b_sz);
#if defined(__x86_64__)
  if (have_sha_ni()) {
    sha256_x2_ni(out_a, out_b, &ma, &mb);
    return;
  }
#endif
  sha256_msg_openssl(out_a, &ma);
  sha256_msg_openssl(out_b, &mb);
}

int
sof_sha256_x2_accelerated(void) {
#if defined(__x86_64__)
  return have_sha_ni();
#else
  return 0;
#endif
}

/* Which batch path: 2 = AVX-512 x16, 1 = SHA-NI pairs, 0 = OpenSSL one by
 * one; -1 until chosen. sof_sha256_batch_select overrides. */
static int batch_impl = -1;

static int
batch_auto(void) {
#if defined(__x86_64__)
  if (have_avx512()) return 2;
  if (have_sha_ni()) return 1;
#endif
  return 0;
}

void
sof_sha256_batch(uint8_t *const *out, void const *pre, size_t pre_sz, void const *const *data,
                 size_t const *sz, unsigned cnt) {
  int impl = __atomic_load_n(&batch_impl, __ATOMIC_RELAXED);
  if (__builtin_expect(impl < 0, 0)) {
    impl = batch_auto();
    __atomic_store_n(&batch_impl, impl, __ATOMIC_RELAXED);
  }
  for (unsigned i = 0; i < cnt; i += 16) {
    unsigned n = cnt - i < 16 ? cnt - i : 16;
    msg_t    m[16];
    for (unsigned j = 0; j < n; j++) msg_init(&m[j], pre, pre_sz, data[i + j], sz[i + j]);
#if defined(__x86_64__)
    if (impl == 2 && n >= SOF_SHA256_BATCH_MIN_X16) {
      sha256_x16_avx512(out + i, m, n);
      continue;
    }
    if (impl >= 1 && have_sha_ni()) {
      unsigned j = 0;
      for (; j + 2 <= n; j += 2) sha256_x2_ni(out[i + j], out[i + j + 1], &m[j], &m[j + 1]);
      if (j < n) {
        sha_ni_t st;
        uint8_t  tmp[64];
        sha_ni_init(&st);
        for (size_t b = 0; b < m[j].nb; b++) sha_ni_block(&st, msg_block(&m[j], b, tmp));
        sha_ni_digest(&st, out[i + j]);
      }
      continue;
    }
#endif
    for (unsigned j = 0; j < n; j++) sha256_msg_openssl(out[i + j], &m[j]);
  }
}

char const *
sof_sha256_batch_impl(void) {
  int impl = __atomic_load_n(&batch_impl, __ATOMIC_RELAXED);
  if (impl < 0) impl = batch_auto();
  return impl == 2 ? "avx512x16" : impl == 1 ? "sha-ni" : "openssl";
}

int
sof_sha256_batch_select(char const *name) {
  int want = !name || !strcmp(name, "auto") ? batch_auto()
           : !strcmp(name, "avx512x16")     ? 2
           : !strcmp(name, "sha-ni")        ? 1
           : !strcmp(name, "openssl")       ? 0
                                            : -1;
  if (want < 0) return -1;
#if defined(__x86_64__)
  if ((want == 2 && !have_avx512()) || (want == 1 && !have_sha_ni())) return -1;
#else
  if (want > 0) return -1;
#endif
  __atomic_store_n(&batch_impl, want, __ATOMIC_RELAXED);
  return 0;
}
