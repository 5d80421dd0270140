/* sof_num.c: see sof_num.h. */
#include "util/sof_num.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/sof_errbuf.h"

/* Decimal digits only, no range check: SOF_NUM_OK with *out, or the code. */
static sof_num_rc_t
digits(char const *s, size_t len, uint64_t *out) {
  if (!len) return SOF_NUM_EMPTY;
  for (size_t i = 0; i < len; i++)
    if (s[i] < '0' || s[i] > '9') return SOF_NUM_NOT_DECIMAL;
  if (s[0] == '0' && len > 1) return SOF_NUM_LEADING_ZERO;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    uint64_t d = (uint64_t)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return SOF_NUM_RANGE;
    v = v * 10 + d;
  }
  *out = v;
  return SOF_NUM_OK;
}

sof_num_rc_t
sof_num_u64(char const *s, size_t len, uint64_t lo, uint64_t hi, uint64_t *out) {
  uint64_t v;
  sof_num_rc_t rc = digits(s, len, &v);
  if (rc != SOF_NUM_OK) return rc;
  if (v < lo || v > hi) return SOF_NUM_RANGE;
  *out = v;
  return SOF_NUM_OK;
}

void
sof_num_describe(sof_num_rc_t rc, char const *s, size_t len, uint64_t lo, uint64_t hi, char *buf,
                 size_t buf_sz) {
  int shown = len > 64 ? 64 : (int)len;
  char const *more = len > 64 ? "..." : "";
  switch (rc) {
  case SOF_NUM_OK:
    sof_errbuf_set(buf, buf_sz, "'%.*s%s' is fine", shown, s, more);
    return;
  case SOF_NUM_EMPTY:
    sof_errbuf_set(buf, buf_sz, "an empty value (expected a decimal integer in [%" PRIu64 ", %" PRIu64 "])",
                   lo, hi);
    return;
  case SOF_NUM_LEADING_ZERO: {
    size_t z = 0;
    while (z + 1 < len && s[z] == '0') z++;
    uint64_t v;
    sof_num_rc_t r = sof_num_u64(s + z, len - z, 0, UINT64_MAX, &v);
    if (r == SOF_NUM_OK && v >= lo && v <= hi)
      sof_errbuf_set(buf, buf_sz, "'%.*s%s' has a leading zero: numbers are decimal, not octal "
                     "(did you mean %" PRIu64 "?)", shown, s, more, v);
    else if (r == SOF_NUM_OK)
      sof_errbuf_set(buf, buf_sz, "'%.*s%s' has a leading zero: numbers are decimal, not octal "
                     "(did you mean %" PRIu64 "? that is out of range [%" PRIu64 ", %" PRIu64 "])",
                     shown, s, more, v, lo, hi);
    else
      sof_errbuf_set(buf, buf_sz, "'%.*s%s' has a leading zero: numbers are decimal, not octal "
                     "(and it is out of range [%" PRIu64 ", %" PRIu64 "])", shown, s, more, lo, hi);
    return;
  }
  case SOF_NUM_RANGE:
    sof_errbuf_set(buf, buf_sz, "'%.*s%s' is out of range [%" PRIu64 ", %" PRIu64 "]", shown, s, more,
                   lo, hi);
    return;
  case SOF_NUM_NOT_DECIMAL:
  default:
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      /* a hex literal: say so, with its decimal value when it has one */
      uint64_t v = 0;
      size_t i = 2;
      for (; i < len && i < 18; i++) {
        char c = s[i];
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16U;
        if (d == 16) break;
        v = v << 4 | d;
      }
      if (i == len) {
        sof_errbuf_set(buf, buf_sz, "'%.*s%s' is hex: numbers are decimal (write %" PRIu64 ")",
                       shown, s, more, v);
        return;
      }
    }
    sof_errbuf_set(buf, buf_sz, "'%.*s%s' is not a decimal integer in [%" PRIu64 ", %" PRIu64 "] "
                   "(digits 0-9 only: no sign, blank, hex or suffix)", shown, s, more, lo, hi);
    return;
  }
}

long
sof_num_list(char const *s, uint64_t lo, uint64_t hi, uint64_t *out, size_t cap, char *err,
             size_t err_sz) {
  size_t n = 0;
  char const *p = s;
  for (;;) {
    char const *e = strchr(p, ',');
    char const *end = e ? e : p + strlen(p);
    char const *a = p, *b = end;
    while (a < b && (*a == ' ' || *a == '\t')) a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
    if (a == b) {
      if (!e && n == 0) sof_errbuf_set(err, err_sz, "an empty list");
      else sof_errbuf_set(err, err_sz, "an empty item (item %zu)", n + 1);
      return -1;
    }
    if (n == cap) {
      sof_errbuf_set(err, err_sz, "more than %zu items", cap);
      return -1;
    }
    uint64_t v;
    sof_num_rc_t rc = sof_num_u64(a, (size_t)(b - a), lo, hi, &v);
    if (rc != SOF_NUM_OK) {
      char why[256];
      sof_num_describe(rc, a, (size_t)(b - a), lo, hi, why, sizeof why);
      sof_errbuf_set(err, err_sz, "item %zu: %s", n + 1, why);
      return -1;
    }
    out[n++] = v;
    if (!e) break;
    p = e + 1;
  }
  return (long)n;
}
