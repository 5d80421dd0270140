/* sofd_pipe.h: sofd's roles and the rings between them.
 *
 *   rx (one per RX queue / UDP socket)
 *     burst, L2-L4 filter, shred parse on the mbuf, ingress dedupe, verify;
 *     the shred's verification result rides in the mbuf's private area
 *       | rx_fec.N rings (mbuf pointers), one per fec shard, by slot
 *   fec (one per shard)
 *     late check, FEC resolver, reassembly; a completed entry batch is copied
 *     into the shard's dataset arena; a slot's first shred / parent and slot
 *     completion become SLOT messages
 *       | fec_extract ring (sofd_msg_t)
 *   extract
 *     entries -> transactions: per dataset a table of (offset, size, kind,
 *     entry) and the first transaction's recent blockhash
 *       | extract_dispatch ring (sofd_msg_t)
 *   dispatch
 *     the fork tracker (slot status, commitment, reorgs), recent blockhash,
 *     leader context, and the plugin host's producer side; frees datasets
 *       + events ring: mbufs (an extra reference) of accepted shreds for the
 *         raw_packet / shred hooks, only when a plugin subscribed
 *   plugins (lane workers)
 *     sof_host_lane_poll on every lane
 *
 * Every role instance is a poll function over its own state; an lcore runs
 * the instances assigned to it in turn, so any set of roles can share one
 * lcore. Each instance is written by one lcore only; its counters are read
 * by the main lcore (monitor) and the telemetry thread without locks (plain
 * aligned 64-bit loads). */
#ifndef SOFD_PIPE_H
#define SOFD_PIPE_H

#include <stdint.h>

#include <rte_common.h>
#include <rte_ring.h>

#include "sofd_opts.h"
#include "wire/sof_shred.h"

struct rte_mbuf;
struct rte_mempool;
typedef struct sof_host sof_host_t;
typedef struct sof_leaders sof_leaders_t;

/* Shred metadata from rx to fec, in the mbuf's private area. */
typedef struct sofd_meta {
  uint64_t rx_tsc;
  uint32_t src_ip;
  uint16_t src_port;
  uint16_t dst_port;
  uint16_t payload_off;   /* from the mbuf's data start */
  uint16_t payload_sz;
  int8_t   verify;        /* SOF_VERIFY_* or -1 (not verified) */
  uint8_t  root_valid;
  uint8_t  leaf_valid;
  uint8_t  conflict;
  uint8_t  events;        /* SOFD_EV_* the dispatch role publishes for it */
  uint8_t  root[32];
  uint8_t  leaf[32];
  sof_shred_t shred;      /* the parsed header (accepted shreds): fec and the
                             shred hook use it without parsing again */
} sofd_meta_t;

#define SOFD_EV_RAW   1 /* raw_packet: any UDP payload that passed the port filter */
#define SOFD_EV_SHRED 2 /* shred: an accepted shred */

/* The private area: sofd_meta_t, then (udp driver) the driver's
 * sof_udp_meta_t (24 bytes; sofd_rx.c asserts it fits). */
#define SOFD_UDP_META_ROOM 24
#define SOFD_UDP_PRIV_OFF ((uint16_t)RTE_ALIGN(sizeof(sofd_meta_t), 8))
#define SOFD_MBUF_PRIV_SZ RTE_ALIGN(SOFD_UDP_PRIV_OFF + SOFD_UDP_META_ROOM, RTE_MBUF_PRIV_ALIGN)

/* Frame-level drops of the rx role (every received packet is one of these,
 * a dedupe / verification outcome, a ring drop, or reaches fec). */
#define SOFD_RX_DROP_LIST(X)                                                    \
  X(MULTI_SEGMENT, "multi_segment") /* frame chained over mbufs */            \
  X(OVERSIZE,      "oversize")      /* udp driver: datagram larger than an mbuf (truncated) */ \
  X(WRONG_PORT,    "wrong_port")    /* UDP to a port not in [input] udp_ports */ \
  X(NOT_OUR_ADDRESS, "not_our_address") /* exception = tap: UDP to a shred port, another IPv4 destination (to the kernel) */ \
  X(DUPLICATE,     "duplicate")     /* same shred key and signature seen */    \
  X(CONFLICT,      "conflict")      /* same shred key, another signature */    \
  X(STALE,         "stale")         /* dedupe: slot below the tip - [dedupe] slot_window */ \
  X(SLOT_AHEAD,    "slot_ahead")    /* slot above the window (tip + [window] ahead) */ \
  X(SLOT_BEHIND,   "slot_behind")   /* slot below the window (tip - [window] behind) */ \
  X(RING_FULL,     "ring_full")     /* rx_fec ring full (on_full = drop) */ \
  X(BEFORE_JOIN,   "before_join")   /* a shred that came while gossip joined through the port (sofd_pipe_bootstrap) */

enum {
#define SOFD_RX_DROP_ENUM_(name, str) SOFD_RX_DROP_##name,
  SOFD_RX_DROP_LIST(SOFD_RX_DROP_ENUM_)
#undef SOFD_RX_DROP_ENUM_
  SOFD_RX_DROP_CNT
};

/* Activity of one role instance (the monitor and telemetry read it). */
typedef struct sofd_activity {
  uint64_t processed;     /* items taken off its input */
  uint64_t dropped;       /* items it dropped (all reasons) */
  uint64_t busy_cycles;   /* TSC cycles of polls that did work */
  uint64_t held_cycles;   /* TSC cycles it held its input back (back-pressure: fec; filled by
                             sofd_pipe_role_info) */
  uint64_t idle_polls;
  uint64_t busy_polls;
} sofd_activity_t;

typedef struct sofd_pipe sofd_pipe_t;

/* sofd_pipe_new builds every role instance, ring, arena and the objects
 * they own from cfg (after rte_eal_init). leaders and host are borrowed
 * (host may have no plugins). Returns NULL with a message on stderr. */
sofd_pipe_t *sofd_pipe_new(sofd_cfg_t const *cfg, sof_leaders_t const *leaders, sof_host_t *host);

/* sofd_pipe_mbufs_needed: the packet pool size that covers everything
 * the roles can hold at once under cfg (RX rings and a burst per rx
 * instance, the rx -> fec and events rings, each fec instance's resolver
 * and reassembly bounds, mempool caches). [input] mbufs = auto uses it; an
 * explicit smaller value is refused by sofd_pipe_open_input. Call after
 * rte_eal_init (counts the enabled lcores). Thread-safe (reads cfg). */
uint64_t sofd_pipe_mbufs_needed(sofd_cfg_t const *c);

/* sofd_pipe_open_input opens the port or sockets (sizes the mempool with
 * the mbuf private area). Returns 0 or -1 with a message on stderr. */
int sofd_pipe_open_input(sofd_pipe_t *p);

/* sofd_pipe_bootstrap (gossip over [input] exception = tap, docs/gossip.md):
 * after sofd_pipe_open_input and before sofd_pipe_run, a thread of its own
 * polls the rx instances' queues (sofd_rx_poll_bootstrap: every frame
 * counted, the kernel's frames to and from the tap as the rx role does,
 * shreds dropped and counted before_join: the verifiers do not know the
 * cluster yet) while the calling thread runs until(ctx). The thread sleeps
 * 100 us when a round received nothing; it is joined before this returns,
 * so the lcores then own the queues. Returns until's result, or -1 when
 * the thread could not start. */
int sofd_pipe_bootstrap(sofd_pipe_t *p, int (*until)(void *ctx), void *ctx);

/* sofd_pipe_verify_rebuild rebuilds every rx and fec instance's verifier
 * (the fec instances' ingest with it) from cfg->verify as it is now: after
 * sofd_pipe_bootstrap set the learned shred version and candidates, before
 * sofd_pipe_run (no shred has reached fec). Returns 0 or -1 (message
 * printed). */
int sofd_pipe_verify_rebuild(sofd_pipe_t *p);

/* sofd_pipe_run launches the lcores (the main lcore included) and returns
 * when they stopped: after a signal (*quit_signal set by the handler) or
 * idle exit, RX stops, the rings and plugin lanes drain (bounded by
 * cfg->drain_ms), then every lcore returns. Returns the stop reason
 * ("sigint", "sigterm", "idle"). */
char const *sofd_pipe_run(sofd_pipe_t *p, volatile int *quit_signal);

/* sofd_pipe_summary prints the final JSON summary on stderr and returns 1
 * when every received packet landed in exactly one counter, else 0. */
int sofd_pipe_summary(sofd_pipe_t *p, char const *stop);

/* sofd_pipe_set_tick: fn(ctx) runs on the main lcore about once per
 * millisecond while the pipeline runs (Prometheus endpoint). Before run. */
void sofd_pipe_set_tick(sofd_pipe_t *p, void (*fn)(void *ctx), void *ctx);

/* sofd_pipe_set_topology: take(ctx, ...) runs on the dispatch lcore about
 * every 100 ms while the pipeline runs; when it returns 1 (the node set
 * changed: joins, leaves, the count now) a cluster_topology event goes to
 * the plugins that subscribe. take must not block (gossip's counters).
 * Before run. */
void sofd_pipe_set_topology(sofd_pipe_t *p,
                            int (*take)(void *ctx, uint32_t *added, uint32_t *removed, uint32_t *total),
                            void *ctx);

/* sofd_pipe_set_votes: the dispatch lcore takes gossip votes each turn
 * (at most SOFD_MSG_BURST): peek(ctx) returns the oldest queued one (NULL:
 * none), pop(ctx) removes it; each goes to the gossip_vote hook. peek and
 * pop must not block (sofd_gossip's queue). Before run. */
struct sof_ev_gossip_vote;
void sofd_pipe_set_votes(sofd_pipe_t *p, struct sof_ev_gossip_vote const *(*peek)(void *ctx),
                         void (*pop)(void *ctx), void *ctx);

/* sofd_pipe_delete closes the input and frees everything (after run). */
void sofd_pipe_delete(sofd_pipe_t *p);

/* Counter table: every counter once, rendered to the stats line, the
 * summary, rte_telemetry and Prometheus. */
typedef struct sofd_counter {
  char        name[64]; /* snake_case, e.g. "rx_packets" */
  char const *help;
  uint64_t    value;
  int         gauge;  /* 1: a gauge, 0: a counter */
  /* Prometheus only (telemetry and the summary use name): the series is
   * sof_<family>{<label_key>="<label_val>"}; family NULL: sof_<name>, with
   * _total for a counter. Entries of one family share its HELP (the first
   * entry's) and TYPE. unknown: the value is not known yet (a tip before
   * its quorum, no leader seen): the series is left out, not rendered 0. */
  char const *family;    /* e.g. "rx_dropped_total" */
  char const *label_key; /* e.g. "reason" (NULL: no label) */
  char        label_val[40];
  int         unknown;
} sofd_counter_t;

#define SOFD_COUNTERS_MAX 256U

/* sofd_pipe_counters fills out (room for SOFD_COUNTERS_MAX) with a
 * snapshot of every counter; returns how many. Any thread. */
unsigned sofd_pipe_counters(sofd_pipe_t const *p, sofd_counter_t *out);

/* sofd_pipe_leader_view: what the leaders control thread watches, without
 * rendering the counter table: the fork tracker's tip (0: none yet), the
 * shreds without a known leader so far (rejected, or accepted under the
 * policy), and slot + 1 of the latest one (0: none). Any thread: racy
 * 64-bit loads, as the counter table's. */
void sofd_pipe_leader_view(sofd_pipe_t const *p, uint64_t *tip, uint64_t *unknown, uint64_t *unknown_slot1);

/* sofd_pipe_set_epochs: the cluster's epoch arithmetic after warmup
 * (getEpochSchedule), used to count shreds without a known leader per
 * epoch (rx_unknown_leader_epoch_N); 432000 slots from slot 0 until set.
 * Any thread, at any time (published with a release store; the rx lcores
 * read it on that drop path only). slots_per_epoch 0 is ignored. */
void sofd_pipe_set_epochs(sofd_pipe_t *p, uint64_t first_normal_epoch, uint64_t first_normal_slot,
                          uint64_t slots_per_epoch);

/* sofd_pipe_set_counters: fn appends its own counters (at most cap) to
 * every sofd_pipe_counters snapshot (sofd_leaders.c: the leader schedule
 * sources). Any thread may call fn. Before run. */
void sofd_pipe_set_counters(sofd_pipe_t *p, unsigned (*fn)(void *ctx, sofd_counter_t *out, unsigned cap),
                            void *ctx);

/* Telemetry and Prometheus (sofd_telemetry.c). */
int  sofd_telemetry_register(sofd_pipe_t *p);
void sofd_telemetry_unregister(void);
int  sofd_prometheus_render(sofd_pipe_t const *p, char *buf, size_t sz);
/* sofd_prom_put appends printf output to buf (sz bytes) at *off for the
 * Prometheus renderers; returns 0, or -1 once it no longer fits (then *off
 * is sz and every later call fails too). Any thread; buf is the caller's. */
int  sofd_prom_put(char *buf, size_t sz, size_t *off, char const *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Role / ring introspection for telemetry. */
unsigned sofd_pipe_role_cnt(sofd_pipe_t const *p);
int sofd_pipe_role_info(sofd_pipe_t const *p, unsigned i, int *role, unsigned *instance,
                        unsigned *lcore, sofd_activity_t *act, unsigned *in_depth);
unsigned sofd_pipe_ring_cnt(sofd_pipe_t const *p);
int sofd_pipe_ring_info(sofd_pipe_t const *p, unsigned i, char const **name, unsigned *size,
                        unsigned *count, uint64_t *dropped, uint64_t *held);
sof_host_t *sofd_pipe_host(sofd_pipe_t const *p);
/* sofd_pipe_race: the feed race tables (sofd_race.h), NULL when [race] is
 * off. Lives until sofd_pipe_delete. */
struct sof_race_group;
struct sof_race_group *sofd_pipe_race(sofd_pipe_t const *p);
/* sofd_pipe_leader: the latest observed leader (at the tip when it last
 * changed): 1 with *slot and leader set, 0 when none yet. Any thread (a
 * racy snapshot: the key may be mid-update). */
int sofd_pipe_leader(sofd_pipe_t const *p, uint64_t *slot, uint8_t leader[32]);

#endif /* SOFD_PIPE_H */
