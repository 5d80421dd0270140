/* sofd_counters.c: everything the pipeline counts, read from the role
 * instances: the counter table (sofd_pipe_counters: the stats line,
 * rte_telemetry /sof/ commands, Prometheus), the stats line, the final
 * JSON summary, role and ring introspection, the leader views.
 *
 * Contract: any thread (the main lcore, the telemetry and leaders threads,
 * the main thread after run): role counters are read without locks as
 * racy aligned 64-bit loads, so a snapshot taken while the lcores run may
 * be mid-update between counters; the summary is exact once the pipeline
 * drained. Every received packet lands in exactly one counter ("balanced").
 * Nothing here runs on the shred path. */
#include "sofd_pipe_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "util/sof_json.h"

#define SUMMARY_MAX  (64UL * 1024UL)

typedef struct totals {
  uint64_t rx_packets, rx_bytes, rx_bursts, to_fec, events_sent, events_dropped;
  uint64_t arp_replies, icmp_replies, icmp_limited, tx_sent, tx_dropped;
  uint64_t pkt_err[SOF_PKT_ERR_CNT + 1];
  uint64_t drop[SOFD_RX_DROP_CNT];
  uint64_t malformed[SOF_SHRED_ERR_CNT + 1];
  uint64_t rejected[SOF_VERIFY_RESULT_CNT];
  uint64_t verified[SOF_VERIFY_RESULT_CNT];
  sof_verify_stats_t vs;
  sof_dedupe_stats_t ds;
  sof_ingest_stats_t is;
  sof_resolver_stats_t rs;
  sof_reasm_stats_t as;
  uint64_t open_sets, arena_full, fec_out_dropped, fec_out_held, fec_slot_msgs;
  uint64_t inline_txns, inline_arena_full, pool_in_use;
  uint64_t fec_held_pool, fec_held_out, fec_held_us, fec_reserve_used, fec_hold_given_up; /* back-pressure */
  uint64_t rx_held_polls;   /* replay input left unread: a rx_fec ring short */
  sof_slotwin_stats_t rxw;  /* rx windows: classes, samples, tip moves summed */
  uint64_t rx_tip;          /* the highest rx window tip (0: none yet) */
  uint64_t fec_tip;         /* the highest fec window tip (0: none yet) */
  sof_udp_stats_t udp;      /* udp driver: every socket */
  uint64_t lost_kernel;     /* datagrams the kernel dropped (socket receive buffer full) */
  uint64_t lost_unread;     /* input still waiting when rx stopped (udp, preload) */
  uint64_t lost_nic;        /* frames the NIC dropped: imissed + rx_nombuf */
  uint64_t nic_ierrors;     /* frames the NIC received in error */
} totals_t;

/* dst += src, field by field, for counter structs made only of uint64_t. */
static void
add_u64s(void *dst, void const *src, size_t bytes) {
  uint64_t *d = dst;
  uint64_t const *s = src;
  for (size_t k = 0; k < bytes / sizeof(uint64_t); k++) d[k] += s[k];
}

/* TSC cycles a fec shard held its input back, the hold in progress
 * included (racy: a hold may end meanwhile). */
static uint64_t
fec_held_cycles(sofd_fec_inst_t const *f) {
  uint64_t cyc = f->bp_cycles, since = f->bp_since;
  if (since) {
    uint64_t now = rte_rdtsc();
    if (now > since) cyc += now - since;
  }
  return cyc;
}

static void
collect(sofd_pipe_t const *p, totals_t *t) {
  memset(t, 0, sizeof *t);
  sofd_cfg_t const *c = p->cfg;
  for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_RX]; i++) {
    sofd_rx_inst_t const *r = &p->rx[i];
    t->rx_packets += r->packets;
    t->rx_bytes += r->bytes;
    t->rx_bursts += r->bursts;
    t->to_fec += r->sent;
    t->arp_replies += r->arp_replies;
    t->icmp_replies += r->icmp_replies;
    t->icmp_limited += r->icmp_limited;
    t->tx_sent += r->tx_sent;
    t->tx_dropped += r->tx_dropped;
    t->events_sent += r->events_sent;
    t->events_dropped += r->events_dropped;
    t->rx_held_polls += r->held_polls;
    for (unsigned k = 0; k <= SOF_PKT_ERR_CNT; k++) t->pkt_err[k] += r->pkt_err[k];
    for (unsigned k = 0; k < SOFD_RX_DROP_CNT; k++) t->drop[k] += r->drop[k];
    for (unsigned k = 0; k <= SOF_SHRED_ERR_CNT; k++) t->malformed[k] += r->malformed[k];
    for (unsigned k = 0; k < SOF_VERIFY_RESULT_CNT; k++) {
      t->rejected[k] += r->rejected[k];
      t->verified[k] += r->verified[k];
    }
    add_u64s(&t->vs, sof_verify_stats(r->verify), sizeof t->vs);
    if (r->dedupe) add_u64s(&t->ds, sof_dedupe_stats(r->dedupe), sizeof t->ds);
    sof_slotwin_stats_t const *ws = &r->win.stats;
    for (int k = 0; k < SOF_SLOTWIN_CLASS_CNT; k++) t->rxw.cls[k] += ws->cls[k];
    t->rxw.samples += ws->samples;
    t->rxw.tip_moves += ws->tip_moves;
    uint64_t tip = ws->tip;
    if (tip != SOF_SLOTWIN_NONE && tip > t->rx_tip) t->rx_tip = tip;
  }
  /* what the input layer saw and lost before the rx role */
  t->lost_unread = p->input_unread;
  if (p->input_open && c->driver == SOFD_DRIVER_UDP) {
    sof_udp_stats_sum(&p->udp, &t->udp);
    t->rx_packets += t->udp.truncated; /* they reached sofd: counted received and dropped */
    t->drop[SOFD_RX_DROP_OVERSIZE] += t->udp.truncated;
    /* the kernel's own count is current; the in-band one (SO_RXQ_OVFL)
     * only moves when a datagram comes after the drops */
    uint64_t kd;
    t->lost_kernel = sof_udp_kernel_drops(&p->udp, &kd) == 0 && kd > t->udp.kernel_drops ? kd
                                                                                       : t->udp.kernel_drops;
  } else if (p->input_open) {
    struct rte_eth_stats es;
    if (rte_eth_stats_get(p->eth.port_id, &es) == 0) {
      t->lost_nic = es.imissed + es.rx_nombuf;
      t->nic_ierrors = es.ierrors;
    }
  }
  for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_FEC]; i++) {
    sofd_fec_inst_t const *f = &p->fec[i];
    add_u64s(&t->is, sof_ingest_stats(f->ing), sizeof t->is);
    add_u64s(&t->rs, sof_resolver_stats(sof_ingest_resolver(f->ing)), sizeof t->rs);
    add_u64s(&t->as, sof_reasm_stats(sof_ingest_reasm(f->ing)), sizeof t->as);
    t->open_sets += sof_resolver_open_sets(sof_ingest_resolver(f->ing));
    t->arena_full += f->arena_full;
    t->fec_out_dropped += f->out.dropped;
    t->fec_out_held += f->out.held;
    t->fec_slot_msgs += f->slot_msgs;
    t->inline_txns += f->inline_txns;
    t->inline_arena_full += f->inline_arena_full;
    /* the reserve's blocks hold no dataset: not in use */
    uint64_t in_use = sof_bpool_in_use(f->pool), rsv = f->reserve_n;
    t->pool_in_use += in_use > rsv ? in_use - rsv : 0;
    t->fec_held_pool += f->bp_polls_pool;
    t->fec_held_out += f->bp_polls_out;
    t->fec_reserve_used += f->bp_reserve_used;
    t->fec_hold_given_up += f->bp_gave_up;
    t->fec_held_us += p->hz ? (uint64_t)((double)fec_held_cycles(f) * 1e6 / (double)p->hz) : 0;
    sof_slotwin_t const *fw = sof_ingest_window(f->ing);
    if (fw && fw->stats.tip != SOF_SLOTWIN_NONE && fw->stats.tip > t->fec_tip) t->fec_tip = fw->stats.tip;
  }
}

static uint64_t
rx_dropped(totals_t const *t) {
  uint64_t n = 0;
  for (unsigned k = 0; k <= SOF_PKT_ERR_CNT; k++) n += t->pkt_err[k];
  for (unsigned k = 0; k < SOFD_RX_DROP_CNT; k++) n += t->drop[k];
  for (unsigned k = 0; k <= SOF_SHRED_ERR_CNT; k++) n += t->malformed[k];
  for (unsigned k = 0; k < SOF_VERIFY_RESULT_CNT; k++) n += t->rejected[k];
  return n;
}

/* Every received packet in exactly one counter: an rx drop or passed to
 * fec; every shred fec took late or accepted (valid once nothing is in
 * flight between the roles). */
static int
balanced_of(totals_t const *t) {
  return rx_dropped(t) + t->to_fec == t->rx_packets && t->is.shreds == t->to_fec &&
         t->is.fate[SOF_INGEST_LATE] + t->is.fate[SOF_INGEST_ACCEPTED] == t->is.shreds;
}

/* Shreds without a known leader by epoch, the rx instances' tallies
 * merged: ep[k] (epoch), cnt[k] for k below the count returned. */
static unsigned
unknown_by_epoch(sofd_pipe_t const *p, uint64_t *ep, uint64_t *cnt) {
  unsigned ne = 0;
  for (unsigned i = 0; i < p->cfg->role_cnt[SOFD_ROLE_RX]; i++)
    for (unsigned k = 0; k < SOFD_UNK_EPOCHS; k++) {
      uint64_t e1 = p->rx[i].unk_epoch[k].epoch_plus1;
      if (!e1) continue;
      unsigned j = 0;
      while (j < ne && ep[j] != e1 - 1) j++;
      if (j == ne) {
        ep[ne] = e1 - 1;
        cnt[ne++] = 0;
      }
      cnt[j] += p->rx[i].unk_epoch[k].cnt;
    }
  return ne;
}

static char const *const rx_drop_names[SOFD_RX_DROP_CNT] = {
#define SOFD_RX_DROP_STR_(name, str) str,
  SOFD_RX_DROP_LIST(SOFD_RX_DROP_STR_)
#undef SOFD_RX_DROP_STR_
};

unsigned
sofd_pipe_counters(sofd_pipe_t const *p, sofd_counter_t *out) {
  totals_t t;
  collect(p, &t);
  unsigned n = 0;
  sofd_counter_t *last = NULL; /* the entry PUT wrote (NULL: the table was full) */
#define PUT(gauge_, help_, v_, ...)                                           \
  do {                                                                         \
    last = NULL;                                                               \
    if (n < SOFD_COUNTERS_MAX) {                                               \
      last = memset(&out[n], 0, sizeof out[n]);                                \
      snprintf(out[n].name, sizeof out[n].name, __VA_ARGS__);                  \
      out[n].help = (help_);                                                   \
      out[n].value = (v_);                                                     \
      out[n].gauge = (gauge_);                                                 \
      n++;                                                                     \
    }                                                                          \
  } while (0)
#define CTR(help_, v_, ...) PUT(0, help_, v_, __VA_ARGS__)
#define GAUGE(help_, v_, ...) PUT(1, help_, v_, __VA_ARGS__)
  /* Prometheus: the entry just PUT is sof_<fam_>{key_="val_"} (docs/metrics.md) */
#define FAM(fam_, key_, val_)                                                  \
  do {                                                                         \
    if (last) {                                                                \
      last->family = (fam_);                                                   \
      last->label_key = (key_);                                                \
      snprintf(last->label_val, sizeof last->label_val, "%s", (val_));         \
    }                                                                          \
  } while (0)
  /* Prometheus: the entry just PUT is left out while cond_ (value unknown) */
#define UNKNOWN_IF(cond_)                                                      \
  do {                                                                         \
    if (last) last->unknown = !!(cond_);                                       \
  } while (0)
  CTR("packets received", t.rx_packets, "rx_packets");
  CTR("bytes received", t.rx_bytes, "rx_bytes");
  CTR("non-empty RX bursts", t.rx_bursts, "rx_bursts");
  for (int e = 1; e <= SOF_PKT_ERR_CNT; e++) {
    CTR("packets dropped before fec (L2-L4 parser, rx role), by reason", t.pkt_err[e], "rx_drop_%s",
        sof_pkt_err_str(-e));
    FAM("rx_dropped_total", "reason", sof_pkt_err_str(-e));
  }
  for (int k = 0; k < SOFD_RX_DROP_CNT; k++) {
    CTR("packets dropped by the rx role, by reason", t.drop[k], "rx_drop_%s", rx_drop_names[k]);
    FAM("rx_dropped_total", "reason", rx_drop_names[k]);
  }
  for (int e = 1; e <= SOF_SHRED_ERR_CNT; e++) {
    CTR("shreds that do not parse, by reason", t.malformed[e], "rx_malformed_%s", sof_shred_err_str(-e));
    FAM("rx_malformed_total", "reason", sof_shred_err_str(-e));
  }
  for (int r = 0; r < SOF_VERIFY_RESULT_CNT; r++) {
    if (r == SOF_VERIFY_VERIFIED || r == SOF_VERIFY_SKIPPED || r == SOF_VERIFY_MALFORMED) continue;
    CTR("shreds rejected by verification, by result", t.rejected[r], "rx_rejected_%s", sof_verify_result_str(r));
    FAM("rx_rejected_total", "result", sof_verify_result_str(r));
  }
  for (int r = 0; r < SOF_VERIFY_RESULT_CNT; r++) {
    if (r == SOF_VERIFY_VERIFIED || r == SOF_VERIFY_SKIPPED || r == SOF_VERIFY_UNKNOWN_LEADER) {
      CTR("shreds passed to fec, by verification result", t.verified[r], "rx_accepted_%s", sof_verify_result_str(r));
      FAM("rx_accepted_total", "result", sof_verify_result_str(r));
    }
  }
  CTR("shreds passed to the fec role", t.to_fec, "rx_to_fec");
  CTR("ARP requests for [input] address answered", t.arp_replies, "rx_arp_replies");
  CTR("ICMP echo requests to [input] address answered", t.icmp_replies, "rx_icmp_replies");
  CTR("ICMP echo requests not answered: over [input] icmp_rate", t.icmp_limited, "rx_icmp_rate_limited");
  CTR("replies the TX queues took", t.tx_sent, "tx_sent");
  CTR("replies dropped: the TX queue was full", t.tx_dropped, "tx_dropped");
  /* [input] exception = tap: its counters (sofd_exc.h) */
  if (p->exc) n += sofd_exc_counters(p->exc, out + n, SOFD_COUNTERS_MAX - n);
  CTR("ed25519 verifications", t.vs.sig_verifies, "verify_sig_verifies");
  CTR("ed25519 verifications with a prepared leader key", t.vs.sig_prepared, "verify_sig_prepared");
  CTR("leader keys prepared (tables built)", t.vs.key_prepares, "verify_key_prepares");
  CTR("of those, prepared ahead in idle steps", t.vs.keys_prepared_ahead, "verify_keys_prepared_ahead");
  CTR("signature checks answered by the cache", t.vs.sig_cache_hits, "verify_sig_cache_hits");
  CTR("repeats of a rejected set answered by the cache", t.vs.bad_cache_hits, "verify_bad_cache_hits");
  CTR("second leader-signed roots for a FEC set", t.vs.conflicts, "verify_conflicts");
  CTR("sets whose signature another rx verifier had checked (no ed25519)", t.vs.shared_hits,
      "verify_shared_hits");
  CTR("a verified root under another signature: rejected without ed25519", t.vs.other_sig_known_root,
      "verify_other_sig_known_root");
  CTR("learned leaders: candidate ed25519 tries", t.vs.learn_tries, "verify_learn_tries");
  CTR("learned leaders: slots whose leader was learned", t.vs.learn_slots, "verify_learn_slots");
  CTR("learned leaders: slots given up (tries ran out)", t.vs.learn_given_up, "verify_learn_given_up");
  CTR("learned leaders: shreds whose leader a learned slot gave", t.vs.learn_hits, "verify_learn_hits");
  CTR("learned leaders: candidate sets taken from gossip (a node joined or left)", t.vs.cand_updates,
      "verify_cand_updates");
  CTR("learned leaders: candidate set copies torn by a publication (retried)", t.vs.cand_torn, "verify_cand_torn");
  CTR("learned leaders: given-up slots searched again with a new candidate set", t.vs.learn_reopened,
      "verify_learn_reopened");
  CTR("shred version switched by gossip (the cluster restarted with another one; per verifier)",
      t.vs.version_switches, "verify_version_switches");
  CTR("shreds not verified: over a budget (set: their FEC set failed too many checks)", t.vs.over_budget_set,
      "verify_over_budget_set");
  FAM("verify_over_budget_total", "budget", "set");
  CTR("checked past the set budget: a turned-away (root, signature) again on another index",
      t.vs.over_budget_resighted, "verify_over_budget_resighted");
  CTR("shreds not verified: their source failed too many checks", t.vs.over_budget_source,
      "verify_over_budget_source");
  FAM("verify_over_budget_total", "budget", "source");
  CTR("shreds not verified: their verified set had too many other roots", t.vs.over_budget_conflict,
      "verify_over_budget_conflict");
  FAM("verify_over_budget_total", "budget", "conflict");
  for (int k = 0; k < SOF_SLOTWIN_CLASS_CNT; k++) {
    CTR("rx slot admission, by class", t.rxw.cls[k], "window_%s", sof_slotwin_class_str(k));
    FAM("window_admitted_total", "class", sof_slotwin_class_str(k));
  }
  CTR("slots sampled by the rx windows", t.rxw.samples, "window_samples");
  CTR("rx window tip changes", t.rxw.tip_moves, "window_tip_moves");
  GAUGE("rx window tip: median slot of recent accepted shreds (0: no quorum yet)", t.rx_tip, "window_tip");
  UNKNOWN_IF(!t.rx_tip);
  GAUGE("fec window tip (0: no quorum yet)", t.fec_tip, "window_fec_tip");
  UNKNOWN_IF(!t.fec_tip);
  CTR("udp driver: datagrams larger than an mbuf (dropped, in rx_drop_oversize)", t.udp.truncated,
      "input_udp_truncated");
  CTR("udp driver: recvmmsg failures", t.udp.errors, "input_udp_errors");
  CTR("udp driver: polls short of mbufs", t.udp.nomem, "input_udp_nomem");
  CTR("lost before sofd: datagrams the kernel dropped (socket receive buffer full)", t.lost_kernel,
      "input_lost_kernel");
  FAM("input_lost_total", "where", "kernel");
  CTR("lost before sofd: datagrams (udp) or frames (preload) still waiting when rx stopped", t.lost_unread,
      "input_lost_unread_at_exit");
  FAM("input_lost_total", "where", "unread_at_exit");
  CTR("lost before sofd: frames the NIC dropped (imissed + rx_nombuf)", t.lost_nic, "input_lost_nic");
  FAM("input_lost_total", "where", "nic");
  CTR("frames the NIC received in error", t.nic_ierrors, "input_nic_ierrors");
  CTR("dedupe: new keys", t.ds.result[SOF_DEDUPE_NEW], "dedupe_new");
  CTR("dedupe: probes (entries examined)", t.ds.probes, "dedupe_probes");
  CTR("dedupe: entries evicted by TTL", t.ds.evict_ttl, "dedupe_evict_ttl");
  FAM("dedupe_evicted_total", "reason", "ttl");
  CTR("dedupe: entries evicted by slot distance", t.ds.evict_slot, "dedupe_evict_slot");
  FAM("dedupe_evicted_total", "reason", "slot");
  CTR("dedupe: entries evicted for capacity", t.ds.evict_capacity, "dedupe_evict_capacity");
  FAM("dedupe_evicted_total", "reason", "capacity");
  CTR("raw_packet/shred events passed to dispatch", t.events_sent, "rx_events");
  CTR("raw_packet/shred events dropped (events ring full)", t.events_dropped, "rx_events_dropped");
  CTR("shreds taken by fec", t.is.shreds, "fec_shreds");
  CTR("shreds of finished FEC sets dropped by fec", t.is.fate[SOF_INGEST_LATE], "fec_late");
  CTR("shreds accepted into the FEC resolver", t.is.fate[SOF_INGEST_ACCEPTED], "fec_accepted");
  for (int r = 0; r < SOF_RESOLVER_RESULT_CNT; r++) {
    CTR("accepted shreds by FEC resolver result", t.is.accepted[r], "fec_result_%s", sof_resolver_result_str(r));
    FAM("fec_resolver_results_total", "result", sof_resolver_result_str(r));
  }
  CTR("FEC sets complete", t.rs.sets_complete, "fec_sets_complete");
  CTR("FEC sets recovered", t.rs.sets_recovered, "fec_sets_recovered");
  GAUGE("FEC sets open", t.open_sets, "fec_sets_open");
  CTR("FEC sets evicted", t.rs.evict_pool + t.rs.evict_window + t.rs.evict_age + t.rs.evict_records,
      "fec_sets_evicted");
  CTR("rebuilt data shreds reassembled", t.is.recovered_ok, "fec_recovered_shreds");
  CTR("rebuilt data shreds rejected", t.is.recovered_rejected, "fec_recovered_rejected");
  CTR("rebuilt data shreds accepted by the resolver's proof to a verified root", t.is.recovered_by_root,
      "fec_recovered_by_root");
  CTR("entry batches completed", t.is.datasets, "fec_datasets");
  CTR("slots complete", t.as.slots_complete, "fec_slots_complete");
  CTR("slots evicted from reassembly", t.as.slots_evicted, "fec_slots_evicted");
  for (int r = 0; r < SOF_REASM_RESULT_CNT; r++) {
    CTR("data shreds given to reassembly, by result", t.as.result[r], "fec_reasm_%s", sof_reasm_result_str(r));
    FAM("fec_reasm_results_total", "result", sof_reasm_result_str(r));
  }
  CTR("complete batches dropped: no dataset block for them", t.as.sink_full, "fec_reasm_sink_full");
  CTR("reassembly refused a slot that is not current rather than evict a current one",
      t.as.refused_current, "fec_reasm_refused_current");
  CTR("FEC sets refused rather than evict a current slot's set", t.rs.refused_current,
      "fec_refused_current");
  CTR("data shreds evicted from reassembly before their batch completed", t.as.shreds_evicted,
      "fec_shreds_evicted");
  CTR("datasets dropped: no free block in the dataset pool", t.arena_full, "fec_arena_full");
  GAUGE("dataset pool blocks in use", t.pool_in_use, "fec_pool_blocks_in_use");
  CTR("recoveries put off: no mbuf for a rebuilt shred", t.rs.out_no_buf, "fec_rebuilt_no_mbuf");
  CTR("fec messages dropped (fec_extract full, on_full = drop)", t.fec_out_dropped, "fec_out_dropped");
  CTR("fec messages held while fec_extract was full", t.fec_out_held, "fec_out_held");
  CTR("fec polls that took no shred: the dataset pool could not refill fec's reserve (back-pressure)",
      t.fec_held_pool, "fec_held_polls_pool");
  FAM("fec_held_polls_total", "cause", "pool");
  CTR("fec polls that took no shred: fec_extract full (back-pressure)", t.fec_held_out, "fec_held_polls_out");
  FAM("fec_held_polls_total", "cause", "out");
  CTR("datasets and early transactions assembled in a reserve block (the pool was dry)", t.fec_reserve_used,
      "fec_reserve_used");
  CTR("back-pressure holds given up: no dataset block could come back (250 ms quiet downstream, or 5 s)",
      t.fec_hold_given_up,
      "fec_hold_given_up");
  CTR("rx polls that left replay input unread: a rx_fec ring short of room (back-pressure)", t.rx_held_polls,
      "rx_held_polls");
  CTR("slot announcements to the fork tracker", t.fec_slot_msgs, "fec_slot_msgs");
  CTR("transactions handed over ahead of their dataset (inline path)", t.inline_txns, "fec_inline_transactions");
  CTR("early transactions dropped: no free block in the dataset pool", t.inline_arena_full,
      "fec_inline_arena_full");
  sofd_extract_inst_t const *x = p->extract;
  CTR("datasets decoded", x->datasets, "extract_datasets");
  CTR("datasets that are not valid entry batches", x->decode_err, "extract_decode_errors");
  CTR("entries decoded", x->entries, "extract_entries");
  CTR("transactions decoded", x->txns, "extract_transactions");
  sofd_dispatch_inst_t const *d = p->dispatch;
  CTR("datasets dispatched", d->datasets, "dispatch_datasets");
  CTR("transactions published early (inline path)", d->inline_txns, "dispatch_inline_transactions");
  CTR("transactions dispatched", d->txns, "dispatch_transactions");
  CTR("recent blockhash changes", d->blockhash_changes, "dispatch_blockhash_changes");
  CTR("slot leader changes", d->leader_changes, "dispatch_leader_changes");
  CTR("slots complete (LAST_IN_SLOT reassembled) seen by the fork tracker", d->slots_complete,
      "dispatch_slots_complete");
  GAUGE("slot of the latest observed leader change", d->has_leader ? d->leader_slot : 0, "leader_slot");
  UNKNOWN_IF(!d->has_leader);
  sof_forks_stats_t const *fs = sof_forks_stats(d->forks);
  sof_forks_marks_t mk = sof_forks_marks(d->forks);
  GAUGE("slots tracked by the fork tracker", fs->tracked, "forks_tracked");
  CTR("reorgs", fs->reorgs, "forks_reorgs");
  CTR("slots orphaned", fs->orphaned, "forks_orphaned");
  CTR("slots dropped: too far ahead of the tip", fs->result[SOF_FORKS_AHEAD], "forks_ahead");
  CTR("slots dropped: below the window", fs->result[SOF_FORKS_BEHIND], "forks_behind");
  CTR("fork tracker resyncs", fs->resyncs, "forks_resyncs");
  GAUGE("tip slot", mk.tip == SOF_FORKS_SLOT_NONE ? 0 : mk.tip, "slot_tip");
  UNKNOWN_IF(mk.tip == SOF_FORKS_SLOT_NONE);
  GAUGE("confirmed slot", mk.confirmed == SOF_FORKS_SLOT_NONE ? 0 : mk.confirmed, "slot_confirmed");
  UNKNOWN_IF(mk.confirmed == SOF_FORKS_SLOT_NONE);
  GAUGE("finalized slot", mk.finalized == SOF_FORKS_SLOT_NONE ? 0 : mk.finalized, "slot_finalized");
  UNKNOWN_IF(mk.finalized == SOF_FORKS_SLOT_NONE);
  sof_host_stats_t const *hs = sof_host_stats(p->host);
  for (int l = 0; l < SOF_HOST_LANE_CNT; l++) {
    char const *ln = sof_host_lane_str(l);
    CTR("plugin events queued, by lane", hs->lane[l].enqueued, "plugin_lane_%s_enqueued", ln);
    FAM("plugin_lane_enqueued_total", "lane", ln);
    CTR("plugin events dropped (lane full), by lane", hs->lane[l].dropped, "plugin_lane_%s_dropped", ln);
    FAM("plugin_lane_dropped_total", "lane", ln);
    GAUGE("plugin lane depth", sof_host_lane_depth(p->host, l), "plugin_lane_%s_depth", ln);
    FAM("plugin_lane_depth", "lane", ln);
    GAUGE("plugin lane max depth", hs->lane[l].depth_max, "plugin_lane_%s_depth_max", ln);
    FAM("plugin_lane_depth_max", "lane", ln);
  }
  for (int h = 0; h < SOF_HOOK_CNT; h++) {
    CTR("plugin events dropped, by hook", hs->dropped[h], "plugin_hook_%s_dropped", sof_hook_str(h));
    FAM("plugin_hook_dropped_total", "hook", sof_hook_str(h));
  }
  CTR("transactions refused by the commitment wait buffer (full, or an old slot)", hs->commit_dropped, "plugin_commit_dropped");
  GAUGE("transactions waiting for their commitment", hs->commit_waiting, "plugin_commit_waiting");
  CTR("transactions discarded: slot orphaned", hs->commit_orphaned, "plugin_commit_orphaned");
  GAUGE("1 when every received packet is in exactly one counter", (uint64_t)balanced_of(&t),
        "balanced");
  uint64_t unk = 0;
  for (unsigned i = 0; i < p->cfg->role_cnt[SOFD_ROLE_RX]; i++)
    if (p->rx[i].unknown_slot > unk) unk = p->rx[i].unknown_slot;
  GAUGE("slot + 1 of the latest shred without a known leader (highest over rx instances; 0: none)", unk,
        "rx_unknown_leader_slot");
  {
    uint64_t ep[SOFD_UNK_EPOCHS * SOFD_INSTANCES_MAX], cnt[SOFD_UNK_EPOCHS * SOFD_INSTANCES_MAX];
    unsigned ne = unknown_by_epoch(p, ep, cnt);
    for (unsigned k = 0; k < ne; k++) {
      char ev[24];
      snprintf(ev, sizeof ev, "%" PRIu64, ep[k]);
      CTR("shreds without a known leader, by the epoch of their slot", cnt[k], "rx_unknown_leader_epoch_%s", ev);
      FAM("rx_unknown_leader_total", "epoch", ev);
    }
  }
  if (p->prov) n += sofd_provider_counters(p->prov, out + n, SOFD_COUNTERS_MAX - n);
  if (p->ext_counters) n += p->ext_counters(p->ext_ctx, out + n, SOFD_COUNTERS_MAX - n);
#undef CTR
#undef GAUGE
#undef PUT
#undef FAM
#undef UNKNOWN_IF
  return n;
}

/* ---- the stats line and the summary --------------------------------------------------------- */

void
sofd_stats_line(sofd_pipe_t *p, double secs) {
  static uint64_t prev_rx;
  totals_t t;
  collect(p, &t);
  fprintf(stderr, "sofd: rx %" PRIu64 " (%.0f/s) to_fec %" PRIu64 " dropped %" PRIu64
          " late %" PRIu64 " datasets %" PRIu64 " txns %" PRIu64 " tip %" PRIu64
          " lanes %u/%u/%u/%u\n",
          t.rx_packets, secs > 0 ? (double)(t.rx_packets - prev_rx) / secs : 0.0, t.to_fec,
          rx_dropped(&t), t.is.fate[SOF_INGEST_LATE], p->extract->datasets, p->extract->txns,
          p->dispatch->last_tip == SOF_FORKS_SLOT_NONE ? 0 : p->dispatch->last_tip,
          sof_host_lane_depth(p->host, 0), sof_host_lane_depth(p->host, 1),
          sof_host_lane_depth(p->host, 2), sof_host_lane_depth(p->host, 3));
  prev_rx = t.rx_packets;
}

static void
json_activity(sof_json_t *j, sofd_activity_t const *a, uint64_t hz) {
  sof_json_key(j, "processed");  sof_json_u64(j, a->processed);
  sof_json_key(j, "dropped");    sof_json_u64(j, a->dropped);
  sof_json_key(j, "busyUs");     sof_json_u64(j, (uint64_t)((double)a->busy_cycles * 1e6 / (double)hz));
  sof_json_key(j, "heldUs");     sof_json_u64(j, (uint64_t)((double)a->held_cycles * 1e6 / (double)hz));
  sof_json_key(j, "busyPolls");  sof_json_u64(j, a->busy_polls);
  sof_json_key(j, "idlePolls");  sof_json_u64(j, a->idle_polls);
}

int
sofd_pipe_summary(sofd_pipe_t *p, char const *stop) {
  static char buf[SUMMARY_MAX];
  sof_json_t js, *j = &js;
  sof_json_init(j, buf, sizeof buf);
  totals_t t;
  collect(p, &t);
  sofd_cfg_t const *c = p->cfg;
  uint64_t accepted = t.is.fate[SOF_INGEST_ACCEPTED];
  uint64_t dropped = rx_dropped(&t) + t.is.fate[SOF_INGEST_LATE];
  int balanced = balanced_of(&t);
  uint64_t hz = p->hz;

  sof_json_obj_begin(j);
  sof_json_key(j, "type");        sof_json_str(j, "summary");
  sof_json_key(j, "stop");        sof_json_str(j, stop);
  sof_json_key(j, "drainTimedOut"); sof_json_bool(j, p->drain_timed_out);
  if (c->driver == SOFD_DRIVER_PROVIDER) {
    sof_json_key(j, "driver");    sof_json_str(j, "provider");
  } else if (c->driver != SOFD_DRIVER_UDP) {
    sof_json_key(j, "port");      sof_json_u64(j, p->eth.port_id);
    sof_json_key(j, "device");    sof_json_str(j, p->eth.name);
    sof_json_key(j, "driver");    sof_json_str(j, p->eth.driver);
  } else {
    sof_json_key(j, "driver");    sof_json_str(j, "udp");
  }
  sof_json_key(j, "rxPackets");   sof_json_u64(j, t.rx_packets);
  sof_json_key(j, "rxBytes");     sof_json_u64(j, t.rx_bytes);
  sof_json_key(j, "rxBursts");    sof_json_u64(j, t.rx_bursts);
  if (c->address) {
    sof_json_key(j, "arpReplies");      sof_json_u64(j, t.arp_replies);
    sof_json_key(j, "icmpReplies");     sof_json_u64(j, t.icmp_replies);
    sof_json_key(j, "icmpRateLimited"); sof_json_u64(j, t.icmp_limited);
    sof_json_key(j, "txSent");          sof_json_u64(j, t.tx_sent);
    sof_json_key(j, "txDropped");       sof_json_u64(j, t.tx_dropped);
  }
  sofd_exc_summary(p->exc, j); /* [input] exception = tap: "exception": {...} */
  uint64_t busy = 0;
  for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_RX]; i++) busy += p->rx[i].act.busy_cycles;
  for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_FEC]; i++) busy += p->fec[i].act.busy_cycles;
  busy += p->extract->act.busy_cycles + p->dispatch->act.busy_cycles;
  double busy_s = (double)busy / (double)hz;
  /* processing cost of the pipeline roles (rx, fec, extract, dispatch;
   * not the plugins), summed over lcores */
  sof_json_key(j, "busyUs");      sof_json_u64(j, (uint64_t)(busy_s * 1e6));
  sof_json_key(j, "nsPerPacket"); sof_json_u64(j, t.rx_packets ? (uint64_t)(busy_s * 1e9 / (double)t.rx_packets) : 0);
  /* first to last received burst: the input's span; with a replay faster
   * than the pipeline, rxPackets / rxSpanUs is what it sustained */
  uint64_t first = UINT64_MAX, last = 0;
  for (unsigned i = 0; i < c->role_cnt[SOFD_ROLE_RX]; i++) {
    if (p->rx[i].first_rx_tsc && p->rx[i].first_rx_tsc < first) first = p->rx[i].first_rx_tsc;
    if (p->rx[i].last_rx_tsc > last) last = p->rx[i].last_rx_tsc;
  }
  sof_json_key(j, "rxSpanUs");
  sof_json_u64(j, last > first ? (uint64_t)((double)(last - first) * 1e6 / (double)hz) : 0);
  sof_json_key(j, "accepted");    sof_json_u64(j, accepted);
  sof_json_key(j, "dropped");     sof_json_u64(j, dropped);
  sof_json_key(j, "balanced");    sof_json_bool(j, balanced);
  /* lost before any counter above could see them */
  /* shreds without a known leader, by the epoch of their slot */
  {
    uint64_t ep[SOFD_UNK_EPOCHS * SOFD_INSTANCES_MAX], cnt[SOFD_UNK_EPOCHS * SOFD_INSTANCES_MAX];
    unsigned ne = unknown_by_epoch(p, ep, cnt);
    sof_json_key(j, "unknownLeaderByEpoch");
    sof_json_obj_begin(j);
    for (unsigned k = 0; k < ne; k++) {
      char ev[24];
      snprintf(ev, sizeof ev, "%" PRIu64, ep[k]);
      sof_json_key(j, ev); sof_json_u64(j, cnt[k]);
    }
    sof_json_obj_end(j);
  }
  sof_json_key(j, "lostBefore");
  sof_json_obj_begin(j);
  sof_json_key(j, "kernel");      sof_json_u64(j, t.lost_kernel);
  sof_json_key(j, "unreadAtExit"); sof_json_u64(j, t.lost_unread);
  sof_json_key(j, "nic");         sof_json_u64(j, t.lost_nic);
  sof_json_key(j, "nicErrors");   sof_json_u64(j, t.nic_ierrors);
  sof_json_obj_end(j);
  sof_json_key(j, "window");
  sof_json_obj_begin(j);
  sof_json_key(j, "tip");         sof_json_u64(j, t.rx_tip);
  for (int k = 0; k < SOF_SLOTWIN_CLASS_CNT; k++) {
    sof_json_key(j, sof_slotwin_class_str(k)); sof_json_u64(j, t.rxw.cls[k]);
  }
  sof_json_key(j, "tipMoves");    sof_json_u64(j, t.rxw.tip_moves);
  sof_json_obj_end(j);
  sof_json_key(j, "drops");
  sof_json_obj_begin(j);
  for (int e = 1; e <= SOF_PKT_ERR_CNT; e++) {
    sof_json_key(j, sof_pkt_err_str(-e)); sof_json_u64(j, t.pkt_err[e]);
  }
  for (int k = 0; k < SOFD_RX_DROP_CNT; k++) {
    sof_json_key(j, rx_drop_names[k]); sof_json_u64(j, t.drop[k]);
  }
  sof_json_key(j, "late"); sof_json_u64(j, t.is.fate[SOF_INGEST_LATE]);
  sof_json_key(j, "malformed");
  sof_json_obj_begin(j);
  for (int e = 1; e <= SOF_SHRED_ERR_CNT; e++) {
    sof_json_key(j, sof_shred_err_str(-e)); sof_json_u64(j, t.malformed[e]);
  }
  if (t.malformed[0]) { sof_json_key(j, "unknown"); sof_json_u64(j, t.malformed[0]); }
  sof_json_obj_end(j);
  sof_json_key(j, "rejected");
  sof_json_obj_begin(j);
  for (int r = 0; r < SOF_VERIFY_RESULT_CNT; r++) {
    if (r == SOF_VERIFY_VERIFIED || r == SOF_VERIFY_SKIPPED || r == SOF_VERIFY_MALFORMED) continue;
    sof_json_key(j, sof_verify_result_str(r)); sof_json_u64(j, t.rejected[r]);
  }
  sof_json_obj_end(j);
  sof_json_obj_end(j);
  sof_json_key(j, "acceptedBy");
  sof_json_obj_begin(j);
  for (int r = 0; r < SOF_RESOLVER_RESULT_CNT; r++) {
    sof_json_key(j, sof_resolver_result_str(r)); sof_json_u64(j, t.is.accepted[r]);
  }
  sof_json_obj_end(j);
  sof_json_key(j, "dataShreds");        sof_json_u64(j, t.is.data_shreds);
  sof_json_key(j, "codeShreds");        sof_json_u64(j, t.is.code_shreds);
  sof_json_key(j, "verify");
  sof_json_obj_begin(j);
  for (int r = 0; r < SOF_VERIFY_RESULT_CNT; r++) {
    sof_json_key(j, sof_verify_result_str(r)); sof_json_u64(j, t.rejected[r] + t.verified[r]);
  }
  sof_json_obj_end(j);
  sof_json_key(j, "sigVerifies");       sof_json_u64(j, t.vs.sig_verifies);
  sof_json_key(j, "sigPrepared");       sof_json_u64(j, t.vs.sig_prepared);
  sof_json_key(j, "keyPrepares");       sof_json_u64(j, t.vs.key_prepares);
  sof_json_key(j, "keysPreparedAhead"); sof_json_u64(j, t.vs.keys_prepared_ahead);
  sof_json_key(j, "sigCacheHits");      sof_json_u64(j, t.vs.sig_cache_hits);
  sof_json_key(j, "sharedHits");        sof_json_u64(j, t.vs.shared_hits);
  sof_json_key(j, "badCacheHits");      sof_json_u64(j, t.vs.bad_cache_hits);
  sof_json_key(j, "conflicts");         sof_json_u64(j, t.vs.conflicts);
  sof_json_key(j, "otherSigKnownRoot"); sof_json_u64(j, t.vs.other_sig_known_root);
  sof_json_key(j, "learned");
  sof_json_obj_begin(j);
  sof_json_key(j, "tries");   sof_json_u64(j, t.vs.learn_tries);
  sof_json_key(j, "slots");   sof_json_u64(j, t.vs.learn_slots);
  sof_json_key(j, "givenUp"); sof_json_u64(j, t.vs.learn_given_up);
  sof_json_key(j, "hits");    sof_json_u64(j, t.vs.learn_hits);
  sof_json_key(j, "candUpdates"); sof_json_u64(j, t.vs.cand_updates);
  sof_json_key(j, "candTorn");    sof_json_u64(j, t.vs.cand_torn);
  sof_json_key(j, "reopened");    sof_json_u64(j, t.vs.learn_reopened);
  sof_json_key(j, "versionSwitches"); sof_json_u64(j, t.vs.version_switches);
  sof_json_obj_end(j);
  sof_json_key(j, "overBudget");
  sof_json_obj_begin(j);
  sof_json_key(j, "set");      sof_json_u64(j, t.vs.over_budget_set);
  sof_json_key(j, "resighted"); sof_json_u64(j, t.vs.over_budget_resighted);
  sof_json_key(j, "source");   sof_json_u64(j, t.vs.over_budget_source);
  sof_json_key(j, "conflict"); sof_json_u64(j, t.vs.over_budget_conflict);
  sof_json_obj_end(j);
  sof_json_key(j, "setsComplete");      sof_json_u64(j, t.rs.sets_complete);
  sof_json_key(j, "setsRecovered");     sof_json_u64(j, t.rs.sets_recovered);
  sof_json_key(j, "setsIncomplete");    sof_json_u64(j, t.open_sets);
  sof_json_key(j, "recoveredShreds");   sof_json_u64(j, t.is.recovered_ok);
  sof_json_key(j, "recoveredRejected"); sof_json_u64(j, t.is.recovered_rejected);
  /* open sets given up before they completed: their shreds are lost */
  sof_json_key(j, "setsEvictedOpen");
  sof_json_u64(j, t.rs.evict_pool + t.rs.evict_window + t.rs.evict_age);
  sof_json_key(j, "resolverEvictions");
  sof_json_u64(j, t.rs.evict_pool + t.rs.evict_window + t.rs.evict_age + t.rs.evict_records);
  sof_json_key(j, "slotsComplete");     sof_json_u64(j, t.as.slots_complete);
  sof_json_key(j, "slotsEvicted");      sof_json_u64(j, t.as.slots_evicted);
  sof_json_key(j, "shredsEvicted");     sof_json_u64(j, t.as.shreds_evicted);
  sof_json_key(j, "reassembly");
  sof_json_obj_begin(j);
  for (int r = 0; r < SOF_REASM_RESULT_CNT; r++) {
    sof_json_key(j, sof_reasm_result_str(r)); sof_json_u64(j, t.as.result[r]);
  }
  sof_json_key(j, "sinkFull");       sof_json_u64(j, t.as.sink_full);
  sof_json_key(j, "refusedCurrent"); sof_json_u64(j, t.as.refused_current);
  sof_json_obj_end(j);
  sof_json_key(j, "fecRefusedCurrent"); sof_json_u64(j, t.rs.refused_current);
  sof_json_key(j, "datasets");          sof_json_u64(j, p->extract->datasets);
  sof_json_key(j, "datasetErrors");     sof_json_u64(j, p->extract->decode_err);
  sof_json_key(j, "datasetsArenaFull"); sof_json_u64(j, t.arena_full);
  /* back-pressure: fec held its input, rx its replay input */
  sof_json_key(j, "backpressure");
  sof_json_obj_begin(j);
  sof_json_key(j, "fecHeldPollsPool"); sof_json_u64(j, t.fec_held_pool);
  sof_json_key(j, "fecHeldPollsOut");  sof_json_u64(j, t.fec_held_out);
  sof_json_key(j, "fecHeldUs");        sof_json_u64(j, t.fec_held_us);
  sof_json_key(j, "fecReserveUsed");   sof_json_u64(j, t.fec_reserve_used);
  sof_json_key(j, "fecHoldGivenUp");   sof_json_u64(j, t.fec_hold_given_up);
  sof_json_key(j, "rxHeldPolls");      sof_json_u64(j, t.rx_held_polls);
  sof_json_obj_end(j);
  /* after the plugin host's shutdown every block is back: nothing leaked */
  sof_json_key(j, "datasetBlocksInUse"); sof_json_u64(j, t.pool_in_use);
  sof_json_key(j, "transactions");      sof_json_u64(j, p->extract->txns);
  sof_forks_stats_t const *fs = sof_forks_stats(p->dispatch->forks);
  sof_forks_marks_t mk = sof_forks_marks(p->dispatch->forks);
  sof_json_key(j, "forks");
  sof_json_obj_begin(j);
  sof_json_key(j, "tip");        sof_json_u64(j, mk.tip == SOF_FORKS_SLOT_NONE ? 0 : mk.tip);
  sof_json_key(j, "confirmed");  sof_json_u64(j, mk.confirmed == SOF_FORKS_SLOT_NONE ? 0 : mk.confirmed);
  sof_json_key(j, "finalized");  sof_json_u64(j, mk.finalized == SOF_FORKS_SLOT_NONE ? 0 : mk.finalized);
  sof_json_key(j, "tracked");    sof_json_u64(j, fs->tracked);
  sof_json_key(j, "reorgs");     sof_json_u64(j, fs->reorgs);
  sof_json_key(j, "orphaned");   sof_json_u64(j, fs->orphaned);
  sof_json_key(j, "ahead");      sof_json_u64(j, fs->result[SOF_FORKS_AHEAD]);
  sof_json_key(j, "behind");     sof_json_u64(j, fs->result[SOF_FORKS_BEHIND]);
  sof_json_obj_end(j);
  sof_json_key(j, "roles");
  sof_json_arr_begin(j);
  for (unsigned i = 0; i < sofd_pipe_role_cnt(p); i++) {
    int role;
    unsigned inst, lcore, depth;
    sofd_activity_t a;
    sofd_pipe_role_info(p, i, &role, &inst, &lcore, &a, &depth);
    sof_json_obj_begin(j);
    sof_json_key(j, "role");     sof_json_str(j, sofd_role_str(role));
    sof_json_key(j, "instance"); sof_json_u64(j, inst);
    sof_json_key(j, "lcore");    sof_json_u64(j, lcore);
    json_activity(j, &a, hz);
    sof_json_obj_end(j);
  }
  sof_json_arr_end(j);
  sof_json_key(j, "rings");
  sof_json_obj_begin(j);
  for (unsigned i = 0; i < sofd_pipe_ring_cnt(p); i++) {
    char const *name;
    unsigned size, count;
    uint64_t rdrop, held;
    sofd_pipe_ring_info(p, i, &name, &size, &count, &rdrop, &held);
    sof_json_key(j, name);
    sof_json_obj_begin(j);
    sof_json_key(j, "size");    sof_json_u64(j, size);
    sof_json_key(j, "count");   sof_json_u64(j, count);
    sof_json_key(j, "dropped"); sof_json_u64(j, rdrop);
    sof_json_key(j, "held");    sof_json_u64(j, held);
    sof_json_obj_end(j);
  }
  sof_json_obj_end(j);
  sof_host_stats_t const *hs = sof_host_stats(p->host);
  sof_json_key(j, "plugins");
  sof_json_obj_begin(j);
  sof_json_key(j, "lanes");
  sof_json_obj_begin(j);
  for (int l = 0; l < SOF_HOST_LANE_CNT; l++) {
    sof_json_key(j, sof_host_lane_str(l));
    sof_json_obj_begin(j);
    sof_json_key(j, "enqueued");   sof_json_u64(j, hs->lane[l].enqueued);
    sof_json_key(j, "dropped");    sof_json_u64(j, hs->lane[l].dropped);
    sof_json_key(j, "dispatched"); sof_json_u64(j, hs->lane[l].dispatched);
    sof_json_key(j, "depthMax");   sof_json_u64(j, hs->lane[l].depth_max);
    sof_json_obj_end(j);
  }
  sof_json_obj_end(j);
  sof_json_key(j, "commitWaiting");  sof_json_u64(j, hs->commit_waiting);
  sof_json_key(j, "commitReleased"); sof_json_u64(j, hs->commit_released);
  sof_json_key(j, "commitDropped");  sof_json_u64(j, hs->commit_dropped);
  sof_json_key(j, "commitOrphaned"); sof_json_u64(j, hs->commit_orphaned);
  sof_json_key(j, "registered");
  sof_json_arr_begin(j);
  for (unsigned i = 0; i < sof_host_plugin_cnt(p->host); i++) sof_json_str(j, sof_host_plugin(p->host, i)->name);
  sof_json_arr_end(j);
  sof_json_obj_end(j);
  sof_json_obj_end(j);
  sof_json_newline(j);
  if (sof_json_ok(j)) fwrite(j->buf, 1, j->len, stderr);
  else fprintf(stderr, "sofd: summary too long for its buffer\n");
  return balanced;
}

/* ---- introspection -------------------------------------------------------------------------- */

/* Items a role instance dropped, all reasons (its own counters). */
static uint64_t
role_dropped(sofd_pipe_t const *p, int role, unsigned i) {
  uint64_t n = 0;
  switch (role) {
  case SOFD_ROLE_RX: {
    sofd_rx_inst_t const *r = &p->rx[i];
    for (unsigned k = 0; k <= SOF_PKT_ERR_CNT; k++) n += r->pkt_err[k];
    for (unsigned k = 0; k < SOFD_RX_DROP_CNT; k++) n += r->drop[k];
    for (unsigned k = 0; k <= SOF_SHRED_ERR_CNT; k++) n += r->malformed[k];
    for (unsigned k = 0; k < SOF_VERIFY_RESULT_CNT; k++) n += r->rejected[k];
    return n + r->events_dropped;
  }
  case SOFD_ROLE_FEC: {
    sofd_fec_inst_t const *f = &p->fec[i];
    return sof_ingest_stats(f->ing)->fate[SOF_INGEST_LATE] + f->arena_full + f->out.dropped +
           f->inline_arena_full;
  }
  case SOFD_ROLE_EXTRACT: return p->extract->decode_err + p->extract->out.dropped;
  case SOFD_ROLE_PLUGINS: {
    sof_host_stats_t const *hs = sof_host_stats(p->host);
    sofd_plugins_inst_t const *w = &p->plugins[i];
    for (unsigned l = w->idx; l < SOF_HOST_LANE_CNT; l += w->cnt) n += hs->lane[l].dropped;
    return n;
  }
  default: return 0;
  }
}

unsigned
sofd_pipe_role_cnt(sofd_pipe_t const *p) {
  unsigned n = 0;
  for (int r = 0; r < SOFD_ROLE_CNT; r++) n += p->cfg->role_cnt[r];
  return n;
}

int
sofd_pipe_role_info(sofd_pipe_t const *p, unsigned i, int *role, unsigned *instance,
                    unsigned *lcore, sofd_activity_t *act, unsigned *in_depth) {
  for (int r = 0; r < SOFD_ROLE_CNT; r++) {
    if (i >= p->cfg->role_cnt[r]) {
      i -= p->cfg->role_cnt[r];
      continue;
    }
    *role = r;
    *instance = i;
    *lcore = p->cfg->role_lcores[r][i];
    sofd_role_ref_t ref = {.role = r, .inst = i};
    *act = *sofd_activity_of((sofd_pipe_t *)p, &ref);
    act->dropped = role_dropped(p, r, i);
    act->held_cycles = r == SOFD_ROLE_FEC ? fec_held_cycles(&p->fec[i]) : 0;
    switch (r) {
    case SOFD_ROLE_RX: *in_depth = 0; break;
    case SOFD_ROLE_FEC: *in_depth = rte_ring_count(p->rx_fec[i]); break;
    case SOFD_ROLE_EXTRACT: *in_depth = rte_ring_count(p->fec_extract); break;
    case SOFD_ROLE_DISPATCH:
      *in_depth = rte_ring_count(p->extract_dispatch) + (p->events ? rte_ring_count(p->events) : 0);
      break;
    default: {
      unsigned d = 0;
      for (int l = 0; l < SOF_HOST_LANE_CNT; l++) d += sof_host_lane_depth(p->host, l);
      *in_depth = d;
    }
    }
    return 0;
  }
  return -1;
}

unsigned
sofd_pipe_ring_cnt(sofd_pipe_t const *p) {
  return p->cfg->role_cnt[SOFD_ROLE_FEC] + 2 + (p->events ? 1 : 0);
}

int
sofd_pipe_ring_info(sofd_pipe_t const *p, unsigned i, char const **name, unsigned *size,
                    unsigned *count, uint64_t *dropped, uint64_t *held) {
  unsigned nfec = p->cfg->role_cnt[SOFD_ROLE_FEC];
  struct rte_ring const *r;
  *dropped = *held = 0;
  if (i < nfec) {
    r = p->rx_fec[i];
    for (unsigned k = 0; k < p->cfg->role_cnt[SOFD_ROLE_RX]; k++) *dropped += p->rx[k].drop[SOFD_RX_DROP_RING_FULL];
    if (nfec > 1) *dropped = 0; /* per shard drops are not split: see rx_drop_ring_full */
  } else if (i == nfec) {
    r = p->fec_extract;
    for (unsigned k = 0; k < nfec; k++) {
      *dropped += p->fec[k].out.dropped;
      *held += p->fec[k].out.held;
    }
  } else if (i == nfec + 1) {
    r = p->extract_dispatch;
    *held = p->extract->out.held;
  } else if (i == nfec + 2 && p->events) {
    r = p->events;
    for (unsigned k = 0; k < p->cfg->role_cnt[SOFD_ROLE_RX]; k++) *dropped += p->rx[k].events_dropped;
  } else {
    return -1;
  }
  *name = r->name;
  *size = rte_ring_get_size(r);
  *count = rte_ring_count(r);
  return 0;
}

sof_host_t *
sofd_pipe_host(sofd_pipe_t const *p) {
  return p->host;
}

sof_race_group_t *
sofd_pipe_race(sofd_pipe_t const *p) {
  return p->race;
}

int
sofd_pipe_leader(sofd_pipe_t const *p, uint64_t *slot, uint8_t leader[32]) {
  sofd_dispatch_inst_t const *x = p->dispatch;
  if (!x->has_leader) return 0;
  *slot = x->leader_slot;
  memcpy(leader, x->leader, 32);
  return 1;
}

void
sofd_pipe_leader_view(sofd_pipe_t const *p, uint64_t *tip, uint64_t *unknown, uint64_t *unknown_slot1) {
  sof_forks_marks_t mk = sof_forks_marks(p->dispatch->forks);
  *tip = mk.tip == SOF_FORKS_SLOT_NONE ? 0 : mk.tip;
  *unknown = *unknown_slot1 = 0;
  for (unsigned i = 0; i < p->cfg->role_cnt[SOFD_ROLE_RX]; i++) {
    sofd_rx_inst_t const *r = &p->rx[i];
    *unknown += r->rejected[SOF_VERIFY_UNKNOWN_LEADER] + r->verified[SOF_VERIFY_UNKNOWN_LEADER];
    if (r->unknown_slot > *unknown_slot1) *unknown_slot1 = r->unknown_slot;
  }
}
