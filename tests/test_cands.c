/* Learned-leader candidates published at run time (verify/sof_cands.h) and
 * taken by the verifier (sof_verify_cfg_t.cands_pub):
 * - publish / read: generations, the set read is the one published, a set
 *   longer than the capacity is cut;
 * - a writer publishing without pause while a reader copies: every copy
 *   the reader accepts is one whole published set (torn ones are reported,
 *   never returned);
 * - a verifier started without a leader's key rejects that leader's slot
 *   (unknown_leader, the slot given up); once a set holding the key is
 *   published, the same shreds and a new slot of that leader verify (the
 *   given-up slot reopened, counted); once the key is withdrawn, a new
 *   slot of it is unknown_leader again, another leader's still verifies. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "sof_test.h"

#include "crypto/sof_ed25519.h"
#include "shredder/sof_shredder.h"
#include "verify/sof_cands.h"
#include "verify/sof_leaders.h"
#include "verify/sof_verify.h"

static sof_shredder_t sh;
static uint8_t batch[4000];

static void
key_of(uint8_t out[32], uint32_t i) {
  memset(out, 0, 32);
  memcpy(out, &i, 4);
  out[31] = 0xA5;
}

static void
test_publish_read(void) {
  SOF_CHECK(sof_cands_new(0) == NULL);
  SOF_CHECK(sof_cands_new((1U << 22) + 1) == NULL);
  sof_cands_t *c = sof_cands_new(4);
  SOF_CHECK(c != NULL);
  SOF_CHECK_EQ(sof_cands_capacity(c), 4);
  SOF_CHECK_EQ(sof_cands_gen(c), 0);
  uint8_t out[4][32], keys[6][32];
  uint32_t cnt = 99;
  uint64_t gen = 99;
  int32_t ver = 99;
  SOF_CHECK_EQ(sof_cands_read(c, out, &cnt, &ver, &gen), 0); /* nothing published: the empty set */
  SOF_CHECK_EQ(cnt, 0);
  SOF_CHECK_EQ(gen, 0);
  SOF_CHECK_EQ(ver, -1);
  for (uint32_t i = 0; i < 6; i++) key_of(keys[i], i);
  SOF_CHECK_EQ(sof_cands_publish(c, (uint8_t const(*)[32])keys, 3, 7), 3);
  SOF_CHECK_EQ(sof_cands_gen(c), 1);
  SOF_CHECK_EQ(sof_cands_read(c, out, &cnt, &ver, &gen), 0);
  SOF_CHECK_EQ(cnt, 3);
  SOF_CHECK_EQ(gen, 1);
  SOF_CHECK_EQ(ver, 7);
  SOF_CHECK_MEM(out, keys, 3 * 32);
  /* longer than the capacity: cut */
  SOF_CHECK_EQ(sof_cands_publish(c, (uint8_t const(*)[32])keys + 1, 5, -1), 4);
  SOF_CHECK_EQ(sof_cands_read(c, out, &cnt, &ver, &gen), 0);
  SOF_CHECK_EQ(cnt, 4);
  SOF_CHECK_EQ(gen, 2);
  SOF_CHECK_EQ(ver, -1);
  SOF_CHECK_MEM(out, keys[1], 4 * 32);
  /* empty */
  SOF_CHECK_EQ(sof_cands_publish(c, NULL, 0, 9), 0);
  SOF_CHECK_EQ(sof_cands_read(c, out, &cnt, &ver, &gen), 0);
  SOF_CHECK_EQ(cnt, 0);
  SOF_CHECK_EQ(gen, 3);
  SOF_CHECK_EQ(ver, 9);
  sof_cands_delete(c);
  sof_cands_delete(NULL);
}

/* One writer publishing sets whose keys all carry the set's number; a
 * reader checks every copy it accepts is one whole set. */
#define RACE_CAP 512U
static sof_cands_t *race_c;
static atomic_int race_stop;

static void *
race_writer(void *arg) {
  (void)arg;
  static uint8_t keys[RACE_CAP][32];
  for (uint32_t round = 1; !atomic_load(&race_stop); round++) {
    uint32_t n = 1 + round % RACE_CAP;
    for (uint32_t i = 0; i < n; i++) {
      memset(keys[i], (int)(round & 0xFF), 32);
      memcpy(keys[i], &round, 4);
      memcpy(keys[i] + 28, &n, 4);
    }
    sof_cands_publish(race_c, (uint8_t const(*)[32])keys, n, (int32_t)(n & 0xFFFF));
  }
  return NULL;
}

static void
test_race(void) {
  race_c = sof_cands_new(RACE_CAP);
  pthread_t t;
  pthread_create(&t, NULL, race_writer, NULL);
  static uint8_t out[RACE_CAP][32];
  uint64_t ok = 0, torn = 0, bad = 0, last_gen = 0, gen_back = 0;
  for (int i = 0; i < 200000 && (ok < 2000 || torn < 1) ; i++) {
    uint32_t cnt;
    uint64_t gen;
    int32_t ver;
    if (sof_cands_read(race_c, out, &cnt, &ver, &gen)) {
      torn++;
      continue;
    }
    ok++;
    if (gen < last_gen) gen_back++;
    last_gen = gen;
    if (!cnt) continue; /* generation 0 */
    uint32_t round, n;
    memcpy(&round, out[0], 4);
    memcpy(&n, out[0] + 28, 4);
    if (n != cnt || ver != (int32_t)n) bad++;
    for (uint32_t k = 0; k < cnt; k++) {
      uint32_t r2, n2;
      memcpy(&r2, out[k], 4);
      memcpy(&n2, out[k] + 28, 4);
      if (r2 != round || n2 != n || out[k][4] != (uint8_t)(round & 0xFF)) bad++;
    }
  }
  atomic_store(&race_stop, 1);
  pthread_join(t, NULL);
  fprintf(stderr, "cands race: %llu whole copies, %llu torn (reported)\n", (unsigned long long)ok,
          (unsigned long long)torn);
  SOF_CHECK(ok > 0);
  SOF_CHECK_EQ(bad, 0);
  SOF_CHECK_EQ(gen_back, 0);
  sof_cands_delete(race_c);
}

/* A slot's shreds signed by kp (merkle, 1 set of 32+32). */
static long
make_slot(sof_shredder_set_t *out, uint64_t slot, uint8_t seed, uint8_t const *kp) {
  for (size_t i = 0; i < sizeof batch; i++) batch[i] = (uint8_t)(i * 7 + seed);
  sof_shredder_args_t a = {.slot = slot, .parent_slot = slot - 1, .shred_version = 7, .last_in_slot = 1,
                           .keypair = kp};
  uint8_t chained[32] = {seed};
  return sof_shredder_shred(&sh, &a, batch, sizeof batch, chained, out, 1);
}

/* Results of every shred of the set (burst API), counted per result. */
static void
verify_all(sof_verify_t *v, sof_shredder_set_t const *s, unsigned res_cnt[SOF_VERIFY_RESULT_CNT]) {
  void const *bufs[64];
  size_t szs[64];
  int res[64];
  for (unsigned i = 0; i < 32; i++) {
    bufs[i] = s->data[i];
    szs[i] = 1203;
    bufs[32 + i] = s->code[i];
    szs[32 + i] = 1228;
  }
  memset(res_cnt, 0, SOF_VERIFY_RESULT_CNT * sizeof *res_cnt);
  sof_verify_shreds(v, bufs, szs, 64, 0, NULL, res, NULL);
  for (unsigned i = 0; i < 64; i++) {
    res_cnt[res[i]]++;
    if (getenv("SOF_TEST_VERBOSE") && res[i]) fprintf(stderr, "shred %u: %s\n", i, sof_verify_result_str(res[i]));
  }
}

static void
test_verifier(void) {
  uint8_t kp_a[64], kp_b[64], seed[32];
  memset(seed, 0x11, 32);
  sof_ed25519_keypair_from_seed(kp_a, seed);
  memset(seed, 0x22, 32);
  sof_ed25519_keypair_from_seed(kp_b, seed);
  /* others: 20 keys of nobody's */
  uint8_t keys[24][32];
  for (uint32_t i = 0; i < 20; i++) key_of(keys[i], 1000 + i);
  sof_leaders_t *l = sof_leaders_new(1024, 16); /* empty schedule: learned mode only */
  sof_cands_t *pub = sof_cands_new(64);
  sof_verify_cfg_t cfg;
  sof_verify_cfg_default(&cfg);
  memcpy(keys[20], kp_a + 32, 32);
  cfg.candidates = (uint8_t const(*)[32])keys;
  cfg.candidate_cnt = 21; /* A and the others, not B */
  cfg.cands_pub = pub;
  cfg.cands_pub_keys = 1;
  char err[128];
  sof_verify_t *v = sof_verify_new(&cfg, l, err, sizeof err);
  SOF_CHECK(v != NULL);
  static sof_shredder_set_t sa[1], sb[1], sb2[1], sb3[1], sa2[1];
  SOF_CHECK_EQ(make_slot(sa, 5000, 1, kp_a), 1);
  SOF_CHECK_EQ(make_slot(sb, 5004, 2, kp_b), 1);
  SOF_CHECK_EQ(make_slot(sb2, 5005, 3, kp_b), 1);
  SOF_CHECK_EQ(make_slot(sb3, 5104, 4, kp_b), 1);
  SOF_CHECK_EQ(make_slot(sa2, 5100, 5, kp_a), 1);
  unsigned rc[SOF_VERIFY_RESULT_CNT];
  /* A is the 21st candidate: the first shred's 16 tries miss it (one
   * shred makes at most 16), the second finds it */
  verify_all(v, sa, rc);
  SOF_CHECK_EQ(rc[SOF_VERIFY_VERIFIED], 63);
  SOF_CHECK_EQ(rc[SOF_VERIFY_UNKNOWN_LEADER], 1);
  /* B is nobody's candidate yet: its slot is searched, given up, rejected */
  verify_all(v, sb, rc);
  SOF_CHECK_EQ(rc[SOF_VERIFY_UNKNOWN_LEADER], 64);
  sof_verify_stats_t const *st = sof_verify_stats(v);
  SOF_CHECK_EQ(st->learn_given_up, 1);
  SOF_CHECK_EQ(st->cand_updates, 0);
  /* B joins: the set with it is published; the same shreds now verify */
  memcpy(keys[21], kp_b + 32, 32);
  SOF_CHECK_EQ(sof_cands_publish(pub, (uint8_t const(*)[32])keys, 22, 7), 22);
  verify_all(v, sb, rc); /* B last of 22: the second shred finds it */
  SOF_CHECK_EQ(rc[SOF_VERIFY_VERIFIED], 63);
  SOF_CHECK_EQ(rc[SOF_VERIFY_UNKNOWN_LEADER], 1);
  SOF_CHECK_EQ(st->cand_updates, 1);
  SOF_CHECK_EQ(st->learn_reopened, 1);
  SOF_CHECK_EQ(st->learn_slots, 2);
  /* the next slot: B, found most recently, is tried first (one try) */
  uint64_t tries = st->learn_tries;
  verify_all(v, sb2, rc);
  SOF_CHECK_EQ(rc[SOF_VERIFY_VERIFIED], 64);
  SOF_CHECK_EQ(st->learn_tries - tries, 1); /* slot 5004's leader, a neighbour */
  /* B leaves (its grace over): a far slot of B's is unknown again; A's
   * far slot still verifies, A first in the kept order */
  SOF_CHECK_EQ(sof_cands_publish(pub, (uint8_t const(*)[32])keys, 21, 7), 21);
  verify_all(v, sb3, rc);
  SOF_CHECK_EQ(rc[SOF_VERIFY_UNKNOWN_LEADER], 64);
  SOF_CHECK_EQ(st->cand_updates, 2);
  tries = st->learn_tries;
  verify_all(v, sa2, rc);
  SOF_CHECK_EQ(rc[SOF_VERIFY_VERIFIED], 64);
  SOF_CHECK_EQ(st->learn_tries - tries, 1); /* A kept its place at the front */
  SOF_CHECK_EQ(st->cand_torn, 0);
  sof_verify_delete(v);

  /* learned mode from the published set alone (no start candidates) */
  sof_verify_cfg_default(&cfg);
  cfg.cands_pub = pub;
  cfg.cands_pub_keys = 1;
  v = sof_verify_new(&cfg, l, err, sizeof err);
  SOF_CHECK(v != NULL);
  verify_all(v, sa, rc); /* generation 3 is published: taken at the first call */
  SOF_CHECK_EQ(rc[SOF_VERIFY_VERIFIED], 63); /* A the 21st again */
  SOF_CHECK_EQ(sof_verify_stats(v)->cand_updates, 1);
  sof_verify_delete(v);

  /* the shred version from the set (a restarted cluster): shreds of the
   * old version become wrong_version, of the new one verify; without
   * cands_pub_version the configured version stays */
  sof_verify_cfg_default(&cfg);
  cfg.cands_pub = pub;
  cfg.cands_pub_keys = 1;
  cfg.cands_pub_version = 1;
  cfg.check_version = 1;
  cfg.shred_version = 7; /* make_slot's */
  v = sof_verify_new(&cfg, l, err, sizeof err);
  cfg.cands_pub_version = 0;
  sof_verify_t *fixed = sof_verify_new(&cfg, l, err, sizeof err);
  SOF_CHECK(v != NULL && fixed != NULL);
  verify_all(v, sa, rc);
  SOF_CHECK_EQ(rc[SOF_VERIFY_VERIFIED], 63);
  SOF_CHECK_EQ(sof_verify_stats(v)->version_switches, 0);
  SOF_CHECK_EQ(sof_cands_publish(pub, (uint8_t const(*)[32])keys, 21, 8), 21);
  verify_all(v, sa2, rc);
  SOF_CHECK_EQ(rc[SOF_VERIFY_WRONG_VERSION], 64);
  SOF_CHECK_EQ(sof_verify_stats(v)->version_switches, 1);
  verify_all(fixed, sa2, rc);
  SOF_CHECK_EQ(rc[SOF_VERIFY_VERIFIED], 63);
  SOF_CHECK_EQ(sof_verify_stats(fixed)->version_switches, 0);
  static sof_shredder_set_t s8[1];
  for (size_t i = 0; i < sizeof batch; i++) batch[i] = (uint8_t)(i * 5);
  sof_shredder_args_t a8 = {.slot = 5200, .parent_slot = 5199, .shred_version = 8, .last_in_slot = 1, .keypair = kp_a};
  uint8_t chained[32] = {9};
  SOF_CHECK_EQ(sof_shredder_shred(&sh, &a8, batch, sizeof batch, chained, s8, 1), 1);
  verify_all(v, s8, rc);
  SOF_CHECK_EQ(rc[SOF_VERIFY_VERIFIED], 64); /* A first: found at once */
  verify_all(fixed, s8, rc);
  SOF_CHECK_EQ(rc[SOF_VERIFY_WRONG_VERSION], 64);
  sof_verify_delete(v);
  sof_verify_delete(fixed);

  /* the version alone (no learned mode from the set) */
  sof_verify_cfg_default(&cfg);
  cfg.cands_pub = pub;
  cfg.cands_pub_version = 1;
  cfg.check_version = 1;
  cfg.shred_version = 7;
  sof_leaders_t *l8 = sof_leaders_new(1024, 16);
  SOF_CHECK_EQ(sof_leaders_set(l8, 5200, kp_a + 32), 0);
  v = sof_verify_new(&cfg, l8, err, sizeof err);
  SOF_CHECK(v != NULL);
  verify_all(v, s8, rc);
  SOF_CHECK_EQ(rc[SOF_VERIFY_VERIFIED], 64);
  SOF_CHECK_EQ(sof_verify_stats(v)->cand_updates, 0);
  SOF_CHECK_EQ(sof_verify_stats(v)->version_switches, 1);
  sof_verify_delete(v);
  sof_leaders_delete(l8);
  sof_cands_delete(pub);
  sof_leaders_delete(l);
}

int
main(void) {
  SOF_CHECK_EQ(sof_ed25519_init(), 0);
  SOF_CHECK_EQ(sof_shredder_init(&sh), 0);
  test_publish_read();
  test_race();
  test_verifier();
  return sof_test_done("cands");
}
