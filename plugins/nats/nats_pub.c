/* nats_pub.c: the nats plugin's libnats half (nats_plugin.h, nats_int.h): the
 * connection (reconnect with exponential backoff, a bounded reconnect
 * buffer), the stream created or checked from the config, and the
 * publisher thread that formats the queued events and publishes them with
 * libnats's asynchronous JetStream publish, counting every ack and every
 * loss. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>

#include "geyser/sof_geyser_pb.h"
#include "pipeline/sof_event_json.h"
#include "plugin/sof_plugin.h"
#include "util/sof_json.h"
#include "wire/sof_base58.h"
#include "wire/sof_txn.h"

#include "../common/sof_plugin_common.h"
#include "nats_int.h"

#define PUB_LINE_MAX (16U << 10) /* as txlog's: a transaction's JSON fits */
#define RETRY_WAIT_MS 50U        /* a refused publish (no responders) waits this long, */
#define RETRY_WAIT_MAX_MS 1000U  /* doubling while no ack comes, up to this */

enum { SUBJ_TX_NON_VOTE, SUBJ_TX_VOTE_ONLY, SUBJ_TX_MIXED, SUBJ_SLOT, SUBJ_REORG, SUBJ_BLOCKHASH, SUBJ_LEADER,
       SUBJ_DATASET, SUBJ_CNT };

typedef struct nats_pub {
  natsOptions    *opts;
  natsConnection *nc;
  jsCtx          *js;
  jsPubOptions    popts;
  char            subj[SUBJ_CNT][160];
  /* publishes to resend (no ack in time, no responders): filled by the ack
   * handler (libnats's thread), emptied by the publisher */
  pthread_mutex_t rmu;
  natsMsg       **retry;
  uint64_t        retry_cnt, retry_cap;
  uint64_t        retry_due_ns;
  uint64_t        retry_wait_ms; /* the next round's wait (backoff; reset by an ack) */
  int             closing;  /* the ack handler no longer queues retries */
  uint64_t        inflight; /* owned by libnats or the retry list */
  /* the event's RX TSC to UNIX ns */
  uint64_t        base_tsc, base_mono;
  /* publisher thread scratch */
  sof_txn_t       txn;
  sof_json_t      j;
  char            line[PUB_LINE_MAX];
  uint8_t         pb[PUB_LINE_MAX];            /* format = protobuf: the payload */
  uint8_t         pbtx[SOF_GEYSER_PB_TXN_MAX]; /* a transaction's inner message */
} nats_pub_t;

static uint64_t
now_ns(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- connection callbacks (libnats's threads) ---------------------------------------- */

static void
on_disconnected(natsConnection *nc, void *closure) {
  (void)nc;
  nats_plugin_t const *n = closure;
  if (__atomic_load_n(&n->stop, __ATOMIC_ACQUIRE)) return; /* our own close */
  nats_count(NC_DISCONNECTS, 1);
  nats_gauge(NC_CONNECTED, 0);
}

static void
on_reconnected(natsConnection *nc, void *closure) {
  (void)nc;
  (void)closure;
  nats_count(NC_RECONNECTS, 1);
  nats_gauge(NC_CONNECTED, 1);
}

/* Reconnect backoff: reconnect_wait_ms doubling per attempt, capped. */
static int64_t
reconnect_delay(natsConnection *nc, int attempts, void *closure) {
  (void)nc;
  nats_plugin_t const *n = closure;
  uint64_t d = n->cfg.reconnect_wait_ms;
  for (int i = 1; i < attempts && d < n->cfg.reconnect_wait_max_ms; i++) d *= 2;
  return (int64_t)(d < n->cfg.reconnect_wait_max_ms ? d : n->cfg.reconnect_wait_max_ms);
}

/* Every async publish's outcome. A timeout or a missing responder goes to
 * the retry list (the publisher resends it, same Nats-Msg-Id); a negative
 * ack is lost. */
static void
on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure) {
  (void)js;
  nats_plugin_t *n = closure;
  nats_pub_t *p = n->pub;
  if (pa) {
    __atomic_store_n(&p->retry_wait_ms, RETRY_WAIT_MS, __ATOMIC_RELAXED);
    nats_count(NC_ACKED, 1);
    if (pa->Duplicate) nats_count(NC_DUPLICATES, 1);
  } else if (pae && (pae->Err == NATS_TIMEOUT || pae->Err == NATS_NO_RESPONDERS)) {
    pthread_mutex_lock(&p->rmu);
    if (!p->closing && p->retry_cnt < p->retry_cap) {
      if (!p->retry_cnt)
        p->retry_due_ns = now_ns(CLOCK_MONOTONIC) + __atomic_load_n(&p->retry_wait_ms, __ATOMIC_RELAXED) * 1000000ULL;
      p->retry[p->retry_cnt] = msg;
      __atomic_store_n(&p->retry_cnt, p->retry_cnt + 1, __ATOMIC_RELEASE);
      pthread_mutex_unlock(&p->rmu);
      return; /* still in flight */
    }
    pthread_mutex_unlock(&p->rmu);
    nats_count(p->closing ? NC_LOST_SHUTDOWN : NC_LOST_DISCONNECTED, 1);
  } else {
    nats_count(NC_LOST_NACK, 1);
  }
  __atomic_fetch_sub(&p->inflight, 1, __ATOMIC_RELAXED);
  natsMsg_Destroy(msg);
}

/* ---- the stream ---------------------------------------------------------------------- */

static int
stream_setup(nats_plugin_t *n, char *err, size_t err_sz) {
  nats_pub_t *p = n->pub;
  nats_cfg_t const *c = &n->cfg;
  char subject[160];
  snprintf(subject, sizeof subject, "%s.>", c->prefix);
  int64_t max_age = (int64_t)c->max_age_s * 1000000000LL;
  int64_t max_bytes = c->max_bytes ? (int64_t)c->max_bytes : -1;
  int64_t dup = (int64_t)c->dup_window_ms * 1000000LL;
  jsStorageType storage = c->memory ? js_MemoryStorage : js_FileStorage;

  jsStreamInfo *si = NULL;
  jsErrCode jerr = 0;
  natsStatus s = js_GetStreamInfo(&si, p->js, c->stream, NULL, &jerr);
  if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    char const *subjects[1] = { subject };
    sc.Name = c->stream;
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Retention = js_LimitsPolicy;
    sc.MaxAge = max_age;
    sc.MaxBytes = max_bytes;
    sc.Replicas = (int64_t)c->replicas;
    sc.Duplicates = dup;
    sc.Storage = storage;
    sc.Discard = js_DiscardOld;
    jerr = 0;
    s = js_AddStream(&si, p->js, &sc, NULL, &jerr);
    if (s != NATS_OK) {
      snprintf(err, err_sz, "stream %s: cannot create it (subjects %s, replicas %" PRIu64 "): %s (%d)",
               c->stream, subject, c->replicas, nats_GetLastError(NULL), (int)jerr);
      return -1;
    }
    jsStreamInfo_Destroy(si);
    return 0;
  }
  if (s != NATS_OK) {
    snprintf(err, err_sz, "stream %s: cannot look it up: %s (is JetStream enabled on the server? "
             "nats-server -js)", c->stream, nats_GetLastError(NULL));
    return -1;
  }
  /* it exists: its config must be ours */
  jsStreamConfig const *have = si->Config;
  char why[768] = "";
  size_t off = 0;
  int has_subject = 0;
  for (int i = 0; i < have->SubjectsLen; i++)
    if (!strcmp(have->Subjects[i], subject)) has_subject = 1;
  if (!has_subject || have->SubjectsLen != 1)
    off += (size_t)snprintf(why + off, sizeof why - off, "; subjects are %s%s (config: %s)",
                            have->SubjectsLen ? have->Subjects[0] : "none", have->SubjectsLen > 1 ? ",..." : "",
                            subject);
  if (have->MaxAge != max_age && off < sizeof why)
    off += (size_t)snprintf(why + off, sizeof why - off, "; max_age is %" PRId64 " s (config max_age_s: %" PRIu64 ")",
                            (int64_t)(have->MaxAge / 1000000000), c->max_age_s);
  if (have->MaxBytes != max_bytes && off < sizeof why)
    off += (size_t)snprintf(why + off, sizeof why - off, "; max_bytes is %" PRId64 " (config: %" PRIu64 ")",
                            have->MaxBytes, c->max_bytes);
  if (have->Replicas != (int64_t)c->replicas && off < sizeof why)
    off += (size_t)snprintf(why + off, sizeof why - off, "; replicas are %" PRId64 " (config: %" PRIu64 ")",
                            have->Replicas, c->replicas);
  if (have->Duplicates != dup && off < sizeof why)
    off += (size_t)snprintf(why + off, sizeof why - off,
                            "; the duplicate window is %" PRId64 " ms (config duplicate_window_ms: %" PRIu64 ")",
                            (int64_t)(have->Duplicates / 1000000), c->dup_window_ms);
  if (have->Storage != storage && off < sizeof why)
    off += (size_t)snprintf(why + off, sizeof why - off, "; storage is %s (config: %s)",
                            have->Storage == js_MemoryStorage ? "memory" : "file", c->memory ? "memory" : "file");
  jsStreamInfo_Destroy(si);
  if (off) {
    snprintf(err, err_sz, "stream %s exists with another config%s: change [plugin.nats] or the stream "
             "(nats stream edit / rm)", c->stream, why);
    return -1;
  }
  return 0;
}

/* ---- formatting (the publisher thread) ------------------------------------------------- */

/* UNIX ns of an event's RX (rx_tsc; now when 0): now minus the TSC cycles
 * since, at the TSC rate measured since setup (the host's tsc_hz can be off
 * in a VM; the few ms back from now keep any error small). */
static uint64_t
rx_unix_ns(nats_plugin_t const *n, nats_pub_t const *p, uint64_t rx_tsc) {
  uint64_t ns_now = now_ns(CLOCK_REALTIME);
  if (!rx_tsc || !n->tsc_hz) return ns_now;
  uint64_t tsc_now = sof_plugin_tsc();
  uint64_t mono = now_ns(CLOCK_MONOTONIC);
  double hz = (double)n->tsc_hz;
  if (mono - p->base_mono > 1000000000ULL)
    hz = (double)(tsc_now - p->base_tsc) * 1e9 / (double)(mono - p->base_mono);
  int64_t back = (int64_t)(tsc_now - rx_tsc);
  return ns_now - (uint64_t)((double)(back > 0 ? back : 0) * 1e9 / hz);
}

/* What a message's payload is (format = protobuf: its Sof-Schema header). */
#define SCHEMA_JSON      "json"
#define SCHEMA_UPDATE    "geyser.SubscribeUpdate"
#define SCHEMA_BLOCKHASH "geyser.GetLatestBlockhashResponse"

/* format = protobuf: transactions and slot statuses as geyser.SubscribeUpdate
 * (no filter names; created_at the event's RX time, else now), recent
 * blockhashes as geyser.GetLatestBlockhashResponse. Returns 1 with the
 * payload's length in p->pb and its schema, 0 when the record has no
 * protobuf form (pb_form: reorgs, leader changes, datasets stay JSON), -1
 * when it cannot be encoded. */
static int
format_pb(nats_plugin_t const *n, nats_pub_t *p, nrec_t const *r, size_t *len, char const **schema) {
  uint64_t ns = rx_unix_ns(n, p, r->rx_tsc);
  sof_geyser_upd_t u = { .ts_sec = (int64_t)(ns / 1000000000ULL), .ts_nsec = (int32_t)(ns % 1000000000ULL) };
  *schema = SCHEMA_UPDATE;
  switch (r->type) {
  case NREC_TX: { /* parsed by format_rec already */
    nrec_tx_t const *t = (nrec_tx_t const *)r;
    uint8_t const *bytes = (uint8_t const *)(t + 1);
    size_t tn = sof_geyser_pb_txn(p->pbtx, sizeof p->pbtx, bytes, &p->txn, NULL);
    sof_geyser_txn_info_t ti = { .sig = sof_txn_sig(&p->txn, bytes, 0), .is_vote = p->txn.simple_vote,
                                 .slot = t->slot };
    *len = tn ? sof_geyser_update_txn(p->pb, sizeof p->pb, &u, &ti, p->pbtx, tn) : 0;
    return *len ? 1 : -1;
  }
  case NREC_SLOT: {
    sof_ev_slot_status_t ev;
    memcpy(&ev, r + 1, sizeof ev);
    char const *dead = NULL;
    int st = sof_geyser_slot_status(ev.event, ev.status, &dead, NULL);
    if (st < 0) return 0; /* a status geyser has no value for: JSON */
    uint8_t inner[SOF_GEYSER_PB_SLOT_MAX];
    int has_parent = ev.parent != SOF_SLOT_UNKNOWN;
    size_t in = sof_geyser_pb_slot(inner, sizeof inner, ev.slot, has_parent, has_parent ? ev.parent : 0, st, dead);
    *len = sof_geyser_update(p->pb, sizeof p->pb, &u, SOF_GEYSER_UPD_SLOT, inner, in);
    return *len ? 1 : -1;
  }
  case NREC_BLOCKHASH: {
    sof_ev_recent_blockhash_t const *ev = (sof_ev_recent_blockhash_t const *)(r + 1);
    *schema = SCHEMA_BLOCKHASH;
    *len = sof_geyser_pb_latest_blockhash(p->pb, sizeof p->pb, ev->slot, ev->blockhash);
    return *len ? 1 : -1;
  }
  default:
    *schema = SCHEMA_JSON;
    return 0;
  }
}

/* pb_form: 1 when record r has a protobuf form (format_pb encodes it). */
static int
pb_form(nrec_t const *r) {
  if (r->type == NREC_TX || r->type == NREC_BLOCKHASH) return 1;
  if (r->type != NREC_SLOT) return 0;
  sof_ev_slot_status_t ev;
  memcpy(&ev, r + 1, sizeof ev);
  return sof_geyser_slot_status(ev.event, ev.status, NULL, NULL) >= 0;
}

/* Parses a transaction record into p->txn; finds record r's subject index
 * and Nats-Msg-Id (the same in both formats) and, when json, formats it
 * into p->j. 0, or -1 when the record cannot be formatted. */
static int
format_rec(nats_pub_t *p, nrec_t const *r, int json, int *subj, char *id, size_t id_sz) {
  sof_json_t *j = &p->j;
  sof_json_reset(j);
  sof_json_obj_begin(j);
  switch (r->type) {
  case NREC_TX: {
    nrec_tx_t const *t = (nrec_tx_t const *)r;
    uint8_t const *bytes = (uint8_t const *)(t + 1);
    if (sof_txn_parse(&p->txn, bytes, r->sz, NULL) != SOF_TXN_OK) return -1;
    if (json) {
      sof_json_key(j, "type");       sof_json_str(j, "transaction");
      sof_json_key(j, "slot");       sof_json_u64(j, t->slot);
      sof_json_key(j, "entry");      sof_json_u64(j, t->entry);
      sof_json_key(j, "commitment"); sof_json_str(j, sof_commitment_str(t->commitment));
      sof_json_key(j, "path");       sof_json_str(j, t->path == SOF_TXN_PATH_INLINE ? "inline" : "dataset");
      sof_event_json_txn(j, bytes, &p->txn);
    }
    char sig[SOF_BASE58_ENCODED_64_MAX];
    sof_base58_encode_64(sof_txn_sig(&p->txn, bytes, 0), sig);
    snprintf(id, id_sz, "tx:%" PRIu64 ":%s", t->slot, sig);
    *subj = t->kind == SOF_TXN_KIND_VOTE_ONLY ? SUBJ_TX_VOTE_ONLY
          : t->kind == SOF_TXN_KIND_MIXED     ? SUBJ_TX_MIXED : SUBJ_TX_NON_VOTE;
    break;
  }
  case NREC_SLOT: {
    sof_ev_slot_status_t ev;
    memcpy(&ev, r + 1, sizeof ev);
    if (json) sof_pjson_slot_status(j, &ev);
    char const *moment = sof_pjson_slot_moment(&ev);
    snprintf(id, id_sz, "slot:%" PRIu64 ":%s", ev.slot, moment ? moment : sof_slot_status_str(ev.status));
    *subj = SUBJ_SLOT;
    break;
  }
  case NREC_REORG: {
    sof_ev_reorg_t const *ev = (sof_ev_reorg_t const *)(r + 1); /* 16-byte aligned in the queue */
    sof_pjson_reorg(j, ev);
    snprintf(id, id_sz, "reorg:%" PRIu64 ":%" PRIu64, ev->old_tip, ev->new_tip);
    *subj = SUBJ_REORG;
    break;
  }
  case NREC_BLOCKHASH: {
    sof_ev_recent_blockhash_t const *ev = (sof_ev_recent_blockhash_t const *)(r + 1);
    if (json) sof_pjson_recent_blockhash(j, ev);
    char h[SOF_BASE58_ENCODED_32_MAX];
    sof_base58_encode_32(ev->blockhash, h);
    snprintf(id, id_sz, "bh:%" PRIu64 ":%s", ev->slot, h);
    *subj = SUBJ_BLOCKHASH;
    break;
  }
  case NREC_LEADER: {
    sof_ev_leader_schedule_t const *ev = (sof_ev_leader_schedule_t const *)(r + 1);
    uint32_t cnt = ev->leader_cnt < SOF_EV_LEADERS_MAX ? ev->leader_cnt : SOF_EV_LEADERS_MAX;
    sof_pjson_leader_schedule(j, ev);
    static uint8_t const zero[32];
    char first[SOF_BASE58_ENCODED_32_MAX] = "none";
    if (cnt && memcmp(ev->leaders[0], zero, 32)) sof_base58_encode_32(ev->leaders[0], first);
    snprintf(id, id_sz, "leader:%s:%" PRIu64 ":%s", sof_pjson_leader_kind(ev), ev->first_slot, first);
    *subj = SUBJ_LEADER;
    break;
  }
  case NREC_DATASET: {
    sof_ev_dataset_t const *ev = (sof_ev_dataset_t const *)(r + 1);
    sof_pjson_dataset(j, ev);
    snprintf(id, id_sz, "ds:%" PRIu64 ":%u", ev->slot, ev->start_idx);
    *subj = SUBJ_DATASET;
    break;
  }
  default:
    return -1;
  }
  sof_json_obj_end(j);
  return sof_json_ok(j) ? 0 : -1;
}

/* The message of record r (NULL: cannot be formatted, or no memory). */
static natsMsg *
build_msg(nats_plugin_t *n, nats_pub_t *p, nrec_t const *r) {
  int subj = 0;
  char id[192];
  int pb = n->cfg.protobuf && pb_form(r);
  if (format_rec(p, r, !pb, &subj, id, sizeof id)) return NULL;
  char const *data = p->line;
  int len = (int)p->j.len;
  char const *schema = SCHEMA_JSON;
  if (pb) {
    size_t pl = 0;
    if (format_pb(n, p, r, &pl, &schema) <= 0) return NULL;
    data = (char const *)p->pb;
    len = (int)pl;
  }
  natsMsg *m = NULL;
  if (natsMsg_Create(&m, p->subj[subj], NULL, data, len) != NATS_OK) return NULL;
  if (natsMsgHeader_Set(m, "Nats-Msg-Id", id) != NATS_OK ||
      (n->cfg.protobuf && natsMsgHeader_Set(m, "Sof-Schema", schema) != NATS_OK)) {
    natsMsg_Destroy(m);
    return NULL;
  }
  if (n->cfg.latency_header && r->rx_tsc && n->tsc_hz) {
    char v[32];
    snprintf(v, sizeof v, "%" PRIu64, rx_unix_ns(n, p, r->rx_tsc));
    natsMsgHeader_Set(m, "Sof-Rx-Ns", v);
  }
  return m;
}

/* ---- the publisher thread ------------------------------------------------------------- */

static int
connected(nats_pub_t const *p) {
  return natsConnection_Status(p->nc) == NATS_CONN_STATUS_CONNECTED;
}

/* Resends the retry list once it is due. */
static void
resend_due(nats_pub_t *p) {
  pthread_mutex_lock(&p->rmu);
  if (!p->retry_cnt || now_ns(CLOCK_MONOTONIC) < p->retry_due_ns || !connected(p)) {
    pthread_mutex_unlock(&p->rmu);
    return;
  }
  uint64_t cnt = p->retry_cnt;
  natsMsg **list = malloc(cnt * sizeof *list);
  if (!list) {
    pthread_mutex_unlock(&p->rmu);
    return;
  }
  memcpy(list, p->retry, cnt * sizeof *list);
  __atomic_store_n(&p->retry_cnt, 0, __ATOMIC_RELEASE);
  uint64_t w = __atomic_load_n(&p->retry_wait_ms, __ATOMIC_RELAXED) * 2;
  __atomic_store_n(&p->retry_wait_ms, w < RETRY_WAIT_MAX_MS ? w : RETRY_WAIT_MAX_MS, __ATOMIC_RELAXED);
  pthread_mutex_unlock(&p->rmu);
  for (uint64_t i = 0; i < cnt; i++) {
    nats_count(NC_RETRIES, 1);
    natsStatus s = js_PublishMsgAsync(p->js, &list[i], &p->popts);
    if (s == NATS_OK) continue;
    if (s == NATS_TIMEOUT || s == NATS_INSUFFICIENT_BUFFER || !connected(p)) {
      /* no room now (pending full, or the connection went away again): back
       * on the list for the next round */
      pthread_mutex_lock(&p->rmu);
      if (p->retry_cnt < p->retry_cap) {
        if (!p->retry_cnt)
          p->retry_due_ns = now_ns(CLOCK_MONOTONIC) + __atomic_load_n(&p->retry_wait_ms, __ATOMIC_RELAXED) * 1000000ULL;
        p->retry[p->retry_cnt] = list[i];
        __atomic_store_n(&p->retry_cnt, p->retry_cnt + 1, __ATOMIC_RELEASE);
        list[i] = NULL;
      }
      pthread_mutex_unlock(&p->rmu);
      if (!list[i]) continue;
    }
    nats_count(connected(p) ? NC_LOST_PUBLISH_ERROR : NC_LOST_DISCONNECTED, 1);
    __atomic_fetch_sub(&p->inflight, 1, __ATOMIC_RELAXED);
    natsMsg_Destroy(list[i]);
  }
  free(list);
}

static void
sleep_us(uint64_t us) {
  struct timespec ts = { (time_t)(us / 1000000U), (long)(us % 1000000U) * 1000L };
  while (nanosleep(&ts, &ts) && errno == EINTR) {
  }
}

static void *
pub_main(void *arg) {
  nats_plugin_t *n = arg;
  nats_pub_t *p = n->pub;
  natsMsg *held = NULL; /* built for the record at the tail, waiting for room */
  uint64_t deadline = 0;
  for (;;) {
    int stop = __atomic_load_n(&n->stop, __ATOMIC_ACQUIRE);
    uint64_t now = now_ns(CLOCK_MONOTONIC);
    if (stop && !deadline) deadline = now + n->cfg.drain_ms * 1000000ULL;
    resend_due(p);
    nats_gauge(NC_PENDING, __atomic_load_n(&p->inflight, __ATOMIC_RELAXED));
    nats_gauge(NC_QUEUE_USED, __atomic_load_n(&n->head, __ATOMIC_ACQUIRE) - n->tail);
    nrec_t const *r = nats_queue_peek(n);
    if (!r) {
      if (stop && (!__atomic_load_n(&p->inflight, __ATOMIC_RELAXED) || now >= deadline)) break;
      sleep_us(stop ? 1000 : n->cfg.poll_us);
      continue;
    }
    if (stop && now >= deadline) { /* the drain deadline: what is queued is lost */
      natsMsg_Destroy(held);
      held = NULL;
      nats_count(NC_LOST_SHUTDOWN, 1);
      nats_queue_pop(n, r);
      continue;
    }
    if (__atomic_load_n(&p->retry_cnt, __ATOMIC_ACQUIRE)) {
      /* resends first: no new publish while some wait for theirs, so what
       * is in flight stays within max_pending and nothing sent is given up
       * for want of room (the queue absorbs, then drops new, counted) */
      sleep_us(n->cfg.poll_us);
      continue;
    }
    if (!held) held = build_msg(n, p, r);
    if (!held) {
      nats_count(NC_LOST_FORMAT, 1);
      nats_queue_pop(n, r);
      continue;
    }
    int len = natsMsg_GetDataLength(held);
    natsStatus s = js_PublishMsgAsync(p->js, &held, &p->popts);
    if (s == NATS_OK) {
      __atomic_fetch_add(&p->inflight, 1, __ATOMIC_RELAXED);
      nats_count(NC_PUBLISHED, 1);
      nats_count(NC_BYTES, (uint64_t)len);
      nats_queue_pop(n, r);
      continue;
    }
    int up = connected(p);
    if (s == NATS_TIMEOUT && up)
      continue; /* max_pending publishes wait for acks: the queue absorbs (held kept) */
    nats_count(up && s != NATS_INSUFFICIENT_BUFFER && s != NATS_TIMEOUT ? NC_LOST_PUBLISH_ERROR
                                                                       : NC_LOST_DISCONNECTED, 1);
    natsMsg_Destroy(held);
    held = NULL;
    nats_queue_pop(n, r);
  }
  natsMsg_Destroy(held);
  return NULL;
}

/* ---- open / close ---------------------------------------------------------------------- */

/* Closes the connection, waits for libnats's threads (no callback runs
 * after this), frees p. */
static void
pub_free(nats_pub_t *p) {
  if (!p) return;
  if (p->nc) natsConnection_Close(p->nc);
  jsCtx_Destroy(p->js);
  natsConnection_Destroy(p->nc);
  natsOptions_Destroy(p->opts);
  nats_CloseAndWait(2000);
  pthread_mutex_destroy(&p->rmu);
  free(p->retry);
  free(p);
}

int
nats_pub_open(nats_plugin_t *n, char *err, size_t err_sz) {
  nats_cfg_t const *c = &n->cfg;
  nats_pub_t *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(err, err_sz, "out of memory");
    return -1;
  }
  pthread_mutex_init(&p->rmu, NULL);
  n->pub = p;
  p->retry_cap = 2 * c->max_pending; /* in flight stays <= max_pending (pub_main); a margin for races */
  p->retry_wait_ms = RETRY_WAIT_MS;
  p->retry = calloc(p->retry_cap, sizeof *p->retry);
  if (!p->retry) {
    snprintf(err, err_sz, "out of memory");
    goto fail;
  }
  static char const *const kinds[SUBJ_CNT] = { "tx.non_vote", "tx.vote_only", "tx.mixed", "slot", "reorg",
                                               "blockhash", "leader", "dataset" };
  for (int i = 0; i < SUBJ_CNT; i++) snprintf(p->subj[i], sizeof p->subj[i], "%s.%s", c->prefix, kinds[i]);
  sof_json_init(&p->j, p->line, sizeof p->line);
  p->base_tsc = sof_plugin_tsc();
  p->base_mono = now_ns(CLOCK_MONOTONIC);

  /* url: one server or a comma-separated list (a cluster) */
  char urls[sizeof c->url];
  char const *servers[16];
  int server_cnt = 0;
  memcpy(urls, c->url, sizeof urls);
  for (char *save = NULL, *tok = strtok_r(urls, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    while (*tok == ' ' || *tok == '\t') tok++;
    size_t l = strlen(tok);
    while (l && (tok[l - 1] == ' ' || tok[l - 1] == '\t')) tok[--l] = '\0';
    if (!l || server_cnt == 16) {
      snprintf(err, err_sz, "url: '%s': %s", c->url, l ? "more than 16 servers" : "an empty item");
      goto fail;
    }
    servers[server_cnt++] = tok;
  }
  if (!server_cnt) {
    snprintf(err, err_sz, "url: '%s': no server", c->url);
    goto fail;
  }
  natsStatus s = natsOptions_Create(&p->opts);
  if (s == NATS_OK) s = natsOptions_SetServers(p->opts, servers, server_cnt);
  if (s == NATS_OK) s = natsOptions_SetName(p->opts, "sofd");
  if (s == NATS_OK) s = natsOptions_SetTimeout(p->opts, (int64_t)c->connect_timeout_ms);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(p->opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(p->opts, (int64_t)c->reconnect_wait_ms);
  if (s == NATS_OK) s = natsOptions_SetCustomReconnectDelay(p->opts, reconnect_delay, n);
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(p->opts, (int)c->reconnect_buf);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(p->opts, on_disconnected, n);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(p->opts, on_reconnected, n);
  if (s != NATS_OK) {
    snprintf(err, err_sz, "url: '%s': %s", c->url, nats_GetLastError(NULL));
    goto fail;
  }
  s = natsConnection_Connect(&p->nc, p->opts);
  if (s != NATS_OK) {
    snprintf(err, err_sz, "url: cannot connect to %s: %s", c->url, natsStatus_GetText(s));
    goto fail;
  }
  nats_gauge(NC_CONNECTED, 1);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = (int64_t)c->connect_timeout_ms;
  jo.PublishAsync.MaxPending = (int64_t)c->max_pending;
  jo.PublishAsync.AckHandler = on_ack;
  jo.PublishAsync.AckHandlerClosure = n;
  jo.PublishAsync.StallWait = 20;
  s = natsConnection_JetStream(&p->js, p->nc, &jo);
  if (s != NATS_OK) {
    snprintf(err, err_sz, "JetStream context: %s", nats_GetLastError(NULL));
    goto fail;
  }
  jsPubOptions_Init(&p->popts);
  p->popts.MaxWait = (int64_t)c->ack_wait_ms;
  if (stream_setup(n, err, err_sz)) goto fail;
  if (pthread_create(&n->thr, NULL, pub_main, n)) {
    snprintf(err, err_sz, "cannot start the publisher thread");
    goto fail;
  }
  n->thr_started = 1;
  return 0;
fail:
  pub_free(p);
  n->pub = NULL;
  nats_gauge(NC_CONNECTED, 0);
  return -1;
}

void
nats_pub_close(nats_plugin_t *n) {
  nats_pub_t *p = n->pub;
  if (!p) return;
  if (n->thr_started) {
    __atomic_store_n(&n->stop, 1, __ATOMIC_RELEASE);
    pthread_join(n->thr, NULL);
    n->thr_started = 0;
  }
  /* what is still unacked at the deadline is lost */
  pthread_mutex_lock(&p->rmu);
  p->closing = 1;
  uint64_t lost = p->retry_cnt;
  for (uint64_t i = 0; i < p->retry_cnt; i++) natsMsg_Destroy(p->retry[i]);
  p->retry_cnt = 0;
  pthread_mutex_unlock(&p->rmu);
  natsMsgList pending = { 0 };
  if (js_PublishAsyncGetPendingList(&pending, p->js) == NATS_OK) {
    lost += (uint64_t)pending.Count;
    natsMsgList_Destroy(&pending);
  }
  if (lost) {
    nats_count(NC_LOST_SHUTDOWN, lost);
    __atomic_fetch_sub(&p->inflight, lost, __ATOMIC_RELAXED);
  }
  nats_gauge(NC_PENDING, __atomic_load_n(&p->inflight, __ATOMIC_RELAXED));
  nats_gauge(NC_QUEUE_USED, 0);
  pub_free(p);
  n->pub = NULL;
  nats_gauge(NC_CONNECTED, 0);
}
