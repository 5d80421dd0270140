/* slotlog driven through its descriptor: the exact lines of slot_status,
 * reorg (lists capped, full counts kept), recent_blockhash and
 * leader_schedule events; the events key selecting among them; config
 * refusals. */
#include "plugin_test.h"

extern sof_plugin_t const sof_plugin_slotlog;

static sof_plugin_t const *const P = &sof_plugin_slotlog;

#define U SOF_SLOT_UNKNOWN

static void
feed_all(void *st) {
  sof_ev_slot_status_t s1 = { .slot = 1000, .parent = 999, .prev_status = SOF_SLOT_NONE,
                              .status = SOF_SLOT_PROCESSED, .marks = { 1000, U, U } };
  sof_ev_slot_status_t s2 = { .slot = 968, .parent = U, .prev_status = SOF_SLOT_PROCESSED,
                              .status = SOF_SLOT_CONFIRMED, .marks = { 1000, 968, 850 } };
  sof_ev_slot_status_t s3 = { .slot = 1001, .parent = 1000, .prev_status = SOF_SLOT_PROCESSED,
                              .status = SOF_SLOT_ORPHANED, .marks = { 1002, 969, 851 } };
  sof_ev_reorg_t r;
  memset(&r, 0, sizeof r);
  r.old_tip = 1001;
  r.new_tip = 1003;
  r.common_ancestor = 1000;
  r.detached_cnt = r.detached_len = 1;
  r.detached[0] = 1001;
  r.attached_cnt = r.attached_len = 2;
  r.attached[0] = 1002;
  r.attached[1] = 1003;
  r.marks = (sof_ev_marks_t){ 1003, 970, 852 };
  sof_ev_recent_blockhash_t bh = { .slot = 1003, .dataset_txn_cnt = 42 };
  sof_base58_decode_32(K_BH, strlen(K_BH), bh.blockhash);
  sof_ev_leader_schedule_t ls;
  memset(&ls, 0, sizeof ls);
  ls.kind = SOF_LEADER_EV_SNAPSHOT;
  ls.first_slot = 1000;
  ls.leader_cnt = 3;
  ls.schedule_slots = 432000;
  sof_base58_decode_32(K_LEADER, strlen(K_LEADER), ls.leaders[0]);
  sof_base58_decode_32(K_PAYER, strlen(K_PAYER), ls.leaders[2]); /* [1]: unknown */
  P->on_slot_status(st, &s1);
  P->on_slot_status(st, &s2);
  P->on_slot_status(st, &s3);
  P->on_reorg(st, &r);
  P->on_recent_blockhash(st, &bh);
  P->on_leader_schedule(st, &ls);
  sof_ev_cluster_topology_t ct = { .added = 21, .removed = 2, .total = 19 };
  P->on_cluster_topology(st, &ct);
  static sof_ev_gossip_vote_t gv;
  memset(&gv, 0, sizeof gv);
  sof_base58_decode_32(K_LEADER, strlen(K_LEADER), gv.from);
  sof_base58_decode_32(K_PAYER, strlen(K_PAYER), gv.vote_account);
  gv.has_vote = 1;
  gv.index = 3;
  gv.slot = 1003;
  gv.wallclock = 1700000000123ULL;
  gv.txn_sz = 250;
  P->on_gossip_vote(st, &gv);
  gv.has_vote = 0; /* no vote instruction decoded: nulls */
  gv.vote_account[0] ^= 1;
  P->on_gossip_vote(st, &gv);
}

#define L_S1 "{\"type\":\"slot_status\",\"slot\":1000,\"parent\":999,\"previousStatus\":\"none\"," \
             "\"status\":\"processed\",\"tip\":1000,\"confirmed\":null,\"finalized\":null}\n"
#define L_S2 "{\"type\":\"slot_status\",\"slot\":968,\"parent\":null,"                          \
             "\"previousStatus\":\"processed\",\"status\":\"confirmed\",\"tip\":1000,"           \
             "\"confirmed\":968,\"finalized\":850}\n"
#define L_S3 "{\"type\":\"slot_status\",\"slot\":1001,\"parent\":1000,"                         \
             "\"previousStatus\":\"processed\",\"status\":\"orphaned\",\"tip\":1002,"            \
             "\"confirmed\":969,\"finalized\":851}\n"
#define L_R  "{\"type\":\"reorg\",\"oldTip\":1001,\"newTip\":1003,\"commonAncestor\":1000,"     \
             "\"detached\":[1001],\"attached\":[1002,1003],\"detachedCount\":1,"                 \
             "\"attachedCount\":2,\"tip\":1003,\"confirmed\":970,\"finalized\":852}\n"
#define L_BH "{\"type\":\"recent_blockhash\",\"slot\":1003,\"blockhash\":\"" K_BH "\","          \
             "\"txCount\":42}\n"
#define L_LS "{\"type\":\"leader_schedule\",\"kind\":\"snapshot\",\"firstSlot\":1000,"           \
             "\"scheduleSlots\":432000,\"leaders\":[\"" K_LEADER "\",null,\"" K_PAYER "\"]}\n"
#define L_CT "{\"type\":\"cluster_topology\",\"added\":21,\"removed\":2,\"total\":19}\n"
#define L_GV "{\"type\":\"gossip_vote\",\"from\":\"" K_LEADER "\",\"index\":3,\"wallclock\":1700000000123," \
             "\"signature\":\"1111111111111111111111111111111111111111111111111111111111111111\","       \
             "\"voteAccount\":\"" K_PAYER "\",\"slot\":1003,\"txnSize\":250}\n"
#define L_GV0 "{\"type\":\"gossip_vote\",\"from\":\"" K_LEADER "\",\"index\":3,\"wallclock\":1700000000123," \
              "\"signature\":\"1111111111111111111111111111111111111111111111111111111111111111\","      \
              "\"voteAccount\":null,\"slot\":null,\"txnSize\":250}\n"

/* slotlog with [plugin.slotlog] events = events, fed every event: the file
 * it wrote at path (the caller frees it), NULL when setup failed. */
static char *
events_output(char const *path, char const *events) {
  fake_env_t f;
  truncate(path, 0); /* sinks append */
  fake_init(&f, "slotlog", 1000000000U, "path", path, "events", events, NULL);
  void *st = SETUP_OK(P, &f);
  if (!st) return NULL;
  feed_all(st);
  P->shutdown(st);
  return read_file(path);
}

static void
test_lines(void) {
  SOF_CHECK_STR(P->name, "slotlog");
  SOF_CHECK_EQ(P->hooks, SOF_HOOK_BIT(SLOT_STATUS) | SOF_HOOK_BIT(REORG) |
                         SOF_HOOK_BIT(RECENT_BLOCKHASH) | SOF_HOOK_BIT(LEADER_SCHEDULE) |
                         SOF_HOOK_BIT(CLUSTER_TOPOLOGY) | SOF_HOOK_BIT(GOSSIP_VOTE));
  char path[256];
  tmp_path(path, sizeof path, "slotlog");
  fake_env_t f;
  truncate(path, 0); /* sinks append */
  fake_init(&f, "slotlog", 1000000000U, "path", path, NULL);
  void *st = SETUP_OK(P, &f);
  if (!st) return;
  SOF_CHECK_EQ(f.pf_calls, 0);
  feed_all(st);
  P->shutdown(st);
  char *out = read_file(path);
  SOF_CHECK_STR(out, L_S1 L_S2 L_S3 L_R L_BH L_LS L_CT); /* gossip votes only when named */
  free(out);

  out = events_output(path, "gossip_vote,cluster_topology");
  if (!out) return;
  SOF_CHECK_STR(out, L_CT L_GV L_GV0);
  free(out);

  /* events: a subset, blanks around names */
  out = events_output(path, " reorg ,recent_blockhash");
  if (!out) return;
  SOF_CHECK_STR(out, L_R L_BH);
  free(out);

  out = events_output(path, "cluster_topology");
  if (!out) return;
  SOF_CHECK_STR(out, L_CT);
  free(out);

  out = events_output(path, "slot_status");
  if (!out) return;
  SOF_CHECK_STR(out, L_S1 L_S2 L_S3);
  free(out);
  unlink(path);
}

/* A reorg longer than the lists: the lists hold what the event holds, the
 * counts are the full ones; an unknown ancestor is null; current-leader
 * kind. */
static void
test_long_reorg(void) {
  char path[256];
  tmp_path(path, sizeof path, "slotlog");
  fake_env_t f;
  truncate(path, 0); /* sinks append */
  fake_init(&f, "slotlog", 1000000000U, "path", path, NULL);
  void *st = SETUP_OK(P, &f);
  if (!st) return;
  sof_ev_reorg_t r;
  memset(&r, 0, sizeof r);
  r.old_tip = 5000;
  r.new_tip = 5100;
  r.common_ancestor = U;
  r.detached_cnt = 300;
  r.detached_len = SOF_EV_REORG_LIST_MAX;
  for (unsigned i = 0; i < SOF_EV_REORG_LIST_MAX; i++) r.detached[i] = 5000 - i;
  r.attached_cnt = 100;
  r.attached_len = SOF_EV_REORG_LIST_MAX;
  for (unsigned i = 0; i < SOF_EV_REORG_LIST_MAX; i++)
    r.attached[i] = 5100 - SOF_EV_REORG_LIST_MAX + 1 + i;
  r.marks = (sof_ev_marks_t){ 5100, U, U };
  P->on_reorg(st, &r);
  sof_ev_leader_schedule_t ls;
  memset(&ls, 0, sizeof ls);
  ls.kind = SOF_LEADER_EV_CURRENT;
  ls.first_slot = 5100;
  ls.leader_cnt = 1;
  sof_base58_decode_32(K_LEADER, strlen(K_LEADER), ls.leaders[0]);
  P->on_leader_schedule(st, &ls);
  P->shutdown(st);

  char want[4096];
  size_t off = (size_t)snprintf(want, sizeof want,
      "{\"type\":\"reorg\",\"oldTip\":5000,\"newTip\":5100,\"commonAncestor\":null,\"detached\":[");
  for (unsigned i = 0; i < SOF_EV_REORG_LIST_MAX; i++)
    off += (size_t)snprintf(want + off, sizeof want - off, "%s%u", i ? "," : "", 5000 - i);
  off += (size_t)snprintf(want + off, sizeof want - off, "],\"attached\":[");
  for (unsigned i = 0; i < SOF_EV_REORG_LIST_MAX; i++)
    off += (size_t)snprintf(want + off, sizeof want - off, "%s%u", i ? "," : "",
                            5100 - SOF_EV_REORG_LIST_MAX + 1 + i);
  snprintf(want + off, sizeof want - off,
           "],\"detachedCount\":300,\"attachedCount\":100,\"tip\":5100,\"confirmed\":null,"
           "\"finalized\":null}\n"
           "{\"type\":\"leader_schedule\",\"kind\":\"current\",\"firstSlot\":5100,"
           "\"scheduleSlots\":0,\"leaders\":[\"" K_LEADER "\"]}\n");
  char *out = read_file(path);
  SOF_CHECK_STR(out, want);
  free(out);
  unlink(path);
}

static void
test_config_errors(void) {
  SETUP_ERR(P, "unknown key 'event' (keys: path, flush_ms, queue_bytes, events)", "event", "reorg");
  SETUP_ERR(P, "events: item 2 ('slots') is not one of slot_status, reorg, recent_blockhash, "
               "leader_schedule, cluster_topology", "events", "reorg,slots");
  SETUP_ERR(P, "events: item 2 ('') is not one of", "events", "reorg,");
  SETUP_ERR(P, "flush_ms: '-1' is not a decimal number", "flush_ms", "-1");
  SETUP_ERR(P, "path: cannot open '/nonexistent-dir/s.log'", "path", "/nonexistent-dir/s.log");
}

int
main(void) {
  test_lines();
  test_long_reorg();
  test_config_errors();
  return sof_test_done("test_slotlog");
}
