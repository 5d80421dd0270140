#include "crypto/sof_ed25519.h"

#include <sodium.h>

int
sof_ed25519_init(void) {
  return sodium_init() < 0 ? -1 : 0;
}

int
sof_ed25519_verify(uint8_t const sig[64], void const *msg, size_t sz, uint8_t const pub[32]) {
  return crypto_sign_ed25519_verify_detached(sig, msg, sz, pub) ? -1 : 0;
}

void
sof_ed25519_sign(uint8_t sig[64], void const *msg, size_t sz, uint8_t const kp[64]) {
  crypto_sign_ed25519_detached(sig, NULL, msg, sz, kp);
}

void
sof_ed25519_keypair_from_seed(uint8_t kp[64], uint8_t const seed[32]) {
  uint8_t pub[32];
  crypto_sign_ed25519_seed_keypair(pub, kp, seed);
}
