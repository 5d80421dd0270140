/* libFuzzer target: leader schedule loading (JSON getLeaderSchedule shape
 * and "slot pubkey" text lists) from arbitrary bytes, into a small table:
 * no crash, bounded memory, and every slot it reports set answers. */
#include <stdint.h>
#include <stdlib.h>

#include "verify/sof_leaders.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

#include "sof_fuzz.h"

int
LLVMFuzzerTestOneInput(uint8_t const *data, size_t sz) {
  if (!sz) return 0;
  sof_leaders_t *l = sof_leaders_new(64, 4);
  REQUIRE(l);
  char err[128];
  long n = data[0] & 1
             ? sof_leaders_load_json_buf(l, (char const *)data + 1, sz - 1, 1000, err, sizeof err)
             : sof_leaders_load_text_buf(l, (char const *)data + 1, sz - 1, err, sizeof err);
  REQUIRE(n >= -1);
  REQUIRE(sof_leaders_key_cnt(l) <= 4);
  if (n > 0 && sof_leaders_key_cnt(l) == 0) abort();
  for (uint64_t slot = 990; slot < 1070; slot++) (void)sof_leaders_get(l, slot);
  sof_leaders_delete(l);
  return 0;
}
