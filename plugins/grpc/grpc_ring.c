/* grpc_ring.c: the broadcast ring (grpc_ring.h). */
#include "grpc_ring.h"

#include <stdlib.h>
#include <string.h>

#define REC_ALIGN 8U
#define REC_HDR   ((uint32_t)sizeof(grpc_rec_t))

static inline uint32_t
rec_size(uint32_t payload) {
  return (REC_HDR + payload + REC_ALIGN - 1) & ~(REC_ALIGN - 1);
}

int
grpc_ring_init(grpc_ring_t *r, uint64_t cap) {
  memset(r, 0, sizeof *r);
  if (cap < (64U << 10) || (cap & (cap - 1))) return -1;
  r->buf = aligned_alloc(64, cap);
  if (!r->buf) return -1;
  memset(r->buf, 0, cap); /* touched now, not on the data path */
  r->cap = cap;
  return 0;
}

void
grpc_ring_fini(grpc_ring_t *r) {
  free(r->buf);
  r->buf = NULL;
}

/* Moves the tail past every record that overlaps [.., end - cap). */
static void
ring_make_room(grpc_ring_t *r, uint64_t end) {
  uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
  uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
  if (end <= tail + r->cap) return;
  while (tail < head && end > tail + r->cap) {
    grpc_rec_t const *h = (grpc_rec_t const *)(r->buf + (tail & (r->cap - 1)));
    tail += h->sz;
  }
  if (end > tail + r->cap) tail = end - r->cap; /* only when the ring was empty */
  atomic_store_explicit(&r->tail, tail, memory_order_relaxed);
  /* The new tail must be visible before any byte below it is rewritten. */
  atomic_thread_fence(memory_order_release);
}

uint8_t *
grpc_ring_reserve(grpc_ring_t *r, uint32_t payload_max) {
  if (payload_max > r->cap / 4) {
    r->too_big++;
    return NULL;
  }
  uint32_t need = rec_size(payload_max);
  uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
  uint64_t room = r->cap - (head & (r->cap - 1));
  if (room < need) { /* pad to the end of the buffer */
    ring_make_room(r, head + room);
    grpc_rec_t *pad = (grpc_rec_t *)(r->buf + (head & (r->cap - 1)));
    pad->sz = (uint32_t)room;
    pad->kind = GRPC_REC_PAD;
    head += room;
    atomic_store_explicit(&r->head, head, memory_order_release);
  }
  ring_make_room(r, head + need);
  return r->buf + (head & (r->cap - 1)) + REC_HDR;
}

uint64_t
grpc_ring_commit(grpc_ring_t *r, grpc_rec_t *hdr, uint32_t payload_sz) {
  uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
  uint64_t seq = atomic_load_explicit(&r->next_seq, memory_order_relaxed);
  hdr->sz = rec_size(payload_sz);
  hdr->seq = seq;
  hdr->payload_sz = payload_sz;
  memcpy(r->buf + (head & (r->cap - 1)), hdr, REC_HDR);
  atomic_store_explicit(&r->next_seq, seq + 1, memory_order_release);
  atomic_store_explicit(&r->head, head + hdr->sz, memory_order_release);
  return seq;
}

void
grpc_ring_cursor_now(grpc_ring_t *r, grpc_cursor_t *c) {
  /* The producer stores next_seq, then head: read head, then next_seq.
   * A record committed in between has seq < the seq read and sits at the
   * head read: grpc_ring_read skips it (seq below the cursor's). */
  c->pos = atomic_load_explicit(&r->head, memory_order_acquire);
  c->seq = atomic_load_explicit(&r->next_seq, memory_order_acquire);
  c->lost = 0;
}

int
grpc_ring_peek(grpc_ring_t *r, grpc_cursor_t *c, grpc_rec_t *hdr, uint8_t *out, size_t out_cap) {
  for (;;) {
    uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    if (c->pos >= head) return 0;
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (c->pos < tail) {
      c->pos = tail;
      continue;
    }
    memcpy(hdr, r->buf + (c->pos & (r->cap - 1)), REC_HDR);
    int copied = 0;
    if (hdr->kind != GRPC_REC_PAD && hdr->payload_sz <= out_cap && hdr->sz >= REC_HDR &&
        hdr->sz <= r->cap && hdr->payload_sz <= hdr->sz - REC_HDR) {
      memcpy(out, r->buf + (c->pos & (r->cap - 1)) + REC_HDR, hdr->payload_sz);
      copied = 1;
    }
    atomic_thread_fence(memory_order_acquire);
    tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (c->pos < tail) continue; /* overwritten while read: start at the tail */
    if (hdr->kind == GRPC_REC_PAD || hdr->seq < c->seq) { /* seen already: cursor_now */
      c->pos += hdr->sz;
      continue;
    }
    c->lost += hdr->seq - c->seq;
    c->seq = hdr->seq;
    return copied ? 1 : 2;
  }
}
