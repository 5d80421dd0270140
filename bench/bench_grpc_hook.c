/* bench_grpc_hook: the grpc plugin's per-message costs, without sockets.
 *
 *   encode+commit   what its transaction hook does per transaction on the
 *                   lane worker (the pipeline time of one message): ring
 *                   reserve, the hand-written protobuf encoding of the whole
 *                   transaction, the record header, commit; over sof_txgen's
 *                   mix (votes, transfers, token transfers, v0 with lookups);
 *   peek            the server thread reading one record out of the ring;
 *   filter          matching one record against one subscriber's
 *                   transactions filter (account_include of 1 key; vote +
 *                   exclude + required of 4 keys), per subscriber;
 *   layout add      what the dataset hook adds per completed dataset: its
 *                   place in the slot's layout (in order, 256 per slot);
 *   layout index    the server's lookup of a transaction's block index and
 *                   dataset end when it sends it (a slot of 256 datasets).
 * The eventfd write that wakes a sleeping server thread is not in the
 * figures: the producer makes it only when the server thread slept (no
 * record for spin_us), never while traffic flows.
 * Median of 9 runs, ns/op and ops/s (bench/sof_bench.h). */
#include <string.h>

#include "geyser.pb-c.h"
#include "gen/sof_txgen.h"
#include "wire/sof_base58.h"
#include "wire/sof_txn.h"

#include "../plugins/grpc/grpc_int.h"
#include "../plugins/grpc/grpc_layout.h"
#include "../plugins/grpc/grpc_pb.h"
#include "sof_bench.h"

#define TXN_CNT 1024

static struct {
  uint8_t   bytes[TXN_CNT][SOF_TXN_MTU];
  sof_txn_t t[TXN_CNT];
  grpc_ring_t ring;
  grpc_cursor_t cur;
  uint8_t   out[GRPC_REC_MAX];
  grpc_rec_t recs[TXN_CNT];
  uint8_t   enc[TXN_CNT][GRPC_PB_TXN_MAX];
  grpc_filters_t *f1, *f4;
} B;

static uint64_t
run_encode(void *ctx, uint64_t ops) {
  (void)ctx;
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++) {
    unsigned k = (unsigned)(i % TXN_CNT);
    uint8_t *p = grpc_ring_reserve(&B.ring, GRPC_PB_TXN_MAX);
    grpc_pb_txn_loc_t loc;
    size_t n = grpc_pb_txn(p, GRPC_PB_TXN_MAX, B.bytes[k], &B.t[k], &loc);
    grpc_rec_t h;
    memset(&h, 0, sizeof h);
    h.kind = GRPC_REC_TXN;
    h.slot = i;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    h.ts_sec = ts.tv_sec;
    h.ts_nsec = (int32_t)ts.tv_nsec;
    h.sig_off = loc.sig_off;
    h.keys_off = loc.keys_off;
    h.key_stride = loc.key_stride;
    h.key_cnt = loc.key_cnt;
    acc += grpc_ring_commit(&B.ring, &h, (uint32_t)n);
  }
  return acc;
}

static uint64_t
run_peek(void *ctx, uint64_t ops) {
  (void)ctx;
  uint64_t acc = 0;
  grpc_rec_t h;
  for (uint64_t i = 0; i < ops; i++) {
    if (grpc_ring_peek(&B.ring, &B.cur, &h, B.out, sizeof B.out) != 1) {
      grpc_ring_cursor_now(&B.ring, &B.cur);
      B.cur.pos = atomic_load(&B.ring.tail); /* start over at the oldest record */
      B.cur.seq = 0;
      continue;
    }
    acc += h.payload_sz;
    grpc_ring_next(&B.cur, &h);
  }
  return acc;
}

static uint64_t
run_filter(void *ctx, uint64_t ops) {
  grpc_filters_t const *f = ctx;
  uint64_t acc = 0;
  char const *names[4];
  for (uint64_t i = 0; i < ops; i++) {
    unsigned k = (unsigned)(i % TXN_CNT);
    acc += grpc_filters_txn(f, &B.recs[k], B.enc[k], names, 4);
  }
  return acc;
}

static grpc_layout_t *layout;

static uint64_t
run_layout_add(void *ctx, uint64_t ops) {
  (void)ctx;
  uint64_t acc = 0;
  int done;
  for (uint64_t i = 0; i < ops; i++) {
    uint64_t slot = 1000 + i / 256;
    uint32_t d = (uint32_t)(i % 256);
    grpc_layout_slot_t const *s =
      grpc_layout_add(layout, slot, slot - 1, d * 32, d * 32 + 32, 5, 3, d == 255, NULL, &done);
    acc += s ? s->run_txns : 0;
  }
  return acc;
}

static uint64_t
run_layout_index(void *ctx, uint64_t ops) {
  (void)ctx;
  uint64_t acc = 0, idx;
  uint32_t end;
  for (uint64_t i = 0; i < ops; i++) {
    acc += (uint64_t)grpc_layout_txn(layout, 7, (uint32_t)(i * 7 % 256) * 32, (uint32_t)(i % 5), &idx, &end);
    acc += idx + end;
  }
  return acc;
}

static grpc_filters_t *
compile(int vote, char **incl, size_t ni, char **excl, size_t ne, char **req, size_t nr) {
  Geyser__SubscribeRequestFilterTransactions t = GEYSER__SUBSCRIBE_REQUEST_FILTER_TRANSACTIONS__INIT;
  if (vote >= 0) {
    t.has_vote = 1;
    t.vote = vote;
  }
  t.account_include = incl;
  t.n_account_include = ni;
  t.account_exclude = excl;
  t.n_account_exclude = ne;
  t.account_required = req;
  t.n_account_required = nr;
  Geyser__SubscribeRequest__TransactionsEntry e = GEYSER__SUBSCRIBE_REQUEST__TRANSACTIONS_ENTRY__INIT;
  e.key = (char *)"f";
  e.value = &t;
  Geyser__SubscribeRequest__TransactionsEntry *ep = &e;
  Geyser__SubscribeRequest r = GEYSER__SUBSCRIBE_REQUEST__INIT;
  r.transactions = &ep;
  r.n_transactions = 1;
  grpc_cfg_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.max_filters = 16;
  cfg.max_keys = 64;
  grpc_filters_t *f = NULL;
  char err[200];
  if (grpc_filters_subscribe(&r, &cfg, &f, err, sizeof err) != GRPC_OK) {
    fprintf(stderr, "bench_grpc_hook: %s\n", err);
    exit(1);
  }
  return f;
}

int
main(void) {
  static sof_txgen_t g;
  sof_txgen_init(&g, 7);
  size_t total = 0;
  for (unsigned i = 0; i < TXN_CNT; i++) {
    long sz = sof_txgen_txn(&g, sof_txgen_pick_type(&g, 500000), B.bytes[i], SOF_TXN_MTU);
    if (sz <= 0 || sof_txn_parse(&B.t[i], B.bytes[i], (size_t)sz, NULL) != SOF_TXN_OK) return 1;
    total += (size_t)sz;
    grpc_pb_txn_loc_t loc;
    size_t n = grpc_pb_txn(B.enc[i], GRPC_PB_TXN_MAX, B.bytes[i], &B.t[i], &loc);
    memset(&B.recs[i], 0, sizeof B.recs[i]);
    B.recs[i].kind = GRPC_REC_TXN;
    B.recs[i].payload_sz = (uint32_t)n;
    B.recs[i].flags = B.t[i].simple_vote ? GRPC_REC_FLAG_VOTE : 0;
    B.recs[i].sig_off = loc.sig_off;
    B.recs[i].keys_off = loc.keys_off;
    B.recs[i].key_stride = loc.key_stride;
    B.recs[i].key_cnt = loc.key_cnt;
  }
  if (grpc_ring_init(&B.ring, 64ULL << 20)) return 1;
  printf("bench_grpc_hook: %u transactions of sof_txgen's mix (half votes), %.0f bytes on average\n",
         TXN_CNT, (double)total / TXN_CNT);
  sof_bench_report("encode+commit (hook, per transaction)", run_encode, NULL, 200000);
  grpc_ring_cursor_now(&B.ring, &B.cur);
  B.cur.pos = atomic_load(&B.ring.tail);
  B.cur.seq = 0;
  sof_bench_report("ring peek (server, per record)", run_peek, NULL, 200000);
  /* keys present in the traffic: the first payer of transaction 0 and others */
  char k[4][SOF_BASE58_ENCODED_32_MAX];
  for (int i = 0; i < 4; i++)
    sof_base58_encode_32(sof_txn_acct_key(&B.t[i * 3], B.bytes[i * 3], 0), k[i]);
  char *one[1] = {k[0]};
  char *two[2] = {k[1], k[2]};
  char *ex[1] = {k[3]};
  B.f1 = compile(-1, one, 1, NULL, 0, NULL, 0);
  B.f4 = compile(0, NULL, 0, ex, 1, two, 2);
  sof_bench_report("filter include 1 key (per subscriber)", run_filter, B.f1, 2000000);
  sof_bench_report("filter vote+exclude+required (per sub.)", run_filter, B.f4, 2000000);
  grpc_filters_free(B.f1);
  grpc_filters_free(B.f4);
  layout = grpc_layout_new();
  if (!layout) return 1;
  sof_bench_report("layout add (hook, per dataset)", run_layout_add, NULL, 2000000);
  int done;
  for (uint32_t d = 0; d < 256; d++) grpc_layout_add(layout, 7, 6, d * 32, d * 32 + 32, 5, 3, d == 255, NULL, &done);
  sof_bench_report("layout index (server, per transaction)", run_layout_index, NULL, 2000000);
  grpc_layout_free(layout);
  grpc_ring_fini(&B.ring);
  return (int)(sof_bench_sink & 0);
}
