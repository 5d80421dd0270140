/* bench_wire: cost of the wire layer on the hot path.
 *
 *   bench_wire [ops_per_run]
 *
 * Shred parse over a mix of real testnet shreds ($SOF_VECTORS, default
 * ../shared/vectors) or, when absent, synthetic ones; transaction parse over
 * the fd-txn fixtures (mixed, each alone, through the reference parser,
 * one byte short) or synthetic legacy / v0 transactions; merkle root of
 * 1203-byte data and 1228-byte code shreds; whole entry-batch validation. */
#include <dirent.h>
#include <string.h>

#include "sof_bench.h"

#include "crypto/sof_merkle.h"
#include "wire/sof_entry.h"
#include "wire/sof_shred.h"
#include "wire/sof_txn.h"

#define NSHRED 64
#define NTXN 8

static uint8_t shreds[NSHRED][1228];
static size_t shred_sz[NSHRED];
static unsigned shred_cnt;
static uint8_t txns[NTXN][1232];
static size_t txn_sz[NTXN];
static char const *txn_name[NTXN];
static unsigned txn_cnt;
static uint8_t *batch;
static size_t batch_sz;

static uint8_t *
slurp(char const *path, size_t *sz) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc((size_t)n);
  if (b && fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); b = NULL; }
  fclose(f);
  *sz = (size_t)n;
  return b;
}

static void
load_vectors(char const *vec) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/fd-testnet-slot385970984/shreds", vec);
  DIR *dp = opendir(dir);
  struct dirent *de;
  while (dp && shred_cnt < NSHRED && (de = readdir(dp))) {
    if (de->d_name[0] == '.') continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    size_t sz;
    uint8_t *b = slurp(path, &sz);
    if (b && sz <= 1228) {
      memcpy(shreds[shred_cnt], b, sz);
      shred_sz[shred_cnt++] = sz;
    }
    free(b);
  }
  if (dp) closedir(dp);
  static char const *const tx[] = {"transaction1.bin", "transaction2.bin", "transaction3.bin",
                                   "transaction4.bin", "transaction6.bin", "sample_vote.bin"};
  for (unsigned i = 0; i < sizeof tx / sizeof tx[0]; i++) {
    char path[8192];
    snprintf(path, sizeof path, "%s/fd-txn/%s", vec, tx[i]);
    size_t sz;
    uint8_t *b = slurp(path, &sz);
    if (b && sz <= 1232) {
      memcpy(txns[txn_cnt], b, sz);
      txn_name[txn_cnt] = tx[i];
      txn_sz[txn_cnt++] = sz;
    }
    free(b);
  }
  char path[8192];
  snprintf(path, sizeof path, "%s/fd-demo-slot0-fixed32/entry-batch.bin", vec);
  batch = slurp(path, &batch_sz);
}

/* Synthetic fallbacks: a chained data and code shred, a 1-signature legacy
 * vote-shaped transaction; an entry batch of 64 entries of 4 such txns. */
static void
make_synthetic(void) {
  if (!shred_cnt) {
    for (unsigned i = 0; i < 2; i++) {
      uint8_t *b = shreds[i];
      memset(b, 0x11, 1228);
      b[64] = i ? 0x66 : 0x96;
      uint64_t slot = 1000; memcpy(b + 65, &slot, 8);
      uint32_t idx = 64 + 3, fec = 64; memcpy(b + 73, &idx, 4); memcpy(b + 79, &fec, 4);
      if (i) { uint16_t v[3] = {32, 32, 3}; memcpy(b + 83, v, 6); }
      else { uint16_t po = 1; memcpy(b + 83, &po, 2); b[85] = 0; uint16_t s = 1051; memcpy(b + 86, &s, 2); }
      shred_sz[i] = i ? 1228 : 1203;
    }
    shred_cnt = 2;
  }
  if (!txn_cnt) {
    uint8_t *t = txns[0];
    size_t o = 0;
    t[o++] = 1; memset(t + o, 7, 64); o += 64;        /* 1 signature */
    t[o++] = 1; t[o++] = 0; t[o++] = 1;               /* header */
    t[o++] = 3; memset(t + o, 9, 96); o += 96;        /* 3 keys */
    memset(t + o, 5, 32); o += 32;                    /* blockhash */
    t[o++] = 1; t[o++] = 2; t[o++] = 2; t[o++] = 0; t[o++] = 1;
    t[o++] = 100; memset(t + o, 3, 100); o += 100;    /* 1 instruction */
    txn_sz[0] = o;
    txn_cnt = 1;
  }
  if (!batch) {
    size_t per = 48 + 4 * txn_sz[0];
    batch_sz = 8 + 64 * per;
    batch = calloc(1, batch_sz);
    uint64_t n = 64;
    memcpy(batch, &n, 8);
    size_t o = 8;
    for (unsigned e = 0; e < 64; e++) {
      uint64_t nh = 12500, tc = 4;
      memcpy(batch + o, &nh, 8); o += 8 + 32;
      memcpy(batch + o, &tc, 8); o += 8;
      for (unsigned k = 0; k < 4; k++, o += txn_sz[0]) memcpy(batch + o, txns[0], txn_sz[0]);
    }
  }
}

static uint64_t
run_shred_parse(void *ctx, uint64_t ops) {
  (void)ctx;
  uint64_t acc = 0;
  sof_shred_t s;
  for (uint64_t i = 0; i < ops; i++) {
    unsigned k = (unsigned)(i % shred_cnt);
    acc += (uint64_t)sof_shred_parse(&s, shreds[k], shred_sz[k], 0) + s.idx;
  }
  return acc;
}

/* The fixtures in turn, through sof_txn_parse, or the reference parser
 * alone (sof_txn_parse_ref) when *(int *)ctx. */
static uint64_t
run_txn_parse(void *ctx, uint64_t ops) {
  int const ref = *(int const *)ctx;
  uint64_t acc = 0;
  sof_txn_t t;
  for (uint64_t i = 0; i < ops; i++) {
    unsigned k = (unsigned)(i % txn_cnt);
    size_t used;
    int r = ref ? sof_txn_parse_ref(&t, txns[k], txn_sz[k], &used) : sof_txn_parse(&t, txns[k], txn_sz[k], &used);
    acc += (uint64_t)r + used;
  }
  return acc;
}

/* One transaction (ctx: its index) again and again, through the fast path
 * (sof_txn_parse) or the reference parser alone (sof_txn_parse_ref). */
typedef struct {
  unsigned k;
  int ref;
} txn_case_t;

static uint64_t
run_txn_one(void *ctx, uint64_t ops) {
  txn_case_t const *c = ctx;
  uint64_t acc = 0;
  sof_txn_t t;
  for (uint64_t i = 0; i < ops; i++) {
    int r = c->ref ? sof_txn_parse_ref(&t, txns[c->k], txn_sz[c->k], NULL)
                   : sof_txn_parse(&t, txns[c->k], txn_sz[c->k], NULL);
    acc += (uint64_t)r + t.kind;
  }
  return acc;
}

/* Invalid input: each transaction one byte short (truncated), which the fast
 * path gives up on and the reference parser then rejects. */
static uint64_t
run_txn_truncated(void *ctx, uint64_t ops) {
  (void)ctx;
  uint64_t acc = 0;
  sof_txn_t t;
  for (uint64_t i = 0; i < ops; i++) {
    unsigned k = (unsigned)(i % txn_cnt);
    acc += (uint64_t)-sof_txn_parse(&t, txns[k], txn_sz[k] - 1, NULL);
  }
  return acc;
}

static uint64_t
run_merkle(void *ctx, uint64_t ops) {
  int want_data = *(int *)ctx;
  unsigned k = 0;
  sof_shred_t s;
  for (; k < shred_cnt; k++) {
    if (!sof_shred_parse(&s, shreds[k], shred_sz[k], 0) && s.is_data == want_data) break;
  }
  uint64_t acc = 0;
  uint8_t root[32];
  for (uint64_t i = 0; i < ops; i++) {
    acc += (uint64_t)sof_shred_merkle_root(root, shreds[k], &s) + root[0];
  }
  return acc;
}

static uint64_t batch_txns;

static uint64_t
run_batch(void *ctx, uint64_t ops) {
  (void)ctx;
  uint64_t acc = 0;
  sof_entry_batch_t b = {0};
  for (uint64_t i = 0; i < ops; i++) {
    acc += (uint64_t)sof_entry_batch_parse(&b, batch, batch_sz) + b.txn_cnt;
  }
  batch_txns = b.txn_cnt;
  return acc;
}

int
main(int argc, char **argv) {
  uint64_t ops = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
  char const *vec = getenv("SOF_VECTORS");
  if (!vec || !vec[0]) vec = "../shared/vectors";
  load_vectors(vec);
  printf("bench_wire: %u shreds, %u transactions from %s\n", shred_cnt, txn_cnt,
         shred_cnt ? vec : "(synthetic)");
  make_synthetic();

  sof_bench_report("shred parse (testnet mix)", run_shred_parse, NULL, ops);
  int const mix_fast = 0, mix_ref = 1;
  sof_bench_report("txn parse (fd-txn mix)", run_txn_parse, (void *)&mix_fast, ops);
  sof_bench_report("txn parse (fd-txn mix), reference parser", run_txn_parse, (void *)&mix_ref, ops);
  sof_bench_report("txn parse (fd-txn mix), 1 byte short", run_txn_truncated, NULL, ops);
  static txn_case_t cases[2 * NTXN];
  for (unsigned k = 0; k < txn_cnt; k++) {
    for (int ref = 0; ref < 2; ref++) {
      char name[96];
      snprintf(name, sizeof name, "  txn %s (%zu B)%s", txn_name[k] ? txn_name[k] : "synthetic",
               txn_sz[k], ref ? ", reference" : "");
      cases[2 * k + (unsigned)ref] = (txn_case_t){ k, ref };
      sof_bench_report(name, run_txn_one, &cases[2 * k + (unsigned)ref], ops);
    }
  }
  int data = 1, code = 0;
  sof_bench_report("merkle root, 1203 B data shred (6 levels)", run_merkle, &data, ops / 10);
  sof_bench_report("merkle root, 1228 B code shred (6 levels)", run_merkle, &code, ops / 10);
  uint64_t bops = ops / 2000 + 1;
  double ns = sof_bench_report("entry batch validate (whole batch)", run_batch, NULL, bops);
  printf("%-44s %10.1f ns/txn  (%llu txns, %zu bytes per batch)\n", "  = per transaction in batch",
         batch_txns ? ns / (double)batch_txns : 0.0, (unsigned long long)batch_txns, batch_sz);
  return 0;
}
