/* sofd_extract.c: the extract role (one instance), polled by its lcore.
 *
 * Per burst (sofd_extract_poll): takes fec_extract messages in order; a
 * SOFD_MSG_DATASET's entry batch is decoded in place (extract_dataset: per
 * transaction an (offset, size, kind, entry) ref in the dataset block, the
 * first transaction's recent blockhash); every message goes on to dispatch
 * through extract_dispatch, a block ring (held in the stash when full,
 * never dropped: dispatch releases the blocks).
 *
 * Contract: state (sofd_extract_inst_t) written by its lcore only, counters
 * read racily elsewhere; no allocation, lock or log line per dataset. */
#include "sofd_pipe_int.h"

#include <string.h>

#include "wire/sof_entry.h"
#include "wire/sof_txn.h"

static void
extract_dataset(sofd_extract_inst_t *x, sofd_dataset_t *d) {
  sof_entry_iter_t it;
  sof_entry_t e;
  int rc;
  uint32_t n = 0;
  sof_entry_iter_init(&it, d->payload, d->payload_sz);
  while ((rc = sof_entry_iter_next(&it, &e)) == 1) {
    sof_txn_t t;
    size_t off, sz;
    int tr;
    while ((tr = sof_entry_iter_next_txn(&it, &t, &off, &sz)) == 1) {
      if (unlikely(n == d->ref_cap)) { /* cannot happen: a transaction is >= SOF_TXN_MIN_SZ */
        x->refs_overflow++;
        rc = -1;
        break;
      }
      if (!n) {
        memcpy(d->blockhash, d->payload + off + t.blockhash_off, 32);
        d->has_blockhash = 1;
      }
      d->refs[n++] = (sof_ev_txn_ref_t){.off = (uint32_t)off, .sz = (uint16_t)sz, .kind = t.kind,
                                        .entry_idx = (uint32_t)e.idx};
    }
    if (tr < 0) { rc = tr; break; }
    if (rc < 0) break;
  }
  if (rc == 0 && it.err) rc = it.err;
  x->datasets++;
  if (rc < 0) {
    d->decode_err = rc;
    d->txn_cnt = 0;
    d->has_blockhash = 0;
    x->decode_err++;
    return;
  }
  d->txn_cnt = n;
  d->entry_cnt = (uint32_t)it.entry_idx;
  x->txns += n;
  x->entries += it.entry_idx;
}

unsigned
sofd_extract_poll(sofd_extract_inst_t *x) {
  sofd_outq_flush(&x->out);
  if (x->out.stash_n && SOFD_STASH_MAX - x->out.stash_n < SOFD_MSG_BURST) return 0;
  sofd_msg_t m[SOFD_MSG_BURST];
  unsigned n = rte_ring_dequeue_burst_elem(x->in, m, sizeof(sofd_msg_t), SOFD_MSG_BURST, NULL);
  for (unsigned i = 0; i < n; i++) {
    if (m[i].kind == SOFD_MSG_DATASET) extract_dataset(x, (sofd_dataset_t *)(uintptr_t)m[i].arg);
    /* extract_dispatch is always a block ring (sofd_opts refuses drop: a
     * dataset extract counted must reach dispatch, which releases its
     * block): sofd_outq_put cannot drop here while the stash has room, which
     * the check above guarantees */
    sofd_outq_put(&x->out, &m[i]);
  }
  x->act.processed += n;
  return n;
}
