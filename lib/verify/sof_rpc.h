/* sof_rpc.h: the Solana JSON-RPC calls sofd needs for leader schedules --
 * requests built, responses parsed and checked (no I/O: the transport is
 * the caller's; sofd uses libcurl on its control thread).
 *
 * Responses are JSON-RPC 2.0 as Solana's RPC sends them:
 *   {"jsonrpc":"2.0","result":...,"id":N}
 *   {"jsonrpc":"2.0","error":{"code":-32602,"message":"..."},"id":N}
 * A response must carry "jsonrpc":"2.0" and the request's id (a number);
 * an "error" object becomes -1 with "rpc error CODE: MESSAGE". Numbers must
 * be non-negative integers that fit.
 *
 *   getEpochSchedule  -> {"slotsPerEpoch","leaderScheduleSlotOffset",
 *                         "warmup","firstNormalEpoch","firstNormalSlot"}
 *   getEpochInfo      -> {"absoluteSlot","epoch","slotIndex","slotsInEpoch",...}
 *   getLeaderSchedule -> {"<base58 pubkey>":[slot offsets in the epoch]} or
 *                        null (the epoch's schedule is not known yet)
 *
 * Setup / control plane only: it allocates (jansson). Thread safe. */
#ifndef SOF_VERIFY_RPC_H
#define SOF_VERIFY_RPC_H

#include <stddef.h>
#include <stdint.h>

#include "verify/sof_leaders.h"

typedef struct sof_rpc_epoch_schedule {
  uint64_t slots_per_epoch;
  uint64_t leader_schedule_slot_offset;
  int      warmup;
  uint64_t first_normal_epoch;
  uint64_t first_normal_slot;
} sof_rpc_epoch_schedule_t;

typedef struct sof_rpc_epoch_info {
  uint64_t absolute_slot;
  uint64_t epoch;
  uint64_t slot_index;
  uint64_t slots_in_epoch;
} sof_rpc_epoch_info_t;

/* sof_rpc_request writes {"jsonrpc":"2.0","id":id,"method":method} with
 * "params":params_json when not NULL (a JSON array as text). Returns the
 * length, or -1 when it does not fit in sz. */
int sof_rpc_request(char *buf, size_t sz, uint64_t id, char const *method, char const *params_json);

/* sof_rpc_epoch_schedule_parse / sof_rpc_epoch_info_parse: the response to
 * request id (buf: sz bytes, need not be NUL-terminated). Return 0, or -1
 * with a message in err. slotsPerEpoch / slotsInEpoch must be >= 1 and
 * slotIndex below slotsInEpoch. */
int sof_rpc_epoch_schedule_parse(char const *buf, size_t sz, uint64_t id,
                                 sof_rpc_epoch_schedule_t *out, char *err, size_t err_sz);
int sof_rpc_epoch_info_parse(char const *buf, size_t sz, uint64_t id, sof_rpc_epoch_info_t *out,
                             char *err, size_t err_sz);

/* sof_rpc_leader_schedule_parse: the getLeaderSchedule response to request
 * id for the epoch of slot_cnt slots starting at first_slot. Returns 1 with
 * *tbl a new epoch table (sof_leaders_epoch_from_json: offsets below
 * slot_cnt, validated like any schedule) and *named its slots; 0 when the
 * result is null (not known yet: ask again later); -1 with a message. */
int sof_rpc_leader_schedule_parse(char const *buf, size_t sz, uint64_t id, uint64_t first_slot,
                                  uint64_t slot_cnt, sof_leaders_t **tbl, uint64_t *named,
                                  char *err, size_t err_sz);

/* sof_rpc_cluster_shred_version_parse: the getClusterNodes response to
 * request id ([{"pubkey":..,"shredVersion":N,...}, ...]): the shred
 * version most nodes carry (ties: the lower), in *version, and how many
 * nodes carry it / have one in *agree / *nodes. Returns 0, or -1 with a
 * message (no node with a shredVersion, a bad value). */
int sof_rpc_cluster_shred_version_parse(char const *buf, size_t sz, uint64_t id, uint16_t *version,
                                        uint32_t *agree, uint32_t *nodes, char *err, size_t err_sz);

/* sof_rpc_cluster_identities_parse: the getClusterNodes response to
 * request id: every node's identity ("pubkey", base58) into *keys (a new
 * array of *cnt keys, the caller frees it), for learned leaders. Returns
 * 0, or -1 with a message (not an array, empty, more than
 * SOF_RPC_NODES_MAX nodes, a bad key); *keys is NULL then. */
#define SOF_RPC_NODES_MAX 65536U
int sof_rpc_cluster_identities_parse(char const *buf, size_t sz, uint64_t id, uint8_t (**keys)[32], uint32_t *cnt,
                                     char *err, size_t err_sz);

/* Solana's EpochSchedule arithmetic (warmup epochs double from
 * MINIMUM_SLOTS_PER_EPOCH = 32 up to first_normal_epoch). */
uint64_t sof_rpc_epoch_of_slot(sof_rpc_epoch_schedule_t const *s, uint64_t slot);
uint64_t sof_rpc_first_slot(sof_rpc_epoch_schedule_t const *s, uint64_t epoch);
uint64_t sof_rpc_slots_in_epoch(sof_rpc_epoch_schedule_t const *s, uint64_t epoch);

#endif /* SOF_VERIFY_RPC_H */
