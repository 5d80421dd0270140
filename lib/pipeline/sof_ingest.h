/* sof_ingest.h: one shred in, datasets and transactions out.
 *
 * The sequence every consumer of shreds runs (sof-dump --reassemble, the
 * rx/fec/extract roles of sofd on one lcore), in one place:
 *
 *   1. late check: a shred of a FEC set the resolver already finished is
 *      dropped before any hashing (sof_resolver_finished);
 *   2. parse + verify (sof_verify_shred), or parse only without a verifier;
 *   3. accepted shreds into the FEC resolver (sof_resolver_add, with the
 *      root and leaf verification computed);
 *   4. new and rebuilt data shreds into reassembly (sof_reasm_add_shred);
 *      rebuilt shreds are verified first when the verifier says so: when
 *      the shred that completed the set was verified, the resolver's proof
 *      that every rebuilt path leads to that signed root is the
 *      verification (recovered_by_root); otherwise sof_verify_shred_root;
 *   5. each completed entry batch: the dataset callback, then (when the
 *      batch decodes) one transaction callback per transaction, zero-copy.
 *
 * Every shred given to sof_ingest_shred gets exactly one fate, counted:
 *   late      its set was finished: dropped before verification
 *   malformed it does not parse (by sof_shred reason)
 *   rejected  verification refused it (by sof_verify result)
 *   accepted  into the resolver (by sof_resolver result)
 * so sum(fates) == shreds given. Rebuilt shreds are counted apart
 * (recovered_ok / recovered_rejected): they were never received.
 *
 * Shreds are copied into the resolver and the reassembler unless
 * cfg.resolver.refs and cfg.reasm.refs (both, or neither) say how to hold
 * the caller's buffers by reference (sof_shred_ref.h); then the only copy
 * is the batch assembly.
 *
 * Ownership: the ingest owns its resolver and reassembler; the verifier is
 * borrowed (NULL: no verification; it must outlive the ingest). Allocated
 * once by sof_ingest_new; sof_ingest_shred never allocates, locks, logs or
 * makes a system call itself (the callbacks are the caller's). One ingest
 * per thread. */
#ifndef SOF_PIPELINE_INGEST_H
#define SOF_PIPELINE_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "resolve/sof_reasm.h"
#include "resolve/sof_resolver.h"
#include "state/sof_slotwin.h"
#include "verify/sof_verify.h"
#include "wire/sof_entry.h"
#include "wire/sof_shred.h"
#include "wire/sof_txn.h"

/* Fates of a shred (sof_ingest_result_t.fate). */
#define SOF_INGEST_FATE_LIST(X)               \
  X(LATE,      0, "late")                     \
  X(MALFORMED, 1, "malformed")                \
  X(REJECTED,  2, "rejected")                 \
  X(ACCEPTED,  3, "accepted")

enum {
#define SOF_INGEST_ENUM_(name, val, str) SOF_INGEST_##name = (val),
  SOF_INGEST_FATE_LIST(SOF_INGEST_ENUM_)
#undef SOF_INGEST_ENUM_
  SOF_INGEST_FATE_CNT = 4
};

/* A completed entry batch. err: sof_entry_batch_parse's code (0: eb is a
 * valid summary and its transactions follow through on_txn). Both valid
 * during the callback only. */
typedef void (*sof_ingest_dataset_fn)(void *ctx, sof_reasm_batch_t const *b,
                                      sof_entry_batch_t const *eb, int err);

/* One transaction of a batch: its bytes start at txn_bytes (inside
 * b->payload), t is its descriptor, entry_idx the entry holding it. Valid
 * during the callback only. */
typedef void (*sof_ingest_txn_fn)(void *ctx, sof_reasm_batch_t const *b, uint64_t entry_idx,
                                  uint8_t const *txn_bytes, sof_txn_t const *t);

/* A completed entry batch, undecoded (sof_ingest_cfg_t.on_raw_batch). */
typedef void (*sof_ingest_raw_batch_fn)(void *ctx, sof_reasm_batch_t const *b);

typedef struct sof_ingest_cfg {
  sof_verify_t         *verify;   /* borrowed; NULL: parse only, accept everything that parses */
  sof_resolver_cfg_t    resolver;
  sof_reasm_cfg_t       reasm;
  sof_ingest_dataset_fn on_dataset; /* may be NULL */
  sof_ingest_txn_fn     on_txn;     /* may be NULL */
  sof_ingest_raw_batch_fn on_raw_batch; /* may be NULL; when set, batches are
                                           handed over undecoded (another thread
                                           decodes them) and on_dataset / on_txn
                                           are not called */
  void                 *ctx;        /* passed to the callbacks */
  sof_slotwin_cfg_t const *window;  /* NULL (default): none. Else the ingest keeps a slot
                                       window (read at sof_ingest_new) sampled from every
                                       accepted shred and attached to the resolver and the
                                       reassembler, so that their bounded tables keep room
                                       for the current slots (sof_slotwin.h) */
} sof_ingest_cfg_t;

/* What became of one shred. */
typedef struct sof_ingest_result {
  int     fate;      /* SOF_INGEST_* */
  int     verify;    /* SOF_VERIFY_* result, -1 when not verified (late, or no verifier) */
  int     parse_err; /* sof_shred_parse code (negative) when MALFORMED, else 0 */
  int     resolver;  /* SOF_RESOLVER_* when ACCEPTED, else -1 */
  uint8_t conflict;  /* verification flagged a second signed root for the set */
} sof_ingest_result_t;

typedef struct sof_ingest_stats {
  uint64_t shreds;                                 /* given to sof_ingest_shred */
  uint64_t fate[SOF_INGEST_FATE_CNT];
  uint64_t malformed[SOF_SHRED_ERR_CNT + 1];       /* by -parse_err */
  uint64_t rejected[SOF_VERIFY_RESULT_CNT];        /* by verify result */
  uint64_t accepted[SOF_RESOLVER_RESULT_CNT];      /* by resolver result */
  uint64_t data_shreds;                            /* parsed (accepted or rejected) data shreds */
  uint64_t code_shreds;                            /* parsed coding shreds */
  uint64_t conflicts;                              /* shreds flagged as a second signed root */
  uint64_t recovered_ok;                           /* rebuilt shreds given to reassembly */
  uint64_t recovered_rejected;                     /* rebuilt shreds failing verify / parse */
  uint64_t recovered_by_root;                      /* of recovered_ok: accepted because the shred
                                                      completing the set was verified and the
                                                      resolver proved their paths to its root */
  uint64_t datasets;                               /* batches emitted */
  uint64_t dataset_err;                            /* of which did not decode */
  uint64_t txns;                                   /* transactions delivered */
} sof_ingest_stats_t;

typedef struct sof_ingest sof_ingest_t;

/* sof_ingest_cfg_default: no verifier, default resolver and reassembly
 * bounds, no callbacks. */
void sof_ingest_cfg_default(sof_ingest_cfg_t *cfg);

/* sof_ingest_new allocates an ingest (setup time). Returns NULL with a
 * message in err on a bad config or allocation failure. */
sof_ingest_t *sof_ingest_new(sof_ingest_cfg_t const *cfg, char *err, size_t err_sz);

/* sof_ingest_delete frees it and its resolver and reassembler (not the
 * verifier). NULL is fine. */
void sof_ingest_delete(sof_ingest_t *ing);

/* sof_ingest_reset forgets every FEC set and slot (resolver and reassembly
 * emptied) and zeroes the counters; the borrowed verifier is the caller's
 * to reset. Single-threaded per ingest. */
void sof_ingest_reset(sof_ingest_t *ing);

/* sof_ingest_shred runs one shred (a UDP payload of sz bytes, read during
 * the call only; parse_flags SOF_SHRED_PARSE_*) through the sequence above.
 * s (may be NULL) receives its parsed descriptor when it parsed (fate
 * REJECTED or ACCEPTED); res (may be NULL) its fate. The callbacks run
 * before the call returns, zero or more times. Returns res->fate.
 * Single-threaded per ingest. */
int sof_ingest_shred(sof_ingest_t *ing, void const *payload, size_t sz, unsigned parse_flags,
                     sof_shred_t *s, sof_ingest_result_t *res);

/* sof_ingest_shred_checked is sof_ingest_shred for a shred another thread
 * already parsed and verified (sofd's rx role verifies, its fec role
 * resolves): payload is the shred (read during the call only), s its
 * parsed descriptor, verify_result the SOF_VERIFY_* result (-1: not
 * verified, every parsed shred is accepted) and vi what the verifier
 * learned (read when verify_result >= 0; the ingest's cfg.verify must then
 * be the verifier's twin with the same policy, for sof_verify_accepted and
 * re-verification of rebuilt shreds). ref: the caller's buffer holding
 * payload when cfg.resolver.refs / cfg.reasm.refs are set (the resolver and
 * the reassembler then retain it instead of copying; the caller keeps its
 * own reference and drops it after the call), NULL otherwise. The late
 * check runs first (fate LATE); malformed shreds never get here. Returns
 * the fate. Single-threaded per ingest. */
int sof_ingest_shred_checked(sof_ingest_t *ing, void const *payload, sof_shred_t const *s,
                             int verify_result, sof_verify_info_t const *vi, void *ref,
                             sof_ingest_result_t *res_out);

/* sof_ingest_set_batch_sink: the reassembler assembles complete batches
 * into memory from fn (sof_reasm_set_sink), so that the batch handed to
 * on_raw_batch / on_dataset already lives where the caller keeps it. */
void sof_ingest_set_batch_sink(sof_ingest_t *ing, sof_reasm_sink_fn fn, void *ctx);

/* Counters and the owned objects' counters (valid while ing lives). */
sof_ingest_stats_t const *sof_ingest_stats(sof_ingest_t const *ing);
sof_resolver_t const *sof_ingest_resolver(sof_ingest_t const *ing);
sof_reasm_t const *sof_ingest_reasm(sof_ingest_t const *ing);

/* sof_ingest_fate_str: stable name of a fate. Static string. */
char const *sof_ingest_fate_str(int fate);

/* sof_ingest_window: the ingest's slot window (counters, tip), NULL
 * without cfg.window. Valid while ing lives; read on its thread. */
sof_slotwin_t const *sof_ingest_window(sof_ingest_t const *ing);

#endif /* SOF_PIPELINE_INGEST_H */
