/* test_base58.c: sof_base58 against fixed vectors and against a slow,
 * obviously correct reference (schoolbook long division / multiplication,
 * one digit at a time) on random and structured inputs.
 *
 * The vectors' bytes and strings were computed with an independent Python
 * one-off (int.from_bytes + divmod by 58, one '1' per leading zero byte);
 * the Vote program id bytes are also the ones Solana publishes.
 *
 * Every call gets heap buffers of exactly the documented size, so ASan
 * reports any read or write past them. */
#include "sof_test.h"
#include "wire/sof_base58.h"

#include "sof_base58_ref.h"

/* ---- exact-size wrappers around the code under test ------------------ */

/* Encodes n (32 or 64) bytes from an exactly-n-byte heap copy into an
 * exactly-MAX-byte heap buffer; copies the string to out. */
static size_t
enc_exact(uint8_t const *in, size_t n, char *out) {
  size_t   cap = n == 32 ? SOF_BASE58_ENCODED_32_MAX : SOF_BASE58_ENCODED_64_MAX;
  uint8_t *i   = malloc(n);
  char    *o   = malloc(cap);
  if (!i || !o) abort();
  memcpy(i, in, n);
  memset(o, 0x5a, cap);
  size_t len = n == 32 ? sof_base58_encode_32(i, o) : sof_base58_encode_64(i, o);
  SOF_CHECK(len < cap);
  if (len >= cap) len = cap - 1;
  SOF_CHECK_EQ(o[len], 0);
  memcpy(out, o, len + 1);
  free(i);
  free(o);
  return len;
}

/* Decodes from an exactly-len-byte heap copy (no NUL after it) into an
 * exactly-n-byte heap buffer pre-filled with 0xa5. On error checks that the
 * buffer was left untouched. */
static int
dec_exact(char const *in, size_t len, uint8_t *out, size_t n) {
  char    *i = len ? malloc(len) : NULL;
  uint8_t *o = malloc(n);
  if ((len && !i) || !o) abort();
  if (len) memcpy(i, in, len);
  memset(o, 0xa5, n);
  int rc = n == 32 ? sof_base58_decode_32(i, len, o)
                   : sof_base58_decode_64(i, len, o);
  SOF_CHECK(rc == 0 || rc == -1);
  if (rc) {
    int untouched = 1;
    for (size_t k = 0; k < n; k++) untouched &= o[k] == 0xa5;
    SOF_CHECK(untouched);
  } else {
    memcpy(out, o, n);
  }
  free(i);
  free(o);
  return rc;
}

static int
dec_str(char const *s, uint8_t *out, size_t n) {
  return dec_exact(s, strlen(s), out, n);
}

/* ---- fixed vectors --------------------------------------------------- */

struct vec32 { char const *hex; char const *b58; };
struct vec64 { char const *hex_hi; char const *hex_lo; char const *b58; };

static struct vec32 const vec32[] = {
  { "0000000000000000000000000000000000000000000000000000000000000000",
    "11111111111111111111111111111111" }, /* zero */
  { "0761481d357474bb7c4d7624ebd3bdb3d8355e73d11043fc0da3538000000000",
    "Vote111111111111111111111111111111111111111" }, /* vote program */
  { "0306466fe5211732ffecadba72c39be7bc8ce5bbc5f7126b2c439b3a40000000",
    "ComputeBudget111111111111111111111111111111" }, /* compute budget program */
  { "06ddf6e1d765a193d9cbe146ceeb79ac1cb485ed5f5b37913a8cf5857eff00a9",
    "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA" }, /* spl token program */
  { "06a7d51718c774c928566398691d5eb68b5eb8a39b4b6d5c73555b2100000000",
    "SysvarC1ock11111111111111111111111111111111" }, /* clock sysvar */
  { "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "JEKNVnkbo3jma5nREBBJCDoXFVeKkD56V3xKrvRmWxFG" }, /* all ff */
  { "0000000000000000000000000000000000000000000000000000000000000001",
    "11111111111111111111111111111112" }, /* one */
  { "8000000000000000000000000000000000000000000000000000000000000000",
    "9cfBkPsoQ2NPHYPi7b69bcQG8FKfNc33k2UfRxiPFyd9" }, /* 2^255 */
  { "00956469661562e6cfb49385e6d6913506fa6df025e7c0bc1f33449a115e969e",
    "13H89cFEuKvAXsh2kQB52b8y7X7D9UpyeXM62sE1QzXP" }, /* 1 leading zero byte */
  { "00002d7c265167e5404243740f868032f589aacc41928368ec6574e82f5a2cfc",
    "11A7cMkQfDtf8TteaQZf2nGDVEJmqiFhoX8Pm55vuaj" }, /* 2 leading zero bytes */
  { "000000b998a4e4f883fa402041167711921e1369233f18fb1c8ff8a9a11eb024",
    "1119RgSJbY7PuGu8AC9Ea2wofyiAyjeoZPPPpRhZskX" }, /* 3 leading zero bytes */
  { "00000000fc424b6868bed334f94d686e0d16491cb8d6beff2cbb1bcbccead62a",
    "11113bV4gu7sij6eVAHPHYARyHGPYWV5U7dSSS52Vww" }, /* 4 leading zero bytes */
  { "0000000000583e68c1413e55c13b126a37c8799dec1fc51953943b9d3cd80ce3",
    "11111CvjyPrfNwtMDR9SEHqEysBgbxScFwDX1jfDhL" }, /* 5 leading zero bytes */
  { "0000000000009f1766fb8936bbb9427d353c41a8d3d8a64d69e09c87bb2dcfa1",
    "1111115sYrYNK2y4t6dwowa5yC6UmGcYTpTqiVT9Tn" }, /* 6 leading zero bytes */
  { "00000000000000024db65329aa5466f47870b371420ceaf14ce7570f5e4aa423",
    "1111111vm7R9BebLCZ8BxQTMUGFGuLdVAjrBdPmt" }, /* 7 leading zero bytes */
  { "0000000000000000d24a66eeafd3eccad6388f0534aa312bfb89b078c657975b",
    "11111111LAv2qEBcN68ry7QMPAJaN2PMrL33ptnJ6" }, /* 8 leading zero bytes */
  { "00000000000000000074bfe97449606cea2ef0897004ec265cf34ede9ecfb2a6",
    "1111111113QrugYw8Sudxd5yQ2oeoHb6HAkwMRmBs" }, /* 9 leading zero bytes */
  { "00000000000000000000bb045c09cce29e1ab20b584f998c52f350b9ed738063",
    "1111111111skzXeRij4PEE2XgPK5o8SqD6KSQ7gE" }, /* 10 leading zero bytes */
  { "00000000000000000000000b49c500f1e2d6a45ebc38bc3112557739d2584fd6",
    "11111111111hG3SgNacuAAau7fxPhm47QLJZrKo" }, /* 11 leading zero bytes */
  { "0000000000000000000000004b23ca8eb8bb5ca35bcdb3ca176ecd499a0319c9",
    "11111111111123iWtoLrX5PBiitKcnjf8VQPL1jE" }, /* 12 leading zero bytes */
  { "00000000000000000000000000bdf219610c1fe574ef1fe31fb13d6710c40828",
    "1111111111111bmsDTmYUiQu4eeHKtDRg2svnmM" }, /* 13 leading zero bytes */
  { "00000000000000000000000000008eae8ba644730fba20e5c16d2f83629b1935",
    "111111111111116vFD7TgXXkE7rBgCe3GiLa5Nk" }, /* 14 leading zero bytes */
  { "000000000000000000000000000000841a2d8c3f3ac772b6de86e333a4f4e6c0",
    "1111111111111112F11k1P1wZmFyizLSjUgEb3m" }, /* 15 leading zero bytes */
  { "00000000000000000000000000000000e6d4ef9840e7fac359ed97604867ea7b",
    "1111111111111111VWEmUbjPXSLVSMRkn1qfHc" }, /* 16 leading zero bytes */
  { "0000000000000000000000000000000000317005874e6cf83eebdbc3f6487665",
    "111111111111111112PDnTgZynCcb1Y3wSRQK6" }, /* 17 leading zero bytes */
  { "000000000000000000000000000000000000d9e082414ac497f7817eb53cd559",
    "1111111111111111112P6jzfZpb31gLQqAZmLC" }, /* 18 leading zero bytes */
  { "00000000000000000000000000000000000000f863e7a341d804d1fcaa5cc416",
    "1111111111111111111MgxbVZT3msRyJG8Cys" }, /* 19 leading zero bytes */
  { "00000000000000000000000000000000000000004b8311cddeb5b3e11d6380dd",
    "111111111111111111112RecyXiF2UdrHPELk" }, /* 20 leading zero bytes */
  { "000000000000000000000000000000000000000000ab96c267cdada2c0d98893",
    "111111111111111111111jYtLVbNz4rmiZY6" }, /* 21 leading zero bytes */
  { "000000000000000000000000000000000000000000005cef9e01cd9f45879ffa",
    "11111111111111111111116DqVvLEEnJHf1s" }, /* 22 leading zero bytes */
  { "000000000000000000000000000000000000000000000042189c138c2c19991d",
    "11111111111111111111111qoC7MBYJoxnG" }, /* 23 leading zero bytes */
  { "000000000000000000000000000000000000000000000000aad33a356be6a561",
    "111111111111111111111111VaDck55oQXi" }, /* 24 leading zero bytes */
  { "000000000000000000000000000000000000000000000000005c1ef2c0722527",
    "11111111111111111111111114VUcvqGuKC" }, /* 25 leading zero bytes */
  { "000000000000000000000000000000000000000000000000000058cbe25a3cc4",
    "11111111111111111111111111mDeSJJ5Z" }, /* 26 leading zero bytes */
  { "000000000000000000000000000000000000000000000000000000ed32cfd53e",
    "111111111111111111111111111Tm9JupZ" }, /* 27 leading zero bytes */
  { "000000000000000000000000000000000000000000000000000000004a9a2a7f",
    "11111111111111111111111111112ubsFU" }, /* 28 leading zero bytes */
  { "0000000000000000000000000000000000000000000000000000000000cbd9b5",
    "111111111111111111111111111112BUKv" }, /* 29 leading zero bytes */
  { "000000000000000000000000000000000000000000000000000000000000254f",
    "1111111111111111111111111111113qg" }, /* 30 leading zero bytes */
  { "000000000000000000000000000000000000000000000000000000000000002e",
    "1111111111111111111111111111111o" }, /* 31 leading zero bytes */
  { "d8b5ee93270e90a8728862f868dbaa7233810dee67c4a82acfd3b69c54bbf8c8",
    "Fawxvhpi7MqgNrSbyP2u2ntHG66qWnrumYFEMWLVpRrP" }, /* random */
  { "32003766a1671a4899dba645079258e61ca482e2d3ad79e5cb464aa6ea73f8e5",
    "4NBaRcXTvpfkZxVNrGwHAtYAW8mMaJe1DZuxim21xr2G" }, /* random */
  { "e7b8f0927fd9540d86239c420281aea93143c7541b323732e2bbdbcd4c18c90d",
    "GbYjumDt3f9r5oFqnSLanxzXAxY9jw2Xa5K1mS9WCp8L" }, /* random */
  { "090c60e9662c200238db1605ea6cdac42ae95fc4635184a22f9ce4308a0be7f4",
    "cKcnPr1HZpdq2UMEevTpUocZ5QweYHhijCQhPTFsV3Z" }, /* random */
};

static struct vec64 const vec64[] = {
  { "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "11111111111111111111111111111111111111111111"
    "11111111111111111111" }, /* zero */
  { "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "67rpwLCuS5DGA8KGZXKsVQ7dnPb9goRLoKfgGbLfQg9W"
    "oLUgNY77E2jT11fem3coV9nAkguBACzrU1iyZM4B8roQ" }, /* all ff */
  { "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000001",
    "11111111111111111111111111111111111111111111"
    "11111111111111111112" }, /* one */
  { "002f87c0b954feb1d50479330550b6c0e3c6782e2056ff7925d4d34030875cba",
    "bcc68f8738f18022c03362f7772d917d49198469f92a598e71a18fdfa5a4a4c6",
    "1DVGJZcy6yZGSy2whDvvQBN7nwC8etBdZ4Cox4jfT3ZE"
    "eRsNjFxm191XZ6Y7VoKUKqVufnpa5NQgVJaKbw6GRsj" }, /* 1 leading zero byte */
  { "00001de762d347d86369b816315dc16c5d6c544ce2cfc3f25174ad4ecda439b8",
    "ba40206bd21112f9f8b68faae77a6b6207047f721c00e1d8f04d94007999ca3c",
    "112nEqCrBju9bTFMyNWCGb62ouQXyG1udThMkPwvnJee"
    "WeU1RTzRbLTYsnZUoCyuKHnbnBbQfWktC8UjuHTXDrb" }, /* 2 leading zero bytes */
  { "00000062d4caa38a383c0291ea3578bfeba52d94da3e154c92f5f5707d88d313",
    "8055127c2642747f1ef0dcf4beb5217bf86cba8fba9ff24ed90abc83c5493f45",
    "1112LJaSKbyyCULSvSGuYuqz35bfvZGeYuC1akENSWjn"
    "UMB57Rm58eHKSoKgxLLr3RTV3tquDJhraYjhyGJtZLG" }, /* 3 leading zero bytes */
  { "00000000000000c1548752dd74c6e7042a4d4e5f3266e55eeff7e73bc1b06373",
    "80d34574e3d2c26be035dcb6af58ca42da6a78aa80594f88d1d7f2cb6b894b66",
    "1111111Q7KsQCRmVYUSWPVozVsymUL1yeJQYehchxnmT"
    "5eQuP4S7GELoX1Gy77g84f1WYqWEVCLaPegy3o5B3" }, /* 7 leading zero bytes */
  { "0000000000000000c3b76c7335209ae2b8e222cba4eca709637b87932f1520ff",
    "e2e119ed444238de4693ec96ca6e1f73db4024680f39db2107bced8e35a57bd2",
    "111111116JR7Lm2BA7r7SevF7xqZ3wfmqMy16D5e9od2"
    "nLdEUCboiajVej87DowLwyqM2Sd9RLqpnoF21smCu" }, /* 8 leading zero bytes */
  { "0000000000000000000000000000000000000000000000000000000000000049",
    "58faf9e46ee67a9d7e461de26f058f50cfb9edb7a4b3e86406e17c23bdc2b423",
    "1111111111111111111111111111111NnkTu4zLBjEsb"
    "mh8o4vMLqXKtuWofCap85rkezP21D4US" }, /* 31 leading zero bytes */
  { "0000000000000000000000000000000000000000000000000000000000000000",
    "18fc26796dde3da3d465356a5ae778ca1cd83522730382b042375cde5e2c387a",
    "111111111111111111111111111111112gXngxnQTHkQ"
    "5pA79RwjfFh1kTc2mjPhdD9oVB4VqGpR" }, /* 32 leading zero bytes */
  { "0000000000000000000000000000000000000000000000000000000000000000",
    "003dd5b287ee26649bc9b2e900569742ad66d85fcdd0ae74a1924139480a423c",
    "111111111111111111111111111111111wgqyKKWU1mb"
    "PtMZtU4YvQaFrzy7zMVSrY8jU2SzAAP" }, /* 33 leading zero bytes */
  { "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000002c7e",
    "11111111111111111111111111111111111111111111"
    "1111111111111111114PP" }, /* 62 leading zero bytes */
  { "0000000000000000000000000000000000000000000000000000000000000000",
    "000000000000000000000000000000000000000000000000000000000000000d",
    "11111111111111111111111111111111111111111111"
    "1111111111111111111E" }, /* 63 leading zero bytes */
  { "d7b2ce0f5f4cfcc382ce4a5d634b83c9cc618d63cc1887c95d3628d99db09998",
    "c83efd57448a735b1dea206e14471d89ca4fc4dbad031229d798864cab44e1d1",
    "5K8G6D7Rei7QFv5MiEqsCnzZWn9teU3Tj936cMtZLQeQ"
    "zSrXz55spm21CGtucjvzhX7cVpN6UxsD2mcVwZ3jBZXN" }, /* random */
  { "07bc5795c348fcbdcba90022eb5b6326b210ef93100b4949a7897dfaa98bbef9",
    "b567d7c5d6b42ce5095000da5d1a5fb94ce9be26cdbbf1b12321d0809d84c765",
    "9yHLvyvQ8ipwQW84MHASvb4FsAM9Bp2B8L44ktbo2B3M"
    "jbzKrLtKCQxdR8tXBuZojNGYxPcAP7stBYbHMPeBnVS" }, /* random */
  { "e2009bc8705672c76d2b7c1d2706012dadd16ce63ba0fc6e0adc3bc85d5d4720",
    "fe2be31011721e26ad9d2f1a08c611eeec260ad75606e7b759eb148e8878f778",
    "5X5Go7L9xjSjsiuWkWp1kKPxPHtsXzj8DfmBdexibtuT"
    "QuKAg31EBuQ8xBtkHeci3VyUPiTAGoDj58NsgnMVyvQF" }, /* random */
  { "bed2160af7b662451ba8bbe9c9f3dec173f9092060ceed611d0625ae24916d79",
    "6ce710c35ae4c348d0cb47a7c379c37474f8186bf84c5050d7296948dc826a91",
    "4pH3uWc3SYNF6j9XKiUvj4J3ajD9aUtLfWG1piGMyyqv"
    "biugYGturMcZKzp2b1imgRiy1jhB887E36j1baM4Mapx" }, /* random */
};

static void
check_vector(uint8_t const *bytes, size_t n, char const *b58) {
  char    s[128];
  uint8_t b[64];
  size_t  len = enc_exact(bytes, n, s);
  SOF_CHECK_STR(s, b58);
  SOF_CHECK_EQ(len, strlen(b58));
  SOF_CHECK_EQ(dec_str(b58, b, n), 0);
  SOF_CHECK_MEM(b, bytes, n);
  /* the reference agrees too (tests the test) */
  ref_encode(bytes, n, s);
  SOF_CHECK_STR(s, b58);
}

static void
test_vectors(void) {
  for (size_t v = 0; v < sizeof vec32 / sizeof vec32[0]; v++) {
    uint8_t b[32];
    SOF_CHECK_EQ(sof_test_unhex(b, vec32[v].hex, 32), 0);
    check_vector(b, 32, vec32[v].b58);
  }
  for (size_t v = 0; v < sizeof vec64 / sizeof vec64[0]; v++) {
    uint8_t b[64];
    SOF_CHECK_EQ(sof_test_unhex(b, vec64[v].hex_hi, 32), 0);
    SOF_CHECK_EQ(sof_test_unhex(b + 32, vec64[v].hex_lo, 32), 0);
    check_vector(b, 64, vec64[v].b58);
  }

  /* The Vote program id and the zero key, spelled out. */
  static uint8_t const vote[32] = {
    0x07, 0x61, 0x48, 0x1d, 0x35, 0x74, 0x74, 0xbb, 0x7c, 0x4d, 0x76, 0x24,
    0xeb, 0xd3, 0xbd, 0xb3, 0xd8, 0x35, 0x5e, 0x73, 0xd1, 0x10, 0x43, 0xfc,
    0x0d, 0xa3, 0x53, 0x80, 0x00, 0x00, 0x00, 0x00 };
  check_vector(vote, 32, "Vote111111111111111111111111111111111111111");
  uint8_t zero[64] = {0};
  check_vector(zero, 32, "11111111111111111111111111111111");
  char ones64[65];
  memset(ones64, '1', 64);
  ones64[64] = '\0';
  check_vector(zero, 64, ones64);

  /* Direct calls on stack buffers, no wrapper. */
  char    s32[SOF_BASE58_ENCODED_32_MAX];
  uint8_t b32[32];
  SOF_CHECK_EQ(sof_base58_encode_32(vote, s32), 43);
  SOF_CHECK_STR(s32, "Vote111111111111111111111111111111111111111");
  SOF_CHECK_EQ(sof_base58_decode_32(s32, 43, b32), 0);
  SOF_CHECK_MEM(b32, vote, 32);
  /* in need not be NUL-terminated: only in_len bytes count */
  char const *two = "Vote111111111111111111111111111111111111111Vote";
  SOF_CHECK_EQ(sof_base58_decode_32(two, 43, b32), 0);
  SOF_CHECK_MEM(b32, vote, 32);
}

/* ---- random comparison against the reference ------------------------- */

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint64_t
rng(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1dULL;
}

static void
random_bytes(uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(rng() >> 56);
  switch (rng() % 4) { /* shape the top: leading 00 runs, or ff runs */
  case 0: memset(b, 0, (size_t)(rng() % (n + 1))); break;
  case 1: memset(b, 0xff, (size_t)(rng() % (n + 1))); break;
  case 2: { /* zeros, then one small byte: exercises each length */
    size_t z = (size_t)(rng() % n);
    memset(b, 0, z);
    b[z] = (uint8_t)(rng() % 4);
    break;
  }
  default: break;
  }
}

static void
test_random_encode(size_t n, long iters) {
  long bad = 0;
  for (long it = 0; it < iters; it++) {
    uint8_t in[64], back[64];
    char    got[128], want[128];
    random_bytes(in, n);
    size_t glen = enc_exact(in, n, got);
    size_t wlen = ref_encode(in, n, want);
    int ok = glen == wlen && !strcmp(got, want);
    ok &= dec_exact(got, glen, back, n) == 0 && !memcmp(back, in, n);
    if (!ok && bad++ < 5) {
      fprintf(stderr, "encode_%zu mismatch: got \"%s\" want \"%s\"\n", n, got,
              want);
    }
  }
  SOF_CHECK_EQ(bad, 0);
}

/* A string likely to sit near the edges: valid encodings, mutated. */
static size_t
random_string(char *s, size_t n) {
  size_t max = n == 32 ? 44 : 88;
  size_t len;
  switch (rng() % 3) {
  case 0: { /* uniform digits, any length around the valid range */
    len = (size_t)(rng() % (max + 4));
    size_t ones = rng() % 2 ? (size_t)(rng() % (len + 1)) : 0;
    for (size_t i = 0; i < len; i++)
      s[i] = i < ones ? '1' : b58_alphabet[rng() % 58];
    break;
  }
  default: { /* a valid encoding, then one or two edits */
    uint8_t b[64];
    random_bytes(b, n);
    len = ref_encode(b, n, s);
    long edits = 1 + (long)(rng() % 2);
    for (long e = 0; e < edits; e++) {
      size_t pos = (size_t)(rng() % (len + 1));
      switch (rng() % 5) {
      case 0: /* replace with a digit */
        if (pos < len) s[pos] = b58_alphabet[rng() % 58];
        break;
      case 1: /* replace with any byte */
        if (pos < len) s[pos] = (char)(rng() >> 56);
        break;
      case 2: /* insert a digit ('1' half the time) */
        if (len < max + 2) {
          memmove(s + pos + 1, s + pos, len - pos);
          s[pos] = rng() % 2 ? '1' : b58_alphabet[rng() % 58];
          len++;
        }
        break;
      case 3: /* delete */
        if (pos < len) {
          memmove(s + pos, s + pos + 1, len - pos - 1);
          len--;
        }
        break;
      default: /* leave it valid */
        break;
      }
    }
    break;
  }
  }
  s[len] = '\0';
  return len;
}

static void
compare_decode(char const *s, size_t len, size_t n, long *bad, long *acc) {
  uint8_t got[64], want[64];
  int grc = dec_exact(s, len, got, n);
  int wrc = ref_decode(s, len, want, n);
  int ok  = grc == wrc && (grc || !memcmp(got, want, n));
  if (!grc) {
    char back[128];
    (*acc)++;
    ok &= enc_exact(got, n, back) == len && !memcmp(back, s, len);
  }
  if (!ok && (*bad)++ < 5) {
    fprintf(stderr, "decode_%zu mismatch on \"%.*s\": got %d want %d\n", n,
            (int)len, s, grc, wrc);
  }
}

static void
test_random_decode(size_t n, long iters) {
  long bad = 0, acc = 0;
  for (long it = 0; it < iters; it++) {
    char   s[128];
    size_t len = random_string(s, n);
    compare_decode(s, len, n, &bad, &acc);
  }
  SOF_CHECK_EQ(bad, 0);
  /* both outcomes were exercised, in bulk */
  SOF_CHECK(acc > iters / 10);
  SOF_CHECK(acc < iters - iters / 10);
}

/* Powers of 58 and their predecessors ("2" + k '1's, k 'z's) behind every
 * count of leading '1's: hits each length boundary and the overflow edge. */
static void
test_structured_decode(size_t n) {
  size_t max = n == 32 ? 44 : 88;
  long   bad = 0, acc = 0;
  for (size_t ones = 0; ones <= max + 1; ones++) {
    for (size_t k = 1; ones + k <= max + 1; k++) {
      char s[128];
      memset(s, '1', ones);
      memset(s + ones, 'z', k);
      compare_decode(s, ones + k, n, &bad, &acc);
      s[ones] = '2';
      memset(s + ones + 1, '1', k - 1);
      compare_decode(s, ones + k, n, &bad, &acc);
    }
    char s[128];
    memset(s, '1', ones);
    compare_decode(s, ones, n, &bad, &acc); /* only ones: valid iff ones == n */
  }
  SOF_CHECK_EQ(bad, 0);
  SOF_CHECK(acc > 0);
}

/* ---- explicit rejections --------------------------------------------- */

static void
test_reject(void) {
  uint8_t     b[64];
  char        s[128];
  char const *vote = "Vote111111111111111111111111111111111111111";

  /* lengths */
  SOF_CHECK_EQ(sof_base58_decode_32(NULL, 0, b), -1);
  SOF_CHECK_EQ(sof_base58_decode_64(NULL, 0, b), -1);
  SOF_CHECK_EQ(dec_str("", b, 32), -1);
  SOF_CHECK_EQ(dec_str("1111111111111111111111111111111", b, 32), -1); /* 31 */
  SOF_CHECK_EQ(dec_str("2222222222222222222222222222222", b, 32), -1); /* 31 */
  snprintf(s, sizeof s, "%s2", "9cfBkPsoQ2NPHYPi7b69bcQG8FKfNc33k2UfRxiPFyd9");
  SOF_CHECK_EQ(dec_str(s, b, 32), -1); /* 45 */
  SOF_CHECK_EQ(dec_exact(vote, 42, b, 32), -1); /* truncated */
  memset(s, '2', 63);
  SOF_CHECK_EQ(dec_exact(s, 63, b, 64), -1);
  memset(s, '2', 89);
  SOF_CHECK_EQ(dec_exact(s, 89, b, 64), -1);
  SOF_CHECK_EQ(dec_str(vote, b, 64), -1); /* a key is not a signature */

  /* characters outside the alphabet, at the front, middle and back */
  static char const bad_chars[] = { '0', 'O', 'I', 'l', '\0', ' ', '+', '/',
                                    '-', '_', '=', '\n', (char)0x80,
                                    (char)0xc3, (char)0xff };
  for (size_t c = 0; c < sizeof bad_chars; c++) {
    size_t const pos[3] = { 0, 20, 42 };
    for (size_t p = 0; p < 3; p++) {
      strcpy(s, vote);
      s[pos[p]] = bad_chars[c];
      SOF_CHECK_EQ(dec_exact(s, 43, b, 32), -1);
    }
  }
  /* every byte value in one position: accepted iff in the alphabet */
  for (int c = 0; c < 256; c++) {
    strcpy(s, "4NBaRcXTvpfkZxVNrGwHAtYAW8mMaJe1DZuxim21xr2G");
    s[10] = (char)c;
    int in_alpha = c && memchr(b58_alphabet, c, 58) != NULL;
    SOF_CHECK_EQ(dec_exact(s, 44, b, 32) == 0, in_alpha);
  }
  /* a UTF-8 look-alike: "Vote11..." with a Greek omicron (ce bf) for 'o' */
  SOF_CHECK_EQ(dec_str("V\xce\xbf" "te11111111111111111111111111111111111111", b, 32),
               -1);

  /* overflow: 2^256 and 2^512 are one more than all-ff */
  SOF_CHECK_EQ(dec_str("JEKNVnkbo3jma5nREBBJCDoXFVeKkD56V3xKrvRmWxFG", b, 32), 0);
  SOF_CHECK_EQ(dec_str("JEKNVnkbo3jma5nREBBJCDoXFVeKkD56V3xKrvRmWxFH", b, 32), -1);
  SOF_CHECK_EQ(dec_str("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", b, 32), -1);
  SOF_CHECK_EQ(dec_str("67rpwLCuS5DGA8KGZXKsVQ7dnPb9goRLoKfgGbLfQg9WoLUg"
                       "NY77E2jT11fem3coV9nAkguBACzrU1iyZM4B8roQ", b, 64), 0);
  SOF_CHECK_EQ(dec_str("67rpwLCuS5DGA8KGZXKsVQ7dnPb9goRLoKfgGbLfQg9WoLUg"
                       "NY77E2jT11fem3coV9nAkguBACzrU1iyZM4B8roR", b, 64), -1);
  memset(s, 'z', 88);
  SOF_CHECK_EQ(dec_exact(s, 88, b, 64), -1);

  /* non-canonical leading ones */
  snprintf(s, sizeof s, "1%s", vote); /* same value, one '1' too many */
  SOF_CHECK_EQ(dec_str(s, b, 32), -1);
  memset(s, '1', 33);
  SOF_CHECK_EQ(dec_exact(s, 33, b, 32), -1);
  memset(s, '1', 44);
  SOF_CHECK_EQ(dec_exact(s, 44, b, 32), -1);
  /* two leading zero bytes written with one '1' (value fits, count wrong) */
  SOF_CHECK_EQ(dec_str("11A7cMkQfDtf8TteaQZf2nGDVEJmqiFhoX8Pm55vuaj", b, 32), 0);
  SOF_CHECK_EQ(dec_str("1A7cMkQfDtf8TteaQZf2nGDVEJmqiFhoX8Pm55vuaj", b, 32), -1);
  SOF_CHECK_EQ(dec_str("111A7cMkQfDtf8TteaQZf2nGDVEJmqiFhoX8Pm55vuaj", b, 32), -1);
  memset(s, '1', 65);
  SOF_CHECK_EQ(dec_exact(s, 65, b, 64), -1);
  snprintf(s, sizeof s, "1%s", "9yHLvyvQ8ipwQW84MHASvb4FsAM9Bp2B8L44ktbo2B3Mjbz"
           "KrLtKCQxdR8tXBuZojNGYxPcAP7stBYbHMPeBnVS");
  SOF_CHECK_EQ(dec_str(s, b, 64), -1);
  SOF_CHECK_EQ(dec_str(s + 1, b, 64), 0);
}

int
main(void) {
  test_vectors();
  test_reject();
  test_structured_decode(32);
  test_structured_decode(64);
  test_random_encode(32, 100000);
  test_random_encode(64, 100000);
  test_random_decode(32, 100000);
  test_random_decode(64, 100000);
  return sof_test_done("base58");
}
