/* sof_forks.h: the fork tracker. Every accepted shred's slot (and, for data
 * shreds, its parent) in; the chain's shape, slot commitment and reorgs out.
 *
 * Model (the same as SOF's raw-shred fork tracker, with hostile-input bounds
 * added):
 *
 * - A slot is tracked from its first accepted shred. Data shreds name the
 *   parent (slot - parent_offset); coding shreds name only the slot, so a
 *   slot may be tracked before its parent is known. The first parent seen for
 *   a slot is kept; a different one later is counted (CONFLICT) and ignored.
 *   A parent >= slot is ignored and counted (bad_parent).
 * - depth: a slot whose parent is tracked has depth = parent's depth + 1
 *   (it is "linked"); otherwise depth 0 (a root). A parent that arrives late
 *   links its waiting children and deepens their subtrees. A linked slot keeps
 *   its depth when its parent later leaves the window, so eviction never
 *   changes the fork choice.
 * - tip = the tracked slot with the greatest (depth, slot). The canonical
 *   chain is the tip and its tracked ancestors.
 * - With D = depth(tip): a canonical slot of depth <= D - finalized_depth is
 *   FINALIZED, else of depth <= D - confirmed_depth CONFIRMED, else
 *   PROCESSED. The confirmed (finalized) watermark is the canonical slot at
 *   depth D - confirmed_depth (D - finalized_depth): the tip's ancestor that
 *   many links back, whatever slots were skipped between them. It is
 *   SOF_FORKS_SLOT_NONE while the tracked chain is shorter than that.
 * - A slot that leaves the canonical chain becomes ORPHANED. A slot that was
 *   never canonical (a side branch) stays PROCESSED. Status is a function of
 *   the current canonical chain: when the tip switches back to a branch, its
 *   ORPHANED slots become canonical again and get PROCESSED / CONFIRMED /
 *   FINALIZED with previous status ORPHANED (SOF does the same). Commitment
 *   here is a depth heuristic over observed shreds, not votes: a reorg deeper
 *   than finalized_depth orphans FINALIZED slots; it is counted
 *   (finalized_reverted).
 * - A reorg is reported whenever the tip changes and the old tip is not an
 *   ancestor of the new one.
 *
 * Bounds (all preallocated by sof_forks_new; nothing grows):
 * - The window holds the slots (hi - slots_max, hi], hi = the highest tracked
 *   slot; slots older than that are dropped (BEHIND). A slot greater than
 *   tip + max_ahead is dropped (AHEAD): since max_ahead + finalized_depth <
 *   slots_max, accepting a slot never evicts the tip or the slots it needs for
 *   its watermarks, so a flood of far-ahead slots cannot displace the live
 *   chain. Slots leaving the window at the bottom are counted
 *   (slots_evicted), without an event.
 * - Resync: after resync_after consecutive AHEAD shreds with no accepted shred
 *   between them (the observer fell behind the cluster, e.g. after an
 *   outage), the tracker forgets every slot, emits RESYNC and starts again at
 *   the shred's slot. Any accepted shred restarts the count, so a flood mixed
 *   with the live chain's own shreds never triggers it.
 *
 * Events are delivered through a callback, synchronously, before the call
 * that caused them returns. For one call the order is:
 *   RESYNC (if any); FIRST_SHRED (a new slot); REORG (if any); STATUS of the
 *   new slot when it is off the canonical chain; STATUS of orphaned slots in
 *   ascending slot order; STATUS changes on the canonical chain in ascending
 *   slot order; SLOT_COMPLETE (sof_forks_slot_complete only).
 * Every event carries the watermarks after the whole update, except RESYNC,
 * which carries those of the emptied tracker (all SOF_FORKS_SLOT_NONE).
 *
 * Cost: a shred of a known slot (all but the first shred of a slot) is one
 * table probe and a compare. A new slot costs O(confirmed .. finalized_depth)
 * in the steady state; a late parent O(slots above it in the window); a reorg
 * O(the branches' lengths). No call allocates, locks, logs or makes a system
 * call. One tracker per thread. */
#ifndef SOF_STATE_FORKS_H
#define SOF_STATE_FORKS_H

#include <stddef.h>
#include <stdint.h>

#define SOF_FORKS_SLOT_NONE UINT64_MAX /* no slot (unknown parent, undefined watermark) */
#define SOF_FORKS_REORG_LIST_MAX 64U   /* slots listed per reorg side */

/* Slot status. */
#define SOF_FORKS_STATUS_LIST(X)                                               \
  X(NONE,      0, "none")       /* not tracked (previous status of a new slot) */ \
  X(PROCESSED, 1, "processed")                                                 \
  X(CONFIRMED, 2, "confirmed")                                                 \
  X(FINALIZED, 3, "finalized")                                                 \
  X(ORPHANED,  4, "orphaned")

/* sof_forks_shred results. */
#define SOF_FORKS_RESULT_LIST(X)                                               \
  X(KNOWN,    0, "known")     /* slot tracked, nothing new */                  \
  X(NEW_SLOT, 1, "new_slot")  /* first shred of the slot: now tracked */       \
  X(PARENT,   2, "parent")    /* slot tracked, its parent learned now */       \
  X(CONFLICT, 3, "conflict")  /* parent differs from the first one seen: ignored */ \
  X(AHEAD,    4, "ahead")     /* slot > tip + max_ahead: dropped */            \
  X(BEHIND,   5, "behind")    /* slot below the window: dropped */             \
  X(BAD_SLOT, 6, "bad_slot")  /* slot == SOF_FORKS_SLOT_NONE: dropped */

/* sof_forks_slot_complete results. */
#define SOF_FORKS_COMPLETE_LIST(X)                                             \
  X(DONE,    0, "done")     /* marked complete, SLOT_COMPLETE emitted */       \
  X(DUP,     1, "dup")      /* already complete */                            \
  X(UNKNOWN, 2, "unknown")  /* slot not tracked: ignored */

/* Event kinds. */
#define SOF_FORKS_EVENT_LIST(X)                                                \
  X(FIRST_SHRED,   0, "first_shred")   /* a slot's first accepted shred */     \
  X(STATUS,        1, "status")        /* slot status change */                \
  X(REORG,         2, "reorg")         /* canonical chain switched branch */   \
  X(SLOT_COMPLETE, 3, "slot_complete") /* LAST_IN_SLOT reassembled */          \
  X(RESYNC,        4, "resync")        /* every slot forgotten; restart */

enum {
#define SOF_FORKS_ENUM_(name, val, str) SOF_FORKS_STATUS_##name = (val),
  SOF_FORKS_STATUS_LIST(SOF_FORKS_ENUM_)
#undef SOF_FORKS_ENUM_
  SOF_FORKS_STATUS_CNT = 5
};
enum {
#define SOF_FORKS_ENUM_(name, val, str) SOF_FORKS_##name = (val),
  SOF_FORKS_RESULT_LIST(SOF_FORKS_ENUM_)
#undef SOF_FORKS_ENUM_
  SOF_FORKS_RESULT_CNT = 7
};
enum {
#define SOF_FORKS_ENUM_(name, val, str) SOF_FORKS_COMPLETE_##name = (val),
  SOF_FORKS_COMPLETE_LIST(SOF_FORKS_ENUM_)
#undef SOF_FORKS_ENUM_
  SOF_FORKS_COMPLETE_CNT = 3
};
enum {
#define SOF_FORKS_ENUM_(name, val, str) SOF_FORKS_EV_##name = (val),
  SOF_FORKS_EVENT_LIST(SOF_FORKS_ENUM_)
#undef SOF_FORKS_ENUM_
  SOF_FORKS_EV_CNT = 5
};

typedef struct sof_forks_cfg {
  uint32_t slots_max;       /* window, power of two in [16, 2^20] (default 2048) */
  uint32_t confirmed_depth; /* links from the tip to the confirmed slot (default 32) */
  uint32_t finalized_depth; /* links to the finalized slot, >= confirmed_depth (default 150) */
  uint32_t max_ahead;       /* slots accepted above the tip, >= 1, and
                               max_ahead + finalized_depth < slots_max (default 512) */
  uint32_t resync_after;    /* consecutive AHEAD shreds that trigger a resync; 0 never (default 4096) */
  uint32_t external_commitment; /* 1: CONFIRMED / FINALIZED from sof_forks_commit, not by depth
                                   (default 0; the depths are then unused) */
} sof_forks_cfg_t;

/* The three watermarks; SOF_FORKS_SLOT_NONE when undefined. */
typedef struct sof_forks_marks {
  uint64_t tip;
  uint64_t confirmed;
  uint64_t finalized;
} sof_forks_marks_t;

/* A reorg. detached: the old canonical slots that left the chain, from the
 * old tip down (newest first). attached: the slots that joined it, ascending,
 * ending at the new tip. Each list keeps the SOF_FORKS_REORG_LIST_MAX slots
 * nearest its tip; *_cnt are the full counts and truncated is 1 when either
 * list was cut. common_ancestor is SOF_FORKS_SLOT_NONE when the branches
 * share no tracked slot. */
typedef struct sof_forks_reorg {
  uint64_t old_tip;
  uint64_t new_tip;
  uint64_t common_ancestor;
  uint32_t detached_cnt;
  uint32_t attached_cnt;
  uint32_t detached_len;
  uint32_t attached_len;
  uint8_t  truncated;
  uint64_t detached[SOF_FORKS_REORG_LIST_MAX];
  uint64_t attached[SOF_FORKS_REORG_LIST_MAX];
} sof_forks_reorg_t;

/* One event. slot/parent: the slot concerned and its parent
 * (SOF_FORKS_SLOT_NONE when unknown); for REORG slot is the new tip, for
 * RESYNC the slot that restarted the tracker. status/prev_status: STATUS
 * only (SOF_FORKS_STATUS_*). reorg: REORG only, else NULL. */
typedef struct sof_forks_event {
  int                      kind;
  int                      status;
  int                      prev_status;
  uint64_t                 slot;
  uint64_t                 parent;
  sof_forks_marks_t        marks;
  sof_forks_reorg_t const *reorg;
} sof_forks_event_t;

typedef struct sof_forks_stats {
  uint64_t result[SOF_FORKS_RESULT_CNT];     /* per sof_forks_shred result */
  uint64_t complete[SOF_FORKS_COMPLETE_CNT]; /* per sof_forks_slot_complete result */
  uint64_t events[SOF_FORKS_EV_CNT];         /* emitted, per kind */
  uint64_t bad_parent;         /* parent >= slot: parent ignored */
  uint64_t slots_evicted;      /* tracked slots that left the window at the bottom */
  uint64_t resyncs;
  uint64_t resync_dropped;     /* tracked slots forgotten by resyncs */
  uint64_t reorgs;
  uint64_t reorg_truncated;    /* reorgs whose lists were cut */
  uint64_t orphaned;           /* transitions to ORPHANED */
  uint64_t unorphaned;         /* transitions from ORPHANED back onto the chain */
  uint64_t finalized_reverted; /* FINALIZED slots orphaned (reorg deeper than finalized_depth) */
  uint64_t commits;            /* sof_forks_commit calls that raised a mark */
  uint64_t commits_stale;      /* sof_forks_commit calls at or below the mark (no change) */
  uint64_t tracked;            /* gauge: slots tracked now */
} sof_forks_stats_t;

/* Called for each event, synchronously. ev and ev->reorg are valid during
 * the call only. The callback must not call into the same tracker. */
typedef void (*sof_forks_emit_fn)(void *ctx, sof_forks_event_t const *ev);

typedef struct sof_forks sof_forks_t;

/* sof_forks_cfg_default: fills cfg with the defaults above. cfg non-NULL. */
void sof_forks_cfg_default(sof_forks_cfg_t *cfg);

/* sof_forks_new: allocates a tracker for cfg (setup time; ~80 bytes per
 * window slot). Returns NULL with a message in err (err may be NULL) on an
 * invalid config or allocation failure. cfg is copied. */
sof_forks_t *sof_forks_new(sof_forks_cfg_t const *cfg, char *err, size_t err_sz);

/* sof_forks_delete: frees f (NULL is fine). */
void sof_forks_delete(sof_forks_t *f);

/* sof_forks_reset: forgets every slot and zeroes the counters; no event. */
void sof_forks_reset(sof_forks_t *f);

/* sof_forks_shred: one accepted shred of slot. parent: the data shred's
 * parent slot, or SOF_FORKS_SLOT_NONE for a coding shred. emit (may be
 * NULL: events are then only counted) gets ctx and each event the shred
 * causes, before the call returns. Returns SOF_FORKS_* (the result list).
 * Single-threaded per tracker. */
int sof_forks_shred(sof_forks_t *f, uint64_t slot, uint64_t parent, sof_forks_emit_fn emit,
                    void *ctx);

/* sof_forks_slot_complete: the slot's LAST_IN_SLOT batch was reassembled
 * (every data shred 0..last is out). Emits SLOT_COMPLETE once per tracked
 * slot; does not change the fork choice. Returns SOF_FORKS_COMPLETE_*.
 * emit as for sof_forks_shred. Single-threaded per tracker. */
int sof_forks_slot_complete(sof_forks_t *f, uint64_t slot, sof_forks_emit_fn emit, void *ctx);

/* sof_forks_commit: external commitment (cfg.external_commitment): slot
 * is confirmed (status SOF_FORKS_STATUS_CONFIRMED) or finalized
 * (SOF_FORKS_STATUS_FINALIZED) by the cluster. Raises the mark when slot is
 * above it and emits the STATUS changes of the canonical chain (ascending),
 * as sof_forks_shred does. Returns 1 when a mark rose, 0 when slot was at
 * or below it (counted commits_stale), -1 when the tracker is not in
 * external mode or status is neither (nothing changes). emit as for
 * sof_forks_shred. Single-threaded per tracker. */
int sof_forks_commit(sof_forks_t *f, uint64_t slot, int status, sof_forks_emit_fn emit, void *ctx);

/* sof_forks_marks: the current watermarks. */
sof_forks_marks_t sof_forks_marks(sof_forks_t const *f);

/* sof_forks_slot_status: SOF_FORKS_STATUS_* of slot (NONE when not
 * tracked). parent_out / depth_out (each may be NULL) get its parent
 * (SOF_FORKS_SLOT_NONE when unknown) and depth when tracked. */
int sof_forks_slot_status(sof_forks_t const *f, uint64_t slot, uint64_t *parent_out,
                          uint32_t *depth_out);

/* sof_forks_stats: the counters (valid while f lives). */
sof_forks_stats_t const *sof_forks_stats(sof_forks_t const *f);

/* Stable names; static strings ("?" when out of range). */
char const *sof_forks_status_str(int status);
char const *sof_forks_result_str(int result);
char const *sof_forks_complete_str(int result);
char const *sof_forks_event_str(int kind);

#endif /* SOF_STATE_FORKS_H */
