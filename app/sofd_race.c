/* sofd_race.c: see sofd_race.h. */
#include "sofd_race.h"
#include "sofd_pipe.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "verify/sof_leaders.h"
#include "wire/sof_base58.h"

static uint8_t const *
race_leader_of(void *ctx, uint64_t slot) {
  return ctx ? sof_leaders_get(ctx, slot) : NULL;
}

sof_race_group_t *
sofd_race_new(sofd_cfg_t const *c, sof_leaders_t const *leaders, unsigned n_rx, unsigned n_fec, int *failed) {
  *failed = 0;
  if (!c->race) return NULL;
  sof_race_cfg_t rc;
  sof_race_cfg_default(&rc);
  rc.sources_max = c->race_sources;
  rc.leaders_max = c->race_leaders;
  rc.named = c->race_named;
  rc.named_cnt = c->race_named_cnt;
  rc.leader_of = race_leader_of;
  rc.leader_ctx = (void *)(uintptr_t)leaders;
  char err[256];
  sof_race_group_t *g = sof_race_group_new(&rc, n_rx + n_fec, err, sizeof err);
  if (!g) {
    fprintf(stderr, "sofd: [race]: %s\n", err);
    *failed = 1;
    return NULL;
  }
  sof_race_publish(g);
  return g;
}

void
sofd_race_delete(sof_race_group_t *g) {
  if (!g) return;
  if (sof_race_published() == g) sof_race_publish(NULL);
  sof_race_group_delete(g);
}

/* ---- /sof/sources ----------------------------------------------------------------------- */

#define TEL_ROWS_MAX 24U /* a 22.11 telemetry dict holds 256 entries: 10 per row */

static sof_race_group_t *tel_group;
static sof_race_snap_t *tel_snap; /* telemetry thread only */

static int
lag_us(sof_race_hist_t const *h, double q) {
  double v = sof_race_hist_pct(h, q, NULL) / 1000.0;
  if (v > 2e9) v = 2e9;
  if (v < -2e9) v = -2e9;
  return (int)(v < 0 ? v - 0.5 : v + 0.5);
}

static void
tel_row(struct rte_tel_data *d, sof_race_snap_t const *s, uint32_t i, sof_race_cell_t const *c) {
  sof_race_src_info_t const *x = &s->src[i];
  char k[48], a[32];
#define K(f) (snprintf(k, sizeof k, "s%u_%s", i, f), k)
  rte_tel_data_add_dict_string(d, K("name"), x->name);
  if (x->other) snprintf(a, sizeof a, "-");
  else if (x->port) snprintf(a, sizeof a, "%u.%u.%u.%u:%u", x->ip >> 24, (x->ip >> 16) & 255U, (x->ip >> 8) & 255U, x->ip & 255U, x->port);
  else snprintf(a, sizeof a, "%u.%u.%u.%u", x->ip >> 24, (x->ip >> 16) & 255U, (x->ip >> 8) & 255U, x->ip & 255U);
  rte_tel_data_add_dict_string(d, K("addr"), a);
  rte_tel_data_add_dict_u64(d, K("received"), c->received);
  rte_tel_data_add_dict_u64(d, K("first"), c->first);
  rte_tel_data_add_dict_u64(d, K("fec_sets_first"), c->sets_first);
  uint64_t n = sof_race_hist_count(&c->hist);
  rte_tel_data_add_dict_u64(d, K("lag_samples"), n);
  if (n) {
    rte_tel_data_add_dict_int(d, K("lag_p50_us"), lag_us(&c->hist, 0.5));
    rte_tel_data_add_dict_int(d, K("lag_p90_us"), lag_us(&c->hist, 0.9));
    rte_tel_data_add_dict_int(d, K("lag_p99_us"), lag_us(&c->hist, 0.99));
  }
#undef K
}

/* /sof/sources: the totals per source (rows s<i>_*), the leader
 * identities tracked (leader_ids); /sof/sources,<base58 identity | other>:
 * that leader's rows. */
static int
tel_sources(char const *cmd, char const *params, struct rte_tel_data *d) {
  (void)cmd;
  sof_race_group_t *g = __atomic_load_n(&tel_group, __ATOMIC_ACQUIRE);
  rte_tel_data_start_dict(d);
  rte_tel_data_add_dict_u64(d, "enabled", g != NULL);
  if (!g) return 0;
  if (!tel_snap && !(tel_snap = sof_race_snap_new(g))) return -1;
  sof_race_snap_t *s = tel_snap;
  sof_race_snap_take(g, s);
  rte_tel_data_add_dict_u64(d, "sources", s->src_cnt);
  rte_tel_data_add_dict_u64(d, "sources_overflow", s->sources_overflow);
  rte_tel_data_add_dict_u64(d, "leaders_overflow", s->leaders_overflow);
  uint32_t l = UINT32_MAX; /* totals */
  if (params && *params) {
    if (!strcmp(params, "other")) {
      l = s->leader_cnt - 1U;
    } else {
      uint8_t key[32];
      if (sof_base58_decode_32(params, strlen(params), key) != 0) return -1;
      for (l = 0; l + 1U < s->leader_cnt && memcmp(s->leader[l], key, 32); l++) {}
      if (l + 1U == s->leader_cnt) return -1; /* not a tracked leader */
    }
    rte_tel_data_add_dict_string(d, "leader", params);
  }
  uint32_t rows = s->src_cnt < TEL_ROWS_MAX ? s->src_cnt : TEL_ROWS_MAX;
  rte_tel_data_add_dict_u64(d, "rows_shown", rows);
  for (uint32_t i = 0; i < rows; i++)
    tel_row(d, s, i, l == UINT32_MAX ? &s->totals[i] : sof_race_snap_cell(s, l, i));
  if (l == UINT32_MAX) {
    struct rte_tel_data *ids = rte_tel_data_alloc();
    if (ids) {
      rte_tel_data_start_array(ids, RTE_TEL_STRING_VAL);
      for (uint32_t k = 0; k + 1U < s->leader_cnt; k++) {
        char b58[SOF_BASE58_ENCODED_32_MAX];
        sof_base58_encode_32(s->leader[k], b58);
        rte_tel_data_add_array_string(ids, b58);
      }
      rte_tel_data_add_array_string(ids, "other");
      rte_tel_data_add_dict_container(d, "leader_ids", ids, 0);
    }
  }
  return 0;
}

int
sofd_race_telemetry_register(sof_race_group_t *g) {
  __atomic_store_n(&tel_group, g, __ATOMIC_RELEASE);
  if (rte_telemetry_register_cmd("/sof/sources", tel_sources,
                                 "Feed race per source (first arrivals, lag us). Param: a leader "
                                 "(base58) or other")) {
    fprintf(stderr, "sofd: cannot register the /sof/sources telemetry command\n");
    return -1;
  }
  return 0;
}

void
sofd_race_telemetry_unregister(void) {
  __atomic_store_n(&tel_group, NULL, __ATOMIC_RELEASE);
}

/* ---- Prometheus ------------------------------------------------------------------------------ */

#define put sofd_prom_put /* sofd_pipe.h */

int
sofd_race_prometheus(sof_race_group_t const *g, char *buf, size_t sz, size_t *off) {
  static sof_race_snap_t *snap; /* the HTTP server thread only */
  if (!g) return 0;
  if (!snap && !(snap = sof_race_snap_new(g))) return 0;
  sof_race_snap_take(g, snap);
  sof_race_snap_t const *s = snap;
  static struct { char const *name, *help; } const fam[] = {
    {"race_shreds_total", "verified shreds received from a source (reaching the ingress dedupe)"},
    {"race_first_total", "shreds a source delivered first (no other source had delivered the key before)"},
    {"race_fec_sets_first_total", "FEC sets completed by the arrival of a source's shred"},
  };
  for (unsigned f = 0; f < 3; f++) {
    put(buf, sz, off, "# HELP sof_%s %s\n# TYPE sof_%s counter\n", fam[f].name, fam[f].help, fam[f].name);
    for (uint32_t i = 0; i < s->src_cnt; i++) {
      sof_race_cell_t const *c = &s->totals[i];
      uint64_t v = f == 0 ? c->received : f == 1 ? c->first : c->sets_first;
      put(buf, sz, off, "sof_%s{source=\"%s\"} %" PRIu64 "\n", fam[f].name, s->src[i].name, v);
    }
  }
  /* one gauge family per quantile: promtool allows the quantile label on
   * summaries only, and a summary would need the samples' sum */
  static double const q[3] = {0.5, 0.9, 0.99};
  static char const *const qn[3] = {"p50", "p90", "p99"};
  for (int k = 0; k < 3; k++) {
    put(buf, sz, off, "# HELP sof_race_lag_%s_seconds %s of a source's lag behind the fastest other "
                      "source over the shreds both delivered (negative: it led)\n"
                      "# TYPE sof_race_lag_%s_seconds gauge\n", qn[k], qn[k], qn[k]);
    for (uint32_t i = 0; i < s->src_cnt; i++) {
      sof_race_hist_t const *h = &s->totals[i].hist;
      if (!sof_race_hist_count(h)) continue; /* not known: left out */
      put(buf, sz, off, "sof_race_lag_%s_seconds{source=\"%s\"} %.9f\n", qn[k], s->src[i].name,
          sof_race_hist_pct(h, q[k], NULL) / 1e9);
    }
  }
  put(buf, sz, off, "# HELP sof_race_lag_samples_total shreds a source delivered that another source "
                    "delivered too (the lag samples)\n# TYPE sof_race_lag_samples_total counter\n");
  for (uint32_t i = 0; i < s->src_cnt; i++)
    put(buf, sz, off, "sof_race_lag_samples_total{source=\"%s\"} %" PRIu64 "\n", s->src[i].name,
        sof_race_hist_count(&s->totals[i].hist));
  put(buf, sz, off, "# HELP sof_race_overflow_total shreds counted in the row other: no source row "
                    "(kind=source) or no leader row (kind=leader) was free\n"
                    "# TYPE sof_race_overflow_total counter\n"
                    "sof_race_overflow_total{kind=\"source\"} %" PRIu64 "\n"
                    "sof_race_overflow_total{kind=\"leader\"} %" PRIu64 "\n",
      s->sources_overflow, s->leaders_overflow);
  return *off >= sz ? -1 : 0;
}
