/* The slot window (sof_slotwin) and the tables that keep room around its
 * tip (sof_resolver, sof_reasm):
 *
 * - the tip is the lower median of recent samples: no single sample, at
 *   bootstrap or later, moves it; a chain that moved on is followed
 *   through the probes;
 * - admission classes and the probe cadence;
 * - reassembly: slots from many future slots sent first neither evict nor
 *   starve the current slot; a slot that is not current is refused rather
 *   than evict a current one;
 * - the FEC resolver: the same for open sets, and its slot window counts
 *   from the tip, not from the newest completed set. */
#include <string.h>

#include "sof_test.h"

#include "crypto/sof_ed25519.h"
#include "resolve/sof_reasm.h"
#include "resolve/sof_resolver.h"
#include "shredder/sof_shredder.h"
#include "state/sof_slotwin.h"

static sof_slotwin_t
mkwin(void) {
  sof_slotwin_cfg_t c;
  sof_slotwin_cfg_default(&c);
  sof_slotwin_t w;
  SOF_CHECK_EQ(sof_slotwin_init(&w, &c), 0);
  return w;
}

static void
test_tip(void) {
  sof_slotwin_t w = mkwin();
  SOF_CHECK_EQ(sof_slotwin_tip(&w), SOF_SLOTWIN_NONE);
  /* before the quorum every slot is in */
  SOF_CHECK_EQ(sof_slotwin_admit(&w, 1000000000000ULL), SOF_SLOTWIN_IN);
  /* a far-ahead first sample, then genuine ones: the median is genuine */
  sof_slotwin_sample(&w, 1000000000000ULL);
  for (int i = 0; i < 15; i++) sof_slotwin_sample(&w, 100 + (uint64_t)(i / 8));
  SOF_CHECK_EQ(sof_slotwin_tip(&w), 100);
  SOF_CHECK_EQ(w.stats.tip, 100);
  /* admission around it: [100 - 256, 100 + 16] */
  SOF_CHECK_EQ(sof_slotwin_admit(&w, 0), SOF_SLOTWIN_IN);
  SOF_CHECK_EQ(sof_slotwin_admit(&w, 116), SOF_SLOTWIN_IN);
  SOF_CHECK_EQ(sof_slotwin_admit(&w, 117), SOF_SLOTWIN_AHEAD);
  SOF_CHECK_EQ(sof_slotwin_admit(&w, UINT64_MAX), SOF_SLOTWIN_AHEAD);
  /* later, one far-ahead sample in every 4 does not move it either */
  for (int i = 0; i < 256; i++) sof_slotwin_sample(&w, i % 4 ? 101 : UINT64_MAX - (uint64_t)i);
  SOF_CHECK_EQ(sof_slotwin_tip(&w), 101);
  sof_slotwin_t lo = mkwin();
  for (int i = 0; i < 64; i++) sof_slotwin_sample(&lo, 300);
  SOF_CHECK_EQ(sof_slotwin_admit(&lo, 43), SOF_SLOTWIN_BEHIND);
  SOF_CHECK_EQ(sof_slotwin_admit(&lo, 44), SOF_SLOTWIN_IN);
}

static void
test_probe_follows(void) {
  sof_slotwin_t w = mkwin();
  for (int i = 0; i < 64; i++) sof_slotwin_sample(&w, 500);
  SOF_CHECK_EQ(sof_slotwin_tip(&w), 500);
  /* the chain moved 10,000 slots on (the observer was cut off): one
   * outside shred in 8 is a probe; sampled, they move the tip */
  unsigned probes = 0, n = 0;
  while (sof_slotwin_tip(&w) != 10500 && n < 10000) {
    n++;
    int c = sof_slotwin_admit(&w, 10500);
    SOF_CHECK(c == SOF_SLOTWIN_PROBE || c == SOF_SLOTWIN_AHEAD);
    if (c == SOF_SLOTWIN_PROBE) {
      probes++;
      SOF_CHECK_EQ(sof_slotwin_outside_class(&w, 10500), SOF_SLOTWIN_AHEAD);
      sof_slotwin_sample(&w, 10500);
    }
  }
  SOF_CHECK_EQ(sof_slotwin_tip(&w), 10500);
  /* 33 samples of 64 to move a full ring's median (recomputed every 16) */
  SOF_CHECK(probes >= 33 && probes <= 48);
  SOF_CHECK_EQ(n, probes * 8);
  SOF_CHECK_EQ(w.stats.cls[SOF_SLOTWIN_PROBE], probes);
  SOF_CHECK_EQ(w.stats.cls[SOF_SLOTWIN_AHEAD], n - probes);
  /* probe_every 0: never */
  sof_slotwin_cfg_t c;
  sof_slotwin_cfg_default(&c);
  c.probe_every = 0;
  SOF_CHECK_EQ(sof_slotwin_init(&w, &c), 0);
  for (int i = 0; i < 64; i++) sof_slotwin_sample(&w, 500);
  for (int i = 0; i < 100; i++) SOF_CHECK_EQ(sof_slotwin_admit(&w, 9000), SOF_SLOTWIN_AHEAD);
  c.quorum = 0;
  SOF_CHECK_EQ(sof_slotwin_init(&w, &c), -1);
  c.quorum = 65;
  SOF_CHECK_EQ(sof_slotwin_init(&w, &c), -1);
  SOF_CHECK_STR(sof_slotwin_class_str(SOF_SLOTWIN_PROBE), "probe");
  SOF_CHECK_STR(sof_slotwin_class_str(9), "?");
}

static void
test_protected(void) {
  sof_slotwin_cfg_t c;
  sof_slotwin_cfg_default(&c);
  SOF_CHECK_EQ(c.protect_ahead, c.ahead); /* every admitted slot ahead is kept */
  /* [tip - 4, tip + 8] */
  SOF_CHECK(!sof_slotwin_protected_at(SOF_SLOTWIN_NONE, 4, 8, 5));
  SOF_CHECK(sof_slotwin_protected_at(100, 4, 8, 96));
  SOF_CHECK(!sof_slotwin_protected_at(100, 4, 8, 95));
  SOF_CHECK(sof_slotwin_protected_at(100, 4, 8, 108));
  SOF_CHECK(!sof_slotwin_protected_at(100, 4, 8, 109));
  SOF_CHECK(!sof_slotwin_protected_at(2, 4, 8, UINT64_MAX));
}

/* ---- reassembly ----------------------------------------------------------------- */

static unsigned emitted;
static uint64_t emitted_slot;

static void
on_batch(void *ctx, sof_reasm_batch_t const *b) {
  (void)ctx;
  emitted++;
  emitted_slot = b->slot;
}

static int
add(sof_reasm_t *r, uint64_t slot, uint32_t idx, int last) {
  uint8_t data[100];
  memset(data, (int)idx, sizeof data);
  return sof_reasm_add(r, slot, slot - 1, idx, last ? SOF_SHRED_FLAG_DATA_COMPLETE : 0, data, sizeof data, 0,
                       on_batch, NULL);
}

static void
test_reasm(void) {
  sof_reasm_cfg_t c;
  sof_reasm_cfg_default(&c);
  c.slots_max = 8;
  c.chunks = 64;
  c.join_mid_slot = 0;
  char err[128];
  /* without a window (as before): 8 future slots first starve slot 100 */
  sof_reasm_t *r = sof_reasm_new(&c, err, sizeof err);
  for (uint64_t s = 0; s < 8; s++) SOF_CHECK_EQ(add(r, 200 + s, 0, 0), SOF_REASM_NEW);
  SOF_CHECK_EQ(add(r, 100, 0, 0), SOF_REASM_OLD_SLOT);
  sof_reasm_delete(r);

  /* with one, tip unknown: the least recently used slot gives way */
  sof_slotwin_t w = mkwin();
  r = sof_reasm_new(&c, err, sizeof err);
  sof_reasm_set_window(r, &w);
  for (uint64_t s = 0; s < 8; s++) SOF_CHECK_EQ(add(r, 200 + s, 0, 0), SOF_REASM_NEW);
  emitted = 0;
  SOF_CHECK_EQ(add(r, 100, 0, 0), SOF_REASM_NEW);
  SOF_CHECK_EQ(add(r, 100, 1, 0), SOF_REASM_NEW);
  /* tip 100 now: the future slots (not current) give way to slots 98..108 */
  for (int i = 0; i < 16; i++) sof_slotwin_sample(&w, 100);
  SOF_CHECK_EQ(sof_slotwin_tip(&w), 100);
  for (uint64_t s = 98; s <= 104; s++)
    if (s != 100) SOF_CHECK_EQ(add(r, s, 0, 0), SOF_REASM_NEW);
  SOF_CHECK_EQ(add(r, 100, 2, 1), SOF_REASM_NEW);
  SOF_CHECK_EQ(emitted, 1);
  SOF_CHECK_EQ(emitted_slot, 100);
  /* 8 tracked slots, all current: a future slot is refused, counted */
  SOF_CHECK_EQ(add(r, 100, 3, 0), SOF_REASM_NEW);
  SOF_CHECK_EQ(add(r, 105, 0, 0), SOF_REASM_NEW); /* current: pushes out 98, the oldest */
  SOF_CHECK_EQ(add(r, 300, 0, 0), SOF_REASM_OLD_SLOT);
  SOF_CHECK_EQ(sof_reasm_stats(r)->refused_current, 1);
  sof_reasm_delete(r);

  /* a flood of one future slot's shreds cannot keep the chunks a current
   * slot needs: the pool holds 64 */
  r = sof_reasm_new(&c, err, sizeof err);
  sof_reasm_set_window(r, &w);
  emitted = 0;
  for (uint32_t i = 0; i < 3; i++) SOF_CHECK_EQ(add(r, 100, i, 0), SOF_REASM_NEW);
  int stored = 0, no_space = 0;
  for (uint32_t i = 0; i < 100; i++) {
    int res = add(r, 150, i, 0);
    stored += res == SOF_REASM_NEW;
    no_space += res == SOF_REASM_NO_SPACE;
  }
  SOF_CHECK_EQ(stored, 61);
  SOF_CHECK_EQ(no_space, 39);
  SOF_CHECK_EQ(add(r, 100, 3, 1), SOF_REASM_NEW); /* takes slot 150's chunks */
  SOF_CHECK_EQ(emitted, 1);
  SOF_CHECK_EQ(emitted_slot, 100);
  SOF_CHECK_EQ(sof_reasm_stats(r)->slots_evicted, 1);
  SOF_CHECK_EQ(sof_reasm_stats(r)->shreds_evicted, 61);
  sof_reasm_delete(r);
}

/* ---- FEC resolver ---------------------------------------------------------------- */

static sof_shredder_t sh;
static uint8_t kp[64];
static uint8_t batch[20000];

static long
make_slot(sof_shredder_set_t *out, uint64_t slot) {
  for (size_t i = 0; i < sizeof batch; i++) batch[i] = (uint8_t)(i * 7 + slot);
  sof_shredder_args_t a = {.slot = slot, .parent_slot = slot - 1, .data_idx = 0, .shred_version = 7,
                           .reference_tick = 3, .last_in_slot = 1, .keypair = kp};
  uint8_t chained[32] = {1};
  return sof_shredder_shred(&sh, &a, batch, sizeof batch, chained, out, 1);
}

static int
res_add(sof_resolver_t *r, uint8_t const *shred, size_t sz, sof_resolver_out_t *out) {
  sof_shred_t s;
  SOF_CHECK_EQ(sof_shred_parse(&s, shred, sz, 0), 0);
  return sof_resolver_add(r, shred, &s, NULL, NULL, 0, out);
}

static void
test_resolver(void) {
  static sof_shredder_set_t fut[8][1], cur[1];
  for (int i = 0; i < 8; i++) SOF_CHECK_EQ(make_slot(fut[i], 200 + (uint64_t)i), 1);
  SOF_CHECK_EQ(make_slot(cur, 100), 1);
  sof_resolver_cfg_t c;
  sof_resolver_cfg_default(&c);
  c.set_buffers = 4;
  c.set_records = 64;
  char err[128];
  static sof_resolver_out_t out;

  /* without a window: future sets holding every buffer refuse the current one */
  sof_resolver_t *r = sof_resolver_new(&c, err, sizeof err);
  for (int i = 0; i < 4; i++) SOF_CHECK_EQ(res_add(r, fut[i][0].code[0], 1228, &out), SOF_RESOLVER_CODE_STORED);
  SOF_CHECK_EQ(res_add(r, cur[0].code[0], 1228, &out), SOF_RESOLVER_NO_ROOM);
  sof_resolver_delete(r);

  /* with a window at tip 100: the current set takes a future set's buffer
   * and recovers from 32 coding shreds */
  sof_slotwin_t w = mkwin();
  for (int i = 0; i < 16; i++) sof_slotwin_sample(&w, 100);
  r = sof_resolver_new(&c, err, sizeof err);
  sof_resolver_set_window(r, &w);
  for (int i = 0; i < 4; i++) SOF_CHECK_EQ(res_add(r, fut[i][0].code[0], 1228, &out), SOF_RESOLVER_CODE_STORED);
  int recovered = 0;
  for (int i = 0; i < 32; i++) {
    int res = res_add(r, cur[0].code[i], 1228, &out);
    recovered += res == SOF_RESOLVER_RECOVERED;
    /* meanwhile, more future sets (not current) cannot take it back */
    if (i < 4) SOF_CHECK_EQ(res_add(r, fut[4 + i][0].code[0], 1228, &out), SOF_RESOLVER_CODE_STORED);
  }
  SOF_CHECK_EQ(recovered, 1);
  SOF_CHECK_EQ(out.cnt, 32);
  SOF_CHECK_EQ(sof_resolver_stats(r)->sets_recovered, 1);
  SOF_CHECK(sof_resolver_stats(r)->evict_pool >= 1);
  /* every buffer held by a current set: a future set is refused, counted */
  static sof_shredder_set_t cur2[4][1];
  for (int i = 0; i < 4; i++) {
    SOF_CHECK_EQ(make_slot(cur2[i], 101 + (uint64_t)i), 1);
    SOF_CHECK_EQ(res_add(r, cur2[i][0].code[0], 1228, &out), SOF_RESOLVER_CODE_STORED);
  }
  SOF_CHECK_EQ(res_add(r, fut[0][0].code[5], 1228, &out), SOF_RESOLVER_NO_ROOM);
  SOF_CHECK(sof_resolver_stats(r)->refused_current >= 1);
  sof_resolver_delete(r);
}

int
main(void) {
  SOF_CHECK_EQ(sof_ed25519_init(), 0);
  SOF_CHECK_EQ(sof_shredder_init(&sh), 0);
  uint8_t seed[32];
  memset(seed, 0x21, 32);
  sof_ed25519_keypair_from_seed(kp, seed);
  test_tip();
  test_probe_follows();
  test_protected();
  test_reasm();
  test_resolver();
  return sof_test_done("window");
}
