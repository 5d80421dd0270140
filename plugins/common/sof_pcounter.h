/* sof_pcounter.h: the one registry through which a compiled-in plugin
 * exports counters and gauges to sofd: /sof/plugins telemetry, Prometheus
 * (/metrics), the plugin's own JSON object and sofd's exit status. Every
 * plugin with counters beyond its output sink's (sof_plugout, which sofd
 * renders itself) uses it: nats (a static table of values), grpc (its
 * server's atomics, plus one series per subscriber).
 *
 * A group is one owner's counters, described once at setup
 * (sof_pcounter_group_t):
 *   - c[0..n): fixed series (a family, optionally one label pair); the
 *     value of c[i] is values[i] or, when values is NULL, *ptrs[i];
 *   - inst[0..inst_n): families with one series per instance (e.g. a grpc
 *     subscriber), labelled with inst_keys; each(state, visit, ctx) lists
 *     the instances of the moment, calling visit(ctx, label values, values)
 *     once per instance with one value per inst[] family.
 * The plugin updates values with atomic stores / adds (or plain stores of
 * a single writer); the registry reads them with relaxed atomic loads (one
 * render may mix moments, never tears a value).
 *
 * Names. owner and family are [a-z0-9_]+ (checked at registration).
 * Prometheus: family "sof_<owner>_<family>", plus "_total" for a counter
 * (not for a gauge), one HELP / TYPE per family, labels as
 * {key="value"} (values escaped: \\ \" \n). Series of one family are
 * adjacent in c[] and share help and gauge. Telemetry (flat keys in
 * /sof/plugins, only groups with telemetry set): "<owner>_<family>" or,
 * with a label, "<owner>_<family>_<label value>"; instance families are
 * never flat keys (their set changes; the plugin's own JSON lists them).
 * The plugin's own JSON object (sof_pcounter_json_fields): the same keys
 * without "<owner>_".
 *
 * Losses. Series flagged loss count events the plugin was given and did
 * not deliver (dropped before, lost after its queue); sofd's exit status is
 * 1 when any is non-zero at exit (sof_pcounter_lost), the rule of output
 * sinks' lost lines (docs/plugins.md).
 *
 * Lifetimes. The group description (strings, tables) must live as long as
 * the process; values / ptrs / state until sof_pcounter_unregister, which
 * copies the fixed series' last values into the registry (they stay
 * visible, and count for the exit status) and forgets instances, ptrs and
 * state: the plugin may free them once it returns. A group not
 * unregistered must keep its storage for the process (static storage).
 *
 * Threads. register / unregister on the setup thread; the renderers and
 * sof_pcounter_lost from any thread (telemetry, /metrics). They serialise
 * on one mutex, never taken by a plugin's hooks: updating a value is the
 * plugin's own atomic, the hot path never enters the registry. each() is
 * called with that mutex held: it must not call the registry. Not part of
 * the plugin API (lib/plugin). */
#ifndef SOF_PCOUNTER_H
#define SOF_PCOUNTER_H

#include <stddef.h>
#include <stdint.h>

#include "util/sof_json.h"

#define SOF_PCOUNTER_GROUPS_MAX 8U  /* plugins with registered counters */
#define SOF_PCOUNTER_MAX        64U /* fixed series in a group */
#define SOF_PCOUNTER_INST_MAX   8U  /* instance families in a group */
#define SOF_PCOUNTER_LABELS_MAX 4U  /* label keys of an instance */

typedef struct sof_pcounter {
  char const *family;    /* e.g. "dropped" */
  char const *label_key; /* e.g. "reason", or NULL (unused in inst[]) */
  char const *label_val; /* e.g. "queue_full", or NULL (unused in inst[]) */
  char const *help;
  int         gauge;     /* 1: a gauge (no _total suffix) */
  int         loss;      /* 1: counts events the plugin lost or dropped: any at exit makes sofd exit 1 */
} sof_pcounter_t;

/* visit: one instance: vals[k] labels inst_keys[k]; v[k] is inst[k]'s value. */
typedef void (*sof_pcounter_visit_fn)(void *ctx, char const *const *vals, uint64_t const *v);
typedef void (*sof_pcounter_each_fn)(void *state, sof_pcounter_visit_fn visit, void *ctx);

typedef struct sof_pcounter_group {
  char const           *owner;     /* e.g. "nats" */
  int                   telemetry; /* 1: fixed series as flat keys in /sof/plugins */
  sof_pcounter_t const *c;
  unsigned              n;         /* <= SOF_PCOUNTER_MAX */
  uint64_t const       *values;    /* values[i] for c[i], or NULL: ptrs */
  uint64_t const *const *ptrs;     /* *ptrs[i] for c[i] when values is NULL */
  sof_pcounter_t const *inst;      /* instance families, or NULL */
  unsigned              inst_n;    /* <= SOF_PCOUNTER_INST_MAX */
  char const *const    *inst_keys; /* NULL-terminated, <= SOF_PCOUNTER_LABELS_MAX */
  sof_pcounter_each_fn  each;
  void                 *state;     /* each's first argument */
} sof_pcounter_group_t;

/* sof_pcounter_register: exports g (copied; what it points to: see
 * Lifetimes). Registering an owner again replaces its group (a plugin set
 * up again). Returns 0, or -1 with the reason in (err, err_sz): every
 * group taken, a name not [a-z0-9_]+, too many series or labels, no
 * values, an instance family without each. */
int sof_pcounter_register(sof_pcounter_group_t const *g, char *err, size_t err_sz);

/* sof_pcounter_unregister: freezes owner's fixed series at their current
 * values and drops its instances; afterwards the registry reads nothing
 * of the plugin's. Unknown owner: nothing. */
void sof_pcounter_unregister(char const *owner);

/* sof_pcounter_reset: forgets every group (tests). */
void sof_pcounter_reset(void);

/* sof_pcounter_prom: every group's families as Prometheus text appended at
 * buf + *off (sz the whole buffer). Returns 0, or -1 with *off = sz when
 * buf is full. */
int sof_pcounter_prom(char *buf, size_t sz, size_t *off);

/* sof_pcounter_tel: add(ctx, key, value) for every flat telemetry key
 * (groups with telemetry set), in registration order. */
void sof_pcounter_tel(void (*add)(void *ctx, char const *key, uint64_t v), void *ctx);

/* sof_pcounter_json_fields: the series c[0..n) with values[] as JSON key /
 * value pairs of an open object ("<family>" or "<family>_<label value>"),
 * the plugin's own renderer (works before setup registered the group, and
 * needs no registry lock: relaxed loads of values). */
void sof_pcounter_json_fields(sof_json_t *j, sof_pcounter_t const *c, unsigned n, uint64_t const *values);

/* sof_pcounter_lost: group slot i (i < SOF_PCOUNTER_GROUPS_MAX): 0 with
 * its owner and the sum of its loss series, -1 for an empty slot. */
int sof_pcounter_lost(unsigned i, char const **owner, uint64_t *lost);

/* sof_pcounter_get: a relaxed atomic load of one value. */
static inline uint64_t
sof_pcounter_get(uint64_t const *v) {
  return __atomic_load_n(v, __ATOMIC_RELAXED);
}

#endif /* SOF_PCOUNTER_H */
