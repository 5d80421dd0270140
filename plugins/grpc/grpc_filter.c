/* grpc_filter.c: Yellowstone's subscription filters, compiled from a
 * decoded request and matched against ring records (grpc_int.h).
 *
 * Transactions (SubscribeRequestFilterTransactions, Yellowstone's
 * semantics): vote (when set) equals the transaction's simple-vote flag;
 * failed (when set) equals "has an error", which a transaction seen in
 * shreds never has (failed = true matches nothing); signature (when set)
 * equals the first signature; account_include: at least one of the keys
 * among the account keys; account_exclude: none of them; account_required:
 * all of them. The account keys are the static keys of the message (keys
 * loaded from lookup tables are not in shreds). A filter with nothing set
 * matches every transaction. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "geyser.pb-c.h"
#include "wire/sof_base58.h"

#include "grpc_int.h"

/* A map entry's key: a map entry that leaves its key out has the empty
 * name (proto3's default; protobuf-c gives NULL for the absent field). */
#define KEY(e) ((e)->key ? (e)->key : "")

/* One allocation holds the filters, their names and their keys. */
typedef struct arena {
  uint8_t *p;
  size_t   used, cap;
} arena_t;

static void *
arena_take(arena_t *a, size_t n) {
  n = (n + 7) & ~(size_t)7;
  if (a->used + n > a->cap) return NULL;
  void *r = a->p + a->used;
  a->used += n;
  return r;
}

static char const *
arena_str(arena_t *a, char const *s) {
  size_t n = strlen(s);
  char *r = arena_take(a, n + 1);
  if (r) memcpy(r, s, n + 1);
  return r;
}

static int
check_name(char const *name, char *err, size_t err_sz) {
  if (strlen(name) > GRPC_NAME_MAX) {
    snprintf(err, err_sz, "filter name longer than %u bytes", GRPC_NAME_MAX);
    return -1;
  }
  return 0;
}

static int
keys_decode(arena_t *a, char **in, size_t n, uint8_t (**out)[32], uint32_t *cnt, char const *what,
            char *err, size_t err_sz) {
  *cnt = 0;
  *out = NULL;
  if (!n) return 0;
  *out = arena_take(a, n * 32);
  if (!*out) {
    snprintf(err, err_sz, "too many keys");
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    if (!in[i] || sof_base58_decode_32(in[i], strlen(in[i]), (*out)[i]) != 0) {
      snprintf(err, err_sz, "%s: '%.60s' is not a base58 public key", what, in[i] ? in[i] : "");
      return -1;
    }
  }
  *cnt = (uint32_t)n;
  return 0;
}

/* The bytes the compiled filters need at most: their structures, names and keys. */
static size_t
need_bytes(size_t nfilters, size_t nkeys, size_t names) {
  return nfilters * (sizeof(grpc_txf_t) + sizeof(grpc_slotf_t) + sizeof(char *) + 8) +
         nkeys * 32 + names + nfilters * 8 + 64;
}

static grpc_filters_t *
filters_alloc(arena_t *a, size_t bytes) {
  grpc_filters_t *f = calloc(1, sizeof *f + bytes);
  if (!f) return NULL;
  a->p = (uint8_t *)(f + 1);
  a->used = 0;
  a->cap = bytes;
  return f;
}

static int
txf_fill(arena_t *a, grpc_txf_t *t, char const *name, int has_vote, int vote, int has_failed,
         int failed, char const *sig, char **incl, size_t nincl, char **excl, size_t nexcl,
         char **req, size_t nreq, char *err, size_t err_sz) {
  memset(t, 0, sizeof *t);
  if (check_name(name, err, err_sz)) return -1;
  t->name = arena_str(a, name);
  t->vote = has_vote ? (int8_t)(vote != 0) : -1;
  t->failed = has_failed ? (int8_t)(failed != 0) : -1;
  if (sig) {
    if (sof_base58_decode_64(sig, strlen(sig), t->sig) != 0) {
      snprintf(err, err_sz, "transactions.%s.signature: '%.100s' is not a base58 signature", name,
               sig);
      return -1;
    }
    t->has_sig = 1;
  }
  if (keys_decode(a, incl, nincl, &t->incl, &t->incl_cnt, "account_include", err, err_sz) ||
      keys_decode(a, excl, nexcl, &t->excl, &t->excl_cnt, "account_exclude", err, err_sz) ||
      keys_decode(a, req, nreq, &t->req, &t->req_cnt, "account_required", err, err_sz))
    return -1;
  return t->name ? 0 : -1;
}

/* Appends the slot filter named name (value sl, NULL: defaults). -1 with
 * a reason when the name is refused (check_name). */
static int
slotf_add(arena_t *a, grpc_filters_t *f, char const *name, Geyser__SubscribeRequestFilterSlots const *sl,
          char *err, size_t err_sz) {
  if (check_name(name, err, err_sz)) return -1;
  grpc_slotf_t *sf = &f->slotf[f->slotf_cnt++];
  sf->name = arena_str(a, name);
  sf->by_commitment = sl && sl->has_filter_by_commitment && sl->filter_by_commitment;
  sf->interslot = sl && sl->has_interslot_updates && sl->interslot_updates;
  return 0;
}

int
grpc_filters_subscribe(void const *reqp, grpc_cfg_t const *cfg, grpc_filters_t **out, char *err,
                       size_t err_sz) {
  Geyser__SubscribeRequest const *r = reqp;
  *out = NULL;
  if (r->n_accounts) {
    snprintf(err, err_sz, "accounts: account updates come from execution; sofd sees shreds only");
    return GRPC_UNIMPLEMENTED;
  }
  if (r->n_transactions_status) {
    snprintf(err, err_sz, "transactions_status: statuses come from execution; use transactions");
    return GRPC_UNIMPLEMENTED;
  }
  if (r->n_blocks) {
    snprintf(err, err_sz, "blocks: full blocks (with execution results) are not served; use "
                          "transactions, entry and blocks_meta");
    return GRPC_UNIMPLEMENTED;
  }
  if (r->n_block_footer) {
    snprintf(err, err_sz, "block_footer is not served");
    return GRPC_UNIMPLEMENTED;
  }
  if (r->has_from_slot) {
    snprintf(err, err_sz, "from_slot: sofd keeps no history to replay");
    return GRPC_UNIMPLEMENTED;
  }
  if (r->n_accounts_data_slice) {
    snprintf(err, err_sz, "accounts_data_slice: no account updates are served");
    return GRPC_UNIMPLEMENTED;
  }
  int commitment = r->has_commitment ? (int)r->commitment : 0;
  if (commitment < 0 || commitment > 2) {
    snprintf(err, err_sz, "commitment: unknown level %d", commitment);
    return GRPC_INVALID_ARGUMENT;
  }
  size_t nf = r->n_transactions + r->n_slots + r->n_entry + r->n_blocks_meta;
  if (nf > cfg->max_filters) {
    snprintf(err, err_sz, "%zu filters: more than max_filters (%u)", nf, cfg->max_filters);
    return GRPC_INVALID_ARGUMENT;
  }
  size_t nkeys = 0, names = 0;
  for (size_t i = 0; i < r->n_transactions; i++) {
    Geyser__SubscribeRequestFilterTransactions const *t = r->transactions[i]->value;
    if (!t) continue;
    nkeys += t->n_account_include + t->n_account_exclude + t->n_account_required;
    if (t->cuckoo_account_include) {
      snprintf(err, err_sz, "transactions.cuckoo_account_include is not supported: list the keys");
      return GRPC_UNIMPLEMENTED;
    }
    if (t->has_token_accounts) {
      snprintf(err, err_sz, "transactions.token_accounts needs token balances (execution)");
      return GRPC_UNIMPLEMENTED;
    }
  }
  if (nkeys > cfg->max_keys) {
    snprintf(err, err_sz, "%zu account keys: more than max_keys (%u)", nkeys, cfg->max_keys);
    return GRPC_INVALID_ARGUMENT;
  }
  for (size_t i = 0; i < r->n_transactions; i++) names += strlen(KEY(r->transactions[i])) + 1;
  for (size_t i = 0; i < r->n_slots; i++) names += strlen(KEY(r->slots[i])) + 1;
  for (size_t i = 0; i < r->n_entry; i++) names += strlen(KEY(r->entry[i])) + 1;
  for (size_t i = 0; i < r->n_blocks_meta; i++) names += strlen(KEY(r->blocks_meta[i])) + 1;
  arena_t a;
  grpc_filters_t *f = filters_alloc(&a, need_bytes(nf, nkeys, names));
  if (!f) {
    snprintf(err, err_sz, "out of memory");
    return GRPC_RESOURCE_EXHAUSTED;
  }
  f->commitment = commitment;
  f->txf = arena_take(&a, r->n_transactions * sizeof *f->txf);
  for (size_t i = 0; i < r->n_transactions; i++) {
    Geyser__SubscribeRequestFilterTransactions const *t = r->transactions[i]->value;
    Geyser__SubscribeRequestFilterTransactions empty = GEYSER__SUBSCRIBE_REQUEST_FILTER_TRANSACTIONS__INIT;
    if (!t) t = &empty;
    if (txf_fill(&a, &f->txf[i], KEY(r->transactions[i]), t->has_vote, t->vote, t->has_failed,
                 t->failed, t->signature, t->account_include, t->n_account_include,
                 t->account_exclude, t->n_account_exclude, t->account_required,
                 t->n_account_required, err, err_sz)) {
      free(f);
      return GRPC_INVALID_ARGUMENT;
    }
    f->txf_cnt++;
  }
  f->slotf = arena_take(&a, r->n_slots * sizeof *f->slotf);
  for (size_t i = 0; i < r->n_slots; i++) {
    if (slotf_add(&a, f, KEY(r->slots[i]), r->slots[i]->value, err, err_sz)) {
      free(f);
      return GRPC_INVALID_ARGUMENT;
    }
  }
  f->entryf = arena_take(&a, r->n_entry * sizeof *f->entryf);
  for (size_t i = 0; i < r->n_entry; i++) {
    if (check_name(KEY(r->entry[i]), err, err_sz)) {
      free(f);
      return GRPC_INVALID_ARGUMENT;
    }
    f->entryf[f->entryf_cnt++] = arena_str(&a, KEY(r->entry[i]));
  }
  f->metaf = arena_take(&a, r->n_blocks_meta * sizeof *f->metaf);
  for (size_t i = 0; i < r->n_blocks_meta; i++) {
    if (check_name(KEY(r->blocks_meta[i]), err, err_sz)) {
      free(f);
      return GRPC_INVALID_ARGUMENT;
    }
    f->metaf[f->metaf_cnt++] = arena_str(&a, KEY(r->blocks_meta[i]));
  }
  if (r->ping) {
    f->has_ping = 1;
    f->ping_id = r->ping->id;
  }
  *out = f;
  return GRPC_OK;
}

int
grpc_filters_deshred(void const *reqp, grpc_cfg_t const *cfg, grpc_filters_t **out, char *err,
                     size_t err_sz) {
  Geyser__SubscribeDeshredRequest const *r = reqp;
  *out = NULL;
  size_t nf = r->n_deshred_transactions + r->n_slots;
  if (nf > cfg->max_filters) {
    snprintf(err, err_sz, "%zu filters: more than max_filters (%u)", nf, cfg->max_filters);
    return GRPC_INVALID_ARGUMENT;
  }
  size_t nkeys = 0, names = 0;
  for (size_t i = 0; i < r->n_deshred_transactions; i++) {
    Geyser__SubscribeRequestFilterDeshredTransactions const *t = r->deshred_transactions[i]->value;
    if (t) nkeys += t->n_account_include + t->n_account_exclude + t->n_account_required;
    names += strlen(KEY(r->deshred_transactions[i])) + 1;
  }
  for (size_t i = 0; i < r->n_slots; i++) names += strlen(KEY(r->slots[i])) + 1;
  if (nkeys > cfg->max_keys) {
    snprintf(err, err_sz, "%zu account keys: more than max_keys (%u)", nkeys, cfg->max_keys);
    return GRPC_INVALID_ARGUMENT;
  }
  arena_t a;
  grpc_filters_t *f = filters_alloc(&a, need_bytes(nf, nkeys, names));
  if (!f) {
    snprintf(err, err_sz, "out of memory");
    return GRPC_RESOURCE_EXHAUSTED;
  }
  f->txf = arena_take(&a, r->n_deshred_transactions * sizeof *f->txf);
  for (size_t i = 0; i < r->n_deshred_transactions; i++) {
    Geyser__SubscribeRequestFilterDeshredTransactions const *t = r->deshred_transactions[i]->value;
    Geyser__SubscribeRequestFilterDeshredTransactions empty =
      GEYSER__SUBSCRIBE_REQUEST_FILTER_DESHRED_TRANSACTIONS__INIT;
    if (!t) t = &empty;
    if (txf_fill(&a, &f->txf[i], KEY(r->deshred_transactions[i]), t->has_vote, t->vote, 0, 0,
                 NULL, t->account_include, t->n_account_include, t->account_exclude,
                 t->n_account_exclude, t->account_required, t->n_account_required, err,
                 err_sz)) {
      free(f);
      return GRPC_INVALID_ARGUMENT;
    }
    f->txf_cnt++;
  }
  f->slotf = arena_take(&a, r->n_slots * sizeof *f->slotf);
  for (size_t i = 0; i < r->n_slots; i++) {
    if (slotf_add(&a, f, KEY(r->slots[i]), r->slots[i]->value, err, err_sz)) {
      free(f);
      return GRPC_INVALID_ARGUMENT;
    }
  }
  if (r->ping) {
    f->has_ping = 1;
    f->ping_id = r->ping->id;
  }
  *out = f;
  return GRPC_OK;
}

void
grpc_filters_free(grpc_filters_t *f) {
  free(f);
}

static int
has_key(grpc_rec_t const *hdr, uint8_t const *payload, uint8_t const k[32]) {
  uint8_t const *p = payload + hdr->keys_off;
  for (uint32_t i = 0; i < hdr->key_cnt; i++, p += hdr->key_stride)
    if (!memcmp(p, k, 32)) return 1;
  return 0;
}

int
grpc_filters_txn_votes(grpc_filters_t const *f) {
  if (!f) return 0;
  for (uint32_t i = 0; i < f->txf_cnt; i++)
    if (f->txf[i].vote != 0 && f->txf[i].failed != 1) return 1;
  return 0;
}

unsigned
grpc_filters_txn(grpc_filters_t const *f, grpc_rec_t const *hdr, uint8_t const *payload,
                 char const **names, unsigned max) {
  unsigned n = 0;
  int vote = (hdr->flags & GRPC_REC_FLAG_VOTE) != 0;
  for (uint32_t i = 0; i < f->txf_cnt && n < max; i++) {
    grpc_txf_t const *t = &f->txf[i];
    if (t->vote >= 0 && t->vote != vote) continue;
    if (t->failed == 1) continue; /* no transaction seen in shreds has an error */
    if (t->has_sig && memcmp(payload + hdr->sig_off, t->sig, 64)) continue;
    if (t->incl_cnt) {
      uint32_t k = 0;
      while (k < t->incl_cnt && !has_key(hdr, payload, t->incl[k])) k++;
      if (k == t->incl_cnt) continue;
    }
    uint32_t k = 0;
    while (k < t->excl_cnt && !has_key(hdr, payload, t->excl[k])) k++;
    if (k < t->excl_cnt) continue;
    k = 0;
    while (k < t->req_cnt && has_key(hdr, payload, t->req[k])) k++;
    if (k < t->req_cnt) continue;
    names[n++] = t->name;
  }
  return n;
}

unsigned
grpc_filters_slot(grpc_filters_t const *f, grpc_rec_t const *hdr, char const **names,
                  unsigned max) {
  unsigned n = 0;
  int status = (int)hdr->a;
  int commitment_status = hdr->b != 0;
  for (uint32_t i = 0; i < f->slotf_cnt && n < max; i++) {
    grpc_slotf_t const *s = &f->slotf[i];
    if (!commitment_status && !s->interslot) continue;
    if (s->by_commitment && (!commitment_status || status != f->commitment)) continue;
    names[n++] = s->name;
  }
  return n;
}
