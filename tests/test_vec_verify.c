/* Every real shred in the shared vectors verifies with its leader's key;
 * obsolete layouts and wrong keys do not. Skips without the vectors. */
#include "sof_test.h"

#include <pcap/pcap.h>

#include "crypto/sof_ed25519.h"
#include "verify/sof_leaders.h"
#include "verify/sof_verify.h"
#include "wire/sof_pkt.h"

static char const *vec;

/* Verifies every *.bin of dir (relative to the vectors) with the key in
 * key_rel; returns the count of each result in counts[]. */
static size_t
verify_dir(char const *dir, char const *key_rel, unsigned flags, uint64_t counts[SOF_VERIFY_RESULT_CNT],
           sof_verify_stats_t *stats_out) {
  size_t ksz;
  uint8_t *key = sof_test_read(vec, key_rel, &ksz);
  memset(counts, 0, SOF_VERIFY_RESULT_CNT * sizeof counts[0]);
  if (!key || ksz != 32) {
    SOF_CHECK(!"leader key");
    free(key);
    return 0;
  }
  sof_leaders_t *l = sof_leaders_new(1024, 4);
  sof_leaders_set_fixed(l, key);
  sof_verify_cfg_t cfg;
  sof_verify_cfg_default(&cfg);
  sof_verify_t *v = sof_verify_new(&cfg, l, NULL, 0);
  size_t n;
  char **names = sof_test_list(vec, dir, ".bin", &n);
  for (size_t i = 0; i < n; i++) {
    char rel[1024];
    snprintf(rel, sizeof rel, "%s/%s", dir, names[i]);
    size_t sz;
    uint8_t *b = sof_test_read(vec, rel, &sz);
    if (!b) continue;
    counts[sof_verify_shred(v, b, sz, flags, NULL, NULL)]++;
    free(b);
  }
  if (stats_out) *stats_out = *sof_verify_stats(v);
  sof_test_free_list(names, n);
  sof_verify_delete(v);
  sof_leaders_delete(l);
  free(key);
  return n;
}

static void
expect_all(char const *dir, char const *key, unsigned flags, size_t want_n, int want_result) {
  uint64_t c[SOF_VERIFY_RESULT_CNT];
  size_t n = verify_dir(dir, key, flags, c, NULL);
  SOF_CHECK_EQ(n, want_n);
  /* shreds that do not verify: past a set's failure budget the verifier
   * turns them away unchecked (over_budget), still a rejection */
  if (want_result == SOF_VERIFY_INVALID_SIGNATURE) c[want_result] += c[SOF_VERIFY_OVER_BUDGET];
  if (c[want_result] != want_n)
    fprintf(stderr, "%s: %llu of %zu are %s (verified %llu, invalid_signature %llu, malformed %llu)\n", dir,
            (unsigned long long)c[want_result], n, sof_verify_result_str(want_result),
            (unsigned long long)c[0], (unsigned long long)c[3], (unsigned long long)c[4]);
  SOF_CHECK_EQ(c[want_result], want_n);
}

static void
test_demo_pcap(void) {
  char path[4096], errbuf[PCAP_ERRBUF_SIZE];
  snprintf(path, sizeof path, "%s/fd-demo-slot0-fixed32/demo-shreds.pcap", vec);
  pcap_t *pc = pcap_open_offline(path, errbuf);
  size_t ksz;
  uint8_t *key = sof_test_read(vec, "fd-demo-slot0-fixed32/leader.pubkey", &ksz);
  SOF_CHECK(pc && key);
  if (!pc || !key) { free(key); if (pc) pcap_close(pc); return; }
  sof_leaders_t *l = sof_leaders_new(64, 2);
  sof_leaders_set(l, 0, key);
  sof_verify_cfg_t cfg;
  sof_verify_cfg_default(&cfg);
  cfg.check_version = 1;
  cfg.shred_version = 6051;
  sof_verify_t *v = sof_verify_new(&cfg, l, NULL, 0);
  struct pcap_pkthdr *h;
  uint8_t const *frame;
  unsigned verified = 0, pkts = 0;
  while (pcap_next_ex(pc, &h, &frame) == 1) {
    pkts++;
    sof_pkt_udp_t u;
    if (sof_pkt_parse(&u, frame, h->caplen)) continue;
    verified += sof_verify_shred(v, frame + u.payload_off, u.payload_sz, 0, NULL, NULL) == SOF_VERIFY_VERIFIED;
  }
  SOF_CHECK_EQ(pkts, 512);
  SOF_CHECK_EQ(verified, 512);
  SOF_CHECK_EQ(sof_verify_stats(v)->sig_verifies, 8); /* one per FEC set */
  pcap_close(pc);
  sof_verify_delete(v);
  sof_leaders_delete(l);
  free(key);
}

int
main(void) {
  vec = sof_test_require_vectors("vec_verify");
  SOF_CHECK_EQ(sof_ed25519_init(), 0);

  /* real testnet slot: 307 shreds in 5 sets, out of order, duplicated */
  uint64_t c[SOF_VERIFY_RESULT_CNT];
  sof_verify_stats_t st;
  SOF_CHECK_EQ(verify_dir("fd-testnet-slot385970984/shreds", "fd-testnet-slot385970984/leader.pubkey", 0, c, &st), 307);
  SOF_CHECK_EQ(c[SOF_VERIFY_VERIFIED], 307);
  SOF_CHECK_EQ(st.sig_verifies, 5);
  expect_all("fd-testnet-slot385970984/recovered", "fd-testnet-slot385970984/leader.pubkey", 0, 15, SOF_VERIFY_VERIFIED);
  /* the same shreds under another leader fail */
  expect_all("fd-testnet-slot385970984/shreds", "fd-demo-slot0-fixed32/leader.pubkey", 0, 307, SOF_VERIFY_INVALID_SIGNATURE);

  test_demo_pcap();
  expect_all("fd-demo-slot0-fixed32/shreds", "fd-demo-slot0-fixed32/leader.pubkey", 0, 512, SOF_VERIFY_VERIFIED);

  /* Agave vectors: merkle (chained, chained + resigned) and legacy */
  static char const *const agave[][2] = {
    {"agave-merkle-chained-data-shred-1.bin", "agave-merkle-serde-test.pubkey"},
    {"agave-merkle-chained-resigned-data-shred-empty.bin", "agave-merkle-serde-test.pubkey"},
    {"agave-legacy-data-shred-1.bin", "agave-legacy-data-shred-1.pubkey"},
    {"agave-legacy-data-shred-empty.bin", "agave-legacy-data-shred-empty.pubkey"},
    {"agave-legacy-code-shred-1.bin", "agave-legacy-code-shred-1.pubkey"},
  };
  for (unsigned i = 0; i < 5; i++) {
    size_t sz, ksz;
    uint8_t *b = sof_test_read(vec, agave[i][0], &sz), *k = sof_test_read(vec, agave[i][1], &ksz);
    if (b && k) {
      sof_leaders_t *l = sof_leaders_new(16, 1);
      sof_leaders_set_fixed(l, k);
      sof_verify_cfg_t cfg;
      sof_verify_cfg_default(&cfg);
      sof_verify_t *v = sof_verify_new(&cfg, l, NULL, 0);
      SOF_CHECK_EQ(sof_verify_shred(v, b, sz, 0, NULL, NULL), SOF_VERIFY_VERIFIED);
      b[100] ^= 1;
      SOF_CHECK(sof_verify_shred(v, b, sz, 0, NULL, NULL) != SOF_VERIFY_VERIFIED);
      sof_verify_delete(v);
      sof_leaders_delete(l);
    }
    free(b);
    free(k);
  }

  /* real mainnet legacy slot (trimmed storage form) and the Sig blocks */
  expect_all("radiance-mainnet-slot102815960-legacy/shreds", "radiance-mainnet-slot102815960-legacy/leader.pubkey",
             SOF_SHRED_PARSE_ALLOW_TRIMMED, 2047, SOF_VERIFY_VERIFIED);
  expect_all("sig-testnet-slot417955322-full/shreds", "sig-testnet-slot417955322-full/leader.pubkey", 0, 320, SOF_VERIFY_VERIFIED);
  expect_all("sig-testnet-slot356797362-full-padded/shreds", "sig-testnet-slot356797362-full-padded/leader.pubkey", 0, 992, SOF_VERIFY_VERIFIED);
  expect_all("sig-slot410010000-fec0-v57087/shreds", "sig-slot410010000-fec0-v57087/leader.pubkey", 0, 59, SOF_VERIFY_VERIFIED);
  expect_all("fd-synthetic-chained-varfec-slot0/shreds", "fd-synthetic-chained-varfec-slot0/leader.pubkey", 0, 122, SOF_VERIFY_VERIFIED);
  expect_all("fd-synthetic-resigned-32-slot0/shreds", "fd-synthetic-resigned-32-slot0/leader.pubkey", 0, 64, SOF_VERIFY_VERIFIED);

  /* obsolete layouts never verify: v1.14-era merkle (20-byte root signed),
   * first-revision legacy (no size field: malformed) */
  expect_all("radiance-localnet-slot94-merkle-obsolete/shreds", "radiance-localnet-slot94-merkle-obsolete/leader.pubkey", 0, 144, SOF_VERIFY_INVALID_SIGNATURE);
  expect_all("radiance-mainnet-slot0-1-legacy-v1/slot1", "radiance-mainnet-slot0-1-legacy-v1/slot1/leader.pubkey", 0, 67, SOF_VERIFY_MALFORMED);
  return sof_test_done("vec_verify");
}
