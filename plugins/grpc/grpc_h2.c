/* grpc_h2.c: the server thread, its sockets and the HTTP/2 layer
 * (libnghttp2's server API), gRPC's message framing and the limits a
 * hostile client meets (grpc_srv.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "plugin/sof_plugin.h"

#include "grpc_int.h"

static void stages_report(grpc_srv_t const *s);

#define EV_LISTEN ((uint64_t)1)
#define EV_WAKE   ((uint64_t)2)

static uint64_t
mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t
now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#define ST_INC(s, f) atomic_fetch_add_explicit(&(s)->st.f, 1, memory_order_relaxed)

/* ---- streams ---- */

uint32_t
grpc_stream_room(grpc_stream_t *st) {
  if (!st->out) return 0;
  if (st->out_r == st->out_w) st->out_r = st->out_w = 0;
  if (st->out_r > st->out_cap / 2) { /* compact */
    memmove(st->out, st->out + st->out_r, st->out_w - st->out_r);
    st->out_w -= st->out_r;
    st->out_r = 0;
  }
  return st->out_cap - st->out_w;
}

static ssize_t
data_read_cb(nghttp2_session *h2, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
             nghttp2_data_source *src, void *user) {
  (void)user;
  grpc_stream_t *st = src->ptr;
  size_t n = st->out_w - st->out_r;
  if (n > len) n = len;
  if (n) {
    memcpy(buf, st->out + st->out_r, n);
    st->out_r += (uint32_t)n;
  }
  if (st->out_r == st->out_w && st->ended) {
    *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
    char code[16];
    snprintf(code, sizeof code, "%d", st->status);
    nghttp2_nv tr[2] = {
      {(uint8_t *)"grpc-status", (uint8_t *)code, 11, strlen(code), NGHTTP2_NV_FLAG_NONE},
      {(uint8_t *)"grpc-message", (uint8_t *)st->msg, 12, strlen(st->msg), NGHTTP2_NV_FLAG_NONE},
    };
    if (nghttp2_submit_trailer(h2, id, tr, st->msg[0] ? 2 : 1) != 0)
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    return (ssize_t)n;
  }
  if (!n) return NGHTTP2_ERR_DEFERRED;
  return (ssize_t)n;
}

void
grpc_stream_respond(grpc_stream_t *st) {
  if (st->responded) return;
  st->responded = 1;
  nghttp2_nv hd[3] = {
    {(uint8_t *)":status", (uint8_t *)"200", 7, 3, NGHTTP2_NV_FLAG_NONE},
    {(uint8_t *)"content-type", (uint8_t *)"application/grpc+proto", 12, 22, NGHTTP2_NV_FLAG_NONE},
    {(uint8_t *)"grpc-accept-encoding", (uint8_t *)"identity", 20, 8, NGHTTP2_NV_FLAG_NONE},
  };
  nghttp2_data_provider dp = {.source = {.ptr = st}, .read_callback = data_read_cb};
  nghttp2_submit_response(st->conn->h2, st->id, hd, 3, &dp);
}

void
grpc_stream_put(grpc_stream_t *st, uint8_t const *a, size_t na, uint8_t const *b, size_t nb,
                uint8_t const *c, size_t nc) {
  grpc_stream_respond(st);
  uint8_t *p = st->out + st->out_w;
  uint32_t len = (uint32_t)(na + nb + nc);
  p[0] = 0;
  p[1] = (uint8_t)(len >> 24);
  p[2] = (uint8_t)(len >> 16);
  p[3] = (uint8_t)(len >> 8);
  p[4] = (uint8_t)len;
  if (na) memcpy(p + 5, a, na);
  if (nb) memcpy(p + 5 + na, b, nb);
  if (nc) memcpy(p + 5 + na + nb, c, nc);
  st->out_w += 5 + len;
  st->sent++;
  st->bytes += 5 + len;
  atomic_fetch_add_explicit(&st->conn->srv->st.updates_sent, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&st->conn->srv->st.bytes_sent, 5 + len, memory_order_relaxed);
  nghttp2_session_resume_data(st->conn->h2, st->id);
}

void
grpc_stream_finish(grpc_stream_t *st, int status, char const *msg) {
  if (st->ended) return;
  st->ended = 1;
  st->status = status;
  snprintf(st->msg, sizeof st->msg, "%s", msg ? msg : "");
  /* grpc-message is percent-encoded text: keep printable ASCII only */
  for (char *c = st->msg; *c; c++)
    if (*c < 0x20 || *c > 0x7e || *c == '%') *c = ' ';
  if (!st->responded) { /* trailers-only response */
    st->responded = 1;
    char code[16];
    snprintf(code, sizeof code, "%d", status);
    nghttp2_nv hd[4] = {
      {(uint8_t *)":status", (uint8_t *)"200", 7, 3, NGHTTP2_NV_FLAG_NONE},
      {(uint8_t *)"content-type", (uint8_t *)"application/grpc+proto", 12, 22, NGHTTP2_NV_FLAG_NONE},
      {(uint8_t *)"grpc-status", (uint8_t *)code, 11, strlen(code), NGHTTP2_NV_FLAG_NONE},
      {(uint8_t *)"grpc-message", (uint8_t *)st->msg, 12, strlen(st->msg), NGHTTP2_NV_FLAG_NONE},
    };
    nghttp2_submit_response(st->conn->h2, st->id, hd, st->msg[0] ? 4 : 3, NULL);
    return;
  }
  nghttp2_session_resume_data(st->conn->h2, st->id);
}

int
grpc_stream_out(grpc_stream_t *st, uint32_t cap) {
  if (st->out_cap >= cap) return 0;
  uint8_t *o = realloc(st->out, cap);
  if (!o) return -1;
  st->out = o;
  st->out_cap = cap;
  return 0;
}

void
grpc_stream_drop_queued(grpc_stream_t *st) {
  st->out_r = st->out_w = 0;
}

int
grpc_stream_set_streaming(grpc_stream_t *st) {
  grpc_srv_t *s = st->conn->srv;
  if (st->streaming) return 0;
  if (s->nsubs >= s->cfg.max_subscribers) return -1;
  uint8_t *o = realloc(st->out, s->cfg.stream_buffer_bytes);
  if (!o) return -1;
  st->out = o;
  st->out_cap = s->cfg.stream_buffer_bytes;
  st->streaming = 1;
  s->nsubs++;
  atomic_store_explicit(&s->st.subscribers, s->nsubs, memory_order_relaxed);
  return 0;
}

void
grpc_stream_unsubscribe(grpc_stream_t *st) {
  grpc_srv_t *s = st->conn->srv;
  if (!st->streaming) return;
  st->streaming = 0;
  s->nsubs--;
  atomic_store_explicit(&s->st.subscribers, s->nsubs, memory_order_relaxed);
  free(st->out);
  st->out = NULL;
  st->out_cap = st->out_r = st->out_w = 0;
}

static void
stream_free(grpc_stream_t *st) {
  grpc_svc_stream_free(st);
  grpc_stream_unsubscribe(st);
  free(st->in);
  free(st->out);
  free(st);
}

/* ---- nghttp2 callbacks ---- */

static int
on_begin_headers(nghttp2_session *h2, nghttp2_frame const *fr, void *user) {
  grpc_conn_t *c = user;
  if (fr->hd.type != NGHTTP2_HEADERS || fr->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  grpc_stream_t *st = calloc(1, sizeof *st);
  if (!st) return NGHTTP2_ERR_CALLBACK_FAILURE;
  st->conn = c;
  st->id = fr->hd.stream_id;
  st->token_ok = c->srv->cfg.x_token[0] == 0;
  st->next = c->streams;
  c->streams = st;
  c->nstreams++;
  c->idle_since_ms = 0;
  nghttp2_session_set_stream_user_data(h2, st->id, st);
  return 0;
}

static int
on_header(nghttp2_session *h2, nghttp2_frame const *fr, uint8_t const *name, size_t nlen,
          uint8_t const *val, size_t vlen, uint8_t flags, void *user) {
  (void)flags;
  grpc_conn_t *c = user;
  if (fr->hd.type != NGHTTP2_HEADERS || fr->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  grpc_stream_t *st = nghttp2_session_get_stream_user_data(h2, fr->hd.stream_id);
  if (!st) return 0;
  if (nlen == 5 && !memcmp(name, ":path", 5)) {
    st->method = grpc_svc_method((char const *)val, vlen);
    st->path_ok = 1;
  } else if (nlen == 7 && !memcmp(name, ":method", 7)) {
    st->post = vlen == 4 && !memcmp(val, "POST", 4);
  } else if (nlen == 12 && !memcmp(name, "content-type", 12)) {
    st->ct_ok = vlen >= 16 && !memcmp(val, "application/grpc", 16);
  } else if (nlen == 7 && !memcmp(name, "x-token", 7)) {
    size_t tl = strlen(c->srv->cfg.x_token);
    st->token_ok = tl == 0 || (vlen == tl && !memcmp(val, c->srv->cfg.x_token, tl));
  }
  return 0;
}

/* One request's frames: [flag u8][len u32 BE][message]. */
static void
stream_frames(grpc_stream_t *st) {
  grpc_srv_t *s = st->conn->srv;
  uint32_t off = 0;
  while (!st->ended && st->in_sz - off >= 5) {
    uint8_t const *p = st->in + off;
    uint32_t len = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
    if (p[0] != 0) {
      ST_INC(s, calls_bad_request);
      grpc_stream_finish(st, GRPC_UNIMPLEMENTED, "compressed requests are not supported");
      break;
    }
    if (len > s->cfg.max_request_bytes) {
      ST_INC(s, calls_bad_request);
      grpc_stream_finish(st, GRPC_RESOURCE_EXHAUSTED, "request message larger than max_request_bytes");
      break;
    }
    if (st->in_sz - off - 5 < len) break;
    grpc_svc_message(st, p + 5, len);
    off += 5 + len;
  }
  if (st->ended) {
    st->in_sz = 0;
    return;
  }
  memmove(st->in, st->in + off, st->in_sz - off);
  st->in_sz -= off;
}

static int
on_data_chunk(nghttp2_session *h2, uint8_t flags, int32_t id, uint8_t const *data, size_t len,
              void *user) {
  (void)flags;
  (void)user;
  grpc_stream_t *st = nghttp2_session_get_stream_user_data(h2, id);
  if (!st || st->ended || st->method == GRPC_M_NONE) return 0;
  grpc_srv_t *s = st->conn->srv;
  uint32_t lim = s->cfg.max_request_bytes + 5;
  if ((uint64_t)st->in_sz + len > lim) {
    ST_INC(s, calls_bad_request);
    grpc_stream_finish(st, GRPC_RESOURCE_EXHAUSTED, "request message larger than max_request_bytes");
    st->in_sz = 0;
    return 0;
  }
  if (st->in_sz + len > st->in_cap) {
    uint32_t cap = st->in_cap ? st->in_cap : 1024;
    while (cap < st->in_sz + len) cap *= 2;
    if (cap > lim) cap = lim;
    uint8_t *n = realloc(st->in, cap);
    if (!n) return NGHTTP2_ERR_CALLBACK_FAILURE;
    st->in = n;
    st->in_cap = cap;
  }
  memcpy(st->in + st->in_sz, data, len);
  st->in_sz += (uint32_t)len;
  stream_frames(st);
  return 0;
}

static void
stream_route(grpc_stream_t *st) {
  grpc_srv_t *s = st->conn->srv;
  ST_INC(s, calls);
  if (!st->post || !st->path_ok || !st->ct_ok) {
    ST_INC(s, calls_bad_request);
    grpc_stream_finish(st, GRPC_INVALID_ARGUMENT, "not a gRPC request (POST, application/grpc)");
  } else if (!st->token_ok) {
    ST_INC(s, calls_unauthenticated);
    grpc_stream_finish(st, GRPC_UNAUTHENTICATED, "x-token missing or wrong");
  } else if (st->method == GRPC_M_NONE) {
    ST_INC(s, calls_unimplemented);
    grpc_stream_finish(st, GRPC_UNIMPLEMENTED, "method not served by sofd");
  } else if (st->method == GRPC_M_SUBSCRIBE || st->method == GRPC_M_DESHRED) {
    /* bidirectional calls: the response headers go out at once, as a
     * tonic server's do (clients wait for them before sending) */
    grpc_stream_respond(st);
  }
}

static int
on_frame_recv(nghttp2_session *h2, nghttp2_frame const *fr, void *user) {
  (void)user;
  if (fr->hd.type != NGHTTP2_HEADERS && fr->hd.type != NGHTTP2_DATA) return 0;
  grpc_stream_t *st = nghttp2_session_get_stream_user_data(h2, fr->hd.stream_id);
  if (!st) return 0;
  if (fr->hd.type == NGHTTP2_HEADERS && fr->headers.cat == NGHTTP2_HCAT_REQUEST)
    stream_route(st);
  if (fr->hd.flags & NGHTTP2_FLAG_END_STREAM) {
    st->remote_closed = 1;
    if (!st->ended) {
      if (st->in_sz) {
        ST_INC(st->conn->srv, calls_bad_request);
        grpc_stream_finish(st, GRPC_INVALID_ARGUMENT, "request ends inside a message");
      } else {
        grpc_svc_remote_end(st);
      }
    }
  }
  return 0;
}

static int
on_stream_close(nghttp2_session *h2, int32_t id, uint32_t code, void *user) {
  (void)code;
  grpc_conn_t *c = user;
  grpc_stream_t *st = nghttp2_session_get_stream_user_data(h2, id);
  if (!st) return 0;
  nghttp2_session_set_stream_user_data(h2, id, NULL);
  for (grpc_stream_t **pp = &c->streams; *pp; pp = &(*pp)->next) {
    if (*pp == st) {
      *pp = st->next;
      break;
    }
  }
  c->nstreams--;
  if (!c->nstreams) c->idle_since_ms = c->srv->now_ms ? c->srv->now_ms : 1;
  stream_free(st);
  return 0;
}

/* ---- connections ---- */

static grpc_conn_t *
conn_new(grpc_srv_t *s, int fd) {
  grpc_conn_t *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->srv = s;
  c->fd = fd;
  c->id = ++s->next_conn_id;
  c->idle_since_ms = s->now_ms ? s->now_ms : 1;
  c->wbuf = malloc(GRPC_CONN_WBUF);
  nghttp2_session_callbacks *cb;
  nghttp2_option *opt;
  if (!c->wbuf || nghttp2_session_callbacks_new(&cb)) {
    free(c->wbuf);
    free(c);
    return NULL;
  }
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
  int rc = nghttp2_option_new(&opt);
  if (!rc) {
    /* bounded memory per connection against floods */
    nghttp2_option_set_max_outbound_ack(opt, 64);
    nghttp2_option_set_max_settings(opt, 32);
    nghttp2_option_set_max_deflate_dynamic_table_size(opt, 4096);
    nghttp2_option_set_max_send_header_block_length(opt, 16384);
    rc = nghttp2_session_server_new2(&c->h2, cb, c, opt);
    nghttp2_option_del(opt);
  }
  nghttp2_session_callbacks_del(cb);
  if (rc) {
    free(c->wbuf);
    free(c);
    return NULL;
  }
  nghttp2_settings_entry iv[3] = {
    {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, s->cfg.max_streams_per_conn},
    {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1U << 20},
    {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, 16384},
  };
  nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, 3);
  c->next = s->conns;
  s->conns = c;
  s->nconns++;
  atomic_store_explicit(&s->st.conns_open, s->nconns, memory_order_relaxed);
  return c;
}

static void
conn_free(grpc_conn_t *c) {
  grpc_srv_t *s = c->srv;
  for (grpc_conn_t **pp = &s->conns; *pp; pp = &(*pp)->next) {
    if (*pp == c) {
      *pp = c->next;
      break;
    }
  }
  s->nconns--;
  atomic_store_explicit(&s->st.conns_open, s->nconns, memory_order_relaxed);
  ST_INC(s, conns_closed);
  nghttp2_session_del(c->h2); /* closes the streams: on_stream_close frees them */
  grpc_stream_t *st = c->streams;
  while (st) { /* any the session did not report */
    grpc_stream_t *n = st->next;
    stream_free(st);
    st = n;
  }
  if (c->fd >= 0) close(c->fd);
  free(c->wbuf);
  free(c);
}

/* Drains nghttp2's output into wbuf and the socket. 0, or -1: close. */
static int
conn_flush(grpc_conn_t *c) {
  for (;;) {
    if (c->wbuf_r < c->wbuf_w) {
      if (c->fd < 0) {
        c->wbuf_r = c->wbuf_w; /* memory connection: discarded */
      } else {
        ssize_t n = send(c->fd, c->wbuf + c->wbuf_r, c->wbuf_w - c->wbuf_r, MSG_NOSIGNAL);
        if (n < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK) break;
          if (errno == EINTR) continue;
          return -1;
        }
        c->wbuf_r += (uint32_t)n;
        if (c->wbuf_r < c->wbuf_w) break;
      }
    }
    c->wbuf_r = c->wbuf_w = 0;
    uint8_t const *d;
    ssize_t n = nghttp2_session_mem_send(c->h2, &d);
    if (n < 0) return -1;
    if (n == 0) break;
    /* mem_send returns at most one frame (~16 KiB + header) at a time */
    size_t k = (size_t)n;
    while (k) {
      size_t take = k > GRPC_CONN_WBUF - c->wbuf_w ? GRPC_CONN_WBUF - c->wbuf_w : k;
      memcpy(c->wbuf + c->wbuf_w, d, take);
      c->wbuf_w += (uint32_t)take;
      d += take;
      k -= take;
      if (k) { /* full: push to the socket first */
        if (c->fd < 0) {
          c->wbuf_w = 0;
          continue;
        }
        ssize_t w = send(c->fd, c->wbuf + c->wbuf_r, c->wbuf_w - c->wbuf_r, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
        if (w > 0) c->wbuf_r += (uint32_t)w;
        if (c->wbuf_r > 0) {
          memmove(c->wbuf, c->wbuf + c->wbuf_r, c->wbuf_w - c->wbuf_r);
          c->wbuf_w -= c->wbuf_r;
          c->wbuf_r = 0;
        }
        if (c->wbuf_w == GRPC_CONN_WBUF) return -1; /* cannot happen: a frame < wbuf */
      }
    }
  }
  if (c->wbuf_r < c->wbuf_w) {
    if (!c->stall_since_ms) c->stall_since_ms = c->srv->now_ms ? c->srv->now_ms : 1;
  } else {
    c->stall_since_ms = 0;
  }
  if (c->fd >= 0) {
    int want = c->wbuf_r < c->wbuf_w;
    if (want != c->epollout) {
      struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
      epoll_ctl(c->srv->efd, EPOLL_CTL_MOD, c->fd, &ev);
      c->epollout = want;
    }
  }
  if (!nghttp2_session_want_read(c->h2) && !nghttp2_session_want_write(c->h2) &&
      c->wbuf_r == c->wbuf_w)
    return -1;
  return 0;
}

int
grpc_conn_feed(grpc_conn_t *c, uint8_t const *data, size_t sz) {
  ssize_t n = nghttp2_session_mem_recv(c->h2, data, sz);
  if (n < 0) {
    ST_INC(c->srv, h2_errors);
    return -1;
  }
  grpc_svc_pump(c->srv);
  return conn_flush(c);
}

grpc_conn_t *
grpc_conn_new_mem(grpc_srv_t *s) {
  return conn_new(s, -1);
}

void
grpc_conn_free_mem(grpc_conn_t *c) {
  conn_free(c);
}

static void
conn_read(grpc_conn_t *c) {
  uint8_t buf[16384];
  for (int i = 0; i < 16; i++) {
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    if (n == 0) {
      c->want_close = 1;
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) c->want_close = 1;
      return;
    }
    if (nghttp2_session_mem_recv(c->h2, buf, (size_t)n) < 0) {
      ST_INC(c->srv, h2_errors);
      c->want_close = 1;
      return;
    }
    if ((size_t)n < sizeof buf) return;
  }
}

static void
srv_accept(grpc_srv_t *s) {
  for (;;) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (s->nconns >= s->cfg.max_connections) {
      ST_INC(s, conns_refused);
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    grpc_conn_t *c = conn_new(s, fd);
    if (!c) {
      ST_INC(s, conns_refused);
      close(fd);
      continue;
    }
    char host[40] = "?", port[8] = "?";
    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, port, sizeof port,
                NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(c->peer, sizeof c->peer, "%s:%s", host, port);
    ST_INC(s, conns_accepted);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(s->efd, EPOLL_CTL_ADD, fd, &ev) || conn_flush(c)) conn_free(c);
  }
}

/* ---- the thread ---- */

static void
srv_snapshot(grpc_srv_t *s) {
  grpc_sub_info_t snap[64];
  uint32_t n = 0;
  for (grpc_conn_t *c = s->conns; c && n < 64; c = c->next) {
    for (grpc_stream_t *st = c->streams; st && n < 64; st = st->next) {
      if (!st->streaming) continue;
      grpc_sub_info_t *i = &snap[n++];
      i->conn_id = c->id;
      i->stream_id = (uint32_t)st->id;
      snprintf(i->method, sizeof i->method, "%s",
               st->method == GRPC_M_SUBSCRIBE ? "Subscribe"
               : st->method == GRPC_M_DESHRED ? "SubscribeDeshred" : "SubscribeEntries");
      snprintf(i->peer, sizeof i->peer, "%s", c->peer);
      i->sent = st->sent;
      i->lost = st->cur.lost;
      i->lag = grpc_ring_lag(&s->ring, &st->cur);
      i->queued_bytes = st->out_w - st->out_r;
      i->held = grpc_hold_count(st->hold);
    }
  }
  pthread_mutex_lock(&s->snap_mu);
  memcpy(s->snap, snap, n * sizeof snap[0]);
  s->snap_cnt = n;
  pthread_mutex_unlock(&s->snap_mu);
}

/* idle_poll: between passes the thread watches the ring without sleeping,
 * at SCHED_IDLE: any other thread of its CPUs preempts that loop at once,
 * the kernel counts none of it as real-time time (no RT throttling), and
 * the hooks never write the eventfd (sleeping stays 0). The configured
 * policy (SCHED_FIFO at sched_priority, or SCHED_OTHER) comes back for the
 * pass as soon as a record is there. Returns after a record, or after
 * IDLE_POLL_NS for the sockets and the timers. */
#define IDLE_POLL_NS 50000
static void
set_idle_policy(grpc_srv_t *s, int idle) {
  struct sched_param sp = {.sched_priority = idle ? 0 : (int)s->cfg.sched_priority};
  int pol = idle ? SCHED_IDLE : s->cfg.sched_priority ? SCHED_FIFO : SCHED_OTHER;
  if (pthread_setschedparam(pthread_self(), pol, &sp) == 0) {
    s->idle_pol = idle;
    if (!idle) atomic_fetch_add_explicit(&s->st.idle_poll_passes, 1, memory_order_relaxed);
  } else {
    atomic_fetch_add_explicit(&s->st.policy_errors, 1, memory_order_relaxed);
  }
}

static int
ring_empty(grpc_srv_t const *s) {
  return atomic_load_explicit(&s->ring.head, memory_order_acquire) == s->gcur.pos;
}

static void
idle_poll(grpc_srv_t *s) {
  if (ring_empty(s)) {
    uint64_t end = mono_ns() + IDLE_POLL_NS;
    if (!s->idle_pol) set_idle_policy(s, 1);
    while (ring_empty(s) && mono_ns() < end && !atomic_load_explicit(&s->stop, memory_order_relaxed))
      __builtin_ia32_pause();
  }
  if (s->idle_pol && !ring_empty(s)) set_idle_policy(s, 0);
}

/* Idle, after a pass: the epoll_wait timeout in ms. idle_poll: poll at
 * SCHED_IDLE, then look at the sockets without waiting (0). Otherwise spin
 * up to spin_us watching the ring (records arriving within that need no
 * wake-up: the producer makes no system call while traffic flows), then
 * sleep with the sleeping flag set (the producer writes the eventfd once);
 * the ring is read again after that store, as grpc_srv_notify reads the
 * flag after its commit, so neither side misses the other. */
static int
idle_timeout(grpc_srv_t *s) {
  if (s->cfg.idle_poll) {
    idle_poll(s);
    return 0;
  }
  uint64_t spin_end = mono_ns() + (uint64_t)s->cfg.spin_us * 1000;
  while (ring_empty(s) && mono_ns() < spin_end && !atomic_load_explicit(&s->stop, memory_order_relaxed))
    __builtin_ia32_pause();
  if (!ring_empty(s)) return 0;
  atomic_store(&s->sleeping, 1);
  return ring_empty(s) ? 100 : 0;
}

static void *
srv_main(void *arg) {
  grpc_srv_t *s = arg;
  uint64_t last_snap = 0;
  atomic_store_explicit(&s->tid, (int)gettid(), memory_order_relaxed);
  while (!atomic_load(&s->stop)) {
    s->now_ms = now_ms();
    grpc_svc_pump(s);
    grpc_conn_t *next;
    for (grpc_conn_t *c = s->conns; c; c = next) {
      next = c->next;
      if (!c->want_close && conn_flush(c)) c->want_close = 1;
      if (!c->want_close && c->idle_since_ms && s->cfg.idle_timeout_ms &&
          s->now_ms - c->idle_since_ms > s->cfg.idle_timeout_ms) {
        ST_INC(s, conns_idle_closed);
        c->want_close = 1;
      }
      /* a peer that takes no byte for as long is gone or hostile */
      if (!c->want_close && c->stall_since_ms && s->cfg.idle_timeout_ms &&
          s->now_ms - c->stall_since_ms > s->cfg.idle_timeout_ms) {
        ST_INC(s, conns_stalled_closed);
        c->want_close = 1;
      }
      if (c->want_close) conn_free(c);
    }
    if (s->stages.pend_n) { /* this pass's transactions are in the sockets now */
      grpc_stages_t *sg = &s->stages;
      uint64_t now = sof_plugin_tsc();
      for (uint32_t i = 0; i < sg->pend_n; i++)
        if (now > sg->pend_rx[i])
          grpc_stage_add(&sg->written, (uint64_t)((double)(now - sg->pend_rx[i]) * sg->ns_per_tsc));
      sg->pend_n = 0;
    }
    if (s->now_ms - last_snap >= 100) {
      struct timespec cpu;
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
      atomic_store_explicit(&s->st.thread_cpu_ns,
                            (uint64_t)cpu.tv_sec * 1000000000ULL + (uint64_t)cpu.tv_nsec,
                            memory_order_relaxed);
      srv_snapshot(s);
      last_snap = s->now_ms;
    }
    int timeout = idle_timeout(s);
    struct epoll_event evs[64];
    int n = epoll_wait(s->efd, evs, 64, timeout);
    atomic_store(&s->sleeping, 0);
    s->now_ms = now_ms();
    for (int i = 0; i < n; i++) {
      if (evs[i].data.u64 == EV_LISTEN) {
        srv_accept(s);
      } else if (evs[i].data.u64 == EV_WAKE) {
        uint64_t v;
        if (read(s->evfd, &v, sizeof v) < 0) { /* nothing to do: level reset */ }
        else s->stages.wakes++;
      } else {
        grpc_conn_t *c = evs[i].data.ptr;
        if (evs[i].events & (EPOLLERR | EPOLLHUP)) c->want_close = 1;
        else if (evs[i].events & EPOLLIN) conn_read(c);
      }
    }
  }
  /* stopping: end every call, flush what can go */
  for (grpc_conn_t *c = s->conns; c; c = c->next)
    for (grpc_stream_t *st = c->streams; st; st = st->next)
      grpc_stream_finish(st, GRPC_UNAVAILABLE, "sofd is stopping");
  for (grpc_conn_t *c = s->conns; c; c = c->next) {
    nghttp2_submit_goaway(c->h2, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(c->h2),
                          NGHTTP2_NO_ERROR, NULL, 0);
    conn_flush(c);
  }
  return NULL;
}

void
grpc_srv_notify(grpc_srv_t *s) {
  /* The head store (the commit) must be visible before sleeping is read,
   * as the server's sleeping store is before it reads the head: else
   * both could miss each other (a wake-up lost until the 100 ms timeout). */
  atomic_thread_fence(memory_order_seq_cst);
  if (atomic_load_explicit(&s->sleeping, memory_order_relaxed) &&
      atomic_exchange(&s->sleeping, 0)) {
    uint64_t one = 1;
    if (write(s->evfd, &one, sizeof one) < 0) { /* the counter is full: it is awake anyway */ }
  }
}

static int
srv_listen(grpc_srv_t *s, char *err, size_t err_sz) {
  char host[128];
  snprintf(host, sizeof host, "%s", s->cfg.listen);
  char *colon = strrchr(host, ':');
  if (!colon || colon == host) {
    snprintf(err, err_sz, "listen: '%s' is not HOST:PORT", s->cfg.listen);
    return -1;
  }
  *colon = 0;
  char *h = host;
  if (h[0] == '[') { /* [v6]:port */
    h++;
    char *e = strchr(h, ']');
    if (e) *e = 0;
  }
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *ai = NULL;
  int rc = getaddrinfo(h, colon + 1, &hints, &ai);
  if (rc) {
    snprintf(err, err_sz, "listen: '%s': %s", s->cfg.listen, gai_strerror(rc));
    return -1;
  }
  s->lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  if (s->lfd >= 0) setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (s->lfd < 0 || bind(s->lfd, ai->ai_addr, ai->ai_addrlen) || listen(s->lfd, 256)) {
    snprintf(err, err_sz, "listen: '%s': %s", s->cfg.listen, strerror(errno));
    freeaddrinfo(ai);
    return -1;
  }
  freeaddrinfo(ai);
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  getsockname(s->lfd, (struct sockaddr *)&ss, &sl);
  s->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                     : ntohs(((struct sockaddr_in *)&ss)->sin_port);
  return 0;
}

grpc_srv_t *
grpc_srv_new(grpc_cfg_t const *cfg, char *err, size_t err_sz) {
  grpc_srv_t *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, err_sz, "out of memory");
    return NULL;
  }
  s->cfg = *cfg;
  s->lfd = s->efd = s->evfd = -1;
  pthread_mutex_init(&s->snap_mu, NULL);
  if (!s->cfg.commit_hold_max) s->cfg.commit_hold_max = 65536;
  s->scratch = malloc(GRPC_REC_MAX);
  s->commit = grpc_commit_tab_new();
  s->layout = grpc_layout_new();
  if (!s->scratch || !s->commit || !s->layout || grpc_ring_init(&s->ring, cfg->ring_bytes)) {
    snprintf(err, err_sz, "ring_bytes: cannot allocate %llu bytes",
             (unsigned long long)cfg->ring_bytes);
    grpc_srv_stop_free(s);
    return NULL;
  }
  grpc_ring_cursor_now(&s->ring, &s->gcur);
  s->tip = s->confirmed = s->finalized = UINT64_MAX;
  if (cfg->listen[0]) {
    if (srv_listen(s, err, err_sz)) {
      grpc_srv_stop_free(s);
      return NULL;
    }
    s->efd = epoll_create1(EPOLL_CLOEXEC);
    s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event el = {.events = EPOLLIN, .data.u64 = EV_LISTEN};
    struct epoll_event ew = {.events = EPOLLIN, .data.u64 = EV_WAKE};
    if (s->efd < 0 || s->evfd < 0 || epoll_ctl(s->efd, EPOLL_CTL_ADD, s->lfd, &el) ||
        epoll_ctl(s->efd, EPOLL_CTL_ADD, s->evfd, &ew)) {
      snprintf(err, err_sz, "epoll: %s", strerror(errno));
      grpc_srv_stop_free(s);
      return NULL;
    }
  }
  return s;
}

int
grpc_srv_start(grpc_srv_t *s, char *err, size_t err_sz) {
  if (grpc_sched_create(s, srv_main, err, err_sz)) return -1;
  pthread_setname_np(s->thr, "sof-grpc");
  s->running = 1;
  return 0;
}

void
grpc_srv_stop_free(grpc_srv_t *s) {
  if (!s) return;
  if (s->running) {
    atomic_store(&s->stop, 1);
    uint64_t one = 1;
    if (write(s->evfd, &one, sizeof one) < 0) { /* woken by its timeout then */ }
    pthread_join(s->thr, NULL);
    stages_report(s);
  }
  while (s->conns) conn_free(s->conns);
  if (s->lfd >= 0) close(s->lfd);
  if (s->efd >= 0) close(s->efd);
  if (s->evfd >= 0) close(s->evfd);
  grpc_ring_fini(&s->ring);
  free(s->scratch);
  grpc_commit_tab_free(s->commit);
  grpc_layout_free(s->layout);
  pthread_mutex_destroy(&s->snap_mu);
  free(s);
}

grpc_ring_t *grpc_srv_ring(grpc_srv_t *s) { return &s->ring; }
grpc_srv_stats_t *grpc_srv_stats(grpc_srv_t *s) { return &s->st; }
unsigned grpc_srv_port(grpc_srv_t const *s) { return s->port; }
void
grpc_srv_set_tsc_hz(grpc_srv_t *s, uint64_t hz) {
  s->tsc_hz = hz;
  s->stages.ns_per_tsc = hz ? 1e9 / (double)hz : 0;
}

/* a histogram's quantile permille / 1000, in us: its bucket's largest value */
static double
stage_q(grpc_stage_hist_t const *h, unsigned permille) {
  return h->n ? (double)sof_lhist_rank(h->b, h->n, permille) / 1000.0 : 0;
}

static void
stages_report(grpc_srv_t const *s) {
  grpc_stages_t const *sg = &s->stages;
  if (!sg->read.n) return;
  grpc_stage_hist_t const *h[3] = {&sg->commit, &sg->read, &sg->written};
  char const *name[3] = {"rxToCommit", "rxToRead", "rxToWritten"};
  char buf[1024];
  int n = snprintf(buf, sizeof buf, "{\"type\":\"grpc_stages\",\"txns\":%llu,\"unsampled\":%llu,\"wakes\":%llu",
                   (unsigned long long)sg->read.n, (unsigned long long)sg->unsampled,
                   (unsigned long long)sg->wakes);
  for (int k = 0; k < 3 && n > 0 && (size_t)n < sizeof buf; k++)
    n += snprintf(buf + n, sizeof buf - (size_t)n,
                  ",\"%s\":{\"n\":%llu,\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f}", name[k],
                  (unsigned long long)h[k]->n, stage_q(h[k], 500), stage_q(h[k], 900), stage_q(h[k], 990),
                  stage_q(h[k], 999));
  fprintf(stderr, "%s}\n", buf);
}
grpc_want_t const *grpc_srv_want(grpc_srv_t const *s) { return &s->want; }
