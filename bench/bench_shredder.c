/* bench_shredder: cost of turning entry batches into signed 32:32 FEC sets.
 *
 *   bench_shredder [sets_per_run]
 *
 * Cases, each the median of SOF_BENCH_RUNS runs (sof_bench.h):
 *   - a 10 MiB batch that does not end its slot (340 chained sets), as
 *     Firedancer's test_shredder perf_test shreds: the headline figure;
 *   - the same batch ending its slot (339 chained sets + 1 resigned);
 *   - one-set batches (a full chained set per call: per-call overhead);
 *   - the stages of one set on their own: Reed-Solomon 32:32 encode of the
 *     987-byte shards; the 64 leaf hashes + 63 node hashes of the merkle tree
 *     through lib/crypto, leaves one SHA-256 stream at a time and two at a
 *     time (sof_merkle_leaf_x2, SHA-NI interleaved, as the shredder does;
 *     sof_merkle_tree_build hashes the nodes two at a time in both); one
 *     ed25519 signature; the key-pair check (the shredder does it once per
 *     key pair and thread, see sof_shredder.h).
 *
 * Printed per case: us per 32:32 set, generated shreds per second and Gbps
 * of entry data (batch bytes x 8 / time). The anchor printed in the
 * header, Firedancer's shredder in its 10 MB perf_test (103-116 us per
 * 32:32 set, about 4.3 Gbps of entry data), was measured 2026-11-22 on an
 * earlier host (an AMD EPYC VM, AVX2, no GFNI / AVX-512), not on the
 * machine this runs on: no ratio is printed.
 *
 * Figures, never assertions: this program does not fail on slowness. */
#include <string.h>

#include <sodium.h>

#include "sof_bench.h"

#include "crypto/sof_merkle.h"
#include "fec/sof_rs.h"
#include "shredder/sof_shredder.h"

#define BATCH_SZ (10UL * 1024UL * 1024UL) /* as Firedancer's PERF_TEST_SZ */

static sof_shredder_t      sh;
static uint8_t             keypair[64];
static uint8_t *           batch;
static sof_shredder_set_t *sets;
static size_t              set_max;

typedef struct {
  size_t batch_sz;
  int    last_in_slot;
} case_t;

/* One op = one whole batch shredded into sets[]. */
static uint64_t
run_batch(void *ctx, uint64_t ops) {
  case_t const *c   = ctx;
  uint64_t      acc = 0;
  uint8_t       root[32] = { 0 };
  for (uint64_t i = 0; i < ops; i++) {
    sof_shredder_args_t args = {
      .slot = 1000 + i, .parent_slot = 999 + i, .data_idx = 0, .shred_version = 6051,
      .reference_tick = 7, .last_in_slot = (uint8_t)c->last_in_slot, .keypair = keypair,
    };
    long n = sof_shredder_shred(&sh, &args, batch, c->batch_sz, root, sets, set_max);
    acc += (uint64_t)n + root[0];
  }
  return acc;
}

/* One op = one FEC set through sof_shredder_shred_set (a full chained set,
 * streamed into one output buffer as sof-gen does). */
static uint64_t
run_stream(void *ctx, uint64_t ops) {
  (void)ctx;
  uint64_t acc = 0;
  uint8_t  root[32] = { 0 };
  sof_shredder_args_t args = {
    .slot = 1000, .parent_slot = 999, .data_idx = 0, .shred_version = 6051,
    .reference_tick = 7, .last_in_slot = 0, .keypair = keypair,
  };
  size_t n = sof_shredder_set_cnt(BATCH_SZ, 0);
  for (uint64_t i = 0; i < ops; i++) {
    int err = sof_shredder_shred_set(&sh, &args, batch, BATCH_SZ, (size_t)(i % n), root, &sets[0]);
    acc += (uint64_t)err + root[1];
  }
  return acc;
}

/* ---- stages of one set ------------------------------------------------------ */

static uint8_t  shard_mem[64][SOF_SHRED_MERKLE_CODE_SZ];

/* ctx: the shard size. */
static uint64_t
run_rs(void *ctx, uint64_t ops) {
  size_t const shard_sz = *(size_t const *)ctx;
  uint8_t const *d[32];
  uint8_t *      p[32];
  for (unsigned i = 0; i < 32; i++) {
    d[i] = shard_mem[i];
    p[i] = shard_mem[32 + i];
  }
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++) {
    shard_mem[0][0] = (uint8_t)i;
    sof_rs_encode(&sh.rs, d, p, shard_sz);
    acc += p[31][0];
  }
  return acc;
}

static uint64_t
run_merkle(void *ctx, uint64_t ops) {
  int two = *(int *)ctx; /* leaves two at a time, as the shredder hashes them */
  static uint8_t nodes[127][32];
  uint64_t       acc = 0;
  for (uint64_t i = 0; i < ops; i++) {
    shard_mem[0][0] = (uint8_t)i;
    for (unsigned l = 0; l < 32; l += 1 + (unsigned)two) {
      if (two) {
        sof_merkle_leaf_x2(nodes[l], nodes[l + 1], shard_mem[l], 1019, shard_mem[l + 1], 1019);
        sof_merkle_leaf_x2(nodes[32 + l], nodes[33 + l], shard_mem[32 + l], 1044, shard_mem[33 + l], 1044);
      } else {
        sof_merkle_leaf(nodes[l], shard_mem[l], 1019);
        sof_merkle_leaf(nodes[32 + l], shard_mem[32 + l], 1044);
      }
    }
    acc += sof_merkle_tree_build(nodes, 64)[0];
  }
  return acc;
}

static uint64_t
run_sign(void *ctx, uint64_t ops) {
  (void)ctx;
  uint8_t  msg[32] = { 0 }, sig[64];
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++) {
    msg[0] = (uint8_t)i;
    crypto_sign_ed25519_detached(sig, NULL, msg, 32, keypair);
    acc += sig[0];
  }
  return acc;
}

static uint64_t
run_keycheck(void *ctx, uint64_t ops) {
  (void)ctx;
  uint8_t  pk[32], sk[64];
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++) {
    crypto_sign_ed25519_seed_keypair(pk, sk, keypair);
    acc += (uint64_t)sodium_memcmp(pk, keypair + 32, 32);
  }
  return acc;
}

/* Prints the per-set figures of a case measured as ns per op of sets_per_op
 * sets carrying bytes_per_op entry bytes. */
static void
per_set(char const *name, double ns_per_op, double sets_per_op, double bytes_per_op) {
  double us_set = ns_per_op / sets_per_op / 1e3;
  printf("  %-42s %8.1f us/set %12.0f shreds/s %7.2f Gbps entry data\n", name, us_set,
         64.0 * sets_per_op / (ns_per_op * 1e-9), bytes_per_op * 8.0 / ns_per_op);
}

int
main(int argc, char **argv) {
  uint64_t sets_per_run = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000;
  if (!sets_per_run) sets_per_run = 2000;
  if (sof_shredder_init(&sh)) {
    fprintf(stderr, "bench_shredder: libsodium initialisation failed\n");
    return 1;
  }
  /* Any fixed key: the signer's speed does not depend on it. */
  uint8_t seed[32], pk[32];
  for (unsigned i = 0; i < 32; i++) seed[i] = (uint8_t)(i * 7 + 1);
  crypto_sign_ed25519_seed_keypair(pk, keypair, seed);

  set_max = sof_shredder_set_cnt(BATCH_SZ, 1);
  batch   = malloc(BATCH_SZ);
  sets    = aligned_alloc(64, set_max * sizeof *sets);
  if (!batch || !sets) {
    fprintf(stderr, "bench_shredder: out of memory\n");
    return 1;
  }
  for (size_t i = 0; i < BATCH_SZ; i++) batch[i] = (uint8_t)i; /* as Firedancer's perf_test */
  memset(sets, 0, set_max * sizeof *sets);                    /* fault the pages in */
  for (unsigned i = 0; i < 64; i++) memset(shard_mem[i], (int)(i + 1), sizeof shard_mem[i]);

  printf("bench_shredder: entry batches -> signed 32:32 FEC sets (sof_shredder_shred), RS kernel %s; "
         "anchor from another host (2026-11-22, AMD EPYC, AVX2): Firedancer 103-116 us per set, ~4.3 Gbps\n",
         sof_rs_kernel_name());

  size_t  n_chained = sof_shredder_set_cnt(BATCH_SZ, 0);
  size_t  n_last    = sof_shredder_set_cnt(BATCH_SZ, 1);
  uint64_t batches  = sets_per_run / n_chained + 1;

  case_t c0 = { BATCH_SZ, 0 };
  double ns = sof_bench_report("shred 10 MiB batch, not last in slot", run_batch, &c0, batches);
  per_set("-> per set (340 chained)", ns, (double)n_chained, BATCH_SZ);
  case_t c1 = { BATCH_SZ, 1 };
  ns = sof_bench_report("shred 10 MiB batch, last in slot", run_batch, &c1, batches);
  per_set("-> per set (339 chained + 1 resigned)", ns, (double)n_last, BATCH_SZ);
  ns = sof_bench_report("shred_set, one set per call", run_stream, NULL, sets_per_run);
  per_set("-> per set", ns, 1.0, SOF_SHREDDER_CHAINED_SET_PAYLOAD_SZ);

  printf("stages of one chained set:\n");
  size_t shard = SOF_SHREDDER_CHAINED_DATA_CAP + 24;
  sof_bench_report("  RS encode 32:32 x 987 B", run_rs, &shard, sets_per_run);
  int one = 0, two = 1;
  sof_bench_report("  merkle tree, leaves one at a time", run_merkle, &one, sets_per_run);
  sof_bench_report("  merkle tree, leaves two at a time (shredder)", run_merkle, &two, sets_per_run);
  sof_bench_report("  ed25519 sign (32-byte root)", run_sign, NULL, sets_per_run);
  sof_bench_report("  key pair check (seed -> public key)", run_keycheck, NULL, sets_per_run);

  free(batch);
  free(sets);
  return (int)(sof_bench_sink & 0); /* keep the sink live */
}
