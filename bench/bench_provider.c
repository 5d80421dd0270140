/* bench_provider: sof_pmsg_decode per SubscribeUpdate (protobuf-c unpack,
 * the transaction rebuilt to its wire bytes and parsed, the meta), for a
 * vote, a transfer and a v0 transaction with lookups, each with a meta of
 * 3 log lines; and the slot update. The websocket decoder
 * (sof_pws_decode_each, jansson): a transactionNotification, and a
 * blockNotification of 64 transactions (one op = the whole block). The
 * joined mode's join table (sof_pjoin, the dispatch lcore's part): one op
 * = a transaction seen from shreds and, 10000 transactions later, its
 * provider outcome joined, in the default 131072-entry table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "provider/sof_pjoin.h"
#include "provider/sof_provider_ws.h"

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

typedef struct wctx {
  char      *json;
  size_t     len;
  sof_pmsg_t m;
  uint64_t   n;
} wctx_t;

static void ws_count(void *ctx, sof_pmsg_t const *m, int rej) {
  (void)rej;
  ((wctx_t *)ctx)->n += m ? 1u : 1000000u;
}

static uint64_t ws_run(void *ctx, uint64_t ops) {
  wctx_t *c = ctx;
  for (uint64_t i = 0; i < ops; i++) sof_pws_decode_each(c->json, c->len, &c->m, ws_count, c);
  return c->n;
}

/* A transaction as the notifications carry it: base64 bytes and a meta. */
static size_t ws_txn(char *out, size_t cap, sof_txgen_t *g, int type) {
  uint8_t b[SOF_TXN_MTU];
  long n = sof_txgen_txn(g, type, b, sizeof b);
  if (n <= 0) return 0;
  char b64[2 * SOF_TXN_MTU];
  EVP_EncodeBlock((unsigned char *)b64, b, (int)n);
  int w = snprintf(out, cap, "{\"transaction\":[\"%s\",\"base64\"],\"meta\":{\"err\":null,\"fee\":5000,"
                   "\"logMessages\":[\"Program log: a\",\"Program log: b\",\"Program log: c\"],"
                   "\"computeUnitsConsumed\":1000,\"preBalances\":[],\"postBalances\":[]}}", b64);
  return w > 0 && (size_t)w < cap ? (size_t)w : 0;
}

static int ws_bench(sof_txgen_t *g) {
  static wctx_t c;
  size_t cap = 1u << 20;
  char *j = malloc(cap), *t = malloc(8192);
  if (!j || !t) return 1;
  size_t tl = ws_txn(t, 8192, g, SOF_TXGEN_TYPE_TRANSFER);
  int w = snprintf(j, cap, "{\"jsonrpc\":\"2.0\",\"method\":\"transactionNotification\",\"params\":{"
                   "\"subscription\":1,\"result\":{\"slot\":300000000,\"transaction\":%s}}}", t);
  if (!tl || w <= 0) return 1;
  c.json = j;
  c.len = (size_t)w;
  char name[96];
  snprintf(name, sizeof name, "ws decode: transactionNotification, transfer (%zu B)", c.len);
  sof_bench_report(name, ws_run, &c, 100000);
  size_t o = (size_t)snprintf(j, cap, "{\"jsonrpc\":\"2.0\",\"method\":\"blockNotification\",\"params\":{"
                              "\"subscription\":3,\"result\":{\"context\":{\"slot\":300000000},\"value\":{"
                              "\"slot\":300000000,\"err\":null,\"block\":{\"parentSlot\":299999999,"
                              "\"transactions\":[");
  for (int i = 0; i < 64; i++) {
    tl = ws_txn(t, 8192, g, i % 2 ? SOF_TXGEN_TYPE_VOTE : SOF_TXGEN_TYPE_TRANSFER);
    if (!tl || o + tl + 64 > cap) return 1;
    if (i) j[o++] = ',';
    memcpy(j + o, t, tl);
    o += tl;
  }
  o += (size_t)snprintf(j + o, cap - o, "]}}}}}");
  c.len = o;
  c.n = 0;
  ws_run(&c, 1);
  if (c.n != 66) { fprintf(stderr, "bench_provider: the block gave %llu messages\n", (unsigned long long)c.n); return 1; }
  snprintf(name, sizeof name, "ws decode: blockNotification, 64 transactions (%zu B)", c.len);
  sof_bench_report(name, ws_run, &c, 2000);
  free(t);
  free(j);
  return 0;
}

typedef struct jctx {
  sof_pjoin_t *j;
  uint64_t     k;
} jctx_t;

/* Signature k: uniformly distributed bytes (splitmix64), as signatures are. */
static void sig_of(uint8_t *s, uint64_t k) {
  uint64_t x = k * 8;
  for (int i = 0; i < 8; i++) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    memcpy(s + 8 * i, &z, 8);
  }
}

static uint64_t join_run(void *ctx, uint64_t ops) {
  jctx_t *c = ctx;
  uint8_t s[64], p[64];
  uint64_t acc = 0, o;
  for (uint64_t i = 0; i < ops; i++, c->k++) {
    sig_of(s, c->k);
    acc += (uint64_t)sof_pjoin_shred(c->j, s, c->k, NULL);
    if (c->k >= 10000) {
      sig_of(p, c->k - 10000);
      acc += (uint64_t)sof_pjoin_provider(c->j, p, c->k, 1, &o);
    }
  }
  return acc;
}

int main(void) {
  sof_txgen_t g;
  if (sof_txgen_init(&g, 3) != SOF_TXGEN_OK) return 1;
  printf("bench_provider: provider ingress per message: sof_pmsg_decode (gRPC SubscribeUpdate), "
         "sof_pws_decode_each (websocket), sof_pjoin (joined mode)\n");
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
  static jctx_t jc;
  if (!(jc.j = sof_pjoin_new(131072, NULL, 0))) return 1;
  join_run(&jc, 200000); /* the table in its steady state */
  sof_bench_report("join: shred sighting + provider outcome joined", join_run, &jc, 1000000);
  sof_pjoin_stats_t js;
  sof_pjoin_stats(jc.j, &js);
  printf("join: %llu joined, %llu awaiting entries evicted (8-way sets, 10000 awaiting in 131072)\n",
         (unsigned long long)js.hits, (unsigned long long)js.evicted);
  sof_pjoin_delete(jc.j);
  return ws_bench(&g);
}
