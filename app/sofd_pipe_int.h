/* sofd_pipe_int.h: sofd's pipeline internals, shared by the files that make
 * it up (private to app/: sofd.c, sofd_telemetry.c and sofd_leaders.c use
 * sofd_pipe.h only).
 *
 *   sofd_pipe.c       topology: rings, role instances and their wiring,
 *                     the lcore schedule, the input port / sockets, the
 *                     lcore loop; teardown
 *   sofd_rx.c         the rx role (sofd_rx_inst_t): frame classification,
 *                     slot admission, verification, dedupe, on to fec;
 *                     [input] address replies
 *   sofd_fec.c        the fec role (sofd_fec_inst_t): FEC resolver,
 *                     reassembly, datasets, inline transactions
 *   sofd_extract.c    the extract role (sofd_extract_inst_t)
 *   sofd_dispatch.c   the dispatch role (sofd_dispatch_inst_t): fork
 *                     tracker, leader context, the plugin host's producer
 *   sofd_plugins.c    the plugin lane workers (sofd_plugins_inst_t)
 *   sofd_monitor.c    the main lcore's monitor: stop, drain, stats line,
 *                     tick
 *   sofd_counters.c   the counter table, stats line, summary, role / ring
 *                     introspection (read by any thread)
 *
 * Threads: a role instance's state is written only by the lcore that polls
 * it (its sofd_X_poll, from the lcore loop in sofd_pipe.c); the monitor
 * (main lcore), the telemetry and leaders threads read its counters
 * without locks (plain aligned 64-bit loads, racy snapshots). The
 * sofd_X_init / sofd_X_fini functions run on the main thread before the
 * lcores start / after they stopped.
 *
 * Hot path: each role's per-packet / per-message helpers are static in its
 * own file (inlined there); the only calls from the lcore loop into a role
 * file are its per-burst poll function. Helpers several roles use per item
 * (sofd_outq_*) are static inline here. */
#ifndef SOFD_PIPE_INT_H
#define SOFD_PIPE_INT_H

#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "sofd_pipe.h"
#include "sofd_exc.h"
#include "sofd_race.h"
#include "sofd_provider.h"

#include "../drivers/sof_ethdev.h"
#include "../drivers/sof_preload.h"
#include "../drivers/sof_udp.h"
#include "net/sof_arp.h"
#include "pipeline/sof_ingest.h"
#include "pipeline/sof_inline.h"
#include "plugin/sof_host.h"
#include "state/sof_dedupe.h"
#include "state/sof_forks.h"
#include "util/sof_bpool.h"
#include "verify/sof_leaders.h"
#include "verify/sof_verify.h"
#include "wire/sof_pkt.h"
#include "wire/sof_shred.h"

#define SOFD_BURST_MAX    512U   /* rx: frames per RX burst and replies held per poll, at most */
#define SOFD_STASH_MAX    512U   /* messages a producer holds while its ring is full (block) */
#define SOFD_MSG_BURST    64U    /* items a fec / extract / dispatch poll takes at most */
#define SOFD_SLOTSEEN_SZ  256U   /* per fec shard: recent slots already announced */
#define SOFD_FEC_RESERVE  4U     /* per fec shard: reserve blocks for datasets completed in a held-off burst */
#define SOFD_FEC_RESERVE_MIN (64U << 10) /* the reserve block size to start with (a 32-shred batch and its refs) */
#define SOFD_FEC_STALL_MS 250U   /* a hold in which no dataset block comes back for this long, with nothing
                                    in flight downstream and extract + dispatch polling, is given up */
#define SOFD_FEC_STUCK_MS 5000U  /* a hold in which no dataset block comes back for this long is given up
                                    whatever is in flight (a plugin stuck in a callback) */

/* ---- messages and datasets -------------------------------------------------------- */

#define SOFD_MSG_SLOT          1 /* slot (and parent, or SOF_SLOT_UNKNOWN) of an accepted shred */
#define SOFD_MSG_DATASET       2 /* arg: sofd_dataset_t *, a block of the shard's pool */
#define SOFD_MSG_SLOT_COMPLETE 3 /* every data shred up to LAST_IN_SLOT reassembled */
#define SOFD_MSG_INLINE        4 /* arg: sofd_dataset_t * holding one transaction found early */
#define SOFD_MSG_PROVIDER_TXN  5 /* arg: a provider transaction block (sofd_provider.h) */
#define SOFD_MSG_PROVIDER_STATUS 6 /* joined mode: arg: a provider outcome block (sofd_provider.h) */
#define SOFD_MSG_PROVIDER_COMMIT 7 /* slot confirmed / finalized by the provider, arg: SOF_FORKS_STATUS_* */

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
typedef struct sofd_outq {
  struct rte_ring *ring;
  int              block;
  sofd_msg_t       stash[SOFD_STASH_MAX];
  unsigned         stash_n;
  uint64_t         dropped;
  uint64_t         held;   /* messages that waited in the stash */
} sofd_outq_t;

static inline void
sofd_outq_flush(sofd_outq_t *q) {
  if (!q->stash_n) return;
  unsigned n = rte_ring_enqueue_burst_elem(q->ring, q->stash, sizeof(sofd_msg_t), q->stash_n, NULL);
  if (n && n < q->stash_n) memmove(q->stash, q->stash + n, (q->stash_n - n) * sizeof(sofd_msg_t));
  q->stash_n -= n;
}

/* Returns 1 when queued or held, 0 when dropped. */
static inline int
sofd_outq_put(sofd_outq_t *q, sofd_msg_t const *m) {
  if (!q->stash_n && rte_ring_enqueue_elem(q->ring, (void *)(uintptr_t)m, sizeof *m) == 0) return 1;
  if (q->block && q->stash_n < SOFD_STASH_MAX) {
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
typedef struct sofd_epoch_sched {
  uint64_t first_normal_epoch, first_normal_slot, slots_per_epoch;
} sofd_epoch_sched_t;
#define SOFD_UNK_EPOCHS 4U /* epochs tallied per rx instance (the oldest gives way) */

/* Role instances: one cache-aligned struct each, in arrays of the pipeline.
 * sofd_pipe.c fills the wiring (lcore, index, rings, port / queue);
 * sofd_<role>_init the rest; from then on only the instance's lcore
 * writes it (sofd_<role>_poll) until the lcores stopped. */

/* rx (sofd_rx.c): one per RX queue / UDP socket. */
typedef struct sofd_rx_inst {
  sofd_activity_t act;
  uint64_t packets, bytes, bursts;
  uint64_t pkt_err[SOF_PKT_ERR_CNT + 1];
  uint64_t drop[SOFD_RX_DROP_CNT];
  uint64_t malformed[SOF_SHRED_ERR_CNT + 1];
  uint64_t rejected[SOF_VERIFY_RESULT_CNT];
  uint64_t verified[SOF_VERIFY_RESULT_CNT];   /* accepted, by result */
  uint64_t sent;           /* shreds passed to fec */
  uint64_t unknown_slot;   /* slot of the latest shred without a known leader (+1; 0: none) */
  struct { uint64_t epoch_plus1, cnt; } unk_epoch[SOFD_UNK_EPOCHS]; /* unknown_leader shreds by epoch */
  uint64_t events_sent, events_dropped;
  uint64_t held_polls;     /* replay input (hold_full): polls that left the input unread, a rx_fec ring short */
  sof_preload_t *paced;    /* preload_rate: release this queue's due frames before each burst */
  int      hold_full;      /* replay input (preload, net_pcap from a file): wait for room instead of
                              dropping ring_full; -1 until the first poll decides */
  uint16_t hold_min;       /* replay input: the least room share worth a read (sofd_rx.c) */
  uint16_t n_rx;           /* rx instances (sharing the rx_fec rings' room) */
  uint64_t first_rx_tsc;
  uint64_t last_rx_tsc;
  uint64_t last_empty_tsc; /* the latest poll that found no packet (idle-exit sees the rx itself idle) */
  unsigned lcore, idx;
  uint16_t port, queue;
  int      udp;
  sof_udp_t *udp_dev;
  sof_verify_t *verify;
  sof_dedupe_t *dedupe;
  sof_race_t *race;        /* feed race: this instance's table (NULL: [race] off) */
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
  struct rte_mbuf *tx[SOFD_BURST_MAX];
  /* [input] exception = tap (sofd_exc.h): non-shred frames to the kernel; NULL: off */
  sofd_exc_q_t *exc;
} __rte_cache_aligned sofd_rx_inst_t;

/* fec (sofd_fec.c): one per shard; shard i owns the slots with slot % shards == i. */
typedef struct sofd_fec_inst {
  sofd_activity_t act;
  struct rte_ring *in;
  sof_verify_t *verify;   /* twin of the rx verifiers: policy + rebuilt shreds */
  sof_ingest_t *ing;
  sof_inline_t *inl;      /* inline delivery walker (NULL: no inline subscriber) */
  sofd_dataset_t *pending; /* the pool block the reassembler is filling */
  uint64_t inline_txns, inline_arena_full;
  sof_bpool_t *pool;       /* dataset blocks (allocated here, released anywhere) */
  sof_race_t *race;        /* feed race: FEC sets completed first (NULL: [race] off) */
  sofd_outq_t out;
  uint64_t arena_full;    /* datasets dropped: arena exhausted */
  uint64_t slot_msgs;
  /* back-pressure (sofd_fec.c, "Flow control" in docs/architecture.md):
   * fec takes shreds only while it holds SOFD_FEC_RESERVE reserve blocks
   * of reserve_sz bytes (a dataset that finds the pool dry is assembled
   * in one of them) and fec_extract has room; else the poll is held */
  void    *reserve[SOFD_FEC_RESERVE];
  unsigned reserve_n;
  uint32_t reserve_sz;    /* the largest block request seen, rounded up to a power of two */
  uint32_t reserve_sz_max; /* at most this: the pool has 2 x SOFD_FEC_RESERVE blocks this large */
  uint64_t bp_polls_pool; /* polls held: the pool could not refill the reserve */
  uint64_t bp_polls_out;  /* polls held: fec_extract full (on_full = block) */
  uint64_t bp_cycles;     /* tsc cycles held, episodes that ended */
  uint64_t bp_since;      /* tsc the current hold began (0: not held; read racily) */
  uint64_t bp_progress_tsc; /* during a hold: since when no block came back and nothing was in flight
                               downstream (0: just now) */
  uint64_t bp_block_tsc;    /* during a hold: since when no block came back (0: just now) */
  uint64_t bp_in_use;       /* pool blocks in use at the previous held poll */
  uint64_t bp_stall_cycles; /* SOFD_FEC_STALL_MS: a quiet hold with no block back for this long is given up */
  uint64_t bp_stuck_cycles; /* SOFD_FEC_STUCK_MS: any hold with no block back for this long is given up */
  uint64_t bp_ext_polls, bp_disp_polls; /* extract's / dispatch's polls when the downstream turned quiet */
  int      bp_quiet;        /* the downstream was quiet at the previous held poll */
  struct sofd_pipe const *pipe; /* its rings, host and roles: the downstream a hold waits for */
  uint64_t bp_reserve_used; /* datasets / early transactions assembled in a reserve block */
  uint64_t bp_gave_up;    /* holds given up: no block came back for SOFD_FEC_STALL_MS with the downstream
                             quiet, or for SOFD_FEC_STUCK_MS */
  int      bp_bypass;     /* after giving up: take shreds until the reserve is full again */
  uint64_t cur_rx_tsc;
  struct { uint64_t slot; uint64_t first_tsc; uint8_t parent_sent; } seen[SOFD_SLOTSEEN_SZ];
  unsigned shard, lcore;
} __rte_cache_aligned sofd_fec_inst_t;

/* extract (sofd_extract.c): one. */
typedef struct sofd_extract_inst {
  sofd_activity_t act;
  struct rte_ring *in;
  sofd_outq_t out;
  uint64_t datasets, decode_err, txns, entries, refs_overflow;
  unsigned lcore;
} __rte_cache_aligned sofd_extract_inst_t;

/* dispatch (sofd_dispatch.c): one; the plugin host's only producer. */
typedef struct sofd_dispatch_inst {
  sofd_activity_t act;
  struct rte_ring *in;
  struct rte_ring *events;
  sof_forks_t *forks;
  uint64_t datasets, txns, slot_msgs, events_in, inline_txns;
  uint64_t blockhash_changes;
  uint64_t leader_changes;
  uint64_t slots_complete;
  int      snapshot_sent;
  uint64_t next_topo_tsc;  /* the next cluster_topology check (set_topology) */
  uint64_t bh_slot;
  uint8_t  bh[32];
  uint8_t  has_bh;
  uint64_t leader_slot;
  uint8_t  leader[32];
  uint8_t  has_leader;
  uint64_t last_tip;
  unsigned lcore;
} __rte_cache_aligned sofd_dispatch_inst_t;

/* Plugin lane workers (sofd_plugins.c): with n workers, worker i polls the lanes l with
 * l % n == i, so every lane has exactly one worker (sequential dispatch);
 * more than four workers leaves the extra ones idle. */
typedef struct sofd_plugins_inst {
  sofd_activity_t act;
  unsigned lcore;
  unsigned idx, cnt;
} __rte_cache_aligned sofd_plugins_inst_t;

/* An entry of an lcore's schedule: role (SOFD_ROLE_*) and instance. */
typedef struct sofd_role_ref {
  int      role;
  unsigned inst;
} sofd_role_ref_t;

/* The pipeline: built by sofd_pipe_new (main thread); the role arrays and
 * rings are fixed from then on. stop_rx and quit are written by the
 * monitor (main lcore) and read by every lcore loop; epochs by
 * sofd_pipe_set_epochs (any thread, release) and the rx drop path
 * (acquire). */
struct sofd_pipe {
  sofd_cfg_t const *cfg;
  sof_leaders_t const *leaders;
  sof_host_t *host;
  sofd_rx_inst_t *rx;          /* cfg->role_cnt[RX] */
  sofd_fec_inst_t *fec;
  sofd_extract_inst_t *extract;
  sofd_dispatch_inst_t *dispatch;
  sofd_plugins_inst_t *plugins;
  struct rte_ring *rx_fec[SOFD_INSTANCES_MAX];
  struct rte_ring *fec_extract, *extract_dispatch, *events;
  struct rte_mempool *pool;
  sof_verify_shared_t *shared; /* NULL with a single verifier */
  sof_race_group_t *race;      /* feed race: every rx and fec instance's table (NULL: off) */
  sofd_provider_t *prov;       /* provider driver / joined mode: the client thread (NULL: none) */
  struct rte_ring *prov_ring;  /* its messages to dispatch (SP/SC: the client thread -> dispatch) */
  unsigned (*ext_counters)(void *ctx, sofd_counter_t *out, unsigned cap); /* sofd_pipe_set_counters */
  sofd_epoch_sched_t epochs_store[2];   /* sofd_pipe_set_epochs writes the one not published */
  sofd_epoch_sched_t *epochs;           /* published (release / acquire) */
  void *ext_ctx;
  sof_shred_refs_t shred_refs;  /* fec: resolver and reassembly hold mbufs by reference */
  sof_ethdev_t eth;
  sofd_exc_t *exc;         /* [input] exception = tap: the tap and its service thread; NULL: off */
  sof_udp_t udp;
  uint64_t input_unread;   /* input left unread at exit: datagrams on the sockets (sof_udp_drain),
                              frames still in the preload rings */
  sof_preload_t preload;   /* driver preload: the net_ring port's rings and mbufs */
  int input_open;
  int want_inline;         /* a plugin takes inline transactions (sofd_fec_init's, kept for a rebuild) */
  /* lcore schedule */
  sofd_role_ref_t sched[RTE_MAX_LCORE][(SOFD_ROLE_CNT + 2) * SOFD_INSTANCES_MAX]; /* + the early delivery polls */
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
  int (*topo_take)(void *ctx, uint32_t *added, uint32_t *removed, uint32_t *total); /* set_topology */
  void *topo_ctx;
  struct sof_ev_gossip_vote const *(*vote_peek)(void *ctx); /* set_votes */
  void (*vote_pop)(void *ctx);
  void *vote_ctx;
};

/* sofd_activity_of: the activity counters of the instance r names. */
static inline sofd_activity_t *
sofd_activity_of(sofd_pipe_t *p, sofd_role_ref_t const *r) {
  switch (r->role) {
  case SOFD_ROLE_RX: return &p->rx[r->inst].act;
  case SOFD_ROLE_FEC: return &p->fec[r->inst].act;
  case SOFD_ROLE_EXTRACT: return &p->extract[r->inst].act;
  case SOFD_ROLE_DISPATCH: return &p->dispatch[r->inst].act;
  default: return &p->plugins[r->inst].act;
  }
}

/* ---- roles: set up on the main thread, polled by their lcore ------------------------- */
/* Every sofd_X_init runs in sofd_pipe_new after sofd_pipe.c filled the
 * instance's wiring (lcore, index, its rings); it builds the objects the
 * instance owns from p->cfg and returns 0, or -1 with a message on stderr
 * (sofd_pipe_delete then calls sofd_X_fini, which takes a partly built
 * instance). Every sofd_X_poll runs on the instance's lcore only, one call
 * per loop turn: it takes at most one burst off its input and returns the
 * items it took (0: idle). */

/* sofd_rx.c. sofd_rx_poll returns 0 without receiving once p->stop_rx is
 * set. sofd_rx_nic_start ([input] address): after the port is open, arms
 * every rx instance's ARP / ICMP answering and sends a gratuitous ARP on TX
 * queue 0 (main thread, before the lcores start). */
int      sofd_rx_init(sofd_pipe_t *p, sofd_rx_inst_t *r);
void     sofd_rx_fini(sofd_rx_inst_t *r);
unsigned sofd_rx_poll(sofd_pipe_t *p, sofd_rx_inst_t *r);
/* sofd_rx_poll_bootstrap: one burst before the pipeline runs
 * (sofd_pipe_bootstrap's thread, alone on the queues): framing as
 * sofd_rx_poll (the exception path, its relay), shred candidates dropped
 * before_join. Returns the frames received. */
unsigned sofd_rx_poll_bootstrap(sofd_rx_inst_t *r);
void     sofd_rx_nic_start(sofd_pipe_t *p, unsigned nrx);

/* sofd_fec.c. sofd_fec_refs_init fills p->shred_refs (mbuf references for
 * the resolver and reassembly; rebuilt shreds come from p->pool) before
 * any sofd_fec_init. sofd_fec_fini gives the mbufs the instance holds back
 * to the pool: call it before the pool goes. want_inline: a plugin takes
 * inline transactions. */
void     sofd_fec_refs_init(sofd_pipe_t *p);
int      sofd_fec_init(sofd_pipe_t *p, sofd_fec_inst_t *f, int want_inline);
void     sofd_fec_fini(sofd_fec_inst_t *f);
unsigned sofd_fec_poll(sofd_fec_inst_t *f);

/* sofd_extract.c */
unsigned sofd_extract_poll(sofd_extract_inst_t *x);

/* sofd_dispatch.c */
int      sofd_dispatch_init(sofd_pipe_t *p, sofd_dispatch_inst_t *x);
void     sofd_dispatch_fini(sofd_dispatch_inst_t *x);
unsigned sofd_dispatch_poll(sofd_pipe_t *p, sofd_dispatch_inst_t *x);

/* sofd_plugins.c */
unsigned sofd_plugins_poll(sofd_pipe_t *p, sofd_plugins_inst_t *w);

/* sofd_pipe.c: a verifier for an rx instance or a fec twin from cfg
 * ([verify]), sharing `shared` (may be NULL). NULL with a message. */
sof_verify_t *sofd_make_verify(sofd_cfg_t const *c, sof_leaders_t const *leaders, sof_verify_shared_t *shared);

/* ---- sofd_monitor.c: the main lcore, between its polls ---------------------------------- */
/* The lcore loop calls sofd_monitor_check when now >= mo->next_check
 * (about once per ms): signals and idle exit stop rx, the drain ends with
 * p->quit, the stats line every cfg->stats_ms, the tick. */
typedef struct sofd_monitor {
  uint64_t next_check, next_stats, stats_at, drain_deadline, last_processed;
  unsigned quiet;
} sofd_monitor_t;

void sofd_monitor_check(sofd_pipe_t *p, sofd_monitor_t *mo, uint64_t now);

/* ---- sofd_counters.c ------------------------------------------------------------------ */
/* sofd_stats_line: the periodic stats line on stderr (main lcore only:
 * it keeps the previous count for the rate). */
void sofd_stats_line(sofd_pipe_t *p, double secs);

#endif
