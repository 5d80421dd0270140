#include "wire/sof_shred.h"

#include <string.h>

static inline uint16_t
ld16(uint8_t const *p) {
  uint16_t v;
  memcpy(&v, p, 2);
  return v;
}

static inline uint32_t
ld32(uint8_t const *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static inline uint64_t
ld64(uint8_t const *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* Depth of a merkle tree over n >= 1 leaves whose odd last node pairs with
 * itself: ceil(log2(n)). */
static inline unsigned
tree_depth(unsigned n) {
  return n <= 1 ? 0U : 32U - (unsigned)__builtin_clz(n - 1U);
}

int
sof_shred_parse(sof_shred_t *out, void const *buf_, size_t buf_sz, unsigned flags) {
  uint8_t const *buf = buf_;
  if (buf_sz < SOF_SHRED_DATA_HDR_SZ) return SOF_SHRED_ERR_TOO_SHORT;

  memset(out, 0, sizeof *out);
  uint8_t variant = buf[64];
  out->variant = variant;
  out->slot = ld64(buf + 65);
  out->idx = ld32(buf + 73);
  out->version = ld16(buf + 77);
  out->fec_set_idx = ld32(buf + 79);

  unsigned is_data, is_merkle, chained = 0, resigned = 0, proof = 0;
  if (variant == SOF_SHRED_TYPE_LEGACY_DATA) {
    is_data = 1; is_merkle = 0; out->type = variant;
  } else if (variant == SOF_SHRED_TYPE_LEGACY_CODE) {
    is_data = 0; is_merkle = 0; out->type = variant;
  } else {
    unsigned type = variant & 0xF0U;
    proof = variant & 0x0FU;
    is_merkle = 1;
    switch (type) {
    case SOF_SHRED_TYPE_MERKLE_CODE:          is_data = 0; break;
    case SOF_SHRED_TYPE_MERKLE_CODE_CHAINED:  is_data = 0; chained = 1; break;
    case SOF_SHRED_TYPE_MERKLE_CODE_RESIGNED: is_data = 0; chained = 1; resigned = 1; break;
    case SOF_SHRED_TYPE_MERKLE_DATA:          is_data = 1; break;
    case SOF_SHRED_TYPE_MERKLE_DATA_CHAINED:  is_data = 1; chained = 1; break;
    case SOF_SHRED_TYPE_MERKLE_DATA_RESIGNED: is_data = 1; chained = 1; resigned = 1; break;
    default: return SOF_SHRED_ERR_BAD_VARIANT;
    }
    out->type = (uint8_t)type;
  }
  out->is_data = (uint8_t)is_data;
  out->is_merkle = (uint8_t)is_merkle;
  out->is_chained = (uint8_t)chained;
  out->is_resigned = (uint8_t)resigned;
  out->proof_cnt = (uint8_t)proof;

  size_t shred_sz = is_merkle && is_data ? SOF_SHRED_MERKLE_DATA_SZ : SOF_SHRED_MAX_SZ;
  unsigned hdr_sz = is_data ? SOF_SHRED_DATA_HDR_SZ : SOF_SHRED_CODE_HDR_SZ;

  if (buf_sz < shred_sz) {
    /* Only legacy data may be stored trimmed to its size. */
    if (!(flags & SOF_SHRED_PARSE_ALLOW_TRIMMED) || variant != SOF_SHRED_TYPE_LEGACY_DATA)
      return SOF_SHRED_ERR_TOO_SHORT;
    out->trimmed = 1;
    shred_sz = buf_sz;
  }
  out->payload_sz = (uint32_t)shred_sz;

  /* Region layout. */
  unsigned cap;
  if (is_merkle) {
    unsigned full = (unsigned)(is_data ? SOF_SHRED_MERKLE_DATA_SZ : SOF_SHRED_MERKLE_CODE_SZ);
    /* With p <= 15 the capacity stays positive for every kind. */
    cap = full - hdr_sz - 32U * chained - 20U * proof - 64U * resigned;
    out->capacity = cap;
    out->chained_root_off = chained ? hdr_sz + cap : 0U;
    out->proof_off = full - 20U * proof - 64U * resigned;
    out->retx_sig_off = resigned ? full - 64U : 0U;
    out->erasure_off = is_data ? (uint32_t)SOF_SHRED_SIGNATURE_SZ : hdr_sz;
    /* data: [64, 88 + cap), code: [89, 89 + cap) */
    out->erasure_sz = is_data ? hdr_sz + cap - (uint32_t)SOF_SHRED_SIGNATURE_SZ : cap;
  } else if (is_data) {
    cap = (unsigned)(SOF_SHRED_LEGACY_DATA_SHARD_SZ - SOF_SHRED_DATA_HDR_SZ);
    out->capacity = cap;
    out->erasure_off = 0;
    out->erasure_sz = (uint32_t)SOF_SHRED_LEGACY_DATA_SHARD_SZ;
  } else {
    cap = (unsigned)(SOF_SHRED_LEGACY_SZ - SOF_SHRED_CODE_HDR_SZ);
    out->capacity = cap;
    out->erasure_off = SOF_SHRED_CODE_HDR_SZ;
    out->erasure_sz = cap;
  }

  if (is_data) {
    out->parent_off = ld16(buf + 83);
    out->flags = buf[85];
    out->size = ld16(buf + 86);
    if ((out->flags & SOF_SHRED_FLAG_LAST_IN_SLOT) == 0x80U) return SOF_SHRED_ERR_BAD_FLAGS;
    if (out->size < SOF_SHRED_DATA_HDR_SZ || out->size > SOF_SHRED_DATA_HDR_SZ + cap)
      return SOF_SHRED_ERR_BAD_SIZE;
    if (out->trimmed && out->size > buf_sz) return SOF_SHRED_ERR_TOO_SHORT;
    out->data_off = SOF_SHRED_DATA_HDR_SZ;
    out->data_sz = out->size - (uint32_t)SOF_SHRED_DATA_HDR_SZ;
    if (out->slot == 0 ? out->parent_off != 0
                       : (out->parent_off == 0 || out->parent_off > out->slot))
      return SOF_SHRED_ERR_BAD_PARENT;
    if (out->idx < out->fec_set_idx || out->idx >= SOF_SHRED_DATA_PER_SLOT_MAX)
      return SOF_SHRED_ERR_BAD_INDEX;
    out->erasure_idx = out->idx - out->fec_set_idx;
    if (is_merkle && out->erasure_idx >= (1U << proof)) return SOF_SHRED_ERR_BAD_ERASURE_INDEX;
  } else {
    out->num_data = ld16(buf + 83);
    out->num_coding = ld16(buf + 85);
    out->position = ld16(buf + 87);
    unsigned n = (unsigned)out->num_data + out->num_coding;
    if (!out->num_data || !out->num_coding || n > SOF_SHRED_FEC_SHARDS_MAX)
      return SOF_SHRED_ERR_BAD_CODE_COUNTS;
    if (out->position >= out->num_coding) return SOF_SHRED_ERR_BAD_POSITION;
    if (out->idx < out->position ||
        (uint64_t)out->idx - out->position + out->num_coding > SOF_SHRED_CODE_PER_SLOT_MAX ||
        (uint64_t)out->fec_set_idx + out->num_data > SOF_SHRED_DATA_PER_SLOT_MAX)
      return SOF_SHRED_ERR_BAD_INDEX;
    if (is_merkle && tree_depth(n) != proof) return SOF_SHRED_ERR_BAD_PROOF_SIZE;
    out->erasure_idx = (uint32_t)out->num_data + out->position;
  }
  return SOF_SHRED_OK;
}

char const *
sof_shred_err_str(int err) {
  switch (err) {
  case SOF_SHRED_OK: return "ok";
#define SOF_SHRED_ERR_CASE_(name, val, str) case SOF_SHRED_ERR_##name: return str;
  SOF_SHRED_ERR_LIST(SOF_SHRED_ERR_CASE_)
#undef SOF_SHRED_ERR_CASE_
  default: return "unknown";
  }
}

char const *
sof_shred_variant_str(sof_shred_t const *s) {
  switch (s->type) {
  case SOF_SHRED_TYPE_LEGACY_DATA:          return "legacy_data";
  case SOF_SHRED_TYPE_LEGACY_CODE:          return "legacy_code";
  case SOF_SHRED_TYPE_MERKLE_DATA:          return "merkle_data";
  case SOF_SHRED_TYPE_MERKLE_CODE:          return "merkle_code";
  case SOF_SHRED_TYPE_MERKLE_DATA_CHAINED:  return "merkle_data_chained";
  case SOF_SHRED_TYPE_MERKLE_CODE_CHAINED:  return "merkle_code_chained";
  case SOF_SHRED_TYPE_MERKLE_DATA_RESIGNED: return "merkle_data_chained_resigned";
  case SOF_SHRED_TYPE_MERKLE_CODE_RESIGNED: return "merkle_code_chained_resigned";
  default:                                  return "unknown";
  }
}
