/* bench_gossip: lib/gossip on a gossip role's per-packet work.
 *
 * Cases: decoding a pull response of 6 ContactInfos (the real vector's
 * layout re-signed with 6 keys); decoding a ping; verifying one
 * CRDS value's signature (libsodium); a CRDS table upsert of an already
 * held value (duplicate) and of a new one (insert / evict at capacity);
 * building one pull request filter over 65536 held hashes. Median of 9
 * runs, ns/op and ops/s (sof_bench.h); figures, not assertions. */
#include <string.h>

#include "crypto/sof_ed25519.h"
#include "gossip/sof_crds.h"
#include "gossip/sof_gossip.h"
#include "gossip/sof_gossip_bloom.h"
#include "sof_bench.h"

static uint8_t g_pkt[1232];
static size_t g_pkt_sz;
static uint8_t g_ping[132];
static sof_gossip_msg_t g_m;
static sof_crds_t *g_tab;
static uint8_t g_hashes[65536][32];

static uint64_t
run_parse(void *ctx, uint64_t ops) {
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++) acc += (uint64_t)sof_gossip_parse(&g_m, ctx, g_pkt_sz) + g_m.value_cnt;
  return acc;
}

static uint64_t
run_ping(void *ctx, uint64_t ops) {
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++) acc += (uint64_t)sof_gossip_parse(&g_m, ctx, sizeof g_ping) + g_m.kind;
  return acc;
}

static uint64_t
run_verify(void *ctx, uint64_t ops) {
  (void)ctx;
  sof_gossip_parse(&g_m, g_pkt, g_pkt_sz);
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++) acc += (uint64_t)sof_gossip_value_verify(&g_m.values[i % g_m.value_cnt]);
  return acc;
}

static uint64_t
run_dup(void *ctx, uint64_t ops) {
  (void)ctx;
  sof_gossip_parse(&g_m, g_pkt, g_pkt_sz);
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++) acc += (uint64_t)sof_crds_upsert(g_tab, &g_m.values[i % g_m.value_cnt], i, NULL);
  return acc;
}

static uint64_t
run_insert(void *ctx, uint64_t ops) {
  (void)ctx;
  static uint8_t v[300];
  sof_gossip_parse(&g_m, g_pkt, g_pkt_sz);
  size_t n = sof_gossip_value_size(&g_m.values[0]);
  memcpy(v, g_m.values[0].signature, n);
  sof_gossip_value_t val;
  size_t used;
  sof_gossip_value_parse(&val, v, n, &used);
  uint64_t acc = 0;
  static uint32_t origin;
  for (uint64_t i = 0; i < ops; i++) {
    origin++;
    memcpy(v + 68, &origin, 4); /* the pubkey's first bytes: a new label (the hash is recomputed) */
    sof_crds_rec_t ev;
    acc += (uint64_t)sof_crds_upsert(g_tab, &val, i, &ev) + ev.used;
  }
  return acc;
}

static uint64_t
run_filter(void *ctx, uint64_t ops) {
  (void)ctx;
  static sof_gossip_bloom_t b;
  uint64_t keys[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++) {
    uint64_t mask = sof_gossip_filter_mask(i % 64, 6);
    sof_gossip_bloom_init(&b, 8000, keys, 8);
    for (uint32_t k = 0; k < 65536; k++)
      if (sof_gossip_filter_in_slice(mask, 6, g_hashes[k])) sof_gossip_bloom_add(&b, g_hashes[k]);
    acc += b.num_bits_set;
  }
  return acc;
}

int
main(void) {
  if (sof_ed25519_init()) return 1;
  /* 8 ContactInfos as the real vector lays them out, each signed by its own key */
  uint8_t values[1232];
  size_t vsz = 0;
  for (int k = 0; k < 6; k++) {
    uint8_t seed[32], kp[64];
    memset(seed, k + 1, 32);
    sof_ed25519_keypair_from_seed(kp, seed);
    sof_gossip_ci_src_t s;
    memset(&s, 0, sizeof s);
    memcpy(s.pubkey, kp + 32, 32);
    s.wallclock = 1704296372153ULL;
    s.outset = 1703199407923420ULL;
    s.shred_version = 38642;
    s.version = (sof_gossip_version_t){ 1, 17, 9, 0, 0x5524c216U, 0 };
    uint16_t const ports[12] = { 8000, 8001, 8002, 8003, 8004, 8005, 8008, 8009, 8010, 8011, 8899, 8900 };
    uint8_t const keys[12] = { 0, 10, 11, 5, 6, 9, 4, 8, 7, 1, 2, 3 };
    s.socket_cnt = 12;
    for (int i = 0; i < 12; i++) s.sockets[i] = (sof_gossip_ci_src_socket_t){ keys[i], { { 34, 221, 220, 125 } }, ports[i] };
    uint8_t d[256];
    int n = sof_gossip_ci_encode(d, sizeof d, &s);
    vsz += (size_t)sof_gossip_value_sign(values + vsz, sizeof values - vsz, d, (size_t)n, kp);
  }
  uint8_t from[32] = { 9 };
  g_pkt_sz = (size_t)sof_gossip_values_msg_encode(g_pkt, sizeof g_pkt, SOF_GOSSIP_MSG_PULL_RESPONSE, from, 6, values, vsz);
  uint8_t kp[64], seed[32] = { 7 }, token[32] = { 1 };
  sof_ed25519_keypair_from_seed(kp, seed);
  sof_gossip_ping_encode(g_ping, sizeof g_ping, kp, token);
  printf("bench_gossip: lib/gossip's per-packet work on the gossip thread; pull response of %zu bytes, "
         "6 ContactInfo values\n", g_pkt_sz);
  g_tab = sof_crds_new(65536);
  uint64_t r = 1;
  for (int i = 0; i < 65536; i++)
    for (int j = 0; j < 32; j += 8) {
      r = r * 6364136223846793005ULL + 1442695040888963407ULL;
      memcpy(&g_hashes[i][j], &r, 8);
    }
  sof_bench_report("gossip parse pull response (6 ContactInfo)", run_parse, g_pkt, 200000);
  sof_bench_report("gossip parse ping", run_ping, g_ping, 2000000);
  sof_bench_report("gossip verify one CRDS value (ed25519)", run_verify, NULL, 20000);
  sof_bench_report("crds upsert, duplicate", run_dup, NULL, 1000000);
  sof_bench_report("crds upsert, new label (evict at 65536)", run_insert, NULL, 200000);
  sof_bench_report("pull filter over 65536 hashes (1/64 slice)", run_filter, NULL, 200);
  sof_crds_delete(g_tab);
  return 0;
}
