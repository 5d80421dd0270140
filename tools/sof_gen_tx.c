/* sof-gen-tx: sof-gen's transmit mode, a DPDK application in the spirit of
 * testpmd's txonly.
 *
 *   sof-gen-tx [EAL options] -- [sof-gen content options] [transmit options]
 *
 * At start it runs the generator (sof_gen_core.c, the same engine and
 * options as sof-gen) once into memory: the frames of N unique slots, in
 * the order sof-gen writes them to its pcap. Then it sends them out of one
 * DPDK port (any PMD: a NIC, net_pcap, net_ring, net_af_packet, net_null),
 * pass after pass, at a target packet rate, in bursts, paced by the TSC,
 * printing a JSON line of pps and Gbps each second and a summary at the end.
 * One pass is frame for frame the pcap `sof-gen -o` writes with the same
 * content options; later passes repeat the same bytes (the shreds are
 * signed: changing their slot would need new signatures).
 *
 * Design (see --help for the options):
 * - EAL first (rte_eal_init), application options after "--"; one TX queue
 *   on --port, driven by the main lcore (one lcore is enough; more are not
 *   used). Every piece of datapath state is in one per-lcore struct on the
 *   port's NUMA socket; no allocation, logging or system call per packet
 *   (the loop prints one stats line per interval, and one warning when the
 *   port takes nothing for a second).
 * - Frames: by default every frame of the set is built once into its own
 *   mbuf (a pool of exactly the set's size, allocated at start) and sent as
 *   is, taking one more reference per send (rte_mbuf_refcnt_update); the
 *   PMD's free drops it. No copy and no allocation per packet, and order is
 *   kept, where a pktgen-style pool of pre-filled mbufs would hand them back
 *   in mempool (LIFO) order. The mbufs are shared and read-only: a PMD or a
 *   net_ring consumer must not write to them. --copy does what testpmd's
 *   txonly does: per burst, allocate fresh mbufs (rte_pktmbuf_alloc_bulk)
 *   from a pool sized to the TX ring and copy each frame in, from a store on
 *   the port's socket; the PMD owns them after tx_burst.
 * - Pacing: burst k may leave once the TSC reaches t0 + k x frames x hz /
 *   rate (an absolute schedule in 32.32 fixed point: no drift, no division
 *   per burst); a sender more than 1 ms behind its schedule restarts it
 *   from now rather than bursting to catch up. --rate 0: no pacing.
 *   The wait is a TSC busy-poll (--pace spin, the default) or, with --pace
 *   sleep, a clock_nanosleep to ~1 us before the burst's time (timer slack
 *   1 ns): at a low rate (100k frames/s in bursts of 1: a frame every
 *   10 us) spinning would take a core from a 2-core machine's program
 *   under test (its server and client threads) for nothing.
 * - What the PMD does not take: rte_eth_tx_burst may take fewer frames
 *   than offered (ring full). By default the rest stays pending and is
 *   offered again, first, before any new frame: the stream keeps its order
 *   and loses nothing, and the sender slows to what the port takes
 *   ("shortBursts" counts the calls that came back short). With --drop the
 *   rest is freed and counted as dropped, as txonly does. Frames still
 *   pending when the run stops (duration, signal) are freed and counted as
 *   dropped. Always: offered = sent + dropped.
 * - Counts: "sent" = frames the PMD took; "gbps" = their bits (Ethernet
 *   header to the end of the payload, as rte_eth_stats' obytes, no FCS);
 *   "wireGbps" = the line load: each frame padded to 60 bytes, plus FCS (4),
 *   preamble and SFD (8) and inter-frame gap (12): 24 bytes more per frame.
 * - --garbage makes runts (truncated frames, down to 1 byte): they are sent
 *   as they are in sof-gen's pcap; a NIC pads them to 60 bytes, and some
 *   refuse frames under 17 bytes.
 *
 * Exit status (as sofd): 0 after a clean stop (--count, --duration,
 * SIGINT/SIGTERM), 1 when generating the set or writing a side output
 * failed, 2 on a usage, setup or port error (options, EAL, no such port,
 * memory, nothing to send). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_mempool.h>
#include <rte_pause.h>

#include "util/sof_json.h"

#include "sof_gen_core.h"

#define PROG "sof-gen-tx"

#define BURST_MAX        512U      /* --burst bound (testpmd's MAX_PKT_BURST) */
#define RATE_MAX         1000000000ULL /* 1 Gpps: beyond any port */
#define MAX_FRAMES_LIMIT (1ULL << 24) /* --max-frames bound: 16 Mi frames, ~24 GiB of mbufs */
#define ETH_MIN_FRAME    60U       /* without FCS: shorter frames are padded on the wire */
#define WIRE_OVERHEAD    24U       /* FCS 4 + preamble/SFD 8 + inter-frame gap 12 */
#define LAG_MAX_US       1000U     /* further behind the schedule: restart it */
#define PACE_SLEEP_MIN_US 3        /* --pace sleep: sleep when a burst is due further ahead */
#define LINK_WAIT_MS     5000U     /* wait for the link after start */
#define DRAIN_WAIT_MS    200U      /* wait for the port to report the frames sent */
#define POOL_CACHE       256U      /* --copy pool: per-lcore cache */
#define STORE_ALIGN      64U       /* --copy store: each frame on a cache line */

/* Set by the signal handler, read by the loops. Nothing else happens in
 * the handler. */
static volatile sig_atomic_t quit_signal;

static void
on_signal(int sig) {
  quit_signal = sig;
}

/* ---- options ------------------------------------------------------------- */

enum {
  OPT_RATE = SOF_GEN_OPT_EXTRA, OPT_BURST, OPT_DURATION, OPT_COUNT, OPT_PORT, OPT_TXD,
  OPT_STATS, OPT_COPY, OPT_DROP, OPT_MAX_FRAMES, OPT_PACE,
};

typedef struct {
  uint64_t rate;           /* frames per second; 0: as fast as possible */
  uint32_t burst;
  double   duration;       /* seconds; 0: no limit */
  uint64_t count;          /* frames to offer; 0: no limit */
  uint16_t port;
  uint16_t txd;            /* TX descriptors; 0: the PMD's preference */
  double   stats_interval; /* seconds; 0: no periodic lines */
  int      copy;
  int      drop;
  uint64_t max_frames;
  int      pace_sleep;     /* --pace sleep: wait for a burst's time in clock_nanosleep */
} tx_opts_t;

static void
usage(FILE *f) {
  fputs(
    "usage: sof-gen-tx [EAL options] -- [options]\n"
    "\n"
    "sof-gen's transmit mode (a DPDK application, like testpmd's txonly):\n"
    "generates the frames of N unique slots once, in memory, exactly as\n"
    "sof-gen would write them to a pcap with the same options, then sends\n"
    "them out of a DPDK port pass after pass (one pass is sof-gen's pcap,\n"
    "frame for frame; later passes repeat the same bytes) at a target rate,\n"
    "in bursts paced by the TSC. Prints a JSON line each --stats-interval\n"
    "({\"type\":\"tx_stats\",...,\"pps\",\"gbps\",\"wireGbps\"}) and a final\n"
    "{\"type\":\"tx_summary\",...} to stdout; the generator's summary and\n"
    "messages go to stderr.\n"
    "\n"
    "  sof-gen-tx -l 1 --vdev net_null0 -- --rate 1000000 --duration 5\n"
    "  sof-gen-tx -l 1 --vdev net_pcap0,tx_pcap=out.pcap -- --count 1024\n"
    "  sof-gen-tx -l 1 -a 0000:03:00.0 -- --slots 16 --rate 2000000 --leader-schedule s.json\n"
    "\n"
    "transmit:\n"
    "      --port N                 DPDK port to send from (default 0; also\n"
    "                               --port-id N, as sofd)\n"
    "      --rate PPS               target frames per second; k, M, G suffixes\n"
    "                               (1.5M); 0 = as fast as possible (default)\n"
    "      --burst N                frames per rte_eth_tx_burst call, 1..512\n"
    "                               (default 32)\n"
    "      --duration SEC           stop after SEC seconds (decimals allowed)\n"
    "      --count N                stop after offering N frames (N = the\n"
    "                               frames per pass printed at start: one pass).\n"
    "                               Without --duration or --count: until\n"
    "                               SIGINT / SIGTERM\n"
    "      --stats-interval SEC     a tx_stats line every SEC seconds (default 1;\n"
    "                               0: none)\n"
    "      --txd N                  TX descriptors (default: the PMD's preference,\n"
    "                               else 1024)\n"
    "      --copy                   copy each frame into a fresh mbuf per burst\n"
    "                               (testpmd txonly's way); default: send the\n"
    "                               precomputed mbufs themselves, one more\n"
    "                               reference per send (no copy; they are shared\n"
    "                               and must not be written to: use --copy for a\n"
    "                               net_ring whose consumer modifies packets)\n"
    "      --drop                   frames the port does not take are freed and\n"
    "                               counted as dropped (txonly's way); default:\n"
    "                               offered again, in order, before new frames\n"
    "      --max-frames N           refuse a set of more than N frames (default\n"
    "                               1048576, at most 16777216)\n"
    "      --pace spin|sleep        how the sender waits for a burst's time:\n"
    "                               spin (default) busy-polls the TSC, the\n"
    "                               most exact, but takes its core whole;\n"
    "                               sleep waits in clock_nanosleep (timer\n"
    "                               slack 1 ns) when the burst is due over\n"
    "                               " RTE_STR(PACE_SLEEP_MIN_US) " us ahead, so at low rates the core\n"
    "                               stays free for the program under test\n"
    "\n"
    "output:\n",
    f);
  sof_gen_usage_outputs(f);
  sof_gen_usage_content(f);
  fputs(
    "\n"
    "  -h, --help                   this text\n"
    "\n"
    "Gbps counts frame bits as rte_eth_stats' obytes (no FCS); wireGbps adds\n"
    "the 24 bytes a frame takes on the line (FCS, preamble, SFD, inter-frame\n"
    "gap) and pads frames to 60 bytes. A summary's offered = sent + dropped.\n"
    "\n"
    "Exit status: 0 after a clean stop (count, duration, SIGINT / SIGTERM), 1\n"
    "when generating the frames or writing a side output failed, 2 on a usage,\n"
    "setup or port error.\n",
    f);
}

/* A non-negative decimal number with an optional k / M / G suffix (x1e3,
 * 1e6, 1e9 when scale is set), at most hi. */
static int
parse_num(char const *opt, char const *s, int scale, double hi, char const *what, double *out) {
  char * end;
  errno = 0;
  double v = s[0] && s[0] != '-' && s[0] != '+' && s[0] != ' ' ? strtod(s, &end) : NAN;
  if (!isnan(v) && scale && *end) {
    if (*end == 'k' || *end == 'K') v *= 1e3, end++;
    else if (*end == 'M') v *= 1e6, end++;
    else if (*end == 'G') v *= 1e9, end++;
  }
  if (isnan(v) || errno || *end || !(v >= 0.0 && v <= hi)) {
    fprintf(stderr, PROG ": --%s: expected %s, at most %.0f, got '%s'\n", opt, what, hi, s);
    return -1;
  }
  *out = v;
  return 0;
}

static int
tx_opt(void *ctx, int c, char const *arg) {
  tx_opts_t *t = ctx;
  uint64_t   v;
  double     d;
  switch (c) {
  case OPT_RATE:
    if (parse_num("rate", arg, 1, (double)RATE_MAX,
                  "frames per second, a number >= 0 (suffix k, M or G; 0: no pacing)", &d)) {
      return -1;
    }
    t->rate = (uint64_t)(d + 0.5);
    if (d > 0 && !t->rate) t->rate = 1;
    return 0;
  case OPT_BURST:
    if (sof_gen_parse_u64("burst", arg, 1, BURST_MAX, &v)) return -1;
    t->burst = (uint32_t)v;
    return 0;
  case OPT_DURATION:
    if (parse_num("duration", arg, 0, 1e6, "seconds, a number > 0", &d)) return -1;
    if (d <= 0) {
      fprintf(stderr, PROG ": --duration: expected seconds, a number > 0, got '%s'\n", arg);
      return -1;
    }
    t->duration = d;
    return 0;
  case OPT_COUNT: return sof_gen_parse_u64("count", arg, 1, UINT64_MAX / 2, &t->count);
  case OPT_PORT:
    if (sof_gen_parse_u64("port", arg, 0, RTE_MAX_ETHPORTS - 1, &v)) return -1;
    t->port = (uint16_t)v;
    return 0;
  case OPT_TXD:
    if (sof_gen_parse_u64("txd", arg, 0, UINT16_MAX, &v)) return -1;
    t->txd = (uint16_t)v;
    return 0;
  case OPT_STATS:
    return parse_num("stats-interval", arg, 0, 86400, "seconds, a number >= 0 (0: none)",
                     &t->stats_interval);
  case OPT_COPY: t->copy = 1; return 0;
  case OPT_PACE:
    if (!strcmp(arg, "spin")) t->pace_sleep = 0;
    else if (!strcmp(arg, "sleep")) t->pace_sleep = 1;
    else {
      fprintf(stderr, "sof-gen-tx: --pace: '%s' is neither spin nor sleep\n", arg);
      return -1;
    }
    return 0;
  case OPT_DROP: t->drop = 1; return 0;
  case OPT_MAX_FRAMES: return sof_gen_parse_u64("max-frames", arg, 1, MAX_FRAMES_LIMIT, &t->max_frames);
  default: return -1;
  }
}

/* ---- the precomputed set: the generator's sink --------------------------- */

/* Frames as the generator hands them over, packed in one heap buffer. */
typedef struct {
  uint8_t * bytes;
  size_t    used, cap;
  uint64_t *off;
  uint16_t *len;
  uint64_t  n, ncap;
  uint64_t  max;
  uint64_t  bytes_sum; /* frame bytes of one pass */
  uint32_t  len_max;
} frame_set_t;

static uint64_t
wire_bytes(uint32_t len) {
  return (uint64_t)(len < ETH_MIN_FRAME ? ETH_MIN_FRAME : len) + WIRE_OVERHEAD;
}

static int
set_frame(void *ctx, uint64_t t_us, uint8_t const *frame, uint32_t sz) {
  frame_set_t *s = ctx;
  (void)t_us;
  if (quit_signal) {
    fprintf(stderr, PROG ": interrupted while generating\n");
    return -1;
  }
  if (s->n == s->max) {
    fprintf(stderr,
            PROG ": the options make more than %" PRIu64 " frames (--max-frames); lower --slots or "
                 "--txns-per-slot, or raise --max-frames\n",
            s->max);
    return -1;
  }
  size_t at = (s->used + STORE_ALIGN - 1) & ~(size_t)(STORE_ALIGN - 1);
  if (at + sz > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : (size_t)1 << 20;
    while (cap < at + sz) cap *= 2;
    uint8_t *b = realloc(s->bytes, cap);
    if (!b) goto oom;
    s->bytes = b;
    s->cap   = cap;
  }
  if (s->n == s->ncap) {
    uint64_t  ncap = s->ncap ? s->ncap * 2 : 4096;
    uint64_t *off  = realloc(s->off, ncap * sizeof *off);
    if (!off) goto oom;
    s->off = off;
    uint16_t *len = realloc(s->len, ncap * sizeof *len);
    if (!len) goto oom;
    s->len  = len;
    s->ncap = ncap;
  }
  memcpy(s->bytes + at, frame, sz);
  s->off[s->n] = at;
  s->len[s->n] = (uint16_t)sz;
  s->n++;
  s->used = at + sz;
  s->bytes_sum += sz;
  if (sz > s->len_max) s->len_max = sz;
  return 0;
oom:
  fprintf(stderr, PROG ": out of memory after %" PRIu64 " frames\n", s->n);
  return -1;
}

static void
set_free(frame_set_t *s) {
  free(s->bytes);
  free(s->off);
  free(s->len);
}

/* ---- the transmit lcore -------------------------------------------------- */

typedef struct {
  uint64_t offered;      /* frames prepared and offered to the PMD */
  uint64_t sent;         /* frames the PMD took */
  uint64_t dropped;      /* frames given up: refused with --drop, or pending at stop */
  uint64_t bytes;        /* frame bytes sent */
  uint64_t wire;         /* line bytes sent */
  uint64_t short_bursts; /* rte_eth_tx_burst calls that took fewer than offered */
  uint64_t alloc_fail;   /* --copy: bursts without mbufs (pool empty), retried */
  uint64_t behind;       /* times the sender fell over 1 ms behind the rate and restarted it */
  uint64_t sleeps;       /* --pace sleep: clock_nanosleep calls */
} tx_counts_t;

enum { STOP_NONE, STOP_COUNT, STOP_DURATION, STOP_SIGNAL };

/* Everything the loop touches, on the port's socket. */
typedef struct {
  uint16_t port, queue;
  uint32_t burst;
  int      drop;
  /* the set: default mode */
  struct rte_mbuf **frames;
  /* the set: --copy */
  struct rte_mempool *pool;
  uint8_t *           store;
  uint64_t *          off;
  uint16_t *          len;   /* both modes */
  uint64_t            n;     /* frames per pass */
  uint64_t            next;  /* the next frame's index */
  /* limits */
  uint64_t count;            /* 0: none */
  uint64_t tsc_end;          /* 0: none */
  /* pacing: burst may leave at t0 + (sched * tpp_fp >> 32) */
  unsigned __int128 tpp_fp;  /* TSC cycles per frame, 32.32 fixed point; 0: no pacing */
  uint64_t          t0, sched, lag_max;
  uint64_t          sleep_min; /* --pace sleep: TSC cycles; 0: spin */
  /* stats */
  uint64_t    hz, tsc_start, tsc_stop, stats_every, next_stats;
  tx_counts_t c, c_last;
  uint64_t    tsc_last;
  uint64_t    tsc_taken;     /* the port last took a frame */
  int         stall_warned;  /* said so once: the port has taken nothing for a second */
  int         stop;
  /* the burst being offered */
  uint32_t         pend_off, pend_cnt;
  struct rte_mbuf *pkts[BURST_MAX];
  uint16_t         lens[BURST_MAX];
} __rte_cache_aligned tx_lcore_t;

/* --pace sleep: give the core away until about 1 us before the burst is
 * due (the rest is spun: a wake-up takes a few us). One system call per
 * burst, none per frame. */
static void
pace_sleep(tx_lcore_t *lc, uint64_t cycles) {
  uint64_t ns = (uint64_t)((unsigned __int128)cycles * 1000000000U / lc->hz);
  if (ns <= 1000) return;
  ns -= 1000;
  struct timespec d = {.tv_sec = (time_t)(ns / 1000000000U), .tv_nsec = (long)(ns % 1000000000U)};
  lc->c.sleeps++;
  clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL);
}

static void
print_stats(tx_lcore_t *lc, uint64_t now) {
  double dt = (double)(now - lc->tsc_last) / (double)lc->hz;
  if (dt <= 0) return;
  tx_counts_t const *c = &lc->c, *l = &lc->c_last;
  printf("{\"type\":\"tx_stats\",\"time\":%.3f,\"pps\":%.0f,\"gbps\":%.3f,\"wireGbps\":%.3f,"
         "\"sent\":%" PRIu64 ",\"dropped\":%" PRIu64 "}\n",
         (double)(now - lc->tsc_start) / (double)lc->hz, (double)(c->sent - l->sent) / dt,
         (double)(c->bytes - l->bytes) * 8 / dt / 1e9, (double)(c->wire - l->wire) * 8 / dt / 1e9,
         c->sent, c->dropped);
  fflush(stdout);
  lc->c_last   = *c;
  lc->tsc_last = now;
}

/* Fills lc->pkts with the next b frames of the set. Returns 0, or -1 when
 * --copy finds the pool empty (nothing taken; try again). */
static inline int
prepare(tx_lcore_t *lc, uint32_t b) {
  uint64_t i = lc->next;
  if (lc->frames) {
    for (uint32_t k = 0; k < b; k++) {
      struct rte_mbuf *m = lc->frames[i];
      rte_mbuf_refcnt_update(m, 1); /* ours stays; the PMD frees the other */
      lc->pkts[k] = m;
      lc->lens[k] = lc->len[i];
      if (++i == lc->n) i = 0;
    }
  } else {
    if (unlikely(rte_pktmbuf_alloc_bulk(lc->pool, lc->pkts, b))) return -1;
    for (uint32_t k = 0; k < b; k++) {
      struct rte_mbuf *m   = lc->pkts[k];
      uint16_t         len = lc->len[i];
      rte_memcpy(rte_pktmbuf_mtod(m, void *), lc->store + lc->off[i], len);
      m->data_len = len;
      m->pkt_len  = len;
      lc->lens[k] = len;
      if (++i == lc->n) i = 0;
    }
  }
  lc->next = i;
  return 0;
}

static void
tx_loop(tx_lcore_t *lc) {
  uint64_t now   = rte_rdtsc();
  lc->tsc_start  = now;
  lc->tsc_last   = now;
  lc->t0         = now;
  lc->tsc_taken  = now;
  lc->next_stats = lc->stats_every ? now + lc->stats_every : UINT64_MAX;
  if (lc->tsc_end) lc->tsc_end += now;

  for (;;) {
    now = rte_rdtsc();
    if (unlikely(now >= lc->next_stats)) {
      print_stats(lc, now);
      lc->next_stats += lc->stats_every;
      if (lc->next_stats <= now) lc->next_stats = now + lc->stats_every;
    }
    if (unlikely(quit_signal)) {
      lc->stop = STOP_SIGNAL;
      break;
    }
    if (unlikely(lc->tsc_end && now >= lc->tsc_end)) {
      lc->stop = STOP_DURATION;
      break;
    }
    if (!lc->pend_cnt) { /* a new burst */
      uint32_t b = lc->burst;
      if (lc->count) {
        if (lc->c.offered == lc->count) {
          lc->stop = STOP_COUNT;
          break;
        }
        if (lc->count - lc->c.offered < b) b = (uint32_t)(lc->count - lc->c.offered);
      }
      if (lc->tpp_fp) {
        uint64_t due = lc->t0 + (uint64_t)(lc->sched * lc->tpp_fp >> 32);
        if (now < due) {
          if (lc->sleep_min && due - now > lc->sleep_min) pace_sleep(lc, due - now);
          else rte_pause();
          continue;
        }
        if (unlikely(now - due > lc->lag_max)) { /* too far behind: restart the schedule */
          lc->t0    = now;
          lc->sched = 0;
          lc->c.behind++;
        }
      }
      if (unlikely(prepare(lc, b))) {
        lc->c.alloc_fail++;
        continue;
      }
      lc->sched += b;
      lc->c.offered += b;
      lc->pend_off = 0;
      lc->pend_cnt = b;
    }
    uint16_t n = rte_eth_tx_burst(lc->port, lc->queue, lc->pkts + lc->pend_off, (uint16_t)lc->pend_cnt);
    for (uint16_t k = 0; k < n; k++) {
      uint16_t len = lc->lens[lc->pend_off + k];
      lc->c.bytes += len;
      lc->c.wire += wire_bytes(len);
    }
    lc->c.sent += n;
    lc->pend_off += n;
    lc->pend_cnt -= n;
    if (likely(n)) {
      lc->tsc_taken    = now;
      lc->stall_warned = 0;
    } else if (unlikely(now - lc->tsc_taken > lc->hz && !lc->stall_warned)) {
      fprintf(stderr, PROG ": warning: port %u has taken no frame for a second (link down? a ring nobody "
                           "reads?); %s\n", lc->port, lc->drop ? "dropping" : "still offering");
      lc->stall_warned = 1;
    }
    if (unlikely(lc->pend_cnt)) {
      lc->c.short_bursts++;
      if (lc->drop) {
        rte_pktmbuf_free_bulk(lc->pkts + lc->pend_off, lc->pend_cnt);
        lc->c.dropped += lc->pend_cnt;
        lc->pend_cnt = 0;
      }
    }
  }
  lc->tsc_stop = rte_rdtsc();
  if (lc->pend_cnt) { /* stopped with frames the port has not taken */
    rte_pktmbuf_free_bulk(lc->pkts + lc->pend_off, lc->pend_cnt);
    lc->c.dropped += lc->pend_cnt;
    lc->pend_cnt = 0;
  }
}

/* A number with a fixed count of decimals, as a JSON value. */
static void
json_num(sof_json_t *j, char const *key, double v, int decimals) {
  char b[48];
  int  n = snprintf(b, sizeof b, "%.*f", decimals, v);
  sof_json_key(j, key);
  sof_json_raw(j, b, n > 0 && (size_t)n < sizeof b ? (size_t)n : 0);
}

static void
json_u64(sof_json_t *j, char const *key, uint64_t v) {
  sof_json_key(j, key);
  sof_json_u64(j, v);
}

/* The closing line: what was asked, what happened, the port's counters. */
static void
print_summary(tx_opts_t const *t, tx_lcore_t const *lc, char const *dev, uint16_t txd, uint64_t frames_per_pass,
              uint64_t bytes_per_pass, double secs, struct rte_eth_stats const *st0,
              struct rte_eth_stats const *st1) {
  tx_counts_t const *c = &lc->c;
  char               buf[1024];
  sof_json_t         j;
  sof_json_init(&j, buf, sizeof buf);
  sof_json_obj_begin(&j);
  sof_json_key(&j, "type");      sof_json_str(&j, "tx_summary");
  json_u64(&j, "port", t->port);
  sof_json_key(&j, "device");    sof_json_str(&j, dev);
  sof_json_key(&j, "mode");      sof_json_str(&j, t->copy ? "copy" : "zero_copy");
  sof_json_key(&j, "onRefused"); sof_json_str(&j, t->drop ? "drop" : "retry");
  json_u64(&j, "rate", t->rate);
  json_u64(&j, "burst", t->burst);
  json_u64(&j, "txd", txd);
  json_u64(&j, "framesPerPass", frames_per_pass);
  json_u64(&j, "bytesPerPass", bytes_per_pass);
  json_num(&j, "passes", (double)c->offered / (double)frames_per_pass, 3);
  json_u64(&j, "offered", c->offered);
  json_u64(&j, "sent", c->sent);
  json_u64(&j, "dropped", c->dropped);
  json_u64(&j, "shortBursts", c->short_bursts);
  json_u64(&j, "allocFailures", c->alloc_fail);
  json_u64(&j, "behind", c->behind);
  json_u64(&j, "sleeps", c->sleeps);
  json_u64(&j, "bytes", c->bytes);
  json_num(&j, "seconds", secs, 3);
  json_num(&j, "pps", secs > 0 ? (double)c->sent / secs : 0, 0);
  json_num(&j, "gbps", secs > 0 ? (double)c->bytes * 8 / secs / 1e9 : 0, 3);
  json_num(&j, "wireGbps", secs > 0 ? (double)c->wire * 8 / secs / 1e9 : 0, 3);
  sof_json_key(&j, "stop");
  sof_json_str(&j, lc->stop == STOP_COUNT      ? "count"
                   : lc->stop == STOP_DURATION ? "duration"
                   : quit_signal == SIGTERM    ? "sigterm"
                                               : "sigint");
  sof_json_key(&j, "portStats");
  sof_json_obj_begin(&j);
  json_u64(&j, "opackets", st1->opackets - st0->opackets);
  json_u64(&j, "obytes", st1->obytes - st0->obytes);
  json_u64(&j, "oerrors", st1->oerrors - st0->oerrors);
  sof_json_obj_end(&j);
  sof_json_obj_end(&j);
  sof_json_newline(&j);
  if (sof_json_ok(&j)) fwrite(j.buf, 1, j.len, stdout);
  fflush(stdout);
}

/* ---- port ---------------------------------------------------------------- */

static void
list_ports(FILE *f) {
  uint16_t p;
  int      any = 0;
  RTE_ETH_FOREACH_DEV(p) {
    char name[RTE_ETH_NAME_MAX_LEN];
    if (rte_eth_dev_get_name_by_port(p, name)) snprintf(name, sizeof name, "?");
    fprintf(f, "%s%u (%s)", any ? ", " : "", p, name);
    any = 1;
  }
  if (!any) fputs("none (add one: --vdev net_null0, --vdev net_pcap0,tx_pcap=FILE, -a PCI_ADDRESS)", f);
}

/* Configures the port for one TX queue and no RX queue; *txd: the TX ring
 * size (--txd, else the PMD's preference, else 1024, as the PMD adjusts
 * it). Returns 0, or -1 with a message printed. */
static int
port_configure(tx_opts_t const *t, char const *dev, uint16_t *txd) {
  uint16_t                port = t->port;
  struct rte_eth_dev_info info;
  int                     rc = rte_eth_dev_info_get(port, &info);
  if (rc) {
    fprintf(stderr, PROG ": port %u (%s): cannot read its device info: %s\n", port, dev, rte_strerror(-rc));
    return -1;
  }
  if (info.max_tx_queues < 1) {
    fprintf(stderr, PROG ": port %u (%s): the device has no TX queue\n", port, dev);
    return -1;
  }
  struct rte_eth_conf conf;
  memset(&conf, 0, sizeof conf); /* no offload: the frames are complete, checksums included */
  rc = rte_eth_dev_configure(port, 0, 1, &conf);
  if (rc) {
    fprintf(stderr, PROG ": port %u (%s): cannot configure one TX queue: %s\n", port, dev, rte_strerror(-rc));
    return -1;
  }
  uint16_t mtu;
  if (!rte_eth_dev_get_mtu(port, &mtu) && mtu < SOF_GEN_FRAME_MAX - RTE_ETHER_HDR_LEN) {
    fprintf(stderr, PROG ": port %u (%s): MTU %u is below the %u bytes of the largest shred packet\n", port,
            dev, mtu, SOF_GEN_FRAME_MAX - RTE_ETHER_HDR_LEN);
    return -1;
  }
  *txd = t->txd ? t->txd : info.default_txportconf.ring_size ? info.default_txportconf.ring_size : 1024;
  rc   = rte_eth_dev_adjust_nb_rx_tx_desc(port, NULL, txd);
  if (rc) {
    fprintf(stderr, PROG ": port %u (%s): cannot use %u TX descriptors: %s\n", port, dev, *txd,
            rte_strerror(-rc));
    return -1;
  }
  return 0;
}

/* Sets the TX queue up, starts the port and waits for its link. Returns 0,
 * or -1 with a message printed. */
static int
port_start(tx_opts_t const *t, char const *dev, int socket, uint16_t txd) {
  uint16_t                port = t->port;
  struct rte_eth_dev_info info;
  int                     rc = rte_eth_dev_info_get(port, &info);
  struct rte_eth_txconf   txconf;
  if (!rc) txconf = info.default_txconf;
  else memset(&txconf, 0, sizeof txconf);
  txconf.offloads = 0;
  rc = rte_eth_tx_queue_setup(port, 0, txd, (unsigned)socket, &txconf);
  if (rc) {
    fprintf(stderr, PROG ": port %u (%s): TX queue setup (%u descriptors) failed: %s\n", port, dev, txd,
            rte_strerror(-rc));
    return -1;
  }
  rc = rte_eth_dev_start(port);
  if (rc) {
    fprintf(stderr, PROG ": port %u (%s): cannot start: %s\n", port, dev, rte_strerror(-rc));
    return -1;
  }
  struct rte_eth_link link;
  memset(&link, 0, sizeof link);
  for (unsigned ms = 0;; ms += 100) { /* a NIC may take seconds to bring its link up */
    if (rte_eth_link_get_nowait(port, &link)) break;
    if (link.link_status == RTE_ETH_LINK_UP || ms >= LINK_WAIT_MS || quit_signal) break;
    rte_delay_ms(100);
  }
  if (link.link_status != RTE_ETH_LINK_UP) {
    fprintf(stderr, PROG ": warning: port %u (%s): link down after %u s; sending anyway\n", port, dev,
            LINK_WAIT_MS / 1000);
  }
  return 0;
}

/* ---- the set in DPDK memory ---------------------------------------------- */

/* Puts the set where the loop reads it, on socket: the frame lengths, and
 * either one mbuf per frame (default) or a frame store and a TX pool
 * (--copy). Returns 0, or -1 with a message printed. */
static int
set_load(tx_lcore_t *lc, tx_opts_t const *t, frame_set_t const *set, int socket, uint16_t txd) {
  uint16_t *len = rte_malloc_socket("sof_gen_tx_len", set->n * sizeof *len, 0, socket);
  if (!len) goto oom;
  memcpy(len, set->len, set->n * sizeof *len);
  lc->len = len;
  lc->n   = set->n;

  /* The pool: the set itself (default), or the TX ring, two bursts in
   * hand and the lcore cache (--copy, as testpmd sizes its pools). */
  uint16_t data_room = (uint16_t)(RTE_PKTMBUF_HEADROOM + set->len_max);
  uint64_t nb_mbufs  = set->n;
  if (t->copy) nb_mbufs = rte_align64pow2((uint64_t)txd + 2 * t->burst + POOL_CACHE + 1) - 1; /* 2^n - 1 */
  lc->pool = rte_pktmbuf_pool_create("sof_gen_tx", (unsigned)nb_mbufs, t->copy ? POOL_CACHE : 0, 0, data_room,
                                     socket);
  if (!lc->pool) {
    double mib = (double)nb_mbufs * (double)(sizeof(struct rte_mbuf) + data_room) / (1 << 20);
    fprintf(stderr,
            PROG ": cannot create a pool of %" PRIu64 " mbufs (~%.0f MiB) on socket %d: %s; give EAL more "
                 "memory (-m, hugepages)%s\n",
            nb_mbufs, mib, socket, rte_strerror(rte_errno), t->copy ? "" : " or make fewer frames (--slots)");
    return -1;
  }

  if (t->copy) {
    uint64_t *off   = rte_malloc_socket("sof_gen_tx_off", set->n * sizeof *off, 0, socket);
    uint8_t * store = rte_malloc_socket("sof_gen_tx_store", set->used, STORE_ALIGN, socket);
    lc->off         = off;
    lc->store       = store;
    if (!off || !store) goto oom;
    memcpy(off, set->off, set->n * sizeof *off);
    memcpy(store, set->bytes, set->used);
    return 0;
  }
  lc->frames = rte_zmalloc_socket("sof_gen_tx_frames", set->n * sizeof *lc->frames, 0, socket);
  if (!lc->frames) goto oom;
  for (uint64_t i = 0; i < set->n; i++) {
    struct rte_mbuf *m = rte_pktmbuf_alloc(lc->pool);
    if (!m) goto oom; /* cannot happen: the pool has one mbuf per frame */
    rte_memcpy(rte_pktmbuf_mtod(m, void *), set->bytes + set->off[i], set->len[i]);
    m->data_len   = set->len[i];
    m->pkt_len    = set->len[i];
    lc->frames[i] = m;
  }
  return 0;
oom:
  fprintf(stderr, PROG ": out of DPDK memory on socket %d for the %" PRIu64 "-frame set (EAL -m)\n", socket,
          set->n);
  return -1;
}

/* Frees what set_load allocated; the port must be stopped (it holds no
 * frame any more: ours are the last references). */
static void
set_unload(tx_lcore_t *lc) {
  if (lc->frames) {
    for (uint64_t i = 0; i < lc->n && lc->frames[i]; i++) {
      rte_mbuf_refcnt_set(lc->frames[i], 1);
      rte_pktmbuf_free(lc->frames[i]);
    }
  }
  rte_free(lc->frames);
  rte_mempool_free(lc->pool);
  rte_free(lc->store);
  rte_free(lc->off);
  rte_free(lc->len);
}

/* ---- main ---------------------------------------------------------------- */

/* Parses the application's options: 0 to run, 1 for --help, -1 on a usage
 * error (message printed). */
static int
parse(int argc, char **argv, sof_gen_opts_t *o, tx_opts_t *t) {
  static struct option const tx_long[] = {
    { "rate", required_argument, NULL, OPT_RATE },
    { "burst", required_argument, NULL, OPT_BURST },
    { "duration", required_argument, NULL, OPT_DURATION },
    { "count", required_argument, NULL, OPT_COUNT },
    { "port", required_argument, NULL, OPT_PORT },
    { "port-id", required_argument, NULL, OPT_PORT }, /* sofd's name */
    { "txd", required_argument, NULL, OPT_TXD },
    { "stats-interval", required_argument, NULL, OPT_STATS },
    { "copy", no_argument, NULL, OPT_COPY },
    { "pace", required_argument, NULL, OPT_PACE },
    { "drop", no_argument, NULL, OPT_DROP },
    { "max-frames", required_argument, NULL, OPT_MAX_FRAMES },
    { NULL, 0, NULL, 0 },
  };
  *t = (tx_opts_t){ .burst = 32, .stats_interval = 1.0, .max_frames = 1U << 20 };
  sof_gen_extra_t extra = { .longopts = tx_long, .shortopts = "", .fn = tx_opt, .ctx = t };
  o->prog = PROG;
  int rc  = sof_gen_parse(o, argc, argv, &extra);
  if (!rc && !rte_eth_dev_is_valid_port(t->port)) {
    fprintf(stderr, PROG ": --port %u: no such port; ports: ", t->port);
    list_ports(stderr);
    fputc('\n', stderr);
    rc = -1;
  }
  return rc;
}

static int
run(int argc, char **argv) {
  static sof_gen_opts_t o;
  tx_opts_t             t;
  int                   prc = parse(argc, argv, &o, &t);
  if (prc > 0) {
    usage(stdout);
    return 0;
  }
  if (prc < 0) {
    fprintf(stderr, "Try '" PROG " -- --help'.\n");
    return 2;
  }
  if (rte_lcore_count() > 1) {
    fprintf(stderr, PROG ": note: only the main lcore (%u) sends; the other %u lcores stay idle\n",
            rte_get_main_lcore(), rte_lcore_count() - 1);
  }
  char dev[RTE_ETH_NAME_MAX_LEN];
  if (rte_eth_dev_get_name_by_port(t.port, dev)) snprintf(dev, sizeof dev, "?");

  /* The set, generated once: every frame of one pass, in order. */
  frame_set_t set = { .max = t.max_frames };
  if (sof_gen_run(&o, set_frame, &set)) {
    set_free(&set);
    return 1;
  }
  if (!set.n) {
    set_free(&set);
    fprintf(stderr, PROG ": the options produce no frame to send\n");
    return 2;
  }
  uint64_t const frames_per_pass = set.n, bytes_per_pass = set.bytes_sum;

  int socket = rte_eth_dev_socket_id(t.port);
  if (socket < 0) socket = (int)rte_socket_id();
  int         rc      = 2;
  int         started = 0;
  uint16_t    txd     = 0;
  tx_lcore_t *lc      = rte_zmalloc_socket("sof_gen_tx_lcore", sizeof *lc, RTE_CACHE_LINE_SIZE, socket);
  if (!lc) {
    fprintf(stderr, PROG ": out of DPDK memory on socket %d (EAL -m)\n", socket);
    set_free(&set);
    return 2;
  }
  if (port_configure(&t, dev, &txd) || set_load(lc, &t, &set, socket, txd)) goto out;
  set_free(&set);
  memset(&set, 0, sizeof set);
  if (port_start(&t, dev, socket, txd)) goto out;
  started = 1;

  lc->port        = t.port;
  lc->queue       = 0;
  lc->burst       = t.burst;
  lc->drop        = t.drop;
  lc->count       = t.count;
  lc->hz          = rte_get_tsc_hz();
  lc->tsc_end     = t.duration > 0 ? RTE_MAX((uint64_t)(t.duration * (double)lc->hz), 1ULL) : 0;
  lc->stats_every = t.stats_interval > 0 ? RTE_MAX((uint64_t)(t.stats_interval * (double)lc->hz), 1ULL) : 0;
  lc->lag_max     = lc->hz / 1000000 * LAG_MAX_US;
  if (t.rate) lc->tpp_fp = ((unsigned __int128)lc->hz << 32) / t.rate;
  if (t.rate && t.pace_sleep) {
    lc->sleep_min = lc->hz / 1000000 * PACE_SLEEP_MIN_US;
    /* the default 50 us timer slack would make every sleep that much late */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  }

  char rate_s[32] = "as fast as possible";
  if (t.rate) snprintf(rate_s, sizeof rate_s, "%" PRIu64 " pps", t.rate);
  fprintf(stderr,
          PROG ": port %u (%s, socket %d, %u TX descriptors): %" PRIu64 " frames per pass (%" PRIu64
               " bytes), %s, burst %u, %s%s\n",
          t.port, dev, socket, txd, frames_per_pass, bytes_per_pass, rate_s, t.burst,
          t.copy ? "copy mode" : "zero-copy (shared mbufs)", t.drop ? ", --drop" : "");

  struct rte_eth_stats st0, st1;
  rte_eth_stats_reset(t.port); /* may be unsupported: the baseline covers it */
  if (rte_eth_stats_get(t.port, &st0)) memset(&st0, 0, sizeof st0);

  tx_loop(lc);

  /* Give the port a moment to count what it was given (a NIC's ring drains). */
  memset(&st1, 0, sizeof st1);
  for (unsigned ms = 0; ms <= DRAIN_WAIT_MS; ms++) {
    if (rte_eth_stats_get(t.port, &st1)) {
      memset(&st1, 0, sizeof st1);
      break;
    }
    if (st1.opackets - st0.opackets + st1.oerrors - st0.oerrors >= lc->c.sent) break;
    rte_delay_ms(1);
  }
  double secs = (double)(lc->tsc_stop - lc->tsc_start) / (double)lc->hz;
  print_summary(&t, lc, dev, txd, frames_per_pass, bytes_per_pass, secs, &st0, &st1);
  rc = 0;

out:
  if (started) {
    int src = rte_eth_dev_stop(t.port); /* net_pcap closes its file here */
    if (src) fprintf(stderr, PROG ": port %u (%s): stop failed: %s\n", t.port, dev, rte_strerror(-src));
  }
  rte_eth_dev_close(t.port); /* frees what the port still holds */
  set_unload(lc);
  rte_free(lc);
  set_free(&set);
  return rc;
}

int
main(int argc, char **argv) {
  /* -h / --help, before or after "--", prints this program's usage and
   * needs no EAL (as sofd). */
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      usage(stdout);
      return 0;
    }
  }

  int ret = rte_eal_init(argc, argv);
  if (ret < 0) {
    fprintf(stderr,
            PROG ": EAL initialisation failed: %s (see EAL's messages above; without hugepages: "
                 "--no-huge -m 512)\n",
            rte_strerror(rte_errno));
    return 2;
  }
  argc -= ret;
  argv += ret; /* argv[0] is the program name again, then the application's options */

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  int rc = run(argc, argv);
  rte_eal_cleanup();
  return rc;
}
