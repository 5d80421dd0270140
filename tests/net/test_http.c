/* test_http.c: the HTTP request parser (exact results for valid, partial
 * and invalid requests; every proper prefix of a request is NEED_MORE or the
 * same result) and the server end to end on 127.0.0.1, port 0, driven from
 * this thread: the client sockets are interleaved with sof_http_poll. */
#include "sof_test.h"

#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "net/sof_http.h"

/* ---- parser ----------------------------------------------------------------- */

typedef struct pcase {
  char const *in;
  size_t      len;     /* 0: strlen(in) */
  int         rc;
  int         method;
  char const *path;    /* OK only */
  char const *query;
  int         minor;
  size_t      hdr_len; /* OK only; 0: the whole input */
} pcase_t;

#define R11 "GET / HTTP/1.1\r\nHost: x\r\n"

static pcase_t const pcases[] = {
  /* valid */
  {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0, SOF_HTTP_PARSE_OK, SOF_HTTP_METHOD_GET, "/", "", 1, 0},
  {"GET /metrics HTTP/1.0\r\n\r\n", 0, SOF_HTTP_PARSE_OK, SOF_HTTP_METHOD_GET, "/metrics", "", 0, 0},
  {"HEAD /a/b?x=1&y HTTP/1.1\r\nHost: h:9\r\n\r\n", 0, SOF_HTTP_PARSE_OK, SOF_HTTP_METHOD_HEAD,
   "/a/b", "x=1&y", 1, 0},
  {"GET /x HTTP/1.1\nHost: h\n\n", 0, SOF_HTTP_PARSE_OK, SOF_HTTP_METHOD_GET, "/x", "", 1, 0},
  {"\r\n\nGET / HTTP/1.0\r\n\r\n", 0, SOF_HTTP_PARSE_OK, SOF_HTTP_METHOD_GET, "/", "", 0, 0},
  {"GET / HTTP/1.0\r\n\r\nGARBAGE\x01", 0, SOF_HTTP_PARSE_OK, SOF_HTTP_METHOD_GET, "/", "", 0, 18},
  {"GET / HTTP/1.1\r\nHost:  h \r\nX-A: \x80\xff v\t\r\nUser-Agent: curl/8.0\r\nX-E:\r\n\r\n", 0,
   SOF_HTTP_PARSE_OK, SOF_HTTP_METHOD_GET, "/", "", 1, 0},
  {R11 "Content-Length: 0\r\nContent-Length: 000\r\n\r\n", 0, SOF_HTTP_PARSE_OK,
   SOF_HTTP_METHOD_GET, "/", "", 1, 0},
  {"GET /? HTTP/1.1\r\nHOST: x\r\n\r\n", 0, SOF_HTTP_PARSE_OK, SOF_HTTP_METHOD_GET, "/", "", 1, 0},
  {"GET /a?b?c#d HTTP/1.9\r\nhost: x\r\n\r\n", 0, SOF_HTTP_PARSE_OK, SOF_HTTP_METHOD_GET, "/a",
   "b?c#d", 9, 0},
  {"GET /%7e~!$&'()*+,;=:@ HTTP/1.0\r\n\r\n", 0, SOF_HTTP_PARSE_OK, SOF_HTTP_METHOD_GET,
   "/%7e~!$&'()*+,;=:@", "", 0, 0},
  /* need more */
  {"", 0, SOF_HTTP_PARSE_NEED_MORE, 0, NULL, NULL, 0, 0},
  {"\r", 0, SOF_HTTP_PARSE_NEED_MORE, 0, NULL, NULL, 0, 0},
  {"\r\n", 0, SOF_HTTP_PARSE_NEED_MORE, 0, NULL, NULL, 0, 0},
  {"G", 0, SOF_HTTP_PARSE_NEED_MORE, 0, NULL, NULL, 0, 0},
  {"POS", 0, SOF_HTTP_PARSE_NEED_MORE, 0, NULL, NULL, 0, 0},
  {"GET ", 0, SOF_HTTP_PARSE_NEED_MORE, 0, NULL, NULL, 0, 0},
  {"GET /", 0, SOF_HTTP_PARSE_NEED_MORE, 0, NULL, NULL, 0, 0},
  {"GET / HTT", 0, SOF_HTTP_PARSE_NEED_MORE, 0, NULL, NULL, 0, 0},
  {"GET / HTTP/1.1", 0, SOF_HTTP_PARSE_NEED_MORE, 0, NULL, NULL, 0, 0},
  {"GET / HTTP/1.1\r", 0, SOF_HTTP_PARSE_NEED_MORE, 0, NULL, NULL, 0, 0},
  {"GET / HTTP/1.1\r\n", 0, SOF_HTTP_PARSE_NEED_MORE, 0, NULL, NULL, 0, 0},
  {R11, 0, SOF_HTTP_PARSE_NEED_MORE, 0, NULL, NULL, 0, 0},
  {R11 "\r", 0, SOF_HTTP_PARSE_NEED_MORE, 0, NULL, NULL, 0, 0},
  {R11 "X-Long: aaaa", 0, SOF_HTTP_PARSE_NEED_MORE, 0, NULL, NULL, 0, 0},
  /* errors */
  {"POST / HTTP/1.1\r\nHost: x\r\n\r\n", 0, SOF_HTTP_PARSE_BAD_METHOD, 0, NULL, NULL, 0, 0},
  {"POST ", 0, SOF_HTTP_PARSE_BAD_METHOD, 0, NULL, NULL, 0, 0},
  {"get / HTTP/1.1\r\n", 0, SOF_HTTP_PARSE_BAD_METHOD, 0, NULL, NULL, 0, 0},
  {"OPTIONS * HTTP/1.1\r\n", 0, SOF_HTTP_PARSE_BAD_METHOD, 0, NULL, NULL, 0, 0},
  {"GETX / HTTP/1.1\r\n", 0, SOF_HTTP_PARSE_BAD_METHOD, 0, NULL, NULL, 0, 0},
  {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0, SOF_HTTP_PARSE_BAD_REQUEST, 0, NULL, NULL, 0, 0},
  {" GET / HTTP/1.1\r\n", 0, SOF_HTTP_PARSE_BAD_REQUEST, 0, NULL, NULL, 0, 0},
  {"GET\t/ HTTP/1.1\r\n", 0, SOF_HTTP_PARSE_BAD_REQUEST, 0, NULL, NULL, 0, 0},
  {"GET  / HTTP/1.1\r\n", 0, SOF_HTTP_PARSE_BAD_REQUEST, 0, NULL, NULL, 0, 0},
  {"\x00GET", 4, SOF_HTTP_PARSE_BAD_REQUEST, 0, NULL, NULL, 0, 0},
  {"\rX", 0, SOF_HTTP_PARSE_BAD_REQUEST, 0, NULL, NULL, 0, 0},
  {"GET http://a/ HTTP/1.1\r\n", 0, SOF_HTTP_PARSE_BAD_TARGET, 0, NULL, NULL, 0, 0},
  {"GET * HTTP/1.1\r\n", 0, SOF_HTTP_PARSE_BAD_TARGET, 0, NULL, NULL, 0, 0},
  {"GET /a\x01 HTTP/1.1\r\n", 0, SOF_HTTP_PARSE_BAD_REQUEST, 0, NULL, NULL, 0, 0},
  {"GET /\xc3\xa9 HTTP/1.1\r\n", 0, SOF_HTTP_PARSE_BAD_REQUEST, 0, NULL, NULL, 0, 0},
  {"GET /\r\n", 0, SOF_HTTP_PARSE_BAD_REQUEST, 0, NULL, NULL, 0, 0}, /* HTTP/0.9 */
  {"GET / HTTP/2.0\r\n\r\n", 0, SOF_HTTP_PARSE_BAD_VERSION, 0, NULL, NULL, 0, 0},
  {"GET / HTTP/0.9\r\n\r\n", 0, SOF_HTTP_PARSE_BAD_VERSION, 0, NULL, NULL, 0, 0},
  {"GET / HTTP/3.0", 0, SOF_HTTP_PARSE_BAD_VERSION, 0, NULL, NULL, 0, 0},
  {"GET / http/1.1\r\n", 0, SOF_HTTP_PARSE_BAD_REQUEST, 0, NULL, NULL, 0, 0},
  {"GET / HTTP/1.10\r\n", 0, SOF_HTTP_PARSE_BAD_REQUEST, 0, NULL, NULL, 0, 0},
  {"GET / HTTP/1.1 \r\n", 0, SOF_HTTP_PARSE_BAD_REQUEST, 0, NULL, NULL, 0, 0},
  {"GET / HTTP/1.1\rX", 0, SOF_HTTP_PARSE_BAD_REQUEST, 0, NULL, NULL, 0, 0},
  {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 0, SOF_HTTP_PARSE_BAD_HEADER, 0, NULL, NULL, 0, 0},
  {"GET / HTTP/1.1\r\n Host: x\r\n\r\n", 0, SOF_HTTP_PARSE_BAD_HEADER, 0, NULL, NULL, 0, 0},
  {R11 "X-A: 1\r\n  folded\r\n\r\n", 0, SOF_HTTP_PARSE_BAD_HEADER, 0, NULL, NULL, 0, 0},
  {R11 "Host x\r\n", 0, SOF_HTTP_PARSE_BAD_HEADER, 0, NULL, NULL, 0, 0},
  {R11 ": x\r\n", 0, SOF_HTTP_PARSE_BAD_HEADER, 0, NULL, NULL, 0, 0},
  {R11 "X-A: a\x01" "b\r\n", 0, SOF_HTTP_PARSE_BAD_HEADER, 0, NULL, NULL, 0, 0},
  {R11 "X-A: a\x7f\r\n", 0, SOF_HTTP_PARSE_BAD_HEADER, 0, NULL, NULL, 0, 0},
  {R11 "X-A: a\rb\r\n", 0, SOF_HTTP_PARSE_BAD_HEADER, 0, NULL, NULL, 0, 0},
  {R11 "\rX", 0, SOF_HTTP_PARSE_BAD_HEADER, 0, NULL, NULL, 0, 0},
  {R11 "Content-Length: 5\r\n\r\n", 0, SOF_HTTP_PARSE_HAS_BODY, 0, NULL, NULL, 0, 0},
  {R11 "content-length: 0010\r\n", 0, SOF_HTTP_PARSE_HAS_BODY, 0, NULL, NULL, 0, 0},
  {R11 "Content-Length: 1x\r\n\r\n", 0, SOF_HTTP_PARSE_BAD_HEADER, 0, NULL, NULL, 0, 0},
  {R11 "Content-Length: \r\n\r\n", 0, SOF_HTTP_PARSE_BAD_HEADER, 0, NULL, NULL, 0, 0},
  {R11 "Content-Length: -0\r\n\r\n", 0, SOF_HTTP_PARSE_BAD_HEADER, 0, NULL, NULL, 0, 0},
  {R11 "Transfer-Encoding: chunked\r\n\r\n", 0, SOF_HTTP_PARSE_HAS_BODY, 0, NULL, NULL, 0, 0},
  {"GET / HTTP/1.1\r\n\r\n", 0, SOF_HTTP_PARSE_NO_HOST, 0, NULL, NULL, 0, 0},
  {R11 "host: y\r\n\r\n", 0, SOF_HTTP_PARSE_NO_HOST, 0, NULL, NULL, 0, 0},
};

static void
check_prefixes(char const *in, size_t len, int rc, size_t hdr_len) {
  /* Every proper prefix: NEED_MORE, or the same result (an error seen early).
   * For OK, every prefix shorter than the head is NEED_MORE. */
  sof_http_req_t r;
  size_t bad = 0;
  for (size_t k = 0; k < len; k++) {
    int p = sof_http_parse_request(in, k, &r);
    if (rc == SOF_HTTP_PARSE_OK && k < hdr_len) {
      if (p != SOF_HTTP_PARSE_NEED_MORE) bad++;
    } else if (p != SOF_HTTP_PARSE_NEED_MORE && p != rc) {
      bad++;
    }
    if (p == SOF_HTTP_PARSE_OK && r.hdr_len != hdr_len) bad++;
  }
  if (bad) fprintf(stderr, "prefixes of \"%.40s\": %zu wrong\n", in, bad);
  SOF_CHECK_EQ(bad, 0);
}

static void
test_parser(void) {
  for (size_t i = 0; i < sizeof pcases / sizeof pcases[0]; i++) {
    pcase_t const *c = &pcases[i];
    size_t len = c->len ? c->len : strlen(c->in);
    sof_http_req_t r;
    int rc = sof_http_parse_request(c->in, len, &r);
    if (rc != c->rc)
      fprintf(stderr, "case %zu \"%.50s\": got %s, want %s\n", i, c->in, sof_http_parse_str(rc),
              sof_http_parse_str(c->rc));
    SOF_CHECK_EQ(rc, c->rc);
    if (rc == SOF_HTTP_PARSE_OK && c->rc == SOF_HTTP_PARSE_OK) {
      size_t hl = c->hdr_len ? c->hdr_len : len;
      SOF_CHECK_EQ(r.method, c->method);
      SOF_CHECK_EQ(r.version_major, 1);
      SOF_CHECK_EQ(r.version_minor, c->minor);
      SOF_CHECK_EQ(r.hdr_len, hl);
      SOF_CHECK_EQ(r.path_len, strlen(c->path));
      SOF_CHECK(!memcmp(c->in + r.path_off, c->path, r.path_len));
      SOF_CHECK_EQ(r.query_len, strlen(c->query));
      SOF_CHECK(!memcmp(c->in + r.query_off, c->query, r.query_len));
      SOF_CHECK(r.target_off + r.target_len <= r.hdr_len);
      check_prefixes(c->in, len, rc, hl);
    } else {
      check_prefixes(c->in, len, c->rc, 0);
    }
  }
  /* header counts: 64 lines accepted, 65 refused */
  char big[8192];
  for (int n = 63; n <= 65; n++) {
    int o = snprintf(big, sizeof big, "GET / HTTP/1.1\r\n");
    for (int k = 0; k < n; k++) o += snprintf(big + o, sizeof big - (size_t)o, "%s: v\r\n", k ? "X-H" : "Host");
    o += snprintf(big + o, sizeof big - (size_t)o, "\r\n");
    sof_http_req_t r;
    int rc = sof_http_parse_request(big, (size_t)o, &r);
    SOF_CHECK_EQ(rc, n <= 64 ? SOF_HTTP_PARSE_OK : SOF_HTTP_PARSE_TOO_MANY_HEADERS);
    if (n <= 64) SOF_CHECK_EQ(r.header_cnt, n);
  }
  /* the method token limit: 32 bytes is still a method (405), 33 never is */
  SOF_CHECK_EQ(sof_http_parse_request("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA /", 34, &(sof_http_req_t){0}),
               SOF_HTTP_PARSE_BAD_METHOD);
  /* The parser reads only the bytes it is given: a request cut just before
   * its last byte, in an exactly sized heap buffer (ASan checks the bound). */
  char const *full = "GET /z HTTP/1.1\r\nHost: a\r\n\r\n";
  size_t fl = strlen(full);
  char *exact = malloc(fl - 1);
  memcpy(exact, full, fl - 1);
  SOF_CHECK_EQ(sof_http_parse_request(exact, fl - 1, &(sof_http_req_t){0}), SOF_HTTP_PARSE_NEED_MORE);
  free(exact);

  /* status mapping and names */
  SOF_CHECK_EQ(sof_http_parse_status(SOF_HTTP_PARSE_OK), 0);
  SOF_CHECK_EQ(sof_http_parse_status(SOF_HTTP_PARSE_NEED_MORE), 0);
  SOF_CHECK_EQ(sof_http_parse_status(SOF_HTTP_PARSE_BAD_REQUEST), 400);
  SOF_CHECK_EQ(sof_http_parse_status(SOF_HTTP_PARSE_BAD_METHOD), 405);
  SOF_CHECK_EQ(sof_http_parse_status(SOF_HTTP_PARSE_BAD_VERSION), 505);
  SOF_CHECK_EQ(sof_http_parse_status(SOF_HTTP_PARSE_BAD_TARGET), 400);
  SOF_CHECK_EQ(sof_http_parse_status(SOF_HTTP_PARSE_BAD_HEADER), 400);
  SOF_CHECK_EQ(sof_http_parse_status(SOF_HTTP_PARSE_HAS_BODY), 413);
  SOF_CHECK_EQ(sof_http_parse_status(SOF_HTTP_PARSE_TOO_MANY_HEADERS), 431);
  SOF_CHECK_EQ(sof_http_parse_status(SOF_HTTP_PARSE_NO_HOST), 400);
  SOF_CHECK_EQ(sof_http_parse_status(-9), 0);
  SOF_CHECK_STR(sof_http_parse_str(SOF_HTTP_PARSE_HAS_BODY), "has_body");
  SOF_CHECK_STR(sof_http_parse_str(-9), "?");
  SOF_CHECK_STR(sof_http_reason(431), "Request Header Fields Too Large");
  SOF_CHECK_STR(sof_http_reason(299), "Unknown");
}

/* ---- server end to end ------------------------------------------------------- */

static char const metrics_body[] = "# HELP sof_x a test counter\n# TYPE sof_x counter\nsof_x 42\n";
#define BIG_SZ 300000U

static int
handler(void *ctx, char const *path, sof_http_resp_t *r) {
  int *calls = ctx;
  (*calls)++;
  if (!strcmp(path, "/metrics")) {
    r->content_type = SOF_HTTP_PROM_CTYPE;
    return sof_http_resp_printf(r, "%s", metrics_body) ? 500 : 200;
  }
  if (!strcmp(path, "/json")) {
    r->content_type = "application/json";
    sof_http_resp_printf(r, "{\"q\":\"%s\"}", r->query);
    return 200;
  }
  if (!strcmp(path, "/big")) { /* a fixed-buffer renderer: asks for room */
    if (r->body_cap < BIG_SZ) return SOF_HTTP_NEED_ROOM;
    for (size_t i = 0; i < BIG_SZ; i++) r->body[i] = (char)('a' + i % 26);
    r->body_len = BIG_SZ;
    return 200;
  }
  if (!strcmp(path, "/huge")) {
    static char chunk[1000];
    memset(chunk, 'h', sizeof chunk);
    int rc = 0;
    for (int i = 0; i < 3000 && !rc; i++) rc = sof_http_resp_append(r, chunk, sizeof chunk);
    SOF_CHECK_EQ(rc, -1);                  /* 3 MB > body_max (1 MiB) */
    SOF_CHECK(r->overflow);
    SOF_CHECK_EQ(r->body_len, 1048000);    /* what fitted */
    return 200;
  }
  if (!strcmp(path, "/toolarge")) return SOF_HTTP_NEED_ROOM; /* never fits */
  if (!strcmp(path, "/weird")) return 99;
  if (!strcmp(path, "/ctype")) {
    r->content_type = "text/plain\r\nX-Injected: 1";
    return 200;
  }
  if (!strcmp(path, "/empty")) return 204;
  sof_http_resp_printf(r, "no such path: %s\n", path);
  return 404;
}

static uint64_t
now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000ULL + (uint64_t)ts.tv_nsec / 1000000ULL;
}

static int
cli_connect(uint16_t port, int rcvbuf) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (rcvbuf) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
    close(fd);
    return -1;
  }
  return fd;
}

static void
cli_send(int fd, char const *s, size_t n) {
  size_t off = 0;
  while (off < n) {
    ssize_t w = send(fd, s + off, n - off, MSG_NOSIGNAL);
    if (w <= 0) break;
    off += (size_t)w;
  }
  SOF_CHECK_EQ(off, n);
}

/* Polls the server and reads the client until EOF or max_ms. Returns the
 * bytes read into out (NUL-terminated); *eof says whether EOF was seen (a
 * reset, ECONNRESET, ends the exchange with *eof 0). */
static size_t
exchange(sof_http_t *srv, int *calls, int fd, char *out, size_t cap, int max_ms, int *eof) {
  size_t n = 0;
  *eof = 0;
  uint64_t end = now_ms() + (uint64_t)max_ms;
  while (now_ms() < end) {
    sof_http_poll(srv, handler, calls);
    for (;;) {
      ssize_t r = recv(fd, out + n, cap - 1 - n, MSG_DONTWAIT);
      if (r > 0) { n += (size_t)r; if (n == cap - 1) break; continue; }
      if (r == 0) *eof = 1;
      if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { /* a reset is not EOF */
        fprintf(stderr, "exchange: recv: %s\n", strerror(errno));
        out[n] = 0;
        return n;
      }
      break;
    }
    if (*eof || n == cap - 1) break;
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    poll(&pf, 1, 2);
  }
  out[n] = 0;
  return n;
}

static char resp_buf[1 << 20];

/* One whole request on a fresh connection; the response in resp_buf. */
static size_t
roundtrip(sof_http_t *srv, int *calls, char const *req, size_t req_len) {
  int fd = cli_connect(srv->port, 0);
  SOF_CHECK(fd >= 0);
  if (fd < 0) return 0;
  cli_send(fd, req, req_len ? req_len : strlen(req));
  int eof;
  size_t n = exchange(srv, calls, fd, resp_buf, sizeof resp_buf, 3000, &eof);
  SOF_CHECK(eof);
  close(fd);
  return n;
}

static void
expect_resp(char const *got, int status, char const *ctype, char const *body, size_t body_len,
            char const *extra_hdr) {
  char want[4096];
  int n = snprintf(want, sizeof want, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                   "Connection: close\r\n\r\n", status, sof_http_reason(status), ctype, body_len,
                   extra_hdr ? extra_hdr : "");
  if (body) {
    memcpy(want + n, body, body_len);
    want[n + (int)body_len] = 0;
  }
  SOF_CHECK_STR(got, want);
}

static void
test_server(void) {
  sof_http_t srv;
  char err[256] = "";
  int calls = 0;
  SOF_CHECK_EQ(sof_http_open(&srv, "127.0.0.1:0", err, sizeof err), 0);
  if (!srv.open) {
    fprintf(stderr, "open: %s\n", err);
    return;
  }
  SOF_CHECK(srv.port != 0);
  char want_addr[64];
  snprintf(want_addr, sizeof want_addr, "127.0.0.1:%u", srv.port);
  SOF_CHECK_STR(sof_http_addr(&srv), want_addr);
  SOF_CHECK_EQ(sof_http_poll(&srv, handler, &calls), 0); /* nothing pending */

  /* GET /metrics: the exact response */
  roundtrip(&srv, &calls, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: test\r\n\r\n", 0);
  expect_resp(resp_buf, 200, SOF_HTTP_PROM_CTYPE, metrics_body, strlen(metrics_body), NULL);
  SOF_CHECK_EQ(calls, 1);
  /* HTTP/1.0, no Host */
  roundtrip(&srv, &calls, "GET /metrics HTTP/1.0\r\n\r\n", 0);
  expect_resp(resp_buf, 200, SOF_HTTP_PROM_CTYPE, metrics_body, strlen(metrics_body), NULL);
  /* HEAD: the head only, with the body's length */
  roundtrip(&srv, &calls, "HEAD /metrics HTTP/1.1\r\nHost: h\r\n\r\n", 0);
  expect_resp(resp_buf, 200, SOF_HTTP_PROM_CTYPE, NULL, strlen(metrics_body), NULL);
  /* unknown path: the handler's 404 */
  roundtrip(&srv, &calls, "GET /nope HTTP/1.1\r\nHost: h\r\n\r\n", 0);
  expect_resp(resp_buf, 404, SOF_HTTP_DEFAULT_CTYPE, "no such path: /nope\n", 20, NULL);
  /* the query reaches the handler */
  roundtrip(&srv, &calls, "GET /json?slot=42&x HTTP/1.1\r\nHost: h\r\n\r\n", 0);
  expect_resp(resp_buf, 200, "application/json", "{\"q\":\"slot=42&x\"}", 17, NULL);
  /* 204: no body, no length */
  roundtrip(&srv, &calls, "GET /empty HTTP/1.1\r\nHost: h\r\n\r\n", 0);
  SOF_CHECK_STR(resp_buf, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  /* parse errors: 405 with Allow, 400, 505, 413 */
  roundtrip(&srv, &calls, "POST /metrics HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nab", 0);
  expect_resp(resp_buf, 405, SOF_HTTP_DEFAULT_CTYPE, "405 Method Not Allowed\n", 23,
              "Allow: GET, HEAD\r\n");
  roundtrip(&srv, &calls, "GET /metrics HTTP/1.1\r\n\r\n", 0);
  expect_resp(resp_buf, 400, SOF_HTTP_DEFAULT_CTYPE, "400 Bad Request\n", 16, NULL);
  roundtrip(&srv, &calls, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11); /* a TLS hello */
  expect_resp(resp_buf, 400, SOF_HTTP_DEFAULT_CTYPE, "400 Bad Request\n", 16, NULL);
  roundtrip(&srv, &calls, "GET / HTTP/2.0\r\n\r\n", 0);
  expect_resp(resp_buf, 505, SOF_HTTP_DEFAULT_CTYPE, "505 HTTP Version Not Supported\n", 31, NULL);
  roundtrip(&srv, &calls, "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0);
  expect_resp(resp_buf, 413, SOF_HTTP_DEFAULT_CTYPE, "413 Content Too Large\n", 22, NULL);
  SOF_CHECK_EQ(calls, 6); /* errors never reach the handler */
  SOF_CHECK_EQ(srv.stats.bad_requests, 5);

  /* oversized heads: 414 when the request line does not end, else 431 */
  static char big[9000];
  memset(big, 'a', sizeof big);
  memcpy(big, "GET /", 5);
  roundtrip(&srv, &calls, big, sizeof big);
  expect_resp(resp_buf, 414, SOF_HTTP_DEFAULT_CTYPE, "414 URI Too Long\n", 17, NULL);
  int o = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: ");
  memset(big + o, 'p', sizeof big - (size_t)o);
  roundtrip(&srv, &calls, big, sizeof big);
  expect_resp(resp_buf, 431, SOF_HTTP_DEFAULT_CTYPE, "431 Request Header Fields Too Large\n", 36, NULL);
  SOF_CHECK_EQ(srv.stats.too_large, 2);

  /* handler failures: 500 */
  roundtrip(&srv, &calls, "GET /huge HTTP/1.1\r\nHost: h\r\n\r\n", 0);
  expect_resp(resp_buf, 500, SOF_HTTP_DEFAULT_CTYPE, "500 Internal Server Error\n", 26, NULL);
  roundtrip(&srv, &calls, "GET /toolarge HTTP/1.1\r\nHost: h\r\n\r\n", 0);
  expect_resp(resp_buf, 500, SOF_HTTP_DEFAULT_CTYPE, "500 Internal Server Error\n", 26, NULL);
  roundtrip(&srv, &calls, "GET /weird HTTP/1.1\r\nHost: h\r\n\r\n", 0);
  expect_resp(resp_buf, 500, SOF_HTTP_DEFAULT_CTYPE, "500 Internal Server Error\n", 26, NULL);
  roundtrip(&srv, &calls, "GET /ctype HTTP/1.1\r\nHost: h\r\n\r\n", 0);
  expect_resp(resp_buf, 500, SOF_HTTP_DEFAULT_CTYPE, "500 Internal Server Error\n", 26, NULL);
  SOF_CHECK_EQ(srv.stats.body_too_large, 4);

  /* a slow client: the request in three pieces across polls */
  int fd = cli_connect(srv.port, 0);
  SOF_CHECK(fd >= 0);
  int eof;
  uint64_t req0 = srv.stats.requests;
  cli_send(fd, "GET /met", 8);
  SOF_CHECK_EQ(exchange(&srv, &calls, fd, resp_buf, sizeof resp_buf, 50, &eof), 0);
  SOF_CHECK(!eof);
  cli_send(fd, "rics HTTP/1.1\r\nHost: x\r\n", 24);
  SOF_CHECK_EQ(exchange(&srv, &calls, fd, resp_buf, sizeof resp_buf, 50, &eof), 0);
  SOF_CHECK(!eof);
  SOF_CHECK_EQ(srv.stats.requests, req0);
  cli_send(fd, "\r\n", 2);
  exchange(&srv, &calls, fd, resp_buf, sizeof resp_buf, 3000, &eof);
  SOF_CHECK(eof);
  expect_resp(resp_buf, 200, SOF_HTTP_PROM_CTYPE, metrics_body, strlen(metrics_body), NULL);
  close(fd);

  /* a client that half-closes after its request still gets the answer */
  fd = cli_connect(srv.port, 0);
  cli_send(fd, "GET /metrics HTTP/1.0\r\n\r\n", 25);
  shutdown(fd, SHUT_WR);
  exchange(&srv, &calls, fd, resp_buf, sizeof resp_buf, 3000, &eof);
  expect_resp(resp_buf, 200, SOF_HTTP_PROM_CTYPE, metrics_body, strlen(metrics_body), NULL);
  close(fd);
  /* ... one that half-closes before the end of its request does not */
  uint64_t eof0 = srv.stats.client_eof;
  fd = cli_connect(srv.port, 0);
  cli_send(fd, "GET /metrics HTTP/1.1\r\n", 23);
  shutdown(fd, SHUT_WR);
  SOF_CHECK_EQ(exchange(&srv, &calls, fd, resp_buf, sizeof resp_buf, 3000, &eof), 0);
  SOF_CHECK(eof);
  SOF_CHECK_EQ(srv.stats.client_eof, eof0 + 1);
  close(fd);

  /* every connection is closed: the gauge is back to 0, all responses written */
  for (int i = 0; i < 5; i++) sof_http_poll(&srv, handler, &calls);
  SOF_CHECK_EQ(srv.stats.clients, 0);
  SOF_CHECK_EQ(srv.stats.responses_done, srv.stats.resp_2xx + srv.stats.resp_4xx + srv.stats.resp_5xx);
  SOF_CHECK_EQ(srv.stats.accepted, 20);
  SOF_CHECK_EQ(srv.stats.io_errors + srv.stats.timeouts + srv.stats.rejected, 0);

  /* another server cannot take the same port */
  sof_http_t srv2;
  char addr2[64];
  snprintf(addr2, sizeof addr2, "127.0.0.1:%u", srv.port);
  SOF_CHECK_EQ(sof_http_open(&srv2, addr2, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "bind: Address already in use") != NULL);
  sof_http_close(&srv2);

  sof_http_close(&srv);
  sof_http_close(&srv); /* twice is fine */
  SOF_CHECK_EQ(sof_http_poll(&srv, handler, &calls), -1);
}

/* Bounded clients, timeouts, a large body through a small send buffer. */
static void
test_server_limits(void) {
  sof_http_cfg_t cfg;
  sof_http_cfg_default(&cfg);
  cfg.addr = "127.0.0.1:0";
  cfg.clients_max = 2;
  cfg.request_timeout_ms = 150;
  cfg.idle_timeout_ms = 2000;
  cfg.sndbuf = 4096;
  cfg.body_init = 4096;
  sof_http_t srv;
  char err[256] = "";
  int calls = 0, eof;
  SOF_CHECK_EQ(sof_http_open_cfg(&srv, &cfg, err, sizeof err), 0);
  if (!srv.open) {
    fprintf(stderr, "open: %s\n", err);
    return;
  }
  /* two clients take both places (one has sent part of its request); a
   * third evicts the one waiting longest (a), which gets a whole 503 with
   * Retry-After and our FIN, not a reset */
  int a = cli_connect(srv.port, 0);
  SOF_CHECK(a >= 0);
  cli_send(a, "GET /", 5);
  sof_http_poll(&srv, handler, &calls);
  usleep(2000);
  int b = cli_connect(srv.port, 0);
  SOF_CHECK(b >= 0);
  sof_http_poll(&srv, handler, &calls);
  SOF_CHECK_EQ(srv.stats.clients, 2);
  int c = cli_connect(srv.port, 0);
  exchange(&srv, &calls, a, resp_buf, sizeof resp_buf, 3000, &eof);
  SOF_CHECK(eof);
  expect_resp(resp_buf, 503, SOF_HTTP_DEFAULT_CTYPE, "503 Service Unavailable\n", 24,
              "Retry-After: 1\r\n");
  SOF_CHECK_EQ(srv.stats.evicted, 1);
  SOF_CHECK_EQ(srv.stats.rejected, 0);
  SOF_CHECK_EQ(srv.stats.clients, 2);
  close(a);
  /* the newcomer is served */
  cli_send(c, "GET /metrics HTTP/1.0\r\n\r\n", 25);
  exchange(&srv, &calls, c, resp_buf, sizeof resp_buf, 3000, &eof);
  SOF_CHECK(eof);
  expect_resp(resp_buf, 200, SOF_HTTP_PROM_CTYPE, metrics_body, strlen(metrics_body), NULL);
  close(c);
  /* b times out (request_timeout_ms from its accept): 408, then EOF */
  usleep(200 * 1000);
  exchange(&srv, &calls, b, resp_buf, sizeof resp_buf, 3000, &eof);
  SOF_CHECK(eof);
  expect_resp(resp_buf, 408, SOF_HTTP_DEFAULT_CTYPE, "408 Request Timeout\n", 20, NULL);
  SOF_CHECK_EQ(srv.stats.timeouts, 1);
  close(b);
  for (int i = 0; i < 5; i++) sof_http_poll(&srv, handler, &calls);
  SOF_CHECK_EQ(srv.stats.clients, 0);

  /* 300 kB through a 4 kB send buffer to two clients that do not read at
   * first: the writes resume across polls; the body grew by NEED_ROOM. With
   * both slots writing a response, a third client is refused: a whole 503
   * and EOF. */
  uint64_t done0 = srv.stats.responses_done;
  int d = cli_connect(srv.port, 4096), d2 = cli_connect(srv.port, 4096);
  cli_send(d, "GET /big HTTP/1.1\r\nHost: h\r\n\r\n", 30);
  cli_send(d2, "GET /big HTTP/1.1\r\nHost: h\r\n\r\n", 30);
  for (int i = 0; i < 20; i++) {
    sof_http_poll(&srv, handler, &calls);
    usleep(1000);
  }
  SOF_CHECK(srv.stats.partial_writes > 0);
  SOF_CHECK_EQ(srv.stats.responses_done, done0); /* not finished */
  int e = cli_connect(srv.port, 0);
  cli_send(e, "GET /metrics HTTP/1.0\r\n\r\n", 25);
  usleep(1000);
  exchange(&srv, &calls, e, resp_buf, sizeof resp_buf, 3000, &eof);
  SOF_CHECK(eof);
  expect_resp(resp_buf, 503, SOF_HTTP_DEFAULT_CTYPE, "503 Service Unavailable\n", 24,
              "Retry-After: 1\r\n");
  SOF_CHECK_EQ(srv.stats.rejected, 1);
  close(e);
  size_t n = exchange(&srv, &calls, d, resp_buf, sizeof resp_buf, 5000, &eof);
  SOF_CHECK(eof);
  char head[256];
  int hl = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %u\r\n"
                    "Connection: close\r\n\r\n", SOF_HTTP_DEFAULT_CTYPE, BIG_SZ);
  SOF_CHECK_EQ(n, (size_t)hl + BIG_SZ);
  SOF_CHECK(!memcmp(resp_buf, head, (size_t)hl));
  size_t badb = 0;
  for (size_t i = 0; i < BIG_SZ && (size_t)hl + i < n; i++)
    if (resp_buf[hl + (int)i] != (char)('a' + i % 26)) badb++;
  SOF_CHECK_EQ(badb, 0);
  close(d);
  n = exchange(&srv, &calls, d2, resp_buf, sizeof resp_buf, 5000, &eof);
  SOF_CHECK(eof);
  SOF_CHECK_EQ(n, (size_t)hl + BIG_SZ);
  SOF_CHECK(!memcmp(resp_buf, head, (size_t)hl));
  SOF_CHECK_EQ(srv.stats.responses_done, done0 + 2);
  close(d2);
  SOF_CHECK_EQ(srv.stats.write_timeouts + srv.stats.io_errors, 0);
  sof_http_close(&srv);

  /* configuration and address errors */
  char const *bad_addr[] = {"127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:x",
                            "::1:80", "[::1:80", "256.1.1.1:80"};
  for (size_t i = 0; i < sizeof bad_addr / sizeof bad_addr[0]; i++) {
    err[0] = 0;
    SOF_CHECK_EQ(sof_http_open(&srv, bad_addr[i], err, sizeof err), -1);
    SOF_CHECK(err[0] != 0);
    SOF_CHECK_EQ(srv.open, 0);
    sof_http_close(&srv);
  }
  sof_http_cfg_t bc = cfg;
  bc.clients_max = 0;
  SOF_CHECK_EQ(sof_http_open_cfg(&srv, &bc, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "clients_max") != NULL);
  bc = cfg;
  bc.request_max = 100;
  SOF_CHECK_EQ(sof_http_open_cfg(&srv, &bc, NULL, 0), -1);
  sof_http_t zero;
  memset(&zero, 0, sizeof zero);
  sof_http_close(&zero); /* a zeroed server is closed */
}

/* ---- the server thread --------------------------------------------------------- */

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED) /* a counter the server thread writes */

static int thread_calls; /* the handler's ctx on the server thread (read after stop) */

/* A whole exchange against the server thread: connect, send req (if any),
 * read until EOF or max_ms. Returns the bytes (NUL-terminated in out);
 * *res: 1 EOF, 0 timeout, -errno on a read error (a reset). */
static size_t
get_threaded(uint16_t port, char const *req, char *out, size_t cap, int max_ms, int *res) {
  *res = 0;
  int fd = cli_connect(port, 0);
  if (fd < 0) {
    *res = -errno;
    out[0] = 0;
    return 0;
  }
  if (req) cli_send(fd, req, strlen(req));
  size_t n = 0;
  uint64_t end = now_ms() + (uint64_t)max_ms;
  while (now_ms() < end && n < cap - 1) {
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    if (poll(&pf, 1, 10) <= 0) continue;
    ssize_t r = recv(fd, out + n, cap - 1 - n, MSG_DONTWAIT);
    if (r > 0) { n += (size_t)r; continue; }
    if (r == 0) { *res = 1; break; }
    if (errno != EAGAIN && errno != EWOULDBLOCK) { *res = -errno; break; }
  }
  out[n] = 0;
  close(fd);
  return n;
}

static void
expect_metrics_200(char const *got) {
  expect_resp(got, 200, SOF_HTTP_PROM_CTYPE, metrics_body, strlen(metrics_body), NULL);
}

#define SLOW_N 64

/* 64 clients hold connections and send a byte of a never-ending head every
 * 50 ms (never idle); a normal GET /metrics meanwhile gets 200 and the full
 * body at once; each slow client is answered 408 and closed once
 * request_timeout_ms (300) has passed since its accept, not later. */
static void
test_thread_slow_clients(void) {
  sof_http_cfg_t cfg;
  sof_http_cfg_default(&cfg);
  cfg.addr = "127.0.0.1:0";
  cfg.request_timeout_ms = 300;
  sof_http_t srv;
  char err[256] = "";
  SOF_CHECK_EQ(sof_http_open_cfg(&srv, &cfg, err, sizeof err), 0);
  if (!srv.open) { fprintf(stderr, "open: %s\n", err); return; }
  thread_calls = 0;
  SOF_CHECK_EQ(sof_http_start(&srv, handler, &thread_calls), 0);
  static char const slow[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: "
                             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  int fd[SLOW_N];
  uint64_t t_conn[SLOW_N], t_eof[SLOW_N];
  size_t got[SLOW_N], sent[SLOW_N];
  static char in[SLOW_N][256];
  int resets = 0;
  for (int i = 0; i < SLOW_N; i++) {
    fd[i] = cli_connect(srv.port, 0);
    SOF_CHECK(fd[i] >= 0);
    t_conn[i] = now_ms();
    t_eof[i] = 0;
    got[i] = sent[i] = 0;
  }
  uint64_t t0 = now_ms(), get_ms = 0;
  int get_done = 0, open_at_get = 0, get_res = 0;
  for (int open = SLOW_N; open > 0 && now_ms() - t0 < 3000;) {
    open = 0;
    for (int i = 0; i < SLOW_N; i++) {
      if (fd[i] < 0 || t_eof[i]) continue;
      ssize_t r;
      while ((r = recv(fd[i], in[i] + got[i], sizeof in[i] - 1 - got[i], MSG_DONTWAIT)) > 0)
        got[i] += (size_t)r;
      if (r == 0) { t_eof[i] = now_ms(); continue; }
      if (errno != EAGAIN && errno != EWOULDBLOCK) { resets++; t_eof[i] = now_ms(); continue; }
      open++;
      if (sent[i] < sizeof slow - 1 && send(fd[i], slow + sent[i], 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1)
        sent[i]++;
    }
    if (!get_done && now_ms() - t0 >= 100) { /* the slow clients are all connected and sending */
      open_at_get = open;
      uint64_t g0 = now_ms();
      get_threaded(srv.port, "GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n", resp_buf, sizeof resp_buf,
                   2000, &get_res);
      get_ms = now_ms() - g0;
      get_done = 1;
    }
    usleep(50 * 1000);
  }
  SOF_CHECK(get_done);
  SOF_CHECK_EQ(open_at_get, SLOW_N);
  SOF_CHECK_EQ(get_res, 1);
  expect_metrics_200(resp_buf);
  SOF_CHECK(get_ms < 250);
  SOF_CHECK_EQ(resets, 0);
  char want[256];
  snprintf(want, sizeof want, "HTTP/1.1 408 Request Timeout\r\nContent-Type: %s\r\nContent-Length: 20\r\n"
           "Connection: close\r\n\r\n408 Request Timeout\n", SOF_HTTP_DEFAULT_CTYPE);
  int early = 0, late = 0, wrong = 0;
  for (int i = 0; i < SLOW_N; i++) {
    in[i][got[i]] = 0;
    if (strcmp(in[i], want)) wrong++;
    if (!t_eof[i] || t_eof[i] - t_conn[i] > 300 + 400) late++;
    else if (t_eof[i] - t_conn[i] < 300) early++;
    if (sent[i] < 4) wrong++; /* they did send, a byte per 50 ms */
    close(fd[i]);
  }
  if (wrong) fprintf(stderr, "slow client 0 got \"%s\"\n", in[0]);
  SOF_CHECK_EQ(wrong, 0);
  SOF_CHECK_EQ(early, 0);
  SOF_CHECK_EQ(late, 0);
  sof_http_stop(&srv);
  SOF_CHECK_EQ(srv.stats.timeouts, SLOW_N);
  SOF_CHECK_EQ(srv.stats.resp_2xx, 1);
  SOF_CHECK_EQ(srv.stats.resp_4xx, SLOW_N);
  SOF_CHECK_EQ(srv.stats.evicted + srv.stats.rejected, 0);
  SOF_CHECK_EQ(thread_calls, 1);
  sof_http_close(&srv);
}

#define IDLE_N 1200

/* 1,200 idle connections (every other one sent part of a request) against
 * 256 slots: each newcomer evicts the oldest; the evicted read a whole 503
 * and EOF, never a reset; a normal GET afterwards gets 200. Then the thread
 * stops promptly with 256 clients connected. */
static void
test_thread_idle_flood(void) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < IDLE_N + 400) {
    rl.rlim_cur = rl.rlim_max < IDLE_N + 400 ? rl.rlim_max : IDLE_N + 400;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  int n_idle = IDLE_N;
  if (rl.rlim_cur < IDLE_N + 400) {
    n_idle = (int)rl.rlim_cur - 400;
    fprintf(stderr, "RLIMIT_NOFILE %llu: %d idle connections, not %d\n",
            (unsigned long long)rl.rlim_cur, n_idle, IDLE_N);
  }
  SOF_CHECK(n_idle > 300);
  if (n_idle <= 300) return;
  sof_http_cfg_t cfg;
  sof_http_cfg_default(&cfg);
  cfg.addr = "127.0.0.1:0";
  SOF_CHECK_EQ(cfg.clients_max, 256);
  sof_http_t srv;
  char err[256] = "";
  SOF_CHECK_EQ(sof_http_open_cfg(&srv, &cfg, err, sizeof err), 0);
  if (!srv.open) { fprintf(stderr, "open: %s\n", err); return; }
  thread_calls = 0;
  SOF_CHECK_EQ(sof_http_start(&srv, handler, &thread_calls), 0);
  static int fd[IDLE_N];
  int connected = 0;
  for (int i = 0; i < n_idle; i++) {
    fd[i] = cli_connect(srv.port, 0);
    if (fd[i] >= 0) connected++;
    if (fd[i] >= 0 && (i & 1)) cli_send(fd[i], "GET /metr", 9);
  }
  SOF_CHECK_EQ(connected, n_idle);
  uint64_t t0 = now_ms();
  while (LD(srv.stats.accepted) < (uint64_t)n_idle && now_ms() - t0 < 3000) usleep(1000);
  SOF_CHECK_EQ(LD(srv.stats.accepted), n_idle);
  /* a normal client */
  int res;
  get_threaded(srv.port, "GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n", resp_buf, sizeof resp_buf, 2000, &res);
  SOF_CHECK_EQ(res, 1);
  expect_metrics_200(resp_buf);
  /* the evicted: the n_idle - 255 oldest (the GET evicted one more) */
  int evicted = n_idle - 255, ok = 0, resets = 0, held = 0;
  char want[256];
  snprintf(want, sizeof want, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: %s\r\n"
           "Content-Length: 24\r\nRetry-After: 1\r\nConnection: close\r\n\r\n503 Service Unavailable\n",
           SOF_HTTP_DEFAULT_CTYPE);
  for (int i = 0; i < n_idle; i++) {
    char buf[512];
    size_t n = 0;
    int eof = 0;
    for (;;) {
      ssize_t r = recv(fd[i], buf + n, sizeof buf - 1 - n, MSG_DONTWAIT);
      if (r > 0) { n += (size_t)r; continue; }
      if (r == 0) eof = 1;
      else if (errno != EAGAIN && errno != EWOULDBLOCK) resets++;
      break;
    }
    buf[n] = 0;
    if (i < evicted) ok += eof && !strcmp(buf, want);
    else held += !eof && n == 0;
  }
  SOF_CHECK_EQ(resets, 0);
  SOF_CHECK_EQ(ok, evicted);
  SOF_CHECK_EQ(held, 255);
  SOF_CHECK_EQ(LD(srv.stats.evicted), evicted);
  SOF_CHECK_EQ(LD(srv.stats.rejected), 0);
  /* stop joins at once with 255 clients still connected */
  uint64_t s0 = now_ms();
  sof_http_stop(&srv);
  uint64_t stop_ms = now_ms() - s0;
  SOF_CHECK(stop_ms < 100);
  SOF_CHECK_EQ(srv.stats.clients, 255);
  SOF_CHECK_EQ(srv.stats.timeouts, 0);
  SOF_CHECK_EQ(thread_calls, 1);
  sof_http_close(&srv);
  for (int i = 0; i < n_idle; i++) if (fd[i] >= 0) close(fd[i]);
}

/* start, serve, stop (prompt with clients connected, one mid-request), start
 * again, close (stops the thread); misuse refused. */
static void
test_thread_lifecycle(void) {
  sof_http_t srv;
  char err[256] = "";
  SOF_CHECK_EQ(sof_http_open(&srv, "127.0.0.1:0", err, sizeof err), 0);
  if (!srv.open) { fprintf(stderr, "open: %s\n", err); return; }
  thread_calls = 0;
  SOF_CHECK_EQ(sof_http_start(&srv, handler, &thread_calls), 0);
  errno = 0;
  SOF_CHECK_EQ(sof_http_start(&srv, handler, &thread_calls), -1);
  SOF_CHECK_EQ(errno, EINVAL);
  SOF_CHECK_EQ(sof_http_poll(&srv, handler, &thread_calls), -1); /* the thread owns it */
  int res;
  get_threaded(srv.port, "GET /metrics HTTP/1.0\r\n\r\n", resp_buf, sizeof resp_buf, 2000, &res);
  SOF_CHECK_EQ(res, 1);
  expect_metrics_200(resp_buf);
  int idle[3];
  for (int i = 0; i < 3; i++) idle[i] = cli_connect(srv.port, 0);
  cli_send(idle[2], "GET /met", 8);
  uint64_t t0 = now_ms();
  while (LD(srv.stats.clients) < 3 && now_ms() - t0 < 2000) usleep(1000);
  SOF_CHECK_EQ(LD(srv.stats.clients), 3);
  usleep(20 * 1000); /* the thread sits in poll(2) */
  t0 = now_ms();
  sof_http_stop(&srv);
  SOF_CHECK(now_ms() - t0 < 100);
  SOF_CHECK_EQ(srv.stats.clients, 3);
  SOF_CHECK_EQ(thread_calls, 1);
  sof_http_stop(&srv); /* twice is fine */
  /* connections stay across stop and start: the half-written request completes */
  SOF_CHECK_EQ(sof_http_start(&srv, handler, &thread_calls), 0);
  cli_send(idle[2], "rics HTTP/1.0\r\n\r\n", 17);
  char buf[1024];
  size_t n = 0;
  t0 = now_ms();
  for (int eof = 0; !eof && now_ms() - t0 < 2000;) {
    struct pollfd pf = {.fd = idle[2], .events = POLLIN};
    if (poll(&pf, 1, 10) <= 0) continue;
    ssize_t r = recv(idle[2], buf + n, sizeof buf - 1 - n, 0);
    if (r <= 0) eof = 1;
    else n += (size_t)r;
  }
  buf[n] = 0;
  expect_metrics_200(buf);
  sof_http_close(&srv); /* stops the thread, closes the idle ones: EOF */
  SOF_CHECK_EQ(srv.running, 0);
  for (int i = 0; i < 2; i++) {
    struct pollfd pf = {.fd = idle[i], .events = POLLIN};
    SOF_CHECK_EQ(poll(&pf, 1, 1000), 1);
    SOF_CHECK_EQ(recv(idle[i], buf, sizeof buf, 0), 0);
  }
  for (int i = 0; i < 3; i++) close(idle[i]);
  SOF_CHECK_EQ(thread_calls, 2);
  sof_http_t zero;
  memset(&zero, 0, sizeof zero);
  SOF_CHECK_EQ(sof_http_start(&zero, handler, NULL), -1);
}

/* The counters as Prometheus text. */
static void
test_stats_prom(void) {
  sof_http_stats_t st;
  memset(&st, 0, sizeof st);
  st.evicted = 7;
  st.clients = 3;
  st.resp_4xx = 5;
  char buf[8192];
  int n = sof_http_stats_prom(&st, "sof_http", buf, sizeof buf);
  SOF_CHECK(n > 0 && (size_t)n == strlen(buf));
  SOF_CHECK(strstr(buf, "# TYPE sof_http_evicted_total counter\nsof_http_evicted_total 7\n") != NULL);
  SOF_CHECK(strstr(buf, "# TYPE sof_http_clients gauge\nsof_http_clients 3\n") != NULL);
  SOF_CHECK(strstr(buf, "\nsof_http_timeouts_total 0\n") != NULL);
  SOF_CHECK(strstr(buf, "sof_http_resp_") == NULL);
  SOF_CHECK(strstr(buf, "\nsof_http_responses_total{class=\"4xx\"} 5\n") != NULL);
  SOF_CHECK_EQ(sof_http_stats_prom(&st, "sof_http", buf, (size_t)n), -1); /* no room for the NUL */
  SOF_CHECK_EQ(sof_http_stats_prom(&st, "sof_http", buf, (size_t)n + 1), n);
}

int
main(void) {
  test_parser();
  test_server();
  test_server_limits();
  test_stats_prom();
  test_thread_lifecycle();
  test_thread_slow_clients();
  test_thread_idle_flood();
  return sof_test_done("http");
}
