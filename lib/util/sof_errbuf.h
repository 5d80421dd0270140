/* sof_errbuf.h: setup-time error messages into a caller's buffer.
 *
 * Constructors and loaders report why they refused a config as text in a
 * caller-provided buffer (err, err_sz); NULL or size 0 means "no message
 * wanted". Not for the hot path (it formats). Thread safe. */
#ifndef SOF_UTIL_ERRBUF_H
#define SOF_UTIL_ERRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* sof_errbuf_set formats a message into err (truncated to err_sz bytes,
 * always NUL-terminated when err_sz > 0). */
__attribute__((format(printf, 3, 4))) static inline void
sof_errbuf_set(char *err, size_t err_sz, char const *fmt, ...) {
  if (!err || !err_sz) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, err_sz, fmt, ap);
  va_end(ap);
}

#endif /* SOF_UTIL_ERRBUF_H */
