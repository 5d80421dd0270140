/* test_forks.c: the fork tracker on hand-built slot graphs (exact event
 * sequences), window bounds, floods, resync, and a randomized differential
 * check against a from-scratch reference model. */
#include "sof_test.h"

#include "state/sof_forks.h"

#define NONE SOF_FORKS_SLOT_NONE
#define REC_MAX 512

/* ---- event recorder: each event as one compact line ---------------------- */

typedef struct rec {
  int               n;
  char              line[REC_MAX][320];
  sof_forks_marks_t marks[REC_MAX];
  sof_forks_reorg_t last_reorg;
} rec_t;

static void
fmt_slot(char *b, size_t sz, uint64_t s) {
  if (s == NONE) snprintf(b, sz, "-");
  else snprintf(b, sz, "%" PRIu64, s);
}

static void
rec_fn(void *ctx, sof_forks_event_t const *ev) {
  rec_t *r = ctx;
  if (r->n >= REC_MAX) { r->n++; return; }
  char *l = r->line[r->n];
  size_t sz = sizeof r->line[0];
  char p[24];
  fmt_slot(p, sizeof p, ev->parent);
  switch (ev->kind) {
  case SOF_FORKS_EV_FIRST_SHRED:   snprintf(l, sz, "first %" PRIu64 " p%s", ev->slot, p); break;
  case SOF_FORKS_EV_SLOT_COMPLETE: snprintf(l, sz, "complete %" PRIu64, ev->slot); break;
  case SOF_FORKS_EV_RESYNC:        snprintf(l, sz, "resync %" PRIu64, ev->slot); break;
  case SOF_FORKS_EV_STATUS:
    snprintf(l, sz, "%" PRIu64 " %s>%s", ev->slot, sof_forks_status_str(ev->prev_status),
             sof_forks_status_str(ev->status));
    break;
  case SOF_FORKS_EV_REORG: {
    sof_forks_reorg_t const *g = ev->reorg;
    char a[24];
    fmt_slot(a, sizeof a, g->common_ancestor);
    int o = snprintf(l, sz, "reorg %" PRIu64 ">%" PRIu64 " anc %s det %u:", g->old_tip, g->new_tip, a,
                     g->detached_cnt);
    for (uint32_t i = 0; i < g->detached_len && o < (int)sz; i++)
      o += snprintf(l + o, sz - (size_t)o, "%s%" PRIu64, i ? "," : "", g->detached[i]);
    if (o < (int)sz) o += snprintf(l + o, sz - (size_t)o, " att %u:", g->attached_cnt);
    for (uint32_t i = 0; i < g->attached_len && o < (int)sz; i++)
      o += snprintf(l + o, sz - (size_t)o, "%s%" PRIu64, i ? "," : "", g->attached[i]);
    r->last_reorg = *g;
    SOF_CHECK_EQ(ev->slot, g->new_tip);
    break;
  }
  default: snprintf(l, sz, "bad kind %d", ev->kind); break;
  }
  r->marks[r->n] = ev->marks;
  r->n++;
}

/* Checks that the events recorded since the last call are exactly exp (a
 * NULL-terminated list) and that each carried the tracker's final marks
 * (RESYNC carries the emptied tracker's: checked where it is expected). */
static void
expect_(rec_t *r, sof_forks_t const *f, char const *const *exp, int line) {
  int n = 0;
  while (exp[n]) n++;
  sof_test_check_cnt++;
  int bad = r->n != n;
  for (int i = 0; !bad && i < n; i++) bad = strcmp(r->line[i], exp[i]) != 0;
  sof_forks_marks_t m = sof_forks_marks(f);
  for (int i = 0; !bad && i < n; i++)
    bad = strncmp(r->line[i], "resync", 6) && (r->marks[i].tip != m.tip || r->marks[i].confirmed != m.confirmed ||
          r->marks[i].finalized != m.finalized);
  if (bad) {
    sof_test_fail_cnt++;
    fprintf(stderr, "%s:%d: FAIL: events differ\n  expected:\n", __FILE__, line);
    for (int i = 0; i < n; i++) fprintf(stderr, "    %s\n", exp[i]);
    fprintf(stderr, "  got:\n");
    for (int i = 0; i < r->n && i < REC_MAX; i++) fprintf(stderr, "    %s\n", r->line[i]);
  }
  r->n = 0;
}
#define EXPECT(r, f, ...) expect_((r), (f), (char const *const[]){ __VA_ARGS__, NULL }, __LINE__)
#define EXPECT_NONE(r, f) expect_((r), (f), (char const *const[]){ NULL }, __LINE__)

static void
check_marks_(sof_forks_t const *f, uint64_t tip, uint64_t conf, uint64_t fin, int line) {
  sof_forks_marks_t m = sof_forks_marks(f);
  sof_test_check_cnt++;
  if (m.tip != tip || m.confirmed != conf || m.finalized != fin) {
    sof_test_fail_cnt++;
    fprintf(stderr, "%s:%d: FAIL: marks (%" PRIu64 ",%" PRIu64 ",%" PRIu64 ") want (%" PRIu64
            ",%" PRIu64 ",%" PRIu64 ") (%" PRIu64 " = none)\n", __FILE__, line, m.tip, m.confirmed,
            m.finalized, tip, conf, fin, NONE);
  }
}
#define CHECK_MARKS(f, t, c, z) check_marks_((f), (t), (c), (z), __LINE__)

static sof_forks_t *
mk(uint32_t w, uint32_t cd, uint32_t fd, uint32_t ahead, uint32_t resync) {
  sof_forks_cfg_t cfg = { .slots_max = w, .confirmed_depth = cd, .finalized_depth = fd,
                          .max_ahead = ahead, .resync_after = resync };
  char err[256] = "";
  sof_forks_t *f = sof_forks_new(&cfg, err, sizeof err);
  if (!f) fprintf(stderr, "sof_forks_new: %s\n", err);
  return f;
}

/* ---- hand-built graphs --------------------------------------------------- */

static void
test_config(void) {
  sof_forks_cfg_t cfg;
  sof_forks_cfg_default(&cfg);
  SOF_CHECK_EQ(cfg.slots_max, 2048);
  SOF_CHECK_EQ(cfg.confirmed_depth, 32);
  SOF_CHECK_EQ(cfg.finalized_depth, 150);
  char err[256];
  sof_forks_t *f = sof_forks_new(&cfg, err, sizeof err);
  SOF_CHECK(f != NULL);
  sof_forks_delete(f);
  sof_forks_cfg_t bad[] = {
    { 1000, 32, 150, 512, 0 },  /* not a power of two */
    { 8, 1, 2, 1, 0 },          /* too small */
    { 2048, 150, 32, 512, 0 },  /* finalized < confirmed */
    { 2048, 32, 150, 0, 0 },    /* max_ahead 0 */
    { 2048, 32, 150, 1898, 0 }, /* max_ahead + finalized >= slots_max */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = 0;
    SOF_CHECK(sof_forks_new(&bad[i], err, sizeof err) == NULL);
    SOF_CHECK(strstr(err, "forks:") != NULL);
  }
  SOF_CHECK(sof_forks_new(&bad[0], NULL, 0) == NULL);
  sof_forks_delete(NULL);
  SOF_CHECK_STR(sof_forks_status_str(SOF_FORKS_STATUS_ORPHANED), "orphaned");
  SOF_CHECK_STR(sof_forks_result_str(SOF_FORKS_AHEAD), "ahead");
  SOF_CHECK_STR(sof_forks_complete_str(SOF_FORKS_COMPLETE_DUP), "dup");
  SOF_CHECK_STR(sof_forks_event_str(SOF_FORKS_EV_REORG), "reorg");
  SOF_CHECK_STR(sof_forks_event_str(99), "?");
}

static void
test_linear(void) {
  sof_forks_t *f = mk(64, 2, 4, 16, 0);
  rec_t r = { 0 };
  CHECK_MARKS(f, NONE, NONE, NONE);
  SOF_CHECK_EQ(sof_forks_shred(f, 10, 9, rec_fn, &r), SOF_FORKS_NEW_SLOT);
  EXPECT(&r, f, "first 10 p9", "10 none>processed");
  CHECK_MARKS(f, 10, NONE, NONE);
  SOF_CHECK_EQ(sof_forks_shred(f, 10, NONE, rec_fn, &r), SOF_FORKS_KNOWN); /* coding shred */
  SOF_CHECK_EQ(sof_forks_shred(f, 10, 9, rec_fn, &r), SOF_FORKS_KNOWN);
  EXPECT_NONE(&r, f);
  sof_forks_shred(f, 11, 10, rec_fn, &r);
  EXPECT(&r, f, "first 11 p10", "11 none>processed");
  sof_forks_shred(f, 12, 11, rec_fn, &r);
  EXPECT(&r, f, "first 12 p11", "10 processed>confirmed", "12 none>processed");
  CHECK_MARKS(f, 12, 10, NONE);
  sof_forks_shred(f, 13, 12, rec_fn, &r);
  EXPECT(&r, f, "first 13 p12", "11 processed>confirmed", "13 none>processed");
  sof_forks_shred(f, 14, 13, rec_fn, &r);
  EXPECT(&r, f, "first 14 p13", "10 confirmed>finalized", "12 processed>confirmed", "14 none>processed");
  CHECK_MARKS(f, 14, 12, 10);
  sof_forks_shred(f, 15, 14, rec_fn, &r);
  EXPECT(&r, f, "first 15 p14", "11 confirmed>finalized", "13 processed>confirmed", "15 none>processed");
  CHECK_MARKS(f, 15, 13, 11);

  uint64_t par = 0;
  uint32_t depth = 0;
  SOF_CHECK_EQ(sof_forks_slot_status(f, 13, &par, &depth), SOF_FORKS_STATUS_CONFIRMED);
  SOF_CHECK_EQ(par, 12);
  SOF_CHECK_EQ(depth, 3);
  SOF_CHECK_EQ(sof_forks_slot_status(f, 10, NULL, NULL), SOF_FORKS_STATUS_FINALIZED);
  SOF_CHECK_EQ(sof_forks_slot_status(f, 14, NULL, NULL), SOF_FORKS_STATUS_PROCESSED);
  SOF_CHECK_EQ(sof_forks_slot_status(f, 9, NULL, NULL), SOF_FORKS_STATUS_NONE);

  SOF_CHECK_EQ(sof_forks_slot_complete(f, 12, rec_fn, &r), SOF_FORKS_COMPLETE_DONE);
  EXPECT(&r, f, "complete 12");
  SOF_CHECK_EQ(sof_forks_slot_complete(f, 12, rec_fn, &r), SOF_FORKS_COMPLETE_DUP);
  SOF_CHECK_EQ(sof_forks_slot_complete(f, 99, rec_fn, &r), SOF_FORKS_COMPLETE_UNKNOWN);
  EXPECT_NONE(&r, f);

  sof_forks_stats_t const *st = sof_forks_stats(f);
  SOF_CHECK_EQ(st->result[SOF_FORKS_NEW_SLOT], 6);
  SOF_CHECK_EQ(st->result[SOF_FORKS_KNOWN], 2);
  SOF_CHECK_EQ(st->complete[SOF_FORKS_COMPLETE_DONE], 1);
  SOF_CHECK_EQ(st->complete[SOF_FORKS_COMPLETE_DUP], 1);
  SOF_CHECK_EQ(st->complete[SOF_FORKS_COMPLETE_UNKNOWN], 1);
  SOF_CHECK_EQ(st->events[SOF_FORKS_EV_FIRST_SHRED], 6);
  SOF_CHECK_EQ(st->events[SOF_FORKS_EV_REORG], 0);
  SOF_CHECK_EQ(st->tracked, 6);

  /* Without a callback the same updates happen and are counted. */
  SOF_CHECK_EQ(sof_forks_shred(f, 16, 15, NULL, NULL), SOF_FORKS_NEW_SLOT);
  CHECK_MARKS(f, 16, 14, 12);
  SOF_CHECK_EQ(st->events[SOF_FORKS_EV_FIRST_SHRED], 7);

  sof_forks_reset(f);
  CHECK_MARKS(f, NONE, NONE, NONE);
  SOF_CHECK_EQ(sof_forks_stats(f)->tracked, 0);
  SOF_CHECK_EQ(sof_forks_stats(f)->result[SOF_FORKS_NEW_SLOT], 0);
  SOF_CHECK_EQ(sof_forks_slot_status(f, 12, NULL, NULL), SOF_FORKS_STATUS_NONE);
  sof_forks_delete(f);
}

/* Default depths: confirmed 32 links back, finalized 150. */
static void
test_linear_defaults(void) {
  sof_forks_cfg_t cfg;
  sof_forks_cfg_default(&cfg);
  sof_forks_t *f = sof_forks_new(&cfg, NULL, 0);
  for (uint64_t s = 1000; s < 1000 + 150; s++) sof_forks_shred(f, s, s - 1, NULL, NULL);
  CHECK_MARKS(f, 1149, 1149 - 32, NONE);
  rec_t r = { 0 };
  sof_forks_shred(f, 1150, 1149, rec_fn, &r);
  EXPECT(&r, f, "first 1150 p1149", "1000 confirmed>finalized", "1118 processed>confirmed",
         "1150 none>processed");
  CHECK_MARKS(f, 1150, 1118, 1000);
  for (uint64_t s = 1151; s < 5000; s++) sof_forks_shred(f, s, s - 1, NULL, NULL);
  CHECK_MARKS(f, 4999, 4999 - 32, 4999 - 150);
  SOF_CHECK_EQ(sof_forks_slot_status(f, 4999 - 150, NULL, NULL), SOF_FORKS_STATUS_FINALIZED);
  SOF_CHECK_EQ(sof_forks_slot_status(f, 4999 - 149, NULL, NULL), SOF_FORKS_STATUS_CONFIRMED);
  SOF_CHECK_EQ(sof_forks_slot_status(f, 4999 - 32, NULL, NULL), SOF_FORKS_STATUS_CONFIRMED);
  SOF_CHECK_EQ(sof_forks_slot_status(f, 4999 - 31, NULL, NULL), SOF_FORKS_STATUS_PROCESSED);
  sof_forks_stats_t const *st = sof_forks_stats(f);
  SOF_CHECK_EQ(st->tracked, 2048);
  SOF_CHECK_EQ(st->slots_evicted, 4000 - 2048);
  SOF_CHECK_EQ(st->events[SOF_FORKS_EV_STATUS], 3 * 4000 - 32 - 150);
  sof_forks_delete(f);
}

/* Skipped slots: watermarks count parent links, not slot numbers. */
static void
test_skipped(void) {
  sof_forks_t *f = mk(64, 2, 4, 16, 0);
  rec_t r = { 0 };
  sof_forks_shred(f, 10, NONE, rec_fn, &r); /* coding shred first: parent unknown */
  EXPECT(&r, f, "first 10 p-", "10 none>processed");
  sof_forks_shred(f, 11, 10, rec_fn, &r);
  EXPECT(&r, f, "first 11 p10", "11 none>processed");
  sof_forks_shred(f, 14, 11, rec_fn, &r); /* 12, 13 skipped */
  EXPECT(&r, f, "first 14 p11", "10 processed>confirmed", "14 none>processed");
  sof_forks_shred(f, 15, 14, rec_fn, &r);
  EXPECT(&r, f, "first 15 p14", "11 processed>confirmed", "15 none>processed");
  sof_forks_shred(f, 20, 15, rec_fn, &r); /* 16..19 skipped */
  EXPECT(&r, f, "first 20 p15", "10 confirmed>finalized", "14 processed>confirmed", "20 none>processed");
  CHECK_MARKS(f, 20, 14, 10);
  SOF_CHECK_EQ(sof_forks_slot_status(f, 12, NULL, NULL), SOF_FORKS_STATUS_NONE);
  /* A data shred of 10 gives its parent (9, never seen): nothing changes. */
  SOF_CHECK_EQ(sof_forks_shred(f, 10, 9, rec_fn, &r), SOF_FORKS_PARENT);
  EXPECT_NONE(&r, f);
  /* A second parent for 20 is a conflict: ignored, counted. */
  SOF_CHECK_EQ(sof_forks_shred(f, 20, 14, rec_fn, &r), SOF_FORKS_CONFLICT);
  EXPECT_NONE(&r, f);
  /* A parent >= slot is ignored and counted; genesis (0, 0) is not counted. */
  SOF_CHECK_EQ(sof_forks_shred(f, 21, 21, rec_fn, &r), SOF_FORKS_NEW_SLOT);
  EXPECT(&r, f, "first 21 p-", "21 none>processed");
  SOF_CHECK_EQ(sof_forks_stats(f)->bad_parent, 1);
  SOF_CHECK_EQ(sof_forks_stats(f)->result[SOF_FORKS_CONFLICT], 1);
  SOF_CHECK_EQ(sof_forks_shred(f, NONE, 5, rec_fn, &r), SOF_FORKS_BAD_SLOT);
  SOF_CHECK_EQ(sof_forks_stats(f)->result[SOF_FORKS_BAD_SLOT], 1);
  CHECK_MARKS(f, 20, 14, 10);
  sof_forks_delete(f);

  f = mk(64, 2, 4, 16, 0);
  SOF_CHECK_EQ(sof_forks_shred(f, 0, 0, NULL, NULL), SOF_FORKS_NEW_SLOT);
  SOF_CHECK_EQ(sof_forks_stats(f)->bad_parent, 0);
  sof_forks_delete(f);
}

/* Competing forks switching tips back and forth. SOF's semantics: a slot
 * that leaves the canonical chain is orphaned; when the chain switches back
 * it is canonical again (previous status orphaned). */
static void
test_forks_switch(void) {
  sof_forks_t *f = mk(64, 1, 2, 16, 0);
  rec_t r = { 0 };
  sof_forks_shred(f, 8, NONE, rec_fn, &r);
  EXPECT(&r, f, "first 8 p-", "8 none>processed");
  sof_forks_shred(f, 9, 8, rec_fn, &r);
  EXPECT(&r, f, "first 9 p8", "8 processed>confirmed", "9 none>processed");
  sof_forks_shred(f, 10, 9, rec_fn, &r);
  EXPECT(&r, f, "first 10 p9", "8 confirmed>finalized", "9 processed>confirmed", "10 none>processed");
  sof_forks_shred(f, 11, 10, rec_fn, &r);
  EXPECT(&r, f, "first 11 p10", "9 confirmed>finalized", "10 processed>confirmed", "11 none>processed");
  sof_forks_shred(f, 12, 11, rec_fn, &r);
  EXPECT(&r, f, "first 12 p11", "10 confirmed>finalized", "11 processed>confirmed", "12 none>processed");
  CHECK_MARKS(f, 12, 11, 10);

  /* Branch B off 9: side slots stay processed until B wins. */
  sof_forks_shred(f, 13, 9, rec_fn, &r);
  EXPECT(&r, f, "first 13 p9", "13 none>processed");
  sof_forks_shred(f, 14, 13, rec_fn, &r);
  EXPECT(&r, f, "first 14 p13", "14 none>processed");
  CHECK_MARKS(f, 12, 11, 10);
  /* 15 has depth 4, like 12, and a greater slot: B wins. */
  sof_forks_shred(f, 15, 14, rec_fn, &r);
  EXPECT(&r, f, "first 15 p14",
         "reorg 12>15 anc 9 det 3:12,11,10 att 3:13,14,15",
         "10 finalized>orphaned", "11 confirmed>orphaned", "12 processed>orphaned",
         "13 processed>finalized", "14 processed>confirmed", "15 none>processed");
  CHECK_MARKS(f, 15, 14, 13);
  SOF_CHECK_EQ(sof_forks_stats(f)->finalized_reverted, 1);

  /* A extends past B: back to A, B orphaned, A un-orphaned. */
  sof_forks_shred(f, 16, 12, rec_fn, &r);
  EXPECT(&r, f, "first 16 p12",
         "reorg 15>16 anc 9 det 3:15,14,13 att 4:10,11,12,16",
         "13 finalized>orphaned", "14 confirmed>orphaned", "15 processed>orphaned",
         "10 orphaned>finalized", "11 orphaned>finalized", "12 orphaned>confirmed",
         "16 none>processed");
  CHECK_MARKS(f, 16, 12, 11);

  /* B again: 17 (depth 5, like 16) has the greater slot. */
  sof_forks_shred(f, 17, 15, rec_fn, &r);
  EXPECT(&r, f, "first 17 p15",
         "reorg 16>17 anc 9 det 4:16,12,11,10 att 4:13,14,15,17",
         "10 finalized>orphaned", "11 finalized>orphaned", "12 confirmed>orphaned",
         "16 processed>orphaned",
         "13 orphaned>finalized", "14 orphaned>finalized", "15 orphaned>confirmed",
         "17 none>processed");
  CHECK_MARKS(f, 17, 15, 14);

  /* A child of an orphaned slot that does not win stays processed. */
  sof_forks_shred(f, 18, 11, rec_fn, &r);
  EXPECT(&r, f, "first 18 p11", "18 none>processed");
  SOF_CHECK_EQ(sof_forks_slot_status(f, 11, NULL, NULL), SOF_FORKS_STATUS_ORPHANED);
  /* B extends: plain extension, no reorg. */
  sof_forks_shred(f, 19, 17, rec_fn, &r);
  EXPECT(&r, f, "first 19 p17", "15 confirmed>finalized", "17 processed>confirmed", "19 none>processed");

  sof_forks_stats_t const *st = sof_forks_stats(f);
  SOF_CHECK_EQ(st->reorgs, 3);
  SOF_CHECK_EQ(st->events[SOF_FORKS_EV_REORG], 3);
  SOF_CHECK_EQ(st->orphaned, 3 + 3 + 4);
  SOF_CHECK_EQ(st->unorphaned, 3 + 3);
  SOF_CHECK_EQ(st->finalized_reverted, 1 + 1 + 2);
  SOF_CHECK_EQ(st->reorg_truncated, 0);
  sof_forks_delete(f);
}

/* Two unrelated trees: the reorg has no common ancestor. */
static void
test_disjoint(void) {
  sof_forks_t *f = mk(64, 1, 2, 16, 0);
  rec_t r = { 0 };
  sof_forks_shred(f, 20, 19, NULL, NULL);
  sof_forks_shred(f, 21, 20, NULL, NULL);
  sof_forks_shred(f, 22, NONE, rec_fn, &r); /* a root, depth 0 */
  EXPECT(&r, f, "first 22 p-", "22 none>processed");
  sof_forks_shred(f, 23, 22, rec_fn, &r);   /* depth 1 = 21's, greater slot */
  EXPECT(&r, f, "first 23 p22", "reorg 21>23 anc - det 2:21,20 att 2:22,23",
         "20 confirmed>orphaned", "21 processed>orphaned", "22 processed>confirmed",
         "23 none>processed");
  CHECK_MARKS(f, 23, 22, NONE);
  sof_forks_delete(f);
}

/* Late parents: children first; the parent links them and deepens them. */
static void
test_late_parent(void) {
  sof_forks_t *f = mk(64, 1, 2, 16, 0);
  rec_t r = { 0 };
  sof_forks_shred(f, 12, 11, rec_fn, &r);
  EXPECT(&r, f, "first 12 p11", "12 none>processed");
  sof_forks_shred(f, 13, 12, rec_fn, &r);
  EXPECT(&r, f, "first 13 p12", "12 processed>confirmed", "13 none>processed");
  sof_forks_shred(f, 11, 10, rec_fn, &r);
  EXPECT(&r, f, "first 11 p10", "11 none>finalized");
  CHECK_MARKS(f, 13, 12, 11);
  sof_forks_shred(f, 10, 9, rec_fn, &r);
  EXPECT(&r, f, "first 10 p9", "10 none>finalized");
  uint32_t d = 0;
  sof_forks_slot_status(f, 13, NULL, &d);
  SOF_CHECK_EQ(d, 3);
  CHECK_MARKS(f, 13, 12, 11);

  /* Coding shred of 20 first (a root, off the chain), then its data shred
   * names 13: 20 becomes the tip (no reorg: 13 is its ancestor). */
  sof_forks_shred(f, 20, NONE, rec_fn, &r);
  EXPECT(&r, f, "first 20 p-", "20 none>processed");
  CHECK_MARKS(f, 13, 12, 11);
  SOF_CHECK_EQ(sof_forks_shred(f, 20, 13, rec_fn, &r), SOF_FORKS_PARENT);
  EXPECT(&r, f, "12 confirmed>finalized", "13 processed>confirmed");
  CHECK_MARKS(f, 20, 13, 12);

  /* A late parent deep in the window links a whole side subtree that then
   * wins: 30 <- 31 <- 32 <- 33 <- 34 arrive without 30; 30 names 11. */
  sof_forks_shred(f, 31, 30, NULL, NULL);
  sof_forks_shred(f, 32, 31, NULL, NULL);
  sof_forks_shred(f, 33, 32, NULL, NULL);
  sof_forks_shred(f, 34, 33, NULL, NULL);
  CHECK_MARKS(f, 20, 13, 12);
  r.n = 0;
  sof_forks_shred(f, 30, 11, rec_fn, &r);
  EXPECT(&r, f, "first 30 p11",
         "reorg 20>34 anc 11 det 3:20,13,12 att 5:30,31,32,33,34",
         "12 finalized>orphaned", "13 confirmed>orphaned", "20 processed>orphaned",
         "30 none>finalized", "31 processed>finalized", "32 processed>finalized",
         "33 processed>confirmed");
  CHECK_MARKS(f, 34, 33, 32);
  sof_forks_delete(f);
}

/* Out-of-window slots: behind the window, too far ahead of the tip. */
static void
test_window(void) {
  sof_forks_t *f = mk(64, 2, 4, 16, 0);
  for (uint64_t s = 10; s <= 130; s++) sof_forks_shred(f, s, s - 1, NULL, NULL);
  sof_forks_stats_t const *st = sof_forks_stats(f);
  SOF_CHECK_EQ(st->tracked, 64);
  SOF_CHECK_EQ(st->slots_evicted, 67 - 10);
  CHECK_MARKS(f, 130, 128, 126);
  uint32_t d = 0;
  SOF_CHECK_EQ(sof_forks_slot_status(f, 67, NULL, &d), SOF_FORKS_STATUS_FINALIZED);
  SOF_CHECK_EQ(d, 57); /* depth kept across its parent's eviction */
  SOF_CHECK_EQ(sof_forks_slot_status(f, 66, NULL, NULL), SOF_FORKS_STATUS_NONE);

  rec_t r = { 0 };
  SOF_CHECK_EQ(sof_forks_shred(f, 66, 65, rec_fn, &r), SOF_FORKS_BEHIND);
  SOF_CHECK_EQ(sof_forks_shred(f, 0, NONE, rec_fn, &r), SOF_FORKS_BEHIND);
  SOF_CHECK_EQ(sof_forks_shred(f, 147, 130, rec_fn, &r), SOF_FORKS_AHEAD);
  SOF_CHECK_EQ(sof_forks_shred(f, UINT64_MAX - 1, 130, rec_fn, &r), SOF_FORKS_AHEAD);
  EXPECT_NONE(&r, f);
  SOF_CHECK_EQ(st->result[SOF_FORKS_BEHIND], 2);
  SOF_CHECK_EQ(st->result[SOF_FORKS_AHEAD], 2);
  SOF_CHECK_EQ(st->tracked, 64);

  /* Exactly max_ahead above the tip is accepted and moves the window: 67..82
   * leave it; the rest of the chain and its depths stay. */
  SOF_CHECK_EQ(sof_forks_shred(f, 146, 130, rec_fn, &r), SOF_FORKS_NEW_SLOT);
  EXPECT(&r, f, "first 146 p130", "127 confirmed>finalized", "129 processed>confirmed",
         "146 none>processed");
  SOF_CHECK_EQ(st->slots_evicted, 57 + 16);
  SOF_CHECK_EQ(sof_forks_slot_status(f, 82, NULL, NULL), SOF_FORKS_STATUS_NONE);
  SOF_CHECK_EQ(sof_forks_slot_status(f, 83, NULL, &d), SOF_FORKS_STATUS_FINALIZED);
  SOF_CHECK_EQ(d, 73);
  /* A slot inside the window but below the tip, unlinked: a side root. */
  SOF_CHECK_EQ(sof_forks_shred(f, 140, 20, rec_fn, &r), SOF_FORKS_NEW_SLOT);
  EXPECT(&r, f, "first 140 p20", "140 none>processed");
  CHECK_MARKS(f, 146, 129, 127);
  sof_forks_delete(f);
}

/* Long competing branches: reorg lists keep the 64 slots nearest each tip. */
static void
test_reorg_truncated(void) {
  sof_forks_t *f = mk(1024, 2, 4, 512, 0);
  rec_t r = { 0 };
  sof_forks_shred(f, 0, 0, NULL, NULL);
  for (uint64_t s = 1; s <= 100; s++) sof_forks_shred(f, s, s - 1, NULL, NULL);
  sof_forks_shred(f, 200, 0, NULL, NULL);
  for (uint64_t s = 201; s <= 298; s++) sof_forks_shred(f, s, s - 1, NULL, NULL);
  CHECK_MARKS(f, 100, 98, 96);
  sof_forks_shred(f, 299, 298, rec_fn, &r); /* depth 100 = slot 100's, greater slot */
  CHECK_MARKS(f, 299, 297, 295);
  sof_forks_reorg_t const *g = &r.last_reorg;
  SOF_CHECK_EQ(g->old_tip, 100);
  SOF_CHECK_EQ(g->new_tip, 299);
  SOF_CHECK_EQ(g->common_ancestor, 0);
  SOF_CHECK_EQ(g->detached_cnt, 100);
  SOF_CHECK_EQ(g->attached_cnt, 100);
  SOF_CHECK_EQ(g->detached_len, 64);
  SOF_CHECK_EQ(g->attached_len, 64);
  SOF_CHECK_EQ(g->truncated, 1);
  for (uint32_t i = 0; i < 64; i++) {
    SOF_CHECK_EQ(g->detached[i], 100 - i);
    SOF_CHECK_EQ(g->attached[i], 299 - 63 + i);
  }
  /* 1 first + 1 reorg + 100 orphaned + 99 attached statuses (298 stays processed). */
  SOF_CHECK_EQ(r.n, 201);
  SOF_CHECK_EQ(sof_forks_stats(f)->reorg_truncated, 1);
  SOF_CHECK_EQ(sof_forks_stats(f)->finalized_reverted, 96);
  sof_forks_delete(f);
}

static uint64_t
rng_next(uint64_t *s) {
  return sof_test_rng(s);
}

/* A flood of random far-ahead / far-behind / unlinked slots, mixed with the
 * live chain's own shreds, leaves the live chain and its statuses intact. */
static void
test_flood(void) {
  sof_forks_cfg_t cfg;
  sof_forks_cfg_default(&cfg);
  sof_forks_t *f = sof_forks_new(&cfg, NULL, 0);
  for (uint64_t s = 100000; s < 100400; s++) sof_forks_shred(f, s, s - 1, NULL, NULL);
  sof_forks_marks_t before = sof_forks_marks(f);
  uint8_t status[400];
  for (int i = 0; i < 400; i++) status[i] = (uint8_t)sof_forks_slot_status(f, 100000 + (uint64_t)i, NULL, NULL);
  uint64_t seed = 42, ahead = 0, behind = 0, side = 0;
  for (int i = 0; i < 200000; i++) {
    uint64_t x = rng_next(&seed);
    int r;
    switch (x & 3) {
    case 0:
      r = sof_forks_shred(f, 100399 + 513 + (x >> 20), (x >> 8) & 1 ? NONE : 100399, NULL, NULL);
      SOF_CHECK(r == SOF_FORKS_AHEAD || (x >> 20) > UINT64_MAX - 100399 - 513 - 1);
      ahead += r == SOF_FORKS_AHEAD;
      break;
    case 1:
      r = sof_forks_shred(f, (x >> 12) % (100399 - 2048), NONE, NULL, NULL);
      SOF_CHECK_EQ(r, SOF_FORKS_BEHIND);
      behind++;
      break;
    case 2: /* in-window roots: their parents are long gone */
      r = sof_forks_shred(f, 100401 + (x >> 12) % 511, (x >> 8) % 1000, NULL, NULL);
      SOF_CHECK(r == SOF_FORKS_NEW_SLOT || r == SOF_FORKS_KNOWN || r == SOF_FORKS_CONFLICT);
      side += r == SOF_FORKS_NEW_SLOT;
      break;
    default: /* the live chain keeps sending */
      r = sof_forks_shred(f, 100000 + (x >> 12) % 400, NONE, NULL, NULL);
      SOF_CHECK_EQ(r, SOF_FORKS_KNOWN);
      break;
    }
  }
  sof_forks_marks_t after = sof_forks_marks(f);
  SOF_CHECK_EQ(after.tip, before.tip);
  SOF_CHECK_EQ(after.confirmed, before.confirmed);
  SOF_CHECK_EQ(after.finalized, before.finalized);
  for (int i = 0; i < 400; i++)
    SOF_CHECK_EQ(sof_forks_slot_status(f, 100000 + (uint64_t)i, NULL, NULL), status[i]);
  sof_forks_stats_t const *st = sof_forks_stats(f);
  SOF_CHECK_EQ(st->result[SOF_FORKS_AHEAD], ahead);
  SOF_CHECK_EQ(st->result[SOF_FORKS_BEHIND], behind);
  SOF_CHECK(side > 0 && side <= 511);
  SOF_CHECK_EQ(st->resyncs, 0);
  SOF_CHECK_EQ(st->slots_evicted, 0);
  SOF_CHECK_EQ(st->tracked, 400 + side);
  /* And the chain goes on. */
  SOF_CHECK_EQ(sof_forks_shred(f, 100400 + 600, 100399, NULL, NULL), SOF_FORKS_AHEAD);
  sof_forks_shred(f, 100400, 100399, NULL, NULL);
  CHECK_MARKS(f, 100400, 100400 - 32, 100400 - 150);
  sof_forks_delete(f);
}

/* Resync: the cluster is far ahead (the observer fell behind). */
static void
test_resync(void) {
  sof_forks_t *f = mk(64, 1, 2, 16, 4);
  rec_t r = { 0 };
  for (uint64_t s = 10; s <= 20; s++) sof_forks_shred(f, s, s - 1, NULL, NULL);
  /* 3 ahead, then a live shred, then 3 ahead: no resync. */
  for (int i = 0; i < 3; i++) SOF_CHECK_EQ(sof_forks_shred(f, 1000, 999, rec_fn, &r), SOF_FORKS_AHEAD);
  SOF_CHECK_EQ(sof_forks_shred(f, 20, NONE, rec_fn, &r), SOF_FORKS_KNOWN);
  for (int i = 0; i < 3; i++) SOF_CHECK_EQ(sof_forks_shred(f, 1000, 999, rec_fn, &r), SOF_FORKS_AHEAD);
  EXPECT_NONE(&r, f);
  /* The 4th in a row: forget everything, restart at 1001. */
  SOF_CHECK_EQ(sof_forks_shred(f, 1001, 1000, rec_fn, &r), SOF_FORKS_NEW_SLOT);
  SOF_CHECK_EQ(r.marks[0].tip, NONE);
  SOF_CHECK_EQ(r.marks[0].confirmed, NONE);
  EXPECT(&r, f, "resync 1001", "first 1001 p1000", "1001 none>processed");
  CHECK_MARKS(f, 1001, NONE, NONE);
  sof_forks_stats_t const *st = sof_forks_stats(f);
  SOF_CHECK_EQ(st->resyncs, 1);
  SOF_CHECK_EQ(st->resync_dropped, 11);
  SOF_CHECK_EQ(st->tracked, 1);
  SOF_CHECK_EQ(sof_forks_slot_status(f, 20, NULL, NULL), SOF_FORKS_STATUS_NONE);
  SOF_CHECK_EQ(sof_forks_shred(f, 1000, 999, rec_fn, &r), SOF_FORKS_NEW_SLOT);
  EXPECT(&r, f, "first 1000 p999", "1000 none>confirmed");
  sof_forks_delete(f);
}

/* ---- randomized differential test against a from-scratch model ----------- */

#define MW 64U   /* window */
#define MS 4096U /* slot universe */

typedef struct model {
  uint8_t  seen[MS], linked[MS], was_canon[MS], canon[MS], status[MS];
  uint64_t parent[MS];
  uint64_t hi, tip;
  int      empty;
} model_t;

static int
m_tracked(model_t const *m, uint64_t s) {
  return s < MS && m->seen[s] && !m->empty && s + MW > m->hi;
}

/* Depth from scratch: linked parents, through evicted ones too. */
static uint32_t
m_depth(model_t const *m, uint64_t s) {
  uint32_t d = 0;
  while (m->linked[s]) { s = m->parent[s]; d++; }
  return d;
}

static void
m_link(model_t *m, uint64_t s) {
  if (m->parent[s] != NONE && m_tracked(m, m->parent[s])) m->linked[s] = 1;
}

/* Everything derived, from scratch. */
static void
m_settle(model_t *m, uint32_t cd, uint32_t fd, sof_forks_marks_t *mk_out) {
  m->tip = NONE;
  uint32_t td = 0;
  for (uint64_t s = 0; s < MS; s++) {
    if (!m_tracked(m, s)) continue;
    uint32_t d = m_depth(m, s);
    if (m->tip == NONE || d > td || (d == td && s > m->tip)) { m->tip = s; td = d; }
  }
  memset(m->canon, 0, sizeof m->canon);
  mk_out->tip = m->tip;
  mk_out->confirmed = mk_out->finalized = NONE;
  if (m->tip == NONE) return;
  for (uint64_t s = m->tip;;) {
    m->canon[s] = 1;
    uint32_t d = m_depth(m, s);
    if (d + cd == td) mk_out->confirmed = s;
    if (d + fd == td) mk_out->finalized = s;
    if (!m->linked[s] || !m_tracked(m, m->parent[s])) break;
    s = m->parent[s];
  }
  for (uint64_t s = 0; s < MS; s++) {
    if (!m_tracked(m, s)) continue;
    uint32_t d = m_depth(m, s);
    if (m->canon[s]) {
      m->was_canon[s] = 1;
      m->status[s] = d + fd <= td ? SOF_FORKS_STATUS_FINALIZED
                   : d + cd <= td ? SOF_FORKS_STATUS_CONFIRMED : SOF_FORKS_STATUS_PROCESSED;
    } else {
      m->status[s] = m->was_canon[s] ? SOF_FORKS_STATUS_ORPHANED : SOF_FORKS_STATUS_PROCESSED;
    }
  }
}

typedef struct shadow {
  uint8_t  status[MS];
  int      bad;
  uint64_t reorgs;
} shadow_t;

static void
shadow_fn(void *ctx, sof_forks_event_t const *ev) {
  shadow_t *sh = ctx;
  if (ev->kind == SOF_FORKS_EV_REORG) sh->reorgs++;
  if (ev->kind != SOF_FORKS_EV_STATUS) return;
  if (ev->slot >= MS || sh->status[ev->slot] != ev->prev_status || ev->prev_status == ev->status) {
    if (!sh->bad) fprintf(stderr, "shadow: slot %" PRIu64 " %s>%s, had %s\n", ev->slot,
                          sof_forks_status_str(ev->prev_status), sof_forks_status_str(ev->status),
                          ev->slot < MS ? sof_forks_status_str(sh->status[ev->slot]) : "?");
    sh->bad = 1;
    return;
  }
  sh->status[ev->slot] = (uint8_t)ev->status;
}

static void
test_random_model(void) {
  uint32_t const cd = 2, fd = 5, ahead = 24;
  static model_t m;
  static shadow_t sh;
  uint64_t seed = 7;
  int mismatches = 0;
  for (int round = 0; round < 40; round++) {
    memset(&m, 0, sizeof m);
    memset(&sh, 0, sizeof sh);
    m.empty = 1;
    m.tip = NONE;
    for (uint64_t s = 0; s < MS; s++) m.parent[s] = NONE;
    sof_forks_t *f = mk(MW, cd, fd, ahead, 0);
    uint64_t base = 100 + (uint64_t)round;
    uint64_t head = base; /* the slot around which the graph grows */
    for (int op = 0; op < 3000 && head + 64 < MS; op++) {
      uint64_t x = rng_next(&seed);
      uint64_t slot, parent;
      int kind = op ? (int)(x % 16) : 0; /* start near the head */
      if (kind < 9) {         /* near the head: forks, skips, out of order */
        slot = head + (x >> 8) % 6;
        if (slot > 4) slot -= 4;
      } else if (kind < 11) { /* far behind or ahead */
        slot = (x >> 8) % MS;
      } else {                /* a shred of a recent slot */
        slot = head > 20 ? head - (x >> 8) % 20 : head;
      }
      if ((x >> 40) % 3 == 0) parent = NONE; /* coding shred */
      else parent = slot - 1 - (x >> 44) % 4;
      if ((x >> 50) % 7 == 0) head++;

      /* The model's verdict. */
      int want;
      uint64_t p = parent != NONE && parent >= slot ? NONE : parent;
      if (m_tracked(&m, slot)) {
        if (p == NONE || p == m.parent[slot]) want = SOF_FORKS_KNOWN;
        else if (m.parent[slot] != NONE) want = SOF_FORKS_CONFLICT;
        else {
          want = SOF_FORKS_PARENT;
          m.parent[slot] = p;
          m_link(&m, slot);
        }
      } else if (!m.empty && slot + MW <= m.hi) {
        want = SOF_FORKS_BEHIND;
      } else if (!m.empty && slot > m.tip && slot - m.tip > ahead) {
        want = SOF_FORKS_AHEAD;
      } else {
        want = SOF_FORKS_NEW_SLOT;
        if (m.empty || slot > m.hi) m.hi = slot;
        m.empty = 0;
        m.seen[slot] = 1;
        m.parent[slot] = p;
        m.linked[slot] = 0;
        m.was_canon[slot] = 0;
        m_link(&m, slot);
        for (uint64_t c = slot + 1; c <= m.hi; c++)
          if (m_tracked(&m, c) && m.parent[c] == slot) m.linked[c] = 1;
      }
      int got = sof_forks_shred(f, slot, parent, shadow_fn, &sh);
      sof_forks_marks_t mm;
      m_settle(&m, cd, fd, &mm);
      sof_forks_marks_t fm = sof_forks_marks(f);
      int bad = got != want || fm.tip != mm.tip || fm.confirmed != mm.confirmed ||
                fm.finalized != mm.finalized || sh.bad;
      for (uint64_t s = 0; !bad && s < MS; s++) {
        int fs = sof_forks_slot_status(f, s, NULL, NULL);
        int ms = m_tracked(&m, s) ? m.status[s] : SOF_FORKS_STATUS_NONE;
        uint32_t d = 0;
        sof_forks_slot_status(f, s, NULL, &d);
        bad = fs != ms || (ms && sh.status[s] != ms) || (ms && d != m_depth(&m, s));
      }
      if (bad) {
        if (!mismatches++)
          fprintf(stderr, "model mismatch round %d op %d: shred(%" PRIu64 ", %" PRIu64 ") -> %s "
                  "want %s; tip %" PRIu64 "/%" PRIu64 "\n", round, op, slot, parent,
                  sof_forks_result_str(got), sof_forks_result_str(want), fm.tip, mm.tip);
        if (mismatches == 1)
          for (uint64_t s = 0; s < MS; s++) {
            uint32_t d = 0;
            uint64_t pp = 0;
            int fs = sof_forks_slot_status(f, s, &pp, &d);
            int ms = m_tracked(&m, s) ? m.status[s] : 0;
            if (fs || ms)
              fprintf(stderr, "  %" PRIu64 " p%" PRIu64 " f:%s/%u m:%s/%u sh:%s%s\n", s, m.parent[s],
                      sof_forks_status_str(fs), d, sof_forks_status_str(ms), m_depth(&m, s),
                      sof_forks_status_str(sh.status[s]), m.canon[s] ? " canon" : "");
          }
        break;
      }
      /* The shadow forgets evicted slots, as consumers would. */
      for (uint64_t s = 0; s < MS; s++)
        if (!m_tracked(&m, s)) sh.status[s] = SOF_FORKS_STATUS_NONE;
    }
    SOF_CHECK(sof_forks_stats(f)->reorgs == sh.reorgs);
    SOF_CHECK(sof_forks_stats(f)->reorgs > 0);
    SOF_CHECK(sof_forks_stats(f)->slots_evicted > 0);
    SOF_CHECK(sof_forks_stats(f)->result[SOF_FORKS_PARENT] > 0);
    sof_forks_delete(f);
  }
  SOF_CHECK_EQ(mismatches, 0);
}

/* External commitment: CONFIRMED / FINALIZED only from sof_forks_commit. */
static void
test_external(void) {
  sof_forks_cfg_t cfg = { .slots_max = 64, .confirmed_depth = 2, .finalized_depth = 4, .max_ahead = 16,
                          .resync_after = 0, .external_commitment = 1 };
  sof_forks_t *f = sof_forks_new(&cfg, NULL, 0);
  rec_t r = { 0 };
  SOF_CHECK_EQ(sof_forks_commit(f, 5, SOF_FORKS_STATUS_PROCESSED, rec_fn, &r), -1);
  for (uint64_t s = 10; s <= 14; s++) {
    char a[32], b[32];
    snprintf(a, sizeof a, "first %" PRIu64 " p%" PRIu64, s, s - 1);
    snprintf(b, sizeof b, "%" PRIu64 " none>processed", s);
    sof_forks_shred(f, s, s - 1, rec_fn, &r);
    EXPECT(&r, f, a, b); /* depth 2 and 4 would have confirmed and finalized from 12 on */
  }
  CHECK_MARKS(f, 14, NONE, NONE); /* depth 4 would have confirmed and finalized */
  SOF_CHECK_EQ(sof_forks_commit(f, 11, SOF_FORKS_STATUS_CONFIRMED, rec_fn, &r), 1);
  EXPECT(&r, f, "10 processed>confirmed", "11 processed>confirmed");
  CHECK_MARKS(f, 14, 11, NONE);
  SOF_CHECK_EQ(sof_forks_commit(f, 10, SOF_FORKS_STATUS_CONFIRMED, rec_fn, &r), 0);
  EXPECT_NONE(&r, f);
  SOF_CHECK_EQ(sof_forks_commit(f, 10, SOF_FORKS_STATUS_FINALIZED, rec_fn, &r), 1);
  EXPECT(&r, f, "10 confirmed>finalized");
  CHECK_MARKS(f, 14, 11, 10);
  SOF_CHECK_EQ(sof_forks_commit(f, 12, SOF_FORKS_STATUS_FINALIZED, rec_fn, &r), 1);
  EXPECT(&r, f, "11 confirmed>finalized", "12 processed>finalized");
  CHECK_MARKS(f, 14, 12, 12);
  /* reported before the slot is tracked: its status on arrival */
  SOF_CHECK_EQ(sof_forks_commit(f, 16, SOF_FORKS_STATUS_CONFIRMED, rec_fn, &r), 1);
  EXPECT(&r, f, "13 processed>confirmed", "14 processed>confirmed");
  CHECK_MARKS(f, 14, 14, 12);
  sof_forks_shred(f, 15, 14, rec_fn, &r);
  EXPECT(&r, f, "first 15 p14", "15 none>confirmed");
  sof_forks_shred(f, 17, 16, rec_fn, &r); /* parent unknown: a root, off the chain */
  EXPECT(&r, f, "first 17 p16", "17 none>processed");
  CHECK_MARKS(f, 15, 15, 12);
  SOF_CHECK_EQ(sof_forks_stats(f)->commits, 4);
  SOF_CHECK_EQ(sof_forks_stats(f)->commits_stale, 1);
  sof_forks_delete(f);
  /* the depth rule's tracker refuses external reports */
  f = mk(64, 2, 4, 16, 0);
  SOF_CHECK_EQ(sof_forks_commit(f, 5, SOF_FORKS_STATUS_CONFIRMED, rec_fn, &r), -1);
  sof_forks_delete(f);
}

int
main(void) {
  test_config();
  test_external();
  test_linear();
  test_linear_defaults();
  test_skipped();
  test_forks_switch();
  test_disjoint();
  test_late_parent();
  test_window();
  test_reorg_truncated();
  test_flood();
  test_resync();
  test_random_model();
  return sof_test_done("forks");
}
