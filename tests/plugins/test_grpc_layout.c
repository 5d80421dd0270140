/* test_grpc_layout.c: the grpc plugin's per-slot dataset layout
 * (plugins/grpc/grpc_layout.h): transaction indexes (exact once the
 * datasets before are in, else the documented lower bound), dataset ends,
 * the block becoming whole once, slot replacement and the bounds. */
#include <stdint.h>
#include <string.h>

#include "../plugins/grpc/grpc_layout.h"
#include "sof_test.h"

/* The slot of the tests: datasets [0,32) 10 txns, [32,64) 20, [64,96) 5
 * (last in slot), entries 3, 4, 2. */
static void
test_in_order(void) {
  grpc_layout_t *l = grpc_layout_new();
  SOF_CHECK(l != NULL);
  uint64_t idx;
  uint32_t end;
  int done = -1;
  /* unknown slot: the position alone, nothing exact */
  SOF_CHECK_EQ(grpc_layout_txn(l, 7, 0, 3, &idx, &end), 0);
  SOF_CHECK_EQ(idx, 3);
  SOF_CHECK_EQ(end, 0);
  grpc_layout_slot_t const *s = grpc_layout_add(l, 7, 6, 0, 32, 10, 3, 0, NULL, &done);
  SOF_CHECK(s != NULL && done == 0);
  /* its own dataset: exact, end known */
  SOF_CHECK_EQ(grpc_layout_txn(l, 7, 0, 4, &idx, &end), GRPC_LAYOUT_INDEX_EXACT | GRPC_LAYOUT_END_KNOWN);
  SOF_CHECK_EQ(idx, 4);
  SOF_CHECK_EQ(end, 32);
  /* the next dataset, not complete yet (inline): exact, end unknown */
  SOF_CHECK_EQ(grpc_layout_txn(l, 7, 32, 2, &idx, &end), GRPC_LAYOUT_INDEX_EXACT);
  SOF_CHECK_EQ(idx, 12);
  SOF_CHECK_EQ(end, 0);
  /* a later one with a gap before it: the lower bound */
  SOF_CHECK_EQ(grpc_layout_txn(l, 7, 64, 1, &idx, &end), 0);
  SOF_CHECK_EQ(idx, 11);
  s = grpc_layout_add(l, 7, 6, 32, 64, 20, 4, 0, NULL, &done);
  SOF_CHECK(done == 0);
  uint8_t h[32];
  memset(h, 0xab, sizeof h);
  s = grpc_layout_add(l, 7, 6, 64, 96, 5, 2, 1, h, &done);
  SOF_CHECK(s != NULL && done == 1 && s->complete && s->has_hash);
  SOF_CHECK_EQ(s->run_txns, 35);
  SOF_CHECK_EQ(s->run_entries, 9);
  SOF_CHECK_EQ(s->parent, 6);
  SOF_CHECK(!memcmp(s->hash, h, 32));
  SOF_CHECK_EQ(grpc_layout_txn(l, 7, 64, 1, &idx, &end), GRPC_LAYOUT_INDEX_EXACT | GRPC_LAYOUT_END_KNOWN);
  SOF_CHECK_EQ(idx, 31);
  SOF_CHECK_EQ(end, 96);
  /* the same dataset again: ignored, no second completion */
  s = grpc_layout_add(l, 7, 6, 64, 96, 5, 2, 1, h, &done);
  SOF_CHECK(done == 0 && s->run_txns == 35 && s->n == 3);
  SOF_CHECK(grpc_layout_find(l, 7) == s);
  SOF_CHECK(grpc_layout_find(l, 8) == NULL);
  grpc_layout_free(l);
}

static void
test_out_of_order(void) {
  grpc_layout_t *l = grpc_layout_new();
  uint64_t idx;
  uint32_t end;
  int done = -1;
  /* the last dataset first, then the middle one: nothing contiguous */
  grpc_layout_slot_t const *s = grpc_layout_add(l, 9, UINT64_MAX, 64, 96, 5, 2, 1, NULL, &done);
  SOF_CHECK(done == 0 && !s->complete && s->parent == UINT64_MAX);
  grpc_layout_add(l, 9, 8, 32, 64, 20, 4, 0, NULL, &done);
  SOF_CHECK(done == 0);
  /* end known, index a lower bound (the run is empty: its position) */
  SOF_CHECK_EQ(grpc_layout_txn(l, 9, 64, 1, &idx, &end), GRPC_LAYOUT_END_KNOWN);
  SOF_CHECK_EQ(idx, 1);
  SOF_CHECK_EQ(end, 96);
  SOF_CHECK_EQ(grpc_layout_txn(l, 9, 32, 0, &idx, &end), GRPC_LAYOUT_END_KNOWN);
  SOF_CHECK_EQ(idx, 0);
  /* the first arrives: the run covers all, the block is whole */
  s = grpc_layout_add(l, 9, 8, 0, 32, 10, 3, 0, NULL, &done);
  SOF_CHECK(done == 1 && s->complete && s->run_txns == 35 && s->parent == 8);
  SOF_CHECK_EQ(grpc_layout_txn(l, 9, 64, 1, &idx, &end), GRPC_LAYOUT_INDEX_EXACT | GRPC_LAYOUT_END_KNOWN);
  SOF_CHECK_EQ(idx, 31);
  SOF_CHECK_EQ(grpc_layout_txn(l, 9, 32, 19, &idx, &end), GRPC_LAYOUT_INDEX_EXACT | GRPC_LAYOUT_END_KNOWN);
  SOF_CHECK_EQ(idx, 29);
  /* no hash given for the last dataset: whole but without a blockhash */
  SOF_CHECK(!s->has_hash);
  /* an empty range is no dataset */
  s = grpc_layout_add(l, 9, 8, 96, 96, 1, 1, 0, NULL, &done);
  SOF_CHECK(s->n == 3 && done == 0);
  grpc_layout_free(l);
}

static void
test_bounds(void) {
  grpc_layout_t *l = grpc_layout_new();
  uint64_t idx;
  uint32_t end;
  int done;
  /* a newer slot in the same place replaces the older; the older is refused then */
  grpc_layout_add(l, 5, 4, 0, 32, 10, 3, 0, NULL, &done);
  SOF_CHECK(grpc_layout_add(l, 5 + GRPC_LAYOUT_SLOTS, 4, 0, 32, 7, 3, 0, NULL, &done) != NULL);
  SOF_CHECK(grpc_layout_find(l, 5) == NULL);
  SOF_CHECK(grpc_layout_add(l, 5, 4, 32, 64, 10, 3, 0, NULL, &done) == NULL);
  grpc_layout_slot_t const *s = grpc_layout_find(l, 5 + GRPC_LAYOUT_SLOTS);
  SOF_CHECK(s != NULL && s->n == 1 && s->run_txns == 7);
  /* more datasets than GRPC_LAYOUT_DS: overflowed, nothing exact */
  for (uint32_t i = 0; i <= GRPC_LAYOUT_DS; i++)
    grpc_layout_add(l, 3, 2, i * 2, i * 2 + 2, 1, 1, 0, NULL, &done);
  s = grpc_layout_find(l, 3);
  SOF_CHECK(s != NULL && s->overflow && s->n == GRPC_LAYOUT_DS);
  SOF_CHECK_EQ(grpc_layout_txn(l, 3, 4, 0, &idx, &end), 0);
  SOF_CHECK_EQ(idx, 0);
  SOF_CHECK_EQ(end, 0);
  grpc_layout_free(l);
}

int
main(void) {
  test_in_order();
  test_out_of_order();
  test_bounds();
  return sof_test_done("test_grpc_layout");
}
