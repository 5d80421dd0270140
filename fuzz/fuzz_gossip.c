/* libFuzzer target: lib/gossip's decoder on any packet. What decodes is
 * walked (every accessor, every epoch-slots entry, the filter) and encoded
 * again: a push / pull response from its values' bytes and a pull request
 * from its parsed filter reproduce the input byte for byte; a ContactInfo
 * re-encoded from its decoded fields decodes to the same fields; every
 * rejection is a named reason code; decoded values go through a small CRDS
 * table (capacity 8: upserts, evictions, purges stay within bounds). The
 * input is copied to a buffer of its
 * own size so that ASan sees any read past it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sof_ed25519.h"
#include "gossip/sof_gossip.h"
#include "gossip/sof_crds.h"
#include "gossip/sof_gossip_bloom.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

#include "sof_fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc; (void)argv;
  REQUIRE(sof_ed25519_init() == 0);
  return 0;
}

static void
check_ci(sof_gossip_contact_info_t const *ci) {
  sof_gossip_ci_src_t s;
  memset(&s, 0, sizeof s);
  memcpy(s.pubkey, ci->pubkey, 32);
  s.wallclock = ci->wallclock;
  s.outset = ci->outset;
  s.shred_version = ci->shred_version;
  s.version = ci->version;
  s.socket_cnt = ci->socket_cnt;
  int zero_port = 0;
  for (unsigned i = 0; i < ci->socket_cnt; i++) {
    s.sockets[i].key = ci->sockets[i].key;
    s.sockets[i].port = ci->sockets[i].port;
    s.sockets[i].ip = ci->addrs[ci->sockets[i].index];
    zero_port |= ci->sockets[i].port == 0;
    REQUIRE(ci->sockets[i].index < ci->addr_cnt);
  }
  static uint8_t data[2048];
  int n = sof_gossip_ci_encode(data, sizeof data, &s);
  if (zero_port) { REQUIRE(n == SOF_GOSSIP_ERR_PORT_OVERFLOW); return; }
  REQUIRE(n > 0);
  static uint8_t value[2200];
  memset(value, 0, 64);
  memcpy(value + 64, data, (size_t)n);
  sof_gossip_value_t v;
  size_t used = 0;
  REQUIRE(sof_gossip_value_parse(&v, value, 64 + (size_t)n, &used) == SOF_GOSSIP_OK);
  REQUIRE(used == 64 + (size_t)n);
  sof_gossip_contact_info_t const *c2 = &v.ci;
  REQUIRE(!memcmp(c2->pubkey, ci->pubkey, 32));
  REQUIRE(c2->wallclock == ci->wallclock && c2->outset == ci->outset && c2->shred_version == ci->shred_version);
  REQUIRE(c2->version.major == ci->version.major && c2->version.minor == ci->version.minor &&
          c2->version.patch == ci->version.patch && c2->version.commit == ci->version.commit &&
          c2->version.feature_set == ci->version.feature_set && c2->version.client == ci->version.client);
  REQUIRE(c2->socket_cnt == ci->socket_cnt && c2->ext_cnt == 0);
  for (unsigned i = 0; i < ci->socket_cnt; i++) {
    sof_gossip_ip4_t a, b;
    REQUIRE(sof_gossip_ci_port(c2, ci->sockets[i].key, &a) == sof_gossip_ci_port(ci, ci->sockets[i].key, &b));
    REQUIRE(!memcmp(a.b, b.b, 4));
  }
}

static void
walk_value(sof_gossip_value_t const *v) {
  REQUIRE(v->kind < SOF_GOSSIP_CRDS_CNT);
  REQUIRE(sof_gossip_value_origin(v) != NULL);
  REQUIRE(sof_gossip_value_wallclock(v) < SOF_GOSSIP_MAX_WALLCLOCK);
  REQUIRE(v->data == v->signature + 64);
  uint8_t h[32];
  sof_gossip_value_hash(h, v);
  if (v->kind == SOF_GOSSIP_CRDS_CONTACT_INFO) check_ci(&v->ci);
  if (v->kind == SOF_GOSSIP_CRDS_EPOCH_SLOTS) {
    for (uint32_t i = 0; i < v->epoch_slots.entry_cnt; i++) {
      sof_gossip_slots_entry_t e;
      REQUIRE(sof_gossip_epoch_slots_entry(&v->epoch_slots, i, &e) == 0);
      if (e.data_sz) REQUIRE(e.data != NULL);
    }
  }
}

int
LLVMFuzzerTestOneInput(uint8_t const *data, size_t sz) {
  uint8_t *buf = malloc(sz ? sz : 1);
  REQUIRE(buf);
  memcpy(buf, data, sz);
  static sof_gossip_msg_t m;
  int rc = sof_gossip_parse(&m, buf, sz);
  REQUIRE(rc <= 0 && rc >= -SOF_GOSSIP_ERR_CNT);
  REQUIRE(strcmp(sof_gossip_err_str(rc), "unknown") != 0);
  if (rc == SOF_GOSSIP_OK) {
    static uint8_t out[4096];
    REQUIRE(m.kind < SOF_GOSSIP_MSG_CNT);
    REQUIRE(m.value_cnt <= SOF_GOSSIP_VALUES_MAX);
    for (uint32_t i = 0; i < m.value_cnt; i++) walk_value(&m.values[i]);
    static sof_crds_t *tab;
    static uint64_t clock_ms;
    if (!tab) REQUIRE((tab = sof_crds_new(8)) != NULL);
    for (uint32_t i = 0; i < m.value_cnt; i++) {
      sof_crds_rec_t ev;
      int r = sof_crds_upsert(tab, &m.values[i], ++clock_ms, &ev);
      REQUIRE(r >= SOF_CRDS_INSERTED && r <= SOF_CRDS_OUTDATED);
      REQUIRE(sof_crds_cnt(tab) <= 8);
      REQUIRE(sof_crds_get(tab, (uint8_t)m.values[i].kind, sof_gossip_value_origin(&m.values[i]),
                           m.values[i].kind == SOF_GOSSIP_CRDS_VOTE ? m.values[i].vote.index
                           : m.values[i].kind == SOF_GOSSIP_CRDS_EPOCH_SLOTS ? m.values[i].epoch_slots.index
                           : m.values[i].kind == SOF_GOSSIP_CRDS_DUPLICATE_SHRED ? m.values[i].dup_shred.index : 0) != NULL);
    }
    if (sz && data[0] == 0x42) sof_crds_purge(tab, clock_ms, 3, NULL, NULL);
    if (m.value_cnt) (void)sof_gossip_value_verify(&m.values[0]);
    if (m.kind == SOF_GOSSIP_MSG_PUSH || m.kind == SOF_GOSSIP_MSG_PULL_RESPONSE) {
      uint8_t const *vals = m.value_cnt ? m.values[0].signature : buf + sz;
      size_t vsz = (size_t)(buf + sz - vals);
      int n = sof_gossip_values_msg_encode(out, sizeof out, m.kind, m.from, m.value_cnt, vals, vsz);
      REQUIRE(n == (int)sz && !memcmp(out, buf, sz));
    } else if (m.kind == SOF_GOSSIP_MSG_PULL_REQUEST) {
      static uint64_t keys[200], words[200];
      sof_gossip_filter_t const *f = &m.filter;
      REQUIRE(f->key_cnt <= 200 && f->word_cnt <= 200);
      memcpy(keys, f->keys, 8U * f->key_cnt);
      if (f->word_cnt) memcpy(words, f->words, 8U * f->word_cnt);
      sof_gossip_filter_src_t src = { f->key_cnt, keys, f->word_cnt, f->words ? words : NULL, f->bit_len, f->num_bits_set,
                                      f->mask, f->mask_bits };
      sof_gossip_value_t const *v = &m.values[0];
      int n = sof_gossip_pull_request_encode(out, sizeof out, &src, v->signature, sof_gossip_value_size(v));
      REQUIRE(n == (int)sz && !memcmp(out, buf, sz));
      uint8_t h[32];
      sof_gossip_value_hash(h, v);
      (void)sof_gossip_filter_contains(f, h);
    } else if (m.kind == SOF_GOSSIP_MSG_PRUNE) {
      REQUIRE(!memcmp(m.prune.from, m.prune.pubkey, 32));
      (void)sof_gossip_prune_verify(&m.prune);
    } else {
      (void)sof_gossip_ping_verify(&m.ping);
    }
  }
  free(buf);
  return 0;
}
