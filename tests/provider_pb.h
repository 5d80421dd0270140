/* provider_pb.h: a transaction as the structured protobuf a Yellowstone
 * server sends (SubscribeUpdate with a SubscribeUpdateTransaction), built
 * from a serialized transaction's parsed descriptor; pointers into the
 * transaction's bytes. Shared by tests/test_provider_msg.c and
 * bench/bench_provider.c. */
#ifndef SOF_PROVIDER_PB_H
#define SOF_PROVIDER_PB_H

#include <string.h>

#include "geyser.pb-c.h"
#include "wire/sof_txn.h"

typedef Solana__Storage__ConfirmedBlock__Transaction pb_tx_t;
typedef Solana__Storage__ConfirmedBlock__Message pb_msg_t;
typedef Solana__Storage__ConfirmedBlock__MessageHeader pb_hdr_t;
typedef Solana__Storage__ConfirmedBlock__CompiledInstruction pb_ix_t;
typedef Solana__Storage__ConfirmedBlock__MessageAddressTableLookup pb_alt_t;
typedef Solana__Storage__ConfirmedBlock__TransactionStatusMeta pb_meta_t;
typedef Solana__Storage__ConfirmedBlock__TransactionError pb_err_t;

/* The protobuf of one serialized transaction (pointing into b). */
typedef struct built {
  pb_tx_t tx;
  pb_msg_t msg;
  pb_hdr_t hdr;
  ProtobufCBinaryData sigs[SOF_TXN_SIG_MAX], keys[SOF_TXN_ACCT_ADDR_MAX];
  pb_ix_t ix[SOF_TXN_INSTR_MAX], *ixp[SOF_TXN_INSTR_MAX];
  pb_alt_t alt[SOF_TXN_ALT_MAX], *altp[SOF_TXN_ALT_MAX];
  Geyser__SubscribeUpdateTransactionInfo info;
  Geyser__SubscribeUpdateTransaction ut;
  Geyser__SubscribeUpdate u;
  pb_meta_t meta;
  pb_err_t err;
  char *logs[3];
} built_t;

static inline void build(built_t *w, uint8_t const *b, sof_txn_t const *t, uint64_t slot) {
  memset(w, 0, sizeof *w);
  solana__storage__confirmed_block__transaction__init(&w->tx);
  solana__storage__confirmed_block__message__init(&w->msg);
  solana__storage__confirmed_block__message_header__init(&w->hdr);
  for (unsigned i = 0; i < t->sig_cnt; i++) w->sigs[i] = (ProtobufCBinaryData){64, (uint8_t *)b + t->sig_off + 64 * i};
  w->tx.n_signatures = t->sig_cnt;
  w->tx.signatures = w->sigs;
  w->hdr.has_num_required_signatures = w->hdr.has_num_readonly_signed_accounts =
    w->hdr.has_num_readonly_unsigned_accounts = 1;
  w->hdr.num_required_signatures = t->num_required_signatures;
  w->hdr.num_readonly_signed_accounts = t->num_readonly_signed;
  w->hdr.num_readonly_unsigned_accounts = t->num_readonly_unsigned;
  w->msg.header = &w->hdr;
  for (unsigned i = 0; i < t->acct_cnt; i++) w->keys[i] = (ProtobufCBinaryData){32, (uint8_t *)b + t->acct_off + 32 * i};
  w->msg.n_account_keys = t->acct_cnt;
  w->msg.account_keys = w->keys;
  w->msg.has_recent_blockhash = 1;
  w->msg.recent_blockhash = (ProtobufCBinaryData){32, (uint8_t *)b + t->blockhash_off};
  for (unsigned i = 0; i < t->instr_cnt; i++) {
    solana__storage__confirmed_block__compiled_instruction__init(&w->ix[i]);
    w->ix[i].has_program_id_index = w->ix[i].has_accounts = w->ix[i].has_data = 1;
    w->ix[i].program_id_index = t->instr[i].program_idx;
    w->ix[i].accounts = (ProtobufCBinaryData){t->instr[i].acct_cnt, (uint8_t *)sof_txn_instr_accts(t, b, i)};
    w->ix[i].data = (ProtobufCBinaryData){t->instr[i].data_sz, (uint8_t *)sof_txn_instr_data(t, b, i)};
    w->ixp[i] = &w->ix[i];
  }
  w->msg.n_instructions = t->instr_cnt;
  w->msg.instructions = w->ixp;
  w->msg.has_versioned = 1;
  w->msg.versioned = t->version == SOF_TXN_VERSION_V0;
  for (unsigned k = 0; k < t->alt_cnt; k++) {
    solana__storage__confirmed_block__message_address_table_lookup__init(&w->alt[k]);
    w->alt[k].has_account_key = w->alt[k].has_writable_indexes = w->alt[k].has_readonly_indexes = 1;
    w->alt[k].account_key = (ProtobufCBinaryData){32, (uint8_t *)sof_txn_alt_key(t, b, k)};
    w->alt[k].writable_indexes = (ProtobufCBinaryData){t->alt[k].writable_cnt, (uint8_t *)b + t->alt[k].writable_off};
    w->alt[k].readonly_indexes = (ProtobufCBinaryData){t->alt[k].readonly_cnt, (uint8_t *)b + t->alt[k].readonly_off};
    w->altp[k] = &w->alt[k];
  }
  w->msg.n_address_table_lookups = t->alt_cnt;
  w->msg.address_table_lookups = w->altp;
  w->tx.message = &w->msg;
  geyser__subscribe_update_transaction_info__init(&w->info);
  w->info.has_signature = 1;
  w->info.signature = w->sigs[0];
  w->info.transaction = &w->tx;
  geyser__subscribe_update_transaction__init(&w->ut);
  w->ut.transaction = &w->info;
  w->ut.has_slot = 1;
  w->ut.slot = slot;
  geyser__subscribe_update__init(&w->u);
  w->u.update_oneof_case = GEYSER__SUBSCRIBE_UPDATE__UPDATE_ONEOF_TRANSACTION;
  w->u.transaction = &w->ut;
}

#endif
