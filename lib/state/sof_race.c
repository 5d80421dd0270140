/* sof_race.c: feed race tables (see sof_race.h for the model).
 *
 * Layout of a table: cells[(leaders_max + 1) * (sources_max + 1)], row
 * stride sources_max + 1 (source "other" last; leader "other" is row
 * leaders_max); source rows (names, addresses) and leader identities,
 * published by counts with release stores; a source map (open addressing
 * over 4 * (sources_max + 1) rounded up to a power of two, keys tagged so
 * 0 is empty) and a 16-entry slot -> leader row cache. Counters are
 * written with relaxed atomic stores by the one writer and read with
 * relaxed atomic loads by readers: plain moves on x86-64, no torn values. */
#include "state/sof_race.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sof_errbuf.h"

#define LD(p)     __atomic_load_n((p), __ATOMIC_RELAXED)
#define INC(p)    __atomic_store_n((p), LD(p) + 1U, __ATOMIC_RELAXED) /* p: evaluated twice */
#define SLOTC     16U /* slot -> leader row cache entries */
#define SRCC      8U  /* (ip, port) -> source row cache entries */
#define KEY_EXACT (1ULL << 48)
#define KEY_ANY   (1ULL << 49)

typedef struct src_row {
  char     name[SOF_RACE_NAME_MAX];
  uint32_t ip;
  uint16_t port;
  uint8_t  named;
} src_row_t;

typedef struct map_ent {
  uint64_t key;
  uint32_t row;
} map_ent_t;

struct sof_race {
  uint32_t  src_max, leader_max, stride;
  uint32_t  src_cnt;      /* rows in use (release store) */
  uint32_t  leader_cnt;   /* leader rows in use (release store) */
  struct { uint64_t key; uint32_t row; } srcc[SRCC]; /* (ip, port) -> row cache */
  uint32_t  map_mask;
  uint64_t  map_used;
  uint64_t  sources_overflow;
  uint64_t  leaders_overflow;
  struct { uint64_t slot1; uint32_t row; } slotc[SLOTC]; /* slot + 1 (0: empty) */
  sof_race_leader_fn leader_of;
  void     *leader_ctx;
  src_row_t *src;          /* [src_max] */
  uint8_t  (*leader)[32];  /* [leader_max] */
  map_ent_t *map;
  sof_race_cell_t *cells;  /* [(leader_max + 1) * stride] */
};

struct sof_race_group {
  sof_race_cfg_t    cfg;
  sof_race_named_t *named;
  unsigned          n;
  sof_race_t       *t[64];
};

/* ---- histograms ---------------------------------------------------------------------- */

void
sof_race_hist_bounds(unsigned b, uint64_t *lo, uint64_t *hi) {
  if (b < SOF_RACE_HIST_SUB) {
    *lo = b;
    *hi = b + 1U;
    return;
  }
  unsigned e = (b - SOF_RACE_HIST_SUB) / SOF_RACE_HIST_SUB + 2U;
  unsigned sub = (b - SOF_RACE_HIST_SUB) % SOF_RACE_HIST_SUB;
  *lo = (uint64_t)(SOF_RACE_HIST_SUB + sub) << (e - 2U);
  *hi = *lo + (1ULL << (e - 2U));
}

void
sof_race_hist_add(sof_race_hist_t *h, int64_t v) {
  if (v >= 0) INC(&h->pos[sof_race_hist_bucket((uint64_t)v)]);
  else INC(&h->neg[sof_race_hist_bucket(v == INT64_MIN ? (uint64_t)INT64_MAX : (uint64_t)-v)]);
}

uint64_t
sof_race_hist_count(sof_race_hist_t const *h) {
  uint64_t n = 0;
  for (unsigned b = 0; b < SOF_RACE_HIST_BUCKETS; b++) n += LD(&h->pos[b]) + LD(&h->neg[b]);
  return n;
}

void
sof_race_hist_merge(sof_race_hist_t *dst, sof_race_hist_t const *src) {
  for (unsigned b = 0; b < SOF_RACE_HIST_BUCKETS; b++) {
    dst->pos[b] += LD(&src->pos[b]);
    dst->neg[b] += LD(&src->neg[b]);
  }
}

static double
mid(unsigned b) {
  uint64_t lo, hi;
  sof_race_hist_bounds(b, &lo, &hi);
  return hi - lo == 1 ? (double)lo : ((double)lo + (double)hi) / 2.0;
}

double
sof_race_hist_pct(sof_race_hist_t const *h, double q, int *ok) {
  uint64_t n = sof_race_hist_count(h);
  if (ok) *ok = n > 0;
  if (!n) return 0;
  if (q > 1) q = 1;
  uint64_t rank = (uint64_t)(q * (double)n);
  if ((double)rank < q * (double)n) rank++;
  if (rank < 1) rank = 1;
  uint64_t c = 0;
  /* ascending: the most negative first */
  for (unsigned b = SOF_RACE_HIST_BUCKETS; b-- > 0;) {
    c += LD(&h->neg[b]);
    if (c >= rank) return -mid(b);
  }
  for (unsigned b = 0; b < SOF_RACE_HIST_BUCKETS; b++) {
    c += LD(&h->pos[b]);
    if (c >= rank) return mid(b);
  }
  return mid(SOF_RACE_HIST_BUCKETS - 1U); /* counts moved under a concurrent writer */
}

/* ---- configuration ----------------------------------------------------------------------- */

void
sof_race_cfg_default(sof_race_cfg_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->sources_max = SOF_RACE_SOURCES_DEFAULT;
  cfg->leaders_max = SOF_RACE_LEADERS_DEFAULT;
}

int
sof_race_name_ok(char const *name) {
  size_t n = strlen(name);
  if (!n || n >= SOF_RACE_NAME_MAX) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '.' || c == '-'))
      return 0;
  }
  return 1;
}

/* a decimal number of at most 5 digits at *p, <= max; advances *p */
static int
dec(char const **p, unsigned max, unsigned *out) {
  char const *s = *p;
  unsigned v = 0, n = 0;
  while (*s >= '0' && *s <= '9' && n < 6) {
    v = v * 10U + (unsigned)(*s - '0');
    s++;
    n++;
  }
  if (!n || n > 5 || v > max || (n > 1 && **p == '0')) return -1;
  *p = s;
  *out = v;
  return 0;
}

int
sof_race_parse_addr(char const *s, uint32_t *ip, uint16_t *port, char *err, size_t err_sz) {
  char const *p = s;
  uint32_t a = 0;
  for (int i = 0; i < 4; i++) {
    unsigned o;
    if (dec(&p, 255, &o) || (i < 3 && *p++ != '.')) {
      sof_errbuf_set(err, err_sz, "'%.64s' is not A.B.C.D[:PORT]", s);
      return -1;
    }
    a = a << 8 | o;
  }
  unsigned pt = 0;
  if (*p == ':') {
    p++;
    if (dec(&p, 65535, &pt) || !pt) {
      sof_errbuf_set(err, err_sz, "'%.64s': the port is not in 1..65535", s);
      return -1;
    }
  }
  if (*p) {
    sof_errbuf_set(err, err_sz, "'%.64s' is not A.B.C.D[:PORT]", s);
    return -1;
  }
  *ip = a;
  *port = (uint16_t)pt;
  return 0;
}

static int
cfg_check(sof_race_cfg_t const *c, char *err, size_t err_sz) {
  if (c->sources_max < 1 || c->sources_max > SOF_RACE_SOURCES_MAX || c->leaders_max > SOF_RACE_LEADERS_MAX) {
    sof_errbuf_set(err, err_sz, "race: sources_max must be in [1, %u] (got %u), leaders_max in "
                   "[0, %u] (got %u)", SOF_RACE_SOURCES_MAX, c->sources_max, SOF_RACE_LEADERS_MAX,
                   c->leaders_max);
    return -1;
  }
  if (c->named_cnt > c->sources_max || (c->named_cnt && !c->named)) {
    sof_errbuf_set(err, err_sz, "race: %u named sources, more than sources_max (%u)", c->named_cnt,
                   c->sources_max);
    return -1;
  }
  for (uint32_t i = 0; i < c->named_cnt; i++) {
    sof_race_named_t const *a = &c->named[i];
    if (!sof_race_name_ok(a->name)) {
      sof_errbuf_set(err, err_sz, "race: source name '%.48s': use 1..%u of A-Z a-z 0-9 _ . -",
                     a->name, SOF_RACE_NAME_MAX - 1U);
      return -1;
    }
    if (!strcmp(a->name, "other")) {
      sof_errbuf_set(err, err_sz, "race: source name 'other' is reserved (the overflow row)");
      return -1;
    }
    for (uint32_t k = 0; k < i; k++) {
      if (!strcmp(a->name, c->named[k].name)) {
        sof_errbuf_set(err, err_sz, "race: source name '%s' given twice", a->name);
        return -1;
      }
      if (a->ip == c->named[k].ip && a->port == c->named[k].port) {
        sof_errbuf_set(err, err_sz, "race: sources '%s' and '%s' have the same address",
                       c->named[k].name, a->name);
        return -1;
      }
    }
  }
  return 0;
}

/* ---- tables --------------------------------------------------------------------------- */

static uint32_t
map_size(uint32_t src_max) {
  uint32_t n = 16;
  while (n < 4U * (src_max + 1U)) n <<= 1;
  return n;
}

static size_t
table_sz(sof_race_cfg_t const *c) {
  size_t stride = c->sources_max + 1U;
  return sizeof(sof_race_t) + (size_t)c->sources_max * sizeof(src_row_t) +
         (size_t)c->leaders_max * 32U + (size_t)map_size(c->sources_max) * sizeof(map_ent_t) +
         (size_t)(c->leaders_max + 1U) * stride * sizeof(sof_race_cell_t);
}

size_t
sof_race_footprint(sof_race_cfg_t const *cfg, unsigned writers) {
  if (cfg_check(cfg, NULL, 0) || writers < 1 || writers > 64) return 0;
  return sizeof(sof_race_group_t) + (size_t)cfg->named_cnt * sizeof(sof_race_named_t) +
         (size_t)writers * table_sz(cfg);
}

static inline uint64_t
mix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  return k;
}

/* the row of key, or UINT32_MAX */
static inline uint32_t
map_get(sof_race_t const *t, uint64_t key) {
  for (uint64_t i = mix(key);; i++) {
    map_ent_t const *e = &t->map[i & t->map_mask];
    if (e->key == key) return e->row;
    if (!e->key) return UINT32_MAX;
  }
}

/* adds key unless the map is half full (it stays at most half full, so
 * lookups end) */
static void
map_put(sof_race_t *t, uint64_t key, uint32_t row) {
  if (2U * (t->map_used + 1U) > (uint64_t)t->map_mask + 1U) return;
  for (uint64_t i = mix(key);; i++) {
    map_ent_t *e = &t->map[i & t->map_mask];
    if (!e->key) {
      e->key = key;
      e->row = row;
      t->map_used++;
      return;
    }
  }
}

static void
table_init(sof_race_t *t, sof_race_cfg_t const *c) {
  memset(t, 0, sizeof *t);
  t->src_max = c->sources_max;
  t->leader_max = c->leaders_max;
  t->stride = c->sources_max + 1U;
  t->leader_of = c->leader_of;
  t->leader_ctx = c->leader_ctx;
  char *m = (char *)(t + 1);
  t->src = (src_row_t *)m;
  m += (size_t)c->sources_max * sizeof(src_row_t);
  t->leader = (uint8_t(*)[32])m;
  m += (size_t)c->leaders_max * 32U;
  t->map = (map_ent_t *)m;
  t->map_mask = map_size(c->sources_max) - 1U;
  m += (size_t)(t->map_mask + 1U) * sizeof(map_ent_t);
  t->cells = (sof_race_cell_t *)m;
  memset(t->src, 0, (size_t)c->sources_max * sizeof(src_row_t));
  memset(t->map, 0, (size_t)(t->map_mask + 1U) * sizeof(map_ent_t));
  memset(t->cells, 0, (size_t)(c->leaders_max + 1U) * t->stride * sizeof(sof_race_cell_t));
  for (uint32_t i = 0; i < c->named_cnt; i++) {
    src_row_t *r = &t->src[i];
    memcpy(r->name, c->named[i].name, SOF_RACE_NAME_MAX);
    r->name[SOF_RACE_NAME_MAX - 1] = '\0';
    r->ip = c->named[i].ip;
    r->port = c->named[i].port;
    r->named = 1;
    map_put(t, r->port ? KEY_EXACT | (uint64_t)r->ip << 16 | r->port : KEY_ANY | (uint64_t)r->ip << 16, i);
  }
  t->src_cnt = c->named_cnt;
}

sof_race_group_t *
sof_race_group_new(sof_race_cfg_t const *cfg, unsigned writers, char *err, size_t err_sz) {
  if (cfg_check(cfg, err, err_sz)) return NULL;
  if (writers < 1 || writers > 64) {
    sof_errbuf_set(err, err_sz, "race: %u writers (1..64)", writers);
    return NULL;
  }
  sof_race_group_t *g = calloc(1, sizeof *g);
  if (!g) goto oom;
  g->cfg = *cfg;
  if (cfg->named_cnt) {
    if (!(g->named = calloc(cfg->named_cnt, sizeof *g->named))) goto oom;
    memcpy(g->named, cfg->named, cfg->named_cnt * sizeof *g->named);
  }
  g->cfg.named = g->named;
  for (unsigned i = 0; i < writers; i++) {
    void *m = aligned_alloc(64, (table_sz(cfg) + 63U) / 64U * 64U);
    if (!m) goto oom;
    g->t[i] = m;
    g->n = i + 1U;
    table_init(g->t[i], &g->cfg);
  }
  return g;
oom:
  sof_race_group_delete(g);
  sof_errbuf_set(err, err_sz, "race: out of memory (%zu bytes)", sof_race_footprint(cfg, writers));
  return NULL;
}

void
sof_race_group_delete(sof_race_group_t *g) {
  if (!g) return;
  for (unsigned i = 0; i < g->n; i++) free(g->t[i]);
  free(g->named);
  free(g);
}

sof_race_t *
sof_race_group_writer(sof_race_group_t *g, unsigned i) {
  return i < g->n ? g->t[i] : NULL;
}

sof_race_cfg_t const *
sof_race_group_cfg(sof_race_group_t const *g) {
  return &g->cfg;
}

static sof_race_group_t *published;

void
sof_race_publish(sof_race_group_t *g) {
  __atomic_store_n(&published, g, __ATOMIC_RELEASE);
}

sof_race_group_t *
sof_race_published(void) {
  return __atomic_load_n(&published, __ATOMIC_ACQUIRE);
}

/* ---- the writer ----------------------------------------------------------------------------- */

uint32_t
sof_race_other(sof_race_t const *t) {
  return t->src_max;
}

static uint32_t
source_slow(sof_race_t *t, uint32_t ip, uint16_t port, uint64_t key) {
  uint32_t row = map_get(t, key);
  if (row == UINT32_MAX) {
    row = map_get(t, KEY_ANY | (uint64_t)ip << 16);
    if (row != UINT32_MAX) {
      map_put(t, key, row);
    } else if (t->src_cnt < t->src_max) {
      row = t->src_cnt;
      src_row_t *r = &t->src[row];
      snprintf(r->name, sizeof r->name, "%u.%u.%u.%u:%u", ip >> 24, (ip >> 16) & 255U, (ip >> 8) & 255U,
               ip & 255U, port);
      r->ip = ip;
      r->port = port;
      r->named = 0;
      map_put(t, key, row);
      __atomic_store_n(&t->src_cnt, row + 1U, __ATOMIC_RELEASE);
    } else {
      return t->src_max; /* not cached: the overflow is counted per shred */
    }
  }
  unsigned h = (unsigned)((key ^ key >> 16 ^ key >> 29) & (SRCC - 1U));
  t->srcc[h].key = key;
  t->srcc[h].row = row;
  return row;
}

uint32_t
sof_race_source(sof_race_t *t, uint32_t ip, uint16_t port) {
  uint64_t key = KEY_EXACT | (uint64_t)ip << 16 | port;
  unsigned h = (unsigned)((key ^ key >> 16 ^ key >> 29) & (SRCC - 1U));
  if (__builtin_expect(t->srcc[h].key == key, 1)) return t->srcc[h].row;
  uint32_t row = source_slow(t, ip, port, key);
  if (row == t->src_max) INC(&t->sources_overflow);
  return row;
}

static uint32_t
leader_slow(sof_race_t *t, uint64_t slot) {
  uint8_t const *k = t->leader_of ? t->leader_of(t->leader_ctx, slot) : NULL;
  uint32_t row = t->leader_max; /* other */
  if (k) {
    uint32_t n = t->leader_cnt, i = 0;
    while (i < n && memcmp(t->leader[i], k, 32)) i++;
    if (i < n) {
      row = i;
    } else if (n < t->leader_max) {
      memcpy(t->leader[n], k, 32);
      __atomic_store_n(&t->leader_cnt, n + 1U, __ATOMIC_RELEASE);
      row = n;
    } else {
      row = UINT32_MAX; /* full: other, counted per shred */
    }
  }
  t->slotc[slot % SLOTC].slot1 = slot + 1U;
  t->slotc[slot % SLOTC].row = row;
  return row;
}

/* the leader row's cell line for slot */
static inline sof_race_cell_t *
row_of(sof_race_t *t, uint64_t slot) {
  uint32_t row;
  if (__builtin_expect(t->slotc[slot % SLOTC].slot1 == slot + 1U, 1)) row = t->slotc[slot % SLOTC].row;
  else row = leader_slow(t, slot);
  if (__builtin_expect(row == UINT32_MAX, 0)) {
    INC(&t->leaders_overflow);
    row = t->leader_max;
  }
  return &t->cells[(size_t)row * t->stride];
}

void
sof_race_record(sof_race_t *t, uint32_t src, uint64_t slot, int result, sof_dedupe_first_t const *first) {
  sof_race_cell_t *line = row_of(t, slot);
  sof_race_cell_t *c = &line[src];
  INC(&c->received);
  if (result == SOF_DEDUPE_NEW) {
    INC(&c->first);
  } else if (result == SOF_DEDUPE_DUPLICATE && first->src != src && first->src <= t->src_max) {
    uint64_t d = first->now - first->stamp;
    if (d > (uint64_t)INT64_MAX) d = (uint64_t)INT64_MAX;
    sof_race_hist_add(&c->hist, (int64_t)d);
    if (first->second) sof_race_hist_add(&line[first->src].hist, -(int64_t)d);
  }
}

void
sof_race_received(sof_race_t *t, uint32_t src, uint64_t slot) {
  sof_race_cell_t *c = &row_of(t, slot)[src];
  INC(&c->received);
}

void
sof_race_set_first(sof_race_t *t, uint32_t ip, uint16_t port, uint64_t slot) {
  uint32_t src = sof_race_source(t, ip, port);
  sof_race_cell_t *c = &row_of(t, slot)[src];
  INC(&c->sets_first);
}

/* ---- snapshots ------------------------------------------------------------------------------- */

sof_race_snap_t *
sof_race_snap_new(sof_race_group_t const *g) {
  sof_race_snap_t *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->src_cap = g->cfg.sources_max + 1U;
  s->leader_cap = g->cfg.leaders_max + 1U;
  s->src = calloc(s->src_cap, sizeof *s->src);
  s->leader = calloc(s->leader_cap, 32);
  s->cells = calloc((size_t)s->leader_cap * s->src_cap, sizeof *s->cells);
  s->totals = calloc(s->src_cap, sizeof *s->totals);
  if (!s->src || !s->leader || !s->cells || !s->totals) {
    sof_race_snap_delete(s);
    return NULL;
  }
  return s;
}

void
sof_race_snap_delete(sof_race_snap_t *s) {
  if (!s) return;
  free(s->src);
  free(s->leader);
  free(s->cells);
  free(s->totals);
  free(s);
}

static void
cell_add(sof_race_cell_t *dst, sof_race_cell_t const *c) {
  dst->received += LD(&c->received);
  dst->first += LD(&c->first);
  dst->sets_first += LD(&c->sets_first);
  sof_race_hist_merge(&dst->hist, &c->hist);
}

void
sof_race_snap_take(sof_race_group_t const *g, sof_race_snap_t *s) {
  uint32_t so = s->src_cap - 1U, lo = s->leader_cap - 1U; /* the snapshot's own "other" rows */
  memset(s->cells, 0, (size_t)s->leader_cap * s->src_cap * sizeof *s->cells);
  memset(s->totals, 0, s->src_cap * sizeof *s->totals);
  memset(s->leader, 0, (size_t)s->leader_cap * 32U);
  s->src_cnt = 0;
  s->leader_cnt = 0;
  s->sources_overflow = 0;
  s->leaders_overflow = 0;
  uint32_t smap[SOF_RACE_SOURCES_MAX + 1];
  uint32_t lmap[SOF_RACE_LEADERS_MAX + 1];
  for (unsigned w = 0; w < g->n; w++) {
    sof_race_t const *t = g->t[w];
    uint32_t sn = __atomic_load_n(&t->src_cnt, __ATOMIC_ACQUIRE);
    uint32_t ln = __atomic_load_n(&t->leader_cnt, __ATOMIC_ACQUIRE);
    s->sources_overflow += LD(&t->sources_overflow);
    s->leaders_overflow += LD(&t->leaders_overflow);
    /* this table's source rows -> snapshot rows */
    for (uint32_t i = 0; i < sn; i++) {
      src_row_t const *r = &t->src[i];
      uint32_t k = 0;
      for (; k < s->src_cnt; k++) {
        sof_race_src_info_t const *x = &s->src[k];
        if (r->named ? x->named && !strcmp(x->name, r->name)
                     : !x->named && x->ip == r->ip && x->port == r->port)
          break;
      }
      if (k == s->src_cnt) {
        if (k < so) {
          sof_race_src_info_t *x = &s->src[k];
          memcpy(x->name, r->name, SOF_RACE_NAME_MAX);
          x->ip = r->ip;
          x->port = r->port;
          x->named = r->named;
          x->other = 0;
          s->src_cnt++;
        } else {
          k = so;
        }
      }
      smap[i] = k;
    }
    for (uint32_t i = sn; i < t->src_max; i++) smap[i] = so; /* rows published after sn was read */
    smap[t->src_max] = so;
    for (uint32_t i = 0; i < ln; i++) {
      uint32_t k = 0;
      while (k < s->leader_cnt && memcmp(s->leader[k], t->leader[i], 32)) k++;
      if (k == s->leader_cnt) {
        if (k < lo) {
          memcpy(s->leader[k], t->leader[i], 32);
          s->leader_cnt++;
        } else {
          k = lo;
        }
      }
      lmap[i] = k;
    }
    for (uint32_t i = ln; i <= t->leader_max; i++) lmap[i] = lo;
    for (uint32_t l = 0; l <= t->leader_max; l++) {
      if (l >= ln && l < t->leader_max) continue; /* unused rows */
      for (uint32_t i = 0; i <= t->src_max; i++) {
        if (i >= sn && i < t->src_max) continue;
        sof_race_cell_t const *c = &t->cells[(size_t)l * t->stride + i];
        uint64_t cnt = LD(&c->received) + LD(&c->sets_first);
        if (!cnt) continue;
        /* rows with no room in the merge count as overflow too */
        if (smap[i] == so && i != t->src_max) s->sources_overflow += cnt;
        if (lmap[l] == lo && l < ln) s->leaders_overflow += cnt;
        cell_add(&s->cells[(size_t)lmap[l] * s->src_cap + smap[i]], c);
      }
    }
  }
  /* "other" rows last, right after the used ones */
  sof_race_src_info_t *x = &s->src[s->src_cnt];
  if (s->src_cnt != so) {
    for (uint32_t l = 0; l < s->leader_cap; l++) {
      sof_race_cell_t *line = &s->cells[(size_t)l * s->src_cap];
      line[s->src_cnt] = line[so];
      memset(&line[so], 0, sizeof line[so]);
    }
  }
  memset(x, 0, sizeof *x);
  snprintf(x->name, sizeof x->name, "other");
  x->other = 1;
  s->src_cnt++;
  if (s->leader_cnt != lo) {
    memcpy(&s->cells[(size_t)s->leader_cnt * s->src_cap], &s->cells[(size_t)lo * s->src_cap],
           s->src_cap * sizeof *s->cells);
    memset(&s->cells[(size_t)lo * s->src_cap], 0, s->src_cap * sizeof *s->cells);
  }
  memset(s->leader[s->leader_cnt], 0, 32);
  s->leader_cnt++;
  for (uint32_t l = 0; l < s->leader_cnt; l++)
    for (uint32_t i = 0; i < s->src_cnt; i++) cell_add(&s->totals[i], sof_race_snap_cell(s, l, i));
}
