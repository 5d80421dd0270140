/* grpc_srv.h: the gRPC server of the grpc plugin (internal to
 * plugins/grpc): one thread, epoll, HTTP/2 by libnghttp2's server API,
 * gRPC's length-prefixed messages, the Geyser and ShredstreamProxy
 * methods.
 *
 *   grpc_h2.c      sockets, epoll loop, nghttp2 sessions, streams, limits
 *   grpc_svc.c     the methods: request decoding (protobuf-c), unary
 *                  answers, streaming from the broadcast ring
 *   grpc_filter.c  SubscribeRequest / SubscribeDeshredRequest filters
 *   grpc_pb.h      the data path's protobuf encodings (names for lib/geyser)
 *   grpc_ring.c    the broadcast ring the plugin's hooks fill
 *   grpc_stats.c   counters and subscribers as JSON and Prometheus text
 *
 * Threads. The plugin's hooks (lane workers) only write the ring and a few
 * atomics (grpc_srv_t.want_*, sleeping); everything else here is owned by
 * the server thread, except the counters in grpc_srv_stats_t, which any
 * thread may read (relaxed atomics) for telemetry. The fuzz target drives
 * the same code without a thread or sockets (grpc_srv_new with no listen
 * address, grpc_conn_feed).
 *
 * Memory bounds: the ring (ring_bytes); per connection an nghttp2 session
 * (bounded by its settings: max_streams_per_conn concurrent streams,
 * header list, window) and a write buffer of GRPC_CONN_WBUF bytes; per
 * stream a request buffer of at most max_request_bytes and, for streams
 * that send, an output buffer of stream_buffer_bytes; at most
 * max_connections connections and max_subscribers streaming subscribers. */
#ifndef SOF_GRPC_SRV_H
#define SOF_GRPC_SRV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "grpc_ring.h"

/* gRPC status codes (grpc/doc/statuscodes.md). */
#define GRPC_OK                  0
#define GRPC_CANCELLED           1
#define GRPC_UNKNOWN             2
#define GRPC_INVALID_ARGUMENT    3
#define GRPC_NOT_FOUND           5
#define GRPC_RESOURCE_EXHAUSTED  8
#define GRPC_FAILED_PRECONDITION 9
#define GRPC_UNIMPLEMENTED       12
#define GRPC_INTERNAL            13
#define GRPC_UNAVAILABLE         14
#define GRPC_UNAUTHENTICATED     16

#define GRPC_CONN_WBUF   (64U << 10) /* socket bytes nghttp2 produced that the kernel did not take yet */
#define GRPC_REC_MAX     (1U << 20)  /* largest ring record payload (a dataset) */
#define GRPC_BH_MAX      512U        /* observed blockhashes kept for the unary methods */
#define GRPC_NAME_MAX    128U        /* a filter name (Yellowstone's default limit) */
#define GRPC_CPU_MAX     1024U       /* CPUs a `cpus` list may name (glibc's CPU_SETSIZE) */

/* Configuration ([plugin.grpc], docs/configuration.md). */
typedef struct grpc_cfg {
  char     listen[128];         /* HOST:PORT; "" in the fuzz target */
  char     x_token[256];        /* "" : no authentication */
  uint64_t ring_bytes;
  uint32_t max_connections;
  uint32_t max_subscribers;     /* streaming calls at once, all connections */
  uint32_t max_streams_per_conn;
  uint32_t max_request_bytes;   /* one gRPC request message */
  uint32_t stream_buffer_bytes; /* per streaming call, encoded updates waiting for the socket */
  uint64_t max_lag;             /* records a subscriber may be behind before it is dropped */
  uint32_t ping_interval_ms;    /* server pings on Subscribe / SubscribeDeshred streams; 0 none */
  uint32_t idle_timeout_ms;     /* a connection with no call open for this long is closed */
  uint32_t max_filters;         /* filters per request, all kinds */
  uint32_t max_keys;            /* account keys per request, all filters */
  uint32_t spin_us;             /* the server thread polls the ring this long before sleeping */
  uint32_t idle_poll;           /* 1: between passes it polls the ring at SCHED_IDLE instead of sleeping */
  uint32_t commit_hold_max;     /* per CONFIRMED / FINALIZED subscriber: records held at once (grpc_commit.h) */
  /* The server thread's placement (grpc_srv_start). cpus_set 0: every
   * online CPU but the caller's (the default); else the CPUs whose bits
   * are set in cpus (bit i of word i / 64: CPU i). sched_priority 0: the
   * default policy (SCHED_OTHER, inherited nice); 1..99: SCHED_FIFO at
   * that priority. */
  int      cpus_set;
  uint64_t cpus[GRPC_CPU_MAX / 64];
  uint32_t sched_priority;
} grpc_cfg_t;

/* grpc_cpus_parse: a CPU list ("1", "1-3", "0,2-3"; blanks around items
 * allowed) into mask (GRPC_CPU_MAX bits, cleared first). CPUs at or past
 * ncpu (the machine's configured CPUs) are refused. 0, or -1 with a
 * message in err ("cpus: ..."). Any thread; no allocation. */
int grpc_cpus_parse(char const *list, unsigned ncpu, uint64_t mask[GRPC_CPU_MAX / 64], char *err,
                    size_t err_sz);
/* grpc_cpus_format: mask as a CPU list ("0,2-3"; "" when empty) into buf. */
void grpc_cpus_format(uint64_t const mask[GRPC_CPU_MAX / 64], char *buf, size_t sz);

/* The server thread as it runs (grpc_srv_thread_info): what the kernel
 * applied, read back after the thread started. */
typedef struct grpc_thread_info {
  int      tid;             /* the thread's id (/proc/PID/task/TID), 0 until it ran */
  int      fifo;            /* 1: SCHED_FIFO; 0: SCHED_OTHER */
  int      priority;        /* its real-time priority (0 under SCHED_OTHER) */
  char     cpus[128];       /* the CPUs it may run on, as a CPU list */
  uint32_t spin_us;         /* its idle spin (grpc_cfg_t.spin_us) */
  int      idle_poll;       /* grpc_cfg_t.idle_poll */
} grpc_thread_info_t;

/* Counters (telemetry / Prometheus; relaxed atomics, any thread reads). */
typedef struct grpc_srv_stats {
  _Atomic uint64_t conns_accepted, conns_refused, conns_closed, conns_idle_closed, conns_stalled_closed,
                   conns_open;
  _Atomic uint64_t h2_errors;        /* sessions ended on a protocol error */
  _Atomic uint64_t calls, calls_unimplemented, calls_unauthenticated, calls_bad_request,
                   calls_refused;    /* calls, by outcome */
  _Atomic uint64_t subscribers;      /* gauge: streaming calls open */
  _Atomic uint64_t updates_sent, bytes_sent;
  _Atomic uint64_t lost;             /* updates subscribers lost (ring overwrote them) */
  _Atomic uint64_t lagging_dropped;  /* subscribers ended for lagging past max_lag */
  _Atomic uint64_t requests;         /* SubscribeRequests applied */
  _Atomic uint64_t pings_sent;
  _Atomic uint64_t hook_calls, hook_cycles; /* producer side: the plugin's hooks, their TSC cycles */
  _Atomic uint64_t txn_records;      /* producer side: transaction records encoded */
  _Atomic uint64_t policy_errors;    /* idle_poll: a policy switch the kernel refused */
  _Atomic uint64_t idle_poll_passes; /* idle_poll: returns from SCHED_IDLE to the configured policy */
  _Atomic uint64_t thread_cpu_ns;    /* the server thread's CPU time */
  _Atomic uint64_t chain_lost;       /* records the server thread itself lost (chain state) */
  /* commitment above processed (grpc_commit.h) */
  _Atomic uint64_t commit_held;      /* records held for a subscriber until their slot's status */
  _Atomic uint64_t commit_released;  /* held records sent */
  _Atomic uint64_t commit_dropped_dead; /* held (or later) records of a slot that died / left the chain */
  _Atomic uint64_t commit_hold_full; /* records not held: past commit_hold_max (lost to that subscriber) */
  _Atomic uint64_t commit_lost;      /* held records the ring overwrote before their release */
} grpc_srv_stats_t;

/* Per-subscriber figures for telemetry (grpc_srv_subscribers). */
typedef struct grpc_sub_info {
  uint32_t conn_id, stream_id;
  char     method[24];
  char     peer[48];
  uint64_t sent, lost, lag, queued_bytes;
  uint64_t held;      /* records held for the subscriber's commitment */
} grpc_sub_info_t;

typedef struct grpc_srv grpc_srv_t;
typedef struct grpc_conn grpc_conn_t;
typedef struct grpc_stream grpc_stream_t;
typedef struct grpc_filters grpc_filters_t;

/* grpc_srv_new: the server with its ring; with cfg->listen set, binds and
 * listens (errors: "listen: ..." in err) but does not start the thread.
 * NULL on error. Setup thread. */
grpc_srv_t *grpc_srv_new(grpc_cfg_t const *cfg, char *err, size_t err_sz);
/* grpc_srv_start: starts the server thread on cfg->cpus (or, without
 * cpus_set, on the online CPUs other than the caller's, which on sofd is
 * the main lcore's busy-polled CPU; the caller's when it has them all) at
 * cfg->sched_priority. 0, or -1 with err, nothing started: when the
 * kernel refuses SCHED_FIFO (no CAP_SYS_NICE and RLIMIT_RTPRIO below the
 * priority: "sched_priority N: ...") or the CPUs (outside the process's
 * cpuset: "cpus: ..."); sofd then refuses to start (docs/grpc.md: the
 * rule). Setup thread. */
int grpc_srv_start(grpc_srv_t *s, char *err, size_t err_sz);
/* grpc_srv_thread_info: the running server thread's placement; the tid
 * once the thread ran (it stores its own). Any thread after
 * grpc_srv_start. */
void grpc_srv_thread_info(grpc_srv_t *s, grpc_thread_info_t *out);
/* grpc_srv_stop_free: stops the thread (every call ends with UNAVAILABLE
 * "sofd is stopping"), prints the stage timings of the transactions it
 * read (one {"type":"grpc_stages"} JSON line on stderr, when it read any),
 * closes and frees everything. NULL is fine. */
void grpc_srv_stop_free(grpc_srv_t *s);

grpc_ring_t *grpc_srv_ring(grpc_srv_t *s);
grpc_srv_stats_t *grpc_srv_stats(grpc_srv_t *s);
/* grpc_srv_port: the bound TCP port (listen with port 0 picks one). */
unsigned grpc_srv_port(grpc_srv_t const *s);

/* What the producer should encode: subscribers that want it exist. txn:
 * streams with a transaction filter; txn_vote: those of them with a filter
 * that can take a simple-vote transaction (grpc_filters_txn_votes): while
 * it is 0, votes are not encoded at all. Recounted by the server thread on
 * every pass, so a filter change applies to the records encoded after it. */
typedef struct grpc_want {
  _Atomic uint32_t txn, txn_vote, entry, dataset, block_meta;
} grpc_want_t;

/* grpc_want_txn: whether a transaction (simple vote or not) is to be
 * encoded now. Any thread; two relaxed loads. */
static inline int
grpc_want_txn(grpc_want_t const *w, int simple_vote) {
  return atomic_load_explicit(&w->txn, memory_order_relaxed) != 0 &&
         (!simple_vote || atomic_load_explicit(&w->txn_vote, memory_order_relaxed) != 0);
}
grpc_want_t const *grpc_srv_want(grpc_srv_t const *s);

/* grpc_srv_count: the producer adds n to its counter c (single producer:
 * plain load and store, no locked instruction; readers see whole values). */
static inline void
grpc_srv_count(_Atomic uint64_t *c, uint64_t n) {
  atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

/* grpc_srv_hook_time: the producer adds one hook call of cycles TSC
 * cycles. */
static inline void
grpc_srv_hook_time(grpc_srv_stats_t *st, uint64_t cycles) {
  grpc_srv_count(&st->hook_calls, 1);
  grpc_srv_count(&st->hook_cycles, cycles);
}

/* grpc_srv_set_tsc_hz: the TSC frequency, for the hook time and the
 * stage timings (grpc_int.h: grpc_stages_t) in ns; without it no stage is
 * measured. */
void grpc_srv_set_tsc_hz(grpc_srv_t *s, uint64_t hz);

/* grpc_srv_notify: the producer published records: wakes the server thread
 * if it sleeps (one eventfd write then; none while it runs). */
void grpc_srv_notify(grpc_srv_t *s);

/* grpc_srv_render: the server's counters and its subscribers (at most 64
 * listed) as JSON fields into buf (a telemetry renderer's body without the
 * braces). Any thread: subscribers are listed from a snapshot the server
 * thread refreshes every loop. Returns the length or -1. */
int grpc_srv_render(grpc_srv_t *s, char *buf, size_t sz);

/* grpc_srv_counters_register: exports the server's counters and, per
 * subscriber of the snapshot, sof_grpc_subscriber_*{connection,stream,
 * method,peer} to Prometheus through the plugin counter registry
 * (plugins/common/sof_pcounter.h, owner "grpc"). 0, or -1 with err.
 * Setup thread. grpc_srv_counters_unregister freezes the counters' last
 * values and drops the subscribers: call it before grpc_srv_stop_free. */
int grpc_srv_counters_register(grpc_srv_t *s, char *err, size_t err_sz);
void grpc_srv_counters_unregister(void);

/* ---- fuzz / test entry points (no thread, no socket) ---- */
/* grpc_conn_new_mem: a connection without a socket; its output is
 * produced and discarded by grpc_conn_feed. */
grpc_conn_t *grpc_conn_new_mem(grpc_srv_t *s);
/* grpc_conn_feed: bytes from the client; processes them, pumps the
 * streams once, drains the output. Returns 0, or -1 when the connection
 * must close (protocol error). */
int grpc_conn_feed(grpc_conn_t *c, uint8_t const *data, size_t sz);
void grpc_conn_free_mem(grpc_conn_t *c);

#endif /* SOF_GRPC_SRV_H */
