/* sofd_provider.c: provider ingress for sofd (see sofd_provider.h). */
#define _GNU_SOURCE
#include "sofd_provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "plugin/sof_host.h"
#include "plugin/sof_plugin.h"
#include "provider/sof_pjoin.h"
#include "provider/sof_provider_grpc.h"
#include "provider/sof_provider_ws.h"
#include "util/sof_bpool.h"

#define SEEN_SZ 256U /* recent slots announced (and whether with their parent) */

/* One provider transaction in a pool block. */
typedef struct prov_txn {
  uint64_t          slot;
  uint64_t          rx_tsc;
  sof_ev_txn_meta_t meta;
  uint32_t          sz;
  uint8_t           bytes[];
} prov_txn_t;

/* An outcome for the join (joined mode), in a pool block. */
typedef struct prov_status {
  uint64_t          slot;
  uint64_t          tsc;          /* arrival on the client thread */
  uint8_t           signature[64];
  sof_ev_txn_meta_t meta;
} prov_status_t;

/* Lead time histogram: microseconds, log2 with 8 sub-buckets (~9 %). */
#define LEAD_BUCKETS (64U * 8U)

struct sofd_provider {
  sof_pgrpc_t         *cli;        /* Yellowstone gRPC, or */
  sof_pws_t           *ws;         /* a websocket (ws://, wss://) */
  int                  joined;     /* shreds + provider: outcomes join shred transactions */
  int                  slot_status; /* [provider] slot_status = provider */
  uint64_t             commits;    /* CONFIRMED / FINALIZED updates queued (atomic stores) */
  sof_pjoin_t         *join;       /* joined mode */
  uint64_t             lead_hist[LEAD_BUCKETS];                                      /* atomic stores */
  uint64_t             lead_cnt;
  uint64_t             ahead_hist[LEAD_BUCKETS];   /* provider first: shred sighting - provider arrival */
  uint64_t             ahead_cnt;
  sof_bpool_t         *pool;
  sofd_provider_emit_t emit;
  void                *ctx;
  int                  stopping;   /* atomic: ends the waits of the client thread */
  /* client thread */
  struct { uint64_t slot; uint8_t parent_sent; } seen[SEEN_SZ];
  uint64_t ring_waits, pool_waits, emitted;   /* atomic stores */
  uint64_t last_tsc;                          /* atomic: the last update's arrival */
  /* dispatch lcore */
  uint8_t  bh[32];
  uint64_t bh_slot;
  int      has_bh;
  uint64_t published, blockhash_changes;      /* atomic stores */
};

#define ADD(f, n) __atomic_store_n(&(f), (f) + (n), __ATOMIC_RELAXED)

/* Queues one message, waiting while the ring is full (the client thread
 * may block: the stream backs up to the provider). 0, or -1 when stopping. */
static int put(sofd_provider_t *p, int kind, uint64_t slot, uint64_t arg) {
  while (p->emit(p->ctx, kind, slot, arg)) {
    if (__atomic_load_n(&p->stopping, __ATOMIC_RELAXED)) return -1;
    ADD(p->ring_waits, 1);
    usleep(200);
  }
  ADD(p->emitted, 1);
  return 0;
}

/* The slot's first sighting, and again once its parent is known. */
static void announce(sofd_provider_t *p, uint64_t slot, uint64_t parent) {
  unsigned h = (unsigned)(slot % SEEN_SZ);
  int is_new = p->seen[h].slot != slot;
  if (!is_new && (p->seen[h].parent_sent || parent == SOF_SLOT_UNKNOWN)) return;
  p->seen[h].slot = slot;
  p->seen[h].parent_sent = parent != SOF_SLOT_UNKNOWN;
  put(p, SOFD_PROV_EV_SLOT, slot, parent);
}

static void on_msg(void *ctx, sof_pmsg_t const *m) {
  sofd_provider_t *p = ctx;
  __atomic_store_n(&p->last_tsc, rte_rdtsc(), __ATOMIC_RELAXED);
  if (m->kind == SOF_PMSG_SLOT) {
    sof_pmsg_slot_t const *s = &m->slot;
    if (s->status == SOF_PMSG_SLOT_DEAD) return; /* the fork tracker orphans it by its own rules */
    if (p->slot_status && (s->status == SOF_PMSG_SLOT_CONFIRMED || s->status == SOF_PMSG_SLOT_FINALIZED)) {
      ADD(p->commits, 1);
      put(p, SOFD_PROV_EV_COMMIT, s->slot,
          s->status == SOF_PMSG_SLOT_FINALIZED ? SOF_FORKS_STATUS_FINALIZED : SOF_FORKS_STATUS_CONFIRMED);
    }
    if (p->joined) return; /* the shreds drive the fork tracker's chain */
    announce(p, s->slot, s->parent == UINT64_MAX ? SOF_SLOT_UNKNOWN : s->parent);
    if (s->status == SOF_PMSG_SLOT_COMPLETED || s->status == SOF_PMSG_SLOT_PROCESSED)
      put(p, SOFD_PROV_EV_SLOT_COMPLETE, s->slot, 0);
    return;
  }
  if (p->joined && m->kind == SOF_PMSG_TXN_STATUS) { /* an outcome without the body: join only */
    prov_status_t *st;
    while (!(st = sof_bpool_alloc(p->pool, sizeof *st))) {
      if (__atomic_load_n(&p->stopping, __ATOMIC_RELAXED)) return;
      ADD(p->pool_waits, 1);
      usleep(200);
    }
    st->tsc = rte_rdtsc();
    memset(&st->meta, 0, sizeof st->meta);
    st->meta.has_meta = 1;
    st->slot = m->status.slot;
    memcpy(st->signature, m->status.signature, 64);
    st->meta.failed = m->status.failed;
    st->meta.err_full_sz = m->status.err_sz;
    st->meta.err_sz = (uint8_t)(m->status.err_sz < SOF_EV_TXN_ERR_MAX ? m->status.err_sz : SOF_EV_TXN_ERR_MAX);
    memcpy(st->meta.err, m->status.err, st->meta.err_sz);
    if (put(p, SOFD_PROV_EV_STATUS, st->slot, (uint64_t)(uintptr_t)st)) sof_bpool_release(st);
    return;
  }
  if (m->kind != SOF_PMSG_TXN) return; /* transaction statuses: joined mode only */
  sof_pmsg_txn_t const *t = &m->txn;
  if (!p->joined) announce(p, t->slot, SOF_SLOT_UNKNOWN); /* joined: the shreds drive the fork tracker */
  prov_txn_t *b;
  while (!(b = sof_bpool_alloc(p->pool, sizeof *b + t->tx_sz))) {
    if (__atomic_load_n(&p->stopping, __ATOMIC_RELAXED)) return;
    ADD(p->pool_waits, 1);
    usleep(200);
  }
  b->slot = t->slot;
  b->rx_tsc = rte_rdtsc();
  memset(&b->meta, 0, sizeof b->meta);
  if (t->has_meta) {
    b->meta.has_meta = 1;
    b->meta.failed = t->failed;
    b->meta.err_full_sz = t->err_sz;
    b->meta.err_sz = (uint8_t)(t->err_sz < SOF_EV_TXN_ERR_MAX ? t->err_sz : SOF_EV_TXN_ERR_MAX);
    memcpy(b->meta.err, t->err, b->meta.err_sz);
    b->meta.fee = t->fee;
    b->meta.log_cnt = t->log_cnt;
    b->meta.has_compute_units = t->has_cu;
    b->meta.compute_units = t->compute_units;
  }
  b->sz = t->tx_sz;
  memcpy(b->bytes, t->tx, t->tx_sz);
  if (put(p, SOFD_PROV_EV_TXN, t->slot, (uint64_t)(uintptr_t)b)) sof_bpool_release(b);
}

/* ---- joined mode (dispatch lcore) ---- */

static unsigned lead_bucket(uint64_t us) {
  if (us < 8) return (unsigned)us;
  unsigned e = 63U - (unsigned)__builtin_clzll(us); /* >= 3 */
  unsigned b = (e - 2U) * 8U + (unsigned)((us >> (e - 3U)) & 7U);
  return b < LEAD_BUCKETS ? b : LEAD_BUCKETS - 1U;
}

static uint64_t lead_bucket_us(unsigned b) { /* the bucket's lower bound */
  if (b < 8) return b;
  unsigned e = b / 8U + 2U;
  return (8ull | (b % 8U)) << (e - 3U);
}

static int64_t tsc_diff_ns(uint64_t later, uint64_t earlier) {
  return (int64_t)(((double)later - (double)earlier) * 1e9 / (double)rte_get_tsc_hz());
}

static void lead_add(uint64_t *hist, uint64_t *cnt, int64_t ns) {
  uint64_t us = ns > 0 ? (uint64_t)ns / 1000u : 0;
  ADD(hist[lead_bucket(us)], 1);
  ADD(*cnt, 1);
}

int sofd_provider_saw_txn(sofd_provider_t *p, uint8_t const *sig, uint64_t tsc) {
  uint64_t prov_tsc = 0;
  int r = sof_pjoin_shred(p->join, sig, tsc, &prov_tsc);
  if (r == SOF_PJOIN_DEDUPE) lead_add(p->ahead_hist, &p->ahead_cnt, tsc_diff_ns(tsc, prov_tsc));
  return r == SOF_PJOIN_DEDUPE || r == SOF_PJOIN_DEDUPE_AGAIN;
}

/* The transaction_status of an outcome: joined (shred_tsc: the shred
 * sighting), provider first, or neither. */
static unsigned status_event(sofd_provider_t *p, sof_host_t *h, uint64_t slot, uint8_t const *sig,
                             sof_ev_txn_meta_t const *meta, uint64_t tsc, int joined, uint64_t shred_tsc,
                             int prov_first) {
  sof_ev_txn_status_t ev;
  memset(&ev, 0, sizeof ev);
  ev.slot = slot;
  memcpy(ev.signature, sig, 64);
  ev.meta = *meta;
  ev.provider_first = (uint8_t)prov_first;
  if (joined) {
    ev.shred_seen = 1;
    ev.shred_tsc = shred_tsc;
    ev.lead_ns = tsc_diff_ns(tsc, shred_tsc);
    lead_add(p->lead_hist, &p->lead_cnt, ev.lead_ns);
  }
  return sof_host_publish_txn_status(h, &ev);
}

unsigned sofd_provider_publish_status(sofd_provider_t *p, sof_host_t *h, uint64_t arg) {
  prov_status_t *st = (prov_status_t *)(uintptr_t)arg;
  uint64_t shred_tsc = 0;
  int joined = sof_pjoin_provider(p->join, st->signature, st->tsc, 0, &shred_tsc) == SOF_PJOIN_JOINED;
  unsigned q = status_event(p, h, st->slot, st->signature, &st->meta, st->tsc, joined, shred_tsc, 0);
  sof_bpool_release(st);
  return q;
}

static sof_host_hold_t const prov_hold = {.retain = sof_bpool_retain, .release = sof_bpool_release};

static int commitment_of(int st) {
  return st == SOF_FORKS_STATUS_FINALIZED ? SOF_COMMITMENT_FINALIZED
       : st == SOF_FORKS_STATUS_CONFIRMED ? SOF_COMMITMENT_CONFIRMED : SOF_COMMITMENT_PROCESSED;
}

int sofd_provider_publish_txn(sofd_provider_t *p, sof_host_t *h, sof_forks_t const *forks, uint64_t arg) {
  prov_txn_t *b = (prov_txn_t *)(uintptr_t)arg;
  sof_txn_t t;
  if (sof_txn_parse(&t, b->bytes, b->sz, NULL) != SOF_TXN_OK) { /* checked by the decoder */
    sof_bpool_release(b);
    return 0;
  }
  uint8_t const *sig = b->bytes + t.sig_off;
  if (p->joined) {
    uint64_t shred_tsc = 0;
    int r = sof_pjoin_provider(p->join, sig, b->rx_tsc, 1, &shred_tsc);
    if (r != SOF_PJOIN_FIRST) { /* shreds first: the outcome joins; or a repeat of the provider */
      if (r == SOF_PJOIN_JOINED) status_event(p, h, b->slot, sig, &b->meta, b->rx_tsc, 1, shred_tsc, 0);
      sof_bpool_release(b);
      return 0;
    }
    /* the provider is first (entered): published from here, its shred copies skipped */
  } else if (!p->has_bh || (b->slot > p->bh_slot && memcmp(p->bh, b->bytes + t.blockhash_off, 32))) {
    /* (joined mode: the shreds' datasets publish the blockhash) */
    memcpy(p->bh, b->bytes + t.blockhash_off, 32);
    p->bh_slot = b->slot;
    p->has_bh = 1;
    ADD(p->blockhash_changes, 1);
    sof_ev_recent_blockhash_t ev = {.slot = b->slot, .dataset_txn_cnt = 1};
    memcpy(ev.blockhash, p->bh, 32);
    sof_host_publish_recent_blockhash(h, &ev);
  }
  sof_forks_marks_t mk = sof_forks_marks(forks);
  sof_ev_txn_t ev = {
    .slot = b->slot, .commitment = commitment_of(sof_forks_slot_status(forks, b->slot, NULL, NULL)),
    .kind = t.kind, .path = SOF_TXN_PATH_PROVIDER,
    .marks = {.tip = mk.tip, .confirmed = mk.confirmed, .finalized = mk.finalized},
    .signature = sig, .bytes = b->bytes, .sz = b->sz, .txn = &t,
    .time = {.rx_tsc = b->rx_tsc}, .meta = b->meta,
  };
  sof_host_publish_txn_held(h, &ev, 0, &prov_hold, b);
  ADD(p->published, 1);
  if (p->joined) status_event(p, h, b->slot, sig, &b->meta, b->rx_tsc, 0, 0, 1);
  sof_bpool_release(b);
  return 1;
}

/* The lead time at quantile q (0..1), microseconds (a bucket's lower
 * bound); 0 without samples. Racy reads: any thread. */
static uint64_t lead_quantile(uint64_t const *hist, uint64_t const *cnt, double q) {
  uint64_t n = __atomic_load_n(cnt, __ATOMIC_RELAXED);
  if (!n) return 0;
  uint64_t want = (uint64_t)(q * (double)n);
  if (want >= n) want = n - 1;
  uint64_t acc = 0;
  for (unsigned b = 0; b < LEAD_BUCKETS; b++) {
    acc += __atomic_load_n(&hist[b], __ATOMIC_RELAXED);
    if (acc > want) return lead_bucket_us(b);
  }
  return lead_bucket_us(LEAD_BUCKETS - 1);
}

sofd_provider_t *sofd_provider_new(sofd_cfg_t const *cfg, sofd_provider_emit_t emit, void *ctx) {
  sofd_provider_t *p = calloc(1, sizeof *p);
  if (!p) { fprintf(stderr, "sofd: out of memory\n"); return NULL; }
  p->joined = cfg->driver != SOFD_DRIVER_PROVIDER;
  p->slot_status = cfg->provider_slot_status;
  char err[256];
  if (p->joined && !(p->join = sof_pjoin_new(cfg->provider_join_entries, err, sizeof err))) {
    fprintf(stderr, "sofd: [provider] join_entries: %s\n", err);
    free(p);
    return NULL;
  }
  p->emit = emit;
  p->ctx = ctx;
  for (unsigned i = 0; i < SEEN_SZ; i++) p->seen[i].slot = UINT64_MAX;
  sof_bpool_cfg_t bc;
  sof_bpool_cfg_default(&bc);
  bc.bytes = cfg->provider_pool_bytes;
  bc.min_block = 2048;
  bc.max_block = 2048;
  if (!(p->pool = sof_bpool_new(&bc, err, sizeof err))) {
    fprintf(stderr, "sofd: [provider] pool_mb: %s\n", err);
    sof_pjoin_delete(p->join);
    free(p);
    return NULL;
  }
  char const *u = cfg->provider.url;
  int ws = !strncmp(u, "ws://", 5) || !strncmp(u, "wss://", 6);
  if (ws ? !(p->ws = sof_pws_new(&cfg->provider, on_msg, p, err, sizeof err))
         : !(p->cli = sof_pgrpc_new(&cfg->provider, on_msg, p, err, sizeof err))) {
    fprintf(stderr, "sofd: [provider]: %s\n", err);
    sofd_provider_delete(p);
    return NULL;
  }
  return p;
}

int sofd_provider_joined(sofd_provider_t const *p) { return p && p->joined; }

uint64_t sofd_provider_last_tsc(sofd_provider_t const *p) {
  return __atomic_load_n(&p->last_tsc, __ATOMIC_RELAXED);
}

int sofd_provider_start(sofd_provider_t *p) {
  if (p->ws ? sof_pws_start(p->ws) : sof_pgrpc_start(p->cli)) {
    perror("sofd: [provider]: client thread");
    return -1;
  }
  return 0;
}

void sofd_provider_stop(sofd_provider_t *p) {
  if (!p) return;
  __atomic_store_n(&p->stopping, 1, __ATOMIC_RELAXED);
  if (p->ws) sof_pws_stop(p->ws);
  else sof_pgrpc_stop(p->cli);
}

void sofd_provider_delete(sofd_provider_t *p) {
  if (!p) return;
  sofd_provider_stop(p);
  sof_pgrpc_delete(p->cli);
  sof_pws_delete(p->ws);
  sof_bpool_delete(p->pool);
  sof_pjoin_delete(p->join);
  free(p);
}

unsigned sofd_provider_counters(sofd_provider_t const *p, sofd_counter_t *out, unsigned cap) {
  sof_pgrpc_stats_t s;
  if (p->ws) sof_pws_stats(p->ws, &s);
  else sof_pgrpc_stats(p->cli, &s);
  unsigned n = 0;
#define PUT_(gauge_, help_, v_, fmt_, ...)                             \
  do {                                                                 \
    if (n < cap) {                                                     \
      memset(&out[n], 0, sizeof out[n]);                               \
      snprintf(out[n].name, sizeof out[n].name, fmt_, __VA_ARGS__);    \
      out[n].help = (help_);                                           \
      out[n].value = (v_);                                             \
      out[n].gauge = (gauge_);                                         \
      n++;                                                             \
    }                                                                  \
  } while (0)
#define S_(f, h) PUT_(!strcmp(#f, "state") || !strcmp(#f, "last_slot"), "provider: " h, s.f, "provider_%s", #f);
  SOF_PGRPC_STATS_LIST(S_)
#undef S_
  for (int i = 1; i <= SOF_PMSG_REJ_CNT; i++) {
    PUT_(0, "provider: updates refused by the decoder, by reason", s.rejected_by[i], "provider_rejected_%s",
         sof_pmsg_rej_str(i));
    if (n && n <= cap) {
      out[n - 1].family = "provider_rejected_by_total";
      out[n - 1].label_key = "reason";
      snprintf(out[n - 1].label_val, sizeof out[n - 1].label_val, "%s", sof_pmsg_rej_str(i));
    }
  }
  PUT_(0, "provider: transactions published to the plugin host", __atomic_load_n(&p->published, __ATOMIC_RELAXED),
       "%s", "provider_published");
  PUT_(0, "provider: recent blockhash changes published", __atomic_load_n(&p->blockhash_changes, __ATOMIC_RELAXED),
       "%s", "provider_blockhash_changes");
  if (p->slot_status)
    PUT_(0, "provider: CONFIRMED / FINALIZED slot updates given to the fork tracker (slot_status = provider)",
         __atomic_load_n(&p->commits, __ATOMIC_RELAXED), "%s", "provider_slot_commits");
  PUT_(0, "provider: messages queued to dispatch", __atomic_load_n(&p->emitted, __ATOMIC_RELAXED), "%s",
       "provider_emitted");
  PUT_(0, "provider: waits of the client thread on a full dispatch ring", __atomic_load_n(&p->ring_waits, __ATOMIC_RELAXED),
       "%s", "provider_ring_waits");
  PUT_(0, "provider: waits of the client thread on a full pool", __atomic_load_n(&p->pool_waits, __ATOMIC_RELAXED),
       "%s", "provider_pool_waits");
  if (p->joined) {
    sof_pjoin_stats_t js;
    sof_pjoin_stats(p->join, &js);
    PUT_(0, "provider joined: outcomes joined with a transaction delivered from shreds", js.hits, "%s", "provider_join_hits");
    PUT_(0, "provider joined: outcomes without a body (status updates) for transactions the join table did not hold", js.misses, "%s", "provider_join_misses");
    PUT_(0, "provider joined: entries written in the join table", js.inserted, "%s", "provider_join_inserted");
    PUT_(0, "provider joined: awaiting entries evicted from a full join set", js.evicted, "%s", "provider_join_evicted");
    PUT_(0, "provider joined: second sightings of a transaction (inline then dataset, provider repeats)", js.dup, "%s", "provider_join_duplicates");
    PUT_(0, "provider joined: transactions the provider reported first, published from it", js.prov_first, "%s", "provider_join_provider_first");
    PUT_(0, "provider joined: shred sightings of a transaction the provider published first, not published again (dedupe hits)", js.dedupe, "%s", "provider_join_shred_dedupe");
    PUT_(1, "provider joined: provider-first lead over the shreds p50 (microseconds, ~9 %)", lead_quantile(p->ahead_hist, &p->ahead_cnt, 0.5), "%s", "provider_ahead_time_p50");
    PUT_(1, "provider joined: provider-first lead over the shreds p99 (microseconds, ~9 %)", lead_quantile(p->ahead_hist, &p->ahead_cnt, 0.99), "%s", "provider_ahead_time_p99");
    PUT_(1, "provider joined: shred-vs-provider lead time p50 (microseconds, ~9 %)", lead_quantile(p->lead_hist, &p->lead_cnt, 0.5), "%s", "provider_lead_time_p50");
    PUT_(1, "provider joined: shred-vs-provider lead time p99 (microseconds, ~9 %)", lead_quantile(p->lead_hist, &p->lead_cnt, 0.99), "%s", "provider_lead_time_p99");
  }
#undef PUT_
  return n;
}
