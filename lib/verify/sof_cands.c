/* sof_cands.c: see sof_cands.h. */
#include "verify/sof_cands.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  _Atomic uint64_t  seq;   /* odd while the writer fills it */
  _Atomic uint32_t  cnt;
  _Atomic int32_t   version;
  _Atomic uint64_t *w;     /* capacity x 4 words */
} buf_t;

struct sof_cands {
  _Atomic uint64_t gen;    /* publications; buffer gen & 1 is current */
  uint32_t         cap;
  buf_t            b[2];
};

sof_cands_t *
sof_cands_new(uint32_t capacity) {
  if (!capacity || capacity > (1U << 22)) return NULL;
  sof_cands_t *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->cap = capacity;
  for (int i = 0; i < 2; i++) {
    c->b[i].w = calloc((size_t)capacity * 4, sizeof *c->b[i].w);
    if (!c->b[i].w) {
      sof_cands_delete(c);
      return NULL;
    }
  }
  return c;
}

void
sof_cands_delete(sof_cands_t *c) {
  if (!c) return;
  free(c->b[0].w);
  free(c->b[1].w);
  free(c);
}

uint32_t
sof_cands_capacity(sof_cands_t const *c) {
  return c->cap;
}

uint32_t
sof_cands_publish(sof_cands_t *c, uint8_t const (*keys)[32], uint32_t cnt, int32_t shred_version) {
  if (cnt > c->cap) cnt = c->cap;
  uint64_t g = atomic_load_explicit(&c->gen, memory_order_relaxed);
  buf_t *b = &c->b[(g + 1) & 1];
  uint64_t s = atomic_load_explicit(&b->seq, memory_order_relaxed);
  atomic_store_explicit(&b->seq, s + 1, memory_order_relaxed);
  atomic_thread_fence(memory_order_release); /* the odd count before any key */
  for (uint32_t i = 0; i < cnt; i++)
    for (int k = 0; k < 4; k++) {
      uint64_t v;
      memcpy(&v, keys[i] + 8 * k, 8);
      atomic_store_explicit(&b->w[4 * i + (uint32_t)k], v, memory_order_relaxed);
    }
  atomic_store_explicit(&b->cnt, cnt, memory_order_relaxed);
  atomic_store_explicit(&b->version, shred_version, memory_order_relaxed);
  atomic_store_explicit(&b->seq, s + 2, memory_order_release);
  atomic_store_explicit(&c->gen, g + 1, memory_order_release);
  return cnt;
}

uint64_t
sof_cands_gen(sof_cands_t const *c) {
  return atomic_load_explicit(&c->gen, memory_order_acquire);
}

int
sof_cands_read(sof_cands_t const *c, uint8_t (*out)[32], uint32_t *cnt, int32_t *shred_version, uint64_t *gen) {
  uint64_t g = atomic_load_explicit(&c->gen, memory_order_acquire);
  buf_t const *b = &c->b[g & 1];
  uint64_t s1 = atomic_load_explicit(&b->seq, memory_order_acquire);
  if (s1 & 1) return -1;
  uint32_t n = atomic_load_explicit(&b->cnt, memory_order_relaxed);
  int32_t ver = g ? atomic_load_explicit(&b->version, memory_order_relaxed) : -1;
  if (n > c->cap) return -1;
  for (uint32_t i = 0; i < n; i++)
    for (int k = 0; k < 4; k++) {
      uint64_t v = atomic_load_explicit(&b->w[4 * i + (uint32_t)k], memory_order_relaxed);
      memcpy(out[i] + 8 * k, &v, 8);
    }
  atomic_thread_fence(memory_order_acquire); /* the copy before the second count */
  if (atomic_load_explicit(&b->seq, memory_order_relaxed) != s1) return -1;
  *cnt = n;
  *shred_version = ver;
  *gen = g;
  return 0;
}
