/* test_host_threads.c: the plugin host with real worker threads: sequential
 * lanes keep publish order and registration order while the producer runs
 * concurrently; bounded-concurrent lanes (4 workers) deliver every event
 * exactly once with callbacks overlapping; a SEQUENTIAL plugin on two lanes
 * never runs two hooks at once; a slow plugin makes the lane drop new events
 * without slowing the producer; transaction_batch buffers shared between
 * concurrent workers all come back; held publications' references are
 * released by the workers after their callbacks, each exactly once. */
#include "host_test_util.h"

#include <pthread.h>

#include "plugin/sof_host.h"

#define ERR_SZ 256

typedef struct worker {
  pthread_t   th;
  sof_host_t *h;
  int         lane;
  unsigned    max;
  uint64_t    taken;
} worker_t;

static int g_stop; /* atomic */

static void *
worker_main(void *arg) {
  worker_t *w = arg;
  while (!__atomic_load_n(&g_stop, __ATOMIC_ACQUIRE)) {
    unsigned n = sof_host_lane_poll(w->h, w->lane, w->max);
    w->taken += n;
    if (!n) usleep(20);
  }
  return NULL;
}

static void
workers_start(worker_t *w, unsigned n, sof_host_t *h, int lane, unsigned max) {
  __atomic_store_n(&g_stop, 0, __ATOMIC_RELEASE);
  for (unsigned i = 0; i < n; i++) {
    w[i] = (worker_t){.h = h, .lane = lane, .max = max};
    if (pthread_create(&w[i].th, NULL, worker_main, &w[i])) {
      fprintf(stderr, "pthread_create failed\n");
      exit(1);
    }
  }
}

/* Waits (up to 30 s) until the lanes are empty, then stops and joins. */
static void
workers_drain_stop(sof_host_t *h, worker_t *w, unsigned n) {
  for (int i = 0; i < 30000 && !sof_host_lanes_empty(h); i++) usleep(1000);
  SOF_CHECK_EQ(sof_host_lanes_empty(h), 1);
  __atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
  for (unsigned i = 0; i < n; i++) pthread_join(w[i].th, NULL);
}

static sof_host_t *
mkhost(sof_host_cfg_t const *cfg) {
  char err[ERR_SZ] = "";
  sof_host_t *h = sof_host_new(cfg, tp_list(), tp_cnt, err, sizeof err);
  if (!h) {
    fprintf(stderr, "sof_host_new: %s\n", err);
    exit(1);
  }
  SOF_CHECK_EQ(sof_host_setup(h, err, sizeof err), 0);
  log_reset();
  return h;
}

static sof_host_cfg_t
cfg_depth(uint32_t depth) {
  sof_host_cfg_t c;
  sof_host_cfg_default(&c);
  for (int l = 0; l < SOF_HOST_LANE_CNT; l++) c.lane_depth[l] = depth;
  c.tsc_hz = 1000000000ULL;
  return c;
}

/* ---- one worker per lane: publish order, registration order ---------------------------- */

static void
test_sequential_order(void) {
  enum { N = 1500 };
  sof_host_cfg_t cfg = cfg_depth(2048); /* >= N: nothing can drop */
  tp_reset();
  uint32_t hooks = SOF_HOOK_BIT(DATASET) | SOF_HOOK_BIT(TRANSACTION);
  tp_add("a", hooks);
  tp_add("b", hooks);
  sof_host_t *h = mkhost(&cfg);
  ttx_t x;
  tt_simple(&x, 0x12, 1);
  worker_t wg[1], wb[1];
  workers_start(wg, 1, h, SOF_HOST_LANE_GENERAL, 7);
  workers_start(wb, 1, h, SOF_HOST_LANE_BACKGROUND, 5);
  for (uint32_t i = 0; i < N; i++) {
    sof_ev_dataset_t ds = {.slot = 1, .start_idx = i};
    SOF_CHECK_EQ(sof_host_publish_dataset(h, &ds), 1);
    sof_ev_txn_t ev = tt_ev(&x, 1, SOF_COMMITMENT_PROCESSED, i);
    SOF_CHECK_EQ(sof_host_publish_txn(h, &ev, 0), 1);
    if (i % 128 == 0) usleep(100); /* let the workers catch up now and then */
  }
  /* both lanes' workers share g_stop: drain, then stop all */
  for (int i = 0; i < 30000 && !sof_host_lanes_empty(h); i++) usleep(1000);
  __atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
  pthread_join(wg[0].th, NULL);
  pthread_join(wb[0].th, NULL);
  SOF_CHECK_EQ(wg[0].taken, N);
  SOF_CHECK_EQ(wb[0].taken, N);
  SOF_CHECK_EQ(g_log_n, 4 * N);
  /* per hook, the log must read a0 b0 a1 b1 ... */
  for (int hook = SOF_HOOK_DATASET; hook <= SOF_HOOK_TRANSACTION; hook++) {
    unsigned k = 0, bad = 0;
    for (unsigned i = 0; i < g_log_n && i < LOG_MAX; i++) {
      if (g_log[i].hook != hook) continue;
      if (g_log[i].plug != (int)(k & 1) || g_log[i].id != k / 2) bad++;
      k++;
    }
    SOF_CHECK_EQ(k, 2 * N);
    SOF_CHECK_EQ(bad, 0);
  }
  /* sequential plugins on two lanes: never two hooks at once */
  SOF_CHECK_EQ(tp_tab[0].max_cur, 1);
  SOF_CHECK_EQ(tp_tab[1].max_cur, 1);
  sof_host_stats_t const *st = sof_host_stats(h);
  SOF_CHECK_EQ(st->lane[SOF_HOST_LANE_GENERAL].dropped + st->lane[SOF_HOST_LANE_BACKGROUND].dropped, 0);
  SOF_CHECK_EQ(st->lane[SOF_HOST_LANE_GENERAL].callbacks, 2 * N);
  SOF_CHECK_EQ(st->lane[SOF_HOST_LANE_BACKGROUND].callbacks, 2 * N);
  sof_host_delete(h);
}

/* ---- the per-plugin lock of a SEQUENTIAL plugin on two lanes -------------------------------- */

static void
test_sequential_lock(void) {
  enum { N = 40 };
  sof_host_cfg_t cfg = cfg_depth(64);
  tp_reset();
  uint32_t hooks = SOF_HOOK_BIT(SLOT_STATUS) | SOF_HOOK_BIT(TRANSACTION);
  /* Each event calls s then k. With equal callback times the two workers
   * would fall into lockstep (one in s while the other is in k) and k would
   * never overlap either: k sleeps longer, so both workers sit in k at once
   * while s's lock still keeps s to one at a time. */
  tp_t *s = tp_add("s", hooks);
  s->sleep_us = 200;
  tp_t *k = tp_add("k", hooks);
  k->desc.dispatch = SOF_DISPATCH_CONCURRENT;
  k->sleep_us = 1500;
  sof_host_t *h = mkhost(&cfg);
  ttx_t x;
  tt_simple(&x, 0x13, 1);
  for (uint32_t i = 0; i < N; i++) {
    sof_ev_slot_status_t ss = {.slot = i, .status = SOF_SLOT_PROCESSED};
    SOF_CHECK_EQ(sof_host_publish_slot_status(h, &ss), 1);
    sof_ev_txn_t ev = tt_ev(&x, 1, SOF_COMMITMENT_PROCESSED, i);
    SOF_CHECK_EQ(sof_host_publish_txn(h, &ev, 0), 1);
  }
  worker_t wg[1], wb[1];
  workers_start(wg, 1, h, SOF_HOST_LANE_GENERAL, 1);
  workers_start(wb, 1, h, SOF_HOST_LANE_BACKGROUND, 1);
  for (int i = 0; i < 30000 && !sof_host_lanes_empty(h); i++) usleep(1000);
  __atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
  pthread_join(wg[0].th, NULL);
  pthread_join(wb[0].th, NULL);
  SOF_CHECK_EQ(s->hook_calls, 2 * N);
  SOF_CHECK_EQ(k->hook_calls, 2 * N);
  SOF_CHECK_EQ(s->max_cur, 1); /* the lock */
  SOF_CHECK_EQ(k->max_cur, 2); /* without it, the two lanes' workers overlap */
  sof_host_delete(h);
}

/* ---- bounded-concurrent: 4 workers ------------------------------------------------------------ */

static void
test_concurrent(void) {
  enum { N = 96, W = 4 };
  sof_host_cfg_t cfg = cfg_depth(128);
  cfg.lane_workers[SOF_HOST_LANE_BACKGROUND] = W;
  tp_reset();
  tp_t *s = tp_add("seq", SOF_HOOK_BIT(TRANSACTION)); /* refused on that lane */
  char err[ERR_SZ] = "";
  SOF_CHECK(sof_host_new(&cfg, tp_list(), tp_cnt, err, sizeof err) == NULL);
  SOF_CHECK_STR(err, "plugin seq: sequential dispatch, but lane background has 4 workers (bounded-concurrent)");
  s->desc.dispatch = SOF_DISPATCH_CONCURRENT;
  s->sleep_us = 300;
  tp_t *c2 = tp_add("c2", SOF_HOOK_BIT(TRANSACTION) | SOF_HOOK_BIT(ACCOUNT_TOUCH));
  c2->desc.dispatch = SOF_DISPATCH_CONCURRENT;
  sof_host_t *h = mkhost(&cfg);
  ttx_t x;
  tt_simple(&x, 0x14, 1);
  worker_t w[W];
  workers_start(w, W, h, SOF_HOST_LANE_BACKGROUND, 1);
  for (uint32_t i = 0; i < N; i++) {
    sof_ev_txn_t ev = tt_ev(&x, 1, SOF_COMMITMENT_PROCESSED, i);
    SOF_CHECK_EQ(sof_host_publish_txn(h, &ev, 0), 1);
  }
  workers_drain_stop(h, w, W);
  uint64_t taken = 0;
  for (unsigned i = 0; i < W; i++) taken += w[i].taken;
  SOF_CHECK_EQ(taken, N);
  unsigned seen[N][2];
  memset(seen, 0, sizeof seen);
  unsigned other = 0;
  for (unsigned i = 0; i < g_log_n; i++) {
    if (g_log[i].hook == SOF_HOOK_TRANSACTION && g_log[i].id < N) seen[g_log[i].id][g_log[i].plug]++;
    else if (g_log[i].hook != SOF_HOOK_ACCOUNT_TOUCH) other++;
  }
  unsigned once = 0;
  for (unsigned i = 0; i < N; i++) once += seen[i][0] == 1 && seen[i][1] == 1;
  SOF_CHECK_EQ(once, N);
  SOF_CHECK_EQ(other, 0);
  SOF_CHECK_EQ(log_count(1, SOF_HOOK_ACCOUNT_TOUCH), N);
  SOF_CHECK(s->max_cur > 1);   /* callbacks overlapped */
  SOF_CHECK(s->max_cur <= W);  /* bounded by the workers */
  sof_host_stats_t const *st = sof_host_stats(h);
  SOF_CHECK_EQ(st->lane[SOF_HOST_LANE_BACKGROUND].dispatched, N);
  SOF_CHECK_EQ(st->lane[SOF_HOST_LANE_BACKGROUND].callbacks, 3 * N);
  SOF_CHECK_EQ(sof_host_plugin_stats(h, 0)->callbacks[SOF_HOOK_TRANSACTION], N);
  SOF_CHECK_EQ(sof_host_plugin_stats(h, 1)->callbacks[SOF_HOOK_ACCOUNT_TOUCH], N);
  /* all slots came back: the lane takes its full depth again */
  for (uint32_t i = 0; i < 128; i++) {
    sof_ev_txn_t ev = tt_ev(&x, 1, SOF_COMMITMENT_PROCESSED, 1000 + i);
    SOF_CHECK_EQ(sof_host_publish_txn(h, &ev, 0), 1);
  }
  SOF_CHECK_EQ(st->lane[SOF_HOST_LANE_BACKGROUND].dropped, 0);
  sof_host_delete(h);
}

/* ---- a slow plugin: drop-new, the producer keeps its pace ------------------------------------ */

static void
test_slow_plugin(void) {
  enum { N = 200, D = 8 };
  sof_host_cfg_t cfg = cfg_depth(D);
  tp_reset();
  tp_t *s = tp_add("slow", SOF_HOOK_BIT(TRANSACTION));
  s->sleep_us = 1000;
  sof_host_t *h = mkhost(&cfg);
  ttx_t x;
  tt_simple(&x, 0x15, 1);
  worker_t w[1];
  workers_start(w, 1, h, SOF_HOST_LANE_BACKGROUND, 4);
  uint64_t total = 0, worst = 0, t0 = now_ns();
  unsigned queued = 0;
  for (uint32_t i = 0; i < N; i++) {
    sof_ev_txn_t ev = tt_ev(&x, 1, SOF_COMMITMENT_PROCESSED, i);
    uint64_t a = now_ns();
    queued += sof_host_publish_txn(h, &ev, 0);
    uint64_t d = now_ns() - a;
    total += d;
    if (d > worst) worst = d;
    usleep(100); /* ~5 publications per callback: the worker keeps taking some */
  }
  uint64_t wall = now_ns() - t0;
  /* the plugin needs >= 1 ms per event; the producer spent a fraction of
   * that in all its publications together (a blocking producer would have
   * waited >= 1 ms for each of the N - queued refused ones) */
  SOF_CHECK(total < 50000000ULL);
  fprintf(stderr, "slow plugin: %u of %u queued over %.1f ms, inside publish %.3f ms in all, worst %.1f us\n",
          queued, (unsigned)N, (double)wall / 1e6, (double)total / 1e6, (double)worst / 1e3);
  workers_drain_stop(h, w, 1);
  sof_host_stats_t const *st = sof_host_stats(h);
  SOF_CHECK_EQ(st->lane[SOF_HOST_LANE_BACKGROUND].enqueued, queued);
  SOF_CHECK_EQ(st->lane[SOF_HOST_LANE_BACKGROUND].enqueued + st->lane[SOF_HOST_LANE_BACKGROUND].dropped, N);
  SOF_CHECK_EQ(st->dropped[SOF_HOOK_TRANSACTION], N - queued);
  SOF_CHECK(queued >= D && queued < N); /* more than D when the worker freed slots meanwhile */
  SOF_CHECK_EQ(s->hook_calls, queued);
  SOF_CHECK_EQ(w[0].taken, queued);
  /* what was delivered came in publish order, starting with the first D */
  unsigned k = 0, bad = 0;
  uint64_t prev = 0;
  for (unsigned i = 0; i < g_log_n; i++) {
    if (g_log[i].hook != SOF_HOOK_TRANSACTION) continue;
    if (k < D ? g_log[i].id != k : g_log[i].id <= prev) bad++;
    prev = g_log[i].id;
    k++;
  }
  SOF_CHECK_EQ(k, queued);
  SOF_CHECK_EQ(bad, 0);
  SOF_CHECK(st->lane[SOF_HOST_LANE_BACKGROUND].depth_max <= D);
  sof_host_delete(h);
}

/* ---- transaction_batch buffers across 4 general workers ------------------------------------ */

static void
test_batch_concurrent(void) {
  enum { N = 300, W = 4, BS = 4 };
  sof_host_cfg_t cfg = cfg_depth(1024); /* > 2 N: the lane never drops */
  cfg.lane_workers[SOF_HOST_LANE_GENERAL] = W;
  cfg.batch_slots = BS;
  cfg.batch_bytes = 4096;
  tp_reset();
  tp_t *p = tp_add("p", SOF_HOOK_BIT(TRANSACTION_BATCH));
  p->desc.dispatch = SOF_DISPATCH_CONCURRENT;
  tp_t *q = tp_add("q", SOF_HOOK_BIT(TRANSACTION_BATCH));
  q->desc.dispatch = SOF_DISPATCH_CONCURRENT;
  q->desc.commitment = SOF_COMMITMENT_CONFIRMED;
  sof_host_t *h = mkhost(&cfg);
  sof_host_stats_t const *st = sof_host_stats(h);
  uint8_t pay[4096];
  memset(pay, 0x42, sizeof pay);
  worker_t w[W];
  workers_start(w, W, h, SOF_HOST_LANE_GENERAL, 2);
  unsigned queued = 0;
  for (uint32_t i = 0; i < N; i++) {
    /* every third batch is published at confirmed (p and q now), the
     * others wait for q and get released right away */
    int conf = i % 3 == 0;
    sof_ev_txn_batch_t ev = {.slot = 1000 + i, .commitment = conf ? SOF_COMMITMENT_CONFIRMED : 0,
                             .dataset_start_idx = i, .payload = pay, .payload_sz = sizeof pay};
    queued += sof_host_publish_txn_batch(h, &ev);
    if (!conf) {
      sof_ev_slot_status_t ss = {.slot = 1000 + i, .status = SOF_SLOT_CONFIRMED};
      sof_host_publish_slot_status(h, &ss);
    }
    if (i % 8 == 0) usleep(200);
  }
  workers_drain_stop(h, w, W);
  SOF_CHECK_EQ(st->commit_waiting, 0);
  SOF_CHECK_EQ(st->published[SOF_HOOK_TRANSACTION_BATCH], N);
  SOF_CHECK(st->batch_no_slot < N);
  uint64_t delivered = log_count(0, SOF_HOOK_TRANSACTION_BATCH) + log_count(1, SOF_HOOK_TRANSACTION_BATCH);
  /* every publication that got a buffer reached p and q, once each */
  SOF_CHECK_EQ(st->dropped[SOF_HOOK_TRANSACTION_BATCH], 0);
  SOF_CHECK_EQ(delivered, 2 * (N - st->batch_no_slot));
  /* every buffer came back: BS more batches all get one */
  uint64_t no_slot = st->batch_no_slot;
  for (uint32_t i = 0; i < BS; i++) {
    sof_ev_txn_batch_t ev = {.slot = 5000 + i, .commitment = SOF_COMMITMENT_FINALIZED,
                             .payload = pay, .payload_sz = 16};
    SOF_CHECK_EQ(sof_host_publish_txn_batch(h, &ev), 1);
  }
  SOF_CHECK_EQ(st->batch_no_slot, no_slot);
  fprintf(stderr, "batch: %" PRIu64 " delivered, %" PRIu64 " no_slot, %" PRIu64 " lane drops, %u queued\n",
          delivered, st->batch_no_slot, st->dropped[SOF_HOOK_TRANSACTION_BATCH], queued);
  sof_host_delete(h);
}

/* ---- held publications: released by the workers, never before their callbacks ------------- */

typedef struct hblk {
  hobj_t o; /* poisons x.b when its last reference goes */
  ttx_t  x;
} hblk_t;

static void
test_held_threads(void) {
  enum { N = 2000, W = 4, PER_SLOT = 50 };
  sof_host_cfg_t cfg = cfg_depth(64); /* small: some publications drop */
  cfg.lane_workers[SOF_HOST_LANE_BACKGROUND] = W;
  cfg.lane_workers[SOF_HOST_LANE_GENERAL] = W;
  cfg.commit_wait_max = 256;
  cfg.hold_waiting = 1;
  cfg.batch_slots = 8;
  cfg.batch_bytes = 2048;
  uint32_t T = SOF_HOOK_BIT(TRANSACTION), B = SOF_HOOK_BIT(TRANSACTION_BATCH);
  tp_reset();
  /* CONCURRENT plugins check each transaction's descriptor against its
   * bytes and fail the test when they do not match: poisoned bytes (a
   * reference released too early) fail it. */
  tp_t *a = tp_add("a", T | SOF_HOOK_BIT(ACCOUNT_TOUCH) | B);
  tp_t *k = tp_add("k", T);
  tp_set_interest(k, SOF_INTEREST_CRITICAL);
  tp_t *c = tp_add("c", T | B);
  c->desc.commitment = SOF_COMMITMENT_CONFIRMED;
  for (unsigned i = 0; i < tp_cnt; i++) tp_tab[i].desc.dispatch = SOF_DISPATCH_CONCURRENT;
  sof_host_t *h = mkhost(&cfg);
  sof_host_stats_t const *st = sof_host_stats(h);
  hblk_t *blk = calloc(N, sizeof *blk);
  if (!blk) exit(1);
  ttx_t x0;
  tt_simple(&x0, 0x16, 1);
  worker_t wb[W], wg[W], wc[1];
  workers_start(wb, W, h, SOF_HOST_LANE_BACKGROUND, 3);
  workers_start(wg, W, h, SOF_HOST_LANE_GENERAL, 2);
  workers_start(wc, 1, h, SOF_HOST_LANE_CRITICAL, 5);
  unsigned queued = 0;
  for (uint32_t i = 0; i < N; i++) {
    hblk_t *bk = &blk[i];
    bk->x = x0;
    ho_init(&bk->o, bk->x.b, bk->x.sz);
    uint64_t slot = 100 + i / PER_SLOT;
    sof_ev_txn_t ev = tt_ev(&bk->x, slot, SOF_COMMITMENT_PROCESSED, i);
    queued += sof_host_publish_txn_held(h, &ev, 0, ho_hold(), &bk->o);
    if (i % 4 == 0) { /* the same block as a batch's payload */
      sof_ev_txn_batch_t bev = {.slot = slot, .dataset_start_idx = i, .payload = bk->x.b,
                                .payload_sz = bk->x.sz};
      sof_host_publish_txn_batch_held(h, &bev, ho_hold(), &bk->o);
    }
    ho_release(&bk->o); /* the producer's own: the host's keep it alive */
    if ((i + 1) % PER_SLOT == 0) { /* the slot confirmed, or every third orphaned */
      sof_ev_slot_status_t ss = {.slot = slot, .status = slot % 3 ? SOF_SLOT_CONFIRMED
                                                                  : SOF_SLOT_ORPHANED};
      sof_host_publish_slot_status(h, &ss);
    }
    if (i % 64 == 0) usleep(100);
  }
  SOF_CHECK_EQ(st->commit_waiting, 0);
  for (int i = 0; i < 30000 && !sof_host_lanes_empty(h); i++) usleep(1000);
  SOF_CHECK_EQ(sof_host_lanes_empty(h), 1);
  __atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
  for (unsigned i = 0; i < W; i++) {
    pthread_join(wb[i].th, NULL);
    pthread_join(wg[i].th, NULL);
  }
  pthread_join(wc[0].th, NULL);
  /* every reference came back, each block exactly to zero, once */
  uint64_t retains = 0, unbalanced = 0, bad = 0, unpoisoned = 0;
  for (uint32_t i = 0; i < N; i++) {
    hblk_t *bk = &blk[i];
    retains += (uint64_t)bk->o.retains;
    unbalanced += bk->o.refs != 0 || bk->o.retains + 1 != bk->o.releases; /* + the producer's */
    bad += (uint64_t)bk->o.bad;
    unpoisoned += bk->x.b[0] != 0xDD || bk->x.b[bk->x.sz - 1] != 0xDD;
  }
  SOF_CHECK_EQ(unbalanced, 0);
  SOF_CHECK_EQ(bad, 0);
  SOF_CHECK_EQ(unpoisoned, 0);
  SOF_CHECK(retains >= st->txn_referenced + N / 4 - st->batch_no_slot);
  SOF_CHECK(st->txn_referenced > 0 && st->batch_referenced > 0 && st->commit_released > 0);
  SOF_CHECK_EQ(st->txn_copied, 0);
  SOF_CHECK(queued > 0);
  SOF_CHECK(a->hook_calls > 0 && k->hook_calls > 0 && c->hook_calls > 0);
  fprintf(stderr, "held: %" PRIu64 " references, %" PRIu64 " transaction slots, %" PRIu64
          " batch slots, %" PRIu64 " lane drops, %" PRIu64 " released, %" PRIu64 " orphaned\n",
          retains, st->txn_referenced, st->batch_referenced,
          st->lane[SOF_HOST_LANE_BACKGROUND].dropped + st->lane[SOF_HOST_LANE_CRITICAL].dropped +
            st->lane[SOF_HOST_LANE_GENERAL].dropped,
          st->commit_released, st->commit_orphaned);
  sof_host_delete(h);
  free(blk);
}

int
main(void) {
  tt_init();
  test_sequential_order();
  test_sequential_lock();
  test_concurrent();
  test_slow_plugin();
  test_batch_concurrent();
  test_held_threads();
  return sof_test_done("test_host_threads");
}
