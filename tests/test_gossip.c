/* test_gossip.c: byte-level tests of lib/gossip.
 *
 * Every message kind and every CrdsData kind is laid out here field by
 * field from the layouts in Agave's gossip crate (protocol.rs,
 * crds_data.rs, contact_info.rs, legacy_contact_info.rs, epoch_slots.rs,
 * duplicate_shred.rs, restart_crds_values.rs, ping_pong.rs, bloom.rs) and
 * docs/gossip.md, with the test's own byte writer (bb_*) and signatures made
 * with libsodium directly: no byte is produced by sof_gossip's encoder
 * unless the test compares the encoder with such hand-made bytes. Then:
 * the decoder yields the fields written; each named rejection fires on the
 * input that breaks its rule; encode -> decode round trips; bloom sizing and
 * masks as Agave computes them. */
#include "sof_test.h"
#include "crypto/sof_ed25519.h"
#include "gossip/sof_gossip.h"
#include "gossip/sof_gossip_bloom.h"
#include "wire/sof_txn.h"

#include <sodium.h>

/* ---- a hand byte writer (little-endian, bincode) ---- */
typedef struct {
  uint8_t b[4096];
  size_t  n;
} bb_t;

static void bb_bytes(bb_t *b, void const *p, size_t n) { memcpy(b->b + b->n, p, n); b->n += n; }
static void bb_fill(bb_t *b, uint8_t v, size_t n) { memset(b->b + b->n, v, n); b->n += n; }
static void bb_u8(bb_t *b, uint8_t v) { b->b[b->n++] = v; }
static void bb_u16(bb_t *b, uint16_t v) { bb_u8(b, (uint8_t)v); bb_u8(b, (uint8_t)(v >> 8)); }
static void bb_u32(bb_t *b, uint32_t v) { for (int i = 0; i < 4; i++) bb_u8(b, (uint8_t)(v >> (8 * i))); }
static void bb_u64(bb_t *b, uint64_t v) { for (int i = 0; i < 8; i++) bb_u8(b, (uint8_t)(v >> (8 * i))); }

static uint8_t g_kp[64];      /* test key pair: seed 0x01.. */
static uint8_t g_kp2[64];

/* A CrdsValue around CrdsData bytes d: signature by kp (libsodium). */
static void
bb_value(bb_t *out, bb_t const *d, uint8_t const kp[64]) {
  uint8_t sig[64];
  crypto_sign_ed25519_detached(sig, NULL, d->b, d->n, kp);
  bb_bytes(out, sig, 64);
  bb_bytes(out, d->b, d->n);
}

static sof_gossip_msg_t g_m;

/* ---- ping / pong ---- */
static void
test_ping_pong(void) {
  /* Ping: tag 4, from, token, signature = 4 + 32 + 32 + 64 bytes. */
  bb_t b = { .n = 0 };
  bb_u32(&b, 4);
  bb_fill(&b, 0x11, 32);
  bb_fill(&b, 0x22, 32);
  bb_fill(&b, 0x33, 64);
  SOF_CHECK_EQ(b.n, 132);
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, b.b, b.n), SOF_GOSSIP_OK);
  SOF_CHECK_EQ(g_m.kind, SOF_GOSSIP_MSG_PING);
  SOF_CHECK(g_m.ping.from == b.b + 4);
  SOF_CHECK(g_m.ping.token == b.b + 36);
  SOF_CHECK(g_m.ping.signature == b.b + 68);
  SOF_CHECK_EQ(sof_gossip_ping_verify(&g_m.ping), SOF_GOSSIP_ERR_BAD_SIGNATURE);
  b.b[0] = 5;
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, b.b, b.n), SOF_GOSSIP_OK);
  SOF_CHECK_EQ(g_m.kind, SOF_GOSSIP_MSG_PONG);
  b.b[0] = 6;
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, b.b, b.n), SOF_GOSSIP_ERR_BAD_MSG_KIND);
  b.b[0] = 4;
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, b.b, b.n - 1), SOF_GOSSIP_ERR_TRUNCATED);

  /* The encoder against hand bytes: the signature is over the token. */
  uint8_t token[32];
  for (int i = 0; i < 32; i++) token[i] = (uint8_t)(0xA0 + i);
  bb_t h = { .n = 0 };
  uint8_t sig[64];
  crypto_sign_ed25519_detached(sig, NULL, token, 32, g_kp);
  bb_u32(&h, 4);
  bb_bytes(&h, g_kp + 32, 32);
  bb_bytes(&h, token, 32);
  bb_bytes(&h, sig, 64);
  uint8_t enc[256];
  int n = sof_gossip_ping_encode(enc, sizeof enc, g_kp, token);
  SOF_CHECK_EQ(n, 132);
  SOF_CHECK_MEM(enc, h.b, 132);
  SOF_CHECK_EQ(sof_gossip_ping_encode(enc, 131, g_kp, token), SOF_GOSSIP_ERR_NO_ROOM);
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, enc, (size_t)n), SOF_GOSSIP_OK);
  SOF_CHECK_EQ(sof_gossip_ping_verify(&g_m.ping), SOF_GOSSIP_OK);
  enc[40] ^= 1; /* a token bit */
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, enc, (size_t)n), SOF_GOSSIP_OK);
  SOF_CHECK_EQ(sof_gossip_ping_verify(&g_m.ping), SOF_GOSSIP_ERR_BAD_SIGNATURE);

  /* Pong: hash = sha256("SOLANA_PING_PONG" || token), signed. */
  uint8_t pre[48], hash[32];
  memcpy(pre, "SOLANA_PING_PONG", 16);
  memcpy(pre + 16, token, 32);
  crypto_hash_sha256(hash, pre, 48);
  uint8_t got[32];
  sof_gossip_pong_hash(got, token);
  SOF_CHECK_MEM(got, hash, 32);
  crypto_sign_ed25519_detached(sig, NULL, hash, 32, g_kp2);
  h.n = 0;
  bb_u32(&h, 5);
  bb_bytes(&h, g_kp2 + 32, 32);
  bb_bytes(&h, hash, 32);
  bb_bytes(&h, sig, 64);
  n = sof_gossip_pong_encode(enc, sizeof enc, g_kp2, token);
  SOF_CHECK_EQ(n, 132);
  SOF_CHECK_MEM(enc, h.b, 132);
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, enc, (size_t)n), SOF_GOSSIP_OK);
  SOF_CHECK_EQ(g_m.kind, SOF_GOSSIP_MSG_PONG);
  SOF_CHECK_MEM(g_m.ping.token, hash, 32);
  SOF_CHECK_EQ(sof_gossip_pong_verify(&g_m.ping), SOF_GOSSIP_OK);
}

/* ---- hand-built CrdsData of every kind ---- */

/* ContactInfo: pubkey, varint wallclock, outset, shred version, version,
 * 2 addresses, 3 sockets, 1 extension. */
static void
d_contact_info(bb_t *d, uint8_t const pk[32]) {
  bb_u32(d, 11);
  bb_bytes(d, pk, 32);
  bb_u8(d, 0x80 | 0x15); bb_u8(d, 0x81); bb_u8(d, 0x02);  /* wallclock 0x15 + (1 << 7) + (2 << 14) = 32917 */
  bb_u64(d, 0x0102030405060708ULL);                       /* outset */
  bb_u16(d, 4242);                                        /* shred version */
  bb_u8(d, 2); bb_u8(d, 0x80 | 0x03); bb_u8(d, 0x01);     /* major 2, minor 131 */
  bb_u8(d, 7);                                            /* patch */
  bb_u32(d, 0xdeadbeef); bb_u32(d, 0x12345678);           /* commit, feature_set */
  bb_u8(d, 3);                                            /* client (Agave) */
  bb_u8(d, 2);                                            /* addrs: short_vec 2 */
  bb_u32(d, 0); bb_u8(d, 10); bb_u8(d, 0); bb_u8(d, 0); bb_u8(d, 1);
  bb_u32(d, 0); bb_u8(d, 192); bb_u8(d, 168); bb_u8(d, 1); bb_u8(d, 9);
  bb_u8(d, 3);                                            /* sockets */
  bb_u8(d, 0);  bb_u8(d, 0); bb_u8(d, 0xC0); bb_u8(d, 0x3E); /* gossip 10.0.0.1:8000 */
  bb_u8(d, 10); bb_u8(d, 1); bb_u8(d, 0x02);              /* tvu 192.168.1.9:8002 */
  bb_u8(d, 42); bb_u8(d, 0); bb_u8(d, 0x00);              /* unknown key 42 10.0.0.1:8002 */
  bb_u8(d, 1);                                            /* extensions */
  bb_u8(d, 7); bb_u8(d, 3); bb_u8(d, 'a'); bb_u8(d, 'b'); bb_u8(d, 'c');
}

static void
d_legacy_ci(bb_t *d, uint8_t const pk[32]) {
  bb_u32(d, 0);
  bb_bytes(d, pk, 32);
  for (int i = 0; i < 10; i++) {
    if (i == 3) {            /* repair: an IPv6 address */
      bb_u32(d, 1);
      bb_fill(d, 0xfe, 16);
      bb_u16(d, 9000);
    } else {
      bb_u32(d, 0);
      bb_u8(d, 127); bb_u8(d, 0); bb_u8(d, 0); bb_u8(d, (uint8_t)(i + 1));
      bb_u16(d, (uint16_t)(8000 + i));
    }
  }
  bb_u64(d, 1700000000000ULL);
  bb_u16(d, 777);
}

/* A minimal legacy transaction: 1 signature, header (1,0,1), 2 keys,
 * blockhash, 1 instruction (program 1, account 0, data ff). */
static void
bb_txn(bb_t *d) {
  bb_u8(d, 1);
  bb_fill(d, 0x5A, 64);
  bb_u8(d, 1); bb_u8(d, 0); bb_u8(d, 1);
  bb_u8(d, 2);
  bb_fill(d, 0x21, 32);
  bb_bytes(d, sof_txn_vote_program_id, 32);
  bb_fill(d, 0x77, 32);
  bb_u8(d, 1);
  bb_u8(d, 1);
  bb_u8(d, 1); bb_u8(d, 0);
  bb_u8(d, 1); bb_u8(d, 0xff);
}
#define TXN_SZ (1 + 64 + 3 + 1 + 64 + 32 + 1 + 1 + 2 + 2)

static void
d_vote(bb_t *d, uint8_t const pk[32], uint8_t index) {
  bb_u32(d, 1);
  bb_u8(d, index);
  bb_bytes(d, pk, 32);
  bb_txn(d);
  bb_u64(d, 1700000000001ULL);
}

static void
d_lowest_slot(bb_t *d, uint8_t const pk[32], uint8_t index, uint64_t root) {
  bb_u32(d, 2);
  bb_u8(d, index);
  bb_bytes(d, pk, 32);
  bb_u64(d, root);
  bb_u64(d, 250000000);
  bb_u64(d, 0); /* slots */
  bb_u64(d, 0); /* stash */
  bb_u64(d, 1700000000002ULL);
}

static void
d_accounts_hashes(bb_t *d, uint8_t const pk[32], uint32_t tag) {
  bb_u32(d, tag);
  bb_bytes(d, pk, 32);
  bb_u64(d, 2);
  bb_u64(d, 100); bb_fill(d, 0xA1, 32);
  bb_u64(d, 200); bb_fill(d, 0xA2, 32);
  bb_u64(d, 1700000000003ULL);
}

static void
d_epoch_slots(bb_t *d, uint8_t const pk[32], uint8_t index) {
  bb_u32(d, 5);
  bb_u8(d, index);
  bb_bytes(d, pk, 32);
  bb_u64(d, 2);
  bb_u32(d, 0); bb_u64(d, 1000); bb_u64(d, 50); bb_u64(d, 3); bb_u8(d, 0x78); bb_u8(d, 0x9c); bb_u8(d, 0x03);
  bb_u32(d, 1); bb_u64(d, 2000); bb_u64(d, 16); bb_u8(d, 1); bb_u64(d, 2); bb_u8(d, 0xF0); bb_u8(d, 0x0F); bb_u64(d, 16);
  bb_u64(d, 1700000000004ULL);
}

static void
d_version(bb_t *d, uint8_t const pk[32], int with_features) {
  bb_u32(d, with_features ? 7 : 6);
  bb_bytes(d, pk, 32);
  bb_u64(d, 1700000000005ULL);
  bb_u16(d, 1); bb_u16(d, 18); bb_u16(d, 22);
  bb_u8(d, 1); bb_u32(d, 0xcafef00d);
  if (with_features) bb_u32(d, 0x0badf00d);
}

static void
d_node_instance(bb_t *d, uint8_t const pk[32]) {
  bb_u32(d, 8);
  bb_bytes(d, pk, 32);
  bb_u64(d, 1700000000006ULL);
  bb_u64(d, 1699999999999ULL);
  bb_u64(d, 0x1122334455667788ULL);
}

static void
d_dup_shred(bb_t *d, uint8_t const pk[32], uint16_t index) {
  bb_u32(d, 9);
  bb_u16(d, index);
  bb_bytes(d, pk, 32);
  bb_u64(d, 1700000000007ULL);
  bb_u64(d, 123456);
  bb_u32(d, 77);
  bb_u8(d, 0xA5);
  bb_u8(d, 3); bb_u8(d, 1);
  bb_u64(d, 5); bb_fill(d, 0xD5, 5);
}

static void
d_snapshot_hashes(bb_t *d, uint8_t const pk[32], uint64_t incr0) {
  bb_u32(d, 10);
  bb_bytes(d, pk, 32);
  bb_u64(d, 5000); bb_fill(d, 0xF1, 32);
  bb_u64(d, 2);
  bb_u64(d, incr0); bb_fill(d, 0xF2, 32);
  bb_u64(d, 5200); bb_fill(d, 0xF3, 32);
  bb_u64(d, 1700000000008ULL);
}

static void
d_restart_slots(bb_t *d, uint8_t const pk[32], int raw) {
  bb_u32(d, 12);
  bb_bytes(d, pk, 32);
  bb_u64(d, 1700000000009ULL);
  if (raw) {
    bb_u32(d, 1); bb_u8(d, 1); bb_u64(d, 1); bb_u8(d, 0x81); bb_u64(d, 8);
  } else {
    bb_u32(d, 0); bb_u64(d, 3); bb_u16(d, 1); bb_u16(d, 2); bb_u16(d, 3);
  }
  bb_u64(d, 9999);
  bb_fill(d, 0xC1, 32);
  bb_u16(d, 4242);
}

static void
d_restart_fork(bb_t *d, uint8_t const pk[32]) {
  bb_u32(d, 13);
  bb_bytes(d, pk, 32);
  bb_u64(d, 1700000000010ULL);
  bb_u64(d, 8888);
  bb_fill(d, 0xC2, 32);
  bb_u64(d, 123456789);
  bb_u16(d, 4242);
}

/* A PushMessage (tag 2) or PullResponse (tag 1) around the values. */
static void
bb_msg(bb_t *m, uint32_t tag, uint8_t const from[32], bb_t *const *datas, unsigned cnt, uint8_t const kp[64]) {
  m->n = 0;
  bb_u32(m, tag);
  bb_bytes(m, from, 32);
  bb_u64(m, cnt);
  for (unsigned i = 0; i < cnt; i++) bb_value(m, datas[i], kp);
}

static void
check_values_common(sof_gossip_msg_t const *m, bb_t *const *datas, unsigned cnt, uint8_t const *pk) {
  SOF_CHECK_EQ(m->value_cnt, cnt);
  for (unsigned i = 0; i < cnt && i < m->value_cnt; i++) {
    sof_gossip_value_t const *v = &m->values[i];
    SOF_CHECK_EQ(v->data_sz, datas[i]->n);
    SOF_CHECK_MEM(v->data, datas[i]->b, datas[i]->n);
    SOF_CHECK_MEM(sof_gossip_value_origin(v), pk, 32);
    SOF_CHECK_EQ(sof_gossip_value_verify(v), SOF_GOSSIP_OK);
    /* the value's hash: sha256(signature || data) */
    uint8_t h1[32], h2[32];
    crypto_hash_sha256(h1, v->signature, 64 + v->data_sz);
    sof_gossip_value_hash(h2, v);
    SOF_CHECK_MEM(h1, h2, 32);
  }
}

static void
test_crds_kinds(void) {
  uint8_t const *pk = g_kp + 32;
  static bb_t d[16];
  for (int i = 0; i < 16; i++) d[i].n = 0;
  d_contact_info(&d[0], pk);
  d_legacy_ci(&d[1], pk);
  d_vote(&d[2], pk, 31);
  d_lowest_slot(&d[3], pk, 0, 0);
  d_accounts_hashes(&d[4], pk, 3);
  d_accounts_hashes(&d[5], pk, 4);
  d_epoch_slots(&d[6], pk, 254);
  d_version(&d[7], pk, 0);
  d_version(&d[8], pk, 1);
  d_node_instance(&d[9], pk);
  d_dup_shred(&d[10], pk, 511);
  d_snapshot_hashes(&d[11], pk, 5100);
  d_restart_slots(&d[12], pk, 0);
  d_restart_slots(&d[13], pk, 1);
  d_restart_fork(&d[14], pk);
  bb_t *first[4] = { &d[0], &d[1], &d[2], &d[3] };
  bb_t *second[5] = { &d[4], &d[5], &d[6], &d[7], &d[8] };
  bb_t *third[6] = { &d[9], &d[10], &d[11], &d[12], &d[13], &d[14] };
  static bb_t m;
  uint8_t from[32];
  memset(from, 0xEE, 32);

  bb_msg(&m, 2, from, first, 4, g_kp);
  SOF_CHECK(m.n <= SOF_GOSSIP_PACKET_MAX);
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, m.b, m.n), SOF_GOSSIP_OK);
  SOF_CHECK_EQ(g_m.kind, SOF_GOSSIP_MSG_PUSH);
  SOF_CHECK_MEM(g_m.from, from, 32);
  check_values_common(&g_m, first, 4, pk);
  sof_gossip_value_t const *v = g_m.values;

  /* ContactInfo */
  sof_gossip_contact_info_t const *ci = &v[0].ci;
  SOF_CHECK_EQ(v[0].kind, SOF_GOSSIP_CRDS_CONTACT_INFO);
  SOF_CHECK_EQ(v[0].deprecated, 0);
  SOF_CHECK_EQ(ci->wallclock, 32917);
  SOF_CHECK_EQ(ci->outset, 0x0102030405060708ULL);
  SOF_CHECK_EQ(ci->shred_version, 4242);
  SOF_CHECK_EQ(ci->version.major, 2);
  SOF_CHECK_EQ(ci->version.minor, 131);
  SOF_CHECK_EQ(ci->version.patch, 7);
  SOF_CHECK_EQ(ci->version.commit, 0xdeadbeefU);
  SOF_CHECK_EQ(ci->version.feature_set, 0x12345678U);
  SOF_CHECK_EQ(ci->version.client, 3);
  SOF_CHECK_EQ(ci->addr_cnt, 2);
  SOF_CHECK_EQ(ci->addrs[1].b[0], 192);
  SOF_CHECK_EQ(ci->socket_cnt, 3);
  SOF_CHECK_EQ(ci->sockets[0].port, 8000);
  SOF_CHECK_EQ(ci->sockets[1].port, 8002);
  SOF_CHECK_EQ(ci->sockets[1].key, 10);
  SOF_CHECK_EQ(ci->sockets[1].index, 1);
  SOF_CHECK_EQ(ci->sockets[2].key, 42);
  SOF_CHECK_EQ(ci->sockets[2].port, 8002);
  sof_gossip_ip4_t ip;
  SOF_CHECK_EQ(sof_gossip_ci_port(ci, SOF_GOSSIP_SOCK_TVU, &ip), 8002);
  SOF_CHECK_EQ(ip.b[3], 9);
  SOF_CHECK_EQ(ci->ext_cnt, 1);
  SOF_CHECK_EQ(ci->ext[0].type, 7);
  SOF_CHECK_EQ(ci->ext[0].len, 3);
  SOF_CHECK(ci->ext[0].data && !memcmp(ci->ext[0].data, "abc", 3));

  /* LegacyContactInfo */
  SOF_CHECK_EQ(v[1].kind, SOF_GOSSIP_CRDS_LEGACY_CONTACT_INFO);
  SOF_CHECK_EQ(v[1].deprecated, 1);
  SOF_CHECK_EQ(v[1].legacy_ci.addrs[SOF_GOSSIP_LCI_TVU].port, 8001);
  SOF_CHECK_EQ(v[1].legacy_ci.addrs[SOF_GOSSIP_LCI_TVU].ip[3], 2);
  SOF_CHECK_EQ(v[1].legacy_ci.addrs[SOF_GOSSIP_LCI_REPAIR].is_v6, 1);
  SOF_CHECK_EQ(v[1].legacy_ci.addrs[SOF_GOSSIP_LCI_REPAIR].port, 9000);
  SOF_CHECK_EQ(v[1].legacy_ci.addrs[SOF_GOSSIP_LCI_SERVE_REPAIR].port, 8009);
  SOF_CHECK_EQ(v[1].legacy_ci.wallclock, 1700000000000ULL);
  SOF_CHECK_EQ(v[1].legacy_ci.shred_version, 777);

  /* Vote */
  SOF_CHECK_EQ(v[2].kind, SOF_GOSSIP_CRDS_VOTE);
  SOF_CHECK_EQ(v[2].vote.index, 31);
  SOF_CHECK_EQ(v[2].vote.txn_sz, TXN_SZ);
  SOF_CHECK(v[2].vote.txn == v[2].data + 4 + 1 + 32);
  SOF_CHECK_EQ(v[2].vote.wallclock, 1700000000001ULL);
  sof_txn_t t;
  SOF_CHECK_EQ(sof_txn_parse(&t, v[2].vote.txn, v[2].vote.txn_sz, NULL), SOF_TXN_OK);
  SOF_CHECK_EQ(t.simple_vote, 1);

  /* LowestSlot */
  SOF_CHECK_EQ(v[3].lowest_slot.lowest, 250000000);
  SOF_CHECK_EQ(v[3].lowest_slot.wallclock, 1700000000002ULL);

  bb_msg(&m, 2, from, second, 5, g_kp);
  SOF_CHECK(m.n <= SOF_GOSSIP_PACKET_MAX);
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, m.b, m.n), SOF_GOSSIP_OK);
  check_values_common(&g_m, second, 5, pk);
  /* AccountsHashes (legacy snapshot hashes and accounts hashes) */
  for (int k = 0; k <= 1; k++) {
    SOF_CHECK_EQ(v[k].kind, (uint32_t)(k + 3));
    SOF_CHECK_EQ(v[k].deprecated, 1);
    SOF_CHECK_EQ(v[k].accounts_hashes.hash_cnt, 2);
    SOF_CHECK_EQ(v[k].accounts_hashes.hashes[40], 200);
    SOF_CHECK_EQ(v[k].accounts_hashes.hashes[48], 0xA2);
    SOF_CHECK_EQ(v[k].accounts_hashes.wallclock, 1700000000003ULL);
  }
  /* EpochSlots */
  SOF_CHECK_EQ(v[2].epoch_slots.index, 254);
  SOF_CHECK_EQ(v[2].epoch_slots.entry_cnt, 2);
  SOF_CHECK_EQ(v[2].epoch_slots.wallclock, 1700000000004ULL);
  sof_gossip_slots_entry_t e;
  SOF_CHECK_EQ(sof_gossip_epoch_slots_entry(&v[2].epoch_slots, 0, &e), 0);
  SOF_CHECK_EQ(e.compressed, 1);
  SOF_CHECK_EQ(e.first_slot, 1000);
  SOF_CHECK_EQ(e.num, 50);
  SOF_CHECK_EQ(e.data_sz, 3);
  SOF_CHECK_EQ(sof_gossip_epoch_slots_entry(&v[2].epoch_slots, 1, &e), 0);
  SOF_CHECK_EQ(e.compressed, 0);
  SOF_CHECK_EQ(e.first_slot, 2000);
  SOF_CHECK_EQ(e.num, 16);
  SOF_CHECK_EQ(e.data_sz, 2);
  SOF_CHECK_EQ(e.bit_len, 16);
  SOF_CHECK_EQ(e.data[0], 0xF0);
  SOF_CHECK_EQ(sof_gossip_epoch_slots_entry(&v[2].epoch_slots, 2, &e), -1);

  /* LegacyVersion / Version */
  SOF_CHECK_EQ(v[3].version.minor, 18);
  SOF_CHECK_EQ(v[3].version.patch, 22);
  SOF_CHECK_EQ(v[3].version.has_commit, 1);
  SOF_CHECK_EQ(v[3].version.commit, 0xcafef00dU);
  SOF_CHECK_EQ(v[3].version.has_feature_set, 0);
  SOF_CHECK_EQ(v[4].version.feature_set, 0x0badf00dU);
  SOF_CHECK_EQ(v[4].version.wallclock, 1700000000005ULL);

  bb_msg(&m, 1, from, third, 6, g_kp);
  SOF_CHECK(m.n <= SOF_GOSSIP_PACKET_MAX);
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, m.b, m.n), SOF_GOSSIP_OK);
  SOF_CHECK_EQ(g_m.kind, SOF_GOSSIP_MSG_PULL_RESPONSE);
  check_values_common(&g_m, third, 6, pk);
  /* NodeInstance */
  SOF_CHECK_EQ(v[0].node_instance.timestamp, 1699999999999ULL);
  SOF_CHECK_EQ(v[0].node_instance.token, 0x1122334455667788ULL);
  /* DuplicateShred */
  SOF_CHECK_EQ(v[1].dup_shred.index, 511);
  SOF_CHECK_EQ(v[1].dup_shred.slot, 123456);
  SOF_CHECK_EQ(v[1].dup_shred.shred_index, 77);
  SOF_CHECK_EQ(v[1].dup_shred.shred_type, 0xA5);
  SOF_CHECK_EQ(v[1].dup_shred.num_chunks, 3);
  SOF_CHECK_EQ(v[1].dup_shred.chunk_index, 1);
  SOF_CHECK_EQ(v[1].dup_shred.chunk_sz, 5);
  SOF_CHECK_EQ(v[1].dup_shred.chunk[4], 0xD5);
  /* SnapshotHashes */
  SOF_CHECK_EQ(v[2].snapshot_hashes.full_slot, 5000);
  SOF_CHECK_EQ(v[2].snapshot_hashes.full_hash[0], 0xF1);
  SOF_CHECK_EQ(v[2].snapshot_hashes.incr_cnt, 2);
  SOF_CHECK_EQ(v[2].snapshot_hashes.incr[40], (uint8_t)(5200 & 0xFF));
  SOF_CHECK_EQ(v[2].snapshot_hashes.wallclock, 1700000000008ULL);
  /* Restart values */
  SOF_CHECK_EQ(v[3].restart_slots.raw, 0);
  SOF_CHECK_EQ(v[3].restart_slots.bit_len, 3);
  SOF_CHECK_EQ(v[3].restart_slots.offsets_sz, 6);
  SOF_CHECK_EQ(v[3].restart_slots.last_voted_slot, 9999);
  SOF_CHECK_EQ(v[3].restart_slots.shred_version, 4242);
  SOF_CHECK_EQ(v[4].restart_slots.raw, 1);
  SOF_CHECK_EQ(v[4].restart_slots.bit_len, 8);
  SOF_CHECK_EQ(v[4].restart_slots.offsets[0], 0x81);
  SOF_CHECK_EQ(v[5].restart_fork.last_slot, 8888);
  SOF_CHECK_EQ(v[5].restart_fork.observed_stake, 123456789);
  SOF_CHECK_EQ(v[5].restart_fork.shred_version, 4242);

  /* A value signed by another key does not verify for this origin. */
  bb_t *one[1] = { &d[9] };
  bb_msg(&m, 2, from, one, 1, g_kp2);
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, m.b, m.n), SOF_GOSSIP_OK);
  SOF_CHECK_EQ(sof_gossip_value_verify(&g_m.values[0]), SOF_GOSSIP_ERR_BAD_SIGNATURE);

  /* Every truncation of every value is rejected (never past the buffer). */
  unsigned wrong = 0;
  for (int k = 0; k < 15; k++) {
    bb_t *single[1] = { &d[k] };
    bb_msg(&m, 2, from, single, 1, g_kp);
    for (size_t cut = 0; cut < m.n; cut++)
      if (sof_gossip_parse(&g_m, m.b, cut) != SOF_GOSSIP_ERR_TRUNCATED) wrong++;
    SOF_CHECK_EQ(sof_gossip_parse(&g_m, m.b, m.n), SOF_GOSSIP_OK);
  }
  SOF_CHECK_EQ(wrong, 0);
}

/* One value (CrdsData d) in a push, parsed: the reason code. */
static int
push_one(bb_t const *d) {
  static bb_t m;
  m.n = 0;
  bb_u32(&m, 2);
  bb_fill(&m, 0xEE, 32);
  bb_u64(&m, 1);
  bb_value(&m, d, g_kp);
  return sof_gossip_parse(&g_m, m.b, m.n);
}

/* A ContactInfo with the given addrs / sockets sections (raw bytes). */
static int
ci_with(uint8_t const *addrs, size_t an, uint8_t const *socks, size_t sn, uint64_t wallclock_byte) {
  bb_t d = { .n = 0 };
  bb_u32(&d, 11);
  bb_bytes(&d, g_kp + 32, 32);
  bb_u8(&d, (uint8_t)wallclock_byte);
  bb_u64(&d, 0);
  bb_u16(&d, 1);
  bb_u8(&d, 0); bb_u8(&d, 0); bb_u8(&d, 0); bb_u32(&d, 0); bb_u32(&d, 0); bb_u8(&d, 0);
  bb_bytes(&d, addrs, an);
  bb_bytes(&d, socks, sn);
  bb_u8(&d, 0);
  return push_one(&d);
}

static void
test_rejections(void) {
  uint8_t const *pk = g_kp + 32;
  bb_t d = { .n = 0 };

  /* ContactInfo rules */
  static uint8_t const a1[] = { 1, 0, 0, 0, 0, 10, 0, 0, 1 };
  static uint8_t const a6[] = { 1, 1, 0, 0, 0, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
  static uint8_t const a2dup[] = { 2, 0, 0, 0, 0, 10, 0, 0, 1, 0, 0, 0, 0, 10, 0, 0, 1 };
  static uint8_t const a2[] = { 2, 0, 0, 0, 0, 10, 0, 0, 1, 0, 0, 0, 0, 10, 0, 0, 2 };
  static uint8_t const abad[] = { 1, 2, 0, 0, 0, 10, 0, 0, 1 };
  static uint8_t const s1[] = { 1, 0, 0, 0x40 };
  static uint8_t const sdup[] = { 2, 10, 0, 0x40, 10, 0, 0x01 };
  static uint8_t const sidx[] = { 1, 0, 1, 0x40 };
  static uint8_t const sovf[] = { 2, 0, 0, 0xff, 0xff, 0x03, 1, 0, 0x01 };
  static uint8_t const slong[] = { 1, 0, 0, 0x80, 0x00 };
  static uint8_t const sbig[] = { 1, 0, 0, 0x80, 0x80, 0x04 };
  SOF_CHECK_EQ(ci_with(a1, sizeof a1, s1, sizeof s1, 5), SOF_GOSSIP_OK);
  SOF_CHECK_EQ(ci_with(a6, sizeof a6, s1, sizeof s1, 5), SOF_GOSSIP_ERR_IPV6_ADDR);
  SOF_CHECK_EQ(ci_with(abad, sizeof abad, s1, sizeof s1, 5), SOF_GOSSIP_ERR_BAD_ADDR_KIND);
  SOF_CHECK_EQ(ci_with(a2dup, sizeof a2dup, s1, sizeof s1, 5), SOF_GOSSIP_ERR_DUP_ADDR);
  SOF_CHECK_EQ(ci_with(a1, sizeof a1, sdup, sizeof sdup, 5), SOF_GOSSIP_ERR_DUP_SOCKET);
  SOF_CHECK_EQ(ci_with(a1, sizeof a1, sidx, sizeof sidx, 5), SOF_GOSSIP_ERR_BAD_ADDR_INDEX);
  SOF_CHECK_EQ(ci_with(a2, sizeof a2, s1, sizeof s1, 5), SOF_GOSSIP_ERR_UNUSED_ADDR);
  SOF_CHECK_EQ(ci_with(a1, sizeof a1, sovf, sizeof sovf, 5), SOF_GOSSIP_ERR_PORT_OVERFLOW);
  SOF_CHECK_EQ(ci_with(a1, sizeof a1, slong, sizeof slong, 5), SOF_GOSSIP_ERR_BAD_VARINT);
  SOF_CHECK_EQ(ci_with(a1, sizeof a1, sbig, sizeof sbig, 5), SOF_GOSSIP_ERR_BAD_VARINT);
  uint8_t many[1 + 17 * 8];
  many[0] = 17;
  for (int i = 0; i < 17; i++) {
    uint8_t e[8] = { 0, 0, 0, 0, 10, 0, 1, (uint8_t)i };
    memcpy(many + 1 + 8 * i, e, 8);
  }
  SOF_CHECK_EQ(ci_with(many, sizeof many, s1, sizeof s1, 5), SOF_GOSSIP_ERR_TOO_MANY_ENTRIES);
  SOF_CHECK(g_m.err_value == 0);

  /* Wallclock >= 10^15 (as a LEB128 varint in a ContactInfo, fixed u64 elsewhere). */
  d.n = 0;
  d_node_instance(&d, pk);
  memcpy(d.b + 36, &(uint64_t){ SOF_GOSSIP_MAX_WALLCLOCK }, 8);
  SOF_CHECK_EQ(push_one(&d), SOF_GOSSIP_ERR_BAD_WALLCLOCK);
  memcpy(d.b + 36, &(uint64_t){ SOF_GOSSIP_MAX_WALLCLOCK - 1 }, 8);
  SOF_CHECK_EQ(push_one(&d), SOF_GOSSIP_OK);

  /* CRDS indices */
  d.n = 0; d_vote(&d, pk, 32);
  SOF_CHECK_EQ(push_one(&d), SOF_GOSSIP_ERR_BAD_INDEX);
  d.n = 0; d_lowest_slot(&d, pk, 1, 0);
  SOF_CHECK_EQ(push_one(&d), SOF_GOSSIP_ERR_BAD_INDEX);
  d.n = 0; d_lowest_slot(&d, pk, 0, 5);
  SOF_CHECK_EQ(push_one(&d), SOF_GOSSIP_ERR_DEPRECATED_FIELD);
  d.n = 0; d_epoch_slots(&d, pk, 255);
  SOF_CHECK_EQ(push_one(&d), SOF_GOSSIP_ERR_BAD_INDEX);
  d.n = 0; d_dup_shred(&d, pk, 512);
  SOF_CHECK_EQ(push_one(&d), SOF_GOSSIP_ERR_BAD_INDEX);
  d.n = 0; d_snapshot_hashes(&d, pk, 5000);
  SOF_CHECK_EQ(push_one(&d), SOF_GOSSIP_ERR_BAD_SLOT);
  d.n = 0; d_snapshot_hashes(&d, pk, SOF_GOSSIP_MAX_SLOT);
  SOF_CHECK_EQ(push_one(&d), SOF_GOSSIP_ERR_BAD_SLOT);

  /* Enums and options */
  d.n = 0; d_epoch_slots(&d, pk, 1);
  d.b[4 + 1 + 32 + 8] = 2; /* first CompressedSlots tag */
  SOF_CHECK_EQ(push_one(&d), SOF_GOSSIP_ERR_BAD_ENUM);
  d.n = 0; d_version(&d, pk, 1);
  d.b[4 + 32 + 8 + 6] = 2; /* Option<commit> tag */
  SOF_CHECK_EQ(push_one(&d), SOF_GOSSIP_ERR_BAD_OPTION);
  d.n = 0; d_legacy_ci(&d, pk);
  d.b[4 + 32] = 2; /* SocketAddr tag */
  SOF_CHECK_EQ(push_one(&d), SOF_GOSSIP_ERR_BAD_ADDR_KIND);
  d.n = 0; d_restart_slots(&d, pk, 1);
  d.b[4 + 32 + 8 + 4 + 1 + 8 + 1] = 9; /* bit length 9 > 8 stored bits */
  SOF_CHECK_EQ(push_one(&d), SOF_GOSSIP_ERR_BAD_BITVEC);

  /* A vote whose transaction is a v0 message. */
  d.n = 0; d_vote(&d, pk, 0);
  memmove(d.b + 4 + 1 + 32 + 65 + 1, d.b + 4 + 1 + 32 + 65, d.n - (4 + 1 + 32 + 65));
  d.b[4 + 1 + 32 + 65] = 0x80;
  d.n++;
  memmove(d.b + d.n - 8 + 1, d.b + d.n - 8, 8); /* room for the empty lookup table list */
  d.b[d.n - 8] = 0;
  d.n++;
  SOF_CHECK_EQ(push_one(&d), SOF_GOSSIP_ERR_BAD_VOTE_TXN);

  /* Unknown CRDS kind. */
  d.n = 0; d_node_instance(&d, pk);
  d.b[0] = 14;
  SOF_CHECK_EQ(push_one(&d), SOF_GOSSIP_ERR_BAD_CRDS_KIND);

  /* Too many values; too large; trailing. */
  static bb_t m;
  m.n = 0;
  bb_u32(&m, 1);
  bb_fill(&m, 0, 32);
  bb_u64(&m, 17);
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, m.b, m.n), SOF_GOSSIP_ERR_TOO_MANY_VALUES);
  m.n = 0;
  bb_u32(&m, 1);
  bb_fill(&m, 0, 32);
  bb_u64(&m, 0);
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, m.b, m.n), SOF_GOSSIP_OK);
  SOF_CHECK_EQ(g_m.value_cnt, 0);
  bb_u8(&m, 0);
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, m.b, m.n), SOF_GOSSIP_ERR_TRAILING);
  bb_fill(&m, 0, 1300);
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, m.b, m.n), SOF_GOSSIP_ERR_TOO_LARGE);
  /* A Vec length past the input. */
  m.n = 0;
  bb_u32(&m, 3);
  bb_fill(&m, 1, 64);
  bb_u64(&m, 0xFFFFFFFFFFFFFFFFULL);
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, m.b, m.n), SOF_GOSSIP_ERR_TRUNCATED);

  /* Every name is distinct and known. */
  for (int e = 1; e <= SOF_GOSSIP_ERR_CNT; e++) {
    SOF_CHECK(strcmp(sof_gossip_err_str(-e), "unknown") != 0);
    for (int f = 1; f < e; f++) SOF_CHECK(strcmp(sof_gossip_err_str(-e), sof_gossip_err_str(-f)) != 0);
  }
  SOF_CHECK_STR(sof_gossip_err_str(-(SOF_GOSSIP_ERR_CNT + 1)), "unknown");
  SOF_CHECK_STR(sof_gossip_crds_str(11), "contact_info");
  SOF_CHECK_STR(sof_gossip_msg_str(3), "prune");
  SOF_CHECK_STR(sof_gossip_sock_str(10), "tvu");
}

/* ---- pull request ---- */
static void
test_pull_request(void) {
  bb_t ci = { .n = 0 };
  d_contact_info(&ci, g_kp + 32);
  static bb_t m;
  m.n = 0;
  bb_u32(&m, 0);
  bb_u64(&m, 2); bb_u64(&m, 0x1111); bb_u64(&m, 0x2222);     /* keys */
  bb_u8(&m, 1); bb_u64(&m, 2); bb_u64(&m, 0x5); bb_u64(&m, 0x80); /* Some(words) */
  bb_u64(&m, 128);                                          /* bit length */
  bb_u64(&m, 3);                                            /* num_bits_set */
  bb_u64(&m, 0x17FFFFFFFFFFFFFFULL);                        /* mask */
  bb_u32(&m, 6);                                            /* mask_bits */
  size_t value_off = m.n;
  bb_value(&m, &ci, g_kp);
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, m.b, m.n), SOF_GOSSIP_OK);
  SOF_CHECK_EQ(g_m.kind, SOF_GOSSIP_MSG_PULL_REQUEST);
  SOF_CHECK_EQ(g_m.filter.key_cnt, 2);
  SOF_CHECK_EQ(g_m.filter.keys[8], 0x22);
  SOF_CHECK_EQ(g_m.filter.word_cnt, 2);
  SOF_CHECK_EQ(g_m.filter.words[8], 0x80);
  SOF_CHECK_EQ(g_m.filter.bit_len, 128);
  SOF_CHECK_EQ(g_m.filter.num_bits_set, 3);
  SOF_CHECK_EQ(g_m.filter.mask, 0x17FFFFFFFFFFFFFFULL);
  SOF_CHECK_EQ(g_m.filter.mask_bits, 6);
  SOF_CHECK_EQ(g_m.value_cnt, 1);
  SOF_CHECK_EQ(g_m.values[0].kind, SOF_GOSSIP_CRDS_CONTACT_INFO);
  SOF_CHECK(g_m.from == g_m.values[0].ci.pubkey);
  SOF_CHECK_EQ(sof_gossip_value_verify(&g_m.values[0]), SOF_GOSSIP_OK);

  /* The encoder, given the same filter and value, writes the same bytes. */
  uint64_t keys[2] = { 0x1111, 0x2222 }, words[2] = { 5, 0x80 };
  sof_gossip_filter_src_t f = { 2, keys, 2, words, 128, 3, 0x17FFFFFFFFFFFFFFULL, 6 };
  uint8_t enc[2048];
  int n = sof_gossip_pull_request_encode(enc, sizeof enc, &f, m.b + value_off, m.n - value_off);
  SOF_CHECK_EQ(n, (int)m.n);
  SOF_CHECK_MEM(enc, m.b, m.n);

  /* No bit vector (None), zero keys. */
  bb_t e = { .n = 0 };
  bb_u32(&e, 0);
  bb_u64(&e, 0);
  bb_u8(&e, 0);
  bb_u64(&e, 0);
  bb_u64(&e, 0);
  bb_u64(&e, ~0ULL);
  bb_u32(&e, 0);
  bb_value(&e, &ci, g_kp);
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, e.b, e.n), SOF_GOSSIP_OK);
  SOF_CHECK_EQ(g_m.filter.word_cnt, 0);
  SOF_CHECK(g_m.filter.words == NULL);
  uint8_t h[32] = { 0 };
  SOF_CHECK_EQ(sof_gossip_filter_contains(&g_m.filter, h), 0); /* empty: send everything */
  /* Some(empty) is not None: it decodes and re-encodes as written. */
  e.b[4 + 8] = 1;
  memmove(e.b + 4 + 8 + 1 + 8, e.b + 4 + 8 + 1, e.n - (4 + 8 + 1));
  memset(e.b + 4 + 8 + 1, 0, 8);
  e.n += 8;
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, e.b, e.n), SOF_GOSSIP_OK);
  SOF_CHECK(g_m.filter.words != NULL && g_m.filter.word_cnt == 0);
  uint64_t none[1];
  sof_gossip_filter_src_t fe = { 0, none, 0, none, 0, 0, ~0ULL, 0 };
  sof_gossip_value_t const *ev = &g_m.values[0];
  n = sof_gossip_pull_request_encode(enc, sizeof enc, &fe, ev->signature, sof_gossip_value_size(ev));
  SOF_CHECK_EQ(n, (int)e.n);
  SOF_CHECK_MEM(enc, e.b, e.n);
  fe.words = NULL;
  SOF_CHECK_EQ(sof_gossip_pull_request_encode(enc, sizeof enc, &fe, ev->signature, sof_gossip_value_size(ev)),
               (int)e.n - 8);

  /* mask_bits 65; a bit length beyond the words; a non-ContactInfo value. */
  m.b[4 + 8 + 16 + 1 + 8 + 16 + 8 + 8 + 8] = 65;
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, m.b, m.n), SOF_GOSSIP_ERR_BAD_MASK_BITS);
  m.b[4 + 8 + 16 + 1 + 8 + 16 + 8 + 8 + 8] = 6;
  m.b[4 + 8 + 16 + 1 + 8 + 16] = 129;
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, m.b, m.n), SOF_GOSSIP_ERR_BAD_BITVEC);
  m.b[4 + 8 + 16 + 1 + 8 + 16] = 128;
  m.b[4 + 8 + 16] = 3;
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, m.b, m.n), SOF_GOSSIP_ERR_BAD_OPTION);
  m.b[4 + 8 + 16] = 1;
  bb_t ni = { .n = 0 };
  d_node_instance(&ni, g_kp + 32);
  m.n = value_off;
  bb_value(&m, &ni, g_kp);
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, m.b, m.n), SOF_GOSSIP_ERR_PULL_NOT_CI);
}

/* ---- prune ---- */
static void
test_prune(void) {
  uint8_t prunes[64], dest[32];
  memset(prunes, 0x61, 32);
  memset(prunes + 32, 0x62, 32);
  memset(dest, 0x71, 32);
  uint64_t wc = 1700000000123ULL;
  /* Signable data without the prefix: pubkey, u64 count, prunes, destination, wallclock. */
  bb_t s = { .n = 0 };
  bb_bytes(&s, g_kp + 32, 32);
  bb_u64(&s, 2);
  bb_bytes(&s, prunes, 64);
  bb_bytes(&s, dest, 32);
  bb_u64(&s, wc);
  uint8_t sig[64];
  crypto_sign_ed25519_detached(sig, NULL, s.b, s.n, g_kp);
  bb_t m = { .n = 0 };
  bb_u32(&m, 3);
  bb_bytes(&m, g_kp + 32, 32);
  bb_bytes(&m, g_kp + 32, 32);
  bb_u64(&m, 2);
  bb_bytes(&m, prunes, 64);
  bb_bytes(&m, sig, 64);
  bb_bytes(&m, dest, 32);
  bb_u64(&m, wc);
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, m.b, m.n), SOF_GOSSIP_OK);
  SOF_CHECK_EQ(g_m.kind, SOF_GOSSIP_MSG_PRUNE);
  SOF_CHECK_EQ(g_m.prune.prune_cnt, 2);
  SOF_CHECK_EQ(g_m.prune.prunes[32], 0x62);
  SOF_CHECK_MEM(g_m.prune.destination, dest, 32);
  SOF_CHECK_EQ(g_m.prune.wallclock, wc);
  SOF_CHECK_EQ(sof_gossip_prune_verify(&g_m.prune), SOF_GOSSIP_OK);
  /* The encoder writes these bytes. */
  uint8_t enc[512];
  int n = sof_gossip_prune_encode(enc, sizeof enc, g_kp, prunes, 2, dest, wc);
  SOF_CHECK_EQ(n, (int)m.n);
  SOF_CHECK_MEM(enc, m.b, m.n);

  /* Signed over the prefixed form: u64 18, "\xffSOLANA_PRUNE_DATA", then the same. */
  bb_t sp = { .n = 0 };
  bb_u64(&sp, 18);
  bb_bytes(&sp, "\xffSOLANA_PRUNE_DATA", 18);
  bb_bytes(&sp, s.b, s.n);
  crypto_sign_ed25519_detached(sig, NULL, sp.b, sp.n, g_kp);
  memcpy(m.b + 4 + 64 + 8 + 64, sig, 64);
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, m.b, m.n), SOF_GOSSIP_OK);
  SOF_CHECK_EQ(sof_gossip_prune_verify(&g_m.prune), SOF_GOSSIP_OK);
  m.b[m.n - 8] ^= 1; /* the wallclock's low byte */
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, m.b, m.n), SOF_GOSSIP_OK);
  SOF_CHECK_EQ(sof_gossip_prune_verify(&g_m.prune), SOF_GOSSIP_ERR_BAD_SIGNATURE);
  /* Outer pubkey differs from PruneData.pubkey. */
  m.b[4] ^= 1;
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, m.b, m.n), SOF_GOSSIP_ERR_PRUNE_MISMATCH);
}

/* ---- encode -> decode round trips ---- */
static void
test_round_trip(void) {
  uint64_t rng = 42;
  unsigned bad = 0;
  for (int it = 0; it < 500; it++) {
    sof_gossip_ci_src_t s;
    memset(&s, 0, sizeof s);
    memcpy(s.pubkey, g_kp + 32, 32);
    s.wallclock = sof_test_rng(&rng) % SOF_GOSSIP_MAX_WALLCLOCK;
    s.outset = sof_test_rng(&rng);
    s.shred_version = (uint16_t)sof_test_rng(&rng);
    s.version.major = (uint16_t)sof_test_rng(&rng);
    s.version.minor = (uint16_t)(sof_test_rng(&rng) % 300);
    s.version.patch = (uint16_t)sof_test_rng(&rng);
    s.version.commit = (uint32_t)sof_test_rng(&rng);
    s.version.feature_set = (uint32_t)sof_test_rng(&rng);
    s.version.client = (uint16_t)(sof_test_rng(&rng) % 5);
    s.socket_cnt = (uint32_t)(sof_test_rng(&rng) % 15);
    for (uint32_t i = 0; i < s.socket_cnt; i++) {
      s.sockets[i].key = (uint8_t)i;
      s.sockets[i].port = (uint16_t)(1 + sof_test_rng(&rng) % 65535);
      s.sockets[i].ip = (sof_gossip_ip4_t){ { 10, 0, 0, (uint8_t)(1 + sof_test_rng(&rng) % 3) } };
    }
    uint8_t data[512], value[600];
    int dn = sof_gossip_ci_encode(data, sizeof data, &s);
    int vn = dn > 0 ? sof_gossip_value_sign(value, sizeof value, data, (size_t)dn, g_kp) : -1;
    sof_gossip_value_t v;
    size_t used;
    if (vn < 0 || sof_gossip_value_parse(&v, value, (size_t)vn, &used) || used != (size_t)vn) { bad++; continue; }
    sof_gossip_contact_info_t const *ci = &v.ci;
    int ok = sof_gossip_value_verify(&v) == SOF_GOSSIP_OK;
    ok &= ci->wallclock == s.wallclock && ci->outset == s.outset && ci->shred_version == s.shred_version;
    ok &= !memcmp(&ci->version, &s.version, sizeof s.version) || (ci->version.major == s.version.major &&
          ci->version.minor == s.version.minor && ci->version.patch == s.version.patch &&
          ci->version.commit == s.version.commit && ci->version.feature_set == s.version.feature_set &&
          ci->version.client == s.version.client);
    ok &= ci->socket_cnt == s.socket_cnt;
    uint16_t prev = 0;
    for (uint32_t i = 0; i < ci->socket_cnt; i++) {
      ok &= ci->sockets[i].port >= prev;
      prev = ci->sockets[i].port;
    }
    for (uint32_t i = 0; i < s.socket_cnt; i++) {
      sof_gossip_ip4_t ip;
      ok &= sof_gossip_ci_port(ci, s.sockets[i].key, &ip) == s.sockets[i].port;
      ok &= !memcmp(ip.b, s.sockets[i].ip.b, 4);
    }
    /* and re-encoding the decoded fields gives the same bytes */
    sof_gossip_ci_src_t s2 = s;
    for (uint32_t i = 0; i < ci->socket_cnt; i++) {
      s2.sockets[i].key = ci->sockets[i].key;
      s2.sockets[i].port = ci->sockets[i].port;
      s2.sockets[i].ip = ci->addrs[ci->sockets[i].index];
    }
    uint8_t data2[512];
    ok &= sof_gossip_ci_encode(data2, sizeof data2, &s2) == dn && !memcmp(data, data2, (size_t)dn);
    /* a push carrying it */
    uint8_t pkt[1232];
    int pn = sof_gossip_values_msg_encode(pkt, sizeof pkt, SOF_GOSSIP_MSG_PUSH, g_kp + 32, 1, value, (size_t)vn);
    ok &= pn > 0 && sof_gossip_parse(&g_m, pkt, (size_t)pn) == SOF_GOSSIP_OK && g_m.value_cnt == 1 &&
          g_m.values[0].data_sz == (uint32_t)dn;
    if (!ok) bad++;
  }
  SOF_CHECK_EQ(bad, 0);

  /* Encoder input errors. */
  sof_gossip_ci_src_t s;
  memset(&s, 0, sizeof s);
  s.socket_cnt = 2;
  s.sockets[0] = (sof_gossip_ci_src_socket_t){ 10, { { 1, 2, 3, 4 } }, 8001 };
  s.sockets[1] = (sof_gossip_ci_src_socket_t){ 10, { { 1, 2, 3, 4 } }, 8002 };
  uint8_t data[512];
  SOF_CHECK_EQ(sof_gossip_ci_encode(data, sizeof data, &s), SOF_GOSSIP_ERR_DUP_SOCKET);
  s.sockets[1].key = 0;
  s.sockets[1].port = 0;
  SOF_CHECK_EQ(sof_gossip_ci_encode(data, sizeof data, &s), SOF_GOSSIP_ERR_PORT_OVERFLOW);
}

/* ---- bloom ---- */
static void
test_bloom(void) {
  /* Agave's sizing for a packet-sized filter and the 65536-item floor. */
  SOF_CHECK_EQ(sof_gossip_bloom_max_items(1232 * 8), 1708);
  SOF_CHECK_EQ(sof_gossip_bloom_mask_bits(65536, 1708), 6);
  SOF_CHECK_EQ(sof_gossip_bloom_max_items(4096), 710);
  SOF_CHECK_EQ(sof_gossip_bloom_num_bits(1000), 4793);
  SOF_CHECK_EQ(sof_gossip_bloom_num_keys(4793, 1000), 3);
  SOF_CHECK_EQ(sof_gossip_bloom_num_keys(4793, 0), 0);
  SOF_CHECK_EQ(sof_gossip_bloom_mask_bits(10, 1708), 0);
  /* FNV-1a 64 (offset basis 0xcbf29ce484222325) over bytes 0..31, and with key 0. */
  uint8_t item[32];
  for (int i = 0; i < 32; i++) item[i] = (uint8_t)i;
  SOF_CHECK_EQ(sof_gossip_bloom_hash(0xcbf29ce484222325ULL, item), 0xe6cb594c1a148ac5ULL);
  SOF_CHECK_EQ(sof_gossip_bloom_hash(0, item), 0xbe7b994c7eadd900ULL);
  /* Masks: seed in the top mask_bits, ones below. */
  SOF_CHECK_EQ(sof_gossip_filter_mask(5, 6), (5ULL << 58) | (~0ULL >> 6));
  SOF_CHECK_EQ(sof_gossip_filter_mask(0, 0), ~0ULL);
  uint8_t h[32] = { 0 };
  uint64_t hv = (5ULL << 58) | 0x1234;
  memcpy(h, &hv, 8);
  SOF_CHECK_EQ(sof_gossip_filter_in_slice(sof_gossip_filter_mask(5, 6), 6, h), 1);
  SOF_CHECK_EQ(sof_gossip_filter_in_slice(sof_gossip_filter_mask(4, 6), 6, h), 0);
  SOF_CHECK_EQ(sof_gossip_filter_in_slice(~0ULL, 0, h), 1);

  /* Added items are always contained; the false rate is near its target;
   * the encoded filter answers the same through sof_gossip_filter_contains. */
  sof_gossip_bloom_t b;
  uint64_t keys[8];
  uint64_t rng = 7;
  for (int i = 0; i < 8; i++) keys[i] = sof_test_rng(&rng);
  SOF_CHECK_EQ(sof_gossip_bloom_init(&b, 9000, keys, 8), 0);
  SOF_CHECK_EQ(sof_gossip_bloom_init(&b, 0, keys, 8), -1);
  SOF_CHECK_EQ(sof_gossip_bloom_init(&b, 9000, keys, 8), 0);
  static uint8_t items[1500][32];
  for (int i = 0; i < 1500; i++)
    for (int j = 0; j < 32; j += 8) { uint64_t r = sof_test_rng(&rng); memcpy(&items[i][j], &r, 8); }
  for (int i = 0; i < 1000; i++) sof_gossip_bloom_add(&b, items[i]);
  unsigned missing = 0, fp = 0;
  for (int i = 0; i < 1000; i++) missing += !sof_gossip_bloom_contains(&b, items[i]);
  for (int i = 1000; i < 1500; i++) fp += (unsigned)sof_gossip_bloom_contains(&b, items[i]);
  SOF_CHECK_EQ(missing, 0);
  SOF_CHECK(fp < 25); /* 1000 items in 9000 bits, 8 keys: ~2% */
  SOF_CHECK(b.num_bits_set > 0 && b.num_bits_set <= 9000);

  bb_t ci = { .n = 0 };
  d_contact_info(&ci, g_kp + 32);
  uint8_t value[512];
  int vn = sof_gossip_value_sign(value, sizeof value, ci.b, ci.n, g_kp);
  sof_gossip_filter_src_t f;
  sof_gossip_bloom_src(&f, &b, ~0ULL, 0);
  uint8_t pkt[2048];
  int pn = sof_gossip_pull_request_encode(pkt, sizeof pkt, &f, value, (size_t)vn);
  SOF_CHECK(pn > 0);
  /* 9000 bits (141 words) + 8 keys + value: past a packet, so parse the
   * filter through a buffer of its own size is refused as too large */
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, pkt, (size_t)pn), SOF_GOSSIP_ERR_TOO_LARGE);
  SOF_CHECK_EQ(sof_gossip_bloom_init(&b, 4096, keys, 8), 0);
  for (int i = 0; i < 300; i++) sof_gossip_bloom_add(&b, items[i]);
  sof_gossip_bloom_src(&f, &b, ~0ULL, 0);
  pn = sof_gossip_pull_request_encode(pkt, sizeof pkt, &f, value, (size_t)vn);
  SOF_CHECK_EQ(sof_gossip_parse(&g_m, pkt, (size_t)pn), SOF_GOSSIP_OK);
  unsigned differ = 0;
  for (int i = 0; i < 1500; i++)
    differ += sof_gossip_filter_contains(&g_m.filter, items[i]) != sof_gossip_bloom_contains(&b, items[i]);
  SOF_CHECK_EQ(differ, 0);
}

int
main(void) {
  if (sof_ed25519_init()) {
    fprintf(stderr, "test_gossip: sof_ed25519_init failed\n");
    return 1;
  }
  uint8_t seed[32];
  for (int i = 0; i < 32; i++) seed[i] = (uint8_t)(i + 1);
  crypto_sign_ed25519_seed_keypair(g_kp + 32, g_kp, seed);
  for (int i = 0; i < 32; i++) seed[i] = (uint8_t)(0x80 + i);
  crypto_sign_ed25519_seed_keypair(g_kp2 + 32, g_kp2, seed);
  test_ping_pong();
  test_crds_kinds();
  test_rejections();
  test_pull_request();
  test_prune();
  test_round_trip();
  test_bloom();
  return sof_test_done("test_gossip");
}
