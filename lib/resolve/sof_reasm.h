/* sof_reasm.h: data shreds in, entry batches out.
 *
 * Per slot, the data of contiguous data shreds from index 0 (or from the
 * shred after a DATA_COMPLETE) through the next DATA_COMPLETE shred is one
 * entry batch. A batch may span FEC sets; empty data shreds add nothing.
 * Each batch is emitted once, as soon as its last missing shred arrives
 * (batches of a slot may complete out of order), with slot, first and last
 * index, whether it ends the slot (LAST_IN_SLOT), shred count, payload
 * length and how many of its shreds were rebuilt by FEC recovery. A slot is
 * complete when every shred up to its LAST_IN_SLOT shred was emitted.
 *
 * An observer that joins mid-slot never sees the DATA_COMPLETE before its
 * first batch; with join_mid_slot, a complete range with nothing seen below
 * it is emitted when its bytes parse as an exact entry batch.
 *
 * Bounded: a fixed number of tracked slots and a fixed pool of data chunks;
 * every eviction is counted. Without a window the oldest slot gives way,
 * and a slot older than every tracked one is refused. With a window
 * (sof_reasm_set_window: a sof_slotwin_t whose tip no single shred moves),
 * the least recently used slot that is not current goes first; a current
 * slot may push out an older current one; a slot that is not current is
 * refused rather than evict one that is (refused_current). So shreds from
 * many future slots can neither evict nor starve the slots the chain is
 * at. By default a shred's data is copied
 * into a chunk and once more into the batch buffer handed to the callback
 * (the reassembler's own, or the caller's through sof_reasm_set_sink).
 * With cfg.refs (sof_shred_ref.h) a chunk is a reference to the caller's
 * buffer instead, released when the batch is out or the slot evicted: the
 * batch assembly is then the only copy.
 *
 * One reassembler per thread; no call allocates, locks, logs or makes a
 * system call. */
#ifndef SOF_RESOLVE_REASM_H
#define SOF_RESOLVE_REASM_H

#include <stddef.h>
#include <stdint.h>

#include "resolve/sof_shred_ref.h"
#include "state/sof_slotwin.h"
#include "wire/sof_shred.h"

#define SOF_REASM_CHUNK_SZ 1115U /* largest data capacity of any shred variant */

#define SOF_REASM_RESULT_LIST(X)                                             \
  X(NEW,         0, "new")          /* stored (and maybe emitted a batch) */   \
  X(DUP,         1, "dup")          /* index already known for the slot */     \
  X(OLD_SLOT,    2, "old_slot")     /* no tracked slot may give way (older than all; with a \
                                       window: current ones only) */ \
  X(NO_SPACE,    3, "no_space")     /* chunk pool exhausted by older slots */  \
  X(BAD_INDEX,   4, "bad_index")    /* index beyond max_shreds_per_slot */     \
  X(TOO_LARGE,   5, "too_large")    /* completed batch larger than batch_max_bytes: dropped */ \
  X(CONFLICT,    6, "conflict")     /* index past the slot's LAST_IN_SLOT, or a second last */

enum {
#define SOF_REASM_ENUM_(name, val, str) SOF_REASM_##name = (val),
  SOF_REASM_RESULT_LIST(SOF_REASM_ENUM_)
#undef SOF_REASM_ENUM_
  SOF_REASM_RESULT_CNT = 7
};

typedef struct sof_reasm_cfg {
  uint32_t slots_max;           /* slots tracked at once (default 32) */
  uint32_t chunks;              /* data chunks of SOF_REASM_CHUNK_SZ (default 16384, ~17 MiB) */
  uint32_t max_shreds_per_slot; /* highest data index + 1 accepted (default 32768) */
  uint32_t batch_max_bytes;     /* largest batch emitted (default 8 MiB) */
  int      join_mid_slot;       /* 1 (default): when nothing below a complete range was ever
                                   seen for the slot (observer joined mid-slot), emit the range
                                   if and only if its bytes are a whole, exact entry batch */
  sof_shred_refs_t const *refs; /* NULL (default): chunks are copies; else chunks hold shreds by
                                   reference (retain / release; read at sof_reasm_new only) and
                                   every add must carry a ref */
} sof_reasm_cfg_t;

typedef struct sof_reasm_stats {
  uint64_t result[SOF_REASM_RESULT_CNT];
  uint64_t batches;        /* emitted */
  uint64_t batch_bytes;
  uint64_t slots_complete;
  uint64_t slots_evicted;  /* tracked slots dropped for a newer one */
  uint64_t shreds_evicted; /* stored shreds dropped with them, never emitted */
  uint64_t joined_mid_slot; /* batches emitted by the mid-slot join rule */
  uint64_t sink_full;       /* complete batches dropped: the sink had no room (sof_reasm_set_sink) */
  uint64_t refused_current; /* with a window: a shred refused (OLD_SLOT / NO_SPACE) because only
                               current slots could have made room */
} sof_reasm_stats_t;

/* One emitted entry batch; payload valid during the callback only. */
typedef struct sof_reasm_batch {
  uint64_t       slot;
  uint64_t       parent;          /* from the slot's data shreds */
  uint32_t       start_idx;
  uint32_t       end_idx;         /* inclusive; carries DATA_COMPLETE */
  uint32_t       shred_cnt;
  uint32_t       recovered_cnt;   /* shreds of the batch rebuilt by FEC recovery */
  uint8_t        last_in_slot;    /* end_idx carries LAST_IN_SLOT */
  uint8_t        slot_complete;   /* after this batch every shred 0..last of the slot is out */
  uint32_t       payload_sz;
  uint8_t const *payload;
} sof_reasm_batch_t;

typedef void (*sof_reasm_emit_fn)(void *ctx, sof_reasm_batch_t const *batch);

typedef struct sof_reasm sof_reasm_t;

/* sof_reasm_cfg_default fills cfg with the defaults above. */
void sof_reasm_cfg_default(sof_reasm_cfg_t *cfg);

/* sof_reasm_new allocates a reassembler (setup time). NULL with a message
 * in err on a bad config or allocation failure. */
sof_reasm_t *sof_reasm_new(sof_reasm_cfg_t const *cfg, char *err, size_t err_sz);

/* sof_reasm_delete frees it (NULL is fine). */
void sof_reasm_delete(sof_reasm_t *r);

/* sof_reasm_reset drops every tracked slot (their chunks back to the pool)
 * and zeroes the counters. */
void sof_reasm_reset(sof_reasm_t *r);

/* sof_reasm_add gives one data shred: its slot, parent slot, index, flags
 * byte and data bytes (data_sz <= SOF_REASM_CHUNK_SZ; read during the call
 * only). recovered: 1 when FEC recovery rebuilt it. emit is called for each
 * batch this shred completes (zero, one, or two: the batch it ends and the
 * one after it, whose start it reveals), before the call returns.
 * Returns SOF_REASM_*. Single-threaded per reassembler. */
int sof_reasm_add(sof_reasm_t *r, uint64_t slot, uint64_t parent, uint32_t idx, uint8_t flags,
                  void const *data, uint32_t data_sz, int recovered, sof_reasm_emit_fn emit, void *ctx);

/* sof_reasm_add_ref is sof_reasm_add for a reassembler made with
 * cfg.refs: data lies in the caller's buffer ref, which the reassembler
 * retains when it stores the shred (result NEW with data_sz > 0) and
 * releases when the shred's batch is out, its slot is evicted, or at reset
 * / delete; the bytes must stay unchanged while retained. Without cfg.refs
 * ref is ignored and the data copied. A NULL ref with data in a by-reference
 * reassembler is refused (NO_SPACE). Single-threaded per reassembler. */
int sof_reasm_add_ref(sof_reasm_t *r, uint64_t slot, uint64_t parent, uint32_t idx, uint8_t flags,
                      void const *data, uint32_t data_sz, int recovered, void *ref,
                      sof_reasm_emit_fn emit, void *ctx);

/* sof_reasm_add_shred is sof_reasm_add_ref for a parsed data shred
 * (s->is_data) in payload, held by ref (NULL for a copying reassembler). */
int sof_reasm_add_shred(sof_reasm_t *r, void const *payload, sof_shred_t const *s, int recovered,
                        void *ref, sof_reasm_emit_fn emit, void *ctx);

/* sof_reasm_set_window attaches w (NULL detaches): its tip and
 * protect_behind / protect_ahead decide eviction from now on (see the
 * top). w is read at each add, never written; it belongs to the
 * reassembler's thread and must outlive the attachment. */
void sof_reasm_set_window(sof_reasm_t *r, sof_slotwin_t const *w);

/* A batch destination: returns bytes of writable memory where the batch
 * is assembled (it becomes the emitted batch's payload), or NULL when
 * there is no room (the batch is then dropped, counted sink_full). */
typedef uint8_t *(*sof_reasm_sink_fn)(void *ctx, size_t bytes);

/* sof_reasm_set_sink makes every later batch assemble straight into memory
 * from fn (instead of the reassembler's own batch buffer): the caller that
 * keeps batches beyond the emit callback saves a copy. fn NULL: back to the
 * own buffer. fn is called from sof_reasm_add, just before emit, once per
 * complete batch that is not too large. Setup time or between adds. */
void sof_reasm_set_sink(sof_reasm_t *r, sof_reasm_sink_fn fn, void *ctx);

/* sof_reasm_peek looks at data shred idx of slot without changing
 * anything (for early, inline reading of a batch before it completes).
 * Returns SOF_REASM_PEEK_STORED with *data / *data_sz / *flags (the shred's
 * flags byte: DATA_COMPLETE, LAST_IN_SLOT) set when the shred is held and
 * its batch not yet emitted (*data valid until the next sof_reasm_add or
 * reset on r, and for a by-reference reassembler in the caller's buffer; NULL when data_sz is 0), SOF_REASM_PEEK_EMITTED when it went
 * out in a batch, SOF_REASM_PEEK_ABSENT when not held (or the slot is not
 * tracked). Single-threaded per reassembler. */
#define SOF_REASM_PEEK_ABSENT  0
#define SOF_REASM_PEEK_STORED  1
#define SOF_REASM_PEEK_EMITTED 2
int sof_reasm_peek(sof_reasm_t const *r, uint64_t slot, uint32_t idx, uint8_t const **data,
                   uint32_t *data_sz, uint8_t *flags);

/* sof_reasm_stats returns the counters (valid while r lives). */
sof_reasm_stats_t const *sof_reasm_stats(sof_reasm_t const *r);

/* sof_reasm_result_str: stable name of a result. Static string. */
char const *sof_reasm_result_str(int result);

#endif /* SOF_RESOLVE_REASM_H */
