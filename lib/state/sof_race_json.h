/* sof_race_json.h: a feed race snapshot (sof_race.h) as JSON, for the
 * race plugin's lines (and anything else that wants the whole table).
 *
 * sof_race_json_fields writes, into an object the caller has begun:
 *   "sources": [ROW...], "leaders": [{"leader": "<base58>" | null,
 *   "sources": [ROW...]}...] (with_leaders only; null: the "other" row:
 *   leader not known, or no row free), "sourcesOverflow": N,
 *   "leadersOverflow": N
 * where ROW is
 *   {"name": "...", "addr": "A.B.C.D:PORT" | "A.B.C.D" (named, any port) |
 *    null (other), "named": bool, "received": N, "first": N,
 *    "firstShare": x (first / received, 0 when none), "fecSetsFirst": N,
 *    "lagSamples": N, "lagUs": {"p50": x, "p90": x, "p99": x} | null}
 * Lag values are µs with 3 decimals, negative when the source led the
 * fastest other one (sof_race.h). Leader rows without a shred are left
 * out, as are source cells of a leader row without a shred or set. Not
 * thread safe per j. */
#ifndef SOF_STATE_RACE_JSON_H
#define SOF_STATE_RACE_JSON_H

#include "state/sof_race.h"
#include "util/sof_json.h"

void sof_race_json_fields(sof_race_snap_t const *s, sof_json_t *j, int with_leaders);

/* sof_race_json_row: one ROW (above) for source row src of s with cell c. */
void sof_race_json_row(sof_race_snap_t const *s, uint32_t src, sof_race_cell_t const *c, sof_json_t *j);

#endif /* SOF_STATE_RACE_JSON_H */
