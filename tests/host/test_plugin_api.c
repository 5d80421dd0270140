/* test_plugin_api.c: the pure part of the plugin API (sof_plugin.c): the
 * static prefilter on real signed transactions (vote / non-vote, signature,
 * include any, exclude none, required all, lookup-table addresses) and the
 * stable names. No DPDK. */
#include "host_test_util.h"

static void
test_names(void) {
  static char const *const hooks[SOF_HOOK_CNT] = {
    "raw_packet", "shred", "dataset", "transaction", "transaction_batch", "account_touch",
    "slot_status", "reorg", "recent_blockhash", "leader_schedule", "cluster_topology",
    "transaction_status", "gossip_vote"};
  for (int h = 0; h < SOF_HOOK_CNT; h++) SOF_CHECK_STR(sof_hook_str(h), hooks[h]);
  SOF_CHECK_STR(sof_hook_str(-1), "unknown");
  SOF_CHECK_STR(sof_hook_str(SOF_HOOK_CNT), "unknown");
  SOF_CHECK_EQ(SOF_HOOK_BIT(ACCOUNT_TOUCH), 1U << 5);

  SOF_CHECK_STR(sof_commitment_str(SOF_COMMITMENT_PROCESSED), "processed");
  SOF_CHECK_STR(sof_commitment_str(SOF_COMMITMENT_CONFIRMED), "confirmed");
  SOF_CHECK_STR(sof_commitment_str(SOF_COMMITMENT_FINALIZED), "finalized");
  SOF_CHECK_STR(sof_commitment_str(3), "unknown");
  SOF_CHECK_STR(sof_commitment_str(-1), "unknown");

  SOF_CHECK_STR(sof_slot_status_str(SOF_SLOT_PROCESSED), "processed");
  SOF_CHECK_STR(sof_slot_status_str(SOF_SLOT_CONFIRMED), "confirmed");
  SOF_CHECK_STR(sof_slot_status_str(SOF_SLOT_FINALIZED), "finalized");
  SOF_CHECK_STR(sof_slot_status_str(SOF_SLOT_ORPHANED), "orphaned");
  SOF_CHECK_STR(sof_slot_status_str(SOF_SLOT_NONE), "none");
  SOF_CHECK_STR(sof_slot_status_str(5), "unknown");

  SOF_CHECK_STR(sof_interest_str(SOF_INTEREST_IGNORE), "ignore");
  SOF_CHECK_STR(sof_interest_str(SOF_INTEREST_BACKGROUND), "background");
  SOF_CHECK_STR(sof_interest_str(SOF_INTEREST_CRITICAL), "critical");
  SOF_CHECK_STR(sof_interest_str(3), "unknown");

  SOF_CHECK_EQ(sof_commitment_parse("processed"), SOF_COMMITMENT_PROCESSED);
  SOF_CHECK_EQ(sof_commitment_parse("confirmed"), SOF_COMMITMENT_CONFIRMED);
  SOF_CHECK_EQ(sof_commitment_parse("finalized"), SOF_COMMITMENT_FINALIZED);
  SOF_CHECK_EQ(sof_commitment_parse("Confirmed"), -1);
  SOF_CHECK_EQ(sof_commitment_parse("confirmed "), -1);
  SOF_CHECK_EQ(sof_commitment_parse(""), -1);
  SOF_CHECK_EQ(sof_commitment_parse(NULL), -1);
}

static void
test_prefilter(void) {
  /* nv: non-vote, static keys [payer, A1, A2]; vt: vote with keys [payer,
   * B1, Vote]; lut: v0, keys [payer, C1, C2] + lookup tables T1, T2. */
  uint8_t a[2][32], b[2][32], c[2][32], t[2][32], other[32];
  tt_key(a[0], 0xA0, 1);
  tt_key(a[1], 0xA0, 2);
  tt_key(b[0], 0xB0, 1);
  tt_key(b[1], 0xB0, 2);
  tt_key(c[0], 0xC0, 1);
  tt_key(c[1], 0xC0, 2);
  tt_key(t[0], 0x70, 1);
  tt_key(t[1], 0x70, 2);
  tt_key(other, 0xEE, 9);
  ttx_t nv, vt, lut;
  tt_build(&nv, 1, 0, (uint8_t const(*)[32])a, 2, 1, NULL, 0, 1, 0);
  tt_build(&vt, 1, 0, (uint8_t const(*)[32])b, 2, 1, NULL, 0, 2, 1);
  tt_build(&lut, 1, 0, (uint8_t const(*)[32])c, 2, 1, (uint8_t const(*)[32])t, 2, 3, 0);
  SOF_CHECK_EQ(nv.t.kind, SOF_TXN_KIND_NON_VOTE);
  SOF_CHECK_EQ(vt.t.kind, SOF_TXN_KIND_VOTE_ONLY);
  SOF_CHECK_EQ(lut.t.alt_cnt, 2);

  SOF_CHECK_EQ(sof_prefilter_match(NULL, nv.b, &nv.t), 1);

  sof_prefilter_t pf;
  memset(&pf, 0, sizeof pf);
  pf.vote = -1;
  SOF_CHECK_EQ(sof_prefilter_match(&pf, nv.b, &nv.t), 1);
  SOF_CHECK_EQ(sof_prefilter_match(&pf, vt.b, &vt.t), 1);
  pf.vote = 0; /* non-vote only */
  SOF_CHECK_EQ(sof_prefilter_match(&pf, nv.b, &nv.t), 1);
  SOF_CHECK_EQ(sof_prefilter_match(&pf, vt.b, &vt.t), 0);
  pf.vote = 1; /* vote only */
  SOF_CHECK_EQ(sof_prefilter_match(&pf, nv.b, &nv.t), 0);
  SOF_CHECK_EQ(sof_prefilter_match(&pf, vt.b, &vt.t), 1);
  pf.vote = -1;

  /* signature */
  pf.has_signature = 1;
  memcpy(pf.signature, sof_txn_sig(&vt.t, vt.b, 0), 64);
  SOF_CHECK_EQ(sof_prefilter_match(&pf, vt.b, &vt.t), 1);
  SOF_CHECK_EQ(sof_prefilter_match(&pf, nv.b, &nv.t), 0);
  pf.has_signature = 0;

  /* include: any of the keys */
  uint8_t inc[2][32];
  memcpy(inc[0], other, 32);
  memcpy(inc[1], a[1], 32);
  pf.include = (uint8_t const(*)[32])inc;
  pf.include_cnt = 2;
  SOF_CHECK_EQ(sof_prefilter_match(&pf, nv.b, &nv.t), 1);
  SOF_CHECK_EQ(sof_prefilter_match(&pf, vt.b, &vt.t), 0);
  pf.include_cnt = 1; /* only `other`: nobody has it */
  SOF_CHECK_EQ(sof_prefilter_match(&pf, nv.b, &nv.t), 0);
  /* a lookup-table address counts as a key */
  memcpy(inc[0], t[1], 32);
  SOF_CHECK_EQ(sof_prefilter_match(&pf, lut.b, &lut.t), 1);
  SOF_CHECK_EQ(sof_prefilter_match(&pf, nv.b, &nv.t), 0);
  pf.include_cnt = 0;

  /* exclude: none of the keys */
  uint8_t exc[2][32];
  memcpy(exc[0], other, 32);
  memcpy(exc[1], b[0], 32);
  pf.exclude = (uint8_t const(*)[32])exc;
  pf.exclude_cnt = 2;
  SOF_CHECK_EQ(sof_prefilter_match(&pf, nv.b, &nv.t), 1);
  SOF_CHECK_EQ(sof_prefilter_match(&pf, vt.b, &vt.t), 0);
  pf.exclude_cnt = 1;
  SOF_CHECK_EQ(sof_prefilter_match(&pf, vt.b, &vt.t), 1);
  memcpy(exc[0], vt.b + vt.t.acct_off, 32); /* the fee payer (a signer) */
  SOF_CHECK_EQ(sof_prefilter_match(&pf, vt.b, &vt.t), 0);
  pf.exclude_cnt = 0;

  /* required: all of the keys */
  uint8_t req[3][32];
  memcpy(req[0], c[0], 32);
  memcpy(req[1], t[0], 32);
  memcpy(req[2], c[1], 32);
  pf.required = (uint8_t const(*)[32])req;
  pf.required_cnt = 3;
  SOF_CHECK_EQ(sof_prefilter_match(&pf, lut.b, &lut.t), 1);
  SOF_CHECK_EQ(sof_prefilter_match(&pf, nv.b, &nv.t), 0);
  memcpy(req[2], other, 32);
  SOF_CHECK_EQ(sof_prefilter_match(&pf, lut.b, &lut.t), 0);
  /* a key that shares its first 8 bytes with a transaction key but not the rest */
  memcpy(req[2], c[1], 32);
  req[2][31] ^= 1;
  SOF_CHECK_EQ(sof_prefilter_match(&pf, lut.b, &lut.t), 0);
  pf.required_cnt = 2;
  SOF_CHECK_EQ(sof_prefilter_match(&pf, lut.b, &lut.t), 1);

  /* everything together: vote any, include one of c, required t0, exclude other */
  pf.include = (uint8_t const(*)[32])c;
  pf.include_cnt = 2;
  pf.required_cnt = 1;
  memcpy(exc[0], other, 32);
  pf.exclude_cnt = 1;
  SOF_CHECK_EQ(sof_prefilter_match(&pf, lut.b, &lut.t), 1);
  pf.vote = 1;
  SOF_CHECK_EQ(sof_prefilter_match(&pf, lut.b, &lut.t), 0);
}

int
main(void) {
  tt_init();
  test_names();
  test_prefilter();
  return sof_test_done("test_plugin_api");
}
