/* sof-gen: synthetic shred traffic with ground truth.
 *
 *   sof-gen [options] -o OUT.pcap
 *
 * Builds N consecutive slots from a seed: signed transactions (votes and
 * non-votes, legacy and v0) grouped in entries, entries and ticks grouped in
 * entry batches, batches shredded exactly as a current leader does
 * (lib/shredder: chained merkle 32:32 FEC sets, last set of a slot resigned,
 * each slot chained to the previous slot's last merkle root), and writes the
 * shreds as Ethernet/IPv4/UDP frames to a classic pcap file. Optional
 * outputs: ground truth as JSON lines, the leader key pair(s), a leader
 * schedule.
 *
 * Same options and seed => the same bytes in every output file. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sof_sha256.h"
#include "gen/sof_txgen.h"
#include "shredder/sof_shredder.h"
#include "util/sof_json.h"
#include "wire/sof_base58.h"
#include "wire/sof_txn.h"

#define GEN_NAME "sof-gen"

#define ETH_HDR_SZ  14U
#define IP_HDR_SZ   20U
#define UDP_HDR_SZ   8U
#define FRAME_HDR_SZ (ETH_HDR_SZ + IP_HDR_SZ + UDP_HDR_SZ) /* 42 */

#define PCAP_TS_BASE   1700000000ULL /* seconds: fixed, so output is reproducible */
#define SLOT_US        400000ULL     /* 400 ms slots */
#define PKT_GAP_US     20ULL

#define HASHES_PER_TICK 12500ULL
#define TICKS_PER_SLOT  64ULL

/* Option limits (keep a run bounded and a slot under 32768 data shreds). */
#define MAX_SLOTS          1000000ULL
#define MAX_TXNS_PER_SLOT  20000ULL
#define MAX_BATCHES        1024ULL
#define MAX_TICKS_BETWEEN  1024ULL
#define MAX_TXNS_PER_ENTRY 1024ULL
#define MAX_LEADERS        4096ULL

typedef struct {
  char const *out_path;
  char const *truth_path;
  char const *leader_key_path;
  char const *schedule_path;
  uint64_t    slots;
  uint64_t    seed;
  uint64_t    start_slot;
  uint64_t    epoch_first_slot;
  uint64_t    txns_per_slot;
  uint32_t    vote_ppm;
  uint64_t    batches;
  uint64_t    ticks_between;
  uint64_t    txns_per_entry;
  uint64_t    leaders;
  uint64_t    leader_slots;
  uint16_t    shred_version;
  uint32_t    src_ip; /* host order */
  uint32_t    dst_ip;
  uint16_t    src_port;
  uint16_t    dst_port;
} opts_t;

/* One generated transaction, kept until its batch is shredded (the truth
 * line names the dataset). */
typedef struct {
  uint8_t sig[64];
  uint8_t type;
  uint8_t version;
} txn_rec_t;

typedef struct {
  opts_t const *     o;
  FILE *             pcap;
  FILE *             truth;
  sof_shredder_t     shredder;
  sof_shredder_set_t set;        /* one FEC set at a time */
  sof_txgen_t        txgen;
  sof_txgen_rng_t    rng;        /* structure: entry sizes, hash counts */
  uint8_t (*leader_kp)[64];
  uint8_t            poh[32];    /* entry hash chain */
  uint8_t            root[32];   /* chained merkle root */
  uint64_t           pkt_in_slot;
  uint16_t           ip_id;
  uint8_t            frame[FRAME_HDR_SZ + SOF_SHRED_MAX_SZ];
  sof_json_t         j;
  char               line[4096];
  int                io_err;
} gen_t;

/* ---- options ------------------------------------------------------------- */

static void
usage(FILE *f) {
  fputs(
    "usage: sof-gen [options] -o OUT.pcap\n"
    "\n"
    "Generates consecutive Solana slots from a seed and writes their shreds, as\n"
    "a leader would send them (chained merkle shreds, 32 data + 32 coding per\n"
    "FEC set, last set of each slot resigned), to a classic pcap file of\n"
    "Ethernet/IPv4/UDP frames (1245 bytes per data shred, 1270 per coding\n"
    "shred; data shreds then coding shreds of each set, in index order).\n"
    "The same options give the same bytes.\n"
    "\n"
    "output:\n"
    "  -o, --out FILE               pcap file to write (required)\n"
    "      --truth FILE             ground truth, JSON lines: one \"config\" line,\n"
    "                               then per slot its \"transaction\" lines (slot,\n"
    "                               signature, kind), \"dataset\" lines (slot,\n"
    "                               startIndex, endIndex, txCount) and a \"slot\"\n"
    "                               line (slot, parent, leader, roots, counts)\n"
    "      --leader-key FILE        write the leader key pair: 64 bytes (ed25519\n"
    "                               seed || public key); with --leaders N > 1,\n"
    "                               the N key pairs one after the other\n"
    "      --leader-schedule FILE   write {\"<base58 pubkey>\": [slot offsets]} for\n"
    "                               the generated slots, offsets from\n"
    "                               --epoch-first-slot\n"
    "\n"
    "content:\n"
    "  -n, --slots N                slots to generate (default 4)\n"
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
    "\n"
    "packets:\n"
    "      --src-ip A.B.C.D         source address (default 10.0.0.1)\n"
    "      --dst-ip A.B.C.D         destination address (default 10.0.0.2)\n"
    "      --src-port N             UDP source port (default 8002)\n"
    "      --dst-port N             UDP destination port, the TVU (default 8001)\n"
    "\n"
    "  -h, --help                   this text\n"
    "\n"
    "Exit status: 0 done, 1 generation or write failure, 2 usage error.\n",
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
  fprintf(stderr, GEN_NAME ": --%s: expected an integer in [%" PRIu64 ", %" PRIu64 "], got '%s'\n",
          opt, lo, hi, s);
  return -1;
}

static int
parse_ip(char const *opt, char const *s, uint32_t *out) {
  struct in_addr a;
  if (inet_pton(AF_INET, s, &a) != 1) {
    fprintf(stderr, GEN_NAME ": --%s: expected an IPv4 address A.B.C.D, got '%s'\n", opt, s);
    return -1;
  }
  *out = ntohl(a.s_addr);
  return 0;
}

static int
parse_share(char const *opt, char const *s, uint32_t *ppm) {
  char * end;
  errno = 0;
  double v = strtod(s, &end);
  if (!s[0] || errno || *end || !(v >= 0.0 && v <= 1.0)) { /* NaN fails too */
    fprintf(stderr, GEN_NAME ": --%s: expected a number in [0, 1], got '%s'\n", opt, s);
    return -1;
  }
  *ppm = (uint32_t)(v * 1e6 + 0.5);
  return 0;
}

enum {
  OPT_TRUTH = 256, OPT_LEADER_KEY, OPT_SCHEDULE, OPT_START_SLOT, OPT_TXNS_PER_SLOT,
  OPT_VOTE_SHARE, OPT_BATCHES, OPT_TICKS, OPT_TXNS_PER_ENTRY, OPT_SHRED_VERSION, OPT_LEADERS,
  OPT_ROTATION, OPT_EPOCH_FIRST, OPT_SRC_IP, OPT_DST_IP, OPT_SRC_PORT, OPT_DST_PORT,
};

/* Returns 0 to run, 1 for --help (exit 0), -1 on a usage error (exit 2). */
static int
parse_opts(opts_t *o, int argc, char **argv) {
  *o = (opts_t){
    .slots = 4, .seed = 1, .start_slot = 1, .epoch_first_slot = 0, .txns_per_slot = 64,
    .vote_ppm = 800000, .batches = 4, .ticks_between = 16, .txns_per_entry = 8, .leaders = 1,
    .leader_slots = 4, .shred_version = 1, .src_ip = 0x0A000001, .dst_ip = 0x0A000002,
    .src_port = 8002, .dst_port = 8001,
  };
  static struct option const opts[] = {
    { "out", required_argument, NULL, 'o' },
    { "slots", required_argument, NULL, 'n' },
    { "seed", required_argument, NULL, 's' },
    { "help", no_argument, NULL, 'h' },
    { "truth", required_argument, NULL, OPT_TRUTH },
    { "leader-key", required_argument, NULL, OPT_LEADER_KEY },
    { "leader-schedule", required_argument, NULL, OPT_SCHEDULE },
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
    { "src-ip", required_argument, NULL, OPT_SRC_IP },
    { "dst-ip", required_argument, NULL, OPT_DST_IP },
    { "src-port", required_argument, NULL, OPT_SRC_PORT },
    { "dst-port", required_argument, NULL, OPT_DST_PORT },
    { NULL, 0, NULL, 0 },
  };
  int      c;
  uint64_t v;
  opterr = 0; /* our own messages */
  while ((c = getopt_long(argc, argv, ":o:n:s:h", opts, NULL)) != -1) {
    int rc = 0;
    switch (c) {
    case 'o': o->out_path = optarg; break;
    case 'n': rc = parse_u64("slots", optarg, 1, MAX_SLOTS, &o->slots); break;
    case 's': rc = parse_u64("seed", optarg, 0, UINT64_MAX, &o->seed); break;
    case 'h': return 1;
    case OPT_TRUTH: o->truth_path = optarg; break;
    case OPT_LEADER_KEY: o->leader_key_path = optarg; break;
    case OPT_SCHEDULE: o->schedule_path = optarg; break;
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
    case ':':
      fprintf(stderr, GEN_NAME ": option %s needs a value\n", argv[optind - 1]);
      return -1;
    default:
      if (optopt) fprintf(stderr, GEN_NAME ": unknown option -%c\n", optopt);
      else fprintf(stderr, GEN_NAME ": unknown option %s\n", argv[optind - 1]);
      return -1;
    }
    if (rc) return -1;
  }
  if (optind < argc) {
    fprintf(stderr, GEN_NAME ": unexpected argument '%s'\n", argv[optind]);
    return -1;
  }
  if (!o->out_path) {
    fprintf(stderr, GEN_NAME ": missing -o OUT.pcap\n");
    return -1;
  }
  if (o->start_slot < o->epoch_first_slot) {
    fprintf(stderr, GEN_NAME ": --start-slot %" PRIu64 " is before --epoch-first-slot %" PRIu64 "\n",
            o->start_slot, o->epoch_first_slot);
    return -1;
  }
  return 0;
}

/* ---- packets ------------------------------------------------------------- */

static void
st_be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void
st_be32(uint8_t *p, uint32_t v) {
  for (unsigned i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void
st_le32(uint8_t *p, uint32_t v) {
  for (unsigned i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
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

static void
pcap_header(gen_t *g) {
  uint8_t h[24];
  st_le32(h, 0xA1B2C3D4U);  /* microsecond timestamps */
  h[4] = 2; h[5] = 0;       /* version 2.4 */
  h[6] = 4; h[7] = 0;
  st_le32(h + 8, 0);        /* thiszone */
  st_le32(h + 12, 0);       /* sigfigs */
  st_le32(h + 16, 65535);   /* snaplen */
  st_le32(h + 20, 1);       /* LINKTYPE_ETHERNET */
  write_bytes(g, g->pcap, h, sizeof h);
}

static void
write_packet(gen_t *g, uint64_t slot_i, uint8_t const *shred, size_t sz) {
  opts_t const *o = g->o;
  uint8_t *     f = g->frame;
  static uint8_t const dst_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
  static uint8_t const src_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
  memcpy(f, dst_mac, 6);
  memcpy(f + 6, src_mac, 6);
  st_be16(f + 12, 0x0800);

  uint8_t *ip = f + ETH_HDR_SZ;
  ip[0] = 0x45;
  ip[1] = 0;
  st_be16(ip + 2, (uint16_t)(IP_HDR_SZ + UDP_HDR_SZ + sz));
  st_be16(ip + 4, g->ip_id++);
  st_be16(ip + 6, 0x4000); /* DF */
  ip[8] = 64;
  ip[9] = 17;
  st_be16(ip + 10, 0);
  st_be32(ip + 12, o->src_ip);
  st_be32(ip + 16, o->dst_ip);
  st_be16(ip + 10, csum_fold(csum_add(0, ip, IP_HDR_SZ)));

  uint8_t *udp = ip + IP_HDR_SZ;
  st_be16(udp, o->src_port);
  st_be16(udp + 2, o->dst_port);
  st_be16(udp + 4, (uint16_t)(UDP_HDR_SZ + sz));
  st_be16(udp + 6, 0);
  memcpy(udp + UDP_HDR_SZ, shred, sz);
  uint8_t pseudo[12];
  st_be32(pseudo, o->src_ip);
  st_be32(pseudo + 4, o->dst_ip);
  pseudo[8] = 0;
  pseudo[9] = 17;
  st_be16(pseudo + 10, (uint16_t)(UDP_HDR_SZ + sz));
  uint16_t ck = csum_fold(csum_add(csum_add(0, pseudo, sizeof pseudo), udp, UDP_HDR_SZ + sz));
  st_be16(udp + 6, ck ? ck : 0xFFFF);

  size_t   frame_sz = FRAME_HDR_SZ + sz;
  uint64_t t_us     = slot_i * SLOT_US + g->pkt_in_slot++ * PKT_GAP_US;
  uint8_t  rec[16];
  st_le32(rec, (uint32_t)(PCAP_TS_BASE + t_us / 1000000));
  st_le32(rec + 4, (uint32_t)(t_us % 1000000));
  st_le32(rec + 8, (uint32_t)frame_sz);
  st_le32(rec + 12, (uint32_t)frame_sz);
  write_bytes(g, g->pcap, rec, sizeof rec);
  write_bytes(g, g->pcap, f, frame_sz);
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
  sof_json_obj_end(j);
  emit(g);
}

/* ---- generation ------------------------------------------------------------ */

static uint64_t
leader_of(opts_t const *o, uint64_t slot) {
  return ((slot - o->epoch_first_slot) / o->leader_slots) % o->leaders;
}

typedef struct {
  uint64_t data_shreds;
  uint64_t fec_sets;
  uint64_t txns;
  uint64_t entries;
  uint64_t ticks;
} slot_stats_t;

/* Builds, shreds and writes one batch. Returns 0, or -1 (message printed). */
static int
gen_batch(gen_t *g, uint64_t slot, uint64_t parent, uint64_t slot_i, uint64_t txn_cnt,
          uint64_t tick_cnt, uint64_t *tick_in_slot, int last, uint32_t *data_idx,
          slot_stats_t *st, uint8_t *buf, size_t cap, txn_rec_t *recs) {
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
    fprintf(stderr, GEN_NAME ": slot %" PRIu64 ": building a batch failed: %s\n", slot,
            sof_txgen_err_str((int)batch_sz));
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
    int rc = sof_shredder_shred_set(&g->shredder, &args, buf, (size_t)batch_sz, i, g->root, &g->set);
    if (rc) {
      fprintf(stderr, GEN_NAME ": slot %" PRIu64 ": shredding failed: %s%s\n", slot,
              sof_shredder_err_str(rc),
              rc == SOF_SHREDDER_ERR_INDEX ? " (more than 32768 data shreds: lower --txns-per-slot)" : "");
      return -1;
    }
    for (unsigned d = 0; d < SOF_SHREDDER_DATA_CNT; d++)
      write_packet(g, slot_i, g->set.data[d], SOF_SHRED_MERKLE_DATA_SZ);
    for (unsigned c = 0; c < SOF_SHREDDER_CODE_CNT; c++)
      write_packet(g, slot_i, g->set.code[c], SOF_SHRED_MERKLE_CODE_SZ);
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
  return 0;
}

static int
gen_slots(gen_t *g) {
  opts_t const *o = g->o;
  /* Worst-case batch: every transaction at the MTU, one entry each. */
  uint64_t max_txns = (o->txns_per_slot + o->batches - 1) / o->batches;
  size_t   cap      = 8 + (size_t)max_txns * (SOF_TXN_MTU + 48) + (size_t)(o->ticks_between + 1) * 48;
  uint8_t *  buf    = malloc(cap);
  txn_rec_t *recs   = malloc((size_t)(max_txns ? max_txns : 1) * sizeof *recs);
  if (!buf || !recs) {
    fprintf(stderr, GEN_NAME ": out of memory\n");
    free(buf);
    free(recs);
    return -1;
  }

  int rc = 0;
  for (uint64_t s = 0; s < o->slots && !rc; s++) {
    uint64_t slot   = o->start_slot + s;
    uint64_t parent = slot ? slot - 1 : 0;
    uint8_t  chained_in[32];
    memcpy(chained_in, g->root, 32);
    /* Votes in this slot vote for its parent; messages use the slot's
     * starting hash as their recent blockhash. */
    sof_txgen_set_recent(&g->txgen, g->poh, parent);
    g->pkt_in_slot = 0;

    slot_stats_t st = { 0 };
    uint32_t     data_idx = 0;
    uint64_t     tick_in_slot = 0;
    for (uint64_t bi = 0; bi < o->batches && !rc; bi++) {
      uint64_t lo = o->txns_per_slot * bi / o->batches;
      uint64_t hi = o->txns_per_slot * (bi + 1) / o->batches;
      int      last  = bi + 1 == o->batches;
      uint64_t ticks = o->ticks_between;
      if (last && !ticks) ticks = 1; /* a slot ends with a tick */
      if (hi == lo && !ticks) continue; /* nothing to send */
      rc = gen_batch(g, slot, parent, s, hi - lo, ticks, &tick_in_slot, last, &data_idx, &st, buf,
                     cap, recs);
    }
    if (rc) break;

    sof_json_t *j = &g->j;
    sof_json_obj_begin(j);
    sof_json_key(j, "type");        sof_json_str(j, "slot");
    sof_json_key(j, "slot");        sof_json_u64(j, slot);
    sof_json_key(j, "parent");      sof_json_u64(j, parent);
    sof_json_key(j, "leader");      sof_json_b58_32(j, g->leader_kp[leader_of(o, slot)] + 32);
    sof_json_key(j, "dataShreds");  sof_json_u64(j, st.data_shreds);
    sof_json_key(j, "codeShreds");  sof_json_u64(j, st.fec_sets * SOF_SHREDDER_CODE_CNT);
    sof_json_key(j, "fecSets");     sof_json_u64(j, st.fec_sets);
    sof_json_key(j, "txCount");     sof_json_u64(j, st.txns);
    sof_json_key(j, "entryCount");  sof_json_u64(j, st.entries);
    sof_json_key(j, "tickCount");   sof_json_u64(j, st.ticks);
    sof_json_key(j, "chainedRoot"); sof_json_b58_32(j, chained_in);
    sof_json_key(j, "lastRoot");    sof_json_b58_32(j, g->root);
    sof_json_obj_end(j);
    emit(g);
    if (g->io_err) rc = -1;
  }
  free(buf);
  free(recs);
  return rc;
}

static int
write_file(char const *path, void const *p, size_t sz) {
  FILE *f = fopen(path, "wb");
  if (!f) {
    fprintf(stderr, GEN_NAME ": cannot create %s: %s\n", path, strerror(errno));
    return -1;
  }
  int bad = fwrite(p, 1, sz, f) != sz;
  bad |= fclose(f) != 0;
  if (bad) {
    fprintf(stderr, GEN_NAME ": cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  return 0;
}

static int
write_schedule(gen_t *g, char const *path) {
  opts_t const *o = g->o;
  FILE *        f = fopen(path, "wb");
  if (!f) {
    fprintf(stderr, GEN_NAME ": cannot create %s: %s\n", path, strerror(errno));
    return -1;
  }
  fputc('{', f);
  int first_leader = 1;
  for (uint64_t l = 0; l < o->leaders; l++) {
    int first_slot = 1;
    for (uint64_t s = 0; s < o->slots; s++) {
      uint64_t slot = o->start_slot + s;
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
      fprintf(f, "%" PRIu64, slot - o->epoch_first_slot);
    }
    if (!first_slot) fputc(']', f);
  }
  fputs("}\n", f);
  int bad = ferror(f);
  bad |= fclose(f) != 0;
  if (bad) {
    fprintf(stderr, GEN_NAME ": cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  return 0;
}

int
main(int argc, char **argv) {
  static opts_t o;
  int           prc = parse_opts(&o, argc, argv);
  if (prc > 0) {
    usage(stdout);
    return 0;
  }
  if (prc < 0) {
    fprintf(stderr, "Try '" GEN_NAME " --help'.\n");
    return 2;
  }

  static gen_t g; /* ~90 KiB: not on the stack */
  g.o = &o;
  sof_json_init(&g.j, g.line, sizeof g.line);
  if (sof_shredder_init(&g.shredder) || sof_txgen_init(&g.txgen, o.seed)) {
    fprintf(stderr, GEN_NAME ": libsodium initialisation failed\n");
    return 1;
  }
  sof_txgen_rng_seed(&g.rng, sof_txgen_mix(o.seed, 0x736C6F74 /* "slot" */));
  {
    sof_txgen_rng_t r;
    sof_txgen_rng_seed(&r, sof_txgen_mix(o.seed, 0x726F6F74 /* "root" */));
    sof_txgen_rng_bytes(&r, g.root, 32); /* the last root of the parent of the first slot */
    sof_txgen_rng_bytes(&r, g.poh, 32);
  }
  g.leader_kp = malloc((size_t)o.leaders * 64);
  if (!g.leader_kp) {
    fprintf(stderr, GEN_NAME ": out of memory\n");
    return 1;
  }
  for (uint64_t i = 0; i < o.leaders; i++) {
    sof_txgen_keypair(g.leader_kp[i], o.seed, SOF_TXGEN_DOMAIN_LEADER, i);
  }

  int rc = 0;
  if (o.leader_key_path && write_file(o.leader_key_path, g.leader_kp, (size_t)o.leaders * 64)) rc = 1;
  if (!rc && o.schedule_path && write_schedule(&g, o.schedule_path)) rc = 1;
  if (!rc) {
    g.pcap = fopen(o.out_path, "wb");
    if (!g.pcap) {
      fprintf(stderr, GEN_NAME ": cannot create %s: %s\n", o.out_path, strerror(errno));
      rc = 1;
    }
  }
  if (!rc && o.truth_path) {
    g.truth = fopen(o.truth_path, "wb");
    if (!g.truth) {
      fprintf(stderr, GEN_NAME ": cannot create %s: %s\n", o.truth_path, strerror(errno));
      rc = 1;
    }
  }
  if (!rc) {
    pcap_header(&g);
    emit_config(&g);
    if (gen_slots(&g)) rc = 1;
  }
  if (g.pcap && fclose(g.pcap) && !g.io_err) g.io_err = errno ? errno : EIO;
  if (g.truth && fclose(g.truth) && !g.io_err) g.io_err = errno ? errno : EIO;
  if (g.io_err) {
    fprintf(stderr, GEN_NAME ": write error: %s\n", strerror(g.io_err));
    rc = 1;
  }
  free(g.leader_kp);
  return rc;
}
