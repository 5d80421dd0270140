/* bench_provider: sof_pmsg_decode per SubscribeUpdate (protobuf-c unpack,
 * the transaction rebuilt to its wire bytes and parsed, the meta), for a
 * vote, a transfer and a v0 transaction with lookups, each with a meta of
 * 3 log lines; and the slot update. */
#include <stdio.h>
#include <string.h>

#include "gen/sof_txgen.h"
#include "provider/sof_provider_msg.h"
#include "provider_pb.h"
#include "sof_bench.h"

typedef struct bctx {
  uint8_t buf[4096];
  size_t  sz;
  sof_pmsg_t m;
} bctx_t;

static uint64_t run(void *ctx, uint64_t ops) {
  bctx_t *c = ctx;
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++) acc += (uint64_t)sof_pmsg_decode(c->buf, c->sz, &c->m) + c->m.txn.tx_sz;
  return acc;
}

int main(void) {
  sof_txgen_t g;
  if (sof_txgen_init(&g, 3) != SOF_TXGEN_OK) return 1;
  static built_t w;
  static bctx_t c;
  static char *logs[3] = {"Program Vote111111111111111111111111111111111111111 invoke [1]",
                          "Program Vote111111111111111111111111111111111111111 success", "Program log: x"};
  int const types[3] = {SOF_TXGEN_TYPE_VOTE, SOF_TXGEN_TYPE_TRANSFER, SOF_TXGEN_TYPE_V0_ALT};
  char const *const names[3] = {"decode: vote (legacy) + meta", "decode: transfer (legacy) + meta",
                                "decode: v0 with lookups + meta"};
  for (int k = 0; k < 3; k++) {
    uint8_t b[SOF_TXN_MTU];
    sof_txn_t t;
    long n = sof_txgen_txn(&g, types[k], b, sizeof b);
    if (n <= 0 || sof_txn_parse(&t, b, (size_t)n, NULL) != SOF_TXN_OK) return 1;
    build(&w, b, &t, 300000000);
    solana__storage__confirmed_block__transaction_status_meta__init(&w.meta);
    w.meta.has_fee = 1;
    w.meta.fee = 5000;
    w.meta.n_log_messages = 3;
    w.meta.log_messages = logs;
    w.info.meta = &w.meta;
    c.sz = geyser__subscribe_update__pack(&w.u, c.buf);
    char name[96];
    snprintf(name, sizeof name, "%s (%zu B)", names[k], c.sz);
    sof_bench_report(name, run, &c, 200000);
  }
  Geyser__SubscribeUpdate u = GEYSER__SUBSCRIBE_UPDATE__INIT;
  Geyser__SubscribeUpdateSlot s = GEYSER__SUBSCRIBE_UPDATE_SLOT__INIT;
  s.has_slot = s.has_parent = s.has_status = 1;
  s.slot = 300000001;
  s.parent = 300000000;
  u.update_oneof_case = GEYSER__SUBSCRIBE_UPDATE__UPDATE_ONEOF_SLOT;
  u.slot = &s;
  c.sz = geyser__subscribe_update__pack(&u, c.buf);
  sof_bench_report("decode: slot update", run, &c, 1000000);
  return 0;
}
