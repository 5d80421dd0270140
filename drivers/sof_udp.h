/* sof_udp.h: plain UDP sockets as a shred source, for machines without a
 * DPDK-capable NIC.
 *
 * N IPv4 UDP sockets bound to the same address:port with SO_REUSEPORT (the
 * kernel spreads flows over them by a hash of the 4-tuple: one sender's
 * datagrams always land on the same socket), non-blocking. sof_udp_rx_burst
 * receives up to a burst of datagrams with one recvmmsg(2) straight into the
 * data rooms of mbufs from the caller's rte_mempool: no copy. It feeds the
 * same pipeline as sof_ethdev, with two differences the consumer must know:
 *
 * - The mbuf's data starts at the UDP payload (no Ethernet / IPv4 / UDP
 *   headers: the kernel consumed them). Such mbufs carry the dynamic mbuf
 *   flag SOF_UDP_DYNFLAG_NAME in ol_flags (mask: sof_udp_t.bare_flag, or
 *   rte_mbuf_dynflag_lookup by name in any thread after sof_udp_open); mbufs
 *   from an ethdev never have it, so a consumer fed by both tells them apart
 *   per mbuf (sof_udp_is_bare).
 * - The addresses the headers held are in a sof_udp_meta_t written into the
 *   mbuf's private area at cfg.priv_off (sof_udp_meta). The pool must be
 *   created with a private area that holds it (rte_pktmbuf_pool_create's
 *   priv_size >= priv_off + sizeof(sof_udp_meta_t), a multiple of
 *   RTE_MBUF_PRIV_ALIGN); the rest of the private area is the pipeline's.
 *
 * Drops and events are counters (sof_udp_stats_t), never log lines:
 * truncated datagrams (larger than the buffer: dropped), errors, empty polls,
 * failed mbuf allocations, and the datagrams the kernel dropped before
 * they were read (SO_RXQ_OVFL: receive buffer full; learned from the next
 * datagram that is read, so a drop shows once traffic resumes).
 *
 * Memory: each socket keeps up to `burst` mbufs of the pool in hand between
 * calls (allocated ahead, so an empty poll costs one system call and no pool
 * access): size the pool for sockets * burst plus the mbufs in flight in the
 * pipeline plus the per-lcore mempool caches.
 *
 * Threads: one socket per polling thread. Calls with different sock_idx may
 * run concurrently; calls with the same sock_idx must not. Each socket's
 * counters are written by its poller only (cache-line separated); other
 * threads may read them (aligned 64-bit loads: each value is consistent,
 * the set is not a snapshot). Setup and teardown are single-threaded and
 * not concurrent with rx calls.
 *
 * Needs rte_eal_init (the mempool, the dynamic flag). IPv4 only. */
#ifndef SOF_DRIVERS_UDP_H
#define SOF_DRIVERS_UDP_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#define SOF_UDP_SOCKETS_MAX 64U
#define SOF_UDP_BURST_MAX   256U
#define SOF_UDP_DYNFLAG_NAME "sof_udp_bare_payload"

/* What the stripped headers said, in the mbuf's private area at priv_off. */
typedef struct sof_udp_meta {
  uint32_t src_ip;   /* IPv4 source address, network byte order */
  uint16_t src_port; /* host byte order */
  uint16_t dst_port; /* the bound port, host byte order */
  uint16_t sock_idx; /* the socket that received it */
  uint16_t pad_;
  uint64_t rx_ns;    /* the kernel's receive time (SO_TIMESTAMPNS, CLOCK_REALTIME ns);
                        0 when the kernel gave none */
} sof_udp_meta_t;

/* Counters of one socket. */
#define SOF_UDP_STATS_LIST(X)                                                  \
  X(syscalls,  "recvmmsg calls")                                               \
  X(datagrams, "datagrams delivered")                                          \
  X(bytes,     "payload bytes delivered")                                      \
  X(truncated, "datagrams larger than the buffer: dropped")                    \
  X(empty,     "calls that found nothing (EAGAIN)")                            \
  X(errors,    "recvmmsg failures other than EAGAIN")                          \
  X(nomem,     "calls that could not get mbufs from the pool")                \
  X(kernel_drops, "datagrams the kernel dropped: receive buffer full (SO_RXQ_OVFL)")

typedef struct sof_udp_stats {
#define SOF_UDP_STATS_FIELD_(name, desc) uint64_t name;
  SOF_UDP_STATS_LIST(SOF_UDP_STATS_FIELD_)
#undef SOF_UDP_STATS_FIELD_
  uint64_t last_errno; /* errno of the last counted error, 0 when none */
} sof_udp_stats_t;

typedef struct sof_udp_cfg {
  char const         *bind_addr; /* IPv4 dotted quad; NULL or "": 0.0.0.0 */
  uint16_t            port;      /* UDP port; 0: an ephemeral one (sof_udp_t.port) */
  uint16_t            sockets;   /* [1, SOF_UDP_SOCKETS_MAX] */
  uint32_t            rcvbuf;    /* SO_RCVBUF bytes asked per socket; 0: the kernel's default */
  uint16_t            burst;     /* datagrams per recvmmsg, [1, SOF_UDP_BURST_MAX] */
  uint16_t            max_dgram; /* largest datagram delivered; 0: the mbuf's whole
                                    tailroom. Larger ones are truncated: dropped */
  uint16_t            priv_off;  /* where sof_udp_meta_t goes in the private area */
  struct rte_mempool *pool;      /* the caller's pktmbuf pool; outlives the driver */
} sof_udp_cfg_t;

typedef struct sof_udp_sock sof_udp_sock_t; /* private */

typedef struct sof_udp {
  sof_udp_sock_t     *sock;      /* [sockets] */
  struct rte_mempool *pool;
  uint64_t            bare_flag; /* ol_flags mask of SOF_UDP_DYNFLAG_NAME */
  uint32_t            bind_ip;   /* network byte order */
  uint32_t            room;      /* bytes offered per datagram (the iovec length) */
  uint32_t            rcvbuf;    /* SO_RCVBUF as the kernel reports it (Linux doubles
                                    the request and caps it at net.core.rmem_max
                                    unless SO_RCVBUFFORCE was allowed) */
  uint16_t            port;      /* the bound port (the ephemeral one when cfg.port was 0) */
  uint16_t            sockets;
  uint16_t            burst;
  uint16_t            priv_off;
  char                name[32];  /* "a.b.c.d:port" */
} sof_udp_t;

/* sof_udp_open: validates cfg against the pool (private area, data room),
 * registers the dynamic flag, opens cfg->sockets sockets (SO_REUSEPORT,
 * SO_RCVBUF / SO_RCVBUFFORCE, non-blocking, close-on-exec) bound to
 * bind_addr:port, and preallocates every socket's message arrays. Setup
 * time (allocates, makes system calls). Returns 0, or -1 with a message
 * naming the address, the socket and the failing step in err (err may be
 * NULL); on failure everything it opened is closed and u is zeroed. The pool
 * is borrowed: it must outlive u. Not thread safe. */
int sof_udp_open(sof_udp_t *u, sof_udp_cfg_t const *cfg, char *err, size_t err_sz);

/* sof_udp_rx_burst: receives up to min(n, burst) datagrams from socket
 * sock_idx (< u->sockets) into pkts (room for that many). Returns how many
 * mbufs it stored in pkts[0..ret): each a single segment whose data
 * (data_len == pkt_len, starting at the headroom's end) is one UDP payload,
 * with bare_flag in ol_flags and its sof_udp_meta_t filled; the caller owns
 * (frees) them. When the pool cannot top the socket's mbufs up to that many
 * (nomem counted), it receives into those it has, or into a single mbuf,
 * or, when it gets none, returns 0 without a system call. Makes exactly one
 * recvmmsg call otherwise (n 0: none). Never blocks, allocates from the
 * heap, locks (beyond the mempool's lock-free ring) or logs. Truncated
 * datagrams are dropped (their mbufs reused). One thread per sock_idx. */
uint16_t sof_udp_rx_burst(sof_udp_t *u, unsigned sock_idx, struct rte_mbuf **pkts, uint16_t n);

/* sof_udp_stats: the counters of socket sock_idx (< u->sockets); valid
 * until sof_udp_close. See the thread notes above. */
sof_udp_stats_t const *sof_udp_stats(sof_udp_t const *u, unsigned sock_idx);

/* sof_udp_drain: reads and discards every datagram still queued on the
 * sockets (at exit, after the pollers stopped: they reached the host but
 * not sofd, and are counted as such). Returns how many. Not concurrent
 * with sof_udp_rx_burst. */
uint64_t sof_udp_drain(sof_udp_t *u);

/* sof_udp_kernel_drops: the datagrams the kernel dropped for want of
 * receive-buffer room on every socket, from /proc/self/net/udp (its drops
 * column: up to date, whether or not a datagram came since). Not for the
 * data path: it reads a file. Returns 0 with *drops set, -1 when the file
 * cannot be read or a socket is not in it. Any thread; not concurrent with
 * sof_udp_close. */
int sof_udp_kernel_drops(sof_udp_t const *u, uint64_t *drops);

/* sof_udp_stats_sum: the counters of every socket added up into *out
 * (last_errno: the last socket's with an error). */
void sof_udp_stats_sum(sof_udp_t const *u, sof_udp_stats_t *out);

/* sof_udp_fd: the file descriptor of socket sock_idx, for epoll or
 * diagnostics; the driver keeps ownership. */
int sof_udp_fd(sof_udp_t const *u, unsigned sock_idx);

/* sof_udp_close: closes the sockets, returns the mbufs held ahead to the
 * pool and frees the arrays. Safe on a zeroed or closed u. Not concurrent
 * with rx calls. */
void sof_udp_close(sof_udp_t *u);

/* sof_udp_meta: the metadata of an mbuf received through a driver opened
 * with priv_off. */
static inline sof_udp_meta_t *
sof_udp_meta(struct rte_mbuf *m, uint16_t priv_off) {
  return (sof_udp_meta_t *)((char *)rte_mbuf_to_priv(m) + priv_off);
}

/* sof_udp_is_bare: 1 when m came from sof_udp (data = UDP payload), 0 when
 * it is a whole frame. bare_flag: sof_udp_t.bare_flag (or the looked-up
 * dynamic flag; 0 when no sof_udp was ever opened: always 0). */
static inline int
sof_udp_is_bare(struct rte_mbuf const *m, uint64_t bare_flag) {
  return (m->ol_flags & bare_flag) != 0;
}

#endif /* SOF_DRIVERS_UDP_H */
