/* libFuzzer target: sof_gossip_vote_decode on untrusted bytes, two ways:
 * the input as a whole transaction, and the input as the data of a vote
 * program instruction inside a valid legacy transaction (so that every
 * instruction layout is reached). A decode is deterministic, and with the
 * wrapped form the vote account found is the instruction's first account.
 * The input is copied to a buffer of its own size so that ASan sees any
 * read past it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gossip/sof_gossip_vote.h"
#include "wire/sof_txn.h"

#include "sof_fuzz.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

int
LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

int
LLVMFuzzerTestOneInput(uint8_t const *data, size_t sz) {
  uint8_t *copy = malloc(sz ? sz : 1);
  if (!copy) return 0;
  memcpy(copy, data, sz);
  uint8_t acct[32], acct2[32];
  uint64_t slot = 0, slot2 = 0;
  int r = sof_gossip_vote_decode(copy, sz, acct, &slot);
  REQUIRE(r == 0 || r == -1);
  if (!r) {
    REQUIRE(sof_gossip_vote_decode(copy, sz, acct2, &slot2) == 0);
    REQUIRE(slot == slot2 && !memcmp(acct, acct2, 32));
  }
  free(copy);

  /* wrapped: 1 signature, header (1, 0, 1), keys [payer, vote account,
   * vote program], blockhash, one instruction (program 2, accounts [1],
   * the input as data) */
  static uint8_t txn[SOF_TXN_MTU];
  size_t o = 0;
  txn[o++] = 1;
  memset(txn + o, 0x11, 64); o += 64;
  txn[o++] = 1; txn[o++] = 0; txn[o++] = 1;
  txn[o++] = 3;
  memset(txn + o, 0xA1, 32); o += 32;
  memset(txn + o, 0xB2, 32); o += 32;
  memcpy(txn + o, sof_txn_vote_program_id, 32); o += 32;
  memset(txn + o, 0xC3, 32); o += 32;
  txn[o++] = 1;
  txn[o++] = 2;
  txn[o++] = 1; txn[o++] = 1;
  size_t room = SOF_TXN_MTU - o - 3;
  size_t dsz = sz < room ? sz : room;
  uint8_t cu[3];
  int k = sof_compact_u16_encode((uint16_t)dsz, cu);
  memcpy(txn + o, cu, (size_t)k); o += (size_t)k;
  uint8_t *w = malloc(o + dsz ? o + dsz : 1);
  if (!w) return 0;
  memcpy(w, txn, o);
  memcpy(w + o, data, dsz);
  r = sof_gossip_vote_decode(w, o + dsz, acct, &slot);
  REQUIRE(r == 0 || r == -1);
  if (!r) {
    uint8_t want[32];
    memset(want, 0xB2, 32);
    REQUIRE(!memcmp(acct, want, 32));
  }
  free(w);
  return 0;
}
