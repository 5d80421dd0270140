/* sof_entry.h: zero-copy parser for entry batches, the payload that data
 * shreds carry once reassembled (docs wire-format.md section 4).
 *
 * A batch is bincode Vec<Entry> (little-endian):
 *
 *   u64 entry_cnt
 *   entry_cnt x { u64 num_hashes, 32-byte hash, u64 txn_cnt,
 *                 txn_cnt x transaction in wire form (sof_txn.h) }
 *   zero padding (accepted, counted; any non-zero byte is an error)
 *
 * An entry with no transaction is a tick.
 *
 * Alpenglow block markers (Agave entry/src/block_component.rs,
 * BlockComponent::BlockMarker) share the framing: a u64 entry count of 0,
 * then VersionedBlockMarker: u16 version (1 = V1), and for V1 a TLV
 *   u8 variant (0 footer, 1 header, 2 update_parent, 3 genesis_certificate),
 *   u16 byte length, that many payload bytes.
 * A zero count followed only by zero bytes (in particular exactly 8 zero
 * bytes, which Alpenglow uses for an empty batch = aborted block) is reported
 * as an EMPTY batch, not a marker: version 0 does not exist, and zero padding
 * is legal after any batch.  Anything else after a zero count is a marker,
 * never entries.
 *
 * Two ways to read a batch, sharing one implementation:
 *   - sof_entry_batch_parse: validate everything, return a summary;
 *   - sof_entry_iter_*: walk entries and, inside each, transactions, getting
 *     each transaction's descriptor and byte range without copying.
 *
 * Plausibility is checked before any loop: an entry takes at least
 * SOF_ENTRY_MIN_SZ bytes and a transaction at least SOF_TXN_MIN_SZ, so a
 * count that cannot fit in the remaining bytes is rejected at once (no
 * 2^64-iteration loop on garbage).
 *
 * Pure C11 + libc, no allocation, no global state: reentrant; concurrent use
 * of distinct iterators / summaries is safe. */
#ifndef SOF_ENTRY_H
#define SOF_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "sof_txn.h"

#define SOF_ENTRY_CNT_SZ  8   /* u64 entry count at the start of a batch */
#define SOF_ENTRY_MIN_SZ  48  /* num_hashes + hash + txn count, no txn */
#define SOF_ENTRY_HASH_SZ 32

/* Batch kinds (sof_entry_batch_t.kind, sof_entry_iter_t.kind). */
#define SOF_ENTRY_BATCH_ENTRIES 0 /* entry_cnt >= 1 entries */
#define SOF_ENTRY_BATCH_EMPTY   1 /* count 0, nothing but zeros after */
#define SOF_ENTRY_BATCH_MARKER  2 /* Alpenglow block marker */

/* Block marker version (sof_entry_marker_t.version) and V1 variants
 * (sof_entry_marker_t.variant). */
#define SOF_ENTRY_MARKER_VERSION_V1       1
#define SOF_ENTRY_MARKER_FOOTER           0
#define SOF_ENTRY_MARKER_HEADER           1
#define SOF_ENTRY_MARKER_UPDATE_PARENT    2
#define SOF_ENTRY_MARKER_GENESIS_CERT     3
#define SOF_ENTRY_MARKER_VARIANT_CNT      4

/* Error codes: 0 ok, negative errors, stable (see sof_entry_err_str). */
#define SOF_ENTRY_OK                    0
#define SOF_ENTRY_ERR_SHORT             (-1)  /* batch shorter than 8 bytes */
#define SOF_ENTRY_ERR_ENTRY_CNT         (-2)  /* entry count > what bytes can hold */
#define SOF_ENTRY_ERR_TRUNCATED         (-3)  /* input ends inside an entry header */
#define SOF_ENTRY_ERR_TXN_CNT           (-4)  /* txn count > what bytes can hold */
#define SOF_ENTRY_ERR_TXN               (-5)  /* a transaction failed to parse;
                                                 the sof_txn error is in txn_err */
#define SOF_ENTRY_ERR_TRAILING          (-6)  /* non-zero byte after the batch */
#define SOF_ENTRY_ERR_MARKER_TRUNCATED  (-7)  /* marker header/payload cut short */
#define SOF_ENTRY_ERR_MARKER_VERSION    (-8)  /* marker version is not 1 */
#define SOF_ENTRY_ERR_MARKER_VARIANT    (-9)  /* V1 marker variant is not 0..3 */
#define SOF_ENTRY_ERR_CNT               9

/* A block marker (valid when kind == SOF_ENTRY_BATCH_MARKER; version is set
 * even when the marker is then rejected, so callers can count versions). */
typedef struct sof_entry_marker {
  uint16_t version;     /* VersionedBlockMarker tag, 1 = V1 */
  uint8_t  variant;     /* V1: SOF_ENTRY_MARKER_* */
  uint16_t payload_sz;  /* V1: TLV length */
  size_t   payload_off; /* V1: offset of the payload in the batch */
} sof_entry_marker_t;

/* One entry header, as yielded by sof_entry_iter_next. */
typedef struct sof_entry {
  uint64_t        idx;        /* index of the entry in its batch */
  uint64_t        num_hashes; /* PoH hashes since the previous entry */
  uint8_t const * hash;       /* 32 bytes, points into the batch buffer */
  uint64_t        txn_cnt;    /* transactions; 0 = tick */
  size_t          off;        /* offset of the entry in the batch */
  size_t          txn_off;    /* offset of its first transaction */
} sof_entry_t;

/* Iterator state.  Fields are readable (not writable) by callers:
 *   off         bytes of the batch consumed so far;
 *   err         sticky first error (0 while fine), err_off where it was met,
 *               txn_err the sof_txn code when err == SOF_ENTRY_ERR_TXN;
 *   done        1 once the batch has been fully validated, then trailing is
 *               the count of (zero) bytes after the entries or marker. */
typedef struct sof_entry_iter {
  uint8_t const *    buf;
  size_t             buf_sz;
  size_t             off;
  int                kind;
  int                err;
  int                txn_err;
  int                done;
  size_t             err_off;
  size_t             trailing;
  uint64_t           entry_cnt;  /* declared entries */
  uint64_t           entry_idx;  /* entries started */
  uint64_t           txn_left;   /* txns of the current entry not yet read */
  uint64_t           txn_idx;    /* next txn index in the current entry */
  sof_entry_marker_t marker;
} sof_entry_iter_t;

/* Summary of a whole batch (sof_entry_batch_parse). */
typedef struct sof_entry_batch {
  int                kind;            /* SOF_ENTRY_BATCH_* */
  uint64_t           entry_cnt;       /* entries fully parsed */
  uint64_t           tick_cnt;        /* of which with 0 transactions */
  uint64_t           txn_cnt;         /* transactions parsed */
  uint64_t           simple_vote_cnt; /* Agave simple votes among them */
  uint64_t           kind_cnt[SOF_TXN_KIND_CNT]; /* per SOF_TXN_KIND_* */
  uint64_t           num_hashes;      /* sum over entries, saturating */
  size_t             consumed;        /* bytes of count + entries / marker */
  size_t             trailing;        /* zero bytes after them */
  sof_entry_marker_t marker;          /* kind == SOF_ENTRY_BATCH_MARKER */
  int                txn_err;         /* when SOF_ENTRY_ERR_TXN */
  size_t             err_off;         /* where the error was detected */
} sof_entry_batch_t;

#ifdef __cplusplus
extern "C" {
#endif

/* sof_entry_iter_init: starts iterating the batch [buf, buf+buf_sz).  Reads
 * the entry count and checks it is plausible; for a zero count, classifies
 * and fully validates the EMPTY batch or the block marker (fills
 * it->marker) right away, after which sof_entry_iter_next returns 0.
 *
 * Preconditions: it non-NULL; buf readable for buf_sz bytes (NULL ok when
 * buf_sz is 0).
 * Returns SOF_ENTRY_OK, or a negative SOF_ENTRY_ERR_* (also stored in
 * it->err; it->kind/marker are still filled for a rejected marker).
 * Lifetime: the iterator and everything it yields borrow buf, which must
 * stay alive and unmodified while they are used.  Thread safety: one thread
 * per iterator. */
int
sof_entry_iter_init(sof_entry_iter_t *it, void const *buf, size_t buf_sz);

/* sof_entry_iter_next: moves to the next entry and fills *out with its
 * header.  Transactions of the previous entry that the caller did not read
 * with sof_entry_iter_next_txn are parsed (validated) and skipped first.
 * After the last entry it checks the bytes that follow are all zero, sets
 * it->done and it->trailing.
 *
 * Returns 1 when an entry was yielded, 0 at the end of a valid batch (also
 * for EMPTY and MARKER batches), or a negative SOF_ENTRY_ERR_* (sticky: later
 * calls return it again).  *out is written only when 1 is returned; out->hash
 * points into buf.  Thread safety: one thread per iterator. */
int
sof_entry_iter_next(sof_entry_iter_t *it, sof_entry_t *out);

/* sof_entry_iter_next_txn: parses the next transaction of the current entry
 * (the one the last sof_entry_iter_next yielded) into *txn; its bytes are
 * [buf + *txn_off, buf + *txn_off + *txn_sz), and txn's offsets are relative
 * to buf + *txn_off.  txn_off / txn_sz may be NULL.
 *
 * Returns 1 when a transaction was yielded, 0 when the current entry has no
 * more (or no entry is current), or a negative SOF_ENTRY_ERR_* (sticky; for a
 * transaction that fails, SOF_ENTRY_ERR_TXN with it->txn_err set).
 * Thread safety: one thread per iterator. */
int
sof_entry_iter_next_txn(sof_entry_iter_t *it, sof_txn_t *txn,
                        size_t *txn_off, size_t *txn_sz);

/* sof_entry_batch_parse: validates a whole batch [buf, buf+buf_sz) and
 * fills *out: kind, counts, bytes consumed and trailing zero bytes (consumed +
 * trailing == buf_sz on success), the marker for marker batches.
 *
 * Returns SOF_ENTRY_OK or a negative SOF_ENTRY_ERR_*; on error *out holds the
 * counts of what parsed before the failure, err_off and (for
 * SOF_ENTRY_ERR_TXN) txn_err.  Preconditions as sof_entry_iter_init.  The
 * summary holds no pointer into buf.  Thread safety: reentrant. */
int
sof_entry_batch_parse(sof_entry_batch_t *out, void const *buf, size_t buf_sz);

/* sof_entry_err_str: stable snake_case name of a SOF_ENTRY_* code ("ok" for
 * 0, e.g. "trailing_nonzero"), "unknown" for other values.  Static string;
 * thread safe. */
char const *
sof_entry_err_str(int err);

/* sof_entry_batch_kind_str: "entries", "empty" or "marker"; "unknown" for
 * other values.  Static string; thread safe. */
char const *
sof_entry_batch_kind_str(int kind);

/* sof_entry_marker_variant_str: "footer", "header", "update_parent",
 * "genesis_certificate"; "unknown" for other values.  Static string; thread
 * safe. */
char const *
sof_entry_marker_variant_str(int variant);

#ifdef __cplusplus
}
#endif

#endif /* SOF_ENTRY_H */
