/* slotlog.c: the slot log plugin (descriptor sof_plugin_slotlog, name
 * "slotlog"). One JSON line per chain event, camelCase keys, base58
 * hashes and keys, null for an unknown slot:
 *
 *   {"type":"slot_status","slot":S,"parent":P,"previousStatus":"none",
 *    "status":"processed","tip":T,"confirmed":C,"finalized":F}
 *   (the two moments of a slot carry "event":"first_shred" or "complete"
 *   after "type", with the status unchanged)
 *   {"type":"reorg","oldTip":A,"newTip":B,"commonAncestor":X,
 *    "detached":[newest first],"attached":[ascending, ending at newTip],
 *    "detachedCount":N,"attachedCount":M,"tip":T,"confirmed":C,"finalized":F}
 *   {"type":"recent_blockhash","slot":S,"blockhash":"...","txCount":N}
 *   {"type":"gossip_vote","from":"...","index":I,"wallclock":MS,"signature":"...",
 *    "voteAccount":"..."|null,"slot":S|null,"txnSize":N} (events = ...,gossip_vote)
 *   {"type":"leader_schedule","kind":"snapshot","firstSlot":S,
 *    "scheduleSlots":N,"leaders":["...",null,...]}
 *
 * The reorg lists hold at most SOF_EV_REORG_LIST_MAX slots each; the
 * counts are the full ones. A leader that is not known (all-zero key) is
 * null. Statuses: processed, confirmed, finalized, orphaned (and none as a
 * previous status). Keys: path, flush_ms, events (docs/plugins.md). */
#include <stdlib.h>
#include <string.h>

#include "plugin/sof_plugin.h"
#include "util/sof_json.h"

#include "../common/sof_plugin_common.h"

#define SLOTLOG_LINE_MAX (8U << 10) /* a reorg: 2 x 64 slots of 20 digits */

/* The events, in the order of the events key's names. */
enum { EV_SLOT_STATUS, EV_REORG, EV_RECENT_BLOCKHASH, EV_LEADER_SCHEDULE, EV_CLUSTER_TOPOLOGY, EV_GOSSIP_VOTE,
       EV_CNT };
static char const *const slotlog_events[] = {
  "slot_status", "reorg", "recent_blockhash", "leader_schedule", "cluster_topology", "gossip_vote", NULL,
};

typedef struct slotlog {
  sof_plugout_t out;
  uint8_t       want[EV_CNT];
  sof_json_t    j;
  char          line[SLOTLOG_LINE_MAX];
} slotlog_t;

static char const *const slotlog_keys[] = { "path", "flush_ms", "queue_bytes", "events", NULL };

/* events: comma-separated names (blanks around them ignored), absent: all
 * but gossip_vote (thousands a second on mainnet: named to be logged). */
static int
parse_events(sof_plugin_env_t const *env, uint8_t want[EV_CNT], char *err, size_t err_sz) {
  int r = sof_pcfg_set(env, "events", slotlog_events, want, err, err_sz);
  if (r == 1) {
    memset(want, 1, EV_CNT);
    want[EV_GOSSIP_VOTE] = 0;
  }
  return r < 0 ? -1 : 0;
}

static int
slotlog_setup(sof_plugin_env_t *env, void **state, char *err, size_t err_sz) {
  slotlog_t *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, err_sz, "out of memory");
    return -1;
  }
  uint64_t flush_ms = 0, queue_bytes = 0;
  if (sof_pcfg_check_keys(env, slotlog_keys, NULL, err, err_sz) ||
      sof_pcfg_u64(env, "flush_ms", 1000, 0, 3600000, &flush_ms, err, err_sz) ||
      sof_pcfg_u64(env, "queue_bytes", 1U << 20, 64U << 10, 1ULL << 30, &queue_bytes, err,
                   err_sz) ||
      parse_events(env, s->want, err, err_sz) ||
      sof_plugout_open(&s->out, sof_pcfg_get(env, "path"), "stdout", (size_t)queue_bytes,
                       flush_ms, env->tsc_hz, err, err_sz)) {
    free(s);
    return -1;
  }
  sof_plugout_set_owner(&s->out, "slotlog");
  sof_json_init(&s->j, s->line, sizeof s->line);
  *state = s;
  return 0;
}

static void
slotlog_shutdown(void *state) {
  slotlog_t *s = state;
  sof_plugout_close(&s->out, "slotlog");
  free(s);
}

static void
slotlog_fields(void const *state, sof_json_t *j) {
  sof_plugout_json_fields(&((slotlog_t const *)state)->out, j);
}

/* sof_plugin_slotlog_render: the sink's counters as one JSON object (the
 * telemetry renderer). Any thread. */
int sof_plugin_slotlog_render(void *state, char *buf, size_t sz);
int
sof_plugin_slotlog_render(void *state, char *buf, size_t sz) {
  return sof_pjson_render(state, slotlog_fields, buf, sz);
}

static void
slotlog_on_slot_status(void *state, sof_ev_slot_status_t const *ev) {
  slotlog_t *s = state;
  if (!s->want[EV_SLOT_STATUS]) return;
  sof_json_obj_begin(&s->j);
  sof_pjson_slot_status(&s->j, ev);
  sof_json_obj_end(&s->j);
  sof_plugout_line(&s->out, &s->j);
}

static void
slotlog_on_reorg(void *state, sof_ev_reorg_t const *ev) {
  slotlog_t *s = state;
  if (!s->want[EV_REORG]) return;
  sof_json_obj_begin(&s->j);
  sof_pjson_reorg(&s->j, ev);
  sof_json_obj_end(&s->j);
  sof_plugout_line(&s->out, &s->j);
}

static void
slotlog_on_recent_blockhash(void *state, sof_ev_recent_blockhash_t const *ev) {
  slotlog_t *s = state;
  if (!s->want[EV_RECENT_BLOCKHASH]) return;
  sof_json_obj_begin(&s->j);
  sof_pjson_recent_blockhash(&s->j, ev);
  sof_json_obj_end(&s->j);
  sof_plugout_line(&s->out, &s->j);
}

static void
slotlog_on_leader_schedule(void *state, sof_ev_leader_schedule_t const *ev) {
  slotlog_t *s = state;
  if (!s->want[EV_LEADER_SCHEDULE]) return;
  sof_json_obj_begin(&s->j);
  sof_pjson_leader_schedule(&s->j, ev);
  sof_json_obj_end(&s->j);
  sof_plugout_line(&s->out, &s->j);
}

/* Gossip's node set changed (sofd with [gossip]): joins and leaves since
 * the last line and the nodes known now. */
static void
slotlog_on_cluster_topology(void *state, sof_ev_cluster_topology_t const *ev) {
  slotlog_t *s = state;
  if (!s->want[EV_CLUSTER_TOPOLOGY]) return;
  sof_json_t *j = &s->j;
  sof_json_obj_begin(j);
  sof_json_key(j, "type");    sof_json_str(j, "cluster_topology");
  sof_json_key(j, "added");   sof_json_u64(j, ev->added);
  sof_json_key(j, "removed"); sof_json_u64(j, ev->removed);
  sof_json_key(j, "total");   sof_json_u64(j, ev->total);
  sof_json_obj_end(j);
  sof_plugout_line(&s->out, j);
}

/* A vote seen in gossip (sofd with [gossip], events = ...,gossip_vote). */
static void
slotlog_on_gossip_vote(void *state, sof_ev_gossip_vote_t const *ev) {
  slotlog_t *s = state;
  if (!s->want[EV_GOSSIP_VOTE]) return;
  sof_json_t *j = &s->j;
  sof_json_obj_begin(j);
  sof_json_key(j, "type");        sof_json_str(j, "gossip_vote");
  sof_json_key(j, "from");        sof_json_b58_32(j, ev->from);
  sof_json_key(j, "index");       sof_json_u64(j, ev->index);
  sof_json_key(j, "wallclock");   sof_json_u64(j, ev->wallclock);
  sof_json_key(j, "signature");   sof_json_b58_64(j, ev->signature);
  sof_json_key(j, "voteAccount");
  if (ev->has_vote) sof_json_b58_32(j, ev->vote_account);
  else sof_json_null(j);
  sof_json_key(j, "slot");
  if (ev->has_vote) sof_json_u64(j, ev->slot);
  else sof_json_null(j);
  sof_json_key(j, "txnSize");     sof_json_u64(j, ev->txn_sz);
  sof_json_obj_end(j);
  sof_plugout_line(&s->out, j);
}

sof_plugin_t const sof_plugin_slotlog = {
  .name                = "slotlog",
  .api_version         = SOF_PLUGIN_API_VERSION,
  .hooks               = SOF_HOOK_BIT(SLOT_STATUS) | SOF_HOOK_BIT(REORG) |
                         SOF_HOOK_BIT(RECENT_BLOCKHASH) | SOF_HOOK_BIT(LEADER_SCHEDULE) |
                         SOF_HOOK_BIT(CLUSTER_TOPOLOGY) | SOF_HOOK_BIT(GOSSIP_VOTE),
  .commitment          = SOF_COMMITMENT_PROCESSED,
  .commitment_mode     = SOF_COMMITMENT_AT_LEAST,
  .dispatch            = SOF_DISPATCH_SEQUENTIAL,
  .setup               = slotlog_setup,
  .shutdown            = slotlog_shutdown,
  .on_slot_status      = slotlog_on_slot_status,
  .on_reorg            = slotlog_on_reorg,
  .on_recent_blockhash = slotlog_on_recent_blockhash,
  .on_leader_schedule  = slotlog_on_leader_schedule,
  .on_cluster_topology = slotlog_on_cluster_topology,
  .on_gossip_vote      = slotlog_on_gossip_vote,
};
