/* sof_dedupe.c: the shred dedupe table (see sof_dedupe.h for the model).
 *
 * Layout: one allocation: the handle, a table of `capacity` 48-byte entries
 * and a parallel array of 32-bit tags (the high half of the key hash, never
 * 0; 0 marks an entry never used). Linear probing over at most probe_max
 * positions from the key's hash position, in two passes:
 * 1. lookup: the tags only (16 tags are one cache line); an entry is read
 *    only when its tag matches (full key compare, then liveness);
 * 2. insertion (a NEW key): entries in probe order until the first dead one,
 *    which is reused; else the first never-used position; else the oldest
 *    live entry probed is replaced.
 * Tags are never cleared (only reset clears them): a never-used position
 * means no key was ever placed past it, so both passes stop there. Deadness
 * is monotonic (hi and the clamped time only grow), so at most one live
 * entry holds a key. */
#include "state/sof_dedupe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

#include "util/sof_errbuf.h"

typedef struct entry {
  uint64_t slot;
  uint64_t sig_hash; /* seeded hash of the 64 signature bytes */
  uint64_t sig_head; /* signature bytes 0..7 */
  uint64_t stamp;    /* time of insertion */
  uint32_t idx;
  uint32_t fec_set_idx;
  uint16_t version;
  uint8_t  variant;
  uint8_t  others;   /* sof_dedupe_check_src: a copy from another src came */
  uint16_t src;      /* sof_dedupe_check_src: the src of the first copy */
  uint8_t  pad_[2];
} entry_t;

_Static_assert(sizeof(entry_t) == 48, "entry layout");

struct sof_dedupe {
  sof_dedupe_cfg_t   cfg;
  uint64_t           mask;
  uint64_t           k[8];   /* hash secrets derived from the seed */
  uint64_t           now;    /* greatest time seen */
  uint64_t           hi;     /* highest slot; valid when has_hi */
  int                has_hi;
  int                ext_tip; /* hi is set by sof_dedupe_set_tip, never by checks */
  sof_dedupe_stats_t stats;
  entry_t           *tab;
  uint32_t          *tags;   /* [capacity]; 0: never used */
};

#define TABLE_ALIGN 64U

void
sof_dedupe_cfg_default(sof_dedupe_cfg_t *cfg) {
  cfg->capacity    = 1U << 18;
  cfg->probe_max   = 16;
  cfg->slot_window = 64;
  cfg->ttl         = 10000000000ULL;
  cfg->seed        = 0;
}

static int
cfg_ok(sof_dedupe_cfg_t const *cfg) {
  uint32_t c = cfg->capacity;
  return c >= SOF_DEDUPE_CAPACITY_MIN && c <= SOF_DEDUPE_CAPACITY_MAX && !(c & (c - 1)) &&
         cfg->probe_max >= 1 && cfg->probe_max <= SOF_DEDUPE_PROBE_MAX && cfg->probe_max <= c;
}

static size_t
head_sz(void) {
  return (sizeof(sof_dedupe_t) + TABLE_ALIGN - 1) / TABLE_ALIGN * TABLE_ALIGN;
}

size_t
sof_dedupe_footprint(sof_dedupe_cfg_t const *cfg) {
  if (!cfg_ok(cfg)) return 0;
  return head_sz() + (size_t)cfg->capacity * (sizeof(entry_t) + sizeof(uint32_t));
}

static uint64_t
splitmix64(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static uint64_t
draw_seed(void const *salt) {
  uint64_t s = 0;
  if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s || !s) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    s = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
    s ^= (uint64_t)(uintptr_t)salt;
  }
  return s ? s : 1;
}

sof_dedupe_t *
sof_dedupe_new(sof_dedupe_cfg_t const *cfg, char *err, size_t err_sz) {
  if (!cfg_ok(cfg)) {
    sof_errbuf_set(err, err_sz, "dedupe: need capacity a power of two in [%u, 2^26] (got %u) and "
                   "probe_max in [1, min(%u, capacity)] (got %u)", SOF_DEDUPE_CAPACITY_MIN,
                   cfg->capacity, SOF_DEDUPE_PROBE_MAX, cfg->probe_max);
    return NULL;
  }
  size_t sz = sof_dedupe_footprint(cfg);
  void *mem = aligned_alloc(TABLE_ALIGN, sz); /* sz is a multiple of TABLE_ALIGN */
  if (!mem) {
    sof_errbuf_set(err, err_sz, "dedupe: out of memory (%zu bytes for %u entries)", sz,
                   cfg->capacity);
    return NULL;
  }
  sof_dedupe_t *d = mem;
  memset(d, 0, sizeof *d);
  d->cfg  = *cfg;
  d->mask = cfg->capacity - 1U;
  d->tab  = (entry_t *)((char *)mem + head_sz());
  d->tags = (uint32_t *)(d->tab + cfg->capacity); /* 64-aligned: capacity * 48 is */
  if (!d->cfg.seed) d->cfg.seed = draw_seed(mem);
  uint64_t s = d->cfg.seed;
  for (unsigned i = 0; i < 8; i++) d->k[i] = splitmix64(&s) | 1U; /* odd: never a zero factor */
  sof_dedupe_reset(d);
  return d;
}

void
sof_dedupe_delete(sof_dedupe_t *d) {
  free(d); /* the table lives in the same allocation */
}

void
sof_dedupe_reset(sof_dedupe_t *d) {
  memset(d->tab, 0, (size_t)d->cfg.capacity * sizeof(entry_t));
  memset(d->tags, 0, (size_t)d->cfg.capacity * sizeof(uint32_t));
  memset(&d->stats, 0, sizeof d->stats);
  d->stats.highest_slot = SOF_DEDUPE_SLOT_NONE;
  d->now    = 0;
  d->hi     = 0;
  d->has_hi = 0;
  d->ext_tip = 0;
}

void
sof_dedupe_set_tip(sof_dedupe_t *d, uint64_t tip) {
  d->ext_tip = 1;
  d->has_hi = tip != SOF_DEDUPE_SLOT_NONE;
  d->hi = d->has_hi ? tip : 0;
  d->stats.highest_slot = tip;
}

/* 64x64 -> 128 multiply, folded: the mixing step of wyhash-style hashes. */
static inline uint64_t
mum(uint64_t a, uint64_t b) {
  __uint128_t r = (__uint128_t)a * b;
  return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t
load64(uint8_t const *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline uint64_t
key_hash(sof_dedupe_t const *d, uint64_t slot, uint32_t idx, uint32_t fec, uint16_t version,
         uint8_t variant) {
  uint64_t h = mum(slot ^ d->k[0], ((uint64_t)idx << 32 | fec) ^ d->k[1]);
  return mum(h ^ d->k[2], ((uint64_t)version << 8 | variant) ^ d->k[3]);
}

static inline uint64_t
sig_hash(sof_dedupe_t const *d, uint8_t const *sig) {
  uint64_t a = mum(load64(sig + 0) ^ d->k[0], load64(sig + 8) ^ d->k[1]);
  uint64_t b = mum(load64(sig + 16) ^ d->k[2], load64(sig + 24) ^ d->k[3]);
  uint64_t c = mum(load64(sig + 32) ^ d->k[4], load64(sig + 40) ^ d->k[5]);
  uint64_t e = mum(load64(sig + 48) ^ d->k[6], load64(sig + 56) ^ d->k[7]);
  return mum(a ^ d->k[4], b ^ d->k[5]) ^ mum(c ^ d->k[6], e ^ d->k[7]);
}

void
sof_dedupe_prefetch(sof_dedupe_t const *d, uint64_t slot, uint32_t idx, uint32_t fec_set_idx,
                    uint16_t version, uint8_t variant) {
  uint64_t p = key_hash(d, slot, idx, fec_set_idx, version, variant) & d->mask;
  __builtin_prefetch(&d->tags[p]);
  __builtin_prefetch(&d->tab[p]);
}

enum { LIVE = 0, DEAD_SLOT = 1, DEAD_TTL = 2 };

static inline int
liveness(sof_dedupe_t const *d, entry_t const *e) {
  if (d->cfg.slot_window && d->has_hi && d->hi > e->slot && d->hi - e->slot > d->cfg.slot_window)
    return DEAD_SLOT;
  if (d->cfg.ttl && d->now - e->stamp >= d->cfg.ttl) return DEAD_TTL;
  return LIVE;
}

/* The check; with first non-NULL it also keeps / reports the first copy's
 * source and time (sof_dedupe_check_src). Inlined into both entry points,
 * so sof_dedupe_check pays nothing for it. */
static inline __attribute__((always_inline)) int
check_impl(sof_dedupe_t *d, uint64_t slot, uint32_t idx, uint32_t fec_set_idx, uint16_t version,
           uint8_t variant, uint8_t const *sig, uint64_t now, uint16_t src, sof_dedupe_first_t *first) {
  if (now > d->now) d->now = now;
  if (d->ext_tip) {
    if (d->has_hi && d->cfg.slot_window && slot < d->hi && d->hi - slot > d->cfg.slot_window) {
      d->stats.result[SOF_DEDUPE_STALE]++;
      return SOF_DEDUPE_STALE;
    }
  } else if (!d->has_hi || slot > d->hi) {
    d->hi                 = slot;
    d->has_hi             = 1;
    d->stats.highest_slot = slot;
  } else if (d->cfg.slot_window && d->hi - slot > d->cfg.slot_window) {
    d->stats.result[SOF_DEDUPE_STALE]++;
    return SOF_DEDUPE_STALE;
  }

  uint64_t h    = key_hash(d, slot, idx, fec_set_idx, version, variant);
  uint32_t tag  = (uint32_t)(h >> 32) | 1U;
  uint64_t sh   = sig_hash(d, sig);
  uint64_t head = load64(sig);
  uint64_t const mask = d->mask;
  uint32_t const n = d->cfg.probe_max;

  /* 1. lookup over the tags; `end`: the first never-used position, or n */
  uint32_t end = n;
  for (uint32_t j = 0; j < n; j++) {
    uint32_t t = d->tags[(h + j) & mask];
    if (!t) {
      end = j;
      break;
    }
    if (t != tag) continue;
    entry_t *e = &d->tab[(h + j) & mask];
    if (e->slot == slot && e->idx == idx && e->fec_set_idx == fec_set_idx &&
        e->version == version && e->variant == variant && liveness(d, e) == LIVE) {
      d->stats.probes += j + 1;
      int r = e->sig_hash == sh && e->sig_head == head ? SOF_DEDUPE_DUPLICATE : SOF_DEDUPE_CONFLICT;
      d->stats.result[r]++;
      if (first && r == SOF_DEDUPE_DUPLICATE) {
        first->stamp = e->stamp;
        first->now = d->now;
        first->src = e->src;
        first->second = src != e->src && !e->others;
        if (src != e->src) e->others = 1;
      }
      return r;
    }
  }
  d->stats.probes += end < n ? end + 1 : n;

  /* 2. where the new key goes */
  uint64_t pos = 0, old_pos = 0;
  entry_t *e = NULL, *old_e = NULL;
  for (uint32_t j = 0; j < end; j++) {
    uint64_t p = (h + j) & mask;
    entry_t *x = &d->tab[p];
    int k = liveness(d, x);
    if (k != LIVE) {
      e   = x;
      pos = p;
      if (k == DEAD_SLOT) d->stats.evict_slot++;
      else d->stats.evict_ttl++;
      break;
    }
    if (!old_e || x->stamp < old_e->stamp || (x->stamp == old_e->stamp && x->slot < old_e->slot)) {
      old_e   = x;
      old_pos = p;
    }
  }
  if (!e) {
    if (end < n) {
      pos = (h + end) & mask;
      e   = &d->tab[pos];
      d->stats.occupied++;
    } else { /* every probed entry is live (probe_max >= 1: old_e is set) */
      e   = old_e;
      pos = old_pos;
      d->stats.evict_capacity++;
    }
  }
  d->tags[pos] = tag;
  e->slot        = slot;
  e->sig_hash    = sh;
  e->sig_head    = head;
  e->stamp       = d->now;
  e->idx         = idx;
  e->fec_set_idx = fec_set_idx;
  e->version     = version;
  e->variant     = variant;
  e->others      = 0;
  e->src         = src;
  if (first) {
    first->stamp = d->now;
    first->now = d->now;
    first->src = src;
    first->second = 0;
  }
  d->stats.result[SOF_DEDUPE_NEW]++;
  return SOF_DEDUPE_NEW;
}

int
sof_dedupe_check(sof_dedupe_t *d, uint64_t slot, uint32_t idx, uint32_t fec_set_idx,
                 uint16_t version, uint8_t variant, uint8_t const *sig, uint64_t now) {
  return check_impl(d, slot, idx, fec_set_idx, version, variant, sig, now, 0, NULL);
}

int
sof_dedupe_check_src(sof_dedupe_t *d, uint64_t slot, uint32_t idx, uint32_t fec_set_idx,
                     uint16_t version, uint8_t variant, uint8_t const *sig, uint64_t now,
                     uint16_t src, sof_dedupe_first_t *first) {
  return check_impl(d, slot, idx, fec_set_idx, version, variant, sig, now, src, first);
}

sof_dedupe_stats_t const *
sof_dedupe_stats(sof_dedupe_t const *d) {
  return &d->stats;
}

sof_dedupe_cfg_t const *
sof_dedupe_cfg(sof_dedupe_t const *d) {
  return &d->cfg;
}

char const *
sof_dedupe_result_str(int v) {
  switch (v) {
#define SOF_DEDUPE_STR_(name, val, str) case (val): return str;
    SOF_DEDUPE_RESULT_LIST(SOF_DEDUPE_STR_)
#undef SOF_DEDUPE_STR_
    default: return "?";
  }
}
