/* sof_provider_ws.h: a Solana websocket provider client
 * (transactionSubscribe + slotSubscribe, JSON-RPC over a websocket), the
 * websocket variant of sof_provider_grpc.h with the same configuration,
 * callback and counters.
 *
 * Protocol: after the upgrade the client sends
 *   {"jsonrpc":"2.0","id":1,"method":"transactionSubscribe","params":[
 *     {"vote":..,"failed":..,"accountInclude":[..],"accountExclude":[..],
 *      "accountRequired":[..]},
 *     {"commitment":"processed","encoding":"base64","transactionDetails":"full",
 *      "showRewards":false,"maxSupportedTransactionVersion":0}]}
 * (the enhanced websocket form of Helius / Triton, the only public servers
 * that offer transactionSubscribe) and, with slots, {"id":2,"method":
 * "slotSubscribe"}. With cfg.ws_blocks, blockSubscribe (Agave's, behind
 * --rpc-pubsub-enable-block-subscription) replaces transactionSubscribe:
 * params ["all" or {"mentionsAccountOrProgram": account_include[0]},
 * {commitment, encoding "base64", transactionDetails "full",
 * showRewards false, maxSupportedTransactionVersion 0}]; every
 * transaction of each block notification is delivered (the vote / failed
 * filters do not apply: the block holds them all). Notifications are decoded by sof_pws_decode: a
 * transactionNotification's transaction (base64 wire bytes, checked with
 * sof_txn_parse; its first signature must equal "signature" when given)
 * and meta (err: its compact JSON text, truncated to SOF_PMSG_ERR_MAX, as
 * the error bytes; fee; logMessages count; computeUnitsConsumed), a
 * slotNotification's slot and parent (status processed). Unlike Yellowstone
 * there is no replay: every reconnect is a counted gap (gaps, gap_slots at
 * the first slot after it), resume / from_slot are not offered.
 *
 * Library: libwebsockets (framing, masking, TLS through OpenSSL with SNI
 * and verification), jansson (JSON). Threads as sof_provider_grpc.h. */
#ifndef SOF_PROVIDER_WS_H
#define SOF_PROVIDER_WS_H

#include "provider/sof_provider_grpc.h"

/* Websocket-specific rejections reuse the decoder's reasons: UNPACK (not
 * JSON / not a notification object), NO_TXN, NO_SLOT, SIG_SIZE,
 * SIG_MISMATCH, TX_PARSE, TOO_LARGE. sof_pws_decode returns the kind
 * (SOF_PMSG_TXN, SOF_PMSG_SLOT), SOF_PMSG_OTHER for a subscription answer
 * or another method, or -SOF_PMSG_REJ_*. Pure, reentrant. */
int sof_pws_decode(char const *json, size_t len, sof_pmsg_t *out);

/* sof_pws_decode_each: any notification, blockNotification included; each
 * message it holds goes to emit(ctx, m, 0) (m valid during the call only):
 * one for a transaction or slot notification; for a block, a SLOT
 * (SOF_PMSG_SLOT_FIRST_SHRED, slot and parentSlot), each transaction (no
 * signature check: a block names none beside the bytes), then a SLOT
 * (SOF_PMSG_SLOT_PROCESSED: the block is complete). A block's transaction
 * that does not decode is skipped and reported as emit(ctx, NULL, reason).
 * Returns the messages emitted (0: a subscription answer, another method,
 * a block notice without a block), or -SOF_PMSG_REJ_* for the whole
 * notification (nothing emitted). scratch holds the message. Pure,
 * reentrant. */
typedef void (*sof_pws_emit_t)(void *ctx, sof_pmsg_t const *m, int rej);
int sof_pws_decode_each(char const *json, size_t len, sof_pmsg_t *scratch, sof_pws_emit_t emit, void *ctx);

typedef struct sof_pws sof_pws_t;

/* url: ws://host:port[/path] or wss://host[:port][/path]. The x_token, when
 * set, goes as the header "x-token" (and the path carries any api-key). */
sof_pws_t *sof_pws_new(sof_pgrpc_cfg_t const *cfg, sof_pgrpc_on_msg_t on_msg, void *ctx, char *err,
                       size_t err_sz);
int  sof_pws_start(sof_pws_t *c);
void sof_pws_stop(sof_pws_t *c);
void sof_pws_delete(sof_pws_t *c);
void sof_pws_stats(sof_pws_t const *c, sof_pgrpc_stats_t *out);

#endif
