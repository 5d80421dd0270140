/* Merkle tree: hashing against values computed independently (python
 * hashlib), two-at-a-time hashing (sof_sha256_x2, leaf/node _x2) against
 * OpenSSL one at a time, tree build vs proof walk for every size and leaf,
 * and the rejection of leaf indices that do not fit a proof. */
#include "sof_test.h"

#include "crypto/sof_merkle.h"
#include "crypto/sof_sha256.h"

static uint8_t nodes[1024][32];

static void
fill_leaves(unsigned n) {
  uint8_t data[256];
  for (unsigned i = 0; i < n; i++) {
    memset(data, (int)i, i + 1);
    sof_merkle_leaf(nodes[i], data, i + 1);
  }
}

int
main(void) {
  uint8_t h[32], want[32];

  sof_sha256(h, NULL, 0);
  sof_test_unhex(want, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 32);
  SOF_CHECK_MEM(h, want, 32);

  sof_merkle_leaf(h, "abc", 3);
  sof_test_unhex(want, "21dfaa2290a9b7e8fa18abc9810908b0a08d25d5fcf8cd26c93380eea8ac17f2", 32);
  SOF_CHECK_MEM(h, want, 32);

  /* sha256_2 / _3 equal the one-shot hash of the concatenation */
  uint8_t a[100];
  for (unsigned i = 0; i < sizeof a; i++) a[i] = (uint8_t)(i * 7 + 1);
  uint8_t h1[32], h2[32], h3[32];
  sof_sha256(h1, a, sizeof a);
  sof_sha256_2(h2, a, 33, a + 33, sizeof a - 33);
  sof_sha256_3(h3, a, 1, a + 1, 64, a + 65, sizeof a - 65);
  SOF_CHECK_MEM(h1, h2, 32);
  SOF_CHECK_MEM(h1, h3, 32);

  /* sha256_x2 equals two sha256_2 calls (OpenSSL) for every pair of lengths
   * around the block boundaries, shared prefixes of 0..130 bytes, and
   * unequal lengths both ways (the longer message finishing alone). */
  static uint8_t big[4096];
  for (unsigned i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 131 + (i >> 8) + 3);
  static unsigned const pres[] = {0, 1, 26, 55, 56, 63, 64, 65, 130};
  int bad_x2 = 0;
  for (unsigned pi = 0; pi < sizeof pres / sizeof pres[0]; pi++) {
    unsigned pre = pres[pi];
    for (unsigned la = 0; la <= 200; la++) {
      for (unsigned lb = 0; lb <= 200; lb += (la < 140 ? 7 : 1)) {
        uint8_t xa[32], xb[32], ra[32], rb[32];
        uint8_t const *pa = big + 1000 + la, *pb = big + 2000 + lb; /* any alignment */
        sof_sha256_x2(xa, xb, big, pre, pa, la, pb, lb);
        sof_sha256_2(ra, big, pre, pa, la);
        sof_sha256_2(rb, big, pre, pb, lb);
        bad_x2 += memcmp(xa, ra, 32) != 0 || memcmp(xb, rb, 32) != 0;
      }
    }
  }
  /* shred-sized messages (leaves of data and code shreds, and longer) */
  static unsigned const longs[] = {955, 1019, 1044, 1075, 1139, 1164, 2048, 3000};
  for (unsigned i = 0; i < 8; i++) {
    for (unsigned j = 0; j < 8; j++) {
      uint8_t xa[32], xb[32], ra[32], rb[32];
      sof_merkle_leaf_x2(xa, xb, big + i, longs[i], big + 50 + j, longs[j]);
      sof_merkle_leaf(ra, big + i, longs[i]);
      sof_merkle_leaf(rb, big + 50 + j, longs[j]);
      bad_x2 += memcmp(xa, ra, 32) != 0 || memcmp(xb, rb, 32) != 0;
    }
  }
  SOF_CHECK_EQ(bad_x2, 0);
  /* NULL with size 0; outputs aliasing inputs */
  {
    uint8_t xa[32], xb[32];
    sof_sha256_x2(xa, xb, NULL, 0, NULL, 0, a, 10);
    sof_sha256(h1, NULL, 0);
    sof_sha256(h2, a, 10);
    SOF_CHECK_MEM(xa, h1, 32);
    SOF_CHECK_MEM(xb, h2, 32);
    uint8_t buf[96], copy[96];
    for (unsigned i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 5);
    memcpy(copy, buf, sizeof buf);
    sof_merkle_leaf(h1, copy, 40);
    sof_merkle_leaf(h2, copy + 40, 56);
    sof_merkle_leaf_x2(buf, buf + 40, buf, 40, buf + 40, 56); /* out over its own input */
    SOF_CHECK_MEM(buf, h1, 32);
    SOF_CHECK_MEM(buf + 40, h2, 32);
    uint8_t l[32], r[32], n1[32], n2[32];
    memcpy(l, h1, 32);
    memcpy(r, h2, 32);
    sof_merkle_node(n1, l, r);
    sof_merkle_node(n2, r, l);
    uint8_t o1[32];
    memcpy(o1, l, 32);
    sof_merkle_node_x2(o1, o1, r, r, r, l); /* outputs alias inputs */
    SOF_CHECK_MEM(o1, n1, 32);
    SOF_CHECK_MEM(r, n2, 32);
  }
  SOF_CHECK(sof_sha256_x2_accelerated() == 0 || sof_sha256_x2_accelerated() == 1);

  /* Roots of trees over leaf(i) = leaf(bytes([i]) * (i + 1)), from python. */
  static struct { unsigned n; char const *root; } const kat[] = {
    {1, "96a03254293f1e144235ce4cb6a0f81e4a22f63eedce6cc3b4173f72e5281dac"},
    {2, "8c14fd8c20458bf126d6386ebf656e86b27478b0f0ed217e73ae01e385f28d27"},
    {3, "8963418c87f322ac6551413d077f8cdebaa32b50ae87093da26034ea92719c09"},
    {5, "1eaff1545118ed5eaa56bfd062cfade0ab0c4998819b8dc9197eaa7306415588"},
    {64, "ae2f27b3ef63d23baf78690acc1ce91bfdae9cd91c44e3123d824e9bce6fb8ae"},
  };
  for (unsigned k = 0; k < sizeof kat / sizeof kat[0]; k++) {
    fill_leaves(kat[k].n);
    uint8_t const *root = sof_merkle_tree_build(nodes, kat[k].n);
    sof_test_unhex(want, kat[k].root, 32);
    SOF_CHECK_MEM(root, want, 32);
  }

  /* node counts: leaves + every level up to the root */
  SOF_CHECK_EQ(sof_merkle_tree_node_cnt(1), 1);
  SOF_CHECK_EQ(sof_merkle_tree_node_cnt(2), 3);
  SOF_CHECK_EQ(sof_merkle_tree_node_cnt(3), 6);   /* 3 + 2 + 1 */
  SOF_CHECK_EQ(sof_merkle_tree_node_cnt(64), 127);
  SOF_CHECK_EQ(sof_merkle_tree_node_cnt(256), 511);

  /* Every leaf's proof walks back to the root, for every size up to 256,
   * and its depth is ceil(log2(n)). */
  int bad_walk = 0, bad_depth = 0;
  for (unsigned n = 1; n <= 256; n++) {
    fill_leaves(n);
    uint8_t const *root = sof_merkle_tree_build(nodes, n);
    unsigned want_depth = n <= 1 ? 0 : 32U - (unsigned)__builtin_clz(n - 1);
    for (unsigned i = 0; i < n; i++) {
      uint8_t proof[SOF_MERKLE_DEPTH_MAX * 20];
      unsigned depth = sof_merkle_tree_proof(nodes, n, i, proof);
      if (depth != want_depth) bad_depth++;
      uint8_t r[32];
      if (sof_merkle_root_from_proof(r, nodes[i], i, proof, depth) || memcmp(r, root, 32)) bad_walk++;
      /* a wrong index gives another root (the sides swap) */
      if (n > 1) {
        unsigned other = i ^ 1U;
        if (other < (1U << depth) &&
            !sof_merkle_root_from_proof(r, nodes[i], other, proof, depth) && !memcmp(r, root, 32) &&
            other != i) {
          /* only possible when the sibling equals the node itself (odd last) */
          if (!(i == n - 1 && (n & 1))) bad_walk++;
        }
      }
    }
  }
  SOF_CHECK_EQ(bad_walk, 0);
  SOF_CHECK_EQ(bad_depth, 0);

  /* an index that does not fit the proof is refused */
  uint8_t proof[6 * 20] = {0};
  SOF_CHECK(sof_merkle_root_from_proof(h, h1, 64, proof, 6) == -1);
  SOF_CHECK(sof_merkle_root_from_proof(h, h1, 63, proof, 6) == 0);
  SOF_CHECK(sof_merkle_root_from_proof(h, h1, 1, proof, 0) == -1);
  SOF_CHECK(sof_merkle_root_from_proof(h, h1, 0, proof, 0) == 0);
  SOF_CHECK_MEM(h, h1, 32); /* depth 0: the root is the leaf */

  return sof_test_done("merkle");
}
