/* bench_rs.c: Reed-Solomon encode and recovery at shred size, beside ISA-L.
 *
 * Usage: bench_rs [ops_per_run]   (default 200)
 *
 * Every case works on one 32:32 FEC set of 1228-byte shards (the erasure
 * shard of a merkle code shred), each shard in its own 1280-byte buffer as
 * shreds sit in packet buffers. One op is one FEC set:
 *
 *   encode 32:32            the 32 parity shards from the 32 data shards
 *   recover 32 data lost    the 32 data shards from the 32 parity shards
 *   recover 16+16 lost      16 data and 16 parity shards lost, a different
 *                           random pattern every call (a ring of NPAT); the
 *                           16 data shards are rebuilt (data_only: what
 *                           shred recovery needs)
 *   recover nothing lost    every shard present: the check alone
 *
 * Ours runs with the kernel the CPU selects and with the portable one. With
 * ISA-L (built with -DSOF_HAVE_ISAL) the same cases run the way its users
 * recover: encode = ec_encode_data over our matrix with tables made once by
 * ec_init_tables; recovery, per call = gf_invert_matrix of the k x k
 * submatrix of the first k surviving rows, ec_init_tables over the rows of
 * the missing data shards, ec_encode_data.
 *
 * Before timing, every implementation's output is compared with the
 * original shards; a mismatch ends the program with status 1 (a benchmark
 * of wrong answers is worthless). sof_bench_report prints the median of its
 * runs as ns/op; a closing table gives µs per set. */
#include "fec/sof_rs.h"

#include "sof_bench.h"

#include <string.h>

#ifdef SOF_HAVE_ISAL
#include <isa-l/erasure_code.h>
#endif

#define K      32U
#define M      32U
#define N      (K + M)
#define SZ     1228U
#define STRIDE 1280U
#define NPAT   64U /* power of two */

static uint8_t  orig[N][STRIDE] __attribute__((aligned(64)));
static uint8_t  work[N][STRIDE] __attribute__((aligned(64)));
static uint8_t *workp[N];
static uint8_t  pat[NPAT][N]; /* present flags: 16 data + 16 parity lost */
static uint8_t  all_present[N];
static uint8_t  parity_only[N]; /* every data shard lost */
static sof_rs_t rs;

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Marks lose_d random data and lose_p random parity shards absent. */
static void
make_pattern(uint8_t *present, unsigned lose_d, unsigned lose_p) {
  memset(present, 1, N);
  for (unsigned l = 0; l < lose_d;) {
    unsigned i = (unsigned)(rng() % K);
    if (present[i]) { present[i] = 0; l++; }
  }
  for (unsigned l = 0; l < lose_p;) {
    unsigned i = K + (unsigned)(rng() % M);
    if (present[i]) { present[i] = 0; l++; }
  }
}

/* Restores every shard, then scribbles over those `present` marks absent. */
static void
lose(uint8_t const *present) {
  for (unsigned i = 0; i < N; i++) {
    memcpy(work[i], orig[i], SZ);
    if (present && !present[i]) memset(work[i], 0xA5, SZ);
  }
}

static int
data_ok(char const *what) {
  for (unsigned i = 0; i < K; i++)
    if (memcmp(work[i], orig[i], SZ)) {
      fprintf(stderr, "bench_rs: %s: data shard %u wrong\n", what, i);
      return 0;
    }
  return 1;
}

static int
parity_ok(char const *what) {
  for (unsigned i = K; i < N; i++)
    if (memcmp(work[i], orig[i], SZ)) {
      fprintf(stderr, "bench_rs: %s: parity shard %u wrong\n", what, i - K);
      return 0;
    }
  return 1;
}

/* ---- ours ------------------------------------------------------------------ */

static uint64_t
run_encode(void *ctx, uint64_t ops) {
  (void)ctx;
  uint8_t const *d[K];
  for (unsigned i = 0; i < K; i++) d[i] = work[i];
  for (uint64_t o = 0; o < ops; o++) sof_rs_encode(&rs, d, workp + K, SZ);
  return work[K][ops % SZ];
}

/* ctx: the present flags of one pattern, or NULL for the ring of patterns.
 * The rebuilt bytes equal those already in place after the first call, so
 * every call does the same work on valid shards. */
static uint64_t
run_recover(void *ctx, uint64_t ops) {
  uint8_t const *one = ctx;
  uint64_t acc = 0;
  for (uint64_t o = 0; o < ops; o++) {
    uint8_t const *present = one ? one : pat[o & (NPAT - 1)];
    acc += (uint64_t)sof_rs_reconstruct(&rs, workp, present, SZ, 1) + work[0][o % SZ];
  }
  return acc;
}

/* ---- ISA-L ----------------------------------------------------------------- */

#ifdef SOF_HAVE_ISAL
static uint8_t enc_matrix[N * K]; /* identity on top, then our parity rows */
static uint8_t enc_tbls[32 * K * M];

static uint64_t
run_isal_encode(void *ctx, uint64_t ops) {
  (void)ctx;
  uint8_t *d[K];
  for (unsigned i = 0; i < K; i++) d[i] = work[i];
  for (uint64_t o = 0; o < ops; o++) ec_encode_data((int)SZ, (int)K, (int)M, enc_tbls, d, workp + K);
  return work[K][ops % SZ];
}

/* One recovery as ISA-L's users write it (its erasure_code examples):
 * invert the rows of the first k survivors, keep the rows of the missing
 * data shards, make tables, multiply. Returns 0, -1 when singular. */
static int
isal_recover(uint8_t const *present) {
  uint8_t b[K * K], inv[K * K], c[K * K], tbls[32 * K * K];
  uint8_t *src[K], *dst[K];
  unsigned cnt = 0, nerr = 0;
  for (unsigned i = 0; i < K; i++) nerr += !present[i];
  if (!nerr) return 0;
  nerr = 0;
  for (unsigned i = 0; i < N && cnt < K; i++)
    if (present[i]) {
      memcpy(b + K * cnt, enc_matrix + K * i, K);
      src[cnt++] = work[i];
    }
  if (cnt < K || gf_invert_matrix(b, inv, (int)K)) return -1;
  for (unsigned i = 0; i < K; i++)
    if (!present[i]) {
      memcpy(c + K * nerr, inv + K * i, K);
      dst[nerr++] = work[i];
    }
  ec_init_tables((int)K, (int)nerr, c, tbls);
  ec_encode_data((int)SZ, (int)K, (int)nerr, tbls, src, dst);
  return 0;
}

static uint64_t
run_isal_recover(void *ctx, uint64_t ops) {
  uint8_t const *one = ctx;
  uint64_t acc = 0;
  for (uint64_t o = 0; o < ops; o++) {
    uint8_t const *present = one ? one : pat[o & (NPAT - 1)];
    acc += (uint64_t)isal_recover(present) + work[0][o % SZ];
  }
  return acc;
}
#endif

/* ---- main ------------------------------------------------------------------ */

typedef struct {
  char const *name;
  double      ours, portable, isal;
} row_t;

int
main(int argc, char **argv) {
  uint64_t ops = argc > 1 ? strtoull(argv[1], NULL, 10) : 200;
  if (!ops) ops = 1;
  if (sof_rs_init(&rs, K, M)) return 1;
  for (unsigned i = 0; i < N; i++) workp[i] = work[i];
  for (unsigned i = 0; i < K; i++)
    for (unsigned b = 0; b < SZ; b++) orig[i][b] = (uint8_t)rng();
  {
    uint8_t const *d[K];
    uint8_t       *p[M];
    for (unsigned i = 0; i < K; i++) d[i] = orig[i];
    for (unsigned i = 0; i < M; i++) p[i] = orig[K + i];
    sof_rs_encode(&rs, d, p, SZ);
  }
  memset(all_present, 1, N);
  make_pattern(parity_only, K, 0);
  for (unsigned p = 0; p < NPAT; p++) make_pattern(pat[p], 16, 16);

  char const *kern = sof_rs_kernel_name();
  printf("bench_rs: %u:%u sets of %u-byte shards, kernel %s%s\n", K, M, SZ, kern,
#ifdef SOF_HAVE_ISAL
         ", ISA-L " "present"
#else
         ", ISA-L absent (built without -DSOF_HAVE_ISAL)"
#endif
  );

  /* correctness first: every implementation, every case */
  int ok = 1;
  for (int portable = 0; portable < 2; portable++) {
    sof_rs_force_portable(portable);
    lose(NULL);
    for (unsigned i = K; i < N; i++) memset(work[i], 0, SZ);
    run_encode(NULL, 1);
    ok &= parity_ok("encode");
    lose(parity_only);
    ok &= run_recover(parity_only, 1) == work[0][0] && data_ok("recover 32 data lost");
    for (unsigned p = 0; p < NPAT; p++) {
      lose(pat[p]);
      ok &= run_recover(pat[p], 1) == work[0][0] && data_ok("recover 16+16 lost");
    }
  }
  sof_rs_force_portable(0);
#ifdef SOF_HAVE_ISAL
  /* our matrix for ISA-L: identity, then the parity rows, read back through
   * the public API by encoding unit vectors one byte long */
  for (unsigned j = 0; j < K; j++) {
    static uint8_t const zero = 0, one = 1;
    uint8_t const *d[K];
    uint8_t        col[M], *cp[M];
    for (unsigned i = 0; i < K; i++) d[i] = i == j ? &one : &zero;
    for (unsigned i = 0; i < M; i++) cp[i] = col + i;
    sof_rs_encode(&rs, d, cp, 1);
    enc_matrix[K * j + j] = 1;
    for (unsigned i = 0; i < M; i++) enc_matrix[K * (K + i) + j] = col[i];
  }
  ec_init_tables((int)K, (int)M, enc_matrix + K * K, enc_tbls);
  lose(NULL);
  for (unsigned i = K; i < N; i++) memset(work[i], 0, SZ);
  run_isal_encode(NULL, 1);
  ok &= parity_ok("ISA-L encode");
  lose(parity_only);
  ok &= isal_recover(parity_only) == 0 && data_ok("ISA-L recover 32 data lost");
  for (unsigned p = 0; p < NPAT; p++) {
    lose(pat[p]);
    ok &= isal_recover(pat[p]) == 0 && data_ok("ISA-L recover 16+16 lost");
  }
#endif
  if (!ok) return 1;

  /* timing */
  row_t rows[4] = {{"encode 32:32", 0, 0, 0},
                   {"recover 32 data lost", 0, 0, 0},
                   {"recover 16 data + 16 parity lost", 0, 0, 0},
                   {"recover nothing lost", 0, 0, 0}};
  void *ctxs[4] = {NULL, parity_only, NULL, all_present};
  char  name[96];
  for (int portable = 0; portable < 2; portable++) {
    sof_rs_force_portable(portable);
    char const *kn = sof_rs_kernel_name();
    uint64_t    n  = portable ? ops / 8 + 1 : ops;
    for (unsigned c = 0; c < 4; c++) {
      lose(c == 0 ? NULL : c == 1 ? parity_only : c == 2 ? pat[0] : NULL);
      snprintf(name, sizeof name, "%s (%s)", rows[c].name, kn);
      double ns = sof_bench_report(name, c == 0 ? run_encode : run_recover, ctxs[c], c == 3 ? n * 100 : n);
      *(portable ? &rows[c].portable : &rows[c].ours) = ns;
    }
  }
  sof_rs_force_portable(0);
#ifdef SOF_HAVE_ISAL
  for (unsigned c = 0; c < 4; c++) {
    lose(NULL);
    snprintf(name, sizeof name, "%s (ISA-L)", rows[c].name);
    rows[c].isal = sof_bench_report(name, c == 0 ? run_isal_encode : run_isal_recover, ctxs[c],
                                    c == 3 ? ops * 10 : ops);
  }
#endif

  printf("\nus per 32:32 set, %u-byte shards    %12s %12s %12s\n", SZ, kern, "portable", "ISA-L");
  for (unsigned c = 0; c < 4; c++) {
    printf("%-36s %12.2f %12.2f", rows[c].name, rows[c].ours / 1e3, rows[c].portable / 1e3);
    if (rows[c].isal > 0) printf(" %12.2f\n", rows[c].isal / 1e3);
    else printf(" %12s\n", "-");
  }
  return 0;
}
