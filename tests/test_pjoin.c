/* test_pjoin: the joined mode's join table (lib/provider/sof_pjoin.h):
 * shreds first, provider first, outcome-only updates, repeats, and a full
 * set's choice (finished entries first, then the oldest awaiting one,
 * counted), then a stream of 200k transactions through a 4096-entry table
 * with the provider 1000 transactions behind: every outcome joined. */
#include <stdlib.h>
#include <string.h>

#include "provider/sof_pjoin.h"
#include "sof_test.h"

/* Signature k; with same_set, every one lands in set 0 (bytes 8..15 zero). */
static uint8_t const *sig_of(uint64_t k, int same_set) {
  static uint8_t s[64];
  memset(s, 0, 64);
  memcpy(s, &k, 8);
  if (!same_set) {
    uint64_t h = k * 0x9E3779B97F4A7C15ull;
    memcpy(s + 8, &h, 8);
  }
  s[63] = (uint8_t)k;
  return s;
}

int main(void) {
  char err[128] = "";
  SOF_CHECK(sof_pjoin_new(7, err, sizeof err) == NULL && strstr(err, "power of two"));
  SOF_CHECK(sof_pjoin_new(100, NULL, 0) == NULL);
  sof_pjoin_t *j = sof_pjoin_new(8, err, sizeof err); /* one set */
  SOF_CHECK(j != NULL);
  uint64_t o = 0;
  sof_pjoin_stats_t st;

  /* shreds first: inline, dataset, the provider joins, a repeat */
  SOF_CHECK_EQ(sof_pjoin_shred(j, sig_of(1, 1), 10, &o), SOF_PJOIN_NEW);
  SOF_CHECK_EQ(sof_pjoin_shred(j, sig_of(1, 1), 11, &o), SOF_PJOIN_AGAIN);
  SOF_CHECK_EQ(sof_pjoin_provider(j, sig_of(1, 1), 20, 1, &o), SOF_PJOIN_JOINED);
  SOF_CHECK_EQ(o, 10); /* the first sighting */
  SOF_CHECK_EQ(sof_pjoin_provider(j, sig_of(1, 1), 21, 1, &o), SOF_PJOIN_REPEAT);
  SOF_CHECK_EQ(sof_pjoin_shred(j, sig_of(1, 1), 30, &o), SOF_PJOIN_AGAIN); /* its dataset after the join */

  /* provider first: published there, every shred copy skipped */
  o = 0;
  SOF_CHECK_EQ(sof_pjoin_provider(j, sig_of(2, 1), 5, 1, &o), SOF_PJOIN_FIRST);
  SOF_CHECK_EQ(sof_pjoin_shred(j, sig_of(2, 1), 9, &o), SOF_PJOIN_DEDUPE);
  SOF_CHECK_EQ(o, 5);
  SOF_CHECK_EQ(sof_pjoin_shred(j, sig_of(2, 1), 12, &o), SOF_PJOIN_DEDUPE_AGAIN);
  SOF_CHECK_EQ(sof_pjoin_provider(j, sig_of(2, 1), 13, 0, &o), SOF_PJOIN_REPEAT);

  /* an outcome only, not held: a miss, not entered */
  SOF_CHECK_EQ(sof_pjoin_provider(j, sig_of(3, 1), 1, 0, &o), SOF_PJOIN_FIRST);
  SOF_CHECK_EQ(sof_pjoin_shred(j, sig_of(3, 1), 2, &o), SOF_PJOIN_NEW);
  sof_pjoin_stats(j, &st);
  SOF_CHECK(st.hits == 1 && st.prov_first == 1 && st.misses == 1 && st.dedupe == 1 && st.dup == 5 &&
            st.inserted == 3 && st.evicted == 0);

  /* the set full: 1 (done), 2 (done), 3 and 4..8 awaiting */
  for (uint64_t k = 4; k <= 8; k++) SOF_CHECK_EQ(sof_pjoin_shred(j, sig_of(k, 1), 40 + k, &o), SOF_PJOIN_NEW);
  SOF_CHECK_EQ(sof_pjoin_shred(j, sig_of(9, 1), 50, &o), SOF_PJOIN_NEW);  /* takes 1's place */
  SOF_CHECK_EQ(sof_pjoin_shred(j, sig_of(10, 1), 51, &o), SOF_PJOIN_NEW); /* takes 2's place */
  sof_pjoin_stats(j, &st);
  SOF_CHECK_EQ(st.evicted, 0);
  SOF_CHECK_EQ(sof_pjoin_shred(j, sig_of(11, 1), 52, &o), SOF_PJOIN_NEW); /* evicts 3, the oldest awaiting */
  sof_pjoin_stats(j, &st);
  SOF_CHECK_EQ(st.evicted, 1);
  /* 3's outcome looks first now (entered PROV, evicting 4); so does 4's */
  SOF_CHECK_EQ(sof_pjoin_provider(j, sig_of(3, 1), 60, 1, &o), SOF_PJOIN_FIRST);
  SOF_CHECK_EQ(sof_pjoin_provider(j, sig_of(4, 1), 61, 1, &o), SOF_PJOIN_FIRST);
  SOF_CHECK_EQ(sof_pjoin_shred(j, sig_of(3, 1), 62, &o), SOF_PJOIN_DEDUPE); /* a second copy would be skipped */
  SOF_CHECK_EQ(o, 60);
  sof_pjoin_stats(j, &st);
  SOF_CHECK_EQ(st.evicted, 3);
  sof_pjoin_delete(j);
  sof_pjoin_delete(NULL);

  /* a stream: the provider 1000 transactions behind, 4096 entries */
  j = sof_pjoin_new(4096, NULL, 0);
  uint64_t joined = 0, n = 200000, lag = 1000;
  for (uint64_t k = 0; k < n + lag; k++) {
    if (k < n && sof_pjoin_shred(j, sig_of(k, 0), k, NULL) != SOF_PJOIN_NEW) SOF_CHECK(0);
    if (k >= lag) {
      o = UINT64_MAX;
      joined += sof_pjoin_provider(j, sig_of(k - lag, 0), k, 1, &o) == SOF_PJOIN_JOINED && o == k - lag;
    }
  }
  sof_pjoin_stats(j, &st);
  SOF_CHECK_EQ(joined, n);
  SOF_CHECK(st.hits == n && st.evicted == 0 && st.prov_first == 0);
  sof_pjoin_delete(j);
  return sof_test_done("pjoin");
}
