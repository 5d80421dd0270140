/* sofd_dispatch.c: the dispatch role (one instance), polled by its lcore
 * (and, on an lcore that also runs rx, once more right after rx).
 *
 * Per burst (sofd_dispatch_poll): first the events ring (raw_packet /
 * shred hooks, one mbuf reference each, freed here), then the
 * extract_dispatch messages: SLOT / SLOT_COMPLETE feed the fork tracker
 * (slot status, reorgs, commitment marks; the leader context follows the
 * tip), DATASET / INLINE become the plugin host's dataset, recent
 * blockhash, transaction batch and transaction events; the dataset block's
 * reference is released here (the host holds its own per queued event).
 * The leader schedule snapshot goes out once, before any event.
 *
 * Contract: state (sofd_dispatch_inst_t) written by its lcore only; the
 * fork tracker's marks and the leader are read racily by the telemetry
 * and leaders threads (sofd_counters.c). The plugin host's producer side
 * is called from this lcore only. */
#include "sofd_pipe_int.h"

#include <rte_cycles.h>

#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include "wire/sof_txn.h"

static int
commitment_of(int forks_status) {
  switch (forks_status) {
  case SOF_FORKS_STATUS_CONFIRMED: return SOF_COMMITMENT_CONFIRMED;
  case SOF_FORKS_STATUS_FINALIZED: return SOF_COMMITMENT_FINALIZED;
  default: return SOF_COMMITMENT_PROCESSED;
  }
}

static int
slot_status_of(int forks_status) {
  switch (forks_status) {
  case SOF_FORKS_STATUS_PROCESSED: return SOF_SLOT_PROCESSED;
  case SOF_FORKS_STATUS_CONFIRMED: return SOF_SLOT_CONFIRMED;
  case SOF_FORKS_STATUS_FINALIZED: return SOF_SLOT_FINALIZED;
  case SOF_FORKS_STATUS_ORPHANED: return SOF_SLOT_ORPHANED;
  default: return SOF_SLOT_NONE;
  }
}

static sof_ev_marks_t
marks_of(sof_forks_marks_t m) {
  return (sof_ev_marks_t){.tip = m.tip, .confirmed = m.confirmed, .finalized = m.finalized};
}

typedef struct dispatch_ctx {
  sofd_pipe_t *p;
  sofd_dispatch_inst_t *x;
} dispatch_ctx_t;

static void
leader_context(sofd_pipe_t *p, sofd_dispatch_inst_t *x, uint64_t tip) {
  if (!p->leaders) return;
  uint8_t const *cur = sof_leaders_get(p->leaders, tip);
  uint8_t zero[32] = {0};
  if (!cur) cur = zero;
  if (x->has_leader && !memcmp(cur, x->leader, 32)) return;
  memcpy(x->leader, cur, 32);
  x->has_leader = 1;
  x->leader_slot = tip;
  x->leader_changes++;
  if (!sof_host_wants(p->host, SOF_HOOK_LEADER_SCHEDULE)) return;
  sof_ev_leader_schedule_t ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = SOF_LEADER_EV_CURRENT;
  ev.first_slot = tip;
  ev.leader_cnt = SOF_EV_LEADERS_MAX;
  for (unsigned i = 0; i < SOF_EV_LEADERS_MAX; i++) {
    uint8_t const *l = sof_leaders_get(p->leaders, tip + i);
    if (l) memcpy(ev.leaders[i], l, 32);
  }
  sof_host_publish_leader_schedule(p->host, &ev);
}

static void
on_forks_event(void *ctx, sof_forks_event_t const *fe) {
  dispatch_ctx_t *c = ctx;
  sofd_pipe_t *p = c->p;
  if (fe->kind == SOF_FORKS_EV_STATUS) {
    sof_ev_slot_status_t ev = {
      .slot = fe->slot, .parent = fe->parent, .prev_status = slot_status_of(fe->prev_status),
      .status = slot_status_of(fe->status), .marks = marks_of(fe->marks), .event = SOF_SLOT_EV_STATUS,
    };
    sof_host_publish_slot_status(p->host, &ev);
  } else if (fe->kind == SOF_FORKS_EV_FIRST_SHRED || fe->kind == SOF_FORKS_EV_SLOT_COMPLETE) {
    if (fe->kind == SOF_FORKS_EV_SLOT_COMPLETE) c->x->slots_complete++;
    if (sof_host_wants(p->host, SOF_HOOK_SLOT_STATUS)) {
      int st = sof_forks_slot_status(c->x->forks, fe->slot, NULL, NULL);
      /* a new slot's status is what the tracker made of it; the STATUS
       * events of this update follow */
      int status = st == SOF_FORKS_STATUS_NONE ? SOF_SLOT_PROCESSED : slot_status_of(st);
      sof_ev_slot_status_t ev = {
        .slot = fe->slot, .parent = fe->parent, .prev_status = status, .status = status,
        .marks = marks_of(fe->marks),
        .event = fe->kind == SOF_FORKS_EV_FIRST_SHRED ? SOF_SLOT_EV_FIRST_SHRED : SOF_SLOT_EV_COMPLETE,
      };
      sof_host_publish_slot_status(p->host, &ev);
    }
  } else if (fe->kind == SOF_FORKS_EV_REORG && fe->reorg) {
    sof_forks_reorg_t const *r = fe->reorg;
    sof_ev_reorg_t ev;
    ev.old_tip = r->old_tip;
    ev.new_tip = r->new_tip;
    ev.common_ancestor = r->common_ancestor;
    ev.detached_cnt = r->detached_cnt;
    ev.attached_cnt = r->attached_cnt;
    ev.detached_len = RTE_MIN(r->detached_len, SOF_EV_REORG_LIST_MAX);
    ev.attached_len = RTE_MIN(r->attached_len, SOF_EV_REORG_LIST_MAX);
    memcpy(ev.detached, r->detached, ev.detached_len * sizeof(uint64_t));
    memcpy(ev.attached, r->attached, ev.attached_len * sizeof(uint64_t));
    ev.marks = marks_of(fe->marks);
    sof_host_publish_reorg(p->host, &ev);
  }
  if (fe->marks.tip != c->x->last_tip && fe->marks.tip != SOF_FORKS_SLOT_NONE) {
    c->x->last_tip = fe->marks.tip;
    leader_context(p, c->x, fe->marks.tip);
  }
}

/* The plugin host references dataset blocks instead of copying from them:
 * one pool reference per queued event (sof_host_publish_*_held). */
static sof_host_hold_t const dataset_hold = {.retain = sof_bpool_retain, .release = sof_bpool_release};

static void
dispatch_dataset(sofd_pipe_t *p, sofd_dispatch_inst_t *x, sofd_dataset_t *d) {
  sof_host_t *h = p->host;
  x->datasets++;
  uint64_t parent;
  int st = sof_forks_slot_status(x->forks, d->slot, &parent, NULL);
  int commitment = commitment_of(st);
  sof_ev_marks_t marks = marks_of(sof_forks_marks(x->forks));
  sof_ev_time_t tm = {.rx_tsc = d->rx_tsc, .first_shred_tsc = d->first_shred_tsc};
  if (sof_host_wants(h, SOF_HOOK_DATASET)) {
    sof_ev_dataset_t ev = {
      .slot = d->slot, .parent = d->parent, .start_idx = d->start_idx, .end_idx = d->end_idx,
      .shred_cnt = d->shred_cnt, .recovered_cnt = d->recovered_cnt, .last_in_slot = d->last_in_slot,
      .decoded = d->decode_err == 0, .payload_sz = d->payload_sz, .entry_cnt = d->entry_cnt,
      .txn_cnt = d->txn_cnt, .time = tm,
    };
    sof_host_publish_dataset(h, &ev);
  }
  if (d->decode_err) return;
  if (d->has_blockhash && (!x->has_bh || d->slot > x->bh_slot) &&
      (!x->has_bh || memcmp(d->blockhash, x->bh, 32))) {
    memcpy(x->bh, d->blockhash, 32);
    x->bh_slot = d->slot;
    x->has_bh = 1;
    x->blockhash_changes++;
    sof_ev_recent_blockhash_t ev = {.slot = d->slot, .dataset_txn_cnt = d->txn_cnt};
    memcpy(ev.blockhash, d->blockhash, 32);
    sof_host_publish_recent_blockhash(h, &ev);
  }
  if (sof_host_wants(h, SOF_HOOK_TRANSACTION_BATCH)) {
    sof_ev_txn_batch_t ev = {
      .slot = d->slot, .commitment = commitment, .marks = marks, .dataset_start_idx = d->start_idx,
      .txn_cnt = d->txn_cnt, .txns = d->refs, .payload = d->payload, .payload_sz = d->payload_sz,
      .time = tm,
    };
    sof_host_publish_txn_batch_held(h, &ev, &dataset_hold, d);
  }
  if (sof_host_wants(h, SOF_HOOK_TRANSACTION) || sof_host_wants(h, SOF_HOOK_ACCOUNT_TOUCH)) {
    for (uint32_t i = 0; i < d->txn_cnt; i++) {
      sof_ev_txn_ref_t const *r = &d->refs[i];
      uint8_t const *bytes = d->payload + r->off;
      sof_txn_t t;
      if (unlikely(sof_txn_parse(&t, bytes, r->sz, NULL) != SOF_TXN_OK)) continue; /* parsed by extract */
      /* joined mode: skipped when the provider published it first */
      if (p->prov && sofd_provider_saw_txn(p->prov, bytes + t.sig_off, d->rx_tsc)) continue;
      sof_ev_txn_t ev = {
        .slot = d->slot, .commitment = commitment, .kind = t.kind, .path = SOF_TXN_PATH_DATASET,
        .marks = marks, .signature = bytes + t.sig_off, .bytes = bytes, .sz = r->sz, .txn = &t,
        .dataset_start_idx = d->start_idx, .entry_idx = r->entry_idx, .idx_in_dataset = i,
        .time = tm,
      };
      sof_host_publish_txn_held(h, &ev, i < d->inline_done ? SOF_HOST_TXN_INLINE_DONE : 0, &dataset_hold, d);
    }
  }
  x->txns += d->txn_cnt;
}

/* One transaction found early in a batch's prefix: to the inline-critical
 * subscribers now; its dataset, when complete, skips them for it. */
static void
dispatch_inline(sofd_pipe_t *p, sofd_dispatch_inst_t *x, sofd_dataset_t *d) {
  uint8_t const *bytes = d->payload;
  sof_txn_t t;
  if (unlikely(sof_txn_parse(&t, bytes, d->payload_sz, NULL) != SOF_TXN_OK)) return; /* parsed by fec */
  /* joined mode: skipped when the provider published it first */
  if (p->prov && sofd_provider_saw_txn(p->prov, bytes + t.sig_off, d->rx_tsc)) return;
  int st = sof_forks_slot_status(x->forks, d->slot, NULL, NULL);
  sof_ev_txn_t ev = {
    .slot = d->slot, .commitment = commitment_of(st), .kind = t.kind, .path = SOF_TXN_PATH_INLINE,
    .marks = marks_of(sof_forks_marks(x->forks)), .signature = bytes + t.sig_off, .bytes = bytes,
    .sz = d->payload_sz, .txn = &t, .dataset_start_idx = d->start_idx,
    .entry_idx = d->refs[0].entry_idx, .idx_in_dataset = d->inline_done,
    .time = {.rx_tsc = d->rx_tsc, .first_shred_tsc = d->first_shred_tsc},
  };
  sof_host_publish_txn_held(p->host, &ev, 0, &dataset_hold, d);
  x->inline_txns++;
}

static void
dispatch_event_mbuf(sofd_pipe_t *p, struct rte_mbuf *m) {
  sofd_meta_t const *meta = rte_mbuf_to_priv(m);
  uint8_t const *payload = rte_pktmbuf_mtod(m, uint8_t const *) + meta->payload_off;
  sof_ev_time_t tm = {.rx_tsc = meta->rx_tsc, .first_shred_tsc = 0};
  if (meta->events & SOFD_EV_RAW) {
    sof_ev_raw_packet_t ev = {.src_ip = meta->src_ip, .src_port = meta->src_port,
                              .dst_port = meta->dst_port, .payload = payload,
                              .sz = meta->payload_sz, .time = tm};
    sof_host_publish_raw_packet(p->host, &ev);
  }
  if (meta->events & SOFD_EV_SHRED) {
    sof_ev_shred_t ev = {.src_ip = meta->src_ip, .src_port = meta->src_port,
                         .dst_port = meta->dst_port, .payload = payload, .sz = meta->payload_sz,
                         .shred = &meta->shred, .verify = meta->verify, .time = tm};
    sof_host_publish_shred(p->host, &ev);
  }
  rte_pktmbuf_free(m);
}

/* The loaded schedule, once, before any event: leaders of the first
 * SOF_EV_LEADERS_MAX slots of the configured epoch and how many slots it
 * names. */
static void
leader_snapshot(sofd_pipe_t *p, sofd_dispatch_inst_t *x) {
  x->snapshot_sent = 1;
  if (!p->leaders || !sof_host_wants(p->host, SOF_HOOK_LEADER_SCHEDULE)) return;
  sof_ev_leader_schedule_t ev;
  memset(&ev, 0, sizeof ev);
  ev.kind = SOF_LEADER_EV_SNAPSHOT;
  ev.first_slot = p->cfg->epoch_first_slot;
  ev.leader_cnt = SOF_EV_LEADERS_MAX;
  ev.schedule_slots = p->cfg->leader_schedule_slots;
  for (unsigned i = 0; i < SOF_EV_LEADERS_MAX; i++) {
    uint8_t const *l = sof_leaders_get(p->leaders, ev.first_slot + i);
    if (l) memcpy(ev.leaders[i], l, 32);
  }
  sof_host_publish_leader_schedule(p->host, &ev);
}

/* Gossip's node set, about every 100 ms (sofd_pipe_set_topology). */
static void
topology_check(sofd_pipe_t *p, sofd_dispatch_inst_t *x, uint64_t now) {
  x->next_topo_tsc = now + p->hz / 10;
  sof_ev_cluster_topology_t ev;
  if (p->topo_take(p->topo_ctx, &ev.added, &ev.removed, &ev.total) == 1 &&
      sof_host_wants(p->host, SOF_HOOK_CLUSTER_TOPOLOGY))
    sof_host_publish_cluster_topology(p->host, &ev);
}

/* Gossip votes (sofd_pipe_set_votes): a bounded burst each turn. */
static unsigned
votes_take(sofd_pipe_t *p) {
  unsigned n = 0;
  sof_ev_gossip_vote_t const *v;
  while (n < SOFD_MSG_BURST && (v = p->vote_peek(p->vote_ctx)) != NULL) {
    sof_host_publish_gossip_vote(p->host, v);
    p->vote_pop(p->vote_ctx);
    n++;
  }
  return n;
}

unsigned
sofd_dispatch_poll(sofd_pipe_t *p, sofd_dispatch_inst_t *x) {
  if (unlikely(!x->snapshot_sent)) leader_snapshot(p, x);
  unsigned votes = p->vote_peek ? votes_take(p) : 0;
  if (p->topo_take) {
    uint64_t now = rte_rdtsc();
    if (unlikely(now >= x->next_topo_tsc)) topology_check(p, x, now);
  }
  /* shred and raw packet events first: one callback each, straight from
   * rx, they should not wait behind a dataset's transactions */
  unsigned e = 0;
  if (x->events) {
    struct rte_mbuf *mb[SOFD_MSG_BURST];
    e = rte_ring_dequeue_burst(x->events, (void **)mb, SOFD_MSG_BURST, NULL);
    for (unsigned i = 0; i < e; i++) dispatch_event_mbuf(p, mb[i]);
    x->events_in += e;
  }
  sofd_msg_t m[SOFD_MSG_BURST];
  dispatch_ctx_t ctx = {.p = p, .x = x};
  unsigned n = rte_ring_dequeue_burst_elem(x->in, m, sizeof(sofd_msg_t), SOFD_MSG_BURST, NULL);
  /* provider ingress (sofd_provider.h): its own ring, after the shreds' messages */
  if (p->prov_ring && n < SOFD_MSG_BURST)
    n += rte_ring_dequeue_burst_elem(p->prov_ring, m + n, sizeof(sofd_msg_t), SOFD_MSG_BURST - n, NULL);
  for (unsigned i = 0; i < n; i++) {
    switch (m[i].kind) {
    case SOFD_MSG_SLOT:
      x->slot_msgs++;
      sof_forks_shred(x->forks, m[i].slot, m[i].arg == SOF_SLOT_UNKNOWN ? SOF_FORKS_SLOT_NONE : m[i].arg,
                      on_forks_event, &ctx);
      break;
    case SOFD_MSG_SLOT_COMPLETE:
      sof_forks_slot_complete(x->forks, m[i].slot, on_forks_event, &ctx);
      break;
    case SOFD_MSG_DATASET: {
      sofd_dataset_t *d = (sofd_dataset_t *)(uintptr_t)m[i].arg;
      dispatch_dataset(p, x, d);
      sof_bpool_release(d); /* the plugin host holds its own references */
      break;
    }
    case SOFD_MSG_INLINE: {
      sofd_dataset_t *d = (sofd_dataset_t *)(uintptr_t)m[i].arg;
      dispatch_inline(p, x, d);
      sof_bpool_release(d);
      break;
    }
    case SOFD_MSG_PROVIDER_TXN: /* one transaction with its outcome (joined mode: or its join) */
      x->txns += (uint64_t)sofd_provider_publish_txn(p->prov, p->host, x->forks, m[i].arg);
      break;
    case SOFD_MSG_PROVIDER_COMMIT: /* [provider] slot_status = provider: the cluster's commitment */
      sof_forks_commit(x->forks, m[i].slot, (int)m[i].arg, on_forks_event, &ctx);
      break;
    case SOFD_MSG_PROVIDER_STATUS: /* joined mode: an outcome for a shred transaction */
      sofd_provider_publish_status(p->prov, p->host, m[i].arg);
      break;
    default: break;
    }
  }
  x->act.processed += n + e;
  return n + e + votes;
}

/* ---- setup (main thread) ---------------------------------------------------------- */

int
sofd_dispatch_init(sofd_pipe_t *p, sofd_dispatch_inst_t *x) {
  sofd_cfg_t const *c = p->cfg;
  x->last_tip = SOF_FORKS_SLOT_NONE;
  sof_forks_cfg_t fc;
  sof_forks_cfg_default(&fc);
  fc.slots_max = c->forks_window;
  fc.confirmed_depth = c->confirmed_depth;
  fc.finalized_depth = c->finalized_depth;
  fc.external_commitment = c->provider_on && c->provider_slot_status; /* from the provider (sofd_provider.h) */
  if (fc.max_ahead + fc.finalized_depth >= fc.slots_max) fc.max_ahead = fc.slots_max - fc.finalized_depth - 1;
  char err[256];
  if (!(x->forks = sof_forks_new(&fc, err, sizeof err))) {
    fprintf(stderr, "sofd: [forks]: %s\n", err);
    return -1;
  }
  return 0;
}

void
sofd_dispatch_fini(sofd_dispatch_inst_t *x) {
  sof_forks_delete(x->forks);
  x->forks = NULL;
}
