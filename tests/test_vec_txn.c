/* test_vec_txn.c: sof_txn conformance over ../shared/vectors/fd-txn
 * (Firedancer's src/ballet/txn/fixtures and src/disco/pack/sample_vote.bin,
 * SOURCES.md section 5).  Facts asserted are those SOURCES.md lists and
 * those Firedancer's test_txn_parse.c asserts on the same bytes.
 *
 * Needs libsodium: every genuine signature is verified over the message. */
#include "sof_test.h"
#include "wire/sof_txn.h"

#include <sodium.h>

static char const *g_dir;

/* Loads fd-txn/<name> and parses it in exact mode; returns the buffer
 * (caller frees) or NULL. */
static uint8_t *
load(char const *name, size_t *sz, sof_txn_t *t, int *rc) {
  char rel[256];
  snprintf(rel, sizeof rel, "fd-txn/%s", name);
  uint8_t *b = sof_test_read(g_dir, rel, sz);
  if (!b) return NULL;
  memset(t, 0, sizeof *t);
  *rc = sof_txn_parse(t, b, *sz, NULL);
  size_t c = 0;
  sof_txn_t t2;
  memset(&t2, 0, sizeof t2);
  SOF_CHECK_EQ(sof_txn_parse(&t2, b, *sz, &c), *rc);
  if (!*rc) {
    SOF_CHECK_EQ(c, *sz);
    SOF_CHECK_MEM(&t2, t, sizeof t2);
  }
  return b;
}

/* Number of signatures that verify over the message. */
static unsigned
verified_sigs(sof_txn_t const *t, uint8_t const *b) {
  unsigned ok = 0;
  for (unsigned i = 0; i < t->sig_cnt; i++)
    ok += crypto_sign_ed25519_verify_detached(sof_txn_sig(t, b, i),
                                              sof_txn_msg(t, b), t->msg_sz,
                                              sof_txn_acct_key(t, b, i)) == 0;
  return ok;
}

/* Structural invariants any successful parse must satisfy: 1 if all hold. */
static int
txn_valid(sof_txn_t const *t, size_t sz) {
  int ok = t->sz <= sz && t->sz <= SOF_TXN_MTU && t->sz >= SOF_TXN_MIN_SZ;
  ok &= t->sig_cnt >= 1 && t->sig_cnt <= SOF_TXN_SIG_MAX;
  ok &= t->msg_off == t->sig_off + 64u * t->sig_cnt;
  ok &= t->msg_off + t->msg_sz == t->sz;
  ok &= t->acct_off + 32u * t->acct_cnt <= t->blockhash_off;
  ok &= t->blockhash_off + 32u <= t->sz;
  ok &= t->acct_total_cnt == t->acct_cnt + t->alt_writable_cnt + t->alt_readonly_cnt;
  for (unsigned j = 0; j < t->instr_cnt; j++) {
    ok &= t->instr[j].program_idx >= 1 && t->instr[j].program_idx < t->acct_cnt;
    ok &= t->instr[j].acct_off + t->instr[j].acct_cnt <= t->sz;
    ok &= t->instr[j].data_off + t->instr[j].data_sz <= t->sz;
  }
  return ok;
}
#define check_invariants(t, sz) SOF_CHECK(txn_valid((t), (sz)))

static void
test_t1(void) {
  size_t sz;
  sof_txn_t t;
  int rc;
  uint8_t *b = load("transaction1.bin", &sz, &t, &rc);
  if (!b) return;
  SOF_CHECK_EQ(rc, SOF_TXN_OK);
  SOF_CHECK_EQ(sz, 1197);
  check_invariants(&t, sz);
  SOF_CHECK_EQ(t.version, SOF_TXN_VERSION_LEGACY);
  SOF_CHECK_EQ(t.sig_cnt, 4);
  SOF_CHECK_EQ(t.num_required_signatures, 4);
  SOF_CHECK_EQ(t.num_readonly_signed, 1);
  SOF_CHECK_EQ(t.num_readonly_unsigned, 11);
  SOF_CHECK_EQ(t.acct_cnt, 23);
  SOF_CHECK_EQ(t.instr_cnt, 7);
  SOF_CHECK_EQ(t.alt_cnt, 0);
  SOF_CHECK_EQ(t.acct_total_cnt, 23);
  SOF_CHECK_EQ(t.msg_off, 1 + 4 * 64);
  /* First bytes as Firedancer's txn1_correctness asserts them. */
  static uint8_t const sig0[4] = { 97, 189, 11, 108 };
  for (unsigned i = 0; i < 4; i++) SOF_CHECK_EQ(sof_txn_sig(&t, b, i)[0], sig0[i]);
  static uint8_t const key0[23] = { 220, 255, 85, 89, 201, 170, 194, 48, 228, 123,
                                    151, 133, 6, 6, 203, 6, 11, 6, 0, 140, 3, 5, 168 };
  for (unsigned i = 0; i < 23; i++) SOF_CHECK_EQ(sof_txn_acct_key(&t, b, i)[0], key0[i]);
  SOF_CHECK_EQ(sof_txn_blockhash(&t, b)[0], 155);
  SOF_CHECK_EQ(t.instr[0].program_idx, 20);
  SOF_CHECK_EQ(t.instr[0].acct_cnt, 0);
  SOF_CHECK_EQ(t.instr[0].data_sz, 5);
  static uint8_t const ix0[5] = { 0x00, 0xE0, 0x93, 0x04, 0x00 };
  SOF_CHECK_MEM(sof_txn_instr_data(&t, b, 0), ix0, 5);
  SOF_CHECK_EQ(t.instr[1].program_idx, 18);
  SOF_CHECK_EQ(t.instr[1].acct_cnt, 2);
  SOF_CHECK_EQ(t.instr[1].data_sz, 12);
  SOF_CHECK_EQ(sof_txn_instr_accts(&t, b, 1)[0], 0);
  SOF_CHECK_EQ(sof_txn_instr_data(&t, b, 1)[0], 2);
  SOF_CHECK_EQ(t.instr[6].program_idx, 22);
  SOF_CHECK_EQ(t.instr[6].acct_cnt, 21);
  SOF_CHECK_EQ(t.instr[6].data_sz, 12);
  SOF_CHECK_EQ(sof_txn_instr_accts(&t, b, 6)[0], 14);
  SOF_CHECK_EQ(sof_txn_instr_data(&t, b, 6)[0], 211);
  SOF_CHECK_EQ(t.kind, SOF_TXN_KIND_NON_VOTE);
  SOF_CHECK_EQ(t.simple_vote, 0);
  SOF_CHECK_EQ(sof_txn_writable_signer_cnt(&t), 3);
  SOF_CHECK_EQ(sof_txn_writable_unsigned_cnt(&t), 8);
  SOF_CHECK_EQ(verified_sigs(&t, b), 4);
  free(b);
}

static void
test_t2(void) {
  size_t sz;
  sof_txn_t t;
  int rc;
  uint8_t *b = load("transaction2.bin", &sz, &t, &rc);
  if (!b) return;
  SOF_CHECK_EQ(rc, SOF_TXN_OK);
  SOF_CHECK_EQ(sz, 507);
  check_invariants(&t, sz);
  SOF_CHECK_EQ(t.version, SOF_TXN_VERSION_V0);
  SOF_CHECK_EQ(t.sig_cnt, 1);
  /* 4gxceixEGkug6Da4KgTjZ9EVjEyEDWSk5QzokfucQE4d767yyxjwgv46u5y3hntprtVMGWGz1cNzWeC6DtJhUcuz */
  uint8_t sig[64];
  sof_test_unhex(sig, "b88290122dd04fc2267bc702ea7747feeb4faa65d67b24cd1bfd1945c5d89c81"
                      "d26b7e729877c3a37f4229ec182e0440687907931db212b281368f82ef188005", 64);
  SOF_CHECK_MEM(sof_txn_sig(&t, b, 0), sig, 64);
  SOF_CHECK_EQ(t.num_required_signatures, 1);
  SOF_CHECK_EQ(t.num_readonly_signed, 0);
  SOF_CHECK_EQ(t.num_readonly_unsigned, 2);
  SOF_CHECK_EQ(t.acct_cnt, 6);
  static uint8_t const key0[6] = { 216, 176, 9, 213, 3, 4 };
  for (unsigned i = 0; i < 6; i++) SOF_CHECK_EQ(sof_txn_acct_key(&t, b, i)[0], key0[i]);
  SOF_CHECK_EQ(sof_txn_blockhash(&t, b)[0], 148);
  SOF_CHECK_EQ(t.instr_cnt, 2);
  SOF_CHECK_EQ(t.instr[0].program_idx, 4);
  SOF_CHECK_EQ(t.instr[0].acct_cnt, 0);
  SOF_CHECK_EQ(t.instr[0].data_sz, 5);
  SOF_CHECK_EQ(t.instr[1].program_idx, 5);
  SOF_CHECK_EQ(t.instr[1].acct_cnt, 39);
  SOF_CHECK_EQ(t.instr[1].data_sz, 38);
  SOF_CHECK_EQ(sof_txn_instr_accts(&t, b, 1)[0], 18);
  SOF_CHECK_EQ(sof_txn_instr_data(&t, b, 1)[0], 229);
  SOF_CHECK_EQ(t.alt_cnt, 3);
  static unsigned const w[3] = { 4, 4, 4 }, r[3] = { 4, 4, 1 };
  static uint8_t const key_b0[3] = { 54, 34, 212 };
  for (unsigned k = 0; k < 3; k++) {
    SOF_CHECK_EQ(t.alt[k].writable_cnt, w[k]);
    SOF_CHECK_EQ(t.alt[k].readonly_cnt, r[k]);
    SOF_CHECK_EQ(sof_txn_alt_key(&t, b, k)[0], key_b0[k]);
  }
  static uint8_t const lut0_w[4] = { 142, 141, 143, 144 };
  SOF_CHECK_MEM(b + t.alt[0].writable_off, lut0_w, 4);
  SOF_CHECK_EQ(b[t.alt[0].readonly_off + 1], 117);
  SOF_CHECK_EQ(b[t.alt[1].writable_off], 196);
  SOF_CHECK_EQ(b[t.alt[1].readonly_off], 194);
  SOF_CHECK_EQ(b[t.alt[2].writable_off], 91);
  SOF_CHECK_EQ(b[t.alt[2].readonly_off], 97);
  SOF_CHECK_EQ(t.alt_writable_cnt, 12);
  SOF_CHECK_EQ(t.alt_readonly_cnt, 9);
  SOF_CHECK_EQ(t.acct_total_cnt, 27);
  SOF_CHECK_EQ(t.kind, SOF_TXN_KIND_NON_VOTE);
  SOF_CHECK_EQ(verified_sigs(&t, b), 1);
  free(b);
}

static void
test_t3_t4_t5_t6(void) {
  size_t sz;
  sof_txn_t t;
  int rc;
  uint8_t *b = load("transaction3.bin", &sz, &t, &rc);
  if (b) {
    /* The largest descriptor Firedancer can produce: v0, 64 instructions,
     * 24 lookups.  Its signature is not a real one. */
    SOF_CHECK_EQ(rc, SOF_TXN_OK);
    check_invariants(&t, sz);
    SOF_CHECK_EQ(t.version, SOF_TXN_VERSION_V0);
    SOF_CHECK_EQ(t.instr_cnt, 64);
    SOF_CHECK_EQ(t.alt_cnt, 24);
    SOF_CHECK_EQ(t.sz, 1200);
    SOF_CHECK_EQ(verified_sigs(&t, b), 0);
    free(b);
  }
  b = load("transaction4.bin", &sz, &t, &rc);
  if (b) {
    /* The smallest valid transaction. */
    SOF_CHECK_EQ(rc, SOF_TXN_OK);
    check_invariants(&t, sz);
    SOF_CHECK_EQ(sz, SOF_TXN_MIN_SZ);
    SOF_CHECK_EQ(t.version, SOF_TXN_VERSION_LEGACY);
    SOF_CHECK_EQ(t.acct_cnt, 1);
    SOF_CHECK_EQ(t.instr_cnt, 0);
    SOF_CHECK_EQ(verified_sigs(&t, b), 1);
    free(b);
  }
  b = load("transaction5.bin", &sz, &t, &rc);
  if (b) {
    /* Hand-crafted, not valid: v0 with a single static key (the fee payer)
     * and 64 instructions.  An instruction's program must be a static key
     * other than the fee payer, which leaves none: program_index. */
    SOF_CHECK_EQ(rc, SOF_TXN_ERR_PROGRAM_IDX);
    SOF_CHECK_STR(sof_txn_err_str(rc), "program_index");
    free(b);
  }
  b = load("transaction6.bin", &sz, &t, &rc);
  if (b) {
    SOF_CHECK_EQ(rc, SOF_TXN_OK);
    check_invariants(&t, sz);
    SOF_CHECK_EQ(t.version, SOF_TXN_VERSION_LEGACY);
    SOF_CHECK_EQ(t.sig_cnt, 2);
    SOF_CHECK_EQ(t.instr_cnt, 1);
    /* The program id is a signer: allowed. */
    SOF_CHECK(sof_txn_acct_is_signer(&t, t.instr[0].program_idx));
    SOF_CHECK_EQ(verified_sigs(&t, b), 2);
    free(b);
  }
}

static void
test_sample_vote(void) {
  size_t sz;
  sof_txn_t t;
  int rc;
  uint8_t *b = load("sample_vote.bin", &sz, &t, &rc);
  if (!b) return;
  SOF_CHECK_EQ(rc, SOF_TXN_OK);
  check_invariants(&t, sz);
  SOF_CHECK_EQ(t.version, SOF_TXN_VERSION_LEGACY);
  SOF_CHECK_EQ(t.sig_cnt, 1);
  SOF_CHECK_EQ(t.num_required_signatures, 1);
  SOF_CHECK_EQ(t.num_readonly_signed, 0);
  SOF_CHECK_EQ(t.num_readonly_unsigned, 3);
  SOF_CHECK_EQ(t.acct_cnt, 5);
  SOF_CHECK_EQ(t.instr_cnt, 1);
  SOF_CHECK_MEM(sof_txn_instr_program(&t, b, 0), sof_txn_vote_program_id, 32);
  SOF_CHECK_EQ(t.kind, SOF_TXN_KIND_VOTE_ONLY);
  SOF_CHECK_EQ(t.simple_vote, 1);
  SOF_CHECK_EQ(verified_sigs(&t, b), 1);
  free(b);
}

/* Firedancer-style mutation sweep (idea from test_txn_parse.c test_mutate,
 * own code): every byte of a valid transaction takes every other value.
 * Bytes the rules do not constrain (signatures, keys, blockhash, data,
 * lookup keys and indices) must leave the descriptor unchanged; the header
 * bytes, program indices and account indices must be accepted exactly in
 * their valid range; any other change may fail but must not crash, and
 * successes must be structurally valid.  Every prefix must fail. */
static void
mutate(char const *name) {
  size_t sz;
  sof_txn_t ref;
  int rc;
  uint8_t *orig = load(name, &sz, &ref, &rc);
  if (!orig) return;
  SOF_CHECK_EQ(rc, SOF_TXN_OK);
  enum { ANY = 0, FREE = 1, RANGE = 2 };
  uint8_t cls[SOF_TXN_MTU] = { 0 }, lo[SOF_TXN_MTU], hi[SOF_TXN_MTU];
#define MARK(off, n) memset(cls + (off), FREE, (n))
  MARK(ref.sig_off, 64u * ref.sig_cnt);
  MARK(ref.acct_off, 32u * ref.acct_cnt);
  MARK(ref.blockhash_off, 32);
  size_t const hdr = ref.msg_off + (ref.version == SOF_TXN_VERSION_V0);
  cls[hdr + 1] = RANGE; lo[hdr + 1] = 0; hi[hdr + 1] = (uint8_t)(ref.sig_cnt - 1);
  cls[hdr + 2] = RANGE; lo[hdr + 2] = 0; hi[hdr + 2] = (uint8_t)(ref.acct_cnt - ref.sig_cnt);
  for (unsigned k = 0; k < ref.alt_cnt; k++) {
    MARK(ref.alt[k].key_off, 32);
    MARK(ref.alt[k].writable_off, ref.alt[k].writable_cnt);
    MARK(ref.alt[k].readonly_off, ref.alt[k].readonly_cnt);
  }
  /* Program indices sit right before the account count: only trust the
   * position when that count is a 1-byte compact-u16. */
  for (unsigned j = 0; j < ref.instr_cnt; j++) {
    MARK(ref.instr[j].data_off, ref.instr[j].data_sz);
    if (ref.instr[j].acct_cnt < 0x80) {
      size_t p = ref.instr[j].acct_off - 2u;
      cls[p] = RANGE; lo[p] = 1; hi[p] = (uint8_t)(ref.acct_cnt - 1);
    }
    for (unsigned k = 0; k < ref.instr[j].acct_cnt; k++) {
      size_t p = ref.instr[j].acct_off + k;
      cls[p] = RANGE; lo[p] = 0; hi[p] = (uint8_t)(ref.acct_total_cnt - 1);
    }
  }
#undef MARK
  uint8_t *b = malloc(sz);
  int bad = 0;
  for (size_t i = 0; i < sz; i++) {
    memcpy(b, orig, sz);
    for (unsigned v = 0; v < 256; v++) {
      if (v == orig[i]) continue;
      b[i] = (uint8_t)v;
      sof_txn_t t;
      memset(&t, 0, sizeof t);
      int r = sof_txn_parse(&t, b, sz, NULL);
      if (!r && !txn_valid(&t, sz)) bad++;
      int want_ok = cls[i] == FREE || (cls[i] == RANGE && v >= lo[i] && v <= hi[i]);
      if (cls[i] == FREE) {
        /* Only the kind can move (a key byte can stop being
         * ComputeBudget), and none of these transactions votes. */
        if (r || t.sz != ref.sz || t.instr_cnt != ref.instr_cnt ||
            t.acct_total_cnt != ref.acct_total_cnt ||
            memcmp(t.instr, ref.instr, sizeof t.instr) ||
            memcmp(t.alt, ref.alt, sizeof t.alt))
          bad++;
      } else if (cls[i] == RANGE) {
        if ((r == SOF_TXN_OK) != want_ok) {
          bad++;
          fprintf(stderr, "  %s: byte %zu = %u gives %s\n", name, i, v, sof_txn_err_str(r));
        }
      }
    }
  }
  SOF_CHECK_EQ(bad, 0);
  for (size_t n = 0; n < sz; n++) {
    sof_txn_t t;
    if (sof_txn_parse(&t, orig, n, NULL) != SOF_TXN_ERR_TRUNCATED) bad++;
  }
  SOF_CHECK_EQ(bad, 0);
  free(b);
  free(orig);
}

int
main(void) {
  g_dir = sof_test_require_vectors("test_vec_txn");
  if (sodium_init() < 0) {
    fprintf(stderr, "test_vec_txn: sodium_init failed\n");
    return 1;
  }
  test_t1();
  test_t2();
  test_t3_t4_t5_t6();
  test_sample_vote();
  mutate("transaction1.bin");
  mutate("transaction2.bin");
  mutate("sample_vote.bin");
  return sof_test_done("test_vec_txn");
}
