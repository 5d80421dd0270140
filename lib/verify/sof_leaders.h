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
 * with each other; changes must not run concurrently with anything -- except
 * the epoch layer below, which is made to change under running readers.
 *
 * Epochs. A table (the "base") may also carry a published epoch set: up to
 * SOF_LEADERS_EPOCHS_MAX epochs side by side (previous, current, next), each
 * its own sof_leaders_t built off-line by the writer (the loaders above) with
 * its first slot and length. sof_leaders_get asks the published set first:
 * the epoch with the greatest first slot <= slot answers when slot lies
 * within its length and it names a leader; otherwise the base answers (its
 * own entries, then its fixed leader), so --leader and --leader-list keep
 * working next to epochs.
 *
 * Publication contract (RCU-style, one writer, any number of readers):
 *  - Writer: ONE control thread calls sof_leaders_epoch_install, _expire,
 *    _drop and _reclaim (never two at once, never on a data-path lcore). A
 *    change copies the published set, edits the copy, publishes it with a
 *    release store and retires the old set (its time noted). A published
 *    set and every epoch table it names are immutable from then on.
 *  - Readers (sof_leaders_get, _range, _epochs) load the set with an acquire
 *    load: no lock, no allocation, no write to shared memory. A reader must
 *    not keep the set or a key pointer from sof_leaders_get beyond the call
 *    sequence handling one shred / one poll (sofd copies keys at once).
 *  - Grace period: a retired set, and an epoch table that no published or
 *    retired set still names, is freed by sof_leaders_epoch_reclaim only
 *    when both hold: (1) every registered reader that is online has passed
 *    a quiescent point since the set was retired (QSBR: a reader, e.g. an
 *    lcore, calls sof_leaders_reader_online once, sof_leaders_quiescent
 *    between polls -- where it holds no pointer from the table -- and
 *    sof_leaders_reader_offline before it stops; a relaxed load and, when a
 *    publication happened, one store to its own cache line); (2) grace_ns
 *    passed since it was retired, for readers that do not register (sofd's
 *    telemetry thread copying sof_leaders_epochs: reads of nanoseconds;
 *    sofd uses 60 s). Epochs last two days, so retirement is rare. At most
 *    SOF_LEADERS_RETIRED_MAX sets wait; a change that would retire one more
 *    returns -1 (retry later) rather than freeing early. A reader stuck
 *    online without reporting only delays the freeing (bounded memory).
 *  - sof_leaders_delete frees everything: only once no reader runs. */
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
 * sof_leaders_get, it may run concurrently with lookups, not with changes.
 * Published epochs widen the range: first is the lowest of the table's
 * first and the epochs' first slots, last the highest of the table's last
 * and the epochs' last slots (sof_leaders_epochs lists them one by one). */
int sof_leaders_range(sof_leaders_t const *l, uint64_t *first, uint64_t *last);

/* sof_leaders_get returns the leader of slot (a pointer into the table,
 * valid until the table is changed or deleted; one from a published epoch:
 * valid for the grace period, see above), or NULL when unknown. The
 * published epochs answer first, then the table's own entries, then its
 * fixed leader. */
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

/* ---- epochs ---------------------------------------------------------------------------------- */

#define SOF_LEADERS_EPOCHS_MAX  8U
#define SOF_LEADERS_RETIRED_MAX 16U

/* One published epoch, as sof_leaders_epochs reports it. */
typedef struct sof_leaders_epoch_info {
  uint64_t epoch;      /* its number (as the source gave it) */
  uint64_t first_slot;
  uint64_t slot_cnt;   /* its length: slots first_slot .. first_slot + slot_cnt - 1 */
  uint64_t named;      /* slots with a leader */
  uint32_t keys;       /* distinct leaders */
  uint32_t source;     /* the caller's tag (sofd: 0 file, 1 rpc) */
} sof_leaders_epoch_info_t;

/* sof_leaders_epoch_from_json builds an epoch table (off-line: the writer
 * thread) from a getLeaderSchedule result (or a whole RPC response) for the
 * epoch starting at first_slot, sized to it (as many keys as the schedule
 * names). *slot_cnt: when 0 on entry, set to the highest named offset + 1
 * (a file does not say how long its epoch is); otherwise the epoch's length,
 * and an offset at or past it is an error. *named: the slots named. Returns
 * the table or NULL with a message (the loader's). */
sof_leaders_t *sof_leaders_epoch_from_json(char const *buf, size_t sz, uint64_t first_slot,
                                           uint64_t *slot_cnt, uint64_t *named, char *err,
                                           size_t err_sz);

/* sof_leaders_epoch_install publishes tbl (taken over: freed by the table
 * after its grace period, or at once on failure) as epoch `epoch` covering
 * slot_cnt slots from first_slot. An epoch with the same first slot is
 * replaced (a schedule re-read); one overlapping another epoch's slots is
 * refused, as is a set already holding SOF_LEADERS_EPOCHS_MAX epochs.
 * now_ns: the writer's clock (for the grace period). Writer only. Returns
 * 0, or -1 with a message in err. */
int sof_leaders_epoch_install(sof_leaders_t *l, sof_leaders_t *tbl, uint64_t epoch,
                              uint64_t first_slot, uint64_t slot_cnt, uint32_t source,
                              uint64_t now_ns, char *err, size_t err_sz);

/* sof_leaders_epoch_drop unpublishes the epoch starting at first_slot.
 * Returns 1 dropped, 0 none such, -1 too many sets waiting. Writer only. */
int sof_leaders_epoch_drop(sof_leaders_t *l, uint64_t first_slot, uint64_t now_ns);

/* sof_leaders_epoch_expire drops the epochs the tip is past: an epoch
 * whose last slot is more than slack slots below tip (late shreds of the
 * epoch's last slots still find their leader for slack slots). Returns how
 * many were dropped (-1: too many sets waiting). Writer only. */
int sof_leaders_epoch_expire(sof_leaders_t *l, uint64_t tip, uint64_t slack, uint64_t now_ns);

/* sof_leaders_epoch_reclaim frees retired sets (and the epoch tables no
 * set names any more) retired at least grace_ns before now_ns. Returns how
 * many sets were freed. Writer only. */
unsigned sof_leaders_epoch_reclaim(sof_leaders_t *l, uint64_t now_ns, uint64_t grace_ns);

/* sof_leaders_epoch_retired: sets waiting for their grace period. */
unsigned sof_leaders_epoch_retired(sof_leaders_t const *l);

/* Registered readers: ids 0 .. SOF_LEADERS_READERS_MAX - 1 (sofd: the
 * lcore id). Each id is used by one thread. See the contract above. */
#define SOF_LEADERS_READERS_MAX 128U
void sof_leaders_reader_online(sof_leaders_t const *l, unsigned id);
void sof_leaders_quiescent(sof_leaders_t const *l, unsigned id);
void sof_leaders_reader_offline(sof_leaders_t const *l, unsigned id);

/* sof_leaders_epochs copies the published epochs (by first slot, up to
 * cap) into out; returns how many are published. Any thread (a reader). */
unsigned sof_leaders_epochs(sof_leaders_t const *l, sof_leaders_epoch_info_t *out, unsigned cap);

/* sof_leaders_epoch_find: 1 with *out set when slot lies in a published
 * epoch, else 0. Any thread (a reader). */
int sof_leaders_epoch_find(sof_leaders_t const *l, uint64_t slot, sof_leaders_epoch_info_t *out);

#endif /* SOF_VERIFY_LEADERS_H */
