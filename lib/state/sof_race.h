/* sof_race.h: feed race analytics: which shred feed is fastest, per leader.
 *
 * Model:
 *
 * - A source is where shreds come from: an IPv4 address and UDP port. The
 *   config may name sources (sof_race_named_t: a name and an address, the
 *   port optional: any port of that address); a shred from an address no
 *   named source matches becomes an unnamed source, named "A.B.C.D:PORT".
 *   A table holds at most sources_max sources (named ones first); shreds of
 *   further sources go to the row "other" and are counted
 *   (sources_overflow).
 * - A shred key (slot, index, FEC set, version, variant: the ingress dedupe
 *   key, sof_dedupe.h) arrives first from one source. The dedupe table
 *   remembers, with the key, the first copy's source and time
 *   (sof_dedupe_check_src), so the race rides on the lookup the rx path
 *   makes anyway: per shred, sof_race_record gets whether the key was new
 *   and, for a copy, when and from where its first copy came.
 * - Per source, per leader (the slot's leader, through cfg.leader_of) the
 *   table counts: shreds received; shreds that arrived first (no other
 *   source had delivered the key before); FEC sets completed first (the
 *   source of the shred whose arrival completed, or made recoverable, the
 *   set: sof_race_set_first, called where sets complete); and the
 *   lead / lag distribution against the fastest other source, in ns:
 *     a copy from source B of a key whose first copy came from A (A != B)
 *     is a sample lag = t_B - t_A (>= 0) for B; the first copy from a source
 *     other than A (the runner-up) also gives A the sample t_A - t_B (<= 0:
 *     its lead). Copies from the first source itself (resent) are received,
 *     not samples. So a source's p50 < 0 means it usually leads.
 *   Leaders: at most leaders_max rows (keyed by the 32-byte identity); a
 *   slot whose leader is not known (leader_of NULL) or comes when the rows
 *   are full goes to the leader row "other" (the latter counted:
 *   leaders_overflow). Per-source totals are the sums over the leader rows,
 *   so the leader rows always add up to the totals.
 * - Distributions are log-linear histograms (sof_race_hist_t): 4 buckets
 *   per power of two of |ns| (exact below 4 ns; a bucket is at most 25% of
 *   its lower bound wide), two signs, up to ~68 s (larger values land in
 *   the top bucket). A percentile is the midpoint of the bucket holding the
 *   sample of that rank, so it is within one bucket width of the exact
 *   sample percentile.
 *
 * Threads (the choice for several rx lcores): single writer per table,
 * merged on read. Each rx instance owns one sof_race_t (written by its
 * lcore only, as its dedupe table is), each fec instance one for the sets
 * it completes; a group (sof_race_group_t) holds them all. Readers
 * (telemetry, Prometheus, the race plugin) merge a snapshot
 * (sof_race_snap_take) without locks: counters are 64-bit relaxed atomic
 * stores / loads, new source and leader rows are published with a release
 * store of the row count. A race is decided within one rx instance: sofd's
 * dedupe is per rx instance too, so feeds that should be compared must
 * reach the same rx instance (one UDP socket / RX queue, or RSS steering
 * by source); with one rx instance (the default) every feed races every
 * other.
 *
 * Cost: sof_race_source is one compare in an 8-entry cache of recent
 * sources (a small hash probe on a miss); sof_race_record a compare against a 16-slot
 * leader cache, two counter increments, and for a copy one or two
 * histogram increments (a clz). No allocation, lock, log or system call
 * (bench/bench_race.c measures it). Memory: everything is allocated by
 * sof_race_new from the bounds (sof_race_footprint). */
#ifndef SOF_STATE_RACE_H
#define SOF_STATE_RACE_H

#include <stddef.h>
#include <stdint.h>

#include "state/sof_dedupe.h"

#define SOF_RACE_NAME_MAX      48U   /* a source's name, NUL included */
#define SOF_RACE_SOURCES_MAX   1024U /* cfg.sources_max bound */
#define SOF_RACE_LEADERS_MAX   4096U /* cfg.leaders_max bound */
#define SOF_RACE_SOURCES_DEFAULT 16U
#define SOF_RACE_LEADERS_DEFAULT 32U
#define SOF_RACE_HIST_SUB      4U    /* buckets per power of two */
#define SOF_RACE_HIST_BUCKETS  140U  /* per sign: 0..3 exact, then 34 octaves up to 2^36 ns */

/* ---- histograms -------------------------------------------------------------------- */

/* A signed log-linear histogram of ns values: pos[b] counts values >= 0
 * whose magnitude falls in bucket b, neg[b] values < 0. */
typedef struct sof_race_hist {
  uint64_t pos[SOF_RACE_HIST_BUCKETS];
  uint64_t neg[SOF_RACE_HIST_BUCKETS];
} sof_race_hist_t;

/* sof_race_hist_bucket: the bucket of magnitude m ns (capped at the top
 * one). Thread safe. */
static inline unsigned
sof_race_hist_bucket(uint64_t m) {
  if (m < SOF_RACE_HIST_SUB) return (unsigned)m;
  unsigned e = 63U - (unsigned)__builtin_clzll(m); /* >= 2 */
  unsigned b = SOF_RACE_HIST_SUB + (e - 2U) * SOF_RACE_HIST_SUB + (unsigned)((m >> (e - 2U)) & 3U);
  return b < SOF_RACE_HIST_BUCKETS ? b : SOF_RACE_HIST_BUCKETS - 1U;
}

/* sof_race_hist_bounds: bucket b holds magnitudes [*lo, *hi). */
void sof_race_hist_bounds(unsigned b, uint64_t *lo, uint64_t *hi);

/* sof_race_hist_count: samples in h. */
uint64_t sof_race_hist_count(sof_race_hist_t const *h);

/* sof_race_hist_add: one sample (single writer; relaxed stores, so a
 * concurrent reader sees whole counts). */
void sof_race_hist_add(sof_race_hist_t *h, int64_t v);

/* sof_race_hist_merge: dst += src (reader side: relaxed loads of src). */
void sof_race_hist_merge(sof_race_hist_t *dst, sof_race_hist_t const *src);

/* sof_race_hist_pct: the q-quantile (0 < q <= 1) in ns: the midpoint of
 * the bucket holding the sample of rank ceil(q * count) in ascending
 * order (negative for a neg bucket). 0 with *ok = 0 when h is empty (ok
 * may be NULL). */
double sof_race_hist_pct(sof_race_hist_t const *h, double q, int *ok);

/* ---- configuration ------------------------------------------------------------------ */

typedef struct sof_race_named {
  char     name[SOF_RACE_NAME_MAX]; /* [A-Za-z0-9_.-]+, unique */
  uint32_t ip;                      /* host order */
  uint16_t port;                    /* 0: any port of ip */
} sof_race_named_t;

/* slot -> the leader's 32-byte identity, or NULL when not known. Called by
 * the writer's thread when a slot is not in its small cache (once per slot
 * and table, about); the pointer is read during the call only. */
typedef uint8_t const *(*sof_race_leader_fn)(void *ctx, uint64_t slot);

typedef struct sof_race_cfg {
  uint32_t sources_max;          /* source rows, named ones included: [1, 1024] (default 16) */
  uint32_t leaders_max;          /* leader rows besides "other": [0, 4096] (default 32) */
  sof_race_named_t const *named; /* named sources (copied by sof_race_group_new) */
  uint32_t named_cnt;            /* <= sources_max */
  sof_race_leader_fn leader_of;  /* NULL: every shred's leader is "other" */
  void *leader_ctx;
} sof_race_cfg_t;

/* sof_race_cfg_default: the defaults above, no named source, no leaders
 * function. */
void sof_race_cfg_default(sof_race_cfg_t *cfg);

/* sof_race_parse_addr: "A.B.C.D" or "A.B.C.D:PORT" (decimal, PORT 1..65535)
 * into ip (host order) and port (0 when absent). Returns 0, or -1 with a
 * message in err. Thread safe. */
int sof_race_parse_addr(char const *s, uint32_t *ip, uint16_t *port, char *err, size_t err_sz);

/* sof_race_name_ok: 1 when name is a valid source name ([A-Za-z0-9_.-],
 * 1..SOF_RACE_NAME_MAX-1 characters), else 0. */
int sof_race_name_ok(char const *name);

/* ---- the writer's table ------------------------------------------------------------- */

typedef struct sof_race sof_race_t;
typedef struct sof_race_group sof_race_group_t;

/* Source indices: 0 .. sources_max-1 are rows, SOF_RACE_OTHER(t) the
 * overflow row (sources_max). */
uint32_t sof_race_other(sof_race_t const *t);

/* sof_race_source: the row of the source (ip, port) (host order), creating
 * an unnamed row when there is room; the overflow row otherwise (each such
 * call counted in sources_overflow). Hot path; the table's writer only. */
uint32_t sof_race_source(sof_race_t *t, uint32_t ip, uint16_t port);

/* sof_race_record: one received shred from row src (sof_race_source) of
 * slot. result: its sof_dedupe_check_src result; first: what that call
 * filled (read for NEW and DUPLICATE only; the src values in it are row
 * indices of this table). CONFLICT and STALE shreds count as received, not
 * first, no sample. Hot path; the table's writer only. */
void sof_race_record(sof_race_t *t, uint32_t src, uint64_t slot, int result,
                     sof_dedupe_first_t const *first);

/* sof_race_received: one received shred whose first arrival is not known
 * (no dedupe table): counted received only. Hot path; writer only. */
void sof_race_received(sof_race_t *t, uint32_t src, uint64_t slot);

/* sof_race_set_first: a FEC set of slot completed with the arrival of a
 * shred from (ip, port): one set completed first for that source. Hot
 * path; writer only (the fec instance's own table). */
void sof_race_set_first(sof_race_t *t, uint32_t ip, uint16_t port, uint64_t slot);

/* ---- the group: every writer's table -------------------------------------------------- */

/* sof_race_footprint: bytes a group of `writers` tables allocates for cfg
 * (0 when cfg is invalid). */
size_t sof_race_footprint(sof_race_cfg_t const *cfg, unsigned writers);

/* sof_race_group_new: writers tables (1..64) for cfg, every one holding
 * the named sources as rows 0..named_cnt-1. Setup time (allocates). NULL
 * with a message in err on a bad cfg (bounds, a bad or repeated name, a
 * repeated address) or no memory. */
sof_race_group_t *sof_race_group_new(sof_race_cfg_t const *cfg, unsigned writers, char *err,
                                     size_t err_sz);

/* sof_race_group_delete: frees g (NULL fine). No reader or writer may use
 * it any more (unpublish first). */
void sof_race_group_delete(sof_race_group_t *g);

/* sof_race_group_writer: table i (< writers), for one writer thread. */
sof_race_t *sof_race_group_writer(sof_race_group_t *g, unsigned i);

/* sof_race_group_cfg: g's config (named points into g). */
sof_race_cfg_t const *sof_race_group_cfg(sof_race_group_t const *g);

/* sof_race_publish: makes g the process's group for readers that cannot
 * be handed it (the race plugin), NULL to withdraw it. Release store. */
void sof_race_publish(sof_race_group_t *g);

/* sof_race_published: the published group or NULL (acquire load). The
 * group lives until it is withdrawn (sofd withdraws it after the plugins
 * shut down). */
sof_race_group_t *sof_race_published(void);

/* ---- merged snapshots (readers) ----------------------------------------------------------- */

/* One source's figures (within a leader row, or totals). */
typedef struct sof_race_cell {
  uint64_t received;
  uint64_t first;
  uint64_t sets_first;
  sof_race_hist_t hist;
} sof_race_cell_t;

typedef struct sof_race_src_info {
  char     name[SOF_RACE_NAME_MAX];  /* "other" for the overflow row */
  uint32_t ip;
  uint16_t port;                     /* 0 for a named any-port source */
  uint8_t  named;
  uint8_t  other;                    /* the overflow row */
} sof_race_src_info_t;

/* A merged view: sources (the group's sources_max rows at most, then
 * "other"), leaders (leaders_max at most, then "other"), and per (leader,
 * source) a cell; totals[s] sums the cells of source s. */
typedef struct sof_race_snap {
  uint32_t src_cnt;           /* rows in src / totals, "other" last (always present) */
  uint32_t leader_cnt;        /* rows in leader, "other" last (always present) */
  uint32_t src_cap, leader_cap;
  sof_race_src_info_t *src;
  uint8_t (*leader)[32];      /* identity; the last row ("other") is zeros */
  sof_race_cell_t *cells;     /* [leader_cnt][src_cap] (row stride src_cap) */
  sof_race_cell_t *totals;    /* [src_cnt] */
  uint64_t sources_overflow;  /* shreds / sets that went to the "other" source row */
  uint64_t leaders_overflow;  /* shreds whose leader found no row free */
} sof_race_snap_t;

/* sof_race_snap_new: a snapshot sized for g (allocates; any thread, off
 * the data path). NULL on no memory. */
sof_race_snap_t *sof_race_snap_new(sof_race_group_t const *g);
void sof_race_snap_delete(sof_race_snap_t *s);

/* sof_race_snap_take: s = the merge of every table of g now (sources
 * merged by name for named ones, by address for the others; leaders by
 * identity). Lock-free reads; any thread; one s per thread at a time. */
void sof_race_snap_take(sof_race_group_t const *g, sof_race_snap_t *s);

/* sof_race_snap_cell: the cell of (leader row l, source row s). */
static inline sof_race_cell_t const *
sof_race_snap_cell(sof_race_snap_t const *s, uint32_t l, uint32_t src) {
  return &s->cells[(size_t)l * s->src_cap + src];
}

#endif /* SOF_STATE_RACE_H */
