/* libFuzzer target: the inline (early) transaction walker over hostile
 * entry-batch bytes.
 *
 * The input is a program: its first byte picks a chunk size (1..1115 bytes,
 * as data shreds carry), the second an order (in index order, or every
 * adjacent pair swapped, or reversed) and whether the batch's emission
 * calls sof_inline_batch_finish (as sofd does) before batch_done; the
 * rest is batch bytes, cut into chunks that form one batch of a slot (the
 * last chunk carries DATA_COMPLETE). Chunks go into a reassembler and the
 * walker runs after each.
 *
 * Invariants: no crash; every transaction delivered inline parses exactly
 * (its bytes are one whole transaction); and when the whole batch is a
 * valid entry batch, the transactions delivered inline are, in order and
 * byte for byte, the first ones the batch parser yields, and
 * sof_inline_batch_done reports their count; with finish, in index order,
 * that is all of them. A batch that does not decode
 * may have had a valid prefix delivered (the walker cannot know the end):
 * only the first invariant holds for it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/sof_inline.h"
#include "resolve/sof_reasm.h"
#include "wire/sof_entry.h"
#include "wire/sof_shred.h"
#include "wire/sof_txn.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)
#define MAX_TXNS 4096

static sof_reasm_t *reasm;
static sof_inline_t *walker;
static uint8_t got[MAX_TXNS][SOF_TXN_MTU];
static uint32_t got_sz[MAX_TXNS];
static uint32_t got_cnt;
static uint32_t done_cnt;
static int batch_seen;
static int finish, in_order;

#include "sof_fuzz.h"

static void
on_inline(void *ctx, sof_inline_txn_t const *t) {
  (void)ctx;
  sof_txn_t x;
  REQUIRE(t->sz <= SOF_TXN_MTU);
  REQUIRE(sof_txn_parse(&x, t->bytes, t->sz, NULL) == SOF_TXN_OK);
  REQUIRE(t->idx_in_batch == got_cnt);
  if (got_cnt < MAX_TXNS) {
    memcpy(got[got_cnt], t->bytes, t->sz);
    got_sz[got_cnt] = t->sz;
  }
  got_cnt++;
}

static void
on_batch(void *ctx, sof_reasm_batch_t const *b) {
  (void)ctx;
  if (finish) sof_inline_batch_finish(walker, b->slot, b->start_idx, b->payload, (uint32_t)b->payload_sz, on_inline, NULL);
  done_cnt = sof_inline_batch_done(walker, b->slot, b->start_idx, b->end_idx);
  batch_seen = 1;
  REQUIRE(done_cnt == got_cnt);
  sof_entry_batch_t eb;
  if (sof_entry_batch_parse(&eb, b->payload, b->payload_sz) != 0) return;
  /* a valid batch: the inline ones are its first transactions */
  REQUIRE(got_cnt <= eb.txn_cnt);
  if (finish && in_order) REQUIRE(got_cnt == eb.txn_cnt);
  sof_entry_iter_t it;
  sof_entry_t e;
  uint32_t i = 0;
  sof_entry_iter_init(&it, b->payload, b->payload_sz);
  while (i < got_cnt && i < MAX_TXNS && sof_entry_iter_next(&it, &e) == 1) {
    sof_txn_t t;
    size_t off, tsz;
    while (i < got_cnt && i < MAX_TXNS && sof_entry_iter_next_txn(&it, &t, &off, &tsz) == 1) {
      REQUIRE(tsz == got_sz[i] && !memcmp(b->payload + off, got[i], tsz));
      i++;
    }
  }
  REQUIRE(i == got_cnt || got_cnt > MAX_TXNS);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  sof_reasm_cfg_t rc;
  sof_reasm_cfg_default(&rc);
  rc.slots_max = 4;
  rc.chunks = 1024;
  char err[128];
  reasm = sof_reasm_new(&rc, err, sizeof err);
  walker = sof_inline_new(4, err, sizeof err);
  REQUIRE(reasm && walker);
  return 0;
}

int
LLVMFuzzerTestOneInput(uint8_t const *data, size_t sz) {
  static uint64_t slot = 1;
  if (sz < 3) return 0;
  uint32_t chunk = 1 + (uint32_t)data[0] * 1114U / 255U;
  int order = data[1] % 3;
  finish = (data[1] / 3) & 1;
  in_order = order == 0;
  data += 2;
  sz -= 2;
  uint32_t n = (uint32_t)((sz + chunk - 1) / chunk);
  if (n > 1000) return 0;
  slot += 1;
  got_cnt = done_cnt = 0;
  batch_seen = 0;
  for (uint32_t k = 0; k < n; k++) {
    uint32_t i = order == 0 ? k : order == 1 ? (k ^ 1U) < n ? k ^ 1U : k : n - 1 - k;
    uint32_t off = i * chunk;
    uint32_t len = (uint32_t)(sz - off < chunk ? sz - off : chunk);
    uint8_t flags = i == n - 1 ? SOF_SHRED_FLAG_LAST_IN_SLOT : 0;
    sof_reasm_add(reasm, slot, slot - 1, i, flags, data + off, len, 0, on_batch, NULL);
    sof_inline_advance(walker, reasm, slot, on_inline, NULL);
  }
  REQUIRE(batch_seen);
  sof_reasm_reset(reasm);
  return 0;
}
