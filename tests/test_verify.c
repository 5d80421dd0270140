/* Shred verification on sets the shredder signs here: every shred of a
 * slot verifies with one ed25519 check per set; every single-byte change of
 * a shred gives the right failure (exhaustively, for one shred of each
 * kind); wrong and unknown leaders; equivocation; forged repeats; postures;
 * version check; cache eviction; legacy shreds; leader schedule loading;
 * the burst API (sof_verify_shreds) and the known-root entry
 * (sof_verify_shred_root) equal to sof_verify_shred on random streams. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "sof_test.h"

#include "crypto/sof_ed25519.h"
#include "crypto/sof_merkle.h"
#include "shredder/sof_shredder.h"
#include "verify/sof_leaders.h"
#include "verify/sof_verify.h"
#include "wire/sof_base58.h"

#define SET_MAX 4
static sof_shredder_t sh;
static sof_shredder_set_t sets[SET_MAX];
static sof_shredder_set_t other[SET_MAX];
static uint8_t kp[64], kp_wrong[64];
static uint8_t batch[80000];

/* Shreds `sz` bytes of batch (seeded) for slot into out; returns set count. */
static long
make_slot_flip(sof_shredder_set_t *out, uint64_t slot, size_t sz, uint8_t seed, uint8_t const *key,
               long flip) {
  for (size_t i = 0; i < sz; i++) batch[i] = (uint8_t)(i * 31 + seed);
  if (flip >= 0) batch[flip] ^= 0x01;
  sof_shredder_args_t a = {.slot = slot, .parent_slot = slot - 1, .data_idx = 0,
                           .shred_version = 7, .reference_tick = 3, .last_in_slot = 1,
                           .keypair = key};
  uint8_t chained[32] = {seed};
  return sof_shredder_shred(&sh, &a, batch, sz, chained, out, SET_MAX);
}

static long
make_slot(sof_shredder_set_t *out, uint64_t slot, size_t sz, uint8_t seed, uint8_t const *key) {
  return make_slot_flip(out, slot, sz, seed, key, -1);
}

static sof_verify_t *
mk_verifier(sof_leaders_t const *l, int posture, int override) {
  sof_verify_cfg_t cfg;
  sof_verify_cfg_default(&cfg);
  cfg.posture = posture;
  cfg.verify_shreds = override;
  char err[128];
  sof_verify_t *v = sof_verify_new(&cfg, l, err, sizeof err);
  SOF_CHECK(v != NULL);
  return v;
}

static int
verify_set(sof_verify_t *v, sof_shredder_set_t const *s, int want) {
  int bad = 0;
  for (unsigned i = 0; i < 32; i++)
    bad += sof_verify_shred(v, s->data[i], 1203, 0, NULL, NULL) != want;
  for (unsigned i = 0; i < 32; i++)
    bad += sof_verify_shred(v, s->code[i], 1228, 0, NULL, NULL) != want;
  return bad;
}

/* The result a single flipped byte must give, with the set already cached. */
static sof_leaders_t const *flip_leaders;

static int
expected_flip(uint8_t const *orig, uint8_t const *flipped, size_t sz, size_t pos) {
  sof_shred_t a, b;
  sof_shred_parse(&a, orig, sz, 0);
  if (sof_shred_parse(&b, flipped, sz, 0)) return SOF_VERIFY_MALFORMED;
  if (pos < 64) return SOF_VERIFY_INVALID_SIGNATURE;
  if (a.is_resigned && pos >= a.retx_sig_off) return SOF_VERIFY_VERIFIED; /* not covered by the root */
  if (b.slot != a.slot && !sof_leaders_get(flip_leaders, b.slot)) return SOF_VERIFY_UNKNOWN_LEADER;
  if (b.slot != a.slot || b.fec_set_idx != a.fec_set_idx) return SOF_VERIFY_INVALID_SIGNATURE;
  return SOF_VERIFY_INVALID_MERKLE; /* leaf or proof: the set's signature, another root */
}

static void
flip_all(sof_verify_t *warm, sof_verify_t *cold, uint8_t const *shred, size_t sz,
         int *bad_warm, int *bad_cold) {
  uint8_t buf[1228];
  for (size_t pos = 0; pos < sz; pos++) {
    memcpy(buf, shred, sz);
    buf[pos] ^= (uint8_t)(1U << (pos % 8));
    int want = expected_flip(shred, buf, sz, pos);
    int got = sof_verify_shred(warm, buf, sz, 0, NULL, NULL);
    if (got != want) {
      if (getenv("SOF_TEST_VERBOSE")) fprintf(stderr, "warm sz %zu pos %zu want %d got %d\n", sz, pos, want, got);
      (*bad_warm)++;
    }
    /* Cold (nothing cached): anything in the signed region or proof fails
     * the signature check; the retransmitter signature is not covered. */
    sof_verify_reset(cold);
    int r = sof_verify_shred(cold, buf, sz, 0, NULL, NULL);
    int want_cold = want == SOF_VERIFY_INVALID_MERKLE ? SOF_VERIFY_INVALID_SIGNATURE : want;
    if (r != want_cold) {
      if (getenv("SOF_TEST_VERBOSE")) fprintf(stderr, "cold sz %zu pos %zu want %d got %d\n", sz, pos, want_cold, r);
      (*bad_cold)++;
    }
  }
}

static void
test_sets(sof_leaders_t *l) {
  long n = make_slot(sets, 100, 70000, 1, kp);
  SOF_CHECK_EQ(n, 3);
  sof_verify_t *v = mk_verifier(l, SOF_VERIFY_POSTURE_PUBLIC_UNTRUSTED, -1);
  SOF_CHECK(sof_verify_enabled(v));
  int bad = 0;
  for (long i = 0; i < n; i++) bad += verify_set(v, &sets[i], SOF_VERIFY_VERIFIED);
  SOF_CHECK_EQ(bad, 0);
  sof_verify_stats_t const *st = sof_verify_stats(v);
  SOF_CHECK_EQ(st->result[SOF_VERIFY_VERIFIED], 3 * 64);
  SOF_CHECK_EQ(st->sig_verifies, 3);          /* once per set */
  SOF_CHECK_EQ(st->sig_cache_hits, 3 * 63);
  SOF_CHECK(st->node_cache_stops >= 3 * 60);  /* later shreds stop early */

  /* the info carries the set's root; duplicates verify again from cache */
  sof_verify_info_t info;
  sof_shred_t s;
  SOF_CHECK_EQ(sof_verify_shred(v, sets[1].data[5], 1203, 0, &s, &info), SOF_VERIFY_VERIFIED);
  SOF_CHECK(info.root_valid && info.cached && !info.conflict);
  SOF_CHECK_MEM(info.root, sets[1].root, 32);
  SOF_CHECK_EQ(s.idx, 32 + 5);
  SOF_CHECK_EQ(st->sig_verifies, 3);

  /* exhaustive single-byte flips: chained data, chained code, resigned data, resigned code */
  sof_verify_t *cold = mk_verifier(l, SOF_VERIFY_POSTURE_PUBLIC_UNTRUSTED, -1);
  int bw = 0, bc = 0;
  flip_leaders = l;
  flip_all(v, cold, sets[0].data[7], 1203, &bw, &bc);
  flip_all(v, cold, sets[0].code[20], 1228, &bw, &bc);
  flip_all(v, cold, sets[2].data[31], 1203, &bw, &bc);
  flip_all(v, cold, sets[2].code[0], 1228, &bw, &bc);
  SOF_CHECK_EQ(bw, 0);
  SOF_CHECK_EQ(bc, 0);
  /* after all that, the real shreds still verify, with no new ed25519 work */
  uint64_t before = st->sig_verifies;
  SOF_CHECK_EQ(verify_set(v, &sets[0], SOF_VERIFY_VERIFIED), 0);
  SOF_CHECK_EQ(st->sig_verifies, before);

  /* a forged set (wrong key) for a cached set: the same content, so the
   * same roots under other signatures: rejected without any ed25519 (the
   * leader's signature over a root is unique) */
  SOF_CHECK_EQ(make_slot(other, 100, 70000, 1, kp_wrong), 3);
  before = st->sig_verifies;
  uint64_t known = st->other_sig_known_root;
  SOF_CHECK_EQ(sof_verify_shred(v, other[0].data[0], 1203, 0, NULL, NULL), SOF_VERIFY_INVALID_SIGNATURE);
  SOF_CHECK_EQ(sof_verify_shred(v, other[0].data[0], 1203, 0, NULL, NULL), SOF_VERIFY_INVALID_SIGNATURE);
  SOF_CHECK_EQ(verify_set(v, &other[1], SOF_VERIFY_INVALID_SIGNATURE), 0);
  SOF_CHECK_EQ(st->sig_verifies, before);
  SOF_CHECK_EQ(st->other_sig_known_root, known + 2 + 64);

  /* equivocation: the same (slot, fec sets) with other content, signed by the leader */
  SOF_CHECK_EQ(make_slot(other, 100, 70000, 9, kp), 3);
  SOF_CHECK_EQ(sof_verify_shred(v, other[0].data[3], 1203, 0, NULL, &info), SOF_VERIFY_VERIFIED);
  SOF_CHECK(info.conflict);
  SOF_CHECK_EQ(st->conflicts, 1);
  SOF_CHECK_EQ(sof_verify_shred(v, other[0].code[3], 1228, 0, NULL, &info), SOF_VERIFY_VERIFIED);
  SOF_CHECK(info.conflict && info.cached);
  SOF_CHECK_EQ(st->conflicts, 1); /* counted once per second root */
  SOF_CHECK_EQ(sof_verify_shred(v, sets[0].code[3], 1228, 0, NULL, &info), SOF_VERIFY_VERIFIED);
  SOF_CHECK(!info.conflict);

  /* a twin: one batch byte changed, re-shredded and signed by the leader.
   * Most of its data shreds equal the original's (same leaves): every one
   * must still verify, under its own root, as a conflict */
  static sof_shredder_set_t twin[SET_MAX];
  SOF_CHECK_EQ(make_slot_flip(twin, 100, 70000, 1, kp, 100), 3);
  int twin_bad = 0, same_leaf = 0, twin_turned = 0;
  for (unsigned i = 0; i < 64; i++) {
    uint8_t const *b = i < 32 ? twin[0].data[i] : twin[0].code[i - 32];
    if (i < 32) same_leaf += !memcmp(b + 64, sets[0].data[i] + 64, 1000);
    int r = sof_verify_shred(v, b, i < 32 ? 1203 : 1228, 0, NULL, &info);
    if (r == SOF_VERIFY_OVER_BUDGET) {
      twin_turned++;
      continue;
    }
    twin_bad += r != SOF_VERIFY_VERIFIED || !info.conflict;
    twin_bad += memcmp(info.root, twin[0].root, 32) != 0;
  }
  SOF_CHECK(same_leaf >= 30);
  SOF_CHECK_EQ(twin_bad, 0);
  /* a third signed version of set 0 (the second is cached): the byte flips
   * above spent the set's conflict budget, so one of its shreds in
   * over_budget_try_every is checked (and found a conflict), the others
   * are turned away: no more than 64 / 8 ed25519 for 64 shreds */
  SOF_CHECK(twin_turned >= 64 - 64 / 8 - 1 && twin_turned < 64);
  SOF_CHECK(st->over_budget_conflict >= (uint64_t)twin_turned);
  /* and the original set still verifies, without conflict */
  SOF_CHECK_EQ(verify_set(v, &sets[0], SOF_VERIFY_VERIFIED), 0);

  sof_verify_delete(cold);
  sof_verify_delete(v);
}

static void
test_leaders_and_postures(void) {
  uint8_t pub[32], pub_wrong[32];
  memcpy(pub, kp + 32, 32);
  memcpy(pub_wrong, kp_wrong + 32, 32);
  sof_leaders_t *l = sof_leaders_new(64, 4);

  /* unknown leader: strict rejects, accept policy lets it in; either way counted */
  sof_verify_t *v = mk_verifier(l, SOF_VERIFY_POSTURE_PUBLIC_UNTRUSTED, -1);
  int r = sof_verify_shred(v, sets[0].data[0], 1203, 0, NULL, NULL);
  SOF_CHECK_EQ(r, SOF_VERIFY_UNKNOWN_LEADER);
  SOF_CHECK(!sof_verify_accepted(v, r));
  sof_verify_delete(v);
  sof_verify_cfg_t cfg;
  sof_verify_cfg_default(&cfg);
  cfg.accept_unknown_leader = 1;
  v = sof_verify_new(&cfg, l, NULL, 0);
  SOF_CHECK(sof_verify_accepted(v, sof_verify_shred(v, sets[0].data[0], 1203, 0, NULL, NULL)));
  SOF_CHECK_EQ(sof_verify_stats(v)->result[SOF_VERIFY_UNKNOWN_LEADER], 1);
  sof_verify_delete(v);

  /* a valid shred under the wrong leader fails */
  SOF_CHECK_EQ(sof_leaders_set(l, 100, pub_wrong), 0);
  v = mk_verifier(l, SOF_VERIFY_POSTURE_PUBLIC_UNTRUSTED, -1);
  SOF_CHECK_EQ(verify_set(v, &sets[0], SOF_VERIFY_INVALID_SIGNATURE), 0);
  sof_verify_delete(v);
  /* the schedule entry wins over the fixed leader; other slots fall back to it */
  SOF_CHECK_EQ(sof_leaders_set_fixed(l, pub), 0);
  SOF_CHECK(sof_leaders_get(l, 100) && !memcmp(sof_leaders_get(l, 100), pub_wrong, 32));
  SOF_CHECK(sof_leaders_get(l, 101) && !memcmp(sof_leaders_get(l, 101), pub, 32));
  SOF_CHECK_EQ(sof_leaders_set(l, 100, pub), 0);

  /* trusted posture skips (still parses); an override turns checks back on */
  v = mk_verifier(l, SOF_VERIFY_POSTURE_TRUSTED_RAW_PROVIDER, -1);
  SOF_CHECK(!sof_verify_enabled(v) && !sof_verify_recovered_enabled(v));
  SOF_CHECK_EQ(verify_set(v, &sets[0], SOF_VERIFY_SKIPPED), 0);
  SOF_CHECK(sof_verify_accepted(v, SOF_VERIFY_SKIPPED));
  uint8_t junk[1203];
  memset(junk, 0xEE, sizeof junk);
  SOF_CHECK_EQ(sof_verify_shred(v, junk, sizeof junk, 0, NULL, NULL), SOF_VERIFY_MALFORMED);
  sof_verify_delete(v);
  v = mk_verifier(l, SOF_VERIFY_POSTURE_TRUSTED_RAW_PROVIDER, 1);
  SOF_CHECK_EQ(verify_set(v, &sets[0], SOF_VERIFY_VERIFIED), 0);
  sof_verify_delete(v);
  SOF_CHECK_EQ(sof_verify_posture_parse("public_untrusted"), SOF_VERIFY_POSTURE_PUBLIC_UNTRUSTED);
  SOF_CHECK_EQ(sof_verify_posture_parse("trusted_raw_shred_provider"), SOF_VERIFY_POSTURE_TRUSTED_RAW_PROVIDER);
  SOF_CHECK_EQ(sof_verify_posture_parse("trusting"), -1);

  /* shred version */
  sof_verify_cfg_default(&cfg);
  cfg.check_version = 1;
  cfg.shred_version = 8;
  v = sof_verify_new(&cfg, l, NULL, 0);
  SOF_CHECK_EQ(sof_verify_shred(v, sets[0].data[0], 1203, 0, NULL, NULL), SOF_VERIFY_WRONG_VERSION);
  sof_verify_delete(v);
  cfg.shred_version = 7;
  v = sof_verify_new(&cfg, l, NULL, 0);
  SOF_CHECK_EQ(sof_verify_shred(v, sets[0].data[0], 1203, 0, NULL, NULL), SOF_VERIFY_VERIFIED);
  sof_verify_delete(v);

  /* bad configs are refused with a message */
  char err[128] = "";
  cfg.posture = 5;
  SOF_CHECK(sof_verify_new(&cfg, l, err, sizeof err) == NULL);
  SOF_CHECK(strstr(err, "posture") != NULL);
  sof_verify_delete(NULL);
  sof_leaders_delete(l);
}

/* Two verifiers sharing signed roots: a set the first checked costs the
 * second no ed25519; forged shreds are still checked by each; a torn
 * record is never accepted (threads rewriting records while others read). */
static void
test_shared(void) {
  sof_leaders_t *l = sof_leaders_new(64, 4);
  sof_leaders_set_fixed(l, kp + 32);
  char err[128];
  SOF_CHECK(sof_verify_shared_new(1000, err, sizeof err) == NULL && strstr(err, "power of two"));
  sof_verify_shared_t *shared = sof_verify_shared_new(1024, err, sizeof err);
  SOF_CHECK(shared != NULL);
  sof_verify_cfg_t cfg;
  sof_verify_cfg_default(&cfg);
  cfg.shared = shared;
  sof_verify_t *a = sof_verify_new(&cfg, l, NULL, 0);
  sof_verify_t *b = sof_verify_new(&cfg, l, NULL, 0);
  static sof_shredder_set_t one[SET_MAX], forged[SET_MAX];
  SOF_CHECK_EQ(make_slot(one, 9, 20000, 5, kp), 1);
  SOF_CHECK_EQ(make_slot(forged, 9, 20000, 5, kp_wrong), 1);
  SOF_CHECK_EQ(verify_set(a, &one[0], SOF_VERIFY_VERIFIED), 0);
  SOF_CHECK_EQ(sof_verify_stats(a)->sig_verifies, 1);
  SOF_CHECK_EQ(verify_set(b, &one[0], SOF_VERIFY_VERIFIED), 0);
  SOF_CHECK_EQ(sof_verify_stats(b)->sig_verifies, 0);
  SOF_CHECK_EQ(sof_verify_stats(b)->shared_hits, 1);
  /* a forgery of the same set (same root, another key's signature):
   * refused by each, without ed25519 */
  SOF_CHECK_EQ(sof_verify_shred(a, forged[0].data[0], 1203, 0, NULL, NULL), SOF_VERIFY_INVALID_SIGNATURE);
  SOF_CHECK_EQ(sof_verify_shred(b, forged[0].data[0], 1203, 0, NULL, NULL), SOF_VERIFY_INVALID_SIGNATURE);
  SOF_CHECK_EQ(sof_verify_stats(b)->sig_verifies, 0);
  SOF_CHECK_EQ(sof_verify_stats(a)->other_sig_known_root, 1);
  SOF_CHECK_EQ(sof_verify_stats(b)->other_sig_known_root, 1);
  /* lookups: exact (slot, fec, root, signature) only */
  uint8_t root[32], sig[64];
  memset(root, 1, 32);
  memset(sig, 2, 64);
  sof_verify_shared_put(shared, 77, 32, root, sig);
  SOF_CHECK(sof_verify_shared_has(shared, 77, 32, root, sig));
  SOF_CHECK(!sof_verify_shared_has(shared, 77, 0, root, sig));
  SOF_CHECK(!sof_verify_shared_has(shared, 78, 32, root, sig));
  sig[63] ^= 1;
  SOF_CHECK(!sof_verify_shared_has(shared, 77, 32, root, sig));
  sof_verify_delete(a);
  sof_verify_delete(b);
  sof_verify_shared_delete(shared);
  sof_leaders_delete(l);
}

/* Writers rewrite a tiny table with records whose root and signature are a
 * function of (slot, fec); readers look up mismatched combinations, which
 * a torn read would be the only way to accept. */
static sof_verify_shared_t *race_tab;
static volatile int race_stop;
static uint64_t race_false;

static void
race_fill(uint64_t slot, uint32_t fec, uint8_t root[32], uint8_t sig[64]) {
  for (unsigned i = 0; i < 32; i++) root[i] = (uint8_t)(slot * 7 + fec + i);
  for (unsigned i = 0; i < 64; i++) sig[i] = (uint8_t)(slot * 13 + fec * 3 + i);
}

static void *
race_writer(void *arg) {
  uint64_t n = (uint64_t)(uintptr_t)arg;
  while (!race_stop) {
    uint8_t root[32], sig[64];
    uint64_t slot = n++ % 64;
    race_fill(slot, 0, root, sig);
    sof_verify_shared_put(race_tab, slot, 0, root, sig);
  }
  return NULL;
}

static void *
race_reader(void *arg) {
  (void)arg;
  uint64_t n = 0, bad = 0;
  for (int i = 0; i < 400000; i++) {
    uint8_t root[32], sig[64];
    uint64_t slot = n++ % 64;
    race_fill(slot, 0, root, sig);
    sig[0] ^= (uint8_t)(1 + (i & 1)); /* never written for this slot */
    bad += (uint64_t)sof_verify_shared_has(race_tab, slot, 0, root, sig);
    race_fill((slot + 1) % 64, 0, root, sig); /* another slot's record */
    bad += (uint64_t)sof_verify_shared_has(race_tab, slot, 0, root, sig);
  }
  __atomic_fetch_add(&race_false, bad, __ATOMIC_RELAXED);
  return NULL;
}

static void
test_shared_race(void) {
  race_tab = sof_verify_shared_new(16, NULL, 0);
  pthread_t w[2], r[2];
  for (int i = 0; i < 2; i++) pthread_create(&w[i], NULL, race_writer, (void *)(uintptr_t)(i * 1000));
  for (int i = 0; i < 2; i++) pthread_create(&r[i], NULL, race_reader, NULL);
  for (int i = 0; i < 2; i++) pthread_join(r[i], NULL);
  race_stop = 1;
  for (int i = 0; i < 2; i++) pthread_join(w[i], NULL);
  SOF_CHECK_EQ(race_false, 0);
  /* and the genuine records are found once writers are done */
  unsigned found = 0;
  for (uint64_t slot = 0; slot < 64; slot++) {
    uint8_t root[32], sig[64];
    race_fill(slot, 0, root, sig);
    found += (unsigned)sof_verify_shared_has(race_tab, slot, 0, root, sig);
  }
  SOF_CHECK(found >= 1 && found <= 16);
  sof_verify_shared_delete(race_tab);
}

static void
test_eviction(void) {
  sof_leaders_t *l = sof_leaders_new(64, 4);
  sof_leaders_set_fixed(l, kp + 32);
  sof_verify_cfg_t cfg;
  sof_verify_cfg_default(&cfg);
  cfg.cache_sets = 4;   /* one bucket of 4 ways */
  cfg.slot_window = 2;
  sof_verify_t *v = sof_verify_new(&cfg, l, NULL, 0);
  static sof_shredder_set_t one[SET_MAX];
  static uint8_t first[1203];
  for (uint64_t slot = 1; slot <= 6; slot++) {
    SOF_CHECK_EQ(make_slot(one, slot, 100, (uint8_t)slot, kp), 1);
    if (slot == 1) memcpy(first, one[0].data[0], 1203);
    SOF_CHECK_EQ(sof_verify_shred(v, one[0].data[0], 1203, 0, NULL, NULL), SOF_VERIFY_VERIFIED);
  }
  sof_verify_stats_t const *st = sof_verify_stats(v);
  SOF_CHECK_EQ(st->evict_expired + st->evict_live, 2);
  SOF_CHECK_EQ(st->evict_expired, 2); /* slots 1, 2 left the window of 2 behind slot 5, 6 */
  /* slot 1 was evicted: verifying it again costs a signature check */
  uint64_t before = st->sig_verifies;
  SOF_CHECK_EQ(sof_verify_shred(v, first, 1203, 0, NULL, NULL), SOF_VERIFY_VERIFIED);
  SOF_CHECK_EQ(st->sig_verifies, before + 1);
  sof_verify_delete(v);
  sof_leaders_delete(l);
}

/* What a sender can make the verifier spend: flipped signatures of a
 * verified set cost no ed25519; altered content of a verified set costs
 * conflict_budget checks and then one in over_budget_try_every; forgeries
 * of an unverified set cost set_fail_budget checks and then one in eight,
 * and the genuine set still gets through; a source that keeps failing is
 * throttled across sets, while another source is not. */
static void
test_budgets(void) {
  sof_leaders_t *l = sof_leaders_new(64, 4);
  sof_leaders_set_fixed(l, kp + 32);
  sof_verify_t *v = mk_verifier(l, SOF_VERIFY_POSTURE_PUBLIC_UNTRUSTED, -1);
  sof_verify_stats_t const *st = sof_verify_stats(v);
  static sof_shredder_set_t good[SET_MAX], forged[SET_MAX];
  SOF_CHECK_EQ(make_slot(good, 300, 20000, 11, kp), 1);
  SOF_CHECK_EQ(make_slot(forged, 300, 20000, 12, kp_wrong), 1);
  SOF_CHECK_EQ(verify_set(v, &good[0], SOF_VERIFY_VERIFIED), 0);
  SOF_CHECK_EQ(st->sig_verifies, 1);

  /* 1. 10,000 single-bit signature flips of genuine shreds: no ed25519 */
  uint8_t buf[1228];
  int wrong = 0;
  for (unsigned k = 0; k < 10000; k++) {
    unsigned i = k % 32;
    memcpy(buf, good[0].data[i], 1203);
    buf[(k / 32) % 64] ^= (uint8_t)(1U << (k % 8));
    wrong += sof_verify_shred(v, buf, 1203, 0, NULL, NULL) != SOF_VERIFY_INVALID_SIGNATURE;
  }
  SOF_CHECK_EQ(wrong, 0);
  SOF_CHECK_EQ(st->sig_verifies, 1);
  SOF_CHECK_EQ(st->other_sig_known_root, 10000);

  /* 2. 1,000 shreds of the verified set with altered content (another
   * root each) under random signatures: 2 checks, then one in 8 */
  uint64_t before = st->sig_verifies;
  uint64_t rng = 7;
  for (unsigned k = 0; k < 1000; k++) {
    memcpy(buf, good[0].data[k % 32], 1203);
    buf[200 + k % 500] ^= 0x55;
    for (unsigned b = 0; b < 64; b++) buf[b] = (uint8_t)(sof_test_rng(&rng) >> 24);
    int r = sof_verify_shred(v, buf, 1203, 0, NULL, NULL);
    wrong += r != SOF_VERIFY_INVALID_SIGNATURE && r != SOF_VERIFY_OVER_BUDGET;
  }
  SOF_CHECK_EQ(wrong, 0);
  uint64_t spent = st->sig_verifies - before;
  SOF_CHECK(spent <= 2 + 1000 / 8);
  SOF_CHECK(spent >= 2 + 1000 / 8 - 2);
  SOF_CHECK(st->over_budget_conflict >= 1000 - spent - 1);

  /* 3. an unverified set (slot 301) reached first by 500 forgeries from
   * one source: 4 checks for the set, then one in 8 ... */
  static sof_shredder_set_t g2[SET_MAX], f2[SET_MAX];
  SOF_CHECK_EQ(make_slot(g2, 301, 20000, 13, kp), 1);
  SOF_CHECK_EQ(make_slot(f2, 301, 20000, 14, kp_wrong), 1);
  before = st->sig_verifies;
  sof_verify_set_source(v, 0x0A000001ULL << 16 | 9000);
  for (unsigned k = 0; k < 500; k++) {
    memcpy(buf, f2[0].data[k % 32], 1203);
    buf[300] ^= (uint8_t)k; /* another root each time: no repeat is cached */
    buf[301] ^= (uint8_t)(k >> 8);
    int r = sof_verify_shred(v, buf, 1203, 0, NULL, NULL);
    wrong += r != SOF_VERIFY_INVALID_SIGNATURE && r != SOF_VERIFY_OVER_BUDGET;
  }
  SOF_CHECK_EQ(wrong, 0);
  spent = st->sig_verifies - before;
  SOF_CHECK(spent <= 4 + 500 / 8 + 1);
  SOF_CHECK(st->over_budget_set > 0);
  /* ... and the genuine set, from the feed's address, still verifies: its
   * (root, signature) seen again on its second shred is checked, so at
   * most its first shred is turned away */
  sof_verify_set_source(v, 0x0A000002ULL << 16 | 8001);
  int turned = 0, ok = 0;
  for (unsigned i = 0; i < 64; i++) {
    int r = sof_verify_shred(v, i < 32 ? g2[0].data[i] : g2[0].code[i - 32], i < 32 ? 1203 : 1228, 0, NULL, NULL);
    turned += r == SOF_VERIFY_OVER_BUDGET;
    ok += r == SOF_VERIFY_VERIFIED;
  }
  SOF_CHECK(turned <= 1);
  SOF_CHECK_EQ(ok + turned, 64);
  SOF_CHECK(st->over_budget_resighted <= 1);

  /* a forger who sends each new (root, signature) on two indices pays two
   * packets per check of that set (past its budget), then the pair is in
   * the rejected cache */
  static sof_shredder_set_t f4[SET_MAX];
  SOF_CHECK_EQ(make_slot(f4, 302, 20000, 16, kp_wrong), 1);
  sof_verify_set_source(v, 0); /* no source budget: the set budget alone */
  for (unsigned k = 0; k < 8; k++) { /* spend the set budget */
    memcpy(buf, f4[0].data[0], 1203);
    buf[400] ^= (uint8_t)(k + 1);
    sof_verify_shred(v, buf, 1203, 0, NULL, NULL);
  }
  before = st->sig_verifies;
  for (unsigned k = 0; k < 400; k++) {
    memcpy(buf, f4[0].data[k % 2], 1203); /* indices 0 and 1: the same root */
    buf[0] ^= (uint8_t)(k / 2 + 1);        /* a new signature every two packets */
    buf[1] ^= (uint8_t)((k / 2) >> 8);
    int r = sof_verify_shred(v, buf, 1203, 0, NULL, NULL);
    wrong += r != SOF_VERIFY_INVALID_SIGNATURE && r != SOF_VERIFY_OVER_BUDGET;
  }
  SOF_CHECK_EQ(wrong, 0);
  spent = st->sig_verifies - before;
  SOF_CHECK(spent <= 400 / 2 + 400 / 8 + 1);

  /* 4. one source forging shreds of many different sets (slots 400..):
   * its budget (32 failures) runs out across sets; another source is not
   * affected */
  static sof_shredder_set_t f3[SET_MAX];
  SOF_CHECK_EQ(make_slot(f3, 400, 20000, 15, kp_wrong), 1);
  sof_verify_set_source(v, 0x0A000003ULL << 16 | 1234);
  before = st->sig_verifies;
  uint64_t src_before = st->over_budget_source;
  for (unsigned k = 0; k < 800; k++) {
    memcpy(buf, f3[0].data[0], 1203);
    uint64_t slot = 400 + k; /* a fresh set each time: the set budget never applies */
    memcpy(buf + 65, &slot, 8);
    int r = sof_verify_shred(v, buf, 1203, 0, NULL, NULL);
    wrong += r != SOF_VERIFY_INVALID_SIGNATURE && r != SOF_VERIFY_OVER_BUDGET;
  }
  SOF_CHECK_EQ(wrong, 0);
  spent = st->sig_verifies - before;
  SOF_CHECK(spent <= 32 + 800 / 8 + 1);
  SOF_CHECK(st->over_budget_source > src_before);
  sof_verify_set_source(v, 0x0A000004ULL << 16 | 1234);
  before = st->sig_verifies;
  memcpy(buf, f3[0].data[1], 1203);
  uint64_t slot = 5000;
  memcpy(buf + 65, &slot, 8);
  SOF_CHECK_EQ(sof_verify_shred(v, buf, 1203, 0, NULL, NULL), SOF_VERIFY_INVALID_SIGNATURE);
  SOF_CHECK_EQ(st->sig_verifies, before + 1); /* a stranger is still checked */

  sof_verify_delete(v);
  sof_leaders_delete(l);
}

static void
test_legacy(void) {
  /* a legacy data shred signed over payload[64, 1228) */
  uint8_t b[1228] = {0};
  b[64] = 0xA5;
  uint64_t slot = 50;
  memcpy(b + 65, &slot, 8);
  uint16_t po = 1, size = 300;
  b[73] = 3;
  memcpy(b + 83, &po, 2);
  b[85] = 0x40;
  memcpy(b + 86, &size, 2);
  for (unsigned i = 88; i < 300; i++) b[i] = (uint8_t)i;
  sof_ed25519_sign(b, b + 64, 1228 - 64, kp);
  sof_leaders_t *l = sof_leaders_new(64, 4);
  sof_leaders_set_fixed(l, kp + 32);
  sof_verify_t *v = mk_verifier(l, SOF_VERIFY_POSTURE_PUBLIC_UNTRUSTED, -1);
  SOF_CHECK_EQ(sof_verify_shred(v, b, 1228, 0, NULL, NULL), SOF_VERIFY_VERIFIED);
  /* the trimmed storage form verifies (zero-padded for the check) */
  SOF_CHECK_EQ(sof_verify_shred(v, b, 300, SOF_SHRED_PARSE_ALLOW_TRIMMED, NULL, NULL), SOF_VERIFY_VERIFIED);
  int bad = 0, flips = 0;
  uint64_t before = sof_verify_stats(v)->sig_verifies;
  for (unsigned pos = 0; pos < 1228; pos += 7) {
    b[pos] ^= 0x10;
    int r = sof_verify_shred(v, b, 1228, 0, NULL, NULL);
    bad += r != SOF_VERIFY_INVALID_SIGNATURE && r != SOF_VERIFY_MALFORMED && r != SOF_VERIFY_OVER_BUDGET;
    flips += r != SOF_VERIFY_MALFORMED;
    b[pos] ^= 0x10;
  }
  SOF_CHECK_EQ(bad, 0);
  /* every flip is a failed check of (slot 50, fec 0), or of the slot a
   * flip in the slot bytes names: 4 each, then one in 8 */
  uint64_t spent = sof_verify_stats(v)->sig_verifies - before;
  if (spent > 2 * 4 + (uint64_t)flips / 8 + 2)
    fprintf(stderr, "legacy flips: %llu ed25519 for %d flips\n", (unsigned long long)spent, flips);
  SOF_CHECK(spent <= 2 * 4 + (uint64_t)flips / 8 + 2);
  SOF_CHECK(sof_verify_stats(v)->over_budget_set > 0);
  sof_verify_delete(v);
  sof_leaders_delete(l);
}

static void
test_schedule_files(void) {
  sof_leaders_t *l = sof_leaders_new(1024, 2);
  char a[SOF_BASE58_ENCODED_32_MAX], b[SOF_BASE58_ENCODED_32_MAX], c[SOF_BASE58_ENCODED_32_MAX];
  uint8_t third[32];
  memset(third, 0x33, 32);
  sof_base58_encode_32(kp + 32, a);
  sof_base58_encode_32(kp_wrong + 32, b);
  sof_base58_encode_32(third, c);
  char json[512], err[256];
  snprintf(json, sizeof json, "{\"%s\": [0, 1, 2, 3], \"%s\": [4, 5]}", a, b);
  SOF_CHECK_EQ(sof_leaders_load_json_buf(l, json, strlen(json), 1000, err, sizeof err), 6);
  SOF_CHECK(sof_leaders_get(l, 1003) && !memcmp(sof_leaders_get(l, 1003), kp + 32, 32));
  SOF_CHECK(sof_leaders_get(l, 1005) && !memcmp(sof_leaders_get(l, 1005), kp_wrong + 32, 32));
  SOF_CHECK(sof_leaders_get(l, 1006) == NULL);
  SOF_CHECK(sof_leaders_get(l, 999) == NULL);
  SOF_CHECK_EQ(sof_leaders_key_cnt(l), 2);
  /* the full RPC response shape */
  snprintf(json, sizeof json, "{\"jsonrpc\":\"2.0\",\"result\":{\"%s\":[10]},\"id\":1}", b);
  SOF_CHECK_EQ(sof_leaders_load_json_buf(l, json, strlen(json), 1000, err, sizeof err), 1);
  SOF_CHECK(!memcmp(sof_leaders_get(l, 1010), kp_wrong + 32, 32));
  /* errors name the bad entry */
  SOF_CHECK_EQ(sof_leaders_load_json_buf(l, "{\"nope\": [1]}", 13, 0, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "nope") && strstr(err, "base58"));
  snprintf(json, sizeof json, "{\"%s\": [1, -2]}", a);
  SOF_CHECK_EQ(sof_leaders_load_json_buf(l, json, strlen(json), 0, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "[1]") != NULL);
  SOF_CHECK_EQ(sof_leaders_load_json_buf(l, "[1,2]", 5, 0, err, sizeof err), -1);
  SOF_CHECK_EQ(sof_leaders_load_json_buf(l, "{\"a\":", 5, 0, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "line 1") != NULL);
  snprintf(json, sizeof json, "{\"%s\": [7]}", c); /* a third key: the table holds 2 */
  SOF_CHECK_EQ(sof_leaders_load_json_buf(l, json, strlen(json), 0, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "leaders") != NULL);

  /* text lists */
  char text[512];
  snprintf(text, sizeof text, "# slot leader\n2000 %s\n\n2001\t%s  # trailing comment\n", a, b);
  SOF_CHECK_EQ(sof_leaders_load_text_buf(l, text, strlen(text), err, sizeof err), 2);
  SOF_CHECK(!memcmp(sof_leaders_get(l, 2001), kp_wrong + 32, 32));
  snprintf(text, sizeof text, "2000 %s\nabc %s\n", a, a);
  SOF_CHECK_EQ(sof_leaders_load_text_buf(l, text, strlen(text), err, sizeof err), -1);
  SOF_CHECK(strstr(err, "line 2") != NULL);
  snprintf(text, sizeof text, "2000 %s extra\n", a);
  SOF_CHECK_EQ(sof_leaders_load_text_buf(l, text, strlen(text), err, sizeof err), -1);
  /* the table holds a window of 1024 slots: an old slot is forgotten */
  SOF_CHECK_EQ(sof_leaders_set(l, 2000 + 1024, kp + 32), 0);
  SOF_CHECK(sof_leaders_get(l, 2000) == NULL);
  SOF_CHECK(sof_leaders_new(0, 1) == NULL);
  sof_leaders_delete(l);
}

/* ---- sof_verify_shreds and sof_verify_shred_root against sof_verify_shred --

 * Streams drawn from a pool of good shreds of several slots (sets cached,
 * evicted and seen again), a second signed version of one slot's sets
 * (conflicts), a forged version (wrong key), a slot without a leader, a
 * slot with another shred version, legacy shreds (whole and trimmed), and
 * random damage: a flipped bit anywhere, a truncated payload, a longer one
 * with junk after the shred. One verifier takes the stream one
 * sof_verify_shred call at a time, a twin in bursts of random size through
 * sof_verify_shreds: every result, descriptor, info and the counters after
 * every burst must be equal. A third takes merkle shreds through
 * sof_verify_shred_root with the shred's own root: the same results. */

#define POOL_SLOTS 8U
#define ITEM_SZ    1300U
static sof_shredder_set_t pool[POOL_SLOTS + 2][SET_MAX];
static long pool_sets[POOL_SLOTS + 2];
static uint8_t legacy_shred[2][1228];

static long
make_slot_v(sof_shredder_set_t *out, uint64_t slot, uint8_t seed, uint8_t const *key, uint16_t version) {
  for (size_t i = 0; i < 70000; i++) batch[i] = (uint8_t)(i * 29 + seed);
  sof_shredder_args_t a = {.slot = slot, .parent_slot = slot - 1, .data_idx = 0, .shred_version = version,
                           .reference_tick = 1, .last_in_slot = 1, .keypair = key};
  uint8_t chained[32] = {seed};
  return sof_shredder_shred(&sh, &a, batch, 70000, chained, out, SET_MAX);
}

static uint64_t brng;

static uint32_t
rnd(uint32_t n) {
  brng = brng * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t)((brng >> 33) % n);
}

/* One stream item into item (ITEM_SZ bytes): returns its size; *flags its
 * parse flags. */
static size_t
draw(uint8_t *item, unsigned *flags) {
  *flags = 0;
  uint8_t const *src;
  size_t sz;
  uint32_t pick = rnd(100);
  if (pick < 2) { /* legacy, whole or trimmed */
    src = legacy_shred[rnd(2)];
    sz = 1228;
    if (rnd(2)) {
      sz = 300;
      *flags = SOF_SHRED_PARSE_ALLOW_TRIMMED;
    }
  } else {
    /* slots 0..POOL_SLOTS-1 good; POOL_SLOTS: second version of slot 3;
     * POOL_SLOTS + 1: forged version of slot 4 */
    uint32_t sl = pick < 90 ? rnd(POOL_SLOTS) : pick < 95 ? POOL_SLOTS : POOL_SLOTS + 1;
    sof_shredder_set_t const *set = &pool[sl][rnd((uint32_t)pool_sets[sl])];
    uint32_t i = rnd(64);
    src = i < 32 ? set->data[i] : set->code[i - 32];
    sz = i < 32 ? 1203 : 1228;
  }
  memcpy(item, src, sz);
  memset(item + sz, 0, ITEM_SZ - sz);
  uint32_t dmg = rnd(100);
  if (dmg < 8) {
    size_t pos = rnd((uint32_t)sz);
    item[pos] ^= (uint8_t)(1U << rnd(8));
  } else if (dmg < 10) {
    sz = rnd((uint32_t)sz);
  } else if (dmg < 12) {
    size_t more = rnd(ITEM_SZ - (uint32_t)sz);
    for (size_t j = 0; j < more; j++) item[sz + j] = (uint8_t)rnd(256);
    sz += more;
  }
  return sz;
}

static int
stats_equal(sof_verify_stats_t const *a, sof_verify_stats_t const *b) {
  return !memcmp(a, b, sizeof *a);
}

/* The stream through three verifiers of config cfg. */
static void
batch_stream(sof_verify_cfg_t const *cfg, sof_leaders_t const *l, unsigned items, uint64_t seed, int *bad) {
  sof_verify_t *one = sof_verify_new(cfg, l, NULL, 0), *burst = sof_verify_new(cfg, l, NULL, 0);
  sof_verify_t *rooted = sof_verify_new(cfg, l, NULL, 0);
  SOF_CHECK(one && burst && rooted);
  if (!one || !burst || !rooted) return;
  static uint8_t arena[48][ITEM_SZ];
  void const *bufs[48];
  size_t szs[48];
  unsigned flags[48];
  sof_shred_t s1[48], s2[48];
  sof_verify_info_t i1[48], i2[48];
  int r1[48], r2[48];
  brng = seed;
  unsigned done = 0, bursts = 0, conflicts = 0, evictions = 0;
  while (done < items) {
    unsigned n = rnd(48) + (rnd(4) ? 0 : 1); /* 0..48 */
    unsigned f = rnd(8) ? 0 : SOF_SHRED_PARSE_ALLOW_TRIMMED;
    for (unsigned i = 0; i < n; i++) {
      szs[i] = draw(arena[i], &flags[i]);
      bufs[i] = arena[i];
    }
    /* one parse_flags per burst: items drawn trimmed need it, the rest do not care */
    for (unsigned i = 0; i < n; i++) f |= flags[i];
    memset(s1, 0xA5, sizeof s1);
    memset(s2, 0xA5, sizeof s2);
    memset(i1, 0x5A, sizeof i1);
    memset(i2, 0x5A, sizeof i2);
    size_t acc1 = 0;
    for (unsigned i = 0; i < n; i++) {
      r1[i] = sof_verify_shred(one, bufs[i], szs[i], f, &s1[i], &i1[i]);
      acc1 += (size_t)sof_verify_accepted(one, r1[i]);
    }
    /* alternately with and without the optional arrays */
    size_t acc2;
    if (bursts & 1) {
      acc2 = sof_verify_shreds(burst, bufs, szs, n, f, s2, r2, i2);
      for (unsigned i = 0; i < n; i++) {
        int same = r1[i] == r2[i] && !memcmp(&s1[i], &s2[i], sizeof s1[i]) && !memcmp(&i1[i], &i2[i], sizeof i1[i]);
        if (!same && getenv("SOF_TEST_VERBOSE"))
          fprintf(stderr, "burst %u item %u: one %d burst %d\n", bursts, i, r1[i], r2[i]);
        *bad += !same;
      }
    } else {
      acc2 = sof_verify_shreds(burst, bufs, szs, n, f, NULL, r2, NULL);
      for (unsigned i = 0; i < n; i++) *bad += r1[i] != r2[i];
    }
    *bad += acc1 != acc2;
    *bad += !stats_equal(sof_verify_stats(one), sof_verify_stats(burst));
    /* the rooted twin: merkle shreds that parse take their own root */
    for (unsigned i = 0; i < n; i++) {
      sof_shred_t s;
      sof_verify_info_t info;
      uint8_t root[32];
      int r;
      if (!sof_shred_parse(&s, bufs[i], szs[i], f) && s.is_merkle && !sof_shred_merkle_root(root, bufs[i], &s)) {
        r = sof_verify_shred_root(rooted, bufs[i], szs[i], f, root, &s, &info);
        *bad += i1[i].root_valid != info.root_valid || info.leaf_valid ||
                (info.root_valid && memcmp(i1[i].root, info.root, 32));
      } else {
        r = sof_verify_shred(rooted, bufs[i], szs[i], f, &s, &info);
        *bad += info.root_valid != i1[i].root_valid || memcmp(info.root, i1[i].root, 32);
      }
      *bad += r != r1[i] || info.conflict != i1[i].conflict || info.cached != i1[i].cached ||
              info.parse_err != i1[i].parse_err;
    }
    sof_verify_stats_t const *a = sof_verify_stats(one), *c = sof_verify_stats(rooted);
    *bad += memcmp(a->result, c->result, sizeof a->result) != 0 || a->sig_verifies != c->sig_verifies ||
            a->sig_cache_hits != c->sig_cache_hits || a->conflicts != c->conflicts ||
            a->bad_cache_hits != c->bad_cache_hits || a->evict_live != c->evict_live ||
            a->evict_expired != c->evict_expired;
    done += n;
    bursts++;
  }
  sof_verify_stats_t const *st = sof_verify_stats(one);
  conflicts = (unsigned)st->conflicts;
  evictions = (unsigned)(st->evict_live + st->evict_expired);
  if (getenv("SOF_TEST_VERBOSE"))
    fprintf(stderr, "stream: %u shreds %u bursts: verified %llu merkle %llu sig %llu malformed %llu unknown %llu "
                    "version %llu skipped %llu; ed25519 %llu conflicts %u evictions %u root_given %llu\n",
            done, bursts, (unsigned long long)st->result[SOF_VERIFY_VERIFIED],
            (unsigned long long)st->result[SOF_VERIFY_INVALID_MERKLE],
            (unsigned long long)st->result[SOF_VERIFY_INVALID_SIGNATURE],
            (unsigned long long)st->result[SOF_VERIFY_MALFORMED],
            (unsigned long long)st->result[SOF_VERIFY_UNKNOWN_LEADER],
            (unsigned long long)st->result[SOF_VERIFY_WRONG_VERSION],
            (unsigned long long)st->result[SOF_VERIFY_SKIPPED], (unsigned long long)st->sig_verifies,
            conflicts, evictions, (unsigned long long)sof_verify_stats(rooted)->root_given);
  /* the streams must exercise what they claim to */
  if (sof_verify_enabled(one)) {
    SOF_CHECK(st->result[SOF_VERIFY_VERIFIED] > 0 && st->result[SOF_VERIFY_INVALID_MERKLE] > 0 &&
              st->result[SOF_VERIFY_INVALID_SIGNATURE] > 0 && st->result[SOF_VERIFY_MALFORMED] > 0);
    SOF_CHECK(conflicts > 0);
    SOF_CHECK(sof_verify_stats(rooted)->root_given > 0);
  }
  sof_verify_delete(one);
  sof_verify_delete(burst);
  sof_verify_delete(rooted);
}

static void
test_batch(void) {
  sof_leaders_t *l = sof_leaders_new(1024, 4);
  for (unsigned k = 0; k < POOL_SLOTS; k++) {
    uint64_t slot = 300 + k;
    if (k != 5) SOF_CHECK_EQ(sof_leaders_set(l, slot, kp + 32), 0); /* slot 305: no leader */
    pool_sets[k] = make_slot_v(pool[k], slot, (uint8_t)(k + 1), kp, k == 6 ? 8 : 7);
    SOF_CHECK_EQ(pool_sets[k], 3);
  }
  pool_sets[POOL_SLOTS] = make_slot_v(pool[POOL_SLOTS], 303, 99, kp, 7);           /* equivocation */
  pool_sets[POOL_SLOTS + 1] = make_slot_v(pool[POOL_SLOTS + 1], 304, 5, kp_wrong, 7); /* forgery */
  SOF_CHECK_EQ(sof_leaders_set(l, 50, kp + 32), 0);
  for (unsigned j = 0; j < 2; j++) { /* legacy data shreds of slot 50, one with a bad signature */
    uint8_t *b = legacy_shred[j];
    memset(b, 0, 1228);
    b[64] = 0xA5;
    uint64_t slot = 50;
    memcpy(b + 65, &slot, 8);
    uint16_t po = 1, size = 300;
    b[73] = (uint8_t)(3 + j);
    memcpy(b + 83, &po, 2);
    memcpy(b + 86, &size, 2);
    for (unsigned i = 88; i < 300; i++) b[i] = (uint8_t)(i + j);
    sof_ed25519_sign(b, b + 64, 1228 - 64, j ? kp_wrong : kp);
  }

  sof_verify_cfg_t cfg;
  int bad = 0;
  sof_verify_cfg_default(&cfg);                       /* big cache */
  batch_stream(&cfg, l, 3000, 1, &bad);
  SOF_CHECK_EQ(bad, 0);
  cfg.cache_sets = 4;                                 /* one bucket: evictions all along */
  cfg.slot_window = 2;
  bad = 0;
  batch_stream(&cfg, l, 3000, 2, &bad);
  SOF_CHECK_EQ(bad, 0);
  sof_verify_cfg_default(&cfg);                       /* version check, unknown leaders accepted */
  cfg.check_version = 1;
  cfg.shred_version = 7;
  cfg.accept_unknown_leader = 1;
  cfg.cache_sets = 8;
  bad = 0;
  batch_stream(&cfg, l, 2000, 3, &bad);
  SOF_CHECK_EQ(bad, 0);
  sof_verify_cfg_default(&cfg);                       /* trusted: skipped */
  cfg.posture = SOF_VERIFY_POSTURE_TRUSTED_RAW_PROVIDER;
  bad = 0;
  batch_stream(&cfg, l, 1000, 4, &bad);
  SOF_CHECK_EQ(bad, 0);
  cfg.verify_shreds = 1;                              /* trusted with verification forced on */
  bad = 0;
  batch_stream(&cfg, l, 1000, 5, &bad);
  SOF_CHECK_EQ(bad, 0);

  /* n == 0, and one whole set in one call: one ed25519, the rest cached */
  sof_verify_cfg_default(&cfg);
  sof_verify_t *v = sof_verify_new(&cfg, l, NULL, 0);
  int res[64];
  void const *bufs[64];
  size_t szs[64];
  SOF_CHECK_EQ(sof_verify_shreds(v, bufs, szs, 0, 0, NULL, res, NULL), 0);
  for (unsigned i = 0; i < 64; i++) {
    bufs[i] = i < 32 ? pool[0][0].data[i] : pool[0][0].code[i - 32];
    szs[i] = i < 32 ? 1203 : 1228;
  }
  SOF_CHECK_EQ(sof_verify_shreds(v, bufs, szs, 64, 0, NULL, res, NULL), 64);
  SOF_CHECK_EQ(sof_verify_stats(v)->sig_verifies, 1);
  SOF_CHECK_EQ(sof_verify_stats(v)->sig_cache_hits, 63);
  /* rooted: a wrong root for a cached set's signature is invalid_merkle,
   * the right one verified from the cache; counted */
  uint8_t root[32];
  memcpy(root, pool[0][0].root, 32);
  SOF_CHECK_EQ(sof_verify_shred_root(v, pool[0][0].data[3], 1203, 0, root, NULL, NULL), SOF_VERIFY_VERIFIED);
  root[0] ^= 1;
  SOF_CHECK_EQ(sof_verify_shred_root(v, pool[0][0].data[3], 1203, 0, root, NULL, NULL), SOF_VERIFY_INVALID_MERKLE);
  SOF_CHECK_EQ(sof_verify_stats(v)->root_given, 2);
  SOF_CHECK_EQ(sof_verify_stats(v)->sig_verifies, 1);
  sof_verify_delete(v);
  sof_leaders_delete(l);
}

/* Prepared leader keys: a leader's first valid signature is checked by
 * libsodium and prepares its key; later ones use the table. A forged
 * signature never prepares a key, and is rejected on the prepared path
 * too. Four keys are kept, the least recently used replaced. */
static void
test_prepared_keys(void) {
  enum { LEADERS = 6 };
  static uint8_t keys[LEADERS][64];
  sof_leaders_t *l = sof_leaders_new(1024, 16);
  for (int i = 0; i < LEADERS; i++) {
    uint8_t seed[32];
    memset(seed, 0x60 + i, 32);
    sof_ed25519_keypair_from_seed(keys[i], seed);
    SOF_CHECK_EQ(sof_leaders_set(l, 200 + (uint64_t)i, keys[i] + 32), 0);
  }
  SOF_CHECK_EQ(sof_leaders_set(l, 210, keys[0] + 32), 0);
  sof_verify_t *v = mk_verifier(l, SOF_VERIFY_POSTURE_PUBLIC_UNTRUSTED, -1);
  sof_verify_stats_t const *st = sof_verify_stats(v);

  /* a forged set first: rejected, nothing prepared */
  SOF_CHECK_EQ(make_slot(other, 200, 20000, 3, kp_wrong), 1);
  SOF_CHECK_EQ(sof_verify_shred(v, other[0].data[0], 1203, 0, NULL, NULL), SOF_VERIFY_INVALID_SIGNATURE);
  SOF_CHECK_EQ(st->key_prepares, 0);
  SOF_CHECK_EQ(st->sig_prepared, 0);

  SOF_CHECK_EQ(make_slot(sets, 200, 20000, 4, keys[0]), 1);
  SOF_CHECK_EQ(verify_set(v, &sets[0], SOF_VERIFY_VERIFIED), 0);
  SOF_CHECK_EQ(st->key_prepares, 1);
  SOF_CHECK_EQ(st->sig_prepared, 0);      /* the first one: libsodium */
  SOF_CHECK_EQ(make_slot(sets, 210, 20000, 5, keys[0]), 1);
  SOF_CHECK_EQ(verify_set(v, &sets[0], SOF_VERIFY_VERIFIED), 0);
  SOF_CHECK_EQ(st->key_prepares, 1);
  SOF_CHECK_EQ(st->sig_prepared, 1);      /* the leader's second set: the table */
  SOF_CHECK_EQ(st->sig_verifies, 3);

  /* forged for the prepared leader: the prepared path rejects it */
  SOF_CHECK_EQ(make_slot(other, 210, 20000, 6, kp_wrong), 1);
  SOF_CHECK_EQ(sof_verify_shred(v, other[0].code[3], 1228, 0, NULL, NULL), SOF_VERIFY_INVALID_SIGNATURE);
  SOF_CHECK_EQ(st->sig_prepared, 2);
  SOF_CHECK_EQ(st->key_prepares, 1);

  /* five more leaders: four slots, leader 0 (least recently used) replaced */
  for (int i = 1; i < LEADERS; i++) {
    SOF_CHECK_EQ(make_slot(sets, 200 + (uint64_t)i, 20000, (uint8_t)(7 + i), keys[i]), 1);
    SOF_CHECK_EQ(verify_set(v, &sets[0], SOF_VERIFY_VERIFIED), 0);
  }
  SOF_CHECK_EQ(st->key_prepares, 6);
  SOF_CHECK_EQ(st->sig_prepared, 2);
  SOF_CHECK_EQ(make_slot(sets, 210, 20000, 20, keys[0]), 1); /* another root for set 0 of slot 210 */
  SOF_CHECK_EQ(sof_verify_shred(v, sets[0].data[1], 1203, 0, NULL, NULL), SOF_VERIFY_VERIFIED);
  SOF_CHECK_EQ(st->key_prepares, 7);      /* leader 0 prepared again */
  SOF_CHECK_EQ(st->sig_prepared, 2);
  SOF_CHECK_EQ(make_slot(sets, 205, 20000, 21, keys[5]), 1); /* leader 5: still prepared */
  SOF_CHECK_EQ(sof_verify_shred(v, sets[0].data[2], 1203, 0, NULL, NULL), SOF_VERIFY_VERIFIED);
  SOF_CHECK_EQ(st->sig_prepared, 3);
  SOF_CHECK_EQ(st->key_prepares, 7);
  sof_verify_delete(v);
  sof_leaders_delete(l);
}

/* Keys prepared ahead from the schedule, in idle steps: leader A signs
 * slots 300-303, B 304-307, C 308-311, and an invalid key (a small-order
 * point) is named for 312. */
static void
test_prepare_ahead(void) {
  static uint8_t ka[64], kb[64], kc[64];
  uint8_t seed[32];
  memset(seed, 0x71, 32);
  sof_ed25519_keypair_from_seed(ka, seed);
  memset(seed, 0x72, 32);
  sof_ed25519_keypair_from_seed(kb, seed);
  memset(seed, 0x73, 32);
  sof_ed25519_keypair_from_seed(kc, seed);
  uint8_t small_order[32] = {1}; /* the identity: libsodium rejects it as a key */
  sof_leaders_t *l = sof_leaders_new(1024, 16);
  for (uint64_t s = 300; s < 312; s++)
    SOF_CHECK_EQ(sof_leaders_set(l, s, (s < 304 ? ka : s < 308 ? kb : kc) + 32), 0);
  SOF_CHECK_EQ(sof_leaders_set(l, 312, small_order), 0);
  sof_verify_cfg_t cfg;
  sof_verify_cfg_default(&cfg);
  sof_verify_t *off = sof_verify_new(&cfg, l, NULL, 0);
  cfg.prepare_ahead = 4;
  sof_verify_t *v = sof_verify_new(&cfg, l, NULL, 0);
  SOF_CHECK(v && off);
  sof_verify_stats_t const *st = sof_verify_stats(v);

  /* nothing verified yet: slots 1..4 have no leader, nothing to do */
  SOF_CHECK_EQ(sof_verify_prepare_ahead(v), 0);
  SOF_CHECK_EQ(sof_verify_prepare_ahead(off), 0);
  /* A's first set: libsodium, then A prepared at once */
  SOF_CHECK_EQ(make_slot(sets, 301, 20000, 40, ka), 1);
  SOF_CHECK_EQ(verify_set(v, &sets[0], SOF_VERIFY_VERIFIED), 0);
  SOF_CHECK_EQ(verify_set(off, &sets[0], SOF_VERIFY_VERIFIED), 0);
  SOF_CHECK_EQ(st->key_prepares, 1);
  /* slots 302-305 are ahead: B (304) gets prepared in steps, bounded */
  unsigned steps = 0;
  while (sof_verify_prepare_ahead(v) && steps < 1000) steps++;
  SOF_CHECK(steps >= 20 && steps < 100);
  SOF_CHECK_EQ(st->key_prepares, 2);
  SOF_CHECK_EQ(st->keys_prepared_ahead, 1);
  SOF_CHECK_EQ(sof_verify_prepare_ahead(v), 0); /* nothing more due */
  SOF_CHECK_EQ(sof_verify_prepare_ahead(off), 0); /* switched off */
  /* B's first set takes the prepared path: no libsodium, no preparation */
  uint64_t before = st->sig_prepared;
  SOF_CHECK_EQ(make_slot(sets, 304, 20000, 41, kb), 1);
  SOF_CHECK_EQ(verify_set(v, &sets[0], SOF_VERIFY_VERIFIED), 0);
  SOF_CHECK_EQ(st->sig_prepared, before + 1);
  SOF_CHECK_EQ(st->key_prepares, 2);
  /* a forgery under B's slot is rejected by the prepared key */
  SOF_CHECK_EQ(make_slot(other, 305, 20000, 42, kc), 1);
  SOF_CHECK_EQ(sof_verify_shred(v, other[0].data[0], 1203, 0, NULL, NULL), SOF_VERIFY_INVALID_SIGNATURE);
  /* C (308) is due now: a few steps, then C's first shred comes while the
   * preparation is under way: it is finished at once, not restarted */
  SOF_CHECK_EQ(sof_verify_prepare_ahead(v), 1);
  SOF_CHECK_EQ(sof_verify_prepare_ahead(v), 1);
  SOF_CHECK_EQ(make_slot(sets, 308, 20000, 43, kc), 1);
  SOF_CHECK_EQ(verify_set(v, &sets[0], SOF_VERIFY_VERIFIED), 0);
  SOF_CHECK_EQ(st->key_prepares, 3);
  SOF_CHECK_EQ(st->keys_prepared_ahead, 2);
  SOF_CHECK_EQ(st->sig_prepared, before + 3); /* B's set, the forgery, C's set */
  /* the key named for 312 cannot be prepared: tried once, never again */
  SOF_CHECK_EQ(sof_verify_prepare_ahead(v), 0);
  SOF_CHECK_EQ(st->key_prepares, 3);
  SOF_CHECK_EQ(make_slot(sets, 309, 20000, 44, kc), 1);
  SOF_CHECK_EQ(verify_set(v, &sets[0], SOF_VERIFY_VERIFIED), 0);
  SOF_CHECK_EQ(sof_verify_prepare_ahead(v), 0);
  /* the verifier without lookahead gave the same verdicts the slow way */
  SOF_CHECK_EQ(make_slot(sets, 304, 20000, 41, kb), 1);
  SOF_CHECK_EQ(verify_set(off, &sets[0], SOF_VERIFY_VERIFIED), 0);
  SOF_CHECK_EQ(sof_verify_stats(off)->keys_prepared_ahead, 0);
  SOF_CHECK_EQ(sof_verify_stats(off)->key_prepares, 2);
  sof_verify_delete(v);
  sof_verify_delete(off);
  sof_leaders_delete(l);
}

int
main(void) {
  SOF_CHECK_EQ(sof_ed25519_init(), 0);
  SOF_CHECK_EQ(sof_shredder_init(&sh), 0);
  uint8_t seed[32];
  memset(seed, 0x42, 32);
  sof_ed25519_keypair_from_seed(kp, seed);
  memset(seed, 0x43, 32);
  sof_ed25519_keypair_from_seed(kp_wrong, seed);

  sof_leaders_t *l = sof_leaders_new(1024, 16);
  SOF_CHECK_EQ(sof_leaders_set(l, 100, kp + 32), 0);
  test_sets(l);
  sof_leaders_delete(l);
  test_leaders_and_postures();
  test_eviction();
  test_shared();
  test_shared_race();
  test_legacy();
  test_budgets();
  test_schedule_files();
  test_batch();
  test_prepared_keys();
  test_prepare_ahead();
  return sof_test_done("verify");
}
