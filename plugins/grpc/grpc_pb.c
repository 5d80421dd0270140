/* grpc_pb.c: hand-written protobuf encodings of the data path (grpc_pb.h). */
#include "grpc_pb.h"

#include <string.h>

#include "wire/sof_base58.h"

/* A length-delimited bytes field with its payload. */
static size_t
pb_bytes(uint8_t *p, unsigned f, void const *v, size_t len) {
  size_t n = grpc_pb_len_hdr(p, f, len);
  memcpy(p + n, v, len);
  return n + len;
}

static size_t
pb_bytes_sz(unsigned f, size_t len) {
  return grpc_pb_len_hdr_sz(f, len) + len;
}

/* Sizes of the parts of Message, computed once and reused while writing. */
typedef struct pb_msg_sz {
  size_t hdr;                       /* MessageHeader body */
  size_t instr[SOF_TXN_INSTR_MAX];  /* CompiledInstruction bodies */
  size_t alt[SOF_TXN_ALT_MAX];      /* MessageAddressTableLookup bodies */
  size_t msg;                       /* Message body */
} pb_msg_sz_t;

static void
pb_msg_sizes(uint8_t const *b, sof_txn_t const *t, pb_msg_sz_t *s) {
  (void)b;
  s->hdr = grpc_pb_u64_field_sz(1, t->num_required_signatures) +
           grpc_pb_u64_field_sz(2, t->num_readonly_signed) +
           grpc_pb_u64_field_sz(3, t->num_readonly_unsigned);
  size_t m = pb_bytes_sz(1, s->hdr);
  m += (size_t)t->acct_cnt * pb_bytes_sz(2, 32);
  m += pb_bytes_sz(3, 32);
  for (unsigned i = 0; i < t->instr_cnt; i++) {
    sof_txn_instr_t const *in = &t->instr[i];
    size_t is = grpc_pb_u64_field_sz(1, in->program_idx);
    if (in->acct_cnt) is += pb_bytes_sz(2, in->acct_cnt);
    if (in->data_sz) is += pb_bytes_sz(3, in->data_sz);
    s->instr[i] = is;
    m += pb_bytes_sz(4, is);
  }
  if (t->version != SOF_TXN_VERSION_LEGACY) m += 2; /* versioned = true */
  for (unsigned k = 0; k < t->alt_cnt; k++) {
    sof_txn_alt_t const *a = &t->alt[k];
    size_t as = pb_bytes_sz(1, 32);
    if (a->writable_cnt) as += pb_bytes_sz(2, a->writable_cnt);
    if (a->readonly_cnt) as += pb_bytes_sz(3, a->readonly_cnt);
    s->alt[k] = as;
    m += pb_bytes_sz(6, as);
  }
  s->msg = m;
}

size_t
grpc_pb_txn(uint8_t *buf, size_t cap, uint8_t const *b, sof_txn_t const *t,
            grpc_pb_txn_loc_t *loc) {
  pb_msg_sz_t s;
  pb_msg_sizes(b, t, &s);
  size_t total = (size_t)t->sig_cnt * pb_bytes_sz(1, 64) + pb_bytes_sz(2, s.msg);
  if (total > cap) return 0;
  uint8_t *p = buf;
  for (unsigned i = 0; i < t->sig_cnt; i++) {
    if (i == 0 && loc) loc->sig_off = (uint32_t)(p - buf) + 2;
    p += pb_bytes(p, 1, sof_txn_sig(t, b, i), 64);
  }
  p += grpc_pb_len_hdr(p, 2, s.msg);
  p += grpc_pb_len_hdr(p, 1, s.hdr);
  p += grpc_pb_u64_field(p, 1, t->num_required_signatures);
  p += grpc_pb_u64_field(p, 2, t->num_readonly_signed);
  p += grpc_pb_u64_field(p, 3, t->num_readonly_unsigned);
  if (loc) {
    loc->keys_off = (uint32_t)(p - buf) + 2;
    loc->key_stride = 34;
    loc->key_cnt = t->acct_cnt;
  }
  for (unsigned i = 0; i < t->acct_cnt; i++) p += pb_bytes(p, 2, sof_txn_acct_key(t, b, i), 32);
  p += pb_bytes(p, 3, sof_txn_blockhash(t, b), 32);
  for (unsigned i = 0; i < t->instr_cnt; i++) {
    sof_txn_instr_t const *in = &t->instr[i];
    p += grpc_pb_len_hdr(p, 4, s.instr[i]);
    p += grpc_pb_u64_field(p, 1, in->program_idx);
    if (in->acct_cnt) p += pb_bytes(p, 2, sof_txn_instr_accts(t, b, i), in->acct_cnt);
    if (in->data_sz) p += pb_bytes(p, 3, sof_txn_instr_data(t, b, i), in->data_sz);
  }
  if (t->version != SOF_TXN_VERSION_LEGACY) {
    *p++ = 5 << 3 | GRPC_PB_VARINT;
    *p++ = 1;
  }
  for (unsigned k = 0; k < t->alt_cnt; k++) {
    sof_txn_alt_t const *a = &t->alt[k];
    p += grpc_pb_len_hdr(p, 6, s.alt[k]);
    p += pb_bytes(p, 1, sof_txn_alt_key(t, b, k), 32);
    if (a->writable_cnt) p += pb_bytes(p, 2, b + a->writable_off, a->writable_cnt);
    if (a->readonly_cnt) p += pb_bytes(p, 3, b + a->readonly_off, a->readonly_cnt);
  }
  return (size_t)(p - buf);
}

size_t
grpc_pb_slot(uint8_t *buf, size_t cap, uint64_t slot, int has_parent, uint64_t parent,
             int status, char const *dead_error) {
  if (cap < 112) return 0;
  uint8_t *p = buf;
  p += grpc_pb_u64_field(p, 1, slot);
  if (has_parent) { /* proto3 optional: present even when 0 */
    *p++ = 2 << 3 | GRPC_PB_VARINT;
    p += grpc_pb_varint(p, parent);
  }
  p += grpc_pb_u64_field(p, 3, (uint64_t)status);
  if (dead_error) {
    size_t n = strlen(dead_error);
    if (n > 64) n = 64;
    p += pb_bytes(p, 4, dead_error, n);
  }
  return (size_t)(p - buf);
}

size_t
grpc_pb_entry(uint8_t *buf, size_t cap, uint64_t slot, uint64_t index, uint64_t num_hashes,
              uint8_t const hash[32], uint64_t txn_cnt, uint64_t start_txn_idx) {
  if (cap < 96) return 0;
  uint8_t *p = buf;
  p += grpc_pb_u64_field(p, 1, slot);
  p += grpc_pb_u64_field(p, 2, index);
  p += grpc_pb_u64_field(p, 3, num_hashes);
  p += pb_bytes(p, 4, hash, 32);
  p += grpc_pb_u64_field(p, 5, txn_cnt);
  p += grpc_pb_u64_field(p, 6, start_txn_idx);
  return (size_t)(p - buf);
}

size_t
grpc_pb_block_meta(uint8_t *buf, size_t cap, uint64_t slot, uint8_t const blockhash[32],
                   uint64_t parent, uint8_t const *parent_blockhash, uint64_t txn_cnt,
                   uint64_t entry_cnt) {
  if (cap < 160) return 0;
  char b58[SOF_BASE58_ENCODED_32_MAX];
  uint8_t *p = buf;
  p += grpc_pb_u64_field(p, 1, slot);
  size_t n = (size_t)sof_base58_encode_32(blockhash, b58);
  p += pb_bytes(p, 2, b58, n);
  p += grpc_pb_u64_field(p, 6, parent);
  if (parent_blockhash) {
    n = (size_t)sof_base58_encode_32(parent_blockhash, b58);
    p += pb_bytes(p, 7, b58, n);
  }
  p += grpc_pb_u64_field(p, 8, txn_cnt);
  p += grpc_pb_u64_field(p, 9, entry_cnt);
  return (size_t)(p - buf);
}

size_t
grpc_pb_timestamp(uint8_t *buf, size_t cap, int64_t sec, int32_t nsec) {
  if (cap < 24) return 0;
  uint8_t *p = buf;
  p += grpc_pb_u64_field(p, 1, (uint64_t)sec);
  p += grpc_pb_u64_field(p, 2, (uint64_t)(int64_t)nsec);
  return (size_t)(p - buf);
}
