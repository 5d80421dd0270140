/* test_shredder: properties of the shredder's output on self-made batches
 * (no vectors needed; test_vec_shredder checks the real bytes).
 *
 * For batches of many sizes around the layout boundaries, last in slot or
 * not: every shred parses; headers, variants, flags, sizes and indices are
 * as the layout rule says; every proof walks to its set's root; chained
 * roots link; the leader signature verifies; parity re-encodes; the data of
 * the data shreds, concatenated, is the batch. Then argument errors. */
#include <sodium.h>

#include "sof_test.h"
#include "crypto/sof_merkle.h"
#include "fec/sof_rs.h"
#include "shredder/sof_shredder.h"

#define NAME "test_shredder"

#define C SOF_SHREDDER_CHAINED_SET_PAYLOAD_SZ
#define R SOF_SHREDDER_RESIGNED_SET_PAYLOAD_SZ

#define SET_MAX 8U
#define BATCH_MAX (SET_MAX * C)

static sof_shredder_set_t sets[SET_MAX];
static uint8_t            batch[BATCH_MAX];
static uint8_t            rebuilt[BATCH_MAX];
static sof_shredder_t     sh;
static sof_rs_t           rs;
static uint8_t            keypair[64];

static void
fill(uint8_t *buf, size_t sz, uint64_t seed) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (size_t i = 0; i < sz; i++) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    buf[i] = (uint8_t)(x >> 24);
  }
}

/* Checks one shredded batch. sets[0..n) came from args and batch[0..sz). */
static void
check_batch(sof_shredder_args_t const *args, size_t sz, long n, uint8_t const root_in[32],
            uint8_t const root_out[32]) {
  int last = args->last_in_slot;
  SOF_CHECK_EQ(n, (long)sof_shredder_set_cnt(sz, last));
  if (n <= 0) return;
  size_t rebuilt_sz = 0, expect_off = 0;
  uint8_t const *prev_root = root_in;

  for (long si = 0; si < n; si++) {
    sof_shredder_set_t const *set = &sets[si];
    int resigned = last && si == n - 1;
    size_t cap = resigned ? SOF_SHREDDER_RESIGNED_DATA_CAP : SOF_SHREDDER_CHAINED_DATA_CAP;
    int last_in_batch = si == n - 1;

    /* Layout. */
    size_t lo, lsz;
    int    lres;
    SOF_CHECK_EQ(sof_shredder_set_layout(sz, last, (size_t)si, &lo, &lsz, &lres), SOF_SHREDDER_OK);
    SOF_CHECK_EQ(lo, set->batch_off);
    SOF_CHECK_EQ(lsz, set->batch_sz);
    SOF_CHECK_EQ(lres, resigned);
    SOF_CHECK_EQ(set->batch_off, expect_off);
    expect_off += set->batch_sz;
    SOF_CHECK(set->batch_sz >= 1);
    SOF_CHECK(set->batch_sz <= 32 * cap);
    if (resigned && sz > R) SOF_CHECK_EQ(set->batch_sz, R);        /* the resigned set is full */
    if (!resigned && si + 1 < n - (last ? 1 : 0)) SOF_CHECK_EQ(set->batch_sz, C); /* only the
                                                               last chained set is partial */
    SOF_CHECK_EQ(set->data_shred_cnt, (set->batch_sz + cap - 1) / cap);
    SOF_CHECK_EQ(set->fec_set_idx, args->data_idx + 32 * (uint32_t)si);
    SOF_CHECK_EQ(set->resigned, resigned);
    SOF_CHECK_EQ(set->last_in_batch, last_in_batch);
    SOF_CHECK_MEM(set->chained_root, prev_root, 32);
    SOF_CHECK(crypto_sign_ed25519_verify_detached(set->signature, set->root, 32, keypair + 32) == 0);

    uint8_t const *data_shards[32];
    uint8_t       *parity_out[32];
    static uint8_t parity_buf[32][SOF_SHRED_MERKLE_CODE_SZ];

    for (unsigned k = 0; k < 64; k++) {
      int            is_data = k < 32;
      uint8_t const *p       = is_data ? set->data[k] : set->code[k - 32];
      size_t         psz     = is_data ? SOF_SHRED_MERKLE_DATA_SZ : SOF_SHRED_MERKLE_CODE_SZ;
      sof_shred_t    s;
      int            err = sof_shred_parse(&s, p, psz, 0);
      SOF_CHECK_EQ(err, SOF_SHRED_OK);
      if (err) continue;
      SOF_CHECK_EQ(s.is_data, is_data);
      SOF_CHECK(s.is_merkle && s.is_chained);
      SOF_CHECK_EQ(s.is_resigned, resigned);
      SOF_CHECK_EQ(s.proof_cnt, 6);
      SOF_CHECK_EQ(s.variant, is_data ? (resigned ? 0xB6 : 0x96) : (resigned ? 0x76 : 0x66));
      SOF_CHECK_EQ(s.slot, args->slot);
      SOF_CHECK_EQ(s.version, args->shred_version);
      SOF_CHECK_EQ(s.fec_set_idx, set->fec_set_idx);
      SOF_CHECK_EQ(s.idx, set->fec_set_idx + (k % 32));
      SOF_CHECK_EQ(s.erasure_idx, k);
      SOF_CHECK_EQ(s.capacity, is_data ? cap : cap + 24);
      SOF_CHECK_MEM(p, set->signature, 64);
      SOF_CHECK_MEM(p + s.chained_root_off, set->chained_root, 32);
      if (resigned) {
        static uint8_t const zero[64];
        SOF_CHECK_MEM(p + s.retx_sig_off, zero, 64);
      }
      uint8_t r[32];
      SOF_CHECK_EQ(sof_shred_merkle_root(r, p, &s), 0);
      SOF_CHECK_MEM(r, set->root, 32);

      if (is_data) {
        SOF_CHECK_EQ(sof_shred_parent(&s), args->parent_slot);
        uint8_t flags = args->reference_tick;
        if (k == 31 && last_in_batch) flags |= last ? 0xC0 : 0x40;
        SOF_CHECK_EQ(s.flags, flags);
        /* Data shreds are full but the last non-empty one, then empty. */
        size_t dsz = s.data_sz;
        SOF_CHECK_EQ(s.size, 88 + dsz);
        if (k + 1 < set->data_shred_cnt) SOF_CHECK_EQ(dsz, cap);
        else if (k + 1 == set->data_shred_cnt) SOF_CHECK_EQ(dsz, set->batch_sz - (size_t)k * cap);
        else SOF_CHECK_EQ(dsz, 0);
        if (rebuilt_sz + dsz <= BATCH_MAX) memcpy(rebuilt + rebuilt_sz, p + s.data_off, dsz);
        rebuilt_sz += dsz;
        /* zero padding after the data */
        for (size_t b = s.data_off + dsz; b < s.chained_root_off; b++) {
          if (p[b]) { SOF_CHECK(p[b] == 0); break; }
        }
        data_shards[k] = p + s.erasure_off;
      } else {
        SOF_CHECK_EQ(s.num_data, 32);
        SOF_CHECK_EQ(s.num_coding, 32);
        SOF_CHECK_EQ(s.position, k - 32);
        parity_out[k - 32] = parity_buf[k - 32];
      }
    }
    /* Parity re-encodes from the data shards. */
    size_t shard_sz = cap + 24;
    sof_rs_encode(&rs, data_shards, parity_out, shard_sz);
    for (unsigned p = 0; p < 32; p++) SOF_CHECK_MEM(parity_buf[p], set->code[p] + 89, shard_sz);
    prev_root = set->root;
  }
  SOF_CHECK_EQ(expect_off, sz);
  SOF_CHECK_EQ(rebuilt_sz, sz);
  if (rebuilt_sz == sz) SOF_CHECK_MEM(rebuilt, batch, sz);
  SOF_CHECK_MEM(root_out, sets[n - 1].root, 32);
}

static void
test_sizes(void) {
  size_t const sizes[] = {
    1, 8, 899, 900, 962, 963, 964, 8000, R - 1, R, R + 1, C - 1, C, C + 1,
    R + C - 1, R + C, R + C + 1, 2 * C, 2 * C + 1, 3 * C + 12345, 5 * C + R,
  };
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    for (int last = 0; last <= 1; last++) {
      size_t sz = sizes[i];
      fill(batch, sz, sz * 2 + (size_t)last);
      sof_shredder_args_t args = {
        .slot = 1000 + i, .parent_slot = 1000 + i - 1 - (i % 3), .data_idx = 64,
        .shred_version = (uint16_t)(40000 + i), .reference_tick = (uint8_t)(i * 3 % 64),
        .last_in_slot = (uint8_t)last, .keypair = keypair,
      };
      uint8_t root_in[32], root[32];
      fill(root_in, 32, 77 + i);
      memcpy(root, root_in, 32);
      long n = sof_shredder_shred(&sh, &args, batch, sz, root, sets, SET_MAX);
      SOF_CHECK(n > 0);
      if (n <= 0) {
        fprintf(stderr, "  size %zu last %d: %s\n", sz, last, sof_shredder_err_str((int)n));
        continue;
      }
      check_batch(&args, sz, n, root_in, root);
    }
  }
}

static void
test_counts(void) {
  /* Set counts at the boundaries of the rule. */
  SOF_CHECK_EQ(sof_shredder_set_cnt(0, 0), 0);
  SOF_CHECK_EQ(sof_shredder_set_cnt(0, 1), 0);
  SOF_CHECK_EQ(sof_shredder_set_cnt(1, 0), 1);
  SOF_CHECK_EQ(sof_shredder_set_cnt(C, 0), 1);
  SOF_CHECK_EQ(sof_shredder_set_cnt(C + 1, 0), 2);
  SOF_CHECK_EQ(sof_shredder_set_cnt(1, 1), 1);
  SOF_CHECK_EQ(sof_shredder_set_cnt(R, 1), 1);
  SOF_CHECK_EQ(sof_shredder_set_cnt(R + 1, 1), 2);     /* 1 byte chained (padded), full resigned */
  SOF_CHECK_EQ(sof_shredder_set_cnt(C, 1), 2);         /* fits one chained set, not one resigned */
  SOF_CHECK_EQ(sof_shredder_set_cnt(R + C, 1), 2);
  SOF_CHECK_EQ(sof_shredder_set_cnt(R + C + 1, 1), 3);
  SOF_CHECK_EQ(sof_shredder_set_cnt(237320, 1), 8);    /* the Firedancer demo slot */

  size_t off = 99, sz = 99;
  int    res = 9;
  SOF_CHECK_EQ(sof_shredder_set_layout(R + 1, 1, 0, &off, &sz, &res), SOF_SHREDDER_OK);
  SOF_CHECK(off == 0 && sz == 1 && res == 0);
  SOF_CHECK_EQ(sof_shredder_set_layout(R + 1, 1, 1, &off, &sz, &res), SOF_SHREDDER_OK);
  SOF_CHECK(off == 1 && sz == R && res == 1);
  SOF_CHECK_EQ(sof_shredder_set_layout(R + 1, 1, 2, &off, &sz, &res), SOF_SHREDDER_ERR_SET_IDX);
  SOF_CHECK_EQ(sof_shredder_set_layout(0, 0, 0, &off, &sz, NULL), SOF_SHREDDER_ERR_EMPTY);
  SOF_CHECK(off == 1 && sz == R && res == 1); /* untouched on error */
}

/* Two batches of one slot, then the next slot: roots chain, indices go on. */
static void
test_chaining(void) {
  uint8_t root0[32], root[32];
  fill(root0, 32, 5);
  memcpy(root, root0, 32);
  sof_shredder_args_t a = {
    .slot = 7, .parent_slot = 6, .data_idx = 0, .shred_version = 1, .reference_tick = 10,
    .last_in_slot = 0, .keypair = keypair,
  };
  size_t sz1 = C + 500;
  fill(batch, sz1, 11);
  long n1 = sof_shredder_shred(&sh, &a, batch, sz1, root, sets, SET_MAX);
  SOF_CHECK_EQ(n1, 2);
  check_batch(&a, sz1, n1, root0, root);
  uint8_t mid[32];
  memcpy(mid, root, 32);

  a.data_idx = (uint32_t)(32 * n1);
  a.reference_tick = 63;
  a.last_in_slot = 1;
  size_t sz2 = 700;
  fill(batch, sz2, 12);
  long n2 = sof_shredder_shred(&sh, &a, batch, sz2, root, sets, SET_MAX);
  SOF_CHECK_EQ(n2, 1);
  check_batch(&a, sz2, n2, mid, root);
  SOF_CHECK_EQ(sets[0].fec_set_idx, 64);
  SOF_CHECK_EQ(sets[0].data[31][85], 0xFF); /* LAST_IN_SLOT | tick 63 */

  /* Determinism: same inputs, same bytes. */
  static sof_shredder_set_t again;
  uint8_t r2[32];
  memcpy(r2, mid, 32);
  SOF_CHECK_EQ(sof_shredder_shred_set(&sh, &a, batch, sz2, 0, r2, &again), SOF_SHREDDER_OK);
  SOF_CHECK_MEM(again.data, sets[0].data, sizeof again.data);
  SOF_CHECK_MEM(again.code, sets[0].code, sizeof again.code);
  SOF_CHECK_MEM(r2, root, 32);

  /* Slot 0 has parent 0. */
  sof_shredder_args_t z = { .slot = 0, .parent_slot = 0, .last_in_slot = 1, .keypair = keypair };
  memcpy(root, root0, 32);
  SOF_CHECK_EQ(sof_shredder_shred(&sh, &z, batch, 100, root, sets, SET_MAX), 1);
  sof_shred_t s;
  SOF_CHECK_EQ(sof_shred_parse(&s, sets[0].data[0], SOF_SHRED_MERKLE_DATA_SZ, 0), SOF_SHRED_OK);
  SOF_CHECK_EQ(s.parent_off, 0);
}

static void
test_errors(void) {
  uint8_t root0[32], root[32];
  fill(root0, 32, 9);
  fill(batch, 100, 3);
  sof_shredder_args_t ok = {
    .slot = 100, .parent_slot = 99, .data_idx = 32, .shred_version = 2, .reference_tick = 1,
    .last_in_slot = 0, .keypair = keypair,
  };
  static sof_shredder_set_t one;

#define EXPECT_ERR(args_, sz_, set_max_, code_) do {                              \
    memcpy(root, root0, 32);                                                       \
    memset(sets, 0xA5, sizeof sets[0]);                                            \
    long r_ = sof_shredder_shred(&sh, &(args_), batch, (sz_), root, sets, (set_max_)); \
    SOF_CHECK_EQ(r_, (long)(code_));                                               \
    SOF_CHECK_MEM(root, root0, 32);                                                \
    SOF_CHECK_EQ(sets[0].data[0][0], 0xA5);                                        \
  } while (0)

  sof_shredder_args_t a = ok;
  EXPECT_ERR(a, 0, SET_MAX, SOF_SHREDDER_ERR_EMPTY);
  a = ok; a.parent_slot = 101;         EXPECT_ERR(a, 100, SET_MAX, SOF_SHREDDER_ERR_PARENT);
  a = ok; a.parent_slot = 100;         EXPECT_ERR(a, 100, SET_MAX, SOF_SHREDDER_ERR_PARENT);
  a = ok; a.slot = 70000; a.parent_slot = 70000 - 65536;
  EXPECT_ERR(a, 100, SET_MAX, SOF_SHREDDER_ERR_PARENT);
  a = ok; a.reference_tick = 64;       EXPECT_ERR(a, 100, SET_MAX, SOF_SHREDDER_ERR_REF_TICK);
  a = ok; a.data_idx = 1;              EXPECT_ERR(a, 100, SET_MAX, SOF_SHREDDER_ERR_INDEX);
  a = ok; a.data_idx = 32768;          EXPECT_ERR(a, 100, SET_MAX, SOF_SHREDDER_ERR_INDEX);
  a = ok; a.data_idx = 32768 - 32;     EXPECT_ERR(a, C + 1, SET_MAX, SOF_SHREDDER_ERR_INDEX);
  a = ok; a.data_idx = 0xFFFFFFE0U;    EXPECT_ERR(a, 100, SET_MAX, SOF_SHREDDER_ERR_INDEX);
  a = ok;                              EXPECT_ERR(a, C + 1, 1, SOF_SHREDDER_ERR_SPACE);
  uint8_t badkey[64];
  memcpy(badkey, keypair, 64);
  badkey[40] ^= 1;
  a = ok; a.keypair = badkey;          EXPECT_ERR(a, 100, SET_MAX, SOF_SHREDDER_ERR_KEYPAIR);

  /* The key-pair check is remembered per thread for the last good key
   * pair: alternating good and bad key pairs (and the bad one repeated)
   * must still fail the bad one every time, and a second good key pair
   * must sign with its own key. */
  uint8_t key2[64], seed2[32], pk2[32];
  fill(seed2, 32, 77);
  crypto_sign_ed25519_seed_keypair(pk2, key2, seed2);
  for (int round = 0; round < 3; round++) {
    a = ok;
    memcpy(root, root0, 32);
    SOF_CHECK_EQ(sof_shredder_shred_set(&sh, &a, batch, 100, 0, root, &one), SOF_SHREDDER_OK);
    SOF_CHECK(crypto_sign_ed25519_verify_detached(one.signature, one.root, 32, keypair + 32) == 0);
    a.keypair = badkey;
    memcpy(root, root0, 32);
    SOF_CHECK_EQ(sof_shredder_shred_set(&sh, &a, batch, 100, 0, root, &one), SOF_SHREDDER_ERR_KEYPAIR);
    SOF_CHECK_EQ(sof_shredder_shred_set(&sh, &a, batch, 100, 0, root, &one), SOF_SHREDDER_ERR_KEYPAIR);
    SOF_CHECK_MEM(root, root0, 32);
    a.keypair = key2;
    SOF_CHECK_EQ(sof_shredder_shred_set(&sh, &a, batch, 100, 0, root, &one), SOF_SHREDDER_OK);
    SOF_CHECK(crypto_sign_ed25519_verify_detached(one.signature, one.root, 32, pk2) == 0);
    SOF_CHECK(crypto_sign_ed25519_verify_detached(one.signature, one.root, 32, keypair + 32) != 0);
    /* A key pair whose public half is another (valid) key's. */
    uint8_t mixed[64];
    memcpy(mixed, keypair, 32);
    memcpy(mixed + 32, pk2, 32);
    a.keypair = mixed;
    memcpy(root, root0, 32);
    SOF_CHECK_EQ(sof_shredder_shred_set(&sh, &a, batch, 100, 0, root, &one), SOF_SHREDDER_ERR_KEYPAIR);
  }

  /* The limit itself is fine: the last set of a slot ends at index 32767. */
  a = ok; a.data_idx = 32768 - 32;
  memcpy(root, root0, 32);
  SOF_CHECK_EQ(sof_shredder_shred(&sh, &a, batch, 100, root, sets, SET_MAX), 1);

  memcpy(root, root0, 32);
  SOF_CHECK_EQ(sof_shredder_shred_set(&sh, &ok, batch, 100, 1, root, &one), SOF_SHREDDER_ERR_SET_IDX);
  SOF_CHECK_MEM(root, root0, 32);

  SOF_CHECK_STR(sof_shredder_err_str(SOF_SHREDDER_OK), "ok");
  SOF_CHECK_STR(sof_shredder_err_str(SOF_SHREDDER_ERR_PARENT), "bad_parent");
  SOF_CHECK_STR(sof_shredder_err_str(-100), "unknown");
#undef EXPECT_ERR
}

int
main(void) {
  SOF_CHECK_EQ(sof_shredder_init(&sh), SOF_SHREDDER_OK);
  SOF_CHECK_EQ(sof_rs_init(&rs, 32, 32), 0);
  uint8_t seed[32], pk[32];
  fill(seed, 32, 42);
  crypto_sign_ed25519_seed_keypair(pk, keypair, seed);
  SOF_CHECK_MEM(keypair + 32, pk, 32);

  test_counts();
  test_sizes();
  test_chaining();
  test_errors();
  return sof_test_done(NAME);
}
