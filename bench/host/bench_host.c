/* bench_host.c: the plugin host's dispatch cost per event and lane: one
 * thread publishes a burst of events (sof_host_publish_*) and then polls the
 * lane dry (sof_host_lane_poll), so a figure is publish + copy + enqueue +
 * dequeue + the callbacks of trivial plugins + returning the slot, per
 * event. Bursts of 32 (the pipeline's pace under load) and of 1 (an idle
 * lane: every event pays a whole poll). Transactions are real signed ones
 * from sof_txgen (a system transfer, 215 bytes; a v0 token transfer with two
 * lookup tables). Transactions and transaction_batch events are measured
 * copied (sof_host_publish_txn / _batch) and held (the _held variants with
 * a hold whose retain / release are one atomic add / sub, like a
 * reference-counted buffer's). No worker thread: cross-core cache traffic
 * is not in these numbers. Figures, never assertions. */
#include "../sof_bench.h"

#include <string.h>

#include "gen/sof_txgen.h"
#include "plugin/sof_host.h"

static uint64_t g_sink;

static void on_dataset(void *s, sof_ev_dataset_t const *ev) { (void)s; g_sink += ev->start_idx; }
static void on_shred(void *s, sof_ev_shred_t const *ev) { (void)s; g_sink += ev->payload[100]; }
static void on_status(void *s, sof_ev_slot_status_t const *ev) { (void)s; g_sink += ev->slot; }
static void on_txn(void *s, sof_ev_txn_t const *ev) { (void)s; g_sink += ev->txn->acct_cnt; }
static void on_touch(void *s, sof_ev_account_touch_t const *ev) { (void)s; g_sink += ev->writable_cnt; }
static void on_batch(void *s, sof_ev_txn_batch_t const *ev) { (void)s; g_sink += ev->payload[ev->payload_sz - 1]; }
static int crit(void *s, sof_ev_txn_t const *ev) { (void)s; (void)ev; return SOF_INTEREST_CRITICAL; }

static uint8_t const nobody[1][32] = {{0xEE}};
static sof_prefilter_t const pf_nobody = {.vote = -1, .include = nobody, .include_cnt = 1};

static int
pf_setup(sof_plugin_env_t *env, void **state, char *err, size_t err_sz) {
  (void)state;
  (void)err;
  (void)err_sz;
  env->set_prefilter(env, &pf_nobody);
  return 0;
}

static sof_plugin_t
plug(char const *name, uint32_t hooks) {
  return (sof_plugin_t){
    .name = name, .api_version = SOF_PLUGIN_API_VERSION, .hooks = hooks,
    .dispatch = SOF_DISPATCH_SEQUENTIAL,
    .on_dataset = on_dataset, .on_shred = on_shred, .on_slot_status = on_status,
    .on_transaction = on_txn, .on_account_touch = on_touch, .on_transaction_batch = on_batch,
  };
}

#define K_DATASET 0
#define K_SHRED   1
#define K_STATUS  2
#define K_TXN     3
#define K_TXN_HELD 4
#define K_BATCH   5
#define K_BATCH_HELD 6

/* The held object: a reference count. */
static uint32_t g_refs = 1;
static void hold_retain(void *o) { __atomic_fetch_add((uint32_t *)o, 1U, __ATOMIC_RELAXED); }
static void hold_release(void *o) { __atomic_fetch_sub((uint32_t *)o, 1U, __ATOMIC_ACQ_REL); }
static sof_host_hold_t const g_hold = {hold_retain, hold_release};

typedef struct bctx {
  sof_host_t    *h;
  int            kind;
  int            lane;
  unsigned       burst;
  sof_ev_txn_t   tev;
  sof_ev_shred_t sev;
  sof_ev_txn_batch_t bev;
} bctx_t;

static uint64_t
run(void *ctx, uint64_t ops) {
  bctx_t *c = ctx;
  uint64_t done = 0;
  while (done < ops) {
    unsigned k = ops - done < c->burst ? (unsigned)(ops - done) : c->burst;
    for (unsigned i = 0; i < k; i++) {
      switch (c->kind) {
      case K_DATASET: {
        sof_ev_dataset_t ds = {.slot = 1, .start_idx = (uint32_t)(done + i)};
        sof_host_publish_dataset(c->h, &ds);
        break;
      }
      case K_SHRED: sof_host_publish_shred(c->h, &c->sev); break;
      case K_STATUS: {
        sof_ev_slot_status_t ss = {.slot = done + i, .status = SOF_SLOT_PROCESSED};
        sof_host_publish_slot_status(c->h, &ss);
        break;
      }
      case K_TXN_HELD: sof_host_publish_txn_held(c->h, &c->tev, 0, &g_hold, &g_refs); break;
      case K_BATCH: sof_host_publish_txn_batch(c->h, &c->bev); break;
      case K_BATCH_HELD: sof_host_publish_txn_batch_held(c->h, &c->bev, &g_hold, &g_refs); break;
      default: sof_host_publish_txn(c->h, &c->tev, 0); break;
      }
    }
    if (c->lane >= 0)
      while (sof_host_lane_poll(c->h, c->lane, 64)) {
      }
    done += k;
  }
  return g_sink;
}

typedef struct txbuf {
  uint8_t   b[SOF_TXN_MTU];
  sof_txn_t t;
  uint32_t  sz;
} txbuf_t;

static sof_ev_txn_batch_t g_bev; /* the transaction_batch cases' event */

static void
case_run(char const *name, sof_plugin_t const *const *pl, unsigned n, int kind, int lane,
         unsigned burst, txbuf_t const *tx, sof_ev_shred_t const *sev, uint64_t ops) {
  sof_host_cfg_t cfg;
  sof_host_cfg_default(&cfg);
  char err[256];
  sof_host_t *h = sof_host_new(&cfg, pl, n, err, sizeof err);
  if (!h || sof_host_setup(h, err, sizeof err)) {
    fprintf(stderr, "%s: %s\n", name, err);
    exit(1);
  }
  bctx_t c = {.h = h, .kind = kind, .lane = lane, .burst = burst};
  if (tx) {
    c.tev = (sof_ev_txn_t){.slot = 1, .kind = tx->t.kind, .signature = tx->b + 1, .bytes = tx->b,
                           .sz = tx->sz, .txn = &tx->t};
  }
  if (sev) c.sev = *sev;
  c.bev = g_bev;
  sof_bench_report(name, run, &c, ops);
  sof_host_stats_t const *st = sof_host_stats(h);
  for (int l = 0; l < SOF_HOST_LANE_CNT; l++)
    if (st->lane[l].dropped) fprintf(stderr, "%s: lane %s dropped %llu\n", name, sof_host_lane_str(l),
                                     (unsigned long long)st->lane[l].dropped);
  if (st->batch_no_slot) fprintf(stderr, "%s: batch_no_slot %llu\n", name,
                                 (unsigned long long)st->batch_no_slot);
  sof_host_delete(h);
  if (g_refs != 1) fprintf(stderr, "%s: held references unbalanced (%u)\n", name, g_refs);
}

int
main(void) {
  sof_txgen_t g;
  if (sof_txgen_init(&g, 1)) return 1;
  txbuf_t xfer, alt;
  long n = sof_txgen_txn(&g, SOF_TXGEN_TYPE_TRANSFER, xfer.b, sizeof xfer.b);
  if (n <= 0 || sof_txn_parse(&xfer.t, xfer.b, (size_t)n, NULL)) return 1;
  xfer.sz = (uint32_t)n;
  n = sof_txgen_txn(&g, SOF_TXGEN_TYPE_V0_ALT, alt.b, sizeof alt.b);
  if (n <= 0 || sof_txn_parse(&alt.t, alt.b, (size_t)n, NULL)) return 1;
  alt.sz = (uint32_t)n;
  printf("bench_host: plugin host, publish + lane poll + trivial callbacks per event, one thread\n");
  printf("transactions: transfer %u bytes (%u keys), v0 token %u bytes (%u keys, %u tables)\n",
         xfer.sz, xfer.t.acct_cnt, alt.sz, alt.t.acct_cnt, alt.t.alt_cnt);

  static uint8_t shred_bytes[1228];
  memset(shred_bytes, 7, sizeof shred_bytes);
  sof_shred_t sh;
  memset(&sh, 0, sizeof sh);
  sof_ev_shred_t sev = {.payload = shred_bytes, .sz = sizeof shred_bytes, .shred = &sh};

  uint64_t const OPS = 200000;
  uint32_t const TX = SOF_HOOK_BIT(TRANSACTION);

  sof_plugin_t gen1 = plug("g", SOF_HOOK_BIT(DATASET) | SOF_HOOK_BIT(SHRED) | SOF_HOOK_BIT(SLOT_STATUS));
  sof_plugin_t const *l_gen[1] = {&gen1};
  case_run("general dataset, 1 plugin, burst 32", l_gen, 1, K_DATASET, SOF_HOST_LANE_GENERAL, 32, NULL, NULL, OPS);
  case_run("general dataset, 1 plugin, burst 1", l_gen, 1, K_DATASET, SOF_HOST_LANE_GENERAL, 1, NULL, NULL, OPS);
  case_run("general slot_status, 1 plugin, burst 32", l_gen, 1, K_STATUS, SOF_HOST_LANE_GENERAL, 32, NULL, NULL, OPS);
  case_run("general shred 1228 B, 1 plugin, burst 32", l_gen, 1, K_SHRED, SOF_HOST_LANE_GENERAL, 32, NULL, &sev, OPS);

  sof_plugin_t bg1 = plug("b", TX);
  sof_plugin_t const *l_bg[1] = {&bg1};
  case_run("background txn transfer, 1 plugin, burst 32", l_bg, 1, K_TXN, SOF_HOST_LANE_BACKGROUND, 32, &xfer, NULL, OPS);
  case_run("  held", l_bg, 1, K_TXN_HELD, SOF_HOST_LANE_BACKGROUND, 32, &xfer, NULL, OPS);
  case_run("background txn transfer, 1 plugin, burst 1", l_bg, 1, K_TXN, SOF_HOST_LANE_BACKGROUND, 1, &xfer, NULL, OPS);
  case_run("  held", l_bg, 1, K_TXN_HELD, SOF_HOST_LANE_BACKGROUND, 1, &xfer, NULL, OPS);
  case_run("background txn v0 token, 1 plugin, burst 32", l_bg, 1, K_TXN, SOF_HOST_LANE_BACKGROUND, 32, &alt, NULL, OPS);
  case_run("  held", l_bg, 1, K_TXN_HELD, SOF_HOST_LANE_BACKGROUND, 32, &alt, NULL, OPS);

  sof_plugin_t cr1 = plug("c", TX);
  cr1.transaction_interest_ref = crit;
  sof_plugin_t const *l_cr[1] = {&cr1};
  case_run("critical txn transfer, 1 plugin, burst 32", l_cr, 1, K_TXN, SOF_HOST_LANE_CRITICAL, 32, &xfer, NULL, OPS);

  sof_plugin_t in1 = cr1;
  in1.inline_txn = 1;
  sof_plugin_t const *l_in[1] = {&in1};
  case_run("inline_critical txn transfer, 1 plugin, burst 32", l_in, 1, K_TXN, SOF_HOST_LANE_INLINE_CRITICAL, 32, &xfer, NULL, OPS);

  sof_plugin_t at1 = plug("t", TX | SOF_HOOK_BIT(ACCOUNT_TOUCH));
  sof_plugin_t const *l_at[1] = {&at1};
  case_run("background txn + account_touch v0, burst 32", l_at, 1, K_TXN, SOF_HOST_LANE_BACKGROUND, 32, &alt, NULL, OPS);
  case_run("  held", l_at, 1, K_TXN_HELD, SOF_HOST_LANE_BACKGROUND, 32, &alt, NULL, OPS);

  sof_plugin_t p4[4] = {plug("p0", TX), plug("p1", TX), plug("p2", TX), plug("p3", TX)};
  sof_plugin_t const *l_p4[4] = {&p4[0], &p4[1], &p4[2], &p4[3]};
  case_run("background txn transfer, 4 plugins, burst 32", l_p4, 4, K_TXN, SOF_HOST_LANE_BACKGROUND, 32, &xfer, NULL, OPS);
  case_run("  held", l_p4, 4, K_TXN_HELD, SOF_HOST_LANE_BACKGROUND, 32, &xfer, NULL, OPS);

  /* a 32 KiB dataset as transaction_batch (burst 16: within the 64 default buffers) */
  static uint8_t ds_bytes[32768];
  static sof_ev_txn_ref_t ds_refs[128];
  memset(ds_bytes, 3, sizeof ds_bytes);
  for (unsigned i = 0; i < 128; i++) ds_refs[i] = (sof_ev_txn_ref_t){.off = i * 256, .sz = 256};
  g_bev = (sof_ev_txn_batch_t){.slot = 1, .txn_cnt = 128, .txns = ds_refs, .payload = ds_bytes,
                               .payload_sz = sizeof ds_bytes};
  sof_plugin_t bt1 = plug("bt", SOF_HOOK_BIT(TRANSACTION_BATCH));
  sof_plugin_t const *l_bt[1] = {&bt1};
  case_run("general transaction_batch 32 KiB, burst 16", l_bt, 1, K_BATCH, SOF_HOST_LANE_GENERAL, 16, NULL, NULL, OPS / 4);
  case_run("  held", l_bt, 1, K_BATCH_HELD, SOF_HOST_LANE_GENERAL, 16, NULL, NULL, OPS / 4);

  /* refused by the prefilter before any copy: the cost of saying no */
  sof_plugin_t pfp = plug("f", TX);
  pfp.setup = pf_setup;
  sof_plugin_t const *l_pf[1] = {&pfp};
  case_run("txn refused by the prefilter (publish only)", l_pf, 1, K_TXN, -1, 32, &xfer, NULL, OPS);
  printf("(sink %llu)\n", (unsigned long long)(g_sink & 1));
  return 0;
}
