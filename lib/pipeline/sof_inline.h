/* sof_inline.h: transactions out of the contiguous prefix of an entry batch,
 * before the batch is complete (the plugin contract's inline delivery).
 *
 * Per tracked slot a cursor walks the slot's data shreds from index 0 in
 * order, as far as they are contiguous in the reassembler (received or
 * rebuilt), feeding their bytes to an incremental entry-batch parser: each
 * transaction whose bytes are complete is handed to the callback at once,
 * even while later shreds of its batch are still missing. At a
 * DATA_COMPLETE shred the batch ends and the walk goes on with the next
 * batch. When the reassembler emits a batch whole (the dataset path),
 * sof_inline_batch_done tells how many of its transactions this walker
 * already delivered (the dataset path then skips them for inline
 * subscribers) and moves the cursor past it.
 *
 * Only what is reached from index 0 of a slot is walked (an observer that
 * joined mid-slot gets the dataset path only). A batch whose bytes do not
 * parse stops the walk for that batch (its transactions then come through
 * the dataset path, if the batch decodes at all; a batch that does not
 * decode may have had a valid prefix delivered inline: counted).
 *
 * Memory: sof_inline_new allocates a fixed table of slot states (each
 * keeps at most one shred of data plus one incomplete transaction); no
 * other call allocates, locks, logs or makes a system call. One walker per
 * thread, alongside the reassembler it reads. */
#ifndef SOF_PIPELINE_INLINE_H
#define SOF_PIPELINE_INLINE_H

#include <stddef.h>
#include <stdint.h>

#include "resolve/sof_reasm.h"
#include "wire/sof_txn.h"

/* One transaction found early. bytes / t valid during the call only. */
typedef struct sof_inline_txn {
  uint64_t         slot;
  uint32_t         batch_start;   /* first shred index of its batch */
  uint32_t         idx_in_batch;  /* its position among the batch's transactions */
  uint32_t         entry_idx;     /* entry of the batch holding it */
  uint8_t const   *bytes;
  uint32_t         sz;
  sof_txn_t const *t;
} sof_inline_txn_t;

typedef void (*sof_inline_fn)(void *ctx, sof_inline_txn_t const *txn);

typedef struct sof_inline_stats {
  uint64_t txns;           /* delivered early */
  uint64_t finished;       /* of txns, those sof_inline_batch_finish delivered */
  uint64_t shreds_walked;
  uint64_t batches_walked; /* batches whose end the cursor reached (complete prefix) */
  uint64_t parse_stopped;  /* batches whose prefix stopped parsing */
  uint64_t slots_replaced; /* slot states reused for a newer slot */
} sof_inline_stats_t;

typedef struct sof_inline sof_inline_t;

/* sof_inline_new: a walker tracking up to slots (power of two, >= 1)
 * slots, direct-mapped by slot number. NULL with a message in err on a bad
 * argument or allocation failure. Setup time. */
sof_inline_t *sof_inline_new(uint32_t slots, char *err, size_t err_sz);

/* sof_inline_delete frees it (NULL is fine). */
void sof_inline_delete(sof_inline_t *w);

/* sof_inline_advance walks slot's cursor over the data shreds r holds,
 * calling fn(ctx, txn) for each transaction completed on the way. Call it
 * after each data shred of slot reached r (received or rebuilt). Returns
 * the number of transactions delivered. Single-threaded per walker. */
uint32_t sof_inline_advance(sof_inline_t *w, sof_reasm_t const *r, uint64_t slot, sof_inline_fn fn,
                            void *ctx);

/* sof_inline_batch_finish: r is emitting slot's batch starting at
 * start_idx whole, its bytes in payload (payload_sz). When the cursor is
 * in that batch and still parsing, delivers the transactions the walk had
 * not reached (those of the shred that completed the batch) through fn,
 * in order, before the dataset goes out: an inline subscriber then gets
 * every transaction of the batch early, none through the dataset. Call it
 * from the batch's emit callback, before sof_inline_batch_done (whose
 * count includes them). Returns the number delivered. Single-threaded per
 * walker; payload is only read during the call. */
uint32_t sof_inline_batch_finish(sof_inline_t *w, uint64_t slot, uint32_t start_idx, uint8_t const *payload,
                                 uint32_t payload_sz, sof_inline_fn fn, void *ctx);

/* sof_inline_batch_done: r emitted slot's batch [start_idx, end_idx]
 * whole. Returns how many of its transactions (its first ones, in order)
 * this walker delivered, and moves the cursor to end_idx + 1 (a fresh
 * batch). Call it from the batch's emit callback. */
uint32_t sof_inline_batch_done(sof_inline_t *w, uint64_t slot, uint32_t start_idx, uint32_t end_idx);

sof_inline_stats_t const *sof_inline_stats(sof_inline_t const *w);

#endif /* SOF_PIPELINE_INLINE_H */
