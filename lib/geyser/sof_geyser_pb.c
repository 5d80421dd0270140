/* sof_geyser_pb.c: hand-written geyser protobuf messages and their
 * SubscribeUpdate envelope (sof_geyser_pb.h). */
#include "sof_geyser_pb.h"

#include <string.h>

#include "plugin/sof_plugin.h"
#include "wire/sof_base58.h"

/* A length-delimited bytes field with its payload. */
static size_t
pb_bytes(uint8_t *p, unsigned f, void const *v, size_t len) {
  size_t n = sof_pb_len_hdr(p, f, len);
  memcpy(p + n, v, len);
  return n + len;
}

static size_t
pb_bytes_sz(unsigned f, size_t len) {
  return sof_pb_len_hdr_sz(f, len) + len;
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
  s->hdr = sof_pb_u64_field_sz(1, t->num_required_signatures) +
           sof_pb_u64_field_sz(2, t->num_readonly_signed) +
           sof_pb_u64_field_sz(3, t->num_readonly_unsigned);
  size_t m = pb_bytes_sz(1, s->hdr);
  m += (size_t)t->acct_cnt * pb_bytes_sz(2, 32);
  m += pb_bytes_sz(3, 32);
  for (unsigned i = 0; i < t->instr_cnt; i++) {
    sof_txn_instr_t const *in = &t->instr[i];
    size_t is = sof_pb_u64_field_sz(1, in->program_idx);
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
sof_geyser_pb_txn(uint8_t *buf, size_t cap, uint8_t const *b, sof_txn_t const *t,
            sof_geyser_txn_loc_t *loc) {
  pb_msg_sz_t s;
  pb_msg_sizes(b, t, &s);
  size_t total = (size_t)t->sig_cnt * pb_bytes_sz(1, 64) + pb_bytes_sz(2, s.msg);
  if (total > cap) return 0;
  uint8_t *p = buf;
  for (unsigned i = 0; i < t->sig_cnt; i++) {
    if (i == 0 && loc) loc->sig_off = (uint32_t)(p - buf) + 2;
    p += pb_bytes(p, 1, sof_txn_sig(t, b, i), 64);
  }
  p += sof_pb_len_hdr(p, 2, s.msg);
  p += sof_pb_len_hdr(p, 1, s.hdr);
  p += sof_pb_u64_field(p, 1, t->num_required_signatures);
  p += sof_pb_u64_field(p, 2, t->num_readonly_signed);
  p += sof_pb_u64_field(p, 3, t->num_readonly_unsigned);
  if (loc) {
    loc->keys_off = (uint32_t)(p - buf) + 2;
    loc->key_stride = 34;
    loc->key_cnt = t->acct_cnt;
  }
  for (unsigned i = 0; i < t->acct_cnt; i++) p += pb_bytes(p, 2, sof_txn_acct_key(t, b, i), 32);
  p += pb_bytes(p, 3, sof_txn_blockhash(t, b), 32);
  for (unsigned i = 0; i < t->instr_cnt; i++) {
    sof_txn_instr_t const *in = &t->instr[i];
    p += sof_pb_len_hdr(p, 4, s.instr[i]);
    p += sof_pb_u64_field(p, 1, in->program_idx);
    if (in->acct_cnt) p += pb_bytes(p, 2, sof_txn_instr_accts(t, b, i), in->acct_cnt);
    if (in->data_sz) p += pb_bytes(p, 3, sof_txn_instr_data(t, b, i), in->data_sz);
  }
  if (t->version != SOF_TXN_VERSION_LEGACY) {
    *p++ = 5 << 3 | SOF_PB_VARINT;
    *p++ = 1;
  }
  for (unsigned k = 0; k < t->alt_cnt; k++) {
    sof_txn_alt_t const *a = &t->alt[k];
    p += sof_pb_len_hdr(p, 6, s.alt[k]);
    p += pb_bytes(p, 1, sof_txn_alt_key(t, b, k), 32);
    if (a->writable_cnt) p += pb_bytes(p, 2, b + a->writable_off, a->writable_cnt);
    if (a->readonly_cnt) p += pb_bytes(p, 3, b + a->readonly_off, a->readonly_cnt);
  }
  return (size_t)(p - buf);
}

size_t
sof_geyser_pb_slot(uint8_t *buf, size_t cap, uint64_t slot, int has_parent, uint64_t parent,
             int status, char const *dead_error) {
  if (cap < 112) return 0;
  uint8_t *p = buf;
  p += sof_pb_u64_field(p, 1, slot);
  if (has_parent) { /* proto3 optional: present even when 0 */
    *p++ = 2 << 3 | SOF_PB_VARINT;
    p += sof_pb_varint(p, parent);
  }
  p += sof_pb_u64_field(p, 3, (uint64_t)status);
  if (dead_error) {
    size_t n = strlen(dead_error);
    if (n > 64) n = 64;
    p += pb_bytes(p, 4, dead_error, n);
  }
  return (size_t)(p - buf);
}

size_t
sof_geyser_pb_entry(uint8_t *buf, size_t cap, uint64_t slot, uint64_t index, uint64_t num_hashes,
              uint8_t const hash[32], uint64_t txn_cnt, uint64_t start_txn_idx) {
  if (cap < 96) return 0;
  uint8_t *p = buf;
  p += sof_pb_u64_field(p, 1, slot);
  p += sof_pb_u64_field(p, 2, index);
  p += sof_pb_u64_field(p, 3, num_hashes);
  p += pb_bytes(p, 4, hash, 32);
  p += sof_pb_u64_field(p, 5, txn_cnt);
  p += sof_pb_u64_field(p, 6, start_txn_idx);
  return (size_t)(p - buf);
}

size_t
sof_geyser_pb_block_meta(uint8_t *buf, size_t cap, uint64_t slot, uint8_t const blockhash[32],
                   uint64_t parent, uint8_t const *parent_blockhash, uint64_t txn_cnt,
                   uint64_t entry_cnt) {
  if (cap < 160) return 0;
  char b58[SOF_BASE58_ENCODED_32_MAX];
  uint8_t *p = buf;
  p += sof_pb_u64_field(p, 1, slot);
  size_t n = (size_t)sof_base58_encode_32(blockhash, b58);
  p += pb_bytes(p, 2, b58, n);
  p += sof_pb_u64_field(p, 6, parent);
  if (parent_blockhash) {
    n = (size_t)sof_base58_encode_32(parent_blockhash, b58);
    p += pb_bytes(p, 7, b58, n);
  }
  p += sof_pb_u64_field(p, 8, txn_cnt);
  p += sof_pb_u64_field(p, 9, entry_cnt);
  return (size_t)(p - buf);
}

size_t
sof_geyser_pb_timestamp(uint8_t *buf, size_t cap, int64_t sec, int32_t nsec) {
  if (cap < 24) return 0;
  uint8_t *p = buf;
  p += sof_pb_u64_field(p, 1, (uint64_t)sec);
  p += sof_pb_u64_field(p, 2, (uint64_t)(int64_t)nsec);
  return (size_t)(p - buf);
}

size_t
sof_geyser_pb_latest_blockhash(uint8_t *buf, size_t cap, uint64_t slot, uint8_t const blockhash[32]) {
  if (cap < SOF_GEYSER_PB_LATEST_BLOCKHASH_MAX) return 0;
  char b58[SOF_BASE58_ENCODED_32_MAX];
  uint8_t *p = buf;
  p += sof_pb_u64_field(p, 1, slot);
  size_t n = (size_t)sof_base58_encode_32(blockhash, b58);
  p += pb_bytes(p, 2, b58, n);
  return (size_t)(p - buf);
}

int
sof_geyser_slot_status(int event, int status, char const **dead_error, int *commitment) {
  int st, c = 0;
  char const *dead = NULL;
  if (event == SOF_SLOT_EV_FIRST_SHRED) st = SOF_GEYSER_SLOT_FIRST_SHRED;
  else if (event == SOF_SLOT_EV_COMPLETE) st = SOF_GEYSER_SLOT_COMPLETED;
  else if (status == SOF_SLOT_ORPHANED) {
    st = SOF_GEYSER_SLOT_DEAD;
    dead = "orphaned: not on the fork the cluster chose";
  } else if (status >= SOF_SLOT_PROCESSED && status <= SOF_SLOT_FINALIZED) {
    st = status; /* SOF_SLOT_PROCESSED .. FINALIZED are geyser's 0 .. 2 */
    c = 1;
  } else {
    return -1;
  }
  if (dead_error) *dead_error = dead;
  if (commitment) *commitment = c;
  return st;
}

/* ---- the envelope ---- */

/* Filter names (field 1 of both envelopes); 0 when they do not fit. */
static size_t
put_filters(uint8_t *p, size_t cap, sof_geyser_upd_t const *u) {
  size_t need = 0;
  for (unsigned i = 0; i < u->filter_cnt; i++) need += pb_bytes_sz(1, strlen(u->filters[i]));
  if (need > cap) return SIZE_MAX;
  size_t o = 0;
  for (unsigned i = 0; i < u->filter_cnt; i++) o += pb_bytes(p + o, 1, u->filters[i], strlen(u->filters[i]));
  return o;
}

/* created_at: field 11 of SubscribeUpdate, 5 of SubscribeUpdateDeshred. */
static size_t
put_created_at(uint8_t *p, sof_geyser_upd_t const *u) {
  uint8_t ts[24];
  size_t n = sof_geyser_pb_timestamp(ts, sizeof ts, u->ts_sec, u->ts_nsec);
  size_t o = sof_pb_len_hdr(p, u->deshred ? 5 : 11, n);
  memcpy(p + o, ts, n);
  return o + n;
}

size_t
sof_geyser_wrap_txn(uint8_t *pre, size_t pre_cap, uint8_t post[SOF_GEYSER_POST_MAX], size_t *post_len,
                    sof_geyser_upd_t const *u, sof_geyser_txn_info_t const *ti, size_t txn_sz) {
  int sub = !u->deshred;
  size_t info = 66 + (ti->is_vote ? 2 : 0) + sof_pb_len_hdr_sz(3, txn_sz) + txn_sz;
  if (sub) info += 2 + sof_pb_u64_field_sz(5, ti->index); /* meta = {} */
  else info += sof_pb_u64_field_sz(6, ti->ds_start) + sof_pb_u64_field_sz(7, ti->ds_end);
  size_t inner = sof_pb_len_hdr_sz(1, info) + info + sof_pb_u64_field_sz(2, ti->slot);
  size_t np = put_filters(pre, pre_cap, u);
  size_t head = sof_pb_len_hdr_sz(sub ? 4 : 2, inner) + sof_pb_len_hdr_sz(1, info) + 66 +
                (ti->is_vote ? 2 : 0) + sof_pb_len_hdr_sz(3, txn_sz);
  if (np == SIZE_MAX || pre_cap - np < head) return 0;
  np += sof_pb_len_hdr(pre + np, sub ? 4 : 2, inner);
  np += sof_pb_len_hdr(pre + np, 1, info);
  np += sof_pb_len_hdr(pre + np, 1, 64);
  memcpy(pre + np, ti->sig, 64);
  np += 64;
  if (ti->is_vote) {
    pre[np++] = 2 << 3 | SOF_PB_VARINT;
    pre[np++] = 1;
  }
  np += sof_pb_len_hdr(pre + np, 3, txn_sz);
  size_t n = 0;
  if (sub) {
    post[n++] = 4 << 3 | SOF_PB_LEN; /* meta: empty, execution results are unknown */
    post[n++] = 0;
    n += sof_pb_u64_field(post + n, 5, ti->index);
  } else {
    n += sof_pb_u64_field(post + n, 6, ti->ds_start);
    n += sof_pb_u64_field(post + n, 7, ti->ds_end);
  }
  n += sof_pb_u64_field(post + n, 2, ti->slot);
  n += put_created_at(post + n, u);
  *post_len = n;
  return np;
}

size_t
sof_geyser_wrap(uint8_t *pre, size_t pre_cap, uint8_t post[SOF_GEYSER_POST_MAX], size_t *post_len,
                sof_geyser_upd_t const *u, int kind, size_t inner_sz) {
  unsigned f;
  switch (kind) {
  case SOF_GEYSER_UPD_SLOT:       f = u->deshred ? 6 : 3; break;
  case SOF_GEYSER_UPD_ENTRY:      f = u->deshred ? 0 : 8; break;
  case SOF_GEYSER_UPD_BLOCK_META: f = u->deshred ? 0 : 7; break;
  case SOF_GEYSER_UPD_PING:       f = u->deshred ? 3 : 6; break;
  case SOF_GEYSER_UPD_PONG:       f = u->deshred ? 4 : 9; break;
  default:                        f = 0; break;
  }
  if (!f) return 0;
  size_t np = put_filters(pre, pre_cap, u);
  if (np == SIZE_MAX || pre_cap - np < sof_pb_len_hdr_sz(f, inner_sz)) return 0;
  np += sof_pb_len_hdr(pre + np, f, inner_sz);
  *post_len = put_created_at(post, u);
  return np;
}

size_t
sof_geyser_update_txn(uint8_t *buf, size_t cap, sof_geyser_upd_t const *u, sof_geyser_txn_info_t const *ti,
                      uint8_t const *txn, size_t txn_sz) {
  uint8_t post[SOF_GEYSER_POST_MAX];
  size_t npost = 0;
  size_t np = sof_geyser_wrap_txn(buf, cap, post, &npost, u, ti, txn_sz);
  if (!np || cap - np < txn_sz + npost) return 0;
  memmove(buf + np, txn, txn_sz);
  memcpy(buf + np + txn_sz, post, npost);
  return np + txn_sz + npost;
}

size_t
sof_geyser_update(uint8_t *buf, size_t cap, sof_geyser_upd_t const *u, int kind, uint8_t const *inner,
                  size_t inner_sz) {
  uint8_t post[SOF_GEYSER_POST_MAX];
  size_t npost = 0;
  size_t np = sof_geyser_wrap(buf, cap, post, &npost, u, kind, inner_sz);
  if (!np || cap - np < inner_sz + npost) return 0;
  memmove(buf + np, inner, inner_sz);
  memcpy(buf + np + inner_sz, post, npost);
  return np + inner_sz + npost;
}
