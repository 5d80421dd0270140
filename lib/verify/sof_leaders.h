/* sof_leaders.h: which key leads which slot.
 *
 * A bounded table built at startup (and replaced or extended by the control
 * plane later): explicit (slot -> leader) entries for a window of slots, a
 * deduplicated set of leader keys, and an optional fixed leader that answers
 * for every slot without an entry (tests, single-leader clusters).
 *
 * Sources: the RPC getLeaderSchedule JSON shape
 *   {"<base58 pubkey>": [slot offset, ...], ...}  + the epoch's first slot,
 * a text list of "slot pubkey" lines ('#' starts a comment), or sof_leaders_set.
 *
 * Loading validates (both loaders): a source that names no slot is an
 * error; a slot named with a leader different from the one it already has
 * (in this source or loaded before into the same table) is an error, while
 * the same slot with the same leader again is accepted and counted once (a
 * repeat says nothing new; lists concatenated with an overlap stay
 * loadable); one source naming slots more than slot_cap apart is an error
 * (the table would silently forget some of them; separate loads may move
 * the window, as sof_leaders_set does). The JSON loader also refuses an offset at or past
 * SOF_LEADERS_EPOCH_SLOTS: such a slot lies outside the epoch that
 * epoch_first_slot claims (absolute slots written as offsets, or another
 * epoch's schedule). sof_leaders_range then reports the slots covered.
 *
 * Memory: allocated once by sof_leaders_new (slot_cap entries of 16 bytes
 * plus key_cap keys); lookups never allocate. Lookups may run concurrently
 * with each other; changes must not run concurrently with anything. */
#ifndef SOF_VERIFY_LEADERS_H
#define SOF_VERIFY_LEADERS_H

#include <stddef.h>
#include <stdint.h>

typedef struct sof_leaders sof_leaders_t;

/* Slots in one epoch: Solana's DEFAULT_SLOTS_PER_EPOCH, which mainnet-beta,
 * testnet and devnet use (warmup epochs are shorter: their offsets are
 * smaller). A getLeaderSchedule offset is below it. */
#define SOF_LEADERS_EPOCH_SLOTS 432000U

/* sof_leaders_new allocates a table for slot_cap slots (rounded up to a
 * power of two, >= 1; a slot's entry lives at slot % cap, so the table
 * holds any window of that many consecutive slots) and key_cap distinct
 * leaders. Returns NULL on allocation failure or zero caps. Setup only. */
sof_leaders_t *sof_leaders_new(uint64_t slot_cap, uint32_t key_cap);

/* sof_leaders_delete frees the table (NULL is fine). */
void sof_leaders_delete(sof_leaders_t *l);

/* sof_leaders_set_fixed makes pub (32 bytes, copied) the leader of every
 * slot that has no explicit entry; NULL clears it. Returns 0, -1 when the
 * key table is full. */
int sof_leaders_set_fixed(sof_leaders_t *l, uint8_t const *pub);

/* sof_leaders_set records pub (copied) as the leader of slot, replacing
 * what the slot's table position held (an older slot slot_cap away is
 * forgotten). Returns 0, -1 when the key table is full. */
int sof_leaders_set(sof_leaders_t *l, uint64_t slot, uint8_t const pub[32]);

/* sof_leaders_range reports the slots with an explicit entry: the lowest in
 * *first, the highest in *last (inclusive), so that a caller can tell
 * (and warn) when shreds arrive for slots the loaded schedule does not
 * cover. Returns 0, or -1 with *first and *last untouched when no explicit
 * entry was ever set (no schedule, or a fixed leader only).
 * Contract: while every slot set (by the loaders, which refuse one source
 * spanning more than slot_cap, and by sof_leaders_set) lies within slot_cap
 * slots, a slot outside [first, last] has no explicit entry
 * (sof_leaders_get answers it with the fixed leader or NULL) and a slot
 * inside may still have none (a text list with gaps). Once slots further
 * apart were set, [first, last] is the window of slot_cap slots ending (or
 * starting) at the newest extreme set: slots before it may still answer
 * from older entries not yet overwritten. Reads only: like
 * sof_leaders_get, it may run concurrently with lookups, not with changes. */
int sof_leaders_range(sof_leaders_t const *l, uint64_t *first, uint64_t *last);

/* sof_leaders_get returns the leader of slot (a pointer into the table,
 * valid until the table is changed or deleted), or NULL when unknown. */
uint8_t const *sof_leaders_get(sof_leaders_t const *l, uint64_t slot);

/* sof_leaders_load_json_buf reads the getLeaderSchedule shape from buf (sz
 * bytes, need not be NUL-terminated): each key a base58 public key, each
 * value an array of slot offsets from epoch_first_slot. Also accepts the
 * full RPC response ({"result": {...}}). Validated as above (empty, two
 * leaders for a slot, an offset outside the epoch, a span over slot_cap).
 * Returns the number of slots newly set (a repeat of a slot's leader is not
 * counted; >= 1 unless every slot repeats), or -1 with a message naming the
 * bad entry in err (err_sz bytes): "\"<pubkey>\"[i] (offset N): slot S has
 * two leaders: A and B", "... offset N is outside the epoch ...", "an empty
 * schedule: no leader names a slot". Entries set before a failure stay set. */
long sof_leaders_load_json_buf(sof_leaders_t *l, char const *buf, size_t sz,
                               uint64_t epoch_first_slot, char *err, size_t err_sz);

/* sof_leaders_load_json reads the same from the file at path. */
long sof_leaders_load_json(sof_leaders_t *l, char const *path, uint64_t epoch_first_slot,
                           char *err, size_t err_sz);

/* sof_leaders_load_text_buf reads "slot pubkey" lines (decimal slot,
 * base58 key, separated by spaces or tabs; blank lines and '#' comments
 * ignored), validated as above. Returns the number of slots newly set, or
 * -1 with "line N: ..." in err ("line 3: slot 7 has two leaders: A and B",
 * "an empty list: no \"<slot> <pubkey>\" line"). */
long sof_leaders_load_text_buf(sof_leaders_t *l, char const *buf, size_t sz, char *err,
                               size_t err_sz);

/* sof_leaders_load_text reads the same from the file at path. */
long sof_leaders_load_text(sof_leaders_t *l, char const *path, char *err, size_t err_sz);

/* sof_leaders_key_cnt returns how many distinct leader keys are held. */
uint32_t sof_leaders_key_cnt(sof_leaders_t const *l);

#endif /* SOF_VERIFY_LEADERS_H */
