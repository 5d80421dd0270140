/* bench_forks.c: the fork tracker's cost per shred (default config: window
 * 2048, confirmed 32, finalized 150), events to a counting callback.
 *
 *   linear, N shreds/slot   one chain; each slot's N shreds alternate data
 *                           (slot, parent) and coding (slot, none)
 *   new slot every shred    the structural path alone (1 shred per slot)
 *   short forks             rounds of 6 slots off a base: A and B take
 *                           turns (3 slots each) and each new slot makes its
 *                           branch the tip (5 reorgs of 1-3 slots per round);
 *                           B wins and is the next base
 *   long forks (worst)      A and B take turns forever: every slot a reorg
 *                           across the whole window (cost ~ branch length)
 *   flood, far ahead        random slots beyond the window (all dropped) */
#include "sof_bench.h"

#include "state/sof_forks.h"

typedef struct bctx {
  sof_forks_t *f;
  uint64_t     slot;      /* next slot */
  uint64_t     tip_a, tip_b;
  uint32_t     per_slot;  /* shreds per slot */
  uint64_t     rng;
  uint64_t     events;
} bctx_t;

static void
count_fn(void *ctx, sof_forks_event_t const *ev) {
  ((bctx_t *)ctx)->events += (uint64_t)ev->kind + 1;
}

static uint64_t
run_linear(void *vctx, uint64_t ops) {
  bctx_t *c = vctx;
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; ) {
    uint64_t s = c->slot++;
    for (uint32_t k = 0; k < c->per_slot && i < ops; k++, i++)
      acc += (uint64_t)sof_forks_shred(c->f, s, (k & 1) ? SOF_FORKS_SLOT_NONE : s - 1, count_fn, c);
  }
  return acc + c->events;
}

static uint64_t
run_forks(void *vctx, uint64_t ops) {
  bctx_t *c = vctx;
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; ) {
    uint64_t s = c->slot++;
    /* Each branch gains one slot per two; the one that just grew leads. */
    uint64_t *tip = (s & 1) ? &c->tip_a : &c->tip_b;
    uint64_t parent = *tip;
    *tip = s;
    for (uint32_t k = 0; k < c->per_slot && i < ops; k++, i++)
      acc += (uint64_t)sof_forks_shred(c->f, s, (k & 1) ? SOF_FORKS_SLOT_NONE : parent, count_fn, c);
  }
  return acc + c->events;
}

static uint64_t
run_short(void *vctx, uint64_t ops) {
  bctx_t *c = vctx;
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; ) {
    uint64_t s = c->slot++;
    uint64_t pos = (s - 1000000) % 6; /* 0,2,4: A; 1,3,5: B */
    if (pos == 0) c->tip_a = c->tip_b; /* B won the last round: both start on it */
    uint64_t *tip = (pos & 1) ? &c->tip_b : &c->tip_a;
    uint64_t parent = *tip;
    *tip = s;
    for (uint32_t k = 0; k < c->per_slot && i < ops; k++, i++)
      acc += (uint64_t)sof_forks_shred(c->f, s, (k & 1) ? SOF_FORKS_SLOT_NONE : parent, count_fn, c);
  }
  return acc + c->events;
}

static uint64_t
run_flood(void *vctx, uint64_t ops) {
  bctx_t *c = vctx;
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++) {
    c->rng = c->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    acc += (uint64_t)sof_forks_shred(c->f, c->slot + 1000 + (c->rng >> 40), SOF_FORKS_SLOT_NONE,
                                     count_fn, c);
  }
  return acc;
}

static void
bench(char const *name, uint64_t (*fn)(void *, uint64_t), uint32_t per_slot, uint64_t ops) {
  sof_forks_cfg_t cfg;
  sof_forks_cfg_default(&cfg);
  cfg.resync_after = 0;
  char err[256];
  sof_forks_t *f = sof_forks_new(&cfg, err, sizeof err);
  if (!f) {
    fprintf(stderr, "bench_forks: %s\n", err);
    exit(1);
  }
  bctx_t c = { .f = f, .slot = 1000000, .per_slot = per_slot, .rng = 1 };
  /* A trunk deep enough for confirmed and finalized, and the forks' base. */
  for (uint64_t s = c.slot - 400; s < c.slot; s++) sof_forks_shred(f, s, s - 1, NULL, NULL);
  c.tip_a = c.tip_b = c.slot - 1;
  sof_bench_report(name, fn, &c, ops);
  sof_forks_stats_t const *st = sof_forks_stats(f);
  printf("    slots %llu, reorgs %llu, status events %llu, evicted %llu, ahead %llu\n",
         (unsigned long long)st->result[SOF_FORKS_NEW_SLOT],
         (unsigned long long)st->reorgs, (unsigned long long)st->events[SOF_FORKS_EV_STATUS],
         (unsigned long long)st->slots_evicted, (unsigned long long)st->result[SOF_FORKS_AHEAD]);
  sof_forks_delete(f);
}

int
main(void) {
  printf("bench_forks: sof_forks_shred per shred, default config (window 2048, confirmed 32, "
         "finalized 150), events to a counting callback\n");
  bench("forks linear, 1000 shreds/slot", run_linear, 1000, 20000000);
  bench("forks linear, 100 shreds/slot", run_linear, 100, 20000000);
  bench("forks linear, 1 shred/slot (new-slot path)", run_linear, 1, 1000000);
  bench("forks short forks, 1000 shreds/slot", run_short, 1000, 20000000);
  bench("forks short forks, 100 shreds/slot", run_short, 100, 20000000);
  bench("forks short forks, 1 shred/slot (reorg path)", run_short, 1, 1000000);
  bench("forks long forks (worst), 1000 shreds/slot", run_forks, 1000, 20000000);
  bench("forks flood, far-ahead slots (dropped)", run_flood, 1, 20000000);
  return 0;
}
