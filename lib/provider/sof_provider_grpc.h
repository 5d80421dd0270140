/* sof_provider_grpc.h: a Yellowstone gRPC client (geyser.Geyser/Subscribe)
 * on its own thread.
 *
 * What: connects to [provider] url (http:// = h2c with prior knowledge,
 * https:// = TLS through OpenSSL with ALPN h2, SNI and peer verification
 * against the system store or ca_file), sends one SubscribeRequest (a
 * transactions filter "sof" with vote / failed / account_include /
 * account_exclude / account_required, a slots filter "sof" when slots is
 * set, commitment, x-token header, from_slot when configured), and decodes
 * every SubscribeUpdate (sof_provider_msg.h). Transactions, transaction
 * statuses and slot updates go to the on_msg callback, in stream order, on
 * the client's thread.
 *
 * Reconnects: any end of the stream (EOF, reset, gRPC status, idle timeout
 * with nothing received for idle_ms, a frame above SOF_PMSG_MAX_SZ) closes
 * the connection and reconnects after an exponential backoff (backoff_min_ms
 * doubling up to backoff_max_ms; reset after a stream that delivered
 * something). With resume (the default) a reconnect asks from_slot = the
 * highest slot seen, so the provider replays that slot and what followed:
 * the transactions of that slot already delivered are recognised by
 * signature and skipped (counted duplicates), the others delivered. A server
 * that refuses from_slot (a gRPC error status to a request that carried it)
 * is asked again without it, once per connection, and the slots between the
 * last one seen and the first one after the reconnect are a counted gap
 * (gaps, gap_slots), as is every reconnect without resume. Transactions of
 * slots below the highest one still in flight when the stream broke are not
 * replayed by a from_slot resume: the limit of slot-granular resume.
 *
 * Threads: sof_pgrpc_start starts the client thread; sof_pgrpc_stop joins
 * it. sof_pgrpc_stats may be called from any thread (relaxed atomic loads).
 * No allocation after sof_pgrpc_new except protobuf-c's while decoding and
 * OpenSSL's / nghttp2's per connection, all on the client thread. */
#ifndef SOF_PROVIDER_GRPC_H
#define SOF_PROVIDER_GRPC_H

#include <stddef.h>
#include <stdint.h>

#include "provider/sof_provider_msg.h"

#define SOF_PGRPC_FILTER_MAX 16 /* account_include / exclude / required entries each */

typedef struct sof_pgrpc_cfg {
  char const *url;            /* http://host:port[/] or https://host[:port][/] */
  char const *x_token;        /* NULL: no x-token header */
  char const *ca_file;        /* NULL: the system's CA store */
  int         tls_verify;     /* 1: verify the server's certificate and name */
  int         commitment;     /* 0 processed, 1 confirmed, 2 finalized */
  int         vote;           /* -1 unset (both), 0 non-vote only, 1 votes only */
  int         failed;         /* -1 unset (both), 0 successful only, 1 failed only */
  char const *account_include[SOF_PGRPC_FILTER_MAX]; /* base58; NULL ends */
  char const *account_exclude[SOF_PGRPC_FILTER_MAX];
  char const *account_required[SOF_PGRPC_FILTER_MAX];
  int         transactions;   /* 1: subscribe to transactions */
  int         slots;          /* 1: subscribe to slot updates */
  int         resume;         /* 1: from_slot = highest slot seen on reconnect */
  uint64_t    from_slot;      /* first connection's from_slot; UINT64_MAX: live */
  uint32_t    backoff_min_ms; /* first reconnect delay */
  uint32_t    backoff_max_ms; /* cap of the doubling */
  uint32_t    idle_ms;        /* reconnect when nothing arrived for this long */
  uint32_t    dedupe_max;     /* signatures remembered for the resume slot */
  int         ws_blocks;      /* websocket: blockSubscribe instead of transactionSubscribe */
} sof_pgrpc_cfg_t;

/* sof_pgrpc_cfg_default: live, processed, transactions + slots, both votes
 * and failures, resume on, backoff 100 ms .. 10 s, idle 30 s, dedupe 65536,
 * tls_verify on. url must still be set. */
void sof_pgrpc_cfg_default(sof_pgrpc_cfg_t *c);

/* Connection states (the state gauge). */
#define SOF_PGRPC_ST_IDLE        0 /* not started / stopped */
#define SOF_PGRPC_ST_CONNECTING  1 /* TCP / TLS / HTTP/2 setup, request sent */
#define SOF_PGRPC_ST_STREAMING   2 /* response headers received: updates flow */
#define SOF_PGRPC_ST_BACKOFF     3 /* waiting before a reconnect */

#define SOF_PGRPC_STATS_LIST(X)                                                        \
  X(state,            "connection state: 0 idle, 1 connecting, 2 streaming, 3 backoff") \
  X(connects,         "connection attempts")                                             \
  X(connect_failures, "attempts that failed before the stream started (TCP, TLS, HTTP/2)") \
  X(streams,          "streams that started (response headers received)")               \
  X(reconnects,       "reconnections after a stream or attempt ended")                  \
  X(stream_errors,    "streams ended by a gRPC error status")                           \
  X(idle_timeouts,    "streams closed after idle_ms without a byte")                    \
  X(bytes_rx,         "bytes received (TLS records or TCP)")                            \
  X(bytes_tx,         "bytes sent")                                                      \
  X(messages,         "SubscribeUpdate messages received")                              \
  X(transactions,     "transaction updates delivered")                                  \
  X(transactions_failed, "delivered transactions whose meta carries an error")          \
  X(statuses,         "transaction status updates delivered")                           \
  X(slots,            "slot updates delivered")                                          \
  X(pings,            "server pings")                                                    \
  X(ping_replies,     "ping requests sent in answer (gRPC)")                             \
  X(others,           "updates of kinds not used (account, block, ...)")               \
  X(rejected,         "updates refused by the decoder (sum of rejected_<reason>)")      \
  X(duplicates,       "replayed transactions skipped after a resume")                   \
  X(dedupe_full,      "signatures not remembered (dedupe_max reached): a replay may repeat them") \
  X(resumes,          "reconnects that asked from_slot")                                 \
  X(resume_refused,   "from_slot requests the server refused (then live, with a gap)")  \
  X(gaps,             "reconnects without a resume (a gap in the stream)")             \
  X(gap_slots,        "slots between the last seen and the first after a gap")         \
  X(last_slot,        "highest slot seen")

typedef struct sof_pgrpc_stats {
#define SOF_PGRPC_STATS_FIELD_(n, h) uint64_t n;
  SOF_PGRPC_STATS_LIST(SOF_PGRPC_STATS_FIELD_)
#undef SOF_PGRPC_STATS_FIELD_
  uint64_t rejected_by[SOF_PMSG_REJ_CNT + 1]; /* index: SOF_PMSG_REJ_* */
} sof_pgrpc_stats_t;

typedef struct sof_pgrpc sof_pgrpc_t;

/* on_msg(ctx, m): one decoded update (SOF_PMSG_TXN, SOF_PMSG_TXN_STATUS or
 * SOF_PMSG_SLOT), on the client thread; m is valid during the call. */
typedef void (*sof_pgrpc_on_msg_t)(void *ctx, sof_pmsg_t const *m);

/* sof_pgrpc_new validates cfg (url scheme, host, port; strings are copied)
 * and allocates the client. Returns NULL with a reason in err[err_sz]. */
sof_pgrpc_t *sof_pgrpc_new(sof_pgrpc_cfg_t const *cfg, sof_pgrpc_on_msg_t on_msg, void *ctx,
                           char *err, size_t err_sz);
/* sof_pgrpc_start: starts the client thread. 0 or -1 (errno). */
int  sof_pgrpc_start(sof_pgrpc_t *c);
/* sof_pgrpc_stop: asks the thread to stop, joins it (returns within about
 * 100 ms plus a TLS shutdown). Idempotent. */
void sof_pgrpc_stop(sof_pgrpc_t *c);
void sof_pgrpc_delete(sof_pgrpc_t *c);
void sof_pgrpc_stats(sof_pgrpc_t const *c, sof_pgrpc_stats_t *out);

#endif
