/* SHA-256 batches: sof_sha256_batch on every path this CPU runs (avx512x16,
 * sha-ni, openssl) against OpenSSL's one-shot SHA256 of the concatenated
 * prefix and message, for batch counts around the lane widths (1..4, 5/6
 * at the 16-lane threshold, 15..17, 31..33, 64), prefixes of 0, 26 (the
 * merkle leaf prefix), 63, 64, 65 and 130 bytes, and message lengths at
 * every padding edge (55, 56, 63, 64, 119, 120 ...), the merkle leaf sizes
 * of data and coding shreds, random lengths up to 2100, unaligned messages
 * and empty ones given as NULL; a batch of mixed lengths leaves lanes idle
 * while others still have blocks. Also the path selection and its refusals. */
#include "sof_test.h"

#include "crypto/sof_sha256.h"

#include <openssl/sha.h>

static uint64_t rng_s = 0x0123456789ABCDEFULL;
static uint64_t
rng(void) {
  rng_s ^= rng_s << 13;
  rng_s ^= rng_s >> 7;
  rng_s ^= rng_s << 17;
  return rng_s;
}

#define MSG_MAX 2200
#define CNT_MAX 64

static uint8_t  buf[CNT_MAX][MSG_MAX + 8];
static uint8_t  cat[200 + MSG_MAX];
static uint8_t  pre[200];

/* One batch: cnt messages of the lengths len[], prefix pre_sz; returns the
 * number of digests that differ from OpenSSL's. */
static int
batch(unsigned cnt, size_t pre_sz, size_t const *len) {
  void const *data[CNT_MAX] = {0};
  uint8_t     got[CNT_MAX][32], want[32];
  uint8_t    *out[CNT_MAX] = {0};
  for (unsigned i = 0; i < cnt; i++) {
    uint8_t *p = buf[i] + (i % 8); /* unaligned on purpose */
    for (size_t b = 0; b < len[i]; b++) p[b] = (uint8_t)rng();
    data[i] = len[i] || (i & 1) ? p : NULL;
    out[i]  = got[i];
    memset(got[i], 0xEE, 32);
  }
  sof_sha256_batch(out, pre_sz ? pre : NULL, pre_sz, data, len, cnt);
  int bad = 0;
  for (unsigned i = 0; i < cnt; i++) {
    memcpy(cat, pre, pre_sz);
    if (len[i]) memcpy(cat + pre_sz, data[i], len[i]);
    SHA256(cat, pre_sz + len[i], want);
    if (memcmp(got[i], want, 32)) {
      fprintf(stderr, "sha256: %s: cnt %u pre %zu msg %u len %zu wrong\n", sof_sha256_batch_impl(),
              cnt, pre_sz, i, len[i]);
      bad++;
    }
  }
  return bad;
}

int
main(void) {
  for (size_t i = 0; i < sizeof pre; i++) pre[i] = (uint8_t)(i * 7 + 1);
  memcpy(pre, "\x00SOLANA_MERKLE_SHREDS_LEAF", 26);

  char const *autoname = sof_sha256_batch_impl();
  SOF_CHECK_EQ(sof_sha256_batch_select("no-such-path"), -1);
  SOF_CHECK_STR(sof_sha256_batch_impl(), autoname);
  SOF_CHECK_EQ(sof_sha256_batch_select("openssl"), 0);
  SOF_CHECK_STR(sof_sha256_batch_impl(), "openssl");
  SOF_CHECK_EQ(sof_sha256_batch_select(NULL), 0);
  SOF_CHECK_STR(sof_sha256_batch_impl(), autoname);

  static size_t const edges[] = {0,   1,   26,  55,   56,   57,   63,   64,   65,   119,  120,
                                 121, 127, 128, 1045, 1057, 1070, 1139, 1171, 1203, 1228, 1229, 1254};
  static unsigned const cnts[] = {1, 2, 3, 4, 5, 6, 7, 15, 16, 17, 31, 32, 33, 64};
  static size_t const   pres[] = {0, 26, 63, 64, 65, 130};
  static char const    *paths[] = {"openssl", "sha-ni", "avx512x16"};
  unsigned              ran = 0;
  for (unsigned p = 0; p < 3; p++) {
    if (sof_sha256_batch_select(paths[p])) {
      printf("sha256: path %s: not on this CPU, skipped\n", paths[p]);
      continue;
    }
    ran++;
    int bad = 0;
    size_t len[CNT_MAX];
    for (unsigned c = 0; c < sizeof cnts / sizeof cnts[0]; c++)
      for (unsigned q = 0; q < sizeof pres / sizeof pres[0]; q++) {
        unsigned cnt = cnts[c];
        /* every edge length in turn across the lanes */
        for (unsigned e = 0; e < sizeof edges / sizeof edges[0]; e++) {
          for (unsigned i = 0; i < cnt; i++) len[i] = edges[(e + i) % (sizeof edges / sizeof edges[0])];
          bad += batch(cnt, pres[q], len);
        }
        /* all lanes the same length (the merkle leaves of one set) */
        for (unsigned i = 0; i < cnt; i++) len[i] = 1228;
        bad += batch(cnt, pres[q], len);
        /* random lengths */
        for (unsigned t = 0; t < 4; t++) {
          for (unsigned i = 0; i < cnt; i++) len[i] = (size_t)(rng() % (MSG_MAX - 100));
          bad += batch(cnt, pres[q], len);
        }
      }
    /* zero messages: nothing written */
    uint8_t  o[32];
    uint8_t *op[1] = {o};
    memset(o, 0x55, 32);
    sof_sha256_batch(op, NULL, 0, NULL, NULL, 0);
    for (unsigned i = 0; i < 32; i++) bad += o[i] != 0x55;
    printf("sha256: path %s: %s\n", paths[p], bad ? "WRONG" : "ok");
    SOF_CHECK_EQ(bad, 0);
  }
  SOF_CHECK(ran >= 1);
  sof_sha256_batch_select(NULL);
  return sof_test_done("sha256");
}
