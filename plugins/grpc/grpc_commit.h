/* grpc_commit.h: CONFIRMED / FINALIZED subscriptions of the grpc plugin
 * (internal; server thread only).
 *
 * A Subscribe request whose commitment is above PROCESSED gets a slot's
 * transactions, entries and block meta only once the fork tracker has
 * reported that status for the slot (Yellowstone's rule), in the order the
 * subscriber would have got them at PROCESSED, after the slot's status
 * update. Until then they are held: not copied, but remembered by their
 * position in the broadcast ring (grpc_ring.h), which still holds their
 * bytes; a held record the ring overwrote before its release is lost
 * (counted). When the slot dies (SLOT_DEAD), or a slot above it is
 * finalized while it never reached the level (it is off the finalized
 * chain), its held records are dropped (counted).
 *
 * Release waits for both: the slot's status at the level and its block
 * being whole (every dataset up to the last-in-slot one, the BLOCK_META
 * record), so the transactions' block indexes are exact then; a slot at the
 * level whose block is not whole is released anyway when a higher slot
 * reaches the level (its missing shreds may never come).
 *
 * Records of a slot already at the level when they reach the subscriber
 * (late datasets) go out at once; those of a dead slot are dropped
 * (counted).
 *
 * Memory: the server's slot table (GRPC_COMMIT_SLOTS entries) and one
 * scratch record; per subscriber that asks for a commitment, at most
 * hold_max held records (24 bytes each, allocated when it first holds one)
 * in at most GRPC_HOLD_SLOTS slots; past either, new records are dropped
 * (counted, hold_full). */
#ifndef SOF_GRPC_COMMIT_H
#define SOF_GRPC_COMMIT_H

#include <stdint.h>

#include "grpc_ring.h"

#define GRPC_COMMIT_SLOTS 1024U
#define GRPC_HOLD_SLOTS   256U

typedef struct grpc_srv grpc_srv_t;
typedef struct grpc_stream grpc_stream_t;
typedef struct grpc_hold grpc_hold_t;

/* The server's view of each recent slot: the ring sequence number of the
 * record that brought it to confirmed / finalized / dead / whole
 * (UINT64_MAX: not yet). A subscriber at ring position seq has seen an
 * event exactly when its number is below seq. */
typedef struct grpc_commit_slot {
  uint64_t slot;
  uint64_t seq_conf, seq_fin, seq_dead, seq_whole;
} grpc_commit_slot_t;

typedef struct grpc_commit_tab {
  grpc_commit_slot_t slots[GRPC_COMMIT_SLOTS];
  uint8_t           *scratch;  /* GRPC_REC_MAX: a held record read back */
} grpc_commit_tab_t;

/* grpc_commit_tab_new / _free (NULL on ENOMEM). */
grpc_commit_tab_t *grpc_commit_tab_new(void);
void grpc_commit_tab_free(grpc_commit_tab_t *t);

/* grpc_commit_note: the server thread read record h (SLOT, BLOCK_META):
 * notes its slot events. Idempotent. */
void grpc_commit_note(grpc_commit_tab_t *t, grpc_rec_t const *h);

/* grpc_commit_take: record h (payload pl) at the subscriber's cursor:
 * delivers it, holds it, releases what it completes, drops it; returns 1
 * when taken (the cursor moves on), 0 when the subscriber's buffer has no
 * room (a release still pending, or h itself): try again later. */
int grpc_commit_take(grpc_srv_t *s, grpc_stream_t *st, grpc_rec_t const *h, uint8_t const *pl);

/* grpc_commit_flush: sends released records while the buffer has room.
 * 1 when none is left pending. */
int grpc_commit_flush(grpc_srv_t *s, grpc_stream_t *st);

/* grpc_commit_level: the subscriber's commitment changed to level (0..2):
 * what it held is dropped (counted). */
void grpc_commit_level(grpc_srv_t *s, grpc_stream_t *st, int level);

/* grpc_hold_free: a stream's hold (NULL fine). */
void grpc_hold_free(grpc_hold_t *h);
/* grpc_hold_count: records the stream holds now. */
uint32_t grpc_hold_count(grpc_hold_t const *h);

#endif /* SOF_GRPC_COMMIT_H */
