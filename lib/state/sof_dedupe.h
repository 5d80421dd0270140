/* sof_dedupe.h: ingress dedupe and conflict detection of shreds.
 *
 * Model (keyed like SOF's shred dedupe):
 *
 * - A shred's key is (slot, index, fec_set_index, version, variant); its
 *   value is its 64-byte signature. The first shred seen for a key is NEW and
 *   is remembered. A later shred with the same key is a DUPLICATE when its
 *   signature is the remembered one, else a CONFLICT (the leader signed two
 *   different shreds for one position, or a forgery got this far): counted,
 *   the remembered signature is kept, the caller drops the shred.
 * - Keys are compared field by field, exactly. The signature is remembered as
 *   a 64-bit keyed hash of all 64 bytes plus its first 8 bytes verbatim, so a
 *   different signature passes for the remembered one (a false DUPLICATE)
 *   only if both the first 8 bytes and the seeded hash agree.
 * - variant: the table compares the byte it is given, exactly. Pass the raw
 *   variant byte to key like SOF (a shred re-sent with another proof depth is
 *   then another key), or sof_shred_t.type to have every shred of one kind at
 *   one position compared.
 *
 * Forgetting (every kind counted when it frees an entry for a new key):
 *
 * - slot distance: hi = the highest slot checked so far, or, once the
 *   caller called sof_dedupe_set_tip, the tip it gives (sof_slotwin: a
 *   median no single shred moves; sofd does this). An entry whose slot is
 *   below hi - slot_window is dead. A shred of such a slot is STALE: it
 *   cannot be deduplicated any more, it is not remembered, the caller drops
 *   it. Without a tip, raising hi needs only one shred: one verified shred
 *   of a far-ahead slot (a leader signing early) makes every entry dead and
 *   every genuine shred STALE; give a tip wherever input is untrusted.
 * - age: an entry lives ttl time units from the check that inserted it (a
 *   copy at age < ttl is a DUPLICATE; at age >= ttl the key is NEW again).
 *   Repeats do not extend the life of an entry.
 * - capacity: the table has a fixed number of entries (a power of two) and a
 *   key may sit only within probe_max entries of its hash position. A new key
 *   takes the first empty or dead entry there; when every entry there is
 *   live, it replaces the oldest of them (smallest insertion time, then lowest
 *   slot): evict_capacity. The evicted key is NEW again when it comes back, so
 *   under capacity pressure a duplicate can pass as NEW, never the other way.
 *
 * Time is the caller's: a monotonic clock in any unit (ns, TSC cycles), the
 * same unit as ttl. A time below the greatest one seen so far is taken as
 * that greatest one, so entries never come back to life.
 *
 * Memory: sof_dedupe_new allocates everything (sof_dedupe_footprint bytes:
 * 52 per entry); nothing grows afterwards. sizing: keep the live keys
 * (shreds per slot * slot_window, or per ttl) under about half of capacity,
 * and watch evict_capacity. sof_dedupe_check does not allocate, lock, log or
 * make a system call. It reads at most probe_max consecutive 4-byte tags
 * (one cache line for 16), the 48-byte entries whose tag matches, and, for a
 * new key, the entries up to the first reusable one (all probe_max of them
 * only when each is live). One table per thread (no internal
 * synchronisation). */
#ifndef SOF_STATE_DEDUPE_H
#define SOF_STATE_DEDUPE_H

#include <stddef.h>
#include <stdint.h>

#define SOF_DEDUPE_SIG_SZ        64U
#define SOF_DEDUPE_SLOT_NONE     UINT64_MAX /* hi before the first check */
#define SOF_DEDUPE_CAPACITY_MIN  16U
#define SOF_DEDUPE_CAPACITY_MAX  (1U << 26)
#define SOF_DEDUPE_PROBE_MAX     64U

/* sof_dedupe_check results. */
#define SOF_DEDUPE_RESULT_LIST(X)                                              \
  X(NEW,       0, "new")        /* first copy of the key: remembered, pass it on */ \
  X(DUPLICATE, 1, "duplicate")  /* same key, same signature: drop */          \
  X(CONFLICT,  2, "conflict")   /* same key, another signature: drop */       \
  X(STALE,     3, "stale")      /* slot below hi - slot_window: drop */

enum {
#define SOF_DEDUPE_ENUM_(name, val, str) SOF_DEDUPE_##name = (val),
  SOF_DEDUPE_RESULT_LIST(SOF_DEDUPE_ENUM_)
#undef SOF_DEDUPE_ENUM_
  SOF_DEDUPE_RESULT_CNT = 4
};

typedef struct sof_dedupe_cfg {
  uint32_t capacity;    /* entries, power of two in [16, 2^26] (default 2^18: 13 MiB) */
  uint32_t probe_max;   /* entries a key may sit from its hash position,
                           [1, min(64, capacity)] (default 16) */
  uint64_t slot_window; /* slots kept below the highest; 0: no slot eviction (default 64) */
  uint64_t ttl;         /* entry lifetime in the caller's time unit; 0: no
                           age eviction (default 10e9: 10 s in ns) */
  uint64_t seed;        /* hash seed; 0: drawn at sof_dedupe_new (default 0) */
} sof_dedupe_cfg_t;

typedef struct sof_dedupe_stats {
  uint64_t result[SOF_DEDUPE_RESULT_CNT]; /* per sof_dedupe_check result */
  uint64_t evict_ttl;      /* entries reused for a new key because their age reached ttl */
  uint64_t evict_slot;     /* ... because their slot fell below hi - slot_window */
  uint64_t evict_capacity; /* live entries replaced: no empty or dead entry in the probe window */
  uint64_t probes;         /* tags examined by lookups (probes / checks = mean probe length) */
  uint64_t occupied;       /* gauge: entries holding a key, live or dead (<= capacity) */
  uint64_t highest_slot;   /* hi; SOF_DEDUPE_SLOT_NONE before the first non-stale check */
} sof_dedupe_stats_t;

typedef struct sof_dedupe sof_dedupe_t;

/* sof_dedupe_cfg_default: fills cfg with the defaults above. cfg non-NULL.
 * Thread safe. */
void sof_dedupe_cfg_default(sof_dedupe_cfg_t *cfg);

/* sof_dedupe_footprint: bytes sof_dedupe_new allocates for cfg (the table
 * and the handle), or 0 when cfg is invalid. Thread safe. */
size_t sof_dedupe_footprint(sof_dedupe_cfg_t const *cfg);

/* sof_dedupe_new: allocates and clears a table for cfg (setup time: one
 * allocation of sof_dedupe_footprint bytes; seed 0 reads getrandom(2), or the
 * clock when that fails). cfg is copied. Returns NULL with a message in err
 * (err may be NULL) on an invalid cfg or allocation failure. Thread safe. */
sof_dedupe_t *sof_dedupe_new(sof_dedupe_cfg_t const *cfg, char *err, size_t err_sz);

/* sof_dedupe_delete: frees d (NULL is fine). d must not be in use. */
void sof_dedupe_delete(sof_dedupe_t *d);

/* sof_dedupe_reset: forgets every key, hi and the time, and zeroes the
 * counters; keeps cfg and the seed. O(capacity). Not concurrent with any
 * other call on d. */
void sof_dedupe_reset(sof_dedupe_t *d);

/* sof_dedupe_check: one shred. slot, idx, fec_set_idx, version, variant: its
 * key (see the model above); sig: its 64 signature bytes (read during the
 * call only, no alignment needed; non-NULL); now: the caller's monotonic time.
 * Returns SOF_DEDUPE_NEW (the key is now remembered), SOF_DEDUPE_DUPLICATE,
 * SOF_DEDUPE_CONFLICT or SOF_DEDUPE_STALE; each result and each eviction is
 * counted. Hot path: no allocation, lock, log or system call. Single thread
 * per d. */
int sof_dedupe_check(sof_dedupe_t *d, uint64_t slot, uint32_t idx, uint32_t fec_set_idx,
                     uint16_t version, uint8_t variant, uint8_t const *sig, uint64_t now);

/* What sof_dedupe_check_src tells about the key's first copy (feed race
 * analytics, sof_race.h). */
typedef struct sof_dedupe_first {
  uint64_t stamp;  /* time of the first copy (the clamped time of its check) */
  uint64_t now;    /* this check's clamped time (>= stamp) */
  uint16_t src;    /* the src given with the first copy */
  uint8_t  second; /* DUPLICATE: 1 when this is the first copy from a src other
                      than the first copy's (the runner-up), else 0 */
} sof_dedupe_first_t;

/* sof_dedupe_check_src: sof_dedupe_check that also remembers src (the
 * caller's name for where the shred came from, e.g. a sof_race source
 * index) with a NEW key, and fills *first (non-NULL) on NEW (stamp = now,
 * src = src, second 0) and DUPLICATE (the first copy's stamp and src); on
 * CONFLICT and STALE *first is left as it was. Same cost as
 * sof_dedupe_check plus a store in the entry line it already read; the
 * entry keeps src in what was padding (still 48 bytes). A key inserted by
 * sof_dedupe_check has src 0. Hot path; single thread per d. */
int sof_dedupe_check_src(sof_dedupe_t *d, uint64_t slot, uint32_t idx, uint32_t fec_set_idx,
                         uint16_t version, uint8_t variant, uint8_t const *sig, uint64_t now,
                         uint16_t src, sof_dedupe_first_t *first);

/* sof_dedupe_set_tip: from now on hi is tip (SOF_DEDUPE_SLOT_NONE: no
 * slot eviction until the next call), and checks no longer raise it.
 * Entries of slots above hi stay live. O(1); hot path safe. Until
 * sof_dedupe_reset. Single thread per d. */
void sof_dedupe_set_tip(sof_dedupe_t *d, uint64_t tip);

/* sof_dedupe_prefetch: starts loading the cache lines sof_dedupe_check
 * reads first for this key (its tag and its first entry), and nothing
 * else: no state or counter changes. Call it for each shred of a burst
 * before checking them, so that their cache misses overlap instead of
 * coming one after the other. Same key arguments as sof_dedupe_check. Hot
 * path; single thread per d. */
void sof_dedupe_prefetch(sof_dedupe_t const *d, uint64_t slot, uint32_t idx, uint32_t fec_set_idx,
                         uint16_t version, uint8_t variant);

/* sof_dedupe_stats: the counters, valid while d lives (the pointer stays
 * the same; values change with each check: read them on d's thread). */
sof_dedupe_stats_t const *sof_dedupe_stats(sof_dedupe_t const *d);

/* sof_dedupe_cfg: the config d was created with (seed: the one in use). */
sof_dedupe_cfg_t const *sof_dedupe_cfg(sof_dedupe_t const *d);

/* sof_dedupe_result_str: stable name of a result ("?" when out of range);
 * a static string. Thread safe. */
char const *sof_dedupe_result_str(int result);

#endif /* SOF_STATE_DEDUPE_H */
