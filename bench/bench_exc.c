/* bench_exc: what the kernel exception path ([input] exception = tap,
 * app/sofd_exc.h) costs the rx lcore.
 *
 *   build/bench/bench_exc [ops]
 *
 * 1. hand-off: sofd_exc_put of a frame for the kernel (a store in the
 *    stage array; every 32nd put flushes the stage to the SP/SC ring in one
 *    rte_ring_enqueue_burst), with the service thread's burst dequeue done
 *    in the same thread after each flush (one thread: no cross-core cache
 *    traffic, which a real consumer on another core adds to the ring's
 *    head/tail lines);
 * 2. the relay check of an rx poll when the kernel sent nothing
 *    (sofd_exc_relay on an empty from_kernel ring): what every poll of rx
 *    instance 0 pays with exception = tap;
 * 3. the relay of kernel frames, per frame, without a NIC: the ring
 *    dequeue and a net_null TX burst (the PMD frees the mbufs); the
 *    frames' allocation and enqueue (the service thread's part) are in the
 *    figure too, so it is an upper bound of the rx lcore's share.
 * EAL without hugepages on one lcore; a net_null vdev. Figures, never
 * assertions. */
#include "sof_bench.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "../app/sofd_exc.h"

static sofd_exc_q_t q;
static struct rte_mbuf *frames[SOFD_EXC_BURST];
static struct rte_mempool *pool;
static uint16_t null_port;

static uint64_t
run_handoff(void *ctx, uint64_t ops) {
  (void)ctx;
  void *out[SOFD_EXC_BURST];
  uint64_t got = 0;
  for (uint64_t i = 0; i < ops; i++) {
    sofd_exc_put(&q, frames[i % SOFD_EXC_BURST]);
    if (q.n == 0) got += rte_ring_dequeue_burst(q.to_kernel, out, SOFD_EXC_BURST, NULL);
  }
  sofd_exc_flush(&q);
  got += rte_ring_dequeue_burst(q.to_kernel, out, SOFD_EXC_BURST, NULL);
  return got;
}

static uint64_t
run_idle_check(void *ctx, uint64_t ops) {
  (void)ctx;
  uint64_t n = 0;
  for (uint64_t i = 0; i < ops; i++) n += sofd_exc_relay(&q, null_port, 0);
  return n;
}

static uint64_t
run_relay(void *ctx, uint64_t ops) {
  (void)ctx;
  uint64_t n = 0;
  struct rte_mbuf *b[SOFD_EXC_BURST];
  for (uint64_t i = 0; i < ops; i += SOFD_EXC_BURST) {
    if (rte_pktmbuf_alloc_bulk(pool, b, SOFD_EXC_BURST)) break;
    for (unsigned k = 0; k < SOFD_EXC_BURST; k++) {
      b[k]->data_len = 64;
      b[k]->pkt_len = 64;
    }
    rte_ring_enqueue_burst(q.from_kernel, (void *const *)b, SOFD_EXC_BURST, NULL);
    n += sofd_exc_relay(&q, null_port, 0);
  }
  return n;
}

int
main(int argc, char **argv) {
  uint64_t ops = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000000ULL;
  char prefix[64];
  snprintf(prefix, sizeof prefix, "--file-prefix=bench-exc-%d", (int)getpid());
  char *eal[] = {argv[0], "--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--log-level=error",
                 "--no-telemetry", prefix, "-l", "0", "--vdev", "net_null0", NULL};
  if (rte_eal_init((int)(sizeof eal / sizeof eal[0]) - 1, eal) < 0) {
    fprintf(stderr, "bench_exc: rte_eal_init failed\n");
    return 0;
  }
  pool = rte_pktmbuf_pool_create("bench_exc", 4095, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
  q.to_kernel = rte_ring_create("bench_exc_to", SOFD_EXC_RING, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
  q.from_kernel = rte_ring_create("bench_exc_from", SOFD_EXC_RING, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (!pool || !q.to_kernel || !q.from_kernel || rte_pktmbuf_alloc_bulk(pool, frames, SOFD_EXC_BURST) ||
      rte_eth_dev_get_port_by_name("net_null0", &null_port)) {
    fprintf(stderr, "bench_exc: setup failed\n");
    return 0;
  }
  struct rte_eth_conf conf;
  memset(&conf, 0, sizeof conf);
  if (rte_eth_dev_configure(null_port, 1, 1, &conf) ||
      rte_eth_rx_queue_setup(null_port, 0, 512, 0, NULL, pool) ||
      rte_eth_tx_queue_setup(null_port, 0, 512, 0, NULL) || rte_eth_dev_start(null_port)) {
    fprintf(stderr, "bench_exc: net_null port setup failed\n");
    return 0;
  }
  printf("bench_exc: the exception path's cost on the rx lcore (burst %u, rings of %u)\n",
         SOFD_EXC_BURST, SOFD_EXC_RING);
  sof_bench_report("hand-off to the kernel ring, per frame", run_handoff, NULL, ops);
  sof_bench_report("relay check, idle poll (empty ring)", run_idle_check, NULL, ops);
  sof_bench_report("relay kernel frame to TX (net_null), per frame", run_relay, NULL, ops / 4);
  printf("drops: ring_full %llu nic_tx_full %llu\n", (unsigned long long)q.ring_full,
         (unsigned long long)q.nic_tx_full);
  rte_eth_dev_stop(null_port);
  rte_eth_dev_close(null_port);
  rte_pktmbuf_free_bulk(frames, SOFD_EXC_BURST);
  rte_ring_free(q.to_kernel);
  rte_ring_free(q.from_kernel);
  rte_mempool_free(pool);
  rte_eal_cleanup();
  return 0;
}
