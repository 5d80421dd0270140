/* sofd_telemetry.c: the counter table (sofd_pipe_counters) rendered for
 * rte_telemetry (/sof/stats, /sof/roles, /sof/rings, /sof/plugins; query
 * with dpdk-telemetry.py; flat keys such as "fec.0.processed") and as Prometheus text. Both run off the data
 * path: telemetry on DPDK's telemetry thread, Prometheus on the HTTP
 * server's thread (sof_http_start); they read the roles' counters without locks. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "common/sof_pcounter.h"
#include "common/sof_plugin_common.h"
#include "plugin/sof_host.h"
#include "wire/sof_base58.h"
#include "sofd_pipe.h"
#include "sofd_race.h"

static sofd_pipe_t *tel_pipe;

/* DPDK 22.11 telemetry nests arrays only, not dicts: entries are flat,
 * "<object>_<field>" (e.g. "fec_0_processed"). */
static void
add(struct rte_tel_data *d, char const *object, char const *field, uint64_t v) {
  char key[RTE_TEL_MAX_STRING_LEN];
  snprintf(key, sizeof key, "%s_%s", object, field);
  rte_tel_data_add_dict_u64(d, key, v);
}

static int
tel_stats(char const *cmd, char const *params, struct rte_tel_data *d) {
  (void)cmd;
  (void)params;
  if (!__atomic_load_n(&tel_pipe, __ATOMIC_ACQUIRE)) return -1;
  static sofd_counter_t c[SOFD_COUNTERS_MAX];  /* telemetry thread only */
  unsigned n = sofd_pipe_counters(tel_pipe, c);
  rte_tel_data_start_dict(d);
  for (unsigned i = 0; i < n; i++) rte_tel_data_add_dict_u64(d, c[i].name, c[i].value);
  return 0;
}

static int
tel_roles(char const *cmd, char const *params, struct rte_tel_data *d) {
  (void)cmd;
  (void)params;
  if (!__atomic_load_n(&tel_pipe, __ATOMIC_ACQUIRE)) return -1;
  rte_tel_data_start_dict(d);
  for (unsigned i = 0; i < sofd_pipe_role_cnt(tel_pipe); i++) {
    int role;
    unsigned inst, lcore, depth;
    sofd_activity_t a;
    if (sofd_pipe_role_info(tel_pipe, i, &role, &inst, &lcore, &a, &depth)) continue;
    char pre[32];
    snprintf(pre, sizeof pre, "%s_%u", sofd_role_str(role), inst);
    add(d, pre, "lcore", lcore);
    add(d, pre, "processed", a.processed);
    add(d, pre, "dropped", a.dropped);
    add(d, pre, "busy_cycles", a.busy_cycles);
    add(d, pre, "held_cycles", a.held_cycles);
    add(d, pre, "busy_polls", a.busy_polls);
    add(d, pre, "idle_polls", a.idle_polls);
    add(d, pre, "input_depth", depth);
  }
  return 0;
}

static int
tel_rings(char const *cmd, char const *params, struct rte_tel_data *d) {
  (void)cmd;
  (void)params;
  if (!__atomic_load_n(&tel_pipe, __ATOMIC_ACQUIRE)) return -1;
  rte_tel_data_start_dict(d);
  for (unsigned i = 0; i < sofd_pipe_ring_cnt(tel_pipe); i++) {
    char const *name;
    unsigned size, count;
    uint64_t dropped, held;
    if (sofd_pipe_ring_info(tel_pipe, i, &name, &size, &count, &dropped, &held)) continue;
    add(d, name, "size", size);
    add(d, name, "count", count);
    add(d, name, "dropped", dropped);
    add(d, name, "held", held);
  }
  return 0;
}

/* one flat key of a plugin's registered counters (sof_pcounter_tel) */
static void
tel_add_u64(void *ctx, char const *key, uint64_t v) {
  char name[RTE_TEL_MAX_STRING_LEN];
  snprintf(name, sizeof name, "%s", key);
  rte_tel_data_add_dict_u64(ctx, name, v);
}

static int
tel_plugins(char const *cmd, char const *params, struct rte_tel_data *d) {
  (void)cmd;
  (void)params;
  if (!__atomic_load_n(&tel_pipe, __ATOMIC_ACQUIRE)) return -1;
  sof_host_t *h = sofd_pipe_host(tel_pipe);
  rte_tel_data_start_dict(d);
  sof_host_stats_t const *hs = sof_host_stats(h);
  for (int l = 0; l < SOF_HOST_LANE_CNT; l++) {
    char name[48];
    snprintf(name, sizeof name, "lane_%s", sof_host_lane_str(l));
    add(d, name, "enqueued", hs->lane[l].enqueued);
    add(d, name, "dropped", hs->lane[l].dropped);
    add(d, name, "dispatched", hs->lane[l].dispatched);
    add(d, name, "callbacks", hs->lane[l].callbacks);
    add(d, name, "callback_cycles", hs->lane[l].callback_cycles);
    add(d, name, "lag_cycles", hs->lane[l].lag_cycles);
    add(d, name, "lag_max_cycles", hs->lane[l].lag_max_cycles);
    add(d, name, "depth", sof_host_lane_depth(h, l));
    add(d, name, "depth_max", hs->lane[l].depth_max);
  }
  for (unsigned i = 0; i < sof_host_plugin_cnt(h); i++) {
    sof_host_plugin_stats_t const *ps = sof_host_plugin_stats(h, i);
    char name[80];
    snprintf(name, sizeof name, "plugin_%s", sof_host_plugin(h, i)->name);
    for (int k = 0; k < SOF_HOOK_CNT; k++)
      if (ps->callbacks[k]) add(d, name, sof_hook_str(k), ps->callbacks[k]);
    add(d, name, "callback_cycles", ps->callback_cycles);
    add(d, name, "prefiltered", ps->prefiltered);
    add(d, name, "classified_out", ps->classified_out);
  }
  /* plugin output sinks (sof_plugout): output_<plugin>_<counter> */
  for (unsigned i = 0; i < SOF_PLUGOUT_MAX; i++) {
    char const *who, *oname;
    sof_plugout_stats_t st;
    if (sof_plugout_sink_stats(i, &who, &oname, &st)) continue;
    char name[48];
    snprintf(name, sizeof name, "output_%s", who[0] ? who : oname);
    add(d, name, "lines", st.lines);
    add(d, name, "written", st.written);
    add(d, name, "lost", st.lost);
    add(d, name, "dropped", st.dropped);
    add(d, name, "errors", st.write_errors);
    add(d, name, "bytes", st.bytes);
    add(d, name, "reopens", st.reopens);
    add(d, name, "queued_bytes", st.queued_bytes);
  }
  sof_pcounter_tel(tel_add_u64, d); /* counters plugins registered: <owner>_<family>[_<label>] */
  return 0;
}

void
sofd_telemetry_unregister(void) {
  /* DPDK cannot unregister a command: the callbacks answer nothing from now
   * on (a request already running finishes before the pipe is freed only
   * if it is quick; the daemon waits 10 ms before freeing) */
  __atomic_store_n(&tel_pipe, NULL, __ATOMIC_RELEASE);
  sofd_race_telemetry_unregister(); /* /sof/sources */
}

static int
tel_leader(char const *cmd, char const *params, struct rte_tel_data *d) {
  (void)cmd;
  (void)params;
  if (!__atomic_load_n(&tel_pipe, __ATOMIC_ACQUIRE)) return -1;
  rte_tel_data_start_dict(d);
  uint64_t slot;
  uint8_t key[32];
  if (sofd_pipe_leader(tel_pipe, &slot, key)) {
    char b58[SOF_BASE58_ENCODED_32_MAX];
    sof_base58_encode_32(key, b58);
    rte_tel_data_add_dict_u64(d, "slot", slot);
    rte_tel_data_add_dict_string(d, "leader", b58);
  }
  return 0;
}

int
sofd_telemetry_register(sofd_pipe_t *p) {
  tel_pipe = p;
  if (rte_telemetry_register_cmd("/sof/stats", tel_stats, "Every sofd counter. No parameters") ||
      rte_telemetry_register_cmd("/sof/roles", tel_roles,
                                 "Activity per role instance (lcore, processed, busy/idle, input depth)") ||
      rte_telemetry_register_cmd("/sof/rings", tel_rings, "Rings between roles: size, count, drops") ||
      rte_telemetry_register_cmd("/sof/leader", tel_leader,
                                 "Latest observed slot leader (at the tip when it changed)") ||
      rte_telemetry_register_cmd("/sof/plugins", tel_plugins,
                                 "Plugin lanes (depth, drops, callback time, lag) and per-plugin counts")) {
    fprintf(stderr, "sofd: cannot register the /sof/ telemetry commands\n");
    return -1;
  }
  return sofd_race_telemetry_register(sofd_pipe_race(p)); /* /sof/sources (sofd_race.c) */
}

int
sofd_prom_put(char *buf, size_t sz, size_t *off, char const *fmt, ...) {
  if (*off >= sz) return -1;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + *off, sz - *off, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sz - *off) {
    *off = sz;
    return -1;
  }
  *off += (size_t)n;
  return 0;
}

#define put sofd_prom_put

/* The Prometheus name of a table entry (without the sof_ prefix). */
static void
prom_name(sofd_counter_t const *c, char *out, size_t sz) {
  if (c->family) snprintf(out, sz, "%.63s", c->family);
  else snprintf(out, sz, "%.63s%s", c->name, c->gauge ? "" : "_total");
}

/* One per-role family (sof_role_<name>{role,instance,lcore}): the items a
 * role instance processed, or its busy / held-back time in seconds. */
enum { ROLE_PROCESSED, ROLE_BUSY_S, ROLE_HELD_S };

static void
prom_roles(char *buf, size_t sz, size_t *off, sofd_pipe_t const *p, char const *name, char const *help, int what) {
  double hz = (double)rte_get_tsc_hz();
  put(buf, sz, off, "# HELP sof_role_%s %s\n# TYPE sof_role_%s counter\n", name, help, name);
  for (unsigned i = 0; i < sofd_pipe_role_cnt(p); i++) {
    int role;
    unsigned inst, lcore, depth;
    sofd_activity_t a;
    if (sofd_pipe_role_info(p, i, &role, &inst, &lcore, &a, &depth)) continue;
    if (what == ROLE_PROCESSED)
      put(buf, sz, off, "sof_role_%s{role=\"%s\",instance=\"%u\",lcore=\"%u\"} %" PRIu64 "\n", name,
          sofd_role_str(role), inst, lcore, a.processed);
    else
      put(buf, sz, off, "sof_role_%s{role=\"%s\",instance=\"%u\",lcore=\"%u\"} %.9g\n", name,
          sofd_role_str(role), inst, lcore,
          hz > 0 ? (double)(what == ROLE_BUSY_S ? a.busy_cycles : a.held_cycles) / hz : 0.0);
  }
}

/* The counter table as Prometheus text: one HELP / TYPE per family, then
 * its series (a label per entry when it has one); entries whose value is
 * not known yet are left out (docs/metrics.md). */
int
sofd_prometheus_render(sofd_pipe_t const *p, char *buf, size_t sz) {
  static sofd_counter_t c[SOFD_COUNTERS_MAX]; /* one caller: the HTTP server thread */
  static uint8_t done[SOFD_COUNTERS_MAX];
  unsigned n = sofd_pipe_counters(p, c);
  size_t off = 0;
  memset(done, 0, sizeof done);
  for (unsigned i = 0; i < n; i++) {
    if (done[i]) continue;
    char fam[80], other[80];
    prom_name(&c[i], fam, sizeof fam);
    int head = 0;
    for (unsigned j = i; j < n; j++) {
      if (done[j]) continue;
      prom_name(&c[j], other, sizeof other);
      if (strcmp(fam, other)) continue;
      done[j] = 1;
      if (c[j].unknown) continue;
      if (!head++)
        put(buf, sz, &off, "# HELP sof_%s %s\n# TYPE sof_%s %s\n", fam, c[i].help, fam,
            c[i].gauge ? "gauge" : "counter");
      if (c[j].label_key)
        put(buf, sz, &off, "sof_%s{%s=\"%s\"} %" PRIu64 "\n", fam, c[j].label_key, c[j].label_val, c[j].value);
      else
        put(buf, sz, &off, "sof_%s %" PRIu64 "\n", fam, c[j].value);
    }
  }
  prom_roles(buf, sz, &off, p, "processed_total", "items taken off a role instance's input", ROLE_PROCESSED);
  prom_roles(buf, sz, &off, p, "busy_seconds_total", "time in polls that did work", ROLE_BUSY_S);
  prom_roles(buf, sz, &off, p, "held_seconds_total", "time the role held its input back (back-pressure)",
             ROLE_HELD_S);
  /* plugin output sinks (sof_plugout), labelled by plugin */
  static struct { char const *name, *help; int gauge; } const outc[] = {
    {"lines_total", "lines a plugin handed to its output", 0},
    {"written_total", "output lines written", 0},
    {"lost_total", "output lines lost (failed writes, still queued at the shutdown deadline)", 0},
    {"dropped_total", "output lines dropped: the output queue was full", 0},
    {"errors_total", "failed output writes", 0},
    {"bytes_total", "output bytes written", 0},
    {"reopens_total", "output files reopened (SIGHUP)", 0},
    {"queued_bytes", "output bytes waiting for the writer thread", 1},
  };
  for (unsigned k = 0; k < sizeof outc / sizeof outc[0]; k++) {
    int head = 0;
    for (unsigned i = 0; i < SOF_PLUGOUT_MAX; i++) {
      char const *who, *oname;
      sof_plugout_stats_t st;
      if (sof_plugout_sink_stats(i, &who, &oname, &st)) continue;
      uint64_t v[] = { st.lines, st.written, st.lost, st.dropped, st.write_errors, st.bytes,
                       st.reopens, st.queued_bytes };
      if (!head++)
        put(buf, sz, &off, "# HELP sof_plugin_output_%s %s\n# TYPE sof_plugin_output_%s %s\n",
            outc[k].name, outc[k].help, outc[k].name, outc[k].gauge ? "gauge" : "counter");
      char label[128];
      size_t l = 0;
      for (char const *q = oname; *q && l + 2 < sizeof label; q++) {
        if (*q == '"' || *q == '\\' || *q == '\n') label[l++] = '_';
        else label[l++] = *q;
      }
      label[l] = '\0';
      put(buf, sz, &off, "sof_plugin_output_%s{plugin=\"%s\",output=\"%s\"} %" PRIu64 "\n",
          outc[k].name, who, label, v[k]);
    }
  }
  sofd_race_prometheus(sofd_pipe_race(p), buf, sz, &off); /* sof_race_* (sofd_race.c) */
  sof_pcounter_prom(buf, sz, &off); /* plugins' registered counters: sof_<owner>_<family>[_total]{labels} */
  return off >= sz ? -1 : (int)off;
}
