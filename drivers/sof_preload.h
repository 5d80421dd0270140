/* sof_preload.h: a pcap capture preloaded into mbufs and served through a
 * net_ring port, for benchmarks that measure the pipeline rather than the
 * PMD's reads.
 *
 * net_pcap pays a buffered file read and a copy per packet on the RX lcore
 * (about 0.4 us per shred here). sof_preload reads the whole capture into
 * mbufs before the run starts and puts them on one rte_ring per RX queue of
 * a net_ring ethdev port (rte_eth_from_rings). An RX burst on that port is
 * then a ring dequeue: what a NIC's descriptor ring costs the application,
 * give or take the PMD. Packets are dealt to the queues in one of two ways:
 *   SOF_PRELOAD_DEAL_PACKET  round robin, frame by frame: RSS over a turbine
 *                            feed whose shreds come from many retransmitters.
 *                            The queues are read a burst at a time, so a FEC
 *                            set reaches the resolver out of order (coding
 *                            shreds ahead of data shreds of another queue)
 *                            and is recovered as soon as any data_cnt of its
 *                            shreds are in, as it would be off turbine.
 *   SOF_PRELOAD_DEAL_SLOT    by the shred's slot (slot % queues): each slot
 *                            stays in order on one queue, and an rx instance
 *                            feeds the fec instance of the same number
 *                            (sofd shards fec by slot % instances). What a
 *                            steering rule on the shred header would give.
 *                            Frames that are not UDP shreds go to queue 0.
 *
 * Use, in this order (setup and teardown only; not thread safe; needs
 * rte_eal_init):
 *   sof_preload_create  scan the file (packet count, link type, frame
 *                       sizes), create the rings and the port;
 *   sof_ethdev_open     on pl->port_id, with rx_queues = pl->queues and a
 *                       pool with room for pl->packets more mbufs;
 *   sof_preload_pace    (optional) release the frames at a rate instead
 *                       of all at once;
 *   sof_preload_fill    copy every frame into an mbuf of that pool and
 *                       enqueue it;
 *   ... RX bursts (paced: sof_preload_release before each) ...
 *   sof_ethdev_close, then sof_preload_delete (frees the mbufs still queued,
 *   the rings and the vdev). */
#ifndef SOF_DRIVERS_PRELOAD_H
#define SOF_DRIVERS_PRELOAD_H

#include <stddef.h>
#include <stdint.h>

struct rte_mempool;
struct rte_ring;

#define SOF_PRELOAD_QUEUES_MAX 16 /* net_ring's RTE_PMD_RING_MAX_RX_RINGS */

#define SOF_PRELOAD_DEAL_PACKET 0
#define SOF_PRELOAD_DEAL_SLOT   1

typedef struct sof_preload {
  uint16_t         port_id;    /* the net_ring port (valid after create) */
  uint16_t         queues;     /* RX queues, one ring each */
  int              deal;       /* SOF_PRELOAD_DEAL_* */
  uint64_t         per_queue[SOF_PRELOAD_QUEUES_MAX]; /* frames dealt to each queue */
  int              port_made;  /* the vdev exists */
  uint64_t         packets;    /* frames in the capture */
  uint64_t         bytes;      /* their captured bytes */
  uint32_t         max_frame;  /* largest captured frame */
  uint64_t         loaded;     /* frames enqueued by sof_preload_fill */
  char             path[256];
  char             vdev[64];   /* "net_ring_sofpreload" */
  struct rte_ring *ring[SOF_PRELOAD_QUEUES_MAX];
  /* paced (sof_preload_pace): the frames wait in stage[q] until released */
  uint64_t         pps;        /* frames per second over all queues; 0: not paced */
  uint64_t         tsc_hz;
  uint64_t         delay_tsc;  /* the first frame waits this long after the first release call */
  struct rte_ring *stage[SOF_PRELOAD_QUEUES_MAX];
  uint64_t         t0[SOF_PRELOAD_QUEUES_MAX];       /* TSC of queue q's first release call */
  uint64_t         released[SOF_PRELOAD_QUEUES_MAX]; /* frames moved to ring[q] */
} sof_preload_t;

/* sof_preload_create reads the pcap file at path once (libpcap; Ethernet
 * link type only; every frame whole, captured length = wire length, at most
 * 65535 bytes, at least one frame), deals them with `deal` (a
 * SOF_PRELOAD_DEAL_* value), then creates `queues` single-producer /
 * single-consumer rings each large enough for its share of the frames, and
 * a net_ring port over them (RX queue q reads ring q; sofd sets up no TX
 * queue).
 * queues: 1 .. SOF_PRELOAD_QUEUES_MAX. Returns 0, or -1 with a message
 * naming the file or the step in err (everything created is released).
 * pl is written; path is copied. Only one preload may exist at a time. */
int sof_preload_create(sof_preload_t *pl, char const *path, uint16_t queues, int deal, char *err,
                       size_t err_sz);

/* sof_preload_deal_parse: "packet" or "slot" to a SOF_PRELOAD_DEAL_* value;
 * -1 for anything else. sof_preload_deal_str: the name back ("?" when out
 * of range). Thread safe. */
int sof_preload_deal_parse(char const *name);
char const *sof_preload_deal_str(int deal);

/* sof_preload_pace: after create, before fill. The frames are then held
 * back (one more ring per queue, as large as the port's) and released into
 * the port's rings at pps frames per second over all queues (each queue
 * its share, pps / queues, from its first sof_preload_release call): a
 * paced source that costs no CPU of its own, for latency benchmarks (a
 * traffic generator would need a CPU, and on a small machine take it from
 * what is measured). The first frame waits delay_ms after the first
 * release call (time for a benchmark's clients to connect). pps 1 .. 1e9,
 * delay_ms 0 .. 3600000. 0, or -1 with a message in err. */
int sof_preload_pace(sof_preload_t *pl, uint64_t pps, uint64_t delay_ms, uint64_t tsc_hz, char *err,
                     size_t err_sz);

/* sof_preload_release: moves the frames of queue q that are due at TSC
 * tsc (its share of the rate since its first call) from the stage to the
 * port's ring, at most 256 per call. The one RX lcore reading queue q
 * calls it before each RX burst there (single producer and consumer of
 * both rings). Returns the frames moved. A non-paced pl: 0. */
unsigned sof_preload_release(sof_preload_t *pl, unsigned q, uint64_t tsc);

/* sof_preload_unreleased: frames of every queue still held back (paced). */
uint64_t sof_preload_unreleased(sof_preload_t const *pl);

/* sof_preload_fill reads the file again and copies each frame into an mbuf
 * from pool (its data room must hold pl->max_frame bytes), dealing them to
 * the rings as create did; the mbufs' port is pl->port_id. The pool needs
 * pl->packets free mbufs beyond what the port and the pipeline use.
 * Returns 0 with pl->loaded == pl->packets, or -1 with a message in err
 * (the file changed since create, the pool ran out, a frame does not fit);
 * frames already enqueued stay queued and are freed by delete. */
int sof_preload_fill(sof_preload_t *pl, struct rte_mempool *pool, char *err, size_t err_sz);

/* sof_preload_delete frees every mbuf still on the rings, removes the port
 * (after sof_ethdev_close, or when the port was never opened) and frees the
 * rings. Safe on a zeroed or deleted pl. */
void sof_preload_delete(sof_preload_t *pl);

#endif /* SOF_DRIVERS_PRELOAD_H */
