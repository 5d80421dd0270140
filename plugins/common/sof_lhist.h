/* sof_lhist.h: the log-linear (HDR-like) histogram buckets the plugins
 * measure latency with (latency, latency_inline, grpc's stages).
 *
 * A value v (ns) falls in bucket sof_lhist_bucket(v): exact below 16, then
 * 16 sub-buckets per power of two, so a bucket's largest value
 * (sof_lhist_bucket_hi) is at most 1/16 (6.25%) above any value in it;
 * SOF_LHIST_BUCKETS (976) buckets cover every uint64_t.
 *
 * sof_lhist_rank is the nearest-rank quantile permille / 1000 of counts
 * b[SOF_LHIST_BUCKETS] holding `count` values: the largest value of the
 * bucket that covers ceil(count * permille / 1000) of them, UINT64_MAX
 * when the buckets hold fewer (a reader racing a writer). It reads b with
 * relaxed atomic loads, so another thread may be adding meanwhile.
 * Header only, no allocation, no state. */
#ifndef SOF_LHIST_H
#define SOF_LHIST_H

#include <stdint.h>

#define SOF_LHIST_SUB_BITS 4U
#define SOF_LHIST_SUB      (1U << SOF_LHIST_SUB_BITS)
#define SOF_LHIST_BUCKETS  (SOF_LHIST_SUB + (64U - SOF_LHIST_SUB_BITS) * SOF_LHIST_SUB) /* 976 */

static inline unsigned
sof_lhist_bucket(uint64_t v) {
  if (v < SOF_LHIST_SUB) return (unsigned)v;
  unsigned e = 63U - (unsigned)__builtin_clzll(v); /* >= SOF_LHIST_SUB_BITS */
  return SOF_LHIST_SUB + (e - SOF_LHIST_SUB_BITS) * SOF_LHIST_SUB +
         (unsigned)((v >> (e - SOF_LHIST_SUB_BITS)) & (SOF_LHIST_SUB - 1));
}

static inline uint64_t
sof_lhist_bucket_hi(unsigned b) {
  if (b < SOF_LHIST_SUB) return b;
  unsigned e = (b - SOF_LHIST_SUB) / SOF_LHIST_SUB + SOF_LHIST_SUB_BITS;
  uint64_t m = (b - SOF_LHIST_SUB) % SOF_LHIST_SUB;
  uint64_t lo = (SOF_LHIST_SUB + m) << (e - SOF_LHIST_SUB_BITS);
  return lo + ((1ULL << (e - SOF_LHIST_SUB_BITS)) - 1);
}

static inline uint64_t
sof_lhist_rank(uint64_t const *b, uint64_t count, unsigned permille) {
  uint64_t rank = (count * permille + 999U) / 1000U, seen = 0;
  if (!rank) rank = 1;
  for (unsigned i = 0; i < SOF_LHIST_BUCKETS; i++) {
    seen += __atomic_load_n(&b[i], __ATOMIC_RELAXED);
    if (seen >= rank) return sof_lhist_bucket_hi(i);
  }
  return UINT64_MAX;
}

#endif /* SOF_LHIST_H */
