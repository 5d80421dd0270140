/* sof_shred_ref.h: holding received shreds by reference.
 *
 * The resolver (for recovery) and the reassembler (until a batch
 * completes) keep shred bytes for a while. By default each keeps its own
 * copy. A caller whose shreds already live in reference-counted buffers
 * (sofd's mbufs) gives them these operations instead: the libraries then
 * keep a pointer and a reference, and the bytes are copied once, when a
 * complete batch is assembled.
 *
 * ref is the caller's handle for the buffer holding the bytes (an mbuf);
 * the libraries never look inside it. */
#ifndef SOF_RESOLVE_SHRED_REF_H
#define SOF_RESOLVE_SHRED_REF_H

#include <stdint.h>

typedef struct sof_shred_refs {
  /* retain: one more reference on ref (the bytes stay valid and unchanged
   * until the matching release). */
  void (*retain)(void *ctx, void *ref);
  /* release: drops one reference taken by retain, or handed over by alloc. */
  void (*release)(void *ctx, void *ref);
  /* alloc: writable memory for one rebuilt shred of `bytes` bytes and its
   * handle (*ref, holding one reference the caller of the library then
   * owns); NULL when there is none (the library counts it and retries with
   * a later shred). Only the resolver calls it. */
  uint8_t *(*alloc)(void *ctx, uint32_t bytes, void **ref);
  void *ctx;
} sof_shred_refs_t;

#endif /* SOF_RESOLVE_SHRED_REF_H */
