/* fuzz_provider: sof_pmsg_decode over arbitrary bytes (a hostile Yellowstone
 * server's SubscribeUpdate). Invariants checked on every accepted update: a
 * transaction's rebuilt bytes parse exactly (sof_txn_parse) and carry the
 * decoded signature first; err_sz only claims bytes when failed; a slot's
 * status is a known one; rejections are named. */
#include <stdlib.h>
#include <string.h>

#include "provider/sof_provider_msg.h"
#include "sof_fuzz.h"

int LLVMFuzzerTestOneInput(uint8_t const *data, size_t sz) {
  static sof_pmsg_t m;
  int k = sof_pmsg_decode(data, sz, &m);
  if (k < 0) {
    if (-k < 1 || -k > SOF_PMSG_REJ_CNT || !strcmp(sof_pmsg_rej_str(-k), "?")) abort();
    return 0;
  }
  switch (k) {
  case SOF_PMSG_TXN: {
    sof_txn_t t;
    if (m.txn.tx_sz == 0 || m.txn.tx_sz > SOF_TXN_MTU) abort();
    if (sof_txn_parse(&t, m.txn.tx, m.txn.tx_sz, NULL) != SOF_TXN_OK) abort();
    if (memcmp(m.txn.tx + t.sig_off, m.txn.signature, 64)) abort();
    if (!m.txn.has_meta && (m.txn.failed || m.txn.err_sz || m.txn.fee || m.txn.log_cnt)) abort();
    if (!m.txn.failed && m.txn.err_sz) abort();
    break;
  }
  case SOF_PMSG_SLOT:
    if (!strcmp(sof_pmsg_slot_status_str(m.slot.status), "?")) abort();
    break;
  case SOF_PMSG_TXN_STATUS:
    if (!m.status.failed && m.status.err_sz) abort();
    break;
  case SOF_PMSG_PING: case SOF_PMSG_PONG: case SOF_PMSG_OTHER:
    break;
  default:
    abort();
  }
  return 0;
}
