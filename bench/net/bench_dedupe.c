/* bench_dedupe.c: ns per sof_dedupe_check for hits (duplicates, conflicts)
 * and misses (new keys: steady state with slot-window reuse, and under
 * capacity pressure; one at a time and in prefetched rounds of 32 as sofd's
 * rx role does), median of several runs (bench/sof_bench.h).
 *
 * Run: build/tests/net/bench_dedupe [ops [probe_max]] */
#include <stdlib.h>
#include <string.h>

#include "../sof_bench.h"
#include "state/sof_dedupe.h"

#define SIGS 4096U

typedef struct ctx {
  sof_dedupe_t *d;
  uint8_t      *sig;     /* SIGS signatures, 64 bytes each */
  uint32_t     *perm;    /* key order for hits */
  uint32_t      keys;    /* live keys for hits (power of two) */
  uint64_t      next;    /* miss cases: the key stream goes on across runs */
  uint32_t      per_slot;
  int           alt_sig; /* hits: 1 checks another signature (CONFLICT) */
} ctx_t;

static uint64_t rs = 0x9E3779B97F4A7C15ULL;
static uint32_t probe_max = 16;
static uint64_t
rnd(void) {
  rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
  return rs;
}

static sof_dedupe_t *
mk(uint32_t cap, uint64_t window) {
  sof_dedupe_cfg_t c;
  sof_dedupe_cfg_default(&c);
  c.capacity = cap; c.slot_window = window; c.ttl = 0; c.seed = 42; c.probe_max = probe_max;
  char err[256];
  sof_dedupe_t *d = sof_dedupe_new(&c, err, sizeof err);
  if (!d) { fprintf(stderr, "bench_dedupe: %s\n", err); exit(1); }
  return d;
}

/* Hit key i: slot 1000 + i / 1024, index i % 1024; signature i % SIGS. */
static uint64_t
run_hits(void *p, uint64_t ops) {
  ctx_t *c = p;
  uint64_t acc = 0, m = c->keys - 1;
  for (uint64_t i = 0; i < ops; i++) {
    uint32_t k = c->perm[i & m];
    uint8_t const *s = c->sig + (size_t)((k + (uint32_t)c->alt_sig) % SIGS) * 64;
    acc += (uint64_t)sof_dedupe_check(c->d, 1000 + k / 1024, k % 1024, k % 1024 / 32 * 32, 1, 0x96, s, 1);
  }
  return acc;
}

static uint64_t
run_miss(void *p, uint64_t ops) {
  ctx_t *c = p;
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++, c->next++) {
    uint64_t k = c->next;
    uint32_t idx = (uint32_t)(k % c->per_slot);
    uint8_t const *s = c->sig + (size_t)(k % SIGS) * 64;
    acc += (uint64_t)sof_dedupe_check(c->d, 1000 + k / c->per_slot, idx, idx / 32 * 32, 1, 0x96, s, k);
  }
  return acc;
}

/* run_miss in rounds of 32, as sofd's rx role checks a round: every key of
 * the round is prefetched first (sof_dedupe_prefetch), then checked. */
static uint64_t
run_miss_round(void *p, uint64_t ops) {
  ctx_t *c = p;
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i += 32) {
    uint64_t n = ops - i < 32 ? ops - i : 32;
    for (uint64_t j = 0; j < n; j++) {
      uint64_t k = c->next + j;
      uint32_t idx = (uint32_t)(k % c->per_slot);
      sof_dedupe_prefetch(c->d, 1000 + k / c->per_slot, idx, idx / 32 * 32, 1, 0x96);
    }
    acc += run_miss(c, n);
  }
  return acc;
}

static void
hits(char const *name, ctx_t *c, uint32_t keys, uint32_t cap, int alt, uint64_t ops) {
  c->d = mk(cap, 0);
  c->keys = keys;
  c->alt_sig = 0;
  for (uint32_t k = 0; k < keys; k++) c->perm[k] = k;
  for (uint32_t k = keys - 1; k > 0; k--) {
    uint32_t j = (uint32_t)(rnd() % (k + 1)), t = c->perm[k];
    c->perm[k] = c->perm[j]; c->perm[j] = t;
  }
  run_hits(c, keys); /* insert every key */
  c->alt_sig = alt;
  sof_dedupe_stats_t before = *sof_dedupe_stats(c->d);
  sof_bench_report(name, run_hits, c, ops);
  sof_dedupe_stats_t const *st = sof_dedupe_stats(c->d);
  printf("    (inserted %u keys, evict capacity %llu; during the runs: new %llu dup %llu conflict %llu)\n",
         keys, (unsigned long long)before.evict_capacity,
         (unsigned long long)(st->result[SOF_DEDUPE_NEW] - before.result[SOF_DEDUPE_NEW]),
         (unsigned long long)(st->result[SOF_DEDUPE_DUPLICATE] - before.result[SOF_DEDUPE_DUPLICATE]),
         (unsigned long long)(st->result[SOF_DEDUPE_CONFLICT] - before.result[SOF_DEDUPE_CONFLICT]));
  sof_dedupe_delete(c->d);
}

static void
misses(char const *name, ctx_t *c, uint32_t cap, uint64_t window, uint32_t per_slot, uint64_t ops,
       int rounds) {
  c->d = mk(cap, window);
  c->next = 0;
  c->per_slot = per_slot;
  sof_bench_report(name, rounds ? run_miss_round : run_miss, c, ops);
  sof_dedupe_stats_t const *st = sof_dedupe_stats(c->d);
  uint64_t checks = 0;
  for (int k = 0; k < SOF_DEDUPE_RESULT_CNT; k++) checks += st->result[k];
  printf("    (new %llu of %llu; evict slot %llu capacity %llu; mean probe %.2f; occupied %llu/%u)\n",
         (unsigned long long)st->result[SOF_DEDUPE_NEW], (unsigned long long)checks,
         (unsigned long long)st->evict_slot, (unsigned long long)st->evict_capacity,
         (double)st->probes / (double)checks, (unsigned long long)st->occupied, cap);
  sof_dedupe_delete(c->d);
}

int
main(int argc, char **argv) {
  uint64_t ops = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
  if (!ops) ops = 2000000;
  if (argc > 2) probe_max = (uint32_t)strtoul(argv[2], NULL, 10);
  ctx_t c;
  memset(&c, 0, sizeof c);
  c.sig  = malloc((size_t)SIGS * 64);
  c.perm = malloc(sizeof(uint32_t) << 17);
  if (!c.sig || !c.perm) return 1;
  for (size_t i = 0; i < (size_t)SIGS * 64; i++) c.sig[i] = (uint8_t)rnd();

  printf("bench_dedupe: ns per sof_dedupe_check (probe_max %u, seeded 128-bit multiply hashes of key and signature)\n",
         probe_max);
  hits("hit: duplicate, 1k keys (in cache)", &c, 1U << 10, 1U << 12, 0, ops);
  hits("hit: duplicate, 128k keys, 2^18 table", &c, 1U << 17, 1U << 18, 0, ops);
  hits("hit: conflict, 128k keys, 2^18 table", &c, 1U << 17, 1U << 18, 1, ops);
  misses("miss: new key, slot window 64, 2^18 table", &c, 1U << 18, 64, 2000, ops, 0);
  misses("miss: slot window 64, rounds of 32 prefetched", &c, 1U << 18, 64, 2000, ops, 1);
  misses("miss: new key, capacity pressure, 2^16 table", &c, 1U << 16, 0, 2000, ops, 0);
  misses("miss: capacity pressure, rounds of 32 prefetched", &c, 1U << 16, 0, 2000, ops, 1);
  free(c.sig);
  free(c.perm);
  return 0;
}
