/* test_geyser_pb: the geyser envelope lib/geyser writes around an inner
 * message (sof_geyser_pb.h), decoded with protobuf-c's unpack (code
 * generated from proto/geyser.proto):
 *
 * - a transaction of every sof_txgen type as a geyser.SubscribeUpdate with
 *   filter names, in parts (pre, transaction, post) and in one buffer
 *   (the same bytes): filters, slot, signature, is_vote, index, an empty
 *   meta, the transaction's signatures / keys / blockhash, created_at; as
 *   a SubscribeUpdateDeshred with the dataset's shred indices;
 * - slot, entry, block meta, ping and pong updates in both envelopes (entry
 *   and block meta refused in the deshred one), a dead slot's error;
 * - GetLatestBlockhashResponse; the slot_status event to SlotStatus map;
 * - too small buffers refused (0), never written past. */
#include <string.h>

#include "geyser.pb-c.h"
#include "solana-storage.pb-c.h"
#include "gen/sof_txgen.h"
#include "geyser/sof_geyser_pb.h"
#include "plugin/sof_plugin.h"
#include "wire/sof_base58.h"
#include "wire/sof_txn.h"

#include "sof_test.h"

static char const *const names[] = { "client-a", "all_votes", "x" };

static void
check_txn_update(uint8_t const *b, size_t sz, int round) {
  sof_txn_t t;
  SOF_CHECK_EQ(sof_txn_parse(&t, b, sz, NULL), SOF_TXN_OK);
  static uint8_t inner[SOF_GEYSER_PB_TXN_MAX];
  size_t n = sof_geyser_pb_txn(inner, sizeof inner, b, &t, NULL);
  SOF_CHECK(n > 0);
  sof_geyser_upd_t u = { .filters = names, .filter_cnt = (unsigned)(round % 4), .ts_sec = 1700000000 + round,
                         .ts_nsec = 999999999 - round };
  sof_geyser_txn_info_t ti = { .sig = sof_txn_sig(&t, b, 0), .is_vote = t.simple_vote, .slot = 1000 + (uint64_t)round,
                               .index = (uint64_t)round * 300 };
  /* in parts, then in one buffer: the same bytes */
  static uint8_t pre[512], whole[SOF_GEYSER_PB_TXN_MAX + 1024], joined[SOF_GEYSER_PB_TXN_MAX + 1024];
  uint8_t post[SOF_GEYSER_POST_MAX];
  size_t npost = 0;
  size_t np = sof_geyser_wrap_txn(pre, sizeof pre, post, &npost, &u, &ti, n);
  SOF_CHECK(np > 0 && npost > 0 && npost <= SOF_GEYSER_POST_MAX);
  memcpy(joined, pre, np);
  memcpy(joined + np, inner, n);
  memcpy(joined + np + n, post, npost);
  size_t w = sof_geyser_update_txn(whole, sizeof whole, &u, &ti, inner, n);
  SOF_CHECK_EQ(w, np + n + npost);
  SOF_CHECK_MEM(whole, joined, w);
  SOF_CHECK_EQ(sof_geyser_update_txn(whole, w - 1, &u, &ti, inner, n), 0);
  SOF_CHECK_EQ(sof_geyser_wrap_txn(pre, 40, post, &npost, &u, &ti, n), 0);

  Geyser__SubscribeUpdate *d = geyser__subscribe_update__unpack(NULL, w, whole);
  SOF_CHECK(d != NULL);
  if (!d) return;
  SOF_CHECK_EQ(d->n_filters, u.filter_cnt);
  for (unsigned i = 0; i < d->n_filters && i < u.filter_cnt; i++) SOF_CHECK(!strcmp(d->filters[i], names[i]));
  SOF_CHECK_EQ(d->update_oneof_case, GEYSER__SUBSCRIBE_UPDATE__UPDATE_ONEOF_TRANSACTION);
  SOF_CHECK(d->created_at && d->created_at->seconds == u.ts_sec && d->created_at->nanos == u.ts_nsec);
  Geyser__SubscribeUpdateTransaction const *ut = d->transaction;
  SOF_CHECK(ut && ut->transaction);
  if (ut && ut->transaction) {
    Geyser__SubscribeUpdateTransactionInfo const *in = ut->transaction;
    SOF_CHECK_EQ(ut->slot, ti.slot);
    SOF_CHECK(in->signature.len == 64 && !memcmp(in->signature.data, ti.sig, 64));
    SOF_CHECK_EQ(!!in->is_vote, !!t.simple_vote);
    SOF_CHECK_EQ(in->index, ti.index);
    SOF_CHECK(in->meta != NULL); /* present and empty: execution results are not in shreds */
    Solana__Storage__ConfirmedBlock__Transaction const *tx = in->transaction;
    SOF_CHECK(tx && tx->n_signatures == t.sig_cnt && tx->message);
    if (tx && tx->message) {
      SOF_CHECK_EQ(tx->message->n_account_keys, t.acct_cnt);
      for (unsigned i = 0; i < tx->message->n_account_keys && i < t.acct_cnt; i++)
        SOF_CHECK_MEM(tx->message->account_keys[i].data, sof_txn_acct_key(&t, b, i), 32);
      SOF_CHECK_MEM(tx->message->recent_blockhash.data, sof_txn_blockhash(&t, b), 32);
    }
  }
  geyser__subscribe_update__free_unpacked(d, NULL);

  /* the deshred envelope: the dataset's shred indices instead of index and meta */
  sof_geyser_upd_t ud = u;
  ud.deshred = 1;
  ti.ds_start = 32;
  ti.ds_end = 64 + (uint32_t)round;
  w = sof_geyser_update_txn(whole, sizeof whole, &ud, &ti, inner, n);
  SOF_CHECK(w > 0);
  Geyser__SubscribeUpdateDeshred *dd = geyser__subscribe_update_deshred__unpack(NULL, w, whole);
  SOF_CHECK(dd != NULL);
  if (!dd) return;
  SOF_CHECK_EQ(dd->n_filters, u.filter_cnt);
  SOF_CHECK_EQ(dd->update_oneof_case, GEYSER__SUBSCRIBE_UPDATE_DESHRED__UPDATE_ONEOF_DESHRED_TRANSACTION);
  SOF_CHECK(dd->created_at && dd->created_at->seconds == u.ts_sec);
  if (dd->deshred_transaction && dd->deshred_transaction->transaction) {
    Geyser__SubscribeUpdateDeshredTransactionInfo const *in = dd->deshred_transaction->transaction;
    SOF_CHECK_EQ(dd->deshred_transaction->slot, ti.slot);
    SOF_CHECK(in->signature.len == 64 && !memcmp(in->signature.data, ti.sig, 64));
    SOF_CHECK_EQ(in->completed_data_set_starting_shred_index, 32);
    SOF_CHECK_EQ(in->completed_data_set_ending_shred_index_exclusive, ti.ds_end);
    SOF_CHECK(in->transaction && in->transaction->n_signatures == t.sig_cnt);
  } else {
    SOF_CHECK(0);
  }
  geyser__subscribe_update_deshred__free_unpacked(dd, NULL);
}

static void
test_txns(void) {
  static sof_txgen_t g;
  SOF_CHECK_EQ(sof_txgen_init(&g, 7), SOF_TXGEN_OK);
  uint8_t tx[SOF_TXN_MTU];
  int round = 0;
  for (int r = 0; r < 10; r++)
    for (int type = 0; type < SOF_TXGEN_TYPE_CNT; type++) {
      long sz = sof_txgen_txn(&g, type, tx, sizeof tx);
      SOF_CHECK(sz > 0);
      if (sz > 0) check_txn_update(tx, (size_t)sz, round++);
    }
}

static void
test_other(void) {
  uint8_t inner[256], buf[1024];
  sof_geyser_upd_t u = { .filters = names, .filter_cnt = 2, .ts_sec = 5, .ts_nsec = 6 };
  /* slot: a dead one with its error */
  size_t n = sof_geyser_pb_slot(inner, sizeof inner, 77, 1, 76, SOF_GEYSER_SLOT_DEAD, "orphaned");
  size_t w = sof_geyser_update(buf, sizeof buf, &u, SOF_GEYSER_UPD_SLOT, inner, n);
  Geyser__SubscribeUpdate *d = geyser__subscribe_update__unpack(NULL, w, buf);
  SOF_CHECK(d && d->update_oneof_case == GEYSER__SUBSCRIBE_UPDATE__UPDATE_ONEOF_SLOT && d->n_filters == 2);
  if (d) {
    SOF_CHECK(d->slot && d->slot->slot == 77 && d->slot->has_parent && d->slot->parent == 76);
    SOF_CHECK(d->slot && d->slot->status == GEYSER__SLOT_STATUS__SLOT_DEAD && !strcmp(d->slot->dead_error, "orphaned"));
    SOF_CHECK(d->created_at && d->created_at->seconds == 5 && d->created_at->nanos == 6);
    geyser__subscribe_update__free_unpacked(d, NULL);
  }
  u.deshred = 1;
  w = sof_geyser_update(buf, sizeof buf, &u, SOF_GEYSER_UPD_SLOT, inner, n);
  Geyser__SubscribeUpdateDeshred *dd = geyser__subscribe_update_deshred__unpack(NULL, w, buf);
  SOF_CHECK(dd && dd->update_oneof_case == GEYSER__SUBSCRIBE_UPDATE_DESHRED__UPDATE_ONEOF_SLOT &&
            dd->slot && dd->slot->slot == 77);
  if (dd) geyser__subscribe_update_deshred__free_unpacked(dd, NULL);
  /* entries and block meta exist only in SubscribeUpdate */
  SOF_CHECK_EQ(sof_geyser_update(buf, sizeof buf, &u, SOF_GEYSER_UPD_ENTRY, inner, 10), 0);
  SOF_CHECK_EQ(sof_geyser_update(buf, sizeof buf, &u, SOF_GEYSER_UPD_BLOCK_META, inner, 10), 0);
  SOF_CHECK_EQ(sof_geyser_update(buf, sizeof buf, &u, 99, inner, 10), 0);
  u.deshred = 0;
  uint8_t hash[32];
  for (int i = 0; i < 32; i++) hash[i] = (uint8_t)(200 - i);
  n = sof_geyser_pb_entry(inner, sizeof inner, 9, 3, 12, hash, 4, 20);
  w = sof_geyser_update(buf, sizeof buf, &u, SOF_GEYSER_UPD_ENTRY, inner, n);
  d = geyser__subscribe_update__unpack(NULL, w, buf);
  SOF_CHECK(d && d->update_oneof_case == GEYSER__SUBSCRIBE_UPDATE__UPDATE_ONEOF_ENTRY && d->entry &&
            d->entry->slot == 9 && d->entry->index == 3 && d->entry->starting_transaction_index == 20);
  if (d) geyser__subscribe_update__free_unpacked(d, NULL);
  n = sof_geyser_pb_block_meta(inner, sizeof inner, 9, hash, 8, NULL, 40, 12);
  w = sof_geyser_update(buf, sizeof buf, &u, SOF_GEYSER_UPD_BLOCK_META, inner, n);
  d = geyser__subscribe_update__unpack(NULL, w, buf);
  char b58[SOF_BASE58_ENCODED_32_MAX];
  sof_base58_encode_32(hash, b58);
  SOF_CHECK(d && d->update_oneof_case == GEYSER__SUBSCRIBE_UPDATE__UPDATE_ONEOF_BLOCK_META && d->block_meta &&
            d->block_meta->slot == 9 && !strcmp(d->block_meta->blockhash, b58) &&
            d->block_meta->parent_slot == 8 && d->block_meta->executed_transaction_count == 40 &&
            d->block_meta->entries_count == 12);
  if (d) geyser__subscribe_update__free_unpacked(d, NULL);
  /* ping (empty) and pong, no filters */
  u.filter_cnt = 0;
  w = sof_geyser_update(buf, sizeof buf, &u, SOF_GEYSER_UPD_PING, inner, 0);
  d = geyser__subscribe_update__unpack(NULL, w, buf);
  SOF_CHECK(d && d->update_oneof_case == GEYSER__SUBSCRIBE_UPDATE__UPDATE_ONEOF_PING && d->n_filters == 0);
  if (d) geyser__subscribe_update__free_unpacked(d, NULL);
  n = sof_pb_u64_field(inner, 1, 42);
  u.deshred = 1;
  w = sof_geyser_update(buf, sizeof buf, &u, SOF_GEYSER_UPD_PONG, inner, n);
  dd = geyser__subscribe_update_deshred__unpack(NULL, w, buf);
  SOF_CHECK(dd && dd->update_oneof_case == GEYSER__SUBSCRIBE_UPDATE_DESHRED__UPDATE_ONEOF_PONG && dd->pong &&
            dd->pong->id == 42);
  if (dd) geyser__subscribe_update_deshred__free_unpacked(dd, NULL);
  /* too small: nothing, and not one byte past cap */
  memset(buf, 0xAB, sizeof buf);
  SOF_CHECK_EQ(sof_geyser_update(buf, 8, &u, SOF_GEYSER_UPD_PONG, inner, n), 0);
  SOF_CHECK_EQ(buf[8], 0xAB);
  /* the latest blockhash */
  n = sof_geyser_pb_latest_blockhash(inner, sizeof inner, 123456789, hash);
  Geyser__GetLatestBlockhashResponse *lb = geyser__get_latest_blockhash_response__unpack(NULL, n, inner);
  SOF_CHECK(lb && lb->slot == 123456789 && !strcmp(lb->blockhash, b58) && lb->last_valid_block_height == 0);
  if (lb) geyser__get_latest_blockhash_response__free_unpacked(lb, NULL);
  SOF_CHECK_EQ(sof_geyser_pb_latest_blockhash(inner, 20, 1, hash), 0);
}

static void
test_slot_status(void) {
  char const *dead = "x";
  int c = -1;
  SOF_CHECK_EQ(sof_geyser_slot_status(SOF_SLOT_EV_FIRST_SHRED, SOF_SLOT_PROCESSED, &dead, &c),
               GEYSER__SLOT_STATUS__SLOT_FIRST_SHRED_RECEIVED);
  SOF_CHECK(dead == NULL && c == 0);
  SOF_CHECK_EQ(sof_geyser_slot_status(SOF_SLOT_EV_COMPLETE, SOF_SLOT_PROCESSED, NULL, NULL),
               GEYSER__SLOT_STATUS__SLOT_COMPLETED);
  SOF_CHECK_EQ(sof_geyser_slot_status(SOF_SLOT_EV_STATUS, SOF_SLOT_PROCESSED, &dead, &c),
               GEYSER__SLOT_STATUS__SLOT_PROCESSED);
  SOF_CHECK(c == 1);
  SOF_CHECK_EQ(sof_geyser_slot_status(SOF_SLOT_EV_STATUS, SOF_SLOT_CONFIRMED, NULL, NULL),
               GEYSER__SLOT_STATUS__SLOT_CONFIRMED);
  SOF_CHECK_EQ(sof_geyser_slot_status(SOF_SLOT_EV_STATUS, SOF_SLOT_FINALIZED, NULL, NULL),
               GEYSER__SLOT_STATUS__SLOT_FINALIZED);
  SOF_CHECK_EQ(sof_geyser_slot_status(SOF_SLOT_EV_STATUS, SOF_SLOT_ORPHANED, &dead, &c), GEYSER__SLOT_STATUS__SLOT_DEAD);
  SOF_CHECK(dead && strstr(dead, "orphaned") && c == 0);
  SOF_CHECK_EQ(sof_geyser_slot_status(SOF_SLOT_EV_STATUS, SOF_SLOT_NONE, NULL, NULL), -1);
}

int
main(void) {
  test_txns();
  test_other();
  test_slot_status();
  return sof_test_done("test_geyser_pb");
}
