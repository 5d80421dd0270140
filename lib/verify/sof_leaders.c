#include "verify/sof_leaders.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sof_errbuf.h"
#include "wire/sof_base58.h"

#define NO_KEY UINT32_MAX

typedef struct {
  uint64_t slot_plus1; /* 0: empty */
  uint32_t key;
  uint32_t _pad;
} slot_entry_t;

/* One published epoch. */
typedef struct {
  sof_leaders_epoch_info_t info;
  sof_leaders_t           *tbl;
} epoch_t;

/* An epoch set: immutable once published. Sorted by first slot. */
typedef struct {
  unsigned n;
  epoch_t  ep[SOF_LEADERS_EPOCHS_MAX];
} epoch_set_t;

typedef struct {
  epoch_set_t *set;
  uint64_t     at_ns;
  uint64_t     gen; /* the generation its successor was published under */
} retired_t;

/* A registered reader's quiescent report, on its own cache line. */
typedef struct {
  _Atomic uint64_t seen; /* 0: offline; else the generation seen at its last quiescent point */
  uint8_t          pad[56];
} reader_t;

struct sof_leaders {
  _Atomic(epoch_set_t *) epochs; /* published set or NULL (writer: release; readers: acquire) */
  retired_t     retired[SOF_LEADERS_RETIRED_MAX]; /* writer only */
  unsigned      retired_cnt;
  _Atomic uint64_t gen;   /* publications so far + 1 */
  reader_t     *readers;  /* SOF_LEADERS_READERS_MAX, allocated with the table */
  uint64_t      slot_mask;
  slot_entry_t *slots;
  uint32_t      key_cap;
  uint32_t      key_cnt;
  uint8_t     (*keys)[32];
  uint32_t     *key_hash;  /* open addressing over 2 * key_cap buckets: key index or NO_KEY */
  uint32_t      hash_mask;
  uint32_t      fixed;     /* key index of the fixed leader, or NO_KEY */
  int           has_range; /* an explicit entry was set: [first, last] below */
  uint64_t      first, last;
};

static uint64_t
pow2_at_least(uint64_t v) {
  uint64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

sof_leaders_t *
sof_leaders_new(uint64_t slot_cap, uint32_t key_cap) {
  if (!slot_cap || !key_cap || slot_cap > (1ULL << 32) || key_cap > (1U << 24)) return NULL;
  sof_leaders_t *l = calloc(1, sizeof *l);
  if (!l) return NULL;
  uint64_t cap = pow2_at_least(slot_cap);
  uint32_t buckets = (uint32_t)pow2_at_least(2ULL * key_cap);
  l->slot_mask = cap - 1;
  l->slots = calloc(cap, sizeof *l->slots);
  l->keys = calloc(key_cap, 32);
  l->key_hash = malloc(buckets * sizeof *l->key_hash);
  l->key_cap = key_cap;
  l->hash_mask = buckets - 1;
  l->fixed = NO_KEY;
  atomic_init(&l->gen, 1);
  l->readers = aligned_alloc(64, SOF_LEADERS_READERS_MAX * sizeof *l->readers);
  if (l->readers)
    for (unsigned i = 0; i < SOF_LEADERS_READERS_MAX; i++) atomic_init(&l->readers[i].seen, 0);
  if (!l->slots || !l->keys || !l->key_hash || !l->readers) {
    sof_leaders_delete(l);
    return NULL;
  }
  memset(l->key_hash, 0xFF, buckets * sizeof *l->key_hash);
  return l;
}

static void epochs_free_all(sof_leaders_t *l);

void
sof_leaders_delete(sof_leaders_t *l) {
  if (!l) return;
  if (l->readers) epochs_free_all(l);
  free(l->readers);
  free(l->slots);
  free(l->keys);
  free(l->key_hash);
  free(l);
}

/* Index of pub in the key table, adding it when new. NO_KEY when full. */
static uint32_t
key_intern(sof_leaders_t *l, uint8_t const pub[32]) {
  uint64_t h;
  memcpy(&h, pub, 8); /* public keys are uniformly distributed */
  for (uint32_t b = (uint32_t)h & l->hash_mask;; b = (b + 1) & l->hash_mask) {
    uint32_t k = l->key_hash[b];
    if (k == NO_KEY) {
      if (l->key_cnt == l->key_cap) return NO_KEY;
      k = l->key_cnt++;
      memcpy(l->keys[k], pub, 32);
      l->key_hash[b] = k;
      return k;
    }
    if (!memcmp(l->keys[k], pub, 32)) return k;
  }
}

int
sof_leaders_set_fixed(sof_leaders_t *l, uint8_t const *pub) {
  if (!pub) {
    l->fixed = NO_KEY;
    return 0;
  }
  uint32_t k = key_intern(l, pub);
  if (k == NO_KEY) return -1;
  l->fixed = k;
  return 0;
}

/* Widens the explicit range to slot; past the table's capacity, to the
 * slot_cap slots ending (or starting) at slot (older ones are forgotten). */
static void
range_add(sof_leaders_t *l, uint64_t slot) {
  if (!l->has_range) {
    l->has_range = 1;
    l->first = l->last = slot;
    return;
  }
  if (slot < l->first) {
    l->first = slot;
    if (l->last - l->first > l->slot_mask) l->last = l->first + l->slot_mask;
  } else if (slot > l->last) {
    l->last = slot;
    if (l->last - l->first > l->slot_mask) l->first = l->last - l->slot_mask;
  }
}

int
sof_leaders_set(sof_leaders_t *l, uint64_t slot, uint8_t const pub[32]) {
  uint32_t k = key_intern(l, pub);
  if (k == NO_KEY) return -1;
  slot_entry_t *e = &l->slots[slot & l->slot_mask];
  e->slot_plus1 = slot + 1;
  e->key = k;
  range_add(l, slot);
  return 0;
}

int
sof_leaders_range(sof_leaders_t const *l, uint64_t *first, uint64_t *last) {
  int any = l->has_range;
  uint64_t f = l->first, t = l->last;
  epoch_set_t const *set = atomic_load_explicit(&((sof_leaders_t *)l)->epochs, memory_order_acquire);
  for (unsigned i = 0; set && i < set->n; i++) {
    uint64_t ef = set->ep[i].info.first_slot, el = ef + set->ep[i].info.slot_cnt - 1;
    if (!any || ef < f) f = ef;
    if (!any || el > t) t = el;
    any = 1;
  }
  if (!any) return -1;
  *first = f;
  *last = t;
  return 0;
}

/* The slots one load named so far. */
typedef struct {
  int      any;
  uint64_t lo, hi;
} load_span_t;

/* A loader's set: refuses a slot that already has another leader (from
 * this load or an earlier one) and a slot that would make this load span
 * more than the table holds (it would overwrite its own entries). Returns 1
 * when set, 0 when the slot already had this leader, -1 with a message (no
 * "line N" / entry prefix: the caller adds it). */
static int
load_set(sof_leaders_t *l, load_span_t *span, uint64_t slot, uint8_t const pub[32], char *err,
         size_t err_sz) {
  slot_entry_t const *e = &l->slots[slot & l->slot_mask];
  if (e->slot_plus1 == slot + 1) {
    if (!memcmp(l->keys[e->key], pub, 32)) return 0;
    char had[SOF_BASE58_ENCODED_32_MAX], now[SOF_BASE58_ENCODED_32_MAX];
    sof_base58_encode_32(l->keys[e->key], had);
    sof_base58_encode_32(pub, now);
    sof_errbuf_set(err, err_sz, "slot %" PRIu64 " has two leaders: %s and %s", slot, had, now);
    return -1;
  }
  uint64_t lo = slot, hi = slot;
  if (span->any) {
    lo = slot < span->lo ? slot : span->lo;
    hi = slot > span->hi ? slot : span->hi;
    if (hi - lo > l->slot_mask) {
      sof_errbuf_set(err, err_sz, "slot %" PRIu64 " is too far from slots %" PRIu64 "..%" PRIu64
                     ": the schedule would span %" PRIu64 " slots, the table holds %" PRIu64,
                     slot, span->lo, span->hi, hi - lo + 1, l->slot_mask + 1);
      return -1;
    }
  }
  if (sof_leaders_set(l, slot, pub)) {
    sof_errbuf_set(err, err_sz, "more distinct leaders than the table holds (%u)", l->key_cap);
    return -1;
  }
  *span = (load_span_t){1, lo, hi};
  return 1;
}

/* The published epoch that covers slot, or NULL. */
static epoch_t const *
epoch_of(epoch_set_t const *set, uint64_t slot) {
  for (unsigned i = set->n; i-- > 0;) {
    epoch_t const *e = &set->ep[i];
    if (slot < e->info.first_slot) continue;
    return slot - e->info.first_slot < e->info.slot_cnt ? e : NULL;
  }
  return NULL;
}

uint8_t const *
sof_leaders_get(sof_leaders_t const *l, uint64_t slot) {
  epoch_set_t const *set = atomic_load_explicit(&((sof_leaders_t *)l)->epochs, memory_order_acquire);
  if (set) {
    epoch_t const *ep = epoch_of(set, slot);
    if (ep) {
      slot_entry_t const *x = &ep->tbl->slots[slot & ep->tbl->slot_mask];
      if (x->slot_plus1 == slot + 1 && slot != UINT64_MAX) return ep->tbl->keys[x->key];
    }
  }
  slot_entry_t const *e = &l->slots[slot & l->slot_mask];
  if (e->slot_plus1 == slot + 1 && slot != UINT64_MAX) return l->keys[e->key];
  return l->fixed == NO_KEY ? NULL : l->keys[l->fixed];
}

uint32_t
sof_leaders_key_cnt(sof_leaders_t const *l) {
  return l->key_cnt;
}

long
sof_leaders_load_json_buf(sof_leaders_t *l, char const *buf, size_t sz, uint64_t epoch_first_slot,
                          char *err, size_t err_sz) {
  json_error_t jerr;
  json_t *root = json_loadb(buf, sz, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) {
    sof_errbuf_set(err, err_sz, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
    return -1;
  }
  json_t *sched = root;
  json_t *result = json_is_object(root) ? json_object_get(root, "result") : NULL;
  if (result) sched = result;
  long n = -1;
  if (!json_is_object(sched)) {
    sof_errbuf_set(err, err_sz, "expected an object {\"<pubkey>\": [slot offsets]}");
    goto done;
  }
  long cnt = 0, named = 0;
  load_span_t span = {0, 0, 0};
  char const *key;
  json_t *offs;
  char why[256];
  json_object_foreach(sched, key, offs) {
    uint8_t pub[32];
    if (sof_base58_decode_32(key, strlen(key), pub)) {
      sof_errbuf_set(err, err_sz, "\"%.60s\": not a base58 public key", key);
      goto done;
    }
    if (!json_is_array(offs)) {
      sof_errbuf_set(err, err_sz, "\"%.60s\": expected an array of slot offsets", key);
      goto done;
    }
    size_t i;
    json_t *v;
    json_array_foreach(offs, i, v) {
      if (!json_is_integer(v) || json_integer_value(v) < 0) {
        sof_errbuf_set(err, err_sz, "\"%.60s\"[%zu]: slot offsets are integers >= 0", key, i);
        goto done;
      }
      uint64_t off = (uint64_t)json_integer_value(v);
      if (off >= SOF_LEADERS_EPOCH_SLOTS) {
        sof_errbuf_set(err, err_sz, "\"%.60s\"[%zu]: offset %" PRIu64 " is outside the epoch "
                       "(offsets run 0..%u from the epoch's first slot, %" PRIu64 "; absolute slots "
                       "belong in a \"<slot> <pubkey>\" list)", key, i, off,
                       SOF_LEADERS_EPOCH_SLOTS - 1, epoch_first_slot);
        goto done;
      }
      if (off > UINT64_MAX - 1 - epoch_first_slot) {
        sof_errbuf_set(err, err_sz, "\"%.60s\"[%zu]: slot out of range", key, i);
        goto done;
      }
      int r = load_set(l, &span, epoch_first_slot + off, pub, why, sizeof why);
      if (r < 0) {
        sof_errbuf_set(err, err_sz, "\"%.60s\"[%zu] (offset %" PRIu64 "): %s", key, i, off, why);
        goto done;
      }
      cnt += r;
      named++;
    }
  }
  if (!named) {
    sof_errbuf_set(err, err_sz, "an empty schedule: no leader names a slot");
    goto done;
  }
  n = cnt;
done:
  json_decref(root);
  return n;
}

/* Reads a whole file (config, not hot path). */
static char *
slurp(char const *path, size_t *sz, char *err, size_t err_sz) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    sof_errbuf_set(err, err_sz, "%s: %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if (n < cap) break;
    char *nb = cap < (1UL << 30) ? realloc(buf, cap * 2) : NULL;
    if (!nb) { free(buf); buf = NULL; break; }
    buf = nb;
    cap *= 2;
  }
  int bad = ferror(f);
  fclose(f);
  if (!buf || bad) {
    free(buf);
    sof_errbuf_set(err, err_sz, "%s: cannot read", path);
    return NULL;
  }
  *sz = n;
  return buf;
}

long
sof_leaders_load_json(sof_leaders_t *l, char const *path, uint64_t epoch_first_slot, char *err,
                      size_t err_sz) {
  size_t sz;
  char *buf = slurp(path, &sz, err, err_sz);
  if (!buf) return -1;
  long n = sof_leaders_load_json_buf(l, buf, sz, epoch_first_slot, err, err_sz);
  if (n < 0 && err && err_sz) {
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", err);
    sof_errbuf_set(err, err_sz, "%s: %s", path, tmp);
  }
  free(buf);
  return n;
}

long
sof_leaders_load_text_buf(sof_leaders_t *l, char const *buf, size_t sz, char *err, size_t err_sz) {
  long cnt = 0, named = 0;
  load_span_t span = {0, 0, 0};
  unsigned line_no = 0;
  size_t i = 0;
  while (i < sz) {
    size_t end = i;
    while (end < sz && buf[end] != '\n') end++;
    line_no++;
    char line[256];
    size_t len = end - i;
    if (len >= sizeof line) {
      sof_errbuf_set(err, err_sz, "line %u: too long", line_no);
      return -1;
    }
    memcpy(line, buf + i, len);
    line[len] = '\0';
    i = end + 1;
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    char *p = line;
    while (*p == ' ' || *p == '\t' || *p == '\r') p++;
    if (!*p) continue;
    char *q = p;
    while (*q >= '0' && *q <= '9') q++;
    if (q == p || (*q != ' ' && *q != '\t') || q - p > 20) {
      sof_errbuf_set(err, err_sz, "line %u: expected \"<slot> <pubkey>\"", line_no);
      return -1;
    }
    errno = 0;
    unsigned long long slot = strtoull(p, NULL, 10);
    if (errno || slot == UINT64_MAX) {
      sof_errbuf_set(err, err_sz, "line %u: slot out of range", line_no);
      return -1;
    }
    while (*q == ' ' || *q == '\t') q++;
    char *k = q;
    while (*q && *q != ' ' && *q != '\t' && *q != '\r') q++;
    char *rest = q;
    while (*rest == ' ' || *rest == '\t' || *rest == '\r') rest++;
    uint8_t pub[32];
    if (*rest || sof_base58_decode_32(k, (size_t)(q - k), pub)) {
      sof_errbuf_set(err, err_sz, "line %u: expected \"<slot> <base58 pubkey>\"", line_no);
      return -1;
    }
    char why[256];
    int r = load_set(l, &span, slot, pub, why, sizeof why);
    if (r < 0) {
      sof_errbuf_set(err, err_sz, "line %u: %s", line_no, why);
      return -1;
    }
    cnt += r;
    named++;
  }
  if (!named) {
    sof_errbuf_set(err, err_sz, "an empty list: no \"<slot> <pubkey>\" line");
    return -1;
  }
  return cnt;
}

long
sof_leaders_load_text(sof_leaders_t *l, char const *path, char *err, size_t err_sz) {
  size_t sz;
  char *buf = slurp(path, &sz, err, err_sz);
  if (!buf) return -1;
  long n = sof_leaders_load_text_buf(l, buf, sz, err, err_sz);
  if (n < 0 && err && err_sz) {
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", err);
    sof_errbuf_set(err, err_sz, "%s: %s", path, tmp);
  }
  free(buf);
  return n;
}

/* ---- epochs ---------------------------------------------------------------------------------- */

sof_leaders_t *
sof_leaders_epoch_from_json(char const *buf, size_t sz, uint64_t first_slot, uint64_t *slot_cnt,
                            uint64_t *named, char *err, size_t err_sz) {
  /* a first pass sizes the table: its keys and its highest offset (entries
   * the loader refuses are its to report) */
  json_error_t jerr;
  json_t *root = json_loadb(buf, sz, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) {
    sof_errbuf_set(err, err_sz, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
    return NULL;
  }
  json_t *sched = json_is_object(root) && json_object_get(root, "result") ? json_object_get(root, "result") : root;
  uint64_t keys = 1, hi = 0;
  if (json_is_object(sched)) {
    keys = json_object_size(sched) ? json_object_size(sched) : 1;
    char const *k;
    json_t *offs;
    json_object_foreach(sched, k, offs) {
      size_t i;
      json_t *v;
      if (!json_is_array(offs)) continue;
      json_array_foreach(offs, i, v) {
        if (json_is_integer(v) && json_integer_value(v) >= 0 &&
            (uint64_t)json_integer_value(v) < SOF_LEADERS_EPOCH_SLOTS &&
            (uint64_t)json_integer_value(v) > hi)
          hi = (uint64_t)json_integer_value(v);
      }
    }
  }
  json_decref(root);
  if (*slot_cnt && hi >= *slot_cnt) {
    sof_errbuf_set(err, err_sz, "offset %" PRIu64 " is outside the epoch (%" PRIu64 " slots from %" PRIu64 ")",
                   hi, *slot_cnt, first_slot);
    return NULL;
  }
  if (keys > (1U << 24)) keys = 1U << 24;
  sof_leaders_t *t = sof_leaders_new(*slot_cnt ? *slot_cnt : hi + 1, (uint32_t)keys);
  if (!t) {
    sof_errbuf_set(err, err_sz, "out of memory (epoch table)");
    return NULL;
  }
  long n = sof_leaders_load_json_buf(t, buf, sz, first_slot, err, err_sz);
  if (n < 0) {
    sof_leaders_delete(t);
    return NULL;
  }
  if (!*slot_cnt) *slot_cnt = hi + 1;
  *named = (uint64_t)n;
  return t;
}

static epoch_set_t *
set_cur(sof_leaders_t *l) {
  return atomic_load_explicit(&l->epochs, memory_order_relaxed); /* the writer's own store */
}

/* Is tbl named by the published set or a retired one (other than skip)? */
static int
tbl_in_use(sof_leaders_t const *l, sof_leaders_t const *tbl, epoch_set_t const *skip) {
  epoch_set_t const *cur = set_cur((sof_leaders_t *)l);
  for (unsigned i = 0; cur && i < cur->n; i++)
    if (cur->ep[i].tbl == tbl) return 1;
  for (unsigned r = 0; r < l->retired_cnt; r++) {
    epoch_set_t const *s = l->retired[r].set;
    if (s == skip) continue;
    for (unsigned i = 0; i < s->n; i++)
      if (s->ep[i].tbl == tbl) return 1;
  }
  return 0;
}

/* Publishes next (release) and retires the old set. The caller checked
 * that there is room to retire one. */
static void
publish(sof_leaders_t *l, epoch_set_t *next, uint64_t now_ns) {
  epoch_set_t *old = set_cur(l);
  atomic_store_explicit(&l->epochs, next, memory_order_release);
  /* a reader that sees the new generation at a quiescent point loads the
   * new set (or a newer one) from then on */
  uint64_t gen = atomic_fetch_add_explicit(&l->gen, 1, memory_order_acq_rel) + 1;
  if (old) l->retired[l->retired_cnt++] = (retired_t){old, now_ns, gen};
}

void
sof_leaders_reader_online(sof_leaders_t const *l, unsigned id) {
  sof_leaders_t *w = (sof_leaders_t *)l; /* the reader's own slot only */
  if (id >= SOF_LEADERS_READERS_MAX) return;
  atomic_store_explicit(&w->readers[id].seen, atomic_load_explicit(&w->gen, memory_order_acquire),
                        memory_order_seq_cst);
  /* against the writer's fence in reclaim: either it sees this reader
   * online, or this reader's next load sees the writer's newest set */
  atomic_thread_fence(memory_order_seq_cst);
}

void
sof_leaders_quiescent(sof_leaders_t const *l, unsigned id) {
  sof_leaders_t *w = (sof_leaders_t *)l;
  if (id >= SOF_LEADERS_READERS_MAX) return;
  uint64_t g = atomic_load_explicit(&w->gen, memory_order_acquire);
  if (atomic_load_explicit(&w->readers[id].seen, memory_order_relaxed) != g)
    atomic_store_explicit(&w->readers[id].seen, g, memory_order_release);
}

void
sof_leaders_reader_offline(sof_leaders_t const *l, unsigned id) {
  sof_leaders_t *w = (sof_leaders_t *)l;
  if (id >= SOF_LEADERS_READERS_MAX) return;
  atomic_store_explicit(&w->readers[id].seen, 0, memory_order_release);
}

/* Has every online registered reader passed a quiescent point since gen? */
static int
readers_past(sof_leaders_t *l, uint64_t gen) {
  atomic_thread_fence(memory_order_seq_cst);
  for (unsigned i = 0; i < SOF_LEADERS_READERS_MAX; i++) {
    uint64_t seen = atomic_load_explicit(&l->readers[i].seen, memory_order_acquire);
    if (seen && seen < gen) return 0;
  }
  return 1;
}

int
sof_leaders_epoch_install(sof_leaders_t *l, sof_leaders_t *tbl, uint64_t epoch, uint64_t first_slot,
                          uint64_t slot_cnt, uint32_t source, uint64_t now_ns, char *err,
                          size_t err_sz) {
  epoch_set_t const *cur = set_cur(l);
  char const *why = NULL;
  if (!tbl || !slot_cnt || first_slot > UINT64_MAX - slot_cnt) why = "an empty epoch";
  else if (cur && l->retired_cnt >= SOF_LEADERS_RETIRED_MAX) why = "too many retired schedules waiting for their grace period (try again later)";
  epoch_set_t *next = why ? NULL : calloc(1, sizeof *next);
  if (!why && !next) why = "out of memory";
  if (why) {
    sof_errbuf_set(err, err_sz, "epoch %" PRIu64 " (slot %" PRIu64 "): %s", epoch, first_slot, why);
    free(next);
    sof_leaders_delete(tbl);
    return -1;
  }
  epoch_t ne = {.info = {.epoch = epoch, .first_slot = first_slot, .slot_cnt = slot_cnt,
                         .named = 0, .keys = sof_leaders_key_cnt(tbl), .source = source},
                .tbl = tbl};
  /* named: the table's entries within the epoch (on the writer: one pass) */
  for (uint64_t i = 0; i <= tbl->slot_mask; i++) {
    uint64_t sp = tbl->slots[i].slot_plus1;
    if (sp && sp - 1 >= first_slot && sp - 1 - first_slot < slot_cnt) ne.info.named++;
  }
  int replaces = 0;
  for (unsigned i = 0; cur && i < cur->n; i++) {
    epoch_t const *e = &cur->ep[i];
    if (e->info.first_slot == first_slot) {
      replaces = 1;
      continue;
    }
    uint64_t ef = e->info.first_slot, el = ef + e->info.slot_cnt - 1, nl = first_slot + slot_cnt - 1;
    if (!(el < first_slot || ef > nl)) {
      sof_errbuf_set(err, err_sz, "epoch %" PRIu64 " (slots %" PRIu64 "..%" PRIu64 ") overlaps epoch %"
                     PRIu64 " (slots %" PRIu64 "..%" PRIu64 ")", epoch, first_slot, nl, e->info.epoch,
                     ef, el);
      free(next);
      sof_leaders_delete(tbl);
      return -1;
    }
  }
  if (cur && !replaces && cur->n == SOF_LEADERS_EPOCHS_MAX) {
    sof_errbuf_set(err, err_sz, "epoch %" PRIu64 ": %u epochs are loaded already", epoch,
                   SOF_LEADERS_EPOCHS_MAX);
    free(next);
    sof_leaders_delete(tbl);
    return -1;
  }
  unsigned n = 0;
  int placed = 0;
  for (unsigned i = 0; cur && i < cur->n; i++) {
    epoch_t const *e = &cur->ep[i];
    if (!placed && e->info.first_slot >= first_slot) {
      next->ep[n++] = ne;
      placed = 1;
    }
    if (e->info.first_slot != first_slot) next->ep[n++] = *e;
  }
  if (!placed) next->ep[n++] = ne;
  next->n = n;
  publish(l, next, now_ns);
  return 0;
}

/* Publishes the current set without the epochs keep() refuses. */
static int
drop_where(sof_leaders_t *l, uint64_t now_ns, int (*gone)(epoch_t const *, uint64_t, uint64_t),
           uint64_t a, uint64_t b) {
  epoch_set_t const *cur = set_cur(l);
  if (!cur) return 0;
  unsigned dropped = 0;
  for (unsigned i = 0; i < cur->n; i++) dropped += gone(&cur->ep[i], a, b) != 0;
  if (!dropped) return 0;
  if (l->retired_cnt >= SOF_LEADERS_RETIRED_MAX) return -1;
  epoch_set_t *next = NULL;
  if (dropped < cur->n) {
    next = calloc(1, sizeof *next);
    if (!next) return -1;
    for (unsigned i = 0; i < cur->n; i++)
      if (!gone(&cur->ep[i], a, b)) next->ep[next->n++] = cur->ep[i];
  }
  publish(l, next, now_ns);
  return (int)dropped;
}

static int
gone_first(epoch_t const *e, uint64_t first, uint64_t unused) {
  (void)unused;
  return e->info.first_slot == first;
}

static int
gone_past(epoch_t const *e, uint64_t tip, uint64_t slack) {
  uint64_t last = e->info.first_slot + e->info.slot_cnt - 1;
  return tip > last && tip - last > slack;
}

int
sof_leaders_epoch_drop(sof_leaders_t *l, uint64_t first_slot, uint64_t now_ns) {
  return drop_where(l, now_ns, gone_first, first_slot, 0);
}

int
sof_leaders_epoch_expire(sof_leaders_t *l, uint64_t tip, uint64_t slack, uint64_t now_ns) {
  return drop_where(l, now_ns, gone_past, tip, slack);
}

unsigned
sof_leaders_epoch_reclaim(sof_leaders_t *l, uint64_t now_ns, uint64_t grace_ns) {
  unsigned freed = 0;
  for (unsigned r = 0; r < l->retired_cnt;) {
    retired_t rt = l->retired[r];
    if (now_ns < rt.at_ns || now_ns - rt.at_ns < grace_ns || !readers_past(l, rt.gen)) {
      r++;
      continue;
    }
    /* out of the list first: its tables are freed unless another set names them */
    l->retired[r] = l->retired[--l->retired_cnt];
    for (unsigned i = 0; i < rt.set->n; i++) {
      sof_leaders_t *t = rt.set->ep[i].tbl;
      int dup = 0; /* named twice in this set: cannot happen (distinct first slots) */
      for (unsigned j = 0; j < i; j++) dup |= rt.set->ep[j].tbl == t;
      if (!dup && !tbl_in_use(l, t, NULL)) sof_leaders_delete(t);
    }
    free(rt.set);
    freed++;
  }
  return freed;
}

unsigned
sof_leaders_epoch_retired(sof_leaders_t const *l) {
  return l->retired_cnt;
}

/* At delete: no reader runs. The retired sets first (their tables unless
 * the published set names them), then the published set and its tables. */
static void
epochs_free_all(sof_leaders_t *l) {
  for (unsigned i = 0; i < SOF_LEADERS_READERS_MAX; i++) atomic_store(&l->readers[i].seen, 0);
  sof_leaders_epoch_reclaim(l, UINT64_MAX, 0);
  epoch_set_t *cur = set_cur(l);
  if (!cur) return;
  for (unsigned i = 0; i < cur->n; i++) sof_leaders_delete(cur->ep[i].tbl);
  free(cur);
  atomic_store_explicit(&l->epochs, NULL, memory_order_relaxed);
}

unsigned
sof_leaders_epochs(sof_leaders_t const *l, sof_leaders_epoch_info_t *out, unsigned cap) {
  epoch_set_t const *set = atomic_load_explicit(&((sof_leaders_t *)l)->epochs, memory_order_acquire);
  if (!set) return 0;
  for (unsigned i = 0; i < set->n && i < cap; i++) out[i] = set->ep[i].info;
  return set->n;
}

int
sof_leaders_epoch_find(sof_leaders_t const *l, uint64_t slot, sof_leaders_epoch_info_t *out) {
  epoch_set_t const *set = atomic_load_explicit(&((sof_leaders_t *)l)->epochs, memory_order_acquire);
  epoch_t const *e = set ? epoch_of(set, slot) : NULL;
  if (!e) return 0;
  *out = e->info;
  return 1;
}
