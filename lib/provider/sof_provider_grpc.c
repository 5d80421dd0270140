/* sof_provider_grpc.c: the Yellowstone gRPC client (see the header).
 *
 * Library choice: HTTP/2 framing, HPACK and flow control come from
 * libnghttp2's client session, TLS (ALPN h2, SNI, verification) from
 * OpenSSL, protobuf from the protobuf-c code generated from proto/; what is
 * written here is the socket loop, the gRPC length-prefixed framing (5
 * bytes), the SubscribeRequest and the resume / dedupe / gap logic. */
#define _GNU_SOURCE
#include "provider/sof_provider_grpc.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "geyser.pb-c.h"

#define STR_POOL 8192
#define IO_BUF   65536
#define CONNECT_TIMEOUT_MS 5000

typedef struct sig_ent {
  uint32_t gen;
  uint8_t  sig[64];
} sig_ent_t;

struct sof_pgrpc {
  sof_pgrpc_cfg_t    cfg;
  char               pool[STR_POOL];
  size_t             pool_len;
  char               host[256];
  char               port[8];
  char               authority[272];
  int                tls;
  sof_pgrpc_on_msg_t on_msg;
  void              *ctx;
  pthread_t          th;
  int                started;
  int                stop;          /* atomic */
  sof_pgrpc_stats_t  st;            /* atomic fields (writer: the client thread) */

  /* connection */
  int              fd;
  SSL_CTX         *sslctx;
  SSL             *ssl;
  nghttp2_session *h2;
  int32_t          sid;
  uint8_t         *req;
  size_t           req_len, req_off;
  uint8_t         *fbuf;            /* gRPC frame reassembly */
  size_t           flen, fcap, fneed;
  int              done;            /* the stream or the connection ended */
  int              grpc_status;     /* -1: none received */
  char             grpc_msg[128];
  int              http_status;
  int              asked_from;      /* this stream's request carried from_slot */
  uint64_t         delivered;       /* updates delivered on this stream */
  uint64_t         last_rx_ms;

  /* resume */
  uint64_t   last_slot;             /* UINT64_MAX: none yet */
  int        no_from_next;          /* the server refused from_slot */
  int        gap_pending;           /* measure the gap at the first slot */
  uint64_t   gap_base;
  sig_ent_t *sigs;                  /* open addressing, power of two */
  uint32_t   sig_mask, sig_cnt, sig_gen;
  uint64_t   sig_slot;              /* the slot the table holds */
  sof_pmsg_t msg;                   /* the update being delivered */
  uint8_t    io[IO_BUF];
};

/* ---- counters ----------------------------------------------------------------- */

#define ST_ADD(c, f, n) __atomic_store_n(&(c)->st.f, (c)->st.f + (n), __ATOMIC_RELAXED)
#define ST_SET(c, f, v) __atomic_store_n(&(c)->st.f, (v), __ATOMIC_RELAXED)

void sof_pgrpc_stats(sof_pgrpc_t const *c, sof_pgrpc_stats_t *out) {
  uint64_t const *src = (uint64_t const *)&c->st;
  uint64_t *dst = (uint64_t *)out;
  for (size_t i = 0; i < sizeof *out / sizeof(uint64_t); i++)
    dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int stopping(sof_pgrpc_t *c) { return __atomic_load_n(&c->stop, __ATOMIC_RELAXED); }

/* ---- configuration ------------------------------------------------------------- */

void sof_pgrpc_cfg_default(sof_pgrpc_cfg_t *c) {
  memset(c, 0, sizeof *c);
  c->tls_verify = 1;
  c->vote = -1;
  c->failed = -1;
  c->transactions = 1;
  c->slots = 1;
  c->resume = 1;
  c->from_slot = UINT64_MAX;
  c->backoff_min_ms = 100;
  c->backoff_max_ms = 10000;
  c->idle_ms = 30000;
  c->dedupe_max = 65536;
}

static char const *dup_str(sof_pgrpc_t *c, char const *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  if (n > STR_POOL - c->pool_len) return NULL;
  char *d = c->pool + c->pool_len;
  memcpy(d, s, n);
  c->pool_len += n;
  return d;
}

static int dup_list(sof_pgrpc_t *c, char const **dst, char const *const *src) {
  for (int i = 0; i < SOF_PGRPC_FILTER_MAX && src[i]; i++)
    if (!(dst[i] = dup_str(c, src[i]))) return -1;
  return 0;
}

sof_pgrpc_t *sof_pgrpc_new(sof_pgrpc_cfg_t const *cfg, sof_pgrpc_on_msg_t on_msg, void *ctx,
                           char *err, size_t err_sz) {
  char const *u = cfg->url;
  int tls;
  if (!u || !*u) { snprintf(err, err_sz, "provider url is empty"); return NULL; }
  if (!strncmp(u, "http://", 7)) { tls = 0; u += 7; }
  else if (!strncmp(u, "https://", 8)) { tls = 1; u += 8; }
  else { snprintf(err, err_sz, "provider url %s: the scheme must be http:// or https://", cfg->url); return NULL; }
  size_t hl = strcspn(u, ":/");
  if (hl == 0 || hl >= 256) { snprintf(err, err_sz, "provider url %s: no host (or longer than 255)", cfg->url); return NULL; }
  if (u[0] == '[') { snprintf(err, err_sz, "provider url %s: IPv6 literals are not supported", cfg->url); return NULL; }
  char port[8] = "";
  char const *rest = u + hl;
  if (*rest == ':') {
    size_t pl = strcspn(rest + 1, "/");
    char *end;
    unsigned long p = pl && pl < 6 ? strtoul(rest + 1, &end, 10) : 0;
    if (!pl || pl >= 6 || end != rest + 1 + pl || p == 0 || p > 65535) {
      snprintf(err, err_sz, "provider url %s: bad port", cfg->url);
      return NULL;
    }
    snprintf(port, sizeof port, "%lu", p);
    rest += 1 + pl;
  } else {
    snprintf(port, sizeof port, "%s", tls ? "443" : "80");
  }
  if (*rest && strcmp(rest, "/")) { snprintf(err, err_sz, "provider url %s: a path is not supported", cfg->url); return NULL; }
  if (cfg->commitment < 0 || cfg->commitment > 2) { snprintf(err, err_sz, "provider commitment out of range"); return NULL; }
  if (!cfg->transactions && !cfg->slots) { snprintf(err, err_sz, "provider: neither transactions nor slots subscribed"); return NULL; }
  if (cfg->backoff_min_ms == 0 || cfg->backoff_max_ms < cfg->backoff_min_ms) {
    snprintf(err, err_sz, "provider backoff: need 0 < backoff_min_ms <= backoff_max_ms");
    return NULL;
  }
  if (cfg->dedupe_max == 0 || cfg->dedupe_max > (1u << 24)) { snprintf(err, err_sz, "provider dedupe_max: 1 .. 16777216"); return NULL; }

  sof_pgrpc_t *c = calloc(1, sizeof *c);
  if (!c) { snprintf(err, err_sz, "out of memory"); return NULL; }
  c->cfg = *cfg;
  memset(c->cfg.account_include, 0, sizeof c->cfg.account_include);
  memset(c->cfg.account_exclude, 0, sizeof c->cfg.account_exclude);
  memset(c->cfg.account_required, 0, sizeof c->cfg.account_required);
  if (!(c->cfg.url = dup_str(c, cfg->url)) || (cfg->x_token && !(c->cfg.x_token = dup_str(c, cfg->x_token))) ||
      (cfg->ca_file && !(c->cfg.ca_file = dup_str(c, cfg->ca_file))) ||
      dup_list(c, c->cfg.account_include, cfg->account_include) ||
      dup_list(c, c->cfg.account_exclude, cfg->account_exclude) ||
      dup_list(c, c->cfg.account_required, cfg->account_required)) {
    snprintf(err, err_sz, "provider: the url, token and filters take more than %d bytes", STR_POOL);
    free(c);
    return NULL;
  }
  memcpy(c->host, u, hl);
  c->host[hl] = 0;
  memcpy(c->port, port, sizeof port);
  snprintf(c->authority, sizeof c->authority, "%s:%s", c->host, c->port);
  c->tls = tls;
  c->on_msg = on_msg;
  c->ctx = ctx;
  c->fd = -1;
  c->last_slot = UINT64_MAX;
  c->sig_slot = UINT64_MAX;
  uint32_t cap = 1;
  while (cap < 2 * cfg->dedupe_max) cap <<= 1;
  c->sigs = calloc(cap, sizeof *c->sigs);
  c->fcap = 65536;
  c->fbuf = malloc(c->fcap);
  if (!c->sigs || !c->fbuf) {
    snprintf(err, err_sz, "out of memory");
    sof_pgrpc_delete(c);
    return NULL;
  }
  c->sig_mask = cap - 1;
  c->sig_gen = 1;
  return c;
}

/* ---- resume dedupe: the signatures delivered in the highest slot ---------------- */

static uint32_t sig_hash(uint8_t const *s) {
  uint32_t h;
  memcpy(&h, s, 4); /* signatures are uniformly distributed */
  return h;
}

/* Returns 1 when sig was already delivered in slot, else records it, 0. */
static int seen_before(sof_pgrpc_t *c, uint64_t slot, uint8_t const *sig) {
  if (c->sig_slot == UINT64_MAX || slot > c->sig_slot) {
    c->sig_slot = slot;
    c->sig_gen++;
    c->sig_cnt = 0;
    if (c->sig_gen == 0) { /* wrapped: clear once every 2^32 slots */
      memset(c->sigs, 0, ((size_t)c->sig_mask + 1) * sizeof *c->sigs);
      c->sig_gen = 1;
    }
  } else if (slot < c->sig_slot) {
    return 0; /* older slots are not replayed by a resume from the highest */
  }
  for (uint32_t i = sig_hash(sig) & c->sig_mask;; i = (i + 1) & c->sig_mask) {
    sig_ent_t *e = &c->sigs[i];
    if (e->gen != c->sig_gen) {
      if (c->sig_cnt >= c->cfg.dedupe_max) {
        ST_ADD(c, dedupe_full, 1);
        return 0;
      }
      e->gen = c->sig_gen;
      memcpy(e->sig, sig, 64);
      c->sig_cnt++;
      return 0;
    }
    if (!memcmp(e->sig, sig, 64)) return 1;
  }
}

static void saw_slot(sof_pgrpc_t *c, uint64_t slot) {
  if (c->gap_pending) {
    c->gap_pending = 0;
    if (c->gap_base != UINT64_MAX && slot > c->gap_base + 1) ST_ADD(c, gap_slots, slot - c->gap_base - 1);
  }
  if (c->last_slot == UINT64_MAX || slot > c->last_slot) {
    c->last_slot = slot;
    ST_SET(c, last_slot, slot);
  }
}

/* A server ping is answered with SubscribeRequest{ping: {id: 1}} on the
 * request stream, as Yellowstone's own clients do (load balancers close
 * streams that send nothing; a request carrying ping does not replace the
 * filters). Appended to what the request side still has to send. */
static void queue_ping(sof_pgrpc_t *c) {
  if (!c->h2 || c->sid <= 0) return;
  Geyser__SubscribeRequest req = GEYSER__SUBSCRIBE_REQUEST__INIT;
  Geyser__SubscribeRequestPing ping = GEYSER__SUBSCRIBE_REQUEST_PING__INIT;
  ping.has_id = 1;
  ping.id = 1;
  req.ping = &ping;
  size_t sz = geyser__subscribe_request__get_packed_size(&req);
  size_t keep = c->req_len - c->req_off;
  uint8_t *b = malloc(keep + 5 + sz);
  if (!b) return;
  if (keep) memcpy(b, c->req + c->req_off, keep);
  uint8_t *f = b + keep;
  f[0] = 0;
  f[1] = (uint8_t)(sz >> 24);
  f[2] = (uint8_t)(sz >> 16);
  f[3] = (uint8_t)(sz >> 8);
  f[4] = (uint8_t)sz;
  geyser__subscribe_request__pack(&req, f + 5);
  free(c->req);
  c->req = b;
  c->req_len = keep + 5 + sz;
  c->req_off = 0;
  ST_ADD(c, ping_replies, 1);
  nghttp2_session_resume_data(c->h2, c->sid);
}

static void deliver(sof_pgrpc_t *c, uint8_t const *buf, size_t sz) {
  sof_pmsg_t *msg = &c->msg;
  ST_ADD(c, messages, 1);
  int k = sof_pmsg_decode(buf, sz, msg);
  if (k < 0) {
    ST_ADD(c, rejected, 1);
    ST_ADD(c, rejected_by[-k], 1);
  } else if (k == SOF_PMSG_TXN) {
    saw_slot(c, msg->txn.slot);
    if (seen_before(c, msg->txn.slot, msg->txn.signature)) {
      ST_ADD(c, duplicates, 1);
    } else {
      ST_ADD(c, transactions, 1);
      if (msg->txn.failed) ST_ADD(c, transactions_failed, 1);
      c->delivered++;
      c->on_msg(c->ctx, msg);
    }
  } else if (k == SOF_PMSG_SLOT) {
    saw_slot(c, msg->slot.slot);
    ST_ADD(c, slots, 1);
    c->delivered++;
    c->on_msg(c->ctx, msg);
  } else if (k == SOF_PMSG_TXN_STATUS) {
    ST_ADD(c, statuses, 1);
    c->delivered++;
    c->on_msg(c->ctx, msg);
  } else if (k == SOF_PMSG_PING) {
    ST_ADD(c, pings, 1);
    queue_ping(c);
  } else {
    ST_ADD(c, others, 1);
  }
}

/* gRPC length-prefixed messages out of DATA chunks. Returns 0 or -1 (a
 * compressed or oversized message: the stream is abandoned). */
static int feed(sof_pgrpc_t *c, uint8_t const *p, size_t n) {
  while (n) {
    if (c->flen < 5) {
      size_t take = 5 - c->flen < n ? 5 - c->flen : n;
      memcpy(c->fbuf + c->flen, p, take);
      c->flen += take;
      p += take;
      n -= take;
      if (c->flen < 5) break;
      if (c->fbuf[0] != 0) return -1; /* compressed: we asked for identity */
      uint32_t len = (uint32_t)c->fbuf[1] << 24 | (uint32_t)c->fbuf[2] << 16 |
                     (uint32_t)c->fbuf[3] << 8 | c->fbuf[4];
      if (len > SOF_PMSG_MAX_SZ) {
        ST_ADD(c, rejected, 1);
        ST_ADD(c, rejected_by[SOF_PMSG_REJ_TOO_LARGE], 1);
        return -1;
      }
      c->fneed = 5 + (size_t)len;
      if (c->fneed > c->fcap) {
        size_t cap = c->fcap;
        while (cap < c->fneed) cap *= 2;
        uint8_t *nb = realloc(c->fbuf, cap);
        if (!nb) return -1;
        c->fbuf = nb;
        c->fcap = cap;
      }
      if (c->fneed == 5) { /* an empty message: the default SubscribeUpdate */
        deliver(c, c->fbuf + 5, 0);
        c->flen = 0;
        continue;
      }
    }
    size_t take = c->fneed - c->flen < n ? c->fneed - c->flen : n;
    memcpy(c->fbuf + c->flen, p, take);
    c->flen += take;
    p += take;
    n -= take;
    if (c->flen == c->fneed) {
      deliver(c, c->fbuf + 5, c->fneed - 5);
      c->flen = 0;
    }
  }
  return 0;
}

/* ---- the request ---------------------------------------------------------------- */

static int build_request(sof_pgrpc_t *c, uint64_t from_slot) {
  Geyser__SubscribeRequest req = GEYSER__SUBSCRIBE_REQUEST__INIT;
  Geyser__SubscribeRequestFilterTransactions tf = GEYSER__SUBSCRIBE_REQUEST_FILTER_TRANSACTIONS__INIT;
  Geyser__SubscribeRequest__TransactionsEntry te = GEYSER__SUBSCRIBE_REQUEST__TRANSACTIONS_ENTRY__INIT;
  Geyser__SubscribeRequest__TransactionsEntry *tep = &te;
  Geyser__SubscribeRequestFilterSlots sf = GEYSER__SUBSCRIBE_REQUEST_FILTER_SLOTS__INIT;
  Geyser__SubscribeRequest__SlotsEntry se = GEYSER__SUBSCRIBE_REQUEST__SLOTS_ENTRY__INIT;
  Geyser__SubscribeRequest__SlotsEntry *sep = &se;
  size_t ni = 0, ne = 0, nr = 0;
  while (ni < SOF_PGRPC_FILTER_MAX && c->cfg.account_include[ni]) ni++;
  while (ne < SOF_PGRPC_FILTER_MAX && c->cfg.account_exclude[ne]) ne++;
  while (nr < SOF_PGRPC_FILTER_MAX && c->cfg.account_required[nr]) nr++;
  if (c->cfg.transactions) {
    if (c->cfg.vote >= 0) { tf.has_vote = 1; tf.vote = c->cfg.vote; }
    if (c->cfg.failed >= 0) { tf.has_failed = 1; tf.failed = c->cfg.failed; }
    tf.n_account_include = ni;
    tf.account_include = (char **)c->cfg.account_include;
    tf.n_account_exclude = ne;
    tf.account_exclude = (char **)c->cfg.account_exclude;
    tf.n_account_required = nr;
    tf.account_required = (char **)c->cfg.account_required;
    te.key = (char *)"sof";
    te.value = &tf;
    req.n_transactions = 1;
    req.transactions = &tep;
  }
  if (c->cfg.slots) {
    se.key = (char *)"sof";
    se.value = &sf;
    req.n_slots = 1;
    req.slots = &sep;
  }
  req.has_commitment = 1;
  req.commitment = (Geyser__CommitmentLevel)c->cfg.commitment;
  if (from_slot != UINT64_MAX) {
    req.has_from_slot = 1;
    req.from_slot = from_slot;
  }
  size_t sz = geyser__subscribe_request__get_packed_size(&req);
  uint8_t *b = malloc(5 + sz);
  if (!b) return -1;
  b[0] = 0;
  b[1] = (uint8_t)(sz >> 24);
  b[2] = (uint8_t)(sz >> 16);
  b[3] = (uint8_t)(sz >> 8);
  b[4] = (uint8_t)sz;
  geyser__subscribe_request__pack(&req, b + 5);
  free(c->req);
  c->req = b;
  c->req_len = 5 + sz;
  c->req_off = 0;
  return 0;
}

/* ---- I/O: plain TCP or TLS, non-blocking ---------------------------------------- */

/* > 0 bytes, 0 would block, -1 closed or failed. */
static ssize_t io_read(sof_pgrpc_t *c, void *b, size_t n) {
  if (c->ssl) {
    int r = SSL_read(c->ssl, b, (int)n);
    if (r > 0) return r;
    int e = SSL_get_error(c->ssl, r);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
  }
  ssize_t r = recv(c->fd, b, n, 0);
  if (r > 0) return r;
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return 0;
  return -1;
}

static ssize_t io_write(sof_pgrpc_t *c, void const *b, size_t n) {
  if (c->ssl) {
    int r = SSL_write(c->ssl, b, (int)n);
    if (r > 0) return r;
    int e = SSL_get_error(c->ssl, r);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
  }
  ssize_t r = send(c->fd, b, n, MSG_NOSIGNAL);
  if (r >= 0) return r;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
  return -1;
}

static int wait_fd(sof_pgrpc_t *c, short ev, int ms) {
  struct pollfd pf = {.fd = c->fd, .events = ev};
  int r = poll(&pf, 1, ms);
  return r < 0 && errno != EINTR ? -1 : r;
}

static int write_all(sof_pgrpc_t *c, uint8_t const *b, size_t n) {
  uint64_t t0 = now_ms();
  while (n) {
    ssize_t w = io_write(c, b, n);
    if (w < 0) return -1;
    if (w == 0) {
      if (stopping(c) || now_ms() - t0 > c->cfg.idle_ms) return -1;
      if (wait_fd(c, POLLOUT, 100) < 0) return -1;
      continue;
    }
    ST_ADD(c, bytes_tx, (uint64_t)w);
    b += w;
    n -= (size_t)w;
  }
  return 0;
}

static int flush_h2(sof_pgrpc_t *c) {
  for (;;) {
    uint8_t const *d;
    ssize_t n = nghttp2_session_mem_send(c->h2, &d);
    if (n < 0) return -1;
    if (n == 0) return 0;
    if (write_all(c, d, (size_t)n)) return -1;
  }
}

/* ---- nghttp2 callbacks ------------------------------------------------------------ */

static ssize_t req_read_cb(nghttp2_session *s, int32_t sid, uint8_t *buf, size_t len, uint32_t *flags,
                           nghttp2_data_source *src, void *ud) {
  (void)s; (void)sid; (void)flags; (void)src;
  sof_pgrpc_t *c = ud;
  size_t left = c->req_len - c->req_off;
  if (!left) return NGHTTP2_ERR_DEFERRED; /* the request side stays open (bidi stream) */
  size_t n = left < len ? left : len;
  memcpy(buf, c->req + c->req_off, n);
  c->req_off += n;
  return (ssize_t)n;
}

static int on_header_cb(nghttp2_session *s, nghttp2_frame const *f, uint8_t const *name, size_t nl,
                        uint8_t const *val, size_t vl, uint8_t flags, void *ud) {
  (void)s; (void)flags;
  sof_pgrpc_t *c = ud;
  if (f->hd.stream_id != c->sid) return 0;
  if (nl == 7 && !memcmp(name, ":status", 7)) {
    c->http_status = vl == 3 ? (val[0] - '0') * 100 + (val[1] - '0') * 10 + (val[2] - '0') : 0;
  } else if (nl == 11 && !memcmp(name, "grpc-status", 11)) {
    int v = 0;
    for (size_t i = 0; i < vl && i < 4; i++) v = v * 10 + (val[i] >= '0' && val[i] <= '9' ? val[i] - '0' : 0);
    c->grpc_status = v;
  } else if (nl == 12 && !memcmp(name, "grpc-message", 12)) {
    size_t n = vl < sizeof c->grpc_msg - 1 ? vl : sizeof c->grpc_msg - 1;
    memcpy(c->grpc_msg, val, n);
    c->grpc_msg[n] = 0;
  }
  return 0;
}

static int on_frame_recv_cb(nghttp2_session *s, nghttp2_frame const *f, void *ud) {
  (void)s;
  sof_pgrpc_t *c = ud;
  if (f->hd.type == NGHTTP2_HEADERS && f->hd.stream_id == c->sid &&
      f->headers.cat == NGHTTP2_HCAT_RESPONSE && c->http_status == 200 && c->grpc_status < 0 &&
      !(f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
    ST_SET(c, state, SOF_PGRPC_ST_STREAMING);
    ST_ADD(c, streams, 1);
  }
  if (f->hd.type == NGHTTP2_GOAWAY) c->done = 1;
  /* the server ended its side (trailers, or a trailers-only error): our
   * request side stays open (bidi stream), so nghttp2 would not close the
   * stream by itself */
  if (f->hd.stream_id == c->sid && (f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
      (f->hd.flags & NGHTTP2_FLAG_END_STREAM))
    c->done = 1;
  return 0;
}

static int on_data_cb(nghttp2_session *s, uint8_t flags, int32_t sid, uint8_t const *d, size_t n, void *ud) {
  (void)flags;
  sof_pgrpc_t *c = ud;
  if (sid != c->sid) return 0;
  nghttp2_session_consume(s, sid, n);
  if (feed(c, d, n)) {
    c->done = 1;
    nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, sid, NGHTTP2_CANCEL);
  }
  return 0;
}

static int on_close_cb(nghttp2_session *s, int32_t sid, uint32_t ec, void *ud) {
  (void)s; (void)ec;
  sof_pgrpc_t *c = ud;
  if (sid == c->sid) c->done = 1;
  return 0;
}

/* ---- one connection ------------------------------------------------------------------ */

static void conn_close(sof_pgrpc_t *c) {
  if (c->h2) { nghttp2_session_del(c->h2); c->h2 = NULL; }
  if (c->ssl) { SSL_shutdown(c->ssl); SSL_free(c->ssl); c->ssl = NULL; }
  if (c->fd >= 0) { close(c->fd); c->fd = -1; }
  c->flen = 0;
}

static int tcp_connect(sof_pgrpc_t *c) {
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *a;
  if (getaddrinfo(c->host, c->port, &hints, &res)) return -1;
  for (a = res; a; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) && errno != EINPROGRESS) { close(fd); continue; }
    c->fd = fd;
    int r = wait_fd(c, POLLOUT, CONNECT_TIMEOUT_MS), soerr = 0;
    socklen_t sl = sizeof soerr;
    if (r > 0 && !getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) && soerr == 0) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      freeaddrinfo(res);
      return 0;
    }
    close(fd);
    c->fd = -1;
  }
  freeaddrinfo(res);
  return -1;
}

static int tls_connect(sof_pgrpc_t *c) {
  if (!c->sslctx) {
    c->sslctx = SSL_CTX_new(TLS_client_method());
    if (!c->sslctx) return -1;
    SSL_CTX_set_min_proto_version(c->sslctx, TLS1_2_VERSION);
    static unsigned char const alpn[] = {2, 'h', '2'};
    SSL_CTX_set_alpn_protos(c->sslctx, alpn, sizeof alpn);
    if (c->cfg.tls_verify) {
      SSL_CTX_set_verify(c->sslctx, SSL_VERIFY_PEER, NULL);
      if (c->cfg.ca_file ? SSL_CTX_load_verify_locations(c->sslctx, c->cfg.ca_file, NULL) != 1
                         : SSL_CTX_set_default_verify_paths(c->sslctx) != 1)
        return -1;
    }
  }
  c->ssl = SSL_new(c->sslctx);
  if (!c->ssl) return -1;
  SSL_set_fd(c->ssl, c->fd);
  SSL_set_tlsext_host_name(c->ssl, c->host);
  if (c->cfg.tls_verify) SSL_set1_host(c->ssl, c->host);
  uint64_t t0 = now_ms();
  for (;;) {
    int r = SSL_connect(c->ssl);
    if (r == 1) break;
    int e = SSL_get_error(c->ssl, r);
    if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) || stopping(c) ||
        now_ms() - t0 > CONNECT_TIMEOUT_MS)
      return -1;
    if (wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, 100) < 0) return -1;
  }
  unsigned char const *proto;
  unsigned int pl;
  SSL_get0_alpn_selected(c->ssl, &proto, &pl);
  return pl == 2 && !memcmp(proto, "h2", 2) ? 0 : -1;
}

static int h2_start(sof_pgrpc_t *c, uint64_t from_slot) {
  nghttp2_session_callbacks *cb;
  if (nghttp2_session_callbacks_new(&cb)) return -1;
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header_cb);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv_cb);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_cb);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close_cb);
  nghttp2_option *opt;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 0);
  int r = nghttp2_session_client_new2(&c->h2, cb, c, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cb);
  if (r) return -1;
  nghttp2_settings_entry set[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                  {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 8u << 20},
                                  {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, 1u << 16}};
  if (nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, set, 3)) return -1;
  nghttp2_session_set_local_window_size(c->h2, NGHTTP2_FLAG_NONE, 0, 32u << 20);
  if (build_request(c, from_slot)) return -1;
  c->asked_from = from_slot != UINT64_MAX;
#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE}
  nghttp2_nv hdr[8] = {
    NV(":method", "POST"), NV(":scheme", c->tls ? "https" : "http"),
    NV(":path", "/geyser.Geyser/Subscribe"), NV(":authority", c->authority),
    NV("content-type", "application/grpc"), NV("te", "trailers"),
    NV("grpc-accept-encoding", "identity"), NV("x-token", c->cfg.x_token ? c->cfg.x_token : ""),
  };
#undef NV
  nghttp2_data_provider dp = {.read_callback = req_read_cb};
  c->sid = nghttp2_submit_request(c->h2, NULL, hdr, c->cfg.x_token ? 8 : 7, &dp, NULL);
  return c->sid < 0 ? -1 : flush_h2(c);
}

/* Runs one connection until its stream ends. */
static void conn_run(sof_pgrpc_t *c, uint64_t from_slot) {
  c->done = 0;
  c->grpc_status = -1;
  c->grpc_msg[0] = 0;
  c->http_status = 0;
  c->delivered = 0;
  ST_SET(c, state, SOF_PGRPC_ST_CONNECTING);
  ST_ADD(c, connects, 1);
  if (tcp_connect(c) || (c->tls && tls_connect(c)) || h2_start(c, from_slot)) {
    ST_ADD(c, connect_failures, 1);
    conn_close(c);
    return;
  }
  c->last_rx_ms = now_ms();
  while (!c->done && !stopping(c)) {
    if (!(c->ssl && SSL_pending(c->ssl))) {
      int r = wait_fd(c, POLLIN, 100);
      if (r < 0) break;
      if (r == 0) {
        if (now_ms() - c->last_rx_ms > c->cfg.idle_ms) {
          ST_ADD(c, idle_timeouts, 1);
          break;
        }
        continue;
      }
    }
    for (int i = 0; i < 64 && !c->done; i++) {
      ssize_t n = io_read(c, c->io, sizeof c->io);
      if (n < 0) { c->done = 1; break; }
      if (n == 0) break;
      ST_ADD(c, bytes_rx, (uint64_t)n);
      c->last_rx_ms = now_ms();
      if (nghttp2_session_mem_recv(c->h2, c->io, (size_t)n) < 0) { c->done = 1; break; }
    }
    if (flush_h2(c)) break;
  }
  if (c->grpc_status > 0) {
    ST_ADD(c, stream_errors, 1);
    if (c->asked_from) {
      /* Yellowstone answers a from_slot it cannot serve with an error
       * status (InvalidArgument, "from_slot is not supported", or a slot
       * out of its replay window): ask live next time. */
      ST_ADD(c, resume_refused, 1);
      c->no_from_next = 1;
    }
  }
  if (c->st.state == SOF_PGRPC_ST_CONNECTING && !stopping(c)) ST_ADD(c, connect_failures, 1);
  conn_close(c);
}

static void *client_main(void *arg) {
  sof_pgrpc_t *c = arg;
  uint32_t backoff = c->cfg.backoff_min_ms;
  int first = 1;
  while (!stopping(c)) {
    uint64_t from = UINT64_MAX;
    if (first) {
      from = c->cfg.from_slot;
    } else {
      ST_ADD(c, reconnects, 1);
      if (c->cfg.resume && !c->no_from_next && c->last_slot != UINT64_MAX) {
        from = c->last_slot;
        ST_ADD(c, resumes, 1);
      } else if (c->last_slot != UINT64_MAX && !c->gap_pending) {
        ST_ADD(c, gaps, 1);
        c->gap_pending = 1;
        c->gap_base = c->last_slot;
      }
      c->no_from_next = 0;
    }
    first = 0;
    int refused_before = (int)c->st.resume_refused;
    conn_run(c, from);
    if (stopping(c)) break;
    if (c->delivered) backoff = c->cfg.backoff_min_ms;
    /* a refused from_slot is asked again live at once */
    if ((int)c->st.resume_refused != refused_before) continue;
    ST_SET(c, state, SOF_PGRPC_ST_BACKOFF);
    for (uint64_t t0 = now_ms(); now_ms() - t0 < backoff && !stopping(c);) usleep(20000);
    backoff = backoff * 2 > c->cfg.backoff_max_ms ? c->cfg.backoff_max_ms : backoff * 2;
  }
  ST_SET(c, state, SOF_PGRPC_ST_IDLE);
  return NULL;
}

int sof_pgrpc_start(sof_pgrpc_t *c) {
  if (c->started) return 0;
  __atomic_store_n(&c->stop, 0, __ATOMIC_RELAXED);
  int r = pthread_create(&c->th, NULL, client_main, c);
  if (r) { errno = r; return -1; }
  pthread_setname_np(c->th, "sof-provider");
  c->started = 1;
  return 0;
}

void sof_pgrpc_stop(sof_pgrpc_t *c) {
  if (!c || !c->started) return;
  __atomic_store_n(&c->stop, 1, __ATOMIC_RELAXED);
  pthread_join(c->th, NULL);
  c->started = 0;
}

void sof_pgrpc_delete(sof_pgrpc_t *c) {
  if (!c) return;
  sof_pgrpc_stop(c);
  conn_close(c);
  if (c->sslctx) SSL_CTX_free(c->sslctx);
  free(c->req);
  free(c->fbuf);
  free(c->sigs);
  free(c);
}
