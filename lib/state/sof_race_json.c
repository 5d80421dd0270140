/* sof_race_json.c: see sof_race_json.h. */
#include "state/sof_race_json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void
num3(sof_json_t *j, double v) {
  char b[48];
  int n = snprintf(b, sizeof b, "%.3f", isfinite(v) ? v : 0.0);
  sof_json_raw(j, b, (size_t)n);
}

void
sof_race_json_row(sof_race_snap_t const *s, uint32_t src, sof_race_cell_t const *c, sof_json_t *j) {
  sof_race_src_info_t const *x = &s->src[src];
  sof_json_obj_begin(j);
  sof_json_key(j, "name");
  sof_json_str(j, x->name);
  sof_json_key(j, "addr");
  if (x->other) {
    sof_json_null(j);
  } else {
    char a[32];
    if (x->port)
      snprintf(a, sizeof a, "%u.%u.%u.%u:%u", x->ip >> 24, (x->ip >> 16) & 255U, (x->ip >> 8) & 255U,
               x->ip & 255U, x->port);
    else
      snprintf(a, sizeof a, "%u.%u.%u.%u", x->ip >> 24, (x->ip >> 16) & 255U, (x->ip >> 8) & 255U, x->ip & 255U);
    sof_json_str(j, a);
  }
  sof_json_key(j, "named");
  sof_json_bool(j, x->named);
  sof_json_key(j, "received");
  sof_json_u64(j, c->received);
  sof_json_key(j, "first");
  sof_json_u64(j, c->first);
  sof_json_key(j, "firstShare");
  num3(j, c->received ? (double)c->first / (double)c->received : 0.0);
  sof_json_key(j, "fecSetsFirst");
  sof_json_u64(j, c->sets_first);
  uint64_t n = sof_race_hist_count(&c->hist);
  sof_json_key(j, "lagSamples");
  sof_json_u64(j, n);
  sof_json_key(j, "lagUs");
  if (!n) {
    sof_json_null(j);
  } else {
    static double const q[3] = {0.5, 0.9, 0.99};
    static char const *const k[3] = {"p50", "p90", "p99"};
    sof_json_obj_begin(j);
    for (int i = 0; i < 3; i++) {
      sof_json_key(j, k[i]);
      num3(j, sof_race_hist_pct(&c->hist, q[i], NULL) / 1000.0);
    }
    sof_json_obj_end(j);
  }
  sof_json_obj_end(j);
}

void
sof_race_json_fields(sof_race_snap_t const *s, sof_json_t *j, int with_leaders) {
  sof_json_key(j, "sources");
  sof_json_arr_begin(j);
  for (uint32_t i = 0; i < s->src_cnt; i++) sof_race_json_row(s, i, &s->totals[i], j);
  sof_json_arr_end(j);
  if (with_leaders) {
    sof_json_key(j, "leaders");
    sof_json_arr_begin(j);
    for (uint32_t l = 0; l < s->leader_cnt; l++) {
      uint64_t any = 0;
      for (uint32_t i = 0; i < s->src_cnt; i++) {
        sof_race_cell_t const *c = sof_race_snap_cell(s, l, i);
        any += c->received + c->sets_first;
      }
      if (!any) continue;
      sof_json_obj_begin(j);
      sof_json_key(j, "leader");
      if (l + 1U == s->leader_cnt) sof_json_null(j);
      else sof_json_b58_32(j, s->leader[l]);
      sof_json_key(j, "sources");
      sof_json_arr_begin(j);
      for (uint32_t i = 0; i < s->src_cnt; i++) {
        sof_race_cell_t const *c = sof_race_snap_cell(s, l, i);
        if (c->received || c->sets_first) sof_race_json_row(s, i, c, j);
      }
      sof_json_arr_end(j);
      sof_json_obj_end(j);
    }
    sof_json_arr_end(j);
  }
  sof_json_key(j, "sourcesOverflow");
  sof_json_u64(j, s->sources_overflow);
  sof_json_key(j, "leadersOverflow");
  sof_json_u64(j, s->leaders_overflow);
}
