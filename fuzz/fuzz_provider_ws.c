/* fuzz_provider_ws: sof_pws_decode and sof_pws_decode_each (block
 * notifications too) over arbitrary bytes (a hostile websocket provider's
 * JSON-RPC notification). Invariants on every accepted transaction: its
 * bytes parse exactly and carry the decoded signature first; err_sz only
 * with failed; a block's slots come first and last, the count returned is
 * the messages emitted, rejections are named. */
#include <stdlib.h>
#include <string.h>

#include "provider/sof_provider_ws.h"
#include "sof_fuzz.h"

static void check_txn(sof_pmsg_txn_t const *x) {
  sof_txn_t t;
  if (!x->tx_sz || x->tx_sz > SOF_TXN_MTU) abort();
  if (sof_txn_parse(&t, x->tx, x->tx_sz, NULL) != SOF_TXN_OK) abort();
  if (memcmp(x->tx + t.sig_off, x->signature, 64)) abort();
  if (!x->failed && x->err_sz) abort();
}

typedef struct { int n, rej, last_kind; } each_t;

static void on_each(void *ctx, sof_pmsg_t const *m, int rej) {
  each_t *e = ctx;
  if (!m) {
    if (rej < 1 || rej > SOF_PMSG_REJ_CNT) abort();
    e->rej++;
    return;
  }
  if (m->kind == SOF_PMSG_TXN) check_txn(&m->txn);
  else if (m->kind != SOF_PMSG_SLOT) abort();
  e->n++;
  e->last_kind = m->kind;
}

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t sz) {
  static sof_pmsg_t m, s;
  each_t e = {0, 0, 0};
  int r = sof_pws_decode_each((char const *)data, sz, &s, on_each, &e);
  if (r < 0 ? (e.n || e.rej || -r > SOF_PMSG_REJ_CNT) : r != e.n) abort();
  if (e.n > 1 && e.last_kind != SOF_PMSG_SLOT) abort(); /* a block ends with its slot */
  int k = sof_pws_decode((char const *)data, sz, &m);
  if (k < 0) {
    if (-k < 1 || -k > SOF_PMSG_REJ_CNT) abort();
    return 0;
  }
  if (k == SOF_PMSG_TXN) {
    check_txn(&m.txn);
  } else if (k == SOF_PMSG_SLOT) {
    if (m.slot.status != SOF_PMSG_SLOT_PROCESSED) abort();
  } else if (k != SOF_PMSG_OTHER) {
    abort();
  }
  return 0;
}
