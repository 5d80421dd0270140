/* sof_host.h: the plugin host.
 *
 * Holds the compiled-in plugins (sof_plugin.h) in registration order, reads
 * their static subscriptions once into per-hook target lists, runs setup and
 * shutdown in the contract's order, and moves events from the pipeline to
 * the plugins through four bounded lanes, each an rte_ring of preallocated
 * event slots:
 *
 *   GENERAL          every non-transaction hook (raw_packet, shred, dataset,
 *                    transaction_batch, slot_status, reorg, recent_blockhash,
 *                    leader_schedule, cluster_topology)
 *   INLINE_CRITICAL  transactions a plugin with inline_txn rated CRITICAL
 *   CRITICAL         transactions rated CRITICAL by the other plugins
 *   BACKGROUND       transactions rated BACKGROUND (the default interest)
 *
 * account_touch events ride the transaction lanes with their transaction.
 *
 * Producer side (sof_host_publish_*): one thread, the pipeline's dispatch
 * role. For a transaction it runs, per subscribed plugin in registration
 * order: the commitment selector, the static prefilter, then
 * accepts_transaction_ref / accepts_account_touch_ref and
 * transaction_interest_ref, on the borrowed event; only then is the
 * transaction queued, once per lane that has a target: copied, or, for a
 * held publication (below), referenced. When no plugin wants it, nothing
 * is copied, referenced or queued and the host does not derive the
 * account split (counted as prefiltered / ignored). Lane of a plugin's
 * copy: interest CRITICAL goes to INLINE_CRITICAL for an inline_txn plugin,
 * else to CRITICAL; BACKGROUND (also a NULL transaction_interest_ref, and
 * any value other than IGNORE / CRITICAL) to BACKGROUND; IGNORE nowhere. An
 * event published with path SOF_TXN_PATH_INLINE goes only to inline_txn
 * plugins that rate it CRITICAL (the others' classifiers do not run);
 * SOF_HOST_TXN_INLINE_DONE skips exactly those plugins. The account split
 * (account_touch) is built by the worker from the queued bytes. A full
 * lane drops the new event (drop-new), counted per lane and per hook
 * family; publishing never blocks and never allocates.
 *
 * Held publications (sof_host_publish_txn_held,
 * sof_host_publish_txn_batch_held): the producer already keeps the bytes
 * in a reference-counted block, so the host references them instead of
 * copying: every place that keeps them (a queued transaction-lane slot, a
 * commitment wait entry of a transaction, a transaction_batch buffer, which
 * the GENERAL slots and the wait entry of that batch share) takes one
 * reference with hold->retain on the producer thread, and gives it back
 * with hold->release once it is done with them: a slot after its last
 * callback (or when a poll after shutdown discards it), a slot that could
 * not be queued at once, a wait entry once it has no waiting plugin left
 * (a release to the lanes retains one more per slot it queues) or is
 * discarded, a batch buffer when its last slot and wait entry let go of
 * it; sof_host_shutdown releases whatever is still held. Every other
 * publication (raw_packet, shred, the by-value events, and transactions /
 * batches published without a hold) is copied.
 *
 * Commitment: a transaction whose plugin selector is not met yet (at least /
 * only confirmed or finalized, slot still processed) waits in a bounded
 * buffer (drop-new, counted) until sof_host_publish_slot_status reports its
 * slot at the level, and is then delivered with that commitment and the
 * status event's marks; when the slot is orphaned its waiting transactions
 * are discarded (counted). The classifiers run once, at publication, on the
 * event as published (its commitment then): only what they accept waits.
 * The event's commitment field is the caller's view of the slot; values
 * outside SOF_COMMITMENT_* count as PROCESSED. Rules, for slot X:
 *   - CONFIRMED releases the waiters of at-least / only confirmed;
 *   - FINALIZED releases at-least confirmed and finalized waiters, and
 *     discards only-confirmed ones (the slot passed confirmed unseen);
 *   - FINALIZED also discards every waiter of a slot below X (a slot that
 *     was not finalized before X is off the finalized chain);
 *   - ORPHANED discards X's waiters;
 *   - a selector of exactly S on a transaction already past S refuses it.
 * The wait buffer indexes waiters by slot (SOF_HOST_WAIT_SLOTS buckets): a
 * slot that shares a bucket with a waiting slot SOF_HOST_WAIT_SLOTS or more
 * below it discards that older slot's waiters; one that much older than a
 * waiting slot is refused (commit_dropped). transaction_batch follows the
 * same selectors (its waiting copies hold a cfg.batch_slots buffer each;
 * a held batch takes one too, holding its reference rather than a copy).
 *
 * Consumer side (sof_host_lane_poll): lane workers, each on its own thread
 * or lcore (several roles may share one). A lane with one worker is
 * sequential: events in queue order, each event's plugins in registration
 * order. A lane configured with n > 1 workers is bounded-concurrent: up to
 * n events in flight, no order promise; a plugin that declares
 * SOF_DISPATCH_SEQUENTIAL refuses such a lane at sof_host_new. A SEQUENTIAL
 * plugin whose hooks can arrive on several lanes (every transaction
 * subscriber: critical and background are two lanes) is called under a
 * per-plugin spin lock, so its hooks never run concurrently even when the
 * lanes have different worker threads; a worker may wait for another
 * worker's callback of that plugin.
 *
 * Memory: everything is allocated by sof_host_new from the config. Needs
 * librte_ring but not the EAL (rings live in the host's own memory,
 * rte_ring_init on aligned_alloc). A GENERAL slot takes ~2.1 KiB, a
 * transaction slot ~3 KiB (the defaults: ~37 MiB of lanes; a held
 * transaction leaves the ~1.2 KiB byte area of its slots and wait entry
 * untouched); the
 * transaction_batch pool batch_slots x batch_bytes (16 MiB by default, only
 * when someone subscribes); the wait buffer ~1.4 KiB per commit_wait_max
 * entry (~90 MiB of address space by default, only when a selector can
 * wait; pages are touched as entries get used). Free slots cycle through a
 * FIFO ring, so a lane's slots all get touched over time. */
#ifndef SOF_PLUGIN_HOST_H
#define SOF_PLUGIN_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/sof_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SOF_HOST_WAIT_SLOTS 4096U /* buckets of the commitment wait index */

#define SOF_HOST_LANE_LIST(X)                          \
  X(GENERAL,         0, "general")                     \
  X(INLINE_CRITICAL, 1, "inline_critical")             \
  X(CRITICAL,        2, "critical")                    \
  X(BACKGROUND,      3, "background")

enum {
#define SOF_HOST_LANE_ENUM_(name, val, str) SOF_HOST_LANE_##name = (val),
  SOF_HOST_LANE_LIST(SOF_HOST_LANE_ENUM_)
#undef SOF_HOST_LANE_ENUM_
  SOF_HOST_LANE_CNT = 4
};

#define SOF_HOST_PLUGINS_MAX 64U

/* Largest payloads a GENERAL slot copies: a raw packet (UDP payload) or a
 * shred larger than this is not queued and counts in dropped[hook]. */
#define SOF_HOST_RAW_PACKET_MAX 2048U
#define SOF_HOST_SHRED_MAX      1280U

/* Flags of sof_host_publish_txn. */
#define SOF_HOST_TXN_INLINE_DONE 1U /* an earlier INLINE publication of this
                                       transaction already served the
                                       inline-critical plugins: skip them */

typedef struct sof_host_cfg {
  uint32_t lane_depth[SOF_HOST_LANE_CNT];   /* event slots per lane, power of two >= 2
                                               (default 4096; 1024 for INLINE_CRITICAL) */
  uint32_t lane_workers[SOF_HOST_LANE_CNT]; /* threads that will poll the lane (default 1) */
  uint32_t batch_slots;     /* transaction_batch copies in flight (default 64) */
  uint32_t batch_bytes;     /* largest dataset copied for transaction_batch (default 256 KiB);
                               a larger one is dropped, counted (batch_too_large) */
  uint32_t commit_wait_max; /* transactions waiting for their commitment (default 65536) */
  int      hold_waiting;    /* 0 (default): a held transaction that waits for its commitment is
                               copied into the wait buffer (confirmation takes seconds: holding
                               the producer's block that long would pin its memory); 1: the
                               wait entry keeps a reference instead (no copy) */
  uint64_t tsc_hz;          /* for sof_plugin_env_t (0: measured by the host) */
  /* Plugin config lookup (may be NULL: every section is empty).
   * config_get(ctx, plugin, key): value or NULL; config_key(ctx, plugin, n):
   * the n-th key or NULL. Strings must live until sof_host_delete. */
  char const *(*config_get)(void *ctx, char const *plugin, char const *key);
  char const *(*config_key)(void *ctx, char const *plugin, unsigned n);
  void        *config_ctx;
} sof_host_cfg_t;

/* Counters; written by the producer (publish) or the workers (delivered,
 * callback time; workers add theirs once per poll burst, so they trail the
 * callbacks by at most a burst), read by anyone (plain 64-bit loads: a
 * snapshot may mix moments). Cycle figures are TSC cycles; a callback's
 * time runs from the end of the previous callback of the same burst (or
 * the burst's start) to its return. */
typedef struct sof_host_lane_stats {
  uint64_t enqueued;
  uint64_t dropped;          /* lane full: drop-new */
  uint64_t dispatched;       /* events taken off the lane */
  uint64_t callbacks;        /* plugin callbacks made */
  uint64_t callback_cycles;  /* TSC cycles inside callbacks */
  uint64_t lag_cycles;       /* sum over events of publish -> first callback */
  uint64_t lag_max_cycles;
  uint32_t depth;            /* gauge at the last poll */
  uint32_t depth_max;
} sof_host_lane_stats_t;

/* A transaction publication is offered to two families, transaction and
 * account_touch: it counts in published[] (and no_target[]) of both. */
typedef struct sof_host_stats {
  sof_host_lane_stats_t lane[SOF_HOST_LANE_CNT];
  uint64_t published[SOF_HOOK_CNT];   /* events offered per hook family (while running) */
  uint64_t dropped[SOF_HOOK_CNT];     /* lane-full drops per hook family, plus raw packets /
                                         shreds larger than a slot copies */
  uint64_t no_target[SOF_HOOK_CNT];   /* offered with no subscribed plugin */
  uint64_t txn_prefiltered;   /* transactions every evaluated target's prefilter refused */
  uint64_t txn_classified_out; /* passed a prefilter, then refused by accepts_*_ref or rated
                                  IGNORE by every target */
  uint64_t txn_copied;        /* transaction copies queued (one per lane used; releases too) */
  uint64_t txn_referenced;    /* held transactions queued by reference (same rule, no copy) */
  uint64_t commit_waiting;    /* gauge: transactions (and batches) waiting for their commitment */
  uint64_t commit_released;   /* releases of a waiting transaction (one per slot status that
                                 releases it, whether its lanes took it or dropped it) */
  uint64_t commit_dropped;    /* the wait buffer was full (or refused an old slot) */
  uint64_t commit_orphaned;   /* discarded: slot orphaned, left behind a finalized slot, or
                                 past an only-confirmed selector */
  uint64_t batch_too_large;   /* payload > batch_bytes or more refs than fit */
  uint64_t batch_no_slot;     /* no free transaction_batch copy (or buffer, held) */
  uint64_t batch_referenced;  /* held transaction_batch events queued by reference (one per
                                 GENERAL slot: at publication and at each release) */
} sof_host_stats_t;

/* Per-plugin counters (sof_host_plugin_stats). */
typedef struct sof_host_plugin_stats {
  uint64_t callbacks[SOF_HOOK_CNT];
  uint64_t callback_cycles;
  uint64_t prefiltered;      /* transactions its prefilter refused */
  uint64_t classified_out;   /* refused by its classifiers */
} sof_host_plugin_stats_t;

typedef struct sof_host sof_host_t;

/* sof_host_cfg_default fills cfg (non-NULL) with the defaults above. Any
 * thread. */
void sof_host_cfg_default(sof_host_cfg_t *cfg);

/* sof_host_new builds a host over plugins[0..n) (registration order; the
 * array and descriptors must outlive the host). cfg NULL: the defaults;
 * cfg is copied. Validates the config (lane_depth a power of two in
 * [2, 2^24], lane_workers in [1, 1024], batch_slots in [1, 2^20],
 * batch_bytes in [8, 2^30]) and every descriptor (NULL, empty, non
 * [a-z0-9_]+ or duplicate name, API version, unknown hook bits, a callback
 * for each subscribed hook, commitment / commitment_mode / dispatch /
 * inline_txn values, at most SOF_HOST_PLUGINS_MAX plugins, a SEQUENTIAL
 * plugin on a lane with lane_workers > 1: GENERAL for non-transaction hooks
 * and transaction_batch, CRITICAL / BACKGROUND (and INLINE_CRITICAL with
 * inline_txn) for transaction / account_touch) and allocates the lanes,
 * the transaction_batch pool (when subscribed) and the wait buffer (when a
 * transaction-family subscriber selects above processed). With tsc_hz 0,
 * measures the TSC (sleeps ~20 ms). Does not run setup. Returns NULL with
 * "plugin NAME: reason" or a config message in err. Setup time only. */
sof_host_t *sof_host_new(sof_host_cfg_t const *cfg, sof_plugin_t const *const *plugins, unsigned n,
                         char *err, size_t err_sz);

/* sof_host_setup runs every plugin's setup in registration order (a NULL
 * setup succeeds). When one fails, the plugins already set up get shutdown
 * in reverse order and -1 is returned with "plugin NAME: setup failed:
 * REASON" in err (REASON: the plugin's err text, "no reason given" when
 * empty); else 0. A plugin whose set_prefilter got a key count without its
 * array fails its setup the same way (it is shut down too). Publication is
 * refused (returns 0, counts nothing) before a successful setup and after
 * shutdown. Once per host (a second call fails); main thread. */
int sof_host_setup(sof_host_t *host, char *err, size_t err_sz);

/* sof_host_shutdown runs shutdown of every set-up plugin in reverse
 * registration order, then gives back every reference held publications
 * still hold (hold->release, on this thread: events still queued on the
 * lanes, transactions and batches in the commitment wait buffer; they stay
 * queued / waiting and the counters do not change, but their bytes are no
 * longer read). Call after the producer stopped and the workers drained
 * the lanes (sof_host_lanes_empty) or gave up, with no worker inside
 * sof_host_lane_poll (the workers' last poll must happen-before this call,
 * e.g. a thread join); idempotent. Later polls discard what they take,
 * without callbacks (and without a second release). NULL is fine. */
void sof_host_shutdown(sof_host_t *host);

/* sof_host_delete frees the host (running sof_host_shutdown first if it
 * did not run, which releases every held reference: after delete the host
 * holds none). NULL is fine. No thread may use the host any more. */
void sof_host_delete(sof_host_t *host);

/* sof_host_wants: 1 when at least one plugin subscribed to the hook
 * (SOF_HOOK_*), so the pipeline can skip building events nobody reads; 0
 * otherwise (also for an out-of-range hook). Any thread. */
int sof_host_wants(sof_host_t const *host, int hook);

/* ---- producer side: one thread ----------------------------------------------------- */

/* Each copies what it needs from the borrowed event into lane slots and
 * returns the number of lanes it was queued on (0: no target, refused,
 * waiting for its commitment, or dropped: see the counters). Never blocks
 * or allocates. The event's commitment / marks fields are the caller's
 * (the fork tracker's view). ev is borrowed for the call only; for
 * sof_host_publish_txn ev->bytes and ev->txn must be set (the descriptor
 * sof_txn_parse filled from ev->bytes; ev->txn->sz bytes are copied).
 * sof_host_publish_txn and sof_host_publish_txn_batch are
 * sof_host_publish_txn_held / _batch_held with hold NULL (below).
 * The producer thread only. */
unsigned sof_host_publish_raw_packet(sof_host_t *host, sof_ev_raw_packet_t const *ev);
unsigned sof_host_publish_shred(sof_host_t *host, sof_ev_shred_t const *ev);
unsigned sof_host_publish_dataset(sof_host_t *host, sof_ev_dataset_t const *ev);
unsigned sof_host_publish_txn(sof_host_t *host, sof_ev_txn_t const *ev, unsigned flags);
unsigned sof_host_publish_txn_batch(sof_host_t *host, sof_ev_txn_batch_t const *ev);
unsigned sof_host_publish_reorg(sof_host_t *host, sof_ev_reorg_t const *ev);
unsigned sof_host_publish_recent_blockhash(sof_host_t *host, sof_ev_recent_blockhash_t const *ev);
/* transaction_status (joined provider mode, by value on the general lane) */
unsigned sof_host_publish_txn_status(sof_host_t *host, sof_ev_txn_status_t const *ev);
unsigned sof_host_publish_leader_schedule(sof_host_t *host, sof_ev_leader_schedule_t const *ev);
unsigned sof_host_publish_cluster_topology(sof_host_t *host, sof_ev_cluster_topology_t const *ev);
/* gossip_vote (sofd with [gossip], by value on the general lane) */
unsigned sof_host_publish_gossip_vote(sof_host_t *host, sof_ev_gossip_vote_t const *ev);

/* How the host keeps a publication's bytes alive without copying them: obj
 * is the caller's reference-counted block holding them (opaque to the
 * host). */
typedef struct sof_host_hold {
  void (*retain)(void *obj);   /* one more reference; called on the producer thread only */
  void (*release)(void *obj);  /* drop one reference; called from any thread (lane workers,
                                  producer, the thread running sof_host_shutdown) */
} sof_host_hold_t;

/* sof_host_publish_txn_held publishes a transaction like
 * sof_host_publish_txn (same return value, counters, routing, classifiers,
 * prefilter, lanes, drop-new, commitment wait, flags) and
 * sof_host_publish_txn_batch_held a transaction_batch like
 * sof_host_publish_txn_batch (same limits: batch_bytes, the refs it
 * implies and batch_slots buffers in flight, counted the same), except
 * that with hold non-NULL the bytes (ev->bytes, ev->txn->sz of them;
 * ev->payload and ev->txns) are not copied but referenced: the host calls
 * hold->retain(obj) once per place that keeps them (each queued
 * transaction-lane slot, each transaction wait entry, each batch buffer)
 * and hold->release(obj) exactly once per retain when that place is done
 * (see Held publications above); nothing is retained for a publication
 * that is refused, routed nowhere or dropped before any place kept it.
 * Plugins then see ev->bytes / ev->signature (bytes + txn->sig_off) and a
 * batch's payload / txns pointing into the caller's bytes; a
 * transaction's parsed descriptor (ev->txn) is still copied into each slot
 * (metadata), and a transaction released from the wait buffer gets its
 * descriptor parsed again from the held bytes. Counted in txn_referenced
 * / batch_referenced instead of txn_copied.
 *
 * Preconditions: the producer thread; hold NULL (the copying functions:
 * obj is ignored) or with both functions non-NULL (else the call is
 * refused: returns 0, counts nothing); the caller holds its own reference
 * to obj for the duration of the call (so retain never sees a dead
 * object) and the referenced bytes must not change while any reference
 * the host took is outstanding. *hold is read during the call only (its
 * two functions are copied). retain and release must not call back into
 * the host. */
unsigned sof_host_publish_txn_held(sof_host_t *host, sof_ev_txn_t const *ev, unsigned flags,
                                   sof_host_hold_t const *hold, void *obj);
unsigned sof_host_publish_txn_batch_held(sof_host_t *host, sof_ev_txn_batch_t const *ev,
                                         sof_host_hold_t const *hold, void *obj);

/* sof_host_publish_slot_status delivers the slot_status event and releases
 * (or, for ORPHANED, discards) the transactions waiting for that slot (see
 * Commitment above; released transactions go to their lanes). Returns 1
 * when the slot_status event itself was queued, else 0. */
unsigned sof_host_publish_slot_status(sof_host_t *host, sof_ev_slot_status_t const *ev);

/* ---- consumer side: lane workers ---------------------------------------------------- */

/* sof_host_lane_poll takes up to max events off the lane (bursts of up to
 * 32) and runs their callbacks: per event, its target plugins in
 * registration order (for a transaction, a plugin's on_transaction then its
 * on_account_touch). Updates the lane's counters and gauges and returns the
 * slots, releasing (hold->release, on this thread) the references of the
 * burst's held transactions once the burst's callbacks ran (a held batch's
 * with its buffer's last reference). Never blocks, except on the spin lock
 * of a SEQUENTIAL plugin that another lane's worker is calling. Safe from
 * up to cfg.lane_workers[lane] threads at once. Returns the number of events
 * taken (0: the lane was empty, or lane out of range). */
unsigned sof_host_lane_poll(sof_host_t *host, int lane, unsigned max);

/* sof_host_lanes_empty: 1 when no event is queued on any lane and no
 * worker holds a dequeued event (inside a callback or about to run one);
 * then every reference a lane slot took for a held publication has been
 * released (a batch buffer's, once no wait entry shares it). Transactions
 * in the commitment wait buffer do not count (nor their references). Any
 * thread. */
int sof_host_lanes_empty(sof_host_t const *host);

/* ---- introspection (any thread) ------------------------------------------------------- */

/* sof_host_stats: the host counters (valid while the host lives; plain
 * loads, a snapshot may mix moments). sof_host_plugin_cnt / sof_host_plugin:
 * the descriptors in registration order (NULL past the end).
 * sof_host_plugin_stats: plugin i's counters, NULL past the end.
 * sof_host_lane_depth: events queued on a lane now (0 for a bad lane).
 * sof_host_lane_str: "general", "inline_critical", "critical",
 * "background", "unknown" (static strings). */

sof_host_stats_t const *sof_host_stats(sof_host_t const *host);
unsigned sof_host_plugin_cnt(sof_host_t const *host);
sof_plugin_t const *sof_host_plugin(sof_host_t const *host, unsigned i);
sof_host_plugin_stats_t const *sof_host_plugin_stats(sof_host_t const *host, unsigned i);
/* sof_host_plugin_state: the state plugin i's setup returned (NULL past
 * the end, before setup, after shutdown, or when setup set none); for a
 * plugin's own thread-safe renderers (telemetry). */
void *sof_host_plugin_state(sof_host_t const *host, unsigned i);
/* Current depth of a lane's ring. */
unsigned sof_host_lane_depth(sof_host_t const *host, int lane);
char const *sof_host_lane_str(int lane);

#ifdef __cplusplus
}
#endif

#endif /* SOF_PLUGIN_HOST_H */
