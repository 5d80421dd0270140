/* sof_base58.c: base58 for 32- and 64-byte values, by table products.
 *
 * Method. A value is held either as N/4 big-endian 32-bit words (its binary
 * form) or as limbs in base R = 58^5 = 656356768 (< 2^30), each limb giving
 * five base58 digits. Converting one to the other is a matrix product:
 *
 *   encode: limb[k] = sum_i word[i] * ENC[i][k], ENC[i] = 2^(32*(W-1-i)) in
 *           base R; then carries in base R;
 *   decode: word[j] = sum_k limb[k] * DEC[k][j], DEC[k] = R^(L-1-k) in base
 *           2^32; then carries in base 2^32.
 *
 * Every product fits in 64 bits (< 2^32 * 2^30). Column sums were bounded
 * by summing, per column, the exact table entries times the largest possible
 * word or limb; the largest, as a fraction of 2^64, is:
 *   encode_32: 0.532 (all 8 rows at once)
 *   encode_64: 0.917 after rows 0..7 and 0.911 at the end, given that limb
 *              16, the only column whose full 16-row sum could wrap (1.45),
 *              is reduced mod R (its carry, < 2^35, going to limb 15) after
 *              rows 0..7
 *   decode_32: 0.476 (limb 0 < 58^4: at most 44 of the 45 digits are used)
 *   decode_64: 0.943 (limb 0 < 58^3: at most 88 of the 90 digits are used)
 * so no accumulator wraps, and each keeps more than 2^59 of headroom for
 * the carry (< 2^35) it receives while being normalised.
 *
 * Sizes: 2^256 < R^9 (45 digits) and 2^512 < R^18 (90 digits). Column 0 of
 * both ENC tables is zero (2^224 < R^8, 2^480 < R^17), so it is not stored.
 * The tables are nearly upper-triangular; the loops start each row at its
 * first nonzero entry.
 *
 * The tables, for review (Python), with (W, L) = (8, 9) for 32 bytes and
 * (16, 18) for 64 bytes:
 *   R = 58**5
 *   ENC[i][k-1] = (2**(32*(W-1-i)) // R**(L-1-k)) % R   for k in 1..L-1
 *   DEC[k][j]   = (R**(L-1-k) >> (32*(W-1-j))) & 0xffffffff
 *
 * Output: the limbs give 5*L digits; the leading zero digits beyond one
 * per leading zero byte of the input are dropped (there are always at least
 * that many: checked for every count of leading zero bytes at both sizes).
 * Decoding runs the other way and then demands that the count of leading
 * '1's equal the count of leading zero bytes, which, with the range check,
 * accepts exactly the strings encoding produces. */
#include "wire/sof_base58.h"

#include <string.h>

#define SOF_B58_R 656356768U /* 58^5 */

static char const sof_b58_alphabet[59] =
  "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

#define SOF_B58_UNROLL _Pragma("GCC unroll 32")

/* Character -> digit; XX (0xff) for every byte outside the alphabet. */
#define XX 0xff
static uint8_t const sof_b58_digit[256] = {
  XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0x00 */
  XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0x10 */
  XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0x20 */
  XX,  0,  1,  2,  3,  4,  5,  6,  7,  8, XX, XX, XX, XX, XX, XX, /* 0x30 */
  XX,  9, 10, 11, 12, 13, 14, 15, 16, XX, 17, 18, 19, 20, 21, XX, /* 0x40 */
  22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, XX, XX, XX, XX, XX, /* 0x50 */
  XX, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, XX, 44, 45, 46, /* 0x60 */
  47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, XX, XX, XX, XX, XX, /* 0x70 */
  XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0x80 */
  XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0x90 */
  XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0xa0 */
  XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0xb0 */
  XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0xc0 */
  XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0xd0 */
  XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0xe0 */
  XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, /* 0xf0 */
};
#undef XX

/* ENC32[i][k-1]: 2^(32*(7-i)) as base-R limbs 1..8. */
static uint32_t const sof_b58_enc_32[8][8] = {
  {    513735U,  77223048U, 437087610U, 300156666U, 605448490U, 214625350U,
    141436834U, 379377856U },
  {         0U,     78508U, 646269101U, 118408823U,  91512303U, 209184527U,
    413102373U, 153715680U },
  {         0U,         0U,     11997U, 486083817U,   3737691U, 294005210U,
    247894721U, 289024608U },
  {         0U,         0U,         0U,      1833U, 324463681U, 385795061U,
    551597588U,  21339008U },
  {         0U,         0U,         0U,         0U,       280U, 127692781U,
    389432875U, 357132832U },
  {         0U,         0U,         0U,         0U,         0U,        42U,
    537767569U, 410450016U },
  {         0U,         0U,         0U,         0U,         0U,         0U,
            6U, 356826688U },
  {         0U,         0U,         0U,         0U,         0U,         0U,
            0U,         1U },
};

/* ENC64[i][k-1]: 2^(32*(15-i)) as base-R limbs 1..17. */
static uint32_t const sof_b58_enc_64[16][17] = {
  {      2631U, 149457141U, 577092685U, 632289089U,  81912456U, 221591423U,
    502967496U, 403284731U, 377738089U, 492128779U,    746799U, 366351977U,
    190199623U,  38066284U, 526403762U, 650603058U, 454901440U },
  {         0U,       402U,  68350375U,  30641941U, 266024478U, 208884256U,
    571208415U, 337765723U, 215140626U, 129419325U, 480359048U, 398051646U,
    635841659U, 214020719U, 136986618U, 626219915U,  49699360U },
  {         0U,         0U,        61U, 295059608U, 141201404U, 517024870U,
    239296485U, 527697587U, 212906911U, 453637228U, 467589845U, 144614682U,
     45134568U, 184514320U, 644355351U, 104784612U, 308625792U },
  {         0U,         0U,         0U,         9U, 256449755U, 500124311U,
    479690581U, 372802935U, 413254725U, 487877412U, 520263169U, 176791855U,
     78190744U, 291820402U,  74998585U, 496097732U,  59100544U },
  {         0U,         0U,         0U,         0U,         1U, 285573662U,
    455976778U, 379818553U, 100001224U, 448949512U, 109507367U, 117185012U,
    347328982U, 522665809U,  36908802U, 577276849U,  64504928U },
  {         0U,         0U,         0U,         0U,         0U,         0U,
    143945778U, 651677945U, 281429047U, 535878743U, 264290972U, 526964023U,
    199595821U, 597442702U, 499113091U, 424550935U, 458949280U },
  {         0U,         0U,         0U,         0U,         0U,         0U,
            0U,  21997789U, 294590275U, 148640294U, 595017589U, 210481832U,
    404203788U, 574729546U, 160126051U, 430102516U,  44963712U },
  {         0U,         0U,         0U,         0U,         0U,         0U,
            0U,         0U,   3361701U, 325788598U,  30977630U, 513969330U,
    194569730U, 164019635U, 136596846U, 626087230U, 503769920U },
  {         0U,         0U,         0U,         0U,         0U,         0U,
            0U,         0U,         0U,    513735U,  77223048U, 437087610U,
    300156666U, 605448490U, 214625350U, 141436834U, 379377856U },
  {         0U,         0U,         0U,         0U,         0U,         0U,
            0U,         0U,         0U,         0U,     78508U, 646269101U,
    118408823U,  91512303U, 209184527U, 413102373U, 153715680U },
  {         0U,         0U,         0U,         0U,         0U,         0U,
            0U,         0U,         0U,         0U,         0U,     11997U,
    486083817U,   3737691U, 294005210U, 247894721U, 289024608U },
  {         0U,         0U,         0U,         0U,         0U,         0U,
            0U,         0U,         0U,         0U,         0U,         0U,
         1833U, 324463681U, 385795061U, 551597588U,  21339008U },
  {         0U,         0U,         0U,         0U,         0U,         0U,
            0U,         0U,         0U,         0U,         0U,         0U,
            0U,       280U, 127692781U, 389432875U, 357132832U },
  {         0U,         0U,         0U,         0U,         0U,         0U,
            0U,         0U,         0U,         0U,         0U,         0U,
            0U,         0U,        42U, 537767569U, 410450016U },
  {         0U,         0U,         0U,         0U,         0U,         0U,
            0U,         0U,         0U,         0U,         0U,         0U,
            0U,         0U,         0U,         6U, 356826688U },
  {         0U,         0U,         0U,         0U,         0U,         0U,
            0U,         0U,         0U,         0U,         0U,         0U,
            0U,         0U,         0U,         0U,         1U },
};

/* DEC32[k][j]: R^(8-k) as 8 big-endian 32-bit words. */
static uint32_t const sof_b58_dec_32[9][8] = {
  { 0x000004fdU, 0x9df9dbf7U, 0xe28ed535U, 0x7ba4a062U, 0xc19c48e6U,
    0x28f6af73U, 0xb0612100U, 0x00000000U },
  { 0x00000000U, 0x000020a8U, 0x469deca6U, 0xb5a6d367U, 0xcbc0907dU,
    0x07e6a558U, 0x4778de28U, 0x00000000U },
  { 0x00000000U, 0x00000000U, 0x0000d5b2U, 0xb2a25e00U, 0x6d5a3847U,
    0xec548c47U, 0x1ceaa75eU, 0x40000000U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x0005765dU, 0x5809369cU,
    0xc6e94ddeU, 0x5869f408U, 0xfa000000U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x0023be67U,
    0xb5f0f288U, 0x9aaf5053U, 0x01100000U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00e9e506U, 0x734501d8U, 0xf23a8000U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000000U, 0x05fa8624U, 0xc7fba400U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000000U, 0x00000000U, 0x271f35a0U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000000U, 0x00000000U, 0x00000001U },
};

/* DEC64[k][j]: R^(17-k) as 16 big-endian 32-bit words. */
static uint32_t const sof_b58_dec_64[18][16] = {
  { 0x0003ce68U, 0xddb89f01U, 0x0a5dadfeU, 0xefb41824U, 0xb9b78043U,
    0x94ec775bU, 0x3dbe6ca0U, 0x256756f2U, 0xe4ef4e3fU, 0xde375118U,
    0xacf06c10U, 0xe646e4d0U, 0x5bd5d06eU, 0x5da00000U, 0x00000000U,
    0x00000000U },
  { 0x00000000U, 0x0018e831U, 0x7038f2b5U, 0xf6171099U, 0x3d03fb1cU,
    0x9c11f234U, 0x778836a2U, 0x3f5bffc1U, 0xd53812d6U, 0xec10145fU,
    0x651109c3U, 0x9acc0068U, 0x27e7583aU, 0x06410000U, 0x00000000U,
    0x00000000U },
  { 0x00000000U, 0x00000000U, 0x00a2fb8fU, 0x54d09901U, 0x8f6de9ceU,
    0xf1ea6affU, 0x7fc98799U, 0xf87ff5e3U, 0x8fe44f62U, 0x97f7192cU,
    0x3b761478U, 0x2a84b665U, 0x887fb2b6U, 0x41cb2800U, 0x00000000U,
    0x00000000U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x042a8044U, 0x3deb070fU,
    0x6a6540e3U, 0x4ca0fd38U, 0x892d9fc7U, 0xd0244511U, 0x12c093c5U,
    0xa49ccf46U, 0xcb49e6f8U, 0x654c8fcbU, 0x36496640U, 0x00000000U,
    0x00000000U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x1b42ce8cU,
    0x3749976aU, 0xecfe9182U, 0x52d2493dU, 0x7da379b5U, 0xdd8806fdU,
    0x6cf67601U, 0x7c7a9538U, 0x1a2d003fU, 0x99bbe23aU, 0x00000000U,
    0x00000000U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0xb262d9ffU, 0x16dda043U, 0xe63e200bU, 0x06b8dc5eU, 0x14406f09U,
    0x5643492cU, 0x1d008c3cU, 0xd05617faU, 0x83b91a33U, 0x10000000U,
    0x00000000U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000004U, 0x8f4bc6eaU, 0xb09923f5U, 0xee4df68aU, 0x70d4fdf7U,
    0x87145b3fU, 0x553360aeU, 0x125afd88U, 0x8cc07764U, 0x0a800000U,
    0x00000000U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000000U, 0x0000001dU, 0xd65f9f8dU, 0xb5705045U, 0x4f67e70fU,
    0x3c76d592U, 0x33c72111U, 0xfe28bd95U, 0xdbde30e0U, 0x94240000U,
    0x00000000U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000000U, 0x00000000U, 0x000000c3U, 0x3ed2d1fbU, 0xdd3bfe9cU,
    0x22b96164U, 0xd38cf0d6U, 0x40e1c0eeU, 0x8b61c39cU, 0x5789a000U,
    0x00000000U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000000U, 0x00000000U, 0x00000000U, 0x000004fdU, 0x9df9dbf7U,
    0xe28ed535U, 0x7ba4a062U, 0xc19c48e6U, 0x28f6af73U, 0xb0612100U,
    0x00000000U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x000020a8U,
    0x469deca6U, 0xb5a6d367U, 0xcbc0907dU, 0x07e6a558U, 0x4778de28U,
    0x00000000U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x0000d5b2U, 0xb2a25e00U, 0x6d5a3847U, 0xec548c47U, 0x1ceaa75eU,
    0x40000000U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000000U, 0x0005765dU, 0x5809369cU, 0xc6e94ddeU, 0x5869f408U,
    0xfa000000U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000000U, 0x00000000U, 0x0023be67U, 0xb5f0f288U, 0x9aaf5053U,
    0x01100000U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000000U, 0x00000000U, 0x00000000U, 0x00e9e506U, 0x734501d8U,
    0xf23a8000U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x05fa8624U,
    0xc7fba400U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x271f35a0U },
  { 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U, 0x00000000U,
    0x00000001U },
};

/* First nonzero column of each row of ENC64 and DEC64 (the entries before
 * it are zero). In ENC32 it is i for row i, in DEC32 min(k, 7) for row k. */
static uint8_t const sof_b58_enc_64_lo[16] = {
  0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
static uint8_t const sof_b58_dec_64_lo[18] = {
  0, 1, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15 };

static inline uint32_t
sof_b58_load_be32(uint8_t const *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
         ((uint32_t)p[2] <<  8) |  (uint32_t)p[3];
}

static inline void
sof_b58_store_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >>  8);
  p[3] = (uint8_t)v;
}

/* Normalises acc[0..n) to base R from the bottom up: afterwards acc[1..n)
 * are < R and acc[0] holds the rest. */
static inline __attribute__((always_inline)) void
sof_b58_carry_r(uint64_t *acc, size_t n) {
  SOF_B58_UNROLL
  for (size_t k = n - 1; k > 0; k--) {
    acc[k - 1] += acc[k] / SOF_B58_R;
    acc[k]      = acc[k] % SOF_B58_R;
  }
}

/* Writes the 5 base58 characters of limb v (< R), most significant first.
 * The four quotients are taken from v directly (v/58^j, each one multiply
 * and shift) rather than from each other, so they do not form a chain. */
static inline __attribute__((always_inline)) void
sof_b58_limb_chars(uint32_t v, char *s) {
  uint32_t q1 = v / 58U;
  uint32_t q2 = v / (58U * 58U);
  uint32_t q3 = v / (58U * 58U * 58U);
  uint32_t q4 = v / (58U * 58U * 58U * 58U);
  s[0] = sof_b58_alphabet[q4];
  s[1] = sof_b58_alphabet[q3 - 58U * q4];
  s[2] = sof_b58_alphabet[q2 - 58U * q3];
  s[3] = sof_b58_alphabet[q1 - 58U * q2];
  s[4] = sof_b58_alphabet[v  - 58U * q1];
}

/* Second half of encoding, common to both sizes: limb[0..nl) (each < R) is
 * the value, whose first in_zeros bytes are zero. Writes the string and its
 * NUL to out and returns its length. copy is the shortest possible length
 * (32 or 64); the longest, 5*nl - 1, is at most 2 * copy. */
static inline __attribute__((always_inline)) size_t
sof_b58_limbs_to_str(uint64_t const *limb, size_t nl, size_t in_zeros,
                     size_t copy, char *out) {
  char str[90]; /* 5 * nl characters, for the 5 * nl digits */
  SOF_B58_UNROLL
  for (size_t k = 0; k < nl; k++) sof_b58_limb_chars((uint32_t)limb[k], str + 5 * k);

  size_t raw_zeros = 0;
  while (raw_zeros < 5 * nl && str[raw_zeros] == '1') raw_zeros++;
  /* raw_zeros >= in_zeros always holds (checked for every in_zeros at both
   * sizes: a value below 2^(8*(n-z)) has at most 5*nl - z digits), so the
   * skipped digits are all zero and the in_zeros kept ones are the '1's. */
  size_t skip = raw_zeros - in_zeros;
  size_t len  = 5 * nl - skip; /* copy <= len <= 5*nl - 1 */

  /* out[0..len) = str[skip..5*nl) as two fixed-size copies, the head and the
   * tail, which overlap (len <= 2 * copy) instead of a len-long loop. */
  memcpy(out, str + skip, copy);
  memcpy(out + len - copy, str + 5 * nl - copy, copy);
  out[len] = '\0';
  return len;
}

static inline __attribute__((always_inline)) size_t
sof_b58_count_zero_bytes(uint8_t const *p, size_t n) {
  size_t z = 0;
  while (z < n && !p[z]) z++;
  return z;
}

size_t
sof_base58_encode_32(uint8_t const in[32], char out[SOF_BASE58_ENCODED_32_MAX]) {
  uint32_t w[8];
  SOF_B58_UNROLL
  for (size_t i = 0; i < 8; i++) w[i] = sof_b58_load_be32(in + 4 * i);

  uint64_t acc[9] = {0};
  SOF_B58_UNROLL
  for (size_t i = 0; i < 8; i++) {
    SOF_B58_UNROLL
    for (size_t k = i; k < 8; k++) {
      acc[k + 1] += (uint64_t)w[i] * sof_b58_enc_32[i][k];
    }
  }
  sof_b58_carry_r(acc, 9);

  return sof_b58_limbs_to_str(acc, 9, sof_b58_count_zero_bytes(in, 32), 32, out);
}

size_t
sof_base58_encode_64(uint8_t const in[64], char out[SOF_BASE58_ENCODED_64_MAX]) {
  uint32_t w[16];
  SOF_B58_UNROLL
  for (size_t i = 0; i < 16; i++) w[i] = sof_b58_load_be32(in + 4 * i);

  uint64_t acc[18] = {0};
  SOF_B58_UNROLL
  for (size_t i = 0; i < 8; i++) {
    SOF_B58_UNROLL
    for (size_t k = sof_b58_enc_64_lo[i]; k < 17; k++) {
      acc[k + 1] += (uint64_t)w[i] * sof_b58_enc_64[i][k];
    }
  }
  /* Summed over all 16 rows, limb 16 alone could wrap (see the top of the
   * file), so it alone is reduced here, half way. */
  acc[15] += acc[16] / SOF_B58_R;
  acc[16] %= SOF_B58_R;
  SOF_B58_UNROLL
  for (size_t i = 8; i < 16; i++) {
    SOF_B58_UNROLL
    for (size_t k = sof_b58_enc_64_lo[i]; k < 17; k++) {
      acc[k + 1] += (uint64_t)w[i] * sof_b58_enc_64[i][k];
    }
  }
  sof_b58_carry_r(acc, 18);

  return sof_b58_limbs_to_str(acc, 18, sof_b58_count_zero_bytes(in, 64), 64, out);
}

/* First half of decoding, common to both sizes: packs the characters of
 * in[0..in_len), left-padded with '1's (zero digits) to 5 * nl, into
 * limb[0..nl). copy is a size with copy <= in_len <= 2 * copy and
 * in_len <= 5 * nl. Returns 0, or -1 when a character is outside the
 * alphabet. */
static inline __attribute__((always_inline)) int
sof_b58_str_to_limbs(char const *in, size_t in_len, size_t nl, size_t copy,
                     uint64_t *limb) {
  /* Right-align in into buf with two fixed-size copies (a head and a tail
   * that overlap) so that the rest works on a fixed-size buffer: no loop
   * whose count depends on in_len. */
  char buf[90];
  memset(buf, '1', 5 * nl);
  memcpy(buf + 5 * nl - in_len, in, copy);
  memcpy(buf + 5 * nl - copy, in + in_len - copy, copy);

  uint32_t bad = 0; /* valid digits OR to at most 63; XX sets 0x80 */
  SOF_B58_UNROLL
  for (size_t k = 0; k < nl; k++) {
    uint32_t v = 0;
    SOF_B58_UNROLL
    for (size_t i = 0; i < 5; i++) {
      uint32_t d = sof_b58_digit[(uint8_t)buf[5 * k + i]];
      bad |= d;
      v    = v * 58U + d; /* may wrap on a bad digit; the result is dropped */
    }
    limb[k] = v;
  }
  return (bad & 0x80U) ? -1 : 0;
}

static inline __attribute__((always_inline)) size_t
sof_b58_count_ones(char const *in, size_t in_len) {
  size_t ones = 0;
  while (ones < in_len && in[ones] == '1') ones++;
  return ones;
}

/* Second half of decoding: normalises acc[0..nw) to base 2^32 and, when the
 * value fits in 4 * nw bytes with exactly ones leading zero bytes, stores it
 * to out and returns 0; returns -1 (out untouched) otherwise. */
static inline __attribute__((always_inline)) int
sof_b58_words_to_bytes(uint64_t *acc, size_t nw, size_t ones, uint8_t *out) {
  SOF_B58_UNROLL
  for (size_t j = nw - 1; j > 0; j--) {
    acc[j - 1] += acc[j] >> 32;
    acc[j]     &= 0xffffffffU;
  }
  if (acc[0] >> 32) return -1; /* >= 2^(32 * nw) */
  uint8_t tmp[64];
  SOF_B58_UNROLL
  for (size_t j = 0; j < nw; j++) sof_b58_store_be32(tmp + 4 * j, (uint32_t)acc[j]);
  if (sof_b58_count_zero_bytes(tmp, 4 * nw) != ones) return -1; /* non-canonical */
  memcpy(out, tmp, 4 * nw);
  return 0;
}

int
sof_base58_decode_32(char const *in, size_t in_len, uint8_t out[32]) {
  if (in_len < 32 || in_len > 44) return -1;
  uint64_t limb[9];
  if (sof_b58_str_to_limbs(in, in_len, 9, 32, limb)) return -1;

  uint64_t acc[8] = {0};
  SOF_B58_UNROLL
  for (size_t k = 0; k < 9; k++) {
    SOF_B58_UNROLL
    for (size_t j = k < 7 ? k : 7; j < 8; j++) {
      acc[j] += limb[k] * sof_b58_dec_32[k][j];
    }
  }
  return sof_b58_words_to_bytes(acc, 8, sof_b58_count_ones(in, in_len), out);
}

int
sof_base58_decode_64(char const *in, size_t in_len, uint8_t out[64]) {
  if (in_len < 64 || in_len > 88) return -1;
  uint64_t limb[18];
  if (sof_b58_str_to_limbs(in, in_len, 18, 64, limb)) return -1;

  uint64_t acc[16] = {0};
  SOF_B58_UNROLL
  for (size_t k = 0; k < 18; k++) {
    SOF_B58_UNROLL
    for (size_t j = sof_b58_dec_64_lo[k]; j < 16; j++) {
      acc[j] += limb[k] * sof_b58_dec_64[k][j];
    }
  }
  return sof_b58_words_to_bytes(acc, 16, sof_b58_count_ones(in, in_len), out);
}
