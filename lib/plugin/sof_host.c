/* sof_host.c: the plugin host (see sof_host.h).
 *
 * Layout.
 *   lane_t          one per lane: an rte_ring of event-slot pointers (the
 *                   queue), an rte_ring of free slots and the slot array.
 *                   Every slot is in exactly one place: the free ring, the
 *                   producer's cache of free slots (refilled by bursts of up
 *                   to PROD_CACHE), the queue, or a worker's burst. The queue
 *                   holds as many entries as there are slots, so a lane is
 *                   full exactly when the producer's cache and the free ring
 *                   are both empty: drop-new is decided by one failed
 *                   dequeue.
 *   gen_slot_t      a GENERAL slot: one non-transaction event by value.
 *   txn_slot_t      a transaction-lane slot: the bytes (a copy, or for a
 *                   held publication a reference to the caller's: release
 *                   + obj), the descriptor, the event and the target
 *                   plugins (transaction / account_touch).
 *   batch_buf_t     a transaction_batch copy (payload + refs), or for a held
 *                   publication the caller's payload + refs and one
 *                   reference to them, shared by reference count between the
 *                   GENERAL slot delivering it now and the wait entry holding
 *                   it for a later commitment.
 *   wait_ent_t      a transaction (or batch) waiting for its slot's
 *                   commitment, with the plugins waiting for it by selector
 *                   (a held transaction keeps a reference, not a copy).
 *                   Entries of one slot form a FIFO list hanging from the
 *                   slot's bucket in a ring of WAIT_SLOTS buckets indexed by
 *                   slot, so a status change touches only that slot's list.
 *
 * Threads. The producer (publish_*) is one thread: it alone dequeues free
 * slots, enqueues events, touches the wait buffer and writes the producer
 * counters (plain stores). Workers dequeue events, run callbacks and return
 * slots; their counters (lane and plugin) are summed per poll burst and
 * added with relaxed atomic adds at its end. A SEQUENTIAL plugin whose
 * hooks can arrive on more than one lane (any transaction subscriber:
 * critical and background are two lanes) is called under its own spin
 * lock, so its hooks never overlap even when the lanes' workers are
 * different threads. The wait buffer and the batch pool's free list are
 * touched by the producer only, except that workers return batch buffers
 * (reference count, multi-producer free ring).
 *
 * Held references. hold->retain runs on the producer only, before the
 * place taking the reference becomes visible to a worker; hold->release
 * runs where that place ends: a worker after the poll burst that ran the
 * slot's callbacks (or discarded it), the last batch_unref of a batch
 * buffer (any thread), the producer for wait entries, and
 * sof_host_shutdown for whatever is left (it clears the release it calls,
 * so nothing is released twice). */
#include "sof_host.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_pause.h>
#include <rte_ring.h>

#include "util/sof_errbuf.h"

#define POLL_BURST  32U
#define PROD_CACHE  16U   /* free slots the producer takes per refill */
#define WAIT_SLOTS  SOF_HOST_WAIT_SLOTS
#define WAIT_NONE   UINT32_MAX
#define LANE_DEPTH_MAX (1U << 24)
#define WORKERS_MAX 1024U
#define CACHE_LINE  64U

#define TXN_HOOKS (SOF_HOOK_BIT(TRANSACTION) | SOF_HOOK_BIT(ACCOUNT_TOUCH))
#define GENERAL_HOOKS (((1U << SOF_HOOK_CNT) - 1U) & ~TXN_HOOKS)

_Static_assert(SOF_HOST_PLUGINS_MAX <= 64, "plugin sets are 64-bit masks");
_Static_assert((WAIT_SLOTS & (WAIT_SLOTS - 1)) == 0, "WAIT_SLOTS is a power of two");

/* Transaction lanes, indexed from 0 (lane - 1). */
#define TL_INLINE 0
#define TL_CRIT   1
#define TL_BG     2
#define TL_CNT    3

/* ---- slots --------------------------------------------------------------------------- */

typedef struct batch_buf {
  uint32_t          refs; /* atomic: the producer's, each queued slot's, each wait entry's */
  uint32_t          idx;
  sof_ev_txn_ref_t *txns;    /* the pool's copy area */
  uint8_t          *payload;
  /* What the slots deliver: the copy above, or the caller's held bytes. */
  sof_ev_txn_ref_t const *ev_txns;
  uint8_t const          *ev_payload;
  void (*release)(void *obj); /* held: called once when refs reaches 0; else NULL */
  void *obj;
} batch_buf_t;

typedef struct gen_slot {
  uint64_t     enq_tsc;
  uint64_t     targets; /* plugins to call */
  int          hook;    /* SOF_HOOK_* */
  batch_buf_t *batch;   /* TRANSACTION_BATCH only */
  union {
    struct {
      sof_ev_raw_packet_t ev;
      uint8_t             payload[SOF_HOST_RAW_PACKET_MAX];
    } raw;
    struct {
      sof_ev_shred_t ev;
      sof_shred_t    hdr;
      uint8_t        payload[SOF_HOST_SHRED_MAX];
    } shred;
    sof_ev_dataset_t          dataset;
    sof_ev_txn_batch_t        batch;
    sof_ev_slot_status_t      slot_status;
    sof_ev_reorg_t            reorg;
    sof_ev_recent_blockhash_t blockhash;
    sof_ev_leader_schedule_t  leaders;
    sof_ev_cluster_topology_t topology;
    sof_ev_txn_status_t       txn_status;
    sof_ev_gossip_vote_t      vote;
  } u;
} gen_slot_t;

typedef struct txn_slot {
  uint64_t     enq_tsc;
  uint64_t     txn_mask;   /* plugins getting on_transaction */
  uint64_t     touch_mask; /* plugins getting on_account_touch */
  void (*release)(void *obj); /* held: the slot's reference to give back; else NULL */
  void        *obj;
  sof_ev_txn_t ev;         /* bytes / signature: into bytes[] (a copy) or the held bytes */
  sof_txn_t    txn;        /* [0, instr_cnt) and [0, alt_cnt) valid */
  /* the copy (untouched for a held transaction); on its own cache lines: a
   * typical 200-300 byte transaction fills 4-5 of them */
  uint8_t      bytes[SOF_TXN_MTU] __attribute__((aligned(CACHE_LINE)));
} txn_slot_t;

/* ---- lanes ------------------------------------------------------------------------------ */

typedef struct lane {
  struct rte_ring *ring;  /* queued slots: SP enqueue, SC or MC dequeue */
  struct rte_ring *free;  /* free slots: SP or MP enqueue (workers), SC dequeue (producer) */
  uint8_t         *slots;
  size_t           slot_sz;
  uint32_t         depth;
  uint32_t         workers;
  /* Producer only (its own cache lines: workers read the pointers above). */
  unsigned cache_n __attribute__((aligned(CACHE_LINE))); /* free slots in cache[0, cache_n) */
  void    *cache[PROD_CACHE];
  /* Workers: events taken off the ring and not yet finished (reserved
   * before the dequeue, so an event is always counted in the ring or here). */
  uint64_t inflight __attribute__((aligned(CACHE_LINE)));
} lane_t;

/* ---- wait buffer -------------------------------------------------------------------------- */

typedef struct wait_ent {
  uint32_t next;
  uint8_t  is_batch;
  uint64_t w_conf_al;   /* plugins waiting for confirmed or better */
  uint64_t w_conf_only; /* plugins waiting for exactly confirmed */
  uint64_t w_fin;       /* plugins waiting for finalized */
  union {
    struct {
      uint64_t        lane_txn[TL_CNT];   /* per lane: plugins getting on_transaction */
      uint64_t        lane_touch[TL_CNT]; /* per lane: plugins getting on_account_touch */
      sof_ev_txn_t    ev;                 /* fields only; the pointers are rebuilt */
      sof_host_hold_t hold;               /* held: the entry's reference (release non-NULL) */
      void           *obj;
      uint8_t const  *held;               /* held: the caller's bytes; else NULL */
      uint8_t         bytes[SOF_TXN_MTU]; /* the copy; untouched when held */
    } t;
    struct {
      sof_ev_txn_batch_t ev;
      batch_buf_t       *buf;
    } b;
  } u;
} wait_ent_t;

typedef struct wait_bucket {
  uint64_t slot;
  uint32_t head, tail; /* FIFO: publish order */
  uint32_t cnt;
} wait_bucket_t;

/* ---- plugins ---------------------------------------------------------------------------------- */

typedef struct host_plugin {
  sof_plugin_t const    *p;
  struct sof_host       *host;
  void                  *state;
  sof_prefilter_t const *pf;
  sof_plugin_env_t       env;
  int                    set_up;
  int                    in_setup;
  int                    pf_bad;  /* set_prefilter got an inconsistent filter */
  int                    locked;  /* SEQUENTIAL with hooks on several lanes */
  uint32_t lock __attribute__((aligned(CACHE_LINE)));
  sof_host_plugin_stats_t stats __attribute__((aligned(CACHE_LINE)));
} host_plugin_t;

#define PHASE_NEW      0
#define PHASE_RUNNING  1
#define PHASE_SHUTDOWN 2

struct sof_host {
  sof_host_cfg_t cfg;
  unsigned       n;
  host_plugin_t *pl;
  uint64_t       hook_mask[SOF_HOOK_CNT]; /* subscribers per hook */
  uint64_t       inline_mask;             /* plugins with inline_txn */
  int            phase;                   /* PHASE_*; workers read it atomically */

  lane_t lane[SOF_HOST_LANE_CNT];

  /* transaction_batch copies (allocated when someone subscribes). */
  struct rte_ring  *batch_free; /* MP enqueue (workers, producer), SC dequeue (producer) */
  batch_buf_t      *batch_bufs;
  uint8_t          *batch_mem;
  sof_ev_txn_ref_t *batch_refs;
  uint32_t          batch_refs_max;

  /* Commitment wait buffer (allocated when a selector can wait); producer
   * only, on its own cache lines (workers read batch_free above). */
  wait_ent_t    *went __attribute__((aligned(CACHE_LINE)));
  uint32_t      *wfree; /* stack of free entry indices */
  uint32_t       wfree_cnt;
  wait_bucket_t *wb;
  uint64_t       wfloor; /* every waiting entry's slot is >= wfloor */

  sof_host_stats_t stats __attribute__((aligned(CACHE_LINE)));
};

/* ---- small helpers ------------------------------------------------------------------------ */

static inline unsigned
ctz64(uint64_t m) {
  return (unsigned)__builtin_ctzll(m);
}

static inline void
add_relaxed(uint64_t *p, uint64_t v) {
  __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static inline void
max_relaxed(uint64_t *p, uint64_t v) {
  uint64_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (v > cur &&
         !__atomic_compare_exchange_n(p, &cur, v, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
}

static inline void
max32_relaxed(uint32_t *p, uint32_t v) {
  uint32_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (v > cur &&
         !__atomic_compare_exchange_n(p, &cur, v, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
}

static inline void
plugin_lock(host_plugin_t *hp) {
  unsigned spins = 0;
  while (__atomic_exchange_n(&hp->lock, 1U, __ATOMIC_ACQUIRE)) {
    while (__atomic_load_n(&hp->lock, __ATOMIC_RELAXED)) {
      if (++spins < 4096U) {
        rte_pause();
      } else {
        spins = 0;
        sched_yield(); /* the holder may be sleeping in its callback */
      }
    }
  }
}

static inline void
plugin_unlock(host_plugin_t *hp) {
  __atomic_store_n(&hp->lock, 0U, __ATOMIC_RELEASE);
}

static inline int
is_pow2(uint32_t v) {
  return v >= 2 && !(v & (v - 1));
}

/* Commitment of an event, PROCESSED when out of range. */
static inline int
commitment_of(int c) {
  return (c >= SOF_COMMITMENT_PROCESSED && c <= SOF_COMMITMENT_FINALIZED) ? c
                                                                          : SOF_COMMITMENT_PROCESSED;
}

/* The commitment selector: 0 deliver now, SOF_COMMITMENT_CONFIRMED /
 * _FINALIZED wait for that level, -1 never (ONLY, and the slot is past it). */
static inline int
selector(sof_plugin_t const *p, int c) {
  if (c >= p->commitment) return (p->commitment_mode == SOF_COMMITMENT_ONLY && c != p->commitment) ? -1 : 0;
  return p->commitment;
}

static uint64_t
measure_tsc_hz(void) {
  struct timespec a, b, d = {0, 20 * 1000 * 1000};
  clock_gettime(CLOCK_MONOTONIC_RAW, &a);
  uint64_t t0 = sof_plugin_tsc();
  nanosleep(&d, NULL);
  uint64_t t1 = sof_plugin_tsc();
  clock_gettime(CLOCK_MONOTONIC_RAW, &b);
  int64_t ns = (int64_t)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
  if (ns <= 0 || t1 <= t0) return 0;
  return (uint64_t)((double)(t1 - t0) * 1e9 / (double)ns);
}

/* ---- names and defaults ------------------------------------------------------------------- */

char const *
sof_host_lane_str(int lane) {
  switch (lane) {
#define SOF_HOST_LANE_STR_(name, val, str) case (val): return str;
    SOF_HOST_LANE_LIST(SOF_HOST_LANE_STR_)
#undef SOF_HOST_LANE_STR_
  default: return "unknown";
  }
}

void
sof_host_cfg_default(sof_host_cfg_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  for (int l = 0; l < SOF_HOST_LANE_CNT; l++) {
    cfg->lane_depth[l] = 4096;
    cfg->lane_workers[l] = 1;
  }
  cfg->lane_depth[SOF_HOST_LANE_INLINE_CRITICAL] = 1024;
  cfg->batch_slots = 64;
  cfg->batch_bytes = 256U * 1024U;
  cfg->commit_wait_max = 65536;
  cfg->hold_waiting = 0;
}

/* ---- plugin environment ----------------------------------------------------------------- */

static char const *
env_config_get(sof_plugin_env_t const *env, char const *key) {
  host_plugin_t const *hp = env->host_private;
  sof_host_cfg_t const *cfg = &hp->host->cfg;
  if (!key || !cfg->config_get) return NULL;
  return cfg->config_get(cfg->config_ctx, hp->p->name, key);
}

static char const *
env_config_key(sof_plugin_env_t const *env, unsigned n) {
  host_plugin_t const *hp = env->host_private;
  sof_host_cfg_t const *cfg = &hp->host->cfg;
  if (!cfg->config_key) return NULL;
  return cfg->config_key(cfg->config_ctx, hp->p->name, n);
}

static void
env_set_prefilter(sof_plugin_env_t *env, sof_prefilter_t const *pf) {
  host_plugin_t *hp = env->host_private;
  if (!hp->in_setup) return; /* setup only */
  if (pf && ((pf->include_cnt && !pf->include) || (pf->exclude_cnt && !pf->exclude) ||
             (pf->required_cnt && !pf->required))) {
    hp->pf_bad = 1;
    return;
  }
  hp->pf = pf;
}

/* ---- construction ------------------------------------------------------------------------ */

static int
hook_has_cb(sof_plugin_t const *p, int hook) {
  switch (hook) {
  case SOF_HOOK_RAW_PACKET:       return p->on_raw_packet != NULL;
  case SOF_HOOK_SHRED:            return p->on_shred != NULL;
  case SOF_HOOK_DATASET:          return p->on_dataset != NULL;
  case SOF_HOOK_TRANSACTION:      return p->on_transaction != NULL;
  case SOF_HOOK_TRANSACTION_BATCH: return p->on_transaction_batch != NULL;
  case SOF_HOOK_ACCOUNT_TOUCH:    return p->on_account_touch != NULL;
  case SOF_HOOK_SLOT_STATUS:      return p->on_slot_status != NULL;
  case SOF_HOOK_REORG:            return p->on_reorg != NULL;
  case SOF_HOOK_RECENT_BLOCKHASH: return p->on_recent_blockhash != NULL;
  case SOF_HOOK_LEADER_SCHEDULE:  return p->on_leader_schedule != NULL;
  case SOF_HOOK_CLUSTER_TOPOLOGY: return p->on_cluster_topology != NULL;
  case SOF_HOOK_TRANSACTION_STATUS: return p->on_transaction_status != NULL;
  case SOF_HOOK_GOSSIP_VOTE: return p->on_gossip_vote != NULL;
  default: return 0;
  }
}

static int
name_ok(char const *s) {
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
  return 1;
}

/* The lanes a plugin's hooks can arrive on, as a bit set. */
static unsigned
plugin_lanes(sof_plugin_t const *p) {
  unsigned m = 0;
  if (p->hooks & GENERAL_HOOKS) m |= 1U << SOF_HOST_LANE_GENERAL;
  if (p->hooks & TXN_HOOKS) {
    m |= 1U << SOF_HOST_LANE_CRITICAL | 1U << SOF_HOST_LANE_BACKGROUND;
    if (p->inline_txn) m |= 1U << SOF_HOST_LANE_INLINE_CRITICAL;
  }
  return m;
}

static int
validate_plugin(sof_host_cfg_t const *cfg, sof_plugin_t const *const *plugins, unsigned i,
                char *err, size_t err_sz) {
  sof_plugin_t const *p = plugins[i];
  if (!p) {
    sof_errbuf_set(err, err_sz, "plugin #%u: NULL descriptor", i);
    return -1;
  }
  if (!p->name || !p->name[0]) {
    sof_errbuf_set(err, err_sz, "plugin #%u: empty name", i);
    return -1;
  }
  char const *nm = p->name;
  if (!name_ok(nm)) {
    sof_errbuf_set(err, err_sz, "plugin %s: name must match [a-z0-9_]+", nm);
    return -1;
  }
  for (unsigned j = 0; j < i; j++)
    if (plugins[j] && plugins[j]->name && !strcmp(plugins[j]->name, nm)) {
      sof_errbuf_set(err, err_sz, "plugin %s: duplicate name (plugins #%u and #%u)", nm, j, i);
      return -1;
    }
  if (p->api_version != SOF_PLUGIN_API_VERSION) {
    sof_errbuf_set(err, err_sz, "plugin %s: api_version %u, the host implements %u", nm,
                   p->api_version, SOF_PLUGIN_API_VERSION);
    return -1;
  }
  if (p->hooks >> SOF_HOOK_CNT) {
    sof_errbuf_set(err, err_sz, "plugin %s: unknown hook flags 0x%x", nm,
                   p->hooks & ~((1U << SOF_HOOK_CNT) - 1U));
    return -1;
  }
  for (int h = 0; h < SOF_HOOK_CNT; h++)
    if ((p->hooks & (1U << h)) && !hook_has_cb(p, h)) {
      sof_errbuf_set(err, err_sz, "plugin %s: subscribes to %s without on_%s", nm, sof_hook_str(h),
                     sof_hook_str(h));
      return -1;
    }
  if (p->commitment < SOF_COMMITMENT_PROCESSED || p->commitment > SOF_COMMITMENT_FINALIZED) {
    sof_errbuf_set(err, err_sz, "plugin %s: bad commitment %d", nm, p->commitment);
    return -1;
  }
  if (p->commitment_mode != SOF_COMMITMENT_AT_LEAST && p->commitment_mode != SOF_COMMITMENT_ONLY) {
    sof_errbuf_set(err, err_sz, "plugin %s: bad commitment_mode %d", nm, p->commitment_mode);
    return -1;
  }
  if (p->dispatch != SOF_DISPATCH_SEQUENTIAL && p->dispatch != SOF_DISPATCH_CONCURRENT) {
    sof_errbuf_set(err, err_sz, "plugin %s: bad dispatch %d", nm, p->dispatch);
    return -1;
  }
  if (p->inline_txn != 0 && p->inline_txn != 1) {
    sof_errbuf_set(err, err_sz, "plugin %s: bad inline_txn %d", nm, p->inline_txn);
    return -1;
  }
  if (p->dispatch == SOF_DISPATCH_SEQUENTIAL) {
    unsigned lanes = plugin_lanes(p);
    for (int l = 0; l < SOF_HOST_LANE_CNT; l++)
      if ((lanes & (1U << l)) && cfg->lane_workers[l] > 1) {
        sof_errbuf_set(err, err_sz,
                       "plugin %s: sequential dispatch, but lane %s has %u workers (bounded-concurrent)",
                       nm, sof_host_lane_str(l), cfg->lane_workers[l]);
        return -1;
      }
  }
  return 0;
}

static void *
zalloc_aligned(size_t sz) {
  sz = (sz + CACHE_LINE - 1) & ~(size_t)(CACHE_LINE - 1);
  void *p = aligned_alloc(CACHE_LINE, sz ? sz : CACHE_LINE);
  if (p) memset(p, 0, sz);
  return p;
}

/* An rte_ring of capacity exactly cap (a power of two) in our own memory,
 * no EAL: RING_F_EXACT_SZ makes the ring's size 2 * cap. */
static struct rte_ring *
ring_new(char const *name, uint32_t cap, unsigned flags) {
  ssize_t msz = rte_ring_get_memsize(cap * 2U);
  if (msz < 0) return NULL;
  size_t sz = ((size_t)msz + CACHE_LINE - 1) & ~(size_t)(CACHE_LINE - 1);
  struct rte_ring *r = aligned_alloc(CACHE_LINE, sz);
  if (!r) return NULL;
  if (rte_ring_init(r, name, cap, flags | RING_F_EXACT_SZ)) {
    free(r);
    return NULL;
  }
  return r;
}

static int
lane_init(lane_t *ln, int l, uint32_t depth, uint32_t workers, size_t slot_sz) {
  char nm[RTE_RING_NAMESIZE];
  ln->depth = depth;
  ln->workers = workers;
  ln->slot_sz = slot_sz;
  snprintf(nm, sizeof nm, "sofh_q_%s", sof_host_lane_str(l));
  ln->ring = ring_new(nm, depth, RING_F_SP_ENQ | (workers == 1 ? RING_F_SC_DEQ : 0));
  snprintf(nm, sizeof nm, "sofh_f_%s", sof_host_lane_str(l));
  ln->free = ring_new(nm, depth, RING_F_SC_DEQ | (workers == 1 ? RING_F_SP_ENQ : 0));
  /* Not zeroed: pages are touched only as slots get used. */
  ln->slots = aligned_alloc(CACHE_LINE, (size_t)depth * slot_sz);
  if (!ln->ring || !ln->free || !ln->slots) return -1;
  for (uint32_t i = 0; i < depth; i++) {
    void *s = ln->slots + (size_t)i * slot_sz;
    if (rte_ring_sp_enqueue(ln->free, s)) return -1;
  }
  return 0;
}

static void
lane_fini(lane_t *ln) {
  free(ln->ring);
  free(ln->free);
  free(ln->slots);
}

static size_t
round_line(size_t sz) {
  return (sz + CACHE_LINE - 1) & ~(size_t)(CACHE_LINE - 1);
}

sof_host_t *
sof_host_new(sof_host_cfg_t const *cfg_in, sof_plugin_t const *const *plugins, unsigned n,
             char *err, size_t err_sz) {
  sof_host_cfg_t cfg;
  if (cfg_in) cfg = *cfg_in;
  else sof_host_cfg_default(&cfg);

  if (n > SOF_HOST_PLUGINS_MAX) {
    sof_errbuf_set(err, err_sz, "too many plugins: %u (at most %u)", n, SOF_HOST_PLUGINS_MAX);
    return NULL;
  }
  if (n && !plugins) {
    sof_errbuf_set(err, err_sz, "plugins is NULL with %u plugins", n);
    return NULL;
  }
  for (int l = 0; l < SOF_HOST_LANE_CNT; l++) {
    if (!is_pow2(cfg.lane_depth[l]) || cfg.lane_depth[l] > LANE_DEPTH_MAX) {
      sof_errbuf_set(err, err_sz, "lane %s: depth %u is not a power of two in [2, %u]",
                     sof_host_lane_str(l), cfg.lane_depth[l], LANE_DEPTH_MAX);
      return NULL;
    }
    if (cfg.lane_workers[l] < 1 || cfg.lane_workers[l] > WORKERS_MAX) {
      sof_errbuf_set(err, err_sz, "lane %s: workers %u not in [1, %u]", sof_host_lane_str(l),
                     cfg.lane_workers[l], WORKERS_MAX);
      return NULL;
    }
  }
  if (cfg.batch_slots < 1 || cfg.batch_slots > (1U << 20)) {
    sof_errbuf_set(err, err_sz, "batch_slots %u not in [1, %u]", cfg.batch_slots, 1U << 20);
    return NULL;
  }
  if (cfg.batch_bytes < 8 || cfg.batch_bytes > (1U << 30)) {
    sof_errbuf_set(err, err_sz, "batch_bytes %u not in [8, %u]", cfg.batch_bytes, 1U << 30);
    return NULL;
  }
  if (cfg.commit_wait_max >= WAIT_NONE) {
    sof_errbuf_set(err, err_sz, "commit_wait_max %u too large", cfg.commit_wait_max);
    return NULL;
  }
  for (unsigned i = 0; i < n; i++)
    if (validate_plugin(&cfg, plugins, i, err, err_sz)) return NULL;

  sof_host_t *h = zalloc_aligned(sizeof *h);
  if (!h) goto oom;
  h->cfg = cfg;
  if (!h->cfg.tsc_hz) h->cfg.tsc_hz = measure_tsc_hz();
  h->wfloor = UINT64_MAX;
  h->pl = zalloc_aligned((size_t)(n ? n : 1) * sizeof *h->pl);
  if (!h->pl) goto oom;
  h->n = n;

  int can_wait = 0;
  for (unsigned i = 0; i < n; i++) {
    sof_plugin_t const *p = plugins[i];
    host_plugin_t *hp = &h->pl[i];
    hp->p = p;
    hp->host = h;
    hp->env.name = p->name;
    hp->env.tsc_hz = h->cfg.tsc_hz;
    hp->env.config_get = env_config_get;
    hp->env.config_key = env_config_key;
    hp->env.set_prefilter = env_set_prefilter;
    hp->env.host_private = hp;
    unsigned lanes = plugin_lanes(p);
    hp->locked = p->dispatch == SOF_DISPATCH_SEQUENTIAL && (lanes & (lanes - 1));
    for (int k = 0; k < SOF_HOOK_CNT; k++)
      if (p->hooks & (1U << k)) h->hook_mask[k] |= 1ULL << i;
    if (p->inline_txn) h->inline_mask |= 1ULL << i;
    if ((p->hooks & SOF_HOOK_TXN_FAMILY) && p->commitment > SOF_COMMITMENT_PROCESSED) can_wait = 1;
  }

  size_t gen_sz = round_line(sizeof(gen_slot_t));
  size_t txn_sz = round_line(sizeof(txn_slot_t));
  for (int l = 0; l < SOF_HOST_LANE_CNT; l++)
    if (lane_init(&h->lane[l], l, cfg.lane_depth[l], cfg.lane_workers[l],
                  l == SOF_HOST_LANE_GENERAL ? gen_sz : txn_sz))
      goto oom;

  if (h->hook_mask[SOF_HOOK_TRANSACTION_BATCH]) {
    uint32_t bs = cfg.batch_slots;
    h->batch_refs_max = cfg.batch_bytes / SOF_TXN_MIN_SZ + 1;
    h->batch_free = ring_new("sofh_batch", rte_align32pow2(bs), RING_F_SC_DEQ);
    h->batch_bufs = zalloc_aligned((size_t)bs * sizeof *h->batch_bufs);
    h->batch_mem = aligned_alloc(CACHE_LINE, round_line((size_t)bs * cfg.batch_bytes));
    h->batch_refs = aligned_alloc(CACHE_LINE,
                                  round_line((size_t)bs * h->batch_refs_max * sizeof(sof_ev_txn_ref_t)));
    if (!h->batch_free || !h->batch_bufs || !h->batch_mem || !h->batch_refs) goto oom;
    for (uint32_t i = 0; i < bs; i++) {
      batch_buf_t *b = &h->batch_bufs[i];
      b->idx = i;
      b->payload = h->batch_mem + (size_t)i * cfg.batch_bytes;
      b->txns = h->batch_refs + (size_t)i * h->batch_refs_max;
      if (rte_ring_mp_enqueue(h->batch_free, b)) goto oom;
    }
  }

  if (can_wait && cfg.commit_wait_max) {
    /* Entries are not zeroed: untouched pages stay unbacked, and the LIFO
     * free stack keeps reusing the same few. */
    h->went = aligned_alloc(CACHE_LINE, round_line((size_t)cfg.commit_wait_max * sizeof *h->went));
    h->wfree = malloc((size_t)cfg.commit_wait_max * sizeof *h->wfree);
    h->wb = zalloc_aligned((size_t)WAIT_SLOTS * sizeof *h->wb);
    if (!h->went || !h->wfree || !h->wb) goto oom;
    for (uint32_t i = 0; i < cfg.commit_wait_max; i++) h->wfree[i] = cfg.commit_wait_max - 1 - i;
    h->wfree_cnt = cfg.commit_wait_max;
  }
  return h;

oom:
  sof_errbuf_set(err, err_sz, "out of memory allocating the plugin host");
  sof_host_delete(h);
  return NULL;
}

void
sof_host_delete(sof_host_t *h) {
  if (!h) return;
  sof_host_shutdown(h);
  for (int l = 0; l < SOF_HOST_LANE_CNT; l++) lane_fini(&h->lane[l]);
  free(h->batch_free);
  free(h->batch_bufs);
  free(h->batch_mem);
  free(h->batch_refs);
  free(h->went);
  free(h->wfree);
  free(h->wb);
  free(h->pl);
  free(h);
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

int
sof_host_setup(sof_host_t *h, char *err, size_t err_sz) {
  if (h->phase != PHASE_NEW) {
    sof_errbuf_set(err, err_sz, "plugin host: setup already ran (or the host was shut down)");
    return -1;
  }
  for (unsigned i = 0; i < h->n; i++) {
    host_plugin_t *hp = &h->pl[i];
    char perr[256];
    perr[0] = 0;
    int rc = 0;
    hp->in_setup = 1;
    if (hp->p->setup) rc = hp->p->setup(&hp->env, &hp->state, perr, sizeof perr);
    hp->in_setup = 0;
    perr[sizeof perr - 1] = 0;
    if (rc == 0) {
      hp->set_up = 1;
      if (hp->pf_bad) {
        rc = -1;
        snprintf(perr, sizeof perr, "set_prefilter: a key list with a count but no array");
      }
    } else if (!perr[0]) {
      snprintf(perr, sizeof perr, "no reason given");
    }
    if (rc) {
      sof_errbuf_set(err, err_sz, "plugin %s: setup failed: %s", hp->p->name, perr);
      for (unsigned j = i + 1; j-- > 0;) {
        host_plugin_t *hq = &h->pl[j];
        if (!hq->set_up) continue;
        hq->set_up = 0;
        if (hq->p->shutdown) hq->p->shutdown(hq->state);
      }
      __atomic_store_n(&h->phase, PHASE_SHUTDOWN, __ATOMIC_RELEASE);
      return -1;
    }
  }
  __atomic_store_n(&h->phase, PHASE_RUNNING, __ATOMIC_RELEASE);
  return 0;
}

/* Calls *release(obj) once, if set, clearing it first: a place's reference
 * is given back exactly once whoever gets there (its last user or
 * sof_host_shutdown). */
static inline void
release_once(void (**release)(void *obj), void *obj) {
  void (*rel)(void *) = *release;
  if (!rel) return;
  *release = NULL;
  rel(obj);
}

/* Gives back every reference held publications still hold, clearing each
 * release it calls (so neither a later poll nor a second call releases
 * again); nothing moves and no counter changes. Queued transaction slots
 * are found by turning each transaction ring over once (dequeue, enqueue:
 * the order is kept); batch buffers by scanning the pool; wait entries by
 * walking the buckets. No worker may be inside a poll, nor the producer
 * publishing. Works on a host sof_host_new left half built. */
static void
release_held(sof_host_t *h) {
  for (int l = 0; l < SOF_HOST_LANE_CNT; l++) {
    struct rte_ring *r = h->lane[l].ring;
    if (l == SOF_HOST_LANE_GENERAL || !r) continue; /* GENERAL: batches, below */
    for (unsigned k = rte_ring_count(r); k > 0; k--) {
      void *o;
      if (rte_ring_dequeue(r, &o)) break;
      txn_slot_t *s = o;
      release_once(&s->release, s->obj);
      rte_ring_enqueue(r, o); /* cannot fail: the ring had room for it */
    }
  }
  if (h->batch_bufs)
    for (uint32_t i = 0; i < h->cfg.batch_slots; i++)
      release_once(&h->batch_bufs[i].release, h->batch_bufs[i].obj);
  if (h->went && h->wb)
    for (uint32_t k = 0; k < WAIT_SLOTS; k++) {
      wait_bucket_t *b = &h->wb[k];
      if (!b->cnt) continue;
      for (uint32_t i = b->head; i != WAIT_NONE; i = h->went[i].next) {
        wait_ent_t *e = &h->went[i];
        if (!e->is_batch) release_once(&e->u.t.hold.release, e->u.t.obj);
      }
    }
}

void
sof_host_shutdown(sof_host_t *h) {
  if (!h) return;
  __atomic_store_n(&h->phase, PHASE_SHUTDOWN, __ATOMIC_RELEASE);
  for (unsigned i = h->n; i-- > 0;) {
    host_plugin_t *hp = &h->pl[i];
    if (!hp->set_up) continue;
    hp->set_up = 0;
    if (hp->p->shutdown) hp->p->shutdown(hp->state);
  }
  release_held(h);
}

int
sof_host_wants(sof_host_t const *h, int hook) {
  if (hook < 0 || hook >= SOF_HOOK_CNT) return 0;
  return h->hook_mask[hook] != 0;
}

/* ---- producer: lane slots ---------------------------------------------------------------- */

/* A free slot of the lane, NULL when there is none (the lane is full). */
static inline void *
lane_get(lane_t *ln) {
  if (!ln->cache_n) {
    ln->cache_n = rte_ring_sc_dequeue_burst(ln->free, ln->cache, PROD_CACHE, NULL);
    if (!ln->cache_n) return NULL;
  }
  return ln->cache[--ln->cache_n];
}

/* Gives back a slot lane_get returned and that was not queued. */
static inline void
lane_unget(lane_t *ln, void *s) {
  ln->cache[ln->cache_n++] = s;
}

/* Queues s; 1 on success, 0 when the ring refused it (cannot happen while
 * the ring holds as many entries as there are slots; s goes back to the
 * producer's cache). */
static inline unsigned
lane_put(sof_host_t *h, int l, void *s) {
  lane_t *ln = &h->lane[l];
  if (rte_ring_sp_enqueue(ln->ring, s)) {
    lane_unget(ln, s);
    h->stats.lane[l].dropped++;
    return 0;
  }
  h->stats.lane[l].enqueued++;
  return 1;
}

static inline void
batch_unref(sof_host_t *h, batch_buf_t *b) {
  if (__atomic_sub_fetch(&b->refs, 1U, __ATOMIC_ACQ_REL) == 0) {
    release_once(&b->release, b->obj);
    rte_ring_mp_enqueue(h->batch_free, b);
  }
}

static inline void
batch_ref(batch_buf_t *b) {
  __atomic_add_fetch(&b->refs, 1U, __ATOMIC_RELAXED);
}

/* A GENERAL slot for hook with targets; NULL (counted) when the lane is full. */
static inline gen_slot_t *
gen_begin(sof_host_t *h, int hook, uint64_t targets) {
  gen_slot_t *s = lane_get(&h->lane[SOF_HOST_LANE_GENERAL]);
  if (!s) {
    h->stats.lane[SOF_HOST_LANE_GENERAL].dropped++;
    h->stats.dropped[hook]++;
    return NULL;
  }
  s->hook = hook;
  s->targets = targets;
  s->batch = NULL;
  return s;
}

static inline unsigned
gen_commit(sof_host_t *h, gen_slot_t *s) {
  s->enq_tsc = sof_plugin_tsc();
  unsigned q = lane_put(h, SOF_HOST_LANE_GENERAL, s);
  if (!q) h->stats.dropped[s->hook]++;
  return q;
}

/* Targets of a non-transaction publication, counting it; 0: nobody. */
static inline uint64_t
gen_targets(sof_host_t *h, int hook) {
  if (h->phase != PHASE_RUNNING) return 0;
  h->stats.published[hook]++;
  uint64_t m = h->hook_mask[hook];
  if (!m) h->stats.no_target[hook]++;
  return m;
}

/* ---- producer: non-transaction events --------------------------------------------------- */

unsigned
sof_host_publish_raw_packet(sof_host_t *h, sof_ev_raw_packet_t const *ev) {
  uint64_t m = gen_targets(h, SOF_HOOK_RAW_PACKET);
  if (!m) return 0;
  if (ev->sz > SOF_HOST_RAW_PACKET_MAX || (ev->sz && !ev->payload)) {
    h->stats.dropped[SOF_HOOK_RAW_PACKET]++;
    return 0;
  }
  gen_slot_t *s = gen_begin(h, SOF_HOOK_RAW_PACKET, m);
  if (!s) return 0;
  s->u.raw.ev = *ev;
  if (ev->sz) memcpy(s->u.raw.payload, ev->payload, ev->sz);
  s->u.raw.ev.payload = s->u.raw.payload;
  return gen_commit(h, s);
}

unsigned
sof_host_publish_shred(sof_host_t *h, sof_ev_shred_t const *ev) {
  uint64_t m = gen_targets(h, SOF_HOOK_SHRED);
  if (!m) return 0;
  if (ev->sz > SOF_HOST_SHRED_MAX || (ev->sz && !ev->payload)) {
    h->stats.dropped[SOF_HOOK_SHRED]++;
    return 0;
  }
  gen_slot_t *s = gen_begin(h, SOF_HOOK_SHRED, m);
  if (!s) return 0;
  s->u.shred.ev = *ev;
  if (ev->sz) memcpy(s->u.shred.payload, ev->payload, ev->sz);
  s->u.shred.ev.payload = s->u.shred.payload;
  if (ev->shred) {
    s->u.shred.hdr = *ev->shred;
    s->u.shred.ev.shred = &s->u.shred.hdr;
  }
  return gen_commit(h, s);
}

/* The events the general lane copies by value: one publisher each. */
#define HOST_PUBLISH_BY_VALUE(fn, ev_t, hook, member)          \
  unsigned fn(sof_host_t *h, ev_t const *ev) {                 \
    uint64_t m = gen_targets(h, hook);                         \
    if (!m) return 0;                                          \
    gen_slot_t *s = gen_begin(h, hook, m);                     \
    if (!s) return 0;                                          \
    s->u.member = *ev;                                         \
    return gen_commit(h, s);                                   \
  }

HOST_PUBLISH_BY_VALUE(sof_host_publish_dataset, sof_ev_dataset_t, SOF_HOOK_DATASET, dataset)
HOST_PUBLISH_BY_VALUE(sof_host_publish_reorg, sof_ev_reorg_t, SOF_HOOK_REORG, reorg)
HOST_PUBLISH_BY_VALUE(sof_host_publish_recent_blockhash, sof_ev_recent_blockhash_t,
                      SOF_HOOK_RECENT_BLOCKHASH, blockhash)
HOST_PUBLISH_BY_VALUE(sof_host_publish_leader_schedule, sof_ev_leader_schedule_t,
                      SOF_HOOK_LEADER_SCHEDULE, leaders)
HOST_PUBLISH_BY_VALUE(sof_host_publish_cluster_topology, sof_ev_cluster_topology_t,
                      SOF_HOOK_CLUSTER_TOPOLOGY, topology)
HOST_PUBLISH_BY_VALUE(sof_host_publish_txn_status, sof_ev_txn_status_t,
                      SOF_HOOK_TRANSACTION_STATUS, txn_status)
HOST_PUBLISH_BY_VALUE(sof_host_publish_gossip_vote, sof_ev_gossip_vote_t, SOF_HOOK_GOSSIP_VOTE, vote)

/* ---- producer: the wait buffer ----------------------------------------------------------- */

static inline wait_bucket_t *
wait_bucket(sof_host_t *h, uint64_t slot) {
  return &h->wb[slot & (WAIT_SLOTS - 1)];
}

static void
wait_free(sof_host_t *h, uint32_t idx) {
  wait_ent_t *e = &h->went[idx];
  if (e->is_batch) batch_unref(h, e->u.b.buf);
  else release_once(&e->u.t.hold.release, e->u.t.obj);
  h->wfree[h->wfree_cnt++] = idx;
  h->stats.commit_waiting--;
}

/* Discards every entry of the bucket (counted). */
static void
wait_discard_bucket(sof_host_t *h, wait_bucket_t *b) {
  uint32_t i = b->head;
  while (i != WAIT_NONE) {
    uint32_t nx = h->went[i].next;
    wait_free(h, i);
    h->stats.commit_orphaned++;
    i = nx;
  }
  b->head = b->tail = WAIT_NONE;
  b->cnt = 0;
}

/* A fresh entry appended to slot's list, or NULL (the caller counts
 * commit_dropped). A bucket still holding an older slot (WAIT_SLOTS or more
 * below) is discarded first: that slot never got its status. */
static wait_ent_t *
wait_add(sof_host_t *h, uint64_t slot) {
  if (!h->went || slot == SOF_SLOT_UNKNOWN) return NULL;
  wait_bucket_t *b = wait_bucket(h, slot);
  if (b->cnt && b->slot != slot) {
    if (b->slot > slot) return NULL;
    wait_discard_bucket(h, b);
  }
  if (!h->wfree_cnt) return NULL;
  if (!b->cnt) {
    b->slot = slot;
    b->head = b->tail = WAIT_NONE;
  }
  uint32_t idx = h->wfree[--h->wfree_cnt];
  wait_ent_t *e = &h->went[idx];
  e->next = WAIT_NONE;
  if (b->tail == WAIT_NONE) b->head = idx;
  else h->went[b->tail].next = idx;
  b->tail = idx;
  b->cnt++;
  h->stats.commit_waiting++;
  if (slot < h->wfloor) h->wfloor = slot;
  return e;
}

/* ---- producer: transactions ------------------------------------------------------------------ */

static inline void
txn_desc_copy(sof_txn_t *dst, sof_txn_t const *src) {
  memcpy(dst, src, offsetof(sof_txn_t, instr) + (size_t)src->instr_cnt * sizeof(sof_txn_instr_t));
  memcpy(dst->alt, src->alt, (size_t)src->alt_cnt * sizeof(sof_txn_alt_t));
}

/* Queues one transaction in a slot of transaction lane tl. fields: the
 * event's scalar fields; bytes: sz bytes, copied into the slot when hold
 * is NULL, else referenced (hold->retain(obj) for the slot, before it is
 * queued); desc: the parsed descriptor, or NULL to parse the slot's bytes
 * (a release from the wait buffer). Returns 1 when queued, 0 when dropped
 * (counted; no reference kept). Always inlined, so that the copying
 * publisher's constant NULL hold folds away. */
static inline __attribute__((always_inline)) unsigned
txn_enqueue(sof_host_t *h, int tl, sof_ev_txn_t const *fields, uint8_t const *bytes, uint32_t sz,
            sof_txn_t const *desc, uint64_t txn_mask, uint64_t touch_mask,
            sof_host_hold_t const *hold, void *obj) {
  int l = tl + 1;
  lane_t *ln = &h->lane[l];
  txn_slot_t *s = lane_get(ln);
  if (!s) {
    h->stats.lane[l].dropped++;
    if (txn_mask) h->stats.dropped[SOF_HOOK_TRANSACTION]++;
    if (touch_mask) h->stats.dropped[SOF_HOOK_ACCOUNT_TOUCH]++;
    return 0;
  }
  uint8_t const *b = bytes;
  if (!hold) {
    memcpy(s->bytes, bytes, sz);
    b = s->bytes;
  }
  if (desc) {
    txn_desc_copy(&s->txn, desc);
  } else if (sof_txn_parse(&s->txn, b, sz, NULL) != SOF_TXN_OK) {
    lane_unget(ln, s); /* not a transaction any more: nothing to deliver */
    h->stats.commit_dropped++;
    return 0;
  }
  s->ev = *fields;
  s->ev.commitment = commitment_of(fields->commitment);
  s->ev.bytes = b;
  s->ev.sz = sz;
  s->ev.txn = &s->txn;
  s->ev.signature = b + s->txn.sig_off;
  s->txn_mask = txn_mask;
  s->touch_mask = touch_mask;
  s->release = NULL;
  if (hold) {
    hold->retain(obj);
    s->release = hold->release;
    s->obj = obj;
  }
  s->enq_tsc = sof_plugin_tsc();
  unsigned q = lane_put(h, l, s);
  if (!q) {
    if (hold) hold->release(obj);
    if (txn_mask) h->stats.dropped[SOF_HOOK_TRANSACTION]++;
    if (touch_mask) h->stats.dropped[SOF_HOOK_ACCOUNT_TOUCH]++;
    return 0;
  }
  if (hold) h->stats.txn_referenced++;
  else h->stats.txn_copied++;
  return 1;
}

/* sof_host_publish_txn_held's body, inlined into both publishers: the
 * copying one (hold NULL, a constant) then pays nothing for holds. */
static inline __attribute__((always_inline)) unsigned
publish_txn(sof_host_t *h, sof_ev_txn_t const *ev, unsigned flags, sof_host_hold_t const *hold,
            void *obj) {
  if (h->phase != PHASE_RUNNING) return 0;
  if (hold && (!hold->retain || !hold->release)) return 0;
  sof_host_stats_t *st = &h->stats;
  st->published[SOF_HOOK_TRANSACTION]++;
  st->published[SOF_HOOK_ACCOUNT_TOUCH]++;
  uint64_t sub_txn = h->hook_mask[SOF_HOOK_TRANSACTION];
  uint64_t sub_touch = h->hook_mask[SOF_HOOK_ACCOUNT_TOUCH];
  if (!sub_txn) st->no_target[SOF_HOOK_TRANSACTION]++;
  if (!sub_touch) st->no_target[SOF_HOOK_ACCOUNT_TOUCH]++;
  uint64_t cand = sub_txn | sub_touch;
  int inline_path = ev->path == SOF_TXN_PATH_INLINE;
  if (inline_path) cand &= h->inline_mask;
  if (!cand || !ev->txn || !ev->bytes) return 0;

  int c = commitment_of(ev->commitment);
  uint64_t now_txn[TL_CNT] = {0, 0, 0}, now_touch[TL_CNT] = {0, 0, 0};
  uint64_t w_txn[TL_CNT] = {0, 0, 0}, w_touch[TL_CNT] = {0, 0, 0};
  uint64_t w_conf_al = 0, w_conf_only = 0, w_fin = 0;
  int evaluated = 0, passed = 0, routed = 0;

  for (uint64_t m = cand; m; m &= m - 1) {
    unsigned i = ctz64(m);
    host_plugin_t *hp = &h->pl[i];
    sof_plugin_t const *p = hp->p;
    int sel = selector(p, c);
    if (sel < 0) continue;
    evaluated = 1;
    if (hp->pf && !sof_prefilter_match(hp->pf, ev->bytes, ev->txn)) {
      hp->stats.prefiltered++;
      continue;
    }
    passed = 1;
    int want_txn = (p->hooks & SOF_HOOK_BIT(TRANSACTION)) &&
                   (!p->accepts_transaction_ref || p->accepts_transaction_ref(hp->state, ev));
    int want_touch = (p->hooks & SOF_HOOK_BIT(ACCOUNT_TOUCH)) &&
                     (!p->accepts_account_touch_ref || p->accepts_account_touch_ref(hp->state, ev));
    if (!want_txn && !want_touch) {
      hp->stats.classified_out++;
      continue;
    }
    int interest = p->transaction_interest_ref ? p->transaction_interest_ref(hp->state, ev)
                                               : SOF_INTEREST_BACKGROUND;
    if (interest == SOF_INTEREST_IGNORE) {
      hp->stats.classified_out++;
      continue;
    }
    int tl = interest == SOF_INTEREST_CRITICAL ? (p->inline_txn ? TL_INLINE : TL_CRIT) : TL_BG;
    routed = 1;
    if (inline_path ? tl != TL_INLINE : (tl == TL_INLINE && (flags & SOF_HOST_TXN_INLINE_DONE)))
      continue; /* served (or to be served) by the other publication */
    uint64_t bit = 1ULL << i;
    if (!sel) {
      if (want_txn) now_txn[tl] |= bit;
      if (want_touch) now_touch[tl] |= bit;
    } else {
      if (want_txn) w_txn[tl] |= bit;
      if (want_touch) w_touch[tl] |= bit;
      if (sel == SOF_COMMITMENT_FINALIZED) w_fin |= bit;
      else if (p->commitment_mode == SOF_COMMITMENT_ONLY) w_conf_only |= bit;
      else w_conf_al |= bit;
    }
  }

  if (!routed) {
    if (evaluated && !passed) st->txn_prefiltered++;
    else if (passed) st->txn_classified_out++;
    return 0;
  }

  uint32_t sz = ev->txn->sz;
  unsigned q = 0;
  for (int tl = 0; tl < TL_CNT; tl++)
    if (now_txn[tl] | now_touch[tl])
      q += txn_enqueue(h, tl, ev, ev->bytes, sz, ev->txn, now_txn[tl], now_touch[tl], hold, obj);

  if (w_conf_al | w_conf_only | w_fin) {
    wait_ent_t *e = wait_add(h, ev->slot);
    if (!e) {
      st->commit_dropped++;
    } else {
      e->is_batch = 0;
      e->w_conf_al = w_conf_al;
      e->w_conf_only = w_conf_only;
      e->w_fin = w_fin;
      memcpy(e->u.t.lane_txn, w_txn, sizeof w_txn);
      memcpy(e->u.t.lane_touch, w_touch, sizeof w_touch);
      e->u.t.ev = *ev;
      e->u.t.ev.bytes = NULL;
      e->u.t.ev.txn = NULL;
      e->u.t.ev.signature = NULL;
      e->u.t.ev.sz = sz;
      if (hold && h->cfg.hold_waiting) {
        hold->retain(obj); /* the entry's reference */
        e->u.t.hold = *hold;
        e->u.t.obj = obj;
        e->u.t.held = ev->bytes;
      } else {
        e->u.t.hold.retain = NULL;
        e->u.t.hold.release = NULL;
        e->u.t.held = NULL;
        memcpy(e->u.t.bytes, ev->bytes, sz);
      }
    }
  }
  return q;
}

unsigned
sof_host_publish_txn_held(sof_host_t *h, sof_ev_txn_t const *ev, unsigned flags,
                          sof_host_hold_t const *hold, void *obj) {
  return publish_txn(h, ev, flags, hold, obj);
}

/* sof_host_publish_txn_held with hold NULL (its body specialised). */
unsigned
sof_host_publish_txn(sof_host_t *h, sof_ev_txn_t const *ev, unsigned flags) {
  return publish_txn(h, ev, flags, NULL, NULL);
}

unsigned
sof_host_publish_txn_batch(sof_host_t *h, sof_ev_txn_batch_t const *ev) {
  return sof_host_publish_txn_batch_held(h, ev, NULL, NULL);
}

unsigned
sof_host_publish_txn_batch_held(sof_host_t *h, sof_ev_txn_batch_t const *ev,
                                sof_host_hold_t const *hold, void *obj) {
  if (hold && (!hold->retain || !hold->release)) return 0;
  uint64_t m = gen_targets(h, SOF_HOOK_TRANSACTION_BATCH);
  if (!m) return 0;
  int c = commitment_of(ev->commitment);
  uint64_t now = 0, w_conf_al = 0, w_conf_only = 0, w_fin = 0;
  for (; m; m &= m - 1) {
    unsigned i = ctz64(m);
    sof_plugin_t const *p = h->pl[i].p;
    int sel = selector(p, c);
    uint64_t bit = 1ULL << i;
    if (sel == 0) now |= bit;
    else if (sel == SOF_COMMITMENT_FINALIZED) w_fin |= bit;
    else if (sel == SOF_COMMITMENT_CONFIRMED)
      *(p->commitment_mode == SOF_COMMITMENT_ONLY ? &w_conf_only : &w_conf_al) |= bit;
  }
  uint64_t waiting = w_conf_al | w_conf_only | w_fin;
  if (!now && !waiting) return 0;
  if (ev->payload_sz > h->cfg.batch_bytes || ev->txn_cnt > h->batch_refs_max ||
      (ev->payload_sz && !ev->payload) || (ev->txn_cnt && !ev->txns)) {
    h->stats.batch_too_large++;
    return 0;
  }
  void *bo;
  if (rte_ring_sc_dequeue(h->batch_free, &bo)) {
    h->stats.batch_no_slot++;
    return 0;
  }
  batch_buf_t *b = bo;
  __atomic_store_n(&b->refs, 1U, __ATOMIC_RELAXED); /* the producer's own */
  if (hold) {
    hold->retain(obj); /* the buffer's reference, given back with its last ref */
    b->release = hold->release;
    b->obj = obj;
    b->ev_payload = ev->payload;
    b->ev_txns = ev->txns;
  } else {
    b->release = NULL;
    if (ev->payload_sz) memcpy(b->payload, ev->payload, ev->payload_sz);
    if (ev->txn_cnt) memcpy(b->txns, ev->txns, (size_t)ev->txn_cnt * sizeof *ev->txns);
    b->ev_payload = b->payload;
    b->ev_txns = b->txns;
  }

  unsigned q = 0;
  if (now) {
    gen_slot_t *s = gen_begin(h, SOF_HOOK_TRANSACTION_BATCH, now);
    if (s) {
      s->u.batch = *ev;
      s->u.batch.commitment = c;
      s->u.batch.payload = b->ev_payload;
      s->u.batch.txns = b->ev_txns;
      s->batch = b;
      batch_ref(b);
      q = gen_commit(h, s);
      if (!q) {
        s->batch = NULL;
        batch_unref(h, b);
      } else if (hold) {
        h->stats.batch_referenced++;
      }
    }
  }
  if (waiting) {
    wait_ent_t *e = wait_add(h, ev->slot);
    if (!e) {
      h->stats.commit_dropped++;
    } else {
      e->is_batch = 1;
      e->w_conf_al = w_conf_al;
      e->w_conf_only = w_conf_only;
      e->w_fin = w_fin;
      e->u.b.ev = *ev;
      e->u.b.buf = b;
      batch_ref(b);
    }
  }
  batch_unref(h, b);
  return q;
}

/* Releases (to the plugins in rel) and drops (for those in skip) one wait
 * entry of the slot that reached commitment c; returns 1 when the entry has
 * no waiting plugin left. */
static int
wait_release_ent(sof_host_t *h, wait_ent_t *e, uint64_t rel, uint64_t skip, int c,
                 sof_ev_marks_t const *marks) {
  if (rel) {
    h->stats.commit_released++;
    if (e->is_batch) {
      gen_slot_t *s = gen_begin(h, SOF_HOOK_TRANSACTION_BATCH, rel);
      if (s) {
        batch_buf_t *b = e->u.b.buf;
        s->u.batch = e->u.b.ev;
        s->u.batch.commitment = c;
        s->u.batch.marks = *marks;
        s->u.batch.payload = b->ev_payload;
        s->u.batch.txns = b->ev_txns;
        s->batch = b;
        int held = b->release != NULL; /* stays set while the entry shares b */
        batch_ref(b);
        if (!gen_commit(h, s)) {
          s->batch = NULL;
          batch_unref(h, b);
        } else if (held) {
          h->stats.batch_referenced++;
        }
      }
    } else {
      sof_ev_txn_t fields = e->u.t.ev;
      fields.commitment = c;
      fields.marks = *marks;
      for (int tl = 0; tl < TL_CNT; tl++) {
        uint64_t mt = e->u.t.lane_txn[tl] & rel, mo = e->u.t.lane_touch[tl] & rel;
        if (!(mt | mo)) continue;
        if (e->u.t.held) /* a reference per slot; the entry keeps its own until wait_free */
          txn_enqueue(h, tl, &fields, e->u.t.held, fields.sz, NULL, mt, mo, &e->u.t.hold,
                      e->u.t.obj);
        else
          txn_enqueue(h, tl, &fields, e->u.t.bytes, fields.sz, NULL, mt, mo, NULL, NULL);
      }
    }
  }
  if (skip) h->stats.commit_orphaned++;
  uint64_t gone = ~(rel | skip);
  e->w_conf_al &= gone;
  e->w_conf_only &= gone;
  e->w_fin &= gone;
  return !(e->w_conf_al | e->w_conf_only | e->w_fin);
}

/* The wait buffer's part of a status change of slot. */
static void
wait_on_status(sof_host_t *h, sof_ev_slot_status_t const *ev) {
  if (!h->went || !h->stats.commit_waiting) return;
  wait_bucket_t *b = wait_bucket(h, ev->slot);
  int st = ev->status;
  if (b->cnt && b->slot == ev->slot) {
    if (st == SOF_SLOT_ORPHANED) {
      wait_discard_bucket(h, b);
    } else if (st == SOF_SLOT_CONFIRMED || st == SOF_SLOT_FINALIZED) {
      uint32_t prev = WAIT_NONE, i = b->head;
      while (i != WAIT_NONE) {
        wait_ent_t *e = &h->went[i];
        uint32_t nx = e->next;
        uint64_t rel, skip = 0;
        if (st == SOF_SLOT_CONFIRMED) {
          rel = e->w_conf_al | e->w_conf_only;
        } else {
          rel = e->w_conf_al | e->w_fin;
          skip = e->w_conf_only; /* the slot passed confirmed without a status for it */
        }
        int c = st == SOF_SLOT_CONFIRMED ? SOF_COMMITMENT_CONFIRMED : SOF_COMMITMENT_FINALIZED;
        if ((rel | skip) && wait_release_ent(h, e, rel, skip, c, &ev->marks)) {
          if (prev == WAIT_NONE) b->head = nx;
          else h->went[prev].next = nx;
          if (b->tail == i) b->tail = prev;
          b->cnt--;
          wait_free(h, i);
        } else {
          prev = i;
        }
        i = nx;
      }
    }
  }
  /* A finalized slot ends every older slot's wait: the slots below it that
   * are still waiting are off the finalized chain (or never got a status). */
  if (st == SOF_SLOT_FINALIZED && ev->slot != SOF_SLOT_UNKNOWN && h->wfloor < ev->slot) {
    uint64_t lo = h->wfloor, hi = ev->slot;
    if (hi - lo >= WAIT_SLOTS) {
      for (uint32_t k = 0; k < WAIT_SLOTS; k++)
        if (h->wb[k].cnt && h->wb[k].slot < hi) wait_discard_bucket(h, &h->wb[k]);
    } else {
      for (uint64_t s = lo; s < hi; s++) {
        wait_bucket_t *q = wait_bucket(h, s);
        if (q->cnt && q->slot < hi) wait_discard_bucket(h, q);
      }
    }
    h->wfloor = hi;
  }
  if (!h->stats.commit_waiting) h->wfloor = UINT64_MAX;
}

unsigned
sof_host_publish_slot_status(sof_host_t *h, sof_ev_slot_status_t const *ev) {
  uint64_t m = gen_targets(h, SOF_HOOK_SLOT_STATUS);
  unsigned q = 0;
  if (m) {
    gen_slot_t *s = gen_begin(h, SOF_HOOK_SLOT_STATUS, m);
    if (s) {
      s->u.slot_status = *ev;
      q = gen_commit(h, s);
    }
  }
  if (h->phase == PHASE_RUNNING) wait_on_status(h, ev);
  return q;
}

/* ---- consumer: lane workers --------------------------------------------------------------- */

/* One poll burst's counters, flushed with one atomic add per counter at
 * the end of the burst. Per-plugin entries are valid for the plugins in
 * `touched` only (initialised on first use: the burst pays for the plugins
 * it called, not for SOF_HOST_PLUGINS_MAX). */
typedef struct poll_acc {
  uint64_t callbacks;
  uint64_t cycles;
  uint64_t lag;
  uint64_t lag_max;
  uint64_t touched;
  uint64_t pcyc[SOF_HOST_PLUGINS_MAX];
  uint32_t pcnt[SOF_HOST_PLUGINS_MAX][SOF_HOOK_CNT];
} poll_acc_t;

/* Accounts one callback of plugin i for hook that took cyc cycles. */
static inline void
acc_cb(poll_acc_t *a, unsigned i, int hook, uint64_t cyc) {
  uint64_t bit = 1ULL << i;
  if (!(a->touched & bit)) {
    a->touched |= bit;
    a->pcyc[i] = 0;
    memset(a->pcnt[i], 0, sizeof a->pcnt[i]);
  }
  a->pcyc[i] += cyc;
  a->pcnt[i][hook]++;
  a->callbacks++;
  a->cycles += cyc;
}

static void
acc_flush(sof_host_t *h, poll_acc_t *a) {
  for (uint64_t m = a->touched; m; m &= m - 1) {
    unsigned i = ctz64(m);
    sof_host_plugin_stats_t *ps = &h->pl[i].stats;
    add_relaxed(&ps->callback_cycles, a->pcyc[i]);
    for (int k = 0; k < SOF_HOOK_CNT; k++)
      if (a->pcnt[i][k]) add_relaxed(&ps->callbacks[k], a->pcnt[i][k]);
  }
  a->touched = 0;
}

static inline void
lag_note(poll_acc_t *a, uint64_t enq_tsc, uint64_t t0) {
  uint64_t lag = t0 > enq_tsc ? t0 - enq_tsc : 0;
  a->lag += lag;
  if (lag > a->lag_max) a->lag_max = lag;
}

/* Callback timing chains TSC reads through a burst (*tp: the clock when
 * the previous callback returned, or the burst started): the end of one
 * callback starts the next, the few host instructions between them count
 * to the next one, and an event's lag ends where its first callback's clock
 * starts. A locked plugin's clock starts once it holds its lock. One TSC
 * read per callback: it costs ~10-25 ns, about what the rest of a dispatch
 * does. */
static void
gen_dispatch(sof_host_t *h, gen_slot_t *s, poll_acc_t *a, uint64_t *tp) {
  uint64_t t = *tp;
  lag_note(a, s->enq_tsc, t);
  int hook = s->hook;
  for (uint64_t m = s->targets; m; m &= m - 1) {
    unsigned i = ctz64(m);
    host_plugin_t *hp = &h->pl[i];
    sof_plugin_t const *p = hp->p;
    if (hp->locked) {
      plugin_lock(hp);
      t = sof_plugin_tsc();
    }
    switch (hook) {
    case SOF_HOOK_RAW_PACKET:       p->on_raw_packet(hp->state, &s->u.raw.ev); break;
    case SOF_HOOK_SHRED:            p->on_shred(hp->state, &s->u.shred.ev); break;
    case SOF_HOOK_DATASET:          p->on_dataset(hp->state, &s->u.dataset); break;
    case SOF_HOOK_TRANSACTION_BATCH: p->on_transaction_batch(hp->state, &s->u.batch); break;
    case SOF_HOOK_SLOT_STATUS:      p->on_slot_status(hp->state, &s->u.slot_status); break;
    case SOF_HOOK_REORG:            p->on_reorg(hp->state, &s->u.reorg); break;
    case SOF_HOOK_RECENT_BLOCKHASH: p->on_recent_blockhash(hp->state, &s->u.blockhash); break;
    case SOF_HOOK_LEADER_SCHEDULE:  p->on_leader_schedule(hp->state, &s->u.leaders); break;
    case SOF_HOOK_CLUSTER_TOPOLOGY: p->on_cluster_topology(hp->state, &s->u.topology); break;
    case SOF_HOOK_TRANSACTION_STATUS: p->on_transaction_status(hp->state, &s->u.txn_status); break;
    case SOF_HOOK_GOSSIP_VOTE: p->on_gossip_vote(hp->state, &s->u.vote); break;
    default: break;
    }
    uint64_t t1 = sof_plugin_tsc();
    acc_cb(a, i, hook, t1 - t);
    t = t1;
    if (hp->locked) plugin_unlock(hp);
  }
  *tp = t;
}

/* The account split of the transaction in slot s. */
static void
touch_build(txn_slot_t const *s, sof_ev_account_touch_t *at) {
  sof_txn_t const *t = &s->txn;
  at->slot = s->ev.slot;
  at->commitment = s->ev.commitment;
  at->signature = s->ev.signature;
  at->time = s->ev.time;
  uint32_t w = 0, r = 0;
  for (unsigned i = 0; i < t->acct_cnt; i++) {
    uint8_t const *k = sof_txn_acct_key(t, s->ev.bytes, i);
    if (sof_txn_acct_is_writable(t, i)) at->writable[w++] = k;
    else at->readonly[r++] = k;
  }
  at->writable_cnt = w;
  at->readonly_cnt = r;
  for (unsigned k = 0; k < t->alt_cnt; k++)
    at->lookup_tables[k] = sof_txn_alt_key(t, s->ev.bytes, k);
  at->lookup_table_cnt = t->alt_cnt;
}

static void
txn_dispatch(sof_host_t *h, txn_slot_t *s, poll_acc_t *a, uint64_t *tp) {
  sof_ev_account_touch_t at;
  int at_built = 0;
  uint64_t t = *tp;
  lag_note(a, s->enq_tsc, t);
  for (uint64_t m = s->txn_mask | s->touch_mask; m; m &= m - 1) {
    unsigned i = ctz64(m);
    uint64_t bit = 1ULL << i;
    host_plugin_t *hp = &h->pl[i];
    sof_plugin_t const *p = hp->p;
    if (hp->locked) {
      plugin_lock(hp);
      t = sof_plugin_tsc();
    }
    if (s->txn_mask & bit) {
      p->on_transaction(hp->state, &s->ev);
      uint64_t t1 = sof_plugin_tsc();
      acc_cb(a, i, SOF_HOOK_TRANSACTION, t1 - t);
      t = t1;
    }
    if (s->touch_mask & bit) {
      if (!at_built) {
        touch_build(s, &at);
        at_built = 1;
        t = sof_plugin_tsc();
      }
      p->on_account_touch(hp->state, &at);
      uint64_t t1 = sof_plugin_tsc();
      acc_cb(a, i, SOF_HOOK_ACCOUNT_TOUCH, t1 - t);
      t = t1;
    }
    if (hp->locked) plugin_unlock(hp);
  }
  *tp = t;
}

unsigned
sof_host_lane_poll(sof_host_t *h, int lane, unsigned max) {
  if (lane < 0 || lane >= SOF_HOST_LANE_CNT) return 0;
  lane_t *ln = &h->lane[lane];
  sof_host_lane_stats_t *ls = &h->stats.lane[lane];
  int run = __atomic_load_n(&h->phase, __ATOMIC_ACQUIRE) == PHASE_RUNNING;
  unsigned done = 0;
  while (done < max) {
    unsigned want = max - done < POLL_BURST ? max - done : POLL_BURST;
    void *objs[POLL_BURST];
    unsigned avail = 0;
    /* an idle lane costs two loads, not two locked operations */
    if (rte_ring_empty(ln->ring)) break;
    __atomic_fetch_add(&ln->inflight, want, __ATOMIC_SEQ_CST);
    unsigned n = rte_ring_dequeue_burst(ln->ring, objs, want, &avail);
    if (n < want) __atomic_fetch_sub(&ln->inflight, want - n, __ATOMIC_SEQ_CST);
    if (!n) break;
    uint32_t depth = n + avail;
    __atomic_store_n(&ls->depth, depth, __ATOMIC_RELAXED);
    max32_relaxed(&ls->depth_max, depth);
    poll_acc_t a;
    a.callbacks = a.cycles = a.lag = a.lag_max = a.touched = 0;
    uint64_t t = sof_plugin_tsc();
    uintptr_t held = 0; /* non-zero: a slot of the burst holds a reference */
    for (unsigned k = 0; k < n; k++) {
      if (lane == SOF_HOST_LANE_GENERAL) {
        gen_slot_t *s = objs[k];
        if (run) gen_dispatch(h, s, &a, &t);
        if (s->batch) {
          batch_unref(h, s->batch);
          s->batch = NULL;
        }
      } else {
        txn_slot_t *s = objs[k];
        if (run) txn_dispatch(h, s, &a, &t);
        held |= (uintptr_t)s->release;
      }
    }
    if (held) /* the burst's callbacks ran: give the slots' references back */
      for (unsigned k = 0; k < n; k++) {
        txn_slot_t *s = objs[k];
        if (s->release) s->release(s->obj);
      }
    rte_ring_enqueue_burst(ln->free, objs, n, NULL);
    if (run) {
      acc_flush(h, &a);
      add_relaxed(&ls->dispatched, n);
      add_relaxed(&ls->callbacks, a.callbacks);
      add_relaxed(&ls->callback_cycles, a.cycles);
      add_relaxed(&ls->lag_cycles, a.lag);
      max_relaxed(&ls->lag_max_cycles, a.lag_max);
    }
    __atomic_fetch_sub(&ln->inflight, n, __ATOMIC_SEQ_CST);
    done += n;
    if (n < want) break;
  }
  return done;
}

int
sof_host_lanes_empty(sof_host_t const *h) {
  for (int l = 0; l < SOF_HOST_LANE_CNT; l++) {
    lane_t const *ln = &h->lane[l];
    if (rte_ring_count(ln->ring)) return 0;
    if (__atomic_load_n(&ln->inflight, __ATOMIC_SEQ_CST)) return 0;
  }
  return 1;
}

/* ---- introspection ------------------------------------------------------------------------ */

sof_host_stats_t const *
sof_host_stats(sof_host_t const *h) {
  return &h->stats;
}

unsigned
sof_host_plugin_cnt(sof_host_t const *h) {
  return h->n;
}

sof_plugin_t const *
sof_host_plugin(sof_host_t const *h, unsigned i) {
  return i < h->n ? h->pl[i].p : NULL;
}

sof_host_plugin_stats_t const *
sof_host_plugin_stats(sof_host_t const *h, unsigned i) {
  return i < h->n ? &h->pl[i].stats : NULL;
}

void *
sof_host_plugin_state(sof_host_t const *h, unsigned i) {
  if (i >= h->n || __atomic_load_n(&h->phase, __ATOMIC_ACQUIRE) != PHASE_RUNNING || !h->pl[i].set_up)
    return NULL;
  return h->pl[i].state;
}

unsigned
sof_host_lane_depth(sof_host_t const *h, int lane) {
  if (lane < 0 || lane >= SOF_HOST_LANE_CNT) return 0;
  return rte_ring_count(h->lane[lane].ring);
}
