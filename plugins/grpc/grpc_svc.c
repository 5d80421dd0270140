/* grpc_svc.c: the methods sofd serves (geyser.Geyser and
 * shredstream.ShredstreamProxy): requests decoded with the protobuf-c code
 * generated from proto/, unary answers from the chain state the server
 * thread keeps, and the streaming calls fed from the broadcast ring: each
 * record is read once for every subscriber that is caught up, matched
 * against each one's filters and framed into its output buffer; a
 * subscriber whose buffer is full falls behind and catches up on its own
 * cursor, losing (and counting) what the ring overwrote, and is dropped
 * once it is more than max_lag records behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geyser.pb-c.h"
#include "shredstream.pb-c.h"
#include "plugin/sof_plugin.h"
#include "wire/sof_base58.h"

#include "grpc_int.h"
#include "grpc_pb.h"

#define SVC_NAMES_MAX 64U
#define SVC_PRE_MAX   (SVC_NAMES_MAX * (GRPC_NAME_MAX + 3) + 256)
#define SVC_VERSION   "{\"version\":{\"package\":\"sofd\",\"version\":\"0.1.0\"},\"extra\":{\"source\":\"shreds\"}}"

static struct {
  char const *path;
  int         method;
} const svc_paths[] = {
  {"/geyser.Geyser/Subscribe", GRPC_M_SUBSCRIBE},
  {"/geyser.Geyser/SubscribeDeshred", GRPC_M_DESHRED},
  {"/shredstream.ShredstreamProxy/SubscribeEntries", GRPC_M_ENTRIES},
  {"/geyser.Geyser/Ping", GRPC_M_PING},
  {"/geyser.Geyser/GetSlot", GRPC_M_SLOT},
  {"/geyser.Geyser/GetLatestBlockhash", GRPC_M_BLOCKHASH},
  {"/geyser.Geyser/GetVersion", GRPC_M_VERSION},
  {"/geyser.Geyser/IsBlockhashValid", GRPC_M_BH_VALID},
  {"/geyser.Geyser/GetBlockHeight", GRPC_M_BLOCKHEIGHT},
  {"/geyser.Geyser/SubscribeReplayInfo", GRPC_M_REPLAYINFO},
};

int
grpc_svc_method(char const *path, size_t len) {
  for (size_t i = 0; i < sizeof svc_paths / sizeof svc_paths[0]; i++)
    if (strlen(svc_paths[i].path) == len && !memcmp(svc_paths[i].path, path, len))
      return svc_paths[i].method;
  return GRPC_M_NONE;
}

/* ---- encoding helpers ---- */

static void
now_ts(int64_t *sec, int32_t *nsec) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  *sec = ts.tv_sec;
  *nsec = (int32_t)ts.tv_nsec;
}

/* A small message (pong, ping) of a Subscribe / SubscribeDeshred stream:
 * the oneof kind (SOF_GEYSER_UPD_PING / _PONG) holding body, then
 * created_at. */
static void
put_small(grpc_stream_t *st, int kind, uint8_t const *body, size_t n) {
  uint8_t m[64], post[SOF_GEYSER_POST_MAX];
  sof_geyser_upd_t u = { .deshred = st->method != GRPC_M_SUBSCRIBE };
  now_ts(&u.ts_sec, &u.ts_nsec);
  size_t npost = 0;
  size_t o = sof_geyser_wrap(m, sizeof m, post, &npost, &u, kind, n);
  if (grpc_stream_room(st) >= o + n + npost + 5) grpc_stream_put(st, m, o, body, n, post, npost);
}

static void
send_pong(grpc_stream_t *st, int32_t id) {
  uint8_t b[16];
  size_t n = grpc_pb_u64_field(b, 1, (uint64_t)(int64_t)id);
  put_small(st, SOF_GEYSER_UPD_PONG, b, n);
}

/* ---- streaming: one record to one subscriber ---- */

/* A transaction's index in its block and its dataset's end shred index + 1
 * (0 unknown), from the slots' dataset layout as the server knows it now
 * (grpc_layout_txn: exact once the datasets before it are in). */
static void
txn_place(grpc_srv_t *s, grpc_rec_t const *h, uint64_t *index, uint32_t *end) {
  grpc_layout_txn(s->layout, h->slot, h->a, h->c, index, end);
  if (!*end) *end = h->b;
}

/* Returns 1 when the record was taken (sent or not wanted), 0 when the
 * subscriber's buffer has no room for it (try again later). */
static int
deliver(grpc_stream_t *st, grpc_rec_t const *h, uint8_t const *pl) {
  grpc_filters_t const *f = st->f;
  char const *names[SVC_NAMES_MAX];
  unsigned nn = 0;
  uint8_t pre[SVC_PRE_MAX], post[SOF_GEYSER_POST_MAX];
  size_t np = 0, npost = 0;
  int sub = st->method == GRPC_M_SUBSCRIBE;
  uint32_t room = grpc_stream_room(st);
  if (room < h->payload_sz + 5 + 64) return 0; /* a cheap first test */

  if (st->method == GRPC_M_ENTRIES) {
    if (h->kind != GRPC_REC_DATASET) return 1;
    np += grpc_pb_u64_field(pre, 1, h->slot);
    np += grpc_pb_len_hdr(pre + np, 2, h->payload_sz);
    grpc_stream_put(st, pre, np, pl, h->payload_sz, NULL, 0);
    return 1;
  }
  if (!f) return 1;
  sof_geyser_upd_t u = { .deshred = !sub, .filters = names, .ts_sec = h->ts_sec, .ts_nsec = h->ts_nsec };
  switch (h->kind) {
  case GRPC_REC_TXN: {
    nn = grpc_filters_txn(f, h, pl, names, SVC_NAMES_MAX);
    if (!nn) return 1;
    u.filter_cnt = nn;
    uint64_t index;
    uint32_t end;
    txn_place(st->conn->srv, h, &index, &end);
    sof_geyser_txn_info_t ti = {
      .sig = pl + h->sig_off, .is_vote = (h->flags & GRPC_REC_FLAG_VOTE) != 0, .slot = h->slot,
      .index = sub ? index : 0, .ds_start = sub ? 0 : h->a, .ds_end = sub ? 0 : end,
    };
    np = sof_geyser_wrap_txn(pre, sizeof pre, post, &npost, &u, &ti, h->payload_sz);
    break;
  }
  case GRPC_REC_SLOT:
    nn = grpc_filters_slot(f, h, names, SVC_NAMES_MAX);
    if (!nn) return 1;
    u.filter_cnt = nn;
    np = sof_geyser_wrap(pre, sizeof pre, post, &npost, &u, SOF_GEYSER_UPD_SLOT, h->payload_sz);
    break;
  case GRPC_REC_ENTRY:
    if (!sub || !f->entryf_cnt) return 1;
    u.filters = f->entryf;
    u.filter_cnt = f->entryf_cnt < SVC_NAMES_MAX ? f->entryf_cnt : SVC_NAMES_MAX;
    np = sof_geyser_wrap(pre, sizeof pre, post, &npost, &u, SOF_GEYSER_UPD_ENTRY, h->payload_sz);
    break;
  case GRPC_REC_BLOCK_META:
    if (!sub || !f->metaf_cnt) return 1;
    u.filters = f->metaf;
    u.filter_cnt = f->metaf_cnt < SVC_NAMES_MAX ? f->metaf_cnt : SVC_NAMES_MAX;
    np = sof_geyser_wrap(pre, sizeof pre, post, &npost, &u, SOF_GEYSER_UPD_BLOCK_META, h->payload_sz);
    break;
  default:
    return 1;
  }
  if (!np) return 1; /* cannot happen: pre holds SVC_NAMES_MAX names and the envelope */
  if (room < np + h->payload_sz + npost + 5) return 0;
  grpc_stream_put(st, pre, np, pl, h->payload_sz, post, npost);
  return 1;
}

int
grpc_svc_deliver(grpc_stream_t *st, grpc_rec_t const *h, uint8_t const *pl) {
  return deliver(st, h, pl);
}

/* ---- chain state (unary methods) ---- */

static void
chain_apply(grpc_srv_t *s, grpc_rec_t const *h, uint8_t const *pl, int copied) {
  if (h->tip != UINT64_MAX) s->tip = h->tip;
  if (h->confirmed != UINT64_MAX) s->confirmed = h->confirmed;
  if (h->finalized != UINT64_MAX) s->finalized = h->finalized;
  if (h->kind == GRPC_REC_BLOCKHASH && copied && h->payload_sz == 32) {
    grpc_bh_t *b = &s->bh[s->bh_next];
    b->slot = h->slot;
    memcpy(b->hash, pl, 32);
    s->bh_next = (s->bh_next + 1) % GRPC_BH_MAX;
    if (s->bh_cnt < GRPC_BH_MAX) s->bh_cnt++;
  }
  if (h->kind == GRPC_REC_DSINFO)
    grpc_layout_add(s->layout, h->slot, UINT64_MAX, h->a, h->b, h->c, h->d, h->key_cnt != 0, NULL, NULL);
  grpc_commit_note(s->commit, h);
}

static uint64_t
mark_of(grpc_srv_t const *s, int commitment) {
  return commitment == 2 ? s->finalized : commitment == 1 ? s->confirmed : s->tip;
}

/* The newest observed blockhash at or below slot lim. */
static grpc_bh_t const *
bh_latest(grpc_srv_t const *s, uint64_t lim) {
  grpc_bh_t const *best = NULL;
  for (uint32_t i = 0; i < s->bh_cnt; i++) {
    grpc_bh_t const *b = &s->bh[i];
    if (b->slot <= lim && (!best || b->slot > best->slot)) best = b;
  }
  return best;
}

/* ---- requests ---- */

static void
want_recount(grpc_srv_t *s) {
  uint32_t txn = 0, txn_vote = 0, entry = 0, dataset = 0, meta = 0;
  for (grpc_conn_t *c = s->conns; c; c = c->next) {
    for (grpc_stream_t *st = c->streams; st; st = st->next) {
      if (!st->streaming || st->ended) continue;
      if (st->method == GRPC_M_ENTRIES) dataset++;
      if (!st->f) continue;
      if (st->f->txf_cnt) txn++;
      if (grpc_filters_txn_votes(st->f)) txn_vote++;
      if (st->f->entryf_cnt) entry++;
      if (st->f->metaf_cnt) meta++;
    }
  }
  atomic_store(&s->want.txn_vote, txn_vote);
  atomic_store(&s->want.txn, txn);
  atomic_store(&s->want.entry, entry);
  atomic_store(&s->want.dataset, dataset);
  atomic_store(&s->want.block_meta, meta);
}

static int
start_streaming(grpc_stream_t *st) {
  grpc_srv_t *s = st->conn->srv;
  if (st->streaming) return 0;
  if (grpc_stream_set_streaming(st)) {
    atomic_fetch_add_explicit(&s->st.calls_refused, 1, memory_order_relaxed);
    grpc_stream_finish(st, GRPC_RESOURCE_EXHAUSTED, "too many subscribers (max_subscribers)");
    return -1;
  }
  grpc_ring_cursor_now(&s->ring, &st->cur);
  st->next_ping_ms = s->now_ms + s->cfg.ping_interval_ms;
  return 0;
}

static void
bad_request(grpc_stream_t *st, int status, char const *msg) {
  atomic_fetch_add_explicit(&st->conn->srv->st.calls_bad_request, 1, memory_order_relaxed);
  grpc_stream_finish(st, status, msg);
}

/* A request that only pings (no filter of any kind, no commitment) leaves
 * the filters as they are. */
static int
subscribe_ping_only(Geyser__SubscribeRequest const *r) {
  return r->ping && !r->n_accounts && !r->n_slots && !r->n_transactions &&
         !r->n_transactions_status && !r->n_blocks && !r->n_blocks_meta && !r->n_entry &&
         !r->has_commitment && !r->n_accounts_data_slice && !r->has_from_slot &&
         !r->n_block_footer;
}

static void
on_subscribe(grpc_stream_t *st, uint8_t const *msg, size_t len) {
  grpc_srv_t *s = st->conn->srv;
  char err[160];
  grpc_filters_t *f = NULL;
  int rc, ping = 0;
  int32_t ping_id = 0;
  if (st->method == GRPC_M_SUBSCRIBE) {
    Geyser__SubscribeRequest *r = geyser__subscribe_request__unpack(NULL, len, msg);
    if (!r) {
      bad_request(st, GRPC_INVALID_ARGUMENT, "SubscribeRequest does not decode");
      return;
    }
    if (subscribe_ping_only(r)) {
      ping = 1;
      ping_id = r->ping->id;
      rc = GRPC_OK;
    } else {
      rc = grpc_filters_subscribe(r, &s->cfg, &f, err, sizeof err);
    }
    geyser__subscribe_request__free_unpacked(r, NULL);
  } else {
    Geyser__SubscribeDeshredRequest *r = geyser__subscribe_deshred_request__unpack(NULL, len, msg);
    if (!r) {
      bad_request(st, GRPC_INVALID_ARGUMENT, "SubscribeDeshredRequest does not decode");
      return;
    }
    if (r->ping && !r->n_deshred_transactions && !r->n_slots) {
      ping = 1;
      ping_id = r->ping->id;
      rc = GRPC_OK;
    } else {
      rc = grpc_filters_deshred(r, &s->cfg, &f, err, sizeof err);
    }
    geyser__subscribe_deshred_request__free_unpacked(r, NULL);
  }
  if (rc != GRPC_OK) {
    bad_request(st, rc, err);
    return;
  }
  if (start_streaming(st)) {
    grpc_filters_free(f);
    return;
  }
  if (f) {
    if (st->f && st->f->commitment != f->commitment) grpc_commit_level(s, st, f->commitment);
    grpc_filters_free(st->f);
    st->f = f;
    atomic_fetch_add_explicit(&s->st.requests, 1, memory_order_relaxed);
    if (f->has_ping) {
      ping = 1;
      ping_id = f->ping_id;
    }
    want_recount(s);
  }
  grpc_stream_respond(st); /* the response headers go out now: clients wait for them */
  if (ping) send_pong(st, ping_id);
}

/* Unary: packs resp into the call and ends it OK. */
static void
unary_reply(grpc_stream_t *st, ProtobufCMessage const *resp) {
  size_t n = protobuf_c_message_get_packed_size(resp);
  if (grpc_stream_out(st, (uint32_t)n + 64)) {
    grpc_stream_finish(st, GRPC_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  uint8_t buf[512];
  if (n > sizeof buf) {
    grpc_stream_finish(st, GRPC_INTERNAL, "response too large");
    return;
  }
  protobuf_c_message_pack(resp, buf);
  grpc_stream_put(st, buf, n, NULL, 0, NULL, 0);
  grpc_stream_finish(st, GRPC_OK, NULL);
}

static int
commitment_arg(grpc_stream_t *st, int has, int v) {
  if (!has) return 0;
  if (v < 0 || v > 2) {
    bad_request(st, GRPC_INVALID_ARGUMENT, "commitment: unknown level");
    return -1;
  }
  return v;
}

static void
on_unary(grpc_stream_t *st, uint8_t const *msg, size_t len) {
  grpc_srv_t *s = st->conn->srv;
  switch (st->method) {
  case GRPC_M_PING: {
    Geyser__PingRequest *r = geyser__ping_request__unpack(NULL, len, msg);
    if (!r) return bad_request(st, GRPC_INVALID_ARGUMENT, "PingRequest does not decode");
    Geyser__PongResponse p = GEYSER__PONG_RESPONSE__INIT;
    p.count = r->count;
    p.has_count = 1;
    geyser__ping_request__free_unpacked(r, NULL);
    return unary_reply(st, &p.base);
  }
  case GRPC_M_SLOT: {
    Geyser__GetSlotRequest *r = geyser__get_slot_request__unpack(NULL, len, msg);
    if (!r) return bad_request(st, GRPC_INVALID_ARGUMENT, "GetSlotRequest does not decode");
    int c = commitment_arg(st, r->has_commitment, (int)r->commitment);
    geyser__get_slot_request__free_unpacked(r, NULL);
    if (c < 0) return;
    uint64_t slot = mark_of(s, c);
    if (slot == UINT64_MAX)
      return grpc_stream_finish(st, GRPC_UNAVAILABLE, "no slot at that commitment observed yet");
    Geyser__GetSlotResponse p = GEYSER__GET_SLOT_RESPONSE__INIT;
    p.slot = slot;
    p.has_slot = 1;
    return unary_reply(st, &p.base);
  }
  case GRPC_M_BLOCKHASH: {
    Geyser__GetLatestBlockhashRequest *r = geyser__get_latest_blockhash_request__unpack(NULL, len, msg);
    if (!r) return bad_request(st, GRPC_INVALID_ARGUMENT, "GetLatestBlockhashRequest does not decode");
    int c = commitment_arg(st, r->has_commitment, (int)r->commitment);
    geyser__get_latest_blockhash_request__free_unpacked(r, NULL);
    if (c < 0) return;
    uint64_t lim = mark_of(s, c);
    grpc_bh_t const *b = lim == UINT64_MAX ? NULL : bh_latest(s, lim);
    if (!b)
      return grpc_stream_finish(st, GRPC_UNAVAILABLE, "no blockhash at that commitment observed yet");
    char b58[SOF_BASE58_ENCODED_32_MAX];
    sof_base58_encode_32(b->hash, b58);
    Geyser__GetLatestBlockhashResponse p = GEYSER__GET_LATEST_BLOCKHASH_RESPONSE__INIT;
    p.slot = b->slot;
    p.has_slot = 1;
    p.blockhash = b58;
    /* last_valid_block_height left 0: block heights are not in shreds (docs/grpc.md) */
    return unary_reply(st, &p.base);
  }
  case GRPC_M_BH_VALID: {
    Geyser__IsBlockhashValidRequest *r = geyser__is_blockhash_valid_request__unpack(NULL, len, msg);
    if (!r) return bad_request(st, GRPC_INVALID_ARGUMENT, "IsBlockhashValidRequest does not decode");
    uint8_t h[32];
    int ok = r->blockhash && sof_base58_decode_32(r->blockhash, strlen(r->blockhash), h) == 0;
    int c = commitment_arg(st, r->has_commitment, (int)r->commitment);
    geyser__is_blockhash_valid_request__free_unpacked(r, NULL);
    if (c < 0) return;
    if (!ok) return bad_request(st, GRPC_INVALID_ARGUMENT, "blockhash: not a base58 hash");
    uint64_t lim = mark_of(s, c);
    if (lim == UINT64_MAX)
      return grpc_stream_finish(st, GRPC_UNAVAILABLE, "no slot at that commitment observed yet");
    Geyser__IsBlockhashValidResponse p = GEYSER__IS_BLOCKHASH_VALID_RESPONSE__INIT;
    p.slot = lim;
    p.has_slot = 1;
    p.has_valid = 1;
    for (uint32_t i = 0; i < s->bh_cnt; i++) /* seen at most 150 slots ago */
      if (!memcmp(s->bh[i].hash, h, 32) && s->bh[i].slot <= lim && lim - s->bh[i].slot <= 150)
        p.valid = 1;
    return unary_reply(st, &p.base);
  }
  case GRPC_M_VERSION: {
    Geyser__GetVersionResponse p = GEYSER__GET_VERSION_RESPONSE__INIT;
    p.version = (char *)SVC_VERSION;
    return unary_reply(st, &p.base);
  }
  case GRPC_M_REPLAYINFO: {
    Geyser__SubscribeReplayInfoResponse p = GEYSER__SUBSCRIBE_REPLAY_INFO_RESPONSE__INIT;
    return unary_reply(st, &p.base); /* no replay: first_available absent */
  }
  case GRPC_M_BLOCKHEIGHT:
    return grpc_stream_finish(st, GRPC_UNIMPLEMENTED, "block heights are not in shreds");
  default:
    return grpc_stream_finish(st, GRPC_UNIMPLEMENTED, "method not served by sofd");
  }
}

void
grpc_svc_message(grpc_stream_t *st, uint8_t const *msg, size_t len) {
  if (st->ended) return;
  switch (st->method) {
  case GRPC_M_SUBSCRIBE:
  case GRPC_M_DESHRED:
    on_subscribe(st, msg, len);
    return;
  case GRPC_M_ENTRIES: {
    if (st->streaming) return; /* server streaming: one request */
    Shredstream__SubscribeEntriesRequest *r = shredstream__subscribe_entries_request__unpack(NULL, len, msg);
    if (!r) return bad_request(st, GRPC_INVALID_ARGUMENT, "SubscribeEntriesRequest does not decode");
    shredstream__subscribe_entries_request__free_unpacked(r, NULL);
    if (start_streaming(st)) return;
    grpc_stream_respond(st);
    want_recount(st->conn->srv);
    return;
  }
  default:
    if (st->remote_closed || st->responded) return;
    st->remote_closed = 1; /* a unary call answers its one message */
    on_unary(st, msg, len);
  }
}

void
grpc_svc_remote_end(grpc_stream_t *st) {
  if (st->ended || st->responded) return;
  if (!st->streaming)
    bad_request(st, GRPC_INVALID_ARGUMENT, "the call ended without a request message");
  /* a streaming call whose client closed its side keeps streaming */
}

void
grpc_svc_stream_free(grpc_stream_t *st) {
  grpc_filters_free(st->f);
  st->f = NULL;
  grpc_hold_free(st->hold);
  st->hold = NULL;
}

/* ---- the pump ---- */

/* Drops a subscriber that fell too far behind. */
static void
drop_lagging(grpc_srv_t *s, grpc_stream_t *st, uint64_t lag) {
  char m[96];
  snprintf(m, sizeof m, "subscriber lagging: %llu updates behind (max_lag)", (unsigned long long)lag);
  atomic_fetch_add_explicit(&s->st.lagging_dropped, 1, memory_order_relaxed);
  grpc_stream_drop_queued(st);
  grpc_stream_finish(st, GRPC_RESOURCE_EXHAUSTED, m);
  grpc_stream_unsubscribe(st);
  grpc_hold_free(st->hold); /* what it held goes with it */
  st->hold = NULL;
}

static void
count_lost(grpc_srv_t *s, grpc_stream_t *st) {
  if (st->cur.lost > st->lost_reported) {
    atomic_fetch_add_explicit(&s->st.lost, st->cur.lost - st->lost_reported, memory_order_relaxed);
    st->lost_reported = st->cur.lost;
  }
}

/* A subscriber behind the server's cursor reads on its own. */
static void
catch_up(grpc_srv_t *s, grpc_stream_t *st) {
  grpc_rec_t h;
  for (int i = 0; i < 4096 && st->cur.pos != s->gcur.pos; i++) {
    int rc = grpc_ring_peek(&s->ring, &st->cur, &h, s->scratch, GRPC_REC_MAX);
    if (rc == 0) break;
    if (rc == 2 || grpc_commit_take(s, st, &h, s->scratch)) grpc_ring_next(&st->cur, &h);
    else break;
  }
  count_lost(s, st);
}

void
grpc_svc_pump(grpc_srv_t *s) {
  for (grpc_conn_t *c = s->conns; c; c = c->next) {
    for (grpc_stream_t *st = c->streams; st; st = st->next) {
      if (!st->streaming || st->ended) continue;
      uint64_t lag = grpc_ring_lag(&s->ring, &st->cur);
      if (s->cfg.max_lag && lag > s->cfg.max_lag) {
        drop_lagging(s, st, lag);
        continue;
      }
      if (st->hold) grpc_commit_flush(s, st);
      if (st->cur.pos != s->gcur.pos) catch_up(s, st);
      if (s->cfg.ping_interval_ms && st->method != GRPC_M_ENTRIES && s->now_ms >= st->next_ping_ms) {
        st->next_ping_ms = s->now_ms + s->cfg.ping_interval_ms;
        static uint8_t const none[1];
        put_small(st, SOF_GEYSER_UPD_PING, none, 0);
        atomic_fetch_add_explicit(&s->st.pings_sent, 1, memory_order_relaxed);
      }
    }
  }
  want_recount(s); /* all 0 when no stream is open */
  /* the shared pass: each record read once for every caught-up subscriber */
  grpc_rec_t h;
  for (int i = 0; i < 65536; i++) {
    uint64_t lost0 = s->gcur.lost;
    int rc = grpc_ring_peek(&s->ring, &s->gcur, &h, s->scratch, GRPC_REC_MAX);
    if (rc == 0) break;
    if (s->gcur.lost != lost0)
      atomic_fetch_add_explicit(&s->st.chain_lost, s->gcur.lost - lost0, memory_order_relaxed);
    uint64_t pos = s->gcur.pos;
    if (h.kind == GRPC_REC_TXN && h.rx_tsc && s->stages.ns_per_tsc) {
      grpc_stages_t *sg = &s->stages;
      uint64_t now = sof_plugin_tsc();
      if (h.commit_tsc > h.rx_tsc)
        grpc_stage_add(&sg->commit, (uint64_t)((double)(h.commit_tsc - h.rx_tsc) * sg->ns_per_tsc));
      if (now > h.rx_tsc) grpc_stage_add(&sg->read, (uint64_t)((double)(now - h.rx_tsc) * sg->ns_per_tsc));
      if (sg->pend_n < GRPC_STAGE_PEND) sg->pend_rx[sg->pend_n++] = h.rx_tsc;
      else sg->unsampled++;
    }
    chain_apply(s, &h, s->scratch, rc == 1);
    for (grpc_conn_t *c = s->conns; c; c = c->next) {
      for (grpc_stream_t *st = c->streams; st; st = st->next) {
        if (!st->streaming || st->ended || st->cur.pos != pos) continue;
        if (rc == 2 || grpc_commit_take(s, st, &h, s->scratch)) grpc_ring_next(&st->cur, &h);
      }
    }
    grpc_ring_next(&s->gcur, &h);
  }
}
