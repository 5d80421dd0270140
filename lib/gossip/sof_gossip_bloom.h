/* sof_gossip_bloom.h: the bloom filters of gossip pull requests.
 *
 * A pull request carries a CrdsFilter: a bloom filter over the sha256 hashes
 * of the CRDS values the requester holds, restricted to one slice of the
 * hash space (the values whose hash's first 8 bytes, read as a u64 LE, start
 * with the filter's mask_bits-bit prefix). The answering node sends back the
 * values of that slice the filter does not contain.
 *
 * Bit positions: for each key k, FNV-1a 64 with offset basis k over the 32
 * hash bytes, modulo the bit length; bit i lives in u64 word i / 64 at bit
 * i % 64. Sizing follows Agave (false rate 0.1, 8 keys, at least 65536
 * items: mask_bits >= 6 for a packet-sized filter). Facts from Agave's
 * bloom crate and crds_gossip_pull.rs; see docs/gossip.md.
 *
 * A sof_gossip_bloom_t is caller storage (no allocation): words[] sized by
 * the caller. Not thread safe per object; pure functions otherwise. */
#ifndef SOF_GOSSIP_BLOOM_H
#define SOF_GOSSIP_BLOOM_H

#include <stddef.h>
#include <stdint.h>

#include "gossip/sof_gossip.h"

#define SOF_GOSSIP_BLOOM_KEYS_MAX   16U
#define SOF_GOSSIP_BLOOM_WORDS_MAX 160U   /* 10240 bits: more than a packet holds */
#define SOF_GOSSIP_BLOOM_FALSE_RATE 0.1
#define SOF_GOSSIP_BLOOM_KEYS       8.0
#define SOF_GOSSIP_MIN_BLOOM_ITEMS  65536U

typedef struct sof_gossip_bloom {
  uint32_t key_cnt;
  uint32_t word_cnt;
  uint64_t bit_len;
  uint64_t num_bits_set;
  uint64_t keys[SOF_GOSSIP_BLOOM_KEYS_MAX];
  uint64_t words[SOF_GOSSIP_BLOOM_WORDS_MAX];
} sof_gossip_bloom_t;

/* FNV-1a 64 over the 32 bytes with offset basis key. */
uint64_t sof_gossip_bloom_hash(uint64_t key, uint8_t const item[32]);

/* Agave's sizing: the items a filter of max_bits bits holds at the false
 * rate with 8 keys; the mask bits that split num_items into such filters;
 * the bits and keys of a filter for num_items. */
uint32_t sof_gossip_bloom_max_items(uint64_t max_bits);
uint32_t sof_gossip_bloom_mask_bits(uint64_t num_items, uint32_t max_items);
uint64_t sof_gossip_bloom_num_bits(uint64_t num_items);
uint32_t sof_gossip_bloom_num_keys(uint64_t num_bits, uint64_t num_items);

/* sof_gossip_bloom_init: an empty filter of bit_len bits (1..64 *
 * SOF_GOSSIP_BLOOM_WORDS_MAX) with the given keys (<= _KEYS_MAX).
 * Returns 0, -1 on a bound. */
int sof_gossip_bloom_init(sof_gossip_bloom_t *b, uint64_t bit_len, uint64_t const *keys, uint32_t key_cnt);
void sof_gossip_bloom_add(sof_gossip_bloom_t *b, uint8_t const item[32]);
int  sof_gossip_bloom_contains(sof_gossip_bloom_t const *b, uint8_t const item[32]);

/* The mask of filter `seed` (< 2^mask_bits) of a split into 2^mask_bits. */
uint64_t sof_gossip_filter_mask(uint64_t seed, uint32_t mask_bits);

/* 1 when the hash falls in the slice of (mask, mask_bits). */
int sof_gossip_filter_in_slice(uint64_t mask, uint32_t mask_bits, uint8_t const hash[32]);

/* sof_gossip_filter_contains: for a parsed pull-request filter, 1 when the
 * requester holds the value of that hash (or the hash is outside the
 * filter's slice: nothing to send), 0 when it should be sent. An empty bit
 * vector contains nothing. */
int sof_gossip_filter_contains(sof_gossip_filter_t const *f, uint8_t const hash[32]);

/* sof_gossip_bloom_src: the encoder's view of a filter. */
void sof_gossip_bloom_src(sof_gossip_filter_src_t *out, sof_gossip_bloom_t const *b, uint64_t mask,
                          uint32_t mask_bits);

#endif /* SOF_GOSSIP_BLOOM_H */
