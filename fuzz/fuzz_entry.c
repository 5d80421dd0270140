/* fuzz_entry.c: libFuzzer target for sof_entry (batch parse + iterator).
 *
 * Checks, abort()ing on violation: the one-shot parse and the iterator agree
 * (code, counts, consumed, trailing); on success consumed + trailing == size
 * and the trailing bytes are zero; entries and transactions are contiguous
 * and inside the input; every transaction descriptor's offsets lie inside
 * its own byte range; counts are consistent with the bytes they occupy;
 * markers are laid out as documented; iterating while skipping transactions
 * reaches the same verdict.
 *
 * Useful seeds: the entry batches under ../shared/vectors.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *     fuzz/fuzz_entry.c lib/wire/sof_entry.c lib/wire/sof_txn.c -o fuzz_entry */
#include "wire/sof_entry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(c) do {                                                        \
    if (!(c)) {                                                                \
      fprintf(stderr, "fuzz_entry: invariant violated: %s (line %d)\n", #c,    \
              __LINE__);                                                       \
      abort();                                                                 \
    }                                                                          \
  } while (0)

#include "sof_fuzz.h"

/* Checks a yielded transaction: range inside the input, descriptor offsets
 * inside the range. */
static void
check_txn(sof_txn_t const *t, size_t off, size_t sz, size_t size) {
  REQUIRE(sz >= SOF_TXN_MIN_SZ && sz <= SOF_TXN_MTU && sz == t->sz);
  REQUIRE(off < size && sz <= size - off);
  REQUIRE(t->sig_cnt >= 1 && t->sig_cnt <= SOF_TXN_SIG_MAX);
  REQUIRE((size_t)t->msg_off + t->msg_sz == sz);
  REQUIRE((size_t)t->acct_off + 32u * t->acct_cnt <= sz);
  REQUIRE((size_t)t->blockhash_off + 32u <= sz);
  REQUIRE(t->instr_cnt <= SOF_TXN_INSTR_MAX && t->alt_cnt <= SOF_TXN_ALT_MAX);
  for (unsigned j = 0; j < t->instr_cnt; j++) {
    REQUIRE((size_t)t->instr[j].acct_off + t->instr[j].acct_cnt <= sz);
    REQUIRE((size_t)t->instr[j].data_off + t->instr[j].data_sz <= sz);
    REQUIRE(t->instr[j].program_idx >= 1 && t->instr[j].program_idx < t->acct_cnt);
  }
  for (unsigned k = 0; k < t->alt_cnt; k++) {
    REQUIRE((size_t)t->alt[k].key_off + 32u <= sz);
    REQUIRE((size_t)t->alt[k].writable_off + t->alt[k].writable_cnt <= sz);
    REQUIRE((size_t)t->alt[k].readonly_off + t->alt[k].readonly_cnt <= sz);
  }
  REQUIRE(t->kind < SOF_TXN_KIND_CNT);
  REQUIRE(!t->simple_vote || t->kind == SOF_TXN_KIND_VOTE_ONLY);
}

/* Walks with the iterator; skip_mask bit e&63 set = don't read entry e's
 * txns (next() then skips them).  Returns the final code and fills the
 * counts it saw. */
static int
walk(uint8_t const *data, size_t size, uint64_t skip_mask, uint64_t *entries,
     uint64_t *ticks, uint64_t *txns, uint64_t *simple, size_t *end) {
  sof_entry_iter_t it;
  int r = sof_entry_iter_init(&it, data, size);
  *entries = *ticks = *txns = *simple = 0;
  if (r) {
    REQUIRE(r < 0 && it.err == r);
    *end = it.off;
    return r;
  }
  REQUIRE(it.entry_cnt <= (size - SOF_ENTRY_CNT_SZ) / SOF_ENTRY_MIN_SZ);
  sof_entry_t e;
  static sof_txn_t t;
  size_t expect = SOF_ENTRY_CNT_SZ;
  int partial = 0; /* txns of the previous entry were skipped */
  while ((r = sof_entry_iter_next(&it, &e)) == 1) {
    REQUIRE(e.idx == *entries);
    REQUIRE(partial ? e.off >= expect : e.off == expect);
    REQUIRE(e.off + SOF_ENTRY_MIN_SZ == e.txn_off && e.txn_off <= size);
    REQUIRE(e.hash == data + e.off + 8);
    REQUIRE(e.txn_cnt <= (size - e.txn_off) / SOF_TXN_MIN_SZ);
    expect = e.txn_off;
    partial = 0;
    if ((skip_mask >> (*entries & 63)) & 1) {
      partial = 1;
      (*entries)++;
      *ticks += !e.txn_cnt;
      continue;
    }
    size_t to, ts;
    uint64_t n = 0;
    while ((r = sof_entry_iter_next_txn(&it, &t, &to, &ts)) == 1) {
      REQUIRE(to == expect);
      check_txn(&t, to, ts, size);
      expect = to + ts;
      n++;
      (*txns)++;
      *simple += t.simple_vote;
    }
    if (r < 0) break;
    REQUIRE(n == e.txn_cnt);
    (*entries)++;
    *ticks += !e.txn_cnt;
  }
  REQUIRE(r <= 0);
  REQUIRE(it.off <= size);
  *end = it.off;
  if (!r) {
    REQUIRE(it.done && it.off + it.trailing == size);
    REQUIRE(partial || it.off == expect || it.kind != SOF_ENTRY_BATCH_ENTRIES);
  }
  /* Sticky. */
  REQUIRE(sof_entry_iter_next(&it, &e) == r);
  return r;
}

int
LLVMFuzzerTestOneInput(uint8_t const *data, size_t size) {
  sof_entry_batch_t s;
  int r = sof_entry_batch_parse(&s, data, size);
  REQUIRE(r <= 0 && r >= -SOF_ENTRY_ERR_CNT);
  REQUIRE(strcmp(sof_entry_err_str(r), "unknown"));
  REQUIRE(strcmp(sof_entry_batch_kind_str(s.kind), "unknown"));
  REQUIRE(s.consumed <= size);
  REQUIRE(s.tick_cnt <= s.entry_cnt);
  REQUIRE(s.simple_vote_cnt <= s.txn_cnt);
  REQUIRE(s.kind_cnt[0] + s.kind_cnt[1] + s.kind_cnt[2] == s.txn_cnt);
  /* Bytes account for what was parsed. */
  REQUIRE(s.entry_cnt * SOF_ENTRY_MIN_SZ + s.txn_cnt * SOF_TXN_MIN_SZ <= size);

  if (!r) {
    REQUIRE(s.consumed >= SOF_ENTRY_CNT_SZ);
    REQUIRE(s.consumed + s.trailing == size);
    for (size_t i = s.consumed; i < size; i++) REQUIRE(!data[i]);
    uint64_t cnt = 0;
    for (int i = 7; i >= 0; i--) cnt = cnt << 8 | data[i];
    switch (s.kind) {
    case SOF_ENTRY_BATCH_ENTRIES:
      REQUIRE(cnt >= 1 && s.entry_cnt == cnt);
      REQUIRE(SOF_ENTRY_CNT_SZ + s.entry_cnt * SOF_ENTRY_MIN_SZ +
              s.txn_cnt * SOF_TXN_MIN_SZ <= s.consumed);
      break;
    case SOF_ENTRY_BATCH_EMPTY:
      REQUIRE(cnt == 0 && s.consumed == SOF_ENTRY_CNT_SZ && s.entry_cnt == 0);
      break;
    case SOF_ENTRY_BATCH_MARKER:
      REQUIRE(cnt == 0 && s.entry_cnt == 0 && s.txn_cnt == 0);
      REQUIRE(s.marker.version == SOF_ENTRY_MARKER_VERSION_V1);
      REQUIRE(s.marker.variant < SOF_ENTRY_MARKER_VARIANT_CNT);
      REQUIRE(s.marker.payload_off == SOF_ENTRY_CNT_SZ + 5);
      REQUIRE(s.marker.payload_off + s.marker.payload_sz == s.consumed);
      break;
    default:
      REQUIRE(0);
    }
  } else {
    REQUIRE(s.err_off <= size);
    REQUIRE((r == SOF_ENTRY_ERR_TXN) == (s.txn_err != 0));
    if (r == SOF_ENTRY_ERR_TXN) REQUIRE(strcmp(sof_txn_err_str(s.txn_err), "unknown"));
    if (r == SOF_ENTRY_ERR_SHORT) REQUIRE(size < SOF_ENTRY_CNT_SZ);
    if (r == SOF_ENTRY_ERR_TRAILING) REQUIRE(s.err_off >= s.consumed && data[s.err_off]);
  }

  /* The iterator, reading everything, agrees exactly. */
  uint64_t e, tk, tx, sv;
  size_t end;
  REQUIRE(walk(data, size, 0, &e, &tk, &tx, &sv, &end) == r);
  REQUIRE(end == s.consumed);
  if (!r) {
    REQUIRE(e == s.entry_cnt && tk == s.tick_cnt && tx == s.txn_cnt &&
            sv == s.simple_vote_cnt);
  }
  /* Skipping some entries' txns reaches the same verdict and end. */
  uint64_t mask = size >= 16 ? (uint64_t)data[size - 1] * 0x0101010101010101ull : 0xAAAAAAAAAAAAAAAAull;
  uint64_t e2, tk2, tx2, sv2;
  size_t end2;
  REQUIRE(walk(data, size, mask, &e2, &tk2, &tx2, &sv2, &end2) == r);
  REQUIRE(end2 == end);
  if (!r) REQUIRE(e2 == e && tk2 == tk && tx2 <= tx);
  return 0;
}
