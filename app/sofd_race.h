/* sofd_race.h: sofd's side of the feed race analytics (lib/state/sof_race.h
 * holds the model and the tables).
 *
 * - sofd_race_new builds the group from [race] and the named sources
 *   ([source.NAME] addr, --source): one table per rx instance (written by
 *   its lcore: received, first arrivals, lag; riding on its dedupe
 *   lookup) and one per fec instance (FEC sets completed first), so every
 *   table has a single writer; readers merge (sof_race_snap_take). The
 *   slot's leader comes from the leader table (sof_leaders_get, on a
 *   writer's cache miss: about once per slot). It publishes the group for
 *   the race plugin (sof_race_publish); sofd_race_delete withdraws it.
 * - The hooks the roles call (inline below): sofd_race_rx_* on rx around
 *   the dedupe check, sofd_race_fec_* on fec around sof_ingest.
 * - /sof/sources (rte_telemetry) and the sof_race_* Prometheus families.
 *
 * Threads: setup on the main thread; the hooks on their role's lcore;
 * telemetry on DPDK's telemetry thread, Prometheus on the HTTP thread
 * (each with its own snapshot, allocated on first use off the data path). */
#ifndef SOFD_RACE_H
#define SOFD_RACE_H

#include <stddef.h>

#include "pipeline/sof_ingest.h"
#include "state/sof_dedupe.h"
#include "state/sof_race.h"
#include "sofd_opts.h"

typedef struct sof_leaders sof_leaders_t;

/* sofd_race_new: the group for n_rx rx and n_fec fec instances (writers
 * 0..n_rx-1 are the rx instances, n_rx.. the fec ones), published. NULL
 * when [race] enabled = false (*failed = 0) or on an error (message on
 * stderr, *failed = 1). leaders is borrowed (may be NULL). */
sof_race_group_t *sofd_race_new(sofd_cfg_t const *c, sof_leaders_t const *leaders, unsigned n_rx,
                                unsigned n_fec, int *failed);

/* sofd_race_delete: withdraws and frees g (NULL fine), after every reader
 * stopped (plugins shut down, telemetry unregistered, HTTP stopped). */
void sofd_race_delete(sof_race_group_t *g);

/* sofd_race_telemetry_register: /sof/sources over g (NULL: answers with
 * "enabled": 0). Returns 0 or -1 (message on stderr). */
int sofd_race_telemetry_register(sof_race_group_t *g);
void sofd_race_telemetry_unregister(void);

/* sofd_race_prometheus: appends the sof_race_* families of g (nothing
 * for NULL) to buf at *off (sz bytes in all); -1 once it no longer fits.
 * One caller thread (the HTTP server's). */
int sofd_race_prometheus(sof_race_group_t const *g, char *buf, size_t sz, size_t *off);

/* ---- the hooks -------------------------------------------------------------------------- */

/* rx, one shred about to be checked by the dedupe table: its source row
 * (0 without a race table). */
static inline uint32_t
sofd_race_rx_source(sof_race_t *t, uint32_t ip, uint16_t port) {
  return t ? sof_race_source(t, ip, port) : 0;
}

/* rx, after the dedupe check (d its result, first what it filled). */
static inline void
sofd_race_rx_record(sof_race_t *t, uint32_t src, uint64_t slot, int d, sof_dedupe_first_t const *first) {
  if (t) sof_race_record(t, src, slot, d, first);
}

/* fec, before sof_ingest: the count the completion test compares with. */
static inline uint64_t
sofd_race_fec_mark(sof_race_t const *t, sof_ingest_t const *ing) {
  return t ? sof_resolver_stats(sof_ingest_resolver(ing))->sets_complete : 0;
}

/* fec, after sof_ingest: a set completed with this shred from (ip, port). */
static inline void
sofd_race_fec_done(sof_race_t *t, sof_ingest_t const *ing, uint64_t mark, uint32_t ip, uint16_t port,
                   uint64_t slot) {
  if (t && sof_resolver_stats(sof_ingest_resolver(ing))->sets_complete != mark)
    sof_race_set_first(t, ip, port, slot);
}

#endif /* SOFD_RACE_H */
