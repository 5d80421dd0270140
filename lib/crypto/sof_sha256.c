/* The low-level SHA256_* API is deprecated in OpenSSL 3 in favour of EVP,
 * but EVP costs a context setup per digest; for 66-byte merkle nodes that
 * overhead is a large share of the work. The low-level API is still shipped
 * and dispatches to the same SHA-NI block function. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "crypto/sof_sha256.h"

#include <openssl/sha.h>

void
sof_sha256(uint8_t out[32], void const *data, size_t sz) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data, sz);
  SHA256_Final(out, &ctx);
}

void
sof_sha256_2(uint8_t out[32], void const *a, size_t a_sz, void const *b, size_t b_sz) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, a, a_sz);
  SHA256_Update(&ctx, b, b_sz);
  SHA256_Final(out, &ctx);
}

void
sof_sha256_3(uint8_t out[32], void const *a, size_t a_sz, void const *b, size_t b_sz,
             void const *c, size_t c_sz) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, a, a_sz);
  SHA256_Update(&ctx, b, b_sz);
  SHA256_Update(&ctx, c, c_sz);
  SHA256_Final(out, &ctx);
}
