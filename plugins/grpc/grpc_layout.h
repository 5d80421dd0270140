/* grpc_layout.h: where each slot's datasets lie (internal to the grpc
 * plugin): for the slots seen lately, the datasets completed so far (first
 * and last shred index, transaction and entry counts), which of them form a
 * contiguous run from shred 0, and whether the run reaches the dataset
 * flagged last in slot (the block is whole).
 *
 * From that follow the values the Geyser messages want and a shred
 * observer knows only once the earlier parts of a block are in:
 *   - a transaction's index in its block = the transactions of every
 *     dataset before its own + its position in its dataset; exact when the
 *     datasets before it form the contiguous run, else the run's count
 *     (a lower bound) + its position;
 *   - a dataset's end shred index (SubscribeDeshred), known once the
 *     dataset is complete;
 *   - a block's entry and transaction counts and last entry hash (its
 *     blockhash), once the block is whole.
 *
 * Two users, each with its own table: the plugin's hooks (lane worker: the
 * block meta when a slot's block is whole) and the server thread (indexes
 * when a transaction is sent). Not thread safe; no allocation after
 * grpc_layout_new. Bounds: GRPC_LAYOUT_SLOTS slots (slot % that; a newer
 * slot replaces an older one), GRPC_LAYOUT_DS datasets per slot (more:
 * the slot is marked overflowed and answers nothing exact). */
#ifndef SOF_GRPC_LAYOUT_H
#define SOF_GRPC_LAYOUT_H

#include <stdint.h>

#define GRPC_LAYOUT_SLOTS 64U
#define GRPC_LAYOUT_DS    1024U

typedef struct grpc_layout_ds {
  uint32_t start, end_excl; /* shred indices [start, end_excl) */
  uint32_t txns, entries;
  uint64_t txns_before;     /* transactions of the datasets before it (valid within the run) */
  uint64_t entries_before;
} grpc_layout_ds_t;

typedef struct grpc_layout_slot {
  uint64_t slot;            /* UINT64_MAX: unused */
  uint64_t parent;          /* UINT64_MAX: unknown */
  uint32_t n;               /* datasets known, sorted by start */
  uint32_t run_n;           /* ds[0 .. run_n) are contiguous from shred 0 */
  uint32_t run_end;         /* shred index after the run */
  uint32_t last_end;        /* end_excl of the last-in-slot dataset (0: not seen) */
  uint64_t run_txns, run_entries;
  uint8_t  complete;        /* the run reaches last_end: the block is whole */
  uint8_t  overflow;        /* more than GRPC_LAYOUT_DS datasets: nothing exact */
  uint8_t  has_hash;        /* hash below is the last-in-slot dataset's last entry hash */
  uint8_t  _pad[5];
  uint8_t  hash[32];
  grpc_layout_ds_t ds[GRPC_LAYOUT_DS];
} grpc_layout_slot_t;

typedef struct grpc_layout {
  grpc_layout_slot_t slots[GRPC_LAYOUT_SLOTS];
} grpc_layout_t;

/* grpc_layout_new / _free: a table with no slot (calloc'd; NULL on ENOMEM). */
grpc_layout_t *grpc_layout_new(void);
void grpc_layout_free(grpc_layout_t *l);

/* grpc_layout_add: a completed dataset of slot: shreds [start, end_excl),
 * its transaction and entry counts, parent (UINT64_MAX unknown), whether
 * it is the slot's last, and (may be NULL) its last entry's hash. A
 * dataset already known (same start) is ignored. Returns the slot's state
 * (NULL when slot is older than the slot holding its place); *completed
 * (may be NULL) is 1 when this dataset made the block whole. */
grpc_layout_slot_t const *grpc_layout_add(grpc_layout_t *l, uint64_t slot, uint64_t parent,
                                          uint32_t start, uint32_t end_excl, uint32_t txns,
                                          uint32_t entries, int last_in_slot,
                                          uint8_t const *last_hash, int *completed);

/* grpc_layout_find: the slot's state, NULL when not in the table. */
grpc_layout_slot_t const *grpc_layout_find(grpc_layout_t const *l, uint64_t slot);

/* What grpc_layout_txn knows. */
#define GRPC_LAYOUT_INDEX_EXACT 1 /* *index is the transaction's index in its block */
#define GRPC_LAYOUT_END_KNOWN   2 /* *end_excl is its dataset's end shred index + 1 */

/* grpc_layout_txn: the transaction at position pos of the dataset starting
 * at shred start of slot: *index (exact, or the lower bound described
 * above: pos plus the run's transactions when the run ends before start, or
 * pos alone when the slot is unknown or overflowed) and *end_excl (0 when
 * unknown). Returns GRPC_LAYOUT_* flags. */
int grpc_layout_txn(grpc_layout_t const *l, uint64_t slot, uint32_t start, uint32_t pos,
                    uint64_t *index, uint32_t *end_excl);

#endif /* SOF_GRPC_LAYOUT_H */
