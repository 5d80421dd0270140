/* sof_rs.h: Reed-Solomon erasure coding over GF(2^8), byte-compatible with
 * the `reed-solomon-erasure` crate that Agave uses for shreds.
 *
 * Field: polynomial 0x11D, generator 2. Encoding matrix for k data and m
 * parity shards: M = V * inverse(V[0..k)), V[r][c] = r^c (n x k Vandermonde,
 * 0^0 = 1); the top k rows of M are the identity, parity shard i is row k+i
 * times the data shards.
 *
 * The multiply-accumulate kernel is chosen once at run time (AVX2 when the
 * CPU has it, else portable); both give identical bytes.
 *
 * No allocation: a sof_rs_t for (k, m) is a plain struct the caller owns
 * (on the stack or preallocated); sof_rs_init fills it. */
#ifndef SOF_FEC_RS_H
#define SOF_FEC_RS_H

#include <stddef.h>
#include <stdint.h>

#define SOF_RS_SHARDS_MAX 256U  /* k + m */
#define SOF_RS_DATA_MAX   128U  /* largest k the matrices here are sized for */
#define SOF_RS_PARITY_MAX 128U

/* An encoder/decoder for one (k, m): the parity rows of the encoding matrix. */
typedef struct sof_rs {
  unsigned k;
  unsigned m;
  uint8_t  parity[SOF_RS_PARITY_MAX][SOF_RS_DATA_MAX]; /* rows k..k+m-1 of M */
} sof_rs_t;

/* sof_gf_mul multiplies in GF(2^8) (0x11D). Pure. */
uint8_t sof_gf_mul(uint8_t a, uint8_t b);

/* sof_gf_inv returns the multiplicative inverse of a != 0 (0 for 0). Pure. */
uint8_t sof_gf_inv(uint8_t a);

/* sof_rs_init computes the encoding matrix for k data and m parity shards.
 * Returns 0, or -1 when k or m is 0, k > SOF_RS_DATA_MAX,
 * m > SOF_RS_PARITY_MAX or k + m > SOF_RS_SHARDS_MAX. Not on the hot path
 * (O(k^3)); cache the result per (k, m). Thread safe on distinct rs. */
int sof_rs_init(sof_rs_t *rs, unsigned k, unsigned m);

/* sof_rs_encode computes the m parity shards from the k data shards, each
 * shard_sz bytes. data[i] and parity[i] must not overlap. Thread safe on
 * distinct outputs; rs is read only. */
void sof_rs_encode(sof_rs_t const *rs, uint8_t const *const *data, uint8_t *const *parity,
                   size_t shard_sz);

/* sof_rs_reconstruct rebuilds missing shards in place. shards[0..k+m) point
 * at shard_sz-byte buffers (data first, then parity); present[i] is 1 for a
 * shard whose bytes are valid. With data_only, only missing data shards are
 * rebuilt (what shred recovery needs); otherwise missing parity too.
 * Returns 0, or -1 when fewer than k shards are present (nothing written).
 * Thread safe on distinct shard buffers. */
int sof_rs_reconstruct(sof_rs_t const *rs, uint8_t *const *shards, uint8_t const *present,
                       size_t shard_sz, int data_only);

/* sof_rs_kernel_name returns the multiply-accumulate kernel in use:
 * "avx2" or "portable". */
char const *sof_rs_kernel_name(void);

/* sof_rs_force_portable makes later calls use the portable kernel (tests and
 * benchmarks compare both). Not thread safe: call before any encode. */
void sof_rs_force_portable(int on);

#endif /* SOF_FEC_RS_H */
