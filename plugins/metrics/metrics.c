/* metrics.c: see metrics.h. Counters have one writer at a time (the
 * plugin is sequential) and readers on any thread (the telemetry render):
 * the writer does a relaxed load and store (no locked instruction), the
 * readers relaxed loads. Packets by source port are exact: one counter per
 * port (65536 x 8 bytes, allocated at setup); the top ones are picked when
 * rendering. */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

#include "util/sof_json.h"
#include "wire/sof_txn.h"

#include "../common/sof_plugin_common.h"

#define METRICS_PORTS         65536U
#define METRICS_TOP_DEFAULT   16U
#define METRICS_TOP_MAX       64U

typedef struct metrics {
  uint64_t packets;
  uint64_t bytes;
  uint64_t first_tsc;   /* first packet's time (0: none yet) */
  uint64_t last_tsc;
  uint64_t shreds;
  uint64_t data_shreds;
  uint64_t code_shreds;
  uint64_t datasets;
  uint64_t dataset_bytes;
  uint64_t recovered;
  uint64_t last_in_slot;
  uint64_t txns;
  uint64_t txn_kind[SOF_TXN_KIND_CNT + 1]; /* the last one: a kind out of range */
  uint64_t tsc_hz;
  unsigned top;
  sof_plugout_t out;
  uint64_t *by_port;    /* METRICS_PORTS counters */
} metrics_t;

static inline void
bump(uint64_t *c, uint64_t n) {
  __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline uint64_t
rd(uint64_t const *c) {
  return __atomic_load_n(c, __ATOMIC_RELAXED);
}

static char const *const metrics_keys[] = { "path", "top_ports", NULL };

static int
metrics_setup(sof_plugin_env_t *env, void **state, char *err, size_t err_sz) {
  uint64_t top = 0;
  if (sof_pcfg_check_keys(env, metrics_keys, NULL, err, err_sz) ||
      sof_pcfg_u64(env, "top_ports", METRICS_TOP_DEFAULT, 1, METRICS_TOP_MAX, &top, err, err_sz))
    return -1;
  metrics_t *m = calloc(1, sizeof *m);
  uint64_t *by_port = calloc(METRICS_PORTS, sizeof *by_port);
  if (!m || !by_port) {
    free(m);
    free(by_port);
    snprintf(err, err_sz, "out of memory");
    return -1;
  }
  m->by_port = by_port;
  m->top = (unsigned)top;
  m->tsc_hz = env->tsc_hz;
  /* One summary line at shutdown: no periodic flush needed. */
  if (sof_plugout_open(&m->out, sof_pcfg_get(env, "path"), "stderr", 64U << 10, 0, env->tsc_hz,
                       err, err_sz)) {
    free(by_port);
    free(m);
    return -1;
  }
  sof_plugout_set_owner(&m->out, "metrics");
  *state = m;
  return 0;
}

static void
metrics_on_raw_packet(void *state, sof_ev_raw_packet_t const *ev) {
  metrics_t *m = state;
  uint64_t t = ev->time.rx_tsc ? ev->time.rx_tsc : sof_plugin_tsc();
  if (!m->packets) __atomic_store_n(&m->first_tsc, t, __ATOMIC_RELAXED);
  __atomic_store_n(&m->last_tsc, t, __ATOMIC_RELAXED);
  bump(&m->packets, 1);
  bump(&m->bytes, ev->sz);
  bump(&m->by_port[ev->src_port], 1);
}

static void
metrics_on_shred(void *state, sof_ev_shred_t const *ev) {
  metrics_t *m = state;
  bump(&m->shreds, 1);
  bump(ev->shred->is_data ? &m->data_shreds : &m->code_shreds, 1);
}

static void
metrics_on_dataset(void *state, sof_ev_dataset_t const *ev) {
  metrics_t *m = state;
  bump(&m->datasets, 1);
  bump(&m->dataset_bytes, ev->payload_sz);
  bump(&m->recovered, ev->recovered_cnt);
  if (ev->last_in_slot) bump(&m->last_in_slot, 1);
}

static void
metrics_on_transaction(void *state, sof_ev_txn_t const *ev) {
  metrics_t *m = state;
  bump(&m->txns, 1);
  unsigned k = ev->kind >= 0 && ev->kind < SOF_TXN_KIND_CNT ? (unsigned)ev->kind
                                                            : SOF_TXN_KIND_CNT;
  bump(&m->txn_kind[k], 1);
}

typedef struct port_cnt {
  uint32_t port;
  uint64_t n;
} port_cnt_t;

/* The fields (see metrics.h) into an open object. */
static void
metrics_fields(metrics_t const *m, sof_json_t *j) {
  uint64_t packets = rd(&m->packets), bytes = rd(&m->bytes);
  sof_json_key(j, "packets");             sof_json_u64(j, packets);
  sof_json_key(j, "bytes");               sof_json_u64(j, bytes);
  sof_json_key(j, "shreds");              sof_json_u64(j, rd(&m->shreds));
  sof_json_key(j, "dataShreds");          sof_json_u64(j, rd(&m->data_shreds));
  sof_json_key(j, "codeShreds");          sof_json_u64(j, rd(&m->code_shreds));
  sof_json_key(j, "datasets");            sof_json_u64(j, rd(&m->datasets));
  sof_json_key(j, "datasetPayloadBytes"); sof_json_u64(j, rd(&m->dataset_bytes));
  sof_json_key(j, "recoveredShreds");     sof_json_u64(j, rd(&m->recovered));
  sof_json_key(j, "lastInSlotDatasets");  sof_json_u64(j, rd(&m->last_in_slot));
  sof_json_key(j, "transactions");        sof_json_u64(j, rd(&m->txns));
  sof_json_key(j, "transactionsByKind");
  sof_json_obj_begin(j);
  for (int k = 0; k < SOF_TXN_KIND_CNT; k++) {
    sof_json_key(j, sof_txn_kind_str(k));
    sof_json_u64(j, rd(&m->txn_kind[k]));
  }
  if (rd(&m->txn_kind[SOF_TXN_KIND_CNT])) {
    sof_json_key(j, "unknown");
    sof_json_u64(j, rd(&m->txn_kind[SOF_TXN_KIND_CNT]));
  }
  sof_json_obj_end(j);

  /* Top ports: most packets first, ties by port; the rest is "other". */
  port_cnt_t top[METRICS_TOP_MAX];
  unsigned top_n = 0;
  uint64_t all = 0, distinct = 0;
  for (uint32_t p = 0; p < METRICS_PORTS; p++) {
    uint64_t n = rd(&m->by_port[p]);
    if (!n) continue;
    all += n;
    distinct++;
    if (top_n == m->top && n <= top[top_n - 1].n) continue;
    unsigned i = top_n < m->top ? top_n++ : top_n - 1;
    while (i > 0 && top[i - 1].n < n) {
      top[i] = top[i - 1];
      i--;
    }
    top[i] = (port_cnt_t){ p, n };
  }
  uint64_t top_sum = 0;
  sof_json_key(j, "sourcePorts"); sof_json_u64(j, distinct);
  sof_json_key(j, "packetsBySourcePort");
  sof_json_arr_begin(j);
  for (unsigned i = 0; i < top_n; i++) {
    top_sum += top[i].n;
    sof_json_obj_begin(j);
    sof_json_key(j, "port");    sof_json_u64(j, top[i].port);
    sof_json_key(j, "packets"); sof_json_u64(j, top[i].n);
    sof_json_obj_end(j);
  }
  sof_json_obj_begin(j);
  sof_json_key(j, "port");    sof_json_str(j, "other");
  sof_json_key(j, "packets"); sof_json_u64(j, all - top_sum);
  sof_json_obj_end(j);
  sof_json_arr_end(j);

  uint64_t first = rd(&m->first_tsc), last = rd(&m->last_tsc);
  double secs = m->tsc_hz && last > first ? (double)(last - first) / (double)m->tsc_hz : 0.0;
  sof_json_key(j, "seconds");       sof_pjson_num3(j, secs);
  sof_json_key(j, "packetsPerSec"); sof_pjson_num3(j, secs > 0 ? (double)packets / secs : 0.0);
  sof_json_key(j, "mibPerSec");
  sof_pjson_num3(j, secs > 0 ? (double)bytes / (1048576.0 * secs) : 0.0);
}

static void
metrics_fields_any(void const *state, sof_json_t *j) {
  metrics_fields(state, j);
}

int
sof_plugin_metrics_render(void *state, char *buf, size_t sz) {
  return sof_pjson_render(state, metrics_fields_any, buf, sz);
}

static void
metrics_shutdown(void *state) {
  metrics_t *m = state;
  char line[8192];
  sof_pjson_summary(&m->out, "metrics", m, metrics_fields_any, line, sizeof line);
  sof_plugout_close(&m->out, "metrics");
  free(m->by_port);
  free(m);
}

sof_plugin_t const sof_plugin_metrics = {
  .name            = "metrics",
  .api_version     = SOF_PLUGIN_API_VERSION,
  .hooks           = SOF_HOOK_BIT(RAW_PACKET) | SOF_HOOK_BIT(SHRED) | SOF_HOOK_BIT(DATASET) |
                     SOF_HOOK_BIT(TRANSACTION),
  .commitment      = SOF_COMMITMENT_PROCESSED,
  .commitment_mode = SOF_COMMITMENT_AT_LEAST,
  .dispatch        = SOF_DISPATCH_SEQUENTIAL,
  .setup           = metrics_setup,
  .shutdown        = metrics_shutdown,
  .on_raw_packet   = metrics_on_raw_packet,
  .on_shred        = metrics_on_shred,
  .on_dataset      = metrics_on_dataset,
  .on_transaction  = metrics_on_transaction,
};
