/* grpc_ring.h: the grpc plugin's broadcast ring: one producer (the
 * plugin's hooks, which the host serialises), any number of cursors read
 * by one consumer thread (the gRPC server thread).
 *
 * The producer encodes each event once into a record and never waits: a
 * record that needs room overwrites the oldest ones (the tail moves
 * forward). A reader holds a cursor (a byte position and the sequence
 * number of the record there); grpc_ring_peek copies a record out and then
 * checks that the producer had not overwritten it meanwhile (the tail is
 * published before the bytes are rewritten, a seqlock on positions): a
 * cursor that the tail passed has lost the records in between, which the
 * reader counts. Memory: cap bytes, allocated and touched at create.
 *
 * Records are 8-byte aligned, at most cap / 4 bytes, never split at the
 * end of the buffer (a pad record fills the rest). Positions and sequence
 * numbers only grow (64 bits: no wrap in practice). */
#ifndef SOF_GRPC_RING_H
#define SOF_GRPC_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Record kinds. */
#define GRPC_REC_PAD       0 /* filler up to the end of the buffer */
#define GRPC_REC_TXN       1 /* payload: solana.storage Transaction */
#define GRPC_REC_SLOT      2 /* payload: geyser.SubscribeUpdateSlot */
#define GRPC_REC_ENTRY     3 /* payload: geyser.SubscribeUpdateEntry */
#define GRPC_REC_DATASET   4 /* payload: the dataset's bytes (bincode Vec<Entry>) */
#define GRPC_REC_BLOCKHASH 5 /* payload: 32-byte blockhash (chain state only) */
#define GRPC_REC_BLOCK_META 6 /* payload: geyser.SubscribeUpdateBlockMeta (the slot's block is whole) */
#define GRPC_REC_DSINFO    7 /* no payload: a completed dataset's place (grpc_layout.h) */

/* Record header. For TXN: a = dataset start shred index, b = the
 * dataset's end shred index + 1 (0: unknown), c = its position in its
 * dataset, flags bit 0 = Agave simple vote, loc = where the signature and
 * keys are in the payload. For SLOT: a = the SlotStatus, b = 1 when the
 * slot status is a commitment one (processed / confirmed / finalized). For
 * DSINFO: a = start shred index, b = end shred index + 1, c = transactions,
 * d = entries, key_cnt = 1 when last in slot. */
typedef struct grpc_rec {
  uint32_t sz;        /* whole record: header + payload, padded to 8 */
  uint16_t kind;      /* GRPC_REC_* */
  uint16_t flags;
  uint64_t seq;       /* 0, 1, 2, ... in publish order (pad records have none) */
  uint64_t slot;
  uint64_t rx_tsc;    /* the event's RX burst (0 unknown) */
  int64_t  ts_sec;    /* wall clock at encoding: created_at */
  int32_t  ts_nsec;
  uint32_t payload_sz;
  uint32_t a;
  uint32_t b;
  uint32_t sig_off;   /* TXN */
  uint32_t keys_off;
  uint32_t key_stride;
  uint32_t key_cnt;
  uint32_t c, d;
  uint64_t tip, confirmed, finalized; /* the chain's watermarks at the event */
  uint64_t commit_tsc;/* the TSC when the hook committed it (stage timing) */
} grpc_rec_t;

#define GRPC_REC_FLAG_VOTE 1U

typedef struct grpc_ring {
  uint8_t         *buf;
  uint64_t         cap;     /* power of two */
  _Atomic uint64_t head;    /* bytes published */
  _Atomic uint64_t tail;    /* oldest readable record's position */
  _Atomic uint64_t next_seq;/* sequence number the next record gets */
  uint64_t         too_big; /* records refused: larger than cap / 4 */
} grpc_ring_t;

/* grpc_ring_init: cap bytes (power of two, >= 64 KiB). 0 or -1 (ENOMEM). */
int grpc_ring_init(grpc_ring_t *r, uint64_t cap);
void grpc_ring_fini(grpc_ring_t *r);

/* grpc_ring_reserve: room for a record of hdr_payload_sz payload bytes;
 * returns where to write the payload (the header is filled by
 * grpc_ring_commit), or NULL when the record is larger than cap / 4
 * (counted too_big). Producer only; one reservation at a time. */
uint8_t *grpc_ring_reserve(grpc_ring_t *r, uint32_t payload_max);

/* grpc_ring_commit: publishes the reserved record with hdr (sz, seq set
 * here) and payload_sz <= the reserved payload_max. Returns its seq. */
uint64_t grpc_ring_commit(grpc_ring_t *r, grpc_rec_t *hdr, uint32_t payload_sz);

/* A reader's position. */
typedef struct grpc_cursor {
  uint64_t pos;
  uint64_t seq;   /* sequence number expected next */
  uint64_t lost;  /* records the producer overwrote before this cursor read them */
} grpc_cursor_t;

/* grpc_ring_cursor_now: a cursor at the head (only records published from
 * now on). Consumer thread. */
void grpc_ring_cursor_now(grpc_ring_t *r, grpc_cursor_t *c);

/* grpc_ring_peek: the next record at or after c: header into *hdr and
 * payload into out[0..out_cap) (a payload larger than out_cap is not
 * copied: returns 2). Returns 1 (copied), 2, or 0 when c is at the head
 * (nothing new). c is moved past pad records, and past records the
 * producer overwrote before c read them (added to c->lost), but not past
 * the record returned: grpc_ring_next does that, once the caller used it
 * (a record it cannot take yet stays next). Consumer thread. */
int grpc_ring_peek(grpc_ring_t *r, grpc_cursor_t *c, grpc_rec_t *hdr, uint8_t *out,
                   size_t out_cap);

/* grpc_ring_next: moves c past the record hdr that grpc_ring_peek
 * returned at c. */
static inline void
grpc_ring_next(grpc_cursor_t *c, grpc_rec_t const *hdr) {
  c->pos += hdr->sz;
  c->seq = hdr->seq + 1;
}

/* grpc_ring_lag: records published that c has not read. */
static inline uint64_t
grpc_ring_lag(grpc_ring_t *r, grpc_cursor_t const *c) {
  uint64_t n = atomic_load_explicit(&r->next_seq, memory_order_acquire);
  return n > c->seq ? n - c->seq : 0;
}

#endif /* SOF_GRPC_RING_H */
