/* sof_verify.h: is this shred the slot leader's?
 *
 * Merkle shreds: the shred's merkle root (leaf over [64, proof_off) walked
 * up its proof) must carry the leader's ed25519 signature. Every shred of a
 * FEC set carries the same root and signature, so the signature is checked
 * once per (slot, fec_set_index, root, signature); later shreds of the set
 * cost their merkle path only, and stop hashing at the first interior node
 * already verified for the set (node cache). Legacy shreds: the signature
 * covers payload[64, 1228) of the zero-padded payload, once per shred.
 *
 * Three entries, one verdict: sof_verify_shred (one shred), sof_verify_shreds
 * (a burst, exactly as one call per shred in order, with the merkle leaves
 * hashed two at a time: use it where shreds come in bursts) and
 * sof_verify_shred_root (a shred whose merkle root the caller already
 * computed from its bytes, as the FEC resolver does for the shreds it
 * rebuilds: no hashing).
 *
 * A verifier is one object owned by one thread (e.g. one RX lcore). It is
 * allocated once (sof_verify_new) from configured bounds; no verification
 * call allocates, locks, logs or makes a system call.
 *
 * Results (one per shred):
 *   verified          the leader signed this shred's root (or payload)
 *   unknown_leader    no leader known for the slot (accepted or rejected by policy)
 *   invalid_merkle    the signature is the set's verified one but this
 *                     shred's path does not lead to the set's root
 *                     (content or proof altered)
 *   invalid_signature the signature does not verify over this shred's root
 *   malformed         the shred does not parse (see sof_shred_err_str)
 *   skipped           verification off (trusted posture): parsed, not checked,
 *                     no merkle root computed (info->root_valid is 0)
 *   wrong_version     shred version differs from the configured one
 *   over_budget       not checked: its set or its source failed too many
 *                     verifications (see "Budgets" below)
 * A second root for the same (slot, fec_set_index) that the leader also
 * signed is verified and flagged as a conflict (equivocation).
 *
 * Learned leaders (cfg.candidates, as SOF does without RPC): a merkle
 * shred of a slot the leader table does not name is checked against the
 * leader learned for that slot; else against the leaders learned for the
 * three slots either side (leaders hold four slots in a row), then against
 * the candidates, the most recently found first. Each try is one ed25519
 * check; one shred makes at most 16, a slot at most learn_tries_per_slot
 * (then it is given up, counted, and its shreds are unknown_leader). The
 * first valid signature teaches the slot's leader; a verified set's later
 * shreds cost no search. Per verifier (each rx lcore learns on its own).
 *
 * Budgets: what a sender can make the verifier spend on ed25519.
 * - A verified set's root under any other signature is a forgery without
 *   a check: ed25519 signing is deterministic, so the leader's signature
 *   over that root is the one already verified (a flipped signature bit
 *   costs a comparison; counted other_sig_known_root).
 * - Other roots for a verified set (equivocation, or altered content) get
 *   conflict_budget checks per set; past it, one shred in
 *   over_budget_try_every is still checked (a real second version has 64
 *   shreds under one root: it is found, then cached) and the others are
 *   over_budget.
 * - A set not verified yet gets set_fail_budget failed checks per (slot,
 *   fec set), and a source (sof_verify_set_source / _shreds_from: the
 *   sender's address) source_fail_budget failed checks per 4096 checks
 *   made, plus four for each set it delivered first in that time (a
 *   genuine feed whose address a forger shares is throttled only when the
 *   forgeries outnumber its sets four to one).
 *   Past the set budget, a (root, signature) turned away before and now
 *   on another shred index is checked: a genuine set's 64 shreds share
 *   one, so its second shred gets through and caches the set; a forger
 *   pays two packets of a new pair per check, and the pair then sits in
 *   the rejected cache (over_budget_resighted). Past either budget, one
 *   shred in over_budget_try_every is still checked; the others are
 *   over_budget. Tallies are direct-mapped tables (4096 sets, 1024
 *   sources, 1024 turned-away pairs): a collision forgets a tally, never
 *   blocks a stranger. */
#ifndef SOF_VERIFY_VERIFY_H
#define SOF_VERIFY_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "verify/sof_cands.h"
#include "verify/sof_leaders.h"
#include "wire/sof_shred.h"

#define SOF_VERIFY_RESULT_LIST(X)                   \
  X(VERIFIED,          0, "verified")               \
  X(UNKNOWN_LEADER,    1, "unknown_leader")         \
  X(INVALID_MERKLE,    2, "invalid_merkle")         \
  X(INVALID_SIGNATURE, 3, "invalid_signature")      \
  X(MALFORMED,         4, "malformed")              \
  X(SKIPPED,           5, "skipped")                \
  X(WRONG_VERSION,     6, "wrong_version")         \
  X(OVER_BUDGET,       7, "over_budget")

enum {
#define SOF_VERIFY_ENUM_(name, val, str) SOF_VERIFY_##name = (val),
  SOF_VERIFY_RESULT_LIST(SOF_VERIFY_ENUM_)
#undef SOF_VERIFY_ENUM_
  SOF_VERIFY_RESULT_CNT = 8
};

/* Trust postures, as SOF names them. */
#define SOF_VERIFY_POSTURE_PUBLIC_UNTRUSTED      0 /* verify by default */
#define SOF_VERIFY_POSTURE_TRUSTED_RAW_PROVIDER  1 /* skip by default */

typedef struct sof_verify_cfg {
  int      posture;             /* SOF_VERIFY_POSTURE_* */
  int      verify_shreds;       /* -1: posture's default, 0 off, 1 on */
  int      verify_recovered;    /* -1: posture's default, 0 off, 1 on (read by the FEC resolver) */
  int      accept_unknown_leader; /* 0: strict (reject), 1: accept, counted */
  int      check_version;       /* 1: shreds must carry shred_version */
  uint16_t shred_version;
  uint32_t cache_sets;          /* FEC sets remembered (rounded up to a multiple of 4); 0: 1024 */
  uint64_t slot_window;         /* entries older than the newest slot minus this are free; 0: 512 */
  struct sof_verify_shared *shared; /* borrowed; NULL: none. Signed roots shared by the
                                       verifiers of one process (sof_verify_shared_new) */
  uint32_t prepare_ahead;       /* sof_verify_prepare_ahead looks this many slots past the
                                   newest verified one for leaders to prepare; 0: off */
  uint32_t set_fail_budget;     /* failed checks per unverified (slot, fec set); 0: 4 */
  uint32_t source_fail_budget;  /* failed checks per source per 4096 checks; 0: 32 */
  uint32_t conflict_budget;     /* checks of other roots per verified set; 0: 2 */
  uint32_t over_budget_try_every; /* past a budget, one shred in this many is checked; 0: 8 */
  /* Learned mode (no schedule for a slot): candidate leader keys, tried
   * in turn (read at sof_verify_new: copied). 0 candidates: off. */
  uint8_t const (*candidates)[32];
  uint32_t candidate_cnt;
  /* Learned mode at run time: a published candidate set (borrowed; NULL:
   * none) that replaces the candidates whenever its generation moves (a
   * node joined or left gossip). The verifier checks the generation (one
   * acquire load) at the start of every sof_verify_shred / _shred_root /
   * _shreds call and, when it moved, copies the new set into its own
   * preallocated list (room for max(candidate_cnt, the set's capacity));
   * the leaders found most recently stay first. Slots whose search had
   * run out of candidates are searched again (within learn_tries_per_slot).
   * Non-NULL with cands_pub_keys turns learned mode on even with 0
   * candidates at start. */
  struct sof_cands const *cands_pub;
  int      cands_pub_keys;      /* 1: the candidates come from cands_pub */
  int      cands_pub_version;   /* 1: with check_version, the shred version too: a set
                                   published with another version switches it (counted) */
  uint32_t learn_tries_per_slot; /* ed25519 tries per slot before it is given up; 0: 256 */
} sof_verify_cfg_t;

/* Counters, readable at any time by the owning thread (copy them out for
 * other threads). */
typedef struct sof_verify_stats {
  uint64_t result[SOF_VERIFY_RESULT_CNT];
  uint64_t sig_verifies;     /* ed25519 verifications performed */
  uint64_t sig_cache_hits;   /* shreds whose signature check the cache answered */
  uint64_t node_cache_stops; /* merkle walks that stopped at a cached node */
  uint64_t bad_cache_hits;   /* repeats of a rejected (slot, root, signature): no ed25519 */
  uint64_t conflicts;        /* second leader-signed root for a (slot, fec set) */
  uint64_t evict_expired;    /* cache entries reused after leaving the slot window */
  uint64_t evict_live;       /* cache entries reused while still in the window */
  uint64_t shared_hits;      /* new sets whose signed root another verifier had checked:
                                no ed25519 (sof_verify_shared_t) */
  uint64_t root_given;       /* merkle shreds checked against a root their caller knew
                                (sof_verify_shred_root): no hashing */
  uint64_t sig_prepared;     /* of sig_verifies, those made with a prepared leader key */
  uint64_t key_prepares;     /* leader keys prepared (a table built: ~2 verifications' cost) */
  uint64_t keys_prepared_ahead; /* of key_prepares, those built in steps before the leader's
                                   first signature (sof_verify_prepare_ahead) */
  uint64_t other_sig_known_root; /* a verified root under another signature: rejected, no ed25519 */
  uint64_t over_budget_set;      /* over_budget: the (slot, fec set) failed set_fail_budget checks */
  uint64_t over_budget_source;   /* over_budget: the source failed source_fail_budget checks */
  uint64_t over_budget_conflict; /* over_budget: the verified set had conflict_budget other roots */
  uint64_t over_budget_resighted; /* checked past the set budget: a turned-away (root, signature)
                                     came again on another shred index */
  uint64_t learn_tries;        /* learned mode: candidate ed25519 tries */
  uint64_t learn_slots;        /* slots whose leader was learned */
  uint64_t learn_given_up;     /* slots whose tries ran out (their shreds: unknown_leader) */
  uint64_t learn_hits;         /* shreds whose leader came from a learned slot */
  uint64_t cand_updates;       /* published candidate sets taken (cfg.cands_pub) */
  uint64_t cand_torn;          /* copies of a set torn by the writer (retried at the next call) */
  uint64_t learn_reopened;     /* given-up slots searched again after a new candidate set */
  uint64_t version_switches;   /* shred version changed by a published set (cands_pub_version) */
} sof_verify_stats_t;

/* What sof_verify_shred learned besides the result. */
typedef struct sof_verify_info {
  int      parse_err;      /* sof_shred_parse code when malformed */
  uint8_t  root_valid;     /* root holds the shred's merkle root */
  uint8_t  conflict;       /* a second signed root for this set */
  uint8_t  cached;         /* the signature check was answered by the cache */
  uint8_t  leaf_valid;     /* leaf holds the shred's merkle leaf hash */
  uint8_t  root[32];
  uint8_t  leaf[32];       /* merkle shreds: the leaf hash (reused by FEC recovery) */
} sof_verify_info_t;

typedef struct sof_verify sof_verify_t;

/* Signed roots shared across verifiers (one per RX lcore): when one
 * verifier has checked the leader's signature over a FEC set's root, the
 * others accept the same (slot, fec_set_index, root, signature) without
 * ed25519 of their own. A fixed direct-mapped table of `entries` (power of
 * two) records; each record is written under a per-record sequence counter
 * (a writer that finds it busy skips: the table is a cache) and read with
 * 64-bit atomic loads, so a reader sees a whole record or none, never a
 * mix. The verifiers sharing it must use the same leader table and policy.
 * Any number of threads; no locks, no allocation after
 * sof_verify_shared_new. */
typedef struct sof_verify_shared sof_verify_shared_t;

/* sof_verify_shared_new: a table of entries records (power of two in
 * [16, 2^22]); NULL with a message on a bad size or no memory. Setup time. */
sof_verify_shared_t *sof_verify_shared_new(uint32_t entries, char *err, size_t err_sz);

/* sof_verify_shared_delete: frees it (no verifier may use it any more). */
void sof_verify_shared_delete(sof_verify_shared_t *sh);

/* sof_verify_shared_put / _has: record / look up that the leader signed
 * root with sig for (slot, fec_set_idx). _has returns 1 when a whole
 * record equal to all four is present. The verifier calls them; they are
 * public for tests. Thread safe. */
void sof_verify_shared_put(sof_verify_shared_t *sh, uint64_t slot, uint32_t fec_set_idx,
                           uint8_t const root[32], uint8_t const sig[64]);
int sof_verify_shared_has(sof_verify_shared_t const *sh, uint64_t slot, uint32_t fec_set_idx,
                          uint8_t const root[32], uint8_t const sig[64]);

/* sof_verify_cfg_default fills cfg with the public_untrusted posture,
 * strict unknown-leader policy, no version check, default bounds. */
void sof_verify_cfg_default(sof_verify_cfg_t *cfg);

/* sof_verify_new allocates a verifier (setup time). leaders is borrowed and
 * must outlive the verifier; its content may change between calls (not
 * during one). sof_ed25519_init must have run. Returns NULL on a bad config
 * (message in err) or allocation failure. */
sof_verify_t *sof_verify_new(sof_verify_cfg_t const *cfg, sof_leaders_t const *leaders, char *err,
                             size_t err_sz);

/* sof_verify_delete frees the verifier (NULL is fine). */
void sof_verify_delete(sof_verify_t *v);

/* sof_verify_warm reads the next `lines` cache lines of the tables the
 * next signature check will read: the base point's and the prepared key
 * of the leader of the newest verified slot, when there is one
 * (sof_ed25519_warm). For an idle poller: after a quiet
 * spell the first shred of a new FEC set would otherwise wait for those
 * misses on top of its signature check. Not thread safe (the verifier's
 * own thread). */
void sof_verify_warm(sof_verify_t *v, uint32_t lines);

/* sof_verify_prepare_ahead does one bounded step (under 10 µs) of
 * preparing the key of an upcoming leader: one named by the leader table
 * for the cfg.prepare_ahead slots after the newest verified slot, that no
 * key slot holds yet. The least recently used key slot is rebuilt in about
 * 40 such steps; when the leader's first shred comes, its signature
 * already takes the prepared path (otherwise it waits for an unprepared
 * verify, sof_ed25519_verify, and a whole preparation: ~145 µs with AVX-512
 * IFMA, ~160 µs on the scalar path, bench_verify). Keys come from the configured schedule, not
 * from shreds, so forged shreds still cannot make the verifier build
 * tables. Returns 1 when it did a step, 0 when there was nothing to do
 * (then warm instead). For an idle poller; not thread safe (the
 * verifier's own thread). */
int sof_verify_prepare_ahead(sof_verify_t *v);

/* sof_verify_reset forgets every cached set and rejected signature and
 * zeroes the counters. Prepared leader keys stay (they depend only on the
 * keys): a leader seen before the reset verifies with its table after it. */
void sof_verify_reset(sof_verify_t *v);

/* sof_verify_shred parses and verifies one shred from a UDP payload (buf,
 * sz bytes; as sof_shred_parse: longer payloads are fine). parse_flags are
 * SOF_SHRED_PARSE_* (trimmed legacy data is zero-padded for its signature
 * check). s (may be NULL) receives the parsed descriptor; info (may be
 * NULL) receives the root and flags. Returns SOF_VERIFY_*.
 * Hot path: no allocation; at most one ed25519 verification (none when the
 * set is cached). Single-threaded per verifier. */
int sof_verify_shred(sof_verify_t *v, void const *buf, size_t sz, unsigned parse_flags,
                     sof_shred_t *s, sof_verify_info_t *info);

/* sof_verify_shred_root is sof_verify_shred for a merkle shred whose merkle
 * root the caller already knows: root (32 bytes) must be what walking this
 * shred's leaf (over payload[64, proof_off)) up its proof gives. The FEC
 * resolver establishes exactly that for the data shreds it rebuilds
 * (sof_resolver_out_t.root: it hashed their leaves and every node of their
 * paths, up to the set's root). Nothing is hashed here; everything else is
 * as in sof_verify_shred, with the same result, info and cache effects for
 * the same bytes: parse, version check, posture (skipped), leader lookup
 * (unknown_leader), the set cache (a root the leader signed for the set
 * costs a comparison; another root with the set's signature is
 * invalid_merkle; a root not seen before costs one ed25519 verification,
 * and a failure is invalid_signature) and the conflict flag. The one
 * difference: no interior nodes are added to the set's node cache (there
 * are none to add), and info->leaf_valid is 0. Counted in
 * stats.root_given. Legacy shreds ignore root (their signature covers the
 * payload). A root that is not the shred's own defeats verification: never
 * pass one taken from the shred's claims or from another shred.
 * Hot path: as sof_verify_shred. */
int sof_verify_shred_root(sof_verify_t *v, void const *buf, size_t sz, unsigned parse_flags,
                          uint8_t const root[32], sof_shred_t *s, sof_verify_info_t *info);

/* sof_verify_shreds verifies a burst of n shreds (bufs[i], szs[i] bytes
 * each; parse_flags as sof_verify_shred) and is exactly n calls of
 * sof_verify_shred in order: res_out[i] (required), s_out[i] and
 * info_out[i] (either array may be NULL) receive what call i would return
 * and fill, and the caches and counters end as after those calls; a later
 * shred of the burst sees what earlier ones left in the cache (a set
 * verified by shred 0 answers shred 5 from the cache, a conflict, a
 * rejected signature and an eviction play out as one call at a time).
 * What differs is the cost: the merkle leaves of the burst (the largest
 * part of a cached set's work) are hashed two at a time with SHA-NI
 * (sof_merkle_leaf_x2), about 0.55x the time of one at a time; hashing
 * depends on the bytes only, so it runs ahead of the checks in order.
 * Returns how many results sof_verify_accepted lets through. n may be 0.
 * Hot path: no allocation (a fixed round of 16 shreds on the stack), at
 * most one ed25519 verification per shred as sof_verify_shred. Single-
 * threaded per verifier. */
size_t sof_verify_shreds(sof_verify_t *v, void const *const *bufs, size_t const *szs, size_t n,
                         unsigned parse_flags, sof_shred_t *s_out, int *res_out,
                         sof_verify_info_t *info_out);

/* sof_verify_set_source: the source (e.g. IPv4 address << 16 | port; 0:
 * unknown, no per-source budget) of the shreds the next sof_verify_shred /
 * _shred_root calls verify. Single-threaded per verifier. */
void sof_verify_set_source(sof_verify_t *v, uint64_t src);

/* sof_verify_shreds_from is sof_verify_shreds with srcs[i] (may be NULL:
 * the source set last) the source of shred i, for the per-source budget. */
size_t sof_verify_shreds_from(sof_verify_t *v, void const *const *bufs, size_t const *szs,
                              uint64_t const *srcs, size_t n, unsigned parse_flags, sof_shred_t *s_out,
                              int *res_out, sof_verify_info_t *info_out);

/* sof_verify_accepted tells whether a result lets the shred into the
 * pipeline: verified and skipped always, unknown_leader when the policy
 * accepts it. */
int sof_verify_accepted(sof_verify_t const *v, int result);

/* sof_verify_enabled / sof_verify_recovered_enabled: the effective
 * switches after the posture's defaults and the overrides. */
int sof_verify_enabled(sof_verify_t const *v);
int sof_verify_recovered_enabled(sof_verify_t const *v);

/* sof_verify_stats returns the counters (valid while v lives). */
sof_verify_stats_t const *sof_verify_stats(sof_verify_t const *v);

/* sof_verify_result_str: stable name of a result ("verified", ...;
 * "unknown" for other values). Static string. */
char const *sof_verify_result_str(int result);

/* sof_verify_posture_parse maps "public_untrusted" /
 * "trusted_raw_shred_provider" to SOF_VERIFY_POSTURE_*; -1 otherwise. */
int sof_verify_posture_parse(char const *name);

#endif /* SOF_VERIFY_VERIFY_H */
