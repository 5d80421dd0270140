/* sof_gossip_vote.h: what a gossip Vote's transaction votes for.
 *
 * A CrdsData Vote carries a validator's vote transaction (a legacy
 * transaction, lib/wire/sof_txn). sof_gossip_vote_decode finds its first
 * instruction of the vote program (Vote111111111111111111111111111111111111111)
 * that decodes and returns the vote account (the instruction's first
 * account) and the last slot it votes for. Instruction layouts (bincode,
 * a u32 tag first; Agave's vote program / solana-vote-interface):
 *   2 Vote, 6 VoteSwitch            Vec<u64> slots (u64 length), ...: the last slot
 *   8 UpdateVoteState, 9 ..Switch   VecDeque<Lockout { slot u64, confirmation_count u32 }>
 *                                   (u64 length), ...: the last lockout's slot
 *   12 CompactUpdateVoteState, 13 ..Switch, 14 TowerSync, 15 TowerSyncSwitch
 *                                   root u64 (u64::MAX: none), short_vec of
 *                                   { offset varint u64, confirmation_count u8 },
 *                                   ...: root (0 when none) + the sum of the offsets
 * Other instructions (authorize, withdraw, ...) are skipped. Untrusted
 * bytes: every length and sum is bounded and checked (fuzz_gossip_vote).
 * Pure, allocation-free, thread safe. */
#ifndef SOF_GOSSIP_VOTE_H
#define SOF_GOSSIP_VOTE_H

#include <stddef.h>
#include <stdint.h>

/* sof_gossip_vote_decode: txn (txn_sz bytes, exactly one transaction).
 * Returns 0 with *vote_account and *slot, or -1 (the transaction does not
 * parse, or no vote instruction decodes; outputs untouched). */
int sof_gossip_vote_decode(uint8_t const *txn, size_t txn_sz, uint8_t vote_account[32], uint64_t *slot);

#endif /* SOF_GOSSIP_VOTE_H */
