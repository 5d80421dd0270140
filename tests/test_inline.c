/* test_inline: early (inline) transactions from the contiguous prefix of
 * entry batches (sof_inline) over the reassembler.
 *
 * Batches of generated signed transactions are cut into data-shred chunks
 * and fed to a reassembler in random orders (whole slots of several
 * batches). Asserted for every order:
 * - each transaction is delivered exactly once overall: inline (by the
 *   walker) or through the dataset path (the emitted batch minus the count
 *   sof_inline_batch_done reports), with the same bytes, in batch order;
 * - with shreds in index order, every transaction but those completed by
 *   the batch's last shred comes inline (the exact count is computed from
 *   the byte offsets), and those of the last shred come through the batch;
 * - a batch that completes before an earlier one is skipped by the cursor
 *   (nothing twice);
 * - a corrupt batch stops the walk (counted) and nothing false is
 *   delivered;
 * - with sof_inline_batch_finish called as each batch is emitted, the same
 *   exactly-once delivery holds, and in index order every transaction
 *   comes inline (the last shred's too: none through the dataset). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/sof_txgen.h"
#include "pipeline/sof_inline.h"
#include "resolve/sof_reasm.h"
#include "sof_test.h"
#include "wire/sof_entry.h"
#include "wire/sof_shred.h"

#define BATCHES 4
#define CHUNK   1015U /* data bytes per shred (a chained resigned data shred's capacity) */

typedef struct batch {
  uint8_t  bytes[60000];
  long     sz;
  uint32_t txn_cnt;
  uint32_t txn_off[400], txn_sz[400];
  uint32_t first_idx, last_idx; /* shred indices */
} batch_t;

static batch_t batches[BATCHES];
static uint32_t shred_cnt;

/* Delivery record: per batch, per transaction, how many times. */
static int seen[BATCHES][400];
static int wrong;

static int
batch_of_start(uint32_t start) {
  for (int b = 0; b < BATCHES; b++)
    if (batches[b].first_idx == start) return b;
  return -1;
}

static void
mark(int b, uint32_t i, uint8_t const *bytes, uint32_t sz) {
  if (b < 0 || i >= batches[b].txn_cnt || sz != batches[b].txn_sz[i] ||
      memcmp(bytes, batches[b].bytes + batches[b].txn_off[i], sz)) {
    wrong++;
    return;
  }
  seen[b][i]++;
}

typedef struct ctx {
  sof_inline_t *w;
  int           finish;          /* on_batch calls sof_inline_batch_finish first */
  uint32_t      inline_cnt;
  uint32_t      dataset_cnt;
  uint32_t      last_inline_idx[BATCHES];
} ctx_t;

static void
on_inline(void *c_, sof_inline_txn_t const *t) {
  ctx_t *c = c_;
  int b = batch_of_start(t->batch_start);
  /* in order within the batch */
  if (b >= 0 && t->idx_in_batch != c->last_inline_idx[b]) wrong++;
  if (b >= 0) c->last_inline_idx[b] = t->idx_in_batch + 1;
  mark(b, t->idx_in_batch, t->bytes, t->sz);
  c->inline_cnt++;
}

static void
on_batch(void *c_, sof_reasm_batch_t const *rb) {
  ctx_t *c = c_;
  if (c->finish)
    sof_inline_batch_finish(c->w, rb->slot, rb->start_idx, rb->payload, (uint32_t)rb->payload_sz, on_inline, c);
  uint32_t done = sof_inline_batch_done(c->w, rb->slot, rb->start_idx, rb->end_idx);
  int b = batch_of_start(rb->start_idx);
  sof_entry_iter_t it;
  sof_entry_t e;
  uint32_t i = 0;
  sof_entry_iter_init(&it, rb->payload, rb->payload_sz);
  while (sof_entry_iter_next(&it, &e) == 1) {
    sof_txn_t t;
    size_t off, sz;
    while (sof_entry_iter_next_txn(&it, &t, &off, &sz) == 1) {
      if (i >= done) {
        mark(b, i, rb->payload + off, (uint32_t)sz);
        c->dataset_cnt++;
      }
      i++;
    }
  }
}

static void
make_batches(uint64_t seed) {
  sof_txgen_t g;
  SOF_CHECK_EQ(sof_txgen_init(&g, seed), SOF_TXGEN_OK);
  uint32_t idx = 0;
  for (int b = 0; b < BATCHES; b++) {
    batch_t *bt = &batches[b];
    sof_txgen_batch_t tb;
    sof_txgen_batch_init(&tb, bt->bytes, sizeof bt->bytes);
    uint8_t hash[32] = {(uint8_t)b};
    bt->txn_cnt = 0;
    uint32_t n = 20 + (uint32_t)(seed * 7 + (uint64_t)b * 13) % 40;
    for (uint32_t k = 0; k < n;) {
      sof_txgen_batch_entry_begin(&tb, 12, hash);
      for (uint32_t m = 0; m < 3 && k < n; m++, k++) {
        uint8_t tx[SOF_TXN_MTU];
        long sz = sof_txgen_txn(&g, sof_txgen_pick_type(&g, 600000), tx, sizeof tx);
        bt->txn_off[bt->txn_cnt] = (uint32_t)tb.sz;
        bt->txn_sz[bt->txn_cnt++] = (uint32_t)sz;
        sof_txgen_batch_entry_txn(&tb, tx, (size_t)sz);
      }
      sof_txgen_batch_entry_end(&tb);
      if (k % 9 == 0) sof_txgen_batch_tick(&tb, 4, hash);
    }
    bt->sz = sof_txgen_batch_fini(&tb);
    SOF_CHECK(bt->sz > 0);
    bt->first_idx = idx;
    idx += (uint32_t)((bt->sz + CHUNK - 1) / CHUNK);
    bt->last_idx = idx - 1;
  }
  shred_cnt = idx;
}

static void
shred_data(uint32_t idx, uint8_t const **d, uint32_t *sz, uint8_t *flags) {
  *d = NULL;
  *sz = 0;
  *flags = 0;
  for (int b = 0; b < BATCHES; b++) {
    batch_t *bt = &batches[b];
    if (idx < bt->first_idx || idx > bt->last_idx) continue;
    uint32_t off = (idx - bt->first_idx) * CHUNK;
    *d = bt->bytes + off;
    *sz = (uint32_t)((uint32_t)bt->sz - off < CHUNK ? (uint32_t)bt->sz - off : CHUNK);
    *flags = idx == bt->last_idx ? (b == BATCHES - 1 ? SOF_SHRED_FLAG_LAST_IN_SLOT : SOF_SHRED_FLAG_DATA_COMPLETE) : 0;
    return;
  }
}

/* A fresh reassembler (defaults) and walker (8 slots) in c, nothing seen
 * yet; the caller deletes both. */
static sof_reasm_t *
start(ctx_t *c) {
  memset(seen, 0, sizeof seen);
  wrong = 0;
  sof_reasm_cfg_t rc;
  sof_reasm_cfg_default(&rc);
  char err[128];
  sof_reasm_t *r = sof_reasm_new(&rc, err, sizeof err);
  memset(c, 0, sizeof *c);
  c->w = sof_inline_new(8, err, sizeof err);
  SOF_CHECK(r && c->w);
  return r;
}

/* Feeds shreds in order[] to a fresh reassembler + walker; checks exactly
 * once delivery. Returns the inline count. */
static uint64_t last_finished; /* the last run's sof_inline_stats finished */

static uint32_t
run_with(uint32_t const *order, uint64_t slot, int finish) {
  ctx_t c;
  sof_reasm_t *r = start(&c);
  c.finish = finish;
  for (uint32_t k = 0; k < shred_cnt; k++) {
    uint8_t const *d;
    uint32_t sz;
    uint8_t flags;
    shred_data(order[k], &d, &sz, &flags);
    SOF_CHECK_EQ(sof_reasm_add(r, slot, slot - 1, order[k], flags, d, sz, 0, on_batch, &c), SOF_REASM_NEW);
    sof_inline_advance(c.w, r, slot, on_inline, &c);
  }
  SOF_CHECK_EQ(wrong, 0);
  uint32_t total = 0;
  for (int b = 0; b < BATCHES; b++)
    for (uint32_t i = 0; i < batches[b].txn_cnt; i++) {
      SOF_CHECK_EQ(seen[b][i], 1);
      total++;
    }
  SOF_CHECK_EQ(c.inline_cnt + c.dataset_cnt, total);
  last_finished = sof_inline_stats(c.w)->finished;
  if (!finish) SOF_CHECK_EQ(last_finished, 0);
  sof_inline_delete(c.w);
  sof_reasm_delete(r);
  return c.inline_cnt;
}

static uint32_t
run(uint32_t const *order, uint64_t slot) {
  return run_with(order, slot, 0);
}

int
main(void) {
  uint32_t order[4096];
  for (uint64_t seed = 1; seed <= 6; seed++) {
    make_batches(seed);
    SOF_CHECK(shred_cnt < 4096);
    /* in index order: inline = transactions that end before the batch's
     * last shred */
    for (uint32_t i = 0; i < shred_cnt; i++) order[i] = i;
    uint32_t want = 0;
    for (int b = 0; b < BATCHES; b++) {
      uint32_t last_start = (batches[b].last_idx - batches[b].first_idx) * CHUNK;
      for (uint32_t i = 0; i < batches[b].txn_cnt; i++)
        if (batches[b].txn_off[i] + batches[b].txn_sz[i] <= last_start) want++;
    }
    SOF_CHECK(want > 0);
    SOF_CHECK_EQ(run(order, 100 + seed), want);
    uint32_t all = 0;
    for (int b = 0; b < BATCHES; b++) all += batches[b].txn_cnt;
    SOF_CHECK(want < all);
    SOF_CHECK_EQ(run_with(order, 150 + seed, 1), all);
    SOF_CHECK_EQ(last_finished, all - want); /* the last shreds' transactions */
    /* reversed: every batch completes at its first shred: nothing inline */
    for (uint32_t i = 0; i < shred_cnt; i++) order[i] = shred_cnt - 1 - i;
    SOF_CHECK_EQ(run(order, 200 + seed), 0);
    /* the cursor waits at batch 0, which completes last: finish gives
     * batch 0 whole, the others come through their datasets */
    SOF_CHECK_EQ(run_with(order, 250 + seed, 1), batches[0].txn_cnt);
    /* later batches complete first, then the earlier ones in order */
    uint32_t k = 0;
    for (int b = BATCHES - 1; b >= 1; b--)
      for (uint32_t i = batches[b].first_idx; i <= batches[b].last_idx; i++) order[k++] = i;
    for (uint32_t i = batches[0].first_idx; i <= batches[0].last_idx; i++) order[k++] = i;
    run(order, 300 + seed);
    /* random orders */
    sof_txgen_rng_t rng;
    sof_txgen_rng_seed(&rng, seed);
    for (int rep = 0; rep < 20; rep++) {
      for (uint32_t i = 0; i < shred_cnt; i++) order[i] = i;
      /* local shuffles (windows of 6) keep some prefix progress */
      for (uint32_t i = 0; i < shred_cnt; i++) {
        uint32_t j = i + (uint32_t)sof_txgen_rng_below(&rng, 6);
        if (j >= shred_cnt) j = shred_cnt - 1;
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      run(order, 1000 + seed * 100 + (uint64_t)rep);
      run_with(order, 5000 + seed * 100 + (uint64_t)rep, 1);
    }
  }
  /* a corrupt batch: a transaction's compact-u16 signature count made
   * invalid in the second shred: the walk stops, nothing false comes out */
  make_batches(9);
  uint32_t bad_at = batches[0].txn_off[batches[0].txn_cnt / 2];
  SOF_CHECK(bad_at > CHUNK && batches[0].last_idx >= 2);
  batches[0].bytes[bad_at] = 0; /* zero signatures */
  ctx_t c;
  sof_reasm_t *r = start(&c);
  for (uint32_t i = 0; i < batches[0].last_idx; i++) {
    uint8_t const *d;
    uint32_t sz;
    uint8_t flags;
    shred_data(i, &d, &sz, &flags);
    sof_reasm_add(r, 7, 6, i, flags, d, sz, 0, on_batch, &c);
    sof_inline_advance(c.w, r, 7, on_inline, &c);
  }
  SOF_CHECK_EQ(wrong, 0);
  SOF_CHECK_EQ(c.inline_cnt, batches[0].txn_cnt / 2); /* exactly those before the corrupt one */
  SOF_CHECK_EQ(sof_inline_stats(c.w)->parse_stopped, 1);
  sof_inline_delete(c.w);
  sof_reasm_delete(r);
  /* bad arguments */
  char err[128];
  SOF_CHECK(sof_inline_new(3, err, sizeof err) == NULL && strstr(err, "power of two"));
  return sof_test_done("inline");
}
