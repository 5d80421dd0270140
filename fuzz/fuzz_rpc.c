/* libFuzzer target: Solana JSON-RPC responses for leader schedules
 * (sof_rpc: getEpochSchedule, getEpochInfo, getLeaderSchedule) from
 * arbitrary bytes. The first byte picks the call; a schedule that parses
 * becomes an epoch table that is published into a table, looked up,
 * expired and reclaimed: no crash, no leak, and every slot the epoch says
 * it names answers inside the epoch only. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verify/sof_rpc.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

#include "sof_fuzz.h"

int
LLVMFuzzerTestOneInput(uint8_t const *data, size_t sz) {
  if (!sz) return 0;
  char const *buf = (char const *)data + 1;
  size_t n = sz - 1;
  char err[256];
  switch (data[0] % 5) {
  case 0: {
    sof_rpc_epoch_schedule_t s;
    if (sof_rpc_epoch_schedule_parse(buf, n, 1, &s, err, sizeof err) == 0) {
      REQUIRE(s.slots_per_epoch >= 1);
      for (uint64_t slot = 0; slot < 4096; slot += 97) {
        uint64_t e = sof_rpc_epoch_of_slot(&s, slot);
        uint64_t f = sof_rpc_first_slot(&s, e);
        REQUIRE(f <= slot && slot - f < sof_rpc_slots_in_epoch(&s, e));
      }
    }
    break;
  }
  case 1: {
    sof_rpc_epoch_info_t i;
    if (sof_rpc_epoch_info_parse(buf, n, 1, &i, err, sizeof err) == 0)
      REQUIRE(i.slot_index < i.slots_in_epoch && i.slot_index <= i.absolute_slot);
    break;
  }
  case 4: {
    uint8_t (*keys)[32] = NULL;
    uint32_t cnt = 7;
    int r = sof_rpc_cluster_identities_parse(buf, n, 1, &keys, &cnt, err, sizeof err);
    REQUIRE(r == 0 || r == -1);
    REQUIRE(r == 0 ? keys != NULL && cnt >= 1 : keys == NULL && cnt == 0);
    free(keys);
    break;
  }
  case 3: {
    uint16_t v;
    uint32_t agree = 0, nodes = 0;
    if (sof_rpc_cluster_shred_version_parse(buf, n, 1, &v, &agree, &nodes, err, sizeof err) == 0)
      REQUIRE(agree >= 1 && agree <= nodes);
    break;
  }
  default: {
    sof_leaders_t *t = NULL;
    uint64_t named = 0;
    int r = sof_rpc_leader_schedule_parse(buf, n, 1, 1000, 64, &t, &named, err, sizeof err);
    REQUIRE(r >= -1 && r <= 1);
    REQUIRE((r == 1) == (t != NULL));
    if (!t) break;
    REQUIRE(named >= 1 && named <= 64);
    sof_leaders_t *l = sof_leaders_new(16, 1);
    REQUIRE(l);
    REQUIRE(sof_leaders_epoch_install(l, t, 5, 1000, 64, 1, 1, err, sizeof err) == 0);
    uint64_t hits = 0;
    for (uint64_t slot = 990; slot < 1074; slot++) {
      uint8_t const *k = sof_leaders_get(l, slot);
      REQUIRE(!k || (slot >= 1000 && slot < 1064));
      hits += k != NULL;
    }
    REQUIRE(hits == named);
    REQUIRE(sof_leaders_epoch_expire(l, 1064 + 10, 5, 2) == 1);
    REQUIRE(sof_leaders_get(l, 1000) == NULL);
    REQUIRE(sof_leaders_epoch_reclaim(l, 3, 0) == 1);
    sof_leaders_delete(l);
    break;
  }
  }
  return 0;
}
