/* sofd_provider.h: provider ingress for sofd (--driver provider).
 *
 * With [input] driver = provider there is no packet, shred, FEC or extract
 * stage: a Yellowstone gRPC client (lib/provider/sof_provider_grpc.h) runs
 * on its own thread (never an lcore) and feeds the dispatch role's input
 * ring (extract_dispatch, whose only producer it then is) with the same
 * kinds of messages extract produces:
 *   - a slot's first sighting (slot, and its parent once the provider said
 *     it) and its completion: the fork tracker then publishes slot_status
 *     as for shreds (processed, confirmed / finalized by depth);
 *   - with [provider] slot_status = provider (provider driver or joined
 *     mode), the provider's CONFIRMED / FINALIZED slot updates: the fork
 *     tracker runs with external commitment (sof_forks_commit) and these
 *     replace its depth rule;
 *   - one message per transaction, pointing to a block of the provider's own
 *     pool (sof_bpool: the client thread allocates, any thread releases)
 *     holding the rebuilt serialized transaction and its outcome. The
 *     dispatch role calls sofd_provider_publish_txn with it: a transaction
 *     event (path SOF_TXN_PATH_PROVIDER, meta = the outcome) through the
 *     plugin host's held publication, on the same hooks and lanes as
 *     transactions from shreds (transaction, account_touch; commitment
 *     waits included), and recent_blockhash when the transaction names a
 *     newer one than the last published.
 * Nothing is dropped: when the ring or the pool is full the client thread
 * waits (counted: ring_waits, pool_waits), which backs the TCP stream up
 * to the provider.
 *
 * Threads: new / start / stop / delete on the main thread; the emit
 * callback runs on the client thread; sofd_provider_publish_txn on the
 * dispatch lcore only; sofd_provider_counters on any thread. */
#ifndef SOFD_PROVIDER_H
#define SOFD_PROVIDER_H

#include <stdint.h>

#include "sofd_opts.h"
#include "sofd_pipe.h"
#include "state/sof_forks.h"

typedef struct sofd_provider sofd_provider_t;

#define SOFD_PROV_EV_SLOT          1 /* slot, arg: parent or SOF_SLOT_UNKNOWN */
#define SOFD_PROV_EV_SLOT_COMPLETE 2 /* slot */
#define SOFD_PROV_EV_TXN           3 /* slot, arg: the block for sofd_provider_publish_txn */
#define SOFD_PROV_EV_STATUS        4 /* joined mode: arg: the block for sofd_provider_publish_status */
#define SOFD_PROV_EV_COMMIT        5 /* [provider] slot_status = provider: slot, arg: SOF_FORKS_STATUS_CONFIRMED
                                        or _FINALIZED (the provider's slot update) for sof_forks_commit */

/* emit(ctx, kind, slot, arg): queue one message for dispatch; 0, or -1
 * when the ring is full (the provider waits and retries). Client thread. */
typedef int (*sofd_provider_emit_t)(void *ctx, int kind, uint64_t slot, uint64_t arg);

/* sofd_provider_new: the client from cfg's [provider] keys and the pool
 * (cfg->provider_pool_bytes). NULL with a message on stderr. */
sofd_provider_t *sofd_provider_new(sofd_cfg_t const *cfg, sofd_provider_emit_t emit, void *ctx);
int  sofd_provider_start(sofd_provider_t *p);   /* 0 or -1 (message on stderr) */
void sofd_provider_stop(sofd_provider_t *p);    /* joins the client thread; idempotent */
void sofd_provider_delete(sofd_provider_t *p);  /* after stop and after dispatch ended */

/* sofd_provider_last_tsc: TSC of the last update delivered (0: none yet),
 * for [run] idle_exit_ms. Any thread. */
uint64_t sofd_provider_last_tsc(sofd_provider_t const *p);

/* sofd_provider_publish_txn: dispatch lcore; blk is a SOFD_PROV_EV_TXN
 * message's arg; its reference is released. Provider driver: the
 * transaction (path SOF_TXN_PATH_PROVIDER, meta) and recent_blockhash.
 * Joined mode: when the shreds delivered it first (the join table holds
 * it), its transaction_status (a hit, with the lead); else the provider is
 * first: the transaction is published from here as in the provider driver
 * (no recent_blockhash: the shreds' datasets give it), entered in the join
 * table so that its shred copies are skipped, and its transaction_status
 * fires at once (shred_seen 0, provider_first 1). Returns 1 when the
 * transaction was published, else 0.
 *
 * Joined mode ([provider] url with a shred driver): each transaction is
 * published once, from whichever source saw it first; the join table
 * (lib/provider/sof_pjoin.h, [provider] join_entries) holds the signatures
 * awaiting the other source.
 * sofd_provider_saw_txn: dispatch lcore, per transaction about to be
 * published from shreds (sig: its first signature, tsc: its RX burst),
 * BEFORE publishing it: returns 1 when the provider published it first
 * (the caller then does not publish this copy; counted join_shred_dedupe
 * once, the provider's lead into the ahead histogram), else 0 (entered as
 * awaiting the outcome; a second sighting, inline then dataset, keeps the
 * first). sofd_provider_publish_status: dispatch lcore, a
 * SOFD_PROV_EV_STATUS message's arg (an outcome without the body): a
 * transaction_status event, joined (hit, with the lead) when the table
 * holds the signature awaiting, else a miss. */
int      sofd_provider_publish_txn(sofd_provider_t *p, sof_host_t *h, sof_forks_t const *forks, uint64_t blk);
int      sofd_provider_saw_txn(sofd_provider_t *p, uint8_t const *sig, uint64_t tsc);
unsigned sofd_provider_publish_status(sofd_provider_t *p, sof_host_t *h, uint64_t arg);
int      sofd_provider_joined(sofd_provider_t const *p);

/* sofd_provider_counters: provider_* entries of the counter table (at most
 * cap); returns how many. Any thread. */
unsigned sofd_provider_counters(sofd_provider_t const *p, sofd_counter_t *out, unsigned cap);

#endif
