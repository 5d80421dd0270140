/* sof_txgen.h: deterministic Solana transactions and entry batches for
 * tests and the sof-gen traffic generator.
 *
 * Everything derives from a 64-bit seed through splitmix64 (no rand(), no
 * clock, no global state): the same seed and the same sequence of calls give
 * the same bytes on every run and every host.  Keys are real ed25519 key
 * pairs (libsodium, derived from the seed), and every transaction carries
 * real signatures over its message bytes, so a verifier accepts them.
 *
 * Three layers:
 *   - sof_txgen_txn_build: serialize and sign any legacy / v0 message
 *     described by a sof_txgen_msg_t (the wire form of docs wire-format.md
 *     section 5);
 *   - sof_txgen_t: a seeded generator of realistic transactions of the kinds
 *     an observer must tell apart (TowerSync votes, votes with ComputeBudget,
 *     vote + transfer, system transfers, SPL-token-like transfers, v0 with
 *     address lookup tables);
 *   - sof_txgen_batch_t: a bincode Vec<Entry> serializer (entries with
 *     transactions, ticks) into a caller buffer.
 *
 * Entry hashes are a cheap deterministic chain (sof_txgen_entry_hash), not
 * proof of history: nothing downstream verifies PoH.
 *
 * No allocation anywhere; objects live in caller memory. */
#ifndef SOF_TXGEN_H
#define SOF_TXGEN_H

#include <stddef.h>
#include <stdint.h>

#include "wire/sof_txn.h"

/* Error codes: 0 ok, negative errors (stable, see sof_txgen_err_str). */
#define SOF_TXGEN_OK             0
#define SOF_TXGEN_ERR_SPACE     -1  /* output buffer too small */
#define SOF_TXGEN_ERR_TOO_LARGE -2  /* transaction above SOF_TXN_MTU bytes */
#define SOF_TXGEN_ERR_MSG       -3  /* message breaks a parse rule (counts, indices) */
#define SOF_TXGEN_ERR_SIGNER    -4  /* a signer key pair does not match its account key */
#define SOF_TXGEN_ERR_STATE     -5  /* batch call out of order (txn outside an entry...) */
#define SOF_TXGEN_ERR_TYPE      -6  /* unknown SOF_TXGEN_TYPE_* */

/* ---- deterministic randomness ----------------------------------------- */

/* splitmix64 (Steele, Lea, Flood 2014): 64-bit state, full period, good
 * enough to pick sizes and keys in tests; not a CSPRNG. */
typedef struct sof_txgen_rng {
  uint64_t s;
} sof_txgen_rng_t;

/* sof_txgen_rng_seed: starts r at seed (any value, 0 included). One thread
 * per r. */
void sof_txgen_rng_seed(sof_txgen_rng_t *r, uint64_t seed);

/* sof_txgen_rng_u64: next 64 random bits. One thread per r. */
uint64_t sof_txgen_rng_u64(sof_txgen_rng_t *r);

/* sof_txgen_rng_below: uniform in [0, n) without modulo bias (Lemire's
 * multiply-shift with rejection). Precondition: n >= 1. One thread per r. */
uint64_t sof_txgen_rng_below(sof_txgen_rng_t *r, uint64_t n);

/* sof_txgen_rng_bytes: fills out[0..sz) with random bytes. One thread per r. */
void sof_txgen_rng_bytes(sof_txgen_rng_t *r, void *out, size_t sz);

/* sof_txgen_mix: a well-mixed 64-bit value from two (to derive independent
 * streams: sof_txgen_rng_seed(&r, sof_txgen_mix(seed, DOMAIN))). Pure. */
uint64_t sof_txgen_mix(uint64_t a, uint64_t b);

/* ---- keys and program ids --------------------------------------------- */

#define SOF_TXGEN_KEYPAIR_SZ 64 /* libsodium: 32-byte seed || 32-byte public key */

/* Key domains for sof_txgen_keypair (any other value is fine too). */
#define SOF_TXGEN_DOMAIN_LEADER 1
#define SOF_TXGEN_DOMAIN_VOTER  2
#define SOF_TXGEN_DOMAIN_PAYER  3
#define SOF_TXGEN_DOMAIN_FORGER 4 /* sof-gen's wrong key for forged FEC sets */

/* sof_txgen_keypair: the ed25519 key pair number idx of a domain, derived
 * from seed, written to kp in libsodium's 64-byte form (the public key is
 * kp + 32). Same arguments, same key. Thread safe (libsodium must be
 * initialised: sof_txgen_init or sodium_init() did it). */
void sof_txgen_keypair(uint8_t kp[SOF_TXGEN_KEYPAIR_SZ], uint64_t seed, uint64_t domain,
                       uint64_t idx);

/* Program ids (32 raw bytes). Vote and ComputeBudget are sof_txn's
 * sof_txn_vote_program_id / sof_txn_compute_budget_program_id. */
extern uint8_t const sof_txgen_system_program_id[32]; /* 11111111111111111111111111111111 */
extern uint8_t const sof_txgen_token_program_id[32];  /* TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA */

/* ---- generic message serializer -------------------------------------- */

typedef struct sof_txgen_instr {
  uint8_t         program_idx; /* static key index, [1, key_cnt) */
  uint8_t         acct_cnt;
  uint8_t const * accts;       /* acct_cnt indices into static + looked-up keys */
  uint16_t        data_sz;
  uint8_t const * data;
} sof_txgen_instr_t;

typedef struct sof_txgen_lookup {
  uint8_t const * table;        /* 32-byte address of the lookup table */
  uint8_t         writable_cnt;
  uint8_t         readonly_cnt; /* writable_cnt + readonly_cnt >= 1 */
  uint8_t const * writable;
  uint8_t const * readonly;
} sof_txgen_lookup_t;

typedef struct sof_txgen_msg {
  uint8_t                    version;   /* SOF_TXN_VERSION_LEGACY or SOF_TXN_VERSION_V0 */
  uint8_t                    sig_cnt;   /* num_required_signatures, [1, SOF_TXN_SIG_MAX] */
  uint8_t                    ro_signed;
  uint8_t                    ro_unsigned;
  uint8_t                    key_cnt;   /* static account keys */
  uint8_t const *            keys;      /* key_cnt x 32 bytes, signers first */
  uint8_t const *            blockhash; /* 32 bytes */
  uint8_t                    instr_cnt;
  sof_txgen_instr_t const *  instr;
  uint8_t                    lookup_cnt; /* v0 only */
  sof_txgen_lookup_t const * lookup;
} sof_txgen_msg_t;

/* sof_txgen_txn_build: serializes msg as a transaction into out and signs
 * it: signature i = ed25519(keypairs[i], message bytes) for i < sig_cnt.
 *
 * The message is checked against the rules sof_txn_parse enforces (header
 * counts, program and account indices, lookup limits, at most SOF_TXN_MTU
 * bytes) so that a built transaction always parses; keys[i] must equal the
 * public half of keypairs[i] for every signer.
 * Preconditions: msg and every array it points to readable; keypairs holds
 * sig_cnt pointers to 64-byte key pairs; out writable for out_max bytes,
 * not overlapping the inputs.
 * Returns the transaction size (> 0), or SOF_TXGEN_ERR_MSG / _ERR_SIGNER /
 * _ERR_TOO_LARGE / _ERR_SPACE (out contents then unspecified). Its first
 * signature (the transaction id) is at out + 1 (the signature count takes
 * one byte). Keeps no pointer. Thread safe. */
long sof_txgen_txn_build(uint8_t *out, size_t out_max, sof_txgen_msg_t const *msg,
                         uint8_t const *const *keypairs);

/* ---- realistic transactions ------------------------------------------- */

/* Generated transaction types. SOF_TXN_KIND_* in brackets. */
#define SOF_TXGEN_TYPE_VOTE      0 /* TowerSync vote, legacy, 1 sig [vote_only, simple vote] */
#define SOF_TXGEN_TYPE_VOTE_CB   1 /* TowerSync + ComputeBudget limit and price [vote_only] */
#define SOF_TXGEN_TYPE_MIXED     2 /* TowerSync + system transfer [mixed] */
#define SOF_TXGEN_TYPE_TRANSFER  3 /* system transfer; some with a separate fee payer
                                      (2 sigs) or a priority fee [non_vote] */
#define SOF_TXGEN_TYPE_TOKEN     4 /* ComputeBudget + SPL Token Transfer [non_vote] */
#define SOF_TXGEN_TYPE_V0_ALT    5 /* v0, SPL Token TransferChecked with accounts from
                                      two address lookup tables [non_vote] */
#define SOF_TXGEN_TYPE_CNT       6

#define SOF_TXGEN_VOTER_CNT 16 /* validator identities that vote */
#define SOF_TXGEN_PAYER_CNT 16 /* fee payers / token owners */

/* A generator. Plain data (~2.5 KiB), caller owned. */
typedef struct sof_txgen {
  sof_txgen_rng_t rng;
  uint64_t        seed;
  uint8_t         voter[SOF_TXGEN_VOTER_CNT][SOF_TXGEN_KEYPAIR_SZ]; /* vote authorities */
  uint8_t         vote_acct[SOF_TXGEN_VOTER_CNT][32];                /* their vote accounts */
  uint8_t         payer[SOF_TXGEN_PAYER_CNT][SOF_TXGEN_KEYPAIR_SZ];
  uint8_t         blockhash[32]; /* recent blockhash of the messages, and voted bank hash */
  uint64_t        vote_slot;     /* the slot votes vote for */
} sof_txgen_t;

/* sof_txgen_init: seeds g, derives its 32 key pairs from seed (a few ms),
 * initialises libsodium. Blockhash and vote slot start derived from seed /
 * at 0; sof-gen updates them per slot with sof_txgen_set_recent.
 * Returns SOF_TXGEN_OK or SOF_TXGEN_ERR_SIGNER (libsodium init failed).
 * Keeps no pointer. Thread safe on distinct g. */
int sof_txgen_init(sof_txgen_t *g, uint64_t seed);

/* sof_txgen_set_recent: sets the recent blockhash (32 bytes, copied) and the
 * slot that votes refer to. One thread per g. */
void sof_txgen_set_recent(sof_txgen_t *g, uint8_t const blockhash[32], uint64_t vote_slot);

/* sof_txgen_pick_type: draws a SOF_TXGEN_TYPE_* so that vote-only
 * transactions (VOTE, VOTE_CB) make vote_ppm parts per million of the
 * draws (clamped to 1000000); the rest spreads over the other types.
 * One thread per g. */
int sof_txgen_pick_type(sof_txgen_t *g, uint32_t vote_ppm);

/* sof_txgen_type_str: "vote", "vote_cb", "mixed", "transfer", "token",
 * "v0_alt"; "unknown" otherwise. Static string; thread safe. */
char const *sof_txgen_type_str(int type);

/* sof_txgen_type_kind: the SOF_TXN_KIND_* that sof_txn_parse reports for a
 * type, or -1 for an unknown type. Pure. */
int sof_txgen_type_kind(int type);

/* sof_txgen_txn: builds one signed transaction of the given type into out
 * (at most SOF_TXN_MTU bytes are needed), drawing keys, amounts and vote
 * contents from g. Returns its size (> 0; the first signature is at out + 1)
 * or SOF_TXGEN_ERR_TYPE / _ERR_SPACE. Preconditions: g initialised, out
 * writable for out_max bytes. One thread per g. */
long sof_txgen_txn(sof_txgen_t *g, int type, uint8_t *out, size_t out_max);

/* sof_txgen_tower_sync_data: the instruction data of a Vote program
 * TowerSync (u32 14, then the compact serialization: root u64, short_vec of
 * (varint slot offset, u8 confirmation count), bank hash, Option<i64>
 * timestamp, block id), voting for vote_slot with a full 31-slot tower whose
 * root is vote_slot - 31 (no root when vote_slot < 31). Returns the size
 * (148 for a full tower with a timestamp) or SOF_TXGEN_ERR_SPACE.
 * Pure; thread safe. */
long sof_txgen_tower_sync_data(uint8_t *out, size_t out_max, uint64_t vote_slot,
                               uint8_t const bank_hash[32], int64_t timestamp,
                               uint8_t const block_id[32]);

/* ---- entries and batches ---------------------------------------------- */

/* sof_txgen_entry_hash: advances a deterministic entry hash chain:
 * hash = sha256(hash || u64 LE num_hashes || mixin[0..32)) (mixin may be
 * NULL for a tick). Stands in for PoH (which it is not). Thread safe. */
void sof_txgen_entry_hash(uint8_t hash[32], uint64_t num_hashes, uint8_t const *mixin);

/* A bincode Vec<Entry> being written into caller memory:
 *   u64 entry count, then per entry u64 num_hashes, 32-byte hash,
 *   u64 transaction count, transactions in wire form.
 * Fields are readable; change them only through the functions below. */
typedef struct sof_txgen_batch {
  uint8_t * buf;
  size_t    cap;
  size_t    sz;            /* bytes written so far */
  uint64_t  entry_cnt;     /* entries finished */
  uint64_t  tick_cnt;      /* of which ticks (no transaction) */
  uint64_t  txn_cnt;       /* transactions in finished entries */
  size_t    entry_off;     /* offset of the open entry */
  uint64_t  entry_txn_cnt; /* transactions in the open entry */
  int       in_entry;
  int       err;           /* sticky first error */
} sof_txgen_batch_t;

/* sof_txgen_batch_init: starts an empty batch in buf (cap bytes; at least
 * 8 are needed for the count, else the batch starts in error).
 * buf must outlive b. One thread per b. */
void sof_txgen_batch_init(sof_txgen_batch_t *b, uint8_t *buf, size_t cap);

/* sof_txgen_batch_entry_begin: opens an entry (num_hashes, 32-byte hash).
 * sof_txgen_batch_entry_txn: appends one serialized transaction (sz bytes,
 * copied) to the open entry.
 * sof_txgen_batch_entry_end: closes it (an entry with no transaction is a
 * tick).
 * sof_txgen_batch_tick: a whole tick entry in one call.
 * Each returns SOF_TXGEN_OK or an error: SOF_TXGEN_ERR_SPACE when the entry
 * does not fit (nothing of it is kept: sz goes back to the entry start),
 * SOF_TXGEN_ERR_STATE on a call out of order. Errors are sticky: once a
 * call failed, every later call returns that error. One thread per b. */
int sof_txgen_batch_entry_begin(sof_txgen_batch_t *b, uint64_t num_hashes, uint8_t const hash[32]);
int sof_txgen_batch_entry_txn(sof_txgen_batch_t *b, void const *txn, size_t sz);
int sof_txgen_batch_entry_end(sof_txgen_batch_t *b);
int sof_txgen_batch_tick(sof_txgen_batch_t *b, uint64_t num_hashes, uint8_t const hash[32]);

/* sof_txgen_batch_fini: writes the entry count and returns the batch size
 * (>= 8), or the sticky error (also SOF_TXGEN_ERR_STATE with an entry still
 * open). The batch is [buf, buf + size). One thread per b. */
long sof_txgen_batch_fini(sof_txgen_batch_t *b);

/* sof_txgen_err_str: stable snake_case name of a SOF_TXGEN_* code ("ok" for
 * 0, "unknown" otherwise). Static string; thread safe. */
char const *sof_txgen_err_str(int err);

#endif /* SOF_TXGEN_H */
