/* JSON-RPC responses for leader schedules (sof_rpc): the shapes Solana's
 * RPC sends (getEpochSchedule, getEpochInfo, getLeaderSchedule with a
 * schedule or null), error objects, wrong ids and versions, bad numbers,
 * and the EpochSchedule arithmetic (warmup and normal epochs) against
 * values computed by hand from Solana's epoch_schedule.rs. */
#include "sof_test.h"

#include <string.h>

#include "verify/sof_rpc.h"
#include "wire/sof_base58.h"

#define LEN(s) (sizeof(s) - 1)

static void
test_request(void) {
  char buf[256];
  SOF_CHECK(sof_rpc_request(buf, sizeof buf, 7, "getEpochInfo", NULL) > 0);
  SOF_CHECK(!strcmp(buf, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"getEpochInfo\"}"));
  SOF_CHECK(sof_rpc_request(buf, sizeof buf, 8, "getLeaderSchedule", "[864000]") > 0);
  SOF_CHECK(!strcmp(buf, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"getLeaderSchedule\",\"params\":[864000]}"));
  SOF_CHECK_EQ(sof_rpc_request(buf, 10, 8, "getLeaderSchedule", NULL), -1);
}

static void
test_schedule_info(void) {
  char err[256];
  /* mainnet-beta's answer */
  static char const sched[] = "{\"jsonrpc\":\"2.0\",\"result\":{\"firstNormalEpoch\":0,\"firstNormalSlot\":0,"
                              "\"leaderScheduleSlotOffset\":432000,\"slotsPerEpoch\":432000,\"warmup\":false},\"id\":1}";
  sof_rpc_epoch_schedule_t s;
  SOF_CHECK_EQ(sof_rpc_epoch_schedule_parse(sched, LEN(sched), 1, &s, err, sizeof err), 0);
  SOF_CHECK_EQ(s.slots_per_epoch, 432000);
  SOF_CHECK_EQ(s.leader_schedule_slot_offset, 432000);
  SOF_CHECK_EQ(s.warmup, 0);
  SOF_CHECK_EQ(sof_rpc_epoch_of_slot(&s, 250000000), 578);
  SOF_CHECK_EQ(sof_rpc_first_slot(&s, 578), 249696000);
  SOF_CHECK_EQ(sof_rpc_slots_in_epoch(&s, 578), 432000);
  /* the wrong id */
  SOF_CHECK_EQ(sof_rpc_epoch_schedule_parse(sched, LEN(sched), 2, &s, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "\"id\"") != NULL);
  /* an error object */
  static char const e[] = "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":\"Method not found\"},\"id\":1}";
  SOF_CHECK_EQ(sof_rpc_epoch_schedule_parse(e, LEN(e), 1, &s, err, sizeof err), -1);
  SOF_CHECK(!strcmp(err, "rpc error -32601: Method not found"));
  /* not 2.0, not JSON, a negative number, a missing field */
  static char const v1[] = "{\"jsonrpc\":\"1.0\",\"result\":{},\"id\":1}";
  SOF_CHECK_EQ(sof_rpc_epoch_schedule_parse(v1, LEN(v1), 1, &s, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "2.0") != NULL);
  SOF_CHECK_EQ(sof_rpc_epoch_schedule_parse("<html>", 6, 1, &s, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "not JSON") != NULL);
  static char const neg[] = "{\"jsonrpc\":\"2.0\",\"result\":{\"firstNormalEpoch\":0,\"firstNormalSlot\":0,"
                            "\"leaderScheduleSlotOffset\":8,\"slotsPerEpoch\":-8,\"warmup\":false},\"id\":1}";
  SOF_CHECK_EQ(sof_rpc_epoch_schedule_parse(neg, LEN(neg), 1, &s, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "slotsPerEpoch") != NULL);
  static char const zero[] = "{\"jsonrpc\":\"2.0\",\"result\":{\"firstNormalEpoch\":0,\"firstNormalSlot\":0,"
                             "\"leaderScheduleSlotOffset\":8,\"slotsPerEpoch\":0,\"warmup\":false},\"id\":1}";
  SOF_CHECK_EQ(sof_rpc_epoch_schedule_parse(zero, LEN(zero), 1, &s, err, sizeof err), -1);
  /* warmup (a test validator's default: 8192 slots per epoch, warmup on):
   * epochs of 32, 64, 128, ... slots up to firstNormalEpoch 8 at slot 8160 */
  static char const warm[] = "{\"jsonrpc\":\"2.0\",\"result\":{\"firstNormalEpoch\":8,\"firstNormalSlot\":8160,"
                             "\"leaderScheduleSlotOffset\":8192,\"slotsPerEpoch\":8192,\"warmup\":true},\"id\":3}";
  SOF_CHECK_EQ(sof_rpc_epoch_schedule_parse(warm, LEN(warm), 3, &s, err, sizeof err), 0);
  SOF_CHECK_EQ(s.warmup, 1);
  SOF_CHECK_EQ(sof_rpc_epoch_of_slot(&s, 0), 0);
  SOF_CHECK_EQ(sof_rpc_epoch_of_slot(&s, 31), 0);
  SOF_CHECK_EQ(sof_rpc_epoch_of_slot(&s, 32), 1);
  SOF_CHECK_EQ(sof_rpc_epoch_of_slot(&s, 95), 1);
  SOF_CHECK_EQ(sof_rpc_epoch_of_slot(&s, 96), 2);
  SOF_CHECK_EQ(sof_rpc_epoch_of_slot(&s, 8159), 7);
  SOF_CHECK_EQ(sof_rpc_epoch_of_slot(&s, 8160), 8);
  SOF_CHECK_EQ(sof_rpc_epoch_of_slot(&s, 8160 + 8192), 9);
  SOF_CHECK_EQ(sof_rpc_first_slot(&s, 2), 96);
  SOF_CHECK_EQ(sof_rpc_slots_in_epoch(&s, 2), 128);
  SOF_CHECK_EQ(sof_rpc_first_slot(&s, 8), 8160);
  SOF_CHECK_EQ(sof_rpc_first_slot(&s, 10), 8160 + 2 * 8192);
  SOF_CHECK_EQ(sof_rpc_slots_in_epoch(&s, 8), 8192);
  /* firstNormal* that Solana's EpochSchedule::custom would not derive
   * (found by fuzz_rpc: the arithmetic put slots in the wrong epoch) */
  static char const odd[] = "{\"jsonrpc\":\"2.0\",\"result\":{\"firstNormalEpoch\":6,\"firstNormalSlot\":8160,"
                            "\"leaderScheduleSlotOffset\":8192,\"slotsPerEpoch\":8192,\"warmup\":true},\"id\":3}";
  SOF_CHECK_EQ(sof_rpc_epoch_schedule_parse(odd, LEN(odd), 3, &s, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "inconsistent") && strstr(err, "expected 8 / 8160"));
  static char const nowarm[] = "{\"jsonrpc\":\"2.0\",\"result\":{\"firstNormalEpoch\":1,\"firstNormalSlot\":0,"
                               "\"leaderScheduleSlotOffset\":8,\"slotsPerEpoch\":8,\"warmup\":false},\"id\":3}";
  SOF_CHECK_EQ(sof_rpc_epoch_schedule_parse(nowarm, LEN(nowarm), 3, &s, err, sizeof err), -1);
  /* warmup with a short epoch: warmup epochs of 32 slots at least */
  static char const short_warm[] = "{\"jsonrpc\":\"2.0\",\"result\":{\"firstNormalEpoch\":0,\"firstNormalSlot\":0,"
                                   "\"leaderScheduleSlotOffset\":8,\"slotsPerEpoch\":8,\"warmup\":true},\"id\":3}";
  SOF_CHECK_EQ(sof_rpc_epoch_schedule_parse(short_warm, LEN(short_warm), 3, &s, err, sizeof err), 0);
  SOF_CHECK_EQ(sof_rpc_epoch_of_slot(&s, 17), 2);

  static char const info[] = "{\"jsonrpc\":\"2.0\",\"result\":{\"absoluteSlot\":166598,\"blockHeight\":166500,"
                             "\"epoch\":27,\"slotIndex\":2790,\"slotsInEpoch\":8192,\"transactionCount\":22661093},\"id\":1}";
  sof_rpc_epoch_info_t ei;
  SOF_CHECK_EQ(sof_rpc_epoch_info_parse(info, LEN(info), 1, &ei, err, sizeof err), 0);
  SOF_CHECK_EQ(ei.absolute_slot, 166598);
  SOF_CHECK_EQ(ei.epoch, 27);
  SOF_CHECK_EQ(ei.slot_index, 2790);
  SOF_CHECK_EQ(ei.slots_in_epoch, 8192);
  static char const badinfo[] = "{\"jsonrpc\":\"2.0\",\"result\":{\"absoluteSlot\":10,\"epoch\":1,"
                                "\"slotIndex\":9,\"slotsInEpoch\":8},\"id\":1}";
  SOF_CHECK_EQ(sof_rpc_epoch_info_parse(badinfo, LEN(badinfo), 1, &ei, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "inconsistent") != NULL);
}

static void
test_leader_schedule(void) {
  char err[256], body[512];
  uint8_t ka[32], kb[32];
  char a[SOF_BASE58_ENCODED_32_MAX], b[SOF_BASE58_ENCODED_32_MAX];
  for (int i = 0; i < 32; i++) {
    ka[i] = (uint8_t)(i + 1);
    kb[i] = (uint8_t)(0x80 + i);
  }
  sof_base58_encode_32(ka, a);
  sof_base58_encode_32(kb, b);
  snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"result\":{\"%s\":[0,1,2,3],\"%s\":[4,5,6,7]},\"id\":9}", a, b);
  sof_leaders_t *t = NULL;
  uint64_t named = 0;
  SOF_CHECK_EQ(sof_rpc_leader_schedule_parse(body, strlen(body), 9, 16, 8, &t, &named, err, sizeof err), 1);
  SOF_CHECK(t != NULL);
  SOF_CHECK_EQ(named, 8);
  SOF_CHECK(t && !memcmp(sof_leaders_get(t, 16), ka, 32));
  SOF_CHECK(t && !memcmp(sof_leaders_get(t, 23), kb, 32));
  SOF_CHECK(t && sof_leaders_get(t, 24) == NULL);
  sof_leaders_delete(t);
  /* an offset past the epoch's length */
  SOF_CHECK_EQ(sof_rpc_leader_schedule_parse(body, strlen(body), 9, 16, 6, &t, &named, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "outside the epoch") != NULL);
  /* null: not known yet */
  static char const nul[] = "{\"jsonrpc\":\"2.0\",\"result\":null,\"id\":4}";
  t = NULL;
  SOF_CHECK_EQ(sof_rpc_leader_schedule_parse(nul, LEN(nul), 4, 0, 8, &t, &named, err, sizeof err), 0);
  SOF_CHECK(t == NULL);
  /* an error (a slot in an epoch the node cannot compute) */
  static char const e[] = "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":\"Invalid slot\"},\"id\":4}";
  SOF_CHECK_EQ(sof_rpc_leader_schedule_parse(e, LEN(e), 4, 0, 8, &t, &named, err, sizeof err), -1);
  SOF_CHECK(!strcmp(err, "rpc error -32602: Invalid slot"));
  /* a bad key, two leaders for a slot, an array result */
  static char const badkey[] = "{\"jsonrpc\":\"2.0\",\"result\":{\"0OIl\":[0]},\"id\":4}";
  SOF_CHECK_EQ(sof_rpc_leader_schedule_parse(badkey, LEN(badkey), 4, 0, 8, &t, &named, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "not a base58 public key") != NULL);
  snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"result\":{\"%s\":[0,1],\"%s\":[1]},\"id\":4}", a, b);
  SOF_CHECK_EQ(sof_rpc_leader_schedule_parse(body, strlen(body), 4, 0, 8, &t, &named, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "two leaders") != NULL);
  static char const arr[] = "{\"jsonrpc\":\"2.0\",\"result\":[1,2],\"id\":4}";
  SOF_CHECK_EQ(sof_rpc_leader_schedule_parse(arr, LEN(arr), 4, 0, 8, &t, &named, err, sizeof err), -1);
}

static void
test_cluster_nodes(void) {
  char err[256];
  uint16_t v = 0;
  uint32_t agree = 0, nodes = 0;
  static char const ok[] =
      "{\"jsonrpc\":\"2.0\",\"result\":[{\"featureSet\":2891131721,\"gossip\":\"10.239.6.48:8001\","
      "\"pubkey\":\"9QzsJf7LPLj8GkXbYT3LFDKqsj2hHG7TA3xinJHu8epQ\",\"rpc\":\"10.239.6.48:8899\",\"shredVersion\":50093,"
      "\"tpu\":\"10.239.6.48:8856\",\"version\":\"1.18.0\"},{\"pubkey\":\"x\",\"shredVersion\":50093},"
      "{\"pubkey\":\"y\",\"shredVersion\":4},{\"pubkey\":\"z\",\"shredVersion\":null},{\"pubkey\":\"w\"}],\"id\":5}";
  SOF_CHECK_EQ(sof_rpc_cluster_shred_version_parse(ok, LEN(ok), 5, &v, &agree, &nodes, err, sizeof err), 0);
  SOF_CHECK_EQ(v, 50093);
  SOF_CHECK_EQ(agree, 2);
  SOF_CHECK_EQ(nodes, 3);
  static char const tie[] = "{\"jsonrpc\":\"2.0\",\"result\":[{\"shredVersion\":9},{\"shredVersion\":7}],\"id\":5}";
  SOF_CHECK_EQ(sof_rpc_cluster_shred_version_parse(tie, LEN(tie), 5, &v, &agree, &nodes, err, sizeof err), 0);
  SOF_CHECK_EQ(v, 7);
  static char const none[] = "{\"jsonrpc\":\"2.0\",\"result\":[{\"pubkey\":\"w\"}],\"id\":5}";
  SOF_CHECK_EQ(sof_rpc_cluster_shred_version_parse(none, LEN(none), 5, &v, &agree, &nodes, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "no node") != NULL);
  static char const big[] = "{\"jsonrpc\":\"2.0\",\"result\":[{\"shredVersion\":65536}],\"id\":5}";
  SOF_CHECK_EQ(sof_rpc_cluster_shred_version_parse(big, LEN(big), 5, &v, &agree, &nodes, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "0..65535") != NULL);
  static char const obj[] = "{\"jsonrpc\":\"2.0\",\"result\":{},\"id\":5}";
  SOF_CHECK_EQ(sof_rpc_cluster_shred_version_parse(obj, LEN(obj), 5, &v, &agree, &nodes, err, sizeof err), -1);
}

int
main(void) {
  test_request();
  test_schedule_info();
  test_leader_schedule();
  test_cluster_nodes();
  return sof_test_done("test_rpc");
}
