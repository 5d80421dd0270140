/* sof_http.c: see sof_http.h.
 *
 * A connection goes READ -> WRITE -> DRAIN -> closed. READ reads what the
 * socket has (into a request_max buffer) and re-parses the whole head from
 * the start (heads are small; the parser is linear), while the head is
 * under PARSE_EAGER bytes and then only when a line ended (the parser is
 * prefix-stable: the result is the same, an error seen a line later), so
 * that a head sent a byte at a time costs O(lines * request_max), not
 * O(request_max^2). WRITE sends the head
 * (status line, headers, and for error responses a short body, all in
 * `hdr`) and the body with one sendmsg per attempt. DRAIN half-closes and
 * discards input until the client closes, so the kernel does not answer
 * unread input with a reset that could destroy the response in flight. */
#define _GNU_SOURCE /* accept4, pthread_setname_np */
#include "net/sof_http.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "util/sof_errbuf.h"

/* ---- parser -------------------------------------------------------------- */

static inline int
is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
  switch (c) {
  case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
  case '.': case '^': case '_': case '`': case '|': case '~':
    return 1;
  default:
    return 0;
  }
}

static inline int
is_vchar(unsigned char c) {
  return c > 0x20 && c < 0x7F;
}

/* A line end at *p: CRLF or LF. Returns 1 (advanced past it), 0 (need
 * more), -1 (CR not followed by LF, or not a line end). */
static inline int
eol(unsigned char const *b, size_t len, size_t *p) {
  if (*p >= len) return 0;
  if (b[*p] == '\n') {
    *p += 1;
    return 1;
  }
  if (b[*p] != '\r') return -1;
  if (*p + 1 >= len) return 0;
  if (b[*p + 1] != '\n') return -1;
  *p += 2;
  return 1;
}

static int
name_is(unsigned char const *b, size_t n, char const *lower) {
  size_t k = strlen(lower);
  if (n != k) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = b[i];
    if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
    if (c != (unsigned char)lower[i]) return 0;
  }
  return 1;
}

#define NEED(cond) do { if (!(cond)) return SOF_HTTP_PARSE_NEED_MORE; } while (0)

int
sof_http_parse_request(char const *buf, size_t len, sof_http_req_t *out) {
  unsigned char const *b = (unsigned char const *)buf;
  memset(out, 0, sizeof *out);
  size_t p = 0;
  int e;

  /* Empty lines before the request line are ignored (RFC 9112 2.2). */
  while (p < len && (b[p] == '\r' || b[p] == '\n')) {
    if ((e = eol(b, len, &p)) <= 0) return e ? SOF_HTTP_PARSE_BAD_REQUEST : SOF_HTTP_PARSE_NEED_MORE;
  }

  /* method SP */
  size_t m0 = p;
  while (p < len && is_tchar(b[p])) {
    p++;
    if (p - m0 > SOF_HTTP_METHOD_MAX) return SOF_HTTP_PARSE_BAD_REQUEST;
  }
  NEED(p < len);
  if (b[p] != ' ' || p == m0) return SOF_HTTP_PARSE_BAD_REQUEST;
  size_t mlen = p - m0;
  if (mlen == 3 && !memcmp(b + m0, "GET", 3)) out->method = SOF_HTTP_METHOD_GET;
  else if (mlen == 4 && !memcmp(b + m0, "HEAD", 4)) out->method = SOF_HTTP_METHOD_HEAD;
  else return SOF_HTTP_PARSE_BAD_METHOD;
  p++;

  /* request-target SP: origin-form only */
  NEED(p < len);
  if (b[p] != '/') return is_vchar(b[p]) ? SOF_HTTP_PARSE_BAD_TARGET : SOF_HTTP_PARSE_BAD_REQUEST;
  size_t t0 = p, q = 0;
  while (p < len && is_vchar(b[p])) {
    if (b[p] == '?' && !q) q = p;
    p++;
  }
  NEED(p < len);
  if (b[p] != ' ') return SOF_HTTP_PARSE_BAD_REQUEST;
  out->target_off = t0;
  out->target_len = p - t0;
  out->path_off   = t0;
  out->path_len   = (q ? q : p) - t0;
  out->query_off  = q ? q + 1 : p;
  out->query_len  = q ? p - (q + 1) : 0;
  p++;

  /* HTTP-version */
  static char const vp[] = "HTTP/";
  for (size_t i = 0; i < 5; i++, p++) {
    NEED(p < len);
    if (b[p] != (unsigned char)vp[i]) return SOF_HTTP_PARSE_BAD_REQUEST;
  }
  NEED(p < len);
  if (b[p] < '0' || b[p] > '9') return SOF_HTTP_PARSE_BAD_REQUEST;
  unsigned major = b[p++] - '0';
  NEED(p < len);
  if (b[p] != '.') return SOF_HTTP_PARSE_BAD_REQUEST;
  p++;
  NEED(p < len);
  if (b[p] < '0' || b[p] > '9') return SOF_HTTP_PARSE_BAD_REQUEST;
  unsigned minor = b[p++] - '0';
  if (major != 1) return SOF_HTTP_PARSE_BAD_VERSION;
  if ((e = eol(b, len, &p)) <= 0) return e ? SOF_HTTP_PARSE_BAD_REQUEST : SOF_HTTP_PARSE_NEED_MORE;
  out->version_major = (uint8_t)major;
  out->version_minor = (uint8_t)minor;

  /* header fields, then the empty line */
  for (;;) {
    NEED(p < len);
    if (b[p] == '\r' || b[p] == '\n') {
      if ((e = eol(b, len, &p)) <= 0) return e ? SOF_HTTP_PARSE_BAD_HEADER : SOF_HTTP_PARSE_NEED_MORE;
      break;
    }
    size_t n0 = p;
    while (p < len && is_tchar(b[p])) p++;
    NEED(p < len);
    if (b[p] != ':' || p == n0) return SOF_HTTP_PARSE_BAD_HEADER; /* also obs-fold, space before ':' */
    size_t n1 = p++;
    while (p < len && (b[p] == ' ' || b[p] == '\t')) p++;
    size_t v0 = p, v1 = p;
    while (p < len && b[p] != '\r' && b[p] != '\n') {
      unsigned char c = b[p];
      if (c == ' ' || c == '\t') {
        /* whitespace: part of the value only when more follows */
      } else if (c >= 0x21 && c != 0x7F) { /* VCHAR and obs-text */
        v1 = p + 1;
      } else {
        return SOF_HTTP_PARSE_BAD_HEADER;
      }
      p++;
    }
    if ((e = eol(b, len, &p)) <= 0) return e ? SOF_HTTP_PARSE_BAD_HEADER : SOF_HTTP_PARSE_NEED_MORE;
    if (++out->header_cnt > SOF_HTTP_HEADERS_MAX) return SOF_HTTP_PARSE_TOO_MANY_HEADERS;
    unsigned char const *name = b + n0;
    size_t nlen = n1 - n0;
    if (name_is(name, nlen, "host")) {
      if (out->has_host) return SOF_HTTP_PARSE_NO_HOST;
      out->has_host = 1;
    } else if (name_is(name, nlen, "content-length")) {
      if (v1 == v0) return SOF_HTTP_PARSE_BAD_HEADER;
      int nonzero = 0;
      for (size_t i = v0; i < v1; i++) {
        if (b[i] < '0' || b[i] > '9') return SOF_HTTP_PARSE_BAD_HEADER;
        nonzero |= b[i] != '0';
      }
      if (nonzero) return SOF_HTTP_PARSE_HAS_BODY;
    } else if (name_is(name, nlen, "transfer-encoding")) {
      return SOF_HTTP_PARSE_HAS_BODY;
    }
  }
  if (minor >= 1 && !out->has_host) return SOF_HTTP_PARSE_NO_HOST;
  out->hdr_len = p;
  return SOF_HTTP_PARSE_OK;
}

#undef NEED

char const *
sof_http_parse_str(int rc) {
  switch (rc) {
#define SOF_HTTP_STR_(name, val, str, status) case (val): return str;
    SOF_HTTP_PARSE_LIST(SOF_HTTP_STR_)
#undef SOF_HTTP_STR_
    default: return "?";
  }
}

int
sof_http_parse_status(int rc) {
  switch (rc) {
#define SOF_HTTP_ST_(name, val, str, status) case (val): return status;
    SOF_HTTP_PARSE_LIST(SOF_HTTP_ST_)
#undef SOF_HTTP_ST_
    default: return 0;
  }
}

char const *
sof_http_reason(int status) {
  switch (status) {
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 204: return "No Content";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 304: return "Not Modified";
  case 307: return "Temporary Redirect";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 408: return "Request Timeout";
  case 413: return "Content Too Large";
  case 414: return "URI Too Long";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 503: return "Service Unavailable";
  case 505: return "HTTP Version Not Supported";
  default:  return "Unknown";
  }
}

/* ---- response body helpers ------------------------------------------------ */

/* Body buffers are allocated one byte larger than body_cap, so that a
 * formatted body may end exactly at body_cap (vsnprintf's NUL fits). */
static char *
body_realloc(char *p, size_t cap) {
  return realloc(p, cap + 1);
}

int
sof_http_resp_reserve(sof_http_resp_t *r, size_t more) {
  if (r->body_len > r->body_cap) { /* a handler wrote past body_cap's bookkeeping */
    r->overflow = 1;
    return -1;
  }
  if (more <= r->body_cap - r->body_len && r->body) return 0;
  if (more > r->body_max || r->body_len > r->body_max - more) {
    r->overflow = 1;
    return -1;
  }
  size_t need = r->body_len + more, cap = r->body_cap ? r->body_cap : 4096;
  while (cap < need) cap = cap > r->body_max / 2 ? r->body_max : cap * 2;
  if (cap > r->body_max) cap = r->body_max;
  char *nb = body_realloc(r->body, cap);
  if (!nb) {
    r->overflow = 1;
    return -1;
  }
  r->body     = nb;
  r->body_cap = cap;
  return 0;
}

int
sof_http_resp_append(sof_http_resp_t *r, void const *data, size_t len) {
  if (sof_http_resp_reserve(r, len)) return -1;
  if (len) memcpy(r->body + r->body_len, data, len);
  r->body_len += len;
  return 0;
}

int
sof_http_resp_printf(sof_http_resp_t *r, char const *fmt, ...) {
  if (sof_http_resp_reserve(r, 0)) return -1;
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  size_t room = r->body_cap - r->body_len;
  int n = vsnprintf(r->body + r->body_len, room + 1, fmt, ap);
  va_end(ap);
  if (n < 0) {
    va_end(ap2);
    r->overflow = 1;
    return -1;
  }
  if ((size_t)n > room) {
    if (sof_http_resp_reserve(r, (size_t)n)) {
      va_end(ap2);
      return -1;
    }
    vsnprintf(r->body + r->body_len, (size_t)n + 1, fmt, ap2);
  }
  va_end(ap2);
  r->body_len += (size_t)n;
  return 0;
}

/* ---- server --------------------------------------------------------------- */

/* A connection is in one of four lists (intrusive, doubly linked, oldest
 * first): free slots, READ (waiting for a complete request, in accept
 * order: the head has waited longest), WRITE, DRAIN (in the order they
 * entered the state). poll(2) slot i+2 watches client i; 0 is the listening
 * socket, 1 the wake eventfd of the server thread. */
enum { C_FREE = 0, C_READ, C_WRITE, C_DRAIN, C_STATES };

#define HDR_MAX        768U
#define CTYPE_MAX      200U
#define ACCEPT_PER_ROUND 64U
#define DRAIN_MAX      (64U * 1024U)
#define PFD_FIRST      2U
#define PARSE_EAGER    256U

struct sof_http_client {
  int      fd;
  int      state;
  uint32_t idx;
  uint32_t prev, next; /* list links (NIL: none) */
  uint64_t t_accept;  /* ns */
  uint64_t t_last;    /* ns: WRITE: last progress; DRAIN: entered DRAIN */
  char    *in;        /* [request_max] */
  size_t   in_len;
  char     hdr[HDR_MAX];
  size_t   hdr_len, hdr_off;
  char    *body;      /* grows up to body_max; kept across connections up to body_init */
  size_t   body_cap;
  size_t   body_send, body_off;
  size_t   drained;
};

#define NIL UINT32_MAX

static uint64_t
mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void
sof_http_cfg_default(sof_http_cfg_t *cfg) {
  cfg->addr               = NULL;
  cfg->clients_max        = SOF_HTTP_CLIENTS_DEFAULT;
  cfg->request_max        = 8192;
  cfg->body_max           = 1U << 20;
  cfg->body_init          = 16U << 10;
  cfg->request_timeout_ms = 5000;
  cfg->idle_timeout_ms    = 5000;
  cfg->sndbuf             = 0;
  cfg->backlog            = 512;
}

int
sof_http_open(sof_http_t *srv, char const *addr, char *err, size_t err_sz) {
  sof_http_cfg_t cfg;
  sof_http_cfg_default(&cfg);
  cfg.addr = addr;
  return sof_http_open_cfg(srv, &cfg, err, err_sz);
}

/* Splits "host:port" / "[v6]:port" / ":port". Returns 0 or -1. */
static int
split_addr(char const *addr, char *host, size_t host_sz, char *port, size_t port_sz) {
  char const *colon = strrchr(addr, ':');
  if (!colon) return -1;
  char const *h = addr, *he = colon;
  if (*h == '[') {
    if (he == h || he[-1] != ']') return -1;
    h++;
    he--;
  } else if (memchr(addr, ':', (size_t)(colon - addr))) {
    return -1; /* an IPv6 address needs brackets */
  }
  size_t hl = (size_t)(he - h), pl = strlen(colon + 1);
  if (hl >= host_sz || pl == 0 || pl >= port_sz) return -1;
  for (size_t i = 0; i < pl; i++)
    if (colon[1 + i] < '0' || colon[1 + i] > '9') return -1;
  if (strtoul(colon + 1, NULL, 10) > 65535) return -1;
  memcpy(host, h, hl);
  host[hl] = 0;
  memcpy(port, colon + 1, pl + 1);
  return 0;
}

/* ---- lists ---- */

static void
list_unlink(sof_http_t *srv, sof_http_client_t *c) {
  sof_http_list_t *l = &srv->list[c->state];
  if (c->prev != NIL) srv->client[c->prev].next = c->next;
  else l->head = c->next;
  if (c->next != NIL) srv->client[c->next].prev = c->prev;
  else l->tail = c->prev;
  c->prev = c->next = NIL;
}

static void
list_append(sof_http_t *srv, sof_http_client_t *c, int state) {
  sof_http_list_t *l = &srv->list[state];
  c->state = state;
  c->next  = NIL;
  c->prev  = l->tail;
  if (l->tail != NIL) srv->client[l->tail].next = c->idx;
  else l->head = c->idx;
  l->tail = c->idx;
}

/* Moves c to the tail of state's list and sets what poll watches. */
static void
set_state(sof_http_t *srv, sof_http_client_t *c, int state) {
  list_unlink(srv, c);
  list_append(srv, c, state);
  struct pollfd *p = &srv->pfd[PFD_FIRST + c->idx];
  p->fd      = state == C_FREE ? -1 : c->fd;
  p->events  = state == C_WRITE ? POLLOUT : POLLIN;
  p->revents = 0;
}

int
sof_http_open_cfg(sof_http_t *srv, sof_http_cfg_t const *cfg, char *err, size_t err_sz) {
  memset(srv, 0, sizeof *srv);
  srv->listen_fd = -1;
  srv->wake_fd   = -1;
  char const *addr = cfg->addr ? cfg->addr : "";
  if (cfg->clients_max < 1 || cfg->clients_max > SOF_HTTP_CLIENTS_LIMIT ||
      cfg->request_max < 256 || cfg->request_max > 65536 || cfg->body_max < 4096 ||
      cfg->body_max > (256U << 20) || cfg->body_init > cfg->body_max ||
      cfg->request_timeout_ms < 1 || cfg->idle_timeout_ms < 1) {
    sof_errbuf_set(err, err_sz, "http %s: need clients_max in [1, %u], request_max in [256, 65536], "
           "body_max in [4096, 256 MiB], body_init <= body_max and timeouts >= 1 ms", addr,
           SOF_HTTP_CLIENTS_LIMIT);
    return -1;
  }
  char host[256], port[8];
  if (split_addr(addr, host, sizeof host, port, sizeof port)) {
    sof_errbuf_set(err, err_sz, "http: address '%s' is not host:port (IPv4, [IPv6] or a name; port "
           "0..65535, 0 for any)", addr);
    return -1;
  }
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family   = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags    = AI_PASSIVE | AI_NUMERICSERV;
  int rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
  if (rc) {
    sof_errbuf_set(err, err_sz, "http %s: cannot resolve '%s': %s", addr, host, gai_strerror(rc));
    return -1;
  }
  int fd = -1, last_errno = 0;
  char const *step = "socket";
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) { last_errno = errno; step = "socket"; continue; }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen)) { last_errno = errno; step = "bind"; }
    else if (listen(fd, (int)(cfg->backlog ? cfg->backlog : 512))) { last_errno = errno; step = "listen"; }
    else break;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) {
    sof_errbuf_set(err, err_sz, "http %s: %s: %s", addr, step, strerror(last_errno));
    return -1;
  }
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  char nh[NI_MAXHOST], np[NI_MAXSERV];
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) ||
      getnameinfo((struct sockaddr *)&ss, sl, nh, sizeof nh, np, sizeof np,
                  NI_NUMERICHOST | NI_NUMERICSERV)) {
    sof_errbuf_set(err, err_sz, "http %s: getsockname: %s", addr, strerror(errno));
    close(fd);
    return -1;
  }
  srv->port = (uint16_t)strtoul(np, NULL, 10);
  snprintf(srv->addr, sizeof srv->addr, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", nh, np);

  srv->cfg = *cfg;
  srv->cfg.addr = srv->addr;
  if (!srv->cfg.body_init) srv->cfg.body_init = cfg->body_max < (16U << 10) ? cfg->body_max : 16U << 10;
  for (int s = 0; s < C_STATES; s++) srv->list[s].head = srv->list[s].tail = NIL;
  srv->client = calloc(cfg->clients_max, sizeof *srv->client);
  srv->pfd    = calloc(PFD_FIRST + cfg->clients_max, sizeof *srv->pfd);
  if (!srv->client || !srv->pfd) goto oom;
  for (uint32_t i = 0; i < cfg->clients_max; i++) {
    sof_http_client_t *c = &srv->client[i];
    c->fd  = -1;
    c->idx = i;
    list_append(srv, c, C_FREE);
    srv->pfd[PFD_FIRST + i].fd = -1;
    if (!(c->in = malloc(cfg->request_max))) goto oom;
  }
  srv->pfd[0].fd     = fd;
  srv->pfd[0].events = POLLIN;
  srv->pfd[1].fd     = -1;
  srv->next_deadline = UINT64_MAX;
  srv->listen_fd = fd;
  srv->open      = 1;
  return 0;
oom:
  if (srv->client)
    for (uint32_t i = 0; i < cfg->clients_max; i++) free(srv->client[i].in);
  free(srv->client);
  free(srv->pfd);
  srv->client = NULL;
  srv->pfd    = NULL;
  close(fd);
  sof_errbuf_set(err, err_sz, "http %s: out of memory", addr);
  return -1;
}

char const *
sof_http_addr(sof_http_t const *srv) {
  return srv->addr;
}

/* Closes without a reset: what the client sent and we did not read is
 * discarded first (close(2) with unread input sends RST, which can destroy
 * a response still in flight). */
static void
fd_close_quiet(int fd) {
  char scratch[4096];
  size_t got = 0;
  for (;;) {
    ssize_t r = recv(fd, scratch, sizeof scratch, MSG_DONTWAIT);
    if (r > 0 && (got += (size_t)r) < DRAIN_MAX) continue;
    if (r < 0 && errno == EINTR) continue;
    break;
  }
  close(fd);
}

static void
client_close(sof_http_t *srv, sof_http_client_t *c) {
  fd_close_quiet(c->fd);
  c->fd = -1;
  if (c->body && c->body_cap > srv->cfg.body_init) { /* a large body is not kept per slot */
    free(c->body);
    c->body     = NULL;
    c->body_cap = 0;
  }
  set_state(srv, c, C_FREE);
  srv->stats.clients--;
}

static void
count_status(sof_http_t *srv, int status) {
  if (status < 300) srv->stats.resp_2xx++;
  else if (status < 400) srv->stats.resp_3xx++;
  else if (status < 500) srv->stats.resp_4xx++;
  else srv->stats.resp_5xx++;
}

/* An error response: head and a one-line body in buf. Returns its length. */
static size_t
error_text(char *buf, size_t sz, int status, int head_only) {
  char body[64];
  int bl = snprintf(body, sizeof body, "%d %s\n", status, sof_http_reason(status));
  int n = snprintf(buf, sz,
                   "HTTP/1.1 %d %s\r\nContent-Type: " SOF_HTTP_DEFAULT_CTYPE "\r\n"
                   "Content-Length: %d\r\n%s%sConnection: close\r\n\r\n%s",
                   status, sof_http_reason(status), bl,
                   status == 405 ? "Allow: GET, HEAD\r\n" : "",
                   status == 503 ? "Retry-After: " SOF_HTTP_RETRY_AFTER_S "\r\n" : "",
                   head_only ? "" : body);
  return (size_t)n;
}

/* Sets up an error response in hdr and moves c to WRITE. */
static void
respond_error(sof_http_t *srv, sof_http_client_t *c, int status, int head_only, uint64_t now) {
  c->hdr_len   = error_text(c->hdr, sizeof c->hdr, status, head_only);
  c->hdr_off   = 0;
  c->body_send = 0;
  c->body_off  = 0;
  c->t_last    = now;
  set_state(srv, c, C_WRITE);
  count_status(srv, status);
}

/* A 503 on a socket that gets no slot (a refused newcomer or an evicted
 * connection): the response (a few hundred bytes: it fits an empty send
 * buffer), our FIN, what the client sent discarded, closed. */
static void
refuse_fd(sof_http_t *srv, int fd) {
  char buf[256];
  size_t n = error_text(buf, sizeof buf, 503, 0);
  ssize_t w = send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (w > 0) srv->stats.bytes_out += (uint64_t)w;
  count_status(srv, 503);
  shutdown(fd, SHUT_WR);
  fd_close_quiet(fd);
}

static int
ctype_ok(char const *s) {
  if (!s || !s[0]) return 0;
  size_t i = 0;
  for (; s[i]; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (i >= CTYPE_MAX || (ch < 0x20 && ch != '\t') || ch == 0x7F) return 0;
  }
  return 1;
}

/* A complete, valid request: render it through fn and set up the response. */
static void
respond(sof_http_t *srv, sof_http_client_t *c, sof_http_req_t const *rq, sof_http_handler_fn fn,
        void *ctx, uint64_t now) {
  srv->stats.requests++;
  char *in = c->in;
  in[rq->target_off + rq->target_len] = 0; /* the SP before the version */
  in[rq->path_off + rq->path_len]     = 0; /* the '?' (or that SP) */
  char const *path = in + rq->path_off;
  int head = rq->method == SOF_HTTP_METHOD_HEAD;
  if (!c->body) {
    c->body = body_realloc(NULL, srv->cfg.body_init);
    if (!c->body) {
      srv->stats.body_too_large++;
      respond_error(srv, c, 500, head, now);
      return;
    }
    c->body_cap = srv->cfg.body_init;
  }
  sof_http_resp_t r;
  int status;
  for (;;) {
    memset(&r, 0, sizeof r);
    r.body         = c->body;
    r.body_cap     = c->body_cap;
    r.body_max     = srv->cfg.body_max;
    r.content_type = SOF_HTTP_DEFAULT_CTYPE;
    r.query        = in + rq->query_off;
    r.method       = rq->method;
    status = fn ? fn(ctx, path, &r) : 404;
    c->body     = r.body; /* the helpers may have moved it */
    c->body_cap = r.body_cap;
    if (status != SOF_HTTP_NEED_ROOM || r.overflow || c->body_cap >= srv->cfg.body_max) break;
    size_t cap = c->body_cap > srv->cfg.body_max / 2 ? srv->cfg.body_max : c->body_cap * 2;
    char *nb = body_realloc(c->body, cap);
    if (!nb) break;
    c->body     = nb;
    c->body_cap = cap;
  }
  if (status < 200 || status > 599 || r.overflow || r.body_len > c->body_cap ||
      !ctype_ok(r.content_type)) {
    srv->stats.body_too_large++;
    respond_error(srv, c, 500, head, now);
    return;
  }
  int no_body = status == 204 || status == 304;
  size_t blen = no_body ? 0 : r.body_len;
  int n;
  if (no_body)
    n = snprintf(c->hdr, sizeof c->hdr, "HTTP/1.1 %d %s\r\nConnection: close\r\n\r\n", status,
                 sof_http_reason(status));
  else
    n = snprintf(c->hdr, sizeof c->hdr,
                 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\n\r\n", status, sof_http_reason(status), r.content_type, blen);
  c->hdr_len   = (size_t)n; /* < HDR_MAX: the content type is at most CTYPE_MAX */
  c->hdr_off   = 0;
  c->body_send = head ? 0 : blen;
  c->body_off  = 0;
  c->t_last    = now;
  set_state(srv, c, C_WRITE);
  count_status(srv, status);
}

static void do_drain(sof_http_t *srv, sof_http_client_t *c);

static void
do_write(sof_http_t *srv, sof_http_client_t *c, uint64_t now) {
  for (;;) {
    struct iovec iov[2];
    int k = 0;
    if (c->hdr_off < c->hdr_len) {
      iov[k].iov_base = c->hdr + c->hdr_off;
      iov[k].iov_len  = c->hdr_len - c->hdr_off;
      k++;
    }
    if (c->body_off < c->body_send) {
      iov[k].iov_base = c->body + c->body_off;
      iov[k].iov_len  = c->body_send - c->body_off;
      k++;
    }
    if (!k) break;
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov    = iov;
    mh.msg_iovlen = (size_t)k;
    ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        srv->stats.partial_writes++;
        return;
      }
      srv->stats.io_errors++;
      client_close(srv, c);
      return;
    }
    size_t n = (size_t)w;
    srv->stats.bytes_out += n;
    c->t_last = now;
    size_t h = c->hdr_len - c->hdr_off;
    if (n >= h) {
      c->hdr_off = c->hdr_len;
      c->body_off += n - h;
    } else {
      c->hdr_off += n;
    }
  }
  srv->stats.responses_done++;
  shutdown(c->fd, SHUT_WR);
  c->drained = 0;
  c->t_last  = now; /* DRAIN ends idle_timeout_ms after this at the latest */
  set_state(srv, c, C_DRAIN);
  do_drain(srv, c);
}

static void
do_drain(sof_http_t *srv, sof_http_client_t *c) {
  char scratch[4096];
  for (;;) {
    ssize_t r = recv(c->fd, scratch, sizeof scratch, MSG_DONTWAIT);
    if (r > 0) {
      c->drained += (size_t)r;
      if (c->drained > DRAIN_MAX) break;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    break; /* EOF (the client is done) or an error: either way, finished */
  }
  client_close(srv, c);
}

/* Returns 1 when a response was begun. */
static int
do_read(sof_http_t *srv, sof_http_client_t *c, sof_http_handler_fn fn, void *ctx, uint64_t now) {
  size_t max = srv->cfg.request_max, old = c->in_len;
  int eof = 0, got = 0;
  while (c->in_len < max) {
    ssize_t r = recv(c->fd, c->in + c->in_len, max - c->in_len, MSG_DONTWAIT);
    if (r > 0) {
      c->in_len += (size_t)r;
      got = 1;
      srv->stats.bytes_in += (uint64_t)r;
      continue;
    }
    if (r == 0) {
      eof = 1;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    srv->stats.io_errors++;
    client_close(srv, c);
    return 0;
  }
  if (!got && !eof && c->in_len < max) return 0;
  if (!eof && c->in_len < max && old >= PARSE_EAGER && !memchr(c->in + old, '\n', c->in_len - old))
    return 0; /* no line ended: nothing new to decide */
  sof_http_req_t rq;
  int rc = sof_http_parse_request(c->in, c->in_len, &rq);
  if (rc == SOF_HTTP_PARSE_NEED_MORE) {
    if (c->in_len >= max) {
      srv->stats.too_large++;
      respond_error(srv, c, rq.version_major ? 431 : 414, 0, now);
    } else if (eof) {
      srv->stats.client_eof++;
      client_close(srv, c);
      return 0;
    } else {
      return 0;
    }
  } else if (rc < 0) {
    srv->stats.bad_requests++;
    respond_error(srv, c, sof_http_parse_status(rc), rq.method == SOF_HTTP_METHOD_HEAD, now);
  } else {
    respond(srv, c, &rq, fn, ctx, now);
  }
  do_write(srv, c, now);
  return 1;
}

/* A slot for a new connection: a free one; else the connection waiting
 * longest for its request is evicted (503), else the oldest draining one
 * (its response was written) is closed; NULL when every slot is writing a
 * response. */
static sof_http_client_t *
take_slot(sof_http_t *srv) {
  uint32_t i = srv->list[C_FREE].head;
  if (i != NIL) return &srv->client[i];
  if ((i = srv->list[C_READ].head) != NIL) {
    sof_http_client_t *c = &srv->client[i];
    refuse_fd(srv, c->fd);
    c->fd = -1;
    srv->stats.evicted++;
    srv->stats.clients--;
    set_state(srv, c, C_FREE);
    return c;
  }
  if ((i = srv->list[C_DRAIN].head) != NIL) {
    client_close(srv, &srv->client[i]);
    return &srv->client[i];
  }
  return NULL;
}

static void
do_accept(sof_http_t *srv, uint64_t now) {
  for (unsigned k = 0; k < ACCEPT_PER_ROUND; k++) {
    int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) srv->stats.accept_errors++;
      return;
    }
    sof_http_client_t *c = take_slot(srv);
    if (!c) {
      refuse_fd(srv, fd);
      srv->stats.rejected++;
      continue;
    }
    if (srv->cfg.sndbuf) {
      int v = (int)srv->cfg.sndbuf;
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    }
    c->fd       = fd;
    c->t_accept = now;
    c->t_last   = now;
    c->in_len   = 0;
    set_state(srv, c, C_READ);
    srv->stats.accepted++;
    srv->stats.clients++;
  }
}

/* Closes what is past its bound; returns the nearest deadline (ns) of what
 * stays open (UINT64_MAX: none). Each list is in deadline order. */
static uint64_t
enforce_timeouts(sof_http_t *srv, uint64_t now) {
  uint64_t req_to  = (uint64_t)srv->cfg.request_timeout_ms * 1000000ULL;
  uint64_t idle_to = (uint64_t)srv->cfg.idle_timeout_ms * 1000000ULL;
  uint64_t next = UINT64_MAX;
  /* READ: request_timeout_ms from accept, whatever arrived meanwhile: 408 */
  for (uint32_t i; (i = srv->list[C_READ].head) != NIL;) {
    sof_http_client_t *c = &srv->client[i];
    if (now - c->t_accept < req_to) {
      next = c->t_accept + req_to;
      break;
    }
    srv->stats.timeouts++;
    respond_error(srv, c, 408, 0, now);
    do_write(srv, c, now);
  }
  /* DRAIN: idle_timeout_ms from the end of the response (not extended by
   * what the client sends meanwhile) */
  for (uint32_t i; (i = srv->list[C_DRAIN].head) != NIL;) {
    sof_http_client_t *c = &srv->client[i];
    if (now - c->t_last < idle_to) {
      if (c->t_last + idle_to < next) next = c->t_last + idle_to;
      break;
    }
    client_close(srv, c); /* the response was delivered: not an error */
  }
  /* WRITE: idle_timeout_ms without progress (not in deadline order: scan) */
  for (uint32_t i = srv->list[C_WRITE].head; i != NIL;) {
    sof_http_client_t *c = &srv->client[i];
    i = c->next;
    if (now - c->t_last >= idle_to) {
      srv->stats.write_timeouts++;
      client_close(srv, c);
    } else if (c->t_last + idle_to < next) {
      next = c->t_last + idle_to;
    }
  }
  return next;
}

/* One round: waits up to timeout_ms (0: not at all; bounded by the nearest
 * deadline) for a socket to be ready, serves what is, accepts, enforces the
 * bounds. Returns the responses begun. */
static int
serve(sof_http_t *srv, sof_http_handler_fn fn, void *ctx, int timeout_ms) {
  if (timeout_ms > 0 && srv->next_deadline != UINT64_MAX) {
    uint64_t now = mono_ns();
    uint64_t left = srv->next_deadline > now ? srv->next_deadline - now : 0;
    uint64_t ms = (left + 999999ULL) / 1000000ULL;
    if (ms < (uint64_t)timeout_ms) timeout_ms = (int)ms;
  }
  nfds_t n = PFD_FIRST + srv->cfg.clients_max;
  int ready = poll(srv->pfd, n, timeout_ms);
  uint64_t now = mono_ns();
  int answered = 0;
  if (ready > 0) {
    for (uint32_t i = 0; i < srv->cfg.clients_max; i++) {
      struct pollfd *p = &srv->pfd[PFD_FIRST + i];
      if (p->fd < 0 || !p->revents) continue;
      p->revents = 0;
      sof_http_client_t *c = &srv->client[i];
      switch (c->state) {
      case C_READ:  answered += do_read(srv, c, fn, ctx, now); break;
      case C_WRITE: do_write(srv, c, now); break;
      case C_DRAIN: do_drain(srv, c); break;
      default: break;
      }
    }
    if (srv->pfd[0].revents) do_accept(srv, now);
  }
  srv->next_deadline = enforce_timeouts(srv, now);
  return answered;
}

int
sof_http_poll(sof_http_t *srv, sof_http_handler_fn fn, void *ctx) {
  if (!srv->open || srv->running) return -1;
  return serve(srv, fn, ctx, 0);
}

/* ---- the server thread ---- */

static void *
http_thread(void *arg) {
  sof_http_t *srv = arg;
  while (!__atomic_load_n(&srv->stop, __ATOMIC_ACQUIRE)) {
    serve(srv, srv->fn, srv->fn_ctx, 1000);
    if (srv->pfd[1].revents) {
      uint64_t v;
      ssize_t r = read(srv->wake_fd, &v, sizeof v);
      (void)r;
      srv->pfd[1].revents = 0;
    }
  }
  return NULL;
}

int
sof_http_start(sof_http_t *srv, sof_http_handler_fn fn, void *ctx) {
  if (!srv->open || srv->running) {
    errno = EINVAL;
    return -1;
  }
  srv->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (srv->wake_fd < 0) return -1;
  srv->pfd[1].fd     = srv->wake_fd;
  srv->pfd[1].events = POLLIN;
  srv->fn     = fn;
  srv->fn_ctx = ctx;
  srv->stop   = 0;
  /* the thread takes no signals: they stay with the process's other threads */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&srv->thread, NULL, http_thread, srv);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc) {
    close(srv->wake_fd);
    srv->wake_fd   = -1;
    srv->pfd[1].fd = -1;
    errno = rc;
    return -1;
  }
  pthread_setname_np(srv->thread, "sof-http");
  srv->running = 1;
  return 0;
}

void
sof_http_stop(sof_http_t *srv) {
  if (!srv->running) return;
  __atomic_store_n(&srv->stop, 1, __ATOMIC_RELEASE);
  uint64_t one = 1;
  ssize_t w = write(srv->wake_fd, &one, sizeof one);
  (void)w;
  pthread_join(srv->thread, NULL);
  close(srv->wake_fd);
  srv->wake_fd   = -1;
  srv->pfd[1].fd = -1;
  srv->running   = 0;
}

void
sof_http_close(sof_http_t *srv) {
  if (!srv->open) return;
  sof_http_stop(srv);
  for (uint32_t i = 0; i < srv->cfg.clients_max; i++) {
    sof_http_client_t *c = &srv->client[i];
    if (c->state != C_FREE) client_close(srv, c);
    free(c->in);
    free(c->body);
  }
  free(srv->client);
  free(srv->pfd);
  srv->client = NULL;
  srv->pfd    = NULL;
  close(srv->listen_fd);
  srv->listen_fd = -1;
  srv->open      = 0;
}

/* ---- counters as Prometheus text ---- */

int
sof_http_stats_prom(sof_http_stats_t const *st, char const *prefix, char *buf, size_t sz) {
  size_t off = 0;
  int n;
  /* counters end in _total; the responses by class are one family,
   * <prefix>_responses_total{class="2xx"} */
#define SOF_HTTP_PROM_(name, desc)                                                           \
  if (strncmp(#name, "resp_", 5)) {                                                          \
    n = snprintf(buf + off, sz - off, "# HELP %s_%s_total %s\n# TYPE %s_%s_total counter\n"   \
                 "%s_%s_total %" PRIu64 "\n", prefix, #name, desc, prefix, #name, prefix, #name, \
                 st->name);                                                                  \
    if (n < 0 || (size_t)n >= sz - off) return -1;                                           \
    off += (size_t)n;                                                                        \
  }
  if (!sz) return -1;
  SOF_HTTP_STATS_LIST(SOF_HTTP_PROM_)
#undef SOF_HTTP_PROM_
  n = snprintf(buf + off, sz - off, "# HELP %s_responses_total responses by status class\n"
               "# TYPE %s_responses_total counter\n"
               "%s_responses_total{class=\"2xx\"} %" PRIu64 "\n%s_responses_total{class=\"3xx\"} %" PRIu64 "\n"
               "%s_responses_total{class=\"4xx\"} %" PRIu64 "\n%s_responses_total{class=\"5xx\"} %" PRIu64 "\n",
               prefix, prefix, prefix, st->resp_2xx, prefix, st->resp_3xx, prefix, st->resp_4xx, prefix,
               st->resp_5xx);
  if (n < 0 || (size_t)n >= sz - off) return -1;
  off += (size_t)n;
  n = snprintf(buf + off, sz - off, "# HELP %s_clients connections open now\n# TYPE %s_clients gauge\n"
               "%s_clients %" PRIu64 "\n", prefix, prefix, prefix, st->clients);
  if (n < 0 || (size_t)n >= sz - off) return -1;
  return (int)(off + (size_t)n);
}
