/* Resolver and reassembly rules on sets the shredder makes here: no RS work
 * when data is complete, late coding dropped, recovery byte-exact for every
 * loss count up to m, one loss too many leaves the set open, a second
 * version is a mismatch, inconsistent k/m, data-only sets, evictions by
 * pool, slot window and age; batches out of order, one shred completing two
 * batches, empty data shreds, LAST_IN_SLOT and slot completion, conflicts,
 * duplicates, size and slot limits. */
#include "sof_test.h"

#include <stdlib.h>

#include "crypto/sof_ed25519.h"
#include "crypto/sof_merkle.h"
#include "resolve/sof_reasm.h"
#include "resolve/sof_resolver.h"
#include "shredder/sof_shredder.h"

static sof_shredder_t sh;
static uint8_t kp[64];
static uint8_t batch[100000];

static long
make(sof_shredder_set_t *out, size_t max, uint64_t slot, uint32_t data_idx, size_t sz, int last, uint8_t seed) {
  for (size_t i = 0; i < sz; i++) batch[i] = (uint8_t)(i * 13 + seed);
  sof_shredder_args_t a = {.slot = slot, .parent_slot = slot - 1, .data_idx = data_idx, .shred_version = 3,
                           .reference_tick = 2, .last_in_slot = (uint8_t)last, .keypair = kp};
  uint8_t chained[32] = {seed};
  return sof_shredder_shred(&sh, &a, batch, sz, chained, out, max);
}

static int with_leaf; /* give the resolver the leaf hash, as verification does */

static int
add(sof_resolver_t *r, uint8_t const *p, size_t sz, sof_resolver_out_t *out) {
  sof_shred_t s;
  if (sof_shred_parse(&s, p, sz, 0)) return -100;
  uint8_t root[32] = {0}, leaf[32];
  if (s.is_merkle && sof_shred_merkle_root(root, p, &s)) return -101;
  if (s.is_merkle) sof_merkle_leaf(leaf, p + 64, s.proof_off - 64);
  return sof_resolver_add(r, p, &s, root, with_leaf && s.is_merkle ? leaf : NULL, 0, out);
}

/* Every rebuilt shred of out walks up its proof to out->root. */
static int
out_roots_bad(sof_resolver_out_t const *out) {
  int bad = 0;
  for (uint32_t k = 0; k < out->cnt; k++) {
    sof_shred_t s;
    uint8_t root[32];
    bad += sof_shred_parse(&s, out->shred[k], 1203, 0) || sof_shred_merkle_root(root, out->shred[k], &s) ||
           memcmp(root, out->root, 32);
  }
  return bad;
}

static sof_resolver_t *
mk_resolver(uint32_t records, uint32_t buffers, uint64_t window, uint64_t age) {
  sof_resolver_cfg_t c;
  sof_resolver_cfg_default(&c);
  c.set_records = records;
  c.set_buffers = buffers;
  c.slot_window = window;
  c.max_age_ns = age;
  return sof_resolver_new(&c, NULL, 0);
}

static sof_shredder_set_t set1[4], set2[4];

static void
test_resolver(void) {
  sof_resolver_out_t out;
  SOF_CHECK_EQ(make(set1, 4, 50, 0, 20000, 1, 1), 1);
  sof_resolver_t *r = mk_resolver(64, 8, 256, 0);

  /* all data first: complete without RS; every coding shred after is late */
  for (unsigned i = 0; i < 32; i++) SOF_CHECK_EQ(add(r, set1[0].data[i], 1203, &out), SOF_RESOLVER_DATA_NEW);
  SOF_CHECK_EQ(add(r, set1[0].data[4], 1203, &out), SOF_RESOLVER_DATA_DUP);
  SOF_CHECK_EQ(add(r, set1[0].code[0], 1228, &out), SOF_RESOLVER_LATE); /* k learned: data already complete */
  SOF_CHECK_EQ(add(r, set1[0].code[1], 1228, &out), SOF_RESOLVER_LATE);
  SOF_CHECK(sof_resolver_finished(r, 50, 0));
  sof_resolver_stats_t const *st = sof_resolver_stats(r);
  SOF_CHECK_EQ(st->sets_complete, 1);
  SOF_CHECK_EQ(st->sets_recovered, 0);
  SOF_CHECK_EQ(sof_resolver_open_sets(r), 0);

  /* every loss count 1..32, random positions: rebuilt shreds byte-exact;
   * 33 lost: the set stays open, nothing emitted */
  uint64_t rng = 99;
  int bad = 0;
  unsigned fast[2] = {0, 0}, recs[2] = {0, 0};
  for (unsigned pass = 0; pass < 2; pass++) {
  /* pass 0: no leaf hashes given (trusted posture): the partial tree the
   * proofs revealed serves, the received leaves a rebuilt leaf's path needs
   * are hashed; only when such a leaf is a lost parity shard does recovery
   * rebuild every shard (recover_full);
   * pass 1: leaves given: the partial tree serves, only data is rebuilt */
  with_leaf = (int)pass;
  for (unsigned lose = 1; lose <= 33; lose++) {
    sof_resolver_reset(r);
    uint8_t gone[64] = {0};
    for (unsigned g = 0; g < lose;) {
      rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
      unsigned i = (unsigned)(rng >> 58);
      if (!gone[i]) { gone[i] = 1; g++; }
    }
    unsigned lost_data = 0, rebuilt = 0, wrong = 0;
    for (unsigned i = 0; i < 32; i++) lost_data += gone[i];
    for (unsigned i = 0; i < 64; i++) {
      if (gone[i]) continue;
      int res = i < 32 ? add(r, set1[0].data[i], 1203, &out) : add(r, set1[0].code[i - 32], 1228, &out);
      for (uint32_t k = 0; k < out.cnt; k++) {
        rebuilt++;
        wrong += memcmp(out.shred[k], set1[0].data[out.idx[k]], 1203) != 0;
      }
      wrong += out_roots_bad(&out);
      if (out.cnt) wrong += memcmp(out.root, set1[0].root, 32) != 0;
      (void)res;
    }
    if (lose <= 32) {
      /* recovery happens as soon as k shards are in: it rebuilds what is
       * missing at that moment, which includes every lost data shred */
      bad += !sof_resolver_finished(r, 50, 0) || rebuilt < lost_data || wrong;
      bad += sof_resolver_stats(r)->result[SOF_RESOLVER_RECOVERY_FAILED] != 0;
    } else {
      bad += sof_resolver_finished(r, 50, 0) || rebuilt != 0 || sof_resolver_open_sets(r) != 1;
    }
    if (lose <= 32 && rebuilt) {
      bad += sof_resolver_stats(r)->recover_full > (pass ? 0U : 1U);
      fast[pass] += sof_resolver_stats(r)->recover_full == 0;
      recs[pass]++;
    }
  }
  }
  printf("resolve: recoveries without rebuilding every shard: %u of %u trusted, %u of %u verified\n",
         fast[0], recs[0], fast[1], recs[1]);
  SOF_CHECK(recs[0] >= 30 && fast[0] + 4 >= recs[0]);
  SOF_CHECK(recs[1] >= 30 && fast[1] == recs[1]);
  with_leaf = 1;
  SOF_CHECK_EQ(bad, 0);

  /* trusted (no root, no leaf), odd data + even coding kept, coding first:
   * received data shred 1, whose leaf rebuilt data shred 0's path needs,
   * carries a chained root that is not the set's. Its leaf is hashed with
   * the set's chained root, as every leaf of the set (not in place from
   * its own bytes), so the 16 rebuilt shreds are the genuine ones. */
  {
    sof_resolver_reset(r);
    static uint8_t odd[1203];
    memcpy(odd, set1[0].data[1], sizeof odd);
    sof_shred_t s;
    SOF_CHECK_EQ(sof_shred_parse(&s, odd, sizeof odd, 0), 0);
    SOF_CHECK(s.is_chained);
    odd[s.chained_root_off + 7] ^= 0x5A;
    unsigned got = 0, wrong = 0;
    int last = -1;
    for (unsigned i = 64; i-- > 0;) {
      if (i < 32 ? !(i & 1U) : (i & 1U)) continue;
      uint8_t const *p = i == 1 ? odd : i < 32 ? set1[0].data[i] : set1[0].code[i - 32];
      size_t sz = i < 32 ? 1203 : 1228;
      SOF_CHECK_EQ(sof_shred_parse(&s, p, sz, 0), 0);
      last = sof_resolver_add(r, p, &s, NULL, NULL, 0, &out);
      for (uint32_t k = 0; k < out.cnt; k++, got++) wrong += memcmp(out.shred[k], set1[0].data[out.idx[k]], 1203) != 0;
      wrong += out_roots_bad(&out);
    }
    SOF_CHECK_EQ(last, SOF_RESOLVER_RECOVERED);
    SOF_CHECK_EQ(got, 16);
    SOF_CHECK_EQ(wrong, 0);
    SOF_CHECK_EQ(sof_resolver_stats(r)->recover_full, 0);
  }

  /* coding first, then data: recovery at the k-th shard, later data late */
  sof_resolver_reset(r);
  for (unsigned i = 0; i < 31; i++) SOF_CHECK_EQ(add(r, set1[0].code[i], 1228, &out), SOF_RESOLVER_CODE_STORED);
  SOF_CHECK_EQ(add(r, set1[0].code[31], 1228, &out), SOF_RESOLVER_RECOVERED);
  SOF_CHECK_EQ(out.cnt, 32);
  for (uint32_t k = 0; k < out.cnt; k++) SOF_CHECK_MEM(out.shred[k], set1[0].data[out.idx[k]], 1203);
  SOF_CHECK_EQ(out_roots_bad(&out), 0);
  SOF_CHECK_EQ(add(r, set1[0].data[0], 1203, &out), SOF_RESOLVER_LATE);

  /* a second version of the set (same slot and fec, other root): mismatch */
  SOF_CHECK_EQ(make(set2, 4, 50, 0, 20000, 1, 2), 1);
  sof_resolver_reset(r);
  SOF_CHECK_EQ(add(r, set1[0].data[0], 1203, &out), SOF_RESOLVER_DATA_NEW);
  SOF_CHECK_EQ(add(r, set2[0].data[1], 1203, &out), SOF_RESOLVER_MISMATCH);
  SOF_CHECK_EQ(add(r, set2[0].code[1], 1228, &out), SOF_RESOLVER_MISMATCH);

  /* inconsistent k/m between coding shreds of one set */
  sof_resolver_reset(r);
  static uint8_t c[1228];
  memcpy(c, set1[0].code[3], 1228);
  SOF_CHECK_EQ(add(r, set1[0].code[2], 1228, &out), SOF_RESOLVER_CODE_STORED);
  uint16_t k31 = 31, m33 = 33;
  memcpy(c + 83, &k31, 2);
  memcpy(c + 85, &m33, 2);
  sof_shred_t cs;
  SOF_CHECK_EQ(sof_shred_parse(&cs, c, 1228, 0), 0);
  uint8_t root[32];
  memcpy(root, set1[0].root, 32);
  SOF_CHECK_EQ(sof_resolver_add(r, c, &cs, root, NULL, 0, &out), SOF_RESOLVER_MISMATCH);

  /* data only (no coding ever): data flows, the set stays open */
  sof_resolver_reset(r);
  for (unsigned i = 0; i < 32; i++) SOF_CHECK_EQ(add(r, set1[0].data[i], 1203, &out), SOF_RESOLVER_DATA_NEW);
  SOF_CHECK_EQ(sof_resolver_open_sets(r), 1);
  SOF_CHECK(!sof_resolver_finished(r, 50, 0));
  sof_resolver_delete(r);

  /* evictions: pool pressure (2 buffers), slot window, age */
  static sof_shredder_set_t s3[1];
  r = mk_resolver(64, 2, 4, 0);
  for (uint64_t slot = 100; slot < 104; slot++) {
    SOF_CHECK_EQ(make(s3, 1, slot, 0, 1000, 1, (uint8_t)slot), 1);
    SOF_CHECK_EQ(add(r, s3[0].data[0], 1203, &out), SOF_RESOLVER_DATA_NEW);
  }
  SOF_CHECK_EQ(sof_resolver_stats(r)->evict_pool, 2);
  SOF_CHECK_EQ(sof_resolver_open_sets(r), 2);
  /* an older slot than every open set: refused rather than evicting newer */
  SOF_CHECK_EQ(make(s3, 1, 90, 0, 1000, 1, 90), 1);
  SOF_CHECK_EQ(add(r, s3[0].data[0], 1203, &out), SOF_RESOLVER_NO_ROOM);
  /* complete a set of slot 200: open sets of slots 102-103 fall out of the window */
  SOF_CHECK_EQ(make(s3, 1, 200, 0, 1000, 1, 200), 1);
  for (unsigned i = 0; i < 32; i++) add(r, s3[0].data[i], 1203, &out);
  SOF_CHECK_EQ(add(r, s3[0].code[0], 1228, &out), SOF_RESOLVER_LATE);
  for (unsigned i = 0; i < 4; i++) add(r, s3[0].data[0], 1203, &out); /* let the sweep pass */
  SOF_CHECK(sof_resolver_stats(r)->evict_window >= 1);
  sof_resolver_delete(r);
  r = mk_resolver(64, 4, 1000, 1000);
  SOF_CHECK_EQ(make(s3, 1, 300, 0, 1000, 1, 1), 1);
  sof_shred_t ds;
  sof_shred_parse(&ds, s3[0].data[0], 1203, 0);
  sof_shred_merkle_root(root, s3[0].data[0], &ds);
  SOF_CHECK_EQ(sof_resolver_add(r, s3[0].data[0], &ds, root, NULL, 10, &out), SOF_RESOLVER_DATA_NEW);
  for (unsigned i = 0; i < 4; i++) sof_resolver_add(r, s3[0].data[0], &ds, root, NULL, 5000, &out);
  SOF_CHECK_EQ(sof_resolver_stats(r)->evict_age, 1);
  sof_resolver_delete(r);

  /* legacy: data passes through, coding unsupported */
  r = mk_resolver(64, 4, 100, 0);
  static uint8_t leg[1228];
  memset(leg, 0, sizeof leg);
  leg[64] = 0xA5;
  uint64_t slot = 7;
  memcpy(leg + 65, &slot, 8);
  uint16_t po = 1, size = 100;
  memcpy(leg + 83, &po, 2);
  memcpy(leg + 86, &size, 2);
  SOF_CHECK_EQ(add(r, leg, 1228, &out), SOF_RESOLVER_DATA_NEW);
  SOF_CHECK_EQ(sof_resolver_stats(r)->legacy_passthrough, 1);
  leg[64] = 0x5A;
  uint16_t cnt[3] = {4, 4, 0};
  memcpy(leg + 83, cnt, 6);
  SOF_CHECK_EQ(add(r, leg, 1228, &out), SOF_RESOLVER_UNSUPPORTED);
  sof_resolver_delete(r);

  char err[128] = "";
  sof_resolver_cfg_t bc;
  sof_resolver_cfg_default(&bc);
  bc.set_buffers = 0;
  SOF_CHECK(sof_resolver_new(&bc, err, sizeof err) == NULL && strstr(err, "set_buffers"));
}

/* ---- reassembly -------------------------------------------------------------- */

typedef struct {
  unsigned cnt;
  uint32_t start[8], end[8], sz[8], rec[8];
  int last[8], complete[8];
  uint8_t data[8][256];
} got_t;

static void
on_batch(void *ctx, sof_reasm_batch_t const *b) {
  got_t *g = ctx;
  if (g->cnt < 8) {
    g->start[g->cnt] = b->start_idx;
    g->end[g->cnt] = b->end_idx;
    g->sz[g->cnt] = b->payload_sz;
    g->rec[g->cnt] = b->recovered_cnt;
    g->last[g->cnt] = b->last_in_slot;
    g->complete[g->cnt] = b->slot_complete;
    memcpy(g->data[g->cnt], b->payload, b->payload_sz < 256 ? b->payload_sz : 256);
  }
  g->cnt++;
}

static sof_reasm_t *
mk_reasm(uint32_t slots, uint32_t chunks, uint32_t batch_max) {
  sof_reasm_cfg_t c;
  sof_reasm_cfg_default(&c);
  c.slots_max = slots;
  c.chunks = chunks;
  c.max_shreds_per_slot = 1024;
  c.batch_max_bytes = batch_max;
  return sof_reasm_new(&c, NULL, 0);
}

/* shred i of a synthetic slot: data = 10 bytes of value i (none when empty) */
static int
put(sof_reasm_t *a, uint64_t slot, uint32_t i, uint8_t flags, uint32_t len, int rec, got_t *g) {
  uint8_t d[16];
  memset(d, (int)i, sizeof d);
  return sof_reasm_add(a, slot, slot - 1, i, flags, d, len, rec, on_batch, g);
}

/* A caller-owned batch sink: batches land in buf (in order), or are
 * refused once room runs out. */
typedef struct {
  uint8_t  buf[64];
  size_t   used;
  unsigned calls;
} sink_t;

static uint8_t *
sink_fn(void *ctx, size_t bytes) {
  sink_t *k = ctx;
  k->calls++;
  if (k->used + bytes > sizeof k->buf) return NULL;
  uint8_t *p = k->buf + k->used;
  k->used += bytes;
  return p;
}

static sink_t the_sink;
static uint8_t const *sink_payload[8];

static void
on_batch_sink(void *ctx, sof_reasm_batch_t const *b) {
  got_t *g = ctx;
  if (g->cnt < 8) sink_payload[g->cnt] = b->payload;
  on_batch(ctx, b);
}

/* Batches assemble straight into the sink's memory; a refused one is
 * dropped and counted, the next ones go on. */
static void
test_reasm_sink(void) {
  sof_reasm_t *a = mk_reasm(4, 64, 1 << 16);
  sof_reasm_set_sink(a, sink_fn, &the_sink);
  got_t g = {0};
  uint8_t d[16];
  /* batch [0..1] (20 bytes), [2..3] (20 bytes), [4..7] (40 bytes: no room), [8] (10 bytes) */
  for (uint32_t i = 0; i < 9; i++) {
    memset(d, (int)i, sizeof d);
    uint8_t fl = (i == 1 || i == 3 || i == 7) ? 0x40 : i == 8 ? 0xC0 : 0;
    SOF_CHECK_EQ(sof_reasm_add(a, 50, 49, i, fl, d, 10, 0, on_batch_sink, &g), SOF_REASM_NEW);
  }
  SOF_CHECK_EQ(g.cnt, 3);
  SOF_CHECK_EQ(the_sink.calls, 4);
  SOF_CHECK_EQ(sof_reasm_stats(a)->sink_full, 1);
  SOF_CHECK(sink_payload[0] == the_sink.buf && sink_payload[1] == the_sink.buf + 20 &&
            sink_payload[2] == the_sink.buf + 40);
  SOF_CHECK_EQ(g.start[2], 8);
  SOF_CHECK_EQ(g.sz[2], 10);
  SOF_CHECK(the_sink.buf[0] == 0 && the_sink.buf[10] == 1 && the_sink.buf[20] == 2 && the_sink.buf[40] == 8);
  /* back to the own buffer */
  sof_reasm_set_sink(a, NULL, NULL);
  memset(d, 9, sizeof d);
  SOF_CHECK_EQ(sof_reasm_add(a, 51, 50, 0, 0xC0, d, 10, 0, on_batch_sink, &g), SOF_REASM_NEW);
  SOF_CHECK_EQ(g.cnt, 4);
  SOF_CHECK(sink_payload[3] < the_sink.buf || sink_payload[3] >= the_sink.buf + sizeof the_sink.buf);
  sof_reasm_delete(a);
}

static void
test_reasm(void) {
  sof_reasm_t *a = mk_reasm(4, 64, 4096);
  got_t g = {0};
  /* slot 10: batches [0..2] [3..4] [5..6 LAST]; shred 5 is empty */
  SOF_CHECK_EQ(put(a, 10, 4, 0x40, 10, 0, &g), SOF_REASM_NEW);   /* end of batch 2 */
  SOF_CHECK_EQ(put(a, 10, 6, 0xC0, 10, 1, &g), SOF_REASM_NEW);   /* end of the slot */
  /* empty shred 5 completes [5..6]: 4 carries DATA_COMPLETE, 6 is here */
  SOF_CHECK_EQ(put(a, 10, 5, 0x00, 0, 0, &g), SOF_REASM_NEW);
  SOF_CHECK_EQ(g.cnt, 1);
  SOF_CHECK(g.start[0] == 5 && g.end[0] == 6 && g.sz[0] == 10 && g.last[0] && !g.complete[0] && g.rec[0] == 1);
  SOF_CHECK_EQ(put(a, 10, 3, 0x00, 10, 0, &g), SOF_REASM_NEW);   /* [3..4] needs 2's DC */
  SOF_CHECK_EQ(put(a, 10, 0, 0x00, 10, 0, &g), SOF_REASM_NEW);
  SOF_CHECK_EQ(put(a, 10, 1, 0x00, 10, 0, &g), SOF_REASM_NEW);
  SOF_CHECK_EQ(put(a, 10, 1, 0x00, 10, 0, &g), SOF_REASM_DUP);
  SOF_CHECK_EQ(g.cnt, 1);
  /* shred 2 ends [0..2] and reveals where [3..4] starts: both at once */
  SOF_CHECK_EQ(put(a, 10, 2, 0x40, 10, 0, &g), SOF_REASM_NEW);
  SOF_CHECK_EQ(g.cnt, 3);
  SOF_CHECK(g.start[1] == 0 && g.end[1] == 2 && g.sz[1] == 30 && !g.last[1] && !g.complete[1]);
  SOF_CHECK(g.data[1][0] == 0 && g.data[1][10] == 1 && g.data[1][29] == 2);
  SOF_CHECK(g.start[2] == 3 && g.end[2] == 4 && g.sz[2] == 20 && g.complete[2]); /* the slot is now whole */
  sof_reasm_stats_t const *st = sof_reasm_stats(a);
  SOF_CHECK_EQ(st->batches, 3);
  SOF_CHECK_EQ(st->slots_complete, 1);
  /* shreds past the last, or a second last: conflicts */
  SOF_CHECK_EQ(put(a, 10, 7, 0x00, 10, 0, &g), SOF_REASM_CONFLICT);
  SOF_CHECK_EQ(put(a, 10, 9, 0xC0, 10, 0, &g), SOF_REASM_CONFLICT);
  sof_reasm_delete(a);

  /* the last batch's flags: slot_complete only when everything before is out */
  a = mk_reasm(4, 64, 4096);
  memset(&g, 0, sizeof g);
  SOF_CHECK_EQ(put(a, 20, 2, 0x40, 5, 0, &g), SOF_REASM_NEW);
  SOF_CHECK_EQ(put(a, 20, 3, 0xC0, 5, 1, &g), SOF_REASM_NEW);
  SOF_CHECK_EQ(g.cnt, 1);               /* [3..3] starts after 2's DC */
  SOF_CHECK(g.last[0] && !g.complete[0] && g.rec[0] == 1);
  SOF_CHECK_EQ(put(a, 20, 0, 0x00, 5, 0, &g), SOF_REASM_NEW);
  SOF_CHECK_EQ(put(a, 20, 1, 0x00, 5, 0, &g), SOF_REASM_NEW);
  SOF_CHECK_EQ(g.cnt, 2);
  SOF_CHECK(g.start[1] == 0 && g.end[1] == 2 && g.complete[1]);
  /* a shred past LAST before LAST is known makes the LAST shred a conflict */
  SOF_CHECK_EQ(put(a, 21, 5, 0x00, 5, 0, &g), SOF_REASM_NEW);
  SOF_CHECK_EQ(put(a, 21, 3, 0xC0, 5, 0, &g), SOF_REASM_CONFLICT);
  sof_reasm_delete(a);

  /* limits: batch too large, index beyond the slot limit, old slot, chunk pool */
  a = mk_reasm(2, 3, SOF_REASM_CHUNK_SZ);
  memset(&g, 0, sizeof g);
  static uint8_t big[SOF_REASM_CHUNK_SZ];
  SOF_CHECK_EQ(sof_reasm_add(a, 30, 29, 0, 0, big, SOF_REASM_CHUNK_SZ, 0, on_batch, &g), SOF_REASM_NEW);
  SOF_CHECK_EQ(sof_reasm_add(a, 30, 29, 1, 0x40, big, 1, 0, on_batch, &g), SOF_REASM_TOO_LARGE);
  SOF_CHECK_EQ(g.cnt, 0);
  SOF_CHECK_EQ(put(a, 30, 1024, 0, 1, 0, &g), SOF_REASM_BAD_INDEX);
  SOF_CHECK_EQ(put(a, 31, 0, 0, 10, 0, &g), SOF_REASM_NEW);
  SOF_CHECK_EQ(put(a, 32, 0, 0, 10, 0, &g), SOF_REASM_NEW);  /* evicts slot 30 (2 tracked) */
  SOF_CHECK_EQ(sof_reasm_stats(a)->slots_evicted, 1);
  SOF_CHECK_EQ(put(a, 29, 0, 0, 10, 0, &g), SOF_REASM_OLD_SLOT);
  SOF_CHECK_EQ(put(a, 32, 1, 0, 10, 0, &g), SOF_REASM_NEW);  /* 3 chunks in use */
  SOF_CHECK_EQ(put(a, 31, 1, 0, 10, 0, &g), SOF_REASM_NO_SPACE); /* only newer slots hold chunks */
  SOF_CHECK_EQ(put(a, 32, 2, 0, 10, 0, &g), SOF_REASM_NEW);  /* evicts older slot 31 for space */
  sof_reasm_delete(a);

  char err[160] = "";
  sof_reasm_cfg_t bc;
  sof_reasm_cfg_default(&bc);
  bc.slots_max = 0;
  SOF_CHECK(sof_reasm_new(&bc, err, sizeof err) == NULL && strstr(err, "slots_max"));
}

/* whole slots from the shredder, out of order with duplicates and loss,
 * through resolver and reassembly: every batch byte for byte */
static uint8_t e2e_batches[3][70000];
static size_t e2e_sz[3] = {45000, 1, 61000};
static uint32_t e2e_start[3];

typedef struct {
  unsigned cnt, bad;
  int complete;
} e2e_t;

static void
on_e2e(void *ctx, sof_reasm_batch_t const *b) {
  e2e_t *e = ctx;
  e->cnt++;
  e->complete |= b->slot_complete;
  for (unsigned i = 0; i < 3; i++)
    if (b->start_idx == e2e_start[i])
      e->bad += b->payload_sz != e2e_sz[i] || memcmp(b->payload, e2e_batches[i], e2e_sz[i]);
}

/* The three e2e batches of slot `slot` (parent 70) shredded into sets;
 * returns how many sets (0 on failure, counted). */
static size_t
e2e_shred(sof_shredder_set_t sets[8], uint64_t slot) {
  uint32_t idx = 0;
  size_t nsets = 0;
  for (unsigned b = 0; b < 3; b++) {
    for (size_t i = 0; i < e2e_sz[b]; i++) e2e_batches[b][i] = (uint8_t)(i * 7 + b);
    e2e_start[b] = idx;
    sof_shredder_args_t a = {.slot = slot, .parent_slot = 70, .data_idx = idx, .shred_version = 3,
                             .reference_tick = (uint8_t)b, .last_in_slot = b == 2, .keypair = kp};
    uint8_t chained[32] = {0};
    long n = sof_shredder_shred(&sh, &a, e2e_batches[b], e2e_sz[b], chained, sets + nsets, 8 - nsets);
    SOF_CHECK(n > 0);
    if (n <= 0) return 0;
    nsets += (size_t)n;
    idx += 32 * (uint32_t)n;
  }
  return nsets;
}

static void
test_end_to_end(void) {
  static sof_shredder_set_t sets[8];
  size_t nsets = e2e_shred(sets, 77);
  if (!nsets) return;
  typedef struct { uint8_t const *p; size_t sz; } item_t;
  static item_t items[8 * 64 * 2];
  int bad = 0, runs_complete = 0;
  for (unsigned seed = 1; seed <= 20; seed++) {
    uint64_t rng = seed;
    size_t n = 0;
    for (size_t k = 0; k < nsets; k++) {
      unsigned lost = 0;
      for (unsigned i = 0; i < 64; i++) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        if ((rng >> 59) < 14 && lost < 32) { lost++; continue; } /* ~44% loss, at most 32 per set */
        items[n].p = i < 32 ? sets[k].data[i] : sets[k].code[i - 32];
        items[n].sz = i < 32 ? 1203 : 1228;
        n++;
        if ((rng >> 40) % 8 == 0) { items[n] = items[n - 1]; n++; } /* duplicates */
      }
    }
    for (size_t i = n; i > 1; i--) {
      rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
      size_t j = (rng >> 33) % i;
      item_t t = items[i - 1]; items[i - 1] = items[j]; items[j] = t;
    }
    sof_resolver_t *r = mk_resolver(256, 16, 100, 0);
    sof_reasm_t *a = mk_reasm(4, 1024, 1 << 20);
    e2e_t e = {0};
    for (size_t i = 0; i < n; i++) {
      sof_resolver_out_t out;
      sof_shred_t s;
      sof_shred_parse(&s, items[i].p, items[i].sz, 0);
      int res = add(r, items[i].p, items[i].sz, &out);
      if (s.is_data && (res == SOF_RESOLVER_DATA_NEW || res == SOF_RESOLVER_RECOVERED))
        sof_reasm_add_shred(a, items[i].p, &s, 0, NULL, on_e2e, &e);
      for (uint32_t k = 0; k < out.cnt; k++) {
        sof_shred_t rs;
        sof_shred_parse(&rs, out.shred[k], 1203, 0);
        sof_reasm_add_shred(a, out.shred[k], &rs, 1, NULL, on_e2e, &e);
      }
      bad += out_roots_bad(&out);
    }
    bad += sof_resolver_stats(r)->sets_complete != nsets || e.cnt != 3 || e.bad || !e.complete;
    runs_complete += e.complete;
    sof_resolver_delete(r);
    sof_reasm_delete(a);
  }
  SOF_CHECK_EQ(bad, 0);
  SOF_CHECK_EQ(runs_complete, 20);
}


/* ---- by reference (sof_shred_ref.h): the caller's buffers, no copies ---- */

typedef struct tbuf {
  int     refs;
  uint8_t b[1232];
} tbuf_t;

typedef struct tpool {
  long live;       /* buffers with references */
  long retains;
  int  fail_alloc; /* refuse this many allocs */
  long allocs;
  tbuf_t *all[8192];
  unsigned n;
} tpool_t;

static tbuf_t *
tbuf_new(tpool_t *tp) {
  tbuf_t *t = calloc(1, sizeof *t);
  t->refs = 1;
  tp->live++;
  if (tp->n < 8192) tp->all[tp->n++] = t;
  return t;
}

static void
t_retain(void *ctx, void *ref) {
  ((tpool_t *)ctx)->retains++;
  ((tbuf_t *)ref)->refs++;
}

static void
t_release(void *ctx, void *ref) {
  tbuf_t *t = ref;
  if (--t->refs == 0) {
    memset(t->b, 0xEE, sizeof t->b); /* a library still reading it would see poison */
    ((tpool_t *)ctx)->live--;
  }
}

static uint8_t *
t_alloc(void *ctx, uint32_t bytes, void **ref) {
  tpool_t *tp = ctx;
  if (bytes > sizeof(((tbuf_t *)0)->b)) return NULL;
  if (tp->fail_alloc > 0) {
    tp->fail_alloc--;
    return NULL;
  }
  tp->allocs++;
  tbuf_t *t = tbuf_new(tp);
  *ref = t;
  return t->b;
}

static void
tpool_free(tpool_t *tp) {
  for (unsigned i = 0; i < tp->n; i++) free(tp->all[i]);
  tp->n = 0;
}

/* The shred in a fresh caller buffer (an mbuf in sofd), with the caller's
 * reference. */
static tbuf_t *
tbuf_of(tpool_t *tp, uint8_t const *p, size_t sz) {
  tbuf_t *t = tbuf_new(tp);
  memcpy(t->b, p, sz);
  return t;
}

/* One shred through resolver and reassembly by reference; the caller's own
 * reference is dropped at the end, as sofd's fec role does. */
static int
add_ref(tpool_t *tp, sof_resolver_t *r, sof_reasm_t *a, uint8_t const *p, size_t sz, e2e_t *e) {
  tbuf_t *t = tbuf_of(tp, p, sz);
  sof_shred_t s;
  if (sof_shred_parse(&s, t->b, sz, 0)) return -100;
  uint8_t root[32];
  if (sof_shred_merkle_root(root, t->b, &s)) return -101;
  sof_resolver_out_t out;
  int res = sof_resolver_add_ref(r, t->b, &s, root, NULL, 0, t, &out);
  if (s.is_data && (res == SOF_RESOLVER_DATA_NEW || res == SOF_RESOLVER_RECOVERED))
    sof_reasm_add_shred(a, t->b, &s, 0, t, on_e2e, e);
  for (uint32_t k = 0; k < out.cnt; k++) {
    sof_shred_t rs;
    e->bad += out.ref[k] == NULL || sof_shred_parse(&rs, out.shred[k], 1203, 0) != 0;
  }
  e->bad += out_roots_bad(&out);
  for (uint32_t k = 0; k < out.cnt; k++) {
    sof_shred_t rs;
    sof_shred_parse(&rs, out.shred[k], 1203, 0);
    sof_reasm_add_shred(a, out.shred[k], &rs, 1, out.ref[k], on_e2e, e);
    t_release(tp, out.ref[k]);
  }
  t_release(tp, t);
  return res;
}

static void
test_by_reference(void) {
  static sof_shredder_set_t sets[8];
  size_t nsets = e2e_shred(sets, 78);
  if (!nsets) return;
  static tpool_t tp;
  sof_shred_refs_t refs = {.retain = t_retain, .release = t_release, .alloc = t_alloc, .ctx = &tp};
  char err[128];
  sof_resolver_cfg_t rc;
  sof_resolver_cfg_default(&rc);
  rc.set_records = 256;
  rc.set_buffers = 16;
  rc.refs = &refs;
  sof_reasm_cfg_t ac;
  sof_reasm_cfg_default(&ac);
  ac.slots_max = 4;
  ac.chunks = 1024;
  ac.batch_max_bytes = 1 << 20;
  ac.refs = &refs;

  /* Every set: data shreds 0..9 lost, the rest of the data and coding in
   * order, duplicated. The first recovery finds no output buffer (put off,
   * counted) and runs with the set's next shred. */
  int bad = 0;
  for (unsigned round = 0; round < 2; round++) {
    memset(&tp, 0, sizeof tp);
    tp.fail_alloc = round == 0 ? 1 : 0;
    sof_resolver_t *r = sof_resolver_new(&rc, err, sizeof err);
    sof_reasm_t *a = sof_reasm_new(&ac, err, sizeof err);
    SOF_CHECK(r && a);
    if (!r || !a) return;
    e2e_t e = {0};
    long first_recovery_at = -1;
    for (size_t k = 0; k < nsets; k++) {
      for (unsigned i = 10; i < 64; i++) {
        uint8_t const *p = i < 32 ? sets[k].data[i] : sets[k].code[i - 32];
        size_t sz = i < 32 ? 1203 : 1228;
        int res = add_ref(&tp, r, a, p, sz, &e);
        if (res == SOF_RESOLVER_RECOVERED && first_recovery_at < 0) first_recovery_at = i;
        add_ref(&tp, r, a, p, sz, &e); /* a duplicate: held nowhere */
      }
    }
    /* k = 32 shreds in after 10 coding shreds (i = 41); one retry later */
    SOF_CHECK_EQ(first_recovery_at, round == 0 ? 42 : 41);
    SOF_CHECK_EQ(sof_resolver_stats(r)->out_no_buf, round == 0 ? 1U : 0U);
    SOF_CHECK_EQ(sof_resolver_stats(r)->sets_recovered, nsets);
    SOF_CHECK_EQ(tp.allocs, (long)(10 * nsets));
    /* the batches are the originals: nothing read after its release */
    SOF_CHECK_EQ(e.cnt, 3U);
    SOF_CHECK_EQ(e.bad, 0);
    SOF_CHECK(e.complete);
    /* the reassembler and the resolver held references, not copies */
    /* per set: the resolver 22 data + 10 coding; the reassembler every
     * data shred with data (received or rebuilt) */
    long with_data = 0;
    for (size_t k = 0; k < nsets; k++)
      for (unsigned i = 0; i < 32; i++) {
        sof_shred_t ds;
        with_data += sof_shred_parse(&ds, sets[k].data[i], 1203, 0) == 0 && ds.data_sz > 0;
      }
    SOF_CHECK_EQ(tp.retains, (long)(nsets * 32) + with_data + (round == 0)); /* + the retry shred */
    /* everything finished: every reference given back already */
    SOF_CHECK_EQ(tp.live, 0);
    bad += (int)tp.live;
    sof_resolver_delete(r);
    sof_reasm_delete(a);
    tpool_free(&tp);
  }

  /* Deleting with sets open and batches pending drops every reference. */
  memset(&tp, 0, sizeof tp);
  sof_resolver_t *r = sof_resolver_new(&rc, err, sizeof err);
  sof_reasm_t *a = sof_reasm_new(&ac, err, sizeof err);
  e2e_t e = {0};
  for (unsigned i = 5; i < 40; i += 2) add_ref(&tp, r, a, i < 32 ? sets[0].data[i] : sets[0].code[i - 32],
                                               i < 32 ? 1203 : 1228, &e);
  SOF_CHECK(tp.live > 0);
  SOF_CHECK_EQ(e.cnt, 0U);
  sof_resolver_reset(r);
  SOF_CHECK(tp.live > 0); /* the reassembler still holds its data shreds */
  sof_reasm_delete(a);
  SOF_CHECK_EQ(tp.live, 0);
  sof_resolver_delete(r);
  tpool_free(&tp);

  /* refs without retain / alloc are refused with a message */
  sof_shred_refs_t half = {.retain = t_retain, .release = t_release, .ctx = &tp};
  rc.refs = &half;
  SOF_CHECK(sof_resolver_new(&rc, err, sizeof err) == NULL);
  SOF_CHECK(strstr(err, "alloc") != NULL);
  SOF_CHECK_EQ(bad, 0);
}

/* Joined mid-slot: a range emitted because its bytes are a whole entry
 * batch is never emitted again as part of a longer range when the shreds
 * below it arrive, and every reference is given back at reset. */
static void
test_mid_slot_no_double(void) {
  static tpool_t tp;
  memset(&tp, 0, sizeof tp);
  sof_shred_refs_t refs = {.retain = t_retain, .release = t_release, .alloc = t_alloc, .ctx = &tp};
  sof_reasm_cfg_t ac;
  sof_reasm_cfg_default(&ac);
  ac.slots_max = 4;
  ac.chunks = 64;
  ac.max_shreds_per_slot = 1024;
  ac.refs = &refs;
  char err[128];
  sof_reasm_t *a = sof_reasm_new(&ac, err, sizeof err);
  SOF_CHECK(a != NULL);
  if (!a) return;
  /* one entry, no transactions: count 1, num_hashes, hash, txn count 0 */
  uint8_t eb[56] = {1};
  e2e_t e = {0};
  tbuf_t *t3 = tbuf_new(&tp);
  memcpy(t3->b, eb, sizeof eb);
  SOF_CHECK_EQ(sof_reasm_add_ref(a, 60, 59, 3, SOF_SHRED_FLAG_DATA_COMPLETE, t3->b, sizeof eb, 0, t3, on_e2e, &e),
               SOF_REASM_NEW);
  t_release(&tp, t3);
  SOF_CHECK_EQ(e.cnt, 1U);
  SOF_CHECK_EQ(sof_reasm_stats(a)->joined_mid_slot, 1U);
  for (uint32_t i = 0; i < 3; i++) {
    tbuf_t *t = tbuf_new(&tp);
    memset(t->b, (int)i, 100);
    SOF_CHECK_EQ(sof_reasm_add_ref(a, 60, 59, i, 0, t->b, 100, 0, t, on_e2e, &e), SOF_REASM_NEW);
    t_release(&tp, t);
  }
  SOF_CHECK_EQ(e.cnt, 1U);          /* 0..3 runs into the batch already out: not a batch */
  SOF_CHECK_EQ(tp.live, 3);         /* shreds 0..2 held until the slot goes */
  sof_reasm_reset(a);
  SOF_CHECK_EQ(tp.live, 0);
  sof_reasm_delete(a);
  tpool_free(&tp);
}

int
main(void) {
  SOF_CHECK_EQ(sof_ed25519_init(), 0);
  SOF_CHECK_EQ(sof_shredder_init(&sh), 0);
  uint8_t seed[32] = {5};
  sof_ed25519_keypair_from_seed(kp, seed);
  test_resolver();
  test_reasm();
  test_reasm_sink();
  test_end_to_end();
  test_by_reference();
  test_mid_slot_no_double();
  return sof_test_done("resolve");
}
