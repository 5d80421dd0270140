/* nats.c: the nats plugin's config, hooks and event queue (nats_plugin.h; the
 * libnats half is nats_pub.c). The hooks copy each event into the queue
 * and return: the lane worker never formats, allocates or calls the
 * system. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "plugin/sof_plugin.h"
#include "util/sof_json.h"

#include "../common/sof_pcounter.h"
#include "../common/sof_plugin_common.h"
#include "nats_plugin.h"
#include "nats_int.h"

uint64_t nats_counters[NC_CNT];

static sof_pcounter_t const nats_pcounters[NC_CNT] = {
  [NC_EVENTS]             = {"events", NULL, NULL, "events the nats plugin was given", 0},
  [NC_QUEUED]             = {"queued", NULL, NULL, "events copied into the publisher's queue", 0},
  [NC_DROP_QUEUE_FULL]    = {"dropped", "reason", "queue_full", "events dropped before publishing", 0},
  [NC_DROP_TOO_LARGE]     = {"dropped", "reason", "too_large", "events dropped before publishing", 0},
  [NC_PUBLISHED]          = {"published", NULL, NULL, "events handed to libnats (sent or buffered)", 0},
  [NC_ACKED]              = {"acked", NULL, NULL, "events the stream acknowledged (duplicates included)", 0},
  [NC_DUPLICATES]         = {"duplicates", NULL, NULL, "acks saying the stream already held the Nats-Msg-Id", 0},
  [NC_RETRIES]            = {"retries", NULL, NULL, "publishes resent (no ack in time, no responders)", 0},
  [NC_LOST_DISCONNECTED]  = {"lost", "reason", "disconnected", "events lost after the queue", 0},
  [NC_LOST_NACK]          = {"lost", "reason", "nack", "events lost after the queue", 0},
  [NC_LOST_PUBLISH_ERROR] = {"lost", "reason", "publish_error", "events lost after the queue", 0},
  [NC_LOST_FORMAT]        = {"lost", "reason", "format", "events lost after the queue", 0},
  [NC_LOST_SHUTDOWN]      = {"lost", "reason", "shutdown", "events lost after the queue", 0},
  [NC_DISCONNECTS]        = {"disconnects", NULL, NULL, "connections to NATS lost", 0},
  [NC_RECONNECTS]         = {"reconnects", NULL, NULL, "connections to NATS restored", 0},
  [NC_BYTES]              = {"published_bytes", NULL, NULL, "payload bytes published", 0},
  [NC_CONNECTED]          = {"connected", NULL, NULL, "1 while connected to NATS", 1},
  [NC_PENDING]            = {"pending", NULL, NULL, "publishes waiting for their ack", 1},
  [NC_QUEUE_USED]         = {"queue_used_bytes", NULL, NULL, "bytes in the publisher's queue", 1},
};

/* ---- config ------------------------------------------------------------------ */

static char const *const nats_keys[] = {
  "url", "stream", "subject_prefix", "format", "events", "vote", "signature", "account_include",
  "account_exclude", "account_required", "max_age_s", "max_bytes", "replicas", "duplicate_window_ms",
  "storage", "queue_bytes", "max_pending", "reconnect_buf_bytes", "ack_wait_ms", "reconnect_wait_ms",
  "reconnect_wait_max_ms", "connect_timeout_ms", "drain_ms", "poll_us", "latency_header", NULL,
};

static char const *const nats_refused[] = {
  "failed", "the transaction status (success or failure) is not in shreds",
  NULL,
};

static char const *const nats_event_names[NEV_CNT + 1] = {
  [NEV_TX] = "transaction", [NEV_SLOT] = "slot_status", [NEV_REORG] = "reorg",
  [NEV_BLOCKHASH] = "recent_blockhash", [NEV_LEADER] = "leader_schedule", [NEV_DATASET] = "dataset",
  [NEV_CNT] = NULL,
};

/* A string key copied into out (cap bytes incl. NUL); dflt when absent. */
static int
str_key(sof_plugin_env_t const *env, char const *key, char const *dflt, char *out, size_t cap, char *err,
        size_t err_sz) {
  char const *v = sof_pcfg_get(env, key);
  if (!v) v = dflt;
  size_t l = strlen(v);
  if (!l || l >= cap) {
    snprintf(err, err_sz, "%s: %s (1 to %zu characters)", key, l ? "too long" : "empty", cap - 1);
    return -1;
  }
  memcpy(out, v, l + 1);
  return 0;
}

/* A NATS name (the stream): letters, digits, '-', '_'. */
static int
check_name(char const *key, char const *v, char *err, size_t err_sz) {
  for (char const *p = v; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
          *p == '_')) {
      snprintf(err, err_sz, "%s: '%s' has '%c' (letters, digits, '-' and '_' only)", key, v, *p);
      return -1;
    }
  return 0;
}

/* A subject prefix: dot-separated tokens of letters, digits, '-', '_' (no
 * wildcards, no empty token). */
static int
check_prefix(char const *v, char *err, size_t err_sz) {
  size_t tok = 0;
  for (char const *p = v;; p++) {
    if (*p == '.' || !*p) {
      if (!tok) {
        snprintf(err, err_sz, "subject_prefix: '%s' has an empty token (tokens separated by single dots)", v);
        return -1;
      }
      if (!*p) return 0;
      tok = 0;
      continue;
    }
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
          *p == '_')) {
      snprintf(err, err_sz, "subject_prefix: '%s' has '%c' (letters, digits, '-', '_' and dots only; "
               "no wildcards)", v, *p);
      return -1;
    }
    tok++;
  }
}

static int
parse_events(sof_plugin_env_t const *env, uint8_t want[NEV_CNT], char *err, size_t err_sz) {
  char const *v = sof_pcfg_get(env, "events");
  if (!v) { /* all but datasets */
    memset(want, 1, NEV_CNT);
    want[NEV_DATASET] = 0;
    return 0;
  }
  memset(want, 0, NEV_CNT);
  for (unsigned item = 1;; item++) {
    char const *end = strchr(v, ',');
    if (!end) end = v + strlen(v);
    char const *b = v, *e = end;
    while (b < e && (*b == ' ' || *b == '\t')) b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t')) e--;
    int found = -1;
    for (int i = 0; i < NEV_CNT; i++)
      if ((size_t)(e - b) == strlen(nats_event_names[i]) && !memcmp(b, nats_event_names[i], (size_t)(e - b)))
        found = i;
    if (found < 0) {
      snprintf(err, err_sz, "events: item %u ('%.*s') is not one of transaction, slot_status, reorg, "
               "recent_blockhash, leader_schedule, dataset", item, (int)((e - b) > 64 ? 64 : (e - b)), b);
      return -1;
    }
    want[found] = 1;
    if (!*end) return 0;
    v = end + 1;
  }
}

static int
parse_cfg(sof_plugin_env_t const *env, nats_plugin_t *n, char *err, size_t err_sz) {
  nats_cfg_t *c = &n->cfg;
  static char const *const formats[] = { "json", "protobuf", NULL };
  static char const *const storages[] = { "file", "memory", NULL };
  static char const *const votes[] = { "any", "false", "true", NULL };
  int format = 0, storage = 0, vote = 0;
  if (sof_pcfg_check_keys(env, nats_keys, nats_refused, err, err_sz) ||
      str_key(env, "url", "nats://127.0.0.1:4222", c->url, sizeof c->url, err, err_sz) ||
      str_key(env, "stream", "SOF", c->stream, sizeof c->stream, err, err_sz) ||
      check_name("stream", c->stream, err, err_sz) ||
      str_key(env, "subject_prefix", "sof", c->prefix, sizeof c->prefix - 32, err, err_sz) ||
      check_prefix(c->prefix, err, err_sz) ||
      sof_pcfg_choice(env, "format", formats, 0, &format, err, err_sz) ||
      parse_events(env, c->want, err, err_sz) ||
      sof_pcfg_choice(env, "vote", votes, 0, &vote, err, err_sz) ||
      sof_pcfg_signature(env, "signature", n->pf.signature, &n->pf.has_signature, err, err_sz) ||
      sof_pcfg_keys(env, "account_include", &n->include, &n->pf.include_cnt, err, err_sz) ||
      sof_pcfg_keys(env, "account_exclude", &n->exclude, &n->pf.exclude_cnt, err, err_sz) ||
      sof_pcfg_keys(env, "account_required", &n->required, &n->pf.required_cnt, err, err_sz) ||
      sof_pcfg_u64(env, "max_age_s", 0, 0, 100ULL * 365 * 86400, &c->max_age_s, err, err_sz) ||
      sof_pcfg_u64(env, "max_bytes", 0, 0, 1ULL << 50, &c->max_bytes, err, err_sz) ||
      sof_pcfg_u64(env, "replicas", 1, 1, 5, &c->replicas, err, err_sz) ||
      sof_pcfg_u64(env, "duplicate_window_ms", 120000, 100, 86400000, &c->dup_window_ms, err, err_sz) ||
      sof_pcfg_choice(env, "storage", storages, 0, &storage, err, err_sz) ||
      sof_pcfg_u64(env, "queue_bytes", 16U << 20, 64U << 10, 1ULL << 32, &c->queue_bytes, err, err_sz) ||
      sof_pcfg_u64(env, "max_pending", 4096, 1, 1U << 20, &c->max_pending, err, err_sz) ||
      sof_pcfg_u64(env, "reconnect_buf_bytes", 8U << 20, 0, 1ULL << 31, &c->reconnect_buf, err, err_sz) ||
      sof_pcfg_u64(env, "ack_wait_ms", 2000, 10, 600000, &c->ack_wait_ms, err, err_sz) ||
      sof_pcfg_u64(env, "reconnect_wait_ms", 100, 1, 600000, &c->reconnect_wait_ms, err, err_sz) ||
      sof_pcfg_u64(env, "reconnect_wait_max_ms", 2000, 1, 600000, &c->reconnect_wait_max_ms, err, err_sz) ||
      sof_pcfg_u64(env, "connect_timeout_ms", 2000, 10, 600000, &c->connect_timeout_ms, err, err_sz) ||
      sof_pcfg_u64(env, "drain_ms", 5000, 0, 600000, &c->drain_ms, err, err_sz) ||
      sof_pcfg_u64(env, "poll_us", 100, 10, 100000, &c->poll_us, err, err_sz) ||
      sof_pcfg_bool(env, "latency_header", 0, &c->latency_header, err, err_sz))
    return -1;
  if (format == 1) {
    snprintf(err, err_sz, "format: protobuf is not available: this build has no protobuf schema of the "
             "events (proto/geyser.proto); use format = json");
    return -1;
  }
  if (c->reconnect_wait_max_ms < c->reconnect_wait_ms) {
    snprintf(err, err_sz, "reconnect_wait_max_ms (%llu) is below reconnect_wait_ms (%llu)",
             (unsigned long long)c->reconnect_wait_max_ms, (unsigned long long)c->reconnect_wait_ms);
    return -1;
  }
  int any = 0;
  for (int i = 0; i < NEV_CNT; i++) any |= c->want[i];
  if (!any) {
    snprintf(err, err_sz, "events: nothing to publish");
    return -1;
  }
  c->memory = (uint64_t)storage;
  n->pf.vote = vote - 1;
  n->pf.include = (uint8_t const (*)[32])n->include;
  n->pf.exclude = (uint8_t const (*)[32])n->exclude;
  n->pf.required = (uint8_t const (*)[32])n->required;
  return 0;
}

/* ---- the queue (single producer: the plugin's hooks, serialised by the host;
 *      single consumer: the publisher thread) ------------------------------------ */

static inline uint32_t
rec_len(size_t body) {
  return (uint32_t)((body + 15U) & ~(size_t)15U);
}

/* Room for len bytes at the head, contiguous: a PAD record fills the end
 * of the buffer when the record does not fit there. NULL when full. */
static void *
queue_reserve(nats_plugin_t *n, uint32_t len) {
  uint64_t head = n->head;
  uint64_t tail = __atomic_load_n(&n->tail, __ATOMIC_ACQUIRE);
  uint64_t off = head & (n->qcap - 1);
  uint64_t to_end = n->qcap - off;
  uint64_t need = len <= to_end ? len : to_end + len;
  if (n->qcap - (head - tail) < need) return NULL;
  if (len > to_end) {
    nrec_t *pad = (nrec_t *)(n->q + off);
    pad->len = (uint32_t)to_end;
    pad->type = NREC_PAD;
    head += to_end;
    n->head = head; /* published with the record below */
    off = 0;
  }
  return n->q + off;
}

static inline void
queue_commit(nats_plugin_t *n, uint32_t len) {
  __atomic_store_n(&n->head, n->head + len, __ATOMIC_RELEASE);
  nats_count(NC_QUEUED, 1);
}

nrec_t const *
nats_queue_peek(nats_plugin_t *n) {
  for (;;) {
    uint64_t tail = n->tail;
    uint64_t head = __atomic_load_n(&n->head, __ATOMIC_ACQUIRE);
    if (head == tail) return NULL;
    nrec_t const *r = (nrec_t const *)(n->q + (tail & (n->qcap - 1)));
    if (r->type != NREC_PAD) return r;
    __atomic_store_n(&n->tail, tail + r->len, __ATOMIC_RELEASE);
  }
}

void
nats_queue_pop(nats_plugin_t *n, nrec_t const *r) {
  __atomic_store_n(&n->tail, n->tail + r->len, __ATOMIC_RELEASE);
}

/* Copies a fixed-size event struct into a record of type t. */
static void
queue_struct(nats_plugin_t *n, uint16_t t, void const *ev, size_t sz, uint64_t rx_tsc) {
  nats_count(NC_EVENTS, 1);
  uint32_t len = rec_len(sizeof(nrec_t) + sz);
  nrec_t *r = queue_reserve(n, len);
  if (!r) {
    nats_count(NC_DROP_QUEUE_FULL, 1);
    return;
  }
  r->len = len;
  r->type = t;
  r->sz = 0;
  r->rx_tsc = rx_tsc;
  memcpy(r + 1, ev, sz);
  queue_commit(n, len);
}

/* ---- hooks ------------------------------------------------------------------- */

static void
nats_on_transaction(void *state, sof_ev_txn_t const *ev) {
  nats_plugin_t *n = state;
  if (!n->cfg.want[NEV_TX]) return;
  nats_count(NC_EVENTS, 1);
  if (ev->sz > SOF_TXN_MTU) {
    nats_count(NC_DROP_TOO_LARGE, 1);
    return;
  }
  uint32_t len = rec_len(sizeof(nrec_tx_t) + ev->sz);
  nrec_tx_t *r = queue_reserve(n, len);
  if (!r) {
    nats_count(NC_DROP_QUEUE_FULL, 1);
    return;
  }
  r->h.len = len;
  r->h.type = NREC_TX;
  r->h.sz = (uint16_t)ev->sz;
  r->h.rx_tsc = ev->time.rx_tsc;
  r->slot = ev->slot;
  r->entry = ev->entry_idx;
  r->commitment = (uint8_t)ev->commitment;
  r->path = (uint8_t)ev->path;
  r->kind = (uint8_t)ev->kind;
  memcpy(r + 1, ev->bytes, ev->sz);
  queue_commit(n, len);
}

static void
nats_on_slot_status(void *state, sof_ev_slot_status_t const *ev) {
  nats_plugin_t *n = state;
  if (n->cfg.want[NEV_SLOT]) queue_struct(n, NREC_SLOT, ev, sizeof *ev, 0);
}

static void
nats_on_reorg(void *state, sof_ev_reorg_t const *ev) {
  nats_plugin_t *n = state;
  if (n->cfg.want[NEV_REORG]) queue_struct(n, NREC_REORG, ev, sizeof *ev, 0);
}

static void
nats_on_recent_blockhash(void *state, sof_ev_recent_blockhash_t const *ev) {
  nats_plugin_t *n = state;
  if (n->cfg.want[NEV_BLOCKHASH]) queue_struct(n, NREC_BLOCKHASH, ev, sizeof *ev, 0);
}

static void
nats_on_leader_schedule(void *state, sof_ev_leader_schedule_t const *ev) {
  nats_plugin_t *n = state;
  if (n->cfg.want[NEV_LEADER]) queue_struct(n, NREC_LEADER, ev, sizeof *ev, 0);
}

static void
nats_on_dataset(void *state, sof_ev_dataset_t const *ev) {
  nats_plugin_t *n = state;
  if (n->cfg.want[NEV_DATASET]) queue_struct(n, NREC_DATASET, ev, sizeof *ev, ev->time.rx_tsc);
}

/* ---- setup / shutdown ----------------------------------------------------------- */

static int nats_active; /* one instance per process (the counters are static) */

static void
nats_free(nats_plugin_t *n) {
  if (n->q) munmap(n->q, n->qcap);
  free(n->include);
  free(n->exclude);
  free(n->required);
  free(n);
}

static int
nats_setup(sof_plugin_env_t *env, void **state, char *err, size_t err_sz) {
  if (nats_active) {
    snprintf(err, err_sz, "one nats plugin per process");
    return -1;
  }
  nats_plugin_t *n = calloc(1, sizeof *n);
  if (!n) {
    snprintf(err, err_sz, "out of memory");
    return -1;
  }
  if (parse_cfg(env, n, err, err_sz)) {
    nats_free(n);
    return -1;
  }
  int filtered = n->pf.vote >= 0 || n->pf.has_signature || n->pf.include_cnt || n->pf.exclude_cnt ||
                 n->pf.required_cnt;
  if (filtered && !env->set_prefilter) {
    snprintf(err, err_sz, "the host takes no prefilter: the filter keys cannot apply");
    nats_free(n);
    return -1;
  }
  n->tsc_hz = env->tsc_hz;
  n->qcap = 1;
  while (n->qcap < n->cfg.queue_bytes) n->qcap <<= 1;
  void *q = mmap(NULL, n->qcap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (q == MAP_FAILED) {
    snprintf(err, err_sz, "queue_bytes: cannot map %llu bytes", (unsigned long long)n->qcap);
    nats_free(n);
    return -1;
  }
  n->q = q;
  memset(nats_counters, 0, sizeof nats_counters);
  if (sof_pcounter_register("nats", nats_pcounters, nats_counters, NC_CNT)) {
    snprintf(err, err_sz, "no room to register the counters");
    nats_free(n);
    return -1;
  }
  if (nats_pub_open(n, err, err_sz)) {
    nats_free(n);
    return -1;
  }
  if (filtered) env->set_prefilter(env, &n->pf);
  nats_active = 1;
  *state = n;
  return 0;
}

static void
nats_fields(void const *state, sof_json_t *j) {
  (void)state;
  for (unsigned k = 0; k < NC_CNT; k++) {
    char key[64];
    if (nats_pcounters[k].label_val)
      snprintf(key, sizeof key, "%s_%s", nats_pcounters[k].family, nats_pcounters[k].label_val);
    else
      snprintf(key, sizeof key, "%s", nats_pcounters[k].family);
    sof_json_key(j, key);
    sof_json_u64(j, sof_pcounter_get(&nats_counters[k]));
  }
}

int
sof_plugin_nats_render(void *state, char *buf, size_t sz) {
  return sof_pjson_render(state, nats_fields, buf, sz);
}

static void
nats_shutdown(void *state) {
  nats_plugin_t *n = state;
  nats_pub_close(n);
  char line[2048];
  sof_json_t j;
  sof_json_init(&j, line, sizeof line);
  sof_json_obj_begin(&j);
  sof_json_key(&j, "type");
  sof_json_str(&j, "nats");
  nats_fields(n, &j);
  sof_json_obj_end(&j);
  if (sof_json_ok(&j)) fprintf(stderr, "%.*s\n", (int)j.len, line);
  nats_free(n);
  nats_active = 0;
}

sof_plugin_t const sof_plugin_nats = {
  .name                = "nats",
  .api_version         = SOF_PLUGIN_API_VERSION,
  .hooks               = SOF_HOOK_BIT(TRANSACTION) | SOF_HOOK_BIT(DATASET) | SOF_HOOK_BIT(SLOT_STATUS) |
                         SOF_HOOK_BIT(REORG) | SOF_HOOK_BIT(RECENT_BLOCKHASH) | SOF_HOOK_BIT(LEADER_SCHEDULE),
  .commitment          = SOF_COMMITMENT_PROCESSED,
  .commitment_mode     = SOF_COMMITMENT_AT_LEAST,
  .dispatch            = SOF_DISPATCH_SEQUENTIAL,
  .setup               = nats_setup,
  .shutdown            = nats_shutdown,
  .on_dataset          = nats_on_dataset,
  .on_transaction      = nats_on_transaction,
  .on_slot_status      = nats_on_slot_status,
  .on_reorg            = nats_on_reorg,
  .on_recent_blockhash = nats_on_recent_blockhash,
  .on_leader_schedule  = nats_on_leader_schedule,
};
