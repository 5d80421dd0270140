/* Reed-Solomon against the shared vectors: the crate's 32x32 parity matrix,
 * the real testnet FEC set 352 (62 real shards): its parity, all 32 data
 * shards rebuilt from the 32 parity shards, and the whole set rebuilt from
 * 200 random patterns of 32 losses; the derived known answers. */
#include "sof_test.h"

#include "fec/sof_rs.h"

int
main(void) {
  char const *vec = sof_test_require_vectors("vec_rs");
  size_t sz;
  sof_rs_t rs;
  SOF_CHECK_EQ(sof_rs_init(&rs, 32, 32), 0);
  uint8_t *mat = sof_test_read(vec, "reedsolomon/rs-parity-matrix-32-32.bin", &sz);
  if (mat) {
    SOF_CHECK_EQ(sz, 1024);
    for (unsigned i = 0; i < 32 && sz == 1024; i++) SOF_CHECK_MEM(sof_rs_parity_row(&rs, i), mat + 32 * i, 32);
    free(mat);
  }
  uint8_t *kat = sof_test_read(vec, "reedsolomon/rs-kat-testnet-fec352-32x32-shard987.bin", &sz);
  if (kat) {
    SOF_CHECK_EQ(sz, 64 * 987);
    static uint8_t par[32][987], sh[64][987];
    uint8_t const *d[32];
    uint8_t *p[32], *s[64], present[64];
    for (unsigned i = 0; i < 32; i++) { d[i] = kat + 987 * i; p[i] = par[i]; }
    sof_rs_encode(&rs, d, p, 987);
    for (unsigned i = 0; i < 32; i++) SOF_CHECK_MEM(par[i], kat + 987 * (32 + i), 987);
    /* lose every data shard */
    for (unsigned i = 0; i < 64; i++) {
      memcpy(sh[i], kat + 987 * i, 987);
      s[i] = sh[i];
      present[i] = i >= 32;
      if (i < 32) memset(sh[i], 0, 987);
    }
    SOF_CHECK_EQ(sof_rs_reconstruct(&rs, s, present, 987, 1), 0);
    for (unsigned i = 0; i < 32; i++) SOF_CHECK_MEM(sh[i], kat + 987 * i, 987);
    /* 200 random patterns of exactly 32 losses (data and parity mixed),
     * every shard rebuilt, in both kernels: the real set comes back */
    uint64_t r = 0x9E3779B97F4A7C15ULL;
    int      bad = 0;
    for (unsigned t = 0; t < 200; t++) {
      sof_rs_force_portable(t & 1);
      memset(present, 1, 64);
      for (unsigned l = 0; l < 32;) {
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        unsigned i = (unsigned)(r % 64);
        if (present[i]) { present[i] = 0; memset(sh[i], 0x33, 987); l++; }
      }
      if (sof_rs_reconstruct(&rs, s, present, 987, 0)) { bad++; continue; }
      for (unsigned i = 0; i < 64; i++) bad += memcmp(sh[i], kat + 987 * i, 987) != 0;
    }
    sof_rs_force_portable(0);
    SOF_CHECK_EQ(bad, 0);
    free(kat);
  }
  /* derived known answers: K data shards then M parity shards of 16 bytes */
  static unsigned const km[][2] = {{1, 17}, {4, 2}, {8, 22}, {32, 32}};
  for (unsigned t = 0; t < 4; t++) {
    unsigned k = km[t][0], m = km[t][1];
    char rel[256];
    snprintf(rel, sizeof rel, "reedsolomon/rs-kat-derived-k%u-m%u-len16.bin", k, m);
    uint8_t *b = sof_test_read(vec, rel, &sz);
    if (!b) continue;
    SOF_CHECK_EQ(sz, (k + m) * 16);
    SOF_CHECK_EQ(sof_rs_init(&rs, k, m), 0);
    static uint8_t par[64][16];
    uint8_t const *d[64];
    uint8_t *p[64];
    for (unsigned i = 0; i < k; i++) d[i] = b + 16 * i;
    for (unsigned i = 0; i < m; i++) p[i] = par[i];
    sof_rs_encode(&rs, d, p, 16);
    for (unsigned i = 0; i < m; i++) SOF_CHECK_MEM(par[i], b + 16 * (k + i), 16);
    free(b);
  }
  return sof_test_done("vec_rs");
}
