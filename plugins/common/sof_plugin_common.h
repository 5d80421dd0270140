/* sof_plugin_common.h: what the shipped plugins (txlog, metrics, slotlog,
 * latency) share: reading their config section strictly, and a JSON-lines
 * output sink.
 *
 * Not part of the plugin API (lib/plugin/sof_plugin.h is): a plugin written
 * outside this directory does not need it, and the example plugin does not
 * use it. Built into the plugins' static library.
 *
 * Config. Every reader takes the plugin's setup environment and writes a
 * reason into (err, err_sz) on refusal, as "KEY: reason"; the host prefixes
 * "plugin NAME: ". Values are taken exactly as given: no trimming, no case
 * folding, except around the items of a comma-separated key list. Setup time
 * only (they format and may allocate).
 *
 * Output (sof_plugout_t): docs/plugins.md "Output sinks". A plugin formats
 * one JSON line at a time with sof_json into its own line buffer and hands
 * it to sof_plugout_line, which copies it into the sink's queue: a
 * single-producer / single-consumer byte ring preallocated at open (cap
 * bytes). That is all the plugin's thread (a pipeline lane worker) does:
 * no allocation, no system call, no lock; a line that does not fit the
 * queue is dropped and counted (dropped). One writer thread per process
 * (started by the first open, stopped by the last close) serves every
 * sink: it writes a sink's queued lines when flush_ms has passed since it
 * saw them (flush_ms 0: within a millisecond), when a quarter of the queue
 * (at most 64 KiB) waits, or at close, whether or not more lines come.
 * Files are opened O_APPEND (created 0644, never truncated) and switched
 * to O_NONBLOCK, so a stalled reader (a pipe or FIFO nobody reads) makes
 * the writer wait, never the plugin; stdout / stderr (not ours to make
 * non-blocking) are polled for room and, unless they are regular files,
 * written at most PIPE_BUF bytes at a time, ending at a line end when the
 * line fits. Several sinks on stdout therefore interleave whole lines.
 * A failed write (EPIPE, ENOSPC, EIO, ...) discards what was queued: those
 * lines count as lost, the errno is kept, and later lines try again.
 * sof_plugout_reopen_all (async-signal-safe: SIGHUP) makes the writer
 * reopen every file path (logrotate create; with copytruncate O_APPEND
 * already writes at the new end). sof_plugout_close waits for the queue to
 * drain until the shutdown deadline (sof_plugout_drain_deadline), then
 * counts what is left as lost and returns. Open and close run on one
 * thread (setup / shutdown); sof_plugout_line on one thread at a time
 * per sink (the host serialises a sequential plugin's hooks, and the
 * shutdown summary comes after the workers stopped). */
#ifndef SOF_PLUGIN_COMMON_H
#define SOF_PLUGIN_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plugin/sof_plugin.h"
#include "util/sof_json.h"

/* ---- config ---------------------------------------------------------------------- */

/* Most keys a base58 key list (account_include, ...) may hold: the host
 * compares every static key of every offered transaction against the
 * lists, so their length is hot-path cost. */
#define SOF_PCFG_KEYS_MAX 1024U

/* sof_pcfg_get: the value of key in env's section, NULL when absent (also
 * when the host gave no config_get). */
char const *sof_pcfg_get(sof_plugin_env_t const *env, char const *key);

/* sof_pcfg_check_keys: 0 when every key of the section is in known
 * (NULL-terminated list); else -1 with "unknown key 'K' (keys: a, b, c)".
 * A key in refused (NULL-terminated list of key, reason pairs; may be
 * NULL) gets "K: reason" instead, for keys users may expect from other
 * tools but that cannot work here. */
int sof_pcfg_check_keys(sof_plugin_env_t const *env, char const *const *known,
                        char const *const *refused, char *err, size_t err_sz);

/* sof_pcfg_set: key's value as a comma-separated set of names from names
 * (NULL-terminated; blanks around items ignored): want[i] = 1 for each
 * named names[i], 0 for the others. Returns 1 when key is absent (want
 * untouched: the caller's default), 0, or -1 with "KEY: item N ('X') is
 * not one of a, b, c" for an unknown or empty item. */
int sof_pcfg_set(sof_plugin_env_t const *env, char const *key, char const *const *names, uint8_t *want,
                 char *err, size_t err_sz);

/* sof_pcfg_bool: "true" -> 1, "false" -> 0; dflt when absent; else -1 with
 * a reason. */
int sof_pcfg_bool(sof_plugin_env_t const *env, char const *key, int dflt, int *out, char *err,
                  size_t err_sz);

/* sof_pcfg_u64: a decimal integer in [min, max]; dflt when absent; else -1
 * with a reason (not a number, out of range). */
int sof_pcfg_u64(sof_plugin_env_t const *env, char const *key, uint64_t dflt, uint64_t min,
                 uint64_t max, uint64_t *out, char *err, size_t err_sz);

/* sof_pcfg_choice: the index in names (NULL-terminated) of the value; dflt
 * when absent; else -1 with "KEY: 'v' is not one of a, b, c". */
int sof_pcfg_choice(sof_plugin_env_t const *env, char const *key, char const *const *names,
                    int dflt, int *out, char *err, size_t err_sz);

/* sof_pcfg_keys: a comma-separated list of base58 public keys (blanks
 * around items are ignored), at most SOF_PCFG_KEYS_MAX; absent: *out NULL,
 * *cnt 0. An empty list, an empty item or an item that is not a canonical
 * base58 32-byte value is refused with its position. *out is malloc'd (the
 * caller frees it). */
int sof_pcfg_keys(sof_plugin_env_t const *env, char const *key, uint8_t (**out)[32],
                  uint32_t *cnt, char *err, size_t err_sz);

/* sof_pcfg_signature: a base58 64-byte signature; *has 0 when absent. */
int sof_pcfg_signature(sof_plugin_env_t const *env, char const *key, uint8_t sig[64],
                       uint8_t *has, char *err, size_t err_sz);

/* ---- output --------------------------------------------------------------------- */

#define SOF_PLUGOUT_BUF_DEFAULT (4U << 20) /* queue bytes when the caller gives 0 */
#define SOF_PLUGOUT_BUF_MIN     (4U << 10)
#define SOF_PLUGOUT_MAX         64U        /* sinks open at once in a process */
#define SOF_PLUGOUT_DRAIN_MS_DEFAULT 5000U /* close's deadline without sof_plugout_drain_deadline */

/* A sink's counters. lines = written + lost + dropped + what is queued. */
typedef struct sof_plugout_stats {
  uint64_t lines;         /* complete lines handed to the sink */
  uint64_t dropped;       /* lines refused: the queue was full */
  uint64_t too_long;      /* lines that did not fit the caller's line buffer (not in lines) */
  uint64_t written;       /* lines written */
  uint64_t lost;          /* lines lost: failed writes, or still queued at the close deadline */
  uint64_t lost_at_close; /* of lost: still queued at the close deadline */
  uint64_t write_errors;  /* failed write(2) calls */
  uint64_t writes;        /* write(2) calls that wrote */
  uint64_t bytes;         /* bytes written */
  uint64_t reopens;       /* files reopened (sof_plugout_reopen_all) */
  uint64_t reopen_errors; /* reopens that failed (the old file is kept) */
  uint64_t queued_bytes;  /* gauge: bytes waiting in the queue */
  uint64_t queue_bytes;   /* the queue's size */
} sof_plugout_stats_t;

typedef struct sof_plugout_sink sof_plugout_sink_t;

typedef struct sof_plugout {
  sof_plugout_sink_t *s;    /* NULL: not open (closed, or open failed) */
  char const         *name; /* "stdout", "stderr" or the path, for messages */
} sof_plugout_t;

/* sof_plugout_open: path NULL (absent) goes to dflt ("stdout" or "stderr"),
 * "-" to stdout, anything else is opened for append (created 0644; a FIFO
 * waits for its reader here, at setup). cap: queue bytes (0:
 * SOF_PLUGOUT_BUF_DEFAULT; at least SOF_PLUGOUT_BUF_MIN), allocated and
 * touched here. flush_ms: most milliseconds a queued line waits for the
 * writer (0: none). tsc_hz is unused (kept for callers). Starts the writer
 * thread with the first sink. Returns 0, or -1 with "path: cannot open 'P':
 * why" (or no memory, too many sinks). Setup thread. */
int sof_plugout_open(sof_plugout_t *o, char const *path, char const *dflt, size_t cap,
                     uint64_t flush_ms, uint64_t tsc_hz, char *err, size_t err_sz);

/* sof_plugout_set_owner: the plugin's name, for the counters' labels
 * (sof_plugout_sink_stats). Setup thread, after open. */
void sof_plugout_set_owner(sof_plugout_t *o, char const *who);

/* sof_plugout_line: queues j's line (sof_json_newline is added here) when
 * j is complete (sof_json_ok), else counts it too_long; resets j either
 * way. A line the queue has no room for is dropped (counted). Never
 * blocks, allocates nothing, makes no system call. */
void sof_plugout_line(sof_plugout_t *o, sof_json_t *j);

/* sof_plugout_flush: asks the writer to write the queued lines now,
 * without waiting for flush_ms; does not wait. Returns 0. */
int sof_plugout_flush(sof_plugout_t *o);

/* sof_plugout_stats: a snapshot of o's counters (zeros when not open). Any
 * thread. */
void sof_plugout_stats(sof_plugout_t const *o, sof_plugout_stats_t *st);

/* sof_plugout_json_fields: o's counters as "output_*" JSON keys (for a
 * plugin's renderer / summary): output_lines, output_written, output_lost,
 * output_dropped, output_errors (failed writes), output_bytes,
 * output_reopens, output_queued_bytes. */
void sof_plugout_json_fields(sof_plugout_t const *o, sof_json_t *j);

/* sof_plugout_close: waits for the writer to write the queue until the
 * shutdown deadline, then counts what is left lost (never hangs on a
 * stalled reader), closes an opened file, frees the queue; says on stderr,
 * prefixed by who (the plugin's name), what was lost, dropped or too long.
 * Returns 0, or -1 when a line was lost or dropped. Idempotent; safe on a
 * sink whose open failed. Setup thread. */
int sof_plugout_close(sof_plugout_t *o, char const *who);

/* sof_plugout_drain_deadline: from now on every close gives up ms
 * milliseconds from this call (one deadline shared by every sink: n
 * stalled sinks cost ms, not n times ms). Without it each close allows
 * SOF_PLUGOUT_DRAIN_MS_DEFAULT from its own start. */
void sof_plugout_drain_deadline(uint64_t ms);

/* sof_plugout_reopen_all: the writer closes and reopens every sink's file
 * path (not stdout / stderr) before its next write, within ~20 ms: a
 * generation counter, async-signal-safe (a SIGHUP handler may call it). */
void sof_plugout_reopen_all(void);

/* sof_plugout_lost_total: lines lost or dropped by every sink closed so
 * far in this process (sofd's exit status). Any thread. */
uint64_t sof_plugout_lost_total(void);

/* sof_plugout_sink_stats: the i-th sink slot (i < SOF_PLUGOUT_MAX): 0 with
 * its owner (the plugin, "" when unset), name and counters when a sink is
 * open in it, else -1. Lock-free (the telemetry / Prometheus renderers);
 * the strings live as long as the process. */
int sof_plugout_sink_stats(unsigned i, char const **who, char const **name, sof_plugout_stats_t *st);

/* ---- shared formatting ------------------------------------------------------------- */

/* sof_pjson_slot: a slot number, or null for SOF_SLOT_UNKNOWN. */
static inline void
sof_pjson_slot(sof_json_t *j, uint64_t slot) {
  if (slot == SOF_SLOT_UNKNOWN) sof_json_null(j);
  else                          sof_json_u64(j, slot);
}

/* The fields of the chain events' JSON objects, "type" first, as slotlog
 * writes them (nats publishes the same objects; txlog and nats the same
 * dataset objects): the caller opens and closes the object. The formats
 * are in docs/plugins.md. */
void sof_pjson_slot_status(sof_json_t *j, sof_ev_slot_status_t const *ev);
void sof_pjson_reorg(sof_json_t *j, sof_ev_reorg_t const *ev);
void sof_pjson_recent_blockhash(sof_json_t *j, sof_ev_recent_blockhash_t const *ev);
void sof_pjson_leader_schedule(sof_json_t *j, sof_ev_leader_schedule_t const *ev);
void sof_pjson_dataset(sof_json_t *j, sof_ev_dataset_t const *ev);
/* sof_pjson_key_or_null: a base58 key, or null when it is all zero (a
 * leader that is not known). */
void sof_pjson_key_or_null(sof_json_t *j, uint8_t const k[32]);
/* the "event" name of a slot_status event's moment (first_shred,
 * complete), NULL for a status change */
char const *sof_pjson_slot_moment(sof_ev_slot_status_t const *ev);
/* the "kind" name of a leader_schedule event */
char const *sof_pjson_leader_kind(sof_ev_leader_schedule_t const *ev);

/* sof_pjson_num3: v as a JSON number with 3 decimals ("%.3f"); 0 for a
 * value that is not finite. */
void sof_pjson_num3(sof_json_t *j, double v);

/* A plugin's counters as one JSON object: fields(state, j) writes its
 * key/value pairs. sof_pjson_render writes {fields} into buf (the
 * telemetry renderers: returns the length, or -1 with buf "" when sz is
 * too small or buf NULL); sof_pjson_summary writes {"type": type, fields}
 * as a line of out (the shutdown summaries; line_buf of line_sz bytes is
 * the scratch line). */
typedef void (*sof_pjson_fields_fn)(void const *state, sof_json_t *j);
int sof_pjson_render(void const *state, sof_pjson_fields_fn fields, char *buf, size_t sz);
void sof_pjson_summary(sof_plugout_t *out, char const *type, void const *state, sof_pjson_fields_fn fields,
                       char *line_buf, size_t line_sz);

/* A plugin's counters for telemetry and Prometheus: sof_pcounter.h. */

#endif /* SOF_PLUGIN_COMMON_H */
