/* sof_event_json.h: the JSON fields of a transaction and of a dataset, in
 * Solana's conventions (camelCase keys; base58 signatures, keys, hashes).
 * Shared by sof-dump and sofd's transaction log so both print the same
 * lines. Each function writes key/value pairs into an object the caller has
 * opened (and closes). No allocation; thread safe per writer. */
#ifndef SOF_PIPELINE_EVENT_JSON_H
#define SOF_PIPELINE_EVENT_JSON_H

#include <stdint.h>

#include "resolve/sof_reasm.h"
#include "util/sof_json.h"
#include "wire/sof_entry.h"
#include "wire/sof_txn.h"

/* sof_event_json_txn writes signature, version ("legacy" or 0), kind,
 * simpleVote, numSignatures, header, accountKeys, recentBlockhash,
 * numInstructions, programIds, lookupTables and size of the transaction t
 * whose bytes start at p. */
void sof_event_json_txn(sof_json_t *j, uint8_t const *p, sof_txn_t const *t);

/* sof_event_json_dataset writes slot, parent, startIndex, endIndex,
 * lastInSlot, slotComplete, shreds, payloadLen, recoveredShreds, batchKind,
 * entries, ticks, txCount, and either "error" (err != 0,
 * sof_entry_err_str) or trailingZeros, for batch b summarised by eb. */
void sof_event_json_dataset(sof_json_t *j, sof_reasm_batch_t const *b, sof_entry_batch_t const *eb,
                            int err);

#endif /* SOF_PIPELINE_EVENT_JSON_H */
