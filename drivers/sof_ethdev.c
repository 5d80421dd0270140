/* sof_ethdev.c: see sof_ethdev.h. */
#include "sof_ethdev.h"

#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

int
sof_ethdev_open(sof_ethdev_t *dev, sof_ethdev_cfg_t const *cfg, char *err, size_t err_sz) {
  memset(dev, 0, sizeof *dev);
  uint16_t port = cfg->port_id;
  dev->port_id = port;
  if (!rte_eth_dev_is_valid_port(port)) {
    snprintf(err, err_sz, "port %u does not exist (%u port%s available; add one with --vdev or a "
             "bound NIC)", port, rte_eth_dev_count_avail(), rte_eth_dev_count_avail() == 1 ? "" : "s");
    return -1;
  }
  rte_eth_dev_get_name_by_port(port, dev->name);
  struct rte_eth_dev_info info;
  int rc = rte_eth_dev_info_get(port, &info);
  if (rc) {
    snprintf(err, err_sz, "port %u (%s): cannot get device info: %s", port, dev->name, rte_strerror(-rc));
    return -1;
  }
  snprintf(dev->driver, sizeof dev->driver, "%s", info.driver_name ? info.driver_name : "?");
  uint16_t rxd = cfg->rx_desc ? cfg->rx_desc : 1024;
  uint16_t ntx = cfg->tx_queues;
  uint16_t txd = ntx ? (cfg->tx_desc ? cfg->tx_desc : 512) : 0;
  if (ntx > info.max_tx_queues) {
    snprintf(err, err_sz, "port %u (%s): %u TX queues asked for, the %s PMD offers %u", port,
             dev->name, ntx, dev->driver, info.max_tx_queues);
    return -1;
  }
  uint16_t nq = cfg->rx_queues ? cfg->rx_queues : 1;
  if (nq > info.max_rx_queues) {
    snprintf(err, err_sz, "port %u (%s): %u RX queues asked for, the %s PMD offers %u", port,
             dev->name, nq, dev->driver, info.max_rx_queues);
    return -1;
  }
  if (cfg->priv_size % RTE_MBUF_PRIV_ALIGN) {
    snprintf(err, err_sz, "port %u (%s): mbuf private area of %u bytes is not a multiple of %u",
             port, dev->name, cfg->priv_size, (unsigned)RTE_MBUF_PRIV_ALIGN);
    return -1;
  }
  struct rte_eth_conf conf;
  memset(&conf, 0, sizeof conf);
  uint64_t hf = nq > 1 ? (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads : 0;
  if (hf) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = hf; /* the PMD's default key */
  }
  rc = rte_eth_dev_configure(port, nq, ntx, &conf);
  if (rc) {
    snprintf(err, err_sz, "port %u (%s): configure %u RX queue%s%s: %s", port, dev->name, nq,
             nq == 1 ? "" : "s", hf ? " with RSS" : "", rte_strerror(-rc));
    return -1;
  }
  dev->rx_queues = nq;
  dev->rss_hf    = hf;
  rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
  if (rc) {
    snprintf(err, err_sz, "port %u (%s): %u RX descriptors: %s", port, dev->name, rxd, rte_strerror(-rc));
    goto fail_close;
  }
  dev->rx_desc = rxd;
  dev->tx_queues = ntx;
  dev->tx_desc = ntx ? txd : 0;
  uint64_t need = ((uint64_t)rxd + cfg->burst) * nq + (uint64_t)cfg->mbuf_cache * rte_lcore_count() +
                  (uint64_t)dev->tx_desc * ntx;
  if (cfg->mbufs < need) {
    snprintf(err, err_sz, "port %u (%s): --mbufs %u is too few: the RX ring%s take%s %u, a burst "
             "per queue %u and the mempool caches %u; need at least %llu", port, dev->name,
             cfg->mbufs, nq > 1 ? "s" : "", nq > 1 ? "" : "s", (unsigned)rxd * nq, cfg->burst * nq,
             cfg->mbuf_cache * rte_lcore_count(), (unsigned long long)need);
    goto fail_close;
  }
  int socket = rte_eth_dev_socket_id(port);
  if (socket < 0) socket = (int)rte_socket_id();
  char pool_name[RTE_MEMPOOL_NAMESIZE];
  snprintf(pool_name, sizeof pool_name, "sof_rx_%u", port);
  dev->pool = rte_pktmbuf_pool_create(pool_name, cfg->mbufs, cfg->mbuf_cache, cfg->priv_size,
                                      RTE_MBUF_DEFAULT_BUF_SIZE, socket);
  if (!dev->pool) {
    snprintf(err, err_sz, "port %u (%s): mempool of %u mbufs on socket %d: %s", port, dev->name,
             cfg->mbufs, socket, rte_strerror(rte_errno));
    goto fail_close;
  }
  for (uint16_t q = 0; q < nq; q++) {
    rc = rte_eth_rx_queue_setup(port, q, rxd, (unsigned)socket, NULL, dev->pool);
    if (rc) {
      snprintf(err, err_sz, "port %u (%s): RX queue %u with %u descriptors: %s", port, dev->name,
               q, rxd, rte_strerror(-rc));
      goto fail_pool;
    }
  }
  for (uint16_t q = 0; q < ntx; q++) {
    rc = rte_eth_tx_queue_setup(port, q, txd, (unsigned)socket, NULL);
    if (rc) {
      snprintf(err, err_sz, "port %u (%s): TX queue %u with %u descriptors: %s", port, dev->name,
               q, txd, rte_strerror(-rc));
      goto fail_pool;
    }
  }
  struct rte_ether_addr ea;
  if (rte_eth_macaddr_get(port, &ea) == 0) memcpy(dev->mac, ea.addr_bytes, 6);
  rc = rte_eth_dev_start(port);
  if (rc) {
    snprintf(err, err_sz, "port %u (%s): start: %s", port, dev->name, rte_strerror(-rc));
    goto fail_pool;
  }
  dev->started = 1;
  /* Shreds arrive addressed to this host or mirrored; vdevs may refuse. */
  dev->promisc = rte_eth_promiscuous_enable(port) == 0;
  return 0;

fail_pool:
  rte_eth_dev_close(port);
  rte_mempool_free(dev->pool);
  dev->pool = NULL;
  return -1;
fail_close:
  rte_eth_dev_close(port);
  return -1;
}

void
sof_ethdev_close(sof_ethdev_t *dev) {
  if (dev->started) {
    rte_eth_dev_stop(dev->port_id);
    rte_eth_dev_close(dev->port_id);
    dev->started = 0;
  }
  rte_mempool_free(dev->pool); /* NULL is fine */
  dev->pool = NULL;
}
