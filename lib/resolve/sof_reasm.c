#include "resolve/sof_reasm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sof_errbuf.h"
#include "state/sof_slotwin.h"
#include "wire/sof_entry.h"

#define NONE UINT32_MAX

typedef struct {
  uint64_t  slot;
  uint64_t  parent;
  uint8_t   used;
  uint32_t  last_idx;     /* index of the LAST_IN_SLOT shred, NONE until seen */
  uint32_t  emitted_cnt;  /* shreds emitted in batches */
  uint32_t  stored_cnt;   /* shreds holding a chunk (or empty) not yet emitted */
  uint32_t  lowest_idx;   /* lowest index seen */
  uint64_t  used_seq;     /* r->seq at its last shred (least recently used goes first) */
  uint64_t *have;         /* bitmaps over max_shreds_per_slot indices */
  uint64_t *dc;           /* DATA_COMPLETE */
  uint64_t *emitted;
  uint64_t *recovered;
  uint32_t *chunk;        /* index -> chunk id (NONE for empty data) */
  uint16_t *len;          /* index -> data bytes */
} slot_t;

typedef struct {
  uint8_t const *data;
  void          *ref;
} held_t;

struct sof_reasm {
  sof_reasm_cfg_t   cfg;
  sof_shred_refs_t  refs;        /* by reference when refs.retain is set */
  uint32_t          words;       /* u64 words per bitmap */
  slot_t           *slots;
  uint8_t          *pool;        /* copies: chunks * SOF_REASM_CHUNK_SZ */
  held_t           *held;        /* references: chunks entries */
  uint32_t         *free_chunks;
  uint32_t          free_cnt;
  uint8_t          *batch_buf;   /* batch_max_bytes */
  sof_reasm_sink_fn sink;        /* NULL: batches go to batch_buf */
  void             *sink_ctx;
  void             *mem;         /* per-slot arrays, one allocation */
  sof_slotwin_t const *win;      /* the tip eviction protects around; NULL: none */
  uint64_t          seq;         /* shreds added (used_seq clock) */
  sof_reasm_stats_t stats;
};

void
sof_reasm_cfg_default(sof_reasm_cfg_t *cfg) {
  cfg->slots_max = 32;
  cfg->chunks = 16384;
  cfg->max_shreds_per_slot = (uint32_t)SOF_SHRED_DATA_PER_SLOT_MAX;
  cfg->batch_max_bytes = 8U << 20;
  cfg->join_mid_slot = 1;
  cfg->refs = NULL;
}

sof_reasm_t *
sof_reasm_new(sof_reasm_cfg_t const *cfg, char *err, size_t err_sz) {
  if (!cfg->slots_max || cfg->slots_max > 4096 || !cfg->chunks || cfg->chunks > (1U << 24) ||
      !cfg->max_shreds_per_slot || cfg->max_shreds_per_slot > SOF_SHRED_DATA_PER_SLOT_MAX ||
      cfg->batch_max_bytes < SOF_REASM_CHUNK_SZ) {
    sof_errbuf_set(err, err_sz, "reasm: need 1 <= slots_max <= 4096, 1 <= chunks <= %u, "
                        "1 <= max_shreds_per_slot <= %lu, batch_max_bytes >= %u",
           1U << 24, SOF_SHRED_DATA_PER_SLOT_MAX, SOF_REASM_CHUNK_SZ);
    return NULL;
  }
  sof_reasm_t *r = calloc(1, sizeof *r);
  if (!r) goto oom;
  r->cfg = *cfg;
  if (cfg->refs) {
    if (!cfg->refs->retain || !cfg->refs->release) {
      free(r);
      sof_errbuf_set(err, err_sz, "reasm: refs need retain and release");
      return NULL;
    }
    r->refs = *cfg->refs;
  }
  r->cfg.refs = NULL; /* copied above: the caller's struct need not outlive us */
  r->words = (cfg->max_shreds_per_slot + 63) / 64;
  size_t per_slot = 4 * (size_t)r->words * 8 + (size_t)cfg->max_shreds_per_slot * (4 + 2);
  r->slots = calloc(cfg->slots_max, sizeof *r->slots);
  r->mem = calloc(cfg->slots_max, per_slot);
  if (r->refs.retain) r->held = calloc(cfg->chunks, sizeof *r->held);
  else                r->pool = malloc((size_t)cfg->chunks * SOF_REASM_CHUNK_SZ);
  r->free_chunks = malloc((size_t)cfg->chunks * sizeof *r->free_chunks);
  r->batch_buf = malloc(cfg->batch_max_bytes);
  if (!r->slots || !r->mem || (!r->pool && !r->held) || !r->free_chunks || !r->batch_buf) goto oom;
  for (uint32_t i = 0; i < cfg->slots_max; i++) {
    uint8_t *m = (uint8_t *)r->mem + i * per_slot;
    slot_t *s = &r->slots[i];
    s->have = (uint64_t *)m;
    s->dc = s->have + r->words;
    s->emitted = s->dc + r->words;
    s->recovered = s->emitted + r->words;
    s->chunk = (uint32_t *)(s->recovered + r->words);
    s->len = (uint16_t *)(s->chunk + cfg->max_shreds_per_slot);
  }
  for (uint32_t i = 0; i < cfg->chunks; i++) r->free_chunks[i] = cfg->chunks - 1 - i;
  r->free_cnt = cfg->chunks;
  return r;
oom:
  sof_reasm_delete(r);
  sof_errbuf_set(err, err_sz, "reasm: out of memory");
  return NULL;
}

static void slot_clear(sof_reasm_t *r, slot_t *s);

void
sof_reasm_delete(sof_reasm_t *r) {
  if (!r) return;
  if (r->slots && r->mem)
    for (uint32_t i = 0; i < r->cfg.slots_max; i++) slot_clear(r, &r->slots[i]); /* drops held references */
  free(r->slots);
  free(r->mem);
  free(r->pool);
  free(r->held);
  free(r->free_chunks);
  free(r->batch_buf);
  free(r);
}

sof_reasm_stats_t const *sof_reasm_stats(sof_reasm_t const *r) { return &r->stats; }

char const *
sof_reasm_result_str(int result) {
  switch (result) {
#define SOF_REASM_CASE_(name, val, str) case SOF_REASM_##name: return str;
  SOF_REASM_RESULT_LIST(SOF_REASM_CASE_)
#undef SOF_REASM_CASE_
  default: return "unknown";
  }
}

static inline int bit(uint64_t const *b, uint32_t i) { return (int)((b[i >> 6] >> (i & 63)) & 1U); }
static inline void bset(uint64_t *b, uint32_t i) { b[i >> 6] |= 1ULL << (i & 63); }

/* The bytes held in chunk c. */
static inline uint8_t const *
chunk_data(sof_reasm_t const *r, uint32_t c) {
  return r->held ? r->held[c].data : r->pool + (size_t)c * SOF_REASM_CHUNK_SZ;
}

/* Chunk c back to the pool (its reference dropped). */
static inline void
chunk_put(sof_reasm_t *r, uint32_t c) {
  if (r->held) {
    r->refs.release(r->refs.ctx, r->held[c].ref);
    r->held[c].ref = NULL;
  }
  r->free_chunks[r->free_cnt++] = c;
}

/* Drops a tracked slot: its stored chunks go back to the pool. */
static void
slot_clear(sof_reasm_t *r, slot_t *s) {
  if (s->used && s->stored_cnt) {
    for (uint32_t w = 0; w < r->words; w++) {
      uint64_t pending = s->have[w] & ~s->emitted[w];
      while (pending) {
        uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(pending);
        pending &= pending - 1;
        if (s->chunk[i] != NONE) chunk_put(r, s->chunk[i]);
        r->stats.shreds_evicted++;
      }
    }
  }
  s->used = 0;
  s->stored_cnt = 0;
}

static void
slot_init(sof_reasm_t *r, slot_t *s, uint64_t slot, uint64_t parent) {
  size_t bm = (size_t)r->words * 8;
  memset(s->have, 0, bm);
  memset(s->dc, 0, bm);
  memset(s->emitted, 0, bm);
  memset(s->recovered, 0, bm);
  s->used = 1;
  s->slot = slot;
  s->parent = parent;
  s->last_idx = NONE;
  s->emitted_cnt = 0;
  s->stored_cnt = 0;
  s->lowest_idx = NONE;
}

/* Whether slot is current for the attached window (never without one). */
static inline int
is_current(sof_reasm_t const *r, uint64_t slot) {
  return sof_slotwin_current(r->win, slot);
}

/* The tracked slot to drop so that `slot` (tracked as `cur`, or not yet:
 * NULL) gets room; need_chunks: only slots holding chunks count. Without a
 * window: the oldest slot older than `slot`. With one: a slot that is not
 * current and holds nothing (its batches all out: dropping it loses no
 * data), the oldest first; else the least recently used slot that is not
 * current; else, for a current `slot`, the oldest current slot older than
 * it. NULL when none may go. */
static slot_t *
victim_of(sof_reasm_t *r, uint64_t slot, slot_t const *cur, int need_chunks) {
  slot_t *oldest = NULL, *lru = NULL, *idle = NULL;
  for (uint32_t i = 0; i < r->cfg.slots_max; i++) {
    slot_t *s = &r->slots[i];
    if (!s->used || s == cur || (need_chunks && !s->stored_cnt)) continue;
    if (r->win && !is_current(r, s->slot)) {
      if (!s->stored_cnt) {
        if (!idle || s->slot < idle->slot) idle = s;
      } else if (!lru || s->used_seq < lru->used_seq) {
        lru = s;
      }
    } else if (!oldest || s->slot < oldest->slot) {
      oldest = s;
    }
  }
  if (idle) return idle;
  if (lru) return lru;
  if (oldest && oldest->slot < slot && (!r->win || is_current(r, slot))) return oldest;
  if (r->win && oldest) r->stats.refused_current++;
  return NULL;
}

/* The tracked state of slot, claiming (and evicting per victim_of) as
 * needed. NULL when no tracked slot may give way and none is free. */
static slot_t *
slot_get(sof_reasm_t *r, uint64_t slot, uint64_t parent) {
  slot_t *free_s = NULL;
  for (uint32_t i = 0; i < r->cfg.slots_max; i++) {
    slot_t *s = &r->slots[i];
    if (!s->used) { if (!free_s) free_s = s; continue; }
    if (s->slot == slot) return s;
  }
  if (!free_s) {
    slot_t *v = victim_of(r, slot, NULL, 0);
    if (!v) return NULL;
    r->stats.slots_evicted++;
    slot_clear(r, v);
    free_s = v;
  }
  slot_init(r, free_s, slot, parent);
  return free_s;
}

/* A free chunk, evicting slots (victim_of) while the pool is empty. NONE
 * when no slot holding chunks may give way. */
static uint32_t
chunk_get(sof_reasm_t *r, slot_t *cur) {
  while (!r->free_cnt) {
    slot_t *v = victim_of(r, cur->slot, cur, 1);
    if (!v) return NONE;
    r->stats.slots_evicted++;
    slot_clear(r, v);
  }
  return r->free_chunks[--r->free_cnt];
}

void
sof_reasm_set_window(sof_reasm_t *r, sof_slotwin_t const *win) {
  r->win = win;
}

/* Emits [start, end] when every shred in it is present; returns -1 when it
 * was too large (dropped), 1 emitted, 0 not complete. */
static int
try_emit(sof_reasm_t *r, slot_t *s, uint32_t start, sof_reasm_emit_fn emit, void *ctx) {
  if (start >= r->cfg.max_shreds_per_slot || bit(s->emitted, start)) return 0;
  int speculative = 0;
  if (start && !(bit(s->have, start - 1) && bit(s->dc, start - 1))) {
    /* Joined mid-slot: nothing below start was ever seen, so where the
     * batch starts is unknown. Accept the range only if its bytes are a
     * whole, exact entry batch (checked below). */
    if (!r->cfg.join_mid_slot || s->lowest_idx < start) return 0;
    speculative = 1;
  }
  uint32_t end = start;
  size_t bytes = 0;
  uint32_t rec = 0;
  for (;; end++) {
    if (end >= r->cfg.max_shreds_per_slot || !bit(s->have, end)) return 0;
    /* a range running into a batch already out (emitted by the mid-slot
     * rule before the shreds below it came) cannot be a batch: it stays
     * until its slot is evicted (counted shreds_evicted) */
    if (end > start && bit(s->emitted, end)) return 0;
    bytes += s->len[end];
    rec += (uint32_t)bit(s->recovered, end);
    if (bit(s->dc, end)) break;
  }
  int too_large = bytes > r->cfg.batch_max_bytes;
  if (speculative) {
    if (too_large) return 0;
    size_t o = 0;
    for (uint32_t i = start; i <= end; i++) {
      if (s->chunk[i] != NONE) memcpy(r->batch_buf + o, chunk_data(r, s->chunk[i]), s->len[i]);
      o += s->len[i];
    }
    sof_entry_batch_t eb;
    if (sof_entry_batch_parse(&eb, r->batch_buf, bytes)) return 0;
    r->stats.joined_mid_slot++;
  }
  uint8_t *dst = r->batch_buf;
  if (!too_large && r->sink) {
    dst = r->sink(r->sink_ctx, bytes);
    if (!dst) too_large = 2; /* no room: dropped like a batch too large, counted apart */
    else if (speculative) memcpy(dst, r->batch_buf, bytes); /* already assembled for the check */
  }
  size_t off = 0;
  for (uint32_t i = start; i <= end; i++) {
    if (s->chunk[i] != NONE) {
      if (!too_large && !(speculative && dst != r->batch_buf))
        memcpy(dst + off, chunk_data(r, s->chunk[i]), s->len[i]);
      chunk_put(r, s->chunk[i]);
      s->chunk[i] = NONE;
    }
    off += s->len[i];
    bset(s->emitted, i);
  }
  uint32_t cnt = end - start + 1;
  s->emitted_cnt += cnt;
  s->stored_cnt -= cnt;
  if (too_large == 2) {
    r->stats.sink_full++;
    return 0;
  }
  if (too_large) return -1;
  sof_reasm_batch_t b = {
    .slot = s->slot, .parent = s->parent, .start_idx = start, .end_idx = end, .shred_cnt = cnt,
    .recovered_cnt = rec, .last_in_slot = end == s->last_idx,
    .slot_complete = s->last_idx != NONE && s->emitted_cnt == s->last_idx + 1,
    .payload_sz = (uint32_t)bytes, .payload = dst,
  };
  r->stats.batches++;
  r->stats.batch_bytes += bytes;
  if (b.slot_complete) r->stats.slots_complete++;
  emit(ctx, &b);
  return 1;
}

static int
done(sof_reasm_t *r, int result) {
  r->stats.result[result]++;
  return result;
}

int
sof_reasm_add(sof_reasm_t *r, uint64_t slot, uint64_t parent, uint32_t idx, uint8_t flags, void const *data,
              uint32_t data_sz, int recovered, sof_reasm_emit_fn emit, void *ctx) {
  return sof_reasm_add_ref(r, slot, parent, idx, flags, data, data_sz, recovered, NULL, emit, ctx);
}

int
sof_reasm_add_ref(sof_reasm_t *r, uint64_t slot, uint64_t parent, uint32_t idx, uint8_t flags,
                  void const *data, uint32_t data_sz, int recovered, void *ref, sof_reasm_emit_fn emit,
                  void *ctx) {
  if (idx >= r->cfg.max_shreds_per_slot || data_sz > SOF_REASM_CHUNK_SZ) return done(r, SOF_REASM_BAD_INDEX);
  if (r->held && data_sz && !ref) return done(r, SOF_REASM_NO_SPACE); /* nothing to hold it by */
  slot_t *s = slot_get(r, slot, parent);
  if (!s) return done(r, SOF_REASM_OLD_SLOT);
  s->used_seq = ++r->seq;
  if (bit(s->have, idx)) return done(r, SOF_REASM_DUP);
  int last = (flags & SOF_SHRED_FLAG_LAST_IN_SLOT) == SOF_SHRED_FLAG_LAST_IN_SLOT;
  if (s->last_idx != NONE && (idx > s->last_idx || last)) return done(r, SOF_REASM_CONFLICT);
  if (last) {
    /* nothing may have been stored past the end of the slot */
    for (uint32_t w = (idx + 1) >> 6; w < r->words; w++) {
      uint64_t past = s->have[w];
      if (w == (idx + 1) >> 6) past &= ~0ULL << ((idx + 1) & 63);
      if (past) return done(r, SOF_REASM_CONFLICT);
    }
  }
  uint32_t c = NONE;
  if (data_sz) {
    c = chunk_get(r, s);
    if (c == NONE) return done(r, SOF_REASM_NO_SPACE);
    if (r->held) {
      r->refs.retain(r->refs.ctx, ref);
      r->held[c] = (held_t){.data = data, .ref = ref};
    } else {
      memcpy(r->pool + (size_t)c * SOF_REASM_CHUNK_SZ, data, data_sz);
    }
  }
  s->chunk[idx] = c;
  s->len[idx] = (uint16_t)data_sz;
  bset(s->have, idx);
  if (flags & SOF_SHRED_FLAG_DATA_COMPLETE) bset(s->dc, idx);
  if (recovered) bset(s->recovered, idx);
  if (last) s->last_idx = idx;
  if (idx < s->lowest_idx) s->lowest_idx = idx;
  s->stored_cnt++;

  /* The batch holding idx starts after the nearest DATA_COMPLETE below it. */
  uint32_t start = idx;
  while (start && bit(s->have, start - 1) && !bit(s->dc, start - 1)) start--;
  int result = SOF_REASM_NEW;
  if (try_emit(r, s, start, emit, ctx) < 0) result = SOF_REASM_TOO_LARGE;
  /* A DATA_COMPLETE here reveals where the next batch starts. */
  if ((flags & SOF_SHRED_FLAG_DATA_COMPLETE) && idx + 1 < r->cfg.max_shreds_per_slot && bit(s->have, idx + 1))
    if (try_emit(r, s, idx + 1, emit, ctx) < 0) result = SOF_REASM_TOO_LARGE;
  return done(r, result);
}

int
sof_reasm_add_shred(sof_reasm_t *r, void const *payload, sof_shred_t const *s, int recovered, void *ref,
                    sof_reasm_emit_fn emit, void *ctx) {
  return sof_reasm_add_ref(r, s->slot, sof_shred_parent(s), s->idx, s->flags,
                           (uint8_t const *)payload + s->data_off, s->data_sz, recovered, ref, emit, ctx);
}

void
sof_reasm_reset(sof_reasm_t *r) {
  for (uint32_t i = 0; i < r->cfg.slots_max; i++) slot_clear(r, &r->slots[i]);
  memset(&r->stats, 0, sizeof r->stats);
}

int
sof_reasm_peek(sof_reasm_t const *r, uint64_t slot, uint32_t idx, uint8_t const **data,
               uint32_t *data_sz, uint8_t *flags) {
  if (idx >= r->cfg.max_shreds_per_slot) return SOF_REASM_PEEK_ABSENT;
  for (uint32_t i = 0; i < r->cfg.slots_max; i++) {
    slot_t const *s = &r->slots[i];
    if (!s->used || s->slot != slot) continue;
    if (!bit(s->have, idx)) return SOF_REASM_PEEK_ABSENT;
    if (bit(s->emitted, idx)) return SOF_REASM_PEEK_EMITTED;
    *data = s->chunk[idx] == NONE ? NULL : chunk_data(r, s->chunk[idx]);
    *data_sz = s->len[idx];
    *flags = (uint8_t)((bit(s->dc, idx) ? SOF_SHRED_FLAG_DATA_COMPLETE : 0) |
                       (s->last_idx == idx ? SOF_SHRED_FLAG_LAST_IN_SLOT : 0));
    return SOF_REASM_PEEK_STORED;
  }
  return SOF_REASM_PEEK_ABSENT;
}

void
sof_reasm_set_sink(sof_reasm_t *r, sof_reasm_sink_fn fn, void *ctx) {
  r->sink = fn;
  r->sink_ctx = ctx;
}
