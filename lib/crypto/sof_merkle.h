/* sof_merkle.h: Solana's shred merkle tree.
 *
 *   leaf = sha256("\x00SOLANA_MERKLE_SHREDS_LEAF" || shred[64 .. proof_off))
 *   node = sha256("\x01SOLANA_MERKLE_SHREDS_NODE" || left[0..20) || right[0..20))
 *
 * Leaves are in erasure order (data shreds, then coding shreds); an odd last
 * node pairs with itself; the root is the full 32-byte top node and a proof
 * is the list of 20-byte siblings from the leaf up. */
#ifndef SOF_CRYPTO_MERKLE_H
#define SOF_CRYPTO_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "wire/sof_shred.h"

#define SOF_MERKLE_HASH_SZ 32UL
#define SOF_MERKLE_NODE_SZ 20UL   /* what a parent hashes of a child, and a proof entry */
#define SOF_MERKLE_LEAF_MAX SOF_SHRED_FEC_SHARDS_MAX
#define SOF_MERKLE_DEPTH_MAX 15UL /* the largest proof a variant can carry */

/* sof_merkle_leaf hashes one leaf (the prefix is added here) into out.
 * Thread safe. */
void sof_merkle_leaf(uint8_t out[32], void const *data, size_t sz);

/* sof_merkle_node hashes an interior node from the first 20 bytes of its
 * children into out. out may alias left or right. Thread safe. */
void sof_merkle_node(uint8_t out[32], uint8_t const *left, uint8_t const *right);

/* sof_merkle_leaf_x2 hashes two leaves at once (sof_sha256_x2: SHA-NI
 * interleaved, about 0.6x the time of two sof_merkle_leaf calls); the
 * sizes may differ. Same bytes as sof_merkle_leaf on each. out_a and out_b
 * must not overlap each other. Thread safe. */
void sof_merkle_leaf_x2(uint8_t out_a[32], uint8_t out_b[32], void const *a, size_t a_sz,
                        void const *b, size_t b_sz);

/* sof_merkle_leaf_batch hashes cnt leaves: out[i] = the leaf of data[i]
 * (sz[i] bytes); sof_sha256_batch, so 16 at a time in AVX-512 lanes where
 * there are enough of them, else SHA-NI pairs. Same bytes as
 * sof_merkle_leaf on each. No out[i] may overlap another or an input.
 * Thread safe. */
void sof_merkle_leaf_batch(uint8_t *const *out, void const *const *data, size_t const *sz,
                           unsigned cnt);

/* sof_merkle_node_x2 hashes two interior nodes at once: out_a from
 * (left_a, right_a), out_b from (left_b, right_b); same bytes as
 * sof_merkle_node on each. The outputs may alias any input; they must not
 * overlap each other. Thread safe. */
void sof_merkle_node_x2(uint8_t out_a[32], uint8_t const *left_a, uint8_t const *right_a,
                        uint8_t out_b[32], uint8_t const *left_b, uint8_t const *right_b);

/* sof_merkle_root_from_proof walks a proof of proof_cnt 20-byte entries from
 * the leaf hash at leaf index idx up to the root, written to root (32 bytes).
 * Returns 0, or -1 when idx does not fit the proof (idx >> proof_cnt != 0),
 * in which case root is unspecified. Thread safe. */
int sof_merkle_root_from_proof(uint8_t root[32], uint8_t const leaf[32], uint32_t idx,
                               uint8_t const *proof, unsigned proof_cnt);

/* sof_shred_merkle_root computes the merkle root a merkle shred commits to:
 * the leaf over payload[64 .. proof_off) walked up its proof.
 * Preconditions: s was filled by a successful sof_shred_parse on payload.
 * Returns 0, or -1 for a legacy shred (no merkle tree) or a leaf index that
 * does not fit the proof.
 * Thread safe. */
int sof_shred_merkle_root(uint8_t root[32], void const *payload, sof_shred_t const *s);

/* sof_merkle_tree_node_cnt returns how many 32-byte nodes a full tree over
 * leaf_cnt leaves (1 <= leaf_cnt <= SOF_MERKLE_LEAF_MAX) occupies, leaves
 * included. */
unsigned sof_merkle_tree_node_cnt(unsigned leaf_cnt);

/* sof_merkle_tree_build builds the whole tree over leaf_cnt leaf hashes.
 * nodes must have room for sof_merkle_tree_node_cnt(leaf_cnt) entries; its
 * first leaf_cnt entries must already hold the leaf hashes (level 0); the
 * levels follow one after the other and the last node is the root.
 * Nodes of a level are hashed two at a time (sof_merkle_node_x2).
 * Returns a pointer to the root inside nodes. Thread safe on distinct
 * memory. */
uint8_t const *sof_merkle_tree_build(uint8_t (*nodes)[32], unsigned leaf_cnt);

/* sof_merkle_tree_proof writes the proof of leaf idx (< leaf_cnt) from a tree
 * built by sof_merkle_tree_build into proof (depth entries of 20 bytes) and
 * returns the depth (the proof size a shred of this set carries). */
unsigned sof_merkle_tree_proof(uint8_t (*nodes)[32], unsigned leaf_cnt, unsigned idx,
                               uint8_t *proof);

#endif /* SOF_CRYPTO_MERKLE_H */
