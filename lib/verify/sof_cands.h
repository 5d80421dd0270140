/* sof_cands.h: a candidate-leader set published at run time (learned-leader
 * verification's candidates, kept current by gossip while sofd runs), with
 * the shred version that goes with it (a cluster restarted with another
 * version has other nodes).
 *
 * One writer thread (the gossip role) publishes whole sets of identities;
 * any number of reader threads (the verifiers on the rx and fec lcores)
 * take a copy of the newest set when they see it changed. Nothing waits:
 * no lock, no allocation and no system call after sof_cands_new, on
 * either side.
 *
 * Publication: two buffers of `capacity` keys. A set goes into the buffer
 * not current, under that buffer's sequence counter (odd while written),
 * then the generation is advanced with a release store; the generation's
 * low bit names the current buffer. Keys are stored and loaded as 64-bit
 * relaxed atomics, so a torn copy is a detected event, never a data race.
 *
 * Reading: sof_cands_gen (one acquire load) tells whether the generation
 * moved since the reader's copy; sof_cands_read copies the current set and
 * reports a torn read (the writer published twice during the copy and is
 * rewriting the buffer being read) with -1: the reader keeps its previous
 * set and tries again later (at its next burst). With the writer
 * publishing at most once a second (sofd_gossip) and a copy taking
 * microseconds, a torn read is rare; it is counted by the reader.
 *
 * Bounds: capacity keys (fixed at sof_cands_new); a longer set is cut to
 * capacity by sof_cands_publish (its return value says how many went in).
 * Memory: 2 x capacity x 32 bytes. */
#ifndef SOF_VERIFY_CANDS_H
#define SOF_VERIFY_CANDS_H

#include <stddef.h>
#include <stdint.h>

typedef struct sof_cands sof_cands_t;

/* sof_cands_new: an empty set (generation 0) of at most capacity keys
 * (1..2^22). NULL on a bad capacity or no memory. sof_cands_delete frees
 * it (NULL is fine; no reader or writer may use it any more). */
sof_cands_t *sof_cands_new(uint32_t capacity);
void sof_cands_delete(sof_cands_t *c);

uint32_t sof_cands_capacity(sof_cands_t const *c);

/* sof_cands_publish makes keys[0..cnt) the current set (the first
 * capacity of them; returns how many were taken) with shred_version
 * (0..65535, or -1: none known) and advances the generation. Writer
 * thread only (one writer). */
uint32_t sof_cands_publish(sof_cands_t *c, uint8_t const (*keys)[32], uint32_t cnt, int32_t shred_version);

/* sof_cands_gen: the current generation (0: nothing published yet).
 * Acquire load; any thread. */
uint64_t sof_cands_gen(sof_cands_t const *c);

/* sof_cands_read copies the current set into out (room for capacity keys)
 * and its size into *cnt, its shred version into *shred_version (-1:
 * none; nothing published yet: -1), its generation into *gen. Returns 0,
 * or -1 when the copy was torn by two publications during it (out is then
 * garbage; the other outputs are unchanged): try again later. Any reader
 * thread. */
int sof_cands_read(sof_cands_t const *c, uint8_t (*out)[32], uint32_t *cnt, int32_t *shred_version,
                   uint64_t *gen);

#endif /* SOF_VERIFY_CANDS_H */
