/* sofd_pipe.c: see sofd_pipe.h.
 *
 * Hot path (the poll functions): no allocation, lock, log line or system
 * call per packet (the UDP driver makes one recvmmsg per burst); counters
 * instead of logs. */
#include "sofd_pipe.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "../drivers/sof_ethdev.h"
#include "net/sof_arp.h"
#include "../drivers/sof_preload.h"
#include "../drivers/sof_udp.h"
#include "pipeline/sof_ingest.h"
#include "pipeline/sof_inline.h"
#include "plugin/sof_host.h"
#include "state/sof_dedupe.h"
#include "state/sof_forks.h"
#include "util/sof_bpool.h"
#include "util/sof_json.h"
#include "verify/sof_leaders.h"
#include "verify/sof_verify.h"
#include "wire/sof_entry.h"
#include "wire/sof_pkt.h"
#include "wire/sof_shred.h"
#include "wire/sof_txn.h"
#include "sofd_provider.h" /* provider driver (issue #22) */

#define BURST_MAX    512U
#define SOFD_TX_DESC 512U /* TX descriptors per queue with [input] address */
#define STASH_MAX    512U   /* messages a producer holds while its ring is full (block) */
#define MSG_BURST    64U
#define SLOTSEEN_SZ  256U   /* per fec shard: recent slots already announced */
#define SUMMARY_MAX  (64UL * 1024UL)

/* ---- messages and datasets -------------------------------------------------------- */

#define MSG_SLOT          1 /* slot (and parent, or SOF_SLOT_UNKNOWN) of an accepted shred */
#define MSG_DATASET       2 /* arg: sofd_dataset_t *, a block of the shard's pool */
#define MSG_SLOT_COMPLETE 3 /* every data shred up to LAST_IN_SLOT reassembled */
#define MSG_INLINE        4 /* arg: sofd_dataset_t * holding one transaction found early */
#define MSG_PROVIDER_TXN  5 /* arg: a provider transaction block (sofd_provider.h) */
#define MSG_PROVIDER_STATUS 6 /* joined mode: arg: a provider outcome block (sofd_provider.h) */

typedef struct sofd_msg {
  uint32_t kind;
  uint32_t shard;
  uint64_t slot;
  uint64_t arg;
  uint64_t tsc;
} sofd_msg_t;

/* A dataset in a block of its fec shard's pool (sof_bpool, reference
 * counted): header, transaction refs, payload. The fec shard allocates it
 * with one reference, which travels with the message to dispatch; the
 * plugin host takes more for the events that point into it. */
typedef struct sofd_dataset {
  uint64_t slot, parent;
  uint64_t rx_tsc, first_shred_tsc;
  uint32_t start_idx, end_idx, shred_cnt, recovered_cnt;
  uint8_t  last_in_slot, slot_complete, has_blockhash, _pad;
  int32_t  decode_err;    /* extract: sof_entry error, 0 ok */
  uint32_t inline_done;   /* transactions of the batch already delivered inline */
  uint32_t payload_sz;
  uint32_t ref_cap;
  uint32_t txn_cnt;       /* extract */
  uint32_t entry_cnt;     /* extract */
  uint8_t  blockhash[32]; /* extract: the first transaction's recent blockhash */
  sof_ev_txn_ref_t *refs; /* ref_cap entries, after the header */
  uint8_t *payload;
} sofd_dataset_t;


/* Producer side of a message ring with its on-full policy. */
typedef struct outq {
  struct rte_ring *ring;
  int              block;
  sofd_msg_t       stash[STASH_MAX];
  unsigned         stash_n;
  uint64_t         dropped;
  uint64_t         held;   /* messages that waited in the stash */
} outq_t;

static void
outq_flush(outq_t *q) {
  if (!q->stash_n) return;
  unsigned n = rte_ring_enqueue_burst_elem(q->ring, q->stash, sizeof(sofd_msg_t), q->stash_n, NULL);
  if (n && n < q->stash_n) memmove(q->stash, q->stash + n, (q->stash_n - n) * sizeof(sofd_msg_t));
  q->stash_n -= n;
}

/* Returns 1 when queued or held, 0 when dropped. */
static int
outq_put(outq_t *q, sofd_msg_t const *m) {
  if (!q->stash_n && rte_ring_enqueue_elem(q->ring, (void *)(uintptr_t)m, sizeof *m) == 0) return 1;
  if (q->block && q->stash_n < STASH_MAX) {
    q->stash[q->stash_n++] = *m;
    q->held++;
    return 1;
  }
  q->dropped++;
  return 0;
}

/* ---- role instances ---------------------------------------------------------------- */

/* The cluster's epoch arithmetic (Solana's EpochSchedule after warmup),
 * for counting shreds without a leader per epoch. Published by the leader
 * control thread once it knows it (sofd_pipe_set_epochs); until then
 * 432000 slots from slot 0, mainnet-beta's. Read only on that drop path. */
typedef struct epoch_sched {
  uint64_t first_normal_epoch, first_normal_slot, slots_per_epoch;
} epoch_sched_t;
#define UNK_EPOCHS 4U /* epochs tallied per rx instance (the oldest gives way) */

typedef struct rx_inst {
  sofd_activity_t act;
  uint64_t packets, bytes, bursts;
  uint64_t pkt_err[SOF_PKT_ERR_CNT + 1];
  uint64_t drop[SOFD_RX_DROP_CNT];
  uint64_t malformed[SOF_SHRED_ERR_CNT + 1];
  uint64_t rejected[SOF_VERIFY_RESULT_CNT];
  uint64_t verified[SOF_VERIFY_RESULT_CNT];   /* accepted, by result */
  uint64_t sent;           /* shreds passed to fec */
  uint64_t unknown_slot;   /* slot of the latest shred without a known leader (+1; 0: none) */
  struct { uint64_t epoch_plus1, cnt; } unk_epoch[UNK_EPOCHS]; /* unknown_leader shreds by epoch */
  uint64_t events_sent, events_dropped;
  uint64_t first_rx_tsc;
  uint64_t last_rx_tsc;
  unsigned lcore, idx;
  uint16_t port, queue;
  int      udp;
  sof_udp_t *udp_dev;
  sof_verify_t *verify;
  sof_dedupe_t *dedupe;
  sof_slotwin_t win;       /* slot admission: sampled from accepted shreds */
  uint64_t dedupe_tip;     /* the tip last given to the dedupe table */
  struct sofd_pipe *pipe;  /* its pipeline (the published epoch arithmetic) */
  struct rte_ring **to_fec;
  unsigned n_fec;
  struct rte_ring *events;
  int want_raw, want_shred;
  uint16_t udp_ports[SOFD_UDP_PORTS_MAX];
  unsigned udp_port_cnt;
  uint16_t burst;
  uint32_t warm_lines; /* read per idle poll (sof_verify_warm), 0 when not verifying */
  uint64_t ns_per_cycle_q32; /* for dedupe time */
  /* [input] address: ARP and ICMP echo replies on TX queue `queue` */
  int      nic;
  sof_arp_host_t host;
  uint64_t arp_replies, icmp_replies, icmp_limited, tx_sent, tx_dropped;
  uint64_t icmp_tat, icmp_interval, icmp_burst; /* token bucket (GCRA, tsc); interval 0: no replies */
  uint16_t tx_n;
  struct rte_mbuf *tx[BURST_MAX];
} __rte_cache_aligned rx_inst_t;

typedef struct fec_inst {
  sofd_activity_t act;
  struct rte_ring *in;
  sof_verify_t *verify;   /* twin of the rx verifiers: policy + rebuilt shreds */
  sof_ingest_t *ing;
  sof_inline_t *inl;      /* inline delivery walker (NULL: no inline subscriber) */
  sofd_dataset_t *pending; /* the pool block the reassembler is filling */
  uint64_t inline_txns, inline_arena_full;
  sof_bpool_t *pool;       /* dataset blocks (allocated here, released anywhere) */
  outq_t out;
  uint64_t arena_full;    /* datasets dropped: arena exhausted */
  uint64_t slot_msgs;
  uint64_t cur_rx_tsc;
  struct { uint64_t slot; uint64_t first_tsc; uint8_t parent_sent; } seen[SLOTSEEN_SZ];
  unsigned shard, lcore;
} __rte_cache_aligned fec_inst_t;

typedef struct extract_inst {
  sofd_activity_t act;
  struct rte_ring *in;
  outq_t out;
  uint64_t datasets, decode_err, txns, entries, refs_overflow;
  unsigned lcore;
} __rte_cache_aligned extract_inst_t;

typedef struct dispatch_inst {
  sofd_activity_t act;
  struct rte_ring *in;
  struct rte_ring *events;
  sof_forks_t *forks;
  uint64_t datasets, txns, slot_msgs, events_in, inline_txns;
  uint64_t blockhash_changes;
  uint64_t leader_changes;
  uint64_t slots_complete;
  int      snapshot_sent;
  uint64_t bh_slot;
  uint8_t  bh[32];
  uint8_t  has_bh;
  uint64_t leader_slot;
  uint8_t  leader[32];
  uint8_t  has_leader;
  uint64_t last_tip;
  unsigned lcore;
} __rte_cache_aligned dispatch_inst_t;

/* Plugin lane workers: with n workers, worker i polls the lanes l with
 * l % n == i, so every lane has exactly one worker (sequential dispatch);
 * more than four workers leaves the extra ones idle. */
typedef struct plugins_inst {
  sofd_activity_t act;
  unsigned lcore;
  unsigned idx, cnt;
} __rte_cache_aligned plugins_inst_t;

typedef struct role_ref {
  int      role;
  unsigned inst;
} role_ref_t;

struct sofd_pipe {
  sofd_cfg_t const *cfg;
  sofd_provider_t *prov;  /* provider driver / joined mode: the client thread */
  struct rte_ring *prov_ring; /* its messages to dispatch (SP/SC: the client thread -> dispatch) */
  sof_leaders_t const *leaders;
  sof_host_t *host;
  rx_inst_t *rx;          /* cfg->role_cnt[RX] */
  fec_inst_t *fec;
  extract_inst_t *extract;
  dispatch_inst_t *dispatch;
  plugins_inst_t *plugins;
  struct rte_ring *rx_fec[SOFD_INSTANCES_MAX];
  struct rte_ring *fec_extract, *extract_dispatch, *events;
  struct rte_mempool *pool;
  sof_verify_shared_t *shared; /* NULL with a single verifier */
  unsigned (*ext_counters)(void *ctx, sofd_counter_t *out, unsigned cap); /* sofd_pipe_set_counters */
  epoch_sched_t epochs_store[2];   /* sofd_pipe_set_epochs writes the one not published */
  epoch_sched_t *epochs;           /* published (release / acquire) */
  void *ext_ctx;
  sof_shred_refs_t shred_refs;  /* fec: resolver and reassembly hold mbufs by reference */
  sof_ethdev_t eth;
  sof_udp_t udp;
  uint64_t udp_unread;     /* datagrams left on the sockets at exit (sof_udp_drain) */
  sof_preload_t preload;   /* driver preload: the net_ring port's rings and mbufs */
  int input_open;
  /* lcore schedule */
  role_ref_t sched[RTE_MAX_LCORE][(SOFD_ROLE_CNT + 2) * SOFD_INSTANCES_MAX]; /* + the early delivery polls */
  unsigned sched_n[RTE_MAX_LCORE];
  volatile int stop_rx;
  volatile int quit;
  volatile int *quit_signal;
  char const *stop;
  int drain_timed_out;
  uint64_t hz;
  uint64_t start_tsc, stop_tsc;
  void (*tick)(void *ctx);
  void *tick_ctx;
};

/* ---- rx ----------------------------------------------------------------------------- */

static inline uint64_t
rx_now_ns(rx_inst_t const *r, uint64_t tsc) {
  return (uint64_t)(((__uint128_t)tsc * r->ns_per_cycle_q32) >> 32);
}

/* A packet the rx role drops: a UDP payload still makes a raw_packet event
 * when one is wanted (the events ring takes over the reference). */
static inline void
rx_drop(rx_inst_t *r, struct rte_mbuf *m, int raw) {
  if (raw) {
    sofd_meta_t *meta = rte_mbuf_to_priv(m);
    meta->events = SOFD_EV_RAW;
    if (rte_ring_enqueue(r->events, m) == 0) {
      r->events_sent++;
      return;
    }
    r->events_dropped++;
  }
  rte_pktmbuf_free(m);
}

/* The replies of a poll, sent on this instance's own TX queue without
 * blocking: what the ring does not take is freed and counted. */
static void
rx_tx_flush(rx_inst_t *r) {
  uint16_t s = rte_eth_tx_burst(r->port, r->queue, r->tx, r->tx_n);
  r->tx_sent += s;
  for (uint16_t i = s; i < r->tx_n; i++) rte_pktmbuf_free(r->tx[i]);
  r->tx_dropped += (uint64_t)(r->tx_n - s);
  r->tx_n = 0;
}

/* A frame the shred parser refused (not_ipv4, not_udp) on a port with an
 * address: an ARP request for it or an ICMP echo request to it becomes the
 * reply in the same mbuf, queued for rx_tx_flush. Returns 1 when it took
 * the mbuf; the frame stays counted under its parser reason. */
static int
rx_nic(rx_inst_t *r, struct rte_mbuf *m, uint64_t now) {
  uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
  int cls = sof_arp_classify(&r->host, f, m->data_len);
  size_t len;
  if (cls == SOF_ARP_REQUEST) {
    len = sof_arp_reply(&r->host, f, m->data_len);
    r->arp_replies++;
  } else if (cls == SOF_ARP_ICMP_ECHO) {
    if (r->icmp_tat < now) r->icmp_tat = now;
    if (!r->icmp_interval || r->icmp_tat - now + r->icmp_interval > r->icmp_burst) {
      r->icmp_limited++;
      return 0;
    }
    r->icmp_tat += r->icmp_interval;
    len = sof_arp_icmp_reply(&r->host, f, m->data_len);
    r->icmp_replies++;
  } else {
    return 0;
  }
  m->data_len = (uint16_t)len;
  m->pkt_len = (uint32_t)len;
  r->tx[r->tx_n++] = m;
  if (r->tx_n == BURST_MAX) rx_tx_flush(r);
  return 1;
}

/* Phase 1, one received frame (or bare UDP payload for the udp driver):
 * framing and the port filter. Returns 1 with the metadata filled when a
 * UDP payload goes on to verification; 0 when the frame was dropped (its
 * counter moved). */
static inline int
rx_frame(rx_inst_t *r, struct rte_mbuf *m, uint64_t now) {
  r->packets++;
  r->bytes += m->pkt_len;
  if (unlikely(m->nb_segs != 1)) {
    r->drop[SOFD_RX_DROP_MULTI_SEGMENT]++;
    rte_pktmbuf_free(m);
    return 0;
  }
  sofd_meta_t *meta = rte_mbuf_to_priv(m);
  uint8_t const *frame = rte_pktmbuf_mtod(m, uint8_t const *);
  if (r->udp) {
    sof_udp_meta_t const *um = sof_udp_meta(m, SOFD_UDP_PRIV_OFF);
    meta->src_ip = rte_be_to_cpu_32(um->src_ip);
    meta->src_port = um->src_port;
    meta->dst_port = um->dst_port;
    meta->payload_off = 0;
    meta->payload_sz = (uint16_t)m->data_len;
  } else {
    sof_pkt_udp_t u;
    int err = sof_pkt_parse(&u, frame, m->data_len);
    if (unlikely(err)) {
      r->pkt_err[-err]++;
      if (r->nic && (err == SOF_PKT_ERR_NOT_IPV4 || err == SOF_PKT_ERR_NOT_UDP) && rx_nic(r, m, now))
        return 0;
      rte_pktmbuf_free(m);
      return 0;
    }
    meta->src_ip = u.src_ip;
    meta->src_port = u.src_port;
    meta->dst_port = u.dst_port;
    meta->payload_off = (uint16_t)u.payload_off;
    meta->payload_sz = (uint16_t)u.payload_sz;
  }
  if (r->udp_port_cnt) {
    unsigned k = 0;
    while (k < r->udp_port_cnt && r->udp_ports[k] != meta->dst_port) k++;
    if (k == r->udp_port_cnt) {
      r->drop[SOFD_RX_DROP_WRONG_PORT]++;
      rte_pktmbuf_free(m);
      return 0;
    }
  }
  meta->rx_tsc = now;
  return 1;
}

/* A shred whose slot has no known leader: remembered (the latest slot)
 * and tallied by epoch. Off the common path. */
static void
rx_unknown(rx_inst_t *r, uint64_t slot) {
  r->unknown_slot = slot + 1;
  epoch_sched_t const *es = __atomic_load_n(&r->pipe->epochs, __ATOMIC_ACQUIRE);
  uint64_t e = slot < es->first_normal_slot ? 0
               : es->first_normal_epoch + (slot - es->first_normal_slot) / es->slots_per_epoch;
  unsigned k = 0, low = 0;
  for (; k < UNK_EPOCHS && r->unk_epoch[k].epoch_plus1 != e + 1; k++)
    if (r->unk_epoch[k].epoch_plus1 < r->unk_epoch[low].epoch_plus1) low = k;
  if (k == UNK_EPOCHS) {
    k = low;
    r->unk_epoch[k].epoch_plus1 = e + 1;
    r->unk_epoch[k].cnt = 0;
  }
  r->unk_epoch[k].cnt++;
}

/* Phase 3, one verified UDP payload: the verdict, dedupe, on to fec.
 * Exactly one counter moves. */
static inline void
rx_shred(rx_inst_t *r, struct rte_mbuf *m, sof_shred_t const *s, int res, sof_verify_info_t const *vi,
         int probe, uint64_t now) {
  int raw = r->want_raw;
  sofd_meta_t *meta = rte_mbuf_to_priv(m);
  uint8_t const *payload = rte_pktmbuf_mtod(m, uint8_t const *) + meta->payload_off;
  if (unlikely(res == SOF_VERIFY_MALFORMED)) {
    int e = -vi->parse_err;
    r->malformed[e > 0 && e <= SOF_SHRED_ERR_CNT ? e : 0]++;
    rx_drop(r, m, raw);
    return;
  }
  if (unlikely(res == SOF_VERIFY_UNKNOWN_LEADER)) rx_unknown(r, s->slot);
  if (unlikely(!sof_verify_accepted(r->verify, res))) {
    r->rejected[res]++;
    rx_drop(r, m, raw);
    return;
  }
  sof_slotwin_sample(&r->win, s->slot);
  if (probe) {
    /* outside the window: it served as a sample, it goes no further */
    r->drop[sof_slotwin_outside_class(&r->win, s->slot) == SOF_SLOTWIN_AHEAD ? SOFD_RX_DROP_SLOT_AHEAD
                                                                              : SOFD_RX_DROP_SLOT_BEHIND]++;
    rx_drop(r, m, raw);
    return;
  }
  if (r->dedupe) {
    uint64_t tip = sof_slotwin_tip(&r->win);
    if (tip != r->dedupe_tip) {
      r->dedupe_tip = tip;
      sof_dedupe_set_tip(r->dedupe, tip);
    }
    int d = sof_dedupe_check(r->dedupe, s->slot, s->idx, s->fec_set_idx, s->version, s->variant,
                             payload, rx_now_ns(r, now));
    if (d != SOF_DEDUPE_NEW) {
      r->drop[d == SOF_DEDUPE_DUPLICATE ? SOFD_RX_DROP_DUPLICATE
              : d == SOF_DEDUPE_CONFLICT ? SOFD_RX_DROP_CONFLICT : SOFD_RX_DROP_STALE]++;
      rx_drop(r, m, raw);
      return;
    }
  }
  meta->verify = (int8_t)res;
  meta->shred = *s;
  meta->root_valid = vi->root_valid;
  meta->leaf_valid = vi->leaf_valid;
  meta->conflict = vi->conflict;
  if (vi->root_valid) memcpy(meta->root, vi->root, 32);
  if (vi->leaf_valid) memcpy(meta->leaf, vi->leaf, 32);
  /* a second reference for the dispatch role's raw_packet / shred events,
   * taken (and the metadata complete) before fec can see the mbuf */
  int ev = raw || r->want_shred;
  if (ev) {
    meta->events = (uint8_t)((raw ? SOFD_EV_RAW : 0) | (r->want_shred ? SOFD_EV_SHRED : 0));
    rte_mbuf_refcnt_update(m, 1);
  }
  if (unlikely(rte_ring_enqueue(r->to_fec[r->n_fec == 1 ? 0 : s->slot % r->n_fec], m) != 0)) {
    r->drop[SOFD_RX_DROP_RING_FULL]++;
    if (ev) rte_mbuf_refcnt_update(m, -1);
    rx_drop(r, m, raw);
    return;
  }
  r->verified[res]++;
  r->sent++;
  if (ev) {
    if (rte_ring_enqueue(r->events, m) == 0) {
      r->events_sent++;
    } else {
      r->events_dropped++;
      rte_pktmbuf_free(m); /* our reference only */
    }
  }
}

#define RX_ROUND 32U /* shreds verified per sof_verify_shreds call */

static unsigned
rx_poll(sofd_pipe_t *p, rx_inst_t *r) {
  if (p->stop_rx) return 0;
  struct rte_mbuf *pkts[BURST_MAX];
  uint16_t n = r->udp ? sof_udp_rx_burst(r->udp_dev, r->idx, pkts, r->burst)
                      : rte_eth_rx_burst(r->port, r->queue, pkts, r->burst);
  if (!n) {
    /* idle: a step of preparing the next leader's key, or keep the
     * signature tables in cache for the next new FEC set, whose check
     * would otherwise start with their misses */
    if (!sof_verify_prepare_ahead(r->verify) && r->warm_lines) sof_verify_warm(r->verify, r->warm_lines);
    return 0;
  }
  uint64_t now = rte_rdtsc();
  r->bursts++;
  if (unlikely(!r->first_rx_tsc)) r->first_rx_tsc = now;
  r->last_rx_tsc = now;
  /* In rounds: frame every packet, verify the round's payloads as one
   * burst (merkle leaves hashed two at a time, same verdicts as one at a
   * time), then deliver each verdict. */
  for (uint16_t base = 0; base < n; base += RX_ROUND) {
    uint16_t end = (uint16_t)RTE_MIN(n, base + RX_ROUND);
    struct rte_mbuf *ok[RX_ROUND];
    void const *bufs[RX_ROUND];
    size_t szs[RX_ROUND];
    uint64_t srcs[RX_ROUND];
    uint8_t probe[RX_ROUND];
    unsigned k = 0;
    for (uint16_t i = base; i < end; i++) {
      if (i + 1 < end) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
      if (!rx_frame(r, pkts[i], now)) continue;
      sofd_meta_t const *meta = rte_mbuf_to_priv(pkts[i]);
      uint8_t const *pl = rte_pktmbuf_mtod(pkts[i], uint8_t const *) + meta->payload_off;
      /* slot admission before any state is touched: the slot sits at a
       * fixed offset in every shred variant (a payload the parser would
       * refuse as too short or of an unknown variant goes on, for
       * verification to name the reason) */
      int cls = SOF_SLOTWIN_IN;
      uint64_t slot;
      if (likely(sof_shred_precheck(pl, meta->payload_sz, &slot))) {
        cls = sof_slotwin_admit(&r->win, slot);
        if (unlikely(cls == SOF_SLOTWIN_AHEAD || cls == SOF_SLOTWIN_BEHIND)) {
          r->drop[cls == SOF_SLOTWIN_AHEAD ? SOFD_RX_DROP_SLOT_AHEAD : SOFD_RX_DROP_SLOT_BEHIND]++;
          rx_drop(r, pkts[i], r->want_raw);
          continue;
        }
      }
      ok[k] = pkts[i];
      probe[k] = cls == SOF_SLOTWIN_PROBE;
      bufs[k] = pl;
      szs[k] = meta->payload_sz;
      srcs[k] = (uint64_t)meta->src_ip << 16 | meta->src_port;
      k++;
    }
    sof_shred_t sh[RX_ROUND];
    int res[RX_ROUND];
    sof_verify_info_t vi[RX_ROUND];
    sof_verify_shreds_from(r->verify, bufs, szs, srcs, k, 0, sh, res, vi);
    /* the dedupe table is large and its keys random: start every lookup's
     * cache misses together */
    if (r->dedupe)
      for (unsigned j = 0; j < k; j++)
        if (res[j] != SOF_VERIFY_MALFORMED)
          sof_dedupe_prefetch(r->dedupe, sh[j].slot, sh[j].idx, sh[j].fec_set_idx, sh[j].version,
                              sh[j].variant);
    for (unsigned j = 0; j < k; j++) rx_shred(r, ok[j], &sh[j], res[j], &vi[j], probe[j], now);
  }
  r->act.processed += n;
  if (r->tx_n) rx_tx_flush(r);
  return n;
}

/* ---- fec ----------------------------------------------------------------------------- */

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

/* The reassembler's batch sink: each complete batch is assembled straight
 * from the held mbufs into a new block of the shard's dataset pool (the one
 * copy of its payload: extract, dispatch and the plugin host point into
 * it); the block's header is filled by fec_on_batch, which runs right
 * after. */
static uint8_t *
fec_batch_sink(void *ctx, size_t bytes) {
  fec_inst_t *f = ctx;
  uint32_t ref_cap = (uint32_t)(bytes / SOF_TXN_MIN_SZ + 1);
  uint64_t need = sizeof(sofd_dataset_t) + (uint64_t)ref_cap * sizeof(sof_ev_txn_ref_t) + bytes;
  sofd_dataset_t *d = sof_bpool_alloc(f->pool, need);
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
  fec_inst_t *f = ctx;
  sofd_dataset_t *d = f->pending;
  f->pending = NULL;
  if (unlikely(!d || d->payload != b->payload)) return; /* cannot happen: the sink ran just before */
  d->slot = b->slot;
  d->parent = b->parent;
  d->rx_tsc = f->cur_rx_tsc;
  unsigned h = (unsigned)(b->slot % SLOTSEEN_SZ);
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
  sofd_msg_t m = {.kind = MSG_DATASET, .shard = f->shard, .slot = b->slot,
                  .arg = (uint64_t)(uintptr_t)d, .tsc = f->cur_rx_tsc};
  if (!outq_put(&f->out, &m)) {
    sof_bpool_release(d);
    return;
  }
  if (b->slot_complete) {
    sofd_msg_t c = {.kind = MSG_SLOT_COMPLETE, .shard = f->shard, .slot = b->slot, .tsc = f->cur_rx_tsc};
    outq_put(&f->out, &c);
  }
}

/* A transaction complete in the prefix of a batch still in reassembly: one
 * small pool block (header + its bytes, the one copy) to dispatch, in order
 * with the shard's datasets. */
static void
fec_on_inline(void *ctx, sof_inline_txn_t const *t) {
  fec_inst_t *f = ctx;
  sofd_dataset_t *d = sof_bpool_alloc(f->pool, sizeof(sofd_dataset_t) + sizeof(sof_ev_txn_ref_t) + t->sz);
  if (!d) {
    f->inline_arena_full++;
    return;
  }
  unsigned h = (unsigned)(t->slot % SLOTSEEN_SZ);
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
  sofd_msg_t m = {.kind = MSG_INLINE, .shard = f->shard, .slot = t->slot,
                  .arg = (uint64_t)(uintptr_t)d, .tsc = f->cur_rx_tsc};
  if (!outq_put(&f->out, &m)) {
    sof_bpool_release(d);
    return;
  }
  f->inline_txns++;
}

static inline void
fec_one(fec_inst_t *f, struct rte_mbuf *m) {
  sofd_meta_t const *meta = rte_mbuf_to_priv(m);
  uint8_t const *payload = rte_pktmbuf_mtod(m, uint8_t const *) + meta->payload_off;
  sof_shred_t const s = meta->shred; /* parsed by rx */
  /* announce the slot (and its parent) to the fork tracker before any
   * dataset of it */
  unsigned h = (unsigned)(s.slot % SLOTSEEN_SZ);
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
    sofd_msg_t sm = {.kind = MSG_SLOT, .shard = f->shard, .slot = s.slot, .arg = parent,
                     .tsc = meta->rx_tsc};
    outq_put(&f->out, &sm);
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
  sof_ingest_shred_checked(f->ing, payload, &s, meta->verify, &vi, m, &res);
  /* a data shred (received, or rebuilt by this one) may extend a batch's
   * contiguous prefix */
  if (f->inl && res.fate == SOF_INGEST_ACCEPTED &&
      (res.resolver == SOF_RESOLVER_DATA_NEW || res.resolver == SOF_RESOLVER_RECOVERED))
    sof_inline_advance(f->inl, sof_ingest_reasm(f->ing), s.slot, fec_on_inline, f);
}

static unsigned
fec_poll(fec_inst_t *f) {
  outq_flush(&f->out);
  /* room for what a burst can emit (per shred: a slot message, two
   * datasets, a completion) */
  unsigned room = STASH_MAX - f->out.stash_n;
  if (f->out.stash_n && room < 4 * MSG_BURST) return 0;
  struct rte_mbuf *m[MSG_BURST];
  unsigned n = rte_ring_dequeue_burst(f->in, (void **)m, MSG_BURST, NULL);
  for (unsigned i = 0; i < n; i++) {
    if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(m[i + 1], void *));
    fec_one(f, m[i]);
    rte_pktmbuf_free(m[i]);
  }
  f->act.processed += n;
  return n;
}

/* ---- extract --------------------------------------------------------------------------- */

static void
extract_dataset(extract_inst_t *x, sofd_dataset_t *d) {
  sof_entry_iter_t it;
  sof_entry_t e;
  int rc;
  uint32_t n = 0;
  sof_entry_iter_init(&it, d->payload, d->payload_sz);
  while ((rc = sof_entry_iter_next(&it, &e)) == 1) {
    sof_txn_t t;
    size_t off, sz;
    int tr;
    while ((tr = sof_entry_iter_next_txn(&it, &t, &off, &sz)) == 1) {
      if (unlikely(n == d->ref_cap)) { /* cannot happen: a transaction is >= SOF_TXN_MIN_SZ */
        x->refs_overflow++;
        rc = -1;
        break;
      }
      if (!n) {
        memcpy(d->blockhash, d->payload + off + t.blockhash_off, 32);
        d->has_blockhash = 1;
      }
      d->refs[n++] = (sof_ev_txn_ref_t){.off = (uint32_t)off, .sz = (uint16_t)sz, .kind = t.kind,
                                        .entry_idx = (uint32_t)e.idx};
    }
    if (tr < 0) { rc = tr; break; }
    if (rc < 0) break;
  }
  if (rc == 0 && it.err) rc = it.err;
  x->datasets++;
  if (rc < 0) {
    d->decode_err = rc;
    d->txn_cnt = 0;
    d->has_blockhash = 0;
    x->decode_err++;
    return;
  }
  d->txn_cnt = n;
  d->entry_cnt = (uint32_t)it.entry_idx;
  x->txns += n;
  x->entries += it.entry_idx;
}

static unsigned
extract_poll(extract_inst_t *x) {
  outq_flush(&x->out);
  if (x->out.stash_n && STASH_MAX - x->out.stash_n < MSG_BURST) return 0;
  sofd_msg_t m[MSG_BURST];
  unsigned n = rte_ring_dequeue_burst_elem(x->in, m, sizeof(sofd_msg_t), MSG_BURST, NULL);
  for (unsigned i = 0; i < n; i++) {
    if (m[i].kind == MSG_DATASET) extract_dataset(x, (sofd_dataset_t *)(uintptr_t)m[i].arg);
    /* extract_dispatch is always a block ring (sofd_opts refuses drop: a
     * dataset extract counted must reach dispatch, which releases its
     * block): outq_put cannot drop here while the stash has room, which
     * the check above guarantees */
    outq_put(&x->out, &m[i]);
  }
  x->act.processed += n;
  return n;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

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
  dispatch_inst_t *x;
} dispatch_ctx_t;

static void
leader_context(sofd_pipe_t *p, dispatch_inst_t *x, uint64_t tip) {
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
dispatch_dataset(sofd_pipe_t *p, dispatch_inst_t *x, sofd_dataset_t *d) {
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
      sof_ev_txn_t ev = {
        .slot = d->slot, .commitment = commitment, .kind = t.kind, .path = SOF_TXN_PATH_DATASET,
        .marks = marks, .signature = bytes + t.sig_off, .bytes = bytes, .sz = r->sz, .txn = &t,
        .dataset_start_idx = d->start_idx, .entry_idx = r->entry_idx, .idx_in_dataset = i,
        .time = tm,
      };
      sof_host_publish_txn_held(h, &ev, i < d->inline_done ? SOF_HOST_TXN_INLINE_DONE : 0, &dataset_hold, d);
      if (p->prov) sofd_provider_saw_txn(p->prov, ev.signature, d->rx_tsc); /* joined mode */
    }
  }
  x->txns += d->txn_cnt;
}

/* One transaction found early in a batch's prefix: to the inline-critical
 * subscribers now; its dataset, when complete, skips them for it. */
static void
dispatch_inline(sofd_pipe_t *p, dispatch_inst_t *x, sofd_dataset_t *d) {
  uint8_t const *bytes = d->payload;
  sof_txn_t t;
  if (unlikely(sof_txn_parse(&t, bytes, d->payload_sz, NULL) != SOF_TXN_OK)) return; /* parsed by fec */
  int st = sof_forks_slot_status(x->forks, d->slot, NULL, NULL);
  sof_ev_txn_t ev = {
    .slot = d->slot, .commitment = commitment_of(st), .kind = t.kind, .path = SOF_TXN_PATH_INLINE,
    .marks = marks_of(sof_forks_marks(x->forks)), .signature = bytes + t.sig_off, .bytes = bytes,
    .sz = d->payload_sz, .txn = &t, .dataset_start_idx = d->start_idx,
    .entry_idx = d->refs[0].entry_idx, .idx_in_dataset = d->inline_done,
    .time = {.rx_tsc = d->rx_tsc, .first_shred_tsc = d->first_shred_tsc},
  };
  sof_host_publish_txn_held(p->host, &ev, 0, &dataset_hold, d);
  if (p->prov) sofd_provider_saw_txn(p->prov, ev.signature, d->rx_tsc); /* joined mode */
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
leader_snapshot(sofd_pipe_t *p, dispatch_inst_t *x) {
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

static unsigned
dispatch_poll(sofd_pipe_t *p, dispatch_inst_t *x) {
  if (unlikely(!x->snapshot_sent)) leader_snapshot(p, x);
  /* shred and raw packet events first: one callback each, straight from
   * rx, they should not wait behind a dataset's transactions */
  unsigned e = 0;
  if (x->events) {
    struct rte_mbuf *mb[MSG_BURST];
    e = rte_ring_dequeue_burst(x->events, (void **)mb, MSG_BURST, NULL);
    for (unsigned i = 0; i < e; i++) dispatch_event_mbuf(p, mb[i]);
    x->events_in += e;
  }
  sofd_msg_t m[MSG_BURST];
  dispatch_ctx_t ctx = {.p = p, .x = x};
  unsigned n = rte_ring_dequeue_burst_elem(x->in, m, sizeof(sofd_msg_t), MSG_BURST, NULL);
  /* provider ingress (sofd_provider.h): its own ring, after the shreds' messages */
  if (p->prov_ring && n < MSG_BURST)
    n += rte_ring_dequeue_burst_elem(p->prov_ring, m + n, sizeof(sofd_msg_t), MSG_BURST - n, NULL);
  for (unsigned i = 0; i < n; i++) {
    switch (m[i].kind) {
    case MSG_SLOT:
      x->slot_msgs++;
      sof_forks_shred(x->forks, m[i].slot, m[i].arg == SOF_SLOT_UNKNOWN ? SOF_FORKS_SLOT_NONE : m[i].arg,
                      on_forks_event, &ctx);
      break;
    case MSG_SLOT_COMPLETE:
      sof_forks_slot_complete(x->forks, m[i].slot, on_forks_event, &ctx);
      break;
    case MSG_DATASET: {
      sofd_dataset_t *d = (sofd_dataset_t *)(uintptr_t)m[i].arg;
      dispatch_dataset(p, x, d);
      sof_bpool_release(d); /* the plugin host holds its own references */
      break;
    }
    case MSG_INLINE: {
      sofd_dataset_t *d = (sofd_dataset_t *)(uintptr_t)m[i].arg;
      dispatch_inline(p, x, d);
      sof_bpool_release(d);
      break;
    }
    case MSG_PROVIDER_TXN: /* provider driver: one transaction with its outcome */
      sofd_provider_publish_txn(p->prov, p->host, x->forks, m[i].arg);
      x->txns++;
      break;
    case MSG_PROVIDER_STATUS: /* joined mode: an outcome for a shred transaction */
      sofd_provider_publish_status(p->prov, p->host, m[i].arg);
      break;
    default: break;
    }
  }
  x->act.processed += n + e;
  return n + e;
}

/* ---- plugins (lane workers) ------------------------------------------------------------------ */

static unsigned
plugins_poll(sofd_pipe_t *p, plugins_inst_t *w) {
  unsigned n = 0;
  for (unsigned l = w->idx; l < SOF_HOST_LANE_CNT; l += w->cnt) n += sof_host_lane_poll(p->host, (int)l, 64);
  w->act.processed += n;
  return n;
}

/* ---- lcore loop, monitor -------------------------------------------------------------------- */

static sofd_activity_t *
activity_of(sofd_pipe_t *p, role_ref_t const *r) {
  switch (r->role) {
  case SOFD_ROLE_RX: return &p->rx[r->inst].act;
  case SOFD_ROLE_FEC: return &p->fec[r->inst].act;
  case SOFD_ROLE_EXTRACT: return &p->extract[r->inst].act;
  case SOFD_ROLE_DISPATCH: return &p->dispatch[r->inst].act;
  default: return &p->plugins[r->inst].act;
  }
}

static unsigned
poll_role(sofd_pipe_t *p, role_ref_t const *r) {
  switch (r->role) {
  case SOFD_ROLE_RX: return rx_poll(p, &p->rx[r->inst]);
  case SOFD_ROLE_FEC: return fec_poll(&p->fec[r->inst]);
  case SOFD_ROLE_EXTRACT: return extract_poll(&p->extract[r->inst]);
  case SOFD_ROLE_DISPATCH: return dispatch_poll(p, &p->dispatch[r->inst]);
  default: return plugins_poll(p, &p->plugins[r->inst]);
  }
}

static uint64_t
total_processed(sofd_pipe_t const *p) {
  uint64_t n = 0;
  sofd_cfg_t const *c = p->cfg;
  for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_FEC]; i++) n += p->fec[i].act.processed;
  n += p->extract[0].act.processed + p->dispatch[0].act.processed;
  for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_PLUGINS]; i++) n += p->plugins[i].act.processed;
  return n;
}

static int
pipeline_empty(sofd_pipe_t const *p) {
  sofd_cfg_t const *c = p->cfg;
  for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_FEC]; i++) {
    if (rte_ring_count(p->rx_fec[i]) || p->fec[i].out.stash_n) return 0;
  }
  if (rte_ring_count(p->fec_extract) || p->extract[0].out.stash_n) return 0;
  if (rte_ring_count(p->extract_dispatch)) return 0;
  if (p->prov_ring && rte_ring_count(p->prov_ring)) return 0;
  if (p->events && rte_ring_count(p->events)) return 0;
  return sof_host_lanes_empty(p->host);
}

static uint64_t
last_rx(sofd_pipe_t const *p) {
  uint64_t t = 0;
  for (unsigned i = 0; i < p->cfg->role_cnt[SOFD_ROLE_RX]; i++)
    if (p->rx[i].last_rx_tsc > t) t = p->rx[i].last_rx_tsc;
  if (p->prov && sofd_provider_last_tsc(p->prov) > t) t = sofd_provider_last_tsc(p->prov);
  return t;
}

static void stats_line(sofd_pipe_t *p, double secs);

typedef struct monitor {
  uint64_t next_check, next_stats, stats_at, drain_deadline, last_processed;
  unsigned quiet;
} monitor_t;

static void
monitor(sofd_pipe_t *p, monitor_t *mo, uint64_t now) {
  if (now < mo->next_check) return;
  sofd_cfg_t const *c = p->cfg;
  mo->next_check = now + p->hz / 1000; /* every ms */
  if (!p->stop_rx) {
    char const *why = NULL;
    if (*p->quit_signal) why = *p->quit_signal == SIGINT ? "sigint" : "sigterm";
    else if (c->idle_exit_ms) {
      uint64_t lr = last_rx(p);
      if (!lr) lr = p->start_tsc;
      /* an rx instance on another lcore may have stamped a burst after
       * this lcore read `now`: lr > now is not idle (now - lr would wrap) */
      if (lr < now && now - lr >= c->idle_exit_ms * (p->hz / 1000)) why = "idle";
    }
    if (why) {
      p->stop = why;
      p->stop_rx = 1;
      sofd_provider_stop(p->prov); /* provider driver: no more input (joins its thread) */
      p->stop_tsc = now;
      mo->drain_deadline = now + c->drain_ms * (p->hz / 1000);
      mo->quiet = 0;
      mo->last_processed = total_processed(p);
    }
  } else {
    uint64_t tp = total_processed(p);
    if (pipeline_empty(p) && tp == mo->last_processed) mo->quiet++;
    else mo->quiet = 0;
    mo->last_processed = tp;
    if (mo->quiet >= 3) p->quit = 1;
    else if (now >= mo->drain_deadline) {
      p->drain_timed_out = 1;
      p->quit = 1;
    }
  }
  if (c->stats_ms && now >= mo->next_stats) {
    stats_line(p, (double)(now - mo->stats_at) / (double)p->hz);
    mo->stats_at = now;
    mo->next_stats = now + c->stats_ms * (p->hz / 1000);
  }
  if (p->tick) p->tick(p->tick_ctx);
}

typedef struct lcore_arg {
  sofd_pipe_t *p;
} lcore_arg_t;

static int
lcore_main(void *arg) {
  sofd_pipe_t *p = ((lcore_arg_t *)arg)->p;
  unsigned id = rte_lcore_id();
  int is_main = id == rte_get_main_lcore();
  role_ref_t const *sched = p->sched[id];
  unsigned n = p->sched_n[id];
  monitor_t mo = {0};
  mo.stats_at = rte_rdtsc();
  mo.next_stats = mo.stats_at + p->cfg->stats_ms * (p->hz / 1000);
  if (p->leaders) sof_leaders_reader_online(p->leaders, id); /* epoch tables: QSBR reader */
  while (!p->quit) {
    unsigned work = 0;
    for (unsigned i = 0; i < n; i++) {
      uint64_t t0 = rte_rdtsc();
      unsigned did = poll_role(p, &sched[i]);
      sofd_activity_t *a = activity_of(p, &sched[i]);
      if (did) {
        a->busy_cycles += rte_rdtsc() - t0;
        a->busy_polls++;
      } else {
        a->idle_polls++;
      }
      work += did;
    }
    if (is_main) monitor(p, &mo, rte_rdtsc());
    if (p->leaders) sof_leaders_quiescent(p->leaders, id); /* no leader pointer held here */
    if (!work) rte_pause();
  }
  if (p->leaders) sof_leaders_reader_offline(p->leaders, id);
  return 0;
}

/* ---- construction ------------------------------------------------------------------------- */

void
sofd_pipe_set_counters(sofd_pipe_t *p, unsigned (*fn)(void *ctx, sofd_counter_t *out, unsigned cap),
                       void *ctx) {
  p->ext_ctx = ctx;
  p->ext_counters = fn;
}

void
sofd_pipe_leader_view(sofd_pipe_t const *p, uint64_t *tip, uint64_t *unknown, uint64_t *unknown_slot1) {
  sof_forks_marks_t mk = sof_forks_marks(p->dispatch->forks);
  *tip = mk.tip == SOF_FORKS_SLOT_NONE ? 0 : mk.tip;
  *unknown = *unknown_slot1 = 0;
  for (unsigned i = 0; i < p->cfg->role_cnt[SOFD_ROLE_RX]; i++) {
    rx_inst_t const *r = &p->rx[i];
    *unknown += r->rejected[SOF_VERIFY_UNKNOWN_LEADER] + r->verified[SOF_VERIFY_UNKNOWN_LEADER];
    if (r->unknown_slot > *unknown_slot1) *unknown_slot1 = r->unknown_slot;
  }
}

void
sofd_pipe_set_epochs(sofd_pipe_t *p, uint64_t first_normal_epoch, uint64_t first_normal_slot,
                     uint64_t slots_per_epoch) {
  if (!slots_per_epoch) return;
  epoch_sched_t *next = p->epochs == &p->epochs_store[0] ? &p->epochs_store[1] : &p->epochs_store[0];
  *next = (epoch_sched_t){first_normal_epoch, first_normal_slot, slots_per_epoch};
  __atomic_store_n(&p->epochs, next, __ATOMIC_RELEASE);
}

void
sofd_pipe_set_tick(sofd_pipe_t *p, void (*fn)(void *ctx), void *ctx) {
  p->tick = fn;
  p->tick_ctx = ctx;
}

static unsigned
ring_flags(int mode) {
  switch (mode) {
  case SOFD_RING_MODE_SP_SC: return RING_F_SP_ENQ | RING_F_SC_DEQ;
  case SOFD_RING_MODE_MP_SC: return RING_F_SC_DEQ;
  case SOFD_RING_MODE_SP_MC: return RING_F_SP_ENQ;
  default: return 0;
  }
}

static struct rte_ring *
make_ring(char const *name, sofd_ring_cfg_t const *rc, unsigned elem_sz) {
  struct rte_ring *r = elem_sz
    ? rte_ring_create_elem(name, elem_sz, rc->size, (int)rte_socket_id(), ring_flags(rc->mode))
    : rte_ring_create(name, rc->size, (int)rte_socket_id(), ring_flags(rc->mode));
  if (!r) fprintf(stderr, "sofd: cannot create ring %s (%u entries): %s\n", name, rc->size,
                  rte_strerror(rte_errno));
  return r;
}

static sof_verify_t *
make_verify(sofd_cfg_t const *c, sof_leaders_t const *leaders, sof_verify_shared_t *shared) {
  char err[256];
  sof_verify_cfg_t vc = c->verify;
  vc.shared = shared;
  sof_verify_t *v = sof_verify_new(&vc, leaders, err, sizeof err);
  if (!v) fprintf(stderr, "sofd: [verify]: %s\n", err);
  return v;
}

/* The provider's messages into its ring to dispatch. Client thread. */
static int
provider_emit(void *ctx, int kind, uint64_t slot, uint64_t arg) {
  sofd_pipe_t *p = ctx;
  sofd_msg_t m = {.slot = slot, .arg = arg, .tsc = rte_rdtsc()};
  m.kind = kind == SOFD_PROV_EV_SLOT ? MSG_SLOT : kind == SOFD_PROV_EV_SLOT_COMPLETE ? MSG_SLOT_COMPLETE
                                                                                       : MSG_PROVIDER_TXN;
  if (kind == SOFD_PROV_EV_STATUS) m.kind = MSG_PROVIDER_STATUS;
  return rte_ring_enqueue_elem(p->prov_ring, &m, sizeof m) ? -1 : 0;
}

sofd_pipe_t *
sofd_pipe_new(sofd_cfg_t const *c, sof_leaders_t const *leaders, sof_host_t *host) {
  sofd_pipe_t *p = calloc(1, sizeof *p);
  if (!p) {
    fprintf(stderr, "sofd: out of memory\n");
    return NULL;
  }
  p->cfg = c;
  p->epochs_store[0] = (epoch_sched_t){0, 0, 432000}; /* mainnet-beta's until the RPC says */
  p->epochs = &p->epochs_store[0];
  p->leaders = leaders;
  p->host = host;
  p->hz = rte_get_tsc_hz();
  p->shred_refs = (sof_shred_refs_t){.retain = mbuf_retain, .release = mbuf_release, .alloc = mbuf_alloc,
                                     .ctx = p};
  unsigned nrx = c->role_cnt[SOFD_ROLE_RX], nfec = c->role_cnt[SOFD_ROLE_FEC];
  unsigned npl = c->role_cnt[SOFD_ROLE_PLUGINS];
  p->rx = rte_zmalloc("sofd_rx", nrx * sizeof *p->rx, RTE_CACHE_LINE_SIZE);
  p->fec = rte_zmalloc("sofd_fec", nfec * sizeof *p->fec, RTE_CACHE_LINE_SIZE);
  p->extract = rte_zmalloc("sofd_extract", sizeof *p->extract, RTE_CACHE_LINE_SIZE);
  p->dispatch = rte_zmalloc("sofd_dispatch", sizeof *p->dispatch, RTE_CACHE_LINE_SIZE);
  p->plugins = rte_zmalloc("sofd_plugins", npl * sizeof *p->plugins, RTE_CACHE_LINE_SIZE);
  if (!p->rx || !p->fec || !p->extract || !p->dispatch || !p->plugins) {
    fprintf(stderr, "sofd: out of memory (role state)\n");
    goto fail;
  }
  /* signed roots shared by every verifier (rx instances, fec twins): a set
   * whose shreds reach several RX queues costs one ed25519, not one per
   * queue */
  if (nrx + nfec > 1) {
    char serr[128];
    if (!(p->shared = sof_verify_shared_new(16384, serr, sizeof serr))) {
      fprintf(stderr, "sofd: %s\n", serr);
      goto fail;
    }
  }
  /* rings */
  for (unsigned i = 0; i < nfec; i++) {
    char name[32];
    snprintf(name, sizeof name, "sofd_rx_fec_%u", i);
    if (!(p->rx_fec[i] = make_ring(name, &c->ring[SOFD_RING_RX_FEC], 0))) goto fail;
  }
  if (!(p->fec_extract = make_ring("sofd_fec_extract", &c->ring[SOFD_RING_FEC_EXTRACT], sizeof(sofd_msg_t))))
    goto fail;
  if (!(p->extract_dispatch = make_ring("sofd_extract_dispatch", &c->ring[SOFD_RING_EXTRACT_DISPATCH],
                                        sizeof(sofd_msg_t))))
    goto fail;
  int want_events = sof_host_wants(host, SOF_HOOK_RAW_PACKET) || sof_host_wants(host, SOF_HOOK_SHRED);
  int want_inline = 0;
  for (unsigned i = 0; i < sof_host_plugin_cnt(host); i++)
    if (sof_host_plugin(host, i)->inline_txn) want_inline = 1;
  if (want_events && !(p->events = make_ring("sofd_events", &c->ring[SOFD_RING_EVENTS], 0))) goto fail;

  /* rx instances */
  for (unsigned i = 0; i < nrx; i++) {
    rx_inst_t *r = &p->rx[i];
    r->lcore = c->role_lcores[SOFD_ROLE_RX][i];
    r->idx = i;
    r->port = c->port_id;
    r->queue = (uint16_t)i;
    r->udp = c->driver == SOFD_DRIVER_UDP;
    r->udp_dev = &p->udp;
    r->burst = (uint16_t)c->burst;
    r->pipe = p;
    r->to_fec = p->rx_fec;
    r->n_fec = nfec;
    r->events = p->events;
    r->want_raw = sof_host_wants(host, SOF_HOOK_RAW_PACKET);
    r->want_shred = sof_host_wants(host, SOF_HOOK_SHRED);
    memcpy(r->udp_ports, c->udp_ports, sizeof r->udp_ports);
    r->udp_port_cnt = c->udp_port_cnt;
    r->ns_per_cycle_q32 = (uint64_t)((1e9 / (double)p->hz) * 4294967296.0);
    if (!(r->verify = make_verify(c, leaders, p->shared))) goto fail;
    r->warm_lines = sof_verify_enabled(r->verify) ? c->verify_warm_lines : 0;
    if (c->dedupe) {
      sof_dedupe_cfg_t dc;
      sof_dedupe_cfg_default(&dc);
      dc.capacity = c->dedupe_capacity;
      dc.ttl = c->dedupe_ttl_ms * 1000000ULL; /* rx_now_ns */
      dc.slot_window = c->dedupe_slot_window;
      char err[256];
      if (!(r->dedupe = sof_dedupe_new(&dc, err, sizeof err))) {
        fprintf(stderr, "sofd: [dedupe]: %s\n", err);
        goto fail;
      }
      /* forgetting follows the window's tip, never the newest slot seen */
      r->dedupe_tip = SOF_SLOTWIN_NONE;
      sof_dedupe_set_tip(r->dedupe, SOF_SLOTWIN_NONE);
    }
    if (sof_slotwin_init(&r->win, &c->window)) {
      fprintf(stderr, "sofd: [window] quorum must be in [1, %u]\n", SOF_SLOTWIN_SAMPLES);
      goto fail;
    }
  }
  /* fec instances */
  for (unsigned i = 0; i < nfec; i++) {
    fec_inst_t *f = &p->fec[i];
    f->shard = i;
    f->lcore = c->role_lcores[SOFD_ROLE_FEC][i];
    f->in = p->rx_fec[i];
    f->out.ring = p->fec_extract;
    f->out.block = c->ring[SOFD_RING_FEC_EXTRACT].block;
    for (unsigned k = 0; k < SLOTSEEN_SZ; k++) f->seen[k].slot = UINT64_MAX;
    if (!(f->verify = make_verify(c, leaders, p->shared))) goto fail;
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
      goto fail;
    }
    sof_ingest_set_batch_sink(f->ing, fec_batch_sink, f);
    if (want_inline && !(f->inl = sof_inline_new(64, err, sizeof err))) {
      fprintf(stderr, "sofd: [fec]: %s\n", err);
      goto fail;
    }
    sof_bpool_cfg_t bc;
    sof_bpool_cfg_default(&bc);
    bc.bytes = c->arena_bytes;
    bc.min_block = 2048; /* an early (inline) transaction's block */
    bc.max_block = 16U << 20; /* the largest batch reassembly emits (8 MiB) with its refs */
    if (!(f->pool = sof_bpool_new(&bc, err, sizeof err))) {
      fprintf(stderr, "sofd: [fec] arena_mb: %s\n", err);
      goto fail;
    }
  }
  /* extract, dispatch, plugins */
  p->extract->lcore = c->role_lcores[SOFD_ROLE_EXTRACT][0];
  p->extract->in = p->fec_extract;
  p->extract->out.ring = p->extract_dispatch;
  p->extract->out.block = 1;
  dispatch_inst_t *x = p->dispatch;
  x->lcore = c->role_lcores[SOFD_ROLE_DISPATCH][0];
  x->in = p->extract_dispatch;
  x->events = p->events;
  x->last_tip = SOF_FORKS_SLOT_NONE;
  sof_forks_cfg_t fc;
  sof_forks_cfg_default(&fc);
  fc.slots_max = c->forks_window;
  fc.confirmed_depth = c->confirmed_depth;
  fc.finalized_depth = c->finalized_depth;
  if (fc.max_ahead + fc.finalized_depth >= fc.slots_max) fc.max_ahead = fc.slots_max - fc.finalized_depth - 1;
  char err[256];
  if (!(x->forks = sof_forks_new(&fc, err, sizeof err))) {
    fprintf(stderr, "sofd: [forks]: %s\n", err);
    goto fail;
  }
  for (unsigned i = 0; i < npl; i++) {
    p->plugins[i].lcore = c->role_lcores[SOFD_ROLE_PLUGINS][i];
    p->plugins[i].idx = i;
    p->plugins[i].cnt = npl;
  }

  /* The schedule: each lcore's role instances in pipeline order, one pass
   * per loop turn. An lcore that runs rx and a delivery role (dispatch,
   * plugins) polls the delivery roles a second time right after rx: the
   * burst's shred events reach their plugins before fec and extract take
   * on the bulk work the burst set off (a dataset's reassembly, its
   * transactions). */
  uint8_t rx_here[RTE_MAX_LCORE] = {0};
  for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_RX]; i++) rx_here[c->role_lcores[SOFD_ROLE_RX][i]] = 1;
  int provider = c->driver == SOFD_DRIVER_PROVIDER;
  if (c->provider_on) {
    if (!(p->prov_ring = rte_ring_create_elem("sofd_provider", sizeof(sofd_msg_t), 4096, (int)rte_socket_id(),
                                              RING_F_SP_ENQ | RING_F_SC_DEQ))) {
      fprintf(stderr, "sofd: provider ring: %s\n", rte_strerror(rte_errno));
      goto fail;
    }
    if (!(p->prov = sofd_provider_new(c, provider_emit, p))) goto fail;
  }
  for (int role = 0; role < SOFD_ROLE_CNT; role++) {
    /* provider driver: only the roles after extract run */
    if (provider && (role == SOFD_ROLE_RX || role == SOFD_ROLE_FEC || role == SOFD_ROLE_EXTRACT)) continue;
    for (unsigned i = 0; i < c->role_cnt[role]; i++) {
      unsigned lc = c->role_lcores[role][i];
      p->sched[lc][p->sched_n[lc]++] = (role_ref_t){.role = role, .inst = i};
    }
    if (role != SOFD_ROLE_RX) continue;
    for (int dr = SOFD_ROLE_DISPATCH; dr <= SOFD_ROLE_PLUGINS; dr++)
      for (unsigned i = 0; i < c->role_cnt[dr]; i++) {
        unsigned lc = c->role_lcores[dr][i];
        if (rx_here[lc]) p->sched[lc][p->sched_n[lc]++] = (role_ref_t){.role = dr, .inst = i};
      }
  }
  return p;
fail:
  sofd_pipe_delete(p);
  return NULL;
}

uint64_t
sofd_pipe_mbufs_needed(sofd_cfg_t const *c) {
  unsigned nrx = c->role_cnt[SOFD_ROLE_RX], nfec = c->role_cnt[SOFD_ROLE_FEC];
  unsigned lcores = 0;
  for (unsigned i = 0; i < RTE_MAX_LCORE; i++) lcores += rte_lcore_is_enabled(i);
  uint64_t need = (uint64_t)nrx * (c->rx_desc + c->burst)                          /* RX rings, a burst in hand */
                + (uint64_t)nfec * c->ring[SOFD_RING_RX_FEC].size                  /* rx -> fec rings */
                + c->ring[SOFD_RING_EVENTS].size                                   /* raw / shred events */
                + (uint64_t)nfec * ((uint64_t)c->fec_set_buffers * 64 + c->reasm_chunks) /* held by fec */
                + (uint64_t)lcores * 256 + 1024;                                   /* mempool caches, slack */
  return need;
}

/* [input] address: every rx instance answers on its own TX queue (its
 * RX queue's number); the ICMP budget is split over them. A gratuitous ARP
 * goes out on queue 0 before the lcores start. */
static void
nic_start(sofd_pipe_t *p, unsigned nrx) {
  sofd_cfg_t const *c = p->cfg;
  uint64_t hz = rte_get_tsc_hz();
  sof_arp_host_t h = {.ip = c->address_ip, .prefix = c->address_prefix};
  memcpy(h.mac, p->eth.mac, 6);
  for (unsigned i = 0; i < nrx; i++) {
    rx_inst_t *r = &p->rx[i];
    r->nic = 1;
    r->host = h;
    r->icmp_interval = c->icmp_rate ? hz * nrx / c->icmp_rate : 0;
    r->icmp_burst = RTE_MAX(hz, r->icmp_interval);
  }
  struct rte_mbuf *m = rte_pktmbuf_alloc(p->pool);
  int sent = 0;
  if (m) {
    size_t n = sof_arp_gratuitous(&h, rte_pktmbuf_mtod(m, void *), rte_pktmbuf_tailroom(m));
    m->data_len = (uint16_t)n;
    m->pkt_len = (uint32_t)n;
    sent = n && rte_eth_tx_burst(p->eth.port_id, 0, &m, 1) == 1;
    if (!sent) rte_pktmbuf_free(m);
  }
  fprintf(stderr, "sofd: [input] address %s on port %u (%02x:%02x:%02x:%02x:%02x:%02x): ARP and ICMP "
          "echo (%u/s) answered on %u TX queue%s; gratuitous ARP %s\n", c->address, p->eth.port_id,
          h.mac[0], h.mac[1], h.mac[2], h.mac[3], h.mac[4], h.mac[5], c->icmp_rate, nrx,
          nrx == 1 ? "" : "s", sent ? "sent" : "not sent");
}

int
sofd_pipe_open_input(sofd_pipe_t *p) {
  sofd_cfg_t const *c = p->cfg;
  char err[512];
  unsigned nrx = c->role_cnt[SOFD_ROLE_RX];
  uint64_t need = sofd_pipe_mbufs_needed(c);
  if (c->mbufs && c->mbufs < need) {
    fprintf(stderr, "sofd: [input] mbufs: --mbufs %u is too few: the RX rings, rings and fec instances "
            "can hold %" PRIu64 " (each fec instance [fec] set_buffers * 64 + chunks = %" PRIu64
            "); give more, 'auto', or lower set_buffers / chunks\n",
            c->mbufs, need, (uint64_t)c->fec_set_buffers * 64 + c->reasm_chunks);
    return -1;
  }
  uint16_t port_id = c->port_id;
  if (c->driver == SOFD_DRIVER_PROVIDER) return sofd_provider_start(p->prov); /* no port */
  if (c->driver == SOFD_DRIVER_PRELOAD) {
    if (sof_preload_create(&p->preload, c->preload, (uint16_t)nrx, c->preload_deal, err, sizeof err)) {
      fprintf(stderr, "sofd: [input] preload (--preload): %s\n", err);
      return -1;
    }
    port_id = p->preload.port_id;
    /* the preloaded frames sit in mbufs of the pool on top of the rest */
    if (need + p->preload.packets > (1U << 30)) {
      fprintf(stderr, "sofd: [input] preload (--preload): %" PRIu64 " frames is too many\n",
              p->preload.packets);
      sof_preload_delete(&p->preload);
      return -1;
    }
    need += p->preload.packets;
    if (c->mbufs && c->mbufs < need) {
      fprintf(stderr, "sofd: [input] mbufs: --mbufs %u is too few for the preload driver: the "
              "capture's %" PRIu64 " frames and the pipeline's %" PRIu64 "; give at least %" PRIu64
              " or 'auto'\n", c->mbufs, p->preload.packets, need - p->preload.packets, need);
      sof_preload_delete(&p->preload);
      return -1;
    }
  }
  uint32_t mbufs = c->mbufs ? c->mbufs : (uint32_t)need;
  if (c->driver != SOFD_DRIVER_UDP) {
    sof_ethdev_cfg_t ec = {
      .port_id = port_id, .rx_desc = c->rx_desc, .mbufs = mbufs,
      .mbuf_cache = mbufs >= 4096 ? 256 : 0, .burst = c->burst, .rx_queues = (uint16_t)nrx,
      .priv_size = (uint16_t)SOFD_MBUF_PRIV_SZ,
      .tx_queues = c->address ? (uint16_t)nrx : 0, .tx_desc = SOFD_TX_DESC,
    };
    if (c->address && !c->mbufs) ec.mbufs += SOFD_TX_DESC * nrx; /* the TX rings hold replies */
    if (sof_ethdev_open(&p->eth, &ec, err, sizeof err)) {
      fprintf(stderr, "sofd: %s\n", err);
      sof_preload_delete(&p->preload);
      return -1;
    }
    p->pool = p->eth.pool;
    if (c->driver == SOFD_DRIVER_PRELOAD &&
        sof_preload_fill(&p->preload, p->pool, err, sizeof err)) {
      fprintf(stderr, "sofd: [input] preload (--preload): %s\n", err);
      sof_ethdev_close(&p->eth);
      sof_preload_delete(&p->preload);
      return -1;
    }
    for (unsigned i = 0; i < nrx; i++) p->rx[i].port = p->eth.port_id;
    if (c->address) nic_start(p, nrx);
  } else {
    if (c->burst > SOF_UDP_BURST_MAX) {
      fprintf(stderr, "sofd: [input] burst (--burst): the udp driver takes at most %u\n", SOF_UDP_BURST_MAX);
      return -1;
    }
    /* sockets hold a burst of mbufs each ahead of time */
    p->pool = rte_pktmbuf_pool_create("sofd_udp_pool", mbufs, mbufs >= 4096 ? 256 : 0,
                                      (uint16_t)SOFD_MBUF_PRIV_SZ, RTE_MBUF_DEFAULT_BUF_SIZE,
                                      (int)rte_socket_id());
    if (!p->pool) {
      fprintf(stderr, "sofd: cannot create the packet pool (%u mbufs): %s\n", mbufs,
              rte_strerror(rte_errno));
      return -1;
    }
    sof_udp_cfg_t uc = {
      .bind_addr = c->udp_bind, .port = c->udp_listen, .sockets = (uint16_t)nrx,
      .rcvbuf = c->udp_rcvbuf, .burst = (uint16_t)c->burst, .priv_off = SOFD_UDP_PRIV_OFF,
      .pool = p->pool,
    };
    if (sof_udp_open(&p->udp, &uc, err, sizeof err)) {
      fprintf(stderr, "sofd: [udp]: %s\n", err);
      rte_mempool_free(p->pool);
      p->pool = NULL;
      return -1;
    }
  }
  p->input_open = 1;
  if (p->prov && sofd_provider_start(p->prov)) return -1; /* joined mode: shreds and a provider */
  return 0;
}

char const *
sofd_pipe_run(sofd_pipe_t *p, volatile int *quit_signal) {
  static lcore_arg_t arg;
  arg.p = p;
  p->quit_signal = quit_signal;
  p->start_tsc = rte_rdtsc();
  unsigned id;
  RTE_LCORE_FOREACH_WORKER(id) {
    if (p->sched_n[id]) rte_eal_remote_launch(lcore_main, &arg, id);
  }
  lcore_main(&arg);
  rte_eal_mp_wait_lcore();
  /* datagrams the kernel still held when rx stopped: lost at exit, counted */
  if (p->input_open && p->cfg->driver == SOFD_DRIVER_UDP) p->udp_unread = sof_udp_drain(&p->udp);
  return p->stop ? p->stop : "stopped";
}

void
sofd_pipe_delete(sofd_pipe_t *p) {
  if (!p) return;
  sofd_cfg_t const *c = p->cfg;
  /* the fec instances hold mbufs: give them back before the pool goes */
  if (p->fec)
    for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_FEC]; i++) {
      sof_ingest_delete(p->fec[i].ing);
      p->fec[i].ing = NULL;
    }
  if (p->input_open) {
    if (c->driver != SOFD_DRIVER_UDP) {
      sof_ethdev_close(&p->eth);
      sof_preload_delete(&p->preload); /* zeroed unless the preload driver */
    } else {
      sof_udp_close(&p->udp);
      rte_mempool_free(p->pool);
    }
  }
  if (p->rx)
    for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_RX]; i++) {
      sof_verify_delete(p->rx[i].verify);
      sof_dedupe_delete(p->rx[i].dedupe);
    }
  if (p->fec)
    for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_FEC]; i++) {
      sof_ingest_delete(p->fec[i].ing);
      sof_inline_delete(p->fec[i].inl);
      sof_verify_delete(p->fec[i].verify);
      sof_bpool_delete(p->fec[i].pool);
    }
  if (p->dispatch) sof_forks_delete(p->dispatch->forks);
  sofd_provider_delete(p->prov);
  rte_ring_free(p->prov_ring);
  for (unsigned i = 0; i < SOFD_INSTANCES_MAX; i++) rte_ring_free(p->rx_fec[i]);
  rte_ring_free(p->fec_extract);
  rte_ring_free(p->extract_dispatch);
  rte_ring_free(p->events);
  rte_free(p->rx);
  rte_free(p->fec);
  rte_free(p->extract);
  rte_free(p->dispatch);
  rte_free(p->plugins);
  sof_verify_shared_delete(p->shared);
  free(p);
}

/* ---- counters ------------------------------------------------------------------------------ */

typedef struct totals {
  uint64_t rx_packets, rx_bytes, rx_bursts, to_fec, events_sent, events_dropped;
  uint64_t arp_replies, icmp_replies, icmp_limited, tx_sent, tx_dropped;
  uint64_t pkt_err[SOF_PKT_ERR_CNT + 1];
  uint64_t drop[SOFD_RX_DROP_CNT];
  uint64_t malformed[SOF_SHRED_ERR_CNT + 1];
  uint64_t rejected[SOF_VERIFY_RESULT_CNT];
  uint64_t verified[SOF_VERIFY_RESULT_CNT];
  sof_verify_stats_t vs;
  sof_dedupe_stats_t ds;
  sof_ingest_stats_t is;
  sof_resolver_stats_t rs;
  sof_reasm_stats_t as;
  uint64_t open_sets, arena_full, fec_out_dropped, fec_out_held, fec_slot_msgs;
  uint64_t inline_txns, inline_arena_full, pool_in_use;
  sof_slotwin_stats_t rxw;  /* rx windows: classes, samples, tip moves summed */
  uint64_t rx_tip;          /* the highest rx window tip (0: none yet) */
  uint64_t fec_tip;         /* the highest fec window tip (0: none yet) */
  sof_udp_stats_t udp;      /* udp driver: every socket */
  uint64_t lost_kernel;     /* datagrams the kernel dropped (socket receive buffer full) */
  uint64_t lost_unread;     /* datagrams still queued on the sockets when rx stopped */
  uint64_t lost_nic;        /* frames the NIC dropped: imissed + rx_nombuf */
  uint64_t nic_ierrors;     /* frames the NIC received in error */
} totals_t;

/* dst += src, field by field, for counter structs made only of uint64_t. */
static void
add_u64s(void *dst, void const *src, size_t bytes) {
  uint64_t *d = dst;
  uint64_t const *s = src;
  for (size_t k = 0; k < bytes / sizeof(uint64_t); k++) d[k] += s[k];
}

static void
collect(sofd_pipe_t const *p, totals_t *t) {
  memset(t, 0, sizeof *t);
  sofd_cfg_t const *c = p->cfg;
  for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_RX]; i++) {
    rx_inst_t const *r = &p->rx[i];
    t->rx_packets += r->packets;
    t->rx_bytes += r->bytes;
    t->rx_bursts += r->bursts;
    t->to_fec += r->sent;
    t->arp_replies += r->arp_replies;
    t->icmp_replies += r->icmp_replies;
    t->icmp_limited += r->icmp_limited;
    t->tx_sent += r->tx_sent;
    t->tx_dropped += r->tx_dropped;
    t->events_sent += r->events_sent;
    t->events_dropped += r->events_dropped;
    for (unsigned k = 0; k <= SOF_PKT_ERR_CNT; k++) t->pkt_err[k] += r->pkt_err[k];
    for (unsigned k = 0; k < SOFD_RX_DROP_CNT; k++) t->drop[k] += r->drop[k];
    for (unsigned k = 0; k <= SOF_SHRED_ERR_CNT; k++) t->malformed[k] += r->malformed[k];
    for (unsigned k = 0; k < SOF_VERIFY_RESULT_CNT; k++) {
      t->rejected[k] += r->rejected[k];
      t->verified[k] += r->verified[k];
    }
    add_u64s(&t->vs, sof_verify_stats(r->verify), sizeof t->vs);
    if (r->dedupe) add_u64s(&t->ds, sof_dedupe_stats(r->dedupe), sizeof t->ds);
    sof_slotwin_stats_t const *ws = &r->win.stats;
    for (int k = 0; k < SOF_SLOTWIN_CLASS_CNT; k++) t->rxw.cls[k] += ws->cls[k];
    t->rxw.samples += ws->samples;
    t->rxw.tip_moves += ws->tip_moves;
    uint64_t tip = ws->tip;
    if (tip != SOF_SLOTWIN_NONE && tip > t->rx_tip) t->rx_tip = tip;
  }
  /* what the input layer saw and lost before the rx role */
  if (p->input_open && c->driver == SOFD_DRIVER_UDP) {
    sof_udp_stats_sum(&p->udp, &t->udp);
    t->rx_packets += t->udp.truncated; /* they reached sofd: counted received and dropped */
    t->drop[SOFD_RX_DROP_OVERSIZE] += t->udp.truncated;
    /* the kernel's own count is current; the in-band one (SO_RXQ_OVFL)
     * only moves when a datagram comes after the drops */
    uint64_t kd;
    t->lost_unread = p->udp_unread;
    t->lost_kernel = sof_udp_kernel_drops(&p->udp, &kd) == 0 && kd > t->udp.kernel_drops ? kd
                                                                                       : t->udp.kernel_drops;
  } else if (p->input_open) {
    struct rte_eth_stats es;
    if (rte_eth_stats_get(p->eth.port_id, &es) == 0) {
      t->lost_nic = es.imissed + es.rx_nombuf;
      t->nic_ierrors = es.ierrors;
    }
  }
  for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_FEC]; i++) {
    fec_inst_t const *f = &p->fec[i];
    add_u64s(&t->is, sof_ingest_stats(f->ing), sizeof t->is);
    add_u64s(&t->rs, sof_resolver_stats(sof_ingest_resolver(f->ing)), sizeof t->rs);
    add_u64s(&t->as, sof_reasm_stats(sof_ingest_reasm(f->ing)), sizeof t->as);
    t->open_sets += sof_resolver_open_sets(sof_ingest_resolver(f->ing));
    t->arena_full += f->arena_full;
    t->fec_out_dropped += f->out.dropped;
    t->fec_out_held += f->out.held;
    t->fec_slot_msgs += f->slot_msgs;
    t->inline_txns += f->inline_txns;
    t->inline_arena_full += f->inline_arena_full;
    t->pool_in_use += sof_bpool_in_use(f->pool);
    sof_slotwin_t const *fw = sof_ingest_window(f->ing);
    if (fw && fw->stats.tip != SOF_SLOTWIN_NONE && fw->stats.tip > t->fec_tip) t->fec_tip = fw->stats.tip;
  }
}

static uint64_t
rx_dropped(totals_t const *t) {
  uint64_t n = 0;
  for (unsigned k = 0; k <= SOF_PKT_ERR_CNT; k++) n += t->pkt_err[k];
  for (unsigned k = 0; k < SOFD_RX_DROP_CNT; k++) n += t->drop[k];
  for (unsigned k = 0; k <= SOF_SHRED_ERR_CNT; k++) n += t->malformed[k];
  for (unsigned k = 0; k < SOF_VERIFY_RESULT_CNT; k++) n += t->rejected[k];
  return n;
}

/* Every received packet in exactly one counter: an rx drop or passed to
 * fec; every shred fec took late or accepted (valid once nothing is in
 * flight between the roles). */
static int
balanced_of(totals_t const *t) {
  return rx_dropped(t) + t->to_fec == t->rx_packets && t->is.shreds == t->to_fec &&
         t->is.fate[SOF_INGEST_LATE] + t->is.fate[SOF_INGEST_ACCEPTED] == t->is.shreds;
}

/* Shreds without a known leader by epoch, the rx instances' tallies
 * merged: ep[k] (epoch), cnt[k] for k below the count returned. */
static unsigned
unknown_by_epoch(sofd_pipe_t const *p, uint64_t *ep, uint64_t *cnt) {
  unsigned ne = 0;
  for (unsigned i = 0; i < p->cfg->role_cnt[SOFD_ROLE_RX]; i++)
    for (unsigned k = 0; k < UNK_EPOCHS; k++) {
      uint64_t e1 = p->rx[i].unk_epoch[k].epoch_plus1;
      if (!e1) continue;
      unsigned j = 0;
      while (j < ne && ep[j] != e1 - 1) j++;
      if (j == ne) {
        ep[ne] = e1 - 1;
        cnt[ne++] = 0;
      }
      cnt[j] += p->rx[i].unk_epoch[k].cnt;
    }
  return ne;
}

static char const *const rx_drop_names[SOFD_RX_DROP_CNT] = {
#define SOFD_RX_DROP_STR_(name, str) str,
  SOFD_RX_DROP_LIST(SOFD_RX_DROP_STR_)
#undef SOFD_RX_DROP_STR_
};

unsigned
sofd_pipe_counters(sofd_pipe_t const *p, sofd_counter_t *out) {
  totals_t t;
  collect(p, &t);
  unsigned n = 0;
  sofd_counter_t *last = NULL; /* the entry PUT wrote (NULL: the table was full) */
#define PUT(gauge_, help_, v_, ...)                                           \
  do {                                                                         \
    last = NULL;                                                               \
    if (n < SOFD_COUNTERS_MAX) {                                               \
      last = memset(&out[n], 0, sizeof out[n]);                                \
      snprintf(out[n].name, sizeof out[n].name, __VA_ARGS__);                  \
      out[n].help = (help_);                                                   \
      out[n].value = (v_);                                                     \
      out[n].gauge = (gauge_);                                                 \
      n++;                                                                     \
    }                                                                          \
  } while (0)
#define CTR(help_, v_, ...) PUT(0, help_, v_, __VA_ARGS__)
#define GAUGE(help_, v_, ...) PUT(1, help_, v_, __VA_ARGS__)
  /* Prometheus: the entry just PUT is sof_<fam_>{key_="val_"} (docs/metrics.md) */
#define FAM(fam_, key_, val_)                                                  \
  do {                                                                         \
    if (last) {                                                                \
      last->family = (fam_);                                                   \
      last->label_key = (key_);                                                \
      snprintf(last->label_val, sizeof last->label_val, "%s", (val_));         \
    }                                                                          \
  } while (0)
  /* Prometheus: the entry just PUT is left out while cond_ (value unknown) */
#define UNKNOWN_IF(cond_)                                                      \
  do {                                                                         \
    if (last) last->unknown = !!(cond_);                                       \
  } while (0)
  CTR("packets received", t.rx_packets, "rx_packets");
  CTR("bytes received", t.rx_bytes, "rx_bytes");
  CTR("non-empty RX bursts", t.rx_bursts, "rx_bursts");
  for (int e = 1; e <= SOF_PKT_ERR_CNT; e++) {
    CTR("packets dropped before fec (L2-L4 parser, rx role), by reason", t.pkt_err[e], "rx_drop_%s",
        sof_pkt_err_str(-e));
    FAM("rx_dropped_total", "reason", sof_pkt_err_str(-e));
  }
  for (int k = 0; k < SOFD_RX_DROP_CNT; k++) {
    CTR("packets dropped by the rx role, by reason", t.drop[k], "rx_drop_%s", rx_drop_names[k]);
    FAM("rx_dropped_total", "reason", rx_drop_names[k]);
  }
  for (int e = 1; e <= SOF_SHRED_ERR_CNT; e++) {
    CTR("shreds that do not parse, by reason", t.malformed[e], "rx_malformed_%s", sof_shred_err_str(-e));
    FAM("rx_malformed_total", "reason", sof_shred_err_str(-e));
  }
  for (int r = 0; r < SOF_VERIFY_RESULT_CNT; r++) {
    if (r == SOF_VERIFY_VERIFIED || r == SOF_VERIFY_SKIPPED || r == SOF_VERIFY_MALFORMED) continue;
    CTR("shreds rejected by verification, by result", t.rejected[r], "rx_rejected_%s", sof_verify_result_str(r));
    FAM("rx_rejected_total", "result", sof_verify_result_str(r));
  }
  for (int r = 0; r < SOF_VERIFY_RESULT_CNT; r++) {
    if (r == SOF_VERIFY_VERIFIED || r == SOF_VERIFY_SKIPPED || r == SOF_VERIFY_UNKNOWN_LEADER) {
      CTR("shreds passed to fec, by verification result", t.verified[r], "rx_accepted_%s", sof_verify_result_str(r));
      FAM("rx_accepted_total", "result", sof_verify_result_str(r));
    }
  }
  CTR("shreds passed to the fec role", t.to_fec, "rx_to_fec");
  CTR("ARP requests for [input] address answered", t.arp_replies, "rx_arp_replies");
  CTR("ICMP echo requests to [input] address answered", t.icmp_replies, "rx_icmp_replies");
  CTR("ICMP echo requests not answered: over [input] icmp_rate", t.icmp_limited, "rx_icmp_rate_limited");
  CTR("replies the TX queues took", t.tx_sent, "tx_sent");
  CTR("replies dropped: the TX queue was full", t.tx_dropped, "tx_dropped");
  CTR("ed25519 verifications", t.vs.sig_verifies, "verify_sig_verifies");
  CTR("ed25519 verifications with a prepared leader key", t.vs.sig_prepared, "verify_sig_prepared");
  CTR("leader keys prepared (tables built)", t.vs.key_prepares, "verify_key_prepares");
  CTR("of those, prepared ahead in idle steps", t.vs.keys_prepared_ahead, "verify_keys_prepared_ahead");
  CTR("signature checks answered by the cache", t.vs.sig_cache_hits, "verify_sig_cache_hits");
  CTR("repeats of a rejected set answered by the cache", t.vs.bad_cache_hits, "verify_bad_cache_hits");
  CTR("second leader-signed roots for a FEC set", t.vs.conflicts, "verify_conflicts");
  CTR("sets whose signature another rx verifier had checked (no ed25519)", t.vs.shared_hits,
      "verify_shared_hits");
  CTR("a verified root under another signature: rejected without ed25519", t.vs.other_sig_known_root,
      "verify_other_sig_known_root");
  CTR("learned leaders: candidate ed25519 tries", t.vs.learn_tries, "verify_learn_tries");
  CTR("learned leaders: slots whose leader was learned", t.vs.learn_slots, "verify_learn_slots");
  CTR("learned leaders: slots given up (tries ran out)", t.vs.learn_given_up, "verify_learn_given_up");
  CTR("learned leaders: shreds whose leader a learned slot gave", t.vs.learn_hits, "verify_learn_hits");
  CTR("shreds not verified: over a budget (set: their FEC set failed too many checks)", t.vs.over_budget_set,
      "verify_over_budget_set");
  FAM("verify_over_budget_total", "budget", "set");
  CTR("checked past the set budget: a turned-away (root, signature) again on another index",
      t.vs.over_budget_resighted, "verify_over_budget_resighted");
  CTR("shreds not verified: their source failed too many checks", t.vs.over_budget_source,
      "verify_over_budget_source");
  FAM("verify_over_budget_total", "budget", "source");
  CTR("shreds not verified: their verified set had too many other roots", t.vs.over_budget_conflict,
      "verify_over_budget_conflict");
  FAM("verify_over_budget_total", "budget", "conflict");
  for (int k = 0; k < SOF_SLOTWIN_CLASS_CNT; k++) {
    CTR("rx slot admission, by class", t.rxw.cls[k], "window_%s", sof_slotwin_class_str(k));
    FAM("window_admitted_total", "class", sof_slotwin_class_str(k));
  }
  CTR("slots sampled by the rx windows", t.rxw.samples, "window_samples");
  CTR("rx window tip changes", t.rxw.tip_moves, "window_tip_moves");
  GAUGE("rx window tip: median slot of recent accepted shreds (0: no quorum yet)", t.rx_tip, "window_tip");
  UNKNOWN_IF(!t.rx_tip);
  GAUGE("fec window tip (0: no quorum yet)", t.fec_tip, "window_fec_tip");
  UNKNOWN_IF(!t.fec_tip);
  CTR("udp driver: datagrams larger than an mbuf (dropped, in rx_drop_oversize)", t.udp.truncated,
      "input_udp_truncated");
  CTR("udp driver: recvmmsg failures", t.udp.errors, "input_udp_errors");
  CTR("udp driver: polls short of mbufs", t.udp.nomem, "input_udp_nomem");
  CTR("lost before sofd: datagrams the kernel dropped (socket receive buffer full)", t.lost_kernel,
      "input_lost_kernel");
  FAM("input_lost_total", "where", "kernel");
  CTR("lost before sofd: datagrams still queued on the sockets when rx stopped", t.lost_unread,
      "input_lost_unread_at_exit");
  FAM("input_lost_total", "where", "unread_at_exit");
  CTR("lost before sofd: frames the NIC dropped (imissed + rx_nombuf)", t.lost_nic, "input_lost_nic");
  FAM("input_lost_total", "where", "nic");
  CTR("frames the NIC received in error", t.nic_ierrors, "input_nic_ierrors");
  CTR("dedupe: new keys", t.ds.result[SOF_DEDUPE_NEW], "dedupe_new");
  CTR("dedupe: probes (entries examined)", t.ds.probes, "dedupe_probes");
  CTR("dedupe: entries evicted by TTL", t.ds.evict_ttl, "dedupe_evict_ttl");
  FAM("dedupe_evicted_total", "reason", "ttl");
  CTR("dedupe: entries evicted by slot distance", t.ds.evict_slot, "dedupe_evict_slot");
  FAM("dedupe_evicted_total", "reason", "slot");
  CTR("dedupe: entries evicted for capacity", t.ds.evict_capacity, "dedupe_evict_capacity");
  FAM("dedupe_evicted_total", "reason", "capacity");
  CTR("raw_packet/shred events passed to dispatch", t.events_sent, "rx_events");
  CTR("raw_packet/shred events dropped (events ring full)", t.events_dropped, "rx_events_dropped");
  CTR("shreds taken by fec", t.is.shreds, "fec_shreds");
  CTR("shreds of finished FEC sets dropped by fec", t.is.fate[SOF_INGEST_LATE], "fec_late");
  CTR("shreds accepted into the FEC resolver", t.is.fate[SOF_INGEST_ACCEPTED], "fec_accepted");
  for (int r = 0; r < SOF_RESOLVER_RESULT_CNT; r++) {
    CTR("accepted shreds by FEC resolver result", t.is.accepted[r], "fec_result_%s", sof_resolver_result_str(r));
    FAM("fec_resolver_results_total", "result", sof_resolver_result_str(r));
  }
  CTR("FEC sets complete", t.rs.sets_complete, "fec_sets_complete");
  CTR("FEC sets recovered", t.rs.sets_recovered, "fec_sets_recovered");
  GAUGE("FEC sets open", t.open_sets, "fec_sets_open");
  CTR("FEC sets evicted", t.rs.evict_pool + t.rs.evict_window + t.rs.evict_age + t.rs.evict_records,
      "fec_sets_evicted");
  CTR("rebuilt data shreds reassembled", t.is.recovered_ok, "fec_recovered_shreds");
  CTR("rebuilt data shreds rejected", t.is.recovered_rejected, "fec_recovered_rejected");
  CTR("rebuilt data shreds accepted by the resolver's proof to a verified root", t.is.recovered_by_root,
      "fec_recovered_by_root");
  CTR("entry batches completed", t.is.datasets, "fec_datasets");
  CTR("slots complete", t.as.slots_complete, "fec_slots_complete");
  CTR("slots evicted from reassembly", t.as.slots_evicted, "fec_slots_evicted");
  for (int r = 0; r < SOF_REASM_RESULT_CNT; r++) {
    CTR("data shreds given to reassembly, by result", t.as.result[r], "fec_reasm_%s", sof_reasm_result_str(r));
    FAM("fec_reasm_results_total", "result", sof_reasm_result_str(r));
  }
  CTR("complete batches dropped: no dataset block for them", t.as.sink_full, "fec_reasm_sink_full");
  CTR("reassembly refused a slot that is not current rather than evict a current one",
      t.as.refused_current, "fec_reasm_refused_current");
  CTR("FEC sets refused rather than evict a current slot's set", t.rs.refused_current,
      "fec_refused_current");
  CTR("data shreds evicted from reassembly before their batch completed", t.as.shreds_evicted,
      "fec_shreds_evicted");
  CTR("datasets dropped: no free block in the dataset pool", t.arena_full, "fec_arena_full");
  GAUGE("dataset pool blocks in use", t.pool_in_use, "fec_pool_blocks_in_use");
  CTR("recoveries put off: no mbuf for a rebuilt shred", t.rs.out_no_buf, "fec_rebuilt_no_mbuf");
  CTR("fec messages dropped (fec_extract full, on_full = drop)", t.fec_out_dropped, "fec_out_dropped");
  CTR("fec messages held while fec_extract was full", t.fec_out_held, "fec_out_held");
  CTR("slot announcements to the fork tracker", t.fec_slot_msgs, "fec_slot_msgs");
  CTR("transactions handed over ahead of their dataset (inline path)", t.inline_txns, "fec_inline_transactions");
  CTR("early transactions dropped: no free block in the dataset pool", t.inline_arena_full,
      "fec_inline_arena_full");
  extract_inst_t const *x = p->extract;
  CTR("datasets decoded", x->datasets, "extract_datasets");
  CTR("datasets that are not valid entry batches", x->decode_err, "extract_decode_errors");
  CTR("entries decoded", x->entries, "extract_entries");
  CTR("transactions decoded", x->txns, "extract_transactions");
  dispatch_inst_t const *d = p->dispatch;
  CTR("datasets dispatched", d->datasets, "dispatch_datasets");
  CTR("transactions published early (inline path)", d->inline_txns, "dispatch_inline_transactions");
  CTR("transactions dispatched", d->txns, "dispatch_transactions");
  CTR("recent blockhash changes", d->blockhash_changes, "dispatch_blockhash_changes");
  CTR("slot leader changes", d->leader_changes, "dispatch_leader_changes");
  CTR("slots complete (LAST_IN_SLOT reassembled) seen by the fork tracker", d->slots_complete,
      "dispatch_slots_complete");
  GAUGE("slot of the latest observed leader change", d->has_leader ? d->leader_slot : 0, "leader_slot");
  UNKNOWN_IF(!d->has_leader);
  sof_forks_stats_t const *fs = sof_forks_stats(d->forks);
  sof_forks_marks_t mk = sof_forks_marks(d->forks);
  GAUGE("slots tracked by the fork tracker", fs->tracked, "forks_tracked");
  CTR("reorgs", fs->reorgs, "forks_reorgs");
  CTR("slots orphaned", fs->orphaned, "forks_orphaned");
  CTR("slots dropped: too far ahead of the tip", fs->result[SOF_FORKS_AHEAD], "forks_ahead");
  CTR("slots dropped: below the window", fs->result[SOF_FORKS_BEHIND], "forks_behind");
  CTR("fork tracker resyncs", fs->resyncs, "forks_resyncs");
  GAUGE("tip slot", mk.tip == SOF_FORKS_SLOT_NONE ? 0 : mk.tip, "slot_tip");
  UNKNOWN_IF(mk.tip == SOF_FORKS_SLOT_NONE);
  GAUGE("confirmed slot", mk.confirmed == SOF_FORKS_SLOT_NONE ? 0 : mk.confirmed, "slot_confirmed");
  UNKNOWN_IF(mk.confirmed == SOF_FORKS_SLOT_NONE);
  GAUGE("finalized slot", mk.finalized == SOF_FORKS_SLOT_NONE ? 0 : mk.finalized, "slot_finalized");
  UNKNOWN_IF(mk.finalized == SOF_FORKS_SLOT_NONE);
  sof_host_stats_t const *hs = sof_host_stats(p->host);
  for (int l = 0; l < SOF_HOST_LANE_CNT; l++) {
    char const *ln = sof_host_lane_str(l);
    CTR("plugin events queued, by lane", hs->lane[l].enqueued, "plugin_lane_%s_enqueued", ln);
    FAM("plugin_lane_enqueued_total", "lane", ln);
    CTR("plugin events dropped (lane full), by lane", hs->lane[l].dropped, "plugin_lane_%s_dropped", ln);
    FAM("plugin_lane_dropped_total", "lane", ln);
    GAUGE("plugin lane depth", sof_host_lane_depth(p->host, l), "plugin_lane_%s_depth", ln);
    FAM("plugin_lane_depth", "lane", ln);
    GAUGE("plugin lane max depth", hs->lane[l].depth_max, "plugin_lane_%s_depth_max", ln);
    FAM("plugin_lane_depth_max", "lane", ln);
  }
  for (int h = 0; h < SOF_HOOK_CNT; h++) {
    CTR("plugin events dropped, by hook", hs->dropped[h], "plugin_hook_%s_dropped", sof_hook_str(h));
    FAM("plugin_hook_dropped_total", "hook", sof_hook_str(h));
  }
  CTR("transactions refused by the commitment wait buffer (full, or an old slot)", hs->commit_dropped, "plugin_commit_dropped");
  GAUGE("transactions waiting for their commitment", hs->commit_waiting, "plugin_commit_waiting");
  CTR("transactions discarded: slot orphaned", hs->commit_orphaned, "plugin_commit_orphaned");
  GAUGE("1 when every received packet is in exactly one counter", (uint64_t)balanced_of(&t),
        "balanced");
  uint64_t unk = 0;
  for (unsigned i = 0; i < p->cfg->role_cnt[SOFD_ROLE_RX]; i++)
    if (p->rx[i].unknown_slot > unk) unk = p->rx[i].unknown_slot;
  GAUGE("slot + 1 of the latest shred without a known leader (highest over rx instances; 0: none)", unk,
        "rx_unknown_leader_slot");
  {
    uint64_t ep[UNK_EPOCHS * SOFD_INSTANCES_MAX], cnt[UNK_EPOCHS * SOFD_INSTANCES_MAX];
    unsigned ne = unknown_by_epoch(p, ep, cnt);
    for (unsigned k = 0; k < ne; k++) {
      char ev[24];
      snprintf(ev, sizeof ev, "%" PRIu64, ep[k]);
      CTR("shreds without a known leader, by the epoch of their slot", cnt[k], "rx_unknown_leader_epoch_%s", ev);
      FAM("rx_unknown_leader_total", "epoch", ev);
    }
  }
  if (p->prov) n += sofd_provider_counters(p->prov, out + n, SOFD_COUNTERS_MAX - n);
  if (p->ext_counters) n += p->ext_counters(p->ext_ctx, out + n, SOFD_COUNTERS_MAX - n);
#undef CTR
#undef GAUGE
#undef PUT
#undef FAM
#undef UNKNOWN_IF
  return n;
}

/* ---- the stats line and the summary --------------------------------------------------------- */

static void
stats_line(sofd_pipe_t *p, double secs) {
  static uint64_t prev_rx;
  totals_t t;
  collect(p, &t);
  fprintf(stderr, "sofd: rx %" PRIu64 " (%.0f/s) to_fec %" PRIu64 " dropped %" PRIu64
          " late %" PRIu64 " datasets %" PRIu64 " txns %" PRIu64 " tip %" PRIu64
          " lanes %u/%u/%u/%u\n",
          t.rx_packets, secs > 0 ? (double)(t.rx_packets - prev_rx) / secs : 0.0, t.to_fec,
          rx_dropped(&t), t.is.fate[SOF_INGEST_LATE], p->extract->datasets, p->extract->txns,
          p->dispatch->last_tip == SOF_FORKS_SLOT_NONE ? 0 : p->dispatch->last_tip,
          sof_host_lane_depth(p->host, 0), sof_host_lane_depth(p->host, 1),
          sof_host_lane_depth(p->host, 2), sof_host_lane_depth(p->host, 3));
  prev_rx = t.rx_packets;
}

static void
json_activity(sof_json_t *j, sofd_activity_t const *a, uint64_t hz) {
  sof_json_key(j, "processed");  sof_json_u64(j, a->processed);
  sof_json_key(j, "dropped");    sof_json_u64(j, a->dropped);
  sof_json_key(j, "busyUs");     sof_json_u64(j, (uint64_t)((double)a->busy_cycles * 1e6 / (double)hz));
  sof_json_key(j, "busyPolls");  sof_json_u64(j, a->busy_polls);
  sof_json_key(j, "idlePolls");  sof_json_u64(j, a->idle_polls);
}

int
sofd_pipe_summary(sofd_pipe_t *p, char const *stop) {
  static char buf[SUMMARY_MAX];
  sof_json_t js, *j = &js;
  sof_json_init(j, buf, sizeof buf);
  totals_t t;
  collect(p, &t);
  sofd_cfg_t const *c = p->cfg;
  uint64_t accepted = t.is.fate[SOF_INGEST_ACCEPTED];
  uint64_t dropped = rx_dropped(&t) + t.is.fate[SOF_INGEST_LATE];
  int balanced = balanced_of(&t);
  uint64_t hz = p->hz;

  sof_json_obj_begin(j);
  sof_json_key(j, "type");        sof_json_str(j, "summary");
  sof_json_key(j, "stop");        sof_json_str(j, stop);
  sof_json_key(j, "drainTimedOut"); sof_json_bool(j, p->drain_timed_out);
  if (c->driver == SOFD_DRIVER_PROVIDER) {
    sof_json_key(j, "driver");    sof_json_str(j, "provider");
  } else if (c->driver != SOFD_DRIVER_UDP) {
    sof_json_key(j, "port");      sof_json_u64(j, p->eth.port_id);
    sof_json_key(j, "device");    sof_json_str(j, p->eth.name);
    sof_json_key(j, "driver");    sof_json_str(j, p->eth.driver);
  } else {
    sof_json_key(j, "driver");    sof_json_str(j, "udp");
  }
  sof_json_key(j, "rxPackets");   sof_json_u64(j, t.rx_packets);
  sof_json_key(j, "rxBytes");     sof_json_u64(j, t.rx_bytes);
  sof_json_key(j, "rxBursts");    sof_json_u64(j, t.rx_bursts);
  if (c->address) {
    sof_json_key(j, "arpReplies");      sof_json_u64(j, t.arp_replies);
    sof_json_key(j, "icmpReplies");     sof_json_u64(j, t.icmp_replies);
    sof_json_key(j, "icmpRateLimited"); sof_json_u64(j, t.icmp_limited);
    sof_json_key(j, "txSent");          sof_json_u64(j, t.tx_sent);
    sof_json_key(j, "txDropped");       sof_json_u64(j, t.tx_dropped);
  }
  uint64_t busy = 0;
  for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_RX]; i++) busy += p->rx[i].act.busy_cycles;
  for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_FEC]; i++) busy += p->fec[i].act.busy_cycles;
  busy += p->extract->act.busy_cycles + p->dispatch->act.busy_cycles;
  double busy_s = (double)busy / (double)hz;
  /* processing cost of the pipeline roles (rx, fec, extract, dispatch;
   * not the plugins), summed over lcores */
  sof_json_key(j, "busyUs");      sof_json_u64(j, (uint64_t)(busy_s * 1e6));
  sof_json_key(j, "nsPerPacket"); sof_json_u64(j, t.rx_packets ? (uint64_t)(busy_s * 1e9 / (double)t.rx_packets) : 0);
  /* first to last received burst: the input's span; with a replay faster
   * than the pipeline, rxPackets / rxSpanUs is what it sustained */
  uint64_t first = UINT64_MAX, last = 0;
  for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_RX]; i++) {
    if (p->rx[i].first_rx_tsc && p->rx[i].first_rx_tsc < first) first = p->rx[i].first_rx_tsc;
    if (p->rx[i].last_rx_tsc > last) last = p->rx[i].last_rx_tsc;
  }
  sof_json_key(j, "rxSpanUs");
  sof_json_u64(j, last > first ? (uint64_t)((double)(last - first) * 1e6 / (double)hz) : 0);
  sof_json_key(j, "accepted");    sof_json_u64(j, accepted);
  sof_json_key(j, "dropped");     sof_json_u64(j, dropped);
  sof_json_key(j, "balanced");    sof_json_bool(j, balanced);
  /* lost before any counter above could see them */
  /* shreds without a known leader, by the epoch of their slot */
  {
    uint64_t ep[UNK_EPOCHS * SOFD_INSTANCES_MAX], cnt[UNK_EPOCHS * SOFD_INSTANCES_MAX];
    unsigned ne = unknown_by_epoch(p, ep, cnt);
    sof_json_key(j, "unknownLeaderByEpoch");
    sof_json_obj_begin(j);
    for (unsigned k = 0; k < ne; k++) {
      char ev[24];
      snprintf(ev, sizeof ev, "%" PRIu64, ep[k]);
      sof_json_key(j, ev); sof_json_u64(j, cnt[k]);
    }
    sof_json_obj_end(j);
  }
  sof_json_key(j, "lostBefore");
  sof_json_obj_begin(j);
  sof_json_key(j, "kernel");      sof_json_u64(j, t.lost_kernel);
  sof_json_key(j, "unreadAtExit"); sof_json_u64(j, t.lost_unread);
  sof_json_key(j, "nic");         sof_json_u64(j, t.lost_nic);
  sof_json_key(j, "nicErrors");   sof_json_u64(j, t.nic_ierrors);
  sof_json_obj_end(j);
  sof_json_key(j, "window");
  sof_json_obj_begin(j);
  sof_json_key(j, "tip");         sof_json_u64(j, t.rx_tip);
  for (int k = 0; k < SOF_SLOTWIN_CLASS_CNT; k++) {
    sof_json_key(j, sof_slotwin_class_str(k)); sof_json_u64(j, t.rxw.cls[k]);
  }
  sof_json_key(j, "tipMoves");    sof_json_u64(j, t.rxw.tip_moves);
  sof_json_obj_end(j);
  sof_json_key(j, "drops");
  sof_json_obj_begin(j);
  for (int e = 1; e <= SOF_PKT_ERR_CNT; e++) {
    sof_json_key(j, sof_pkt_err_str(-e)); sof_json_u64(j, t.pkt_err[e]);
  }
  for (int k = 0; k < SOFD_RX_DROP_CNT; k++) {
    sof_json_key(j, rx_drop_names[k]); sof_json_u64(j, t.drop[k]);
  }
  sof_json_key(j, "late"); sof_json_u64(j, t.is.fate[SOF_INGEST_LATE]);
  sof_json_key(j, "malformed");
  sof_json_obj_begin(j);
  for (int e = 1; e <= SOF_SHRED_ERR_CNT; e++) {
    sof_json_key(j, sof_shred_err_str(-e)); sof_json_u64(j, t.malformed[e]);
  }
  if (t.malformed[0]) { sof_json_key(j, "unknown"); sof_json_u64(j, t.malformed[0]); }
  sof_json_obj_end(j);
  sof_json_key(j, "rejected");
  sof_json_obj_begin(j);
  for (int r = 0; r < SOF_VERIFY_RESULT_CNT; r++) {
    if (r == SOF_VERIFY_VERIFIED || r == SOF_VERIFY_SKIPPED || r == SOF_VERIFY_MALFORMED) continue;
    sof_json_key(j, sof_verify_result_str(r)); sof_json_u64(j, t.rejected[r]);
  }
  sof_json_obj_end(j);
  sof_json_obj_end(j);
  sof_json_key(j, "acceptedBy");
  sof_json_obj_begin(j);
  for (int r = 0; r < SOF_RESOLVER_RESULT_CNT; r++) {
    sof_json_key(j, sof_resolver_result_str(r)); sof_json_u64(j, t.is.accepted[r]);
  }
  sof_json_obj_end(j);
  sof_json_key(j, "dataShreds");        sof_json_u64(j, t.is.data_shreds);
  sof_json_key(j, "codeShreds");        sof_json_u64(j, t.is.code_shreds);
  sof_json_key(j, "verify");
  sof_json_obj_begin(j);
  for (int r = 0; r < SOF_VERIFY_RESULT_CNT; r++) {
    sof_json_key(j, sof_verify_result_str(r)); sof_json_u64(j, t.rejected[r] + t.verified[r]);
  }
  sof_json_obj_end(j);
  sof_json_key(j, "sigVerifies");       sof_json_u64(j, t.vs.sig_verifies);
  sof_json_key(j, "sigPrepared");       sof_json_u64(j, t.vs.sig_prepared);
  sof_json_key(j, "keyPrepares");       sof_json_u64(j, t.vs.key_prepares);
  sof_json_key(j, "keysPreparedAhead"); sof_json_u64(j, t.vs.keys_prepared_ahead);
  sof_json_key(j, "sigCacheHits");      sof_json_u64(j, t.vs.sig_cache_hits);
  sof_json_key(j, "sharedHits");        sof_json_u64(j, t.vs.shared_hits);
  sof_json_key(j, "badCacheHits");      sof_json_u64(j, t.vs.bad_cache_hits);
  sof_json_key(j, "conflicts");         sof_json_u64(j, t.vs.conflicts);
  sof_json_key(j, "otherSigKnownRoot"); sof_json_u64(j, t.vs.other_sig_known_root);
  sof_json_key(j, "learned");
  sof_json_obj_begin(j);
  sof_json_key(j, "tries");   sof_json_u64(j, t.vs.learn_tries);
  sof_json_key(j, "slots");   sof_json_u64(j, t.vs.learn_slots);
  sof_json_key(j, "givenUp"); sof_json_u64(j, t.vs.learn_given_up);
  sof_json_key(j, "hits");    sof_json_u64(j, t.vs.learn_hits);
  sof_json_obj_end(j);
  sof_json_key(j, "overBudget");
  sof_json_obj_begin(j);
  sof_json_key(j, "set");      sof_json_u64(j, t.vs.over_budget_set);
  sof_json_key(j, "resighted"); sof_json_u64(j, t.vs.over_budget_resighted);
  sof_json_key(j, "source");   sof_json_u64(j, t.vs.over_budget_source);
  sof_json_key(j, "conflict"); sof_json_u64(j, t.vs.over_budget_conflict);
  sof_json_obj_end(j);
  sof_json_key(j, "setsComplete");      sof_json_u64(j, t.rs.sets_complete);
  sof_json_key(j, "setsRecovered");     sof_json_u64(j, t.rs.sets_recovered);
  sof_json_key(j, "setsIncomplete");    sof_json_u64(j, t.open_sets);
  sof_json_key(j, "recoveredShreds");   sof_json_u64(j, t.is.recovered_ok);
  sof_json_key(j, "recoveredRejected"); sof_json_u64(j, t.is.recovered_rejected);
  /* open sets given up before they completed: their shreds are lost */
  sof_json_key(j, "setsEvictedOpen");
  sof_json_u64(j, t.rs.evict_pool + t.rs.evict_window + t.rs.evict_age);
  sof_json_key(j, "resolverEvictions");
  sof_json_u64(j, t.rs.evict_pool + t.rs.evict_window + t.rs.evict_age + t.rs.evict_records);
  sof_json_key(j, "slotsComplete");     sof_json_u64(j, t.as.slots_complete);
  sof_json_key(j, "slotsEvicted");      sof_json_u64(j, t.as.slots_evicted);
  sof_json_key(j, "shredsEvicted");     sof_json_u64(j, t.as.shreds_evicted);
  sof_json_key(j, "reassembly");
  sof_json_obj_begin(j);
  for (int r = 0; r < SOF_REASM_RESULT_CNT; r++) {
    sof_json_key(j, sof_reasm_result_str(r)); sof_json_u64(j, t.as.result[r]);
  }
  sof_json_key(j, "sinkFull");       sof_json_u64(j, t.as.sink_full);
  sof_json_key(j, "refusedCurrent"); sof_json_u64(j, t.as.refused_current);
  sof_json_obj_end(j);
  sof_json_key(j, "fecRefusedCurrent"); sof_json_u64(j, t.rs.refused_current);
  sof_json_key(j, "datasets");          sof_json_u64(j, p->extract->datasets);
  sof_json_key(j, "datasetErrors");     sof_json_u64(j, p->extract->decode_err);
  sof_json_key(j, "datasetsArenaFull"); sof_json_u64(j, t.arena_full);
  /* after the plugin host's shutdown every block is back: nothing leaked */
  sof_json_key(j, "datasetBlocksInUse"); sof_json_u64(j, t.pool_in_use);
  sof_json_key(j, "transactions");      sof_json_u64(j, p->extract->txns);
  sof_forks_stats_t const *fs = sof_forks_stats(p->dispatch->forks);
  sof_forks_marks_t mk = sof_forks_marks(p->dispatch->forks);
  sof_json_key(j, "forks");
  sof_json_obj_begin(j);
  sof_json_key(j, "tip");        sof_json_u64(j, mk.tip == SOF_FORKS_SLOT_NONE ? 0 : mk.tip);
  sof_json_key(j, "confirmed");  sof_json_u64(j, mk.confirmed == SOF_FORKS_SLOT_NONE ? 0 : mk.confirmed);
  sof_json_key(j, "finalized");  sof_json_u64(j, mk.finalized == SOF_FORKS_SLOT_NONE ? 0 : mk.finalized);
  sof_json_key(j, "tracked");    sof_json_u64(j, fs->tracked);
  sof_json_key(j, "reorgs");     sof_json_u64(j, fs->reorgs);
  sof_json_key(j, "orphaned");   sof_json_u64(j, fs->orphaned);
  sof_json_key(j, "ahead");      sof_json_u64(j, fs->result[SOF_FORKS_AHEAD]);
  sof_json_key(j, "behind");     sof_json_u64(j, fs->result[SOF_FORKS_BEHIND]);
  sof_json_obj_end(j);
  sof_json_key(j, "roles");
  sof_json_arr_begin(j);
  for (unsigned i = 0; i < sofd_pipe_role_cnt(p); i++) {
    int role;
    unsigned inst, lcore, depth;
    sofd_activity_t a;
    sofd_pipe_role_info(p, i, &role, &inst, &lcore, &a, &depth);
    sof_json_obj_begin(j);
    sof_json_key(j, "role");     sof_json_str(j, sofd_role_str(role));
    sof_json_key(j, "instance"); sof_json_u64(j, inst);
    sof_json_key(j, "lcore");    sof_json_u64(j, lcore);
    json_activity(j, &a, hz);
    sof_json_obj_end(j);
  }
  sof_json_arr_end(j);
  sof_json_key(j, "rings");
  sof_json_obj_begin(j);
  for (unsigned i = 0; i < sofd_pipe_ring_cnt(p); i++) {
    char const *name;
    unsigned size, count;
    uint64_t rdrop, held;
    sofd_pipe_ring_info(p, i, &name, &size, &count, &rdrop, &held);
    sof_json_key(j, name);
    sof_json_obj_begin(j);
    sof_json_key(j, "size");    sof_json_u64(j, size);
    sof_json_key(j, "count");   sof_json_u64(j, count);
    sof_json_key(j, "dropped"); sof_json_u64(j, rdrop);
    sof_json_key(j, "held");    sof_json_u64(j, held);
    sof_json_obj_end(j);
  }
  sof_json_obj_end(j);
  sof_host_stats_t const *hs = sof_host_stats(p->host);
  sof_json_key(j, "plugins");
  sof_json_obj_begin(j);
  sof_json_key(j, "lanes");
  sof_json_obj_begin(j);
  for (int l = 0; l < SOF_HOST_LANE_CNT; l++) {
    sof_json_key(j, sof_host_lane_str(l));
    sof_json_obj_begin(j);
    sof_json_key(j, "enqueued");   sof_json_u64(j, hs->lane[l].enqueued);
    sof_json_key(j, "dropped");    sof_json_u64(j, hs->lane[l].dropped);
    sof_json_key(j, "dispatched"); sof_json_u64(j, hs->lane[l].dispatched);
    sof_json_key(j, "depthMax");   sof_json_u64(j, hs->lane[l].depth_max);
    sof_json_obj_end(j);
  }
  sof_json_obj_end(j);
  sof_json_key(j, "commitWaiting");  sof_json_u64(j, hs->commit_waiting);
  sof_json_key(j, "commitReleased"); sof_json_u64(j, hs->commit_released);
  sof_json_key(j, "commitDropped");  sof_json_u64(j, hs->commit_dropped);
  sof_json_key(j, "commitOrphaned"); sof_json_u64(j, hs->commit_orphaned);
  sof_json_key(j, "registered");
  sof_json_arr_begin(j);
  for (unsigned i = 0; i < sof_host_plugin_cnt(p->host); i++) sof_json_str(j, sof_host_plugin(p->host, i)->name);
  sof_json_arr_end(j);
  sof_json_obj_end(j);
  sof_json_obj_end(j);
  sof_json_newline(j);
  if (sof_json_ok(j)) fwrite(j->buf, 1, j->len, stderr);
  else fprintf(stderr, "sofd: summary too long for its buffer\n");
  return balanced;
}

/* ---- introspection -------------------------------------------------------------------------- */

/* Items a role instance dropped, all reasons (its own counters). */
static uint64_t
role_dropped(sofd_pipe_t const *p, int role, unsigned i) {
  uint64_t n = 0;
  switch (role) {
  case SOFD_ROLE_RX: {
    rx_inst_t const *r = &p->rx[i];
    for (unsigned k = 0; k <= SOF_PKT_ERR_CNT; k++) n += r->pkt_err[k];
    for (unsigned k = 0; k < SOFD_RX_DROP_CNT; k++) n += r->drop[k];
    for (unsigned k = 0; k <= SOF_SHRED_ERR_CNT; k++) n += r->malformed[k];
    for (unsigned k = 0; k < SOF_VERIFY_RESULT_CNT; k++) n += r->rejected[k];
    return n + r->events_dropped;
  }
  case SOFD_ROLE_FEC: {
    fec_inst_t const *f = &p->fec[i];
    return sof_ingest_stats(f->ing)->fate[SOF_INGEST_LATE] + f->arena_full + f->out.dropped +
           f->inline_arena_full;
  }
  case SOFD_ROLE_EXTRACT: return p->extract->decode_err + p->extract->out.dropped;
  case SOFD_ROLE_PLUGINS: {
    sof_host_stats_t const *hs = sof_host_stats(p->host);
    plugins_inst_t const *w = &p->plugins[i];
    for (unsigned l = w->idx; l < SOF_HOST_LANE_CNT; l += w->cnt) n += hs->lane[l].dropped;
    return n;
  }
  default: return 0;
  }
}

unsigned
sofd_pipe_role_cnt(sofd_pipe_t const *p) {
  unsigned n = 0;
  for (int r = 0; r < SOFD_ROLE_CNT; r++) n += p->cfg->role_cnt[r];
  return n;
}

int
sofd_pipe_role_info(sofd_pipe_t const *p, unsigned i, int *role, unsigned *instance,
                    unsigned *lcore, sofd_activity_t *act, unsigned *in_depth) {
  for (int r = 0; r < SOFD_ROLE_CNT; r++) {
    if (i >= p->cfg->role_cnt[r]) {
      i -= p->cfg->role_cnt[r];
      continue;
    }
    *role = r;
    *instance = i;
    *lcore = p->cfg->role_lcores[r][i];
    role_ref_t ref = {.role = r, .inst = i};
    *act = *activity_of((sofd_pipe_t *)p, &ref);
    act->dropped = role_dropped(p, r, i);
    switch (r) {
    case SOFD_ROLE_RX: *in_depth = 0; break;
    case SOFD_ROLE_FEC: *in_depth = rte_ring_count(p->rx_fec[i]); break;
    case SOFD_ROLE_EXTRACT: *in_depth = rte_ring_count(p->fec_extract); break;
    case SOFD_ROLE_DISPATCH:
      *in_depth = rte_ring_count(p->extract_dispatch) + (p->events ? rte_ring_count(p->events) : 0);
      break;
    default: {
      unsigned d = 0;
      for (int l = 0; l < SOF_HOST_LANE_CNT; l++) d += sof_host_lane_depth(p->host, l);
      *in_depth = d;
    }
    }
    return 0;
  }
  return -1;
}

unsigned
sofd_pipe_ring_cnt(sofd_pipe_t const *p) {
  return p->cfg->role_cnt[SOFD_ROLE_FEC] + 2 + (p->events ? 1 : 0);
}

int
sofd_pipe_ring_info(sofd_pipe_t const *p, unsigned i, char const **name, unsigned *size,
                    unsigned *count, uint64_t *dropped, uint64_t *held) {
  unsigned nfec = p->cfg->role_cnt[SOFD_ROLE_FEC];
  struct rte_ring const *r;
  *dropped = *held = 0;
  if (i < nfec) {
    r = p->rx_fec[i];
    for (unsigned k = 0; k < p->cfg->role_cnt[SOFD_ROLE_RX]; k++) *dropped += p->rx[k].drop[SOFD_RX_DROP_RING_FULL];
    if (nfec > 1) *dropped = 0; /* per shard drops are not split: see rx_drop_ring_full */
  } else if (i == nfec) {
    r = p->fec_extract;
    for (unsigned k = 0; k < nfec; k++) {
      *dropped += p->fec[k].out.dropped;
      *held += p->fec[k].out.held;
    }
  } else if (i == nfec + 1) {
    r = p->extract_dispatch;
    *held = p->extract->out.held;
  } else if (i == nfec + 2 && p->events) {
    r = p->events;
    for (unsigned k = 0; k < p->cfg->role_cnt[SOFD_ROLE_RX]; k++) *dropped += p->rx[k].events_dropped;
  } else {
    return -1;
  }
  *name = r->name;
  *size = rte_ring_get_size(r);
  *count = rte_ring_count(r);
  return 0;
}

sof_host_t *
sofd_pipe_host(sofd_pipe_t const *p) {
  return p->host;
}

int
sofd_pipe_leader(sofd_pipe_t const *p, uint64_t *slot, uint8_t leader[32]) {
  dispatch_inst_t const *x = p->dispatch;
  if (!x->has_leader) return 0;
  *slot = x->leader_slot;
  memcpy(leader, x->leader, 32);
  return 1;
}
