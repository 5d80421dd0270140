/* test_udp.c: the UDP socket driver under EAL (--no-huge --no-pci
 * --no-shconf) on loopback. Normal sockets send datagrams of known bytes to
 * 127.0.0.1:port; sof_udp receives them with 2 SO_REUSEPORT sockets; every
 * payload, length and source port is checked exactly, and so are the
 * counters (one recvmmsg per call, truncation, empty polls, pool
 * exhaustion), the burst limit, config errors and that no mbuf leaks. */
#include "net_eal.h"
#include "sof_test.h"

#include <errno.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>

#include "sof_udp.h"

#define SENDERS   32U
#define PER       8U
#define K         (SENDERS * PER)
#define PRIV_SZ   64U
#define PRIV_OFF  32U
#define MAX_DGRAM 1500U
#define POOL_N    1023U

static int snd[SENDERS + 1];     /* the last one: zero-length, exact-size and oversize */
static uint16_t snd_port[SENDERS + 1];

static int
udp_sender(uint16_t *port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t l = sizeof sa;
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) ||
      getsockname(fd, (struct sockaddr *)&sa, &l)) {
    fprintf(stderr, "sender socket: %s\n", strerror(errno));
    exit(1);
  }
  *port = ntohs(sa.sin_port);
  return fd;
}

static void
send_to(int fd, uint16_t port, void const *p, size_t n) {
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  ssize_t w = sendto(fd, p, n, 0, (struct sockaddr *)&sa, sizeof sa);
  SOF_CHECK_EQ(w, n);
}

/* Datagram `id` (< K): 8..1400 bytes; bytes 0..3 the id, then a pattern. */
static size_t
dgram_len(uint32_t id) {
  return 8 + (id * 37U) % 1393U;
}

static void
dgram_fill(uint8_t *b, uint32_t id) {
  size_t n = dgram_len(id);
  memcpy(b, &id, 4);
  for (size_t i = 4; i < n; i++) b[i] = (uint8_t)(id * 131U + i * 7U);
}

static uint64_t
ms_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U;
}

static void
test_cfg_errors(struct rte_mempool *mp, struct rte_mempool *nopriv) {
  sof_udp_cfg_t good = {.bind_addr = "127.0.0.1", .port = 0, .sockets = 2, .rcvbuf = 0,
                        .burst = 32, .max_dgram = 0, .priv_off = PRIV_OFF, .pool = mp};
  struct { char const *what; sof_udp_cfg_t c; } bad[8];
  int nb = 0;
  bad[nb].what = "IPv4 dotted quad"; bad[nb].c = good; bad[nb++].c.bind_addr = "1.2.3";
  bad[nb].what = "sockets 0 outside"; bad[nb].c = good; bad[nb++].c.sockets = 0;
  bad[nb].what = "sockets 65 outside"; bad[nb].c = good; bad[nb++].c.sockets = 65;
  bad[nb].what = "burst 0 outside"; bad[nb].c = good; bad[nb++].c.burst = 0;
  bad[nb].what = "burst 257 outside"; bad[nb].c = good; bad[nb++].c.burst = 257;
  bad[nb].what = "no mempool"; bad[nb].c = good; bad[nb++].c.pool = NULL;
  bad[nb].what = "private area"; bad[nb].c = good; bad[nb++].c.priv_off = 56;
  bad[nb].what = "less than max_dgram"; bad[nb].c = good; bad[nb++].c.max_dgram = 4000;
  for (int i = 0; i < nb; i++) {
    sof_udp_t u;
    char err[512] = "";
    SOF_CHECK_EQ(sof_udp_open(&u, &bad[i].c, err, sizeof err), -1);
    if (!strstr(err, bad[i].what)) fprintf(stderr, "error \"%s\" lacks \"%s\"\n", err, bad[i].what);
    SOF_CHECK(strstr(err, bad[i].what) != NULL);
    SOF_CHECK(u.sock == NULL);
    sof_udp_close(&u);
  }
  sof_udp_cfg_t np = good;
  np.pool = nopriv;
  np.priv_off = 0;
  sof_udp_t u;
  char err[512] = "";
  SOF_CHECK_EQ(sof_udp_open(&u, &np, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "priv_size >= 24") != NULL);

  /* A port held by a socket without SO_REUSEPORT cannot be joined. */
  uint16_t port;
  int fd = udp_sender(&port);
  sof_udp_cfg_t busy = good;
  busy.port = port;
  SOF_CHECK_EQ(sof_udp_open(&u, &busy, err, sizeof err), -1);
  SOF_CHECK(strstr(err, "socket 0: bind: Address already in use") != NULL);
  close(fd);
}

/* Ends the test after rte_eal_init: EAL leaves its runtime directory
 * (empty with --no-shconf) behind; remove it. */
static int
done(void) {
  return net_eal_done("udp");
}

int
main(int argc, char **argv) {
  (void)argc;
  if (net_eal_init(argv[0], "udp", NULL)) return 1;
  struct rte_mempool *mp = rte_pktmbuf_pool_create("udp_test", POOL_N, 0, PRIV_SZ,
                                                   RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
  struct rte_mempool *nopriv = rte_pktmbuf_pool_create("udp_nopriv", 63, 0, 0,
                                                       RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
  SOF_CHECK(mp != NULL && nopriv != NULL);
  if (!mp || !nopriv) return done();

  test_cfg_errors(mp, nopriv);

  sof_udp_cfg_t cfg = {.bind_addr = "127.0.0.1", .port = 0, .sockets = 2, .rcvbuf = 1U << 20,
                       .burst = 32, .max_dgram = MAX_DGRAM, .priv_off = PRIV_OFF, .pool = mp};
  sof_udp_t u;
  char err[512] = "";
  if (sof_udp_open(&u, &cfg, err, sizeof err)) {
    fprintf(stderr, "sof_udp_open: %s\n", err);
    SOF_CHECK(0);
    return done();
  }
  SOF_CHECK(u.port != 0);
  SOF_CHECK_EQ(u.sockets, 2);
  SOF_CHECK_EQ(u.room, MAX_DGRAM);
  SOF_CHECK(u.rcvbuf > 0);
  char name[32];
  snprintf(name, sizeof name, "127.0.0.1:%u", u.port);
  SOF_CHECK_STR(u.name, name);
  int bit = rte_mbuf_dynflag_lookup(SOF_UDP_DYNFLAG_NAME, NULL);
  SOF_CHECK(bit >= 0);
  SOF_CHECK_EQ(u.bare_flag, 1ULL << bit);
  SOF_CHECK(sof_udp_fd(&u, 0) >= 0 && sof_udp_fd(&u, 1) >= 0 && sof_udp_fd(&u, 0) != sof_udp_fd(&u, 1));

  /* Send: 32 senders x 8 datagrams, interleaved; then from the last sender
   * an empty datagram, one of exactly max_dgram bytes and one larger. */
  for (unsigned s = 0; s <= SENDERS; s++) snd[s] = udp_sender(&snd_port[s]);
  struct timespec ts0;
  clock_gettime(CLOCK_REALTIME, &ts0);
  uint64_t const sent_from_ns = (uint64_t)ts0.tv_sec * 1000000000ULL + (uint64_t)ts0.tv_nsec;
  static uint8_t buf[4096];
  for (unsigned j = 0; j < PER; j++)
    for (unsigned s = 0; s < SENDERS; s++) {
      uint32_t id = s * PER + j;
      dgram_fill(buf, id);
      send_to(snd[s], u.port, buf, dgram_len(id));
    }
  send_to(snd[SENDERS], u.port, buf, 0);
  memset(buf, 0xEE, sizeof buf);
  send_to(snd[SENDERS], u.port, buf, 2000);      /* too large: truncated, dropped */
  memset(buf, 0x5A, MAX_DGRAM);
  send_to(snd[SENDERS], u.port, buf, MAX_DGRAM); /* exactly fits */

  /* Receive on both sockets until everything is in. */
  static uint8_t seen[K];
  int sock_of[SENDERS + 1];
  for (unsigned s = 0; s <= SENDERS; s++) sock_of[s] = -1;
  uint64_t calls = 0, got = 0, got_sock[2] = {0, 0}, bad_payload = 0, bad_meta = 0, affinity = 0;
  uint64_t dup = 0, zero_len = 0, full_len = 0;
  uint64_t end = ms_now() + 5000;
  struct rte_mbuf *pkts[64];
  while (got < K + 2 && ms_now() < end) {
    for (unsigned si = 0; si < 2; si++) {
      uint16_t n = sof_udp_rx_burst(&u, si, pkts, 64);
      calls++;
      SOF_CHECK(n <= 32);
      for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        got++;
        got_sock[si]++;
        sof_udp_meta_t const *meta = sof_udp_meta(m, PRIV_OFF);
        if (!sof_udp_is_bare(m, u.bare_flag) || m->nb_segs != 1 || m->data_len != m->pkt_len ||
            m->data_off != RTE_PKTMBUF_HEADROOM || meta->src_ip != htonl(INADDR_LOOPBACK) ||
            meta->dst_port != u.port || meta->sock_idx != si)
          bad_meta++;
        /* the kernel's receive time: after the first send, before now */
        struct timespec tn;
        clock_gettime(CLOCK_REALTIME, &tn);
        if (meta->rx_ns < sent_from_ns || meta->rx_ns > (uint64_t)tn.tv_sec * 1000000000ULL + (uint64_t)tn.tv_nsec)
          bad_meta++;
        int s = -1;
        for (unsigned k = 0; k <= SENDERS; k++)
          if (snd_port[k] == meta->src_port) s = (int)k;
        if (s < 0) {
          bad_meta++;
        } else {
          if (sock_of[s] < 0) sock_of[s] = (int)si;
          else if (sock_of[s] != (int)si) affinity++;
        }
        uint8_t const *p = rte_pktmbuf_mtod(m, uint8_t const *);
        if (s == (int)SENDERS) {
          if (m->data_len == 0) zero_len++;
          else if (m->data_len == MAX_DGRAM && p[0] == 0x5A && p[MAX_DGRAM - 1] == 0x5A) full_len++;
          else bad_payload++;
        } else if (m->data_len < 4) {
          bad_payload++;
        } else {
          uint32_t id;
          memcpy(&id, p, 4);
          uint8_t want[1500];
          if (id >= K || id / PER != (uint32_t)s) {
            bad_payload++; /* the id names another sender than the source port */
          } else {
            dgram_fill(want, id);
            if (m->data_len != dgram_len(id) || memcmp(p, want, m->data_len)) bad_payload++;
            if (seen[id]++) dup++;
          }
        }
        rte_pktmbuf_free(m);
      }
    }
  }
  SOF_CHECK_EQ(got, K + 2);
  SOF_CHECK_EQ(bad_meta, 0);
  SOF_CHECK_EQ(bad_payload, 0);
  SOF_CHECK_EQ(dup, 0);
  SOF_CHECK_EQ(zero_len, 1);
  SOF_CHECK_EQ(full_len, 1);
  uint64_t missing = 0;
  for (unsigned id = 0; id < K; id++) missing += !seen[id];
  SOF_CHECK_EQ(missing, 0);
  SOF_CHECK_EQ(affinity, 0);                       /* one flow, one socket */
  SOF_CHECK(got_sock[0] > 0 && got_sock[1] > 0);   /* 33 flows over 2 sockets */
  fprintf(stderr, "udp: %llu datagrams in %llu calls (socket 0: %llu, socket 1: %llu)\n",
          (unsigned long long)got, (unsigned long long)calls, (unsigned long long)got_sock[0],
          (unsigned long long)got_sock[1]);

  sof_udp_stats_t sum;
  sof_udp_stats_sum(&u, &sum);
  SOF_CHECK_EQ(sum.syscalls, calls);               /* exactly one recvmmsg per call */
  SOF_CHECK_EQ(sum.datagrams, K + 2);
  SOF_CHECK_EQ(sum.truncated, 1);
  SOF_CHECK_EQ(sum.errors, 0);
  SOF_CHECK_EQ(sum.nomem, 0);
  uint64_t bytes = MAX_DGRAM;
  for (uint32_t id = 0; id < K; id++) bytes += dgram_len(id);
  SOF_CHECK_EQ(sum.bytes, bytes);
  SOF_CHECK(sum.empty < calls);
  SOF_CHECK_EQ(sof_udp_stats(&u, 0)->datagrams + sof_udp_stats(&u, 1)->datagrams, K + 2);
  SOF_CHECK_EQ(sof_udp_stats(&u, 0)->datagrams, got_sock[0]);

  /* Nothing left: one more call per socket is one empty poll each. */
  uint64_t e0 = sum.empty;
  SOF_CHECK_EQ(sof_udp_rx_burst(&u, 0, pkts, 64), 0);
  SOF_CHECK_EQ(sof_udp_rx_burst(&u, 1, pkts, 64), 0);
  SOF_CHECK_EQ(sof_udp_rx_burst(&u, 1, pkts, 0), 0); /* n 0: no system call */
  sof_udp_stats_sum(&u, &sum);
  SOF_CHECK_EQ(sum.empty, e0 + 2);
  SOF_CHECK_EQ(sum.syscalls, calls + 2);

  /* The burst limit: 40 datagrams of one flow; a call takes at most 32, or n. */
  unsigned s0 = sock_of[0] > 0 ? 1U : 0U; /* (a failed check above when unknown) */
  for (uint32_t j = 0; j < 40; j++) {
    dgram_fill(buf, j);
    send_to(snd[0], u.port, buf, dgram_len(j));
  }
  uint16_t n1 = sof_udp_rx_burst(&u, s0, pkts, 64);
  SOF_CHECK_EQ(n1, 32);
  for (uint16_t i = 0; i < n1; i++) {
    SOF_CHECK_EQ(pkts[i]->data_len, dgram_len(i)); /* in order within a flow */
    rte_pktmbuf_free(pkts[i]);
  }
  uint16_t n2 = sof_udp_rx_burst(&u, s0, pkts, 3);
  SOF_CHECK_EQ(n2, 3);
  for (uint16_t i = 0; i < n2; i++) rte_pktmbuf_free(pkts[i]);
  uint16_t n3 = sof_udp_rx_burst(&u, s0, pkts, 64);
  SOF_CHECK_EQ(n3, 5);
  for (uint16_t i = 0; i < n3; i++) rte_pktmbuf_free(pkts[i]);
  sof_udp_close(&u);
  sof_udp_close(&u); /* twice is fine */
  /* Every mbuf is back: the driver's stash was returned at close. */
  SOF_CHECK_EQ(rte_mempool_avail_count(mp), POOL_N);

  /* Pool exhaustion: no mbuf, no system call, counted; then it recovers. */
  cfg.sockets = 1;
  cfg.port = 0;
  SOF_CHECK_EQ(sof_udp_open(&u, &cfg, err, sizeof err), 0);
  static struct rte_mbuf *hoard[POOL_N];
  unsigned h = 0;
  while (h < POOL_N && (hoard[h] = rte_pktmbuf_alloc(mp)) != NULL) h++;
  SOF_CHECK_EQ(h, POOL_N);
  dgram_fill(buf, 7);
  send_to(snd[1], u.port, buf, dgram_len(7));
  SOF_CHECK_EQ(sof_udp_rx_burst(&u, 0, pkts, 8), 0);
  SOF_CHECK_EQ(sof_udp_stats(&u, 0)->nomem, 1);
  SOF_CHECK_EQ(sof_udp_stats(&u, 0)->syscalls, 0);
  /* one mbuf back: a call with n 8 receives with that one */
  rte_pktmbuf_free(hoard[--h]);
  SOF_CHECK_EQ(sof_udp_rx_burst(&u, 0, pkts, 8), 1);
  SOF_CHECK_EQ(sof_udp_stats(&u, 0)->nomem, 2);
  SOF_CHECK_EQ(sof_udp_stats(&u, 0)->syscalls, 1);
  SOF_CHECK_EQ(pkts[0]->data_len, dgram_len(7));
  SOF_CHECK(!memcmp(rte_pktmbuf_mtod(pkts[0], uint8_t *), buf, dgram_len(7)));
  rte_pktmbuf_free(pkts[0]);
  rte_pktmbuf_free_bulk(hoard, h);
  sof_udp_close(&u);
  SOF_CHECK_EQ(rte_mempool_avail_count(mp), POOL_N);

  for (unsigned s = 0; s <= SENDERS; s++) close(snd[s]);
  rte_mempool_free(mp);
  rte_mempool_free(nopriv);
  return done();
}
