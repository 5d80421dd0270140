/* bench_field: the field and point arithmetic inside sof_ed25519.c, white
 * box (the file is compiled in, as test_ed25519_field does).
 *
 * Three shapes of field products, each for the five-limb form (fe_mul,
 * unsigned __int128 in C) and the four-word form the group code uses
 * (fe64_mul: mulx/adcx/adox where the build has BMI2 and ADX):
 *   - a chain, each product feeding the next (latency);
 *   - four independent chains interleaved (throughput);
 *   - the double scalar multiplication's shape: three independent
 *     products, then four that each take two of them (per product).
 * Then one mixed addition with its conversion to extended coordinates
 * (ge_madd + ge_p1p1_to_p3, seven products), the step the verifier takes
 * at most 88 times per signature. */
#include "crypto/sof_ed25519.c"

#include "sof_bench.h"

typedef struct {
  fe_t   f[8];
  fe64_t w[8];
} field_ctx_t;

/* One case per shape and form: SHAPE(mul, v) runs ops products over v[]. */
#define CHAIN(mul, v)                                                                              \
  for (uint64_t i = 0; i < ops; i++) mul(&v[0], &v[0], &v[1]);

#define FOUR(mul, v)                                                                               \
  for (uint64_t i = 0; i < ops; i += 4) {                                                          \
    mul(&v[0], &v[0], &v[4]);                                                                      \
    mul(&v[1], &v[1], &v[4]);                                                                      \
    mul(&v[2], &v[2], &v[4]);                                                                      \
    mul(&v[3], &v[3], &v[4]);                                                                      \
  }

/* x, y, t -> a, b, e (independent) -> x, y, z, t (two of those each) */
#define LAYERED(mul, v)                                                                            \
  for (uint64_t i = 0; i < ops; i += 7) {                                                          \
    mul(&v[4], &v[0], &v[7]);                                                                      \
    mul(&v[5], &v[1], &v[7]);                                                                      \
    mul(&v[6], &v[3], &v[7]);                                                                      \
    mul(&v[0], &v[4], &v[6]);                                                                      \
    mul(&v[1], &v[5], &v[4]);                                                                      \
    mul(&v[2], &v[6], &v[5]);                                                                      \
    mul(&v[3], &v[4], &v[5]);                                                                      \
  }

#define FIELD_CASE(name, shape, mul, arr)                                                          \
  static uint64_t name(void *ctx, uint64_t ops) {                                                  \
    field_ctx_t *c = ctx;                                                                          \
    shape(mul, c->arr)                                                                             \
    return c->arr[0].v[0] ^ c->arr[2].v[0] ^ c->arr[3].v[0];                                       \
  }
FIELD_CASE(run_fe_chain, CHAIN, fe_mul, f)
FIELD_CASE(run_fe64_chain, CHAIN, fe64_mul, w)
FIELD_CASE(run_fe_four, FOUR, fe_mul, f)
FIELD_CASE(run_fe64_four, FOUR, fe64_mul, w)
FIELD_CASE(run_fe_layered, LAYERED, fe_mul, f)
FIELD_CASE(run_fe64_layered, LAYERED, fe64_mul, w)

static uint64_t
run_madd(void *ctx, uint64_t ops) {
  (void)ctx;
  ge_p3_t h = {{{0}}, {{1}}, {{1}}, {{0}}};
  for (uint64_t i = 0; i < ops; i++) {
    unsigned d = (unsigned)(i * 7 % 64); /* digits -32..31 over the rows */
    int digit = (int)d - 32;
    add_digit(&h, base_tab[i % SOF_ED25519_TAB_ROWS], digit ? digit : 1);
  }
  return h.X.v[0];
}

int
main(void) {
  if (sof_ed25519_init()) {
    fprintf(stderr, "bench_field: sof_ed25519_init failed\n");
    return 1;
  }
  field_ctx_t c;
  uint64_t s = 0x5eed;
  for (unsigned i = 0; i < 8; i++) {
    for (unsigned l = 0; l < 5; l++) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      c.f[i].v[l] = (s >> 11) & M51;
    }
    fe64_from_fe(&c.w[i], &c.f[i]);
  }
  printf("bench_field: field products mod 2^255-19 and one mixed point addition of sof_ed25519.c "
         "(white box); four-word products: %s\n", SOF_FE64_ASM ? "mulx/adcx/adox" : "portable C");
  uint64_t const n = 2000000;
  sof_bench_report("field product, chain: five limbs", run_fe_chain, &c, n);
  sof_bench_report("field product, chain: four words", run_fe64_chain, &c, n);
  sof_bench_report("4 independent chains: five limbs", run_fe_four, &c, n);
  sof_bench_report("4 independent chains: four words", run_fe64_four, &c, n);
  sof_bench_report("3 then 4 dependent: five limbs", run_fe_layered, &c, 7 * (n / 7));
  sof_bench_report("3 then 4 dependent: four words", run_fe64_layered, &c, 7 * (n / 7));
  sof_bench_report("mixed addition + to extended (7 products)", run_madd, NULL, n / 4);
  return 0;
}
