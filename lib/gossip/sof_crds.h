/* sof_crds.h: a bounded table of CRDS values (what gossip holds).
 *
 * One record per label: (kind, origin, index) where index is the vote /
 * epoch-slots / duplicate-shred index and 0 for the other kinds. A value
 * replaces the record of its label when it is newer (ContactInfo: the
 * (outset, wallclock) pair, others: wallclock), as Agave's CRDS does; an
 * equal one is a duplicate, an older one outdated. The value's bytes are
 * not kept: the label, wallclock, local time, the value's sha256 (for pull
 * request bloom filters) and, for ContactInfo, the fields sofd uses (shred
 * version, gossip and TVU addresses).
 *
 * Bounds: capacity records preallocated at sof_crds_new, never more; when
 * full, the least recently updated record is evicted (counted). Lookups are
 * O(1) (a chained hash index); purge and iteration are O(capacity).
 * No allocation after sof_crds_new. Not thread safe: one owner thread. */
#ifndef SOF_CRDS_H
#define SOF_CRDS_H

#include <stddef.h>
#include <stdint.h>

#include "gossip/sof_gossip.h"

typedef struct sof_crds_rec {
  uint8_t  used;
  uint8_t  kind;           /* SOF_GOSSIP_CRDS_* */
  uint16_t index;
  uint16_t shred_version;  /* ContactInfo / LegacyContactInfo */
  uint16_t gossip_port, tvu_port;
  uint8_t  gossip_ip[4], tvu_ip[4];
  uint8_t  origin[32];
  uint8_t  hash[32];       /* sha256 of the value (signature + data) */
  uint64_t wallclock;      /* the value's (ms) */
  uint64_t outset;         /* ContactInfo */
  uint64_t local_ms;       /* when this table last took it */
  int32_t  hnext;          /* hash chain */
  int32_t  lprev, lnext;   /* least recently updated first */
} sof_crds_rec_t;

typedef struct sof_crds_stats {
  uint64_t inserted, updated, duplicate, outdated, evicted, purged;
} sof_crds_stats_t;

typedef struct sof_crds sof_crds_t;

/* Upsert results. */
enum { SOF_CRDS_INSERTED = 0, SOF_CRDS_UPDATED = 1, SOF_CRDS_DUPLICATE = 2, SOF_CRDS_OUTDATED = 3 };

/* sof_crds_new: a table of capacity records (1..2^24). NULL on a bad
 * capacity or out of memory. sof_crds_delete frees it (NULL is fine). */
sof_crds_t *sof_crds_new(uint32_t capacity);
void sof_crds_delete(sof_crds_t *t);

/* sof_crds_upsert takes a parsed (and verified) value at local time now_ms.
 * Returns SOF_CRDS_*. *evicted (may be NULL) receives a copy of the record
 * evicted to make room (used = 0 when none was). */
int sof_crds_upsert(sof_crds_t *t, sof_gossip_value_t const *v, uint64_t now_ms, sof_crds_rec_t *evicted);

/* sof_crds_get: the record of a label, or NULL. */
sof_crds_rec_t const *sof_crds_get(sof_crds_t const *t, uint8_t kind, uint8_t const origin[32], uint16_t index);

/* sof_crds_purge removes the records taken before now_ms - timeout_ms;
 * fn (may be NULL) sees each removed record first. Returns how many. */
uint32_t sof_crds_purge(sof_crds_t *t, uint64_t now_ms, uint64_t timeout_ms,
                        void (*fn)(void *ctx, sof_crds_rec_t const *r), void *ctx);

/* Iteration: records at slots 0..capacity-1 with used set. */
uint32_t sof_crds_capacity(sof_crds_t const *t);
sof_crds_rec_t const *sof_crds_slot(sof_crds_t const *t, uint32_t i);
uint32_t sof_crds_cnt(sof_crds_t const *t);
sof_crds_stats_t const *sof_crds_stats(sof_crds_t const *t);

/* Bytes the table holds (fixed at sof_crds_new). */
size_t sof_crds_footprint(sof_crds_t const *t);

#endif /* SOF_CRDS_H */
