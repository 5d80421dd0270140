/* sof_geyser_pb.h: Yellowstone geyser protobuf messages written by hand,
 * shared by every plugin that publishes them (plugins/grpc serves them over
 * gRPC, plugins/nats publishes them to JetStream with format = protobuf):
 * the inner messages (a transaction as solana.storage.ConfirmedBlock
 * .Transaction, SubscribeUpdateSlot, SubscribeUpdateEntry,
 * SubscribeUpdateBlockMeta, GetLatestBlockhashResponse, Timestamp) and the
 * geyser.SubscribeUpdate / geyser.SubscribeUpdateDeshred envelope around
 * them (filter names, the oneof field, created_at).
 *
 * Why by hand (no protobuf-c message structures to fill): one pass over the
 * parsed transaction, no pointer arrays or allocation, and the offsets of
 * the keys the grpc server filters on come out with the bytes; the envelope
 * is written as the bytes before and after an inner message encoded
 * earlier, so the grpc server frames a ring record without copying it.
 *
 * Field numbers and types are those of proto/geyser.proto and
 * proto/solana-storage.proto; the output is canonical proto3 (fields in
 * number order, zero scalars and empty bytes left out, proto3 optionals
 * written when set), which tests/test_geyser_pb.c checks by decoding it
 * with the protobuf-c code generated from those files.
 *
 * Every writer takes (buf, cap) and returns the bytes written, or 0 when
 * cap is too small (nothing useful is left in buf then). Pure functions,
 * thread safe, no allocation, no system call. Depends on lib/wire only
 * (and the plugin API's slot constants, header only). */
#ifndef SOF_GEYSER_PB_H
#define SOF_GEYSER_PB_H

#include <stddef.h>
#include <stdint.h>

#include "wire/sof_txn.h"

/* ---- protobuf primitives ---- */

/* Wire types. */
#define SOF_PB_VARINT 0
#define SOF_PB_LEN    2

/* sof_pb_varint_sz: bytes of v as a varint (1..10). */
static inline size_t
sof_pb_varint_sz(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) { v >>= 7; n++; }
  return n;
}

/* sof_pb_varint: writes v at p (room for sof_pb_varint_sz(v) bytes);
 * returns the bytes written. */
static inline size_t
sof_pb_varint(uint8_t *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) { p[n++] = (uint8_t)(v | 0x80); v >>= 7; }
  p[n++] = (uint8_t)v;
  return n;
}

/* sof_pb_len_hdr_sz: bytes of the tag and length of a length-delimited
 * field number f holding len bytes. */
static inline size_t
sof_pb_len_hdr_sz(unsigned f, size_t len) {
  return sof_pb_varint_sz((uint64_t)f << 3 | SOF_PB_LEN) + sof_pb_varint_sz(len);
}

/* sof_pb_len_hdr: writes that tag and length; returns the bytes. */
static inline size_t
sof_pb_len_hdr(uint8_t *p, unsigned f, size_t len) {
  size_t n = sof_pb_varint(p, (uint64_t)f << 3 | SOF_PB_LEN);
  return n + sof_pb_varint(p + n, len);
}

/* sof_pb_u64_field_sz / sof_pb_u64_field: a varint field (omitted, 0
 * bytes, when v is 0: proto3's default). */
static inline size_t
sof_pb_u64_field_sz(unsigned f, uint64_t v) {
  return v ? sof_pb_varint_sz((uint64_t)f << 3) + sof_pb_varint_sz(v) : 0;
}
static inline size_t
sof_pb_u64_field(uint8_t *p, unsigned f, uint64_t v) {
  if (!v) return 0;
  size_t n = sof_pb_varint(p, (uint64_t)f << 3);
  return n + sof_pb_varint(p + n, v);
}

/* ---- inner messages ---- */

/* Where the filter-relevant bytes of an encoded Transaction lie. */
typedef struct sof_geyser_txn_loc {
  uint32_t sig_off;    /* the first signature (64 bytes) */
  uint32_t keys_off;   /* the first static account key (32 bytes) */
  uint32_t key_stride; /* bytes from one key to the next (34) */
  uint32_t key_cnt;
} sof_geyser_txn_loc_t;

/* sof_geyser_pb_txn: solana.storage.ConfirmedBlock.Transaction for the
 * parsed transaction t (bytes b): signatures, then Message (header,
 * account_keys, recent_blockhash, instructions, versioned,
 * address_table_lookups). loc (may be NULL) gets the offsets above. A
 * transaction takes at most SOF_GEYSER_PB_TXN_MAX bytes. */
#define SOF_GEYSER_PB_TXN_MAX 4096U
size_t sof_geyser_pb_txn(uint8_t *buf, size_t cap, uint8_t const *b, sof_txn_t const *t,
                         sof_geyser_txn_loc_t *loc);

/* geyser.SlotStatus values. */
#define SOF_GEYSER_SLOT_PROCESSED   0
#define SOF_GEYSER_SLOT_CONFIRMED   1
#define SOF_GEYSER_SLOT_FINALIZED   2
#define SOF_GEYSER_SLOT_FIRST_SHRED 3
#define SOF_GEYSER_SLOT_COMPLETED   4
#define SOF_GEYSER_SLOT_DEAD        6

/* sof_geyser_slot_status: the geyser.SlotStatus of a slot_status event
 * (sof_ev_slot_status_t's event, SOF_SLOT_EV_*, and status, SOF_SLOT_*):
 * the first shred -> FIRST_SHRED_RECEIVED, complete -> COMPLETED, orphaned
 * -> DEAD (*dead_error, when dead_error is not NULL, gets the reason; NULL
 * otherwise), processed / confirmed / finalized -> the same. -1 for a
 * status with no geyser value. *commitment (may be NULL) is 1 for the
 * three commitment statuses, else 0. */
int sof_geyser_slot_status(int event, int status, char const **dead_error, int *commitment);

/* sof_geyser_pb_slot: geyser.SubscribeUpdateSlot {slot, parent (when
 * has_parent, also 0), status, dead_error (when dead_error is not NULL,
 * at most 64 bytes of it)}. At most 112 bytes. */
#define SOF_GEYSER_PB_SLOT_MAX 112U
size_t sof_geyser_pb_slot(uint8_t *buf, size_t cap, uint64_t slot, int has_parent, uint64_t parent,
                          int status, char const *dead_error);

/* sof_geyser_pb_entry: geyser.SubscribeUpdateEntry {slot, index,
 * num_hashes, hash (32 bytes), executed_transaction_count,
 * starting_transaction_index}. At most 96 bytes. */
#define SOF_GEYSER_PB_ENTRY_MAX 96U
size_t sof_geyser_pb_entry(uint8_t *buf, size_t cap, uint64_t slot, uint64_t index, uint64_t num_hashes,
                           uint8_t const hash[32], uint64_t txn_cnt, uint64_t start_txn_idx);

/* sof_geyser_pb_block_meta: geyser.SubscribeUpdateBlockMeta {slot,
 * blockhash (base58 string, the slot's last entry hash), parent_slot,
 * parent_blockhash (when not NULL), executed_transaction_count,
 * entries_count}; the fields a shred observer cannot know (rewards,
 * block_time, block_height) are left out. At most 160 bytes. */
#define SOF_GEYSER_PB_BLOCK_META_MAX 160U
size_t sof_geyser_pb_block_meta(uint8_t *buf, size_t cap, uint64_t slot, uint8_t const blockhash[32],
                                uint64_t parent, uint8_t const *parent_blockhash, uint64_t txn_cnt,
                                uint64_t entry_cnt);

/* sof_geyser_pb_latest_blockhash: geyser.GetLatestBlockhashResponse
 * {slot, blockhash (base58 string)}: a recent blockhash observed in the
 * transactions of slot (what the unary GetLatestBlockhash answers);
 * last_valid_block_height is left out (block heights are not in shreds).
 * At most 64 bytes. */
#define SOF_GEYSER_PB_LATEST_BLOCKHASH_MAX 64U
size_t sof_geyser_pb_latest_blockhash(uint8_t *buf, size_t cap, uint64_t slot, uint8_t const blockhash[32]);

/* sof_geyser_pb_timestamp: google.protobuf.Timestamp {seconds, nanos}. At
 * most 24 bytes. */
size_t sof_geyser_pb_timestamp(uint8_t *buf, size_t cap, int64_t sec, int32_t nsec);

/* ---- the envelope: SubscribeUpdate / SubscribeUpdateDeshred ---- */

/* What every update carries besides its oneof. */
typedef struct sof_geyser_upd {
  int                deshred;    /* 0: geyser.SubscribeUpdate; 1: geyser.SubscribeUpdateDeshred */
  char const *const *filters;    /* the filter names the update passed (field 1); NULL when none */
  unsigned           filter_cnt;
  int64_t            ts_sec;     /* created_at */
  int32_t            ts_nsec;
} sof_geyser_upd_t;

/* A transaction's fields around its encoded ConfirmedBlock.Transaction:
 * SubscribeUpdateTransaction {transaction: SubscribeUpdateTransactionInfo
 * {signature, is_vote, transaction, meta (empty: execution results are not
 * in shreds), index}, slot}, or SubscribeUpdateDeshredTransaction
 * {transaction: SubscribeUpdateDeshredTransactionInfo {signature, is_vote,
 * transaction, completed_data_set_starting_shred_index, ..._ending_...},
 * slot}. */
typedef struct sof_geyser_txn_info {
  uint8_t const *sig;      /* the first signature, 64 bytes */
  int            is_vote;  /* Agave's simple vote flag */
  uint64_t       slot;
  uint64_t       index;    /* SubscribeUpdate only: the position in the block (0: left out) */
  uint32_t       ds_start; /* SubscribeUpdateDeshred only: the completed dataset's shred indices */
  uint32_t       ds_end;
} sof_geyser_txn_info_t;

/* The oneof of a non-transaction update. */
#define SOF_GEYSER_UPD_SLOT       0 /* SubscribeUpdateSlot (both envelopes) */
#define SOF_GEYSER_UPD_ENTRY      1 /* SubscribeUpdateEntry (SubscribeUpdate only) */
#define SOF_GEYSER_UPD_BLOCK_META 2 /* SubscribeUpdateBlockMeta (SubscribeUpdate only) */
#define SOF_GEYSER_UPD_PING       3 /* SubscribeUpdatePing (both) */
#define SOF_GEYSER_UPD_PONG       4 /* SubscribeUpdatePong (both) */

/* Bytes after the inner message: at most this many. */
#define SOF_GEYSER_POST_MAX 64U

/* sof_geyser_wrap_txn: the envelope of a transaction update whose
 * ConfirmedBlock.Transaction is txn_sz bytes: writes the bytes that go
 * before it into pre (pre_cap: the filter names plus 96 bytes suffice for
 * any transaction) and
 * those that go after it into post (*post_len bytes). pre, the
 * transaction's bytes and post, in that order, are the update. Returns
 * pre's length, 0 when pre_cap is too small. */
size_t sof_geyser_wrap_txn(uint8_t *pre, size_t pre_cap, uint8_t post[SOF_GEYSER_POST_MAX],
                           size_t *post_len, sof_geyser_upd_t const *u, sof_geyser_txn_info_t const *ti,
                           size_t txn_sz);

/* sof_geyser_wrap: the same for an update of kind SOF_GEYSER_UPD_* whose
 * inner message is inner_sz bytes. 0 when pre_cap is too small or the
 * envelope has no such oneof (entries and block meta in a deshred
 * update). */
size_t sof_geyser_wrap(uint8_t *pre, size_t pre_cap, uint8_t post[SOF_GEYSER_POST_MAX], size_t *post_len,
                       sof_geyser_upd_t const *u, int kind, size_t inner_sz);

/* sof_geyser_update_txn / sof_geyser_update: the whole update in one
 * buffer (the envelope around a copy of the inner message, which must
 * not lie in buf). Returns its length, 0 when cap is too small or the kind
 * has no field. */
size_t sof_geyser_update_txn(uint8_t *buf, size_t cap, sof_geyser_upd_t const *u,
                             sof_geyser_txn_info_t const *ti, uint8_t const *txn, size_t txn_sz);
size_t sof_geyser_update(uint8_t *buf, size_t cap, sof_geyser_upd_t const *u, int kind, uint8_t const *inner,
                         size_t inner_sz);

#endif /* SOF_GEYSER_PB_H */
