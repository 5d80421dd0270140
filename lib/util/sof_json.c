#include "util/sof_json.h"

#include <string.h>

#include "wire/sof_base58.h"

static void
put(sof_json_t *j, char const *s, size_t n) {
  if (j->overflow) return;
  if (j->cap - j->len <= n) { /* keep one byte for the NUL */
    j->overflow = 1;
    return;
  }
  memcpy(j->buf + j->len, s, n);
  j->len += n;
  j->buf[j->len] = '\0';
}

static inline void
putc1(sof_json_t *j, char c) {
  put(j, &c, 1);
}

/* Writes the separator a new value needs at the current depth. */
static void
value_prefix(sof_json_t *j) {
  if (j->after_key) {
    j->after_key = 0;
    return;
  }
  if (j->need_comma[j->depth]) putc1(j, ',');
  j->need_comma[j->depth] = 1;
}

void
sof_json_init(sof_json_t *j, char *buf, size_t cap) {
  j->buf = buf;
  j->cap = cap;
  sof_json_reset(j);
}

void
sof_json_reset(sof_json_t *j) {
  j->len = 0;
  j->depth = 0;
  j->overflow = j->cap == 0;
  j->after_key = 0;
  memset(j->need_comma, 0, sizeof j->need_comma);
  if (j->cap) j->buf[0] = '\0';
}

static void
open_c(sof_json_t *j, char c) {
  value_prefix(j);
  putc1(j, c);
  if (j->depth == SOF_JSON_DEPTH_MAX) {
    j->overflow = 1;
    return;
  }
  j->depth++;
  j->need_comma[j->depth] = 0;
}

static void
close_c(sof_json_t *j, char c) {
  if (j->depth == 0) {
    j->overflow = 1;
    return;
  }
  j->depth--;
  putc1(j, c);
}

void sof_json_obj_begin(sof_json_t *j) { open_c(j, '{'); }
void sof_json_obj_end(sof_json_t *j) { close_c(j, '}'); }
void sof_json_arr_begin(sof_json_t *j) { open_c(j, '['); }
void sof_json_arr_end(sof_json_t *j) { close_c(j, ']'); }

static void
put_escaped(sof_json_t *j, char const *s, size_t n) {
  static char const hex[] = "0123456789abcdef";
  putc1(j, '"');
  size_t run = 0; /* bytes copied as they are, flushed in one put */
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') {
      run++;
      continue;
    }
    put(j, s + i - run, run);
    run = 0;
    char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
    switch (c) {
    case '"':  put(j, "\\\"", 2); break;
    case '\\': put(j, "\\\\", 2); break;
    case '\n': put(j, "\\n", 2); break;
    case '\r': put(j, "\\r", 2); break;
    case '\t': put(j, "\\t", 2); break;
    default:   put(j, esc, 6); break;
    }
  }
  put(j, s + n - run, run);
  putc1(j, '"');
}

void
sof_json_key(sof_json_t *j, char const *key) {
  value_prefix(j);
  put_escaped(j, key, strlen(key));
  putc1(j, ':');
  j->after_key = 1;
}

void
sof_json_u64(sof_json_t *j, uint64_t v) {
  char tmp[20];
  size_t n = 0;
  do {
    tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  value_prefix(j);
  put(j, tmp + sizeof tmp - n, n);
}

void
sof_json_i64(sof_json_t *j, int64_t v) {
  if (v >= 0) {
    sof_json_u64(j, (uint64_t)v);
    return;
  }
  char tmp[21];
  uint64_t m = (uint64_t)0 - (uint64_t)v;
  size_t n = 0;
  do {
    tmp[sizeof tmp - 1 - n++] = (char)('0' + m % 10);
    m /= 10;
  } while (m);
  tmp[sizeof tmp - 1 - n++] = '-';
  value_prefix(j);
  put(j, tmp + sizeof tmp - n, n);
}

void
sof_json_bool(sof_json_t *j, int v) {
  value_prefix(j);
  if (v) put(j, "true", 4);
  else   put(j, "false", 5);
}

void
sof_json_null(sof_json_t *j) {
  value_prefix(j);
  put(j, "null", 4);
}

void
sof_json_strn(sof_json_t *j, char const *s, size_t n) {
  value_prefix(j);
  put_escaped(j, s, n);
}

void
sof_json_str(sof_json_t *j, char const *s) {
  sof_json_strn(j, s, strlen(s));
}

void
sof_json_b58_32(sof_json_t *j, uint8_t const v[32]) {
  char tmp[SOF_BASE58_ENCODED_32_MAX];
  size_t n = sof_base58_encode_32(v, tmp);
  value_prefix(j);
  putc1(j, '"');
  put(j, tmp, n);
  putc1(j, '"');
}

void
sof_json_b58_64(sof_json_t *j, uint8_t const v[64]) {
  char tmp[SOF_BASE58_ENCODED_64_MAX];
  size_t n = sof_base58_encode_64(v, tmp);
  value_prefix(j);
  putc1(j, '"');
  put(j, tmp, n);
  putc1(j, '"');
}

void
sof_json_hex(sof_json_t *j, void const *v, size_t n) {
  static char const hex[] = "0123456789abcdef";
  uint8_t const *p = v;
  value_prefix(j);
  putc1(j, '"');
  for (size_t i = 0; i < n; i++) {
    char pair[2] = {hex[p[i] >> 4], hex[p[i] & 15]};
    put(j, pair, 2);
  }
  putc1(j, '"');
}

void
sof_json_raw(sof_json_t *j, char const *s, size_t n) {
  value_prefix(j);
  put(j, s, n);
}

void
sof_json_newline(sof_json_t *j) {
  putc1(j, '\n');
}
