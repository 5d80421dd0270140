/* sofd: the Solana shred observer on DPDK.
 *
 *   sofd [EAL args] -- [app args]      (sofd --help for the options)
 *
 * Startup: app options are parsed before the EAL (so --help and bad flags
 * need no hugepages or devices), then rte_eal_init, then the options are
 * resolved against the EAL's lcores (topology), the leader schedule is
 * loaded, the plugin host is built over the compiled-in plugin table and
 * every plugin's setup runs (registration order), the input port or
 * sockets open, and the roles start on their lcores (sofd_pipe.h).
 * Exit: a signal or --idle-exit-ms stops RX; the rings and plugin lanes
 * drain; plugins shut down in reverse order; the summary goes to stderr.
 * A bad configuration or an unusable port exits with status 2 and a message
 * naming the problem. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_pdump.h>
#ifdef SOFD_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "common/sof_pcounter.h"
#include "common/sof_plugin_common.h"
#include "crypto/sof_ed25519.h"
#include "net/sof_http.h"
#include "plugin/sof_host.h"
#include "sof_plugin_table.h"
#include "sofd_gossip.h"
#include "sofd_leaders.h"
#include "sofd_opts.h"
#include "sofd_pipe.h"
#include "verify/sof_leaders.h"
#include "wire/sof_base58.h"

static volatile int quit_signal;

static void
on_signal(int sig) {
  quit_signal = sig;
}

/* SIGHUP: the plugin outputs reopen their files (logrotate); the leader
 * schedule files are re-read (a flag the leaders control thread polls). */
static void
on_hup(int sig) {
  (void)sig;
  sof_plugout_reopen_all();
  sofd_leaders_hup();
}

/* ---- systemd (Type=notify, config/sofd.service) ------------------------------------------------ */

/* sd_notify does nothing unless NOTIFY_SOCKET is set (a unit with
 * Type=notify). READY=1 once the pipeline runs (the main lcore's first
 * monitor tick), STOPPING=1 when a signal asks sofd to stop (or the run
 * ended otherwise), WATCHDOG=1 at half of WatchdogSec= from the main
 * lcore's monitor loop: a stalled main loop stops the pings. */
typedef struct sd_state {
  int      ready, stopping;
  uint64_t wd_cycles, wd_next; /* 0: no watchdog */
} sd_state_t;

static void
sd_say(char const *msg) {
#ifdef SOFD_SYSTEMD
  sd_notify(0, msg);
#else
  (void)msg;
#endif
}

static void
sd_init(sd_state_t *s) {
  memset(s, 0, sizeof *s);
#ifdef SOFD_SYSTEMD
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec)
    s->wd_cycles = (uint64_t)((double)usec / 2e6 * (double)rte_get_tsc_hz());
#endif
}

static void
sd_tick(void *ctx) {
  sd_state_t *s = ctx;
  if (!s->ready) {
    s->ready = 1;
    sd_say("READY=1\nSTATUS=receiving shreds");
  }
  if (quit_signal && !s->stopping) {
    s->stopping = 1;
    sd_say("STOPPING=1\nSTATUS=draining");
  }
  if (s->wd_cycles) {
    uint64_t now = rte_get_tsc_cycles();
    if (now >= s->wd_next) {
      sd_say("WATCHDOG=1");
      s->wd_next = now + s->wd_cycles;
    }
  }
}

/* ---- plugin config lookup ------------------------------------------------------------------ */

static char const *
plugin_config_get(void *ctx, char const *plugin, char const *key) {
  sofd_cfg_t const *c = ctx;
  size_t pl = strlen(plugin);
  for (unsigned i = 0; i < c->plugin_opt_cnt; i++) {
    char const *k = c->plugin_key[i];
    if (!strncmp(k, plugin, pl) && k[pl] == '.' && !strcmp(k + pl + 1, key)) return c->plugin_val[i];
  }
  return NULL;
}

static char const *
plugin_config_key(void *ctx, char const *plugin, unsigned n) {
  sofd_cfg_t const *c = ctx;
  size_t pl = strlen(plugin);
  for (unsigned i = 0; i < c->plugin_opt_cnt; i++) {
    char const *k = c->plugin_key[i];
    if (!strncmp(k, plugin, pl) && k[pl] == '.' && n-- == 0) return k + pl + 1;
  }
  return NULL;
}

/* Does the comma list hold name? */
static int
list_has(char const *list, char const *name) {
  size_t nl = strlen(name);
  for (char const *p = list; *p;) {
    char const *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == nl && !strncmp(p, name, nl)) return 1;
    p += len + (e ? 1 : 0);
  }
  return 0;
}

/* The compiled-in plugins [run] plugins names, in table order. Returns
 * the count, or -1 with a message naming an unknown plugin. */
static int
selected_plugins(sofd_cfg_t const *c, sof_plugin_t const **out) {
  char const *list = c->plugins;
  int all = !strcmp(list, "all"), none = !strcmp(list, "none");
  if (!all && !none) {
    for (char const *p = list; *p;) {
      char const *e = strchr(p, ',');
      size_t len = e ? (size_t)(e - p) : strlen(p);
      int found = 0;
      for (unsigned i = 0; i < sof_plugin_table_cnt; i++)
        if (strlen(sof_plugin_table[i]->name) == len && !strncmp(sof_plugin_table[i]->name, p, len)) found = 1;
      if (!found) {
        fprintf(stderr, "sofd: [run] plugins (--plugins): '%.*s' is not compiled in (built in:", (int)len, p);
        for (unsigned i = 0; i < sof_plugin_table_cnt; i++) fprintf(stderr, " %s", sof_plugin_table[i]->name);
        fprintf(stderr, "%s; meson option -Dplugins)\n", sof_plugin_table_cnt ? "" : " none");
        return -1;
      }
      p += len + (e ? 1 : 0);
    }
  }
  int n = 0;
  for (unsigned i = 0; i < sof_plugin_table_cnt && n < (int)SOF_HOST_PLUGINS_MAX; i++)
    if (all || (!none && list_has(list, sof_plugin_table[i]->name))) out[n++] = sof_plugin_table[i];
  return n;
}

/* Every [plugin.NAME] section must name a compiled-in plugin. */
static int
check_plugin_sections(sofd_cfg_t const *c) {
  for (unsigned i = 0; i < c->plugin_opt_cnt; i++) {
    char const *k = c->plugin_key[i];
    size_t len = (size_t)(strchr(k, '.') - k);
    int found = 0;
    for (unsigned p = 0; p < sof_plugin_table_cnt; p++) {
      char const *name = sof_plugin_table[p]->name;
      if (strlen(name) == len && !strncmp(name, k, len)) found = 1;
    }
    if (!found) {
      fprintf(stderr, "sofd: plugin option '%s': no plugin '%.*s' is compiled in (built in:", k,
              (int)len, k);
      for (unsigned p = 0; p < sof_plugin_table_cnt; p++) fprintf(stderr, " %s", sof_plugin_table[p]->name);
      fprintf(stderr, "%s; meson option -Dplugins)\n", sof_plugin_table_cnt ? "" : " none");
      return -1;
    }
  }
  return 0;
}

/* ---- leaders ----------------------------------------------------------------------------------- */

/* [verify] leader_candidates: one base58 identity a line, blank lines and
 * # comments skipped; into c->verify.candidates (lives until exit). */
static int
load_candidates(sofd_cfg_t *c) {
  FILE *f = fopen(c->leader_candidates, "r");
  if (!f) {
    fprintf(stderr, "sofd: [verify] leader_candidates (--leader-candidates): cannot open '%s': %s\n",
            c->leader_candidates, strerror(errno));
    return -1;
  }
  static uint8_t (*keys)[32];
  uint32_t cnt = 0, cap = 0;
  char line[256];
  unsigned no = 0;
  int rc = 0;
  while (fgets(line, sizeof line, f)) {
    no++;
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    size_t n = strcspn(p, " \t\r\n#");
    if (!n) continue;
    if (cnt == cap) {
      cap = cap ? cap * 2 : 256;
      void *nk = realloc(keys, (size_t)cap * 32);
      if (!nk) { rc = -1; break; }
      keys = nk;
    }
    if (sof_base58_decode_32(p, n, keys[cnt])) {
      fprintf(stderr, "sofd: %s:%u: '%.*s' is not a base58 public key\n", c->leader_candidates, no,
              (int)(n > 64 ? 64 : n), p);
      rc = -1;
      break;
    }
    cnt++;
  }
  fclose(f);
  if (!rc && !cnt) {
    fprintf(stderr, "sofd: %s: no candidate identities\n", c->leader_candidates);
    rc = -1;
  }
  if (rc) return -1;
  c->verify.candidates = (uint8_t const(*)[32])keys;
  c->verify.candidate_cnt = cnt;
  fprintf(stderr, "sofd: learned leaders: %u candidate identities\n", cnt);
  return 0;
}

static sof_leaders_t *
load_leaders(sofd_cfg_t *c, sofd_leaders_ctl_t **ctl) {
  char err[512];
  *ctl = NULL;
  sof_leaders_t *l = sof_leaders_new(1UL << 20, 1U << 16);
  if (!l) {
    fprintf(stderr, "sofd: out of memory (leader table)\n");
    return NULL;
  }
  if (c->leader) {
    uint8_t pub[32];
    if (sof_base58_decode_32(c->leader, strlen(c->leader), pub)) {
      fprintf(stderr, "sofd: [verify] leader (--leader): '%s' is not a base58 public key\n", c->leader);
      goto fail;
    }
    sof_leaders_set_fixed(l, pub);
  }
  /* schedule files: one epoch each (sofd_leaders.c, which also runs RPC) */
  if (!(*ctl = sofd_leaders_ctl_new(c, l))) goto fail;
  if (c->leader_list) {
    /* checked against the schedule files as one table (a slot named with
     * two leaders is refused, naming the list's line); the list then goes
     * into the base table, under the epochs */
    sof_leaders_t *scratch = sofd_leaders_ctl_scratch(*ctl);
    long n = scratch ? sof_leaders_load_text(scratch, c->leader_list, err, sizeof err) : -1;
    if (!scratch) snprintf(err, sizeof err, "out of memory");
    sof_leaders_delete(scratch);
    if (n >= 0 && sof_leaders_load_text(l, c->leader_list, err, sizeof err) < 0) n = -1;
    if (n < 0) {
      fprintf(stderr, "sofd: [verify] leader_list (--leader-list): %s\n", err);
      goto fail;
    }
    c->leader_schedule_slots += (uint64_t)n;
  }
  if (c->leader_candidates && load_candidates(c)) goto fail;
  uint64_t first, last;
  if (!sof_leaders_range(l, &first, &last))
    fprintf(stderr, "sofd: leader schedule: %" PRIu64 " slots named in %" PRIu64 "..%" PRIu64 "\n",
            c->leader_schedule_slots, first, last);
  return l;
fail:
  sofd_leaders_ctl_delete(*ctl);
  *ctl = NULL;
  sof_leaders_delete(l);
  return NULL;
}

/* ---- Prometheus endpoint (its own thread: sof_http_start) ---------------------------------------- */

typedef struct prom {
  sof_http_t     srv;
  sofd_pipe_t   *pipe;
  sofd_gossip_t *gossip; /* NULL: no gossip role */
} prom_t;

/* /metrics: Prometheus text (the pipeline's counters, then the endpoint's
 * own, sof_http_*). /plugins/NAME: a plugin's own counters as JSON (plugins
 * with a renderer: metrics, latency). Runs on the server thread; it reads
 * the pipeline's and plugins' counters without locks (64-bit loads) while
 * the lcores update them. sofd stops the thread before any of it is torn
 * down. */
static int
prom_handler(void *ctx, char const *path, sof_http_resp_t *resp) {
  prom_t *pr = ctx;
  if (!strncmp(path, "/plugins/", 9)) {
    sof_host_t const *h = sofd_pipe_host(pr->pipe);
    for (unsigned i = 0; i < sof_host_plugin_cnt(h); i++) {
      sof_plugin_t const *pl = sof_host_plugin(h, i);
      if (strcmp(pl->name, path + 9)) continue;
      sof_plugin_render_fn fn = NULL;
      for (unsigned k = 0; k < sof_plugin_table_cnt; k++)
        if (sof_plugin_table[k] == pl) fn = sof_plugin_table_render[k];
      void *state = sof_host_plugin_state(h, i);
      if (!fn || !state) return 404;
      int n = fn(state, resp->body, resp->body_cap);
      if (n < 0) return SOF_HTTP_NEED_ROOM;
      resp->body_len = (size_t)n;
      resp->content_type = "application/json";
      return 200;
    }
    return 404;
  }
  if (strcmp(path, "/metrics")) return 404;
  int n = sofd_prometheus_render(pr->pipe, resp->body, resp->body_cap);
  if (n < 0) return SOF_HTTP_NEED_ROOM;
  int m = sof_http_stats_prom(&pr->srv.stats, "sof_http", resp->body + n, resp->body_cap - (size_t)n);
  if (m < 0) return SOF_HTTP_NEED_ROOM;
  if (pr->gossip) { /* the gossip role's families (sofd_gossip.c) */
    int k = sofd_gossip_prometheus(pr->gossip, resp->body + n + m, resp->body_cap - (size_t)n - (size_t)m);
    if (k < 0) return SOF_HTTP_NEED_ROOM;
    m += k;
  }
  resp->body_len = (size_t)n + (size_t)m;
  resp->content_type = "text/plain; version=0.0.4";
  return 200;
}

/* ---- main ---------------------------------------------------------------------------------------- */

static int sofd_main(int argc, char **argv);

/* sofd_pipe_set_votes's peek / pop: gossip's vote queue (sofd_gossip.h). */
static struct sof_ev_gossip_vote const *
gossip_vote_peek(void *ctx) {
  return sofd_gossip_vote_peek(ctx);
}

static void
gossip_vote_pop(void *ctx) {
  sofd_gossip_vote_pop(ctx);
}

/* sofd_pipe_set_topology's take: gossip's joins and leaves (sofd_gossip.h). */
static int
gossip_topology_take(void *ctx, uint32_t *added, uint32_t *removed, uint32_t *total) {
  return sofd_gossip_topology_take(ctx, added, removed, total);
}

int
main(int argc, char **argv) {
  int rc = sofd_main(argc, argv);
  sofd_opts_free();
  return rc;
}

/* The gossip role's join (sofd_gossip_wait_join) and what sofd takes from
 * it: the shred version (unless [verify] shred_version pins one) and, for
 * learned leaders without another source, the nodes of that version as
 * candidates. Returns 0 or -1 (message printed). */
typedef struct gossip_join {
  sofd_cfg_t    *cfg;
  sofd_gossip_t *g;
} gossip_join_t;

static int
gossip_join(gossip_join_t *j) {
  sofd_cfg_t *c = j->cfg;
  uint16_t sv = 0;
  static uint8_t (*gids)[32];
  uint32_t gcnt = 0;
  if (sofd_gossip_wait_join(j->g, &sv, &gids, &gcnt)) return -1;
  if (c->shred_version_gossip) { /* and followed while running (a restarted cluster) */
    c->verify.shred_version = sv;
    c->verify.cands_pub = sofd_gossip_cands(j->g);
    c->verify.cands_pub_version = 1;
  } else if (c->verify.check_version && c->verify.shred_version != sv) {
    fprintf(stderr, "sofd: gossip: the cluster's shred version is %u but [verify] shred_version is %u: its "
            "shreds will be refused\n", sv, c->verify.shred_version);
  }
  if (c->learn_leaders && !c->leader_candidates && !c->rpc_url) {
    c->verify.candidates = (uint8_t const(*)[32])gids;
    c->verify.candidate_cnt = gcnt;
    c->verify.cands_pub = sofd_gossip_cands(j->g); /* joins and leaves while running */
    c->verify.cands_pub_keys = 1;
  }
  return 0;
}

static int
gossip_join_cb(void *ctx) {
  return gossip_join(ctx);
}

static int
sofd_main(int argc, char **argv) {
  /* "sofd --help" before any "--" asks for this usage, not EAL's */
  int app_at = argc;
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--")) { app_at = i; break; }
  for (int i = 1; i < app_at; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      sofd_opts_usage();
      return 0;
    }
  }
  char *app_argv[argc + 1];
  int app_argc = 0;
  app_argv[app_argc++] = argv[0];
  for (int i = app_at + 1; i < argc; i++) app_argv[app_argc++] = argv[i];
  app_argv[app_argc] = NULL;
  signal(SIGPIPE, SIG_IGN); /* a closed output reader is a counted output error */
  int rc = sofd_opts_parse(app_argc, app_argv);
  if (rc) return rc > 0 ? 0 : 2;

  /* everything that needs no EAL is checked before it starts */
  static sofd_cfg_t cfg;
  static sof_plugin_t const *plugins[SOF_HOST_PLUGINS_MAX];
  int plugin_cnt;
  if (sofd_opts_resolve(&cfg) || check_plugin_sections(&cfg) ||
      (plugin_cnt = selected_plugins(&cfg, plugins)) < 0)
    return 2;
  if (sofd_opts_print_requested()) {
    sofd_opts_dump();
    return 0;
  }
  if (sof_ed25519_init()) {
    fprintf(stderr, "sofd: cannot initialise libsodium\n");
    return 2;
  }
  sofd_leaders_ctl_t *lctl = NULL;
  sof_leaders_t *leaders = load_leaders(&cfg, &lctl);
  if (!leaders) return 2;
  if (cfg.shred_version_auto && sofd_leaders_ctl_shred_version(lctl, &cfg.verify.shred_version)) {
    sofd_leaders_ctl_delete(lctl);
    sof_leaders_delete(leaders);
    return 2;
  }
  /* gossip (its own thread, running until exit): the shred version and
   * the nodes (learned-leader candidates) once joined. Over the DPDK
   * port's exception tap (cfg.gossip_tap) it starts once the port is up,
   * below. Gossip votes are queued from the start when a plugin subscribes
   * (its static hooks): the join's pull responses carry the cluster's
   * current votes. */
  for (int i = 0; i < plugin_cnt; i++)
    if (plugins[i]->hooks & SOF_HOOK_BIT(GOSSIP_VOTE)) cfg.gossip.votes = 1;
  static gossip_join_t gjn;
  gjn.cfg = &cfg;
  if (cfg.gossip.entrypoint && !cfg.gossip_tap) {
    if (!(gjn.g = sofd_gossip_start(&cfg.gossip)) || gossip_join(&gjn)) {
      sofd_gossip_delete(gjn.g);
      sofd_leaders_ctl_delete(lctl);
      sof_leaders_delete(leaders);
      return 2;
    }
  }
  sofd_gossip_t *gossip = gjn.g;
  if (cfg.learn_leaders && !cfg.leader_candidates && !cfg.gossip.entrypoint) { /* the cluster's nodes, from the RPC */
    static uint8_t (*cands)[32];
    if (sofd_leaders_ctl_candidates(lctl, &cands, &cfg.verify.candidate_cnt)) {
      sofd_leaders_ctl_delete(lctl);
      sof_leaders_delete(leaders);
      return 2;
    }
    cfg.verify.candidates = (uint8_t const(*)[32])cands;
  }

  if (rte_eal_init(app_at, argv) < 0) {
    fprintf(stderr, "sofd: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
    sofd_gossip_delete(gossip);
    sofd_leaders_ctl_delete(lctl);
    sof_leaders_delete(leaders);
    return 2;
  }
  int ret = 2;
  sof_host_t *host = NULL;
  sofd_pipe_t *pipe = NULL;
  static prom_t prom;
  int host_setup = 0, prom_open = 0;
  if (sofd_opts_check_ports(&cfg) || sofd_opts_resolve_topology(&cfg)) goto out;
  /* dpdk-dumpcap attaches as a secondary process: the EAL's shared config
   * (no --no-shconf) under a --file-prefix it is given too */
  if (cfg.pdump && rte_pdump_init() != 0) {
    fprintf(stderr, "sofd: [run] pdump: rte_pdump_init: %s (dpdk-dumpcap needs the EAL's shared "
                    "config: run without --no-shconf, with a known --file-prefix)\n", rte_strerror(rte_errno));
    goto out;
  }

  sof_host_cfg_t hc;
  sof_host_cfg_default(&hc);
  for (int l = 0; l < SOF_HOST_LANE_CNT; l++) {
    hc.lane_depth[l] = cfg.lane_depth[l];
    hc.lane_workers[l] = 1; /* each lane has one worker (sofd_pipe.c: lanes over workers) */
  }
  hc.commit_wait_max = cfg.commit_wait_max;
  hc.hold_waiting = cfg.hold_waiting;
  hc.batch_slots = cfg.batch_slots;
  hc.batch_bytes = cfg.batch_bytes;
  hc.tsc_hz = rte_get_tsc_hz();
  hc.config_get = plugin_config_get;
  hc.config_key = plugin_config_key;
  hc.config_ctx = &cfg;
  char err[512];
  host = sof_host_new(&hc, plugins, (unsigned)plugin_cnt, err, sizeof err);
  if (!host) {
    fprintf(stderr, "sofd: plugin host: %s\n", err);
    goto out;
  }
  if (sof_host_setup(host, err, sizeof err)) {
    fprintf(stderr, "sofd: %s\n", err);
    goto out;
  }
  host_setup = 1;
  if (cfg.prometheus) {
    sof_http_cfg_t hcfg;
    sof_http_cfg_default(&hcfg);
    hcfg.addr = cfg.prometheus;
    hcfg.clients_max = cfg.prometheus_clients;
    hcfg.request_timeout_ms = cfg.prometheus_request_timeout_ms;
    if (sof_http_open_cfg(&prom.srv, &hcfg, err, sizeof err)) {
      fprintf(stderr, "sofd: [run] prometheus (--prometheus): %s\n", err);
      goto out;
    }
    prom_open = 1;
  }

  if (!(pipe = sofd_pipe_new(&cfg, leaders, host))) goto out;
  if (cfg.telemetry && sofd_telemetry_register(pipe)) goto out;
  if (cfg.telemetry && gossip && sofd_gossip_telemetry_register(gossip)) goto out;
  if (sofd_pipe_open_input(pipe)) goto out;
  if (cfg.gossip_tap) {
    /* gossip through the port: the socket on the tap's address; the port
     * is polled by a bootstrap thread while the role joins (shreds before
     * that are counted before_join), then the verifiers take what it
     * learned */
    fprintf(stderr, "sofd: gossip: through the port's exception tap, bound to %s\n", cfg.gossip.bind);
    gossip = gjn.g = sofd_gossip_start(&cfg.gossip);
    if (!gossip || sofd_pipe_bootstrap(pipe, gossip_join_cb, &gjn) || sofd_pipe_verify_rebuild(pipe)) {
      goto out;
    }
    if (cfg.telemetry && sofd_gossip_telemetry_register(gossip)) goto out;
  }
  if (prom_open) {
    prom.pipe = pipe;
    prom.gossip = gossip;
    if (sof_http_start(&prom.srv, prom_handler, &prom)) {
      fprintf(stderr, "sofd: [run] prometheus: cannot start the server thread: %s\n", strerror(errno));
      goto out;
    }
    fprintf(stderr, "sofd: Prometheus metrics on http://%s/metrics\n", sof_http_addr(&prom.srv));
  }
  if (cfg.mlock) {
    /* every page the process mapped (DPDK memory, mbufs, arenas, lanes,
     * tables) faulted in and locked now, not on the data path */
    uint64_t t0 = rte_get_tsc_cycles();
    if (mlockall(MCL_CURRENT) != 0) {
      fprintf(stderr, "sofd: [run] mlock (--mlock): mlockall: %s (needs CAP_IPC_LOCK or a "
                      "large enough RLIMIT_MEMLOCK)\n", strerror(errno));
      goto out;
    }
    fprintf(stderr, "sofd: memory locked and faulted in (%.0f ms)\n",
            (double)(rte_get_tsc_cycles() - t0) * 1e3 / (double)rte_get_tsc_hz());
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sa.sa_handler = on_hup;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGHUP, &sa, NULL);

  fprintf(stderr, "sofd: %s input, %u rx / %u fec / 1 extract / 1 dispatch / %u plugin worker(s), "
          "verification %s, %u plugin(s)\n", cfg.driver == SOFD_DRIVER_UDP ? "udp" : cfg.driver == SOFD_DRIVER_PRELOAD ? "preload" : "ethdev",
          cfg.role_cnt[SOFD_ROLE_RX], cfg.role_cnt[SOFD_ROLE_FEC], cfg.role_cnt[SOFD_ROLE_PLUGINS],
          cfg.verify.verify_shreds == 0 ||
                  (cfg.verify.verify_shreds < 0 && cfg.verify.posture != SOF_VERIFY_POSTURE_PUBLIC_UNTRUSTED)
              ? "off" : "on",
          plugin_cnt);
  static sd_state_t sd;
  sd_init(&sd);
  sofd_pipe_set_tick(pipe, sd_tick, &sd);
  if (gossip) sofd_pipe_set_topology(pipe, gossip_topology_take, gossip); /* cluster_topology events */
  if (gossip && cfg.gossip.votes) /* gossip_vote events */
    sofd_pipe_set_votes(pipe, gossip_vote_peek, gossip_vote_pop, gossip);
  if (sofd_leaders_ctl_start(lctl, pipe)) goto out;
  char const *stop = sofd_pipe_run(pipe, &quit_signal);
  sofd_leaders_ctl_stop(lctl);
  if (!sd.stopping) sd_say("STOPPING=1"); /* --idle-exit-ms, or no monitor tick ran */
  if (prom_open) sof_http_stop(&prom.srv); /* its handler reads the pipe and the plugins' states */
  sof_plugout_drain_deadline(cfg.drain_ms); /* plugin outputs: a stalled reader cannot hold exit */
  sof_host_shutdown(host);
  host_setup = 0;
  int balanced = sofd_pipe_summary(pipe, stop);
  if (gossip) { /* the gossip role's counters, one JSON line */
    static char gj[8192];
    sofd_gossip_stop(gossip);
    if (sofd_gossip_json(gossip, gj, sizeof gj) > 0) fprintf(stderr, "sofd: gossip: %s\n", gj);
  }
  ret = balanced ? 0 : 1;
  if (!balanced) fprintf(stderr, "sofd: the counters do not add up to the packets received\n");
  if (sof_plugout_lost_total()) {
    fprintf(stderr, "sofd: plugin output lost %llu lines\n", (unsigned long long)sof_plugout_lost_total());
    ret = 1;
  }
  for (unsigned g = 0; g < SOF_PCOUNTER_GROUPS_MAX; g++) { /* events plugins lost (nats: dropped + lost) */
    char const *owner;
    sof_pcounter_t const *pc;
    uint64_t const *pv;
    unsigned pn;
    uint64_t lost = sof_pcounter_lost(g);
    if (!lost || sof_pcounter_group(g, &owner, &pc, &pv, &pn)) continue;
    fprintf(stderr, "sofd: plugin %s lost %llu events\n", owner, (unsigned long long)lost);
    ret = 1;
  }
out:
  if (prom_open) sof_http_close(&prom.srv); /* stops the thread first */
  if (host_setup) sof_host_shutdown(host);
  if (pipe) {
    sofd_telemetry_unregister();
    rte_delay_ms(10);
  }
  sofd_leaders_ctl_stop(lctl); /* before the pipe it reads goes */
  sofd_gossip_delete(gossip);
  sofd_pipe_delete(pipe);
  sof_host_delete(host);
  sofd_leaders_ctl_delete(lctl);
  sof_leaders_delete(leaders);
  rte_eal_cleanup();
  return ret;
}
