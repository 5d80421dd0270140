/* fuzz_txn.c: libFuzzer target for sof_txn_parse and the compact-u16 codec.
 *
 * Beyond "no crash / no sanitizer report", every successful parse is checked
 * against the invariants sof_txn.h promises, and abort()s on a violation:
 * all offsets and counts lie inside the consumed bytes, consumed <= size and
 * <= MTU, structures are laid out in wire order without overlap, the
 * classification agrees with a recount, the parse is stable (re-parsing
 * exactly the consumed bytes gives the same descriptor, one byte less fails),
 * and sof_txn_parse (its fast path) agrees with sof_txn_parse_ref (code,
 * consumed size, descriptor) on every input, in both modes.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *     fuzz/fuzz_txn.c lib/wire/sof_txn.c -o fuzz_txn */
#include "wire/sof_txn.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(c) do {                                                        \
    if (!(c)) {                                                                \
      fprintf(stderr, "fuzz_txn: invariant violated: %s (line %d)\n", #c,      \
              __LINE__);                                                       \
      abort();                                                                 \
    }                                                                          \
  } while (0)

#include "sof_fuzz.h"

/* Length of the minimal compact-u16 encoding of v. */
static size_t
cu16_len(unsigned v) {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : 3;
}

static void
check_cu16(uint8_t const *data, size_t size) {
  uint16_t v = 0;
  int n = sof_compact_u16_decode(data, size, &v);
  if (n > 0) {
    REQUIRE(n <= 3 && (size_t)n <= size);
    /* Decoding accepts exactly the minimal encodings. */
    uint8_t enc[3];
    REQUIRE(sof_compact_u16_encode(v, enc) == n);
    REQUIRE(!memcmp(enc, data, (size_t)n));
  } else {
    REQUIRE(n == SOF_TXN_ERR_TRUNCATED || n == SOF_TXN_ERR_CU16_NON_MINIMAL ||
            n == SOF_TXN_ERR_CU16_OVERFLOW);
    REQUIRE(n != SOF_TXN_ERR_TRUNCATED || size < 3);
  }
}

/* Every invariant of a successful parse of c bytes out of size. */
static void
check_txn(sof_txn_t const *t, uint8_t const *data, size_t size, size_t c) {
  REQUIRE(c == t->sz);
  REQUIRE(c <= size && c <= SOF_TXN_MTU && c >= SOF_TXN_MIN_SZ);
  REQUIRE(t->version == SOF_TXN_VERSION_LEGACY || t->version == SOF_TXN_VERSION_V0);
  REQUIRE(t->sig_cnt >= 1 && t->sig_cnt <= SOF_TXN_SIG_MAX);
  REQUIRE(data[0] == t->sig_cnt);
  REQUIRE(t->sig_off == 1);
  REQUIRE(t->msg_off == t->sig_off + SOF_TXN_SIG_SZ * t->sig_cnt);
  REQUIRE((size_t)t->msg_off + t->msg_sz == c);
  REQUIRE(t->num_required_signatures == t->sig_cnt);
  REQUIRE(t->num_readonly_signed < t->sig_cnt);
  REQUIRE((unsigned)t->sig_cnt + t->num_readonly_unsigned <= t->acct_cnt);
  REQUIRE(t->acct_cnt <= SOF_TXN_ACCT_ADDR_MAX);
  size_t const hdr = (size_t)t->msg_off + (t->version == SOF_TXN_VERSION_V0);
  REQUIRE(t->version == SOF_TXN_VERSION_LEGACY ? data[t->msg_off] < 0x80
                                               : data[t->msg_off] == 0x80);
  REQUIRE(data[hdr] == t->num_required_signatures);
  REQUIRE(data[hdr + 1] == t->num_readonly_signed);
  REQUIRE(data[hdr + 2] == t->num_readonly_unsigned);
  REQUIRE(t->acct_off == hdr + 3 + cu16_len(t->acct_cnt));
  REQUIRE((size_t)t->acct_off + SOF_TXN_ACCT_ADDR_SZ * t->acct_cnt == t->blockhash_off);
  /* Walk the layout: every field must sit exactly where the previous one
   * ends (counts are minimal compact-u16s). */
  size_t pos = (size_t)t->blockhash_off + SOF_TXN_BLOCKHASH_SZ;
  REQUIRE(t->instr_cnt <= SOF_TXN_INSTR_MAX);
  pos += cu16_len(t->instr_cnt);
  REQUIRE(pos <= c);
  REQUIRE(t->acct_total_cnt ==
          (unsigned)t->acct_cnt + t->alt_writable_cnt + t->alt_readonly_cnt);
  REQUIRE(t->acct_total_cnt <= SOF_TXN_ACCT_ADDR_MAX);

  unsigned vote = 0, other = 0;
  for (unsigned j = 0; j < t->instr_cnt; j++) {
    sof_txn_instr_t const *ix = &t->instr[j];
    REQUIRE(data[pos] == ix->program_idx);
    REQUIRE(ix->program_idx >= 1 && ix->program_idx < t->acct_cnt);
    REQUIRE(ix->acct_cnt <= SOF_TXN_INSTR_ACCT_MAX);
    REQUIRE(ix->acct_off == pos + 1 + cu16_len(ix->acct_cnt));
    REQUIRE(ix->data_off == (size_t)ix->acct_off + ix->acct_cnt + cu16_len(ix->data_sz));
    REQUIRE((size_t)ix->data_off + ix->data_sz <= c);
    for (unsigned k = 0; k < ix->acct_cnt; k++)
      REQUIRE(data[ix->acct_off + k] < t->acct_total_cnt);
    pos = (size_t)ix->data_off + ix->data_sz;
    uint8_t const *prog = sof_txn_instr_program(t, data, j);
    REQUIRE(prog >= data + t->acct_off && prog + 32 <= data + t->blockhash_off);
    if (!memcmp(prog, sof_txn_vote_program_id, 32)) vote++;
    else if (memcmp(prog, sof_txn_compute_budget_program_id, 32)) other++;
  }
  if (t->version == SOF_TXN_VERSION_LEGACY) {
    REQUIRE(t->alt_cnt == 0);
  } else {
    REQUIRE(t->alt_cnt <= SOF_TXN_ALT_MAX);
    pos += cu16_len(t->alt_cnt);
  }
  unsigned w = 0, r = 0;
  for (unsigned k = 0; k < t->alt_cnt; k++) {
    sof_txn_alt_t const *a = &t->alt[k];
    REQUIRE(a->key_off == pos);
    REQUIRE(a->writable_off == (size_t)a->key_off + 32 + cu16_len(a->writable_cnt));
    REQUIRE(a->readonly_off ==
            (size_t)a->writable_off + a->writable_cnt + cu16_len(a->readonly_cnt));
    REQUIRE((size_t)a->readonly_off + a->readonly_cnt <= c);
    REQUIRE(a->writable_cnt + a->readonly_cnt >= 1);
    pos = (size_t)a->readonly_off + a->readonly_cnt;
    w += a->writable_cnt;
    r += a->readonly_cnt;
  }
  REQUIRE(pos == c);
  REQUIRE(w == t->alt_writable_cnt && r == t->alt_readonly_cnt);

  REQUIRE(t->vote_instr_cnt == vote);
  int kind = !vote ? SOF_TXN_KIND_NON_VOTE
           : other ? SOF_TXN_KIND_MIXED : SOF_TXN_KIND_VOTE_ONLY;
  REQUIRE(t->kind == kind);
  int simple = t->sig_cnt < 3 && t->version == SOF_TXN_VERSION_LEGACY &&
               t->instr_cnt == 1 && vote == 1;
  REQUIRE(t->simple_vote == simple);
  REQUIRE(strcmp(sof_txn_kind_str(t->kind), "unknown"));

  /* Account classes partition the static keys. */
  REQUIRE(sof_txn_writable_signer_cnt(t) + sof_txn_readonly_signer_cnt(t) +
          sof_txn_writable_unsigned_cnt(t) + sof_txn_readonly_unsigned_cnt(t) ==
          t->acct_cnt);
  REQUIRE(sof_txn_acct_is_writable(t, 0) && sof_txn_acct_is_signer(t, 0));
  REQUIRE(!sof_txn_acct_is_writable(t, t->acct_total_cnt));
}

/* sof_txn_parse (fast path + fallback) and sof_txn_parse_ref agree: same
 * code, same consumed size, same descriptor on success. */
static void
check_vs_ref(uint8_t const *data, size_t size, size_t *consumed) {
  static sof_txn_t f, r;
  size_t cf = 777, cr = 777;
  int rf = sof_txn_parse(&f, data, size, consumed ? &cf : NULL);
  int rr = sof_txn_parse_ref(&r, data, size, consumed ? &cr : NULL);
  REQUIRE(rf == rr);
  if (consumed) REQUIRE(cf == cr);
  if (rf) return;
  REQUIRE(!memcmp(&f, &r, offsetof(sof_txn_t, instr)));
  REQUIRE(!memcmp(f.instr, r.instr, f.instr_cnt * sizeof f.instr[0]));
  REQUIRE(!memcmp(f.alt, r.alt, f.alt_cnt * sizeof f.alt[0]));
}

int
LLVMFuzzerTestOneInput(uint8_t const *data, size_t size) {
  check_cu16(data, size);
  size_t dummy;
  check_vs_ref(data, size, &dummy);
  check_vs_ref(data, size, NULL);

  static sof_txn_t t, t2;
  size_t c = 12345;
  int r = sof_txn_parse(&t, data, size, &c);
  REQUIRE(r <= 0 && r >= -SOF_TXN_ERR_CNT);
  REQUIRE(strcmp(sof_txn_err_str(r), "unknown"));
  REQUIRE(r != SOF_TXN_ERR_TRAILING); /* only in exact mode */

  /* Exact mode agrees: it can only add "trailing" (checked before the
   * final account checks, hence the two exceptions). */
  int r2 = sof_txn_parse(&t2, data, size, NULL);
  if (!r) {
    REQUIRE(r2 == (c == size ? SOF_TXN_OK : SOF_TXN_ERR_TRAILING));
  } else {
    REQUIRE(c == 0);
    REQUIRE(r2 == r || (r2 == SOF_TXN_ERR_TRAILING &&
                        (r == SOF_TXN_ERR_ACCT_CNT_MAX || r == SOF_TXN_ERR_ACCT_IDX)));
    return 0;
  }

  check_txn(&t, data, size, c);

  /* Stability: exactly the consumed bytes parse to the same descriptor; one
   * byte less is truncated. */
  memset(&t2, 0, sizeof t2);
  REQUIRE(sof_txn_parse(&t2, data, c, NULL) == SOF_TXN_OK);
  REQUIRE(!memcmp(&t2, &t, offsetof(sof_txn_t, instr)));
  REQUIRE(!memcmp(t2.instr, t.instr, t.instr_cnt * sizeof t.instr[0]));
  REQUIRE(!memcmp(t2.alt, t.alt, t.alt_cnt * sizeof t.alt[0]));
  size_t c2 = 1;
  REQUIRE(sof_txn_parse(&t2, data, c - 1, &c2) == SOF_TXN_ERR_TRUNCATED);
  REQUIRE(c2 == 0);
  return 0;
}
