/* libFuzzer target: the FEC resolver and reassembly under adversarial
 * shred streams.
 *
 * A pool of real sets is shredded once at start (two slots, the second with
 * two batches, plus an equivocating second version of a set). Each input is
 * a program of 3-byte operations over that pool: deliver a shred as is,
 * with a byte changed (after re-parsing; the root is recomputed, as if a
 * careless verifier accepted it), with its slot thrown far ahead, with an
 * absurd k/m in a coding header, or raw bytes from the input. The resolver
 * and reassembler are small (4 set buffers, 4 slots) so eviction runs
 * constantly. Invariants: no crash, open sets within bounds, every rebuilt
 * shred parses as a data shred of its set and walks up its proof to the
 * root the resolver reports (out.root), and when the input delivered
 * only genuine shreds, every rebuilt shred equals the original byte for
 * byte.
 *
 * Every shred also goes through a second resolver and reassembler that
 * hold shreds by reference (sof_shred_ref.h): each delivery is a fresh
 * heap buffer freed when its last reference goes, so a library reading a
 * shred it did not retain is a use-after-free under ASan. Both pairs must
 * give the same results, rebuilt bytes and batches, and after a reset no
 * buffer may be left referenced.
 *
 * Inputs whose first byte is odd run both pairs with a slot window
 * attached (sof_slotwin, sampled from every delivered shred, quorum 4,
 * one slot either side current), so eviction by "current slot first" and
 * least recent use runs too, with the same invariants. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sof_ed25519.h"
#include "crypto/sof_merkle.h"
#include "resolve/sof_reasm.h"
#include "resolve/sof_resolver.h"
#include "shredder/sof_shredder.h"
#include "state/sof_slotwin.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

#define POOL_SETS 4
static sof_shredder_set_t pool[POOL_SETS];
static sof_resolver_t *res, *res_ref;
static sof_reasm_t *reasm, *reasm_ref;
static long live; /* by-reference buffers still referenced */
static sof_slotwin_t win;
static int windowed;
static uint64_t batch_hash[2]; /* per pair: what the batches were */

typedef struct fbuf {
  int     refs;
  uint8_t b[1300];
} fbuf_t;

static fbuf_t *
fbuf_new(void) {
  fbuf_t *f = malloc(sizeof *f);
  if (!f) abort();
  f->refs = 1;
  live++;
  return f;
}

static void
f_retain(void *ctx, void *ref) {
  (void)ctx;
  ((fbuf_t *)ref)->refs++;
}

static void
f_release(void *ctx, void *ref) {
  (void)ctx;
  fbuf_t *f = ref;
  REQUIRE(f->refs > 0);
  if (--f->refs == 0) {
    free(f);
    live--;
  }
}

static uint8_t *
f_alloc(void *ctx, uint32_t bytes, void **ref) {
  (void)ctx;
  REQUIRE(bytes <= sizeof(((fbuf_t *)0)->b));
  fbuf_t *f = fbuf_new();
  *ref = f;
  return f->b;
}
static int dirty; /* this input delivered anything but pool shreds as they are */

#include "sof_fuzz.h"

static void
on_batch(void *ctx, sof_reasm_batch_t const *b) {
  uint64_t *h = ctx;
  REQUIRE(b->payload_sz <= 8U << 20);
  REQUIRE(b->end_idx >= b->start_idx && b->shred_cnt == b->end_idx - b->start_idx + 1);
  uint64_t x = *h ^ (b->slot * 31 + b->start_idx * 7 + b->end_idx + b->recovered_cnt);
  for (uint32_t i = 0; i < b->payload_sz; i++) x = (x ^ b->payload[i]) * 0x100000001B3ULL;
  *h = x;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  static sof_shredder_t sh;
  if (sof_ed25519_init() || sof_shredder_init(&sh)) abort();
  uint8_t seed[32] = {3}, kp[64];
  sof_ed25519_keypair_from_seed(kp, seed);
  static uint8_t batch[40000];
  for (size_t i = 0; i < sizeof batch; i++) batch[i] = (uint8_t)(i * 17 + 5);
  uint8_t chained[32] = {1};
  sof_shredder_args_t a = {.slot = 10, .parent_slot = 9, .shred_version = 2, .last_in_slot = 1, .keypair = kp};
  if (sof_shredder_shred(&sh, &a, batch, 20000, chained, &pool[0], 1) != 1) abort();
  a.slot = 11; a.parent_slot = 10; a.last_in_slot = 0;
  if (sof_shredder_shred(&sh, &a, batch, 30000, chained, &pool[1], 1) != 1) abort();
  a.data_idx = 32; a.last_in_slot = 1;
  if (sof_shredder_shred(&sh, &a, batch + 5, 25000, chained, &pool[2], 1) != 1) abort();
  /* a second version of pool[1]'s set */
  a.data_idx = 0; a.last_in_slot = 0;
  batch[100] ^= 0xFF;
  if (sof_shredder_shred(&sh, &a, batch, 30000, chained, &pool[3], 1) != 1) abort();
  sof_resolver_cfg_t rc;
  sof_resolver_cfg_default(&rc);
  rc.set_records = 16;
  rc.set_buffers = 4;
  rc.slot_window = 8;
  res = sof_resolver_new(&rc, NULL, 0);
  sof_reasm_cfg_t ac;
  sof_reasm_cfg_default(&ac);
  ac.slots_max = 4;
  ac.chunks = 96;
  ac.max_shreds_per_slot = 4096;
  reasm = sof_reasm_new(&ac, NULL, 0);
  static sof_shred_refs_t refs = {.retain = f_retain, .release = f_release, .alloc = f_alloc};
  rc.refs = &refs;
  ac.refs = &refs;
  res_ref = sof_resolver_new(&rc, NULL, 0);
  reasm_ref = sof_reasm_new(&ac, NULL, 0);
  if (!res || !reasm || !res_ref || !reasm_ref) abort();
  return 0;
}

static void
deliver(uint8_t const *p, size_t sz, int with_leaf, int trusted) {
  sof_shred_t s;
  if (sof_shred_parse(&s, p, sz, 0)) return;
  uint8_t root[32] = {0}, leaf[32];
  if (s.is_merkle && sof_shred_merkle_root(root, p, &s)) return;
  /* with the leaf hash (as verification gives it) recovery can use the
   * partial tree; without, it rebuilds every shard: fuzz both */
  if (s.is_merkle) sof_merkle_leaf(leaf, p + 64, s.proof_off - 64);
  if (windowed) sof_slotwin_sample(&win, s.slot);
  sof_resolver_out_t out;
  /* trusted: no root given, the resolver takes the set's from its first shred */
  int r = sof_resolver_add(res, p, &s, trusted ? NULL : root, with_leaf && s.is_merkle ? leaf : NULL, 0, &out);
  REQUIRE(r >= 0 && r < SOF_RESOLVER_RESULT_CNT);
  REQUIRE(sof_resolver_open_sets(res) <= 4);
  if (s.is_data && (r == SOF_RESOLVER_DATA_NEW || r == SOF_RESOLVER_RECOVERED))
    sof_reasm_add_shred(reasm, p, &s, 0, NULL, on_batch, &batch_hash[0]);

  /* the same shred by reference, in its own buffer (the caller's
   * reference dropped at the end, as sofd's fec role does) */
  fbuf_t *fb = fbuf_new();
  memcpy(fb->b, p, sz);
  sof_resolver_out_t out_ref;
  int r2 = sof_resolver_add_ref(res_ref, fb->b, &s, trusted ? NULL : root,
                                with_leaf && s.is_merkle ? leaf : NULL, 0, fb, &out_ref);
  REQUIRE(r2 == r && out_ref.cnt == out.cnt);
  if (s.is_data && (r2 == SOF_RESOLVER_DATA_NEW || r2 == SOF_RESOLVER_RECOVERED))
    sof_reasm_add_shred(reasm_ref, fb->b, &s, 0, fb, on_batch, &batch_hash[1]);
  for (uint32_t i = 0; i < out_ref.cnt; i++) {
    REQUIRE(out_ref.ref[i] && out_ref.idx[i] == out.idx[i]);
    REQUIRE(!memcmp(out_ref.shred[i], out.shred[i], SOF_SHRED_MERKLE_DATA_SZ));
    REQUIRE(!memcmp(out_ref.root, out.root, 32));
    sof_shred_t rs;
    REQUIRE(!sof_shred_parse(&rs, out_ref.shred[i], SOF_SHRED_MERKLE_DATA_SZ, 0));
    sof_reasm_add_shred(reasm_ref, out_ref.shred[i], &rs, 1, out_ref.ref[i], on_batch, &batch_hash[1]);
    f_release(NULL, out_ref.ref[i]);
  }
  f_release(NULL, fb);
  REQUIRE(r == SOF_RESOLVER_RECOVERED || out.cnt == 0);
  for (uint32_t i = 0; i < out.cnt; i++) {
    sof_shred_t rs;
    REQUIRE(!sof_shred_parse(&rs, out.shred[i], SOF_SHRED_MERKLE_DATA_SZ, 0));
    REQUIRE(rs.is_data && rs.slot == s.slot && rs.fec_set_idx == s.fec_set_idx && rs.idx == out.idx[i]);
    /* its proof leads to the root the resolver reports (what lets a
     * verifier skip hashing it again: sof_verify_shred_root) */
    uint8_t rr[32];
    REQUIRE(!sof_shred_merkle_root(rr, out.shred[i], &rs) && !memcmp(rr, out.root, 32));
    /* with only genuine shreds delivered, a rebuilt shred is the original
     * (of one of the two versions of the equivocated set) */
    if (!dirty) {
      int match = 0;
      for (unsigned q = 0; q < POOL_SETS && !match; q++) {
        sof_shredder_set_t const *ps = &pool[q];
        if (rs.slot == sof_shred_peek_slot(ps->data[0]) && rs.fec_set_idx == ps->fec_set_idx)
          match = !memcmp(out.shred[i], ps->data[rs.idx - ps->fec_set_idx], SOF_SHRED_MERKLE_DATA_SZ);
      }
      REQUIRE(match);
    }
    sof_reasm_add_shred(reasm, out.shred[i], &rs, 1, NULL, on_batch, &batch_hash[0]);
  }
}

int
LLVMFuzzerTestOneInput(uint8_t const *data, size_t sz) {
  sof_resolver_reset(res);
  sof_reasm_reset(reasm);
  sof_slotwin_cfg_t wc;
  sof_slotwin_cfg_default(&wc);
  wc.quorum = 4;
  wc.protect_behind = 1;
  wc.protect_ahead = 1;
  sof_slotwin_init(&win, &wc);
  windowed = sz && (data[0] & 1);
  sof_slotwin_t const *w = windowed ? &win : NULL;
  sof_resolver_set_window(res, w);
  sof_resolver_set_window(res_ref, w);
  sof_reasm_set_window(reasm, w);
  sof_reasm_set_window(reasm_ref, w);
  dirty = 0;
  batch_hash[0] = batch_hash[1] = 0;
  static uint8_t buf[1300];
  size_t i = 0;
  while (i + 3 <= sz) {
    uint8_t op = data[i], a = data[i + 1], b = data[i + 2];
    i += 3;
    unsigned set = a % POOL_SETS, k = (a >> 2) % 64;
    uint8_t const *src = k < 32 ? pool[set].data[k] : pool[set].code[k - 32];
    size_t ssz = k < 32 ? SOF_SHRED_MERKLE_DATA_SZ : SOF_SHRED_MERKLE_CODE_SZ;
    memcpy(buf, src, ssz);
    switch (op % 5) {
    case 0: /* as is */
      deliver(buf, ssz, op & 8, (op & 48) == 48);
      break;
    case 1: /* one byte changed */
      buf[(b * 37U + op) % ssz] ^= (uint8_t)(op | 1);
      dirty = 1;
      deliver(buf, ssz, op & 8, (op & 48) == 48);
      break;
    case 2: { /* far ahead */
      uint64_t slot = sof_shred_peek_slot(buf) + ((uint64_t)b << 32) + op;
      memcpy(buf + 65, &slot, 8);
      dirty = 1;
      deliver(buf, ssz, op & 8, (op & 48) == 48);
      break;
    }
    case 3: /* absurd k / m on a coding shred */
      if (k >= 32) {
        uint16_t kk = (uint16_t)(b % 70), mm = (uint16_t)(op % 70);
        memcpy(buf + 83, &kk, 2);
        memcpy(buf + 85, &mm, 2);
        dirty = 1;
      }
      deliver(buf, ssz, op & 8, (op & 48) == 48);
      break;
    default: { /* raw bytes from the input */
      size_t n = sz - i < 1228 ? sz - i : 1228;
      memcpy(buf, data + i, n);
      i += n;
      dirty = 1;
      deliver(buf, n, op & 8, (op & 48) == 48);
      break;
    }
    }
  }
  REQUIRE(batch_hash[0] == batch_hash[1]);
  /* every reference the by-reference pair took is given back on reset */
  sof_resolver_reset(res_ref);
  sof_reasm_reset(reasm_ref);
  REQUIRE(live == 0);
  return 0;
}
