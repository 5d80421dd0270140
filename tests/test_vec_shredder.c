/* test_vec_shredder: the shredder reproduces Firedancer's demo slot byte for
 * byte (../shared/vectors/fd-demo-slot0-fixed32, SOURCES.md section 3).
 *
 * entry-batch.bin (237320 B), slot 0, parent 0, shred version 6051,
 * reference tick 0, last in slot, chained root of set 0 from
 * chained-merkle-root-initial.bin, key leader.key must give the 512 shreds
 * of demo-shreds.pcap: shreds/NNN-… in the order data 0..31 then code 0..31
 * of each set, and the same bytes as the pcap's UDP payloads. */
#include <pcap/pcap.h>

#include "sof_test.h"
#include "shredder/sof_shredder.h"
#include "wire/sof_pkt.h"

#define NAME   "test_vec_shredder"
#define DEMO   "fd-demo-slot0-fixed32"
#define SET_CNT 8U

static sof_shredder_set_t sets[SET_CNT + 1];

/* Returns the expected payload for output shred k (0..511), or NULL. */
static uint8_t const *
expected_from_file(char const *dir, char **names, size_t name_cnt, size_t k, size_t *sz) {
  if (k >= name_cnt) return NULL;
  char rel[512];
  snprintf(rel, sizeof rel, DEMO "/shreds/%s", names[k]);
  return sof_test_read(dir, rel, sz);
}

static uint8_t const *
shred_at(size_t k, size_t *sz) {
  size_t set = k / 64, j = k % 64;
  if (j < 32) {
    *sz = SOF_SHRED_MERKLE_DATA_SZ;
    return sets[set].data[j];
  }
  *sz = SOF_SHRED_MERKLE_CODE_SZ;
  return sets[set].code[j - 32];
}

int
main(void) {
  char const *dir = sof_test_require_vectors(NAME);

  size_t   batch_sz = 0, root_sz = 0, key_sz = 0, pub_sz = 0;
  uint8_t *batch = sof_test_read(dir, DEMO "/entry-batch.bin", &batch_sz);
  uint8_t *root0 = sof_test_read(dir, DEMO "/chained-merkle-root-initial.bin", &root_sz);
  uint8_t *key   = sof_test_read(dir, DEMO "/leader.key", &key_sz);
  uint8_t *pub   = sof_test_read(dir, DEMO "/leader.pubkey", &pub_sz);
  if (!batch || !root0 || !key || !pub) return sof_test_done(NAME);
  SOF_CHECK_EQ(batch_sz, 237320);
  SOF_CHECK_EQ(root_sz, 32);
  SOF_CHECK_EQ(key_sz, 64);
  SOF_CHECK_MEM(key + 32, pub, 32);

  sof_shredder_t sh;
  SOF_CHECK_EQ(sof_shredder_init(&sh), SOF_SHREDDER_OK);
  SOF_CHECK_EQ(sof_shredder_set_cnt(batch_sz, 1), SET_CNT);

  sof_shredder_args_t args = {
    .slot = 0, .parent_slot = 0, .data_idx = 0, .shred_version = 6051,
    .reference_tick = 0, .last_in_slot = 1, .keypair = key,
  };
  uint8_t root[32];
  memcpy(root, root0, 32);
  long n = sof_shredder_shred(&sh, &args, batch, batch_sz, root, sets, SET_CNT + 1);
  SOF_CHECK_EQ(n, SET_CNT);
  if (n != SET_CNT) return sof_test_done(NAME);
  SOF_CHECK_MEM(root, sets[SET_CNT - 1].root, 32);

  /* Layout facts the demo shows: 7 chained sets then one full resigned set;
   * data shred 216 holds 544 bytes, 217..223 are empty. */
  for (unsigned s = 0; s < SET_CNT; s++) {
    SOF_CHECK_EQ(sets[s].fec_set_idx, 32 * s);
    SOF_CHECK_EQ(sets[s].resigned, s == SET_CNT - 1);
  }
  SOF_CHECK_EQ(sets[6].data_shred_cnt, 25);
  SOF_CHECK_EQ(sets[6].batch_sz, 23656 /* 208552 - 6 x 30816 */);
  SOF_CHECK_EQ(sets[6].data[24][86] | (sets[6].data[24][87] << 8), 88 + 544);
  SOF_CHECK_EQ(sets[6].data[25][86] | (sets[6].data[25][87] << 8), 88);
  SOF_CHECK_EQ(sets[7].batch_off, batch_sz - 28768);
  SOF_CHECK_EQ(sets[7].data[31][85], 0xC0);

  /* 1. Against the extracted payload files. */
  size_t name_cnt = 0;
  char **names    = sof_test_list(dir, DEMO "/shreds", ".bin", &name_cnt);
  SOF_CHECK_EQ(name_cnt, 64 * SET_CNT);
  size_t file_ok = 0;
  for (size_t k = 0; k < 64 * SET_CNT; k++) {
    size_t         exp_sz = 0, got_sz = 0;
    uint8_t       *exp    = (uint8_t *)expected_from_file(dir, names, name_cnt, k, &exp_sz);
    uint8_t const *got    = shred_at(k, &got_sz);
    if (!exp) continue;
    if (exp_sz == got_sz && !memcmp(exp, got, got_sz)) {
      file_ok++;
    } else {
      SOF_CHECK(exp_sz == got_sz && !memcmp(exp, got, got_sz));
      fprintf(stderr, "  mismatch with shreds/%s (size %zu vs %zu)\n", names[k], exp_sz, got_sz);
      for (size_t b = 0; b < got_sz && b < exp_sz; b++) {
        if (exp[b] != got[b]) {
          fprintf(stderr, "  first difference at byte %zu: %02x vs %02x\n", b, exp[b], got[b]);
          break;
        }
      }
    }
    free(exp);
  }
  SOF_CHECK_EQ(file_ok, 64 * SET_CNT);
  if (names) sof_test_free_list(names, name_cnt);

  /* 2. Against the pcap, packet by packet. */
  char path[4096], errbuf[PCAP_ERRBUF_SIZE];
  snprintf(path, sizeof path, "%s/" DEMO "/demo-shreds.pcap", dir);
  pcap_t *pc = pcap_open_offline(path, errbuf);
  SOF_CHECK(pc != NULL);
  if (pc) {
    struct pcap_pkthdr *h;
    u_char const       *frame;
    size_t              k = 0, pcap_ok = 0;
    while (pcap_next_ex(pc, &h, &frame) == 1) {
      sof_pkt_udp_t udp;
      int           err = sof_pkt_parse(&udp, frame, h->caplen);
      SOF_CHECK_EQ(err, SOF_PKT_OK);
      if (err || k >= 64 * SET_CNT) { k++; continue; }
      size_t         got_sz;
      uint8_t const *got = shred_at(k, &got_sz);
      SOF_CHECK_EQ(h->caplen, got_sz + 42);
      if (udp.payload_sz == got_sz && !memcmp(frame + udp.payload_off, got, got_sz)) pcap_ok++;
      k++;
    }
    SOF_CHECK_EQ(k, 64 * SET_CNT);
    SOF_CHECK_EQ(pcap_ok, 64 * SET_CNT);
    pcap_close(pc);
  }

  /* 3. Streaming one set at a time through a single buffer gives the same
   * bytes (spot check: first and last set). */
  static sof_shredder_set_t one;
  uint8_t r[32];
  memcpy(r, root0, 32);
  SOF_CHECK_EQ(sof_shredder_shred_set(&sh, &args, batch, batch_sz, 0, r, &one), SOF_SHREDDER_OK);
  SOF_CHECK_MEM(one.data, sets[0].data, sizeof one.data);
  SOF_CHECK_MEM(one.code, sets[0].code, sizeof one.code);
  SOF_CHECK_MEM(one.root, sets[0].root, 32);
  memcpy(r, sets[6].root, 32);
  SOF_CHECK_EQ(sof_shredder_shred_set(&sh, &args, batch, batch_sz, 7, r, &one), SOF_SHREDDER_OK);
  SOF_CHECK_MEM(one.data, sets[7].data, sizeof one.data);
  SOF_CHECK_MEM(one.code, sets[7].code, sizeof one.code);
  SOF_CHECK_MEM(r, root, 32);

  free(batch);
  free(root0);
  free(key);
  free(pub);
  return sof_test_done(NAME);
}
