/* bench_nats_format: what the nats plugin's publisher thread spends per
 * transaction before libnats, in each format (nats_pub.c's format_rec /
 * format_pb, the same calls): the transaction parsed again from the queue
 * record, its Nats-Msg-Id (tx:<slot>:<first signature, base58>), and
 *   json      the txlog object (sof_event_json_txn: base58 keys and hashes)
 *   protobuf  ConfirmedBlock.Transaction (sof_geyser_pb_txn) in its
 *             geyser.SubscribeUpdate envelope (sof_geyser_update_txn)
 * over sof_txgen's mix (votes, transfers, token transfers, v0 with
 * lookups). Not pipeline time: the lanes only copy the event into the
 * plugin's queue. Median of 9 runs, ns/op and ops/s (bench/sof_bench.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "gen/sof_txgen.h"
#include "geyser/sof_geyser_pb.h"
#include "pipeline/sof_event_json.h"
#include "util/sof_json.h"
#include "wire/sof_base58.h"
#include "wire/sof_txn.h"

#include "sof_bench.h"

#define TXN_CNT 1024

static struct {
  uint8_t    bytes[TXN_CNT][SOF_TXN_MTU];
  uint16_t   sz[TXN_CNT];
  sof_txn_t  t;
  sof_json_t j;
  char       line[16U << 10];
  uint8_t    pb[16U << 10];
  uint8_t    pbtx[SOF_GEYSER_PB_TXN_MAX];
  char       id[192];
} B;

static void
msg_id(unsigned k, uint64_t slot) {
  char sig[SOF_BASE58_ENCODED_64_MAX];
  sof_base58_encode_64(sof_txn_sig(&B.t, B.bytes[k], 0), sig);
  snprintf(B.id, sizeof B.id, "tx:%" PRIu64 ":%s", slot, sig);
}

static uint64_t
run_json(void *ctx, uint64_t ops) {
  (void)ctx;
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++) {
    unsigned k = (unsigned)(i % TXN_CNT);
    if (sof_txn_parse(&B.t, B.bytes[k], B.sz[k], NULL) != SOF_TXN_OK) continue;
    sof_json_t *j = &B.j;
    sof_json_reset(j);
    sof_json_obj_begin(j);
    sof_json_key(j, "type");       sof_json_str(j, "transaction");
    sof_json_key(j, "slot");       sof_json_u64(j, 1000 + i);
    sof_json_key(j, "entry");      sof_json_u64(j, k);
    sof_json_key(j, "commitment"); sof_json_str(j, "processed");
    sof_json_key(j, "path");       sof_json_str(j, "dataset");
    sof_event_json_txn(j, B.bytes[k], &B.t);
    sof_json_obj_end(j);
    msg_id(k, 1000 + i);
    acc += j->len;
  }
  return acc;
}

static uint64_t
run_protobuf(void *ctx, uint64_t ops) {
  (void)ctx;
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++) {
    unsigned k = (unsigned)(i % TXN_CNT);
    if (sof_txn_parse(&B.t, B.bytes[k], B.sz[k], NULL) != SOF_TXN_OK) continue;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    sof_geyser_upd_t u = { .ts_sec = ts.tv_sec, .ts_nsec = (int32_t)ts.tv_nsec };
    size_t tn = sof_geyser_pb_txn(B.pbtx, sizeof B.pbtx, B.bytes[k], &B.t, NULL);
    sof_geyser_txn_info_t ti = { .sig = sof_txn_sig(&B.t, B.bytes[k], 0), .is_vote = B.t.simple_vote,
                                 .slot = 1000 + i };
    acc += sof_geyser_update_txn(B.pb, sizeof B.pb, &u, &ti, B.pbtx, tn);
    msg_id(k, 1000 + i);
  }
  return acc;
}

int
main(void) {
  static sof_txgen_t g;
  if (sof_txgen_init(&g, 11) != SOF_TXGEN_OK) return 1;
  for (unsigned k = 0; k < TXN_CNT; k++) {
    long sz = sof_txgen_txn(&g, (int)(k % SOF_TXGEN_TYPE_CNT), B.bytes[k], SOF_TXN_MTU);
    if (sz <= 0) return 1;
    B.sz[k] = (uint16_t)sz;
  }
  sof_json_init(&B.j, B.line, sizeof B.line);
  uint64_t jb = run_json(NULL, TXN_CNT), pbb = run_protobuf(NULL, TXN_CNT);
  printf("bench_nats_format: %u transactions of sof_txgen's mix; payload bytes per transaction: json %.0f, "
         "protobuf %.0f\n", TXN_CNT, (double)jb / TXN_CNT, (double)pbb / TXN_CNT);
  sof_bench_report("json: parse + txlog object + msg id", run_json, NULL, 200000);
  sof_bench_report("protobuf: parse + SubscribeUpdate + msg id", run_protobuf, NULL, 200000);
  return (int)(sof_bench_sink & 0);
}
