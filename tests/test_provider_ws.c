/* test_provider_ws: the websocket provider's decoder,
 * sof_pws_decode_each (lib/provider/sof_provider_ws.h): a
 * transactionNotification, a slotNotification, a blockNotification whose
 * transactions come out in order between the slot's sighting and its
 * completion (a bad one skipped and named), the notices that carry
 * nothing, and whole-notification rejections. Transactions are sof_txgen's,
 * base64 through OpenSSL. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "gen/sof_txgen.h"
#include "provider/sof_provider_ws.h"
#include "sof_test.h"

#define OUT_MAX 16

typedef struct got {
  int      n, rej[OUT_MAX], nrej;
  int      kind[OUT_MAX];
  uint64_t slot[OUT_MAX], parent[OUT_MAX];
  int      status[OUT_MAX];
  uint8_t  tx[OUT_MAX][SOF_TXN_MTU];
  uint16_t tx_sz[OUT_MAX];
  uint8_t  failed[OUT_MAX];
  uint64_t fee[OUT_MAX];
  uint32_t logs[OUT_MAX];
} got_t;

static void on_msg(void *ctx, sof_pmsg_t const *m, int rej) {
  got_t *g = ctx;
  if (!m) {
    if (g->nrej < OUT_MAX) g->rej[g->nrej++] = rej;
    return;
  }
  if (g->n >= OUT_MAX) return;
  int i = g->n++;
  g->kind[i] = m->kind;
  if (m->kind == SOF_PMSG_TXN) {
    g->slot[i] = m->txn.slot;
    memcpy(g->tx[i], m->txn.tx, m->txn.tx_sz);
    g->tx_sz[i] = m->txn.tx_sz;
    g->failed[i] = m->txn.failed;
    g->fee[i] = m->txn.fee;
    g->logs[i] = m->txn.log_cnt;
  } else {
    g->slot[i] = m->slot.slot;
    g->parent[i] = m->slot.parent;
    g->status[i] = m->slot.status;
  }
}

static int run(char const *json, got_t *g) {
  static sof_pmsg_t scratch;
  memset(g, 0, sizeof *g);
  return sof_pws_decode_each(json, strlen(json), &scratch, on_msg, g);
}

/* {"transaction":[b64,"base64"],"meta":{...}} of bytes b[0, n) */
static void txn_json(char *out, size_t cap, uint8_t const *b, long n, int failed, unsigned fee) {
  char b64[2 * SOF_TXN_MTU];
  EVP_EncodeBlock((unsigned char *)b64, b, (int)n);
  snprintf(out, cap, "{\"transaction\":[\"%s\",\"base64\"],\"meta\":{\"err\":%s,\"fee\":%u,"
           "\"logMessages\":[\"x\",\"y\"],\"computeUnitsConsumed\":7}}",
           b64, failed ? "{\"InstructionError\":[0,{\"Custom\":1}]}" : "null", fee);
}

int main(void) {
  sof_txgen_t gen;
  SOF_CHECK_EQ(sof_txgen_init(&gen, 11), SOF_TXGEN_OK);
  static uint8_t b[3][SOF_TXN_MTU];
  long n[3];
  static char tj[3][4096], json[16384];
  for (int i = 0; i < 3; i++) {
    n[i] = sof_txgen_txn(&gen, i == 1 ? SOF_TXGEN_TYPE_V0_ALT : SOF_TXGEN_TYPE_TRANSFER, b[i], sizeof b[i]);
    SOF_CHECK(n[i] > 0);
    txn_json(tj[i], sizeof tj[i], b[i], n[i], i == 1, 5000u + (unsigned)i);
  }
  static got_t g;

  /* a transaction notification: one message */
  snprintf(json, sizeof json, "{\"jsonrpc\":\"2.0\",\"method\":\"transactionNotification\",\"params\":"
           "{\"subscription\":1,\"result\":{\"slot\":42,\"transaction\":%s}}}", tj[0]);
  SOF_CHECK_EQ(run(json, &g), 1);
  SOF_CHECK_EQ(g.n, 1);
  SOF_CHECK_EQ(g.kind[0], SOF_PMSG_TXN);
  SOF_CHECK_EQ(g.slot[0], 42);
  SOF_CHECK(g.tx_sz[0] == n[0] && !memcmp(g.tx[0], b[0], (size_t)n[0]));
  SOF_CHECK_EQ(g.fee[0], 5000);
  SOF_CHECK_EQ(g.logs[0], 2);

  /* a slot notification */
  SOF_CHECK_EQ(run("{\"jsonrpc\":\"2.0\",\"method\":\"slotNotification\",\"params\":{\"subscription\":2,"
                   "\"result\":{\"slot\":43,\"parent\":42,\"root\":0}}}", &g), 1);
  SOF_CHECK(g.kind[0] == SOF_PMSG_SLOT && g.slot[0] == 43 && g.parent[0] == 42 &&
            g.status[0] == SOF_PMSG_SLOT_PROCESSED);

  /* a block: slot sighting, the transactions in order (a broken one named
   * and skipped), the completion */
  snprintf(json, sizeof json, "{\"jsonrpc\":\"2.0\",\"method\":\"blockNotification\",\"params\":{\"subscription\":3,"
           "\"result\":{\"context\":{\"slot\":44},\"value\":{\"slot\":44,\"err\":null,\"block\":{\"parentSlot\":42,"
           "\"blockhash\":\"x\",\"transactions\":[%s,{\"transaction\":[\"AAAA\",\"base64\"]},%s,%s]}}}}}",
           tj[0], tj[1], tj[2]);
  SOF_CHECK_EQ(run(json, &g), 5);
  SOF_CHECK_EQ(g.n, 5);
  SOF_CHECK(g.kind[0] == SOF_PMSG_SLOT && g.slot[0] == 44 && g.parent[0] == 42 &&
            g.status[0] == SOF_PMSG_SLOT_FIRST_SHRED);
  for (int i = 0; i < 3; i++) {
    SOF_CHECK_EQ(g.kind[1 + i], SOF_PMSG_TXN);
    SOF_CHECK_EQ(g.slot[1 + i], 44);
    SOF_CHECK(g.tx_sz[1 + i] == n[i] && !memcmp(g.tx[1 + i], b[i], (size_t)n[i]));
    SOF_CHECK_EQ(g.failed[1 + i], i == 1);
    SOF_CHECK_EQ(g.fee[1 + i], 5000u + (unsigned)i);
  }
  SOF_CHECK(g.kind[4] == SOF_PMSG_SLOT && g.slot[4] == 44 && g.status[4] == SOF_PMSG_SLOT_PROCESSED);
  SOF_CHECK_EQ(g.nrej, 1);
  SOF_CHECK(g.rej[0] == SOF_PMSG_REJ_TX_PARSE || g.rej[0] == SOF_PMSG_REJ_TX_TOO_LARGE);

  /* an empty block: its slot only; a notice without a block; an answer */
  SOF_CHECK_EQ(run("{\"method\":\"blockNotification\",\"params\":{\"result\":{\"value\":{\"slot\":45,"
                   "\"block\":{\"parentSlot\":44,\"transactions\":[]}}}}}", &g), 2);
  SOF_CHECK(g.n == 2 && g.slot[0] == 45 && g.slot[1] == 45);
  SOF_CHECK_EQ(run("{\"method\":\"blockNotification\",\"params\":{\"result\":{\"value\":{\"slot\":46,"
                   "\"err\":\"BlockStoreError\",\"block\":null}}}}", &g), 0);
  SOF_CHECK_EQ(g.n, 0);
  SOF_CHECK_EQ(run("{\"jsonrpc\":\"2.0\",\"result\":100,\"id\":1}", &g), 0);

  /* whole notifications refused, nothing emitted */
  SOF_CHECK_EQ(run("{\"method\":\"blockNotification\",\"params\":{\"result\":{\"value\":{\"block\":{}}}}}", &g),
               -SOF_PMSG_REJ_NO_SLOT);
  SOF_CHECK_EQ(run("{\"method\":\"blockNotification\",\"params\":{\"result\":{\"value\":{\"slot\":1,"
                   "\"block\":{\"transactions\":7}}}}}", &g), -SOF_PMSG_REJ_NO_TXN);
  SOF_CHECK_EQ(g.n + g.nrej, 0);
  SOF_CHECK_EQ(run("{\"method\":\"blockNotification\"", &g), -SOF_PMSG_REJ_UNPACK);
  /* the single-message decoder leaves blocks alone */
  static sof_pmsg_t m;
  SOF_CHECK_EQ(sof_pws_decode(json, strlen(json), &m), SOF_PMSG_OTHER);
  return sof_test_done("provider_ws");
}
