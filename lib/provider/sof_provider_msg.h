/* sof_provider_msg.h: decoding of a processed provider's messages (the
 * Yellowstone gRPC SubscribeUpdate) into what sofd delivers.
 *
 * A Yellowstone stream carries transactions as structured protobuf
 * (solana.storage.ConfirmedBlock.Transaction), not as the wire bytes the
 * plugins' hooks carry. sof_pmsg_decode unpacks one SubscribeUpdate with the
 * protobuf-c code generated from proto/geyser.proto and, for a transaction,
 * rebuilds its serialized form (legacy or v0, exactly the bytes a leader
 * would have put in an entry: signatures, message header, static keys,
 * recent blockhash, instructions, address table lookups) and checks it with
 * sof_txn_parse; the rebuilt transaction's first signature must equal the
 * update's signature. Its execution outcome (the meta) is carried beside:
 * error present or not (with the bincode TransactionError bytes, truncated
 * to SOF_PMSG_ERR_MAX), fee, log message count, compute units.
 *
 * Input is untrusted (a remote server): every length is bounded, every
 * rejection is a named reason (SOF_PMSG_REJ_*), no input can make the
 * decoder read outside it. Pure C, no EAL; fuzzed by fuzz/fuzz_provider.c.
 *
 * Threads: sof_pmsg_decode is reentrant (protobuf-c's default allocator,
 * malloc; everything it unpacked is freed before it returns: the output is
 * self-contained). */
#ifndef SOF_PROVIDER_MSG_H
#define SOF_PROVIDER_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "wire/sof_txn.h"

/* Largest SubscribeUpdate accepted (bytes of the protobuf message). A
 * transaction update is a few KiB with its logs; blocks are not asked for. */
#define SOF_PMSG_MAX_SZ   (4u << 20)
#define SOF_PMSG_ERR_MAX  64u   /* bytes of the TransactionError kept */

/* What a decoded update is. */
#define SOF_PMSG_TXN        1  /* a transaction with its meta */
#define SOF_PMSG_SLOT       2  /* a slot status update */
#define SOF_PMSG_PING       3  /* server keepalive (SubscribeUpdatePing) */
#define SOF_PMSG_PONG       4  /* answer to our SubscribeRequestPing */
#define SOF_PMSG_TXN_STATUS 5  /* a transaction's outcome without its body */
#define SOF_PMSG_OTHER      6  /* a kind sofd does not use (account, block, ...) */

/* Slot statuses as Yellowstone names them (geyser.SlotStatus). */
#define SOF_PMSG_SLOT_PROCESSED          0
#define SOF_PMSG_SLOT_CONFIRMED          1
#define SOF_PMSG_SLOT_FINALIZED          2
#define SOF_PMSG_SLOT_FIRST_SHRED        3
#define SOF_PMSG_SLOT_COMPLETED          4
#define SOF_PMSG_SLOT_CREATED_BANK       5
#define SOF_PMSG_SLOT_DEAD               6
#define SOF_PMSG_SLOT_STATUS_CNT         7

/* Rejections (sof_pmsg_decode's negative returns). */
#define SOF_PMSG_REJ_LIST(X)                                                        \
  X(TOO_LARGE,     "too_large")     /* message above SOF_PMSG_MAX_SZ */             \
  X(UNPACK,        "unpack")        /* not a valid SubscribeUpdate protobuf */      \
  X(EMPTY,         "empty")         /* no update in the oneof */                    \
  X(NO_TXN,        "no_txn")        /* transaction update without its info/body */  \
  X(NO_SLOT,       "no_slot")       /* update without its slot */                   \
  X(SIG_SIZE,      "sig_size")      /* a signature not 64 bytes */                  \
  X(SIG_CNT,       "sig_cnt")       /* no signature, or above SOF_TXN_SIG_MAX */    \
  X(SIG_MISMATCH,  "sig_mismatch")  /* update signature != the body's first */      \
  X(NO_MESSAGE,    "no_message")    /* transaction without message or header */     \
  X(HEADER_RANGE,  "header_range")  /* a header count above 255 */                  \
  X(KEY_SIZE,      "key_size")      /* an account / table key not 32 bytes */       \
  X(KEY_CNT,       "key_cnt")       /* more static keys than SOF_TXN_ACCT_ADDR_MAX */\
  X(BLOCKHASH,     "blockhash")     /* recent blockhash not 32 bytes */             \
  X(INSTR,         "instr")         /* instruction: program index > 255, too many */\
  X(LOOKUP,        "lookup")        /* lookups in a legacy message, too many */     \
  X(TX_TOO_LARGE,  "tx_too_large")  /* rebuilt transaction above SOF_TXN_MTU */     \
  X(TX_PARSE,      "tx_parse")      /* rebuilt bytes refused by sof_txn_parse */    \
  X(SLOT_STATUS,   "slot_status")   /* unknown slot status value */

enum {
  SOF_PMSG_REJ_NONE_ = 0,
#define SOF_PMSG_REJ_ENUM_(n, s) SOF_PMSG_REJ_##n,
  SOF_PMSG_REJ_LIST(SOF_PMSG_REJ_ENUM_)
#undef SOF_PMSG_REJ_ENUM_
  SOF_PMSG_REJ_END_
};
#define SOF_PMSG_REJ_CNT (SOF_PMSG_REJ_END_ - 1)

typedef struct sof_pmsg_txn {
  uint64_t slot;
  uint64_t index;             /* position in the block (provider's); 0 when absent */
  uint8_t  signature[64];
  uint8_t  is_vote;           /* the provider's classification */
  uint8_t  has_meta;          /* 0: the update carried no meta (outcome unknown) */
  uint8_t  failed;            /* meta.err present */
  uint8_t  has_cu;
  uint32_t err_sz;            /* full size of the error bytes (kept: min(err_sz, MAX)) */
  uint8_t  err[SOF_PMSG_ERR_MAX];
  uint64_t fee;
  uint64_t compute_units;
  uint32_t log_cnt;           /* log messages given (0 with log_none too) */
  uint8_t  log_none;          /* the provider said logs are absent (not just empty) */
  uint16_t tx_sz;             /* rebuilt serialized transaction, tx[0, tx_sz) */
  uint8_t  tx[SOF_TXN_MTU];
} sof_pmsg_txn_t;

typedef struct sof_pmsg_slot {
  uint64_t slot;
  uint64_t parent;            /* UINT64_MAX when absent */
  int      status;            /* SOF_PMSG_SLOT_* */
} sof_pmsg_slot_t;

typedef struct sof_pmsg_status {  /* SubscribeUpdateTransactionStatus */
  uint64_t slot;
  uint8_t  signature[64];
  uint8_t  is_vote;
  uint8_t  failed;
  uint32_t err_sz;
  uint8_t  err[SOF_PMSG_ERR_MAX];
} sof_pmsg_status_t;

typedef struct sof_pmsg {
  int      kind;              /* SOF_PMSG_* */
  uint64_t created_at_ns;     /* server's created_at (unix ns), 0 when absent */
  union {
    sof_pmsg_txn_t    txn;
    sof_pmsg_slot_t   slot;
    sof_pmsg_status_t status;
    int32_t           pong_id;
  };
} sof_pmsg_t;

#ifdef __cplusplus
extern "C" {
#endif

/* sof_pmsg_decode: decodes the SubscribeUpdate in [buf, buf+sz) (one gRPC
 * message, without its 5-byte frame header) into *out. Returns the kind
 * (> 0) or -SOF_PMSG_REJ_* (out then holds nothing usable). */
int sof_pmsg_decode(uint8_t const *buf, size_t sz, sof_pmsg_t *out);

/* sof_pmsg_rej_str: "too_large", ... for a SOF_PMSG_REJ_* (positive), "?"
 * otherwise. sof_pmsg_slot_status_str: "processed", "confirmed",
 * "finalized", "first_shred_received", "completed", "created_bank", "dead". */
char const *sof_pmsg_rej_str(int rej);
char const *sof_pmsg_slot_status_str(int status);

#ifdef __cplusplus
}
#endif

#endif
