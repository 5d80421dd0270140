/* libFuzzer target: the shred parser and the merkle root walk on arbitrary
 * bytes, with and without the trimmed-legacy option. Aborts when a parsed
 * descriptor points outside the input or breaks a documented invariant. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sof_merkle.h"
#include "wire/sof_shred.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

static void
check(uint8_t const *data, size_t sz, unsigned flags) {
  sof_shred_t s;
  int err = sof_shred_parse(&s, data, sz, flags);
  if (err) {
    REQUIRE(err < 0 && err >= -SOF_SHRED_ERR_CNT);
    REQUIRE(strcmp(sof_shred_err_str(err), "unknown"));
    return;
  }
  REQUIRE(s.payload_sz <= sz);
  REQUIRE(s.payload_sz >= SOF_SHRED_DATA_HDR_SZ);
  if (s.is_data) {
    REQUIRE(s.data_off == SOF_SHRED_DATA_HDR_SZ);
    REQUIRE(s.data_off + s.data_sz <= s.payload_sz);
    REQUIRE(s.data_sz <= s.capacity);
    REQUIRE(s.idx >= s.fec_set_idx && s.idx < SOF_SHRED_DATA_PER_SLOT_MAX);
    REQUIRE((s.flags & 0xC0) != 0x80);
    REQUIRE(sof_shred_parent(&s) <= s.slot);
  } else {
    REQUIRE(s.position < s.num_coding);
    REQUIRE(s.num_data && s.num_coding && s.num_data + s.num_coding <= SOF_SHRED_FEC_SHARDS_MAX);
    REQUIRE(s.erasure_idx < (unsigned)s.num_data + s.num_coding);
  }
  if (!s.trimmed) REQUIRE(s.erasure_off + s.erasure_sz <= s.payload_sz);
  if (s.is_merkle) {
    REQUIRE(!s.trimmed);
    REQUIRE(s.proof_off + s.proof_cnt * SOF_SHRED_MERKLE_NODE_SZ <= s.payload_sz);
    REQUIRE(s.erasure_idx < (1U << s.proof_cnt));
    if (s.is_chained) REQUIRE(s.chained_root_off + 32 <= s.proof_off);
    if (s.is_resigned) REQUIRE(s.retx_sig_off + 64 == s.payload_sz);
    uint8_t root[32];
    REQUIRE(sof_shred_merkle_root(root, data, &s) == 0);
  }
  REQUIRE(strcmp(sof_shred_variant_str(&s), "unknown"));
}

#include "sof_fuzz.h"

int
LLVMFuzzerTestOneInput(uint8_t const *data, size_t sz) {
  check(data, sz, 0);
  check(data, sz, SOF_SHRED_PARSE_ALLOW_TRIMMED);
  return 0;
}
