/* sof_resolver.h: FEC sets in, complete data out.
 *
 * The resolver takes accepted (verified) merkle shreds in any order, from
 * any number of sources, duplicated, and keeps each FEC set, keyed by
 * (slot, fec_set_index), until all its data shreds are known. Data shreds
 * pass through at once (the caller forwards them to reassembly); as soon as
 * any k shards of a set are in (k, m from a coding shred, at least one
 * coding shred), the missing data shreds are rebuilt with Reed-Solomon,
 * their headers re-derived, the merkle tree rebuilt over all n leaves, and
 * the set's signed root required: a mismatch is counted and nothing is
 * emitted. For complete trees (32:32) the tree is filled from the leaves
 * verification hashed and the proofs received shreds carry, so only the
 * missing data shards are rebuilt (in place in the output shreds) and
 * hashed, plus (trusted posture: no leaf from verification) the received
 * leaves their paths need, and only the nodes on those paths are computed
 * up to the root; otherwise every shard is rebuilt and every leaf hashed.
 * Leaves are hashed in one batch there (sof_merkle_leaf_batch), two at a
 * time otherwise (sof_merkle_leaf_x2); nodes two at a time
 * (sof_merkle_node_x2). The rebuilt shreds come with the
 * root their proofs lead to (sof_resolver_out_t.root), so that verifying
 * them again needs no hashing (sof_verify_shred_root). A set whose data
 * shreds all arrived costs no RS work; its later coding shreds are dropped
 * at the cost of a lookup.
 *
 * Memory is preallocated from the config: a table of set records (open sets
 * and tombstones of finished ones) and a pool of shard buffers for open
 * sets. By default the resolver keeps a copy of each shard; with cfg.refs
 * (sof_shred_ref.h) it keeps a reference to the caller's buffer instead,
 * released when the set finishes or is evicted, and rebuilds missing data
 * shreds straight into buffers the caller allocates. Every eviction is
 * counted: pool pressure, slot distance behind the newest completed set (or
 * behind the tip of an attached window), and age.
 *
 * Which set gives way under pressure: without a window, the set of the
 * oldest slot, and a set older than every held one is refused. With a
 * window (sof_resolver_set_window: a sof_slotwin_t whose tip no single
 * shred moves), sets of the window's current slots are kept: first the
 * least recently used set of any other slot goes; a set of a current slot
 * may push out an older current one; a set of a slot that is not current
 * is refused (NO_ROOM, counted refused_current) rather than evict one that
 * is. So shreds from many future slots can neither evict nor starve the
 * slots the chain is at, and before the window has a tip, sets that stopped
 * receiving shreds go first.
 *
 * Legacy (non-merkle) shreds carry no set root: they pass through as data
 * (or are dropped as coding) without recovery, counted.
 *
 * One resolver is owned by one thread (shard FEC work by slot across
 * lcores); no call allocates, locks, logs or makes a system call. */
#ifndef SOF_RESOLVE_RESOLVER_H
#define SOF_RESOLVE_RESOLVER_H

#include <stddef.h>
#include <stdint.h>

#include "resolve/sof_shred_ref.h"
#include "state/sof_slotwin.h"
#include "wire/sof_shred.h"

#define SOF_RESOLVER_SHARDS_MAX 64U  /* k + m of the sets it can recover (all current sets: 32 + 32) */

/* What became of one shred given to sof_resolver_add. */
#define SOF_RESOLVER_RESULT_LIST(X)                                                    \
  X(DATA_NEW,          0, "data_new")          /* first copy of a data shred: forward it */   \
  X(DATA_DUP,          1, "data_dup")          /* already known: drop */                      \
  X(CODE_STORED,       2, "code_stored")       /* coding shred kept for recovery */           \
  X(CODE_DUP,          3, "code_dup")          /* already known: drop */                      \
  X(LATE,              4, "late")              /* the set is already complete: drop */        \
  X(RECOVERED,         5, "recovered")         /* this shred completed recovery: out holds the rebuilt data */ \
  X(RECOVERY_FAILED,   6, "recovery_failed")   /* rebuilt tree's root != the set's root */    \
  X(MISMATCH,          7, "mismatch")          /* disagrees with the set (root, k/m, variant) */ \
  X(UNSUPPORTED,       8, "unsupported")       /* set too large to recover, or legacy coding */ \
  X(NO_ROOM,           9, "no_room")           /* no set record could be had (table full of newer sets) */

enum {
#define SOF_RESOLVER_ENUM_(name, val, str) SOF_RESOLVER_##name = (val),
  SOF_RESOLVER_RESULT_LIST(SOF_RESOLVER_ENUM_)
#undef SOF_RESOLVER_ENUM_
  SOF_RESOLVER_RESULT_CNT = 10
};

typedef struct sof_resolver_cfg {
  uint32_t set_records;   /* open + finished sets remembered (default 4096) */
  uint32_t set_buffers;   /* open sets holding shards at once (default 256, ~80 KiB each) */
  uint64_t slot_window;   /* sets this far behind the newest complete slot are evicted (default 256) */
  uint64_t max_age_ns;    /* open sets older than this are evicted (0: never; default 0) */
  sof_shred_refs_t const *refs; /* NULL (default): shards are copied; else held by reference
                                   (read at sof_resolver_new only; needs retain, release, alloc) */
} sof_resolver_cfg_t;

typedef struct sof_resolver_stats {
  uint64_t result[SOF_RESOLVER_RESULT_CNT];
  uint64_t sets_opened;
  uint64_t sets_complete;       /* all data known: received or rebuilt */
  uint64_t sets_recovered;      /* of which needed Reed-Solomon */
  uint64_t shreds_recovered;    /* data shreds rebuilt and emitted */
  uint64_t evict_pool;          /* open sets dropped for buffer space */
  uint64_t evict_window;        /* dropped for slot distance */
  uint64_t evict_age;           /* dropped for age */
  uint64_t evict_records;       /* records (open or finished) reused for newer sets */
  uint64_t legacy_passthrough;  /* legacy data shreds forwarded without a set */
  uint64_t recover_full;        /* recoveries that rebuilt every shard (no usable partial tree) */
  uint64_t out_no_buf;          /* recoveries put off: refs->alloc had no buffer (retried with the
                                   set's next shred) */
  uint64_t refused_current;     /* with a window: a new set refused (NO_ROOM) because only sets
                                   of current slots could have made room */
} sof_resolver_stats_t;

/* Rebuilt data shreds of one call: wire-form 1203-byte merkle data shreds,
 * owned by the resolver, valid until the next call on it.
 *
 * root: the merkle root of every shred in shred[] (when cnt > 0): the
 * resolver rebuilt each one's leaf from its bytes and every node of its
 * proof path, and the path ends at the set's root (the one it was given
 * with the shred that opened the set, or computed from that shred when
 * given NULL). Walking any of them up its proof would give this root, so a
 * verifier can skip that hashing (sof_verify_shred_root); whether the root
 * is the slot leader's is still the verifier's question (the resolver
 * checks no signature). */
typedef struct sof_resolver_out {
  uint32_t       cnt;
  uint8_t const *shred[SOF_RESOLVER_SHARDS_MAX];
  void          *ref[SOF_RESOLVER_SHARDS_MAX];   /* by reference: each shred's buffer, one reference
                                                    the caller now owns and must release; NULL with
                                                    copies (then shred[] is the resolver's, valid
                                                    until the next call) */
  uint32_t       idx[SOF_RESOLVER_SHARDS_MAX];   /* their shred indices */
  uint8_t        root[32];
} sof_resolver_out_t;

typedef struct sof_resolver sof_resolver_t;

/* sof_resolver_cfg_default fills cfg with the defaults above. */
void sof_resolver_cfg_default(sof_resolver_cfg_t *cfg);

/* sof_resolver_new allocates a resolver (setup time). Returns NULL with a
 * message in err on a bad config or allocation failure. */
sof_resolver_t *sof_resolver_new(sof_resolver_cfg_t const *cfg, char *err, size_t err_sz);

/* sof_resolver_delete frees it (NULL is fine). */
void sof_resolver_delete(sof_resolver_t *r);

/* sof_resolver_reset forgets every set (records, buffers, RS cache kept)
 * and zeroes the counters. O(set_records). */
void sof_resolver_reset(sof_resolver_t *r);

/* sof_resolver_add gives the resolver one accepted shred.
 *
 * payload: the shred bytes (at least s->payload_sz; only read during the
 * call: the resolver copies the shard it needs; see sof_resolver_add_ref). s: its parsed descriptor.
 * root: its merkle root (from verification; ignored for legacy shreds), or
 * NULL for an unverified shred (trusted posture): the root of the shred that
 * opens a set is then computed here, once per set, and later shreds are not
 * compared with it; recovery still checks the rebuilt tree against it.
 * leaf: its merkle leaf hash when verification computed it (32 bytes), or
 * NULL: recovery then hashes that shard itself.
 * now_ns: a monotonic time for age eviction (any unit-consistent clock; 0
 * when age eviction is off). out: filled with rebuilt data shreds when the
 * result is SOF_RESOLVER_RECOVERED (cnt 0 otherwise).
 *
 * Returns SOF_RESOLVER_*. DATA_NEW means: forward this data shred;
 * RECOVERED: forward out->shred[0 .. cnt) (this shred itself, when data,
 * also counts as new and is not in out: RECOVERED on a data shred implies
 * DATA_NEW for it). Preconditions: s from sof_shred_parse on payload.
 * Single-threaded per resolver. */
int sof_resolver_add(sof_resolver_t *r, void const *payload, sof_shred_t const *s,
                     uint8_t const root[32], uint8_t const *leaf, uint64_t now_ns,
                     sof_resolver_out_t *out);

/* sof_resolver_add_ref is sof_resolver_add for a resolver made with
 * cfg.refs: payload lies in the caller's buffer ref, which the resolver
 * retains when it keeps the shard (DATA_NEW of a set it holds, CODE_STORED,
 * RECOVERED) and releases when the set finishes, fails, is evicted, or at
 * reset / delete; the bytes must stay unchanged while retained. Rebuilt
 * shreds come in out->shred[] / out->ref[] (one reference each, now the
 * caller's). A NULL ref in by-reference mode keeps nothing: data passes as
 * DATA_NEW, coding is refused as NO_ROOM. Without cfg.refs, ref is ignored.
 * Single-threaded per resolver. */
int sof_resolver_add_ref(sof_resolver_t *r, void const *payload, sof_shred_t const *s,
                         uint8_t const root[32], uint8_t const *leaf, uint64_t now_ns, void *ref,
                         sof_resolver_out_t *out);

/* sof_resolver_finished tells, at the cost of one lookup, whether the set
 * (slot, fec_set_idx) is finished (complete, or failed recovery): its
 * shreds can be dropped as late before any verification work. Counts
 * nothing; the caller counts its drops. */
int sof_resolver_finished(sof_resolver_t const *r, uint64_t slot, uint32_t fec_set_idx);

/* sof_resolver_set_window attaches w (NULL detaches): from now on its tip
 * and protect_behind / protect_ahead decide eviction (see the top) and the
 * slot window counts from its tip instead of the newest completed set. w
 * is read, never written, at each add; it belongs to the resolver's thread
 * and must outlive the attachment. */
void sof_resolver_set_window(sof_resolver_t *r, sof_slotwin_t const *w);

/* sof_resolver_stats returns the counters (valid while r lives). */
sof_resolver_stats_t const *sof_resolver_stats(sof_resolver_t const *r);

/* sof_resolver_open_sets returns how many sets hold shard buffers now. */
uint32_t sof_resolver_open_sets(sof_resolver_t const *r);

/* sof_resolver_result_str: stable name of a result. Static string. */
char const *sof_resolver_result_str(int result);

#endif /* SOF_RESOLVE_RESOLVER_H */
