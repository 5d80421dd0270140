/* nats.c: the nats plugin's config, hooks and event queue (nats_plugin.h; the
 * libnats half is nats_pub.c). The hooks copy each event into the queue
 * and return: the lane worker never formats, allocates or calls the
 * system. */
#include <inttypes.h>
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
  [NC_DROP_QUEUE_FULL]    = {"dropped", "reason", "queue_full", "events dropped before publishing", 0, 1},
  [NC_DROP_TOO_LARGE]     = {"dropped", "reason", "too_large", "events dropped before publishing", 0, 1},
  [NC_PUBLISHED]          = {"published", NULL, NULL, "events handed to libnats (sent or buffered)", 0},
  [NC_ACKED]              = {"acked", NULL, NULL, "events the stream acknowledged (duplicates included)", 0},
  [NC_DUPLICATES]         = {"duplicates", NULL, NULL, "acks saying the stream already held the Nats-Msg-Id", 0},
  [NC_RETRIES]            = {"retries", NULL, NULL, "publishes resent (no ack in time, no responders)", 0},
  [NC_LOST_DISCONNECTED]  = {"lost", "reason", "disconnected", "events lost after the queue", 0, 1},
  [NC_LOST_NACK]          = {"lost", "reason", "nack", "events lost after the queue", 0, 1},
  [NC_LOST_PUBLISH_ERROR] = {"lost", "reason", "publish_error", "events lost after the queue", 0, 1},
  [NC_LOST_FORMAT]        = {"lost", "reason", "format", "events lost after the queue", 0, 1},
  [NC_LOST_SHUTDOWN]      = {"lost", "reason", "shutdown", "events lost after the queue", 0, 1},
  [NC_DISCONNECTS]        = {"disconnects", NULL, NULL, "connections to NATS lost", 0},
  [NC_RECONNECTS]         = {"reconnects", NULL, NULL, "connections to NATS restored", 0},
  [NC_BYTES]              = {"published_bytes", NULL, NULL, "payload bytes published", 0},
  [NC_CONNECTED]          = {"connected", NULL, NULL, "1 while connected to NATS", 1},
  [NC_PENDING]            = {"pending", NULL, NULL, "publishes waiting for their ack", 1},
  [NC_QUEUE_USED]         = {"queue_used_bytes", NULL, NULL, "bytes in the publisher's queue", 1},
};

/* ---- the queue (single producer: the plugin's hooks, serialised by the host;
 *      single consumer: the publisher thread) ------------------------------------ */

static inline uint32_t
rec_len(size_t body) {
  return (uint32_t)((body + 15U) & ~(size_t)15U);
}

/* Room for len bytes at the head, contiguous: a PAD record fills the end
 * of the buffer when the record does not fit there (published together
 * with the record by queue_commit). NULL when full. */
static void *
queue_reserve(nats_plugin_t *n, uint32_t len) {
  uint64_t head = n->head;
  uint64_t tail = __atomic_load_n(&n->tail, __ATOMIC_ACQUIRE);
  uint64_t off = head & (n->qcap - 1);
  uint64_t to_end = n->qcap - off;
  uint64_t need = len <= to_end ? len : to_end + len;
  if (n->qcap - (head - tail) < need) return NULL;
  n->pad = 0;
  if (len > to_end) {
    nrec_t *pad = (nrec_t *)(n->q + off);
    pad->len = (uint32_t)to_end;
    pad->type = NREC_PAD;
    n->pad = to_end;
    off = 0;
  }
  return n->q + off;
}

/* Publishes the reserved record (and the padding before it). */
static inline void
queue_commit(nats_plugin_t *n, uint32_t len) {
  __atomic_store_n(&n->head, n->head + n->pad + len, __ATOMIC_RELEASE);
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
  if (nats_cfg_parse(env, n, err, err_sz)) {
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
  sof_pcounter_group_t const pg = {
    .owner = "nats", .telemetry = 1, .c = nats_pcounters, .n = NC_CNT, .values = nats_counters,
  };
  if (sof_pcounter_register(&pg, err, err_sz)) {
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
  sof_pcounter_json_fields(j, nats_pcounters, NC_CNT, nats_counters);
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
  uint64_t lost = 0, dropped = nats_counters[NC_DROP_QUEUE_FULL] + nats_counters[NC_DROP_TOO_LARGE];
  for (unsigned k = NC_LOST_DISCONNECTED; k <= NC_LOST_SHUTDOWN; k++) lost += nats_counters[k];
  if (lost || dropped)
    fprintf(stderr, "nats: %" PRIu64 " of %" PRIu64 " events not stored: %" PRIu64 " dropped (queue full / too "
            "large), %" PRIu64 " lost (server away, refused, or unacked at the drain deadline)\n",
            lost + dropped, nats_counters[NC_EVENTS], dropped, lost);
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
