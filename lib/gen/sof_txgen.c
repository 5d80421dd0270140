/* sof_txgen.c: deterministic transactions and entry batches (sof_txgen.h). */
#include "gen/sof_txgen.h"

#include <string.h>

#include <sodium.h>

#include "crypto/sof_sha256.h"

uint8_t const sof_txgen_system_program_id[32] = { 0 };

uint8_t const sof_txgen_token_program_id[32] = {
  0x06, 0xdd, 0xf6, 0xe1, 0xd7, 0x65, 0xa1, 0x93, 0xd9, 0xcb, 0xe1, 0x46, 0xce, 0xeb, 0x79, 0xac,
  0x1c, 0xb4, 0x85, 0xed, 0x5f, 0x5b, 0x37, 0x91, 0x3a, 0x8c, 0xf5, 0x85, 0x7e, 0xff, 0x00, 0xa9,
};

/* Instruction discriminants. */
#define VOTE_IX_TOWER_SYNC        14U /* VoteInstruction::TowerSync, u32 LE */
#define SYSTEM_IX_TRANSFER         2U /* SystemInstruction::Transfer, u32 LE */
#define CB_IX_SET_CU_LIMIT         2U /* ComputeBudgetInstruction::SetComputeUnitLimit(u32), u8 */
#define CB_IX_SET_CU_PRICE         3U /* ComputeBudgetInstruction::SetComputeUnitPrice(u64), u8 */
#define TOKEN_IX_TRANSFER          3U /* spl_token TokenInstruction::Transfer, u8 */
#define TOKEN_IX_TRANSFER_CHECKED 12U /* spl_token TokenInstruction::TransferChecked, u8 */

#define TOWER_DEPTH 31U /* MAX_LOCKOUT_HISTORY */

/* ---- randomness ---------------------------------------------------------- */

static inline uint64_t
fmix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void
sof_txgen_rng_seed(sof_txgen_rng_t *r, uint64_t seed) {
  r->s = seed;
}

uint64_t
sof_txgen_rng_u64(sof_txgen_rng_t *r) {
  r->s += 0x9E3779B97F4A7C15ULL;
  return fmix64(r->s);
}

uint64_t
sof_txgen_rng_below(sof_txgen_rng_t *r, uint64_t n) {
  unsigned __int128 m = (unsigned __int128)sof_txgen_rng_u64(r) * n;
  uint64_t          l = (uint64_t)m;
  if (l < n) {
    uint64_t t = -n % n;
    while (l < t) {
      m = (unsigned __int128)sof_txgen_rng_u64(r) * n;
      l = (uint64_t)m;
    }
  }
  return (uint64_t)(m >> 64);
}

void
sof_txgen_rng_bytes(sof_txgen_rng_t *r, void *out, size_t sz) {
  uint8_t *p = out;
  while (sz) {
    uint64_t x = sof_txgen_rng_u64(r);
    size_t   n = sz < 8 ? sz : 8;
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(x >> (8 * i));
    p  += n;
    sz -= n;
  }
}

uint64_t
sof_txgen_mix(uint64_t a, uint64_t b) {
  return fmix64(fmix64(a + 0x9E3779B97F4A7C15ULL) ^ (b + 0xD1B54A32D192ED03ULL));
}

/* ---- keys ------------------------------------------------------------------ */

void
sof_txgen_keypair(uint8_t kp[SOF_TXGEN_KEYPAIR_SZ], uint64_t seed, uint64_t domain, uint64_t idx) {
  sof_txgen_rng_t r;
  sof_txgen_rng_seed(&r, sof_txgen_mix(sof_txgen_mix(seed, domain), idx));
  uint8_t s[32], pk[32];
  sof_txgen_rng_bytes(&r, s, sizeof s);
  crypto_sign_ed25519_seed_keypair(pk, kp, s);
  sodium_memzero(s, sizeof s);
}

/* ---- message serializer ---------------------------------------------------- */

/* Writes into a fixed MTU-sized buffer; running past it is TOO_LARGE. */
typedef struct {
  uint8_t *buf;
  size_t   sz;
  int      err;
} wr_t;

static void
wr_bytes(wr_t *w, void const *p, size_t n) {
  if (w->err) return;
  if (n > SOF_TXN_MTU - w->sz) {
    w->err = SOF_TXGEN_ERR_TOO_LARGE;
    return;
  }
  if (n) memcpy(w->buf + w->sz, p, n);
  w->sz += n;
}

static void
wr_u8(wr_t *w, uint8_t v) {
  wr_bytes(w, &v, 1);
}

static void
wr_cu16(wr_t *w, uint16_t v) {
  uint8_t b[3];
  int     n = sof_compact_u16_encode(v, b);
  wr_bytes(w, b, (size_t)n);
}

static void
st_le(uint8_t *p, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static int
check_msg(sof_txgen_msg_t const *m) {
  if (m->version != SOF_TXN_VERSION_LEGACY && m->version != SOF_TXN_VERSION_V0) return SOF_TXGEN_ERR_MSG;
  if (m->sig_cnt < 1 || m->sig_cnt > SOF_TXN_SIG_MAX) return SOF_TXGEN_ERR_MSG;
  if (m->ro_signed >= m->sig_cnt) return SOF_TXGEN_ERR_MSG;
  if ((unsigned)m->sig_cnt + m->ro_unsigned > m->key_cnt) return SOF_TXGEN_ERR_MSG;
  if (m->version == SOF_TXN_VERSION_LEGACY && m->lookup_cnt) return SOF_TXGEN_ERR_MSG;
  if (m->lookup_cnt > SOF_TXN_ALT_MAX) return SOF_TXGEN_ERR_MSG;
  if (m->instr_cnt > SOF_TXN_INSTR_MAX) return SOF_TXGEN_ERR_MSG;
  unsigned total = m->key_cnt;
  for (unsigned i = 0; i < m->lookup_cnt; i++) {
    unsigned n = (unsigned)m->lookup[i].writable_cnt + m->lookup[i].readonly_cnt;
    if (!n) return SOF_TXGEN_ERR_MSG;
    total += n;
  }
  if (total > SOF_TXN_ACCT_ADDR_MAX) return SOF_TXGEN_ERR_MSG;
  for (unsigned i = 0; i < m->instr_cnt; i++) {
    sof_txgen_instr_t const *ix = &m->instr[i];
    if (ix->program_idx == 0 || ix->program_idx >= m->key_cnt) return SOF_TXGEN_ERR_MSG;
    for (unsigned a = 0; a < ix->acct_cnt; a++) {
      if (ix->accts[a] >= total) return SOF_TXGEN_ERR_MSG;
    }
  }
  return SOF_TXGEN_OK;
}

long
sof_txgen_txn_build(uint8_t *out, size_t out_max, sof_txgen_msg_t const *m,
                    uint8_t const *const *keypairs) {
  int err = check_msg(m);
  if (err) return err;
  for (unsigned i = 0; i < m->sig_cnt; i++) {
    if (memcmp(m->keys + 32 * i, keypairs[i] + 32, 32)) return SOF_TXGEN_ERR_SIGNER;
  }

  uint8_t tmp[SOF_TXN_MTU];
  wr_t    w = { .buf = tmp };
  wr_cu16(&w, m->sig_cnt);
  size_t sig_off = w.sz;
  w.sz += 64U * m->sig_cnt; /* filled last; sig_cnt <= 12 keeps this inside tmp */
  size_t msg_off = w.sz;
  if (m->version == SOF_TXN_VERSION_V0) wr_u8(&w, 0x80);
  wr_u8(&w, m->sig_cnt);
  wr_u8(&w, m->ro_signed);
  wr_u8(&w, m->ro_unsigned);
  wr_cu16(&w, m->key_cnt);
  wr_bytes(&w, m->keys, 32U * m->key_cnt);
  wr_bytes(&w, m->blockhash, 32);
  wr_cu16(&w, m->instr_cnt);
  for (unsigned i = 0; i < m->instr_cnt; i++) {
    sof_txgen_instr_t const *ix = &m->instr[i];
    wr_u8(&w, ix->program_idx);
    wr_cu16(&w, ix->acct_cnt);
    wr_bytes(&w, ix->accts, ix->acct_cnt);
    wr_cu16(&w, ix->data_sz);
    wr_bytes(&w, ix->data, ix->data_sz);
  }
  if (m->version == SOF_TXN_VERSION_V0) {
    wr_cu16(&w, m->lookup_cnt);
    for (unsigned i = 0; i < m->lookup_cnt; i++) {
      sof_txgen_lookup_t const *l = &m->lookup[i];
      wr_bytes(&w, l->table, 32);
      wr_cu16(&w, l->writable_cnt);
      wr_bytes(&w, l->writable, l->writable_cnt);
      wr_cu16(&w, l->readonly_cnt);
      wr_bytes(&w, l->readonly, l->readonly_cnt);
    }
  }
  if (w.err) return w.err;
  if (w.sz > out_max) return SOF_TXGEN_ERR_SPACE;

  for (unsigned i = 0; i < m->sig_cnt; i++) {
    if (crypto_sign_ed25519_detached(tmp + sig_off + 64U * i, NULL, tmp + msg_off, w.sz - msg_off,
                                     keypairs[i])) {
      return SOF_TXGEN_ERR_SIGNER;
    }
  }
  memcpy(out, tmp, w.sz);
  return (long)w.sz;
}

/* ---- realistic transactions ------------------------------------------------ */

int
sof_txgen_init(sof_txgen_t *g, uint64_t seed) {
  if (sodium_init() < 0) return SOF_TXGEN_ERR_SIGNER;
  memset(g, 0, sizeof *g);
  g->seed = seed;
  sof_txgen_rng_seed(&g->rng, sof_txgen_mix(seed, 0x7478676E /* "txgn" */));
  for (unsigned i = 0; i < SOF_TXGEN_VOTER_CNT; i++) {
    sof_txgen_keypair(g->voter[i], seed, SOF_TXGEN_DOMAIN_VOTER, i);
    sof_txgen_rng_bytes(&g->rng, g->vote_acct[i], 32);
  }
  for (unsigned i = 0; i < SOF_TXGEN_PAYER_CNT; i++) {
    sof_txgen_keypair(g->payer[i], seed, SOF_TXGEN_DOMAIN_PAYER, i);
  }
  sof_txgen_rng_bytes(&g->rng, g->blockhash, 32);
  g->vote_slot = 0;
  return SOF_TXGEN_OK;
}

void
sof_txgen_set_recent(sof_txgen_t *g, uint8_t const blockhash[32], uint64_t vote_slot) {
  memmove(g->blockhash, blockhash, 32);
  g->vote_slot = vote_slot;
}

int
sof_txgen_pick_type(sof_txgen_t *g, uint32_t vote_ppm) {
  if (vote_ppm > 1000000U) vote_ppm = 1000000U;
  if (sof_txgen_rng_below(&g->rng, 1000000U) < vote_ppm) {
    return sof_txgen_rng_below(&g->rng, 8) ? SOF_TXGEN_TYPE_VOTE : SOF_TXGEN_TYPE_VOTE_CB;
  }
  /* weights: mixed 1, transfer 3, token 2, v0 2 */
  switch (sof_txgen_rng_below(&g->rng, 8)) {
  case 0:                 return SOF_TXGEN_TYPE_MIXED;
  case 1: case 2: case 3: return SOF_TXGEN_TYPE_TRANSFER;
  case 4: case 5:         return SOF_TXGEN_TYPE_TOKEN;
  default:                return SOF_TXGEN_TYPE_V0_ALT;
  }
}

char const *
sof_txgen_type_str(int type) {
  switch (type) {
  case SOF_TXGEN_TYPE_VOTE:     return "vote";
  case SOF_TXGEN_TYPE_VOTE_CB:  return "vote_cb";
  case SOF_TXGEN_TYPE_MIXED:    return "mixed";
  case SOF_TXGEN_TYPE_TRANSFER: return "transfer";
  case SOF_TXGEN_TYPE_TOKEN:    return "token";
  case SOF_TXGEN_TYPE_V0_ALT:   return "v0_alt";
  default:                      return "unknown";
  }
}

int
sof_txgen_type_kind(int type) {
  switch (type) {
  case SOF_TXGEN_TYPE_VOTE:
  case SOF_TXGEN_TYPE_VOTE_CB:  return SOF_TXN_KIND_VOTE_ONLY;
  case SOF_TXGEN_TYPE_MIXED:    return SOF_TXN_KIND_MIXED;
  case SOF_TXGEN_TYPE_TRANSFER:
  case SOF_TXGEN_TYPE_TOKEN:
  case SOF_TXGEN_TYPE_V0_ALT:   return SOF_TXN_KIND_NON_VOTE;
  default:                      return -1;
  }
}

long
sof_txgen_tower_sync_data(uint8_t *out, size_t out_max, uint64_t vote_slot,
                          uint8_t const bank_hash[32], int64_t timestamp,
                          uint8_t const block_id[32]) {
  uint8_t tmp[4 + 8 + 3 + TOWER_DEPTH * 11 + 32 + 9 + 32];
  size_t  o = 0;
  st_le(tmp + o, VOTE_IX_TOWER_SYNC, 4);
  o += 4;
  /* Tower: slots vote_slot - n + 1 .. vote_slot, confirmation counts n..1,
   * root just below the oldest (Slot::MAX = no root while too young). */
  unsigned n    = vote_slot + 1 < TOWER_DEPTH ? (unsigned)vote_slot + 1 : TOWER_DEPTH;
  uint64_t root = vote_slot >= TOWER_DEPTH ? vote_slot - TOWER_DEPTH : UINT64_MAX;
  st_le(tmp + o, root, 8);
  o += 8;
  tmp[o++] = (uint8_t)n; /* short_vec length, n <= 31 */
  uint64_t prev = root == UINT64_MAX ? 0 : root;
  for (unsigned i = 0; i < n; i++) {
    uint64_t slot = vote_slot - (n - 1 - i);
    uint64_t off  = slot - prev; /* varint (LEB128) */
    prev          = slot;
    do {
      uint8_t b = (uint8_t)(off & 0x7F);
      off >>= 7;
      tmp[o++] = (uint8_t)(b | (off ? 0x80 : 0));
    } while (off);
    tmp[o++] = (uint8_t)(n - i); /* confirmation count */
  }
  memcpy(tmp + o, bank_hash, 32);
  o += 32;
  tmp[o++] = 1; /* Some(timestamp) */
  st_le(tmp + o, (uint64_t)timestamp, 8);
  o += 8;
  memcpy(tmp + o, block_id, 32);
  o += 32;
  if (o > out_max) return SOF_TXGEN_ERR_SPACE;
  memcpy(out, tmp, o);
  return (long)o;
}

/* Key list under construction. */
typedef struct {
  uint8_t keys[SOF_TXN_ACCT_ADDR_MAX * 32];
  uint8_t cnt;
} keys_t;

static uint8_t
key_add(keys_t *k, uint8_t const key[32]) {
  memcpy(k->keys + 32U * k->cnt, key, 32);
  return k->cnt++;
}

static uint8_t
key_add_random(keys_t *k, sof_txgen_rng_t *r) {
  uint8_t key[32];
  sof_txgen_rng_bytes(r, key, 32);
  return key_add(k, key);
}

/* Lookup table addresses: 4 per generator, derived from its seed. */
static void
alt_table(sof_txgen_t const *g, unsigned i, uint8_t out[32]) {
  sof_txgen_rng_t r;
  sof_txgen_rng_seed(&r, sof_txgen_mix(sof_txgen_mix(g->seed, 0x616C74 /* "alt" */), i));
  sof_txgen_rng_bytes(&r, out, 32);
}

long
sof_txgen_txn(sof_txgen_t *g, int type, uint8_t *out, size_t out_max) {
  if (type < 0 || type >= SOF_TXGEN_TYPE_CNT) return SOF_TXGEN_ERR_TYPE;

  sof_txgen_rng_t *   r = &g->rng;
  keys_t              k = { .cnt = 0 };
  sof_txgen_instr_t   ix[4];
  unsigned            ix_cnt = 0;
  uint8_t const *     signers[2];
  sof_txgen_msg_t     m = { .version = SOF_TXN_VERSION_LEGACY, .sig_cnt = 1, .blockhash = g->blockhash };

  /* Instruction data and account lists (must outlive the build call). */
  uint8_t vote_data[512];
  uint8_t vote_accts[2];
  uint8_t cb_limit[5], cb_price[9];
  uint8_t xfer_data[12], xfer_accts[2];
  uint8_t tok_data[10], tok_accts[4];
  uint8_t w_idx[2], r_idx[1];
  uint8_t tables[2][32];
  sof_txgen_lookup_t lookups[2];

  cb_limit[0] = CB_IX_SET_CU_LIMIT;
  st_le(cb_limit + 1, 20000 + sof_txgen_rng_below(r, 1400000 - 20000), 4);
  cb_price[0] = CB_IX_SET_CU_PRICE;
  st_le(cb_price + 1, 1 + sof_txgen_rng_below(r, 1000000), 8);
  st_le(xfer_data, SYSTEM_IX_TRANSFER, 4);
  st_le(xfer_data + 4, 1 + sof_txgen_rng_below(r, 10000000000ULL), 8);

  int is_vote = type == SOF_TXGEN_TYPE_VOTE || type == SOF_TXGEN_TYPE_VOTE_CB ||
                type == SOF_TXGEN_TYPE_MIXED;
  if (is_vote) {
    unsigned v = (unsigned)sof_txgen_rng_below(r, SOF_TXGEN_VOTER_CNT);
    uint8_t  block_id[32];
    sof_txgen_rng_bytes(r, block_id, 32);
    int64_t ts = 1700000000 + (int64_t)(g->vote_slot * 2 / 5);
    long    vsz = sof_txgen_tower_sync_data(vote_data, sizeof vote_data, g->vote_slot, g->blockhash,
                                            ts, block_id);
    if (vsz < 0) return vsz;
    signers[0]    = g->voter[v];
    uint8_t auth  = key_add(&k, g->voter[v] + 32);            /* signer, writable (fee payer) */
    uint8_t acct  = key_add(&k, g->vote_acct[v]);             /* writable */
    vote_accts[0] = acct;                                     /* vote account, writable */
    vote_accts[1] = auth;                                     /* authorized voter, signer */
    if (type == SOF_TXGEN_TYPE_MIXED) {
      uint8_t to = key_add_random(&k, r);                     /* writable */
      uint8_t vp = key_add(&k, sof_txn_vote_program_id);
      uint8_t sp = key_add(&k, sof_txgen_system_program_id);
      m.ro_unsigned = 2;
      xfer_accts[0] = auth;
      xfer_accts[1] = to;
      ix[ix_cnt++]  = (sof_txgen_instr_t){ vp, 2, vote_accts, (uint16_t)vsz, vote_data };
      ix[ix_cnt++]  = (sof_txgen_instr_t){ sp, 2, xfer_accts, sizeof xfer_data, xfer_data };
    } else if (type == SOF_TXGEN_TYPE_VOTE_CB) {
      uint8_t vp = key_add(&k, sof_txn_vote_program_id);
      uint8_t cp = key_add(&k, sof_txn_compute_budget_program_id);
      m.ro_unsigned = 2;
      ix[ix_cnt++]  = (sof_txgen_instr_t){ cp, 0, NULL, sizeof cb_limit, cb_limit };
      ix[ix_cnt++]  = (sof_txgen_instr_t){ cp, 0, NULL, sizeof cb_price, cb_price };
      ix[ix_cnt++]  = (sof_txgen_instr_t){ vp, 2, vote_accts, (uint16_t)vsz, vote_data };
    } else {
      uint8_t vp = key_add(&k, sof_txn_vote_program_id);
      m.ro_unsigned = 1;
      ix[ix_cnt++]  = (sof_txgen_instr_t){ vp, 2, vote_accts, (uint16_t)vsz, vote_data };
    }
  } else if (type == SOF_TXGEN_TYPE_TRANSFER) {
    unsigned p        = (unsigned)sof_txgen_rng_below(r, SOF_TXGEN_PAYER_CNT);
    int      two_sigs = sof_txgen_rng_below(r, 4) == 0;
    int      prio     = sof_txgen_rng_below(r, 2) == 0;
    signers[0]        = g->payer[p];
    uint8_t from      = key_add(&k, g->payer[p] + 32);
    if (two_sigs) { /* a separate fee payer signs too */
      unsigned q = (p + 1 + (unsigned)sof_txgen_rng_below(r, SOF_TXGEN_PAYER_CNT - 1)) %
                   SOF_TXGEN_PAYER_CNT;
      signers[1] = g->payer[q];
      from       = key_add(&k, g->payer[q] + 32);
      m.sig_cnt  = 2;
    }
    uint8_t to = key_add_random(&k, r);
    uint8_t sp = key_add(&k, sof_txgen_system_program_id);
    m.ro_unsigned = 1;
    if (prio) {
      uint8_t cp = key_add(&k, sof_txn_compute_budget_program_id);
      m.ro_unsigned = 2;
      ix[ix_cnt++]  = (sof_txgen_instr_t){ cp, 0, NULL, sizeof cb_price, cb_price };
    }
    xfer_accts[0] = from;
    xfer_accts[1] = to;
    ix[ix_cnt++]  = (sof_txgen_instr_t){ sp, 2, xfer_accts, sizeof xfer_data, xfer_data };
  } else if (type == SOF_TXGEN_TYPE_TOKEN) {
    unsigned p   = (unsigned)sof_txgen_rng_below(r, SOF_TXGEN_PAYER_CNT);
    signers[0]   = g->payer[p];
    uint8_t own  = key_add(&k, g->payer[p] + 32);
    uint8_t src  = key_add_random(&k, r);
    uint8_t dst  = key_add_random(&k, r);
    uint8_t cp   = key_add(&k, sof_txn_compute_budget_program_id);
    uint8_t tp   = key_add(&k, sof_txgen_token_program_id);
    m.ro_unsigned = 2;
    tok_data[0] = TOKEN_IX_TRANSFER;
    st_le(tok_data + 1, 1 + sof_txgen_rng_below(r, 1000000000000ULL), 8);
    tok_accts[0] = src;
    tok_accts[1] = dst;
    tok_accts[2] = own;
    ix[ix_cnt++] = (sof_txgen_instr_t){ cp, 0, NULL, sizeof cb_limit, cb_limit };
    ix[ix_cnt++] = (sof_txgen_instr_t){ cp, 0, NULL, sizeof cb_price, cb_price };
    ix[ix_cnt++] = (sof_txgen_instr_t){ tp, 3, tok_accts, 9, tok_data };
  } else { /* SOF_TXGEN_TYPE_V0_ALT */
    unsigned p  = (unsigned)sof_txgen_rng_below(r, SOF_TXGEN_PAYER_CNT);
    signers[0]  = g->payer[p];
    uint8_t own = key_add(&k, g->payer[p] + 32);
    uint8_t tp  = key_add(&k, sof_txgen_token_program_id);
    m.version     = SOF_TXN_VERSION_V0;
    m.ro_unsigned = 1;
    unsigned t0 = (unsigned)sof_txgen_rng_below(r, 4);
    alt_table(g, t0, tables[0]);
    alt_table(g, (t0 + 1 + (unsigned)sof_txgen_rng_below(r, 3)) % 4, tables[1]);
    w_idx[0] = (uint8_t)sof_txgen_rng_below(r, 256);                       /* source */
    w_idx[1] = (uint8_t)((w_idx[0] + 1 + sof_txgen_rng_below(r, 255)) % 256); /* destination */
    r_idx[0] = (uint8_t)sof_txgen_rng_below(r, 256);                       /* mint */
    lookups[0] = (sof_txgen_lookup_t){ tables[0], 2, 0, w_idx, NULL };
    lookups[1] = (sof_txgen_lookup_t){ tables[1], 0, 1, NULL, r_idx };
    m.lookup_cnt = 2;
    m.lookup     = lookups;
    /* Index space: static 0..1, looked-up writable 2..3, readonly 4. */
    tok_data[0] = TOKEN_IX_TRANSFER_CHECKED;
    st_le(tok_data + 1, 1 + sof_txgen_rng_below(r, 1000000000000ULL), 8);
    tok_data[9] = (uint8_t)sof_txgen_rng_below(r, 10); /* decimals */
    tok_accts[0] = 2;   /* source */
    tok_accts[1] = 4;   /* mint */
    tok_accts[2] = 3;   /* destination */
    tok_accts[3] = own; /* owner, signer */
    ix[ix_cnt++] = (sof_txgen_instr_t){ tp, 4, tok_accts, 10, tok_data };
  }

  m.key_cnt   = k.cnt;
  m.keys      = k.keys;
  m.instr_cnt = (uint8_t)ix_cnt;
  m.instr     = ix;
  return sof_txgen_txn_build(out, out_max, &m, signers);
}

/* ---- entries and batches --------------------------------------------------- */

void
sof_txgen_entry_hash(uint8_t hash[32], uint64_t num_hashes, uint8_t const *mixin) {
  uint8_t n[8], next[32];
  st_le(n, num_hashes, 8);
  sof_sha256_3(next, hash, 32, n, 8, mixin, mixin ? 32 : 0);
  memcpy(hash, next, 32);
}

void
sof_txgen_batch_init(sof_txgen_batch_t *b, uint8_t *buf, size_t cap) {
  memset(b, 0, sizeof *b);
  b->buf = buf;
  b->cap = cap;
  if (cap < 8) {
    b->err = SOF_TXGEN_ERR_SPACE;
    return;
  }
  memset(buf, 0, 8);
  b->sz = 8;
}

int
sof_txgen_batch_entry_begin(sof_txgen_batch_t *b, uint64_t num_hashes, uint8_t const hash[32]) {
  if (b->err) return b->err;
  if (b->in_entry) return b->err = SOF_TXGEN_ERR_STATE;
  if (b->cap - b->sz < 48) return b->err = SOF_TXGEN_ERR_SPACE;
  uint8_t *p = b->buf + b->sz;
  st_le(p, num_hashes, 8);
  memcpy(p + 8, hash, 32);
  st_le(p + 40, 0, 8);
  b->entry_off     = b->sz;
  b->entry_txn_cnt = 0;
  b->in_entry      = 1;
  b->sz += 48;
  return SOF_TXGEN_OK;
}

int
sof_txgen_batch_entry_txn(sof_txgen_batch_t *b, void const *txn, size_t sz) {
  if (b->err) return b->err;
  if (!b->in_entry) return b->err = SOF_TXGEN_ERR_STATE;
  if (b->cap - b->sz < sz) {
    b->sz       = b->entry_off;
    b->in_entry = 0;
    return b->err = SOF_TXGEN_ERR_SPACE;
  }
  memcpy(b->buf + b->sz, txn, sz);
  b->sz += sz;
  b->entry_txn_cnt++;
  return SOF_TXGEN_OK;
}

int
sof_txgen_batch_entry_end(sof_txgen_batch_t *b) {
  if (b->err) return b->err;
  if (!b->in_entry) return b->err = SOF_TXGEN_ERR_STATE;
  st_le(b->buf + b->entry_off + 40, b->entry_txn_cnt, 8);
  b->entry_cnt++;
  b->tick_cnt += b->entry_txn_cnt == 0;
  b->txn_cnt  += b->entry_txn_cnt;
  b->in_entry = 0;
  return SOF_TXGEN_OK;
}

int
sof_txgen_batch_tick(sof_txgen_batch_t *b, uint64_t num_hashes, uint8_t const hash[32]) {
  int err = sof_txgen_batch_entry_begin(b, num_hashes, hash);
  if (err) return err;
  return sof_txgen_batch_entry_end(b);
}

long
sof_txgen_batch_fini(sof_txgen_batch_t *b) {
  if (b->err) return b->err;
  if (b->in_entry) return b->err = SOF_TXGEN_ERR_STATE;
  st_le(b->buf, b->entry_cnt, 8);
  return (long)b->sz;
}

char const *
sof_txgen_err_str(int err) {
  switch (err) {
  case SOF_TXGEN_OK:            return "ok";
  case SOF_TXGEN_ERR_SPACE:     return "no_space";
  case SOF_TXGEN_ERR_TOO_LARGE: return "too_large";
  case SOF_TXGEN_ERR_MSG:       return "bad_message";
  case SOF_TXGEN_ERR_SIGNER:    return "bad_signer";
  case SOF_TXGEN_ERR_STATE:     return "bad_state";
  case SOF_TXGEN_ERR_TYPE:      return "bad_type";
  default:                      return "unknown";
  }
}
