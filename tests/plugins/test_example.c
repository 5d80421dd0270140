/* The documented example plugin does what docs/plugins.md says: it
 * refuses a missing or bad account and unknown keys, installs a non-vote
 * prefilter on the account (checked with sof_prefilter_match), its
 * classifier keeps only writes with writable_only, and it prints one line
 * per transaction and the count at shutdown. */
#include "plugin_test.h"

extern sof_plugin_t const sof_plugin_example;

static sof_plugin_t const *const P = &sof_plugin_example;

static ttxn_t T1, T2, T3;

static void
test_filters(void) {
  SOF_CHECK_STR(P->name, "example");
  SOF_CHECK_EQ(P->hooks, SOF_HOOK_BIT(TRANSACTION));
  /* RECIP: written by T1 only */
  fake_env_t f;
  fake_init(&f, "example", 1000000000U, "account", K_RECIP, NULL);
  void *st = SETUP_OK(P, &f);
  if (!st) return;
  SOF_CHECK_EQ(f.pf_calls, 1);
  SOF_CHECK_EQ(f.pf->vote, 0);
  SOF_CHECK_EQ(f.pf->include_cnt, 1);
  SOF_CHECK_EQ(sof_prefilter_match(f.pf, T1.raw.b, &T1.t), 1);
  SOF_CHECK_EQ(sof_prefilter_match(f.pf, T2.raw.b, &T2.t), 0);
  SOF_CHECK_EQ(sof_prefilter_match(f.pf, T3.raw.b, &T3.t), 0);
  P->shutdown(st);

  /* SYSTEM with writable_only: T1 and T3 name it read-only (the program) */
  fake_init(&f, "example", 1000000000U, "account", K_SYSTEM, "writable_only", "true", NULL);
  st = SETUP_OK(P, &f);
  if (!st) return;
  SOF_CHECK_EQ(sof_prefilter_match(f.pf, T1.raw.b, &T1.t), 1);
  SOF_CHECK_EQ(sof_prefilter_match(f.pf, T3.raw.b, &T3.t), 1);
  sof_ev_txn_t e1 = tt_event(&T1, 10, SOF_COMMITMENT_PROCESSED, SOF_TXN_PATH_DATASET, 0);
  sof_ev_txn_t e3 = tt_event(&T3, 10, SOF_COMMITMENT_PROCESSED, SOF_TXN_PATH_DATASET, 0);
  SOF_CHECK_EQ(P->accepts_transaction_ref(st, &e1), 0);
  SOF_CHECK_EQ(P->accepts_transaction_ref(st, &e3), 0);
  P->shutdown(st);

  /* PAYER with writable_only: the fee payer is writable; the lookup table
   * TABLE (named only as a table address) is not a write */
  fake_init(&f, "example", 1000000000U, "account", K_PAYER, "writable_only", "true", NULL);
  st = SETUP_OK(P, &f);
  if (!st) return;
  SOF_CHECK_EQ(P->accepts_transaction_ref(st, &e1), 1);
  SOF_CHECK_EQ(P->accepts_transaction_ref(st, &e3), 1);
  P->shutdown(st);
  fake_init(&f, "example", 1000000000U, "account", K_TABLE, "writable_only", "true", NULL);
  st = SETUP_OK(P, &f);
  if (!st) return;
  SOF_CHECK_EQ(sof_prefilter_match(f.pf, T3.raw.b, &T3.t), 1);
  SOF_CHECK_EQ(P->accepts_transaction_ref(st, &e3), 0);
  P->shutdown(st);
  /* without writable_only every prefiltered transaction is accepted */
  fake_init(&f, "example", 1000000000U, "account", K_TABLE, NULL);
  st = SETUP_OK(P, &f);
  if (!st) return;
  SOF_CHECK_EQ(P->accepts_transaction_ref(st, &e3), 1);
  P->shutdown(st);
}

static void
test_output(void) {
  fake_env_t f;
  fake_init(&f, "example", 1000000000U, "account", K_PAYER, NULL);
  void *st = SETUP_OK(P, &f);
  if (!st) return;
  sof_ev_txn_t e1 = tt_event(&T1, 10, SOF_COMMITMENT_PROCESSED, SOF_TXN_PATH_DATASET, 0);
  sof_ev_txn_t e3 = tt_event(&T3, 11, SOF_COMMITMENT_CONFIRMED, SOF_TXN_PATH_DATASET, 0);
  capture_t out, err;
  capture_begin(&out, stdout);
  capture_begin(&err, stderr);
  P->on_transaction(st, &e1);
  P->on_transaction(st, &e3);
  P->shutdown(st);
  char *e = capture_end(&err);
  char *o = capture_end(&out);
  SOF_CHECK_STR(o, "example: slot 10 processed " S_1 "\nexample: slot 11 confirmed " S_3 "\n");
  SOF_CHECK_STR(e, "example: 2 non-vote transactions touched " K_PAYER "\n");
  free(o);
  free(e);
}

static void
test_config_errors(void) {
  SETUP_ERR(P, "account: required (a base58 public key)", "writable_only", "true");
  SETUP_ERR(P, "account: 'nope' is not a base58 public key", "account", "nope");
  SETUP_ERR(P, "writable_only: '1' is not true or false", "account", K_PAYER, "writable_only", "1");
  SETUP_ERR(P, "unknown key 'acount' (keys: account, writable_only)", "acount", K_PAYER);
}

int
main(void) {
  tt_transfer(&T1);
  tt_vote(&T2);
  tt_v0(&T3);
  test_filters();
  test_output();
  test_config_errors();
  return sof_test_done("test_example");
}
