/* sof_json.h: an append-only JSON writer into a caller buffer.
 *
 * Used for JSON-lines output (sof-dump, the txlog / slotlog plugins). No
 * allocation: the caller provides the buffer; a write that does not fit sets
 * the overflow flag and the line must be discarded (sof_json_ok). Commas are
 * placed automatically from the nesting state.
 *
 * Usage:
 *   sof_json_t j; sof_json_init(&j, buf, sizeof buf);
 *   sof_json_obj_begin(&j);
 *   sof_json_key(&j, "slot"); sof_json_u64(&j, 42);
 *   sof_json_obj_end(&j);
 *   if (sof_json_ok(&j)) fwrite(j.buf, 1, j.len, stdout);
 *
 * Not thread safe: one writer per thread. */
#ifndef SOF_UTIL_JSON_H
#define SOF_UTIL_JSON_H

#include <stddef.h>
#include <stdint.h>

#define SOF_JSON_DEPTH_MAX 16

typedef struct sof_json {
  char    *buf;
  size_t   cap;
  size_t   len;
  unsigned depth;
  uint8_t  overflow;      /* a write did not fit, or nesting went too deep */
  uint8_t  after_key;     /* next value follows "key": */
  uint8_t  need_comma[SOF_JSON_DEPTH_MAX + 1];
} sof_json_t;

/* sof_json_init starts an empty document in buf (cap bytes, cap >= 1; the
 * text is kept NUL-terminated). buf must outlive the writer. */
void sof_json_init(sof_json_t *j, char *buf, size_t cap);

/* sof_json_reset empties the writer for the next line, keeping its buffer. */
void sof_json_reset(sof_json_t *j);

/* sof_json_ok returns 1 when nothing overflowed and all containers closed. */
static inline int
sof_json_ok(sof_json_t const *j) {
  return !j->overflow && j->depth == 0;
}

/* Containers. */
void sof_json_obj_begin(sof_json_t *j);
void sof_json_obj_end(sof_json_t *j);
void sof_json_arr_begin(sof_json_t *j);
void sof_json_arr_end(sof_json_t *j);

/* sof_json_key writes "key": inside an object; key is written escaped. */
void sof_json_key(sof_json_t *j, char const *key);

/* Values (after a key in an object, or as array elements). */
void sof_json_u64(sof_json_t *j, uint64_t v);
void sof_json_i64(sof_json_t *j, int64_t v);
void sof_json_bool(sof_json_t *j, int v);
void sof_json_null(sof_json_t *j);
void sof_json_str(sof_json_t *j, char const *s);            /* escaped */
void sof_json_strn(sof_json_t *j, char const *s, size_t n); /* escaped, n bytes */
void sof_json_b58_32(sof_json_t *j, uint8_t const v[32]);   /* base58 string */
void sof_json_b58_64(sof_json_t *j, uint8_t const v[64]);   /* base58 string */
void sof_json_hex(sof_json_t *j, void const *v, size_t n);  /* lowercase hex string */
void sof_json_raw(sof_json_t *j, char const *s, size_t n);  /* pre-rendered JSON value */

/* sof_json_newline appends '\n' (JSON lines); call after the top value. */
void sof_json_newline(sof_json_t *j);

#endif /* SOF_UTIL_JSON_H */
