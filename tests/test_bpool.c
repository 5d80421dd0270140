/* sof_bpool: classes from the budget, smallest fitting class first, larger
 * class when a smaller one is empty, counted failures, reference counts
 * (the last release returns the block), releases from other threads while
 * the allocator runs, and nothing lost: every block comes back. */
#include "sof_test.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "util/sof_bpool.h"

static sof_bpool_t *
mk(uint64_t bytes, uint32_t lo, uint32_t hi) {
  sof_bpool_cfg_t c = {.bytes = bytes, .min_block = lo, .max_block = hi};
  char err[128];
  sof_bpool_t *p = sof_bpool_new(&c, err, sizeof err);
  SOF_CHECK(p != NULL);
  return p;
}

static void
test_classes(void) {
  /* 4K, 8K, 16K, 32K, 64K: 5 classes, 192 KiB each (a block carries a
   * 64-byte header) */
  sof_bpool_t *p = mk(5 * 192 * 1024, 4096, 65536);
  sof_bpool_stats_t st;
  sof_bpool_stats(p, &st);
  SOF_CHECK_EQ(st.classes, 5U);
  for (unsigned c = 0; c < 5; c++) {
    SOF_CHECK_EQ(st.class_sz[c], 4096U << c);
    SOF_CHECK_EQ(st.class_blocks[c], 196608U / ((4096U << c) + 64));
  }
  SOF_CHECK_EQ(st.class_blocks[4], 2U);

  /* smallest fitting class; 64-byte aligned; writable across the size */
  uint8_t *a = sof_bpool_alloc(p, 100);
  SOF_CHECK(a != NULL);
  SOF_CHECK_EQ((uintptr_t)a % 64, 0U);
  SOF_CHECK_EQ(sof_bpool_block_sz(a), 4096U);
  memset(a, 0xAB, 4096);
  uint8_t *b = sof_bpool_alloc(p, 4097);
  SOF_CHECK_EQ(sof_bpool_block_sz(b), 8192U);
  SOF_CHECK(sof_bpool_alloc(p, 65537) == NULL);
  sof_bpool_stats(p, &st);
  SOF_CHECK_EQ(st.too_large, 1U);
  SOF_CHECK_EQ(st.fails, 1U);
  SOF_CHECK_EQ(sof_bpool_in_use(p), 2U);

  /* the 64K class empties; then a request above 32K fails */
  void *big[2];
  for (int i = 0; i < 2; i++) big[i] = sof_bpool_alloc(p, 65536);
  SOF_CHECK(big[0] && big[1] && big[0] != big[1]);
  SOF_CHECK(sof_bpool_alloc(p, 40000) == NULL);
  sof_bpool_stats(p, &st);
  SOF_CHECK_EQ(st.fails, 2U);
  SOF_CHECK_EQ(st.too_large, 1U);

  /* empty the 4K class: small requests move up to 8K */
  unsigned n4 = st.class_blocks[0] - 1, got = 0;
  void *small[64];
  for (unsigned i = 0; i < n4; i++) small[got++] = sof_bpool_alloc(p, 10);
  uint8_t *c = sof_bpool_alloc(p, 10);
  SOF_CHECK(c != NULL);
  SOF_CHECK_EQ(sof_bpool_block_sz(c), 8192U);

  /* reference counts: two extra references, the third release frees */
  sof_bpool_retain(big[0]);
  sof_bpool_retain(big[0]);
  sof_bpool_release(big[0]);
  sof_bpool_release(big[0]);
  SOF_CHECK(sof_bpool_alloc(p, 65536) == NULL); /* still held */
  sof_bpool_release(big[0]);
  void *again = sof_bpool_alloc(p, 65536);
  SOF_CHECK(again == big[0]);

  sof_bpool_release(again);
  sof_bpool_release(big[1]);
  sof_bpool_release(a);
  sof_bpool_release(b);
  sof_bpool_release(c);
  for (unsigned i = 0; i < got; i++) sof_bpool_release(small[i]);
  SOF_CHECK_EQ(sof_bpool_in_use(p), 0U);
  sof_bpool_delete(p);

  /* bad configs */
  sof_bpool_cfg_t bad = {.bytes = 1 << 20, .min_block = 1000, .max_block = 4096};
  char err[128];
  SOF_CHECK(sof_bpool_new(&bad, err, sizeof err) == NULL);
  bad.min_block = 8192;
  SOF_CHECK(sof_bpool_new(&bad, err, sizeof err) == NULL);
}

/* Blocks passed to two threads that take and drop references and release
 * the block; the allocator keeps allocating what comes back. */
#define ROUNDS 20000U
typedef struct {
  void *_Atomic slot[64];
  unsigned id;
  uint64_t done;
} share_t;

static share_t share[2];

static void *
worker(void *arg) {
  share_t *s = arg;
  uint64_t n = 0;
  while (n < ROUNDS) {
    sched_yield(); /* three threads on what may be two cores */
    for (unsigned i = 0; i < 64 && n < ROUNDS; i++) {
      void *b = atomic_exchange(&s->slot[i], NULL);
      if (!b) continue;
      uint32_t *w = b;
      if (*w != (uint32_t)(uintptr_t)b) s->done |= 1ULL << 63; /* a block reused while held */
      sof_bpool_retain(b);
      sof_bpool_release(b);
      sof_bpool_release(b);
      n++;
    }
  }
  s->done |= n;
  return NULL;
}

static void
test_threads(void) {
  sof_bpool_t *p = mk(2 * 64 * (4096 + 64), 4096, 16384); /* 4K, 8K and 16K classes */
  sof_bpool_stats_t st;
  sof_bpool_stats(p, &st);
  pthread_t t[2];
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, worker, &share[i]);
  uint64_t handed[2] = {0, 0};
  while (handed[0] < ROUNDS || handed[1] < ROUNDS) {
    sched_yield();
    for (unsigned w = 0; w < 2; w++)
      for (unsigned i = 0; i < 64 && handed[w] < ROUNDS; i++) {
        if (atomic_load(&share[w].slot[i])) continue;
        void *b = sof_bpool_alloc(p, (handed[w] & 1) ? 5000 : 100);
        if (!b) continue;
        *(uint32_t *)b = (uint32_t)(uintptr_t)b;
        atomic_store(&share[w].slot[i], b);
        handed[w]++;
      }
  }
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  SOF_CHECK_EQ(share[0].done, (uint64_t)ROUNDS);
  SOF_CHECK_EQ(share[1].done, (uint64_t)ROUNDS);
  SOF_CHECK_EQ(sof_bpool_in_use(p), 0U);
  /* every block is back: the whole pool can be allocated again */
  unsigned total = st.class_blocks[0] + st.class_blocks[1] + st.class_blocks[2], got = 0;
  SOF_CHECK_EQ(st.classes, 3U);
  void *all[512];
  for (unsigned i = 0; i < total && i < 512; i++)
    if ((all[got] = sof_bpool_alloc(p, 10))) got++;
  SOF_CHECK_EQ(got, total);
  SOF_CHECK(sof_bpool_alloc(p, 10) == NULL);
  for (unsigned i = 0; i < got; i++) sof_bpool_release(all[i]);
  sof_bpool_delete(p);
}

int
main(void) {
  test_classes();
  test_threads();
  return sof_test_done("bpool");
}
