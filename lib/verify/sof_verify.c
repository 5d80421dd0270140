#include "verify/sof_verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sof_errbuf.h"
#include "util/sof_hash.h"
#include "crypto/sof_ed25519.h"
#include "crypto/sof_merkle.h"

/* Node cache covers trees up to this depth (64 leaves: every 32:32 set and
 * every older set seen in the vectors); deeper trees walk their whole path. */
#define NODE_DEPTH_MAX 6U
#define NODE_HEAP_SZ   (1U << (NODE_DEPTH_MAX + 1)) /* heap indices 1 .. 127 */
#define VERS_MAX 2U  /* leader-signed roots remembered per set (the 2nd is a conflict) */
#define BAD_SLOTS 1024U /* rejected (root, signature) pairs remembered, direct-mapped */
#define WAYS     4U
#define KEY_SLOTS 4U /* prepared leader keys (66 KiB each), least recently used replaced */
#define FAIL_SLOTS 4096U /* failed-verification tallies per (slot, fec set), direct-mapped */
#define SRC_SLOTS  1024U /* failed-verification tallies per source, direct-mapped */
#define SRC_EPOCH  4096U /* ed25519 verifications per source-tally epoch (tallies reset) */
#define SRC_CREDIT 4U    /* failures a source may have per set it delivered first (beyond its budget) */
#define SEEN_SLOTS 1024U /* (slot, fec, root, signature) turned away, with the index it came on */
#define LEARN_SLOTS 4096U /* learned slot -> leader entries, direct-mapped */
#define GU_RING 64U /* given-up slots a new candidate set reopens (the latest) */
#define LEARN_PER_SHRED 16U /* candidate tries one shred may make (a slot's search goes on with its next) */

/* A rejected (root, signature): the same forgery again costs no ed25519
 * verification, whether or not its set was ever verified. */
typedef struct {
  uint8_t root[32];
  uint8_t sig[64];
  uint64_t slot_plus1;   /* 0: empty */
} bad_t;

/* Failed ed25519 verifications of one (slot, fec set), and the shreds
 * turned away since its budget ran out. */
typedef struct {
  uint64_t slot_plus1;   /* 0: empty */
  uint32_t fec;
  uint32_t fails;
  uint32_t turned;
} fail_t;

/* ed25519 verifications of shreds from one source in this epoch: failed,
 * and passed (sets it delivered first). */
typedef struct {
  uint64_t src;          /* 0: empty */
  uint64_t epoch;
  uint32_t fails;
  uint32_t oks;
  uint32_t turned;
} src_t;

/* A (slot, fec set, root, signature) turned away over the set budget, and
 * the shred index it came with: the same pair on another index is what a
 * genuine set looks like (its 64 shreds share it), so that one is checked. */
typedef struct {
  uint64_t key;          /* 0: empty */
  uint32_t idx;
} seen_t;

/* Learned mode: what is known of one slot without a schedule. */
typedef struct {
  uint64_t slot_plus1;   /* 0: empty */
  uint8_t  leader[32];   /* valid when known */
  uint8_t  known;
  uint8_t  given_up;     /* the slot's tries ran out (counted once) */
  uint32_t tries;        /* ed25519 tries made for the slot */
  uint32_t cursor;       /* next candidate position to try */
} learn_t;

/* One remembered FEC set. Created only for a root the leader signed, so a
 * flood of forged shreds cannot evict the sets that matter. */
typedef struct {
  uint64_t slot;
  uint32_t fec;
  uint8_t  used;
  uint8_t  depth;        /* proof size of version 0 */
  uint8_t  ver_cnt;
  uint8_t  extra_tries;  /* ed25519 checks of other roots since the first (conflict budget) */
  uint16_t turned;       /* other roots turned away past the budget (every try_every-th is tried) */
  uint8_t  root[VERS_MAX][32];
  uint8_t  sig[VERS_MAX][64];
  uint64_t known[2];     /* heap index bitmap of verified nodes of version 0 */
  uint8_t  node[NODE_HEAP_SZ][20];
} set_t;

struct sof_verify {
  sof_verify_cfg_t    cfg;
  sof_leaders_t const *leaders;
  int                 verify_on;
  int                 recovered_on;
  uint32_t            bucket_cnt;  /* sets / WAYS, power of two */
  uint64_t            max_slot;    /* newest slot with a verified shred */
  set_t              *sets;
  bad_t              *bad;         /* BAD_SLOTS entries */
  fail_t             *fails;       /* FAIL_SLOTS entries */
  src_t              *srcs;        /* SRC_SLOTS entries */
  seen_t             *seen;        /* SEEN_SLOTS entries */
  uint8_t           (*cands)[32];  /* learned mode: candidates, most recently found first */
  uint32_t            cand_cnt;
  uint32_t            cand_cap;    /* room in cands and cand_next */
  uint8_t           (*cand_next)[32]; /* a published set is copied here, then swapped in */
  struct sof_cands const *pub;     /* cfg.cands_pub */
  uint64_t            pub_gen;     /* generation of the set in cands (0: the start's) */
  learn_t            *learned;     /* LEARN_SLOTS entries; NULL: learned mode off */
  uint32_t            gu_ring[GU_RING]; /* learned entries given up lately (reopened by a new set) */
  uint64_t            gu_cnt;
  uint64_t            src;         /* source of the shred being verified (0: unknown) */
  sof_ed25519_key_t  *keys;        /* KEY_SLOTS prepared leader keys */
  uint64_t            key_used[KEY_SLOTS]; /* last use (key_tick); 0: empty */
  uint64_t            key_tick;
  sof_ed25519_prep_t *prep;        /* a key preparation in steps (prepare_ahead) */
  int                 prep_slot;   /* the key slot it fills; -1: none under way */
  uint64_t            ahead_from;  /* max_slot when the lookahead last ran (+1; 0: never) */
  uint8_t             ahead_bad[32]; /* the last scheduled key that cannot be prepared */
  uint32_t            warm_cursor;  /* sof_verify_warm's place in the tables */
  uint64_t            warm_sink;
  sof_verify_stats_t  stats;
};

void
sof_verify_cfg_default(sof_verify_cfg_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->posture = SOF_VERIFY_POSTURE_PUBLIC_UNTRUSTED;
  cfg->verify_shreds = -1;
  cfg->verify_recovered = -1;
}

sof_verify_t *
sof_verify_new(sof_verify_cfg_t const *cfg, sof_leaders_t const *leaders, char *err, size_t err_sz) {
  if (cfg->posture != SOF_VERIFY_POSTURE_PUBLIC_UNTRUSTED &&
      cfg->posture != SOF_VERIFY_POSTURE_TRUSTED_RAW_PROVIDER) {
    sof_errbuf_set(err, err_sz, "verify: unknown posture %d", cfg->posture);
    return NULL;
  }
  if (cfg->verify_shreds < -1 || cfg->verify_shreds > 1 || cfg->verify_recovered < -1 ||
      cfg->verify_recovered > 1) {
    sof_errbuf_set(err, err_sz, "verify: verify_shreds / verify_recovered must be -1, 0 or 1");
    return NULL;
  }
  if (cfg->cache_sets > (1U << 22)) {
    sof_errbuf_set(err, err_sz, "verify: cache_sets %u above the limit %u", cfg->cache_sets, 1U << 22);
    return NULL;
  }
  sof_verify_t *v = calloc(1, sizeof *v);
  if (!v) {
    sof_errbuf_set(err, err_sz, "verify: out of memory");
    return NULL;
  }
  v->cfg = *cfg;
  if (!v->cfg.cache_sets) v->cfg.cache_sets = 1024;
  if (!v->cfg.slot_window) v->cfg.slot_window = 512;
  if (!v->cfg.set_fail_budget) v->cfg.set_fail_budget = 4;
  if (!v->cfg.source_fail_budget) v->cfg.source_fail_budget = 32;
  if (!v->cfg.conflict_budget) v->cfg.conflict_budget = 2;
  if (!v->cfg.over_budget_try_every) v->cfg.over_budget_try_every = 8;
  if (!v->cfg.learn_tries_per_slot) v->cfg.learn_tries_per_slot = 256;
  v->cfg.candidates = NULL; /* copied below; the caller's array need not outlive us */
  uint32_t buckets = 1;
  while (buckets * WAYS < v->cfg.cache_sets) buckets <<= 1;
  v->bucket_cnt = buckets;
  v->cfg.cache_sets = buckets * WAYS;
  v->sets = calloc(v->cfg.cache_sets, sizeof *v->sets);
  v->bad = calloc(BAD_SLOTS, sizeof *v->bad);
  v->fails = calloc(FAIL_SLOTS, sizeof *v->fails);
  v->srcs = calloc(SRC_SLOTS, sizeof *v->srcs);
  v->seen = calloc(SEEN_SLOTS, sizeof *v->seen);
  v->cfg.cands_pub = NULL;
  v->pub = cfg->cands_pub;
  int pub_keys = v->pub && cfg->cands_pub_keys;
  int learn = cfg->candidate_cnt || pub_keys;
  if (learn) {
    uint32_t cap = cfg->candidate_cnt;
    if (pub_keys && sof_cands_capacity(v->pub) > cap) cap = sof_cands_capacity(v->pub);
    v->cand_cap = cap;
    v->cands = malloc((size_t)cap * 32 + 1);
    v->learned = calloc(LEARN_SLOTS, sizeof *v->learned);
    if (v->cands && cfg->candidate_cnt) memcpy(v->cands, cfg->candidates, (size_t)cfg->candidate_cnt * 32);
    v->cand_cnt = cfg->candidate_cnt;
  }
  if (v->pub) v->cand_next = malloc((size_t)sof_cands_capacity(v->pub) * 32 + 1);
  v->keys = calloc(KEY_SLOTS, sizeof *v->keys);
  v->prep = calloc(1, sizeof *v->prep);
  v->prep_slot = -1;
  if (!v->sets || !v->bad || !v->keys || !v->prep || !v->fails || !v->srcs || !v->seen ||
      (learn && (!v->cands || !v->learned)) || (v->pub && !v->cand_next)) {
    free(v->cands);
    free(v->cand_next);
    free(v->learned);
    free(v->seen);
    free(v->sets);
    free(v->bad);
    free(v->fails);
    free(v->srcs);
    free(v->keys);
    free(v->prep);
    free(v);
    sof_errbuf_set(err, err_sz, "verify: out of memory for %u cached sets", buckets * WAYS);
    return NULL;
  }
  int trusted = cfg->posture == SOF_VERIFY_POSTURE_TRUSTED_RAW_PROVIDER;
  v->verify_on = cfg->verify_shreds < 0 ? !trusted : cfg->verify_shreds;
  v->recovered_on = cfg->verify_recovered < 0 ? !trusted : cfg->verify_recovered;
  v->leaders = leaders;
  return v;
}

void
sof_verify_delete(sof_verify_t *v) {
  if (!v) return;
  free(v->sets);
  free(v->bad);
  free(v->fails);
  free(v->srcs);
  free(v->seen);
  free(v->cands);
  free(v->cand_next);
  free(v->learned);
  free(v->keys);
  free(v->prep);
  free(v);
}

void
sof_verify_reset(sof_verify_t *v) {
  memset(v->sets, 0, (size_t)v->cfg.cache_sets * sizeof *v->sets);
  memset(v->bad, 0, BAD_SLOTS * sizeof *v->bad);
  memset(v->fails, 0, FAIL_SLOTS * sizeof *v->fails);
  memset(v->srcs, 0, SRC_SLOTS * sizeof *v->srcs);
  memset(v->seen, 0, SEEN_SLOTS * sizeof *v->seen);
  if (v->learned) memset(v->learned, 0, LEARN_SLOTS * sizeof *v->learned);
  memset(&v->stats, 0, sizeof v->stats);
  v->max_slot = 0;
}

int sof_verify_enabled(sof_verify_t const *v) { return v->verify_on; }
int sof_verify_recovered_enabled(sof_verify_t const *v) { return v->recovered_on; }
sof_verify_stats_t const *sof_verify_stats(sof_verify_t const *v) { return &v->stats; }

int
sof_verify_accepted(sof_verify_t const *v, int result) {
  return result == SOF_VERIFY_VERIFIED || result == SOF_VERIFY_SKIPPED ||
         (result == SOF_VERIFY_UNKNOWN_LEADER && v->cfg.accept_unknown_leader);
}

char const *
sof_verify_result_str(int result) {
  switch (result) {
#define SOF_VERIFY_CASE_(name, val, str) case SOF_VERIFY_##name: return str;
  SOF_VERIFY_RESULT_LIST(SOF_VERIFY_CASE_)
#undef SOF_VERIFY_CASE_
  default: return "unknown";
  }
}

int
sof_verify_posture_parse(char const *name) {
  if (!strcmp(name, "public_untrusted")) return SOF_VERIFY_POSTURE_PUBLIC_UNTRUSTED;
  if (!strcmp(name, "trusted_raw_shred_provider")) return SOF_VERIFY_POSTURE_TRUSTED_RAW_PROVIDER;
  return -1;
}

/* ---- set cache ------------------------------------------------------------ */

static inline uint32_t
bucket_of(sof_verify_t const *v, uint64_t slot, uint32_t fec) {
  return (uint32_t)sof_hash_set_key(slot, fec) & (v->bucket_cnt - 1);
}

static set_t *
set_find(sof_verify_t *v, uint64_t slot, uint32_t fec) {
  set_t *b = v->sets + (size_t)bucket_of(v, slot, fec) * WAYS;
  for (unsigned w = 0; w < WAYS; w++)
    if (b[w].used && b[w].slot == slot && b[w].fec == fec) return &b[w];
  return NULL;
}

/* A way for a new set: an empty one, else one that left the slot window,
 * else the one of the oldest slot. */
static set_t *
set_claim(sof_verify_t *v, uint64_t slot, uint32_t fec) {
  set_t *b = v->sets + (size_t)bucket_of(v, slot, fec) * WAYS;
  set_t *pick = NULL;
  for (unsigned w = 0; w < WAYS; w++) {
    if (!b[w].used) { pick = &b[w]; break; }
    if (!pick || b[w].slot < pick->slot) pick = &b[w];
  }
  if (pick->used) {
    if (pick->slot + v->cfg.slot_window < v->max_slot) v->stats.evict_expired++;
    else                                                v->stats.evict_live++;
  }
  /* Only the header and bitmap need clearing; nodes are guarded by known[]. */
  pick->used = 1;
  pick->slot = slot;
  pick->fec = fec;
  pick->ver_cnt = 0;
  pick->extra_tries = 0;
  pick->turned = 0;
  pick->known[0] = pick->known[1] = 0;
  return pick;
}

static inline int
known(set_t const *s, unsigned heap) {
  return (int)((s->known[heap >> 6] >> (heap & 63)) & 1U);
}

static inline void
remember(set_t *s, unsigned heap, uint8_t const *node20) {
  memcpy(s->node[heap], node20, 20);
  s->known[heap >> 6] |= 1ULL << (heap & 63);
}

/* Records the verified path of leaf idx: path[l] is the node at level l
 * (leaf = level 0) for l < upto, and the proof's siblings at those levels. */
static void
remember_path(set_t *s, unsigned depth, uint32_t idx, uint8_t const (*path)[32],
              uint8_t const *proof, unsigned upto) {
  for (unsigned l = 0; l < upto; l++) {
    unsigned heap = (1U << (depth - l)) + (idx >> l);
    remember(s, heap, path[l]);
    remember(s, heap ^ 1U, proof + l * SOF_MERKLE_NODE_SZ);
  }
}

static inline bad_t *
bad_slot(sof_verify_t *v, uint8_t const *root, uint8_t const *sig) {
  uint64_t a, b;
  memcpy(&a, root, 8);
  memcpy(&b, sig, 8);
  return &v->bad[(a ^ (b * 0x9E3779B97F4A7C15ULL)) % BAD_SLOTS];
}

static int
bad_seen(sof_verify_t *v, uint64_t slot, uint8_t const *root, uint8_t const *sig) {
  bad_t const *b = bad_slot(v, root, sig);
  if (b->slot_plus1 == slot + 1 && !memcmp(b->root, root, 32) && !memcmp(b->sig, sig, 64)) {
    v->stats.bad_cache_hits++;
    return 1;
  }
  return 0;
}

static void
bad_add(sof_verify_t *v, uint64_t slot, uint8_t const *root, uint8_t const *sig) {
  bad_t *b = bad_slot(v, root, sig);
  memcpy(b->root, root, 32);
  memcpy(b->sig, sig, 64);
  b->slot_plus1 = slot + 1;
}

/* ---- signed roots shared across verifiers ---------------------------------------- */

#define SHARED_WORDS 14 /* slot, fec, root (4 words), signature (8 words) */

typedef struct {
  uint64_t seq;                /* even: stable (0: empty), odd: being written */
  uint64_t w[SHARED_WORDS];
  uint8_t  pad[8];
} shared_rec_t;                /* 128 bytes: two cache lines */

struct sof_verify_shared {
  uint32_t      mask;
  shared_rec_t *rec;
};

sof_verify_shared_t *
sof_verify_shared_new(uint32_t entries, char *err, size_t err_sz) {
  if (entries < 16 || entries > (1U << 22) || (entries & (entries - 1))) {
    sof_errbuf_set(err, err_sz, "verify: shared table size %u is not a power of two in [16, 2^22]",
                   entries);
    return NULL;
  }
  sof_verify_shared_t *sh = calloc(1, sizeof *sh);
  if (sh) sh->rec = aligned_alloc(64, (size_t)entries * sizeof *sh->rec);
  if (!sh || !sh->rec) {
    free(sh);
    sof_errbuf_set(err, err_sz, "verify: out of memory for the shared table");
    return NULL;
  }
  memset(sh->rec, 0, (size_t)entries * sizeof *sh->rec);
  sh->mask = entries - 1;
  return sh;
}

void
sof_verify_shared_delete(sof_verify_shared_t *sh) {
  if (!sh) return;
  free(sh->rec);
  free(sh);
}

static inline void
shared_words(uint64_t w[SHARED_WORDS], uint64_t slot, uint32_t fec, uint8_t const *root,
             uint8_t const *sig) {
  w[0] = slot;
  w[1] = fec;
  memcpy(&w[2], root, 32);
  memcpy(&w[6], sig, 64);
}

static inline shared_rec_t *
shared_rec(sof_verify_shared_t const *sh, uint64_t slot, uint32_t fec) {
  return &sh->rec[sof_hash_set_key(slot, fec) & sh->mask];
}

void
sof_verify_shared_put(sof_verify_shared_t *sh, uint64_t slot, uint32_t fec, uint8_t const root[32],
                      uint8_t const sig[64]) {
  shared_rec_t *r = shared_rec(sh, slot, fec);
  uint64_t s = __atomic_load_n(&r->seq, __ATOMIC_RELAXED);
  if ((s & 1) || !__atomic_compare_exchange_n(&r->seq, &s, s + 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
    return; /* another writer is on it: a cache may skip */
  uint64_t w[SHARED_WORDS];
  shared_words(w, slot, fec, root, sig);
  for (unsigned i = 0; i < SHARED_WORDS; i++) __atomic_store_n(&r->w[i], w[i], __ATOMIC_RELAXED);
  __atomic_store_n(&r->seq, s + 2, __ATOMIC_RELEASE);
}

int
sof_verify_shared_has(sof_verify_shared_t const *sh, uint64_t slot, uint32_t fec, uint8_t const root[32],
                      uint8_t const sig[64]) {
  shared_rec_t const *r = shared_rec(sh, slot, fec);
  uint64_t s1 = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
  if (!s1 || (s1 & 1)) return 0;
  uint64_t got[SHARED_WORDS], want[SHARED_WORDS];
  for (unsigned i = 0; i < SHARED_WORDS; i++) got[i] = __atomic_load_n(&r->w[i], __ATOMIC_RELAXED);
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  if (__atomic_load_n(&r->seq, __ATOMIC_RELAXED) != s1) return 0; /* rewritten meanwhile */
  shared_words(want, slot, fec, root, sig);
  return !memcmp(got, want, sizeof got);
}

/* ---- verification ----------------------------------------------------------- */

static int
finish(sof_verify_t *v, int result) {
  v->stats.result[result]++;
  return result;
}

/* The key slot holding leader's prepared key, or -1. */
static int
key_find(sof_verify_t const *v, uint8_t const leader[32]) {
  for (unsigned i = 0; i < KEY_SLOTS; i++)
    if (v->key_used[i] && !memcmp(v->keys[i].pub, leader, 32)) return (int)i;
  return -1;
}

/* The least recently used key slot (an empty one first). */
static unsigned
key_lru(sof_verify_t const *v) {
  unsigned lru = 0;
  for (unsigned i = 1; i < KEY_SLOTS; i++)
    if (v->key_used[i] < v->key_used[lru]) lru = i;
  return lru;
}

void
sof_verify_warm(sof_verify_t *v, uint32_t lines) {
  /* the current leader's key: the newest verified slot's */
  uint8_t const *cur = v->leaders ? sof_leaders_get(v->leaders, v->max_slot) : NULL;
  int k = cur ? key_find(v, cur) : -1;
  v->warm_sink += sof_ed25519_warm(k >= 0 ? &v->keys[k] : NULL, &v->warm_cursor, lines);
}

/* Advances the preparation under way by one step (to_end: all of them).
 * Returns 1 while steps remain; 0 when the key is ready (its slot as
 * recent as the current leader's: the next replacement takes an older
 * key); -1 when it failed. Either way, at the end no preparation is under
 * way. */
static int
prep_advance(sof_verify_t *v, int to_end) {
  int rc;
  do rc = sof_ed25519_key_prepare_step(&v->keys[v->prep_slot], v->prep);
  while (rc == 1 && to_end);
  if (rc == 1) return 1;
  if (rc == 0) {
    v->key_used[v->prep_slot] = v->key_tick ? v->key_tick : 1;
    v->stats.key_prepares++;
    v->stats.keys_prepared_ahead++;
  }
  v->prep_slot = -1;
  return rc;
}

int
sof_verify_prepare_ahead(sof_verify_t *v) {
  if (!v->verify_on || !v->cfg.prepare_ahead || !v->leaders) return 0;
  if (v->prep_slot >= 0) {
    if (prep_advance(v, 0) != 1) v->ahead_from = 0; /* look again: another leader may be due */
    return 1;
  }
  if (v->ahead_from == v->max_slot + 1) return 0;
  v->ahead_from = v->max_slot + 1;
  for (uint64_t s = v->max_slot + 1; s <= v->max_slot + v->cfg.prepare_ahead; s++) {
    uint8_t const *leader = sof_leaders_get(v->leaders, s);
    if (!leader || key_find(v, leader) >= 0 || !memcmp(leader, v->ahead_bad, 32)) continue;
    unsigned slot = key_lru(v);
    v->key_used[slot] = 0; /* empty until ready: nothing matches it meanwhile */
    if (sof_ed25519_key_prepare_begin(&v->keys[slot], v->prep, leader)) {
      memcpy(v->ahead_bad, leader, 32); /* libsodium rejects every signature under it */
      continue;
    }
    v->prep_slot = (int)slot;
    return 1;
  }
  return 0;
}

/* One ed25519 check of sig over msg by the leader. A leader whose key has
 * produced a valid signature gets a prepared key (a table of its
 * multiples, about three and a half verifications' cost, once); its later
 * signatures verify at about a fifth of libsodium's cost, with the same
 * verdicts. Keys are prepared only after a valid signature, so forged
 * shreds naming many leaders cannot make the verifier build tables. */
static int
leader_verify(sof_verify_t *v, uint8_t const sig[64], void const *msg, size_t sz, uint8_t const leader[32]) {
  v->stats.sig_verifies++;
  int k = key_find(v, leader);
  if (k < 0 && v->prep_slot >= 0 && !memcmp(v->keys[v->prep_slot].pub, leader, 32)) {
    /* its preparation ahead is under way: finish it now (cheaper than
     * libsodium plus a preparation from the start) */
    int slot = v->prep_slot;
    if (prep_advance(v, 1) == 0) k = slot;
  }
  if (k >= 0) {
    v->key_used[k] = ++v->key_tick;
    v->stats.sig_prepared++;
    return sof_ed25519_verify_prepared(sig, msg, sz, &v->keys[k]);
  }
  if (sof_ed25519_verify(sig, msg, sz, leader)) return -1;
  unsigned lru = key_lru(v);
  if ((int)lru == v->prep_slot) v->prep_slot = -1; /* that preparation is abandoned */
  v->stats.key_prepares++;
  v->key_used[lru] = sof_ed25519_key_prepare(&v->keys[lru], leader) ? 0 : ++v->key_tick;
  return 0;
}

/* ---- failure budgets ------------------------------------------------------- */

static inline fail_t *
fail_slot(sof_verify_t *v, uint64_t slot, uint32_t fec) {
  /* the high half: independent of the set cache's bucket bits */
  return &v->fails[(sof_hash_set_key(slot, fec) >> 32) % FAIL_SLOTS];
}

static inline src_t *
src_slot(sof_verify_t *v) {
  uint64_t h = v->src * 0x9E3779B97F4A7C15ULL;
  return &v->srcs[(h >> 40) % SRC_SLOTS];
}

/* Whether one more shred may cost an ed25519 verification that might fail.
 * A (slot, fec set) past its failure budget: a (root, signature) it turned
 * away before, now on another shred index, is checked (a genuine set's
 * shreds share one; a forger pays two packets per check, and the pair then
 * goes to the rejected cache), and so is one shred in
 * over_budget_try_every; the rest are turned away. A source past its
 * budget: one shred in over_budget_try_every. Counted. */
static int
budget_allows(sof_verify_t *v, sof_shred_t const *s, uint8_t const *sig, uint8_t const *msg) {
  uint64_t slot = s->slot;
  uint32_t fec = s->fec_set_idx;
  fail_t *f = fail_slot(v, slot, fec);
  if (f->slot_plus1 == slot + 1 && f->fec == fec && f->fails >= v->cfg.set_fail_budget) {
    uint64_t a, b, m;
    memcpy(&a, sig, 8);
    memcpy(&b, sig + 8, 8);
    memcpy(&m, msg, 8);
    uint64_t key = ((slot * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)fec << 32) ^ a ^ (b * 0xC2B2AE3D27D4EB4FULL) ^
                    (m * 0x165667B19E3779F9ULL)) | 1U;
    seen_t *e = &v->seen[(key >> 17) % SEEN_SLOTS];
    if (e->key == key && e->idx != s->idx) {
      e->key = 0;
      v->stats.over_budget_resighted++;
    } else {
      e->key = key;
      e->idx = s->idx;
      if (++f->turned % v->cfg.over_budget_try_every) {
        v->stats.over_budget_set++;
        return 0;
      }
    }
  }
  if (v->src) {
    src_t *e = src_slot(v);
    if (e->src == v->src && e->epoch == v->stats.sig_verifies / SRC_EPOCH &&
        e->fails >= v->cfg.source_fail_budget && e->fails > (uint64_t)SRC_CREDIT * e->oks &&
        ++e->turned % v->cfg.over_budget_try_every) {
      v->stats.over_budget_source++;
      return 0;
    }
  }
  return 1;
}

/* The current source's tally for this epoch (reset when stale). */
static src_t *
src_tally(sof_verify_t *v) {
  src_t *e = src_slot(v);
  uint64_t epoch = v->stats.sig_verifies / SRC_EPOCH;
  if (e->src != v->src || e->epoch != epoch) *e = (src_t){.src = v->src, .epoch = epoch};
  return e;
}

/* A failed verification of a shred of (slot, fec set) from the current
 * source: tallied for both budgets. */
static void
budget_fail(sof_verify_t *v, uint64_t slot, uint32_t fec) {
  fail_t *f = fail_slot(v, slot, fec);
  if (f->slot_plus1 != slot + 1 || f->fec != fec) *f = (fail_t){.slot_plus1 = slot + 1, .fec = fec};
  if (f->fails < UINT32_MAX) f->fails++;
  if (!v->src) return;
  src_t *e = src_tally(v);
  if (e->fails < UINT32_MAX) e->fails++;
}

/* leader_verify behind the budgets: 0 valid, -1 invalid (tallied), -2 not
 * tried (over budget). */
static int
budgeted_verify(sof_verify_t *v, sof_shred_t const *s, uint8_t const sig[64], void const *msg, size_t sz,
                uint8_t const leader[32]) {
  if (!budget_allows(v, s, sig, msg)) return -2;
  if (!leader_verify(v, sig, msg, sz, leader)) {
    /* a source that delivers genuine sets first earns room for failures:
     * a feed sharing its address with a forger is throttled only when
     * the forgeries outnumber its own sets SRC_CREDIT to one */
    if (v->src) {
      src_t *e = src_tally(v);
      if (e->oks < UINT32_MAX) e->oks++;
    }
    return 0;
  }
  budget_fail(v, s->slot, s->fec_set_idx);
  return -1;
}

static int
verify_legacy(sof_verify_t *v, uint8_t const *buf, sof_shred_t const *s, uint8_t const *leader) {
  uint8_t const *msg = buf + SOF_SHRED_SIGNATURE_SZ;
  uint8_t padded[SOF_SHRED_LEGACY_SZ];
  if (s->trimmed) { /* stored form: the signature covers the zero-padded payload */
    memcpy(padded, buf, s->payload_sz);
    memset(padded + s->payload_sz, 0, SOF_SHRED_LEGACY_SZ - s->payload_sz);
    msg = padded + SOF_SHRED_SIGNATURE_SZ;
  }
  int r = budgeted_verify(v, s, buf, msg, SOF_SHRED_LEGACY_SZ - SOF_SHRED_SIGNATURE_SZ, leader);
  if (r == -2) return SOF_VERIFY_OVER_BUDGET;
  return r ? SOF_VERIFY_INVALID_SIGNATURE : SOF_VERIFY_VERIFIED;
}

/* Parse, version and posture: a final result, or -1 when the shred goes on
 * to hashing and signature checks. Pure but for the parse into s / info. */
static int
verify_pre(sof_verify_t const *v, uint8_t const *buf, size_t sz, unsigned parse_flags, sof_shred_t *s,
           sof_verify_info_t *info) {
  memset(info, 0, sizeof *info);
  int err = sof_shred_parse(s, buf, sz, parse_flags);
  if (err) {
    info->parse_err = err;
    return SOF_VERIFY_MALFORMED;
  }
  if (v->cfg.check_version && s->version != v->cfg.shred_version) return SOF_VERIFY_WRONG_VERSION;
  /* Trusted posture: parsed and version-checked, no hashing at all (the
   * FEC resolver takes each set's root from its first shred). */
  if (!v->verify_on) return SOF_VERIFY_SKIPPED;
  return -1;
}

/* Everything after verify_pre. Merkle shreds: given_root NULL means
 * info->leaf holds the shred's leaf hash (leaf_valid) and the path is
 * walked from it; otherwise given_root is the shred's merkle root, known
 * to the caller, and nothing is hashed. */
/* ---- learned leaders ------------------------------------------------------- */

static inline learn_t *
learn_entry(sof_verify_t *v, uint64_t slot) {
  return &v->learned[(slot * 0x9E3779B97F4A7C15ULL >> 40) % LEARN_SLOTS];
}

static inline learn_t const *
learn_known(sof_verify_t *v, uint64_t slot) {
  learn_t const *e = learn_entry(v, slot);
  return e->slot_plus1 == slot + 1 && e->known ? e : NULL;
}

/* Remembers that `key` signs `slot` and moves it to the front of the
 * candidates (a leader holds consecutive slots: it is tried first next). */
static void
learn_set(sof_verify_t *v, learn_t *e, uint64_t slot, uint8_t const *key) {
  uint8_t k[32];
  memcpy(k, key, 32);
  *e = (learn_t){.slot_plus1 = slot + 1, .known = 1};
  memcpy(e->leader, k, 32);
  v->stats.learn_slots++;
  for (uint32_t i = 0; i < v->cand_cnt; i++)
    if (!memcmp(v->cands[i], k, 32)) {
      memmove(v->cands[1], v->cands[0], (size_t)i * 32);
      memcpy(v->cands[0], k, 32);
      break;
    }
}

/* The leader of a slot the schedule does not name (learned mode): the one
 * learned for it; else the leaders learned for the slots around it, then
 * the candidates in order, each an ed25519 check of sig over root, at most
 * LEARN_PER_SHRED per call and learn_tries_per_slot per slot (then the
 * slot is given up: its shreds are unknown_leader). A found leader is
 * remembered for the slot. NULL when none is known yet. */
static uint8_t const *
learn_leader(sof_verify_t *v, uint64_t slot, uint8_t const *root, uint8_t const *sig) {
  learn_t const *k = learn_known(v, slot);
  if (k) {
    v->stats.learn_hits++;
    return k->leader;
  }
  learn_t *e = learn_entry(v, slot);
  if (e->slot_plus1 != slot + 1) *e = (learn_t){.slot_plus1 = slot + 1};
  if (e->given_up) return NULL;
  unsigned budget = LEARN_PER_SHRED;
  /* 1. the leaders of nearby slots (leaders hold four in a row) */
  if (e->cursor == 0) {
    for (int d = 1; d <= 3 && budget; d++) {
      for (int sign = -1; sign <= 1 && budget; sign += 2) {
        uint64_t n = sign < 0 ? slot - (uint64_t)d : slot + (uint64_t)d;
        if (sign < 0 && slot < (uint64_t)d) continue;
        learn_t const *nk = learn_known(v, n);
        if (!nk || e->tries >= v->cfg.learn_tries_per_slot) continue;
        budget--;
        e->tries++;
        v->stats.learn_tries++;
        if (!sof_ed25519_verify(sig, root, 32, nk->leader)) {
          uint8_t key[32];
          memcpy(key, nk->leader, 32);
          learn_set(v, e, slot, key);
          return e->leader;
        }
      }
    }
  }
  /* 2. the candidates, most recently found first */
  while (budget && e->cursor < v->cand_cnt && e->tries < v->cfg.learn_tries_per_slot) {
    uint8_t const *c = v->cands[e->cursor++];
    budget--;
    e->tries++;
    v->stats.learn_tries++;
    if (!sof_ed25519_verify(sig, root, 32, c)) {
      learn_set(v, e, slot, c);
      return e->leader;
    }
  }
  if (e->cursor >= v->cand_cnt || e->tries >= v->cfg.learn_tries_per_slot) {
    e->given_up = 1;
    v->gu_ring[v->gu_cnt++ % GU_RING] = (uint32_t)(e - v->learned);
    v->stats.learn_given_up++;
  }
  return NULL;
}

/* MRU_KEEP: the leaders found most recently keep their place at the
 * front when a new candidate set comes (the next slots' leaders are
 * likely among them). */
#define MRU_KEEP 8U

/* A new published set (its generation moved): its shred version taken
 * (cands_pub_version); its keys (cands_pub_keys) copied into cand_next,
 * then over the list with the previous front kept first; the slots given
 * up lately (the last GU_RING) search the new list from its start (within
 * their learn_tries_per_slot; a slot still searching goes on where its
 * cursor is). Rare (the writer publishes at most about once a second):
 * O(set) work, no allocation. */
static void __attribute__((noinline))
cands_take(sof_verify_t *v) {
  uint32_t n;
  uint64_t gen;
  int32_t ver;
  if (sof_cands_read(v->pub, v->cand_next, &n, &ver, &gen)) {
    v->stats.cand_torn++; /* the writer rewrote it under us: next call */
    return;
  }
  v->pub_gen = gen;
  if (v->cfg.cands_pub_version && v->cfg.check_version && ver >= 0 && (uint16_t)ver != v->cfg.shred_version) {
    v->cfg.shred_version = (uint16_t)ver;
    v->stats.version_switches++;
  }
  if (!v->cfg.cands_pub_keys || !v->learned) return;
  /* the old front, found in the new set, goes first (in its order); keys
   * compared by their first 8 bytes, then whole */
  uint8_t keep[MRU_KEEP][32];
  uint64_t pre[MRU_KEEP];
  uint32_t kept = 0, at[MRU_KEEP];
  for (uint32_t i = 0; i < v->cand_cnt && i < MRU_KEEP; i++) {
    memcpy(keep[kept], v->cands[i], 32);
    memcpy(&pre[kept], keep[kept], 8);
    at[kept++] = UINT32_MAX;
  }
  for (uint32_t j = 0; j < n; j++) {
    uint64_t w;
    memcpy(&w, v->cand_next[j], 8);
    for (uint32_t k = 0; k < kept; k++)
      if (w == pre[k] && at[k] == UINT32_MAX && !memcmp(v->cand_next[j], keep[k], 32)) {
        at[k] = j;
        break;
      }
  }
  uint32_t out = 0;
  for (uint32_t k = 0; k < kept; k++)
    if (at[k] != UINT32_MAX) memcpy(v->cands[out++], keep[k], 32);
  /* the rest in the set's order: runs between the found positions */
  uint32_t from = 0;
  for (;;) {
    uint32_t next = n;
    for (uint32_t k = 0; k < kept; k++)
      if (at[k] != UINT32_MAX && at[k] >= from && at[k] < next) next = at[k];
    memcpy(v->cands[out], v->cand_next[from], (size_t)(next - from) * 32);
    out += next - from;
    if (next == n) break;
    from = next + 1;
  }
  v->cand_cnt = out;
  v->stats.cand_updates++;
  /* the slots given up lately (for want of the candidate, perhaps) search
   * again, within their tries */
  uint64_t gu_from = v->gu_cnt > GU_RING ? v->gu_cnt - GU_RING : 0;
  for (uint64_t g = gu_from; g < v->gu_cnt; g++) {
    learn_t *e = &v->learned[v->gu_ring[g % GU_RING]];
    if (!e->slot_plus1 || e->known || !e->given_up || e->tries >= v->cfg.learn_tries_per_slot) continue;
    e->given_up = 0;
    e->cursor = 0;
    v->stats.learn_reopened++;
  }
}

/* At every entry: has a new candidate set been published? */
static inline void
cands_poll(sof_verify_t *v) {
  if (v->pub && __builtin_expect(sof_cands_gen(v->pub) != v->pub_gen, 0)) cands_take(v);
}

static int
verify_main(sof_verify_t *v, uint8_t const *buf, sof_shred_t const *s, sof_verify_info_t *info,
            uint8_t const *given_root) {
  uint8_t const *sig = buf;
  uint8_t const *proof = buf + s->proof_off;
  unsigned depth = s->proof_cnt;
  uint32_t idx = s->erasure_idx;

  /* Merkle path: from the leaf up, stopping at the first node the set's
   * verified tree already holds. path[l] = node at level l. */
  uint8_t path[SOF_MERKLE_DEPTH_MAX + 1][32];
  set_t *set = NULL;
  int matched = 0;     /* the path joined the set's verified tree */
  unsigned lvl = 0;
  unsigned walked = 0; /* levels of path[] (and proof) verified below the root: remembered */
  if (s->is_merkle && given_root) {
    set = set_find(v, s->slot, s->fec_set_idx);
    memcpy(info->root, given_root, 32);
    info->root_valid = 1;
    v->stats.root_given++;
  } else if (s->is_merkle) {
    memcpy(path[0], info->leaf, 32);
    set = set_find(v, s->slot, s->fec_set_idx);
    int cached_tree = set && set->ver_cnt && set->depth == depth && depth <= NODE_DEPTH_MAX;
    for (lvl = 0;; lvl++) {
      if (cached_tree) {
        unsigned heap = (1U << (depth - lvl)) + (idx >> lvl);
        if (lvl == depth) {
          matched = !memcmp(path[lvl], set->root[0], 32);
          break;
        }
        if (known(set, heap)) {
          if (!memcmp(path[lvl], set->node[heap], 20)) matched = 1;
          else cached_tree = 0; /* diverges from the verified tree: walk on to its own root */
          if (matched) break;
        }
      }
      if (lvl == depth) break;
      uint8_t const *sib = proof + lvl * SOF_MERKLE_NODE_SZ;
      if ((idx >> lvl) & 1U) sof_merkle_node(path[lvl + 1], sib, path[lvl]);
      else                   sof_merkle_node(path[lvl + 1], path[lvl], sib);
    }
    if (matched) {
      /* The path joined the verified tree at level lvl: the proof entries
       * above must be the tree's own siblings. If not, this shred's proof
       * leads elsewhere (an altered proof, or a second version of the set
       * sharing this subtree): finish the walk up its own proof and let the
       * root decide below. */
      for (unsigned l = lvl; l < depth && matched; l++) {
        unsigned sib = ((1U << (depth - l)) + (idx >> l)) ^ 1U;
        if (!known(set, sib) || memcmp(proof + l * SOF_MERKLE_NODE_SZ, set->node[sib], 20)) matched = 0;
      }
      if (!matched) {
        for (; lvl < depth; lvl++) {
          uint8_t const *sib = proof + lvl * SOF_MERKLE_NODE_SZ;
          if ((idx >> lvl) & 1U) sof_merkle_node(path[lvl + 1], sib, path[lvl]);
          else                   sof_merkle_node(path[lvl + 1], path[lvl], sib);
        }
      }
    }
    if (matched) {
      memcpy(info->root, set->root[0], 32);
      v->stats.node_cache_stops += lvl < depth;
    } else {
      memcpy(info->root, path[depth], 32);
    }
    info->root_valid = 1;
    walked = matched ? lvl : depth;
  }

  uint8_t const *leader = sof_leaders_get(v->leaders, s->slot);
  if (!leader && v->learned && s->is_merkle) leader = learn_leader(v, s->slot, info->root, sig);
  if (!leader) return SOF_VERIFY_UNKNOWN_LEADER;

  if (!s->is_merkle) {
    int r = verify_legacy(v, buf, s, leader);
    if (r == SOF_VERIFY_VERIFIED && s->slot > v->max_slot) v->max_slot = s->slot;
    return r;
  }

  uint8_t const *root = info->root;
  if (set && set->ver_cnt) {
    /* The set is known: same root and signature costs nothing more. */
    for (unsigned i = 0; i < set->ver_cnt; i++) {
      if (memcmp(root, set->root[i], 32)) continue;
      if (!memcmp(sig, set->sig[i], 64)) {
        info->cached = 1;
        v->stats.sig_cache_hits++;
        if (i == 0 && depth <= NODE_DEPTH_MAX && set->depth == depth)
          remember_path(set, depth, idx, (uint8_t const(*)[32])path, proof, walked);
        info->conflict = i > 0;
        return SOF_VERIFY_VERIFIED;
      }
      /* The set's root under another signature. ed25519 signatures are
       * deterministic (RFC 8032: the nonce is a hash of the key and the
       * message), so the leader's signature over this root is the one
       * already verified: another is a forgery (a flipped bit, a malleated
       * S), whatever it is. No ed25519 needed. */
      v->stats.other_sig_known_root++;
      return SOF_VERIFY_INVALID_SIGNATURE;
    }
    /* Another root carrying the set's own signature: altered content or proof. */
    for (unsigned i = 0; i < set->ver_cnt; i++)
      if (!memcmp(sig, set->sig[i], 64)) return SOF_VERIFY_INVALID_MERKLE;
  }
  if (bad_seen(v, s->slot, root, sig)) return SOF_VERIFY_INVALID_SIGNATURE;

  if (v->cfg.shared && sof_verify_shared_has(v->cfg.shared, s->slot, s->fec_set_idx, root, sig)) {
    v->stats.shared_hits++; /* another verifier checked this signature over this root */
  } else {
    if (set && set->ver_cnt) {
      /* Another root for a verified set: a second version the leader
       * signed (equivocation, reported) or a forgery. Worth a few checks
       * per set, not one per packet. */
      if (set->extra_tries >= v->cfg.conflict_budget) {
        if (++set->turned % v->cfg.over_budget_try_every) {
          v->stats.over_budget_conflict++;
          return SOF_VERIFY_OVER_BUDGET;
        }
      } else {
        set->extra_tries++;
      }
      if (leader_verify(v, sig, root, 32, leader)) {
        bad_add(v, s->slot, root, sig);
        return SOF_VERIFY_INVALID_SIGNATURE;
      }
    } else {
      int r = budgeted_verify(v, s, sig, root, 32, leader);
      if (r == -2) return SOF_VERIFY_OVER_BUDGET;
      if (r) {
        bad_add(v, s->slot, root, sig);
        return SOF_VERIFY_INVALID_SIGNATURE;
      }
    }
    if (v->cfg.shared) sof_verify_shared_put(v->cfg.shared, s->slot, s->fec_set_idx, root, sig);
  }

  if (s->slot > v->max_slot) v->max_slot = s->slot;
  if (set && set->ver_cnt) {
    /* A second root the leader signed for the same set: equivocation. */
    info->conflict = 1;
    v->stats.conflicts++;
    if (set->ver_cnt < VERS_MAX) {
      memcpy(set->root[set->ver_cnt], root, 32);
      memcpy(set->sig[set->ver_cnt], sig, 64);
      set->ver_cnt++;
    }
    return SOF_VERIFY_VERIFIED;
  }
  set = set_claim(v, s->slot, s->fec_set_idx);
  set->depth = (uint8_t)depth;
  set->ver_cnt = 1;
  memcpy(set->root[0], root, 32);
  memcpy(set->sig[0], sig, 64);
  if (depth <= NODE_DEPTH_MAX) remember_path(set, depth, idx, (uint8_t const(*)[32])path, proof, walked);
  return SOF_VERIFY_VERIFIED;
}

static inline void
leaf_of(sof_verify_info_t *info, uint8_t const *buf, sof_shred_t const *s) {
  sof_merkle_leaf(info->leaf, buf + SOF_SHRED_SIGNATURE_SZ, s->proof_off - SOF_SHRED_SIGNATURE_SZ);
  info->leaf_valid = 1;
}

/* One shred: the merkle root given (root non-NULL), or walked from the leaf
 * hashed here. */
static int
verify_one(sof_verify_t *v, void const *buf_, size_t sz, unsigned parse_flags, uint8_t const *root,
           sof_shred_t *s_out, sof_verify_info_t *info_out) {
  uint8_t const *buf = buf_;
  sof_shred_t s_local;
  sof_verify_info_t info_local;
  sof_shred_t *s = s_out ? s_out : &s_local;
  sof_verify_info_t *info = info_out ? info_out : &info_local;
  cands_poll(v);
  int r = verify_pre(v, buf, sz, parse_flags, s, info);
  if (r >= 0) return finish(v, r);
  if (!root && s->is_merkle) leaf_of(info, buf, s);
  return finish(v, verify_main(v, buf, s, info, root));
}

int
sof_verify_shred(sof_verify_t *v, void const *buf, size_t sz, unsigned parse_flags, sof_shred_t *s_out,
                 sof_verify_info_t *info_out) {
  return verify_one(v, buf, sz, parse_flags, NULL, s_out, info_out);
}

int
sof_verify_shred_root(sof_verify_t *v, void const *buf, size_t sz, unsigned parse_flags,
                      uint8_t const root[32], sof_shred_t *s_out, sof_verify_info_t *info_out) {
  return verify_one(v, buf, sz, parse_flags, root, s_out, info_out);
}

/* Shreds per round of sof_verify_shreds: parsed and leaf-hashed ahead,
 * then checked in order. */
#define BATCH 16U

void
sof_verify_set_source(sof_verify_t *v, uint64_t src) {
  v->src = src;
}

size_t
sof_verify_shreds(sof_verify_t *v, void const *const *bufs, size_t const *szs, size_t n,
                  unsigned parse_flags, sof_shred_t *s_out, int *res_out, sof_verify_info_t *info_out) {
  return sof_verify_shreds_from(v, bufs, szs, NULL, n, parse_flags, s_out, res_out, info_out);
}

size_t
sof_verify_shreds_from(sof_verify_t *v, void const *const *bufs, size_t const *szs, uint64_t const *srcs,
                       size_t n, unsigned parse_flags, sof_shred_t *s_out, int *res_out,
                       sof_verify_info_t *info_out) {
  sof_shred_t s_local[BATCH];
  sof_verify_info_t info_local[BATCH];
  size_t accepted = 0;
  cands_poll(v);
  for (size_t base = 0; base < n; base += BATCH) {
    size_t cnt = n - base < BATCH ? n - base : BATCH;
    sof_shred_t *s = s_out ? s_out + base : s_local;
    sof_verify_info_t *info = info_out ? info_out + base : info_local;
    int *res = res_out + base;
    /* 1. what needs no state: parse, version, posture; then the leaves of
     *    the shreds that go on, all in one sof_merkle_leaf_batch (16
     *    AVX-512 lanes when enough of the round needs them, else SHA-NI
     *    pairs) */
    uint8_t       *lout[BATCH];
    void const    *ldata[BATCH];
    size_t         lsz[BATCH];
    unsigned       lcnt = 0;
    for (unsigned i = 0; i < cnt; i++) {
      uint8_t const *buf = bufs[base + i];
      res[i] = verify_pre(v, buf, szs[base + i], parse_flags, &s[i], &info[i]);
      if (res[i] >= 0 || !s[i].is_merkle) continue;
      lout[lcnt]  = info[i].leaf;
      ldata[lcnt] = buf + SOF_SHRED_SIGNATURE_SZ;
      lsz[lcnt]   = s[i].proof_off - SOF_SHRED_SIGNATURE_SZ;
      lcnt++;
      info[i].leaf_valid = 1;
    }
    sof_merkle_leaf_batch(lout, ldata, lsz, lcnt);
    /* 2. in order, what reads and updates the caches: exactly as
     *    sof_verify_shred would, one call after the other */
    for (unsigned i = 0; i < cnt; i++) {
      if (srcs) v->src = srcs[base + i];
      if (res[i] < 0) res[i] = verify_main(v, bufs[base + i], &s[i], &info[i], NULL);
      finish(v, res[i]);
      accepted += (size_t)sof_verify_accepted(v, res[i]);
    }
  }
  return accepted;
}
