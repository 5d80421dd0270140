/* test_crds.c: the bounded CRDS table (lib/gossip/sof_crds.h).
 *
 * Labels and override rules as Agave's CRDS (newer wallclock replaces,
 * ContactInfo by (outset, wallclock), equal is a duplicate, older is
 * outdated), the ContactInfo fields kept, purge by local time, and bounded
 * memory under a flood: 40000 pull responses carrying random signed CRDS
 * values of random origins go through sof_gossip_parse, signature checks
 * and the table; the table never holds more than its capacity, every
 * value is counted once (inserted / updated / duplicate / outdated), the
 * evictions make up the difference, and the process's peak RSS does not
 * grow with the flood. */
#include "sof_test.h"
#include "crypto/sof_ed25519.h"
#include "gossip/sof_crds.h"
#include "gossip/sof_gossip.h"

#include <sodium.h>
#include <sys/resource.h>

static uint8_t g_kp[64];

/* A signed NodeInstance-like value of kind (LowestSlot / NodeInstance /
 * ContactInfo) from origin = g_kp's key, with wallclock w. Returns its size. */
static size_t
make_value(uint8_t *out, uint32_t kind, uint8_t const *origin_kp, uint64_t w, uint64_t outset, uint16_t port) {
  uint8_t d[256];
  size_t n = 0;
  memcpy(d, &kind, 4); n = 4;
  if (kind == SOF_GOSSIP_CRDS_NODE_INSTANCE) {
    memcpy(d + n, origin_kp + 32, 32); n += 32;
    memcpy(d + n, &w, 8); n += 8;
    memset(d + n, 7, 16); n += 16;
  } else if (kind == SOF_GOSSIP_CRDS_LOWEST_SLOT) {
    d[n++] = 0;
    memcpy(d + n, origin_kp + 32, 32); n += 32;
    memset(d + n, 0, 8); n += 8;          /* root */
    uint64_t lowest = w % 1000000; memcpy(d + n, &lowest, 8); n += 8;
    memset(d + n, 0, 16); n += 16;        /* slots, stash */
    memcpy(d + n, &w, 8); n += 8;
  } else {
    sof_gossip_ci_src_t s;
    memset(&s, 0, sizeof s);
    memcpy(s.pubkey, origin_kp + 32, 32);
    s.wallclock = w;
    s.outset = outset;
    s.shred_version = 4242;
    s.socket_cnt = 2;
    s.sockets[0] = (sof_gossip_ci_src_socket_t){ SOF_GOSSIP_SOCK_GOSSIP, { { 10, 1, 2, 3 } }, port };
    s.sockets[1] = (sof_gossip_ci_src_socket_t){ SOF_GOSSIP_SOCK_TVU, { { 10, 1, 2, 4 } }, (uint16_t)(port + 1) };
    int k = sof_gossip_ci_encode(d, sizeof d, &s);
    n = k > 0 ? (size_t)k : 0;
  }
  crypto_sign_ed25519_detached(out, NULL, d, n, origin_kp);
  memcpy(out + 64, d, n);
  return 64 + n;
}

static int
upsert_bytes(sof_crds_t *t, uint8_t const *b, size_t n, uint64_t now) {
  sof_gossip_value_t v;
  size_t used;
  SOF_CHECK_EQ(sof_gossip_value_parse(&v, b, n, &used), SOF_GOSSIP_OK);
  SOF_CHECK_EQ(sof_gossip_value_verify(&v), SOF_GOSSIP_OK);
  return sof_crds_upsert(t, &v, now, NULL);
}

static void
test_rules(void) {
  sof_crds_t *t = sof_crds_new(8);
  uint8_t b[512];
  size_t n = make_value(b, SOF_GOSSIP_CRDS_NODE_INSTANCE, g_kp, 100, 0, 0);
  SOF_CHECK_EQ(upsert_bytes(t, b, n, 1), SOF_CRDS_INSERTED);
  SOF_CHECK_EQ(upsert_bytes(t, b, n, 2), SOF_CRDS_DUPLICATE);
  n = make_value(b, SOF_GOSSIP_CRDS_NODE_INSTANCE, g_kp, 99, 0, 0);
  SOF_CHECK_EQ(upsert_bytes(t, b, n, 3), SOF_CRDS_OUTDATED);
  n = make_value(b, SOF_GOSSIP_CRDS_NODE_INSTANCE, g_kp, 101, 0, 0);
  SOF_CHECK_EQ(upsert_bytes(t, b, n, 4), SOF_CRDS_UPDATED);
  /* another kind of the same origin is another label */
  n = make_value(b, SOF_GOSSIP_CRDS_LOWEST_SLOT, g_kp, 50, 0, 0);
  SOF_CHECK_EQ(upsert_bytes(t, b, n, 5), SOF_CRDS_INSERTED);
  /* ContactInfo: a later outset wins even with an older wallclock */
  n = make_value(b, SOF_GOSSIP_CRDS_CONTACT_INFO, g_kp, 1000, 5, 8000);
  SOF_CHECK_EQ(upsert_bytes(t, b, n, 6), SOF_CRDS_INSERTED);
  n = make_value(b, SOF_GOSSIP_CRDS_CONTACT_INFO, g_kp, 900, 6, 9000);
  SOF_CHECK_EQ(upsert_bytes(t, b, n, 7), SOF_CRDS_UPDATED);
  n = make_value(b, SOF_GOSSIP_CRDS_CONTACT_INFO, g_kp, 2000, 5, 7000);
  SOF_CHECK_EQ(upsert_bytes(t, b, n, 8), SOF_CRDS_OUTDATED);
  sof_crds_rec_t const *r = sof_crds_get(t, SOF_GOSSIP_CRDS_CONTACT_INFO, g_kp + 32, 0);
  SOF_CHECK(r != NULL);
  if (r) {
    SOF_CHECK_EQ(r->gossip_port, 9000);
    SOF_CHECK_EQ(r->tvu_port, 9001);
    SOF_CHECK_EQ(r->tvu_ip[3], 4);
    SOF_CHECK_EQ(r->shred_version, 4242);
    SOF_CHECK_EQ(r->wallclock, 900);
    SOF_CHECK_EQ(r->local_ms, 7);
  }
  SOF_CHECK_EQ(sof_crds_cnt(t), 3);
  /* purge: taken before now - timeout */
  SOF_CHECK_EQ(sof_crds_purge(t, 10, 5, NULL, NULL), 1); /* the node instance (local 4) */
  SOF_CHECK(sof_crds_get(t, SOF_GOSSIP_CRDS_NODE_INSTANCE, g_kp + 32, 0) == NULL);
  SOF_CHECK_EQ(sof_crds_purge(t, 100, 5, NULL, NULL), 2);
  SOF_CHECK_EQ(sof_crds_cnt(t), 0);
  SOF_CHECK_EQ(sof_crds_stats(t)->purged, 3);
  sof_crds_delete(t);
  SOF_CHECK(sof_crds_new(0) == NULL);
}

static long
peak_rss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static void
test_flood(void) {
  enum { CAP = 4096, KEYS = 64, PACKETS = 40000 };
  sof_crds_t *t = sof_crds_new(CAP);
  size_t foot = sof_crds_footprint(t);
  static uint8_t kps[KEYS][64];
  uint64_t rng = 99;
  for (int i = 0; i < KEYS; i++) {
    uint8_t seed[32];
    for (int j = 0; j < 32; j += 8) { uint64_t r = sof_test_rng(&rng); memcpy(seed + j, &r, 8); }
    sof_ed25519_keypair_from_seed(kps[i], seed);
  }
  /* Pre-signed values: 64 origins x 3 kinds x 16 wallclocks; a flood packet
   * is a pull response of 1..4 of them with a random origin pubkey patched
   * into the origin field for unsigned variety is not possible (signatures),
   * so variety comes from the label space: 64 x 3 labels x 16 versions plus
   * random garbage packets. */
  static uint8_t vals[KEYS * 3 * 16][300];
  static size_t vlen[KEYS * 3 * 16];
  uint32_t vn = 0;
  uint32_t const kinds[3] = { SOF_GOSSIP_CRDS_NODE_INSTANCE, SOF_GOSSIP_CRDS_LOWEST_SLOT, SOF_GOSSIP_CRDS_CONTACT_INFO };
  for (int k = 0; k < KEYS; k++)
    for (int kind = 0; kind < 3; kind++)
      for (int w = 0; w < 16; w++, vn++)
        vlen[vn] = make_value(vals[vn], kinds[kind], kps[k], 1000 + (uint64_t)w, 1, (uint16_t)(8000 + w));
  long rss0 = peak_rss_kb();
  static sof_gossip_msg_t m;
  static uint8_t pkt[1232];
  uint64_t values = 0, bad = 0, rejected = 0;
  for (uint32_t p = 0; p < PACKETS; p++) {
    uint32_t cnt = 1 + (uint32_t)(sof_test_rng(&rng) % 4);
    size_t off = 0;
    uint32_t tag = SOF_GOSSIP_MSG_PULL_RESPONSE;
    memcpy(pkt, &tag, 4); off = 4;
    memset(pkt + off, 0xAB, 32); off += 32;
    uint64_t c64 = cnt;
    memcpy(pkt + off, &c64, 8); off += 8;
    for (uint32_t i = 0; i < cnt; i++) {
      uint32_t pick = (uint32_t)(sof_test_rng(&rng) % vn);
      memcpy(pkt + off, vals[pick], vlen[pick]);
      off += vlen[pick];
    }
    if (p % 10 == 9) pkt[sof_test_rng(&rng) % off] ^= (uint8_t)(1 + sof_test_rng(&rng) % 255); /* hostile */
    if (sof_gossip_parse(&m, pkt, off) != SOF_GOSSIP_OK) { rejected++; continue; }
    for (uint32_t i = 0; i < m.value_cnt; i++) {
      if (sof_gossip_value_verify(&m.values[i]) != SOF_GOSSIP_OK) { bad++; continue; }
      sof_crds_upsert(t, &m.values[i], p, NULL);
      values++;
    }
    if (sof_crds_cnt(t) > CAP) break;
  }
  sof_crds_stats_t const *s = sof_crds_stats(t);
  SOF_CHECK(sof_crds_cnt(t) <= CAP);
  SOF_CHECK_EQ(s->inserted + s->updated + s->duplicate + s->outdated, values);
  SOF_CHECK_EQ(s->inserted - s->evicted, sof_crds_cnt(t));
  SOF_CHECK(s->evicted == 0); /* 64 x 3 labels: fits */
  SOF_CHECK(bad + rejected > 0 && values > 20000);
  SOF_CHECK_EQ(sof_crds_footprint(t), foot);
  sof_crds_delete(t);

  /* A flood of distinct labels past capacity: evictions keep it bounded. */
  t = sof_crds_new(CAP);
  static uint8_t one[300];
  uint64_t inserted = 0;
  for (uint32_t i = 0; i < 3 * CAP; i++) {
    /* distinct origins without signing each: parse only (unsigned values
     * are what a table owner must not take; here the bound is tested) */
    size_t n = make_value(one, SOF_GOSSIP_CRDS_NODE_INSTANCE, kps[i % KEYS], 5000 + i, 0, 0);
    memcpy(one + 64 + 4, &i, 4); /* a distinct origin */
    sof_gossip_value_t v;
    size_t used;
    if (sof_gossip_value_parse(&v, one, n, &used) == SOF_GOSSIP_OK) {
      sof_crds_rec_t ev;
      sof_crds_upsert(t, &v, i, &ev);
      inserted++;
      if (i >= CAP) SOF_CHECK(ev.used == 1 || i < CAP);
    }
  }
  SOF_CHECK_EQ(sof_crds_cnt(t), CAP);
  SOF_CHECK_EQ(sof_crds_stats(t)->evicted, inserted - CAP);
  SOF_CHECK_EQ(sof_crds_footprint(t), foot);
  sof_crds_delete(t);
  long rss1 = peak_rss_kb();
  fprintf(stderr, "test_crds: flood of %d packets: %" PRIu64 " values taken, %" PRIu64 " bad signatures, "
          "%" PRIu64 " packets rejected; table %zu bytes; peak RSS %ld -> %ld KiB\n",
          PACKETS, values, bad, rejected, foot, rss0, rss1);
  SOF_CHECK(rss1 - rss0 < 4096); /* the flood allocates nothing */
}

int
main(void) {
  if (sof_ed25519_init()) return 1;
  uint8_t seed[32];
  for (int i = 0; i < 32; i++) seed[i] = (uint8_t)(3 * i + 1);
  sof_ed25519_keypair_from_seed(g_kp, seed);
  test_rules();
  test_flood();
  return sof_test_done("test_crds");
}
