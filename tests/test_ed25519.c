/* test_ed25519: both verifiers (prepared key, and sof_ed25519_verify for a
 * key with no table) against libsodium.
 *
 * libsodium's crypto_sign_ed25519_verify_detached is the oracle: for every
 * input built here, sof_ed25519_verify_prepared and sof_ed25519_verify must
 * give its verdict.
 * The inputs cover what the prepared path computes differently: RFC 8032's
 * test vectors 1-3 (key, signature, verdicts), valid
 * signatures over many keys and message lengths (the tables and the
 * double scalar multiplication), every single-bit flip of some of them,
 * S at and around L, R and A of small order in every encoding libsodium
 * blacklists, non-canonical and off-curve keys, and keys with a torsion
 * component, where the cofactorless equation holds for one hash in eight
 * and a small-order R can satisfy it. Both verdicts are taken from every
 * implementation the CPU runs (sof_ed25519_impl_set: the scalar four-word
 * path and, with AVX-512 IFMA, the four-lane one). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/sof_ed25519.h"
#include "sof_test.h"

static uint64_t rng_state = 0x5eed0fed25519ULL;

static uint64_t
rng(void) {
  return sof_test_rng(&rng_state);
}

static void
rng_bytes(uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rng();
}

static sof_ed25519_key_t *key; /* 83 KiB: on the heap */
static unsigned agree_cnt, accept_cnt;

/* The implementations this CPU runs (SCALAR always, IFMA where AVX-512
 * IFMA is present); every input is judged by each, prepared and not. */
static sof_ed25519_impl_t impls[2];
static unsigned impl_cnt;
static unsigned impl_verdicts[3], prep_verdicts[3];

/* All verdicts, compared; returns libsodium's (0 valid). */
static int
same_verdict(uint8_t const sig[64], uint8_t const *msg, size_t sz, sof_ed25519_key_t const *k,
             int line) {
  int ref = crypto_sign_ed25519_verify_detached(sig, msg, sz, k->pub) ? -1 : 0;
  int agree = 1;
  for (unsigned i = 0; i < impl_cnt; i++) {
    SOF_CHECK_EQ(sof_ed25519_impl_set(impls[i]), 0);
    int got = sof_ed25519_verify_prepared(sig, msg, sz, k);
    SOF_CHECK_EQ(got, ref);
    int unprep = sof_ed25519_verify(sig, msg, sz, k->pub);
    SOF_CHECK_EQ(unprep, ref);
    agree &= unprep == ref && got == ref;
    impl_verdicts[impls[i]] += unprep == ref;
    prep_verdicts[impls[i]] += got == ref;
    if (unprep != ref)
      fprintf(stderr, "  (verdicts differ, line %d: libsodium %d, unprepared %s %d)\n", line, ref,
              sof_ed25519_impl_name(impls[i]), unprep);
    if (got != ref)
      fprintf(stderr, "  (verdicts differ, line %d: libsodium %d, prepared %s %d)\n", line, ref,
              sof_ed25519_impl_name(impls[i]), got);
  }
  SOF_CHECK_EQ(sof_ed25519_impl_set(SOF_ED25519_IMPL_AUTO), 0);
  agree_cnt += agree;
  accept_cnt += ref == 0;
  return ref;
}

static void
keypair(uint8_t kp[64], uint8_t pub[32]) {
  uint8_t seed[32];
  rng_bytes(seed, sizeof seed);
  crypto_sign_ed25519_seed_keypair(pub, kp, seed);
}

/* Valid signatures under 24 keys, messages of 0..300 bytes; each accepted
 * by both, and rejected by both under another key. */
static void
test_valid(void) {
  uint8_t kp[64], pub[32], msg[300], sig[64];
  for (int k = 0; k < 24; k++) {
    keypair(kp, pub);
    SOF_CHECK_EQ(sof_ed25519_key_prepare(key, pub), 0);
    SOF_CHECK_EQ(key->valid, 1);
    SOF_CHECK_MEM(key->pub, pub, 32);
    for (int m = 0; m < 12; m++) {
      size_t sz = (size_t)(rng() % (sizeof msg + 1));
      rng_bytes(msg, sz);
      crypto_sign_ed25519_detached(sig, NULL, msg, sz, kp);
      SOF_CHECK_EQ(same_verdict(sig, msg, sz, key, __LINE__), 0);
      SOF_CHECK_EQ(sof_ed25519_verify(sig, msg, sz, pub), 0);
    }
    /* the last signature under a fresh key */
    uint8_t kp2[64], pub2[32];
    keypair(kp2, pub2);
    sof_ed25519_key_t *other = malloc(sizeof *other);
    SOF_CHECK(other != NULL);
    if (!other) return;
    SOF_CHECK_EQ(sof_ed25519_key_prepare(other, pub2), 0);
    SOF_CHECK_EQ(same_verdict(sig, msg, 0, other, __LINE__), -1);
    free(other);
  }
}

/* Every bit of a signature, of a 32-byte message (a merkle root), and
 * every bit of the key flipped: the same verdict each time (rejections,
 * except where a flip leaves an equivalent signature, which libsodium's
 * checks make impossible here). */
static void
test_flips(void) {
  uint8_t kp[64], pub[32], msg[32], sig[64], bad[64], m2[32], pub2[32];
  for (int round = 0; round < 3; round++) {
    keypair(kp, pub);
    rng_bytes(msg, sizeof msg);
    crypto_sign_ed25519_detached(sig, NULL, msg, sizeof msg, kp);
    SOF_CHECK_EQ(sof_ed25519_key_prepare(key, pub), 0);
    for (unsigned bit = 0; bit < 512; bit++) {
      memcpy(bad, sig, 64);
      bad[bit / 8] ^= (uint8_t)(1U << (bit % 8));
      SOF_CHECK_EQ(same_verdict(bad, msg, sizeof msg, key, __LINE__), -1);
    }
    for (unsigned bit = 0; bit < 256; bit++) {
      memcpy(m2, msg, 32);
      m2[bit / 8] ^= (uint8_t)(1U << (bit % 8));
      SOF_CHECK_EQ(same_verdict(sig, m2, sizeof m2, key, __LINE__), -1);
    }
    sof_ed25519_key_t *k2 = malloc(sizeof *k2);
    SOF_CHECK(k2 != NULL);
    if (!k2) return;
    for (unsigned bit = 0; bit < 256; bit++) {
      memcpy(pub2, pub, 32);
      pub2[bit / 8] ^= (uint8_t)(1U << (bit % 8));
      int prep = sof_ed25519_key_prepare(k2, pub2);
      int ref = crypto_sign_ed25519_verify_detached(sig, msg, sizeof msg, pub2) ? -1 : 0;
      SOF_CHECK_EQ(ref, -1);
      if (prep == 0) SOF_CHECK_EQ(same_verdict(sig, msg, sizeof msg, k2, __LINE__), -1);
      else SOF_CHECK_EQ(sof_ed25519_verify_prepared(sig, msg, sizeof msg, k2), -1);
      SOF_CHECK_EQ(sof_ed25519_verify(sig, msg, sizeof msg, pub2), -1);
    }
    free(k2);
  }
}

static uint8_t const L_bytes[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                    0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                    0, 0, 0, 0x10};

/* little-endian 256-bit add of a small value */
static void
add_small(uint8_t s[32], unsigned v) {
  for (int i = 0; i < 32 && v; i++) {
    v += s[i];
    s[i] = (uint8_t)v;
    v >>= 8;
  }
}

/* S = S + L (the same point, libsodium rejects it: non-canonical), S = L,
 * L - 1, and S with high bits set. */
static void
test_scalar_edges(void) {
  uint8_t kp[64], pub[32], msg[32], sig[64], bad[64];
  keypair(kp, pub);
  rng_bytes(msg, sizeof msg);
  crypto_sign_ed25519_detached(sig, NULL, msg, sizeof msg, kp);
  SOF_CHECK_EQ(sof_ed25519_key_prepare(key, pub), 0);
  /* S + L: equal mod L, so only the canonicity check rejects it */
  memcpy(bad, sig, 64);
  unsigned carry = 0;
  for (int i = 0; i < 32; i++) {
    carry += bad[32 + i] + (unsigned)L_bytes[i];
    bad[32 + i] = (uint8_t)carry;
    carry >>= 8;
  }
  if (!carry) SOF_CHECK_EQ(same_verdict(bad, msg, sizeof msg, key, __LINE__), -1);
  memcpy(bad, sig, 64);
  memcpy(bad + 32, L_bytes, 32);
  SOF_CHECK_EQ(same_verdict(bad, msg, sizeof msg, key, __LINE__), -1);
  bad[32] = 0xec; /* L - 1 */
  SOF_CHECK_EQ(same_verdict(bad, msg, sizeof msg, key, __LINE__), -1);
  memset(bad + 32, 0xff, 32);
  SOF_CHECK_EQ(same_verdict(bad, msg, sizeof msg, key, __LINE__), -1);
  memset(bad + 32, 0, 32);
  SOF_CHECK_EQ(same_verdict(bad, msg, sizeof msg, key, __LINE__), -1);
}

/* The y of the small-order points: 0, 1, the order-8 pair, p - 1, and the
 * non-canonical p and p + 1. Built here from p, and the order-8 y from
 * the torsion point libsodium's own tests use. */
static void
small_order_encodings(uint8_t out[7][32]) {
  uint8_t p[32];
  memset(p, 0xff, 32);
  p[0] = 0xed;
  p[31] = 0x7f;
  memset(out, 0, 7 * 32);
  out[1][0] = 1;
  static uint8_t const y8[32] = {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
                                 0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
                                 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05};
  memcpy(out[2], y8, 32);
  /* p - y8 */
  int borrow = 0;
  for (int i = 0; i < 32; i++) {
    int d = p[i] - y8[i] - borrow;
    borrow = d < 0;
    out[3][i] = (uint8_t)(d + (borrow ? 256 : 0));
  }
  memcpy(out[4], p, 32);
  out[4][0] = 0xec;
  memcpy(out[5], p, 32);
  memcpy(out[6], p, 32);
  out[6][0] = 0xee;
}

/* Key encodings: small order (both signs) and non-canonical are refused by
 * prepare, as libsodium refuses every signature under them; random
 * encodings are prepared exactly when libsodium can decode them. */
static void
test_key_encodings(void) {
  uint8_t so[7][32], pub[32], msg[32], sig[64];
  small_order_encodings(so);
  rng_bytes(msg, sizeof msg);
  rng_bytes(sig, sizeof sig);
  sig[63] &= 0x0f;
  for (int i = 0; i < 7; i++) {
    for (int sign = 0; sign < 2; sign++) {
      memcpy(pub, so[i], 32);
      pub[31] |= (uint8_t)(sign << 7);
      SOF_CHECK_EQ(sof_ed25519_key_prepare(key, pub), -1);
      SOF_CHECK_EQ(key->valid, 0);
      SOF_CHECK_EQ(sof_ed25519_verify_prepared(sig, msg, sizeof msg, key), -1);
    }
  }
  /* y = p + 2 .. p + 18: non-canonical, not small order */
  for (unsigned k = 2; k < 19; k++) {
    memcpy(pub, so[5], 32);
    add_small(pub, k);
    SOF_CHECK_EQ(sof_ed25519_key_prepare(key, pub), -1);
  }
  /* Random encodings: prepare succeeds iff libsodium decodes the key to a
   * point. The oracle: crypto_core_ed25519_add(q, A, identity) succeeds
   * exactly for encodings of curve points, and gives A back. (Random bytes
   * are canonical and of large order but with odds 2^-250.) */
  unsigned decoded = 0, refused = 0;
  uint8_t ident[32] = {1}, q[32];
  for (int i = 0; i < 400; i++) {
    rng_bytes(pub, sizeof pub);
    int ref = crypto_core_ed25519_add(q, pub, ident) == 0 ? 0 : -1;
    int got = sof_ed25519_key_prepare(key, pub);
    SOF_CHECK_EQ(got, ref);
    if (ref == 0) {
      decoded++;
      SOF_CHECK_MEM(q, pub, 32);
    } else {
      refused++;
    }
  }
  /* about half of all y have an x */
  SOF_CHECK(decoded > 120 && refused > 120);
}

/* Keys A' = aB + T with T of order 8 (not blacklisted: mixed order). The
 * signature S = r + h a satisfies [S]B - [h]A' = R - [h]T, which is R
 * only when 8 divides h: both verifiers accept exactly those. Then R set
 * to each small-order point with S = h a: the equation gives -[h]T, which
 * hits the chosen R one time in eight, and libsodium still rejects (R of
 * small order). */
static void
test_torsion(void) {
  uint8_t so[7][32];
  small_order_encodings(so);
  uint8_t seed[32], az[64], a[32], a64[64] = {0}, pubA[32], pubT[32], msg[32];
  rng_bytes(seed, sizeof seed);
  crypto_hash_sha512(az, seed, 32);
  az[0] &= 248;
  az[31] &= 127;
  az[31] |= 64;
  memcpy(a64, az, 32);
  crypto_core_ed25519_scalar_reduce(a, a64);
  SOF_CHECK_EQ(crypto_scalarmult_ed25519_base_noclamp(pubA, a), 0);
  SOF_CHECK_EQ(crypto_core_ed25519_add(pubT, pubA, so[2]), 0);
  SOF_CHECK_EQ(sof_ed25519_key_prepare(key, pubT), 0);

  /* the eight multiples of T (order 8), encoded: from libsodium */
  uint8_t tors[8][32];
  memset(tors[0], 0, 32);
  tors[0][0] = 1;
  memcpy(tors[1], so[2], 32);
  for (int i = 2; i < 8; i++) SOF_CHECK_EQ(crypto_core_ed25519_add(tors[i], tors[i - 1], so[2]), 0);
  uint8_t back[32];
  SOF_CHECK_EQ(crypto_core_ed25519_add(back, tors[7], so[2]), 0);
  SOF_CHECK_MEM(back, tors[0], 32); /* 8T = identity */
  for (int i = 0; i < 8; i++) {
    int listed = 0;
    for (int j = 0; j < 7; j++)
      listed |= !memcmp(tors[i], so[j], 31) && (tors[i][31] & 0x7f) == so[j][31];
    SOF_CHECK(listed);
  }

  unsigned valid = 0, rounds = 96;
  for (unsigned n = 0; n < rounds; n++) {
    uint8_t r64[64], r[32], sig[64], hin[96], h64[64], h[32], ha[32];
    rng_bytes(r64, sizeof r64);
    crypto_core_ed25519_scalar_reduce(r, r64);
    rng_bytes(msg, sizeof msg);
    SOF_CHECK_EQ(crypto_scalarmult_ed25519_base_noclamp(sig, r), 0);
    memcpy(hin, sig, 32);
    memcpy(hin + 32, pubT, 32);
    memcpy(hin + 64, msg, 32);
    crypto_hash_sha512(h64, hin, sizeof hin);
    crypto_core_ed25519_scalar_reduce(h, h64);
    crypto_core_ed25519_scalar_mul(ha, h, a);
    crypto_core_ed25519_scalar_add(sig + 32, r, ha);
    valid += same_verdict(sig, msg, sizeof msg, key, __LINE__) == 0;
  }
  /* expected rounds / 8; the draw is fixed by the seed */
  SOF_CHECK(valid >= 3 && valid <= 30);
  fprintf(stderr, "torsion keys: %u of %u signatures valid (cofactorless)\n", valid, rounds);

  unsigned hits = 0;
  for (unsigned n = 0; n < rounds; n++) {
    for (int t = 0; t < 8; t++) {
      uint8_t sig[64], hin[96], h64[64], h[32];
      memcpy(sig, tors[t], 32);
      rng_bytes(msg, sizeof msg);
      memcpy(hin, sig, 32);
      memcpy(hin + 32, pubT, 32);
      memcpy(hin + 64, msg, 32);
      crypto_hash_sha512(h64, hin, sizeof hin);
      crypto_core_ed25519_scalar_reduce(h, h64);
      crypto_core_ed25519_scalar_mul(sig + 32, h, a);
      SOF_CHECK_EQ(same_verdict(sig, msg, sizeof msg, key, __LINE__), -1);
      /* would the equation hold? [S]B - [h]A' = -[h]T = tors[(-h) mod 8] */
      unsigned hm = h[0] & 7;
      hits += (unsigned)t == ((8 - hm) & 7);
    }
  }
  SOF_CHECK(hits > 0); /* some rejections were decided by the R check alone */
  fprintf(stderr, "small-order R: %u signatures satisfied the equation, all rejected\n", hits);
}

static void
unhex(uint8_t *out, char const *h) {
  for (size_t i = 0; h[2 * i]; i++) {
    unsigned v = 0;
    for (int k = 0; k < 2; k++) {
      char c = h[2 * i + (size_t)k];
      v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    out[i] = (uint8_t)v;
  }
}

/* RFC 8032 section 7.1, TEST 1-3: the key derived from the secret, the
 * signature, and the verdicts (valid; the message or R changed: invalid)
 * of both verifiers and every implementation. */
static void
test_rfc8032(void) {
  static char const *const v[3][4] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
  };
  for (unsigned t = 0; t < 3; t++) {
    uint8_t seed[32], pub[32], msg[2] = {0}, sig[64], kp[64], got_sig[64];
    unhex(seed, v[t][0]);
    unhex(pub, v[t][1]);
    unhex(msg, v[t][2]);
    unhex(sig, v[t][3]);
    size_t sz = strlen(v[t][2]) / 2;
    sof_ed25519_keypair_from_seed(kp, seed);
    SOF_CHECK_MEM(kp + 32, pub, 32);
    sof_ed25519_sign(got_sig, msg, sz, kp);
    SOF_CHECK_MEM(got_sig, sig, 64);
    SOF_CHECK_EQ(sof_ed25519_key_prepare(key, pub), 0);
    SOF_CHECK_EQ(same_verdict(sig, msg, sz, key, __LINE__), 0);
    uint8_t other[2] = {(uint8_t)(msg[0] ^ 1), msg[1]};
    SOF_CHECK_EQ(same_verdict(sig, other, sz ? sz : 1, key, __LINE__), -1);
    sig[0] ^= 0x20;
    SOF_CHECK_EQ(same_verdict(sig, msg, sz, key, __LINE__), -1);
  }
}

/* sof_ed25519_warm: the cursor walks the base point's table (1056 lines:
 * 22 x 32 slots of 96 bytes) and then the key's, and wraps; lines = 0
 * reads nothing (and with IFMA only keeps the 512-bit units up). The
 * result depends only on the bytes read and the implementation, and
 * warming leaves every verdict as it was, on every implementation. */
static void
test_warm(void) {
  uint8_t seed[32] = {9}, kp[64], msg[40], sig[64];
  sof_ed25519_keypair_from_seed(kp, seed);
  rng_bytes(msg, sizeof msg);
  sof_ed25519_sign(sig, msg, sizeof msg, kp);
  SOF_CHECK_EQ(sof_ed25519_key_prepare(key, kp + 32), 0);
  uint32_t const lines = (uint32_t)(SOF_ED25519_TAB_ROWS * SOF_ED25519_TAB_COLS * sizeof key->tab[0][0] / 64);
  for (unsigned i = 0; i < impl_cnt; i++) {
    SOF_CHECK_EQ(sof_ed25519_impl_set(impls[i]), 0);
    uint32_t c = 0;
    (void)sof_ed25519_warm(key, &c, 2 * lines);
    SOF_CHECK_EQ(c, 0);
    (void)sof_ed25519_warm(NULL, &c, lines);
    SOF_CHECK_EQ(c, 0);
    c = 7;
    (void)sof_ed25519_warm(key, &c, 0);
    SOF_CHECK_EQ(c, 7);
    (void)sof_ed25519_warm(key, &c, lines);
    SOF_CHECK_EQ(c, lines + 7);
    uint32_t c1 = 5, c2 = 5;
    SOF_CHECK_EQ(sof_ed25519_warm(key, &c1, 3), sof_ed25519_warm(key, &c2, 3));
    SOF_CHECK_EQ(sof_ed25519_verify_prepared(sig, msg, sizeof msg, key), 0);
    msg[3] ^= 1;
    SOF_CHECK_EQ(sof_ed25519_verify_prepared(sig, msg, sizeof msg, key), -1);
    msg[3] ^= 1;
  }
  SOF_CHECK_EQ(sof_ed25519_impl_set(SOF_ED25519_IMPL_AUTO), 0);
}

int
main(void) {
  SOF_CHECK_EQ(sof_ed25519_init(), 0);
  SOF_CHECK_EQ(sof_ed25519_init(), 0); /* idempotent */
  key = malloc(sizeof *key);
  SOF_CHECK(key != NULL);
  if (!key) return sof_test_done("ed25519");
  /* AUTO takes IFMA exactly when the CPU has it; SCALAR always runs */
  SOF_CHECK_EQ(sof_ed25519_impl_set(SOF_ED25519_IMPL_SCALAR), 0);
  impls[impl_cnt++] = SOF_ED25519_IMPL_SCALAR;
  if (sof_ed25519_impl_set(SOF_ED25519_IMPL_IFMA) == 0) impls[impl_cnt++] = SOF_ED25519_IMPL_IFMA;
  else fprintf(stderr, "ed25519: this CPU has no AVX-512 IFMA: only the scalar paths are tested here\n");
  SOF_CHECK_EQ(sof_ed25519_impl_set(SOF_ED25519_IMPL_AUTO), 0);
  SOF_CHECK_EQ(sof_ed25519_impl(), impls[impl_cnt - 1]);
  SOF_CHECK_EQ(sof_ed25519_impl_set((sof_ed25519_impl_t)7), -1);
  test_rfc8032();
  test_valid();
  test_flips();
  test_scalar_edges();
  test_key_encodings();
  test_torsion();
  test_warm();
  fprintf(stderr, "%u verdicts compared with libsodium, %u acceptances\n", agree_cnt, accept_cnt);
  for (unsigned i = 0; i < impl_cnt; i++) {
    fprintf(stderr, "  unprepared %s: %u verdicts equal libsodium's\n", sof_ed25519_impl_name(impls[i]),
            impl_verdicts[impls[i]]);
    SOF_CHECK(impl_verdicts[impls[i]] > 3000);
    fprintf(stderr, "  prepared %s: %u verdicts equal libsodium's\n", sof_ed25519_impl_name(impls[i]),
            prep_verdicts[impls[i]]);
    SOF_CHECK(prep_verdicts[impls[i]] > 3000);
  }
  free(key);
  return sof_test_done("ed25519");
}
