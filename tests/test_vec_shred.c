/* Conformance of the shred parser and merkle roots over the real and
 * fixture shreds in ../shared/vectors, asserting the values SOURCES.md lists.
 * Skips when the vectors are absent. */
#include "sof_test.h"

#include <pcap/pcap.h>

#include "crypto/sof_merkle.h"
#include "wire/sof_pkt.h"
#include "wire/sof_shred.h"

static char const *vec;

typedef struct {
  char *name;
  uint8_t *buf;
  size_t sz;
  int err;
  sof_shred_t s;
  uint8_t root[32];
  int root_ok;
} shred_file_t;

/* Loads and parses every *.bin file of a vectors sub-directory. */
static shred_file_t *
load_dir(char const *rel, size_t *cnt, unsigned flags) {
  size_t n;
  char **names = sof_test_list(vec, rel, ".bin", &n);
  shred_file_t *f = calloc(n ? n : 1, sizeof *f);
  for (size_t i = 0; i < n; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", rel, names[i]);
    f[i].name = names[i];
    f[i].buf = sof_test_read(vec, path, &f[i].sz);
    if (!f[i].buf) { f[i].err = 1; continue; }
    f[i].err = sof_shred_parse(&f[i].s, f[i].buf, f[i].sz, flags);
    if (!f[i].err && f[i].s.is_merkle)
      f[i].root_ok = !sof_shred_merkle_root(f[i].root, f[i].buf, &f[i].s);
  }
  free(names);
  *cnt = n;
  return f;
}

static void
free_dir(shred_file_t *f, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(f[i].name);
    free(f[i].buf);
  }
  free(f);
}

static void
hex(char *out, uint8_t const *b, size_t n) {
  for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

/* Root hex starts with pre and ends with suf (SOURCES.md abbreviates). */
static int
hex_is(uint8_t const *b, char const *pre, char const *suf) {
  char h[65];
  hex(h, b, 32);
  return !strncmp(h, pre, strlen(pre)) && !strcmp(h + 64 - strlen(suf), suf);
}

static size_t
count_ok(shred_file_t const *f, size_t n) {
  size_t ok = 0;
  for (size_t i = 0; i < n; i++) ok += f[i].err == 0;
  return ok;
}

/* The root of the first parsed shred of a FEC set (all of a set share it). */
static uint8_t const *
set_root(shred_file_t const *f, size_t n, uint32_t fec) {
  for (size_t i = 0; i < n; i++)
    if (!f[i].err && f[i].root_ok && f[i].s.fec_set_idx == fec) return f[i].root;
  return NULL;
}

/* Every shred of every set agrees on its set's root. Returns disagreements. */
static int
roots_agree(shred_file_t const *f, size_t n) {
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    if (f[i].err || !f[i].s.is_merkle) continue;
    uint8_t const *r = set_root(f, n, f[i].s.fec_set_idx);
    if (!f[i].root_ok || !r || memcmp(r, f[i].root, 32)) bad++;
  }
  return bad;
}

static void
test_agave(void) {
  size_t sz;
  sof_shred_t s;
  uint8_t *b = sof_test_read(vec, "agave-legacy-data-shred-1.bin", &sz);
  if (b) {
    SOF_CHECK_EQ(sof_shred_parse(&s, b, sz, 0), 0);
    SOF_CHECK_STR(sof_shred_variant_str(&s), "legacy_data");
    SOF_CHECK_EQ(s.slot, 141939602);
    SOF_CHECK_EQ(s.idx, 28685);
    SOF_CHECK_EQ(s.version, 45189);
    SOF_CHECK_EQ(s.fec_set_idx, 28657);
    SOF_CHECK_EQ(s.parent_off, 36390);
    SOF_CHECK_EQ(s.flags, 0xE5);
    SOF_CHECK_EQ(s.size, 1139);
    SOF_CHECK_EQ(s.data_sz, 1051);
    free(b);
  }
  b = sof_test_read(vec, "agave-legacy-data-shred-empty.bin", &sz);
  if (b) {
    SOF_CHECK_EQ(sof_shred_parse(&s, b, sz, 0), 0);
    SOF_CHECK_EQ(s.slot, 142076266);
    SOF_CHECK_EQ(s.idx, 21443);
    SOF_CHECK_EQ(s.version, 59445);
    SOF_CHECK_EQ(s.fec_set_idx, 21414);
    SOF_CHECK_EQ(s.parent_off, 51279);
    SOF_CHECK_EQ(s.flags, 0x71);
    SOF_CHECK_EQ(s.size, 88);
    SOF_CHECK_EQ(s.data_sz, 0);
    free(b);
  }
  b = sof_test_read(vec, "agave-legacy-code-shred-1.bin", &sz);
  if (b) {
    SOF_CHECK_EQ(sof_shred_parse(&s, b, sz, 0), 0);
    SOF_CHECK_STR(sof_shred_variant_str(&s), "legacy_code");
    SOF_CHECK_EQ(s.slot, 141945197);
    SOF_CHECK_EQ(s.idx, 23418);
    SOF_CHECK_EQ(s.version, 47298);
    SOF_CHECK_EQ(s.fec_set_idx, 21259);
    SOF_CHECK_EQ(s.num_data, 32);
    SOF_CHECK_EQ(s.num_coding, 58);
    SOF_CHECK_EQ(s.position, 43);
    free(b);
  }
  uint8_t root[32];
  b = sof_test_read(vec, "agave-merkle-chained-data-shred-1.bin", &sz);
  if (b) {
    SOF_CHECK_EQ(sof_shred_parse(&s, b, sz, 0), 0);
    SOF_CHECK_STR(sof_shred_variant_str(&s), "merkle_data_chained");
    SOF_CHECK_EQ(s.variant, 0x96);
    SOF_CHECK_EQ(s.proof_cnt, 6);
    SOF_CHECK_EQ(s.slot, 142076266);
    SOF_CHECK_EQ(s.idx, 64);
    SOF_CHECK_EQ(s.fec_set_idx, 64);
    SOF_CHECK_EQ(s.version, 42);
    SOF_CHECK_EQ(s.parent_off, 1);
    SOF_CHECK_EQ(s.flags, 0);
    SOF_CHECK_EQ(s.size, 1051);
    SOF_CHECK_EQ(s.data_sz, 963);
    static uint8_t const zero[32];
    SOF_CHECK_MEM(b + s.chained_root_off, zero, 32);
    SOF_CHECK_EQ(sof_shred_merkle_root(root, b, &s), 0);
    SOF_CHECK(hex_is(root, "b2741d97", "c54546"));
    free(b);
  }
  b = sof_test_read(vec, "agave-merkle-chained-resigned-data-shred-empty.bin", &sz);
  if (b) {
    SOF_CHECK_EQ(sof_shred_parse(&s, b, sz, 0), 0);
    SOF_CHECK_STR(sof_shred_variant_str(&s), "merkle_data_chained_resigned");
    SOF_CHECK_EQ(s.variant, 0xB6);
    SOF_CHECK_EQ(s.slot, 142076266);
    SOF_CHECK_EQ(s.idx, 31);
    SOF_CHECK_EQ(s.fec_set_idx, 0);
    SOF_CHECK_EQ(s.flags, 0xC0);
    SOF_CHECK_EQ(s.size, 88);
    SOF_CHECK_EQ(s.retx_sig_off, 1139);
    SOF_CHECK_EQ(sof_shred_merkle_root(root, b, &s), 0);
    SOF_CHECK(hex_is(root, "55d044ea", "24f3b6"));
    free(b);
  }
}

static void
test_testnet(void) {
  size_t n;
  shred_file_t *f = load_dir("fd-testnet-slot385970984/shreds", &n, 0);
  SOF_CHECK_EQ(n, 307);
  SOF_CHECK_EQ(count_ok(f, n), 307);
  int bad = 0, dc = 0;
  for (size_t i = 0; i < n; i++) {
    sof_shred_t const *s = &f[i].s;
    if (f[i].err) continue;
    bad += s->slot != 385970984 || s->version != 27350 || s->proof_cnt != 6;
    bad += s->fec_set_idx % 32 != 0 || s->fec_set_idx < 320 || s->fec_set_idx > 448;
    uint8_t want = s->fec_set_idx == 448 ? (s->is_data ? 0xB6 : 0x76) : (s->is_data ? 0x96 : 0x66);
    bad += s->variant != want;
    bad += f[i].sz != (s->is_data ? 1203U : 1228U);
    if (s->is_data) {
      bad += s->parent_off != 1;
      if (s->flags & SOF_SHRED_FLAG_DATA_COMPLETE) {
        dc++;
        bad += !(s->idx == 351 || s->idx == 383 || s->idx == 415 || s->idx == 447 || s->idx == 479);
      }
    } else {
      bad += s->num_data != 32 || s->num_coding != 32 || s->idx != s->fec_set_idx + s->position;
    }
  }
  SOF_CHECK_EQ(bad, 0);
  SOF_CHECK(dc >= 4);
  SOF_CHECK_EQ(roots_agree(f, n), 0);
  static struct { uint32_t fec; char const *pre, *suf; } const roots[] = {
    {320, "544894b9", "09261"}, {352, "a910046b", "7eb79"}, {384, "c2082778", "bd952"},
    {416, "7665b289", "3fc87"}, {448, "012055b7", "1f89f"},
  };
  for (unsigned k = 0; k < 5; k++) {
    uint8_t const *r = set_root(f, n, roots[k].fec);
    SOF_CHECK(r && hex_is(r, roots[k].pre, roots[k].suf));
  }
  /* each set's chained root is the previous set's root */
  int links = 0;
  for (size_t i = 0; i < n; i++) {
    sof_shred_t const *s = &f[i].s;
    if (f[i].err) continue;
    if (s->fec_set_idx == 320) {
      links += hex_is(f[i].buf + s->chained_root_off, "50ae69c7", "b6c041") ? 0 : 1000;
    } else {
      uint8_t const *prev = set_root(f, n, s->fec_set_idx - 32);
      links += prev && !memcmp(prev, f[i].buf + s->chained_root_off, 32) ? 0 : 1000;
    }
  }
  SOF_CHECK_EQ(links, 0);
  /* idx 479 carries LAST_IN_SLOT with reference tick 63 */
  for (size_t i = 0; i < n; i++)
    if (!f[i].err && f[i].s.is_data && f[i].s.idx == 479) SOF_CHECK_EQ(f[i].s.flags, 0xFF);
  free_dir(f, n);

  /* the recovered shreds parse, and carry their set's root */
  size_t rn;
  shred_file_t *r = load_dir("fd-testnet-slot385970984/recovered", &rn, 0);
  shred_file_t *all = load_dir("fd-testnet-slot385970984/shreds", &n, 0);
  SOF_CHECK_EQ(rn, 15);
  SOF_CHECK_EQ(count_ok(r, rn), 15);
  for (size_t i = 0; i < rn; i++) {
    uint8_t const *want = set_root(all, n, r[i].s.fec_set_idx);
    SOF_CHECK(r[i].root_ok && want && !memcmp(want, r[i].root, 32));
  }
  free_dir(r, rn);
  free_dir(all, n);
}

static void
test_demo_pcap(void) {
  char path[4096], errbuf[PCAP_ERRBUF_SIZE];
  snprintf(path, sizeof path, "%s/fd-demo-slot0-fixed32/demo-shreds.pcap", vec);
  pcap_t *pc = pcap_open_offline(path, errbuf);
  SOF_CHECK(pc != NULL);
  if (!pc) return;
  size_t init_sz;
  uint8_t *init = sof_test_read(vec, "fd-demo-slot0-fixed32/chained-merkle-root-initial.bin", &init_sz);
  struct pcap_pkthdr *h;
  uint8_t const *frame;
  unsigned pkts = 0, data = 0, code = 0, bad = 0;
  static uint8_t roots[8][32];
  static uint8_t chained[8][32];
  while (pcap_next_ex(pc, &h, &frame) == 1) {
    pkts++;
    sof_pkt_udp_t u;
    if (sof_pkt_parse(&u, frame, h->caplen)) { bad++; continue; }
    bad += u.payload_off != 42;
    bad += h->caplen != (u.payload_sz == 1203 ? 1245U : 1270U);
    sof_shred_t s;
    uint8_t const *p = frame + u.payload_off;
    if (sof_shred_parse(&s, p, u.payload_sz, 0)) { bad++; continue; }
    data += s.is_data;
    code += !s.is_data;
    unsigned set = s.fec_set_idx / 32;
    bad += s.slot != 0 || s.version != 6051 || s.fec_set_idx % 32 || set >= 8;
    if (set >= 8) continue;
    uint8_t want = set == 7 ? (s.is_data ? 0xB6 : 0x76) : (s.is_data ? 0x96 : 0x66);
    bad += s.variant != want;
    if (s.is_data) bad += s.parent_off != 0;
    if (s.is_data && s.idx == 255) bad += s.flags != 0xC0;
    uint8_t r[32];
    if (sof_shred_merkle_root(r, p, &s)) { bad++; continue; }
    if ((s.is_data && s.idx == s.fec_set_idx)) {
      memcpy(roots[set], r, 32);
      memcpy(chained[set], p + s.chained_root_off, 32);
    }
  }
  pcap_close(pc);
  SOF_CHECK_EQ(pkts, 512);
  SOF_CHECK_EQ(data, 256);
  SOF_CHECK_EQ(code, 256);
  SOF_CHECK_EQ(bad, 0);
  if (init) SOF_CHECK_MEM(chained[0], init, 32);
  for (unsigned k = 1; k < 8; k++) SOF_CHECK_MEM(chained[k], roots[k - 1], 32);
  free(init);
}

static void
test_localnet(void) {
  size_t n;
  shred_file_t *f = load_dir("fd-localnet-v114-slot0-merkle-unchained", &n, 0);
  SOF_CHECK_EQ(n, 4);
  SOF_CHECK_EQ(count_ok(f, n), 4);
  for (size_t i = 0; i < n; i++) {
    SOF_CHECK_EQ(f[i].s.variant, 0x85);
    SOF_CHECK_EQ(f[i].s.version, 52735);
    SOF_CHECK_STR(sof_shred_variant_str(&f[i].s), "merkle_data");
    SOF_CHECK(f[i].root_ok && hex_is(f[i].root, "55863ac7", "37da8c"));
  }
  free_dir(f, n);

  /* obsolete v1.13 merkle layout: headers parse, but the current algorithm
   * finds no common root */
  f = load_dir("fd-localnet-v113-slot0-merkle-obsolete", &n, 0);
  SOF_CHECK_EQ(n, 4);
  SOF_CHECK_EQ(count_ok(f, n), 4);
  unsigned data_total = 0;
  for (size_t i = 0; i < n; i++) data_total += f[i].s.data_sz;
  SOF_CHECK_EQ(data_total, 3080);
  SOF_CHECK(n == 4 && memcmp(f[0].root, f[1].root, 32) && memcmp(f[1].root, f[2].root, 32) &&
            memcmp(f[2].root, f[3].root, 32));
  free_dir(f, n);

  /* trimmed legacy shreds: only accepted in storage form */
  static char const *const legacy[] = {"fd-localnet-v114-slot1-legacy", "fd-localnet-v113-slot50-legacy"};
  for (unsigned k = 0; k < 2; k++) {
    f = load_dir(legacy[k], &n, SOF_SHRED_PARSE_ALLOW_TRIMMED);
    SOF_CHECK_EQ(n, 8);
    SOF_CHECK_EQ(count_ok(f, n), 8);
    for (size_t i = 0; i < n; i++) {
      SOF_CHECK_EQ(f[i].s.variant, 0xA5);
      SOF_CHECK_EQ(f[i].s.idx, i);
      SOF_CHECK_EQ(f[i].s.size, f[i].sz); /* trimmed to exactly size */
      SOF_CHECK(f[i].s.flags & SOF_SHRED_FLAG_DATA_COMPLETE);
      if (k == 1) SOF_CHECK_EQ(f[i].s.version, 52189);
      sof_shred_t s;
      SOF_CHECK_EQ(sof_shred_parse(&s, f[i].buf, f[i].sz, 0), SOF_SHRED_ERR_TOO_SHORT);
    }
    free_dir(f, n);
  }
}

static void
test_radiance(void) {
  size_t n;
  shred_file_t *f = load_dir("radiance-mainnet-slot102815960-legacy/shreds", &n,
                             SOF_SHRED_PARSE_ALLOW_TRIMMED);
  SOF_CHECK_EQ(n, 2047);
  SOF_CHECK_EQ(count_ok(f, n), 2047);
  unsigned data = 0, code = 0, dc = 0, bad = 0;
  for (size_t i = 0; i < n; i++) {
    sof_shred_t const *s = &f[i].s;
    if (f[i].err) continue;
    bad += s->slot != 102815960 || s->version != 8573;
    if (s->is_data) {
      data++;
      bad += s->parent_off != 1 || s->variant != 0xA5;
      dc += !!(s->flags & SOF_SHRED_FLAG_DATA_COMPLETE);
      if (s->idx == 1426) bad += s->flags != 0xC0;
    } else {
      code++;
      bad += s->position != 0 || s->variant != 0x5A;
      bad += s->fec_set_idx == 1408 ? (s->num_data != 19 || s->num_coding != 45)
                                    : (s->num_data != 32 || s->num_coding != 32);
    }
  }
  SOF_CHECK_EQ(data, 1427);
  SOF_CHECK_EQ(code, 620);
  SOF_CHECK_EQ(dc, 574);
  SOF_CHECK_EQ(bad, 0);
  free_dir(f, n);

  /* first-revision (v1) legacy shreds have no size field: rejected */
  static char const *const v1[] = {"radiance-mainnet-slot0-1-legacy-v1/slot0",
                                   "radiance-mainnet-slot0-1-legacy-v1/slot1"};
  for (unsigned k = 0; k < 2; k++) {
    f = load_dir(v1[k], &n, 0);
    SOF_CHECK_EQ(n, k ? 67 : 3);
    unsigned rejected = 0;
    for (size_t i = 0; i < n; i++) rejected += f[i].err == SOF_SHRED_ERR_BAD_SIZE;
    SOF_CHECK_EQ(rejected, n);
    free_dir(f, n);
  }

  /* v1.14-era localnet merkle shreds: headers parse (1 data + 17 code,
   * proof 5), the current root algorithm gives no common set root */
  f = load_dir("radiance-localnet-slot94-merkle-obsolete/shreds", &n, 0);
  SOF_CHECK_EQ(n, 144);
  SOF_CHECK_EQ(count_ok(f, n), 144);
  SOF_CHECK(roots_agree(f, n) > 0);
  free_dir(f, n);
}

static void
test_sig(void) {
  size_t n;
  shred_file_t *f = load_dir("sig-testnet-slot417955322-full/shreds", &n, 0);
  SOF_CHECK_EQ(n, 320);
  SOF_CHECK_EQ(count_ok(f, n), 320);
  unsigned bad = 0;
  for (size_t i = 0; i < n; i++) {
    sof_shred_t const *s = &f[i].s;
    bad += s->slot != 417955322 || s->version != 1516 || !s->is_data || s->parent_off != 1;
    bad += s->variant != (s->fec_set_idx == 288 ? 0xB6 : 0x96);
    if (s->idx == 319) bad += s->flags != 0xFF || s->size != 88;
  }
  SOF_CHECK_EQ(bad, 0);
  SOF_CHECK_EQ(roots_agree(f, n), 0);
  uint8_t const *r0 = set_root(f, n, 0), *r288 = set_root(f, n, 288);
  SOF_CHECK(r0 && hex_is(r0, "78abf34d", "1d79da"));
  SOF_CHECK(r288 && hex_is(r288, "2d25e939", "6d8689"));
  SOF_CHECK(n && hex_is(f[0].buf + f[0].s.chained_root_off, "e59fab00", "1665ff"));
  free_dir(f, n);

  f = load_dir("sig-testnet-slot356797362-full-padded/shreds", &n, 0);
  SOF_CHECK_EQ(n, 992);
  SOF_CHECK_EQ(count_ok(f, n), 992);
  bad = 0;
  for (size_t i = 0; i < n; i++) {
    sof_shred_t const *s = &f[i].s;
    bad += s->slot != 356797362 || s->version != 9065;
    bad += s->variant != (s->fec_set_idx >= 896 ? 0xB6 : 0x96);
    if (s->idx == 991) bad += s->flags != 0xC0;
  }
  SOF_CHECK_EQ(bad, 0);
  SOF_CHECK_EQ(roots_agree(f, n), 0);
  free_dir(f, n);

  f = load_dir("sig-slot410010000-fec0-v57087/shreds", &n, 0);
  SOF_CHECK_EQ(n, 59);
  SOF_CHECK_EQ(count_ok(f, n), 59);
  unsigned data = 0;
  for (size_t i = 0; i < n; i++) {
    data += f[i].s.is_data;
    SOF_CHECK(f[i].root_ok && hex_is(f[i].root, "351215b1", "ded828"));
    SOF_CHECK(hex_is(f[i].buf + f[i].s.chained_root_off, "deb3c61c", "76d002"));
    SOF_CHECK_EQ(f[i].s.version, 57087);
  }
  SOF_CHECK_EQ(data, 32);
  free_dir(f, n);

  /* mainnet 2024 unchained shreds: 1224-byte payloads with junk after 1203;
   * every field and root as expected.csv lists */
  size_t csv_sz;
  char *csv = (char *)sof_test_read(vec, "sig-mainnet-2024-merkle-unchained/single/expected.csv", &csv_sz);
  if (csv) {
    csv[csv_sz] = '\0';
    char *save = NULL;
    unsigned rows = 0, long_payloads = 0;
    for (char *line = strtok_r(csv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
      if (!strncmp(line, "order", 5)) continue;
      unsigned order, len, idx, fec, variant, flags, size;
      unsigned long long slot;
      char file[256], root_hex[65];
      if (sscanf(line, "%u,%255[^,],%u,%llu,%u,%u,%x,%x,%u,%64s", &order, file, &len, &slot, &idx,
                 &fec, &variant, &flags, &size, root_hex) != 10) {
        SOF_CHECK(!"bad csv line");
        continue;
      }
      rows++;
      char rel[512];
      snprintf(rel, sizeof rel, "sig-mainnet-2024-merkle-unchained/single/%s", file);
      size_t sz;
      uint8_t *b = sof_test_read(vec, rel, &sz);
      if (!b) continue;
      SOF_CHECK_EQ(sz, len);
      long_payloads += sz > 1203;
      sof_shred_t s;
      SOF_CHECK_EQ(sof_shred_parse(&s, b, sz, 0), 0);
      SOF_CHECK_EQ(s.slot, slot);
      SOF_CHECK_EQ(s.idx, idx);
      SOF_CHECK_EQ(s.fec_set_idx, fec);
      SOF_CHECK_EQ(s.variant, variant); /* variant and flags are hex in the csv */
      SOF_CHECK_EQ(s.flags, flags);
      SOF_CHECK_EQ(s.size, size);
      SOF_CHECK_EQ(s.version, 50093);
      uint8_t r[32], want[32];
      SOF_CHECK_EQ(sof_shred_merkle_root(r, b, &s), 0);
      sof_test_unhex(want, root_hex, 32);
      SOF_CHECK_MEM(r, want, 32);
      free(b);
    }
    SOF_CHECK_EQ(rows, 99);
    SOF_CHECK_EQ(long_payloads, 27);
    free(csv);
  }

  f = load_dir("sig-mainnet-2024-merkle-unchained/recovery-slot284737905-fec483", &n, 0);
  SOF_CHECK_EQ(n, 28);
  SOF_CHECK_EQ(count_ok(f, n), 28);
  for (size_t i = 0; i < n; i++) SOF_CHECK(f[i].root_ok && hex_is(f[i].root, "319addc2", "538eba"));
  free_dir(f, n);
}

static void
test_synthetic(void) {
  size_t n;
  shred_file_t *f = load_dir("fd-synthetic-chained-varfec-slot0/shreds", &n, 0);
  SOF_CHECK_EQ(n, 122);
  SOF_CHECK_EQ(count_ok(f, n), 122);
  SOF_CHECK_EQ(roots_agree(f, n), 0);
  unsigned sets_ok = 0;
  for (size_t i = 0; i < n; i++) {
    sof_shred_t const *s = &f[i].s;
    if (s->is_data || s->position) continue;
    unsigned k = s->num_data, m = s->num_coding;
    sets_ok += (k == 5 && m == 20) || (k == 10 && m == 23) || (k == 15 && m == 26) || (k == 4 && m == 19);
  }
  SOF_CHECK_EQ(sets_ok, 4);
  free_dir(f, n);

  f = load_dir("fd-synthetic-resigned-32-slot0/shreds", &n, 0);
  SOF_CHECK_EQ(n, 64);
  SOF_CHECK_EQ(count_ok(f, n), 64);
  SOF_CHECK_EQ(roots_agree(f, n), 0);
  for (size_t i = 0; i < n; i++) SOF_CHECK(f[i].s.is_resigned);
  free_dir(f, n);
}

int
main(void) {
  vec = sof_test_require_vectors("vec_shred");
  test_agave();
  test_testnet();
  test_demo_pcap();
  test_localnet();
  test_radiance();
  test_sig();
  test_synthetic();
  return sof_test_done("vec_shred");
}
