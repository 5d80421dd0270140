/* sofd: the Solana shred observer on DPDK.
 *
 *   sofd [EAL args] -- [app args]
 *
 * First slice of the pipeline (issue 6): one ethdev port, one RX queue, one
 * lcore running rx -> filter -> verify -> FEC resolve -> reassemble ->
 * transactions, the transaction log written as JSON lines. Every received
 * packet lands in exactly one counter: accepted into the resolver (by its
 * result), or dropped with a named reason; the final summary checks that
 * they add up to the packets received.
 *
 * Hot path (rx_loop / rx_one): no allocation, lock, log line or system
 * call per packet. Transaction lines go through a stdio buffer (a write(2)
 * per ~1 MiB of output); counters instead of logs. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "../drivers/sof_ethdev.h"
#include "crypto/sof_ed25519.h"
#include "pipeline/sof_event_json.h"
#include "pipeline/sof_ingest.h"
#include "util/sof_json.h"
#include "verify/sof_leaders.h"
#include "verify/sof_verify.h"
#include "wire/sof_base58.h"
#include "wire/sof_pkt.h"

#define SOFD_BURST_MAX   512U
#define SOFD_LINE_MAX    (64UL * 1024UL)   /* one JSON line (a transaction is < 2 KiB of JSON) */
#define SOFD_TXLOG_BUF   (1UL << 20)       /* stdio buffer of the transaction log */
#define SOFD_SUMMARY_MAX (16UL * 1024UL)

/* Frame-level drops, before a shred reaches the ingest. The sof_pkt
 * reasons are counted apart (pkt_err). */
#define SOFD_FRAME_DROP_LIST(X)                                        \
  X(MULTI_SEGMENT, "multi_segment") /* frame chained over mbufs */   \
  X(WRONG_PORT,    "wrong_port")    /* UDP to another port than --udp-port */

enum {
#define SOFD_ENUM_(name, str) SOFD_DROP_##name,
  SOFD_FRAME_DROP_LIST(SOFD_ENUM_)
#undef SOFD_ENUM_
  SOFD_DROP_CNT
};

static char const *const frame_drop_names[SOFD_DROP_CNT] = {
#define SOFD_STR_(name, str) str,
  SOFD_FRAME_DROP_LIST(SOFD_STR_)
#undef SOFD_STR_
};

typedef struct {
  /* options */
  char const *leader;
  char const *schedule;
  char const *list;
  uint64_t    epoch_first;
  sof_verify_cfg_t vcfg;
  char const *txlog_path;   /* NULL: stdout */
  int         datasets;     /* dataset lines in the txlog too */
  int         udp_port;     /* -1: any */
  uint16_t    port_id;
  uint32_t    burst;
  uint32_t    mbufs;
  uint16_t    rx_desc;
  uint64_t    idle_exit_ms; /* 0: never */
  uint64_t    stats_ms;     /* 0: off */
} sofd_opts_t;

/* Everything the RX lcore touches. One writer: the RX lcore. */
typedef struct {
  uint64_t rx_packets;
  uint64_t rx_bursts;
  uint64_t busy_cycles;  /* TSC cycles spent processing received bursts */
  uint64_t rx_bytes;
  uint64_t pkt_err[SOF_PKT_ERR_CNT + 1];  /* by -sof_pkt reason */
  uint64_t drop[SOFD_DROP_CNT];
  uint64_t txlog_lines;
  uint64_t txlog_overflow;                /* lines too long for the line buffer: not written */
} sofd_counters_t;

typedef struct {
  sofd_counters_t c;
  sof_ingest_t   *ing;
  FILE           *txlog;
  int             datasets;
  int             udp_port;
  sof_json_t      j;
  char            line[SOFD_LINE_MAX];
} sofd_t;

static volatile sig_atomic_t quit_signal;

static void
on_signal(int sig) {
  quit_signal = sig;
}

/* ---- output ---------------------------------------------------------------- */

static void
txlog_emit(sofd_t *d) {
  sof_json_newline(&d->j);
  if (sof_json_ok(&d->j)) {
    fwrite(d->j.buf, 1, d->j.len, d->txlog);
    d->c.txlog_lines++;
  } else {
    d->c.txlog_overflow++;
  }
  sof_json_reset(&d->j);
}

static void
on_dataset(void *ctx, sof_reasm_batch_t const *b, sof_entry_batch_t const *eb, int err) {
  sofd_t *d = ctx;
  if (!d->datasets) return;
  sof_json_t *j = &d->j;
  sof_json_obj_begin(j);
  sof_json_key(j, "type"); sof_json_str(j, "dataset");
  sof_event_json_dataset(j, b, eb, err);
  sof_json_obj_end(j);
  txlog_emit(d);
}

static void
on_txn(void *ctx, sof_reasm_batch_t const *b, uint64_t entry_idx, uint8_t const *p,
       sof_txn_t const *t) {
  sofd_t *d = ctx;
  sof_json_t *j = &d->j;
  sof_json_obj_begin(j);
  sof_json_key(j, "type");  sof_json_str(j, "transaction");
  sof_json_key(j, "slot");  sof_json_u64(j, b->slot);
  sof_json_key(j, "entry"); sof_json_u64(j, entry_idx);
  sof_event_json_txn(j, p, t);
  sof_json_obj_end(j);
  txlog_emit(d);
}

/* ---- the RX path -------------------------------------------------------------- */

/* One frame: exactly one counter moves (a drop reason, or an ingest fate,
 * which the ingest splits into its own reasons). */
static inline void
rx_one(sofd_t *d, struct rte_mbuf *m) {
  sofd_counters_t *c = &d->c;
  c->rx_packets++;
  c->rx_bytes += m->pkt_len;
  if (unlikely(m->nb_segs != 1)) {
    c->drop[SOFD_DROP_MULTI_SEGMENT]++;
    return;
  }
  uint8_t const *frame = rte_pktmbuf_mtod(m, uint8_t const *);
  sof_pkt_udp_t u;
  int err = sof_pkt_parse(&u, frame, m->data_len);
  if (unlikely(err)) {
    c->pkt_err[-err]++;
    return;
  }
  if (d->udp_port >= 0 && u.dst_port != d->udp_port) {
    c->drop[SOFD_DROP_WRONG_PORT]++;
    return;
  }
  sof_ingest_shred(d->ing, frame + u.payload_off, u.payload_sz, 0, NULL, NULL);
}

static uint64_t
ingest_dropped(sof_ingest_stats_t const *is) {
  return is->fate[SOF_INGEST_LATE] + is->fate[SOF_INGEST_MALFORMED] + is->fate[SOF_INGEST_REJECTED];
}

static uint64_t
frame_dropped(sofd_counters_t const *c) {
  uint64_t n = 0;
  for (unsigned i = 0; i <= SOF_PKT_ERR_CNT; i++) n += c->pkt_err[i];
  for (unsigned i = 0; i < SOFD_DROP_CNT; i++) n += c->drop[i];
  return n;
}

static void
stats_line(sofd_t const *d, double secs, uint64_t prev_rx) {
  sof_ingest_stats_t const *is = sof_ingest_stats(d->ing);
  fprintf(stderr, "sofd: rx %" PRIu64 " (%.0f/s) accepted %" PRIu64 " dropped %" PRIu64
          " (frame %" PRIu64 " late %" PRIu64 " malformed %" PRIu64 " rejected %" PRIu64 ")"
          " datasets %" PRIu64 " txns %" PRIu64 "\n",
          d->c.rx_packets, secs > 0 ? (double)(d->c.rx_packets - prev_rx) / secs : 0.0,
          is->fate[SOF_INGEST_ACCEPTED], frame_dropped(&d->c) + ingest_dropped(is),
          frame_dropped(&d->c), is->fate[SOF_INGEST_LATE], is->fate[SOF_INGEST_MALFORMED],
          is->fate[SOF_INGEST_REJECTED], is->datasets, is->txns);
}

typedef enum { STOP_SIGNAL, STOP_IDLE } stop_reason_t;

static stop_reason_t
rx_loop(sofd_t *d, sofd_opts_t const *o, uint16_t port) {
  struct rte_mbuf *pkts[SOFD_BURST_MAX];
  uint64_t const hz = rte_get_tsc_hz();
  uint64_t const idle_cycles = o->idle_exit_ms * (hz / 1000);
  uint64_t const stats_cycles = o->stats_ms * (hz / 1000);
  uint64_t now = rte_get_tsc_cycles();
  uint64_t last_rx = now, next_stats = now + stats_cycles, stats_at = now, stats_rx = 0;
  uint16_t const burst = (uint16_t)o->burst;
  while (!quit_signal) {
    uint16_t n = rte_eth_rx_burst(port, 0, pkts, burst);
    now = rte_get_tsc_cycles();
    if (n) {
      d->c.rx_bursts++;
      last_rx = now;
      for (uint16_t i = 0; i < n; i++) {
        if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
        rx_one(d, pkts[i]);
        rte_pktmbuf_free(pkts[i]);
      }
      d->c.busy_cycles += rte_get_tsc_cycles() - now;
    } else {
      if (idle_cycles && now - last_rx >= idle_cycles) return STOP_IDLE;
      rte_pause();
    }
    if (stats_cycles && now >= next_stats) {
      stats_line(d, (double)(now - stats_at) / (double)hz, stats_rx);
      stats_at = now;
      stats_rx = d->c.rx_packets;
      next_stats = now + stats_cycles;
    }
  }
  return STOP_SIGNAL;
}

/* ---- summary ------------------------------------------------------------------- */

static void
summary(sofd_t *d, sof_verify_t const *v, sof_ethdev_t const *dev, char const *stop) {
  static char buf[SOFD_SUMMARY_MAX];
  sof_json_t js, *j = &js;
  sof_json_init(j, buf, sizeof buf);
  sof_ingest_stats_t const *is = sof_ingest_stats(d->ing);
  sof_resolver_stats_t const *rs = sof_resolver_stats(sof_ingest_resolver(d->ing));
  sof_reasm_stats_t const *as = sof_reasm_stats(sof_ingest_reasm(d->ing));
  sofd_counters_t const *c = &d->c;
  uint64_t accepted = is->fate[SOF_INGEST_ACCEPTED];
  uint64_t dropped = frame_dropped(c) + ingest_dropped(is);
  /* The invariants: every frame is a drop or a shred, and every shred has
   * exactly one fate. */
  uint64_t frames_to_ingest = c->rx_packets - frame_dropped(c);
  uint64_t fates = 0, accepted_by = 0, malformed_by = 0, rejected_by = 0;
  for (int i = 0; i < SOF_INGEST_FATE_CNT; i++) fates += is->fate[i];
  for (int i = 0; i < SOF_RESOLVER_RESULT_CNT; i++) accepted_by += is->accepted[i];
  for (int i = 0; i <= SOF_SHRED_ERR_CNT; i++) malformed_by += is->malformed[i];
  for (int i = 0; i < SOF_VERIFY_RESULT_CNT; i++) rejected_by += is->rejected[i];
  int balanced = accepted + dropped == c->rx_packets && is->shreds == frames_to_ingest &&
                 fates == is->shreds && accepted_by == accepted &&
                 malformed_by == is->fate[SOF_INGEST_MALFORMED] &&
                 rejected_by == is->fate[SOF_INGEST_REJECTED];

  sof_json_obj_begin(j);
  sof_json_key(j, "type");        sof_json_str(j, "summary");
  sof_json_key(j, "stop");        sof_json_str(j, stop);
  sof_json_key(j, "port");        sof_json_u64(j, dev->port_id);
  sof_json_key(j, "device");      sof_json_str(j, dev->name);
  sof_json_key(j, "driver");      sof_json_str(j, dev->driver);
  sof_json_key(j, "rxPackets");   sof_json_u64(j, c->rx_packets);
  sof_json_key(j, "rxBytes");     sof_json_u64(j, c->rx_bytes);
  sof_json_key(j, "rxBursts");    sof_json_u64(j, c->rx_bursts);
  /* processing cost: from a burst's arrival until its last mbuf is freed
   * (excludes the PMD's own receive work and idle polling) */
  double busy_s = (double)c->busy_cycles / (double)rte_get_tsc_hz();
  sof_json_key(j, "busyUs");      sof_json_u64(j, (uint64_t)(busy_s * 1e6));
  sof_json_key(j, "nsPerPacket"); sof_json_u64(j, c->rx_packets ? (uint64_t)(busy_s * 1e9 / (double)c->rx_packets) : 0);
  sof_json_key(j, "packetsPerBusySecond");
  sof_json_u64(j, busy_s > 0 ? (uint64_t)((double)c->rx_packets / busy_s) : 0);
  sof_json_key(j, "accepted");    sof_json_u64(j, accepted);
  sof_json_key(j, "dropped");     sof_json_u64(j, dropped);
  sof_json_key(j, "balanced");    sof_json_bool(j, balanced);
  sof_json_key(j, "drops");
  sof_json_obj_begin(j);
  for (int e = 1; e <= SOF_PKT_ERR_CNT; e++) {
    sof_json_key(j, sof_pkt_err_str(-e)); sof_json_u64(j, c->pkt_err[e]);
  }
  for (int i = 0; i < SOFD_DROP_CNT; i++) {
    sof_json_key(j, frame_drop_names[i]); sof_json_u64(j, c->drop[i]);
  }
  sof_json_key(j, "late"); sof_json_u64(j, is->fate[SOF_INGEST_LATE]);
  sof_json_key(j, "malformed");
  sof_json_obj_begin(j);
  for (int e = 1; e <= SOF_SHRED_ERR_CNT; e++) {
    sof_json_key(j, sof_shred_err_str(-e)); sof_json_u64(j, is->malformed[e]);
  }
  if (is->malformed[0]) { sof_json_key(j, "unknown"); sof_json_u64(j, is->malformed[0]); }
  sof_json_obj_end(j);
  sof_json_key(j, "rejected");
  sof_json_obj_begin(j);
  for (int r = 0; r < SOF_VERIFY_RESULT_CNT; r++) {
    if (r == SOF_VERIFY_VERIFIED || r == SOF_VERIFY_SKIPPED || r == SOF_VERIFY_MALFORMED) continue;
    sof_json_key(j, sof_verify_result_str(r)); sof_json_u64(j, is->rejected[r]);
  }
  sof_json_obj_end(j);
  sof_json_obj_end(j);
  sof_json_key(j, "acceptedBy"); /* what the FEC resolver made of each accepted shred */
  sof_json_obj_begin(j);
  for (int r = 0; r < SOF_RESOLVER_RESULT_CNT; r++) {
    sof_json_key(j, sof_resolver_result_str(r)); sof_json_u64(j, is->accepted[r]);
  }
  sof_json_obj_end(j);
  sof_json_key(j, "dataShreds");        sof_json_u64(j, is->data_shreds);
  sof_json_key(j, "codeShreds");        sof_json_u64(j, is->code_shreds);
  if (v) {
    sof_verify_stats_t const *vs = sof_verify_stats(v);
    sof_json_key(j, "verify");
    sof_json_obj_begin(j);
    for (int r = 0; r < SOF_VERIFY_RESULT_CNT; r++) {
      sof_json_key(j, sof_verify_result_str(r)); sof_json_u64(j, vs->result[r]);
    }
    sof_json_obj_end(j);
    sof_json_key(j, "sigVerifies");     sof_json_u64(j, vs->sig_verifies);
    sof_json_key(j, "sigCacheHits");    sof_json_u64(j, vs->sig_cache_hits);
    sof_json_key(j, "badCacheHits");    sof_json_u64(j, vs->bad_cache_hits);
    sof_json_key(j, "conflicts");       sof_json_u64(j, vs->conflicts);
  }
  sof_json_key(j, "setsComplete");      sof_json_u64(j, rs->sets_complete);
  sof_json_key(j, "setsRecovered");     sof_json_u64(j, rs->sets_recovered);
  sof_json_key(j, "setsIncomplete");    sof_json_u64(j, sof_resolver_open_sets(sof_ingest_resolver(d->ing)));
  sof_json_key(j, "recoveredShreds");   sof_json_u64(j, is->recovered_ok);
  sof_json_key(j, "recoveredRejected"); sof_json_u64(j, is->recovered_rejected);
  sof_json_key(j, "resolverEvictions");
  sof_json_u64(j, rs->evict_pool + rs->evict_window + rs->evict_age + rs->evict_records);
  sof_json_key(j, "slotsComplete");     sof_json_u64(j, as->slots_complete);
  sof_json_key(j, "slotsEvicted");      sof_json_u64(j, as->slots_evicted);
  sof_json_key(j, "datasets");          sof_json_u64(j, is->datasets);
  sof_json_key(j, "datasetErrors");     sof_json_u64(j, is->dataset_err);
  sof_json_key(j, "transactions");      sof_json_u64(j, is->txns);
  sof_json_key(j, "txlogLines");        sof_json_u64(j, c->txlog_lines);
  sof_json_key(j, "txlogOverflow");     sof_json_u64(j, c->txlog_overflow);
  sof_json_obj_end(j);
  sof_json_newline(j);
  if (sof_json_ok(j)) fwrite(j->buf, 1, j->len, stderr);
  else fprintf(stderr, "sofd: summary too long for its buffer\n");
}

/* ---- options ---------------------------------------------------------------------- */

static void
usage(FILE *f) {
  fputs(
    "usage: sofd [EAL options] -- [options]\n"
    "\n"
    "Receives shreds on one DPDK port (a NIC or a vdev such as\n"
    "--vdev net_pcap0,rx_pcap=FILE), verifies them, recovers FEC sets,\n"
    "reassembles entry batches and writes their transactions as JSON lines.\n"
    "\n"
    "leaders (one is needed under the public_untrusted posture):\n"
    "      --leader PUBKEY           base58 leader key for every slot\n"
    "      --leader-schedule FILE    getLeaderSchedule JSON ({\"<pubkey>\": [offsets]})\n"
    "      --epoch-first-slot N      first slot of that schedule's epoch (default 0)\n"
    "      --leader-list FILE        text lines \"<slot> <pubkey>\"\n"
    "verification:\n"
    "      --shred-version N         shreds must carry this version\n"
    "      --posture NAME            public_untrusted (default: verify) or\n"
    "                                trusted_raw_shred_provider (skip checks)\n"
    "      --accept-unknown-leader   accept slots without a known leader (counted)\n"
    "port:\n"
    "      --port-id N               ethdev port to receive on (default 0)\n"
    "      --udp-port N              only UDP datagrams to this destination port\n"
    "                                (others counted as wrong_port; default: any)\n"
    "      --burst N                 RX burst size, 1..512 (default 32)\n"
    "      --rx-desc N               RX descriptors (default 1024; the PMD may adjust)\n"
    "      --mbufs N                 mbufs in the RX pool (default 8191)\n"
    "output:\n"
    "      --txlog FILE              transaction log, JSON lines (default stdout)\n"
    "      --datasets                also write a \"dataset\" line per entry batch\n"
    "      --stats-interval-ms N     one-line summary on stderr every N ms (0: off, default)\n"
    "lifecycle:\n"
    "      --idle-exit-ms N          exit once nothing was received for N ms (replays;\n"
    "                                default 0: run until SIGINT / SIGTERM)\n"
    "  -h, --help                    this text\n"
    "\n"
    "At exit a JSON summary goes to stderr: every received packet counted once,\n"
    "accepted (by resolver result) or dropped (by reason), and \"balanced\".\n"
    "Exit status: 0 after a clean stop, 1 when the counters do not add up or\n"
    "the transaction log failed, 2 on a usage, setup or port error.\n", f);
}

static int
parse_u64(char const *opt, char const *s, uint64_t lo, uint64_t hi, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (!*s || *end || errno || s[0] == '-' || v < lo || v > hi) {
    fprintf(stderr, "sofd: --%s: '%s' is not a number in %" PRIu64 "..%" PRIu64 "\n", opt, s, lo, hi);
    return -1;
  }
  *out = v;
  return 0;
}

/* Parses the app arguments (argv[0] is the program name). Returns 0 to
 * run, 1 after --help, -1 on a bad option (message printed). */
static int
parse_args(int argc, char **argv, sofd_opts_t *o) {
  enum { OPT_LEADER = 256, OPT_SCHEDULE, OPT_EPOCH, OPT_LIST, OPT_VERSION, OPT_POSTURE, OPT_ACCEPT,
         OPT_UDP_PORT, OPT_PORT_ID, OPT_BURST, OPT_MBUFS, OPT_RXD, OPT_TXLOG, OPT_DATASETS,
         OPT_IDLE, OPT_STATS };
  static struct option const opts[] = {
    {"leader", required_argument, NULL, OPT_LEADER},
    {"leader-schedule", required_argument, NULL, OPT_SCHEDULE},
    {"epoch-first-slot", required_argument, NULL, OPT_EPOCH},
    {"leader-list", required_argument, NULL, OPT_LIST},
    {"shred-version", required_argument, NULL, OPT_VERSION},
    {"posture", required_argument, NULL, OPT_POSTURE},
    {"accept-unknown-leader", no_argument, NULL, OPT_ACCEPT},
    {"udp-port", required_argument, NULL, OPT_UDP_PORT},
    {"port-id", required_argument, NULL, OPT_PORT_ID},
    {"burst", required_argument, NULL, OPT_BURST},
    {"mbufs", required_argument, NULL, OPT_MBUFS},
    {"rx-desc", required_argument, NULL, OPT_RXD},
    {"txlog", required_argument, NULL, OPT_TXLOG},
    {"datasets", no_argument, NULL, OPT_DATASETS},
    {"idle-exit-ms", required_argument, NULL, OPT_IDLE},
    {"stats-interval-ms", required_argument, NULL, OPT_STATS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  optind = 1;
  opterr = 1;
  int c;
  uint64_t v;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case OPT_LEADER: o->leader = optarg; break;
    case OPT_SCHEDULE: o->schedule = optarg; break;
    case OPT_LIST: o->list = optarg; break;
    case OPT_EPOCH:
      if (parse_u64("epoch-first-slot", optarg, 0, UINT64_MAX, &o->epoch_first)) return -1;
      break;
    case OPT_VERSION:
      if (parse_u64("shred-version", optarg, 0, 65535, &v)) return -1;
      o->vcfg.check_version = 1;
      o->vcfg.shred_version = (uint16_t)v;
      break;
    case OPT_POSTURE:
      o->vcfg.posture = sof_verify_posture_parse(optarg);
      if (o->vcfg.posture < 0) {
        fprintf(stderr, "sofd: --posture: '%s' is not public_untrusted or trusted_raw_shred_provider\n",
                optarg);
        return -1;
      }
      break;
    case OPT_ACCEPT: o->vcfg.accept_unknown_leader = 1; break;
    case OPT_UDP_PORT:
      if (parse_u64("udp-port", optarg, 0, 65535, &v)) return -1;
      o->udp_port = (int)v;
      break;
    case OPT_PORT_ID:
      if (parse_u64("port-id", optarg, 0, RTE_MAX_ETHPORTS - 1, &v)) return -1;
      o->port_id = (uint16_t)v;
      break;
    case OPT_BURST:
      if (parse_u64("burst", optarg, 1, SOFD_BURST_MAX, &v)) return -1;
      o->burst = (uint32_t)v;
      break;
    case OPT_MBUFS:
      if (parse_u64("mbufs", optarg, 64, 1U << 24, &v)) return -1;
      o->mbufs = (uint32_t)v;
      break;
    case OPT_RXD:
      if (parse_u64("rx-desc", optarg, 1, 65535, &v)) return -1;
      o->rx_desc = (uint16_t)v;
      break;
    case OPT_TXLOG: o->txlog_path = optarg; break;
    case OPT_DATASETS: o->datasets = 1; break;
    case OPT_IDLE:
      if (parse_u64("idle-exit-ms", optarg, 0, 86400000ULL * 365, &o->idle_exit_ms)) return -1;
      break;
    case OPT_STATS:
      if (parse_u64("stats-interval-ms", optarg, 0, 86400000ULL, &o->stats_ms)) return -1;
      break;
    case 'h': usage(stdout); return 1;
    default:
      fprintf(stderr, "sofd: try 'sofd -- --help'\n");
      return -1;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "sofd: unexpected argument '%s' (app options go after '--')\n", argv[optind]);
    return -1;
  }
  if (!o->leader && !o->schedule && !o->list &&
      o->vcfg.posture == SOF_VERIFY_POSTURE_PUBLIC_UNTRUSTED && !o->vcfg.accept_unknown_leader) {
    fprintf(stderr, "sofd: the public_untrusted posture needs --leader, --leader-schedule or "
                    "--leader-list (or --accept-unknown-leader)\n");
    return -1;
  }
  return 0;
}

/* Leaders from the options. NULL with a message on failure. */
static sof_leaders_t *
load_leaders(sofd_opts_t const *o) {
  char err[512];
  sof_leaders_t *l = sof_leaders_new(1UL << 20, 1U << 16);
  if (!l) {
    fprintf(stderr, "sofd: out of memory (leader table)\n");
    return NULL;
  }
  if (o->leader) {
    uint8_t pub[32];
    if (sof_base58_decode_32(o->leader, strlen(o->leader), pub)) {
      fprintf(stderr, "sofd: --leader: '%s' is not a base58 public key\n", o->leader);
      goto fail;
    }
    sof_leaders_set_fixed(l, pub);
  }
  if (o->schedule && sof_leaders_load_json(l, o->schedule, o->epoch_first, err, sizeof err) < 0) {
    fprintf(stderr, "sofd: --leader-schedule: %s\n", err);
    goto fail;
  }
  if (o->list && sof_leaders_load_text(l, o->list, err, sizeof err) < 0) {
    fprintf(stderr, "sofd: --leader-list: %s\n", err);
    goto fail;
  }
  return l;
fail:
  sof_leaders_delete(l);
  return NULL;
}

/* ---- main ---------------------------------------------------------------------------- */

int
main(int argc, char **argv) {
  static sofd_t d; /* the line buffer is large: static, not on the stack */
  sofd_opts_t o = {
    .udp_port = -1, .burst = 32, .mbufs = 8191, .rx_desc = 1024,
  };
  sof_verify_cfg_default(&o.vcfg);

  /* App options are parsed and checked before EAL starts, so that --help
   * and a bad option need no hugepages, devices or shared files. */
  int app_at = argc; /* index of "--" */
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--")) { app_at = i; break; }
  /* "sofd --help" before any "--" asks for this usage, not EAL's */
  for (int i = 1; i < app_at; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    }
  }
  char *app_argv[argc + 1];
  int app_argc = 0;
  app_argv[app_argc++] = argv[0];
  for (int i = app_at + 1; i < argc; i++) app_argv[app_argc++] = argv[i];
  app_argv[app_argc] = NULL;
  int rc = parse_args(app_argc, app_argv, &o);
  if (rc) return rc > 0 ? 0 : 2;

  if (sof_ed25519_init()) {
    fprintf(stderr, "sofd: cannot initialise libsodium\n");
    return 2;
  }
  sof_leaders_t *leaders = load_leaders(&o);
  if (!leaders) return 2;
  char err[512];
  sof_verify_t *verify = sof_verify_new(&o.vcfg, leaders, err, sizeof err);
  if (!verify) {
    fprintf(stderr, "sofd: %s\n", err);
    sof_leaders_delete(leaders);
    return 2;
  }
  d.udp_port = o.udp_port;
  d.datasets = o.datasets;
  sof_json_init(&d.j, d.line, sizeof d.line);
  sof_ingest_cfg_t icfg;
  sof_ingest_cfg_default(&icfg);
  icfg.verify = verify;
  icfg.on_dataset = on_dataset;
  icfg.on_txn = on_txn;
  icfg.ctx = &d;
  d.ing = sof_ingest_new(&icfg, err, sizeof err);
  int ret = 2;
  if (!d.ing) {
    fprintf(stderr, "sofd: %s\n", err);
    goto out_verify;
  }
  d.txlog = o.txlog_path ? fopen(o.txlog_path, "w") : stdout;
  if (!d.txlog) {
    fprintf(stderr, "sofd: --txlog %s: %s\n", o.txlog_path, strerror(errno));
    goto out_ingest;
  }
  static char txlog_buf[SOFD_TXLOG_BUF];
  setvbuf(d.txlog, txlog_buf, _IOFBF, sizeof txlog_buf);

  /* EAL gets argv up to "--" (the app arguments were copied above). */
  if (rte_eal_init(app_at, argv) < 0) {
    fprintf(stderr, "sofd: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
    goto out_txlog;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  sof_ethdev_t dev;
  sof_ethdev_cfg_t ecfg = {
    .port_id = o.port_id, .rx_desc = o.rx_desc, .mbufs = o.mbufs,
    .mbuf_cache = o.mbufs >= 4096 ? 256 : 0, .burst = o.burst,
  };
  if (sof_ethdev_open(&dev, &ecfg, err, sizeof err)) {
    fprintf(stderr, "sofd: %s\n", err);
    goto out_eal;
  }
  char udp[16] = "any";
  if (o.udp_port >= 0) snprintf(udp, sizeof udp, "%d", o.udp_port);
  fprintf(stderr, "sofd: port %u (%s, %s): 1 RX queue, %u descriptors, %u mbufs, burst %u, "
          "verification %s, UDP port %s\n", dev.port_id, dev.name, dev.driver, dev.rx_desc,
          o.mbufs, o.burst, sof_verify_enabled(verify) ? "on" : "off", udp);

  stop_reason_t stop = rx_loop(&d, &o, dev.port_id);
  char stop_name[32];
  if (stop == STOP_IDLE) snprintf(stop_name, sizeof stop_name, "idle");
  else snprintf(stop_name, sizeof stop_name, "%s", quit_signal == SIGINT ? "sigint" : "sigterm");

  int txlog_failed = fflush(d.txlog) != 0 || ferror(d.txlog);
  if (txlog_failed) fprintf(stderr, "sofd: transaction log write error: %s\n", strerror(errno));
  summary(&d, verify, &dev, stop_name);
  sof_ingest_stats_t const *is = sof_ingest_stats(d.ing);
  int balanced = is->fate[SOF_INGEST_ACCEPTED] + frame_dropped(&d.c) + ingest_dropped(is) == d.c.rx_packets;
  ret = txlog_failed || !balanced ? 1 : 0;
  sof_ethdev_close(&dev);
out_eal:
  rte_eal_cleanup();
out_txlog:
  if (d.txlog && d.txlog != stdout) fclose(d.txlog);
  else if (d.txlog) fflush(d.txlog);
out_ingest:
  sof_ingest_delete(d.ing);
out_verify:
  sof_verify_delete(verify);
  sof_leaders_delete(leaders);
  return ret;
}
