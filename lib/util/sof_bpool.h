/* sof_bpool.h: preallocated, reference-counted memory blocks.
 *
 * A pool of blocks in size classes (powers of two from min_block up to
 * max_block), carved at setup from a byte budget shared equally among the
 * classes (at least one block each). One thread allocates; any thread that
 * holds a reference may take another or drop one, and the last drop puts
 * the block back in its class. A request takes a block of the smallest
 * class that fits and has one free, so long-held blocks only reduce the
 * capacity (no head-of-line blocking as in a FIFO arena).
 *
 * Free lists: each class has a lock-free stack that releasers push onto
 * (any thread) and the allocator takes whole (one atomic exchange) into its
 * private list, so there is no ABA. No call allocates memory, locks, logs
 * or makes a system call after sof_bpool_new. */
#ifndef SOF_UTIL_BPOOL_H
#define SOF_UTIL_BPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SOF_BPOOL_CLASSES_MAX 16U

typedef struct sof_bpool_cfg {
  uint64_t bytes;      /* budget for all blocks (default 64 MiB) */
  uint32_t min_block;  /* smallest class (default 4 KiB; a power of two >= 64) */
  uint32_t max_block;  /* largest class: no request above it succeeds (default 8 MiB) */
} sof_bpool_cfg_t;

typedef struct sof_bpool_stats {
  uint32_t classes;
  uint32_t class_sz[SOF_BPOOL_CLASSES_MAX];
  uint32_t class_blocks[SOF_BPOOL_CLASSES_MAX];
  uint64_t allocs;      /* blocks handed out */
  uint64_t fails;       /* requests with no free block large enough */
  uint64_t too_large;   /* requests above max_block (also in fails) */
  uint64_t released;    /* blocks given back (their last reference dropped) */
} sof_bpool_stats_t;

typedef struct sof_bpool sof_bpool_t;

/* sof_bpool_cfg_default fills cfg with the defaults above. */
void sof_bpool_cfg_default(sof_bpool_cfg_t *cfg);

/* sof_bpool_new carves the pool (setup time). Returns NULL with a message
 * in err on a bad config (min_block not a power of two >= 64, max_block <
 * min_block, more than SOF_BPOOL_CLASSES_MAX classes) or no memory. */
sof_bpool_t *sof_bpool_new(sof_bpool_cfg_t const *cfg, char *err, size_t err_sz);

/* sof_bpool_delete frees the pool and every block, referenced or not (the
 * caller makes sure nobody uses them any more). NULL is fine. */
void sof_bpool_delete(sof_bpool_t *p);

/* sof_bpool_alloc returns a block of at least sz bytes, 64-byte aligned,
 * holding one reference (the caller's), or NULL when no class that fits
 * has a free block (counted in fails; too_large as well when sz >
 * max_block). The allocating thread only (one per pool). */
void *sof_bpool_alloc(sof_bpool_t *p, size_t sz);

/* sof_bpool_retain takes one more reference on blk (from sof_bpool_alloc).
 * The caller must hold a reference already. Any thread. */
void sof_bpool_retain(void *blk);

/* sof_bpool_release drops one reference; the last one returns the block to
 * its pool (blk must not be used after). Any thread. */
void sof_bpool_release(void *blk);

/* sof_bpool_block_sz: the usable size of blk's class. */
size_t sof_bpool_block_sz(void const *blk);

/* sof_bpool_stats copies the counters into out. Any thread (the counters
 * are read without synchronisation: a snapshot, not a transaction). */
void sof_bpool_stats(sof_bpool_t const *p, sof_bpool_stats_t *out);

/* sof_bpool_in_use: blocks allocated and not yet given back (a snapshot). */
uint64_t sof_bpool_in_use(sof_bpool_t const *p);

#endif /* SOF_UTIL_BPOOL_H */
