/* libFuzzer target: the verification path on mutated shreds.
 *
 * The leader of every slot is the Firedancer demo key (the run script seeds
 * the corpus with that slot's real shreds), so mutations of real, valid
 * shreds reach every branch: cold verification, the cached set, the node
 * cache, forged-signature memo. Per input (deterministic: the verifier is
 * reset first): verify it, verify it again (the result must not change),
 * then verify a one-byte flip of it: a flip inside the bytes the leader's
 * signature covers (or the signature itself) must never verify; then the
 * input again: it keeps its verdict (verified or rejected). The same four
 * calls as one burst through sof_verify_shreds must give the same results
 * and counters, and through sof_verify_shred_root (each shred's own root)
 * the same results. A verifier in learned mode (no schedule; candidates
 * two strangers and the demo key) verifies a merkle input exactly when
 * the scheduled one does, and never a legacy one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sof_ed25519.h"
#include "crypto/sof_merkle.h"
#include "verify/sof_verify.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

/* 4rBaC4tZ4bd7fDGQpWpesBSmgqYmMzkASuZsZkbHCrBK */
static uint8_t const demo_leader[32] = {
  0x39, 0x2c, 0x79, 0x79, 0x8d, 0x4e, 0x59, 0x23, 0x5b, 0xbd, 0xe9, 0x35, 0x1d, 0xd7, 0x6b, 0x9d,
  0x36, 0xad, 0x48, 0x8f, 0xe8, 0xcb, 0xe5, 0x2c, 0xfd, 0x6f, 0xf3, 0xca, 0x61, 0x71, 0x8c, 0xf2};

static sof_verify_t *v, *vb, *vr; /* one call at a time, in bursts, with known roots */
static sof_verify_t *vl;          /* learned leaders */
static sof_leaders_t *leaders, *none;

#include "sof_fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (sof_ed25519_init()) abort();
  leaders = sof_leaders_new(64, 2);
  sof_leaders_set_fixed(leaders, demo_leader);
  sof_verify_cfg_t cfg;
  sof_verify_cfg_default(&cfg);
  cfg.cache_sets = 8;
  v = sof_verify_new(&cfg, leaders, NULL, 0);
  vb = sof_verify_new(&cfg, leaders, NULL, 0);
  vr = sof_verify_new(&cfg, leaders, NULL, 0);
  none = sof_leaders_new(64, 2);
  static uint8_t cands[3][32];
  memset(cands[0], 0x11, 32);
  memcpy(cands[1], demo_leader, 32);
  memset(cands[2], 0x22, 32);
  cfg.candidates = (uint8_t const(*)[32])cands;
  cfg.candidate_cnt = 3;
  vl = sof_verify_new(&cfg, none, NULL, 0);
  if (!v || !vb || !vr || !vl) abort();
  return 0;
}

int
LLVMFuzzerTestOneInput(uint8_t const *data, size_t sz) {
  if (sz > 4096) return 0;
  sof_verify_reset(v);
  sof_shred_t s;
  sof_verify_info_t info;
  int r1 = sof_verify_shred(v, data, sz, 0, &s, &info);
  REQUIRE(r1 >= 0 && r1 < SOF_VERIFY_RESULT_CNT);
  REQUIRE(r1 != SOF_VERIFY_SKIPPED && r1 != SOF_VERIFY_WRONG_VERSION && r1 != SOF_VERIFY_UNKNOWN_LEADER);
  if (r1 == SOF_VERIFY_MALFORMED) return 0;
  REQUIRE(!s.is_merkle || info.root_valid);
  int r2 = sof_verify_shred(v, data, sz, 0, NULL, NULL);
  REQUIRE(r2 == r1);
  sof_verify_reset(vl);
  int rl = sof_verify_shred(vl, data, sz, 0, NULL, NULL);
  if (s.is_merkle) REQUIRE((rl == SOF_VERIFY_VERIFIED) == (r1 == SOF_VERIFY_VERIFIED));
  else REQUIRE(rl == SOF_VERIFY_UNKNOWN_LEADER);
  /* flip one byte chosen by the input itself */
  static uint8_t buf[4096];
  memcpy(buf, data, sz);
  uint32_t h = 2166136261U;
  for (size_t i = 0; i < sz; i += 61) h = (h ^ data[i]) * 16777619U;
  size_t pos = h % s.payload_sz;
  buf[pos] ^= (uint8_t)(1U << (h >> 29));
  int r3 = sof_verify_shred(v, buf, sz, 0, NULL, NULL);
  size_t covered = s.is_resigned ? s.retx_sig_off : s.payload_sz;
  if (r1 == SOF_VERIFY_VERIFIED && pos < covered) REQUIRE(r3 != SOF_VERIFY_VERIFIED);
  /* and the original keeps its class: verified stays verified, rejected
   * stays rejected (the reason may sharpen from invalid_signature to
   * invalid_merkle once the flip revealed the real set) */
  int r4 = sof_verify_shred(v, data, sz, 0, NULL, NULL);
  REQUIRE((r4 == SOF_VERIFY_VERIFIED) == (r1 == SOF_VERIFY_VERIFIED));
  if (r1 != SOF_VERIFY_VERIFIED) REQUIRE(r4 == SOF_VERIFY_INVALID_SIGNATURE || r4 == SOF_VERIFY_INVALID_MERKLE);

  /* The same four calls as one burst (sof_verify_shreds) on a twin: the
   * same results, first info and counters. */
  sof_verify_reset(vb);
  void const *bufs[4] = {data, data, buf, data};
  size_t szs[4] = {sz, sz, sz, sz};
  int rb[4];
  sof_verify_info_t ib[4];
  sof_shred_t sb[4];
  sof_verify_shreds(vb, bufs, szs, 4, 0, sb, rb, ib);
  REQUIRE(rb[0] == r1 && rb[1] == r2 && rb[2] == r3 && rb[3] == r4);
  REQUIRE(!memcmp(&ib[0], &info, sizeof info) && !memcmp(&sb[0], &s, sizeof s));
  REQUIRE(!memcmp(sof_verify_stats(vb), sof_verify_stats(v), sizeof(sof_verify_stats_t)));

  /* And through sof_verify_shred_root with each shred's own root (what the
   * FEC resolver hands over for rebuilt shreds): the same results. */
  sof_verify_reset(vr);
  int want[4] = {r1, r2, r3, r4};
  for (unsigned i = 0; i < 4; i++) {
    sof_shred_t rs;
    uint8_t root[32];
    int r;
    if (!sof_shred_parse(&rs, bufs[i], sz, 0) && rs.is_merkle && !sof_shred_merkle_root(root, bufs[i], &rs))
      r = sof_verify_shred_root(vr, bufs[i], sz, 0, root, NULL, NULL);
    else
      r = sof_verify_shred(vr, bufs[i], sz, 0, NULL, NULL);
    REQUIRE(r == want[i]);
  }
  return 0;
}
