/* Reed-Solomon: field arithmetic, the crate's k=4 m=2 known answer, encode
 * then reconstruct for many (k, m) and loss patterns, the AVX2 and portable
 * kernels giving identical bytes, and refusal below k shards. */
#include "sof_test.h"

#include "fec/sof_rs.h"

static uint64_t rng_s = 0x243F6A8885A308D3ULL;
static uint64_t
rng(void) {
  rng_s ^= rng_s << 13;
  rng_s ^= rng_s >> 7;
  rng_s ^= rng_s << 17;
  return rng_s;
}

#define SHARD 301 /* not a multiple of 32: exercises the kernels' tails */
static uint8_t orig[256][SHARD];
static uint8_t work[256][SHARD];

/* encode k+m shards of random data, lose `lose` random ones (at most m),
 * reconstruct, compare. Returns the number of wrong shards. */
static int
round_trip(unsigned k, unsigned m, unsigned lose, int data_only) {
  sof_rs_t rs;
  if (sof_rs_init(&rs, k, m)) return 1000;
  uint8_t const *d[256];
  uint8_t *p[256], *w[256];
  for (unsigned i = 0; i < k; i++) {
    for (unsigned b = 0; b < SHARD; b++) orig[i][b] = (uint8_t)rng();
    d[i] = orig[i];
  }
  for (unsigned i = 0; i < m; i++) p[i] = orig[k + i];
  sof_rs_encode(&rs, d, p, SHARD);
  uint8_t present[256];
  for (unsigned i = 0; i < k + m; i++) {
    memcpy(work[i], orig[i], SHARD);
    w[i] = work[i];
    present[i] = 1;
  }
  for (unsigned l = 0; l < lose;) {
    unsigned i = (unsigned)(rng() % (k + m));
    if (!present[i]) continue;
    present[i] = 0;
    memset(work[i], 0xA5, SHARD);
    l++;
  }
  if (sof_rs_reconstruct(&rs, w, present, SHARD, data_only)) return 1000;
  int bad = 0;
  for (unsigned i = 0; i < (data_only ? k : k + m); i++) bad += memcmp(work[i], orig[i], SHARD) != 0;
  return bad;
}

int
main(void) {
  /* field: 2 generates, 0x11D reduction, inverses */
  SOF_CHECK_EQ(sof_gf_mul(2, 0x80), 0x1D);
  SOF_CHECK_EQ(sof_gf_mul(0, 77), 0);
  SOF_CHECK_EQ(sof_gf_mul(1, 77), 77);
  int bad_inv = 0, bad_comm = 0;
  for (unsigned a = 1; a < 256; a++) {
    bad_inv += sof_gf_mul((uint8_t)a, sof_gf_inv((uint8_t)a)) != 1;
    for (unsigned b = 0; b < 256; b += 17) bad_comm += sof_gf_mul((uint8_t)a, (uint8_t)b) != sof_gf_mul((uint8_t)b, (uint8_t)a);
  }
  SOF_CHECK_EQ(bad_inv, 0);
  SOF_CHECK_EQ(bad_comm, 0);

  /* argument limits */
  sof_rs_t rs;
  SOF_CHECK_EQ(sof_rs_init(&rs, 0, 1), -1);
  SOF_CHECK_EQ(sof_rs_init(&rs, 1, 0), -1);
  SOF_CHECK_EQ(sof_rs_init(&rs, 128, 128), 0);
  SOF_CHECK_EQ(sof_rs_init(&rs, 129, 1), -1);
  SOF_CHECK_EQ(sof_rs_init(&rs, 128, 129), -1);

  /* the crate's k=4, m=2 answer on 16-byte shards, byte t of shard j =
   * ((j*16 + t)*7 + 3) mod 256 (SOURCES.md, section 6) */
  SOF_CHECK_EQ(sof_rs_init(&rs, 4, 2), 0);
  static uint8_t kd[4][16], kp[2][16];
  uint8_t const *kdp[4] = {kd[0], kd[1], kd[2], kd[3]};
  uint8_t *kpp[2] = {kp[0], kp[1]};
  for (unsigned j = 0; j < 4; j++)
    for (unsigned t = 0; t < 16; t++) kd[j][t] = (uint8_t)(((j * 16 + t) * 7 + 3) % 256);
  sof_rs_encode(&rs, kdp, kpp, 16);
  uint8_t want[16];
  sof_test_unhex(want, "656c9f9691b4bf000fa5aef9fef7252c", 16);
  SOF_CHECK_MEM(kp[0], want, 16);
  sof_test_unhex(want, "afa60f0601beb5909fc8c3696e670801", 16);
  SOF_CHECK_MEM(kp[1], want, 16);

  /* round trips over many shapes, both kernels */
  for (int portable = 0; portable < 2; portable++) {
    sof_rs_force_portable(portable);
    static unsigned const shapes[][2] = {{1, 1}, {1, 17}, {2, 2}, {4, 2}, {5, 20}, {10, 23}, {15, 26},
                                         {4, 19}, {19, 45}, {32, 32}, {64, 64}, {100, 20}, {128, 128}};
    int bad = 0;
    for (unsigned s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
      unsigned k = shapes[s][0], m = shapes[s][1];
      for (unsigned trial = 0; trial < 6; trial++) {
        unsigned lose = trial == 0 ? m : (unsigned)(rng() % (m + 1));
        bad += round_trip(k, m, lose, trial & 1);
      }
    }
    SOF_CHECK_EQ(bad, 0);
  }
  sof_rs_force_portable(0);

  /* kernels agree byte for byte on the same input */
  SOF_CHECK_EQ(sof_rs_init(&rs, 32, 32), 0);
  static uint8_t a_par[32][1228], b_par[32][1228], dat[32][1228];
  uint8_t const *dp[32];
  uint8_t *ap[32], *bp[32];
  for (unsigned i = 0; i < 32; i++) {
    for (unsigned b = 0; b < 1228; b++) dat[i][b] = (uint8_t)rng();
    dp[i] = dat[i]; ap[i] = a_par[i]; bp[i] = b_par[i];
  }
  sof_rs_encode(&rs, dp, ap, 1228);
  sof_rs_force_portable(1);
  sof_rs_encode(&rs, dp, bp, 1228);
  sof_rs_force_portable(0);
  SOF_CHECK_MEM(a_par, b_par, sizeof a_par);

  /* fewer than k shards: refused, nothing written */
  static uint8_t sh[64][64];
  uint8_t *shp[64], present[64];
  for (unsigned i = 0; i < 64; i++) { shp[i] = sh[i]; present[i] = i >= 33; memset(sh[i], 7, 64); }
  SOF_CHECK_EQ(sof_rs_reconstruct(&rs, shp, present, 64, 1), -1);
  SOF_CHECK_EQ(sh[0][0], 7);
  return sof_test_done("rs");
}
