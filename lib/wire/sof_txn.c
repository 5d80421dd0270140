/* sof_txn.c: see sof_txn.h.
 *
 * Parsing discipline (the one Firedancer's fd_txn_parse uses, restated):
 * `i` is the read cursor and `lim` the readable end, min(buf_sz, MTU).
 *   invariant A: i <= lim at all times;
 *   invariant B: before reading k bytes at i, NEED(k) has checked k <= lim-i.
 * NEED compares against lim - i (never i + k, which an untrusted k could
 * overflow), and every read of p[i..] sits right after the NEED covering it.
 * Counts are range-checked before they scale anything, and all products
 * (64 x 12, 32 x 64, 34 x 127, ...) are far from overflowing size_t. */
#include "sof_txn.h"

#include <string.h>

_Static_assert(SOF_TXN_MTU <= UINT16_MAX, "offsets are u16");
_Static_assert(SOF_TXN_ACCT_ADDR_MAX <= UINT8_MAX, "acct counts are u8");
_Static_assert(SOF_TXN_INSTR_MAX <= UINT8_MAX, "instr_cnt is u8");
_Static_assert(SOF_TXN_ALT_MAX <= UINT8_MAX, "alt_cnt is u8");
_Static_assert(SOF_TXN_SIG_MAX < 0x80, "sig count is a 1-byte compact-u16");

uint8_t const sof_txn_vote_program_id[32] = {
  0x07, 0x61, 0x48, 0x1d, 0x35, 0x74, 0x74, 0xbb, 0x7c, 0x4d, 0x76, 0x24,
  0xeb, 0xd3, 0xbd, 0xb3, 0xd8, 0x35, 0x5e, 0x73, 0xd1, 0x10, 0x43, 0xfc,
  0x0d, 0xa3, 0x53, 0x80, 0x00, 0x00, 0x00, 0x00,
};

uint8_t const sof_txn_compute_budget_program_id[32] = {
  0x03, 0x06, 0x46, 0x6f, 0xe5, 0x21, 0x17, 0x32, 0xff, 0xec, 0xad, 0xba,
  0x72, 0xc3, 0x9b, 0xe7, 0xbc, 0x8c, 0xe5, 0xbb, 0xc5, 0xf7, 0x12, 0x6b,
  0x2c, 0x43, 0x9b, 0x3a, 0x40, 0x00, 0x00, 0x00,
};

/* First byte of a SIMD-0385 "v1" transaction: 0x80 | 1.  For legacy and v0
 * transactions the first byte is the signature count, <= 12. */
#define SOF_TXN_V1_PREFIX 0x81

/* Smallest instruction (program index, empty account list, empty data) and
 * smallest address table lookup (key, two empty index lists; a valid one has
 * at least one index, caught later with its own error). */
#define SOF_TXN_INSTR_MIN_SZ 3
#define SOF_TXN_ALT_MIN_SZ   34

/* The decoder proper, inlined into the parser: a call with the value
 * returned through memory cost ~2x the whole parse of small transactions. */
static inline __attribute__((always_inline)) int
cu16_decode(uint8_t const *p, size_t buf_sz, uint16_t *out_val) {
  if (buf_sz < 1) return SOF_TXN_ERR_TRUNCATED;
  if (!(p[0] & 0x80)) {
    *out_val = p[0];
    return 1;
  }
  if (buf_sz < 2) return SOF_TXN_ERR_TRUNCATED;
  if (!(p[1] & 0x80)) {
    if (!p[1]) return SOF_TXN_ERR_CU16_NON_MINIMAL;
    *out_val = (uint16_t)((p[0] & 0x7Fu) | ((unsigned)p[1] << 7));
    return 2;
  }
  if (buf_sz < 3) return SOF_TXN_ERR_TRUNCATED;
  /* Third byte carries bits 14-15 only: anything above 3 (including a
   * continuation bit) means a value that does not fit 16 bits. */
  if (p[2] > 3) return SOF_TXN_ERR_CU16_OVERFLOW;
  if (!p[2]) return SOF_TXN_ERR_CU16_NON_MINIMAL;
  *out_val = (uint16_t)((p[0] & 0x7Fu) | ((p[1] & 0x7Fu) << 7) |
                        ((unsigned)p[2] << 14));
  return 3;
}

int
sof_compact_u16_decode(void const *buf, size_t buf_sz, uint16_t *out_val) {
  return cu16_decode(buf, buf_sz, out_val);
}

int
sof_compact_u16_encode(uint16_t val, uint8_t out[3]) {
  if (val < 0x80) {
    out[0] = (uint8_t)val;
    return 1;
  }
  out[0] = (uint8_t)(0x80 | (val & 0x7F));
  if (val < 0x4000) {
    out[1] = (uint8_t)(val >> 7);
    return 2;
  }
  out[1] = (uint8_t)(0x80 | ((val >> 7) & 0x7F));
  out[2] = (uint8_t)(val >> 14);
  return 3;
}

/* Reference classification (sof_txn_parse_ref): each instruction's program
 * key compared in full with Vote and ComputeBudget, kind and simple_vote
 * computed from the counts.  The fast parser classifies inside its
 * instruction loop instead; the two are compared on every fuzz input. */
static void
classify_ref(sof_txn_t *t, uint8_t const *p) {
  unsigned vote = 0, other = 0;
  for (unsigned j = 0; j < t->instr_cnt; j++) {
    uint8_t const *prog = p + t->acct_off + (size_t)t->instr[j].program_idx * SOF_TXN_ACCT_ADDR_SZ;
    if (!memcmp(prog, sof_txn_vote_program_id, 32)) vote++;
    else if (memcmp(prog, sof_txn_compute_budget_program_id, 32)) other++;
  }
  t->vote_instr_cnt = (uint8_t)vote;
  t->kind = !vote ? SOF_TXN_KIND_NON_VOTE : other ? SOF_TXN_KIND_MIXED : SOF_TXN_KIND_VOTE_ONLY;
  /* Agave is_simple_vote_transaction: fewer than 3 signatures, legacy
   * message, exactly one instruction, whose program is Vote. */
  t->simple_vote = (uint8_t)(t->sig_cnt < 3 && t->version == SOF_TXN_VERSION_LEGACY &&
                             t->instr_cnt == 1 && vote == 1);
}

int
sof_txn_parse_ref(sof_txn_t *out, void const *buf, size_t buf_sz,
                  size_t *out_consumed) {
  uint8_t const *p = buf;
  /* Never look past the MTU: a transaction that would need to is too large,
   * whatever follows in the buffer. */
  size_t const lim = buf_sz < SOF_TXN_MTU ? buf_sz : SOF_TXN_MTU;
  int const short_err =
    buf_sz > SOF_TXN_MTU ? SOF_TXN_ERR_TOO_LARGE : SOF_TXN_ERR_TRUNCATED;
  size_t i = 0;

  if (out_consumed) *out_consumed = 0;

#define NEED(n) do {                                                           \
    if ((size_t)(n) > lim - i) return short_err;                               \
  } while (0)
#define READ_CU16(var) do {                                                    \
    uint16_t v_ = 0;                                                           \
    int r_ = cu16_decode(p + i, lim - i, &v_);                      \
    if (r_ < 0) return r_ == SOF_TXN_ERR_TRUNCATED ? short_err : r_;           \
    i += (size_t)r_;                                                           \
    (var) = v_;                                                                \
  } while (0)

  /* Signatures.  The count is a compact-u16, but a valid one is <= 12, so a
   * first byte with the high bit set is either a v1 frame (0x81) or a count
   * that fails the range check below. */
  NEED(1);
  if (p[0] == SOF_TXN_V1_PREFIX) return SOF_TXN_ERR_V1_UNSUPPORTED;
  uint16_t sig_cnt;
  READ_CU16(sig_cnt);
  if (!sig_cnt) return SOF_TXN_ERR_SIG_CNT_ZERO;
  if (sig_cnt > SOF_TXN_SIG_MAX) return SOF_TXN_ERR_SIG_CNT_MAX;
  size_t const sig_off = i;
  NEED(SOF_TXN_SIG_SZ * (size_t)sig_cnt);
  i += SOF_TXN_SIG_SZ * (size_t)sig_cnt;

  /* Message header. */
  size_t const msg_off = i;
  uint8_t version = SOF_TXN_VERSION_LEGACY;
  NEED(1);
  uint8_t req = p[i++];
  if (req & 0x80) {
    version = req & 0x7F;
    if (version != SOF_TXN_VERSION_V0) return SOF_TXN_ERR_VERSION;
    NEED(1);
    req = p[i++];
  }
  if (req != sig_cnt) return SOF_TXN_ERR_SIG_CNT_MISMATCH;
  NEED(1);
  uint8_t const ro_signed = p[i++];
  if (ro_signed >= req) return SOF_TXN_ERR_HDR_RO_SIGNED;
  NEED(1);
  uint8_t const ro_unsigned = p[i++];

  /* Static account keys and blockhash. */
  uint16_t acct_cnt;
  READ_CU16(acct_cnt);
  if (acct_cnt > SOF_TXN_ACCT_ADDR_MAX) return SOF_TXN_ERR_ACCT_CNT_MAX;
  if ((unsigned)req + ro_unsigned > acct_cnt) return SOF_TXN_ERR_HDR_ACCT_CNT;
  size_t const acct_off = i;
  NEED(SOF_TXN_ACCT_ADDR_SZ * (size_t)acct_cnt);
  i += SOF_TXN_ACCT_ADDR_SZ * (size_t)acct_cnt;
  size_t const blockhash_off = i;
  NEED(SOF_TXN_BLOCKHASH_SZ);
  i += SOF_TXN_BLOCKHASH_SZ;

  /* Instructions. */
  uint16_t instr_cnt;
  READ_CU16(instr_cnt);
  if (instr_cnt > SOF_TXN_INSTR_MAX) return SOF_TXN_ERR_INSTR_CNT_MAX;
  NEED(SOF_TXN_INSTR_MIN_SZ * (size_t)instr_cnt); /* cheap early reject */
  /* Largest account index any instruction names (0 when none does: with
   * at least one account, index 0 always exists). */
  uint8_t max_acct_idx = 0; /* u8: the max loop vectorizes */
  for (unsigned j = 0; j < instr_cnt; j++) {
    NEED(1);
    uint8_t const prog = p[i++];
    /* The program must be a static key (no program id from a lookup table,
     * solana-labs/solana#25034) and not the fee payer (index 0): a fee
     * payer is system-owned, a program is executable. */
    if (!prog || prog >= acct_cnt) return SOF_TXN_ERR_PROGRAM_IDX;
    uint16_t ia_cnt;
    READ_CU16(ia_cnt);
    if (ia_cnt > SOF_TXN_INSTR_ACCT_MAX) return SOF_TXN_ERR_INSTR_ACCT_MAX;
    size_t const ia_off = i;
    NEED(ia_cnt);
    for (size_t k = 0; k < ia_cnt; k++)
      max_acct_idx = p[i + k] > max_acct_idx ? p[i + k] : max_acct_idx;
    i += ia_cnt;
    uint16_t data_sz;
    READ_CU16(data_sz);
    size_t const data_off = i;
    NEED(data_sz);
    i += data_sz;

    sof_txn_instr_t *ix = &out->instr[j];
    ix->program_idx = prog;
    ix->_pad = 0;
    ix->acct_cnt = ia_cnt;
    ix->acct_off = (uint16_t)ia_off;
    ix->data_sz = data_sz;
    ix->data_off = (uint16_t)data_off;
  }

  /* Address table lookups (v0). */
  uint16_t alt_cnt = 0;
  size_t alt_w = 0, alt_r = 0;
  if (version == SOF_TXN_VERSION_V0) {
    READ_CU16(alt_cnt);
    if (alt_cnt > SOF_TXN_ALT_MAX) return SOF_TXN_ERR_ALT_CNT_MAX;
    NEED(SOF_TXN_ALT_MIN_SZ * (size_t)alt_cnt); /* cheap early reject */
    for (unsigned k = 0; k < alt_cnt; k++) {
      size_t const key_off = i;
      NEED(SOF_TXN_ACCT_ADDR_SZ);
      i += SOF_TXN_ACCT_ADDR_SZ;
      uint16_t w_cnt, r_cnt;
      READ_CU16(w_cnt);
      size_t const w_off = i;
      NEED(w_cnt);
      i += w_cnt;
      READ_CU16(r_cnt);
      size_t const r_off = i;
      NEED(r_cnt);
      i += r_cnt;
      /* Each list alone must fit what is left of the 64 accounts (this also
       * keeps the counts below 256, so the u8 fields and sums are safe). */
      if (w_cnt > SOF_TXN_ACCT_ADDR_MAX - acct_cnt ||
          r_cnt > SOF_TXN_ACCT_ADDR_MAX - acct_cnt)
        return SOF_TXN_ERR_ACCT_CNT_MAX;
      if (!w_cnt && !r_cnt) return SOF_TXN_ERR_ALT_EMPTY;

      sof_txn_alt_t *a = &out->alt[k];
      a->key_off = (uint16_t)key_off;
      a->writable_cnt = (uint8_t)w_cnt;
      a->readonly_cnt = (uint8_t)r_cnt;
      a->writable_off = (uint16_t)w_off;
      a->readonly_off = (uint16_t)r_off;
      alt_w += w_cnt;
      alt_r += r_cnt;
    }
  }

  if (!out_consumed && i != buf_sz) return SOF_TXN_ERR_TRAILING;
  size_t const total = acct_cnt + alt_w + alt_r;
  if (total > SOF_TXN_ACCT_ADDR_MAX) return SOF_TXN_ERR_ACCT_CNT_MAX;
  if (max_acct_idx >= total) return SOF_TXN_ERR_ACCT_IDX;

#undef NEED
#undef READ_CU16

  out->version = version;
  out->sig_cnt = (uint8_t)sig_cnt;
  out->sig_off = (uint16_t)sig_off;
  out->msg_off = (uint16_t)msg_off;
  out->msg_sz = (uint16_t)(i - msg_off);
  out->sz = (uint16_t)i;
  out->num_required_signatures = req;
  out->num_readonly_signed = ro_signed;
  out->num_readonly_unsigned = ro_unsigned;
  out->acct_cnt = (uint8_t)acct_cnt;
  out->acct_off = (uint16_t)acct_off;
  out->blockhash_off = (uint16_t)blockhash_off;
  out->instr_cnt = (uint8_t)instr_cnt;
  out->alt_cnt = (uint8_t)alt_cnt;
  out->alt_writable_cnt = (uint8_t)alt_w;
  out->alt_readonly_cnt = (uint8_t)alt_r;
  out->acct_total_cnt = (uint8_t)total;
  classify_ref(out, p);

  if (out_consumed) *out_consumed = i;
  return SOF_TXN_OK;
}

/* The fast parser.  It accepts exactly what sof_txn_parse_ref accepts and
 * fills the same descriptor, returning 1; on anything it does not accept it
 * returns 0 and sof_txn_parse runs the reference parser from the start,
 * which finds the exact error code.  Rejecting early is always safe here;
 * accepting needs every rule of the reference.  It reads the counts in the
 * encodings the limits leave: signatures (<= 12), keys (<= 64),
 * instructions (<= 64), lookups (<= 127) and lookup lists (<= 64) in one
 * byte, an instruction's account count (<= 255) in one or two, its data
 * size (< MTU) in one or two; so every valid transaction takes this path
 * and the reference runs only for invalid input (which then costs a
 * partial fast pass more).
 *
 * What makes it cheaper than the reference (issue 24, measured against
 * Firedancer's fd_txn_parse_core): one bounds check for the header up to
 * the account count (any valid transaction has those 4-5 bytes and more);
 * header fields stored as they are read; each instruction's program key
 * classified in the loop from its first 8 bytes (Vote and ComputeBudget
 * differ there from almost every key, so a key costs one load and two
 * compares, the full 32-byte compare only on a match); the account index
 * maximum 16 lanes at a time; no error code carried (every failure is the
 * same early return).
 *
 * Bounds: q is the cursor, end = p + min(buf_sz, MTU).  FNEED(n) bails
 * unless q + n <= end (as integers: n is untrusted but < 2^16, q <= end);
 * every read of q[k] and every advance of q follows an FNEED covering it,
 * so q <= end at all times. */
#define LIKELY(c)   __builtin_expect(!!(c), 1)
#define UNLIKELY(c) __builtin_expect(!!(c), 0)

static inline uint64_t
ld64(uint8_t const *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* The largest instruction account index, kept as a running maximum over
 * the lists.  With SSE2, 16 lanes at a time: a list of n < 16 indices ending
 * at byte e is the top n lanes of the 16 bytes ending at e (e >= 16 always:
 * the signatures come first, so the load stays inside the transaction's
 * checked bytes), longer lists are whole 16-byte chunks plus the last 16
 * bytes.  Lanes below the list are masked to 0, which no index lowers
 * below its true maximum.  Without SSE2, a byte loop. */
#if defined(__SSE2__)
#include <emmintrin.h>
typedef __m128i idx_max_t;

static inline idx_max_t
idx_max_init(void) {
  return _mm_setzero_si128();
}

static inline __attribute__((always_inline)) void
acct_idx_max(idx_max_t *m, uint8_t const *l, unsigned n) {
  if (LIKELY(n < 16)) { /* n >= 1 */
    /* 16 zeros then 16 ones: the 16 bytes at +n keep the top n lanes. */
    static uint8_t const window[32] = {
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    };
    __m128i const v = _mm_loadu_si128((__m128i const *)(l + n - 16));
    __m128i const keep = _mm_loadu_si128((__m128i const *)(window + n));
    *m = _mm_max_epu8(*m, _mm_and_si128(v, keep));
    return;
  }
  for (unsigned k = 0; k + 16 <= n; k += 16)
    *m = _mm_max_epu8(*m, _mm_loadu_si128((__m128i const *)(l + k)));
  *m = _mm_max_epu8(*m, _mm_loadu_si128((__m128i const *)(l + n - 16)));
}

/* 1 when every lane is < total (total >= 1). */
static inline int
idx_max_below(idx_max_t m, unsigned total) {
  __m128i const over = _mm_subs_epu8(m, _mm_set1_epi8((char)(total - 1)));
  return _mm_movemask_epi8(_mm_cmpeq_epi8(over, _mm_setzero_si128())) == 0xFFFF;
}
#else
typedef unsigned idx_max_t;

static inline idx_max_t
idx_max_init(void) {
  return 0;
}

static inline void
acct_idx_max(idx_max_t *m, uint8_t const *l, unsigned n) {
  for (unsigned k = 0; k < n; k++) *m = l[k] > *m ? l[k] : *m;
}

static inline int
idx_max_below(idx_max_t m, unsigned total) {
  return m < total;
}
#endif

/* 1 when the 32-byte key at k equals the program id id: two 16-byte vector
 * compares (the fast path runs it for every Vote instruction; 32-byte ones
 * would cost a vzeroupper on every return), else four 8-byte ones. */
static inline int
key_eq(uint8_t const *k, uint8_t const *id) {
#if defined(__SSE2__)
  __m128i const e0 = _mm_cmpeq_epi8(_mm_loadu_si128((__m128i const *)k),
                                    _mm_loadu_si128((__m128i const *)id));
  __m128i const e1 = _mm_cmpeq_epi8(_mm_loadu_si128((__m128i const *)(k + 16)),
                                    _mm_loadu_si128((__m128i const *)(id + 16)));
  return _mm_movemask_epi8(_mm_and_si128(e0, e1)) == 0xFFFF;
#else
  uint64_t diff = 0;
  for (unsigned w = 0; w < 4; w++) diff |= ld64(k + 8 * w) ^ ld64(id + 8 * w);
  return !diff;
#endif
}

static inline __attribute__((always_inline)) int
parse_fast(sof_txn_t *out, uint8_t const *p, size_t buf_sz, size_t *out_consumed) {
  if (UNLIKELY(buf_sz < SOF_TXN_MIN_SZ)) return 0;
  size_t const lim = buf_sz < SOF_TXN_MTU ? buf_sz : SOF_TXN_MTU;
  uint8_t const *const end = p + lim;
#define FNEED(n) do {                                                          \
    if (UNLIKELY((uintptr_t)q + (size_t)(n) > (uintptr_t)end)) return 0;      \
  } while (0)

  /* Signature count: a valid one is 1..12, a one-byte compact-u16.  Then
   * the header: [0x80], required, readonly signed, readonly unsigned,
   * account count (<= 64: one byte), 4 or 5 bytes.  The fields go out as
   * soon as they are read (a failed parse leaves *out unspecified), which
   * frees their registers. */
  unsigned const sig_cnt = p[0];
  if (UNLIKELY(sig_cnt - 1u >= SOF_TXN_SIG_MAX)) return 0;
  /* One or two signatures (nearly every transaction) on branches of their
   * own: there the header's address is a constant and its loads need not
   * wait for the count's. */
  size_t msg_off;
  if (sig_cnt == 1) msg_off = 1 + SOF_TXN_SIG_SZ;
  else if (sig_cnt == 2) msg_off = 1 + 2 * SOF_TXN_SIG_SZ;
  else msg_off = 1 + SOF_TXN_SIG_SZ * (size_t)sig_cnt;
  if (UNLIKELY(msg_off + 5 > lim)) return 0;
  uint8_t const *q = p + msg_off;
  out->sig_cnt = (uint8_t)sig_cnt;
  out->sig_off = 1;
  out->msg_off = (uint16_t)msg_off;
  unsigned const v0 = q[0] >> 7;
  if (UNLIKELY(q[0] > 0x80)) return 0;
  q += v0;
  out->version = v0 ? SOF_TXN_VERSION_V0 : SOF_TXN_VERSION_LEGACY;
  unsigned const req = q[0], ro_signed = q[1], ro_unsigned = q[2], acct_cnt = q[3];
  if (UNLIKELY((req != sig_cnt) | (ro_signed >= req) |
               (acct_cnt > SOF_TXN_ACCT_ADDR_MAX) | (req + ro_unsigned > acct_cnt)))
    return 0;
  out->num_required_signatures = (uint8_t)req;
  out->num_readonly_signed = (uint8_t)ro_signed;
  out->num_readonly_unsigned = (uint8_t)ro_unsigned;
  out->acct_cnt = (uint8_t)acct_cnt;
  q += 4;
  uint8_t const *const keys = q;
  out->acct_off = (uint16_t)(q - p);

  /* Keys, blockhash, instruction count (<= 64: one byte). */
  FNEED(SOF_TXN_ACCT_ADDR_SZ * (size_t)acct_cnt + SOF_TXN_BLOCKHASH_SZ + 1);
  q += SOF_TXN_ACCT_ADDR_SZ * (size_t)acct_cnt;
  out->blockhash_off = (uint16_t)(q - p);
  q += SOF_TXN_BLOCKHASH_SZ;
  unsigned const instr_cnt = *q++;
  if (UNLIKELY(instr_cnt > SOF_TXN_INSTR_MAX)) return 0;
  out->instr_cnt = (uint8_t)instr_cnt;

  /* cls counts Vote instructions in its low byte and instructions of other
   * programs (neither Vote nor ComputeBudget) from bit 8. */
  uint64_t const vote0 = ld64(sof_txn_vote_program_id);
  uint64_t const cb0 = ld64(sof_txn_compute_budget_program_id);
  unsigned cls = 0;
  idx_max_t idx_max = idx_max_init();
  sof_txn_instr_t *ix = out->instr;
  sof_txn_instr_t *const ix_end = ix + instr_cnt;
  for (; ix != ix_end; ix++) {
    /* Program index, account count (<= 255: one or two bytes), at least
     * one byte more (the data size). */
    FNEED(3);
    unsigned const prog = q[0];
    if (UNLIKELY(prog - 1u >= acct_cnt - 1u)) return 0; /* 0 or >= acct_cnt */
    unsigned ia_cnt = q[1];
    if (LIKELY(!(ia_cnt & 0x80))) {
      q += 2;
    } else {
      /* 128..255: second byte exactly 1. */
      if (UNLIKELY(q[2] != 1)) return 0;
      ia_cnt = (ia_cnt & 0x7F) | 0x80;
      q += 3;
    }
    uint8_t const *const ia = q;
    /* An empty list (ComputeBudget instructions) on its own branch: there
     * the data size's address does not wait for the count's load. */
    if (ia_cnt) {
      FNEED(ia_cnt + 1);
      acct_idx_max(&idx_max, q, ia_cnt);
      q += ia_cnt;
    } else {
      FNEED(1);
    }
    /* Data size: one byte, or two (128..MTU: second byte 1..0x7F). */
    unsigned data_sz = q[0];
    if (LIKELY(!(data_sz & 0x80))) {
      q += 1;
    } else {
      FNEED(2);
      unsigned const b1 = q[1];
      if (UNLIKELY(b1 - 1u >= 0x7Fu)) return 0;
      data_sz = (data_sz & 0x7F) | (b1 << 7);
      q += 2;
    }
    uint8_t const *const data = q;
    FNEED(data_sz);
    q += data_sz;

    /* Classification: first word, the full key only on a match. */
    uint8_t const *const key = keys + (size_t)prog * SOF_TXN_ACCT_ADDR_SZ;
    uint64_t const w0 = ld64(key);
    if (LIKELY((w0 != vote0) & (w0 != cb0))) cls += 0x100;
    else if (key_eq(key, sof_txn_vote_program_id)) cls += 1;
    else if (!key_eq(key, sof_txn_compute_budget_program_id)) cls += 0x100;

    ix->program_idx = (uint8_t)prog;
    ix->_pad = 0;
    ix->acct_cnt = (uint16_t)ia_cnt;
    ix->acct_off = (uint16_t)(ia - p);
    ix->data_sz = (uint16_t)data_sz;
    ix->data_off = (uint16_t)(data - p);
  }

  /* Address table lookups (v0): count <= 127 and each list <= 64, all one
   * byte.  What the header gave is read back from *out from here on (fewer
   * values held across the loop above). */
  unsigned alt_cnt = 0, alt_w = 0, alt_r = 0;
  if (out->version == SOF_TXN_VERSION_V0) {
    FNEED(1);
    alt_cnt = *q++;
    if (UNLIKELY(alt_cnt > SOF_TXN_ALT_MAX)) return 0;
    unsigned const room = SOF_TXN_ACCT_ADDR_MAX - out->acct_cnt;
    for (sof_txn_alt_t *a = out->alt, *const a_end = a + alt_cnt; a != a_end; a++) {
      FNEED(SOF_TXN_ACCT_ADDR_SZ + 2);
      a->key_off = (uint16_t)(q - p);
      unsigned const w_cnt = q[SOF_TXN_ACCT_ADDR_SZ];
      q += SOF_TXN_ACCT_ADDR_SZ + 1;
      if (UNLIKELY(w_cnt > room)) return 0;
      a->writable_off = (uint16_t)(q - p);
      FNEED(w_cnt + 1);
      q += w_cnt;
      unsigned const r_cnt = *q++;
      if (UNLIKELY((r_cnt > room) | (w_cnt + r_cnt == 0))) return 0;
      a->readonly_off = (uint16_t)(q - p);
      FNEED(r_cnt);
      q += r_cnt;
      a->writable_cnt = (uint8_t)w_cnt;
      a->readonly_cnt = (uint8_t)r_cnt;
      alt_w += w_cnt;
      alt_r += r_cnt;
    }
  }
#undef FNEED

  size_t const sz = (size_t)(q - p);
  if (UNLIKELY(!out_consumed && sz != buf_sz)) return 0;
  unsigned const total = out->acct_cnt + alt_w + alt_r;
  if (UNLIKELY(total > SOF_TXN_ACCT_ADDR_MAX || !idx_max_below(idx_max, total))) return 0;

  out->msg_sz = (uint16_t)(sz - out->msg_off);
  out->sz = (uint16_t)sz;
  out->alt_cnt = (uint8_t)alt_cnt;
  out->alt_writable_cnt = (uint8_t)alt_w;
  out->alt_readonly_cnt = (uint8_t)alt_r;
  out->acct_total_cnt = (uint8_t)total;
  unsigned const vote = cls & 0xFF, other = cls >> 8;
  out->kind = !vote ? SOF_TXN_KIND_NON_VOTE : other ? SOF_TXN_KIND_MIXED : SOF_TXN_KIND_VOTE_ONLY;
  out->simple_vote = (uint8_t)((out->sig_cnt < 3) & (out->version == SOF_TXN_VERSION_LEGACY) &
                               (out->instr_cnt == 1) & (vote == 1));
  out->vote_instr_cnt = (uint8_t)vote;
  if (out_consumed) *out_consumed = sz;
  return 1;
}

int
sof_txn_parse(sof_txn_t *out, void const *buf, size_t buf_sz,
              size_t *out_consumed) {
  if (LIKELY(parse_fast(out, buf, buf_sz, out_consumed))) return SOF_TXN_OK;
  return sof_txn_parse_ref(out, buf, buf_sz, out_consumed);
}

char const *
sof_txn_err_str(int err) {
  switch (err) {
  case SOF_TXN_OK:                   return "ok";
  case SOF_TXN_ERR_TRUNCATED:        return "truncated";
  case SOF_TXN_ERR_TOO_LARGE:        return "too_large";
  case SOF_TXN_ERR_CU16_NON_MINIMAL: return "cu16_non_minimal";
  case SOF_TXN_ERR_CU16_OVERFLOW:    return "cu16_overflow";
  case SOF_TXN_ERR_SIG_CNT_ZERO:     return "sig_cnt_zero";
  case SOF_TXN_ERR_SIG_CNT_MAX:      return "sig_cnt_too_large";
  case SOF_TXN_ERR_V1_UNSUPPORTED:   return "v1_unsupported";
  case SOF_TXN_ERR_VERSION:          return "unknown_version";
  case SOF_TXN_ERR_SIG_CNT_MISMATCH: return "sig_cnt_mismatch";
  case SOF_TXN_ERR_HDR_RO_SIGNED:    return "hdr_readonly_signed";
  case SOF_TXN_ERR_HDR_ACCT_CNT:     return "hdr_acct_cnt";
  case SOF_TXN_ERR_ACCT_CNT_MAX:     return "too_many_accts";
  case SOF_TXN_ERR_INSTR_CNT_MAX:    return "too_many_instrs";
  case SOF_TXN_ERR_PROGRAM_IDX:      return "program_index";
  case SOF_TXN_ERR_INSTR_ACCT_MAX:   return "instr_too_many_accts";
  case SOF_TXN_ERR_ACCT_IDX:         return "acct_index";
  case SOF_TXN_ERR_ALT_CNT_MAX:      return "too_many_alts";
  case SOF_TXN_ERR_ALT_EMPTY:        return "alt_empty";
  case SOF_TXN_ERR_TRAILING:         return "trailing_bytes";
  default:                           return "unknown";
  }
}

char const *
sof_txn_kind_str(int kind) {
  switch (kind) {
  case SOF_TXN_KIND_NON_VOTE:  return "non_vote";
  case SOF_TXN_KIND_VOTE_ONLY: return "vote_only";
  case SOF_TXN_KIND_MIXED:     return "mixed";
  default:                     return "unknown";
  }
}

char const *
sof_txn_version_str(int version) {
  switch (version) {
  case SOF_TXN_VERSION_LEGACY: return "legacy";
  case SOF_TXN_VERSION_V0:     return "v0";
  default:                     return "unknown";
  }
}
