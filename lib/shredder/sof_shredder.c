/* sof_shredder.c: entry batch -> chained merkle FEC sets (see sof_shredder.h).
 *
 * Offsets of a merkle shred with proof size 6 (wire-format.md section 1):
 *
 *   data (1203 B)        [0,64) sig | [64,88) headers | [88, 88+cap) data
 *                        | [88+cap, +32) chained root | [.., +120) proof
 *                        | [1139, 1203) retransmitter sig (resigned only)
 *   code (1228 B)        [0,64) sig | [64,89) headers | [89, 89+ccap) parity
 *                        | [89+ccap, +32) chained root | proof | retx sig
 *
 * with cap = 963 (chained) / 899 (resigned) and ccap = cap + 24, so that the
 * erasure shards [64, 88+cap) and [89, 89+ccap) have the same length. */
#include "shredder/sof_shredder.h"

#include <string.h>

#include <sodium.h>

#include "crypto/sof_merkle.h"
#include "crypto/sof_sha256.h"

#define SET_SHRED_CNT  (SOF_SHREDDER_DATA_CNT + SOF_SHREDDER_CODE_CNT)
#define PROOF_SZ       (SOF_SHREDDER_PROOF_CNT * SOF_SHRED_MERKLE_NODE_SZ) /* 120 */
#define RETX_SIG_SZ    64U

#define VARIANT_DATA_CHAINED   (SOF_SHRED_TYPE_MERKLE_DATA_CHAINED  | SOF_SHREDDER_PROOF_CNT) /* 0x96 */
#define VARIANT_DATA_RESIGNED  (SOF_SHRED_TYPE_MERKLE_DATA_RESIGNED | SOF_SHREDDER_PROOF_CNT) /* 0xB6 */
#define VARIANT_CODE_CHAINED   (SOF_SHRED_TYPE_MERKLE_CODE_CHAINED  | SOF_SHREDDER_PROOF_CNT) /* 0x66 */
#define VARIANT_CODE_RESIGNED  (SOF_SHRED_TYPE_MERKLE_CODE_RESIGNED | SOF_SHREDDER_PROOF_CNT) /* 0x76 */

_Static_assert(SOF_SHREDDER_CHAINED_DATA_CAP ==
               SOF_SHRED_MERKLE_DATA_SZ - SOF_SHRED_DATA_HDR_SZ - 32U - PROOF_SZ,
               "chained data capacity");
_Static_assert(SOF_SHREDDER_RESIGNED_DATA_CAP == SOF_SHREDDER_CHAINED_DATA_CAP - RETX_SIG_SZ,
               "resigned data capacity");
_Static_assert(SOF_SHRED_MERKLE_CODE_SZ - SOF_SHRED_CODE_HDR_SZ ==
               SOF_SHRED_MERKLE_DATA_SZ - SOF_SHRED_SIGNATURE_SZ,
               "data and code erasure shards have the same size");
_Static_assert(SOF_SHREDDER_CHAINED_SET_PAYLOAD_SZ == 30816U, "chained set payload");
_Static_assert(SOF_SHREDDER_RESIGNED_SET_PAYLOAD_SZ == 28768U, "resigned set payload");
_Static_assert(SOF_SHRED_DATA_PER_SLOT_MAX % SOF_SHREDDER_DATA_CNT == 0, "slot limit");

/* Little-endian stores (the wire is LE whatever the host is). */
static inline void
st_u16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static inline void
st_u32(uint8_t *p, uint32_t v) {
  for (unsigned i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static inline void
st_u64(uint8_t *p, uint64_t v) {
  for (unsigned i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Common header: [64] variant, [65] slot, [73] index, [77] version, [79] fec. */
static void
write_common_hdr(uint8_t *shred, uint8_t variant, uint64_t slot, uint32_t idx, uint16_t version,
                 uint32_t fec_set_idx) {
  shred[64] = variant;
  st_u64(shred + 65, slot);
  st_u32(shred + 73, idx);
  st_u16(shred + 77, version);
  st_u32(shred + 79, fec_set_idx);
}

int
sof_shredder_init(sof_shredder_t *sh) {
  if (sodium_init() < 0) return SOF_SHREDDER_ERR_SIGN;
  if (sof_rs_init(&sh->rs, SOF_SHREDDER_DATA_CNT, SOF_SHREDDER_CODE_CNT)) {
    return SOF_SHREDDER_ERR_SIGN; /* cannot happen for 32:32 */
  }
  return SOF_SHREDDER_OK;
}

size_t
sof_shredder_set_cnt(size_t batch_sz, int last_in_slot) {
  size_t const C = SOF_SHREDDER_CHAINED_SET_PAYLOAD_SZ;
  size_t const R = SOF_SHREDDER_RESIGNED_SET_PAYLOAD_SZ;
  if (!batch_sz) return 0;
  if (!last_in_slot) return (batch_sz - 1) / C + 1;
  if (batch_sz <= R) return 1;
  return 1 + (batch_sz - R - 1) / C + 1;
}

int
sof_shredder_set_layout(size_t batch_sz, int last_in_slot, size_t set_i, size_t *off, size_t *sz,
                        int *resigned) {
  size_t const C = SOF_SHREDDER_CHAINED_SET_PAYLOAD_SZ;
  size_t const R = SOF_SHREDDER_RESIGNED_SET_PAYLOAD_SZ;
  size_t n = sof_shredder_set_cnt(batch_sz, last_in_slot);
  if (!n) return SOF_SHREDDER_ERR_EMPTY;
  if (set_i >= n) return SOF_SHREDDER_ERR_SET_IDX;

  /* Bytes that go to chained sets: all of them, or all but the last R when
   * the batch ends the slot (the resigned set is always full unless the
   * whole batch fits in it). */
  size_t chained_sz = batch_sz;
  if (last_in_slot) chained_sz = batch_sz > R ? batch_sz - R : 0;

  if (last_in_slot && set_i == n - 1) {
    *off = chained_sz;
    *sz  = batch_sz - chained_sz;
    if (resigned) *resigned = 1;
  } else {
    *off = set_i * C;
    *sz  = chained_sz - *off < C ? chained_sz - *off : C;
    if (resigned) *resigned = 0;
  }
  return SOF_SHREDDER_OK;
}

/* ---- merkle leaves, two at a time ------------------------------------------
 *
 * The 64 leaf hashes of a set (sha256("\x00SOLANA_MERKLE_SHREDS_LEAF" ||
 * shred[64, proof_off)), about 1 KiB each) are half of a set's time. One
 * SHA-256 stream is bound by the latency of the SHA-NI round instruction,
 * not by its throughput: interleaving two independent messages in one loop
 * hashes both in about the time of one (measured on the 2-core EPYC class:
 * 64 leaves 31 us instead of 60 us with OpenSSL, which uses SHA-NI too).
 * The bytes are those of sof_merkle_leaf (lib/crypto), which is what runs
 * without SHA-NI; the shredder's tests check every proof against
 * sof_shred_merkle_root and the demo slot byte for byte.
 *
 * This is a batch SHA-256: it belongs in lib/crypto (the verifier hashes 64
 * leaves per set too) and lives here only until it moves there. */

static uint8_t const leaf_prefix[26] = "\x00SOLANA_MERKLE_SHREDS_LEAF";

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

static uint32_t const sha_k[64] __attribute__((aligned(16))) = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* Two SHA-256 states in the layout the SHA-NI instructions want
 * (ABEF, CDGH per lane). */
typedef struct {
  __m128i abef[2];
  __m128i cdgh[2];
} sha_x2_t;

SHA_TARGET static void
sha_x2_init(sha_x2_t *st) {
  /* H0..H7 of FIPS 180-4 as ABEF = {H5, H4, H1, H0}, CDGH = {H7, H6, H3, H2}
   * (lowest lane first). */
  __m128i abef = _mm_set_epi32(0x6a09e667, 0xbb67ae85, 0x510e527f, 0x9b05688c);
  __m128i cdgh = _mm_set_epi32(0x3c6ef372, 0xa54ff53a, 0x1f83d9ab, 0x5be0cd19);
  st->abef[0] = st->abef[1] = abef;
  st->cdgh[0] = st->cdgh[1] = cdgh;
}

/* Compresses one 64-byte block into each lane: a into lane 0, b into 1. */
SHA_TARGET static void
sha_x2_block(sha_x2_t *st, uint8_t const *a, uint8_t const *b) {
  __m128i const bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  __m128i       x0 = st->abef[0], x1 = st->cdgh[0], y0 = st->abef[1], y1 = st->cdgh[1];
  __m128i       m[4], q[4];
  for (int i = 0; i < 4; i++) {
    m[i] = _mm_shuffle_epi8(_mm_loadu_si128((__m128i const *)(a + 16 * i)), bswap);
    q[i] = _mm_shuffle_epi8(_mm_loadu_si128((__m128i const *)(b + 16 * i)), bswap);
  }
  /* 16 groups of 4 rounds; W[4j+4 .. 4j+8) from the four groups before. */
#pragma GCC unroll 16
  for (int j = 0; j < 16; j++) {
    __m128i k  = _mm_load_si128((__m128i const *)&sha_k[4 * j]);
    __m128i mx = _mm_add_epi32(m[j & 3], k);
    __m128i my = _mm_add_epi32(q[j & 3], k);
    x1 = _mm_sha256rnds2_epu32(x1, x0, mx);
    y1 = _mm_sha256rnds2_epu32(y1, y0, my);
    if (j < 12) {
      __m128i t = _mm_add_epi32(_mm_sha256msg1_epu32(m[j & 3], m[(j + 1) & 3]),
                                _mm_alignr_epi8(m[(j + 3) & 3], m[(j + 2) & 3], 4));
      __m128i u = _mm_add_epi32(_mm_sha256msg1_epu32(q[j & 3], q[(j + 1) & 3]),
                                _mm_alignr_epi8(q[(j + 3) & 3], q[(j + 2) & 3], 4));
      m[j & 3] = _mm_sha256msg2_epu32(t, m[(j + 3) & 3]);
      q[j & 3] = _mm_sha256msg2_epu32(u, q[(j + 3) & 3]);
    }
    x0 = _mm_sha256rnds2_epu32(x0, x1, _mm_shuffle_epi32(mx, 0x0E));
    y0 = _mm_sha256rnds2_epu32(y0, y1, _mm_shuffle_epi32(my, 0x0E));
  }
  st->abef[0] = _mm_add_epi32(st->abef[0], x0);
  st->cdgh[0] = _mm_add_epi32(st->cdgh[0], x1);
  st->abef[1] = _mm_add_epi32(st->abef[1], y0);
  st->cdgh[1] = _mm_add_epi32(st->cdgh[1], y1);
}

/* The digest of a lane, big-endian H0..H7. */
SHA_TARGET static void
sha_x2_digest(sha_x2_t const *st, unsigned lane, uint8_t out[32]) {
  __m128i const bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  __m128i       feba = _mm_shuffle_epi32(st->abef[lane], 0x1B); /* H0 H1 H4 H5 */
  __m128i       hgdc = _mm_shuffle_epi32(st->cdgh[lane], 0x1B); /* H2 H3 H6 H7 */
  __m128i       lo   = _mm_unpacklo_epi64(feba, hgdc);           /* H0 H1 H2 H3 */
  __m128i       hi   = _mm_unpackhi_epi64(feba, hgdc);           /* H4 H5 H6 H7 */
  _mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(lo, bswap));
  _mm_storeu_si128((__m128i *)(out + 16), _mm_shuffle_epi8(hi, bswap));
}

/* Both leaves: prefix || a[0, sz) and prefix || b[0, sz). */
SHA_TARGET static void
leaf_x2_ni(uint8_t out_a[32], uint8_t out_b[32], uint8_t const *a, uint8_t const *b, size_t sz) {
  size_t const head = 64 - sizeof leaf_prefix; /* message bytes in the first block */
  uint8_t      ba[128], bb[128];
  sha_x2_t     st;
  sha_x2_init(&st);

  memcpy(ba, leaf_prefix, sizeof leaf_prefix);
  memcpy(bb, leaf_prefix, sizeof leaf_prefix);
  memcpy(ba + sizeof leaf_prefix, a, head);
  memcpy(bb + sizeof leaf_prefix, b, head);
  sha_x2_block(&st, ba, bb);

  size_t off = head;
  for (; sz - off >= 64; off += 64) sha_x2_block(&st, a + off, b + off);

  /* The rest, 0x80, zeros, the bit length: one block or two. */
  size_t   rest = sz - off;
  size_t   tail = rest + 1 + 8 <= 64 ? 64 : 128;
  uint64_t bits = (uint64_t)(sizeof leaf_prefix + sz) * 8;
  memset(ba, 0, tail);
  memset(bb, 0, tail);
  memcpy(ba, a + off, rest);
  memcpy(bb, b + off, rest);
  ba[rest] = bb[rest] = 0x80;
  for (unsigned i = 0; i < 8; i++) ba[tail - 1 - i] = bb[tail - 1 - i] = (uint8_t)(bits >> (8 * i));
  sha_x2_block(&st, ba, bb);
  if (tail == 128) sha_x2_block(&st, ba + 64, bb + 64);

  sha_x2_digest(&st, 0, out_a);
  sha_x2_digest(&st, 1, out_b);
}

/* CPUID: SHA extensions (leaf 7 EBX bit 29), SSSE3 and SSE4.1 (leaf 1 ECX
 * bits 9 and 19). (__builtin_cpu_supports has no "sha" in every compiler.) */
static int
cpu_has_sha_ni(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1U << 9)) || !(c & (1U << 19))) return 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  return (b >> 29) & 1U;
}
#endif /* __x86_64__ */

/* Two leaf hashes of sz >= 38 bytes each: SHA-NI when the CPU has it,
 * else sof_merkle_leaf. */
static void
leaf_x2(uint8_t out_a[32], uint8_t out_b[32], uint8_t const *a, uint8_t const *b, size_t sz) {
#if defined(__x86_64__)
  static int have_ni = -1; /* same answer whichever thread computes it first */
  int        ni      = __atomic_load_n(&have_ni, __ATOMIC_RELAXED);
  if (__builtin_expect(ni < 0, 0)) {
    ni = cpu_has_sha_ni();
    __atomic_store_n(&have_ni, ni, __ATOMIC_RELAXED);
  }
  if (ni) {
    leaf_x2_ni(out_a, out_b, a, b, sz);
    return;
  }
#endif
  sof_merkle_leaf(out_a, a, sz);
  sof_merkle_leaf(out_b, b, sz);
}

/* libsodium signs with the public half as given: a mismatched key pair
 * would give signatures nobody can verify. The check derives the public key
 * from the seed, a fixed-base scalar multiplication that costs as much as
 * the signature itself (~18 us); callers that stream a batch set by set
 * (sof_shredder_shred_set) would pay it for every set. So each thread
 * remembers the last key pair that passed, by its SHA-256 (no copy of the
 * secret is kept): the same key pair is derived once. */
static __thread uint8_t key_ok_digest[32];
static __thread int     key_ok_valid;

static int
check_keypair(uint8_t const *keypair) {
  uint8_t digest[32];
  sof_sha256(digest, keypair, SOF_SHREDDER_KEYPAIR_SZ);
  if (key_ok_valid && !memcmp(digest, key_ok_digest, 32)) return SOF_SHREDDER_OK;
  uint8_t pk[32], sk[64];
  crypto_sign_ed25519_seed_keypair(pk, sk, keypair);
  int bad = sodium_memcmp(pk, keypair + 32, 32);
  sodium_memzero(sk, sizeof sk);
  if (bad) return SOF_SHREDDER_ERR_KEYPAIR;
  memcpy(key_ok_digest, digest, 32);
  key_ok_valid = 1;
  return SOF_SHREDDER_OK;
}

/* Validates what does not depend on the set index. */
static int
check_args(sof_shredder_args_t const *args, size_t batch_sz) {
  if (!batch_sz) return SOF_SHREDDER_ERR_EMPTY;
  if (args->parent_slot > args->slot) return SOF_SHREDDER_ERR_PARENT;
  uint64_t parent_off = args->slot - args->parent_slot;
  if (parent_off > UINT16_MAX) return SOF_SHREDDER_ERR_PARENT;
  if ((args->slot == 0) != (parent_off == 0)) return SOF_SHREDDER_ERR_PARENT;
  if (args->reference_tick > SOF_SHREDDER_REF_TICK_MAX) return SOF_SHREDDER_ERR_REF_TICK;
  if (args->data_idx % SOF_SHREDDER_DATA_CNT) return SOF_SHREDDER_ERR_INDEX;
  if (args->data_idx >= SOF_SHRED_DATA_PER_SLOT_MAX) return SOF_SHREDDER_ERR_INDEX;
  size_t set_cnt = sof_shredder_set_cnt(batch_sz, args->last_in_slot);
  if (set_cnt > (SOF_SHRED_DATA_PER_SLOT_MAX - args->data_idx) / SOF_SHREDDER_DATA_CNT) {
    return SOF_SHREDDER_ERR_INDEX;
  }
  return check_keypair(args->keypair);
}

/* Builds one set; arguments already validated. */
static int
shred_set(sof_shredder_t const *sh, sof_shredder_args_t const *args, uint8_t const *batch,
          size_t batch_sz, size_t set_i, uint8_t chained_root[32], sof_shredder_set_t *out) {
  size_t off, sz;
  int    resigned;
  int    err = sof_shredder_set_layout(batch_sz, args->last_in_slot, set_i, &off, &sz, &resigned);
  if (err) return err;

  size_t const cap      = resigned ? SOF_SHREDDER_RESIGNED_DATA_CAP : SOF_SHREDDER_CHAINED_DATA_CAP;
  size_t const ccap     = cap + SOF_SHRED_DATA_HDR_SZ - SOF_SHRED_SIGNATURE_SZ; /* + 24 */
  size_t const d_root   = SOF_SHRED_DATA_HDR_SZ + cap;    /* chained root offsets */
  size_t const c_root   = SOF_SHRED_CODE_HDR_SZ + ccap;
  size_t const d_proof  = d_root + 32;                   /* proof offsets = leaf ends */
  size_t const c_proof  = c_root + 32;
  size_t const shard_sz = SOF_SHRED_DATA_HDR_SZ - SOF_SHRED_SIGNATURE_SZ + cap;

  uint32_t const fec_set_idx = args->data_idx + (uint32_t)(set_i * SOF_SHREDDER_DATA_CNT);
  int const      last_in_batch = off + sz == batch_sz;
  uint8_t const  tick = args->reference_tick;
  uint8_t const  last_flags =
    last_in_batch ? (args->last_in_slot ? SOF_SHRED_FLAG_LAST_IN_SLOT : SOF_SHRED_FLAG_DATA_COMPLETE) : 0;
  uint16_t const parent_off = (uint16_t)(args->slot - args->parent_slot);

  memcpy(out->chained_root, chained_root, 32);
  out->fec_set_idx   = fec_set_idx;
  out->batch_off     = off;
  out->batch_sz      = sz;
  out->resigned      = (uint8_t)resigned;
  out->last_in_batch = (uint8_t)last_in_batch;
  out->data_shred_cnt = (uint32_t)((sz + cap - 1) / cap);

  uint8_t const *src  = batch + off;
  size_t         left = sz;
  uint8_t const *shards[SOF_SHREDDER_DATA_CNT];
  uint8_t       *parity[SOF_SHREDDER_CODE_CNT];

  for (unsigned i = 0; i < SOF_SHREDDER_DATA_CNT; i++) {
    uint8_t *s = out->data[i];
    size_t   n = left < cap ? left : cap;
    memset(s, 0, SOF_SHRED_SIGNATURE_SZ);
    write_common_hdr(s, resigned ? VARIANT_DATA_RESIGNED : VARIANT_DATA_CHAINED, args->slot,
                     fec_set_idx + i, args->shred_version, fec_set_idx);
    st_u16(s + 83, parent_off);
    s[85] = (uint8_t)(tick | (i == SOF_SHREDDER_DATA_CNT - 1 ? last_flags : 0));
    st_u16(s + 86, (uint16_t)(SOF_SHRED_DATA_HDR_SZ + n));
    memcpy(s + SOF_SHRED_DATA_HDR_SZ, src, n);
    /* zero padding, then the trailer: chained root, proof (written below),
     * retransmitter signature (zero, resigned only). */
    memset(s + SOF_SHRED_DATA_HDR_SZ + n, 0, SOF_SHRED_MERKLE_DATA_SZ - SOF_SHRED_DATA_HDR_SZ - n);
    memcpy(s + d_root, chained_root, 32);
    src  += n;
    left -= n;
    shards[i] = s + SOF_SHRED_SIGNATURE_SZ;
  }

  for (unsigned p = 0; p < SOF_SHREDDER_CODE_CNT; p++) {
    uint8_t *s = out->code[p];
    memset(s, 0, SOF_SHRED_SIGNATURE_SZ);
    write_common_hdr(s, resigned ? VARIANT_CODE_RESIGNED : VARIANT_CODE_CHAINED, args->slot,
                     fec_set_idx + p, args->shred_version, fec_set_idx);
    st_u16(s + 83, SOF_SHREDDER_DATA_CNT);
    st_u16(s + 85, SOF_SHREDDER_CODE_CNT);
    st_u16(s + 87, (uint16_t)p);
    memset(s + c_root, 0, SOF_SHRED_MERKLE_CODE_SZ - c_root);
    memcpy(s + c_root, chained_root, 32);
    parity[p] = s + SOF_SHRED_CODE_HDR_SZ;
  }

  sof_rs_encode(&sh->rs, shards, parity, shard_sz);

  /* Merkle tree over the 64 leaves, data first; leaves two at a time (all
   * data leaves have one length, all code leaves another). */
  uint8_t nodes[2 * SET_SHRED_CNT - 1][32];
  for (unsigned i = 0; i < SOF_SHREDDER_DATA_CNT; i += 2) {
    leaf_x2(nodes[i], nodes[i + 1], out->data[i] + SOF_SHRED_SIGNATURE_SZ,
            out->data[i + 1] + SOF_SHRED_SIGNATURE_SZ, d_proof - SOF_SHRED_SIGNATURE_SZ);
  }
  for (unsigned p = 0; p < SOF_SHREDDER_CODE_CNT; p += 2) {
    leaf_x2(nodes[SOF_SHREDDER_DATA_CNT + p], nodes[SOF_SHREDDER_DATA_CNT + p + 1],
            out->code[p] + SOF_SHRED_SIGNATURE_SZ, out->code[p + 1] + SOF_SHRED_SIGNATURE_SZ,
            c_proof - SOF_SHRED_SIGNATURE_SZ);
  }
  uint8_t const *root = sof_merkle_tree_build(nodes, SET_SHRED_CNT);
  memcpy(out->root, root, 32);

  if (crypto_sign_ed25519_detached(out->signature, NULL, out->root, 32, args->keypair)) {
    return SOF_SHREDDER_ERR_SIGN;
  }

  for (unsigned i = 0; i < SOF_SHREDDER_DATA_CNT; i++) {
    memcpy(out->data[i], out->signature, 64);
    unsigned depth = sof_merkle_tree_proof(nodes, SET_SHRED_CNT, i, out->data[i] + d_proof);
    (void)depth; /* 6 for 64 leaves */
  }
  for (unsigned p = 0; p < SOF_SHREDDER_CODE_CNT; p++) {
    memcpy(out->code[p], out->signature, 64);
    unsigned depth =
      sof_merkle_tree_proof(nodes, SET_SHRED_CNT, SOF_SHREDDER_DATA_CNT + p, out->code[p] + c_proof);
    (void)depth;
  }

  memcpy(chained_root, out->root, 32);
  return SOF_SHREDDER_OK;
}

int
sof_shredder_shred_set(sof_shredder_t const *sh, sof_shredder_args_t const *args, void const *batch,
                       size_t batch_sz, size_t set_i, uint8_t chained_root[32],
                       sof_shredder_set_t *out) {
  int err = check_args(args, batch_sz);
  if (err) return err;
  if (set_i >= sof_shredder_set_cnt(batch_sz, args->last_in_slot)) return SOF_SHREDDER_ERR_SET_IDX;
  return shred_set(sh, args, batch, batch_sz, set_i, chained_root, out);
}

long
sof_shredder_shred(sof_shredder_t const *sh, sof_shredder_args_t const *args, void const *batch,
                   size_t batch_sz, uint8_t chained_root[32], sof_shredder_set_t *sets,
                   size_t set_max) {
  int err = check_args(args, batch_sz);
  if (err) return err;
  size_t n = sof_shredder_set_cnt(batch_sz, args->last_in_slot);
  if (n > set_max) return SOF_SHREDDER_ERR_SPACE;
  /* Work on a copy of the root so that chained_root is untouched on error. */
  uint8_t root[32];
  memcpy(root, chained_root, 32);
  for (size_t i = 0; i < n; i++) {
    err = shred_set(sh, args, batch, batch_sz, i, root, &sets[i]);
    if (err) return err;
  }
  memcpy(chained_root, root, 32);
  return (long)n;
}

char const *
sof_shredder_err_str(int err) {
  switch (err) {
  case SOF_SHREDDER_OK:          return "ok";
  case SOF_SHREDDER_ERR_EMPTY:   return "empty_batch";
  case SOF_SHREDDER_ERR_PARENT:  return "bad_parent";
  case SOF_SHREDDER_ERR_REF_TICK:return "bad_reference_tick";
  case SOF_SHREDDER_ERR_INDEX:   return "bad_index";
  case SOF_SHREDDER_ERR_SPACE:   return "no_space";
  case SOF_SHREDDER_ERR_KEYPAIR: return "bad_keypair";
  case SOF_SHREDDER_ERR_SET_IDX: return "bad_set_index";
  case SOF_SHREDDER_ERR_SIGN:    return "sign_failed";
  default:                       return "unknown";
  }
}
