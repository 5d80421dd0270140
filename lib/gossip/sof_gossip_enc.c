/* sof_gossip_enc.c: encoding gossip messages, signing and verifying them
 * (see sof_gossip.h). */
#include "gossip/sof_gossip.h"

#include <string.h>

#include "crypto/sof_ed25519.h"
#include "crypto/sof_sha256.h"
#include "wire/sof_txn.h"

/* A bounds-checked writer; the first overflow latches. */
typedef struct {
  uint8_t *p;
  size_t   cap;
  size_t   off;
  int      err;
} wr_t;

static void
wr_bytes(wr_t *w, void const *src, size_t n) {
  if (w->err) return;
  if (w->cap - w->off < n) { w->err = SOF_GOSSIP_ERR_NO_ROOM; return; }
  if (n) memcpy(w->p + w->off, src, n);
  w->off += n;
}

static void wr_u8(wr_t *w, uint8_t v) { wr_bytes(w, &v, 1); }
static void wr_u16(wr_t *w, uint16_t v) { uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) }; wr_bytes(w, b, 2); }
static void wr_u32(wr_t *w, uint32_t v) { wr_bytes(w, &v, 4); }
static void wr_u64(wr_t *w, uint64_t v) { wr_bytes(w, &v, 8); }

static void
wr_varint(wr_t *w, uint64_t v) {
  do {
    uint8_t b = (uint8_t)(v & 0x7FU);
    v >>= 7;
    if (v) b |= 0x80U;
    wr_u8(w, b);
  } while (v);
}

static void
wr_shortvec(wr_t *w, uint16_t v) {
  uint8_t b[3];
  int n = sof_compact_u16_encode(v, b);
  wr_bytes(w, b, (size_t)n);
}

static int
wr_done(wr_t const *w) {
  return w->err ? w->err : (int)w->off;
}

int
sof_gossip_ci_encode(uint8_t *buf, size_t cap, sof_gossip_ci_src_t const *ci) {
  uint32_t n = ci->socket_cnt;
  if (n > SOF_GOSSIP_CI_SOCKETS_MAX) return SOF_GOSSIP_ERR_TOO_MANY_ENTRIES;
  /* Order: by port, ties in input order (a stable insertion sort). */
  uint8_t ord[SOF_GOSSIP_CI_SOCKETS_MAX];
  for (uint32_t i = 0; i < n; i++) {
    if (!ci->sockets[i].port) return SOF_GOSSIP_ERR_PORT_OVERFLOW;
    for (uint32_t j = 0; j < i; j++)
      if (ci->sockets[j].key == ci->sockets[i].key) return SOF_GOSSIP_ERR_DUP_SOCKET;
    uint32_t k = i;
    while (k > 0 && ci->sockets[ord[k - 1]].port > ci->sockets[i].port) { ord[k] = ord[k - 1]; k--; }
    ord[k] = (uint8_t)i;
  }
  /* Addresses in order of first use. */
  sof_gossip_ip4_t addrs[SOF_GOSSIP_CI_SOCKETS_MAX];
  uint8_t idx[SOF_GOSSIP_CI_SOCKETS_MAX];
  uint32_t addr_cnt = 0;
  for (uint32_t i = 0; i < n; i++) {
    sof_gossip_ip4_t const *ip = &ci->sockets[ord[i]].ip;
    uint32_t a = 0;
    while (a < addr_cnt && memcmp(addrs[a].b, ip->b, 4)) a++;
    if (a == addr_cnt) addrs[addr_cnt++] = *ip;
    idx[i] = (uint8_t)a;
  }
  if (addr_cnt > SOF_GOSSIP_CI_ADDRS_MAX) return SOF_GOSSIP_ERR_TOO_MANY_ENTRIES;

  wr_t w = { buf, cap, 0, 0 };
  wr_u32(&w, SOF_GOSSIP_CRDS_CONTACT_INFO);
  wr_bytes(&w, ci->pubkey, 32);
  wr_varint(&w, ci->wallclock);
  wr_u64(&w, ci->outset);
  wr_u16(&w, ci->shred_version);
  wr_varint(&w, ci->version.major);
  wr_varint(&w, ci->version.minor);
  wr_varint(&w, ci->version.patch);
  wr_u32(&w, ci->version.commit);
  wr_u32(&w, ci->version.feature_set);
  wr_varint(&w, ci->version.client);
  wr_shortvec(&w, (uint16_t)addr_cnt);
  for (uint32_t a = 0; a < addr_cnt; a++) {
    wr_u32(&w, 0); /* IpAddr::V4 */
    wr_bytes(&w, addrs[a].b, 4);
  }
  wr_shortvec(&w, (uint16_t)n);
  uint16_t prev = 0;
  for (uint32_t i = 0; i < n; i++) {
    sof_gossip_ci_src_socket_t const *s = &ci->sockets[ord[i]];
    wr_u8(&w, s->key);
    wr_u8(&w, idx[i]);
    wr_varint(&w, (uint16_t)(s->port - prev));
    prev = s->port;
  }
  wr_shortvec(&w, 0); /* extensions */
  return wr_done(&w);
}

int
sof_gossip_value_sign(uint8_t *buf, size_t cap, void const *data, size_t data_sz, uint8_t const kp[64]) {
  if (cap < 64 || cap - 64 < data_sz) return SOF_GOSSIP_ERR_NO_ROOM;
  memmove(buf + 64, data, data_sz);
  sof_ed25519_sign(buf, buf + 64, data_sz, kp);
  return (int)(64 + data_sz);
}

static int
ping_like(uint8_t *buf, size_t cap, uint32_t kind, uint8_t const kp[64], uint8_t const payload[32]) {
  wr_t w = { buf, cap, 0, 0 };
  uint8_t sig[64];
  sof_ed25519_sign(sig, payload, 32, kp);
  wr_u32(&w, kind);
  wr_bytes(&w, kp + 32, 32);
  wr_bytes(&w, payload, 32);
  wr_bytes(&w, sig, 64);
  return wr_done(&w);
}

int
sof_gossip_ping_encode(uint8_t *buf, size_t cap, uint8_t const kp[64], uint8_t const token[32]) {
  return ping_like(buf, cap, SOF_GOSSIP_MSG_PING, kp, token);
}

int
sof_gossip_pong_encode(uint8_t *buf, size_t cap, uint8_t const kp[64], uint8_t const token[32]) {
  uint8_t h[32];
  sof_gossip_pong_hash(h, token);
  return ping_like(buf, cap, SOF_GOSSIP_MSG_PONG, kp, h);
}

int
sof_gossip_pull_request_encode(uint8_t *buf, size_t cap, sof_gossip_filter_src_t const *f,
                               void const *value, size_t value_sz) {
  wr_t w = { buf, cap, 0, 0 };
  wr_u32(&w, SOF_GOSSIP_MSG_PULL_REQUEST);
  wr_u64(&w, f->key_cnt);
  for (uint32_t i = 0; i < f->key_cnt; i++) wr_u64(&w, f->keys[i]);
  if (f->words) { /* Some(blocks), possibly empty */
    wr_u8(&w, 1);
    wr_u64(&w, f->word_cnt);
    for (uint32_t i = 0; i < f->word_cnt; i++) wr_u64(&w, f->words[i]);
  } else {
    wr_u8(&w, 0);
  }
  wr_u64(&w, f->bit_len);
  wr_u64(&w, f->num_bits_set);
  wr_u64(&w, f->mask);
  wr_u32(&w, f->mask_bits);
  wr_bytes(&w, value, value_sz);
  return wr_done(&w);
}

int
sof_gossip_values_msg_encode(uint8_t *buf, size_t cap, uint32_t kind, uint8_t const from[32],
                             uint32_t value_cnt, void const *values, size_t values_sz) {
  wr_t w = { buf, cap, 0, 0 };
  wr_u32(&w, kind);
  wr_bytes(&w, from, 32);
  wr_u64(&w, value_cnt);
  wr_bytes(&w, values, values_sz);
  return wr_done(&w);
}

static char const prune_prefix[] = "\xffSOLANA_PRUNE_DATA";
#define PRUNE_PREFIX_SZ 18U
#define PRUNE_SIGNABLE_MAX (8U + PRUNE_PREFIX_SZ + 32U + 8U + 32U * 40U + 32U + 8U)

/* The signable bytes of a PruneData: [u64 len + prefix] pubkey, u64
 * prune count, prunes, destination, wallclock. */
static size_t
prune_signable(uint8_t *out, int with_prefix, uint8_t const *pubkey, uint8_t const *prunes,
               uint32_t prune_cnt, uint8_t const *destination, uint64_t wallclock) {
  wr_t w = { out, PRUNE_SIGNABLE_MAX, 0, 0 };
  if (with_prefix) {
    wr_u64(&w, PRUNE_PREFIX_SZ);
    wr_bytes(&w, prune_prefix, PRUNE_PREFIX_SZ);
  }
  wr_bytes(&w, pubkey, 32);
  wr_u64(&w, prune_cnt);
  wr_bytes(&w, prunes, (size_t)prune_cnt * 32U);
  wr_bytes(&w, destination, 32);
  wr_u64(&w, wallclock);
  return w.err ? 0 : w.off;
}

int
sof_gossip_prune_encode(uint8_t *buf, size_t cap, uint8_t const kp[64], uint8_t const *prunes,
                        uint32_t prune_cnt, uint8_t const destination[32], uint64_t wallclock) {
  if (prune_cnt > 40) return SOF_GOSSIP_ERR_NO_ROOM;
  uint8_t signable[PRUNE_SIGNABLE_MAX];
  size_t sn = prune_signable(signable, 0, kp + 32, prunes, prune_cnt, destination, wallclock);
  uint8_t sig[64];
  sof_ed25519_sign(sig, signable, sn, kp);
  wr_t w = { buf, cap, 0, 0 };
  wr_u32(&w, SOF_GOSSIP_MSG_PRUNE);
  wr_bytes(&w, kp + 32, 32);
  wr_bytes(&w, kp + 32, 32);
  wr_u64(&w, prune_cnt);
  wr_bytes(&w, prunes, (size_t)prune_cnt * 32U);
  wr_bytes(&w, sig, 64);
  wr_bytes(&w, destination, 32);
  wr_u64(&w, wallclock);
  return wr_done(&w);
}

/* ---- verification -------------------------------------------------------- */

int
sof_gossip_value_verify(sof_gossip_value_t const *v) {
  uint8_t const *origin = sof_gossip_value_origin(v);
  if (!origin || !v->signature) return SOF_GOSSIP_ERR_BAD_SIGNATURE;
  return sof_ed25519_verify(v->signature, v->data, v->data_sz, origin) == 0 ? SOF_GOSSIP_OK
                                                                           : SOF_GOSSIP_ERR_BAD_SIGNATURE;
}

int
sof_gossip_ping_verify(sof_gossip_ping_t const *p) {
  return sof_ed25519_verify(p->signature, p->token, 32, p->from) == 0 ? SOF_GOSSIP_OK
                                                                     : SOF_GOSSIP_ERR_BAD_SIGNATURE;
}

int
sof_gossip_pong_verify(sof_gossip_ping_t const *p) {
  return sof_gossip_ping_verify(p); /* the signature covers the 32-byte hash field */
}

int
sof_gossip_prune_verify(sof_gossip_prune_t const *p) {
  if (p->prune_cnt > 40) return SOF_GOSSIP_ERR_BAD_SIGNATURE; /* cannot fit a packet anyway */
  uint8_t signable[PRUNE_SIGNABLE_MAX];
  for (int pre = 0; pre < 2; pre++) {
    size_t n = prune_signable(signable, pre, p->pubkey, p->prunes, p->prune_cnt, p->destination, p->wallclock);
    if (n && sof_ed25519_verify(p->signature, signable, n, p->pubkey) == 0) return SOF_GOSSIP_OK;
  }
  return SOF_GOSSIP_ERR_BAD_SIGNATURE;
}

void
sof_gossip_pong_hash(uint8_t out[32], uint8_t const token[32]) {
  sof_sha256_2(out, "SOLANA_PING_PONG", 16, token, 32);
}

void
sof_gossip_value_hash(uint8_t out[32], sof_gossip_value_t const *v) {
  sof_sha256(out, v->signature, 64U + v->data_sz);
}
