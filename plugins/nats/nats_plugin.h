/* nats_plugin.h: the nats plugin (descriptor sof_plugin_nats, name "nats"):
 * sofd's events published to a NATS JetStream stream, so consumers on
 * other hosts read them durably, resume after a restart and replay, and
 * several sofd instances merge into one stream (docs/scale-out.md).
 *
 * What it publishes (config key events): transactions (with Yellowstone's
 * transaction filter keys as the static prefilter), slot status, reorgs,
 * recent blockhashes, leader changes, and datasets when asked. Subjects,
 * under subject_prefix P (default "sof"):
 *
 *   P.tx.non_vote | P.tx.vote_only | P.tx.mixed   a transaction, by kind
 *   P.slot                                         a slot_status event
 *   P.reorg                                        a reorg
 *   P.blockhash                                    a recent blockhash
 *   P.leader                                       a leader_schedule event
 *   P.dataset                                      a dataset (events = ...,dataset)
 *
 * Payloads (format = json): the JSON objects of txlog and slotlog
 * (docs/plugins.md), one per message, no newline. format = protobuf: the
 * grpc plugin's geyser messages, encoded by lib/geyser/sof_geyser_pb.h:
 * transactions and slot statuses as geyser.SubscribeUpdate (no filter
 * names; created_at the event's RX time, else the publish time), recent
 * blockhashes as geyser.GetLatestBlockhashResponse, reorgs, leader changes
 * and datasets as their JSON (geyser has no message for them); each
 * message then names its payload in a Sof-Schema header
 * ("geyser.SubscribeUpdate", "geyser.GetLatestBlockhashResponse",
 * "json"). Every message carries a
 * Nats-Msg-Id derived from the event alone, the same in every sofd that
 * sees the event, so the stream's duplicate window stores it once:
 *
 *   tx:<slot>:<first signature, base58>
 *   slot:<slot>:<status>            (status events)
 *   slot:<slot>:first_shred | slot:<slot>:complete   (the two moments)
 *   reorg:<old tip>:<new tip>
 *   bh:<slot>:<blockhash>
 *   leader:<snapshot|current>:<first slot>:<first leader or "none">
 *   ds:<slot>:<start index>
 *
 * With latency_header = true a message also carries Sof-Rx-Ns: the UNIX
 * time in ns of the RX burst that completed the event (bench/).
 *
 * Threads and bounds. The hooks run on sofd's plugin lanes and only copy
 * the event (a transaction's bytes, or the small event struct) into a
 * single-producer / single-consumer byte queue preallocated at setup
 * (queue_bytes): no allocation, lock, system call or formatting there; an
 * event that finds the queue full is dropped and counted (dropped
 * {reason="queue_full"}). The plugin's own publisher thread takes the
 * events off the queue, formats them and publishes them with libnats's
 * asynchronous JetStream publish: at most max_pending publishes wait for
 * their ack; past that the publisher waits (the queue absorbs, then drops
 * new). While disconnected, libnats buffers publishes (reconnect_buf_bytes)
 * and reconnects with exponential backoff (reconnect_wait_ms doubling up to
 * reconnect_wait_max_ms, forever); an event that finds the buffer or the
 * pending set full while disconnected is lost and counted
 * (lost{reason="disconnected"}). A publish without ack after ack_wait_ms,
 * or refused for want of a responder (no JetStream leader yet), is resent
 * by the publisher thread with the same Nats-Msg-Id (retries), so the
 * stream still stores it once. A negative ack from the server (e.g. the
 * stream's limits) is lost{reason="nack"}. At shutdown the publisher drains
 * the queue and waits for acks until drain_ms, then counts what is left as
 * lost{reason="shutdown"}.
 *
 * Accounting: events = dropped + acked + lost + in flight, exactly; acked
 * events are in the stream (duplicates: acks saying another instance, or an
 * earlier try, stored it first). The counters (sof_pcounter, owner "nats")
 * are in /sof/plugins telemetry (nats_<counter>), in Prometheus
 * (sof_nats_<counter>_total, docs/metrics.md) and in the plugin's JSON
 * (sof_plugin_nats_render, /plugins/nats); a summary line goes to stderr at
 * shutdown.
 *
 * Setup connects (connect_timeout_ms), then creates the stream from the
 * config (subjects P.>, max_age_s, max_bytes, replicas, duplicate_window_ms,
 * storage) or, when it exists, checks that its config matches: a mismatch,
 * an unreachable server or a server without JetStream is a setup error
 * naming the difference. One instance per process.
 *
 * Exit status: the dropped and lost counters are registered as losses
 * (sof_pcounter_t.loss): any at exit makes sofd exit 1. */
#ifndef SOF_PLUGIN_NATS_H
#define SOF_PLUGIN_NATS_H

#include <stddef.h>

#include "plugin/sof_plugin.h"

extern sof_plugin_t const sof_plugin_nats;

/* sof_plugin_nats_render: the counters as one JSON object into buf;
 * returns its length, or -1 when sz is too small. Any thread. */
int sof_plugin_nats_render(void *state, char *buf, size_t sz);

#endif /* SOF_PLUGIN_NATS_H */
