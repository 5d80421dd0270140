/* grpc.c: the grpc plugin: a Yellowstone-compatible gRPC endpoint
 * (geyser.Geyser: Subscribe, SubscribeDeshred and the unary methods) and
 * Jito ShredStream's ShredstreamProxy.SubscribeEntries, served by a
 * thread of its own (grpc_srv.h). docs/grpc.md.
 *
 * The hooks run on the host's lane workers (sequential dispatch: one at a
 * time, so the ring has one producer). Each encodes its event once, and
 * only when some subscriber wants that kind, into the broadcast ring
 * (grpc_ring.h), then wakes the server thread if it sleeps. No lock, no
 * allocation; a system call (one eventfd write) only when the server
 * thread was idle. Transactions are rated CRITICAL with inline delivery, so
 * they go out as soon as their bytes are complete in their dataset's
 * prefix; the classifier refuses them (nothing copied by the host) while
 * no subscriber asks for transactions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plugin/sof_plugin.h"
#include "wire/sof_entry.h"

#include "../common/sof_plugin_common.h"
#include "grpc_layout.h"
#include "grpc_pb.h"
#include "grpc_srv.h"

#define SLOT_TRACK 64U /* slots whose entry / transaction counts are kept */

typedef struct slot_cnt {
  uint64_t slot;
  uint64_t entries, txns;
} slot_cnt_t;

typedef struct grpc_plugin {
  grpc_srv_t  *srv;
  grpc_srv_stats_t *st;
  uint64_t     tsc_hz;
  grpc_ring_t *ring;
  grpc_want_t const *want;
  slot_cnt_t   slots[SLOT_TRACK];
  grpc_layout_t *layout;   /* the slots' datasets: block metas (lane worker) */
  sof_ev_dataset_t ds;     /* the last dataset event: its transaction_batch follows */
  int          ds_valid;
  char         render_buf[1];
} grpc_plugin_t;

static char const *const grpc_keys[] = {
  "listen", "x_token", "ring_bytes", "max_connections", "max_subscribers",
  "max_streams_per_conn", "max_request_bytes", "stream_buffer_bytes", "max_lag",
  "ping_interval_ms", "idle_timeout_ms", "max_filters", "max_keys", "spin_us", "commit_hold_max",
  "cpus", "sched_priority", "idle_poll", NULL,
};

static int
grpc_setup(sof_plugin_env_t *env, void **state, char *err, size_t err_sz) {
  grpc_cfg_t cfg;
  memset(&cfg, 0, sizeof cfg);
  uint64_t ring = 0, conns = 0, subs = 0, spc = 0, reqb = 0, sbuf = 0, lag = 0, ping = 0, idle = 0,
           nf = 0, nk = 0, spin = 0, hold = 0, prio = 0;
  int idle_poll = 0;
  if (sof_pcfg_check_keys(env, grpc_keys, NULL, err, err_sz) ||
      sof_pcfg_u64(env, "ring_bytes", 64ULL << 20, 1ULL << 20, 1ULL << 34, &ring, err, err_sz) ||
      sof_pcfg_u64(env, "max_connections", 256, 1, 65536, &conns, err, err_sz) ||
      sof_pcfg_u64(env, "max_subscribers", 128, 1, 65536, &subs, err, err_sz) ||
      sof_pcfg_u64(env, "max_streams_per_conn", 16, 1, 1024, &spc, err, err_sz) ||
      sof_pcfg_u64(env, "max_request_bytes", 1U << 20, 1024, 64U << 20, &reqb, err, err_sz) ||
      sof_pcfg_u64(env, "stream_buffer_bytes", 4U << 20, 256U << 10, 1U << 30, &sbuf, err, err_sz) ||
      sof_pcfg_u64(env, "max_lag", 200000, 0, 1ULL << 40, &lag, err, err_sz) ||
      sof_pcfg_u64(env, "ping_interval_ms", 15000, 0, 3600000, &ping, err, err_sz) ||
      sof_pcfg_u64(env, "idle_timeout_ms", 60000, 0, 86400000, &idle, err, err_sz) ||
      sof_pcfg_u64(env, "max_filters", 256, 1, 65536, &nf, err, err_sz) ||
      sof_pcfg_u64(env, "max_keys", 10000, 0, 1000000, &nk, err, err_sz) ||
      sof_pcfg_u64(env, "sched_priority", 0, 0, 99, &prio, err, err_sz) ||
      /* under SCHED_FIFO the idle spin would hold the CPU from everything
       * below it while records flow: off unless asked (docs/grpc.md) */
      sof_pcfg_u64(env, "spin_us", prio ? 0 : 200, 0, 1000000, &spin, err, err_sz) ||
      sof_pcfg_u64(env, "commit_hold_max", 65536, 16, 1U << 24, &hold, err, err_sz) ||
      sof_pcfg_bool(env, "idle_poll", 0, &idle_poll, err, err_sz))
    return -1;
  if (idle_poll && sof_pcfg_get(env, "spin_us")) {
    snprintf(err, err_sz, "spin_us and idle_poll: idle_poll replaces the spin and the sleep; set one");
    return -1;
  }
  cfg.idle_poll = (uint32_t)idle_poll;
  if (idle_poll) spin = 0;
  char const *cpus = sof_pcfg_get(env, "cpus");
  if (cpus) {
    long nconf = sysconf(_SC_NPROCESSORS_CONF);
    if (grpc_cpus_parse(cpus, nconf > 0 ? (unsigned)nconf : 1U, cfg.cpus, err, err_sz)) return -1;
    cfg.cpus_set = 1;
  }
  cfg.sched_priority = (uint32_t)prio;
  if (ring & (ring - 1)) {
    snprintf(err, err_sz, "ring_bytes: %llu is not a power of two", (unsigned long long)ring);
    return -1;
  }
  char const *listen = sof_pcfg_get(env, "listen");
  if (!listen || !listen[0]) {
    snprintf(err, err_sz, "listen: required (HOST:PORT, e.g. 127.0.0.1:10000)");
    return -1;
  }
  if (strlen(listen) >= sizeof cfg.listen) {
    snprintf(err, err_sz, "listen: too long");
    return -1;
  }
  snprintf(cfg.listen, sizeof cfg.listen, "%s", listen);
  char const *tok = sof_pcfg_get(env, "x_token");
  if (tok) {
    if (!tok[0] || strlen(tok) >= sizeof cfg.x_token) {
      snprintf(err, err_sz, "x_token: empty or longer than %zu bytes", sizeof cfg.x_token - 1);
      return -1;
    }
    snprintf(cfg.x_token, sizeof cfg.x_token, "%s", tok);
  }
  cfg.ring_bytes = ring;
  cfg.max_connections = (uint32_t)conns;
  cfg.max_subscribers = (uint32_t)subs;
  cfg.max_streams_per_conn = (uint32_t)spc;
  cfg.max_request_bytes = (uint32_t)reqb;
  cfg.stream_buffer_bytes = (uint32_t)sbuf;
  cfg.max_lag = lag;
  cfg.ping_interval_ms = (uint32_t)ping;
  cfg.idle_timeout_ms = (uint32_t)idle;
  cfg.max_filters = (uint32_t)nf;
  cfg.max_keys = (uint32_t)nk;
  cfg.spin_us = (uint32_t)spin;
  cfg.commit_hold_max = (uint32_t)hold;
  grpc_plugin_t *g = calloc(1, sizeof *g);
  if (g && !(g->layout = grpc_layout_new())) {
    free(g);
    g = NULL;
  }
  if (!g) {
    snprintf(err, err_sz, "out of memory");
    return -1;
  }
  g->srv = grpc_srv_new(&cfg, err, err_sz);
  if (!g->srv || grpc_srv_start(g->srv, err, err_sz)) {
    grpc_srv_stop_free(g->srv);
    grpc_layout_free(g->layout);
    free(g);
    return -1;
  }
  g->ring = grpc_srv_ring(g->srv);
  g->st = grpc_srv_stats(g->srv);
  g->tsc_hz = env->tsc_hz;
  grpc_srv_set_tsc_hz(g->srv, env->tsc_hz);
  g->want = grpc_srv_want(g->srv);
  if (grpc_srv_counters_register(g->srv, err, err_sz)) { /* Prometheus (sof_pcounter) */
    grpc_srv_stop_free(g->srv);
    grpc_layout_free(g->layout);
    free(g);
    return -1;
  }
  fprintf(stderr, "grpc: listening on %s (port %u)\n", cfg.listen, grpc_srv_port(g->srv));
  grpc_thread_info_t ti;
  grpc_srv_thread_info(g->srv, &ti);
  fprintf(stderr, "grpc: server thread on CPUs %s, %s %d, spin_us %u%s%s\n", ti.cpus,
          ti.fifo ? "SCHED_FIFO" : "SCHED_OTHER", ti.priority, ti.spin_us,
          ti.idle_poll ? ", idle_poll (SCHED_IDLE between passes)" : "",
          ti.fifo && ti.spin_us ? " (warning: a SCHED_FIFO thread spinning holds its CPU from every "
                                  "thread below it while records flow: give it CPUs of its own)" : "");
  *state = g;
  return 0;
}

static void
grpc_shutdown(void *state) {
  grpc_plugin_t *g = state;
  grpc_srv_counters_unregister(); /* before the server (its counters) goes */
  grpc_srv_stop_free(g->srv);
  grpc_layout_free(g->layout);
  free(g);
}

/* sof_plugin_grpc_render: the server's counters and subscribers as one
 * JSON object (telemetry /sof/plugins, /plugins/grpc). Any thread. */
int sof_plugin_grpc_render(void *state, char *buf, size_t sz);
int
sof_plugin_grpc_render(void *state, char *buf, size_t sz) {
  grpc_plugin_t *g = state;
  return grpc_srv_render(g->srv, buf, sz);
}

/* created_at: the wall-clock time of the RX burst that completed the event
 * when the event says (the TSC elapsed since then taken off the clock now),
 * else now. A client's receipt time minus created_at is then sofd's whole
 * latency, from the packet's arrival. */
static void
rec_base(grpc_plugin_t const *g, grpc_rec_t *h, int kind, uint64_t slot, sof_ev_marks_t const *m,
         uint64_t rx_tsc) {
  memset(h, 0, sizeof *h);
  h->kind = (uint16_t)kind;
  h->slot = slot;
  h->rx_tsc = rx_tsc;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts); /* vDSO: no system call */
  uint64_t now_tsc = sof_plugin_tsc();
  h->commit_tsc = now_tsc;
  if (rx_tsc && g->tsc_hz && now_tsc > rx_tsc) {
    uint64_t back = (uint64_t)((double)(now_tsc - rx_tsc) * 1e9 / (double)g->tsc_hz);
    uint64_t ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
    if (back < ns) ns -= back;
    ts.tv_sec = (time_t)(ns / 1000000000ULL);
    ts.tv_nsec = (long)(ns % 1000000000ULL);
  }
  h->ts_sec = ts.tv_sec;
  h->ts_nsec = (int32_t)ts.tv_nsec;
  h->tip = m ? m->tip : UINT64_MAX;
  h->confirmed = m ? m->confirmed : UINT64_MAX;
  h->finalized = m ? m->finalized : UINT64_MAX;
}

/* Nothing is copied for a transaction no subscriber's filter can take:
 * none at all without a transaction filter, no simple vote while every
 * filter says vote = false (or failed = true). */
static int
grpc_accepts(void *state, sof_ev_txn_t const *ev) {
  grpc_plugin_t const *g = state;
  return grpc_want_txn(g->want, ev->txn->simple_vote);
}

static int
grpc_interest(void *state, sof_ev_txn_t const *ev) {
  (void)state;
  (void)ev;
  return SOF_INTEREST_CRITICAL;
}

static void
grpc_on_transaction(void *state, sof_ev_txn_t const *ev) {
  grpc_plugin_t *g = state;
  if (!grpc_want_txn(g->want, ev->txn->simple_vote)) return; /* filters changed since the classifier */
  uint64_t t0 = sof_plugin_tsc();
  uint8_t *p = grpc_ring_reserve(g->ring, GRPC_PB_TXN_MAX);
  if (!p) return;
  grpc_pb_txn_loc_t loc;
  size_t n = grpc_pb_txn(p, GRPC_PB_TXN_MAX, ev->bytes, ev->txn, &loc);
  if (!n) return;
  grpc_rec_t h;
  rec_base(g, &h, GRPC_REC_TXN, ev->slot, &ev->marks, ev->time.rx_tsc);
  h.flags = ev->txn->simple_vote ? GRPC_REC_FLAG_VOTE : 0;
  h.a = ev->dataset_start_idx;
  h.c = ev->idx_in_dataset;
  h.sig_off = loc.sig_off;
  h.keys_off = loc.keys_off;
  h.key_stride = loc.key_stride;
  h.key_cnt = loc.key_cnt; /* commit_tsc: rec_base's clock reading, after the encoding */
  grpc_ring_commit(g->ring, &h, (uint32_t)n);
  grpc_srv_notify(g->srv);
  grpc_srv_count(&g->st->txn_records, 1);
  grpc_srv_hook_time(g->st, sof_plugin_tsc() - t0);
}

static slot_cnt_t *
slot_counts(grpc_plugin_t *g, uint64_t slot) {
  slot_cnt_t *c = &g->slots[slot % SLOT_TRACK];
  if (c->slot != slot) {
    c->slot = slot;
    c->entries = c->txns = 0;
  }
  return c;
}

/* The dataset event comes just before its transaction_batch (both on the
 * general lane, in order): kept for the batch, which has the bytes. */
static void
grpc_on_dataset(void *state, sof_ev_dataset_t const *ev) {
  grpc_plugin_t *g = state;
  g->ds = *ev;
  g->ds_valid = ev->decoded;
}

/* The last entry's hash of a dataset (its slot's blockhash when it is the
 * slot's last). 0, or -1 when the entries do not walk. */
static int
last_entry_hash(uint8_t const *payload, uint32_t sz, uint8_t out[32]) {
  sof_entry_iter_t it;
  sof_entry_t e;
  int any = 0;
  if (sof_entry_iter_init(&it, payload, sz) != SOF_ENTRY_OK) return -1;
  while (sof_entry_iter_next(&it, &e) > 0) {
    memcpy(out, e.hash, 32);
    any = 1;
  }
  return any ? 0 : -1;
}

/* The dataset's place in its slot (layout), a DSINFO record for the
 * server's transaction indexes and, when it made the slot's block whole,
 * the block meta. Only while someone subscribes (the layout is kept
 * always). */
static void
track_dataset(grpc_plugin_t *g, sof_ev_txn_batch_t const *ev, int want) {
  sof_ev_dataset_t const *d = &g->ds;
  if (!g->ds_valid || d->slot != ev->slot || d->start_idx != ev->dataset_start_idx) return;
  g->ds_valid = 0;
  uint8_t hash[32];
  int has_hash = d->last_in_slot && last_entry_hash(ev->payload, ev->payload_sz, hash) == 0;
  int completed = 0;
  grpc_layout_slot_t const *ls =
    grpc_layout_add(g->layout, d->slot, d->parent, d->start_idx, d->end_idx + 1, d->txn_cnt,
                    d->entry_cnt, d->last_in_slot, has_hash ? hash : NULL, &completed);
  if (!want) return;
  grpc_rec_t h;
  if (grpc_ring_reserve(g->ring, 0)) {
    rec_base(g, &h, GRPC_REC_DSINFO, d->slot, NULL, ev->time.rx_tsc);
    h.a = d->start_idx;
    h.b = d->end_idx + 1;
    h.c = d->txn_cnt;
    h.d = d->entry_cnt;
    h.key_cnt = d->last_in_slot;
    grpc_ring_commit(g->ring, &h, 0);
  }
  if (!completed || !ls || !ls->has_hash) return;
  grpc_layout_slot_t const *pl = ls->parent != UINT64_MAX ? grpc_layout_find(g->layout, ls->parent) : NULL;
  uint8_t *p = grpc_ring_reserve(g->ring, 160);
  if (!p) return;
  size_t n = grpc_pb_block_meta(p, 160, ls->slot, ls->hash, ls->parent != UINT64_MAX ? ls->parent : 0,
                                pl && pl->has_hash ? pl->hash : NULL, ls->run_txns, ls->run_entries);
  rec_base(g, &h, GRPC_REC_BLOCK_META, ls->slot, &ev->marks, ev->time.rx_tsc);
  grpc_ring_commit(g->ring, &h, (uint32_t)n);
}

static void
grpc_on_batch(void *state, sof_ev_txn_batch_t const *ev) {
  grpc_plugin_t *g = state;
  int want_entry = atomic_load_explicit(&g->want->entry, memory_order_relaxed) != 0;
  int want_ds = atomic_load_explicit(&g->want->dataset, memory_order_relaxed) != 0;
  int want_any = want_entry || atomic_load_explicit(&g->want->txn, memory_order_relaxed) ||
                 atomic_load_explicit(&g->want->block_meta, memory_order_relaxed);
  uint64_t t0 = sof_plugin_tsc();
  track_dataset(g, ev, want_any);
  if (!want_entry && !want_ds) {
    if (want_any) {
      grpc_srv_notify(g->srv);
      grpc_srv_hook_time(g->st, sof_plugin_tsc() - t0);
    }
    return;
  }
  if (want_ds && ev->payload_sz <= GRPC_REC_MAX) {
    uint8_t *p = grpc_ring_reserve(g->ring, ev->payload_sz);
    if (p) {
      memcpy(p, ev->payload, ev->payload_sz);
      grpc_rec_t h;
      rec_base(g, &h, GRPC_REC_DATASET, ev->slot, &ev->marks, ev->time.rx_tsc);
      h.a = ev->dataset_start_idx;
      grpc_ring_commit(g->ring, &h, ev->payload_sz);
    }
  }
  /* Entries are walked only for entry subscribers (the walk validates
   * every transaction again); their index and starting transaction index
   * count the slot's entries seen since then, in delivery order. */
  slot_cnt_t *sc = slot_counts(g, ev->slot);
  sof_entry_iter_t it;
  sof_entry_t e;
  if (want_entry && sof_entry_iter_init(&it, ev->payload, ev->payload_sz) == SOF_ENTRY_OK) {
    while (sof_entry_iter_next(&it, &e) > 0) {
      uint8_t *p = grpc_ring_reserve(g->ring, 96);
      if (p) {
        size_t n = grpc_pb_entry(p, 96, ev->slot, sc->entries, e.num_hashes, e.hash, e.txn_cnt,
                                 sc->txns);
        grpc_rec_t h;
        rec_base(g, &h, GRPC_REC_ENTRY, ev->slot, &ev->marks, ev->time.rx_tsc);
        grpc_ring_commit(g->ring, &h, (uint32_t)n);
      }
      sc->entries++;
      sc->txns += e.txn_cnt;
    }
  }
  grpc_srv_notify(g->srv);
  grpc_srv_hook_time(g->st, sof_plugin_tsc() - t0);
}

static void
grpc_on_slot_status(void *state, sof_ev_slot_status_t const *ev) {
  grpc_plugin_t *g = state;
  int commitment_status = 0;
  char const *dead = NULL;
  int status = sof_geyser_slot_status(ev->event, ev->status, &dead, &commitment_status);
  if (status < 0) return;
  uint8_t *p = grpc_ring_reserve(g->ring, 112);
  if (!p) return;
  int has_parent = ev->parent != SOF_SLOT_UNKNOWN;
  size_t n = grpc_pb_slot(p, 112, ev->slot, has_parent, has_parent ? ev->parent : 0, status, dead);
  grpc_rec_t h;
  rec_base(g, &h, GRPC_REC_SLOT, ev->slot, &ev->marks, 0);
  h.a = (uint32_t)status;
  h.b = (uint32_t)commitment_status;
  grpc_ring_commit(g->ring, &h, (uint32_t)n);
  grpc_srv_notify(g->srv);
}

static void
grpc_on_recent_blockhash(void *state, sof_ev_recent_blockhash_t const *ev) {
  grpc_plugin_t *g = state;
  uint8_t *p = grpc_ring_reserve(g->ring, 32);
  if (!p) return;
  memcpy(p, ev->blockhash, 32);
  grpc_rec_t h;
  rec_base(g, &h, GRPC_REC_BLOCKHASH, ev->slot, NULL, 0);
  grpc_ring_commit(g->ring, &h, 32);
}

sof_plugin_t const sof_plugin_grpc = {
  .name            = "grpc",
  .api_version     = SOF_PLUGIN_API_VERSION,
  .hooks           = SOF_HOOK_BIT(TRANSACTION) | SOF_HOOK_BIT(TRANSACTION_BATCH) | SOF_HOOK_BIT(DATASET) |
                     SOF_HOOK_BIT(SLOT_STATUS) | SOF_HOOK_BIT(RECENT_BLOCKHASH),
  .commitment      = SOF_COMMITMENT_PROCESSED,
  .commitment_mode = SOF_COMMITMENT_AT_LEAST,
  .dispatch        = SOF_DISPATCH_SEQUENTIAL,
  .inline_txn      = 1,
  .setup           = grpc_setup,
  .shutdown        = grpc_shutdown,
  .accepts_transaction_ref  = grpc_accepts,
  .transaction_interest_ref = grpc_interest,
  .on_transaction  = grpc_on_transaction,
  .on_dataset      = grpc_on_dataset,
  .on_transaction_batch = grpc_on_batch,
  .on_slot_status  = grpc_on_slot_status,
  .on_recent_blockhash = grpc_on_recent_blockhash,
};
