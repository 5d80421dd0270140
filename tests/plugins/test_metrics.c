/* metrics driven through its descriptor: counts of packets, bytes,
 * shreds, datasets and transactions by kind; the by-port table (top N by
 * packets, ties by port, the rest as "other"); the rate over the run from
 * the packets' RX times; the render function (exact text, too-small
 * buffer) and the shutdown line; config refusals. */
#include "plugin_test.h"

#include "metrics/metrics.h"

static sof_plugin_t const *const P = &sof_plugin_metrics;

#define HZ 1000000000ULL

static void
packet(void *st, uint16_t port, uint32_t sz, uint64_t tsc) {
  static uint8_t payload[1232];
  sof_ev_raw_packet_t ev = { .src_ip = 0x0a000001, .src_port = port, .dst_port = 8002,
                             .payload = payload, .sz = sz, .time = { tsc, tsc } };
  P->on_raw_packet(st, &ev);
}

static void
shred(void *st, int is_data) {
  sof_shred_t s;
  memset(&s, 0, sizeof s);
  s.is_data = (uint8_t)is_data;
  sof_ev_shred_t ev = { .src_port = 8001, .shred = &s };
  P->on_shred(st, &ev);
}

/* The counts fed by feed(). */
#define FIELDS_COUNTS                                                                        \
  "\"packets\":32,\"bytes\":2097152,\"shreds\":5,\"dataShreds\":3,\"codeShreds\":2,"         \
  "\"datasets\":2,\"datasetPayloadBytes\":15000,\"recoveredShreds\":3,"                      \
  "\"lastInSlotDatasets\":1,\"transactions\":6,"                                             \
  "\"transactionsByKind\":{\"non_vote\":3,\"vote_only\":2,\"mixed\":1},"

/* 32 packets of 65536 bytes (2 MiB) over exactly one second of RX time:
 * port 8001 x 6, 9000 x 4, 7000 x 4 (ties with 9000: lower port first),
 * 20 ports 10000.. x 1 (well, 18: 6 + 4 + 4 + 18 = 32). */
static void
feed(void *st) {
  uint64_t t0 = 5 * HZ;
  unsigned i = 0;
  for (unsigned k = 0; k < 6; k++, i++) packet(st, 8001, 65536, t0 + i * (HZ / 31));
  for (unsigned k = 0; k < 4; k++, i++) packet(st, 9000, 65536, t0 + i * (HZ / 31));
  for (unsigned k = 0; k < 4; k++, i++) packet(st, 7000, 65536, t0 + i * (HZ / 31));
  for (unsigned k = 0; k < 17; k++, i++) packet(st, (uint16_t)(10000 + k), 65536, t0 + i * (HZ / 31));
  packet(st, 65535, 65536, t0 + HZ); /* the last, 1 s after the first */
  for (int k = 0; k < 3; k++) shred(st, 1);
  for (int k = 0; k < 2; k++) shred(st, 0);
  sof_ev_dataset_t d1 = { .slot = 7, .payload_sz = 10000, .recovered_cnt = 3 };
  sof_ev_dataset_t d2 = { .slot = 7, .payload_sz = 5000, .last_in_slot = 1 };
  P->on_dataset(st, &d1);
  P->on_dataset(st, &d2);
  int kinds[] = { SOF_TXN_KIND_NON_VOTE, SOF_TXN_KIND_VOTE_ONLY, SOF_TXN_KIND_NON_VOTE,
                  SOF_TXN_KIND_MIXED, SOF_TXN_KIND_VOTE_ONLY, SOF_TXN_KIND_NON_VOTE };
  for (unsigned k = 0; k < 6; k++) {
    sof_ev_txn_t ev = { .slot = 7, .kind = kinds[k] };
    P->on_transaction(st, &ev);
  }
}

static void
test_counts(void) {
  SOF_CHECK_STR(P->name, "metrics");
  SOF_CHECK_EQ(P->hooks, SOF_HOOK_BIT(RAW_PACKET) | SOF_HOOK_BIT(SHRED) | SOF_HOOK_BIT(DATASET) |
                         SOF_HOOK_BIT(TRANSACTION));
  char path[256];
  tmp_path(path, sizeof path, "metrics");
  fake_env_t f;
  truncate(path, 0); /* sinks append */
  fake_init(&f, "metrics", HZ, "path", path, "top_ports", "3", NULL);
  void *st = SETUP_OK(P, &f);
  if (!st) return;

  /* nothing yet */
  char buf[4096];
  int n = sof_plugin_metrics_render(st, buf, sizeof buf);
  SOF_CHECK_STR(buf, "{\"packets\":0,\"bytes\":0,\"shreds\":0,\"dataShreds\":0,\"codeShreds\":0,"
                     "\"datasets\":0,\"datasetPayloadBytes\":0,\"recoveredShreds\":0,"
                     "\"lastInSlotDatasets\":0,\"transactions\":0,"
                     "\"transactionsByKind\":{\"non_vote\":0,\"vote_only\":0,\"mixed\":0},"
                     "\"sourcePorts\":0,\"packetsBySourcePort\":[{\"port\":\"other\","
                     "\"packets\":0}],\"seconds\":0.000,\"packetsPerSec\":0.000,"
                     "\"mibPerSec\":0.000}");
  SOF_CHECK_EQ(n, strlen(buf));

  feed(st);
  char const *want = "{" FIELDS_COUNTS
                     "\"sourcePorts\":21,\"packetsBySourcePort\":[{\"port\":8001,\"packets\":6},"
                     "{\"port\":7000,\"packets\":4},{\"port\":9000,\"packets\":4},"
                     "{\"port\":\"other\",\"packets\":18}],"
                     "\"seconds\":1.000,\"packetsPerSec\":32.000,\"mibPerSec\":2.000}";
  n = sof_plugin_metrics_render(st, buf, sizeof buf);
  SOF_CHECK_STR(buf, want);
  SOF_CHECK_EQ(n, strlen(want));

  /* too small: -1 and an empty string */
  char small[64];
  memset(small, 'x', sizeof small);
  SOF_CHECK_EQ(sof_plugin_metrics_render(st, small, sizeof small), -1);
  SOF_CHECK_STR(small, "");
  SOF_CHECK_EQ(sof_plugin_metrics_render(st, buf, strlen(want)), -1); /* no room for the NUL */
  SOF_CHECK_EQ(sof_plugin_metrics_render(st, buf, strlen(want) + 1), (int)strlen(want));

  P->shutdown(st);
  char *out = read_file(path);
  char line[4096];
  snprintf(line, sizeof line, "{\"type\":\"metrics\",%s\n", want + 1);
  SOF_CHECK_STR(out, line);
  free(out);
  unlink(path);
}

/* The default table size is 16 busiest ports; more ports than that go to
 * "other"; the summary goes to stderr by default. */
static void
test_default_top(void) {
  fake_env_t f;
  fake_init(&f, "metrics", HZ, NULL);
  void *st = SETUP_OK(P, &f);
  if (!st) return;
  /* port 100 + i gets 40 - i packets, i < 20 */
  for (unsigned i = 0; i < 20; i++)
    for (unsigned k = 0; k < 40 - i; k++) packet(st, (uint16_t)(100 + i), 100, 0);
  char buf[4096];
  SOF_CHECK(sof_plugin_metrics_render(st, buf, sizeof buf) > 0);
  char want[2048];
  size_t off = (size_t)snprintf(want, sizeof want, "\"sourcePorts\":20,\"packetsBySourcePort\":[");
  for (unsigned i = 0; i < 16; i++)
    off += (size_t)snprintf(want + off, sizeof want - off, "{\"port\":%u,\"packets\":%u},",
                            100 + i, 40 - i);
  /* the last 4: 24 + 23 + 22 + 21 */
  snprintf(want + off, sizeof want - off, "{\"port\":\"other\",\"packets\":90}]");
  SOF_CHECK(strstr(buf, want) != NULL);
  /* no RX times: the callback's clock dates the packets; the count is
   * still exact */
  SOF_CHECK(strstr(buf, "\"packets\":610,") == buf + 1);
  capture_t c;
  capture_begin(&c, stderr);
  P->shutdown(st);
  char *err = capture_end(&c);
  char const *head = "{\"type\":\"metrics\",\"packets\":610,";
  SOF_CHECK(!strncmp(err, head, strlen(head)));
  SOF_CHECK_EQ(count_char(err, '\n'), 1);
  free(err);
}

static void
test_config_errors(void) {
  SETUP_ERR(P, "unknown key 'ports' (keys: path, top_ports)", "ports", "4");
  SETUP_ERR(P, "top_ports: 0 is outside [1, 64]", "top_ports", "0");
  SETUP_ERR(P, "top_ports: 65 is outside [1, 64]", "top_ports", "65");
  SETUP_ERR(P, "top_ports: 'x' is not a decimal number", "top_ports", "x");
  SETUP_ERR(P, "top_ports: '' is not a decimal number", "top_ports", "");
  SETUP_ERR(P, "top_ports: '99999999999999999999' is not a decimal number", "top_ports",
            "99999999999999999999");
  SETUP_ERR(P, "path: cannot open", "path", "/nonexistent-dir/m.json");
}

int
main(void) {
  test_counts();
  test_default_top();
  test_config_errors();
  return sof_test_done("test_metrics");
}
