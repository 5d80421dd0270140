/* nats_int.h: what the nats plugin's two halves share (not an interface):
 * nats.c (config, the hooks, the event queue, the descriptor) and
 * nats_pub.c (libnats: connection, stream, publisher thread, formatting).
 * Contract of the plugin: nats_plugin.h. */
#ifndef SOF_PLUGIN_NATS_INT_H
#define SOF_PLUGIN_NATS_INT_H

#include <pthread.h>
#include <stdint.h>

#include "plugin/sof_plugin.h"

/* ---- counters (sof_pcounter, owner "nats"; the order of nats_counters[]) ---- */
enum {
  NC_EVENTS,             /* events the hooks were given (and wanted) */
  NC_QUEUED,             /* copied into the queue */
  NC_DROP_QUEUE_FULL,    /* dropped{reason="queue_full"} */
  NC_DROP_TOO_LARGE,     /* dropped{reason="too_large"}: bigger than a queue record */
  NC_PUBLISHED,          /* handed to libnats (sent or buffered) */
  NC_ACKED,              /* stored (ack from the stream), duplicates included */
  NC_DUPLICATES,         /* of acked: the stream already held the Nats-Msg-Id */
  NC_RETRIES,            /* publishes resent (no ack in time, no responders) */
  NC_LOST_DISCONNECTED,  /* lost{reason="disconnected"}: buffer or pending full while away */
  NC_LOST_NACK,          /* lost{reason="nack"}: the server refused it */
  NC_LOST_PUBLISH_ERROR, /* lost{reason="publish_error"}: libnats refused it otherwise */
  NC_LOST_FORMAT,        /* lost{reason="format"}: the payload did not fit / not parsed */
  NC_LOST_SHUTDOWN,      /* lost{reason="shutdown"}: queued or unacked at the drain deadline */
  NC_DISCONNECTS,
  NC_RECONNECTS,
  NC_BYTES,              /* payload bytes published */
  NC_CONNECTED,          /* gauge */
  NC_PENDING,            /* gauge: publishes waiting for an ack (incl. retries queued) */
  NC_QUEUE_USED,         /* gauge: queue bytes in use */
  NC_CNT
};

/* ---- queue records ---------------------------------------------------------- */

enum { NREC_PAD, NREC_TX, NREC_SLOT, NREC_REORG, NREC_BLOCKHASH, NREC_LEADER, NREC_DATASET };

/* Every record starts with this header; len (a multiple of 16, header
 * included) leads to the next one. */
typedef struct nrec {
  uint32_t len;
  uint16_t type;
  uint16_t sz;     /* NREC_TX: the transaction's bytes after the header */
  uint64_t rx_tsc; /* the event's RX time (0: unknown) */
} nrec_t;

typedef struct nrec_tx {
  nrec_t   h;
  uint64_t slot;
  uint32_t entry;
  uint8_t  commitment, path, kind, _pad;
  /* then h.sz bytes of the transaction */
} nrec_tx_t;

#define NREC_MAX (sizeof(nrec_tx_t) + SOF_TXN_MTU + 16U)

/* ---- the plugin's state ------------------------------------------------------- */

enum { NEV_TX, NEV_SLOT, NEV_REORG, NEV_BLOCKHASH, NEV_LEADER, NEV_DATASET, NEV_CNT };

typedef struct nats_cfg {
  char     url[1024];
  char     stream[64];
  char     prefix[128];
  uint8_t  want[NEV_CNT];
  uint64_t max_age_s, max_bytes, replicas, dup_window_ms, memory;
  uint64_t queue_bytes, max_pending, reconnect_buf, ack_wait_ms;
  uint64_t reconnect_wait_ms, reconnect_wait_max_ms, connect_timeout_ms, drain_ms, poll_us;
  int      latency_header;
  int      protobuf;       /* format = protobuf */
} nats_cfg_t;

typedef struct nats_plugin {
  nats_cfg_t     cfg;
  uint64_t       tsc_hz;
  /* the queue: the lanes write at head, the publisher reads at tail */
  uint8_t       *q;
  uint64_t       qcap; /* power of two */
  uint64_t       head, tail;
  uint64_t       pad;  /* producer: padding bytes before the reserved record */
  /* publisher */
  pthread_t      thr;
  int            thr_started;
  int            stop;
  void          *pub; /* nats_pub_t (nats_pub.c) */
  /* Yellowstone filter (the host's prefilter) */
  sof_prefilter_t pf;
  uint8_t       (*include)[32];
  uint8_t       (*exclude)[32];
  uint8_t       (*required)[32];
} nats_plugin_t;

/* The counters' storage (static: the telemetry thread may read it at any
 * time) and their description. */
extern uint64_t nats_counters[NC_CNT];

static inline void
nats_count(unsigned c, uint64_t n) {
  __atomic_fetch_add(&nats_counters[c], n, __ATOMIC_RELAXED);
}
static inline void
nats_gauge(unsigned c, uint64_t v) {
  __atomic_store_n(&nats_counters[c], v, __ATOMIC_RELAXED);
}

/* nats_cfg_parse: reads env's section into n->cfg and n's prefilter (the
 * key arrays n->include / exclude / required are malloc'd: the caller frees
 * them, also after a failure). 0, or -1 with "KEY: reason" in err. Setup
 * thread; no connection, no thread. */
int nats_cfg_parse(sof_plugin_env_t const *env, nats_plugin_t *n, char *err, size_t err_sz);

/* nats_pub_open: connects to cfg->url, creates or checks the stream, starts
 * the publisher thread reading n's queue. 0, or -1 with a reason in err.
 * Setup thread. */
int nats_pub_open(nats_plugin_t *n, char *err, size_t err_sz);

/* nats_pub_close: stops the publisher after it drained the queue and the
 * acks (until cfg.drain_ms), counts what is left lost, closes the
 * connection. Shutdown thread; idempotent. */
void nats_pub_close(nats_plugin_t *n);

/* nats_queue_peek / nats_queue_pop: the publisher's end of the queue. */
nrec_t const *nats_queue_peek(nats_plugin_t *n);
void nats_queue_pop(nats_plugin_t *n, nrec_t const *r);

#endif /* SOF_PLUGIN_NATS_INT_H */
