/* latency.c: see latency.h. One writer at a time (sequential plugin),
 * readers on any thread (render): relaxed atomic load + store by the
 * writer, relaxed loads by readers. */
#include "latency.h"

#include <stdlib.h>
#include <string.h>

#include "util/sof_json.h"

#include "../common/sof_lhist.h"
#include "../common/sof_plugin_common.h"

typedef struct lat_hist {
  uint64_t count;
  uint64_t unknown;
  uint64_t negative;
  uint64_t sum;       /* ns, saturating */
  uint64_t min;       /* UINT64_MAX while empty */
  uint64_t max;
  uint64_t b[SOF_LHIST_BUCKETS];
} lat_hist_t;

/* The measured hooks, in output order. */
enum { LH_SHRED, LH_DATASET, LH_TXN, LH_CNT };
static int const lat_hook_ids[LH_CNT] = { SOF_HOOK_SHRED, SOF_HOOK_DATASET, SOF_HOOK_TRANSACTION };

enum { ORIGIN_RX, ORIGIN_FIRST_SHRED, ORIGIN_CNT };
static char const *const lat_origin_names[ORIGIN_CNT] = { "fromRx", "fromFirstShred" };

typedef struct latency {
  uint64_t      tsc_hz;
  uint64_t      ns_mult;  /* ns = cycles * ns_mult >> 32 */
  sof_plugout_t out;
  lat_hist_t    h[LH_CNT][ORIGIN_CNT];
} latency_t;

static inline void
bump(uint64_t *c, uint64_t n) {
  __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline void
put(uint64_t *c, uint64_t v) {
  __atomic_store_n(c, v, __ATOMIC_RELAXED);
}

static inline uint64_t
rd(uint64_t const *c) {
  return __atomic_load_n(c, __ATOMIC_RELAXED);
}

static void
lat_hist_init(lat_hist_t *h) {
  memset(h, 0, sizeof *h);
  h->min = UINT64_MAX;
}

static inline void
lat_hist_add(lat_hist_t *h, uint64_t ns) {
  bump(&h->b[sof_lhist_bucket(ns)], 1);
  uint64_t s = rd(&h->sum);
  put(&h->sum, s + ns < s ? UINT64_MAX : s + ns);
  if (ns < rd(&h->min)) put(&h->min, ns);
  if (ns > rd(&h->max)) put(&h->max, ns);
  bump(&h->count, 1); /* last: a reader that sees the count sees a bucket for it (or more) */
}

static inline void
lat_measure(latency_t *l, lat_hist_t *h, uint64_t now, uint64_t origin) {
  if (!origin) {
    bump(&h->unknown, 1);
    return;
  }
  if (now < origin) {
    bump(&h->negative, 1);
    return;
  }
  unsigned __int128 ns = ((unsigned __int128)(now - origin) * l->ns_mult) >> 32;
  lat_hist_add(h, ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns);
}

void
sof_plugin_latency_record(void *state, int hook, uint64_t now_tsc, sof_ev_time_t const *t) {
  latency_t *l = state;
  int k;
  switch (hook) {
  case SOF_HOOK_SHRED:       k = LH_SHRED;   break;
  case SOF_HOOK_DATASET:     k = LH_DATASET; break;
  case SOF_HOOK_TRANSACTION: k = LH_TXN;     break;
  default:                   return;
  }
  lat_measure(l, &l->h[k][ORIGIN_RX], now_tsc, t->rx_tsc);
  lat_measure(l, &l->h[k][ORIGIN_FIRST_SHRED], now_tsc, t->first_shred_tsc);
}

static void
latency_on_shred(void *state, sof_ev_shred_t const *ev) {
  sof_plugin_latency_record(state, SOF_HOOK_SHRED, sof_plugin_tsc(), &ev->time);
}

static void
latency_on_dataset(void *state, sof_ev_dataset_t const *ev) {
  sof_plugin_latency_record(state, SOF_HOOK_DATASET, sof_plugin_tsc(), &ev->time);
}

static void
latency_on_transaction(void *state, sof_ev_txn_t const *ev) {
  sof_plugin_latency_record(state, SOF_HOOK_TRANSACTION, sof_plugin_tsc(), &ev->time);
}

static char const *const latency_keys[] = { "path", NULL };

static int
latency_setup(sof_plugin_env_t *env, void **state, char *err, size_t err_sz) {
  if (sof_pcfg_check_keys(env, latency_keys, NULL, err, err_sz)) return -1;
  if (!env->tsc_hz) {
    snprintf(err, err_sz, "the host gives no TSC frequency: nothing to measure with");
    return -1;
  }
  latency_t *l = malloc(sizeof *l);
  if (!l) {
    snprintf(err, err_sz, "out of memory");
    return -1;
  }
  l->tsc_hz = env->tsc_hz;
  l->ns_mult = (uint64_t)(((unsigned __int128)1000000000U << 32) / env->tsc_hz);
  for (unsigned k = 0; k < LH_CNT; k++)
    for (unsigned o = 0; o < ORIGIN_CNT; o++) lat_hist_init(&l->h[k][o]);
  if (sof_plugout_open(&l->out, sof_pcfg_get(env, "path"), "stderr", 64U << 10, 0, env->tsc_hz,
                       err, err_sz)) {
    free(l);
    return -1;
  }
  sof_plugout_set_owner(&l->out, env->name ? env->name : "latency");
  *state = l;
  return 0;
}

/* The value at quantile permille / 1000 (nearest rank over the buckets),
 * capped at the exact maximum (also when a render races the writer). */
static uint64_t
lat_pct(lat_hist_t const *h, uint64_t count, uint64_t max, unsigned permille) {
  uint64_t hi = sof_lhist_rank(h->b, count, permille);
  return hi < max ? hi : max;
}

static void
lat_hist_json(sof_json_t *j, lat_hist_t const *h) {
  uint64_t count = rd(&h->count), max = rd(&h->max), min = rd(&h->min), sum = rd(&h->sum);
  sof_json_obj_begin(j);
  sof_json_key(j, "count");    sof_json_u64(j, count);
  sof_json_key(j, "unknown");  sof_json_u64(j, rd(&h->unknown));
  sof_json_key(j, "negative"); sof_json_u64(j, rd(&h->negative));
  sof_json_key(j, "min");      sof_json_u64(j, count ? min : 0);
  sof_json_key(j, "mean");     sof_json_u64(j, count ? sum / count : 0);
  sof_json_key(j, "p50");      sof_json_u64(j, count ? lat_pct(h, count, max, 500) : 0);
  sof_json_key(j, "p90");      sof_json_u64(j, count ? lat_pct(h, count, max, 900) : 0);
  sof_json_key(j, "p99");      sof_json_u64(j, count ? lat_pct(h, count, max, 990) : 0);
  sof_json_key(j, "p999");     sof_json_u64(j, count ? lat_pct(h, count, max, 999) : 0);
  sof_json_key(j, "max");      sof_json_u64(j, count ? max : 0);
  sof_json_obj_end(j);
}

static void
latency_fields(latency_t const *l, sof_json_t *j) {
  sof_json_key(j, "unit");  sof_json_str(j, "ns");
  sof_json_key(j, "tscHz"); sof_json_u64(j, l->tsc_hz);
  sof_json_key(j, "hooks");
  sof_json_obj_begin(j);
  for (unsigned k = 0; k < LH_CNT; k++) {
    sof_json_key(j, sof_hook_str(lat_hook_ids[k]));
    sof_json_obj_begin(j);
    for (unsigned o = 0; o < ORIGIN_CNT; o++) {
      sof_json_key(j, lat_origin_names[o]);
      lat_hist_json(j, &l->h[k][o]);
    }
    sof_json_obj_end(j);
  }
  sof_json_obj_end(j);
}

static void
latency_fields_any(void const *state, sof_json_t *j) {
  latency_fields(state, j);
}

int
sof_plugin_latency_render(void *state, char *buf, size_t sz) {
  return sof_pjson_render(state, latency_fields_any, buf, sz);
}

static void
latency_shutdown(void *state) {
  latency_t *l = state;
  char line[4096];
  sof_pjson_summary(&l->out, "latency", l, latency_fields_any, line, sizeof line);
  sof_plugout_close(&l->out, "latency");
  free(l);
}

sof_plugin_t const sof_plugin_latency = {
  .name            = "latency",
  .api_version     = SOF_PLUGIN_API_VERSION,
  .hooks           = SOF_HOOK_BIT(SHRED) | SOF_HOOK_BIT(DATASET) | SOF_HOOK_BIT(TRANSACTION),
  .commitment      = SOF_COMMITMENT_PROCESSED,
  .commitment_mode = SOF_COMMITMENT_AT_LEAST,
  .dispatch        = SOF_DISPATCH_SEQUENTIAL,
  .setup           = latency_setup,
  .shutdown        = latency_shutdown,
  .on_shred        = latency_on_shred,
  .on_dataset      = latency_on_dataset,
  .on_transaction  = latency_on_transaction,
};

/* latency_inline: the same histograms, for a subscriber that rates every
 * transaction CRITICAL with inline delivery: its transaction figures are
 * what such a plugin sees (early from a batch's prefix when possible, else
 * with the completed dataset). */
static int
latency_interest_critical(void *state, sof_ev_txn_t const *ev) {
  (void)state;
  (void)ev;
  return SOF_INTEREST_CRITICAL;
}

sof_plugin_t const sof_plugin_latency_inline = {
  .name            = "latency_inline",
  .api_version     = SOF_PLUGIN_API_VERSION,
  .hooks           = SOF_HOOK_BIT(SHRED) | SOF_HOOK_BIT(DATASET) | SOF_HOOK_BIT(TRANSACTION),
  .commitment      = SOF_COMMITMENT_PROCESSED,
  .commitment_mode = SOF_COMMITMENT_AT_LEAST,
  .dispatch        = SOF_DISPATCH_SEQUENTIAL,
  .inline_txn      = 1,
  .setup           = latency_setup,
  .shutdown        = latency_shutdown,
  .transaction_interest_ref = latency_interest_critical,
  .on_shred        = latency_on_shred,
  .on_dataset      = latency_on_dataset,
  .on_transaction  = latency_on_transaction,
};
