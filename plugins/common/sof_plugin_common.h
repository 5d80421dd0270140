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
 * Output (sof_plugout_t). A plugin formats one JSON line at a time with
 * sof_json into its own line buffer and hands it to sof_plugout_line, which
 * appends it to a large buffer of whole lines; the buffer goes to the stream
 * in one fwrite when the next line does not fit, when flush_ms has passed
 * since the last write (checked when a line arrives: an idle stream is not
 * flushed until the next line or shutdown), and at close. A stream shared
 * with other writers (stdout, stderr) therefore only ever receives whole
 * lines, and fwrite holds the stream's lock for the whole chunk, so two
 * plugins logging to stdout interleave lines, never parts of lines.
 * Files are opened unbuffered at the stdio level (this buffer is the only
 * one). Appending a line copies it; nothing allocates after open. One
 * thread at a time per sink (a plugin's sequential hook worker). */
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

#define SOF_PLUGOUT_BUF_DEFAULT (1U << 20) /* bytes of whole lines held before a write */

typedef struct sof_plugout {
  FILE       *f;
  int         owned;          /* opened by sof_plugout_open: closed by sof_plugout_close */
  char const *name;           /* "stdout", "stderr" or the path, for messages */
  char       *buf;
  size_t      cap;
  size_t      len;
  uint64_t    buf_lines;      /* lines in buf */
  uint64_t    flush_cycles;   /* 0: write every line at once */
  uint64_t    last_write_tsc;
  uint64_t    lines;          /* lines accepted (written or in buf) */
  uint64_t    lost;           /* lines of writes that failed */
  uint64_t    too_long;       /* lines that did not fit the caller's line buffer */
  uint64_t    writes;         /* fwrite calls */
  int         write_errno;    /* errno of the first failed write (0: none) */
} sof_plugout_t;

/* sof_plugout_open: path NULL (absent) goes to dflt ("stdout" or "stderr"),
 * "-" to stdout, anything else is created / truncated. cap: buffer bytes
 * (0: SOF_PLUGOUT_BUF_DEFAULT). flush_ms: most milliseconds a line waits
 * while lines keep coming (0: none; the line is written at once);
 * tsc_hz converts it. Returns 0, or -1 with "path: cannot open 'P': why". */
int sof_plugout_open(sof_plugout_t *o, char const *path, char const *dflt, size_t cap,
                     uint64_t flush_ms, uint64_t tsc_hz, char *err, size_t err_sz);

/* sof_plugout_line: appends j's line (sof_json_newline is added here) when
 * j is complete (sof_json_ok), else counts it too_long; resets j either
 * way. Never blocks longer than one fwrite; allocates nothing. */
void sof_plugout_line(sof_plugout_t *o, sof_json_t *j);

/* sof_plugout_flush: writes the buffered lines now. 0, or -1 (the lines
 * are counted lost, the errno kept). */
int sof_plugout_flush(sof_plugout_t *o);

/* sof_plugout_close: flushes, closes an opened file, frees the buffer;
 * when a write failed or a line was too long, says so on stderr, prefixed
 * by who (the plugin's name). Returns 0, or -1 when a line was lost.
 * Idempotent; safe on a sink whose open failed. */
int sof_plugout_close(sof_plugout_t *o, char const *who);

/* ---- shared formatting ------------------------------------------------------------- */

/* sof_pjson_slot: a slot number, or null for SOF_SLOT_UNKNOWN. */
static inline void
sof_pjson_slot(sof_json_t *j, uint64_t slot) {
  if (slot == SOF_SLOT_UNKNOWN) sof_json_null(j);
  else                          sof_json_u64(j, slot);
}

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

#endif /* SOF_PLUGIN_COMMON_H */
