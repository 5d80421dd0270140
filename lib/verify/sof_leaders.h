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
 * Memory: allocated once by sof_leaders_new (slot_cap entries of 16 bytes
 * plus key_cap keys); lookups never allocate. Lookups may run concurrently
 * with each other; changes must not run concurrently with anything. */
#ifndef SOF_VERIFY_LEADERS_H
#define SOF_VERIFY_LEADERS_H

#include <stddef.h>
#include <stdint.h>

typedef struct sof_leaders sof_leaders_t;

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

/* sof_leaders_get returns the leader of slot (a pointer into the table,
 * valid until the table is changed or deleted), or NULL when unknown. */
uint8_t const *sof_leaders_get(sof_leaders_t const *l, uint64_t slot);

/* sof_leaders_load_json_buf reads the getLeaderSchedule shape from buf (sz
 * bytes, need not be NUL-terminated): each key a base58 public key, each
 * value an array of slot offsets from epoch_first_slot. Also accepts the
 * full RPC response ({"result": {...}}). Returns the number of slots set,
 * or -1 with a message naming the bad entry in err (err_sz bytes). Entries
 * set before a failure stay set. */
long sof_leaders_load_json_buf(sof_leaders_t *l, char const *buf, size_t sz,
                               uint64_t epoch_first_slot, char *err, size_t err_sz);

/* sof_leaders_load_json reads the same from the file at path. */
long sof_leaders_load_json(sof_leaders_t *l, char const *path, uint64_t epoch_first_slot,
                           char *err, size_t err_sz);

/* sof_leaders_load_text_buf reads "slot pubkey" lines (decimal slot,
 * base58 key, separated by spaces or tabs; blank lines and '#' comments
 * ignored). Returns the number of slots set, or -1 with "line N: ..." in
 * err. */
long sof_leaders_load_text_buf(sof_leaders_t *l, char const *buf, size_t sz, char *err,
                               size_t err_sz);

/* sof_leaders_load_text reads the same from the file at path. */
long sof_leaders_load_text(sof_leaders_t *l, char const *path, char *err, size_t err_sz);

/* sof_leaders_key_cnt returns how many distinct leader keys are held. */
uint32_t sof_leaders_key_cnt(sof_leaders_t const *l);

#endif /* SOF_VERIFY_LEADERS_H */
