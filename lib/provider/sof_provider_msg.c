/* sof_provider_msg.c: SubscribeUpdate -> sof_pmsg_t (see the header). */
#include "provider/sof_provider_msg.h"

#include <string.h>

#include "geyser.pb-c.h"

/* Bounded writer of the rebuilt transaction: any write past the end sets
 * over and writes nothing. */
typedef struct wbuf {
  uint8_t *p;
  size_t   cap;
  size_t   len;
  int      over;
} wbuf_t;

static void w_bytes(wbuf_t *w, void const *src, size_t n) {
  if (w->over || n > w->cap - w->len) {
    w->over = 1;
    return;
  }
  if (n) memcpy(w->p + w->len, src, n);
  w->len += n;
}

static void w_u8(wbuf_t *w, uint8_t v) { w_bytes(w, &v, 1); }

static void w_cu16(wbuf_t *w, size_t v) {
  if (v > 0xFFFF) {
    w->over = 1;
    return;
  }
  uint8_t b[3];
  int n = sof_compact_u16_encode((uint16_t)v, b);
  w_bytes(w, b, (size_t)n);
}

static void keep_err(Solana__Storage__ConfirmedBlock__TransactionError const *e, uint32_t *sz,
                     uint8_t *dst) {
  size_t n = (e && e->has_err) ? e->err.len : 0;
  *sz = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
  if (n) memcpy(dst, e->err.data, n < SOF_PMSG_ERR_MAX ? n : SOF_PMSG_ERR_MAX);
}

/* Rebuilds the wire form of tx into t->tx. Returns 0 or -SOF_PMSG_REJ_*. */
static int rebuild(Solana__Storage__ConfirmedBlock__Transaction const *tx, sof_pmsg_txn_t *t) {
  if (tx->n_signatures == 0 || tx->n_signatures > SOF_TXN_SIG_MAX) return -SOF_PMSG_REJ_SIG_CNT;
  for (size_t i = 0; i < tx->n_signatures; i++)
    if (tx->signatures[i].len != 64) return -SOF_PMSG_REJ_SIG_SIZE;
  Solana__Storage__ConfirmedBlock__Message const *m = tx->message;
  if (!m || !m->header) return -SOF_PMSG_REJ_NO_MESSAGE;
  Solana__Storage__ConfirmedBlock__MessageHeader const *h = m->header;
  if (h->num_required_signatures > 255 || h->num_readonly_signed_accounts > 255 ||
      h->num_readonly_unsigned_accounts > 255)
    return -SOF_PMSG_REJ_HEADER_RANGE;
  if (m->n_account_keys > SOF_TXN_ACCT_ADDR_MAX) return -SOF_PMSG_REJ_KEY_CNT;
  for (size_t i = 0; i < m->n_account_keys; i++)
    if (m->account_keys[i].len != 32) return -SOF_PMSG_REJ_KEY_SIZE;
  if (!m->has_recent_blockhash || m->recent_blockhash.len != 32) return -SOF_PMSG_REJ_BLOCKHASH;
  if (m->n_instructions > SOF_TXN_INSTR_MAX) return -SOF_PMSG_REJ_INSTR;
  int versioned = m->has_versioned && m->versioned;
  if (!versioned && m->n_address_table_lookups) return -SOF_PMSG_REJ_LOOKUP;
  if (m->n_address_table_lookups > SOF_TXN_ALT_MAX) return -SOF_PMSG_REJ_LOOKUP;

  wbuf_t w = {.p = t->tx, .cap = sizeof t->tx};
  w_cu16(&w, tx->n_signatures);
  for (size_t i = 0; i < tx->n_signatures; i++) w_bytes(&w, tx->signatures[i].data, 64);
  if (versioned) w_u8(&w, 0x80); /* version 0 */
  w_u8(&w, (uint8_t)h->num_required_signatures);
  w_u8(&w, (uint8_t)h->num_readonly_signed_accounts);
  w_u8(&w, (uint8_t)h->num_readonly_unsigned_accounts);
  w_cu16(&w, m->n_account_keys);
  for (size_t i = 0; i < m->n_account_keys; i++) w_bytes(&w, m->account_keys[i].data, 32);
  w_bytes(&w, m->recent_blockhash.data, 32);
  w_cu16(&w, m->n_instructions);
  for (size_t i = 0; i < m->n_instructions && !w.over; i++) {
    Solana__Storage__ConfirmedBlock__CompiledInstruction const *ci = m->instructions[i];
    if (!ci || ci->program_id_index > 255) return -SOF_PMSG_REJ_INSTR;
    w_u8(&w, (uint8_t)ci->program_id_index);
    size_t an = ci->has_accounts ? ci->accounts.len : 0;
    size_t dn = ci->has_data ? ci->data.len : 0;
    w_cu16(&w, an);
    w_bytes(&w, ci->accounts.data, an);
    w_cu16(&w, dn);
    w_bytes(&w, ci->data.data, dn);
  }
  if (versioned) {
    w_cu16(&w, m->n_address_table_lookups);
    for (size_t i = 0; i < m->n_address_table_lookups && !w.over; i++) {
      Solana__Storage__ConfirmedBlock__MessageAddressTableLookup const *l = m->address_table_lookups[i];
      if (!l || !l->has_account_key || l->account_key.len != 32) return -SOF_PMSG_REJ_KEY_SIZE;
      size_t wn = l->has_writable_indexes ? l->writable_indexes.len : 0;
      size_t rn = l->has_readonly_indexes ? l->readonly_indexes.len : 0;
      w_bytes(&w, l->account_key.data, 32);
      w_cu16(&w, wn);
      w_bytes(&w, l->writable_indexes.data, wn);
      w_cu16(&w, rn);
      w_bytes(&w, l->readonly_indexes.data, rn);
    }
  }
  if (w.over) return -SOF_PMSG_REJ_TX_TOO_LARGE;
  sof_txn_t parsed;
  if (sof_txn_parse(&parsed, t->tx, w.len, NULL) != SOF_TXN_OK) return -SOF_PMSG_REJ_TX_PARSE;
  t->tx_sz = (uint16_t)w.len;
  return 0;
}

static int dec_txn(Geyser__SubscribeUpdateTransaction const *u, sof_pmsg_txn_t *t) {
  Geyser__SubscribeUpdateTransactionInfo const *i = u->transaction;
  if (!i || !i->transaction) return -SOF_PMSG_REJ_NO_TXN;
  if (!u->has_slot) return -SOF_PMSG_REJ_NO_SLOT;
  memset(t, 0, offsetof(sof_pmsg_txn_t, tx));
  t->slot = u->slot;
  t->index = i->has_index ? i->index : 0;
  t->is_vote = i->has_is_vote && i->is_vote;
  int rc = rebuild(i->transaction, t);
  if (rc) return rc;
  memcpy(t->signature, t->tx + 1, 64); /* one-byte count: sig_cnt <= 12 */
  if (i->has_signature && (i->signature.len != 64 || memcmp(i->signature.data, t->signature, 64)))
    return -SOF_PMSG_REJ_SIG_MISMATCH;
  Solana__Storage__ConfirmedBlock__TransactionStatusMeta const *m = i->meta;
  if (m) {
    t->has_meta = 1;
    t->failed = m->err != NULL;
    keep_err(m->err, &t->err_sz, t->err);
    t->fee = m->has_fee ? m->fee : 0;
    t->log_none = m->has_log_messages_none && m->log_messages_none;
    t->log_cnt = m->n_log_messages > UINT32_MAX ? UINT32_MAX : (uint32_t)m->n_log_messages;
    t->has_cu = m->has_compute_units_consumed;
    t->compute_units = m->has_compute_units_consumed ? m->compute_units_consumed : 0;
  }
  return SOF_PMSG_TXN;
}

int sof_pmsg_decode(uint8_t const *buf, size_t sz, sof_pmsg_t *out) {
  if (sz > SOF_PMSG_MAX_SZ) return -SOF_PMSG_REJ_TOO_LARGE;
  Geyser__SubscribeUpdate *u = geyser__subscribe_update__unpack(NULL, sz, buf);
  if (!u) return -SOF_PMSG_REJ_UNPACK;
  out->created_at_ns = 0;
  if (u->created_at && u->created_at->has_seconds && u->created_at->seconds > 0 &&
      (uint64_t)u->created_at->seconds < UINT64_MAX / 1000000000ull) {
    out->created_at_ns = (uint64_t)u->created_at->seconds * 1000000000ull;
    if (u->created_at->has_nanos && u->created_at->nanos > 0 && u->created_at->nanos < 1000000000)
      out->created_at_ns += (uint64_t)u->created_at->nanos;
  }
  int rc;
  switch (u->update_oneof_case) {
  case GEYSER__SUBSCRIBE_UPDATE__UPDATE_ONEOF_TRANSACTION:
    rc = dec_txn(u->transaction, &out->txn);
    break;
  case GEYSER__SUBSCRIBE_UPDATE__UPDATE_ONEOF_SLOT: {
    Geyser__SubscribeUpdateSlot const *s = u->slot;
    if (!s->has_slot) { rc = -SOF_PMSG_REJ_NO_SLOT; break; }
    int st = s->has_status ? (int)s->status : 0;
    if (st < 0 || st >= SOF_PMSG_SLOT_STATUS_CNT) { rc = -SOF_PMSG_REJ_SLOT_STATUS; break; }
    out->slot.slot = s->slot;
    out->slot.parent = s->has_parent ? s->parent : UINT64_MAX;
    out->slot.status = st;
    rc = SOF_PMSG_SLOT;
    break;
  }
  case GEYSER__SUBSCRIBE_UPDATE__UPDATE_ONEOF_TRANSACTION_STATUS: {
    Geyser__SubscribeUpdateTransactionStatus const *s = u->transaction_status;
    if (!s->has_slot) { rc = -SOF_PMSG_REJ_NO_SLOT; break; }
    if (!s->has_signature || s->signature.len != 64) { rc = -SOF_PMSG_REJ_SIG_SIZE; break; }
    memset(&out->status, 0, sizeof out->status);
    out->status.slot = s->slot;
    memcpy(out->status.signature, s->signature.data, 64);
    out->status.is_vote = s->has_is_vote && s->is_vote;
    out->status.failed = s->err != NULL;
    keep_err(s->err, &out->status.err_sz, out->status.err);
    rc = SOF_PMSG_TXN_STATUS;
    break;
  }
  case GEYSER__SUBSCRIBE_UPDATE__UPDATE_ONEOF_PING:
    rc = SOF_PMSG_PING;
    break;
  case GEYSER__SUBSCRIBE_UPDATE__UPDATE_ONEOF_PONG:
    out->pong_id = u->pong->has_id ? u->pong->id : 0;
    rc = SOF_PMSG_PONG;
    break;
  case GEYSER__SUBSCRIBE_UPDATE__UPDATE_ONEOF__NOT_SET:
    rc = -SOF_PMSG_REJ_EMPTY;
    break;
  default:
    rc = SOF_PMSG_OTHER;
    break;
  }
  if (rc > 0) out->kind = rc;
  geyser__subscribe_update__free_unpacked(u, NULL);
  return rc;
}

char const *sof_pmsg_rej_str(int rej) {
  switch (rej) {
#define SOF_PMSG_REJ_STR_(n, s) case SOF_PMSG_REJ_##n: return s;
  SOF_PMSG_REJ_LIST(SOF_PMSG_REJ_STR_)
#undef SOF_PMSG_REJ_STR_
  default: return "?";
  }
}

char const *sof_pmsg_slot_status_str(int status) {
  static char const *const n[SOF_PMSG_SLOT_STATUS_CNT] = {
    "processed", "confirmed", "finalized", "first_shred_received", "completed", "created_bank", "dead"};
  return status >= 0 && status < SOF_PMSG_SLOT_STATUS_CNT ? n[status] : "?";
}
