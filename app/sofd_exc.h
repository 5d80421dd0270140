/* sofd_exc.h: the kernel exception path of a dedicated NIC
 * ([input] exception = tap, issue #19).
 *
 * Every frame the rx role finds is not a shred for this host (ARP, ICMP,
 * TCP, IPv6, UDP to other ports or addresses, IPv4 fragments, frames the
 * L2-L4 parser refuses) goes to the kernel through a DPDK net_tap port,
 * and what the kernel transmits on that tap goes out of the NIC, so the
 * host stays a normal host on the interface (ARP, ping, SSH) while the
 * shreds stay on the DPDK fast path. The tap's kernel interface gets the
 * NIC's MAC address and [input] address (set by sofd, SIOCSIFADDR), and
 * is up while sofd runs; it disappears when sofd exits.
 *
 * Threads and data flow:
 *
 *   NIC RX -> rx lcore: sofd_exc_put (a store in a per-instance stage
 *     array), sofd_exc_flush once per poll: one rte_ring_enqueue_burst on
 *     the instance's to_kernel ring (SP/SC). No syscall, no lock.
 *   service thread (sofd_exc_start; a control thread, off the lcores):
 *     to_kernel rings -> the tap's TX queue (write(2) per frame: the
 *     syscalls are all here), and the tap's RX queue -> the from_kernel
 *     ring; sleeps when a round moved nothing (SOFD_EXC_IDLE_US, doubled
 *     per idle round up to SOFD_EXC_IDLE_MAX_US, back to the minimum as
 *     soon as a frame moves: an idle host costs ~1,250 wakeups a second).
 *   rx instance 0: sofd_exc_relay, once per poll and only when the
 *     from_kernel ring is not empty, moves at most one burst to the NIC's
 *     TX queue it owns. PMD TX queues are not thread safe and many PMDs
 *     (af_packet, af_xdp with one queue, VFs) have only as many TX queues
 *     as RX queues, so the service thread does not transmit on the NIC
 *     itself: the rx lcore that owns the queue does, in a bounded burst
 *     (an empty-ring check per poll otherwise).
 *
 * Bounds: SOFD_EXC_BURST frames per burst, SOFD_EXC_RING entries per
 * ring, SOFD_EXC_POOL mbufs for the kernel's frames. Nothing blocks: a full
 * ring or TX queue frees the frame and counts it (sofd_exc_stats_t).
 *
 * Counters: each field is written by one thread (rx lcore or service
 * thread) and read by others without locks (aligned 64-bit loads). */
#ifndef SOFD_EXC_H
#define SOFD_EXC_H

#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#define SOFD_EXC_BURST   32U   /* frames per ring / TX burst */
#define SOFD_EXC_RING    1024U /* entries of each to_kernel / from_kernel ring */
#define SOFD_EXC_TAP_DESC 512U /* the tap's RX / TX descriptors */
#define SOFD_EXC_POOL    4095U /* mbufs for the kernel's frames: tap RX ring, from_kernel
                                  ring, the NIC TX ring (SOFD_EXC_NIC_TX_HOLD), bursts */
#define SOFD_EXC_IDLE_US 50U   /* service thread sleep after a round that moved nothing, */
#define SOFD_EXC_IDLE_MAX_US 800U /* doubled per further idle round up to this (a frame
                                     waits at most this long for the thread) */
#define SOFD_EXC_IFNAME_MAX 15U /* Linux IFNAMSIZ - 1 */

/* One rx instance's side. Written by that instance's lcore only (the
 * from_kernel ring: rx instance 0 only; NULL elsewhere). */
typedef struct sofd_exc_q {
  struct rte_ring *to_kernel;    /* SP (this rx lcore) / SC (service thread) */
  struct rte_ring *from_kernel;  /* SP (service thread) / SC (this rx lcore); NULL: not the relay */
  uint64_t queued;          /* frames put on to_kernel */
  uint64_t ring_full;       /* frames for the kernel dropped: to_kernel full */
  uint64_t relayed;         /* kernel frames the NIC TX queue took */
  uint64_t nic_tx_full;     /* kernel frames dropped: the NIC TX queue was full */
  uint16_t n;               /* staged frames */
  struct rte_mbuf *stage[SOFD_EXC_BURST];
} __rte_cache_aligned sofd_exc_q_t;

/* Totals for the summary, telemetry and Prometheus. Both directions add
 * up once the service is stopped (sofd_exc_stop):
 *   classified = to_kernel + ring_full + tap_tx_full + exit_to_kernel
 *   from_kernel = relayed + from_ring_full + nic_tx_full + exit_from_kernel
 * (classified: the frames the rx role handed over, sum of queued +
 * ring_full). */
typedef struct sofd_exc_stats {
  uint64_t classified;      /* frames the rx role gave to the exception path */
  uint64_t to_kernel;       /* frames the tap's TX queue took (the kernel got them) */
  uint64_t ring_full;       /* dropped: an rx instance's to_kernel ring was full */
  uint64_t tap_tx_full;     /* dropped: the tap refused them (kernel queue full) */
  uint64_t exit_to_kernel;  /* dropped: still on a to_kernel ring at stop */
  uint64_t from_kernel;     /* frames the kernel sent on the tap */
  uint64_t relayed;         /* of those, taken by the NIC's TX queue */
  uint64_t from_ring_full;  /* dropped: the from_kernel ring was full */
  uint64_t nic_tx_full;     /* dropped: the NIC TX queue was full */
  uint64_t exit_from_kernel; /* dropped: still on the from_kernel ring at stop */
} sofd_exc_stats_t;

typedef struct sofd_exc_cfg {
  uint16_t    nic_port;     /* the NIC's port (its MTU is copied to the tap) */
  uint8_t     mac[6];       /* the NIC's MAC: the tap's */
  char const *iface;        /* the tap's kernel interface name (<= SOFD_EXC_IFNAME_MAX) */
  uint32_t    ip;           /* [input] address, host byte order */
  uint8_t     prefix;
  unsigned    queues;       /* rx instances: one to_kernel ring each */
} sofd_exc_cfg_t;

typedef struct sofd_exc sofd_exc_t;

/* sofd_exc_open creates the tap port (rte_vdev_init net_tap), its mbuf
 * pool, the rings and the rx instances' queues (sofd_exc_queue; queue 0
 * also relays the kernel's frames), starts the tap and gives its kernel
 * interface the address. Returns the service (not yet running) or NULL
 * with a message in err (everything released). After rte_eal_init,
 * before the lcores start; needs CAP_NET_ADMIN. */
sofd_exc_t *sofd_exc_open(sofd_exc_cfg_t const *cfg, char *err, size_t err_sz);

/* sofd_exc_queue returns rx instance i's queue (i < cfg->queues), valid
 * until sofd_exc_close. */
sofd_exc_q_t *sofd_exc_queue(sofd_exc_t *x, unsigned i);

/* sofd_exc_start starts the service thread. Returns 0 or -1 (errno). */
int sofd_exc_start(sofd_exc_t *x);

/* sofd_exc_stop (after the rx lcores stopped) stops and joins the thread,
 * then frees what is left on the rings (counted exit_*). Idempotent. */
void sofd_exc_stop(sofd_exc_t *x);

/* sofd_exc_close stops the service, closes the tap (its kernel interface
 * goes) and frees the rings and the pool. Call after the NIC port is
 * closed (its TX ring may hold mbufs of this pool). NULL is fine. */
void sofd_exc_close(sofd_exc_t *x);

/* sofd_exc_stats sums the service's and the queues' counters. Any thread. */
void sofd_exc_stats(sofd_exc_t const *x, sofd_exc_stats_t *out);

/* sofd_exc_counters writes the exception path's entries of sofd's counter
 * table (exc_classified, exc_to_kernel, exc_from_kernel, exc_relayed,
 * exc_drop_<reason> in the Prometheus family exc_dropped_total{reason})
 * into out[0 .. cap); returns how many. Any thread. */
struct sofd_counter;
unsigned sofd_exc_counters(sofd_exc_t const *x, struct sofd_counter *out, unsigned cap);

/* sofd_exc_summary writes "exception": {classified, toKernel, fromKernel,
 * relayed, drops: {...}} as the next key of the open JSON object j;
 * nothing when x is NULL. */
struct sof_json;
void sofd_exc_summary(sofd_exc_t const *x, struct sof_json *j);

/* The tap's port id and kernel interface name (for messages). */
uint16_t sofd_exc_port(sofd_exc_t const *x);
char const *sofd_exc_iface(sofd_exc_t const *x);

/* ---- rx lcore side (inline: the rx role's hot loop) ---- */

/* sofd_exc_flush puts the staged frames on to_kernel in one burst; what
 * does not fit is freed and counted ring_full. */
static inline void
sofd_exc_flush(sofd_exc_q_t *q) {
  unsigned n = q->n;
  if (!n) return;
  unsigned s = rte_ring_enqueue_burst(q->to_kernel, (void *const *)q->stage, n, NULL);
  q->queued += s;
  for (unsigned i = s; i < n; i++) rte_pktmbuf_free(q->stage[i]);
  q->ring_full += n - s;
  q->n = 0;
}

/* sofd_exc_put takes m (a frame for the kernel): staged, flushed when the
 * stage is full. The caller flushes once at the end of its poll. */
static inline void
sofd_exc_put(sofd_exc_q_t *q, struct rte_mbuf *m) {
  q->stage[q->n++] = m;
  if (q->n == SOFD_EXC_BURST) sofd_exc_flush(q);
}

/* sofd_exc_relay_burst moves at most SOFD_EXC_BURST kernel frames from
 * from_kernel to the NIC's TX queue (port, queue): what the queue does not
 * take is freed and counted. Returns the frames dequeued. */
unsigned sofd_exc_relay_burst(sofd_exc_q_t *q, uint16_t port, uint16_t queue);

/* sofd_exc_relay: the per-poll check, a load when there is nothing to do. */
static inline unsigned
sofd_exc_relay(sofd_exc_q_t *q, uint16_t port, uint16_t queue) {
  if (likely(!q->from_kernel || rte_ring_empty(q->from_kernel))) return 0;
  return sofd_exc_relay_burst(q, port, queue);
}

#endif /* SOFD_EXC_H */
