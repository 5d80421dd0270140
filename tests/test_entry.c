/* test_entry.c: unit tests for lib/wire/sof_entry over batches built here.
 *
 * The transactions inside are well-formed but unsigned (signature bytes are
 * a pattern): the entry parser validates structure, not signatures. */
#include "sof_test.h"
#include "wire/sof_entry.h"

/* ---- batch writer ------------------------------------------------------- */

#define BW_CAP (1u << 16)

typedef struct {
  uint8_t b[BW_CAP];
  size_t  sz;
} bw_t;

static bw_t g_bw;

static void
bw_u8(bw_t *w, unsigned v) {
  w->b[w->sz++] = (uint8_t)v;
}

static void
bw_u16(bw_t *w, unsigned v) {
  bw_u8(w, v & 0xFF);
  bw_u8(w, (v >> 8) & 0xFF);
}

static void
bw_u64(bw_t *w, uint64_t v) {
  for (int i = 0; i < 8; i++) bw_u8(w, (unsigned)(v >> (8 * i)) & 0xFF);
}

static void
bw_fill(bw_t *w, unsigned v, size_t n) {
  memset(w->b + w->sz, (int)v, n);
  w->sz += n;
}

static void
bw_cu16(bw_t *w, unsigned v) {
  uint8_t enc[3];
  int n = sof_compact_u16_encode((uint16_t)v, enc);
  for (int i = 0; i < n; i++) bw_u8(w, enc[i]);
}

/* Entry header; returns its offset. */
static size_t
bw_entry(bw_t *w, uint64_t num_hashes, unsigned hash_tag, uint64_t txn_cnt) {
  size_t off = w->sz;
  bw_u64(w, num_hashes);
  bw_fill(w, hash_tag, 32);
  bw_u64(w, txn_cnt);
  return off;
}

#define TX_VOTE     0 /* legacy, 1 sig, one Vote instruction: simple vote */
#define TX_TRANSFER 1 /* legacy, 1 sig, one System instruction            */
#define TX_V0_VOTE  2 /* v0, 1 sig, ComputeBudget + Vote, one lookup      */
#define TX_MIXED    3 /* legacy, 2 sigs, Vote + System                    */

/* Appends a transaction; returns its size. */
static size_t
bw_txn(bw_t *w, int type, unsigned tag) {
  size_t start = w->sz;
  unsigned sigs = type == TX_MIXED ? 2 : 1;
  bw_cu16(w, sigs);
  bw_fill(w, tag, 64 * sigs);
  if (type == TX_V0_VOTE) bw_u8(w, 0x80);
  /* keys: signers, vote account (writable), then 2 readonly programs */
  bw_u8(w, sigs);
  bw_u8(w, 0);
  bw_u8(w, 2);
  bw_cu16(w, sigs + 3);
  for (unsigned i = 0; i < sigs; i++) bw_fill(w, 0x10 + i + tag, 32);
  bw_fill(w, 0x20 + tag, 32);
  unsigned prog_a = sigs + 1, prog_b = sigs + 2;
  switch (type) {
  case TX_VOTE:
  case TX_MIXED:
    memcpy(w->b + w->sz, sof_txn_vote_program_id, 32);
    w->sz += 32;
    bw_fill(w, 0, 32); /* System program */
    break;
  case TX_TRANSFER:
    bw_fill(w, 0, 32);
    bw_fill(w, 0x33, 32);
    break;
  case TX_V0_VOTE:
    memcpy(w->b + w->sz, sof_txn_vote_program_id, 32);
    w->sz += 32;
    memcpy(w->b + w->sz, sof_txn_compute_budget_program_id, 32);
    w->sz += 32;
    break;
  }
  bw_fill(w, 0xBB, 32); /* blockhash */
  unsigned ix = type == TX_VOTE || type == TX_TRANSFER ? 1 : 2;
  bw_cu16(w, ix);
  if (type == TX_V0_VOTE) { /* ComputeBudget first */
    bw_u8(w, prog_b);
    bw_cu16(w, 0);
    bw_cu16(w, 5);
    bw_fill(w, 0x02, 5);
  }
  bw_u8(w, prog_a);
  bw_cu16(w, 2);
  bw_u8(w, sigs);
  bw_u8(w, type == TX_V0_VOTE ? sigs + 3 : 0); /* v0: first looked-up */
  bw_cu16(w, 40);
  bw_fill(w, 0x0e, 40);
  if (type == TX_MIXED) {
    bw_u8(w, prog_b);
    bw_cu16(w, 2);
    bw_u8(w, 0);
    bw_u8(w, 1);
    bw_cu16(w, 12);
    bw_fill(w, 0x02, 12);
  }
  if (type == TX_V0_VOTE) {
    bw_cu16(w, 1);
    bw_fill(w, 0x77, 32);
    bw_cu16(w, 1);
    bw_u8(w, 5);
    bw_cu16(w, 0);
  }
  return w->sz - start;
}

/* Parses [b, b+sz) from a malloc'd copy of exactly that size. */
static int
parse_copy(uint8_t const *b, size_t sz, sof_entry_batch_t *s) {
  uint8_t *copy = malloc(sz ? sz : 1);
  memcpy(copy, b, sz);
  int r = sof_entry_batch_parse(s, copy, sz);
  free(copy);
  return r;
}

/* ---- tests -------------------------------------------------------------- */

static void
test_short(void) {
  uint8_t z[8] = { 0 };
  sof_entry_batch_t s;
  for (size_t n = 0; n < 8; n++) {
    SOF_CHECK_EQ(parse_copy(z, n, &s), SOF_ENTRY_ERR_SHORT);
    SOF_CHECK_EQ(s.err_off, 0);
  }
  SOF_CHECK_EQ(sof_entry_batch_parse(&s, NULL, 0), SOF_ENTRY_ERR_SHORT);
}

static void
test_ticks(void) {
  bw_t *w = &g_bw;
  w->sz = 0;
  bw_u64(w, 3);
  size_t off[3];
  for (unsigned e = 0; e < 3; e++) off[e] = bw_entry(w, 12500 + e, 0xA0 + e, 0);
  sof_entry_batch_t s;
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_OK);
  SOF_CHECK_EQ(s.kind, SOF_ENTRY_BATCH_ENTRIES);
  SOF_CHECK_EQ(s.entry_cnt, 3);
  SOF_CHECK_EQ(s.tick_cnt, 3);
  SOF_CHECK_EQ(s.txn_cnt, 0);
  SOF_CHECK_EQ(s.num_hashes, 12500 * 3 + 3);
  SOF_CHECK_EQ(s.consumed, 8 + 3 * SOF_ENTRY_MIN_SZ);
  SOF_CHECK_EQ(s.trailing, 0);

  /* The iterator sees the same entries, fields and all. */
  sof_entry_iter_t it;
  SOF_CHECK_EQ(sof_entry_iter_init(&it, w->b, w->sz), SOF_ENTRY_OK);
  SOF_CHECK_EQ(it.entry_cnt, 3);
  sof_entry_t e;
  sof_txn_t t;
  SOF_CHECK_EQ(sof_entry_iter_next_txn(&it, &t, NULL, NULL), 0); /* no entry yet */
  for (unsigned k = 0; k < 3; k++) {
    SOF_CHECK_EQ(sof_entry_iter_next(&it, &e), 1);
    SOF_CHECK_EQ(e.idx, k);
    SOF_CHECK_EQ(e.num_hashes, 12500 + k);
    SOF_CHECK(e.hash == w->b + off[k] + 8);
    SOF_CHECK_EQ(e.hash[0], 0xA0 + k);
    SOF_CHECK_EQ(e.hash[31], 0xA0 + k);
    SOF_CHECK_EQ(e.txn_cnt, 0);
    SOF_CHECK_EQ(e.off, off[k]);
    SOF_CHECK_EQ(e.txn_off, off[k] + 48);
    SOF_CHECK_EQ(sof_entry_iter_next_txn(&it, &t, NULL, NULL), 0);
  }
  SOF_CHECK_EQ(sof_entry_iter_next(&it, &e), 0);
  SOF_CHECK_EQ(it.done, 1);
  SOF_CHECK_EQ(it.off, w->sz);
  SOF_CHECK_EQ(sof_entry_iter_next(&it, &e), 0); /* stays at the end */

  /* One entry with huge num_hashes: the sum saturates. */
  w->sz = 0;
  bw_u64(w, 2);
  bw_entry(w, UINT64_MAX - 1, 0, 0);
  bw_entry(w, 5, 0, 0);
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_OK);
  SOF_CHECK_EQ(s.num_hashes, UINT64_MAX);
}

/* Builds: entry0 = vote, transfer, v0 vote, mixed; entry1 = tick;
 * entry2 = vote.  Records txn offsets and sizes. */
static size_t g_txn_off[8], g_txn_sz[8];
static size_t g_entry_off[3];

static void
build_mixed_batch(void) {
  bw_t *w = &g_bw;
  w->sz = 0;
  bw_u64(w, 3);
  g_entry_off[0] = bw_entry(w, 100, 1, 4);
  static int const types[4] = { TX_VOTE, TX_TRANSFER, TX_V0_VOTE, TX_MIXED };
  for (unsigned k = 0; k < 4; k++) {
    g_txn_off[k] = w->sz;
    g_txn_sz[k] = bw_txn(w, types[k], k);
  }
  g_entry_off[1] = bw_entry(w, 200, 2, 0);
  g_entry_off[2] = bw_entry(w, 300, 3, 1);
  g_txn_off[4] = w->sz;
  g_txn_sz[4] = bw_txn(w, TX_VOTE, 9);
}

static void
test_txns(void) {
  build_mixed_batch();
  bw_t *w = &g_bw;
  sof_entry_batch_t s;
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_OK);
  SOF_CHECK_EQ(s.kind, SOF_ENTRY_BATCH_ENTRIES);
  SOF_CHECK_EQ(s.entry_cnt, 3);
  SOF_CHECK_EQ(s.tick_cnt, 1);
  SOF_CHECK_EQ(s.txn_cnt, 5);
  SOF_CHECK_EQ(s.simple_vote_cnt, 2);
  SOF_CHECK_EQ(s.kind_cnt[SOF_TXN_KIND_VOTE_ONLY], 3);
  SOF_CHECK_EQ(s.kind_cnt[SOF_TXN_KIND_NON_VOTE], 1);
  SOF_CHECK_EQ(s.kind_cnt[SOF_TXN_KIND_MIXED], 1);
  SOF_CHECK_EQ(s.num_hashes, 600);
  SOF_CHECK_EQ(s.consumed, w->sz);
  SOF_CHECK_EQ(s.trailing, 0);

  /* Iterator: every txn's range and descriptor. */
  static int const kinds[5] = { SOF_TXN_KIND_VOTE_ONLY, SOF_TXN_KIND_NON_VOTE,
                                SOF_TXN_KIND_VOTE_ONLY, SOF_TXN_KIND_MIXED,
                                SOF_TXN_KIND_VOTE_ONLY };
  static int const versions[5] = { SOF_TXN_VERSION_LEGACY, SOF_TXN_VERSION_LEGACY,
                                    SOF_TXN_VERSION_V0, SOF_TXN_VERSION_LEGACY,
                                    SOF_TXN_VERSION_LEGACY };
  sof_entry_iter_t it;
  sof_entry_t e;
  sof_txn_t t;
  SOF_CHECK_EQ(sof_entry_iter_init(&it, w->b, w->sz), SOF_ENTRY_OK);
  unsigned n = 0;
  static uint64_t const txn_cnt[3] = { 4, 0, 1 };
  for (unsigned k = 0; k < 3; k++) {
    SOF_CHECK_EQ(sof_entry_iter_next(&it, &e), 1);
    SOF_CHECK_EQ(e.off, g_entry_off[k]);
    SOF_CHECK_EQ(e.txn_cnt, txn_cnt[k]);
    SOF_CHECK_EQ(e.num_hashes, 100 * (k + 1));
    size_t to = 0, ts = 0;
    int r;
    while ((r = sof_entry_iter_next_txn(&it, &t, &to, &ts)) == 1) {
      SOF_CHECK_EQ(to, g_txn_off[n]);
      SOF_CHECK_EQ(ts, g_txn_sz[n]);
      SOF_CHECK_EQ(t.sz, ts);
      SOF_CHECK_EQ(t.kind, kinds[n]);
      SOF_CHECK_EQ(t.version, versions[n]);
      SOF_CHECK_EQ(it.txn_idx, n < 4 ? n + 1 : 1);
      /* descriptor offsets are relative to the txn start */
      SOF_CHECK_EQ(sof_txn_sig(&t, w->b + to, 0)[0], n < 4 ? n : 9);
      n++;
    }
    SOF_CHECK_EQ(r, 0);
  }
  SOF_CHECK_EQ(n, 5);
  SOF_CHECK_EQ(sof_entry_iter_next(&it, &e), 0);
  SOF_CHECK_EQ(it.trailing, 0);

  /* Reading only some txns: next skips (and validates) the rest. */
  SOF_CHECK_EQ(sof_entry_iter_init(&it, w->b, w->sz), SOF_ENTRY_OK);
  SOF_CHECK_EQ(sof_entry_iter_next(&it, &e), 1);
  SOF_CHECK_EQ(sof_entry_iter_next_txn(&it, &t, NULL, NULL), 1);
  SOF_CHECK_EQ(sof_entry_iter_next(&it, &e), 1);
  SOF_CHECK_EQ(e.off, g_entry_off[1]);
  SOF_CHECK_EQ(sof_entry_iter_next(&it, &e), 1);
  SOF_CHECK_EQ(e.off, g_entry_off[2]);
  SOF_CHECK_EQ(sof_entry_iter_next(&it, &e), 0);
  SOF_CHECK_EQ(it.off, w->sz);

  /* A broken txn: its sof_txn reason, where, and counts so far. */
  size_t sz = w->sz;
  w->b[g_txn_off[2]] = 0; /* signature count 0 */
  SOF_CHECK_EQ(parse_copy(w->b, sz, &s), SOF_ENTRY_ERR_TXN);
  SOF_CHECK_EQ(s.txn_err, SOF_TXN_ERR_SIG_CNT_ZERO);
  SOF_CHECK_EQ(s.err_off, g_txn_off[2]);
  SOF_CHECK_EQ(s.txn_cnt, 2);
  SOF_CHECK_EQ(s.entry_cnt, 0);
  SOF_CHECK_EQ(s.consumed, g_txn_off[2]);
  /* The error is sticky in the iterator. */
  SOF_CHECK_EQ(sof_entry_iter_init(&it, w->b, sz), SOF_ENTRY_OK);
  SOF_CHECK_EQ(sof_entry_iter_next(&it, &e), 1);
  SOF_CHECK_EQ(sof_entry_iter_next(&it, &e), SOF_ENTRY_ERR_TXN);
  SOF_CHECK_EQ(it.txn_err, SOF_TXN_ERR_SIG_CNT_ZERO);
  SOF_CHECK_EQ(sof_entry_iter_next(&it, &e), SOF_ENTRY_ERR_TXN);
  SOF_CHECK_EQ(sof_entry_iter_next_txn(&it, &t, NULL, NULL), SOF_ENTRY_ERR_TXN);
  w->b[g_txn_off[2]] = 1;
  /* A txn whose size runs into the next entry is caught as a txn error or
   * as a bad next entry, never silently. */
  w->b[g_txn_off[4] + 1 + 64 + 3] = 3; /* key count 3 -> fewer keys than read */
  SOF_CHECK(parse_copy(w->b, sz, &s) < 0);
}

static void
test_trailing(void) {
  build_mixed_batch();
  bw_t *w = &g_bw;
  size_t const body = w->sz;
  bw_fill(w, 0, 1000);
  sof_entry_batch_t s;
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_OK);
  SOF_CHECK_EQ(s.consumed, body);
  SOF_CHECK_EQ(s.trailing, 1000);
  SOF_CHECK_EQ(s.entry_cnt, 3);
  SOF_CHECK_EQ(s.txn_cnt, 5);
  /* One trailing zero. */
  SOF_CHECK_EQ(parse_copy(w->b, body + 1, &s), SOF_ENTRY_OK);
  SOF_CHECK_EQ(s.trailing, 1);

  /* Non-zero anywhere in the padding: rejected, pointing at the byte. */
  size_t const pos[3] = { body, body + 500, body + 999 };
  for (unsigned k = 0; k < 3; k++) {
    w->b[pos[k]] = 0x01;
    SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_ERR_TRAILING);
    SOF_CHECK_EQ(s.err_off, pos[k]);
    SOF_CHECK_EQ(s.entry_cnt, 3); /* the entries themselves were fine */
    SOF_CHECK_EQ(s.txn_cnt, 5);
    SOF_CHECK_STR(sof_entry_err_str(SOF_ENTRY_ERR_TRAILING), "trailing_nonzero");
    w->b[pos[k]] = 0;
  }
  /* Through the iterator too. */
  w->b[body + 7] = 0x80;
  sof_entry_iter_t it;
  sof_entry_t e;
  SOF_CHECK_EQ(sof_entry_iter_init(&it, w->b, w->sz), SOF_ENTRY_OK);
  int r;
  while ((r = sof_entry_iter_next(&it, &e)) == 1) {}
  SOF_CHECK_EQ(r, SOF_ENTRY_ERR_TRAILING);
  SOF_CHECK_EQ(it.err_off, body + 7);
  SOF_CHECK_EQ(it.done, 0);
}

static void
test_truncated(void) {
  build_mixed_batch();
  bw_t *w = &g_bw;
  sof_entry_batch_t s;
  int bad = 0;
  for (size_t n = 0; n < w->sz; n++) {
    int r = parse_copy(w->b, n, &s);
    int expect_ok = r == SOF_ENTRY_ERR_SHORT || r == SOF_ENTRY_ERR_ENTRY_CNT ||
                    r == SOF_ENTRY_ERR_TRUNCATED || r == SOF_ENTRY_ERR_TXN_CNT ||
                    r == SOF_ENTRY_ERR_TXN;
    if (!expect_ok) {
      bad++;
      fprintf(stderr, "  prefix %zu: %s\n", n, sof_entry_err_str(r));
    }
    if (n < 8 && r != SOF_ENTRY_ERR_SHORT) bad++;
    /* A prefix ending inside a txn fails inside that txn. */
    if (r == SOF_ENTRY_ERR_TXN && s.txn_err != SOF_TXN_ERR_TRUNCATED) bad++;
    if (s.consumed > n) bad++;
  }
  SOF_CHECK_EQ(bad, 0);
  /* Specific cut points. */
  SOF_CHECK_EQ(parse_copy(w->b, g_entry_off[1] + 10, &s), SOF_ENTRY_ERR_TRUNCATED);
  SOF_CHECK_EQ(s.err_off, g_entry_off[1]);
  SOF_CHECK_EQ(parse_copy(w->b, g_txn_off[3] + 100, &s), SOF_ENTRY_ERR_TXN);
  SOF_CHECK_EQ(s.txn_err, SOF_TXN_ERR_TRUNCATED);
  SOF_CHECK_EQ(s.err_off, g_txn_off[3]);
  SOF_CHECK_EQ(s.txn_cnt, 3);
  /* Cut early, 4 txns can no longer fit: implausible count, at the entry. */
  SOF_CHECK_EQ(parse_copy(w->b, g_txn_off[1] + 100, &s), SOF_ENTRY_ERR_TXN_CNT);
  SOF_CHECK_EQ(s.err_off, g_entry_off[0]);
}

static void
test_absurd_counts(void) {
  bw_t *w = &g_bw;
  sof_entry_batch_t s;
  /* Entry count 2^64-1 with a few bytes: rejected before any loop. */
  w->sz = 0;
  bw_u64(w, UINT64_MAX);
  bw_entry(w, 1, 1, 0);
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_ERR_ENTRY_CNT);
  SOF_CHECK_EQ(s.err_off, 0);
  SOF_CHECK_EQ(s.entry_cnt, 0);
  /* Exactly as many ticks as fit: fine; one more than fits: rejected. */
  w->sz = 0;
  bw_u64(w, 4);
  for (int k = 0; k < 4; k++) bw_entry(w, 1, 1, 0);
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_OK);
  SOF_CHECK_EQ(s.tick_cnt, 4);
  w->b[0] = 5;
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_ERR_ENTRY_CNT);
  /* 5 declared, 4 present (one with a txn) + 47 bytes of padding: the
   * count is plausible by size, the 5th header is truncated. */
  w->sz = 0;
  bw_u64(w, 5);
  bw_entry(w, 1, 1, 1);
  size_t tsz = bw_txn(w, TX_VOTE, 1);
  for (int k = 0; k < 3; k++) bw_entry(w, 1, 1, 0);
  bw_fill(w, 0, 47);
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_ERR_TRUNCATED);
  SOF_CHECK_EQ(s.err_off, 8 + 4 * 48 + tsz);
  SOF_CHECK_EQ(s.entry_cnt, 4);
  SOF_CHECK_EQ(s.tick_cnt, 3);
  SOF_CHECK_EQ(s.txn_cnt, 1);
  w->b[0] = 4; /* and with the right count the 47 zeros are padding */
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_OK);
  SOF_CHECK_EQ(s.trailing, 47);

  /* Txn count 2^64-1, and one more than the bytes can hold. */
  w->sz = 0;
  bw_u64(w, 1);
  bw_entry(w, 1, 1, UINT64_MAX);
  bw_fill(w, 0, 2 * SOF_TXN_MIN_SZ);
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_ERR_TXN_CNT);
  SOF_CHECK_EQ(s.err_off, 8);
  w->b[8 + 40] = 3;
  w->b[8 + 41] = 0;
  memset(w->b + 8 + 42, 0, 6);
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_ERR_TXN_CNT);
  w->b[8 + 40] = 2; /* plausible: then the zero bytes fail as a txn */
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_ERR_TXN);
  SOF_CHECK_EQ(s.txn_err, SOF_TXN_ERR_SIG_CNT_ZERO);
  SOF_CHECK_STR(sof_entry_err_str(SOF_ENTRY_ERR_TXN_CNT), "txn_cnt_implausible");
}

/* Writes count 0 + VersionedBlockMarker::V1 with a TLV. */
static void
bw_marker(bw_t *w, unsigned version, unsigned variant, unsigned len) {
  w->sz = 0;
  bw_u64(w, 0);
  bw_u16(w, version);
  bw_u8(w, variant);
  bw_u16(w, len);
  for (unsigned k = 0; k < len; k++) bw_u8(w, (k * 13 + 1) & 0xFF);
}

static void
test_marker(void) {
  bw_t *w = &g_bw;
  sof_entry_batch_t s;

  /* BlockHeader V1: payload = u8 1 (VersionedBlockHeader::V1) + parent slot
   * u64 + parent block id 32 = 41 bytes. */
  bw_marker(w, 1, SOF_ENTRY_MARKER_HEADER, 41);
  w->b[13] = 1;
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_OK);
  SOF_CHECK_EQ(s.kind, SOF_ENTRY_BATCH_MARKER);
  SOF_CHECK_STR(sof_entry_batch_kind_str(s.kind), "marker");
  SOF_CHECK_EQ(s.marker.version, 1);
  SOF_CHECK_EQ(s.marker.variant, SOF_ENTRY_MARKER_HEADER);
  SOF_CHECK_STR(sof_entry_marker_variant_str(s.marker.variant), "header");
  SOF_CHECK_EQ(s.marker.payload_off, 13);
  SOF_CHECK_EQ(s.marker.payload_sz, 41);
  SOF_CHECK_EQ(s.consumed, 54);
  SOF_CHECK_EQ(s.trailing, 0);
  SOF_CHECK_EQ(s.entry_cnt, 0);
  SOF_CHECK_EQ(s.txn_cnt, 0);

  /* Iterator: nothing to iterate, batch done at init. */
  sof_entry_iter_t it;
  sof_entry_t e;
  SOF_CHECK_EQ(sof_entry_iter_init(&it, w->b, w->sz), SOF_ENTRY_OK);
  SOF_CHECK_EQ(it.kind, SOF_ENTRY_BATCH_MARKER);
  SOF_CHECK_EQ(it.done, 1);
  SOF_CHECK_EQ(sof_entry_iter_next(&it, &e), 0);

  /* With zero padding (shreds pad batches). */
  size_t body = w->sz;
  bw_fill(w, 0, 300);
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_OK);
  SOF_CHECK_EQ(s.consumed, body);
  SOF_CHECK_EQ(s.trailing, 300);
  w->b[body + 299] = 9;
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_ERR_TRAILING);
  SOF_CHECK_EQ(s.err_off, body + 299);
  SOF_CHECK_EQ(s.kind, SOF_ENTRY_BATCH_MARKER);

  /* Footer with an empty payload; every V1 variant is named. */
  bw_marker(w, 1, SOF_ENTRY_MARKER_FOOTER, 0);
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_OK);
  SOF_CHECK_EQ(s.marker.variant, SOF_ENTRY_MARKER_FOOTER);
  SOF_CHECK_EQ(s.consumed, 13);
  bw_marker(w, 1, SOF_ENTRY_MARKER_GENESIS_CERT, 300);
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_OK);
  SOF_CHECK_EQ(s.marker.payload_sz, 300);
  SOF_CHECK_STR(sof_entry_marker_variant_str(SOF_ENTRY_MARKER_FOOTER), "footer");
  SOF_CHECK_STR(sof_entry_marker_variant_str(SOF_ENTRY_MARKER_UPDATE_PARENT), "update_parent");
  SOF_CHECK_STR(sof_entry_marker_variant_str(SOF_ENTRY_MARKER_GENESIS_CERT), "genesis_certificate");
  SOF_CHECK_STR(sof_entry_marker_variant_str(4), "unknown");

  /* Payload longer than the batch; cut inside the TLV header; cut inside
   * the version. */
  bw_marker(w, 1, SOF_ENTRY_MARKER_UPDATE_PARENT, 41);
  for (size_t n = 9; n < w->sz; n++) {
    SOF_CHECK_EQ(parse_copy(w->b, n, &s), SOF_ENTRY_ERR_MARKER_TRUNCATED);
    SOF_CHECK_EQ(s.kind, SOF_ENTRY_BATCH_MARKER);
  }
  /* Unknown version: reported (counted by version), not parsed further. */
  bw_marker(w, 2, 0, 4);
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_ERR_MARKER_VERSION);
  SOF_CHECK_EQ(s.kind, SOF_ENTRY_BATCH_MARKER);
  SOF_CHECK_EQ(s.marker.version, 2);
  SOF_CHECK_EQ(s.err_off, 8);
  /* Version 0 with non-zero bytes later is not padding either. */
  bw_marker(w, 0, 0, 4);
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_ERR_MARKER_VERSION);
  SOF_CHECK_EQ(s.marker.version, 0);
  /* Unknown V1 variant. */
  bw_marker(w, 1, 4, 4);
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_ERR_MARKER_VARIANT);
  SOF_CHECK_EQ(s.marker.variant, 4);
  SOF_CHECK_EQ(s.err_off, 10);

  /* A marker is never read as entries, even when its bytes would parse as
   * a tick entry: count 0 decides. */
  w->sz = 0;
  bw_u64(w, 0);
  bw_u16(w, 1);
  bw_u8(w, SOF_ENTRY_MARKER_FOOTER);
  bw_u16(w, 48);
  bw_entry(w, 1, 1, 0);
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_OK);
  SOF_CHECK_EQ(s.kind, SOF_ENTRY_BATCH_MARKER);
  SOF_CHECK_EQ(s.entry_cnt, 0);
  SOF_CHECK_EQ(s.tick_cnt, 0);

  /* Empty batch: 8 zero bytes (Alpenglow: aborted block), and with
   * padding. */
  w->sz = 0;
  bw_u64(w, 0);
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_OK);
  SOF_CHECK_EQ(s.kind, SOF_ENTRY_BATCH_EMPTY);
  SOF_CHECK_STR(sof_entry_batch_kind_str(s.kind), "empty");
  SOF_CHECK_EQ(s.consumed, 8);
  SOF_CHECK_EQ(s.trailing, 0);
  bw_fill(w, 0, 100);
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_OK);
  SOF_CHECK_EQ(s.kind, SOF_ENTRY_BATCH_EMPTY);
  SOF_CHECK_EQ(s.trailing, 100);
  SOF_CHECK_EQ(s.entry_cnt, 0);
  /* A lone non-zero byte after a zero count: a marker cut short. */
  w->sz = 9;
  w->b[8] = 1;
  SOF_CHECK_EQ(parse_copy(w->b, w->sz, &s), SOF_ENTRY_ERR_MARKER_TRUNCATED);
  SOF_CHECK_EQ(s.kind, SOF_ENTRY_BATCH_MARKER);
}

static void
test_names(void) {
  SOF_CHECK_STR(sof_entry_err_str(SOF_ENTRY_OK), "ok");
  SOF_CHECK_STR(sof_entry_err_str(1), "unknown");
  SOF_CHECK_STR(sof_entry_err_str(-SOF_ENTRY_ERR_CNT - 1), "unknown");
  for (int a = 0; a <= SOF_ENTRY_ERR_CNT; a++) {
    char const *s = sof_entry_err_str(-a);
    SOF_CHECK(strcmp(s, "unknown") != 0);
    for (char const *c = s; *c; c++)
      SOF_CHECK((*c >= 'a' && *c <= 'z') || *c == '_');
    for (int b = 0; b < a; b++) SOF_CHECK(strcmp(s, sof_entry_err_str(-b)) != 0);
  }
  SOF_CHECK_STR(sof_entry_batch_kind_str(SOF_ENTRY_BATCH_ENTRIES), "entries");
  SOF_CHECK_STR(sof_entry_batch_kind_str(3), "unknown");
}

int
main(void) {
  test_short();
  test_ticks();
  test_txns();
  test_trailing();
  test_truncated();
  test_absurd_counts();
  test_marker();
  test_names();
  return sof_test_done("test_entry");
}
