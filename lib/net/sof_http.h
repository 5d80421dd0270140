/* sof_http.h: a small non-blocking HTTP/1.0 and 1.1 server for a Prometheus
 * text endpoint and small JSON documents, served by a thread of its own
 * (sof_http_start) or polled from a control loop (sof_http_poll).
 *
 * One poll(2) round accepts connections, reads requests without blocking,
 * renders each through the caller's handler and writes the response without
 * blocking, keeping partial reads and writes across rounds. One request per
 * connection (Connection: close): after the response the server shuts its
 * side down, drains what the client still sends (so the response is not
 * lost to a TCP reset) and closes.
 *
 * Bounds (sof_http_cfg_t), each against one attack:
 * - a request (request line and headers) must be complete within
 *   request_timeout_ms of the accept, however the bytes trickle in (a client
 *   sending one byte a second is no better off than an idle one): past it,
 *   408 and closed (counted: timeouts);
 * - at most clients_max connections at once. A connection that arrives when
 *   every slot is taken evicts the connection that has waited longest
 *   without a complete request (it is answered 503, counted: evicted); only
 *   when every slot is writing a response is the newcomer refused (503,
 *   counted: rejected). Draining connections (their response written) give
 *   way before anyone is refused. A 503 is a whole response (status line,
 *   Content-Type, Content-Length, Retry-After, body), sent before our FIN;
 *   the client's unread bytes are discarded before close(2) so that the
 *   kernel does not answer them with a reset;
 * - a request head of at most request_max bytes (more: 414 when the request
 *   line does not end within it, else 431);
 * - a response that makes no progress for idle_timeout_ms is closed
 *   (counted: write_timeouts); draining ends idle_timeout_ms after the
 *   response at the latest.
 * Only GET and HEAD, without a body (405 otherwise with "Allow: GET, HEAD";
 * a Content-Length other than 0 or any Transfer-Encoding is 413). A body is
 * at most body_max bytes (larger: 500).
 *
 * Every outcome is a counter (sof_http_stats_t); nothing is logged.
 * The server is for a trusted network (no TLS, no authentication). */
#ifndef SOF_NET_HTTP_H
#define SOF_NET_HTTP_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* ---- request parser ----------------------------------------------------- */

#define SOF_HTTP_METHOD_GET  1
#define SOF_HTTP_METHOD_HEAD 2

#define SOF_HTTP_HEADERS_MAX 64U /* header lines accepted in one request */
#define SOF_HTTP_METHOD_MAX  32U /* longest method token accepted */

/* sof_http_parse_request results: NEED_MORE (0), OK (1) or an error (< 0)
 * with the status the server answers. */
#define SOF_HTTP_PARSE_LIST(X)                                                  \
  X(NEED_MORE,        0, "need_more",        0)  /* a valid prefix: read on */    \
  X(OK,               1, "ok",               0)  /* a complete request */         \
  X(BAD_REQUEST,     -1, "bad_request",    400)  /* request line syntax */        \
  X(BAD_METHOD,      -2, "bad_method",     405)  /* a method other than GET, HEAD */ \
  X(BAD_VERSION,     -3, "bad_version",    505)  /* HTTP/x.y with x != 1 */        \
  X(BAD_TARGET,      -4, "bad_target",     400)  /* not origin-form ("/...") */   \
  X(BAD_HEADER,      -5, "bad_header",     400)  /* header line syntax, obs-fold */ \
  X(HAS_BODY,        -6, "has_body",       413)  /* Content-Length > 0, Transfer-Encoding */ \
  X(TOO_MANY_HEADERS,-7, "too_many_headers",431) /* more than SOF_HTTP_HEADERS_MAX */ \
  X(NO_HOST,         -8, "no_host",        400)  /* HTTP/1.1 without Host, or two Hosts */

enum {
#define SOF_HTTP_PARSE_ENUM_(name, val, str, status) SOF_HTTP_PARSE_##name = (val),
  SOF_HTTP_PARSE_LIST(SOF_HTTP_PARSE_ENUM_)
#undef SOF_HTTP_PARSE_ENUM_
};
#define SOF_HTTP_PARSE_ERR_CNT 8 /* errors -1 .. -8 */

/* A parsed request. Offsets index the buffer given to the parser. */
typedef struct sof_http_req {
  int      method;        /* SOF_HTTP_METHOD_* */
  uint8_t  version_major; /* 1 */
  uint8_t  version_minor; /* 0..9 (1.x >= 1.1 needs Host) */
  uint8_t  has_host;
  uint16_t header_cnt;
  size_t   target_off, target_len; /* request-target: "/path?query" */
  size_t   path_off, path_len;     /* up to the first '?' (not percent-decoded) */
  size_t   query_off, query_len;   /* after the '?'; query_len 0 when none */
  size_t   hdr_len;                /* request line + headers + the empty line */
} sof_http_req_t;

/* sof_http_parse_request: parses the request head in buf[0, len) (untrusted
 * bytes; no NUL needed, none special). Grammar (RFC 9112, strict):
 * optional empty lines, then METHOD SP origin-form SP HTTP/D.D, then header
 * lines "name: value" (token name, no space before the colon, value of
 * visible bytes, SP, HTAB and obs-text), then an empty line; each line ends
 * in CRLF or LF. Returns SOF_HTTP_PARSE_OK with *out filled (bytes after
 * hdr_len are not looked at), SOF_HTTP_PARSE_NEED_MORE when buf is a proper
 * prefix of a request that could still be valid, or an error code as soon as
 * the bytes seen rule a valid request out. Prefix-stable: a proper prefix of
 * an input that gives OK or an error gives NEED_MORE or the same result.
 * out is written on every call (zeroed, then filled as far as parsed). Reads
 * only buf[0, len); no allocation; thread safe. */
int sof_http_parse_request(char const *buf, size_t len, sof_http_req_t *out);

/* sof_http_parse_str: stable name of a parse result ("?" out of range). */
char const *sof_http_parse_str(int rc);

/* sof_http_parse_status: the HTTP status answering a parse error (400,
 * 405, 413, 431, 505), 0 for NEED_MORE / OK / out of range. */
int sof_http_parse_status(int rc);

/* sof_http_reason: the reason phrase of an HTTP status ("Unknown" when not
 * in the table); a static string. Thread safe. */
char const *sof_http_reason(int status);

/* ---- server -------------------------------------------------------------- */

#define SOF_HTTP_CLIENTS_LIMIT   4096U
#define SOF_HTTP_CLIENTS_DEFAULT 256U
#define SOF_HTTP_RETRY_AFTER_S   "1" /* Retry-After of a 503, seconds */
#define SOF_HTTP_NEED_ROOM     (-2) /* handler return: call me again with a larger body */
#define SOF_HTTP_DEFAULT_CTYPE "text/plain; charset=utf-8"
#define SOF_HTTP_PROM_CTYPE    "text/plain; version=0.0.4; charset=utf-8"

typedef struct sof_http_cfg {
  char const *addr;               /* "host:port"; host: IPv4, [IPv6], a name, or
                                     empty (every address); port 0: ephemeral */
  uint32_t    clients_max;        /* connections at once, [1, 4096] (default 256) */
  uint32_t    request_max;        /* request head bytes, [256, 65536] (default 8192) */
  size_t      body_max;           /* response body bytes, [4096, 256 MiB] (default 1 MiB) */
  size_t      body_init;          /* first body capacity, <= body_max (default 16 KiB) */
  uint32_t    request_timeout_ms; /* accept -> complete request, >= 1 (default 5000) */
  uint32_t    idle_timeout_ms;    /* writing without progress; draining, >= 1 (default 5000) */
  uint32_t    sndbuf;             /* SO_SNDBUF of accepted sockets; 0: the kernel's (default 0) */
  uint32_t    backlog;            /* listen(2) backlog (default 512) */
} sof_http_cfg_t;

/* What a handler fills. body: body_cap writable bytes; the handler writes
 * the body there and sets body_len, or uses sof_http_resp_append /
 * sof_http_resp_printf / sof_http_resp_reserve, which grow the buffer up to
 * body_max (body and body_cap then change). */
typedef struct sof_http_resp {
  char       *body;
  size_t      body_len;
  size_t      body_cap;
  size_t      body_max;     /* read-only */
  char const *content_type; /* preset to SOF_HTTP_DEFAULT_CTYPE; set it to a string
                               that lives until sof_http_poll returns (no CR / LF) */
  char const *query;        /* the query string ("" when none), NUL-terminated */
  int         method;       /* SOF_HTTP_METHOD_GET or _HEAD (the body is then
                               measured for Content-Length, not sent) */
  int         overflow;     /* set by the helpers when body_max was reached */
} sof_http_resp_t;

/* The request handler, called from sof_http_poll once per complete request.
 * path: the request path (before any '?'), NUL-terminated, as sent (not
 * percent-decoded); valid during the call. Returns the HTTP status (200..599;
 * 204 and 304 send no body), or SOF_HTTP_NEED_ROOM when the body did not fit
 * in body_cap: the server then doubles body_cap (up to body_max), resets
 * body_len and calls the handler again; at body_max, or on any other return
 * value, or when overflow is set, the client gets 500. The handler must not
 * call sof_http_* on the same server, except the resp helpers. */
typedef int (*sof_http_handler_fn)(void *ctx, char const *path, sof_http_resp_t *resp);

/* Counters (X-macro: rendered the same everywhere). */
#define SOF_HTTP_STATS_LIST(X)                                                  \
  X(accepted,       "connections accepted")                                     \
  X(rejected,       "connections refused: every slot writing a response (503)") \
  X(evicted,        "connections waiting longest for a request, closed for a newer one (503)") \
  X(accept_errors,  "accept(2) failures other than EAGAIN")                     \
  X(requests,       "complete requests handed to the handler")                  \
  X(bad_requests,   "requests answered with a parse error status")             \
  X(too_large,      "request heads over request_max (414 / 431)")               \
  X(body_too_large, "bodies over body_max or handler failures (500)")           \
  X(resp_2xx,       "responses 2xx")                                            \
  X(resp_3xx,       "responses 3xx")                                            \
  X(resp_4xx,       "responses 4xx")                                            \
  X(resp_5xx,       "responses 5xx")                                            \
  X(responses_done, "responses written completely")                             \
  X(partial_writes, "sends cut short by a full socket buffer (resumed later)")  \
  X(timeouts,       "requests not complete request_timeout_ms after accept (408)") \
  X(write_timeouts, "responses closed after idle_timeout_ms without progress")  \
  X(client_eof,     "connections closed by the client before a complete request") \
  X(io_errors,      "connections closed on a read or write error")              \
  X(bytes_in,       "request bytes read")                                       \
  X(bytes_out,      "response bytes written")

typedef struct sof_http_stats {
#define SOF_HTTP_STATS_FIELD_(name, desc) uint64_t name;
  SOF_HTTP_STATS_LIST(SOF_HTTP_STATS_FIELD_)
#undef SOF_HTTP_STATS_FIELD_
  uint64_t clients; /* gauge: connections open now */
} sof_http_stats_t;

typedef struct sof_http_client sof_http_client_t; /* private */
typedef struct sof_http_list { uint32_t head, tail; } sof_http_list_t; /* private */
struct pollfd;

/* stats is written by the serving thread only; another thread may read it
 * (plain 64-bit loads: each value is one the counter had, no snapshot). */
typedef struct sof_http {
  int                open;       /* 1 between a successful open and close */
  int                listen_fd;  /* -1 when closed */
  uint16_t           port;       /* the bound port */
  char               addr[64];   /* "host:port" with the bound port */
  sof_http_cfg_t     cfg;        /* cfg.addr points to addr */
  sof_http_client_t *client;     /* [cfg.clients_max] */
  struct pollfd     *pfd;        /* [2 + cfg.clients_max] */
  sof_http_list_t    list[4];    /* free, reading, writing, draining slots */
  uint64_t           next_deadline;
  /* the server thread (sof_http_start) */
  int                running;    /* 1 between start and stop */
  int                stop;
  int                wake_fd;
  pthread_t          thread;
  sof_http_handler_fn fn;
  void              *fn_ctx;
  sof_http_stats_t   stats;
} sof_http_t;

/* sof_http_cfg_default: fills cfg with the defaults above (addr NULL). */
void sof_http_cfg_default(sof_http_cfg_t *cfg);

/* sof_http_open_cfg: validates cfg, binds and listens (non-blocking,
 * close-on-exec, SO_REUSEADDR) on cfg->addr, allocates the client table.
 * Setup time. Returns 0, or -1 with a message naming the address and the
 * failing step in err (err may be NULL); srv is then closed (listen_fd -1).
 * cfg and cfg->addr are copied. */
int sof_http_open_cfg(sof_http_t *srv, sof_http_cfg_t const *cfg, char *err, size_t err_sz);

/* sof_http_open: sof_http_open_cfg with the defaults and addr. */
int sof_http_open(sof_http_t *srv, char const *addr, char *err, size_t err_sz);

/* sof_http_addr: "host:port" with the port actually bound (the ephemeral
 * one for port 0); valid while srv lives. */
char const *sof_http_addr(sof_http_t const *srv);

/* sof_http_poll: one round of work, never blocking: serves the sockets
 * that are ready (reads, parses and answers requests, calling fn(ctx, ...)
 * synchronously for each complete request; continues partial writes),
 * accepts what is pending (up to 64 connections, evicting as above) and
 * enforces the timeouts (CLOCK_MONOTONIC). For a caller's own loop (tests);
 * sofd uses sof_http_start. fn may be NULL (every path is then 404).
 * Returns the number of requests answered during the call (responses
 * begun), or -1 when srv is not open or its thread runs. Allocates only to
 * grow a connection's body buffer. Not thread safe: one thread per srv. */
int sof_http_poll(sof_http_t *srv, sof_http_handler_fn fn, void *ctx);

/* sof_http_start: serves srv on a thread of its own ("sof-http", every
 * signal blocked) that waits in poll(2) and runs the rounds of
 * sof_http_poll; fn(ctx, ...) is called on that thread, so whatever it reads
 * must stay alive until sof_http_stop returns. Returns 0, or -1 with errno
 * (EINVAL: srv not open or already started). */
int sof_http_start(sof_http_t *srv, sof_http_handler_fn fn, void *ctx);

/* sof_http_stop: stops the thread and joins it (it wakes at once, whatever
 * the clients do: it never blocks but in poll(2)); a no-op when it does not
 * run. Connections stay open until sof_http_close (or a later start). */
void sof_http_stop(sof_http_t *srv);

/* sof_http_close: stops the thread, closes every connection and the
 * listening socket and frees the buffers; the counters stay readable. Safe
 * on a zeroed, closed or failed-to-open srv. Not concurrent with
 * sof_http_poll. */
void sof_http_close(sof_http_t *srv);

/* sof_http_stats_prom: the counters as Prometheus text, each named
 * PREFIX_NAME (counters; PREFIX_clients a gauge). Returns the length
 * written to buf (NUL-terminated), or -1 when sz is too small. */
int sof_http_stats_prom(sof_http_stats_t const *st, char const *prefix, char *buf, size_t sz);

/* Body helpers for handlers: each returns 0, or -1 (and sets resp->overflow,
 * leaving body_len as it was) when the body would exceed body_max or memory
 * runs out. */
int sof_http_resp_reserve(sof_http_resp_t *resp, size_t more);
int sof_http_resp_append(sof_http_resp_t *resp, void const *data, size_t len);
int sof_http_resp_printf(sof_http_resp_t *resp, char const *fmt, ...)
  __attribute__((format(printf, 2, 3)));

#endif /* SOF_NET_HTTP_H */
