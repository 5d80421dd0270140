/* sof_provider_ws.c: the websocket provider client (see the header). */
#define _GNU_SOURCE
#include "provider/sof_provider_ws.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libwebsockets.h>
#include <openssl/evp.h>

#include "wire/sof_base58.h"

#define WS_MSG_MAX (4u << 20)

/* ---- decoding ------------------------------------------------------------------ */

static int get_u64(json_t const *o, char const *k, uint64_t *v) {
  json_t const *x = json_object_get(o, k);
  if (!json_is_integer(x) || json_integer_value(x) < 0) return -1;
  *v = (uint64_t)json_integer_value(x);
  return 0;
}

/* One transaction of a notification: tw = {"transaction": [base64,
 * "base64"], "meta": {...}}; sig: the notification's "signature" or NULL. */
static int dec_txn_body(json_t const *tw, json_t const *sig, uint64_t slot, sof_pmsg_txn_t *t) {
  memset(t, 0, offsetof(sof_pmsg_txn_t, tx));
  t->slot = slot;
  json_t const *enc = json_object_get(tw, "transaction");
  if (!json_is_array(enc) || json_array_size(enc) != 2 || !json_is_string(json_array_get(enc, 0)) ||
      strcmp(json_string_value(json_array_get(enc, 1)) ? json_string_value(json_array_get(enc, 1)) : "", "base64"))
    return -SOF_PMSG_REJ_NO_TXN;
  char const *b64 = json_string_value(json_array_get(enc, 0));
  size_t bl = json_string_length(json_array_get(enc, 0));
  if (bl % 4 || bl / 4 * 3 > SOF_TXN_MTU + 2) return -SOF_PMSG_REJ_TX_TOO_LARGE;
  uint8_t raw[SOF_TXN_MTU + 3];
  int n = EVP_DecodeBlock(raw, (unsigned char const *)b64, (int)bl);
  if (n < 0) return -SOF_PMSG_REJ_TX_PARSE;
  if (bl && b64[bl - 1] == '=') n--;
  if (bl > 1 && b64[bl - 2] == '=') n--;
  if (n <= 0 || n > (int)SOF_TXN_MTU) return -SOF_PMSG_REJ_TX_TOO_LARGE;
  sof_txn_t parsed;
  if (sof_txn_parse(&parsed, raw, (size_t)n, NULL) != SOF_TXN_OK) return -SOF_PMSG_REJ_TX_PARSE;
  memcpy(t->tx, raw, (size_t)n);
  t->tx_sz = (uint16_t)n;
  memcpy(t->signature, raw + parsed.sig_off, 64);
  if (sig) {
    uint8_t s[64];
    if (!json_is_string(sig) || sof_base58_decode_64(json_string_value(sig), json_string_length(sig), s))
      return -SOF_PMSG_REJ_SIG_SIZE;
    if (memcmp(s, t->signature, 64)) return -SOF_PMSG_REJ_SIG_MISMATCH;
  }
  t->is_vote = parsed.kind == SOF_TXN_KIND_VOTE_ONLY;
  json_t const *m = json_object_get(tw, "meta");
  if (json_is_object(m)) {
    t->has_meta = 1;
    json_t const *e = json_object_get(m, "err");
    if (e && !json_is_null(e)) {
      t->failed = 1;
      char *txt = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
      if (txt) {
        size_t l = strlen(txt);
        t->err_sz = (uint32_t)l;
        memcpy(t->err, txt, l < SOF_PMSG_ERR_MAX ? l : SOF_PMSG_ERR_MAX);
        free(txt);
      }
    }
    get_u64(m, "fee", &t->fee);
    json_t const *lm = json_object_get(m, "logMessages");
    if (json_is_array(lm)) t->log_cnt = (uint32_t)json_array_size(lm);
    else t->log_none = 1;
    if (!get_u64(m, "computeUnitsConsumed", &t->compute_units)) t->has_cu = 1;
  }
  return SOF_PMSG_TXN;
}

static int dec_txn(json_t const *r, sof_pmsg_txn_t *t) {
  uint64_t slot;
  if (get_u64(r, "slot", &slot)) return -SOF_PMSG_REJ_NO_SLOT;
  return dec_txn_body(json_object_get(r, "transaction"), json_object_get(r, "signature"), slot, t);
}

/* A blockNotification's result: {"context":{"slot"}, "value":{"slot",
 * "err", "block":{"parentSlot", "blockhash", "transactions":[...]}}}. */
static int dec_block(json_t const *res, sof_pmsg_t *out, sof_pws_emit_t emit, void *ctx) {
  json_t const *v = json_object_get(res, "value");
  uint64_t slot;
  if (!json_is_object(v) || get_u64(v, "slot", &slot)) return -SOF_PMSG_REJ_NO_SLOT;
  json_t const *b = json_object_get(v, "block");
  if (json_is_null(b) || !b) return 0; /* an error notice for the slot (value.err): nothing to deliver */
  json_t const *txs = json_object_get(b, "transactions");
  if (!json_is_object(b) || (txs && !json_is_array(txs))) return -SOF_PMSG_REJ_NO_TXN;
  uint64_t parent;
  if (get_u64(b, "parentSlot", &parent)) parent = UINT64_MAX;
  int cnt = 0;
  out->kind = SOF_PMSG_SLOT;
  out->created_at_ns = 0;
  out->slot = (sof_pmsg_slot_t){.slot = slot, .parent = parent, .status = SOF_PMSG_SLOT_FIRST_SHRED};
  emit(ctx, out, 0);
  cnt++;
  for (size_t i = 0; i < json_array_size(txs); i++) {
    int k = dec_txn_body(json_array_get(txs, i), NULL, slot, &out->txn);
    if (k < 0) {
      emit(ctx, NULL, -k);
      continue;
    }
    out->kind = SOF_PMSG_TXN;
    emit(ctx, out, 0);
    cnt++;
  }
  out->kind = SOF_PMSG_SLOT;
  out->slot = (sof_pmsg_slot_t){.slot = slot, .parent = parent, .status = SOF_PMSG_SLOT_PROCESSED};
  emit(ctx, out, 0);
  return cnt + 1;
}

static int decode_root(char const *json, size_t len, sof_pmsg_t *out, sof_pws_emit_t emit, void *ctx) {
  if (len > WS_MSG_MAX) return -SOF_PMSG_REJ_TOO_LARGE;
  json_error_t je;
  json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
  if (!json_is_object(root)) {
    json_decref(root);
    return -SOF_PMSG_REJ_UNPACK;
  }
  int rc = SOF_PMSG_OTHER;
  char const *method = json_string_value(json_object_get(root, "method"));
  json_t const *res = json_object_get(json_object_get(root, "params"), "result");
  out->created_at_ns = 0;
  if (method && !strcmp(method, "transactionNotification")) {
    rc = json_is_object(res) ? dec_txn(res, &out->txn) : -SOF_PMSG_REJ_NO_TXN;
  } else if (method && !strcmp(method, "slotNotification")) {
    if (!json_is_object(res) || get_u64(res, "slot", &out->slot.slot)) {
      rc = -SOF_PMSG_REJ_NO_SLOT;
    } else {
      if (get_u64(res, "parent", &out->slot.parent)) out->slot.parent = UINT64_MAX;
      out->slot.status = SOF_PMSG_SLOT_PROCESSED;
      rc = SOF_PMSG_SLOT;
    }
  } else if (method && !strcmp(method, "blockNotification") && emit) {
    rc = json_is_object(res) ? dec_block(res, out, emit, ctx) : -SOF_PMSG_REJ_NO_SLOT;
    json_decref(root);
    return rc;
  }
  if (rc > 0) out->kind = rc;
  json_decref(root);
  if (emit && rc > 0) {
    if (rc == SOF_PMSG_OTHER) return 0;
    emit(ctx, out, 0);
    return 1;
  }
  return rc;
}

int sof_pws_decode(char const *json, size_t len, sof_pmsg_t *out) {
  return decode_root(json, len, out, NULL, NULL);
}

int sof_pws_decode_each(char const *json, size_t len, sof_pmsg_t *scratch, sof_pws_emit_t emit, void *ctx) {
  return decode_root(json, len, scratch, emit, ctx);
}

/* ---- the client -------------------------------------------------------------------- */

struct sof_pws {
  sof_pgrpc_cfg_t    cfg;
  char               pool[8192];
  size_t             pool_len;
  char               host[256], path[512];
  int                port, tls;
  sof_pgrpc_on_msg_t on_msg;
  void              *ctx;
  pthread_t          th;
  int                started, stop;
  sof_pgrpc_stats_t  st;
  struct lws_context *lctx;
  struct lws        *wsi;
  int                done, established, sent;
  uint8_t           *msg;            /* a message's fragments */
  size_t             msg_len, msg_cap;
  uint64_t           last_slot, gap_base, last_rx_ms;
  int                gap_pending;
  uint64_t           delivered;
  sof_pmsg_t         m;
  char               out[LWS_PRE + 4096];
};

#define ST_ADD(c, f, n) __atomic_store_n(&(c)->st.f, (c)->st.f + (n), __ATOMIC_RELAXED)
#define ST_SET(c, f, v) __atomic_store_n(&(c)->st.f, (v), __ATOMIC_RELAXED)

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void sof_pws_stats(sof_pws_t const *c, sof_pgrpc_stats_t *out) {
  uint64_t const *s = (uint64_t const *)&c->st;
  uint64_t *d = (uint64_t *)out;
  for (size_t i = 0; i < sizeof *out / sizeof(uint64_t); i++) d[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

static void saw_slot(sof_pws_t *c, uint64_t slot) {
  if (c->gap_pending) {
    c->gap_pending = 0;
    if (slot > c->gap_base + 1) ST_ADD(c, gap_slots, slot - c->gap_base - 1);
  }
  if (c->last_slot == UINT64_MAX || slot > c->last_slot) {
    c->last_slot = slot;
    ST_SET(c, last_slot, slot);
  }
}

static void emit_one(void *ctx, sof_pmsg_t const *m, int rej) {
  sof_pws_t *c = ctx;
  if (!m) { /* a block's transaction that did not decode */
    ST_ADD(c, rejected, 1);
    ST_ADD(c, rejected_by[rej], 1);
    return;
  }
  if (m->kind == SOF_PMSG_TXN) {
    saw_slot(c, m->txn.slot);
    ST_ADD(c, transactions, 1);
    if (m->txn.failed) ST_ADD(c, transactions_failed, 1);
  } else {
    saw_slot(c, m->slot.slot);
    ST_ADD(c, slots, 1);
  }
  c->delivered++;
  c->on_msg(c->ctx, m);
}

static void deliver(sof_pws_t *c) {
  ST_ADD(c, messages, 1);
  int k = sof_pws_decode_each((char const *)c->msg, c->msg_len, &c->m, emit_one, c);
  if (k < 0) {
    ST_ADD(c, rejected, 1);
    ST_ADD(c, rejected_by[-k], 1);
  } else if (k == 0) {
    ST_ADD(c, others, 1);
  }
}

static size_t sub_request(sof_pws_t *c, char *buf, size_t cap, int which) {
  json_t *r = json_object();
  json_object_set_new(r, "jsonrpc", json_string("2.0"));
  json_object_set_new(r, "id", json_integer(which + 1));
  static char const *const cm[] = {"processed", "confirmed", "finalized"};
  if (which == 0 && c->cfg.ws_blocks) {
    json_object_set_new(r, "method", json_string("blockSubscribe"));
    json_t *p = json_array();
    if (c->cfg.account_include[0]) {
      json_t *f = json_object();
      json_object_set_new(f, "mentionsAccountOrProgram", json_string(c->cfg.account_include[0]));
      json_array_append_new(p, f);
    } else {
      json_array_append_new(p, json_string("all"));
    }
    json_t *o = json_object();
    json_object_set_new(o, "commitment", json_string(cm[c->cfg.commitment]));
    json_object_set_new(o, "encoding", json_string("base64"));
    json_object_set_new(o, "transactionDetails", json_string("full"));
    json_object_set_new(o, "showRewards", json_false());
    json_object_set_new(o, "maxSupportedTransactionVersion", json_integer(0));
    json_array_append_new(p, o);
    json_object_set_new(r, "params", p);
  } else if (which == 0) {
    json_object_set_new(r, "method", json_string("transactionSubscribe"));
    json_t *f = json_object();
    if (c->cfg.vote >= 0) json_object_set_new(f, "vote", json_boolean(c->cfg.vote));
    if (c->cfg.failed >= 0) json_object_set_new(f, "failed", json_boolean(c->cfg.failed));
    char const *const *lists[3] = {c->cfg.account_include, c->cfg.account_exclude, c->cfg.account_required};
    static char const *const names[3] = {"accountInclude", "accountExclude", "accountRequired"};
    for (int l = 0; l < 3; l++) {
      if (!lists[l][0]) continue;
      json_t *a = json_array();
      for (int i = 0; i < SOF_PGRPC_FILTER_MAX && lists[l][i]; i++) json_array_append_new(a, json_string(lists[l][i]));
      json_object_set_new(f, names[l], a);
    }
    json_t *o = json_object();
    json_object_set_new(o, "commitment", json_string(cm[c->cfg.commitment]));
    json_object_set_new(o, "encoding", json_string("base64"));
    json_object_set_new(o, "transactionDetails", json_string("full"));
    json_object_set_new(o, "showRewards", json_false());
    json_object_set_new(o, "maxSupportedTransactionVersion", json_integer(0));
    json_t *p = json_array();
    json_array_append_new(p, f);
    json_array_append_new(p, o);
    json_object_set_new(r, "params", p);
  } else {
    json_object_set_new(r, "method", json_string("slotSubscribe"));
  }
  size_t n = json_dumpb(r, buf, cap, JSON_COMPACT);
  json_decref(r);
  return n <= cap ? n : 0;
}

static int ws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
  (void)user;
  sof_pws_t *c = lws_context_user(lws_get_context(wsi));
  switch (reason) {
  case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
    if (c->cfg.x_token) {
      unsigned char **p = in, *end = *p + len;
      if (lws_add_http_header_by_name(wsi, (unsigned char const *)"x-token:",
                                      (unsigned char const *)c->cfg.x_token, (int)strlen(c->cfg.x_token), p, end))
        return -1;
    }
    break;
  case LWS_CALLBACK_CLIENT_ESTABLISHED:
    c->established = 1;
    ST_SET(c, state, SOF_PGRPC_ST_STREAMING);
    ST_ADD(c, streams, 1);
    c->last_rx_ms = now_ms();
    lws_callback_on_writable(wsi);
    break;
  case LWS_CALLBACK_CLIENT_WRITEABLE: {
    int want = (c->cfg.transactions ? 1 : 0) + (c->cfg.slots ? 1 : 0);
    if (c->sent >= want) break;
    int which = c->sent == 0 && c->cfg.transactions ? 0 : 1;
    size_t n = sub_request(c, c->out + LWS_PRE, sizeof c->out - LWS_PRE, which);
    if (!n || lws_write(wsi, (unsigned char *)c->out + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n) return -1;
    ST_ADD(c, bytes_tx, n);
    c->sent++;
    if (c->sent < want) lws_callback_on_writable(wsi);
    break;
  }
  case LWS_CALLBACK_CLIENT_RECEIVE:
    ST_ADD(c, bytes_rx, len);
    c->last_rx_ms = now_ms();
    if (c->msg_len + len > WS_MSG_MAX) {
      ST_ADD(c, rejected, 1);
      ST_ADD(c, rejected_by[SOF_PMSG_REJ_TOO_LARGE], 1);
      return -1;
    }
    if (c->msg_len + len > c->msg_cap) {
      size_t cap = c->msg_cap;
      while (cap < c->msg_len + len) cap *= 2;
      uint8_t *b = realloc(c->msg, cap);
      if (!b) return -1;
      c->msg = b;
      c->msg_cap = cap;
    }
    memcpy(c->msg + c->msg_len, in, len);
    c->msg_len += len;
    if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
      deliver(c);
      c->msg_len = 0;
    }
    break;
  case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    ST_ADD(c, connect_failures, 1);
    c->done = 1;
    c->wsi = NULL;
    break;
  case LWS_CALLBACK_CLIENT_CLOSED:
  case LWS_CALLBACK_WSI_DESTROY:
    if (!c->done && c->established && now_ms() - c->last_rx_ms >= c->cfg.idle_ms) ST_ADD(c, idle_timeouts, 1);
    c->done = 1;
    c->wsi = NULL;
    break;
  default:
    break;
  }
  return 0;
}

static struct lws_protocols const protocols[] = {{"sof-provider", ws_cb, 0, 65536, 0, NULL, 0},
                                                 {NULL, NULL, 0, 0, 0, NULL, 0}};

static char const *dup_str(sof_pws_t *c, char const *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  if (n > sizeof c->pool - c->pool_len) return NULL;
  char *d = c->pool + c->pool_len;
  memcpy(d, s, n);
  c->pool_len += n;
  return d;
}

sof_pws_t *sof_pws_new(sof_pgrpc_cfg_t const *cfg, sof_pgrpc_on_msg_t on_msg, void *ctx, char *err, size_t err_sz) {
  char const *u = cfg->url;
  int tls;
  if (!u) { snprintf(err, err_sz, "provider url is empty"); return NULL; }
  if (!strncmp(u, "ws://", 5)) { tls = 0; u += 5; }
  else if (!strncmp(u, "wss://", 6)) { tls = 1; u += 6; }
  else { snprintf(err, err_sz, "provider url %s: the scheme must be ws:// or wss://", cfg->url); return NULL; }
  size_t hl = strcspn(u, ":/");
  if (!hl || hl >= 256) { snprintf(err, err_sz, "provider url %s: no host", cfg->url); return NULL; }
  if (cfg->ws_blocks && cfg->account_include[0] && cfg->account_include[1]) {
    snprintf(err, err_sz, "blockSubscribe takes one account (mentionsAccountOrProgram): account_include names more");
    return NULL;
  }
  sof_pws_t *c = calloc(1, sizeof *c);
  if (!c) { snprintf(err, err_sz, "out of memory"); return NULL; }
  memcpy(c->host, u, hl);
  c->tls = tls;
  c->port = tls ? 443 : 80;
  char const *rest = u + hl;
  if (*rest == ':') {
    char *end;
    long p = strtol(rest + 1, &end, 10);
    if (end == rest + 1 || p < 1 || p > 65535 || (*end && *end != '/')) {
      snprintf(err, err_sz, "provider url %s: bad port", cfg->url);
      free(c);
      return NULL;
    }
    c->port = (int)p;
    rest = end;
  }
  snprintf(c->path, sizeof c->path, "%s", *rest ? rest : "/");
  c->cfg = *cfg;
  memset(c->cfg.account_include, 0, sizeof c->cfg.account_include);
  memset(c->cfg.account_exclude, 0, sizeof c->cfg.account_exclude);
  memset(c->cfg.account_required, 0, sizeof c->cfg.account_required);
  c->cfg.url = dup_str(c, cfg->url);
  c->cfg.x_token = dup_str(c, cfg->x_token);
  c->cfg.ca_file = dup_str(c, cfg->ca_file);
  for (int i = 0; i < SOF_PGRPC_FILTER_MAX; i++) {
    c->cfg.account_include[i] = dup_str(c, cfg->account_include[i]);
    c->cfg.account_exclude[i] = dup_str(c, cfg->account_exclude[i]);
    c->cfg.account_required[i] = dup_str(c, cfg->account_required[i]);
  }
  c->on_msg = on_msg;
  c->ctx = ctx;
  c->last_slot = UINT64_MAX;
  c->msg_cap = 65536;
  if (!(c->msg = malloc(c->msg_cap))) {
    free(c);
    snprintf(err, err_sz, "out of memory");
    return NULL;
  }
  return c;
}

static void *ws_main(void *arg) {
  sof_pws_t *c = arg;
  lws_set_log_level(0, NULL);
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = protocols;
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.client_ssl_ca_filepath = c->cfg.ca_file;
  info.user = c;
  info.gid = -1;
  info.uid = -1;
  c->lctx = lws_create_context(&info);
  if (!c->lctx) return NULL;
  uint32_t backoff = c->cfg.backoff_min_ms;
  int first = 1;
  while (!__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) {
    if (!first) {
      ST_ADD(c, reconnects, 1);
      if (c->last_slot != UINT64_MAX && !c->gap_pending) { /* no replay over websockets */
        ST_ADD(c, gaps, 1);
        c->gap_pending = 1;
        c->gap_base = c->last_slot;
      }
    }
    first = 0;
    c->done = c->established = c->sent = 0;
    c->delivered = 0;
    c->msg_len = 0;
    ST_SET(c, state, SOF_PGRPC_ST_CONNECTING);
    ST_ADD(c, connects, 1);
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = c->lctx;
    ci.address = c->host;
    ci.port = c->port;
    ci.path = c->path;
    ci.host = c->host;
    ci.origin = c->host;
    ci.ssl_connection = c->tls ? (LCCSCF_USE_SSL | (c->cfg.tls_verify ? 0 : LCCSCF_ALLOW_SELFSIGNED |
                                   LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_INSECURE)) : 0;
    ci.protocol = NULL;
    ci.pwsi = &c->wsi;
    /* lws pings after half of idle_ms without traffic and hangs up after
     * idle_ms (lws_service sleeps until an event: the idle check is its) */
    lws_retry_bo_t idle = {.secs_since_valid_ping = (uint16_t)(c->cfg.idle_ms / 2000u ? c->cfg.idle_ms / 2000u : 1),
                           .secs_since_valid_hangup = (uint16_t)(c->cfg.idle_ms / 1000u > 1 ? c->cfg.idle_ms / 1000u : 2)};
    ci.retry_and_idle_policy = &idle;
    if (!lws_client_connect_via_info(&ci)) {
      ST_ADD(c, connect_failures, 1);
      c->done = 1;
    }
    c->last_rx_ms = now_ms();
    /* lws_service returns on an event, a timer or lws_cancel_service (stop) */
    while (!c->done && !__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) lws_service(c->lctx, 0);
    if (__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) break;
    if (c->delivered) backoff = c->cfg.backoff_min_ms;
    ST_SET(c, state, SOF_PGRPC_ST_BACKOFF);
    for (uint64_t t0 = now_ms(); now_ms() - t0 < backoff && !__atomic_load_n(&c->stop, __ATOMIC_RELAXED);)
      usleep(20000);
    backoff = backoff * 2 > c->cfg.backoff_max_ms ? c->cfg.backoff_max_ms : backoff * 2;
  }
  lws_context_destroy(c->lctx);
  c->lctx = NULL;
  ST_SET(c, state, SOF_PGRPC_ST_IDLE);
  return NULL;
}

int sof_pws_start(sof_pws_t *c) {
  if (c->started) return 0;
  __atomic_store_n(&c->stop, 0, __ATOMIC_RELAXED);
  int r = pthread_create(&c->th, NULL, ws_main, c);
  if (r) { errno = r; return -1; }
  pthread_setname_np(c->th, "sof-provider-ws");
  c->started = 1;
  return 0;
}

void sof_pws_stop(sof_pws_t *c) {
  if (!c || !c->started) return;
  __atomic_store_n(&c->stop, 1, __ATOMIC_RELAXED);
  if (c->lctx) lws_cancel_service(c->lctx);
  pthread_join(c->th, NULL);
  c->started = 0;
}

void sof_pws_delete(sof_pws_t *c) {
  if (!c) return;
  sof_pws_stop(c);
  free(c->msg);
  free(c);
}
