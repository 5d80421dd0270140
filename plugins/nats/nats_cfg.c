/* nats_cfg.c: the nats plugin's [plugin.nats] section read strictly into
 * nats_cfg_t and the transaction prefilter (nats_int.h; keys:
 * docs/plugins.md). Pure: no connection, no thread; fuzzed by
 * fuzz/fuzz_nats_cfg.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/sof_plugin.h"

#include "../common/sof_plugin_common.h"
#include "nats_int.h"

/* ---- config ------------------------------------------------------------------ */

static char const *const nats_keys[] = {
  "url", "stream", "subject_prefix", "format", "events", "vote", "signature", "account_include",
  "account_exclude", "account_required", "max_age_s", "max_bytes", "replicas", "duplicate_window_ms",
  "storage", "queue_bytes", "max_pending", "reconnect_buf_bytes", "ack_wait_ms", "reconnect_wait_ms",
  "reconnect_wait_max_ms", "connect_timeout_ms", "drain_ms", "poll_us", "latency_header", NULL,
};

static char const *const nats_refused[] = {
  "failed", "the transaction status (success or failure) is not in shreds",
  NULL,
};

static char const *const nats_event_names[NEV_CNT + 1] = {
  [NEV_TX] = "transaction", [NEV_SLOT] = "slot_status", [NEV_REORG] = "reorg",
  [NEV_BLOCKHASH] = "recent_blockhash", [NEV_LEADER] = "leader_schedule", [NEV_DATASET] = "dataset",
  [NEV_CNT] = NULL,
};

/* A string key copied into out (cap bytes incl. NUL); dflt when absent. */
static int
str_key(sof_plugin_env_t const *env, char const *key, char const *dflt, char *out, size_t cap, char *err,
        size_t err_sz) {
  char const *v = sof_pcfg_get(env, key);
  if (!v) v = dflt;
  size_t l = strlen(v);
  if (!l || l >= cap) {
    snprintf(err, err_sz, "%s: %s (1 to %zu characters)", key, l ? "too long" : "empty", cap - 1);
    return -1;
  }
  memcpy(out, v, l + 1);
  return 0;
}

/* A NATS name (the stream): letters, digits, '-', '_'. */
static int
check_name(char const *key, char const *v, char *err, size_t err_sz) {
  for (char const *p = v; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
          *p == '_')) {
      snprintf(err, err_sz, "%s: '%s' has '%c' (letters, digits, '-' and '_' only)", key, v, *p);
      return -1;
    }
  return 0;
}

/* A subject prefix: dot-separated tokens of letters, digits, '-', '_' (no
 * wildcards, no empty token). */
static int
check_prefix(char const *v, char *err, size_t err_sz) {
  size_t tok = 0;
  for (char const *p = v;; p++) {
    if (*p == '.' || !*p) {
      if (!tok) {
        snprintf(err, err_sz, "subject_prefix: '%s' has an empty token (tokens separated by single dots)", v);
        return -1;
      }
      if (!*p) return 0;
      tok = 0;
      continue;
    }
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
          *p == '_')) {
      snprintf(err, err_sz, "subject_prefix: '%s' has '%c' (letters, digits, '-', '_' and dots only; "
               "no wildcards)", v, *p);
      return -1;
    }
    tok++;
  }
}

static int
parse_events(sof_plugin_env_t const *env, uint8_t want[NEV_CNT], char *err, size_t err_sz) {
  int r = sof_pcfg_set(env, "events", nats_event_names, want, err, err_sz);
  if (r == 1) { /* all but datasets */
    memset(want, 1, NEV_CNT);
    want[NEV_DATASET] = 0;
  }
  return r < 0 ? -1 : 0;
}

int
nats_cfg_parse(sof_plugin_env_t const *env, nats_plugin_t *n, char *err, size_t err_sz) {
  nats_cfg_t *c = &n->cfg;
  static char const *const formats[] = { "json", "protobuf", NULL };
  static char const *const storages[] = { "file", "memory", NULL };
  static char const *const votes[] = { "any", "false", "true", NULL };
  int format = 0, storage = 0, vote = 0;
  if (sof_pcfg_check_keys(env, nats_keys, nats_refused, err, err_sz) ||
      str_key(env, "url", "nats://127.0.0.1:4222", c->url, sizeof c->url, err, err_sz) ||
      str_key(env, "stream", "SOF", c->stream, sizeof c->stream, err, err_sz) ||
      check_name("stream", c->stream, err, err_sz) ||
      str_key(env, "subject_prefix", "sof", c->prefix, sizeof c->prefix - 32, err, err_sz) ||
      check_prefix(c->prefix, err, err_sz) ||
      sof_pcfg_choice(env, "format", formats, 0, &format, err, err_sz) ||
      parse_events(env, c->want, err, err_sz) ||
      sof_pcfg_choice(env, "vote", votes, 0, &vote, err, err_sz) ||
      sof_pcfg_signature(env, "signature", n->pf.signature, &n->pf.has_signature, err, err_sz) ||
      sof_pcfg_keys(env, "account_include", &n->include, &n->pf.include_cnt, err, err_sz) ||
      sof_pcfg_keys(env, "account_exclude", &n->exclude, &n->pf.exclude_cnt, err, err_sz) ||
      sof_pcfg_keys(env, "account_required", &n->required, &n->pf.required_cnt, err, err_sz) ||
      sof_pcfg_u64(env, "max_age_s", 0, 0, 100ULL * 365 * 86400, &c->max_age_s, err, err_sz) ||
      sof_pcfg_u64(env, "max_bytes", 0, 0, 1ULL << 50, &c->max_bytes, err, err_sz) ||
      sof_pcfg_u64(env, "replicas", 1, 1, 5, &c->replicas, err, err_sz) ||
      sof_pcfg_u64(env, "duplicate_window_ms", 120000, 100, 86400000, &c->dup_window_ms, err, err_sz) ||
      sof_pcfg_choice(env, "storage", storages, 0, &storage, err, err_sz) ||
      sof_pcfg_u64(env, "queue_bytes", 16U << 20, 64U << 10, 1ULL << 32, &c->queue_bytes, err, err_sz) ||
      sof_pcfg_u64(env, "max_pending", 4096, 1, 1U << 20, &c->max_pending, err, err_sz) ||
      sof_pcfg_u64(env, "reconnect_buf_bytes", 8U << 20, 0, 1ULL << 31, &c->reconnect_buf, err, err_sz) ||
      sof_pcfg_u64(env, "ack_wait_ms", 2000, 10, 600000, &c->ack_wait_ms, err, err_sz) ||
      sof_pcfg_u64(env, "reconnect_wait_ms", 100, 1, 600000, &c->reconnect_wait_ms, err, err_sz) ||
      sof_pcfg_u64(env, "reconnect_wait_max_ms", 2000, 1, 600000, &c->reconnect_wait_max_ms, err, err_sz) ||
      sof_pcfg_u64(env, "connect_timeout_ms", 2000, 10, 600000, &c->connect_timeout_ms, err, err_sz) ||
      sof_pcfg_u64(env, "drain_ms", 5000, 0, 600000, &c->drain_ms, err, err_sz) ||
      sof_pcfg_u64(env, "poll_us", 100, 10, 100000, &c->poll_us, err, err_sz) ||
      sof_pcfg_bool(env, "latency_header", 0, &c->latency_header, err, err_sz))
    return -1;
  if (c->reconnect_wait_max_ms < c->reconnect_wait_ms) {
    snprintf(err, err_sz, "reconnect_wait_max_ms (%llu) is below reconnect_wait_ms (%llu)",
             (unsigned long long)c->reconnect_wait_max_ms, (unsigned long long)c->reconnect_wait_ms);
    return -1;
  }
  int any = 0;
  for (int i = 0; i < NEV_CNT; i++) any |= c->want[i];
  if (!any) {
    snprintf(err, err_sz, "events: nothing to publish");
    return -1;
  }
  c->memory = (uint64_t)storage;
  c->protobuf = format == 1;
  n->pf.vote = vote - 1;
  n->pf.include = (uint8_t const (*)[32])n->include;
  n->pf.exclude = (uint8_t const (*)[32])n->exclude;
  n->pf.required = (uint8_t const (*)[32])n->required;
  return 0;
}

