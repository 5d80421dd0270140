/* sof_num.h: strict decimal numbers for configuration values.
 *
 * What a configuration number is: decimal digits only, 0-9. No sign, no
 * surrounding blanks, no suffix, no hex (0x10) and no octal: a 0 followed by
 * more digits (010000) is refused, because strtoull base 0 would read it as
 * octal (4096) where the writer almost surely meant decimal (10000). "0"
 * alone is fine. A list is items separated by commas, blanks allowed around
 * each item ("2,3" or "2, 3"), no empty item.
 *
 * Errors are codes (sof_num_rc_t) plus sof_num_describe, which words them for
 * a message (the caller adds the key's name). Pure: no allocation, no global
 * state; thread safe. Setup code, not for the hot path. */
#ifndef SOF_UTIL_NUM_H
#define SOF_UTIL_NUM_H

#include <stddef.h>
#include <stdint.h>

typedef enum sof_num_rc {
  SOF_NUM_OK = 0,
  SOF_NUM_EMPTY,        /* no characters (or an empty list item) */
  SOF_NUM_NOT_DECIMAL,  /* a character other than 0-9: sign, blank, 0x, suffix, ... */
  SOF_NUM_LEADING_ZERO, /* "010": a 0 followed by digits (octal in C, refused) */
  SOF_NUM_RANGE,        /* decimal, but outside [lo, hi] (or above 2^64 - 1) */
} sof_num_rc_t;

/* sof_num_u64 reads the len bytes at s (need not be NUL-terminated) as one
 * decimal number in [lo, hi] (lo <= hi) into *out. Returns SOF_NUM_OK, or
 * the reason it refused (*out untouched). */
sof_num_rc_t sof_num_u64(char const *s, size_t len, uint64_t lo, uint64_t hi, uint64_t *out);

/* sof_num_describe writes why s[0..len) was refused with rc, in words a
 * user reads after the key's name (no trailing newline), e.g.
 *   '010000' has a leading zero: numbers are decimal, not octal (did you mean 10000?)
 *   '0x10' is not a decimal integer (digits 0-9 only: no sign, blank, hex or suffix)
 *   '70000' is out of range [1, 65535]
 * into buf (buf_sz bytes, truncated, NUL-terminated when buf_sz > 0). A long
 * s is shown cut at 64 bytes. */
void sof_num_describe(sof_num_rc_t rc, char const *s, size_t len, uint64_t lo, uint64_t hi,
                      char *buf, size_t buf_sz);

/* sof_num_list reads the NUL-terminated comma list s: each item a number as
 * sof_num_u64 (in [lo, hi]), blanks (space, tab) around items allowed, at
 * least one item, at most cap. Returns the item count with the values in
 * out[0..count), or -1 with a message in err (err_sz bytes) naming the
 * item ("item 2 'x' is not a decimal integer ...", "an empty item (item
 * 3)", "more than 8 items"). out is written up to the bad item. */
long sof_num_list(char const *s, uint64_t lo, uint64_t hi, uint64_t *out, size_t cap, char *err,
                  size_t err_sz);

#endif /* SOF_UTIL_NUM_H */
