/* grpc_int.h: the structures grpc_h2.c, grpc_svc.c and grpc_filter.c
 * share (internal to plugins/grpc; server thread only unless said). */
#ifndef SOF_GRPC_INT_H
#define SOF_GRPC_INT_H

#include <nghttp2/nghttp2.h>

#include "../common/sof_lhist.h"

#include "grpc_commit.h"
#include "grpc_layout.h"
#include "grpc_srv.h"

/* ---- filters (grpc_filter.c) ---- */

typedef struct grpc_txf {
  char const *name;
  int8_t      vote;     /* -1 any, 0, 1: Agave's simple vote flag */
  int8_t      failed;   /* -1 any, 0, 1: sofd's transactions have no error: failed=true matches none */
  uint8_t     has_sig;
  uint8_t     sig[64];
  uint8_t   (*incl)[32];
  uint8_t   (*excl)[32];
  uint8_t   (*req)[32];
  uint32_t    incl_cnt, excl_cnt, req_cnt;
} grpc_txf_t;

typedef struct grpc_slotf {
  char const *name;
  uint8_t     by_commitment; /* only the status equal to the request's commitment */
  uint8_t     interslot;     /* also FIRST_SHRED_RECEIVED, COMPLETED, DEAD */
} grpc_slotf_t;

struct grpc_filters {
  grpc_txf_t   *txf;   uint32_t txf_cnt;
  grpc_slotf_t *slotf; uint32_t slotf_cnt;
  char const  **entryf; uint32_t entryf_cnt;
  char const  **metaf;  uint32_t metaf_cnt;
  int           commitment; /* CommitmentLevel */
  int           has_ping;
  int32_t       ping_id;
};

/* grpc_filters_subscribe / _deshred: compiles a decoded request (a
 * Geyser__SubscribeRequest / Geyser__SubscribeDeshredRequest) under cfg's
 * limits. Returns GRPC_OK with *out (malloc'd, grpc_filters_free), or a
 * gRPC status with a message in err (what is not supported, which key is
 * not base58, which limit). */
int grpc_filters_subscribe(void const *req, grpc_cfg_t const *cfg, grpc_filters_t **out,
                           char *err, size_t err_sz);
int grpc_filters_deshred(void const *req, grpc_cfg_t const *cfg, grpc_filters_t **out,
                         char *err, size_t err_sz);
void grpc_filters_free(grpc_filters_t *f);

/* grpc_filters_txn_votes: 1 when one of f's transaction filters can select
 * a simple-vote transaction (its vote is unset or true, and failed is not
 * true, which selects nothing); 0 otherwise (also for NULL). */
int grpc_filters_txn_votes(grpc_filters_t const *f);

/* grpc_filters_txn: the names of f's transaction filters the TXN record
 * (hdr, payload) passes, into names[0..max); returns their count. */
unsigned grpc_filters_txn(grpc_filters_t const *f, grpc_rec_t const *hdr, uint8_t const *payload,
                          char const **names, unsigned max);
/* grpc_filters_slot: the same for a SLOT record. */
unsigned grpc_filters_slot(grpc_filters_t const *f, grpc_rec_t const *hdr, char const **names,
                           unsigned max);

/* ---- connections and streams (grpc_h2.c) ---- */

#define GRPC_M_NONE        0
#define GRPC_M_SUBSCRIBE   1
#define GRPC_M_DESHRED     2
#define GRPC_M_ENTRIES     3
#define GRPC_M_PING        4
#define GRPC_M_SLOT        5
#define GRPC_M_BLOCKHASH   6
#define GRPC_M_VERSION     7
#define GRPC_M_BH_VALID    8
#define GRPC_M_BLOCKHEIGHT 9
#define GRPC_M_REPLAYINFO  10

struct grpc_stream {
  grpc_conn_t   *conn;
  int32_t        id;
  int            method;
  int            path_ok, ct_ok, token_ok, post;
  int            responded;   /* response headers submitted */
  int            ended;       /* trailers queued (status below) */
  int            remote_closed;
  int            status;
  char           msg[160];
  int            streaming;   /* counted in max_subscribers, reads the ring */
  /* request bytes: gRPC frames being assembled */
  uint8_t       *in;
  uint32_t       in_sz, in_cap;
  /* encoded response bytes waiting for nghttp2 */
  uint8_t       *out;
  uint32_t       out_r, out_w, out_cap;
  grpc_cursor_t  cur;
  grpc_filters_t *f;
  grpc_hold_t   *hold;        /* records held for the commitment (grpc_commit.h), NULL none */
  uint64_t       sent, bytes;
  uint64_t       lost_reported;
  uint64_t       next_ping_ms;
  grpc_stream_t *next;        /* the connection's list */
};

struct grpc_conn {
  grpc_srv_t        *srv;
  int                fd;           /* -1: memory connection (fuzz) */
  uint32_t           id;
  nghttp2_session   *h2;
  grpc_stream_t     *streams;
  uint32_t           nstreams;
  uint8_t           *wbuf;         /* pending socket bytes */
  uint32_t           wbuf_r, wbuf_w;
  uint64_t           idle_since_ms;/* no stream open since (0: some open) */
  int                want_close;
  int                epollout;
  uint64_t           stall_since_ms;/* the socket took nothing since (0: not stalled) */
  char               peer[48];
  grpc_conn_t       *next;
};

/* Server thread state (grpc_h2.c owns it; grpc_svc.c reads the chain). */
typedef struct grpc_bh {
  uint64_t slot;
  uint8_t  hash[32];
} grpc_bh_t;

/* Where a transaction's time goes, measured on the server thread from the
 * RX burst's TSC (grpc_rec_t.rx_tsc) of every TXN record it reads:
 * rx->commit (the hook's commit), rx->read (the server thread peeked it),
 * rx->written (the flush of every connection after that pass returned:
 * the bytes are in the sockets). Log-linear histograms of ns (sof_lhist:
 * 16 buckets per power of two), printed as one JSON line
 * ({"type":"grpc_stages"}, each quantile its bucket's largest value) on
 * stderr when the server stops; the last stage,
 * written -> the client's receipt, is the client's to measure. */
#define GRPC_STAGE_PEND    65536 /* the most records grpc_svc_pump reads in a pass */
typedef struct grpc_stage_hist {
  uint64_t n;
  uint64_t b[SOF_LHIST_BUCKETS];
} grpc_stage_hist_t;

typedef struct grpc_stages {
  grpc_stage_hist_t commit, read, written;
  uint64_t pend_rx[GRPC_STAGE_PEND]; /* read in this pass, not yet flushed */
  uint32_t pend_n;
  uint64_t unsampled;                /* read past GRPC_STAGE_PEND in one pass: no written stage (none: a pass reads at most as many) */
  uint64_t wakes;                    /* eventfd wake-ups taken (the server had slept) */
  double   ns_per_tsc;               /* 0: the TSC rate is unknown, nothing measured */
} grpc_stages_t;

/* grpc_stage_add: one sample of ns. */
static inline void
grpc_stage_add(grpc_stage_hist_t *h, uint64_t ns) {
  h->b[sof_lhist_bucket(ns)]++;
  h->n++;
}

struct grpc_srv {
  grpc_cfg_t        cfg;
  grpc_ring_t       ring;
  grpc_srv_stats_t  st;
  grpc_want_t       want;
  int               lfd, efd, evfd;
  unsigned          port;
  pthread_t         thr;
  int               running;
  _Atomic int       stop;
  _Atomic int       sleeping;
  int               idle_pol;     /* idle_poll: the thread runs at SCHED_IDLE now */
  grpc_conn_t      *conns;
  uint32_t          nconns, next_conn_id;
  uint32_t          nsubs;
  grpc_cursor_t     gcur;          /* the server's own cursor (chain state, shared reads) */
  uint8_t          *scratch;       /* GRPC_REC_MAX: one record */
  grpc_commit_tab_t *commit;       /* slot events for CONFIRMED / FINALIZED subscribers */
  grpc_layout_t     *layout;       /* the slots' datasets (transaction indexes, dataset ends) */
  uint64_t          now_ms;
  uint64_t          tsc_hz;
  /* chain state, from the records */
  uint64_t          tip, confirmed, finalized;
  grpc_bh_t         bh[GRPC_BH_MAX];
  uint32_t          bh_cnt, bh_next;
  /* per-subscriber snapshot for telemetry */
  pthread_mutex_t   snap_mu;
  grpc_sub_info_t   snap[64];
  uint32_t          snap_cnt;
  grpc_stages_t     stages;        /* server thread only */
  /* the server thread's placement (grpc_sched.c) */
  _Atomic int       tid;           /* stored by the thread when it starts */
  grpc_thread_info_t thr_info;     /* written by grpc_sched_create, read-only after */
  uint64_t          rt_priority;   /* Prometheus gauge: its SCHED_FIFO priority, 0 SCHED_OTHER */
};

/* grpc_sched_create: starts fn(s) as s->thr, placed and scheduled per
 * s->cfg (grpc_srv_start's contract), and fills s->thr_info from what the
 * kernel applied. 0, or -1 with err and no thread. Setup thread. */
int grpc_sched_create(grpc_srv_t *s, void *(*fn)(void *), char *err, size_t err_sz);

/* grpc_stream_finish: ends the call with status and message (trailers);
 * a call whose response has not started gets a trailers-only response. */
void grpc_stream_finish(grpc_stream_t *st, int status, char const *msg);
/* grpc_stream_room: bytes free in the stream's output buffer. */
uint32_t grpc_stream_room(grpc_stream_t *st);
/* grpc_stream_put: appends a gRPC message (5-byte prefix written here)
 * made of parts a, b and c (na, nb, nc bytes; NULL when 0); the caller
 * checked the room (na + nb + nc + 5). Starts the response if it had not
 * started. */
void grpc_stream_put(grpc_stream_t *st, uint8_t const *a, size_t na, uint8_t const *b, size_t nb,
                     uint8_t const *c, size_t nc);
/* grpc_stream_respond: submits the response headers (once). */
void grpc_stream_respond(grpc_stream_t *st);
/* grpc_stream_out: an output buffer of at least cap bytes (unary calls).
 * 0 or -1 (no memory). */
int grpc_stream_out(grpc_stream_t *st, uint32_t cap);
/* grpc_stream_drop_queued: forgets the encoded updates not yet handed to
 * nghttp2 (a subscriber dropped for lagging gets its trailers at once). */
void grpc_stream_drop_queued(grpc_stream_t *st);
/* grpc_stream_unsubscribe: the call stops counting as a subscriber and
 * frees its output buffer (a dropped subscriber whose peer does not read
 * costs nothing more while its trailers wait). */
void grpc_stream_unsubscribe(grpc_stream_t *st);
/* grpc_stream_set_streaming: counts the call as a subscriber (allocates
 * its output buffer). 0, or -1 past max_subscribers (the caller finishes
 * it RESOURCE_EXHAUSTED). */
int grpc_stream_set_streaming(grpc_stream_t *st);

/* ---- methods (grpc_svc.c) ---- */

/* grpc_svc_method: the method of a :path, GRPC_M_NONE when unknown. */
int grpc_svc_method(char const *path, size_t len);
/* grpc_svc_message: one complete request message of the call. */
void grpc_svc_message(grpc_stream_t *st, uint8_t const *msg, size_t len);
/* grpc_svc_remote_end: the client half-closed the call. */
void grpc_svc_remote_end(grpc_stream_t *st);
/* grpc_svc_pump: moves ring records into the subscribers' buffers, sends
 * server pings; updates the chain state. */
void grpc_svc_pump(grpc_srv_t *s);
/* grpc_svc_deliver: frames record h (payload pl) for the subscriber if its
 * filters want it. 1 taken (sent or not wanted), 0 no room yet. */
int grpc_svc_deliver(grpc_stream_t *st, grpc_rec_t const *h, uint8_t const *pl);
/* grpc_svc_stream_free: releases what the methods attached to a stream. */
void grpc_svc_stream_free(grpc_stream_t *st);

#endif /* SOF_GRPC_INT_H */
