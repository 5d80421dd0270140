/* sof_base58.h: base58 (Bitcoin alphabet, as Solana uses) for the two sizes
 * Solana prints: 32-byte values (public keys, hashes) and 64-byte values
 * (ed25519 signatures).
 *
 * Alphabet: 123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz
 * (no 0, O, I, l). Each leading zero byte is written as one leading '1'; the
 * rest of the value is written in base 58, most significant digit first,
 * without leading zero digits. This is the encoding of Solana's
 * bs58/Pubkey/Signature Display, so every 32-byte value has exactly one
 * encoding of 32..44 characters and every 64-byte value exactly one of
 * 64..88 characters.
 *
 * The implementation converts between base 2^32 words and base 58^5 limbs by
 * a product with precomputed tables (64-bit accumulators, no bignum loop per
 * byte), so it costs a fixed, small number of multiplies. Pure functions: no
 * allocation, no global mutable state, no libc call beyond memcpy. */
#ifndef SOF_WIRE_BASE58_H
#define SOF_WIRE_BASE58_H

#include <stddef.h>
#include <stdint.h>

/* Output buffer sizes, terminating NUL included. */
#define SOF_BASE58_ENCODED_32_MAX 45 /* 44 characters + NUL */
#define SOF_BASE58_ENCODED_64_MAX 89 /* 88 characters + NUL */

/* sof_base58_encode_32 writes the base58 encoding of the 32 bytes at in
 * (read as one big-endian number) to out, NUL-terminated.
 *
 * Preconditions: in points to 32 readable bytes; out points to
 * SOF_BASE58_ENCODED_32_MAX writable bytes; the two do not overlap.
 * Returns the string length (32..44, the NUL not counted); every value is
 * valid, so it cannot fail. Only out[0..returned length] is written.
 * Neither pointer is kept after the call. Thread safe (no shared mutable
 * state): concurrent calls on distinct out buffers are fine. */
size_t
sof_base58_encode_32(uint8_t const in[32], char out[SOF_BASE58_ENCODED_32_MAX]);

/* sof_base58_encode_64: as sof_base58_encode_32 for 64 bytes (signatures).
 * out holds SOF_BASE58_ENCODED_64_MAX bytes; returns the length, 64..88. */
size_t
sof_base58_encode_64(uint8_t const in[64], char out[SOF_BASE58_ENCODED_64_MAX]);

/* sof_base58_decode_32 decodes the in_len characters at in into the 32 bytes
 * at out.
 *
 * Preconditions: in points to in_len readable bytes (it need not be
 * NUL-terminated; a NUL inside the range is just an invalid character; in
 * may be NULL when in_len is 0); out points to 32 writable bytes that do not
 * overlap in.
 * Returns 0 on success and -1 when the input is not the canonical encoding
 * of a 32-byte value, i.e. when any of these holds:
 *   - in_len is outside 32..44 (no 32-byte value encodes to another length);
 *   - a byte is not in the alphabet (0 O I l, punctuation, whitespace, NUL
 *     and every byte >= 0x80 are rejected; there is no trimming);
 *   - the number is >= 2^256;
 *   - the count of leading '1's differs from the count of leading zero bytes
 *     of the value (e.g. "1" followed by a 43-character key), so exactly the
 *     strings sof_base58_encode_32 produces are accepted.
 * On error out is not written at all; on success all 32 bytes are.
 * Neither pointer is kept after the call. Thread safe (no shared mutable
 * state). */
int
sof_base58_decode_32(char const *in, size_t in_len, uint8_t out[32]);

/* sof_base58_decode_64: as sof_base58_decode_32 for 64-byte values: accepted
 * lengths are 64..88, the number must be < 2^512, out holds 64 bytes and is
 * not written on error. */
int
sof_base58_decode_64(char const *in, size_t in_len, uint8_t out[64]);

#endif /* SOF_WIRE_BASE58_H */
