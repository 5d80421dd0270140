/* bench_cands: what run-time learned-leader candidates (verify/sof_cands.h)
 * cost the verifier.
 *  - a burst of 32 cached shreds through sof_verify_shreds with and
 *    without a published candidate set attached (the per-burst generation
 *    check: one acquire load);
 *  - taking a new set: one sof_verify_shreds call of one cached shred after
 *    each publication, minus the same call without one (the copy of the set
 *    into the verifier, the front kept, the learn table reopened), for sets
 *    of 1024 and 8192 keys (the default [gossip] nodes_max);
 *  - sof_cands_publish itself (the gossip thread's side).
 * Usage: build/bench/bench_cands. Figures only. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sof_bench.h"

#include "crypto/sof_ed25519.h"
#include "shredder/sof_shredder.h"
#include "verify/sof_cands.h"
#include "verify/sof_leaders.h"
#include "verify/sof_verify.h"

static sof_shredder_t sh;
static sof_shredder_set_t set[1];
static uint8_t batch[4000];
static uint8_t keys[8192][32];

typedef struct {
  sof_verify_t *v;
  sof_cands_t  *pub;
  uint32_t      n;     /* keys published per op (0: none) */
  unsigned      burst;
} ctx_t;

static void const *bufs[64];
static size_t szs[64];

static uint64_t
run_burst(void *arg, uint64_t ops) {
  ctx_t *c = arg;
  int res[64];
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++) {
    if (c->n) sof_cands_publish(c->pub, (uint8_t const(*)[32])keys, c->n, 7);
    acc += sof_verify_shreds(c->v, bufs + (i % 2) * 32, szs, c->burst, 0, NULL, res, NULL);
  }
  return acc;
}

static uint64_t
run_publish(void *arg, uint64_t ops) {
  ctx_t *c = arg;
  for (uint64_t i = 0; i < ops; i++) sof_cands_publish(c->pub, (uint8_t const(*)[32])keys, c->n, 7);
  return sof_cands_gen(c->pub);
}

static sof_verify_t *
mk(sof_leaders_t *l, sof_cands_t *pub, uint8_t const *leader) {
  sof_verify_cfg_t cfg;
  sof_verify_cfg_default(&cfg);
  memcpy(keys[8191], leader, 32);
  cfg.candidates = (uint8_t const(*)[32])keys[8191];
  cfg.candidate_cnt = 1;
  cfg.cands_pub = pub;
  cfg.cands_pub_keys = pub != NULL;
  char err[128];
  return sof_verify_new(&cfg, l, err, sizeof err);
}

int
main(void) {
  if (sof_ed25519_init() || sof_shredder_init(&sh)) return 1;
  uint8_t kp[64], seed[32];
  memset(seed, 0x33, 32);
  sof_ed25519_keypair_from_seed(kp, seed);
  for (uint32_t i = 0; i < 8192; i++) {
    memset(keys[i], 0, 32);
    memcpy(keys[i], &i, 4);
  }
  memcpy(keys[0], kp + 32, 32); /* the leader first in every set */
  for (size_t i = 0; i < sizeof batch; i++) batch[i] = (uint8_t)(i * 3);
  sof_shredder_args_t a = {.slot = 100, .parent_slot = 99, .shred_version = 7, .last_in_slot = 1, .keypair = kp};
  uint8_t chained[32] = {1};
  if (sof_shredder_shred(&sh, &a, batch, sizeof batch, chained, set, 1) != 1) return 1;
  for (unsigned i = 0; i < 32; i++) {
    bufs[i] = set->data[i];
    szs[i] = 1203;
    bufs[32 + i] = set->code[i];
    szs[32 + i] = 1228;
  }
  sof_leaders_t *l = sof_leaders_new(1024, 16); /* no schedule: learned mode */
  sof_cands_t *pub = sof_cands_new(8192);
  sof_cands_publish(pub, (uint8_t const(*)[32])keys, 1024, 7);
  ctx_t plain = {mk(l, NULL, kp + 32), NULL, 0, 32};
  ctx_t with = {mk(l, pub, kp + 32), pub, 0, 32};
  int res[64];
  sof_verify_shreds(plain.v, bufs, szs, 64, 0, NULL, res, NULL); /* the set verified and cached */
  sof_verify_shreds(with.v, bufs, szs, 64, 0, NULL, res, NULL);
  printf("bench_cands: learned-leader candidates published at run time\n");
  double b0 = sof_bench_report("burst of 32 cached shreds, no published set", run_burst, &plain, 20000);
  double b1 = sof_bench_report("same, a published set attached (gen check)", run_burst, &with, 20000);
  printf("  per shred: %.2f vs %.2f ns\n", b0 / 32, b1 / 32);
  ctx_t one = {with.v, pub, 0, 1};
  double c0 = sof_bench_report("1 cached shred, no new set", run_burst, &one, 20000);
  for (uint32_t n = 1024; n <= 8192; n *= 8) {
    one.n = n;
    char name[96];
    snprintf(name, sizeof name, "1 cached shred after a new set of %u keys", n);
    double c1 = sof_bench_report(name, run_burst, &one, n == 1024 ? 4000 : 1000);
    ctx_t p = {NULL, pub, n, 0};
    snprintf(name, sizeof name, "sof_cands_publish, %u keys (gossip thread)", n);
    double pb = sof_bench_report(name, run_publish, &p, n == 1024 ? 4000 : 1000);
    printf("  taking a set of %u keys: %.0f ns on the shred lcore (less the publication %.0f ns: %.0f ns)\n", n,
           c1 - c0, pb, c1 - c0 - pb);
  }
  sof_verify_delete(plain.v);
  sof_verify_delete(with.v);
  sof_cands_delete(pub);
  sof_leaders_delete(l);
  return 0;
}
