/* fuzz_base58.c: libFuzzer target for sof_base58.
 *
 * Each input is used three ways:
 *   - as a string: decode_32 and decode_64 must agree with a slow reference
 *     decoder (accept/reject and bytes), and whenever decoding succeeds,
 *     re-encoding must give back exactly the input;
 *   - the same, after mapping every byte into the alphabet (byte % 58), so
 *     that even without a seed corpus most inputs of the right length get
 *     past the character check to the range and canonical-form checks;
 *   - as bytes: the input, right-aligned in 64 zero bytes (so short inputs
 *     give long runs of leading zeros), is encoded as a 64-byte value and
 *     its last 32 bytes as a 32-byte value; each must match the reference
 *     encoder and decode back to the same bytes.
 * Any mismatch calls abort(). Build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *     fuzz/fuzz_base58.c lib/wire/sof_base58.c -o fuzz_base58 */
#include "wire/sof_base58.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sof_fuzz.h"

#include "sof_base58_ref.h" /* tests/: the slow reference */

static void
check_decode(char const *s, size_t len, size_t n) {
  uint8_t got[64], want[64];
  char    back[SOF_BASE58_ENCODED_64_MAX];
  memset(got, 0xa5, sizeof got);
  int grc = n == 32 ? sof_base58_decode_32(s, len, got)
                    : sof_base58_decode_64(s, len, got);
  int wrc = ref_decode(s, len, want, n);
  if (grc != wrc) abort();
  if (grc) {
    for (size_t i = 0; i < n; i++) {
      if (got[i] != 0xa5) abort(); /* out must be untouched on error */
    }
    return;
  }
  if (memcmp(got, want, n)) abort();
  size_t blen = n == 32 ? sof_base58_encode_32(got, back)
                        : sof_base58_encode_64(got, back);
  if (blen != len || memcmp(back, s, len) || back[blen]) abort();
}

static void
check_encode(uint8_t const *in, size_t n) {
  char    got[SOF_BASE58_ENCODED_64_MAX], want[128];
  uint8_t back[64];
  size_t  glen = n == 32 ? sof_base58_encode_32(in, got)
                         : sof_base58_encode_64(in, got);
  size_t  wlen = ref_encode(in, n, want);
  if (glen != wlen || strcmp(got, want)) abort();
  int rc = n == 32 ? sof_base58_decode_32(got, glen, back)
                   : sof_base58_decode_64(got, glen, back);
  if (rc || memcmp(back, in, n)) abort();
}

int
LLVMFuzzerTestOneInput(uint8_t const *data, size_t size) {
  check_decode((char const *)data, size, 32);
  check_decode((char const *)data, size, 64);

  if (size <= 100) {
    char s[100];
    for (size_t i = 0; i < size; i++) s[i] = b58_alphabet[data[i] % 58U];
    check_decode(s, size, 32);
    check_decode(s, size, 64);
  }

  uint8_t v[64] = {0};
  size_t  n     = size < 64 ? size : 64;
  memcpy(v + 64 - n, data, n);
  check_encode(v, 64);
  check_encode(v + 32, 32);
  return 0;
}
