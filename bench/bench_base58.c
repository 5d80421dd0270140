/* bench_base58.c: micro-benchmark of sof_base58.
 *
 * Usage: bench_base58 [ops_per_run]   (default 1000000)
 *
 * Each case runs over a ring of NVAL pseudo-random inputs (fixed seed;
 * full-width values, as real keys and signatures are, one in 64 with a
 * leading zero byte); sof_bench_report prints the median of its runs as
 * ns/op and ops/s. */
#include "wire/sof_base58.h"

#include "sof_bench.h"

#include <string.h>

#define NVAL 1024 /* power of two */

static uint8_t val32[NVAL][32];
static uint8_t val64[NVAL][64];
static char    str32[NVAL][SOF_BASE58_ENCODED_32_MAX];
static char    str64[NVAL][SOF_BASE58_ENCODED_64_MAX];
static size_t  len32[NVAL];
static size_t  len64[NVAL];

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint64_t
run_encode_32(void *ctx, uint64_t ops) {
  (void)ctx;
  char     out[SOF_BASE58_ENCODED_32_MAX];
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++) {
    acc += sof_base58_encode_32(val32[i & (NVAL - 1)], out);
    acc += (uint8_t)out[7];
  }
  return acc;
}

static uint64_t
run_encode_64(void *ctx, uint64_t ops) {
  (void)ctx;
  char     out[SOF_BASE58_ENCODED_64_MAX];
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++) {
    acc += sof_base58_encode_64(val64[i & (NVAL - 1)], out);
    acc += (uint8_t)out[7];
  }
  return acc;
}

static uint64_t
run_decode_32(void *ctx, uint64_t ops) {
  (void)ctx;
  uint8_t  out[32];
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++) {
    uint64_t k = i & (NVAL - 1);
    acc += (uint64_t)sof_base58_decode_32(str32[k], len32[k], out);
    acc += out[7];
  }
  return acc;
}

static uint64_t
run_decode_64(void *ctx, uint64_t ops) {
  (void)ctx;
  uint8_t  out[64];
  uint64_t acc = 0;
  for (uint64_t i = 0; i < ops; i++) {
    uint64_t k = i & (NVAL - 1);
    acc += (uint64_t)sof_base58_decode_64(str64[k], len64[k], out);
    acc += out[7];
  }
  return acc;
}

int
main(int argc, char **argv) {
  long ops = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000L;
  if (ops < 10) ops = 10;

  for (int i = 0; i < NVAL; i++) {
    for (int j = 0; j < 32; j++) val32[i][j] = (uint8_t)(rng() >> 56);
    for (int j = 0; j < 64; j++) val64[i][j] = (uint8_t)(rng() >> 56);
    if (i % 64 == 0) { /* the occasional leading zero byte */
      val32[i][0] = 0;
      val64[i][0] = 0;
    }
    len32[i] = sof_base58_encode_32(val32[i], str32[i]);
    len64[i] = sof_base58_encode_64(val64[i], str64[i]);
    uint8_t back[64];
    if (sof_base58_decode_32(str32[i], len32[i], back) || memcmp(back, val32[i], 32) ||
        sof_base58_decode_64(str64[i], len64[i], back) || memcmp(back, val64[i], 64)) {
      fprintf(stderr, "bench_base58: round trip failed at %d\n", i);
      return 1;
    }
  }

  printf("bench_base58: sof_base58 encode / decode of %d pseudo-random 32 and 64 B values in turn "
         "(1 in 64 with a leading zero byte), per value\n", NVAL);
  sof_bench_report("base58 encode_32", run_encode_32, NULL, (uint64_t)ops);
  sof_bench_report("base58 decode_32", run_decode_32, NULL, (uint64_t)ops);
  sof_bench_report("base58 encode_64", run_encode_64, NULL, (uint64_t)ops);
  sof_bench_report("base58 decode_64", run_decode_64, NULL, (uint64_t)ops);
  return 0;
}
