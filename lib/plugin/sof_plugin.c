/* sof_plugin.c: the pure parts of the plugin API (sof_plugin.h): the static
 * prefilter and the stable names. No DPDK, no allocation, no global state. */
#include "sof_plugin.h"

#include <string.h>

/* ---- static prefilter ------------------------------------------------------------ */

/* 1 when the 32-byte key k is one of the transaction's static account keys
 * or one of its lookup-table addresses. The first 8 bytes are compared as a
 * word before the full compare (keys are hashes: a word match is nearly
 * always a key match). */
static int
txn_has_key(uint8_t const *bytes, sof_txn_t const *t, uint8_t const *k) {
  uint64_t k0;
  memcpy(&k0, k, 8);
  uint8_t const *keys = bytes + t->acct_off;
  for (unsigned i = 0; i < t->acct_cnt; i++) {
    uint8_t const *a = keys + (size_t)i * SOF_TXN_ACCT_ADDR_SZ;
    uint64_t a0;
    memcpy(&a0, a, 8);
    if (a0 == k0 && !memcmp(a, k, SOF_TXN_ACCT_ADDR_SZ)) return 1;
  }
  for (unsigned i = 0; i < t->alt_cnt; i++) {
    uint8_t const *a = bytes + t->alt[i].key_off;
    uint64_t a0;
    memcpy(&a0, a, 8);
    if (a0 == k0 && !memcmp(a, k, SOF_TXN_ACCT_ADDR_SZ)) return 1;
  }
  return 0;
}

int
sof_prefilter_match(sof_prefilter_t const *pf, uint8_t const *bytes, sof_txn_t const *t) {
  if (!pf) return 1;
  if (pf->vote == 0 && t->kind != SOF_TXN_KIND_NON_VOTE) return 0;
  if (pf->vote > 0 && t->kind == SOF_TXN_KIND_NON_VOTE) return 0;
  if (pf->has_signature && memcmp(sof_txn_sig(t, bytes, 0), pf->signature, SOF_TXN_SIG_SZ))
    return 0;
  for (uint32_t i = 0; i < pf->exclude_cnt; i++)
    if (txn_has_key(bytes, t, pf->exclude[i])) return 0;
  for (uint32_t i = 0; i < pf->required_cnt; i++)
    if (!txn_has_key(bytes, t, pf->required[i])) return 0;
  if (pf->include_cnt) {
    for (uint32_t i = 0; i < pf->include_cnt; i++)
      if (txn_has_key(bytes, t, pf->include[i])) return 1;
    return 0;
  }
  return 1;
}

/* ---- names ------------------------------------------------------------------------ */

char const *
sof_hook_str(int hook) {
  switch (hook) {
#define SOF_HOOK_STR_(name, val, str) case (val): return str;
    SOF_HOOK_LIST(SOF_HOOK_STR_)
#undef SOF_HOOK_STR_
  default: return "unknown";
  }
}

char const *
sof_commitment_str(int commitment) {
  switch (commitment) {
  case SOF_COMMITMENT_PROCESSED: return "processed";
  case SOF_COMMITMENT_CONFIRMED: return "confirmed";
  case SOF_COMMITMENT_FINALIZED: return "finalized";
  default: return "unknown";
  }
}

char const *
sof_slot_status_str(int status) {
  switch (status) {
  case SOF_SLOT_PROCESSED: return "processed";
  case SOF_SLOT_CONFIRMED: return "confirmed";
  case SOF_SLOT_FINALIZED: return "finalized";
  case SOF_SLOT_ORPHANED:  return "orphaned";
  case SOF_SLOT_NONE:      return "none";
  default: return "unknown";
  }
}

char const *
sof_interest_str(int interest) {
  switch (interest) {
  case SOF_INTEREST_IGNORE:     return "ignore";
  case SOF_INTEREST_BACKGROUND: return "background";
  case SOF_INTEREST_CRITICAL:   return "critical";
  default: return "unknown";
  }
}

int
sof_commitment_parse(char const *name) {
  if (!name) return -1;
  if (!strcmp(name, "processed")) return SOF_COMMITMENT_PROCESSED;
  if (!strcmp(name, "confirmed")) return SOF_COMMITMENT_CONFIRMED;
  if (!strcmp(name, "finalized")) return SOF_COMMITMENT_FINALIZED;
  return -1;
}
