/* libFuzzer target: both ed25519 verifiers (prepared key, and unprepared
 * sof_ed25519_verify), each on every implementation the CPU runs (scalar,
 * and AVX-512 IFMA where present), against libsodium.
 *
 * Input: a mode byte, then
 *   mode bit 0 clear: signature (64) || public key (32) || message: both
 *     verifiers judge these raw bytes (mostly invalid; every check on S, R
 *     and A is reached with fuzzer-chosen encodings);
 *   mode bit 0 set: seed (32) || flip count n (1) || n x (position, mask)
 *     || message: libsodium signs the message with the seed's key, the
 *     flips are XORed into signature || public key || message, and both
 *     verifiers judge the result (valid signatures and near misses).
 * The verdicts must be equal; prepare must fail exactly when libsodium
 * cannot decode the key (then libsodium must reject). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/sof_ed25519.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

static sof_ed25519_key_t key; /* prepared for the last public key seen */
static uint8_t key_for[32];
static int key_state;         /* 0 none, 1 prepared, -1 refused */

#include "sof_fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  REQUIRE(sof_ed25519_init() == 0);
  return 0;
}

static void
judge(uint8_t const sig[64], uint8_t const pub[32], uint8_t const *msg, size_t msg_sz) {
  if (!key_state || memcmp(key_for, pub, 32)) {
    memcpy(key_for, pub, 32);
    key_state = sof_ed25519_key_prepare(&key, pub) ? -1 : 1;
    uint8_t ident[32] = {1}, q[32];
    /* decodable (canonical, on the curve, not of small order) <=> prepared */
    int decodes = crypto_core_ed25519_add(q, pub, ident) == 0;
    if (key_state == 1) REQUIRE(decodes && !memcmp(q, pub, 32));
  }
  int ref = crypto_sign_ed25519_verify_detached(sig, msg, msg_sz, pub) ? -1 : 0;
  if (key_state != 1) REQUIRE(ref == -1);
  /* every implementation the CPU runs, unprepared and prepared (a refused
   * key verifies nothing) */
  static sof_ed25519_impl_t const impls[] = {SOF_ED25519_IMPL_SCALAR, SOF_ED25519_IMPL_IFMA};
  for (unsigned i = 0; i < sizeof impls / sizeof impls[0]; i++) {
    if (sof_ed25519_impl_set(impls[i])) continue;
    REQUIRE(sof_ed25519_verify(sig, msg, msg_sz, pub) == ref);
    REQUIRE(sof_ed25519_verify_prepared(sig, msg, msg_sz, &key) == (key_state == 1 ? ref : -1));
  }
  REQUIRE(sof_ed25519_impl_set(SOF_ED25519_IMPL_AUTO) == 0);
}

int
LLVMFuzzerTestOneInput(uint8_t const *data, size_t sz) {
  if (sz < 1) return 0;
  uint8_t mode = data[0];
  data++;
  sz--;
  if (!(mode & 1)) {
    if (sz < 96) return 0;
    judge(data, data + 64, data + 96, sz - 96);
    return 0;
  }
  if (sz < 33) return 0;
  uint8_t pub[32], sk[64];
  crypto_sign_ed25519_seed_keypair(pub, sk, data);
  unsigned n = data[32] % 8;
  data += 33;
  sz -= 33;
  if (sz < 2 * n) return 0;
  uint8_t const *flips = data;
  uint8_t const *msg_in = data + 2 * n;
  size_t msg_sz = sz - 2 * n;
  if (msg_sz > 4096) return 0;
  static uint8_t buf[64 + 32 + 4096];
  memcpy(buf + 96, msg_in, msg_sz);
  crypto_sign_ed25519_detached(buf, NULL, buf + 96, msg_sz, sk);
  memcpy(buf + 64, pub, 32);
  for (unsigned i = 0; i < n; i++) {
    size_t pos = flips[2 * i] % (96 + (msg_sz ? msg_sz : 1));
    if (pos < 96 + msg_sz) buf[pos] ^= flips[2 * i + 1];
  }
  judge(buf, buf + 64, buf + 96, msg_sz);
  return 0;
}
