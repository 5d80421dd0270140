/* bench_rs.c: Reed-Solomon encode and recovery at shred size, beside ISA-L.
 *
 * Usage: bench_rs [ops_per_run]   (default 200)
 *
 * Every case works on one 32:32 FEC set of 1228-byte shards (the erasure
 * shard of a merkle code shred), each shard in its own 1280-byte buffer as
 * shreds sit in packet buffers. One op is one FEC set:
 *
 *   encode 32:32                 the 32 parity shards from the 32 data shards
 *   recover 32 data lost         the 32 data shards from the 32 parity shards
 *   recover 16+16 lost, data     16 data and 16 parity shards lost, a new
 *                                random pattern every call (a ring of NPAT);
 *                                the 16 data shards rebuilt (data_only: what
 *                                shred recovery needs)
 *   recover 16+16 lost, all      the same, all 32 missing shards rebuilt
 *                                (what a resolver that re-checks the merkle
 *                                root over all n leaves needs)
 *   recover 1 data lost          31 data + all parity present, 1 data shard
 *                                rebuilt: the lightest loss, and what the
 *                                resolver does for it (it recovers as soon
 *                                as k shards are in). With nothing lost the
 *                                pipeline makes no RS call at all (the
 *                                resolver finishes a set on its k-th data
 *                                shred), so there is no such case here.
 *   plan 32 data lost / 16+16    sof_rs_plan_init alone (the coefficients)
 *
 * Ours runs with every kernel this CPU runs (sof_rs_kernel_at: portable,
 * avx2, avx512, gfni256, gfni512; the additive FFT on where the shape
 * allows: encode, 32 data lost), and with the run-time choice's dense
 * product alone (sof_rs_force_dense) for comparison. With
 * ISA-L (built with -DSOF_HAVE_ISAL) the same cases run the way its users
 * recover (its erasure_code examples): encode = ec_encode_data over our
 * matrix with tables made once by ec_init_tables; recovery, per call =
 * gf_invert_matrix of the k x k submatrix of the first k surviving rows, the
 * rows of the missing shards (a missing parity row times the inverse),
 * ec_init_tables, ec_encode_data. A last column gives ISA-L's kernel alone
 * on the decode rows our plan computes (ec_init_tables + ec_encode_data per
 * call): the multiply without the inversion.
 *
 * Before timing, every implementation's output is compared with the
 * original shards; a mismatch ends the program with status 1 (a benchmark
 * of wrong answers is worthless). sof_bench_report_cpu prints the median of
 * its runs as ns/op of thread CPU time (and the wall-clock median beside
 * it); a closing table gives µs per set of CPU time.
 *
 * Why CPU time: on a shared machine a run the scheduler preempts gains a
 * whole time slice of wall time. On the 2-vCPU CI class under load, rounds
 * of 200 "16+16 lost, all" recoveries measured 7.0-7.8 µs each by thread
 * CPU time in every round, while the wall clock gave 7.1 µs in some rounds
 * and 27.5 µs (exactly +20 µs per op: one 4 ms slice over 200 ops) in
 * others: that was the "slow mode" (median 21.5, min 7.7) an earlier
 * wall-clock side-by-side run reported. The time of one pattern does not
 * depend on the pattern either (64 random 16+16 patterns, all 32 rebuilt:
 * 6.8-7.4 µs each) nor on the shards' layout (strides 1228, 1280, 4096 B:
 * 7.2-7.5 µs). */
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

static uint8_t       orig[N][STRIDE] __attribute__((aligned(64)));
static uint8_t       work[N][STRIDE] __attribute__((aligned(64)));
static uint8_t      *workp[N];
static uint8_t       pat[NPAT][N]; /* present flags: 16 data + 16 parity lost */
static uint8_t       all_present[N];
static uint8_t       parity_only[N]; /* every data shard lost */
static uint8_t       one_lost[N];    /* data shard 0 lost, all else present */
static sof_rs_t      rs;
static sof_rs_plan_t plan;

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

/* 1 when shards [from, to) equal the originals, else 0 with a message. */
static int
same(char const *what, unsigned from, unsigned to) {
  for (unsigned i = from; i < to; i++)
    if (memcmp(work[i], orig[i], SZ)) {
      fprintf(stderr, "bench_rs: %s: shard %u wrong\n", what, i);
      return 0;
    }
  return 1;
}

/* ---- the cases ------------------------------------------------------------- */

/* What a recovery case runs on: one pattern, or the ring when NULL. */
typedef struct {
  uint8_t const *one;
  int            data_only;
} rec_ctx_t;

static uint8_t const *
pattern_at(rec_ctx_t const *c, uint64_t o) {
  return c->one ? c->one : pat[o & (NPAT - 1)];
}

static uint64_t
run_encode(void *ctx, uint64_t ops) {
  (void)ctx;
  uint8_t const *d[K];
  for (unsigned i = 0; i < K; i++) d[i] = work[i];
  for (uint64_t o = 0; o < ops; o++) sof_rs_encode(&rs, d, workp + K, SZ);
  return work[K][ops % SZ];
}

/* The rebuilt bytes equal those already in place after the first call, so
 * every call does the same work on valid shards. */
static uint64_t
run_recover(void *ctx, uint64_t ops) {
  rec_ctx_t const *c   = ctx;
  uint64_t         acc = 0;
  for (uint64_t o = 0; o < ops; o++)
    acc += (uint64_t)sof_rs_reconstruct(&rs, workp, pattern_at(c, o), SZ, c->data_only) +
           work[0][o % SZ];
  return acc;
}

static uint64_t
run_plan(void *ctx, uint64_t ops) {
  rec_ctx_t const *c   = ctx;
  uint64_t         acc = 0;
  for (uint64_t o = 0; o < ops; o++)
    acc += (uint64_t)sof_rs_plan_init(&plan, &rs, pattern_at(c, o), c->data_only) + plan.coef[o & 255];
  return acc;
}

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

/* One recovery as ISA-L's users write it: invert the rows of the first k
 * survivors; a missing data shard's decode row is its row of the inverse, a
 * missing parity shard's is its encoding row times the inverse; make
 * tables; multiply. Returns 0, -1 when singular. */
static int
isal_recover(uint8_t const *present, int data_only) {
  uint8_t  b[K * K], inv[K * K], c[M * K], tbls[32 * K * M];
  uint8_t *src[K], *dst[M];
  unsigned cnt = 0, nerr = 0, want = data_only ? K : N;
  for (unsigned i = 0; i < want; i++) nerr += !present[i];
  if (!nerr) return 0;
  nerr = 0;
  for (unsigned i = 0; i < N && cnt < K; i++)
    if (present[i]) {
      memcpy(b + K * cnt, enc_matrix + K * i, K);
      src[cnt++] = work[i];
    }
  if (cnt < K || gf_invert_matrix(b, inv, (int)K)) return -1;
  for (unsigned i = 0; i < want; i++) {
    if (present[i]) continue;
    if (i < K) {
      memcpy(c + K * nerr, inv + K * i, K);
    } else {
      for (unsigned j = 0; j < K; j++) {
        uint8_t s = 0;
        for (unsigned t = 0; t < K; t++) s ^= gf_mul(enc_matrix[K * i + t], inv[K * t + j]);
        c[K * nerr + j] = s;
      }
    }
    dst[nerr++] = work[i];
  }
  ec_init_tables((int)K, (int)nerr, c, tbls);
  ec_encode_data((int)SZ, (int)K, (int)nerr, tbls, src, dst);
  return 0;
}

static uint64_t
run_isal_recover(void *ctx, uint64_t ops) {
  rec_ctx_t const *c   = ctx;
  uint64_t         acc = 0;
  for (uint64_t o = 0; o < ops; o++)
    acc += (uint64_t)isal_recover(pattern_at(c, o), c->data_only) + work[0][o % SZ];
  return acc;
}

/* ISA-L's kernel on the decode rows of plans made beforehand (one per
 * pattern of the ring): ec_init_tables + ec_encode_data per call. */
static sof_rs_plan_t plans[NPAT];

static uint64_t
run_isal_kernel(void *ctx, uint64_t ops) {
  rec_ctx_t const *c   = ctx;
  uint64_t         acc = 0;
  uint8_t          tbls[32 * K * M];
  for (uint64_t o = 0; o < ops; o++) {
    sof_rs_plan_t const *p = &plans[c->one ? 0 : o & (NPAT - 1)];
    if (!p->rebuild_cnt) continue;
    uint8_t *src[K], *dst[M];
    for (unsigned j = 0; j < K; j++) src[j] = work[p->src[j]];
    for (unsigned r = 0; r < p->rebuild_cnt; r++) dst[r] = work[p->dst[r]];
    ec_init_tables((int)K, (int)p->rebuild_cnt, (uint8_t *)p->coef, tbls);
    ec_encode_data((int)SZ, (int)K, (int)p->rebuild_cnt, tbls, src, dst);
    acc += work[0][o % SZ];
  }
  return acc;
}

static void
isal_plans(rec_ctx_t const *c) {
  for (unsigned p = 0; p < (c->one ? 1U : NPAT); p++)
    sof_rs_plan_init(&plans[p], &rs, c->one ? c->one : pat[p], c->data_only);
}
#endif

/* ---- main ------------------------------------------------------------------ */

enum { C_ENCODE, C_R32, C_R16D, C_R16A, C_R1, C_PLAN32, C_PLAN16, C_CNT };

#define COLS 8 /* up to 5 kernels, the auto kernel dense, ISA-L, ISA-L kernel */

typedef struct {
  char const *name;
  rec_ctx_t   ctx;
  double      us[COLS];
} case_t;

/* Column c: kernel c (c < nkern), then the auto kernel with the FFT off. */
static unsigned nkern;
static char     col_name[COLS][32];

static void
use_col(unsigned c) {
  sof_rs_force_dense(c == nkern);
  sof_rs_kernel_select(c < nkern ? sof_rs_kernel_at(c) : NULL);
}

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
  memset(one_lost, 1, N);
  one_lost[0] = 0;
  make_pattern(parity_only, K, 0);
  for (unsigned p = 0; p < NPAT; p++) make_pattern(pat[p], 16, 16);

  case_t cases[C_CNT] = {
      [C_ENCODE] = {"encode 32:32", {NULL, 0}, {0}},
      [C_R32]    = {"recover 32 data lost", {parity_only, 1}, {0}},
      [C_R16D]   = {"recover 16+16 lost, data", {NULL, 1}, {0}},
      [C_R16A]   = {"recover 16+16 lost, all", {NULL, 0}, {0}},
      [C_R1]     = {"recover 1 data lost", {one_lost, 1}, {0}},
      [C_PLAN32] = {"plan 32 data lost", {parity_only, 1}, {0}},
      [C_PLAN16] = {"plan 16+16 lost, all", {NULL, 0}, {0}},
  };

  char const *kern = sof_rs_kernel_name();
  while (nkern < 5 && sof_rs_kernel_at(nkern)) {
    snprintf(col_name[nkern], sizeof col_name[nkern], "%s", sof_rs_kernel_at(nkern));
    nkern++;
  }
  snprintf(col_name[nkern], sizeof col_name[nkern], "%s dense", kern);
  snprintf(col_name[nkern + 1], sizeof col_name[nkern + 1], "ISA-L");
  snprintf(col_name[nkern + 2], sizeof col_name[nkern + 2], "ISA-L kernel");
#ifdef SOF_HAVE_ISAL
  printf("bench_rs: %u:%u sets of %u-byte shards, run-time kernel %s, ISA-L present\n", K, M, SZ, kern);
#else
  printf("bench_rs: %u:%u sets of %u-byte shards, run-time kernel %s, ISA-L absent (built without "
         "-DSOF_HAVE_ISAL)\n", K, M, SZ, kern);
#endif

  /* correctness first: every implementation, every case */
  int ok = 1;
  for (unsigned col = 0; col <= nkern; col++) {
    use_col(col);
    lose(NULL);
    for (unsigned i = K; i < N; i++) memset(work[i], 0, SZ);
    run_encode(NULL, 1);
    ok &= same("encode", K, N);
    for (unsigned c = C_R32; c <= C_R1; c++)
      for (unsigned p = 0; p < (c == C_R16D || c == C_R16A ? NPAT : 1U); p++) {
        rec_ctx_t one = {c == C_R16D || c == C_R16A ? pat[p] : cases[c].ctx.one, cases[c].ctx.data_only};
        lose(one.one);
        ok &= run_recover(&one, 1) == work[0][0] && same(cases[c].name, 0, one.data_only ? K : N);
      }
  }
  use_col(0);
  sof_rs_kernel_select(NULL);
#ifdef SOF_HAVE_ISAL
  /* our matrix for ISA-L: identity, then the parity rows */
  for (unsigned j = 0; j < K; j++) enc_matrix[K * j + j] = 1;
  for (unsigned i = 0; i < M; i++) memcpy(enc_matrix + K * (K + i), sof_rs_parity_row(&rs, i), K);
  ec_init_tables((int)K, (int)M, enc_matrix + K * K, enc_tbls);
  lose(NULL);
  for (unsigned i = K; i < N; i++) memset(work[i], 0, SZ);
  run_isal_encode(NULL, 1);
  ok &= same("ISA-L encode", K, N);
  for (unsigned c = C_R32; c <= C_R1; c++)
    for (unsigned p = 0; p < (c == C_R16D || c == C_R16A ? NPAT : 1U); p++) {
      rec_ctx_t one = {c == C_R16D || c == C_R16A ? pat[p] : cases[c].ctx.one, cases[c].ctx.data_only};
      lose(one.one);
      ok &= isal_recover(one.one, one.data_only) == 0 && same("ISA-L recover", 0, one.data_only ? K : N);
      isal_plans(&one);
      lose(one.one);
      ok &= run_isal_kernel(&one, 1) == work[0][0] && same("ISA-L kernel", 0, one.data_only ? K : N);
    }
#endif
  if (!ok) return 1;

  /* timing */
  char name[96];
  for (unsigned c = 0; c < C_CNT; c++) {
    uint64_t (*fn)(void *, uint64_t) = c == C_ENCODE ? run_encode : c >= C_PLAN32 ? run_plan : run_recover;
    uint64_t scale = c == C_R1 ? 10 : c >= C_PLAN32 ? 10 : 1;
    for (unsigned col = 0; col <= nkern; col++) {
      if (c >= C_PLAN32 && col == nkern) continue; /* plans do not depend on the FFT */
      use_col(col);
      lose(NULL);
      snprintf(name, sizeof name, "%s (%s)", cases[c].name, col_name[col]);
      uint64_t o = col == 0 ? ops / 8 + 1 : ops; /* portable: slow */
      cases[c].us[col] = sof_bench_report_cpu(name, fn, &cases[c].ctx, o * scale) / 1e3;
    }
    use_col(0);
    sof_rs_kernel_select(NULL);
#ifdef SOF_HAVE_ISAL
    if (c >= C_PLAN32) continue;
    lose(NULL);
    snprintf(name, sizeof name, "%s (ISA-L)", cases[c].name);
    cases[c].us[nkern + 1] = sof_bench_report_cpu(name, c == C_ENCODE ? run_isal_encode : run_isal_recover,
                                              &cases[c].ctx, ops * scale) / 1e3;
    if (c == C_ENCODE) continue;
    isal_plans(&cases[c].ctx);
    snprintf(name, sizeof name, "%s (ISA-L kernel, our plan)", cases[c].name);
    cases[c].us[nkern + 2] = sof_bench_report_cpu(name, run_isal_kernel, &cases[c].ctx, ops * scale) / 1e3;
#endif
  }

  printf("\nus per %u:%u set, %u-byte shards", K, M, SZ);
  for (unsigned col = 0; col < nkern + 3; col++) printf(" %*s", col == nkern ? 14 : 9, col_name[col]);
  printf("\n");
  for (unsigned c = 0; c < C_CNT; c++) {
    printf("%-34s", cases[c].name);
    for (unsigned col = 0; col < nkern + 3; col++) {
      int w = col == nkern ? 15 : col == nkern + 2 ? 13 : 10;
      if (cases[c].us[col] > 0) printf("%*.2f", w, cases[c].us[col]);
      else printf("%*s", w, "-");
    }
    printf("\n");
  }
  return 0;
}
