/* sof_event_json.c: see sof_event_json.h. */
#include "pipeline/sof_event_json.h"

void
sof_event_json_txn(sof_json_t *j, uint8_t const *p, sof_txn_t const *t) {
  sof_json_key(j, "signature"); sof_json_b58_64(j, sof_txn_sig(t, p, 0));
  sof_json_key(j, "version");
  if (t->version == SOF_TXN_VERSION_LEGACY) sof_json_str(j, "legacy");
  else                                      sof_json_u64(j, t->version);
  sof_json_key(j, "kind");          sof_json_str(j, sof_txn_kind_str(t->kind));
  sof_json_key(j, "simpleVote");    sof_json_bool(j, t->simple_vote);
  sof_json_key(j, "numSignatures"); sof_json_u64(j, t->sig_cnt);
  sof_json_key(j, "header");
  sof_json_arr_begin(j);
  sof_json_u64(j, t->num_required_signatures);
  sof_json_u64(j, t->num_readonly_signed);
  sof_json_u64(j, t->num_readonly_unsigned);
  sof_json_arr_end(j);
  sof_json_key(j, "accountKeys");
  sof_json_arr_begin(j);
  for (unsigned i = 0; i < t->acct_cnt; i++) sof_json_b58_32(j, sof_txn_acct_key(t, p, i));
  sof_json_arr_end(j);
  sof_json_key(j, "recentBlockhash"); sof_json_b58_32(j, sof_txn_blockhash(t, p));
  sof_json_key(j, "numInstructions"); sof_json_u64(j, t->instr_cnt);
  sof_json_key(j, "programIds");
  sof_json_arr_begin(j);
  for (unsigned i = 0; i < t->instr_cnt; i++)
    sof_json_b58_32(j, sof_txn_instr_program(t, p, i));
  sof_json_arr_end(j);
  sof_json_key(j, "lookupTables");
  sof_json_arr_begin(j);
  for (unsigned i = 0; i < t->alt_cnt; i++) {
    sof_txn_alt_t const *a = &t->alt[i];
    sof_json_obj_begin(j);
    sof_json_key(j, "accountKey");      sof_json_b58_32(j, p + a->key_off);
    sof_json_key(j, "writableIndexes");
    sof_json_arr_begin(j);
    for (unsigned k = 0; k < a->writable_cnt; k++) sof_json_u64(j, p[a->writable_off + k]);
    sof_json_arr_end(j);
    sof_json_key(j, "readonlyIndexes");
    sof_json_arr_begin(j);
    for (unsigned k = 0; k < a->readonly_cnt; k++) sof_json_u64(j, p[a->readonly_off + k]);
    sof_json_arr_end(j);
    sof_json_obj_end(j);
  }
  sof_json_arr_end(j);
  sof_json_key(j, "size"); sof_json_u64(j, t->sz);
}

void
sof_event_json_dataset(sof_json_t *j, sof_reasm_batch_t const *b, sof_entry_batch_t const *eb,
                       int err) {
  sof_json_key(j, "slot");            sof_json_u64(j, b->slot);
  sof_json_key(j, "parent");          sof_json_u64(j, b->parent);
  sof_json_key(j, "startIndex");      sof_json_u64(j, b->start_idx);
  sof_json_key(j, "endIndex");        sof_json_u64(j, b->end_idx);
  sof_json_key(j, "lastInSlot");      sof_json_bool(j, b->last_in_slot);
  sof_json_key(j, "slotComplete");    sof_json_bool(j, b->slot_complete);
  sof_json_key(j, "shreds");          sof_json_u64(j, b->shred_cnt);
  sof_json_key(j, "payloadLen");      sof_json_u64(j, b->payload_sz);
  sof_json_key(j, "recoveredShreds"); sof_json_u64(j, b->recovered_cnt);
  sof_json_key(j, "batchKind");       sof_json_str(j, sof_entry_batch_kind_str(eb->kind));
  sof_json_key(j, "entries");         sof_json_u64(j, eb->entry_cnt);
  sof_json_key(j, "ticks");           sof_json_u64(j, eb->tick_cnt);
  sof_json_key(j, "txCount");         sof_json_u64(j, eb->txn_cnt);
  if (err) {
    sof_json_key(j, "error"); sof_json_str(j, sof_entry_err_str(err));
  } else {
    sof_json_key(j, "trailingZeros"); sof_json_u64(j, eb->trailing);
  }
}
