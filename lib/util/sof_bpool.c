/* sof_bpool.c: see sof_bpool.h. */
#include "util/sof_bpool.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/sof_errbuf.h"

#define HDR_SZ 64U

typedef struct blk_hdr {
  struct sof_bpool *pool;
  struct blk_hdr   *next;      /* on a free list */
  uint32_t          cls;
  _Atomic uint32_t  refs;
} blk_hdr_t;

_Static_assert(sizeof(blk_hdr_t) <= HDR_SZ, "block header fits its 64 bytes");

typedef struct cls {
  uint32_t              sz;       /* usable bytes */
  uint32_t              blocks;
  uint8_t              *mem;      /* blocks * (HDR_SZ + sz) */
  blk_hdr_t            *local;    /* allocator's private free list */
  _Atomic(blk_hdr_t *)  returned; /* pushed by releasers */
} cls_t;

struct sof_bpool {
  uint32_t         ncls;
  cls_t            cls[SOF_BPOOL_CLASSES_MAX];
  uint64_t         allocs, fails, too_large;  /* allocator */
  _Atomic uint64_t released;                  /* releasers */
};

void
sof_bpool_cfg_default(sof_bpool_cfg_t *cfg) {
  cfg->bytes = 64ULL << 20;
  cfg->min_block = 4096;
  cfg->max_block = 8U << 20;
}

sof_bpool_t *
sof_bpool_new(sof_bpool_cfg_t const *cfg, char *err, size_t err_sz) {
  uint32_t lo = cfg->min_block, hi = cfg->max_block;
  if (lo < 64 || (lo & (lo - 1)) || hi < lo || hi > (1U << 30)) {
    sof_errbuf_set(err, err_sz, "bpool: need min_block a power of two >= 64 and min_block <= max_block <= 1 GiB");
    return NULL;
  }
  uint32_t n = 1;
  for (uint64_t s = lo; s < hi; s *= 2) n++;
  if (n > SOF_BPOOL_CLASSES_MAX) {
    sof_errbuf_set(err, err_sz, "bpool: min_block..max_block spans more than %u classes", SOF_BPOOL_CLASSES_MAX);
    return NULL;
  }
  sof_bpool_t *p = calloc(1, sizeof *p);
  if (!p) goto oom;
  p->ncls = n;
  uint64_t share = cfg->bytes / n;
  for (uint32_t c = 0; c < n; c++) {
    cls_t *k = &p->cls[c];
    uint64_t sz = (uint64_t)lo << c;
    if (sz > hi || c == n - 1) sz = hi; /* the last class is max_block itself */
    k->sz = (uint32_t)sz;
    uint64_t stride = HDR_SZ + sz;
    uint64_t cnt = share / stride;
    if (!cnt) cnt = 1;
    if (cnt > UINT32_MAX) cnt = UINT32_MAX;
    k->blocks = (uint32_t)cnt;
    k->mem = aligned_alloc(64, cnt * stride);
    if (!k->mem) goto oom;
    for (uint64_t i = cnt; i-- > 0;) {
      blk_hdr_t *h = (blk_hdr_t *)(k->mem + i * stride);
      h->pool = p;
      h->cls = c;
      atomic_init(&h->refs, 0);
      h->next = k->local;
      k->local = h;
    }
    atomic_init(&k->returned, NULL);
  }
  atomic_init(&p->released, 0);
  return p;
oom:
  sof_bpool_delete(p);
  sof_errbuf_set(err, err_sz, "bpool: cannot allocate %llu bytes of blocks", (unsigned long long)cfg->bytes);
  return NULL;
}

void
sof_bpool_delete(sof_bpool_t *p) {
  if (!p) return;
  for (uint32_t c = 0; c < SOF_BPOOL_CLASSES_MAX; c++) free(p->cls[c].mem);
  free(p);
}

void *
sof_bpool_alloc(sof_bpool_t *p, size_t sz) {
  for (uint32_t c = 0; c < p->ncls; c++) {
    cls_t *k = &p->cls[c];
    if (k->sz < sz) continue;
    if (!k->local) k->local = atomic_exchange_explicit(&k->returned, NULL, memory_order_acquire);
    blk_hdr_t *h = k->local;
    if (!h) continue; /* a larger class may have one */
    k->local = h->next;
    atomic_store_explicit(&h->refs, 1, memory_order_relaxed);
    p->allocs++;
    return (uint8_t *)h + HDR_SZ;
  }
  p->fails++;
  if (p->ncls && sz > p->cls[p->ncls - 1].sz) p->too_large++;
  return NULL;
}

static inline blk_hdr_t *
hdr_of(void const *blk) {
  return (blk_hdr_t *)((uint8_t *)(uintptr_t)blk - HDR_SZ);
}

void
sof_bpool_retain(void *blk) {
  atomic_fetch_add_explicit(&hdr_of(blk)->refs, 1, memory_order_relaxed);
}

void
sof_bpool_release(void *blk) {
  blk_hdr_t *h = hdr_of(blk);
  /* release: every write to the block happens before its reuse */
  if (atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel) != 1) return;
  sof_bpool_t *p = h->pool;
  cls_t *k = &p->cls[h->cls];
  blk_hdr_t *head = atomic_load_explicit(&k->returned, memory_order_relaxed);
  do {
    h->next = head;
  } while (!atomic_compare_exchange_weak_explicit(&k->returned, &head, h, memory_order_release,
                                                  memory_order_relaxed));
  atomic_fetch_add_explicit(&p->released, 1, memory_order_relaxed);
}

size_t
sof_bpool_block_sz(void const *blk) {
  blk_hdr_t const *h = hdr_of(blk);
  return h->pool->cls[h->cls].sz;
}

void
sof_bpool_stats(sof_bpool_t const *p, sof_bpool_stats_t *out) {
  memset(out, 0, sizeof *out);
  out->classes = p->ncls;
  for (uint32_t c = 0; c < p->ncls; c++) {
    out->class_sz[c] = p->cls[c].sz;
    out->class_blocks[c] = p->cls[c].blocks;
  }
  out->allocs = p->allocs;
  out->fails = p->fails;
  out->too_large = p->too_large;
  out->released = atomic_load_explicit(&p->released, memory_order_relaxed);
}

uint64_t
sof_bpool_in_use(sof_bpool_t const *p) {
  return p->allocs - atomic_load_explicit(&p->released, memory_order_relaxed);
}
