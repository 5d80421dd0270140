/* sof_rs.h: Reed-Solomon erasure coding over GF(2^8), byte-compatible with
 * the `reed-solomon-erasure` crate that Agave uses for shreds.
 *
 * Field: polynomial 0x11D, generator 2. Encoding matrix for k data and m
 * parity shards: M = V * inverse(V[0..k)), V[r][c] = r^c (n x k Vandermonde,
 * n = k + m, 0^0 = 1); the top k rows of M are the identity, parity shard i
 * is row k+i times the data shards. Any k + m <= 256 with k, m >= 1, as the
 * crate allows.
 *
 * Equivalently, shard r (0 <= r < n) is P(r), where P is the polynomial of
 * degree < k with P(j) = data shard j and r is read as a field element. That
 * is how this code works: every coefficient it needs, for encoding or for
 * rebuilding any set of missing shards from any k present ones, is a
 * Lagrange basis polynomial evaluated at a point: two log-table lookups per
 * coefficient after one O(n log n) transform; there is no matrix inversion.
 *
 * The bytes come from a kernel chosen at run time (see "Kernels" below):
 * GFNI (vgf2p8affineqb, one instruction per 64 products), AVX-512 or AVX2
 * (nibble tables and vpshufb), or portable (a 64 KiB product table); all
 * give identical bytes. Where the k sources are one aligned run of a
 * power-of-two k (encoding, or every data shard of a k:k set lost) the SIMD
 * kernels evaluate the polynomial with the additive FFT of Lin, Chung and
 * Han (O(k log k) multiplications per byte instead of k per rebuilt shard);
 * any other shape is a dense product with the Lagrange coefficients. On the
 * 2-vCPU Sapphire Rapids machine class, 1228-byte shards, gfni512: encode
 * 32:32 ~2.0 us, rebuild 32 lost data shards ~2.5 us, 16 data + 16 parity
 * lost ~4 us (data only) or ~7.5 us (all 32); bench/bench_rs prints every
 * kernel beside ISA-L.
 *
 * No allocation. sof_rs_t and sof_rs_plan_t are plain structs (about 16 KiB
 * each) the caller owns: static, preallocated, or on a stack that has room.
 *
 * Threads: every function may be called concurrently on distinct objects;
 * objects passed as const are only read. The kernel choosers
 * (sof_rs_kernel_select, sof_rs_force_portable, sof_rs_force_dense) are the
 * exception (see there). */
#ifndef SOF_FEC_RS_H
#define SOF_FEC_RS_H

#include <stddef.h>
#include <stdint.h>

#define SOF_RS_SHARDS_MAX 256U   /* largest k + m */
#define SOF_RS_DATA_MAX   255U   /* largest k (then m = 1) */
#define SOF_RS_PARITY_MAX 255U   /* largest m (then k = 1) */
#define SOF_RS_COEF_MAX   16384U /* largest k * m with k + m <= 256: 128 * 128 */

/* An encoder for one (k, m): the m parity rows of the encoding matrix, row
 * i (0 <= i < m) at coef + i * k. Filled by sof_rs_init; read only after. */
typedef struct sof_rs {
  unsigned k;
  unsigned m;
  uint8_t  coef[SOF_RS_COEF_MAX];
} sof_rs_t;

/* A recovery plan: how to rebuild the shards missing from one loss pattern
 * of one (k, m). Shard dst[r] (0 <= r < rebuild_cnt) is the GF(2^8) sum over
 * j < k of coef[r * k + j] times shard src[j]. src lists the k present
 * shards used (the lowest-numbered present ones, ascending); dst lists the
 * shards rebuilt, ascending. Filled by sof_rs_plan_init; read only after. */
typedef struct sof_rs_plan {
  unsigned k;
  unsigned n;            /* k + m */
  unsigned rebuild_cnt;  /* entries of dst; 0 when nothing is missing */
  uint8_t  src[SOF_RS_DATA_MAX];
  uint8_t  dst[SOF_RS_PARITY_MAX];
  uint8_t  coef[SOF_RS_COEF_MAX];
} sof_rs_plan_t;

/* sof_gf_mul multiplies in GF(2^8) (0x11D). Pure. */
uint8_t sof_gf_mul(uint8_t a, uint8_t b);

/* sof_gf_inv returns the multiplicative inverse of a != 0 (0 for 0). Pure. */
uint8_t sof_gf_inv(uint8_t a);

/* sof_rs_init computes the encoding matrix for k data and m parity shards
 * (about 1 µs for 32:32; still, keep one per (k, m) in use). Returns 0, or
 * -1 when k or m is 0 or k + m > SOF_RS_SHARDS_MAX (rs is then left
 * unchanged). */
int sof_rs_init(sof_rs_t *rs, unsigned k, unsigned m);

/* sof_rs_parity_row returns row i (i < rs->m) of the parity matrix: k
 * coefficients, valid as long as rs is. */
static inline uint8_t const *
sof_rs_parity_row(sof_rs_t const *rs, unsigned i) {
  return rs->coef + (size_t)i * rs->k;
}

/* sof_rs_encode computes the m parity shards from the k data shards, each
 * shard_sz bytes (any size, 0 included), with rs from a successful
 * sof_rs_init. data[0..k) and parity[0..m) are borrowed for the call; no
 * parity buffer may overlap another buffer. */
void sof_rs_encode(sof_rs_t const *rs, uint8_t const *const *data, uint8_t *const *parity,
                   size_t shard_sz);

/* sof_rs_plan_init plans the recovery of one loss pattern of the code rs
 * (from a successful sof_rs_init) into *plan: present[i]
 * (0 <= i < k + m, data first, then parity) is non-zero for a shard whose
 * bytes are valid. With data_only, only missing data shards are planned
 * (what shred recovery needs); otherwise missing parity shards too. Costs
 * two table lookups per coefficient (rebuilt shards x k) plus O(n log n):
 * under 1 µs for 32 of 32:32, so planning every FEC set afresh is cheap; a
 * plan may also be kept and applied to any number of sets with the same
 * (k, m) and loss pattern. rs is read during the call only.
 * Returns 0, or -1 when fewer than k shards are present (plan->rebuild_cnt
 * is then 0, so applying it does nothing). present is read during the call
 * only. */
int sof_rs_plan_init(sof_rs_plan_t *plan, sof_rs_t const *rs, uint8_t const *present,
                     int data_only);

/* sof_rs_plan_apply rebuilds the shards the plan (from sof_rs_plan_init)
 * lists: shards[0..k+m)
 * point at shard_sz-byte buffers (data first, then parity), borrowed for the
 * call; shards[plan->src[*]] are read, shards[plan->dst[*]] written, and no
 * written buffer may overlap another buffer. */
void sof_rs_plan_apply(sof_rs_plan_t const *plan, uint8_t *const *shards, size_t shard_sz);

/* sof_rs_reconstruct rebuilds missing shards in place: what
 * sof_rs_plan_init then sof_rs_plan_apply do (on a per-thread plan, ~17 KiB
 * of thread-local storage; the coefficients are skipped when the FFT does
 * the rebuild), or nothing at all when no shard to rebuild is missing.
 * Arguments as those two functions take them.
 * Returns 0, or -1 when fewer than k shards are present (nothing written). */
int sof_rs_reconstruct(sof_rs_t const *rs, uint8_t *const *shards, uint8_t const *present,
                       size_t shard_sz, int data_only);

/* Kernels. The bytes come from one of these, all giving identical bytes:
 *   "portable"  64 KiB product table, 8 bytes per step (any CPU)
 *   "avx2"      vpshufb on nibbles, 32-byte vectors
 *   "avx512"    vpshufb on nibbles, 64-byte vectors (AVX-512 F + BW)
 *   "gfni256"   vgf2p8affineqb, 32-byte vectors (GFNI + AVX2)
 *   "gfni512"   vgf2p8affineqb, 64-byte vectors (GFNI + AVX-512 F + BW)
 * The SIMD kernels also run the additive FFT (see sof_rs.c) for encoding
 * with k = 8, 16 or 32 and for plans whose k sources are one aligned run of
 * k points (e.g. every data shard lost from a 32:32 set); every other shape
 * is a dense product. At load the kernel named by the environment variable
 * SOF_RS_KERNEL is chosen if this CPU runs it, else the fastest this CPU
 * runs (gfni512, gfni256, avx512, avx2, portable, in that order).
 *
 * sof_rs_kernel_name returns the kernel in use (a static string). */
char const *sof_rs_kernel_name(void);

/* sof_rs_kernel_at returns the name of the i-th kernel this CPU runs
 * (i = 0 is "portable"), NULL past the last: tests and benchmarks walk
 * every path with it. */
char const *sof_rs_kernel_at(unsigned i);

/* sof_rs_kernel_select makes later calls use the kernel `name` (one of the
 * names above), or the run-time choice for NULL or "auto". Returns 0, or -1
 * (nothing changed) for an unknown name or a kernel this CPU does not run.
 * Not thread safe: call it while no other thread is inside a function of
 * this header. */
int sof_rs_kernel_select(char const *name);

/* sof_rs_force_portable(1) is sof_rs_kernel_select("portable"),
 * sof_rs_force_portable(0) sof_rs_kernel_select(NULL). Same thread rule. */
void sof_rs_force_portable(int on);

/* sof_rs_force_dense(1) turns the FFT off (every shape a dense product, as
 * tests and benchmarks compare both), sof_rs_force_dense(0) back on. Same
 * thread rule. */
void sof_rs_force_dense(int on);

#endif /* SOF_FEC_RS_H */
