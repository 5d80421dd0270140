/* test_provider_msg: sof_pmsg_decode (lib/provider/sof_provider_msg.h).
 *
 * Transactions of every sof_txgen type (legacy, several signers, v0 with
 * lookup tables) are turned into the structured protobuf a Yellowstone
 * server sends (built here from the parsed descriptor, packed by
 * protobuf-c); the decoder must rebuild their exact bytes and carry the
 * meta. Then every named rejection from a minimally broken update, slot
 * updates, statuses, pings, created_at. */
#include <stdlib.h>
#include <string.h>

#include "gen/sof_txgen.h"
#include "provider_pb.h"
#include "provider/sof_provider_msg.h"
#include "sof_test.h"

static int decode(Geyser__SubscribeUpdate const *u, sof_pmsg_t *m) {
  static uint8_t buf[1 << 16];
  size_t n = geyser__subscribe_update__pack(u, buf);
  return sof_pmsg_decode(buf, n, m);
}

int main(void) {
  static sof_pmsg_t m;
  sof_txgen_t g;
  SOF_CHECK_EQ(sof_txgen_init(&g, 7), SOF_TXGEN_OK);
  static built_t w;
  uint8_t b[SOF_TXN_MTU];
  sof_txn_t t;

  /* every type, several of each: exact bytes back */
  for (int type = 0; type < SOF_TXGEN_TYPE_CNT; type++) {
    for (int k = 0; k < 8; k++) {
      long n = sof_txgen_txn(&g, type, b, sizeof b);
      SOF_CHECK(n > 0);
      if (n <= 0) continue;
      SOF_CHECK_EQ(sof_txn_parse(&t, b, (size_t)n, NULL), SOF_TXN_OK);
      build(&w, b, &t, 1000 + (uint64_t)k);
      SOF_CHECK_EQ(decode(&w.u, &m), SOF_PMSG_TXN);
      SOF_CHECK_EQ(m.txn.tx_sz, (uint64_t)n);
      SOF_CHECK_MEM(m.txn.tx, b, (size_t)n);
      SOF_CHECK_MEM(m.txn.signature, b + 1, 64);
      SOF_CHECK_EQ(m.txn.slot, 1000 + (uint64_t)k);
      SOF_CHECK_EQ(m.txn.has_meta, 0);
    }
  }

  /* a v0 transaction with its meta: failed, fee, logs, compute units */
  long n = sof_txgen_txn(&g, SOF_TXGEN_TYPE_V0_ALT, b, sizeof b);
  SOF_CHECK_EQ(sof_txn_parse(&t, b, (size_t)n, NULL), SOF_TXN_OK);
  SOF_CHECK_EQ(t.version, SOF_TXN_VERSION_V0);
  build(&w, b, &t, 42);
  solana__storage__confirmed_block__transaction_status_meta__init(&w.meta);
  solana__storage__confirmed_block__transaction_error__init(&w.err);
  static uint8_t errb[80];
  for (unsigned i = 0; i < sizeof errb; i++) errb[i] = (uint8_t)i;
  w.err.has_err = 1;
  w.err.err = (ProtobufCBinaryData){sizeof errb, errb};
  w.meta.err = &w.err;
  w.meta.has_fee = 1;
  w.meta.fee = 5005;
  w.logs[0] = "a"; w.logs[1] = "b"; w.logs[2] = "c";
  w.meta.n_log_messages = 3;
  w.meta.log_messages = w.logs;
  w.meta.has_compute_units_consumed = 1;
  w.meta.compute_units_consumed = 777;
  w.info.meta = &w.meta;
  w.info.has_is_vote = 1;
  w.info.is_vote = 0;
  Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  ts.has_seconds = ts.has_nanos = 1;
  ts.seconds = 1700000000;
  ts.nanos = 5;
  w.u.created_at = &ts;
  SOF_CHECK_EQ(decode(&w.u, &m), SOF_PMSG_TXN);
  SOF_CHECK_MEM(m.txn.tx, b, (size_t)n);
  SOF_CHECK(m.txn.has_meta && m.txn.failed && m.txn.has_cu);
  SOF_CHECK_EQ(m.txn.err_sz, sizeof errb);
  SOF_CHECK_MEM(m.txn.err, errb, SOF_PMSG_ERR_MAX);
  SOF_CHECK_EQ(m.txn.fee, 5005);
  SOF_CHECK_EQ(m.txn.log_cnt, 3);
  SOF_CHECK_EQ(m.txn.compute_units, 777);
  SOF_CHECK_EQ(m.created_at_ns, 1700000000ull * 1000000000ull + 5);
  w.meta.err = NULL; /* succeeded */
  SOF_CHECK_EQ(decode(&w.u, &m), SOF_PMSG_TXN);
  SOF_CHECK(m.txn.has_meta && !m.txn.failed && m.txn.err_sz == 0);
  w.info.meta = NULL;
  w.u.created_at = NULL;

  /* rejections, one broken field each (restored after) */
#define REJ(what, rej)                                       \
  do {                                                       \
    build(&w, b, &t, 42);                                    \
    what;                                                    \
    SOF_CHECK_EQ(decode(&w.u, &m), -(rej));                  \
  } while (0)
  uint8_t other[64] = {1};
  REJ(w.info.signature = ((ProtobufCBinaryData){64, other}), SOF_PMSG_REJ_SIG_MISMATCH);
  REJ(w.sigs[0].len = 63, SOF_PMSG_REJ_SIG_SIZE);
  REJ(w.tx.n_signatures = 0, SOF_PMSG_REJ_SIG_CNT);
  REJ(w.tx.message = NULL, SOF_PMSG_REJ_NO_MESSAGE);
  REJ(w.msg.header = NULL, SOF_PMSG_REJ_NO_MESSAGE);
  REJ(w.hdr.num_readonly_unsigned_accounts = 256, SOF_PMSG_REJ_HEADER_RANGE);
  REJ(w.keys[1].len = 31, SOF_PMSG_REJ_KEY_SIZE);
  REJ(w.msg.recent_blockhash.len = 33, SOF_PMSG_REJ_BLOCKHASH);
  REJ(w.msg.has_recent_blockhash = 0, SOF_PMSG_REJ_BLOCKHASH);
  REJ(w.ix[0].program_id_index = 300, SOF_PMSG_REJ_INSTR);
  REJ(w.msg.versioned = 0, SOF_PMSG_REJ_LOOKUP); /* lookups in a legacy message */
  REJ(w.alt[0].account_key.len = 1, SOF_PMSG_REJ_KEY_SIZE);
  REJ(w.ix[0].program_id_index = 0, SOF_PMSG_REJ_TX_PARSE); /* the fee payer as program */
  REJ(w.info.transaction = NULL, SOF_PMSG_REJ_NO_TXN);
  REJ(w.ut.has_slot = 0, SOF_PMSG_REJ_NO_SLOT);
  static uint8_t big[1300];
  REJ(w.ix[0].data = ((ProtobufCBinaryData){sizeof big, big}), SOF_PMSG_REJ_TX_TOO_LARGE);
  static ProtobufCBinaryData many[SOF_TXN_ACCT_ADDR_MAX + 1];
  for (unsigned i = 0; i <= SOF_TXN_ACCT_ADDR_MAX; i++) many[i] = (ProtobufCBinaryData){32, big};
  REJ((w.msg.n_account_keys = SOF_TXN_ACCT_ADDR_MAX + 1, w.msg.account_keys = many), SOF_PMSG_REJ_KEY_CNT);

  /* not protobuf, empty, too large */
  uint8_t junk[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  SOF_CHECK_EQ(sof_pmsg_decode(junk, sizeof junk, &m), -SOF_PMSG_REJ_UNPACK);
  SOF_CHECK_EQ(sof_pmsg_decode(junk, 0, &m), -SOF_PMSG_REJ_EMPTY);
  SOF_CHECK_EQ(sof_pmsg_decode(junk, SOF_PMSG_MAX_SZ + 1, &m), -SOF_PMSG_REJ_TOO_LARGE);

  /* slots, statuses, pings */
  Geyser__SubscribeUpdate u = GEYSER__SUBSCRIBE_UPDATE__INIT;
  Geyser__SubscribeUpdateSlot s = GEYSER__SUBSCRIBE_UPDATE_SLOT__INIT;
  u.update_oneof_case = GEYSER__SUBSCRIBE_UPDATE__UPDATE_ONEOF_SLOT;
  u.slot = &s;
  s.has_slot = s.has_parent = s.has_status = 1;
  s.slot = 10;
  s.parent = 8;
  s.status = GEYSER__SLOT_STATUS__SLOT_FINALIZED;
  SOF_CHECK_EQ(decode(&u, &m), SOF_PMSG_SLOT);
  SOF_CHECK(m.slot.slot == 10 && m.slot.parent == 8 && m.slot.status == SOF_PMSG_SLOT_FINALIZED);
  SOF_CHECK_STR(sof_pmsg_slot_status_str(m.slot.status), "finalized");
  s.has_parent = 0;
  SOF_CHECK_EQ(decode(&u, &m), SOF_PMSG_SLOT);
  SOF_CHECK_EQ(m.slot.parent, UINT64_MAX);
  s.status = (Geyser__SlotStatus)9;
  SOF_CHECK_EQ(decode(&u, &m), -SOF_PMSG_REJ_SLOT_STATUS);
  s.status = GEYSER__SLOT_STATUS__SLOT_DEAD;
  s.has_slot = 0;
  SOF_CHECK_EQ(decode(&u, &m), -SOF_PMSG_REJ_NO_SLOT);

  Geyser__SubscribeUpdateTransactionStatus ts2 = GEYSER__SUBSCRIBE_UPDATE_TRANSACTION_STATUS__INIT;
  u.update_oneof_case = GEYSER__SUBSCRIBE_UPDATE__UPDATE_ONEOF_TRANSACTION_STATUS;
  u.transaction_status = &ts2;
  ts2.has_slot = ts2.has_signature = 1;
  ts2.slot = 11;
  ts2.signature = (ProtobufCBinaryData){64, other};
  SOF_CHECK_EQ(decode(&u, &m), SOF_PMSG_TXN_STATUS);
  SOF_CHECK(m.status.slot == 11 && !m.status.failed && !memcmp(m.status.signature, other, 64));
  pb_err_t e2 = SOLANA__STORAGE__CONFIRMED_BLOCK__TRANSACTION_ERROR__INIT;
  e2.has_err = 1;
  e2.err = (ProtobufCBinaryData){4, errb};
  ts2.err = &e2;
  SOF_CHECK_EQ(decode(&u, &m), SOF_PMSG_TXN_STATUS);
  SOF_CHECK(m.status.failed && m.status.err_sz == 4 && !memcmp(m.status.err, errb, 4));
  ts2.signature.len = 32;
  SOF_CHECK_EQ(decode(&u, &m), -SOF_PMSG_REJ_SIG_SIZE);

  Geyser__SubscribeUpdatePing ping = GEYSER__SUBSCRIBE_UPDATE_PING__INIT;
  u.update_oneof_case = GEYSER__SUBSCRIBE_UPDATE__UPDATE_ONEOF_PING;
  u.ping = &ping;
  SOF_CHECK_EQ(decode(&u, &m), SOF_PMSG_PING);
  Geyser__SubscribeUpdatePong pong = GEYSER__SUBSCRIBE_UPDATE_PONG__INIT;
  pong.has_id = 1;
  pong.id = 9;
  u.update_oneof_case = GEYSER__SUBSCRIBE_UPDATE__UPDATE_ONEOF_PONG;
  u.pong = &pong;
  SOF_CHECK_EQ(decode(&u, &m), SOF_PMSG_PONG);
  SOF_CHECK_EQ(m.pong_id, 9);
  Geyser__SubscribeUpdateBlockMeta bm = GEYSER__SUBSCRIBE_UPDATE_BLOCK_META__INIT;
  u.update_oneof_case = GEYSER__SUBSCRIBE_UPDATE__UPDATE_ONEOF_BLOCK_META;
  u.block_meta = &bm;
  SOF_CHECK_EQ(decode(&u, &m), SOF_PMSG_OTHER);

  for (int r = 1; r <= SOF_PMSG_REJ_CNT; r++) SOF_CHECK(strcmp(sof_pmsg_rej_str(r), "?") != 0);
  SOF_CHECK_STR(sof_pmsg_rej_str(SOF_PMSG_REJ_CNT + 1), "?");
  return sof_test_done("provider_msg");
}
