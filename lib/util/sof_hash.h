/* sof_hash.h: the hash of a FEC set key (slot, fec_set_idx) for the tables
 * that index sets by it (FEC resolver records, the verifier's set cache,
 * its shared cache and failure budgets).
 *
 * The key is packed injectively (fec_set_idx < 2^15, the shred index bound)
 * and run through the splitmix64 finalizer, so every output bit depends on
 * every key bit: callers take the low bits (a power-of-two mask) or a
 * modulus. A product-and-xor of the two fields, used before, left the low
 * bits of keys with even slots and fec_set_idx multiples of 32 (the usual
 * ones) in half the buckets of a 4-way table: a FEC set's finished-record
 * was then reused while its late shreds still came, and the set was
 * rebuilt and delivered twice.
 *
 * Pure, inline, thread safe. Not keyed: the tables are bounded per bucket
 * and evict by policy, so a chosen-collision flood costs evictions (each
 * counted), not time. */
#ifndef SOF_UTIL_HASH_H
#define SOF_UTIL_HASH_H

#include <stdint.h>

static inline uint64_t
sof_hash_set_key(uint64_t slot, uint32_t fec_set_idx) {
  uint64_t x = (slot << 15) ^ (uint64_t)fec_set_idx;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

#endif /* SOF_UTIL_HASH_H */
