/* bench_race.c: the per-shred cost of feed race analytics on the rx path.
 *
 * Two feeds deliver every shred key (B 32 shreds behind A), slots of 2048
 * keys moving forward, three leaders; a dedupe table as sofd sizes it
 * (2^18 entries, slot window 512). Cases, per shred:
 *   dedupe_check                   what rx does today without the race
 *   race: source+check_src+record  the same with the race (sofd's rx hook)
 *   race: source+record only       the race's own work, no dedupe lookup
 * The race's cost per shred is the difference of the first two (and
 * about the third). Median of 9 runs (sof_bench.h). */
#include <string.h>

#include "sof_bench.h"
#include "state/sof_dedupe.h"
#include "state/sof_race.h"

#define KEYS_PER_SLOT 2048U
#define LAG 32U
#define AHEAD 16U /* arrivals prefetched ahead (sofd prefetches a round of 32) */

static uint64_t
cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* wall clock whatever SOF_BENCH_CLOCK says (the paired-runs lines print
 * both clocks) */
static uint64_t
wall_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint8_t leaders[3][32];
static uint8_t const *
leader_of(void *ctx, uint64_t slot) {
  (void)ctx;
  return leaders[(slot / 4) % 3];
}

typedef struct ctx {
  sof_dedupe_t *d;
  sof_race_t *t;
  uint64_t pos;   /* arrivals so far (keys move on across runs) */
  uint64_t now;
  uint8_t sig[64];
} ctx_t;

/* arrival i: A's copy of key i/2 (even i), B's copy of key i/2 - LAG (odd) */
static inline void
arrival(uint64_t i, uint64_t *key, int *feed) {
  *feed = (int)(i & 1U);
  *key = *feed ? (i / 2 >= LAG ? i / 2 - LAG : 0) : i / 2;
}

static uint64_t
run_plain(void *p, uint64_t ops) {
  ctx_t *c = p;
  uint64_t acc = 0;
  for (uint64_t n = 0; n < ops; n++, c->pos++) {
    uint64_t key;
    int feed;
    arrival(c->pos + AHEAD, &key, &feed);
    sof_dedupe_prefetch(c->d, 1000 + key / KEYS_PER_SLOT, (uint32_t)(key % KEYS_PER_SLOT), 0, 1, 0x86);
    arrival(c->pos, &key, &feed);
    c->now += 250;
    acc += (uint64_t)sof_dedupe_check(c->d, 1000 + key / KEYS_PER_SLOT, (uint32_t)(key % KEYS_PER_SLOT), 0, 1,
                                      0x86, c->sig, c->now);
  }
  return acc;
}

static uint64_t
run_race(void *p, uint64_t ops) {
  ctx_t *c = p;
  uint64_t acc = 0;
  for (uint64_t n = 0; n < ops; n++, c->pos++) {
    uint64_t key;
    int feed;
    arrival(c->pos + AHEAD, &key, &feed);
    sof_dedupe_prefetch(c->d, 1000 + key / KEYS_PER_SLOT, (uint32_t)(key % KEYS_PER_SLOT), 0, 1, 0x86);
    arrival(c->pos, &key, &feed);
    c->now += 250;
    uint64_t slot = 1000 + key / KEYS_PER_SLOT;
    uint32_t src = sof_race_source(c->t, 0x0A000001U + (uint32_t)feed, 8001);
    sof_dedupe_first_t f;
    int r = sof_dedupe_check_src(c->d, slot, (uint32_t)(key % KEYS_PER_SLOT), 0, 1, 0x86, c->sig, c->now,
                                 (uint16_t)src, &f);
    sof_race_record(c->t, src, slot, r, &f);
    acc += (uint64_t)r;
  }
  return acc;
}

static uint64_t
run_race_only(void *p, uint64_t ops) {
  ctx_t *c = p;
  uint64_t acc = 0;
  for (uint64_t n = 0; n < ops; n++, c->pos++) {
    uint64_t key;
    int feed;
    arrival(c->pos, &key, &feed);
    c->now += 250;
    uint64_t slot = 1000 + key / KEYS_PER_SLOT;
    uint32_t src = sof_race_source(c->t, 0x0A000001U + (uint32_t)feed, 8001);
    sof_dedupe_first_t f = {.stamp = c->now - 8000, .now = c->now, .src = (uint16_t)(src ^ 1U),
                            .second = (uint8_t)feed};
    sof_race_record(c->t, src, slot, feed ? SOF_DEDUPE_DUPLICATE : SOF_DEDUPE_NEW, &f);
    acc += src;
  }
  return acc;
}

static void
setup(ctx_t *c) {
  sof_dedupe_cfg_t dc;
  sof_dedupe_cfg_default(&dc);
  dc.slot_window = 512;
  dc.seed = 11;
  memset(c, 0, sizeof *c);
  c->d = sof_dedupe_new(&dc, NULL, 0);
  memset(c->sig, 7, sizeof c->sig);
  c->now = 1000000000ULL;
}

int
main(void) {
  for (int i = 0; i < 3; i++) memset(leaders[i], 'A' + i, 32);
  sof_race_cfg_t rc;
  sof_race_cfg_default(&rc);
  rc.leader_of = leader_of;
  sof_race_group_t *g = sof_race_group_new(&rc, 1, NULL, 0);
  uint64_t const ops = 2000000;
  ctx_t a, b, o;
  setup(&a);
  setup(&b);
  setup(&o);
  b.t = o.t = sof_race_group_writer(g, 0);
  printf("bench_race: per shred, two feeds, dedupe 2^18 entries (%zu bytes of race tables)\n",
         sof_race_footprint(&rc, 1));
  sof_bench_report("dedupe_check (no race)", run_plain, &a, ops);
  sof_bench_report("race: source + check_src + record", run_race, &b, ops);
  sof_bench_report("race: source + record only", run_race_only, &o, ops);
  /* the difference, from runs taken in pairs (plain, race) so that a busy
   * machine's drift hits both alike: the median of the pairs' differences,
   * in wall time and in this thread's CPU time (which leaves out the time
   * the scheduler gave other processes on a shared machine) */
  double diff[SOF_BENCH_RUNS], cdiff[SOF_BENCH_RUNS], conly[SOF_BENCH_RUNS];
  for (int r = 0; r < SOF_BENCH_RUNS; r++) {
    uint64_t t0 = wall_ns(), c0 = cpu_ns();
    sof_bench_sink += run_plain(&a, ops);
    uint64_t t1 = wall_ns(), c1 = cpu_ns();
    sof_bench_sink += run_race(&b, ops);
    uint64_t t2 = wall_ns(), c2 = cpu_ns();
    sof_bench_sink += run_race_only(&o, ops);
    uint64_t c3 = cpu_ns();
    diff[r] = ((double)(t2 - t1) - (double)(t1 - t0)) / (double)ops;
    cdiff[r] = ((double)(c2 - c1) - (double)(c1 - c0)) / (double)ops;
    conly[r] = (double)(c3 - c2) / (double)ops;
  }
  qsort(diff, SOF_BENCH_RUNS, sizeof diff[0], sof_bench_cmp_dbl_);
  qsort(cdiff, SOF_BENCH_RUNS, sizeof cdiff[0], sof_bench_cmp_dbl_);
  qsort(conly, SOF_BENCH_RUNS, sizeof conly[0], sof_bench_cmp_dbl_);
  printf("race cost on the rx path (race - plain, paired runs, wall clock): %.1f ns/shred median (min %.1f max %.1f)\n",
         diff[SOF_BENCH_RUNS / 2], diff[0], diff[SOF_BENCH_RUNS - 1]);
  printf("  the same in thread CPU time: %.1f ns/shred median (min %.1f max %.1f); source + record only: "
         "%.1f ns/shred (min %.1f max %.1f)\n", cdiff[SOF_BENCH_RUNS / 2], cdiff[0], cdiff[SOF_BENCH_RUNS - 1],
         conly[SOF_BENCH_RUNS / 2], conly[0], conly[SOF_BENCH_RUNS - 1]);
  sof_dedupe_delete(a.d);
  sof_dedupe_delete(b.d);
  sof_dedupe_delete(o.d);
  sof_race_group_delete(g);
  return 0;
}
