#include "fec/sof_rs.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* ---- GF(2^8), polynomial 0x11D ------------------------------------------- */

typedef struct {
  uint8_t exp[512];
  uint8_t log[256];
  uint8_t mul[256][256];   /* full product table: 64 KiB */
  uint8_t lo[256][16];     /* c * x for x in 0..15 (low nibble) */
  uint8_t hi[256][16];     /* c * (x << 4) (high nibble) */
} gf_tables_t;

static gf_tables_t gf;
static int gf_ready;
static int use_avx2 = -1;  /* -1: not chosen yet */

static void
gf_init(void) {
  if (__atomic_load_n(&gf_ready, __ATOMIC_ACQUIRE)) return;
  unsigned x = 1;
  for (unsigned i = 0; i < 255; i++) {
    gf.exp[i] = (uint8_t)x;
    gf.log[x] = (uint8_t)i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11D;
  }
  for (unsigned i = 255; i < 512; i++) gf.exp[i] = gf.exp[i - 255];
  for (unsigned a = 0; a < 256; a++)
    for (unsigned b = 0; b < 256; b++)
      gf.mul[a][b] = (a && b) ? gf.exp[gf.log[a] + gf.log[b]] : 0;
  for (unsigned c = 0; c < 256; c++)
    for (unsigned v = 0; v < 16; v++) {
      gf.lo[c][v] = gf.mul[c][v];
      gf.hi[c][v] = gf.mul[c][v << 4];
    }
#if defined(__x86_64__)
  if (use_avx2 < 0) use_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
#endif
  /* Tables are identical whichever thread builds them; publish once. */
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

/* a^n in GF(2^8), the crate's galois_8::exp: a^0 = 1 (also for a = 0). */
static uint8_t
gf_pow(uint8_t a, unsigned n) {
  if (n == 0) return 1;
  if (a == 0) return 0;
  return gf.exp[(gf.log[a] * n) % 255];
}

/* ---- kernels: dst (^)= c * src --------------------------------------------- */

static void
mul_portable(uint8_t *dst, uint8_t const *src, uint8_t c, size_t sz, int add) {
  uint8_t const *row = gf.mul[c];
  if (add) for (size_t i = 0; i < sz; i++) dst[i] ^= row[src[i]];
  else     for (size_t i = 0; i < sz; i++) dst[i] = row[src[i]];
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void
mul_avx2(uint8_t *dst, uint8_t const *src, uint8_t c, size_t sz, int add) {
  __m256i lo = _mm256_broadcastsi128_si256(_mm_loadu_si128((__m128i const *)gf.lo[c]));
  __m256i hi = _mm256_broadcastsi128_si256(_mm_loadu_si128((__m128i const *)gf.hi[c]));
  __m256i mask = _mm256_set1_epi8(0x0F);
  size_t i = 0;
  for (; i + 32 <= sz; i += 32) {
    __m256i s = _mm256_loadu_si256((__m256i const *)(src + i));
    __m256i pl = _mm256_shuffle_epi8(lo, _mm256_and_si256(s, mask));
    __m256i ph = _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi64(s, 4), mask));
    __m256i p = _mm256_xor_si256(pl, ph);
    if (add) p = _mm256_xor_si256(p, _mm256_loadu_si256((__m256i const *)(dst + i)));
    _mm256_storeu_si256((__m256i *)(dst + i), p);
  }
  if (i < sz) mul_portable(dst + i, src + i, c, sz - i, add);
}
#endif

static void
mul_into(uint8_t *dst, uint8_t const *src, uint8_t c, size_t sz, int add) {
#if defined(__x86_64__)
  if (use_avx2 > 0) { /* chosen in gf_init, which sof_rs_init ran */
    mul_avx2(dst, src, c, sz, add);
    return;
  }
#endif
  mul_portable(dst, src, c, sz, add);
}

char const *
sof_rs_kernel_name(void) {
#if defined(__x86_64__)
  if (use_avx2 < 0) use_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
  return use_avx2 ? "avx2" : "portable";
#else
  return "portable";
#endif
}

void
sof_rs_force_portable(int on) {
#if defined(__x86_64__)
  use_avx2 = on ? 0 : (__builtin_cpu_supports("avx2") ? 1 : 0);
#else
  (void)on;
#endif
}

/* ---- matrices ------------------------------------------------------------- */

/* Inverts the n x n matrix a (row stride SOF_RS_DATA_MAX) into inv by
 * Gauss-Jordan elimination. a is destroyed. Returns 0, -1 when singular. */
static int
invert(uint8_t (*a)[SOF_RS_DATA_MAX], uint8_t (*inv)[SOF_RS_DATA_MAX], unsigned n) {
  for (unsigned r = 0; r < n; r++) {
    memset(inv[r], 0, n);
    inv[r][r] = 1;
  }
  for (unsigned col = 0; col < n; col++) {
    unsigned piv = col;
    while (piv < n && !a[piv][col]) piv++;
    if (piv == n) return -1;
    if (piv != col) {
      uint8_t tmp[SOF_RS_DATA_MAX];
      memcpy(tmp, a[piv], n); memcpy(a[piv], a[col], n); memcpy(a[col], tmp, n);
      memcpy(tmp, inv[piv], n); memcpy(inv[piv], inv[col], n); memcpy(inv[col], tmp, n);
    }
    uint8_t s = gf.exp[255 - gf.log[a[col][col]]];
    for (unsigned j = 0; j < n; j++) {
      a[col][j] = gf.mul[s][a[col][j]];
      inv[col][j] = gf.mul[s][inv[col][j]];
    }
    for (unsigned r = 0; r < n; r++) {
      uint8_t f = a[r][col];
      if (r == col || !f) continue;
      for (unsigned j = 0; j < n; j++) {
        a[r][j] ^= gf.mul[f][a[col][j]];
        inv[r][j] ^= gf.mul[f][inv[col][j]];
      }
    }
  }
  return 0;
}

int
sof_rs_init(sof_rs_t *rs, unsigned k, unsigned m) {
  if (!k || !m || k > SOF_RS_DATA_MAX || m > SOF_RS_PARITY_MAX || k + m > SOF_RS_SHARDS_MAX)
    return -1;
  gf_init();
  static __thread uint8_t top[SOF_RS_DATA_MAX][SOF_RS_DATA_MAX];
  static __thread uint8_t top_inv[SOF_RS_DATA_MAX][SOF_RS_DATA_MAX];
  for (unsigned r = 0; r < k; r++)
    for (unsigned c = 0; c < k; c++) top[r][c] = gf_pow((uint8_t)r, c);
  if (invert(top, top_inv, k)) return -1; /* cannot happen: distinct Vandermonde rows */
  rs->k = k;
  rs->m = m;
  for (unsigned i = 0; i < m; i++) {
    uint8_t vrow[SOF_RS_DATA_MAX];
    for (unsigned c = 0; c < k; c++) vrow[c] = gf_pow((uint8_t)(k + i), c);
    for (unsigned c = 0; c < k; c++) {
      uint8_t acc = 0;
      for (unsigned t = 0; t < k; t++) acc ^= gf.mul[vrow[t]][top_inv[t][c]];
      rs->parity[i][c] = acc;
    }
  }
  return 0;
}

void
sof_rs_encode(sof_rs_t const *rs, uint8_t const *const *data, uint8_t *const *parity,
              size_t shard_sz) {
  for (unsigned i = 0; i < rs->m; i++) {
    mul_into(parity[i], data[0], rs->parity[i][0], shard_sz, 0);
    for (unsigned j = 1; j < rs->k; j++) mul_into(parity[i], data[j], rs->parity[i][j], shard_sz, 1);
  }
}

/* Row r of the full encoding matrix (identity on top). */
static void
matrix_row(sof_rs_t const *rs, unsigned r, uint8_t *row) {
  if (r < rs->k) {
    memset(row, 0, rs->k);
    row[r] = 1;
  } else {
    memcpy(row, rs->parity[r - rs->k], rs->k);
  }
}

int
sof_rs_reconstruct(sof_rs_t const *rs, uint8_t *const *shards, uint8_t const *present,
                   size_t shard_sz, int data_only) {
  unsigned k = rs->k, n = rs->k + rs->m;
  unsigned rows[SOF_RS_DATA_MAX], cnt = 0;
  unsigned missing_data = 0;
  for (unsigned i = 0; i < n && cnt < k; i++)
    if (present[i]) rows[cnt++] = i;
  if (cnt < k) return -1;
  for (unsigned i = 0; i < k; i++) missing_data += !present[i];

  if (missing_data) {
    static __thread uint8_t sub[SOF_RS_DATA_MAX][SOF_RS_DATA_MAX];
    static __thread uint8_t dec[SOF_RS_DATA_MAX][SOF_RS_DATA_MAX];
    for (unsigned r = 0; r < k; r++) matrix_row(rs, rows[r], sub[r]);
    if (invert(sub, dec, k)) return -1; /* any k rows of M are independent */
    for (unsigned d = 0; d < k; d++) {
      if (present[d]) continue;
      int first = 1;
      for (unsigned j = 0; j < k; j++) {
        uint8_t c = dec[d][j];
        if (!c) continue;
        mul_into(shards[d], shards[rows[j]], c, shard_sz, !first);
        first = 0;
      }
      if (first) memset(shards[d], 0, shard_sz);
    }
  }
  if (!data_only) {
    for (unsigned i = 0; i < rs->m; i++) {
      if (present[k + i]) continue;
      mul_into(shards[k + i], shards[0], rs->parity[i][0], shard_sz, 0);
      for (unsigned j = 1; j < k; j++) mul_into(shards[k + i], shards[j], rs->parity[i][j], shard_sz, 1);
    }
  }
  return 0;
}
