/* libFuzzer target: the HTTP request parser (lib/net/sof_http.h), the part
 * of the metrics endpoint that reads untrusted bytes. Beyond memory safety
 * (ASan, UBSan) it checks the parser's contract on every input:
 * - results in range, offsets inside the head, the head's shape;
 * - determinism: the same bytes parse to the same fields;
 * - prefix stability: a proper prefix parses to NEED_MORE or to the same
 *   result (for OK: NEED_MORE below hdr_len, OK with the same fields from
 *   hdr_len on); all prefixes for small inputs, a sample for large ones. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/sof_http.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

#include "sof_fuzz.h"

static int
same_req(sof_http_req_t const *a, sof_http_req_t const *b) {
  return a->method == b->method && a->version_major == b->version_major &&
         a->version_minor == b->version_minor && a->has_host == b->has_host &&
         a->header_cnt == b->header_cnt && a->target_off == b->target_off &&
         a->target_len == b->target_len && a->path_off == b->path_off &&
         a->path_len == b->path_len && a->query_off == b->query_off &&
         a->query_len == b->query_len && a->hdr_len == b->hdr_len;
}

static void
check_prefix(char const *buf, size_t k, int rc, sof_http_req_t const *full) {
  sof_http_req_t r;
  int p = sof_http_parse_request(buf, k, &r);
  if (rc == SOF_HTTP_PARSE_OK) {
    if (k < full->hdr_len) REQUIRE(p == SOF_HTTP_PARSE_NEED_MORE);
    else REQUIRE(p == SOF_HTTP_PARSE_OK && same_req(&r, full));
  } else {
    REQUIRE(p == SOF_HTTP_PARSE_NEED_MORE || p == rc);
  }
}

int
LLVMFuzzerTestOneInput(uint8_t const *data, size_t sz) {
  char const *buf = (char const *)data;
  sof_http_req_t r;
  int rc = sof_http_parse_request(buf, sz, &r);
  REQUIRE(rc >= -SOF_HTTP_PARSE_ERR_CNT && rc <= SOF_HTTP_PARSE_OK);
  REQUIRE(sof_http_parse_str(rc)[0] != '?');
  if (rc < 0) {
    int st = sof_http_parse_status(rc);
    REQUIRE(st == 400 || st == 405 || st == 413 || st == 431 || st == 505);
  } else {
    REQUIRE(sof_http_parse_status(rc) == 0);
  }
  if (rc == SOF_HTTP_PARSE_OK) {
    REQUIRE(r.hdr_len > 0 && r.hdr_len <= sz);
    REQUIRE(data[r.hdr_len - 1] == '\n');
    REQUIRE(r.method == SOF_HTTP_METHOD_GET || r.method == SOF_HTTP_METHOD_HEAD);
    REQUIRE(r.version_major == 1 && r.version_minor <= 9);
    REQUIRE(r.version_minor == 0 || r.has_host);
    REQUIRE(r.header_cnt <= SOF_HTTP_HEADERS_MAX);
    REQUIRE(r.target_len >= 1 && r.target_off + r.target_len < r.hdr_len);
    REQUIRE(data[r.target_off] == '/' && data[r.target_off + r.target_len] == ' ');
    REQUIRE(data[r.target_off - 1] == ' ');
    REQUIRE(r.path_off == r.target_off && r.path_len >= 1 && r.path_len <= r.target_len);
    for (size_t i = 0; i < r.target_len; i++) {
      uint8_t c = data[r.target_off + i];
      REQUIRE(c > 0x20 && c < 0x7F);
      if (i < r.path_len) REQUIRE(c != '?');
    }
    if (r.query_len) {
      REQUIRE(data[r.query_off - 1] == '?');
      REQUIRE(r.query_off + r.query_len == r.target_off + r.target_len);
    } else {
      REQUIRE(r.query_off == r.target_off + r.target_len); /* no '?', or one at the end */
    }
  }
  /* determinism */
  sof_http_req_t again;
  REQUIRE(sof_http_parse_request(buf, sz, &again) == rc);
  if (rc == SOF_HTTP_PARSE_OK) REQUIRE(same_req(&r, &again));
  /* prefix stability */
  if (sz <= 128) {
    for (size_t k = 0; k < sz; k++) check_prefix(buf, k, rc, &r);
  } else {
    size_t h = 0x9E3779B9u;
    for (size_t i = 0; i < 16; i++) h = h * 31u + data[i];
    size_t ks[10] = {0, 1, sz / 2, sz - 1, sz - 2, h % sz, (h >> 7) % sz, (h >> 15) % sz,
                     rc == SOF_HTTP_PARSE_OK ? r.hdr_len - 1 : sz / 3,
                     rc == SOF_HTTP_PARSE_OK ? r.hdr_len : sz / 4};
    for (size_t i = 0; i < 10; i++)
      if (ks[i] <= sz) check_prefix(buf, ks[i], rc, &r);
  }
  return 0;
}
