/* test_dedupe.c: the shred dedupe table: exact results and counters for
 * duplicates, conflicts, TTL expiry, slot-window expiry and capacity
 * pressure; no allocation in the check; and randomized runs against a
 * from-scratch reference model on a table large enough never to evict. */
#include "sof_test.h"

#include <malloc.h>

#include "state/sof_dedupe.h"

#define NEW SOF_DEDUPE_NEW
#define DUP SOF_DEDUPE_DUPLICATE
#define CON SOF_DEDUPE_CONFLICT
#define STALE SOF_DEDUPE_STALE

/* A signature made from a number: distinct numbers give distinct bytes. */
static void
mk_sig(uint8_t sig[64], uint64_t n) {
  uint64_t s = n * 0x9E3779B97F4A7C15ULL + 0x1234567ULL;
  for (int i = 0; i < 64; i++) {
    s ^= s << 13; s ^= s >> 7; s ^= s << 17;
    sig[i] = (uint8_t)s;
  }
}

static sof_dedupe_t *
mk(uint32_t cap, uint32_t probe, uint64_t window, uint64_t ttl) {
  sof_dedupe_cfg_t c;
  sof_dedupe_cfg_default(&c);
  c.capacity    = cap;
  c.probe_max   = probe;
  c.slot_window = window;
  c.ttl         = ttl;
  c.seed        = 0xC0FFEE;
  char err[256] = "";
  sof_dedupe_t *d = sof_dedupe_new(&c, err, sizeof err);
  if (!d) fprintf(stderr, "sof_dedupe_new: %s\n", err);
  SOF_CHECK(d != NULL);
  return d;
}

static int
chk(sof_dedupe_t *d, uint64_t slot, uint32_t idx, uint32_t fec, uint16_t ver, uint8_t var,
    uint64_t sig_n, uint64_t now) {
  uint8_t sig[64];
  mk_sig(sig, sig_n);
  return sof_dedupe_check(d, slot, idx, fec, ver, var, sig, now);
}

static void
test_cfg(void) {
  sof_dedupe_cfg_t c;
  sof_dedupe_cfg_default(&c);
  SOF_CHECK_EQ(c.capacity, 1U << 18);
  SOF_CHECK_EQ(c.probe_max, 16);
  SOF_CHECK_EQ(c.slot_window, 64);
  SOF_CHECK_EQ(c.ttl, 10000000000ULL);
  SOF_CHECK_EQ(c.seed, 0);
  size_t fp = sof_dedupe_footprint(&c);
  SOF_CHECK(fp >= (size_t)52 * (1U << 18) && fp <= (size_t)52 * (1U << 18) + 4096);

  struct { uint32_t cap, probe; } bad[] = {
    {0, 1}, {8, 1}, {15, 1}, {24, 1}, {1U << 27, 16}, {1024, 0}, {1024, 65}, {16, 17},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sof_dedupe_cfg_t b = c;
    b.capacity  = bad[i].cap;
    b.probe_max = bad[i].probe;
    char err[256] = "";
    SOF_CHECK(sof_dedupe_new(&b, err, sizeof err) == NULL);
    SOF_CHECK(strstr(err, "dedupe: need capacity") != NULL);
    SOF_CHECK_EQ(sof_dedupe_footprint(&b), 0);
    SOF_CHECK(sof_dedupe_new(&b, NULL, 0) == NULL); /* no message wanted */
  }
  /* The smallest table with the whole table as its probe window is valid. */
  sof_dedupe_cfg_t ok = c;
  ok.capacity  = 16;
  ok.probe_max = 16;
  SOF_CHECK_EQ(sof_dedupe_footprint(&ok) % 64, 0);
  sof_dedupe_t *d = sof_dedupe_new(&ok, NULL, 0);
  SOF_CHECK(d != NULL);
  SOF_CHECK(sof_dedupe_cfg(d)->seed != 0); /* drawn */
  SOF_CHECK_EQ(sof_dedupe_stats(d)->highest_slot, SOF_DEDUPE_SLOT_NONE);
  sof_dedupe_delete(d);
  sof_dedupe_delete(NULL);

  SOF_CHECK_STR(sof_dedupe_result_str(NEW), "new");
  SOF_CHECK_STR(sof_dedupe_result_str(DUP), "duplicate");
  SOF_CHECK_STR(sof_dedupe_result_str(CON), "conflict");
  SOF_CHECK_STR(sof_dedupe_result_str(STALE), "stale");
  SOF_CHECK_STR(sof_dedupe_result_str(4), "?");
  SOF_CHECK_STR(sof_dedupe_result_str(-1), "?");
}

static void
test_dup_conflict(void) {
  sof_dedupe_t *d = mk(1024, 16, 0, 0);
  if (!d) return;
  SOF_CHECK_EQ(chk(d, 500, 7, 0, 50093, 0x96, 1, 0), NEW);
  SOF_CHECK_EQ(chk(d, 500, 7, 0, 50093, 0x96, 1, 1), DUP);
  SOF_CHECK_EQ(chk(d, 500, 7, 0, 50093, 0x96, 1, 2), DUP);
  SOF_CHECK_EQ(chk(d, 500, 7, 0, 50093, 0x96, 2, 3), CON);
  /* The first signature stays the remembered one. */
  SOF_CHECK_EQ(chk(d, 500, 7, 0, 50093, 0x96, 1, 4), DUP);
  SOF_CHECK_EQ(chk(d, 500, 7, 0, 50093, 0x96, 2, 5), CON);
  /* Each key field on its own makes another key. */
  SOF_CHECK_EQ(chk(d, 501, 7, 0, 50093, 0x96, 1, 6), NEW);
  SOF_CHECK_EQ(chk(d, 500, 8, 0, 50093, 0x96, 1, 6), NEW);
  SOF_CHECK_EQ(chk(d, 500, 7, 32, 50093, 0x96, 1, 6), NEW);
  SOF_CHECK_EQ(chk(d, 500, 7, 0, 50094, 0x96, 1, 6), NEW);
  SOF_CHECK_EQ(chk(d, 500, 7, 0, 50093, 0x66, 1, 6), NEW);
  SOF_CHECK_EQ(chk(d, 500, 7, 0, 50093, 0x66, 1, 7), DUP);

  /* Signatures that differ in one byte only: first, middle, last. */
  uint8_t s0[64], s1[64];
  mk_sig(s0, 99);
  SOF_CHECK_EQ(sof_dedupe_check(d, 600, 1, 0, 1, 0x5A, s0, 8), NEW);
  for (int pos = 0; pos < 64; pos++) {
    memcpy(s1, s0, 64);
    s1[pos] ^= 0x01;
    SOF_CHECK_EQ(sof_dedupe_check(d, 600, 1, 0, 1, 0x5A, s1, 9), CON);
  }
  SOF_CHECK_EQ(sof_dedupe_check(d, 600, 1, 0, 1, 0x5A, s0, 10), DUP);

  sof_dedupe_stats_t const *st = sof_dedupe_stats(d);
  SOF_CHECK_EQ(st->result[NEW], 7);
  SOF_CHECK_EQ(st->result[DUP], 5);
  SOF_CHECK_EQ(st->result[CON], 2 + 64);
  SOF_CHECK_EQ(st->result[STALE], 0);
  SOF_CHECK_EQ(st->occupied, 7);
  SOF_CHECK_EQ(st->evict_ttl + st->evict_slot + st->evict_capacity, 0);
  SOF_CHECK_EQ(st->highest_slot, 600);

  /* reset forgets everything and zeroes the counters. */
  sof_dedupe_reset(d);
  SOF_CHECK_EQ(st->occupied, 0);
  SOF_CHECK_EQ(st->result[CON], 0);
  SOF_CHECK_EQ(st->highest_slot, SOF_DEDUPE_SLOT_NONE);
  SOF_CHECK_EQ(chk(d, 500, 7, 0, 50093, 0x96, 2, 0), NEW);
  SOF_CHECK_EQ(st->result[NEW], 1);
  sof_dedupe_delete(d);
}

static void
test_ttl(void) {
  sof_dedupe_t *d = mk(1024, 8, 0, 100);
  if (!d) return;
  sof_dedupe_stats_t const *st = sof_dedupe_stats(d);
  SOF_CHECK_EQ(chk(d, 10, 0, 0, 1, 0x96, 1, 1000), NEW);
  SOF_CHECK_EQ(chk(d, 10, 0, 0, 1, 0x96, 1, 1099), DUP);  /* age 99 < ttl */
  SOF_CHECK_EQ(chk(d, 10, 0, 0, 1, 0x96, 2, 1099), CON);
  SOF_CHECK_EQ(chk(d, 10, 0, 0, 1, 0x96, 1, 1100), NEW);  /* age 100: forgotten */
  SOF_CHECK_EQ(st->evict_ttl, 1);
  SOF_CHECK_EQ(st->occupied, 1);                          /* its own entry reused */
  SOF_CHECK_EQ(chk(d, 10, 0, 0, 1, 0x96, 1, 1150), DUP);  /* repeats do not extend life */
  SOF_CHECK_EQ(chk(d, 10, 0, 0, 1, 0x96, 1, 1199), DUP);
  SOF_CHECK_EQ(chk(d, 10, 0, 0, 1, 0x96, 2, 1200), NEW);  /* expired: the other signature is new */
  SOF_CHECK_EQ(st->evict_ttl, 2);
  SOF_CHECK_EQ(chk(d, 10, 0, 0, 1, 0x96, 1, 1201), CON);
  /* Time going backwards counts as the greatest time seen: no resurrection. */
  SOF_CHECK_EQ(chk(d, 10, 0, 0, 1, 0x96, 2, 5), DUP);
  SOF_CHECK_EQ(chk(d, 10, 0, 0, 1, 0x96, 2, 1299), DUP);
  SOF_CHECK_EQ(chk(d, 10, 0, 0, 1, 0x96, 2, 0), DUP);     /* counts as 1299 */
  SOF_CHECK_EQ(chk(d, 10, 0, 0, 1, 0x96, 2, 1300), NEW);  /* age 100 */
  SOF_CHECK_EQ(st->result[NEW], 4);
  SOF_CHECK_EQ(st->result[DUP], 6);
  SOF_CHECK_EQ(st->result[CON], 2);
  SOF_CHECK_EQ(st->evict_ttl, 3);
  SOF_CHECK_EQ(st->evict_slot + st->evict_capacity, 0);
  sof_dedupe_delete(d);
}

static void
test_slot_window(void) {
  /* Whole-table probe window on a 16-entry table: placements are exact. */
  sof_dedupe_t *d = mk(16, 16, 10, 0);
  if (!d) return;
  sof_dedupe_stats_t const *st = sof_dedupe_stats(d);
  for (uint32_t i = 0; i < 16; i++) SOF_CHECK_EQ(chk(d, 100, i, 0, 1, 0x96, i, i), NEW);
  SOF_CHECK_EQ(st->occupied, 16);
  SOF_CHECK_EQ(chk(d, 110, 0, 0, 1, 0x96, 0, 16), NEW);    /* full, all live: evicts idx 0 */
  SOF_CHECK_EQ(st->evict_capacity, 1);
  SOF_CHECK_EQ(st->highest_slot, 110);
  /* Slot 100 is hi - 10: still live. */
  for (uint32_t i = 1; i < 16; i++) SOF_CHECK_EQ(chk(d, 100, i, 0, 1, 0x96, i, 17), DUP);
  SOF_CHECK_EQ(chk(d, 100, 0, 0, 1, 0x96, 0, 18), NEW);    /* was evicted; evicts idx 1 */
  SOF_CHECK_EQ(st->evict_capacity, 2);
  SOF_CHECK_EQ(chk(d, 100, 2, 0, 1, 0x96, 2, 19), DUP);
  /* hi 111: every slot-100 entry is dead; 15 new keys reuse them. */
  for (uint32_t i = 0; i < 15; i++) SOF_CHECK_EQ(chk(d, 111, i, 0, 1, 0x96, i, 0), NEW);
  SOF_CHECK_EQ(st->evict_slot, 15);
  SOF_CHECK_EQ(st->occupied, 16);
  SOF_CHECK_EQ(chk(d, 100, 5, 0, 1, 0x96, 5, 0), STALE);   /* below hi - window */
  SOF_CHECK_EQ(chk(d, 100, 5, 0, 1, 0x96, 77, 0), STALE);  /* not a conflict either */
  SOF_CHECK_EQ(chk(d, 110, 0, 0, 1, 0x96, 0, 0), DUP);     /* hi - 1 */
  SOF_CHECK_EQ(chk(d, 101, 0, 0, 1, 0x96, 0, 0), NEW);     /* hi - 10: accepted */
  SOF_CHECK_EQ(chk(d, 101, 0, 0, 1, 0x96, 0, 0), DUP);
  SOF_CHECK_EQ(st->evict_capacity, 3);                    /* no dead entry was left */
  SOF_CHECK_EQ(st->result[STALE], 2);
  SOF_CHECK_EQ(st->highest_slot, 111);
  /* A jump far ahead makes every entry dead at once. */
  SOF_CHECK_EQ(chk(d, 1000000, 0, 0, 1, 0x96, 0, 0), NEW);
  SOF_CHECK_EQ(st->evict_slot, 16);
  SOF_CHECK_EQ(chk(d, 111, 0, 0, 1, 0x96, 0, 0), STALE);
  SOF_CHECK_EQ(st->evict_ttl, 0);
  sof_dedupe_delete(d);
}

static void
test_capacity_exact(void) {
  sof_dedupe_t *d = mk(16, 16, 0, 0);
  if (!d) return;
  sof_dedupe_stats_t const *st = sof_dedupe_stats(d);
  for (uint32_t i = 0; i < 40; i++) {
    SOF_CHECK_EQ(chk(d, 7, i, 0, 1, 0x96, 1000 + i, i), NEW);
    SOF_CHECK_EQ(st->evict_capacity, i < 16 ? 0 : i - 15);
  }
  SOF_CHECK_EQ(st->occupied, 16);
  /* The 16 newest are there, the 24 oldest are forgotten. */
  for (uint32_t i = 24; i < 40; i++) SOF_CHECK_EQ(chk(d, 7, i, 0, 1, 0x96, 1000 + i, 100), DUP);
  /* A forgotten key with another signature is NEW, not a conflict; it
   * replaces the oldest (key 24). */
  SOF_CHECK_EQ(chk(d, 7, 0, 0, 1, 0x96, 5, 100), NEW);
  SOF_CHECK_EQ(st->evict_capacity, 25);
  SOF_CHECK_EQ(chk(d, 7, 25, 0, 1, 0x96, 1025, 101), DUP);
  SOF_CHECK_EQ(chk(d, 7, 24, 0, 1, 0x96, 1024, 101), NEW);   /* evicts key 25 */
  SOF_CHECK_EQ(chk(d, 7, 25, 0, 1, 0x96, 1025, 102), NEW);   /* evicts key 26 */
  SOF_CHECK_EQ(chk(d, 7, 0, 0, 1, 0x96, 5, 103), DUP);
  SOF_CHECK_EQ(st->evict_capacity, 27);
  SOF_CHECK_EQ(st->result[CON], 0);
  sof_dedupe_delete(d);
}

/* Many more distinct keys than entries: every one is NEW (full key compare:
 * never a false DUPLICATE), memory does not change, evictions add up. */
static void
test_capacity_pressure(void) {
  sof_dedupe_cfg_t c;
  sof_dedupe_cfg_default(&c);
  c.capacity = 1024; c.probe_max = 8; c.slot_window = 0; c.ttl = 0; c.seed = 7;
  sof_dedupe_t *d = sof_dedupe_new(&c, NULL, 0);
  SOF_CHECK(d != NULL);
  if (!d) return;
  size_t fp = sof_dedupe_footprint(&c);
  sof_dedupe_stats_t const *st = sof_dedupe_stats(d);
  uint64_t const n = 200000;
  uint64_t bad = 0;
  uint8_t sig[64];
  mk_sig(sig, 1);
  struct mallinfo2 m0 = mallinfo2();
  for (uint64_t i = 0; i < n; i++) {
    /* Every key distinct, all with the same signature: a key compared on its
     * hash alone would come out DUPLICATE. */
    uint64_t slot = 1000 + i / 512;
    if (sof_dedupe_check(d, slot, (uint32_t)(i % 512), (uint32_t)(i % 512) / 32 * 32, 3,
                         0x96, sig, i) != NEW) bad++;
  }
  struct mallinfo2 m1 = mallinfo2();
  SOF_CHECK_EQ(bad, 0);
  SOF_CHECK_EQ(m1.uordblks, m0.uordblks); /* no allocation in the check */
  SOF_CHECK_EQ(m1.hblkhd, m0.hblkhd);
  SOF_CHECK_EQ(sof_dedupe_footprint(&c), fp);
  SOF_CHECK(st->occupied <= 1024 && st->occupied >= 1024 - 64);
  SOF_CHECK_EQ(st->result[NEW], n);
  SOF_CHECK_EQ(st->evict_capacity, n - st->occupied);
  SOF_CHECK_EQ(st->evict_ttl + st->evict_slot, 0);
  SOF_CHECK(st->probes <= n * 8 + 8);
  /* Keys never seen (other version), with signatures seen before: NEW. */
  bad = 0;
  for (uint64_t i = 0; i < 4096; i++) {
    uint64_t slot = 1000 + (n - 1 - i) / 512;
    if (sof_dedupe_check(d, slot, (uint32_t)(i % 512), 0, 4, 0x96, sig, n + i) != NEW) bad++;
  }
  SOF_CHECK_EQ(bad, 0);
  /* The most recent key is certainly still there (nothing was inserted
   * after it), with its signature. */
  SOF_CHECK_EQ(sof_dedupe_check(d, 1000 + (n - 1 - 4095) / 512, 4095 % 512, 0, 4, 0x96, sig, 2 * n),
               DUP);
  sof_dedupe_delete(d);
}

/* ---- randomized differential check against a reference model ------------ */

typedef struct ref_rec {
  uint64_t slot;
  uint64_t stamp;
  uint32_t sig;
  uint8_t  used;
} ref_rec_t;

/* Keys: slot (any), idx < 8, fec < 2, version < 2, variant in {0x96, 0x66}.
 * The reference indexes records by slot % 64: with slot_window < 63 two
 * live slots never share a record. */
#define REF_SLOTS 64U
#define REF_KEYS (REF_SLOTS * 8U * 2U * 2U * 2U)

typedef struct ref {
  uint64_t  window, ttl;
  uint64_t  now, hi;
  int       has_hi;
  ref_rec_t rec[REF_KEYS];
} ref_t;

static uint64_t rng_s = 0x853C49E6748FEA9BULL;
static uint64_t
rng(void) {
  rng_s ^= rng_s << 13; rng_s ^= rng_s >> 7; rng_s ^= rng_s << 17;
  return rng_s;
}

static int
ref_check(ref_t *r, uint64_t slot, uint32_t idx, uint32_t fec, uint16_t ver, uint8_t var,
          uint32_t sig, uint64_t now) {
  if (now > r->now) r->now = now;
  if (!r->has_hi || slot > r->hi) { r->hi = slot; r->has_hi = 1; }
  else if (r->window && r->hi - slot > r->window) return STALE;
  uint32_t k = ((((uint32_t)(slot % REF_SLOTS) * 8U + idx) * 2U + fec) * 2U + ver) * 2U +
               (var == 0x66);
  ref_rec_t *e = &r->rec[k];
  int live = e->used && e->slot == slot && (!r->window || r->hi - e->slot <= r->window) &&
             (!r->ttl || r->now - e->stamp < r->ttl);
  if (live) return e->sig == sig ? DUP : CON;
  e->used  = 1;
  e->slot  = slot;
  e->sig   = sig;
  e->stamp = r->now;
  return NEW;
}

static void
run_random(uint64_t window, uint64_t ttl, uint64_t ops, uint64_t seed) {
  static ref_t r;
  memset(&r, 0, sizeof r);
  r.window = window;
  r.ttl    = ttl;
  sof_dedupe_cfg_t c;
  sof_dedupe_cfg_default(&c);
  c.capacity = 1U << 16; c.probe_max = 64; c.slot_window = window; c.ttl = ttl; c.seed = seed;
  sof_dedupe_t *d = sof_dedupe_new(&c, NULL, 0);
  SOF_CHECK(d != NULL);
  if (!d) return;
  uint64_t cnt[SOF_DEDUPE_RESULT_CNT] = {0}, mismatch = 0, now = 0, top = 0;
  for (uint64_t i = 0; i < ops; i++) {
    uint64_t x = rng();
    now += x % 4;                           /* sometimes the same time */
    if (x % 97 == 0 && now > 10) now -= 7;  /* sometimes earlier */
    x >>= 8;
    uint64_t slot;
    if (window) {
      if (x % 50 == 0) top++;               /* the chain moves on */
      slot = top - (top >= 12 ? (x >> 6) % 13 : (x >> 6) % (top + 1)); /* some stale */
      if (x % 331 == 0) slot = top + 1 + (x >> 20) % 3;                /* ahead */
    } else {
      slot = (x >> 6) % REF_SLOTS;
    }
    uint32_t idx = (uint32_t)((x >> 12) % 8), fec = (uint32_t)((x >> 15) % 2);
    uint16_t ver = (uint16_t)((x >> 16) % 2);
    uint8_t var = (x >> 17) % 2 ? 0x96 : 0x66;
    uint32_t sig = (uint32_t)((x >> 18) % 8 ? 0 : 1 + (x >> 21) % 3); /* mostly the same one */
    /* Signatures of one key differ in a single byte, at a random place. */
    uint8_t sb[64];
    mk_sig(sb, slot * 1000003ULL + idx * 101ULL + fec * 11ULL + ver * 3ULL + var);
    if (sig) sb[(x >> 24) % 64] ^= (uint8_t)sig;
    int want = ref_check(&r, slot, idx, fec, ver, var, sig ? sig * 256 + (uint32_t)((x >> 24) % 64) : 0, now);
    int got = sof_dedupe_check(d, slot, idx, fec, ver, var, sb, now);
    if (slot > top) top = slot;
    if (want != got && mismatch++ < 5)
      fprintf(stderr, "op %llu: slot %llu idx %u: want %s got %s\n", (unsigned long long)i,
              (unsigned long long)slot, idx, sof_dedupe_result_str(want), sof_dedupe_result_str(got));
    cnt[want]++;
  }
  SOF_CHECK_EQ(mismatch, 0);
  sof_dedupe_stats_t const *st = sof_dedupe_stats(d);
  for (int k = 0; k < SOF_DEDUPE_RESULT_CNT; k++) SOF_CHECK_EQ(st->result[k], cnt[k]);
  SOF_CHECK_EQ(st->evict_capacity, 0); /* the precondition of exactness */
  /* Every kind of result happened. */
  SOF_CHECK(cnt[NEW] > 0 && cnt[DUP] > 0 && cnt[CON] > 0);
  if (window) SOF_CHECK(cnt[STALE] > 0 && st->evict_slot > 0);
  if (ttl) SOF_CHECK(st->evict_ttl > 0);
  fprintf(stderr, "random(window %llu, ttl %llu): new %llu dup %llu conflict %llu stale %llu; "
          "evict ttl %llu slot %llu\n", (unsigned long long)window, (unsigned long long)ttl,
          (unsigned long long)cnt[NEW], (unsigned long long)cnt[DUP], (unsigned long long)cnt[CON],
          (unsigned long long)cnt[STALE], (unsigned long long)st->evict_ttl,
          (unsigned long long)st->evict_slot);
  sof_dedupe_delete(d);
}

/* sof_dedupe_prefetch is a hint: it changes no result and no counter, on
 * keys present, absent, stale or out of any window. */
static void
test_prefetch_is_only_a_hint(void) {
  sof_dedupe_t *d = mk(1U << 10, 16, 8, 1000);
  for (uint32_t i = 0; i < 200; i++) SOF_CHECK(chk(d, 100 + i / 50, i % 50, 0, 1, 0x96, i, 10) == NEW);
  sof_dedupe_stats_t before = *sof_dedupe_stats(d);
  for (uint32_t i = 0; i < 400; i++) sof_dedupe_prefetch(d, 100 + i / 50, i % 50, 0, 1, 0x96);
  sof_dedupe_prefetch(d, 0, 0, 0, 0, 0);           /* stale slot */
  sof_dedupe_prefetch(d, UINT64_MAX, UINT32_MAX, UINT32_MAX, UINT16_MAX, 0xFF);
  SOF_CHECK(memcmp(&before, sof_dedupe_stats(d), sizeof before) == 0);
  /* the same results as without the hints: present keys duplicate, a new
   * signature conflicts, absent keys are new */
  for (uint32_t i = 0; i < 200; i++) {
    sof_dedupe_prefetch(d, 100 + i / 50, i % 50, 0, 1, 0x96);
    SOF_CHECK(chk(d, 100 + i / 50, i % 50, 0, 1, 0x96, i, 20) == DUP);
  }
  SOF_CHECK(chk(d, 100, 0, 0, 1, 0x96, 999, 20) == CON);
  SOF_CHECK(chk(d, 104, 0, 0, 1, 0x96, 4000, 20) == NEW);
  SOF_CHECK(sof_dedupe_stats(d)->result[DUP] == 200 && sof_dedupe_stats(d)->result[NEW] == 201);
  sof_dedupe_delete(d);
}

int
main(void) {
  test_cfg();
  test_prefetch_is_only_a_hint();
  test_dup_conflict();
  test_ttl();
  test_slot_window();
  test_capacity_exact();
  test_capacity_pressure();
  run_random(0, 0, 300000, 1);
  run_random(8, 0, 300000, 2);
  run_random(0, 6000, 300000, 3);
  run_random(8, 600, 300000, 4);
  return sof_test_done("dedupe");
}
