/* sof_txn.h: zero-copy parser for Solana transactions (legacy and v0) in
 * their wire form (the bytes a TPU packet or an entry carries).
 *
 * The parser validates one serialized transaction and fills a fixed-size
 * descriptor (sof_txn_t) made of counts and u16 offsets into the caller's
 * buffer: nothing is copied and nothing is allocated.  The descriptor BORROWS
 * the buffer: every offset in it is relative to the first byte of the
 * transaction that was parsed (the `buf` given to sof_txn_parse), and the
 * accessors below take that same pointer back.
 *
 * Wire layout (little-endian, see docs wire-format.md section 5):
 *
 *   compact-u16 signature count, count x 64-byte ed25519 signatures,
 *   message:
 *     [0x80 | version]                         (v0 only; legacy has no prefix)
 *     u8 num_required_signatures, u8 num_readonly_signed,
 *     u8 num_readonly_unsigned,
 *     compact-u16 n, n x 32-byte account keys,  32-byte recent blockhash,
 *     compact-u16 n, n x instruction:
 *        u8 program index, compact-u16 n + n x u8 account indices,
 *        compact-u16 n + n data bytes,
 *     (v0 only) compact-u16 n, n x address table lookup:
 *        32-byte table key, compact-u16 n + n x u8 writable indices,
 *        compact-u16 n + n x u8 readonly indices.
 *
 * The signed bytes (the "message") are [msg_off, msg_off + msg_sz).
 *
 * Validation follows Firedancer's fd_txn_parse (src/ballet/txn/
 * fd_txn_parse.c) rule for rule, each failure mapped to its own
 * SOF_TXN_ERR_* code.  Things the parser cannot know (whether looked-up
 * indices exist in their table, duplicate keys, signature validity) are left
 * to the caller.
 *
 * Everything here is pure C11 + libc, reentrant, and free of global state:
 * all functions are safe to call concurrently on different descriptors. */
#ifndef SOF_TXN_H
#define SOF_TXN_H

#include <stddef.h>
#include <stdint.h>

/* Limits (inclusive maxima unless stated). ---------------------------------*/

/* Largest serialized legacy/v0 transaction (IPv6 min MTU 1280 - 40 - 8). */
#define SOF_TXN_MTU            1232
/* Signatures per transaction; 13 x 64 bytes would not fit in the MTU. */
#define SOF_TXN_SIG_MAX        12
/* Account addresses per transaction, static keys + looked-up ones (the
 * account lock limit). */
#define SOF_TXN_ACCT_ADDR_MAX  64
/* Instructions per transaction. */
#define SOF_TXN_INSTR_MAX      64
/* Account indices a single instruction may list (Agave transaction-context
 * MAX_ACCOUNTS_PER_INSTRUCTION, enforced at parse time by Firedancer). */
#define SOF_TXN_INSTR_ACCT_MAX 255
/* Address table lookups per v0 transaction: Firedancer's
 * FD_TXN_ADDR_TABLE_LOOKUP_MAX.  The MTU caps the real number near 32
 * (each lookup takes at least 34 bytes), but the rule is 127. */
#define SOF_TXN_ALT_MAX        127
/* Smallest valid transaction: 1 signature, legacy, 1 key, 0 instructions
 * (1 + 64 + 3 + 1 + 32 + 32 + 1).  The smallest v0 one is 136 bytes. */
#define SOF_TXN_MIN_SZ         134

#define SOF_TXN_SIG_SZ         64
#define SOF_TXN_ACCT_ADDR_SZ   32
#define SOF_TXN_BLOCKHASH_SZ   32

/* Versions (the value of sof_txn_t.version).  V0 equals the on-wire version
 * number; legacy messages carry no version byte and get a sentinel. */
#define SOF_TXN_VERSION_V0     0x00
#define SOF_TXN_VERSION_LEGACY 0xFF

/* Kinds (sof_txn_t.kind), see sof_txn_kind_str. */
#define SOF_TXN_KIND_NON_VOTE  0  /* no Vote program instruction */
#define SOF_TXN_KIND_VOTE_ONLY 1  /* >=1 Vote instr, others ComputeBudget */
#define SOF_TXN_KIND_MIXED     2  /* Vote instr plus some other program */
#define SOF_TXN_KIND_CNT       3

/* Error codes.  SOF_TXN_OK is 0, errors are negative and stable (they are
 * exported as counter names through sof_txn_err_str). */
#define SOF_TXN_OK                    0
#define SOF_TXN_ERR_TRUNCATED         (-1)  /* input ends inside the txn */
#define SOF_TXN_ERR_TOO_LARGE         (-2)  /* txn needs more than SOF_TXN_MTU */
#define SOF_TXN_ERR_CU16_NON_MINIMAL  (-3)  /* compact-u16 not minimally encoded */
#define SOF_TXN_ERR_CU16_OVERFLOW     (-4)  /* compact-u16 value above 0xFFFF */
#define SOF_TXN_ERR_SIG_CNT_ZERO      (-5)  /* no signature (no fee payer) */
#define SOF_TXN_ERR_SIG_CNT_MAX       (-6)  /* more than SOF_TXN_SIG_MAX sigs */
#define SOF_TXN_ERR_V1_UNSUPPORTED    (-7)  /* SIMD-0385 v1 frame (first byte 0x81) */
#define SOF_TXN_ERR_VERSION           (-8)  /* versioned message, version != 0 */
#define SOF_TXN_ERR_SIG_CNT_MISMATCH  (-9)  /* num_required_signatures != sig cnt */
#define SOF_TXN_ERR_HDR_RO_SIGNED     (-10) /* readonly signed >= required: fee
                                               payer would not be writable */
#define SOF_TXN_ERR_HDR_ACCT_CNT      (-11) /* required + readonly unsigned >
                                               static account count */
#define SOF_TXN_ERR_ACCT_CNT_MAX      (-12) /* static + looked-up > 64 accounts */
#define SOF_TXN_ERR_INSTR_CNT_MAX     (-13) /* more than SOF_TXN_INSTR_MAX instrs */
#define SOF_TXN_ERR_PROGRAM_IDX       (-14) /* program index is 0 (fee payer) or
                                               not a static key */
#define SOF_TXN_ERR_INSTR_ACCT_MAX    (-15) /* instruction lists > 255 accounts */
#define SOF_TXN_ERR_ACCT_IDX          (-16) /* instr account index >= total accts */
#define SOF_TXN_ERR_ALT_CNT_MAX       (-17) /* more than SOF_TXN_ALT_MAX lookups */
#define SOF_TXN_ERR_ALT_EMPTY         (-18) /* lookup selects no index at all */
#define SOF_TXN_ERR_TRAILING          (-19) /* bytes after the txn (exact mode) */
#define SOF_TXN_ERR_CNT               19    /* number of error codes */

/* One instruction.  Offsets are relative to the start of the transaction. */
typedef struct sof_txn_instr {
  uint8_t  program_idx; /* static key index of the program, [1, acct_cnt) */
  uint8_t  _pad;
  uint16_t acct_cnt;    /* account indices, [0, SOF_TXN_INSTR_ACCT_MAX] */
  uint16_t acct_off;    /* acct_cnt u8 indices into the full account list */
  uint16_t data_sz;     /* instruction data bytes */
  uint16_t data_off;    /* data_sz bytes */
} sof_txn_instr_t;

/* One address table lookup (v0 only). */
typedef struct sof_txn_alt {
  uint16_t key_off;      /* 32-byte address of the lookup table account */
  uint8_t  writable_cnt; /* indices selected as writable */
  uint8_t  readonly_cnt; /* indices selected as readonly; sum >= 1 */
  uint16_t writable_off; /* writable_cnt u8 indices into the table */
  uint16_t readonly_off; /* readonly_cnt u8 indices into the table */
} sof_txn_alt_t;

/* The descriptor.  All offsets are relative to the first byte of the parsed
 * transaction and, after a successful parse, lie inside [0, sz).
 *
 * Account index space (what instruction account indices refer to):
 *   [0, acct_cnt)                                   static keys, see below
 *   [acct_cnt, acct_cnt + alt_writable_cnt)         looked-up writable
 *   [acct_cnt + alt_writable_cnt, acct_total_cnt)   looked-up readonly
 * Static keys, by the header:
 *   [0, sig_cnt - ro_signed)                        signer,   writable
 *   [sig_cnt - ro_signed, sig_cnt)                  signer,   readonly
 *   [sig_cnt, acct_cnt - ro_unsigned)               unsigned, writable
 *   [acct_cnt - ro_unsigned, acct_cnt)              unsigned, readonly */
struct sof_txn {
  uint8_t  version;          /* SOF_TXN_VERSION_LEGACY or SOF_TXN_VERSION_V0 */
  uint8_t  sig_cnt;          /* [1, SOF_TXN_SIG_MAX] */
  uint16_t sig_off;          /* sig_cnt x 64 bytes; always 1 (1-byte count) */
  uint16_t msg_off;          /* signed message = [msg_off, msg_off+msg_sz) */
  uint16_t msg_sz;
  uint16_t sz;               /* serialized size = bytes consumed */

  /* Message header. num_required_signatures always equals sig_cnt. */
  uint8_t  num_required_signatures;
  uint8_t  num_readonly_signed;   /* [0, sig_cnt) */
  uint8_t  num_readonly_unsigned; /* [0, acct_cnt - sig_cnt] */

  uint8_t  acct_cnt;         /* static keys, [sig_cnt, SOF_TXN_ACCT_ADDR_MAX] */
  uint16_t acct_off;         /* acct_cnt x 32 bytes */
  uint16_t blockhash_off;    /* 32 bytes */

  uint8_t  instr_cnt;        /* [0, SOF_TXN_INSTR_MAX] */
  uint8_t  alt_cnt;          /* [0, SOF_TXN_ALT_MAX], 0 for legacy */
  uint8_t  alt_writable_cnt; /* sum of alt[].writable_cnt */
  uint8_t  alt_readonly_cnt; /* sum of alt[].readonly_cnt */
  uint8_t  acct_total_cnt;   /* acct_cnt + looked-up, <= 64 */

  uint8_t  kind;             /* SOF_TXN_KIND_* */
  uint8_t  simple_vote;      /* 1 when Agave's is_simple_vote_transaction */
  uint8_t  vote_instr_cnt;   /* instructions whose program is Vote */

  sof_txn_instr_t instr[SOF_TXN_INSTR_MAX]; /* [0, instr_cnt) are valid */
  sof_txn_alt_t   alt[SOF_TXN_ALT_MAX];     /* [0, alt_cnt) are valid */
};
typedef struct sof_txn sof_txn_t;

#ifdef __cplusplus
extern "C" {
#endif

/* Program ids the classifier knows (32 raw bytes each):
 * Vote111111111111111111111111111111111111111 and
 * ComputeBudget111111111111111111111111111111. */
extern uint8_t const sof_txn_vote_program_id[32];
extern uint8_t const sof_txn_compute_budget_program_id[32];

/* sof_compact_u16_decode: decodes one compact-u16 (Solana "short_vec"
 * length: 7 bits per byte, low bits first, 0x80 = continuation, at most 3
 * bytes) from [buf, buf+buf_sz).  The encoding must be minimal (no zero high
 * byte) and the value must fit in 16 bits.
 *
 * Returns the number of bytes used (1, 2 or 3) and stores the value in
 * *out_val; or a negative SOF_TXN_ERR_TRUNCATED (buf_sz too short for the
 * encoding), SOF_TXN_ERR_CU16_NON_MINIMAL, SOF_TXN_ERR_CU16_OVERFLOW, in
 * which case *out_val is untouched.  Reads at most min(buf_sz, 3) bytes; buf
 * may be NULL when buf_sz is 0.  Pure function, thread safe. */
int
sof_compact_u16_decode(void const *buf, size_t buf_sz, uint16_t *out_val);

/* sof_compact_u16_encode: writes the minimal compact-u16 encoding of val to
 * out (room for 3 bytes) and returns its length (1, 2 or 3).  Never fails.
 * Pure function, thread safe. */
int
sof_compact_u16_encode(uint16_t val, uint8_t out[3]);

/* sof_txn_parse: parses and validates ONE transaction at the start of
 * [buf, buf+buf_sz).
 *
 * The buffer may continue past the transaction (entries hold transactions
 * back to back): with out_consumed non-NULL, the transaction's size is
 * stored there and the following bytes are ignored.  With out_consumed NULL,
 * the transaction must span the whole buffer exactly (a packet); extra bytes
 * give SOF_TXN_ERR_TRAILING.  The parser never reads past buf+buf_sz, nor past
 * buf+SOF_TXN_MTU.
 *
 * Preconditions: out is non-NULL; buf points to buf_sz readable bytes (may
 * be NULL when buf_sz is 0).
 *
 * Returns SOF_TXN_OK and fills *out, with every count and offset validated
 * (see sof_txn_t), kind and simple_vote classified; or a negative
 * SOF_TXN_ERR_* code for the first rule violated, in reading order.  Running
 * out of input gives SOF_TXN_ERR_TRUNCATED, or SOF_TXN_ERR_TOO_LARGE when the
 * transaction would have to extend past SOF_TXN_MTU bytes while the buffer
 * does go on.  On error *out holds unspecified partial data and
 * *out_consumed (if given) is 0.
 *
 * Lifetime: *out borrows nothing by pointer, but its offsets only make sense
 * with this same buf, which the caller keeps alive and unmodified while it
 * uses them.  Thread safety: reentrant; concurrent calls must use distinct
 * out descriptors. */
int
sof_txn_parse(sof_txn_t *out, void const *buf, size_t buf_sz,
              size_t *out_consumed);

/* sof_txn_parse_ref: the reference parser, same contract and results as
 * sof_txn_parse (every return code, *out_consumed, every descriptor field
 * of a successful parse).  It checks rule by rule in reading order and
 * classifies with a full compare per instruction; sof_txn_parse runs a
 * faster path and falls back to this one for any input the fast path does
 * not accept (errors and rare shapes), so an invalid input costs a partial
 * fast pass plus this parse.  Exported for the differential test and fuzz
 * target; callers want sof_txn_parse. */
int
sof_txn_parse_ref(sof_txn_t *out, void const *buf, size_t buf_sz,
                  size_t *out_consumed);

/* sof_txn_err_str: stable snake_case name of a SOF_TXN_* code ("ok" for 0,
 * e.g. "truncated", "program_index"); "unknown" for a value that is not a
 * code.  The string is static; thread safe. */
char const *
sof_txn_err_str(int err);

/* sof_txn_kind_str: "non_vote", "vote_only" or "mixed" for a SOF_TXN_KIND_*
 * value, "unknown" otherwise.  Static string; thread safe. */
char const *
sof_txn_kind_str(int kind);

/* sof_txn_version_str: "legacy" or "v0" for a sof_txn_t.version value,
 * "unknown" otherwise.  Static string; thread safe. */
char const *
sof_txn_version_str(int version);

/* Accessors.  All take a descriptor filled by a successful sof_txn_parse and
 * the same buf that was parsed; the pointers they return point INTO buf
 * (unaligned, read-only, valid as long as buf is).  Index arguments must be
 * in range (checked only by the caller): that is a precondition, not an error.
 * Pure functions; thread safe. ---------------------------------------------*/

/* sof_txn_sig: signature i in [0, sig_cnt) (64 bytes).  Signature 0 is the
 * transaction id. */
static inline uint8_t const *
sof_txn_sig(sof_txn_t const *txn, void const *buf, unsigned i) {
  return (uint8_t const *)buf + txn->sig_off + (size_t)i * SOF_TXN_SIG_SZ;
}

/* sof_txn_msg: the signed message (txn->msg_sz bytes). */
static inline uint8_t const *
sof_txn_msg(sof_txn_t const *txn, void const *buf) {
  return (uint8_t const *)buf + txn->msg_off;
}

/* sof_txn_acct_key: static account key i in [0, acct_cnt) (32 bytes).  Key
 * 0 is the fee payer.  Looked-up keys are not in the transaction. */
static inline uint8_t const *
sof_txn_acct_key(sof_txn_t const *txn, void const *buf, unsigned i) {
  return (uint8_t const *)buf + txn->acct_off + (size_t)i * SOF_TXN_ACCT_ADDR_SZ;
}

/* sof_txn_blockhash: the recent blockhash (32 bytes). */
static inline uint8_t const *
sof_txn_blockhash(sof_txn_t const *txn, void const *buf) {
  return (uint8_t const *)buf + txn->blockhash_off;
}

/* sof_txn_instr_program: the 32-byte program key of instruction j in
 * [0, instr_cnt). */
static inline uint8_t const *
sof_txn_instr_program(sof_txn_t const *txn, void const *buf, unsigned j) {
  return sof_txn_acct_key(txn, buf, txn->instr[j].program_idx);
}

/* sof_txn_instr_accts: instruction j's account indices (instr[j].acct_cnt
 * u8 values, each < acct_total_cnt). */
static inline uint8_t const *
sof_txn_instr_accts(sof_txn_t const *txn, void const *buf, unsigned j) {
  return (uint8_t const *)buf + txn->instr[j].acct_off;
}

/* sof_txn_instr_data: instruction j's data (instr[j].data_sz bytes). */
static inline uint8_t const *
sof_txn_instr_data(sof_txn_t const *txn, void const *buf, unsigned j) {
  return (uint8_t const *)buf + txn->instr[j].data_off;
}

/* sof_txn_alt_key: address of lookup table k in [0, alt_cnt) (32 bytes). */
static inline uint8_t const *
sof_txn_alt_key(sof_txn_t const *txn, void const *buf, unsigned k) {
  return (uint8_t const *)buf + txn->alt[k].key_off;
}

/* Account classes by the header (see the table at sof_txn_t).  The
 * functions below take only the descriptor; the four counts partition the
 * static keys (they sum to acct_cnt). */

/* sof_txn_writable_signer_cnt: static keys that sign and are writable
 * (>= 1: the fee payer). */
static inline unsigned
sof_txn_writable_signer_cnt(sof_txn_t const *txn) {
  return (unsigned)txn->sig_cnt - txn->num_readonly_signed;
}

/* sof_txn_readonly_signer_cnt: static keys that sign, readonly. */
static inline unsigned
sof_txn_readonly_signer_cnt(sof_txn_t const *txn) {
  return txn->num_readonly_signed;
}

/* sof_txn_writable_unsigned_cnt: static keys that do not sign, writable. */
static inline unsigned
sof_txn_writable_unsigned_cnt(sof_txn_t const *txn) {
  return (unsigned)txn->acct_cnt - txn->sig_cnt - txn->num_readonly_unsigned;
}

/* sof_txn_readonly_unsigned_cnt: static keys that do not sign, readonly. */
static inline unsigned
sof_txn_readonly_unsigned_cnt(sof_txn_t const *txn) {
  return txn->num_readonly_unsigned;
}

/* sof_txn_acct_is_signer: 1 when account index i signs (i < sig_cnt, always
 * a static key), else 0.  Any i is accepted. */
static inline int
sof_txn_acct_is_signer(sof_txn_t const *txn, unsigned i) {
  return i < txn->sig_cnt;
}

/* sof_txn_acct_is_writable: 1 when account index i (in the full index space,
 * static keys then looked-up writable then looked-up readonly) is writable
 * per the message header and lookups, else 0 (also for i out of range).
 * This is the header's view: Agave further demotes reserved accounts and
 * program ids at execution time. */
static inline int
sof_txn_acct_is_writable(sof_txn_t const *txn, unsigned i) {
  if (i < txn->sig_cnt) return i < (unsigned)txn->sig_cnt - txn->num_readonly_signed;
  if (i < txn->acct_cnt) return i < (unsigned)txn->acct_cnt - txn->num_readonly_unsigned;
  return i < (unsigned)txn->acct_cnt + txn->alt_writable_cnt;
}

#ifdef __cplusplus
}
#endif

#endif /* SOF_TXN_H */
