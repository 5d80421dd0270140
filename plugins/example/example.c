/* example.c: a whole plugin, as a model to copy. It counts the non-vote
 * transactions that touch one account and prints each one's signature.
 * docs/plugins.md walks through it; build it in with
 *   meson configure build -Dplugins=txlog,example
 * and run sofd with its config section:
 *   [plugin.example]
 *   account = TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA
 *   writable_only = false
 *
 * A plugin may include only the plugin API (plugin/sof_plugin.h), the JSON
 * writers (util/sof_json.h, pipeline/sof_event_json.h) and the wire
 * headers (wire/...). Everything it keeps lives in the state its setup
 * allocates: the descriptor at the bottom is const and shared. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/sof_plugin.h"
#include "wire/sof_base58.h"
#include "wire/sof_txn.h"

/* The state: one per running plugin, passed to every callback. */
typedef struct example {
  /* The static prefilter handed to the host. The host reads it (and the
   * key array it points to) on the pipeline core until shutdown, so it
   * lives here, not on setup's stack. */
  sof_prefilter_t pf;
  uint8_t         account[32];
  int             writable_only;
  /* Written by the hook only. Hooks of a SEQUENTIAL plugin never run
   * concurrently, so a plain counter is enough. */
  uint64_t        seen;
} example_t;

/* ---- setup: read and check the config section, prepare the state ---------- */

static int
example_setup(sof_plugin_env_t *env, void **state, char *err, size_t err_sz) {
  /* Refuse keys we do not know: a typo must not pass silently. */
  for (unsigned n = 0; env->config_key && env->config_key(env, n); n++) {
    char const *k = env->config_key(env, n);
    if (strcmp(k, "account") && strcmp(k, "writable_only")) {
      snprintf(err, err_sz, "unknown key '%s' (keys: account, writable_only)", k);
      return -1;
    }
  }
  char const *account = env->config_get ? env->config_get(env, "account") : NULL;
  char const *wo = env->config_get ? env->config_get(env, "writable_only") : NULL;

  example_t *ex = calloc(1, sizeof *ex);
  if (!ex) {
    snprintf(err, err_sz, "out of memory");
    return -1;
  }
  /* A required key, decoded and checked: setup is the only place where
   * the plugin can refuse to start, with a reason the host prints as
   * "plugin example: <reason>". */
  if (!account) {
    snprintf(err, err_sz, "account: required (a base58 public key)");
    goto fail;
  }
  if (sof_base58_decode_32(account, strlen(account), ex->account)) {
    snprintf(err, err_sz, "account: '%s' is not a base58 public key", account);
    goto fail;
  }
  if (!wo || !strcmp(wo, "false")) {
    ex->writable_only = 0;
  } else if (!strcmp(wo, "true")) {
    ex->writable_only = 1;
  } else {
    snprintf(err, err_sz, "writable_only: '%s' is not true or false", wo);
    goto fail;
  }

  /* The cheapest filter is the static prefilter: the host applies it on
   * the pipeline core before it copies or queues anything, so the
   * transactions it refuses cost this plugin nothing. Here: non-vote
   * transactions (vote = 0) naming the account among their static keys or
   * lookup-table addresses (include = any of these keys). */
  ex->pf.vote = 0;
  ex->pf.include = (uint8_t const (*)[32])&ex->account;
  ex->pf.include_cnt = 1;
  env->set_prefilter(env, &ex->pf);

  *state = ex;
  return 0;
fail:
  free(ex);
  return -1;
}

/* ---- classifier: runs on the pipeline core, on borrowed data ------------- */

/* 1 when static key i of t is writable (the header's four ranges, see
 * wire/sof_txn.h). */
static int
key_writable(sof_txn_t const *t, unsigned i) {
  if (i < t->sig_cnt) return i < (unsigned)(t->sig_cnt - t->num_readonly_signed);
  return i < (unsigned)(t->acct_cnt - t->num_readonly_unsigned);
}

/* accepts_transaction_ref sees what the prefilter let through and may
 * look deeper; here, with writable_only, it keeps only the transactions
 * that write the account. It must stay cheap, allocate nothing, keep no
 * pointer, and touch only state that setup wrote (it may run at the same
 * time as on_transaction, on another core). */
static int
example_accepts(void *state, sof_ev_txn_t const *ev) {
  example_t const *ex = state;
  if (!ex->writable_only) return 1;
  for (unsigned i = 0; i < ev->txn->acct_cnt; i++)
    if (!memcmp(sof_txn_acct_key(ev->txn, ev->bytes, i), ex->account, 32))
      return key_writable(ev->txn, i);
  return 0; /* named only as a lookup-table address: not a write */
}

/* ---- hook: runs on a lane worker, after the host copied the event -------- */

static void
example_on_transaction(void *state, sof_ev_txn_t const *ev) {
  example_t *ex = state;
  ex->seen++;
  /* ev and everything it points to are borrowed until we return: print
   * now (or copy what we want to keep). */
  char sig[SOF_BASE58_ENCODED_64_MAX];
  sof_base58_encode_64(ev->signature, sig);
  printf("example: slot %" PRIu64 " %s %s\n", ev->slot, sof_commitment_str(ev->commitment), sig);
}

/* ---- shutdown: after the last event; report, flush, free ----------------- */

static void
example_shutdown(void *state) {
  example_t *ex = state;
  char acct[SOF_BASE58_ENCODED_32_MAX];
  sof_base58_encode_32(ex->account, acct);
  fflush(stdout);
  fprintf(stderr, "example: %" PRIu64 " non-vote transactions %s %s\n", ex->seen,
          ex->writable_only ? "wrote" : "touched", acct);
  free(ex);
}

/* ---- the descriptor: the plugin as the host sees it ---------------------- */

/* The symbol must be sof_plugin_<name>: the generated plugin table
 * (plugins/meson.build) refers to it by that name. */
sof_plugin_t const sof_plugin_example = {
  .name            = "example",
  .api_version     = SOF_PLUGIN_API_VERSION,
  .hooks           = SOF_HOOK_BIT(TRANSACTION),   /* the static subscription */
  .commitment      = SOF_COMMITMENT_PROCESSED,    /* deliver at processed ...  */
  .commitment_mode = SOF_COMMITMENT_AT_LEAST,     /* ... or later              */
  .dispatch        = SOF_DISPATCH_SEQUENTIAL,     /* one hook at a time        */
  .inline_txn      = 0,
  .setup           = example_setup,
  .shutdown        = example_shutdown,
  .accepts_transaction_ref = example_accepts,
  .on_transaction  = example_on_transaction,
};
