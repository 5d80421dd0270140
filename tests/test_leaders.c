/* Leader schedule loading and validation: JSON (getLeaderSchedule offsets
 * from the epoch's first slot) and "slot pubkey" lists; empty sources, two
 * leaders for a slot, repeats, offsets outside the epoch, spans over the
 * table, and sof_leaders_range's contract. Messages checked as written. */
#include "sof_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* An epoch table from a schedule naming key for every offset in offs. */
static sof_leaders_t *
epoch_tbl(char const *b58, uint64_t first, uint64_t *cnt, char *err, size_t err_sz) {
  char text[512];
  snprintf(text, sizeof text, "{\"%s\": [0, 1, 2, 3, 4, 5, 6, 7]}", b58);
  uint64_t named = 0;
  sof_leaders_t *t = sof_leaders_epoch_from_json(text, strlen(text), first, cnt, &named, err, err_sz);
  if (t) SOF_CHECK_EQ(named, 8);
  return t;
}

/* Publish / look up / replace / drop old / grace period. */
static void
test_epochs(void) {
  char err[512];
  sof_leaders_t *l = sof_leaders_new(64, 4);
  sof_leaders_set_fixed(l, NULL);
  SOF_CHECK(sof_leaders_set(l, 100, key_b) == 0); /* a base entry outside the epochs */
  uint64_t cnt = 0;
  sof_leaders_t *e0 = epoch_tbl(b58_a, 0, &cnt, err, sizeof err);
  SOF_CHECK(e0 != NULL);
  SOF_CHECK_EQ(cnt, 8); /* from the highest offset */
  SOF_CHECK(sof_leaders_get(l, 3) == NULL);
  SOF_CHECK_EQ(sof_leaders_epoch_install(l, e0, 0, 0, 8, 0, 1000, err, sizeof err), 0);
  SOF_CHECK(sof_leaders_get(l, 3) && !memcmp(sof_leaders_get(l, 3), key_a, 32));
  SOF_CHECK(sof_leaders_get(l, 8) == NULL);
  SOF_CHECK(sof_leaders_get(l, 100) && !memcmp(sof_leaders_get(l, 100), key_b, 32));
  SOF_CHECK_EQ(sof_leaders_epoch_retired(l), 0); /* nothing was published before */
  cnt = 8;
  sof_leaders_t *e1 = epoch_tbl(b58_b, 8, &cnt, err, sizeof err);
  SOF_CHECK_EQ(sof_leaders_epoch_install(l, e1, 1, 8, 8, 1, 2000, err, sizeof err), 0);
  SOF_CHECK(sof_leaders_get(l, 8) && !memcmp(sof_leaders_get(l, 8), key_b, 32));
  SOF_CHECK(sof_leaders_get(l, 15) && !memcmp(sof_leaders_get(l, 15), key_b, 32));
  SOF_CHECK(sof_leaders_get(l, 7) && !memcmp(sof_leaders_get(l, 7), key_a, 32));
  SOF_CHECK_EQ(sof_leaders_epoch_retired(l), 1);
  uint64_t first = 0, last = 0;
  SOF_CHECK_EQ(sof_leaders_range(l, &first, &last), 0);
  SOF_CHECK_EQ(first, 0);
  SOF_CHECK_EQ(last, 100);
  sof_leaders_epoch_info_t info[SOF_LEADERS_EPOCHS_MAX];
  SOF_CHECK_EQ(sof_leaders_epochs(l, info, SOF_LEADERS_EPOCHS_MAX), 2);
  SOF_CHECK_EQ(info[0].epoch, 0);
  SOF_CHECK_EQ(info[1].first_slot, 8);
  SOF_CHECK_EQ(info[1].slot_cnt, 8);
  SOF_CHECK_EQ(info[1].named, 8);
  SOF_CHECK_EQ(info[1].source, 1);
  SOF_CHECK_EQ(sof_leaders_epoch_find(l, 12, &info[0]), 1);
  SOF_CHECK_EQ(info[0].epoch, 1);
  SOF_CHECK_EQ(sof_leaders_epoch_find(l, 16, &info[0]), 0);
  /* an overlapping epoch is refused; the set stays */
  cnt = 8;
  sof_leaders_t *bad = epoch_tbl(b58_a, 4, &cnt, err, sizeof err);
  SOF_CHECK_EQ(sof_leaders_epoch_install(l, bad, 9, 4, 8, 0, 2500, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "overlaps epoch 0") != NULL);
  SOF_CHECK_EQ(sof_leaders_epochs(l, info, SOF_LEADERS_EPOCHS_MAX), 2);
  /* an offset past the stated length is refused */
  cnt = 4;
  SOF_CHECK(epoch_tbl(b58_a, 16, &cnt, err, sizeof err) == NULL);
  SOF_CHECK(strstr(err, "outside the epoch") != NULL);
  /* a re-read replaces epoch 1 (same first slot): now key_a leads it */
  cnt = 8;
  sof_leaders_t *e1b = epoch_tbl(b58_a, 8, &cnt, err, sizeof err);
  SOF_CHECK_EQ(sof_leaders_epoch_install(l, e1b, 1, 8, 8, 0, 3000, err, sizeof err), 0);
  SOF_CHECK(sof_leaders_get(l, 9) && !memcmp(sof_leaders_get(l, 9), key_a, 32));
  SOF_CHECK_EQ(sof_leaders_epochs(l, info, SOF_LEADERS_EPOCHS_MAX), 2);
  /* epoch 2, then the tip moves past epoch 0 by more than the slack */
  cnt = 8;
  sof_leaders_t *e2 = epoch_tbl(b58_b, 16, &cnt, err, sizeof err);
  SOF_CHECK_EQ(sof_leaders_epoch_install(l, e2, 2, 16, 8, 0, 4000, err, sizeof err), 0);
  SOF_CHECK_EQ(sof_leaders_epoch_expire(l, 9, 2, 5000), 0); /* 9 - 7 = 2: not past the slack */
  SOF_CHECK_EQ(sof_leaders_epoch_expire(l, 10, 2, 5000), 1);
  SOF_CHECK(sof_leaders_get(l, 3) == NULL);                   /* epoch 0 gone */
  SOF_CHECK(sof_leaders_get(l, 9) != NULL);
  SOF_CHECK(sof_leaders_get(l, 20) && !memcmp(sof_leaders_get(l, 20), key_b, 32));
  SOF_CHECK_EQ(sof_leaders_epochs(l, info, SOF_LEADERS_EPOCHS_MAX), 2);
  SOF_CHECK_EQ(info[0].epoch, 1);
  SOF_CHECK_EQ(info[1].epoch, 2);
  /* grace: nothing retired before 5000 + 100 is freed at 5050 */
  unsigned waiting = sof_leaders_epoch_retired(l);
  SOF_CHECK_EQ(waiting, 4);
  SOF_CHECK_EQ(sof_leaders_epoch_reclaim(l, 1050, 100), 0); /* the first retired at 2000 */
  SOF_CHECK_EQ(sof_leaders_epoch_reclaim(l, 2100, 100), 1);
  SOF_CHECK_EQ(sof_leaders_epoch_reclaim(l, 5050, 100), 2); /* retired at 3000 and 4000 */
  SOF_CHECK_EQ(sof_leaders_epoch_retired(l), 1);
  SOF_CHECK(sof_leaders_get(l, 9) != NULL); /* published tables survive reclaims */
  SOF_CHECK_EQ(sof_leaders_epoch_drop(l, 8, 6000), 1);
  SOF_CHECK_EQ(sof_leaders_epoch_drop(l, 8, 6000), 0);
  SOF_CHECK(sof_leaders_get(l, 9) == NULL);
  /* a bounded number of sets waits: past it a change is refused, nothing freed early */
  unsigned ok = 0, refused = 0;
  for (unsigned i = 0; i < SOF_LEADERS_RETIRED_MAX + 4; i++) {
    cnt = 8;
    sof_leaders_t *t = epoch_tbl(b58_a, 16, &cnt, err, sizeof err);
    if (sof_leaders_epoch_install(l, t, 2, 16, 8, 0, 7000, err, sizeof err) == 0) ok++;
    else refused++;
  }
  SOF_CHECK_EQ(sof_leaders_epoch_retired(l), SOF_LEADERS_RETIRED_MAX);
  SOF_CHECK(refused > 0 && strstr(err, "grace period") != NULL);
  SOF_CHECK(sof_leaders_get(l, 16) && !memcmp(sof_leaders_get(l, 16), key_a, 32));
  SOF_CHECK_EQ(sof_leaders_epoch_reclaim(l, 7000 + 100, 100), SOF_LEADERS_RETIRED_MAX);
  SOF_CHECK(ok > 0);
  sof_leaders_delete(l); /* frees the published set and its tables (ASan: no leak) */
}

/* Readers on another thread while the writer installs and drops epochs:
 * every lookup sees a whole epoch table (its leader is the one the epoch's
 * schedule names), never a torn one. */
typedef struct {
  sof_leaders_t *l;
  atomic_int     stop;
  uint64_t       lookups, bad;
} rd_t;

static void *
reader_main(void *arg) {
  rd_t *r = arg;
  sof_leaders_reader_online(r->l, 3);
  while (!atomic_load(&r->stop)) {
    sof_leaders_quiescent(r->l, 3);
    for (uint64_t s = 0; s < 64; s++) {
      uint8_t const *k = sof_leaders_get(r->l, s);
      r->lookups++;
      /* even epochs (first slot / 8) are led by key_a, odd ones by key_b */
      if (k && memcmp(k, ((s / 8) & 1) ? key_b : key_a, 32)) r->bad++;
    }
  }
  sof_leaders_reader_offline(r->l, 3);
  return NULL;
}

static void
test_epochs_concurrent(void) {
  char err[512];
  rd_t r = {.l = sof_leaders_new(16, 2)};
  pthread_t th;
  SOF_CHECK_EQ(pthread_create(&th, NULL, reader_main, &r), 0);
  uint64_t now = 0, installs = 0, freed = 0;
  for (unsigned round = 0; round < 4000; round++) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t e = round % 8, cnt = 8;
    sof_leaders_t *t = epoch_tbl((e & 1) ? b58_b : b58_a, e * 8, &cnt, err, sizeof err);
    now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
    installs += sof_leaders_epoch_install(r.l, t, e, e * 8, 8, 0, now, err, sizeof err) == 0;
    if (round % 8 == 7) sof_leaders_epoch_expire(r.l, e * 8 + 8 + 17, 16, now); /* drops some */
    /* no grace time: only the reader's quiescent reports keep its set alive */
    freed += sof_leaders_epoch_reclaim(r.l, now, 0);
    usleep(20);
  }
  atomic_store(&r.stop, 1);
  pthread_join(th, NULL);
  SOF_CHECK(installs > 1000);
  SOF_CHECK(freed > 1000);
  SOF_CHECK(r.lookups > 0);
  SOF_CHECK_EQ(r.bad, 0);
  sof_leaders_delete(r.l);
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
  test_epochs();
  test_epochs_concurrent();
  return sof_test_done("test_leaders");
}
