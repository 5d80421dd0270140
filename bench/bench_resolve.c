/* bench_resolve: verify + resolve + reassemble, per received shred.
 *
 *   bench_resolve [sets]
 *
 * Slots made here by the shredder: one entry batch per 32:32 set (each set
 * ends a batch), `sets` sets per run. Cases: every shred arrives (data then
 * coding, as leaders send); 16 data + 16 coding of every set lost (the rest
 * arriving in random order); and the resolver alone with verification off.
 * A run pushes each set through a fresh cache (every set pays its ed25519). */
#include <string.h>

#include "sof_bench.h"

#include "crypto/sof_ed25519.h"
#include "resolve/sof_reasm.h"
#include "resolve/sof_resolver.h"
#include "shredder/sof_shredder.h"
#include "verify/sof_verify.h"

#define SETS_MAX 32
static sof_shredder_set_t sets[SETS_MAX];
static unsigned set_cnt = 16;
static uint8_t const *order_full[SETS_MAX * 64], *order_loss[SETS_MAX * 32];
static size_t order_full_sz[SETS_MAX * 64], order_loss_sz[SETS_MAX * 32];
static sof_verify_t *ver, *ver_off;
static sof_resolver_cfg_t rcfg;
static sof_reasm_cfg_t acfg;
static sof_resolver_t *res;
static sof_reasm_t *reasm;
static uint64_t batches;

static void
on_batch(void *ctx, sof_reasm_batch_t const *b) {
  (void)ctx;
  batches += b->payload_sz != 0;
}

typedef struct {
  uint8_t const **order;
  size_t *sz;
  size_t n;
  sof_verify_t *v;
} run_t;

static uint64_t
run(void *ctx, uint64_t ops) {
  run_t *c = ctx;
  uint64_t done = 0, acc = 0;
  while (done < ops) {
    sof_verify_reset(c->v);
    sof_resolver_reset(res); /* sets are new again every pass */
    sof_reasm_reset(reasm);
    for (size_t i = 0; i < c->n; i++, done++) {
      sof_shred_t s;
      sof_verify_info_t info;
      if (sof_resolver_finished(res, sof_shred_peek_slot(c->order[i]), sof_shred_peek_fec_set_idx(c->order[i])))
        continue; /* late shred of a finished set: no verification */
      int v = sof_verify_shred(c->v, c->order[i], c->sz[i], 0, &s, &info);
      if (v != SOF_VERIFY_VERIFIED && v != SOF_VERIFY_SKIPPED) continue;
      sof_resolver_out_t out;
      int r = sof_resolver_add(res, c->order[i], &s, info.root, info.leaf_valid ? info.leaf : NULL, 0, &out);
      if (s.is_data && (r == SOF_RESOLVER_DATA_NEW || r == SOF_RESOLVER_RECOVERED))
        sof_reasm_add_shred(reasm, c->order[i], &s, 0, on_batch, NULL);
      for (uint32_t k = 0; k < out.cnt; k++) {
        sof_shred_t rs;
        sof_shred_parse(&rs, out.shred[k], 1203, 0);
        sof_reasm_add_shred(reasm, out.shred[k], &rs, 1, on_batch, NULL);
      }
      acc += (uint64_t)r;
    }
  }
  return acc;
}

int
main(int argc, char **argv) {
  if (argc > 1) set_cnt = (unsigned)strtoul(argv[1], NULL, 10);
  if (!set_cnt || set_cnt > SETS_MAX) set_cnt = 16;
  static sof_shredder_t sh;
  if (sof_ed25519_init() || sof_shredder_init(&sh)) return 1;
  uint8_t seed[32] = {9}, kp[64];
  sof_ed25519_keypair_from_seed(kp, seed);
  static uint8_t batch[30816];
  uint8_t chained[32] = {0};
  for (unsigned k = 0; k < set_cnt; k++) {
    for (size_t i = 0; i < sizeof batch; i++) batch[i] = (uint8_t)(i * 131 + k);
    sof_shredder_args_t a = {.slot = 500, .parent_slot = 499, .data_idx = 32 * k, .shred_version = 1,
                             .reference_tick = 1, .last_in_slot = k == set_cnt - 1, .keypair = kp};
    /* the last batch goes in a resigned set (899-byte chunks): keep it one set */
    size_t bsz = k == set_cnt - 1 ? 28768 : sizeof batch;
    if (sof_shredder_shred(&sh, &a, batch, bsz, chained, &sets[k], 1) != 1) return 1;
  }
  size_t nf = 0, nl = 0;
  uint64_t rng = 12345;
  for (unsigned k = 0; k < set_cnt; k++) {
    for (unsigned i = 0; i < 32; i++) { order_full[nf] = sets[k].data[i]; order_full_sz[nf++] = 1203; }
    for (unsigned i = 0; i < 32; i++) { order_full[nf] = sets[k].code[i]; order_full_sz[nf++] = 1228; }
    /* lose 16 data + 16 coding: keep the odd data and the even coding, shuffled */
    size_t base = nl;
    for (unsigned i = 1; i < 32; i += 2) { order_loss[nl] = sets[k].data[i]; order_loss_sz[nl++] = 1203; }
    for (unsigned i = 0; i < 32; i += 2) { order_loss[nl] = sets[k].code[i]; order_loss_sz[nl++] = 1228; }
    for (size_t i = nl; i > base + 1; i--) {
      rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
      size_t j = base + (rng >> 33) % (i - base);
      uint8_t const *t = order_loss[i - 1]; order_loss[i - 1] = order_loss[j]; order_loss[j] = t;
      size_t ts = order_loss_sz[i - 1]; order_loss_sz[i - 1] = order_loss_sz[j]; order_loss_sz[j] = ts;
    }
  }
  sof_leaders_t *l = sof_leaders_new(1024, 2);
  sof_leaders_set_fixed(l, kp + 32);
  sof_verify_cfg_t vc;
  sof_verify_cfg_default(&vc);
  vc.cache_sets = 64;
  ver = sof_verify_new(&vc, l, NULL, 0);
  vc.posture = SOF_VERIFY_POSTURE_TRUSTED_RAW_PROVIDER;
  ver_off = sof_verify_new(&vc, l, NULL, 0);
  sof_resolver_cfg_default(&rcfg);
  rcfg.set_buffers = 64;
  rcfg.set_records = 256;
  sof_reasm_cfg_default(&acfg);
  acfg.slots_max = 4;
  acfg.chunks = 2048;

  res = sof_resolver_new(&rcfg, NULL, 0);
  reasm = sof_reasm_new(&acfg, NULL, 0);
  printf("bench_resolve: %u sets of 32:32 in one slot, each set one entry batch\n", set_cnt);
  run_t full = {order_full, order_full_sz, nf, ver}, loss = {order_loss, order_loss_sz, nl, ver};
  run_t full_off = {order_full, order_full_sz, nf, ver_off}, loss_off = {order_loss, order_loss_sz, nl, ver_off};
  sof_bench_report("verify+resolve+reasm, no loss (per shred)", run, &full, nf * 4);
  sof_bench_report("verify+resolve+reasm, 16+16 lost (per rcvd)", run, &loss, nl * 4);
  sof_bench_report("resolve+reasm only, no loss (per shred)", run, &full_off, nf * 8);
  sof_bench_report("resolve+reasm only, 16+16 lost (per rcvd)", run, &loss_off, nl * 8);
  sof_resolver_stats_t const *st = sof_resolver_stats(res);
  printf("last pass: %llu sets complete, %llu recovered, %llu shreds rebuilt; %llu batches emitted in all runs\n",
         (unsigned long long)st->sets_complete, (unsigned long long)st->sets_recovered,
         (unsigned long long)st->shreds_recovered, (unsigned long long)batches);
  sof_resolver_delete(res);
  sof_reasm_delete(reasm);
  sof_verify_delete(ver);
  sof_verify_delete(ver_off);
  sof_leaders_delete(l);
  return 0;
}
