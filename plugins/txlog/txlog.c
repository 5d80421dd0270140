/* txlog.c: the transaction log plugin. Two descriptors share this code:
 *
 *   sof_plugin_txlog            "txlog"            every transaction at processed
 *   sof_plugin_txlog_confirmed  "txlog_confirmed"  transactions once their slot is
 *                                                   confirmed (at least)
 *
 * One JSON line per transaction, in Solana's conventions (base58 signature,
 * keys and hashes; camelCase keys; commitment names), with the same fields
 * as sof-dump's transaction lines (sof_event_json_txn) plus where the
 * transaction came from:
 *
 *   {"type":"transaction","slot":S,"entry":E,"commitment":"processed",
 *    "path":"dataset","signature":"...","version":"legacy","kind":"non_vote",
 *    "simpleVote":false,"numSignatures":1,"header":[1,0,1],"accountKeys":[...],
 *    "recentBlockhash":"...","numInstructions":1,"programIds":[...],
 *    "lookupTables":[],"size":215}
 *
 * With datasets = true, one line per dataset too (type "dataset"; the
 * fields of sof_ev_dataset_t under sof-dump's names).
 *
 * Filters (account_include / _exclude / _required, signature, vote) are
 * Yellowstone's and become the plugin's static prefilter: the host applies
 * them on the pipeline core, so a refused transaction is never copied. The
 * descriptor subscribes to datasets whatever the config says (the
 * subscription is static): with datasets = false (the default) the hook
 * returns at once. Keys: docs/plugins.md. */
#include <stdlib.h>
#include <string.h>

#include "plugin/sof_plugin.h"
#include "pipeline/sof_event_json.h"
#include "util/sof_json.h"

#include "../common/sof_plugin_common.h"

/* A transaction line: at most 64 keys and 64 program ids of 44 characters,
 * lookup tables and indexes bounded by the 1232-byte transaction: under
 * 12 KiB. A longer line is counted (too_long), not written. */
#define TXLOG_LINE_MAX (32U << 10) /* with instructions and raw: + ~7 KiB */

typedef struct txlog {
  sof_plugout_t   out;
  sof_prefilter_t pf;
  uint8_t       (*include)[32];
  uint8_t       (*exclude)[32];
  uint8_t       (*required)[32];
  int             datasets;
  int             instructions;   /* add each instruction (program index, accounts, data) */
  int             raw;            /* add the serialized transaction (base64) */
  char            name[32];       /* txlog or txlog_confirmed, for messages */
  sof_json_t      j;
  char            line[TXLOG_LINE_MAX];
} txlog_t;

static char const *const txlog_keys[] = {
  "path", "flush_ms", "queue_bytes", "vote", "signature", "account_include", "account_exclude",
  "account_required", "datasets", "instructions", "raw", NULL,
};

/* Yellowstone keys that cannot work on shreds, with the reason. */
static char const *const txlog_refused[] = {
  "failed", "the transaction status (success or failure) is not in shreds",
  "commitment", "the commitment is the descriptor's: build in txlog_confirmed for "
                "confirmed transactions",
  NULL,
};

static void
txlog_free(txlog_t *t) {
  free(t->include);
  free(t->exclude);
  free(t->required);
  free(t);
}

static int
txlog_setup(sof_plugin_env_t *env, void **state, char *err, size_t err_sz) {
  txlog_t *t = calloc(1, sizeof *t);
  if (!t) {
    snprintf(err, err_sz, "out of memory");
    return -1;
  }
  static char const *const votes[] = { "any", "false", "true", NULL };
  int vote = 0;
  uint64_t flush_ms = 0, queue_bytes = 0;
  if (sof_pcfg_check_keys(env, txlog_keys, txlog_refused, err, err_sz) ||
      sof_pcfg_choice(env, "vote", votes, 0, &vote, err, err_sz) ||
      sof_pcfg_signature(env, "signature", t->pf.signature, &t->pf.has_signature, err, err_sz) ||
      sof_pcfg_keys(env, "account_include", &t->include, &t->pf.include_cnt, err, err_sz) ||
      sof_pcfg_keys(env, "account_exclude", &t->exclude, &t->pf.exclude_cnt, err, err_sz) ||
      sof_pcfg_keys(env, "account_required", &t->required, &t->pf.required_cnt, err, err_sz) ||
      sof_pcfg_bool(env, "datasets", 0, &t->datasets, err, err_sz) ||
      sof_pcfg_bool(env, "instructions", 0, &t->instructions, err, err_sz) ||
      sof_pcfg_bool(env, "raw", 0, &t->raw, err, err_sz) ||
      sof_pcfg_u64(env, "flush_ms", 1000, 0, 3600000, &flush_ms, err, err_sz) ||
      sof_pcfg_u64(env, "queue_bytes", SOF_PLUGOUT_BUF_DEFAULT, 64U << 10, 1ULL << 30,
                   &queue_bytes, err, err_sz)) {
    txlog_free(t);
    return -1;
  }
  t->pf.vote = vote - 1; /* any -1, false 0, true 1: sof_prefilter_t's values */
  t->pf.include = (uint8_t const (*)[32])t->include;
  t->pf.exclude = (uint8_t const (*)[32])t->exclude;
  t->pf.required = (uint8_t const (*)[32])t->required;
  int filtered = t->pf.vote >= 0 || t->pf.has_signature || t->pf.include_cnt ||
                 t->pf.exclude_cnt || t->pf.required_cnt;
  if (filtered && !env->set_prefilter) {
    snprintf(err, err_sz, "the host takes no prefilter: the filter keys cannot apply");
    txlog_free(t);
    return -1;
  }
  if (sof_plugout_open(&t->out, sof_pcfg_get(env, "path"), "stdout", (size_t)queue_bytes,
                       flush_ms, env->tsc_hz, err, err_sz)) {
    txlog_free(t);
    return -1;
  }
  if (filtered) env->set_prefilter(env, &t->pf);
  snprintf(t->name, sizeof t->name, "%s", env->name ? env->name : "txlog");
  sof_plugout_set_owner(&t->out, t->name);
  sof_json_init(&t->j, t->line, sizeof t->line);
  *state = t;
  return 0;
}

static void
txlog_shutdown(void *state) {
  txlog_t *t = state;
  sof_plugout_close(&t->out, t->name);
  txlog_free(t);
}

static void
txlog_fields(void const *state, sof_json_t *j) {
  sof_plugout_json_fields(&((txlog_t const *)state)->out, j);
}

/* sof_plugin_txlog_render: the sink's counters (output_lines, output_lost,
 * output_dropped, output_errors, ...) as one JSON object; the telemetry
 * renderer of txlog, txlog_confirmed and txlog_inline. Any thread. */
int sof_plugin_txlog_render(void *state, char *buf, size_t sz);
int
sof_plugin_txlog_render(void *state, char *buf, size_t sz) {
  return sof_pjson_render(state, txlog_fields, buf, sz);
}

/* bytes as a base64 (RFC 4648, padded) JSON string, through sof_json_raw
 * (at most 1232 bytes: 1644 characters and the quotes). */
static void
txlog_b64(sof_json_t *j, uint8_t const *b, size_t n) {
  static char const a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char out[2 + (SOF_TXN_MTU + 2) / 3 * 4];
  size_t o = 0;
  out[o++] = '"';
  for (size_t i = 0; i < n && o + 5 < sizeof out; i += 3) {
    uint32_t v = (uint32_t)b[i] << 16 | (i + 1 < n ? (uint32_t)b[i + 1] << 8 : 0) |
                 (i + 2 < n ? b[i + 2] : 0);
    out[o++] = a[v >> 18 & 63];
    out[o++] = a[v >> 12 & 63];
    out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
    out[o++] = i + 2 < n ? a[v & 63] : '=';
  }
  out[o++] = '"';
  sof_json_raw(j, out, o);
}

/* "instructions": [{"programIdIndex", "accounts": [indexes], "data": base64}] */
static void
txlog_instructions(sof_json_t *j, uint8_t const *b, sof_txn_t const *t) {
  sof_json_key(j, "instructions");
  sof_json_arr_begin(j);
  for (unsigned i = 0; i < t->instr_cnt; i++) {
    sof_json_obj_begin(j);
    sof_json_key(j, "programIdIndex"); sof_json_u64(j, t->instr[i].program_idx);
    sof_json_key(j, "accounts");
    sof_json_arr_begin(j);
    uint8_t const *ac = sof_txn_instr_accts(t, b, i);
    for (unsigned k = 0; k < t->instr[i].acct_cnt; k++) sof_json_u64(j, ac[k]);
    sof_json_arr_end(j);
    sof_json_key(j, "data");
    txlog_b64(j, sof_txn_instr_data(t, b, i), t->instr[i].data_sz);
    sof_json_obj_end(j);
  }
  sof_json_arr_end(j);
}

static void
txlog_on_transaction(void *state, sof_ev_txn_t const *ev) {
  txlog_t *t = state;
  sof_json_t *j = &t->j;
  sof_json_obj_begin(j);
  sof_json_key(j, "type");       sof_json_str(j, "transaction");
  sof_json_key(j, "slot");       sof_json_u64(j, ev->slot);
  sof_json_key(j, "entry");      sof_json_u64(j, ev->entry_idx);
  sof_json_key(j, "commitment"); sof_json_str(j, sof_commitment_str(ev->commitment));
  sof_json_key(j, "path");
  sof_json_str(j, ev->path == SOF_TXN_PATH_INLINE ? "inline" : ev->path == SOF_TXN_PATH_PROVIDER ? "provider" : "dataset");
  sof_event_json_txn(j, ev->bytes, ev->txn);
  if (t->instructions) txlog_instructions(j, ev->bytes, ev->txn);
  if (t->raw) {
    sof_json_key(j, "transaction");
    txlog_b64(j, ev->bytes, ev->sz);
  }
  if (ev->meta.has_meta) { /* the provider's outcome (--driver provider) */
    sof_json_key(j, "meta");
    sof_json_obj_begin(j);
    sof_json_key(j, "err");
    if (ev->meta.failed) sof_json_hex(j, ev->meta.err, ev->meta.err_sz);
    else sof_json_null(j);
    sof_json_key(j, "fee");         sof_json_u64(j, ev->meta.fee);
    sof_json_key(j, "logMessages"); sof_json_u64(j, ev->meta.log_cnt);
    if (ev->meta.has_compute_units) {
      sof_json_key(j, "computeUnitsConsumed");
      sof_json_u64(j, ev->meta.compute_units);
    }
    sof_json_obj_end(j);
  }
  sof_json_obj_end(j);
  sof_plugout_line(&t->out, j);
}

/* joined mode (shreds + a provider): the provider's outcome of a
 * transaction, with the lead of the shred sighting */
static void
txlog_on_transaction_status(void *state, sof_ev_txn_status_t const *ev) {
  txlog_t *t = state;
  sof_json_t *j = &t->j;
  sof_json_obj_begin(j);
  sof_json_key(j, "type");      sof_json_str(j, "transaction_status");
  sof_json_key(j, "slot");      sof_json_u64(j, ev->slot);
  sof_json_key(j, "signature"); sof_json_b58_64(j, ev->signature);
  sof_json_key(j, "shredSeen"); sof_json_bool(j, ev->shred_seen);
  sof_json_key(j, "providerFirst"); sof_json_bool(j, ev->provider_first);
  sof_json_key(j, "leadUs");    sof_json_i64(j, ev->lead_ns / 1000);
  sof_json_key(j, "err");
  if (ev->meta.failed) sof_json_hex(j, ev->meta.err, ev->meta.err_sz);
  else sof_json_null(j);
  sof_json_key(j, "fee");       sof_json_u64(j, ev->meta.fee);
  sof_json_key(j, "logMessages"); sof_json_u64(j, ev->meta.log_cnt);
  sof_json_obj_end(j);
  sof_plugout_line(&t->out, j);
}

static void
txlog_on_dataset(void *state, sof_ev_dataset_t const *ev) {
  txlog_t *t = state;
  if (!t->datasets) return;
  sof_json_obj_begin(&t->j);
  sof_pjson_dataset(&t->j, ev);
  sof_json_obj_end(&t->j);
  sof_plugout_line(&t->out, &t->j);
}

/* The three txlog descriptors differ only in name, commitment and
 * interest (inline delivery). */
#define TXLOG_DESCRIPTOR(sym, name_, commitment_, inline_, interest_fn)     \
  sof_plugin_t const sym = {                                               \
    .name            = name_,                                              \
    .api_version     = SOF_PLUGIN_API_VERSION,                             \
    .hooks           = SOF_HOOK_BIT(TRANSACTION) | SOF_HOOK_BIT(DATASET) | \
                       SOF_HOOK_BIT(TRANSACTION_STATUS),                    \
    .commitment      = commitment_,                                        \
    .commitment_mode = SOF_COMMITMENT_AT_LEAST,                            \
    .dispatch        = SOF_DISPATCH_SEQUENTIAL,                            \
    .inline_txn      = inline_,                                            \
    .setup           = txlog_setup,                                        \
    .shutdown        = txlog_shutdown,                                     \
    .transaction_interest_ref = interest_fn,                               \
    .on_dataset      = txlog_on_dataset,                                   \
    .on_transaction_status = txlog_on_transaction_status,                  \
    .on_transaction  = txlog_on_transaction,                               \
  };

/* txlog_inline: the same log, but every transaction its filters pass is
 * rated CRITICAL and asks for inline delivery: it is logged as soon as its
 * bytes are complete in the contiguous prefix of its dataset ("path":
 * "inline"), before the rest of the dataset arrives when possible, else
 * with the completed dataset ("path": "dataset"). */
static int
txlog_interest_critical(void *state, sof_ev_txn_t const *ev) {
  (void)state;
  (void)ev;
  return SOF_INTEREST_CRITICAL;
}

TXLOG_DESCRIPTOR(sof_plugin_txlog, "txlog", SOF_COMMITMENT_PROCESSED, 0, NULL)
TXLOG_DESCRIPTOR(sof_plugin_txlog_confirmed, "txlog_confirmed", SOF_COMMITMENT_CONFIRMED, 0, NULL)
TXLOG_DESCRIPTOR(sof_plugin_txlog_inline, "txlog_inline", SOF_COMMITMENT_PROCESSED, 1,
                 txlog_interest_critical)
