/* sof_gen_core.c: the generator shared by sof-gen and sof-gen-tx (see
 * sof_gen_core.h): options, slots, impairments, frames.
 *
 * Builds N slots from a seed: signed transactions (votes and non-votes,
 * legacy and v0) grouped in entries, entries and ticks grouped in entry
 * batches, batches shredded exactly as a current leader does (lib/shredder:
 * chained merkle 32:32 FEC sets, last set of a slot resigned, each slot
 * chained to its parent's last merkle root), and hands the shreds as
 * Ethernet/IPv4/UDP frames to the program's sink (a pcap file, a DPDK
 * port). Optional outputs: ground truth as JSON lines, the leader key
 * pair(s), a leader schedule, a summary.
 *
 * On request the chain has skipped slots and competing forks, and the
 * traffic is impaired (loss, duplicates, reordering, corruption, forged and
 * equivocating sets, wrong shred version, garbage and non-UDP frames); every
 * impairment is written to the truth and counted in the summary.
 *
 * Randomness: every decision draws from its own splitmix64 stream derived
 * from the seed (content, slot plan, and one stream per impairment), so the
 * same options give the same bytes, impairments never change the content,
 * and one impairment's settings never move another's decisions.
 *
 * Pipeline of one FEC set (the leader's genuine 64 shreds, data 0..31 then
 * code 0..31):
 *   1. injected before it: a forged copy (--forge), a wrong-version set
 *      (--wrong-version);
 *   2. each genuine shred: lost (--loss-per-set, --loss), else corrupted
 *      (--corrupt), written, written again (--dup); then maybe one garbage
 *      frame (--garbage);
 *   3. injected after it: an equivocating twin (--equivocate);
 *   4. every frame then passes the reordering window (--reorder).
 * Loss, corruption and duplication act on the leader's genuine shreds only;
 * injected frames arrive intact. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/sof_sha256.h"
#include "gen/sof_txgen.h"
#include "shredder/sof_shredder.h"
#include "util/sof_json.h"
#include "wire/sof_base58.h"
#include "wire/sof_pkt.h"
#include "wire/sof_txn.h"

#include "sof_gen_core.h"

#define ETH_HDR_SZ   14U
#define IP_HDR_SZ    20U
#define IP6_HDR_SZ   40U
#define UDP_HDR_SZ    8U
#define TCP_HDR_SZ   20U
#define FRAME_HDR_SZ (ETH_HDR_SZ + IP_HDR_SZ + UDP_HDR_SZ) /* 42 */
#define FRAME_MAX    (FRAME_HDR_SZ + SOF_SHRED_MAX_SZ)      /* 1270 */
_Static_assert(FRAME_MAX == SOF_GEN_FRAME_MAX, "sof_gen_core.h: SOF_GEN_FRAME_MAX");
#define ETH_MIN_SZ   60U                                    /* without FCS */

#define SLOT_US        400000ULL     /* 400 ms slots */
#define PKT_GAP_US     20ULL

#define HASHES_PER_TICK 12500ULL
#define TICKS_PER_SLOT  64ULL

#define PPM 1000000U

/* Option limits (keep a run bounded and a slot under 32768 data shreds). */
#define MAX_SLOTS          1000000ULL
#define MAX_TXNS_PER_SLOT  20000ULL
#define MAX_BATCHES        1024ULL
#define MAX_TICKS_BETWEEN  1024ULL
#define MAX_TXNS_PER_ENTRY 1024ULL
#define MAX_LEADERS        4096ULL
#define MAX_FORK_LEN       64ULL
#define MAX_REORDER        4096ULL
#define MAX_PARENT_OFF     65535ULL /* parent_offset is a u16 */

/* Stream domains (sof_txgen_mix(seed, domain)). */
#define DOMAIN_SLOT   0x736C6F74ULL /* "slot": entry structure */
#define DOMAIN_ROOT   0x726F6F74ULL /* "root": the first parent's root and hash */
#define DOMAIN_PLAN   0x706C616EULL /* "plan": skipped slots */
#define DOMAIN_IMPAIR 0x696D7072ULL /* "impr": + IMP_*, one stream per impairment */

/* Impairments: one random stream each. */
enum {
  IMP_LOSS, IMP_LOSS_SET, IMP_CORRUPT, IMP_DUP, IMP_REORDER, IMP_FORGE, IMP_EQUIV, IMP_WRONGVER,
  IMP_GARBAGE, IMP_CNT
};

/* Corruption classes: what is flipped, and what a verifier must say. */
enum { COR_SIGNATURE, COR_PAYLOAD, COR_PROOF, COR_VARIANT, COR_INDEX, COR_CNT };
static char const *const cor_name[COR_CNT] = { "signature", "payload", "proof", "variant", "index" };

/* Garbage kinds. */
enum { GAR_ARP, GAR_IPV6, GAR_TCP, GAR_OTHER_PORT, GAR_TRUNCATED, GAR_JUNK_SHORT, GAR_JUNK_VARIANT, GAR_CNT };
static char const *const gar_name[GAR_CNT] = { "arp", "ipv6", "tcp", "other_port", "truncated",
                                               "junk_short", "junk_variant" };

typedef sof_gen_opts_t opts_t;

/* One generated transaction, kept until its batch is shredded (the truth
 * line names the dataset). */
typedef struct {
  uint8_t  sig[64];
  uint8_t  type;
  uint8_t  version;
  uint16_t sz;  /* its bytes: batch buffer + off (the truth lists its keys) */
  uint32_t off;
} txn_rec_t;

/* A frame on its way to the sink: nominal time, bytes. */
typedef struct {
  uint64_t t_us;
  uint32_t sz;
  uint8_t  b[FRAME_MAX];
} frame_t;

/* The end of a branch: what a child slot chains to. */
typedef struct {
  uint64_t slot;
  uint8_t  root[32]; /* last merkle root */
  uint8_t  poh[32];  /* last entry hash */
} tip_t;

/* What the summary counts. */
typedef struct {
  uint64_t slots_produced, slots_skipped, forks, fec_sets, shreds, txns, frames;
  uint64_t lost, lost_per_set, corrupted, corrupted_by[COR_CNT], duplicated, reordered;
  uint64_t forged_sets, equivocated_sets, wrong_version_sets, garbage, garbage_by[GAR_CNT];
} stats_t;

typedef struct {
  opts_t const *     o;
  sof_gen_frame_fn   sink;       /* where the frames go */
  void *             sink_ctx;
  int                sink_err;   /* the sink said stop */
  FILE *             truth;
  sof_shredder_t     shredder;
  sof_shredder_set_t set;        /* the genuine FEC set being written */
  sof_shredder_set_t alt;        /* an injected set: twin or other version */
  sof_txgen_t        txgen;
  sof_txgen_rng_t    rng;        /* structure: entry sizes, hash counts */
  sof_txgen_rng_t    plan;       /* skipped slots */
  sof_txgen_rng_t    imp[IMP_CNT];
  uint8_t (*leader_kp)[64];
  uint8_t            forger_kp[64];
  uint8_t            poh[32];    /* entry hash chain of the slot being built */
  uint8_t            root[32];   /* chained merkle root of the slot being built */
  uint64_t           slot_i;     /* slot - start_slot: its time */
  uint64_t           pkt_in_slot;/* genuine shreds of the slot so far: their time */
  uint64_t           t_nominal;  /* time of the last genuine shred */
  uint16_t           ip_id;      /* genuine shreds, lost ones included */
  uint16_t           inj_ip_id;  /* injected frames */
  frame_t            fr;         /* scratch frames */
  frame_t            junk;
  uint8_t            shred[SOF_SHRED_MAX_SZ];
  frame_t *          win;        /* reordering window, o->reorder frames */
  uint64_t           win_cnt;
  uint32_t *         perm;
  uint64_t           last_ts;
  int                have_ts;
  stats_t            st;
  sof_json_t         j;
  char               line[4096];
  int                io_err;
} gen_t;

/* ---- options ------------------------------------------------------------- */

static char const *prog = "sof-gen"; /* message prefix: the running program */

__attribute__((format(printf, 1, 2))) static void
errf(char const *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: ", prog);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
}

void
sof_gen_usage_outputs(FILE *f) {
  fputs(
    "      --truth FILE             ground truth, JSON lines: one \"config\" line,\n"
    "                               then per slot its \"transaction\" lines (slot,\n"
    "                               signature, kind), \"dataset\" lines (slot,\n"
    "                               startIndex, endIndex, txCount), \"impair\"\n"
    "                               lines (one per impairment event) and a \"slot\"\n"
    "                               line (slot, parent, leader, skipped,\n"
    "                               canonical, roots, counts, blockhash: the\n"
    "                               last entry hash); last a \"summary\"\n"
    "      --leader-key FILE        write the leader key pair: 64 bytes (ed25519\n"
    "                               seed || public key); with --leaders N > 1,\n"
    "                               the N key pairs one after the other\n"
    "      --leader-schedule FILE   write {\"<base58 pubkey>\": [slot offsets]} for\n"
    "                               the generated slots, offsets from\n"
    "                               --epoch-first-slot\n"
    "      --summary FILE           write the summary JSON line there instead of\n"
    "                               to stderr (counts of slots, sets, shreds,\n"
    "                               frames and of every impairment)\n",
    f);
}

void
sof_gen_usage_content(FILE *f) {
  fputs(
    "\n"
    "content:\n"
    "  -n, --slots N                slots to generate (default 4), skipped ones\n"
    "                               included\n"
    "  -s, --seed N                 seed of everything (default 1)\n"
    "      --start-slot N           first slot (default 1); its parent is the\n"
    "                               slot before (slot 0 is its own parent)\n"
    "      --txns-per-slot N        transactions per slot (default 64, max 20000)\n"
    "      --vote-share F           fraction of vote-only transactions, 0..1\n"
    "                               (default 0.8); the rest: vote+transfer,\n"
    "                               transfers, token transfers, v0 with lookups\n"
    "      --batches-per-slot N     entry batches per slot (default 4)\n"
    "      --ticks-between-batches N\n"
    "                               tick entries closing each batch (default 16;\n"
    "                               the last batch of a slot has at least one)\n"
    "      --txns-per-entry N       at most N transactions per entry (default 8)\n"
    "      --shred-version N        shred version (default 1)\n"
    "      --leaders N              leaders taking turns (default 1)\n"
    "      --leader-rotation N      consecutive slots per leader (default 4)\n"
    "      --epoch-first-slot N     first slot of the epoch (default 0): leader\n"
    "                               turns and schedule offsets count from it\n"
    "      --slots-per-epoch N      epochs of N slots from --epoch-first-slot\n"
    "                               (epoch 0 there): each epoch draws its own\n"
    "                               leader order from the seed, and\n"
    "                               --leader-schedule FILE writes one file per\n"
    "                               epoch the slots touch, the epoch number put\n"
    "                               before FILE's extension (sched.json ->\n"
    "                               sched.epoch3.json; no extension: FILE.epoch3),\n"
    "                               offsets from that epoch's first slot\n"
    "                               (--epoch-first-slot + 3 * N)\n"
    "\n"
    "chain:\n"
    "      --skip-rate F            each slot is skipped (its leader sends\n"
    "                               nothing; the next slot's parent reaches back)\n"
    "                               with probability F, 0..1 (default 0); never\n"
    "                               the first slot nor a slot inside a fork\n"
    "      --fork-every N           every N slots (slot offsets N, 2N, ...; 0:\n"
    "                               never, the default) the chain forks: the\n"
    "                               next --fork-length slots build a branch on\n"
    "                               the current tip P, then the following slot\n"
    "                               builds on P too, and that branch goes on and\n"
    "                               becomes the longest (canonical). Both\n"
    "                               branches are shredded by their slots' leaders\n"
    "                               and chained to P's last root. A fork starts\n"
    "                               only with 2 x length + 1 slots left, and not\n"
    "                               inside the previous one\n"
    "      --fork-length N          slots of the losing branch (default 1)\n"
    "\n"
    "impairments (probabilities 0..1, default 0; see the truth's \"impair\" lines):\n"
    "      --loss P                 drop each genuine shred with probability P\n"
    "      --loss-per-set N         drop exactly N of the 64 shreds of every FEC\n"
    "                               set (0..64), chosen at random\n"
    "      --dup P                  send a genuine shred twice (an identical copy\n"
    "                               right after it)\n"
    "      --reorder W              shuffle the frames within consecutive blocks\n"
    "                               of W frames (no frame moves W places or more;\n"
    "                               0, 1: off; max 4096)\n"
    "      --corrupt P              flip bytes of a genuine shred (UDP checksum\n"
    "                               recomputed): its signature, payload or proof\n"
    "                               (a verifier rejects it: invalid_signature,\n"
    "                               invalid_merkle), or its variant or index\n"
    "                               (malformed: bad_variant, bad_index)\n"
    "      --forge P                also send a FEC set re-signed with a wrong key\n"
    "                               (merkle root intact), before the genuine one\n"
    "      --equivocate P           also send a second version of a FEC set, other\n"
    "                               data, signed by the right leader, after it\n"
    "      --wrong-version P        also send a FEC set shredded with another shred\n"
    "                               version (validly signed), before the genuine\n"
    "      --other-shred-version N  that version (default --shred-version + 1)\n"
    "      --garbage P              after a genuine shred, send one junk frame:\n"
    "                               ARP, IPv6, TCP, UDP to another port, a frame\n"
    "                               truncated short, UDP junk too short for a\n"
    "                               shred or with an invalid variant\n"
    "\n"
    "packets:\n"
    "      --src-ip A.B.C.D         source address (default 10.0.0.1)\n"
    "      --dst-ip A.B.C.D         destination address (default 10.0.0.2)\n"
    "      --src-port N             UDP source port (default 8002)\n"
    "      --dst-port N             UDP destination port, the TVU (default 8001)\n",
    f);
}

/* Parses a decimal integer in [lo, hi]; prints the error. */
static int
parse_u64(char const *opt, char const *s, uint64_t lo, uint64_t hi, uint64_t *out) {
  char *end;
  errno = 0;
  if (!s[0] || s[0] == '-' || s[0] == '+' || s[0] == ' ') goto bad;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v < lo || v > hi) goto bad;
  *out = v;
  return 0;
bad:
  errf("--%s: expected an integer in [%" PRIu64 ", %" PRIu64 "], got '%s'\n", opt, lo, hi, s);
  return -1;
}

int
sof_gen_parse_u64(char const *opt, char const *s, uint64_t lo, uint64_t hi, uint64_t *out) {
  return parse_u64(opt, s, lo, hi, out);
}

static int
parse_ip(char const *opt, char const *s, uint32_t *out) {
  struct in_addr a;
  if (inet_pton(AF_INET, s, &a) != 1) {
    errf("--%s: expected an IPv4 address A.B.C.D, got '%s'\n", opt, s);
    return -1;
  }
  *out = ntohl(a.s_addr);
  return 0;
}

/* A probability in [0, 1], kept in parts per million. */
static int
parse_share(char const *opt, char const *s, uint32_t *ppm) {
  char * end;
  errno = 0;
  double v = strtod(s, &end);
  if (!s[0] || errno || *end || !(v >= 0.0 && v <= 1.0)) { /* NaN fails too */
    errf("--%s: expected a number in [0, 1], got '%s'\n", opt, s);
    return -1;
  }
  *ppm = (uint32_t)(v * 1e6 + 0.5);
  return 0;
}

enum {
  OPT_TRUTH = 256, OPT_LEADER_KEY, OPT_SCHEDULE, OPT_SUMMARY, OPT_START_SLOT, OPT_TXNS_PER_SLOT,
  OPT_VOTE_SHARE, OPT_BATCHES, OPT_TICKS, OPT_TXNS_PER_ENTRY, OPT_SHRED_VERSION, OPT_LEADERS,
  OPT_ROTATION, OPT_EPOCH_FIRST, OPT_SLOTS_PER_EPOCH, OPT_SRC_IP, OPT_DST_IP, OPT_SRC_PORT, OPT_DST_PORT,
  OPT_SKIP_RATE, OPT_FORK_EVERY, OPT_FORK_LEN, OPT_LOSS, OPT_LOSS_PER_SET, OPT_DUP, OPT_REORDER,
  OPT_CORRUPT, OPT_FORGE, OPT_EQUIV, OPT_WRONGVER, OPT_OTHER_VERSION, OPT_GARBAGE,
};

/* Returns 0 to run, 1 for --help, -1 on a usage error (message printed). */
int
sof_gen_parse(opts_t *o, int argc, char **argv, sof_gen_extra_t const *extra) {
  char const *name = o->prog ? o->prog : "sof-gen";
  *o = (opts_t){
    .prog = name, .slots = 4, .seed = 1, .start_slot = 1, .epoch_first_slot = 0,
    .txns_per_slot = 64, .vote_ppm = 800000, .batches = 4, .ticks_between = 16,
    .txns_per_entry = 8, .leaders = 1, .leader_slots = 4, .shred_version = 1,
    .src_ip = 0x0A000001, .dst_ip = 0x0A000002, .src_port = 8002, .dst_port = 8001, .fork_len = 1,
  };
  prog = name;
  static struct option const opts[] = {
    { "slots", required_argument, NULL, 'n' },
    { "seed", required_argument, NULL, 's' },
    { "help", no_argument, NULL, 'h' },
    { "truth", required_argument, NULL, OPT_TRUTH },
    { "leader-key", required_argument, NULL, OPT_LEADER_KEY },
    { "leader-schedule", required_argument, NULL, OPT_SCHEDULE },
    { "summary", required_argument, NULL, OPT_SUMMARY },
    { "start-slot", required_argument, NULL, OPT_START_SLOT },
    { "txns-per-slot", required_argument, NULL, OPT_TXNS_PER_SLOT },
    { "vote-share", required_argument, NULL, OPT_VOTE_SHARE },
    { "batches-per-slot", required_argument, NULL, OPT_BATCHES },
    { "ticks-between-batches", required_argument, NULL, OPT_TICKS },
    { "txns-per-entry", required_argument, NULL, OPT_TXNS_PER_ENTRY },
    { "shred-version", required_argument, NULL, OPT_SHRED_VERSION },
    { "leaders", required_argument, NULL, OPT_LEADERS },
    { "leader-rotation", required_argument, NULL, OPT_ROTATION },
    { "epoch-first-slot", required_argument, NULL, OPT_EPOCH_FIRST },
    { "slots-per-epoch", required_argument, NULL, OPT_SLOTS_PER_EPOCH },
    { "src-ip", required_argument, NULL, OPT_SRC_IP },
    { "dst-ip", required_argument, NULL, OPT_DST_IP },
    { "src-port", required_argument, NULL, OPT_SRC_PORT },
    { "dst-port", required_argument, NULL, OPT_DST_PORT },
    { "skip-rate", required_argument, NULL, OPT_SKIP_RATE },
    { "fork-every", required_argument, NULL, OPT_FORK_EVERY },
    { "fork-length", required_argument, NULL, OPT_FORK_LEN },
    { "loss", required_argument, NULL, OPT_LOSS },
    { "loss-per-set", required_argument, NULL, OPT_LOSS_PER_SET },
    { "dup", required_argument, NULL, OPT_DUP },
    { "reorder", required_argument, NULL, OPT_REORDER },
    { "corrupt", required_argument, NULL, OPT_CORRUPT },
    { "forge", required_argument, NULL, OPT_FORGE },
    { "equivocate", required_argument, NULL, OPT_EQUIV },
    { "wrong-version", required_argument, NULL, OPT_WRONGVER },
    { "other-shred-version", required_argument, NULL, OPT_OTHER_VERSION },
    { "garbage", required_argument, NULL, OPT_GARBAGE },
  };
  /* The engine's options, then the program's, then the terminator. */
  enum { N_OWN = sizeof opts / sizeof opts[0], N_EXTRA_MAX = 32 };
  struct option all[N_OWN + N_EXTRA_MAX + 1];
  size_t        n = N_OWN;
  memcpy(all, opts, sizeof opts);
  if (extra && extra->longopts) {
    for (struct option const *e = extra->longopts; e->name; e++) {
      if (n == N_OWN + N_EXTRA_MAX) return -1; /* a program bug: more extras than room */
      all[n++] = *e;
    }
  }
  memset(&all[n], 0, sizeof all[n]);
  char shortopts[64];
  snprintf(shortopts, sizeof shortopts, ":n:s:h%s", extra && extra->shortopts ? extra->shortopts : "");

  int      c;
  uint64_t v = 0;
  opterr = 0; /* our own messages */
  optind = 0; /* a full reset of getopt: another parser may have run before */
  while ((c = getopt_long(argc, argv, shortopts, all, NULL)) != -1) {
    int rc = 0;
    switch (c) {
    case 'n': rc = parse_u64("slots", optarg, 1, MAX_SLOTS, &o->slots); break;
    case 's': rc = parse_u64("seed", optarg, 0, UINT64_MAX, &o->seed); break;
    case 'h': return 1;
    case OPT_TRUTH: o->truth_path = optarg; break;
    case OPT_LEADER_KEY: o->leader_key_path = optarg; break;
    case OPT_SCHEDULE: o->schedule_path = optarg; break;
    case OPT_SUMMARY: o->summary_path = optarg; break;
    case OPT_START_SLOT: rc = parse_u64("start-slot", optarg, 0, UINT64_MAX / 2, &o->start_slot); break;
    case OPT_TXNS_PER_SLOT:
      rc = parse_u64("txns-per-slot", optarg, 0, MAX_TXNS_PER_SLOT, &o->txns_per_slot);
      break;
    case OPT_VOTE_SHARE: rc = parse_share("vote-share", optarg, &o->vote_ppm); break;
    case OPT_BATCHES: rc = parse_u64("batches-per-slot", optarg, 1, MAX_BATCHES, &o->batches); break;
    case OPT_TICKS:
      rc = parse_u64("ticks-between-batches", optarg, 0, MAX_TICKS_BETWEEN, &o->ticks_between);
      break;
    case OPT_TXNS_PER_ENTRY:
      rc = parse_u64("txns-per-entry", optarg, 1, MAX_TXNS_PER_ENTRY, &o->txns_per_entry);
      break;
    case OPT_SHRED_VERSION:
      rc = parse_u64("shred-version", optarg, 0, UINT16_MAX, &v);
      o->shred_version = (uint16_t)v;
      break;
    case OPT_LEADERS: rc = parse_u64("leaders", optarg, 1, MAX_LEADERS, &o->leaders); break;
    case OPT_ROTATION: rc = parse_u64("leader-rotation", optarg, 1, MAX_SLOTS, &o->leader_slots); break;
    case OPT_EPOCH_FIRST:
      rc = parse_u64("epoch-first-slot", optarg, 0, UINT64_MAX / 2, &o->epoch_first_slot);
      break;
    case OPT_SLOTS_PER_EPOCH:
      rc = parse_u64("slots-per-epoch", optarg, 1, 432000, &o->slots_per_epoch);
      break;
    case OPT_SRC_IP: rc = parse_ip("src-ip", optarg, &o->src_ip); break;
    case OPT_DST_IP: rc = parse_ip("dst-ip", optarg, &o->dst_ip); break;
    case OPT_SRC_PORT:
      rc = parse_u64("src-port", optarg, 0, UINT16_MAX, &v);
      o->src_port = (uint16_t)v;
      break;
    case OPT_DST_PORT:
      rc = parse_u64("dst-port", optarg, 0, UINT16_MAX, &v);
      o->dst_port = (uint16_t)v;
      break;
    case OPT_SKIP_RATE: rc = parse_share("skip-rate", optarg, &o->skip_ppm); break;
    case OPT_FORK_EVERY: rc = parse_u64("fork-every", optarg, 0, MAX_SLOTS, &o->fork_every); break;
    case OPT_FORK_LEN: rc = parse_u64("fork-length", optarg, 1, MAX_FORK_LEN, &o->fork_len); break;
    case OPT_LOSS: rc = parse_share("loss", optarg, &o->loss_ppm); break;
    case OPT_LOSS_PER_SET:
      rc = parse_u64("loss-per-set", optarg, 0, SOF_SHREDDER_DATA_CNT + SOF_SHREDDER_CODE_CNT,
                     &o->loss_per_set);
      break;
    case OPT_DUP: rc = parse_share("dup", optarg, &o->dup_ppm); break;
    case OPT_REORDER: rc = parse_u64("reorder", optarg, 0, MAX_REORDER, &o->reorder); break;
    case OPT_CORRUPT: rc = parse_share("corrupt", optarg, &o->corrupt_ppm); break;
    case OPT_FORGE: rc = parse_share("forge", optarg, &o->forge_ppm); break;
    case OPT_EQUIV: rc = parse_share("equivocate", optarg, &o->equiv_ppm); break;
    case OPT_WRONGVER: rc = parse_share("wrong-version", optarg, &o->wrongver_ppm); break;
    case OPT_OTHER_VERSION:
      rc = parse_u64("other-shred-version", optarg, 0, UINT16_MAX, &v);
      o->other_version     = (uint16_t)v;
      o->other_version_set = 1;
      break;
    case OPT_GARBAGE: rc = parse_share("garbage", optarg, &o->garbage_ppm); break;
    case ':':
      errf("option %s needs a value\n", argv[optind - 1]);
      return -1;
    case '?':
      if (optopt) errf("unknown option -%c\n", optopt);
      else errf("unknown option %s\n", argv[optind - 1]);
      return -1;
    default:
      if (!extra || !extra->fn) {
        errf("unknown option %s\n", argv[optind - 1]);
        return -1;
      }
      rc = extra->fn(extra->ctx, c, optarg);
      break;
    }
    if (rc) return -1;
  }
  if (optind < argc) {
    errf("unexpected argument '%s'\n", argv[optind]);
    return -1;
  }
  if (o->start_slot < o->epoch_first_slot) {
    errf("--start-slot %" PRIu64 " is before --epoch-first-slot %" PRIu64 "\n", o->start_slot,
         o->epoch_first_slot);
    return -1;
  }
  if (!o->other_version_set) o->other_version = (uint16_t)(o->shred_version + 1U);
  if (o->other_version == o->shred_version) {
    errf("--other-shred-version must differ from --shred-version (%u)\n", o->shred_version);
    return -1;
  }
  if (o->reorder == 1) o->reorder = 0;
  return 0;
}

/* ---- bytes and output ---------------------------------------------------- */

static void
st_be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void
st_be32(uint8_t *p, uint32_t v) {
  for (unsigned i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static uint32_t
ld_le32(uint8_t const *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t
csum_add(uint32_t sum, uint8_t const *p, size_t sz) {
  for (size_t i = 0; i + 1 < sz; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (sz & 1) sum += (uint32_t)(p[sz - 1] << 8);
  return sum;
}

static uint16_t
csum_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return (uint16_t)~sum;
}

static void
write_bytes(gen_t *g, FILE *f, void const *p, size_t sz) {
  if (!g->io_err && fwrite(p, 1, sz, f) != sz) g->io_err = errno ? errno : EIO;
}

/* Draws 1 with probability ppm / 10^6 from an impairment's own stream. A
 * zero probability draws nothing. */
static int
draw(gen_t *g, unsigned imp, uint32_t ppm) {
  if (!ppm) return 0;
  return sof_txgen_rng_below(&g->imp[imp], PPM) < ppm;
}

static uint64_t
below(gen_t *g, unsigned imp, uint64_t n) {
  return sof_txgen_rng_below(&g->imp[imp], n);
}

/* Hands one frame to the sink. Timestamps never go back: a frame whose
 * nominal time is not after the previous frame's (reordered or injected) is
 * stamped 1 us after it. Once the sink has said stop, nothing more goes to
 * it (the run ends at the next slot). */
static void
frame_write(gen_t *g, frame_t const *f) {
  uint64_t t = f->t_us;
  if (g->have_ts && t <= g->last_ts) t = g->last_ts + 1;
  g->last_ts = t;
  g->have_ts = 1;
  if (g->sink_err) return;
  if (g->sink(g->sink_ctx, t, f->b, f->sz)) g->sink_err = 1;
  g->st.frames++;
}

/* Shuffles the window (Fisher-Yates from the reorder stream) and writes it. */
static void
flush_window(gen_t *g) {
  uint64_t n = g->win_cnt;
  for (uint64_t i = 0; i < n; i++) g->perm[i] = (uint32_t)i;
  for (uint64_t i = n; i > 1; i--) {
    uint64_t k   = below(g, IMP_REORDER, i);
    uint32_t tmp = g->perm[i - 1];
    g->perm[i - 1] = g->perm[k];
    g->perm[k]     = tmp;
  }
  for (uint64_t i = 0; i < n; i++) {
    if (g->perm[i] != i) g->st.reordered++;
    frame_write(g, &g->win[g->perm[i]]);
  }
  g->win_cnt = 0;
}

/* Every frame leaves through here: straight to the sink, or through the
 * reordering window. */
static void
out_frame(gen_t *g, frame_t const *f) {
  if (!g->o->reorder) {
    frame_write(g, f);
    return;
  }
  g->win[g->win_cnt++] = *f;
  if (g->win_cnt == g->o->reorder) flush_window(g);
}

static uint8_t const dst_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static uint8_t const src_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

static void
eth_hdr(uint8_t *f, uint16_t ethertype) {
  memcpy(f, dst_mac, 6);
  memcpy(f + 6, src_mac, 6);
  st_be16(f + 12, ethertype);
}

/* An IPv4 header for a payload of l4_sz bytes of protocol proto. */
static void
ipv4_hdr(uint8_t *ip, uint32_t src, uint32_t dst, uint16_t id, uint8_t proto, size_t l4_sz) {
  ip[0] = 0x45;
  ip[1] = 0;
  st_be16(ip + 2, (uint16_t)(IP_HDR_SZ + l4_sz));
  st_be16(ip + 4, id);
  st_be16(ip + 6, 0x4000); /* DF */
  ip[8] = 64;
  ip[9] = proto;
  st_be16(ip + 10, 0);
  st_be32(ip + 12, src);
  st_be32(ip + 16, dst);
  st_be16(ip + 10, csum_fold(csum_add(0, ip, IP_HDR_SZ)));
}

/* Ethernet/IPv4/UDP frame carrying payload[0..sz) from the configured
 * source to dst_port. Returns the frame size. */
static uint32_t
udp4_frame(gen_t *g, uint8_t *f, uint16_t ip_id, uint16_t dst_port, void const *payload, size_t sz) {
  opts_t const *o = g->o;
  eth_hdr(f, 0x0800);
  uint8_t *ip = f + ETH_HDR_SZ;
  ipv4_hdr(ip, o->src_ip, o->dst_ip, ip_id, 17, UDP_HDR_SZ + sz);
  uint8_t *udp = ip + IP_HDR_SZ;
  st_be16(udp, o->src_port);
  st_be16(udp + 2, dst_port);
  st_be16(udp + 4, (uint16_t)(UDP_HDR_SZ + sz));
  st_be16(udp + 6, 0);
  memcpy(udp + UDP_HDR_SZ, payload, sz);
  uint8_t pseudo[12];
  st_be32(pseudo, o->src_ip);
  st_be32(pseudo + 4, o->dst_ip);
  pseudo[8] = 0;
  pseudo[9] = 17;
  st_be16(pseudo + 10, (uint16_t)(UDP_HDR_SZ + sz));
  uint16_t ck = csum_fold(csum_add(csum_add(0, pseudo, sizeof pseudo), udp, UDP_HDR_SZ + sz));
  st_be16(udp + 6, ck ? ck : 0xFFFF);
  return (uint32_t)(FRAME_HDR_SZ + sz);
}

/* ---- truth ----------------------------------------------------------------- */

static void
emit(gen_t *g) {
  sof_json_newline(&g->j);
  if (g->truth) {
    if (sof_json_ok(&g->j)) write_bytes(g, g->truth, g->j.buf, g->j.len);
    else if (!g->io_err) g->io_err = EOVERFLOW; /* cannot happen: lines are bounded */
  }
  sof_json_reset(&g->j);
}

static void
json_ip(sof_json_t *j, uint32_t ip) {
  char s[16];
  snprintf(s, sizeof s, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xFF, (ip >> 8) & 0xFF, ip & 0xFF);
  sof_json_str(j, s);
}

static void
emit_config(gen_t *g) {
  opts_t const *o = g->o;
  sof_json_t *  j = &g->j;
  sof_json_obj_begin(j);
  sof_json_key(j, "type");          sof_json_str(j, "config");
  sof_json_key(j, "seed");          sof_json_u64(j, o->seed);
  sof_json_key(j, "startSlot");     sof_json_u64(j, o->start_slot);
  sof_json_key(j, "slots");         sof_json_u64(j, o->slots);
  sof_json_key(j, "shredVersion");  sof_json_u64(j, o->shred_version);
  sof_json_key(j, "txnsPerSlot");   sof_json_u64(j, o->txns_per_slot);
  sof_json_key(j, "votePpm");       sof_json_u64(j, o->vote_ppm);
  sof_json_key(j, "batchesPerSlot");sof_json_u64(j, o->batches);
  sof_json_key(j, "ticksBetweenBatches"); sof_json_u64(j, o->ticks_between);
  sof_json_key(j, "leaders");       sof_json_u64(j, o->leaders);
  sof_json_key(j, "leaderRotation");sof_json_u64(j, o->leader_slots);
  sof_json_key(j, "epochFirstSlot");sof_json_u64(j, o->epoch_first_slot);
  if (o->slots_per_epoch) { sof_json_key(j, "slotsPerEpoch"); sof_json_u64(j, o->slots_per_epoch); }
  sof_json_key(j, "srcIp");         json_ip(j, o->src_ip);
  sof_json_key(j, "dstIp");         json_ip(j, o->dst_ip);
  sof_json_key(j, "srcPort");       sof_json_u64(j, o->src_port);
  sof_json_key(j, "dstPort");       sof_json_u64(j, o->dst_port);
  sof_json_key(j, "skipPpm");       sof_json_u64(j, o->skip_ppm);
  sof_json_key(j, "forkEvery");     sof_json_u64(j, o->fork_every);
  sof_json_key(j, "forkLength");    sof_json_u64(j, o->fork_len);
  sof_json_key(j, "impair");
  sof_json_obj_begin(j);
  sof_json_key(j, "lossPpm");       sof_json_u64(j, o->loss_ppm);
  sof_json_key(j, "lossPerSet");    sof_json_u64(j, o->loss_per_set);
  sof_json_key(j, "dupPpm");        sof_json_u64(j, o->dup_ppm);
  sof_json_key(j, "reorderWindow"); sof_json_u64(j, o->reorder);
  sof_json_key(j, "corruptPpm");    sof_json_u64(j, o->corrupt_ppm);
  sof_json_key(j, "forgePpm");      sof_json_u64(j, o->forge_ppm);
  sof_json_key(j, "equivocatePpm"); sof_json_u64(j, o->equiv_ppm);
  sof_json_key(j, "wrongVersionPpm"); sof_json_u64(j, o->wrongver_ppm);
  sof_json_key(j, "otherShredVersion"); sof_json_u64(j, o->other_version);
  sof_json_key(j, "garbagePpm");    sof_json_u64(j, o->garbage_ppm);
  sof_json_key(j, "forgerKey");     sof_json_b58_32(j, g->forger_kp + 32);
  sof_json_obj_end(j);
  sof_json_obj_end(j);
  emit(g);
}

/* Writes the summary object into j (the truth's last line and the summary
 * line share it). */
static void
summary_json(gen_t *g, sof_json_t *j) {
  stats_t const *s = &g->st;
  sof_json_obj_begin(j);
  sof_json_key(j, "type");             sof_json_str(j, "summary");
  sof_json_key(j, "slots");            sof_json_u64(j, s->slots_produced + s->slots_skipped);
  sof_json_key(j, "producedSlots");    sof_json_u64(j, s->slots_produced);
  sof_json_key(j, "skippedSlots");     sof_json_u64(j, s->slots_skipped);
  sof_json_key(j, "forks");            sof_json_u64(j, s->forks);
  sof_json_key(j, "fecSets");          sof_json_u64(j, s->fec_sets);
  sof_json_key(j, "shreds");           sof_json_u64(j, s->shreds);
  sof_json_key(j, "transactions");     sof_json_u64(j, s->txns);
  sof_json_key(j, "frames");           sof_json_u64(j, s->frames);
  sof_json_key(j, "lost");             sof_json_u64(j, s->lost);
  sof_json_key(j, "lostPerSet");       sof_json_u64(j, s->lost_per_set);
  sof_json_key(j, "duplicated");       sof_json_u64(j, s->duplicated);
  sof_json_key(j, "reordered");        sof_json_u64(j, s->reordered);
  sof_json_key(j, "corrupted");        sof_json_u64(j, s->corrupted);
  sof_json_key(j, "corruptedBy");
  sof_json_obj_begin(j);
  for (unsigned c = 0; c < COR_CNT; c++) {
    sof_json_key(j, cor_name[c]);
    sof_json_u64(j, s->corrupted_by[c]);
  }
  sof_json_obj_end(j);
  sof_json_key(j, "forgedSets");       sof_json_u64(j, s->forged_sets);
  sof_json_key(j, "equivocatedSets");  sof_json_u64(j, s->equivocated_sets);
  sof_json_key(j, "wrongVersionSets"); sof_json_u64(j, s->wrong_version_sets);
  sof_json_key(j, "garbage");          sof_json_u64(j, s->garbage);
  sof_json_key(j, "garbageBy");
  sof_json_obj_begin(j);
  for (unsigned k = 0; k < GAR_CNT; k++) {
    sof_json_key(j, gar_name[k]);
    sof_json_u64(j, s->garbage_by[k]);
  }
  sof_json_obj_end(j);
  sof_json_obj_end(j);
}

/* Starts an "impair" truth line: type, kind, and where (slot, FEC set). */
static void
impair_begin(gen_t *g, char const *kind, uint64_t slot, uint32_t fec_set_idx) {
  sof_json_t *j = &g->j;
  sof_json_obj_begin(j);
  sof_json_key(j, "type");        sof_json_str(j, "impair");
  sof_json_key(j, "kind");        sof_json_str(j, kind);
  sof_json_key(j, "slot");        sof_json_u64(j, slot);
  sof_json_key(j, "fecSetIndex"); sof_json_u64(j, fec_set_idx);
}

/* Genuine shred k (0..63) of the set: data k, or code k - 32. */
static uint8_t *
set_shred(sof_shredder_set_t *set, unsigned k, size_t *sz, int *is_data) {
  *is_data = k < SOF_SHREDDER_DATA_CNT;
  *sz      = *is_data ? SOF_SHRED_MERKLE_DATA_SZ : SOF_SHRED_MERKLE_CODE_SZ;
  return *is_data ? set->data[k] : set->code[k - SOF_SHREDDER_DATA_CNT];
}

static void
json_shred_id(sof_json_t *j, uint8_t const *shred, int is_data) {
  sof_json_key(j, "index"); sof_json_u64(j, ld_le32(shred + 73));
  sof_json_key(j, "shred"); sof_json_str(j, is_data ? "data" : "code");
}

/* ---- impairments ------------------------------------------------------------ */

/* Sends all 64 shreds of set as injected frames (intact). */
static void
out_injected_set(gen_t *g, sof_shredder_set_t *set) {
  for (unsigned k = 0; k < SOF_SHREDDER_DATA_CNT + SOF_SHREDDER_CODE_CNT; k++) {
    size_t   sz;
    int      is_data;
    uint8_t *s = set_shred(set, k, &sz, &is_data);
    g->fr.t_us = g->t_nominal;
    g->fr.sz   = udp4_frame(g, g->fr.b, g->inj_ip_id++, g->o->dst_port, s, sz);
    out_frame(g, &g->fr);
  }
}

/* Flips bytes of one genuine shred (in g->shred) and records how. */
static void
corrupt_shred(gen_t *g, uint64_t slot, uint32_t fec, int is_data, int resigned, size_t sz) {
  uint8_t *s   = g->shred;
  unsigned cls = (unsigned)below(g, IMP_CORRUPT, COR_CNT);
  size_t   cap = (resigned ? SOF_SHREDDER_RESIGNED_DATA_CAP : SOF_SHREDDER_CHAINED_DATA_CAP) +
                 (is_data ? 0U : SOF_SHRED_DATA_HDR_SZ - SOF_SHRED_SIGNATURE_SZ);
  size_t   hdr = is_data ? SOF_SHRED_DATA_HDR_SZ : SOF_SHRED_CODE_HDR_SZ;
  size_t   proof_off = hdr + cap + 32;
  size_t   off[4];
  uint8_t  x[4];
  unsigned n = 0;
  char const *expect = "invalid_merkle";
  char const *reason = NULL;

  switch (cls) {
  case COR_SIGNATURE: /* the root stays; the signature over it breaks */
  case COR_PAYLOAD:   /* data / parity bytes: the leaf, so the root, changes */
  case COR_PROOF: {   /* a proof entry: the root walked up changes */
    size_t lo = cls == COR_SIGNATURE ? 0 : cls == COR_PAYLOAD ? hdr : proof_off;
    size_t span = cls == COR_SIGNATURE ? SOF_SHRED_SIGNATURE_SZ
                : cls == COR_PAYLOAD   ? cap
                                       : SOF_SHREDDER_PROOF_CNT * SOF_SHRED_MERKLE_NODE_SZ;
    unsigned want = 1 + (unsigned)below(g, IMP_CORRUPT, 3);
    while (n < want) {
      size_t o = lo + below(g, IMP_CORRUPT, span);
      int    dup = 0;
      for (unsigned i = 0; i < n; i++) dup |= off[i] == o;
      if (dup) continue;
      off[n] = o;
      x[n]   = (uint8_t)(1 + below(g, IMP_CORRUPT, 255));
      n++;
    }
    if (cls == COR_SIGNATURE) expect = "invalid_signature";
    break;
  }
  case COR_VARIANT: { /* a high nibble no shred type uses */
    static uint8_t const bad_hi[8] = { 0x00, 0x10, 0x20, 0x30, 0xC0, 0xD0, 0xE0, 0xF0 };
    uint8_t v = (uint8_t)(bad_hi[below(g, IMP_CORRUPT, 8)] | (s[64] & 0x0F));
    off[0] = 64;
    x[0]   = (uint8_t)(s[64] ^ v);
    n      = 1;
    expect = "malformed";
    reason = sof_shred_err_str(SOF_SHRED_ERR_BAD_VARIANT);
    break;
  }
  default: { /* COR_INDEX: an index at or past the slot's 32768 limit */
    uint32_t idx = (uint32_t)(SOF_SHRED_DATA_PER_SLOT_MAX + below(g, IMP_CORRUPT, 1U << 30));
    uint32_t old = ld_le32(s + 73);
    for (unsigned i = 0; i < 4; i++) {
      uint8_t d = (uint8_t)((old ^ idx) >> (8 * i));
      if (!d) continue;
      off[n] = 73 + i;
      x[n++] = d;
    }
    expect = "malformed";
    reason = sof_shred_err_str(SOF_SHRED_ERR_BAD_INDEX);
    break;
  }
  }
  for (unsigned i = 0; i < n; i++) s[off[i]] ^= x[i];
  g->st.corrupted++;
  g->st.corrupted_by[cls]++;

  /* The record names the shred as it was sent genuine (index before an
   * index flip). */
  sof_json_t *j = &g->j;
  impair_begin(g, "corrupt", slot, fec);
  uint32_t idx = ld_le32(s + 73);
  for (unsigned i = 0; i < n; i++) {
    if (off[i] >= 73 && off[i] < 77) idx ^= (uint32_t)x[i] << (8 * (off[i] - 73));
  }
  sof_json_key(j, "index");   sof_json_u64(j, idx);
  sof_json_key(j, "shred");   sof_json_str(j, is_data ? "data" : "code");
  sof_json_key(j, "class");   sof_json_str(j, cor_name[cls]);
  sof_json_key(j, "offsets");
  sof_json_arr_begin(j);
  for (unsigned i = 0; i < n; i++) sof_json_u64(j, off[i]);
  sof_json_arr_end(j);
  sof_json_key(j, "xor");
  sof_json_arr_begin(j);
  for (unsigned i = 0; i < n; i++) sof_json_u64(j, x[i]);
  sof_json_arr_end(j);
  sof_json_key(j, "expect");  sof_json_str(j, expect);
  if (reason) { sof_json_key(j, "reason"); sof_json_str(j, reason); }
  sof_json_key(j, "size");    sof_json_u64(j, sz);
  sof_json_obj_end(j);
  emit(g);
}

/* Fills buf[0..sz) with junk from the garbage stream. */
static void
junk_bytes(gen_t *g, uint8_t *buf, size_t sz) {
  sof_txgen_rng_bytes(&g->imp[IMP_GARBAGE], buf, sz);
}

/* Builds and sends one garbage frame after the genuine frame gf (built even
 * when the genuine shred was lost: the truncated kind cuts a copy of it). */
static void
out_garbage(gen_t *g, frame_t const *gf) {
  opts_t const *o    = g->o;
  unsigned      kind = (unsigned)below(g, IMP_GARBAGE, GAR_CNT);
  frame_t *     f    = &g->junk;
  uint8_t *     b    = f->b;
  char const *  expect;
  uint8_t       pay[SOF_SHRED_MAX_SZ];

  switch (kind) {
  case GAR_ARP: { /* who-has dst_ip tell src_ip */
    memset(b, 0, ETH_MIN_SZ);
    eth_hdr(b, 0x0806);
    memset(b, 0xFF, 6);
    uint8_t *a = b + ETH_HDR_SZ;
    st_be16(a, 1);          /* Ethernet */
    st_be16(a + 2, 0x0800); /* IPv4 */
    a[4] = 6;
    a[5] = 4;
    st_be16(a + 6, 1);      /* request */
    memcpy(a + 8, src_mac, 6);
    st_be32(a + 14, o->src_ip);
    st_be32(a + 24, o->dst_ip);
    f->sz  = ETH_MIN_SZ;
    expect = sof_pkt_err_str(SOF_PKT_ERR_NOT_IPV4);
    break;
  }
  case GAR_IPV6: { /* UDP over IPv6 to the shred port, fd00::1 -> fd00::2 */
    size_t   sz = 64 + below(g, IMP_GARBAGE, SOF_SHRED_MAX_SZ - 64 - (IP6_HDR_SZ - IP_HDR_SZ));
    eth_hdr(b, 0x86DD);
    uint8_t *ip = b + ETH_HDR_SZ;
    memset(ip, 0, IP6_HDR_SZ);
    ip[0] = 0x60;
    st_be16(ip + 4, (uint16_t)(UDP_HDR_SZ + sz));
    ip[6] = 17;
    ip[7] = 64;
    ip[8] = 0xFD;  ip[23] = 1;
    ip[24] = 0xFD; ip[39] = 2;
    uint8_t *udp = ip + IP6_HDR_SZ;
    st_be16(udp, o->src_port);
    st_be16(udp + 2, o->dst_port);
    st_be16(udp + 4, (uint16_t)(UDP_HDR_SZ + sz));
    junk_bytes(g, udp + UDP_HDR_SZ, sz);
    uint8_t pseudo[40];
    memcpy(pseudo, ip + 8, 32);
    st_be32(pseudo + 32, (uint32_t)(UDP_HDR_SZ + sz));
    pseudo[36] = pseudo[37] = pseudo[38] = 0;
    pseudo[39] = 17;
    st_be16(udp + 6, 0);
    uint16_t ck = csum_fold(csum_add(csum_add(0, pseudo, sizeof pseudo), udp, UDP_HDR_SZ + sz));
    st_be16(udp + 6, ck ? ck : 0xFFFF);
    f->sz  = (uint32_t)(ETH_HDR_SZ + IP6_HDR_SZ + UDP_HDR_SZ + sz);
    expect = sof_pkt_err_str(SOF_PKT_ERR_NOT_IPV4);
    break;
  }
  case GAR_TCP: { /* a TCP segment to the shred port */
    size_t sz = below(g, IMP_GARBAGE, SOF_SHRED_MAX_SZ - TCP_HDR_SZ);
    eth_hdr(b, 0x0800);
    uint8_t *ip  = b + ETH_HDR_SZ;
    ipv4_hdr(ip, o->src_ip, o->dst_ip, g->inj_ip_id++, 6, TCP_HDR_SZ + sz);
    uint8_t *tcp = ip + IP_HDR_SZ;
    memset(tcp, 0, TCP_HDR_SZ);
    st_be16(tcp, o->src_port);
    st_be16(tcp + 2, o->dst_port);
    junk_bytes(g, tcp + 4, 8); /* sequence and acknowledgment numbers */
    tcp[12] = 5 << 4;          /* data offset */
    tcp[13] = 0x18;            /* PSH ACK */
    st_be16(tcp + 14, 65535);
    junk_bytes(g, tcp + TCP_HDR_SZ, sz);
    uint8_t pseudo[12];
    st_be32(pseudo, o->src_ip);
    st_be32(pseudo + 4, o->dst_ip);
    pseudo[8] = 0;
    pseudo[9] = 6;
    st_be16(pseudo + 10, (uint16_t)(TCP_HDR_SZ + sz));
    st_be16(tcp + 16, csum_fold(csum_add(csum_add(0, pseudo, sizeof pseudo), tcp, TCP_HDR_SZ + sz)));
    f->sz  = (uint32_t)(FRAME_HDR_SZ - UDP_HDR_SZ + TCP_HDR_SZ + sz);
    if (f->sz < ETH_MIN_SZ) {
      memset(b + f->sz, 0, ETH_MIN_SZ - f->sz); /* Ethernet padding past the IPv4 length */
      f->sz = ETH_MIN_SZ;
    }
    expect = sof_pkt_err_str(SOF_PKT_ERR_NOT_UDP);
    break;
  }
  case GAR_OTHER_PORT: { /* well-formed UDP to a port that is not the TVU */
    size_t   sz   = below(g, IMP_GARBAGE, SOF_SHRED_MAX_SZ + 1);
    uint16_t port = (uint16_t)(o->dst_port + 1 + below(g, IMP_GARBAGE, 65535));
    junk_bytes(g, pay, sz);
    f->sz  = udp4_frame(g, b, g->inj_ip_id++, port, pay, sz);
    if (f->sz < ETH_MIN_SZ) {
      memset(b + f->sz, 0, ETH_MIN_SZ - f->sz);
      f->sz = ETH_MIN_SZ;
    }
    expect = "other_port";
    break;
  }
  case GAR_TRUNCATED: { /* the genuine frame cut short: a runt, half of them inside the headers */
    uint32_t cut = below(g, IMP_GARBAGE, 2)
                 ? (uint32_t)(1 + below(g, IMP_GARBAGE, FRAME_HDR_SZ - 1))
                 : (uint32_t)(FRAME_HDR_SZ + below(g, IMP_GARBAGE, gf->sz - FRAME_HDR_SZ));
    memcpy(b, gf->b, cut);
    f->sz  = cut;
    expect = cut < ETH_HDR_SZ + IP_HDR_SZ ? sof_pkt_err_str(SOF_PKT_ERR_TOO_SHORT)
                                          : sof_pkt_err_str(SOF_PKT_ERR_IP_BAD_HEADER);
    break;
  }
  case GAR_JUNK_SHORT: { /* UDP to the shred port, shorter than any shred header */
    size_t sz = below(g, IMP_GARBAGE, SOF_SHRED_DATA_HDR_SZ);
    junk_bytes(g, pay, sz);
    f->sz  = udp4_frame(g, b, g->inj_ip_id++, o->dst_port, pay, sz);
    if (f->sz < ETH_MIN_SZ) {
      memset(b + f->sz, 0, ETH_MIN_SZ - f->sz);
      f->sz = ETH_MIN_SZ;
    }
    expect = sof_shred_err_str(SOF_SHRED_ERR_TOO_SHORT);
    break;
  }
  default: { /* GAR_JUNK_VARIANT: shred-sized junk whose variant byte is no shred type */
    static uint8_t const bad_hi[8] = { 0x00, 0x10, 0x20, 0x30, 0xC0, 0xD0, 0xE0, 0xF0 };
    size_t sz = SOF_SHRED_DATA_HDR_SZ + below(g, IMP_GARBAGE, SOF_SHRED_MAX_SZ - SOF_SHRED_DATA_HDR_SZ + 1);
    junk_bytes(g, pay, sz);
    pay[64] = (uint8_t)(bad_hi[below(g, IMP_GARBAGE, 8)] | (pay[64] & 0x0F));
    f->sz  = udp4_frame(g, b, g->inj_ip_id++, o->dst_port, pay, sz);
    expect = sof_shred_err_str(SOF_SHRED_ERR_BAD_VARIANT);
    break;
  }
  }
  f->t_us = g->t_nominal;
  out_frame(g, f);
  g->st.garbage++;
  g->st.garbage_by[kind]++;

  sof_json_t *j = &g->j;
  sof_json_obj_begin(j);
  sof_json_key(j, "type");    sof_json_str(j, "impair");
  sof_json_key(j, "kind");    sof_json_str(j, "garbage");
  sof_json_key(j, "garbage"); sof_json_str(j, gar_name[kind]);
  sof_json_key(j, "size");    sof_json_u64(j, f->sz);
  sof_json_key(j, "expect");  sof_json_str(j, expect);
  sof_json_obj_end(j);
  emit(g);
}

/* Sends the genuine set g->set (set set_i of the batch, produced from
 * chained_in), with every impairment that falls on it. Returns 0, or -1
 * when an injected set cannot be shredded (message printed). */
static int
emit_set(gen_t *g, sof_shredder_args_t const *args, uint8_t *batch, size_t batch_sz, size_t set_i,
         uint8_t const chained_in[32]) {
  opts_t const *      o   = g->o;
  sof_shredder_set_t *set = &g->set;
  unsigned const      n   = SOF_SHREDDER_DATA_CNT + SOF_SHREDDER_CODE_CNT;

  /* Set-level decisions: one draw per genuine set from each stream. */
  int      forge    = draw(g, IMP_FORGE, o->forge_ppm);
  int      wrongver = draw(g, IMP_WRONGVER, o->wrongver_ppm);
  int      equiv    = draw(g, IMP_EQUIV, o->equiv_ppm);
  uint64_t drop_set = 0; /* bit k: genuine shred k lost */
  for (uint64_t left = o->loss_per_set; left;) {
    uint64_t k = below(g, IMP_LOSS_SET, n);
    if (drop_set >> k & 1) continue;
    drop_set |= 1ULL << k;
    left--;
  }
  g->t_nominal = g->slot_i * SLOT_US + g->pkt_in_slot * PKT_GAP_US;

  if (forge) { /* the genuine shreds, re-signed with the forger's key */
    uint8_t sig[64];
    if (crypto_sign_ed25519_detached(sig, NULL, set->root, 32, g->forger_kp)) {
      errf("signing failed\n");
      return -1;
    }
    g->alt = *set;
    for (unsigned k = 0; k < n; k++) {
      size_t   sz;
      int      is_data;
      uint8_t *s = set_shred(&g->alt, k, &sz, &is_data);
      memcpy(s, sig, 64);
    }
    out_injected_set(g, &g->alt);
    g->st.forged_sets++;
    sof_json_t *j = &g->j;
    impair_begin(g, "forged", args->slot, set->fec_set_idx);
    sof_json_key(j, "root");      sof_json_b58_32(j, set->root);
    sof_json_key(j, "signature"); sof_json_b58_64(j, sig);
    sof_json_key(j, "expect");    sof_json_str(j, "invalid_signature");
    sof_json_obj_end(j);
    emit(g);
  }

  if (wrongver) { /* the same batch bytes, shredded with the other version */
    sof_shredder_args_t a = *args;
    uint8_t             root[32];
    a.shred_version = o->other_version;
    memcpy(root, chained_in, 32);
    int rc = sof_shredder_shred_set(&g->shredder, &a, batch, batch_sz, set_i, root, &g->alt);
    if (rc) {
      errf("shredding a wrong-version set failed: %s\n", sof_shredder_err_str(rc));
      return -1;
    }
    out_injected_set(g, &g->alt);
    g->st.wrong_version_sets++;
    sof_json_t *j = &g->j;
    impair_begin(g, "wrong_version", args->slot, set->fec_set_idx);
    sof_json_key(j, "version");  sof_json_u64(j, o->other_version);
    sof_json_key(j, "root");     sof_json_b58_32(j, g->alt.root);
    sof_json_key(j, "expect");   sof_json_str(j, "wrong_version");
    sof_json_obj_end(j);
    emit(g);
  }

  for (unsigned k = 0; k < n; k++) {
    size_t   sz;
    int      is_data;
    uint8_t *s = set_shred(set, k, &sz, &is_data);
    /* One draw per genuine shred from each per-shred stream, whatever the
     * others decide: an impairment's choices do not depend on the rest. */
    int      lost_r   = draw(g, IMP_LOSS, o->loss_ppm);
    int      corrupt  = draw(g, IMP_CORRUPT, o->corrupt_ppm);
    int      dup      = draw(g, IMP_DUP, o->dup_ppm);
    int      garbage  = draw(g, IMP_GARBAGE, o->garbage_ppm);
    uint16_t ip_id    = g->ip_id++;
    g->t_nominal      = g->slot_i * SLOT_US + g->pkt_in_slot++ * PKT_GAP_US;
    g->st.shreds++;

    int per_set = (int)(drop_set >> k & 1);
    if (per_set || lost_r) {
      if (per_set) g->st.lost_per_set++;
      else         g->st.lost++;
      sof_json_t *j = &g->j;
      impair_begin(g, "lost", args->slot, set->fec_set_idx);
      json_shred_id(j, s, is_data);
      sof_json_key(j, "cause"); sof_json_str(j, per_set ? "per_set" : "random");
      sof_json_obj_end(j);
      emit(g);
      if (garbage) { /* the junk is other traffic: it still arrives */
        g->fr.t_us = g->t_nominal;
        g->fr.sz   = udp4_frame(g, g->fr.b, ip_id, o->dst_port, s, sz);
        out_garbage(g, &g->fr);
      }
      continue;
    }
    memcpy(g->shred, s, sz);
    if (corrupt) corrupt_shred(g, args->slot, set->fec_set_idx, is_data, set->resigned, sz);
    g->fr.t_us = g->t_nominal;
    g->fr.sz   = udp4_frame(g, g->fr.b, ip_id, o->dst_port, g->shred, sz);
    out_frame(g, &g->fr);
    if (dup) {
      out_frame(g, &g->fr);
      g->st.duplicated++;
      sof_json_t *j = &g->j;
      impair_begin(g, "duplicate", args->slot, set->fec_set_idx);
      json_shred_id(j, s, is_data);
      sof_json_obj_end(j);
      emit(g);
    }
    if (garbage) out_garbage(g, &g->fr);
  }

  if (equiv) { /* one batch byte of the set changed, shredded and signed again */
    sof_shredder_args_t a = *args;
    uint8_t             root[32];
    size_t              at = set->batch_off + below(g, IMP_EQUIV, set->batch_sz);
    uint8_t             x  = (uint8_t)(1 + below(g, IMP_EQUIV, 255));
    memcpy(root, chained_in, 32);
    batch[at] ^= x;
    int rc = sof_shredder_shred_set(&g->shredder, &a, batch, batch_sz, set_i, root, &g->alt);
    batch[at] ^= x;
    if (rc) {
      errf("shredding an equivocating set failed: %s\n", sof_shredder_err_str(rc));
      return -1;
    }
    out_injected_set(g, &g->alt);
    g->st.equivocated_sets++;
    sof_json_t *j = &g->j;
    impair_begin(g, "equivocate", args->slot, set->fec_set_idx);
    sof_json_key(j, "root");         sof_json_b58_32(j, g->alt.root);
    sof_json_key(j, "originalRoot"); sof_json_b58_32(j, set->root);
    sof_json_key(j, "batchOffset");  sof_json_u64(j, at);
    sof_json_key(j, "expect");       sof_json_str(j, "conflict");
    sof_json_obj_end(j);
    emit(g);
  }
  return 0;
}

/* ---- generation ------------------------------------------------------------ */

static uint64_t
mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

static uint64_t
gcd64(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* Without --slots-per-epoch: turns of leader_slots slots, leaders in key
 * order from epoch_first_slot. With it: turns counted from each epoch's
 * first slot, the order an affine permutation (a * turn + b) mod leaders
 * drawn from the seed and the epoch (b moves by one each epoch: the order
 * differs from the previous epoch's whenever there are two leaders). */
static uint64_t
leader_of(opts_t const *o, uint64_t slot) {
  if (!o->slots_per_epoch) return ((slot - o->epoch_first_slot) / o->leader_slots) % o->leaders;
  uint64_t e = (slot - o->epoch_first_slot) / o->slots_per_epoch;
  uint64_t turn = (slot - o->epoch_first_slot - e * o->slots_per_epoch) / o->leader_slots;
  uint64_t n = o->leaders;
  if (n == 1) return 0;
  uint64_t a = 1 + mix64(o->seed * 31 + e) % (n - 1);
  while (gcd64(a, n) != 1) a = a % (n - 1) + 1;
  uint64_t b = (mix64(o->seed ^ 0x5EEDULL) + e) % n;
  return ((a % n) * (turn % n) + b) % n;
}

typedef struct {
  uint64_t data_shreds;
  uint64_t fec_sets;
  uint64_t txns;
  uint64_t entries;
  uint64_t ticks;
} slot_stats_t;

/* Builds, shreds and sends one batch. Returns 0, or -1 (message printed). */
static int
gen_batch(gen_t *g, uint64_t slot, uint64_t parent, uint64_t txn_cnt, uint64_t tick_cnt,
          uint64_t *tick_in_slot, int last, uint32_t *data_idx, slot_stats_t *st, uint8_t *buf,
          size_t cap, txn_rec_t *recs) {
  opts_t const *    o = g->o;
  sof_txgen_batch_t b;
  sof_txgen_batch_init(&b, buf, cap);
  uint8_t  txn[SOF_TXN_MTU];
  uint64_t hashes_since_tick = 0;
  uint64_t done = 0;
  int      err = 0;

  while (done < txn_cnt && !err) {
    uint64_t left = txn_cnt - done;
    uint64_t max  = left < o->txns_per_entry ? left : o->txns_per_entry;
    uint64_t k    = 1 + sof_txgen_rng_below(&g->rng, max);
    uint64_t nh   = 1 + sof_txgen_rng_below(&g->rng, 64);
    /* The entry's hash mixes in its signatures (as PoH mixes in their merkle
     * root); build the transactions first. */
    size_t   entry_start = b.sz;
    uint8_t  mix[32] = { 0 };
    err = sof_txgen_batch_entry_begin(&b, nh, g->poh); /* hash patched below */
    for (uint64_t t = 0; t < k && !err; t++) {
      int  type = sof_txgen_pick_type(&g->txgen, o->vote_ppm);
      long sz   = sof_txgen_txn(&g->txgen, type, txn, sizeof txn);
      if (sz < 0) { err = (int)sz; break; }
      err = sof_txgen_batch_entry_txn(&b, txn, (size_t)sz);
      txn_rec_t *r = &recs[done + t];
      memcpy(r->sig, txn + 1, 64);
      r->sz  = (uint16_t)sz;
      r->off = (uint32_t)(b.sz - (size_t)sz);
      r->type    = (uint8_t)type;
      r->version = txn[1 + 64 * (size_t)txn[0]] & 0x80 ? SOF_TXN_VERSION_V0 : SOF_TXN_VERSION_LEGACY;
      uint8_t next[32];
      sof_sha256_2(next, mix, 32, r->sig, 64);
      memcpy(mix, next, 32);
    }
    if (!err) err = sof_txgen_batch_entry_end(&b);
    if (!err) {
      sof_txgen_entry_hash(g->poh, nh, mix);
      memcpy(buf + entry_start + 8, g->poh, 32);
    }
    hashes_since_tick += nh;
    done += k;
  }
  for (uint64_t t = 0; t < tick_cnt && !err; t++) {
    uint64_t nh = hashes_since_tick < HASHES_PER_TICK ? HASHES_PER_TICK - hashes_since_tick : 1;
    sof_txgen_entry_hash(g->poh, nh, NULL);
    err = sof_txgen_batch_tick(&b, nh, g->poh);
    hashes_since_tick = 0;
    (*tick_in_slot)++;
  }
  long batch_sz = err ? err : sof_txgen_batch_fini(&b);
  if (batch_sz < 0) {
    errf("slot %" PRIu64 ": building a batch failed: %s\n", slot, sof_txgen_err_str((int)batch_sz));
    return -1;
  }

  sof_shredder_args_t args = {
    .slot           = slot,
    .parent_slot    = parent,
    .data_idx       = *data_idx,
    .shred_version  = o->shred_version,
    .reference_tick = (uint8_t)(*tick_in_slot < SOF_SHREDDER_REF_TICK_MAX ? *tick_in_slot
                                                                          : SOF_SHREDDER_REF_TICK_MAX),
    .last_in_slot   = (uint8_t)last,
    .keypair        = g->leader_kp[leader_of(o, slot)],
  };
  size_t set_cnt = sof_shredder_set_cnt((size_t)batch_sz, last);
  for (size_t i = 0; i < set_cnt; i++) {
    uint8_t chained_in[32];
    memcpy(chained_in, g->root, 32);
    int rc = sof_shredder_shred_set(&g->shredder, &args, buf, (size_t)batch_sz, i, g->root, &g->set);
    if (rc) {
      errf("slot %" PRIu64 ": shredding failed: %s%s\n", slot, sof_shredder_err_str(rc),
           rc == SOF_SHREDDER_ERR_INDEX ? " (more than 32768 data shreds: lower --txns-per-slot)" : "");
      return -1;
    }
    g->st.fec_sets++;
    if (emit_set(g, &args, buf, (size_t)batch_sz, i, chained_in)) return -1;
  }

  uint32_t start = *data_idx;
  uint32_t end   = start + (uint32_t)(set_cnt * SOF_SHREDDER_DATA_CNT) - 1;
  sof_json_t *j = &g->j;
  for (uint64_t t = 0; t < txn_cnt; t++) {
    sof_json_obj_begin(j);
    sof_json_key(j, "type");       sof_json_str(j, "transaction");
    sof_json_key(j, "slot");       sof_json_u64(j, slot);
    sof_json_key(j, "signature");  sof_json_b58_64(j, recs[t].sig);
    sof_json_key(j, "kind");       sof_json_str(j, sof_txn_kind_str(sof_txgen_type_kind(recs[t].type)));
    sof_json_key(j, "gen");        sof_json_str(j, sof_txgen_type_str(recs[t].type));
    sof_json_key(j, "version");    sof_json_str(j, sof_txn_version_str(recs[t].version));
    sof_json_key(j, "startIndex"); sof_json_u64(j, start);
    sof_txn_t pt; /* the static account keys as built, and Agave's simple-vote flag */
    if (sof_txn_parse(&pt, buf + recs[t].off, recs[t].sz, NULL) == SOF_TXN_OK) {
      sof_json_key(j, "simpleVote"); sof_json_bool(j, pt.simple_vote);
      sof_json_key(j, "accountKeys");
      sof_json_arr_begin(j);
      for (unsigned k = 0; k < pt.acct_cnt; k++)
        sof_json_b58_32(j, sof_txn_acct_key(&pt, buf + recs[t].off, k));
      sof_json_arr_end(j);
    }
    sof_json_obj_end(j);
    emit(g);
  }
  sof_json_obj_begin(j);
  sof_json_key(j, "type");       sof_json_str(j, "dataset");
  sof_json_key(j, "slot");       sof_json_u64(j, slot);
  sof_json_key(j, "startIndex"); sof_json_u64(j, start);
  sof_json_key(j, "endIndex");   sof_json_u64(j, end);
  sof_json_key(j, "txCount");    sof_json_u64(j, b.txn_cnt);
  sof_json_key(j, "entryCount"); sof_json_u64(j, b.entry_cnt);
  sof_json_key(j, "tickCount");  sof_json_u64(j, b.tick_cnt);
  sof_json_key(j, "bytes");      sof_json_u64(j, (uint64_t)batch_sz);
  sof_json_key(j, "fecSets");    sof_json_u64(j, set_cnt);
  sof_json_key(j, "lastInSlot"); sof_json_bool(j, last);
  sof_json_obj_end(j);
  emit(g);

  *data_idx = end + 1;
  st->data_shreds += set_cnt * SOF_SHREDDER_DATA_CNT;
  st->fec_sets    += set_cnt;
  st->txns        += b.txn_cnt;
  st->entries     += b.entry_cnt;
  st->ticks       += b.tick_cnt;
  g->st.txns      += b.txn_cnt;
  return 0;
}

/* Produces one slot on top of parent (its last root and entry hash).
 * Returns 0, or -1 (message printed). */
static int
gen_slot(gen_t *g, uint64_t slot, tip_t const *parent, int canonical, uint8_t *buf, size_t cap,
         txn_rec_t *recs) {
  opts_t const *o = g->o;
  memcpy(g->root, parent->root, 32);
  memcpy(g->poh, parent->poh, 32);
  /* Votes in this slot vote for its parent; messages use the slot's
   * starting hash as their recent blockhash. */
  sof_txgen_set_recent(&g->txgen, g->poh, parent->slot);
  g->slot_i      = slot - o->start_slot;
  g->pkt_in_slot = 0;

  slot_stats_t st = { 0 };
  uint32_t     data_idx = 0;
  uint64_t     tick_in_slot = 0;
  for (uint64_t bi = 0; bi < o->batches; bi++) {
    uint64_t lo = o->txns_per_slot * bi / o->batches;
    uint64_t hi = o->txns_per_slot * (bi + 1) / o->batches;
    int      last  = bi + 1 == o->batches;
    uint64_t ticks = o->ticks_between;
    if (last && !ticks) ticks = 1; /* a slot ends with a tick */
    if (hi == lo && !ticks) continue; /* nothing to send */
    if (gen_batch(g, slot, parent->slot, hi - lo, ticks, &tick_in_slot, last, &data_idx, &st, buf,
                  cap, recs)) {
      return -1;
    }
  }

  sof_json_t *j = &g->j;
  sof_json_obj_begin(j);
  sof_json_key(j, "type");        sof_json_str(j, "slot");
  sof_json_key(j, "slot");        sof_json_u64(j, slot);
  sof_json_key(j, "parent");      sof_json_u64(j, parent->slot);
  sof_json_key(j, "leader");      sof_json_b58_32(j, g->leader_kp[leader_of(o, slot)] + 32);
  sof_json_key(j, "skipped");     sof_json_bool(j, 0);
  sof_json_key(j, "canonical");   sof_json_bool(j, canonical);
  sof_json_key(j, "dataShreds");  sof_json_u64(j, st.data_shreds);
  sof_json_key(j, "codeShreds");  sof_json_u64(j, st.fec_sets * SOF_SHREDDER_CODE_CNT);
  sof_json_key(j, "fecSets");     sof_json_u64(j, st.fec_sets);
  sof_json_key(j, "txCount");     sof_json_u64(j, st.txns);
  sof_json_key(j, "entryCount");  sof_json_u64(j, st.entries);
  sof_json_key(j, "tickCount");   sof_json_u64(j, st.ticks);
  sof_json_key(j, "chainedRoot"); sof_json_b58_32(j, parent->root);
  sof_json_key(j, "lastRoot");    sof_json_b58_32(j, g->root);
  sof_json_key(j, "blockhash");   sof_json_b58_32(j, g->poh); /* the slot's last entry hash */
  sof_json_obj_end(j);
  emit(g);
  g->st.slots_produced++;
  return g->io_err || g->sink_err ? -1 : 0;
}

/* The slot plan. The chain's tip starts at the first slot's parent (root
 * and entry hash from the seed). Each slot offset s draws one skip decision
 * from the plan stream (always, so the plan does not shift with the fork
 * options). A fork, at offsets N, 2N, ... with 2L+1 slots left and no fork
 * in progress: the next L slots build a losing branch on the tip P (not
 * canonical), then the tip goes back to P and the chain goes on; the 2L+1
 * slots of a fork are never skipped, so the winning branch has at least
 * L+1 slots past P when the run ends: it is the longest. */
static int
gen_slots(gen_t *g) {
  opts_t const *o = g->o;
  /* Worst-case batch: every transaction at the MTU, one entry each. */
  uint64_t max_txns = (o->txns_per_slot + o->batches - 1) / o->batches;
  size_t   cap      = 8 + (size_t)max_txns * (SOF_TXN_MTU + 48) + (size_t)(o->ticks_between + 1) * 48;
  uint8_t *  buf    = malloc(cap);
  txn_rec_t *recs   = malloc((size_t)(max_txns ? max_txns : 1) * sizeof *recs);
  if (!buf || !recs) {
    errf("out of memory\n");
    free(buf);
    free(recs);
    return -1;
  }

  tip_t tip, fork_base;
  tip.slot = o->start_slot ? o->start_slot - 1 : 0;
  {
    sof_txgen_rng_t r;
    sof_txgen_rng_seed(&r, sof_txgen_mix(o->seed, DOMAIN_ROOT));
    sof_txgen_rng_bytes(&r, tip.root, 32); /* the last root of the parent of the first slot */
    sof_txgen_rng_bytes(&r, tip.poh, 32);
  }
  fork_base = tip;
  uint64_t loser_left = 0, protect_left = 0;

  int rc = 0;
  for (uint64_t s = 0; s < o->slots && !rc; s++) {
    uint64_t slot = o->start_slot + s;
    int      skip = sof_txgen_rng_below(&g->plan, PPM) < o->skip_ppm;
    if (o->fork_every && s && s % o->fork_every == 0 && !protect_left &&
        o->slots - s >= 2 * o->fork_len + 1) {
      fork_base    = tip;
      loser_left   = o->fork_len;
      protect_left = 2 * o->fork_len + 1;
      g->st.forks++;
    }
    if (protect_left) {
      protect_left--;
      skip = 0;
    }
    if (!s || slot - tip.slot >= MAX_PARENT_OFF) skip = 0;
    if (skip) {
      sof_json_t *j = &g->j;
      sof_json_obj_begin(j);
      sof_json_key(j, "type");    sof_json_str(j, "slot");
      sof_json_key(j, "slot");    sof_json_u64(j, slot);
      sof_json_key(j, "leader");  sof_json_b58_32(j, g->leader_kp[leader_of(o, slot)] + 32);
      sof_json_key(j, "skipped"); sof_json_bool(j, 1);
      sof_json_obj_end(j);
      emit(g);
      g->st.slots_skipped++;
      continue;
    }
    int canonical = loser_left == 0;
    rc = gen_slot(g, slot, &tip, canonical, buf, cap, recs);
    tip.slot = slot;
    memcpy(tip.root, g->root, 32);
    memcpy(tip.poh, g->poh, 32);
    if (loser_left && !--loser_left) tip = fork_base; /* the winner builds on P */
  }
  free(buf);
  free(recs);
  return rc;
}

static int
write_file(char const *path, void const *p, size_t sz) {
  FILE *f = fopen(path, "wb");
  if (!f) {
    errf("cannot create %s: %s\n", path, strerror(errno));
    return -1;
  }
  int bad = fwrite(p, 1, sz, f) != sz;
  bad |= fclose(f) != 0;
  if (bad) {
    errf("cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  return 0;
}

static int write_schedule_range(gen_t *g, char const *path, uint64_t epoch_first, uint64_t from,
                                 uint64_t cnt);

/* One schedule: the generated slots, offsets from --epoch-first-slot. With
 * --slots-per-epoch: a file per epoch the slots touch, each naming every
 * slot of its epoch. */
static int
write_schedule(gen_t *g, char const *path) {
  opts_t const *o = g->o;
  if (!o->slots_per_epoch) return write_schedule_range(g, path, o->epoch_first_slot, o->start_slot, o->slots);
  uint64_t spe = o->slots_per_epoch;
  uint64_t e0 = (o->start_slot - o->epoch_first_slot) / spe;
  uint64_t e1 = (o->start_slot + o->slots - 1 - o->epoch_first_slot) / spe;
  char const *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  char const *dot = strrchr(base, '.');
  size_t stem = dot && dot != base ? (size_t)(dot - path) : strlen(path);
  for (uint64_t e = e0; e <= e1; e++) {
    char p[4096];
    int n = snprintf(p, sizeof p, "%.*s.epoch%" PRIu64 "%s", (int)stem, path, e, path + stem);
    if (n < 0 || (size_t)n >= sizeof p) {
      errf("--leader-schedule %s: path too long\n", path);
      return -1;
    }
    uint64_t first = o->epoch_first_slot + e * spe;
    if (write_schedule_range(g, p, first, first, spe)) return -1;
  }
  return 0;
}

static int
write_schedule_range(gen_t *g, char const *path, uint64_t epoch_first, uint64_t from, uint64_t cnt) {
  opts_t const *o = g->o;
  FILE *        f = fopen(path, "wb");
  if (!f) {
    errf("cannot create %s: %s\n", path, strerror(errno));
    return -1;
  }
  fputc('{', f);
  int first_leader = 1;
  for (uint64_t l = 0; l < o->leaders; l++) {
    int first_slot = 1;
    for (uint64_t s = 0; s < cnt; s++) {
      uint64_t slot = from + s;
      if (leader_of(o, slot) != l) continue;
      if (first_slot) {
        char b58[SOF_BASE58_ENCODED_32_MAX];
        sof_base58_encode_32(g->leader_kp[l] + 32, b58);
        fprintf(f, "%s\"%s\":[", first_leader ? "" : ",", b58);
        first_leader = 0;
        first_slot   = 0;
      } else {
        fputc(',', f);
      }
      fprintf(f, "%" PRIu64, slot - epoch_first);
    }
    if (!first_slot) fputc(']', f);
  }
  fputs("}\n", f);
  int bad = ferror(f);
  bad |= fclose(f) != 0;
  if (bad) {
    errf("cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  return 0;
}

/* Writes the summary line to --summary FILE, or to stderr. */
static int
write_summary(gen_t *g) {
  char       buf[2048];
  sof_json_t j;
  sof_json_init(&j, buf, sizeof buf);
  summary_json(g, &j);
  sof_json_newline(&j);
  if (!sof_json_ok(&j)) return -1; /* cannot happen: the line is bounded */
  if (!g->o->summary_path) {
    fwrite(j.buf, 1, j.len, stderr);
    return 0;
  }
  return write_file(g->o->summary_path, j.buf, j.len);
}

int
sof_gen_run(opts_t const *o, sof_gen_frame_fn fn, void *ctx) {
  prog = o->prog ? o->prog : "sof-gen";
  gen_t *g = calloc(1, sizeof *g); /* ~250 KiB: not on the stack */
  if (!g) {
    errf("out of memory\n");
    return -1;
  }
  g->o        = o;
  g->sink     = fn;
  g->sink_ctx = ctx;
  sof_json_init(&g->j, g->line, sizeof g->line);
  int rc = 0;
  if (sof_shredder_init(&g->shredder) || sof_txgen_init(&g->txgen, o->seed)) {
    errf("libsodium initialisation failed\n");
    free(g);
    return -1;
  }
  sof_txgen_rng_seed(&g->rng, sof_txgen_mix(o->seed, DOMAIN_SLOT));
  sof_txgen_rng_seed(&g->plan, sof_txgen_mix(o->seed, DOMAIN_PLAN));
  for (unsigned i = 0; i < IMP_CNT; i++) {
    sof_txgen_rng_seed(&g->imp[i], sof_txgen_mix(sof_txgen_mix(o->seed, DOMAIN_IMPAIR), i));
  }
  g->inj_ip_id = 0x8000;
  sof_txgen_keypair(g->forger_kp, o->seed, SOF_TXGEN_DOMAIN_FORGER, 0);
  g->leader_kp = malloc((size_t)o->leaders * 64);
  if (o->reorder) {
    g->win  = malloc((size_t)o->reorder * sizeof *g->win);
    g->perm = malloc((size_t)o->reorder * sizeof *g->perm);
  }
  if (!g->leader_kp || (o->reorder && (!g->win || !g->perm))) {
    errf("out of memory\n");
    rc = -1;
    goto out;
  }
  for (uint64_t i = 0; i < o->leaders; i++) {
    sof_txgen_keypair(g->leader_kp[i], o->seed, SOF_TXGEN_DOMAIN_LEADER, i);
  }

  if (o->leader_key_path && write_file(o->leader_key_path, g->leader_kp, (size_t)o->leaders * 64)) rc = -1;
  if (!rc && o->schedule_path && write_schedule(g, o->schedule_path)) rc = -1;
  if (!rc && o->truth_path) {
    g->truth = fopen(o->truth_path, "wb");
    if (!g->truth) {
      errf("cannot create %s: %s\n", o->truth_path, strerror(errno));
      rc = -1;
    }
  }
  if (!rc) {
    emit_config(g);
    if (gen_slots(g)) rc = -1;
    if (!rc && g->win_cnt) flush_window(g);
    if (!rc && g->sink_err) rc = -1; /* the window's last frames */
    if (!rc) {
      summary_json(g, &g->j);
      emit(g);
    }
  }
  if (g->truth && fclose(g->truth) && !g->io_err) g->io_err = errno ? errno : EIO;
  if (g->io_err) {
    errf("write error: %s\n", strerror(g->io_err));
    rc = -1;
  }
  if (!rc && write_summary(g)) rc = -1;
out:
  free(g->leader_kp);
  free(g->win);
  free(g->perm);
  free(g);
  return rc;
}
