/* sof_gossip_bloom.c: pull-request bloom filters (see sof_gossip_bloom.h). */
#include "gossip/sof_gossip_bloom.h"

#include <math.h>
#include <string.h>

uint64_t
sof_gossip_bloom_hash(uint64_t key, uint8_t const item[32]) {
  uint64_t h = key;
  for (unsigned i = 0; i < 32; i++) {
    h ^= item[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint32_t
sof_gossip_bloom_max_items(uint64_t max_bits) {
  double m = (double)max_bits, p = SOF_GOSSIP_BLOOM_FALSE_RATE, k = SOF_GOSSIP_BLOOM_KEYS;
  return (uint32_t)ceil(m / (-k / log(1.0 - exp(log(p) / k))));
}

uint32_t
sof_gossip_bloom_mask_bits(uint64_t num_items, uint32_t max_items) {
  if (!max_items) return 0;
  double b = ceil(log2((double)num_items / (double)max_items));
  return b > 0 ? (uint32_t)b : 0;
}

uint64_t
sof_gossip_bloom_num_bits(uint64_t num_items) {
  double n = (double)num_items, p = SOF_GOSSIP_BLOOM_FALSE_RATE;
  return (uint64_t)ceil((n * log(p)) / log(1.0 / pow(2.0, log(2.0))));
}

uint32_t
sof_gossip_bloom_num_keys(uint64_t num_bits, uint64_t num_items) {
  if (!num_items) return 0;
  double k = round(((double)num_bits / (double)num_items) * log(2.0));
  return k < 1.0 ? 1U : (uint32_t)k;
}

int
sof_gossip_bloom_init(sof_gossip_bloom_t *b, uint64_t bit_len, uint64_t const *keys, uint32_t key_cnt) {
  if (!bit_len || bit_len > 64ULL * SOF_GOSSIP_BLOOM_WORDS_MAX || key_cnt > SOF_GOSSIP_BLOOM_KEYS_MAX) return -1;
  b->bit_len = bit_len;
  b->word_cnt = (uint32_t)((bit_len + 63U) / 64U);
  b->key_cnt = key_cnt;
  b->num_bits_set = 0;
  memcpy(b->keys, keys, key_cnt * sizeof keys[0]);
  memset(b->words, 0, b->word_cnt * sizeof b->words[0]);
  return 0;
}

void
sof_gossip_bloom_add(sof_gossip_bloom_t *b, uint8_t const item[32]) {
  for (uint32_t i = 0; i < b->key_cnt; i++) {
    uint64_t pos = sof_gossip_bloom_hash(b->keys[i], item) % b->bit_len;
    uint64_t bit = 1ULL << (pos % 64U);
    if (!(b->words[pos / 64U] & bit)) {
      b->words[pos / 64U] |= bit;
      b->num_bits_set++;
    }
  }
}

int
sof_gossip_bloom_contains(sof_gossip_bloom_t const *b, uint8_t const item[32]) {
  for (uint32_t i = 0; i < b->key_cnt; i++) {
    uint64_t pos = sof_gossip_bloom_hash(b->keys[i], item) % b->bit_len;
    if (!(b->words[pos / 64U] & (1ULL << (pos % 64U)))) return 0;
  }
  return 1;
}

uint64_t
sof_gossip_filter_mask(uint64_t seed, uint32_t mask_bits) {
  if (!mask_bits) return ~0ULL;
  uint64_t hi = mask_bits >= 64 ? seed : seed << (64U - mask_bits);
  uint64_t lo = mask_bits >= 64 ? 0 : (~0ULL >> mask_bits);
  return hi | lo;
}

int
sof_gossip_filter_in_slice(uint64_t mask, uint32_t mask_bits, uint8_t const hash[32]) {
  uint64_t h;
  memcpy(&h, hash, 8);
  uint64_t lsb = mask_bits >= 64 ? 0 : (~0ULL >> mask_bits);
  return (h | lsb) == (mask | lsb);
}

int
sof_gossip_filter_contains(sof_gossip_filter_t const *f, uint8_t const hash[32]) {
  if (!sof_gossip_filter_in_slice(f->mask, f->mask_bits, hash)) return 1;
  if (!f->bit_len) return 0;
  for (uint32_t i = 0; i < f->key_cnt; i++) {
    uint64_t key, word;
    memcpy(&key, f->keys + 8U * i, 8);
    uint64_t pos = sof_gossip_bloom_hash(key, hash) % f->bit_len;
    memcpy(&word, f->words + 8U * (pos / 64U), 8);
    if (!(word & (1ULL << (pos % 64U)))) return 0;
  }
  return 1;
}

void
sof_gossip_bloom_src(sof_gossip_filter_src_t *out, sof_gossip_bloom_t const *b, uint64_t mask,
                     uint32_t mask_bits) {
  out->key_cnt = b->key_cnt;
  out->keys = b->keys;
  out->word_cnt = b->word_cnt;
  out->words = b->words;
  out->bit_len = b->bit_len;
  out->num_bits_set = b->num_bits_set;
  out->mask = mask;
  out->mask_bits = mask_bits;
}
