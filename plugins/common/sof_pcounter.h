/* sof_pcounter.h: named counters a compiled-in plugin exports to sofd's
 * telemetry (/sof/plugins) and Prometheus (/metrics), for plugins whose
 * counters are more than an output sink's (sof_plugout).
 *
 * A plugin describes its counters once (a static table of sof_pcounter_t)
 * and registers the table with the values' storage at setup. The storage
 * must live as long as the process (static storage: the telemetry thread,
 * which sofd cannot stop, may read it after the plugin shut down); the
 * plugin updates the values with atomic stores / adds, the renderers read
 * them with relaxed atomic loads (one render may mix moments, never tears a
 * value).
 *
 * Names. owner and family are [a-z0-9_]+. Telemetry: one key per counter,
 * "<owner>_<family>" or, with a label, "<owner>_<family>_<label value>".
 * Prometheus: family "sof_<owner>_<family>" plus "_total" for a counter
 * (not for a gauge), one HELP / TYPE per family, the label as
 * {label_key="label value"}. Counters of one family are adjacent in the
 * table and share help and gauge.
 *
 * Losses. Counters flagged loss count events the plugin was given and did
 * not deliver (dropped before, lost after its queue); sofd's exit status is
 * 1 when any is non-zero at exit (sof_pcounter_lost), the rule of output
 * sinks' lost lines (docs/plugins.md).
 *
 * Threads. sof_pcounter_register on the setup thread; the readers from any
 * thread, lock-free. Not part of the plugin API (lib/plugin). */
#ifndef SOF_PCOUNTER_H
#define SOF_PCOUNTER_H

#include <stddef.h>
#include <stdint.h>

#define SOF_PCOUNTER_GROUPS_MAX 8U /* plugins with registered counters */

typedef struct sof_pcounter {
  char const *family;    /* e.g. "dropped" */
  char const *label_key; /* e.g. "reason", or NULL */
  char const *label_val; /* e.g. "queue_full", or NULL */
  char const *help;
  int         gauge;     /* 1: a gauge (no _total suffix) */
  int         loss;      /* 1: counts events the plugin lost or dropped: any at exit makes sofd exit 1 */
} sof_pcounter_t;

/* sof_pcounter_register: exports n counters of owner: c[i]'s value is
 * values[i]. c and values must live as long as the process. Registering
 * the same owner again replaces its group (a plugin set up again). Returns
 * 0, or -1 when every group is taken. */
int sof_pcounter_register(char const *owner, sof_pcounter_t const *c, uint64_t const *values, unsigned n);

/* sof_pcounter_group: the i-th group (i < SOF_PCOUNTER_GROUPS_MAX): 0 with
 * its owner, table, values and count, or -1 when the slot is empty. */
int sof_pcounter_group(unsigned i, char const **owner, sof_pcounter_t const **c, uint64_t const **values,
                       unsigned *n);

/* sof_pcounter_lost: the sum of group i's loss counters (0 for an empty
 * slot). sofd reads it after the plugins shut down: a plugin that lost or
 * dropped events makes the exit status 1, as a lost output line does. */
uint64_t sof_pcounter_lost(unsigned i);

/* sof_pcounter_get: a relaxed atomic load of one value. */
static inline uint64_t
sof_pcounter_get(uint64_t const *v) {
  return __atomic_load_n(v, __ATOMIC_RELAXED);
}

#endif /* SOF_PCOUNTER_H */
