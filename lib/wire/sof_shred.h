/* sof_shred.h: zero-copy parsing of Solana shreds.
 *
 * A shred is parsed in place: sof_shred_parse fills a small descriptor
 * (sof_shred_t) with the header fields and the offsets of every region of
 * the payload (data, erasure shard, chained root, proof, retransmitter
 * signature). The descriptor holds no pointer; offsets index the caller's
 * buffer, which must outlive any use of the offsets.
 *
 * All eight variants are understood: legacy data / code, merkle data / code
 * unchained, chained, and chained + resigned. Every rejection is a named
 * reason code (sof_shred_err_str) so that the pipeline can count each drop.
 *
 * Byte layout: see docs/wire-format.md (and ../shared/docs/wire-format.md). */
#ifndef SOF_WIRE_SHRED_H
#define SOF_WIRE_SHRED_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Sizes on the wire. */
#define SOF_SHRED_SIGNATURE_SZ      64UL
#define SOF_SHRED_COMMON_HDR_SZ     83UL
#define SOF_SHRED_DATA_HDR_SZ       88UL   /* common + data header */
#define SOF_SHRED_CODE_HDR_SZ       89UL   /* common + coding header */
#define SOF_SHRED_MERKLE_DATA_SZ  1203UL
#define SOF_SHRED_MERKLE_CODE_SZ  1228UL
#define SOF_SHRED_LEGACY_SZ       1228UL
#define SOF_SHRED_MAX_SZ          1228UL
#define SOF_SHRED_LEGACY_DATA_SHARD_SZ 1139UL /* legacy data shred erasure shard */
#define SOF_SHRED_MERKLE_NODE_SZ    20UL   /* one proof entry */
#define SOF_SHRED_MERKLE_ROOT_SZ    32UL
#define SOF_SHRED_PROOF_MAX         15UL   /* the variant's low nibble */

/* Per-slot limits (Agave MAX_DATA_SHREDS_PER_SLOT / MAX_CODE_SHREDS_PER_SLOT). */
#define SOF_SHRED_DATA_PER_SLOT_MAX 32768UL
#define SOF_SHRED_CODE_PER_SLOT_MAX 32768UL
/* Reed-Solomon over GF(2^8): data + coding shards of one set. */
#define SOF_SHRED_FEC_SHARDS_MAX      256UL

/* Data shred flags. */
#define SOF_SHRED_FLAG_REF_TICK_MASK  0x3FU
#define SOF_SHRED_FLAG_DATA_COMPLETE  0x40U
#define SOF_SHRED_FLAG_LAST_IN_SLOT   0xC0U  /* both bits: also data complete */

/* Shred kinds: the high nibble of the variant byte (legacy variants are
 * exact bytes). */
#define SOF_SHRED_TYPE_LEGACY_CODE            0x5AU /* exact byte */
#define SOF_SHRED_TYPE_LEGACY_DATA            0xA5U /* exact byte */
#define SOF_SHRED_TYPE_MERKLE_CODE            0x40U
#define SOF_SHRED_TYPE_MERKLE_CODE_CHAINED    0x60U
#define SOF_SHRED_TYPE_MERKLE_CODE_RESIGNED   0x70U /* chained + resigned */
#define SOF_SHRED_TYPE_MERKLE_DATA            0x80U
#define SOF_SHRED_TYPE_MERKLE_DATA_CHAINED    0x90U
#define SOF_SHRED_TYPE_MERKLE_DATA_RESIGNED   0xB0U /* chained + resigned */

/* Parse options. */
/* Accept legacy data shreds trimmed to their `size` (blockstore storage
 * form, as in archived fixtures); the wire form is always 1228 bytes. The
 * missing tail is implicitly zero: sof_shred_t.trimmed is set and payload_sz
 * is the stored length. Has no effect on other variants. */
#define SOF_SHRED_PARSE_ALLOW_TRIMMED 0x1U

/* Reason codes. 0 is success; every rejection is negative. Keep
 * sof_shred_err_str in step. */
#define SOF_SHRED_ERR_LIST(X)                                                   \
  X(TOO_SHORT,        -1, "too_short")          /* payload shorter than the variant's size */ \
  X(BAD_VARIANT,      -2, "bad_variant")        /* unknown variant byte */                     \
  X(BAD_PROOF_SIZE,   -3, "bad_proof_size")     /* proof leaves no capacity, or tree too small */ \
  X(BAD_FLAGS,        -4, "bad_flags")          /* LAST_IN_SLOT without DATA_COMPLETE */        \
  X(BAD_SIZE,         -5, "bad_size")           /* data size outside [88, 88 + capacity] */     \
  X(BAD_PARENT,       -6, "bad_parent_offset")  /* 0 off slot 0, non-0 on slot 0, > slot */     \
  X(BAD_INDEX,        -7, "bad_index")          /* index / fec_set_index relation or limit */   \
  X(BAD_CODE_COUNTS,  -8, "bad_code_counts")    /* num_data / num_coding zero or too many */    \
  X(BAD_POSITION,     -9, "bad_position")       /* position >= num_coding */                    \
  X(BAD_ERASURE_INDEX,-10,"bad_erasure_index")  /* leaf index outside the merkle tree */

enum {
  SOF_SHRED_OK = 0,
#define SOF_SHRED_ERR_ENUM_(name, val, str) SOF_SHRED_ERR_##name = (val),
  SOF_SHRED_ERR_LIST(SOF_SHRED_ERR_ENUM_)
#undef SOF_SHRED_ERR_ENUM_
};
#define SOF_SHRED_ERR_CNT 10 /* number of reason codes, for counter tables */

/* A parsed shred. Offsets are into the buffer given to sof_shred_parse.
 * Fields not meaningful for a kind are zero. */
typedef struct sof_shred {
  uint64_t slot;
  uint32_t idx;              /* shred index in the slot */
  uint32_t fec_set_idx;      /* index of the set's first data shred */
  uint16_t version;          /* shred version (cluster) */
  uint8_t  variant;          /* raw variant byte */
  uint8_t  type;             /* SOF_SHRED_TYPE_*: variant & 0xF0, or the exact legacy byte */

  uint8_t  is_data;          /* 1 data shred, 0 coding shred */
  uint8_t  is_merkle;
  uint8_t  is_chained;
  uint8_t  is_resigned;
  uint8_t  proof_cnt;        /* merkle proof entries (variant low nibble) */
  uint8_t  trimmed;          /* legacy data accepted in trimmed storage form */

  /* Data shreds. */
  uint16_t parent_off;       /* parent slot = slot - parent_off */
  uint8_t  flags;
  uint16_t size;             /* header + data bytes (the `size` field) */

  /* Coding shreds. */
  uint16_t num_data;
  uint16_t num_coding;
  uint16_t position;

  uint32_t payload_sz;       /* bytes of the shred proper (1203 / 1228; trimmed length) */
  uint32_t data_off;         /* data shreds: data is [data_off, data_off + data_sz) */
  uint32_t data_sz;
  uint32_t capacity;         /* data (or parity) capacity in bytes */
  uint32_t erasure_off;      /* erasure shard: [erasure_off, erasure_off + erasure_sz) */
  uint32_t erasure_sz;
  uint32_t chained_root_off; /* chained merkle shreds: 32 bytes, else 0 */
  uint32_t proof_off;        /* merkle shreds: proof_cnt * 20 bytes; also end of the leaf */
  uint32_t retx_sig_off;     /* resigned shreds: 64 bytes, else 0 */
  uint32_t erasure_idx;      /* index of this shard in its set: data idx - fec, coding num_data + position;
                                for legacy coding shreds idx - fec is not defined: num_data + position */
} sof_shred_t;

/* sof_shred_parse parses and sanity-checks one shred at the start of buf.
 *
 * buf holds a UDP payload: it may be longer than the shred (repair responses
 * append a nonce; some captures append junk); the first 1203 (merkle data) or
 * 1228 (merkle code, legacy) bytes are the shred and the rest is ignored.
 * Shorter than that is SOF_SHRED_ERR_TOO_SHORT (except trimmed legacy data
 * with SOF_SHRED_PARSE_ALLOW_TRIMMED).
 *
 * Checks: known variant; merkle proof size leaves a positive capacity and
 * (coding) a tree of at least num_data + num_coding leaves; data: flags,
 * size within capacity, parent offset (non-zero unless slot 0, <= slot),
 * fec_set_idx <= idx < 32768, erasure index inside the tree; coding:
 * num_data and num_coding >= 1, their sum <= 256, position < num_coding,
 * idx >= position, fec_set_idx + num_data <= 32768 and
 * idx - position + num_coding <= 32768.
 * Signature, merkle root and shred version are not checked here (see the
 * verification layer).
 *
 * out: written in full on success; on error its contents are unspecified.
 * flags: SOF_SHRED_PARSE_* or 0.
 * Returns SOF_SHRED_OK or a SOF_SHRED_ERR_* code.
 * Pure function of its inputs: thread safe, no allocation. */
int sof_shred_parse(sof_shred_t *out, void const *buf, size_t buf_sz, unsigned flags);

/* sof_shred_err_str returns the stable snake_case name of a reason code
 * ("ok" for 0, "unknown" for anything else). The string is static. */
char const *sof_shred_err_str(int err);

/* sof_shred_variant_str returns the stable name of a shred's variant, e.g.
 * "legacy_data", "merkle_code", "merkle_data_chained",
 * "merkle_code_chained_resigned". Static string. */
char const *sof_shred_variant_str(sof_shred_t const *s);

/* sof_shred_parent returns the parent slot of a data shred (slot - parent_off).
 * Precondition: s->is_data. */
static inline uint64_t
sof_shred_parent(sof_shred_t const *s) {
  return s->slot - s->parent_off;
}

/* sof_shred_peek_slot / _idx / _fec_set_idx read fields from an unparsed payload of at
 * least SOF_SHRED_COMMON_HDR_SZ bytes, without validation: for hashing and
 * steering before a full parse. */
static inline uint64_t
sof_shred_peek_slot(void const *buf) {
  uint64_t v;
  __builtin_memcpy(&v, (uint8_t const *)buf + 65, 8);
  return v;
}

/* sof_shred_precheck: the slot of a payload that passes the first checks
 * of sof_shred_parse (a known variant byte, and at least the variant's
 * full size: trimmed legacy data does not pass), for decisions made before
 * parsing (slot admission). Returns 1 with *slot set, or 0: the payload
 * would fail sof_shred_parse as too_short or bad_variant (or be trimmed),
 * so let the parser name the reason. Reads at most 73 bytes; no state. */
static inline int
sof_shred_precheck(void const *buf_, size_t buf_sz, uint64_t *slot) {
  uint8_t const *buf = (uint8_t const *)buf_;
  if (buf_sz < SOF_SHRED_MERKLE_DATA_SZ) return 0; /* the smallest full shred */
  uint8_t v = buf[64], t = (uint8_t)(v & 0xF0U);
  if (v == SOF_SHRED_TYPE_LEGACY_DATA || v == SOF_SHRED_TYPE_LEGACY_CODE || t == SOF_SHRED_TYPE_MERKLE_CODE ||
      t == SOF_SHRED_TYPE_MERKLE_CODE_CHAINED || t == SOF_SHRED_TYPE_MERKLE_CODE_RESIGNED) {
    if (buf_sz < SOF_SHRED_MAX_SZ) return 0;
  } else if (t != SOF_SHRED_TYPE_MERKLE_DATA && t != SOF_SHRED_TYPE_MERKLE_DATA_CHAINED &&
             t != SOF_SHRED_TYPE_MERKLE_DATA_RESIGNED) {
    return 0;
  }
  *slot = sof_shred_peek_slot(buf);
  return 1;
}

static inline uint32_t
sof_shred_peek_idx(void const *buf) {
  uint32_t v;
  __builtin_memcpy(&v, (uint8_t const *)buf + 73, 4);
  return v;
}

static inline uint32_t
sof_shred_peek_fec_set_idx(void const *buf) {
  uint32_t v;
  __builtin_memcpy(&v, (uint8_t const *)buf + 79, 4);
  return v;
}

#endif /* SOF_WIRE_SHRED_H */
