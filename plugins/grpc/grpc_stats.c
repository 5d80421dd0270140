/* grpc_stats.c: the grpc server's counters and subscribers for telemetry:
 * JSON (/sof/plugins, /plugins/grpc) and Prometheus text (/metrics).
 * Any thread: counters are relaxed atomics, the subscribers a snapshot the
 * server thread refreshes every 100 ms (grpc_h2.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "../common/sof_pcounter.h"
#include "grpc_int.h"

static int
jput(char *buf, size_t sz, size_t *off, char const *fmt, ...) __attribute__((format(printf, 4, 5)));
static int
jput(char *buf, size_t sz, size_t *off, char const *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = *off < sz ? vsnprintf(buf + *off, sz - *off, fmt, ap) : 0;
  va_end(ap);
  if (n < 0) return -1;
  *off += (size_t)n;
  return 0;
}

#define LD(f) (unsigned long long)atomic_load_explicit(&s->st.f, memory_order_relaxed)

int
grpc_srv_render(grpc_srv_t *s, char *buf, size_t sz) {
  if (!buf || !sz) return -1;
  size_t off = 0;
  grpc_thread_info_t ti;
  grpc_srv_thread_info(s, &ti);
  jput(buf, sz, &off,
       "{\"port\":%u,\"connections\":%llu,\"connectionsAccepted\":%llu,\"connectionsRefused\":%llu,"
       "\"connectionsClosed\":%llu,\"connectionsIdleClosed\":%llu,\"connectionsStalledClosed\":%llu,"
       "\"h2Errors\":%llu,"
       "\"calls\":%llu,\"callsUnimplemented\":%llu,\"callsUnauthenticated\":%llu,"
       "\"callsBadRequest\":%llu,\"callsRefused\":%llu,\"subscribers\":%llu,\"requests\":%llu,"
       "\"updatesSent\":%llu,\"bytesSent\":%llu,\"lost\":%llu,\"laggingDropped\":%llu,"
       "\"pingsSent\":%llu,\"ringRecords\":%llu,\"ringTransactions\":%llu,\"ringTooBig\":%llu,\"chainLost\":%llu,"
       "\"hookCalls\":%llu,\"hookNs\":%llu,\"serverThreadCpuNs\":%llu,"
       "\"commitHeld\":%llu,\"commitReleased\":%llu,\"commitDroppedDead\":%llu,"
       "\"commitHoldFull\":%llu,\"commitLost\":%llu,"
       "\"policyErrors\":%llu,\"idlePollPasses\":%llu,"
       "\"serverThread\":{\"tid\":%d,\"cpus\":\"%s\",\"policy\":\"%s\",\"priority\":%d,\"spinUs\":%u,"
       "\"idlePoll\":%s},"
       "\"subscriberList\":[",
       s->port, LD(conns_open), LD(conns_accepted), LD(conns_refused), LD(conns_closed),
       LD(conns_idle_closed), LD(conns_stalled_closed), LD(h2_errors), LD(calls), LD(calls_unimplemented),
       LD(calls_unauthenticated), LD(calls_bad_request), LD(calls_refused), LD(subscribers),
       LD(requests), LD(updates_sent), LD(bytes_sent), LD(lost), LD(lagging_dropped),
       LD(pings_sent), (unsigned long long)atomic_load(&s->ring.next_seq), LD(txn_records),
       (unsigned long long)s->ring.too_big, LD(chain_lost), LD(hook_calls),
       (unsigned long long)(s->tsc_hz ? (double)LD(hook_cycles) * 1e9 / (double)s->tsc_hz : 0),
       LD(thread_cpu_ns), LD(commit_held), LD(commit_released), LD(commit_dropped_dead),
       LD(commit_hold_full), LD(commit_lost), LD(policy_errors), LD(idle_poll_passes), ti.tid, ti.cpus,
       ti.fifo ? "SCHED_FIFO" : "SCHED_OTHER", ti.priority, ti.spin_us, ti.idle_poll ? "true" : "false");
  pthread_mutex_lock(&s->snap_mu);
  for (uint32_t i = 0; i < s->snap_cnt; i++) {
    grpc_sub_info_t const *x = &s->snap[i];
    jput(buf, sz, &off,
         "%s{\"connection\":%u,\"stream\":%u,\"method\":\"%s\",\"peer\":\"%s\",\"sent\":%llu,"
         "\"lost\":%llu,\"lag\":%llu,\"queuedBytes\":%llu,\"held\":%llu}",
         i ? "," : "", x->conn_id, x->stream_id, x->method, x->peer, (unsigned long long)x->sent,
         (unsigned long long)x->lost, (unsigned long long)x->lag,
         (unsigned long long)x->queued_bytes, (unsigned long long)x->held);
  }
  pthread_mutex_unlock(&s->snap_mu);
  jput(buf, sz, &off, "]}");
  if (off >= sz) {
    buf[0] = 0;
    return -1;
  }
  return (int)off;
}

/* Prometheus (/metrics): the server's families and one series per
 * subscriber go through the plugin counter registry (sof_pcounter.h,
 * owner "grpc"): sof_grpc_<family>[_total], subscribers labelled by their
 * connection and stream ids, method and peer. Not flat telemetry keys:
 * /sof/plugins shows grpc_srv_render's object. */
static sof_pcounter_t const grpc_pc[] = {
  {"connections", NULL, NULL, "gRPC connections open", 1, 0},
  {"connections_accepted", NULL, NULL, "gRPC connections accepted", 0, 0},
  {"connections_refused", NULL, NULL, "gRPC connections refused: max_connections", 0, 0},
  {"connections_idle_closed", NULL, NULL, "gRPC connections closed: no call for idle_timeout_ms", 0, 0},
  {"connections_stalled_closed", NULL, NULL, "gRPC connections closed: the peer took no byte for idle_timeout_ms", 0, 0},
  {"h2_errors", NULL, NULL, "HTTP/2 sessions ended on a protocol error", 0, 0},
  {"calls", NULL, NULL, "gRPC calls started", 0, 0},
  {"calls_unimplemented", NULL, NULL, "calls of a method sofd does not serve", 0, 0},
  {"calls_unauthenticated", NULL, NULL, "calls refused: x-token missing or wrong", 0, 0},
  {"calls_bad_request", NULL, NULL, "calls ended INVALID_ARGUMENT, RESOURCE_EXHAUSTED or UNIMPLEMENTED by their request", 0, 0},
  {"calls_refused", NULL, NULL, "streaming calls refused: max_subscribers", 0, 0},
  {"subscribers", NULL, NULL, "streaming calls open", 1, 0},
  {"requests", NULL, NULL, "subscription requests applied", 0, 0},
  {"updates_sent", NULL, NULL, "updates framed for subscribers", 0, 0},
  {"bytes_sent", NULL, NULL, "gRPC message bytes framed for subscribers", 0, 0},
  {"updates_lost", NULL, NULL, "updates subscribers lost: overwritten in the ring before they read them", 0, 0},
  {"subscribers_lagging_dropped", NULL, NULL, "subscribers ended for lagging past max_lag", 0, 0},
  {"pings_sent", NULL, NULL, "server pings sent on subscriptions", 0, 0},
  {"chain_lost", NULL, NULL, "ring records the server thread itself lost (chain state)", 0, 0},
  {"commit_held", NULL, NULL, "records held for CONFIRMED / FINALIZED subscribers until their slot's status", 0, 0},
  {"commit_released", NULL, NULL, "held records sent once their slot reached the subscriber's commitment", 0, 0},
  {"commit_dropped_dead", NULL, NULL, "records of a slot that died or left the chain before reaching a subscriber's commitment", 0, 0},
  {"commit_hold_full", NULL, NULL, "records a subscriber lost: past commit_hold_max held", 0, 0},
  {"commit_lost", NULL, NULL, "held records the ring overwrote before their slot's status (ring_bytes too small for the commitment's delay)", 0, 0},
  {"hook_calls", NULL, NULL, "calls of the plugin's hooks (lane workers)", 0, 0},
  {"ring_records", NULL, NULL, "records the plugin's hooks encoded into the ring", 0, 0},
  {"ring_transactions", NULL, NULL, "transaction records encoded (simple votes only while a subscriber's filter can take one)", 0, 0},
  {"server_thread_rt_priority", NULL, NULL, "the server thread's SCHED_FIFO priority (0: SCHED_OTHER)", 1, 0},
  {"server_thread_policy_errors", NULL, NULL, "idle_poll: policy switches of the server thread the kernel refused", 0, 0},
};
#define GRPC_PC_N (sizeof grpc_pc / sizeof grpc_pc[0])

static sof_pcounter_t const grpc_sub_pc[] = {
  {"subscriber_sent", NULL, NULL, "updates sent to one subscriber", 0, 0},
  {"subscriber_lost", NULL, NULL, "updates one subscriber lost (the ring overwrote them)", 0, 0},
  {"subscriber_lag", NULL, NULL, "records one subscriber has not read yet", 1, 0},
  {"subscriber_queued_bytes", NULL, NULL, "bytes encoded for one subscriber, not yet taken by its connection", 1, 0},
  {"subscriber_held", NULL, NULL, "records held for one subscriber's commitment", 1, 0},
};
static char const *const grpc_sub_keys[] = {"connection", "stream", "method", "peer", NULL};

/* the value pointers of grpc_pc[], in its order (one grpc server per
 * process: the registry's owner is "grpc") */
static uint64_t const *grpc_pc_ptrs[GRPC_PC_N];

/* the subscribers of the last snapshot (registry mutex held; takes snap_mu) */
static void
grpc_each_sub(void *state, sof_pcounter_visit_fn visit, void *ctx) {
  grpc_srv_t *s = state;
  pthread_mutex_lock(&s->snap_mu);
  for (uint32_t i = 0; i < s->snap_cnt; i++) {
    grpc_sub_info_t const *x = &s->snap[i];
    char conn[12], stream[12];
    snprintf(conn, sizeof conn, "%u", x->conn_id);
    snprintf(stream, sizeof stream, "%u", x->stream_id);
    char const *vals[] = {conn, stream, x->method, x->peer};
    uint64_t const v[] = {x->sent, x->lost, x->lag, x->queued_bytes, x->held};
    visit(ctx, vals, v);
  }
  pthread_mutex_unlock(&s->snap_mu);
}

#define PTR(f) ((uint64_t const *)&s->st.f)

int
grpc_srv_counters_register(grpc_srv_t *s, char *err, size_t err_sz) {
  uint64_t const *p[] = {
    PTR(conns_open), PTR(conns_accepted), PTR(conns_refused), PTR(conns_idle_closed),
    PTR(conns_stalled_closed), PTR(h2_errors), PTR(calls), PTR(calls_unimplemented),
    PTR(calls_unauthenticated), PTR(calls_bad_request), PTR(calls_refused), PTR(subscribers),
    PTR(requests), PTR(updates_sent), PTR(bytes_sent), PTR(lost), PTR(lagging_dropped),
    PTR(pings_sent), PTR(chain_lost), PTR(commit_held), PTR(commit_released),
    PTR(commit_dropped_dead), PTR(commit_hold_full), PTR(commit_lost), PTR(hook_calls),
    (uint64_t const *)&s->ring.next_seq, PTR(txn_records), &s->rt_priority, PTR(policy_errors),
  };
  _Static_assert(sizeof p / sizeof p[0] == GRPC_PC_N, "one pointer per grpc_pc entry");
  memcpy(grpc_pc_ptrs, p, sizeof p);
  sof_pcounter_group_t const g = {
    .owner = "grpc", .telemetry = 0, .c = grpc_pc, .n = GRPC_PC_N, .ptrs = grpc_pc_ptrs,
    .inst = grpc_sub_pc, .inst_n = sizeof grpc_sub_pc / sizeof grpc_sub_pc[0], .inst_keys = grpc_sub_keys,
    .each = grpc_each_sub, .state = s,
  };
  return sof_pcounter_register(&g, err, err_sz);
}

void
grpc_srv_counters_unregister(void) {
  sof_pcounter_unregister("grpc");
}
