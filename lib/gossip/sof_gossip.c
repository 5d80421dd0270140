/* sof_gossip.c: decoding gossip packets (see sof_gossip.h). */
#include "gossip/sof_gossip.h"

#include <string.h>

#include "wire/sof_txn.h"

/* A bounds-checked cursor over the input. Every read checks the remaining
 * length first; the first failure latches err and later reads return 0. */
typedef struct {
  uint8_t const *p;
  size_t         left;
  int            err;
} rd_t;

static inline int
rd_need(rd_t *r, size_t n) {
  if (r->err) return 0;
  if (r->left < n) { r->err = SOF_GOSSIP_ERR_TRUNCATED; return 0; }
  return 1;
}

static inline void
rd_fail(rd_t *r, int err) {
  if (!r->err) r->err = err;
}

static uint8_t const *
rd_bytes(rd_t *r, size_t n) {
  if (!rd_need(r, n)) return NULL;
  uint8_t const *p = r->p;
  r->p += n;
  r->left -= n;
  return p;
}

static uint8_t
rd_u8(rd_t *r) {
  uint8_t const *p = rd_bytes(r, 1);
  return p ? p[0] : 0;
}

static uint16_t
rd_u16(rd_t *r) {
  uint8_t const *p = rd_bytes(r, 2);
  return p ? (uint16_t)(p[0] | (p[1] << 8)) : 0;
}

static uint32_t
rd_u32(rd_t *r) {
  uint8_t const *p = rd_bytes(r, 4);
  if (!p) return 0;
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

static uint64_t
rd_u64(rd_t *r) {
  uint8_t const *p = rd_bytes(r, 8);
  if (!p) return 0;
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* LEB128 unsigned varint of at most `bits` bits (serde_varint): minimal
 * (no trailing zero byte after the first) and within range. */
static uint64_t
rd_varint(rd_t *r, unsigned bits) {
  uint64_t v = 0;
  for (unsigned shift = 0;; shift += 7) {
    if (shift >= bits) { rd_fail(r, SOF_GOSSIP_ERR_BAD_VARINT); return 0; }
    uint8_t const *p = rd_bytes(r, 1);
    if (!p) return 0;
    uint64_t part = (uint64_t)(p[0] & 0x7FU);
    if (((part << shift) >> shift) != part) { rd_fail(r, SOF_GOSSIP_ERR_BAD_VARINT); return 0; }
    v |= part << shift;
    if (!(p[0] & 0x80U)) {
      if (shift > 0 && p[0] == 0) { rd_fail(r, SOF_GOSSIP_ERR_BAD_VARINT); return 0; } /* not minimal */
      break;
    }
  }
  if (bits < 64 && (v >> bits)) { rd_fail(r, SOF_GOSSIP_ERR_BAD_VARINT); return 0; }
  return v;
}

/* short_vec (compact-u16) length. */
static uint16_t
rd_shortvec(rd_t *r) {
  if (r->err) return 0;
  uint16_t v = 0;
  int n = sof_compact_u16_decode(r->p, r->left, &v);
  if (n < 0) {
    rd_fail(r, n == SOF_TXN_ERR_TRUNCATED ? SOF_GOSSIP_ERR_TRUNCATED : SOF_GOSSIP_ERR_BAD_VARINT);
    return 0;
  }
  r->p += n;
  r->left -= (size_t)n;
  return v;
}

/* A bincode Vec<T> length (u64) whose elements are elem_sz bytes each: the
 * whole vector must fit in the remaining input. */
static uint32_t
rd_vec_len(rd_t *r, size_t elem_sz) {
  uint64_t n = rd_u64(r);
  if (r->err) return 0;
  if (elem_sz && n > r->left / elem_sz) { rd_fail(r, SOF_GOSSIP_ERR_TRUNCATED); return 0; }
  if (!elem_sz && n > r->left) { rd_fail(r, SOF_GOSSIP_ERR_TRUNCATED); return 0; }
  return (uint32_t)n;
}

static int
rd_option(rd_t *r) {
  uint8_t t = rd_u8(r);
  if (t > 1) rd_fail(r, SOF_GOSSIP_ERR_BAD_OPTION);
  return t == 1;
}

static void
chk_wallclock(rd_t *r, uint64_t w) {
  if (w >= SOF_GOSSIP_MAX_WALLCLOCK) rd_fail(r, SOF_GOSSIP_ERR_BAD_WALLCLOCK);
}

static void
chk_slot(rd_t *r, uint64_t s) {
  if (s >= SOF_GOSSIP_MAX_SLOT) rd_fail(r, SOF_GOSSIP_ERR_BAD_SLOT);
}

/* bincode BitVec<Block>: Option<Box<[Block]>> then u64 bit length. */
static void
rd_bitvec(rd_t *r, size_t block_sz, uint8_t const **data, uint32_t *blocks, uint64_t *bit_len) {
  *data = NULL;
  *blocks = 0;
  if (rd_option(r)) {
    *blocks = rd_vec_len(r, block_sz);
    *data = rd_bytes(r, (size_t)*blocks * block_sz);
  }
  *bit_len = rd_u64(r);
  if (!r->err && *bit_len > (uint64_t)*blocks * block_sz * 8U) rd_fail(r, SOF_GOSSIP_ERR_BAD_BITVEC);
}

static void
rd_sockaddr(rd_t *r, sof_gossip_sockaddr_t *a) {
  uint32_t t = rd_u32(r);
  memset(a, 0, sizeof *a);
  if (r->err) return;
  if (t == 0) {
    uint8_t const *p = rd_bytes(r, 4);
    if (p) memcpy(a->ip, p, 4);
  } else if (t == 1) {
    a->is_v6 = 1;
    uint8_t const *p = rd_bytes(r, 16);
    if (p) memcpy(a->ip, p, 16);
  } else {
    rd_fail(r, SOF_GOSSIP_ERR_BAD_ADDR_KIND);
    return;
  }
  a->port = rd_u16(r);
}

/* ---- CRDS kinds ------------------------------------------------------- */

static void
parse_contact_info(rd_t *r, sof_gossip_contact_info_t *ci) {
  ci->pubkey = rd_bytes(r, 32);
  ci->wallclock = rd_varint(r, 64);
  ci->outset = rd_u64(r);
  ci->shred_version = rd_u16(r);
  ci->version.major = (uint16_t)rd_varint(r, 16);
  ci->version.minor = (uint16_t)rd_varint(r, 16);
  ci->version.patch = (uint16_t)rd_varint(r, 16);
  ci->version.commit = rd_u32(r);
  ci->version.feature_set = rd_u32(r);
  ci->version.client = (uint16_t)rd_varint(r, 16);

  uint16_t n = rd_shortvec(r);
  if (r->err) return;
  if (n > SOF_GOSSIP_CI_ADDRS_MAX) { rd_fail(r, SOF_GOSSIP_ERR_TOO_MANY_ENTRIES); return; }
  ci->addr_cnt = (uint8_t)n;
  for (unsigned i = 0; i < n; i++) {
    uint32_t t = rd_u32(r);
    if (r->err) return;
    if (t == 1) { rd_fail(r, SOF_GOSSIP_ERR_IPV6_ADDR); return; }
    if (t != 0) { rd_fail(r, SOF_GOSSIP_ERR_BAD_ADDR_KIND); return; }
    uint8_t const *p = rd_bytes(r, 4);
    if (!p) return;
    memcpy(ci->addrs[i].b, p, 4);
    for (unsigned j = 0; j < i; j++)
      if (!memcmp(ci->addrs[j].b, p, 4)) { rd_fail(r, SOF_GOSSIP_ERR_DUP_ADDR); return; }
  }

  n = rd_shortvec(r);
  if (r->err) return;
  if (n > SOF_GOSSIP_CI_SOCKETS_MAX) { rd_fail(r, SOF_GOSSIP_ERR_TOO_MANY_ENTRIES); return; }
  ci->socket_cnt = (uint8_t)n;
  uint64_t seen[4] = { 0, 0, 0, 0 };
  uint32_t port = 0;
  uint32_t used = 0; /* bit i: addrs[i] referenced */
  for (unsigned i = 0; i < n; i++) {
    sof_gossip_socket_t *s = &ci->sockets[i];
    s->key = rd_u8(r);
    s->index = rd_u8(r);
    s->offset = (uint16_t)rd_varint(r, 16);
    if (r->err) return;
    uint64_t bit = 1ULL << (s->key % 64U);
    if (seen[s->key / 64U] & bit) { rd_fail(r, SOF_GOSSIP_ERR_DUP_SOCKET); return; }
    seen[s->key / 64U] |= bit;
    if (s->index >= ci->addr_cnt) { rd_fail(r, SOF_GOSSIP_ERR_BAD_ADDR_INDEX); return; }
    used |= 1U << s->index;
    port += s->offset;
    if (port > 0xFFFFU) { rd_fail(r, SOF_GOSSIP_ERR_PORT_OVERFLOW); return; }
    s->port = (uint16_t)port;
  }
  if (ci->addr_cnt && used != (ci->addr_cnt == 32 ? 0xFFFFFFFFU : ((1U << ci->addr_cnt) - 1U))) {
    rd_fail(r, SOF_GOSSIP_ERR_UNUSED_ADDR);
    return;
  }

  n = rd_shortvec(r);
  if (r->err) return;
  if (n > SOF_GOSSIP_CI_EXT_MAX) { rd_fail(r, SOF_GOSSIP_ERR_TOO_MANY_ENTRIES); return; }
  ci->ext_cnt = (uint8_t)n;
  for (unsigned i = 0; i < n; i++) {
    ci->ext[i].type = rd_u8(r);
    ci->ext[i].len = rd_shortvec(r);
    ci->ext[i].data = rd_bytes(r, ci->ext[i].len);
  }
  chk_wallclock(r, ci->wallclock);
}

static void
parse_legacy_ci(rd_t *r, sof_gossip_legacy_ci_t *l) {
  l->pubkey = rd_bytes(r, 32);
  for (unsigned i = 0; i < SOF_GOSSIP_LCI_CNT; i++) rd_sockaddr(r, &l->addrs[i]);
  l->wallclock = rd_u64(r);
  l->shred_version = rd_u16(r);
  chk_wallclock(r, l->wallclock);
}

static void
parse_vote(rd_t *r, sof_gossip_vote_t *v) {
  v->index = rd_u8(r);
  v->from = rd_bytes(r, 32);
  if (r->err) return;
  if (v->index >= SOF_GOSSIP_MAX_VOTES) { rd_fail(r, SOF_GOSSIP_ERR_BAD_INDEX); return; }
  sof_txn_t txn;
  size_t used = 0;
  int e = sof_txn_parse(&txn, r->p, r->left, &used);
  if (e != SOF_TXN_OK || txn.version != SOF_TXN_VERSION_LEGACY) {
    rd_fail(r, e == SOF_TXN_ERR_TRUNCATED ? SOF_GOSSIP_ERR_TRUNCATED : SOF_GOSSIP_ERR_BAD_VOTE_TXN);
    return;
  }
  v->txn = rd_bytes(r, used);
  v->txn_sz = (uint32_t)used;
  v->wallclock = rd_u64(r);
  chk_wallclock(r, v->wallclock);
}

static void
parse_lowest_slot(rd_t *r, sof_gossip_lowest_slot_t *l) {
  l->index = rd_u8(r);
  l->from = rd_bytes(r, 32);
  uint64_t root = rd_u64(r);
  l->lowest = rd_u64(r);
  uint64_t slots = rd_u64(r);   /* BTreeSet<Slot> length */
  uint64_t stash = rd_u64(r);   /* Vec length */
  l->wallclock = rd_u64(r);
  if (r->err) return;
  if (l->index != 0) { rd_fail(r, SOF_GOSSIP_ERR_BAD_INDEX); return; }
  if (root || slots || stash) { rd_fail(r, SOF_GOSSIP_ERR_DEPRECATED_FIELD); return; }
  chk_wallclock(r, l->wallclock);
  chk_slot(r, l->lowest);
}

static void
parse_accounts_hashes(rd_t *r, sof_gossip_accounts_hashes_t *a) {
  a->from = rd_bytes(r, 32);
  a->hash_cnt = rd_vec_len(r, 40);
  a->hashes = rd_bytes(r, (size_t)a->hash_cnt * 40U);
  a->wallclock = rd_u64(r);
  chk_wallclock(r, a->wallclock);
  for (uint32_t i = 0; !r->err && i < a->hash_cnt; i++) {
    uint64_t s;
    memcpy(&s, a->hashes + (size_t)i * 40U, 8);
    chk_slot(r, s);
  }
}

/* One CompressedSlots entry; fills *e when non-NULL. */
static void
rd_slots_entry(rd_t *r, sof_gossip_slots_entry_t *e) {
  uint32_t t = rd_u32(r);
  if (r->err) return;
  if (t > 1) { rd_fail(r, SOF_GOSSIP_ERR_BAD_ENUM); return; }
  e->compressed = t == 0;
  e->first_slot = rd_u64(r);
  e->num = rd_u64(r);
  if (t == 0) {
    e->data_sz = rd_vec_len(r, 1);
    e->data = rd_bytes(r, e->data_sz);
    e->bit_len = 0;
  } else {
    rd_bitvec(r, 1, &e->data, &e->data_sz, &e->bit_len);
  }
  chk_slot(r, e->first_slot);
}

static void
parse_epoch_slots(rd_t *r, sof_gossip_epoch_slots_t *es) {
  es->index = rd_u8(r);
  es->from = rd_bytes(r, 32);
  es->entry_cnt = rd_vec_len(r, 28); /* an entry is at least 28 bytes */
  es->entries = r->p;
  uint8_t const *start = r->p;
  for (uint32_t i = 0; !r->err && i < es->entry_cnt; i++) {
    sof_gossip_slots_entry_t e;
    rd_slots_entry(r, &e);
  }
  es->entries_sz = (uint32_t)(r->p - start);
  es->wallclock = rd_u64(r);
  if (r->err) return;
  if (es->index >= SOF_GOSSIP_MAX_EPOCH_SLOTS) { rd_fail(r, SOF_GOSSIP_ERR_BAD_INDEX); return; }
  chk_wallclock(r, es->wallclock);
}

static void
parse_legacy_version(rd_t *r, sof_gossip_legacy_version_t *v, int with_features) {
  v->from = rd_bytes(r, 32);
  v->wallclock = rd_u64(r);
  v->major = rd_u16(r);
  v->minor = rd_u16(r);
  v->patch = rd_u16(r);
  v->has_commit = (uint8_t)rd_option(r);
  v->commit = v->has_commit ? rd_u32(r) : 0;
  v->has_feature_set = (uint8_t)with_features;
  v->feature_set = with_features ? rd_u32(r) : 0;
  chk_wallclock(r, v->wallclock);
}

static void
parse_node_instance(rd_t *r, sof_gossip_node_instance_t *n) {
  n->from = rd_bytes(r, 32);
  n->wallclock = rd_u64(r);
  n->timestamp = rd_u64(r);
  n->token = rd_u64(r);
  chk_wallclock(r, n->wallclock);
}

static void
parse_dup_shred(rd_t *r, sof_gossip_dup_shred_t *d) {
  d->index = rd_u16(r);
  d->from = rd_bytes(r, 32);
  d->wallclock = rd_u64(r);
  d->slot = rd_u64(r);
  d->shred_index = rd_u32(r);
  d->shred_type = rd_u8(r);
  d->num_chunks = rd_u8(r);
  d->chunk_index = rd_u8(r);
  d->chunk_sz = rd_vec_len(r, 1);
  d->chunk = rd_bytes(r, d->chunk_sz);
  if (r->err) return;
  if (d->index >= SOF_GOSSIP_MAX_DUP_SHREDS || d->chunk_index >= d->num_chunks) {
    rd_fail(r, SOF_GOSSIP_ERR_BAD_INDEX);
    return;
  }
  chk_wallclock(r, d->wallclock);
  chk_slot(r, d->slot);
}

static void
parse_snapshot_hashes(rd_t *r, sof_gossip_snapshot_hashes_t *s) {
  s->from = rd_bytes(r, 32);
  s->full_slot = rd_u64(r);
  s->full_hash = rd_bytes(r, 32);
  s->incr_cnt = rd_vec_len(r, 40);
  s->incr = rd_bytes(r, (size_t)s->incr_cnt * 40U);
  s->wallclock = rd_u64(r);
  if (r->err) return;
  chk_wallclock(r, s->wallclock);
  chk_slot(r, s->full_slot);
  for (uint32_t i = 0; !r->err && i < s->incr_cnt; i++) {
    uint64_t slot;
    memcpy(&slot, s->incr + (size_t)i * 40U, 8);
    chk_slot(r, slot);
    if (slot <= s->full_slot) rd_fail(r, SOF_GOSSIP_ERR_BAD_SLOT);
  }
}

static void
parse_restart_slots(rd_t *r, sof_gossip_restart_slots_t *s) {
  s->from = rd_bytes(r, 32);
  s->wallclock = rd_u64(r);
  uint32_t t = rd_u32(r);
  if (r->err) return;
  if (t > 1) { rd_fail(r, SOF_GOSSIP_ERR_BAD_ENUM); return; }
  s->raw = t == 1;
  if (t == 0) {
    uint32_t n = rd_vec_len(r, 2);
    s->bit_len = n;
    s->offsets_sz = n * 2U;
    s->offsets = rd_bytes(r, s->offsets_sz);
  } else {
    rd_bitvec(r, 1, &s->offsets, &s->offsets_sz, &s->bit_len);
  }
  s->last_voted_slot = rd_u64(r);
  s->last_voted_hash = rd_bytes(r, 32);
  s->shred_version = rd_u16(r);
  chk_wallclock(r, s->wallclock);
  chk_slot(r, s->last_voted_slot);
}

static void
parse_restart_fork(rd_t *r, sof_gossip_restart_fork_t *f) {
  f->from = rd_bytes(r, 32);
  f->wallclock = rd_u64(r);
  f->last_slot = rd_u64(r);
  f->last_slot_hash = rd_bytes(r, 32);
  f->observed_stake = rd_u64(r);
  f->shred_version = rd_u16(r);
  chk_wallclock(r, f->wallclock);
  chk_slot(r, f->last_slot);
}

static void
rd_value(rd_t *r, sof_gossip_value_t *v) {
  memset(v, 0, offsetof(sof_gossip_value_t, ci));
  v->signature = rd_bytes(r, 64);
  v->data = r->p;
  uint8_t const *start = r->p;
  v->kind = rd_u32(r);
  if (r->err) return;
  switch (v->kind) {
  case SOF_GOSSIP_CRDS_LEGACY_CONTACT_INFO: parse_legacy_ci(r, &v->legacy_ci); v->deprecated = 1; break;
  case SOF_GOSSIP_CRDS_VOTE:                parse_vote(r, &v->vote); break;
  case SOF_GOSSIP_CRDS_LOWEST_SLOT:         parse_lowest_slot(r, &v->lowest_slot); break;
  case SOF_GOSSIP_CRDS_LEGACY_SNAPSHOT_HASHES:
  case SOF_GOSSIP_CRDS_ACCOUNTS_HASHES:     parse_accounts_hashes(r, &v->accounts_hashes); v->deprecated = 1; break;
  case SOF_GOSSIP_CRDS_EPOCH_SLOTS:         parse_epoch_slots(r, &v->epoch_slots); break;
  case SOF_GOSSIP_CRDS_LEGACY_VERSION:      parse_legacy_version(r, &v->version, 0); v->deprecated = 1; break;
  case SOF_GOSSIP_CRDS_VERSION:             parse_legacy_version(r, &v->version, 1); v->deprecated = 1; break;
  case SOF_GOSSIP_CRDS_NODE_INSTANCE:       parse_node_instance(r, &v->node_instance); v->deprecated = 1; break;
  case SOF_GOSSIP_CRDS_DUPLICATE_SHRED:     parse_dup_shred(r, &v->dup_shred); break;
  case SOF_GOSSIP_CRDS_SNAPSHOT_HASHES:     parse_snapshot_hashes(r, &v->snapshot_hashes); break;
  case SOF_GOSSIP_CRDS_CONTACT_INFO:        parse_contact_info(r, &v->ci); break;
  case SOF_GOSSIP_CRDS_RESTART_LAST_VOTED_FORK: parse_restart_slots(r, &v->restart_slots); v->deprecated = 1; break;
  case SOF_GOSSIP_CRDS_RESTART_HEAVIEST_FORK:   parse_restart_fork(r, &v->restart_fork); v->deprecated = 1; break;
  default: rd_fail(r, SOF_GOSSIP_ERR_BAD_CRDS_KIND); return;
  }
  v->data_sz = (uint32_t)(r->p - start);
}

int
sof_gossip_value_parse(sof_gossip_value_t *out, void const *buf, size_t sz, size_t *consumed) {
  rd_t r = { (uint8_t const *)buf, sz, 0 };
  *consumed = 0;
  rd_value(&r, out);
  if (r.err) return r.err;
  *consumed = sz - r.left;
  return SOF_GOSSIP_OK;
}

static void
rd_values(rd_t *r, sof_gossip_msg_t *m) {
  uint64_t n = rd_u64(r);
  if (r->err) return;
  if (n > SOF_GOSSIP_VALUES_MAX) { rd_fail(r, SOF_GOSSIP_ERR_TOO_MANY_VALUES); return; }
  m->value_cnt = (uint32_t)n;
  for (uint32_t i = 0; i < m->value_cnt && !r->err; i++) {
    rd_value(r, &m->values[i]);
    if (r->err) m->err_value = (int)i;
  }
}

int
sof_gossip_parse(sof_gossip_msg_t *m, void const *buf, size_t sz) {
  if (sz > SOF_GOSSIP_PACKET_MAX) return SOF_GOSSIP_ERR_TOO_LARGE;
  rd_t r = { (uint8_t const *)buf, sz, 0 };
  m->kind = rd_u32(&r);
  m->from = NULL;
  m->value_cnt = 0;
  m->err_value = -1;
  if (r.err) return r.err;
  switch (m->kind) {
  case SOF_GOSSIP_MSG_PULL_REQUEST: {
    sof_gossip_filter_t *f = &m->filter;
    f->key_cnt = rd_vec_len(&r, 8);
    f->keys = rd_bytes(&r, (size_t)f->key_cnt * 8U);
    rd_bitvec(&r, 8, &f->words, &f->word_cnt, &f->bit_len);
    f->num_bits_set = rd_u64(&r);
    f->mask = rd_u64(&r);
    f->mask_bits = rd_u32(&r);
    if (!r.err && f->mask_bits > 64) rd_fail(&r, SOF_GOSSIP_ERR_BAD_MASK_BITS);
    m->value_cnt = 1;
    rd_value(&r, &m->values[0]);
    if (r.err && m->values[0].signature) m->err_value = 0;
    if (!r.err && m->values[0].kind != SOF_GOSSIP_CRDS_CONTACT_INFO) rd_fail(&r, SOF_GOSSIP_ERR_PULL_NOT_CI);
    if (!r.err) m->from = m->values[0].ci.pubkey;
    break;
  }
  case SOF_GOSSIP_MSG_PULL_RESPONSE:
  case SOF_GOSSIP_MSG_PUSH:
    m->from = rd_bytes(&r, 32);
    rd_values(&r, m);
    break;
  case SOF_GOSSIP_MSG_PRUNE: {
    sof_gossip_prune_t *p = &m->prune;
    m->from = p->from = rd_bytes(&r, 32);
    p->pubkey = rd_bytes(&r, 32);
    p->prune_cnt = rd_vec_len(&r, 32);
    p->prunes = rd_bytes(&r, (size_t)p->prune_cnt * 32U);
    p->signature = rd_bytes(&r, 64);
    p->destination = rd_bytes(&r, 32);
    p->wallclock = rd_u64(&r);
    if (r.err) break;
    if (memcmp(p->from, p->pubkey, 32)) rd_fail(&r, SOF_GOSSIP_ERR_PRUNE_MISMATCH);
    chk_wallclock(&r, p->wallclock);
    break;
  }
  case SOF_GOSSIP_MSG_PING:
  case SOF_GOSSIP_MSG_PONG:
    m->from = m->ping.from = rd_bytes(&r, 32);
    m->ping.token = rd_bytes(&r, 32);
    m->ping.signature = rd_bytes(&r, 64);
    break;
  default:
    return SOF_GOSSIP_ERR_BAD_MSG_KIND;
  }
  if (r.err) return r.err;
  if (r.left) return SOF_GOSSIP_ERR_TRAILING;
  return SOF_GOSSIP_OK;
}

/* ---- accessors ---------------------------------------------------------- */

uint8_t const *
sof_gossip_value_origin(sof_gossip_value_t const *v) {
  switch (v->kind) {
  case SOF_GOSSIP_CRDS_LEGACY_CONTACT_INFO: return v->legacy_ci.pubkey;
  case SOF_GOSSIP_CRDS_CONTACT_INFO: return v->ci.pubkey;
  default: /* every other kind starts with its index (some) and `from` */
    switch (v->kind) {
    case SOF_GOSSIP_CRDS_VOTE: return v->vote.from;
    case SOF_GOSSIP_CRDS_LOWEST_SLOT: return v->lowest_slot.from;
    case SOF_GOSSIP_CRDS_LEGACY_SNAPSHOT_HASHES:
    case SOF_GOSSIP_CRDS_ACCOUNTS_HASHES: return v->accounts_hashes.from;
    case SOF_GOSSIP_CRDS_EPOCH_SLOTS: return v->epoch_slots.from;
    case SOF_GOSSIP_CRDS_LEGACY_VERSION:
    case SOF_GOSSIP_CRDS_VERSION: return v->version.from;
    case SOF_GOSSIP_CRDS_NODE_INSTANCE: return v->node_instance.from;
    case SOF_GOSSIP_CRDS_DUPLICATE_SHRED: return v->dup_shred.from;
    case SOF_GOSSIP_CRDS_SNAPSHOT_HASHES: return v->snapshot_hashes.from;
    case SOF_GOSSIP_CRDS_RESTART_LAST_VOTED_FORK: return v->restart_slots.from;
    case SOF_GOSSIP_CRDS_RESTART_HEAVIEST_FORK: return v->restart_fork.from;
    default: return NULL;
    }
  }
}

uint64_t
sof_gossip_value_wallclock(sof_gossip_value_t const *v) {
  switch (v->kind) {
  case SOF_GOSSIP_CRDS_LEGACY_CONTACT_INFO: return v->legacy_ci.wallclock;
  case SOF_GOSSIP_CRDS_CONTACT_INFO: return v->ci.wallclock;
  case SOF_GOSSIP_CRDS_VOTE: return v->vote.wallclock;
  case SOF_GOSSIP_CRDS_LOWEST_SLOT: return v->lowest_slot.wallclock;
  case SOF_GOSSIP_CRDS_LEGACY_SNAPSHOT_HASHES:
  case SOF_GOSSIP_CRDS_ACCOUNTS_HASHES: return v->accounts_hashes.wallclock;
  case SOF_GOSSIP_CRDS_EPOCH_SLOTS: return v->epoch_slots.wallclock;
  case SOF_GOSSIP_CRDS_LEGACY_VERSION:
  case SOF_GOSSIP_CRDS_VERSION: return v->version.wallclock;
  case SOF_GOSSIP_CRDS_NODE_INSTANCE: return v->node_instance.wallclock;
  case SOF_GOSSIP_CRDS_DUPLICATE_SHRED: return v->dup_shred.wallclock;
  case SOF_GOSSIP_CRDS_SNAPSHOT_HASHES: return v->snapshot_hashes.wallclock;
  case SOF_GOSSIP_CRDS_RESTART_LAST_VOTED_FORK: return v->restart_slots.wallclock;
  case SOF_GOSSIP_CRDS_RESTART_HEAVIEST_FORK: return v->restart_fork.wallclock;
  default: return 0;
  }
}

uint16_t
sof_gossip_ci_port(sof_gossip_contact_info_t const *ci, uint8_t key, sof_gossip_ip4_t *ip) {
  for (unsigned i = 0; i < ci->socket_cnt; i++) {
    if (ci->sockets[i].key != key) continue;
    if (ip) *ip = ci->addrs[ci->sockets[i].index];
    return ci->sockets[i].port;
  }
  return 0;
}

int
sof_gossip_epoch_slots_entry(sof_gossip_epoch_slots_t const *es, uint32_t i,
                             sof_gossip_slots_entry_t *out) {
  if (i >= es->entry_cnt) return -1;
  rd_t r = { es->entries, es->entries_sz, 0 };
  for (uint32_t k = 0; k <= i; k++) rd_slots_entry(&r, out);
  return r.err ? -1 : 0;
}

static char const *const err_names[] = {
#define SOF_GOSSIP_ERR_STR_(name, val, str) [-(val)] = str,
  SOF_GOSSIP_ERR_LIST(SOF_GOSSIP_ERR_STR_)
#undef SOF_GOSSIP_ERR_STR_
};

char const *
sof_gossip_err_str(int err) {
  if (err == 0) return "ok";
  if (err < 0 && -err < (int)(sizeof err_names / sizeof err_names[0]) && err_names[-err]) return err_names[-err];
  return "unknown";
}

char const *
sof_gossip_msg_str(uint32_t kind) {
  static char const *const n[] = { "pull_request", "pull_response", "push", "prune", "ping", "pong" };
  return kind < SOF_GOSSIP_MSG_CNT ? n[kind] : "unknown";
}

char const *
sof_gossip_crds_str(uint32_t kind) {
  static char const *const n[] = {
    "legacy_contact_info", "vote", "lowest_slot", "legacy_snapshot_hashes", "accounts_hashes",
    "epoch_slots", "legacy_version", "version", "node_instance", "duplicate_shred",
    "snapshot_hashes", "contact_info", "restart_last_voted_fork_slots", "restart_heaviest_fork",
  };
  return kind < SOF_GOSSIP_CRDS_CNT ? n[kind] : "unknown";
}

char const *
sof_gossip_sock_str(uint8_t key) {
  static char const *const n[] = {
    "gossip", "serve_repair_quic", "rpc", "rpc_pubsub", "serve_repair", "tpu", "tpu_forwards",
    "tpu_forwards_quic", "tpu_quic", "tpu_vote", "tvu", "tvu_quic", "tpu_vote_quic", "alpenglow",
  };
  return key < SOF_GOSSIP_SOCK_KNOWN ? n[key] : NULL;
}
