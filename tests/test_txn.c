/* test_txn.c: unit tests for lib/wire/sof_txn.
 *
 * Transactions are built here from a spec (builder below), signed with
 * libsodium, parsed, and every descriptor field is compared with the offsets
 * the builder recorded while writing.  Each validation rule is then broken
 * on purpose, one at a time, and must be rejected with its own code. */
#include "sof_test.h"
#include "wire/sof_txn.h"

#include <sodium.h>

/* ---- builder ------------------------------------------------------------ */

#define TB_MAX_KEYS  80
#define TB_MAX_IX    70
#define TB_MAX_ALT   130
#define TB_BUF_SZ    8192

typedef struct {
  uint8_t  prog;
  uint16_t acct_cnt;
  uint8_t  accts[300];
  uint16_t data_sz;
  uint8_t  data[1400];
} ix_spec_t;

typedef struct {
  uint8_t  key[32];
  uint16_t w_cnt, r_cnt;
  uint8_t  w[70], r[70];
} alt_spec_t;

typedef struct {
  int        v0;
  uint8_t    version_byte; /* v0 prefix written, 0x80 unless testing    */
  unsigned   sig_cnt;      /* signatures written and signer keys         */
  int        req;          /* num_required_signatures; -1 = sig_cnt      */
  unsigned   ro_signed, ro_unsigned;
  unsigned   acct_cnt;     /* static keys; [0, sig_cnt) are signer pks    */
  uint8_t    keys[TB_MAX_KEYS][32];
  uint8_t    sk[SOF_TXN_SIG_MAX + 2][64];
  uint8_t    blockhash[32];
  unsigned   instr_cnt;
  ix_spec_t  ix[TB_MAX_IX];
  unsigned   alt_cnt;
  alt_spec_t alt[TB_MAX_ALT];
} spec_t;

/* Where the builder put everything. */
typedef struct {
  size_t sz, sig_off, msg_off, hdr_off, acct_cnt_off, acct_off, bh_off;
  size_t instr_cnt_off, alt_cnt_off;
  size_t ix_prog_off[TB_MAX_IX], ix_acct_cnt_off[TB_MAX_IX];
  size_t ix_acct_off[TB_MAX_IX], ix_data_sz_off[TB_MAX_IX];
  size_t ix_data_off[TB_MAX_IX];
  size_t alt_key_off[TB_MAX_ALT], alt_w_cnt_off[TB_MAX_ALT];
  size_t alt_w_off[TB_MAX_ALT], alt_r_cnt_off[TB_MAX_ALT];
  size_t alt_r_off[TB_MAX_ALT];
} layout_t;

static size_t
put_cu16(uint8_t *b, size_t o, unsigned v) {
  uint8_t enc[3];
  int n = sof_compact_u16_encode((uint16_t)v, enc);
  memcpy(b + o, enc, (size_t)n);
  return o + (size_t)n;
}

/* Serializes and signs s into b (TB_BUF_SZ); fills *l. */
static size_t
build(spec_t const *s, uint8_t *b, layout_t *l) {
  size_t o = 0;
  memset(l, 0, sizeof *l);
  o = put_cu16(b, o, s->sig_cnt);
  l->sig_off = o;
  o += 64u * s->sig_cnt;
  l->msg_off = o;
  if (s->v0) b[o++] = s->version_byte;
  l->hdr_off = o;
  b[o++] = (uint8_t)(s->req < 0 ? (int)s->sig_cnt : s->req);
  b[o++] = (uint8_t)s->ro_signed;
  b[o++] = (uint8_t)s->ro_unsigned;
  l->acct_cnt_off = o;
  o = put_cu16(b, o, s->acct_cnt);
  l->acct_off = o;
  for (unsigned i = 0; i < s->acct_cnt; i++, o += 32) memcpy(b + o, s->keys[i], 32);
  l->bh_off = o;
  memcpy(b + o, s->blockhash, 32);
  o += 32;
  l->instr_cnt_off = o;
  o = put_cu16(b, o, s->instr_cnt);
  for (unsigned j = 0; j < s->instr_cnt; j++) {
    ix_spec_t const *x = &s->ix[j];
    l->ix_prog_off[j] = o;
    b[o++] = x->prog;
    l->ix_acct_cnt_off[j] = o;
    o = put_cu16(b, o, x->acct_cnt);
    l->ix_acct_off[j] = o;
    memcpy(b + o, x->accts, x->acct_cnt);
    o += x->acct_cnt;
    l->ix_data_sz_off[j] = o;
    o = put_cu16(b, o, x->data_sz);
    l->ix_data_off[j] = o;
    memcpy(b + o, x->data, x->data_sz);
    o += x->data_sz;
  }
  if (s->v0) {
    l->alt_cnt_off = o;
    o = put_cu16(b, o, s->alt_cnt);
    for (unsigned k = 0; k < s->alt_cnt; k++) {
      alt_spec_t const *a = &s->alt[k];
      l->alt_key_off[k] = o;
      memcpy(b + o, a->key, 32);
      o += 32;
      l->alt_w_cnt_off[k] = o;
      o = put_cu16(b, o, a->w_cnt);
      l->alt_w_off[k] = o;
      memcpy(b + o, a->w, a->w_cnt);
      o += a->w_cnt;
      l->alt_r_cnt_off[k] = o;
      o = put_cu16(b, o, a->r_cnt);
      l->alt_r_off[k] = o;
      memcpy(b + o, a->r, a->r_cnt);
      o += a->r_cnt;
    }
  }
  l->sz = o;
  for (unsigned i = 0; i < s->sig_cnt && i < SOF_TXN_SIG_MAX + 2; i++)
    crypto_sign_ed25519_detached(b + l->sig_off + 64u * i, NULL, b + l->msg_off,
                                 o - l->msg_off, s->sk[i]);
  return o;
}

static void
key_fill(uint8_t key[32], unsigned tag) {
  for (unsigned j = 0; j < 32; j++) key[j] = (uint8_t)(tag * 37u + j * 11u + 1u);
}

/* Base spec: sig_cnt signers (real ed25519 keys), acct_cnt static keys,
 * no instruction. */
static void
spec_init(spec_t *s, int v0, unsigned sig_cnt, unsigned acct_cnt) {
  memset(s, 0, sizeof *s);
  s->v0 = v0;
  s->version_byte = 0x80;
  s->sig_cnt = sig_cnt;
  s->req = -1;
  s->acct_cnt = acct_cnt;
  for (unsigned i = 0; i < acct_cnt && i < TB_MAX_KEYS; i++) key_fill(s->keys[i], i);
  for (unsigned i = 0; i < sig_cnt && i < SOF_TXN_SIG_MAX + 2; i++) {
    uint8_t seed[32];
    memset(seed, (int)(0x40 + i), sizeof seed);
    uint8_t pk[32];
    crypto_sign_ed25519_seed_keypair(pk, s->sk[i], seed);
    if (i < acct_cnt && i < TB_MAX_KEYS) memcpy(s->keys[i], pk, 32);
  }
  for (unsigned j = 0; j < 32; j++) s->blockhash[j] = (uint8_t)(0xB0 + j);
}

static ix_spec_t *
add_ix(spec_t *s, unsigned prog, unsigned acct_cnt, unsigned data_sz) {
  ix_spec_t *x = &s->ix[s->instr_cnt++];
  x->prog = (uint8_t)prog;
  x->acct_cnt = (uint16_t)acct_cnt;
  for (unsigned k = 0; k < acct_cnt && k < sizeof x->accts; k++) x->accts[k] = 0;
  x->data_sz = (uint16_t)data_sz;
  for (unsigned k = 0; k < data_sz && k < sizeof x->data; k++) x->data[k] = (uint8_t)(k * 7u + 3u);
  return x;
}

static alt_spec_t *
add_alt(spec_t *s, unsigned w_cnt, unsigned r_cnt) {
  alt_spec_t *a = &s->alt[s->alt_cnt];
  key_fill(a->key, 200u + s->alt_cnt);
  a->w_cnt = (uint16_t)w_cnt;
  a->r_cnt = (uint16_t)r_cnt;
  for (unsigned k = 0; k < w_cnt && k < sizeof a->w; k++) a->w[k] = (uint8_t)(k + 10);
  for (unsigned k = 0; k < r_cnt && k < sizeof a->r; k++) a->r[k] = (uint8_t)(k + 100);
  s->alt_cnt++;
  return a;
}

/* Parses exactly [b, b+sz) from a malloc'd copy of that size (so ASan sees
 * any overread), in both modes, and returns the code (checking both modes
 * agree). */
static int
parse_exact(uint8_t const *b, size_t sz, sof_txn_t *t, size_t *consumed) {
  uint8_t *copy = malloc(sz ? sz : 1);
  memcpy(copy, b, sz);
  size_t c = 12345;
  int r = sof_txn_parse(t, copy, sz, &c);
  if (r) SOF_CHECK_EQ(c, 0);
  static sof_txn_t t2;
  int r2 = sof_txn_parse(&t2, copy, sz, NULL);
  /* Exact mode only differs by also rejecting trailing bytes. */
  if (r == SOF_TXN_OK && c != sz) SOF_CHECK_EQ(r2, SOF_TXN_ERR_TRAILING);
  else SOF_CHECK_EQ(r2, r);
  free(copy);
  if (consumed) *consumed = c;
  return r;
}

static spec_t   g_spec;
static uint8_t  g_buf[TB_BUF_SZ];
static layout_t g_lay;
static sof_txn_t g_txn;

/* Checks every descriptor field against spec + layout. */
static void
check_desc(sof_txn_t const *t, spec_t const *s, layout_t const *l,
           uint8_t const *b) {
  SOF_CHECK_EQ(t->version, s->v0 ? SOF_TXN_VERSION_V0 : SOF_TXN_VERSION_LEGACY);
  SOF_CHECK_EQ(t->sig_cnt, s->sig_cnt);
  SOF_CHECK_EQ(t->sig_off, l->sig_off);
  SOF_CHECK_EQ(t->sig_off, 1);
  SOF_CHECK_EQ(t->msg_off, l->msg_off);
  SOF_CHECK_EQ(t->msg_off, 1 + 64 * s->sig_cnt);
  SOF_CHECK_EQ(t->msg_sz, l->sz - l->msg_off);
  SOF_CHECK_EQ(t->sz, l->sz);
  SOF_CHECK_EQ(t->num_required_signatures, s->sig_cnt);
  SOF_CHECK_EQ(t->num_readonly_signed, s->ro_signed);
  SOF_CHECK_EQ(t->num_readonly_unsigned, s->ro_unsigned);
  SOF_CHECK_EQ(t->acct_cnt, s->acct_cnt);
  SOF_CHECK_EQ(t->acct_off, l->acct_off);
  SOF_CHECK_EQ(t->blockhash_off, l->bh_off);
  SOF_CHECK_MEM(sof_txn_blockhash(t, b), s->blockhash, 32);
  for (unsigned i = 0; i < s->acct_cnt; i++)
    SOF_CHECK_MEM(sof_txn_acct_key(t, b, i), s->keys[i], 32);
  SOF_CHECK_EQ(t->instr_cnt, s->instr_cnt);
  for (unsigned j = 0; j < s->instr_cnt; j++) {
    SOF_CHECK_EQ(t->instr[j].program_idx, s->ix[j].prog);
    SOF_CHECK_EQ(t->instr[j].acct_cnt, s->ix[j].acct_cnt);
    SOF_CHECK_EQ(t->instr[j].acct_off, l->ix_acct_off[j]);
    SOF_CHECK_EQ(t->instr[j].data_sz, s->ix[j].data_sz);
    SOF_CHECK_EQ(t->instr[j].data_off, l->ix_data_off[j]);
    SOF_CHECK_MEM(sof_txn_instr_accts(t, b, j), s->ix[j].accts, s->ix[j].acct_cnt);
    SOF_CHECK_MEM(sof_txn_instr_data(t, b, j), s->ix[j].data, s->ix[j].data_sz);
    SOF_CHECK_MEM(sof_txn_instr_program(t, b, j), s->keys[s->ix[j].prog], 32);
  }
  unsigned w = 0, r = 0;
  SOF_CHECK_EQ(t->alt_cnt, s->v0 ? s->alt_cnt : 0);
  for (unsigned k = 0; s->v0 && k < s->alt_cnt; k++) {
    SOF_CHECK_EQ(t->alt[k].key_off, l->alt_key_off[k]);
    SOF_CHECK_MEM(sof_txn_alt_key(t, b, k), s->alt[k].key, 32);
    SOF_CHECK_EQ(t->alt[k].writable_cnt, s->alt[k].w_cnt);
    SOF_CHECK_EQ(t->alt[k].readonly_cnt, s->alt[k].r_cnt);
    SOF_CHECK_EQ(t->alt[k].writable_off, l->alt_w_off[k]);
    SOF_CHECK_EQ(t->alt[k].readonly_off, l->alt_r_off[k]);
    SOF_CHECK_MEM(b + t->alt[k].writable_off, s->alt[k].w, s->alt[k].w_cnt);
    SOF_CHECK_MEM(b + t->alt[k].readonly_off, s->alt[k].r, s->alt[k].r_cnt);
    w += s->alt[k].w_cnt;
    r += s->alt[k].r_cnt;
  }
  SOF_CHECK_EQ(t->alt_writable_cnt, w);
  SOF_CHECK_EQ(t->alt_readonly_cnt, r);
  SOF_CHECK_EQ(t->acct_total_cnt, s->acct_cnt + w + r);
  /* Signatures are genuine over the message bytes. */
  for (unsigned i = 0; i < s->sig_cnt; i++) {
    SOF_CHECK_MEM(sof_txn_sig(t, b, i), b + l->sig_off + 64u * i, 64);
    SOF_CHECK(crypto_sign_ed25519_verify_detached(
                sof_txn_sig(t, b, i), sof_txn_msg(t, b), t->msg_sz,
                sof_txn_acct_key(t, b, i)) == 0);
  }
}

/* ---- well-formed transactions ------------------------------------------ */

static void
test_legacy(void) {
  spec_t *s = &g_spec;
  /* 3 signers (1 readonly), 7 keys (2 readonly unsigned), 3 instructions. */
  spec_init(s, 0, 3, 7);
  s->ro_signed = 1;
  s->ro_unsigned = 2;
  ix_spec_t *x = add_ix(s, 6, 4, 12);
  x->accts[0] = 0; x->accts[1] = 3; x->accts[2] = 4; x->accts[3] = 6;
  add_ix(s, 5, 0, 200); /* 2-byte data length */
  x = add_ix(s, 2, 130, 0); /* 2-byte account count; program is a signer */
  for (unsigned k = 0; k < 130; k++) x->accts[k] = (uint8_t)(k % 7);
  size_t sz = build(s, g_buf, &g_lay);
  size_t consumed = 0;
  SOF_CHECK_EQ(parse_exact(g_buf, sz, &g_txn, &consumed), SOF_TXN_OK);
  SOF_CHECK_EQ(consumed, sz);
  check_desc(&g_txn, s, &g_lay, g_buf);
  sof_txn_t const *t = &g_txn;
  SOF_CHECK_EQ(t->kind, SOF_TXN_KIND_NON_VOTE);
  SOF_CHECK_EQ(t->simple_vote, 0);
  SOF_CHECK_EQ(t->vote_instr_cnt, 0);
  SOF_CHECK_EQ(t->instr[1].data_off - g_lay.ix_data_sz_off[1], 2); /* cu16 200 */
  SOF_CHECK_EQ(t->instr[2].acct_off - g_lay.ix_acct_cnt_off[2], 2); /* cu16 130 */

  /* Account classes: [0,2) ws, [2,3) rs, [3,5) wu, [5,7) ru. */
  SOF_CHECK_EQ(sof_txn_writable_signer_cnt(t), 2);
  SOF_CHECK_EQ(sof_txn_readonly_signer_cnt(t), 1);
  SOF_CHECK_EQ(sof_txn_writable_unsigned_cnt(t), 2);
  SOF_CHECK_EQ(sof_txn_readonly_unsigned_cnt(t), 2);
  static int const signer[8]   = { 1, 1, 1, 0, 0, 0, 0, 0 };
  static int const writable[8] = { 1, 1, 0, 1, 1, 0, 0, 0 };
  for (unsigned i = 0; i < 8; i++) {
    SOF_CHECK_EQ(sof_txn_acct_is_signer(t, i), signer[i]);
    SOF_CHECK_EQ(sof_txn_acct_is_writable(t, i), writable[i]);
  }

  /* Back to back with more bytes after: consumed stops at the txn. */
  uint8_t two[2 * TB_BUF_SZ];
  memcpy(two, g_buf, sz);
  memcpy(two + sz, g_buf, sz);
  consumed = 0;
  SOF_CHECK_EQ(sof_txn_parse(&g_txn, two, 2 * sz, &consumed), SOF_TXN_OK);
  SOF_CHECK_EQ(consumed, sz);
  SOF_CHECK_EQ(sof_txn_parse(&g_txn, two + sz, sz, &consumed), SOF_TXN_OK);
  SOF_CHECK_EQ(sof_txn_parse(&g_txn, two, 2 * sz, NULL), SOF_TXN_ERR_TRAILING);
  SOF_CHECK_EQ(sof_txn_parse(&g_txn, two, sz + 1, NULL), SOF_TXN_ERR_TRAILING);
  SOF_CHECK_EQ(sof_txn_parse(&g_txn, two, sz, NULL), SOF_TXN_OK);

  /* A tampered message no longer verifies (the test checks real sigs). */
  g_buf[g_lay.bh_off] ^= 1;
  SOF_CHECK_EQ(parse_exact(g_buf, sz, &g_txn, NULL), SOF_TXN_OK);
  SOF_CHECK(crypto_sign_ed25519_verify_detached(
              sof_txn_sig(&g_txn, g_buf, 0), sof_txn_msg(&g_txn, g_buf),
              g_txn.msg_sz, sof_txn_acct_key(&g_txn, g_buf, 0)) != 0);

  /* Minimum: 1 sig, 1 key, 0 instructions = SOF_TXN_MIN_SZ bytes. */
  spec_init(s, 0, 1, 1);
  sz = build(s, g_buf, &g_lay);
  SOF_CHECK_EQ(sz, SOF_TXN_MIN_SZ);
  SOF_CHECK_EQ(parse_exact(g_buf, sz, &g_txn, NULL), SOF_TXN_OK);
  check_desc(&g_txn, s, &g_lay, g_buf);
  SOF_CHECK_EQ(g_txn.kind, SOF_TXN_KIND_NON_VOTE);

  /* Maximum signatures: 12. */
  spec_init(s, 0, SOF_TXN_SIG_MAX, SOF_TXN_SIG_MAX + 1);
  s->ro_signed = 11;
  add_ix(s, SOF_TXN_SIG_MAX, 0, 0);
  sz = build(s, g_buf, &g_lay);
  SOF_CHECK_EQ(parse_exact(g_buf, sz, &g_txn, NULL), SOF_TXN_OK);
  check_desc(&g_txn, s, &g_lay, g_buf);
  SOF_CHECK_EQ(sof_txn_writable_signer_cnt(&g_txn), 1);
}

static void
test_v0(void) {
  spec_t *s = &g_spec;
  /* 1 signer, 4 static keys (1 readonly unsigned), 3 lookups. */
  spec_init(s, 1, 1, 4);
  s->ro_unsigned = 1;
  add_alt(s, 2, 1);
  add_alt(s, 0, 3);
  add_alt(s, 1, 0);
  /* total = 4 + 3 writable + 4 readonly = 11: indices 0..10 */
  ix_spec_t *x = add_ix(s, 3, 5, 9);
  x->accts[0] = 0; x->accts[1] = 4; x->accts[2] = 6; x->accts[3] = 7; x->accts[4] = 10;
  add_ix(s, 2, 0, 1);
  size_t sz = build(s, g_buf, &g_lay);
  size_t consumed = 0;
  SOF_CHECK_EQ(parse_exact(g_buf, sz, &g_txn, &consumed), SOF_TXN_OK);
  SOF_CHECK_EQ(consumed, sz);
  check_desc(&g_txn, s, &g_lay, g_buf);
  sof_txn_t const *t = &g_txn;
  SOF_CHECK_STR(sof_txn_version_str(t->version), "v0");
  SOF_CHECK_EQ(t->msg_off, 65);
  SOF_CHECK_EQ(g_buf[t->msg_off], 0x80);
  SOF_CHECK_EQ(t->alt_writable_cnt, 3);
  SOF_CHECK_EQ(t->alt_readonly_cnt, 4);
  SOF_CHECK_EQ(t->acct_total_cnt, 11);
  /* Full index space: 0 ws, 1-2 wu, 3 ru, 4-6 looked-up w, 7-10 looked-up r */
  static int const writable[12] = { 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0 };
  for (unsigned i = 0; i < 12; i++) {
    SOF_CHECK_EQ(sof_txn_acct_is_writable(t, i), writable[i]);
    SOF_CHECK_EQ(sof_txn_acct_is_signer(t, i), i == 0);
  }
  SOF_CHECK_EQ(sof_txn_writable_unsigned_cnt(t), 2);

  /* The last looked-up index is fine, one more is not. */
  x->accts[4] = 11;
  sz = build(s, g_buf, &g_lay);
  SOF_CHECK_EQ(parse_exact(g_buf, sz, &g_txn, NULL), SOF_TXN_ERR_ACCT_IDX);

  /* v0 minimum: 136 bytes, no lookups. */
  spec_init(s, 1, 1, 1);
  sz = build(s, g_buf, &g_lay);
  SOF_CHECK_EQ(sz, SOF_TXN_MIN_SZ + 2);
  SOF_CHECK_EQ(parse_exact(g_buf, sz, &g_txn, NULL), SOF_TXN_OK);
  check_desc(&g_txn, s, &g_lay, g_buf);
  SOF_CHECK_EQ(g_txn.alt_cnt, 0);
}

/* ---- compact-u16 -------------------------------------------------------- */

static void
test_compact_u16(void) {
  static struct {
    uint8_t  in[4];
    size_t   in_sz;
    int      ret;   /* bytes used or error */
    uint16_t val;
  } const tab[] = {
    { { 0x00 },             1, 1, 0 },
    { { 0x01 },             1, 1, 1 },
    { { 0x7f },             1, 1, 127 },
    { { 0x7f, 0xff },       2, 1, 127 },   /* reads only what it needs */
    { { 0x80, 0x01 },       2, 2, 128 },
    { { 0xff, 0x01 },       2, 2, 255 },
    { { 0x80, 0x02 },       2, 2, 256 },
    { { 0xff, 0x7f },       2, 2, 0x3fff },
    { { 0x80, 0x80, 0x01 }, 3, 3, 0x4000 },
    { { 0xff, 0xff, 0x01 }, 3, 3, 0x7fff },
    { { 0xff, 0xff, 0x03 }, 3, 3, 0xffff },
    { { 0x80, 0x00 },       2, SOF_TXN_ERR_CU16_NON_MINIMAL, 0 }, /* 0 in 2 */
    { { 0xff, 0x00 },       2, SOF_TXN_ERR_CU16_NON_MINIMAL, 0 }, /* 127 in 2 */
    { { 0x80, 0x80, 0x00 }, 3, SOF_TXN_ERR_CU16_NON_MINIMAL, 0 },
    { { 0xff, 0xff, 0x00 }, 3, SOF_TXN_ERR_CU16_NON_MINIMAL, 0 },
    { { 0x80, 0x80, 0x04 }, 3, SOF_TXN_ERR_CU16_OVERFLOW, 0 },    /* 0x10000 */
    { { 0xff, 0xff, 0x7f }, 3, SOF_TXN_ERR_CU16_OVERFLOW, 0 },
    { { 0x80, 0x80, 0x80 }, 3, SOF_TXN_ERR_CU16_OVERFLOW, 0 },    /* 4th byte */
    { { 0x80, 0x80, 0x81, 0x01 }, 4, SOF_TXN_ERR_CU16_OVERFLOW, 0 },
    { { 0 },                0, SOF_TXN_ERR_TRUNCATED, 0 },
    { { 0x80 },             1, SOF_TXN_ERR_TRUNCATED, 0 },
    { { 0x80, 0x80 },       2, SOF_TXN_ERR_TRUNCATED, 0 },
  };
  for (size_t k = 0; k < sizeof tab / sizeof tab[0]; k++) {
    uint16_t v = 0xAAAA;
    int r = sof_compact_u16_decode(tab[k].in, tab[k].in_sz, &v);
    SOF_CHECK_EQ(r, tab[k].ret);
    SOF_CHECK_EQ(v, r > 0 ? tab[k].val : 0xAAAA);
    if (r != tab[k].ret) fprintf(stderr, "  (compact-u16 row %zu)\n", k);
  }
  SOF_CHECK_EQ(sof_compact_u16_decode(NULL, 0, &(uint16_t){ 0 }), SOF_TXN_ERR_TRUNCATED);

  /* Round trip of every value; the encoding is the minimal one. */
  int bad = 0;
  for (unsigned v = 0; v <= 0xFFFF; v++) {
    uint8_t enc[3];
    int n = sof_compact_u16_encode((uint16_t)v, enc);
    int want = v < 0x80 ? 1 : v < 0x4000 ? 2 : 3;
    uint16_t d = 0;
    if (n != want || sof_compact_u16_decode(enc, (size_t)n, &d) != n || d != v)
      bad++;
    if (n > 1 && sof_compact_u16_decode(enc, (size_t)n - 1, &d) != SOF_TXN_ERR_TRUNCATED)
      bad++;
  }
  SOF_CHECK_EQ(bad, 0);
}

/* ---- one test per rule ------------------------------------------------- */

/* Replaces [off, off+old_len) of b (size *sz) with rep[0..rep_len). */
static void
splice(uint8_t *b, size_t *sz, size_t off, size_t old_len, uint8_t const *rep,
       size_t rep_len) {
  memmove(b + off + rep_len, b + off + old_len, *sz - off - old_len);
  memcpy(b + off, rep, rep_len);
  *sz = *sz - old_len + rep_len;
}

/* A valid legacy txn in g_spec: 2 signers, 5 keys, 2 instructions. */
static void
base_legacy(void) {
  spec_init(&g_spec, 0, 2, 5);
  g_spec.ro_signed = 1;
  g_spec.ro_unsigned = 2;
  ix_spec_t *x = add_ix(&g_spec, 4, 3, 5);
  x->accts[0] = 0; x->accts[1] = 2; x->accts[2] = 4;
  add_ix(&g_spec, 3, 1, 0);
}

/* A valid v0 txn in g_spec: 1 signer, 3 keys, 2 lookups. */
static void
base_v0(void) {
  spec_init(&g_spec, 1, 1, 3);
  g_spec.ro_unsigned = 1;
  add_alt(&g_spec, 2, 2);
  add_alt(&g_spec, 1, 0);
  ix_spec_t *x = add_ix(&g_spec, 2, 2, 4);
  x->accts[0] = 1; x->accts[1] = 7; /* total 8: last looked-up index */
}

static int
build_parse(void) {
  size_t sz = build(&g_spec, g_buf, &g_lay);
  return parse_exact(g_buf, sz, &g_txn, NULL);
}

static void
test_rules(void) {
  size_t sz;
  uint8_t rep[8];

  /* Both bases are valid. */
  base_legacy();
  SOF_CHECK_EQ(build_parse(), SOF_TXN_OK);
  base_v0();
  SOF_CHECK_EQ(build_parse(), SOF_TXN_OK);

  /* truncated: every proper prefix, both versions, exact code. */
  for (int v = 0; v < 2; v++) {
    if (v) base_v0(); else base_legacy();
    sz = build(&g_spec, g_buf, &g_lay);
    int bad = 0;
    for (size_t n = 0; n < sz; n++) {
      if (parse_exact(g_buf, n, &g_txn, NULL) != SOF_TXN_ERR_TRUNCATED) {
        bad++;
        fprintf(stderr, "  prefix %zu of %zu not truncated\n", n, sz);
      }
    }
    SOF_CHECK_EQ(bad, 0);
  }

  /* too_large: a txn needing 1233 bytes; exactly 1232 is fine. */
  spec_init(&g_spec, 0, 1, 2);
  add_ix(&g_spec, 1, 0, 0);
  sz = build(&g_spec, g_buf, &g_lay);
  /* sz so far; pad instruction data to reach exactly the MTU */
  g_spec.ix[0].data_sz = (uint16_t)(SOF_TXN_MTU - sz - 1); /* cu16 grows by 1 */
  sz = build(&g_spec, g_buf, &g_lay);
  SOF_CHECK_EQ(sz, SOF_TXN_MTU);
  SOF_CHECK_EQ(parse_exact(g_buf, sz, &g_txn, NULL), SOF_TXN_OK);
  g_spec.ix[0].data_sz++;
  sz = build(&g_spec, g_buf, &g_lay);
  SOF_CHECK_EQ(sz, SOF_TXN_MTU + 1);
  SOF_CHECK_EQ(parse_exact(g_buf, sz, &g_txn, NULL), SOF_TXN_ERR_TOO_LARGE);
  /* Same bytes cut at the MTU: the input ends, so truncated. */
  SOF_CHECK_EQ(parse_exact(g_buf, SOF_TXN_MTU, &g_txn, NULL), SOF_TXN_ERR_TRUNCATED);

  /* cu16_non_minimal: static account count 5 written as 85 00. */
  base_legacy();
  sz = build(&g_spec, g_buf, &g_lay);
  rep[0] = 0x85; rep[1] = 0x00;
  splice(g_buf, &sz, g_lay.acct_cnt_off, 1, rep, 2);
  SOF_CHECK_EQ(parse_exact(g_buf, sz, &g_txn, NULL), SOF_TXN_ERR_CU16_NON_MINIMAL);
  /* ... and instruction data size 5 written as 85 80 00. */
  sz = build(&g_spec, g_buf, &g_lay);
  rep[0] = 0x85; rep[1] = 0x80; rep[2] = 0x00;
  splice(g_buf, &sz, g_lay.ix_data_sz_off[0], 1, rep, 3);
  SOF_CHECK_EQ(parse_exact(g_buf, sz, &g_txn, NULL), SOF_TXN_ERR_CU16_NON_MINIMAL);
  /* ... and the signature count 2 written as 82 00. */
  sz = build(&g_spec, g_buf, &g_lay);
  rep[0] = 0x82; rep[1] = 0x00;
  splice(g_buf, &sz, 0, 1, rep, 2);
  SOF_CHECK_EQ(parse_exact(g_buf, sz, &g_txn, NULL), SOF_TXN_ERR_CU16_NON_MINIMAL);

  /* cu16_overflow: instruction account count above 0xFFFF. */
  sz = build(&g_spec, g_buf, &g_lay);
  rep[0] = 0xff; rep[1] = 0xff; rep[2] = 0x04;
  splice(g_buf, &sz, g_lay.ix_acct_cnt_off[1], 1, rep, 3);
  SOF_CHECK_EQ(parse_exact(g_buf, sz, &g_txn, NULL), SOF_TXN_ERR_CU16_OVERFLOW);
  /* ... and a lookup count in v0. */
  base_v0();
  sz = build(&g_spec, g_buf, &g_lay);
  rep[0] = 0x82; rep[1] = 0x80; rep[2] = 0x80;
  splice(g_buf, &sz, g_lay.alt_cnt_off, 1, rep, 3);
  SOF_CHECK_EQ(parse_exact(g_buf, sz, &g_txn, NULL), SOF_TXN_ERR_CU16_OVERFLOW);

  /* sig_cnt_zero */
  base_legacy();
  sz = build(&g_spec, g_buf, &g_lay);
  g_buf[0] = 0;
  SOF_CHECK_EQ(parse_exact(g_buf, sz, &g_txn, NULL), SOF_TXN_ERR_SIG_CNT_ZERO);

  /* sig_cnt_too_large: 13 signatures really present, and a 2-byte 200. */
  spec_init(&g_spec, 0, SOF_TXN_SIG_MAX + 1, SOF_TXN_SIG_MAX + 1);
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_SIG_CNT_MAX);
  base_legacy();
  sz = build(&g_spec, g_buf, &g_lay);
  rep[0] = 0xc8; rep[1] = 0x01;
  splice(g_buf, &sz, 0, 1, rep, 2);
  SOF_CHECK_EQ(parse_exact(g_buf, sz, &g_txn, NULL), SOF_TXN_ERR_SIG_CNT_MAX);

  /* v1_unsupported: a SIMD-0385 frame starts with 0x81. */
  base_legacy();
  sz = build(&g_spec, g_buf, &g_lay);
  g_buf[0] = 0x81;
  SOF_CHECK_EQ(parse_exact(g_buf, sz, &g_txn, NULL), SOF_TXN_ERR_V1_UNSUPPORTED);

  /* unknown_version: v0 prefix with version 1 and 127. */
  base_v0();
  g_spec.version_byte = 0x81;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_VERSION);
  g_spec.version_byte = 0xFF;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_VERSION);

  /* sig_cnt_mismatch: num_required_signatures != signature count. */
  base_legacy();
  g_spec.req = 3;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_SIG_CNT_MISMATCH);
  g_spec.req = 1;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_SIG_CNT_MISMATCH);
  base_v0();
  g_spec.req = 2;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_SIG_CNT_MISMATCH);

  /* hdr_readonly_signed: every signer readonly (no writable fee payer). */
  base_legacy();
  g_spec.ro_signed = 2;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_HDR_RO_SIGNED);
  base_v0();
  g_spec.ro_signed = 1;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_HDR_RO_SIGNED);

  /* hdr_acct_cnt: required (2) + readonly unsigned (4) > 5 keys; the edge
   * (3) is valid; fewer keys than signers. */
  base_legacy();
  g_spec.ro_unsigned = 3;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_OK);
  g_spec.ro_unsigned = 4;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_HDR_ACCT_CNT);
  spec_init(&g_spec, 0, 2, 1);
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_HDR_ACCT_CNT);

  /* too_many_accts: 65 static keys, rejected from the count alone (64
   * static keys would not fit in the MTU anyway: 64 x 32 > 1232). */
  spec_init(&g_spec, 0, 1, SOF_TXN_ACCT_ADDR_MAX + 1);
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_ACCT_CNT_MAX);
  spec_init(&g_spec, 0, 1, 30);
  SOF_CHECK_EQ(build_parse(), SOF_TXN_OK);
  /* ... static + looked-up: 30 + 34 = 64 ok, one more is not. */
  spec_init(&g_spec, 1, 1, 30);
  add_alt(&g_spec, 20, 14);
  add_ix(&g_spec, 29, 2, 0)->accts[1] = 63;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_OK);
  SOF_CHECK_EQ(g_txn.acct_total_cnt, 64);
  SOF_CHECK_EQ(sof_txn_acct_is_writable(&g_txn, 49), 1);
  SOF_CHECK_EQ(sof_txn_acct_is_writable(&g_txn, 50), 0);
  add_alt(&g_spec, 1, 0);
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_ACCT_CNT_MAX);
  /* ... one list alone above what is left (30 + 35 writable; then
   * readonly). */
  spec_init(&g_spec, 1, 1, 30);
  add_alt(&g_spec, 35, 0);
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_ACCT_CNT_MAX);
  g_spec.alt[0].w_cnt = 0;
  g_spec.alt[0].r_cnt = 35;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_ACCT_CNT_MAX);
  g_spec.alt[0].r_cnt = 34;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_OK);

  /* too_many_instrs: 65 instructions; 64 is fine. */
  spec_init(&g_spec, 0, 1, 2);
  for (unsigned j = 0; j < SOF_TXN_INSTR_MAX; j++) add_ix(&g_spec, 1, 0, 0);
  SOF_CHECK_EQ(build_parse(), SOF_TXN_OK);
  SOF_CHECK_EQ(g_txn.instr_cnt, 64);
  add_ix(&g_spec, 1, 0, 0);
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_INSTR_CNT_MAX);

  /* program_index: the fee payer, one past the static keys, and a
   * looked-up index (programs must be static keys). */
  base_legacy();
  g_spec.ix[1].prog = 0;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_PROGRAM_IDX);
  g_spec.ix[1].prog = 5;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_PROGRAM_IDX);
  g_spec.ix[1].prog = 255;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_PROGRAM_IDX);
  base_v0();
  g_spec.ix[0].prog = 3; /* first looked-up account */
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_PROGRAM_IDX);
  /* The only key is the fee payer: no instruction can have a program. */
  spec_init(&g_spec, 0, 1, 1);
  add_ix(&g_spec, 0, 0, 0);
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_PROGRAM_IDX);

  /* instr_too_many_accts: 256 account indices; 255 is fine. */
  spec_init(&g_spec, 0, 1, 2);
  add_ix(&g_spec, 1, SOF_TXN_INSTR_ACCT_MAX, 0);
  SOF_CHECK_EQ(build_parse(), SOF_TXN_OK);
  SOF_CHECK_EQ(g_txn.instr[0].acct_cnt, 255);
  g_spec.ix[0].acct_cnt = SOF_TXN_INSTR_ACCT_MAX + 1;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_INSTR_ACCT_MAX);

  /* acct_index: an index equal to the account count (legacy, v0 total). */
  base_legacy();
  g_spec.ix[0].accts[2] = 5;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_ACCT_IDX);
  g_spec.ix[0].accts[2] = 255;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_ACCT_IDX);
  base_v0();
  g_spec.ix[0].accts[1] = 8;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_ACCT_IDX);

  /* too_many_alts: 128 lookups declared. */
  base_v0();
  sz = build(&g_spec, g_buf, &g_lay);
  rep[0] = 0x80; rep[1] = 0x01;
  splice(g_buf, &sz, g_lay.alt_cnt_off, 1, rep, 2);
  SOF_CHECK_EQ(parse_exact(g_buf, sz, &g_txn, NULL), SOF_TXN_ERR_ALT_CNT_MAX);
  /* 127 declared: passes the limit, then runs out of bytes. */
  sz = build(&g_spec, g_buf, &g_lay);
  g_buf[g_lay.alt_cnt_off] = 127;
  SOF_CHECK_EQ(parse_exact(g_buf, sz, &g_txn, NULL), SOF_TXN_ERR_TRUNCATED);

  /* alt_empty: a lookup that selects nothing. */
  base_v0();
  add_alt(&g_spec, 0, 0);
  SOF_CHECK_EQ(build_parse(), SOF_TXN_ERR_ALT_EMPTY);

  /* trailing_bytes: only in exact mode. */
  base_legacy();
  sz = build(&g_spec, g_buf, &g_lay);
  g_buf[sz] = 0;
  size_t c = 0;
  SOF_CHECK_EQ(sof_txn_parse(&g_txn, g_buf, sz + 1, NULL), SOF_TXN_ERR_TRAILING);
  SOF_CHECK_EQ(sof_txn_parse(&g_txn, g_buf, sz + 1, &c), SOF_TXN_OK);
  SOF_CHECK_EQ(c, sz);
  /* A legacy txn's lookups cannot exist: bytes after its instructions are
   * not parsed as lookups but left over. */
  base_legacy();
  sz = build(&g_spec, g_buf, &g_lay);
  g_buf[sz] = 1;
  SOF_CHECK_EQ(sof_txn_parse(&g_txn, g_buf, sz + 1, NULL), SOF_TXN_ERR_TRAILING);
}

/* ---- classification ---------------------------------------------------- */

/* Spec with sig_cnt signers, then one writable unsigned account (index
 * sig_cnt), then three readonly program keys: Vote, ComputeBudget, System. */
#define K_VOTE (g_spec.sig_cnt + 1)
#define K_CB   (g_spec.sig_cnt + 2)
#define K_SYS  (g_spec.sig_cnt + 3)
static void
spec_programs(int v0, unsigned sig_cnt) {
  spec_init(&g_spec, v0, sig_cnt, sig_cnt + 4);
  memcpy(g_spec.keys[K_VOTE], sof_txn_vote_program_id, 32);
  memcpy(g_spec.keys[K_CB], sof_txn_compute_budget_program_id, 32);
  memset(g_spec.keys[K_SYS], 0, 32);
  g_spec.ro_unsigned = 3;
}

static void
test_kind(void) {
  /* Program key bytes match docs wire-format.md section 5. */
  static uint8_t const vote_id[32] = {
    0x07, 0x61, 0x48, 0x1d, 0x35, 0x74, 0x74, 0xbb, 0x7c, 0x4d, 0x76, 0x24,
    0xeb, 0xd3, 0xbd, 0xb3, 0xd8, 0x35, 0x5e, 0x73, 0xd1, 0x10, 0x43, 0xfc,
    0x0d, 0xa3, 0x53, 0x80, 0x00, 0x00, 0x00, 0x00 };
  SOF_CHECK_MEM(sof_txn_vote_program_id, vote_id, 32);
  uint8_t cb_id[32];
  sof_test_unhex(cb_id, "0306466fe5211732ffecadba72c39be7bc8ce5bbc5f7126b2c439b3a40000000", 32);
  SOF_CHECK_MEM(sof_txn_compute_budget_program_id, cb_id, 32);

  /* vote only: one Vote instruction; legacy, 1 signature: simple vote. */
  spec_programs(0, 1);
  add_ix(&g_spec, K_VOTE, 2, 8)->accts[1] = (uint8_t)g_spec.sig_cnt;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_OK);
  SOF_CHECK_EQ(g_txn.kind, SOF_TXN_KIND_VOTE_ONLY);
  SOF_CHECK_EQ(g_txn.vote_instr_cnt, 1);
  SOF_CHECK_EQ(g_txn.simple_vote, 1);
  SOF_CHECK_STR(sof_txn_kind_str(g_txn.kind), "vote_only");

  /* vote + ComputeBudget: still vote only, but two instructions => not a
   * simple vote. */
  spec_programs(0, 1);
  add_ix(&g_spec, K_CB, 0, 5);
  add_ix(&g_spec, K_VOTE, 0, 8);
  add_ix(&g_spec, K_CB, 0, 9);
  SOF_CHECK_EQ(build_parse(), SOF_TXN_OK);
  SOF_CHECK_EQ(g_txn.kind, SOF_TXN_KIND_VOTE_ONLY);
  SOF_CHECK_EQ(g_txn.vote_instr_cnt, 1);
  SOF_CHECK_EQ(g_txn.simple_vote, 0);

  /* vote + transfer: mixed. */
  spec_programs(0, 1);
  add_ix(&g_spec, K_VOTE, 0, 8);
  add_ix(&g_spec, K_SYS, 2, 12)->accts[1] = (uint8_t)g_spec.sig_cnt;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_OK);
  SOF_CHECK_EQ(g_txn.kind, SOF_TXN_KIND_MIXED);
  SOF_CHECK_EQ(g_txn.simple_vote, 0);
  SOF_CHECK_STR(sof_txn_kind_str(g_txn.kind), "mixed");

  /* no vote: transfer; ComputeBudget only; no instruction at all. */
  spec_programs(0, 1);
  add_ix(&g_spec, K_SYS, 2, 12)->accts[1] = (uint8_t)g_spec.sig_cnt;
  SOF_CHECK_EQ(build_parse(), SOF_TXN_OK);
  SOF_CHECK_EQ(g_txn.kind, SOF_TXN_KIND_NON_VOTE);
  SOF_CHECK_EQ(g_txn.vote_instr_cnt, 0);
  SOF_CHECK_STR(sof_txn_kind_str(g_txn.kind), "non_vote");
  spec_programs(0, 1);
  add_ix(&g_spec, K_CB, 0, 5);
  SOF_CHECK_EQ(build_parse(), SOF_TXN_OK);
  SOF_CHECK_EQ(g_txn.kind, SOF_TXN_KIND_NON_VOTE);
  spec_programs(0, 1);
  SOF_CHECK_EQ(build_parse(), SOF_TXN_OK);
  SOF_CHECK_EQ(g_txn.kind, SOF_TXN_KIND_NON_VOTE);
  SOF_CHECK_EQ(g_txn.simple_vote, 0);

  /* simple vote: 2 signatures yes, 3 no; v0 no; two Vote instrs no. */
  spec_programs(0, 2);
  add_ix(&g_spec, K_VOTE, 0, 8);
  SOF_CHECK_EQ(build_parse(), SOF_TXN_OK);
  SOF_CHECK_EQ(g_txn.simple_vote, 1);
  spec_programs(0, 3);
  add_ix(&g_spec, K_VOTE, 0, 8);
  SOF_CHECK_EQ(build_parse(), SOF_TXN_OK);
  SOF_CHECK_MEM(sof_txn_instr_program(&g_txn, g_buf, 0), vote_id, 32);
  SOF_CHECK_EQ(g_txn.kind, SOF_TXN_KIND_VOTE_ONLY);
  SOF_CHECK_EQ(g_txn.simple_vote, 0);
  spec_programs(1, 1);
  add_ix(&g_spec, K_VOTE, 0, 8);
  SOF_CHECK_EQ(build_parse(), SOF_TXN_OK);
  SOF_CHECK_EQ(g_txn.kind, SOF_TXN_KIND_VOTE_ONLY);
  SOF_CHECK_EQ(g_txn.simple_vote, 0);
  spec_programs(0, 1);
  add_ix(&g_spec, K_VOTE, 0, 8);
  add_ix(&g_spec, K_VOTE, 0, 8);
  SOF_CHECK_EQ(build_parse(), SOF_TXN_OK);
  SOF_CHECK_EQ(g_txn.kind, SOF_TXN_KIND_VOTE_ONLY);
  SOF_CHECK_EQ(g_txn.vote_instr_cnt, 2);
  SOF_CHECK_EQ(g_txn.simple_vote, 0);
}

/* ---- fast path vs reference --------------------------------------------- */

/* sof_txn_parse (a fast path, falling back to sof_txn_parse_ref) and
 * sof_txn_parse_ref must agree on every input: the code, the consumed size
 * and, on success, every descriptor field.  The bytes are a malloc'd copy
 * of exactly sz (ASan sees any read past them: the fast path loads 16 bytes
 * at a time).  Returns the code; counts the classes seen. */
static unsigned g_diff_ok, g_diff_err, g_diff_vote, g_diff_mixed;

static int
check_fast_vs_ref(uint8_t const *b, size_t sz) {
  uint8_t *copy = malloc(sz ? sz : 1);
  memcpy(copy, b, sz);
  static sof_txn_t f, r;
  int code = 0;
  for (int exact = 0; exact < 2; exact++) {
    size_t cf = 777, cr = 777;
    memset(&f, 0xA5, sizeof f);
    memset(&r, 0x5A, sizeof r);
    int rf = sof_txn_parse(&f, copy, sz, exact ? NULL : &cf);
    int rr = sof_txn_parse_ref(&r, copy, sz, exact ? NULL : &cr);
    SOF_CHECK_EQ(rf, rr);
    if (!exact) {
      SOF_CHECK_EQ(cf, cr);
      code = rf;
    }
    if (rf || rr) continue;
    SOF_CHECK_MEM(&f, &r, offsetof(sof_txn_t, instr));
    SOF_CHECK_MEM(f.instr, r.instr, f.instr_cnt * sizeof f.instr[0]);
    SOF_CHECK_MEM(f.alt, r.alt, f.alt_cnt * sizeof f.alt[0]);
    /* And both against a recount with the program keys. */
    unsigned vote = 0, other = 0;
    for (unsigned j = 0; j < f.instr_cnt; j++) {
      uint8_t const *k = sof_txn_instr_program(&f, copy, j);
      if (!memcmp(k, sof_txn_vote_program_id, 32)) vote++;
      else if (memcmp(k, sof_txn_compute_budget_program_id, 32)) other++;
    }
    SOF_CHECK_EQ(f.vote_instr_cnt, vote);
    SOF_CHECK_EQ(f.kind, !vote ? SOF_TXN_KIND_NON_VOTE
                       : other ? SOF_TXN_KIND_MIXED : SOF_TXN_KIND_VOTE_ONLY);
    if (exact) {
      g_diff_vote += f.kind == SOF_TXN_KIND_VOTE_ONLY;
      g_diff_mixed += f.kind == SOF_TXN_KIND_MIXED;
    }
  }
  if (code) g_diff_err++;
  else g_diff_ok++;
  free(copy);
  return code;
}

/* A random transaction in the shapes the wire allows: 1-12 signatures,
 * legacy or v0, up to 64 keys of which some are Vote, ComputeBudget, or
 * keys sharing Vote's / ComputeBudget's first 8 bytes only, instructions
 * with 0-255 accounts and 0-700 data bytes (one- and two-byte counts),
 * lookups with 0-20 indices per list.  Mostly valid; sizes may pass the
 * MTU (then both must say so). */
static void
spec_random(uint64_t *rng) {
  unsigned v0 = sof_test_rng(rng) & 1;
  unsigned const sig_max = sof_test_rng(rng) & 1 ? 2 : 12; /* one statement per draw */
  unsigned sig = 1 + (unsigned)(sof_test_rng(rng) % sig_max);
  unsigned acct = sig + 1 + (unsigned)(sof_test_rng(rng) % 8);
  if (!(sof_test_rng(rng) % 8)) acct = sig + (unsigned)(sof_test_rng(rng) % (65 - sig));
  spec_init(&g_spec, (int)v0, sig, acct);
  g_spec.ro_signed = (unsigned)(sof_test_rng(rng) % sig);
  g_spec.ro_unsigned = (unsigned)(sof_test_rng(rng) % (acct - sig + 1));
  for (unsigned i = sig; i < acct; i++) {
    switch (sof_test_rng(rng) % 6) {
    case 0: memcpy(g_spec.keys[i], sof_txn_vote_program_id, 32); break;
    case 1: memcpy(g_spec.keys[i], sof_txn_compute_budget_program_id, 32); break;
    case 2: /* first word of one, then differs */
      memcpy(g_spec.keys[i], sof_test_rng(rng) & 1 ? sof_txn_vote_program_id
                                                     : sof_txn_compute_budget_program_id, 32);
      {
        size_t const at = 8 + (size_t)(sof_test_rng(rng) % 24);
        g_spec.keys[i][at] ^= (uint8_t)(1 + sof_test_rng(rng) % 255);
      }
      break;
    default: break; /* key_fill's */
    }
  }
  unsigned alt_w = 0, alt_r = 0;
  if (v0) {
    unsigned n = (unsigned)(sof_test_rng(rng) % 4);
    for (unsigned k = 0; k < n; k++) {
      unsigned w = (unsigned)(sof_test_rng(rng) % 6), r = (unsigned)(sof_test_rng(rng) % 6);
      if (!w && !r) w = 1;
      if (acct + alt_w + alt_r + w + r > 64) break;
      add_alt(&g_spec, w, r);
      alt_w += w;
      alt_r += r;
    }
  }
  unsigned total = acct + alt_w + alt_r;
  unsigned ix_cnt = acct > 1 ? (unsigned)(sof_test_rng(rng) % 6) : 0;
  if (acct > 1 && !(sof_test_rng(rng) % 16)) ix_cnt = (unsigned)(sof_test_rng(rng) % 65);
  /* Room left in g_buf (TB_BUF_SZ, with slack for the mutations). */
  size_t est = 1 + 64u * sig + 5 + 32u * acct + 32 + 1 + 1 + g_spec.alt_cnt * (34u + 12u);
  for (unsigned j = 0; j < ix_cnt; j++) {
    unsigned prog = 1 + (unsigned)(sof_test_rng(rng) % (acct - 1));
    unsigned na = (unsigned)(sof_test_rng(rng) % 6);
    if (!(sof_test_rng(rng) % 8)) na = (unsigned)(sof_test_rng(rng) % 256);
    unsigned nd = (unsigned)(sof_test_rng(rng) % 40);
    if (!(sof_test_rng(rng) % 8)) nd = (unsigned)(sof_test_rng(rng) % 700);
    est += 5u + na + nd;
    if (est > TB_BUF_SZ - 256) break;
    ix_spec_t *x = add_ix(&g_spec, prog, na, nd);
    for (unsigned k = 0; k < na; k++) x->accts[k] = (uint8_t)(sof_test_rng(rng) % total);
  }
}

static void
test_fast_vs_ref(void) {
  uint64_t rng = 24;
  unsigned mtu_ok = 0;
  for (unsigned it = 0; it < 3000; it++) {
    spec_random(&rng);
    size_t sz = build(&g_spec, g_buf, &g_lay);
    int code = check_fast_vs_ref(g_buf, sz);
    if (sz <= SOF_TXN_MTU) {
      SOF_CHECK_EQ(code, SOF_TXN_OK);
      mtu_ok++;
    }
    /* Followed by other bytes (an entry's next transaction). */
    g_buf[sz] = (uint8_t)sof_test_rng(&rng);
    check_fast_vs_ref(g_buf, sz + 1 + (size_t)(sof_test_rng(&rng) % 64));
    /* Every prefix of the small ones, a few of the others. */
    for (size_t n = 0; n < sz; n += sz <= 300 ? 1 : 1 + (size_t)(sof_test_rng(&rng) % 97))
      SOF_CHECK(check_fast_vs_ref(g_buf, n) != SOF_TXN_OK);
    /* Single bytes changed (a changed signature byte alone stays valid,
     * so aim past the signatures half of the time), a byte or two
     * inserted. */
    for (unsigned m = 0; m < 24; m++) {
      uint8_t save[2];
      size_t at = (size_t)(sof_test_rng(&rng) % sz);
      if ((m & 1) && sz > g_lay.msg_off) at = g_lay.msg_off + (size_t)(sof_test_rng(&rng) % (sz - g_lay.msg_off));
      save[0] = g_buf[at];
      uint64_t v = sof_test_rng(&rng);
      g_buf[at] = (uint8_t)(v & 3 ? v >> 8 : (v & 4 ? 0x80 : save[0] ^ 0x80));
      check_fast_vs_ref(g_buf, sz);
      g_buf[at] = save[0];
    }
    /* Each compact-u16 count re-encoded one byte longer (not minimal). */
    size_t cnt_off[2 + 2 * TB_MAX_IX + 3 * TB_MAX_ALT], n_cnt = 0;
    cnt_off[n_cnt++] = g_lay.acct_cnt_off;
    cnt_off[n_cnt++] = g_lay.instr_cnt_off;
    for (unsigned j = 0; j < g_spec.instr_cnt; j++) {
      cnt_off[n_cnt++] = g_lay.ix_acct_cnt_off[j];
      cnt_off[n_cnt++] = g_lay.ix_data_sz_off[j];
    }
    if (g_spec.v0) cnt_off[n_cnt++] = g_lay.alt_cnt_off;
    for (unsigned k = 0; k < g_spec.alt_cnt; k++) {
      cnt_off[n_cnt++] = g_lay.alt_w_cnt_off[k];
      cnt_off[n_cnt++] = g_lay.alt_r_cnt_off[k];
    }
    for (size_t c = 0; c < n_cnt && sz + 1 <= TB_BUF_SZ; c++) {
      static uint8_t longer[TB_BUF_SZ];
      size_t o = cnt_off[c], len = 1;
      while (g_buf[o + len - 1] & 0x80) len++;
      memcpy(longer, g_buf, o + len);
      longer[o + len - 1] |= 0x80;
      longer[o + len] = 0;
      memcpy(longer + o + len + 1, g_buf + o + len, sz - o - len);
      SOF_CHECK(check_fast_vs_ref(longer, sz + 1) != SOF_TXN_OK);
    }
    if (sz + 2 <= TB_BUF_SZ) {
      size_t at = (size_t)(sof_test_rng(&rng) % sz);
      memmove(g_buf + at + 1, g_buf + at, sz - at);
      g_buf[at] = (uint8_t)sof_test_rng(&rng);
      check_fast_vs_ref(g_buf, sz + 1);
    }
  }
  /* Every shape class was reached. */
  SOF_CHECK(mtu_ok > 1500);
  SOF_CHECK(g_diff_vote > 50 && g_diff_mixed > 50);
  SOF_CHECK(g_diff_err > 100000);
  fprintf(stderr, "  fast vs ref: %u accepted (%u valid built, %u vote only, %u mixed), %u rejected\n",
          g_diff_ok, mtu_ok, g_diff_vote, g_diff_mixed, g_diff_err);
}

/* ---- names -------------------------------------------------------------- */

static void
test_names(void) {
  SOF_CHECK_STR(sof_txn_err_str(SOF_TXN_OK), "ok");
  SOF_CHECK_STR(sof_txn_err_str(SOF_TXN_ERR_TRUNCATED), "truncated");
  SOF_CHECK_STR(sof_txn_err_str(SOF_TXN_ERR_PROGRAM_IDX), "program_index");
  SOF_CHECK_STR(sof_txn_err_str(1), "unknown");
  SOF_CHECK_STR(sof_txn_err_str(-SOF_TXN_ERR_CNT - 1), "unknown");
  /* Every code has its own snake_case name. */
  for (int a = 0; a <= SOF_TXN_ERR_CNT; a++) {
    char const *s = sof_txn_err_str(-a);
    SOF_CHECK(strcmp(s, "unknown") != 0);
    for (char const *c = s; *c; c++)
      SOF_CHECK((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_');
    for (int b = 0; b < a; b++) SOF_CHECK(strcmp(s, sof_txn_err_str(-b)) != 0);
  }
  SOF_CHECK_STR(sof_txn_kind_str(3), "unknown");
  SOF_CHECK_STR(sof_txn_version_str(SOF_TXN_VERSION_LEGACY), "legacy");
  SOF_CHECK_STR(sof_txn_version_str(SOF_TXN_VERSION_V0), "v0");
  SOF_CHECK_STR(sof_txn_version_str(1), "unknown");
}

int
main(void) {
  if (sodium_init() < 0) {
    fprintf(stderr, "test_txn: sodium_init failed\n");
    return 1;
  }
  test_compact_u16();
  test_legacy();
  test_v0();
  test_rules();
  test_kind();
  test_fast_vs_ref();
  test_names();
  return sof_test_done("test_txn");
}
