/* bench_verify: what shred verification costs.
 *
 *   bench_verify [sets [burst [rotation sets per slot]]]
 *
 * Sets are made here by the shredder (32:32, chained; 1203 / 1228-byte
 * shreds), so the benchmark needs no vectors. Prints: the merkle path of one
 * shred without cache, ed25519 verifications per second (libsodium, the
 * prepared-key verifier, and OpenSSL beside them for reference; preparing
 * a key), and the amortized cost per shred of verifying
 * whole sets in arrival order with the verifier (one ed25519 per set, node
 * cache), plus the same with every signature already cached; the same
 * through the burst API (sof_verify_shreds, bursts of 32 by default: leaves
 * hashed two at a time); one leaf hash alone vs two at a time; and the
 * same verification with leaders rotating every 4 slots and every set
 * cold in cache, per shred, on each ed25519 implementation (rot_run).
 * Every ed25519 case runs on each implementation the CPU has (scalar,
 * AVX-512 IFMA; sof_ed25519_impl_set). */
#include <openssl/evp.h>
#include <sodium.h>
#include <string.h>

#include "sof_bench.h"

#include "crypto/sof_ed25519.h"
#include "crypto/sof_merkle.h"
#include "shredder/sof_shredder.h"
#include "verify/sof_verify.h"

#define SETS_MAX 64
static sof_shredder_set_t sets[SETS_MAX];
static unsigned set_cnt = 16;
static sof_shredder_t sh;
static uint8_t kp[64];
static sof_verify_t *ver;
static sof_leaders_t *leaders;

static uint64_t
run_merkle(void *ctx, uint64_t ops) {
  int data = *(int *)ctx;
  uint8_t const *p = data ? sets[0].data[5] : sets[0].code[5];
  sof_shred_t s;
  sof_shred_parse(&s, p, data ? 1203 : 1228, 0);
  uint8_t root[32];
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++) acc += (uint64_t)sof_shred_merkle_root(root, p, &s) + root[1];
  return acc;
}

static uint64_t
run_ed25519(void *ctx, uint64_t ops) {
  (void)ctx;
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++)
    acc += (uint64_t)sof_ed25519_verify(sets[i % set_cnt].signature, sets[i % set_cnt].root, 32, kp + 32) + 1;
  return acc;
}

/* The anchor: libsodium's own verification of the same signatures. */
static uint64_t
run_ed25519_sodium(void *ctx, uint64_t ops) {
  (void)ctx;
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++)
    acc += (uint64_t)crypto_sign_ed25519_verify_detached(sets[i % set_cnt].signature, sets[i % set_cnt].root, 32,
                                                         kp + 32) + 1;
  return acc;
}

static sof_ed25519_key_t prepared;

static uint64_t
run_ed25519_prepared(void *ctx, uint64_t ops) {
  (void)ctx;
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++)
    acc += (uint64_t)sof_ed25519_verify_prepared(sets[i % set_cnt].signature, sets[i % set_cnt].root, 32,
                                                 &prepared) + 1;
  return acc;
}

/* Between two verifies the pipeline touches far more than a core's L2
 * (a set's 64 shreds, the dedupe table, the plugin lanes): the tables are
 * then out of L1 and L2, and their pages out of the TLB. This case walks
 * EVICT_BYTES (a line per page and a bit, so both caches and TLB turn
 * over) before each verify and times the verify alone: the median of
 * SOF_BENCH_RUNS runs of EVICT_OPS. The walk is scalar work, long enough
 * for the core to power its 512-bit units down (the IFMA verifier then
 * pays to wake them); with idle_polls it calls sof_ed25519_warm with no
 * lines every 64 pages, as sofd's idle rx polls do, which keeps them up. */
#define EVICT_BYTES (32U << 20)
#define EVICT_OPS   200U

static double
cold_verify_ns(int idle_polls) {
  uint8_t *buf = calloc(1, EVICT_BYTES);
  if (!buf) return 0;
  double ns[SOF_BENCH_RUNS];
  uint64_t acc = 0;
  for (int r = 0; r < SOF_BENCH_RUNS; r++) {
    uint64_t sum = 0;
    for (unsigned i = 0; i < EVICT_OPS; i++) {
      uint32_t cursor = 0;
      for (size_t o = 0, n = 0; o < EVICT_BYTES; o += 4096 + 64, n++) {
        acc += buf[o]++;
        /* an idle poller's sof_ed25519_warm(.., 0 lines) every 64 pages:
         * the 512-bit units stay up (the tables stay cold) */
        if (idle_polls && n % 64 == 0) acc += sof_ed25519_warm(NULL, &cursor, 0);
      }
      uint64_t t0 = sof_bench_now_ns();
      acc += (uint64_t)sof_ed25519_verify_prepared(sets[i % set_cnt].signature, sets[i % set_cnt].root, 32,
                                                   &prepared) + 1;
      sum += sof_bench_now_ns() - t0;
    }
    ns[r] = (double)sum / EVICT_OPS;
  }
  sof_bench_sink += acc;
  free(buf);
  qsort(ns, SOF_BENCH_RUNS, sizeof ns[0], sof_bench_cmp_dbl_);
  return ns[SOF_BENCH_RUNS / 2];
}

static uint64_t
run_key_prepare(void *ctx, uint64_t ops) {
  (void)ctx;
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++) acc += (uint64_t)sof_ed25519_key_prepare(&prepared, kp + 32) + 1;
  return acc;
}

static EVP_PKEY *ossl_key;

static uint64_t
run_ed25519_openssl(void *ctx, uint64_t ops) {
  (void)ctx;
  uint64_t acc = 0;
  EVP_MD_CTX *mctx = EVP_MD_CTX_new();
  for (uint64_t i = 0; i < ops; i++) {
    EVP_DigestVerifyInit(mctx, NULL, NULL, NULL, ossl_key);
    acc += (uint64_t)EVP_DigestVerify(mctx, sets[i % set_cnt].signature, 64, sets[i % set_cnt].root, 32);
  }
  EVP_MD_CTX_free(mctx);
  return acc;
}

/* ops = shreds; verifies whole sets in order (data then code), resetting
 * the verifier every set_cnt sets so every set pays its ed25519 once. */
static uint64_t
run_sets(void *ctx, uint64_t ops) {
  int warm = *(int *)ctx;
  uint64_t acc = 0, done = 0;
  while (done < ops) {
    if (!warm) sof_verify_reset(ver);
    for (unsigned k = 0; k < set_cnt && done < ops; k++) {
      for (unsigned i = 0; i < 32; i++, done++) acc += (uint64_t)sof_verify_shred(ver, sets[k].data[i], 1203, 0, NULL, NULL);
      for (unsigned i = 0; i < 32; i++, done++) acc += (uint64_t)sof_verify_shred(ver, sets[k].code[i], 1228, 0, NULL, NULL);
    }
  }
  return acc;
}

/* The same through sof_verify_shreds in bursts of `burst` shreds (an RX
 * burst): leaves hashed two at a time. */
static unsigned burst = 32;

static uint64_t
run_sets_burst(void *ctx, uint64_t ops) {
  int warm = *(int *)ctx;
  uint64_t acc = 0, done = 0;
  void const *bufs[64];
  size_t szs[64];
  int res[64];
  while (done < ops) {
    if (!warm) sof_verify_reset(ver);
    for (unsigned k = 0; k < set_cnt && done < ops; k++) {
      for (unsigned i = 0; i < 64; i++) {
        bufs[i] = i < 32 ? sets[k].data[i] : sets[k].code[i - 32];
        szs[i] = i < 32 ? 1203 : 1228;
      }
      for (unsigned i = 0; i < 64; i += burst) {
        unsigned n = 64 - i < burst ? 64 - i : burst;
        acc += sof_verify_shreds(ver, bufs + i, szs + i, n, 0, NULL, res, NULL);
        done += n;
      }
    }
  }
  return acc;
}

/* The flip attack: genuine shreds of cached sets re-sent with one
 * signature bit flipped, in bursts. Each costs its merkle path and a
 * comparison (the verified root under another signature), never ed25519. */
static uint8_t flipped[SETS_MAX][64][1228];

static uint64_t
run_flips(void *ctx, uint64_t ops) {
  (void)ctx;
  uint64_t acc = 0, done = 0;
  void const *bufs[64];
  size_t szs[64];
  int res[64];
  while (done < ops) {
    for (unsigned k = 0; k < set_cnt && done < ops; k++) {
      for (unsigned i = 0; i < 64; i++) {
        bufs[i] = flipped[k][i];
        szs[i] = i < 32 ? 1203 : 1228;
      }
      for (unsigned i = 0; i < 64; i += burst) {
        unsigned n = 64 - i < burst ? 64 - i : burst;
        sof_verify_shreds(ver, bufs + i, szs + i, n, 0, NULL, res, NULL);
        acc += (uint64_t)res[0];
        done += n;
      }
    }
  }
  return acc;
}

/* Forgeries of sets not verified yet (another root each: altered content,
 * a random signature), from one source: the failure budgets bound the
 * ed25519 work to set_fail_budget per set, then one in eight. */
static uint64_t
run_forged(void *ctx, uint64_t ops) {
  (void)ctx;
  static uint8_t buf[1203];
  static uint64_t slot = 1u << 20;
  uint64_t acc = 0;
  sof_verify_set_source(ver, 0x0A000009ULL << 16 | 4000);
  for (uint64_t i = 0; i < ops; i++) {
    if (i % 256 == 0) slot++; /* 256 forgeries per set */
    memcpy(buf, sets[0].data[i % 32], 1203);
    memcpy(buf + 65, &slot, 8);
    buf[100] = (uint8_t)i;
    buf[101] = (uint8_t)(i >> 8);
    buf[(i * 7) % 64] ^= 0x40;
    acc += (uint64_t)sof_verify_shred(ver, buf, 1203, 0, NULL, NULL);
  }
  return acc;
}

/* Leaf hashes of data shreds, one at a time or two at a time (per leaf). */
static uint64_t
run_leaf(void *ctx, uint64_t ops) {
  int two = *(int *)ctx;
  uint64_t acc = 0;
  uint8_t a[32], b[32];
  for (uint64_t i = 0; i < ops; i += 1 + (uint64_t)two) {
    uint8_t const *x = sets[0].data[i % 32] + 64, *y = sets[0].data[(i + 1) % 32] + 64;
    if (two) sof_merkle_leaf_x2(a, b, x, 1203 - 64 - 120, y, 1203 - 64 - 120);
    else     sof_merkle_leaf(a, x, 1203 - 64 - 120);
    acc += a[0] + b[0];
  }
  return acc;
}

/* Leader rotation as sofd sees it: ROT_LEADERS leaders in turn, 4 slots
 * each (the leader schedule's unit), rot_sets sets per slot, each leader's
 * sets signed by its own key. More leaders than the verifier's 4 key slots
 * rotate, so every leader change finds its key unprepared, as on mainnet
 * (~1400 leaders an epoch). Each set arrives cold: EVICT_BYTES are walked
 * before it (caches and TLB turned over, as the pipeline's other work
 * does between two sets); only the set's 64 shreds through
 * sof_verify_shreds (bursts of `burst`) are timed. ahead = 0: the key is
 * prepared on the leader's first valid set (unprepared verify, then the
 * table); ahead = 1: sofd's default, prepare_ahead 8 with idle polls
 * between sets (untimed; at 100k shreds/s rx idles most of a set's
 * ~640 µs) preparing the next leaders' keys in steps. */
#define ROT_LEADERS    8U
#define ROT_SLOTS      4U /* slots per leader */
#define ROT_SETS_MAX   64U

static unsigned rot_sets = 16; /* per slot */
static sof_shredder_set_t *rot;  /* [leader][slot][set] */
static uint8_t rot_kp[ROT_LEADERS][64];

typedef struct {
  double per_shred, first_set, other_set; /* ns (see rot_run) */
  uint64_t prepares, prepared_ahead, unprepared;
} rot_result_t;

static int
rot_build(void) {
  unsigned n = ROT_LEADERS * ROT_SLOTS * rot_sets;
  rot = calloc(n, sizeof *rot);
  if (!rot) return -1;
  static uint8_t batch[30816];
  for (size_t i = 0; i < sizeof batch; i++) batch[i] = (uint8_t)(i * 131 + 7);
  for (unsigned l = 0; l < ROT_LEADERS; l++) {
    uint8_t seed[32] = {(uint8_t)(0x40 + l)};
    sof_ed25519_keypair_from_seed(rot_kp[l], seed);
    for (unsigned s = 0; s < ROT_SLOTS; s++)
      for (unsigned k = 0; k < rot_sets; k++) {
        uint64_t slot = 5000 + l * ROT_SLOTS + s;
        sof_shredder_args_t a = {.slot = slot, .parent_slot = slot - 1, .shred_version = 1,
                                 .data_idx = 32 * k, .keypair = rot_kp[l]};
        uint8_t chained[32] = {(uint8_t)k, (uint8_t)s, (uint8_t)l};
        if (sof_shredder_shred(&sh, &a, batch, sizeof batch, chained, &rot[(l * ROT_SLOTS + s) * rot_sets + k], 1) != 1)
          return -1;
      }
  }
  return 0;
}

static int
rot_run(rot_result_t *out, int ahead) {
  sof_leaders_t *lt = sof_leaders_new(4096, ROT_LEADERS + 1);
  if (!lt) return -1;
  for (unsigned l = 0; l < ROT_LEADERS; l++)
    for (unsigned s = 0; s < ROT_SLOTS; s++) sof_leaders_set(lt, 5000 + l * ROT_SLOTS + s, rot_kp[l] + 32);
  sof_verify_cfg_t cfg;
  sof_verify_cfg_default(&cfg);
  cfg.prepare_ahead = ahead ? 8 : 0;
  sof_verify_t *v = sof_verify_new(&cfg, lt, NULL, 0);
  uint8_t *buf = calloc(1, EVICT_BYTES);
  unsigned const sets_n = ROT_LEADERS * ROT_SLOTS * rot_sets;
  double *ns = calloc((size_t)SOF_BENCH_RUNS * sets_n, sizeof *ns); /* [set][run] */
  double *med = calloc(sets_n, sizeof *med);
  if (!v || !buf || !ns || !med) {
    sof_verify_delete(v), sof_leaders_delete(lt), free(buf), free(ns), free(med);
    return -1;
  }
  uint64_t acc = 0, bad = 0;
  sof_verify_stats_t const *st = sof_verify_stats(v);
  memset(out, 0, sizeof *out);
  for (int r = -1; r < SOF_BENCH_RUNS; r++) { /* run -1 warms up (keys of the last pass, code) */
    if (r > 0) { /* the timed pass's counters, before the reset zeroes them */
      out->prepares += st->key_prepares;
      out->prepared_ahead += st->keys_prepared_ahead;
      out->unprepared += st->sig_verifies - st->sig_prepared;
    }
    sof_verify_reset(v); /* the same slots again: forget the sets and counters, keep the keys */
    for (unsigned n = 0; n < sets_n; n++) {
      sof_shredder_set_t const *set = &rot[n];
      if (ahead) /* idle polls before the set: key preparations ahead, in steps */
        for (unsigned i = 0; i < 64 && sof_verify_prepare_ahead(v); i++) {}
      for (size_t o = 0; o < EVICT_BYTES; o += 4096 + 64) acc += buf[o]++;
      void const *bufs[64];
      size_t szs[64];
      int res[64];
      for (unsigned i = 0; i < 64; i++) {
        bufs[i] = i < 32 ? set->data[i] : set->code[i - 32];
        szs[i] = i < 32 ? 1203 : 1228;
      }
      uint64_t t0 = sof_bench_now_ns();
      for (unsigned i = 0; i < 64; i += burst) {
        unsigned b = 64 - i < burst ? 64 - i : burst;
        acc += sof_verify_shreds(v, bufs + i, szs + i, b, 0, NULL, res + i, NULL);
      }
      uint64_t dt = sof_bench_now_ns() - t0;
      for (unsigned i = 0; i < 64; i++) bad += res[i] != SOF_VERIFY_VERIFIED;
      if (r >= 0) ns[(size_t)n * SOF_BENCH_RUNS + (unsigned)r] = (double)dt;
    }
  }
  out->prepares += st->key_prepares;
  out->prepared_ahead += st->keys_prepared_ahead;
  out->unprepared += st->sig_verifies - st->sig_prepared;
  sof_bench_sink += acc;
  /* each set's median over the passes (a pass preempted on a shared
   * machine moves a mean, not these); per shred: their sum over all
   * shreds; first and other sets: the median of those medians */
  double sum = 0;
  for (unsigned n = 0; n < sets_n; n++) {
    qsort(ns + (size_t)n * SOF_BENCH_RUNS, SOF_BENCH_RUNS, sizeof *ns, sof_bench_cmp_dbl_);
    med[n] = ns[(size_t)n * SOF_BENCH_RUNS + SOF_BENCH_RUNS / 2];
    sum += med[n];
  }
  out->per_shred = sum / (sets_n * 64.0);
  double firsts[ROT_LEADERS];
  unsigned const per_leader = ROT_SLOTS * rot_sets;
  for (unsigned l = 0; l < ROT_LEADERS; l++) {
    firsts[l] = med[l * per_leader];
    med[l * per_leader] = 1e300; /* sorted last, out of the others' median */
  }
  qsort(firsts, ROT_LEADERS, sizeof firsts[0], sof_bench_cmp_dbl_);
  qsort(med, sets_n, sizeof *med, sof_bench_cmp_dbl_);
  out->first_set = firsts[ROT_LEADERS / 2];
  out->other_set = med[(sets_n - ROT_LEADERS) / 2];
  sof_verify_delete(v);
  sof_leaders_delete(lt);
  free(buf), free(ns), free(med);
  return bad ? -1 : 0;
}

static void
rot_report(void) {
  if (rot_build()) {
    printf("leader rotation: cannot build the sets\n");
    return;
  }
  printf("leader rotation: %u leaders x %u slots x %u sets, cold sets (%u MiB walked before each), bursts of %u\n",
         ROT_LEADERS, ROT_SLOTS, rot_sets, EVICT_BYTES >> 20, burst);
  sof_ed25519_impl_t const impl_used = sof_ed25519_impl();
  for (int ahead = 0; ahead < 2; ahead++)
    for (int which = SOF_ED25519_IMPL_SCALAR; which <= SOF_ED25519_IMPL_IFMA; which++) {
      if (sof_ed25519_impl_set((sof_ed25519_impl_t)which)) continue;
      rot_result_t res;
      if (rot_run(&res, ahead)) {
        printf("leader rotation: a genuine shred was not verified\n");
        exit(1);
      }
      char name[80];
      snprintf(name, sizeof name, "  rotation, %s, %s", ahead ? "prepare_ahead 8" : "prepared on 1st set",
               sof_ed25519_impl_name((sof_ed25519_impl_t)which));
      printf("%-44s %10.1f ns/shred (each set's median of %d passes); a leader's first set %.1f µs, others"
             " %.1f µs; %llu prepares (%llu ahead), %llu unprepared verifies in %d passes\n",
             name, res.per_shred, SOF_BENCH_RUNS, res.first_set / 1e3, res.other_set / 1e3,
             (unsigned long long)res.prepares, (unsigned long long)res.prepared_ahead,
             (unsigned long long)res.unprepared, SOF_BENCH_RUNS);
    }
  sof_ed25519_impl_set(impl_used);
  free(rot);
}

int
main(int argc, char **argv) {
  if (argc > 1) set_cnt = (unsigned)strtoul(argv[1], NULL, 10);
  if (!set_cnt || set_cnt > SETS_MAX) set_cnt = 16;
  if (argc > 2) burst = (unsigned)strtoul(argv[2], NULL, 10);
  if (!burst || burst > 64) burst = 32;
  if (argc > 3) rot_sets = (unsigned)strtoul(argv[3], NULL, 10);
  if (!rot_sets || rot_sets > ROT_SETS_MAX) rot_sets = 16;
  if (sof_ed25519_init() || sof_shredder_init(&sh)) return 1;
  uint8_t seed[32] = {7};
  sof_ed25519_keypair_from_seed(kp, seed);
  static uint8_t batch[30816];
  for (size_t i = 0; i < sizeof batch; i++) batch[i] = (uint8_t)(i * 131 + 7);
  for (unsigned k = 0; k < set_cnt; k++) {
    sof_shredder_args_t a = {.slot = 1000 + k, .parent_slot = 999 + k, .shred_version = 1,
                             .keypair = kp};
    uint8_t chained[32] = {(uint8_t)k};
    if (sof_shredder_shred(&sh, &a, batch, sizeof batch, chained, &sets[k], 1) != 1) return 1;
  }
  leaders = sof_leaders_new(4096, 4);
  sof_leaders_set_fixed(leaders, kp + 32);
  sof_verify_cfg_t cfg;
  sof_verify_cfg_default(&cfg);
  cfg.cache_sets = 64;
  ver = sof_verify_new(&cfg, leaders, NULL, 0);
  ossl_key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, kp + 32, 32);

  printf("bench_verify: %u sets of 32 data + 32 code shreds\n", set_cnt);
  int data = 1, code = 0;
  sof_bench_report("merkle path, 1203 B data shred, no cache", run_merkle, &data, 100000);
  sof_bench_report("merkle path, 1228 B code shred, no cache", run_merkle, &code, 100000);
  double ed_sodium = sof_bench_report("ed25519 verify (libsodium)", run_ed25519_sodium, NULL, 2000);
  double ed_unprep = sof_bench_report("ed25519 verify, key not prepared (sof)", run_ed25519, NULL, 2000);
  printf("%-44s %10.2fx libsodium's time (%s)\n", "  = unprepared", ed_unprep / ed_sodium,
         sof_ed25519_impl_name(sof_ed25519_impl()));
  /* every implementation of the unprepared path this CPU runs */
  sof_ed25519_impl_t const impl_used = sof_ed25519_impl();
  for (int which = SOF_ED25519_IMPL_SCALAR; which <= SOF_ED25519_IMPL_IFMA; which++) {
    if (sof_ed25519_impl_set((sof_ed25519_impl_t)which)) continue;
    char name[64];
    snprintf(name, sizeof name, "  key not prepared, %s", sof_ed25519_impl_name((sof_ed25519_impl_t)which));
    sof_bench_report(name, run_ed25519, NULL, 2000);
  }
  sof_ed25519_impl_set(impl_used);
  sof_bench_report("ed25519 key prepare (table of 704 points)", run_key_prepare, NULL, 500);
  double ed = sof_bench_report("ed25519 verify, prepared key (the verifier's)", run_ed25519_prepared, NULL,
                               4000);
  printf("%-44s %10.2fx libsodium's time (%s)\n", "  = prepared", ed / ed_sodium,
         sof_ed25519_impl_name(sof_ed25519_impl()));
  /* every implementation of the prepared path this CPU runs */
  for (int which = SOF_ED25519_IMPL_SCALAR; which <= SOF_ED25519_IMPL_IFMA; which++) {
    if (sof_ed25519_impl_set((sof_ed25519_impl_t)which)) continue;
    char name[64];
    snprintf(name, sizeof name, "  prepared key, %s", sof_ed25519_impl_name((sof_ed25519_impl_t)which));
    sof_bench_report(name, run_ed25519_prepared, NULL, 4000);
  }
  sof_ed25519_impl_set(impl_used);
  {
    /* the same preparation in steps (an idle poll's unit of work): the
     * longest step bounds what a packet arriving meanwhile waits */
    static sof_ed25519_prep_t prep;
    static sof_ed25519_key_t stepped;
    double longest[SOF_BENCH_RUNS];
    unsigned steps = 0;
    for (int r = 0; r < SOF_BENCH_RUNS; r++) {
      uint64_t worst = 0;
      steps = 1;
      uint64_t t0 = sof_bench_now_ns();
      int rc = sof_ed25519_key_prepare_begin(&stepped, &prep, kp + 32);
      uint64_t t1 = sof_bench_now_ns();
      worst = t1 - t0;
      while (rc == 0 || rc == 1) {
        t0 = sof_bench_now_ns();
        rc = sof_ed25519_key_prepare_step(&stepped, &prep);
        t1 = sof_bench_now_ns();
        if (t1 - t0 > worst) worst = t1 - t0;
        steps++;
        if (rc == 0) break;
      }
      longest[r] = (double)worst;
    }
    qsort(longest, SOF_BENCH_RUNS, sizeof longest[0], sof_bench_cmp_dbl_);
    printf("%-44s %10.1f ns longest of %u steps (median of %d preparations)\n", "  the same in steps (idle polls)",
           longest[SOF_BENCH_RUNS / 2], steps, SOF_BENCH_RUNS);
  }
  for (int which = SOF_ED25519_IMPL_SCALAR; which <= SOF_ED25519_IMPL_IFMA; which++) {
    if (sof_ed25519_impl_set((sof_ed25519_impl_t)which)) continue;
    char name[64];
    snprintf(name, sizeof name, "  the same, cache-cold, %s", sof_ed25519_impl_name((sof_ed25519_impl_t)which));
    printf("%-44s %10.1f ns/op (caches and TLB turned over before each; median of %d runs x %u)\n", name,
           cold_verify_ns(0), SOF_BENCH_RUNS, EVICT_OPS);
    snprintf(name, sizeof name, "    with idle polls' sof_ed25519_warm, %s",
             sof_ed25519_impl_name((sof_ed25519_impl_t)which));
    printf("%-44s %10.1f ns/op (the same walk, sof_ed25519_warm(NULL, .., 0) every 64 pages of it)\n", name,
           cold_verify_ns(1));
  }
  sof_ed25519_impl_set(impl_used);
  if (ossl_key) sof_bench_report("ed25519 verify (OpenSSL, reference)", run_ed25519_openssl, NULL, 2000);
  printf("%-44s %10.0f verifies/s libsodium, %.0f prepared (x%.2f)\n", "  =", 1e9 / ed_sodium, 1e9 / ed,
         ed_sodium / ed);
  int cold = 0, warm = 1;
  double per = sof_bench_report("verify whole 32:32 sets, per shred", run_sets, &cold, (uint64_t)set_cnt * 64 * 4);
  printf("%-44s %10.1f ns/shred merkle + %.1f ns/shred ed25519 share\n", "  = split (approx.)",
         per - ed / 64.0, ed / 64.0);
  sof_bench_report("verify, signature cached (duplicates)", run_sets, &warm, (uint64_t)set_cnt * 64 * 4);
  double per_b = sof_bench_report("same in bursts of 32 (sof_verify_shreds)", run_sets_burst, &cold,
                                  (uint64_t)set_cnt * 64 * 4);
  printf("%-44s %10.1f ns/shred merkle + %.1f ns/shred ed25519 share\n", "  = split (approx.)",
         per_b - ed / 64.0, ed / 64.0);
  sof_bench_report("  bursts, signature cached (duplicates)", run_sets_burst, &warm, (uint64_t)set_cnt * 64 * 4);
  /* attacks: what rx spends per hostile packet */
  for (unsigned k = 0; k < set_cnt; k++)
    for (unsigned i = 0; i < 64; i++) {
      memcpy(flipped[k][i], i < 32 ? sets[k].data[i] : sets[k].code[i - 32], i < 32 ? 1203 : 1228);
      flipped[k][i][(i * 13 + k) % 64] ^= (uint8_t)(1U << (i % 8));
    }
  sof_verify_stats_t const *vs = sof_verify_stats(ver);
  uint64_t ed_before = vs->sig_verifies;
  double flip = sof_bench_report("flip attack: cached set, 1 sig bit flipped", run_flips, NULL,
                                 (uint64_t)set_cnt * 64 * 4);
  printf("%-44s %10.1f ns/packet (was one ed25519 each: %.1f ns libsodium + the path); ed25519 in it: %llu\n",
         "  = per hostile packet", flip, ed_sodium, (unsigned long long)(vs->sig_verifies - ed_before));
  ed_before = vs->sig_verifies;
  uint64_t forged_ops = 4096;
  double forged = sof_bench_report("forged sets (256 forgeries each), budgets", run_forged, NULL, forged_ops);
  printf("%-44s %10.1f ns/packet; ed25519 per forgery %.3f (no budget: 1)\n", "  = per hostile packet", forged,
         (double)(vs->sig_verifies - ed_before) / (double)(forged_ops * (SOF_BENCH_RUNS + 0.1)));
  int one = 0, two = 1;
  sof_bench_report("merkle leaf of a data shred, one at a time", run_leaf, &one, 100000);
  sof_bench_report("merkle leaf, two at a time (per leaf)", run_leaf, &two, 100000);
  rot_report();
  sof_verify_stats_t const *st = sof_verify_stats(ver);
  printf("verifier: %llu ed25519, %llu cache hits, %llu early merkle stops\n",
         (unsigned long long)st->sig_verifies, (unsigned long long)st->sig_cache_hits,
         (unsigned long long)st->node_cache_stops);
  EVP_PKEY_free(ossl_key);
  sof_verify_delete(ver);
  sof_leaders_delete(leaders);
  return 0;
}
