/* test_ethdev.c: the ethdev driver on a net_null vdev under EAL (--no-huge
 * --no-pci --no-shconf): several RX queues with RSS, the mbuf private area,
 * the pool size check and the config errors; every queue delivers mbufs of
 * the driver's pool; close returns everything. */
#include "net_eal.h"
#include "sof_test.h"

#include <limits.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "sof_ethdev.h"

static int
done(void) {
  return net_eal_done("ethdev");
}

int
main(int argc, char **argv) {
  (void)argc;
  if (net_eal_init(argv[0], "ethdev", "net_null0")) return 1;
  SOF_CHECK_EQ(rte_eth_dev_count_avail(), 1);
  struct rte_eth_dev_info info;
  SOF_CHECK_EQ(rte_eth_dev_info_get(0, &info), 0);

  sof_ethdev_t dev;
  char err[512];
  sof_ethdev_cfg_t good = {.port_id = 0, .rx_desc = 256, .mbufs = 2047, .mbuf_cache = 0,
                           .burst = 32, .rx_queues = 2, .priv_size = 64};
  struct { char const *what; sof_ethdev_cfg_t c; } bad[3];
  int nb = 0;
  bad[nb].what = "port 7 does not exist"; bad[nb].c = good; bad[nb++].c.port_id = 7;
  bad[nb].what = "RX queues asked for"; bad[nb].c = good;
  bad[nb++].c.rx_queues = (uint16_t)(info.max_rx_queues + 1);
  bad[nb].what = "not a multiple of"; bad[nb].c = good; bad[nb++].c.priv_size = 12;
  for (int i = 0; i < nb; i++) {
    err[0] = 0;
    SOF_CHECK_EQ(sof_ethdev_open(&dev, &bad[i].c, err, sizeof err), -1);
    if (!strstr(err, bad[i].what)) fprintf(stderr, "error \"%s\" lacks \"%s\"\n", err, bad[i].what);
    SOF_CHECK(strstr(err, bad[i].what) != NULL);
    SOF_CHECK(dev.pool == NULL);
    sof_ethdev_close(&dev);
  }

  /* the exact minimum pool passes */
  sof_ethdev_cfg_t c = good;
  c.mbufs = 2 * (256 + 32);
  if (sof_ethdev_open(&dev, &c, err, sizeof err)) {
    fprintf(stderr, "sof_ethdev_open: %s\n", err);
    SOF_CHECK(0);
    return done();
  }
  SOF_CHECK_EQ(dev.rx_queues, 2);
  SOF_CHECK_EQ(dev.rx_desc, 256);
  SOF_CHECK(dev.started);
  SOF_CHECK_STR(dev.name, "net_null0");
  SOF_CHECK_EQ(dev.rss_hf, (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads);
  SOF_CHECK(dev.rss_hf != 0); /* net_null takes an RSS configuration */
  SOF_CHECK_EQ(rte_pktmbuf_priv_size(dev.pool), 64);
  SOF_CHECK_EQ(rte_mempool_avail_count(dev.pool) + rte_mempool_in_use_count(dev.pool), 2 * (256 + 32));
  for (uint16_t q = 0; q < 2; q++) {
    struct rte_mbuf *pkts[32];
    uint16_t n = rte_eth_rx_burst(dev.port_id, q, pkts, 32);
    SOF_CHECK_EQ(n, 32); /* net_null fills every burst */
    uint64_t bad_m = 0;
    for (uint16_t i = 0; i < n; i++) {
      if (pkts[i]->pool != dev.pool || pkts[i]->nb_segs != 1) bad_m++;
      rte_pktmbuf_free(pkts[i]);
    }
    SOF_CHECK_EQ(bad_m, 0);
  }
  /* a queue past the configured ones does not exist */
  struct rte_mbuf *one[1];
  SOF_CHECK_EQ(rte_eth_rx_burst(dev.port_id, 2, one, 1), 0);
  sof_ethdev_close(&dev);
  SOF_CHECK(dev.pool == NULL);
  SOF_CHECK_EQ(dev.started, 0);
  sof_ethdev_close(&dev); /* twice is fine */

  /* Closing a vdev's port releases it: the next cases get fresh vdevs. */
  uint16_t p1 = 0, p2 = 0;
  SOF_CHECK_EQ(rte_dev_probe("net_null1"), 0);
  SOF_CHECK_EQ(rte_eth_dev_get_port_by_name("net_null1", &p1), 0);
  /* one mbuf short of two rings and two bursts */
  c = good;
  c.port_id = p1;
  c.mbufs = 2 * (256 + 32) - 1;
  SOF_CHECK_EQ(sof_ethdev_open(&dev, &c, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "--mbufs 575 is too few: the RX rings take 512, a burst per queue 64 and "
                        "the mempool caches 0; need at least 576") != NULL);
  SOF_CHECK(dev.pool == NULL);

  /* one queue, no private area, no RSS: the original setup */
  SOF_CHECK_EQ(rte_dev_probe("net_null2"), 0);
  SOF_CHECK_EQ(rte_eth_dev_get_port_by_name("net_null2", &p2), 0);
  c = good;
  c.port_id = p2;
  c.rx_queues = 0;
  c.priv_size = 0;
  SOF_CHECK_EQ(sof_ethdev_open(&dev, &c, err, sizeof err), 0);
  SOF_CHECK_EQ(dev.rx_queues, 1);
  SOF_CHECK_EQ(dev.rss_hf, 0);
  SOF_CHECK_EQ(rte_pktmbuf_priv_size(dev.pool), 0);
  sof_ethdev_close(&dev);
  return done();
}
