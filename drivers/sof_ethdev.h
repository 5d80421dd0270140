/* sof_ethdev.h: one DPDK ethdev port as a shred source.
 *
 * Any PMD (a NIC, net_pcap, net_ring, net_null, net_af_packet, ...): a
 * packet mempool sized from the config, the port configured with one RX
 * queue (and no TX queue), started, promiscuous when the PMD allows. The
 * caller polls it with rte_eth_rx_burst(dev->port_id, dev->queue_id, ...)
 * and owns (frees) every mbuf it receives.
 *
 * Setup and teardown only: not for the data path. Needs rte_eal_init. */
#ifndef SOF_DRIVERS_ETHDEV_H
#define SOF_DRIVERS_ETHDEV_H

#include <stddef.h>
#include <stdint.h>

struct rte_mempool;

typedef struct sof_ethdev_cfg {
  uint16_t port_id;
  uint16_t rx_desc;     /* RX descriptors asked for (the PMD may adjust); 0: 1024 */
  uint32_t mbufs;       /* mbufs in the pool; must cover rx_desc + burst + cache */
  uint32_t mbuf_cache;  /* per-lcore mempool cache; 0: none */
  uint32_t burst;       /* the caller's RX burst size (for the pool size check) */
} sof_ethdev_cfg_t;

typedef struct sof_ethdev {
  uint16_t            port_id;
  uint16_t            queue_id;
  uint16_t            rx_desc;     /* after the PMD's adjustment */
  int                 started;
  int                 promisc;     /* promiscuous mode is on */
  char                name[64];    /* rte_eth_dev_get_name_by_port */
  char                driver[64];  /* dev_info.driver_name */
  struct rte_mempool *pool;
} sof_ethdev_t;

/* sof_ethdev_open creates the pool and configures and starts the port.
 * Returns 0, or -1 with a message naming the port and the failing step in
 * err (everything it created is released). */
int sof_ethdev_open(sof_ethdev_t *dev, sof_ethdev_cfg_t const *cfg, char *err, size_t err_sz);

/* sof_ethdev_close stops and closes the port and frees the pool (call
 * after every received mbuf was freed). Safe on a zeroed or closed dev. */
void sof_ethdev_close(sof_ethdev_t *dev);

#endif /* SOF_DRIVERS_ETHDEV_H */
