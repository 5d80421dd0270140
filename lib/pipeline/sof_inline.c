/* sof_inline.c: see sof_inline.h. */
#include "pipeline/sof_inline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/sof_shred.h"

/* Unparsed bytes held per slot: after each drain at most one incomplete
 * transaction (< SOF_TXN_MTU) or entry header remains, plus one appended
 * shred (<= SOF_REASM_CHUNK_SZ). */
#define BUF_SZ 4096U
#define ENTRY_HDR_SZ 48U /* num_hashes u64, hash [32], transaction count u64 */
#define NONE_SLOT UINT64_MAX

typedef struct slot_state {
  uint64_t slot;
  uint32_t next_idx;     /* next shred index to read */
  uint32_t batch_start;  /* first index of the current batch */
  uint32_t txn_idx;      /* transactions of the current batch delivered */
  uint32_t entry_idx;    /* index of the current entry */
  uint64_t entries_left; /* entries not yet started */
  uint64_t txns_left;    /* transactions of the current entry not yet read */
  uint8_t  have_count;   /* the batch's entry count was read */
  uint8_t  in_entry;     /* an entry header was read, its transactions pending */
  uint8_t  stopped;      /* the prefix stopped parsing (or the batch was entered mid-way) */
  uint32_t fed;          /* batch bytes appended to buf so far: the offset in the batch's payload */
  uint32_t len;
  uint8_t  buf[BUF_SZ];
} slot_state_t;

struct sof_inline {
  uint32_t           mask;
  slot_state_t      *st;
  sof_inline_stats_t stats;
};

sof_inline_t *
sof_inline_new(uint32_t slots, char *err, size_t err_sz) {
  if (!slots || (slots & (slots - 1)) || slots > (1U << 16)) {
    snprintf(err, err_sz, "inline: slots %u is not a power of two in [1, 65536]", slots);
    return NULL;
  }
  sof_inline_t *w = calloc(1, sizeof *w);
  if (w) w->st = calloc(slots, sizeof *w->st);
  if (!w || !w->st) {
    free(w);
    snprintf(err, err_sz, "inline: out of memory");
    return NULL;
  }
  w->mask = slots - 1;
  for (uint32_t i = 0; i < slots; i++) w->st[i].slot = NONE_SLOT;
  return w;
}

void
sof_inline_delete(sof_inline_t *w) {
  if (!w) return;
  free(w->st);
  free(w);
}

sof_inline_stats_t const *
sof_inline_stats(sof_inline_t const *w) {
  return &w->stats;
}

static void
batch_reset(slot_state_t *s, uint32_t start) {
  s->next_idx = start;
  s->batch_start = start;
  s->txn_idx = 0;
  s->entry_idx = 0;
  s->entries_left = 0;
  s->txns_left = 0;
  s->have_count = 0;
  s->in_entry = 0;
  s->stopped = 0;
  s->fed = 0;
  s->len = 0;
}

static slot_state_t *
state_for(sof_inline_t *w, uint64_t slot) {
  slot_state_t *s = &w->st[slot & w->mask];
  if (s->slot != slot) {
    if (s->slot != NONE_SLOT) w->stats.slots_replaced++;
    s->slot = slot;
    batch_reset(s, 0);
  }
  return s;
}

static inline uint64_t
ld64(uint8_t const *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

static void
consume(slot_state_t *s, uint32_t n) {
  s->len -= n;
  if (s->len) memmove(s->buf, s->buf + n, s->len);
}

/* Parses what the buffer holds; returns transactions delivered. */
static uint32_t
drain(sof_inline_t *w, slot_state_t *s, sof_inline_fn fn, void *ctx) {
  uint32_t n = 0;
  while (!s->stopped) {
    if (!s->have_count) {
      if (s->len < 8) break;
      s->entries_left = ld64(s->buf);
      consume(s, 8);
      s->have_count = 1;
      /* plausibility as the batch parser: an entry takes >= 48 bytes and a
       * batch is at most a slot's data */
      if (!s->entries_left || s->entries_left > (uint64_t)SOF_SHRED_DATA_PER_SLOT_MAX * SOF_REASM_CHUNK_SZ / ENTRY_HDR_SZ)
        s->stopped = 1; /* empty batch, marker or junk: nothing to deliver early */
      continue;
    }
    if (!s->in_entry) {
      if (!s->entries_left || s->len < ENTRY_HDR_SZ) {
        if (!s->entries_left) s->stopped = 1; /* the rest is padding */
        break;
      }
      s->txns_left = ld64(s->buf + 40);
      consume(s, ENTRY_HDR_SZ);
      s->entries_left--;
      s->in_entry = 1;
      if (s->txns_left > (uint64_t)SOF_SHRED_DATA_PER_SLOT_MAX * SOF_REASM_CHUNK_SZ / SOF_TXN_MIN_SZ) {
        s->stopped = 1;
        w->stats.parse_stopped++;
        break;
      }
    }
    if (!s->txns_left) { /* tick entry, or the entry's transactions are done */
      s->in_entry = 0;
      s->entry_idx++;
      continue;
    }
    sof_txn_t t;
    size_t used = 0;
    int rc = sof_txn_parse(&t, s->buf, s->len, &used);
    if (rc == SOF_TXN_ERR_TRUNCATED && s->len < SOF_TXN_MTU) break; /* wait for the next shred */
    if (rc != SOF_TXN_OK) {
      s->stopped = 1;
      w->stats.parse_stopped++;
      break;
    }
    sof_inline_txn_t ev = {
      .slot = s->slot, .batch_start = s->batch_start, .idx_in_batch = s->txn_idx,
      .entry_idx = s->entry_idx, .bytes = s->buf, .sz = (uint32_t)used, .t = &t,
    };
    fn(ctx, &ev);
    n++;
    s->txn_idx++;
    consume(s, (uint32_t)used);
    s->txns_left--;
  }
  return n;
}

uint32_t
sof_inline_advance(sof_inline_t *w, sof_reasm_t const *r, uint64_t slot, sof_inline_fn fn, void *ctx) {
  slot_state_t *s = state_for(w, slot);
  uint32_t n = 0;
  for (;;) {
    uint8_t const *data;
    uint32_t sz;
    uint8_t flags;
    int pk = sof_reasm_peek(r, slot, s->next_idx, &data, &sz, &flags);
    if (pk == SOF_REASM_PEEK_ABSENT) break;
    if (pk == SOF_REASM_PEEK_EMITTED) {
      /* a later batch that completed before the one the cursor was in:
       * whole batches are emitted, so the first index after the emitted
       * run starts a batch */
      uint32_t i = s->next_idx;
      while (sof_reasm_peek(r, slot, i, &data, &sz, &flags) == SOF_REASM_PEEK_EMITTED) i++;
      batch_reset(s, i);
      continue;
    }
    s->next_idx++;
    w->stats.shreds_walked++;
    if (!s->stopped && sz) {
      memcpy(s->buf + s->len, data, sz);
      s->len += sz;
      s->fed += sz;
      uint32_t got = drain(w, s, fn, ctx);
      n += got;
      w->stats.txns += got;
    }
    if (flags & SOF_SHRED_FLAG_DATA_COMPLETE) {
      w->stats.batches_walked++;
      batch_reset(s, s->next_idx);
    }
  }
  return n;
}

uint32_t
sof_inline_batch_finish(sof_inline_t *w, uint64_t slot, uint32_t start_idx, uint8_t const *payload,
                        uint32_t payload_sz, sof_inline_fn fn, void *ctx) {
  slot_state_t *s = &w->st[slot & w->mask];
  if (s->slot != slot || s->batch_start != start_idx || s->stopped || s->fed > payload_sz) return 0;
  uint32_t n = 0;
  while (s->fed < payload_sz && !s->stopped) {
    /* a shred's worth at a time: drain leaves less than a transaction */
    uint32_t take = payload_sz - s->fed;
    if (take > SOF_REASM_CHUNK_SZ) take = SOF_REASM_CHUNK_SZ;
    if (take > BUF_SZ - s->len) take = BUF_SZ - s->len;
    if (!take) break;
    memcpy(s->buf + s->len, payload + s->fed, take);
    s->len += take;
    s->fed += take;
    n += drain(w, s, fn, ctx);
  }
  w->stats.txns += n;
  w->stats.finished += n;
  return n;
}

uint32_t
sof_inline_batch_done(sof_inline_t *w, uint64_t slot, uint32_t start_idx, uint32_t end_idx) {
  slot_state_t *s = &w->st[slot & w->mask];
  if (s->slot != slot) {
    (void)state_for(w, slot);
    batch_reset(s, end_idx + 1);
    return 0;
  }
  if (start_idx != s->batch_start) return 0; /* a later batch: the cursor never got there */
  uint32_t done = s->txn_idx;
  batch_reset(s, end_idx + 1);
  return done;
}
