/* sof_ingest.c: see sof_ingest.h. */
#include "pipeline/sof_ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sof_merkle.h"

struct sof_ingest {
  sof_verify_t         *verify;
  sof_resolver_t       *resolver;
  sof_reasm_t          *reasm;
  sof_ingest_dataset_fn on_dataset;
  sof_ingest_txn_fn     on_txn;
  sof_ingest_raw_batch_fn on_raw_batch;
  void                 *ctx;
  sof_ingest_stats_t    st;
  sof_resolver_out_t    out; /* rebuilt shreds of the current call */
  sof_shred_refs_t      refs; /* by reference: cfg.resolver.refs (release of rebuilt shreds) */
  sof_slotwin_t         win;  /* sampled from accepted shreds; attached when has_win */
  int                   has_win;
};

void
sof_ingest_cfg_default(sof_ingest_cfg_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  sof_resolver_cfg_default(&cfg->resolver);
  sof_reasm_cfg_default(&cfg->reasm);
}

sof_ingest_t *
sof_ingest_new(sof_ingest_cfg_t const *cfg, char *err, size_t err_sz) {
  sof_ingest_t *ing = calloc(1, sizeof *ing);
  if (!ing) {
    snprintf(err, err_sz, "out of memory");
    return NULL;
  }
  ing->verify = cfg->verify;
  ing->on_dataset = cfg->on_dataset;
  ing->on_txn = cfg->on_txn;
  ing->on_raw_batch = cfg->on_raw_batch;
  ing->ctx = cfg->ctx;
  if ((cfg->resolver.refs == NULL) != (cfg->reasm.refs == NULL)) {
    snprintf(err, err_sz, "ingest: resolver and reassembly must both hold shreds by reference, or neither");
    free(ing);
    return NULL;
  }
  if (cfg->resolver.refs) ing->refs = *cfg->resolver.refs;
  ing->resolver = sof_resolver_new(&cfg->resolver, err, err_sz);
  if (ing->resolver) ing->reasm = sof_reasm_new(&cfg->reasm, err, err_sz);
  if (!ing->reasm) {
    sof_ingest_delete(ing);
    return NULL;
  }
  if (cfg->window) {
    if (sof_slotwin_init(&ing->win, cfg->window)) {
      snprintf(err, err_sz, "ingest: window quorum must be in [1, %u]", SOF_SLOTWIN_SAMPLES);
      sof_ingest_delete(ing);
      return NULL;
    }
    ing->has_win = 1;
    sof_resolver_set_window(ing->resolver, &ing->win);
    sof_reasm_set_window(ing->reasm, &ing->win);
  }
  return ing;
}

void
sof_ingest_delete(sof_ingest_t *ing) {
  if (!ing) return;
  sof_resolver_delete(ing->resolver);
  sof_reasm_delete(ing->reasm);
  free(ing);
}

void
sof_ingest_reset(sof_ingest_t *ing) {
  sof_resolver_reset(ing->resolver);
  sof_reasm_reset(ing->reasm);
  memset(&ing->st, 0, sizeof ing->st);
  if (ing->has_win) {
    sof_slotwin_cfg_t c = ing->win.cfg;
    sof_slotwin_init(&ing->win, &c);
  }
}

/* One completed entry batch: summary to on_dataset, then its transactions. */
static void
on_batch(void *ctx, sof_reasm_batch_t const *b) {
  sof_ingest_t *ing = ctx;
  ing->st.datasets++;
  if (ing->on_raw_batch) {
    ing->on_raw_batch(ing->ctx, b);
    return;
  }
  sof_entry_batch_t eb;
  int err = sof_entry_batch_parse(&eb, b->payload, b->payload_sz);
  if (err) ing->st.dataset_err++;
  if (ing->on_dataset) ing->on_dataset(ing->ctx, b, &eb, err);
  if (err) return;
  ing->st.txns += eb.txn_cnt;
  /* the summary parse validated every transaction; walk them again only
   * for a consumer that wants each one */
  if (!ing->on_txn) return;
  sof_entry_iter_t it;
  sof_entry_t e;
  sof_entry_iter_init(&it, b->payload, b->payload_sz);
  while (sof_entry_iter_next(&it, &e) == 1) {
    sof_txn_t t;
    size_t toff;
    while (sof_entry_iter_next_txn(&it, &t, &toff, NULL) == 1)
      ing->on_txn(ing->ctx, b, e.idx, b->payload + toff, &t);
  }
}

/* Rebuilt shred i of out, checked (by_root: the resolver's proof; check:
 * the verifier; else parsed only) and on to reassembly. */
static void
rebuilt(sof_ingest_t *ing, sof_resolver_out_t const *out, uint32_t i, int check, int by_root,
        uint16_t version, sof_shred_t *rs) {
  if (by_root) {
    if (sof_shred_parse(rs, out->shred[i], SOF_SHRED_MERKLE_DATA_SZ, 0) || rs->version != version) {
      ing->st.recovered_rejected++;
      return;
    }
    ing->st.recovered_by_root++;
  } else if (check) {
    if (sof_verify_shred_root(ing->verify, out->shred[i], SOF_SHRED_MERKLE_DATA_SZ, 0, out->root, rs,
                              NULL) != SOF_VERIFY_VERIFIED) {
      ing->st.recovered_rejected++;
      return;
    }
  } else if (sof_shred_parse(rs, out->shred[i], SOF_SHRED_MERKLE_DATA_SZ, 0)) {
    ing->st.recovered_rejected++;
    return;
  }
  ing->st.recovered_ok++;
  sof_reasm_add_shred(ing->reasm, out->shred[i], rs, 1, out->ref[i], on_batch, ing);
}

/* An accepted shred into the resolver; new data (received or rebuilt) on
 * to reassembly. root / leaf: from verification, or NULL. */
static int
resolve(sof_ingest_t *ing, uint8_t const *p, sof_shred_t const *s, uint8_t const *root,
        uint8_t const *leaf, int root_verified, void *ref) {
  /* root NULL (trusted posture, or no verifier): the resolver takes each
   * set's root from the shred that opens it */
  sof_resolver_out_t *out = &ing->out;
  int res = sof_resolver_add_ref(ing->resolver, p, s, root, leaf, 0, ref, out);
  if (s->is_data && (res == SOF_RESOLVER_DATA_NEW || res == SOF_RESOLVER_RECOVERED))
    sof_reasm_add_shred(ing->reasm, p, s, 0, ref, on_batch, ing);
  if (res != SOF_RESOLVER_RECOVERED) return res;
  /* Rebuilt shreds are verified as received ones would be, but without
   * hashing again: the resolver hashed each one's leaf and path up to
   * out->root, so the verifier only asks whether the leader signed that root
   * (a cache hit when the set was verified; ed25519 otherwise) and applies
   * the version, posture and leader rules (counted in root_given). */
  int check = ing->verify && sof_verify_recovered_enabled(ing->verify);
  /* The shred that completed the recovery was verified (leader signature
   * over root) and the resolver proved every rebuilt shred's path up to
   * that same root: they are the leader's bytes. Nothing to ask the
   * verifier (whose cache may never have seen the set when verification
   * ran on another thread); the version must still match. */
  int by_root = check && root_verified && root && !memcmp(root, out->root, 32);
  for (uint32_t i = 0; i < out->cnt; i++) {
    sof_shred_t rs;
    rebuilt(ing, out, i, check, by_root, s->version, &rs);
    if (out->ref[i]) ing->refs.release(ing->refs.ctx, out->ref[i]); /* reassembly took its own */
  }
  return res;
}


/* Steps 3-5 for a parsed shred; vi NULL when not verified. Fills res's
 * fate (REJECTED or ACCEPTED), conflict and resolver fields. */
static void
checked(sof_ingest_t *ing, uint8_t const *p, sof_shred_t const *s, sof_verify_info_t const *vi,
        void *ref, sof_ingest_result_t *res) {
  if (s->is_data) ing->st.data_shreds++;
  else            ing->st.code_shreds++;
  if (vi && vi->conflict) {
    res->conflict = 1;
    ing->st.conflicts++;
  }
  if (vi && !sof_verify_accepted(ing->verify, res->verify)) {
    res->fate = SOF_INGEST_REJECTED;
    ing->st.rejected[res->verify]++;
    return;
  }
  res->fate = SOF_INGEST_ACCEPTED;
  if (ing->has_win) sof_slotwin_sample(&ing->win, s->slot);
  res->resolver = resolve(ing, p, s, vi && vi->root_valid ? vi->root : NULL,
                          vi && vi->leaf_valid ? vi->leaf : NULL,
                          vi && res->verify == SOF_VERIFY_VERIFIED, ref);
  ing->st.accepted[res->resolver]++;
}

int
sof_ingest_shred_checked(sof_ingest_t *ing, void const *payload, sof_shred_t const *s,
                         int verify_result, sof_verify_info_t const *vi, void *ref,
                         sof_ingest_result_t *res_out) {
  sof_ingest_result_t res = {.fate = SOF_INGEST_LATE, .verify = verify_result, .parse_err = 0,
                             .resolver = -1};
  uint8_t const *p = payload;
  ing->st.shreds++;
  if (sof_resolver_finished(ing->resolver, s->slot, s->fec_set_idx)) goto done;
  checked(ing, p, s, verify_result >= 0 ? vi : NULL, ref, &res);
done:
  ing->st.fate[res.fate]++;
  if (res_out) *res_out = res;
  return res.fate;
}

int
sof_ingest_shred(sof_ingest_t *ing, void const *payload, size_t sz, unsigned parse_flags,
                 sof_shred_t *s_out, sof_ingest_result_t *res_out) {
  sof_ingest_result_t res = {.fate = SOF_INGEST_LATE, .verify = -1, .parse_err = 0, .resolver = -1};
  sof_shred_t s_local;
  sof_shred_t *s = s_out ? s_out : &s_local;
  uint8_t const *p = payload;
  ing->st.shreds++;
  if (sz >= SOF_SHRED_COMMON_HDR_SZ &&
      sof_resolver_finished(ing->resolver, sof_shred_peek_slot(p), sof_shred_peek_fec_set_idx(p))) {
    goto done; /* its FEC set is complete: dropped before any hashing */
  }
  sof_verify_info_t vi;
  int err;
  if (ing->verify) {
    res.verify = sof_verify_shred(ing->verify, p, sz, parse_flags, s, &vi);
    err = res.verify == SOF_VERIFY_MALFORMED ? vi.parse_err : 0;
  } else {
    err = sof_shred_parse(s, p, sz, parse_flags);
  }
  if (err) {
    res.fate = SOF_INGEST_MALFORMED;
    res.parse_err = err;
    ing->st.malformed[-err <= SOF_SHRED_ERR_CNT ? -err : 0]++;
    goto done;
  }
  checked(ing, p, s, res.verify >= 0 ? &vi : NULL, NULL, &res);
done:
  ing->st.fate[res.fate]++;
  if (res_out) *res_out = res;
  return res.fate;
}

sof_ingest_stats_t const *
sof_ingest_stats(sof_ingest_t const *ing) {
  return &ing->st;
}

sof_resolver_t const *
sof_ingest_resolver(sof_ingest_t const *ing) {
  return ing->resolver;
}

sof_reasm_t const *
sof_ingest_reasm(sof_ingest_t const *ing) {
  return ing->reasm;
}

char const *
sof_ingest_fate_str(int fate) {
  switch (fate) {
#define SOF_INGEST_STR_(name, val, str) case val: return str;
  SOF_INGEST_FATE_LIST(SOF_INGEST_STR_)
#undef SOF_INGEST_STR_
  default: return "unknown";
  }
}

void
sof_ingest_set_batch_sink(sof_ingest_t *ing, sof_reasm_sink_fn fn, void *ctx) {
  sof_reasm_set_sink(ing->reasm, fn, ctx);
}

sof_slotwin_t const *
sof_ingest_window(sof_ingest_t const *ing) {
  return ing->has_win ? &ing->win : NULL;
}
