/* sof_crds.c: the bounded CRDS table (see sof_crds.h). */
#include "gossip/sof_crds.h"

#include <stdlib.h>
#include <string.h>

struct sof_crds {
  uint32_t         cap, cnt, bucket_mask;
  int32_t          free_head;           /* through hnext */
  int32_t          lru_head, lru_tail;  /* least / most recently updated */
  int32_t         *buckets;
  sof_crds_rec_t  *recs;
  sof_crds_stats_t stats;
};

static uint32_t
label_hash(uint8_t kind, uint8_t const origin[32], uint16_t index) {
  uint64_t h = 0xcbf29ce484222325ULL;
  h = (h ^ kind) * 0x100000001b3ULL;
  h = (h ^ (index & 0xFF)) * 0x100000001b3ULL;
  h = (h ^ (index >> 8)) * 0x100000001b3ULL;
  for (unsigned i = 0; i < 32; i++) h = (h ^ origin[i]) * 0x100000001b3ULL;
  return (uint32_t)(h ^ (h >> 32));
}

sof_crds_t *
sof_crds_new(uint32_t capacity) {
  if (!capacity || capacity > (1U << 24)) return NULL;
  sof_crds_t *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  uint32_t nb = 1;
  while (nb < 2U * capacity) nb <<= 1;
  t->cap = capacity;
  t->bucket_mask = nb - 1;
  t->buckets = malloc((size_t)nb * sizeof *t->buckets);
  t->recs = calloc(capacity, sizeof *t->recs);
  if (!t->buckets || !t->recs) {
    sof_crds_delete(t);
    return NULL;
  }
  for (uint32_t i = 0; i < nb; i++) t->buckets[i] = -1;
  for (uint32_t i = 0; i < capacity; i++) t->recs[i].hnext = i + 1 < capacity ? (int32_t)(i + 1) : -1;
  t->free_head = 0;
  t->lru_head = t->lru_tail = -1;
  return t;
}

void
sof_crds_delete(sof_crds_t *t) {
  if (!t) return;
  free(t->buckets);
  free(t->recs);
  free(t);
}

static void
lru_unlink(sof_crds_t *t, int32_t i) {
  sof_crds_rec_t *r = &t->recs[i];
  if (r->lprev >= 0) t->recs[r->lprev].lnext = r->lnext; else t->lru_head = r->lnext;
  if (r->lnext >= 0) t->recs[r->lnext].lprev = r->lprev; else t->lru_tail = r->lprev;
}

static void
lru_append(sof_crds_t *t, int32_t i) {
  sof_crds_rec_t *r = &t->recs[i];
  r->lprev = t->lru_tail;
  r->lnext = -1;
  if (t->lru_tail >= 0) t->recs[t->lru_tail].lnext = i; else t->lru_head = i;
  t->lru_tail = i;
}

static int32_t
find(sof_crds_t const *t, uint8_t kind, uint8_t const origin[32], uint16_t index, uint32_t *bucket) {
  uint32_t b = label_hash(kind, origin, index) & t->bucket_mask;
  if (bucket) *bucket = b;
  for (int32_t i = t->buckets[b]; i >= 0; i = t->recs[i].hnext) {
    sof_crds_rec_t const *r = &t->recs[i];
    if (r->kind == kind && r->index == index && !memcmp(r->origin, origin, 32)) return i;
  }
  return -1;
}

static void
remove_rec(sof_crds_t *t, int32_t i) {
  sof_crds_rec_t *r = &t->recs[i];
  uint32_t b = label_hash(r->kind, r->origin, r->index) & t->bucket_mask;
  int32_t *pp = &t->buckets[b];
  while (*pp != i) pp = &t->recs[*pp].hnext;
  *pp = r->hnext;
  lru_unlink(t, i);
  r->used = 0;
  r->hnext = t->free_head;
  t->free_head = i;
  t->cnt--;
}

static uint16_t
label_index(sof_gossip_value_t const *v) {
  switch (v->kind) {
  case SOF_GOSSIP_CRDS_VOTE: return v->vote.index;
  case SOF_GOSSIP_CRDS_EPOCH_SLOTS: return v->epoch_slots.index;
  case SOF_GOSSIP_CRDS_DUPLICATE_SHRED: return v->dup_shred.index;
  default: return 0;
  }
}

/* Fills the record's payload fields from the value. */
static void
fill(sof_crds_rec_t *r, sof_gossip_value_t const *v, uint64_t now_ms) {
  r->wallclock = sof_gossip_value_wallclock(v);
  r->local_ms = now_ms;
  sof_gossip_value_hash(r->hash, v);
  r->outset = 0;
  r->shred_version = 0;
  r->gossip_port = r->tvu_port = 0;
  memset(r->gossip_ip, 0, 4);
  memset(r->tvu_ip, 0, 4);
  if (v->kind == SOF_GOSSIP_CRDS_CONTACT_INFO) {
    sof_gossip_ip4_t ip;
    r->outset = v->ci.outset;
    r->shred_version = v->ci.shred_version;
    if ((r->gossip_port = sof_gossip_ci_port(&v->ci, SOF_GOSSIP_SOCK_GOSSIP, &ip))) memcpy(r->gossip_ip, ip.b, 4);
    if ((r->tvu_port = sof_gossip_ci_port(&v->ci, SOF_GOSSIP_SOCK_TVU, &ip))) memcpy(r->tvu_ip, ip.b, 4);
  } else if (v->kind == SOF_GOSSIP_CRDS_LEGACY_CONTACT_INFO) {
    sof_gossip_legacy_ci_t const *l = &v->legacy_ci;
    r->shred_version = l->shred_version;
    if (!l->addrs[SOF_GOSSIP_LCI_GOSSIP].is_v6) {
      r->gossip_port = l->addrs[SOF_GOSSIP_LCI_GOSSIP].port;
      memcpy(r->gossip_ip, l->addrs[SOF_GOSSIP_LCI_GOSSIP].ip, 4);
    }
    if (!l->addrs[SOF_GOSSIP_LCI_TVU].is_v6) {
      r->tvu_port = l->addrs[SOF_GOSSIP_LCI_TVU].port;
      memcpy(r->tvu_ip, l->addrs[SOF_GOSSIP_LCI_TVU].ip, 4);
    }
  }
}

int
sof_crds_upsert(sof_crds_t *t, sof_gossip_value_t const *v, uint64_t now_ms, sof_crds_rec_t *evicted) {
  if (evicted) evicted->used = 0;
  uint8_t const *origin = sof_gossip_value_origin(v);
  uint8_t kind = (uint8_t)v->kind;
  uint16_t index = label_index(v);
  uint32_t b;
  int32_t i = find(t, kind, origin, index, &b);
  if (i >= 0) {
    sof_crds_rec_t *r = &t->recs[i];
    uint64_t w = sof_gossip_value_wallclock(v);
    uint64_t os = kind == SOF_GOSSIP_CRDS_CONTACT_INFO ? v->ci.outset : 0;
    int newer = os != r->outset ? os > r->outset : w > r->wallclock;
    int same = os == r->outset && w == r->wallclock;
    if (same) {
      t->stats.duplicate++;
      return SOF_CRDS_DUPLICATE;
    }
    if (!newer) {
      t->stats.outdated++;
      return SOF_CRDS_OUTDATED;
    }
    fill(r, v, now_ms);
    lru_unlink(t, i);
    lru_append(t, i);
    t->stats.updated++;
    return SOF_CRDS_UPDATED;
  }
  if (t->free_head < 0) { /* full: the least recently updated goes */
    int32_t old = t->lru_head;
    if (evicted) *evicted = t->recs[old];
    remove_rec(t, old);
    t->stats.evicted++;
    b = label_hash(kind, origin, index) & t->bucket_mask;
  }
  i = t->free_head;
  sof_crds_rec_t *r = &t->recs[i];
  t->free_head = r->hnext;
  memset(r, 0, sizeof *r);
  r->used = 1;
  r->kind = kind;
  r->index = index;
  memcpy(r->origin, origin, 32);
  fill(r, v, now_ms);
  r->hnext = t->buckets[b];
  t->buckets[b] = i;
  lru_append(t, i);
  t->cnt++;
  t->stats.inserted++;
  return SOF_CRDS_INSERTED;
}

sof_crds_rec_t const *
sof_crds_get(sof_crds_t const *t, uint8_t kind, uint8_t const origin[32], uint16_t index) {
  int32_t i = find(t, kind, origin, index, NULL);
  return i >= 0 ? &t->recs[i] : NULL;
}

uint32_t
sof_crds_purge(sof_crds_t *t, uint64_t now_ms, uint64_t timeout_ms,
               void (*fn)(void *ctx, sof_crds_rec_t const *r), void *ctx) {
  uint32_t n = 0;
  /* the LRU list is in local_ms order: stop at the first recent one */
  while (t->lru_head >= 0) {
    sof_crds_rec_t *r = &t->recs[t->lru_head];
    if (r->local_ms + timeout_ms >= now_ms) break;
    if (fn) fn(ctx, r);
    remove_rec(t, t->lru_head);
    n++;
  }
  t->stats.purged += n;
  return n;
}

uint32_t sof_crds_capacity(sof_crds_t const *t) { return t->cap; }
sof_crds_rec_t const *sof_crds_slot(sof_crds_t const *t, uint32_t i) { return &t->recs[i]; }
uint32_t sof_crds_cnt(sof_crds_t const *t) { return t->cnt; }
sof_crds_stats_t const *sof_crds_stats(sof_crds_t const *t) { return &t->stats; }

size_t
sof_crds_footprint(sof_crds_t const *t) {
  return sizeof *t + (size_t)(t->bucket_mask + 1U) * sizeof *t->buckets + (size_t)t->cap * sizeof *t->recs;
}
