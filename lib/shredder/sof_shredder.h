/* sof_shredder.h: turns one entry batch into signed merkle shreds, the way
 * current leaders do: Firedancer src/disco/shred/fd_shredder.c since
 * "require fixed-32" (0461b8fdc9), reproduced byte for byte on its demo slot
 * (tests/test_vec_shredder.c). Agave's fixed 32:32 make_shreds_from_data
 * with a resigned last set follows the same rule.
 *
 * Output format (docs wire-format.md sections 1-3):
 *   - FEC sets of exactly 32 data + 32 coding shreds, proof size 6;
 *   - every set chained: it carries the previous set's merkle root, and the
 *     caller threads the last root of a batch into the next one (the first
 *     set of a slot chains to the last root of the parent slot);
 *   - the last set of a slot is chained + resigned (variants 0xB6 / 0x76),
 *     with the retransmitter signature left zero, as a leader sends it;
 *     all other sets are chained (0x96 / 0x66);
 *   - one ed25519 leader signature per set, over its 32-byte merkle root,
 *     copied into all 64 shreds of the set.
 *
 * Layout of a batch of B bytes (C = 30816 = 32 x 963 bytes per chained set,
 * R = 28768 = 32 x 899 bytes per resigned set):
 *   - not last in slot: ceil(B / C) chained sets; each is filled with 963-byte
 *     chunks in order; the last set holds the rest (one partial chunk) and is
 *     padded with empty data shreds (size 88);
 *   - last in slot, B <= R: one resigned set holding the whole batch, padded
 *     with empty data shreds at the end;
 *   - last in slot, B > R: the LAST R bytes of the batch fill one full
 *     resigned set (32 x 899), and the first B - R bytes go to
 *     ceil((B - R) / C) chained sets before it as above (the padding, if any,
 *     ends the last chained set, mid-batch).
 * Flags: every data shred carries the reference tick in its low 6 bits; the
 * 32nd data shred of the batch's last set adds DATA_COMPLETE (0x40), or
 * LAST_IN_SLOT (0xC0) when the batch ends the slot. Coding shred p of a set
 * has index fec_set_idx + p, position p, num_data = num_coding = 32.
 *
 * No allocation: the caller owns the shredder (mostly the RS matrix) and the
 * output sets, sized with sof_shredder_set_cnt. Each set is produced
 * independently of the others given its chained root, so a caller can either
 * shred a whole batch into an array (sof_shredder_shred) or stream it one set
 * at a time through a single buffer (sof_shredder_shred_set). */
#ifndef SOF_SHREDDER_H
#define SOF_SHREDDER_H

#include <stddef.h>
#include <stdint.h>

#include "fec/sof_rs.h"
#include "wire/sof_shred.h"

#define SOF_SHREDDER_DATA_CNT      32U   /* data shreds per FEC set */
#define SOF_SHREDDER_CODE_CNT      32U   /* coding shreds per FEC set */
#define SOF_SHREDDER_PROOF_CNT      6U   /* ceil(log2(64)) */
#define SOF_SHREDDER_KEYPAIR_SZ    64U   /* libsodium: 32-byte seed || 32-byte public key */

/* Data bytes per shred and per set (1203 - 88 - 32 - 20 x 6 [- 64]). */
#define SOF_SHREDDER_CHAINED_DATA_CAP        963U
#define SOF_SHREDDER_RESIGNED_DATA_CAP       899U
#define SOF_SHREDDER_CHAINED_SET_PAYLOAD_SZ  (SOF_SHREDDER_DATA_CNT * SOF_SHREDDER_CHAINED_DATA_CAP)  /* 30816 */
#define SOF_SHREDDER_RESIGNED_SET_PAYLOAD_SZ (SOF_SHREDDER_DATA_CNT * SOF_SHREDDER_RESIGNED_DATA_CAP) /* 28768 */

/* The largest reference tick a shred can carry (6 bits). */
#define SOF_SHREDDER_REF_TICK_MAX  63U

/* Reason codes: 0 ok, negative errors (stable, see sof_shredder_err_str). */
#define SOF_SHREDDER_OK              0
#define SOF_SHREDDER_ERR_EMPTY      -1  /* batch of 0 bytes (a leader never sends one) */
#define SOF_SHREDDER_ERR_PARENT     -2  /* parent > slot, slot - parent > 65535,
                                           parent == slot off slot 0, or slot 0 with parent != 0 */
#define SOF_SHREDDER_ERR_REF_TICK   -3  /* reference tick > 63 */
#define SOF_SHREDDER_ERR_INDEX      -4  /* data_idx not a multiple of 32, or the batch would
                                           pass SOF_SHRED_DATA_PER_SLOT_MAX data shreds */
#define SOF_SHREDDER_ERR_SPACE      -5  /* output holds fewer sets than the batch needs */
#define SOF_SHREDDER_ERR_KEYPAIR    -6  /* public half does not match the seed half */
#define SOF_SHREDDER_ERR_SET_IDX    -7  /* set index >= sof_shredder_set_cnt */
#define SOF_SHREDDER_ERR_SIGN       -8  /* libsodium failed (not expected) */

/* A shredder: the Reed-Solomon 32:32 encoding matrix, computed once. Plain
 * data, ~16 KiB; read only while shredding. */
typedef struct sof_shredder {
  sof_rs_t rs;
} sof_shredder_t;

/* What a batch is shredded with. */
typedef struct sof_shredder_args {
  uint64_t        slot;
  uint64_t        parent_slot;    /* slot - parent_slot goes into parent_offset */
  uint32_t        data_idx;       /* index of the batch's first data shred (the next free
                                     data index of the slot, a multiple of 32) */
  uint16_t        shred_version;
  uint8_t         reference_tick; /* [0, 63]: PoH tick of the slot the batch belongs to */
  uint8_t         last_in_slot;   /* 1: this batch completes the slot (block_complete) */
  uint8_t const * keypair;        /* SOF_SHREDDER_KEYPAIR_SZ bytes: seed || public key */
} sof_shredder_args_t;

/* One FEC set as produced: the 64 shreds in wire form plus what a caller
 * needs without re-parsing them. ~76 KiB. */
typedef struct sof_shredder_set {
  uint8_t  data[SOF_SHREDDER_DATA_CNT][SOF_SHRED_MERKLE_DATA_SZ]; /* index fec_set_idx + i */
  uint8_t  code[SOF_SHREDDER_CODE_CNT][SOF_SHRED_MERKLE_CODE_SZ]; /* position p */
  uint8_t  root[32];          /* this set's merkle root (what the leader signed) */
  uint8_t  chained_root[32];  /* the root this set chains to */
  uint8_t  signature[64];     /* leader signature over root */
  uint32_t fec_set_idx;       /* index of data[0] */
  uint32_t data_shred_cnt;    /* data shreds holding batch bytes; the rest are empty (size 88) */
  size_t   batch_off;         /* batch bytes [batch_off, batch_off + batch_sz) are in this set */
  size_t   batch_sz;
  uint8_t  resigned;          /* 1: chained + resigned variants (the slot's last set) */
  uint8_t  last_in_batch;     /* 1: data[31] carries DATA_COMPLETE (or LAST_IN_SLOT) */
} sof_shredder_set_t;

/* sof_shredder_init: computes the 32:32 Reed-Solomon matrix into sh and
 * initialises libsodium (sodium_init, idempotent and thread safe).
 * Preconditions: sh non-NULL.
 * Returns SOF_SHREDDER_OK, or SOF_SHREDDER_ERR_SIGN when libsodium cannot be
 * initialised. Keeps no pointer. Thread safe on distinct sh. O(32^3): call
 * once, then share sh read-only between threads. */
int sof_shredder_init(sof_shredder_t *sh);

/* sof_shredder_set_cnt: number of FEC sets a batch of batch_sz bytes takes
 * (0 for batch_sz 0, which cannot be shredded). Multiply by
 * SOF_SHREDDER_DATA_CNT / _CODE_CNT for shred counts and by
 * sizeof(sof_shredder_set_t) for the output storage of sof_shredder_shred.
 * Pure function; thread safe. */
size_t sof_shredder_set_cnt(size_t batch_sz, int last_in_slot);

/* sof_shredder_set_layout: where set set_i of a batch of batch_sz bytes
 * takes its bytes from: [*off, *off + *sz) of the batch, and whether it is
 * resigned (*resigned, may be NULL). See the layout rule at the top.
 * Returns SOF_SHREDDER_OK, or SOF_SHREDDER_ERR_EMPTY / _ERR_SET_IDX (outputs
 * untouched). Pure function; thread safe. */
int sof_shredder_set_layout(size_t batch_sz, int last_in_slot, size_t set_i, size_t *off,
                            size_t *sz, int *resigned);

/* sof_shredder_shred_set: produces FEC set set_i of a batch into *out.
 *
 * batch/batch_sz: the whole entry batch (bincode Vec<Entry>); the set takes
 * its bytes as sof_shredder_set_layout says. args: see sof_shredder_args_t;
 * the set's fec_set_idx is args->data_idx + 32 x set_i. chained_root: in, the
 * root this set chains to (the previous set's root, or the parent slot's last
 * root for the first set of a slot); out, this set's root, ready for set_i+1
 * (the same value as out->root).
 *
 * Preconditions: sh initialised by sof_shredder_init; all pointers non-NULL
 * (batch may be NULL only with batch_sz 0, which is an error); args->keypair
 * readable for 64 bytes; out does not overlap batch, args or chained_root.
 * Returns SOF_SHREDDER_OK with *out fully written, or a negative
 * SOF_SHREDDER_ERR_* (argument checks come first: *out and chained_root are
 * then untouched). Keeps no pointer after the call. Thread safe: concurrent
 * calls may share sh and batch; each needs its own out and chained_root.
 * Cost: one RS encode (32 x 32 x 987 bytes), 64 + 63 SHA-256, one ed25519
 * signature; plus one ed25519 key derivation (the keypair check) when the
 * calling thread has not checked this key pair last (each thread remembers
 * the SHA-256 of the last key pair that passed, not the key). */
int sof_shredder_shred_set(sof_shredder_t const *sh, sof_shredder_args_t const *args,
                           void const *batch, size_t batch_sz, size_t set_i,
                           uint8_t chained_root[32], sof_shredder_set_t *out);

/* sof_shredder_shred: shreds the whole batch into sets[0 .. n) where
 * n = sof_shredder_set_cnt(batch_sz, args->last_in_slot), chaining set i+1 to
 * set i. chained_root: in, the root the first set chains to; out, the last
 * set's root (what the next batch of the slot, or the first batch of the
 * next slot, chains to).
 *
 * Preconditions: as sof_shredder_shred_set; sets has room for set_max sets.
 * Returns n (> 0), or a negative SOF_SHREDDER_ERR_* (SOF_SHREDDER_ERR_SPACE
 * when set_max < n). Argument errors are detected before anything is
 * written; chained_root is only updated on success (after
 * SOF_SHREDDER_ERR_SIGN, which libsodium never returns for valid input, the
 * sets may be partly written). Keeps no pointer. Thread safety as
 * sof_shredder_shred_set. */
long sof_shredder_shred(sof_shredder_t const *sh, sof_shredder_args_t const *args,
                        void const *batch, size_t batch_sz, uint8_t chained_root[32],
                        sof_shredder_set_t *sets, size_t set_max);

/* sof_shredder_err_str: stable snake_case name of a SOF_SHREDDER_* code
 * ("ok" for 0, "unknown" otherwise). Static string; thread safe. */
char const *sof_shredder_err_str(int err);

#endif /* SOF_SHREDDER_H */
