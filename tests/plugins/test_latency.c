/* latency: percentiles, min / mean / max of known inputs (exact below 16
 * ns, bucket upper bounds above, capped at the maximum); unknown and
 * negative origins; the TSC to ns conversion; the bucket error bound over
 * many magnitudes; the render text and the shutdown line; the hooks on
 * live TSC readings; config refusals. */
#include "plugin_test.h"

#include "latency/latency.h"

static sof_plugin_t const *const P = &sof_plugin_latency;

#define HIST(c, u, ng, mn, me, p50, p90, p99, p999, mx)                                       \
  "{\"count\":" #c ",\"unknown\":" #u ",\"negative\":" #ng ",\"min\":" #mn ",\"mean\":" #me    \
  ",\"p50\":" #p50 ",\"p90\":" #p90 ",\"p99\":" #p99 ",\"p999\":" #p999 ",\"max\":" #mx "}"
#define EMPTY HIST(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

static void *
new_state(uint64_t hz, char const *path) {
  fake_env_t f;
  truncate(path, 0); /* sinks append */
  fake_init(&f, "latency", hz, "path", path, NULL);
  return SETUP_OK(P, &f);
}

static void
rec(void *st, int hook, uint64_t now, uint64_t rx, uint64_t first) {
  sof_ev_time_t t = { rx, first };
  sof_plugin_latency_record(st, hook, now, &t);
}

/* 0..9 ns (exact buckets) on transaction; origin unknown for first shred. */
static void
test_small_exact(void) {
  char path[256];
  tmp_path(path, sizeof path, "latency");
  void *st = new_state(1000000000U, path);
  if (!st) return;
  for (uint64_t v = 0; v < 10; v++) rec(st, SOF_HOOK_TRANSACTION, 1000 + v, 1000, 0);
  rec(st, SOF_HOOK_REORG, 5000, 1000, 1000); /* not measured */
  char const *want =
      "{\"unit\":\"ns\",\"tscHz\":1000000000,\"hooks\":{"
      "\"shred\":{\"fromRx\":" EMPTY ",\"fromFirstShred\":" EMPTY "},"
      "\"dataset\":{\"fromRx\":" EMPTY ",\"fromFirstShred\":" EMPTY "},"
      "\"transaction\":{\"fromRx\":" HIST(10, 0, 0, 0, 4, 4, 8, 9, 9, 9) ","
      "\"fromFirstShred\":" HIST(0, 10, 0, 0, 0, 0, 0, 0, 0, 0) "}}}";
  char buf[4096];
  int n = sof_plugin_latency_render(st, buf, sizeof buf);
  SOF_CHECK_STR(buf, want);
  SOF_CHECK_EQ(n, strlen(want));
  char small[100];
  SOF_CHECK_EQ(sof_plugin_latency_render(st, small, sizeof small), -1);
  SOF_CHECK_STR(small, "");
  P->shutdown(st);
  char *out = read_file(path);
  char line[4096];
  snprintf(line, sizeof line, "{\"type\":\"latency\",%s\n", want + 1);
  SOF_CHECK_STR(out, line);
  free(out);
  unlink(path);
}

/* 1..100 ns on shred: p50 = 51 (50 lies in [50, 51]), p90 = 91 ([88, 91]),
 * p99 = 99 ([96, 99]), max 100, mean 50; from the first shred all 1 ms:
 * every percentile capped at the exact maximum. Origins after now are
 * negative. */
static void
test_buckets(void) {
  void *st = new_state(1000000000U, "/dev/null");
  if (!st) return;
  uint64_t now = 1ULL << 40;
  for (uint64_t v = 1; v <= 100; v++) rec(st, SOF_HOOK_SHRED, now, now - v, now - 1000000);
  rec(st, SOF_HOOK_SHRED, now, now + 1, now + 5);
  char buf[4096];
  SOF_CHECK(sof_plugin_latency_render(st, buf, sizeof buf) > 0);
  SOF_CHECK(strstr(buf, "\"shred\":{\"fromRx\":" HIST(100, 0, 1, 1, 50, 51, 91, 99, 100, 100)
                        ",\"fromFirstShred\":" HIST(100, 0, 1, 1000000, 1000000, 1000000,
                                                    1000000, 1000000, 1000000, 1000000) "}") != NULL);
  P->shutdown(st);
}

/* The tail: 1..1999 ns and one 100 us outlier on transaction. p99 is the
 * 1980th value (bucket [1920, 1983]), p99.9 the 1998th ([1984, 2047]),
 * both below the outlier that sets max; mean (1999000 + 100000) / 2000. */
static void
test_tail(void) {
  void *st = new_state(1000000000U, "/dev/null");
  if (!st) return;
  uint64_t now = 1ULL << 40;
  for (uint64_t v = 1; v <= 1999; v++) rec(st, SOF_HOOK_TRANSACTION, now, now - v, 0);
  rec(st, SOF_HOOK_TRANSACTION, now, now - 100000, 0);
  char buf[4096];
  SOF_CHECK(sof_plugin_latency_render(st, buf, sizeof buf) > 0);
  SOF_CHECK(strstr(buf, "\"transaction\":{\"fromRx\":" HIST(2000, 0, 0, 1, 1049, 1023, 1855, 1983, 2047,
                                                               100000)) != NULL);
  P->shutdown(st);
}

/* tsc_hz 2 GHz: 2000 cycles are 1000 ns, 3 cycles 1 ns. */
static void
test_conversion(void) {
  void *st = new_state(2000000000U, "/dev/null");
  if (!st) return;
  rec(st, SOF_HOOK_DATASET, 10000, 8000, 9997);
  char buf[4096];
  SOF_CHECK(sof_plugin_latency_render(st, buf, sizeof buf) > 0);
  SOF_CHECK(strstr(buf, "\"dataset\":{\"fromRx\":" HIST(1, 0, 0, 1000, 1000, 1000, 1000, 1000, 1000, 1000)
                        ",\"fromFirstShred\":" HIST(1, 0, 0, 1, 1, 1, 1, 1, 1, 1) "}") != NULL);
  P->shutdown(st);

  /* 3 GHz: 3e9 cycles are 1 s (within 1 ns). */
  st = new_state(3000000000U, "/dev/null");
  if (!st) return;
  rec(st, SOF_HOOK_DATASET, 3000000001ULL, 1, 0);
  SOF_CHECK(sof_plugin_latency_render(st, buf, sizeof buf) > 0);
  char const *mx = strstr(buf, "\"dataset\":{\"fromRx\":");
  unsigned long long max = 0;
  SOF_CHECK(mx && (mx = strstr(mx, "\"max\":")) && sscanf(mx, "\"max\":%llu", &max) == 1);
  SOF_CHECK(max >= 999999999ULL && max <= 1000000000ULL);
  P->shutdown(st);
}

/* p50 of {v, a much larger value} is the upper bound of v's bucket:
 * v itself below 16, else within v * 17/16. */
static void
test_error_bound(void) {
  sof_test_check_cnt++;
  int bad = 0;
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (unsigned i = 0; i < 400 && !bad; i++) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    uint64_t v = i < 40 ? i : (x >> (i % 40 + 4)) % (1ULL << 40);
    void *st = new_state(1000000000U, "/dev/null");
    if (!st) return;
    uint64_t now = 1ULL << 62;
    rec(st, SOF_HOOK_TRANSACTION, now, now - v, 0);
    rec(st, SOF_HOOK_TRANSACTION, now, now - (v * 4 + 1000), 0);
    char buf[4096];
    sof_plugin_latency_render(st, buf, sizeof buf);
    char const *p = strstr(buf, "\"transaction\":{\"fromRx\":");
    unsigned long long p50 = 0;
    if (!p || !(p = strstr(p, "\"p50\":")) || sscanf(p, "\"p50\":%llu", &p50) != 1) bad = 1;
    else if (v < 16 ? p50 != v : (p50 < v || p50 > v + v / 16)) bad = 1;
    if (bad) fprintf(stderr, "v %llu: p50 %llu\n", (unsigned long long)v, p50);
    P->shutdown(st);
  }
  if (bad) {
    sof_test_fail_cnt++;
    fprintf(stderr, "%s:%d: FAIL: bucket upper bound outside [v, v + v/16]\n", __FILE__, __LINE__);
  }
}

/* The hooks read the TSC themselves: an event received 1 ms (of the
 * declared clock) ago measures at least 1 ms. */
static void
test_hooks(void) {
  SOF_CHECK_STR(P->name, "latency");
  SOF_CHECK_EQ(P->hooks, SOF_HOOK_BIT(SHRED) | SOF_HOOK_BIT(DATASET) | SOF_HOOK_BIT(TRANSACTION));
  if (!sof_plugin_tsc()) return; /* no TSC on this machine */
  void *st = new_state(1000000000U, "/dev/null");
  if (!st) return;
  uint64_t t = sof_plugin_tsc() - 1000000;
  sof_shred_t s;
  memset(&s, 0, sizeof s);
  sof_ev_shred_t es = { .shred = &s, .time = { t, t } };
  sof_ev_dataset_t ed = { .slot = 1, .time = { t, 0 } };
  sof_ev_txn_t et = { .slot = 1, .time = { t, t } };
  P->on_shred(st, &es);
  P->on_dataset(st, &ed);
  P->on_transaction(st, &et);
  char buf[4096];
  SOF_CHECK(sof_plugin_latency_render(st, buf, sizeof buf) > 0);
  char const *hooks[] = { "\"shred\":{\"fromRx\":", "\"dataset\":{\"fromRx\":",
                          "\"transaction\":{\"fromRx\":" };
  for (unsigned i = 0; i < 3; i++) {
    char const *p = strstr(buf, hooks[i]);
    unsigned long long cnt = 0, p50 = 0;
    SOF_CHECK(p && sscanf(p + strlen(hooks[i]), "{\"count\":%llu", &cnt) == 1);
    SOF_CHECK_EQ(cnt, 1);
    SOF_CHECK(p && (p = strstr(p, "\"p50\":")) && sscanf(p, "\"p50\":%llu", &p50) == 1);
    SOF_CHECK(p50 >= 1000000ULL && p50 < 60000000000ULL);
  }
  SOF_CHECK(strstr(buf, "\"dataset\":{\"fromRx\":{\"count\":1,") != NULL);
  SOF_CHECK(strstr(buf, "\"fromFirstShred\":{\"count\":0,\"unknown\":1,") != NULL);
  P->shutdown(st);
}

static void
test_config_errors(void) {
  SETUP_ERR(P, "unknown key 'hooks' (keys: path)", "hooks", "shred");
  SETUP_ERR(P, "path: cannot open", "path", "/nonexistent-dir/l.json");
  fake_env_t f;
  fake_init(&f, "latency", 0, NULL);
  char err[256] = "";
  void *st = NULL;
  SOF_CHECK_EQ(P->setup(&f.env, &st, err, sizeof err), -1);
  SOF_CHECK_STR(err, "the host gives no TSC frequency: nothing to measure with");
}

int
main(void) {
  test_small_exact();
  test_buckets();
  test_tail();
  test_conversion();
  test_error_bound();
  test_hooks();
  test_config_errors();
  return sof_test_done("test_latency");
}
