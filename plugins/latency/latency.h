/* latency.h: the latency plugin (descriptor sof_plugin_latency, name
 * "latency") and its telemetry renderer.
 *
 * For every event of the hooks it subscribes to (shred, dataset,
 * transaction: the events that carry sof_ev_time_t), it measures when its
 * callback runs, in nanoseconds, against two origins:
 *   fromRx          the RX burst that completed the event (time.rx_tsc)
 *   fromFirstShred  the first shred received of the event's slot
 *                   (time.first_shred_tsc)
 * so fromRx is the pipeline + queue + dispatch latency and fromFirstShred
 * adds how long the slot took to arrive. An origin of 0 (unknown) is
 * counted as unknown; an origin after the callback's clock (TSCs of two
 * cores not in step) as negative; neither enters the histogram.
 *
 * Histograms are log-linear (HDR-like): exact below 16 ns, then 16
 * sub-buckets per power of two, so a reported value is at most 1/16
 * (6.25%) above the true one; 976 buckets of 8 bytes, preallocated. A
 * percentile p is the smallest bucket upper bound that covers
 * ceil(p% x count) values, capped at the exact maximum.
 *
 * Other hooks (slot_status, reorg, recent_blockhash, leader_schedule,
 * cluster_topology) carry no time in the plugin API and are not measured.
 *
 * At shutdown it writes {"type":"latency", <fields>} as one JSON line to
 * stderr or its path key; sof_plugin_latency_render writes the same fields
 * as one object:
 *   "unit":"ns", "tscHz":H,
 *   "hooks":{"shred":{"fromRx":H,"fromFirstShred":H},"dataset":{...},
 *            "transaction":{...}}
 * with each H = {"count","unknown","negative","min","mean","p50","p90",
 * "p99","p999","max"} (p999: the 99.9th percentile; the values 0 when
 * count is 0). */
#ifndef SOF_PLUGIN_LATENCY_H
#define SOF_PLUGIN_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/sof_plugin.h"

extern sof_plugin_t const sof_plugin_latency;

/* sof_plugin_latency_render writes the histograms' summaries of the
 * instance whose setup returned state, as one JSON object (NUL-terminated)
 * into buf. Returns its length, or -1 when sz is too small (buf then holds
 * ""). Safe from any thread while the hooks run (relaxed atomic loads: one
 * render may mix moments). Allocates nothing. */
int sof_plugin_latency_render(void *state, char *buf, size_t sz);

/* sof_plugin_latency_record is what each hook does, with its own clock
 * reading as now_tsc: records now_tsc against both origins of t for hook
 * (SOF_HOOK_SHRED, _DATASET or _TRANSACTION; others are ignored). For
 * tests and for a host that measures elsewhere; same threading as a hook. */
void sof_plugin_latency_record(void *state, int hook, uint64_t now_tsc, sof_ev_time_t const *t);

#endif /* SOF_PLUGIN_LATENCY_H */
