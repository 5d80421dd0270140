/* sofd_fec.c: the fec role, one instance (shard) per [topology] fec
 * lcore entry, polled by its lcore; shard i takes the rx_fec.i ring (the
 * slots with slot % shards == i, from every rx instance).
 *
 * Per burst (sofd_fec_poll): flush the held messages, then per shred
 * (fec_one) announce a new slot / its parent (SOFD_MSG_SLOT), run the FEC
 * resolver and reassembly on the mbuf rx parsed (sof_ingest: no copy, the
 * mbufs are held by reference), and advance the inline walker. A complete
 * entry batch is assembled into a block of the shard's dataset pool
 * (fec_batch_sink, fec_on_batch: the one copy of its payload) and goes to
 * extract as SOFD_MSG_DATASET; transactions found early go as
 * SOFD_MSG_INLINE.
 *
 * Contract: state (sofd_fec_inst_t, sofd_pipe_int.h) is written by its lcore
 * only; counters are read racily by other threads. Dataset blocks are
 * allocated here and released wherever their last reference goes
 * (dispatch, the plugin host). No allocation other than from the
 * preallocated pools, no lock, log line or system call per shred. */
#include "sofd_pipe_int.h"

#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "wire/sof_txn.h"

/* The resolver and the reassembler hold received shreds by mbuf reference
 * (no copies); rebuilt shreds get mbufs of the packet pool. */
static void
mbuf_retain(void *ctx, void *ref) {
  (void)ctx;
  rte_mbuf_refcnt_update(ref, 1);
}

static void
mbuf_release(void *ctx, void *ref) {
  (void)ctx;
  rte_pktmbuf_free(ref);
}

static uint8_t *
mbuf_alloc(void *ctx, uint32_t bytes, void **ref) {
  sofd_pipe_t *p = ctx;
  struct rte_mbuf *m = rte_pktmbuf_alloc(p->pool);
  if (unlikely(!m)) return NULL;
  uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)bytes);
  if (unlikely(!d)) {
    rte_pktmbuf_free(m);
    return NULL;
  }
  *ref = m;
  return d;
}

/* ---- back-pressure -----------------------------------------------------------------
 * A complete, verified dataset is the most expensive thing to lose, so fec
 * keeps SOFD_FEC_RESERVE blocks of reserve_sz bytes aside and takes shreds
 * off rx_fec only while it holds all of them (and fec_extract has room).
 * When the pool runs dry mid-burst, the datasets that burst completes go
 * into reserve blocks; the next poll cannot refill the reserve and holds:
 * the shreds wait in rx_fec (a replay input waits too, sofd_rx.c; a live
 * one drops there, counted ring_full, or in the NIC / kernel) until
 * dispatch and the plugin host give blocks back. A hold is given up only
 * when no block can come back: fec runs as without back-pressure, counting
 * what the pool cannot take, until the reserve is full again. "No block
 * can come back" is judged by the downstream, not by wall time alone (a
 * consumer starved of CPU by other processes is slow, not stuck): no
 * block came back for SOFD_FEC_STALL_MS during which the downstream was
 * quiet throughout (fec_extract and extract_dispatch empty, no event queued
 * on or taken by a plugin lane, and extract and dispatch each completed a
 * poll since it turned quiet, so neither holds a dequeued burst): the
 * blocks in use are then held where only new input could free them
 * (commitment waits, [host] hold_waiting; a plugin's own queue). A hold
 * in which no block comes back for SOFD_FEC_STUCK_MS is given up whatever
 * is in flight (a plugin stuck in a callback: its lane never empties). */

/* A block for `need` bytes: from the pool, else a reserve block that fits;
 * NULL when neither has one. Grows the reserve size to the largest request,
 * up to reserve_sz_max (its smaller blocks go back, the next poll takes
 * larger ones). */
static inline void *
fec_block(sofd_fec_inst_t *f, uint64_t need) {
  if (unlikely(need > f->reserve_sz && f->reserve_sz < f->reserve_sz_max)) {
    uint64_t sz = f->reserve_sz;
    while (sz < need && sz < f->reserve_sz_max) sz *= 2;
    f->reserve_sz = (uint32_t)sz;
    for (unsigned k = 0; k < f->reserve_n; k++) sof_bpool_release(f->reserve[k]);
    f->reserve_n = 0;
  }
  void *b = sof_bpool_alloc(f->pool, need);
  if (likely(b != NULL)) return b;
  for (unsigned k = f->reserve_n; k-- > 0;) {
    if (sof_bpool_block_sz(f->reserve[k]) < need) continue;
    b = f->reserve[k];
    f->reserve[k] = f->reserve[--f->reserve_n];
    f->bp_reserve_used++;
    return b;
  }
  return NULL;
}

/* Refill the reserve; 1 when it is full (fec may take shreds). Called per
 * poll only while the reserve is short: a pool allocation per missing
 * block, no system call. */
static int
fec_reserve_fill(sofd_fec_inst_t *f) {
  unsigned n0 = f->reserve_n;
  while (f->reserve_n < SOFD_FEC_RESERVE) {
    void *b = sof_bpool_alloc(f->pool, f->reserve_sz);
    if (!b) break;
    f->reserve[f->reserve_n++] = b;
  }
  if (f->reserve_n > n0) f->bp_progress_tsc = f->bp_block_tsc = 0; /* a block came back: the clocks restart */
  if (f->reserve_n == SOFD_FEC_RESERVE) f->bp_bypass = 0;
  return f->reserve_n == SOFD_FEC_RESERVE;
}

/* The downstream is quiet: nothing in flight that a running consumer turns
 * into a block back (see above). Tracks extract's and dispatch's polls from
 * the held poll that first saw the rings and lanes empty; reads the other
 * lcores' counters racily (an aligned 64-bit load; a stale value only
 * delays the verdict). */
static int
fec_downstream_quiet(sofd_fec_inst_t *f) {
  struct sofd_pipe const *p = f->pipe;
  if (rte_ring_count(p->fec_extract) || rte_ring_count(p->extract_dispatch) ||
      (p->host && !sof_host_lanes_empty(p->host))) {
    f->bp_quiet = 0;
    return 0;
  }
  sofd_activity_t const *e = &p->extract->act, *d = &p->dispatch->act;
  uint64_t ep = __atomic_load_n(&e->busy_polls, __ATOMIC_RELAXED) + __atomic_load_n(&e->idle_polls, __ATOMIC_RELAXED);
  uint64_t dp = __atomic_load_n(&d->busy_polls, __ATOMIC_RELAXED) + __atomic_load_n(&d->idle_polls, __ATOMIC_RELAXED);
  if (!f->bp_quiet) {
    f->bp_quiet = 1;
    f->bp_ext_polls = ep;
    f->bp_disp_polls = dp;
    return 0;
  }
  return ep != f->bp_ext_polls && dp != f->bp_disp_polls;
}

/* A poll that takes no shred for back-pressure: counted, timed. Returns 1
 * to hold, 0 when a pool hold is given up (see above). */
static int
fec_hold(sofd_fec_inst_t *f, int pool) {
  uint64_t now = rte_rdtsc();
  if (!f->bp_since) f->bp_since = now;
  if (pool) {
    /* progress: a block came back to the pool (any class; the reserve
     * fills only from its own size up) */
    uint64_t used = sof_bpool_in_use(f->pool);
    if (used < f->bp_in_use) f->bp_progress_tsc = f->bp_block_tsc = 0;
    f->bp_in_use = used;
    /* the stall clock runs only while the downstream is quiet */
    if (!fec_downstream_quiet(f)) f->bp_progress_tsc = 0;
    if (!f->bp_progress_tsc) f->bp_progress_tsc = now;
    if (!f->bp_block_tsc) f->bp_block_tsc = now;
    if (now - f->bp_progress_tsc >= f->bp_stall_cycles || now - f->bp_block_tsc >= f->bp_stuck_cycles) {
      f->bp_gave_up++;
      f->bp_bypass = 1;
      f->bp_progress_tsc = f->bp_block_tsc = 0;
      f->bp_quiet = 0;
      return 0;
    }
    f->bp_polls_pool++;
  } else {
    f->bp_polls_out++;
  }
  return 1;
}

static inline void
fec_hold_end(sofd_fec_inst_t *f) {
  if (likely(!f->bp_since)) return;
  f->bp_cycles += rte_rdtsc() - f->bp_since;
  f->bp_since = 0;
  f->bp_progress_tsc = f->bp_block_tsc = 0;
  f->bp_quiet = 0;
}

/* The reassembler's batch sink: each complete batch is assembled straight
 * from the held mbufs into a new block of the shard's dataset pool (the one
 * copy of its payload: extract, dispatch and the plugin host point into
 * it); the block's header is filled by fec_on_batch, which runs right
 * after. */
static uint8_t *
fec_batch_sink(void *ctx, size_t bytes) {
  sofd_fec_inst_t *f = ctx;
  uint32_t ref_cap = (uint32_t)(bytes / SOF_TXN_MIN_SZ + 1);
  uint64_t need = sizeof(sofd_dataset_t) + (uint64_t)ref_cap * sizeof(sof_ev_txn_ref_t) + bytes;
  sofd_dataset_t *d = fec_block(f, need);
  f->pending = d;
  if (!d) {
    f->arena_full++;
    return NULL;
  }
  d->ref_cap = ref_cap;
  d->refs = (sof_ev_txn_ref_t *)(d + 1);
  d->payload = (uint8_t *)(d->refs + ref_cap);
  return d->payload;
}

static void fec_on_inline(void *ctx, sof_inline_txn_t const *t);

static void
fec_on_batch(void *ctx, sof_reasm_batch_t const *b) {
  sofd_fec_inst_t *f = ctx;
  sofd_dataset_t *d = f->pending;
  f->pending = NULL;
  if (unlikely(!d || d->payload != b->payload)) return; /* cannot happen: the sink ran just before */
  d->slot = b->slot;
  d->parent = b->parent;
  d->rx_tsc = f->cur_rx_tsc;
  unsigned h = (unsigned)(b->slot % SOFD_SLOTSEEN_SZ);
  d->first_shred_tsc = f->seen[h].slot == b->slot ? f->seen[h].first_tsc : 0;
  d->start_idx = b->start_idx;
  d->end_idx = b->end_idx;
  d->shred_cnt = b->shred_cnt;
  d->recovered_cnt = b->recovered_cnt;
  d->last_in_slot = b->last_in_slot;
  d->slot_complete = b->slot_complete;
  d->has_blockhash = 0;
  d->decode_err = 0;
  /* the transactions the inline walk had not reached (the completing
   * shred's) go out inline now, ahead of their dataset */
  if (f->inl)
    sof_inline_batch_finish(f->inl, b->slot, b->start_idx, b->payload, (uint32_t)b->payload_sz, fec_on_inline, f);
  d->inline_done = f->inl ? sof_inline_batch_done(f->inl, b->slot, b->start_idx, b->end_idx) : 0;
  d->payload_sz = b->payload_sz;
  d->txn_cnt = d->entry_cnt = 0;
  sofd_msg_t m = {.kind = SOFD_MSG_DATASET, .shard = f->shard, .slot = b->slot,
                  .arg = (uint64_t)(uintptr_t)d, .tsc = f->cur_rx_tsc};
  if (!sofd_outq_put(&f->out, &m)) {
    sof_bpool_release(d);
    return;
  }
  if (b->slot_complete) {
    sofd_msg_t c = {.kind = SOFD_MSG_SLOT_COMPLETE, .shard = f->shard, .slot = b->slot, .tsc = f->cur_rx_tsc};
    sofd_outq_put(&f->out, &c);
  }
}

/* A transaction complete in the prefix of a batch still in reassembly: one
 * small pool block (header + its bytes, the one copy) to dispatch, in order
 * with the shard's datasets. */
static void
fec_on_inline(void *ctx, sof_inline_txn_t const *t) {
  sofd_fec_inst_t *f = ctx;
  sofd_dataset_t *d = fec_block(f, sizeof(sofd_dataset_t) + sizeof(sof_ev_txn_ref_t) + t->sz);
  if (!d) {
    f->inline_arena_full++;
    return;
  }
  unsigned h = (unsigned)(t->slot % SOFD_SLOTSEEN_SZ);
  d->slot = t->slot;
  d->parent = SOF_SLOT_UNKNOWN;
  d->rx_tsc = f->cur_rx_tsc;
  d->first_shred_tsc = f->seen[h].slot == t->slot ? f->seen[h].first_tsc : 0;
  d->start_idx = t->batch_start;
  d->end_idx = t->batch_start;
  d->shred_cnt = d->recovered_cnt = 0;
  d->last_in_slot = d->slot_complete = d->has_blockhash = 0;
  d->decode_err = 0;
  d->inline_done = t->idx_in_batch;   /* its index among the batch's transactions */
  d->payload_sz = t->sz;
  d->ref_cap = 1;
  d->txn_cnt = 1;
  d->entry_cnt = 0;
  d->refs = (sof_ev_txn_ref_t *)(d + 1);
  d->payload = (uint8_t *)(d->refs + 1);
  d->refs[0] = (sof_ev_txn_ref_t){.off = 0, .sz = (uint16_t)t->sz, .kind = t->t->kind, .entry_idx = t->entry_idx};
  memcpy(d->payload, t->bytes, t->sz);
  sofd_msg_t m = {.kind = SOFD_MSG_INLINE, .shard = f->shard, .slot = t->slot,
                  .arg = (uint64_t)(uintptr_t)d, .tsc = f->cur_rx_tsc};
  if (!sofd_outq_put(&f->out, &m)) {
    sof_bpool_release(d);
    return;
  }
  f->inline_txns++;
}

static inline void
fec_one(sofd_fec_inst_t *f, struct rte_mbuf *m) {
  sofd_meta_t const *meta = rte_mbuf_to_priv(m);
  uint8_t const *payload = rte_pktmbuf_mtod(m, uint8_t const *) + meta->payload_off;
  sof_shred_t const s = meta->shred; /* parsed by rx */
  /* announce the slot (and its parent) to the fork tracker before any
   * dataset of it */
  unsigned h = (unsigned)(s.slot % SOFD_SLOTSEEN_SZ);
  int is_new = f->seen[h].slot != s.slot;
  if (is_new || (s.is_data && !f->seen[h].parent_sent)) {
    if (is_new) {
      f->seen[h].slot = s.slot;
      f->seen[h].first_tsc = meta->rx_tsc;
      f->seen[h].parent_sent = 0;
    }
    uint64_t parent = SOF_SLOT_UNKNOWN;
    if (s.is_data && s.parent_off <= s.slot) {
      parent = s.slot - s.parent_off;
      f->seen[h].parent_sent = 1;
    }
    sofd_msg_t sm = {.kind = SOFD_MSG_SLOT, .shard = f->shard, .slot = s.slot, .arg = parent,
                     .tsc = meta->rx_tsc};
    sofd_outq_put(&f->out, &sm);
    f->slot_msgs++;
  }
  sof_verify_info_t vi;
  vi.root_valid = meta->root_valid;
  vi.leaf_valid = meta->leaf_valid;
  vi.conflict = meta->conflict;
  vi.parse_err = 0;
  vi.cached = 0;
  if (meta->root_valid) memcpy(vi.root, meta->root, 32);
  if (meta->leaf_valid) memcpy(vi.leaf, meta->leaf, 32);
  f->cur_rx_tsc = meta->rx_tsc;
  sof_ingest_result_t res;
  uint64_t race_mark = sofd_race_fec_mark(f->race, f->ing); /* feed race */
  sof_ingest_shred_checked(f->ing, payload, &s, meta->verify, &vi, m, &res);
  /* feed race: a set completed with this shred: its source completed it first */
  sofd_race_fec_done(f->race, f->ing, race_mark, meta->src_ip, meta->src_port, s.slot);
  /* a data shred (received, or rebuilt by this one) may extend a batch's
   * contiguous prefix */
  if (f->inl && res.fate == SOF_INGEST_ACCEPTED &&
      (res.resolver == SOF_RESOLVER_DATA_NEW || res.resolver == SOF_RESOLVER_RECOVERED))
    sof_inline_advance(f->inl, sof_ingest_reasm(f->ing), s.slot, fec_on_inline, f);
}

unsigned
sofd_fec_poll(sofd_fec_inst_t *f) {
  sofd_outq_flush(&f->out);
  /* room for what a burst can emit (per shred: a slot message, two
   * datasets, a completion) */
  unsigned room = SOFD_STASH_MAX - f->out.stash_n;
  if (f->out.stash_n && room < 4 * SOFD_MSG_BURST) {
    if (rte_ring_count(f->in)) fec_hold(f, 0); /* held back, not idle */
    return 0;
  }
  /* the pool ran dry: no shred until the reserve is full again */
  if (unlikely(f->reserve_n < SOFD_FEC_RESERVE) && !fec_reserve_fill(f) && !f->bp_bypass &&
      rte_ring_count(f->in) && fec_hold(f, 1))
    return 0;
  fec_hold_end(f);
  struct rte_mbuf *m[SOFD_MSG_BURST];
  unsigned n = rte_ring_dequeue_burst(f->in, (void **)m, SOFD_MSG_BURST, NULL);
  for (unsigned i = 0; i < n; i++) {
    if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(m[i + 1], void *));
    fec_one(f, m[i]);
    rte_pktmbuf_free(m[i]);
  }
  f->act.processed += n;
  return n;
}

/* ---- setup (main thread) ---------------------------------------------------------- */

void
sofd_fec_refs_init(sofd_pipe_t *p) {
  p->shred_refs = (sof_shred_refs_t){.retain = mbuf_retain, .release = mbuf_release, .alloc = mbuf_alloc,
                                     .ctx = p};
}

int
sofd_fec_init(sofd_pipe_t *p, sofd_fec_inst_t *f, int want_inline) {
  sofd_cfg_t const *c = p->cfg;
  for (unsigned k = 0; k < SOFD_SLOTSEEN_SZ; k++) f->seen[k].slot = UINT64_MAX;
  if (!(f->verify = sofd_make_verify(c, p->leaders, p->shared))) return -1;
  sof_ingest_cfg_t ic;
  sof_ingest_cfg_default(&ic);
  ic.verify = f->verify;
  ic.resolver.set_records = c->fec_set_records;
  ic.resolver.set_buffers = c->fec_set_buffers;
  ic.reasm.slots_max = c->reasm_slots;
  ic.reasm.chunks = c->reasm_chunks;
  ic.resolver.refs = &p->shred_refs;
  ic.reasm.refs = &p->shred_refs;
  ic.on_raw_batch = fec_on_batch;
  ic.ctx = f;
  ic.window = &c->window; /* its tables keep room for the current slots */
  char err[256];
  if (!(f->ing = sof_ingest_new(&ic, err, sizeof err))) {
    fprintf(stderr, "sofd: [fec]: %s\n", err);
    return -1;
  }
  sof_ingest_set_batch_sink(f->ing, fec_batch_sink, f);
  if (want_inline && !(f->inl = sof_inline_new(64, err, sizeof err))) {
    fprintf(stderr, "sofd: [fec]: %s\n", err);
    return -1;
  }
  f->bp_stall_cycles = rte_get_tsc_hz() * SOFD_FEC_STALL_MS / 1000;
  f->bp_stuck_cycles = rte_get_tsc_hz() * SOFD_FEC_STUCK_MS / 1000;
  f->pipe = p;
  sof_bpool_cfg_t bc;
  sof_bpool_cfg_default(&bc);
  bc.bytes = c->arena_bytes;
  bc.min_block = 2048; /* an early (inline) transaction's block */
  bc.max_block = 16U << 20; /* the largest batch reassembly emits (8 MiB) with its refs */
  if (!(f->pool = sof_bpool_new(&bc, err, sizeof err))) {
    fprintf(stderr, "sofd: [fec] arena_mb: %s\n", err);
    return -1;
  }
  /* the reserve grows at most to the largest size the pool has twice
   * SOFD_FEC_RESERVE blocks of (counting larger classes): it can always
   * be refilled, and leaves as many blocks to the datasets */
  sof_bpool_stats_t st;
  sof_bpool_stats(f->pool, &st);
  uint32_t blocks = 0, rmax = st.classes ? st.class_sz[0] : 2048;
  for (unsigned k = st.classes; k-- > 0;) {
    blocks += st.class_blocks[k];
    if (blocks >= 2 * SOFD_FEC_RESERVE) {
      rmax = st.class_sz[k];
      break;
    }
  }
  f->reserve_sz_max = rmax;
  f->reserve_sz = RTE_MIN((uint32_t)SOFD_FEC_RESERVE_MIN, rmax);
  return 0;
}

void
sofd_fec_fini(sofd_fec_inst_t *f) {
  for (unsigned k = 0; k < f->reserve_n; k++) sof_bpool_release(f->reserve[k]);
  f->reserve_n = 0;
  sof_ingest_delete(f->ing); /* the mbufs it holds go back to the pool */
  sof_inline_delete(f->inl);
  sof_verify_delete(f->verify);
  sof_bpool_delete(f->pool);
  f->ing = NULL;
  f->inl = NULL;
  f->verify = NULL;
  f->pool = NULL;
}
