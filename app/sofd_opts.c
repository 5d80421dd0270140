/* sofd_opts.c: see sofd_opts.h. */
#include "sofd_opts.h"
#include "net/sof_arp.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "../drivers/sof_preload.h"
#include "state/sof_race.h"
#include "util/sof_ini.h"
#include "wire/sof_base58.h"
#include "provider/sof_provider_ws.h"
#include "util/sof_num.h"

/* The key table. Every key is "[section] key" in the INI file and the flag
 * --<section>-<key> ('_' and '.' become '-'); alias is a shorter flag name
 * (may be NULL). def is the default (NULL: unset). */
typedef struct {
  char const *section;
  char const *key;
  char const *alias;
  char const *arg;
  char const *def;
  char const *help;
} sofd_key_t;

#define RING_KEYS(name, val, str, size, block)                                                \
  {"ring." str, "size", NULL, "N", #size, "ring entries (power of two)"},                     \
  {"ring." str, "on_full", NULL, "drop|block", block ? "block" : "drop",                      \
   "when full: drop the new entry (counted) or hold it and stop taking input"},               \
  {"ring." str, "mode", NULL, "auto|sp_sc|mp_sc|sp_mc|mp_mc", "auto",                         \
   "producer/consumer mode (auto: from the roles' instance counts)"},

static sofd_key_t const keys[] = {
  {"input", "driver", "driver", "ethdev|udp|preload|provider", "ethdev", "ethdev: a DPDK port (any PMD); udp: kernel UDP sockets; preload: [input] preload read into mbufs before start, served by a net_ring port (benchmarks); provider: no shreds, transactions and slots from a Yellowstone gRPC [provider] (docs/provider.md)"},
  /* provider ingress (issue #22, app/sofd_provider.h) */
  {"provider", "url", NULL, "URL", NULL, "provider driver (or joined mode with a shred driver): Yellowstone gRPC, http://host:port (h2c) or https://host[:port] (TLS, ALPN h2); or a websocket, ws:// or wss:// (transactionSubscribe)"},
  {"provider", "x_token", NULL, "TOKEN", NULL, "provider: the x-token header (none when unset)"},
  {"provider", "commitment", NULL, "processed|confirmed|finalized", "processed", "provider: the subscription's commitment"},
  {"provider", "vote", NULL, "any|true|false", "any", "provider: transactions filter vote (true: votes only, false: no votes)"},
  {"provider", "failed", NULL, "any|true|false", "any", "provider: transactions filter failed (true: failed only, false: successful only)"},
  {"provider", "account_include", NULL, "KEY,...", NULL, "provider: transactions filter account_include (base58 keys, at most 16)"},
  {"provider", "account_exclude", NULL, "KEY,...", NULL, "provider: transactions filter account_exclude"},
  {"provider", "account_required", NULL, "KEY,...", NULL, "provider: transactions filter account_required"},
  {"provider", "slots", NULL, "BOOL", "true", "provider: subscribe to slot updates (slot_status follows them)"},
  {"provider", "from_slot", NULL, "SLOT", NULL, "provider: first connection replays from this slot (servers with a replay store)"},
  {"provider", "resume", NULL, "BOOL", "true", "provider: a reconnect asks from_slot = the highest slot seen (else live: a counted gap)"},
  {"provider", "backoff_min_ms", NULL, "MS", "100", "provider: first reconnect delay (doubles per failed attempt)"},
  {"provider", "backoff_max_ms", NULL, "MS", "10000", "provider: reconnect delay cap"},
  {"provider", "idle_ms", NULL, "MS", "30000", "provider: reconnect when nothing arrived for this long"},
  {"provider", "ca_file", NULL, "PEM", NULL, "provider: trust these CAs instead of the system's (https://)"},
  {"provider", "tls_verify", NULL, "BOOL", "true", "provider: verify the server's certificate and name (https://)"},
  {"provider", "pool_mb", NULL, "MB", "64", "provider: transactions in flight to the plugins (2 KiB each)"},
  {"provider", "ws_subscribe", NULL, "transaction|block", "transaction", "provider, websocket: transactionSubscribe (Helius / Triton enhanced) or blockSubscribe (Agave's; every transaction of each block, the vote / failed filters do not apply, account_include at most one key)"},
  {"provider", "slot_status", NULL, "depth|provider", "depth", "provider: where slots' confirmed / finalized come from: depth (the fork tracker's [forks] depth rule) or provider (the provider's CONFIRMED / FINALIZED slot updates, from votes; needs slots = true)"},
  {"provider", "join_entries", NULL, "N", "131072", "joined mode (a shred driver with [provider] url): signatures of shred transactions awaiting the provider's outcome (8-way sets; a full set evicts its oldest, counted)"},
  {"input", "preload", "preload", "PCAP", NULL, "preload driver: the capture to load (Ethernet frames; one net_ring queue per rx instance)"},
  {"input", "preload_deal", "preload-deal", "packet|slot", "packet", "preload driver: frames to queues round robin (packet: sets arrive interleaved, as off turbine) or by slot % queues (slot: rx i feeds fec i)"},
  {"input", "preload_rate", "preload-rate", "PPS", "0", "preload driver: release the frames at PPS frames/s over all queues (each rx its share; a paced source with no CPU of its own, for latency benchmarks); 0: all at once"},
  {"input", "preload_delay_ms", "preload-delay-ms", "MS", "0", "preload driver with preload_rate: the first frame comes MS after the rx lcores start (time for clients to connect)"},
  {"input", "port_id", "port-id", "N", "0", "ethdev port to receive on"},
  {"input", "rx_desc", "rx-desc", "N", "1024", "RX descriptors per queue"},
  {"input", "mbufs", "mbufs", "N|auto", "auto", "mbufs in the packet pool (auto: what the RX rings, rings and fec bounds can hold)"},
  {"input", "burst", "burst", "N", "32", "packets per RX burst (1-512)"},
  {"input", "address", "address", "A.B.C.D/PREFIX", NULL, "ethdev driver: this host's IPv4 address on the port: ARP requests and ICMP echo requests for it are answered (one TX queue per rx instance), a gratuitous ARP is sent at start"},
  {"input", "icmp_rate", NULL, "N", "100", "with [input] address: ICMP echo replies per second at most (a token bucket, split over the rx instances; beyond: counted rx_icmp_rate_limited; 0: none)"},
  {"input", "udp_ports", "udp-port", "P[,P...]", NULL, "accept only UDP datagrams to these destination ports (default: any)"},
  {"input", "exception", "exception", "none|tap", "none", "with [input] address: none: sofd answers ARP and ICMP echo itself and drops other frames; tap: every frame that is not a shred to the address and [input] udp_ports (ARP, ICMP, TCP, other UDP) goes to the kernel through a net_tap interface with the port's MAC and address, and what the kernel sends there goes out of the port (docs/deploy.md)"},
  {"input", "exception_iface", NULL, "NAME", "sofexc0", "with [input] exception = tap: the tap's kernel interface name (sofd creates it, gives it the address, removes it at exit)"},
  {"udp", "bind", NULL, "ADDR", "0.0.0.0", "udp driver: address to bind"},
  {"udp", "listen_port", "udp-listen", "PORT", "8002", "udp driver: port to bind (one SO_REUSEPORT socket per rx instance)"},
  {"udp", "rcvbuf", NULL, "BYTES", "33554432", "udp driver: SO_RCVBUF per socket"},
  {"gossip", "entrypoint", NULL, "HOST:PORT", NULL, "join the cluster's gossip from this entrypoint (a gossip role on its own thread: shred version, the nodes as learned-leader candidates, TVU advertised; docs/gossip.md)"},
  {"gossip", "gossip_port", "gossip-port", "PORT", "8001", "gossip: local UDP port, advertised"},
  {"gossip", "bind", NULL, "ADDR", "0.0.0.0", "gossip: address the gossip socket (and ip-echo) binds; with a DPDK port and [input] exception = tap the default is [input] address: gossip rides the tap (docs/gossip.md)"},
  {"gossip", "public_ip", "public-ip", "A.B.C.D", NULL, "gossip: the address advertised (default: the one the entrypoint's ip-echo reports)"},
  {"gossip", "identity", NULL, "FILE", NULL, "gossip: ed25519 key pair (64 bytes seed || public key, or solana-keygen's JSON array); default: a new one each start"},
  {"gossip", "tvu_port", "tvu-port", "PORT", NULL, "gossip: advertised TVU (shred) port (default: [udp] listen_port with the udp driver, else the one [input] udp_ports)"},
  {"gossip", "values_max", NULL, "N", "65536", "gossip: CRDS values held besides ContactInfo (least recently updated evicted, counted)"},
  {"gossip", "nodes_max", NULL, "N", "8192", "gossip: ContactInfo records (nodes, peers) held"},
  {"gossip", "pull_interval_ms", NULL, "MS", "1000", "gossip: a pull round (8 bloom-filter requests) every MS"},
  {"gossip", "push_interval_ms", NULL, "MS", "7500", "gossip: our ContactInfo pushed every MS"},
  {"gossip", "value_timeout_ms", NULL, "MS", "60000", "gossip: records not refreshed for MS are purged (a node leaves)"},
  {"gossip", "settle_ms", NULL, "MS", "2000", "gossip: at start, the node set unchanged this long counts as joined"},
  {"gossip", "join_timeout_ms", NULL, "MS", "30000", "gossip: at start, wait at most MS: without a shred version or any node sofd exits 2, else it goes on with the nodes known"},
  {"gossip", "leave_grace_ms", NULL, "MS", "300000", "gossip: a node that left gossip stays a learned-leader candidate this long (it may still lead slots)"},
  {"gossip", "votes_queue", NULL, "N", "1024", "gossip: votes queued for the gossip_vote hook (rounded up to a power of two; full: dropped, counted)"},
  {"verify", "leader", "leader", "PUBKEY", NULL, "base58 leader key for every slot"},
  {"verify", "leader_schedule", "leader-schedule", "FILE[@SLOT][,...]", NULL, "getLeaderSchedule JSON ({\"<pubkey>\": [offsets]}), one file per epoch, each at its first slot (no @: epoch_first_slot); re-read on SIGHUP and when changed on disk"},
  {"verify", "epoch_first_slot", "epoch-first-slot", "N", "0", "first slot of a schedule file given without @SLOT"},
  {"verify", "rpc_url", "rpc", "URL", NULL, "Solana JSON-RPC endpoint: the current, next and previous epochs' leader schedules (getEpochSchedule, getEpochInfo, getLeaderSchedule), fetched ahead, retried with backoff"},
  {"verify", "leader_list", "leader-list", "FILE", NULL, "text lines \"<slot> <pubkey>\""},
  {"verify", "posture", "posture", "NAME", "public_untrusted", "public_untrusted (verify) or trusted_raw_shred_provider (skip)"},
  {"verify", "shreds", NULL, "auto|on|off", "auto", "verify received shreds (auto: the posture's default)"},
  {"verify", "recovered", NULL, "auto|on|off", "auto", "verify rebuilt shreds (auto: the posture's default)"},
  {"verify", "accept_unknown_leader", "accept-unknown-leader", "BOOL", "false", "accept slots without a known leader (counted)"},
  {"verify", "learn_leaders", "learn-leaders", "BOOL", "false", "learned leaders: a slot no schedule names is verified against [verify] leader_candidates (its leader is then remembered)"},
  {"verify", "leader_candidates", "leader-candidates", "FILE", NULL, "learned leaders: one base58 identity a line (# comments)"},
  {"verify", "learn_tries_per_slot", NULL, "N", "256", "learned leaders: ed25519 tries per slot before it is given up"},
  {"verify", "shred_version", "shred-version", "N|auto", NULL, "shreds must carry this version (auto: the most common among the cluster's nodes, getClusterNodes over [verify] rpc_url, at start)"},
  {"verify", "cache_sets", NULL, "N", "1024", "FEC sets whose signature check is remembered (per rx instance)"},
  {"verify", "warm_lines", NULL, "N", "32", "signature table cache lines an idle rx poll reads to keep them warm (0: off)"},
  {"verify", "epoch_keep_slots", "epoch-keep-slots", "SLOTS", "1024", "an epoch's schedule is dropped once the tip is this many slots past its last slot"},
  {"verify", "prepare_ahead", NULL, "SLOTS", "8", "idle rx polls prepare the keys of leaders due within this many slots, in steps (0: off)"},
  {"verify", "set_fail_budget", NULL, "N", "4", "failed signature checks per FEC set not yet verified before its shreds are mostly turned away (over_budget)"},
  {"verify", "source_fail_budget", NULL, "N", "32", "failed signature checks per source address (per 4096 checks) before its shreds are mostly turned away"},
  {"verify", "conflict_budget", NULL, "N", "2", "signature checks of other roots per verified FEC set (equivocation detection)"},
  {"verify", "over_budget_try_every", NULL, "N", "8", "past a budget, one shred in N is still checked"},
  {"window", "behind", NULL, "SLOTS", "256", "admit slots at most this far below the tip (the median slot of recent accepted shreds; 0: no bound)"},
  {"window", "ahead", NULL, "SLOTS", "16", "admit slots at most this far above the tip; the FEC and reassembly tables keep room for them (1-1024)"},
  {"window", "quorum", NULL, "N", "16", "accepted shreds before the window applies (1-64)"},
  {"window", "probe_every", NULL, "N", "8", "one shred in N outside the window is verified to let the tip follow the chain (0: never)"},
  {"window", "protect_behind", NULL, "SLOTS", "4", "slots below the tip whose FEC sets and reassembly are kept before any others"},
  {"dedupe", "enabled", NULL, "BOOL", "true", "drop duplicate shreds at ingress; count conflicting ones"},
  {"dedupe", "capacity", NULL, "N", "262144", "shred keys remembered (power of two)"},
  {"dedupe", "ttl_ms", NULL, "MS", "10000", "a key is forgotten after this long"},
  {"dedupe", "slot_window", NULL, "N", "512", "keys this many slots below the newest are forgotten"},
  {"race", "enabled", NULL, "BOOL", "true", "feed race analytics: per source (and leader) shreds received, first arrivals, FEC sets completed first, lead/lag percentiles (/sof/sources, Prometheus sof_race_*, the race plugin); sources named in [source.NAME] addr = A.B.C.D[:PORT] or --source NAME=ADDR"},
  {"race", "sources", NULL, "N", "16", "source rows per table, named sources included (1-1024; more sources: the row 'other', counted)"},
  {"race", "leaders", NULL, "N", "32", "leader rows per table (0-4096; more leaders: the row 'other', counted)"},
  {"fec", "set_records", NULL, "N", "4096", "FEC sets remembered per fec instance"},
  {"fec", "set_buffers", NULL, "N", "128", "FEC sets holding shards (by mbuf reference) at once per fec instance"},
  {"fec", "slots", NULL, "N", "32", "slots reassembled at once per fec instance"},
  {"fec", "chunks", NULL, "N", "8192", "data shreds held (by mbuf reference) for reassembly per fec instance"},
  {"fec", "arena_mb", NULL, "MIB", "64", "datasets in flight to extract/dispatch per fec instance"},
  {"forks", "window", NULL, "N", "2048", "slots tracked (power of two)"},
  {"forks", "confirmed_depth", NULL, "N", "32", "links from the tip to the confirmed slot"},
  {"forks", "finalized_depth", NULL, "N", "150", "links from the tip to the finalized slot"},
  {"host", "general_depth", NULL, "N", "4096", "plugin lane depth: non-transaction events"},
  {"host", "inline_depth", NULL, "N", "1024", "plugin lane depth: inline-critical transactions"},
  {"host", "critical_depth", NULL, "N", "4096", "plugin lane depth: critical transactions"},
  {"host", "background_depth", NULL, "N", "16384", "plugin lane depth: background transactions"},
  {"host", "commit_wait_max", NULL, "N", "65536", "transactions waiting for confirmed/finalized"},
  {"host", "hold_waiting", NULL, "BOOL", "false", "waiting transactions reference their dataset block instead of a copy (size [fec] arena_mb for the confirmation lag)"},
  {"host", "batch_slots", NULL, "N", "64", "transaction_batch copies in flight"},
  {"host", "batch_kb", NULL, "KIB", "256", "largest dataset copied for transaction_batch"},
  {"run", "idle_exit_ms", "idle-exit-ms", "MS", "0", "exit once no packet arrived for MS (replays; 0: never)"},
  {"run", "stats_interval_ms", "stats-interval-ms", "MS", "0", "one-line stats on stderr every MS (0: off)"},
  {"run", "drain_timeout_ms", NULL, "MS", "5000", "at exit, wait at most MS for rings and plugin lanes to drain"},
  {"run", "prometheus", "prometheus", "HOST:PORT", NULL, "serve Prometheus text metrics on /metrics"},
  {"prometheus", "clients_max", NULL, "N", "256", "metrics endpoint: connections at once (a newcomer evicts the one waiting longest for its request)"},
  {"prometheus", "request_timeout_ms", NULL, "MS", "5000", "metrics endpoint: a request must be complete this long after the connection was accepted (else 408)"},
  {"run", "telemetry", NULL, "BOOL", "true", "register /sof/ rte_telemetry commands"},
  {"run", "pdump", "pdump", "BOOL", "false", "rte_pdump_init after EAL init, so dpdk-dumpcap (a secondary process) can capture the port; needs the EAL's shared config (no --no-shconf) and a known --file-prefix"},
  {"run", "mlock", "mlock", "BOOL", "false", "lock and fault in all memory before RX starts (no page faults on the data path)"},
  {"run", "plugins", "plugins", "P[,P...]", "txlog", "compiled-in plugins to run (registration keeps the build order); all, or none"},
  {"topology", "rx", NULL, "LCORES", NULL, "lcores of rx instances (one RX queue / socket each; default: main lcore)"},
  {"topology", "fec", NULL, "LCORES", NULL, "lcores of fec instances (shards by slot; default: main lcore)"},
  {"topology", "extract", NULL, "LCORE", NULL, "lcore of the extract role (default: last lcore)"},
  {"topology", "dispatch", NULL, "LCORE", NULL, "lcore of the dispatch role (default: last lcore)"},
  {"topology", "plugins", NULL, "LCORES", NULL, "lcores of plugin lane workers (default: last lcore)"},
  SOFD_RING_LIST(RING_KEYS)
};
#define KEY_CNT (sizeof keys / sizeof keys[0])

static char const *val[KEY_CNT];      /* effective raw values */
static char const *origin[KEY_CNT];   /* "default", "config", "flag" */
static char const *origin_file[KEY_CNT]; /* "config": the file (argv) and line */
static unsigned    origin_line[KEY_CNT];
static char        flag_name[KEY_CNT][64];
static char const *plugin_key[SOFD_PLUGIN_OPTS_MAX];
static char const *plugin_val[SOFD_PLUGIN_OPTS_MAX];
static unsigned    plugin_cnt;
static char const *source_name[SOFD_SOURCES_MAX]; /* [source.NAME] addr / --source NAME=ADDR */
static char const *source_addr[SOFD_SOURCES_MAX];
static char const *source_from[SOFD_SOURCES_MAX];
static unsigned    source_cnt;
static int         print_config;
/* Strings copied out of the config file: kept until sofd_opts_free (a flag
 * may replace a value: its copy stays listed here). */
static char       *owned[2 * (KEY_CNT + SOFD_PLUGIN_OPTS_MAX)];
static unsigned    owned_cnt;
/* The config files read (their values point into them), until sofd_opts_free. */
#define SOFD_CONFIGS_MAX 16U
static sof_ini_t  *configs[SOFD_CONFIGS_MAX];
static unsigned    config_cnt;

static char *
own(char *str) {
  if (str && owned_cnt < sizeof owned / sizeof owned[0]) {
    owned[owned_cnt++] = str;
    return str;
  }
  free(str);
  return NULL;
}

void
sofd_opts_free(void) {
  for (unsigned i = 0; i < owned_cnt; i++) free(owned[i]);
  owned_cnt = 0;
  for (unsigned i = 0; i < config_cnt; i++) sof_ini_delete(configs[i]);
  config_cnt = 0;
}

char const *
sofd_role_str(int role) {
  switch (role) {
#define SOFD_ROLE_STR_(name, v, str) case v: return str;
  SOFD_ROLE_LIST(SOFD_ROLE_STR_)
#undef SOFD_ROLE_STR_
  default: return "unknown";
  }
}

char const *
sofd_ring_str(int ring) {
  switch (ring) {
#define SOFD_RING_STR_(name, v, str, size, block) case v: return str;
  SOFD_RING_LIST(SOFD_RING_STR_)
#undef SOFD_RING_STR_
  default: return "unknown";
  }
}

static void
make_flag_names(void) {
  for (size_t i = 0; i < KEY_CNT; i++) {
    snprintf(flag_name[i], sizeof flag_name[i], "%s-%s", keys[i].section, keys[i].key);
    for (char *c = flag_name[i]; *c; c++)
      if (*c == '_' || *c == '.') *c = '-';
  }
  /* every flag and alias names one key: a clash is a bug in the table */
  for (size_t i = 0; i < KEY_CNT; i++)
    for (size_t k = 0; k < KEY_CNT; k++) {
      if (keys[k].alias && (!strcmp(flag_name[i], keys[k].alias) ||
                            (k != i && keys[i].alias && !strcmp(keys[i].alias, keys[k].alias)))) {
        fprintf(stderr, "sofd: internal error: flag --%s names two keys\n", keys[k].alias);
        abort();
      }
    }
}

static int
key_find(char const *section, char const *key) {
  for (size_t i = 0; i < KEY_CNT; i++)
    if (!strcmp(keys[i].section, section) && !strcmp(keys[i].key, key)) return (int)i;
  return -1;
}

/* "name" of a key for messages: [section] key (--flag) */
static char const *
key_name(size_t i) {
  static char buf[160];
  snprintf(buf, sizeof buf, "[%s] %s (--%s)", keys[i].section, keys[i].key,
           keys[i].alias ? keys[i].alias : flag_name[i]);
  return buf;
}

/* Where key i's value came from, for messages: "from FILE:LINE", "from the
 * command line" or "the default". */
static char const *
key_from(size_t i) {
  static char buf[4200];
  if (!strcmp(origin[i], "config"))
    snprintf(buf, sizeof buf, "from %s:%u", origin_file[i], origin_line[i]);
  else if (!strcmp(origin[i], "flag"))
    snprintf(buf, sizeof buf, "from the command line");
  else
    snprintf(buf, sizeof buf, "the default");
  return buf;
}

void
sofd_opts_usage(void) {
  make_flag_names();
  printf("usage: sofd [EAL options] -- [options]\n"
         "\n"
         "Receives shreds (a DPDK port such as --vdev net_pcap0,rx_pcap=FILE, or UDP\n"
         "sockets), verifies them, recovers FEC sets, reassembles entry batches,\n"
         "tracks forks and commitment, and hands events to the compiled-in plugins.\n"
         "\n"
         "  -c, --config FILE         INI file; every key below is [section] key = value\n"
         "      --plugin-opt P.K=V    plugin P's config key K ([plugin.P] K = V)\n"
         "      --txlog PATH          shorthand for --plugin-opt txlog.path=PATH\n"
         "      --source NAME=ADDR    a named race source ([source.NAME] addr = A.B.C.D[:PORT])\n"
         "      --print-config        print the effective configuration as INI and exit\n"
         "  -h, --help                this text\n");
  char const *sec = "";
  for (size_t i = 0; i < KEY_CNT; i++) {
    if (strcmp(sec, keys[i].section)) {
      sec = keys[i].section;
      printf("\n[%s]\n", sec);
    }
    int w = keys[i].alias ? printf("  --%s, --%s %s", keys[i].alias, flag_name[i], keys[i].arg)
                          : printf("  --%s %s", flag_name[i], keys[i].arg);
    printf("%*s %s%s%s%s\n", w < 46 ? 46 - w : 0, "", keys[i].help, keys[i].def ? " (default " : "",
           keys[i].def ? keys[i].def : "", keys[i].def ? ")" : "");
  }
  printf("\nTopology: LCORES is a comma list of EAL lcore ids; several roles may share an\n"
         "lcore. rx_fec is one ring per fec instance (shreds are sharded by slot).\n"
         "Signals: SIGINT / SIGTERM (or --idle-exit-ms) stop RX, drain the rings and\n"
         "plugin lanes (up to [run] drain_timeout_ms), shut the plugins down and print\n"
         "the summary (JSON) on stderr. SIGHUP reopens the plugins' output files\n"
         "(logrotate); nothing else is reloaded.\n"
         "systemd: with NOTIFY_SOCKET set (Type=notify) sofd sends READY=1 once the\n"
         "pipeline runs, STOPPING=1 when it stops, and WATCHDOG=1 when WatchdogSec= is set\n"
         "(config/sofd.service).\n"
         "Exit status: 0 stopped cleanly; 1 the counters did not balance or plugin output\n"
         "was lost; 2 bad options or configuration, EAL failure, or an unusable port.\n");
}

static int
add_plugin_opt(char const *k, char const *v, char const *from) {
  if (plugin_cnt == SOFD_PLUGIN_OPTS_MAX) {
    fprintf(stderr, "sofd: %s: more than %u plugin options\n", from, SOFD_PLUGIN_OPTS_MAX);
    return -1;
  }
  char const *dot = strchr(k, '.');
  if (!dot || dot == k || !dot[1]) {
    fprintf(stderr, "sofd: %s: '%s' is not PLUGIN.KEY\n", from, k);
    return -1;
  }
  /* a later value of the same key replaces the earlier one (flags after config) */
  for (unsigned i = 0; i < plugin_cnt; i++) {
    if (!strcmp(plugin_key[i], k)) {
      plugin_val[i] = v;
      return 0;
    }
  }
  plugin_key[plugin_cnt] = k;
  plugin_val[plugin_cnt] = v;
  plugin_cnt++;
  return 0;
}

/* A named race source; a later one of the same name replaces it. */
static int
add_source(char const *name, char const *addr, char const *from) {
  for (unsigned i = 0; i < source_cnt; i++)
    if (!strcmp(source_name[i], name)) {
      source_addr[i] = addr;
      source_from[i] = from;
      return 0;
    }
  if (source_cnt == SOFD_SOURCES_MAX) {
    fprintf(stderr, "sofd: %s: more than %u named sources\n", from, SOFD_SOURCES_MAX);
    return -1;
  }
  source_name[source_cnt] = name;
  source_addr[source_cnt] = addr;
  source_from[source_cnt] = from;
  source_cnt++;
  return 0;
}

static int
section_known(char const *name) {
  if (!strncmp(name, "plugin.", 7) && name[7]) return 1;
  if (!strncmp(name, "source.", 7) && name[7]) return 1;
  for (size_t i = 0; i < KEY_CNT; i++)
    if (!strcmp(keys[i].section, name)) return 1;
  return 0;
}

/* Reads one --config file (sof_ini: strict lines, no duplicates) into the
 * raw values. A key of an earlier --config file is replaced. */
static int
load_config(char const *path) {
  if (config_cnt == SOFD_CONFIGS_MAX) {
    fprintf(stderr, "sofd: --config %s: more than %u config files\n", path, SOFD_CONFIGS_MAX);
    return -1;
  }
  char err[512];
  unsigned line = 0;
  sof_ini_t *ini = sof_ini_load(path, &line, err, sizeof err);
  if (!ini) {
    if (line) fprintf(stderr, "sofd: %s:%u: %s\n", path, line, err);
    else fprintf(stderr, "sofd: --config %s: %s\n", path, err);
    return -1;
  }
  configs[config_cnt++] = ini; /* the values point into it */
  for (unsigned e = 0; e < sof_ini_entry_cnt(ini); e++) {
    sof_ini_entry_t const *ent = sof_ini_entry(ini, e);
    if (!strncmp(ent->section, "plugin.", 7) && ent->section[7]) {
      char *k = own(malloc(strlen(ent->section) - 7 + 1 + strlen(ent->key) + 1));
      if (!k) {
        fprintf(stderr, "sofd: --config %s: out of memory\n", path);
        return -1;
      }
      sprintf(k, "%s.%s", ent->section + 7, ent->key);
      char from[4200];
      snprintf(from, sizeof from, "%s:%u", path, ent->line);
      if (add_plugin_opt(k, ent->value, from)) return -1;
      continue;
    }
    if (!strncmp(ent->section, "source.", 7) && ent->section[7]) {
      char *from = own(malloc(strlen(path) + 16));
      if (!from) {
        fprintf(stderr, "sofd: --config %s: out of memory\n", path);
        return -1;
      }
      sprintf(from, "%s:%u", path, ent->line);
      if (strcmp(ent->key, "addr")) {
        fprintf(stderr, "sofd: %s: unknown key '%s' in section [%s] (a source has addr = "
                        "A.B.C.D[:PORT])\n", from, ent->key, ent->section);
        return -1;
      }
      if (add_source(ent->section + 7, ent->value, from)) return -1;
      continue;
    }
    int i = key_find(ent->section, ent->key);
    if (i < 0) {
      fprintf(stderr, "sofd: %s:%u: unknown key '%s' in section [%s] (sofd --help lists them)\n",
              path, ent->line, ent->key, ent->section);
      return -1;
    }
    val[i] = ent->value;
    origin[i] = "config";
    origin_file[i] = path;
    origin_line[i] = ent->line;
  }
  for (unsigned n = 0; n < sof_ini_section_cnt(ini); n++) {
    sof_ini_section_t const *sec = sof_ini_section(ini, n);
    if (!section_known(sec->name)) {
      fprintf(stderr, "sofd: %s:%u: unknown section [%s] (sofd --help lists them; plugins' are "
                      "[plugin.NAME], race sources' [source.NAME])\n", path, sec->line, sec->name);
      return -1;
    }
  }
  return 0;
}

int
sofd_opts_print_requested(void) {
  return print_config;
}

int
sofd_opts_parse(int argc, char **argv) {
  make_flag_names();
  for (size_t i = 0; i < KEY_CNT; i++) {
    val[i] = keys[i].def;
    origin[i] = "default";
  }
  /* long options: the fixed ones, then each key's flag and alias */
  enum { OPT_CONFIG = 1000, OPT_PLUGIN, OPT_TXLOG, OPT_PRINT, OPT_SOURCE, OPT_KEY = 2000, OPT_ALIAS = 3000 };
  static struct option lo[2 * KEY_CNT + 8];
  size_t n = 0;
  lo[n++] = (struct option){"config", required_argument, NULL, OPT_CONFIG};
  lo[n++] = (struct option){"plugin-opt", required_argument, NULL, OPT_PLUGIN};
  lo[n++] = (struct option){"txlog", required_argument, NULL, OPT_TXLOG};
  lo[n++] = (struct option){"source", required_argument, NULL, OPT_SOURCE};
  lo[n++] = (struct option){"print-config", no_argument, NULL, OPT_PRINT};
  lo[n++] = (struct option){"help", no_argument, NULL, 'h'};
  for (size_t i = 0; i < KEY_CNT; i++) {
    int boolean = !strcmp(keys[i].arg, "BOOL");
    /* a BOOL key's flag alone means true; --flag=false also works */
    lo[n++] = (struct option){flag_name[i], boolean ? optional_argument : required_argument, NULL,
                              OPT_KEY + (int)i};
    if (keys[i].alias)
      lo[n++] = (struct option){keys[i].alias, boolean ? optional_argument : required_argument,
                                NULL, OPT_ALIAS + (int)i};
  }
  lo[n] = (struct option){0, 0, 0, 0};

  /* pass 1: --config (so that flags override the file wherever they are) */
  for (int i = 1; i < argc; i++) {
    char const *path = NULL;
    if ((!strcmp(argv[i], "--config") || !strcmp(argv[i], "-c")) && i + 1 < argc) path = argv[i + 1];
    else if (!strncmp(argv[i], "--config=", 9)) path = argv[i] + 9;
    if (path && load_config(path)) return -1;
  }
  optind = 1;
  opterr = 1;
  int c;
  while ((c = getopt_long(argc, argv, "hc:", lo, NULL)) != -1) {
    if (c >= OPT_KEY) {
      size_t i = (size_t)(c >= OPT_ALIAS ? c - OPT_ALIAS : c - OPT_KEY);
      val[i] = optarg ? optarg : "true";
      origin[i] = "flag";
      continue;
    }
    switch (c) {
    case 'c': case OPT_CONFIG: break; /* pass 1 */
    case OPT_PLUGIN: {
      char *eq = strchr(optarg, '=');
      if (!eq) {
        fprintf(stderr, "sofd: --plugin-opt '%s' is not PLUGIN.KEY=VALUE\n", optarg);
        return -1;
      }
      *eq = 0;
      if (add_plugin_opt(optarg, eq + 1, "--plugin-opt")) return -1;
      break;
    }
    case OPT_TXLOG:
      if (add_plugin_opt("txlog.path", optarg, "--txlog")) return -1;
      break;
    case OPT_SOURCE: {
      char *eq = strchr(optarg, '=');
      if (!eq) {
        fprintf(stderr, "sofd: --source '%s' is not NAME=A.B.C.D[:PORT]\n", optarg);
        return -1;
      }
      *eq = 0;
      if (add_source(optarg, eq + 1, "--source")) return -1;
      break;
    }
    case OPT_PRINT: print_config = 1; break;
    case 'h': sofd_opts_usage(); return 1;
    default:
      fprintf(stderr, "sofd: try 'sofd --help'\n");
      return -1;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "sofd: unexpected argument '%s' (app options go after '--')\n", argv[optind]);
    return -1;
  }
  return 0;
}

void
sofd_opts_dump(void) {
  char const *sec = "";
  for (size_t i = 0; i < KEY_CNT; i++) {
    if (strcmp(sec, keys[i].section)) {
      sec = keys[i].section;
      printf("%s[%s]\n", i ? "\n" : "", sec);
    }
    if (val[i]) printf("%s = %s    ; %s\n", keys[i].key, val[i], origin[i]);
    else printf("; %s (unset)\n", keys[i].key);
  }
  char const *psec = NULL;
  for (unsigned i = 0; i < plugin_cnt; i++) {
    char const *dot = strchr(plugin_key[i], '.');
    int len = (int)(dot - plugin_key[i]);
    if (!psec || strncmp(psec, plugin_key[i], (size_t)len + 1)) {
      printf("\n[plugin.%.*s]\n", len, plugin_key[i]);
      psec = plugin_key[i];
    }
    printf("%s = %s\n", dot + 1, plugin_val[i]);
  }
  for (unsigned i = 0; i < source_cnt; i++) printf("\n[source.%s]\naddr = %s\n", source_name[i], source_addr[i]);
}

/* ---- conversion ------------------------------------------------------------------ */

static int
get_u64(char const *section, char const *key, uint64_t lo, uint64_t hi, uint64_t *out) {
  int i = key_find(section, key);
  char const *s = val[i];
  if (!s) return 1; /* unset */
  uint64_t v;
  sof_num_rc_t rc = sof_num_u64(s, strlen(s), lo, hi, &v);
  if (rc != SOF_NUM_OK) {
    char why[256];
    sof_num_describe(rc, s, strlen(s), lo, hi, why, sizeof why);
    fprintf(stderr, "sofd: %s: %s (%s)\n", key_name((size_t)i), why, key_from((size_t)i));
    return -1;
  }
  *out = v;
  return 0;
}

#define GET_U(sec, key, lo, hi, dst)                                   \
  do {                                                                 \
    uint64_t v_;                                                       \
    int r_ = get_u64(sec, key, lo, hi, &v_);                           \
    if (r_ < 0) return -1;                                             \
    if (r_ == 0) (dst) = (__typeof__(dst))v_;                          \
  } while (0)

static int
get_bool(char const *section, char const *key, int *out) {
  int i = key_find(section, key);
  char const *s = val[i];
  if (!s) return 0;
  if (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "yes") || !strcmp(s, "on")) *out = 1;
  else if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "no") || !strcmp(s, "off")) *out = 0;
  else {
    fprintf(stderr, "sofd: %s: '%s' is not true or false (from %s)\n", key_name((size_t)i), s,
            origin[i]);
    return -1;
  }
  return 0;
}

static char const *
get_str(char const *section, char const *key) {
  return val[key_find(section, key)];
}

static int
get_switch(char const *section, char const *key, int *out) {
  int i = key_find(section, key);
  char const *s = val[i];
  if (!strcmp(s, "auto")) *out = -1;
  else if (!strcmp(s, "on")) *out = 1;
  else if (!strcmp(s, "off")) *out = 0;
  else {
    fprintf(stderr, "sofd: %s: '%s' is not auto, on or off\n", key_name((size_t)i), s);
    return -1;
  }
  return 0;
}

/* Was key [section] key given (config file or flag), not left at its default? */
static int
key_set(char const *section, char const *key) {
  return strcmp(origin[key_find(section, key)], "default") != 0;
}

static char const *const driver_names[] = {"ethdev", "udp", "preload", "provider"};

/* Keys that only one input driver reads: given with another driver, they
 * would be ignored, so they are refused. */
static int
reject_unused(sofd_cfg_t const *cfg) {
  static struct {
    char const *section, *key;
    unsigned    drivers; /* 1 << SOFD_DRIVER_* that read it */
  } const only[] = {
    {"input", "port_id",      1U << SOFD_DRIVER_ETHDEV},
    {"input", "rx_desc",      1U << SOFD_DRIVER_ETHDEV | 1U << SOFD_DRIVER_PRELOAD},
    {"input", "preload_deal", 1U << SOFD_DRIVER_PRELOAD},
    {"input", "preload_rate", 1U << SOFD_DRIVER_PRELOAD},
    {"input", "preload_delay_ms", 1U << SOFD_DRIVER_PRELOAD},
    {"input", "address",      1U << SOFD_DRIVER_ETHDEV},
    {"input", "icmp_rate",    1U << SOFD_DRIVER_ETHDEV},
    {"input", "exception",    1U << SOFD_DRIVER_ETHDEV},
    {"input", "exception_iface", 1U << SOFD_DRIVER_ETHDEV},
    {"udp",   "bind",         1U << SOFD_DRIVER_UDP},
    {"udp",   "listen_port",  1U << SOFD_DRIVER_UDP},
    {"udp",   "rcvbuf",       1U << SOFD_DRIVER_UDP},
  };
  size_t di = (size_t)key_find("input", "driver");
  for (size_t k = 0; k < sizeof only / sizeof only[0]; k++) {
    if ((only[k].drivers >> cfg->driver) & 1U || !key_set(only[k].section, only[k].key)) continue;
    size_t i = (size_t)key_find(only[k].section, only[k].key);
    char users[64] = "";
    for (int d = 0; d < 3; d++)
      if ((only[k].drivers >> d) & 1U)
        snprintf(users + strlen(users), sizeof users - strlen(users), "%s%s", users[0] ? " or " : "",
                 driver_names[d]);
    char drv_from[4200];
    snprintf(drv_from, sizeof drv_from, "%s", key_from(di));
    fprintf(stderr, "sofd: %s (%s) is read only by the %s driver, but [input] driver is %s (%s): it "
                    "would be ignored; remove it or change the driver\n",
            key_name(i), key_from(i), users, driver_names[cfg->driver], drv_from);
    return -1;
  }
  return 0;
}

int
sofd_opts_check_ports(sofd_cfg_t const *cfg) {
  if (cfg->driver == SOFD_DRIVER_ETHDEV) return 0;
  uint16_t n = rte_eth_dev_count_avail();
  if (!n) return 0;
  char names[256] = "";
  uint16_t pid;
  RTE_ETH_FOREACH_DEV(pid) {
    char name[RTE_ETH_NAME_MAX_LEN];
    if (rte_eth_dev_get_name_by_port(pid, name)) snprintf(name, sizeof name, "port %u", pid);
    size_t l = strlen(names);
    if (l + strlen(name) + 3 < sizeof names)
      snprintf(names + l, sizeof names - l, "%s%s", l ? ", " : "", name);
  }
  size_t di = (size_t)key_find("input", "driver");
  fprintf(stderr, "sofd: [input] driver = %s (%s) %s, but the EAL probed %u ethdev port%s (%s) from "
                  "its device options: %s would be ignored; remove --vdev / -a / --allow (and pass "
                  "--no-pci) or use --driver ethdev\n",
          driver_names[cfg->driver], key_from(di),
          cfg->driver == SOFD_DRIVER_UDP ? "receives on kernel UDP sockets"
          : cfg->driver == SOFD_DRIVER_PROVIDER ? "takes transactions from a Yellowstone gRPC provider"
                                         : "serves the capture through a net_ring port of its own",
          n, n == 1 ? "" : "s", names, n == 1 ? "it" : "they");
  return -1;
}

static int
is_pow2(uint64_t v) {
  return v && !(v & (v - 1));
}

/* [topology] role's value as lcore ids (syntax and range only): the count,
 * 0 when unset, -1 with a message. */
static long
lcore_list(int role, uint64_t v[SOFD_INSTANCES_MAX]) {
  int i = key_find("topology", sofd_role_str(role));
  char const *s = val[i];
  if (!s) return 0;
  char why[320];
  long n = sof_num_list(s, 0, RTE_MAX_LCORE - 1, v, SOFD_INSTANCES_MAX, why, sizeof why);
  if (n < 0)
    fprintf(stderr, "sofd: %s: '%s' is not a list of at most %u lcore ids: %s (%s)\n",
            key_name((size_t)i), s, SOFD_INSTANCES_MAX, why, key_from((size_t)i));
  return n;
}

/* "0,1" -> lcore ids; each must be an enabled EAL lcore. */
static int
get_lcores(int role, unsigned *ids, unsigned *cnt) {
  int i = key_find("topology", sofd_role_str(role));
  *cnt = 0;
  uint64_t v[SOFD_INSTANCES_MAX];
  long n = lcore_list(role, v);
  if (n < 0) return -1;
  if (n == 0) return 1;
  for (long k = 0; k < n; k++) {
    if (!rte_lcore_is_enabled((unsigned)v[k])) {
      fprintf(stderr, "sofd: %s: lcore %" PRIu64 " is not enabled in EAL (-l / --lcores)\n",
              key_name((size_t)i), v[k]);
      return -1;
    }
    ids[(*cnt)++] = (unsigned)v[k];
  }
  return 0;
}

static int
resolve_topology(sofd_cfg_t *cfg) {
  unsigned main_lcore = rte_get_main_lcore(), last = main_lcore, id;
  RTE_LCORE_FOREACH(id) last = id;
  for (int r = 0; r < SOFD_ROLE_CNT; r++) {
    int rc = get_lcores(r, cfg->role_lcores[r], &cfg->role_cnt[r]);
    if (rc < 0) return -1;
    if (rc == 1) {
      cfg->role_cnt[r] = 1;
      cfg->role_lcores[r][0] = r == SOFD_ROLE_RX || r == SOFD_ROLE_FEC ? main_lcore : last;
    }
  }
  if (cfg->role_cnt[SOFD_ROLE_EXTRACT] != 1 || cfg->role_cnt[SOFD_ROLE_DISPATCH] != 1) {
    fprintf(stderr, "sofd: [topology] extract and dispatch run as one instance each "
                    "(give one lcore)\n");
    return -1;
  }
  /* rings: sizes, policies, modes against the roles' instance counts */
  static int const producer[SOFD_RING_CNT] = {SOFD_ROLE_RX, SOFD_ROLE_FEC, SOFD_ROLE_EXTRACT, SOFD_ROLE_RX};
  static int const consumer[SOFD_RING_CNT] = {SOFD_ROLE_FEC, SOFD_ROLE_EXTRACT, SOFD_ROLE_DISPATCH, SOFD_ROLE_DISPATCH};
  for (int g = 0; g < SOFD_RING_CNT; g++) {
    char sec[64];
    snprintf(sec, sizeof sec, "ring.%s", sofd_ring_str(g));
    uint64_t size = 0;
    if (get_u64(sec, "size", 2, 1U << 24, &size) < 0) return -1;
    if (!is_pow2(size)) {
      fprintf(stderr, "sofd: %s: %" PRIu64 " is not a power of two\n",
              key_name((size_t)key_find(sec, "size")), size);
      return -1;
    }
    cfg->ring[g].size = (uint32_t)size;
    char const *of = get_str(sec, "on_full");
    if (!strcmp(of, "drop")) cfg->ring[g].block = 0;
    else if (!strcmp(of, "block")) cfg->ring[g].block = 1;
    else {
      fprintf(stderr, "sofd: %s: '%s' is not drop or block\n",
              key_name((size_t)key_find(sec, "on_full")), of);
      return -1;
    }
    if (g == SOFD_RING_RX_FEC && cfg->ring[g].block) {
      fprintf(stderr, "sofd: [ring.rx_fec] on_full = block: the rx role never holds packets "
                      "(the NIC would drop them unseen); use drop\n");
      return -1;
    }
    if (g == SOFD_RING_EXTRACT_DISPATCH && !cfg->ring[g].block) {
      fprintf(stderr, "sofd: [ring.extract_dispatch] on_full = drop: datasets are freed in order "
                      "by dispatch, none may be dropped after extract; use block (drops happen "
                      "upstream, at rx_fec / fec_extract)\n");
      return -1;
    }
    if (g == SOFD_RING_EVENTS && cfg->ring[g].block) {
      fprintf(stderr, "sofd: [ring.events] on_full = block: plugin events never stall the "
                      "rx role; use drop\n");
      return -1;
    }
    static char const *const modes[] = {"auto", "sp_sc", "mp_sc", "sp_mc", "mp_mc"};
    char const *m = get_str(sec, "mode");
    int mode = -1;
    for (int k = 0; k < 5; k++)
      if (!strcmp(m, modes[k])) mode = k;
    if (mode < 0) {
      fprintf(stderr, "sofd: %s: '%s' is not auto, sp_sc, mp_sc, sp_mc or mp_mc\n",
              key_name((size_t)key_find(sec, "mode")), m);
      return -1;
    }
    unsigned np = cfg->role_cnt[producer[g]], nc = g == SOFD_RING_RX_FEC ? 1 : cfg->role_cnt[consumer[g]];
    if (mode != SOFD_RING_MODE_AUTO) {
      int sp = mode == SOFD_RING_MODE_SP_SC || mode == SOFD_RING_MODE_SP_MC;
      int sc = mode == SOFD_RING_MODE_SP_SC || mode == SOFD_RING_MODE_MP_SC;
      if ((sp && np > 1) || (sc && nc > 1)) {
        fprintf(stderr, "sofd: [%s] mode = %s, but %u %s instance(s) produce and %u %s "
                        "instance(s) consume\n", sec, m, np, sofd_role_str(producer[g]), nc,
                sofd_role_str(consumer[g]));
        return -1;
      }
    } else {
      mode = np > 1 ? (nc > 1 ? SOFD_RING_MODE_MP_MC : SOFD_RING_MODE_MP_SC)
                    : (nc > 1 ? SOFD_RING_MODE_SP_MC : SOFD_RING_MODE_SP_SC);
    }
    cfg->ring[g].mode = mode;
  }
  return 0;
}

/* A comma list of base58 keys into a NULL-ended list (the strings are
 * copied once, they live until exit). */
static int
provider_keys(char const *key, char const **out) {
  char const *s = get_str("provider", key);
  if (!s) return 0;
  size_t ki = (size_t)key_find("provider", key);
  char *dup = strdup(s), *save = NULL;
  unsigned n = 0;
  if (!dup) return -1;
  for (char *t = strtok_r(dup, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
    uint8_t k[32];
    if (sof_base58_decode_32(t, strlen(t), k)) {
      fprintf(stderr, "sofd: %s: '%s' is not a base58 public key (%s)\n", key_name(ki), t, key_from(ki));
      return -1;
    }
    if (n == SOF_PGRPC_FILTER_MAX) {
      fprintf(stderr, "sofd: %s: at most %u keys (%s)\n", key_name(ki), SOF_PGRPC_FILTER_MAX, key_from(ki));
      return -1;
    }
    out[n++] = t;
  }
  return 0;
}

static int
provider_tri(char const *key, int *out) {
  char const *s = get_str("provider", key);
  if (!strcmp(s, "any")) *out = -1;
  else if (!strcmp(s, "true")) *out = 1;
  else if (!strcmp(s, "false")) *out = 0;
  else {
    fprintf(stderr, "sofd: %s: '%s' is not any, true or false\n", key_name((size_t)key_find("provider", key)), s);
    return -1;
  }
  return 0;
}

/* [provider]: the provider driver, or joined mode (another driver and a
 * url: shreds publish, the provider's outcomes are joined to them). */
static int
resolve_provider(sofd_cfg_t *cfg) {
  static char const *const pkeys[] = {"x_token", "commitment", "vote", "failed", "account_include",
    "account_exclude", "account_required", "slots", "from_slot", "resume", "backoff_min_ms",
    "backoff_max_ms", "idle_ms", "ca_file", "tls_verify", "pool_mb", "join_entries", "slot_status", "ws_subscribe", NULL};
  if (cfg->driver != SOFD_DRIVER_PROVIDER && !get_str("provider", "url")) {
    for (int k = 0; pkeys[k]; k++)
      if (key_set("provider", pkeys[k])) {
        size_t ki = (size_t)key_find("provider", pkeys[k]);
        fprintf(stderr, "sofd: %s (%s) is read only with a provider: --driver provider, or [provider] "
                        "url (--provider-url) for joined mode\n", key_name(ki), key_from(ki));
        return -1;
      }
    return 0;
  }
  cfg->provider_on = 1;
  sof_pgrpc_cfg_t *pc = &cfg->provider;
  sof_pgrpc_cfg_default(pc);
  pc->url = get_str("provider", "url");
  if (!pc->url) {
    fprintf(stderr, "sofd: the provider driver needs [provider] url (--provider-url)\n");
    return -1;
  }
  pc->x_token = get_str("provider", "x_token");
  pc->ca_file = get_str("provider", "ca_file");
  char const *cm = get_str("provider", "commitment");
  if (!strcmp(cm, "processed")) pc->commitment = 0;
  else if (!strcmp(cm, "confirmed")) pc->commitment = 1;
  else if (!strcmp(cm, "finalized")) pc->commitment = 2;
  else {
    fprintf(stderr, "sofd: %s: '%s' is not processed, confirmed or finalized\n",
            key_name((size_t)key_find("provider", "commitment")), cm);
    return -1;
  }
  if (provider_tri("vote", &pc->vote) || provider_tri("failed", &pc->failed) ||
      provider_keys("account_include", pc->account_include) ||
      provider_keys("account_exclude", pc->account_exclude) ||
      provider_keys("account_required", pc->account_required) ||
      get_bool("provider", "slots", &pc->slots) || get_bool("provider", "resume", &pc->resume) ||
      get_bool("provider", "tls_verify", &pc->tls_verify))
    return -1;
  GET_U("provider", "from_slot", 0, UINT64_MAX - 1, pc->from_slot);
  GET_U("provider", "backoff_min_ms", 1, 3600000, pc->backoff_min_ms);
  GET_U("provider", "backoff_max_ms", 1, 3600000, pc->backoff_max_ms);
  GET_U("provider", "idle_ms", 100, 3600000, pc->idle_ms);
  if (pc->backoff_max_ms < pc->backoff_min_ms) {
    fprintf(stderr, "sofd: [provider] backoff_max_ms is below backoff_min_ms\n");
    return -1;
  }
  uint64_t mb = 64;
  GET_U("provider", "pool_mb", 1, 65536, mb);
  cfg->provider_pool_bytes = mb << 20;
  uint64_t je = 131072;
  GET_U("provider", "join_entries", 8, 1U << 26, je);
  if (je & (je - 1) || je < 8) {
    fprintf(stderr, "sofd: [provider] join_entries: a power of two, at least 8\n");
    return -1;
  }
  cfg->provider_join_entries = je;
  char const *ss = get_str("provider", "slot_status");
  if (ss && strcmp(ss, "depth") && strcmp(ss, "provider")) {
    fprintf(stderr, "sofd: %s: '%s' is not depth or provider\n", key_name((size_t)key_find("provider", "slot_status")), ss);
    return -1;
  }
  cfg->provider_slot_status = ss && !strcmp(ss, "provider");
  int is_ws = !strncmp(pc->url, "ws://", 5) || !strncmp(pc->url, "wss://", 6);
  if (cfg->provider_slot_status && is_ws) {
    fprintf(stderr, "sofd: [provider] slot_status = provider needs a Yellowstone gRPC url: websocket slot "
                    "notifications carry no confirmed / finalized status\n");
    return -1;
  }
  char const *wsub = get_str("provider", "ws_subscribe");
  if (wsub && strcmp(wsub, "transaction") && strcmp(wsub, "block")) {
    fprintf(stderr, "sofd: %s: '%s' is not transaction or block\n", key_name((size_t)key_find("provider", "ws_subscribe")), wsub);
    return -1;
  }
  pc->ws_blocks = wsub && !strcmp(wsub, "block");
  if (pc->ws_blocks && !is_ws) {
    fprintf(stderr, "sofd: [provider] ws_subscribe = block needs a ws:// or wss:// url\n");
    return -1;
  }
  if (cfg->provider_slot_status && !pc->slots) {
    fprintf(stderr, "sofd: [provider] slot_status = provider needs [provider] slots = true\n");
    return -1;
  }
  char err[256];
  int ws = !strncmp(pc->url, "ws://", 5) || !strncmp(pc->url, "wss://", 6);
  sof_pgrpc_t *probe = ws ? NULL : sof_pgrpc_new(pc, NULL, NULL, err, sizeof err); /* validates the url */
  sof_pws_t *wprobe = ws ? sof_pws_new(pc, NULL, NULL, err, sizeof err) : NULL;
  if (!probe && !wprobe) {
    fprintf(stderr, "sofd: [provider] (--provider-*): %s\n", err);
    return -1;
  }
  sof_pgrpc_delete(probe);
  sof_pws_delete(wprobe);
  return 0;
}

int
sofd_opts_resolve(sofd_cfg_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  char const *drv = get_str("input", "driver");
  if (!strcmp(drv, "ethdev")) cfg->driver = SOFD_DRIVER_ETHDEV;
  else if (!strcmp(drv, "udp")) cfg->driver = SOFD_DRIVER_UDP;
  else if (!strcmp(drv, "preload")) cfg->driver = SOFD_DRIVER_PRELOAD;
  else if (!strcmp(drv, "provider")) cfg->driver = SOFD_DRIVER_PROVIDER;
  else {
    fprintf(stderr, "sofd: %s: '%s' is not ethdev, udp, preload or provider\n",
            key_name((size_t)key_find("input", "driver")), drv);
    return -1;
  }
  cfg->preload = get_str("input", "preload");
  char const *deal = get_str("input", "preload_deal");
  cfg->preload_deal = sof_preload_deal_parse(deal);
  if (cfg->preload_deal < 0) {
    fprintf(stderr, "sofd: %s: '%s' is not packet or slot\n",
            key_name((size_t)key_find("input", "preload_deal")), deal);
    return -1;
  }
  if ((cfg->driver == SOFD_DRIVER_PRELOAD) != (cfg->preload != NULL)) {
    fprintf(stderr, "sofd: %s: the preload driver needs a capture, and only that driver takes one "
                    "([input] driver = preload, --driver preload)\n",
            key_name((size_t)key_find("input", "preload")));
    return -1;
  }
  if (reject_unused(cfg)) return -1;
  if (resolve_provider(cfg)) return -1;
  GET_U("input", "port_id", 0, RTE_MAX_ETHPORTS - 1, cfg->port_id);
  GET_U("input", "rx_desc", 1, 65535, cfg->rx_desc);
  char const *mb_s = get_str("input", "mbufs");
  if (mb_s && !strcmp(mb_s, "auto")) cfg->mbufs = 0; /* sized by sofd_pipe_mbufs_needed */
  else GET_U("input", "mbufs", 64, 1U << 24, cfg->mbufs);
  GET_U("input", "burst", 1, 512, cfg->burst);
  char const *addr = get_str("input", "address");
  if (addr) {
    size_t ki = (size_t)key_find("input", "address");
    if (sof_arp_parse_cidr(addr, &cfg->address_ip, &cfg->address_prefix)) {
      fprintf(stderr, "sofd: %s: '%s' is not a host address A.B.C.D/PREFIX (not the network, "
                      "broadcast, 0.0.0.0 or multicast address) (%s)\n", key_name(ki), addr, key_from(ki));
      return -1;
    }
    cfg->address = addr;
  }
  GET_U("input", "icmp_rate", 0, 1000000, cfg->icmp_rate);
  GET_U("input", "preload_rate", 0, 1000000000ULL, cfg->preload_rate);
  GET_U("input", "preload_delay_ms", 0, 3600000, cfg->preload_delay_ms);
  if (cfg->preload_delay_ms && !cfg->preload_rate) {
    fprintf(stderr, "sofd: [input] preload_delay_ms (--preload-delay-ms) delays paced frames: it needs "
                    "preload_rate (--preload-rate)\n");
    return -1;
  }
  char const *ports = get_str("input", "udp_ports");
  if (ports) {
    uint64_t v[SOFD_UDP_PORTS_MAX];
    char why[320];
    size_t ki = (size_t)key_find("input", "udp_ports");
    long n = sof_num_list(ports, 1, 65535, v, SOFD_UDP_PORTS_MAX, why, sizeof why);
    if (n < 0) {
      fprintf(stderr, "sofd: %s: '%s' is not a list of at most %u UDP ports: %s (%s)\n",
              key_name(ki), ports, SOFD_UDP_PORTS_MAX, why, key_from(ki));
      return -1;
    }
    for (long k = 0; k < n; k++) cfg->udp_ports[k] = (uint16_t)v[k];
    cfg->udp_port_cnt = (uint32_t)n;
  }
  /* [input] exception (issue #19, app/sofd_exc.h) */
  char const *exc = get_str("input", "exception");
  size_t xi = (size_t)key_find("input", "exception");
  if (!strcmp(exc, "none")) {
    cfg->exception = SOFD_EXC_NONE;
  } else if (!strcmp(exc, "tap")) {
    cfg->exception = SOFD_EXC_TAP;
  } else {
    fprintf(stderr, "sofd: %s: '%s' is not none or tap (%s)\n", key_name(xi), exc, key_from(xi));
    return -1;
  }
  cfg->exception_iface = get_str("input", "exception_iface");
  if (cfg->exception == SOFD_EXC_TAP) {
    size_t fi = (size_t)key_find("input", "exception_iface");
    if (!cfg->exception_iface[0] || strlen(cfg->exception_iface) > 15 ||
        strpbrk(cfg->exception_iface, "/ :")) {
      fprintf(stderr, "sofd: %s: '%s' is not an interface name (1-15 characters, no '/', ':' or "
                      "space) (%s)\n", key_name(fi), cfg->exception_iface, key_from(fi));
      return -1;
    }
    if (key_set("input", "icmp_rate")) {
      size_t ri = (size_t)key_find("input", "icmp_rate");
      char xname[160]; /* key_name's buffer is shared */
      snprintf(xname, sizeof xname, "%s", key_name(xi));
      fprintf(stderr, "sofd: %s (%s) would be ignored: with %s = tap the kernel answers ICMP echo "
                      "(limit it there: net.ipv4.icmp_ratelimit)\n", key_name(ri), key_from(ri), xname);
      return -1;
    }
    if (!cfg->address || !cfg->udp_port_cnt) {
      fprintf(stderr, "sofd: %s = tap (%s) needs [input] address (--address) and [input] udp_ports "
                      "(--udp-port): they tell a shred from a frame for the kernel\n", key_name(xi),
              key_from(xi));
      return -1;
    }
  } else if (key_set("input", "exception_iface")) {
    size_t fi = (size_t)key_find("input", "exception_iface");
    fprintf(stderr, "sofd: %s (%s) is read only with [input] exception = tap: it would be ignored\n",
            key_name(fi), key_from(fi));
    return -1;
  }
  cfg->udp_bind = get_str("udp", "bind");
  GET_U("udp", "listen_port", 1, 65535, cfg->udp_listen);
  GET_U("udp", "rcvbuf", 4096, 1U << 30, cfg->udp_rcvbuf);

  cfg->leader = get_str("verify", "leader");
  cfg->leader_schedule = get_str("verify", "leader_schedule");
  cfg->leader_list = get_str("verify", "leader_list");
  cfg->rpc_url = get_str("verify", "rpc_url");
  if (cfg->rpc_url && strncmp(cfg->rpc_url, "http://", 7) && strncmp(cfg->rpc_url, "https://", 8)) {
    fprintf(stderr, "sofd: [verify] rpc_url (--rpc): '%s' is not an http:// or https:// URL\n",
            cfg->rpc_url);
    return -1;
  }
  GET_U("verify", "epoch_first_slot", 0, UINT64_MAX - 1, cfg->epoch_first_slot);
  if (!cfg->leader_schedule && key_set("verify", "epoch_first_slot")) {
    size_t ki = (size_t)key_find("verify", "epoch_first_slot");
    fprintf(stderr, "sofd: %s (%s) only places a JSON leader schedule ([verify] leader_schedule, "
                    "--leader-schedule), and none is given: it would be ignored (a --leader-list "
                    "names absolute slots)\n", key_name(ki), key_from(ki));
    return -1;
  }
  sof_verify_cfg_default(&cfg->verify);
  char const *posture = get_str("verify", "posture");
  cfg->verify.posture = sof_verify_posture_parse(posture);
  if (cfg->verify.posture < 0) {
    fprintf(stderr, "sofd: %s: '%s' is not public_untrusted or trusted_raw_shred_provider\n",
            key_name((size_t)key_find("verify", "posture")), posture);
    return -1;
  }
  if (get_switch("verify", "shreds", &cfg->verify.verify_shreds)) return -1;
  if (get_switch("verify", "recovered", &cfg->verify.verify_recovered)) return -1;
  if (get_bool("verify", "accept_unknown_leader", &cfg->verify.accept_unknown_leader)) return -1;
  cfg->gossip.entrypoint = get_str("gossip", "entrypoint");
  if (cfg->gossip.entrypoint) {
    GET_U("gossip", "gossip_port", 1, 65535, cfg->gossip.gossip_port);
    cfg->gossip.bind = get_str("gossip", "bind");
    cfg->gossip.public_ip = get_str("gossip", "public_ip");
    cfg->gossip.identity = get_str("gossip", "identity");
    cfg->gossip.tvu_port = cfg->driver == SOFD_DRIVER_UDP ? cfg->udp_listen
                           : cfg->udp_port_cnt == 1 ? cfg->udp_ports[0] : 0;
    GET_U("gossip", "tvu_port", 1, 65535, cfg->gossip.tvu_port);
    if (!cfg->gossip.tvu_port) {
      fprintf(stderr, "sofd: [gossip] tvu_port (--tvu-port): the shred port to advertise is needed (the ethdev "
                      "driver has no single port: set it, or one [input] udp_ports)\n");
      return -1;
    }
    GET_U("gossip", "values_max", 16, 1U << 24, cfg->gossip.values_max);
    GET_U("gossip", "nodes_max", 16, 1U << 20, cfg->gossip.nodes_max);
    GET_U("gossip", "pull_interval_ms", 10, 3600000, cfg->gossip.pull_interval_ms);
    GET_U("gossip", "push_interval_ms", 10, 3600000, cfg->gossip.push_interval_ms);
    GET_U("gossip", "value_timeout_ms", 1000, 1U << 31, cfg->gossip.value_timeout_ms);
    GET_U("gossip", "settle_ms", 0, 600000, cfg->gossip.settle_ms);
    GET_U("gossip", "join_timeout_ms", 100, 3600000, cfg->gossip.join_timeout_ms);
    GET_U("gossip", "leave_grace_ms", 0, 86400000, cfg->gossip.leave_grace_ms);
    GET_U("gossip", "votes_queue", 16, 1U << 20, cfg->gossip.votes_queue);
    /* a DPDK port with exception = tap: gossip's socket and ip-echo ride the
     * tap (the kernel there holds [input] address); bound to that address
     * unless [gossip] bind names another */
    if (cfg->driver == SOFD_DRIVER_ETHDEV && cfg->exception == SOFD_EXC_TAP) {
      static char tap_bind[16];
      cfg->gossip_tap = 1;
      if (!cfg->gossip.bind || !strcmp(cfg->gossip.bind, "0.0.0.0")) {
        snprintf(tap_bind, sizeof tap_bind, "%u.%u.%u.%u", cfg->address_ip >> 24, cfg->address_ip >> 16 & 255,
                 cfg->address_ip >> 8 & 255, cfg->address_ip & 255);
        cfg->gossip.bind = tap_bind;
      }
      for (uint32_t k = 0; k < cfg->udp_port_cnt; k++)
        if (cfg->udp_ports[k] == cfg->gossip.gossip_port) {
          fprintf(stderr, "sofd: [gossip] gossip_port (--gossip-port) %u is one of [input] udp_ports: with "
                          "exception = tap gossip reaches the kernel only on another port\n", cfg->gossip.gossip_port);
          return -1;
        }
    }
  }
  if (cfg->gossip.entrypoint && !get_str("verify", "shred_version")) {
    cfg->shred_version_gossip = 1; /* learned from gossip, then enforced */
    cfg->verify.check_version = 1;
  }
  if (get_str("verify", "shred_version") && !strcmp(get_str("verify", "shred_version"), "auto") &&
      cfg->gossip.entrypoint) {
    cfg->shred_version_gossip = 1;
    cfg->verify.check_version = 1;
  } else if (get_str("verify", "shred_version") && !strcmp(get_str("verify", "shred_version"), "auto")) {
    if (!cfg->rpc_url) {
      fprintf(stderr, "sofd: [verify] shred_version (--shred-version) = auto asks the cluster over "
                      "[verify] rpc_url (--rpc), and none is given\n");
      return -1;
    }
    cfg->shred_version_auto = 1;
    cfg->verify.check_version = 1;
  } else if (get_str("verify", "shred_version")) {
    GET_U("verify", "shred_version", 0, 65535, cfg->verify.shred_version);
    cfg->verify.check_version = 1;
  }
  GET_U("verify", "cache_sets", 4, 1U << 20, cfg->verify.cache_sets);
  GET_U("verify", "warm_lines", 0, 4096, cfg->verify_warm_lines);
  GET_U("verify", "prepare_ahead", 0, 1U << 16, cfg->verify.prepare_ahead);
  GET_U("verify", "epoch_keep_slots", 1, 1U << 24, cfg->epoch_keep_slots);
  GET_U("verify", "set_fail_budget", 1, 1U << 20, cfg->verify.set_fail_budget);
  GET_U("verify", "source_fail_budget", 1, 1U << 20, cfg->verify.source_fail_budget);
  GET_U("verify", "conflict_budget", 1, 255, cfg->verify.conflict_budget);
  GET_U("verify", "over_budget_try_every", 1, 1U << 20, cfg->verify.over_budget_try_every);
  sof_slotwin_cfg_default(&cfg->window);
  GET_U("window", "behind", 0, 1ULL << 32, cfg->window.behind);
  GET_U("window", "ahead", 1, 1024, cfg->window.ahead);
  /* every slot admitted above the tip is kept: none is evicted before its
   * time and its genuine copies later dropped as duplicates */
  cfg->window.protect_ahead = cfg->window.ahead;
  GET_U("window", "quorum", 1, SOF_SLOTWIN_SAMPLES, cfg->window.quorum);
  GET_U("window", "probe_every", 0, 1U << 20, cfg->window.probe_every);
  GET_U("window", "protect_behind", 0, 1U << 16, cfg->window.protect_behind);
  if (get_bool("verify", "learn_leaders", &cfg->learn_leaders)) return -1;
  cfg->leader_candidates = get_str("verify", "leader_candidates");
  GET_U("verify", "learn_tries_per_slot", 1, 1U << 20, cfg->verify.learn_tries_per_slot);
  if (cfg->learn_leaders ? !cfg->leader_candidates && !get_str("verify", "rpc_url") && !cfg->gossip.entrypoint
                         : cfg->leader_candidates != NULL) {
    fprintf(stderr, "sofd: %s\n", cfg->learn_leaders
            ? "[verify] learn_leaders (--learn-leaders) needs leader_candidates (--leader-candidates FILE) "
              "or rpc_url (--rpc URL: the cluster's nodes from getClusterNodes) or [gossip] entrypoint "
              "(--gossip-entrypoint: the nodes gossip knows)"
            : "[verify] leader_candidates (--leader-candidates) is read only with learn_leaders (--learn-leaders)");
    return -1;
  }
  if (!cfg->leader && !cfg->leader_schedule && !cfg->leader_list && !cfg->learn_leaders && !cfg->rpc_url &&
      cfg->driver != SOFD_DRIVER_PROVIDER && /* no shreds to verify */
      cfg->verify.posture == SOF_VERIFY_POSTURE_PUBLIC_UNTRUSTED && cfg->verify.verify_shreds != 0 &&
      !cfg->verify.accept_unknown_leader) {
    fprintf(stderr, "sofd: the public_untrusted posture needs --leader, --leader-schedule, "
                    "--leader-list, --rpc or --learn-leaders (or --accept-unknown-leader)\n");
    return -1;
  }

  if (get_bool("dedupe", "enabled", &cfg->dedupe)) return -1;
  GET_U("dedupe", "capacity", 16, 1U << 26, cfg->dedupe_capacity);
  if (!is_pow2(cfg->dedupe_capacity)) {
    fprintf(stderr, "sofd: [dedupe] capacity: %u is not a power of two\n", cfg->dedupe_capacity);
    return -1;
  }
  GET_U("dedupe", "ttl_ms", 1, 86400000ULL, cfg->dedupe_ttl_ms);
  GET_U("dedupe", "slot_window", 1, 1U << 20, cfg->dedupe_slot_window);
  GET_U("fec", "set_records", 16, 1U << 22, cfg->fec_set_records);
  GET_U("fec", "set_buffers", 2, 1U << 16, cfg->fec_set_buffers);
  GET_U("fec", "slots", 2, 4096, cfg->reasm_slots);
  if (cfg->reasm_slots < cfg->window.protect_behind + cfg->window.protect_ahead + 2) {
    fprintf(stderr, "sofd: [fec] slots %u cannot hold the current slots of [window] (protect_behind %llu + "
            "ahead %llu + the tip) and one more: raise it or narrow the window\n", cfg->reasm_slots,
            (unsigned long long)cfg->window.protect_behind, (unsigned long long)cfg->window.protect_ahead);
    return -1;
  }
  GET_U("fec", "chunks", 64, 1U << 24, cfg->reasm_chunks);
  uint64_t mb = 0;
  GET_U("fec", "arena_mb", 1, 65536, mb);
  cfg->arena_bytes = mb << 20;
  GET_U("forks", "window", 16, 1U << 20, cfg->forks_window);
  GET_U("forks", "confirmed_depth", 1, 1U << 19, cfg->confirmed_depth);
  GET_U("forks", "finalized_depth", 1, 1U << 19, cfg->finalized_depth);
  GET_U("host", "general_depth", 2, 1U << 24, cfg->lane_depth[0]);
  GET_U("host", "inline_depth", 2, 1U << 24, cfg->lane_depth[1]);
  GET_U("host", "critical_depth", 2, 1U << 24, cfg->lane_depth[2]);
  GET_U("host", "background_depth", 2, 1U << 24, cfg->lane_depth[3]);
  GET_U("host", "commit_wait_max", 1, 1U << 24, cfg->commit_wait_max);
  if (get_bool("host", "hold_waiting", &cfg->hold_waiting)) return -1;
  GET_U("host", "batch_slots", 1, 1U << 16, cfg->batch_slots);
  uint64_t kb = 0;
  GET_U("host", "batch_kb", 1, 1U << 20, kb);
  cfg->batch_bytes = (uint32_t)(kb << 10);
  GET_U("run", "idle_exit_ms", 0, 86400000ULL * 365, cfg->idle_exit_ms);
  GET_U("run", "stats_interval_ms", 0, 86400000ULL, cfg->stats_ms);
  GET_U("run", "drain_timeout_ms", 0, 3600000ULL, cfg->drain_ms);
  cfg->prometheus = get_str("run", "prometheus");
  GET_U("prometheus", "clients_max", 1, 4096, cfg->prometheus_clients);
  GET_U("prometheus", "request_timeout_ms", 1, 3600000ULL, cfg->prometheus_request_timeout_ms);
  cfg->plugins = get_str("run", "plugins");
  if (get_bool("run", "telemetry", &cfg->telemetry)) return -1;
  if (get_bool("run", "mlock", &cfg->mlock)) return -1;
  if (get_bool("run", "pdump", &cfg->pdump)) return -1;
  for (int r = 0; r < SOFD_ROLE_CNT; r++) { /* syntax now; the lcores after rte_eal_init */
    uint64_t v[SOFD_INSTANCES_MAX];
    if (lcore_list(r, v) < 0) return -1;
  }
  for (unsigned i = 0; i < plugin_cnt; i++) {
    cfg->plugin_key[i] = plugin_key[i];
    cfg->plugin_val[i] = plugin_val[i];
  }
  cfg->plugin_opt_cnt = plugin_cnt;
  if (get_bool("race", "enabled", &cfg->race)) return -1;
  GET_U("race", "sources", 1, SOF_RACE_SOURCES_MAX, cfg->race_sources);
  GET_U("race", "leaders", 0, SOF_RACE_LEADERS_MAX, cfg->race_leaders);
  static sof_race_named_t named[SOFD_SOURCES_MAX];
  for (unsigned i = 0; i < source_cnt; i++) {
    char err[160];
    if (!sof_race_name_ok(source_name[i]) || !strcmp(source_name[i], "other")) {
      fprintf(stderr, "sofd: %s: source name '%s': use 1..%u of A-Z a-z 0-9 _ . - ('other' is "
                      "reserved)\n", source_from[i], source_name[i], SOF_RACE_NAME_MAX - 1U);
      return -1;
    }
    if (sof_race_parse_addr(source_addr[i], &named[i].ip, &named[i].port, err, sizeof err)) {
      fprintf(stderr, "sofd: %s: [source.%s] addr: %s\n", source_from[i], source_name[i], err);
      return -1;
    }
    snprintf(named[i].name, sizeof named[i].name, "%s", source_name[i]);
    for (unsigned k = 0; k < i; k++)
      if (named[k].ip == named[i].ip && named[k].port == named[i].port) {
        fprintf(stderr, "sofd: %s: [source.%s] addr %s: the address of [source.%s]\n", source_from[i],
                source_name[i], source_addr[i], source_name[k]);
        return -1;
      }
  }
  if (source_cnt > cfg->race_sources) {
    fprintf(stderr, "sofd: %u named sources, more than [race] sources (%u)\n", source_cnt, cfg->race_sources);
    return -1;
  }
  cfg->race_named = named;
  cfg->race_named_cnt = source_cnt;
  return 0;
}

int
sofd_opts_resolve_topology(sofd_cfg_t *cfg) {
  return resolve_topology(cfg);
}
