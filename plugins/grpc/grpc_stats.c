/* grpc_stats.c: the grpc server's counters and subscribers for telemetry:
 * JSON (/sof/plugins, /plugins/grpc) and Prometheus text (/metrics).
 * Any thread: counters are relaxed atomics, the subscribers a snapshot the
 * server thread refreshes every 100 ms (grpc_h2.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

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
  jput(buf, sz, &off,
       "{\"port\":%u,\"connections\":%llu,\"connectionsAccepted\":%llu,\"connectionsRefused\":%llu,"
       "\"connectionsClosed\":%llu,\"connectionsIdleClosed\":%llu,\"connectionsStalledClosed\":%llu,"
       "\"h2Errors\":%llu,"
       "\"calls\":%llu,\"callsUnimplemented\":%llu,\"callsUnauthenticated\":%llu,"
       "\"callsBadRequest\":%llu,\"callsRefused\":%llu,\"subscribers\":%llu,\"requests\":%llu,"
       "\"updatesSent\":%llu,\"bytesSent\":%llu,\"lost\":%llu,\"laggingDropped\":%llu,"
       "\"pingsSent\":%llu,\"ringRecords\":%llu,\"ringTooBig\":%llu,\"chainLost\":%llu,"
       "\"hookCalls\":%llu,\"hookNs\":%llu,\"serverThreadCpuNs\":%llu,"
       "\"commitHeld\":%llu,\"commitReleased\":%llu,\"commitDroppedDead\":%llu,"
       "\"commitHoldFull\":%llu,\"commitLost\":%llu,"
       "\"subscriberList\":[",
       s->port, LD(conns_open), LD(conns_accepted), LD(conns_refused), LD(conns_closed),
       LD(conns_idle_closed), LD(conns_stalled_closed), LD(h2_errors), LD(calls), LD(calls_unimplemented),
       LD(calls_unauthenticated), LD(calls_bad_request), LD(calls_refused), LD(subscribers),
       LD(requests), LD(updates_sent), LD(bytes_sent), LD(lost), LD(lagging_dropped),
       LD(pings_sent), (unsigned long long)atomic_load(&s->ring.next_seq),
       (unsigned long long)s->ring.too_big, LD(chain_lost), LD(hook_calls),
       (unsigned long long)(s->tsc_hz ? (double)LD(hook_cycles) * 1e9 / (double)s->tsc_hz : 0),
       LD(thread_cpu_ns), LD(commit_held), LD(commit_released), LD(commit_dropped_dead),
       LD(commit_hold_full), LD(commit_lost));
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

/* Prometheus: the server's families, then per subscriber (labels: its
 * connection and stream ids, method and peer). */
int
grpc_srv_prom(grpc_srv_t *s, char *buf, size_t sz) {
  if (!buf || !sz) return -1;
  size_t off = 0;
  static struct { char const *name, *help; int gauge; size_t at; } const fam[] = {
    {"connections", "gRPC connections open", 1, offsetof(grpc_srv_stats_t, conns_open)},
    {"connections_accepted_total", "gRPC connections accepted", 0, offsetof(grpc_srv_stats_t, conns_accepted)},
    {"connections_refused_total", "gRPC connections refused: max_connections", 0, offsetof(grpc_srv_stats_t, conns_refused)},
    {"connections_idle_closed_total", "gRPC connections closed: no call for idle_timeout_ms", 0, offsetof(grpc_srv_stats_t, conns_idle_closed)},
    {"connections_stalled_closed_total", "gRPC connections closed: the peer took no byte for idle_timeout_ms", 0, offsetof(grpc_srv_stats_t, conns_stalled_closed)},
    {"h2_errors_total", "HTTP/2 sessions ended on a protocol error", 0, offsetof(grpc_srv_stats_t, h2_errors)},
    {"calls_total", "gRPC calls started", 0, offsetof(grpc_srv_stats_t, calls)},
    {"calls_unimplemented_total", "calls of a method sofd does not serve", 0, offsetof(grpc_srv_stats_t, calls_unimplemented)},
    {"calls_unauthenticated_total", "calls refused: x-token missing or wrong", 0, offsetof(grpc_srv_stats_t, calls_unauthenticated)},
    {"calls_bad_request_total", "calls ended INVALID_ARGUMENT, RESOURCE_EXHAUSTED or UNIMPLEMENTED by their request", 0, offsetof(grpc_srv_stats_t, calls_bad_request)},
    {"calls_refused_total", "streaming calls refused: max_subscribers", 0, offsetof(grpc_srv_stats_t, calls_refused)},
    {"subscribers", "streaming calls open", 1, offsetof(grpc_srv_stats_t, subscribers)},
    {"requests_total", "subscription requests applied", 0, offsetof(grpc_srv_stats_t, requests)},
    {"updates_sent_total", "updates framed for subscribers", 0, offsetof(grpc_srv_stats_t, updates_sent)},
    {"bytes_sent_total", "gRPC message bytes framed for subscribers", 0, offsetof(grpc_srv_stats_t, bytes_sent)},
    {"updates_lost_total", "updates subscribers lost: overwritten in the ring before they read them", 0, offsetof(grpc_srv_stats_t, lost)},
    {"subscribers_lagging_dropped_total", "subscribers ended for lagging past max_lag", 0, offsetof(grpc_srv_stats_t, lagging_dropped)},
    {"pings_sent_total", "server pings sent on subscriptions", 0, offsetof(grpc_srv_stats_t, pings_sent)},
    {"chain_lost_total", "ring records the server thread itself lost (chain state)", 0, offsetof(grpc_srv_stats_t, chain_lost)},
    {"commit_held_total", "records held for CONFIRMED / FINALIZED subscribers until their slot's status", 0, offsetof(grpc_srv_stats_t, commit_held)},
    {"commit_released_total", "held records sent once their slot reached the subscriber's commitment", 0, offsetof(grpc_srv_stats_t, commit_released)},
    {"commit_dropped_dead_total", "records of a slot that died or left the chain before reaching a subscriber's commitment", 0, offsetof(grpc_srv_stats_t, commit_dropped_dead)},
    {"commit_hold_full_total", "records a subscriber lost: past commit_hold_max held", 0, offsetof(grpc_srv_stats_t, commit_hold_full)},
    {"commit_lost_total", "held records the ring overwrote before their slot's status (ring_bytes too small for the commitment's delay)", 0, offsetof(grpc_srv_stats_t, commit_lost)},
    {"hook_calls_total", "calls of the plugin's hooks (lane workers)", 0, offsetof(grpc_srv_stats_t, hook_calls)},
  };
  for (size_t i = 0; i < sizeof fam / sizeof fam[0]; i++) {
    _Atomic uint64_t const *v = (_Atomic uint64_t const *)((char const *)&s->st + fam[i].at);
    jput(buf, sz, &off, "# HELP sof_grpc_%s %s\n# TYPE sof_grpc_%s %s\nsof_grpc_%s %llu\n",
         fam[i].name, fam[i].help, fam[i].name, fam[i].gauge ? "gauge" : "counter", fam[i].name,
         (unsigned long long)atomic_load_explicit(v, memory_order_relaxed));
  }
  jput(buf, sz, &off, "# HELP sof_grpc_ring_records_total records the plugin's hooks encoded into the ring\n"
                      "# TYPE sof_grpc_ring_records_total counter\nsof_grpc_ring_records_total %llu\n",
       (unsigned long long)atomic_load(&s->ring.next_seq));
  static struct { char const *name, *help; int gauge; } const sub[] = {
    {"subscriber_sent_total", "updates sent to one subscriber", 0},
    {"subscriber_lost_total", "updates one subscriber lost (the ring overwrote them)", 0},
    {"subscriber_lag", "records one subscriber has not read yet", 1},
    {"subscriber_queued_bytes", "bytes encoded for one subscriber, not yet taken by its connection", 1},
    {"subscriber_held", "records held for one subscriber's commitment", 1},
  };
  pthread_mutex_lock(&s->snap_mu);
  for (size_t k = 0; k < sizeof sub / sizeof sub[0]; k++) {
    jput(buf, sz, &off, "# HELP sof_grpc_%s %s\n# TYPE sof_grpc_%s %s\n", sub[k].name, sub[k].help,
         sub[k].name, sub[k].gauge ? "gauge" : "counter");
    for (uint32_t i = 0; i < s->snap_cnt; i++) {
      grpc_sub_info_t const *x = &s->snap[i];
      uint64_t v = k == 0 ? x->sent : k == 1 ? x->lost : k == 2 ? x->lag : k == 3 ? x->queued_bytes : x->held;
      jput(buf, sz, &off,
           "sof_grpc_%s{connection=\"%u\",stream=\"%u\",method=\"%s\",peer=\"%s\"} %llu\n",
           sub[k].name, x->conn_id, x->stream_id, x->method, x->peer, (unsigned long long)v);
    }
  }
  pthread_mutex_unlock(&s->snap_mu);
  if (off >= sz) {
    buf[0] = 0;
    return -1;
  }
  return (int)off;
}
