/* sof_ethdev.h: one DPDK ethdev port as a shred source.
 *
 * Any PMD (a NIC, net_pcap, net_ring, net_null, net_af_packet, ...): a
 * packet mempool sized from the config (with an mbuf private area of
 * priv_size bytes for the pipeline's per-packet metadata), the port
 * configured with rx_queues RX queues (and tx_queues TX queues, none by
 * default: queue q is for the lcore polling RX queue q), started,
 * promiscuous when the PMD allows. With more than one queue, RSS on the
 * IPv4/UDP 4-tuple is turned on when the PMD offers it (dev->rss_hf says
 * what it hashes; 0: the PMD spreads packets its own way, e.g. net_pcap's
 * one file per queue). The caller polls queue q with
 * rte_eth_rx_burst(dev->port_id, q, ...), one lcore per queue, and owns
 * (frees) every mbuf it receives. Mbufs hold whole frames (L2 onwards).
 *
 * Setup and teardown only: not for the data path. Needs rte_eal_init. Not
 * thread safe. */
#ifndef SOF_DRIVERS_ETHDEV_H
#define SOF_DRIVERS_ETHDEV_H

#include <stddef.h>
#include <stdint.h>

struct rte_mempool;

typedef struct sof_ethdev_cfg {
  uint16_t port_id;
  uint16_t rx_desc;     /* RX descriptors per queue asked for (the PMD may adjust); 0: 1024 */
  uint32_t mbufs;       /* mbufs in the pool; must cover rx_queues * (rx_desc + burst)
                           + the lcores' caches */
  uint32_t mbuf_cache;  /* per-lcore mempool cache; 0: none */
  uint32_t burst;       /* the caller's RX burst size (for the pool size check) */
  uint16_t rx_queues;   /* RX queues, <= the PMD's max_rx_queues; 0: 1 */
  uint16_t priv_size;   /* mbuf private area bytes, a multiple of RTE_MBUF_PRIV_ALIGN; 0: none */
  uint16_t tx_queues;   /* TX queues (0: none), each tx_desc descriptors; the pool must also
                           cover tx_queues * tx_desc mbufs held by the TX rings */
  uint16_t tx_desc;     /* 0: 512 */
} sof_ethdev_cfg_t;

typedef struct sof_ethdev {
  uint16_t            port_id;
  uint16_t            queue_id;    /* 0: the first RX queue */
  uint16_t            rx_queues;   /* RX queues 0 .. rx_queues - 1 */
  uint16_t            rx_desc;     /* per queue, after the PMD's adjustment */
  uint16_t            tx_queues;   /* TX queues 0 .. tx_queues - 1 (0: none) */
  uint16_t            tx_desc;     /* per TX queue, after the PMD's adjustment */
  uint8_t             mac[6];      /* the port's MAC address (rte_eth_macaddr_get) */
  uint64_t            rss_hf;      /* RSS hash functions on; 0: no RSS */
  int                 started;
  int                 promisc;     /* promiscuous mode is on */
  char                name[64];    /* rte_eth_dev_get_name_by_port */
  char                driver[64];  /* dev_info.driver_name */
  struct rte_mempool *pool;
} sof_ethdev_t;

/* sof_ethdev_open creates the pool and configures and starts the port.
 * Returns 0, or -1 with a message naming the port and the failing step in
 * err (everything it created is released). dev is written; cfg is read
 * during the call only. */
int sof_ethdev_open(sof_ethdev_t *dev, sof_ethdev_cfg_t const *cfg, char *err, size_t err_sz);

/* sof_ethdev_close stops and closes the port and frees the pool (call
 * after every received mbuf was freed). Safe on a zeroed or closed dev. */
void sof_ethdev_close(sof_ethdev_t *dev);

#endif /* SOF_DRIVERS_ETHDEV_H */
