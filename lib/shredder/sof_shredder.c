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

  /* Merkle tree over the 64 leaves, data first. The leaves are half of a
   * set's time: two at a time (sof_merkle_leaf_x2, SHA-NI interleaved, about
   * 0.6x the time of one after the other), and so are the interior nodes
   * (sof_merkle_tree_build). */
  uint8_t nodes[2 * SET_SHRED_CNT - 1][32];
  for (unsigned i = 0; i < SOF_SHREDDER_DATA_CNT; i += 2) {
    sof_merkle_leaf_x2(nodes[i], nodes[i + 1], out->data[i] + SOF_SHRED_SIGNATURE_SZ,
                       d_proof - SOF_SHRED_SIGNATURE_SZ, out->data[i + 1] + SOF_SHRED_SIGNATURE_SZ,
                       d_proof - SOF_SHRED_SIGNATURE_SZ);
  }
  for (unsigned p = 0; p < SOF_SHREDDER_CODE_CNT; p += 2) {
    sof_merkle_leaf_x2(nodes[SOF_SHREDDER_DATA_CNT + p], nodes[SOF_SHREDDER_DATA_CNT + p + 1],
                       out->code[p] + SOF_SHRED_SIGNATURE_SZ, c_proof - SOF_SHRED_SIGNATURE_SZ,
                       out->code[p + 1] + SOF_SHRED_SIGNATURE_SZ, c_proof - SOF_SHRED_SIGNATURE_SZ);
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
