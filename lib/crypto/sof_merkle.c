#include "crypto/sof_merkle.h"

#include <string.h>

#include "crypto/sof_sha256.h"

static uint8_t const leaf_prefix[26] = "\x00SOLANA_MERKLE_SHREDS_LEAF";
static uint8_t const node_prefix[26] = "\x01SOLANA_MERKLE_SHREDS_NODE";

void
sof_merkle_leaf(uint8_t out[32], void const *data, size_t sz) {
  sof_sha256_2(out, leaf_prefix, sizeof leaf_prefix, data, sz);
}

void
sof_merkle_node(uint8_t out[32], uint8_t const *left, uint8_t const *right) {
  uint8_t buf[26 + 2 * SOF_MERKLE_NODE_SZ];
  memcpy(buf, node_prefix, 26);
  memcpy(buf + 26, left, SOF_MERKLE_NODE_SZ);
  memcpy(buf + 26 + SOF_MERKLE_NODE_SZ, right, SOF_MERKLE_NODE_SZ);
  sof_sha256(out, buf, sizeof buf);
}

void
sof_merkle_leaf_x2(uint8_t out_a[32], uint8_t out_b[32], void const *a, size_t a_sz, void const *b,
                   size_t b_sz) {
  sof_sha256_x2(out_a, out_b, leaf_prefix, sizeof leaf_prefix, a, a_sz, b, b_sz);
}

void
sof_merkle_leaf_batch(uint8_t *const *out, void const *const *data, size_t const *sz, unsigned cnt) {
  sof_sha256_batch(out, leaf_prefix, sizeof leaf_prefix, data, sz, cnt);
}

void
sof_merkle_node_x2(uint8_t out_a[32], uint8_t const *left_a, uint8_t const *right_a, uint8_t out_b[32],
                   uint8_t const *left_b, uint8_t const *right_b) {
  uint8_t a[2 * SOF_MERKLE_NODE_SZ], b[2 * SOF_MERKLE_NODE_SZ];
  memcpy(a, left_a, SOF_MERKLE_NODE_SZ);
  memcpy(a + SOF_MERKLE_NODE_SZ, right_a, SOF_MERKLE_NODE_SZ);
  memcpy(b, left_b, SOF_MERKLE_NODE_SZ);
  memcpy(b + SOF_MERKLE_NODE_SZ, right_b, SOF_MERKLE_NODE_SZ);
  sof_sha256_x2(out_a, out_b, node_prefix, sizeof node_prefix, a, sizeof a, b, sizeof b);
}

int
sof_merkle_root_from_proof(uint8_t root[32], uint8_t const leaf[32], uint32_t idx,
                           uint8_t const *proof, unsigned proof_cnt) {
  if (proof_cnt < 32 && (idx >> proof_cnt)) return -1;
  uint8_t node[32];
  memcpy(node, leaf, 32);
  for (unsigned i = 0; i < proof_cnt; i++, idx >>= 1) {
    uint8_t const *sib = proof + i * SOF_MERKLE_NODE_SZ;
    if (idx & 1U) sof_merkle_node(node, sib, node);
    else          sof_merkle_node(node, node, sib);
  }
  memcpy(root, node, 32);
  return 0;
}

int
sof_shred_merkle_root(uint8_t root[32], void const *payload, sof_shred_t const *s) {
  uint8_t const *p = payload;
  if (!s->is_merkle) return -1;
  uint8_t leaf[32];
  sof_merkle_leaf(leaf, p + SOF_SHRED_SIGNATURE_SZ, s->proof_off - SOF_SHRED_SIGNATURE_SZ);
  return sof_merkle_root_from_proof(root, leaf, s->erasure_idx, p + s->proof_off, s->proof_cnt);
}

unsigned
sof_merkle_tree_node_cnt(unsigned leaf_cnt) {
  unsigned total = 0;
  for (unsigned w = leaf_cnt; ; w = (w + 1) / 2) {
    total += w;
    if (w <= 1) break;
  }
  return total;
}

uint8_t const *
sof_merkle_tree_build(uint8_t (*nodes)[32], unsigned leaf_cnt) {
  unsigned lvl = 0, w = leaf_cnt;
  while (w > 1) {
    unsigned next = lvl + w, half = (w + 1) / 2;
    for (unsigned j = 0; j < half; j += 2) {
      /* children of node j: l0, r0 (an odd last node pairs with itself) */
      unsigned l0 = lvl + 2 * j, r0 = 2 * j + 1 < w ? l0 + 1 : l0;
      if (j + 1 == half) {
        sof_merkle_node(nodes[next + j], nodes[l0], nodes[r0]);
        break;
      }
      unsigned l1 = l0 + 2, r1 = 2 * j + 3 < w ? l1 + 1 : l1;
      sof_merkle_node_x2(nodes[next + j], nodes[l0], nodes[r0], nodes[next + j + 1], nodes[l1],
                         nodes[r1]);
    }
    lvl = next;
    w = (w + 1) / 2;
  }
  return nodes[lvl];
}

unsigned
sof_merkle_tree_proof(uint8_t (*nodes)[32], unsigned leaf_cnt, unsigned idx, uint8_t *proof) {
  unsigned lvl = 0, w = leaf_cnt, depth = 0;
  while (w > 1) {
    unsigned sib = idx ^ 1U;
    if (sib >= w) sib = idx; /* odd last node pairs with itself */
    memcpy(proof + depth * SOF_MERKLE_NODE_SZ, nodes[lvl + sib], SOF_MERKLE_NODE_SZ);
    depth++;
    lvl += w;
    idx >>= 1;
    w = (w + 1) / 2;
  }
  return depth;
}
