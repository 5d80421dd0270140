/* sof_slotwin.h: which slots are admissible now, and which are "current".
 *
 * A model of where the chain is, for deciding before any state is touched
 * whether a shred's slot is plausible, and which slots bounded tables must
 * keep room for. It must hold against a single hostile or unlucky packet:
 * the newest slot ever seen moves on one shred (a far-ahead forgery, a
 * leader signing a future slot early), so it is not used.
 *
 * The tip is the lower median of the slots of the last SOF_SLOTWIN_SAMPLES
 * sampled shreds (the caller samples shreds that passed verification, or
 * every parsed shred where the posture verifies nothing). Moving it takes
 * more than half of the recent samples: a flood at the feed's own rate,
 * never one packet. Until `quorum` samples are in, the tip is unknown and
 * every slot is admissible.
 *
 * Admission (sof_slotwin_admit): with a tip T, a slot in [T - behind,
 * T + ahead] is IN; outside it is AHEAD or BEHIND, and the caller drops the
 * shred, counted. So that a window that is wrong (the chain moved on while
 * the observer was cut off, or a flood steered it) corrects itself, one
 * outside shred in probe_every is PROBE instead: the caller verifies it as
 * usual, samples it when it passes, and drops it all the same (counted as
 * outside). The window never depends on state that only in-window shreds
 * could move: that would lock out the chain for good after a bad move.
 *
 * Protection (sof_slotwin_protected_at): slots in [T - protect_behind,
 * T + protect_ahead] are "current": tables that evict (FEC sets, slots
 * under reassembly) give up every other entry before one of these, so a
 * burst of shreds from many future (or old) slots can neither evict nor
 * starve the slots the chain is at. With the tip unknown nothing is
 * protected.
 *
 * Cost: admission is two comparisons; a sample is one store, and every
 * SOF_SLOTWIN_RECOMPUTE samples the median of the ring is recomputed (a
 * selection over 64 values, ~150 ns). No allocation, lock, log or system
 * call. One window per thread (no internal synchronisation); a copy of the
 * tip may be published to other threads by the caller. */
#ifndef SOF_STATE_SLOTWIN_H
#define SOF_STATE_SLOTWIN_H

#include <stdint.h>

#define SOF_SLOTWIN_SAMPLES   64U  /* slots remembered for the median */
#define SOF_SLOTWIN_RECOMPUTE 16U  /* samples between two median computations */
#define SOF_SLOTWIN_NONE      UINT64_MAX /* tip before the quorum */

#define SOF_SLOTWIN_CLASS_LIST(X)                                   \
  X(IN,     0, "in")     /* within [tip - behind, tip + ahead] */    \
  X(AHEAD,  1, "ahead")  /* above tip + ahead: drop */               \
  X(BEHIND, 2, "behind") /* below tip - behind: drop */              \
  X(PROBE,  3, "probe")  /* outside, but verify and sample it; then drop */

enum {
#define SOF_SLOTWIN_ENUM_(name, val, str) SOF_SLOTWIN_##name = (val),
  SOF_SLOTWIN_CLASS_LIST(SOF_SLOTWIN_ENUM_)
#undef SOF_SLOTWIN_ENUM_
  SOF_SLOTWIN_CLASS_CNT = 4
};

typedef struct sof_slotwin_cfg {
  uint64_t behind;         /* slots admitted below the tip (default 256); 0: no lower bound */
  uint64_t ahead;          /* slots admitted above the tip (default 16); 0: no upper bound */
  uint32_t quorum;         /* samples before the window applies, [1, 64] (default 16) */
  uint32_t probe_every;    /* 1 in this many outside shreds is a PROBE (default 8); 0: none */
  uint64_t protect_behind; /* current slots below the tip (default 4) */
  uint64_t protect_ahead;  /* current slots above the tip (default 16). Keep it >= ahead:
                              an admitted slot the tables may evict before its time has
                              its later genuine copies dropped as duplicates */
} sof_slotwin_cfg_t;

typedef struct sof_slotwin_stats {
  uint64_t cls[SOF_SLOTWIN_CLASS_CNT]; /* admission results */
  uint64_t samples;        /* slots sampled */
  uint64_t tip_moves;      /* times the median changed */
  uint64_t tip;            /* gauge: the tip (SOF_SLOTWIN_NONE before the quorum) */
} sof_slotwin_stats_t;

typedef struct sof_slotwin {
  sof_slotwin_cfg_t cfg;
  uint64_t ring[SOF_SLOTWIN_SAMPLES];
  uint32_t n;         /* samples held, <= SOF_SLOTWIN_SAMPLES */
  uint32_t pos;       /* next ring position */
  uint32_t since;     /* samples since the last median */
  uint32_t outside;   /* outside shreds since the last PROBE */
  uint64_t tip;
  uint64_t lo, hi;    /* admission bounds (inclusive) for the current tip */
  sof_slotwin_stats_t stats;
} sof_slotwin_t;

/* sof_slotwin_cfg_default: the defaults above. Thread safe. */
void sof_slotwin_cfg_default(sof_slotwin_cfg_t *cfg);

/* sof_slotwin_init: w starts with no samples and no tip. cfg is copied.
 * Returns 0, or -1 when cfg is invalid (quorum outside [1, 64]). */
int sof_slotwin_init(sof_slotwin_t *w, sof_slotwin_cfg_t const *cfg);

/* sof_slotwin_admit: the class of slot (SOF_SLOTWIN_*), counted. Hot path. */
static inline int
sof_slotwin_admit(sof_slotwin_t *w, uint64_t slot) {
  int c;
  if (__builtin_expect(slot >= w->lo && slot <= w->hi, 1)) {
    c = SOF_SLOTWIN_IN;
  } else if (w->cfg.probe_every && ++w->outside >= w->cfg.probe_every) {
    w->outside = 0;
    c = SOF_SLOTWIN_PROBE;
  } else {
    c = slot > w->hi ? SOF_SLOTWIN_AHEAD : SOF_SLOTWIN_BEHIND;
  }
  w->stats.cls[c]++;
  return c;
}

/* sof_slotwin_outside_class: AHEAD or BEHIND for a slot outside the
 * window (what a PROBE is counted as when the caller drops it). */
static inline int
sof_slotwin_outside_class(sof_slotwin_t const *w, uint64_t slot) {
  return slot > w->hi ? SOF_SLOTWIN_AHEAD : SOF_SLOTWIN_BEHIND;
}

/* sof_slotwin_recompute_: internal (the median and the bounds). */
void sof_slotwin_recompute_(sof_slotwin_t *w);

/* sof_slotwin_sample: one shred of slot passed the checks its posture
 * makes. Hot path: a store; every SOF_SLOTWIN_RECOMPUTE calls (and at each
 * call until the quorum) the median is recomputed. */
static inline void
sof_slotwin_sample(sof_slotwin_t *w, uint64_t slot) {
  w->ring[w->pos] = slot;
  w->pos = (w->pos + 1) % SOF_SLOTWIN_SAMPLES;
  if (w->n < SOF_SLOTWIN_SAMPLES) w->n++;
  w->stats.samples++;
  if (++w->since >= SOF_SLOTWIN_RECOMPUTE || w->n <= w->cfg.quorum) sof_slotwin_recompute_(w);
}

/* sof_slotwin_tip: the current tip, SOF_SLOTWIN_NONE before the quorum. */
static inline uint64_t
sof_slotwin_tip(sof_slotwin_t const *w) {
  return w->tip;
}

/* sof_slotwin_protected_at: whether slot is current for tip (tables use
 * this with a tip handed to them; nothing is protected without one). */
static inline int
sof_slotwin_protected_at(uint64_t tip, uint64_t pbehind, uint64_t pahead, uint64_t slot) {
  if (tip == SOF_SLOTWIN_NONE) return 0;
  return slot <= tip ? tip - slot <= pbehind : slot - tip <= pahead;
}

/* sof_slotwin_current: whether slot is current for window w (its tip and
 * protect range); never with w NULL or before the quorum. */
static inline int
sof_slotwin_current(sof_slotwin_t const *w, uint64_t slot) {
  return w && sof_slotwin_protected_at(w->tip, w->cfg.protect_behind, w->cfg.protect_ahead, slot);
}

/* sof_slotwin_class_str: stable name of a class ("?" when out of range). */
char const *sof_slotwin_class_str(int cls);

#endif /* SOF_STATE_SLOTWIN_H */
