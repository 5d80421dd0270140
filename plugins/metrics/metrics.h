/* metrics.h: the metrics plugin (descriptor sof_plugin_metrics, name
 * "metrics") and its telemetry renderer.
 *
 * It counts what SOF's example plugin counts: received packets and bytes
 * (raw_packet hook), shreds split data / code (shred), datasets (dataset),
 * transactions by kind (transaction), packets by UDP source port, and the
 * receive rate over the run (first to last packet). At shutdown it writes
 * one JSON line, {"type":"metrics", <the fields below>}, to stderr or to
 * its path key.
 *
 * Fields (also what sof_plugin_metrics_render writes, as one object):
 *   packets, bytes, shreds, dataShreds, codeShreds, datasets,
 *   datasetPayloadBytes, recoveredShreds, lastInSlotDatasets, transactions,
 *   transactionsByKind {non_vote, vote_only, mixed},
 *   sourcePorts (distinct ports seen),
 *   packetsBySourcePort [{"port":P,"packets":N}, ... the top_ports busiest,
 *   most packets first, then {"port":"other","packets":N}],
 *   seconds (first to last packet), packetsPerSec, mibPerSec.
 *
 * Events the host dropped before they reached the plugin (full lanes) are
 * the host's counters (sof_host_stats), not these: these count what was
 * delivered. */
#ifndef SOF_PLUGIN_METRICS_H
#define SOF_PLUGIN_METRICS_H

#include <stddef.h>

#include "plugin/sof_plugin.h"

extern sof_plugin_t const sof_plugin_metrics;

/* sof_plugin_metrics_render writes the counters of the instance whose
 * setup returned state, as one JSON object (NUL-terminated) into buf.
 * Returns its length, or -1 when sz is too small (buf then holds "").
 * Safe from any thread while the hooks run (counters are read with
 * relaxed atomic loads: one render may mix moments, never tears a value).
 * Allocates nothing; costs a scan of the 65536 per-port counters. */
int sof_plugin_metrics_render(void *state, char *buf, size_t sz);

#endif /* SOF_PLUGIN_METRICS_H */
