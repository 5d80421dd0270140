/* sof_gossip_vote.c: see sof_gossip_vote.h. */
#include "gossip/sof_gossip_vote.h"

#include <string.h>

#include "wire/sof_txn.h"

#define LOCKOUTS_MAX 64U /* a tower holds 31 (MAX_LOCKOUT_HISTORY); more is not a vote */

typedef struct {
  uint8_t const *p;
  size_t         n;
} rd_t;

static int
rd_u32(rd_t *r, uint32_t *v) {
  if (r->n < 4) return -1;
  memcpy(v, r->p, 4);
  r->p += 4;
  r->n -= 4;
  return 0;
}

static int
rd_u64(rd_t *r, uint64_t *v) {
  if (r->n < 8) return -1;
  memcpy(v, r->p, 8);
  r->p += 8;
  r->n -= 8;
  return 0;
}

static int
rd_skip(rd_t *r, size_t k) {
  if (r->n < k) return -1;
  r->p += k;
  r->n -= k;
  return 0;
}

/* LEB128 u64, at most 10 bytes, no overflow. */
static int
rd_varint(rd_t *r, uint64_t *v) {
  uint64_t x = 0;
  for (unsigned i = 0; i < 10; i++) {
    if (!r->n) return -1;
    uint8_t b = *r->p++;
    r->n--;
    if (i == 9 && b > 1) return -1;
    x |= (uint64_t)(b & 0x7F) << (7 * i);
    if (!(b & 0x80)) {
      *v = x;
      return 0;
    }
  }
  return -1;
}

/* The last slot of one vote instruction's data; -1 when it does not decode. */
static int
vote_slot(uint8_t const *data, size_t sz, uint64_t *slot) {
  rd_t r = {data, sz};
  uint32_t tag;
  if (rd_u32(&r, &tag)) return -1;
  uint64_t n, s = 0;
  switch (tag) {
  case 2: case 6: /* Vote { slots: Vec<Slot>, hash, timestamp } */
    if (rd_u64(&r, &n) || !n || n > LOCKOUTS_MAX) return -1;
    for (uint64_t i = 0; i < n; i++)
      if (rd_u64(&r, &s)) return -1;
    *slot = s;
    return 0;
  case 8: case 9: /* VoteStateUpdate { lockouts: VecDeque<Lockout>, root, hash, timestamp } */
    if (rd_u64(&r, &n) || !n || n > LOCKOUTS_MAX) return -1;
    for (uint64_t i = 0; i < n; i++)
      if (rd_u64(&r, &s) || rd_skip(&r, 4)) return -1;
    *slot = s;
    return 0;
  case 12: case 13: case 14: case 15: { /* compact: root, short_vec<(varint offset, u8)>, ... */
    uint64_t root;
    uint16_t cnt;
    if (rd_u64(&r, &root)) return -1;
    int k = sof_compact_u16_decode(r.p, r.n, &cnt);
    if (k < 0 || cnt > LOCKOUTS_MAX) return -1;
    rd_skip(&r, (size_t)k);
    if (!cnt && root == UINT64_MAX) return -1; /* nothing voted */
    s = root == UINT64_MAX ? 0 : root;
    for (unsigned i = 0; i < cnt; i++) {
      uint64_t off;
      if (rd_varint(&r, &off) || rd_skip(&r, 1) || off > UINT64_MAX - s) return -1;
      s += off;
    }
    *slot = s;
    return 0;
  }
  default: return -1;
  }
}

int
sof_gossip_vote_decode(uint8_t const *txn, size_t txn_sz, uint8_t vote_account[32], uint64_t *slot) {
  sof_txn_t t;
  if (sof_txn_parse(&t, txn, txn_sz, NULL) != SOF_TXN_OK) return -1;
  for (unsigned j = 0; j < t.instr_cnt; j++) {
    if (memcmp(sof_txn_instr_program(&t, txn, j), sof_txn_vote_program_id, 32)) continue;
    if (!t.instr[j].acct_cnt) continue;
    uint8_t a = sof_txn_instr_accts(&t, txn, j)[0];
    if (a >= t.acct_cnt) continue; /* a looked-up account: not in a legacy transaction */
    uint64_t s;
    if (vote_slot(sof_txn_instr_data(&t, txn, j), t.instr[j].data_sz, &s)) continue;
    memcpy(vote_account, sof_txn_acct_key(&t, txn, a), 32);
    *slot = s;
    return 0;
  }
  return -1;
}
