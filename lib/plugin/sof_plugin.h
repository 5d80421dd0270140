/* sof_plugin.h: the whole plugin API of sofd.
 *
 * A plugin is one static descriptor (sof_plugin_t): its name, the API
 * version it was written against, its static subscription (hook flags,
 * commitment selector, inline delivery), its optional hot-path classifiers
 * and its callbacks. Plugins are compiled in: the meson option `plugins`
 * lists them in order and the build generates the table the host reads
 * (registration order = that order). See docs/plugins.md and
 * ../shared/docs/plugin-contract.md for the rules this header implements.
 *
 * Threads. setup and shutdown run on the main thread, before any event and
 * after the last one. Classifiers (accepts_transaction_ref,
 * transaction_interest_ref, accepts_account_touch_ref) run on the pipeline
 * lcore that publishes the event, on borrowed data, before anything is
 * copied or queued: they must not allocate, block or keep pointers, and
 * they may run concurrently with the plugin's hooks. Hooks run on the
 * host's lane workers: under SOF_DISPATCH_SEQUENTIAL a plugin's hooks never
 * run concurrently with each other and see events in queue order; under
 * SOF_DISPATCH_CONCURRENT up to the lane's worker count run at once, with
 * no order promise.
 *
 * Lifetimes. Every event pointer (and every pointer inside an event) is
 * borrowed for the duration of the callback only; a plugin that keeps data
 * copies it. */
#ifndef SOF_PLUGIN_H
#define SOF_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "wire/sof_shred.h"
#include "wire/sof_txn.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SOF_PLUGIN_API_VERSION 1U

/* ---- hooks ----------------------------------------------------------------- */

/* Hook families. X(NAME, index, "name"); the flag is SOF_HOOK_BIT(NAME). */
#define SOF_HOOK_LIST(X)                                  \
  X(RAW_PACKET,        0,  "raw_packet")                  \
  X(SHRED,             1,  "shred")                       \
  X(DATASET,           2,  "dataset")                     \
  X(TRANSACTION,       3,  "transaction")                 \
  X(TRANSACTION_BATCH, 4,  "transaction_batch")           \
  X(ACCOUNT_TOUCH,     5,  "account_touch")               \
  X(SLOT_STATUS,       6,  "slot_status")                 \
  X(REORG,             7,  "reorg")                       \
  X(RECENT_BLOCKHASH,  8,  "recent_blockhash")            \
  X(LEADER_SCHEDULE,   9,  "leader_schedule")             \
  X(CLUSTER_TOPOLOGY,  10, "cluster_topology")            \
  X(TRANSACTION_STATUS, 11, "transaction_status")        \
  X(GOSSIP_VOTE,       12, "gossip_vote")

enum {
#define SOF_HOOK_ENUM_(name, val, str) SOF_HOOK_##name = (val),
  SOF_HOOK_LIST(SOF_HOOK_ENUM_)
#undef SOF_HOOK_ENUM_
  SOF_HOOK_CNT = 13
};
#define SOF_HOOK_BIT(name) (1U << SOF_HOOK_##name)

/* Transaction-family hooks (those the commitment selector and the
 * transaction lanes apply to). */
#define SOF_HOOK_TXN_FAMILY \
  (SOF_HOOK_BIT(TRANSACTION) | SOF_HOOK_BIT(TRANSACTION_BATCH) | SOF_HOOK_BIT(ACCOUNT_TOUCH))

/* Commitment levels (of a slot, of a transaction at delivery). */
#define SOF_COMMITMENT_PROCESSED 0
#define SOF_COMMITMENT_CONFIRMED 1
#define SOF_COMMITMENT_FINALIZED 2

/* Commitment selector mode: deliver transactions whose slot is at least
 * the level (the default, with PROCESSED: everything), or exactly it. */
#define SOF_COMMITMENT_AT_LEAST 0
#define SOF_COMMITMENT_ONLY     1

/* Slot statuses of slot_status events. */
#define SOF_SLOT_PROCESSED 0
#define SOF_SLOT_CONFIRMED 1
#define SOF_SLOT_FINALIZED 2
#define SOF_SLOT_ORPHANED  3
#define SOF_SLOT_NONE      4 /* previous status of a slot seen for the first time */

/* Interest of a plugin in one transaction (transaction_interest_ref). */
#define SOF_INTEREST_IGNORE     0
#define SOF_INTEREST_BACKGROUND 1
#define SOF_INTEREST_CRITICAL   2

/* Dispatch modes. */
#define SOF_DISPATCH_SEQUENTIAL 0
#define SOF_DISPATCH_CONCURRENT 1

/* How a transaction reached its callback (sof_ev_txn_t.path). */
#define SOF_TXN_PATH_DATASET 0 /* its dataset was complete */
#define SOF_TXN_PATH_INLINE  1 /* a contiguous prefix of its dataset held it: the
                                  rest of the dataset had not arrived yet */
#define SOF_TXN_PATH_PROVIDER 2 /* a processed provider delivered it (sofd --driver
                                  provider), with its outcome in meta */

#define SOF_SLOT_UNKNOWN UINT64_MAX /* unknown slot (parent, watermark) */

/* ---- events ------------------------------------------------------------------ */

/* Timing carried by every event, in TSC cycles (sof_plugin_env_t.tsc_hz per
 * second; sof_plugin_tsc() reads the same clock). 0 when unknown. */
typedef struct sof_ev_time {
  uint64_t rx_tsc;          /* the RX burst that received the packet completing the event */
  uint64_t first_shred_tsc; /* the first shred received of the event's slot */
} sof_ev_time_t;

/* The chain's watermarks when the event was published. */
typedef struct sof_ev_marks {
  uint64_t tip;
  uint64_t confirmed;
  uint64_t finalized;
} sof_ev_marks_t;

typedef struct sof_ev_raw_packet {
  uint32_t       src_ip;   /* IPv4, host byte order */
  uint16_t       src_port;
  uint16_t       dst_port;
  uint8_t const *payload;  /* the UDP payload */
  uint32_t       sz;
  sof_ev_time_t  time;
} sof_ev_raw_packet_t;

typedef struct sof_ev_shred {
  uint32_t           src_ip;
  uint16_t           src_port;
  uint16_t           dst_port;
  uint8_t const     *payload; /* the shred bytes (UDP payload) */
  uint32_t           sz;
  sof_shred_t const *shred;   /* parsed header; offsets into payload */
  int                verify;  /* the verification result (sof_verify names) */
  sof_ev_time_t      time;
} sof_ev_shred_t;

typedef struct sof_ev_dataset {
  uint64_t      slot;
  uint64_t      parent;
  uint32_t      start_idx;
  uint32_t      end_idx;       /* inclusive */
  uint32_t      shred_cnt;
  uint32_t      recovered_cnt; /* shreds rebuilt by FEC recovery */
  uint8_t       last_in_slot;
  uint8_t       decoded;       /* 1: payload is a valid entry batch */
  uint32_t      payload_sz;
  uint32_t      entry_cnt;
  uint32_t      txn_cnt;
  sof_ev_time_t time;
} sof_ev_dataset_t;

/* A transaction's execution outcome, when a processed provider reported it
 * (sofd --driver provider); transactions from shreds carry none (has_meta
 * 0: everything else 0). err holds the start of the bincode
 * TransactionError (err_sz bytes kept of err_full_sz). */
#define SOF_EV_TXN_ERR_MAX 16U
typedef struct sof_ev_txn_meta {
  uint8_t  has_meta;
  uint8_t  failed;
  uint8_t  err_sz;
  uint8_t  has_compute_units;
  uint32_t err_full_sz;
  uint32_t log_cnt;       /* log messages the provider gave */
  uint32_t _pad;
  uint64_t fee;           /* lamports */
  uint64_t compute_units;
  uint8_t  err[SOF_EV_TXN_ERR_MAX];
} sof_ev_txn_meta_t;

typedef struct sof_ev_txn {
  uint64_t          slot;
  int               commitment;  /* SOF_COMMITMENT_* of the slot at delivery */
  int               kind;        /* SOF_TXN_KIND_* */
  int               path;        /* SOF_TXN_PATH_* */
  sof_ev_marks_t    marks;
  uint8_t const    *signature;   /* first signature, 64 bytes */
  uint8_t const    *bytes;       /* the serialized transaction */
  uint32_t          sz;
  sof_txn_t const  *txn;         /* parsed descriptor; offsets into bytes */
  uint32_t          dataset_start_idx;
  uint32_t          entry_idx;   /* entry of the dataset holding it */
  uint32_t          idx_in_dataset;
  sof_ev_time_t     time;
  sof_ev_txn_meta_t meta;        /* the provider's outcome (has_meta 0: none) */
} sof_ev_txn_t;

/* One transaction of a batch: the offset of its bytes in the batch payload. */
typedef struct sof_ev_txn_ref {
  uint32_t off;
  uint16_t sz;
  uint8_t  kind;
  uint8_t  _pad;
  uint32_t entry_idx;
} sof_ev_txn_ref_t;

typedef struct sof_ev_txn_batch {
  uint64_t                slot;
  int                     commitment;
  sof_ev_marks_t          marks;
  uint32_t                dataset_start_idx;
  uint32_t                txn_cnt;
  sof_ev_txn_ref_t const *txns;      /* txn_cnt entries */
  uint8_t const          *payload;   /* the dataset's bytes */
  uint32_t                payload_sz;
  sof_ev_time_t           time;
} sof_ev_txn_batch_t;

/* Static account keys of one transaction split by writability, plus the
 * address lookup tables it names (their looked-up keys cannot be resolved
 * from shreds alone). Key pointers point into the transaction's bytes. */
typedef struct sof_ev_account_touch {
  uint64_t        slot;
  int             commitment;
  uint8_t const  *signature;
  uint8_t const  *writable[SOF_TXN_ACCT_ADDR_MAX];
  uint8_t const  *readonly[SOF_TXN_ACCT_ADDR_MAX];
  uint8_t const  *lookup_tables[SOF_TXN_ALT_MAX];
  uint32_t        writable_cnt;
  uint32_t        readonly_cnt;
  uint32_t        lookup_table_cnt;
  sof_ev_time_t   time;
} sof_ev_account_touch_t;

/* What a slot_status event reports (sof_ev_slot_status_t.event): a status
 * change, or one of two moments of the slot, with its status unchanged
 * (prev_status == status): its first shred was accepted, or every data
 * shred up to LAST_IN_SLOT was reassembled. */
#define SOF_SLOT_EV_STATUS      0
#define SOF_SLOT_EV_FIRST_SHRED 1
#define SOF_SLOT_EV_COMPLETE    2

typedef struct sof_ev_slot_status {
  uint64_t       slot;
  uint64_t       parent;      /* SOF_SLOT_UNKNOWN when not known */
  int            prev_status; /* SOF_SLOT_* */
  int            status;
  sof_ev_marks_t marks;
  int            event;       /* SOF_SLOT_EV_* */
} sof_ev_slot_status_t;

#define SOF_EV_REORG_LIST_MAX 64U

typedef struct sof_ev_reorg {
  uint64_t       old_tip;
  uint64_t       new_tip;
  uint64_t       common_ancestor; /* SOF_SLOT_UNKNOWN when none is tracked */
  uint32_t       detached_cnt;    /* full counts; the lists keep at most */
  uint32_t       attached_cnt;    /* SOF_EV_REORG_LIST_MAX slots each */
  uint32_t       detached_len;
  uint32_t       attached_len;
  uint64_t       detached[SOF_EV_REORG_LIST_MAX]; /* newest first */
  uint64_t       attached[SOF_EV_REORG_LIST_MAX]; /* ascending, ending at new_tip */
  sof_ev_marks_t marks;
} sof_ev_reorg_t;

/* A transaction's outcome reported by a processed provider in joined mode
 * (sofd with shreds and a [provider] at once), fired once per outcome when
 * the provider reports it. The transaction itself was published once, from
 * the source that saw it first:
 * - shreds first (shred_seen 1): published from shreds; lead_ns = provider
 *   arrival - shred RX (> 0);
 * - provider first (provider_first 1, shred_seen 0): published from the
 *   provider (path SOF_TXN_PATH_PROVIDER, with this meta) just before this
 *   event; its later shred copies are not published. lead_ns is 0 (the
 *   shreds have not seen it yet); the provider's lead over the shreds is
 *   measured when they do (sofd: provider_ahead_time_p50 / p99);
 * - neither (both 0): an outcome without the transaction's body (a
 *   transaction status update) for a signature the join table did not hold
 *   awaiting (the shreds never delivered it, or its entry was evicted). */
typedef struct sof_ev_txn_status {
  uint64_t          slot;          /* the provider's slot */
  uint8_t           signature[64];
  uint8_t           shred_seen;    /* 1: delivered from shreds before */
  uint8_t           provider_first; /* 1: published from the provider (it was first) */
  uint8_t           _pad[6];
  int64_t           lead_ns;       /* provider sighting - shred sighting (> 0: shreds first) */
  uint64_t          shred_tsc;     /* the shred sighting (RX burst TSC), 0 when none */
  sof_ev_txn_meta_t meta;          /* the outcome */
} sof_ev_txn_status_t;

typedef struct sof_ev_recent_blockhash {
  uint64_t slot;
  uint8_t  blockhash[32];
  uint32_t dataset_txn_cnt;
} sof_ev_recent_blockhash_t;

#define SOF_EV_LEADERS_MAX 16U

/* The leader context: emitted when a schedule is loaded or changes
 * (kind SNAPSHOT) and when the current slot's leader changes (kind
 * CURRENT). leaders[i] leads slot first_slot + i (all-zero: unknown). */
#define SOF_LEADER_EV_SNAPSHOT 0
#define SOF_LEADER_EV_CURRENT  1
typedef struct sof_ev_leader_schedule {
  int      kind;
  uint64_t first_slot;
  uint32_t leader_cnt;
  uint64_t schedule_slots;   /* slots with a known leader in the loaded schedule */
  uint8_t  leaders[SOF_EV_LEADERS_MAX][32];
} sof_ev_leader_schedule_t;

typedef struct sof_ev_cluster_topology {
  uint32_t added;
  uint32_t removed;
  uint32_t total;
} sof_ev_cluster_topology_t;

/* A vote seen in gossip (sofd with [gossip]: a CrdsData Vote value,
 * voteSubscribe-like): the vote transaction a validator pushed, once per
 * distinct CRDS value (its signature checked; the same value received
 * again is not published). from signed the CRDS value (the validator's
 * identity); index is the CRDS vote index (< 32). vote_account and slot
 * come from the transaction's first vote-program instruction: the vote
 * account (its first account) and the last slot voted (TowerSync,
 * CompactUpdateVoteState, UpdateVoteState, Vote and their Switch
 * variants); has_vote 0 when no such instruction decodes (then both are
 * 0). txn holds txn_sz bytes: the legacy transaction in wire form. */
#define SOF_EV_GOSSIP_VOTE_TXN_MAX 1232U
typedef struct sof_ev_gossip_vote {
  uint8_t  from[32];
  uint8_t  signature[64];     /* the transaction's first signature */
  uint8_t  vote_account[32];
  uint8_t  has_vote;
  uint8_t  index;
  uint16_t txn_sz;
  uint64_t slot;              /* the last slot voted */
  uint64_t wallclock;         /* the CRDS value's (ms since the Unix epoch) */
  uint8_t  txn[SOF_EV_GOSSIP_VOTE_TXN_MAX];
} sof_ev_gossip_vote_t;

/* ---- static prefilter ---------------------------------------------------------- */

/* Yellowstone-style transaction filter, evaluated on the pipeline lcore
 * before the transaction is decoded further or copied. Keys are matched
 * against the static account keys and the lookup-table addresses.
 *   vote:      -1 any, 0 non-vote only (kind NON_VOTE), 1 vote only (VOTE_ONLY or MIXED)
 *   signature: when set, only the transaction with this first signature
 *   include:   at least one of these keys (any); empty: no constraint
 *   exclude:   none of these keys
 *   required:  all of these keys
 * Arrays are the plugin's and must stay valid until shutdown. */
typedef struct sof_prefilter {
  int              vote;
  uint8_t          has_signature;
  uint8_t          signature[64];
  uint8_t const  (*include)[32];
  uint32_t         include_cnt;
  uint8_t const  (*exclude)[32];
  uint32_t         exclude_cnt;
  uint8_t const  (*required)[32];
  uint32_t         required_cnt;
} sof_prefilter_t;

/* sof_prefilter_match: 1 when the transaction (bytes, parsed t) passes pf,
 * else 0. Pure, allocation-free, thread safe. */
int sof_prefilter_match(sof_prefilter_t const *pf, uint8_t const *bytes, sof_txn_t const *t);

/* ---- setup environment ------------------------------------------------------------ */

typedef struct sof_plugin_env sof_plugin_env_t;
struct sof_plugin_env {
  char const *name;      /* the plugin's name */
  uint64_t    tsc_hz;    /* TSC cycles per second (event times) */
  /* config_get: the value of key in the plugin's [plugin.NAME] config
   * section (or its --plugin-opt NAME.key=value flag), NULL when absent.
   * The string lives until shutdown returns. */
  char const *(*config_get)(sof_plugin_env_t const *env, char const *key);
  /* config_keys: the n-th key of the section (0-based), NULL past the end;
   * lets a plugin refuse keys it does not know. */
  char const *(*config_key)(sof_plugin_env_t const *env, unsigned n);
  /* set_prefilter: installs pf (the plugin's storage, valid until
   * shutdown) as the plugin's static prefilter. Setup only. */
  void (*set_prefilter)(sof_plugin_env_t *env, sof_prefilter_t const *pf);
  void *host_private;
};

/* ---- the descriptor ------------------------------------------------------------------ */

typedef struct sof_plugin {
  char const *name;          /* [a-z0-9_]+, unique in the build */
  uint32_t    api_version;   /* SOF_PLUGIN_API_VERSION */
  uint32_t    hooks;         /* SOF_HOOK_BIT(...) flags: the static subscription */
  int         commitment;    /* SOF_COMMITMENT_* for transaction-family hooks */
  int         commitment_mode; /* SOF_COMMITMENT_AT_LEAST or _ONLY */
  int         dispatch;      /* SOF_DISPATCH_* */
  int         inline_txn;    /* 1: critical transactions go to the inline-critical lane */

  /* setup: validate the config, prepare state. *state is passed to every
   * other callback. Return 0, or -1 with a reason in err (NUL-terminated)
   * to abort startup. */
  int  (*setup)(sof_plugin_env_t *env, void **state, char *err, size_t err_sz);
  /* shutdown: flush and free; called once after the last event when setup
   * succeeded. */
  void (*shutdown)(void *state);

  /* Hot-path classifiers (NULL: accept / BACKGROUND). */
  int  (*accepts_transaction_ref)(void *state, sof_ev_txn_t const *ev);
  int  (*transaction_interest_ref)(void *state, sof_ev_txn_t const *ev);
  int  (*accepts_account_touch_ref)(void *state, sof_ev_txn_t const *ev);

  /* Hooks: called for the families in hooks (NULL for the others). */
  void (*on_raw_packet)(void *state, sof_ev_raw_packet_t const *ev);
  void (*on_shred)(void *state, sof_ev_shred_t const *ev);
  void (*on_dataset)(void *state, sof_ev_dataset_t const *ev);
  void (*on_transaction)(void *state, sof_ev_txn_t const *ev);
  void (*on_transaction_batch)(void *state, sof_ev_txn_batch_t const *ev);
  void (*on_account_touch)(void *state, sof_ev_account_touch_t const *ev);
  void (*on_slot_status)(void *state, sof_ev_slot_status_t const *ev);
  void (*on_reorg)(void *state, sof_ev_reorg_t const *ev);
  void (*on_recent_blockhash)(void *state, sof_ev_recent_blockhash_t const *ev);
  void (*on_leader_schedule)(void *state, sof_ev_leader_schedule_t const *ev);
  void (*on_cluster_topology)(void *state, sof_ev_cluster_topology_t const *ev);
  void (*on_transaction_status)(void *state, sof_ev_txn_status_t const *ev);
  void (*on_gossip_vote)(void *state, sof_ev_gossip_vote_t const *ev);
} sof_plugin_t;

/* ---- helpers plugins may use ---------------------------------------------------------- */

/* sof_plugin_tsc: the TSC, the clock of sof_ev_time_t. Thread safe. */
static inline uint64_t
sof_plugin_tsc(void) {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_ia32_rdtsc();
#else
  return 0;
#endif
}

/* Stable names: sof_hook_str ("transaction", ...), sof_commitment_str
 * ("processed", "confirmed", "finalized"), sof_slot_status_str (also
 * "orphaned", "none"), sof_interest_str. "unknown" for other values.
 * Static strings. */
char const *sof_hook_str(int hook);
char const *sof_commitment_str(int commitment);
char const *sof_slot_status_str(int status);
char const *sof_interest_str(int interest);

/* sof_commitment_parse: "processed" / "confirmed" / "finalized" to
 * SOF_COMMITMENT_*; -1 otherwise. */
int sof_commitment_parse(char const *name);

#ifdef __cplusplus
}
#endif

#endif /* SOF_PLUGIN_H */
