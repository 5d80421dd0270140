#include "resolve/sof_resolver.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sof_errbuf.h"
#include "util/sof_hash.h"
#include "crypto/sof_merkle.h"
#include "fec/sof_rs.h"
#include "state/sof_slotwin.h"

#define WAYS 4U
#define NONE UINT32_MAX
#define SHARD_SZ_MAX 1139U /* merkle code capacity with no proof, chain or resign */
#define RS_CACHE 4U

enum { REC_EMPTY = 0, REC_OPEN, REC_DONE };

typedef struct {
  uint64_t slot;
  uint32_t fec;
  uint8_t  state;
  uint32_t buf;      /* REC_OPEN: index of its buffer */
} rec_t;

/* Everything known about an open set, and its shards. */
typedef struct {
  uint32_t rec;            /* owning record */
  uint64_t slot;
  uint32_t fec;
  uint64_t opened_ns;
  uint64_t used_seq;       /* r->seq at its last shred (least recently used goes first) */
  uint16_t k, m;           /* 0 until a coding shred tells */
  uint32_t first_code_idx; /* coding index of position 0 */
  uint16_t version;
  uint8_t  proof_cnt, chained, resigned;
  uint8_t  data_variant, code_variant;
  uint32_t shard_sz;
  uint64_t data_have, code_have;
  uint64_t leaf_have;      /* bit i: leaf[i] holds shard i's merkle leaf (erasure order) */
  uint32_t data_cnt, code_cnt;
  uint8_t  root[32];
  uint8_t  sig[64];
  uint8_t  chained_root[32];
  uint8_t  retx_sig[64];
  uint8_t  leaf[SOF_RESOLVER_SHARDS_MAX][32];
  /* The set's tree as far as received shreds reveal it (heap order: 1 =
   * root, leaves at (1 << depth) + i; 20-byte nodes): their leaves (from
   * verification) and every proof entry they carry. Only for complete trees
   * (k + m == 1 << depth), where it lets recovery skip rebuilding parity. */
  uint64_t tree_known[2];
  uint8_t  tree[2 * SOF_RESOLVER_SHARDS_MAX][20];
  /* Where each held shard's bytes are (erasure order): in the resolver's
   * store (copies) or in the caller's buffer ref[i] (by reference). Valid
   * for the bits of data_have / code_have; not cleared on open. */
  uint8_t *shard[SOF_RESOLVER_SHARDS_MAX];
  void    *ref[SOF_RESOLVER_SHARDS_MAX];
} setbuf_t;

typedef struct {
  uint16_t k, m;
  uint32_t last_use;
  sof_rs_t rs;
} rs_slot_t;

struct sof_resolver {
  sof_resolver_cfg_t   cfg;
  sof_shred_refs_t     refs;         /* by reference when refs.retain is set */
  uint8_t             *store;        /* copies: set_buffers * SHARDS_MAX * SHARD_SZ_MAX */
  uint32_t             bucket_cnt;
  rec_t               *recs;
  setbuf_t            *bufs;
  uint32_t            *free_bufs;
  uint32_t             free_cnt;
  uint32_t             sweep;        /* round-robin cursor over buffers */
  uint64_t             newest_done;  /* newest slot with a complete set */
  sof_slotwin_t const *win;          /* the tip tables protect around; NULL: none */
  uint64_t             seq;          /* shreds added (used_seq clock) */
  uint32_t             rs_clock;
  rs_slot_t            rs[RS_CACHE];
  uint8_t              out_shreds[SOF_RESOLVER_SHARDS_MAX][SOF_SHRED_MERKLE_DATA_SZ]; /* copies */
  uint8_t             *outw[SOF_RESOLVER_SHARDS_MAX];  /* this recovery's output shreds */
  uint8_t              scratch[SOF_RESOLVER_SHARDS_MAX][SHARD_SZ_MAX]; /* rebuilt parity */
  uint8_t              nodes[2 * SOF_RESOLVER_SHARDS_MAX][32];
  uint8_t              leafbuf[SOF_RESOLVER_SHARDS_MAX][25 + SHARD_SZ_MAX + 32]; /* received leaves to hash */
  sof_resolver_stats_t stats;
};

void
sof_resolver_cfg_default(sof_resolver_cfg_t *cfg) {
  cfg->set_records = 4096;
  cfg->set_buffers = 256;
  cfg->slot_window = 256;
  cfg->max_age_ns = 0;
  cfg->refs = NULL;
}

sof_resolver_t *
sof_resolver_new(sof_resolver_cfg_t const *cfg, char *err, size_t err_sz) {
  if (!cfg->set_buffers || cfg->set_buffers > 65536 || cfg->set_records < cfg->set_buffers ||
      cfg->set_records > (1U << 24)) {
    sof_errbuf_set(err, err_sz, "resolver: need 1 <= set_buffers <= 65536 and set_buffers <= set_records <= %u",
           1U << 24);
    return NULL;
  }
  sof_resolver_t *r = calloc(1, sizeof *r);
  if (!r) {
    sof_errbuf_set(err, err_sz, "resolver: out of memory");
    return NULL;
  }
  r->cfg = *cfg;
  r->cfg.refs = NULL; /* copied below: the caller's struct need not outlive us */
  if (cfg->refs) {
    if (!cfg->refs->retain || !cfg->refs->release || !cfg->refs->alloc) {
      free(r);
      sof_errbuf_set(err, err_sz, "resolver: refs need retain, release and alloc");
      return NULL;
    }
    r->refs = *cfg->refs;
  }
  if (!r->cfg.slot_window) r->cfg.slot_window = 256;
  uint32_t buckets = 1;
  while (buckets * WAYS < cfg->set_records) buckets <<= 1;
  r->bucket_cnt = buckets;
  r->recs = calloc((size_t)buckets * WAYS, sizeof *r->recs);
  r->bufs = malloc((size_t)cfg->set_buffers * sizeof *r->bufs);
  r->free_bufs = malloc((size_t)cfg->set_buffers * sizeof *r->free_bufs);
  if (!r->refs.retain) r->store = malloc((size_t)cfg->set_buffers * SOF_RESOLVER_SHARDS_MAX * SHARD_SZ_MAX);
  if (!r->recs || !r->bufs || !r->free_bufs || (!r->refs.retain && !r->store)) {
    sof_resolver_delete(r);
    sof_errbuf_set(err, err_sz, "resolver: out of memory for %u set buffers", cfg->set_buffers);
    return NULL;
  }
  for (uint32_t i = 0; i < cfg->set_buffers; i++) {
    r->free_bufs[i] = cfg->set_buffers - 1 - i;
    r->bufs[i].rec = NONE;
  }
  r->free_cnt = cfg->set_buffers;
  return r;
}

static void release_buf(sof_resolver_t *r, rec_t *rec);

void
sof_resolver_delete(sof_resolver_t *r) {
  if (!r) return;
  if (r->recs && r->bufs) /* drop held references */
    for (size_t i = 0; i < (size_t)r->bucket_cnt * WAYS; i++) release_buf(r, &r->recs[i]);
  free(r->store);
  free(r->recs);
  free(r->bufs);
  free(r->free_bufs);
  free(r);
}

void
sof_resolver_reset(sof_resolver_t *r) {
  for (size_t i = 0; i < (size_t)r->bucket_cnt * WAYS; i++) release_buf(r, &r->recs[i]);
  memset(r->recs, 0, (size_t)r->bucket_cnt * WAYS * sizeof *r->recs);
  for (uint32_t i = 0; i < r->cfg.set_buffers; i++) {
    r->free_bufs[i] = r->cfg.set_buffers - 1 - i;
    r->bufs[i].rec = NONE;
  }
  r->free_cnt = r->cfg.set_buffers;
  r->sweep = 0;
  r->newest_done = 0;
  memset(&r->stats, 0, sizeof r->stats);
}

sof_resolver_stats_t const *sof_resolver_stats(sof_resolver_t const *r) { return &r->stats; }
uint32_t sof_resolver_open_sets(sof_resolver_t const *r) { return r->cfg.set_buffers - r->free_cnt; }

char const *
sof_resolver_result_str(int result) {
  switch (result) {
#define SOF_RESOLVER_CASE_(name, val, str) case SOF_RESOLVER_##name: return str;
  SOF_RESOLVER_RESULT_LIST(SOF_RESOLVER_CASE_)
#undef SOF_RESOLVER_CASE_
  default: return "unknown";
  }
}

/* ---- records and buffers ---------------------------------------------------- */

static inline rec_t *
bucket(sof_resolver_t *r, uint64_t slot, uint32_t fec) {
  uint64_t h = sof_hash_set_key(slot, fec);
  return r->recs + (size_t)((uint32_t)h & (r->bucket_cnt - 1)) * WAYS;
}

/* Drops the references an open set holds (by-reference mode). */
static void
drop_refs(sof_resolver_t *r, setbuf_t *sb) {
  if (!r->refs.retain) return;
  for (uint64_t m = sb->data_have; m; m &= m - 1) r->refs.release(r->refs.ctx, sb->ref[__builtin_ctzll(m)]);
  for (uint64_t m = sb->code_have; m; m &= m - 1) r->refs.release(r->refs.ctx, sb->ref[sb->k + __builtin_ctzll(m)]);
  sb->data_have = sb->code_have = 0;
}

static void
release_buf(sof_resolver_t *r, rec_t *rec) {
  if (rec->state == REC_OPEN && rec->buf != NONE) {
    drop_refs(r, &r->bufs[rec->buf]);
    r->bufs[rec->buf].rec = NONE;
    r->free_bufs[r->free_cnt++] = rec->buf;
  }
  rec->buf = NONE;
}

static void
finish_set(sof_resolver_t *r, rec_t *rec) {
  release_buf(r, rec);
  rec->state = REC_DONE;
  r->stats.sets_complete++;
  if (rec->slot > r->newest_done) r->newest_done = rec->slot;
}

/* Evicts the open set in buffer b (counted by the caller's reason). */
static void
evict_buf(sof_resolver_t *r, uint32_t b) {
  setbuf_t *sb = &r->bufs[b];
  if (sb->rec == NONE) return;
  rec_t *rec = &r->recs[sb->rec];
  release_buf(r, rec);
  rec->state = REC_EMPTY;
}

/* Whether slot is current for the attached window (never without one). */
static inline int
is_current(sof_resolver_t const *r, uint64_t slot) {
  return sof_slotwin_current(r->win, slot);
}

/* Whether a set of slot fell behind the slot window: behind the window's
 * tip when one is attached (nothing before its quorum), else behind the
 * newest completed set. */
static inline int
behind_window(sof_resolver_t const *r, uint64_t slot) {
  uint64_t ref = r->newest_done;
  if (r->win) {
    if (r->win->tip == SOF_SLOTWIN_NONE) return 0;
    ref = r->win->tip;
  }
  return slot < ref && ref - slot > r->cfg.slot_window;
}

static inline void
count_evict(sof_resolver_t *r, uint64_t slot) {
  if (behind_window(r, slot)) r->stats.evict_window++;
  else                        r->stats.evict_pool++;
}

/* One step of the background sweep: evicts the next buffer's set when it
 * fell behind the slot window or outlived max_age_ns. O(1) per call. */
static void
sweep_one(sof_resolver_t *r, uint64_t now_ns) {
  uint32_t b = r->sweep;
  r->sweep = (r->sweep + 1) % r->cfg.set_buffers;
  setbuf_t *sb = &r->bufs[b];
  if (sb->rec == NONE) return;
  if (behind_window(r, sb->slot)) {
    r->stats.evict_window++;
    evict_buf(r, b);
  } else if (r->cfg.max_age_ns && now_ns > sb->opened_ns && now_ns - sb->opened_ns > r->cfg.max_age_ns) {
    r->stats.evict_age++;
    evict_buf(r, b);
  }
}

/* A free buffer for a new set of `slot`, evicting an open set when the
 * pool is empty. Without a window: the set of the oldest slot, unless it
 * is newer than `slot` (then NONE: keep the newer). With one: first the
 * least recently used set of a slot that is not current; then, only for a
 * current `slot`, the oldest current set older than it; else NONE. */
static uint32_t
take_buf(sof_resolver_t *r, uint64_t slot) {
  if (r->free_cnt) return r->free_bufs[--r->free_cnt];
  uint32_t victim = NONE;
  if (!r->win) {
    for (uint32_t b = 0; b < r->cfg.set_buffers; b++)
      if (victim == NONE || r->bufs[b].slot < r->bufs[victim].slot) victim = b;
    if (victim == NONE || r->bufs[victim].slot > slot) return NONE;
  } else {
    uint32_t lru = NONE, oldest = NONE;
    for (uint32_t b = 0; b < r->cfg.set_buffers; b++) {
      setbuf_t const *sb = &r->bufs[b];
      if (!is_current(r, sb->slot)) {
        if (lru == NONE || sb->used_seq < r->bufs[lru].used_seq) lru = b;
      } else if (oldest == NONE || sb->slot < r->bufs[oldest].slot) {
        oldest = b;
      }
    }
    if (lru != NONE) victim = lru;
    else if (oldest != NONE && is_current(r, slot) && r->bufs[oldest].slot < slot) victim = oldest;
    else {
      r->stats.refused_current++;
      return NONE;
    }
  }
  count_evict(r, r->bufs[victim].slot);
  evict_buf(r, victim);
  return r->free_bufs[--r->free_cnt];
}

/* Which of two records of a full bucket to reuse first: finished before
 * open; without a window the older slot; with one, a slot that is not
 * current before one that is, then the least recently used open set (or
 * the older finished one). */
static int
better_victim(sof_resolver_t const *r, rec_t const *a, rec_t const *b) {
  if (a->state != b->state) return a->state == REC_DONE;
  if (r->win) {
    int ca = is_current(r, a->slot), cb = is_current(r, b->slot);
    if (ca != cb) return !ca;
    if (a->state == REC_OPEN && !ca) return r->bufs[a->buf].used_seq < r->bufs[b->buf].used_seq;
  }
  return a->slot < b->slot;
}

/* The record of (slot, fec), or a new one (EMPTY state) in its bucket,
 * reusing the way better_victim picks. NULL when that way holds an open set
 * that must stay: newer than slot (no window), or current while slot is
 * not, or current and newer (window). */
static rec_t *
find_or_claim(sof_resolver_t *r, uint64_t slot, uint32_t fec) {
  rec_t *bk = bucket(r, slot, fec);
  rec_t *pick = NULL;
  for (unsigned w = 0; w < WAYS; w++) {
    rec_t *rec = &bk[w];
    if (rec->state != REC_EMPTY && rec->slot == slot && rec->fec == fec) return rec;
  }
  for (unsigned w = 0; w < WAYS; w++) {
    rec_t *rec = &bk[w];
    if (rec->state == REC_EMPTY) { pick = rec; break; }
    if (!pick || better_victim(r, rec, pick)) pick = rec;
  }
  if (pick->state == REC_OPEN) {
    int keep = !r->win ? pick->slot > slot
                       : is_current(r, pick->slot) && (!is_current(r, slot) || pick->slot > slot);
    if (keep) {
      if (r->win) r->stats.refused_current++;
      return NULL;
    }
  }
  if (pick->state != REC_EMPTY) {
    r->stats.evict_records++;
    release_buf(r, pick);
  }
  pick->state = REC_EMPTY;
  pick->slot = slot;
  pick->fec = fec;
  pick->buf = NONE;
  return pick;
}

void
sof_resolver_set_window(sof_resolver_t *r, sof_slotwin_t const *win) {
  r->win = win;
}

/* ---- recovery ------------------------------------------------------------------ */

static sof_rs_t const *
rs_for(sof_resolver_t *r, unsigned k, unsigned m) {
  rs_slot_t *lru = &r->rs[0];
  r->rs_clock++;
  for (unsigned i = 0; i < RS_CACHE; i++) {
    if (r->rs[i].k == k && r->rs[i].m == m) {
      r->rs[i].last_use = r->rs_clock;
      return &r->rs[i].rs;
    }
    if (r->rs[i].last_use < lru->last_use) lru = &r->rs[i];
  }
  if (sof_rs_init(&lru->rs, k, m)) return NULL;
  lru->k = (uint16_t)k;
  lru->m = (uint16_t)m;
  lru->last_use = r->rs_clock;
  return &lru->rs;
}

/* The 25 header bytes [64, 89) of coding shred at position pos. */
static void
code_header(setbuf_t const *sb, unsigned pos, uint8_t hdr[25]) {
  uint32_t idx = sb->first_code_idx + pos;
  uint16_t k = sb->k, m = sb->m, p = (uint16_t)pos;
  hdr[0] = sb->code_variant;
  memcpy(hdr + 1, &sb->slot, 8);
  memcpy(hdr + 9, &idx, 4);
  memcpy(hdr + 13, &sb->version, 2);
  memcpy(hdr + 15, &sb->fec, 4);
  memcpy(hdr + 19, &k, 2);
  memcpy(hdr + 21, &m, 2);
  memcpy(hdr + 23, &p, 2);
}

/* Rebuilds the missing data shards (in place in the output shreds
 * r->outw, in index order) and parity (in r->scratch), the whole tree, and
 * the missing data shreds. Returns RECOVERED or RECOVERY_FAILED. */
static int
recover(sof_resolver_t *r, setbuf_t *sb, sof_resolver_out_t *out) {
  unsigned k = sb->k, m = sb->m, n = k + m;
  sof_rs_t const *rs = rs_for(r, k, m);
  if (!rs) return SOF_RESOLVER_RECOVERY_FAILED;
  uint8_t *shards[SOF_RESOLVER_SHARDS_MAX];
  uint8_t present[SOF_RESOLVER_SHARDS_MAX];
  unsigned miss_cnt = 0;
  for (unsigned i = 0; i < n; i++) {
    int have = i < k ? (int)((sb->data_have >> i) & 1U) : (int)((sb->code_have >> (i - k)) & 1U);
    present[i] = (uint8_t)have;
    shards[i] = have ? sb->shard[i]
              : i < k ? r->outw[miss_cnt++] + SOF_SHRED_SIGNATURE_SZ : r->scratch[i];
  }
  if (sof_rs_reconstruct(rs, shards, present, sb->shard_sz, 0)) return SOF_RESOLVER_RECOVERY_FAILED;

  /* Leaves over [64, proof_off): data = shard || chained root; code = 25
   * header bytes || shard || chained root; the ones verification did not
   * hash, two at a time. */
  uint8_t tmp[2][25 + SHARD_SZ_MAX + 32];
  size_t len[2];
  unsigned pend[2], np = 0;
  for (unsigned i = 0; i < n; i++) {
    if ((sb->leaf_have >> i) & 1U) { /* hashed by verification */
      memcpy(r->nodes[i], sb->leaf[i], 32);
      continue;
    }
    uint8_t *t = tmp[np];
    size_t l = 0;
    if (i >= k) {
      code_header(sb, i - k, t);
      l = 25;
    }
    memcpy(t + l, shards[i], sb->shard_sz);
    l += sb->shard_sz;
    if (sb->chained) {
      memcpy(t + l, sb->chained_root, 32);
      l += 32;
    }
    len[np] = l;
    pend[np++] = i;
    if (np == 2) {
      sof_merkle_leaf_x2(r->nodes[pend[0]], r->nodes[pend[1]], tmp[0], len[0], tmp[1], len[1]);
      np = 0;
    }
  }
  if (np) sof_merkle_leaf(r->nodes[pend[0]], tmp[0], len[0]);
  uint8_t const *root = sof_merkle_tree_build(r->nodes, n);
  if (memcmp(root, sb->root, 32)) return SOF_RESOLVER_RECOVERY_FAILED;

  /* Emit the missing data shreds in wire form (their shards are in place). */
  out->cnt = 0;
  for (unsigned i = 0; i < k; i++) {
    if (present[i]) continue;
    uint8_t *p = r->outw[out->cnt];
    size_t off = 0;
    memcpy(p, sb->sig, 64);
    off = 64 + sb->shard_sz;
    if (sb->chained) {
      memcpy(p + off, sb->chained_root, 32);
      off += 32;
    }
    unsigned depth = sof_merkle_tree_proof(r->nodes, n, i, p + off);
    off += depth * SOF_MERKLE_NODE_SZ;
    if (sb->resigned) {
      memcpy(p + off, sb->retx_sig, 64);
      off += 64;
    }
    sof_shred_t s;
    if (off != SOF_SHRED_MERKLE_DATA_SZ || depth != sb->proof_cnt ||
        sof_shred_parse(&s, p, off, 0) || !s.is_data || s.variant != sb->data_variant ||
        s.slot != sb->slot || s.fec_set_idx != sb->fec || s.idx != sb->fec + i)
      return SOF_RESOLVER_RECOVERY_FAILED;
    out->shred[out->cnt] = p;
    out->idx[out->cnt] = s.idx;
    out->cnt++;
  }
  memcpy(out->root, sb->root, 32);
  return SOF_RESOLVER_RECOVERED;
}

/* ---- the entry point ---------------------------------------------------------- */

static inline void
tree_put(setbuf_t *sb, unsigned h, uint8_t const *node20) {
  memcpy(sb->tree[h], node20, 20);
  sb->tree_known[h >> 6] |= 1ULL << (h & 63);
}

/* Remembers what a received shred reveals of the tree: its leaf (when
 * verification hashed it) and the proof entries (siblings) up to the root. */
static void
tree_record(setbuf_t *sb, uint8_t const *payload, sof_shred_t const *s, unsigned i, uint8_t const *leaf) {
  unsigned d = sb->proof_cnt;
  if (d > 6) return;
  if (leaf) tree_put(sb, (1U << d) + i, leaf);
  uint8_t const *proof = payload + s->proof_off;
  for (unsigned l = 0; l < d; l++)
    tree_put(sb, ((1U << (d - l)) + (i >> l)) ^ 1U, proof + l * SOF_MERKLE_NODE_SZ);
}

/* Marks in need[] every leaf under tree node hn that is not known and has
 * no known ancestor inside the subtree: the leaves whose hashes it takes to
 * compute hn; and in up[] every inner node on the way (hn included when
 * unknown): the nodes to compute from them. */
static void
need_subtree(uint64_t const known[2], unsigned hn, unsigned leaf0, uint8_t *need, uint64_t up[2]) {
  if ((known[hn >> 6] >> (hn & 63)) & 1U) return;
  if (hn >= leaf0) {
    need[hn - leaf0] = 1;
    return;
  }
  up[hn >> 6] |= 1ULL << (hn & 63);
  need_subtree(known, 2 * hn, leaf0, need, up);
  need_subtree(known, 2 * hn + 1, leaf0, need, up);
}

/* Recovery when the tree is complete (k + m == 1 << depth): rebuild only
 * the missing data shards, hash their leaves, fill the tree bottom-up from
 * what received shreds revealed, and require the signed root. A received
 * leaf is hashed here only when needed: when it is not known (trusted
 * posture: verification hashed no leaf) and a rebuilt leaf's path up to a
 * node some received proof revealed, or a proof the rebuilt shreds carry,
 * goes through it. Returns RECOVERED, RECOVERY_FAILED, or -1 when some node
 * needed is unknown and under a lost parity shard (the caller falls back
 * to rebuilding every shard). */
static int
recover_fast(sof_resolver_t *r, setbuf_t *sb, sof_resolver_out_t *out) {
  unsigned k = sb->k, m = sb->m, n = k + m, d = sb->proof_cnt;
  if (d > 6 || n != (1U << d) || n < 2) return -1;
  sof_rs_t const *rs = rs_for(r, k, m);
  if (!rs) return -1;
  /* The missing data shards are rebuilt in place in the output shreds
   * (bytes [64, 64 + shard_sz)), where their leaves are hashed and their
   * trailers written: no copies. */
  uint8_t *shards[SOF_RESOLVER_SHARDS_MAX];
  uint8_t present[SOF_RESOLVER_SHARDS_MAX];
  unsigned miss[SOF_RESOLVER_SHARDS_MAX], miss_cnt = 0;
  for (unsigned i = 0; i < n; i++) {
    present[i] = (uint8_t)(i < k ? (sb->data_have >> i) & 1U : (sb->code_have >> (i - k)) & 1U);
    shards[i] = sb->shard[i];
    if (i < k && !present[i]) {
      shards[i] = r->outw[miss_cnt] + SOF_SHRED_SIGNATURE_SZ;
      miss[miss_cnt++] = i;
    }
  }
  /* work on a copy of the known tree: a failed attempt must not pollute it */
  uint64_t known[2] = {sb->tree_known[0], sb->tree_known[1]};
  static __thread uint8_t tree[2 * SOF_RESOLVER_SHARDS_MAX][20];
  memcpy(tree, sb->tree, sizeof tree);
#define HAS(h) ((known[(h) >> 6] >> ((h) & 63)) & 1U)
#define PUT(h, v) do { memcpy(tree[h], (v), 20); known[(h) >> 6] |= 1ULL << ((h) & 63); } while (0)
  /* The leaves to hash beyond the rebuilt ones (need): from each rebuilt
   * leaf up to the root, every sibling not known (no received proof
   * revealed it) is computed from its subtree, down to known nodes or
   * leaves. The nodes to compute (up): every ancestor of a rebuilt leaf
   * below the root, and the unknown nodes of those sibling subtrees. No
   * other: a node off those paths would only compare received proofs with
   * each other, which binds no rebuilt byte to the root (the root check
   * below does that, through the path). */
  uint8_t need[SOF_RESOLVER_SHARDS_MAX] = {0};
  unsigned const leaf0 = 1U << d;
  uint64_t up[2] = {0, 0};
  for (unsigned j = 0; j < miss_cnt; j++)
    for (unsigned hn = leaf0 + miss[j]; hn > 1; hn >>= 1) {
      need_subtree(known, hn ^ 1U, leaf0, need, up);
      if (hn >> 1 > 1) up[(hn >> 1) >> 6] |= 1ULL << ((hn >> 1) & 63);
    }
  for (unsigned j = 0; j < miss_cnt; j++) need[miss[j]] = 0; /* rebuilt, hashed below */
  for (unsigned i = 0; i < n; i++)
    if (need[i] && !present[i]) return -1; /* a lost parity shard's leaf: not rebuilt here */
  if (sof_rs_reconstruct(rs, shards, present, sb->shard_sz, 1)) return SOF_RESOLVER_RECOVERY_FAILED;
  /* the leaves, all in one batch: the missing data ones (shard || chained
   * root: the shred's bytes [64, proof_off), in place), and the needed
   * received ones: data in place too (the held shard is followed by the
   * shred's chained root) when that root is the set's, else, and code (its
   * 25 header bytes || shard || chained root), assembled in leafbuf */
  uint8_t lh[SOF_RESOLVER_SHARDS_MAX][32];
  uint8_t *lout[SOF_RESOLVER_SHARDS_MAX];
  void const *ldata[SOF_RESOLVER_SHARDS_MAX];
  size_t lsz[SOF_RESOLVER_SHARDS_MAX];
  unsigned lidx[SOF_RESOLVER_SHARDS_MAX], lcnt = 0;
  size_t len = sb->shard_sz + (sb->chained ? 32U : 0U);
  for (unsigned j = 0; j < miss_cnt; j++) {
    if (sb->chained) memcpy(r->outw[j] + SOF_SHRED_SIGNATURE_SZ + sb->shard_sz, sb->chained_root, 32);
    ldata[lcnt] = r->outw[j] + SOF_SHRED_SIGNATURE_SZ;
    lsz[lcnt] = len;
    lidx[lcnt++] = miss[j];
  }
  for (unsigned i = 0; i < n; i++) {
    if (!need[i]) continue;
    if (i < k && (!sb->chained || !memcmp(sb->shard[i] + sb->shard_sz, sb->chained_root, 32))) {
      ldata[lcnt] = sb->shard[i];
      lsz[lcnt] = len;
      lidx[lcnt++] = i;
      continue;
    }
    uint8_t *t = r->leafbuf[lcnt];
    size_t l = 0;
    if (i >= k) {
      code_header(sb, i - k, t);
      l = 25;
    }
    memcpy(t + l, sb->shard[i], sb->shard_sz);
    l += sb->shard_sz;
    if (sb->chained) {
      memcpy(t + l, sb->chained_root, 32);
      l += 32;
    }
    ldata[lcnt] = t;
    lsz[lcnt] = l;
    lidx[lcnt++] = i;
  }
  for (unsigned j = 0; j < lcnt; j++) lout[j] = lh[j];
  sof_merkle_leaf_batch(lout, ldata, lsz, lcnt);
  for (unsigned j = 0; j < lcnt; j++) {
    unsigned leaf_h = leaf0 + lidx[j];
    if (HAS(leaf_h) && memcmp(tree[leaf_h], lh[j], 20)) return SOF_RESOLVER_RECOVERY_FAILED;
    PUT(leaf_h, lh[j]);
  }
  uint8_t h[2][32];
  /* bottom-up, level by level: such a node, once both its children are
   * known, is computed (two at a time); one already known from a proof
   * must agree */
  for (unsigned lv = d; lv-- > 1;) {
    unsigned want[SOF_RESOLVER_SHARDS_MAX], want_cnt = 0;
    for (unsigned hp = 1U << lv; hp < (2U << lv); hp++)
      if (((up[hp >> 6] >> (hp & 63)) & 1U) && HAS(2 * hp) && HAS(2 * hp + 1)) want[want_cnt++] = hp;
    for (unsigned j = 0; j < want_cnt; j += 2) {
      unsigned cnt = j + 1 < want_cnt ? 2 : 1, a = want[j], b = want[j + cnt - 1];
      if (cnt == 2) sof_merkle_node_x2(h[0], tree[2 * a], tree[2 * a + 1], h[1], tree[2 * b], tree[2 * b + 1]);
      else          sof_merkle_node(h[0], tree[2 * a], tree[2 * a + 1]);
      for (unsigned c = 0; c < cnt; c++) {
        unsigned hp = want[j + c];
        if (HAS(hp) && memcmp(tree[hp], h[c], 20)) return SOF_RESOLVER_RECOVERY_FAILED;
        PUT(hp, h[c]);
      }
    }
  }
  if (!HAS(2) || !HAS(3)) return -1;
  sof_merkle_node(h[0], tree[2], tree[3]);
  if (memcmp(h[0], sb->root, 32)) return SOF_RESOLVER_RECOVERY_FAILED;

  out->cnt = 0;
  for (unsigned j = 0; j < miss_cnt; j++) {
    unsigned i = miss[j];
    uint8_t *p = r->outw[j]; /* shard and chained root already in place */
    size_t off = SOF_SHRED_SIGNATURE_SZ + len;
    memcpy(p, sb->sig, 64);
    for (unsigned l = 0; l < d; l++) {
      unsigned sib = ((1U << (d - l)) + (i >> l)) ^ 1U;
      if (!HAS(sib)) return -1; /* cannot happen in a complete tree filled from a valid root */
      memcpy(p + off, tree[sib], 20);
      off += 20;
    }
    if (sb->resigned) { memcpy(p + off, sb->retx_sig, 64); off += 64; }
    sof_shred_t s;
    if (off != SOF_SHRED_MERKLE_DATA_SZ || sof_shred_parse(&s, p, off, 0) || !s.is_data ||
        s.variant != sb->data_variant || s.slot != sb->slot || s.fec_set_idx != sb->fec ||
        s.idx != sb->fec + i)
      return SOF_RESOLVER_RECOVERY_FAILED;
    out->shred[out->cnt] = p;
    out->idx[out->cnt] = s.idx;
    out->cnt++;
  }
#undef HAS
#undef PUT
  memcpy(out->root, sb->root, 32);
  return SOF_RESOLVER_RECOVERED;
}

static int
done(sof_resolver_t *r, int result) {
  r->stats.result[result]++;
  return result;
}

static inline uint8_t
data_variant_of(uint8_t code_variant) {
  switch (code_variant & 0xF0) {
  case SOF_SHRED_TYPE_MERKLE_CODE:          return (uint8_t)(SOF_SHRED_TYPE_MERKLE_DATA | (code_variant & 0x0F));
  case SOF_SHRED_TYPE_MERKLE_CODE_CHAINED:  return (uint8_t)(SOF_SHRED_TYPE_MERKLE_DATA_CHAINED | (code_variant & 0x0F));
  default:                                  return (uint8_t)(SOF_SHRED_TYPE_MERKLE_DATA_RESIGNED | (code_variant & 0x0F));
  }
}

static inline uint8_t
code_variant_of(uint8_t data_variant) {
  switch (data_variant & 0xF0) {
  case SOF_SHRED_TYPE_MERKLE_DATA:          return (uint8_t)(SOF_SHRED_TYPE_MERKLE_CODE | (data_variant & 0x0F));
  case SOF_SHRED_TYPE_MERKLE_DATA_CHAINED:  return (uint8_t)(SOF_SHRED_TYPE_MERKLE_CODE_CHAINED | (data_variant & 0x0F));
  default:                                  return (uint8_t)(SOF_SHRED_TYPE_MERKLE_CODE_RESIGNED | (data_variant & 0x0F));
  }
}

int
sof_resolver_finished(sof_resolver_t const *r, uint64_t slot, uint32_t fec) {
  rec_t const *bk = bucket((sof_resolver_t *)r, slot, fec);
  for (unsigned w = 0; w < WAYS; w++)
    if (bk[w].state == REC_DONE && bk[w].slot == slot && bk[w].fec == fec) return 1;
  return 0;
}

/* Keeps shard pos of the set in buffer sb: a copy in the store, or a
 * reference to the caller's buffer. sz: the bytes to copy, shard_sz, or
 * for a chained data shred shard_sz + 32 (its chained root follows the
 * shard in the shred, and in the copy: its leaf then hashes in place;
 * within SHARD_SZ_MAX, as a data shred's proof takes >= 20 bytes more). */
static inline void
hold_shard(sof_resolver_t *r, setbuf_t *sb, unsigned pos, uint8_t const *bytes, size_t sz, void *ref) {
  if (r->refs.retain) {
    r->refs.retain(r->refs.ctx, ref);
    sb->shard[pos] = (uint8_t *)(uintptr_t)bytes; /* read only: RS writes missing shards elsewhere */
    sb->ref[pos] = ref;
  } else {
    uint8_t *dst = r->store + ((size_t)(sb - r->bufs) * SOF_RESOLVER_SHARDS_MAX + pos) * SHARD_SZ_MAX;
    memcpy(dst, bytes, sz);
    sb->shard[pos] = dst;
  }
}

/* Output shreds for the `cnt` data shreds a recovery rebuilds (r->outw,
 * out->ref): the resolver's own, or the caller's (alloc). 0 on success; -1
 * when the caller had none (anything taken is given back, counted). */
static int
take_out(sof_resolver_t *r, unsigned cnt, sof_resolver_out_t *out) {
  for (unsigned j = 0; j < cnt; j++) {
    if (!r->refs.retain) {
      r->outw[j] = r->out_shreds[j];
      out->ref[j] = NULL;
      continue;
    }
    r->outw[j] = r->refs.alloc(r->refs.ctx, SOF_SHRED_MERKLE_DATA_SZ, &out->ref[j]);
    if (!r->outw[j]) {
      while (j--) r->refs.release(r->refs.ctx, out->ref[j]);
      r->stats.out_no_buf++;
      return -1;
    }
  }
  return 0;
}

/* Gives back the output shreds of a recovery that emitted nothing. */
static void
drop_out(sof_resolver_t *r, unsigned cnt, sof_resolver_out_t *out) {
  if (r->refs.retain)
    for (unsigned j = 0; j < cnt; j++) r->refs.release(r->refs.ctx, out->ref[j]);
  out->cnt = 0;
}

int
sof_resolver_add(sof_resolver_t *r, void const *payload, sof_shred_t const *s, uint8_t const root[32],
                 uint8_t const *leaf, uint64_t now_ns, sof_resolver_out_t *out) {
  return sof_resolver_add_ref(r, payload, s, root, leaf, now_ns, NULL, out);
}

int
sof_resolver_add_ref(sof_resolver_t *r, void const *payload_, sof_shred_t const *s, uint8_t const root[32],
                     uint8_t const *leaf, uint64_t now_ns, void *ref, sof_resolver_out_t *out) {
  uint8_t const *payload = payload_;
  out->cnt = 0;
  sweep_one(r, now_ns);

  if (!s->is_merkle) {
    if (!s->is_data) return done(r, SOF_RESOLVER_UNSUPPORTED);
    r->stats.legacy_passthrough++;
    return done(r, SOF_RESOLVER_DATA_NEW);
  }
  if (s->erasure_idx >= SOF_RESOLVER_SHARDS_MAX ||
      (!s->is_data && (unsigned)s->num_data + s->num_coding > SOF_RESOLVER_SHARDS_MAX)) {
    /* Too large a set to hold: data still flows, coding cannot help. */
    return done(r, s->is_data ? SOF_RESOLVER_DATA_NEW : SOF_RESOLVER_UNSUPPORTED);
  }

  rec_t *rec = find_or_claim(r, s->slot, s->fec_set_idx);
  if (!rec) return done(r, SOF_RESOLVER_NO_ROOM);
  if (r->refs.retain && !ref && rec->state != REC_DONE) /* nothing to hold it by */
    return done(r, s->is_data ? SOF_RESOLVER_DATA_NEW : SOF_RESOLVER_NO_ROOM);
  if (rec->state == REC_DONE) return done(r, SOF_RESOLVER_LATE);

  setbuf_t *sb;
  if (rec->state == REC_EMPTY) {
    uint32_t b = take_buf(r, s->slot);
    if (b == NONE) return done(r, SOF_RESOLVER_NO_ROOM);
    /* take_buf may have evicted a set whose record shares our bucket; ours
     * is still EMPTY and owned by this call. */
    sb = &r->bufs[b];
    memset(sb, 0, offsetof(setbuf_t, shard));
    sb->rec = (uint32_t)(rec - r->recs);
    sb->slot = s->slot;
    sb->fec = s->fec_set_idx;
    sb->opened_ns = now_ns;
    sb->version = s->version;
    sb->proof_cnt = s->proof_cnt;
    sb->chained = s->is_chained;
    sb->resigned = s->is_resigned;
    sb->data_variant = s->is_data ? s->variant : data_variant_of(s->variant);
    sb->code_variant = s->is_data ? code_variant_of(s->variant) : s->variant;
    sb->shard_sz = s->erasure_sz;
    if (root) memcpy(sb->root, root, 32);
    else if (sof_shred_merkle_root(sb->root, payload, s)) { /* trusted: once per set */
      sb->rec = NONE; /* not attached yet: straight back to the pool */
      r->free_bufs[r->free_cnt++] = b;
      return done(r, SOF_RESOLVER_MISMATCH);
    }
    memcpy(sb->sig, payload, 64);
    if (s->is_chained) memcpy(sb->chained_root, payload + s->chained_root_off, 32);
    if (s->is_resigned) memcpy(sb->retx_sig, payload + s->retx_sig_off, 64);
    rec->state = REC_OPEN;
    rec->buf = b;
    r->stats.sets_opened++;
  } else {
    sb = &r->bufs[rec->buf];
    /* Same set, same signed root, same layout: else a second version
     * (equivocation) or an inconsistent shred: keep the first. */
    if ((root && memcmp(sb->root, root, 32)) || sb->shard_sz != s->erasure_sz || sb->version != s->version ||
        (s->is_data ? s->variant != sb->data_variant : s->variant != sb->code_variant))
      return done(r, SOF_RESOLVER_MISMATCH);
  }
  sb->used_seq = ++r->seq;

  int result;
  if (s->is_data) {
    unsigned i = s->erasure_idx;
    if (sb->k && i >= sb->k) return done(r, SOF_RESOLVER_MISMATCH);
    if ((sb->data_have >> i) & 1U) return done(r, SOF_RESOLVER_DATA_DUP);
    hold_shard(r, sb, i, payload + s->erasure_off, sb->shard_sz + (sb->chained ? 32U : 0U), ref);
    if (leaf) {
      memcpy(sb->leaf[i], leaf, 32);
      sb->leaf_have |= 1ULL << i;
    }
    tree_record(sb, payload, s, i, leaf);
    sb->data_have |= 1ULL << i;
    sb->data_cnt++;
    result = SOF_RESOLVER_DATA_NEW;
  } else {
    if (!sb->k) {
      /* k, m now known: data shreds already held must fit below k. */
      if (sb->data_have >> s->num_data) return done(r, SOF_RESOLVER_MISMATCH);
      sb->k = s->num_data;
      sb->m = s->num_coding;
      sb->first_code_idx = s->idx - s->position;
    } else if (sb->k != s->num_data || sb->m != s->num_coding ||
               sb->first_code_idx != s->idx - s->position) {
      return done(r, SOF_RESOLVER_MISMATCH);
    }
    unsigned j = s->position;
    if ((sb->code_have >> j) & 1U) return done(r, SOF_RESOLVER_CODE_DUP);
    if (sb->data_cnt == sb->k) { /* all data was already in: nothing to do */
      finish_set(r, rec);
      return done(r, SOF_RESOLVER_LATE);
    }
    hold_shard(r, sb, sb->k + j, payload + s->erasure_off, sb->shard_sz, ref);
    if (leaf) {
      memcpy(sb->leaf[sb->k + j], leaf, 32);
      sb->leaf_have |= 1ULL << (sb->k + j);
    }
    tree_record(sb, payload, s, sb->k + j, leaf);
    sb->code_have |= 1ULL << j;
    sb->code_cnt++;
    result = SOF_RESOLVER_CODE_STORED;
  }

  if (sb->k && sb->data_cnt == sb->k) { /* every data shred arrived: no RS work */
    finish_set(r, rec);
    return done(r, result);
  }
  if (sb->k && sb->code_cnt && sb->data_cnt + sb->code_cnt >= sb->k) {
    unsigned miss_cnt = sb->k - sb->data_cnt;
    if (take_out(r, miss_cnt, out)) return done(r, result); /* no output memory: retried with the next shred */
    result = recover_fast(r, sb, out);
    if (result < 0) {
      r->stats.recover_full++;
      result = recover(r, sb, out);
    }
    if (result == SOF_RESOLVER_RECOVERED) {
      r->stats.sets_recovered++;
      r->stats.shreds_recovered += out->cnt;
      for (uint32_t j = 0; j < out->cnt; j++) out->shred[j] = r->outw[j];
    } else {
      drop_out(r, miss_cnt, out);
    }
    if (result == SOF_RESOLVER_RECOVERED) {
      finish_set(r, rec);
    } else { /* the set cannot be trusted: drop it and what follows of it */
      release_buf(r, rec);
      rec->state = REC_DONE;
    }
    return done(r, result);
  }
  return done(r, result);
}
