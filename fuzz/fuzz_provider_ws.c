/* fuzz_provider_ws: sof_pws_decode over arbitrary bytes (a hostile
 * websocket provider's JSON-RPC notification). Invariants on every accepted
 * transaction: its bytes parse exactly and carry the decoded signature
 * first; err_sz only with failed. */
#include <stdlib.h>
#include <string.h>

#include "provider/sof_provider_ws.h"
#include "sof_fuzz.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t sz) {
  static sof_pmsg_t m;
  int k = sof_pws_decode((char const *)data, sz, &m);
  if (k < 0) {
    if (-k < 1 || -k > SOF_PMSG_REJ_CNT) abort();
    return 0;
  }
  if (k == SOF_PMSG_TXN) {
    sof_txn_t t;
    if (!m.txn.tx_sz || m.txn.tx_sz > SOF_TXN_MTU) abort();
    if (sof_txn_parse(&t, m.txn.tx, m.txn.tx_sz, NULL) != SOF_TXN_OK) abort();
    if (memcmp(m.txn.tx + t.sig_off, m.txn.signature, 64)) abort();
    if (!m.txn.failed && m.txn.err_sz) abort();
  } else if (k == SOF_PMSG_SLOT) {
    if (m.slot.status != SOF_PMSG_SLOT_PROCESSED) abort();
  } else if (k != SOF_PMSG_OTHER) {
    abort();
  }
  return 0;
}
