/* sof_pjoin.h: the join table of sofd's joined mode (shreds and a processed
 * provider at once): which source saw a transaction first, so that each
 * transaction is published once, from that source, and the provider's
 * outcome is joined with the shred sighting.
 *
 * Keyed by the transaction's first signature. An entry is one of:
 *   SHRED       published from shreds, the provider's outcome awaited;
 *   PROV        published from the provider (it was first), the shreds
 *               awaited (their copies are not to be published);
 *   SHRED_DONE  shreds first, then the provider's outcome joined: kept so
 *               that a later shred sighting (the dataset after the inline
 *               copy) is not entered again as awaiting;
 *   PROV_DONE   provider first, then seen from shreds: kept so that every
 *               later shred sighting is skipped too.
 * Sets of SOF_PJOIN_WAYS entries, the set chosen by signature bytes 8..15
 * (signatures are uniformly distributed). A full set gives its oldest DONE
 * entry to the newcomer (not counted: nothing awaited it), else its oldest
 * awaiting one (counted: evicted). An evicted SHRED entry makes the
 * provider's later copy look first; an evicted PROV entry lets a shred copy
 * be published again: size the table for the transactions in flight
 * between the two sources.
 *
 * Bounds: entries fixed at sof_pjoin_new (a power of two >= 8), 81 bytes
 * each; no call allocates, locks, logs or makes a system call. Times are
 * opaque 64-bit stamps (sofd: TSC), 0 allowed.
 *
 * Threads: one writer (sofd: the dispatch lcore) calls everything but
 * sof_pjoin_stats, which any thread may call (relaxed reads of counters
 * stored atomically). */
#ifndef SOF_PJOIN_H
#define SOF_PJOIN_H

#include <stddef.h>
#include <stdint.h>

#define SOF_PJOIN_WAYS 8U

/* sof_pjoin_shred results. */
#define SOF_PJOIN_NEW          0 /* entered, the outcome awaited: publish this copy */
#define SOF_PJOIN_AGAIN        1 /* a later shred sighting of a shreds-first transaction: publish (counted dup) */
#define SOF_PJOIN_DEDUPE       2 /* the provider published it first: skip; *other = its arrival (counted dedupe) */
#define SOF_PJOIN_DEDUPE_AGAIN 3 /* skipped again (counted dup) */

/* sof_pjoin_provider results. */
#define SOF_PJOIN_JOINED 0 /* the shreds were first: *other = their sighting (counted hit) */
#define SOF_PJOIN_FIRST  1 /* not held: the provider is first (with a body: entered PROV, counted) */
#define SOF_PJOIN_REPEAT 2 /* already joined, or the provider's own repeat: nothing (counted dup) */

typedef struct sof_pjoin_stats {
  uint64_t inserted;     /* entries written */
  uint64_t evicted;      /* awaiting entries given to a newcomer (SHRED or PROV) */
  uint64_t hits;         /* SOF_PJOIN_JOINED */
  uint64_t prov_first;   /* SOF_PJOIN_FIRST with a body */
  uint64_t misses;       /* SOF_PJOIN_FIRST without a body (an outcome only) */
  uint64_t dedupe;       /* SOF_PJOIN_DEDUPE */
  uint64_t dup;          /* SOF_PJOIN_AGAIN, SOF_PJOIN_DEDUPE_AGAIN, SOF_PJOIN_REPEAT */
} sof_pjoin_stats_t;

typedef struct sof_pjoin sof_pjoin_t;

/* sof_pjoin_new: a table of entries (a power of two, >= SOF_PJOIN_WAYS).
 * NULL with a message in err (err may be NULL). */
sof_pjoin_t *sof_pjoin_new(uint64_t entries, char *err, size_t err_sz);
void sof_pjoin_delete(sof_pjoin_t *j); /* NULL is fine */

/* sof_pjoin_shred: a transaction about to be published from shreds (sig:
 * its first signature, 64 bytes; t: its RX time). Returns SOF_PJOIN_NEW /
 * _AGAIN (publish it) or SOF_PJOIN_DEDUPE / _DEDUPE_AGAIN (do not); with
 * SOF_PJOIN_DEDUPE, *other (non-NULL) = the provider's arrival time. */
int sof_pjoin_shred(sof_pjoin_t *j, uint8_t const *sig, uint64_t t, uint64_t *other);

/* sof_pjoin_provider: the provider reports a transaction (body 1: with the
 * transaction itself, which the caller publishes when the result is
 * SOF_PJOIN_FIRST; body 0: an outcome only, never entered). t: its arrival.
 * With SOF_PJOIN_JOINED, *other (non-NULL) = the shred sighting's time. */
int sof_pjoin_provider(sof_pjoin_t *j, uint8_t const *sig, uint64_t t, int body, uint64_t *other);

/* sof_pjoin_stats: the counters. Any thread. */
void sof_pjoin_stats(sof_pjoin_t const *j, sof_pjoin_stats_t *out);

#endif
