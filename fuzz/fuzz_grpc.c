/* libFuzzer target: the grpc plugin's request path (plugins/grpc): HTTP/2
 * frames through libnghttp2's server session, gRPC's length-prefixed
 * framing, and the protobuf-c decoding and compiling of every request
 * message (SubscribeRequest, SubscribeDeshredRequest, the unary ones),
 * with the streaming calls then fed from a ring holding transactions,
 * slots, entries, a dataset, its place and block meta (published once the
 * input is in; a Subscribe at CONFIRMED / FINALIZED holds and releases
 * them, grpc_commit.c). One input is one client connection (a
 * memory connection: no socket, no thread).
 *
 * The first byte picks the shape of the input:
 *   even: the rest goes after the client preface as raw frames;
 *   odd:  the rest is a request body: preface, SETTINGS, a HEADERS frame
 *         for method ((byte >> 1) & 63) % 11 of the table below (x-token with
 *         bit 7), then the bytes in DATA frames of the sizes the next
 *         bytes give, END_STREAM on the last one.
 * Beyond memory safety (ASan, UBSan) it checks the server's bounds: no
 * more subscribers than max_subscribers, nothing left allocated after the
 * connection is freed (LeakSanitizer). */
#include <stdlib.h>
#include <string.h>

#include "../plugins/grpc/grpc_int.h"
#include "../plugins/grpc/grpc_pb.h"
#include "wire/sof_txn.h"

#include "sof_fuzz.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

static grpc_srv_t *srv;

static char const *const paths[] = {
  "/geyser.Geyser/Subscribe", "/geyser.Geyser/SubscribeDeshred",
  "/shredstream.ShredstreamProxy/SubscribeEntries", "/geyser.Geyser/Ping",
  "/geyser.Geyser/GetSlot", "/geyser.Geyser/GetLatestBlockhash", "/geyser.Geyser/GetVersion",
  "/geyser.Geyser/IsBlockhashValid", "/geyser.Geyser/GetBlockHeight",
  "/geyser.Geyser/SubscribeReplayInfo", "/geyser.Geyser/Nope",
};

/* A legacy transaction: 1 signature, keys [payer, program], 1 instruction. */
static void
publish_records(void) {
  uint8_t tx[200];
  size_t n = 0;
  tx[n++] = 1;
  for (int i = 0; i < 64; i++) tx[n++] = (uint8_t)(i + 1);
  tx[n++] = 1; tx[n++] = 0; tx[n++] = 1;
  tx[n++] = 2;
  for (int i = 0; i < 64; i++) tx[n++] = (uint8_t)(0x40 + i);
  for (int i = 0; i < 32; i++) tx[n++] = 0x99;
  tx[n++] = 1;
  tx[n++] = 1; tx[n++] = 1; tx[n++] = 0; tx[n++] = 2; tx[n++] = 0xaa; tx[n++] = 0xbb;
  sof_txn_t t;
  REQUIRE(sof_txn_parse(&t, tx, n, NULL) == SOF_TXN_OK);
  grpc_ring_t *r = grpc_srv_ring(srv);
  for (int k = 0; k < 4; k++) {
    grpc_rec_t h;
    memset(&h, 0, sizeof h);
    h.tip = h.confirmed = h.finalized = 5;
    uint8_t *p = grpc_ring_reserve(r, GRPC_PB_TXN_MAX);
    grpc_pb_txn_loc_t loc;
    size_t m = grpc_pb_txn(p, GRPC_PB_TXN_MAX, tx, &t, &loc);
    h.kind = GRPC_REC_TXN;
    h.slot = 5;
    h.flags = (uint16_t)(k & 1);
    h.sig_off = loc.sig_off;
    h.keys_off = loc.keys_off;
    h.key_stride = loc.key_stride;
    h.key_cnt = loc.key_cnt;
    grpc_ring_commit(r, &h, (uint32_t)m);
    p = grpc_ring_reserve(r, 112);
    m = grpc_pb_slot(p, 112, 5, 1, 4, k, k == 3 ? "dead" : NULL);
    h.kind = GRPC_REC_SLOT;
    h.a = (uint32_t)k;
    h.b = k < 3;
    grpc_ring_commit(r, &h, (uint32_t)m);
    p = grpc_ring_reserve(r, 96);
    uint8_t hash[32] = {7};
    m = grpc_pb_entry(p, 96, 5, (uint64_t)k, 3, hash, 1, 0);
    h.kind = GRPC_REC_ENTRY;
    grpc_ring_commit(r, &h, (uint32_t)m);
    p = grpc_ring_reserve(r, 64);
    memset(p, 0, 8);
    h.kind = GRPC_REC_DATASET;
    grpc_ring_commit(r, &h, 8);
    p = grpc_ring_reserve(r, 32);
    memset(p, k, 32);
    h.kind = GRPC_REC_BLOCKHASH;
    grpc_ring_commit(r, &h, 32);
    /* the dataset's place (transaction indexes) and, last, the whole block */
    grpc_ring_reserve(r, 0);
    h.kind = GRPC_REC_DSINFO;
    h.a = (uint32_t)k * 32;
    h.b = (uint32_t)k * 32 + 32;
    h.c = 1;
    h.d = 1;
    h.key_cnt = k == 3;
    grpc_ring_commit(r, &h, 0);
    if (k == 3) {
      p = grpc_ring_reserve(r, 160);
      m = grpc_pb_block_meta(p, 160, 5, hash, 4, NULL, 4, 4);
      h.kind = GRPC_REC_BLOCK_META;
      grpc_ring_commit(r, &h, (uint32_t)m);
    }
  }
  /* a slot that dies with a transaction held for it (commitment above processed) */
  grpc_rec_t h;
  memset(&h, 0, sizeof h);
  h.tip = h.confirmed = h.finalized = UINT64_MAX;
  uint8_t *p = grpc_ring_reserve(r, GRPC_PB_TXN_MAX);
  grpc_pb_txn_loc_t loc;
  size_t m = grpc_pb_txn(p, GRPC_PB_TXN_MAX, tx, &t, &loc);
  h.kind = GRPC_REC_TXN;
  h.slot = 6;
  h.sig_off = loc.sig_off;
  h.keys_off = loc.keys_off;
  h.key_stride = loc.key_stride;
  h.key_cnt = loc.key_cnt;
  grpc_ring_commit(r, &h, (uint32_t)m);
  p = grpc_ring_reserve(r, 112);
  m = grpc_pb_slot(p, 112, 6, 1, 5, 6, "dead");
  memset(&h, 0, sizeof h);
  h.tip = h.confirmed = h.finalized = UINT64_MAX;
  h.kind = GRPC_REC_SLOT;
  h.slot = 6;
  h.a = 6;
  grpc_ring_commit(r, &h, (uint32_t)m);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  grpc_cfg_t cfg;
  memset(&cfg, 0, sizeof cfg);
  strcpy(cfg.x_token, "tok");
  cfg.ring_bytes = 1U << 20;
  cfg.max_connections = 4;
  cfg.max_subscribers = 2;
  cfg.max_streams_per_conn = 8;
  cfg.max_request_bytes = 64U << 10;
  cfg.stream_buffer_bytes = 256U << 10;
  cfg.max_lag = 64;
  cfg.ping_interval_ms = 1;
  cfg.idle_timeout_ms = 1000;
  cfg.max_filters = 16;
  cfg.max_keys = 64;
  cfg.commit_hold_max = 16;
  char err[256];
  srv = grpc_srv_new(&cfg, err, sizeof err);
  REQUIRE(srv);
  return 0;
}

static size_t
frame(uint8_t *o, uint8_t type, uint8_t flags, uint32_t sid, uint8_t const *pl, size_t n) {
  o[0] = (uint8_t)(n >> 16); o[1] = (uint8_t)(n >> 8); o[2] = (uint8_t)n;
  o[3] = type; o[4] = flags;
  o[5] = (uint8_t)(sid >> 24); o[6] = (uint8_t)(sid >> 16); o[7] = (uint8_t)(sid >> 8); o[8] = (uint8_t)sid;
  if (n) memcpy(o + 9, pl, n);
  return 9 + n;
}

static size_t
lit(uint8_t *o, char const *name, char const *value) {
  size_t nl = strlen(name), vl = strlen(value), n = 0;
  o[n++] = 0;
  o[n++] = (uint8_t)nl;
  memcpy(o + n, name, nl); n += nl;
  o[n++] = (uint8_t)vl;
  memcpy(o + n, value, vl); n += vl;
  return n;
}

static uint8_t const preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

int
LLVMFuzzerTestOneInput(uint8_t const *data, size_t sz) {
  if (!sz) return 0;
  grpc_conn_t *c = grpc_conn_new_mem(srv);
  REQUIRE(c);
  size_t cap = sz * 10 + 4096; /* a 1-byte DATA frame costs 9 + 1 bytes for 2 of input */
  uint8_t *buf = malloc(cap);
  REQUIRE(buf);
  size_t n = 0;
  memcpy(buf, preface, 24);
  n = 24;
  if (!(data[0] & 1)) {
    memcpy(buf + n, data + 1, sz - 1);
    n += sz - 1;
    size_t half = n / 2;
    if (grpc_conn_feed(c, buf, half) == 0 && grpc_conn_feed(c, buf + half, n - half) == 0) {
      publish_records();
      grpc_conn_feed(c, buf, 0); /* the pump delivers them */
    }
  } else {
    n += frame(buf + n, 4, 0, 0, NULL, 0);
    uint8_t hb[512];
    size_t h = 0;
    h += lit(hb + h, ":method", "POST");
    h += lit(hb + h, ":scheme", "http");
    h += lit(hb + h, ":authority", "sofd");
    h += lit(hb + h, ":path", paths[((data[0] >> 1) & 0x3f) % 11]);
    h += lit(hb + h, "content-type", "application/grpc");
    if (data[0] & 0x80) h += lit(hb + h, "x-token", "tok");
    n += frame(buf + n, 1, 4, 1, hb, h);
    /* the body in DATA frames: a size byte, then that many bytes */
    size_t i = 1;
    while (i < sz) {
      size_t k = data[i++];
      if (k == 0) k = 1;
      if (k > sz - i) k = sz - i;
      n += frame(buf + n, 0, i + k >= sz ? 1 : 0, 1, data + i, k);
      i += k;
    }
    /* fed in two halves with records published between them: a
     * subscription made by the first half gets them in the second */
    size_t half = n / 2;
    if (grpc_conn_feed(c, buf, half) == 0 && grpc_conn_feed(c, buf + half, n - half) == 0) {
      publish_records();
      grpc_conn_feed(c, buf, 0); /* the pump delivers them */
    }
  }
  REQUIRE(grpc_srv_stats(srv)->subscribers <= 2);
  grpc_conn_free_mem(c);
  REQUIRE(grpc_srv_stats(srv)->subscribers == 0);
  free(buf);
  return 0;
}
