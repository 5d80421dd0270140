/* bench_resolve: verify + resolve + reassemble, per received shred.
 *
 *   bench_resolve [sets]
 *
 * Slots made here by the shredder: one entry batch per 32:32 set (each set
 * ends a batch), `sets` sets per run. Cases: every shred arrives (data then
 * coding, as leaders send); 16 data + 16 coding of every set lost (the rest
 * arriving in random order), with rebuilt shreds re-verified (the default:
 * sof_verify_shred_root against the root the resolver rebuilt them to, so
 * a signature-cache lookup, no hashing) and with only the resolver's
 * signed-root check; and verification off. Loss cases print per received
 * shred and per set shred (a set's time over its 64 shreds).
 * Shreds go through sof_ingest_shred, the sequence sofd runs (late drop,
 * verify, resolve, reassemble, entry decoding); a pass starts from empty
 * state, so every set pays its ed25519. Figures are thread CPU time
 * (sof_bench_report_cpu; the wall-clock median is printed beside it). */
#include <string.h>

#include "sof_bench.h"

#include "crypto/sof_ed25519.h"
#include "pipeline/sof_ingest.h"
#include "shredder/sof_shredder.h"
#include "verify/sof_verify.h"

#define SETS_MAX 32
static sof_shredder_set_t sets[SETS_MAX];
static unsigned set_cnt = 16;
static uint8_t const *order_full[SETS_MAX * 64], *order_loss[SETS_MAX * 32];
static size_t order_full_sz[SETS_MAX * 64], order_loss_sz[SETS_MAX * 32];
static sof_verify_t *ver, *ver_norec, *ver_off;
static sof_ingest_t *ing_on, *ing_norec, *ing_off;

typedef struct {
  uint8_t const **order;
  size_t *sz;
  size_t n;
  sof_verify_t *v;
  sof_ingest_t *ing;
} run_t;

/* ops = shreds through sof_ingest_shred, the sequence sofd runs; every pass
 * starts from empty state so that every set pays its ed25519 again. */
static uint64_t
run(void *ctx, uint64_t ops) {
  run_t *c = ctx;
  uint64_t done = 0, acc = 0;
  while (done < ops) {
    sof_verify_reset(c->v);
    sof_ingest_reset(c->ing);
    for (size_t i = 0; i < c->n; i++, done++)
      acc += (uint64_t)sof_ingest_shred(c->ing, c->order[i], c->sz[i], 0, NULL, NULL);
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
  vc.verify_recovered = 0; /* rebuilt shreds: the resolver's signed-root check only */
  ver_norec = sof_verify_new(&vc, l, NULL, 0);
  vc.verify_recovered = -1;
  vc.posture = SOF_VERIFY_POSTURE_TRUSTED_RAW_PROVIDER;
  ver_off = sof_verify_new(&vc, l, NULL, 0);
  sof_ingest_cfg_t icfg;
  sof_ingest_cfg_default(&icfg);
  icfg.resolver.set_buffers = 64;
  icfg.resolver.set_records = 256;
  icfg.reasm.slots_max = 4;
  icfg.reasm.chunks = 2048;
  icfg.verify = ver;
  ing_on = sof_ingest_new(&icfg, NULL, 0);
  icfg.verify = ver_norec;
  ing_norec = sof_ingest_new(&icfg, NULL, 0);
  icfg.verify = ver_off;
  ing_off = sof_ingest_new(&icfg, NULL, 0);
  if (!ver || !ver_norec || !ver_off || !ing_on || !ing_norec || !ing_off) return 1;

  printf("bench_resolve: %u sets of 32:32 in one slot, each set one entry batch\n", set_cnt);
  run_t full = {order_full, order_full_sz, nf, ver, ing_on}, loss = {order_loss, order_loss_sz, nl, ver, ing_on};
  run_t loss_norec = {order_loss, order_loss_sz, nl, ver_norec, ing_norec};
  run_t full_off = {order_full, order_full_sz, nf, ver_off, ing_off};
  run_t loss_off = {order_loss, order_loss_sz, nl, ver_off, ing_off};
  /* per set shred: the time of a set over its 64 shreds, received or lost */
  double set_sh = (double)nl / (double)(set_cnt * 64);
  sof_bench_report_cpu("verify+resolve+reasm, no loss (per shred)", run, &full, nf * 4);
  double l1 = sof_bench_report_cpu("verify+resolve+reasm, 16+16 lost (per rcvd)", run, &loss, nl * 4);
  printf("%-44s %10.1f ns/set shred\n", "  = per set shred (64 per set)", l1 * set_sh);
  double l2 = sof_bench_report_cpu("  same, rebuilt shreds not re-verified", run, &loss_norec, nl * 4);
  printf("%-44s %10.1f ns/set shred\n", "  = per set shred (64 per set)", l2 * set_sh);
  sof_bench_report_cpu("resolve+reasm only, no loss (per shred)", run, &full_off, nf * 8);
  double l3 = sof_bench_report_cpu("resolve+reasm only, 16+16 lost (per rcvd)", run, &loss_off, nl * 8);
  printf("%-44s %10.1f ns/set shred\n", "  = per set shred (64 per set)", l3 * set_sh);
  sof_resolver_stats_t const *st = sof_resolver_stats(sof_ingest_resolver(ing_off));
  sof_ingest_stats_t const *is = sof_ingest_stats(ing_off);
  printf("last pass: %llu sets complete, %llu recovered, %llu shreds rebuilt, %llu batches\n",
         (unsigned long long)st->sets_complete, (unsigned long long)st->sets_recovered,
         (unsigned long long)st->shreds_recovered, (unsigned long long)is->datasets);
  sof_ingest_delete(ing_on);
  sof_ingest_delete(ing_norec);
  sof_verify_delete(ver_norec);
  sof_ingest_delete(ing_off);
  sof_verify_delete(ver);
  sof_verify_delete(ver_off);
  sof_leaders_delete(l);
  return 0;
}
