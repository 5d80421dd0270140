/* Shred parser rules on synthetic shreds of every variant: each header
 * field and region offset, each sanity rule with its exact reason code,
 * truncation, over-long payloads, and the merkle root of a shred built into
 * a real tree. */
#include "sof_test.h"

#include "crypto/sof_merkle.h"
#include "wire/sof_shred.h"

static void
st16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void
st32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void
st64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* A valid data shred of the given variant, slot 1000, idx fec + 3. */
static size_t
mk_data(uint8_t *b, uint8_t variant, uint16_t size) {
  memset(b, 0, 1300);
  for (int i = 0; i < 64; i++) b[i] = (uint8_t)(i + 1);
  b[64] = variant;
  st64(b + 65, 1000);
  st32(b + 73, 67);
  st16(b + 77, 4242);
  st32(b + 79, 64);
  st16(b + 83, 1);
  b[85] = 0x40 | 5;
  st16(b + 86, size);
  for (unsigned i = 88; i < size; i++) b[i] = (uint8_t)i;
  return variant == 0xA5 ? 1228 : 1203;
}

/* A valid coding shred: num_data 32, num_coding 32, position 5. */
static size_t
mk_code(uint8_t *b, uint8_t variant) {
  memset(b, 0, 1300);
  b[64] = variant;
  st64(b + 65, 1000);
  st32(b + 73, 64 + 5);
  st16(b + 77, 4242);
  st32(b + 79, 64);
  st16(b + 83, 32);
  st16(b + 85, 32);
  st16(b + 87, 5);
  return 1228;
}

static void
test_variants(void) {
  static struct {
    uint8_t variant;
    char const *name;
    unsigned data, merkle, chained, resigned, cap;
  } const v[] = {
    {0xA5, "legacy_data", 1, 0, 0, 0, 1051},
    {0x5A, "legacy_code", 0, 0, 0, 0, 1139},
    {0x86, "merkle_data", 1, 1, 0, 0, 1203 - 88 - 120},
    {0x46, "merkle_code", 0, 1, 0, 0, 1228 - 89 - 120},
    {0x96, "merkle_data_chained", 1, 1, 1, 0, 963},
    {0x66, "merkle_code_chained", 0, 1, 1, 0, 987},
    {0xB6, "merkle_data_chained_resigned", 1, 1, 1, 1, 899},
    {0x76, "merkle_code_chained_resigned", 0, 1, 1, 1, 923},
  };
  uint8_t b[1300];
  for (unsigned k = 0; k < sizeof v / sizeof v[0]; k++) {
    size_t sz = v[k].data ? mk_data(b, v[k].variant, 88 + 500) : mk_code(b, v[k].variant);
    sof_shred_t s;
    int err = sof_shred_parse(&s, b, sz, 0);
    SOF_CHECK_EQ(err, SOF_SHRED_OK);
    SOF_CHECK_STR(sof_shred_variant_str(&s), v[k].name);
    SOF_CHECK_EQ(s.is_data, v[k].data);
    SOF_CHECK_EQ(s.is_merkle, v[k].merkle);
    SOF_CHECK_EQ(s.is_chained, v[k].chained);
    SOF_CHECK_EQ(s.is_resigned, v[k].resigned);
    SOF_CHECK_EQ(s.capacity, v[k].cap);
    SOF_CHECK_EQ(s.slot, 1000);
    SOF_CHECK_EQ(s.version, 4242);
    SOF_CHECK_EQ(s.fec_set_idx, 64);
    SOF_CHECK_EQ(s.payload_sz, sz);
    SOF_CHECK_EQ(s.proof_cnt, v[k].merkle ? 6 : 0);
    if (v[k].data) {
      SOF_CHECK_EQ(s.idx, 67);
      SOF_CHECK_EQ(s.parent_off, 1);
      SOF_CHECK_EQ(sof_shred_parent(&s), 999);
      SOF_CHECK_EQ(s.flags, 0x45);
      SOF_CHECK_EQ(s.size, 588);
      SOF_CHECK_EQ(s.data_off, 88);
      SOF_CHECK_EQ(s.data_sz, 500);
      SOF_CHECK_EQ(s.erasure_idx, 3);
      SOF_CHECK_EQ(s.erasure_off, v[k].merkle ? 64 : 0);
      SOF_CHECK_EQ(s.erasure_sz, v[k].merkle ? 88 + v[k].cap - 64 : 1139);
    } else {
      SOF_CHECK_EQ(s.idx, 69);
      SOF_CHECK_EQ(s.num_data, 32);
      SOF_CHECK_EQ(s.num_coding, 32);
      SOF_CHECK_EQ(s.position, 5);
      SOF_CHECK_EQ(s.erasure_idx, 37);
      SOF_CHECK_EQ(s.erasure_off, 89);
      SOF_CHECK_EQ(s.erasure_sz, v[k].cap);
    }
    if (v[k].merkle) {
      unsigned hdr = v[k].data ? 88 : 89, full = v[k].data ? 1203 : 1228;
      SOF_CHECK_EQ(s.chained_root_off, v[k].chained ? hdr + v[k].cap : 0);
      SOF_CHECK_EQ(s.proof_off, full - 120 - 64 * v[k].resigned);
      SOF_CHECK_EQ(s.retx_sig_off, v[k].resigned ? full - 64 : 0);
      /* regions tile the shred: header | capacity | root | proof | sig */
      SOF_CHECK_EQ(hdr + v[k].cap + 32 * v[k].chained + 120 + 64 * v[k].resigned, full);
    }

    /* one byte short of the shred is rejected; longer is accepted and the tail ignored */
    SOF_CHECK_EQ(sof_shred_parse(&s, b, sz - 1, 0), SOF_SHRED_ERR_TOO_SHORT);
    SOF_CHECK_EQ(sof_shred_parse(&s, b, sz + 4, 0), SOF_SHRED_OK);
    SOF_CHECK_EQ(s.payload_sz, sz);
    for (size_t cut = 0; cut < sz; cut += 37) {
      int e = sof_shred_parse(&s, b, cut, 0);
      SOF_CHECK(e == SOF_SHRED_ERR_TOO_SHORT || (cut >= 88 && e == SOF_SHRED_ERR_BAD_VARIANT));
    }
  }

  /* the 1228-byte size counts for merkle code, 1203 for merkle data */
  sof_shred_t s;
  mk_code(b, 0x66);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_ERR_TOO_SHORT);
}

static void
test_bad_variants(void) {
  uint8_t b[1300];
  int bad = 0;
  for (unsigned v = 0; v < 256; v++) {
    mk_data(b, (uint8_t)v, 100);
    sof_shred_t s;
    int err = sof_shred_parse(&s, b, 1228, 0);
    unsigned hi = v & 0xF0;
    int known = v == 0xA5 || v == 0x5A || hi == 0x40 || hi == 0x60 || hi == 0x70 || hi == 0x80 ||
                hi == 0x90 || hi == 0xB0;
    if (!known && err != SOF_SHRED_ERR_BAD_VARIANT) bad++;
    if (known && err == SOF_SHRED_ERR_BAD_VARIANT) bad++;
  }
  SOF_CHECK_EQ(bad, 0);
  SOF_CHECK_STR(sof_shred_err_str(SOF_SHRED_ERR_BAD_VARIANT), "bad_variant");
  SOF_CHECK_STR(sof_shred_err_str(0), "ok");
  SOF_CHECK_STR(sof_shred_err_str(-99), "unknown");
}

static void
test_data_rules(void) {
  uint8_t b[1300];
  sof_shred_t s;

  /* flags: 0x80 without 0x40 is invalid; 0xC0 and 0x40 are fine */
  mk_data(b, 0x96, 100);
  b[85] = 0x80;
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_ERR_BAD_FLAGS);
  b[85] = 0xBF;
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_ERR_BAD_FLAGS);
  b[85] = 0xC0;
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_OK);
  b[85] = 0x00;
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_OK);

  /* size within [88, 88 + capacity] */
  mk_data(b, 0x96, 88);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_OK);
  SOF_CHECK_EQ(s.data_sz, 0);
  mk_data(b, 0x96, 87);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_ERR_BAD_SIZE);
  mk_data(b, 0x96, 88 + 963);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_OK);
  mk_data(b, 0x96, 88 + 964);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_ERR_BAD_SIZE);
  mk_data(b, 0xB6, 88 + 899);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_OK);
  mk_data(b, 0xB6, 88 + 900);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_ERR_BAD_SIZE);
  mk_data(b, 0xA5, 1139);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1228, 0), SOF_SHRED_OK);
  mk_data(b, 0xA5, 1140);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1228, 0), SOF_SHRED_ERR_BAD_SIZE);

  /* parent offset: non-zero unless slot 0, never beyond the slot */
  mk_data(b, 0x96, 100);
  st16(b + 83, 0);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_ERR_BAD_PARENT);
  st16(b + 83, 1000);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_OK);
  SOF_CHECK_EQ(sof_shred_parent(&s), 0);
  st16(b + 83, 1001);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_ERR_BAD_PARENT);
  st64(b + 65, 0);
  st16(b + 83, 0);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_OK);
  st16(b + 83, 1);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_ERR_BAD_PARENT);

  /* index relations */
  mk_data(b, 0x96, 100);
  st32(b + 73, 63); /* idx < fec_set_index */
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_ERR_BAD_INDEX);
  st32(b + 73, 64 + 63); /* erasure index 63 < 2^6 */
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_OK);
  st32(b + 73, 64 + 64); /* outside a depth-6 tree */
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_ERR_BAD_ERASURE_INDEX);
  st32(b + 79, 32768 - 2);
  st32(b + 73, 32767);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_OK);
  st32(b + 79, 32768);
  st32(b + 73, 32768); /* per-slot limit */
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_ERR_BAD_INDEX);

  /* proof size 0: a one-leaf tree, only idx == fec */
  mk_data(b, 0x90, 100);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_ERR_BAD_ERASURE_INDEX);
  st32(b + 73, 64);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1203, 0), SOF_SHRED_OK);
  SOF_CHECK_EQ(s.capacity, 1203 - 88 - 32);

  /* trimmed legacy data: only with the flag, only legacy data, size must fit */
  mk_data(b, 0xA5, 300);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 300, 0), SOF_SHRED_ERR_TOO_SHORT);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 300, SOF_SHRED_PARSE_ALLOW_TRIMMED), SOF_SHRED_OK);
  SOF_CHECK_EQ(s.trimmed, 1);
  SOF_CHECK_EQ(s.payload_sz, 300);
  SOF_CHECK_EQ(s.data_sz, 212);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 299, SOF_SHRED_PARSE_ALLOW_TRIMMED), SOF_SHRED_ERR_TOO_SHORT);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1228, SOF_SHRED_PARSE_ALLOW_TRIMMED), SOF_SHRED_OK);
  SOF_CHECK_EQ(s.trimmed, 0);
  mk_data(b, 0x96, 300);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 300, SOF_SHRED_PARSE_ALLOW_TRIMMED), SOF_SHRED_ERR_TOO_SHORT);
}

static void
test_code_rules(void) {
  uint8_t b[1300];
  sof_shred_t s;

  mk_code(b, 0x66);
  st16(b + 83, 0);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1228, 0), SOF_SHRED_ERR_BAD_CODE_COUNTS);
  mk_code(b, 0x66);
  st16(b + 85, 0);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1228, 0), SOF_SHRED_ERR_BAD_CODE_COUNTS);
  mk_code(b, 0x5A);
  st16(b + 83, 200);
  st16(b + 85, 57); /* 257 shards */
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1228, 0), SOF_SHRED_ERR_BAD_CODE_COUNTS);
  st16(b + 85, 56);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1228, 0), SOF_SHRED_OK);

  mk_code(b, 0x66);
  st16(b + 87, 32);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1228, 0), SOF_SHRED_ERR_BAD_POSITION);
  st16(b + 87, 31);
  st32(b + 73, 30); /* idx < position */
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1228, 0), SOF_SHRED_ERR_BAD_INDEX);
  st32(b + 73, 32768 - 32 + 31); /* last coding index of the slot */
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1228, 0), SOF_SHRED_OK);
  st32(b + 73, 32768 - 32 + 32);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1228, 0), SOF_SHRED_ERR_BAD_INDEX);
  mk_code(b, 0x66);
  st32(b + 79, 32768 - 31); /* data of the set would pass the slot limit */
  st32(b + 73, 32768 - 31 + 5);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1228, 0), SOF_SHRED_ERR_BAD_INDEX);

  /* merkle code: the proof size must be the depth of a tree over k + m leaves */
  mk_code(b, 0x65);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1228, 0), SOF_SHRED_ERR_BAD_PROOF_SIZE);
  mk_code(b, 0x67);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1228, 0), SOF_SHRED_ERR_BAD_PROOF_SIZE);
  mk_code(b, 0x45);
  st16(b + 83, 5);
  st16(b + 85, 20); /* 25 leaves: depth 5 */
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1228, 0), SOF_SHRED_OK);
  SOF_CHECK_EQ(s.erasure_idx, 10);
  mk_code(b, 0x40);
  st16(b + 83, 1);
  st16(b + 85, 1);
  st16(b + 87, 0);
  st32(b + 73, 64); /* 2 leaves need depth 1 */
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1228, 0), SOF_SHRED_ERR_BAD_PROOF_SIZE);
  /* legacy coding shreds carry no proof: any counts up to 256 */
  mk_code(b, 0x5A);
  st16(b + 83, 19);
  st16(b + 85, 45);
  SOF_CHECK_EQ(sof_shred_parse(&s, b, 1228, 0), SOF_SHRED_OK);
}

/* A merkle set built here: the root each shred's proof leads to is the
 * tree's root, and a flipped bit anywhere in the leaf region changes it. */
static void
test_merkle_root(void) {
  static uint8_t shreds[8][1300];
  static uint8_t nodes[64][32];
  /* 4 data + 4 coding, proof size 3 */
  for (unsigned i = 0; i < 8; i++) {
    uint8_t *b = shreds[i];
    if (i < 4) {
      mk_data(b, 0x93, 88 + 40 * i);
      st32(b + 73, 64 + i);
    } else {
      mk_code(b, 0x63);
      st16(b + 83, 4);
      st16(b + 85, 4);
      st16(b + 87, (uint16_t)(i - 4));
      st32(b + 73, 64 + i - 4);
      for (unsigned k = 89; k < 1000; k++) b[k] = (uint8_t)(k * i);
    }
    sof_shred_t s;
    SOF_CHECK_EQ(sof_shred_parse(&s, b, i < 4 ? 1203 : 1228, 0), SOF_SHRED_OK);
    SOF_CHECK_EQ(s.erasure_idx, i);
    sof_merkle_leaf(nodes[i], b + 64, s.proof_off - 64);
  }
  uint8_t const *root = sof_merkle_tree_build(nodes, 8);
  for (unsigned i = 0; i < 8; i++) {
    uint8_t *b = shreds[i];
    sof_shred_t s;
    sof_shred_parse(&s, b, i < 4 ? 1203 : 1228, 0);
    SOF_CHECK_EQ(sof_merkle_tree_proof(nodes, 8, i, b + s.proof_off), 3);
    uint8_t r[32];
    SOF_CHECK_EQ(sof_shred_merkle_root(r, b, &s), 0);
    SOF_CHECK_MEM(r, root, 32);
    b[64 + 30] ^= 1; /* inside the leaf region */
    sof_shred_merkle_root(r, b, &s);
    SOF_CHECK(memcmp(r, root, 32) != 0);
    b[64 + 30] ^= 1;
    b[s.proof_off + 7] ^= 0x80; /* inside the proof */
    sof_shred_merkle_root(r, b, &s);
    SOF_CHECK(memcmp(r, root, 32) != 0);
    b[s.proof_off + 7] ^= 0x80;
    b[3] ^= 1; /* the signature is outside the leaf */
    sof_shred_merkle_root(r, b, &s);
    SOF_CHECK_MEM(r, root, 32);
  }
}

int
main(void) {
  test_variants();
  test_bad_variants();
  test_data_rules();
  test_code_rules();
  test_merkle_root();
  return sof_test_done("shred");
}
