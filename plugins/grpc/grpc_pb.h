/* grpc_pb.h: the protobuf encodings the grpc plugin writes on the data
 * path, by hand (no protobuf-c message structures to fill: one pass over
 * the parsed transaction, no pointer arrays, and the offsets of the keys
 * the server thread filters on come out with the bytes).
 *
 * Field numbers and types are those of proto/geyser.proto and
 * proto/solana-storage.proto; the output is canonical proto3 (fields in
 * number order, zero scalars and empty bytes left out), which
 * tests/plugins/test_grpc_pb.c checks by decoding it with the protobuf-c
 * code generated from those files.
 *
 * Every writer takes (buf, cap) and returns the bytes written, or 0 when
 * cap is too small (nothing useful is left in buf then). Pure functions,
 * thread safe, no allocation. */
#ifndef SOF_GRPC_PB_H
#define SOF_GRPC_PB_H

#include <stddef.h>
#include <stdint.h>

#include "wire/sof_txn.h"

/* Wire types. */
#define GRPC_PB_VARINT 0
#define GRPC_PB_LEN    2

/* grpc_pb_varint_sz: bytes of v as a varint (1..10). */
static inline size_t
grpc_pb_varint_sz(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) { v >>= 7; n++; }
  return n;
}

/* grpc_pb_varint: writes v at p (room for grpc_pb_varint_sz(v) bytes);
 * returns the bytes written. */
static inline size_t
grpc_pb_varint(uint8_t *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) { p[n++] = (uint8_t)(v | 0x80); v >>= 7; }
  p[n++] = (uint8_t)v;
  return n;
}

/* grpc_pb_len_hdr_sz: bytes of the tag and length of a length-delimited
 * field number f holding len bytes. */
static inline size_t
grpc_pb_len_hdr_sz(unsigned f, size_t len) {
  return grpc_pb_varint_sz((uint64_t)f << 3 | GRPC_PB_LEN) + grpc_pb_varint_sz(len);
}

/* grpc_pb_len_hdr: writes that tag and length; returns the bytes. */
static inline size_t
grpc_pb_len_hdr(uint8_t *p, unsigned f, size_t len) {
  size_t n = grpc_pb_varint(p, (uint64_t)f << 3 | GRPC_PB_LEN);
  return n + grpc_pb_varint(p + n, len);
}

/* grpc_pb_u64_field_sz / grpc_pb_u64_field: a varint field (omitted, 0
 * bytes, when v is 0: proto3's default). */
static inline size_t
grpc_pb_u64_field_sz(unsigned f, uint64_t v) {
  return v ? grpc_pb_varint_sz((uint64_t)f << 3) + grpc_pb_varint_sz(v) : 0;
}
static inline size_t
grpc_pb_u64_field(uint8_t *p, unsigned f, uint64_t v) {
  if (!v) return 0;
  size_t n = grpc_pb_varint(p, (uint64_t)f << 3);
  return n + grpc_pb_varint(p + n, v);
}

/* Where the filter-relevant bytes of an encoded Transaction lie. */
typedef struct grpc_pb_txn_loc {
  uint32_t sig_off;  /* the first signature (64 bytes) */
  uint32_t keys_off; /* the first static account key (32 bytes) */
  uint32_t key_stride; /* bytes from one key to the next (34) */
  uint32_t key_cnt;
} grpc_pb_txn_loc_t;

/* grpc_pb_txn: solana.storage.ConfirmedBlock.Transaction for the parsed
 * transaction t (bytes b): signatures, then Message (header, account_keys,
 * recent_blockhash, instructions, versioned, address_table_lookups). loc
 * (may be NULL) gets the offsets above. A transaction takes at most
 * GRPC_PB_TXN_MAX bytes. */
#define GRPC_PB_TXN_MAX 4096U
size_t grpc_pb_txn(uint8_t *buf, size_t cap, uint8_t const *b, sof_txn_t const *t,
                   grpc_pb_txn_loc_t *loc);

/* grpc_pb_slot: geyser.SubscribeUpdateSlot {slot, parent (when
 * has_parent, also 0), status, dead_error (when dead_error is not NULL,
 * at most 64 bytes of it)}. At most 112 bytes. */
size_t grpc_pb_slot(uint8_t *buf, size_t cap, uint64_t slot, int has_parent, uint64_t parent,
                    int status, char const *dead_error);

/* grpc_pb_entry: geyser.SubscribeUpdateEntry {slot, index, num_hashes,
 * hash (32 bytes), executed_transaction_count, starting_transaction_index}.
 * At most 96 bytes. */
size_t grpc_pb_entry(uint8_t *buf, size_t cap, uint64_t slot, uint64_t index, uint64_t num_hashes,
                     uint8_t const hash[32], uint64_t txn_cnt, uint64_t start_txn_idx);

/* grpc_pb_block_meta: geyser.SubscribeUpdateBlockMeta {slot, blockhash
 * (base58 string, the slot's last entry hash), parent_slot,
 * executed_transaction_count, entries_count}; the fields a shred observer
 * cannot know (rewards, block_time, block_height, parent_blockhash when
 * unknown) are left out. At most 160 bytes. */
size_t grpc_pb_block_meta(uint8_t *buf, size_t cap, uint64_t slot, uint8_t const blockhash[32],
                          uint64_t parent, uint8_t const *parent_blockhash, uint64_t txn_cnt,
                          uint64_t entry_cnt);

/* grpc_pb_timestamp: google.protobuf.Timestamp {seconds, nanos}. At most
 * 24 bytes. */
size_t grpc_pb_timestamp(uint8_t *buf, size_t cap, int64_t sec, int32_t nsec);

#endif /* SOF_GRPC_PB_H */
