/* sof_plugin_table.h: the plugins compiled into this build.
 *
 * The meson option `plugins` (an ordered list; see meson_options.txt)
 * chooses them; plugins/meson.build generates sof_plugin_table.c from
 * sof_plugin_table.c.in with one entry per listed plugin, in the option's
 * order, which is the registration order the host keeps (setup in that
 * order, shutdown in reverse, each event's plugins in that order under
 * sequential dispatch). Link sof_plugins_dep to get the table and the
 * listed plugins (and only them).
 *
 * sof_plugin_table[i] for i < sof_plugin_table_cnt is plugin i's
 * descriptor (sof_plugin_<name>); sof_plugin_table[sof_plugin_table_cnt]
 * is NULL, so an empty build is a valid table too.
 * sof_plugin_table_render[i] is plugin i's telemetry renderer, or NULL
 * when it has none: it writes the plugin's counters as one JSON object
 * into buf (NUL-terminated) and returns the length, or -1 when sz is too
 * small; state is what the plugin's setup returned; it may be called from
 * any thread while the plugin runs (see plugins/metrics/metrics.h,
 * plugins/latency/latency.h). Read-only data; thread safe. */
#ifndef SOF_PLUGIN_TABLE_H
#define SOF_PLUGIN_TABLE_H

#include <stddef.h>

#include "plugin/sof_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int (*sof_plugin_render_fn)(void *state, char *buf, size_t sz);

extern sof_plugin_t const *const sof_plugin_table[];
extern unsigned const sof_plugin_table_cnt;
extern sof_plugin_render_fn const sof_plugin_table_render[];

#ifdef __cplusplus
}
#endif

#endif /* SOF_PLUGIN_TABLE_H */
