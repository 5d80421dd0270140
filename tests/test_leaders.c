/* Leader schedule loading and validation: JSON (getLeaderSchedule offsets
 * from the epoch's first slot) and "slot pubkey" lists; empty sources, two
 * leaders for a slot, repeats, offsets outside the epoch, spans over the
 * table, and sof_leaders_range's contract. Messages checked as written. */
#include "sof_test.h"

#include "verify/sof_leaders.h"
#include "wire/sof_base58.h"

static uint8_t key_a[32], key_b[32];
static char b58_a[SOF_BASE58_ENCODED_32_MAX], b58_b[SOF_BASE58_ENCODED_32_MAX];

static long
json(sof_leaders_t *l, char const *text, uint64_t first, char *err, size_t err_sz) {
  err[0] = 0;
  return sof_leaders_load_json_buf(l, text, strlen(text), first, err, err_sz);
}

static long
list(sof_leaders_t *l, char const *text, char *err, size_t err_sz) {
  err[0] = 0;
  return sof_leaders_load_text_buf(l, text, strlen(text), err, err_sz);
}

static void
test_json(void) {
  char text[1024], err[512], want[512];
  uint64_t first = 1, last = 1;
  sof_leaders_t *l = sof_leaders_new(1U << 20, 16);

  /* good: two leaders, offsets from the epoch's first slot */
  snprintf(text, sizeof text, "{\"%s\": [0, 1, 4], \"%s\": [2, 3]}", b58_a, b58_b);
  SOF_CHECK_EQ(sof_leaders_range(l, &first, &last), -1);
  SOF_CHECK_EQ(first, 1); /* untouched */
  SOF_CHECK_EQ(json(l, text, 432000, err, sizeof err), 5);
  SOF_CHECK_EQ(sof_leaders_range(l, &first, &last), 0);
  SOF_CHECK_EQ(first, 432000);
  SOF_CHECK_EQ(last, 432004);
  SOF_CHECK_MEM(sof_leaders_get(l, 432003), key_b, 32);
  SOF_CHECK(sof_leaders_get(l, 432005) == NULL);
  /* loading it again: every slot repeats with its leader, nothing new */
  SOF_CHECK_EQ(json(l, text, 432000, err, sizeof err), 0);
  sof_leaders_delete(l);

  /* the same slot twice for one leader: accepted, counted once */
  l = sof_leaders_new(1U << 20, 16);
  snprintf(text, sizeof text, "{\"%s\": [7, 7, 8]}", b58_a);
  SOF_CHECK_EQ(json(l, text, 0, err, sizeof err), 2);
  sof_leaders_delete(l);

  /* two leaders for one slot */
  l = sof_leaders_new(1U << 20, 16);
  snprintf(text, sizeof text, "{\"%s\": [0, 5], \"%s\": [1, 5]}", b58_a, b58_b);
  SOF_CHECK_EQ(json(l, text, 100, err, sizeof err), -1);
  snprintf(want, sizeof want, "\"%s\"[1] (offset 5): slot 105 has two leaders: %s and %s", b58_b,
           b58_a, b58_b);
  SOF_CHECK_STR(err, want);
  sof_leaders_delete(l);

  /* empty */
  l = sof_leaders_new(1U << 20, 16);
  SOF_CHECK_EQ(json(l, "{}", 0, err, sizeof err), -1);
  SOF_CHECK_STR(err, "an empty schedule: no leader names a slot");
  snprintf(text, sizeof text, "{\"result\": {\"%s\": []}}", b58_a);
  SOF_CHECK_EQ(json(l, text, 0, err, sizeof err), -1);
  SOF_CHECK_STR(err, "an empty schedule: no leader names a slot");
  SOF_CHECK_EQ(sof_leaders_range(l, &first, &last), -1);

  /* an offset outside the epoch: absolute slots written as offsets */
  snprintf(text, sizeof text, "{\"%s\": [0, 250000000]}", b58_a);
  SOF_CHECK_EQ(json(l, text, 249984000, err, sizeof err), -1);
  snprintf(want, sizeof want, "\"%s\"[1]: offset 250000000 is outside the epoch (offsets run "
           "0..431999 from the epoch's first slot, 249984000; absolute slots belong in a "
           "\"<slot> <pubkey>\" list)", b58_a);
  SOF_CHECK_STR(err, want);
  sof_leaders_delete(l);
  /* the last offset of the epoch is fine */
  l = sof_leaders_new(1U << 20, 16);
  snprintf(text, sizeof text, "{\"%s\": [0, 431999]}", b58_a);
  SOF_CHECK_EQ(json(l, text, 0, err, sizeof err), 2);
  SOF_CHECK_EQ(sof_leaders_range(l, &first, &last), 0);
  SOF_CHECK_EQ(first, 0);
  SOF_CHECK_EQ(last, 431999);
  sof_leaders_delete(l);

  /* a span the table cannot hold: refused, not silently forgotten */
  l = sof_leaders_new(1024, 16);
  snprintf(text, sizeof text, "{\"%s\": [0, 1024]}", b58_a);
  SOF_CHECK_EQ(json(l, text, 0, err, sizeof err), -1);
  snprintf(want, sizeof want, "\"%s\"[1] (offset 1024): slot 1024 is too far from slots 0..0: the "
           "schedule would span 1025 slots, the table holds 1024", b58_a);
  SOF_CHECK_STR(err, want);
  /* separate loads may move the window (the next epoch into a small table) */
  snprintf(text, sizeof text, "{\"%s\": [0, 1023]}", b58_a);
  SOF_CHECK_EQ(json(l, text, 0, err, sizeof err), 1); /* slot 0 stayed set by the refused load */
  snprintf(text, sizeof text, "{\"%s\": [0, 1]}", b58_b);
  SOF_CHECK_EQ(json(l, text, 5000, err, sizeof err), 2);
  SOF_CHECK_EQ(sof_leaders_range(l, &first, &last), 0);
  SOF_CHECK_EQ(first, 5001 - 1023);
  SOF_CHECK_EQ(last, 5001);
  SOF_CHECK_MEM(sof_leaders_get(l, 5000), key_b, 32);
  /* slot 0's position was not reused: an older entry outside the range */
  SOF_CHECK_MEM(sof_leaders_get(l, 0), key_a, 32);
  sof_leaders_delete(l);
}

static void
test_text(void) {
  char text[1024], err[512], want[512];
  uint64_t first = 0, last = 0;
  sof_leaders_t *l = sof_leaders_new(1U << 20, 16);
  snprintf(text, sizeof text, "# schedule\n10 %s\n\n12 %s\n10 %s  # again\n", b58_a, b58_b, b58_a);
  SOF_CHECK_EQ(list(l, text, err, sizeof err), 2);
  SOF_CHECK_EQ(sof_leaders_range(l, &first, &last), 0);
  SOF_CHECK_EQ(first, 10);
  SOF_CHECK_EQ(last, 12);
  SOF_CHECK(sof_leaders_get(l, 11) == NULL); /* a gap inside the range */
  /* a later list naming slot 12 for another leader conflicts with the table */
  snprintf(text, sizeof text, "13 %s\n12 %s\n", b58_a, b58_a);
  SOF_CHECK_EQ(list(l, text, err, sizeof err), -1);
  snprintf(want, sizeof want, "line 2: slot 12 has two leaders: %s and %s", b58_b, b58_a);
  SOF_CHECK_STR(err, want);
  sof_leaders_delete(l);

  l = sof_leaders_new(1U << 20, 16);
  SOF_CHECK_EQ(list(l, "", err, sizeof err), -1);
  SOF_CHECK_STR(err, "an empty list: no \"<slot> <pubkey>\" line");
  SOF_CHECK_EQ(list(l, "# only a comment\n\n   \n", err, sizeof err), -1);
  SOF_CHECK_STR(err, "an empty list: no \"<slot> <pubkey>\" line");
  sof_leaders_delete(l);

  /* a fixed leader alone has no range; with a list, the list's range */
  l = sof_leaders_new(64, 4);
  sof_leaders_set_fixed(l, key_a);
  SOF_CHECK_EQ(sof_leaders_range(l, &first, &last), -1);
  snprintf(text, sizeof text, "5 %s\n", b58_b);
  SOF_CHECK_EQ(list(l, text, err, sizeof err), 1);
  SOF_CHECK_EQ(sof_leaders_range(l, &first, &last), 0);
  SOF_CHECK_EQ(first, 5);
  SOF_CHECK_EQ(last, 5);
  SOF_CHECK_MEM(sof_leaders_get(l, 6), key_a, 32);
  sof_leaders_delete(l);
}

/* sof_leaders_set beyond the table: the range follows what is held. */
static void
test_range_window(void) {
  sof_leaders_t *l = sof_leaders_new(64, 4);
  uint64_t first = 0, last = 0;
  for (uint64_t s = 0; s < 200; s++) sof_leaders_set(l, s, key_a);
  SOF_CHECK_EQ(sof_leaders_range(l, &first, &last), 0);
  SOF_CHECK_EQ(first, 136);
  SOF_CHECK_EQ(last, 199);
  for (uint64_t s = first; s <= last; s++) SOF_CHECK(sof_leaders_get(l, s) != NULL);
  SOF_CHECK(sof_leaders_get(l, first - 1) == NULL);
  sof_leaders_delete(l);
}

int
main(void) {
  for (int i = 0; i < 32; i++) {
    key_a[i] = (uint8_t)(i + 1);
    key_b[i] = (uint8_t)(0xA0 + i);
  }
  sof_base58_encode_32(key_a, b58_a);
  sof_base58_encode_32(key_b, b58_b);
  test_json();
  test_text();
  test_range_window();
  return sof_test_done("test_leaders");
}
