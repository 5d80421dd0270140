/* test_grpc_pb: the grpc plugin's hand-written encodings (lib/geyser,
 * under the plugin's names; the envelope: tests/test_geyser_pb.c) and its
 * broadcast ring (plugins/grpc).
 *
 * - grpc_pb_txn on every transaction type sof_txgen makes (legacy votes,
 *   transfers with two signers, token transfers, v0 with lookup tables):
 *   decoded with the protobuf-c code generated from proto/ it gives back
 *   every signature, the header, every static key, the blockhash, every
 *   instruction (program index, account indexes, data), versioned and the
 *   lookups; the recorded offsets point at the first signature and keys.
 * - grpc_pb_slot / _entry / _timestamp decode to their fields (a parent of
 *   0 still present, dead_error kept).
 * - the ring: records read back in order with their payloads; a cursor the
 *   producer laps loses exactly the overwritten records (counted) and
 *   resumes at the oldest one left; a cursor taken "now" sees only later
 *   records. */
#include <string.h>

#include "geyser.pb-c.h"
#include "solana-storage.pb-c.h"
#include "gen/sof_txgen.h"
#include "wire/sof_txn.h"

#include "../plugins/grpc/grpc_pb.h"
#include "../plugins/grpc/grpc_ring.h"
#include "sof_test.h"

static void
check_txn(uint8_t const *b, size_t sz) {
  sof_txn_t t;
  SOF_CHECK_EQ(sof_txn_parse(&t, b, sz, NULL), SOF_TXN_OK);
  static uint8_t enc[GRPC_PB_TXN_MAX];
  grpc_pb_txn_loc_t loc;
  size_t n = grpc_pb_txn(enc, sizeof enc, b, &t, &loc);
  SOF_CHECK(n > 0);
  SOF_CHECK_EQ(grpc_pb_txn(enc, 16, b, &t, NULL), 0); /* too small: refused */
  SOF_CHECK_MEM(enc + loc.sig_off, sof_txn_sig(&t, b, 0), 64);
  SOF_CHECK_EQ(loc.key_cnt, t.acct_cnt);
  for (unsigned i = 0; i < t.acct_cnt; i++)
    SOF_CHECK_MEM(enc + loc.keys_off + i * loc.key_stride, sof_txn_acct_key(&t, b, i), 32);
  Solana__Storage__ConfirmedBlock__Transaction *d =
    solana__storage__confirmed_block__transaction__unpack(NULL, n, enc);
  SOF_CHECK(d != NULL);
  if (!d) return;
  SOF_CHECK_EQ(d->n_signatures, t.sig_cnt);
  for (unsigned i = 0; i < d->n_signatures && i < t.sig_cnt; i++) {
    SOF_CHECK_EQ(d->signatures[i].len, 64);
    SOF_CHECK_MEM(d->signatures[i].data, sof_txn_sig(&t, b, i), 64);
  }
  Solana__Storage__ConfirmedBlock__Message *m = d->message;
  SOF_CHECK(m && m->header);
  if (m && m->header) {
    SOF_CHECK_EQ(m->header->num_required_signatures, t.num_required_signatures);
    SOF_CHECK_EQ(m->header->num_readonly_signed_accounts, t.num_readonly_signed);
    SOF_CHECK_EQ(m->header->num_readonly_unsigned_accounts, t.num_readonly_unsigned);
    SOF_CHECK_EQ(m->n_account_keys, t.acct_cnt);
    for (unsigned i = 0; i < m->n_account_keys && i < t.acct_cnt; i++)
      SOF_CHECK_MEM(m->account_keys[i].data, sof_txn_acct_key(&t, b, i), 32);
    SOF_CHECK_EQ(m->recent_blockhash.len, 32);
    SOF_CHECK_MEM(m->recent_blockhash.data, sof_txn_blockhash(&t, b), 32);
    SOF_CHECK_EQ(m->n_instructions, t.instr_cnt);
    for (unsigned j = 0; j < m->n_instructions && j < t.instr_cnt; j++) {
      Solana__Storage__ConfirmedBlock__CompiledInstruction const *in = m->instructions[j];
      SOF_CHECK_EQ(in->program_id_index, t.instr[j].program_idx);
      SOF_CHECK_EQ(in->accounts.len, t.instr[j].acct_cnt);
      if (in->accounts.len) SOF_CHECK_MEM(in->accounts.data, sof_txn_instr_accts(&t, b, j), in->accounts.len);
      SOF_CHECK_EQ(in->data.len, t.instr[j].data_sz);
      if (in->data.len) SOF_CHECK_MEM(in->data.data, sof_txn_instr_data(&t, b, j), in->data.len);
    }
    SOF_CHECK_EQ(!!m->versioned, t.version == SOF_TXN_VERSION_V0);
    SOF_CHECK_EQ(m->n_address_table_lookups, t.alt_cnt);
    for (unsigned k = 0; k < m->n_address_table_lookups && k < t.alt_cnt; k++) {
      Solana__Storage__ConfirmedBlock__MessageAddressTableLookup const *a = m->address_table_lookups[k];
      SOF_CHECK_MEM(a->account_key.data, sof_txn_alt_key(&t, b, k), 32);
      SOF_CHECK_EQ(a->writable_indexes.len, t.alt[k].writable_cnt);
      SOF_CHECK_EQ(a->readonly_indexes.len, t.alt[k].readonly_cnt);
      if (a->writable_indexes.len)
        SOF_CHECK_MEM(a->writable_indexes.data, b + t.alt[k].writable_off, a->writable_indexes.len);
      if (a->readonly_indexes.len)
        SOF_CHECK_MEM(a->readonly_indexes.data, b + t.alt[k].readonly_off, a->readonly_indexes.len);
    }
  }
  solana__storage__confirmed_block__transaction__free_unpacked(d, NULL);
}

static void
test_txns(void) {
  static sof_txgen_t g;
  SOF_CHECK_EQ(sof_txgen_init(&g, 42), SOF_TXGEN_OK);
  uint8_t tx[SOF_TXN_MTU];
  for (int round = 0; round < 20; round++) {
    for (int type = 0; type < SOF_TXGEN_TYPE_CNT; type++) {
      long sz = sof_txgen_txn(&g, type, tx, sizeof tx);
      SOF_CHECK(sz > 0);
      if (sz > 0) check_txn(tx, (size_t)sz);
    }
  }
}

static void
test_small(void) {
  uint8_t b[160];
  size_t n = grpc_pb_slot(b, sizeof b, 1234, 1, 0, 6, "orphaned");
  Geyser__SubscribeUpdateSlot *s = geyser__subscribe_update_slot__unpack(NULL, n, b);
  SOF_CHECK(s != NULL);
  if (s) {
    SOF_CHECK_EQ(s->slot, 1234);
    SOF_CHECK(s->has_parent && s->parent == 0);
    SOF_CHECK_EQ(s->status, GEYSER__SLOT_STATUS__SLOT_DEAD);
    SOF_CHECK(s->dead_error && !strcmp(s->dead_error, "orphaned"));
    geyser__subscribe_update_slot__free_unpacked(s, NULL);
  }
  n = grpc_pb_slot(b, sizeof b, 7, 0, 0, 0, NULL);
  s = geyser__subscribe_update_slot__unpack(NULL, n, b);
  SOF_CHECK(s && !s->has_parent && s->slot == 7 && s->status == 0 && !s->dead_error);
  if (s) geyser__subscribe_update_slot__free_unpacked(s, NULL);
  uint8_t hash[32];
  for (int i = 0; i < 32; i++) hash[i] = (uint8_t)(i * 3);
  n = grpc_pb_entry(b, sizeof b, 99, 5, 12345, hash, 8, 40);
  Geyser__SubscribeUpdateEntry *e = geyser__subscribe_update_entry__unpack(NULL, n, b);
  SOF_CHECK(e != NULL);
  if (e) {
    SOF_CHECK(e->slot == 99 && e->index == 5 && e->num_hashes == 12345);
    SOF_CHECK(e->executed_transaction_count == 8 && e->starting_transaction_index == 40);
    SOF_CHECK(e->hash.len == 32 && !memcmp(e->hash.data, hash, 32));
    geyser__subscribe_update_entry__free_unpacked(e, NULL);
  }
  n = grpc_pb_timestamp(b, sizeof b, 1700000000, 123456789);
  Google__Protobuf__Timestamp *ts = google__protobuf__timestamp__unpack(NULL, n, b);
  SOF_CHECK(ts && ts->seconds == 1700000000 && ts->nanos == 123456789);
  if (ts) google__protobuf__timestamp__free_unpacked(ts, NULL);
  SOF_CHECK_EQ(grpc_pb_slot(b, 8, 1, 0, 0, 0, NULL), 0);
}

static void
put(grpc_ring_t *r, uint64_t v, uint32_t sz) {
  uint8_t *p = grpc_ring_reserve(r, sz);
  SOF_CHECK(p != NULL);
  if (!p) return;
  memset(p, (int)(v & 0xff), sz);
  grpc_rec_t h;
  memset(&h, 0, sizeof h);
  h.kind = GRPC_REC_TXN;
  h.slot = v;
  grpc_ring_commit(r, &h, sz);
}

static void
test_ring(void) {
  grpc_ring_t r;
  SOF_CHECK_EQ(grpc_ring_init(&r, 1000), -1); /* not a power of two */
  SOF_CHECK_EQ(grpc_ring_init(&r, 64U << 10), 0);
  SOF_CHECK(grpc_ring_reserve(&r, (64U << 10) / 4 + 1) == NULL && r.too_big == 1);
  grpc_cursor_t c, late;
  grpc_ring_cursor_now(&r, &c);
  static uint8_t out[1U << 16];
  grpc_rec_t h;
  for (uint64_t v = 0; v < 10; v++) put(&r, v, 1000 + (uint32_t)v);
  for (uint64_t v = 0; v < 10; v++) {
    SOF_CHECK_EQ(grpc_ring_peek(&r, &c, &h, out, sizeof out), 1);
    SOF_CHECK(h.slot == v && h.payload_sz == 1000 + v && out[0] == (uint8_t)v && out[h.payload_sz - 1] == (uint8_t)v);
    grpc_ring_next(&c, &h);
  }
  SOF_CHECK_EQ(grpc_ring_peek(&r, &c, &h, out, sizeof out), 0);
  SOF_CHECK_EQ(c.lost, 0);
  grpc_ring_cursor_now(&r, &late);
  /* 200 records of ~1 KiB lap a 64 KiB ring: c, not reading, loses the oldest */
  for (uint64_t v = 10; v < 210; v++) put(&r, v, 1000);
  SOF_CHECK_EQ(grpc_ring_lag(&r, &c), 200);
  uint64_t first = 0, got = 0;
  while (grpc_ring_peek(&r, &c, &h, out, sizeof out) == 1) {
    if (!got) first = h.slot;
    SOF_CHECK_EQ(h.slot, first + got);
    SOF_CHECK(out[0] == (uint8_t)h.slot);
    grpc_ring_next(&c, &h);
    got++;
  }
  SOF_CHECK(first > 10 && first + got == 210);
  SOF_CHECK_EQ(c.lost, first - 10); /* exactly the overwritten ones */
  SOF_CHECK_EQ(got + c.lost, 200);
  /* a payload larger than the reader's buffer: skipped, not copied */
  put(&r, 500, 3000);
  SOF_CHECK_EQ(grpc_ring_peek(&r, &c, &h, out, 100), 2);
  grpc_ring_next(&c, &h);
  SOF_CHECK_EQ(grpc_ring_peek(&r, &c, &h, out, sizeof out), 0);
  (void)late;
  grpc_ring_fini(&r);
}

int
main(void) {
  test_txns();
  test_small();
  test_ring();
  return sof_test_done("test_grpc_pb");
}
