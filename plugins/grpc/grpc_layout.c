/* grpc_layout.c: per-slot dataset layout (grpc_layout.h). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "grpc_layout.h"

grpc_layout_t *
grpc_layout_new(void) {
  grpc_layout_t *l = calloc(1, sizeof *l);
  if (!l) return NULL;
  for (unsigned i = 0; i < GRPC_LAYOUT_SLOTS; i++) l->slots[i].slot = UINT64_MAX;
  return l;
}

void
grpc_layout_free(grpc_layout_t *l) {
  free(l);
}

grpc_layout_slot_t const *
grpc_layout_find(grpc_layout_t const *l, uint64_t slot) {
  grpc_layout_slot_t const *s = &l->slots[slot % GRPC_LAYOUT_SLOTS];
  return s->slot == slot ? s : NULL;
}

/* Extends the contiguous run over the datasets that now follow it. */
static void
run_extend(grpc_layout_slot_t *s) {
  while (s->run_n < s->n && s->ds[s->run_n].start == s->run_end) {
    grpc_layout_ds_t *d = &s->ds[s->run_n];
    d->txns_before = s->run_txns;
    d->entries_before = s->run_entries;
    s->run_txns += d->txns;
    s->run_entries += d->entries;
    s->run_end = d->end_excl;
    s->run_n++;
  }
}

grpc_layout_slot_t const *
grpc_layout_add(grpc_layout_t *l, uint64_t slot, uint64_t parent, uint32_t start, uint32_t end_excl,
                uint32_t txns, uint32_t entries, int last_in_slot, uint8_t const *last_hash,
                int *completed) {
  if (completed) *completed = 0;
  grpc_layout_slot_t *s = &l->slots[slot % GRPC_LAYOUT_SLOTS];
  if (s->slot != slot) {
    if (s->slot != UINT64_MAX && s->slot > slot) return NULL;
    memset(s, 0, offsetof(grpc_layout_slot_t, ds));
    s->slot = slot;
    s->parent = UINT64_MAX;
  }
  if (parent != UINT64_MAX && s->parent == UINT64_MAX) s->parent = parent;
  if (end_excl <= start) return s;
  if (last_in_slot) {
    s->last_end = end_excl;
    if (last_hash) {
      memcpy(s->hash, last_hash, 32);
      s->has_hash = 1;
    }
  }
  if (s->overflow) return s;
  /* sorted insert (datasets mostly come in order: from the end) */
  uint32_t i = s->n;
  while (i > 0 && s->ds[i - 1].start > start) i--;
  if (i > 0 && s->ds[i - 1].start == start) return s; /* known already */
  if (s->n == GRPC_LAYOUT_DS) {
    s->overflow = 1;
    return s;
  }
  if (i < s->run_n) return s; /* inside the run: overlaps it (not a dataset boundary) */
  memmove(&s->ds[i + 1], &s->ds[i], (s->n - i) * sizeof s->ds[0]);
  s->ds[i] = (grpc_layout_ds_t){.start = start, .end_excl = end_excl, .txns = txns, .entries = entries};
  s->n++;
  run_extend(s);
  if (!s->complete && s->last_end && s->run_end == s->last_end) {
    s->complete = 1;
    if (completed) *completed = 1;
  }
  return s;
}

int
grpc_layout_txn(grpc_layout_t const *l, uint64_t slot, uint32_t start, uint32_t pos,
                uint64_t *index, uint32_t *end_excl) {
  *index = pos;
  *end_excl = 0;
  grpc_layout_slot_t const *s = grpc_layout_find(l, slot);
  if (!s || s->overflow) return 0;
  int r = 0;
  /* binary search for the dataset starting at start */
  uint32_t lo = 0, hi = s->n;
  while (lo < hi) {
    uint32_t mid = (lo + hi) / 2;
    if (s->ds[mid].start < start) lo = mid + 1;
    else hi = mid;
  }
  if (lo < s->n && s->ds[lo].start == start) {
    *end_excl = s->ds[lo].end_excl;
    r |= GRPC_LAYOUT_END_KNOWN;
    if (lo < s->run_n) {
      *index = s->ds[lo].txns_before + pos;
      return r | GRPC_LAYOUT_INDEX_EXACT;
    }
  }
  if (start == s->run_end) return r | ((*index = s->run_txns + pos), GRPC_LAYOUT_INDEX_EXACT);
  if (start > s->run_end) *index = s->run_txns + pos;
  return r;
}
