/* test_vec_entry.c: sof_entry conformance over ../shared/vectors real and
 * Firedancer-made entry batches (SOURCES.md sections 2, 3, 7, 10, 11).
 *
 * Every batch must parse to its exact length with the counts SOURCES.md and
 * the per-batch CSV files state.  Values SOURCES.md does not state (ticks of
 * testnet batch 320, the demo batch's ticks / txns, the simple vote counts
 * of the Sig blocks) were cross-checked with an independent scratch parser
 * before being written here. */
#include "sof_test.h"
#include "wire/sof_entry.h"

#include <dirent.h>

static char const *g_dir;

/* Walks a batch with the iterator and checks it agrees with
 * sof_entry_batch_parse: same counts, entries and txns contiguous,
 * consumed + trailing = size.  Returns the batch_parse code; *s is its
 * summary.  legacy_cnt (optional) gets the legacy txn count. */
static int
walk(uint8_t const *b, size_t sz, sof_entry_batch_t *s, uint64_t *legacy_cnt) {
  int rc = sof_entry_batch_parse(s, b, sz);
  sof_entry_iter_t it;
  int r = sof_entry_iter_init(&it, b, sz);
  uint64_t entries = 0, ticks = 0, txns = 0, sv = 0, legacy = 0;
  size_t expect_off = SOF_ENTRY_CNT_SZ;
  int bad = 0;
  sof_entry_t e;
  sof_txn_t t;
  while (!r && (r = sof_entry_iter_next(&it, &e)) == 1) {
    if (e.off != expect_off || e.idx != entries) bad++;
    expect_off = e.txn_off;
    size_t to, ts;
    while ((r = sof_entry_iter_next_txn(&it, &t, &to, &ts)) == 1) {
      if (to != expect_off || t.sz != ts || to + ts > sz) bad++;
      expect_off = to + ts;
      txns++;
      sv += t.simple_vote;
      legacy += t.version == SOF_TXN_VERSION_LEGACY;
    }
    if (r < 0) break;
    entries++;
    ticks += !e.txn_cnt;
  }
  SOF_CHECK_EQ(r, rc);
  SOF_CHECK_EQ(bad, 0);
  if (!rc) {
    SOF_CHECK_EQ(entries, s->entry_cnt);
    SOF_CHECK_EQ(ticks, s->tick_cnt);
    SOF_CHECK_EQ(txns, s->txn_cnt);
    SOF_CHECK_EQ(sv, s->simple_vote_cnt);
    SOF_CHECK_EQ(s->kind_cnt[0] + s->kind_cnt[1] + s->kind_cnt[2], s->txn_cnt);
    SOF_CHECK_EQ(expect_off, s->consumed);
    SOF_CHECK_EQ(s->consumed + s->trailing, sz);
    SOF_CHECK_EQ(it.trailing, s->trailing);
  }
  if (legacy_cnt) *legacy_cnt = legacy;
  return rc;
}

/* ---- fd-testnet-slot385970984 (section 2) ------------------------------ */

static void
test_testnet_385970984(void) {
  static struct {
    char const *name;
    size_t sz;
    uint64_t entries, ticks, txns;
  } const tab[] = {
    { "entry-batch-shreds-0320-0351.bin",  7272, 12,  9, 19 },
    { "entry-batch-shreds-0352-0383.bin", 14152, 14, 10, 38 },
    { "entry-batch-shreds-0384-0415.bin",   840, 10,  9,  1 },
    { "entry-batch-shreds-0416-0447.bin",  2296, 11, 10,  5 },
    { "entry-batch-shreds-0448-0479.bin",   104,  2,  2,  0 },
  };
  for (size_t k = 0; k < sizeof tab / sizeof tab[0]; k++) {
    char rel[256];
    snprintf(rel, sizeof rel, "fd-testnet-slot385970984/entry-batches/%s", tab[k].name);
    size_t sz;
    uint8_t *b = sof_test_read(g_dir, rel, &sz);
    if (!b) continue;
    sof_entry_batch_t s;
    SOF_CHECK_EQ(walk(b, sz, &s, NULL), SOF_ENTRY_OK);
    SOF_CHECK_EQ(sz, tab[k].sz);
    SOF_CHECK_EQ(s.kind, SOF_ENTRY_BATCH_ENTRIES);
    SOF_CHECK_EQ(s.entry_cnt, tab[k].entries);
    SOF_CHECK_EQ(s.tick_cnt, tab[k].ticks);
    SOF_CHECK_EQ(s.txn_cnt, tab[k].txns);
    SOF_CHECK_EQ(s.simple_vote_cnt, tab[k].txns); /* all simple votes */
    SOF_CHECK_EQ(s.kind_cnt[SOF_TXN_KIND_VOTE_ONLY], tab[k].txns);
    SOF_CHECK_EQ(s.consumed, sz);
    SOF_CHECK_EQ(s.trailing, 0);

    if (k == 0) {
      /* First txn: 2RqreN6MJNMQ8wS1piSXkbicMpBwat41gBkQe9zADkKUcuZ65FJZyRAvSgZwLNkAJ1Arpu3F5i43FpSEMo5NAx7q,
       * legacy, 3 keys, header (1,0,1), Vote, TowerSync (0e000000), 352 B. */
      uint8_t sig[64];
      sof_test_unhex(sig, "4770a9e8a084bde7e52d81b4148f53dadb52493f09c14087563d039b9d24389f"
                          "32234c056234db96b465b4753f68d0692ebb60d3c2781f4ddd9d5861bdb57d00", 64);
      sof_entry_iter_t it;
      sof_entry_t e;
      sof_txn_t t;
      size_t to = 0, ts = 0;
      SOF_CHECK_EQ(sof_entry_iter_init(&it, b, sz), SOF_ENTRY_OK);
      int r;
      while ((r = sof_entry_iter_next(&it, &e)) == 1 && !e.txn_cnt) {}
      SOF_CHECK_EQ(r, 1);
      SOF_CHECK_EQ(sof_entry_iter_next_txn(&it, &t, &to, &ts), 1);
      uint8_t const *tx = b + to;
      SOF_CHECK_MEM(sof_txn_sig(&t, tx, 0), sig, 64);
      SOF_CHECK_EQ(t.version, SOF_TXN_VERSION_LEGACY);
      SOF_CHECK_EQ(t.acct_cnt, 3);
      SOF_CHECK_EQ(t.num_required_signatures, 1);
      SOF_CHECK_EQ(t.num_readonly_signed, 0);
      SOF_CHECK_EQ(t.num_readonly_unsigned, 1);
      SOF_CHECK_EQ(t.instr_cnt, 1);
      SOF_CHECK_MEM(sof_txn_instr_program(&t, tx, 0), sof_txn_vote_program_id, 32);
      static uint8_t const tower_sync[4] = { 0x0e, 0x00, 0x00, 0x00 };
      SOF_CHECK(t.instr[0].data_sz >= 4);
      SOF_CHECK_MEM(sof_txn_instr_data(&t, tx, 0), tower_sync, 4);
      SOF_CHECK_EQ(ts, 352);
      SOF_CHECK_EQ(t.sz, 352);
      SOF_CHECK_EQ(t.simple_vote, 1);
      SOF_CHECK_EQ(t.kind, SOF_TXN_KIND_VOTE_ONLY);
    }
    free(b);
  }
}

/* ---- fd-demo-slot0-fixed32 (section 3) --------------------------------- */

static void
test_demo(void) {
  size_t sz;
  uint8_t *b = sof_test_read(g_dir, "fd-demo-slot0-fixed32/entry-batch.bin", &sz);
  if (!b) return;
  sof_entry_batch_t s;
  SOF_CHECK_EQ(walk(b, sz, &s, NULL), SOF_ENTRY_OK);
  SOF_CHECK_EQ(sz, 237320);
  SOF_CHECK_EQ(s.entry_cnt, 64);
  SOF_CHECK_EQ(s.tick_cnt, 0);
  SOF_CHECK_EQ(s.txn_cnt, 1280);
  SOF_CHECK_EQ(s.consumed, sz);
  SOF_CHECK_EQ(s.trailing, 0);
  free(b);
}

/* ---- radiance-mainnet-slot102815960-legacy (section 7) ----------------- */

static void
test_radiance(void) {
  char const *set = "radiance-mainnet-slot102815960-legacy";
  char path[4096];
  size_t sz;
  snprintf(path, sizeof path, "%s/entry-batches-concat.bin", set);
  uint8_t *b = sof_test_read(g_dir, path, &sz);
  if (!b) return;
  SOF_CHECK_EQ(sz, 1139495);
  snprintf(path, sizeof path, "%s/%s/entry-batches.csv", g_dir, set);
  FILE *f = fopen(path, "r");
  SOF_CHECK(f != NULL);
  if (!f) {
    free(b);
    return;
  }
  char line[512];
  SOF_CHECK(fgets(line, sizeof line, f) != NULL);
  SOF_CHECK_STR(line, "batch,first_idx,last_idx,bytes,entries,ticks,txns\n");
  size_t off = 0;
  unsigned rows = 0, bad = 0;
  uint64_t entries = 0, ticks = 0, txns = 0, sv = 0, legacy = 0;
  int first = 1;
  while (fgets(line, sizeof line, f)) {
    unsigned batch, fi, la;
    unsigned long long bytes, ne, nt, nx;
    if (sscanf(line, "%u,%u,%u,%llu,%llu,%llu,%llu", &batch, &fi, &la, &bytes,
               &ne, &nt, &nx) != 7 || batch != rows || bytes > sz - off) {
      bad++;
      break;
    }
    sof_entry_batch_t s;
    uint64_t lg = 0;
    int r = walk(b + off, bytes, &s, &lg);
    if (r || s.entry_cnt != ne || s.tick_cnt != nt || s.txn_cnt != nx ||
        s.consumed != bytes || s.trailing) {
      bad++;
      fprintf(stderr, "  radiance batch %u: %s entries %llu ticks %llu txns %llu\n",
              batch, sof_entry_err_str(r), (unsigned long long)s.entry_cnt,
              (unsigned long long)s.tick_cnt, (unsigned long long)s.txn_cnt);
    }
    if (first && s.txn_cnt) {
      /* First txn of the block: 5ruUBRn3CNNcFneJtEaJBaUjhtHtEb6Q9Hu2ygTSA9TjLr6FtE2WGGBkt7nUAHc1fnBaL8DGMS6maeCYHpRzuY6K */
      uint8_t sig[64];
      sof_test_unhex(sig, "f31a9620a8350f08c307cfda433f6082201ff32b8f0b9e03438fc911a99895e5"
                          "0edb706af365701bb659c10ea6c0bf9c64636dda1a33adce2b136e9f9b255f00", 64);
      sof_entry_iter_t it;
      sof_entry_t e;
      sof_txn_t t;
      size_t to = 0;
      SOF_CHECK_EQ(sof_entry_iter_init(&it, b + off, bytes), SOF_ENTRY_OK);
      while (sof_entry_iter_next(&it, &e) == 1 && !e.txn_cnt) {}
      SOF_CHECK_EQ(sof_entry_iter_next_txn(&it, &t, &to, NULL), 1);
      SOF_CHECK_MEM(sof_txn_sig(&t, b + off + to, 0), sig, 64);
      first = 0;
    }
    entries += s.entry_cnt;
    ticks += s.tick_cnt;
    txns += s.txn_cnt;
    sv += s.simple_vote_cnt;
    legacy += lg;
    off += bytes;
    rows++;
  }
  fclose(f);
  SOF_CHECK_EQ(bad, 0);
  SOF_CHECK_EQ(first, 0);
  SOF_CHECK_EQ(rows, 574);
  SOF_CHECK_EQ(off, sz);
  SOF_CHECK_EQ(entries, 881);
  SOF_CHECK_EQ(ticks, 64);
  SOF_CHECK_EQ(txns, 3177);
  SOF_CHECK_EQ(sv, 2539);
  SOF_CHECK_EQ(legacy, 3177);

  /* The whole concatenation is not one batch: after batch 0 (392 bytes),
   * the next batch's count is non-zero trailing data. */
  sof_entry_batch_t s;
  SOF_CHECK_EQ(sof_entry_batch_parse(&s, b, sz), SOF_ENTRY_ERR_TRAILING);
  SOF_CHECK_EQ(s.err_off, 392);
  free(b);
}

/* ---- Sig blocks: shreds + entry-batches.csv (sections 10, 11) ---------- */

#define SIG_MAX_SHREDS 1024

/* Loads <set>/shreds/data-fecFFFF-idxIIII.bin into shreds[idx] (malloc'd),
 * returns the number loaded. */
static unsigned
load_shreds(char const *set, uint8_t **shreds, size_t *sizes) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s/shreds", g_dir, set);
  DIR *d = opendir(path);
  SOF_CHECK(d != NULL);
  if (!d) return 0;
  unsigned n = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    unsigned fec, idx;
    char tail[8];
    if (sscanf(de->d_name, "data-fec%u-idx%u%7s", &fec, &idx, tail) != 3 ||
        strcmp(tail, ".bin") || idx >= SIG_MAX_SHREDS || shreds[idx])
      continue;
    char rel[512];
    snprintf(rel, sizeof rel, "%s/shreds/%s", set, de->d_name);
    shreds[idx] = sof_test_read(g_dir, rel, &sizes[idx]);
    n += shreds[idx] != NULL;
  }
  closedir(d);
  return n;
}

static void
test_sig_block(char const *set, unsigned shred_cnt, unsigned batch_cnt,
               uint64_t total_entries, uint64_t total_txns, int padded) {
  static uint8_t *shreds[SIG_MAX_SHREDS];
  static size_t sizes[SIG_MAX_SHREDS];
  memset(shreds, 0, sizeof shreds);
  SOF_CHECK_EQ(load_shreds(set, shreds, sizes), shred_cnt);

  char path[4096];
  snprintf(path, sizeof path, "%s/%s/entry-batches.csv", g_dir, set);
  FILE *f = fopen(path, "r");
  SOF_CHECK(f != NULL);
  char line[512];
  unsigned rows = 0, bad = 0, padded_cnt = 0;
  uint64_t entries = 0, txns = 0, votes = 0, sv = 0;
  size_t max_pad = 0, min_pad = SIZE_MAX;
  uint8_t *batch = malloc(SIG_MAX_SHREDS * 1203);
  if (f && fgets(line, sizeof line, f)) {
    SOF_CHECK_STR(line, "batch,first_idx,last_idx,bytes_incl_padding,bytes_parsed,entries,ticks,txns\n");
    while (fgets(line, sizeof line, f)) {
      unsigned b, fi, la;
      unsigned long long incl, parsed, ne, nt, nx;
      if (sscanf(line, "%u,%u,%u,%llu,%llu,%llu,%llu,%llu", &b, &fi, &la, &incl,
                 &parsed, &ne, &nt, &nx) != 8 || b != rows || la < fi ||
          la >= SIG_MAX_SHREDS) {
        bad++;
        break;
      }
      /* Concatenate data payloads [88, size) of shreds fi..la. */
      size_t sz = 0;
      for (unsigned i = fi; i <= la; i++) {
        if (!shreds[i] || sizes[i] < 88) {
          bad++;
          continue;
        }
        unsigned size = shreds[i][86] | (unsigned)shreds[i][87] << 8;
        if (size < 88 || size > sizes[i]) {
          bad++;
          continue;
        }
        memcpy(batch + sz, shreds[i] + 88, size - 88u);
        sz += size - 88u;
      }
      /* Exact-size copy so ASan sees any overread. */
      uint8_t *exact = malloc(sz ? sz : 1);
      memcpy(exact, batch, sz);
      sof_entry_batch_t s;
      int r = walk(exact, sz, &s, NULL);
      free(exact);
      if (r || sz != incl || s.consumed != parsed || s.trailing != incl - parsed ||
          s.entry_cnt != ne || s.tick_cnt != nt || s.txn_cnt != nx) {
        bad++;
        fprintf(stderr, "  %s batch %u: %s sz %zu consumed %zu trailing %zu\n", set, b,
                sof_entry_err_str(r), sz, s.consumed, s.trailing);
      }
      padded_cnt += s.trailing > 0;
      if (s.trailing > max_pad) max_pad = s.trailing;
      if (s.trailing < min_pad) min_pad = s.trailing;
      entries += s.entry_cnt;
      txns += s.txn_cnt;
      votes += s.kind_cnt[SOF_TXN_KIND_VOTE_ONLY];
      sv += s.simple_vote_cnt;
      rows++;
    }
  }
  if (f) fclose(f);
  free(batch);
  for (unsigned i = 0; i < SIG_MAX_SHREDS; i++) free(shreds[i]);
  SOF_CHECK_EQ(bad, 0);
  SOF_CHECK_EQ(rows, batch_cnt);
  SOF_CHECK_EQ(entries, total_entries);
  SOF_CHECK_EQ(txns, total_txns);
  SOF_CHECK_EQ(votes, total_txns); /* all votes */
  SOF_CHECK_EQ(sv, total_txns);    /* ... and all simple votes */
  if (padded) {
    /* Every batch ends in zero padding, 9 B to ~25 KB. */
    SOF_CHECK_EQ(padded_cnt, batch_cnt);
    SOF_CHECK_EQ(min_pad, 9);
    SOF_CHECK_EQ(max_pad, 24952);
  } else {
    SOF_CHECK_EQ(padded_cnt, 0);
  }
}

int
main(void) {
  g_dir = sof_test_require_vectors("test_vec_entry");
  test_testnet_385970984();
  test_demo();
  test_radiance();
  test_sig_block("sig-testnet-slot417955322-full", 320, 9, 103, 417, 0);
  test_sig_block("sig-testnet-slot356797362-full-padded", 992, 15, 2357, 2293, 1);
  return sof_test_done("test_vec_entry");
}
