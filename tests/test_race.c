/* test_race.c: feed race analytics (lib/state/sof_race): histogram
 * percentiles against a brute-force computation over the same samples,
 * addresses and config refused, the first-copy record of the dedupe table
 * (sof_dedupe_check_src), a two-feed race with a known delay, per-leader
 * rows adding up to the totals, source and leader overflow counted, tables
 * of two writers merged, and the JSON rendering. */
#include <stdlib.h>
#include <string.h>

#include "sof_test.h"
#include "state/sof_dedupe.h"
#include "state/sof_race.h"
#include "state/sof_race_json.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t
rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static int
cmp_i64(void const *a, void const *b) {
  int64_t x = *(int64_t const *)a, y = *(int64_t const *)b;
  return (x > y) - (x < y);
}

/* the estimate lies in the bucket of the exact sample of that rank */
static int
near_exact(double est, int64_t exact) {
  uint64_t m = exact < 0 ? (uint64_t)-exact : (uint64_t)exact;
  uint64_t lo, hi;
  sof_race_hist_bounds(sof_race_hist_bucket(m), &lo, &hi);
  double a = est < 0 ? -est : est;
  if ((exact < 0) != (est < 0) && exact != 0) return 0;
  return a >= (double)lo && a <= (double)hi; /* the midpoint of [lo, hi) */
}

static void
test_hist(void) {
  /* buckets tile the range without gaps */
  uint64_t prev_hi = 0;
  for (unsigned b = 0; b < SOF_RACE_HIST_BUCKETS; b++) {
    uint64_t lo, hi;
    sof_race_hist_bounds(b, &lo, &hi);
    SOF_CHECK_EQ(lo, prev_hi);
    SOF_CHECK(hi > lo);
    SOF_CHECK_EQ(sof_race_hist_bucket(lo), b);
    SOF_CHECK_EQ(sof_race_hist_bucket(hi - 1), b);
    if (lo >= 4) SOF_CHECK((hi - lo) * 4 <= lo); /* at most 25% wide */
    prev_hi = hi;
  }
  SOF_CHECK_EQ(sof_race_hist_bucket(UINT64_MAX), SOF_RACE_HIST_BUCKETS - 1);

  static sof_race_hist_t h;
  int ok = 1;
  memset(&h, 0, sizeof h);
  sof_race_hist_pct(&h, 0.5, &ok);
  SOF_CHECK(!ok);

  /* several distributions: against the sorted samples */
  enum { N = 20000 };
  static int64_t v[N];
  for (int dist = 0; dist < 5; dist++) {
    memset(&h, 0, sizeof h);
    int n = dist == 4 ? 7 : N;
    for (int i = 0; i < n; i++) {
      int64_t x;
      switch (dist) {
      case 0: x = (int64_t)(rnd() % 3000000); break;                          /* 0..3 ms */
      case 1: x = 2000000 + (int64_t)(rnd() % 200000) - 100000; break;         /* 2 ms +- 100 µs */
      case 2: x = (int64_t)(rnd() % 4000000) - 3000000; break;                 /* mostly negative */
      case 3: x = (int64_t)(1ULL << (rnd() % 34)) * ((rnd() & 1) ? 1 : -1); break; /* powers of two */
      default: x = (int64_t)(rnd() % 10); break;                               /* few, small */
      }
      v[i] = x;
      sof_race_hist_add(&h, x);
    }
    SOF_CHECK_EQ(sof_race_hist_count(&h), (uint64_t)n);
    qsort(v, (size_t)n, sizeof v[0], cmp_i64);
    static double const qs[] = {0.01, 0.25, 0.5, 0.9, 0.99, 1.0};
    for (unsigned k = 0; k < sizeof qs / sizeof qs[0]; k++) {
      uint64_t rank = (uint64_t)(qs[k] * n);
      if ((double)rank < qs[k] * n) rank++;
      if (!rank) rank = 1;
      double est = sof_race_hist_pct(&h, qs[k], &ok);
      SOF_CHECK(ok);
      if (!near_exact(est, v[rank - 1])) {
        fprintf(stderr, "dist %d q %.2f: estimate %.1f, exact %lld\n", dist, qs[k], est, (long long)v[rank - 1]);
        SOF_CHECK(0);
      }
    }
  }
  /* merge adds counts */
  static sof_race_hist_t a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  sof_race_hist_add(&a, 1000);
  sof_race_hist_add(&b, -1000);
  sof_race_hist_add(&b, 5);
  sof_race_hist_merge(&a, &b);
  SOF_CHECK_EQ(sof_race_hist_count(&a), 3);
  SOF_CHECK(sof_race_hist_pct(&a, 0.01, NULL) < -800);
  SOF_CHECK(sof_race_hist_pct(&a, 0.5, NULL) == 5);
}

static void
test_cfg(void) {
  uint32_t ip;
  uint16_t port;
  char err[200];
  SOF_CHECK(sof_race_parse_addr("10.1.2.3:8001", &ip, &port, err, sizeof err) == 0);
  SOF_CHECK_EQ(ip, 0x0A010203u);
  SOF_CHECK_EQ(port, 8001);
  SOF_CHECK(sof_race_parse_addr("192.168.0.1", &ip, &port, err, sizeof err) == 0);
  SOF_CHECK_EQ(port, 0);
  static char const *const bad[] = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4:", "1.2.3.4:0",
                                    "1.2.3.4:65536", "01.2.3.4", "1.2.3.4 ", "a.b.c.d", "1.2.3.4:80x"};
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = 0;
    SOF_CHECK(sof_race_parse_addr(bad[i], &ip, &port, err, sizeof err) == -1);
    SOF_CHECK(err[0] != 0);
  }
  SOF_CHECK(sof_race_name_ok("jito-ny_1.a"));
  SOF_CHECK(!sof_race_name_ok("a b"));
  SOF_CHECK(!sof_race_name_ok(""));

  sof_race_cfg_t c;
  sof_race_cfg_default(&c);
  SOF_CHECK(sof_race_footprint(&c, 1) > 0);
  sof_race_named_t nm[2] = {{"a", 1, 0}, {"a", 2, 0}};
  c.named = nm;
  c.named_cnt = 2;
  sof_race_group_t *g = sof_race_group_new(&c, 1, err, sizeof err);
  SOF_CHECK(!g && strstr(err, "twice"));
  strcpy(nm[1].name, "b");
  nm[1].ip = 1;
  SOF_CHECK(!sof_race_group_new(&c, 1, err, sizeof err) && strstr(err, "same address"));
  strcpy(nm[1].name, "other");
  nm[1].ip = 2;
  SOF_CHECK(!sof_race_group_new(&c, 1, err, sizeof err) && strstr(err, "reserved"));
  c.named_cnt = 0;
  c.sources_max = 0;
  SOF_CHECK(!sof_race_group_new(&c, 1, err, sizeof err));
  c.sources_max = 4;
  SOF_CHECK(!sof_race_group_new(&c, 0, err, sizeof err));
  SOF_CHECK(!sof_race_group_new(&c, 65, err, sizeof err));
}

static void
test_dedupe_first(void) {
  sof_dedupe_cfg_t dc;
  sof_dedupe_cfg_default(&dc);
  dc.capacity = 1024;
  dc.seed = 7;
  sof_dedupe_t *d = sof_dedupe_new(&dc, NULL, 0);
  uint8_t sig[64] = {1}, sig2[64] = {2};
  sof_dedupe_first_t f;
  SOF_CHECK_EQ(sof_dedupe_check_src(d, 100, 5, 0, 1, 0x80, sig, 1000, 3, &f), SOF_DEDUPE_NEW);
  SOF_CHECK(f.src == 3 && f.stamp == 1000 && f.now == 1000 && !f.second);
  SOF_CHECK_EQ(sof_dedupe_check_src(d, 100, 5, 0, 1, 0x80, sig, 1500, 3, &f), SOF_DEDUPE_DUPLICATE);
  SOF_CHECK(f.src == 3 && f.stamp == 1000 && f.now == 1500 && !f.second); /* the same source again */
  SOF_CHECK_EQ(sof_dedupe_check_src(d, 100, 5, 0, 1, 0x80, sig, 2000, 4, &f), SOF_DEDUPE_DUPLICATE);
  SOF_CHECK(f.src == 3 && f.stamp == 1000 && f.now == 2000 && f.second); /* the runner-up */
  SOF_CHECK_EQ(sof_dedupe_check_src(d, 100, 5, 0, 1, 0x80, sig, 2500, 5, &f), SOF_DEDUPE_DUPLICATE);
  SOF_CHECK(f.src == 3 && f.now == 2500 && !f.second); /* third: no lead sample */
  f.src = 99;
  SOF_CHECK_EQ(sof_dedupe_check_src(d, 100, 5, 0, 1, 0x80, sig2, 2600, 5, &f), SOF_DEDUPE_CONFLICT);
  SOF_CHECK_EQ(f.src, 99); /* untouched */
  /* the plain check still works alongside */
  SOF_CHECK_EQ(sof_dedupe_check(d, 100, 6, 0, 1, 0x80, sig, 2700), SOF_DEDUPE_NEW);
  SOF_CHECK_EQ(sof_dedupe_check(d, 100, 5, 0, 1, 0x80, sig, 2800), SOF_DEDUPE_DUPLICATE);
  sof_dedupe_delete(d);
}

/* leaders: slot / 4 picks one of 3 identities, slots >= 1000 unknown */
static uint8_t leader_keys[3][32];
static uint8_t const *
leader_of(void *ctx, uint64_t slot) {
  (void)ctx;
  return slot >= 1000 ? NULL : leader_keys[(slot / 4) % 3];
}

struct ev_;
static int
cmp_ev(void const *a, void const *b) {
  uint64_t x = *(uint64_t const *)a, y = *(uint64_t const *)b; /* t is the first member */
  return (x > y) - (x < y);
}

/* Two feeds: A sends every shred at t, B at t + delay; B is faster for
 * the slots in fast_b (its copy at t - delay). */
static void
test_race_two_feeds(void) {
  for (int i = 0; i < 3; i++) memset(leader_keys[i], 'a' + i, 32);
  sof_race_cfg_t c;
  sof_race_cfg_default(&c);
  sof_race_named_t nm[1] = {{"feedA", 0x0A000001, 0}}; /* any port */
  c.named = nm;
  c.named_cnt = 1;
  c.leader_of = leader_of;
  char err[200];
  sof_race_group_t *g = sof_race_group_new(&c, 2, err, sizeof err);
  SOF_CHECK(g != NULL);
  if (!g) return;
  sof_race_t *t = sof_race_group_writer(g, 0), *fec = sof_race_group_writer(g, 1);
  sof_dedupe_cfg_t dc;
  sof_dedupe_cfg_default(&dc);
  dc.capacity = 1 << 14;
  dc.ttl = 0;
  dc.seed = 3;
  sof_dedupe_t *d = sof_dedupe_new(&dc, NULL, 0);
  uint8_t sig[64] = {9};
  uint64_t const delay = 2000000; /* 2 ms */
  uint64_t shreds = 0, b_first = 0;
  /* every arrival, in time order (the rx path sees them so) */
  enum { SLOTS = 24, IDX = 64 };
  static struct ev { uint64_t t, slot; uint32_t idx, feed; } evs[SLOTS * IDX * 2];
  unsigned ne = 0;
  for (uint64_t slot = 0; slot < SLOTS; slot++) {
    int fast_b = slot == 5;
    for (uint32_t idx = 0; idx < IDX; idx++) {
      uint64_t t0 = 10000000000ULL + slot * 400000000ULL + idx * 1000;
      evs[ne++] = (struct ev){fast_b ? t0 + delay : t0, slot, idx, 0};
      evs[ne++] = (struct ev){fast_b ? t0 : t0 + delay, slot, idx, 1};
      shreds++;
      b_first += fast_b;
    }
  }
  qsort(evs, ne, sizeof evs[0], cmp_ev);
  for (unsigned e = 0; e < ne; e++) {
    sof_dedupe_first_t f;
    /* A from varying ports (the named source matches any), B from one */
    uint32_t src = evs[e].feed == 0 ? sof_race_source(t, 0x0A000001, (uint16_t)(9000 + evs[e].idx % 3))
                                    : sof_race_source(t, 0x0A000002, 7000);
    SOF_CHECK_EQ(src, evs[e].feed);
    int r = sof_dedupe_check_src(d, evs[e].slot, evs[e].idx, 0, 1, 0x80, sig, evs[e].t, (uint16_t)src, &f);
    sof_race_record(t, src, evs[e].slot, r, &f);
  }
  /* one set per slot completed by A's shred, on the fec writer */
  for (uint64_t slot = 0; slot < SLOTS; slot++) sof_race_set_first(fec, 0x0A000001, 9001, slot);
  sof_race_snap_t *s = sof_race_snap_new(g);
  sof_race_snap_take(g, s);
  SOF_CHECK_EQ(s->src_cnt, 3); /* feedA, 10.0.0.2:7000, other */
  SOF_CHECK(!strcmp(s->src[0].name, "feedA") && s->src[0].named);
  SOF_CHECK(!strcmp(s->src[1].name, "10.0.0.2:7000") && !s->src[1].named);
  SOF_CHECK(s->src[2].other);
  SOF_CHECK_EQ(s->totals[0].received, shreds);
  SOF_CHECK_EQ(s->totals[1].received, shreds);
  SOF_CHECK_EQ(s->totals[0].first, shreds - b_first);
  SOF_CHECK_EQ(s->totals[1].first, b_first);
  SOF_CHECK_EQ(s->totals[0].sets_first, 24);
  SOF_CHECK_EQ(s->totals[1].sets_first, 0);
  /* B lags by 2 ms (p50, p90), A leads by 2 ms */
  double pb = sof_race_hist_pct(&s->totals[1].hist, 0.5, NULL);
  double pa = sof_race_hist_pct(&s->totals[0].hist, 0.5, NULL);
  SOF_CHECK(pb > 1.75e6 && pb < 2.25e6);
  SOF_CHECK(pa < -1.75e6 && pa > -2.25e6);
  SOF_CHECK_EQ(sof_race_hist_count(&s->totals[1].hist), shreds);
  SOF_CHECK_EQ(sof_race_hist_count(&s->totals[0].hist), shreds);
  /* leaders: 3 known + other; rows add up to the totals */
  SOF_CHECK_EQ(s->leader_cnt, 4);
  for (uint32_t i = 0; i < s->src_cnt; i++) {
    uint64_t rcv = 0, fst = 0, sets = 0, smp = 0;
    for (uint32_t l = 0; l < s->leader_cnt; l++) {
      sof_race_cell_t const *cl = sof_race_snap_cell(s, l, i);
      rcv += cl->received;
      fst += cl->first;
      sets += cl->sets_first;
      smp += sof_race_hist_count(&cl->hist);
    }
    SOF_CHECK_EQ(rcv, s->totals[i].received);
    SOF_CHECK_EQ(fst, s->totals[i].first);
    SOF_CHECK_EQ(sets, s->totals[i].sets_first);
    SOF_CHECK_EQ(smp, sof_race_hist_count(&s->totals[i].hist));
  }
  /* slot 5 (leader (5/4)%3 = 1): B was first for all of it */
  uint32_t l1 = 0;
  while (l1 < s->leader_cnt && memcmp(s->leader[l1], leader_keys[1], 32)) l1++;
  SOF_CHECK(l1 < 3);
  if (l1 < 3) SOF_CHECK_EQ(sof_race_snap_cell(s, l1, 1)->first, 64);

  /* JSON */
  static char buf[1 << 16];
  sof_json_t j;
  sof_json_init(&j, buf, sizeof buf);
  sof_json_obj_begin(&j);
  sof_race_json_fields(s, &j, 1);
  sof_json_obj_end(&j);
  SOF_CHECK(sof_json_ok(&j));
  SOF_CHECK(strstr(buf, "\"name\":\"feedA\",\"addr\":\"10.0.0.1\",\"named\":true") != NULL);
  SOF_CHECK(strstr(buf, "\"addr\":\"10.0.0.2:7000\"") != NULL);
  SOF_CHECK(strstr(buf, "\"leader\":null") == NULL); /* no unknown-leader slot here */
  SOF_CHECK(strstr(buf, "\"p50\":2") != NULL || strstr(buf, "\"p50\":1") != NULL);
  sof_race_snap_delete(s);
  sof_race_group_delete(g);
  sof_dedupe_delete(d);
}

static void
test_overflow_merge(void) {
  sof_race_cfg_t c;
  sof_race_cfg_default(&c);
  c.sources_max = 3;
  c.leaders_max = 2;
  c.leader_of = leader_of;
  char err[200];
  sof_race_group_t *g = sof_race_group_new(&c, 2, err, sizeof err);
  SOF_CHECK(g != NULL);
  if (!g) return;
  sof_race_t *t0 = sof_race_group_writer(g, 0), *t1 = sof_race_group_writer(g, 1);
  /* writer 0: sources 1..5 (3 rows, then other), slots of 3 leaders + unknown */
  uint64_t n0 = 0;
  for (uint32_t src = 1; src <= 5; src++)
    for (uint64_t slot = 0; slot < 12; slot++) {
      uint32_t r = sof_race_source(t0, 0x7F000001, (uint16_t)src);
      SOF_CHECK(src <= 3 ? r == src - 1 : r == sof_race_other(t0));
      sof_race_received(t0, r, slot);
      n0++;
    }
  sof_race_received(t0, sof_race_source(t0, 0x7F000001, 1), 5000); /* unknown leader */
  n0++;
  /* writer 1: source 3 first (another row index there), then 6 */
  sof_race_received(t1, sof_race_source(t1, 0x7F000001, 3), 0);
  sof_race_received(t1, sof_race_source(t1, 0x7F000001, 6), 0);
  sof_race_snap_t *s = sof_race_snap_new(g);
  sof_race_snap_take(g, s);
  SOF_CHECK_EQ(s->src_cnt, 4); /* 3 rows + other (port 6 went to other: no room) */
  SOF_CHECK_EQ(s->sources_overflow, 2 * 12 + 1); /* + port 6: no room in the merge */
  /* leaders: rows for 2 identities, the third (slots 8..11) overflows */
  SOF_CHECK_EQ(s->leader_cnt, 3);
  SOF_CHECK_EQ(s->leaders_overflow, 5 * 4);
  uint64_t tot = 0;
  for (uint32_t i = 0; i < s->src_cnt; i++) tot += s->totals[i].received;
  SOF_CHECK_EQ(tot, n0 + 2);
  uint32_t p3 = 0;
  while (p3 < s->src_cnt && !(s->src[p3].port == 3 && !s->src[p3].other)) p3++;
  SOF_CHECK(p3 < s->src_cnt);
  if (p3 < s->src_cnt) SOF_CHECK_EQ(s->totals[p3].received, 13); /* 12 + 1 from writer 1 */
  SOF_CHECK(s->src[s->src_cnt - 1].other);
  SOF_CHECK_EQ(s->totals[s->src_cnt - 1].received, 2 * 12 + 1);
  sof_race_snap_delete(s);
  sof_race_group_delete(g);

  /* publish */
  SOF_CHECK(sof_race_published() == NULL);
}

int
main(void) {
  test_hist();
  test_cfg();
  test_dedupe_first();
  test_race_two_feeds();
  test_overflow_merge();
  return sof_test_done("race");
}
