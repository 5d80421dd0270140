/* sof_base58_ref.h: a slow, obviously correct base58 (schoolbook long
 * division / multiplication, one digit at a time), the reference that
 * tests/test_base58.c and fuzz/fuzz_base58.c compare lib/wire/sof_base58
 * against. Values up to 64 bytes. */
#ifndef SOF_BASE58_REF_H
#define SOF_BASE58_REF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static char const b58_alphabet[] =
  "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* Encodes in[0..n) (n <= 64) by repeated long division of the whole number
 * by 58, one '1' per leading zero byte; out needs 2n + 1 bytes. Returns the
 * length. */
static inline size_t
ref_encode(uint8_t const *in, size_t n, char *out) {
  uint8_t num[64];
  char    rev[128];
  size_t  nd = 0, start = 0;
  memcpy(num, in, n);
  for (;;) {
    while (start < n && !num[start]) start++;
    if (start == n) break;
    unsigned rem = 0;
    for (size_t i = start; i < n; i++) {
      unsigned cur = rem * 256U + num[i];
      num[i] = (uint8_t)(cur / 58U);
      rem    = cur % 58U;
    }
    rev[nd++] = b58_alphabet[rem];
  }
  size_t len = 0;
  for (size_t i = 0; i < n && !in[i]; i++) out[len++] = '1';
  while (nd) out[len++] = rev[--nd];
  out[len] = '\0';
  return len;
}

/* Decodes by the definition: the digits, multiplied in one at a time, must
 * give a number below 2^(8n), and encoding that number must give back
 * exactly the input (canonical form). Returns 0 or -1 (out untouched). */
static inline int
ref_decode(char const *in, size_t len, uint8_t *out, size_t n) {
  uint8_t num[64] = {0};
  if (len > 2 * n + 8) return -1; /* far too long for any value: skip work */
  for (size_t i = 0; i < len; i++) {
    char const *p = memchr(b58_alphabet, in[i], 58);
    if (!p) return -1;
    unsigned carry = (unsigned)(p - b58_alphabet);
    for (size_t j = n; j-- > 0;) {
      unsigned cur = num[j] * 58U + carry;
      num[j] = (uint8_t)cur;
      carry  = cur >> 8;
    }
    if (carry) return -1;
  }
  char enc[128];
  if (ref_encode(num, n, enc) != len || memcmp(enc, in, len)) return -1;
  memcpy(out, num, n);
  return 0;
}

#endif /* SOF_BASE58_REF_H */
