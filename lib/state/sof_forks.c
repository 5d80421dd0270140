/* sof_forks.c: the fork tracker (see sof_forks.h for the model).
 *
 * Layout: a direct-mapped table of slots_max nodes indexed by slot &
 * (slots_max - 1). Every tracked slot lies in (hi - slots_max, hi], so a
 * node's index is unique and "tracked" is node->slot == slot. Parent links
 * are slot numbers; a parent is present when its node holds that slot.
 *
 * Depths only ever grow (a late parent links a root; eviction keeps depths),
 * so after a structural change the new tip is the old tip or one of the
 * nodes whose depth changed: no scan of the table. The canonical chain is
 * kept as a CANON flag on its nodes; a tip change walks the new branch down
 * to the first CANON node (the common ancestor), clears the old branch above
 * it (orphans), then walks the new chain re-deriving statuses until it meets
 * a node that was canonical, stays FINALIZED and has nothing new below it. */
#include "state/sof_forks.h"

#include <stdlib.h>
#include <string.h>

#include "util/sof_errbuf.h"

#define NONE SOF_FORKS_SLOT_NONE
#define MIN_(a, b) ((a) < (b) ? (a) : (b))

#define F_LINKED   0x01U /* depth derives from a parent (kept when it is evicted) */
#define F_CANON    0x02U /* on the canonical chain */
#define F_COMPLETE 0x04U /* slot_complete seen */

typedef struct node {
  uint64_t slot;   /* NONE when the entry is free */
  uint64_t parent; /* NONE when unknown */
  uint32_t depth;
  uint8_t  status;
  uint8_t  flags;
  uint16_t pad_;
} node_t;

typedef struct trans {
  uint64_t slot;
  uint64_t parent;
  uint8_t  prev;
  uint8_t  status;
} trans_t;

struct sof_forks {
  sof_forks_cfg_t   cfg;
  uint64_t          mask;
  node_t           *node;
  uint64_t         *branch; /* scratch: new-branch slots, newest first (slots_max) */
  trans_t          *trans;  /* scratch: pending status transitions (2 * slots_max) */
  uint64_t          hi;     /* highest tracked slot; NONE when empty */
  sof_forks_marks_t marks;
  uint64_t          ext_conf; /* external commitment: highest confirmed slot reported (NONE: none) */
  uint64_t          ext_fin;  /* and finalized */
  uint32_t          ahead_streak;
  int               grew_below;  /* a canonical root got linked: re-walk the whole chain */
  sof_forks_reorg_t reorg;
  sof_forks_stats_t stats;
};

void
sof_forks_cfg_default(sof_forks_cfg_t *cfg) {
  cfg->slots_max       = 2048;
  cfg->confirmed_depth = 32;
  cfg->finalized_depth = 150;
  cfg->max_ahead       = 512;
  cfg->resync_after    = 4096;
  cfg->external_commitment = 0;
}

static void
clear_state(sof_forks_t *f) {
  for (uint64_t i = 0; i <= f->mask; i++) {
    f->node[i].slot   = NONE;
    f->node[i].parent = NONE;
    f->node[i].depth  = 0;
    f->node[i].status = SOF_FORKS_STATUS_NONE;
    f->node[i].flags  = 0;
  }
  f->hi              = NONE;
  f->marks.tip       = NONE;
  f->marks.confirmed = NONE;
  f->marks.finalized = NONE;
  f->ext_conf        = NONE;
  f->ext_fin         = NONE;
  f->ahead_streak    = 0;
  f->grew_below      = 0;
  f->stats.tracked   = 0;
}

sof_forks_t *
sof_forks_new(sof_forks_cfg_t const *cfg, char *err, size_t err_sz) {
  uint32_t w = cfg->slots_max;
  if (w < 16 || w > (1U << 20) || (w & (w - 1)) || cfg->finalized_depth < cfg->confirmed_depth ||
      !cfg->max_ahead || (uint64_t)cfg->max_ahead + cfg->finalized_depth >= w) {
    sof_errbuf_set(err, err_sz, "forks: need slots_max a power of two in [16, 2^20], "
                   "finalized_depth >= confirmed_depth, max_ahead >= 1 and "
                   "max_ahead + finalized_depth < slots_max");
    return NULL;
  }
  sof_forks_t *f = calloc(1, sizeof *f);
  if (!f) goto oom;
  f->cfg    = *cfg;
  f->mask   = w - 1;
  f->node   = malloc((size_t)w * sizeof *f->node);
  f->branch = malloc((size_t)w * sizeof *f->branch);
  f->trans  = malloc(2 * (size_t)w * sizeof *f->trans);
  if (!f->node || !f->branch || !f->trans) goto oom;
  clear_state(f);
  return f;
oom:
  sof_forks_delete(f);
  sof_errbuf_set(err, err_sz, "forks: out of memory");
  return NULL;
}

void
sof_forks_delete(sof_forks_t *f) {
  if (!f) return;
  free(f->node);
  free(f->branch);
  free(f->trans);
  free(f);
}

void
sof_forks_reset(sof_forks_t *f) {
  clear_state(f);
  memset(&f->stats, 0, sizeof f->stats);
}

static inline node_t *
lookup(sof_forks_t const *f, uint64_t slot) {
  if (slot == NONE) return NULL;
  node_t *n = &f->node[slot & f->mask];
  return n->slot == slot ? n : NULL;
}

static inline node_t *
parent_of(sof_forks_t const *f, node_t const *n) {
  return lookup(f, n->parent);
}

static void
emit_ev(sof_forks_t *f, sof_forks_emit_fn emit, void *ctx, int kind, uint64_t slot, uint64_t parent,
        int prev, int status, sof_forks_reorg_t const *reorg) {
  f->stats.events[kind]++;
  if (!emit) return;
  sof_forks_event_t ev = {
    .kind = kind, .status = status, .prev_status = prev, .slot = slot, .parent = parent,
    .marks = f->marks, .reorg = reorg,
  };
  emit(ctx, &ev);
}

/* (depth, slot) of a beats b's. */
static inline int
better(node_t const *a, node_t const *b) {
  return a->depth > b->depth || (a->depth == b->depth && a->slot > b->slot);
}

/* Re-derives depths of the tracked slots in (from, hi] (children have greater
 * slots than their parents, so one ascending pass suffices) and returns the
 * best (depth, slot) among best and the nodes whose depth changed. */
static node_t *
relink_above(sof_forks_t *f, uint64_t from, node_t *best) {
  for (uint64_t s = from + 1; s <= f->hi && s != NONE; s++) {
    node_t *n = &f->node[s & f->mask];
    if (n->slot != s || n->parent == NONE) continue;
    node_t *p = parent_of(f, n);
    if (!p) continue; /* root, or linked to an evicted parent: depth kept */
    uint32_t d = p->depth + 1;
    if (!(n->flags & F_LINKED) && (n->flags & F_CANON)) f->grew_below = 1;
    n->flags |= F_LINKED;
    if (d != n->depth) {
      n->depth = d;
      if (!best || better(n, best)) best = n;
    }
  }
  return best;
}

static inline void
push_trans(trans_t *t, uint32_t *cnt, node_t const *n, int status) {
  t[*cnt] = (trans_t){ .slot = n->slot, .parent = n->parent, .prev = n->status, .status = (uint8_t)status };
  (*cnt)++;
}

/* Moves the canonical chain to new_tip (a tracked node) and fills the
 * pending orphan (f->trans[0, *orph)) and chain (f->trans[w, w + *chain))
 * transitions, newest first. Returns 1 when the move is a reorg (f->reorg
 * filled). */
static int
refresh(sof_forks_t *f, node_t *new_tip, uint32_t *orph, uint32_t *chain) {
  uint64_t const w = f->mask + 1;
  trans_t *ot = f->trans, *ct = f->trans + w;
  *orph = *chain = 0;

  /* 1. The new branch: from the new tip down to the first canonical node. */
  uint32_t attached = 0;
  node_t *anc = new_tip;
  while (anc && !(anc->flags & F_CANON)) {
    f->branch[attached++] = anc->slot;
    anc = parent_of(f, anc);
  }
  uint64_t anc_slot = anc ? anc->slot : NONE;

  /* 2. The old branch above the common ancestor leaves the chain. */
  node_t *old_tip = lookup(f, f->marks.tip);
  int is_reorg = old_tip && old_tip != anc;
  if (is_reorg) {
    sof_forks_reorg_t *r = &f->reorg;
    r->old_tip = old_tip->slot;
    r->new_tip = new_tip->slot;
    r->common_ancestor = anc_slot;
    r->detached_cnt = 0;
    for (node_t *n = old_tip; n && n != anc && (n->flags & F_CANON); n = parent_of(f, n)) {
      n->flags &= (uint8_t)~F_CANON;
      if (r->detached_cnt < SOF_FORKS_REORG_LIST_MAX) r->detached[r->detached_cnt] = n->slot;
      r->detached_cnt++;
      if (n->status == SOF_FORKS_STATUS_FINALIZED) f->stats.finalized_reverted++;
      push_trans(ot, orph, n, SOF_FORKS_STATUS_ORPHANED);
      n->status = SOF_FORKS_STATUS_ORPHANED;
    }
    r->attached_cnt = attached;
    r->detached_len = r->detached_cnt < SOF_FORKS_REORG_LIST_MAX ? r->detached_cnt : SOF_FORKS_REORG_LIST_MAX;
    r->attached_len = attached < SOF_FORKS_REORG_LIST_MAX ? attached : SOF_FORKS_REORG_LIST_MAX;
    for (uint32_t i = 0; i < r->attached_len; i++) r->attached[i] = f->branch[r->attached_len - 1 - i];
    r->truncated = r->detached_cnt > r->detached_len || attached > r->attached_len;
    f->stats.reorgs++;
    f->stats.reorg_truncated += r->truncated;
    f->stats.orphaned += *orph;
  }

  /* 3. Statuses down the new chain. */
  uint32_t const d = new_tip->depth;
  int64_t const conf_d = d >= f->cfg.confirmed_depth ? (int64_t)(d - f->cfg.confirmed_depth) : -1;
  int64_t const fin_d  = d >= f->cfg.finalized_depth ? (int64_t)(d - f->cfg.finalized_depth) : -1;
  int const ext = f->cfg.external_commitment != 0;
  /* (slots above INT64_MAX compare as INT64_MAX: hostile values stay ordered) */
  int64_t const conf_k = ext ? (f->ext_conf == NONE ? -1 : (int64_t)MIN_(f->ext_conf, (uint64_t)INT64_MAX)) : conf_d;
  int64_t const fin_k = ext ? (f->ext_fin == NONE ? -1 : (int64_t)MIN_(f->ext_fin, (uint64_t)INT64_MAX)) : fin_d;
  uint64_t conf = NONE, fin = NONE;
  int const grew_below = f->grew_below;
  f->grew_below = 0;
  for (node_t *n = new_tip; n; ) {
    int was_canon = n->flags & F_CANON;
    n->flags |= F_CANON;
    /* the depth rule compares depths, external commitment slots */
    int64_t key = ext ? (int64_t)MIN_(n->slot, (uint64_t)INT64_MAX) : (int64_t)n->depth;
    int is_fin = key <= fin_k, is_conf = key <= conf_k;
    int want = is_fin ? SOF_FORKS_STATUS_FINALIZED : is_conf ? SOF_FORKS_STATUS_CONFIRMED : SOF_FORKS_STATUS_PROCESSED;
    if (conf == NONE && is_conf) conf = n->slot;
    if (fin == NONE && is_fin) fin = n->slot;
    node_t *p = parent_of(f, n);
    if (n->status != want) {
      if (n->status == SOF_FORKS_STATUS_ORPHANED) f->stats.unorphaned++;
      push_trans(ct, chain, n, want);
      n->status = (uint8_t)want;
    } else if (was_canon && want == SOF_FORKS_STATUS_FINALIZED && !grew_below) {
      /* Everything below was canonical and FINALIZED already, and stays so
       * (unless the chain's root got a parent: then walk to the new root). */
      break;
    }
    n = p;
  }
  f->marks.tip = new_tip->slot;
  f->marks.confirmed = conf;
  f->marks.finalized = fin;
  return is_reorg;
}

static void
emit_pending(sof_forks_t *f, sof_forks_emit_fn emit, void *ctx, uint32_t orph, uint32_t chain) {
  trans_t const *ot = f->trans, *ct = f->trans + f->mask + 1;
  for (uint32_t i = orph; i-- > 0; )
    emit_ev(f, emit, ctx, SOF_FORKS_EV_STATUS, ot[i].slot, ot[i].parent, ot[i].prev, ot[i].status, NULL);
  for (uint32_t i = chain; i-- > 0; )
    emit_ev(f, emit, ctx, SOF_FORKS_EV_STATUS, ct[i].slot, ct[i].parent, ct[i].prev, ct[i].status, NULL);
}

/* After a structural change to the tree: best is the best node among those
 * whose depth changed (or the new node); new_slot the inserted slot or
 * NONE. Moves the tip when needed and emits everything in order. */
static void
settle(sof_forks_t *f, node_t *best, uint64_t new_slot, uint32_t old_tip_depth,
       sof_forks_emit_fn emit, void *ctx) {
  node_t *tip = lookup(f, f->marks.tip);
  uint32_t orph = 0, chain = 0;
  int is_reorg = 0;
  if (!tip || (best && better(best, tip))) tip = best;
  if (tip && (tip->slot != f->marks.tip || tip->depth != old_tip_depth))
    is_reorg = refresh(f, tip, &orph, &chain);
  node_t *nn = lookup(f, new_slot);
  if (nn) emit_ev(f, emit, ctx, SOF_FORKS_EV_FIRST_SHRED, nn->slot, nn->parent, 0, 0, NULL);
  if (is_reorg)
    emit_ev(f, emit, ctx, SOF_FORKS_EV_REORG, f->reorg.new_tip, lookup(f, f->reorg.new_tip)->parent,
            0, 0, &f->reorg);
  if (nn && !(nn->flags & F_CANON)) {
    nn->status = SOF_FORKS_STATUS_PROCESSED;
    emit_ev(f, emit, ctx, SOF_FORKS_EV_STATUS, nn->slot, nn->parent, SOF_FORKS_STATUS_NONE,
            SOF_FORKS_STATUS_PROCESSED, NULL);
  }
  emit_pending(f, emit, ctx, orph, chain);
}

/* Drops the tracked slots below the window that ends at new_hi. */
static void
advance(sof_forks_t *f, uint64_t new_hi) {
  uint64_t const w = f->mask + 1;
  uint64_t old_lo = f->hi >= f->mask ? f->hi - f->mask : 0;
  uint64_t new_lo = new_hi >= f->mask ? new_hi - f->mask : 0;
  if (new_lo - old_lo > w) old_lo = new_lo - w; /* unreachable with the config bounds; cheap guard */
  for (uint64_t s = old_lo; s < new_lo; s++) {
    node_t *n = &f->node[s & f->mask];
    if (n->slot != s) continue;
    n->slot = NONE;
    n->parent = NONE;
    n->flags = 0;
    n->status = SOF_FORKS_STATUS_NONE;
    n->depth = 0;
    f->stats.slots_evicted++;
    f->stats.tracked--;
  }
  f->hi = new_hi;
}

static int
insert(sof_forks_t *f, uint64_t slot, uint64_t parent, sof_forks_emit_fn emit, void *ctx) {
  node_t *tip = lookup(f, f->marks.tip);
  uint32_t old_tip_depth = tip ? tip->depth : 0;
  if (f->hi == NONE) f->hi = slot;
  else if (slot > f->hi) advance(f, slot);
  node_t *n = &f->node[slot & f->mask];
  n->slot = slot;
  n->parent = parent;
  n->status = SOF_FORKS_STATUS_NONE;
  n->flags = 0;
  n->depth = 0;
  node_t *p = parent_of(f, n);
  if (p) {
    n->depth = p->depth + 1;
    n->flags = F_LINKED;
  }
  f->stats.tracked++;
  node_t *best = relink_above(f, slot, n);
  settle(f, best, slot, old_tip_depth, emit, ctx);
  return SOF_FORKS_NEW_SLOT;
}

static int
shred_slow(sof_forks_t *f, uint64_t slot, uint64_t parent, sof_forks_emit_fn emit, void *ctx) {
  if (slot == NONE) return SOF_FORKS_BAD_SLOT;
  if (parent != NONE && parent >= slot) {
    if (slot) f->stats.bad_parent++; /* slot 0 (genesis) names itself */
    parent = NONE;
  }
  node_t *n = lookup(f, slot);
  if (n) {
    f->ahead_streak = 0;
    if (parent == NONE || parent == n->parent) return SOF_FORKS_KNOWN;
    if (n->parent != NONE) return SOF_FORKS_CONFLICT;
    node_t *tip = lookup(f, f->marks.tip);
    uint32_t old_tip_depth = tip->depth;
    n->parent = parent;
    node_t *best = NULL;
    node_t *p = parent_of(f, n);
    if (p) {
      n->depth = p->depth + 1; /* from 0: an unlinked root */
      n->flags |= F_LINKED;
      if (n->flags & F_CANON) f->grew_below = 1;
      best = relink_above(f, slot, n);
    }
    settle(f, best, NONE, old_tip_depth, emit, ctx);
    return SOF_FORKS_PARENT;
  }
  if (f->hi != NONE) {
    uint64_t lo = f->hi >= f->mask ? f->hi - f->mask : 0;
    if (slot < lo) return SOF_FORKS_BEHIND;
    if (slot > f->marks.tip && slot - f->marks.tip > f->cfg.max_ahead) {
      if (!f->cfg.resync_after || ++f->ahead_streak < f->cfg.resync_after) return SOF_FORKS_AHEAD;
      f->stats.resyncs++;
      f->stats.resync_dropped += f->stats.tracked;
      clear_state(f);
      emit_ev(f, emit, ctx, SOF_FORKS_EV_RESYNC, slot, parent, 0, 0, NULL);
    }
  }
  f->ahead_streak = 0;
  return insert(f, slot, parent, emit, ctx);
}

int
sof_forks_shred(sof_forks_t *f, uint64_t slot, uint64_t parent, sof_forks_emit_fn emit, void *ctx) {
  node_t const *n = &f->node[slot & f->mask];
  int r;
  if (__builtin_expect(n->slot == slot && (parent == n->parent || parent == NONE) && slot != NONE, 1)) {
    f->ahead_streak = 0;
    r = SOF_FORKS_KNOWN;
  } else {
    r = shred_slow(f, slot, parent, emit, ctx);
  }
  f->stats.result[r]++;
  return r;
}

int
sof_forks_slot_complete(sof_forks_t *f, uint64_t slot, sof_forks_emit_fn emit, void *ctx) {
  node_t *n = lookup(f, slot);
  int r;
  if (!n) {
    r = SOF_FORKS_COMPLETE_UNKNOWN;
  } else if (n->flags & F_COMPLETE) {
    r = SOF_FORKS_COMPLETE_DUP;
  } else {
    n->flags |= F_COMPLETE;
    emit_ev(f, emit, ctx, SOF_FORKS_EV_SLOT_COMPLETE, slot, n->parent, 0, 0, NULL);
    r = SOF_FORKS_COMPLETE_DONE;
  }
  f->stats.complete[r]++;
  return r;
}

int
sof_forks_commit(sof_forks_t *f, uint64_t slot, int status, sof_forks_emit_fn emit, void *ctx) {
  if (!f->cfg.external_commitment || slot == NONE ||
      (status != SOF_FORKS_STATUS_CONFIRMED && status != SOF_FORKS_STATUS_FINALIZED))
    return -1;
  int rose = 0;
  if (f->ext_conf == NONE || slot > f->ext_conf) { f->ext_conf = slot; rose = 1; }
  if (status == SOF_FORKS_STATUS_FINALIZED && (f->ext_fin == NONE || slot > f->ext_fin)) { f->ext_fin = slot; rose = 1; }
  if (!rose) {
    f->stats.commits_stale++;
    return 0;
  }
  f->stats.commits++;
  node_t *tip = lookup(f, f->marks.tip);
  if (!tip) return 1; /* nothing tracked yet: the statuses follow at insertion */
  uint32_t orph = 0, chain = 0;
  refresh(f, tip, &orph, &chain); /* the same tip: no reorg, only statuses */
  emit_pending(f, emit, ctx, orph, chain);
  return 1;
}

sof_forks_marks_t
sof_forks_marks(sof_forks_t const *f) {
  return f->marks;
}

int
sof_forks_slot_status(sof_forks_t const *f, uint64_t slot, uint64_t *parent_out, uint32_t *depth_out) {
  node_t const *n = lookup(f, slot);
  if (!n) return SOF_FORKS_STATUS_NONE;
  if (parent_out) *parent_out = n->parent;
  if (depth_out) *depth_out = n->depth;
  return n->status;
}

sof_forks_stats_t const *
sof_forks_stats(sof_forks_t const *f) {
  return &f->stats;
}

char const *
sof_forks_status_str(int v) {
  switch (v) {
#define SOF_FORKS_STR_(name, val, str) case (val): return str;
    SOF_FORKS_STATUS_LIST(SOF_FORKS_STR_)
    default: return "?";
  }
}

char const *
sof_forks_result_str(int v) {
  switch (v) {
    SOF_FORKS_RESULT_LIST(SOF_FORKS_STR_)
    default: return "?";
  }
}

char const *
sof_forks_complete_str(int v) {
  switch (v) {
    SOF_FORKS_COMPLETE_LIST(SOF_FORKS_STR_)
    default: return "?";
  }
}

char const *
sof_forks_event_str(int v) {
  switch (v) {
    SOF_FORKS_EVENT_LIST(SOF_FORKS_STR_)
#undef SOF_FORKS_STR_
    default: return "?";
  }
}
